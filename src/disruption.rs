//! Disruptions: PodDisruptionBudgets (`pdb.rs`), the eviction API that voluntary disruptions
//! go through (`eviction_api.rs`), the node lifecycle controller (`node_lifecycle.rs`), fault
//! injection (`faults.rs`: node failures, zone outages, spot interruptions, maintenance
//! drains), the kubelet's container lifecycle (`kubelet.rs`: start-up, crashes, OOM kills,
//! CrashLoopBackOff) and its node-pressure eviction manager (`eviction.rs`).

pub mod eviction;
pub mod eviction_api;
pub mod faults;
pub mod kubelet;
pub mod node_lifecycle;
pub mod pdb;

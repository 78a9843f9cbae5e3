//! Disruptions: PodDisruptionBudgets (`pdb.rs`), the eviction API (`eviction.rs`), the node
//! lifecycle controller (`node_lifecycle.rs`) and fault injection (`faults.rs`: node failures,
//! zone outages, spot interruptions, maintenance drains).

pub mod eviction;
pub mod faults;
pub mod node_lifecycle;
pub mod pdb;

//! Disruptions: PodDisruptionBudgets (`pdb.rs`), consulted by preemption and, later, by drains
//! and the eviction API; the kubelet's container lifecycle (`kubelet.rs`: start-up, crashes,
//! OOM kills, CrashLoopBackOff) and its node-pressure eviction manager (`eviction.rs`).

pub mod eviction;
pub mod kubelet;
pub mod pdb;

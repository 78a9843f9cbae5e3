//! Voluntary disruptions: PodDisruptionBudgets (`pdb.rs`), consulted by preemption and, later,
//! by drains and the eviction API.

pub mod pdb;

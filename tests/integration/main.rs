//! kubesim integration tests (one binary): determinism, hand-checked scenarios, error reporting,
//! trace import and the command line.

mod autoscaler;
mod autoscaling;
mod cli;
mod compare;
mod controllers;
mod corpus;
mod determinism;
mod errors;
mod explain;
mod faults;
mod fragmentation;
mod hpa_metrics;
mod kubelet;
mod load;
mod manifests;
mod named_nodes;
mod pdb_expressions;
mod peer_workloads;
mod placement;
mod pods;
mod preemption;
mod profiles;
mod scenarios;
mod statefulset_hpa;
mod support;
mod sweep;
mod traces;

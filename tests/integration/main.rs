//! kubesim integration tests (one binary): determinism, hand-checked scenarios, error reporting,
//! trace import and the command line.

mod autoscaler;
mod autoscaling;
mod cli;
mod compare;
mod determinism;
mod errors;
mod explain;
mod faults;
mod fragmentation;
mod kubelet;
mod load;
mod manifests;
mod placement;
mod preemption;
mod scenarios;
mod support;
mod traces;

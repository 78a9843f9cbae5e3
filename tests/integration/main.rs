//! kubesim integration tests (one binary): determinism, hand-checked scenarios, error reporting,
//! trace import and the command line.

mod autoscaler;
mod cli;
mod compare;
mod determinism;
mod errors;
mod explain;
mod fragmentation;
mod placement;
mod scenarios;
mod support;
mod traces;

//! Autoscalers. [`hpa`] is the Horizontal Pod Autoscaler: the upstream replica calculation,
//! the `behavior` normalization and the per-HPA state the controller keeps between syncs, as
//! plain library functions that take per-pod samples and return replica counts. The engine
//! drives it every sync period; the functions can also be used and tested on their own.

pub mod horizontal;
pub mod hpa;

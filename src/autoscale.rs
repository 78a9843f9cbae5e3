//! Autoscalers. [`hpa`] is the Horizontal Pod Autoscaler: the upstream replica calculation,
//! the `behavior` normalization and the per-HPA state the controller keeps between syncs, as
//! plain library functions that take per-pod samples and return replica counts;
//! [`horizontal`] is the controller the engine syncs; [`metric_feed`] holds the custom metric
//! series that Pods, Object and External metrics read. [`cluster_autoscaler`] changes the
//! cluster's size in response to pods that do not fit and nodes that are not needed.

pub mod cluster_autoscaler;
pub mod horizontal;
pub mod hpa;
pub mod metric_feed;

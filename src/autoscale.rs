//! Autoscalers: controllers that change the cluster's size in response to its load.

pub mod cluster_autoscaler;

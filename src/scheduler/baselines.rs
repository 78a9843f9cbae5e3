//! Baseline placement strategies for comparison with the kube-scheduler framework.
//!
//! They use the same feasibility filters as the default profile (NodeUnschedulable,
//! TaintToleration, NodeAffinity, NodeResourcesFit) and differ only in how they pick among feasible nodes.

pub mod best_fit;
pub mod first_fit;
pub mod random;

use super::plugins::FilterPlugin;
use super::plugins::node_affinity::NodeAffinity;
use super::plugins::node_resources_fit::NodeResourcesFit;
use super::plugins::node_unschedulable::NodeUnschedulable;
use super::plugins::taint_toleration::TaintToleration;
use crate::cluster::ClusterState;

/// The default profile's filter plugins, in upstream order.
pub fn default_filters(cluster: &mut ClusterState) -> Vec<Box<dyn FilterPlugin>> {
    vec![
        Box::new(NodeUnschedulable::new(cluster)),
        Box::new(TaintToleration::default()),
        Box::new(NodeAffinity::new(cluster)),
        Box::new(NodeResourcesFit::least_allocated()),
    ]
}

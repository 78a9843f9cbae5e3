//! NodeUnschedulable filter (pkg/scheduler/framework/plugins/nodeunschedulable): a cordoned
//! node rejects pods unless they tolerate `node.kubernetes.io/unschedulable:NoSchedule`.

use super::{FilterFailure, FilterPlugin};
use crate::cluster::ClusterState;
use crate::cluster::labels::{Symbol, Taint, TaintEffect, tolerated};
use crate::cluster::node::Node;
use crate::cluster::pod::Pod;

/// The NodeUnschedulable filter plugin.
pub struct NodeUnschedulable {
    taint: Taint,
}

impl NodeUnschedulable {
    /// Creates the plugin, interning the well-known taint key.
    pub fn new(cluster: &mut ClusterState) -> Self {
        let key = cluster.interner.intern("node.kubernetes.io/unschedulable");
        let value: Symbol = cluster.interner.intern("");
        NodeUnschedulable {
            taint: Taint {
                key,
                value,
                effect: TaintEffect::NoSchedule,
            },
        }
    }
}

impl FilterPlugin for NodeUnschedulable {
    fn name(&self) -> &str {
        "NodeUnschedulable"
    }

    fn filter(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> Result<(), FilterFailure> {
        if !node.unschedulable {
            return Ok(());
        }
        let tolerations = &cluster.templates[pod.template.0 as usize].tolerations;
        if tolerated(tolerations, &self.taint) {
            Ok(())
        } else {
            Err(FilterFailure::Unresolvable("node(s) were unschedulable"))
        }
    }
}

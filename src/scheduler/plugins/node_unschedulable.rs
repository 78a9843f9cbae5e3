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
    /// Whether the current pod tolerates the unschedulable taint (set in `pre_filter`).
    tolerates: bool,
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
            tolerates: false,
        }
    }
}

impl NodeUnschedulable {
    /// The `node.kubernetes.io/unschedulable:NoSchedule` taint a pod must tolerate.
    pub fn taint(&self) -> Taint {
        self.taint
    }
}

impl FilterPlugin for NodeUnschedulable {
    fn name(&self) -> &str {
        "NodeUnschedulable"
    }

    /// Reads only the pod and the node.
    fn node_local(&self, _pod: &Pod, _cluster: &ClusterState) -> bool {
        true
    }

    fn pre_filter(&mut self, pod: &Pod, cluster: &ClusterState) {
        let tolerations = &cluster.templates[pod.template.0 as usize].tolerations;
        self.tolerates = tolerated(tolerations, &self.taint);
    }

    #[inline]
    fn filter(&self, _: &Pod, node: &Node, _: &ClusterState) -> Result<(), FilterFailure> {
        if !node.unschedulable || self.tolerates {
            Ok(())
        } else {
            Err(FilterFailure::Unresolvable("node(s) were unschedulable"))
        }
    }
}

#[cfg(test)]
mod tests {
    //! node_unschedulable_test.go (kubernetes/kubernetes, commit
    //! b574b11f6b28f06e17333bb110e9374db3259bad), TestNodeUnschedulable.
    use super::*;
    use crate::cluster::labels::{Toleration, TolerationOperator};
    use crate::cluster::resources::Resources;
    use crate::scheduler::plugins::node_resources_fit::test_support::{Fixture, alloc};

    /// Filter result for a node with `spec.unschedulable = unschedulable` and a pod that does or
    /// does not carry the `node.kubernetes.io/unschedulable:NoSchedule` toleration (upstream
    /// gives no operator, i.e. `Equal` with an empty value).
    fn run(unschedulable: bool, tolerates: bool) -> Result<(), FilterFailure> {
        let mut f = Fixture::new();
        let node = f.node(alloc(4000, 8 << 30, 0), vec![]);
        f.cluster.nodes[node.0 as usize].unschedulable = unschedulable;
        let mut plugin = NodeUnschedulable::new(&mut f.cluster);
        let tolerations = if tolerates {
            vec![Toleration {
                key: Some(f.intern("node.kubernetes.io/unschedulable")),
                operator: TolerationOperator::Equal,
                value: f.intern(""),
                effect: Some(TaintEffect::NoSchedule),
                toleration_ms: None,
            }]
        } else {
            vec![]
        };
        let template = f.template(tolerations);
        let pod = f.pod(Resources::ZERO, template);
        f.filter(&mut plugin, pod, node)
    }

    #[test]
    fn node_unschedulable_upstream_cases() {
        // "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)":
        // UnschedulableAndUnresolvable with ErrReasonUnschedulable.
        assert_eq!(
            run(true, false),
            Err(FilterFailure::Unresolvable("node(s) were unschedulable"))
        );
        // "Schedule pod to normal node".
        assert_eq!(run(false, false), Ok(()));
        // "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)".
        assert_eq!(run(true, true), Ok(()));
    }
}

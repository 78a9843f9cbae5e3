//! NodeName filter (pkg/scheduler/framework/plugins/nodename/node_name.go): a pod with
//! `spec.nodeName` fits only that node.
//!
//! The engine binds such pods directly, without the scheduler (as upstream, where they never
//! enter the scheduling queue); the filter matters when a profile is asked about them, e.g. by
//! `kubesim explain` or in what-if checks.

use super::{FilterFailure, FilterPlugin};
use crate::cluster::ClusterState;
use crate::cluster::node::Node;
use crate::cluster::pod::Pod;

/// `ErrReason` of the NodeName plugin.
pub const REASON: &str = "node(s) didn't match the requested node name";

/// The NodeName filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeName;

impl FilterPlugin for NodeName {
    fn name(&self) -> &str {
        "NodeName"
    }

    /// Reads only the pod and the node.
    fn node_local(&self, _pod: &Pod, _cluster: &ClusterState) -> bool {
        true
    }

    fn filter(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> Result<(), FilterFailure> {
        match cluster.templates[pod.template.0 as usize].node_name {
            Some(id) if id != node.id => Err(FilterFailure::Unresolvable(REASON)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    //! pkg/scheduler/framework/plugins/nodename/node_name_test.go, TestNodeName.
    use super::*;
    use crate::cluster::pod::PodTemplate;
    use crate::cluster::topology::test_support::TopoCluster;

    #[test]
    fn node_name() {
        let mut tc = TopoCluster::new();
        let foo = tc.node("foo", &[], &[]);
        let cases = [
            ("no host specified", None, Ok(())),
            ("host matches", Some(foo), Ok(())),
            (
                "host doesn't match",
                Some(tc.node("bar", &[], &[])),
                Err(FilterFailure::Unresolvable(REASON)),
            ),
        ];
        for (name, node_name, want) in cases {
            let t = tc.template(PodTemplate {
                node_name,
                ..PodTemplate::default()
            });
            let pod = tc.pending(t);
            let c = &tc.c;
            let got = NodeName.filter(&c.pods[pod.0 as usize], &c.nodes[foo.0 as usize], c);
            assert_eq!(got, want, "{name}");
        }
    }
}

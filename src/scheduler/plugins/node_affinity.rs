//! NodeAffinity filter and score (pkg/scheduler/framework/plugins/nodeaffinity): the pod's
//! `nodeSelector` and required node affinity must match the node's labels (including the
//! implicit `kubernetes.io/hostname`); the score is the sum of the weights of the matching
//! preferred terms, normalized with `DefaultNormalizeScore(100, false)`.

use super::{FilterFailure, FilterPlugin, MAX_NODE_SCORE, ScorePlugin, default_normalize_score};
use crate::cluster::ClusterState;
use crate::cluster::affinity::NodeLabelView;
use crate::cluster::labels::Symbol;
use crate::cluster::node::Node;
use crate::cluster::pod::Pod;

/// The NodeAffinity plugin.
pub struct NodeAffinity {
    hostname_key: Symbol,
}

impl NodeAffinity {
    /// Creates the plugin, interning the hostname label key.
    pub fn new(cluster: &mut ClusterState) -> Self {
        NodeAffinity {
            hostname_key: cluster.interner.intern("kubernetes.io/hostname"),
        }
    }
}

fn view<'a>(
    node: &'a Node,
    cluster: &'a ClusterState,
    hostname_key: Symbol,
    resolve: &'a dyn Fn(Symbol) -> &'a str,
) -> NodeLabelView<'a> {
    NodeLabelView {
        labels: &cluster.pools[node.pool.0 as usize].labels,
        hostname_key,
        hostname: node.hostname,
        resolve,
    }
}

impl FilterPlugin for NodeAffinity {
    fn name(&self) -> &str {
        "NodeAffinity"
    }

    fn filter(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> Result<(), FilterFailure> {
        let affinity = &cluster.templates[pod.template.0 as usize].node_affinity;
        if affinity.node_selector.is_empty() && affinity.required.is_none() {
            return Ok(());
        }
        let resolve = |s: Symbol| cluster.interner.resolve(s);
        if affinity.admits(&view(node, cluster, self.hostname_key, &resolve)) {
            Ok(())
        } else {
            Err(FilterFailure::Unresolvable(
                "node(s) didn't match Pod's node affinity/selector",
            ))
        }
    }
}

impl ScorePlugin for NodeAffinity {
    fn name(&self) -> &str {
        "NodeAffinity"
    }

    /// Skips pods without preferred terms, as upstream PreScore does.
    fn pre_score(&mut self, pod: &Pod, cluster: &ClusterState) -> bool {
        !cluster.templates[pod.template.0 as usize]
            .node_affinity
            .preferred
            .is_empty()
    }

    fn score(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> i64 {
        let affinity = &cluster.templates[pod.template.0 as usize].node_affinity;
        let resolve = |s: Symbol| cluster.interner.resolve(s);
        affinity.preferred_score(&view(node, cluster, self.hostname_key, &resolve))
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
    }
}

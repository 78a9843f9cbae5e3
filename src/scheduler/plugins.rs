//! Filter and score plugins, one file per upstream plugin.
//!
//! A plugin sees the pod being scheduled, one candidate node and the whole cluster state.
//! Filters say whether the pod may run on the node; scorers rate feasible nodes 0..=100
//! (after their optional normalize step) and are combined with integer weights.

pub mod balanced_allocation;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_name;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod taint_toleration;

use crate::cluster::ClusterState;
use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::Pod;

/// Highest score a plugin may give a node (`framework.MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;

/// Why a node was filtered out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterFailure {
    /// The node does not fit now but might after preemption or pods leaving.
    Unschedulable(&'static str),
    /// The node can never fit this pod (preemption would not help).
    Unresolvable(&'static str),
}

impl FilterFailure {
    /// The human-readable reason.
    pub fn reason(&self) -> &'static str {
        match self {
            FilterFailure::Unschedulable(r) | FilterFailure::Unresolvable(r) => r,
        }
    }
}

/// A Filter extension point plugin.
pub trait FilterPlugin: Send {
    /// Upstream plugin name (e.g. `NodeResourcesFit`).
    fn name(&self) -> &str;
    /// Called once per pod before its nodes are filtered (upstream PreFilter): precompute
    /// per-pod state here so that `filter` stays cheap.
    fn pre_filter(&mut self, _pod: &Pod, _cluster: &ClusterState) {}
    /// `Ok(())` if `pod` may be placed on `node` (after `pre_filter` for the same pod).
    fn filter(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> Result<(), FilterFailure>;

    /// Whether, in the current cluster, this plugin's verdict for `pod` on any node depends
    /// only on that node's scheduling state (what `ClusterState::node_versions` versions:
    /// requested resources, pods, allocatable, taints, cordon, memory pressure; plus its
    /// static labels and pool) and on the pod's requests, extended resources and template.
    /// Lets the engine remember per node that a retried pod cannot fit there
    /// (`scheduler::retry_memo`). The default, `false`, is always safe.
    fn node_local(&self, _pod: &Pod, _cluster: &ClusterState) -> bool {
        false
    }

    /// Filters a batch: clears `pass[i]` when `nodes[i]` fails (entries already false are
    /// skipped). The default loops over [`FilterPlugin::filter`]; being a default method, that
    /// call is statically dispatched, so the framework pays one virtual call per batch.
    fn filter_chunk(&self, pod: &Pod, nodes: &[NodeId], cluster: &ClusterState, pass: &mut [bool]) {
        for (ok, &id) in pass.iter_mut().zip(nodes) {
            if *ok {
                *ok = self
                    .filter(pod, &cluster.nodes[id.0 as usize], cluster)
                    .is_ok();
            }
        }
    }
}

/// A Score extension point plugin.
pub trait ScorePlugin: Send {
    /// Upstream plugin name.
    fn name(&self) -> &str;
    /// Called once per scheduling cycle before scoring; returning `false` skips the plugin for
    /// this pod (upstream PreScore returning Skip).
    fn pre_score(&mut self, _pod: &Pod, _cluster: &ClusterState) -> bool {
        true
    }
    /// PreScore with the feasible nodes about to be scored (upstream passes them too); the
    /// default calls [`ScorePlugin::pre_score`]. Plugins whose raw scores depend on the whole
    /// feasible set (e.g. PodTopologySpread's domain counts) override this one.
    fn pre_score_nodes(&mut self, pod: &Pod, _nodes: &[NodeId], cluster: &ClusterState) -> bool {
        self.pre_score(pod, cluster)
    }
    /// Raw score of `node` for `pod`.
    fn score(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> i64;
    /// Raw scores of all `nodes`, appended to `out` in order (one virtual call per cycle; the
    /// default loops over [`ScorePlugin::score`] with static dispatch).
    fn score_all(&self, pod: &Pod, nodes: &[NodeId], cluster: &ClusterState, out: &mut Vec<i64>) {
        out.extend(
            nodes
                .iter()
                .map(|&id| self.score(pod, &cluster.nodes[id.0 as usize], cluster)),
        );
    }
    /// Optional NormalizeScore step over the raw scores of all feasible nodes.
    fn normalize(&self, _scores: &mut [i64]) {}
}

/// `DefaultNormalizeScore` (pkg/scheduler/framework/plugins/helper/normalize_score.go):
/// scales scores to 0..=`max_priority` relative to the highest; `reverse` flips them.
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        let mut v = max_priority * *s / max;
        if reverse {
            v = max_priority - v;
        }
        *s = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_normalize_matches_upstream_cases() {
        // normalize_score_test.go: {10, 20, 30, 40, 100} -> {10, 20, 30, 40, 100}; reversed ->
        // {90, 80, 70, 60, 0}; all zero reversed -> all max.
        let mut s = vec![10, 20, 30, 40, 100];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, vec![10, 20, 30, 40, 100]);
        let mut s = vec![10, 20, 30, 40, 100];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, vec![90, 80, 70, 60, 0]);
        let mut s = vec![2, 3, 6];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, vec![33, 50, 100]);
        let mut s = vec![0, 0];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, vec![100, 100]);
    }
}

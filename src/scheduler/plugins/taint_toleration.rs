//! TaintToleration filter and score (pkg/scheduler/framework/plugins/tainttoleration).
//!
//! Filter: every `NoSchedule` / `NoExecute` taint of the node must be tolerated.
//! Score: the number of `PreferNoSchedule` taints not tolerated by the pod's tolerations whose
//! effect is `PreferNoSchedule` or empty, normalized with `DefaultNormalizeScore(100, reverse)`.

use super::{FilterFailure, FilterPlugin, MAX_NODE_SCORE, ScorePlugin, default_normalize_score};
use crate::cluster::ClusterState;
use crate::cluster::labels::{TaintEffect, tolerated};
use crate::cluster::node::Node;
use crate::cluster::pod::Pod;

/// The TaintToleration plugin.
#[derive(Default)]
pub struct TaintToleration;

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &str {
        "TaintToleration"
    }

    fn filter(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> Result<(), FilterFailure> {
        let taints = &cluster.pools[node.pool.0 as usize].taints;
        if taints.is_empty() {
            return Ok(());
        }
        let tolerations = &cluster.templates[pod.template.0 as usize].tolerations;
        let blocked = taints.iter().any(|t| {
            matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                && !tolerated(tolerations, t)
        });
        if blocked {
            Err(FilterFailure::Unresolvable("node(s) had untolerated taint"))
        } else {
            Ok(())
        }
    }
}

impl ScorePlugin for TaintToleration {
    fn name(&self) -> &str {
        "TaintToleration"
    }

    fn score(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> i64 {
        let taints = &cluster.pools[node.pool.0 as usize].taints;
        if taints.is_empty() {
            return 0;
        }
        let tolerations = &cluster.templates[pod.template.0 as usize].tolerations;
        taints
            .iter()
            .filter(|t| t.effect == TaintEffect::PreferNoSchedule)
            .filter(|t| {
                !tolerations.iter().any(|tol| {
                    matches!(tol.effect, None | Some(TaintEffect::PreferNoSchedule))
                        && tol.tolerates(t)
                })
            })
            .count() as i64
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
    }
}

//! NodeResourcesBalancedAllocation score
//! (pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go), v1.24–v1.35 formula:
//! `score = int((1 − std) × 100)` over the requested/allocatable fractions (capped at 1) of the
//! configured resources, using real requests (not the non-zero defaults).

use super::node_resources_fit::{WeightedResource, allocatable_and_requested};
use super::{MAX_NODE_SCORE, ScorePlugin};
use crate::cluster::ClusterState;
use crate::cluster::node::Node;
use crate::cluster::pod::Pod;
use crate::scheduler::plugins::node_resources_fit::ResourceName;

/// The NodeResourcesBalancedAllocation plugin.
pub struct BalancedAllocation {
    resources: Vec<WeightedResource>,
}

impl BalancedAllocation {
    /// Creates the plugin over `resources` (weights are ignored by the formula, as upstream).
    pub fn new(resources: Vec<WeightedResource>) -> Self {
        BalancedAllocation { resources }
    }
}

/// The balanced-allocation score of the given requested/allocatable fractions.
pub fn balanced_score(fractions: &[f64]) -> i64 {
    let std = match fractions.len() {
        0 | 1 => 0.0,
        2 => ((fractions[0] - fractions[1]) / 2.0).abs(),
        n => {
            let mean = fractions.iter().sum::<f64>() / n as f64;
            let var = fractions
                .iter()
                .map(|f| (f - mean) * (f - mean))
                .sum::<f64>()
                / n as f64;
            var.sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

impl ScorePlugin for BalancedAllocation {
    fn name(&self) -> &str {
        "NodeResourcesBalancedAllocation"
    }

    /// Skips pods that request none of the configured resources (upstream issue #129138).
    fn pre_score(&mut self, pod: &Pod, _: &ClusterState) -> bool {
        self.resources.iter().any(|r| match r.name {
            ResourceName::Cpu => pod.requests.cpu_milli > 0,
            ResourceName::Memory => pod.requests.memory_bytes > 0,
            ResourceName::Gpu => pod.requests.gpu_milli > 0,
        })
    }

    fn score(&self, pod: &Pod, node: &Node, _: &ClusterState) -> i64 {
        let mut fractions = [0.0f64; 3];
        let mut n = 0;
        for r in &self.resources {
            if let Some((alloc, req)) = allocatable_and_requested(pod, node, r.name, true) {
                if n < fractions.len() {
                    fractions[n] = (req as f64 / alloc as f64).min(1.0);
                    n += 1;
                }
            }
        }
        balanced_score(&fractions[..n])
    }
}

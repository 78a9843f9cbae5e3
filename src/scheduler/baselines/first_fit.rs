//! First-fit: the feasible node with the lowest id (in creation order).

use crate::cluster::ClusterState;
use crate::cluster::pod::PodId;
use crate::engine::rng::SimRng;
use crate::scheduler::framework::Framework;
use crate::scheduler::plugins::FilterPlugin;
use crate::scheduler::{Decision, Scheduler};

/// The first-fit baseline.
pub struct FirstFit {
    filters: Vec<Box<dyn FilterPlugin>>,
}

impl FirstFit {
    /// Creates the baseline with the given filters.
    pub fn new(filters: Vec<Box<dyn FilterPlugin>>) -> Self {
        FirstFit { filters }
    }
}

impl Scheduler for FirstFit {
    fn name(&self) -> &str {
        "first-fit"
    }

    fn schedule(&mut self, pod: PodId, cluster: &ClusterState, _: &mut SimRng) -> Decision {
        cluster
            .live_nodes
            .iter()
            .copied()
            .find(|&n| Framework::run_filters(&self.filters, pod, n, cluster).is_ok())
            .map_or(Decision::Unschedulable, Decision::Bind)
    }
}

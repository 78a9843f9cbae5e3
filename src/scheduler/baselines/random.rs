//! Random: a uniformly random feasible node (reservoir sampling over all nodes).

use crate::cluster::ClusterState;
use crate::cluster::pod::PodId;
use crate::engine::rng::SimRng;
use crate::scheduler::framework::Framework;
use crate::scheduler::plugins::FilterPlugin;
use crate::scheduler::{Decision, Scheduler};
use rand::Rng;

/// The random baseline.
pub struct RandomFit {
    filters: Vec<Box<dyn FilterPlugin>>,
}

impl RandomFit {
    /// Creates the baseline with the given filters.
    pub fn new(filters: Vec<Box<dyn FilterPlugin>>) -> Self {
        RandomFit { filters }
    }
}

impl Scheduler for RandomFit {
    fn name(&self) -> &str {
        "random"
    }

    fn schedule(&mut self, pod: PodId, cluster: &ClusterState, rng: &mut SimRng) -> Decision {
        let mut chosen = None;
        let mut seen = 0u32;
        for &id in &cluster.live_nodes {
            if Framework::run_filters(&self.filters, pod, id, cluster).is_ok() {
                seen += 1;
                if rng.random_range(0..seen) == 0 {
                    chosen = Some(id);
                }
            }
        }
        chosen.map_or(Decision::Unschedulable, Decision::Bind)
    }
}

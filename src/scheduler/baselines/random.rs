//! Random: a uniformly random feasible node (reservoir sampling over all nodes).

use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;
use crate::engine::rng::SimRng;
use crate::scheduler::framework::FilterChain;
use crate::scheduler::plugins::{FilterFailure, FilterPlugin};
use crate::scheduler::{Decision, Scheduler};
use rand::Rng;

/// The random baseline.
pub struct RandomFit {
    filters: FilterChain,
}

impl RandomFit {
    /// Creates the baseline with the given filters.
    pub fn new(filters: Vec<Box<dyn FilterPlugin>>) -> Self {
        RandomFit {
            filters: FilterChain::new(filters),
        }
    }
}

impl Scheduler for RandomFit {
    fn name(&self) -> &str {
        "random"
    }

    fn feasible(&mut self, pod: PodId, node: NodeId, cluster: &ClusterState) -> bool {
        self.filters.prepare_and_check(pod, node, cluster)
    }

    fn filter_statuses(
        &mut self,
        pod: PodId,
        cluster: &ClusterState,
        out: &mut Vec<Result<(), FilterFailure>>,
    ) {
        self.filters.statuses(pod, cluster, out);
    }

    fn filter_statuses_on(
        &mut self,
        pod: PodId,
        nodes: &[NodeId],
        cluster: &ClusterState,
        out: &mut Vec<Result<(), FilterFailure>>,
    ) {
        self.filters.statuses_on(pod, nodes, cluster, out);
    }

    /// Its filters decide alone (an unschedulable pod passed none), and it draws only per feasible
    /// node.
    fn node_local_verdicts(&mut self, pod: PodId, cluster: &ClusterState) -> bool {
        self.filters.node_local(pod, cluster)
    }

    fn schedule(&mut self, pod: PodId, cluster: &ClusterState, rng: &mut SimRng) -> Decision {
        self.filters.prepare(pod, cluster);
        let mut chosen = None;
        let mut seen = 0u32;
        for &id in &cluster.live_nodes {
            if self.filters.check(pod, id, cluster).is_ok() {
                seen += 1;
                if rng.random_range(0..seen) == 0 {
                    chosen = Some(id);
                }
            }
        }
        chosen.map_or(Decision::Unschedulable, Decision::Bind)
    }
}

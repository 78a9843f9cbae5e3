//! First-fit: the feasible node with the lowest id (in creation order).

use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;
use crate::engine::rng::SimRng;
use crate::scheduler::framework::FilterChain;
use crate::scheduler::plugins::{FilterFailure, FilterPlugin};
use crate::scheduler::{Decision, Scheduler};

/// The first-fit baseline.
pub struct FirstFit {
    filters: FilterChain,
}

impl FirstFit {
    /// Creates the baseline with the given filters.
    pub fn new(filters: Vec<Box<dyn FilterPlugin>>) -> Self {
        FirstFit {
            filters: FilterChain::new(filters),
        }
    }
}

impl Scheduler for FirstFit {
    fn name(&self) -> &str {
        "first-fit"
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

    /// Its filters decide alone (an unschedulable pod passed none), and there is no state or draw.
    fn node_local_verdicts(&mut self, pod: PodId, cluster: &ClusterState) -> bool {
        self.filters.node_local(pod, cluster)
    }

    fn schedule(&mut self, pod: PodId, cluster: &ClusterState, _: &mut SimRng) -> Decision {
        self.filters.prepare(pod, cluster);
        cluster
            .live_nodes
            .iter()
            .copied()
            .find(|&n| self.filters.check(pod, n, cluster).is_ok())
            .map_or(Decision::Unschedulable, Decision::Bind)
    }
}

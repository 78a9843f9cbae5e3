//! Best-fit: the feasible node left with the least free capacity after placement, measured as
//! the sum over cpu and memory of (free after placement / allocatable). Ties go to the lowest id.

use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;
use crate::engine::rng::SimRng;
use crate::scheduler::framework::FilterChain;
use crate::scheduler::plugins::{FilterFailure, FilterPlugin};
use crate::scheduler::{Decision, Scheduler};

/// The best-fit baseline.
pub struct BestFit {
    filters: FilterChain,
}

impl BestFit {
    /// Creates the baseline with the given filters.
    pub fn new(filters: Vec<Box<dyn FilterPlugin>>) -> Self {
        BestFit {
            filters: FilterChain::new(filters),
        }
    }
}

/// Leftover fraction of `free − request` over `allocatable` (0 when nothing is allocatable).
fn leftover(free: u64, request: u64, allocatable: u64) -> f64 {
    if allocatable == 0 {
        0.0
    } else {
        free.saturating_sub(request) as f64 / allocatable as f64
    }
}

impl Scheduler for BestFit {
    fn name(&self) -> &str {
        "best-fit"
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
        let req = cluster.pods[pod.0 as usize].requests;
        let mut best = None;
        let mut best_left = f64::INFINITY;
        for &id in &cluster.live_nodes {
            if self.filters.check(pod, id, cluster).is_err() {
                continue;
            }
            let node = &cluster.nodes[id.0 as usize];
            let free = node.free();
            let left = leftover(free.cpu_milli, req.cpu_milli, node.allocatable.cpu_milli)
                + leftover(
                    free.memory_bytes,
                    req.memory_bytes,
                    node.allocatable.memory_bytes,
                );
            if left < best_left {
                best_left = left;
                best = Some(id);
            }
        }
        best.map_or(Decision::Unschedulable, Decision::Bind)
    }
}

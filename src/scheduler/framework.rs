//! The filter/score scheduling framework, following one kube-scheduler cycle
//! (pkg/scheduler/schedule_one.go): filter nodes round-robin from where the last cycle stopped
//! until enough feasible nodes are found, score them with weighted plugins, pick the best with
//! uniform random tie-breaking.

use super::plugins::{FilterFailure, FilterPlugin, ScorePlugin};
use super::{Decision, Scheduler};
use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;
use crate::engine::rng::SimRng;
use rand::Rng;

/// Below this many nodes every node is checked (`minFeasibleNodesToFind`).
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// Lower bound of the adaptive percentage (`minFeasibleNodesPercentageToFind`).
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;

/// How many feasible nodes to find before scoring (`numFeasibleNodesToFind`).
///
/// `percentage` is `percentageOfNodesToScore`; 0 selects the adaptive default
/// `max(5, 50 − nodes/125)`%.
pub fn num_feasible_nodes_to_find(num_all_nodes: usize, percentage: u32) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut p = percentage as usize;
    if p == 0 {
        p = 50usize
            .saturating_sub(num_all_nodes / 125)
            .max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    }
    if p >= 100 {
        return num_all_nodes;
    }
    (num_all_nodes * p / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// An ordered list of filter plugins, prepared once per pod and then checked per node.
pub struct FilterChain {
    filters: Vec<Box<dyn FilterPlugin>>,
    prepared_for: Option<PodId>,
}

impl FilterChain {
    /// A chain of `filters`, run in order.
    pub fn new(filters: Vec<Box<dyn FilterPlugin>>) -> Self {
        FilterChain {
            filters,
            prepared_for: None,
        }
    }

    /// Runs every plugin's PreFilter for `pod`. Must be called whenever the pod or the
    /// cluster changed since the last call (each scheduling attempt).
    pub fn prepare(&mut self, pod: PodId, cluster: &ClusterState) {
        let p = &cluster.pods[pod.0 as usize];
        for f in &mut self.filters {
            f.pre_filter(p, cluster);
        }
        self.prepared_for = Some(pod);
    }

    /// Runs every filter on one node for the prepared pod; the first failure wins.
    #[inline]
    pub fn check(
        &self,
        pod: PodId,
        node: NodeId,
        cluster: &ClusterState,
    ) -> Result<(), FilterFailure> {
        debug_assert_eq!(
            self.prepared_for,
            Some(pod),
            "FilterChain::prepare not called"
        );
        let p = &cluster.pods[pod.0 as usize];
        let n = &cluster.nodes[node.0 as usize];
        for f in &self.filters {
            f.filter(p, n, cluster)?;
        }
        Ok(())
    }

    /// Prepares for `pod` and checks one node (for one-off feasibility questions).
    pub fn prepare_and_check(&mut self, pod: PodId, node: NodeId, cluster: &ClusterState) -> bool {
        self.prepare(pod, cluster);
        self.check(pod, node, cluster).is_ok()
    }

    /// Plugin names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.filters.iter().map(|f| f.name()).collect()
    }
}

/// A score plugin with its weight.
pub struct WeightedScorer {
    /// The plugin.
    pub plugin: Box<dyn ScorePlugin>,
    /// Weight multiplied into its normalized score.
    pub weight: i64,
}

/// A scheduling profile: filters, weighted scorers and node sampling.
pub struct Framework {
    name: String,
    filters: FilterChain,
    scorers: Vec<WeightedScorer>,
    percentage_of_nodes_to_score: u32,
    next_start_node_index: usize,
    // Scratch buffers reused across cycles (no allocation per decision).
    feasible: Vec<NodeId>,
    totals: Vec<i64>,
    plugin_scores: Vec<i64>,
    active: Vec<bool>,
}

impl Framework {
    /// Builds a profile named `name` (0 `percentage_of_nodes_to_score` = adaptive).
    pub fn new(
        name: impl Into<String>,
        filters: Vec<Box<dyn FilterPlugin>>,
        scorers: Vec<WeightedScorer>,
        percentage_of_nodes_to_score: u32,
    ) -> Self {
        Framework {
            name: name.into(),
            filters: FilterChain::new(filters),
            scorers,
            percentage_of_nodes_to_score,
            next_start_node_index: 0,
            feasible: Vec::new(),
            totals: Vec::new(),
            plugin_scores: Vec::new(),
            active: Vec::new(),
        }
    }

    /// Names of the filter plugins, in order.
    pub fn filter_names(&self) -> Vec<&str> {
        self.filters.names()
    }

    /// (name, weight) of the score plugins, in order.
    pub fn scorer_names(&self) -> Vec<(&str, i64)> {
        self.scorers
            .iter()
            .map(|s| (s.plugin.name(), s.weight))
            .collect()
    }
}

/// Picks uniformly among the indices with the maximum score by reservoir sampling
/// (`selectHost`): the k-th tied node replaces the candidate with probability 1/k.
pub fn select_host(scores: &[i64], rng: &mut SimRng) -> usize {
    let mut best = 0;
    let mut best_score = i64::MIN;
    let mut ties = 0u32;
    for (i, &s) in scores.iter().enumerate() {
        if s > best_score {
            best_score = s;
            best = i;
            ties = 1;
        } else if s == best_score {
            ties += 1;
            if rng.random_range(0..ties) == 0 {
                best = i;
            }
        }
    }
    best
}

impl Scheduler for Framework {
    fn name(&self) -> &str {
        &self.name
    }

    fn feasible(&mut self, pod: PodId, node: NodeId, cluster: &ClusterState) -> bool {
        self.filters.prepare_and_check(pod, node, cluster)
    }

    fn schedule(&mut self, pod_id: PodId, cluster: &ClusterState, rng: &mut SimRng) -> Decision {
        let nodes = &cluster.live_nodes;
        let n = nodes.len();
        if n == 0 {
            return Decision::Unschedulable;
        }
        let to_find = num_feasible_nodes_to_find(n, self.percentage_of_nodes_to_score);
        self.feasible.clear();
        self.filters.prepare(pod_id, cluster);
        let start = self.next_start_node_index % n;
        let mut processed = 0;
        let mut index = start;
        for k in 0..n {
            let node = nodes[index];
            index += 1;
            if index == n {
                index = 0;
            }
            processed = k + 1;
            if self.filters.check(pod_id, node, cluster).is_ok() {
                self.feasible.push(node);
                if self.feasible.len() >= to_find {
                    break;
                }
            }
        }
        self.next_start_node_index = (start + processed) % n;
        match self.feasible.len() {
            0 => return Decision::Unschedulable,
            1 => return Decision::Bind(self.feasible[0]),
            _ => {}
        }
        let pod = &cluster.pods[pod_id.0 as usize];
        let m = self.feasible.len();
        self.totals.clear();
        self.totals.resize(m, 0);
        self.active.clear();
        for s in &mut self.scorers {
            self.active.push(s.plugin.pre_score(pod, cluster));
        }
        for (scorer, &active) in self.scorers.iter().zip(&self.active) {
            if !active {
                continue;
            }
            self.plugin_scores.clear();
            self.plugin_scores.extend(self.feasible.iter().map(|&id| {
                scorer
                    .plugin
                    .score(pod, &cluster.nodes[id.0 as usize], cluster)
            }));
            scorer.plugin.normalize(&mut self.plugin_scores);
            for (t, s) in self.totals.iter_mut().zip(&self.plugin_scores) {
                *t += s * scorer.weight;
            }
        }
        Decision::Bind(self.feasible[select_host(&self.totals, rng)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Stream, stream};

    #[test]
    fn feasible_node_count_matches_upstream_examples() {
        assert_eq!(num_feasible_nodes_to_find(10, 0), 10);
        assert_eq!(num_feasible_nodes_to_find(99, 0), 99);
        assert_eq!(num_feasible_nodes_to_find(1000, 0), 420);
        assert_eq!(num_feasible_nodes_to_find(6000, 0), 300);
        assert_eq!(num_feasible_nodes_to_find(1000, 40), 400);
        assert_eq!(num_feasible_nodes_to_find(1000, 100), 1000);
        assert_eq!(num_feasible_nodes_to_find(5000, 0), 500);
        assert_eq!(num_feasible_nodes_to_find(200, 10), 100);
    }

    #[test]
    fn select_host_is_uniform_among_ties() {
        let mut rng = stream(1, Stream::Scheduler);
        let scores = [5, 9, 3, 9, 9];
        let mut counts = [0; 5];
        for _ in 0..30_000 {
            counts[select_host(&scores, &mut rng)] += 1;
        }
        assert_eq!(counts[0] + counts[2], 0);
        for &c in &[counts[1], counts[3], counts[4]] {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
    }
}

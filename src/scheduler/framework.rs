//! The filter/score scheduling framework, following one kube-scheduler cycle
//! (pkg/scheduler/schedule_one.go): filter nodes round-robin from where the last cycle stopped
//! until enough feasible nodes are found, score them with weighted plugins, pick the best with
//! uniform random tie-breaking.

use super::explain::NodeExplanation;
use super::fused::{FusedKernel, FusedProfile};
use super::plugins::{FilterFailure, FilterPlugin, ScorePlugin};
use super::{Decision, Scheduler};
use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;
use crate::engine::rng::SimRng;
use rand::Rng;

/// Below this many nodes every node is checked (`minFeasibleNodesToFind`).
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// Nodes filtered per batch (one virtual call per filter plugin per batch).
const FILTER_CHUNK: usize = 32;
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

    /// Runs every filter over a batch of nodes for the prepared pod (see
    /// [`FilterPlugin::filter_chunk`]); `pass` must start all true and has one entry per node.
    #[inline]
    pub fn check_chunk(
        &self,
        pod: PodId,
        nodes: &[NodeId],
        cluster: &ClusterState,
        pass: &mut [bool],
    ) {
        debug_assert_eq!(
            self.prepared_for,
            Some(pod),
            "FilterChain::prepare not called"
        );
        let p = &cluster.pods[pod.0 as usize];
        for f in &self.filters {
            f.filter_chunk(p, nodes, cluster, pass);
        }
    }

    /// Prepares for `pod` and writes its verdict on every live node into `out` (in
    /// `cluster.live_nodes` order).
    pub fn statuses(
        &mut self,
        pod: PodId,
        cluster: &ClusterState,
        out: &mut Vec<Result<(), FilterFailure>>,
    ) {
        self.prepare(pod, cluster);
        out.clear();
        out.extend(
            cluster
                .live_nodes
                .iter()
                .map(|&node| self.check(pod, node, cluster)),
        );
    }

    /// Prepares for `pod` and writes its verdict on each of `nodes` into `out`, in order.
    pub fn statuses_on(
        &mut self,
        pod: PodId,
        nodes: &[NodeId],
        cluster: &ClusterState,
        out: &mut Vec<Result<(), FilterFailure>>,
    ) {
        self.prepare(pod, cluster);
        out.clear();
        out.extend(nodes.iter().map(|&node| self.check(pod, node, cluster)));
    }

    /// Whether every plugin's verdict for `pod` is node-local right now
    /// ([`FilterPlugin::node_local`]).
    pub fn node_local(&self, pod: PodId, cluster: &ClusterState) -> bool {
        let p = &cluster.pods[pod.0 as usize];
        self.filters.iter().all(|f| f.node_local(p, cluster))
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
    /// Single-pass evaluation when the profile has only fusable built-in plugins.
    fused: Option<FusedKernel>,
    // Scratch buffers reused across cycles (no allocation per decision).
    chunk: Vec<NodeId>,
    pass: Vec<bool>,
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
            fused: None,
            chunk: Vec::with_capacity(FILTER_CHUNK),
            pass: Vec::with_capacity(FILTER_CHUNK),
            feasible: Vec::new(),
            totals: Vec::new(),
            plugin_scores: Vec::new(),
            active: Vec::new(),
        }
    }

    /// Evaluates the profile with the fused single-pass kernel (see [`super::fused`]); the
    /// plugins must be exactly the built-ins `profile` describes.
    pub fn with_fused(mut self, profile: FusedProfile) -> Self {
        self.fused = Some(FusedKernel::new(profile));
        self
    }

    /// Whether decisions use the fused kernel.
    pub fn is_fused(&self) -> bool {
        self.fused.is_some()
    }

    /// Drops the fused kernel so decisions go through the plugins (for cross-checks).
    pub fn without_fused(mut self) -> Self {
        self.fused = None;
        self
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

/// Picks uniformly among the indices with the maximum score, like upstream `selectHost`
/// (which uses reservoir sampling over the ties). Here the ties are counted first and one draw
/// picks among them: the same uniform distribution with one random number instead of one per
/// tie. No draw is made when the maximum is unique.
pub fn select_host(scores: &[i64], rng: &mut SimRng) -> usize {
    let Some(&max) = scores.iter().max() else {
        return 0;
    };
    let ties = scores.iter().filter(|&&s| s == max).count();
    let mut pick = if ties > 1 {
        rng.random_range(0..ties)
    } else {
        0
    };
    for (i, &s) in scores.iter().enumerate() {
        if s == max {
            if pick == 0 {
                return i;
            }
            pick -= 1;
        }
    }
    unreachable!("the maximum occurs in the slice")
}

impl Scheduler for Framework {
    fn name(&self) -> &str {
        &self.name
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

    /// Its filters decide alone (an unschedulable pod passed none), and an unschedulable
    /// cycle draws nothing and ends where it started (it visited every node).
    fn node_local_verdicts(&mut self, pod: PodId, cluster: &ClusterState) -> bool {
        self.filters.node_local(pod, cluster)
    }

    /// PreFilter once, then the filters node by node (as one scheduling cycle would).
    fn first_feasible(
        &mut self,
        pod: PodId,
        nodes: &[NodeId],
        start: usize,
        cluster: &ClusterState,
        eligible: &dyn Fn(NodeId) -> bool,
    ) -> Option<usize> {
        if let Some(found) = self
            .fused
            .as_mut()
            .and_then(|k| k.first_feasible(pod, nodes, start, cluster, eligible))
        {
            return found;
        }
        let n = nodes.len();
        let mut prepared = false;
        for i in 0..n {
            let k = (start + i) % n;
            if !eligible(nodes[k]) {
                continue;
            }
            if !prepared {
                self.filters.prepare(pod, cluster);
                prepared = true;
            }
            if self.filters.check(pod, nodes[k], cluster).is_ok() {
                return Some(k);
            }
        }
        None
    }

    /// Filters every live node (not just the sampled ones) and scores all feasible nodes with
    /// every plugin; normalization runs over that whole feasible set.
    fn explain_placement(
        &mut self,
        pod_id: PodId,
        cluster: &ClusterState,
    ) -> Option<Vec<NodeExplanation>> {
        self.filters.prepare(pod_id, cluster);
        let mut out: Vec<NodeExplanation> = Vec::new();
        let mut feasible = Vec::new();
        for &id in &cluster.live_nodes {
            let verdict = self.filters.check(pod_id, id, cluster);
            if verdict.is_ok() {
                feasible.push((id, out.len()));
            }
            out.push(NodeExplanation {
                node: cluster.nodes[id.0 as usize].name.clone(),
                feasible: verdict.is_ok(),
                reasons: verdict
                    .err()
                    .map(|f| f.reason().to_owned())
                    .into_iter()
                    .collect(),
                scores: Default::default(),
                total: 0,
            });
        }
        let pod = &cluster.pods[pod_id.0 as usize];
        let ids: Vec<NodeId> = feasible.iter().map(|f| f.0).collect();
        for scorer in &mut self.scorers {
            if !scorer.plugin.pre_score_nodes(pod, &ids, cluster) {
                continue;
            }
            let mut scores = Vec::new();
            scorer.plugin.score_all(pod, &ids, cluster, &mut scores);
            scorer.plugin.normalize(&mut scores);
            for (&(_, row), s) in feasible.iter().zip(&scores) {
                out[row].scores.insert(scorer.plugin.name().to_owned(), *s);
                out[row].total += s * scorer.weight;
            }
        }
        Some(out)
    }

    fn schedule(&mut self, pod_id: PodId, cluster: &ClusterState, rng: &mut SimRng) -> Decision {
        let nodes = &cluster.live_nodes;
        let n = nodes.len();
        if n == 0 {
            return Decision::Unschedulable;
        }
        if let Some(kernel) = self.fused.as_mut().filter(|k| {
            k.profile()
                .handles(&cluster.pods[pod_id.0 as usize], cluster)
        }) {
            let pct = self.percentage_of_nodes_to_score;
            return kernel
                .schedule(pod_id, cluster, rng, pct, &mut self.next_start_node_index)
                .map_or(Decision::Unschedulable, Decision::Bind);
        }
        let to_find = num_feasible_nodes_to_find(n, self.percentage_of_nodes_to_score);
        self.feasible.clear();
        self.filters.prepare(pod_id, cluster);
        let start = self.next_start_node_index % n;
        // Filter in batches, in the same order and with the same stopping point as a
        // node-by-node scan: `processed` counts nodes up to the last feasible one needed.
        let mut processed = 0;
        let mut index = start;
        while processed < n && self.feasible.len() < to_find {
            let len = FILTER_CHUNK.min(n - processed);
            self.chunk.clear();
            for _ in 0..len {
                self.chunk.push(nodes[index]);
                index += 1;
                if index == n {
                    index = 0;
                }
            }
            self.pass.clear();
            self.pass.resize(len, true);
            self.filters
                .check_chunk(pod_id, &self.chunk, cluster, &mut self.pass);
            for (&node, &ok) in self.chunk.iter().zip(&self.pass) {
                processed += 1;
                if ok {
                    self.feasible.push(node);
                    if self.feasible.len() >= to_find {
                        break;
                    }
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
            self.active
                .push(s.plugin.pre_score_nodes(pod, &self.feasible, cluster));
        }
        for (scorer, &active) in self.scorers.iter().zip(&self.active) {
            if !active {
                continue;
            }
            self.plugin_scores.clear();
            scorer
                .plugin
                .score_all(pod, &self.feasible, cluster, &mut self.plugin_scores);
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
    use rand::Rng;

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

    /// A random cluster: three pools (one with a NoSchedule taint, one with two
    /// PreferNoSchedule taints), some cordoned nodes, random bound pods; and random incoming
    /// pods, some tolerating the taints, some BestEffort.
    fn random_cluster(seed: u64, nodes: usize, soft_taints: bool) -> (ClusterState, Vec<PodId>) {
        use crate::cluster::NewPod;
        use crate::cluster::labels::{Labels, Taint, TaintEffect, Toleration, TolerationOperator};
        use crate::cluster::node::NodePool;
        use crate::cluster::pod::{PodName, PodTemplate};
        use crate::cluster::resources::Resources;
        use crate::engine::time::SimTime;
        let mut rng = stream(seed, Stream::Source(9));
        let mut c = ClusterState::default();
        let (k, v, e) = (
            c.interner.intern("k"),
            c.interner.intern("v"),
            c.interner.intern(""),
        );
        let (p1, p2) = (c.interner.intern("soft1"), c.interner.intern("soft2"));
        let taint = |key, effect| Taint {
            key,
            value: v,
            effect,
        };
        let pool = |name: &str, cpu, mem, taints| NodePool {
            name: name.into(),
            instance_type: "t".into(),
            allocatable: Resources {
                cpu_milli: cpu,
                memory_bytes: mem,
                gpu_milli: 0,
                pods: 20,
            },
            labels: Labels::default(),
            taints,
            zone: "z".into(),
            hourly_price_usd: 1.0,
            spot: false,
        };
        let pools = [
            c.add_pool(pool("a", 4000, 16 << 30, vec![])),
            c.add_pool(pool(
                "b",
                8000,
                8 << 30,
                vec![taint(k, TaintEffect::NoSchedule)],
            )),
            c.add_pool(pool(
                "c",
                16_000,
                64 << 30,
                if soft_taints {
                    vec![
                        taint(p1, TaintEffect::PreferNoSchedule),
                        taint(p2, TaintEffect::PreferNoSchedule),
                    ]
                } else {
                    vec![]
                },
            )),
        ];
        let tol = |key| Toleration {
            key: Some(key),
            operator: TolerationOperator::Exists,
            value: e,
            effect: None,
            toleration_ms: None,
        };
        let plain = c.add_template(PodTemplate::default());
        let pressure = c.interner.intern(crate::cluster::TAINT_MEMORY_PRESSURE);
        let tolerant = c.add_template(PodTemplate {
            labels: Labels::default(),
            tolerations: vec![tol(k), tol(p1), tol(pressure)],
            ..Default::default()
        });
        // Pods with node affinity take the plugin path between kernel-handled pods.
        use crate::cluster::affinity::{NodeAffinity, Requirement, SelectorOperator};
        let host_key = c.interner.intern("kubernetes.io/hostname");
        let (n0, n1, n5) = (
            c.interner.intern("n0"),
            c.interner.intern("n1"),
            c.interner.intern("n5"),
        );
        let term = |operator, values| {
            vec![Requirement {
                key: host_key,
                operator,
                values,
                number: 0,
            }]
        };
        let picky = c.add_template(PodTemplate {
            node_affinity: NodeAffinity {
                node_selector: vec![],
                required: Some(vec![term(SelectorOperator::NotIn, vec![n0, n1])]),
                preferred: vec![(50, term(SelectorOperator::In, vec![n5]))],
            },
            ..Default::default()
        });
        let prefix = c.add_name_prefix("p");
        let mut ordinal = 0;
        let mut new_pod = |c: &mut ClusterState, rng: &mut SimRng| {
            ordinal += 1;
            let best_effort = rng.random_range(0..8) == 0;
            let requests = if best_effort {
                Resources::ZERO
            } else {
                Resources::cpu_mem(rng.random_range(0..3000), rng.random_range(0..6u64) << 30)
            };
            let template = match rng.random_range(0..6) {
                0 | 1 => tolerant,
                2 => picky,
                _ => plain,
            };
            c.create_pod(
                NewPod::bare(
                    PodName {
                        prefix,
                        ordinal,
                        width: 0,
                    },
                    requests,
                    template,
                ),
                SimTime::ZERO,
            )
        };
        for i in 0..nodes {
            let node = c.add_node(pools[i % 3], format!("n{i}"), None, SimTime::ZERO);
            c.set_unschedulable(node, rng.random_range(0..10) == 0);
            for _ in 0..rng.random_range(0..4) {
                let p = new_pod(&mut c, &mut rng);
                let (n, pod) = (&c.nodes[node.0 as usize], &c.pods[p.0 as usize]);
                if crate::scheduler::plugins::node_resources_fit::fits_request(pod, n).is_ok() {
                    c.bind(p, node, SimTime::ZERO);
                }
            }
        }
        let incoming = (0..200).map(|_| new_pod(&mut c, &mut rng)).collect();
        (c, incoming)
    }

    #[test]
    fn fused_kernel_decides_exactly_like_the_plugins() {
        use crate::scenario::spec::{
            PluginConfigSpec, PluginRef, ResourceWeight, SchedulerSpec, ScoringStrategySpec,
        };
        let most = PluginConfigSpec {
            name: "NodeResourcesFit".into(),
            args: crate::scenario::spec::PluginArgs {
                scoring_strategy: Some(ScoringStrategySpec {
                    kind: "MostAllocated".into(),
                    resources: Some(vec![
                        ResourceWeight {
                            name: "cpu".into(),
                            weight: 3,
                        },
                        ResourceWeight {
                            name: "memory".into(),
                            weight: 1,
                        },
                    ]),
                    requested_to_capacity_ratio: None,
                }),
                ..Default::default()
            },
        };
        let mut reweighted = SchedulerSpec::default();
        reweighted.plugins.score.enabled = vec![PluginRef {
            name: "TaintToleration".into(),
            weight: Some(7),
        }];
        reweighted.plugins.score.disabled = vec![PluginRef {
            name: "NodeResourcesBalancedAllocation".into(),
            weight: None,
        }];
        let specs = [
            SchedulerSpec::default(),
            SchedulerSpec {
                percentage_of_nodes_to_score: 100,
                ..SchedulerSpec::default()
            },
            SchedulerSpec {
                plugin_config: vec![most],
                percentage_of_nodes_to_score: 30,
                ..SchedulerSpec::default()
            },
            reweighted,
        ];
        for (case, spec) in specs.iter().enumerate() {
            for (seed, nodes, soft) in [
                (1, 7, true),
                (2, 150, true),
                (3, 400, true),
                (4, 150, false),
                (5, 400, false),
            ] {
                let (mut cluster, pods) = random_cluster(seed, nodes, soft);
                let fused = crate::scheduler::build_profile(spec, &mut cluster).unwrap();
                assert!(fused.is_fused(), "case {case} should use the kernel");
                let mut plain = crate::scheduler::build_profile(spec, &mut cluster)
                    .unwrap()
                    .without_fused();
                let mut fused = fused;
                let (mut r1, mut r2) = (
                    stream(seed, Stream::Scheduler),
                    stream(seed, Stream::Scheduler),
                );
                for &pod in &pods {
                    // The autoscaler's feasibility scans, from several starts, with and
                    // without nodes left out.
                    let live = cluster.live_nodes.clone();
                    let some: &dyn Fn(NodeId) -> bool = &|n| n.0 % 3 != 0;
                    for start in [
                        0,
                        pod.0 as usize % live.len(),
                        live.len() - 1,
                        live.len() + 2,
                    ] {
                        for eligible in [&|_| true, some] {
                            assert_eq!(
                                fused.first_feasible(pod, &live, start, &cluster, eligible),
                                plain.first_feasible(pod, &live, start, &cluster, eligible),
                                "case {case}, seed {seed}, pod {pod:?}, start {start}"
                            );
                        }
                    }
                    let a = fused.schedule(pod, &cluster, &mut r1);
                    let b = plain.schedule(pod, &cluster, &mut r2);
                    assert_eq!(a, b, "case {case}, seed {seed}, pod {pod:?}");
                    if let Decision::Bind(node) = a {
                        cluster.bind(pod, node, crate::engine::time::SimTime::ZERO);
                        // Now and then cordon or uncordon the chosen node, or free capacity.
                        match pod.0 % 7 {
                            0 => cluster.set_unschedulable(node, true),
                            1 => {
                                let n =
                                    cluster.live_nodes[pod.0 as usize % cluster.live_nodes.len()];
                                cluster.set_unschedulable(n, false);
                            }
                            2 => {
                                cluster.terminate(
                                    pod,
                                    crate::cluster::pod::PodPhase::Succeeded,
                                    crate::engine::time::SimTime::ZERO,
                                );
                            }
                            // Node taints (NotReady): one tolerated by the tolerant pods, one by
                            // none; and their removal.
                            3 | 4 => {
                                use crate::cluster::labels::{Taint, TaintEffect};
                                let (key, effect) = if pod.0 % 7 == 3 {
                                    ("k", TaintEffect::NoExecute)
                                } else {
                                    ("unreachable", TaintEffect::NoSchedule)
                                };
                                let taint = Taint {
                                    key: cluster.interner.intern(key),
                                    value: cluster.interner.intern(""),
                                    effect,
                                };
                                let n =
                                    cluster.live_nodes[pod.0 as usize % cluster.live_nodes.len()];
                                cluster.add_node_taint(n, taint);
                            }
                            5 => {
                                use crate::cluster::labels::TaintEffect;
                                let n = cluster.live_nodes
                                    [(pod.0 as usize * 3) % cluster.live_nodes.len()];
                                let k = cluster.interner.intern("k");
                                let u = cluster.interner.intern("unreachable");
                                cluster.remove_node_taint(n, k, TaintEffect::NoExecute);
                                cluster.remove_node_taint(n, u, TaintEffect::NoSchedule);
                            }
                            // Memory pressure comes and goes.
                            6 => {
                                let n = cluster.live_nodes
                                    [(pod.0 as usize * 5) % cluster.live_nodes.len()];
                                let pressure = !cluster.nodes[n.0 as usize].memory_pressure;
                                cluster.set_memory_pressure(n, pressure);
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }

    /// The kernel's feasibility scans keep per-template facts between calls; memory pressure
    /// switching on and off under the same pod must still be seen.
    #[test]
    fn feasibility_scans_follow_memory_pressure() {
        let (mut cluster, pods) = random_cluster(7, 12, false);
        let spec = crate::scenario::spec::SchedulerSpec::default();
        let mut fused = crate::scheduler::build_profile(&spec, &mut cluster).unwrap();
        assert!(fused.is_fused());
        let mut plain = crate::scheduler::build_profile(&spec, &mut cluster)
            .unwrap()
            .without_fused();
        let live = cluster.live_nodes.clone();
        let (mut kept_out, mut let_in) = (0, 0);
        for &pod in pods.iter().take(60) {
            for pressure in [false, true, false, true] {
                for &n in &live {
                    cluster.set_memory_pressure(n, pressure);
                }
                let a = fused.first_feasible(pod, &live, 0, &cluster, &|_| true);
                let b = plain.first_feasible(pod, &live, 0, &cluster, &|_| true);
                assert_eq!(a, b, "pod {pod:?}, pressure {pressure}");
                if pressure {
                    kept_out += usize::from(a.is_none());
                    let_in += usize::from(a.is_some());
                }
            }
        }
        // Both outcomes occur: plain pods are kept out, tolerant ones let in.
        assert!(kept_out > 0 && let_in > 0, "{kept_out} {let_in}");
    }

    /// Long random sequences of decisions, binds, terminations, cordons, node additions and
    /// removals, with a few recurring pod shapes (more than the kernel caches), checked decision
    /// by decision against the plugin path. Full scans exercise the kernel's per-shape index
    /// (incremental updates, rebuilds after bursts that overflow the change log, growth, and
    /// removals); the sampled case exercises the memo under the same churn.
    #[test]
    fn fused_kernel_follows_long_mutation_sequences() {
        use crate::cluster::NewPod;
        use crate::cluster::labels::{Labels, Toleration, TolerationOperator};
        use crate::cluster::node::{NodeState, PoolId};
        use crate::cluster::pod::{PodName, PodPhase, PodTemplate};
        use crate::cluster::resources::Resources;
        use crate::engine::time::SimTime;
        // (seed, nodes, PreferNoSchedule taints, percentageOfNodesToScore, shrink). A shrinking
        // cluster drops from sampling (which moves the round-robin start) to full scans (which
        // keep it), so full scans start mid-list.
        for (seed, nodes, soft, pct, shrink) in [
            (11, 60, false, 100, false),
            (12, 40, false, 0, false),
            (13, 90, true, 100, false),
            (14, 150, false, 100, false),
            (15, 150, false, 0, false),
            (16, 125, false, 0, true),
        ] {
            let (mut cluster, _) = random_cluster(seed, nodes, soft);
            let spec = crate::scenario::spec::SchedulerSpec {
                percentage_of_nodes_to_score: pct,
                ..Default::default()
            };
            let mut fused = crate::scheduler::build_profile(&spec, &mut cluster).unwrap();
            assert!(fused.is_fused());
            let mut plain = crate::scheduler::build_profile(&spec, &mut cluster)
                .unwrap()
                .without_fused();
            let plain_template = cluster.add_template(PodTemplate::default());
            let (k, soft1, empty) = (
                cluster.interner.intern("k"),
                cluster.interner.intern("soft1"),
                cluster.interner.intern(""),
            );
            let tolerant = cluster.add_template(PodTemplate {
                labels: Labels::default(),
                tolerations: [k, soft1]
                    .map(|key| Toleration {
                        key: Some(key),
                        operator: TolerationOperator::Exists,
                        value: empty,
                        effect: None,
                        toleration_ms: None,
                    })
                    .to_vec(),
                ..Default::default()
            });
            let prefix = cluster.add_name_prefix("q");
            // Six recurring shapes, one of which fits nowhere.
            let shapes = [
                (Resources::cpu_mem(500, 1 << 30), plain_template),
                (Resources::cpu_mem(1000, 2 << 30), plain_template),
                (Resources::cpu_mem(500, 1 << 30), tolerant),
                (Resources::cpu_mem(2500, 4 << 30), tolerant),
                (Resources::ZERO, plain_template),
                (Resources::cpu_mem(100_000, 1 << 30), plain_template),
            ];
            // A quarter of the pods take one of as many rarer shapes as the kernel caches, so
            // shapes also fall out of the cache and come back.
            let rare: Vec<_> = (1..=crate::scheduler::fused::SHAPE_SLOTS as u64)
                .map(|i| {
                    let template = if i % 2 == 0 { tolerant } else { plain_template };
                    (Resources::cpu_mem(150 * i, (i << 28) + (1 << 28)), template)
                })
                .collect();
            let mut rng = stream(seed, Stream::Source(10));
            let (mut r1, mut r2) = (
                stream(seed, Stream::Scheduler),
                stream(seed, Stream::Scheduler),
            );
            let mut running: Vec<PodId> = Vec::new();
            let mut booting = Vec::new();
            let mut ordinal = 0;
            let mut decisions = 0;
            for step in 0..1000 {
                let op = rng.random_range(0..100);
                match op {
                    0..55 => {
                        let (requests, template) = if rng.random_range(0..4) == 0 {
                            rare[rng.random_range(0..rare.len())]
                        } else {
                            shapes[rng.random_range(0..shapes.len())]
                        };
                        ordinal += 1;
                        let name = PodName {
                            prefix,
                            ordinal,
                            width: 0,
                        };
                        let pod = cluster
                            .create_pod(NewPod::bare(name, requests, template), SimTime::ZERO);
                        // Sometimes decide twice on an unchanged cluster (a what-if).
                        for _ in 0..1 + rng.random_range(0..2) {
                            let a = fused.schedule(pod, &cluster, &mut r1);
                            let b = plain.schedule(pod, &cluster, &mut r2);
                            assert_eq!(a, b, "seed {seed}, step {step}");
                            decisions += 1;
                        }
                        match fused.schedule(pod, &cluster, &mut r1) {
                            Decision::Bind(node) => {
                                assert_eq!(
                                    plain.schedule(pod, &cluster, &mut r2),
                                    Decision::Bind(node)
                                );
                                cluster.bind(pod, node, SimTime::ZERO);
                                running.push(pod);
                            }
                            Decision::Unschedulable => {
                                let b = plain.schedule(pod, &cluster, &mut r2);
                                assert_eq!(b, Decision::Unschedulable);
                                cluster.terminate(pod, PodPhase::Failed, SimTime::ZERO);
                            }
                        }
                    }
                    55..80 if !running.is_empty() => {
                        let pod = running.swap_remove(rng.random_range(0..running.len()));
                        cluster.terminate(pod, PodPhase::Succeeded, SimTime::ZERO);
                    }
                    80..92 => {
                        let live = &cluster.live_nodes;
                        let node = live[rng.random_range(0..live.len())];
                        let cordon = rng.random_range(0..3) == 0;
                        cluster.set_unschedulable(node, cordon);
                    }
                    92..96 if !shrink => {
                        // A node ready at once, or one that boots first; booting nodes become
                        // ready in random order, so the node list leaves id order.
                        let pool = PoolId(rng.random_range(0..3));
                        let name = format!("extra{step}");
                        match rng.random_range(0..3) {
                            0 => {
                                cluster.add_node(pool, name, None, SimTime::ZERO);
                            }
                            1 => booting.push(cluster.add_provisioning_node(
                                pool,
                                name,
                                None,
                                SimTime::ZERO,
                            )),
                            _ if !booting.is_empty() => {
                                let node = booting.swap_remove(rng.random_range(0..booting.len()));
                                cluster.node_ready(node, SimTime::ZERO);
                            }
                            _ => {}
                        }
                    }
                    96..98 => {
                        // A burst of changes: past the change log, or past the rebuild limit.
                        let burst = if rng.random_range(0..2) == 0 {
                            crate::cluster::node_changes::NodeChangeLog::CAPACITY + 10
                        } else {
                            70
                        };
                        for _ in 0..burst {
                            let live = &cluster.live_nodes;
                            let node = live[rng.random_range(0..live.len())];
                            cluster.set_unschedulable(node, false);
                        }
                    }
                    92..100 if cluster.live_nodes.len() > 5 && (shrink || op >= 98) => {
                        // A node removal as a future `remove_node` would do it (order kept),
                        // with or without a version bump; its pods keep running off the list.
                        let i = rng.random_range(0..cluster.live_nodes.len());
                        let node = cluster.live_nodes.remove(i);
                        cluster.live_layout += 1;
                        cluster.nodes[node.0 as usize].state = NodeState::Removed;
                        if step % 2 == 0 {
                            cluster.touch_node(node);
                        }
                    }
                    _ => {}
                }
            }
            assert!(decisions > 500, "seed {seed}: {decisions} decisions");
            assert!(
                shrink || !cluster.live_nodes.is_sorted(),
                "seed {seed}: nodes joined in id order only"
            );
            assert_eq!(
                r1.random::<u64>(),
                r2.random::<u64>(),
                "seed {seed}: same number of draws"
            );
        }
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

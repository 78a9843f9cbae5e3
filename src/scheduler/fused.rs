//! A fused single-pass evaluation of profiles made only of the built-in resource and taint
//! plugins (NodeUnschedulable, TaintToleration, NodeResourcesFit with Least/MostAllocated over
//! cpu and memory, NodeResourcesBalancedAllocation over cpu and memory).
//!
//! The plugin framework evaluates each plugin over all candidate nodes in turn, touching every
//! node's memory once per plugin. Here each node is read once: filters run and, if the node is
//! feasible, its raw scores are computed right away (the feasible nodes up to the sampling limit
//! are exactly the ones upstream scores). The arithmetic is the plugins' own functions, the
//! normalization and weighting are the same, and the random tie-break consumes the same draws,
//! so decisions are identical to the plugin path (checked by a test in `framework.rs`).
//!
//! Results are also memoized: a node's filter verdict and raw scores depend only on the node's
//! scheduling state and on the pod's requests and template, so they are cached per pod shape
//! (the last few shapes seen) and per node, and reused while the node's version
//! (`ClusterState::node_versions`, bumped by every bind, termination and cordon) is unchanged.
//! Between two decisions usually one or two nodes change, so a workload with recurring pod
//! shapes re-evaluates almost nothing.
//!
//! When the TaintToleration score is the same for every candidate node (no PreferNoSchedule
//! taint the pod does not tolerate), a node's total is its cached partial sum, and a shape also
//! keeps a [`best_index::BestIndex`]: a tournament tree with one leaf per position in
//! `live_nodes` holding each feasible node's total. It is brought up to date from
//! `ClusterState::node_changes` (only the nodes that joined or changed since the shape's last
//! decision are re-evaluated; a node leaving the list, `ClusterState::live_layout`, forces a
//! rebuild). The tree's feasible counts find where upstream's scan would stop (the
//! `to_find`-th feasible node from the round-robin start, or a full turn), and its range
//! queries give the best total, the number of ties and the tie the random draw selects in
//! scan order, all in O(log nodes) instead of a pass over the sampled nodes. A shape's first
//! sampled decision scans the sampled nodes instead (`scan_for_best`: one pass keeping the
//! best total and its ties, a second finding the drawn tie), so one-off shapes never pay for
//! evaluating every node. Pods whose TaintToleration score varies take a scan that normalizes
//! it over the sampled nodes.

mod best_index;

use super::framework::{num_feasible_nodes_to_find, select_host};
use super::plugins::balanced_allocation::balanced_score;
use super::plugins::node_resources_fit::{div_floor, div_floor_recip, fits_request};
use super::plugins::taint_toleration::{
    PoolVerdicts, intolerable_prefer_no_schedule, tolerates_node_taints,
};
use super::plugins::{MAX_NODE_SCORE, default_normalize_score};
use crate::cluster::ClusterState;
use crate::cluster::labels::{Taint, tolerated};
use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::{Pod, PodId, PodTemplate, TemplateId};
use crate::cluster::resources::Resources;
use crate::engine::rng::SimRng;
use best_index::BestIndex;
use rand::Rng;

/// Which built-in plugins a profile uses, and with which weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FusedProfile {
    /// NodeUnschedulable filter enabled (with the interned unschedulable taint).
    pub node_unschedulable: Option<Taint>,
    /// TaintToleration filter enabled.
    pub taint_filter: bool,
    /// NodeResourcesFit filter enabled.
    pub fit_filter: bool,
    /// NodeResourcesFit score: (weight, least-allocated?, cpu weight, memory weight).
    pub fit_score: Option<(i64, bool, i64, i64)>,
    /// NodeResourcesBalancedAllocation score weight (cpu + memory).
    pub balanced_score: Option<i64>,
    /// TaintToleration score weight.
    pub taint_score: Option<i64>,
    /// NodeAffinity is in the profile: the kernel then only handles pods without a node
    /// selector or node affinity (for them the plugin passes every node and adds 0).
    pub node_affinity: bool,
    /// Pod-placement plugins whose verdicts depend on other pods or on the pod's own node
    /// name: the kernel handles only pods for which they pass every node and add 0.
    pub placement: PlacementPlugins,
}

/// The placement plugins of a profile the kernel does not evaluate itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlacementPlugins {
    /// NodeName filter enabled.
    pub node_name: bool,
    /// PodTopologySpread enabled as a filter or a scorer.
    pub spread: bool,
    /// PodTopologySpread scoring enabled (system default constraints apply).
    pub spread_score: bool,
    /// InterPodAffinity enabled as a filter or a scorer.
    pub inter_pod_affinity: bool,
}

impl FusedProfile {
    /// Whether the kernel decides exactly like the plugins for `pod`.
    pub fn handles(&self, pod: &Pod, cluster: &ClusterState) -> bool {
        let t = &cluster.templates[pod.template.0 as usize];
        self.handles_filters(pod, cluster)
            && (!self.placement.spread_score || t.default_spread_selector.is_none())
    }

    /// Whether the kernel's filter verdicts are exactly the plugins' for `pod` (its scores may
    /// still differ: the system default spread constraints score, but never filter).
    pub fn handles_filters(&self, pod: &Pod, cluster: &ClusterState) -> bool {
        self.template_filters_handled(&cluster.templates[pod.template.0 as usize])
            && !self.bound_pods_constrain(cluster)
    }

    /// The part of [`FusedProfile::handles_filters`] that depends on the pod's template only.
    fn template_filters_handled(&self, t: &PodTemplate) -> bool {
        let p = &self.placement;
        (!self.node_affinity || t.node_affinity.is_empty())
            && (!p.node_name || t.node_name.is_none())
            && (!p.spread || t.spread.is_empty())
            && (!p.inter_pod_affinity || t.pod_affinity.is_empty())
            // Extended resources are checked by the framework's NodeResourcesFit filter only.
            && t.extended.is_none()
    }

    /// Whether bound pods' inter-pod (anti-)affinity terms may filter any incoming pod.
    fn bound_pods_constrain(&self, cluster: &ClusterState) -> bool {
        self.placement.inter_pod_affinity && cluster.bound_pods_have_pod_affinity()
    }
}

/// What the kernel's filters need to know of a pod template: which pools' taints its
/// tolerations allow, and whether it tolerates the unschedulable and memory-pressure taints.
/// Kept for the last template filtered: a template's tolerations never change, and the
/// memory-pressure answer depends only on whether some node has memory pressure (see
/// [`ClusterState::tolerates_memory_pressure`]).
#[derive(Default)]
struct TemplateFacts {
    /// (template, some node under memory pressure) the facts are for.
    key: Option<(TemplateId, bool)>,
    /// The static part of [`FusedProfile::handles_filters`].
    handled: bool,
    /// Per pool: the tolerations allow the pool's NoSchedule and NoExecute taints (kept up to
    /// date only when taints are filtered).
    pools: PoolVerdicts,
    /// The template tolerates the unschedulable taint (or NodeUnschedulable is off).
    tolerates_cordon: bool,
    /// The template tolerates the memory-pressure taint (or taints are not filtered).
    tolerates_memory_pressure: bool,
}

impl TemplateFacts {
    /// Brings the facts up to date for `pod`'s template.
    fn update(&mut self, pr: &FusedProfile, pod: &Pod, cluster: &ClusterState) {
        if pr.taint_filter {
            self.pools.update(pod, cluster);
        }
        let key = (pod.template, cluster.memory_pressure_nodes > 0);
        if self.key == Some(key) {
            return;
        }
        self.key = Some(key);
        let template = &cluster.templates[pod.template.0 as usize];
        let tolerations = &template.tolerations;
        self.handled = pr.template_filters_handled(template);
        self.tolerates_cordon = pr
            .node_unschedulable
            .is_none_or(|t| tolerated(tolerations, &t));
        self.tolerates_memory_pressure =
            !pr.taint_filter || cluster.tolerates_memory_pressure(tolerations);
    }
}

/// The kernel's filters (NodeUnschedulable, TaintToleration, NodeResourcesFit) for one pod.
struct NodeFilter<'a> {
    pod: &'a Pod,
    cluster: &'a ClusterState,
    facts: &'a TemplateFacts,
    taint_filter: bool,
    fit_filter: bool,
}

impl<'a> NodeFilter<'a> {
    /// The filter for `pod`, whose template's `facts` are up to date.
    fn new(
        pr: &FusedProfile,
        pod: &'a Pod,
        cluster: &'a ClusterState,
        facts: &'a TemplateFacts,
    ) -> Self {
        NodeFilter {
            pod,
            cluster,
            facts,
            taint_filter: pr.taint_filter,
            fit_filter: pr.fit_filter,
        }
    }

    /// Whether `node` passes every filter.
    #[inline]
    fn passes(&self, node: &Node) -> bool {
        let f = self.facts;
        !((node.unschedulable && !f.tolerates_cordon)
            || (self.taint_filter && !f.pools.allows(node.pool))
            || (node.memory_pressure && !f.tolerates_memory_pressure)
            || (self.taint_filter && !tolerates_node_taints(self.pod, node, self.cluster))
            || (self.fit_filter && fits_request(self.pod, node).is_err()))
    }
}

/// Cached filter verdict and raw scores of one node for one pod shape, valid while the node's
/// version equals `version` (0 = empty).
#[derive(Clone, Copy, Default)]
struct CacheEntry {
    version: u64,
    /// fit × weight + balanced × weight (the part of the total that needs no normalization).
    partial: i32,
    /// Raw TaintToleration count (normalized over the feasible set afterwards).
    taint: i16,
    feasible: bool,
}

/// What the cached results depend on besides the node: the pod's requests and its template
/// (tolerations).
type ShapeKey = (Resources, TemplateId);

/// Per-shape caches kept (the most recently used shapes; the least recently used one is
/// replaced). Bounds the memory to this many entries per node (plus a tree of two slots per
/// node for shapes decided from the index), whatever the number of shapes in a trace. Traces
/// mixing a handful of shapes (six to a dozen is common) must fit: a shape that falls out of
/// the cache takes a cold sampled scan on its next decision and a full rebuild on the one after.
pub(crate) const SHAPE_SLOTS: usize = 16;

/// Where a shape's [`BestIndex`] was last brought up to date.
#[derive(Clone, Copy)]
struct IndexSync {
    /// `ClusterState::node_changes` sequence number at the sync.
    seq: u64,
    /// `ClusterState::live_layout` at the sync: a node removal forces a rebuild.
    layout: u64,
    /// `live_nodes.len()` at the sync: the nodes after it joined since.
    len: usize,
}

/// Each live node's position in `live_nodes` (the shapes' trees are keyed by position), kept
/// in step with appends and rebuilt when a removal shifted the positions.
#[derive(Default)]
struct LivePositions {
    /// Per node id: its position, or `u32::MAX` when it is not live.
    of: Vec<u32>,
    /// `ClusterState::live_layout` and `live_nodes.len()` when last brought up to date.
    layout: Option<u64>,
    len: usize,
}

impl LivePositions {
    /// Records the positions of the nodes that joined since the last call, or of all live
    /// nodes when one left the list since.
    fn update(&mut self, cluster: &ClusterState) {
        let live = &cluster.live_nodes;
        if self.layout != Some(cluster.live_layout) || live.len() < self.len {
            self.of.clear();
            self.len = 0;
            self.layout = Some(cluster.live_layout);
        }
        self.of.resize(cluster.nodes.len(), u32::MAX);
        for (p, id) in live.iter().enumerate().skip(self.len) {
            self.of[id.0 as usize] = p as u32;
        }
        self.len = live.len();
    }
}

/// The cached results for one pod shape.
struct ShapeCache {
    key: ShapeKey,
    /// Per node id.
    entries: Vec<CacheEntry>,
    /// Totals of the feasible nodes, for full scans (see the module doc).
    index: BestIndex,
    /// None when `index` is not in step with `entries` (never built, or the slot was reused).
    synced: Option<IndexSync>,
    /// The shape decided before: a sampled decision builds the index only for a shape that
    /// recurs (a one-off shape scans only the sampled nodes instead of evaluating all).
    recurring: bool,
    /// The kernel's decision counter at this shape's last use (for LRU replacement).
    last_used: u64,
}

/// The fused kernel with its reusable buffers and its per-shape cache.
pub struct FusedKernel {
    profile: FusedProfile,
    shapes: Vec<ShapeCache>,
    /// Decisions that looked up a shape (the clock of the LRU replacement).
    lookups: u64,
    facts: TemplateFacts,
    pool_intolerable: Vec<i64>,
    feasible: Vec<NodeId>,
    /// Per node id: 1/allocatable cpu and 1/allocatable memory (allocatable never changes).
    recip: Vec<(f64, f64)>,
    totals: Vec<i64>,
    taint: Vec<i64>,
    /// Reusable buffer of the index's range queries.
    cover: Vec<usize>,
    /// Positions in `live_nodes`, for the shapes' indexes.
    positions: LivePositions,
}

/// Everything one node's evaluation needs besides the node: the profile and the per-pod facts,
/// computed once per decision.
struct Evaluator<'a> {
    pr: &'a FusedProfile,
    filter: NodeFilter<'a>,
    pool_intolerable: &'a [i64],
    recip: &'a [(f64, f64)],
    balanced_active: bool,
    balanced_weight: i64,
    nz_cpu: u64,
    nz_mem: u64,
    req_cpu: u64,
    req_mem: u64,
    /// 1 / (cpu weight + memory weight) of the fit score.
    all_weights_recip: f64,
}

impl Evaluator<'_> {
    /// The filter verdict and raw scores of node `id` at `version` (kept out of line: the scans
    /// call it only for changed nodes).
    #[inline(never)]
    fn evaluate(&self, id: NodeId, node: &Node, version: u64) -> CacheEntry {
        let pr = self.pr;
        let mut entry = CacheEntry {
            version,
            ..CacheEntry::default()
        };
        entry.feasible = self.filter.passes(node);
        if !entry.feasible {
            return entry;
        }
        entry.taint = self
            .pool_intolerable
            .get(node.pool.0 as usize)
            .map_or(0, |&t| t.min(i16::MAX as i64) as i16);
        let mut partial = 0i64;
        if let Some((fit_weight, least, wc, wm)) = pr.fit_score {
            let (ac, am) = (
                node.allocatable.cpu_milli as i64,
                node.allocatable.memory_bytes as i64,
            );
            let rc = (node.non_zero_cpu_milli + self.nz_cpu) as i64;
            let rm = (node.non_zero_memory_bytes + self.nz_mem) as i64;
            let (rec_c, rec_m) = self.recip[id.0 as usize];
            // least_requested_score / most_requested_score with a cached reciprocal.
            let score = |req: i64, cap: i64, recip: f64| {
                if least {
                    if req > cap {
                        0
                    } else {
                        div_floor_recip((cap - req) * MAX_NODE_SCORE, cap, recip)
                    }
                } else {
                    div_floor_recip(req.min(cap) * MAX_NODE_SCORE, cap, recip)
                }
            };
            // A resource with zero allocatable is skipped, as in the plugin.
            let (mut sum, mut weights) = (0, 0);
            if ac > 0 {
                sum += score(rc, ac, rec_c) * wc;
                weights += wc;
            }
            if am > 0 {
                sum += score(rm, am, rec_m) * wm;
                weights += wm;
            }
            partial += fit_weight
                * if weights == wc + wm {
                    div_floor_recip(sum, weights, self.all_weights_recip)
                } else if weights == 0 {
                    0
                } else {
                    div_floor(sum, weights)
                };
        }
        if self.balanced_active {
            let (ac, am) = (node.allocatable.cpu_milli, node.allocatable.memory_bytes);
            let mut fractions = [0.0; 2];
            let mut k = 0;
            if ac > 0 {
                fractions[k] =
                    ((node.requested.cpu_milli + self.req_cpu) as f64 / ac as f64).min(1.0);
                k += 1;
            }
            if am > 0 {
                fractions[k] =
                    ((node.requested.memory_bytes + self.req_mem) as f64 / am as f64).min(1.0);
                k += 1;
            }
            partial += self.balanced_weight * balanced_score(&fractions[..k]);
        }
        // Scores are 0..=100 and weights 1..=100: the sum fits easily.
        entry.partial = partial as i32;
        entry
    }

    /// `entries[id]` brought up to date with the node's current version.
    #[inline(always)]
    fn refresh<'e>(
        &self,
        entries: &'e mut [CacheEntry],
        id: NodeId,
        cluster: &ClusterState,
    ) -> &'e CacheEntry {
        let version = cluster.node_versions[id.0 as usize];
        let entry = &mut entries[id.0 as usize];
        if entry.version != version {
            *entry = self.evaluate(id, &cluster.nodes[id.0 as usize], version);
        }
        entry
    }
}

/// The index leaf of a cache entry: its total when feasible (the TaintToleration part is left
/// out; the index is used only when it is the same for every node).
#[inline]
fn leaf_score(entry: &CacheEntry) -> Option<i32> {
    entry.feasible.then_some(entry.partial)
}

impl ShapeCache {
    /// Brings the shape's [`BestIndex`] (one leaf per position in `live_nodes`) in step with
    /// the cluster: re-evaluates only the nodes that joined and those logged in
    /// `ClusterState::node_changes` since the last sync, or rebuilds the whole tree when the
    /// log no longer reaches back that far, a node left the list or the tree is too small.
    /// `positions` must be up to date.
    fn sync_index(&mut self, cluster: &ClusterState, positions: &LivePositions, ev: &Evaluator) {
        let live = &cluster.live_nodes;
        let changes = match self.synced {
            Some(s)
                if s.layout == cluster.live_layout
                    && (s.len..=self.index.capacity()).contains(&live.len()) =>
            {
                cluster
                    .node_changes
                    .since(s.seq)
                    .map(|changed| (changed, s.len))
            }
            _ => None,
        };
        // Past a sixteenth of the nodes, one pass over all of them is about as fast.
        let limit = (live.len() / 16).max(64);
        match changes {
            Some((changed, len)) if changed.len() + (live.len() - len) <= limit => {
                for (p, &id) in live.iter().enumerate().skip(len) {
                    let entry = ev.refresh(&mut self.entries, id, cluster);
                    self.index.update(p, leaf_score(entry));
                }
                for id in changed {
                    let p = positions.of[id.0 as usize];
                    // Nodes not in the list (booting, removed) have no leaf.
                    if p == u32::MAX {
                        continue;
                    }
                    let entry = ev.refresh(&mut self.entries, id, cluster);
                    self.index.update(p as usize, leaf_score(entry));
                }
            }
            _ => {
                self.index.reset(live.len());
                for (p, &id) in live.iter().enumerate() {
                    let entry = ev.refresh(&mut self.entries, id, cluster);
                    self.index.set_leaf(p, leaf_score(entry));
                }
                self.index.rebuild_inner();
            }
        }
        self.synced = Some(IndexSync {
            seq: cluster.node_changes.seq(),
            layout: cluster.live_layout,
            len: live.len(),
        });
    }
}

impl FusedKernel {
    /// The profile this kernel evaluates.
    pub fn profile(&self) -> &FusedProfile {
        &self.profile
    }

    /// A kernel for `profile`.
    pub fn new(profile: FusedProfile) -> Self {
        FusedKernel {
            profile,
            shapes: Vec::new(),
            lookups: 0,
            facts: TemplateFacts::default(),
            pool_intolerable: Vec::new(),
            feasible: Vec::new(),
            recip: Vec::new(),
            totals: Vec::new(),
            taint: Vec::new(),
            cover: Vec::new(),
            positions: LivePositions::default(),
        }
    }

    /// The cache slot of `key`, taking over the least recently used one when all are used.
    fn shape_slot(&mut self, key: ShapeKey) -> usize {
        self.lookups += 1;
        let now = self.lookups;
        if let Some(i) = self.shapes.iter().position(|s| s.key == key) {
            self.shapes[i].last_used = now;
            return i;
        }
        if self.shapes.len() < SHAPE_SLOTS {
            self.shapes.push(ShapeCache {
                key,
                entries: Vec::new(),
                index: BestIndex::default(),
                synced: None,
                recurring: false,
                last_used: now,
            });
            return self.shapes.len() - 1;
        }
        let i = (0..self.shapes.len())
            .min_by_key(|&i| self.shapes[i].last_used)
            .unwrap_or(0);
        let shape = &mut self.shapes[i];
        shape.key = key;
        shape.entries.iter_mut().for_each(|e| e.version = 0);
        shape.synced = None;
        shape.recurring = false;
        shape.last_used = now;
        i
    }

    /// The index in `nodes` of the first node, round-robin from `start`, that is `eligible`
    /// and passes the kernel's filters for `pod`; `None` when the kernel's filters do not
    /// decide like the plugins for this pod ([`FusedProfile::handles_filters`]). Nothing is
    /// cached per node: what-if simulations call this, and their node versions do not
    /// outlive them.
    pub fn first_feasible(
        &mut self,
        pod: PodId,
        nodes: &[NodeId],
        start: usize,
        cluster: &ClusterState,
        eligible: &dyn Fn(NodeId) -> bool,
    ) -> Option<Option<usize>> {
        let pod = &cluster.pods[pod.0 as usize];
        self.facts.update(&self.profile, pod, cluster);
        if !self.facts.handled || self.profile.bound_pods_constrain(cluster) {
            return None;
        }
        let filter = NodeFilter::new(&self.profile, pod, cluster, &self.facts);
        let start = start.checked_rem(nodes.len()).unwrap_or(0);
        let (tail, head) = (start..nodes.len(), 0..start);
        Some(tail.chain(head).find(|&k| {
            let id = nodes[k];
            eligible(id) && filter.passes(&cluster.nodes[id.0 as usize])
        }))
    }

    /// One scheduling cycle; `next_start` is the framework's round-robin start index.
    pub fn schedule(
        &mut self,
        pod_id: PodId,
        cluster: &ClusterState,
        rng: &mut SimRng,
        percentage: u32,
        next_start: &mut usize,
    ) -> Option<NodeId> {
        let nodes = &cluster.live_nodes;
        let n = nodes.len();
        if n == 0 {
            return None;
        }
        let pr = &self.profile;
        let pod = &cluster.pods[pod_id.0 as usize];
        self.facts.update(pr, pod, cluster);
        let pools = cluster.pools.len();
        self.pool_intolerable.clear();
        if pr.taint_score.is_some() {
            self.pool_intolerable
                .extend((0..pools).map(|p| intolerable_prefer_no_schedule(pod, p, cluster)));
        }
        for node in &cluster.nodes[self.recip.len()..] {
            let r = |a: u64| if a == 0 { 0.0 } else { 1.0 / a as f64 };
            self.recip.push((
                r(node.allocatable.cpu_milli),
                r(node.allocatable.memory_bytes),
            ));
        }
        let to_find = num_feasible_nodes_to_find(n, percentage);
        // When no candidate pool has a PreferNoSchedule taint the pod does not tolerate, every
        // node's normalized TaintToleration score is 100: a constant that cannot change the
        // best node or the ties, which the shape's index then finds.
        let taint_varies = pr.taint_score.is_some() && self.pool_intolerable.iter().any(|&c| c > 0);
        let slot = self.shape_slot((pod.requests, pod.template));
        let pr = &self.profile;
        let (nz_cpu, nz_mem) = pod.non_zero_requests();
        let ev = Evaluator {
            pr,
            filter: NodeFilter::new(pr, pod, cluster, &self.facts),
            pool_intolerable: &self.pool_intolerable,
            recip: &self.recip,
            balanced_active: pr.balanced_score.is_some()
                && (pod.requests.cpu_milli > 0 || pod.requests.memory_bytes > 0),
            balanced_weight: pr.balanced_score.unwrap_or(0),
            nz_cpu,
            nz_mem,
            req_cpu: pod.requests.cpu_milli,
            req_mem: pod.requests.memory_bytes,
            // The weight sum is the same for every node with both resources allocatable.
            all_weights_recip: pr
                .fit_score
                .map_or(1.0, |(_, _, wc, wm)| 1.0 / (wc + wm) as f64),
        };
        let shape = &mut self.shapes[slot];
        shape
            .entries
            .resize(cluster.nodes.len(), CacheEntry::default());
        let start = *next_start % n;

        let recurring = std::mem::replace(&mut shape.recurring, true);
        if !taint_varies && to_find < n && !recurring {
            let cache = &mut shape.entries;
            return scan_for_best(&ev, cache, cluster, start, to_find, next_start, rng);
        }
        if !taint_varies {
            self.positions.update(cluster);
            shape.sync_index(cluster, &self.positions, &ev);
            if to_find < n {
                return sampled_from_index(
                    &shape.index,
                    nodes,
                    start,
                    to_find,
                    next_start,
                    rng,
                    &mut self.cover,
                );
            }
            // Full scan: every node is filtered, so the scan ends where it started; the choice
            // is the k-th node tied at the best total in scan order from `start`, with k drawn
            // like `select_host` (no draw for a unique best).
            *next_start = start;
            let (_, ties) = shape.index.best()?;
            let k = if ties > 1 {
                rng.random_range(0..ties)
            } else {
                0
            };
            return Some(nodes[shape.index.nth_best_from(start, k)]);
        }

        let cache = &mut shape.entries;
        let mut found = 0usize;
        // Work on local vectors so the compiler knows they do not alias `self`.
        let mut feasible = std::mem::take(&mut self.feasible);
        let mut totals = std::mem::take(&mut self.totals);
        let mut taints = std::mem::take(&mut self.taint);
        feasible.clear();
        totals.clear();
        taints.clear();
        let mut index = start;
        let mut processed = 0;
        while processed < n {
            let id = nodes[index];
            index += 1;
            if index == n {
                index = 0;
            }
            processed += 1;
            let entry = ev.refresh(cache, id, cluster);
            if !entry.feasible {
                continue;
            }
            found += 1;
            feasible.push(id);
            totals.push(i64::from(entry.partial));
            taints.push(i64::from(entry.taint));
            if found >= to_find {
                break;
            }
        }
        self.feasible = feasible;
        self.totals = totals;
        self.taint = taints;
        *next_start = (start + processed) % n;
        match self.feasible.len() {
            0 => return None,
            1 => return Some(self.feasible[0]),
            _ => {}
        }
        if pr.taint_score.is_some() {
            default_normalize_score(MAX_NODE_SCORE, true, &mut self.taint);
        }
        if let Some(w) = pr.taint_score {
            for (total, taint) in self.totals.iter_mut().zip(&self.taint) {
                *total += taint * w;
            }
        }
        Some(self.feasible[select_host(&self.totals, rng)])
    }
}

/// A sampled scan answered from a shape's up-to-date index. Upstream's scan visits the live
/// nodes round-robin from position `start` and stops at the `to_find`-th feasible one (or
/// after all of them); its candidates are the feasible nodes it visited, the best total wins
/// and one draw picks among the ties in scan order (`select_host`). The tree's feasible
/// counts find the stopping position, and its range queries the best total, its ties and the
/// drawn tie over the positions visited, in O(log nodes).
fn sampled_from_index(
    index: &BestIndex,
    nodes: &[NodeId],
    start: usize,
    to_find: usize,
    next_start: &mut usize,
    rng: &mut SimRng,
    cover: &mut Vec<usize>,
) -> Option<NodeId> {
    let n = nodes.len();
    let total = index.feasible();
    let before = index.feasible_before(start);
    let after = total - before;
    // The position ranges the scan visits, in scan order, and how many positions that is.
    let (ranges, processed) = if to_find <= after {
        let last = index.nth_feasible(before + to_find - 1);
        ([(start, last + 1), (0, 0)], last + 1 - start)
    } else if to_find <= total {
        let last = index.nth_feasible(to_find - after - 1);
        ([(start, n), (0, last + 1)], n - start + last + 1)
    } else {
        ([(start, n), (0, start)], n)
    };
    *next_start = (start + processed) % n;
    if total == 0 {
        return None;
    }
    let (b0, t0) = index.best_in(ranges[0].0, ranges[0].1);
    let (b1, t1) = index.best_in(ranges[1].0, ranges[1].1);
    let best = b0.max(b1);
    let ties = if b0 == best { t0 } else { 0 } + if b1 == best { t1 } else { 0 };
    let k = if ties > 1 {
        rng.random_range(0..ties)
    } else {
        0
    };
    let position = match index.nth_at_best_in(ranges[0].0, ranges[0].1, best, k, cover) {
        Ok(p) => p,
        Err(rest) => index
            .nth_at_best_in(ranges[1].0, ranges[1].1, best, rest, cover)
            .expect("the k-th tie lies in the scanned ranges"),
    };
    Some(nodes[position])
}

/// The sampled scan of a shape's first decision when the TaintToleration score is the same
/// for every node (see `taint_varies`): the totals are the cached partial sums. A first pass filters round-robin
/// from `start` until `to_find` nodes are feasible, keeping the best total and its number of
/// ties without branching on the scores; one draw then picks the k-th tie like `select_host`,
/// and a second pass over the same nodes finds it.
fn scan_for_best(
    ev: &Evaluator,
    cache: &mut [CacheEntry],
    cluster: &ClusterState,
    start: usize,
    to_find: usize,
    next_start: &mut usize,
    rng: &mut SimRng,
) -> Option<NodeId> {
    let nodes = &cluster.live_nodes;
    let n = nodes.len();
    let (mut found, mut best, mut ties) = (0usize, i32::MIN, 0usize);
    let mut index = start;
    let mut processed = 0;
    while processed < n {
        let id = nodes[index];
        index += 1;
        if index == n {
            index = 0;
        }
        processed += 1;
        let entry = ev.refresh(cache, id, cluster);
        // Infeasible nodes score i32::MIN: below every total once a feasible node was seen.
        let p = if entry.feasible {
            entry.partial
        } else {
            i32::MIN
        };
        found += usize::from(entry.feasible);
        ties = if p > best { 0 } else { ties };
        best = best.max(p);
        ties += usize::from(p == best);
        if found >= to_find {
            break;
        }
    }
    *next_start = (start + processed) % n;
    if found == 0 {
        return None;
    }
    let k = if ties > 1 {
        rng.random_range(0..ties)
    } else {
        0
    };
    // The (k + 1)-th node at `best` in the same order; the cache is fresh for all of them.
    let mut index = start;
    let mut seen = 0usize;
    loop {
        let id = nodes[index];
        let entry = &cache[id.0 as usize];
        seen += usize::from(entry.feasible & (entry.partial == best));
        if seen > k {
            return Some(id);
        }
        index += 1;
        if index == n {
            index = 0;
        }
    }
}

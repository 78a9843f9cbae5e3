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

use super::framework::{num_feasible_nodes_to_find, select_host};
use super::plugins::balanced_allocation::balanced_score;
use super::plugins::node_resources_fit::{div_floor, div_floor_recip, fits_request};
use super::plugins::taint_toleration::{
    intolerable_prefer_no_schedule, tolerates_node_taints, tolerates_pool,
};
use super::plugins::{MAX_NODE_SCORE, default_normalize_score};
use crate::cluster::ClusterState;
use crate::cluster::labels::{Taint, tolerated};
use crate::cluster::node::NodeId;
use crate::cluster::pod::{PodId, TemplateId};
use crate::cluster::resources::Resources;
use crate::engine::rng::SimRng;
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
    pub fn handles(&self, pod: &crate::cluster::pod::Pod, cluster: &ClusterState) -> bool {
        let t = &cluster.templates[pod.template.0 as usize];
        let p = &self.placement;
        (!self.node_affinity || t.node_affinity.is_empty())
            && (!p.node_name || t.node_name.is_none())
            && (!p.spread || t.spread.is_empty())
            && (!p.spread_score || t.default_spread_selector.is_none())
            && (!p.inter_pod_affinity
                || (t.pod_affinity.is_empty() && !cluster.bound_pods_have_pod_affinity()))
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

/// Per-shape caches kept (recently used shapes; replaced round-robin).
const SHAPE_SLOTS: usize = 4;

/// The fused kernel with its reusable buffers and its per-shape cache.
pub struct FusedKernel {
    profile: FusedProfile,
    shapes: Vec<(ShapeKey, Vec<CacheEntry>)>,
    next_victim: usize,
    pool_allowed: Vec<bool>,
    pool_intolerable: Vec<i64>,
    feasible: Vec<NodeId>,
    /// Per node id: 1/allocatable cpu and 1/allocatable memory (allocatable never changes).
    recip: Vec<(f64, f64)>,
    totals: Vec<i64>,
    taint: Vec<i64>,
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
            next_victim: 0,
            pool_allowed: Vec::new(),
            pool_intolerable: Vec::new(),
            feasible: Vec::new(),
            recip: Vec::new(),
            totals: Vec::new(),
            taint: Vec::new(),
        }
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
        let tolerations = &cluster.templates[pod.template.0 as usize].tolerations;
        let tolerates_cordon = pr
            .node_unschedulable
            .is_none_or(|t| tolerated(tolerations, &t));
        let pools = cluster.pools.len();
        self.pool_allowed.clear();
        self.pool_allowed
            .extend((0..pools).map(|p| !pr.taint_filter || tolerates_pool(pod, p, cluster)));
        self.pool_intolerable.clear();
        if pr.taint_score.is_some() {
            self.pool_intolerable
                .extend((0..pools).map(|p| intolerable_prefer_no_schedule(pod, p, cluster)));
        }
        let balanced_active = pr.balanced_score.is_some()
            && (pod.requests.cpu_milli > 0 || pod.requests.memory_bytes > 0);
        let (nz_cpu, nz_mem) = pod.non_zero_requests();
        let (req_cpu, req_mem) = (pod.requests.cpu_milli, pod.requests.memory_bytes);
        let balanced_weight = pr.balanced_score.unwrap_or(0);

        for node in &cluster.nodes[self.recip.len()..] {
            let r = |a: u64| if a == 0 { 0.0 } else { 1.0 / a as f64 };
            self.recip.push((
                r(node.allocatable.cpu_milli),
                r(node.allocatable.memory_bytes),
            ));
        }
        // The weight sum is the same for every node with both resources allocatable.
        let all_weights_recip = pr
            .fit_score
            .map_or(1.0, |(_, _, wc, wm)| 1.0 / (wc + wm) as f64);
        let to_find = num_feasible_nodes_to_find(n, percentage);
        self.feasible.clear();
        self.totals.clear();
        self.taint.clear();
        let key: ShapeKey = (pod.requests, pod.template);
        let slot = match self.shapes.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None if self.shapes.len() < SHAPE_SLOTS => {
                self.shapes.push((key, Vec::new()));
                self.shapes.len() - 1
            }
            None => {
                let i = self.next_victim;
                self.next_victim = (i + 1) % SHAPE_SLOTS;
                self.shapes[i].0 = key;
                self.shapes[i].1.iter_mut().for_each(|e| e.version = 0);
                i
            }
        };
        let cache = &mut self.shapes[slot].1;
        cache.resize(cluster.nodes.len(), CacheEntry::default());
        // Work on local vectors so the compiler knows they do not alias `self`.
        // When no candidate pool has a PreferNoSchedule taint the pod does not tolerate, every
        // node's normalized TaintToleration score is 100: a constant that cannot change the
        // best node or the ties. Then the best nodes are tracked during the scan itself.
        let taint_varies = pr.taint_score.is_some() && self.pool_intolerable.iter().any(|&c| c > 0);
        let mut found = 0usize;
        let mut best = i32::MIN;
        let mut feasible = std::mem::take(&mut self.feasible);
        let mut totals = std::mem::take(&mut self.totals);
        let mut taints = std::mem::take(&mut self.taint);
        let start = *next_start % n;
        let mut index = start;
        let mut processed = 0;
        while processed < n {
            let id = nodes[index];
            index += 1;
            if index == n {
                index = 0;
            }
            processed += 1;
            let version = cluster.node_versions[id.0 as usize];
            let entry = &mut cache[id.0 as usize];
            if entry.version != version {
                let node = &cluster.nodes[id.0 as usize];
                *entry = CacheEntry {
                    version,
                    ..CacheEntry::default()
                };
                entry.feasible = !((node.unschedulable && !tolerates_cordon)
                    || !self.pool_allowed[node.pool.0 as usize]
                    || (pr.taint_filter && !tolerates_node_taints(pod, node, cluster))
                    || (pr.fit_filter && fits_request(pod, node).is_err()));
                if entry.feasible {
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
                        let rc = (node.non_zero_cpu_milli + nz_cpu) as i64;
                        let rm = (node.non_zero_memory_bytes + nz_mem) as i64;
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
                                div_floor_recip(sum, weights, all_weights_recip)
                            } else if weights == 0 {
                                0
                            } else {
                                div_floor(sum, weights)
                            };
                    }
                    if balanced_active {
                        let (ac, am) = (node.allocatable.cpu_milli, node.allocatable.memory_bytes);
                        let mut fractions = [0.0; 2];
                        let mut k = 0;
                        if ac > 0 {
                            fractions[k] =
                                ((node.requested.cpu_milli + req_cpu) as f64 / ac as f64).min(1.0);
                            k += 1;
                        }
                        if am > 0 {
                            fractions[k] = ((node.requested.memory_bytes + req_mem) as f64
                                / am as f64)
                                .min(1.0);
                            k += 1;
                        }
                        partial += balanced_weight * balanced_score(&fractions[..k]);
                    }
                    // Scores are 0..=100 and weights 1..=100: the sum fits easily.
                    entry.partial = partial as i32;
                }
            }
            if !entry.feasible {
                continue;
            }
            found += 1;
            if taint_varies {
                feasible.push(id);
                totals.push(i64::from(entry.partial));
                taints.push(i64::from(entry.taint));
            } else {
                // Track the best nodes during the scan (see `taint_varies`).
                let p = entry.partial;
                if p > best {
                    best = p;
                    feasible.clear();
                }
                if p == best {
                    feasible.push(id);
                }
            }
            if found >= to_find {
                break;
            }
        }
        self.feasible = feasible;
        self.totals = totals;
        self.taint = taints;
        *next_start = (start + processed) % n;
        if !taint_varies {
            // `feasible` holds the nodes tied at the best total; choose like `select_host`.
            return match (found, self.feasible.len()) {
                (0, _) => None,
                (_, 1) => Some(self.feasible[0]),
                (_, ties) => Some(self.feasible[rng.random_range(0..ties)]),
            };
        }
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

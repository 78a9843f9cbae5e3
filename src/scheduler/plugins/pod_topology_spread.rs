//! PodTopologySpread (pkg/scheduler/framework/plugins/podtopologyspread/{filtering.go,
//! scoring.go, common.go}): `DoNotSchedule` constraints filter, `ScheduleAnyway` constraints
//! (or the system defaults, for pods a ReplicaSet owns that set none) score.
//!
//! Matching pods are counted from the cluster's incremental topology index (per template and
//! node or domain), so a decision costs O(nodes × matching templates) at most and never scans
//! pods.

use super::node_affinity::view;
use super::taint_toleration::tolerates_pool;
use super::{FilterFailure, FilterPlugin, MAX_NODE_SCORE, ScorePlugin};
use crate::cluster::ClusterState;
use crate::cluster::labels::Symbol;
use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::{Pod, TemplateId};
use crate::cluster::pod_affinity::{
    InclusionPolicy, SpreadConstraint, WhenUnsatisfiable, system_default_constraints,
};
use crate::cluster::topology::{TopologyIndex, TopologyKey};
use crate::cluster::{LABEL_HOSTNAME, LABEL_ZONE};

/// `ErrReasonConstraintsNotMatch`.
pub const REASON_CONSTRAINTS: &str = "node(s) didn't match pod topology spread constraints";
/// `ErrReasonNodeLabelNotMatch`.
pub const REASON_MISSING_LABEL: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// Raw score marking a node ignored by scoring (it lacks a required topology key).
const IGNORED: i64 = i64::MIN;

/// A constraint prepared for one pod.
#[derive(Clone, Debug)]
struct Prepared {
    key: TopologyKey,
    max_skew: i64,
    min_domains: Option<u32>,
    honor_affinity: bool,
    honor_taints: bool,
    self_match: bool,
    /// Range into `templates`: the bound templates the selector matches.
    first: usize,
    end: usize,
    /// Per domain: matching pods (filter: over eligible nodes; score: over all counted nodes).
    counts: Vec<i64>,
    /// Per domain: whether the domain is eligible (filter) or holds a scored node (score).
    present: Vec<bool>,
    /// Filter: the global minimum over eligible domains and their number.
    min_match: i64,
    domains: u32,
    /// Score: `log(domains + 2)`.
    weight: f64,
}

/// The PodTopologySpread filter and score plugin.
#[derive(Debug)]
pub struct PodTopologySpread {
    hostname_key: Symbol,
    zone_key: Symbol,
    /// `defaultingType: System` (the system default constraints apply).
    system_defaulted: bool,
    constraints: Vec<Prepared>,
    templates: Vec<TemplateId>,
    require_all: bool,
    ignored: Vec<bool>,
}

impl PodTopologySpread {
    /// Creates the plugin with the system default constraints enabled.
    pub fn new(cluster: &mut ClusterState) -> Self {
        PodTopologySpread {
            hostname_key: cluster.interner.intern(LABEL_HOSTNAME),
            zone_key: cluster.interner.intern(LABEL_ZONE),
            system_defaulted: true,
            constraints: Vec::new(),
            templates: Vec::new(),
            require_all: false,
            ignored: Vec::new(),
        }
    }

    /// `defaultingType`: `true` for `System` (the default), `false` for `List` without
    /// default constraints.
    pub fn set_system_defaulted(&mut self, system: bool) {
        self.system_defaulted = system;
    }

    /// Prepares the pod's constraints with `when` (its own, or the defaults when it has
    /// none and `defaults` is set). Returns whether the pod set constraints itself.
    fn prepare(
        &mut self,
        pod: &Pod,
        cluster: &ClusterState,
        when: WhenUnsatisfiable,
        defaults: bool,
    ) -> bool {
        self.constraints.clear();
        self.templates.clear();
        let template = &cluster.templates[pod.template.0 as usize];
        let own = !template.spread.is_empty();
        let defaulted;
        let list: &[SpreadConstraint] = if own {
            &template.spread
        } else if defaults && self.system_defaulted {
            match &template.default_spread_selector {
                Some(sel) => {
                    defaulted = system_default_constraints(sel, self.hostname_key, self.zone_key);
                    &defaulted
                }
                None => &[],
            }
        } else {
            &[]
        };
        let index = &cluster.topology;
        for c in list.iter().filter(|c| c.when_unsatisfiable == when) {
            let first = self.templates.len();
            for &t in index.tracked_templates() {
                if index.total(t) > 0 && c.selector.matches(&cluster.templates[t.0 as usize].labels)
                {
                    self.templates.push(t);
                }
            }
            self.constraints.push(Prepared {
                key: index.key(c.topology_key),
                max_skew: c.max_skew,
                min_domains: c.min_domains,
                honor_affinity: c.node_affinity_policy == InclusionPolicy::Honor,
                honor_taints: c.node_taints_policy == InclusionPolicy::Honor,
                self_match: c.selector.matches(&template.labels),
                first,
                end: self.templates.len(),
                counts: Vec::new(),
                present: Vec::new(),
                min_match: 0,
                domains: 0,
                weight: 0.0,
            });
        }
        own
    }

    /// Matching pods of constraint `c` on `node`.
    fn on_node(&self, index: &TopologyIndex, c: &Prepared, node: NodeId) -> i64 {
        self.templates[c.first..c.end]
            .iter()
            .map(|&t| i64::from(index.on_node(t, node)))
            .sum()
    }

    /// Whether `node` counts for `c` under its inclusion policies (`matchNodeInclusionPolicies`).
    fn included(&self, c: &Prepared, pod: &Pod, node: NodeId, cluster: &ClusterState) -> bool {
        let n = &cluster.nodes[node.0 as usize];
        if c.honor_affinity {
            let affinity = &cluster.templates[pod.template.0 as usize].node_affinity;
            if !affinity.node_selector.is_empty() || affinity.required.is_some() {
                let resolve = |s: Symbol| cluster.interner.resolve(s);
                if !affinity.admits(&view(n, cluster, self.hostname_key, &resolve)) {
                    return false;
                }
            }
        }
        !c.honor_taints || tolerates_pool(pod, n.pool.0 as usize, cluster)
    }
}

impl FilterPlugin for PodTopologySpread {
    fn name(&self) -> &str {
        "PodTopologySpread"
    }

    /// `calPreFilterState`: matching pods per domain over the nodes that have every
    /// constraint's key and pass the inclusion policies; the global minimum per constraint.
    fn pre_filter(&mut self, pod: &Pod, cluster: &ClusterState) {
        self.prepare(pod, cluster, WhenUnsatisfiable::DoNotSchedule, false);
        if self.constraints.is_empty() {
            return;
        }
        let index = &cluster.topology;
        let mut constraints = std::mem::take(&mut self.constraints);
        for c in &mut constraints {
            let domains = index.domain_count(c.key);
            c.counts = vec![0; domains];
            c.present = vec![false; domains];
        }
        for &node in &cluster.live_nodes {
            if !has_all(&constraints, index, node) {
                continue;
            }
            for c in constraints.iter_mut() {
                if !self.included(c, pod, node, cluster) {
                    continue;
                }
                let d = index.domain(c.key, node).expect("checked") as usize;
                c.present[d] = true;
                c.counts[d] += self.on_node(index, c, node);
            }
        }
        for c in &mut constraints {
            // criticalPaths start at MaxInt32: with no eligible domain nothing is skewed.
            let mut min = i64::from(i32::MAX);
            let mut domains = 0;
            for (&n, &p) in c.counts.iter().zip(&c.present) {
                if p {
                    min = min.min(n);
                    domains += 1;
                }
            }
            c.min_match = min;
            c.domains = domains;
        }
        self.constraints = constraints;
    }

    fn filter(&self, _pod: &Pod, node: &Node, cluster: &ClusterState) -> Result<(), FilterFailure> {
        let index = &cluster.topology;
        for c in &self.constraints {
            let Some(d) = index.domain(c.key, node.id) else {
                return Err(FilterFailure::Unresolvable(REASON_MISSING_LABEL));
            };
            let min = match c.min_domains {
                Some(m) if c.domains < m => 0,
                _ => c.min_match,
            };
            let matched = c.counts[d as usize];
            let skew = matched + i64::from(c.self_match) - min;
            if skew > c.max_skew {
                return Err(FilterFailure::Unschedulable(REASON_CONSTRAINTS));
            }
        }
        Ok(())
    }
}

impl ScorePlugin for PodTopologySpread {
    fn name(&self) -> &str {
        "PodTopologySpread"
    }

    fn pre_score(&mut self, pod: &Pod, cluster: &ClusterState) -> bool {
        let own = self.prepare(pod, cluster, WhenUnsatisfiable::ScheduleAnyway, true);
        self.require_all = own || !self.system_defaulted;
        !self.constraints.is_empty()
    }

    /// `PreScore` + `initPreScoreState`: domains present among the feasible nodes, matching
    /// pods per such domain over all nodes, and the normalizing weights.
    fn pre_score_nodes(&mut self, pod: &Pod, nodes: &[NodeId], cluster: &ClusterState) -> bool {
        if !self.pre_score(pod, cluster) {
            return false;
        }
        let index = &cluster.topology;
        let mut constraints = std::mem::take(&mut self.constraints);
        self.ignored.clear();
        for c in &mut constraints {
            let domains = index.domain_count(c.key);
            c.counts = vec![0; domains];
            c.present = vec![false; domains];
            c.domains = 0;
        }
        let mut scored = 0usize;
        // A feasible node lacking a key (only possible with the system defaults) forms the
        // "empty value" domain upstream; it counts towards the domain number.
        let mut valueless = vec![false; constraints.len()];
        for &node in nodes {
            let ignored = self.require_all && !has_all(&constraints, index, node);
            self.ignored.push(ignored);
            if ignored {
                continue;
            }
            scored += 1;
            for (i, c) in constraints.iter_mut().enumerate() {
                if c.key == TopologyKey::Hostname {
                    continue;
                }
                match index.domain(c.key, node) {
                    Some(d) if !c.present[d as usize] => {
                        c.present[d as usize] = true;
                        c.domains += 1;
                    }
                    Some(_) => {}
                    None if !valueless[i] => {
                        valueless[i] = true;
                        c.domains += 1;
                    }
                    None => {}
                }
            }
        }
        let affinity_free = cluster.templates[pod.template.0 as usize]
            .node_affinity
            .required
            .is_none()
            && cluster.templates[pod.template.0 as usize]
                .node_affinity
                .node_selector
                .is_empty();
        for c in constraints.iter_mut() {
            let size = if c.key == TopologyKey::Hostname {
                scored
            } else {
                c.domains as usize
            };
            c.weight = ((size + 2) as f64).ln();
        }
        for ci in 0..constraints.len() {
            let c = &constraints[ci];
            if c.key == TopologyKey::Hostname {
                continue;
            }
            let fast = !self.require_all && !c.honor_taints && (affinity_free || !c.honor_affinity);
            let mut counts = std::mem::take(&mut constraints[ci].counts);
            let c = &constraints[ci];
            if fast {
                // Every node counts: the index's per-domain sums are exact.
                for (d, slot) in counts.iter_mut().enumerate() {
                    if c.present[d] {
                        *slot = self.templates[c.first..c.end]
                            .iter()
                            .map(|&t| i64::from(index.in_domain(c.key, t, d as u32)))
                            .sum();
                    }
                }
            } else {
                for &node in &cluster.live_nodes {
                    if self.require_all && !has_all(&constraints, index, node) {
                        continue;
                    }
                    if !self.included(c, pod, node, cluster) {
                        continue;
                    }
                    if let Some(d) = index.domain(c.key, node)
                        && c.present[d as usize]
                    {
                        counts[d as usize] += self.on_node(index, c, node);
                    }
                }
            }
            constraints[ci].counts = counts;
        }
        self.constraints = constraints;
        true
    }

    fn score(&self, _pod: &Pod, node: &Node, cluster: &ClusterState) -> i64 {
        self.raw_score(node.id, cluster)
    }

    fn score_all(&self, _pod: &Pod, nodes: &[NodeId], cluster: &ClusterState, out: &mut Vec<i64>) {
        for (i, &node) in nodes.iter().enumerate() {
            if self.ignored.get(i).copied().unwrap_or(false) {
                out.push(IGNORED);
            } else {
                out.push(self.raw_score(node, cluster));
            }
        }
    }

    /// `NormalizeScore`: `100 × (max + min − s) / max` over the scored nodes, 100 for all when
    /// max is 0, 0 for ignored nodes.
    fn normalize(&self, scores: &mut [i64]) {
        let mut min = i64::MAX;
        let mut max = 0i64;
        for &s in scores.iter().filter(|&&s| s != IGNORED) {
            min = min.min(s);
            max = max.max(s);
        }
        for s in scores.iter_mut() {
            *s = if *s == IGNORED {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - *s) / max
            };
        }
    }
}

fn has_all(constraints: &[Prepared], index: &TopologyIndex, node: NodeId) -> bool {
    constraints
        .iter()
        .all(|c| index.domain(c.key, node).is_some())
}

impl PodTopologySpread {
    /// `Score`: Σ over constraints whose key the node has of `count × log(domains + 2) +
    /// (maxSkew − 1)`, rounded half away from zero.
    fn raw_score(&self, node: NodeId, cluster: &ClusterState) -> i64 {
        let index = &cluster.topology;
        let mut score = 0.0f64;
        for c in &self.constraints {
            let Some(d) = index.domain(c.key, node) else {
                continue;
            };
            let cnt = if c.key == TopologyKey::Hostname {
                self.on_node(index, c, node)
            } else {
                c.counts[d as usize]
            };
            score += cnt as f64 * c.weight + (c.max_skew - 1) as f64;
        }
        score.round() as i64
    }
}

//! PodTopologySpread (pkg/scheduler/framework/plugins/podtopologyspread/{filtering.go,
//! scoring.go, common.go}): `DoNotSchedule` constraints filter, `ScheduleAnyway` constraints
//! (or the system defaults, for pods a ReplicaSet owns that set none) score.
//!
//! Matching pods are counted from the cluster's incremental topology index (per template and
//! node or domain), so a decision costs O(nodes × matching templates) at most and never scans
//! pods.

use super::node_affinity::view;
use super::taint_toleration::{tolerates_node_taints, tolerates_pool};
use super::{FilterFailure, FilterPlugin, MAX_NODE_SCORE, ScorePlugin};
use crate::cluster::ClusterState;
use crate::cluster::labels::{Symbol, Taint, TaintEffect, tolerated};
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
    /// `node.kubernetes.io/unschedulable:NoSchedule`, the taint a cordoned node carries.
    cordon_taint: Taint,
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
            cordon_taint: Taint {
                key: cluster.interner.intern("node.kubernetes.io/unschedulable"),
                value: cluster.interner.intern(""),
                effect: TaintEffect::NoSchedule,
            },
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
    /// A cordoned node has the `node.kubernetes.io/unschedulable:NoSchedule` taint (upstream's
    /// node lifecycle controller adds it), which `nodeTaintsPolicy: Honor` must see too.
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
        !c.honor_taints
            || (tolerates_pool(pod, n.pool.0 as usize, cluster)
                && tolerates_node_taints(pod, n, cluster)
                && (!n.unschedulable
                    || tolerated(
                        &cluster.templates[pod.template.0 as usize].tolerations,
                        &self.cordon_taint,
                    )))
    }
}

impl FilterPlugin for PodTopologySpread {
    fn name(&self) -> &str {
        "PodTopologySpread"
    }

    /// Without constraints of its own the pod has no hard constraint (the system defaults are
    /// ScheduleAnyway) and every node passes.
    fn node_local(&self, pod: &Pod, cluster: &ClusterState) -> bool {
        cluster.templates[pod.template.0 as usize].spread.is_empty()
    }

    /// `calPreFilterState`: matching pods per domain over the nodes that have every
    /// constraint's key and pass the inclusion policies; the global minimum per constraint.
    fn pre_filter(&mut self, pod: &Pod, cluster: &ClusterState) {
        if cluster.templates[pod.template.0 as usize].spread.is_empty() {
            // System defaults are ScheduleAnyway: no hard constraint to prepare.
            self.constraints.clear();
            self.templates.clear();
            return;
        }
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

#[cfg(test)]
mod tests {
    //! Upstream cases from pkg/scheduler/framework/plugins/podtopologyspread/filtering_test.go
    //! (TestSingleConstraint, TestMultipleConstraints) and scoring_test.go
    //! (TestPodTopologySpreadScore), kubernetes/kubernetes master; each case keeps its
    //! upstream name. Nodes are named and labelled as upstream; `kubernetes.io/hostname` is
    //! implicit in kubesim (every node has it). Left out: namespace cases (kubesim has one
    //! namespace) and `matchLabelKeys` cases (not modelled).
    use super::*;
    use crate::cluster::affinity::SelectorOperator::{Exists, In, NotIn};
    use crate::cluster::affinity::{NodeAffinity, Requirement};
    use crate::cluster::pod::{PodId, PodPhase, PodTemplate};
    use crate::cluster::pod_affinity::LabelSelector;
    use crate::cluster::topology::test_support::{Expr, TopoCluster};
    use crate::engine::time::SimTime;
    use InclusionPolicy::{Honor, Ignore};
    use WhenUnsatisfiable::{DoNotSchedule, ScheduleAnyway};

    type L<'a> = &'a [(&'a str, &'a str)];

    /// A spread constraint; `sel: None` is an unset `labelSelector` (matches nothing).
    #[derive(Clone, Copy)]
    struct C<'a> {
        skew: i64,
        key: &'a str,
        when: WhenUnsatisfiable,
        sel: Option<&'a [Expr<'a>]>,
        min_domains: Option<u32>,
        affinity: InclusionPolicy,
        taints: InclusionPolicy,
    }

    const FOO_SEL: Option<&[Expr]> = Some(&[("foo", Exists, &[])]);
    const BAR_SEL: Option<&[Expr]> = Some(&[("bar", Exists, &[])]);

    const fn hard<'a>(skew: i64, key: &'a str, sel: Option<&'a [Expr<'a>]>) -> C<'a> {
        C {
            skew,
            key,
            when: DoNotSchedule,
            sel,
            min_domains: None,
            affinity: Honor,
            taints: Ignore,
        }
    }

    const fn soft<'a>(skew: i64, key: &'a str, sel: Option<&'a [Expr<'a>]>) -> C<'a> {
        C {
            when: ScheduleAnyway,
            ..hard(skew, key, sel)
        }
    }

    /// The incoming pod.
    #[derive(Clone, Copy)]
    struct P<'a> {
        labels: L<'a>,
        spread: &'a [C<'a>],
        node_selector: L<'a>,
        /// One required node affinity term with one requirement.
        affinity: Option<Expr<'a>>,
        /// The owner's selector for the system default constraints.
        default_selector: Option<&'a [Expr<'a>]>,
    }

    const fn pod<'a>(labels: L<'a>, spread: &'a [C<'a>]) -> P<'a> {
        P {
            labels,
            spread,
            node_selector: &[],
            affinity: None,
            default_selector: None,
        }
    }

    /// A node: labels and whether it has the `node.kubernetes.io/unschedulable:NoSchedule`
    /// taint.
    type N<'a> = (L<'a>, bool);

    const FOO: L = &[("foo", "")];
    const BAR: L = &[("bar", "")];
    const FOO_BAR: L = &[("foo", ""), ("bar", "")];
    /// The four nodes most upstream cases use.
    const ZONES: &[N] = &[
        (&[("zone", "zone1"), ("node", "node-a")], false),
        (&[("zone", "zone1"), ("node", "node-b")], false),
        (&[("zone", "zone2"), ("node", "node-x")], false),
        (&[("zone", "zone2"), ("node", "node-y")], false),
    ];
    const NODES_ABC: &[N] = &[
        (&[("node", "node-a")], false),
        (&[("node", "node-b")], false),
        (&[("node", "node-c")], false),
    ];
    /// node-a, node-b and node-x labelled `foo`, node-y not.
    const FOO_NODES: &[N] = &[
        (&[("node", "node-a"), ("foo", "")], false),
        (&[("node", "node-b"), ("foo", "")], false),
        (&[("node", "node-x"), ("foo", "")], false),
        (&[("node", "node-y")], false),
    ];
    /// node-y tainted.
    const TAINTED_Y: &[N] = &[
        (&[("node", "node-a"), ("foo", "")], false),
        (&[("node", "node-b"), ("foo", "")], false),
        (&[("node", "node-x"), ("foo", "")], false),
        (&[("node", "node-y")], true),
    ];
    const HOSTS4: &[N] = &[(&[], false), (&[], false), (&[], false), (&[], false)];

    fn selector(tc: &mut TopoCluster, sel: Option<&[Expr]>) -> LabelSelector {
        match sel {
            Some(exprs) => tc.selector(exprs),
            None => LabelSelector::nothing(),
        }
    }

    fn requirement(tc: &mut TopoCluster, &(key, operator, values): &Expr) -> Requirement {
        Requirement {
            key: tc.sym(key),
            operator,
            values: values.iter().map(|v| tc.sym(v)).collect(),
            number: 0,
        }
    }

    /// Nodes (named `node0..`), the `existing` pods (node index, labels) bound, the incoming
    /// pod pending.
    fn setup(nodes: &[N], existing: &[(usize, L)], p: &P) -> (TopoCluster, PodId) {
        let mut tc = TopoCluster::new();
        let ids: Vec<NodeId> = nodes
            .iter()
            .enumerate()
            .map(|(i, (labels, tainted))| {
                let taints: &[(&str, &str)] = if *tainted {
                    &[("node.kubernetes.io/unschedulable", "")]
                } else {
                    &[]
                };
                tc.node(&format!("node{i}"), labels, taints)
            })
            .collect();
        for (node, labels) in existing {
            let labels = tc.labels(labels);
            let t = tc.template(PodTemplate {
                labels,
                ..PodTemplate::default()
            });
            tc.bind(t, ids[*node]);
        }
        let spread = p
            .spread
            .iter()
            .map(|c| SpreadConstraint {
                max_skew: c.skew,
                topology_key: tc.sym(c.key),
                when_unsatisfiable: c.when,
                selector: selector(&mut tc, c.sel),
                min_domains: c.min_domains,
                node_affinity_policy: c.affinity,
                node_taints_policy: c.taints,
            })
            .collect();
        let node_selector = p
            .node_selector
            .iter()
            .map(|(k, v)| (tc.sym(k), tc.sym(v)))
            .collect();
        let required = p.affinity.map(|e| vec![vec![requirement(&mut tc, &e)]]);
        let default_spread_selector = p.default_selector.map(|e| tc.selector(e));
        let labels = tc.labels(p.labels);
        let t = tc.template(PodTemplate {
            labels,
            spread,
            node_affinity: NodeAffinity {
                node_selector,
                required,
                preferred: Vec::new(),
            },
            default_spread_selector,
            ..PodTemplate::default()
        });
        let pod = tc.pending(t);
        tc.register();
        (tc, pod)
    }

    /// PreFilter, then Filter on every node.
    fn filter_all(tc: &mut TopoCluster, pod: PodId) -> Vec<Verdict> {
        let mut plugin = PodTopologySpread::new(&mut tc.c);
        let c = &tc.c;
        let pod = &c.pods[pod.0 as usize];
        plugin.pre_filter(pod, c);
        c.live_nodes
            .iter()
            .map(|&n| plugin.filter(pod, &c.nodes[n.0 as usize], c))
            .collect()
    }

    fn filter(nodes: &[N], existing: &[(usize, L)], p: P) -> Vec<Verdict> {
        let (mut tc, pod) = setup(nodes, existing, &p);
        filter_all(&mut tc, pod)
    }

    /// PreScore, Score and NormalizeScore (system defaulting) with the first `feasible`
    /// nodes as candidates.
    fn score_all(tc: &mut TopoCluster, pod: PodId, feasible: usize) -> Vec<i64> {
        let mut plugin = PodTopologySpread::new(&mut tc.c);
        let c = &tc.c;
        let pod = &c.pods[pod.0 as usize];
        let nodes = &c.live_nodes[..feasible];
        assert!(plugin.pre_score_nodes(pod, nodes, c), "PreScore skipped");
        let mut scores = Vec::new();
        plugin.score_all(pod, nodes, c, &mut scores);
        plugin.normalize(&mut scores);
        scores
    }

    fn score(nodes: &[N], feasible: usize, existing: &[(usize, L)], p: P) -> Vec<i64> {
        let (mut tc, pod) = setup(nodes, existing, &p);
        score_all(&mut tc, pod, feasible)
    }

    /// A filter verdict.
    type Verdict = Result<(), FilterFailure>;

    const OK: Verdict = Ok(());
    const UNSCHED: Verdict = Err(FilterFailure::Unschedulable(REASON_CONSTRAINTS));
    const UNRES: Verdict = Err(FilterFailure::Unresolvable(REASON_MISSING_LABEL));

    /// Existing pods labelled `labels` on each listed node index.
    fn on(nodes: &[usize], labels: L<'static>) -> Vec<(usize, L<'static>)> {
        nodes.iter().map(|&n| (n, labels)).collect()
    }

    #[test]
    fn single_constraint() {
        // TestSingleConstraint.
        let in_node = |values: &'static [&'static str]| -> Expr<'static> { ("node", In, values) };
        let with_min = |min| C {
            min_domains: Some(min),
            ..hard(2, "node", FOO_SEL)
        };
        let with_zone_min = |min| C {
            min_domains: Some(min),
            ..hard(2, "zone", FOO_SEL)
        };
        let spread_2103 = on(&[0, 0, 1, 3, 3, 3], FOO);
        type Case<'a> = (
            &'a str,
            &'a [N<'a>],
            Vec<(usize, L<'a>)>,
            P<'a>,
            Vec<Verdict>,
        );
        let zone_foo: &[C] = &[hard(1, "zone", FOO_SEL)];
        let node_foo: &[C] = &[hard(1, "node", FOO_SEL)];
        let min4 = [with_min(4)];
        let min2 = [with_min(2)];
        let zmin3 = [with_zone_min(3)];
        let zmin1 = [with_zone_min(1)];
        let ignore_affinity: &[C] = &[C {
            affinity: Ignore,
            ..hard(1, "node", FOO_SEL)
        }];
        let honor_taints: &[C] = &[C {
            taints: Honor,
            ..hard(1, "node", FOO_SEL)
        }];
        let cases: Vec<Case> = vec![
            (
                "no existing pods",
                ZONES,
                vec![],
                pod(FOO, zone_foo),
                vec![OK; 4],
            ),
            (
                "no existing pods, incoming pod doesn't match itself",
                ZONES,
                vec![],
                pod(FOO, &const { [hard(1, "zone", BAR_SEL)] }),
                vec![OK; 4],
            ),
            (
                "existing pods do not match null selector",
                ZONES,
                on(&[2, 3], FOO),
                pod(FOO, &const { [hard(1, "zone", None)] }),
                vec![OK; 4],
            ),
            (
                "pods spread across zones as 3/3, all nodes fit",
                ZONES,
                spread_2103.clone(),
                pod(FOO, zone_foo),
                vec![OK; 4],
            ),
            (
                "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
                &[
                    (&[("zone", "zone1"), ("node", "node-a")], false),
                    (&[("zon", "zone1"), ("node", "node-b")], false),
                    (&[("zone", "zone2"), ("node", "node-x")], false),
                    (&[("zone", "zone2"), ("node", "node-y")], false),
                ],
                on(&[0, 1, 2, 3], FOO),
                pod(FOO, zone_foo),
                vec![OK, UNRES, UNSCHED, UNSCHED],
            ),
            (
                "pod cannot be scheduled as all nodes don't have label 'rack'",
                &[
                    (&[("zone", "zone1"), ("node", "node-a")], false),
                    (&[("zone", "zone2"), ("node", "node-x")], false),
                ],
                vec![],
                pod(FOO, &const { [hard(1, "rack", FOO_SEL)] }),
                vec![UNRES, UNRES],
            ),
            (
                "pods spread across nodes as 2/1/0/3, only node-x fits",
                ZONES,
                spread_2103.clone(),
                pod(FOO, node_foo),
                vec![UNSCHED, UNSCHED, OK, UNSCHED],
            ),
            (
                "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
                ZONES,
                spread_2103.clone(),
                pod(FOO, &const { [hard(2, "node", FOO_SEL)] }),
                vec![UNSCHED, OK, OK, UNSCHED],
            ),
            (
                "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
                ZONES,
                spread_2103.clone(),
                pod(BAR, node_foo),
                vec![UNSCHED, OK, OK, UNSCHED],
            ),
            (
                // NodeAffinity itself does not run here, so node-b and node-x pass.
                "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
                ZONES,
                spread_2103.clone(),
                P {
                    affinity: Some(in_node(&["node-a", "node-y"])),
                    ..pod(FOO, node_foo)
                },
                vec![OK, OK, OK, UNSCHED],
            ),
            (
                "incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
                ZONES,
                on(&[1, 1, 3], FOO),
                P {
                    affinity: Some(("node", NotIn, &["node-b"])),
                    ..pod(FOO, zone_foo)
                },
                vec![OK, OK, UNSCHED, UNSCHED],
            ),
            (
                "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < \
                 minDomains, then the third node fits",
                NODES_ABC,
                on(&[0, 0, 1, 1, 2], FOO),
                pod(FOO, &min4),
                vec![UNSCHED, UNSCHED, OK],
            ),
            (
                "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > \
                 minDomains, then the all nodes fit",
                NODES_ABC,
                on(&[0, 0, 1, 1, 2], FOO),
                pod(FOO, &min2),
                vec![OK; 3],
            ),
            (
                "pods spread across zone as 2/1, maxSkew is 2 and the number of domains < \
                 minDomains, then the third and fourth nodes fit",
                ZONES,
                on(&[0, 1, 3], FOO),
                pod(FOO, &zmin3),
                vec![UNSCHED, UNSCHED, OK, OK],
            ),
            (
                "pods spread across zone as 2/1, maxSkew is 2 and the number of domains > \
                 minDomains, then the all nodes fit",
                ZONES,
                on(&[0, 1, 3], FOO),
                pod(FOO, &zmin1),
                vec![OK; 4],
            ),
            (
                "NodeAffinityPolicy honored with labelSelectors",
                FOO_NODES,
                on(&[0, 1, 3], FOO),
                P {
                    node_selector: FOO,
                    ..pod(FOO, node_foo)
                },
                vec![UNSCHED, UNSCHED, OK, OK],
            ),
            (
                "NodeAffinityPolicy ignored with labelSelectors",
                FOO_NODES,
                on(&[0, 1, 3], FOO),
                P {
                    node_selector: FOO,
                    ..pod(FOO, ignore_affinity)
                },
                vec![UNSCHED, UNSCHED, OK, UNSCHED],
            ),
            (
                "NodeAffinityPolicy honored with nodeAffinity",
                FOO_NODES,
                on(&[0, 1, 3], FOO),
                P {
                    affinity: Some(("foo", In, &[""])),
                    ..pod(FOO, node_foo)
                },
                vec![UNSCHED, UNSCHED, OK, OK],
            ),
            (
                // Second upstream case of this name: the nodeAffinity variant.
                "NodeAffinityPolicy ignored with labelSelectors",
                FOO_NODES,
                on(&[0, 1, 3], FOO),
                P {
                    affinity: Some(("foo", In, &[""])),
                    ..pod(FOO, ignore_affinity)
                },
                vec![UNSCHED, UNSCHED, OK, UNSCHED],
            ),
            (
                "NodeTaintsPolicy honored",
                TAINTED_Y,
                on(&[0, 1, 3], FOO),
                pod(FOO, honor_taints),
                vec![UNSCHED, UNSCHED, OK, OK],
            ),
            (
                "NodeTaintsPolicy ignored",
                TAINTED_Y,
                on(&[0, 1, 3], FOO),
                pod(FOO, node_foo),
                vec![UNSCHED, UNSCHED, OK, UNSCHED],
            ),
        ];
        for (name, nodes, existing, p, want) in cases {
            assert_eq!(filter(nodes, &existing, p), want, "{name}");
        }
    }

    #[test]
    fn terminating_pods_are_not_counted() {
        // TestSingleConstraint and TestPodTopologySpreadScore, "terminating Pods should be
        // excluded". kubesim has no terminating phase: a deleted pod leaves its node at once,
        // which is what upstream's rule (skip pods with a deletionTimestamp) amounts to.
        let nodes: &[N] = &[
            (&[("node", "node-a")], false),
            (&[("node", "node-b")], false),
        ];
        let p = pod(FOO, &const { [hard(1, "node", FOO_SEL)] });
        let (mut tc, incoming) = setup(nodes, &on(&[0, 1], FOO), &p);
        let terminating = tc.c.nodes[0].pods[0];
        tc.c.terminate(terminating, PodPhase::Failed, SimTime(1));
        assert_eq!(filter_all(&mut tc, incoming), vec![OK, UNSCHED]);

        let p = pod(FOO, &const { [soft(1, LABEL_HOSTNAME, FOO_SEL)] });
        let (mut tc, incoming) = setup(HOSTS4, &on(&[0, 1], FOO), &p);
        let terminating = tc.c.nodes[0].pods[0];
        tc.c.terminate(terminating, PodPhase::Failed, SimTime(1));
        // Upstream has two nodes; nodes 2 and 3 are left out of the candidates.
        assert_eq!(score_all(&mut tc, incoming, 2), vec![100, 0]);
    }

    #[test]
    fn multiple_constraints() {
        // TestMultipleConstraints.
        type Case<'a> = (
            &'a str,
            &'a [N<'a>],
            Vec<(usize, L<'a>)>,
            P<'a>,
            Vec<Verdict>,
        );
        let zone_node: &[C] = &[hard(1, "zone", FOO_SEL), hard(1, "node", FOO_SEL)];
        let foo_zone_bar_node: &[C] = &[hard(1, "zone", FOO_SEL), hard(1, "node", BAR_SEL)];
        // node-a, node-x and node-y labelled foo; node-y tainted.
        let foo_tainted_y: &[N] = &[
            (&[("zone", "zone1"), ("node", "node-a"), ("foo", "")], false),
            (&[("zone", "zone1"), ("node", "node-b")], false),
            (&[("zone", "zone2"), ("node", "node-x"), ("foo", "")], false),
            (&[("zone", "zone2"), ("node", "node-y"), ("foo", "")], true),
        ];
        let honor_taints_zone = C {
            taints: Honor,
            ..hard(1, "zone", FOO_SEL)
        };
        let ignore_affinity_node = C {
            affinity: Ignore,
            ..hard(1, "node", FOO_SEL)
        };
        let zone_honor_taints = [honor_taints_zone, hard(1, "node", FOO_SEL)];
        let node_ignore_affinity = [hard(1, "zone", FOO_SEL), ignore_affinity_node];
        let both = [honor_taints_zone, ignore_affinity_node];
        let cases: Vec<Case> = vec![
            (
                "two Constraints on zone and node, spreads = [3/3, 2/1/0/3]",
                ZONES,
                on(&[0, 0, 1, 3, 3, 3], FOO),
                pod(FOO, zone_node),
                vec![UNSCHED, UNSCHED, OK, UNSCHED],
            ),
            (
                "two Constraints on zone and node, spreads = [3/4, 2/1/0/4]",
                ZONES,
                on(&[0, 0, 1, 3, 3, 3, 3], FOO),
                pod(FOO, zone_node),
                vec![UNSCHED; 4],
            ),
            (
                "Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]",
                ZONES,
                vec![(0, FOO), (3, BAR)],
                pod(FOO_BAR, foo_zone_bar_node),
                vec![UNSCHED, UNSCHED, OK, UNSCHED],
            ),
            (
                "Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]",
                ZONES,
                vec![(0, FOO), (2, BAR), (3, BAR)],
                pod(FOO_BAR, foo_zone_bar_node),
                vec![UNSCHED; 4],
            ),
            (
                "Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]",
                ZONES,
                vec![(0, FOO), (0, FOO_BAR), (3, FOO), (3, FOO_BAR), (3, FOO)],
                pod(FOO_BAR, foo_zone_bar_node),
                vec![UNSCHED, OK, UNSCHED, UNSCHED],
            ),
            (
                "Constraints hold different labelSelectors but pod doesn't match itself on \
                 'zone' constraint",
                ZONES,
                vec![(0, FOO), (2, BAR), (3, BAR)],
                pod(BAR, foo_zone_bar_node),
                vec![OK, OK, UNSCHED, UNSCHED],
            ),
            (
                "two Constraints on zone and node, absence of label 'node' on node-x, spreads = \
                 [1/1, 1/0/0/1]",
                &[
                    (&[("zone", "zone1"), ("node", "node-a")], false),
                    (&[("zone", "zone1"), ("node", "node-b")], false),
                    (&[("zone", "zone2")], false),
                    (&[("zone", "zone2"), ("node", "node-y")], false),
                ],
                on(&[0, 3], FOO),
                pod(FOO, zone_node),
                vec![UNSCHED, OK, UNRES, UNSCHED],
            ),
            (
                "two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore",
                &[
                    (&[("zone", "zone1"), ("node", "node-a"), ("foo", "")], false),
                    (&[("zone", "zone1"), ("node", "node-b"), ("foo", "")], false),
                    (&[("zone", "zone2"), ("node", "node-x"), ("foo", "")], false),
                    (&[("zone", "zone2"), ("node", "node-y")], false),
                ],
                on(&[0, 1, 3], FOO),
                P {
                    node_selector: FOO,
                    ..pod(FOO, &node_ignore_affinity)
                },
                vec![UNSCHED, UNSCHED, OK, UNSCHED],
            ),
            (
                "two node inclusion Constraints, zone: honor/honor, node: honor/ignore",
                &[
                    (&[("zone", "zone1"), ("node", "node-a"), ("foo", "")], false),
                    (&[("zone", "zone1"), ("node", "node-b"), ("foo", "")], false),
                    (&[("zone", "zone2"), ("node", "node-x"), ("foo", "")], false),
                    (&[("zone", "zone2"), ("node", "node-y")], true),
                ],
                on(&[0, 1, 3], FOO),
                pod(FOO, &zone_honor_taints),
                vec![UNSCHED, UNSCHED, OK, UNSCHED],
            ),
            (
                "two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
                foo_tainted_y,
                on(&[0, 1, 3], FOO),
                P {
                    node_selector: FOO,
                    ..pod(FOO, zone_node)
                },
                vec![UNSCHED, OK, OK, UNSCHED],
            ),
            (
                "two node inclusion Constraints, zone: honor/honor, node: ignore/ignore",
                foo_tainted_y,
                on(&[0, 1, 3], FOO),
                P {
                    node_selector: FOO,
                    ..pod(FOO, &both)
                },
                vec![UNSCHED, UNSCHED, OK, UNSCHED],
            ),
        ];
        for (name, nodes, existing, p, want) in cases {
            assert_eq!(filter(nodes, &existing, p), want, "{name}");
        }
    }

    #[test]
    fn pod_topology_spread_score() {
        // TestPodTopologySpreadScore (defaultingType System). Nodes are listed candidates
        // first; `feasible` counts the candidates, the rest are upstream's `failedNodes`.
        const H: &str = LABEL_HOSTNAME;
        let host_foo: &[C] = &[soft(1, H, FOO_SEL)];
        let zone_nodes: &[N] = &[
            (&[("zone", "zone1")], false),
            (&[("zone", "zone1")], false),
            (&[("zone", "zone2")], false),
            (&[("zone", "zone2")], false),
        ];
        let zone_foo_host_bar: &[C] = &[soft(1, "zone", FOO_SEL), soft(1, H, BAR_SEL)];
        let spread_2103 = on(&[0, 0, 1, 3, 3, 3], FOO);
        let spread_4321 = on(&[0, 0, 0, 0, 1, 1, 1, 2, 2, 3], FOO);
        // node-a 4, node-b 2, node-x 1, node-y (not a candidate) 3.
        let spread_421_3 = on(&[0, 0, 0, 0, 1, 1, 2, 3, 3, 3], FOO);
        let labelled_abc: &[N] = &[
            (&[("node", "node-a"), ("foo", "")], false),
            (&[("node", "node-b"), ("foo", "")], false),
            (&[("node", "node-c")], false),
        ];
        let tainted_c: &[N] = &[
            (&[("node", "node-a")], false),
            (&[("node", "node-b")], false),
            (&[("node", "node-c")], true),
        ];
        let spread_211 = on(&[0, 0, 1, 2], FOO);
        let node_foo: &[C] = &[soft(1, "node", FOO_SEL)];
        let ignore_affinity: &[C] = &[C {
            affinity: Ignore,
            ..soft(1, "node", FOO_SEL)
        }];
        let honor_taints: &[C] = &[C {
            taints: Honor,
            ..soft(1, "node", FOO_SEL)
        }];
        let min10 = [C {
            min_domains: Some(10),
            ..soft(2, "node", FOO_SEL)
        }];
        type Case<'a> = (
            &'a str,
            &'a [N<'a>],
            usize,
            Vec<(usize, L<'a>)>,
            P<'a>,
            Vec<i64>,
        );
        let cases: Vec<Case> = vec![
            (
                "one constraint on node, no existing pods",
                &HOSTS4[..2],
                2,
                vec![],
                pod(FOO, host_foo),
                vec![100, 100],
            ),
            (
                "one constraint on node, only one node is candidate",
                &HOSTS4[..2],
                1,
                on(&[0, 0, 1], FOO),
                pod(FOO, host_foo),
                vec![100],
            ),
            (
                "one constraint on node, all nodes have the same number of matching pods",
                &HOSTS4[..2],
                2,
                on(&[0, 1], FOO),
                pod(FOO, host_foo),
                vec![100, 100],
            ),
            (
                "one constraint on node, all 4 nodes are candidates",
                HOSTS4,
                4,
                spread_2103.clone(),
                pod(FOO, host_foo),
                vec![20, 60, 100, 0],
            ),
            (
                "one constraint on node, null selector",
                HOSTS4,
                4,
                spread_2103.clone(),
                pod(FOO, &const { [soft(1, H, None)] }),
                vec![100; 4],
            ),
            (
                "one constraint on node, all 4 nodes are candidates, maxSkew=2",
                HOSTS4,
                4,
                spread_2103.clone(),
                pod(FOO, &const { [soft(2, H, FOO_SEL)] }),
                vec![33, 66, 100, 16],
            ),
            (
                "one constraint on node, all 4 nodes are candidates, maxSkew=3",
                HOSTS4,
                4,
                spread_4321.clone(),
                pod(FOO, &const { [soft(3, H, FOO_SEL)] }),
                vec![44, 66, 77, 100],
            ),
            (
                // Upstream's default selector comes from a Service selecting foo=""; kubesim
                // takes it from the owning workload.
                "system defaulting, nodes don't have zone, pods match service",
                HOSTS4,
                4,
                spread_4321.clone(),
                P {
                    default_selector: Some(&[("foo", In, &[""])]),
                    ..pod(FOO, &[])
                },
                vec![44, 66, 77, 100],
            ),
            (
                "one constraint on node, 3 out of 4 nodes are candidates",
                HOSTS4,
                3,
                spread_421_3.clone(),
                pod(FOO, host_foo),
                vec![33, 83, 100],
            ),
            (
                // Upstream's node-b lacks the hostname label, which every kubesim node has;
                // a per-node custom key gives the same domains and weights.
                "one constraint on node, 3 out of 4 nodes are candidates, one node doesn't \
                 match topology key",
                &[
                    (&[("node", "node-a")], false),
                    (&[("n", "node-b")], false),
                    (&[("node", "node-x")], false),
                    (&[("node", "node-y")], false),
                ],
                3,
                spread_421_3.clone(),
                pod(FOO, node_foo),
                vec![16, 0, 100],
            ),
            (
                "one constraint on zone, 3 out of 4 nodes are candidates",
                zone_nodes,
                3,
                spread_421_3.clone(),
                pod(FOO, &const { [soft(1, "zone", FOO_SEL)] }),
                vec![75, 75, 100],
            ),
            (
                // Candidates node-a (zone1) and node-x (zone2); node-b and node-y failed.
                "two Constraints on zone and node, 2 out of 4 nodes are candidates",
                &[
                    (&[("zone", "zone1")], false),
                    (&[("zone", "zone2")], false),
                    (&[("zone", "zone1")], false),
                    (&[("zone", "zone2")], false),
                ],
                2,
                on(&[0, 0, 2, 1, 1, 3, 3, 3, 3], FOO),
                pod(
                    FOO,
                    &const { [soft(1, "zone", FOO_SEL), soft(1, H, FOO_SEL)] },
                ),
                vec![100, 63],
            ),
            (
                "two Constraints on zone and node, with different labelSelectors",
                zone_nodes,
                4,
                vec![(0, FOO), (1, FOO_BAR), (3, FOO), (3, BAR)],
                pod(FOO_BAR, zone_foo_host_bar),
                vec![60, 20, 100, 60],
            ),
            (
                "two Constraints on zone and node, with different labelSelectors, some nodes \
                 have 0 pods",
                zone_nodes,
                4,
                vec![(1, BAR), (2, FOO), (3, FOO_BAR)],
                pod(FOO_BAR, zone_foo_host_bar),
                vec![100, 60, 40, 0],
            ),
            (
                "two Constraints on zone and node, with different labelSelectors, 3 out of 4 \
                 nodes are candidates",
                zone_nodes,
                3,
                vec![(0, FOO), (1, FOO_BAR), (3, FOO), (3, BAR)],
                pod(FOO_BAR, zone_foo_host_bar),
                vec![50, 25, 100],
            ),
            (
                "minDomains has no effect when ScheduleAnyway",
                NODES_ABC,
                3,
                on(&[0, 0, 1, 1, 2], FOO),
                pod(FOO, &min10),
                vec![75, 75, 100],
            ),
            (
                "NodeAffinityPolicy honoed with labelSelectors",
                labelled_abc,
                3,
                spread_211.clone(),
                P {
                    node_selector: FOO,
                    ..pod(FOO, node_foo)
                },
                vec![0, 33, 100],
            ),
            (
                "NodeAffinityPolicy ignored with labelSelectors",
                labelled_abc,
                3,
                spread_211.clone(),
                P {
                    node_selector: FOO,
                    ..pod(FOO, ignore_affinity)
                },
                vec![66, 100, 100],
            ),
            (
                "NodeAffinityPolicy honoed with nodeAffinity",
                labelled_abc,
                3,
                spread_211.clone(),
                P {
                    affinity: Some(("foo", In, &[""])),
                    ..pod(FOO, node_foo)
                },
                vec![0, 33, 100],
            ),
            (
                "NodeAffinityPolicy ignored with nodeAffinity",
                labelled_abc,
                3,
                spread_211.clone(),
                P {
                    affinity: Some(("foo", In, &[""])),
                    ..pod(FOO, ignore_affinity)
                },
                vec![66, 100, 100],
            ),
            (
                "NodeTaintsPolicy honored",
                tainted_c,
                3,
                spread_211.clone(),
                pod(FOO, honor_taints),
                vec![0, 33, 100],
            ),
            (
                "NodeTaintsPolicy ignored",
                tainted_c,
                3,
                spread_211.clone(),
                pod(FOO, node_foo),
                vec![66, 100, 100],
            ),
        ];
        for (name, nodes, feasible, existing, p, want) in cases {
            assert_eq!(score(nodes, feasible, &existing, p), want, "{name}");
        }
    }

    #[test]
    fn pre_score_state() {
        // TestPreScoreStateEmptyNodes: the normalizing weight log(domains + 2) of each
        // constraint and the nodes left unscored (no pods exist).
        let state = |nodes: &[N], p: P| {
            let (mut tc, pod) = setup(nodes, &[], &p);
            let mut plugin = PodTopologySpread::new(&mut tc.c);
            let c = &tc.c;
            assert!(plugin.pre_score_nodes(&c.pods[pod.0 as usize], &c.live_nodes, c));
            let weights: Vec<f64> = plugin.constraints.iter().map(|c| c.weight).collect();
            (weights, plugin.ignored.clone())
        };
        let ln = |size: usize| ((size + 2) as f64).ln();
        let zone_ab_x: &[N] = &[
            (&[("zone", "zone1")], false),
            (&[("zone", "zone1")], false),
            (&[("zone", "zone2")], false),
        ];
        // "normal case"
        assert_eq!(
            state(
                zone_ab_x,
                pod(
                    FOO,
                    &const { [soft(1, "zone", FOO_SEL), soft(1, LABEL_HOSTNAME, FOO_SEL)] }
                )
            ),
            (vec![ln(2), ln(3)], vec![false; 3])
        );
        // "node-x doesn't have label zone"
        let no_zone_x: &[N] = &[
            (&[("zone", "zone1")], false),
            (&[("zone", "zone1")], false),
            (&[], false),
        ];
        assert_eq!(
            state(
                no_zone_x,
                pod(
                    FOO,
                    &const { [soft(1, "zone", FOO_SEL), soft(1, LABEL_HOSTNAME, BAR_SEL)] }
                )
            ),
            (vec![ln(1), ln(2)], vec![false, false, true])
        );
        // "system default constraints and a replicaset": hostname (maxSkew 3) and zone
        // (maxSkew 5); nodes without a zone are not ignored, they form one more zone.
        let mars: &[N] = &[
            (&[(LABEL_ZONE, "mars")], false),
            (&[(LABEL_ZONE, "mars")], false),
            (&[], false),
            (&[], false),
        ];
        let replica = P {
            default_selector: Some(&[("foo", Exists, &[])]),
            ..pod(&[("foo", "tar"), ("baz", "sup")], &[])
        };
        assert_eq!(state(mars, replica), (vec![ln(4), ln(2)], vec![false; 4]));
    }

    #[test]
    fn cordoned_nodes_carry_the_unschedulable_taint() {
        // TestSingleConstraint "NodeTaintsPolicy honored" and "NodeTaintsPolicy ignored" with
        // node-y cordoned instead of tainted: upstream's fixture taint is the one a cordon adds.
        let (mut tc, incoming) = setup(
            FOO_NODES,
            &on(&[0, 1, 3], FOO),
            &pod(
                FOO,
                &const {
                    [C {
                        taints: Honor,
                        ..hard(1, "node", FOO_SEL)
                    }]
                },
            ),
        );
        tc.c.set_unschedulable(NodeId(3), true);
        assert_eq!(
            filter_all(&mut tc, incoming),
            vec![UNSCHED, UNSCHED, OK, OK]
        );
        let (mut tc, incoming) = setup(
            FOO_NODES,
            &on(&[0, 1, 3], FOO),
            &pod(FOO, &const { [hard(1, "node", FOO_SEL)] }),
        );
        tc.c.set_unschedulable(NodeId(3), true);
        assert_eq!(
            filter_all(&mut tc, incoming),
            vec![UNSCHED, UNSCHED, OK, UNSCHED]
        );
    }
}

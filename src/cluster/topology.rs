//! Per-topology-domain counts of bound pods, kept incrementally so that inter-pod affinity and
//! topology spread never scan pods while scheduling.
//!
//! Pods of one template share their labels, so a label selector matches whole templates. The
//! index therefore counts bound pods per (template, node) and per (topology key, template,
//! domain); a selector's count in a domain is the sum over the templates it matches. Only
//! *tracked* templates are counted: those some registered selector matches, or whose pods carry
//! inter-pod affinity terms themselves. Selectors are registered when the scenario is built, so
//! templates nobody selects cost nothing.

use super::labels::{Labels, Symbol};
use super::node::NodeId;
use super::pod::TemplateId;
use super::pod_affinity::LabelSelector;

/// Marks a node without the key's label.
const NO_DOMAIN: u32 = u32::MAX;

/// How a topology key's domains are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopologyKey {
    /// `kubernetes.io/hostname`: every node is its own domain.
    Hostname,
    /// A tracked node label (index into the index's keys).
    Label(u32),
    /// A key the index does not track (no node has been seen with it): no domains.
    Untracked,
}

#[derive(Debug, Default)]
struct TrackedKey {
    key: Symbol,
    /// Per node id: domain index, or [`NO_DOMAIN`].
    node_domain: Vec<u32>,
    /// Domain index → label value.
    values: Vec<Symbol>,
    /// Per template: bound pods per domain (empty while the template is untracked).
    counts: Vec<Vec<u32>>,
}

/// The incremental topology index (see the module docs).
#[derive(Debug, Default)]
pub struct TopologyIndex {
    hostname_key: Option<Symbol>,
    keys: Vec<TrackedKey>,
    /// Per template: bound pods per node id (empty while untracked).
    per_node: Vec<Vec<u32>>,
    /// Per template: bound pods in total.
    totals: Vec<u32>,
    /// Per template: whether it is counted.
    tracked: Vec<bool>,
    /// Tracked templates, in id order.
    tracked_list: Vec<TemplateId>,
    /// Every selector some pod uses (affinity terms, spread constraints, default selectors).
    selectors: Vec<LabelSelector>,
    /// Number of nodes seen.
    nodes: usize,
}

impl TopologyIndex {
    /// Sets the interned `kubernetes.io/hostname` key.
    pub fn set_hostname_key(&mut self, key: Symbol) {
        self.hostname_key = Some(key);
    }

    /// Resolves a topology key.
    #[inline]
    pub fn key(&self, key: Symbol) -> TopologyKey {
        if Some(key) == self.hostname_key {
            return TopologyKey::Hostname;
        }
        match self.keys.iter().position(|k| k.key == key) {
            Some(i) => TopologyKey::Label(i as u32),
            None => TopologyKey::Untracked,
        }
    }

    /// Starts tracking a label key (no-op for hostname or a key already tracked). `labels`
    /// gives each existing node's labels; counts of already-bound pods must be redone by the
    /// caller ([`TopologyIndex::clear_counts`], then [`TopologyIndex::on_pod`] per bound pod,
    /// as `ClusterState::register_topology` does).
    pub fn track_key<'a>(&mut self, key: Symbol, labels: impl Iterator<Item = &'a Labels>) {
        if self.key(key) != TopologyKey::Untracked {
            return;
        }
        let mut k = TrackedKey {
            key,
            ..TrackedKey::default()
        };
        for l in labels {
            let d = domain_of(&mut k, l.get(key));
            k.node_domain.push(d);
        }
        k.counts = vec![Vec::new(); self.totals.len()];
        for (t, &tracked) in self.tracked.iter().enumerate() {
            if tracked {
                k.counts[t] = vec![0; k.values.len()];
            }
        }
        self.keys.push(k);
    }

    /// Registers a selector used by some pod; templates it matches become tracked.
    /// Returns the templates that became tracked (their counts start at zero: the caller
    /// recounts bound pods if any exist).
    pub fn register_selector(
        &mut self,
        selector: &LabelSelector,
        templates: &[Labels],
    ) -> Vec<TemplateId> {
        if !self.selectors.contains(selector) {
            self.selectors.push(selector.clone());
        }
        let mut newly = Vec::new();
        for (t, labels) in templates.iter().enumerate() {
            if !self.is_tracked(TemplateId(t as u32)) && selector.matches(labels) {
                self.track_template(TemplateId(t as u32));
                newly.push(TemplateId(t as u32));
            }
        }
        newly
    }

    /// Called for every new template: tracks it if `force` (its pods have affinity terms) or
    /// a registered selector matches its labels.
    pub fn on_add_template(&mut self, id: TemplateId, labels: &Labels, force: bool) {
        let t = id.0 as usize;
        while self.totals.len() <= t {
            self.totals.push(0);
            self.tracked.push(false);
            self.per_node.push(Vec::new());
            for k in &mut self.keys {
                k.counts.push(Vec::new());
            }
        }
        if force || self.selectors.iter().any(|s| s.matches(labels)) {
            self.track_template(id);
        }
    }

    /// Tracks a template (its counts start at zero).
    pub fn track_template(&mut self, id: TemplateId) {
        let t = id.0 as usize;
        if self.tracked[t] {
            return;
        }
        self.tracked[t] = true;
        self.per_node[t] = vec![0; self.nodes];
        for k in &mut self.keys {
            k.counts[t] = vec![0; k.values.len()];
        }
        let pos = self.tracked_list.partition_point(|x| x.0 < id.0);
        self.tracked_list.insert(pos, id);
    }

    /// Whether pods of `id` are counted.
    #[inline]
    pub fn is_tracked(&self, id: TemplateId) -> bool {
        self.tracked.get(id.0 as usize).copied().unwrap_or(false)
    }

    /// The tracked templates, in id order.
    pub fn tracked_templates(&self) -> &[TemplateId] {
        &self.tracked_list
    }

    /// Records a new node with its labels.
    pub fn on_add_node(&mut self, node: NodeId, labels: &Labels) {
        debug_assert_eq!(node.0 as usize, self.nodes);
        self.nodes += 1;
        for &t in &self.tracked_list {
            self.per_node[t.0 as usize].push(0);
        }
        for k in &mut self.keys {
            let before = k.values.len();
            let d = domain_of(k, labels.get(k.key));
            k.node_domain.push(d);
            if k.values.len() > before {
                for &t in &self.tracked_list {
                    k.counts[t.0 as usize].push(0);
                }
            }
        }
    }

    /// Counts a pod of `template` bound to `node` (`delta` = +1 on bind, −1 on removal).
    #[inline]
    pub fn on_pod(&mut self, template: TemplateId, node: NodeId, add: bool) {
        let t = template.0 as usize;
        if !self.tracked.get(t).copied().unwrap_or(false) {
            return;
        }
        let n = node.0 as usize;
        let bump = |c: &mut u32| {
            if add { *c += 1 } else { *c -= 1 }
        };
        bump(&mut self.per_node[t][n]);
        bump(&mut self.totals[t]);
        for k in &mut self.keys {
            let d = k.node_domain[n];
            if d != NO_DOMAIN {
                bump(&mut k.counts[t][d as usize]);
            }
        }
    }

    /// Bound pods of `template` in total.
    #[inline]
    pub fn total(&self, template: TemplateId) -> u32 {
        self.totals.get(template.0 as usize).copied().unwrap_or(0)
    }

    /// Bound pods of `template` on `node`.
    #[inline]
    pub fn on_node(&self, template: TemplateId, node: NodeId) -> u32 {
        self.per_node
            .get(template.0 as usize)
            .and_then(|v| v.get(node.0 as usize))
            .copied()
            .unwrap_or(0)
    }

    /// The domain of `node` for `key` (`None` when the node lacks the label). For hostname the
    /// domain is the node id.
    #[inline]
    pub fn domain(&self, key: TopologyKey, node: NodeId) -> Option<u32> {
        match key {
            TopologyKey::Hostname => Some(node.0),
            TopologyKey::Label(i) => {
                let d = self.keys[i as usize].node_domain[node.0 as usize];
                (d != NO_DOMAIN).then_some(d)
            }
            TopologyKey::Untracked => None,
        }
    }

    /// Number of domains of `key` (nodes for hostname).
    pub fn domain_count(&self, key: TopologyKey) -> usize {
        match key {
            TopologyKey::Hostname => self.nodes,
            TopologyKey::Label(i) => self.keys[i as usize].values.len(),
            TopologyKey::Untracked => 0,
        }
    }

    /// Bound pods of `template` in domain `domain` of `key`.
    #[inline]
    pub fn in_domain(&self, key: TopologyKey, template: TemplateId, domain: u32) -> u32 {
        let t = template.0 as usize;
        match key {
            TopologyKey::Hostname => self.per_node[t][domain as usize],
            TopologyKey::Label(i) => self.keys[i as usize].counts[t][domain as usize],
            TopologyKey::Untracked => 0,
        }
    }

    /// Bound pods of `template` in `node`'s domain of `key` (0 if the node lacks the label).
    #[inline]
    pub fn in_node_domain(&self, key: TopologyKey, template: TemplateId, node: NodeId) -> u32 {
        match self.domain(key, node) {
            Some(d) if self.is_tracked(template) => self.in_domain(key, template, d),
            _ => 0,
        }
    }

    /// Bound pods of `template` on nodes that have the `key` label.
    pub fn with_key(&self, key: TopologyKey, template: TemplateId) -> u32 {
        if !self.is_tracked(template) {
            return 0;
        }
        match key {
            TopologyKey::Hostname => self.total(template),
            TopologyKey::Label(i) => self.keys[i as usize].counts[template.0 as usize]
                .iter()
                .sum(),
            TopologyKey::Untracked => 0,
        }
    }

    /// Zeroes every count (before a recount from the bound pods).
    pub fn clear_counts(&mut self) {
        for &t in &self.tracked_list {
            let t = t.0 as usize;
            self.totals[t] = 0;
            self.per_node[t].iter_mut().for_each(|c| *c = 0);
            for k in &mut self.keys {
                k.counts[t].iter_mut().for_each(|c| *c = 0);
            }
        }
    }
}

fn domain_of(k: &mut TrackedKey, value: Option<Symbol>) -> u32 {
    match value {
        None => NO_DOMAIN,
        Some(v) => match k.values.iter().position(|&x| x == v) {
            Some(d) => d as u32,
            None => {
                k.values.push(v);
                k.values.len() as u32 - 1
            }
        },
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! A small cluster builder for the tests of the topology-aware plugins: one pool per node
    //! (so that every node has its own labels and taints), one template per pod spec.
    use crate::cluster::affinity::{Requirement, SelectorOperator};
    use crate::cluster::labels::{Labels, Symbol, Taint, TaintEffect};
    use crate::cluster::node::{NodeId, NodePool};
    use crate::cluster::pod::{PodId, PodName, PodTemplate, TemplateId};
    use crate::cluster::pod_affinity::LabelSelector;
    use crate::cluster::resources::{DEFAULT_MAX_PODS, Resources};
    use crate::cluster::{ClusterState, LABEL_ZONE, NewPod};
    use crate::engine::time::SimTime;

    /// A selector requirement written as text: (key, operator, values).
    pub(crate) type Expr<'a> = (&'a str, SelectorOperator, &'a [&'a str]);

    /// The cluster under test.
    pub(crate) struct TopoCluster {
        pub(crate) c: ClusterState,
        prefix: u32,
        ordinal: u32,
    }

    impl TopoCluster {
        pub(crate) fn new() -> Self {
            let mut c = ClusterState::default();
            let prefix = c.add_name_prefix("p-");
            TopoCluster {
                c,
                prefix,
                ordinal: 0,
            }
        }

        pub(crate) fn sym(&mut self, s: &str) -> Symbol {
            self.c.interner.intern(s)
        }

        pub(crate) fn labels(&mut self, pairs: &[(&str, &str)]) -> Labels {
            let pairs = pairs
                .iter()
                .map(|(k, v)| (self.sym(k), self.sym(v)))
                .collect();
            Labels::new(pairs)
        }

        /// A node named `name` with `labels` and NoSchedule `taints` (key, value).
        pub(crate) fn node(
            &mut self,
            name: &str,
            labels: &[(&str, &str)],
            taints: &[(&str, &str)],
        ) -> NodeId {
            let labels = self.labels(labels);
            let taints = taints
                .iter()
                .map(|(k, v)| Taint {
                    key: self.sym(k),
                    value: self.sym(v),
                    effect: TaintEffect::NoSchedule,
                })
                .collect();
            let pool = self.c.add_pool(NodePool {
                name: name.to_owned(),
                instance_type: "t".into(),
                allocatable: Resources {
                    cpu_milli: 64_000,
                    memory_bytes: 256 << 30,
                    gpu_milli: 0,
                    pods: DEFAULT_MAX_PODS,
                },
                labels,
                taints,
                zone: String::new(),
                hourly_price_usd: 1.0,
                spot: false,
            });
            self.c.add_node(pool, name.to_owned(), None, SimTime::ZERO)
        }

        pub(crate) fn template(&mut self, t: PodTemplate) -> TemplateId {
            self.c.add_template(t)
        }

        /// A selector of ANDed `matchExpressions`.
        pub(crate) fn selector(&mut self, exprs: &[Expr<'_>]) -> LabelSelector {
            LabelSelector {
                match_labels: Vec::new(),
                match_expressions: exprs
                    .iter()
                    .map(|&(key, operator, values)| Requirement {
                        key: self.sym(key),
                        operator,
                        values: values.iter().map(|v| self.sym(v)).collect(),
                        number: 0,
                    })
                    .collect(),
            }
        }

        /// Registers the topology keys and selectors the templates use, as the scenario
        /// builder does (`register_topology` in src/scenario/build.rs); bound pods are
        /// recounted.
        pub(crate) fn register(&mut self) {
            let mut keys = vec![self.sym(LABEL_ZONE)];
            let mut selectors = Vec::new();
            for t in &self.c.templates {
                let a = &t.pod_affinity;
                keys.extend(a.topology_keys());
                keys.extend(t.spread.iter().map(|c| c.topology_key));
                let terms = a
                    .required_affinity
                    .iter()
                    .chain(&a.required_anti_affinity)
                    .chain(a.preferred_affinity.iter().map(|w| &w.term))
                    .chain(a.preferred_anti_affinity.iter().map(|w| &w.term));
                selectors.extend(terms.map(|x| x.selector.clone()));
                selectors.extend(t.spread.iter().map(|c| c.selector.clone()));
                selectors.extend(t.default_spread_selector.iter().cloned());
            }
            keys.sort();
            keys.dedup();
            self.c.register_topology(&keys, &selectors);
        }

        /// A new pending pod of `template`.
        pub(crate) fn pending(&mut self, template: TemplateId) -> PodId {
            let name = PodName {
                prefix: self.prefix,
                ordinal: self.ordinal,
                width: 0,
            };
            self.ordinal += 1;
            self.c
                .create_pod(NewPod::bare(name, Resources::ZERO, template), SimTime::ZERO)
        }

        /// A pod of `template` bound to `node`.
        pub(crate) fn bind(&mut self, template: TemplateId, node: NodeId) -> PodId {
            let pod = self.pending(template);
            self.c.bind(pod, node, SimTime::ZERO);
            pod
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::TopoCluster;
    use super::*;
    use crate::cluster::affinity::SelectorOperator::{DoesNotExist, Exists, In, NotIn};
    use crate::cluster::pod::{PodId, PodPhase, PodTemplate};
    use crate::cluster::pod_affinity::{PodAffinity, PodAffinityTerm};
    use crate::engine::time::SimTime;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const NODE_LABELS: [(&str, &[&str]); 3] = [
        ("zone", &["z1", "z2", "z3"]),
        ("rack", &["r1", "r2"]),
        ("gen", &["g1", "g2"]),
    ];
    const POD_LABELS: [(&str, &[&str]); 2] = [("app", &["a", "b", "c"]), ("tier", &["x", "y"])];

    /// Random labels: each key absent or one of its values.
    fn random_labels<'a>(
        rng: &mut ChaCha8Rng,
        keys: &[(&'a str, &[&'a str])],
    ) -> Vec<(&'a str, &'a str)> {
        keys.iter()
            .filter_map(|&(k, values)| {
                let i = rng.random_range(0..=values.len());
                values.get(i).map(|&v| (k, v))
            })
            .collect()
    }

    fn add_node(tc: &mut TopoCluster, rng: &mut ChaCha8Rng) {
        let labels = random_labels(rng, &NODE_LABELS);
        let name = format!("n{}", tc.c.nodes.len());
        tc.node(&name, &labels, &[]);
    }

    /// A template with random labels; one in four carries an anti-affinity term (so it is
    /// tracked whatever its labels).
    fn add_template(tc: &mut TopoCluster, rng: &mut ChaCha8Rng) {
        let labels = random_labels(rng, &POD_LABELS);
        let labels = tc.labels(&labels);
        let mut pod_affinity = PodAffinity::default();
        if rng.random_range(0..4) == 0 {
            pod_affinity.required_anti_affinity.push(PodAffinityTerm {
                selector: tc.selector(&[("app", Exists, &[])]),
                topology_key: tc.sym("zone"),
            });
        }
        tc.template(PodTemplate {
            labels,
            pod_affinity,
            ..PodTemplate::default()
        });
    }

    /// Compares the index with a recount over the attached pods (all bound, unterminated
    /// pods but `detached`), for every template, node and registered key.
    fn check(
        tc: &TopoCluster,
        keys: &[Symbol],
        selectors: &[LabelSelector],
        detached: Option<PodId>,
    ) {
        let c = &tc.c;
        let index = &c.topology;
        let nodes = c.nodes.len();
        let mut per = vec![vec![0u32; nodes]; c.templates.len()];
        for (i, p) in c.pods.iter().enumerate() {
            if let Some(n) = p.node
                && !p.is_terminated()
                && detached != Some(PodId(i as u32))
            {
                per[p.template.0 as usize][n.0 as usize] += 1;
            }
        }
        let value = |key: Symbol, n: usize| c.pools[c.nodes[n].pool.0 as usize].labels.get(key);
        for (t, counts) in per.iter().enumerate() {
            let id = TemplateId(t as u32);
            let template = &c.templates[t];
            let must = !template.pod_affinity.is_empty()
                || selectors.iter().any(|s| s.matches(&template.labels));
            assert_eq!(index.is_tracked(id), must, "template {t} tracked");
            if !must {
                assert_eq!(index.total(id), 0);
                continue;
            }
            assert_eq!(index.total(id), counts.iter().sum::<u32>(), "total of {t}");
            for n in 0..nodes {
                let node = NodeId(n as u32);
                assert_eq!(
                    index.on_node(id, node),
                    counts[n],
                    "template {t} on node {n}"
                );
                assert_eq!(
                    index.in_node_domain(TopologyKey::Hostname, id, node),
                    counts[n]
                );
                for &k in keys {
                    let key = index.key(k);
                    let want: u32 = match value(k, n) {
                        Some(v) => (0..nodes)
                            .filter(|&m| value(k, m) == Some(v))
                            .map(|m| counts[m])
                            .sum(),
                        None => 0,
                    };
                    assert_eq!(index.in_node_domain(key, id, node), want, "key {k:?}");
                }
            }
            for &k in keys {
                let with_key: u32 = (0..nodes)
                    .filter(|&m| value(k, m).is_some())
                    .map(|m| counts[m])
                    .sum();
                assert_eq!(index.with_key(index.key(k), id), with_key);
            }
        }
        for &k in keys {
            let mut values: Vec<Symbol> = (0..nodes).filter_map(|n| value(k, n)).collect();
            values.sort();
            values.dedup();
            assert_eq!(index.domain_count(index.key(k)), values.len());
        }
        // A selector's count in a domain, as the plugins compute it: the sum over the tracked
        // templates it matches.
        for s in selectors {
            for n in 0..nodes {
                let want: u32 = per
                    .iter()
                    .zip(&c.templates)
                    .filter(|(_, t)| s.matches(&t.labels))
                    .map(|(counts, _)| counts[n])
                    .sum();
                let got: u32 = index
                    .tracked_templates()
                    .iter()
                    .filter(|t| s.matches(&c.templates[t.0 as usize].labels))
                    .map(|&t| index.on_node(t, NodeId(n as u32)))
                    .sum();
                assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn incremental_counts_match_a_recount() {
        for seed in 0..30u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut tc = TopoCluster::new();
            for _ in 0..rng.random_range(2..6) {
                add_node(&mut tc, &mut rng);
            }
            for _ in 0..rng.random_range(2..6) {
                add_template(&mut tc, &mut rng);
            }
            // Pods bound before registration are counted by the recount in
            // `register_topology`.
            for _ in 0..rng.random_range(0..6) {
                let t = TemplateId(rng.random_range(0..tc.c.templates.len()) as u32);
                let n = NodeId(rng.random_range(0..tc.c.nodes.len()) as u32);
                tc.bind(t, n);
            }
            let mut keys = vec![tc.sym("zone"), tc.sym("rack"), tc.sym("missing")];
            let mut selectors = vec![
                tc.selector(&[("app", In, &["a"])]),
                tc.selector(&[("app", In, &["b", "c"])]),
                tc.selector(&[("tier", Exists, &[])]),
                LabelSelector::nothing(),
            ];
            tc.c.register_topology(&keys, &selectors);
            check(&tc, &keys, &selectors, None);
            let late = [
                tc.selector(&[("tier", NotIn, &["x"])]),
                tc.selector(&[("app", DoesNotExist, &[])]),
                LabelSelector::default(),
            ];
            let gen_key = tc.sym("gen");
            for step in 0..120 {
                let running: Vec<PodId> = (0..tc.c.pods.len() as u32)
                    .map(PodId)
                    .filter(|&p| {
                        let p = &tc.c.pods[p.0 as usize];
                        p.node.is_some() && !p.is_terminated()
                    })
                    .collect();
                match rng.random_range(0..100) {
                    0..40 => {
                        let t = TemplateId(rng.random_range(0..tc.c.templates.len()) as u32);
                        let n = NodeId(rng.random_range(0..tc.c.nodes.len()) as u32);
                        tc.bind(t, n);
                    }
                    40..65 if !running.is_empty() => {
                        let p = running[rng.random_range(0..running.len())];
                        let phase = if rng.random_bool(0.5) {
                            PodPhase::Succeeded
                        } else {
                            PodPhase::Failed
                        };
                        tc.c.terminate(p, phase, SimTime(step));
                    }
                    65..70 => {
                        let t = TemplateId(rng.random_range(0..tc.c.templates.len()) as u32);
                        let p = tc.pending(t);
                        tc.c.terminate(p, PodPhase::Failed, SimTime(step));
                    }
                    70..78 => add_node(&mut tc, &mut rng),
                    78..85 => add_template(&mut tc, &mut rng),
                    85..90 => {
                        // Registering more keys and selectors later recounts everything.
                        if !keys.contains(&gen_key) {
                            keys.push(gen_key);
                        }
                        let extra = late[rng.random_range(0..late.len())].clone();
                        if !selectors.contains(&extra) {
                            selectors.push(extra);
                        }
                        tc.c.register_topology(&keys, &selectors);
                    }
                    _ if !running.is_empty() => {
                        // A what-if removal and its undo.
                        let p = running[rng.random_range(0..running.len())];
                        let node = tc.c.pods[p.0 as usize].node.expect("bound");
                        tc.c.detach(p, node);
                        check(&tc, &keys, &selectors, Some(p));
                        tc.c.attach(p, node);
                    }
                    _ => {}
                }
                check(&tc, &keys, &selectors, None);
            }
        }
    }
}

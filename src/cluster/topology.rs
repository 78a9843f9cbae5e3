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
    /// gives each existing node's labels; counts of already-bound pods must be added by the
    /// caller through [`TopologyIndex::recount`].
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

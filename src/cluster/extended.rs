//! Named extended resources (`example.com/foo`, `rdma/hca`, `ephemeral-storage`,
//! `hugepages-2Mi`...): every resource other than cpu, memory, `nvidia.com/gpu` and pods.
//!
//! [`super::resources::Resources`] stays a small `Copy` vector on every hot path; the other
//! resources live here. Their names are interned per scenario (index `0..n`); a pod template
//! names one shared request set ([`ExtendedSet`], 0 = requests none, so such pods take exactly
//! the path they took before extended resources existed); each node has an allocatable and a
//! requested amount per resource, stored per resource (one `Vec` indexed by node), so adding a
//! resource or a node is cheap at build time. Amounts are whole units (bytes for
//! `ephemeral-storage` and `hugepages-*`, a count for device-plugin resources).

use super::node::{NodeId, PoolId};

/// Index of an interned extended resource name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExtendedName(pub u16);

/// Index of a shared set of extended requests; [`ExtendedSet::NONE`] requests nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExtendedSet(pub u32);

impl ExtendedSet {
    /// The empty set (the pod requests no extended resource).
    pub const NONE: ExtendedSet = ExtendedSet(0);

    /// True for the empty set.
    #[inline]
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
}

/// The per-scenario registry of extended resources and their per-node amounts.
#[derive(Clone, Debug)]
pub struct ExtendedResources {
    names: Vec<String>,
    /// Per resource: `Insufficient <name>`, the fit filter's reason.
    reasons: Vec<&'static str>,
    /// Per resource: a scalar resource (everything but `ephemeral-storage`), which the
    /// scorers skip for pods that do not request it.
    scalar: Vec<bool>,
    /// Per resource, per node: allocatable [units].
    allocatable: Vec<Vec<u64>>,
    /// Per resource, per node: sum of the bound pods' requests [units].
    requested: Vec<Vec<u64>>,
    /// Request sets: (resource, amount > 0) sorted by resource; entry 0 is empty.
    sets: Vec<Vec<(ExtendedName, u64)>>,
    /// Per pool: the allocatable of its nodes.
    pools: Vec<Vec<(ExtendedName, u64)>>,
    nodes: usize,
}

impl Default for ExtendedResources {
    fn default() -> Self {
        ExtendedResources {
            names: Vec::new(),
            reasons: Vec::new(),
            scalar: Vec::new(),
            allocatable: Vec::new(),
            requested: Vec::new(),
            sets: vec![Vec::new()],
            pools: Vec::new(),
            nodes: 0,
        }
    }
}

/// `Insufficient <name>` as a `'static` filter reason, made once per distinct name for the
/// whole process (a handful of strings).
fn insufficient_reason(name: &str) -> &'static str {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    static REASONS: Mutex<BTreeMap<String, &'static str>> = Mutex::new(BTreeMap::new());
    let mut map = REASONS.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(name.to_string())
        .or_insert_with(|| Box::leak(format!("Insufficient {name}").into_boxed_str()))
}

/// `IsExtendedResourceName` (pkg/apis/core/v1/helper/helpers.go): a domain-prefixed name
/// outside `kubernetes.io/` (not `requests.*`). `ephemeral-storage` and `hugepages-*` are
/// native resources: NodeResourcesFit's `ignoredResources` does not apply to them.
pub fn is_extended_resource_name(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.")
}

/// Whether `name` may appear in a pod's requests or limits besides cpu, memory and
/// `nvidia.com/gpu`: an extended resource name, `ephemeral-storage` or `hugepages-<size>`
/// (pkg/apis/core/validation `validateContainerResourceName`).
pub fn is_pod_resource_name(name: &str) -> bool {
    is_extended_resource_name(name)
        || name == "ephemeral-storage"
        || name
            .strip_prefix("hugepages-")
            .is_some_and(|s| !s.is_empty())
}

impl ExtendedResources {
    /// Number of interned names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no extended resource is known.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of `r`.
    pub fn name(&self, r: ExtendedName) -> &str {
        &self.names[r.0 as usize]
    }

    /// The fit filter's reason for `r`: `Insufficient <name>`.
    #[inline]
    pub fn reason(&self, r: ExtendedName) -> &'static str {
        self.reasons[r.0 as usize]
    }

    /// Whether `r` is a scalar resource (`IsScalarResourceName`: extended, hugepages...), which
    /// the resource scorers skip for a pod that does not request it; `ephemeral-storage` is
    /// scored for every pod.
    #[inline]
    pub fn is_scalar(&self, r: ExtendedName) -> bool {
        self.scalar[r.0 as usize]
    }

    /// The index of `name`, if interned.
    pub fn lookup(&self, name: &str) -> Option<ExtendedName> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| ExtendedName(i as u16))
    }

    /// Interns `name` (every node starts with none of it).
    pub fn intern(&mut self, name: &str) -> ExtendedName {
        if let Some(r) = self.lookup(name) {
            return r;
        }
        self.names.push(name.to_string());
        self.reasons.push(insufficient_reason(name));
        self.scalar.push(name != "ephemeral-storage");
        self.allocatable.push(vec![0; self.nodes]);
        self.requested.push(vec![0; self.nodes]);
        ExtendedName(self.names.len() as u16 - 1)
    }

    /// Registers a request set (`amounts` by name; zero amounts are dropped, as the fit
    /// filter skips them) and returns its id; an empty set is [`ExtendedSet::NONE`]. Equal
    /// sets share one id.
    pub fn add_set<'a>(
        &mut self,
        amounts: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> ExtendedSet {
        let mut set: Vec<(ExtendedName, u64)> = amounts
            .into_iter()
            .filter(|&(_, v)| v > 0)
            .map(|(n, v)| (self.intern(n), v))
            .collect();
        set.sort_unstable();
        if set.is_empty() {
            return ExtendedSet::NONE;
        }
        if let Some(i) = self.sets.iter().position(|s| *s == set) {
            return ExtendedSet(i as u32);
        }
        self.sets.push(set);
        ExtendedSet(self.sets.len() as u32 - 1)
    }

    /// The requests of `set`.
    #[inline]
    pub fn set(&self, set: ExtendedSet) -> &[(ExtendedName, u64)] {
        &self.sets[set.0 as usize]
    }

    /// Sets the allocatable of the nodes `pool` creates from now on.
    pub fn set_pool<'a>(
        &mut self,
        pool: PoolId,
        amounts: impl IntoIterator<Item = (&'a str, u64)>,
    ) {
        let list: Vec<(ExtendedName, u64)> = amounts
            .into_iter()
            .map(|(n, v)| (self.intern(n), v))
            .collect();
        let i = pool.0 as usize;
        if self.pools.len() <= i {
            self.pools.resize(i + 1, Vec::new());
        }
        self.pools[i] = list;
    }

    /// The allocatable a node of `pool` gets.
    pub fn pool(&self, pool: PoolId) -> &[(ExtendedName, u64)] {
        self.pools.get(pool.0 as usize).map_or(&[], Vec::as_slice)
    }

    /// Whether nodes of `pool` have at least `amount` of every resource of `set` (the cluster
    /// autoscaler's check that a node group can ever host the pod).
    pub fn pool_fits(&self, pool: PoolId, set: ExtendedSet) -> bool {
        let alloc = self.pool(pool);
        self.set(set).iter().all(|&(r, v)| {
            alloc
                .iter()
                .find(|&&(n, _)| n == r)
                .is_some_and(|&(_, a)| a >= v)
        })
    }

    /// Gives a new node `node` (the next index) the allocatable of `pool`.
    pub(crate) fn on_add_node(&mut self, node: NodeId, pool: PoolId) {
        debug_assert_eq!(node.0 as usize, self.nodes);
        self.nodes += 1;
        for r in 0..self.names.len() {
            self.allocatable[r].push(0);
            self.requested[r].push(0);
        }
        let list = self.pool(pool).to_vec();
        for (r, v) in list {
            self.allocatable[r.0 as usize][node.0 as usize] = v;
        }
    }

    /// Overrides a node's allocatable of `name` (nodes given one by one).
    pub fn set_node_allocatable(&mut self, node: NodeId, name: &str, amount: u64) {
        let r = self.intern(name);
        self.allocatable[r.0 as usize][node.0 as usize] = amount;
    }

    /// Allocatable of `r` on `node`.
    #[inline]
    pub fn allocatable(&self, r: ExtendedName, node: NodeId) -> u64 {
        self.allocatable[r.0 as usize][node.0 as usize]
    }

    /// Requested amount of `r` on `node`.
    #[inline]
    pub fn requested(&self, r: ExtendedName, node: NodeId) -> u64 {
        self.requested[r.0 as usize][node.0 as usize]
    }

    /// Adds (`bind`) or removes a pod's request set on `node`.
    #[inline]
    pub(crate) fn account(&mut self, set: ExtendedSet, node: NodeId, bind: bool) {
        for &(r, v) in &self.sets[set.0 as usize] {
            let slot = &mut self.requested[r.0 as usize][node.0 as usize];
            if bind {
                *slot += v;
            } else {
                *slot -= v;
            }
        }
    }

    /// The amount of `r` in `set` (0 if it requests none).
    #[inline]
    pub fn amount(&self, set: ExtendedSet, r: ExtendedName) -> u64 {
        self.set(set)
            .iter()
            .find(|&&(n, _)| n == r)
            .map_or(0, |&(_, v)| v)
    }

    /// The first resource of `set` that does not fit on `node`: `(name, unresolvable)` where
    /// `unresolvable` means the request exceeds the node's whole allocatable. Resources in
    /// `ignored` are skipped.
    pub fn misfit(
        &self,
        set: ExtendedSet,
        node: NodeId,
        ignored: &dyn Fn(ExtendedName) -> bool,
    ) -> Option<(ExtendedName, bool)> {
        for &(r, v) in self.set(set) {
            if ignored(r) {
                continue;
            }
            let a = self.allocatable(r, node);
            if v > a.saturating_sub(self.requested(r, node)) {
                return Some((r, v > a));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nodes_and_accounting() {
        let mut x = ExtendedResources::default();
        x.set_pool(PoolId(0), [("example.com/foo", 4)]);
        x.on_add_node(NodeId(0), PoolId(0));
        x.on_add_node(NodeId(1), PoolId(1));
        let s = x.add_set([("example.com/foo", 3), ("rdma/hca", 0)]);
        assert_eq!(x.add_set([("rdma/hca", 0)]), ExtendedSet::NONE);
        assert_eq!(x.add_set([("example.com/foo", 3)]), s);
        let foo = x.lookup("example.com/foo").unwrap();
        assert_eq!(x.misfit(s, NodeId(0), &|_| false), None);
        assert_eq!(x.misfit(s, NodeId(1), &|_| false), Some((foo, true)));
        x.account(s, NodeId(0), true);
        assert_eq!(x.requested(foo, NodeId(0)), 3);
        assert_eq!(x.misfit(s, NodeId(0), &|_| false), Some((foo, false)));
        assert_eq!(x.misfit(s, NodeId(0), &|r| r == foo), None);
        x.account(s, NodeId(0), false);
        assert_eq!(x.requested(foo, NodeId(0)), 0);
        assert!(x.pool_fits(PoolId(0), s));
        assert!(!x.pool_fits(PoolId(1), s));
        // A resource interned after the nodes exist starts at zero on each.
        let late = x.intern("hugepages-2Mi");
        assert_eq!(x.allocatable(late, NodeId(1)), 0);
    }

    #[test]
    fn resource_name_kinds() {
        assert!(is_extended_resource_name("example.com/foo"));
        assert!(is_extended_resource_name("rdma/hca"));
        assert!(!is_extended_resource_name("ephemeral-storage"));
        assert!(!is_extended_resource_name("kubernetes.io/foo"));
        assert!(is_pod_resource_name("hugepages-2Mi"));
        assert!(is_pod_resource_name("ephemeral-storage"));
        assert!(!is_pod_resource_name("foo"));
    }
}

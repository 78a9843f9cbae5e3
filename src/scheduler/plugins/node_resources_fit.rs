//! NodeResourcesFit filter and score (pkg/scheduler/framework/plugins/noderesources/fit.go,
//! least_allocated.go, most_allocated.go, requested_to_capacity_ratio.go,
//! resource_allocation.go).

use super::{FilterFailure, FilterPlugin, MAX_NODE_SCORE, ScorePlugin};
use crate::cluster::ClusterState;
use crate::cluster::extended::{ExtendedName, ExtendedResources, is_pod_resource_name};
use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::Pod;

/// A resource a scorer can weigh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceName {
    /// `cpu`.
    Cpu,
    /// `memory`.
    Memory,
    /// `nvidia.com/gpu` (an extended/scalar resource).
    Gpu,
    /// Any other named resource (`example.com/foo`, `ephemeral-storage`, `hugepages-2Mi`).
    Extended(ExtendedName),
}

impl ResourceName {
    /// Parses cpu, memory or `nvidia.com/gpu` (alias `gpu`).
    pub fn parse(name: &str) -> Option<ResourceName> {
        match name {
            "cpu" => Some(ResourceName::Cpu),
            "memory" => Some(ResourceName::Memory),
            "nvidia.com/gpu" | "gpu" => Some(ResourceName::Gpu),
            _ => None,
        }
    }

    /// Parses any resource name a pod may request, interning extended names in `extended`.
    pub fn parse_in(name: &str, extended: &mut ExtendedResources) -> Option<ResourceName> {
        ResourceName::parse(name).or_else(|| {
            is_pod_resource_name(name).then(|| ResourceName::Extended(extended.intern(name)))
        })
    }
}

/// A weighted resource of a scoring strategy (`ResourceSpec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightedResource {
    /// Which resource.
    pub name: ResourceName,
    /// Weight, 1..=100.
    pub weight: i64,
}

/// The default `[cpu:1, memory:1]` resource list.
pub const DEFAULT_RESOURCES: [WeightedResource; 2] = [
    WeightedResource {
        name: ResourceName::Cpu,
        weight: 1,
    },
    WeightedResource {
        name: ResourceName::Memory,
        weight: 1,
    },
];

/// `Some((cpu weight, memory weight))` when `resources` is exactly `[cpu, memory]` (the
/// default list, which the specialised scoring paths handle).
pub fn cpu_mem_weights(resources: &[WeightedResource]) -> Option<(i64, i64)> {
    match resources {
        [
            WeightedResource {
                name: ResourceName::Cpu,
                weight: wc,
            },
            WeightedResource {
                name: ResourceName::Memory,
                weight: wm,
            },
        ] => Some((*wc, *wm)),
        _ => None,
    }
}

/// One point of a RequestedToCapacityRatio shape: utilization 0..=100 maps to score 0..=10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShapePoint {
    /// Utilization percentage.
    pub utilization: i64,
    /// Score 0..=10 (scaled by 10 internally, as upstream).
    pub score: i64,
}

/// `NodeResourcesFitArgs.scoringStrategy.type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScoringStrategy {
    /// Prefer the least requested nodes (spreads load; the default).
    LeastAllocated,
    /// Prefer the most requested nodes (bin-packing).
    MostAllocated,
    /// Score by a piecewise-linear function of utilization.
    RequestedToCapacityRatio(Vec<ShapePoint>),
}

/// For a node and the pod being scheduled, the (allocatable, requested-after-placement) pair of
/// `resource`, or `None` when the resource is skipped (`calculateResourceAllocatableRequest`).
///
/// With `use_requested == false` cpu and memory use the non-zero request sums (unset requests
/// count as 100m / 200Mi); extended resources always use real requests and are skipped when the
/// pod does not request them (but `ephemeral-storage` is not scalar: it always counts). Resources
/// with zero allocatable (or that the node does not have) are skipped.
#[inline]
pub fn allocatable_and_requested(
    pod: &Pod,
    node: &Node,
    resource: ResourceName,
    use_requested: bool,
    cluster: &ClusterState,
) -> Option<(i64, i64)> {
    let (alloc, req) = match resource {
        ResourceName::Cpu => {
            let req = if use_requested {
                node.requested.cpu_milli + pod.requests.cpu_milli
            } else {
                node.non_zero_cpu_milli + pod.non_zero_requests().0
            };
            (node.allocatable.cpu_milli, req)
        }
        ResourceName::Memory => {
            let req = if use_requested {
                node.requested.memory_bytes + pod.requests.memory_bytes
            } else {
                node.non_zero_memory_bytes + pod.non_zero_requests().1
            };
            (node.allocatable.memory_bytes, req)
        }
        ResourceName::Gpu => {
            if pod.requests.gpu_milli == 0 {
                return None;
            }
            (
                node.allocatable.gpu_milli,
                node.requested.gpu_milli + pod.requests.gpu_milli,
            )
        }
        ResourceName::Extended(r) => {
            let x = &cluster.extended;
            let req = x.amount(pod.extended, r);
            if req == 0 && x.is_scalar(r) {
                return None;
            }
            (x.allocatable(r, node.id), x.requested(r, node.id) + req)
        }
    };
    if alloc == 0 {
        None
    } else {
        Some((alloc as i64, req as i64))
    }
}

/// Exact `⌊a / b⌋` for `0 ≤ a`, `0 < b`. Computed through an f64 quotient with a one-step
/// integer correction when both fit in 53 bits (exact in f64), which pipelines far better
/// than a 64-bit integer division in the per-node scoring loop; plain division otherwise.
#[inline]
pub fn div_floor(a: i64, b: i64) -> i64 {
    const EXACT: i64 = 1 << 53;
    if a >= EXACT || b >= EXACT {
        return a / b;
    }
    let mut q = (a as f64 / b as f64) as i64;
    // The f64 quotient is within one of the true quotient; correct it with exact integers.
    if q * b > a {
        q -= 1;
    } else if (q + 1) * b <= a {
        q += 1;
    }
    q
}

/// Exact `⌊a / b⌋` given `recip = 1.0 / b` precomputed (`0 ≤ a < 2^53`, `0 < b < 2^53`):
/// one multiplication and a ±1 integer correction instead of a division.
#[inline]
pub fn div_floor_recip(a: i64, b: i64, recip: f64) -> i64 {
    const EXACT: i64 = 1 << 53;
    if a >= EXACT || b >= EXACT {
        return a / b;
    }
    let mut q = (a as f64 * recip) as i64;
    if q * b > a {
        q -= 1;
    } else if (q + 1) * b <= a {
        q += 1;
    }
    q
}

/// `leastRequestedScore`: `(capacity − requested) × 100 / capacity`, 0 when over capacity.
#[inline]
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    div_floor((capacity - requested) * MAX_NODE_SCORE, capacity)
}

/// `mostRequestedScore`: `min(requested, capacity) × 100 / capacity`.
#[inline]
pub fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    div_floor(requested.min(capacity) * MAX_NODE_SCORE, capacity)
}

/// `helper.BuildBrokenLinearFunction` evaluated at `p` over `shape` (scores already scaled).
pub fn broken_linear(shape: &[ShapePoint], p: i64) -> i64 {
    for (i, point) in shape.iter().enumerate() {
        if p <= point.utilization {
            if i == 0 {
                return shape[0].score;
            }
            let prev = shape[i - 1];
            return prev.score
                + (point.score - prev.score) * (p - prev.utilization)
                    / (point.utilization - prev.utilization);
        }
    }
    shape.last().map_or(0, |s| s.score)
}

/// `NodeResourcesFitArgs.ignoredResources` / `ignoredResourceGroups`: extended resources the
/// fit filter does not check (fit.go `fitsRequest`; only extended resource names, never
/// hugepages or ephemeral storage).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IgnoredResources {
    names: Vec<String>,
    groups: Vec<String>,
}

impl IgnoredResources {
    /// Validates the lists (`field` names the args in errors): names must be extended resource
    /// names, groups non-empty prefixes without `/`.
    pub fn new(
        names: &[String],
        groups: &[String],
        field: &str,
    ) -> Result<Self, crate::error::Error> {
        for (i, n) in names.iter().enumerate() {
            if !crate::cluster::extended::is_extended_resource_name(n) {
                return Err(crate::error::Error::scenario(
                    format!("{field}.ignoredResources[{i}]"),
                    format!("{n:?} is not an extended resource name such as example.com/foo"),
                ));
            }
        }
        for (i, g) in groups.iter().enumerate() {
            if g.is_empty() || g.contains('/') {
                return Err(crate::error::Error::scenario(
                    format!("{field}.ignoredResourceGroups[{i}]"),
                    format!("{g:?} must be a resource prefix such as example.com (no \"/\")"),
                ));
            }
        }
        Ok(IgnoredResources {
            names: names.to_vec(),
            groups: groups.to_vec(),
        })
    }

    /// True when nothing is ignored.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.groups.is_empty()
    }

    /// Whether the fit filter skips the resource `name`.
    pub fn ignores(&self, name: &str) -> bool {
        crate::cluster::extended::is_extended_resource_name(name)
            && (self.names.iter().any(|n| n == name)
                || name
                    .split_once('/')
                    .is_some_and(|(g, _)| self.groups.iter().any(|x| x == g)))
    }
}

/// The NodeResourcesFit plugin: the resource filter and the configured scoring strategy.
pub struct NodeResourcesFit {
    ignored: IgnoredResources,
    strategy: ScoringStrategy,
    resources: Vec<WeightedResource>,
    /// RequestedToCapacityRatio shape with scores multiplied by 10 (0..=100).
    scaled_shape: Vec<ShapePoint>,
}

impl NodeResourcesFit {
    /// Creates the plugin with a scoring strategy and its weighted resources.
    pub fn new(strategy: ScoringStrategy, resources: Vec<WeightedResource>) -> Self {
        let scaled_shape = match &strategy {
            ScoringStrategy::RequestedToCapacityRatio(shape) => shape
                .iter()
                .map(|p| ShapePoint {
                    utilization: p.utilization,
                    score: p.score * 10,
                })
                .collect(),
            _ => Vec::new(),
        };
        NodeResourcesFit {
            ignored: IgnoredResources::default(),
            strategy,
            resources,
            scaled_shape,
        }
    }

    /// Sets the extended resources the filter does not check.
    pub fn with_ignored(mut self, ignored: IgnoredResources) -> Self {
        self.ignored = ignored;
        self
    }

    /// The default plugin: LeastAllocated over cpu and memory with weight 1.
    pub fn least_allocated() -> Self {
        Self::new(ScoringStrategy::LeastAllocated, DEFAULT_RESOURCES.to_vec())
    }

    /// RequestedToCapacityRatio per-resource score. Uses the utilization rounding of the
    /// released versions up to v1.35: `100 − (capacity − requested) × 100 / capacity`.
    fn ratio_resource_score(&self, requested: i64, capacity: i64) -> i64 {
        if capacity == 0 || requested > capacity {
            return broken_linear(&self.scaled_shape, 100);
        }
        broken_linear(
            &self.scaled_shape,
            100 - (capacity - requested) * 100 / capacity,
        )
    }
}

/// The resource-fit check (`fitsRequest`): pod count, then cpu, memory and gpu, each only when
/// the pod requests it. A request above the node's whole allocatable is unresolvable.
#[inline]
pub fn fits_request(pod: &Pod, node: &Node) -> Result<(), FilterFailure> {
    let (req, alloc, used) = (&pod.requests, &node.allocatable, &node.requested);
    if used.pods + 1 > alloc.pods {
        return Err(FilterFailure::Unschedulable("Too many pods"));
    }
    let check = |r: u64, a: u64, u: u64, reason: &'static str| -> Result<(), FilterFailure> {
        if r == 0 || r <= a.saturating_sub(u) {
            Ok(())
        } else if r > a {
            Err(FilterFailure::Unresolvable(reason))
        } else {
            Err(FilterFailure::Unschedulable(reason))
        }
    };
    check(
        req.cpu_milli,
        alloc.cpu_milli,
        used.cpu_milli,
        "Insufficient cpu",
    )?;
    check(
        req.memory_bytes,
        alloc.memory_bytes,
        used.memory_bytes,
        "Insufficient memory",
    )?;
    check(
        req.gpu_milli,
        alloc.gpu_milli,
        used.gpu_milli,
        "Insufficient nvidia.com/gpu",
    )
}

/// [`fits_request`] plus the pod's extended resources: each one it requests must fit in the
/// node's allocatable minus what its pods request; a node without the resource has none of
/// it (fit.go `fitsRequest`, scalar resources and ephemeral storage).
#[inline]
pub fn fits_request_in(
    pod: &Pod,
    node: &Node,
    cluster: &ClusterState,
) -> Result<(), FilterFailure> {
    fits_request(pod, node)?;
    let set = pod.extended;
    if set.is_none() {
        return Ok(());
    }
    match cluster.extended.misfit(set, node.id, &|_| false) {
        None => Ok(()),
        Some((r, true)) => Err(FilterFailure::Unresolvable(cluster.extended.reason(r))),
        Some((r, false)) => Err(FilterFailure::Unschedulable(cluster.extended.reason(r))),
    }
}

/// The kubelet's admission check of resources (pkg/kubelet/lifecycle/predicate.go): like
/// [`fits_request_in`], but extended resources the node does not have at all are dropped from
/// the pod's request first (`removeMissingExtendedResources`).
#[inline]
pub fn kubelet_admits(pod: &Pod, node: &Node, cluster: &ClusterState) -> bool {
    if fits_request(pod, node).is_err() {
        return false;
    }
    if pod.extended.is_none() {
        return true;
    }
    let x = &cluster.extended;
    let missing = |r| {
        x.allocatable(r, node.id) == 0
            && crate::cluster::extended::is_extended_resource_name(x.name(r))
    };
    x.misfit(pod.extended, node.id, &missing).is_none()
}

impl FilterPlugin for NodeResourcesFit {
    fn name(&self) -> &str {
        "NodeResourcesFit"
    }

    /// Reads only the pod and the node.
    fn node_local(&self, _pod: &Pod, _cluster: &ClusterState) -> bool {
        true
    }

    #[inline]
    fn filter(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> Result<(), FilterFailure> {
        if self.ignored.is_empty() || pod.extended.is_none() {
            return fits_request_in(pod, node, cluster);
        }
        fits_request(pod, node)?;
        let x = &cluster.extended;
        let ignored = |r| self.ignored.ignores(x.name(r));
        match x.misfit(pod.extended, node.id, &ignored) {
            None => Ok(()),
            Some((r, true)) => Err(FilterFailure::Unresolvable(x.reason(r))),
            Some((r, false)) => Err(FilterFailure::Unschedulable(x.reason(r))),
        }
    }
}

impl ScorePlugin for NodeResourcesFit {
    fn name(&self) -> &str {
        "NodeResourcesFit"
    }

    fn score(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> i64 {
        let mut node_score = 0;
        let mut weight_sum = 0;
        for r in &self.resources {
            let Some((alloc, req)) = allocatable_and_requested(pod, node, r.name, false, cluster)
            else {
                continue;
            };
            let s = match self.strategy {
                ScoringStrategy::LeastAllocated => least_requested_score(req, alloc),
                ScoringStrategy::MostAllocated => most_requested_score(req, alloc),
                ScoringStrategy::RequestedToCapacityRatio(_) => {
                    let s = self.ratio_resource_score(req, alloc);
                    // Upstream includes a resource only when its score is positive.
                    if s <= 0 {
                        continue;
                    }
                    s
                }
            };
            node_score += s * r.weight;
            weight_sum += r.weight;
        }
        if weight_sum == 0 {
            return 0;
        }
        match self.strategy {
            ScoringStrategy::RequestedToCapacityRatio(_) => {
                (node_score as f64 / weight_sum as f64).round() as i64
            }
            _ => div_floor(node_score, weight_sum),
        }
    }

    /// Same results as [`ScorePlugin::score`] per node, with the common configurations
    /// (Least/MostAllocated over exactly cpu and memory) specialised so the per-pod work and
    /// the strategy dispatch happen once, not once per node.
    fn score_all(&self, pod: &Pod, nodes: &[NodeId], cluster: &ClusterState, out: &mut Vec<i64>) {
        let (least, wc, wm) = match (&self.strategy, cpu_mem_weights(&self.resources)) {
            (ScoringStrategy::LeastAllocated | ScoringStrategy::MostAllocated, Some((wc, wm))) => {
                (self.strategy == ScoringStrategy::LeastAllocated, wc, wm)
            }
            _ => {
                out.extend(
                    nodes
                        .iter()
                        .map(|&id| self.score(pod, &cluster.nodes[id.0 as usize], cluster)),
                );
                return;
            }
        };
        let (pod_cpu, pod_mem) = pod.non_zero_requests();
        let weight_sum = wc + wm;
        out.extend(nodes.iter().map(|&id| {
            let n = &cluster.nodes[id.0 as usize];
            let (ac, am) = (
                n.allocatable.cpu_milli as i64,
                n.allocatable.memory_bytes as i64,
            );
            if ac == 0 || am == 0 {
                return self.score(pod, n, cluster);
            }
            let rc = (n.non_zero_cpu_milli + pod_cpu) as i64;
            let rm = (n.non_zero_memory_bytes + pod_mem) as i64;
            let (sc, sm) = if least {
                (least_requested_score(rc, ac), least_requested_score(rm, am))
            } else {
                (most_requested_score(rc, ac), most_requested_score(rm, am))
            };
            div_floor(sc * wc + sm * wm, weight_sum)
        }));
    }
}

/// Test fixtures shared by the plugin unit tests: a cluster built from node allocatables and
/// bound pods, plus helpers that run a plugin's PreFilter/Filter or PreScore/Score steps.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{ResourceName, WeightedResource};
    use crate::cluster::labels::{Labels, Symbol, Taint, Toleration};
    use crate::cluster::node::{NodeId, NodePool};
    use crate::cluster::pod::{PodId, PodName, PodTemplate, TemplateId};
    use crate::cluster::resources::{DEFAULT_MAX_PODS, Resources};
    use crate::cluster::{ClusterState, NewPod};
    use crate::engine::time::SimTime;
    use crate::scheduler::plugins::{FilterFailure, FilterPlugin, ScorePlugin};

    /// Upstream `"cpu": "<n>"` (whole cores) in millicores.
    pub(crate) const fn cores(n: u64) -> u64 {
        n * 1000
    }

    /// An upstream extended-resource count (mapped to our GPU resource) in milli-GPUs.
    pub(crate) const fn gpus(n: u64) -> u64 {
        n * 1000
    }

    /// Node allocatable with the default 110 pod slots.
    pub(crate) const fn alloc(cpu_milli: u64, memory_bytes: u64, gpu_milli: u64) -> Resources {
        Resources {
            cpu_milli,
            memory_bytes,
            gpu_milli,
            pods: DEFAULT_MAX_PODS,
        }
    }

    /// Pod requests (the pod slot is added by `create_pod`).
    pub(crate) const fn req(cpu_milli: u64, memory_bytes: u64, gpu_milli: u64) -> Resources {
        Resources {
            cpu_milli,
            memory_bytes,
            gpu_milli,
            pods: 0,
        }
    }

    /// A weighted resource list.
    pub(crate) fn weights(list: &[(ResourceName, i64)]) -> Vec<WeightedResource> {
        list.iter()
            .map(|&(name, weight)| WeightedResource { name, weight })
            .collect()
    }

    /// A small cluster: one pool per node (so that each node can have its own taints), one
    /// template per distinct toleration list.
    pub(crate) struct Fixture {
        pub(crate) cluster: ClusterState,
        ordinal: u32,
    }

    impl Fixture {
        pub(crate) fn new() -> Self {
            let mut cluster = ClusterState::default();
            cluster.add_name_prefix("p-");
            cluster.add_template(PodTemplate::default());
            Fixture {
                cluster,
                ordinal: 0,
            }
        }

        /// Nodes `node1..` with the given allocatables, `existing` pods (node index, requests)
        /// bound to them, and a pending pod with `pod` requests.
        pub(crate) fn with(
            nodes: &[Resources],
            existing: &[(usize, Resources)],
            pod: Resources,
        ) -> (Self, PodId) {
            let mut f = Fixture::new();
            let ids: Vec<NodeId> = nodes.iter().map(|&a| f.node(a, vec![])).collect();
            for &(i, r) in existing {
                f.bound_pod(r, ids[i]);
            }
            let pod = f.pod(pod, TemplateId(0));
            (f, pod)
        }

        pub(crate) fn intern(&mut self, text: &str) -> Symbol {
            self.cluster.interner.intern(text)
        }

        /// Adds a node `node<k>` in its own pool carrying `taints`.
        pub(crate) fn node(&mut self, allocatable: Resources, taints: Vec<Taint>) -> NodeId {
            let k = self.cluster.nodes.len() + 1;
            let pool = self.cluster.add_pool(NodePool {
                name: format!("pool{k}"),
                instance_type: "test".into(),
                allocatable,
                labels: Labels::default(),
                taints,
                zone: "z".into(),
                hourly_price_usd: 0.0,
                spot: false,
            });
            self.cluster
                .add_node(pool, format!("node{k}"), Some(allocatable), SimTime::ZERO)
        }

        /// A template carrying `tolerations`.
        pub(crate) fn template(&mut self, tolerations: Vec<Toleration>) -> TemplateId {
            self.cluster.add_template(PodTemplate {
                labels: Labels::default(),
                tolerations,
                ..Default::default()
            })
        }

        /// Creates a pending pod.
        pub(crate) fn pod(&mut self, requests: Resources, template: TemplateId) -> PodId {
            self.ordinal += 1;
            let new = NewPod::bare(
                PodName {
                    prefix: 0,
                    ordinal: self.ordinal,
                    width: 1,
                },
                requests,
                template,
            );
            self.cluster.create_pod(new, SimTime::ZERO)
        }

        /// A template whose pods are made of containers: `non_zero` scoring requests (e.g.
        /// `(0, 0)` for a container-less pod) and `extended` requests by name.
        pub(crate) fn containers_template(
            &mut self,
            non_zero: Option<(u64, u64)>,
            extended: &[(&str, u64)],
        ) -> TemplateId {
            let extended = self.cluster.extended.add_set(extended.iter().copied());
            self.cluster.add_template(PodTemplate {
                non_zero_requests: non_zero,
                extended,
                ..Default::default()
            })
        }

        /// Gives `node` `amount` of the extended resource `name`.
        pub(crate) fn extended(&mut self, node: NodeId, name: &str, amount: u64) {
            self.cluster
                .extended
                .set_node_allocatable(node, name, amount);
        }

        /// Creates a pod and binds it to `node`.
        pub(crate) fn bound_pod(&mut self, requests: Resources, node: NodeId) -> PodId {
            let pod = self.pod(requests, TemplateId(0));
            self.cluster.bind(pod, node, SimTime::ZERO);
            pod
        }

        /// PreScore then Score of `pod` on every live node, in node order.
        pub(crate) fn scores(&self, plugin: &mut dyn ScorePlugin, pod: PodId) -> Vec<i64> {
            let p = &self.cluster.pods[pod.0 as usize];
            assert!(
                plugin.pre_score(p, &self.cluster),
                "PreScore skipped the pod"
            );
            self.cluster
                .live_nodes
                .iter()
                .map(|n| plugin.score(p, &self.cluster.nodes[n.0 as usize], &self.cluster))
                .collect()
        }

        /// `scores` followed by the plugin's NormalizeScore.
        pub(crate) fn normalized_scores(
            &self,
            plugin: &mut dyn ScorePlugin,
            pod: PodId,
        ) -> Vec<i64> {
            let mut s = self.scores(plugin, pod);
            plugin.normalize(&mut s);
            s
        }

        /// PreFilter then Filter of `pod` on `node`.
        pub(crate) fn filter(
            &self,
            plugin: &mut dyn FilterPlugin,
            pod: PodId,
            node: NodeId,
        ) -> Result<(), FilterFailure> {
            let p = &self.cluster.pods[pod.0 as usize];
            plugin.pre_filter(p, &self.cluster);
            plugin.filter(p, &self.cluster.nodes[node.0 as usize], &self.cluster)
        }
    }

    /// One upstream score case: nodes (allocatable), bound pods (node index, requests), the
    /// incoming pod's requests, the configured resources and the expected score per node.
    pub(crate) struct ScoreCase {
        pub(crate) name: &'static str,
        pub(crate) nodes: Vec<Resources>,
        pub(crate) existing: Vec<(usize, Resources)>,
        pub(crate) pod: Resources,
        pub(crate) resources: Vec<WeightedResource>,
        pub(crate) want: Vec<i64>,
    }

    /// Runs every case with a plugin built from the case's resources; reports all mismatches.
    pub(crate) fn check_scores(
        cases: &[ScoreCase],
        make: impl Fn(Vec<WeightedResource>) -> Box<dyn ScorePlugin>,
    ) {
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|c| {
                let (f, pod) = Fixture::with(&c.nodes, &c.existing, c.pod);
                let got = f.scores(make(c.resources.clone()).as_mut(), pod);
                (got != c.want).then(|| format!("{:?}: want {:?}, got {got:?}", c.name, c.want))
            })
            .collect();
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }
}

#[cfg(test)]
mod tests {
    //! Upstream kube-scheduler unit-test cases (kubernetes/kubernetes,
    //! pkg/scheduler/framework/plugins/noderesources/*_test.go), reproduced with the same input
    //! numbers and expected scores. Upstream `"cpu": "4000"` means 4000 cores (`cores(4000)`),
    //! suffix-less memory is bytes, and an extended resource (abc.com/xyz, intel.com/foo,
    //! example.com/aaa) is mapped to our only extended resource, the GPU (`gpus(n)`).
    //!
    //! Upstream test pods built with `st.MakePod().Obj()` have no container at all and so no
    //! non-zero default requests, and upstream keeps an explicit `"memory": "0"` request at zero;
    //! the shorthand fixtures here count an unset (zero) cpu/memory request as 100m/200Mi for
    //! scoring, so such pods use a template with their scoring requests
    //! (`Fixture::containers_template`, see `container_less_pods_upstream_cases`). Bound
    //! container-less pods contribute nothing upstream and are simply not created here.
    use super::test_support::*;
    use super::*;
    use crate::cluster::resources::Resources;
    use crate::scheduler::plugins::FilterFailure::{Unresolvable, Unschedulable};
    use ResourceName::{Cpu, Gpu, Memory};

    const MI: u64 = 1024 * 1024;

    fn fit(strategy: &ScoringStrategy) -> impl Fn(Vec<WeightedResource>) -> Box<dyn ScorePlugin> {
        move |res| Box::new(NodeResourcesFit::new(strategy.clone(), res))
    }

    fn cpu_mem() -> Vec<WeightedResource> {
        weights(&[(Cpu, 1), (Memory, 1)])
    }

    /// `extendedResourceSet` of noderesources/test_util.go.
    fn cpu_mem_ext() -> Vec<WeightedResource> {
        weights(&[(Cpu, 1), (Memory, 1), (Gpu, 1)])
    }

    /// The "bypass / honor extended resource" and "if the node doesn't have a resource" cases,
    /// identical in least_allocated_test.go and most_allocated_test.go except for the scores.
    fn extended_cases(bypass: [i64; 2], honor: [i64; 2], missing: [i64; 2]) -> Vec<ScoreCase> {
        vec![
            ScoreCase {
                name: "bypass extended resource if the pod does not request",
                nodes: vec![
                    alloc(cores(6000), 10000, 0),
                    alloc(cores(6000), 10000, gpus(4)),
                ],
                existing: vec![],
                pod: req(cores(3000), 5000, 0),
                resources: cpu_mem_ext(),
                want: bypass.to_vec(),
            },
            ScoreCase {
                name: "honor extended resource if the pod requests",
                nodes: vec![
                    alloc(cores(6000), 10000, gpus(4)),
                    alloc(cores(6000), 10000, gpus(10)),
                ],
                existing: vec![],
                pod: req(cores(3000), 5000, gpus(2)),
                resources: cpu_mem_ext(),
                want: honor.to_vec(),
            },
            ScoreCase {
                name: "if the node doesn't have a resource",
                nodes: vec![
                    alloc(cores(6000), 10000, 0),
                    alloc(cores(6000), 10000, gpus(4)),
                ],
                existing: vec![],
                pod: req(cores(3000), 4000, 0),
                resources: weights(&[(Gpu, 2), (Cpu, 1), (Memory, 1)]),
                want: missing.to_vec(),
            },
        ]
    }

    /// least_allocated_test.go (commit 008b3652959ca58af8be3fb5b6ecfe9ae7638282),
    /// TestLeastAllocatedScoringStrategy. Not reproducible (incoming pod without containers or
    /// with an explicit zero memory request): "nothing scheduled, nothing requested", "no
    /// resources requested, pods scheduled", "no resources requested, pods scheduled with
    /// resources", "requested resources exceed node capacity". Config-validation cases (weights
    /// 0, -1, 101, nil resources) are out of scope.
    #[test]
    fn least_allocated_upstream_cases() {
        let mut cases = vec![
            ScoreCase {
                name: "nothing scheduled, resources requested, differently sized nodes",
                nodes: vec![alloc(cores(4000), 10000, 0), alloc(cores(6000), 10000, 0)],
                existing: vec![],
                pod: req(cores(3000), 5000, 0),
                resources: cpu_mem(),
                want: vec![37, 50],
            },
            ScoreCase {
                name: "zero node resources, pods scheduled with resources",
                nodes: vec![Resources::ZERO, Resources::ZERO],
                existing: vec![(0, req(cores(3000), 0, 0)), (1, req(cores(3000), 5000, 0))],
                pod: req(0, 0, 0),
                resources: cpu_mem(),
                want: vec![0, 0],
            },
            ScoreCase {
                name: "nothing scheduled, resources requested with different weight on CPU and \
                       memory, differently sized nodes",
                nodes: vec![alloc(cores(4000), 10000, 0), alloc(cores(6000), 10000, 0)],
                existing: vec![],
                pod: req(cores(3000), 5000, 0),
                resources: weights(&[(Memory, 2), (Cpu, 1)]),
                want: vec![41, 50],
            },
        ];
        cases.extend(extended_cases([50, 50], [50, 60], [55, 55]));
        check_scores(&cases, fit(&ScoringStrategy::LeastAllocated));
    }

    /// most_allocated_test.go (commit 030880a5dc5449403c6d1f0aa146a7dc21d6c6dc),
    /// TestMostAllocatedScoringStrategy. Not reproducible (incoming pod without containers):
    /// "nothing scheduled, nothing requested", "no resources requested, pods scheduled with
    /// resources".
    #[test]
    fn most_allocated_upstream_cases() {
        let mut cases = vec![
            ScoreCase {
                name: "nothing scheduled, resources requested, differently sized nodes",
                nodes: vec![alloc(cores(4000), 10000, 0), alloc(cores(6000), 10000, 0)],
                existing: vec![],
                pod: req(cores(3000), 5000, 0),
                resources: cpu_mem(),
                want: vec![62, 50],
            },
            ScoreCase {
                name: "resources requested equal node capacity",
                nodes: vec![alloc(cores(5000), 10000, 0), alloc(cores(10000), 9000, 0)],
                existing: vec![],
                pod: req(cores(5000), 9000, 0),
                resources: cpu_mem(),
                want: vec![95, 75],
            },
            ScoreCase {
                name: "nothing scheduled, resources requested, differently sized nodes \
                       (memory weight 2, cpu weight 1)",
                nodes: vec![alloc(cores(4000), 10000, 0), alloc(cores(6000), 10000, 0)],
                existing: vec![],
                pod: req(cores(3000), 5000, 0),
                resources: weights(&[(Memory, 2), (Cpu, 1)]),
                want: vec![58, 50],
            },
            // One container without requests everywhere: the 100m / 200Mi non-zero defaults
            // apply to the bound pods and to the incoming pod; node1 is over its 250m cpu.
            ScoreCase {
                name: "no resources requested, pods scheduled, nonzero request for resource",
                nodes: vec![alloc(250, 1000 * MI, 0), alloc(250, 1000 * MI, 0)],
                existing: vec![(0, req(0, 0, 0)), (0, req(0, 0, 0))],
                pod: req(0, 0, 0),
                resources: cpu_mem(),
                want: vec![80, 30],
            },
        ];
        cases.extend(extended_cases([50, 50], [50, 40], [45, 45]));
        check_scores(&cases, fit(&ScoringStrategy::MostAllocated));
    }

    /// least_allocated_test.go / most_allocated_test.go "resources requested, pods scheduled
    /// with resources" (+ ", differently sized nodes" for LeastAllocated). node1's bound pod
    /// requests cpu 3000 and an explicit `"memory": "0"`, which upstream does not replace by the
    /// 200Mi default: its template carries the scoring requests (3000 cores, 0) that an explicit
    /// zero in the scenario's shorthand produces.
    #[test]
    fn explicit_zero_memory_of_bound_pod_upstream_cases() {
        let run = |strategy: ScoringStrategy, node2_mem: u64| {
            let nodes = [
                alloc(cores(10000), 20000, 0),
                alloc(cores(10000), node2_mem, 0),
            ];
            let existing = [(1, req(cores(3000), 5000, 0))];
            let (mut f, pod) = Fixture::with(&nodes, &existing, req(cores(3000), 5000, 0));
            let zero_mem = f.containers_template(Some((cores(3000), 0)), &[]);
            let b = f.pod(req(cores(3000), 0, 0), zero_mem);
            f.cluster
                .bind(b, NodeId(0), crate::engine::time::SimTime::ZERO);
            f.scores(&mut NodeResourcesFit::new(strategy, cpu_mem()), pod)
        };
        assert_eq!(run(ScoringStrategy::LeastAllocated, 20000), [57, 45]);
        assert_eq!(run(ScoringStrategy::LeastAllocated, 50000), [57, 60]);
        assert_eq!(run(ScoringStrategy::MostAllocated, 20000), [42, 55]);
    }

    fn shape(points: &[(i64, i64)]) -> ScoringStrategy {
        ScoringStrategy::RequestedToCapacityRatio(
            points
                .iter()
                .map(|&(utilization, score)| ShapePoint { utilization, score })
                .collect(),
        )
    }

    /// requested_to_capacity_ratio_test.go (commit 8519d3399f10be33a45da368a48ee763acbe3999).
    ///
    /// Every reproduced case has an exact integer utilization, so the released rounding
    /// `100 − (cap − req)·100/cap` that we keep and the newer floor `req·100/cap` (seen in the
    /// stored requested_to_capacity_ratio.go, commit abd60651f20b906e54ce2c89ad6d2b7790dba8a1)
    /// agree on all of them; see `requested_to_capacity_ratio_keeps_released_rounding`.
    ///
    /// TestRequestedToCapacityRatioScoringStrategy: only the second case is reproducible (the
    /// other two score a container-less incoming pod); its two container-less bound pods are
    /// left out since they add nothing upstream.
    #[test]
    fn requested_to_capacity_ratio_upstream_cases() {
        let cases = vec![ScoreCase {
            name: "nothing scheduled, resources requested, differently sized nodes (default - \
                   least requested nodes have priority)",
            nodes: vec![alloc(cores(4000), 10000, 0), alloc(cores(6000), 10000, 0)],
            existing: vec![],
            pod: req(cores(3000), 5000, 0),
            resources: cpu_mem(),
            want: vec![38, 50],
        }];
        check_scores(&cases, fit(&shape(&[(0, 10), (100, 0)])));
    }

    /// requested_to_capacity_ratio_test.go (commit 8519d3399f10be33a45da368a48ee763acbe3999),
    /// TestResourceBinPackingSingleExtended: intel.com/foo (weight 1) as the GPU, shape
    /// {0:0, 100:1}. Unbound upstream pods (no node name) are ignored, as upstream.
    #[test]
    fn bin_packing_single_extended_upstream_cases() {
        let nodes = vec![
            alloc(4000, 10000 * MI, gpus(8)),
            alloc(4000, 10000 * MI, gpus(4)),
        ];
        let case = |name, existing, pod, want| ScoreCase {
            name,
            nodes: nodes.clone(),
            existing,
            pod,
            resources: weights(&[(Gpu, 1)]),
            want,
        };
        let cases = vec![
            case(
                "nothing scheduled, nothing requested",
                vec![],
                req(0, 0, 0),
                vec![0, 0],
            ),
            case(
                "resources requested, pods scheduled with less resources",
                vec![],
                req(0, 0, gpus(2)),
                vec![2, 5],
            ),
            case(
                "resources requested, pods scheduled with resources, on node with existing pod \
                 running",
                vec![(1, req(0, 0, gpus(2)))],
                req(0, 0, gpus(2)),
                vec![2, 10],
            ),
            case(
                "resources requested, pods scheduled with more resources",
                vec![],
                req(0, 0, gpus(4)),
                vec![5, 10],
            ),
        ];
        check_scores(&cases, fit(&shape(&[(0, 0), (100, 1)])));
    }

    /// requested_to_capacity_ratio_test.go (commit 8519d3399f10be33a45da368a48ee763acbe3999),
    /// TestResourceBinPackingMultipleExtended: intel.com/foo (weight 3) is mapped to the GPU and
    /// intel.com/bar (weight 5) to cpu (`cores(n)`); memory is not scored. The mapping is exact
    /// whenever the incoming pod requests both, so "nothing scheduled, nothing requested" (where
    /// upstream skips both extended resources but we would score cpu) is left out. Over
    /// capacity (foo 4+2 > 4 on node2) scores as 100% utilization.
    #[test]
    fn bin_packing_multiple_extended_upstream_cases() {
        let nodes = vec![
            alloc(cores(4), 10000 * MI, gpus(8)),
            alloc(cores(8), 10000 * MI, gpus(4)),
        ];
        let case = |name, existing, pod, want| ScoreCase {
            name,
            nodes: nodes.clone(),
            existing,
            pod,
            resources: weights(&[(Gpu, 3), (Cpu, 5)]),
            want,
        };
        let cases = vec![
            case(
                "resources requested, pods scheduled with less resources",
                vec![],
                req(cores(2), 0, gpus(2)),
                vec![4, 3],
            ),
            case(
                "resources requested, pods scheduled with resources, on node with existing pod \
                 running",
                vec![(1, req(cores(2), 0, gpus(4)))],
                req(cores(2), 0, gpus(2)),
                vec![4, 7],
            ),
            case(
                "resources requested, pods scheduled with more resources",
                vec![],
                req(cores(2), 0, gpus(4)),
                vec![5, 5],
            ),
        ];
        check_scores(&cases, fit(&shape(&[(0, 0), (100, 1)])));
    }

    /// Not an upstream case: the multiple-extended fixture with a node whose cpu ("bar") is at
    /// 5% utilization, which the {0:0, 100:1} shape scores 0. Upstream adds a resource's score
    /// and weight only when the score is positive, so the node scores round(2·3 / 3) = 2, not
    /// round((2·3 + 0·5) / 8) = 1.
    #[test]
    fn requested_to_capacity_ratio_drops_zero_scores_with_their_weight() {
        let (f, pod) = Fixture::with(
            &[alloc(cores(40), 10000 * MI, gpus(8))],
            &[],
            req(cores(2), 0, gpus(2)),
        );
        let strategy = shape(&[(0, 0), (100, 1)]);
        let mut p = NodeResourcesFit::new(strategy, weights(&[(Gpu, 3), (Cpu, 5)]));
        assert_eq!(f.scores(&mut p, pod), [2]);
    }

    /// Our RequestedToCapacityRatio utilization is the released (<= v1.35) one,
    /// `100 − (cap − req)·100/cap`, which rounds up where the newer `req·100/cap` floors:
    /// 1/3 is 34% here, 33% upstream from the version with the floor.
    #[test]
    fn requested_to_capacity_ratio_keeps_released_rounding() {
        let p = NodeResourcesFit::new(shape(&[(0, 0), (100, 10)]), cpu_mem());
        assert_eq!(p.ratio_resource_score(1, 3), 34);
        assert_eq!(p.ratio_resource_score(1, 4), 25);
        assert_eq!(p.ratio_resource_score(5, 4), 100, "over capacity is 100%");
    }

    /// fit_test.go (TestEnoughRequests, TestNotEnoughRequests): node allocatable cpu 10m,
    /// memory 20, 32 pods (1 pod for TestNotEnoughRequests), example.com/aaa 5 (our GPU), one
    /// bound pod. Statuses are from the stored newer fit_test.go where a request above the
    /// node's whole allocatable is UnschedulableAndUnresolvable (our `Unresolvable`); the older
    /// commit 24fbb13eafec665e6f4b64961930774babd8b6d1 reports plain Unschedulable there.
    /// Upstream lists every insufficient resource; we report the first (pods, cpu, memory, gpu).
    /// Init containers, overhead, ephemeral storage, hugepages and ignored resources are not
    /// modelled and are left out.
    #[test]
    fn fit_filter_upstream_cases() {
        let node = Resources {
            pods: 32,
            ..alloc(10, 20, gpus(5))
        };
        let one_pod = Resources {
            pods: 1,
            ..alloc(10, 20, 0)
        };
        let cpu = Unschedulable("Insufficient cpu");
        let mem = Unschedulable("Insufficient memory");
        let gpu = Unschedulable("Insufficient nvidia.com/gpu");
        let gpu_never = Unresolvable("Insufficient nvidia.com/gpu");
        let pods = Unschedulable("Too many pods");
        // (case name, node allocatable, bound pod, incoming pod, want)
        type Case = (
            &'static str,
            Resources,
            Resources,
            Resources,
            Result<(), FilterFailure>,
        );
        let cases: Vec<Case> = vec![
            (
                "no resources requested always fits",
                node,
                req(10, 20, 0),
                req(0, 0, 0),
                Ok(()),
            ),
            (
                "too many resources fails",
                node,
                req(10, 20, 0),
                req(1, 1, 0),
                Err(cpu),
            ),
            (
                "both resources fit",
                node,
                req(5, 5, 0),
                req(1, 1, 0),
                Ok(()),
            ),
            (
                "one resource memory fits",
                node,
                req(9, 5, 0),
                req(2, 1, 0),
                Err(cpu),
            ),
            (
                "one resource cpu fits",
                node,
                req(5, 19, 0),
                req(1, 2, 0),
                Err(mem),
            ),
            ("equal edge case", node, req(5, 19, 0), req(5, 1, 0), Ok(())),
            (
                "extended resource fits",
                node,
                req(0, 0, 0),
                req(0, 0, gpus(1)),
                Ok(()),
            ),
            (
                "extended resource capacity enforced",
                node,
                req(0, 0, 0),
                req(1, 1, gpus(10)),
                Err(gpu_never),
            ),
            (
                "extended resource allocatable enforced",
                node,
                req(0, 0, gpus(5)),
                req(1, 1, gpus(1)),
                Err(gpu),
            ),
            (
                "extended resource allocatable enforced for multiple containers",
                node,
                req(0, 0, gpus(2)),
                req(2, 2, gpus(6)),
                Err(gpu_never),
            ),
            (
                "extended resource allocatable enforced for unknown resource",
                Resources {
                    gpu_milli: 0,
                    ..node
                },
                req(0, 0, 0),
                req(1, 1, gpus(1)),
                Err(gpu_never),
            ),
            (
                "skip checking resource request with quantity zero",
                node,
                req(20, 30, gpus(1)),
                req(0, 0, gpus(1)),
                Ok(()),
            ),
            (
                "even without specified resources, predicate fails when there's no space for \
                 additional pod",
                one_pod,
                req(10, 20, 0),
                req(0, 0, 0),
                Err(pods),
            ),
            (
                "even if both resources fit, predicate fails when there's no space for \
                 additional pod",
                one_pod,
                req(5, 5, 0),
                req(1, 1, 0),
                Err(pods),
            ),
            (
                "even for equal edge case, predicate fails when there's no space for additional \
                 pod",
                one_pod,
                req(5, 19, 0),
                req(5, 1, 0),
                Err(pods),
            ),
        ];
        let failures: Vec<String> = cases
            .into_iter()
            .filter_map(|(name, node, bound, pod, want)| {
                let (f, pod) = Fixture::with(&[node], &[(0, bound)], pod);
                let mut plugin = NodeResourcesFit::least_allocated();
                let got = f.filter(&mut plugin, pod, f.cluster.live_nodes[0]);
                (got != want).then(|| format!("{name:?}: want {want:?}, got {got:?}"))
            })
            .collect();
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    /// fit_test.go TestEnoughRequests cases with init containers, extended resources and
    /// hugepages: node allocatable cpu 10m, memory 20, 32 pods, example.com/aaa 5,
    /// hugepages-2Mi 5; the incoming pod's effective request is computed by `PodRequests`
    /// from its containers.
    #[test]
    fn fit_filter_extended_and_init_container_upstream_cases() {
        use crate::cluster::pod_requests::{ContainerResources, PodResources, pod_requests};
        const AAA: &str = "example.com/aaa";
        const BBB: &str = "example.com/bbb";
        const HUGE: &str = "hugepages-2Mi";
        let container = |list: &[(&str, u64)]| {
            let m = list.iter().map(|&(k, v)| (k.to_string(), v)).collect();
            ContainerResources::new(m, Default::default(), false)
        };
        // (name, existing pod's extended request, incoming containers, init containers, want)
        type Case = (
            &'static str,
            Vec<(&'static str, u64)>,
            Vec<Vec<(&'static str, u64)>>,
            Vec<Vec<(&'static str, u64)>>,
            Result<(), FilterFailure>,
        );
        let cases: Vec<Case> = vec![
            (
                "extended resource fits",
                vec![],
                vec![vec![(AAA, 1)]],
                vec![],
                Ok(()),
            ),
            (
                "extended resource fits for init container",
                vec![],
                vec![vec![]],
                vec![vec![(AAA, 1)]],
                Ok(()),
            ),
            (
                "extended resource capacity enforced",
                vec![(AAA, 0)],
                vec![vec![(AAA, 10)]],
                vec![],
                Err(Unresolvable("Insufficient example.com/aaa")),
            ),
            (
                "extended resource capacity enforced for init container",
                vec![],
                vec![vec![]],
                vec![vec![(AAA, 10)]],
                Err(Unresolvable("Insufficient example.com/aaa")),
            ),
            (
                "extended resource allocatable enforced",
                vec![(AAA, 5)],
                vec![vec![(AAA, 1)]],
                vec![],
                Err(Unschedulable("Insufficient example.com/aaa")),
            ),
            (
                "extended resource allocatable enforced for multiple containers",
                vec![(AAA, 2)],
                vec![vec![(AAA, 3)], vec![(AAA, 3)]],
                vec![],
                // 3 + 3 exceeds the whole allocatable of 5.
                Err(Unresolvable("Insufficient example.com/aaa")),
            ),
            (
                "extended resource allocatable admits multiple init containers",
                vec![(AAA, 2)],
                vec![vec![]],
                vec![vec![(AAA, 3)], vec![(AAA, 2)]],
                Ok(()),
            ),
            (
                "extended resource allocatable enforced for multiple init containers",
                vec![(AAA, 2)],
                vec![vec![]],
                vec![vec![(AAA, 3)], vec![(AAA, 4)]],
                Err(Unschedulable("Insufficient example.com/aaa")),
            ),
            (
                "extended resource allocatable enforced for unknown resource",
                vec![],
                vec![vec![(BBB, 1)]],
                vec![],
                Err(Unresolvable("Insufficient example.com/bbb")),
            ),
            (
                "hugepages resource capacity enforced",
                vec![],
                vec![vec![(HUGE, 10)]],
                vec![],
                Err(Unresolvable("Insufficient hugepages-2Mi")),
            ),
            (
                "hugepages resource allocatable enforced for multiple containers",
                vec![(HUGE, 2)],
                vec![vec![(HUGE, 3)], vec![(HUGE, 3)]],
                vec![],
                Err(Unresolvable("Insufficient hugepages-2Mi")),
            ),
        ];
        for (name, existing, containers, init, want) in cases {
            let mut f = Fixture::new();
            let node = f.node(
                Resources {
                    pods: 32,
                    ..alloc(10, 20, 0)
                },
                vec![],
            );
            f.extended(node, AAA, 5);
            f.extended(node, HUGE, 5);
            let bound = f.containers_template(None, &existing);
            let b = f.pod(req(0, 0, 0), bound);
            f.cluster.bind(b, node, crate::engine::time::SimTime::ZERO);
            let pod = PodResources {
                containers: containers.iter().map(|c| container(c)).collect(),
                init_containers: init.iter().map(|c| container(c)).collect(),
                overhead: Default::default(),
            };
            let reqs = pod_requests(&pod, None);
            let list: Vec<(&str, u64)> = reqs.iter().map(|(k, &v)| (k.as_str(), v)).collect();
            let t = f.containers_template(None, &list);
            let p = f.pod(req(0, 0, 0), t);
            let got = f.filter(&mut NodeResourcesFit::least_allocated(), p, node);
            assert_eq!(got, want, "{name}");
        }
    }

    /// Container-less incoming pods (upstream `st.MakePod().Obj()`): no non-zero defaults.
    /// least_allocated_test.go / requested_to_capacity_ratio_test.go "nothing scheduled,
    /// nothing requested": every node scores 100 (LeastAllocated: 0% used; shape {0:10,
    /// 100:0}: 10 × 10 at 0%), and the MostAllocated counterpart scores 0.
    #[test]
    fn container_less_pods_upstream_cases() {
        for (strategy, want) in [
            (ScoringStrategy::LeastAllocated, [100, 100]),
            (ScoringStrategy::MostAllocated, [0, 0]),
            (shape(&[(0, 10), (100, 0)]), [100, 100]),
        ] {
            let mut f = Fixture::new();
            f.node(alloc(cores(4000), 10000, 0), vec![]);
            f.node(alloc(cores(6000), 10000, 0), vec![]);
            let t = f.containers_template(Some((0, 0)), &[]);
            let pod = f.pod(req(0, 0, 0), t);
            let mut p = NodeResourcesFit::new(strategy.clone(), cpu_mem());
            assert_eq!(f.scores(&mut p, pod), want, "{strategy:?}");
        }
    }

    /// Named resources in the scoring list: a resource the pod does not request is skipped
    /// (scalar), and so is one a node has none of; `ephemeral-storage` is scored for every pod.
    /// Hand-checked: node1 has 4 foo, 1 requested + 1 by the pod: LeastAllocated foo score
    /// (4 − 2)·100/4 = 50; cpu (1000 − 100 − 100)·100/1000 = 80 (the bound pod and the incoming
    /// pod both count 100m): (50·2 + 80·1) / 3 = 60. node2 has no foo: cpu only, (1000 − 100)·100/1000 = 90.
    #[test]
    fn named_resources_in_scoring_lists() {
        let mut f = Fixture::new();
        let n1 = f.node(alloc(1000, 1 << 30, 0), vec![]);
        let n2 = f.node(alloc(1000, 1 << 30, 0), vec![]);
        f.extended(n1, "example.com/foo", 4);
        let foo = f.cluster.extended.lookup("example.com/foo").unwrap();
        let eph = f.cluster.extended.intern("ephemeral-storage");
        f.extended(n1, "ephemeral-storage", 100);
        f.extended(n2, "ephemeral-storage", 100);
        let t = f.containers_template(None, &[("example.com/foo", 1)]);
        let b = f.pod(req(100, 0, 0), t);
        f.cluster.bind(b, n1, crate::engine::time::SimTime::ZERO);
        let pod = f.pod(req(100, 0, 0), t);
        let list = weights(&[(ResourceName::Extended(foo), 2), (Cpu, 1)]);
        let mut p = NodeResourcesFit::new(ScoringStrategy::LeastAllocated, list.clone());
        assert_eq!(f.scores(&mut p, pod), [60, 90]);
        // A pod without foo: foo is skipped on both nodes.
        let plain = f.pod(req(100, 0, 0), crate::cluster::pod::TemplateId(0));
        assert_eq!(f.scores(&mut p, plain), [80, 90]);
        // ephemeral-storage counts for the plain pod too: 100% free = 100 on both nodes.
        let list = weights(&[(ResourceName::Extended(eph), 1), (Cpu, 1)]);
        let mut p = NodeResourcesFit::new(ScoringStrategy::LeastAllocated, list);
        assert_eq!(f.scores(&mut p, plain), [90, 95]);
        // BalancedAllocation over foo and cpu on node1: fractions 2/4 and 200/1000.
        let mut b =
            crate::scheduler::plugins::balanced_allocation::BalancedAllocation::new(weights(&[
                (ResourceName::Extended(foo), 1),
                (Cpu, 1),
            ]));
        let want = ((1.0 - (0.5f64 - 0.2).abs() / 2.0) * 100.0) as i64;
        assert_eq!(f.scores(&mut b, pod)[0], want);
    }

    /// fit_test.go "skip checking ignored extended resource" and "skip checking ignored
    /// extended resource via resource groups": the pod asks for more example.com/aaa than the
    /// node has, yet fits when the resource (or its group) is ignored; hugepages are never
    /// ignored.
    #[test]
    fn ignored_extended_resources_upstream_cases() {
        let mut f = Fixture::new();
        let node = f.node(alloc(10, 20, 0), vec![]);
        f.extended(node, "example.com/aaa", 5);
        let t = f.containers_template(None, &[("example.com/aaa", 10)]);
        let pod = f.pod(req(0, 0, 0), t);
        let plugin = |names: &[&str], groups: &[&str]| {
            let s = |l: &[&str]| l.iter().map(|x| x.to_string()).collect::<Vec<_>>();
            NodeResourcesFit::least_allocated()
                .with_ignored(IgnoredResources::new(&s(names), &s(groups), "args").unwrap())
        };
        assert!(f.filter(&mut plugin(&[], &[]), pod, node).is_err());
        assert_eq!(
            f.filter(&mut plugin(&["example.com/aaa"], &[]), pod, node),
            Ok(())
        );
        assert_eq!(
            f.filter(&mut plugin(&[], &["example.com"]), pod, node),
            Ok(())
        );
        assert!(f.filter(&mut plugin(&[], &["example"]), pod, node).is_err());
        let huge = f.containers_template(None, &[("hugepages-2Mi", 1)]);
        let hp = f.pod(req(0, 0, 0), huge);
        assert!(IgnoredResources::new(&["hugepages-2Mi".into()], &[], "args").is_err());
        assert_eq!(
            f.filter(&mut plugin(&["example.com/aaa"], &[]), hp, node),
            Err(Unresolvable("Insufficient hugepages-2Mi"))
        );
    }

    /// The kubelet admits a pod whose extended resource its node does not have at all
    /// (`removeMissingExtendedResources`), but not one that asks for more than the node has;
    /// the scheduler's filter rejects both.
    #[test]
    fn kubelet_admission_drops_missing_extended_resources() {
        let mut f = Fixture::new();
        let without = f.node(alloc(1000, 1 << 30, 0), vec![]);
        let with = f.node(alloc(1000, 1 << 30, 0), vec![]);
        f.extended(with, "example.com/foo", 1);
        let t = f.containers_template(None, &[("example.com/foo", 2)]);
        let pod = f.pod(req(100, 0, 0), t);
        let c = &f.cluster;
        let p = &c.pods[pod.0 as usize];
        assert!(kubelet_admits(p, &c.nodes[without.0 as usize], c));
        assert!(!kubelet_admits(p, &c.nodes[with.0 as usize], c));
        assert!(fits_request_in(p, &c.nodes[without.0 as usize], c).is_err());
    }
}

//! NodeResourcesFit filter and score (pkg/scheduler/framework/plugins/noderesources/fit.go,
//! least_allocated.go, most_allocated.go, requested_to_capacity_ratio.go,
//! resource_allocation.go).

use super::{FilterFailure, FilterPlugin, MAX_NODE_SCORE, ScorePlugin};
use crate::cluster::ClusterState;
use crate::cluster::node::Node;
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
}

impl ResourceName {
    /// Parses an upstream resource name.
    pub fn parse(name: &str) -> Option<ResourceName> {
        match name {
            "cpu" => Some(ResourceName::Cpu),
            "memory" => Some(ResourceName::Memory),
            "nvidia.com/gpu" | "gpu" => Some(ResourceName::Gpu),
            _ => None,
        }
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
/// pod does not request them. Resources with zero allocatable are skipped.
#[inline]
pub fn allocatable_and_requested(
    pod: &Pod,
    node: &Node,
    resource: ResourceName,
    use_requested: bool,
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
    };
    if alloc == 0 {
        None
    } else {
        Some((alloc as i64, req as i64))
    }
}

/// `leastRequestedScore`: `(capacity − requested) × 100 / capacity`, 0 when over capacity.
#[inline]
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

/// `mostRequestedScore`: `min(requested, capacity) × 100 / capacity`.
#[inline]
pub fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity) * MAX_NODE_SCORE / capacity
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

/// The NodeResourcesFit plugin: the resource filter and the configured scoring strategy.
pub struct NodeResourcesFit {
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
            strategy,
            resources,
            scaled_shape,
        }
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

impl FilterPlugin for NodeResourcesFit {
    fn name(&self) -> &str {
        "NodeResourcesFit"
    }

    #[inline]
    fn filter(&self, pod: &Pod, node: &Node, _: &ClusterState) -> Result<(), FilterFailure> {
        fits_request(pod, node)
    }
}

impl ScorePlugin for NodeResourcesFit {
    fn name(&self) -> &str {
        "NodeResourcesFit"
    }

    fn score(&self, pod: &Pod, node: &Node, _: &ClusterState) -> i64 {
        let mut node_score = 0;
        let mut weight_sum = 0;
        for r in &self.resources {
            let Some((alloc, req)) = allocatable_and_requested(pod, node, r.name, false) else {
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
            _ => node_score / weight_sum,
        }
    }
}

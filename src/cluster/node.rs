//! Nodes and node pools.

use super::labels::{Labels, Taint};
use super::pod::PodId;
use super::resources::Resources;
use crate::engine::time::SimTime;

/// Index of a node in [`crate::cluster::ClusterState::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// Index of a node pool in [`crate::cluster::ClusterState::pools`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PoolId(pub u32);

/// A group of identical nodes (a node group / instance type in one zone).
#[derive(Clone, Debug)]
pub struct NodePool {
    /// Pool name (node names are `<pool>-<ordinal>` unless given).
    pub name: String,
    /// Cloud instance type name (informational, e.g. `m5.xlarge`).
    pub instance_type: String,
    /// Allocatable resources of each node.
    pub allocatable: Resources,
    /// Node labels (including the zone and instance-type well-known labels).
    pub labels: Labels,
    /// Node taints.
    pub taints: Vec<Taint>,
    /// Zone name.
    pub zone: String,
    /// Price of one node [USD per hour].
    pub hourly_price_usd: f64,
    /// Whether the nodes are spot / preemptible capacity.
    pub spot: bool,
}

#[cfg(test)]
impl NodePool {
    /// A plain test pool `p` (instance type `t`, zone `z`, no labels or taints, 1 USD/h,
    /// on-demand) with `allocatable` per node.
    pub fn for_tests(allocatable: Resources) -> NodePool {
        NodePool {
            name: "p".into(),
            instance_type: "t".into(),
            allocatable,
            labels: Labels::default(),
            taints: vec![],
            zone: "z".into(),
            hourly_price_usd: 1.0,
            spot: false,
        }
    }
}

/// A node's lifecycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// Requested from the cloud and booting: billed, but not yet registered (not in
    /// `live_nodes`, no allocatable in the totals). Becomes `Ready` through
    /// `ClusterState::node_ready`.
    Provisioning,
    /// Ready and schedulable (unless cordoned).
    Ready,
    /// Removed from the cluster; kept for accounting.
    Removed,
    /// A template node of a node group, used only inside the cluster autoscaler's what-if
    /// simulations (never ready, never billed, never in `live_nodes` outside a simulation).
    Template,
}

/// A node. Change it only through [`crate::cluster::ClusterState`] methods, which keep the
/// totals and the node's version (used by scheduler caches) in step. `repr(C)` keeps the fields the scheduler reads for every candidate node
/// (allocatable, requested, non-zero sums, pool, flags) together at the front, in two cache lines.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Node {
    /// Allocatable resources.
    pub allocatable: Resources,
    /// Sum of the requests of the pods bound to the node (pods = number of pods).
    pub requested: Resources,
    /// Sum of the non-zero cpu requests [millicores] of the bound pods (for scoring).
    pub non_zero_cpu_milli: u64,
    /// Sum of the non-zero memory requests [bytes] of the bound pods (for scoring).
    pub non_zero_memory_bytes: u64,
    /// Pool the node belongs to (labels, taints, price).
    pub pool: PoolId,
    /// The pool's hourly price [micro-USD/hour] (see `cluster::price_micro_usd`).
    pub price_micro_usd_per_hour: u64,
    /// Cordoned (`spec.unschedulable`); set it with `ClusterState::set_unschedulable`.
    pub unschedulable: bool,
    /// `MemoryPressure` condition (and its NoSchedule taint); set it with
    /// `ClusterState::set_memory_pressure`.
    pub memory_pressure: bool,
    /// The machine is down (crashed, cut off, or reclaimed): its kubelet neither reports nor
    /// runs pods. Set it with `ClusterState::set_node_down`.
    pub down: bool,
    /// `taints` is not empty (kept next to the other fields the filters read).
    pub tainted: bool,
    /// Lifecycle state.
    pub state: NodeState,
    /// Sum of the current usage of the bound pods.
    pub usage: Resources,
    /// When the node joined the cluster.
    pub created: SimTime,
    /// When the node was removed ([`SimTime::NEVER`] while alive).
    pub removed: SimTime,
    /// Node name.
    pub name: String,
    /// Pods bound to the node, in bind order.
    pub pods: Vec<PodId>,
    /// The node name interned (the value of its implicit `kubernetes.io/hostname` label).
    pub hostname: super::labels::Symbol,
    /// The node's own id.
    pub id: NodeId,
    /// Taints of this node on top of its pool's: the node lifecycle controller's
    /// `node.kubernetes.io/unreachable` taints (NoSchedule and NoExecute effects only). Change
    /// them with `ClusterState::add_node_taint` / `remove_node_taint`.
    pub taints: Vec<Taint>,
}

impl Node {
    /// Resources still free for requests on this node.
    #[inline]
    pub fn free(&self) -> Resources {
        self.allocatable.saturating_sub(&self.requested)
    }

    /// True while the node is part of the cluster and ready (not provisioning, removed or a
    /// template).
    #[inline]
    pub fn is_alive(&self) -> bool {
        self.state == NodeState::Ready
    }
}

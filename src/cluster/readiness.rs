//! Pod readiness: the one definition every consumer (recovery metrics, services, PDBs) reads.

use super::ClusterState;
use super::pod::{Pod, PodPhase};

/// Whether `pod` is ready: it runs, its container passed its readiness probe (the kubelet sets
/// `ready_since`; see [`super::pod::pod_is_ready`]), it is not being deleted, and its node is
/// up.
///
/// A pod on a node that went down stops serving at once (its node's failure is instant),
/// although upstream marks it NotReady in the API only when the node lifecycle controller
/// notices the missing heartbeats. Terminating pods are not ready (the ReplicaSet controller
/// and PodDisruptionBudgets leave them out; endpoints stop sending them traffic).
#[inline]
pub fn pod_is_ready(pod: &Pod, cluster: &ClusterState) -> bool {
    pod.phase == PodPhase::Running
        && !pod.is_terminating()
        && pod.ready_since != crate::engine::time::SimTime::NEVER
        && pod.node.is_some_and(|n| !cluster.nodes[n.0 as usize].down)
}

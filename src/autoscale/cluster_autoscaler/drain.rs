//! Which pods may be moved off a node the cluster autoscaler wants to remove (upstream
//! drainability rules, cluster-autoscaler/simulator/drainability/rules and utils/drain).

use crate::cluster::ClusterState;
use crate::cluster::pod::{Owner, PodId};

/// The pod annotation that marks a pod as (not) evictable by the cluster autoscaler.
pub const SAFE_TO_EVICT_ANNOTATION: &str = "cluster-autoscaler.kubernetes.io/safe-to-evict";

/// Why `pod` blocks the removal of its node, or `None` if it can be evicted and recreated
/// elsewhere. In upstream order: `safe-to-evict: "true"` makes any pod movable; a pod with no
/// controller (a bare pod: trace and generator pods here) is not replicated; `safe-to-evict:
/// "false"` blocks; a pod whose PodDisruptionBudget allows no disruption blocks. Job and
/// Deployment (ReplicaSet) pods are replicated.
pub fn blocking_reason(
    cluster: &ClusterState,
    pod: PodId,
    pdb_blocked_templates: &[bool],
) -> Option<&'static str> {
    let p = &cluster.pods[pod.0 as usize];
    let safe_to_evict = cluster.templates[p.template.0 as usize].safe_to_evict;
    if safe_to_evict == Some(true) {
        return None;
    }
    if matches!(p.owner, Owner::Source(_)) {
        return Some("not replicated (no controller)");
    }
    if safe_to_evict == Some(false) {
        return Some("annotated safe-to-evict=false");
    }
    if pdb_blocked_templates
        .get(p.template.0 as usize)
        .copied()
        .unwrap_or(false)
    {
        return Some("not enough pod disruption budget");
    }
    None
}

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
pub fn blocking_reason(cluster: &ClusterState, pod: PodId) -> Option<&'static str> {
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
    if !eviction_allowed(cluster, pod) {
        return Some("not enough pod disruption budget");
    }
    None
}

/// Whether the eviction API would evict `pod` now (its PodDisruptionBudgets allow one more
/// disruption). Checked when planning a removal and again for each eviction of a drain.
///
/// TODO(PDB): PodDisruptionBudgets are not modelled on this branch; always true. Connect this
/// hook to `disruption::pdb` (disruptionsAllowed > 0 for every PDB selecting the pod) when
/// merging.
pub fn eviction_allowed(_cluster: &ClusterState, _pod: PodId) -> bool {
    true
}

//! The eviction API: may a voluntary disruption (a drain, a maintenance, the cluster
//! autoscaler's scale-down) delete this pod now? (pkg/registry/core/pod/storage/eviction.go,
//! `EvictionREST.Create`, `canIgnorePDB`, `checkAndDecrement`.)
//!
//! In upstream order:
//! 1. a pod that is Pending, Succeeded or Failed, or already being deleted, is deleted without
//!    looking at budgets;
//! 2. a pod matched by more than one PodDisruptionBudget cannot be evicted (the API answers 500);
//! 3. with no matching budget, the pod is evicted;
//! 4. a pod that is not ready, while its budget has `currentHealthy ≥ desiredHealthy > 0`, is
//!    evicted without using up the budget (the default `unhealthyPodEvictionPolicy`,
//!    IfHealthyBudget; AlwaysAllow is not modelled);
//! 5. otherwise the budget must allow a disruption (`disruptionsAllowed > 0`; the API answers
//!    429 Too Many Requests when it is 0, and clients such as `kubectl drain` retry).
//!
//! The budget's status is observed from the current pods ([`PodDisruptionBudget::observe`]), so
//! a pod evicted a moment ago already counts as unhealthy (it is terminating): that is what the
//! eviction API's decrement of `disruptionsAllowed` achieves upstream.

use super::pdb::{OwnerScale, PodDisruptionBudget};
use crate::cluster::ClusterState;
use crate::cluster::pod::{Owner, PodId, PodPhase};
use crate::cluster::readiness::pod_is_ready;

/// Why the eviction API refused to evict a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// The budget with this index (into the simulation's PDBs) allows no disruption now
    /// (429; retry later).
    Budget(usize),
    /// More than one budget selects the pod (500; retrying does not help).
    MultipleBudgets,
}

/// Whether the eviction API would evict `pod` now (`Ok`), or why not. `scale_of` gives the
/// scale of a pod's owner (see [`PodDisruptionBudget::observe`]).
pub fn check_eviction(
    pod: PodId,
    cluster: &ClusterState,
    pdbs: &[PodDisruptionBudget],
    scale_of: &dyn Fn(Owner) -> OwnerScale,
) -> Result<(), Blocked> {
    let p = &cluster.pods[pod.0 as usize];
    if matches!(
        p.phase,
        PodPhase::Pending | PodPhase::Succeeded | PodPhase::Failed
    ) || p.is_terminating()
    {
        return Ok(());
    }
    let labels = &cluster.templates[p.template.0 as usize].labels;
    let mut matching = pdbs.iter().enumerate().filter(|(_, b)| b.selects(labels));
    let Some((index, pdb)) = matching.next() else {
        return Ok(());
    };
    if matching.next().is_some() {
        return Err(Blocked::MultipleBudgets);
    }
    let obs = pdb.observe(cluster, scale_of);
    let desired = pdb.expected_and_desired(&obs).map_or(0, |(_, d)| d);
    if !pod_is_ready(p, cluster) && obs.healthy >= desired && desired > 0 {
        return Ok(());
    }
    if pdb.disruptions_allowed(&obs) == 0 {
        return Err(Blocked::Budget(index));
    }
    Ok(())
}

/// [`check_eviction`] as a yes/no answer (the hook other controllers call).
pub fn eviction_allowed(
    pod: PodId,
    cluster: &ClusterState,
    pdbs: &[PodDisruptionBudget],
    scale_of: &dyn Fn(Owner) -> OwnerScale,
) -> bool {
    check_eviction(pod, cluster, pdbs, scale_of).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::NewPod;
    use crate::cluster::labels::Labels;
    use crate::cluster::node::NodePool;
    use crate::cluster::pod::{DisruptionReason, PodName, PodTemplate};
    use crate::cluster::resources::Resources;
    use crate::disruption::pdb::{Budget, IntOrPercent};
    use crate::engine::time::SimTime;

    /// Three running `app=web` pods of one 3-replica Deployment (two on `n0`, one on `n1`), and
    /// a fourth one pending; a budget `minAvailable: 2` over them.
    fn setup() -> (ClusterState, Vec<PodId>, PodDisruptionBudget) {
        let mut c = ClusterState::default();
        let (k, v) = (c.interner.intern("app"), c.interner.intern("web"));
        let pool = c.add_pool(NodePool::for_tests(Resources {
            cpu_milli: 8000,
            memory_bytes: 8 << 30,
            gpu_milli: 0,
            pods: 110,
        }));
        let nodes = [
            c.add_node(pool, "n0".into(), None, SimTime::ZERO),
            c.add_node(pool, "n1".into(), None, SimTime::ZERO),
        ];
        let web = c.add_template(PodTemplate {
            labels: Labels::new(vec![(k, v)]),
            ..Default::default()
        });
        let name = PodName {
            prefix: 0,
            ordinal: 0,
            width: 0,
        };
        let mut pods = Vec::new();
        for i in 0..4 {
            let mut new = NewPod::bare(name, Resources::cpu_mem(100, 1), web);
            new.owner = Owner::Deployment(0);
            let id = c.create_pod(new, SimTime::ZERO);
            if i < 3 {
                c.bind(id, nodes[i / 2], SimTime::ZERO);
            }
            pods.push(id);
        }
        let pdb = PodDisruptionBudget {
            name: "web".into(),
            selector: crate::cluster::pod_affinity::LabelSelector {
                match_labels: vec![(k, v)],
                match_expressions: Vec::new(),
            },
            budget: Budget::MinAvailable(IntOrPercent::Int(2)),
        };
        (c, pods, pdb)
    }

    fn scale(_: Owner) -> OwnerScale {
        OwnerScale::Scale(3)
    }

    #[test]
    fn budget_allows_one_eviction_then_blocks() {
        let (mut c, pods, pdb) = setup();
        let pdbs = [pdb];
        // 3 healthy, 2 must stay: one disruption allowed.
        assert_eq!(check_eviction(pods[0], &c, &pdbs, &scale), Ok(()));
        c.begin_deletion(pods[0], SimTime(1), DisruptionReason::EvictionByEvictionApi);
        // The evicted pod is terminating: 2 healthy, none allowed; it may be evicted again.
        assert_eq!(
            check_eviction(pods[1], &c, &pdbs, &scale),
            Err(Blocked::Budget(0))
        );
        assert_eq!(check_eviction(pods[0], &c, &pdbs, &scale), Ok(()));
        // A pending pod is deleted without looking at budgets.
        assert_eq!(check_eviction(pods[3], &c, &pdbs, &scale), Ok(()));
        // Without a budget everything may go.
        assert!(eviction_allowed(pods[1], &c, &[], &scale));
    }

    #[test]
    fn unready_pod_goes_when_the_budget_is_healthy_and_two_budgets_block() {
        use crate::cluster::node::NodeId;
        let (mut c, pods, pdb) = setup();
        let pdbs = std::slice::from_ref(&pdb);
        // n1 goes down: pod 2 is unready; 2 healthy = 2 desired, so no disruption is allowed,
        // but the unready pod may go without using the budget.
        c.set_node_down(NodeId(1), true);
        assert_eq!(check_eviction(pods[2], &c, pdbs, &scale), Ok(()));
        assert_eq!(
            check_eviction(pods[0], &c, pdbs, &scale),
            Err(Blocked::Budget(0))
        );
        // n0 goes down too: 0 healthy < 2, the unready pods are blocked as well.
        c.set_node_down(NodeId(0), true);
        assert_eq!(
            check_eviction(pods[2], &c, pdbs, &scale),
            Err(Blocked::Budget(0))
        );
        c.set_node_down(NodeId(0), false);
        c.set_node_down(NodeId(1), false);
        let two = [pdb.clone(), pdb];
        assert_eq!(
            check_eviction(pods[0], &c, &two, &scale),
            Err(Blocked::MultipleBudgets)
        );
    }
}

//! Victim selection on one node (`SelectVictimsOnNode` and `filterPodsWithPDBViolation` in
//! pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go).
//!
//! Every pod of lower priority than the preemptor is removed from the node (a what-if through
//! `ClusterState::what_if_detach`, reverted afterwards); if the preemptor then passes the scheduler's
//! filters on the node, the removed pods are added back one at a time, most important first,
//! PDB-violating ones before the others, and each stays only if the preemptor still fits. The
//! filters are re-run on the modified cluster, so every filter plugin (present or future) sees the
//! node without the victims. Reprieving is greedy, one pod at a time, as in releases up to
//! v1.35 (v1.36 first binary-searches the longest reprievable prefix; both keep the most
//! important pods).

use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;
use crate::disruption::pdb::PodDisruptionBudget;
use crate::scheduler::Scheduler;
use std::cmp::Ordering;

/// A node where preemption would make room for the preemptor, with the pods to delete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The node.
    pub node: NodeId,
    /// The victims, most important first.
    pub victims: Vec<PodId>,
    /// How many victims violate a PodDisruptionBudget.
    pub pdb_violations: u32,
}

/// `MoreImportantPod` (pkg/scheduler/util/utils.go) as an ordering, more important first:
/// higher priority, then earlier start time.
pub fn importance(cluster: &ClusterState, a: PodId, b: PodId) -> Ordering {
    let (pa, pb) = (&cluster.pods[a.0 as usize], &cluster.pods[b.0 as usize]);
    pb.priority
        .cmp(&pa.priority)
        .then(pa.scheduled.cmp(&pb.scheduled))
}

/// `filterPodsWithPDBViolation`: splits `pods` (in importance order) into those whose deletion
/// would drive a matching budget's `disruptionsAllowed` below zero (counted cumulatively in
/// order) and the others, keeping the order. `allowed[i]` is `pdbs[i]`'s current budget.
pub fn split_by_pdb_violation(
    pods: &[PodId],
    cluster: &ClusterState,
    pdbs: &[PodDisruptionBudget],
    allowed: &[u32],
) -> (Vec<PodId>, Vec<PodId>) {
    let mut left: Vec<i64> = allowed.iter().map(|&a| i64::from(a)).collect();
    let (mut violating, mut non_violating) = (Vec::new(), Vec::new());
    for &pod in pods {
        let labels = &cluster.templates[cluster.pods[pod.0 as usize].template.0 as usize].labels;
        let mut violated = false;
        if !labels.pairs().is_empty() {
            for (pdb, left) in pdbs.iter().zip(left.iter_mut()) {
                if pdb.selects_for_preemption(labels) {
                    *left -= 1;
                    violated |= *left < 0;
                }
            }
        }
        if violated {
            violating.push(pod);
        } else {
            non_violating.push(pod);
        }
    }
    (violating, non_violating)
}

/// The victims `pod` needs on `node`, or `None` when the node is not a candidate (no
/// lower-priority pods, or the preemptor does not fit even without all of them). The removals
/// and re-additions are what-if changes (`cluster/what_if.rs`), all reverted before returning,
/// so the cluster is left exactly as it was: pods, their order on the node, totals,
/// `capacity_epoch` and node versions (scheduler caches stay valid; a dry run over hundreds of
/// nodes must not look like hundreds of node changes to them).
pub fn select_victims_on_node(
    pod: PodId,
    node: NodeId,
    cluster: &mut ClusterState,
    scheduler: &mut dyn Scheduler,
    pdbs: &[PodDisruptionBudget],
    allowed: &[u32],
) -> Option<Candidate> {
    let priority = cluster.pods[pod.0 as usize].priority;
    let mut potential: Vec<PodId> = cluster.nodes[node.0 as usize]
        .pods
        .iter()
        .copied()
        .filter(|&p| cluster.pods[p.0 as usize].priority < priority)
        .collect();
    if potential.is_empty() {
        return None;
    }
    let outer = cluster.what_if_checkpoint();
    for &victim in &potential {
        cluster.what_if_detach(victim, node);
    }
    let result = if scheduler.feasible(pod, node, cluster) {
        potential.sort_by(|&a, &b| importance(cluster, a, b));
        let (violating, non_violating) = split_by_pdb_violation(&potential, cluster, pdbs, allowed);
        let mut victims = Vec::new();
        let mut pdb_violations = 0;
        for (list, violates) in [(violating, true), (non_violating, false)] {
            for victim in list {
                let mark = cluster.what_if_checkpoint();
                cluster.what_if_attach(victim, node);
                if !scheduler.feasible(pod, node, cluster) {
                    cluster.what_if_revert(mark);
                    victims.push(victim);
                    pdb_violations += u32::from(violates);
                }
            }
        }
        victims.sort_by(|&a, &b| importance(cluster, a, b));
        (!victims.is_empty()).then_some(Candidate {
            node,
            victims,
            pdb_violations,
        })
    } else {
        None
    };
    cluster.what_if_revert(outer);
    result
}

#[cfg(test)]
mod tests {
    use super::super::tests::{TestCluster, pdb};
    use super::*;
    use crate::disruption::pdb::{Budget, IntOrPercent};

    #[test]
    fn removes_lowest_importance_pods_first_and_reprieves_the_rest() {
        // A 4-cpu node with four 1-cpu pods; a 2-cpu preemptor of priority 10.
        // Importance: p3 (prio 5) > p0 (prio 0, started t=1) > p1 (t=2) > p2 (t=3).
        // Reprieve in that order: p3 (1+2 = 3 cpu) stays, p0 (4) stays, p1 (5) and p2 go.
        let mut t = TestCluster::new(&[4000]);
        let p0 = t.bound(0, 1000, 0, 1, "a");
        let p1 = t.bound(0, 1000, 0, 2, "a");
        let p2 = t.bound(0, 1000, 0, 3, "a");
        let p3 = t.bound(0, 1000, 5, 4, "a");
        let pre = t.pending(2000, 10);
        let before = t.c.nodes[0].pods.clone();
        let (epoch, totals) = (t.c.capacity_epoch, t.c.totals);
        let c = t.victims(pre, 0, &[], &[]).expect("candidate");
        assert_eq!(c.victims, vec![p1, p2], "importance order");
        assert_eq!(c.pdb_violations, 0);
        assert_eq!(t.c.nodes[0].pods, before, "what-if undone, order kept");
        assert_eq!((t.c.capacity_epoch, t.c.totals), (epoch, totals));
        let _ = (p0, p3);
    }

    #[test]
    fn not_a_candidate_without_victims_or_without_fit() {
        let mut t = TestCluster::new(&[4000]);
        t.bound(0, 1000, 10, 1, "a"); // equal priority: not a potential victim
        t.bound(0, 2000, 0, 1, "a");
        let pre = t.pending(1500, 10);
        // Removing the 2-cpu pod frees 3 cpu: fits.
        assert!(t.victims(pre, 0, &[], &[]).is_some());
        let big = t.pending(3500, 10);
        assert_eq!(
            t.victims(big, 0, &[], &[]),
            None,
            "does not fit without them"
        );
        let low = t.pending(1000, 0);
        assert_eq!(t.victims(low, 0, &[], &[]), None, "no lower-priority pods");
    }

    #[test]
    fn pdb_violating_pods_are_reprieved_first() {
        // Pods a0 (t=1), a1 (t=2) labelled app=a, covered by a PDB allowing 1 disruption; b0
        // (t=3) unlabelled... all priority 0, 1 cpu each, on a 3-cpu node. Preemptor: 2 cpu.
        // Importance: a0, a1, b0. PDB split: a0 uses the budget (non-violating), a1 violates.
        // Reprieve violating first: a1 (1+2 = 3) stays. Then non-violating a0 (4): victim; b0:
        // victim. Without the PDB: a0 stays, a1 and b0 go.
        let mut t = TestCluster::new(&[3000]);
        let a0 = t.bound(0, 1000, 0, 1, "a");
        let a1 = t.bound(0, 1000, 0, 2, "a");
        let b0 = t.bound(0, 1000, 0, 3, "b");
        let pre = t.pending(2000, 10);
        let budget = pdb(&mut t.c, "a", Budget::MaxUnavailable(IntOrPercent::Int(1)));
        let with = t
            .victims(pre, 0, std::slice::from_ref(&budget), &[1])
            .unwrap();
        assert_eq!(with.victims, vec![a0, b0]);
        assert_eq!(with.pdb_violations, 0);
        let without = t.victims(pre, 0, &[], &[]).unwrap();
        assert_eq!(without.victims, vec![a1, b0]);
        // With no budget left, a0 and a1 both violate; a0 is reprieved, a1 becomes a
        // violating victim.
        let strict = t.victims(pre, 0, &[budget], &[0]).unwrap();
        assert_eq!(strict.victims, vec![a1, b0]);
        assert_eq!(strict.pdb_violations, 1);
    }

    #[test]
    fn split_counts_budgets_cumulatively_and_skips_unlabelled_pods() {
        let mut t = TestCluster::new(&[8000]);
        let pods: Vec<PodId> = (0..3).map(|i| t.bound(0, 100, 0, i, "a")).collect();
        let bare = t.bound(0, 100, 0, 9, "");
        let budget = pdb(&mut t.c, "a", Budget::MinAvailable(IntOrPercent::Int(1)));
        let mut all = pods.clone();
        all.push(bare);
        let (v, n) = split_by_pdb_violation(&all, &t.c, &[budget], &[2]);
        assert_eq!(v, vec![pods[2]]);
        assert_eq!(n, vec![pods[0], pods[1], bare]);
    }
}

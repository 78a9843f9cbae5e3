//! `pickOneNodeForPreemption` (pkg/scheduler/framework/preemption/preemption.go): the criteria
//! are applied in order, each keeping the candidates tied at its best value, until one remains:
//! 1. fewest PDB violations;
//! 2. lowest priority of the most important victim;
//! 3. smallest sum of victim priorities, each shifted by MaxInt32 + 1 so that all are positive;
//! 4. fewest victims;
//! 5. latest start time of the earliest-started victim among the highest-priority victims
//!    (`GetEarliestPodStartTime`): prefer evicting recently started pods;
//! 6. the first remaining candidate. Upstream takes the first in Go map order (effectively
//!    random); here it is the first in dry-run order, which starts at a random node offset.

use super::victims::Candidate;
use crate::cluster::ClusterState;

/// Index of the chosen candidate (`candidates` must not be empty).
pub fn pick_one_node_for_preemption(candidates: &[Candidate], cluster: &ClusterState) -> usize {
    let priority = |p: &crate::cluster::pod::PodId| i64::from(cluster.pods[p.0 as usize].priority);
    // Each function scores a candidate; higher is better.
    let criteria: [&dyn Fn(&Candidate) -> i64; 5] = [
        &|c| -i64::from(c.pdb_violations),
        &|c| -c.victims.first().map_or(0, priority),
        &|c| {
            -c.victims
                .iter()
                .map(|p| priority(p) + i64::from(i32::MAX) + 1)
                .sum::<i64>()
        },
        &|c| -(c.victims.len() as i64),
        &|c| {
            let top = c.victims.iter().map(priority).max().unwrap_or(0);
            c.victims
                .iter()
                .filter(|p| priority(p) == top)
                .map(|p| cluster.pods[p.0 as usize].scheduled.as_ms())
                .min()
                .map_or(i64::MIN, |t| t.min(i64::MAX as u64) as i64)
        },
    ];
    let mut remaining: Vec<usize> = (0..candidates.len()).collect();
    for score in criteria {
        let best = remaining
            .iter()
            .map(|&i| score(&candidates[i]))
            .max()
            .unwrap_or(i64::MIN);
        remaining.retain(|&i| score(&candidates[i]) == best);
        if remaining.len() == 1 {
            break;
        }
    }
    remaining[0]
}

#[cfg(test)]
mod tests {
    use super::super::tests::TestCluster;
    use super::*;
    use crate::cluster::node::NodeId;
    use crate::cluster::pod::PodId;

    fn cand(node: u32, victims: Vec<PodId>, pdb_violations: u32) -> Candidate {
        Candidate {
            node: NodeId(node),
            victims,
            pdb_violations,
        }
    }

    /// Each case: two candidates that tie on every earlier criterion and differ on one; the
    /// winner is the second candidate, so a "first remaining" fallback would pick wrong.
    #[test]
    fn each_criterion_in_order() {
        let mut t = TestCluster::new(&[64_000]);
        // Pods by (priority, start time [ms]); victims lists are in importance order.
        let mut pod = |prio: i32, start: u64| t.bound(0, 10, prio, start, "");
        let (a_5, a_3, b_5, b_1, c_2) =
            (pod(5, 10), pod(3, 10), pod(5, 10), pod(1, 10), pod(2, 10));
        let (d_0, e_0, f_4, min) = (pod(0, 10), pod(0, 10), pod(4, 10), pod(i32::MIN, 10));
        let (early, late) = (pod(7, 100), pod(7, 200));
        let (low_early, top_late) = (pod(1, 1), pod(7, 300));
        // 1. Fewest PDB violations, whatever the victims.
        let cs = [cand(0, vec![d_0], 1), cand(1, vec![a_5, b_5], 0)];
        assert_eq!(pick_one_node_for_preemption(&cs, &t.c), 1);
        // 2. Lowest priority of the most important victim: {5, 1} vs {3, 2}.
        let cs = [cand(0, vec![a_5, b_1], 0), cand(1, vec![a_3, c_2], 0)];
        assert_eq!(pick_one_node_for_preemption(&cs, &t.c), 1);
        // 3. Smallest sum of priorities: {5, 4} vs {5, 1}.
        let cs = [cand(0, vec![a_5, f_4], 0), cand(1, vec![b_5, b_1], 0)];
        assert_eq!(pick_one_node_for_preemption(&cs, &t.c), 1);
        // ... shifted by 2^31: {0, 0} (2^32) costs more than {0} (2^31).
        let cs = [cand(0, vec![d_0, e_0], 0), cand(1, vec![d_0], 0)];
        assert_eq!(pick_one_node_for_preemption(&cs, &t.c), 1);
        // 4. Fewest victims: a priority-MinInt32 victim adds 0 to the shifted sum, so {0, MIN}
        // ties {0} on criteria 1-3.
        let cs = [cand(0, vec![d_0, min], 0), cand(1, vec![e_0], 0)];
        assert_eq!(pick_one_node_for_preemption(&cs, &t.c), 1);
        // 5. Latest earliest start time among the highest-priority victims: {7@100} vs {7@200}.
        let cs = [cand(0, vec![early], 0), cand(1, vec![late], 0)];
        assert_eq!(pick_one_node_for_preemption(&cs, &t.c), 1);
        // Only the highest-priority victims count: {7@200, 1@1} vs {7@300, 1@1}.
        let cs = [
            cand(0, vec![late, low_early], 0),
            cand(1, vec![top_late, low_early], 0),
        ];
        assert_eq!(pick_one_node_for_preemption(&cs, &t.c), 1);
        // 6. A complete tie: the first candidate.
        let cs = [cand(0, vec![early], 0), cand(1, vec![early], 0)];
        assert_eq!(pick_one_node_for_preemption(&cs, &t.c), 0);
    }
}

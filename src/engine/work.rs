//! Counters of the scheduling work a run did, printed after the run (they describe the
//! simulator's effort, not the simulated cluster, so they are not columns of `summary.csv`).

use std::fmt;

/// What the scheduler did during a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkCounters {
    /// Scheduling attempts: pods taken from the active queue, bound or not.
    pub scheduling_attempts: u64,
    /// Attempts that bound their pod (scheduling decisions that placed a pod).
    pub pods_bound: u64,
    /// PostFilter (DefaultPreemption) runs: failed attempts while preemption is enabled.
    pub preemption_attempts: u64,
    /// PostFilter runs that computed filter statuses and dry-ran nodes.
    pub preemption_dry_runs: u64,
    /// Nodes those dry runs visited (victim selections).
    pub nodes_dry_run: u64,
    /// Attempts whose outcome the retry memo knew (`scheduler::retry_memo`): no scheduling
    /// cycle and no dry run ran for them.
    pub answered_by_retry_memo: u64,
    /// Node answers the retry memo computed.
    pub retry_memo_node_checks: u64,
}

impl fmt::Display for WorkCounters {
    /// `A scheduling attempts (B bound, M answered by the retry memo), P preemption attempts
    /// (D dry runs over K nodes)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} scheduling attempts ({} bound, {} answered by the retry memo), {} preemption \
             attempts ({} dry runs over {} nodes)",
            self.scheduling_attempts,
            self.pods_bound,
            self.answered_by_retry_memo,
            self.preemption_attempts,
            self.preemption_dry_runs,
            self.nodes_dry_run
        )
    }
}

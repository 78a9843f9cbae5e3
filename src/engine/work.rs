//! Work counters of a run: how much the simulator did, to put next to its wall time. They are
//! shown on the terminal at the end of a run and never written to the result files (so adding
//! a counter changes no output).

/// Counts of the scheduler's work over a whole run (warm-up included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkCounters {
    /// Scheduling cycles run (one per pod popped from the active queue).
    pub scheduling_attempts: u64,
    /// Cycles that bound the pod to a node.
    pub pods_bound: u64,
}

impl WorkCounters {
    /// The counters as shown after the run, e.g. `"20000 pods bound / 20000 attempts"`.
    pub fn describe(&self) -> String {
        format!(
            "{} pods bound / {} attempts",
            self.pods_bound, self.scheduling_attempts
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_bound_pods_and_attempts() {
        let w = WorkCounters {
            scheduling_attempts: 7,
            pods_bound: 5,
        };
        assert_eq!(w.describe(), "5 pods bound / 7 attempts");
    }
}

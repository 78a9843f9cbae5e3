//! The closed set of simulation events. Payloads are small ids; the owning controller holds the
//! state. Events that may become stale carry the pod's generation and are skipped when it no
//! longer matches (lazy cancellation).

use crate::cluster::pod::PodId;

/// A simulation event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The held next arrival of workload source `0` is due.
    SourceArrival(u32),
    /// Deployment `0` is created.
    DeploymentStart(u32),
    /// Job `0` is created.
    JobStart(u32),
    /// A running pod reaches the end of its run time (`Lifetime::RunFor`).
    PodRunEnd {
        /// The pod.
        pod: PodId,
        /// Pod generation when the timer was set.
        generation: u32,
    },
    /// A pod reaches its deletion time (`Lifetime::DeleteAfter`).
    PodDeletion {
        /// The pod.
        pod: PodId,
        /// Pod generation when the timer was set.
        generation: u32,
    },
    /// Drain the scheduler's active queue.
    ScheduleCycle,
    /// A pod's scheduling backoff ends: it moves to the active queue.
    BackoffExpired {
        /// The pod.
        pod: PodId,
        /// Pod generation when the timer was set.
        generation: u32,
    },
    /// A pod being deleted reaches the end of its termination grace period and stops,
    /// releasing its node's resources.
    GracefulTerminationEnd {
        /// The pod.
        pod: PodId,
        /// Pod generation when its deletion started.
        generation: u32,
    },
    /// The periodic flush of long-parked unschedulable pods.
    UnschedulableFlush,
    /// Record a time-series sample.
    Sample,
    /// Sync HPA `0` (index into the simulation's HPAs).
    HpaSync(u32),
    /// Load tick of service `0`: account requests, record metric samples, re-split the load.
    LoadTick(u32),
    /// A fault, node lifecycle or drain timer (see [`crate::disruption::faults::FaultEvent`]).
    Fault(crate::disruption::faults::FaultEvent),
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_stay_small() {
        // The calendar stores (u128 key, Event): up to 16 bytes of event keep an entry at 32.
        assert!(std::mem::size_of::<super::Event>() <= 16);
    }
}

//! Seeded random streams, one per component.
//!
//! Every component (each workload source, each job, the scheduler, each node's faults)
//! draws from its own ChaCha8 stream derived from the scenario seed and a fixed stream id, so
//! changing the scheduler never changes the workload: strategies compared on one seed see the
//! same world (common random numbers). ChaCha8's output is specified, so it is stable across
//! crate versions and platforms.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random generator used everywhere in the simulator.
pub type SimRng = ChaCha8Rng;

/// Identifies an independent random stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Scheduler tie-breaks and sampling.
    Scheduler,
    /// Workload source number `i` (traces, generators).
    Source(u32),
    /// Job number `i` (run-time draws).
    Job(u32),
    /// Deployment number `i`.
    Deployment(u32),
    /// Load curve number `i` (Poisson noise of a service's request rate).
    Load(u32),
    /// Preemption (the dry run's random node offset).
    Preemption,
    /// Cluster autoscaler stream `i` (0: node provisioning delays, 1: expander tie-breaks).
    Autoscaler(u32),
    /// Kubelet draws (start-up latency, readiness delay, crash times) of the pods of name
    /// prefix `i`, keyed by pod ordinal and container run (see
    /// [`crate::disruption::kubelet::Draws`]).
    Kubelet(u32),
    /// Failures and repairs of the node whose name has this key (`faults::name_key`).
    NodeFailures(u64),
    /// Spot interruptions of the node whose name has this key.
    SpotInterruptions(u64),
    /// Scheduled fault number `i` (which nodes a fraction of a pool or zone picks).
    ScheduledFault(u32),
    /// Custom metric series number `i` (Poisson noise of its load curve).
    CustomMetric(u32),
}

impl Stream {
    fn id(self) -> u64 {
        match self {
            Stream::Scheduler => 1,
            Stream::Source(i) => (2 << 32) | u64::from(i),
            Stream::Job(i) => (3 << 32) | u64::from(i),
            Stream::Deployment(i) => (4 << 32) | u64::from(i),
            Stream::Load(i) => (5 << 32) | u64::from(i),
            Stream::Preemption => 6,
            Stream::Autoscaler(i) => (7 << 32) | u64::from(i),
            Stream::Kubelet(i) => (8 << 32) | u64::from(i),
            // Name-keyed streams live in their own high ranges (top byte 0xF1, 0xF2).
            Stream::NodeFailures(k) => (0xF1 << 56) | (k & 0x00FF_FFFF_FFFF_FFFF),
            Stream::SpotInterruptions(k) => (0xF2 << 56) | (k & 0x00FF_FFFF_FFFF_FFFF),
            Stream::ScheduledFault(i) => (0xF3 << 32) | u64::from(i),
            Stream::CustomMetric(i) => (9 << 32) | u64::from(i),
        }
    }
}

/// The ChaCha stream number of [`Stream::Kubelet`] for name prefix `prefix`.
pub fn kubelet_stream_id(prefix: u32) -> u64 {
    Stream::Kubelet(prefix).id()
}

/// The generator for `stream` under the scenario's master `seed`.
pub fn stream(seed: u64, stream: Stream) -> SimRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream.id());
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a1: u64 = stream(7, Stream::Scheduler).random();
        let a2: u64 = stream(7, Stream::Scheduler).random();
        let b: u64 = stream(7, Stream::Source(0)).random();
        let c: u64 = stream(8, Stream::Scheduler).random();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
    }
}

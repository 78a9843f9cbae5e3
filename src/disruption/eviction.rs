//! The kubelet's node-pressure eviction manager for memory (pkg/kubelet/eviction/
//! eviction_manager.go, helpers.go), per node and event-driven.
//!
//! **Signal.** kubesim nodes have an allocatable, not a capacity. The default hard threshold
//! `memory.available<100Mi` is copied by the kubelet to `allocatableMemory.available<100Mi`
//! (`addAllocatableThresholds`, with the default `enforceNodeAllocatable: [pods]`), and that
//! signal is the `kubepods` cgroup's available memory: its limit, capacity − kube-reserved −
//! system-reserved = allocatable + the 100Mi threshold, minus the pods' working set. So the
//! threshold is met exactly when **the pods' memory usage exceeds the node's allocatable
//! memory**, which is what kubesim evaluates (`memory.available` itself also counts system
//! daemons, which kubesim does not model; it is met at the same point if they use exactly their
//! reservation).
//!
//! **Timing.** The manager synchronizes every 10 s (`evictionMonitoringPeriod`); after it
//! evicts a pod (hard eviction: 1 s grace, `immediateEvictionGracePeriodSeconds`) it waits for
//! the pod's cleanup (polled every second) and synchronizes again at once, so the next check is
//! 2 s after an eviction and the 10 s grid restarts from there. At most one pod is evicted per
//! synchronization. The `MemoryPressure` condition is set while the threshold is met and for
//! `evictionPressureTransitionPeriod` (5 min) after it was last met; while set, the node
//! carries the `node.kubernetes.io/memory-pressure:NoSchedule` taint. kubesim does not poll:
//! a node is checked only at the ticks of its grid where something can happen (the threshold
//! is met, or will be met by growing leaks, or the condition may clear), computed exactly.
//!
//! **Ranking** (`rankMemoryPressure`): pods whose usage exceeds their memory request first,
//! then lower priority, then larger usage − request; critical pods (priority ≥ 2·10⁹) are
//! never evicted. PodDisruptionBudgets and `terminationGracePeriodSeconds` are not honoured.

use crate::cluster::pod::PodId;
use crate::engine::time::{MS_PER_HOUR, SimTime};
use std::cmp::Ordering;

/// The eviction manager's synchronization period [ms] (`evictionMonitoringPeriod`, 10 s).
pub const MONITORING_INTERVAL_MS: u64 = 10_000;
/// How long the pressure condition stays after the threshold was last met [ms]
/// (`evictionPressureTransitionPeriod`, 5 min).
pub const PRESSURE_TRANSITION_MS: u64 = 300_000;
/// Grace period of a hard eviction [ms] (`immediateEvictionGracePeriodSeconds`, 1 s).
pub const EVICTION_GRACE_MS: u64 = 1_000;
/// Poll period of the wait for an evicted pod's cleanup [ms] (`podCleanupPollFreq`, 1 s).
pub const CLEANUP_POLL_MS: u64 = 1_000;

/// The eviction manager's state of one node, and the memory leaks running on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeMemory {
    /// A synchronization time; the next ones follow every 10 s until an eviction moves it.
    pub anchor: SimTime,
    /// Time of the pending check event ([`SimTime::NEVER`] if none).
    pub armed_at: SimTime,
    /// Bumped when a pending check is replaced (lazy cancellation).
    pub generation: u32,
    /// `MemoryPressure` condition.
    pub pressure: bool,
    /// Last check at which the threshold was met.
    pub last_met: SimTime,
    /// Σ leak rates of the running leaking containers [bytes/h].
    pub leak_rate: u128,
    /// Σ leak rate × container start [bytes/h · ms].
    pub leak_offset: u128,
}

impl NodeMemory {
    /// A node whose kubelet started at `started` (its first synchronization).
    pub fn new(started: SimTime) -> NodeMemory {
        NodeMemory {
            anchor: started,
            armed_at: SimTime::NEVER,
            generation: 0,
            pressure: false,
            last_met: SimTime::NEVER,
            leak_rate: 0,
            leak_offset: 0,
        }
    }

    /// The first synchronization at or after `t`.
    pub fn next_tick(&self, t: SimTime) -> SimTime {
        if t <= self.anchor {
            return self.anchor;
        }
        let k = t.since(self.anchor).div_ceil(MONITORING_INTERVAL_MS);
        self.anchor.plus_ms(k * MONITORING_INTERVAL_MS)
    }

    /// Pods' memory at `t` × 1 h [bytes·ms], exact: `base` (the node's non-leaking usage sum,
    /// with each leaking container at its start value) plus the leaks' growth.
    pub fn usage_scaled(&self, base: u64, t: SimTime) -> u128 {
        let h = u128::from(MS_PER_HOUR);
        (u128::from(base) * h + self.leak_rate * u128::from(t.0)).saturating_sub(self.leak_offset)
    }

    /// No leaking container runs on the node: its memory use is the pods' usage alone.
    #[inline]
    pub fn leak_free(&self) -> bool {
        self.leak_rate == 0 && self.leak_offset == 0
    }

    /// False when a change of the pods' memory `base` [bytes] certainly needs no new check:
    /// no leak, no pressure, and `base` at or below `allocatable` [bytes] (what
    /// [`NodeMemory::required_check`] would conclude).
    #[inline]
    pub fn may_need_check(&self, base: u64, allocatable: u64) -> bool {
        self.pressure || !self.leak_free() || base > allocatable
    }

    /// Whether the threshold is met at `t`: pods' memory above `allocatable` bytes.
    pub fn threshold_met(&self, base: u64, allocatable: u64, t: SimTime) -> bool {
        if self.leak_free() {
            // No leak: the scaled comparison reduces to the plain one.
            return base > allocatable;
        }
        self.usage_scaled(base, t) > u128::from(allocatable) * u128::from(MS_PER_HOUR)
    }

    /// The first millisecond ≥ `t` at which the threshold is met, if the usage ever gets there
    /// without other changes.
    pub fn crossing(&self, base: u64, allocatable: u64, t: SimTime) -> Option<SimTime> {
        if self.threshold_met(base, allocatable, t) {
            return Some(t);
        }
        if self.leak_rate == 0 {
            return None;
        }
        // base·H + R·x − K > A·H  ⇔  x > (A·H − base·H + K) / R.
        let h = u128::from(MS_PER_HOUR);
        let x = (u128::from(allocatable) * h + self.leak_offset - u128::from(base) * h)
            / self.leak_rate
            + 1;
        Some(SimTime(x.min(u128::from(SimTime::NEVER.0 - 1)) as u64).max(t))
    }

    /// When the node must next be checked, given its usage now: the next tick if the
    /// threshold is met, else the tick at which growing leaks meet it, or the tick at which
    /// the pressure condition can clear (`None` when nothing can happen).
    pub fn required_check(&self, base: u64, allocatable: u64, now: SimTime) -> Option<SimTime> {
        let crossing = self
            .crossing(base, allocatable, now)
            .map(|t| self.next_tick(t));
        let clear = self
            .pressure
            .then(|| self.next_tick(self.last_met.plus_ms(PRESSURE_TRANSITION_MS).max(now)));
        match (crossing, clear) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A leaking container of `rate` bytes/h started at `start` on the node.
    pub fn add_leak(&mut self, rate: u64, start: SimTime) {
        self.leak_rate += u128::from(rate);
        self.leak_offset += u128::from(rate) * u128::from(start.0);
    }

    /// A leaking container added with [`NodeMemory::add_leak`] stopped.
    pub fn remove_leak(&mut self, rate: u64, start: SimTime) {
        self.leak_rate -= u128::from(rate);
        self.leak_offset -= u128::from(rate) * u128::from(start.0);
    }
}

/// A pod as the memory ranking sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The pod.
    pub pod: PodId,
    /// `spec.priority`.
    pub priority: i32,
    /// Working set [bytes].
    pub usage: u64,
    /// Memory request [bytes].
    pub request: u64,
}

/// `rankMemoryPressure` (`orderedBy(exceedMemoryRequests, priority, memory)`): `Less` when
/// `a` is evicted before `b`.
pub fn eviction_order(a: &Candidate, b: &Candidate) -> Ordering {
    let exceeds = |c: &Candidate| c.usage > c.request;
    let above = |c: &Candidate| i128::from(c.usage) - i128::from(c.request);
    exceeds(b)
        .cmp(&exceeds(a))
        .then(a.priority.cmp(&b.priority))
        .then(above(b).cmp(&above(a)))
}

/// The pod to evict: the first in eviction order (ties: the earliest in `candidates`).
pub fn pick_victim(candidates: impl Iterator<Item = Candidate>) -> Option<Candidate> {
    candidates.fold(None, |best, c| match best {
        Some(b) if eviction_order(&c, &b) != Ordering::Less => Some(b),
        _ => Some(c),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MI: u64 = 1 << 20;

    fn cand(pod: u32, priority: i32, usage_mi: u64, request_mi: u64) -> Candidate {
        Candidate {
            pod: PodId(pod),
            priority,
            usage: usage_mi * MI,
            request: request_mi * MI,
        }
    }

    #[test]
    fn ranking_uses_the_three_keys_in_order() {
        // Key 1: exceeding its request beats a lower priority and a larger overshoot.
        let within = cand(0, -10, 900, 1000); // under its request, lowest priority
        let exceeding = cand(1, 100, 600, 500);
        assert_eq!(
            pick_victim([within, exceeding].into_iter()),
            Some(exceeding)
        );
        // Key 2: among pods exceeding, lower priority first even with a smaller overshoot.
        let low = cand(2, 0, 510, 500);
        let high = cand(3, 5, 2000, 500);
        assert_eq!(pick_victim([high, low].into_iter()), Some(low));
        // Key 3: same class and priority: the larger usage − request first.
        let small = cand(4, 0, 700, 500);
        let large = cand(5, 0, 900, 600);
        assert_eq!(pick_victim([small, large].into_iter()), Some(large));
        // Among pods within their requests, key 3 still applies (usage − request < 0).
        let a = cand(6, 0, 100, 1000); // −900
        let b = cand(7, 0, 800, 1000); // −200
        assert_eq!(pick_victim([a, b].into_iter()), Some(b));
        // A BestEffort pod (request 0) always exceeds; a Guaranteed one at its request never.
        let best_effort = cand(8, 10, 1, 0);
        let guaranteed = cand(9, 0, 1000, 1000);
        assert_eq!(
            pick_victim([guaranteed, best_effort].into_iter()),
            Some(best_effort)
        );
        // Full tie: the first one.
        let c = cand(10, 0, 600, 500);
        let d = cand(11, 0, 600, 500);
        assert_eq!(pick_victim([c, d].into_iter()), Some(c));
        // A sorted list: exceeding (by priority, then overshoot), then the rest.
        let mut all = [within, exceeding, low, high, small, large, a, b];
        all.sort_by(eviction_order);
        let order: Vec<u32> = all.iter().map(|c| c.pod.0).collect();
        assert_eq!(order, vec![5, 4, 2, 3, 1, 0, 7, 6]);
    }

    #[test]
    fn leak_crossing_and_ticks_are_exact() {
        // A node with 1000 Mi allocatable, 900 Mi in use, and one container leaking 50 Mi/h
        // since t = 1 h: it exceeds 1000 Mi when the leak passes 100 Mi, at 3 h + 1 ms.
        let mut n = NodeMemory::new(SimTime(0));
        n.add_leak(50 * MI, SimTime(MS_PER_HOUR));
        let t = SimTime(MS_PER_HOUR);
        assert_eq!(
            n.crossing(900 * MI, 1000 * MI, t),
            Some(SimTime(3 * MS_PER_HOUR + 1))
        );
        assert!(!n.threshold_met(900 * MI, 1000 * MI, SimTime(3 * MS_PER_HOUR)));
        assert!(n.threshold_met(900 * MI, 1000 * MI, SimTime(3 * MS_PER_HOUR + 1)));
        // The check runs at the next 10 s tick.
        assert_eq!(
            n.required_check(900 * MI, 1000 * MI, t),
            Some(SimTime(3 * MS_PER_HOUR + 10_000))
        );
        // Already met: the next tick at or after now.
        let now = SimTime(4 * MS_PER_HOUR + 3_000);
        assert_eq!(
            n.required_check(900 * MI, 1000 * MI, now),
            Some(SimTime(4 * MS_PER_HOUR + 10_000))
        );
        // After an eviction the grid restarts 2 s later.
        n.anchor = SimTime(12_000);
        assert_eq!(n.next_tick(SimTime(12_001)), SimTime(22_000));
        assert_eq!(n.next_tick(SimTime(22_000)), SimTime(22_000));
        // Pressure that is no longer met clears 5 min after it was last met.
        n.remove_leak(50 * MI, SimTime(MS_PER_HOUR));
        n.pressure = true;
        n.last_met = SimTime(22_000);
        assert_eq!(
            n.required_check(900 * MI, 1000 * MI, SimTime(30_000)),
            Some(SimTime(322_000))
        );
        n.pressure = false;
        assert_eq!(n.required_check(900 * MI, 1000 * MI, SimTime(30_000)), None);
    }
}

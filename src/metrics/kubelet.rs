//! Kubelet and rollout metrics: restarts, OOM kills, node-pressure evictions, time in
//! CrashLoopBackOff, lost batch work, time to Ready, the time-weighted ready replicas of the
//! Deployments, and the exact memory used by leaking containers.

use crate::engine::time::{MS_PER_HOUR, SimTime};

/// Counters and integrals of the kubelet model (inside the measured window).
#[derive(Clone, Debug, Default)]
pub struct KubeletMetrics {
    /// Container restarts.
    pub restarts: u64,
    /// Containers that crashed (exited with an error, not OOM).
    pub container_crashes: u64,
    /// Containers OOM-killed.
    pub oom_kills: u64,
    /// Pods evicted under node memory pressure.
    pub node_pressure_evictions: u64,
    /// Time containers waited in CrashLoopBackOff before their restart [ms].
    pub crash_loop_backoff_ms: u64,
    /// Run time of batch (run-to-completion) pods thrown away by crashes, OOM kills and
    /// evictions [ms].
    pub lost_work_ms: u64,
    /// Σ bind → first Ready over pods that became Ready [ms].
    pub time_to_ready_ms: u64,
    /// Pods that became Ready for the first time.
    pub pods_ready: u64,
    /// Ready replicas of the Deployments.
    pub ready: ReadyReplicas,
    /// Memory of leaking containers beyond their start value.
    pub leaks: LeakAccount,
}

/// Time-weighted ready replicas of the Deployments: ∫ Σ min(ready, desired) dt,
/// ∫ Σ desired dt, the time during which every Deployment had its desired ready replicas, and
/// the time during which every Deployment that wants pods had at least one ready.
#[derive(Clone, Debug, Default)]
pub struct ReadyReplicas {
    last: SimTime,
    /// Per Deployment: (ready, desired).
    per_deployment: Vec<(u32, u32)>,
    sum_ready: u64,
    sum_desired: u64,
    short: u32,
    down: u32,
    /// ∫ Σ min(ready, desired) dt [pod·ms].
    pub ready_integral: u128,
    /// ∫ Σ desired dt [pod·ms].
    pub desired_integral: u128,
    /// Time with every Deployment at its desired ready replicas [ms].
    pub all_ready_ms: u64,
    /// Time with at least one ready replica in every Deployment that wants any [ms].
    pub any_ready_ms: u64,
}

impl ReadyReplicas {
    /// Integrates up to `now` (counting only from `window_start`).
    pub fn advance(&mut self, now: SimTime, window_start: SimTime) {
        let from = self.last.max(window_start);
        if now > from {
            let dt = now.since(from);
            self.ready_integral += u128::from(self.sum_ready) * u128::from(dt);
            self.desired_integral += u128::from(self.sum_desired) * u128::from(dt);
            if self.short == 0 {
                self.all_ready_ms += dt;
            }
            if self.down == 0 {
                self.any_ready_ms += dt;
            }
        }
        self.last = self.last.max(now);
    }

    /// The ready and desired replicas of Deployment `d` (from `now` on).
    pub fn set(&mut self, d: usize, ready: u32, desired: u32, now: SimTime, window_start: SimTime) {
        self.advance(now, window_start);
        if self.per_deployment.len() <= d {
            self.per_deployment.resize(d + 1, (0, 0));
        }
        let (r0, d0) = self.per_deployment[d];
        self.sum_ready -= u64::from(r0.min(d0));
        self.sum_desired -= u64::from(d0);
        self.short -= u32::from(r0 < d0);
        self.down -= u32::from(r0 == 0 && d0 > 0);
        self.per_deployment[d] = (ready, desired);
        self.sum_ready += u64::from(ready.min(desired));
        self.sum_desired += u64::from(desired);
        self.short += u32::from(ready < desired);
        self.down += u32::from(ready == 0 && desired > 0);
    }

    /// The ready count of Deployment `d`.
    pub fn ready_of(&self, d: usize) -> u32 {
        self.per_deployment.get(d).map_or(0, |x| x.0)
    }

    /// The desired count of Deployment `d` as last set.
    pub fn desired_of(&self, d: usize) -> u32 {
        self.per_deployment.get(d).map_or(0, |x| x.1)
    }
}

/// The memory leaking containers use beyond their start value, cluster-wide:
/// `Σ rate·(t − start) / 1 h` over the running leaking containers, integrated exactly (the
/// cluster totals hold each leaking container at its start value).
#[derive(Clone, Debug, Default)]
pub struct LeakAccount {
    rate: u128,
    offset: u128,
    last: SimTime,
    /// ∫ leaked memory dt over the measured window [byte·ms] (rounded down per interval).
    pub integral: u128,
}

impl LeakAccount {
    /// Integrates up to `now` (counting only from `window_start`).
    pub fn advance(&mut self, now: SimTime, window_start: SimTime) {
        let from = self.last.max(window_start);
        if now > from && self.rate > 0 {
            // ∫_a^b (R·t − K)/H dt = (b − a)·(R·(a + b) − 2K) / 2H.
            let (a, b) = (u128::from(from.0), u128::from(now.0));
            let num = (b - a) * (self.rate * (a + b)).saturating_sub(2 * self.offset);
            self.integral += num / (2 * u128::from(MS_PER_HOUR));
        }
        self.last = self.last.max(now);
    }

    /// Leaked memory at `t` [bytes] (rounded down).
    pub fn leaked_at(&self, t: SimTime) -> u64 {
        let v = (self.rate * u128::from(t.0)).saturating_sub(self.offset) / u128::from(MS_PER_HOUR);
        v.min(u128::from(u64::MAX)) as u64
    }

    /// A container leaking `rate` bytes/h since `start` runs from `now` on.
    pub fn add(&mut self, rate: u64, start: SimTime, now: SimTime, window_start: SimTime) {
        self.advance(now, window_start);
        self.rate += u128::from(rate);
        self.offset += u128::from(rate) * u128::from(start.0);
    }

    /// A container added with [`LeakAccount::add`] stops at `now`.
    pub fn remove(&mut self, rate: u64, start: SimTime, now: SimTime, window_start: SimTime) {
        self.advance(now, window_start);
        self.rate -= u128::from(rate);
        self.offset -= u128::from(rate) * u128::from(start.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_replicas_integrate_min_and_all_ready_time() {
        let mut r = ReadyReplicas::default();
        let w = SimTime::ZERO;
        r.set(0, 2, 2, SimTime(0), w);
        r.set(1, 0, 1, SimTime(0), w);
        r.set(1, 1, 1, SimTime(100), w); // all ready from 100 ms
        r.set(0, 3, 2, SimTime(300), w); // more than desired counts as desired
        r.set(0, 1, 2, SimTime(400), w);
        r.advance(SimTime(1000), w);
        // ready: 2·100 + 3·200 + 3·100 + 2·600 = 2300; desired: 3·1000.
        assert_eq!(r.ready_integral, 2300);
        assert_eq!(r.desired_integral, 3000);
        assert_eq!(r.all_ready_ms, 300);
        // Deployment 1 had no ready pod for the first 100 ms.
        assert_eq!(r.any_ready_ms, 200 + 100 + 600);
        r.set(1, 0, 1, SimTime(1000), w);
        r.advance(SimTime(1500), w);
        assert_eq!(r.any_ready_ms, 900);
        assert_eq!(r.ready_of(0), 1);
    }

    #[test]
    fn leak_integral_is_exact() {
        let mut l = LeakAccount::default();
        let w = SimTime::ZERO;
        // 3600 bytes/h = 1 byte per second, from t = 0 to 10 s: ∫ = Σ ≈ 10·10/2 byte·s.
        l.add(3600, SimTime(0), SimTime(0), w);
        l.advance(SimTime(10_000), w);
        assert_eq!(l.integral, 50_000); // 50 byte·s = 50 000 byte·ms
        assert_eq!(l.leaked_at(SimTime(10_000)), 10);
        // A second container from 10 s: both grow until 20 s.
        l.add(3600, SimTime(10_000), SimTime(10_000), w);
        l.advance(SimTime(20_000), w);
        // First: ∫_10^20 t = 150 byte·s; second: 50 byte·s.
        assert_eq!(l.integral, 50_000 + 150_000 + 50_000);
        l.remove(3600, SimTime(0), SimTime(20_000), w);
        assert_eq!(l.leaked_at(SimTime(30_000)), 20);
        // Warm-up: nothing before the window.
        let mut m = LeakAccount::default();
        m.add(3600, SimTime(0), SimTime(0), SimTime(10_000));
        m.advance(SimTime(20_000), SimTime(10_000));
        assert_eq!(m.integral, 150_000);
    }
}

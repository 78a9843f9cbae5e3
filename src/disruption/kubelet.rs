//! The kubelet's container lifecycle: start-up latency and readiness, crashes and OOM kills,
//! restarts with CrashLoopBackOff. Pure models and per-pod state; the engine drives them
//! (`engine/kubelet.rs`).
//!
//! Timeline of a pod (Running from its bind time `b`):
//! - the container starts at `s = b + imagePull` (image pull, create and start);
//! - the readiness probe worker ticks at `b, b + period, b + 2·period, …` (it starts when the
//!   kubelet admits the pod and keeps ticking across restarts, `pkg/kubelet/prober/worker.go`);
//!   the pod is Ready at the first tick at or after `s + readinessDelay` (the probe's
//!   `initialDelaySeconds` plus the application's warm-up; `successThreshold` 1);
//! - the container runs until it crashes (a drawn time after its start) or is OOM-killed (its
//!   memory, growing from the start value by the leak rate, would exceed its limit), whichever
//!   comes first;
//! - with restart policy Always or OnFailure it restarts in place after the CrashLoopBackOff
//!   delay ([`RestartBackoff`]); the image is present, so a restart starts the container at
//!   once; readiness is probed again; memory starts over. With Never the pod fails and its
//!   controller replaces it.
//!
//! Without a `startup` block the container starts and is Ready at bind, as before this model.

use super::eviction::NodeMemory;
use crate::cluster::resources::Resources;
use crate::engine::rng::SimRng;
use crate::engine::time::{MS_PER_HOUR, SimTime};
use crate::scenario::values::DurationDist;
use crate::workload::distribution::sample_ms;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Initial container restart backoff [ms] (`initialDuration` of the kubelet's backoff,
/// pkg/kubelet/kubelet.go `backOffPeriod`).
pub const INITIAL_BACKOFF_MS: u64 = 10_000;
/// Maximum container restart backoff [ms] (`MaxContainerBackOff`, 300 s).
pub const MAX_BACKOFF_MS: u64 = 300_000;
/// Default readiness probe period [ms] (`periodSeconds` default 10).
pub const DEFAULT_PROBE_PERIOD_MS: u64 = 10_000;
/// Priority from which a pod is critical (`scheduling.SystemCriticalPriority`, 2·10⁹): the
/// eviction manager never evicts it (`kubelettypes.IsCriticalPod`).
pub const SYSTEM_CRITICAL_PRIORITY: i32 = 2_000_000_000;

/// Why the kubelet disrupted a pod: the cause passed to the engine's one disruption hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KubeletCause {
    /// The container exited with an error (its crash time came).
    ContainerCrash,
    /// The container's memory exceeded its limit (`OOMKilled`).
    OomKill,
    /// The eviction manager evicted the pod under node memory pressure (phase Failed,
    /// reason `Evicted`).
    NodePressureEviction,
}

/// `restartPolicy` of a pod.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RestartPolicy {
    /// Restart after any exit (Deployments; the default for pods).
    #[default]
    Always,
    /// Restart after a failed exit (crash, OOM kill); kubesim's default for Jobs.
    OnFailure,
    /// Never restart: a failed container fails the pod, and its controller replaces it.
    Never,
}

/// When a running container crashes on its own.
#[derive(Clone, Debug, PartialEq)]
pub enum CrashModel {
    /// Crashes at a constant rate: time from container start to crash is exponential with
    /// this mean [ms].
    Exponential {
        /// Mean time between crashes of a running container [ms].
        mean_ms: u64,
    },
    /// Crashes this long after each start (a fixed duration or a distribution), e.g. a bad
    /// version that fails a few seconds after it starts.
    After(DurationDist),
}

/// The kubelet behaviour of the pods of one template version.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KubeletProfile {
    /// Bind to container start: image pull, create and start [ms] (`None` = 0).
    pub image_pull: Option<DurationDist>,
    /// Container start to the first successful readiness probe: `initialDelaySeconds` plus
    /// warm-up [ms] (`None` = 0).
    pub readiness_delay: Option<DurationDist>,
    /// Readiness probe period [ms]; 0 = no probe (Ready as soon as the delay ends).
    pub probe_period_ms: u64,
    /// Spontaneous crashes, if any.
    pub crash: Option<CrashModel>,
    /// Memory growth of a running container [bytes per hour]; 0 = none.
    pub memory_leak_per_hour: u64,
    /// `restartPolicy`.
    pub restart_policy: RestartPolicy,
}

impl KubeletProfile {
    /// True when pods start and become Ready at bind and never fail: the pre-kubelet model.
    pub fn is_instant(&self) -> bool {
        self.image_pull.is_none()
            && self.readiness_delay.is_none()
            && self.crash.is_none()
            && self.memory_leak_per_hour == 0
    }
}

/// The per-container restart backoff of the kubelet: `flowcontrol.Backoff` with initial 10 s,
/// maximum 300 s and no jitter, as `kubeGenericRuntimeManager.doBackOff` uses it
/// (staging/src/k8s.io/client-go/util/flowcontrol/backoff.go,
/// pkg/kubelet/kuberuntime/kuberuntime_manager.go).
///
/// At an exit at time `F`: if there is no entry, or the entry was last updated more than
/// `2 × max` = 600 s before `F` (`hasExpired`), the container is not in backoff: the entry is
/// (re)set to 10 s and the container restarts at once. Otherwise it waits until
/// `F + backoff`; then the entry doubles (capped at 300 s) and is stamped with the restart
/// time. So the waits after successive quick crashes are 0, 10, 20, 40, 80, 160, 300, 300 s
/// (the first restart is immediate in released kubelets, kubernetes/kubernetes#133472), and a
/// container that ran for more than 10 minutes starts over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestartBackoff {
    /// Current backoff [ms] (0 = no entry).
    pub backoff_ms: u64,
    /// When the entry was last updated (`lastUpdate`).
    pub last_update: SimTime,
}

impl RestartBackoff {
    /// The container exited at `finished`: returns when it restarts, and updates the entry as
    /// the kubelet does at that restart.
    pub fn restart_at(&mut self, finished: SimTime) -> SimTime {
        let expired = finished.since(self.last_update) > 2 * MAX_BACKOFF_MS;
        if self.backoff_ms == 0 || expired {
            self.backoff_ms = INITIAL_BACKOFF_MS;
            self.last_update = finished;
            return finished;
        }
        let restart = finished.plus_ms(self.backoff_ms);
        self.backoff_ms = (self.backoff_ms * 2).min(MAX_BACKOFF_MS);
        self.last_update = restart;
        restart
    }
}

/// The first readiness probe tick at or after `ready_from`: ticks are at
/// `bound + k·period_ms`, k ≥ 0 (`period_ms` 0: exactly `ready_from`).
pub fn ready_time(bound: SimTime, ready_from: SimTime, period_ms: u64) -> SimTime {
    if period_ms == 0 || ready_from <= bound {
        return ready_from.max(bound);
    }
    let k = ready_from.since(bound).div_ceil(period_ms);
    bound.plus_ms(k * period_ms)
}

/// Memory [bytes] of a container that started with `base` bytes and leaks
/// `leak_per_hour` bytes/h, `elapsed_ms` after its start (rounded down).
pub fn leaked_memory(base: u64, leak_per_hour: u64, elapsed_ms: u64) -> u64 {
    let grown = u128::from(leak_per_hour) * u128::from(elapsed_ms) / u128::from(MS_PER_HOUR);
    base.saturating_add(grown.min(u128::from(u64::MAX)) as u64)
}

/// How long after its start a container is OOM-killed [ms]: the first millisecond at which its
/// memory (`base` bytes growing by `leak_per_hour` bytes/h) exceeds `limit` bytes. `Some(0)`
/// if it starts above the limit; `None` if it never exceeds it (or has no limit).
pub fn oom_after_ms(base: u64, limit: Option<u64>, leak_per_hour: u64) -> Option<u64> {
    let limit = limit?;
    if base > limit {
        return Some(0);
    }
    if leak_per_hour == 0 {
        return None;
    }
    // base + leak·t/H > limit  ⇔  t > (limit − base)·H / leak.
    let t = u128::from(limit - base) * u128::from(MS_PER_HOUR) / u128::from(leak_per_hour) + 1;
    Some(t.min(u128::from(u64::MAX / 4)) as u64)
}

/// What ended (or will end) the current container run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// A crash (exit with an error).
    Crash,
    /// An OOM kill.
    Oom,
}

/// The kubelet's state of one pod's container (one container per pod).
#[derive(Clone, Copy, Debug)]
pub struct ContainerState {
    /// Bind time: the readiness probe worker's start.
    pub bound: SimTime,
    /// Start of the current container run ([`SimTime::NEVER`] while not running).
    pub started: SimTime,
    /// End of the last run ([`SimTime::NEVER`] if none): the backoff waits from here.
    pub exited: SimTime,
    /// Container starts so far (0 before the first): keys the random draws of each run.
    pub instance: u32,
    /// Restart backoff entry.
    pub backoff: RestartBackoff,
    /// What ends the current run, if anything will.
    pub exit: Option<ExitReason>,
    /// Usage of the running container without its leak (cpu [millicores], memory [bytes]).
    pub base_usage: Resources,
    /// Memory leak of the current run [bytes/h] (0 when none or not running).
    pub leak_per_hour: u64,
    /// Whether the engine's ready-replica counts include this pod.
    pub counted_ready: bool,
    /// Whether it has been Ready since it was bound.
    pub was_ready: bool,
    /// Being evicted by the eviction manager (killed at the end of its 1 s grace).
    pub evicting: bool,
}

impl ContainerState {
    /// The state of a pod just bound at `now` whose container runs with `usage`.
    pub fn bound(now: SimTime, usage: Resources) -> ContainerState {
        ContainerState {
            bound: now,
            started: SimTime::NEVER,
            exited: SimTime::NEVER,
            instance: 0,
            backoff: RestartBackoff::default(),
            exit: None,
            base_usage: usage,
            leak_per_hour: 0,
            counted_ready: false,
            was_ready: false,
            evicting: false,
        }
    }

    /// Current memory of the container at `now` [bytes] (0 while it is not running).
    pub fn memory_at(&self, now: SimTime) -> u64 {
        if self.started == SimTime::NEVER {
            return 0;
        }
        leaked_memory(
            self.base_usage.memory_bytes,
            self.leak_per_hour,
            now.since(self.started),
        )
    }
}

/// What a draw is for (one random number per purpose, pod and container run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrawPurpose {
    /// Image pull time.
    ImagePull = 0,
    /// Readiness delay.
    ReadinessDelay = 1,
    /// Time to crash.
    Crash = 2,
}

/// Random draws keyed by pod identity, so that variants of a scenario see the same latencies
/// and crash times for the same pod (common random numbers) whatever the order of events: the
/// draw for (workload name prefix, pod ordinal, container run, purpose) comes from its own
/// window of a ChaCha8 stream of the master seed (stream `Kubelet(prefix)`).
#[derive(Clone, Debug)]
pub struct Draws {
    base: SimRng,
}

impl Draws {
    /// Draws for master seed `seed`.
    pub fn new(seed: u64) -> Draws {
        Draws {
            base: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A duration [ms] from `dist` for the pod `(prefix, ordinal)`'s container run `instance`.
    /// A constant is returned as is (0 allowed).
    pub fn duration_ms(
        &self,
        dist: &DurationDist,
        prefix: u32,
        ordinal: u32,
        instance: u32,
        purpose: DrawPurpose,
    ) -> u64 {
        if let DurationDist::Constant(c) = *dist {
            return c;
        }
        let mut rng = self.base.clone();
        rng.set_stream(crate::engine::rng::kubelet_stream_id(prefix));
        // 64 words (32 u64 draws) per (ordinal, run, purpose); runs beyond 2^20 share windows.
        let run = u128::from(instance.min((1 << 20) - 1));
        let window = (u128::from(ordinal) << 26) | (run << 4) | purpose as u128;
        rng.set_word_pos(window << 6);
        sample_ms(dist, &mut rng)
    }

    /// Time from a container start to its crash [ms].
    pub fn crash_after_ms(&self, model: &CrashModel, prefix: u32, ordinal: u32, run: u32) -> u64 {
        let dist = match model {
            CrashModel::Exponential { mean_ms } => DurationDist::Exponential { mean: *mean_ms },
            CrashModel::After(d) => d.clone(),
        };
        self.duration_ms(&dist, prefix, ordinal, run, DrawPurpose::Crash)
    }
}

/// The kubelet models of a run: the behaviour profiles (index = `PodTemplate::kubelet_profile`)
/// and the per-pod container states (index = pod slot).
#[derive(Clone, Debug)]
pub struct Kubelet {
    /// Profiles; 0 is the instant, never-failing default.
    pub profiles: Vec<KubeletProfile>,
    /// Per pod slot: container state (valid while the pod is bound).
    pub pods: Vec<ContainerState>,
    /// Per node: the eviction manager's state and the leaks running there.
    pub nodes: Vec<NodeMemory>,
    /// Keyed random draws.
    pub draws: Draws,
}

impl Kubelet {
    /// The kubelet for master seed `seed`, with only the default profile.
    pub fn new(seed: u64) -> Kubelet {
        Kubelet {
            profiles: vec![KubeletProfile::default()],
            pods: Vec::new(),
            nodes: Vec::new(),
            draws: Draws::new(seed),
        }
    }

    /// False when the eviction manager of `node` (whose id is `id`) certainly needs no new
    /// check after its memory use changed ([`NodeMemory::may_need_check`]).
    #[inline]
    pub fn may_need_check(
        &self,
        id: crate::cluster::node::NodeId,
        node: &crate::cluster::node::Node,
    ) -> bool {
        self.nodes.get(id.0 as usize).is_none_or(|nm| {
            nm.may_need_check(node.usage.memory_bytes, node.allocatable.memory_bytes)
        })
    }

    /// Adds a profile and returns its index (the instant default is shared as 0).
    pub fn add_profile(&mut self, profile: KubeletProfile) -> u32 {
        if profile.is_instant() && profile.restart_policy == RestartPolicy::Always {
            return 0;
        }
        if let Some(i) = self.profiles.iter().position(|p| *p == profile) {
            return i as u32;
        }
        self.profiles.push(profile);
        self.profiles.len() as u32 - 1
    }

    /// The state slot of `pod`, grown on demand.
    pub fn slot(&mut self, pod: usize) -> &mut ContainerState {
        if self.pods.len() <= pod {
            self.pods.resize(
                pod + 1,
                ContainerState::bound(SimTime::NEVER, Resources::ZERO),
            );
        }
        &mut self.pods[pod]
    }
}

impl Default for Kubelet {
    fn default() -> Self {
        Kubelet::new(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1000;

    #[test]
    fn crash_loop_backoff_sequence_as_the_kubelet() {
        // A container that crashes 1 s after every start: waits 0, 10, 20, 40, 80, 160, 300,
        // 300 s; the backoff entry after each restart is 10, 20, 40, 80, 160, 300, 300, 300 s.
        let mut b = RestartBackoff::default();
        let mut t = SimTime(5 * S);
        let mut waits = Vec::new();
        let mut entries = Vec::new();
        for _ in 0..8 {
            let restart = b.restart_at(t);
            waits.push(restart.since(t) / S);
            entries.push(b.backoff_ms / S);
            t = restart.plus_ms(S);
        }
        assert_eq!(waits, vec![0, 10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(entries, vec![10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn backoff_resets_after_ten_minutes_of_running() {
        let mut b = RestartBackoff::default();
        assert_eq!(b.restart_at(SimTime(0)), SimTime(0));
        assert_eq!(b.restart_at(SimTime(S)), SimTime(11 * S)); // waits 10 s, entry 20 s
        // Runs exactly 600 s after the last update (restart at 11 s): not expired (strict >).
        assert_eq!(b.restart_at(SimTime(611 * S)), SimTime(631 * S));
        assert_eq!(b.backoff_ms, 40 * S);
        // Runs 600.001 s: expired, so the entry starts over and the restart is immediate.
        let crash = SimTime(631 * S + 600 * S + 1);
        assert_eq!(b.restart_at(crash), crash);
        assert_eq!(b.backoff_ms, 10 * S);
        // The next quick crash waits the initial 10 s again.
        assert_eq!(b.restart_at(crash.plus_ms(S)), crash.plus_ms(11 * S));
    }

    #[test]
    fn oom_time_of_a_leak_is_exact() {
        let mi = 1u64 << 20;
        // 100 Mi growing by 50 Mi/h under a 200 Mi limit: reaches the limit at exactly 2 h and
        // exceeds it 1 ms later.
        assert_eq!(
            oom_after_ms(100 * mi, Some(200 * mi), 50 * mi),
            Some(2 * MS_PER_HOUR + 1)
        );
        assert_eq!(leaked_memory(100 * mi, 50 * mi, 2 * MS_PER_HOUR), 200 * mi);
        // 1 ms later it is 50 Mi/h · 1 ms = 14.56 bytes above (rounded down).
        assert_eq!(
            leaked_memory(100 * mi, 50 * mi, 2 * MS_PER_HOUR + 1),
            200 * mi + 14
        );
        // 1 byte/h from 10 bytes under an 11-byte limit: exceeds after 1 h + 1 ms.
        assert_eq!(oom_after_ms(10, Some(11), 1), Some(MS_PER_HOUR + 1));
        // At the limit without a leak: never (a Guaranteed pod using its request).
        assert_eq!(oom_after_ms(200 * mi, Some(200 * mi), 0), None);
        // Above the limit at start: killed at once.
        assert_eq!(oom_after_ms(201 * mi, Some(200 * mi), 0), Some(0));
        // No limit: never.
        assert_eq!(oom_after_ms(100 * mi, None, 50 * mi), None);
    }

    #[test]
    fn readiness_is_observed_at_probe_ticks() {
        let b = SimTime(100 * S);
        // Ready from 123 s with probes every 10 s from the bind at 100 s: tick at 130 s.
        assert_eq!(ready_time(b, SimTime(123 * S), 10 * S), SimTime(130 * S));
        // On a tick exactly.
        assert_eq!(ready_time(b, SimTime(120 * S), 10 * S), SimTime(120 * S));
        // At bind: the first probe runs at once.
        assert_eq!(ready_time(b, b, 10 * S), b);
        // No probe: exactly when the delay ends.
        assert_eq!(ready_time(b, SimTime(123 * S), 0), SimTime(123 * S));
    }

    #[test]
    fn draws_are_keyed_by_pod_and_run() {
        let d = Draws::new(7);
        let dist = DurationDist::Exponential { mean: 60_000 };
        let a = d.duration_ms(&dist, 3, 10, 0, DrawPurpose::ImagePull);
        assert_eq!(a, d.duration_ms(&dist, 3, 10, 0, DrawPurpose::ImagePull));
        assert_ne!(a, d.duration_ms(&dist, 3, 11, 0, DrawPurpose::ImagePull));
        assert_ne!(a, d.duration_ms(&dist, 3, 10, 1, DrawPurpose::ImagePull));
        assert_ne!(a, d.duration_ms(&dist, 3, 10, 0, DrawPurpose::Crash));
        assert_ne!(a, d.duration_ms(&dist, 4, 10, 0, DrawPurpose::ImagePull));
        assert_eq!(
            d.duration_ms(&DurationDist::Constant(0), 3, 10, 0, DrawPurpose::Crash),
            0
        );
        // The exponential mean is right.
        let n = 20_000;
        let mean = (0..n)
            .map(|i| d.duration_ms(&dist, 1, i, 0, DrawPurpose::Crash) as f64)
            .sum::<f64>()
            / f64::from(n);
        assert!((mean - 60_000.0).abs() < 0.03 * 60_000.0, "{mean}");
    }
}

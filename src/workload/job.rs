//! The Job controller: runs pods until `completions` have succeeded, at most `parallelism` at a
//! time, and fails the Job once more than `backoffLimit` pods failed
//! (pkg/controller/job/job_controller.go). Each pod's run time is drawn from the Job's own
//! random stream, in creation order, so it does not depend on the scheduler.
//!
//! Counted failures: pods whose container failed with restart policy Never. Pods that end
//! because of a disruption (node failure or spot interruption, drain, eviction, preemption,
//! autoscaler scale-down) are replaced without counting, as under the upstream
//! `podFailurePolicy` rule `{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}`;
//! upstream's default (no policy) counts them too. Container restarts under `OnFailure` are
//! not counted either (upstream adds them to the failures).
//!
//! In `Indexed` mode every pod carries a completion index in `0..completions` (upstream's
//! `batch.kubernetes.io/job-completion-index` annotation; here the pod's ordinal, so it is
//! named `<job>-<index>`); each index succeeds once, and a failed index is retried, lowest
//! missing index first.

use super::Blueprint;
use super::distribution::sample_ms;
use crate::cluster::ClusterState;
use crate::cluster::pod::{Lifetime, Owner, PodId};
use crate::engine::rng::SimRng;
use crate::engine::time::SimTime;
use crate::scenario::values::DurationDist;

/// Upstream's default `spec.backoffLimit`.
pub const DEFAULT_BACKOFF_LIMIT: u32 = 6;

/// Delay before the pod that replaces the first failed one [ms]; it doubles with each further
/// failure since the last success (`DefaultJobPodFailureBackOff`).
pub const POD_FAILURE_BACKOFF_MS: u64 = 10_000;

/// Longest pod failure back-off [ms] (`MaxJobPodFailureBackOff`, 6 min).
pub const MAX_POD_FAILURE_BACKOFF_MS: u64 = 360_000;

/// State of one Job.
pub struct JobController {
    /// Job name.
    pub name: String,
    /// Index (owner id).
    pub index: u32,
    /// When the Job is created.
    pub start: SimTime,
    /// Pods that must succeed.
    pub completions: u32,
    /// Pods at once.
    pub parallelism: u32,
    /// Run time distribution.
    pub duration: DurationDist,
    /// Pod blueprint.
    pub blueprint: Blueprint,
    /// Run-time random stream.
    pub rng: SimRng,
    /// Pods that succeeded.
    pub succeeded: u32,
    /// Pods that exist (pending or running).
    pub active: u32,
    /// Pods ever created.
    pub created: u32,
    /// When the last completion happened ([`SimTime::NEVER`] until complete).
    pub completed_at: SimTime,
    /// `spec.backoffLimit`: pod failures tolerated; one more fails the Job.
    pub backoff_limit: u32,
    /// Pods that failed (ended in phase Failed: crashed with restart policy Never, evicted,
    /// preempted, deleted with their node).
    pub failed: u32,
    /// When the Job failed (backoff limit exceeded; [`SimTime::NEVER`] while it has not).
    pub failed_at: SimTime,
    /// `completionMode: Indexed`: per index, whether it succeeded (empty when `NonIndexed`).
    pub indexed: Vec<IndexState>,
    /// The active pods and their completion index (0 when `NonIndexed`).
    pub pods: Vec<(PodId, u32)>,
    /// The CronJob that created it, if any.
    pub cron_job: Option<u32>,
    /// The pod whose container just failed (restart policy Never), set by the kubelet
    /// before the pod ends: the only failures counted toward the backoff limit.
    pub container_failed: Option<PodId>,
    /// Counted failures since the last success (they set the back-off).
    pub failures_since_success: u32,
    /// No pod is created before this time (the pod failure back-off).
    pub not_before: SimTime,
}

/// The state of one completion index of an Indexed Job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexState {
    /// No pod succeeded or runs for it.
    Missing,
    /// A pod for it is active.
    Active,
    /// A pod for it succeeded.
    Succeeded,
}

impl JobController {
    /// A Job of `completions` pods, at most `parallelism` at once, created at `start`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: String,
        index: u32,
        start: SimTime,
        completions: u32,
        parallelism: u32,
        duration: DurationDist,
        blueprint: Blueprint,
        rng: SimRng,
    ) -> Self {
        JobController {
            name,
            index,
            start,
            completions,
            parallelism,
            duration,
            blueprint,
            rng,
            succeeded: 0,
            active: 0,
            created: 0,
            completed_at: SimTime::NEVER,
            backoff_limit: DEFAULT_BACKOFF_LIMIT,
            failed: 0,
            failed_at: SimTime::NEVER,
            indexed: Vec::new(),
            pods: Vec::new(),
            cron_job: None,
            container_failed: None,
            failures_since_success: 0,
            not_before: SimTime::ZERO,
        }
    }

    /// Switches the Job to `completionMode: Indexed`.
    pub fn set_indexed(&mut self) {
        self.indexed = vec![IndexState::Missing; self.completions as usize];
    }

    /// True once the Job completed or failed: it creates no more pods.
    pub fn is_finished(&self) -> bool {
        self.completed_at != SimTime::NEVER || self.failed_at != SimTime::NEVER
    }

    /// Creates pods until `parallelism` are active or no more are needed.
    pub fn reconcile(&mut self, cluster: &mut ClusterState, now: SimTime, out: &mut Vec<PodId>) {
        if self.is_finished() || now < self.not_before {
            return;
        }
        while self.active < self.parallelism && self.succeeded + self.active < self.completions {
            let (ordinal, index) = match self.indexed.iter().position(|&s| s == IndexState::Missing)
            {
                Some(i) => {
                    self.indexed[i] = IndexState::Active;
                    (i as u32, i as u32)
                }
                None if !self.indexed.is_empty() => break,
                None => (self.created, 0),
            };
            let run = sample_ms(&self.duration, &mut self.rng);
            let pod = self
                .blueprint
                .pod(ordinal, Owner::Job(self.index), Lifetime::RunFor(run));
            self.created += 1;
            self.active += 1;
            let id = cluster.create_pod(pod, now);
            self.pods.push((id, index));
            out.push(id);
        }
    }

    /// Records a terminated pod (`succeeded` or not). Returns true if this failure made the
    /// Job fail: the caller deletes the pods still in [`JobController::pods`].
    pub fn on_pod_terminated(&mut self, pod: PodId, succeeded: bool, now: SimTime) -> bool {
        let container_failed = self.container_failed.take() == Some(pod);
        let Some(k) = self.pods.iter().position(|&(p, _)| p == pod) else {
            return false;
        };
        let (_, index) = self.pods.swap_remove(k);
        self.active = self.active.saturating_sub(1);
        if self.is_finished() {
            return false;
        }
        if !self.indexed.is_empty() {
            self.indexed[index as usize] = if succeeded {
                IndexState::Succeeded
            } else {
                IndexState::Missing
            };
        }
        if succeeded {
            self.failures_since_success = 0;
            self.succeeded += 1;
            if self.succeeded == self.completions {
                self.completed_at = now;
            }
            false
        } else if container_failed {
            self.failed += 1;
            // The next pod waits 10 s, doubling per failure since the last success, at most
            // 6 min (`getRemainingTime` of the Job controller's back-off records).
            self.failures_since_success += 1;
            let doublings = (self.failures_since_success - 1).min(16);
            let delay = (POD_FAILURE_BACKOFF_MS << doublings).min(MAX_POD_FAILURE_BACKOFF_MS);
            self.not_before = now.plus_ms(delay);
            // `pastBackoffLimitOnFailure`: the Job fails once failures exceed the limit.
            if self.failed > self.backoff_limit {
                self.failed_at = now;
                return true;
            }
            false
        } else {
            // A disrupted pod (node failure, eviction, preemption, deletion) is replaced
            // without counting (see the module doc).
            false
        }
    }
}

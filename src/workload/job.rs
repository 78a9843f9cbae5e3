//! The Job controller: runs pods until `completions` have succeeded, at most `parallelism` at a
//! time. Each pod's run time is drawn from the Job's own random stream, in creation order, so
//! it does not depend on the scheduler.

use super::Blueprint;
use super::distribution::sample_ms;
use crate::cluster::ClusterState;
use crate::cluster::pod::{Lifetime, Owner, PodId};
use crate::engine::rng::SimRng;
use crate::engine::time::SimTime;
use crate::scenario::values::DurationDist;

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
}

impl JobController {
    /// Creates pods until `parallelism` are active or no more are needed.
    pub fn reconcile(&mut self, cluster: &mut ClusterState, now: SimTime, out: &mut Vec<PodId>) {
        while self.active < self.parallelism && self.succeeded + self.active < self.completions {
            let run = sample_ms(&self.duration, &mut self.rng);
            let pod =
                self.blueprint
                    .pod(self.created, Owner::Job(self.index), Lifetime::RunFor(run));
            self.created += 1;
            self.active += 1;
            out.push(cluster.create_pod(pod, now));
        }
    }

    /// Records a terminated pod (`succeeded` or not).
    pub fn on_pod_terminated(&mut self, succeeded: bool, now: SimTime) {
        self.active = self.active.saturating_sub(1);
        if succeeded {
            self.succeeded += 1;
            if self.succeeded == self.completions {
                self.completed_at = now;
            }
        }
    }
}

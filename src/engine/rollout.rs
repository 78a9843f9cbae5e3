//! Engine glue of rolling updates ([`crate::workload::rollout`]): starting a planned rollout,
//! the Deployment controller's rolling sync (`rolloutRolling`), progress tracking and the
//! progress-deadline check. Syncs run in their own `RolloutSync` event, requested whenever
//! the Deployment's pods change readiness or end, so that a sync never runs inside another
//! controller's handler.

use super::Simulation;
use super::event::Event;
use crate::cluster::pod::pod_is_ready;
use crate::engine::time::SimTime;
use crate::workload::Blueprint;
use crate::workload::rollout::{
    Outcome, Rollout, RolloutRow, RolloutStatus, RsCounts, complete, progressing, reconcile_new,
    reconcile_old, resolve_fenceposts,
};

/// A rollout the scenario schedules: Deployment `deployment` switches to `blueprint` at `at`.
#[derive(Clone, Debug)]
pub struct PlannedRollout {
    /// Deployment index.
    pub deployment: u32,
    /// Start time.
    pub at: SimTime,
    /// The new version's pod blueprint (its own template and kubelet profile).
    pub blueprint: Blueprint,
}

/// Rollouts of a run: the planned ones and the record of each started one.
#[derive(Clone, Debug, Default)]
pub struct Rollouts {
    /// Planned rollouts (scenario order).
    pub planned: Vec<PlannedRollout>,
    /// Started rollouts, in start order.
    pub records: Vec<Rollout>,
    /// Per Deployment: its latest rollout (index into `records`).
    pub current: Vec<Option<usize>>,
    sync_pending: Vec<bool>,
    /// Scratch: the old ReplicaSets' counts during a sync.
    old_scratch: Vec<RsCounts>,
}

/// Most scale steps one sync applies before it yields (each step creates or deletes pods).
const MAX_SYNC_STEPS: usize = 64;

impl Simulation {
    /// Starts planned rollout `i`: the Deployment's template changes and the rolling update
    /// begins (`Progressing` from now).
    pub(super) fn start_rollout(&mut self, i: usize) {
        let plan = self.rollouts.planned[i].clone();
        let d = plan.deployment as usize;
        let now = self.now;
        if self.rollouts.current.len() <= d {
            self.rollouts.current.resize(self.deployments.len(), None);
        }
        if let Some(k) = self.rollouts.current[d]
            && self.rollouts.records[k].active()
        {
            self.rollouts.records[k].superseded_at = now;
        }
        let dep = &mut self.deployments[d];
        let revision = dep.revision + 1;
        dep.begin_rollout(plan.blueprint, revision);
        let fenceposts = resolve_fenceposts(&dep.strategy, dep.replicas);
        let replicas = dep.replicas;
        let last = self.rollout_status(d);
        self.rollouts.records.push(Rollout {
            deployment: d as u32,
            started: now,
            progress_at: now,
            completed_at: SimTime::NEVER,
            failed_at: SimTime::NEVER,
            superseded_at: SimTime::NEVER,
            last,
            replicas,
            fenceposts,
            deadline_generation: 0,
        });
        self.rollouts.current[d] = Some(self.rollouts.records.len() - 1);
        self.arm_progress_deadline(d);
        self.sync_rollout(d);
    }

    /// Asks for a rolling sync of Deployment `d` if a rollout is under way (at most one
    /// pending sync per Deployment).
    pub(super) fn wake_rollout(&mut self, d: usize) {
        let watched = self.deployments[d].is_rolling()
            || self
                .rollouts
                .current
                .get(d)
                .copied()
                .flatten()
                .is_some_and(|k| self.rollouts.records[k].active());
        if !watched {
            return;
        }
        if self.rollouts.sync_pending.len() <= d {
            self.rollouts
                .sync_pending
                .resize(self.deployments.len(), false);
        }
        if !self.rollouts.sync_pending[d] {
            self.rollouts.sync_pending[d] = true;
            self.queue.push(self.now, Event::RolloutSync(d as u32));
        }
    }

    /// The Deployment status: all its pods, those of the current template, and how many of
    /// them are Ready.
    fn rollout_status(&self, d: usize) -> RolloutStatus {
        let dep = &self.deployments[d];
        let available = dep
            .pods
            .iter()
            .filter(|&&p| pod_is_ready(&self.cluster.pods[p.0 as usize], self.now))
            .count() as u32;
        RolloutStatus {
            replicas: dep.live,
            updated: dep.new_live(),
            available,
        }
    }

    /// Ready pods of each ReplicaSet of Deployment `d`: (current, [old, oldest first]).
    fn replica_set_counts(&self, d: usize, old: &mut Vec<RsCounts>) -> RsCounts {
        let dep = &self.deployments[d];
        old.clear();
        old.extend(dep.old_sets.iter().map(|s| RsCounts {
            replicas: s.replicas,
            available: 0,
        }));
        let mut new = RsCounts {
            replicas: dep.new_replicas,
            available: 0,
        };
        for (&p, &revision) in dep.pods.iter().zip(&dep.pod_revisions) {
            if !pod_is_ready(&self.cluster.pods[p.0 as usize], self.now) {
                continue;
            }
            if revision == dep.revision {
                new.available += 1;
            } else if let Some(i) = dep.old_sets.iter().position(|s| s.revision == revision) {
                old[i].available += 1;
            }
        }
        new
    }

    /// Lets the ReplicaSets of Deployment `d` reach their `spec.replicas`: creates the missing
    /// pods and deletes the surplus.
    fn apply_replica_sets(&mut self, d: usize) {
        let mut out = std::mem::take(&mut self.new_pods);
        self.deployments[d].reconcile(&mut self.cluster, self.now, &mut out);
        self.enqueue_new(&mut out);
        self.new_pods = out;
        let mut surplus = Vec::new();
        self.deployments[d].surplus(&self.cluster, self.now, &mut surplus);
        for pod in surplus {
            self.delete_pod(pod);
        }
    }

    /// The rolling sync of Deployment `d` (`rolloutRolling`), repeated until nothing scales,
    /// then the progress check (`syncRolloutStatus`).
    pub(super) fn sync_rollout(&mut self, d: usize) {
        if let Some(p) = self.rollouts.sync_pending.get_mut(d) {
            *p = false;
        }
        let mut old = std::mem::take(&mut self.rollouts.old_scratch);
        for _ in 0..MAX_SYNC_STEPS {
            let new = self.replica_set_counts(d, &mut old);
            let dep = &self.deployments[d];
            let all = new.replicas + old.iter().map(|r| r.replicas).sum::<u32>();
            if let Some(target) = reconcile_new(&dep.strategy, dep.replicas, all, new.replicas) {
                self.deployments[d].new_replicas = target;
                self.apply_replica_sets(d);
                continue;
            }
            if !dep.is_rolling() || reconcile_old(&dep.strategy, dep.replicas, new, &mut old) == 0 {
                break;
            }
            for (s, r) in self.deployments[d].old_sets.iter_mut().zip(&old) {
                s.replicas = r.replicas;
            }
            self.apply_replica_sets(d);
        }
        self.rollouts.old_scratch = old;
        self.deployments[d].drop_empty_old_sets();
        self.track_progress(d);
    }

    /// Progress of Deployment `d`'s current rollout: completion, or progress that moves the
    /// deadline.
    fn track_progress(&mut self, d: usize) {
        let Some(k) = self.rollouts.current.get(d).copied().flatten() else {
            return;
        };
        if !self.rollouts.records[k].active() {
            return;
        }
        let status = self.rollout_status(d);
        let desired = self.deployments[d].replicas;
        let now = self.now;
        let r = &mut self.rollouts.records[k];
        let moved = progressing(r.last, status);
        r.last = status;
        if complete(desired, status) {
            r.completed_at = now;
            return;
        }
        if moved {
            r.progress_at = now;
            self.arm_progress_deadline(d);
        }
    }

    /// Schedules the progress check of Deployment `d`'s rollout 1 s after its deadline
    /// (`requeueStuckDeployment`), replacing any pending one.
    fn arm_progress_deadline(&mut self, d: usize) {
        let Some(k) = self.rollouts.current[d] else {
            return;
        };
        let deadline = self.deployments[d].strategy.progress_deadline_ms;
        let r = &mut self.rollouts.records[k];
        r.deadline_generation = r.deadline_generation.wrapping_add(1);
        let at = r.progress_at.plus_ms(deadline + 1000);
        self.queue.push(
            at,
            Event::RolloutDeadline {
                deployment: d as u32,
                generation: r.deadline_generation,
            },
        );
    }

    /// The progress check: the rollout failed if it made no progress for
    /// `progressDeadlineSeconds` (`DeploymentTimedOut`: deadline strictly passed).
    pub(super) fn rollout_deadline(&mut self, d: usize, generation: u32) {
        let Some(k) = self.rollouts.current.get(d).copied().flatten() else {
            return;
        };
        let deadline = self.deployments[d].strategy.progress_deadline_ms;
        let now = self.now;
        let r = &mut self.rollouts.records[k];
        if r.deadline_generation != generation || !r.active() || r.failed_at != SimTime::NEVER {
            return;
        }
        if now > r.progress_at.plus_ms(deadline) {
            r.failed_at = now;
        }
    }

    /// Rollouts (started, complete, failed) so far.
    pub fn rollout_counts(&self) -> (u64, u64, u64) {
        let r = &self.rollouts.records;
        let count = |o: Outcome| r.iter().filter(|x| x.outcome() == o).count() as u64;
        (
            r.len() as u64,
            count(Outcome::Complete),
            count(Outcome::Failed),
        )
    }

    /// The `rollouts.csv` rows at the end of the run.
    pub fn rollout_rows(&self) -> Vec<RolloutRow> {
        self.rollouts
            .records
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let d = r.deployment as usize;
                let latest = self.rollouts.current.get(d).copied().flatten() == Some(k);
                let end = latest.then(|| self.rollout_status(d));
                RolloutRow::new(&self.deployments[d].name, r, end)
            })
            .collect()
    }
}

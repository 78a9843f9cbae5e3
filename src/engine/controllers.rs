//! Engine glue of the StatefulSet, DaemonSet, Job-failure and CronJob controllers
//! ([`crate::workload::stateful_set`], [`crate::workload::daemon_set`],
//! [`crate::workload::job`], [`crate::workload::cron_job`]). Syncs run in their own
//! `Controller` events (at most one pending per controller), requested when one of their pods
//! ends or changes readiness, when nodes change, and at rollouts, so a sync never runs inside
//! another controller's handler.

use super::Simulation;
use super::event::{ControllerEvent, Event};
use super::rng::{self, Stream};
use super::time::SimTime;
use crate::cluster::pod::{DisruptionReason, Owner, PodId};
use crate::workload::cron_job::RunDecision;
use crate::workload::job::JobController;
use crate::workload::stateful_set::SyncActions;

impl Simulation {
    /// Schedules the controllers' first events.
    pub(super) fn prime_controllers(&mut self) {
        for (i, s) in self.stateful_sets.iter().enumerate() {
            let set = i as u32;
            self.queue.push(
                s.start,
                Event::Controller(ControllerEvent::StatefulSetSync(set)),
            );
            for (k, r) in s.planned.iter().enumerate() {
                let k = k as u32;
                let e = ControllerEvent::StatefulSetRollout { set, k };
                self.queue.push(r.at, Event::Controller(e));
            }
        }
        for (i, d) in self.daemon_sets.iter().enumerate() {
            let set = i as u32;
            self.queue.push(
                d.start,
                Event::Controller(ControllerEvent::DaemonSetSync(set)),
            );
            for (k, r) in d.planned.iter().enumerate() {
                let k = k as u32;
                let e = ControllerEvent::DaemonSetRollout { set, k };
                self.queue.push(r.at, Event::Controller(e));
            }
        }
        for i in 0..self.cron_jobs.len() {
            self.arm_cron_job(i);
        }
    }

    /// Handles a controller timer.
    pub(super) fn on_controller_event(&mut self, e: ControllerEvent) {
        match e {
            ControllerEvent::StatefulSetSync(s) => self.sync_stateful_set(s as usize),
            ControllerEvent::StatefulSetRollout { set, k } => {
                let s = &mut self.stateful_sets[set as usize];
                let bp = s.planned[k as usize].blueprint;
                s.new_revision(bp);
                self.sync_stateful_set(set as usize);
            }
            ControllerEvent::DaemonSetSync(d) => self.sync_daemon_set(d as usize),
            ControllerEvent::DaemonSetRollout { set, k } => {
                let d = &mut self.daemon_sets[set as usize];
                let bp = d.planned[k as usize].blueprint;
                d.new_revision(bp);
                self.sync_daemon_set(set as usize);
            }
            ControllerEvent::CronJobRun(c) => self.run_cron_job(c as usize),
        }
    }

    /// Job `j` exceeded its backoff limit: its active pods are deleted
    /// (`deleteActivePods` in pkg/controller/job/job_controller.go).
    pub(super) fn job_failed(&mut self, j: usize) {
        self.delete_job_pods(j);
    }

    /// Applies a sync's actions: queues the created pods, deletes the listed ones gracefully.
    fn apply_sync(&mut self, mut actions: SyncActions) {
        self.enqueue_new(&mut actions.created);
        for pod in actions.delete {
            let p = &self.cluster.pods[pod.0 as usize];
            if p.is_terminated() || p.is_terminating() {
                continue;
            }
            if p.node.is_some() {
                self.delete_gracefully(pod, DisruptionReason::DeletedByController);
            } else {
                self.delete_pod(pod);
            }
        }
    }

    fn sync_stateful_set(&mut self, s: usize) {
        self.stateful_sets[s].sync_pending = false;
        let mut actions = SyncActions::default();
        self.stateful_sets[s].sync(&mut self.cluster, self.now, &mut actions);
        self.apply_sync(actions);
    }

    fn sync_daemon_set(&mut self, d: usize) {
        self.daemon_sets[d].sync_pending = false;
        let mut actions = SyncActions::default();
        self.daemon_sets[d].sync(&mut self.cluster, self.now, &mut actions);
        self.apply_sync(actions);
    }

    /// Queues a sync of StatefulSet `s` now (once).
    pub(super) fn wake_stateful_set(&mut self, s: usize) {
        let set = &mut self.stateful_sets[s];
        if !set.sync_pending && self.now >= set.start {
            set.sync_pending = true;
            let e = ControllerEvent::StatefulSetSync(s as u32);
            self.queue.push(self.now, Event::Controller(e));
        }
    }

    /// Queues a sync of DaemonSet `d` now (once).
    pub(super) fn wake_daemon_set(&mut self, d: usize) {
        let set = &mut self.daemon_sets[d];
        if !set.sync_pending && self.now >= set.start {
            set.sync_pending = true;
            let e = ControllerEvent::DaemonSetSync(d as u32);
            self.queue.push(self.now, Event::Controller(e));
        }
    }

    /// Nodes joined, left, or changed taints: every DaemonSet re-checks its nodes.
    pub(super) fn nodes_changed(&mut self) {
        for d in 0..self.daemon_sets.len() {
            self.wake_daemon_set(d);
        }
    }

    /// A pod of StatefulSet `s` started terminating or terminated.
    pub(super) fn stateful_set_pod_gone(&mut self, s: usize, pod: PodId) {
        if self.cluster.pods[pod.0 as usize].is_terminated() {
            self.stateful_sets[s].on_pod_gone(pod);
        }
        self.wake_stateful_set(s);
    }

    /// A pod of DaemonSet `d` started terminating or terminated.
    pub(super) fn daemon_set_pod_gone(&mut self, d: usize, pod: PodId) {
        if self.cluster.pods[pod.0 as usize].is_terminated() {
            self.daemon_sets[d].on_pod_gone(pod);
        }
        self.wake_daemon_set(d);
    }

    /// A pod whose owner was told at the start of its graceful deletion has now terminated:
    /// StatefulSets and DaemonSets wait for that before they replace it.
    pub(super) fn owner_saw_end(&mut self, pod: PodId) {
        match self.cluster.pods[pod.0 as usize].owner {
            Owner::StatefulSet(s) => self.stateful_set_pod_gone(s as usize, pod),
            Owner::DaemonSet(d) => self.daemon_set_pod_gone(d as usize, pod),
            _ => {}
        }
    }

    /// A DaemonSet pod's readiness changed (its rolling update may proceed).
    pub(super) fn daemon_pod_readiness_changed(&mut self, pod: PodId) {
        if let Owner::DaemonSet(d) = self.cluster.pods[pod.0 as usize].owner
            && self.daemon_sets[d as usize].is_rolling()
        {
            self.wake_daemon_set(d as usize);
        }
    }
}

impl Simulation {
    /// Queues CronJob `c`'s next scheduled run (once per instant).
    fn arm_cron_job(&mut self, c: usize) {
        let cj = &mut self.cron_jobs[c];
        let now_unix = cj.calendar.unix_s(self.now);
        let Some(next) = cj.next_run(now_unix) else {
            return;
        };
        let at = cj.calendar.sim_time(next).max(self.now);
        if at > self.end || (cj.armed != SimTime::NEVER && cj.armed <= at && cj.armed >= self.now) {
            return;
        }
        cj.armed = at;
        self.queue
            .push(at, Event::Controller(ControllerEvent::CronJobRun(c as u32)));
    }

    /// A CronJob timer or one of its Jobs finished: sync it (see
    /// [`crate::workload::cron_job`]).
    fn run_cron_job(&mut self, c: usize) {
        if self.cron_jobs[c].armed == self.now {
            self.cron_jobs[c].armed = SimTime::NEVER;
        }
        let jobs = &self.jobs;
        let cj = &mut self.cron_jobs[c];
        cj.active.retain(|&j| !jobs[j as usize].is_finished());
        let now_ms = cj.calendar.start_unix_ms + self.now.as_ms() as i64;
        if let RunDecision::Start { scheduled, replace } = cj.decide(now_ms) {
            if replace {
                let active = std::mem::take(&mut self.cron_jobs[c].active);
                for j in active {
                    self.delete_job(j as usize);
                }
            }
            self.start_cron_run(c, scheduled);
        }
        self.arm_cron_job(c);
    }

    /// Creates CronJob `c`'s Job for scheduled time `scheduled` [unix s] and starts it.
    fn start_cron_run(&mut self, c: usize, scheduled: i64) {
        let index = self.jobs.len() as u32;
        let cj = &self.cron_jobs[c];
        let name = cj.job_name(scheduled);
        let t = &cj.job;
        let mut bp = t.blueprint;
        bp.prefix = self.cluster.add_name_prefix(format!("{name}-"));
        let mut job = JobController::new(
            name,
            index,
            self.now,
            t.completions,
            t.parallelism,
            t.duration.clone(),
            bp,
            rng::stream(cj.seed, Stream::Job(index)),
        );
        job.backoff_limit = t.backoff_limit;
        job.cron_job = Some(c as u32);
        if t.indexed {
            job.set_indexed();
        }
        self.jobs.push(job);
        let cj = &mut self.cron_jobs[c];
        cj.active.push(index);
        cj.jobs.push(index);
        let mut out = std::mem::take(&mut self.new_pods);
        self.jobs[index as usize].reconcile(&mut self.cluster, self.now, &mut out);
        self.enqueue_new(&mut out);
        self.new_pods = out;
    }

    /// Deletes Job `j` (`Replace`): it stops, and its active pods are deleted gracefully.
    fn delete_job(&mut self, j: usize) {
        let job = &mut self.jobs[j];
        if job.failed_at == SimTime::NEVER && job.completed_at == SimTime::NEVER {
            job.failed_at = self.now;
        }
        self.delete_job_pods(j);
    }

    /// Deletes Job `j`'s active pods: bound ones gracefully, pending ones at once.
    fn delete_job_pods(&mut self, j: usize) {
        let job = &self.jobs[j];
        let pods: Vec<PodId> = job.pods.iter().map(|&(p, _)| p).collect();
        for pod in pods {
            let p = &self.cluster.pods[pod.0 as usize];
            if p.is_terminated() || p.is_terminating() {
                continue;
            }
            if p.node.is_some() {
                self.delete_gracefully(pod, DisruptionReason::DeletedByController);
            } else {
                self.delete_pod(pod);
            }
        }
    }

    /// Job `j` finished: its CronJob, if any, re-syncs (a Forbid run may start late).
    pub(super) fn job_finished(&mut self, j: usize) {
        if let Some(c) = self.jobs[j].cron_job {
            self.queue
                .push(self.now, Event::Controller(ControllerEvent::CronJobRun(c)));
        }
    }
}

impl Simulation {
    /// Sets StatefulSet `s` to `replicas` now (as `kubectl scale` would) and syncs it at the
    /// current instant. Between runs: move `end`, then call [`Simulation::run`] again.
    pub fn scale_stateful_set(&mut self, s: usize, replicas: u32) {
        self.stateful_sets[s].replicas = replicas;
        self.wake_stateful_set(s);
    }
}

//! The CronJob controller (pkg/controller/cronjob/cronjob_controllerv2.go, utils.go): at each
//! scheduled time of its cron schedule (see [`super::cron`]) it creates a Job from its
//! `jobTemplate`, named `<cronjob>-<scheduled time in minutes since the Unix epoch>`
//! (`getJobName`).
//!
//! A sync at time `now` (`syncCronJob`): nothing while suspended; otherwise the most recent
//! scheduled time not yet run (`mostRecentScheduleTime`, after the last scheduled run or the
//! creation time) is started unless it is older than `startingDeadlineSeconds`, or a Job for it
//! exists; with `Forbid` it is not started while a Job of the CronJob is active (a skipped
//! time starts late when that Job finishes, if still within the deadline: the controller
//! re-syncs on Job changes); with `Replace` the active Jobs are deleted first. Syncs run at
//! the scheduled instants (events, no polling) and when one of its Jobs finishes.

use super::Blueprint;
use super::cron::Schedule;
use crate::engine::time::SimTime;
use crate::scenario::values::DurationDist;
use chrono_tz::Tz;

/// `spec.concurrencyPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConcurrencyPolicy {
    /// Runs may overlap.
    Allow,
    /// A run is skipped while the previous one is active.
    Forbid,
    /// The active run is deleted and replaced.
    Replace,
}

/// What each run's Job is made of.
#[derive(Clone, Debug)]
pub struct JobTemplate {
    /// Pods that must succeed.
    pub completions: u32,
    /// Pods at once.
    pub parallelism: u32,
    /// `backoffLimit`.
    pub backoff_limit: u32,
    /// `completionMode: Indexed`.
    pub indexed: bool,
    /// Run time of each pod.
    pub duration: DurationDist,
    /// Pod blueprint (its name prefix is replaced per Job).
    pub blueprint: Blueprint,
}

/// The most scheduled times one sync looks through (upstream warns past 100 missed times).
pub const MAX_MISSED: u32 = 100;

/// State of one CronJob.
pub struct CronJobController {
    /// Name.
    pub name: String,
    /// Schedule.
    pub schedule: Schedule,
    /// Its time zone.
    pub tz: Tz,
    /// `concurrencyPolicy`.
    pub policy: ConcurrencyPolicy,
    /// `startingDeadlineSeconds` [ms].
    pub starting_deadline_ms: Option<u64>,
    /// `suspend`.
    pub suspend: bool,
    /// The Job template.
    pub job: JobTemplate,
    /// `status.lastScheduleTime` [unix s] (the creation time before the first run).
    pub last_schedule_unix: i64,
    /// Jobs it created that have not finished (indices into the simulation's Jobs).
    pub active: Vec<u32>,
    /// Every Job it created, in creation order (indices into the simulation's Jobs).
    pub jobs: Vec<u32>,
    /// Scheduled times it skipped (Forbid while active, or past the starting deadline).
    pub skipped: u32,
    /// The instant of its next timer event ([`SimTime::NEVER`] when none is queued).
    pub armed: SimTime,
    /// Index (in the scenario's cronJobs).
    pub index: u32,
    /// The calendar instant of t=0.
    pub calendar: Calendar,
    /// The scenario seed (each Job's run-time stream derives from it and the Job's index).
    pub seed: u64,
}

/// The calendar: simulated time 0 is `start_unix_ms` [ms since the Unix epoch].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Unix time of t=0 [ms].
    pub start_unix_ms: i64,
}

impl Calendar {
    /// Unix seconds at simulated time `t` (rounded down).
    pub fn unix_s(&self, t: SimTime) -> i64 {
        (self.start_unix_ms + t.as_ms() as i64).div_euclid(1000)
    }

    /// The simulated time of unix second `s` (0 if before t=0).
    pub fn sim_time(&self, s: i64) -> SimTime {
        SimTime((s * 1000 - self.start_unix_ms).max(0) as u64)
    }
}

/// What a sync decided.
#[derive(Debug, PartialEq, Eq)]
pub enum RunDecision {
    /// Nothing to start.
    Nothing,
    /// Start a Job for this scheduled time [unix s], after deleting the active Jobs if
    /// `replace`.
    Start {
        /// Scheduled time [unix s].
        scheduled: i64,
        /// Delete the active Jobs first (`Replace`).
        replace: bool,
    },
}

impl CronJobController {
    /// The most recent scheduled time in `(last_schedule, now]` and how many there were
    /// (`mostRecentScheduleTime`, counting at most [`MAX_MISSED`] + 1).
    pub fn most_recent(&self, now_unix: i64) -> (Option<i64>, u32) {
        let mut t = self.last_schedule_unix;
        let mut most = None;
        let mut n = 0;
        while let Some(next) = self.schedule.next_after(t, self.tz) {
            if next > now_unix {
                break;
            }
            most = Some(next);
            n += 1;
            t = next;
            if n > MAX_MISSED {
                // Upstream warns and still starts the most recent time; jump to it.
                let mut k = next;
                while let Some(x) = self.schedule.next_after(k, self.tz) {
                    if x > now_unix {
                        break;
                    }
                    k = x;
                }
                most = Some(k);
                break;
            }
        }
        (most, n)
    }

    /// One sync at `now` [unix s; `now_ms` the same instant in ms]: whether to start a run.
    /// `active` must list only unfinished Jobs.
    pub fn decide(&mut self, now_unix_ms: i64) -> RunDecision {
        if self.suspend {
            return RunDecision::Nothing;
        }
        let now_unix = now_unix_ms.div_euclid(1000);
        let (Some(scheduled), _) = self.most_recent(now_unix) else {
            return RunDecision::Nothing;
        };
        if let Some(deadline) = self.starting_deadline_ms
            && scheduled * 1000 + (deadline as i64) < now_unix_ms
        {
            // Too late: this time is given up (upstream records the miss and waits for the
            // next one; the time stays the most recent until a newer one passes).
            self.last_schedule_unix = scheduled;
            self.skipped += 1;
            return RunDecision::Nothing;
        }
        match self.policy {
            ConcurrencyPolicy::Forbid if !self.active.is_empty() => {
                // Not started; a late start follows when the active Job finishes.
                RunDecision::Nothing
            }
            policy => {
                self.last_schedule_unix = scheduled;
                RunDecision::Start {
                    scheduled,
                    replace: policy == ConcurrencyPolicy::Replace && !self.active.is_empty(),
                }
            }
        }
    }

    /// The next scheduled time after `now` [unix s], if any.
    pub fn next_run(&self, now_unix: i64) -> Option<i64> {
        if self.suspend {
            return None;
        }
        self.schedule
            .next_after(now_unix.max(self.last_schedule_unix), self.tz)
    }

    /// The name of the Job for scheduled time `scheduled` [unix s] (`getJobName`).
    pub fn job_name(&self, scheduled: i64) -> String {
        format!("{}-{}", self.name, scheduled.div_euclid(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pod::TemplateId;
    use crate::cluster::resources::Resources;

    fn controller(policy: ConcurrencyPolicy, deadline_s: Option<u64>) -> CronJobController {
        CronJobController {
            name: "report".into(),
            schedule: Schedule::parse("*/10 * * * *").unwrap(),
            tz: Tz::UTC,
            policy,
            starting_deadline_ms: deadline_s.map(|s| s * 1000),
            suspend: false,
            job: JobTemplate {
                completions: 1,
                parallelism: 1,
                backoff_limit: 6,
                indexed: false,
                duration: DurationDist::Constant(1000),
                blueprint: Blueprint {
                    requests: Resources::ZERO,
                    limits: Default::default(),
                    usage: Resources::ZERO,
                    priority: 0,
                    template: TemplateId(0),
                    prefix: 0,
                },
            },
            last_schedule_unix: 0,
            active: Vec::new(),
            jobs: Vec::new(),
            skipped: 0,
            armed: SimTime::NEVER,
            index: 0,
            calendar: Calendar::default(),
            seed: 0,
        }
    }

    #[test]
    fn the_most_recent_missed_time_runs_once_and_late_starts_respect_the_deadline() {
        // At 00:25 the times 00:10 and 00:20 passed: the most recent (00:20) starts.
        let mut c = controller(ConcurrencyPolicy::Allow, None);
        assert_eq!(c.most_recent(1500), (Some(1200), 2));
        let start = RunDecision::Start {
            scheduled: 1200,
            replace: false,
        };
        assert_eq!(c.decide(1_500_000), start);
        assert_eq!(c.decide(1_500_000), RunDecision::Nothing);
        assert_eq!(c.next_run(1500), Some(1800));
        // Forbid with an active Job: not started, and the time stays unmet.
        let mut c = controller(ConcurrencyPolicy::Forbid, Some(60));
        c.active.push(0);
        assert_eq!(c.decide(600_000), RunDecision::Nothing);
        c.active.clear();
        // 30 s late: within the 60 s deadline.
        assert!(matches!(
            c.decide(630_000),
            RunDecision::Start { scheduled: 600, .. }
        ));
        // 00:20 seen at 00:21:01: too late, skipped.
        assert_eq!(c.decide(1_261_000), RunDecision::Nothing);
        assert_eq!(c.skipped, 1);
        // Replace with an active Job.
        let mut c = controller(ConcurrencyPolicy::Replace, None);
        c.active.push(3);
        assert_eq!(
            c.decide(600_000),
            RunDecision::Start {
                scheduled: 600,
                replace: true
            }
        );
        assert_eq!(c.job_name(600), "report-10");
    }

    #[test]
    fn calendar_maps_simulated_time_to_unix_time() {
        let cal = Calendar {
            start_unix_ms: 1_767_571_200_000,
        };
        assert_eq!(cal.unix_s(SimTime(90_500)), 1_767_571_290);
        assert_eq!(cal.sim_time(1_767_571_290), SimTime(90_000));
        assert_eq!(cal.sim_time(0), SimTime::ZERO);
    }
}

//! Rolling updates of a Deployment: the arithmetic of the Deployment controller's
//! `RollingUpdate` strategy (pkg/controller/deployment/rolling.go, progress.go,
//! util/deployment_util.go) as pure functions, and the record of each rollout.
//!
//! A rollout switches the Deployment's pod template: the current ReplicaSet becomes an old one
//! and a new ReplicaSet starts at 0 replicas. Each sync then
//! 1. scales the new ReplicaSet up while the total of all ReplicaSets' `spec.replicas` stays
//!    within `replicas + maxSurge` (`NewRSNewReplicas`), or else
//! 2. scales old ReplicaSets down, first their unavailable replicas
//!    (`cleanupUnhealthyReplicas`), then available ones while at least
//!    `replicas − maxUnavailable` pods stay available (`scaleDownOldReplicaSetsForRollingUpdate`),
//!    never by more than `all − minAvailable − newUnavailable`;
//!
//! and repeats until nothing changes. Pods count as available when Ready
//! ([`crate::cluster::pod::pod_is_ready`]; `minReadySeconds` is 0). The rollout is complete
//! when the new ReplicaSet has all `replicas`, no old pods are left and all are available; it
//! has failed when no progress was made for `progressDeadlineSeconds` (the controller checks
//! 1 s after the deadline, `requeueStuckDeployment`, and reports `ProgressDeadlineExceeded`).
//! A failed rollout is not rolled back: it stays partially rolled out, as upstream.

use crate::disruption::pdb::IntOrPercent;
use crate::engine::time::SimTime;
use serde::Serialize;

/// Default `progressDeadlineSeconds` [ms] (600 s, pkg/apis/apps/v1/defaults.go).
pub const DEFAULT_PROGRESS_DEADLINE_MS: u64 = 600_000;

/// `spec.strategy.rollingUpdate` and `progressDeadlineSeconds` of a Deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RollingUpdate {
    /// `maxSurge` (default 25%).
    pub max_surge: IntOrPercent,
    /// `maxUnavailable` (default 25%).
    pub max_unavailable: IntOrPercent,
    /// `progressDeadlineSeconds` [ms] (default 600 s).
    pub progress_deadline_ms: u64,
}

impl Default for RollingUpdate {
    fn default() -> Self {
        RollingUpdate {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25),
            progress_deadline_ms: DEFAULT_PROGRESS_DEADLINE_MS,
        }
    }
}

/// `intstr.GetScaledValueFromIntOrPercent`: an integer as is, a percentage of `total` rounded
/// up or down.
pub fn scaled_value(v: IntOrPercent, total: u32, round_up: bool) -> u32 {
    match v {
        IntOrPercent::Int(n) => n,
        IntOrPercent::Percent(p) => {
            let x = u64::from(p) * u64::from(total);
            let v = if round_up { x.div_ceil(100) } else { x / 100 };
            v.min(u64::from(u32::MAX)) as u32
        }
    }
}

/// `ResolveFenceposts`: (surge, unavailable) for `desired` replicas, surge rounded up and
/// unavailable rounded down; if both are 0, unavailable is 1.
pub fn resolve_fenceposts(ru: &RollingUpdate, desired: u32) -> (u32, u32) {
    let surge = scaled_value(ru.max_surge, desired, true);
    let unavailable = scaled_value(ru.max_unavailable, desired, false);
    if surge == 0 && unavailable == 0 {
        return (0, 1);
    }
    (surge, unavailable)
}

/// `MaxUnavailable`: the resolved unavailable count, at most `desired`, 0 for 0 replicas.
pub fn max_unavailable(ru: &RollingUpdate, desired: u32) -> u32 {
    if desired == 0 {
        return 0;
    }
    resolve_fenceposts(ru, desired).1.min(desired)
}

/// One ReplicaSet as the rolling algorithm sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RsCounts {
    /// `spec.replicas`.
    pub replicas: u32,
    /// `status.availableReplicas`.
    pub available: u32,
}

/// `reconcileNewReplicaSet`: the new ReplicaSet's new `spec.replicas`, or `None` if it stays.
/// `all_replicas` is Σ `spec.replicas` over all ReplicaSets (`NewRSNewReplicas`).
pub fn reconcile_new(ru: &RollingUpdate, desired: u32, all_replicas: u32, new: u32) -> Option<u32> {
    if new == desired {
        return None;
    }
    if new > desired {
        return Some(desired);
    }
    let max_total = desired + scaled_value(ru.max_surge, desired, true);
    if all_replicas >= max_total {
        return None;
    }
    let up = (max_total - all_replicas).min(desired - new);
    (up > 0).then_some(new + up)
}

/// `reconcileOldReplicaSets`: scales the old ReplicaSets (`old`, oldest first) down in place;
/// returns the total scaled down.
pub fn reconcile_old(ru: &RollingUpdate, desired: u32, new: RsCounts, old: &mut [RsCounts]) -> u32 {
    let old_count: i64 = old.iter().map(|r| i64::from(r.replicas)).sum();
    if old_count == 0 {
        return 0;
    }
    let all = old_count + i64::from(new.replicas);
    let min_available = i64::from(desired) - i64::from(max_unavailable(ru, desired));
    let new_unavailable = i64::from(new.replicas) - i64::from(new.available);
    let max_scaled_down = all - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return 0;
    }
    // cleanupUnhealthyReplicas: unavailable replicas of old sets first, oldest first.
    let mut cleaned: i64 = 0;
    for rs in old.iter_mut() {
        if cleaned >= max_scaled_down {
            break;
        }
        if rs.replicas == 0 || rs.replicas == rs.available {
            continue;
        }
        let unhealthy = i64::from(rs.replicas) - i64::from(rs.available);
        let n = (max_scaled_down - cleaned).min(unhealthy).max(0);
        rs.replicas -= n as u32;
        cleaned += n;
    }
    // scaleDownOldReplicaSetsForRollingUpdate: keep minAvailable available pods.
    let available: i64 =
        i64::from(new.available) + old.iter().map(|r| i64::from(r.available)).sum::<i64>();
    let mut scaled: i64 = 0;
    if available > min_available {
        let total = available - min_available;
        for rs in old.iter_mut() {
            if scaled >= total {
                break;
            }
            if rs.replicas == 0 {
                continue;
            }
            let n = i64::from(rs.replicas).min(total - scaled);
            rs.replicas -= n as u32;
            scaled += n;
        }
    }
    (cleaned + scaled) as u32
}

/// The Deployment status the progress check compares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RolloutStatus {
    /// `status.replicas`: pods of all ReplicaSets.
    pub replicas: u32,
    /// `status.updatedReplicas`: pods of the new ReplicaSet.
    pub updated: u32,
    /// `status.readyReplicas` (= `availableReplicas`, minReadySeconds 0).
    pub available: u32,
}

/// `DeploymentProgressing`: more updated pods, fewer old pods, or more ready/available pods
/// than in the previous status.
pub fn progressing(before: RolloutStatus, now: RolloutStatus) -> bool {
    let old_before = i64::from(before.replicas) - i64::from(before.updated);
    let old_now = i64::from(now.replicas) - i64::from(now.updated);
    now.updated > before.updated || old_now < old_before || now.available > before.available
}

/// `DeploymentComplete`: all `desired` replicas updated, no others, all available.
pub fn complete(desired: u32, s: RolloutStatus) -> bool {
    s.updated == desired && s.replicas == desired && s.available == desired
}

/// How a rollout ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Still progressing at the end of the run.
    InProgress,
    /// `NewReplicaSetAvailable`: every replica updated and available.
    Complete,
    /// `ProgressDeadlineExceeded`: no progress for `progressDeadlineSeconds`.
    Failed,
    /// Replaced by a later rollout before it completed or failed.
    Superseded,
}

impl Outcome {
    /// The `rollouts.csv` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::InProgress => "in_progress",
            Outcome::Complete => "complete",
            Outcome::Failed => "failed",
            Outcome::Superseded => "superseded",
        }
    }
}

/// The running record of one rollout.
#[derive(Clone, Debug)]
pub struct Rollout {
    /// Deployment index.
    pub deployment: u32,
    /// Start.
    pub started: SimTime,
    /// Last progress (`Progressing` condition's `lastUpdateTime`).
    pub progress_at: SimTime,
    /// Completion time ([`SimTime::NEVER`] if not complete).
    pub completed_at: SimTime,
    /// When the progress deadline was first exceeded ([`SimTime::NEVER`] if never).
    pub failed_at: SimTime,
    /// Replaced by a later rollout at this time ([`SimTime::NEVER`] if not).
    pub superseded_at: SimTime,
    /// Status at the previous sync.
    pub last: RolloutStatus,
    /// Desired replicas when it started.
    pub replicas: u32,
    /// Resolved (surge, unavailable) when it started.
    pub fenceposts: (u32, u32),
    /// Bumped whenever the pending deadline check is replaced.
    pub deadline_generation: u32,
}

impl Rollout {
    /// The outcome so far.
    pub fn outcome(&self) -> Outcome {
        if self.completed_at != SimTime::NEVER {
            Outcome::Complete
        } else if self.failed_at != SimTime::NEVER {
            Outcome::Failed
        } else if self.superseded_at != SimTime::NEVER {
            Outcome::Superseded
        } else {
            Outcome::InProgress
        }
    }

    /// True while the controller still watches its progress (neither complete nor replaced).
    pub fn active(&self) -> bool {
        self.completed_at == SimTime::NEVER && self.superseded_at == SimTime::NEVER
    }
}

/// One row of `rollouts.csv`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RolloutRow {
    /// Deployment name.
    pub deployment: String,
    /// Start [s].
    pub start_s: f64,
    /// `complete`, `failed`, `in_progress` or `superseded`.
    pub outcome: &'static str,
    /// Completion, failure or replacement time [s] (empty while in progress).
    pub end_s: Option<f64>,
    /// Start to end [s] (empty while in progress).
    pub duration_s: Option<f64>,
    /// Desired replicas at the start.
    pub replicas: u32,
    /// Resolved maxSurge (pods).
    pub max_surge: u32,
    /// Resolved maxUnavailable (pods).
    pub max_unavailable: u32,
    /// Pods of the new version at the end of the run (the Deployment's latest rollout only;
    /// empty for earlier ones).
    pub updated_replicas: Option<u32>,
    /// Ready pods of the Deployment at the end of the run (latest rollout only).
    pub ready_replicas: Option<u32>,
    /// Pods of older versions left at the end of the run (latest rollout only).
    pub old_replicas: Option<u32>,
}

impl RolloutRow {
    /// The row of `r` for Deployment `name`, with the Deployment's end-of-run status `end` if
    /// `r` is its latest rollout.
    pub fn new(name: &str, r: &Rollout, end: Option<RolloutStatus>) -> RolloutRow {
        let finished = match r.outcome() {
            Outcome::Complete => Some(r.completed_at),
            Outcome::Failed => Some(r.failed_at),
            Outcome::Superseded => Some(r.superseded_at),
            Outcome::InProgress => None,
        };
        RolloutRow {
            deployment: name.to_owned(),
            start_s: r.started.as_secs_f64(),
            outcome: r.outcome().as_str(),
            end_s: finished.map(SimTime::as_secs_f64),
            duration_s: finished.map(|t| t.since(r.started) as f64 / 1000.0),
            replicas: r.replicas,
            max_surge: r.fenceposts.0,
            max_unavailable: r.fenceposts.1,
            updated_replicas: end.map(|e| e.updated),
            ready_replicas: end.map(|e| e.available),
            old_replicas: end.map(|e| e.replicas - e.updated),
        }
    }
}

/// The `rollouts.csv` header (written even when there are no rows).
pub const ROLLOUT_CSV_COLUMNS: &[&str] = &[
    "deployment",
    "start_s",
    "outcome",
    "end_s",
    "duration_s",
    "replicas",
    "max_surge",
    "max_unavailable",
    "updated_replicas",
    "ready_replicas",
    "old_replicas",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn ru(surge: IntOrPercent, unavailable: IntOrPercent) -> RollingUpdate {
        RollingUpdate {
            max_surge: surge,
            max_unavailable: unavailable,
            ..RollingUpdate::default()
        }
    }

    #[test]
    fn fenceposts_round_as_upstream() {
        let d = RollingUpdate::default(); // 25% / 25%
        assert_eq!(resolve_fenceposts(&d, 4), (1, 1));
        assert_eq!(resolve_fenceposts(&d, 1), (1, 0));
        assert_eq!(resolve_fenceposts(&d, 10), (3, 2));
        assert_eq!(max_unavailable(&d, 1), 0);
        // Both round to 0: unavailable becomes 1 (TestResolveFenceposts).
        let z = ru(IntOrPercent::Percent(0), IntOrPercent::Percent(25));
        assert_eq!(resolve_fenceposts(&z, 1), (0, 1));
        assert_eq!(resolve_fenceposts(&z, 3), (0, 1)); // floor(0.75) = 0
        assert_eq!(resolve_fenceposts(&z, 4), (0, 1));
        // Integers as they are; unavailable capped at the replicas.
        let i = ru(IntOrPercent::Int(2), IntOrPercent::Int(5));
        assert_eq!(resolve_fenceposts(&i, 3), (2, 5));
        assert_eq!(max_unavailable(&i, 3), 3);
        assert_eq!(max_unavailable(&i, 0), 0);
        // Percentages above 100 for surge.
        let big = ru(IntOrPercent::Percent(150), IntOrPercent::Int(0));
        assert_eq!(resolve_fenceposts(&big, 3), (5, 0)); // ceil(4.5)
    }

    #[test]
    fn new_replica_set_scales_within_the_surge() {
        let d = RollingUpdate::default();
        // 4 replicas, surge 1: from 4 old + 0 new, the new set may grow to 1.
        assert_eq!(reconcile_new(&d, 4, 4, 0), Some(1));
        // At 4 + 1 pods: no more.
        assert_eq!(reconcile_new(&d, 4, 5, 1), None);
        // Never beyond the desired count; scale down when above it.
        assert_eq!(reconcile_new(&d, 4, 3, 3), Some(4));
        assert_eq!(reconcile_new(&d, 4, 5, 5), Some(4));
        assert_eq!(reconcile_new(&d, 4, 4, 4), None);
    }

    #[test]
    fn old_replica_sets_keep_min_available() {
        let d = RollingUpdate::default();
        // 4 replicas (unavailable 1): old 4 available, new 1 not yet available.
        // maxScaledDown = 5 − 3 − 1 = 1; available 4 > 3: scale old down by 1.
        let mut old = [RsCounts {
            replicas: 4,
            available: 4,
        }];
        let new = RsCounts {
            replicas: 1,
            available: 0,
        };
        assert_eq!(reconcile_old(&d, 4, new, &mut old), 1);
        assert_eq!(old[0].replicas, 3);
        // Now 3 old available + 1 new unavailable: 3 ≤ minAvailable 3, nothing more.
        old[0].available = 3;
        assert_eq!(reconcile_old(&d, 4, new, &mut old), 0);
        // Unhealthy old replicas go first, even below minAvailable.
        let mut old = [RsCounts {
            replicas: 4,
            available: 2,
        }];
        let new = RsCounts {
            replicas: 1,
            available: 1,
        };
        // maxScaledDown = 5 − 3 − 0 = 2: both unavailable old pods; then available 3 ≤ 3.
        assert_eq!(reconcile_old(&d, 4, new, &mut old), 2);
        assert_eq!(old[0].replicas, 2);
        // The upstream comment's case 1: 10 replicas, surge 3, unavailable 2; old 8 available,
        // new 5 crash-looping: 13 − 8 − 5 = 0, nothing is scaled down.
        let c = ru(IntOrPercent::Int(3), IntOrPercent::Int(2));
        let mut old = [RsCounts {
            replicas: 8,
            available: 8,
        }];
        let new = RsCounts {
            replicas: 5,
            available: 0,
        };
        assert_eq!(reconcile_old(&c, 10, new, &mut old), 0);
        // Several old sets: the oldest is scaled down first.
        let mut old = [
            RsCounts {
                replicas: 1,
                available: 1,
            },
            RsCounts {
                replicas: 3,
                available: 3,
            },
        ];
        let new = RsCounts {
            replicas: 1,
            available: 1,
        };
        // all 5, minAvailable 3, new unavailable 0: maxScaledDown 2; available 5 − 3 = 2.
        assert_eq!(reconcile_old(&d, 4, new, &mut old), 2);
        assert_eq!((old[0].replicas, old[1].replicas), (0, 2));
    }

    #[test]
    fn progress_and_completion() {
        let a = RolloutStatus {
            replicas: 5,
            updated: 1,
            available: 4,
        };
        assert!(!progressing(a, a));
        assert!(progressing(a, RolloutStatus { updated: 2, ..a }));
        assert!(progressing(a, RolloutStatus { replicas: 4, ..a }));
        assert!(progressing(a, RolloutStatus { available: 5, ..a }));
        assert!(!progressing(a, RolloutStatus { available: 3, ..a }));
        assert!(complete(
            4,
            RolloutStatus {
                replicas: 4,
                updated: 4,
                available: 4
            }
        ));
        assert!(!complete(
            4,
            RolloutStatus {
                replicas: 5,
                updated: 4,
                available: 4
            }
        ));
    }
}

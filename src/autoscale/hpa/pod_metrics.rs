//! The per-pod input of the replica calculator and the upstream pod grouping (`groupPods` in
//! `pkg/controller/podautoscaler/replica_calculator.go`): every pod selected by the HPA is
//! ignored, unready, missing its metric, or ready.

/// Pod phase, as `pod.status.phase`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodPhase {
    /// Not yet running (unscheduled, pulling images, ...).
    Pending,
    /// Running.
    Running,
    /// All containers exited successfully.
    Succeeded,
    /// Terminated with a failure.
    Failed,
}

/// Status of a pod condition, as `v1.ConditionStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionStatus {
    /// `True`.
    True,
    /// `False`.
    False,
    /// `Unknown` (neither rule that needs `False` applies to it).
    Unknown,
}

/// The pod's `Ready` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyCondition {
    /// Condition status.
    pub status: ConditionStatus,
    /// `lastTransitionTime` [ms since the scenario start].
    pub last_transition_ms: u64,
}

/// One metric sample of a pod, as the metrics API returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricSample {
    /// Value in milli-units (`MilliValue()`): millicores for cpu, thousandths of a byte for
    /// memory, thousandths of the unit for other metrics.
    pub value_milli: u64,
    /// Time the sample was collected (`timestamp`) [ms since the scenario start].
    pub timestamp_ms: u64,
    /// Length of the collection window the value is averaged over (`window`) [ms].
    pub window_ms: u64,
}

/// What the replica calculator knows about one pod selected by the HPA, for one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodMetricInput {
    /// Pod phase.
    pub phase: PodPhase,
    /// The pod has a `deletionTimestamp` (it is terminating).
    pub deleting: bool,
    /// The `Ready` condition; `None` if the pod has none yet.
    pub ready: Option<ReadyCondition>,
    /// `status.startTime` [ms since the scenario start]; `None` if not started.
    pub start_time_ms: Option<u64>,
    /// The pod's request of the metric's resource [milli-units]: the sum over its containers
    /// (regular ones and restartable init containers). `None` if a counted container has no
    /// request, which makes a Utilization target fail (`missing request for ...`).
    pub request_milli: Option<u64>,
    /// The metric sample; `None` if the metrics API returned none for this pod.
    pub sample: Option<MetricSample>,
}

/// The group a pod falls into for one metric (`groupPods`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodGroup {
    /// Being deleted or failed: left out of the metrics and of every count.
    Ignored,
    /// Pending, or (cpu only) not ready or still warming up: left out, but counted as using
    /// nothing when the HPA would scale up.
    Unready,
    /// No sample: left out, then counted conservatively in the direction of the change.
    Missing,
    /// Counted as is.
    Ready,
}

/// Readiness timing of the controller: `--horizontal-pod-autoscaler-cpu-initialization-period`
/// and `--horizontal-pod-autoscaler-initial-readiness-delay`. Only cpu metrics use them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadinessConfig {
    /// While a pod is younger than this, its cpu sample counts only if it is ready and the
    /// sample was collected entirely after it became ready [ms]. Upstream default 5 min.
    pub cpu_initialization_period_ms: u64,
    /// After the initialization period, an unready pod is skipped only if it has never been
    /// ready: its Ready condition last changed within this delay of its start [ms]. Upstream
    /// default 30 s.
    pub initial_readiness_delay_ms: u64,
}

/// Upstream default of `--horizontal-pod-autoscaler-cpu-initialization-period` [ms].
pub const DEFAULT_CPU_INITIALIZATION_PERIOD_MS: u64 = 5 * 60 * 1000;
/// Upstream default of `--horizontal-pod-autoscaler-initial-readiness-delay` [ms].
pub const DEFAULT_INITIAL_READINESS_DELAY_MS: u64 = 30 * 1000;

impl Default for ReadinessConfig {
    fn default() -> Self {
        ReadinessConfig {
            cpu_initialization_period_ms: DEFAULT_CPU_INITIALIZATION_PERIOD_MS,
            initial_readiness_delay_ms: DEFAULT_INITIAL_READINESS_DELAY_MS,
        }
    }
}

/// Classifies one pod for a metric at time `now_ms` [ms], in upstream's order of checks:
/// deleting or failed → ignored; pending → unready; no sample → missing; for cpu (`cpu_rules`)
/// the readiness and warm-up rules; otherwise ready. For memory and custom metrics readiness is
/// not looked at.
pub fn classify_pod(
    pod: &PodMetricInput,
    cpu_rules: bool,
    now_ms: u64,
    readiness: &ReadinessConfig,
) -> PodGroup {
    if pod.deleting || pod.phase == PodPhase::Failed {
        return PodGroup::Ignored;
    }
    if pod.phase == PodPhase::Pending {
        return PodGroup::Unready;
    }
    let Some(sample) = pod.sample else {
        return PodGroup::Missing;
    };
    if cpu_rules {
        let unready = match (pod.ready, pod.start_time_ms) {
            (Some(cond), Some(start)) => {
                if start.saturating_add(readiness.cpu_initialization_period_ms) > now_ms {
                    // Still initializing: skip the sample unless the pod is ready and one whole
                    // metric window was collected after it became ready.
                    cond.status == ConditionStatus::False
                        || sample.timestamp_ms
                            < cond.last_transition_ms.saturating_add(sample.window_ms)
                } else {
                    // Skip it only if it is unready and has never been ready.
                    cond.status == ConditionStatus::False
                        && start.saturating_add(readiness.initial_readiness_delay_ms)
                            > cond.last_transition_ms
                }
            }
            _ => true,
        };
        if unready {
            return PodGroup::Unready;
        }
    }
    PodGroup::Ready
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 100 * 60 * 1000;
    const SEC: u64 = 1000;
    const MIN: u64 = 60 * SEC;
    /// The unit tests' values (`defaultTestingCPUInitializationPeriod`,
    /// `defaultTestingDelayOfInitialReadinessStatus`).
    const TESTING: ReadinessConfig = ReadinessConfig {
        cpu_initialization_period_ms: 2 * MIN,
        initial_readiness_delay_ms: 10 * SEC,
    };

    fn pod(phase: PodPhase) -> PodMetricInput {
        PodMetricInput {
            phase,
            deleting: false,
            ready: None,
            start_time_ms: None,
            request_milli: Some(1000),
            sample: None,
        }
    }

    fn sample(timestamp_ms: u64, window_ms: u64) -> Option<MetricSample> {
        Some(MetricSample {
            value_milli: 1,
            timestamp_ms,
            window_ms,
        })
    }

    fn cond(status: ConditionStatus, last_transition_ms: u64) -> Option<ReadyCondition> {
        Some(ReadyCondition {
            status,
            last_transition_ms,
        })
    }

    /// Upstream `TestGroupPods` (replica_calculator_test.go), case by case.
    #[test]
    fn test_group_pods() {
        use ConditionStatus::{False, True};
        let group = |p: &PodMetricInput, cpu: bool| classify_pod(p, cpu, NOW, &TESTING);

        // "count in a ready pod - memory"
        let p = PodMetricInput {
            sample: sample(NOW, MIN),
            ..pod(PodPhase::Succeeded)
        };
        assert_eq!(group(&p, false), PodGroup::Ready);

        // "unready a pod without ready condition - CPU"
        let p = PodMetricInput {
            start_time_ms: Some(NOW),
            sample: sample(0, 0),
            ..pod(PodPhase::Succeeded)
        };
        assert_eq!(group(&p, true), PodGroup::Unready);

        // "count in a ready pod with fresh metrics during initialization period - CPU"
        let fresh = PodMetricInput {
            start_time_ms: Some(NOW - MIN),
            ready: cond(True, NOW - 30 * SEC),
            sample: sample(NOW, 30 * SEC),
            ..pod(PodPhase::Succeeded)
        };
        assert_eq!(group(&fresh, true), PodGroup::Ready);

        // "unready a ready pod without fresh metrics during initialization period - CPU"
        let stale = PodMetricInput {
            sample: sample(NOW, 60 * SEC),
            ..fresh
        };
        assert_eq!(group(&stale, true), PodGroup::Unready);

        // "unready an unready pod during initialization period - CPU"
        // (start 10 min ago is past the 2-minute period: never ready after the delay)
        let p = PodMetricInput {
            start_time_ms: Some(NOW - 10 * MIN),
            ready: cond(False, NOW - 9 * MIN - 54 * SEC),
            sample: sample(0, 0),
            ..pod(PodPhase::Succeeded)
        };
        assert_eq!(group(&p, true), PodGroup::Unready);

        // "count in a ready pod without fresh metrics after initialization period - CPU"
        let p = PodMetricInput {
            start_time_ms: Some(NOW - 3 * MIN),
            ready: cond(True, NOW - 3 * MIN),
            sample: sample(NOW - 2 * MIN, MIN),
            ..pod(PodPhase::Succeeded)
        };
        assert_eq!(group(&p, true), PodGroup::Ready);

        // "count in an unready pod that was ready after initialization period - CPU"
        let p = PodMetricInput {
            start_time_ms: Some(NOW - 10 * MIN),
            ready: cond(False, NOW - 9 * MIN),
            sample: sample(0, 0),
            ..pod(PodPhase::Succeeded)
        };
        assert_eq!(group(&p, true), PodGroup::Ready);

        // "unready pod that has never been ready after initialization period - CPU":
        // start + 10 s equals the transition time, which is not *after* it, so it counts.
        let p = PodMetricInput {
            start_time_ms: Some(NOW - 10 * MIN),
            ready: cond(False, NOW - 9 * MIN - 50 * SEC),
            sample: sample(0, 0),
            ..pod(PodPhase::Succeeded)
        };
        assert_eq!(group(&p, true), PodGroup::Ready);

        // "a missing pod"
        let p = PodMetricInput {
            start_time_ms: Some(NOW - 3 * MIN),
            ..pod(PodPhase::Succeeded)
        };
        assert_eq!(group(&p, true), PodGroup::Missing);

        // "pending pods are unreadied" (even without a sample)
        assert_eq!(group(&pod(PodPhase::Pending), true), PodGroup::Unready);

        // "ignore pods with deletion timestamps"
        let p = PodMetricInput {
            deleting: true,
            sample: sample(0, 0),
            ..pod(PodPhase::Pending)
        };
        assert_eq!(group(&p, true), PodGroup::Ignored);

        // "ignore pods in a failed state"
        let p = PodMetricInput {
            sample: sample(0, 0),
            ..pod(PodPhase::Failed)
        };
        assert_eq!(group(&p, true), PodGroup::Ignored);
    }

    #[test]
    fn unknown_ready_status_is_not_false() {
        let p = PodMetricInput {
            start_time_ms: Some(0),
            ready: cond(ConditionStatus::Unknown, 0),
            sample: sample(NOW, MIN),
            ..pod(PodPhase::Running)
        };
        assert_eq!(
            classify_pod(&p, true, NOW, &ReadinessConfig::default()),
            PodGroup::Ready
        );
    }
}

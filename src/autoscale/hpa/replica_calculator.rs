//! Desired replicas for one metric, as `pkg/controller/podautoscaler/replica_calculator.go`
//! computes them: `GetResourceReplicas` (Resource metric, Utilization target) and
//! `calcPlainMetricReplicas` (Resource metric with an AverageValue target, and Pods metrics).
//!
//! Both take one [`PodMetricInput`] per pod selected by the HPA. Pods are grouped with
//! [`classify_pod`]; the usage ratio is computed over the ready pods; if it is outside the
//! tolerance, the result is `ceil(ratio × ready pods)`. When pods are missing metrics, or
//! unready pods exist and the HPA would scale up, the ratio is recomputed with those pods
//! filled in conservatively (missing: 0 on scale-up, the request × max(100 %, target) or the
//! target value on scale-down; unready: 0 on scale-up), and the HPA keeps the current count if
//! that recomputation is within the tolerance or flips the direction. The utilization and
//! average reported are always those of the first computation. Float arithmetic (ratios,
//! `ceil`) is `f64` as upstream's `float64`; sums are exact integers.
//!
//! Simplified: the input has one sample per selected pod, so samples of pods the HPA does not
//! select (which upstream counts in the recomputation's pod count) cannot occur, and a
//! container metric is expressed by passing that container's request and usage.

use super::pod_metrics::{PodGroup, PodMetricInput, ReadinessConfig, classify_pod};
use super::utilization::{metric_usage_ratio, resource_utilization_ratio, utilization_from_sums};

/// Upstream default of `--horizontal-pod-autoscaler-tolerance`.
pub const DEFAULT_TOLERANCE: f64 = 0.1;

/// Per-direction tolerances (`Tolerances` upstream, v1.33+): a usage ratio `r` is close enough
/// to the target, and the HPA keeps the current count, iff
/// `1 - scale_down <= r <= 1 + scale_up` (both bounds inclusive).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    /// Tolerance below the target (fraction, e.g. 0.1).
    pub scale_down: f64,
    /// Tolerance above the target (fraction, e.g. 0.1).
    pub scale_up: f64,
}

impl Tolerances {
    /// The same tolerance in both directions.
    pub fn uniform(tolerance: f64) -> Tolerances {
        Tolerances {
            scale_down: tolerance,
            scale_up: tolerance,
        }
    }

    /// True if `usage_ratio` is within the tolerances (`isWithin`).
    pub fn is_within(&self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances::uniform(DEFAULT_TOLERANCE)
    }
}

/// Why a metric gives no replica count. Upstream then treats the metric as invalid (see
/// [`super::proposals::combine_proposals`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    /// The metrics API returned no sample for any selected pod (also when no pod is
    /// selected).
    #[error("no metrics returned from the metrics API")]
    NoMetrics,
    /// Every sample belongs to an ignored or unready pod.
    #[error("did not receive metrics for targeted pods (pods might be unready)")]
    NoReadyMetrics,
    /// A pod has no request for the resource of a Utilization target.
    #[error("missing request for the metric's resource in pod #{pod}")]
    MissingRequest {
        /// Index of the pod in the input.
        pod: usize,
    },
    /// The requests of the pods with samples sum to zero.
    #[error("no metrics returned matched known pods")]
    NoMetricsMatchedPods,
    /// The HPA's selector returns no pod (Object/External Value targets, Pods metrics).
    #[error("no pods returned by selector while calculating replica count")]
    NoPodsForSelector,
    /// The metric feed has no value for a Pods, Object or External metric (no series
    /// matches, or its series has no point yet).
    #[error("unable to get metric: no series matches or no value yet")]
    MetricUnavailable,
    /// The container of a ContainerResource metric is not in the pods.
    #[error("container not present in metrics for pod")]
    ContainerNotFound,
}

/// Result of [`ReplicaCalculator::resource_utilization_replicas`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceReplicas {
    /// Proposed replica count.
    pub replicas: i32,
    /// Current utilization of the ready pods [percent of their requests, truncated].
    pub utilization_percent: i32,
    /// Average usage of the ready pods [milli-units per pod].
    pub raw_average_milli: i64,
}

/// Result of [`ReplicaCalculator::plain_metric_replicas`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlainReplicas {
    /// Proposed replica count.
    pub replicas: i32,
    /// Average value of the ready pods [milli-units per pod].
    pub average_milli: i64,
}

/// The replica calculator of one HPA sync: the time, the readiness timing and the tolerances.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplicaCalculator {
    /// Time of the sync [ms since the scenario start].
    pub now_ms: u64,
    /// cpu readiness timing.
    pub readiness: ReadinessConfig,
    /// Tolerances of this HPA.
    pub tolerances: Tolerances,
}

/// `int32(math.Ceil(x))` (saturating instead of Go's undefined out-of-range conversion).
fn ceil_i32(x: f64) -> i32 {
    x.ceil() as i32
}

/// Pod counts per group.
#[derive(Default)]
struct Groups {
    ready: usize,
    unready: usize,
    missing: usize,
}

impl ReplicaCalculator {
    fn group(&self, pod: &PodMetricInput, cpu_rules: bool) -> PodGroup {
        classify_pod(pod, cpu_rules, self.now_ms, &self.readiness)
    }

    fn count_groups(
        &self,
        pods: &[PodMetricInput],
        cpu_rules: bool,
    ) -> Result<Groups, MetricError> {
        if !pods.iter().any(|p| p.sample.is_some()) {
            return Err(MetricError::NoMetrics);
        }
        let mut g = Groups::default();
        for p in pods {
            match self.group(p, cpu_rules) {
                PodGroup::Ready => g.ready += 1,
                PodGroup::Unready => g.unready += 1,
                PodGroup::Missing => g.missing += 1,
                PodGroup::Ignored => {}
            }
        }
        if g.ready == 0 {
            return Err(MetricError::NoReadyMetrics);
        }
        Ok(g)
    }

    /// The last steps shared by both calculations: keep the current count if the recomputed
    /// ratio is within the tolerance or flips the direction, or if the rounded result would
    /// move against the ratio.
    fn finish(&self, current: i32, ratio: f64, new_ratio: f64, entries: usize) -> i32 {
        if self.tolerances.is_within(new_ratio)
            || (ratio < 1.0 && new_ratio > 1.0)
            || (ratio > 1.0 && new_ratio < 1.0)
        {
            return current;
        }
        let replicas = ceil_i32(new_ratio * entries as f64);
        if (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current) {
            return current;
        }
        replicas
    }

    /// `GetResourceReplicas`: replicas for a Resource metric with a Utilization target of
    /// `target_percent` [percent of the request, > 0]. `cpu_rules` applies the cpu readiness
    /// rules (set it for cpu, not for memory). Each pod's `sample` is its usage and
    /// `request_milli` its request [milli-units].
    pub fn resource_utilization_replicas(
        &self,
        current_replicas: i32,
        target_percent: i32,
        cpu_rules: bool,
        pods: &[PodMetricInput],
    ) -> Result<ResourceReplicas, MetricError> {
        // One classification pass: the group counts (count_groups), the first pod without a
        // request, and the ready pods' (usage, request) sums.
        let mut g = Groups::default();
        let (mut any_sample, mut missing_request) = (false, None);
        let (mut usage, mut requests, mut n) = (0u128, 0u128, 0u128);
        for (i, p) in pods.iter().enumerate() {
            any_sample |= p.sample.is_some();
            if p.request_milli.is_none() && missing_request.is_none() {
                missing_request = Some(i);
            }
            match self.group(p, cpu_rules) {
                PodGroup::Ready => {
                    g.ready += 1;
                    if let Some(s) = p.sample {
                        usage += u128::from(s.value_milli);
                        requests += u128::from(p.request_milli.unwrap_or(0));
                        n += 1;
                    }
                }
                PodGroup::Unready => g.unready += 1,
                PodGroup::Missing => g.missing += 1,
                PodGroup::Ignored => {}
            }
        }
        if !any_sample {
            return Err(MetricError::NoMetrics);
        }
        if g.ready == 0 {
            return Err(MetricError::NoReadyMetrics);
        }
        if let Some(pod) = missing_request {
            return Err(MetricError::MissingRequest { pod });
        }
        let request = |p: &PodMetricInput| p.request_milli.unwrap_or(0);
        let first = utilization_from_sums(usage, requests, n, target_percent)
            .ok_or(MetricError::NoMetricsMatchedPods)?;
        let out = |replicas| ResourceReplicas {
            replicas,
            utilization_percent: first.utilization_percent,
            raw_average_milli: first.raw_average_milli,
        };
        let ratio = first.ratio;
        let scale_up_with_unready = g.unready > 0 && ratio > 1.0;
        if !scale_up_with_unready && g.missing == 0 {
            if self.tolerances.is_within(ratio) {
                return Ok(out(current_replicas));
            }
            return Ok(out(ceil_i32(ratio * g.ready as f64)));
        }
        // Missing pods count as using 0 on scale-up, and their request times
        // max(100 %, target) on scale-down; unready pods as using 0 on scale-up.
        let fallback_percent = u128::from(target_percent.max(100).unsigned_abs());
        let fill_missing = ratio.partial_cmp(&1.0).is_some_and(|o| o.is_ne());
        let entries = g.ready
            + if fill_missing { g.missing } else { 0 }
            + if scale_up_with_unready { g.unready } else { 0 };
        let second = resource_utilization_ratio(
            pods.iter().filter_map(|p| {
                let r = request(p);
                match self.group(p, cpu_rules) {
                    PodGroup::Ready => p.sample.map(|s| (s.value_milli, r)),
                    PodGroup::Missing if ratio < 1.0 => {
                        let fill = u128::from(r) * fallback_percent / 100;
                        Some((fill.min(u128::from(u64::MAX)) as u64, r))
                    }
                    PodGroup::Missing if ratio > 1.0 => Some((0, r)),
                    PodGroup::Unready if scale_up_with_unready => Some((0, r)),
                    _ => None,
                }
            }),
            target_percent,
        )
        .ok_or(MetricError::NoMetricsMatchedPods)?;
        Ok(out(self.finish(
            current_replicas,
            ratio,
            second.ratio,
            entries,
        )))
    }

    /// `calcPlainMetricReplicas`: replicas for an average-value target of `target_milli`
    /// [milli-units per pod, > 0]: a Resource metric with an AverageValue target
    /// (`GetRawResourceReplicas`, `cpu_rules` for cpu) or a Pods metric (`GetMetricReplicas`,
    /// `cpu_rules = false`). Each pod's `sample` is its value; requests are not used.
    pub fn plain_metric_replicas(
        &self,
        current_replicas: i32,
        target_milli: i64,
        cpu_rules: bool,
        pods: &[PodMetricInput],
    ) -> Result<PlainReplicas, MetricError> {
        let g = self.count_groups(pods, cpu_rules)?;
        let (ratio, average) = metric_usage_ratio(
            pods.iter()
                .filter_map(|p| match (self.group(p, cpu_rules), p.sample) {
                    (PodGroup::Ready, Some(s)) => Some(s.value_milli),
                    _ => None,
                }),
            target_milli,
        )
        .ok_or(MetricError::NoReadyMetrics)?;
        let out = |replicas| PlainReplicas {
            replicas,
            average_milli: average,
        };
        let scale_up_with_unready = g.unready > 0 && ratio > 1.0;
        if !scale_up_with_unready && g.missing == 0 {
            if self.tolerances.is_within(ratio) {
                return Ok(out(current_replicas));
            }
            return Ok(out(ceil_i32(ratio * g.ready as f64)));
        }
        // Missing pods count as the target on scale-down and 0 on scale-up; unready pods as 0
        // on scale-up.
        let target_fill = target_milli.max(0) as u64;
        let fill_missing = ratio.partial_cmp(&1.0).is_some_and(|o| o.is_ne());
        let entries = g.ready
            + if fill_missing { g.missing } else { 0 }
            + if scale_up_with_unready { g.unready } else { 0 };
        let (new_ratio, _) = metric_usage_ratio(
            pods.iter().filter_map(|p| match self.group(p, cpu_rules) {
                PodGroup::Ready => p.sample.map(|s| s.value_milli),
                PodGroup::Missing if ratio < 1.0 => Some(target_fill),
                PodGroup::Missing if ratio > 1.0 => Some(0),
                PodGroup::Unready if scale_up_with_unready => Some(0),
                _ => None,
            }),
            target_milli,
        )
        .ok_or(MetricError::NoReadyMetrics)?;
        Ok(out(self.finish(
            current_replicas,
            ratio,
            new_ratio,
            entries,
        )))
    }
}

#[cfg(test)]
mod tests {
    //! Upstream `replica_calculator_test.go` cases, reproduced through the public functions.
    //! The upstream fixture: every pod has two containers, each requesting `requests[i]` and
    //! using `levels[i]` (so a pod requests and uses twice that); pods beyond `levels` have no
    //! sample, pods beyond `requests` no request; unset start times are Go's zero time (long
    //! ago), Ready conditions have a zero transition time, samples a zero timestamp and a
    //! 1-minute window. "Hot" pods started now, "cool" ones 3 minutes ago. Readiness timing is
    //! the tests' 2 minutes / 10 seconds, tolerance 0.1.
    use super::super::pod_metrics::{ConditionStatus, MetricSample, PodPhase, ReadyCondition};
    use super::*;

    const SEC: u64 = 1000;
    const MIN: u64 = 60 * SEC;
    const NOW: u64 = 1000 * MIN;
    const HOT: u64 = NOW;
    const COOL: u64 = NOW - 3 * MIN;
    const T: ConditionStatus = ConditionStatus::True;
    const F: ConditionStatus = ConditionStatus::False;
    const RUN: PodPhase = PodPhase::Running;

    /// One upstream `replicaCalcTestCase`.
    #[derive(Default)]
    struct Case {
        current: i32,
        /// Per-container request [millicores] of each pod.
        requests: Vec<u64>,
        /// Per-container usage [millicores] (resource) or pod value [milli] (plain).
        levels: Vec<u64>,
        readiness: Vec<ConditionStatus>,
        start: Vec<u64>,
        phase: Vec<PodPhase>,
        deleting: Vec<bool>,
        tolerances: Option<Tolerances>,
    }

    impl Case {
        fn pods(&self, per_pod_factor: u64) -> Vec<PodMetricInput> {
            let n = (self.current as usize).max(self.phase.len());
            (0..n)
                .map(|i| PodMetricInput {
                    phase: self.phase.get(i).copied().unwrap_or(RUN),
                    deleting: self.deleting.get(i).copied().unwrap_or(false),
                    ready: Some(ReadyCondition {
                        status: self.readiness.get(i).copied().unwrap_or(T),
                        last_transition_ms: 0,
                    }),
                    start_time_ms: Some(self.start.get(i).copied().unwrap_or(0)),
                    request_milli: self.requests.get(i).map(|r| r * per_pod_factor),
                    sample: self.levels.get(i).map(|l| MetricSample {
                        value_milli: l * per_pod_factor,
                        timestamp_ms: 0,
                        window_ms: MIN,
                    }),
                })
                .collect()
        }

        fn calc(&self) -> ReplicaCalculator {
            ReplicaCalculator {
                now_ms: NOW,
                readiness: ReadinessConfig {
                    cpu_initialization_period_ms: 2 * MIN,
                    initial_readiness_delay_ms: 10 * SEC,
                },
                tolerances: self.tolerances.unwrap_or_default(),
            }
        }

        /// `GetResourceReplicas` for cpu over two-container pods.
        fn resource(&self, target: i32) -> Result<ResourceReplicas, MetricError> {
            self.calc()
                .resource_utilization_replicas(self.current, target, true, &self.pods(2))
        }

        /// `GetMetricReplicas` (Pods metric): one value per pod.
        fn plain(&self, target: i64) -> Result<PlainReplicas, MetricError> {
            self.calc()
                .plain_metric_replicas(self.current, target, false, &self.pods(1))
        }
    }

    fn res(
        replicas: i32,
        utilization_percent: i32,
        raw: i64,
    ) -> Result<ResourceReplicas, MetricError> {
        Ok(ResourceReplicas {
            replicas,
            utilization_percent,
            raw_average_milli: raw,
        })
    }

    fn plain(replicas: i32, average: i64) -> Result<PlainReplicas, MetricError> {
        Ok(PlainReplicas {
            replicas,
            average_milli: average,
        })
    }

    #[test]
    fn test_replica_calc_scale_up() {
        // TestReplicaCalcScaleUp
        let c = Case {
            current: 3,
            requests: vec![1000; 3],
            levels: vec![300, 500, 700],
            ..Case::default()
        };
        assert_eq!(c.resource(30), res(5, 50, 2 * 500));
    }

    #[test]
    fn test_replica_calc_scale_up_unready_less_scale() {
        // TestReplicaCalcScaleUpUnreadyLessScale
        let c = Case {
            current: 3,
            readiness: vec![F, T, T],
            requests: vec![1000; 3],
            levels: vec![300, 500, 700],
            ..Case::default()
        };
        assert_eq!(c.resource(30), res(4, 60, 2 * 600));
    }

    #[test]
    fn test_replica_calc_scale_up_hot_cpu_less_scale() {
        // TestReplicaCalcScaleUpHotCpuLessScale
        let c = Case {
            current: 3,
            start: vec![HOT, COOL, COOL],
            requests: vec![1000; 3],
            levels: vec![300, 500, 700],
            ..Case::default()
        };
        assert_eq!(c.resource(30), res(4, 60, 2 * 600));
    }

    #[test]
    fn test_replica_calc_scale_up_unready_no_scale() {
        // TestReplicaCalcScaleUpUnreadyNoScale
        let c = Case {
            current: 3,
            readiness: vec![T, F, F],
            requests: vec![1000; 3],
            levels: vec![400, 500, 700],
            ..Case::default()
        };
        assert_eq!(c.resource(30), res(3, 40, 2 * 400));
    }

    #[test]
    fn test_replica_calc_scale_hot_cpu_no_scale() {
        // TestReplicaCalcScaleHotCpuNoScale
        let c = Case {
            current: 3,
            readiness: vec![T, F, F],
            start: vec![COOL, HOT, HOT],
            requests: vec![1000; 3],
            levels: vec![400, 500, 700],
            ..Case::default()
        };
        assert_eq!(c.resource(30), res(3, 40, 2 * 400));
    }

    #[test]
    fn test_replica_calc_scale_up_ignores_failed_pods() {
        // TestReplicaCalcScaleUpIgnoresFailedPods
        let c = Case {
            current: 2,
            readiness: vec![T, T, F, F],
            phase: vec![RUN, RUN, PodPhase::Failed, PodPhase::Failed],
            requests: vec![1000; 4],
            levels: vec![500, 700],
            ..Case::default()
        };
        assert_eq!(c.resource(30), res(4, 60, 2 * 600));
    }

    #[test]
    fn test_replica_calc_scale_up_ignores_deletion_pods() {
        // TestReplicaCalcScaleUpIgnoresDeletionPods
        let c = Case {
            current: 2,
            readiness: vec![T, T, F, F],
            phase: vec![RUN; 4],
            deleting: vec![false, false, true, true],
            requests: vec![1000; 4],
            levels: vec![500, 700],
            ..Case::default()
        };
        assert_eq!(c.resource(30), res(4, 60, 2 * 600));
    }

    #[test]
    fn test_replica_calc_scale_down() {
        // TestReplicaCalcScaleDown
        let c = Case {
            current: 5,
            requests: vec![1000; 5],
            levels: vec![100, 300, 500, 250, 250],
            ..Case::default()
        };
        assert_eq!(c.resource(50), res(3, 28, 2 * 280));
    }

    #[test]
    fn test_replica_calc_scale_down_exclude_unready_pods() {
        // TestReplicaCalcScaleDownExcludeUnreadyPods
        let c = Case {
            current: 5,
            readiness: vec![T, T, T, F, F],
            requests: vec![1000; 5],
            levels: vec![100, 300, 500, 250, 250],
            ..Case::default()
        };
        assert_eq!(c.resource(50), res(2, 30, 2 * 300));
    }

    #[test]
    fn test_replica_calc_scale_down_exclude_unscheduled_pods() {
        // TestReplicaCalcScaleDownExcludeUnscheduledPods
        let c = Case {
            current: 5,
            readiness: vec![T, F, F, F, F],
            phase: vec![
                RUN,
                PodPhase::Pending,
                PodPhase::Pending,
                PodPhase::Pending,
                PodPhase::Pending,
            ],
            requests: vec![1000; 5],
            levels: vec![100],
            ..Case::default()
        };
        assert_eq!(c.resource(50), res(1, 10, 2 * 100));
    }

    #[test]
    fn test_replica_calc_scale_down_ignore_hot_cpu_pods() {
        // TestReplicaCalcScaleDownIgnoreHotCpuPods
        let c = Case {
            current: 5,
            start: vec![COOL, COOL, COOL, HOT, HOT],
            requests: vec![1000; 5],
            levels: vec![100, 300, 500, 250, 250],
            ..Case::default()
        };
        assert_eq!(c.resource(50), res(2, 30, 2 * 300));
    }

    #[test]
    fn test_replica_calc_scale_down_ignores_failed_pods() {
        // TestReplicaCalcScaleDownIgnoresFailedPods
        let mut phase = vec![RUN; 5];
        phase.extend([PodPhase::Failed, PodPhase::Failed]);
        let c = Case {
            current: 5,
            readiness: vec![T, T, T, T, T, F, F],
            phase,
            requests: vec![1000; 7],
            levels: vec![100, 300, 500, 250, 250],
            ..Case::default()
        };
        assert_eq!(c.resource(50), res(3, 28, 2 * 280));
    }

    #[test]
    fn test_replica_calc_scale_down_ignores_deletion_pods() {
        // TestReplicaCalcScaleDownIgnoresDeletionPods (and the _StillRunning regression case)
        let c = Case {
            current: 5,
            readiness: vec![T, T, T, T, T, F, F],
            phase: vec![RUN; 7],
            deleting: vec![false, false, false, false, false, true, true],
            requests: vec![1000; 7],
            levels: vec![100, 300, 500, 250, 250],
            ..Case::default()
        };
        assert_eq!(c.resource(50), res(3, 28, 2 * 280));
    }

    #[test]
    fn test_replica_calc_tolerance() {
        // TestReplicaCalcTolerance
        let c = Case {
            current: 3,
            requests: vec![900, 1000, 1100],
            levels: vec![1010, 1030, 1020],
            ..Case::default()
        };
        assert_eq!(c.resource(100), res(3, 102, 2 * 1020));
    }

    #[test]
    fn test_replica_calc_configurable_tolerance() {
        // TestReplicaCalcConfigurableTolerance (Tolerances{scaleDown, scaleUp})
        let tol = |down, up| {
            Some(Tolerances {
                scale_down: down,
                scale_up: up,
            })
        };
        let case = |levels: Vec<u64>, tolerances| Case {
            current: 3,
            requests: vec![900, 1000, 1100],
            levels,
            tolerances,
            ..Case::default()
        };
        // "Outside of a 0% tolerance"
        assert_eq!(
            case(vec![909, 1010, 1111], tol(0.0, 0.0)).resource(100),
            res(4, 101, 2 * 1010)
        );
        // "Within a 200% scale-up tolerance"
        assert_eq!(
            case(vec![1890, 1910, 1900], tol(0.1, 2.0)).resource(100),
            res(3, 190, 2 * 1900)
        );
        // "Outside 8% scale-up tolerance (and superfluous scale-down tolerance)"
        assert_eq!(
            case(vec![1100, 1080, 1090], tol(2.0, 0.08)).resource(100),
            res(4, 109, 2 * 1090)
        );
        // "Within a 36% scale-down tolerance"
        assert_eq!(
            case(vec![660, 640, 650], tol(0.36, 0.1)).resource(100),
            res(3, 65, 2 * 650)
        );
        // "Outside a 34% scale-down tolerance"
        assert_eq!(
            case(vec![660, 640, 650], tol(0.34, 0.1)).resource(100),
            res(2, 65, 2 * 650)
        );
    }

    #[test]
    fn test_replica_calc_missing_metrics() {
        // TestReplicaCalcMissingMetrics
        let c = Case {
            current: 4,
            requests: vec![1000; 4],
            levels: vec![400, 95],
            ..Case::default()
        };
        assert_eq!(c.resource(100), res(3, 24, 495));
    }

    #[test]
    fn test_replica_calc_empty_metrics() {
        // TestReplicaCalcEmptyMetrics
        let c = Case {
            current: 4,
            requests: vec![1000; 3],
            ..Case::default()
        };
        assert_eq!(c.resource(100), Err(MetricError::NoMetrics));
    }

    #[test]
    fn test_replica_calc_empty_cpu_request() {
        // TestReplicaCalcEmptyCPURequest
        let c = Case {
            current: 1,
            levels: vec![200],
            ..Case::default()
        };
        assert_eq!(c.resource(100), Err(MetricError::MissingRequest { pod: 0 }));
    }

    #[test]
    fn test_replica_calc_missing_metrics_no_change() {
        // TestReplicaCalcMissingMetricsNoChangeEq / NoChangeGt / NoChangeLt
        let case = |level| Case {
            current: 2,
            requests: vec![1000; 2],
            levels: vec![level],
            ..Case::default()
        };
        assert_eq!(case(1000).resource(100), res(2, 100, 2 * 1000));
        assert_eq!(case(1900).resource(100), res(2, 190, 2 * 1900));
        assert_eq!(case(600).resource(100), res(2, 60, 2 * 600));
    }

    #[test]
    fn test_replica_calc_missing_metrics_unready_and_hot_cpu_no_change() {
        // TestReplicaCalcMissingMetricsUnreadyChange
        let unready = Case {
            current: 3,
            readiness: vec![F, T, T],
            requests: vec![1000; 3],
            levels: vec![100, 450],
            ..Case::default()
        };
        assert_eq!(unready.resource(50), res(3, 45, 2 * 450));
        // TestReplicaCalcMissingMetricsHotCpuNoChange
        let hot = Case {
            current: 3,
            start: vec![HOT, COOL, COOL],
            requests: vec![1000; 3],
            levels: vec![100, 450],
            ..Case::default()
        };
        assert_eq!(hot.resource(50), res(3, 45, 2 * 450));
    }

    #[test]
    fn test_replica_calc_missing_metrics_unready_and_hot_cpu_scale_up() {
        // TestReplicaCalcMissingMetricsUnreadyScaleUp
        let unready = Case {
            current: 3,
            readiness: vec![F, T, T],
            requests: vec![1000; 3],
            levels: vec![100, 2000],
            ..Case::default()
        };
        assert_eq!(unready.resource(50), res(4, 200, 2 * 2000));
        // TestReplicaCalcMissingMetricsHotCpuScaleUp
        let hot = Case {
            start: vec![HOT, COOL, COOL],
            ..unready
        };
        assert_eq!(hot.resource(50), res(4, 200, 2 * 2000));
    }

    #[test]
    fn test_replica_calc_missing_metrics_unready_scale_down() {
        // TestReplicaCalcMissingMetricsUnreadyScaleDown
        let c = Case {
            current: 4,
            readiness: vec![F, T, T, T],
            requests: vec![1000; 4],
            levels: vec![100, 100, 100],
            ..Case::default()
        };
        assert_eq!(c.resource(50), res(3, 10, 2 * 100));
    }

    #[test]
    fn test_replica_calc_missing_metrics_scale_down_target_over_100() {
        // TestReplicaCalcMissingMetricsScaleDownTargetOver100: the missing pod counts as using
        // 300 % of its request, not 100 % (which would give 1).
        let c = Case {
            current: 4,
            readiness: vec![F, T, T, T],
            requests: vec![1000, 1000, 2000, 2000],
            levels: vec![200, 100, 100],
            ..Case::default()
        };
        assert_eq!(c.resource(300), res(2, 6, 2 * 100));
    }

    #[test]
    fn test_replica_calc_during_rolling_update_with_max_surge() {
        // TestReplicaCalcDuringRollingUpdateWithMaxSurge
        let c = Case {
            current: 2,
            phase: vec![RUN; 3],
            requests: vec![1000; 3],
            levels: vec![100, 100],
            ..Case::default()
        };
        assert_eq!(c.resource(50), res(2, 10, 2 * 100));
    }

    #[test]
    fn test_replica_calc_computed_tolerance_alg_implementation() {
        // TestReplicaCalcComputedToleranceAlgImplementation, with upstream's float arithmetic.
        let start_pods = 10i32;
        let total_used: u64 = 10 * 150;
        let total_requested: u64 = 2 * total_used;
        let requested_to_used = (total_requested / total_used) as f64;
        let per_pod = total_requested / 10;
        let target = (1.0 / (requested_to_used * (1.0 - DEFAULT_TOLERANCE))).abs() + 0.01;
        let final_target = (target * 100.0) as i32;
        let used_ratio = total_used as f64 / (total_requested as f64 * target);
        let final_pods = (used_ratio * f64::from(start_pods)).ceil() as i32;
        let mut c = Case {
            current: start_pods,
            requests: vec![
                per_pod + 100,
                per_pod - 100,
                per_pod + 10,
                per_pod - 10,
                per_pod + 2,
                per_pod - 2,
                per_pod + 1,
                per_pod - 1,
                per_pod,
                per_pod,
            ],
            levels: vec![total_used / 10; 10],
            ..Case::default()
        };
        let util = (total_used * 100 / total_requested) as i32;
        let raw = 2 * total_used as i64 / 10;
        assert_eq!(final_pods, 9);
        assert_eq!(c.resource(final_target), res(final_pods, util, raw));
        // Just inside the tolerance: no change.
        let target = (1.0 / (requested_to_used * (1.0 - DEFAULT_TOLERANCE))).abs() + 0.004;
        c.current = start_pods;
        assert_eq!(
            c.resource((target * 100.0) as i32),
            res(start_pods, util, raw)
        );
    }

    #[test]
    fn no_request_sum_is_an_error() {
        // TestReplicaCalcDisjointResourcesMetrics reaches the same error with metrics of
        // unknown pods; here the ready pods request nothing.
        let c = Case {
            current: 1,
            requests: vec![0],
            levels: vec![100],
            ..Case::default()
        };
        assert_eq!(c.resource(100), Err(MetricError::NoMetricsMatchedPods));
    }

    #[test]
    fn all_unready_is_an_error() {
        let c = Case {
            current: 2,
            readiness: vec![F, F],
            requests: vec![1000; 2],
            levels: vec![100, 100],
            ..Case::default()
        };
        assert_eq!(c.resource(50), Err(MetricError::NoReadyMetrics));
    }

    #[test]
    fn test_replica_calc_scale_up_cm() {
        // TestReplicaCalcScaleUpCM
        let c = Case {
            current: 3,
            levels: vec![20000, 10000, 30000],
            ..Case::default()
        };
        assert_eq!(c.plain(15000), plain(4, 20000));
    }

    #[test]
    fn test_replica_calc_scale_up_cm_unready_hot_cpu_no_less_scale() {
        // TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale: readiness is not checked for
        // custom metrics.
        let c = Case {
            current: 3,
            readiness: vec![T, T, F],
            start: vec![COOL, COOL, HOT],
            levels: vec![50000, 10000, 30000],
            ..Case::default()
        };
        assert_eq!(c.plain(15000), plain(6, 30000));
    }

    #[test]
    fn test_replica_calc_scale_up_cm_unready_hot_cpu_scale_would_scale_down() {
        // TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown
        let c = Case {
            current: 3,
            readiness: vec![F, T, F],
            start: vec![HOT, COOL, HOT],
            levels: vec![50000, 15000, 30000],
            ..Case::default()
        };
        assert_eq!(c.plain(15000), plain(7, 31666));
    }

    #[test]
    fn test_replica_calc_scale_down_cm() {
        // TestReplicaCalcScaleDownCM
        let c = Case {
            current: 5,
            levels: vec![12000; 5],
            ..Case::default()
        };
        assert_eq!(c.plain(20000), plain(3, 12000));
    }

    #[test]
    fn test_replica_calc_tolerance_cm() {
        // TestReplicaCalcToleranceCM
        let c = Case {
            current: 3,
            levels: vec![20000, 21000, 21000],
            ..Case::default()
        };
        assert_eq!(c.plain(20000), plain(3, 20666));
        // TestReplicaCalcConfigurableToleranceCM: 1 % scale-up tolerance.
        let c = Case {
            tolerances: Some(Tolerances {
                scale_down: DEFAULT_TOLERANCE,
                scale_up: 0.01,
            }),
            ..c
        };
        assert_eq!(c.plain(20000), plain(4, 20666));
    }

    #[test]
    fn test_plain_metric_replica_calc_missing_metrics_no_change_eq() {
        // TestPlainMetricReplicaCalcMissingMetricsNoChangeEq
        let c = Case {
            current: 5,
            levels: vec![20000, 19000, 21000],
            ..Case::default()
        };
        assert_eq!(c.plain(20000), plain(5, 20000));
    }

    #[test]
    fn test_replica_calc_during_rolling_update_with_max_surge_cm() {
        // TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM
        let c = Case {
            current: 2,
            phase: vec![RUN; 3],
            levels: vec![10000, 10000],
            ..Case::default()
        };
        assert_eq!(c.plain(17000), plain(2, 10000));
    }

    #[test]
    fn memory_average_value_hand_checked() {
        // Resource AverageValue on memory (no readiness rules): pods use 600, 800, 1000 MiB
        // against 500 MiB per pod; the average 800 MiB is 1.6× the target → ceil(4.8) = 5.
        const MI: u64 = 1 << 20;
        let pod = |mib: Option<u64>, ready| PodMetricInput {
            phase: RUN,
            deleting: false,
            ready: Some(ReadyCondition {
                status: ready,
                last_transition_ms: NOW,
            }),
            start_time_ms: Some(NOW),
            request_milli: None,
            sample: mib.map(|m| MetricSample {
                value_milli: m * MI * 1000,
                timestamp_ms: NOW,
                window_ms: 15 * SEC,
            }),
        };
        let calc = ReplicaCalculator {
            now_ms: NOW,
            readiness: ReadinessConfig::default(),
            tolerances: Tolerances::default(),
        };
        let target = (500 * MI * 1000) as i64;
        let pods = [pod(Some(600), F), pod(Some(800), T), pod(Some(1000), T)];
        assert_eq!(
            calc.plain_metric_replicas(3, target, false, &pods),
            plain(5, (800 * MI * 1000) as i64)
        );
        // A fourth pod without a sample on a scale-up counts as 0: (2400/4)/500 = 1.2 → 5.
        let pods = [
            pod(Some(600), T),
            pod(Some(800), T),
            pod(Some(1000), T),
            pod(None, T),
        ];
        assert_eq!(
            calc.plain_metric_replicas(4, target, false, &pods),
            plain(5, (800 * MI * 1000) as i64)
        );
        // The same as a cpu AverageValue target: the unready pod is left out, average 900 →
        // 1.8; refilled with 0 for the scale-up: 1800/3 = 600 → 1.2 → ceil(3.6) = 4.
        let pods = [pod(Some(600), F), pod(Some(800), T), pod(Some(1000), T)];
        let calc = ReplicaCalculator {
            now_ms: NOW + 10 * MIN,
            ..calc
        };
        assert_eq!(
            calc.plain_metric_replicas(3, target, true, &pods),
            plain(4, (900 * MI * 1000) as i64)
        );
    }
}

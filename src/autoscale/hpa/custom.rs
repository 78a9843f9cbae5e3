//! Desired replicas for Object and External metrics, as
//! `pkg/controller/podautoscaler/replica_calculator.go` computes them:
//! `GetObjectMetricReplicas` and `GetExternalMetricReplicas` (Value targets, through
//! `getUsageRatioReplicaCount`), `GetObjectPerPodMetricReplicas` and
//! `GetExternalPerPodMetricReplicas` (AverageValue targets). Pods metrics use
//! [`ReplicaCalculator::plain_metric_replicas`] (`GetMetricReplicas` → `calcPlainMetricReplicas`).
//!
//! An External metric's value is the sum of the values of every series its selector matches;
//! an Object metric has one value. Both are milli-values (`MilliValue()`).

use super::replica_calculator::{MetricError, ReplicaCalculator};

/// The pods the HPA's selector returns (`getReadyPodsCount`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodCounts {
    /// Pods selected (any phase).
    pub total: usize,
    /// Of those, pods that are Running and Ready.
    pub ready: usize,
}

/// Result of a Value or AverageValue calculation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueReplicas {
    /// Proposed replica count.
    pub replicas: i32,
    /// The metric as the HPA status reports it [milli-units]: the value for Value targets,
    /// `ceil(value / statusReplicas)` for AverageValue targets (the value itself when
    /// `statusReplicas` is 0).
    pub usage_milli: i64,
}

/// `int32(math.Ceil(x))`, saturating.
fn ceil_i32(x: f64) -> i32 {
    x.ceil() as i32
}

impl ReplicaCalculator {
    /// `getUsageRatioReplicaCount`: with a current count, keep it within the tolerance, else
    /// `ceil(ratio × ready pods)` (an error if the selector returns no pod); from zero
    /// replicas, `ceil(ratio)` with no tolerance check.
    pub fn usage_ratio_replicas(
        &self,
        current_replicas: i32,
        usage_ratio: f64,
        pods: PodCounts,
    ) -> Result<i32, MetricError> {
        if current_replicas == 0 {
            return Ok(ceil_i32(usage_ratio));
        }
        if self.tolerances.is_within(usage_ratio) {
            return Ok(current_replicas);
        }
        if pods.total == 0 {
            return Err(MetricError::NoPodsForSelector);
        }
        Ok(ceil_i32(usage_ratio * pods.ready as f64))
    }

    /// `GetObjectMetricReplicas` / `GetExternalMetricReplicas`: a Value target of
    /// `target_milli` (> 0) against the metric's `value_milli` (for External: the sum of its
    /// series). `spec_replicas` is the target's `spec.replicas`.
    pub fn value_replicas(
        &self,
        spec_replicas: i32,
        target_milli: i64,
        value_milli: i64,
        pods: PodCounts,
    ) -> Result<ValueReplicas, MetricError> {
        let ratio = value_milli as f64 / target_milli as f64;
        let replicas = self.usage_ratio_replicas(spec_replicas, ratio, pods)?;
        Ok(ValueReplicas {
            replicas,
            usage_milli: value_milli,
        })
    }

    /// `GetObjectPerPodMetricReplicas` / `GetExternalPerPodMetricReplicas`: an AverageValue
    /// target of `target_milli` (> 0) per pod. The ratio is `value / (target × status
    /// replicas)`; outside the tolerance the proposal is `ceil(value / target)`, otherwise
    /// `status_replicas` (the target's `status.replicas`). No pod list is read.
    pub fn per_pod_value_replicas(
        &self,
        status_replicas: i32,
        target_milli: i64,
        value_milli: i64,
    ) -> ValueReplicas {
        let value = value_milli as f64;
        let target = target_milli as f64;
        // With status.replicas = 0 the ratio is +Inf (or NaN for 0/0), never within.
        let ratio = value / (target * f64::from(status_replicas));
        let replicas = if self.tolerances.is_within(ratio) {
            status_replicas
        } else {
            ceil_i32(value / target)
        };
        let usage_milli = if status_replicas > 0 {
            (value / f64::from(status_replicas)).ceil() as i64
        } else {
            value_milli
        };
        ValueReplicas {
            replicas,
            usage_milli,
        }
    }
}

#[cfg(test)]
mod tests {
    //! Upstream `replica_calculator_test.go` cases for Object and External metrics (tolerance
    //! 0.1). Their fixture selects `currentReplicas` pods, all Running and Ready.
    use super::super::replica_calculator::Tolerances;
    use super::*;
    use crate::autoscale::hpa::pod_metrics::ReadinessConfig;

    fn calc() -> ReplicaCalculator {
        ReplicaCalculator {
            now_ms: 0,
            readiness: ReadinessConfig::default(),
            tolerances: Tolerances::uniform(0.1),
        }
    }

    fn all_ready(n: usize) -> PodCounts {
        PodCounts { total: n, ready: n }
    }

    #[test]
    fn test_replica_calc_scale_up_cm_object() {
        // TestReplicaCalcScaleUpCMObject: 3 replicas, value 20 000 against 15 000 →
        // ceil(1.333 × 3) = 4.
        let r = calc()
            .value_replicas(3, 15_000, 20_000, all_ready(3))
            .unwrap();
        assert_eq!((r.replicas, r.usage_milli), (4, 20_000));
    }

    #[test]
    fn test_replica_calc_scale_up_cm_per_pod_object() {
        // TestReplicaCalcScaleUpCMPerPodObject: 3 replicas, 20 000, 5 000 per pod → 4,
        // usage 6 667.
        let r = calc().per_pod_value_replicas(3, 5_000, 20_000);
        assert_eq!((r.replicas, r.usage_milli), (4, 6_667));
    }

    #[test]
    fn test_replica_calc_scale_up_cm_object_ignores_unready_pods() {
        // TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods: 3 replicas, one ready; 50 000
        // against 10 000 → ceil(5 × 1) = 5 (15 if unready pods counted).
        let pods = PodCounts { total: 3, ready: 1 };
        let r = calc().value_replicas(3, 10_000, 50_000, pods).unwrap();
        assert_eq!((r.replicas, r.usage_milli), (5, 50_000));
    }

    #[test]
    fn test_replica_calc_scale_down_cm_object() {
        // TestReplicaCalcScaleDownCMObject: 5 replicas, 12 000 against 20 000 → 3.
        let r = calc()
            .value_replicas(5, 20_000, 12_000, all_ready(5))
            .unwrap();
        assert_eq!((r.replicas, r.usage_milli), (3, 12_000));
    }

    #[test]
    fn test_replica_calc_scale_down_per_pod_cm_object() {
        // TestReplicaCalcScaleDownPerPodCMObject: 5 replicas, 6 000, 2 000 per pod → 3,
        // usage 1 200.
        let r = calc().per_pod_value_replicas(5, 2_000, 6_000);
        assert_eq!((r.replicas, r.usage_milli), (3, 1_200));
    }

    #[test]
    fn test_replica_calc_tolerance_cm_object() {
        // TestReplicaCalcToleranceCMObject: 3 replicas, 20 666 against 20 000 → 3.
        let r = calc()
            .value_replicas(3, 20_000, 20_666, all_ready(3))
            .unwrap();
        assert_eq!((r.replicas, r.usage_milli), (3, 20_666));
    }

    #[test]
    fn test_replica_calc_tolerance_per_pod_cm_object() {
        // TestReplicaCalcTolerancePerPodCMObject: 4 replicas, 20 166, 5 000 per pod → ratio
        // 1.008: keep 4, usage 5 042.
        let r = calc().per_pod_value_replicas(4, 5_000, 20_166);
        assert_eq!((r.replicas, r.usage_milli), (4, 5_042));
    }

    #[test]
    fn test_replica_calc_scale_up_cm_external() {
        // TestReplicaCalcScaleUpCMExternal (upstream runs it through the Pods path, which
        // gives the same here): 1 replica, 8 600 against 4 400 → ceil(1.9545 × 1) = 2.
        let r = calc()
            .value_replicas(1, 4_400, 8_600, all_ready(1))
            .unwrap();
        assert_eq!((r.replicas, r.usage_milli), (2, 8_600));
    }

    #[test]
    fn test_replica_calc_scale_up_cm_external_ignores_unready_pods() {
        // TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods: 3 replicas, one ready; 8 600
        // against 4 400 → ceil(1.9545 × 1) = 2 (6 if unready pods counted).
        let pods = PodCounts { total: 3, ready: 1 };
        let r = calc().value_replicas(3, 4_400, 8_600, pods).unwrap();
        assert_eq!((r.replicas, r.usage_milli), (2, 8_600));
    }

    #[test]
    fn test_replica_calc_scale_down_cm_external() {
        // TestReplicaCalcScaleDownCMExternal: 5 replicas, 8 600 against 14 334 → ceil(0.6 × 5)
        // = 3.
        let r = calc()
            .value_replicas(5, 14_334, 8_600, all_ready(5))
            .unwrap();
        assert_eq!((r.replicas, r.usage_milli), (3, 8_600));
    }

    #[test]
    fn test_replica_calc_tolerance_cm_external() {
        // TestReplicaCalcToleranceCMExternal: 3 replicas, 8 600 against 8 888 → 3.
        let r = calc()
            .value_replicas(3, 8_888, 8_600, all_ready(3))
            .unwrap();
        assert_eq!((r.replicas, r.usage_milli), (3, 8_600));
    }

    #[test]
    fn test_replica_calc_scale_up_per_pod_cm_external() {
        // TestReplicaCalcScaleUpPerPodCMExternal: 3 replicas, 8 600, target 2 150 per pod →
        // 4, usage 2 867.
        let r = calc().per_pod_value_replicas(3, 2_150, 8_600);
        assert_eq!((r.replicas, r.usage_milli), (4, 2_867));
    }

    #[test]
    fn test_replica_calc_scale_down_per_pod_cm_external() {
        // TestReplicaCalcScaleDownPerPodCMExternal: 5 replicas, 8 600, target 2 867 per pod
        // → 3, usage 1 720.
        let r = calc().per_pod_value_replicas(5, 2_867, 8_600);
        assert_eq!((r.replicas, r.usage_milli), (3, 1_720));
    }

    #[test]
    fn test_replica_calc_tolerance_per_pod_cm_external() {
        // TestReplicaCalcTolerancePerPodCMExternal: 3 replicas, 8 600, target 2 900 per pod
        // → 3, usage 2 867.
        let r = calc().per_pod_value_replicas(3, 2_900, 8_600);
        assert_eq!((r.replicas, r.usage_milli), (3, 2_867));
    }

    #[test]
    fn scale_from_zero_ignores_the_tolerance_and_the_pods() {
        // getUsageRatioReplicaCount with currentReplicas = 0: ceil(ratio), even within the
        // tolerance and with no pods; a zero value stays at zero.
        let c = calc();
        assert_eq!(
            c.value_replicas(0, 10_000, 25_000, PodCounts::default())
                .unwrap()
                .replicas,
            3
        );
        assert_eq!(
            c.value_replicas(0, 10_000, 10_500, PodCounts::default())
                .unwrap()
                .replicas,
            2
        );
        assert_eq!(
            c.value_replicas(0, 10_000, 0, PodCounts::default())
                .unwrap()
                .replicas,
            0
        );
        // AverageValue from zero: ceil(value / target).
        let r = c.per_pod_value_replicas(0, 10_000, 25_000);
        assert_eq!((r.replicas, r.usage_milli), (3, 25_000));
    }

    #[test]
    fn no_pods_for_the_selector_is_an_error() {
        assert_eq!(
            calc().value_replicas(2, 10_000, 30_000, PodCounts::default()),
            Err(MetricError::NoPodsForSelector)
        );
    }
}

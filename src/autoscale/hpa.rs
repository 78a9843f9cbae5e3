//! The Horizontal Pod Autoscaler, as upstream's `pkg/controller/podautoscaler` computes it.
//!
//! - [`pod_metrics`]: the per-pod input (phase, readiness, start time, request, sample) and the
//!   grouping into ignored / unready / missing / ready pods.
//! - [`utilization`] and [`replica_calculator`]: one metric's proposal (Utilization and
//!   AverageValue targets), with the tolerance, missing-pod and unready-pod rules.
//! - [`proposals`]: several metrics (the maximum wins; invalid metrics block scale-down).
//! - [`legacy`] and [`behavior`]: normalization without and with `spec.behavior`.
//! - [`history`]: the recommendations and scale events the controller remembers.
//! - [`spec`]: the scenario block (autoscaling/v2 shape) and its validation.
//! - [`metrics_lag`]: an optional metrics-server model (what the HPA sees, and when).
//!
//! [`HpaState::reconcile`] runs one sync (`reconcileAutoscaler`) and returns an
//! [`HpaDecision`] with the columns of `hpa.csv`. The engine calls it every
//! [`HpaConfig::sync_period_ms`] (15 s upstream) for each HPA and applies
//! `final_replicas` to the workload when it differs from the current count.
//!
//! - [`custom`]: Object and External metrics (Value and AverageValue targets, scale from zero).
//!
//! Metric types: Resource, ContainerResource, Pods, Object and External, as
//! `computeReplicasForMetric` (horizontal.go) dispatches them. [`HpaState::reconcile_view`]
//! reads the metrics through a [`MetricsView`]. Simplified with respect to upstream: pod-level
//! requests are not modelled; status conditions and events are reduced to [`HpaReason`].

pub mod behavior;
pub mod custom;
pub mod history;
pub mod legacy;
pub mod metrics_lag;
pub mod pod_metrics;
pub mod proposals;
pub mod reason;
pub mod replica_calculator;
pub mod spec;
pub mod utilization;

pub use behavior::{
    Behavior, NormalizationArg, PolicyType, ScalingPolicy, ScalingRules, SelectPolicy,
};
pub use custom::{PodCounts, ValueReplicas};
pub use history::{Recommendation, ScaleEvent};
pub use metrics_lag::{MetricsServer, UsagePoint};
pub use pod_metrics::{
    ConditionStatus, MetricSample, PodGroup, PodMetricInput, PodPhase, ReadinessConfig,
    ReadyCondition, classify_pod,
};
pub use proposals::{Combined, MetricProposal, combine_proposals};
pub use reason::HpaReason;
pub use replica_calculator::{MetricError, ReplicaCalculator, Tolerances};
pub use spec::{HpaMetric, HpaSpec, MetricResource, ResourceTarget, ValidHpa, ValueTarget};

/// Upstream default of `--horizontal-pod-autoscaler-sync-period` [ms].
pub const DEFAULT_SYNC_PERIOD_MS: u64 = 15_000;
/// Upstream default of `--horizontal-pod-autoscaler-downscale-stabilization` [ms].
pub const DEFAULT_DOWNSCALE_STABILIZATION_MS: u64 = 5 * 60 * 1000;

/// Column names of `hpa.csv`, one row per [`HpaDecision`]: simulated time, workload, the
/// current count, the deciding metric's utilization (empty for AverageValue targets or when
/// no metric was computed), the metrics' proposal, the stabilized and the final count, and
/// the reason.
pub const HPA_CSV_COLUMNS: [&str; 8] = [
    "time_s",
    "workload",
    "current_replicas",
    "utilization_percent",
    "raw_desired_replicas",
    "stabilized_replicas",
    "final_replicas",
    "reason",
];

/// Column names of `hpa_metrics.csv`: one row per metric of each logged sync (time, workload,
/// the metric's index, type, name and target, its current value and utilization, its
/// proposal, and why it is invalid).
pub const HPA_METRICS_CSV_COLUMNS: [&str; 10] = [
    "time_s",
    "workload",
    "metric_index",
    "metric_type",
    "metric_name",
    "target",
    "current_value",
    "utilization_percent",
    "proposed_replicas",
    "error",
];

/// The controller's flags (kube-controller-manager), shared by all HPAs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HpaConfig {
    /// `--horizontal-pod-autoscaler-sync-period` [ms] (15 s).
    pub sync_period_ms: u64,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1), for directions without their own.
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` [ms] (5 min): the legacy window,
    /// and the scale-down window of behaviors that set none.
    pub downscale_stabilization_ms: u64,
    /// cpu readiness timing (5 min initialization period, 30 s readiness delay).
    pub readiness: ReadinessConfig,
}

impl Default for HpaConfig {
    fn default() -> Self {
        HpaConfig {
            sync_period_ms: DEFAULT_SYNC_PERIOD_MS,
            tolerance: replica_calculator::DEFAULT_TOLERANCE,
            downscale_stabilization_ms: DEFAULT_DOWNSCALE_STABILIZATION_MS,
            readiness: ReadinessConfig::default(),
        }
    }
}

/// The outcome of one HPA sync (one row of `hpa.csv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HpaDecision {
    /// Time of the sync [ms since the scenario start].
    pub time_ms: u64,
    /// The target's replica count before the sync.
    pub current_replicas: i32,
    /// Index (in [`ValidHpa::metrics`]) of the metric whose proposal was used.
    pub metric: Option<usize>,
    /// That metric's current utilization [percent of the request], for Utilization targets.
    pub utilization_percent: Option<i32>,
    /// That metric's current average per pod [milli-units].
    pub average_milli: Option<i64>,
    /// Number of metrics that could not be computed.
    pub invalid_metrics: usize,
    /// The metrics' proposal before normalization (`None` if metrics were not used).
    pub raw_desired: Option<i32>,
    /// The count after stabilization (before rate limits and bounds).
    pub stabilized: i32,
    /// The count the target is set to (equal to `current_replicas` if nothing changes).
    pub final_replicas: i32,
    /// Why.
    pub reason: HpaReason,
}

impl HpaDecision {
    /// True if the sync changes the target's replica count.
    pub fn rescaled(&self) -> bool {
        self.final_replicas != self.current_replicas
    }

    /// True when `other` reports the same recommendation, outcome and reason (only the time
    /// and the metric values may differ).
    pub fn same_outcome(&self, other: &HpaDecision) -> bool {
        self.current_replicas == other.current_replicas
            && self.raw_desired == other.raw_desired
            && self.stabilized == other.stabilized
            && self.final_replicas == other.final_replicas
            && self.reason == other.reason
    }
}

/// The tolerances of `hpa`: each direction's `behavior` tolerance if set, else `default`
/// (the controller's flag). The configurable tolerance is beta and on by default since v1.35.
pub fn tolerances(hpa: &ValidHpa, default: f64) -> Tolerances {
    let mut t = Tolerances::uniform(default);
    if let Some(b) = &hpa.behavior {
        if let Some(up) = b.scale_up.tolerance {
            t.scale_up = up;
        }
        if let Some(down) = b.scale_down.tolerance {
            t.scale_down = down;
        }
    }
    t
}

/// What the controller keeps for one HPA between syncs: its recommendations and scale events.
/// Buffers are reused from sync to sync.
#[derive(Clone, Debug, Default)]
pub struct HpaState {
    initialized: bool,
    recommendations: Vec<Recommendation>,
    scale_up_events: Vec<ScaleEvent>,
    scale_down_events: Vec<ScaleEvent>,
    pods: Vec<PodMetricInput>,
    proposals: Vec<Result<MetricProposal, MetricError>>,
}

impl HpaState {
    /// A new HPA (no history).
    pub fn new() -> HpaState {
        HpaState::default()
    }

    /// Recorded unstabilized recommendations.
    pub fn recommendations(&self) -> &[Recommendation] {
        &self.recommendations
    }

    /// Recorded scale-up events (HPAs with a behavior only).
    pub fn scale_up_events(&self) -> &[ScaleEvent] {
        &self.scale_up_events
    }

    /// Recorded scale-down events (HPAs with a behavior only).
    pub fn scale_down_events(&self) -> &[ScaleEvent] {
        &self.scale_down_events
    }

    /// One sync at `now_ms` of an HPA with Resource metrics only, whose target has
    /// `current_replicas` (`spec.replicas`). For each metric, `pods` is asked to fill the
    /// vector it is given (cleared beforehand) with one [`PodMetricInput`] per pod the HPA
    /// selects, for that metric's resource.
    pub fn reconcile(
        &mut self,
        now_ms: u64,
        current_replicas: i32,
        hpa: &ValidHpa,
        config: &HpaConfig,
        pods: &mut dyn FnMut(MetricResource, &mut Vec<PodMetricInput>),
    ) -> HpaDecision {
        struct ResourceOnly<'a>(
            &'a mut dyn FnMut(MetricResource, &mut Vec<PodMetricInput>),
            i32,
        );
        impl MetricsView for ResourceOnly<'_> {
            fn pods(
                &mut self,
                _index: usize,
                metric: &HpaMetric,
                out: &mut Vec<PodMetricInput>,
            ) -> Result<(), MetricError> {
                match metric.resource() {
                    Some(r) => {
                        (self.0)(r, out);
                        Ok(())
                    }
                    None => Err(MetricError::MetricUnavailable),
                }
            }
            fn value(&mut self, _index: usize, _metric: &HpaMetric) -> Result<i64, MetricError> {
                Err(MetricError::MetricUnavailable)
            }
            fn pod_counts(&mut self) -> PodCounts {
                PodCounts::default()
            }
            fn status_replicas(&self) -> i32 {
                self.1
            }
        }
        let mut view = ResourceOnly(pods, current_replicas);
        self.reconcile_view(now_ms, current_replicas, hpa, config, &mut view)
    }

    /// One sync at `now_ms` of an HPA whose target has `current_replicas` (`spec.replicas`),
    /// reading every metric through `view`. Metrics are computed when the count is within
    /// `[minReplicas, maxReplicas]` and either non-zero or `minReplicas` is 0 (scale from
    /// zero). The per-metric results stay available in [`HpaState::metric_results`].
    pub fn reconcile_view(
        &mut self,
        now_ms: u64,
        current_replicas: i32,
        hpa: &ValidHpa,
        config: &HpaConfig,
        view: &mut dyn MetricsView,
    ) -> HpaDecision {
        let mut proposals = std::mem::take(&mut self.proposals);
        proposals.clear();
        if (current_replicas != 0 || hpa.min_replicas == 0)
            && current_replicas >= hpa.min_replicas
            && current_replicas <= hpa.max_replicas
        {
            let calc = ReplicaCalculator {
                now_ms,
                readiness: config.readiness,
                tolerances: tolerances(hpa, config.tolerance),
            };
            for (i, metric) in hpa.metrics.iter().enumerate() {
                self.pods.clear();
                proposals.push(metric_proposal(
                    &calc,
                    current_replicas,
                    i,
                    metric,
                    view,
                    &mut self.pods,
                ));
            }
        }
        let decision =
            self.reconcile_with_proposals(now_ms, current_replicas, hpa, config, &proposals);
        self.proposals = proposals;
        decision
    }

    /// Each metric's result at the last [`HpaState::reconcile_view`] (in the order of
    /// [`ValidHpa::metrics`]; empty when the metrics were not computed).
    pub fn metric_results(&self) -> &[Result<MetricProposal, MetricError>] {
        &self.proposals
    }

    /// One sync with the metrics' results already computed (one per metric of `hpa`, in
    /// order; ignored when the current count is 0 or outside `[minReplicas, maxReplicas]`).
    pub fn reconcile_with_proposals(
        &mut self,
        now_ms: u64,
        current_replicas: i32,
        hpa: &ValidHpa,
        config: &HpaConfig,
        proposals: &[Result<MetricProposal, MetricError>],
    ) -> HpaDecision {
        // recordInitialRecommendation
        if !self.initialized {
            self.initialized = true;
            self.recommendations.push(Recommendation {
                replicas: current_replicas,
                timestamp_ms: now_ms,
            });
        }
        let mut d = HpaDecision {
            time_ms: now_ms,
            current_replicas,
            metric: None,
            utilization_percent: None,
            average_milli: None,
            invalid_metrics: 0,
            raw_desired: None,
            stabilized: current_replicas,
            final_replicas: current_replicas,
            reason: HpaReason::DesiredWithinRange,
        };
        let (min, max) = (hpa.min_replicas, hpa.max_replicas);
        if current_replicas == 0 && min != 0 {
            d.reason = HpaReason::ScalingDisabled;
            return d;
        } else if current_replicas > max {
            d.stabilized = max;
            d.final_replicas = max;
            d.reason = HpaReason::AboveMaxReplicas;
        } else if current_replicas < min {
            d.stabilized = min;
            d.final_replicas = min;
            d.reason = HpaReason::BelowMinReplicas;
        } else {
            match combine_proposals(current_replicas, proposals) {
                Combined::Invalid { invalid, .. } => {
                    d.invalid_metrics = invalid;
                    d.reason = HpaReason::InvalidMetrics;
                    return d;
                }
                Combined::Proposal {
                    replicas,
                    index,
                    invalid,
                } => {
                    d.invalid_metrics = invalid;
                    d.metric = Some(index);
                    if let Some(Ok(p)) = proposals.get(index) {
                        d.utilization_percent = p.utilization_percent;
                        d.average_milli = Some(p.average_milli);
                    }
                    let desired = replicas.max(0);
                    d.raw_desired = Some(desired);
                    let (stabilized, (fin, reason)) = match &hpa.behavior {
                        None => {
                            let s = legacy::stabilize_recommendation(
                                &mut self.recommendations,
                                now_ms,
                                config.downscale_stabilization_ms,
                                desired,
                            );
                            (
                                s,
                                legacy::convert_desired_replicas_with_rules(
                                    current_replicas,
                                    s,
                                    min,
                                    max,
                                ),
                            )
                        }
                        Some(b) => {
                            // maybeInitScaleDownStabilizationWindow
                            let controller_window_s =
                                (config.downscale_stabilization_ms / 1000).min(i32::MAX as u64);
                            let s = behavior::stabilize_recommendation_with_behaviors(
                                &mut self.recommendations,
                                now_ms,
                                current_replicas,
                                desired,
                                b.scale_up.stabilization_window_seconds.unwrap_or(0),
                                b.scale_down
                                    .stabilization_window_seconds
                                    .unwrap_or(controller_window_s as i32),
                            );
                            let arg = NormalizationArg {
                                current_replicas,
                                desired_replicas: s,
                                min_replicas: min,
                                max_replicas: max,
                            };
                            (
                                s,
                                behavior::convert_desired_replicas_with_behavior_rate(
                                    &arg,
                                    b,
                                    &self.scale_up_events,
                                    &self.scale_down_events,
                                    now_ms,
                                ),
                            )
                        }
                    };
                    d.stabilized = stabilized;
                    d.final_replicas = fin;
                    d.reason = reason;
                }
            }
        }
        if d.rescaled() {
            behavior::store_scale_event(
                hpa.behavior.as_ref(),
                &mut self.scale_up_events,
                &mut self.scale_down_events,
                current_replicas,
                d.final_replicas,
                now_ms,
            );
        }
        d
    }
}

/// What a sync reads about the target and its metrics.
pub trait MetricsView {
    /// Fills `out` (empty) with one [`PodMetricInput`] per pod the HPA selects, for metric
    /// `index` of the HPA: Resource and ContainerResource metrics (the resource's request and
    /// usage of the pod or of the container), Pods metrics (the pod's value). An error makes
    /// the metric invalid (e.g. [`MetricError::ContainerNotFound`]).
    fn pods(
        &mut self,
        index: usize,
        metric: &HpaMetric,
        out: &mut Vec<PodMetricInput>,
    ) -> Result<(), MetricError>;
    /// The value of an Object metric, or the sum of the matching series of an External
    /// metric [milli-units].
    fn value(&mut self, index: usize, metric: &HpaMetric) -> Result<i64, MetricError>;
    /// The pods the HPA selects, and how many are Running and Ready.
    fn pod_counts(&mut self) -> PodCounts;
    /// The target's `status.replicas` (its current pods).
    fn status_replicas(&self) -> i32;
}

/// One metric's proposal, as `computeReplicasForMetric` dispatches it: Resource
/// (`GetResourceReplicas` / `GetRawResourceReplicas`), ContainerResource (the same on one
/// container), Pods (`GetMetricReplicas`), Object (`GetObjectMetricReplicas` with
/// `spec.replicas` / `GetObjectPerPodMetricReplicas` with `status.replicas`) and External
/// (`GetExternalMetricReplicas` / `GetExternalPerPodMetricReplicas`). `pods` is a scratch
/// buffer (empty on entry). A proposal's `average_milli` is the metric's current value as
/// the HPA status shows it (the average per pod, or the object's or external total value).
pub fn metric_proposal(
    calc: &ReplicaCalculator,
    current_replicas: i32,
    index: usize,
    metric: &HpaMetric,
    view: &mut dyn MetricsView,
    pods: &mut Vec<PodMetricInput>,
) -> Result<MetricProposal, MetricError> {
    let utilization = |resource: MetricResource,
                       target_percent: i32,
                       pods: &[PodMetricInput]|
     -> Result<MetricProposal, MetricError> {
        calc.resource_utilization_replicas(
            current_replicas,
            target_percent,
            resource == MetricResource::Cpu,
            pods,
        )
        .map(|r| MetricProposal {
            replicas: r.replicas,
            utilization_percent: Some(r.utilization_percent),
            average_milli: r.raw_average_milli,
        })
    };
    let plain = |target_milli: i64,
                 cpu_rules: bool,
                 pods: &[PodMetricInput]|
     -> Result<MetricProposal, MetricError> {
        if pods.is_empty() {
            return Err(MetricError::NoMetrics);
        }
        calc.plain_metric_replicas(current_replicas, target_milli, cpu_rules, pods)
            .map(|r| MetricProposal {
                replicas: r.replicas,
                utilization_percent: None,
                average_milli: r.average_milli,
            })
    };
    let value = |r: ValueReplicas| MetricProposal {
        replicas: r.replicas,
        utilization_percent: None,
        average_milli: r.usage_milli,
    };
    match metric {
        &HpaMetric::Utilization {
            resource,
            target_percent,
        } => {
            view.pods(index, metric, pods)?;
            utilization(resource, target_percent, pods)
        }
        &HpaMetric::AverageValue {
            resource,
            target_milli,
        } => {
            view.pods(index, metric, pods)?;
            plain(target_milli, resource == MetricResource::Cpu, pods)
        }
        HpaMetric::Container {
            resource, target, ..
        } => {
            view.pods(index, metric, pods)?;
            match *target {
                ResourceTarget::Utilization(p) => utilization(*resource, p, pods),
                ResourceTarget::AverageValue(t) => plain(t, *resource == MetricResource::Cpu, pods),
            }
        }
        &HpaMetric::Pods { target_milli, .. } => {
            view.pods(index, metric, pods)?;
            if pods.is_empty() {
                return Err(MetricError::NoPodsForSelector);
            }
            plain(target_milli, false, pods)
        }
        HpaMetric::Object { target, .. } | HpaMetric::External { target, .. } => {
            let v = view.value(index, metric)?;
            match *target {
                ValueTarget::Value(t) => calc
                    .value_replicas(current_replicas, t, v, view.pod_counts())
                    .map(value),
                ValueTarget::AverageValue(t) => Ok(value(calc.per_pod_value_replicas(
                    view.status_replicas(),
                    t,
                    v,
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1000;
    const T0: u64 = 3_600 * SEC;

    fn hpa(yaml: &str) -> ValidHpa {
        let spec: HpaSpec = serde_yaml_ng::from_str(yaml).unwrap();
        spec.validate("hpa").unwrap()
    }

    fn ok(replicas: i32) -> Result<MetricProposal, MetricError> {
        Ok(MetricProposal {
            replicas,
            utilization_percent: Some(50),
            average_milli: 500,
        })
    }

    /// A running, long-ready pod with a cpu request and usage [millicores].
    fn pod(request: u64, usage: u64) -> PodMetricInput {
        PodMetricInput {
            phase: PodPhase::Running,
            deleting: false,
            ready: Some(ReadyCondition {
                status: ConditionStatus::True,
                last_transition_ms: 0,
            }),
            start_time_ms: Some(0),
            request_milli: Some(request),
            sample: Some(MetricSample {
                value_milli: usage,
                timestamp_ms: T0,
                window_ms: 15 * SEC,
            }),
        }
    }

    #[test]
    fn test_scale_up() {
        // Upstream horizontal_test.go TestScaleUp: min 2, max 6, 3 replicas at 300m, 500m,
        // 700m of 1 cpu each, target 30 % → 50 % → 5 replicas.
        let h = hpa(
            "minReplicas: 2\nmaxReplicas: 6\nmetrics: [{type: Resource, resource: {name: cpu, \
             target: {type: Utilization, averageUtilization: 30}}}]",
        );
        let mut state = HpaState::new();
        let d = state.reconcile(T0, 3, &h, &HpaConfig::default(), &mut |r, out| {
            assert_eq!(r, MetricResource::Cpu);
            out.extend([pod(1000, 300), pod(1000, 500), pod(1000, 700)]);
        });
        assert_eq!(
            (d.raw_desired, d.stabilized, d.final_replicas, d.reason),
            (Some(5), 5, 5, HpaReason::DesiredWithinRange)
        );
        assert_eq!(
            (d.utilization_percent, d.average_milli),
            (Some(50), Some(500))
        );
    }

    #[test]
    fn largest_metric_wins_and_reports_its_value() {
        // cpu: 50 % of target 80 → ceil(0.625 × 4) = 3; memory AverageValue: average 1.5 Gi
        // against 1 Gi → ceil(1.5 × 4) = 6.
        let h = hpa("maxReplicas: 10\nmetrics:\n\
             - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}\n\
             - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 1Gi}}}");
        const GI_MILLI: u64 = (1 << 30) * 1000;
        let mut state = HpaState::new();
        let d = state.reconcile(T0, 4, &h, &HpaConfig::default(), &mut |r, out| {
            for _ in 0..4 {
                out.push(match r {
                    MetricResource::Cpu => pod(1000, 500),
                    MetricResource::Memory => pod(2 * GI_MILLI, 3 * GI_MILLI / 2),
                });
            }
        });
        assert_eq!(
            (d.metric, d.raw_desired, d.final_replicas),
            (Some(1), Some(6), 6)
        );
        assert_eq!(d.utilization_percent, None);
        assert_eq!(d.average_milli, Some(3 * GI_MILLI as i64 / 2));
    }

    #[test]
    fn legacy_scale_down_waits_out_the_stabilization_window() {
        // The recommendations of the last 5 minutes hold the count at 5; the first sync after
        // the window has passed the initial recommendation (at T0) scales down.
        let h = hpa("maxReplicas: 10");
        let config = HpaConfig::default();
        let mut state = HpaState::new();
        let mut t = T0;
        let mut current = 5;
        let mut first_down = None;
        while t <= T0 + 10 * 60 * SEC {
            let d = state.reconcile_with_proposals(t, current, &h, &config, &[ok(2)]);
            if d.rescaled() && first_down.is_none() {
                first_down = Some(t - T0);
                assert_eq!((d.stabilized, d.final_replicas), (2, 2));
            }
            current = d.final_replicas;
            t += config.sync_period_ms;
        }
        assert_eq!(first_down, Some(315 * SEC));
        // Without a behavior no scale events are kept, and expired recommendations are reused.
        assert!(state.scale_down_events().is_empty());
        assert!(state.recommendations().len() <= 22);
    }

    #[test]
    fn legacy_scale_up_limit() {
        // max(2 × 3, 4) = 6 per sync.
        let h = hpa("maxReplicas: 100");
        let mut state = HpaState::new();
        let d = state.reconcile_with_proposals(T0, 3, &h, &HpaConfig::default(), &[ok(50)]);
        assert_eq!((d.final_replicas, d.reason), (6, HpaReason::ScaleUpLimit));
    }

    #[test]
    fn behavior_rate_limits_use_the_scale_events() {
        // Default behavior: 10 → 50 gives max(10 + 4, 2 × 10) = 20. 10 s later the +10 event
        // is still within the 15 s periods, so the period started at 10 and 20 is the limit:
        // no change. 15 s after the first sync it has left the periods: 20 → 40.
        let h = hpa("maxReplicas: 100\nbehavior: {}");
        let config = HpaConfig::default();
        let mut state = HpaState::new();
        let d = state.reconcile_with_proposals(T0, 10, &h, &config, &[ok(50)]);
        assert_eq!((d.final_replicas, d.reason), (20, HpaReason::ScaleUpLimit));
        assert_eq!(state.scale_up_events().len(), 1);
        let mut later = state.clone();
        let d = later.reconcile_with_proposals(T0 + 10 * SEC, 20, &h, &config, &[ok(50)]);
        assert_eq!((d.final_replicas, d.reason), (20, HpaReason::ScaleUpLimit));
        let d = state.reconcile_with_proposals(T0 + 15 * SEC, 20, &h, &config, &[ok(50)]);
        assert_eq!(d.final_replicas, 40);
        // The event at T0 was older than the longest period (15 s) only strictly after
        // T0 + 15 s, so it is kept and the new one appended.
        assert_eq!(state.scale_up_events().len(), 2);
    }

    #[test]
    fn behavior_scale_down_uses_the_controller_window_by_default() {
        let h = hpa("maxReplicas: 100\nbehavior: {scaleUp: {stabilizationWindowSeconds: 60}}");
        let config = HpaConfig::default();
        let mut state = HpaState::new();
        // Initial recommendation 10 at T0 keeps the count for 300 s.
        let d = state.reconcile_with_proposals(T0, 10, &h, &config, &[ok(4)]);
        assert_eq!(
            (d.raw_desired, d.stabilized, d.final_replicas),
            (Some(4), 10, 10)
        );
        let d = state.reconcile_with_proposals(T0 + 301 * SEC, 10, &h, &config, &[ok(4)]);
        // Both recommendations made at T0 have left the 300 s window: 4.
        assert_eq!((d.stabilized, d.final_replicas), (4, 4));
        assert_eq!(state.scale_down_events()[0].replica_change, 6);
        // Scale-up now waits for the 60 s up-window: the 4s recommended within it hold it.
        let d = state.reconcile_with_proposals(T0 + 316 * SEC, 4, &h, &config, &[ok(9)]);
        assert_eq!((d.stabilized, d.final_replicas), (4, 4));
    }

    #[test]
    fn bounds_and_disabled_and_invalid() {
        let h = hpa("minReplicas: 2\nmaxReplicas: 5\nbehavior: {}");
        let config = HpaConfig::default();
        let mut state = HpaState::new();
        let d = state.reconcile_with_proposals(T0, 0, &h, &config, &[]);
        assert_eq!(
            (d.final_replicas, d.reason),
            (0, HpaReason::ScalingDisabled)
        );
        let d = state.reconcile_with_proposals(T0, 9, &h, &config, &[]);
        assert_eq!(
            (d.final_replicas, d.reason),
            (5, HpaReason::AboveMaxReplicas)
        );
        assert_eq!(state.scale_down_events()[0].replica_change, 4);
        let d = state.reconcile_with_proposals(T0, 1, &h, &config, &[]);
        assert_eq!(
            (d.final_replicas, d.reason),
            (2, HpaReason::BelowMinReplicas)
        );
        let d = state.reconcile_with_proposals(T0, 4, &h, &config, &[Err(MetricError::NoMetrics)]);
        assert_eq!(
            (d.final_replicas, d.reason, d.invalid_metrics),
            (4, HpaReason::InvalidMetrics, 1)
        );
    }

    #[test]
    fn test_scale_up_one_metric_empty_through_reconcile() {
        // Upstream TestScaleUpOneMetricEmpty: min 2, max 6, 3 replicas; cpu proposes 4, the
        // external metric fails → 4.
        let h = hpa(
            "minReplicas: 2\nmaxReplicas: 6\nmetrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 30}}}, {type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 30}}}]",
        );
        let mut state = HpaState::new();
        let d = state.reconcile_with_proposals(
            T0,
            3,
            &h,
            &HpaConfig::default(),
            &[ok(4), Err(MetricError::NoMetrics)],
        );
        assert_eq!((d.final_replicas, d.invalid_metrics), (4, 1));
        // TestNoScaleDownOneMetricInvalid: 5 replicas, cpu proposes 3 → no change.
        let d = state.reconcile_with_proposals(
            T0,
            5,
            &h,
            &HpaConfig::default(),
            &[ok(3), Err(MetricError::NoMetrics)],
        );
        assert_eq!((d.final_replicas, d.reason), (5, HpaReason::InvalidMetrics));
    }

    #[test]
    fn behavior_tolerances_override_the_flag() {
        let h = hpa("maxReplicas: 5\nbehavior: {scaleUp: {tolerance: 0.5}}");
        let t = tolerances(&h, 0.1);
        assert_eq!((t.scale_up, t.scale_down), (0.5, 0.1));
        assert_eq!(
            tolerances(&hpa("maxReplicas: 5"), 0.2),
            Tolerances::uniform(0.2)
        );
    }

    /// A view with fixed values: `values[i]` for metric `i` (Object/External), per-pod
    /// values for Pods metrics, and the target's pods.
    struct Fixed {
        values: Vec<Result<i64, MetricError>>,
        pod_values: Vec<u64>,
        counts: PodCounts,
        status: i32,
    }

    impl MetricsView for Fixed {
        fn pods(
            &mut self,
            _index: usize,
            metric: &HpaMetric,
            out: &mut Vec<PodMetricInput>,
        ) -> Result<(), MetricError> {
            match metric {
                HpaMetric::Pods { .. } => {
                    out.extend(self.pod_values.iter().map(|&v| pod(1000, v)));
                    Ok(())
                }
                HpaMetric::Container { .. } => Err(MetricError::ContainerNotFound),
                _ => Ok(()),
            }
        }
        fn value(&mut self, index: usize, _metric: &HpaMetric) -> Result<i64, MetricError> {
            self.values[index]
        }
        fn pod_counts(&mut self) -> PodCounts {
            self.counts
        }
        fn status_replicas(&self) -> i32 {
            self.status
        }
    }

    #[test]
    fn object_and_external_value_scale_from_zero() {
        // minReplicas 0: from 0 replicas the Object metric proposes ceil(25 / 10) = 3 with no
        // pods; the legacy scale-up limit max(2 × 0, 4) = 4 lets it through.
        let h = hpa("minReplicas: 0\nmaxReplicas: 10\nmetrics:\n\
             - {type: Object, object: {describedObject: {kind: Service, name: web}, metric: {name: rps}, target: {type: Value, value: 10}}}");
        let mut view = Fixed {
            values: vec![Ok(25_000)],
            pod_values: vec![],
            counts: PodCounts::default(),
            status: 0,
        };
        let mut state = HpaState::new();
        let d = state.reconcile_view(T0, 0, &h, &HpaConfig::default(), &mut view);
        assert_eq!((d.raw_desired, d.final_replicas), (Some(3), 3));
        assert_eq!(d.average_milli, Some(25_000));
        // A zero value from zero replicas stays at zero (ScalingDisabled does not apply
        // with minReplicas 0).
        view.values = vec![Ok(0)];
        let d = HpaState::new().reconcile_view(T0, 0, &h, &HpaConfig::default(), &mut view);
        assert_eq!((d.raw_desired, d.final_replicas), (Some(0), 0));
        // External Value, same rule.
        let h = hpa("minReplicas: 0\nmaxReplicas: 10\nmetrics:\n\
             - {type: External, external: {metric: {name: queue}, target: {type: Value, value: 100}}}");
        view.values = vec![Ok(150_000)];
        let d = HpaState::new().reconcile_view(T0, 0, &h, &HpaConfig::default(), &mut view);
        assert_eq!(d.final_replicas, 2);
    }

    #[test]
    fn several_metrics_with_one_invalid() {
        // Pods: average 30 against 15 per pod → ceil(2 × 3) = 6; the External metric has no
        // series (invalid); ContainerResource names a missing container (invalid). 6 > 3:
        // scale-up proceeds with 2 invalid metrics. When the valid proposal is a scale-down,
        // nothing changes.
        let h = hpa("maxReplicas: 10\nmetrics:\n\
             - {type: Pods, pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: 15}}}\n\
             - {type: External, external: {metric: {name: queue}, target: {type: AverageValue, averageValue: 5}}}\n\
             - {type: ContainerResource, containerResource: {name: cpu, container: nope, target: {type: Utilization, averageUtilization: 50}}}");
        let mut view = Fixed {
            values: vec![Ok(0), Err(MetricError::MetricUnavailable), Ok(0)],
            pod_values: vec![30_000; 3],
            counts: PodCounts { total: 3, ready: 3 },
            status: 3,
        };
        let mut state = HpaState::new();
        let d = state.reconcile_view(T0, 3, &h, &HpaConfig::default(), &mut view);
        assert_eq!(
            (d.metric, d.raw_desired, d.final_replicas, d.invalid_metrics),
            (Some(0), Some(6), 6, 2)
        );
        assert_eq!(d.average_milli, Some(30_000));
        assert_eq!(state.metric_results().len(), 3);
        assert_eq!(
            state.metric_results()[2],
            Err(MetricError::ContainerNotFound)
        );
        view.pod_values = vec![5_000; 3];
        let d = state.reconcile_view(T0 + 15 * SEC, 3, &h, &HpaConfig::default(), &mut view);
        assert_eq!(
            (d.final_replicas, d.reason, d.invalid_metrics),
            (3, HpaReason::InvalidMetrics, 2)
        );
    }

    #[test]
    fn external_average_value_uses_the_status_replicas() {
        // 4 replicas in spec, 2 pods exist: 90 / (20 × 2) = 2.25 → ceil(90 / 20) = 5.
        let h = hpa("maxReplicas: 10\nmetrics:\n\
             - {type: External, external: {metric: {name: queue}, target: {type: AverageValue, averageValue: 20}}}");
        let mut view = Fixed {
            values: vec![Ok(90_000)],
            pod_values: vec![],
            counts: PodCounts { total: 2, ready: 2 },
            status: 2,
        };
        let d = HpaState::new().reconcile_view(T0, 4, &h, &HpaConfig::default(), &mut view);
        assert_eq!((d.raw_desired, d.average_milli), (Some(5), Some(45_000)));
    }
}

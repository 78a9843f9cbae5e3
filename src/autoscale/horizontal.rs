//! The HPA controller as the engine runs it (pkg/controller/podautoscaler/horizontal.go): one
//! [`HorizontalController`] per Deployment or StatefulSet with an `hpa` block (its
//! [`HpaTarget`], which upstream reaches through the `/scale` subresource), synced every sync
//! period (15 s) from the target's creation. Each sync turns the target's pods into
//! [`PodMetricInput`]s, runs the upstream algorithm ([`HpaState::reconcile`]) and returns the
//! decision; the engine sets the target's replicas to its `final_replicas` (a StatefulSet then
//! scales through its ordered controller) and logs it to `hpa.csv`.
//!
//! What the HPA sees of the pods: a bound pod is Running from its bind time (its start time);
//! its Ready condition is the kubelet model's ([`pod_is_ready`]; True from the first
//! successful readiness probe, False while starting, crashed or backing off), with
//! `lastTransitionTime` when it last changed. Samples come through the
//! metrics-server model ([`MetricsServer`]): a pod whose usage is constant (no load curve) is
//! sampled from that constant; a pod of a load-driven service carries the sample the service
//! recorded at the last scrape (see [`crate::workload::service`]).
//!
//! ContainerResource metrics: the pod's usage model has one usage per pod, so a container's
//! usage is the pod's times the container's share of the requests of the pod's app containers
//! and sidecars (its request over their sum; an equal share when none has a request). Its
//! request is the container's own (or its limit, by API defaulting). Pods, Object and External metrics read the
//! [`MetricFeed`] at the sync instant (no metrics-server lag).

use super::hpa::metrics_lag::{MetricsServer, UsagePoint};
use super::hpa::pod_metrics::{
    ConditionStatus, MetricSample, PodMetricInput, PodPhase as HpaPodPhase, ReadyCondition,
};
use super::hpa::replica_calculator::MetricError;
use super::hpa::spec::{HpaMetric, MetricResource, ValidHpa};
use super::hpa::{HpaConfig, HpaDecision, HpaState, MetricsView, PodCounts};
use super::metric_feed::{MetricFeed, ServiceRates};
use crate::cluster::ClusterState;
use crate::cluster::pod::{Pod, PodId, PodPhase, pod_is_ready};
use crate::engine::time::SimTime;

pub use crate::cluster::pod::PodSample;

/// The workload an HPA scales (its `scaleTargetRef`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HpaTarget {
    /// A Deployment, by index.
    Deployment(u32),
    /// A StatefulSet, by index.
    StatefulSet(u32),
}

/// What one sync reads of the target: its `/scale` subresource and the pods it owns.
#[derive(Clone, Copy, Debug)]
pub struct TargetScale<'a> {
    /// `spec.replicas` of the target.
    pub replicas: u32,
    /// The target's pods (its `status.replicas` is their count).
    pub pods: &'a [PodId],
}

/// One HPA in the running simulation.
#[derive(Clone, Debug)]
pub struct HorizontalController {
    /// The target workload.
    pub target: HpaTarget,
    /// The validated spec.
    pub spec: ValidHpa,
    /// Controller flags.
    pub config: HpaConfig,
    /// The metrics-server model.
    pub metrics_server: MetricsServer,
    /// Where each metric of `spec` reads its values (same order).
    pub bindings: Vec<MetricBinding>,
    state: HpaState,
    feed_values: Vec<Option<i64>>,
}

/// Where one HPA metric reads its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricBinding {
    /// A Resource metric: the pods' requests and usage.
    Resource,
    /// A ContainerResource metric; `None` if the pod template has no container of that name
    /// (the metric is invalid, as upstream's "container not present in metrics").
    Container(Option<ContainerShare>),
    /// A Pods, Object or External metric: the indices of its series in the [`MetricFeed`]
    /// (none: the metric is invalid).
    Series(Vec<u32>),
}

/// A container's part of its pod, for ContainerResource metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerShare {
    /// The container's request of the metric's resource [milli-units]; `None` if unset.
    pub request_milli: Option<u64>,
    /// The container's share of the pod's usage: `numerator / denominator`.
    pub numerator: u64,
    /// See `numerator` (> 0).
    pub denominator: u64,
}

impl ContainerShare {
    /// The share of `container` among app containers whose requests of the resource are
    /// `requests` (`(name, request [milli-units] if set)`); `None` if no container has that
    /// name.
    pub fn of(container: &str, requests: &[(&str, Option<u64>)]) -> Option<ContainerShare> {
        let (_, request) = requests.iter().find(|(n, _)| *n == container)?;
        let total: u64 = requests.iter().filter_map(|(_, r)| *r).sum();
        Some(if total > 0 {
            ContainerShare {
                request_milli: *request,
                numerator: request.unwrap_or(0),
                denominator: total,
            }
        } else {
            ContainerShare {
                request_milli: *request,
                numerator: 1,
                denominator: requests.len() as u64,
            }
        })
    }

    fn scale(&self, value: u64) -> u64 {
        (u128::from(value) * u128::from(self.numerator) / u128::from(self.denominator.max(1)))
            as u64
    }
}

impl MetricBinding {
    /// The default binding of `metric` before the scenario resolves it: Resource metrics
    /// read the pods; the others are unbound (invalid).
    pub fn unresolved(metric: &HpaMetric) -> MetricBinding {
        match metric {
            HpaMetric::Utilization { .. } | HpaMetric::AverageValue { .. } => {
                MetricBinding::Resource
            }
            HpaMetric::Container { .. } => MetricBinding::Container(None),
            _ => MetricBinding::Series(Vec::new()),
        }
    }
}

impl HorizontalController {
    /// An HPA scaling `target`.
    pub fn new(
        target: HpaTarget,
        spec: ValidHpa,
        config: HpaConfig,
        metrics_server: MetricsServer,
    ) -> Self {
        let bindings = spec.metrics.iter().map(MetricBinding::unresolved).collect();
        HorizontalController {
            target,
            spec,
            config,
            metrics_server,
            bindings,
            state: HpaState::new(),
            feed_values: Vec::new(),
        }
    }

    /// Each metric's result at the last sync (empty if the metrics were not computed).
    pub fn metric_results(&self) -> &[Result<crate::autoscale::hpa::MetricProposal, MetricError>] {
        self.state.metric_results()
    }

    /// One sync at `now`. `samples(id, pod)` gives the recorded sample of a pod whose usage
    /// varies (load-driven, or shaped by the kubelet model: start-up, restarts, leaks), or
    /// `None` for pods whose usage is constant from their bind, which are sampled from that
    /// constant. Custom metrics are read from `feed` (with the request rates of `services`).
    pub fn sync(
        &mut self,
        now: SimTime,
        cluster: &ClusterState,
        dep: TargetScale<'_>,
        samples: impl Fn(PodId, &Pod) -> Option<Option<PodSample>>,
        feed: &mut MetricFeed,
        services: &dyn ServiceRates,
    ) -> HpaDecision {
        let mut view = View {
            now,
            cluster,
            dep,
            server: self.metrics_server,
            samples: &samples,
            bindings: &self.bindings,
            feed,
            services,
            values: std::mem::take(&mut self.feed_values),
        };
        let d = self.state.reconcile_view(
            now.as_ms(),
            dep.replicas as i32,
            &self.spec,
            &self.config,
            &mut view,
        );
        self.feed_values = view.values;
        d
    }
}

/// What one sync reads: the target's pods, and the custom metrics feed.
struct View<'a, F> {
    now: SimTime,
    cluster: &'a ClusterState,
    dep: TargetScale<'a>,
    server: MetricsServer,
    samples: &'a F,
    bindings: &'a [MetricBinding],
    feed: &'a mut MetricFeed,
    services: &'a dyn ServiceRates,
    values: Vec<Option<i64>>,
}

impl<F: Fn(PodId, &Pod) -> Option<Option<PodSample>>> MetricsView for View<'_, F> {
    fn pods(
        &mut self,
        index: usize,
        metric: &HpaMetric,
        out: &mut Vec<PodMetricInput>,
    ) -> Result<(), MetricError> {
        let pod = |id: PodId| &self.cluster.pods[id.0 as usize];
        match (self.bindings.get(index), metric.resource()) {
            (Some(MetricBinding::Resource), Some(resource)) => {
                for &id in self.dep.pods {
                    let p = pod(id);
                    out.push(pod_input(
                        p,
                        resource,
                        self.now,
                        self.server,
                        (self.samples)(id, p),
                    ));
                }
                Ok(())
            }
            (Some(MetricBinding::Container(share)), Some(resource)) => {
                let share = share.ok_or(MetricError::ContainerNotFound)?;
                for &id in self.dep.pods {
                    let p = pod(id);
                    let mut input =
                        pod_input(p, resource, self.now, self.server, (self.samples)(id, p));
                    input.request_milli = share.request_milli;
                    if let Some(s) = &mut input.sample {
                        s.value_milli = share.scale(s.value_milli);
                    }
                    out.push(input);
                }
                Ok(())
            }
            (Some(MetricBinding::Series(series)), None) => {
                let &first = series.first().ok_or(MetricError::MetricUnavailable)?;
                if !self.feed.pod_values_milli(
                    first,
                    self.now.as_ms(),
                    self.dep.pods,
                    self.cluster,
                    self.services,
                    &mut self.values,
                ) {
                    return Err(MetricError::MetricUnavailable);
                }
                for (&id, value) in self.dep.pods.iter().zip(&self.values) {
                    // The pod's phase and Ready condition, without a resource sample.
                    let mut input = pod_input(
                        pod(id),
                        MetricResource::Cpu,
                        self.now,
                        self.server,
                        Some(None),
                    );
                    input.request_milli = None;
                    input.sample = value.map(|v| MetricSample {
                        value_milli: v.max(0) as u64,
                        timestamp_ms: self.now.as_ms(),
                        window_ms: self.server.resolution_ms,
                    });
                    out.push(input);
                }
                Ok(())
            }
            _ => Err(MetricError::MetricUnavailable),
        }
    }

    fn value(&mut self, index: usize, _metric: &HpaMetric) -> Result<i64, MetricError> {
        let Some(MetricBinding::Series(series)) = self.bindings.get(index) else {
            return Err(MetricError::MetricUnavailable);
        };
        // External: the sum over the series that have a value (Object: one series).
        let mut total: Option<i64> = None;
        for &i in series {
            if let Some(v) = self.feed.value_milli(i, self.now.as_ms(), self.services) {
                total = Some(total.unwrap_or(0).saturating_add(v));
            }
        }
        total.ok_or(MetricError::MetricUnavailable)
    }

    fn pod_counts(&mut self) -> PodCounts {
        let ready = self
            .dep
            .pods
            .iter()
            .filter(|&&id| {
                crate::cluster::readiness::pod_is_ready(
                    &self.cluster.pods[id.0 as usize],
                    self.cluster,
                )
            })
            .count();
        PodCounts {
            total: self.dep.pods.len(),
            ready,
        }
    }

    fn status_replicas(&self) -> i32 {
        self.dep.pods.len().min(i32::MAX as usize) as i32
    }
}

/// What the replica calculator sees of one pod.
#[inline]
fn pod_input(
    pod: &Pod,
    resource: MetricResource,
    now: SimTime,
    server: MetricsServer,
    recorded: Option<Option<PodSample>>,
) -> PodMetricInput {
    let now_ms = now.as_ms();
    let running = pod.phase == PodPhase::Running;
    let start = pod.scheduled.as_ms();
    let request = match resource {
        MetricResource::Cpu => pod.requests.cpu_milli,
        MetricResource::Memory => pod.requests.memory_bytes.saturating_mul(1000),
    };
    let sample = if !running {
        None
    } else {
        match recorded {
            Some(recorded) => recorded.map(|s| MetricSample {
                value_milli: match resource {
                    MetricResource::Cpu => s.cpu_milli,
                    MetricResource::Memory => s.memory_bytes.saturating_mul(1000),
                },
                timestamp_ms: s.at.as_ms(),
                window_ms: server.resolution_ms,
            }),
            None => {
                let value = match resource {
                    MetricResource::Cpu => pod.usage.cpu_milli,
                    MetricResource::Memory => pod.usage.memory_bytes.saturating_mul(1000),
                };
                let series = [UsagePoint {
                    from_ms: start,
                    value_milli: value,
                }];
                match resource {
                    MetricResource::Cpu => server.rate_sample(now_ms, start, &series),
                    MetricResource::Memory => server.gauge_sample(now_ms, start, &series),
                }
            }
        }
    };
    PodMetricInput {
        phase: if running {
            HpaPodPhase::Running
        } else {
            HpaPodPhase::Pending
        },
        deleting: false,
        // The Ready condition and when it last changed (pod_is_ready).
        ready: running.then(|| {
            if pod_is_ready(pod, now) {
                ReadyCondition {
                    status: ConditionStatus::True,
                    last_transition_ms: pod.ready_since.as_ms(),
                }
            } else {
                ReadyCondition {
                    status: ConditionStatus::False,
                    last_transition_ms: pod.not_ready_since.min(now).as_ms(),
                }
            }
        }),
        start_time_ms: running.then_some(start),
        request_milli: (request > 0).then_some(request),
        sample,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::node::NodePool;
    use crate::cluster::pod::{PodName, PodTemplate};
    use crate::cluster::resources::Resources;
    use crate::cluster::{ClusterState, NewPod};
    use crate::workload::deployment::DeploymentController;

    #[test]
    fn ready_condition_comes_from_the_kubelet_readiness() {
        let mut c = ClusterState::default();
        let pool = c.add_pool(NodePool::for_tests(Resources::cpu_mem(4000, 8 << 30)));
        let node = c.add_node(pool, "n".into(), None, SimTime::ZERO);
        let t = c.add_template(PodTemplate::default());
        let prefix = c.add_name_prefix("p-");
        let name = PodName {
            prefix,
            ordinal: 0,
            width: 0,
        };
        let pod = c.create_pod(
            NewPod::bare(name, Resources::cpu_mem(500, 1 << 30), t),
            SimTime::ZERO,
        );
        c.bind(pod, node, SimTime(1000));
        let server = MetricsServer::default();
        let now = SimTime(60_000);
        // Ready at bind (no start-up latency): True since the bind.
        let input = pod_input(&c.pods[0], MetricResource::Cpu, now, server, None);
        assert_eq!(
            input.ready,
            Some(ReadyCondition {
                status: ConditionStatus::True,
                last_transition_ms: 1000
            })
        );
        assert_eq!(input.start_time_ms, Some(1000));
        // Not Ready yet (starting, or crashed at 20 s): False since then.
        let p = &mut c.pods[pod.0 as usize];
        p.ready_since = SimTime::NEVER;
        p.not_ready_since = SimTime(20_000);
        let input = pod_input(&c.pods[0], MetricResource::Cpu, now, server, None);
        assert_eq!(
            input.ready,
            Some(ReadyCondition {
                status: ConditionStatus::False,
                last_transition_ms: 20_000
            })
        );
        // Ready again from 40 s.
        let p = &mut c.pods[pod.0 as usize];
        p.ready_since = SimTime(40_000);
        p.not_ready_since = SimTime::NEVER;
        let input = pod_input(&c.pods[0], MetricResource::Cpu, now, server, None);
        assert_eq!(input.ready.map(|r| r.last_transition_ms), Some(40_000));
    }

    #[test]
    fn container_resource_reads_the_container_share() {
        // Pod request 400m (app 300m + proxy 100m), pod usage 200m: app uses 3/4 of it,
        // 150m of its 300m request = 50 %, against a 25 % target → ceil(2 × 2) = 4. A missing
        // container makes the metric invalid; an unbound custom metric too.
        use crate::autoscale::hpa::MetricError;
        use crate::workload::Blueprint;
        let mut c = ClusterState::default();
        let pool = c.add_pool(NodePool::for_tests(Resources::cpu_mem(4000, 8 << 30)));
        let node = c.add_node(pool, "n".into(), None, SimTime::ZERO);
        let template = c.add_template(PodTemplate::default());
        let prefix = c.add_name_prefix("web-");
        let blueprint = Blueprint {
            requests: Resources::cpu_mem(400, 1 << 30),
            limits: Default::default(),
            usage: Resources::cpu_mem(200, 1 << 30),
            priority: 0,
            template,
            prefix,
        };
        let mut dep = DeploymentController::new("web".into(), 0, 2, SimTime::ZERO, blueprint);
        for ordinal in 0..2 {
            let name = PodName {
                prefix,
                ordinal,
                width: 0,
            };
            let mut new = NewPod::bare(name, Resources::cpu_mem(400, 1 << 30), template);
            new.usage = Resources::cpu_mem(200, 1 << 30);
            let pod = c.create_pod(new, SimTime::ZERO);
            c.bind(pod, node, SimTime::ZERO);
            dep.pods.push(pod);
        }
        let spec: crate::autoscale::hpa::HpaSpec = serde_yaml_ng::from_str(
            "maxReplicas: 10\nmetrics:\n\
             - {type: ContainerResource, containerResource: {name: cpu, container: app, target: {type: Utilization, averageUtilization: 25}}}\n\
             - {type: ContainerResource, containerResource: {name: cpu, container: sidecar, target: {type: Utilization, averageUtilization: 25}}}\n\
             - {type: External, external: {metric: {name: q}, target: {type: Value, value: 1}}}",
        )
        .unwrap();
        let mut h = HorizontalController::new(
            HpaTarget::Deployment(0),
            spec.validate("hpa").unwrap(),
            HpaConfig::default(),
            MetricsServer { resolution_ms: 0 },
        );
        h.bindings[0] = MetricBinding::Container(ContainerShare::of(
            "app",
            &[("app", Some(300)), ("proxy", Some(100))],
        ));
        let mut feed = MetricFeed::default();
        let services: Vec<crate::workload::service::Service> = Vec::new();
        let d = h.sync(
            SimTime(10 * 60_000),
            &c,
            TargetScale {
                replicas: dep.replicas,
                pods: &dep.pods,
            },
            |_, _| None,
            &mut feed,
            &services,
        );
        let r = h.metric_results();
        assert_eq!(
            r[0].map(|p| (p.replicas, p.utilization_percent)),
            Ok((4, Some(50)))
        );
        assert_eq!(r[0].map(|p| p.average_milli), Ok(150));
        assert_eq!(r[1], Err(MetricError::ContainerNotFound));
        assert_eq!(r[2], Err(MetricError::MetricUnavailable));
        assert_eq!((d.final_replicas, d.invalid_metrics), (4, 2));
    }
}

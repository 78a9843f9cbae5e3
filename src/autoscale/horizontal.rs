//! The HPA controller as the engine runs it (pkg/controller/podautoscaler/horizontal.go): one
//! [`HorizontalController`] per Deployment with an `hpa` block, synced every sync period
//! (15 s) from the Deployment's creation. Each sync turns the Deployment's pods into
//! [`PodMetricInput`]s, runs the upstream algorithm ([`HpaState::reconcile`]) and returns the
//! decision; the engine sets the Deployment's replicas to its `final_replicas` and logs it to
//! `hpa.csv`.
//!
//! What the HPA sees of the pods: a bound pod is Running from its bind time (its start time);
//! its Ready condition is the kubelet model's ([`pod_is_ready`]; True from the first
//! successful readiness probe, False while starting, crashed or backing off), with
//! `lastTransitionTime` when it last changed. Samples come through the
//! metrics-server model ([`MetricsServer`]): a pod whose usage is constant (no load curve) is
//! sampled from that constant; a pod of a load-driven service carries the sample the service
//! recorded at the last scrape (see [`crate::workload::service`]).

use super::hpa::metrics_lag::{MetricsServer, UsagePoint};
use super::hpa::pod_metrics::{
    ConditionStatus, MetricSample, PodMetricInput, PodPhase as HpaPodPhase, ReadyCondition,
};
use super::hpa::spec::{MetricResource, ValidHpa};
use super::hpa::{HpaConfig, HpaDecision, HpaState};
use crate::cluster::ClusterState;
use crate::cluster::pod::{Pod, PodId, PodPhase, pod_is_ready};
use crate::engine::time::SimTime;
use crate::workload::deployment::DeploymentController;

pub use crate::cluster::pod::PodSample;

/// One HPA in the running simulation.
#[derive(Clone, Debug)]
pub struct HorizontalController {
    /// Index of the target Deployment.
    pub deployment: u32,
    /// The validated spec.
    pub spec: ValidHpa,
    /// Controller flags.
    pub config: HpaConfig,
    /// The metrics-server model.
    pub metrics_server: MetricsServer,
    state: HpaState,
}

impl HorizontalController {
    /// An HPA for Deployment `deployment`.
    pub fn new(
        deployment: u32,
        spec: ValidHpa,
        config: HpaConfig,
        metrics_server: MetricsServer,
    ) -> Self {
        HorizontalController {
            deployment,
            spec,
            config,
            metrics_server,
            state: HpaState::new(),
        }
    }

    /// One sync at `now`. `samples(id, pod)` gives the recorded sample of a pod whose usage
    /// varies (load-driven, or shaped by the kubelet model: start-up, restarts, leaks), or
    /// `None` for pods whose usage is constant from their bind, which are sampled from that
    /// constant.
    pub fn sync(
        &mut self,
        now: SimTime,
        cluster: &ClusterState,
        dep: &DeploymentController,
        samples: impl Fn(PodId, &Pod) -> Option<Option<PodSample>>,
    ) -> HpaDecision {
        let now_ms = now.as_ms();
        let server = self.metrics_server;
        self.state.reconcile(
            now_ms,
            dep.replicas as i32,
            &self.spec,
            &self.config,
            &mut |resource, out| {
                for &id in &dep.pods {
                    let pod = &cluster.pods[id.0 as usize];
                    out.push(pod_input(pod, resource, now, server, samples(id, pod)));
                }
            },
        )
    }
}

/// What the replica calculator sees of one pod.
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
}

//! Scenario wiring of the HPA metrics: the `customMetrics` feed, and where each HPA metric
//! reads its values (its feed series, or its container's share of the pod).

use super::spec::{PodTemplateSpec, ScenarioSpec};
use crate::autoscale::horizontal::{ContainerShare, HorizontalController, MetricBinding};
use crate::autoscale::hpa::spec::{HpaMetric, MetricResource};
use crate::autoscale::metric_feed::MetricFeed;
use crate::engine::rng::{self, Stream};
use crate::error::{Error, Result};
use std::path::Path;

/// Builds the feed of `spec` (files relative to `base`). `service_of(name)` is the service
/// index of a load-driven Deployment.
pub fn build_feed(
    spec: &ScenarioSpec,
    base: &Path,
    seed: u64,
    service_of: &dyn Fn(&str) -> Option<u32>,
) -> Result<MetricFeed> {
    MetricFeed::build(&spec.custom_metrics, base, service_of, &mut |i| {
        rng::stream(seed, Stream::CustomMetric(i as u32))
    })
}

/// The container's share for a ContainerResource metric on `resource`, among the app
/// containers and sidecars of the target's pod template `t` (`None` if none has that name).
pub fn container_share(
    t: &PodTemplateSpec,
    container: &str,
    resource: MetricResource,
) -> Option<ContainerShare> {
    // The containers that run beside each other: app containers and sidecars (restartable
    // init containers).
    let sidecars = t
        .init_containers
        .iter()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    let requests: Vec<(&str, Option<u64>)> = t
        .containers
        .iter()
        .chain(sidecars)
        .map(|c| {
            // API defaulting: an unset request takes the container's limit.
            let r = match resource {
                MetricResource::Cpu => c.requests.cpu.or(c.limits.cpu).map(|q| q.0),
                MetricResource::Memory => c
                    .requests
                    .memory
                    .or(c.limits.memory)
                    .map(|q| q.0.saturating_mul(1000)),
            };
            (c.name.as_str(), r)
        })
        .collect();
    ContainerShare::of(container, &requests)
}

/// Resolves the metrics of `hpa` (the HPA of the Deployment or StatefulSet whose pod template
/// is `t`, at `field`): ContainerResource
/// metrics get their container's share, custom metrics their feed series. A custom metric
/// that no series matches is an error naming the metric.
pub fn bind(
    hpa: &mut HorizontalController,
    t: &PodTemplateSpec,
    feed: &MetricFeed,
    field: &str,
) -> Result<()> {
    for (i, m) in hpa.spec.metrics.iter().enumerate() {
        hpa.bindings[i] = match m {
            HpaMetric::Utilization { .. } | HpaMetric::AverageValue { .. } => {
                MetricBinding::Resource
            }
            HpaMetric::Container {
                resource,
                container,
                ..
            } => MetricBinding::Container(container_share(t, container, *resource)),
            _ => {
                let series = feed.bind(m);
                if series.is_empty() {
                    let what = match m {
                        HpaMetric::Object { object, .. } => {
                            format!(" describing {} {:?}", object.kind, object.name)
                        }
                        _ => String::new(),
                    };
                    return Err(Error::scenario(
                        format!("{field}.metrics[{i}]"),
                        format!(
                            "no `customMetrics` series named {:?}{what} matches this {} metric \
                             (its selector must match the series' labels)",
                            m.name(),
                            m.kind()
                        ),
                    ));
                }
                MetricBinding::Series(series)
            }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_share_follows_the_requests() {
        let d: super::super::spec::DeploymentSpec = serde_yaml_ng::from_str(
            "name: web\nreplicas: 1\ntemplate:\n  containers:\n  \
             - {name: app, requests: {cpu: 300m, memory: 1Gi}}\n  \
             - {name: proxy, requests: {cpu: 100m}}\n  \
             - {name: log, limits: {cpu: 100m}}\n  \
             initContainers:\n  - {name: mesh, restartPolicy: Always, requests: {cpu: 100m}}\n  \
             - {name: setup, requests: {cpu: '2'}}\n",
        )
        .unwrap();
        let s = container_share(&d.template, "app", MetricResource::Cpu).unwrap();
        assert_eq!(
            (s.request_milli, s.numerator, s.denominator),
            (Some(300), 300, 600)
        );
        // A sidecar is a container of the pod too; a plain init container is not.
        assert!(container_share(&d.template, "mesh", MetricResource::Cpu).is_some());
        assert!(container_share(&d.template, "setup", MetricResource::Cpu).is_none());
        // log's request defaults to its limit.
        let s = container_share(&d.template, "log", MetricResource::Cpu).unwrap();
        assert_eq!(s.request_milli, Some(100));
        // memory: only app requests some; proxy's share is 0 and its request unset.
        let s = container_share(&d.template, "proxy", MetricResource::Memory).unwrap();
        assert_eq!((s.request_milli, s.numerator), (None, 0));
        assert!(container_share(&d.template, "nope", MetricResource::Cpu).is_none());
    }
}

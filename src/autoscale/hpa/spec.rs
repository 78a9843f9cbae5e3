//! The HPA block of a scenario, shaped like `autoscaling/v2` `HorizontalPodAutoscalerSpec`
//! (camelCase, unknown fields are errors), and its validation into a [`ValidHpa`] with the
//! upstream defaults applied (`pkg/apis/autoscaling/v2/defaults.go`) and the API's checks
//! (`pkg/apis/autoscaling/validation/validation.go`).
//!
//! ```yaml
//! minReplicas: 2            # default 1
//! maxReplicas: 20
//! metrics:                  # default: cpu averageUtilization 80
//!   - type: Resource
//!     resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
//!   - type: Resource
//!     resource: {name: memory, target: {type: AverageValue, averageValue: 1Gi}}
//! behavior:                 # optional; without it the legacy rules apply
//!   scaleUp: {stabilizationWindowSeconds: 0, selectPolicy: Max,
//!             policies: [{type: Pods, value: 4, periodSeconds: 15}], tolerance: 0.05}
//!   scaleDown: {stabilizationWindowSeconds: 300, policies: [{type: Percent, value: 10, periodSeconds: 60}]}
//! ```
//!
//! The HPA is attached to a workload by the scenario, so there is no `scaleTargetRef`. Besides
//! Resource metrics, `Pods`, `Object`, `External` and `ContainerResource` metrics are accepted
//! in the `autoscaling/v2` shape:
//!
//! ```yaml
//!   - type: Pods
//!     pods: {metric: {name: requests_per_second}, target: {type: AverageValue, averageValue: 50}}
//!   - type: Object
//!     object:
//!       describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: main}
//!       metric: {name: requests_per_second}
//!       target: {type: Value, value: 2k}
//!   - type: External
//!     external: {metric: {name: queue_depth, selector: {matchLabels: {queue: orders}}},
//!                target: {type: AverageValue, averageValue: 30}}
//!   - type: ContainerResource
//!     containerResource: {name: cpu, container: app, target: {type: Utilization, averageUtilization: 60}}
//! ```
//!
//! The values of Pods, Object and External metrics come from the scenario's `customMetrics`
//! feed ([`crate::autoscale::metric_feed`]). `minReplicas: 0` is accepted when at least one
//! metric is Object or External (the `HPAScaleToZero` feature gate taken as enabled).

use super::behavior::{Behavior, PolicyType, ScalingPolicy, ScalingRules, SelectPolicy};
use crate::cluster::quantity::{QuantityScale, parse_quantity};
use crate::error::{Error, Result};
use crate::scenario::values::MilliQuantity;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest `stabilizationWindowSeconds` the API accepts [s].
pub const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;
/// Largest policy `periodSeconds` the API accepts [s].
pub const MAX_PERIOD_SECONDS: i32 = 1800;
/// `autoscaling.DefaultCPUUtilization`: the metric of an HPA that lists none [percent].
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;

/// `HorizontalPodAutoscalerSpec` without `scaleTargetRef`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HpaSpec {
    /// Lower bound of the replica count (default 1; must be >= 1).
    #[serde(default)]
    pub min_replicas: Option<i32>,
    /// Upper bound of the replica count (>= 1 and >= minReplicas).
    pub max_replicas: i32,
    /// Metrics to scale on; the largest proposal wins. Default: cpu at 80 % utilization.
    #[serde(default)]
    pub metrics: Vec<MetricSpec>,
    /// Scaling behavior; absent means the legacy rules (see the `legacy` module).
    #[serde(default)]
    pub behavior: Option<BehaviorSpec>,
}

/// One `MetricSpec`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricSpec {
    /// Metric source type: `Resource`, `Pods`, `Object`, `External` or `ContainerResource`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource metric (required for `type: Resource`).
    #[serde(default)]
    pub resource: Option<ResourceMetricSpec>,
    /// The per-pod metric (required for `type: Pods`).
    #[serde(default)]
    pub pods: Option<PodsMetricSpec>,
    /// The metric of one object (required for `type: Object`).
    #[serde(default)]
    pub object: Option<ObjectMetricSpec>,
    /// The metric from outside the cluster (required for `type: External`).
    #[serde(default)]
    pub external: Option<ExternalMetricSpec>,
    /// The resource metric of one container (required for `type: ContainerResource`).
    #[serde(default)]
    pub container_resource: Option<ContainerResourceMetricSpec>,
}

/// `MetricIdentifier`: a metric name and an optional selector over the metric's labels.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricIdentifierSpec {
    /// Metric name.
    pub name: String,
    /// Selector over the metric series' labels (absent: every series of that name).
    #[serde(default)]
    pub selector: Option<crate::scenario::spec::LabelSelectorSpec>,
}

/// `PodsMetricSource`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodsMetricSpec {
    /// The metric.
    pub metric: MetricIdentifierSpec,
    /// The target (`type: AverageValue` only).
    pub target: MetricTargetSpec,
}

/// `CrossVersionObjectReference`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectReferenceSpec {
    /// API version (e.g. `v1`, `networking.k8s.io/v1`); optional.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Kind (e.g. `Service`, `Ingress`).
    pub kind: String,
    /// Name.
    pub name: String,
}

/// `ObjectMetricSource`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectMetricSpec {
    /// The object the metric describes.
    pub described_object: ObjectReferenceSpec,
    /// The metric.
    pub metric: MetricIdentifierSpec,
    /// The target (`Value` or `AverageValue`).
    pub target: MetricTargetSpec,
}

/// `ExternalMetricSource`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalMetricSpec {
    /// The metric (the values of every matching series are summed).
    pub metric: MetricIdentifierSpec,
    /// The target (`Value` or `AverageValue`).
    pub target: MetricTargetSpec,
}

/// `ContainerResourceMetricSource`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerResourceMetricSpec {
    /// `cpu` or `memory`.
    pub name: String,
    /// Name of the container in the pod template.
    pub container: String,
    /// The target (`Utilization` or `AverageValue`).
    pub target: MetricTargetSpec,
}

/// `ResourceMetricSource`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceMetricSpec {
    /// `cpu` or `memory`.
    pub name: String,
    /// The target.
    pub target: MetricTargetSpec,
}

/// `MetricTarget`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricTargetSpec {
    /// `Utilization` or `AverageValue`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Target utilization [percent of the pods' requests] for `type: Utilization`.
    #[serde(default)]
    pub average_utilization: Option<i32>,
    /// Target average per pod for `type: AverageValue` (a quantity: `500m`, `1Gi`).
    #[serde(default)]
    pub average_value: Option<MilliQuantity>,
    /// Total target (`type: Value`); not valid for Resource metrics.
    #[serde(default)]
    pub value: Option<MilliQuantity>,
}

/// `HorizontalPodAutoscalerBehavior`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BehaviorSpec {
    /// Scale-up rules (unset fields take the defaults).
    #[serde(default)]
    pub scale_up: Option<ScalingRulesSpec>,
    /// Scale-down rules (unset fields take the defaults).
    #[serde(default)]
    pub scale_down: Option<ScalingRulesSpec>,
}

/// `HPAScalingRules`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingRulesSpec {
    /// Stabilization window [s], 0..=3600.
    #[serde(default)]
    pub stabilization_window_seconds: Option<i32>,
    /// `Max` (default), `Min` or `Disabled`.
    #[serde(default)]
    pub select_policy: Option<String>,
    /// Policies (at least one if given).
    #[serde(default)]
    pub policies: Option<Vec<ScalingPolicySpec>>,
    /// Tolerance of this direction (fraction >= 0, e.g. `0.05` or `"50m"`).
    #[serde(default)]
    pub tolerance: Option<Tolerance>,
}

/// `HPAScalingPolicy`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingPolicySpec {
    /// `Pods` or `Percent`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Amount of change allowed per period (> 0).
    pub value: i32,
    /// Period [s], 1..=1800.
    pub period_seconds: i32,
}

/// A tolerance: a YAML number (`0.05`) or a Kubernetes quantity string (`"50m"`), as a
/// fraction (the API field is a quantity, read with `AsApproximateFloat64`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance(pub f64);

fn parse_tolerance(text: &str) -> std::result::Result<f64, String> {
    let t = text.trim();
    if let Ok(v) = t.parse::<f64>() {
        return Ok(v);
    }
    parse_quantity(t, QuantityScale::Milli)
        .map(|milli| milli as f64 / 1000.0)
        .map_err(|e| format!("invalid tolerance: {e}"))
}

impl<'de> Deserialize<'de> for Tolerance {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Tolerance;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a tolerance such as 0.05 or \"50m\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Tolerance, E> {
                Ok(Tolerance(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Tolerance, E> {
                Ok(Tolerance(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Tolerance, E> {
                Ok(Tolerance(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Tolerance, E> {
                parse_tolerance(v).map(Tolerance).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// The resource of a Resource metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetricResource {
    /// cpu (millicores); the cpu readiness rules apply.
    Cpu,
    /// memory (thousandths of a byte, as `MilliValue()`).
    Memory,
}

impl MetricResource {
    /// `cpu` or `memory`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricResource::Cpu => "cpu",
            MetricResource::Memory => "memory",
        }
    }
}

/// A validated metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HpaMetric {
    /// Resource metric with a Utilization target.
    Utilization {
        /// cpu or memory.
        resource: MetricResource,
        /// Target [percent of the request, > 0].
        target_percent: i32,
    },
    /// Resource metric with an AverageValue target.
    AverageValue {
        /// cpu or memory.
        resource: MetricResource,
        /// Target per pod [milli-units: millicores, or thousandths of a byte].
        target_milli: i64,
    },
    /// ContainerResource metric: the resource of one named container, with a Utilization
    /// (`target_percent`) or an AverageValue (`target_milli`) target.
    Container {
        /// cpu or memory.
        resource: MetricResource,
        /// Container name.
        container: String,
        /// The target.
        target: ResourceTarget,
    },
    /// Pods metric (AverageValue target).
    Pods {
        /// The metric.
        metric: MetricId,
        /// Target per pod [milli-units].
        target_milli: i64,
    },
    /// Object metric.
    Object {
        /// The described object.
        object: ObjectRef,
        /// The metric.
        metric: MetricId,
        /// The target.
        target: ValueTarget,
    },
    /// External metric.
    External {
        /// The metric.
        metric: MetricId,
        /// The target.
        target: ValueTarget,
    },
}

/// The target of a ContainerResource metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceTarget {
    /// Target utilization [percent of the container's request, > 0].
    Utilization(i32),
    /// Target average per pod [milli-units].
    AverageValue(i64),
}

/// The target of an Object or External metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueTarget {
    /// The whole metric's target [milli-units, > 0].
    Value(i64),
    /// The metric divided by the current replica count [milli-units per pod, > 0].
    AverageValue(i64),
}

/// A metric name with its label selector (`MetricIdentifier`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricId {
    /// Metric name.
    pub name: String,
    /// The selector over the series' labels; `None` matches every series.
    pub selector: Option<MetricSelector>,
}

/// A validated label selector over a metric series' labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricSelector {
    /// `matchLabels`.
    pub match_labels: Vec<(String, String)>,
    /// `matchExpressions`: key, operator (`In`, `NotIn`, `Exists`, `DoesNotExist`), values.
    pub match_expressions: Vec<(String, String, Vec<String>)>,
}

impl MetricSelector {
    /// True if a series with `labels` is selected (`LabelSelectorAsSelector` semantics: every
    /// label and every requirement must hold).
    pub fn matches(&self, labels: &std::collections::BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|(k, op, values)| {
                let got = labels.get(k);
                match op.as_str() {
                    "In" => got.is_some_and(|g| values.contains(g)),
                    "NotIn" => got.is_none_or(|g| !values.contains(g)),
                    "Exists" => got.is_some(),
                    _ => got.is_none(),
                }
            })
    }
}

/// The object of an Object metric (`CrossVersionObjectReference`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    /// API version (`None`: any).
    pub api_version: Option<String>,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
}

impl HpaMetric {
    /// The resource of a Resource or ContainerResource metric (`None` for the others).
    pub fn resource(&self) -> Option<MetricResource> {
        match *self {
            HpaMetric::Utilization { resource, .. }
            | HpaMetric::AverageValue { resource, .. }
            | HpaMetric::Container { resource, .. } => Some(resource),
            _ => None,
        }
    }

    /// The metric source type as in the API (`Resource`, `Pods`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            HpaMetric::Utilization { .. } | HpaMetric::AverageValue { .. } => "Resource",
            HpaMetric::Container { .. } => "ContainerResource",
            HpaMetric::Pods { .. } => "Pods",
            HpaMetric::Object { .. } => "Object",
            HpaMetric::External { .. } => "External",
        }
    }

    /// The metric's name: the resource (`cpu`, `memory`), or the custom metric's name.
    pub fn name(&self) -> &str {
        match self {
            HpaMetric::Utilization { resource, .. }
            | HpaMetric::AverageValue { resource, .. }
            | HpaMetric::Container { resource, .. } => resource.as_str(),
            HpaMetric::Pods { metric, .. }
            | HpaMetric::Object { metric, .. }
            | HpaMetric::External { metric, .. } => &metric.name,
        }
    }

    /// The target as `<type>:<value>` for logs (`Utilization:70`, `AverageValue:0.5`,
    /// `Value:2000`; values in the metric's units).
    pub fn target_label(&self) -> String {
        let units = |milli: i64| milli as f64 / 1000.0;
        match self {
            HpaMetric::Utilization { target_percent, .. }
            | HpaMetric::Container {
                target: ResourceTarget::Utilization(target_percent),
                ..
            } => format!("Utilization:{target_percent}"),
            HpaMetric::AverageValue { target_milli, .. }
            | HpaMetric::Pods { target_milli, .. }
            | HpaMetric::Container {
                target: ResourceTarget::AverageValue(target_milli),
                ..
            }
            | HpaMetric::Object {
                target: ValueTarget::AverageValue(target_milli),
                ..
            }
            | HpaMetric::External {
                target: ValueTarget::AverageValue(target_milli),
                ..
            } => format!("AverageValue:{}", units(*target_milli)),
            HpaMetric::Object {
                target: ValueTarget::Value(v),
                ..
            }
            | HpaMetric::External {
                target: ValueTarget::Value(v),
                ..
            } => format!("Value:{}", units(*v)),
        }
    }

    /// Object and External metrics (the only ones that allow `minReplicas: 0`).
    pub fn allows_scale_to_zero(&self) -> bool {
        matches!(self, HpaMetric::Object { .. } | HpaMetric::External { .. })
    }
}

/// A validated HPA spec with the defaults applied.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidHpa {
    /// `minReplicas` (>= 1).
    pub min_replicas: i32,
    /// `maxReplicas` (>= min_replicas).
    pub max_replicas: i32,
    /// The metrics (at least one).
    pub metrics: Vec<HpaMetric>,
    /// The behavior with every unset field defaulted; `None` for the legacy rules.
    pub behavior: Option<Behavior>,
}

fn err(field: String, message: impl Into<String>) -> Error {
    Error::scenario(field, message)
}

impl HpaSpec {
    /// Checks the spec and applies the defaults. `path` is the field path of the HPA block in
    /// the scenario (e.g. `deployments[0].hpa`); errors name the offending field under it.
    pub fn validate(&self, path: &str) -> Result<ValidHpa> {
        let min_replicas = self.min_replicas.unwrap_or(1);
        // validation.go: 0 only with HPAScaleToZero and an Object or External metric.
        if min_replicas < 0 {
            return Err(err(
                format!("{path}.minReplicas"),
                format!(
                    "{min_replicas} must be greater than or equal to 1 (or 0 with an Object or External metric)"
                ),
            ));
        }
        if self.max_replicas < 1 {
            return Err(err(
                format!("{path}.maxReplicas"),
                format!("{} must be greater than 0", self.max_replicas),
            ));
        }
        if self.max_replicas < min_replicas {
            return Err(err(
                format!("{path}.maxReplicas"),
                format!(
                    "{} must be greater than or equal to minReplicas ({min_replicas})",
                    self.max_replicas
                ),
            ));
        }
        let mut metrics = Vec::with_capacity(self.metrics.len().max(1));
        for (i, m) in self.metrics.iter().enumerate() {
            metrics.push(validate_metric(m, &format!("{path}.metrics[{i}]"))?);
        }
        if metrics.is_empty() {
            metrics.push(HpaMetric::Utilization {
                resource: MetricResource::Cpu,
                target_percent: DEFAULT_CPU_UTILIZATION,
            });
        }
        if min_replicas == 0 && !metrics.iter().any(HpaMetric::allows_scale_to_zero) {
            return Err(err(
                format!("{path}.minReplicas"),
                "0 must be greater than or equal to 1: scaling to zero replicas needs at least \
                 one Object or External metric",
            ));
        }
        let behavior = match &self.behavior {
            None => None,
            Some(b) => Some(Behavior {
                scale_up: validate_rules(
                    b.scale_up.as_ref(),
                    ScalingRules::default_scale_up(),
                    &format!("{path}.behavior.scaleUp"),
                )?,
                scale_down: validate_rules(
                    b.scale_down.as_ref(),
                    ScalingRules::default_scale_down(),
                    &format!("{path}.behavior.scaleDown"),
                )?,
            }),
        };
        Ok(ValidHpa {
            min_replicas,
            max_replicas: self.max_replicas,
            metrics,
            behavior,
        })
    }
}

fn resource_of(name: &str, field: String) -> Result<MetricResource> {
    match name {
        "cpu" => Ok(MetricResource::Cpu),
        "memory" => Ok(MetricResource::Memory),
        other => Err(err(
            field,
            format!("unsupported resource {other:?}; expected cpu or memory"),
        )),
    }
}

fn validate_metric(m: &MetricSpec, path: &str) -> Result<HpaMetric> {
    // validateMetricSpec: the source of the given type must be set, and no other.
    let sources = [
        ("Resource", "resource", m.resource.is_some()),
        ("Pods", "pods", m.pods.is_some()),
        ("Object", "object", m.object.is_some()),
        ("External", "external", m.external.is_some()),
        (
            "ContainerResource",
            "containerResource",
            m.container_resource.is_some(),
        ),
    ];
    let Some(&(_, field, present)) = sources.iter().find(|(k, _, _)| *k == m.kind) else {
        return Err(err(
            format!("{path}.type"),
            format!(
                "unknown metric type {:?}; expected Resource, Pods, Object, External or \
                 ContainerResource",
                m.kind
            ),
        ));
    };
    if !present {
        return Err(err(
            format!("{path}.{field}"),
            format!(
                "required for type {} (must populate information for the given metric source)",
                m.kind
            ),
        ));
    }
    if let Some((_, other, _)) = sources.iter().find(|(k, _, p)| *p && *k != m.kind) {
        return Err(err(
            format!("{path}.{other}"),
            format!(
                "must populate the given metric source only (type is {})",
                m.kind
            ),
        ));
    }
    match m.kind.as_str() {
        "Resource" => {
            let r = m.resource.as_ref().expect("checked above");
            let resource = resource_of(&r.name, format!("{path}.resource.name"))?;
            Ok(
                match resource_target(&r.target, &format!("{path}.resource.target"))? {
                    ResourceTarget::Utilization(target_percent) => HpaMetric::Utilization {
                        resource,
                        target_percent,
                    },
                    ResourceTarget::AverageValue(target_milli) => HpaMetric::AverageValue {
                        resource,
                        target_milli,
                    },
                },
            )
        }
        "ContainerResource" => {
            let c = m.container_resource.as_ref().expect("checked above");
            let cpath = format!("{path}.containerResource");
            let resource = resource_of(&c.name, format!("{cpath}.name"))?;
            if c.container.is_empty() {
                return Err(err(
                    format!("{cpath}.container"),
                    "must specify a container",
                ));
            }
            Ok(HpaMetric::Container {
                resource,
                container: c.container.clone(),
                target: resource_target(&c.target, &format!("{cpath}.target"))?,
            })
        }
        "Pods" => {
            let p = m.pods.as_ref().expect("checked above");
            let ppath = format!("{path}.pods");
            let metric = metric_id(&p.metric, &format!("{ppath}.metric"))?;
            let tpath = format!("{ppath}.target");
            if p.target.kind != "AverageValue" {
                return Err(err(
                    format!("{tpath}.type"),
                    format!(
                        "{:?} is not valid for a Pods metric; expected AverageValue",
                        p.target.kind
                    ),
                ));
            }
            let ValueTarget::AverageValue(target_milli) = value_target(&p.target, &tpath)? else {
                unreachable!("type is AverageValue")
            };
            Ok(HpaMetric::Pods {
                metric,
                target_milli,
            })
        }
        "Object" => {
            let o = m.object.as_ref().expect("checked above");
            let opath = format!("{path}.object");
            let d = &o.described_object;
            if d.kind.is_empty() || d.name.is_empty() {
                return Err(err(
                    format!("{opath}.describedObject"),
                    "kind and name must not be empty",
                ));
            }
            Ok(HpaMetric::Object {
                object: ObjectRef {
                    api_version: d.api_version.clone(),
                    kind: d.kind.clone(),
                    name: d.name.clone(),
                },
                metric: metric_id(&o.metric, &format!("{opath}.metric"))?,
                target: value_target(&o.target, &format!("{opath}.target"))?,
            })
        }
        _ => {
            let e = m.external.as_ref().expect("checked above");
            let epath = format!("{path}.external");
            Ok(HpaMetric::External {
                metric: metric_id(&e.metric, &format!("{epath}.metric"))?,
                target: value_target(&e.target, &format!("{epath}.target"))?,
            })
        }
    }
}

fn metric_id(m: &MetricIdentifierSpec, path: &str) -> Result<MetricId> {
    if m.name.is_empty() {
        return Err(err(format!("{path}.name"), "must not be empty"));
    }
    let selector = match &m.selector {
        None => None,
        Some(sel) => {
            let mut out = MetricSelector {
                match_labels: sel
                    .match_labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                match_expressions: Vec::new(),
            };
            crate::scenario::build::validate_selector(sel, &format!("{path}.selector"))?;
            for r in &sel.match_expressions {
                out.match_expressions
                    .push((r.key.clone(), r.operator.clone(), r.values.clone()));
            }
            Some(out)
        }
    };
    Ok(MetricId {
        name: m.name.clone(),
        selector,
    })
}

fn positive_milli(v: MilliQuantity, field: String) -> Result<i64> {
    if v.0 == 0 || v.0 > i64::MAX as u64 {
        return Err(err(field, "must be a positive quantity"));
    }
    Ok(v.0 as i64)
}

/// The target of an Object or External metric: `Value` with `value`, or `AverageValue` with
/// `averageValue` (validateMetricTarget).
fn value_target(t: &MetricTargetSpec, tpath: &str) -> Result<ValueTarget> {
    if t.average_utilization.is_some() {
        return Err(err(
            format!("{tpath}.averageUtilization"),
            "only a Resource or ContainerResource metric takes averageUtilization",
        ));
    }
    match t.kind.as_str() {
        "Value" => {
            if t.average_value.is_some() {
                return Err(err(
                    format!("{tpath}.averageValue"),
                    "may not be set with type Value (use value)",
                ));
            }
            let Some(v) = t.value else {
                return Err(err(
                    format!("{tpath}.value"),
                    "required for type Value (a quantity, e.g. 100 or \"1500m\")",
                ));
            };
            Ok(ValueTarget::Value(positive_milli(
                v,
                format!("{tpath}.value"),
            )?))
        }
        "AverageValue" => {
            if t.value.is_some() {
                return Err(err(
                    format!("{tpath}.value"),
                    "may not be set with type AverageValue (use averageValue)",
                ));
            }
            let Some(v) = t.average_value else {
                return Err(err(
                    format!("{tpath}.averageValue"),
                    "required for type AverageValue (a quantity per pod, e.g. 30 or \"500m\")",
                ));
            };
            Ok(ValueTarget::AverageValue(positive_milli(
                v,
                format!("{tpath}.averageValue"),
            )?))
        }
        other => Err(err(
            format!("{tpath}.type"),
            format!("unknown target type {other:?}; expected Value or AverageValue"),
        )),
    }
}

/// The target of a Resource or ContainerResource metric.
fn resource_target(t: &MetricTargetSpec, tpath: &str) -> Result<ResourceTarget> {
    if t.value.is_some() {
        return Err(err(
            format!("{tpath}.value"),
            "a Resource metric takes averageUtilization or averageValue, not value",
        ));
    }
    match t.kind.as_str() {
        "Utilization" => {
            if t.average_value.is_some() {
                return Err(err(
                    format!("{tpath}.averageValue"),
                    "may not be set with type Utilization (use averageUtilization)",
                ));
            }
            let Some(target_percent) = t.average_utilization else {
                return Err(err(
                    format!("{tpath}.averageUtilization"),
                    "required for type Utilization (a percentage of the request, e.g. 70)",
                ));
            };
            if target_percent <= 0 {
                return Err(err(
                    format!("{tpath}.averageUtilization"),
                    format!("{target_percent} must be greater than 0"),
                ));
            }
            Ok(ResourceTarget::Utilization(target_percent))
        }
        "AverageValue" => {
            if t.average_utilization.is_some() {
                return Err(err(
                    format!("{tpath}.averageUtilization"),
                    "may not be set with type AverageValue (use averageValue)",
                ));
            }
            let Some(v) = t.average_value else {
                return Err(err(
                    format!("{tpath}.averageValue"),
                    "required for type AverageValue (a quantity per pod, e.g. \"500m\" or \"1Gi\")",
                ));
            };
            Ok(ResourceTarget::AverageValue(positive_milli(
                v,
                format!("{tpath}.averageValue"),
            )?))
        }
        "Value" => Err(err(
            format!("{tpath}.type"),
            "type Value is not valid for a Resource metric; expected Utilization or AverageValue",
        )),
        other => Err(err(
            format!("{tpath}.type"),
            format!("unknown target type {other:?}; expected Utilization or AverageValue"),
        )),
    }
}

/// `GenerateHPAScale{Up,Down}Rules` plus `validateScalingRules`: fields set in `spec`
/// replace those of `defaults`.
fn validate_rules(
    spec: Option<&ScalingRulesSpec>,
    mut rules: ScalingRules,
    path: &str,
) -> Result<ScalingRules> {
    let Some(s) = spec else {
        return Ok(rules);
    };
    if let Some(w) = s.stabilization_window_seconds {
        if !(0..=MAX_STABILIZATION_WINDOW_SECONDS).contains(&w) {
            return Err(err(
                format!("{path}.stabilizationWindowSeconds"),
                format!("{w} must be between 0 and {MAX_STABILIZATION_WINDOW_SECONDS}"),
            ));
        }
        rules.stabilization_window_seconds = Some(w);
    }
    if let Some(p) = &s.select_policy {
        rules.select_policy = match p.as_str() {
            "Max" => SelectPolicy::Max,
            "Min" => SelectPolicy::Min,
            "Disabled" => SelectPolicy::Disabled,
            other => {
                return Err(err(
                    format!("{path}.selectPolicy"),
                    format!("unsupported value {other:?}; expected Max, Min or Disabled"),
                ));
            }
        };
    }
    if let Some(policies) = &s.policies {
        if policies.is_empty() {
            return Err(err(
                format!("{path}.policies"),
                "must specify at least one policy (or leave the field out for the defaults)",
            ));
        }
        let mut out = Vec::with_capacity(policies.len());
        for (i, p) in policies.iter().enumerate() {
            let ppath = format!("{path}.policies[{i}]");
            let kind = match p.kind.as_str() {
                "Pods" => PolicyType::Pods,
                "Percent" => PolicyType::Percent,
                other => {
                    return Err(err(
                        format!("{ppath}.type"),
                        format!("unsupported value {other:?}; expected Pods or Percent"),
                    ));
                }
            };
            if p.value <= 0 {
                return Err(err(
                    format!("{ppath}.value"),
                    format!("{} must be greater than zero", p.value),
                ));
            }
            if !(1..=MAX_PERIOD_SECONDS).contains(&p.period_seconds) {
                return Err(err(
                    format!("{ppath}.periodSeconds"),
                    format!(
                        "{} must be between 1 and {MAX_PERIOD_SECONDS}",
                        p.period_seconds
                    ),
                ));
            }
            out.push(ScalingPolicy {
                kind,
                value: p.value,
                period_seconds: p.period_seconds,
            });
        }
        rules.policies = out;
    }
    if let Some(Tolerance(t)) = s.tolerance {
        if !(t.is_finite() && t >= 0.0) {
            return Err(err(
                format!("{path}.tolerance"),
                format!("{t} must be a number >= 0"),
            ));
        }
        rules.tolerance = Some(t);
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> std::result::Result<HpaSpec, String> {
        serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
    }

    fn validate(yaml: &str) -> std::result::Result<ValidHpa, String> {
        parse(yaml)?
            .validate("deployments[0].hpa")
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_cpu_80_and_no_behavior() {
        let v = validate("maxReplicas: 10").unwrap();
        assert_eq!(v.min_replicas, 1);
        assert_eq!(
            v.metrics,
            vec![HpaMetric::Utilization {
                resource: MetricResource::Cpu,
                target_percent: 80
            }]
        );
        assert_eq!(v.behavior, None);
    }

    #[test]
    fn full_spec() {
        let v = validate(
            r#"
minReplicas: 2
maxReplicas: 20
metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
  - type: Resource
    resource: {name: memory, target: {type: AverageValue, averageValue: 1Gi}}
behavior:
  scaleUp: {selectPolicy: Min, tolerance: 0.05}
  scaleDown:
    stabilizationWindowSeconds: 60
    policies: [{type: Pods, value: 2, periodSeconds: 30}]
    tolerance: "50m"
"#,
        )
        .unwrap();
        assert_eq!(v.min_replicas, 2);
        assert_eq!(
            v.metrics[1],
            HpaMetric::AverageValue {
                resource: MetricResource::Memory,
                target_milli: (1i64 << 30) * 1000
            }
        );
        let b = v.behavior.unwrap();
        // Unset fields keep their defaults, field by field.
        assert_eq!(b.scale_up.select_policy, SelectPolicy::Min);
        assert_eq!(
            b.scale_up.policies,
            ScalingRules::default_scale_up().policies
        );
        assert_eq!(b.scale_up.stabilization_window_seconds, Some(0));
        assert_eq!(b.scale_up.tolerance, Some(0.05));
        assert_eq!(b.scale_down.stabilization_window_seconds, Some(60));
        assert_eq!(b.scale_down.select_policy, SelectPolicy::Max);
        assert_eq!(b.scale_down.policies.len(), 1);
        assert_eq!(b.scale_down.tolerance, Some(0.05));
    }

    #[test]
    fn custom_metric_types() {
        let v = validate(
            r#"
minReplicas: 0
maxReplicas: 20
metrics:
  - type: Pods
    pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: 50}}
  - type: Object
    object:
      describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: main}
      metric: {name: rps}
      target: {type: Value, value: 2k}
  - type: External
    external:
      metric: {name: queue, selector: {matchLabels: {queue: orders}, matchExpressions: [{key: region, operator: In, values: [eu]}]}}
      target: {type: AverageValue, averageValue: 500m}
  - type: ContainerResource
    containerResource: {name: memory, container: app, target: {type: AverageValue, averageValue: 1Ki}}
"#,
        )
        .unwrap();
        assert_eq!(v.min_replicas, 0);
        assert_eq!(
            v.metrics[0],
            HpaMetric::Pods {
                metric: MetricId {
                    name: "rps".into(),
                    selector: None
                },
                target_milli: 50_000
            }
        );
        let HpaMetric::Object { object, target, .. } = &v.metrics[1] else {
            panic!("{:?}", v.metrics[1])
        };
        assert_eq!(
            (object.kind.as_str(), *target),
            ("Ingress", ValueTarget::Value(2_000_000))
        );
        let HpaMetric::External { metric, target } = &v.metrics[2] else {
            panic!()
        };
        assert_eq!(*target, ValueTarget::AverageValue(500));
        let sel = metric.selector.as_ref().unwrap();
        let labels = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        assert!(sel.matches(&labels(&[("queue", "orders"), ("region", "eu")])));
        assert!(!sel.matches(&labels(&[("queue", "orders"), ("region", "us")])));
        assert!(!sel.matches(&labels(&[("region", "eu")])));
        assert_eq!(
            v.metrics[3],
            HpaMetric::Container {
                resource: MetricResource::Memory,
                container: "app".into(),
                target: ResourceTarget::AverageValue(1024 * 1000)
            }
        );
        assert_eq!(v.metrics[3].kind(), "ContainerResource");
        assert_eq!(v.metrics[2].target_label(), "AverageValue:0.5");
        assert_eq!(v.metrics[1].target_label(), "Value:2000");
    }

    #[test]
    fn empty_behavior_takes_all_defaults() {
        let v = validate("maxReplicas: 5\nbehavior: {}").unwrap();
        assert_eq!(v.behavior, Some(Behavior::default()));
    }

    #[test]
    fn clear_errors() {
        let cases = [
            ("maxReplicas: 0", "deployments[0].hpa.maxReplicas"),
            ("minReplicas: 3\nmaxReplicas: 2", "minReplicas (3)"),
            (
                "minReplicas: 0\nmaxReplicas: 2",
                "deployments[0].hpa.minReplicas",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: Pods}]",
                "deployments[0].hpa.metrics[0].pods`: required for type Pods",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: Foo}]",
                "unknown metric type \"Foo\"",
            ),
            (
                "minReplicas: 0\nmaxReplicas: 2",
                "at least one Object or External metric",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: Pods, pods: {metric: {name: rps}, target: {type: Value, value: 3}}}]",
                "expected AverageValue",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: External, external: {metric: {name: q}, target: {type: Value, averageValue: 3}}}]",
                "external.target.averageValue",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: External, external: {metric: {name: q}, target: {type: Utilization, averageUtilization: 3}}}]",
                "only a Resource or ContainerResource",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 5}}, external: {metric: {name: q}, target: {type: Value, value: 3}}}]",
                "metrics[0].external`: must populate the given metric source only",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: ContainerResource, containerResource: {name: cpu, container: \"\", target: {type: Utilization, averageUtilization: 5}}}]",
                "containerResource.container",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: Object, object: {describedObject: {kind: Service, name: web}, metric: {name: q, selector: {matchExpressions: [{key: a, operator: Near}]}}, target: {type: Value, value: 3}}}]",
                "selector.matchExpressions[0].operator",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: Resource}]",
                "deployments[0].hpa.metrics[0].resource",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: Resource, resource: {name: gpu, target: {type: Utilization, averageUtilization: 5}}}]",
                "expected cpu or memory",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization}}}]",
                "averageUtilization`: required",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 0}}}]",
                "must be greater than 0",
            ),
            (
                "maxReplicas: 2\nmetrics: [{type: Resource, resource: {name: cpu, target: {type: AverageValue, averageValue: 0}}}]",
                "positive quantity",
            ),
            (
                "maxReplicas: 2\nbehavior: {scaleUp: {selectPolicy: Biggest}}",
                "behavior.scaleUp.selectPolicy",
            ),
            (
                "maxReplicas: 2\nbehavior: {scaleDown: {policies: []}}",
                "at least one policy",
            ),
            (
                "maxReplicas: 2\nbehavior: {scaleDown: {policies: [{type: Pods, value: 1, periodSeconds: 1801}]}}",
                "behavior.scaleDown.policies[0].periodSeconds",
            ),
            (
                "maxReplicas: 2\nbehavior: {scaleDown: {stabilizationWindowSeconds: 3601}}",
                "between 0 and 3600",
            ),
            (
                "maxReplicas: 2\nbehavior: {scaleUp: {tolerance: -0.1}}",
                "behavior.scaleUp.tolerance",
            ),
        ];
        for (yaml, want) in cases {
            let got = validate(yaml).unwrap_err();
            assert!(got.contains(want), "{yaml}: {got}");
        }
        // Unknown fields are rejected while parsing.
        assert!(parse("maxReplicas: 2\nscaleTargetRef: {}").is_err());
        assert!(parse("maxReplicas: 2\nbehavior: {scaleUp: {window: 3}}").is_err());
    }
}

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
//! The HPA is attached to a workload by the scenario, so there is no `scaleTargetRef`. Only
//! Resource metrics (cpu, memory) are supported: the simulator produces no custom, object or
//! external metrics.

use super::behavior::{Behavior, PolicyType, ScalingPolicy, ScalingRules, SelectPolicy};
use crate::cluster::quantity::{QuantityScale, parse_quantity};
use crate::error::{Error, Result};
use crate::scenario::values::MilliQuantity;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// Largest `stabilizationWindowSeconds` the API accepts [s].
pub const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;
/// Largest policy `periodSeconds` the API accepts [s].
pub const MAX_PERIOD_SECONDS: i32 = 1800;
/// `autoscaling.DefaultCPUUtilization`: the metric of an HPA that lists none [percent].
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;

/// `HorizontalPodAutoscalerSpec` without `scaleTargetRef`.
#[derive(Clone, Debug, Deserialize)]
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
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricSpec {
    /// Metric source type; only `Resource` is supported.
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource metric (required for `type: Resource`).
    #[serde(default)]
    pub resource: Option<ResourceMetricSpec>,
}

/// `ResourceMetricSource`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceMetricSpec {
    /// `cpu` or `memory`.
    pub name: String,
    /// The target.
    pub target: MetricTargetSpec,
}

/// `MetricTarget`.
#[derive(Clone, Debug, Deserialize)]
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
#[derive(Clone, Debug, Default, Deserialize)]
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
#[derive(Clone, Debug, Default, Deserialize)]
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
#[derive(Clone, Debug, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

impl HpaMetric {
    /// The metric's resource.
    pub fn resource(&self) -> MetricResource {
        match *self {
            HpaMetric::Utilization { resource, .. } | HpaMetric::AverageValue { resource, .. } => {
                resource
            }
        }
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
        if min_replicas < 1 {
            return Err(err(
                format!("{path}.minReplicas"),
                format!("{min_replicas} must be greater than or equal to 1"),
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

fn validate_metric(m: &MetricSpec, path: &str) -> Result<HpaMetric> {
    if m.kind != "Resource" {
        let msg = match m.kind.as_str() {
            "Pods" | "Object" | "External" | "ContainerResource" => format!(
                "metric type {:?} is not supported (the simulator has no such metrics); expected Resource",
                m.kind
            ),
            other => format!("unknown metric type {other:?}; expected Resource"),
        };
        return Err(err(format!("{path}.type"), msg));
    }
    let Some(r) = &m.resource else {
        return Err(err(
            format!("{path}.resource"),
            "required for type Resource: {name: cpu|memory, target: {...}}",
        ));
    };
    let resource = match r.name.as_str() {
        "cpu" => MetricResource::Cpu,
        "memory" => MetricResource::Memory,
        other => {
            return Err(err(
                format!("{path}.resource.name"),
                format!("unsupported resource {other:?}; expected cpu or memory"),
            ));
        }
    };
    let t = &r.target;
    let tpath = format!("{path}.resource.target");
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
            Ok(HpaMetric::Utilization {
                resource,
                target_percent,
            })
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
            if v.0 == 0 || v.0 > i64::MAX as u64 {
                return Err(err(
                    format!("{tpath}.averageValue"),
                    "must be a positive quantity",
                ));
            }
            Ok(HpaMetric::AverageValue {
                resource,
                target_milli: v.0 as i64,
            })
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
                "metric type \"Pods\" is not supported",
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

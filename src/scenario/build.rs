//! Validation of a scenario spec and construction of the [`Simulation`] it describes.

use super::Scenario;
use super::spec::{
    DeploymentSpec, IntOrString, LabelSelectorSpec, NodeSelectorTermSpec, PodAffinityTermSpec,
    PodDisruptionBudgetSpec, PodTemplateSpec, ResourceListSpec, ScenarioSpec, TaintSpec,
    TolerationSpec, TopologySpreadConstraintSpec,
};
use crate::cluster::ClusterState;
use crate::cluster::affinity::{NodeAffinity, Requirement, SelectorOperator};
use crate::cluster::catalog;
use crate::cluster::labels::{Labels, Taint, TaintEffect, Toleration, TolerationOperator};
use crate::cluster::node::NodePool;
use crate::cluster::pod::{Limits, PodTemplate, PreemptionPolicy};
use crate::cluster::pod_affinity::{
    InclusionPolicy, LabelSelector, PodAffinity, PodAffinityTerm, SpreadConstraint,
    WeightedPodAffinityTerm, WhenUnsatisfiable,
};
use crate::cluster::resources::{DEFAULT_MAX_PODS, Resources};
use crate::disruption::kubelet::{CrashModel, Kubelet, KubeletProfile, RestartPolicy};
use crate::disruption::pdb::{Budget, IntOrPercent, PodDisruptionBudget};
use crate::engine::rng::{self, Stream};
use crate::engine::time::SimTime;
use crate::engine::{Simulation, SourceSlot};
use crate::error::{Error, Result};
use crate::scheduler::Registry;
use crate::workload::deployment::DeploymentController;
use crate::workload::job::JobController;
use crate::workload::synthetic::{PoissonGenerator, Shape};
use crate::workload::{Blueprint, WorkloadSource, alibaba, limits_below_requests, trace};
use std::collections::{BTreeMap, BTreeSet};

mod named_nodes;

/// Most `timeseries.csv` rows a run may produce (duration / sampleInterval).
pub const MAX_SAMPLES: u64 = 10_000_000;
/// Most nodes one pool may have.
pub const MAX_NODES_PER_POOL: u32 = 1_000_000;
/// Most pods one Deployment or Job may create at once.
pub const MAX_PODS_AT_ONCE: u32 = 10_000_000;

/// Trace formats accepted in `traces[].format`.
pub const TRACE_FORMATS: &[&str] = &["kubesim", "alibaba-openb"];
/// Node list formats accepted in `nodeLists[].format`.
pub const NODE_LIST_FORMATS: &[&str] = &["alibaba-openb"];

fn err(field: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::scenario(field, msg)
}

fn parse_effect(effect: &str, field: &str) -> Result<TaintEffect> {
    match effect {
        "NoSchedule" => Ok(TaintEffect::NoSchedule),
        "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
        "NoExecute" => Ok(TaintEffect::NoExecute),
        other => Err(err(
            field,
            format!(
                "unknown taint effect {other:?}; expected NoSchedule, PreferNoSchedule or NoExecute"
            ),
        )),
    }
}

fn check_unique<'a>(names: impl Iterator<Item = &'a str>, field: &str) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (i, n) in names.enumerate() {
        if n.is_empty() {
            return Err(err(format!("{field}[{i}].name"), "must not be empty"));
        }
        if !seen.insert(n) {
            return Err(err(
                format!("{field}[{i}].name"),
                format!("duplicate name {n:?}"),
            ));
        }
    }
    Ok(())
}

/// Effective requests and limits of a template (after upstream defaulting: an unset request
/// takes its limit's value; containers reduce as `PodRequests`/`PodLimits`).
fn requests_and_limits(t: &PodTemplateSpec) -> (Resources, Limits) {
    let r = super::containers::template_resources(t);
    (r.requests, r.limits)
}

/// Every restart policy (bare pods from traces and generators).
const ALL_POLICIES: &[RestartPolicy] = &[
    RestartPolicy::Always,
    RestartPolicy::OnFailure,
    RestartPolicy::Never,
];

/// The template of a rolled-out version: the fields `v` gives replace the template's.
fn rolled_out_template(t: &PodTemplateSpec, v: &super::spec::VersionSpec) -> PodTemplateSpec {
    let mut out = t.clone();
    if let Some(r) = &v.requests {
        out.requests = r.clone();
    }
    if let Some(l) = &v.limits {
        out.limits = l.clone();
    }
    if let Some(u) = v.usage {
        out.usage = Some(u);
    }
    if let Some(s) = &v.startup {
        out.startup = Some(s.clone());
    }
    if let Some(c) = &v.crash {
        out.crash = Some(c.clone());
    }
    out
}

/// Parses a rolling-update `maxSurge` / `maxUnavailable`: a non-negative integer or `"N%"`
/// (`max_percent` caps N).
fn parse_rolling_value(v: &IntOrString, field: &str, max_percent: u32) -> Result<IntOrPercent> {
    let expected = format!(
        "expected a non-negative integer or a percentage such as \"25%\" (0% to {max_percent}%)"
    );
    match v {
        IntOrString::Int(n) => u32::try_from(*n)
            .map(IntOrPercent::Int)
            .map_err(|_| err(field, format!("{n} is out of range; {expected}"))),
        IntOrString::Str(text) => text
            .strip_suffix('%')
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|&p| p <= max_percent)
            .map(IntOrPercent::Percent)
            .ok_or_else(|| err(field, format!("invalid value {text:?}; {expected}"))),
    }
}

/// A Deployment's rolling-update parameters, checked as upstream validation does.
fn strategy(d: &DeploymentSpec, field: &str) -> Result<crate::workload::rollout::RollingUpdate> {
    let mut ru = crate::workload::rollout::RollingUpdate::default();
    let Some(s) = &d.strategy else {
        return Ok(ru);
    };
    let f = format!("{field}.strategy");
    if let Some(v) = &s.max_surge {
        ru.max_surge = parse_rolling_value(v, &format!("{f}.maxSurge"), 100_000)?;
    }
    if let Some(v) = &s.max_unavailable {
        ru.max_unavailable = parse_rolling_value(v, &format!("{f}.maxUnavailable"), 100)?;
    }
    let zero = |v: IntOrPercent| matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
    if zero(ru.max_surge) && zero(ru.max_unavailable) {
        return Err(err(
            format!("{f}.maxUnavailable"),
            "may not be 0 when maxSurge is 0",
        ));
    }
    if let Some(p) = s.progress_deadline_seconds {
        if p == 0 {
            return Err(err(format!("{f}.progressDeadlineSeconds"), "must be > 0"));
        }
        ru.progress_deadline_ms = p.saturating_mul(1000);
    }
    Ok(ru)
}

fn usage_of(t: &PodTemplateSpec, requests: &Resources) -> Resources {
    match &t.usage {
        None => Resources {
            pods: 0,
            ..*requests
        },
        Some(u) => Resources {
            cpu_milli: u.cpu.map_or(requests.cpu_milli, |q| q.0),
            memory_bytes: u.memory.map_or(requests.memory_bytes, |q| q.0),
            gpu_milli: requests.gpu_milli,
            pods: 0,
        },
    }
}

/// The restart policies a workload kind allows (upstream validation: Deployments `Always`,
/// Jobs `OnFailure` or `Never`) and its default.
fn restart_policy(
    t: &PodTemplateSpec,
    field: &str,
    allowed: &[RestartPolicy],
    default: RestartPolicy,
) -> Result<RestartPolicy> {
    let policy = match t.restart_policy.as_deref() {
        None => return Ok(default),
        Some("Always") => RestartPolicy::Always,
        Some("OnFailure") => RestartPolicy::OnFailure,
        Some("Never") => RestartPolicy::Never,
        Some(other) => {
            return Err(err(
                format!("{field}.restartPolicy"),
                format!("unknown restart policy {other:?}; expected Always, OnFailure or Never"),
            ));
        }
    };
    if !allowed.contains(&policy) {
        let names: Vec<String> = allowed.iter().map(|p| format!("{p:?}")).collect();
        return Err(err(
            format!("{field}.restartPolicy"),
            format!(
                "{policy:?} is not allowed here; expected {}",
                names.join(" or ")
            ),
        ));
    }
    Ok(policy)
}

/// The kubelet behaviour a template describes (start-up, crashes, leak, restart policy).
fn kubelet_profile(t: &PodTemplateSpec, policy: RestartPolicy) -> KubeletProfile {
    let startup = t.startup.clone().unwrap_or_default();
    let crash = t
        .crash
        .as_ref()
        .and_then(|c| match (&c.mean_time_between, &c.after) {
            (Some(m), _) => Some(CrashModel::Exponential { mean_ms: m.0 }),
            (None, Some(d)) => Some(CrashModel::After(d.clone())),
            (None, None) => None,
        });
    KubeletProfile {
        image_pull: startup.image_pull.filter(|d| !d.is_always_zero()),
        readiness_delay: startup.readiness_delay.filter(|d| !d.is_always_zero()),
        probe_period_ms: startup
            .probe_period
            .map_or(crate::disruption::kubelet::DEFAULT_PROBE_PERIOD_MS, |d| d.0),
        crash,
        memory_leak_per_hour: t
            .usage
            .and_then(|u| u.memory_leak_per_hour)
            .map_or(0, |q| q.0),
        restart_policy: policy,
    }
}

fn validate_kubelet(t: &PodTemplateSpec, field: &str) -> Result<()> {
    if let Some(c) = &t.crash {
        let f = format!("{field}.crash");
        match (&c.mean_time_between, &c.after) {
            (Some(m), None) if m.0 == 0 => {
                return Err(err(format!("{f}.meanTimeBetween"), "must be > 0"));
            }
            (None, Some(d)) if d.is_always_zero() => {
                return Err(err(format!("{f}.after"), "must be > 0"));
            }
            (Some(_), None) | (None, Some(_)) => {}
            _ => return Err(err(f, "set exactly one of meanTimeBetween and after")),
        }
    }
    Ok(())
}

/// The PriorityClasses every cluster has without declaring them: the API server creates them
/// at start-up with `preemptionPolicy: PreemptLowerPriority` (pkg/apis/scheduling/types.go:
/// `SystemCriticalPriority` = 2,000,000,000; `system-node-critical` is 1000 above it). A
/// scenario (or a `kubectl get priorityclasses` dump) that declares one of them wins.
const BUILTIN_PRIORITY_CLASSES: [(&str, i32); 2] = [
    ("system-cluster-critical", 2_000_000_000),
    ("system-node-critical", 2_000_001_000),
];

/// The value of a built-in PriorityClass.
fn builtin_priority(name: &str) -> Option<i32> {
    BUILTIN_PRIORITY_CLASSES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, v)| v)
}

fn validate_template(t: &PodTemplateSpec, field: &str, spec: &ScenarioSpec) -> Result<()> {
    validate_kubelet(t, field)?;
    if t.scheduler_name.as_deref() == Some("") {
        return Err(err(
            format!("{field}.schedulerName"),
            "must not be empty (omit it for default-scheduler)",
        ));
    }
    let (requests, limits) = requests_and_limits(t);
    super::caps::pod_resources(&requests, field, "requests")?;
    let capped_limits = Resources {
        cpu_milli: limits.cpu_milli.unwrap_or(0),
        memory_bytes: limits.memory_bytes.unwrap_or(0),
        ..Resources::default()
    };
    super::caps::pod_resources(&capped_limits, field, "limits")?;
    // With containers, the pod's aggregated limits may be below its request (a container
    // without a limit); each container is checked on its own instead.
    if let Some(msg) = limits_below_requests(&requests, &limits)
        && !super::containers::uses_containers(t)
    {
        return Err(err(format!("{field}.limits"), msg));
    }
    if t.requests.pods.is_some() || t.limits.pods.is_some() {
        return Err(err(
            format!("{field}.requests"),
            "pods is not a pod request (every pod takes one slot)",
        ));
    }
    super::containers::validate(t, field)?;
    if let Some(name) = &t.priority_class_name {
        if t.priority.is_some() {
            return Err(err(
                format!("{field}.priority"),
                "set either priority or priorityClassName, not both",
            ));
        }
        if !spec.priority_classes.iter().any(|c| &c.name == name)
            && builtin_priority(name).is_none()
        {
            let known: Vec<&str> = spec
                .priority_classes
                .iter()
                .map(|c| c.name.as_str())
                .chain(BUILTIN_PRIORITY_CLASSES.iter().map(|(n, _)| *n))
                .collect();
            return Err(err(
                format!("{field}.priorityClassName"),
                format!(
                    "unknown priority class {name:?}; defined: [{}]",
                    known.join(", ")
                ),
            ));
        }
    }
    validate_affinity(t, field)?;
    safe_to_evict(t, field)?;
    validate_pod_affinity(t, field)?;
    validate_spread(t, field)?;
    if let Some(name) = &t.node_name {
        let pool_node = spec.node_pools.iter().any(|p| {
            name.strip_prefix(p.name.as_str())
                .and_then(|r| r.strip_prefix('-'))
                .and_then(|k| k.parse::<u32>().ok())
                .is_some_and(|k| k < p.count && name == &format!("{}-{k}", p.name))
        });
        let named = spec.nodes.iter().any(|n| &n.name == name);
        if !pool_node && !named && spec.node_lists.is_empty() {
            return Err(err(
                format!("{field}.nodeName"),
                format!("no node named {name:?}; node pool nodes are named <pool>-<ordinal>"),
            ));
        }
    }
    for (i, tol) in t.tolerations.iter().enumerate() {
        let f = format!("{field}.tolerations[{i}]");
        if let Some(e) = &tol.effect {
            parse_effect(e, &format!("{f}.effect"))?;
        }
        match tol.operator.as_deref() {
            None | Some("Equal") => {}
            Some("Exists") if !tol.value.is_empty() => {
                return Err(err(
                    format!("{f}.value"),
                    "must be empty with operator Exists",
                ));
            }
            Some("Exists") => {}
            Some(o) => {
                return Err(err(
                    format!("{f}.operator"),
                    format!("unknown operator {o:?}; expected Equal or Exists"),
                ));
            }
        }
        if tol.key.is_empty() && tol.operator.as_deref() != Some("Exists") {
            return Err(err(
                format!("{f}.operator"),
                "an empty key requires operator Exists",
            ));
        }
    }
    Ok(())
}

fn parse_preemption_policy(policy: Option<&str>, field: &str) -> Result<PreemptionPolicy> {
    match policy {
        None | Some("PreemptLowerPriority") => Ok(PreemptionPolicy::PreemptLowerPriority),
        Some("Never") => Ok(PreemptionPolicy::Never),
        Some(other) => Err(err(
            field,
            format!("unknown preemption policy {other:?}; expected PreemptLowerPriority or Never"),
        )),
    }
}

/// Parses a PDB's `minAvailable`/`maxUnavailable`: a non-negative integer or `"N%"` with
/// N in 0..=100 (as upstream validation requires).
fn parse_int_or_percent(v: &IntOrString, field: &str) -> Result<IntOrPercent> {
    let expected = "expected a non-negative integer or a percentage such as \"25%\" (0% to 100%)";
    match v {
        IntOrString::Int(n) => u32::try_from(*n)
            .map(IntOrPercent::Int)
            .map_err(|_| err(field, format!("{n} is out of range; {expected}"))),
        IntOrString::Str(text) => text
            .strip_suffix('%')
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|&p| p <= 100)
            .map(IntOrPercent::Percent)
            .ok_or_else(|| err(field, format!("invalid value {text:?}; {expected}"))),
    }
}

fn pdb_budget(p: &PodDisruptionBudgetSpec, field: &str) -> Result<Budget> {
    match (&p.min_available, &p.max_unavailable) {
        (Some(m), None) => Ok(Budget::MinAvailable(parse_int_or_percent(
            m,
            &format!("{field}.minAvailable"),
        )?)),
        (None, Some(m)) => Ok(Budget::MaxUnavailable(parse_int_or_percent(
            m,
            &format!("{field}.maxUnavailable"),
        )?)),
        _ => Err(err(
            field,
            "set exactly one of minAvailable and maxUnavailable",
        )),
    }
}

fn validate_pdbs(spec: &ScenarioSpec) -> Result<()> {
    check_unique(
        spec.pod_disruption_budgets.iter().map(|p| p.name.as_str()),
        "podDisruptionBudgets",
    )?;
    for (i, p) in spec.pod_disruption_budgets.iter().enumerate() {
        let field = format!("podDisruptionBudgets[{i}]");
        // policy/v1: `{}` selects every pod (for preemption none), as upstream.
        validate_selector(&p.selector, &format!("{field}.selector"))?;
        pdb_budget(p, &field)?;
    }
    Ok(())
}

pub(super) fn parse_operator(op: &str) -> Option<SelectorOperator> {
    Some(match op {
        "In" => SelectorOperator::In,
        "NotIn" => SelectorOperator::NotIn,
        "Exists" => SelectorOperator::Exists,
        "DoesNotExist" => SelectorOperator::DoesNotExist,
        "Gt" => SelectorOperator::Gt,
        "Lt" => SelectorOperator::Lt,
        _ => return None,
    })
}

pub(super) fn validate_term(term: &NodeSelectorTermSpec, field: &str) -> Result<()> {
    for (i, r) in term.match_fields.iter().enumerate() {
        let f = format!("{field}.matchFields[{i}]");
        if r.key != "metadata.name" {
            return Err(err(
                format!("{f}.key"),
                format!("unsupported field {:?}; expected metadata.name", r.key),
            ));
        }
        if !matches!(r.operator.as_str(), "In" | "NotIn") {
            return Err(err(
                format!("{f}.operator"),
                format!("unknown operator {:?}; expected In or NotIn", r.operator),
            ));
        }
        if r.values.len() != 1 {
            return Err(err(format!("{f}.values"), "expected exactly one node name"));
        }
    }
    for (i, r) in term.match_expressions.iter().enumerate() {
        let f = format!("{field}.matchExpressions[{i}]");
        let op = parse_operator(&r.operator).ok_or_else(|| {
            err(
                format!("{f}.operator"),
                format!(
                    "unknown operator {:?}; expected In, NotIn, Exists, DoesNotExist, Gt or Lt",
                    r.operator
                ),
            )
        })?;
        let ok = match op {
            SelectorOperator::In | SelectorOperator::NotIn => !r.values.is_empty(),
            SelectorOperator::Exists | SelectorOperator::DoesNotExist => r.values.is_empty(),
            SelectorOperator::Gt | SelectorOperator::Lt => {
                r.values.len() == 1 && r.values[0].parse::<i64>().is_ok()
            }
        };
        if !ok {
            return Err(err(
                format!("{f}.values"),
                "In/NotIn need at least one value, Exists/DoesNotExist none, Gt/Lt exactly one integer",
            ));
        }
    }
    Ok(())
}

fn validate_affinity(t: &PodTemplateSpec, field: &str) -> Result<()> {
    let Some(na) = t.affinity.as_ref().and_then(|a| a.node_affinity.as_ref()) else {
        return Ok(());
    };
    let f = format!("{field}.affinity.nodeAffinity");
    if let Some(req) = &na.required_during_scheduling_ignored_during_execution {
        for (i, term) in req.node_selector_terms.iter().enumerate() {
            validate_term(
                term,
                &format!(
                    "{f}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{i}]"
                ),
            )?;
        }
    }
    for (i, p) in na
        .preferred_during_scheduling_ignored_during_execution
        .iter()
        .enumerate()
    {
        let pf = format!("{f}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
        if !(1..=100).contains(&p.weight) {
            return Err(err(format!("{pf}.weight"), "expected 1..=100"));
        }
        validate_term(&p.preference, &format!("{pf}.preference"))?;
    }
    Ok(())
}

/// Checks a label selector's expressions: a known operator, and values exactly where it
/// needs them.
pub(crate) fn validate_selector(sel: &LabelSelectorSpec, field: &str) -> Result<()> {
    for (i, r) in sel.match_expressions.iter().enumerate() {
        let f = format!("{field}.matchExpressions[{i}]");
        let ok = match r.operator.as_str() {
            "In" | "NotIn" => !r.values.is_empty(),
            "Exists" | "DoesNotExist" => r.values.is_empty(),
            other => {
                return Err(err(
                    format!("{f}.operator"),
                    format!(
                        "unknown operator {other:?}; expected In, NotIn, Exists or DoesNotExist"
                    ),
                ));
            }
        };
        if !ok {
            return Err(err(
                format!("{f}.values"),
                "In/NotIn need at least one value, Exists/DoesNotExist none",
            ));
        }
    }
    Ok(())
}

fn validate_pod_affinity_term(t: &PodAffinityTermSpec, field: &str) -> Result<()> {
    if t.topology_key.is_empty() {
        return Err(err(format!("{field}.topologyKey"), "must not be empty"));
    }
    if let Some(sel) = &t.label_selector {
        validate_selector(sel, &format!("{field}.labelSelector"))?;
    }
    Ok(())
}

fn validate_pod_affinity(t: &PodTemplateSpec, field: &str) -> Result<()> {
    let Some(a) = &t.affinity else { return Ok(()) };
    for (name, spec) in [
        ("podAffinity", &a.pod_affinity),
        ("podAntiAffinity", &a.pod_anti_affinity),
    ] {
        let Some(spec) = spec else { continue };
        let f = format!("{field}.affinity.{name}");
        for (i, term) in spec
            .required_during_scheduling_ignored_during_execution
            .iter()
            .enumerate()
        {
            validate_pod_affinity_term(
                term,
                &format!("{f}.requiredDuringSchedulingIgnoredDuringExecution[{i}]"),
            )?;
        }
        for (i, w) in spec
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .enumerate()
        {
            let pf = format!("{f}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            if !(1..=100).contains(&w.weight) {
                return Err(err(format!("{pf}.weight"), "expected 1..=100"));
            }
            validate_pod_affinity_term(&w.pod_affinity_term, &format!("{pf}.podAffinityTerm"))?;
        }
    }
    Ok(())
}

fn validate_spread(t: &PodTemplateSpec, field: &str) -> Result<()> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (i, c) in t.topology_spread_constraints.iter().enumerate() {
        let f = format!("{field}.topologySpreadConstraints[{i}]");
        if c.max_skew < 1 {
            return Err(err(format!("{f}.maxSkew"), "must be at least 1"));
        }
        if c.topology_key.is_empty() {
            return Err(err(format!("{f}.topologyKey"), "must not be empty"));
        }
        let when = c.when_unsatisfiable.as_str();
        if !matches!(when, "DoNotSchedule" | "ScheduleAnyway") {
            return Err(err(
                format!("{f}.whenUnsatisfiable"),
                format!("unknown value {when:?}; expected DoNotSchedule or ScheduleAnyway"),
            ));
        }
        if let Some(m) = c.min_domains {
            if m == 0 {
                return Err(err(format!("{f}.minDomains"), "must be at least 1"));
            }
            if when != "DoNotSchedule" {
                return Err(err(
                    format!("{f}.minDomains"),
                    "only allowed with whenUnsatisfiable: DoNotSchedule",
                ));
            }
        }
        for (name, v) in [
            ("nodeAffinityPolicy", &c.node_affinity_policy),
            ("nodeTaintsPolicy", &c.node_taints_policy),
        ] {
            if let Some(v) = v
                && v != "Honor"
                && v != "Ignore"
            {
                return Err(err(
                    format!("{f}.{name}"),
                    format!("unknown policy {v:?}; expected Honor or Ignore"),
                ));
            }
        }
        // Upstream validation: (topologyKey, whenUnsatisfiable) pairs must be unique.
        if seen.contains(&(c.topology_key.as_str(), when)) {
            return Err(err(
                format!("{f}.topologyKey"),
                "duplicate (topologyKey, whenUnsatisfiable) pair",
            ));
        }
        seen.push((c.topology_key.as_str(), when));
        if let Some(sel) = &c.label_selector {
            validate_selector(sel, &format!("{f}.labelSelector"))?;
        }
    }
    Ok(())
}

fn pool_allocatable(a: &ResourceListSpec) -> Resources {
    Resources {
        cpu_milli: a.cpu.map_or(0, |q| q.0),
        memory_bytes: a.memory.map_or(0, |q| q.0),
        gpu_milli: a.gpu.map_or(0, |q| q.0),
        pods: a.pods.map_or(DEFAULT_MAX_PODS, |q| q.0),
    }
}

/// The HPA controller flags and metrics-server model of the scenario.
fn hpa_config(
    spec: &ScenarioSpec,
) -> Result<(
    crate::autoscale::hpa::HpaConfig,
    crate::autoscale::hpa::metrics_lag::MetricsServer,
)> {
    let h = &spec.hpa_controller;
    let mut config = crate::autoscale::hpa::HpaConfig::default();
    let mut server = crate::autoscale::hpa::metrics_lag::MetricsServer::default();
    if let Some(d) = h.sync_period {
        if d.0 == 0 {
            return Err(err("hpaController.syncPeriod", "must be > 0"));
        }
        config.sync_period_ms = d.0;
    }
    if let Some(t) = h.tolerance {
        if !(0.0..1.0).contains(&t) {
            return Err(err(
                "hpaController.tolerance",
                "expected 0 <= tolerance < 1",
            ));
        }
        config.tolerance = t;
    }
    if let Some(d) = h.downscale_stabilization {
        config.downscale_stabilization_ms = d.0;
    }
    if let Some(d) = h.cpu_initialization_period {
        config.readiness.cpu_initialization_period_ms = d.0;
    }
    if let Some(d) = h.initial_readiness_delay {
        config.readiness.initial_readiness_delay_ms = d.0;
    }
    if let Some(d) = h.metric_resolution {
        server.resolution_ms = d.0;
    }
    Ok((config, server))
}

/// Checks a Job's `completionMode`.
fn validate_completion_mode(mode: Option<&str>, field: &str) -> Result<()> {
    match mode {
        None | Some("NonIndexed") | Some("Indexed") => Ok(()),
        Some(m) => Err(err(
            format!("{field}.completionMode"),
            format!("unknown mode {m:?}; expected NonIndexed or Indexed"),
        )),
    }
}

/// Checks every value and cross-reference of a spec that the schema alone cannot.
pub fn validate(spec: &ScenarioSpec) -> Result<()> {
    super::scheduler_config::validate(spec)?;
    super::caps::validate(spec)?;
    if spec.name.is_empty()
        || !spec
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(err(
            "name",
            "must be non-empty and use only letters, digits, '-', '_' or '.' (it names the output folder)",
        ));
    }
    if spec.duration.0 == 0 {
        return Err(err("duration", "must be > 0"));
    }
    if spec.warmup.0 >= spec.duration.0 {
        return Err(err("warmup", "must be shorter than duration"));
    }
    if spec.sample_interval.0 == 0 {
        return Err(err("sampleInterval", "must be > 0"));
    }
    if spec.duration.0 / spec.sample_interval.0 > MAX_SAMPLES {
        return Err(err(
            "sampleInterval",
            format!(
                "{} ms gives more than {MAX_SAMPLES} time-series rows over the duration; use a longer interval",
                spec.sample_interval.0
            ),
        ));
    }
    check_unique(
        spec.priority_classes.iter().map(|c| c.name.as_str()),
        "priorityClasses",
    )?;
    if spec
        .priority_classes
        .iter()
        .filter(|c| c.global_default)
        .count()
        > 1
    {
        return Err(err(
            "priorityClasses",
            "at most one class may set globalDefault",
        ));
    }
    for (i, c) in spec.priority_classes.iter().enumerate() {
        parse_preemption_policy(
            c.preemption_policy.as_deref(),
            &format!("priorityClasses[{i}].preemptionPolicy"),
        )?;
    }
    validate_pdbs(spec)?;
    check_unique(spec.node_pools.iter().map(|p| p.name.as_str()), "nodePools")?;
    for (i, p) in spec.node_pools.iter().enumerate() {
        let f = format!("nodePools[{i}]");
        if p.count > MAX_NODES_PER_POOL {
            return Err(err(
                format!("{f}.count"),
                format!(
                    "{} is more than the {MAX_NODES_PER_POOL} nodes a pool may have",
                    p.count
                ),
            ));
        }
        let catalog_entry = p.instance_type.as_deref().and_then(catalog::lookup);
        if p.allocatable.is_none() && catalog_entry.is_none() {
            let msg = match &p.instance_type {
                Some(t) => format!(
                    "instance type {t:?} is not in the built-in catalog; give allocatable (and hourlyPrice) or use one of: {}",
                    catalog::names()
                ),
                None => "give allocatable or a catalog instanceType".to_owned(),
            };
            return Err(err(format!("{f}.allocatable"), msg));
        }
        if let Some(a) = &p.allocatable {
            let r = pool_allocatable(a);
            if r.cpu_milli == 0 || r.memory_bytes == 0 || r.pods == 0 {
                return Err(err(
                    format!("{f}.allocatable"),
                    "cpu, memory and pods must be > 0",
                ));
            }
        }
        if p.hourly_price.is_none() && catalog_entry.is_none() {
            return Err(err(
                format!("{f}.hourlyPrice"),
                "required when the instance type is not in the catalog",
            ));
        }
        if p.spot && p.hourly_price.is_none() && p.spot_discount.is_none() {
            return Err(err(
                format!("{f}.hourlyPrice"),
                "required for spot pools (spot prices vary by region and time), or give \
                 spotDiscount off the catalog on-demand price",
            ));
        }
        if let Some(discount) = p.spot_discount {
            let f = format!("{f}.spotDiscount");
            if !p.spot {
                return Err(err(f, "only for spot pools (spot: true)"));
            }
            if p.hourly_price.is_some() {
                return Err(err(
                    f,
                    "set either hourlyPrice (the spot price) or spotDiscount",
                ));
            }
            if catalog_entry.is_none() {
                return Err(err(
                    f,
                    "needs a catalog instanceType (the discount applies to its on-demand price)",
                ));
            }
            if !(discount.is_finite() && (0.0..1.0).contains(&discount)) {
                return Err(err(f, format!("{discount} is not in [0, 1)")));
            }
        }
        if let Some(b) = &p.billing {
            validate_billing(b, &format!("{f}.billing"))?;
        }
        if let Some(price) = p.hourly_price
            && !(price.is_finite() && price >= 0.0)
        {
            return Err(err(
                format!("{f}.hourlyPrice"),
                "must be a non-negative number",
            ));
        }
        for (j, t) in p.taints.iter().enumerate() {
            parse_effect(&t.effect, &format!("{f}.taints[{j}].effect"))?;
            if t.key.is_empty() {
                return Err(err(format!("{f}.taints[{j}].key"), "must not be empty"));
            }
        }
    }
    for (i, l) in spec.node_lists.iter().enumerate() {
        if !NODE_LIST_FORMATS.contains(&l.format.as_str()) {
            return Err(err(
                format!("nodeLists[{i}].format"),
                format!(
                    "unknown format {:?}; expected one of: {}",
                    l.format,
                    NODE_LIST_FORMATS.join(", ")
                ),
            ));
        }
        let p = l.price;
        if ![p.per_core, p.per_gib, p.per_gpu]
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0)
        {
            return Err(err(
                format!("nodeLists[{i}].price"),
                "prices must be non-negative numbers",
            ));
        }
    }
    if spec.node_pools.iter().all(|p| p.count == 0)
        && spec.node_lists.is_empty()
        && spec.nodes.is_empty()
    {
        return Err(err(
            "nodePools",
            "the scenario has no nodes; add a pool with count > 0, a nodeList or nodes",
        ));
    }
    let mut workload_names: Vec<&str> = Vec::new();
    workload_names.extend(spec.deployments.iter().map(|d| d.name.as_str()));
    workload_names.extend(spec.jobs.iter().map(|d| d.name.as_str()));
    workload_names.extend(spec.traces.iter().map(|d| d.name.as_str()));
    workload_names.extend(spec.generators.iter().map(|d| d.name.as_str()));
    workload_names.extend(spec.stateful_sets.iter().map(|d| d.name.as_str()));
    workload_names.extend(spec.daemon_sets.iter().map(|d| d.name.as_str()));
    workload_names.extend(spec.cron_jobs.iter().map(|d| d.name.as_str()));
    check_unique(
        workload_names.into_iter(),
        "workloads (deployments, jobs, traces, generators, statefulSets, daemonSets, cronJobs)",
    )?;
    validate_controllers(spec)?;
    for (i, d) in spec.deployments.iter().enumerate() {
        if d.replicas > MAX_PODS_AT_ONCE {
            return Err(err(
                format!("deployments[{i}].replicas"),
                format!("more than {MAX_PODS_AT_ONCE}"),
            ));
        }
        let f = format!("deployments[{i}].template");
        validate_template(&d.template, &f, spec)?;
        restart_policy(
            &d.template,
            &f,
            &[RestartPolicy::Always],
            RestartPolicy::Always,
        )?;
        if let Some(h) = &d.hpa {
            h.validate(&format!("deployments[{i}].hpa"))?;
        }
        match (&d.load, &d.service) {
            (Some(l), Some(sv)) => {
                l.validate(&format!("deployments[{i}].load"))?;
                sv.model(&format!("deployments[{i}].service"), 0)?;
            }
            (Some(_), None) => {
                return Err(err(
                    format!("deployments[{i}].service"),
                    "required with `load`: e.g. {cpuPerRps: 2m, capacityPerPod: 100}",
                ));
            }
            (None, Some(_)) => {
                return Err(err(
                    format!("deployments[{i}].load"),
                    "required with `service`: the request rate, e.g. 150 or {diurnal: ...}",
                ));
            }
            (None, None) => {}
        }
        strategy(d, &format!("deployments[{i}]"))?;
        let mut last = d.start.0;
        for (k, r) in d.rollouts.iter().enumerate() {
            let rf = format!("deployments[{i}].rollouts[{k}]");
            if r.at.0 < last || (k > 0 && r.at.0 == last) {
                return Err(err(
                    format!("{rf}.at"),
                    "must not be before the Deployment's start, and later than the previous rollout",
                ));
            }
            last = r.at.0;
            validate_template(
                &rolled_out_template(&d.template, &r.new_version),
                &format!("{rf}.newVersion"),
                spec,
            )?;
        }
    }
    hpa_config(spec)?;
    for (i, j) in spec.jobs.iter().enumerate() {
        let f = format!("jobs[{i}]");
        if j.completions == 0 {
            return Err(err(format!("{f}.completions"), "must be > 0"));
        }
        if j.parallelism == 0 || j.parallelism > MAX_PODS_AT_ONCE {
            return Err(err(
                format!("{f}.parallelism"),
                format!("must be in 1..={MAX_PODS_AT_ONCE}"),
            ));
        }
        if j.duration.is_always_zero() {
            return Err(err(format!("{f}.duration"), "must be > 0"));
        }
        validate_template(&j.template, &format!("{f}.template"), spec)?;
        validate_completion_mode(j.completion_mode.as_deref(), &f)?;
        restart_policy(
            &j.template,
            &format!("{f}.template"),
            &[RestartPolicy::OnFailure, RestartPolicy::Never],
            RestartPolicy::OnFailure,
        )?;
    }
    for (i, t) in spec.traces.iter().enumerate() {
        if !TRACE_FORMATS.contains(&t.format.as_str()) {
            return Err(err(
                format!("traces[{i}].format"),
                format!(
                    "unknown format {:?}; expected one of: {}",
                    t.format,
                    TRACE_FORMATS.join(", ")
                ),
            ));
        }
        let f = format!("traces[{i}].template");
        validate_template(&t.template, &f, spec)?;
        super::containers::single_request_set(
            &t.template,
            &f,
            "a trace gives each pod its request",
        )?;
        restart_policy(&t.template, &f, ALL_POLICIES, RestartPolicy::Always)?;
    }
    for (i, g) in spec.generators.iter().enumerate() {
        let f = format!("generators[{i}]");
        if !(g.rate_per_second.is_finite() && g.rate_per_second > 0.0) {
            return Err(err(format!("{f}.ratePerSecond"), "must be > 0"));
        }
        if g.count == 0 {
            return Err(err(format!("{f}.count"), "must be > 0"));
        }
        if g.duration.as_ref().is_some_and(|d| d.is_always_zero()) {
            return Err(err(
                format!("{f}.duration"),
                "must be > 0 (omit it for pods that run until the end)",
            ));
        }
        validate_template(&g.template, &format!("{f}.template"), spec)?;
        restart_policy(
            &g.template,
            &format!("{f}.template"),
            ALL_POLICIES,
            RestartPolicy::Always,
        )?;
        for (j, s) in g.shapes.iter().enumerate() {
            if s.weight == 0 {
                return Err(err(format!("{f}.shapes[{j}].weight"), "must be > 0"));
            }
            let t = PodTemplateSpec {
                requests: s.requests.clone(),
                limits: s.limits.clone(),
                ..Default::default()
            };
            validate_template(&t, &format!("{f}.shapes[{j}]"), spec)?;
            super::containers::single_request_set(
                &t,
                &format!("{f}.shapes[{j}]"),
                "shapes give each pod its request",
            )?;
            super::containers::single_request_set(
                &g.template,
                &format!("{f}.template"),
                "shapes give each pod its request",
            )?;
        }
    }
    validate_bare_pods(spec)?;
    fragmentation_probe(spec)?;
    validate_billing(&spec.billing, "billing")?;
    crate::autoscale::cluster_autoscaler::validate(spec)?;
    crate::disruption::faults::spec::validate(spec)?;
    Ok(())
}

/// `pods`: unique names, a positive run time if given, a valid template.
fn validate_bare_pods(spec: &ScenarioSpec) -> Result<()> {
    check_unique(spec.pods.iter().map(|p| p.name.as_str()), "pods")?;
    for (i, p) in spec.pods.iter().enumerate() {
        let f = format!("pods[{i}]");
        if p.duration.as_ref().is_some_and(|d| d.is_always_zero()) {
            return Err(err(
                format!("{f}.duration"),
                "must be > 0 (omit it for a pod that runs until the end)",
            ));
        }
        validate_template(&p.template, &format!("{f}.template"), spec)?;
        restart_policy(
            &p.template,
            &format!("{f}.template"),
            ALL_POLICIES,
            RestartPolicy::Always,
        )?;
    }
    Ok(())
}

fn validate_billing(b: &super::spec::BillingSpec, field: &str) -> Result<()> {
    if b.granularity.0 == 0 {
        return Err(err(
            format!("{field}.granularity"),
            "must be > 0 (1ms bills the exact lifetime)",
        ));
    }
    Ok(())
}

fn billing_of(b: &super::spec::BillingSpec) -> crate::metrics::cost::Billing {
    crate::metrics::cost::Billing {
        granularity_ms: b.granularity.0,
        minimum_ms: b.minimum.0,
    }
}

/// The `cluster-autoscaler.kubernetes.io/safe-to-evict` annotation of a template.
fn safe_to_evict(t: &PodTemplateSpec, field: &str) -> Result<Option<bool>> {
    use crate::autoscale::cluster_autoscaler::drain::SAFE_TO_EVICT_ANNOTATION;
    match t
        .annotations
        .get(SAFE_TO_EVICT_ANNOTATION)
        .map(String::as_str)
    {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(err(
            format!("{field}.annotations.{SAFE_TO_EVICT_ANNOTATION}"),
            format!("{other:?}; expected \"true\" or \"false\""),
        )),
    }
}

/// The configured fragmentation probe (`metrics.fragmentationProbe`), checked; `None` = derive
/// it from the workload.
fn fragmentation_probe(spec: &ScenarioSpec) -> Result<Option<Resources>> {
    let Some(p) = &spec.metrics.fragmentation_probe else {
        return Ok(None);
    };
    let f = "metrics.fragmentationProbe";
    if p.pods.is_some() {
        return Err(err(
            format!("{f}.pods"),
            "not allowed: the probe always takes one pod slot",
        ));
    }
    if let Some(name) = p.extended.keys().next() {
        return Err(err(
            format!("{f}.{name}"),
            "not supported: the probe measures cpu, memory and nvidia.com/gpu only",
        ));
    }
    let probe = Resources {
        cpu_milli: p.cpu.map_or(0, |q| q.0),
        memory_bytes: p.memory.map_or(0, |q| q.0),
        gpu_milli: p.gpu.map_or(0, |q| q.0),
        pods: 1,
    };
    if probe.cpu_milli == 0 && probe.memory_bytes == 0 && probe.gpu_milli == 0 {
        return Err(err(
            f,
            "must request some cpu, memory or nvidia.com/gpu (omit it to derive the probe from the workload)",
        ));
    }
    Ok(Some(probe))
}

struct Builder<'a> {
    spec: &'a ScenarioSpec,
    cluster: ClusterState,
    kubelet: Kubelet,
    /// The scheduler profiles' names, by profile index (pods pick one by `schedulerName`).
    profile_names: Vec<String>,
}

impl Builder<'_> {
    fn taint(&mut self, t: &TaintSpec) -> Result<Taint> {
        Ok(Taint {
            key: self.cluster.interner.intern(&t.key),
            value: self.cluster.interner.intern(&t.value),
            effect: parse_effect(&t.effect, "taint.effect")?,
        })
    }

    fn toleration(&mut self, t: &TolerationSpec) -> Result<Toleration> {
        let exists = t.operator.as_deref() == Some("Exists");
        Ok(Toleration {
            key: if t.key.is_empty() {
                None
            } else {
                Some(self.cluster.interner.intern(&t.key))
            },
            operator: if exists {
                TolerationOperator::Exists
            } else {
                TolerationOperator::Equal
            },
            value: self.cluster.interner.intern(&t.value),
            effect: t
                .effect
                .as_deref()
                .map(|e| parse_effect(e, "toleration.effect"))
                .transpose()?,
            toleration_ms: t.toleration_seconds.map(|s| s * 1000),
        })
    }

    fn labels(&mut self, map: &BTreeMap<String, String>, extra: &[(&str, &str)]) -> Labels {
        let mut pairs = Vec::new();
        for (k, v) in extra
            .iter()
            .copied()
            .chain(map.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            pairs.push((
                self.cluster.interner.intern(k),
                self.cluster.interner.intern(v),
            ));
        }
        Labels::new(pairs)
    }

    fn requirements(&mut self, term: &NodeSelectorTermSpec) -> Vec<Requirement> {
        // `matchFields` on metadata.name is a requirement on the node name, which kubesim
        // also exposes as the node's `kubernetes.io/hostname` label.
        let fields = term
            .match_fields
            .iter()
            .map(|r| (crate::cluster::LABEL_HOSTNAME, r));
        let labels = term.match_expressions.iter().map(|r| (r.key.as_str(), r));
        labels
            .chain(fields)
            .map(|(key, r)| Requirement {
                key: self.cluster.interner.intern(key),
                operator: parse_operator(&r.operator).expect("validated"),
                values: r
                    .values
                    .iter()
                    .map(|v| self.cluster.interner.intern(v))
                    .collect(),
                number: r.values.first().and_then(|v| v.parse().ok()).unwrap_or(0),
            })
            .collect()
    }

    fn node_affinity(&mut self, t: &PodTemplateSpec) -> NodeAffinity {
        let node_selector = t
            .node_selector
            .iter()
            .map(|(k, v)| {
                (
                    self.cluster.interner.intern(k),
                    self.cluster.interner.intern(v),
                )
            })
            .collect();
        let na = t.affinity.as_ref().and_then(|a| a.node_affinity.as_ref());
        let required = na
            .and_then(|n| {
                n.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .map(|r| {
                r.node_selector_terms
                    .iter()
                    .map(|term| self.requirements(term))
                    .collect()
            });
        let preferred = na
            .map(|n| {
                n.preferred_during_scheduling_ignored_during_execution
                    .iter()
                    .map(|p| (p.weight, self.requirements(&p.preference)))
                    .collect()
            })
            .unwrap_or_default();
        NodeAffinity {
            node_selector,
            required,
            preferred,
        }
    }

    /// The `preemptionPolicy` of the template's pods: that of their PriorityClass (named, or
    /// the global default when they name none and set no explicit priority).
    fn preemption_policy(&self, t: &PodTemplateSpec) -> PreemptionPolicy {
        let classes = &self.spec.priority_classes;
        let class = match (&t.priority_class_name, t.priority) {
            (Some(name), _) => classes.iter().find(|c| &c.name == name),
            (None, None) => classes.iter().find(|c| c.global_default),
            (None, Some(_)) => None,
        };
        class
            .and_then(|c| parse_preemption_policy(c.preemption_policy.as_deref(), "").ok())
            .unwrap_or_default()
    }

    fn pdbs(&mut self) -> Result<Vec<PodDisruptionBudget>> {
        let mut out = Vec::new();
        for (i, p) in self.spec.pod_disruption_budgets.iter().enumerate() {
            let budget = pdb_budget(p, &format!("podDisruptionBudgets[{i}]"))?;
            let selector = self.label_selector(&Some(p.selector.clone()));
            out.push(PodDisruptionBudget {
                name: p.name.clone(),
                selector,
                budget,
            });
        }
        Ok(out)
    }

    fn priority(&self, t: &PodTemplateSpec) -> i32 {
        if let Some(p) = t.priority {
            return p;
        }
        let classes = &self.spec.priority_classes;
        match &t.priority_class_name {
            Some(name) => classes
                .iter()
                .find(|c| &c.name == name)
                .map(|c| c.value)
                .or_else(|| builtin_priority(name))
                .unwrap_or(0),
            None => classes
                .iter()
                .find(|c| c.global_default)
                .map_or(0, |c| c.value),
        }
    }

    fn label_selector(&mut self, sel: &Option<LabelSelectorSpec>) -> LabelSelector {
        let Some(sel) = sel else {
            return LabelSelector::nothing();
        };
        let match_labels = sel
            .match_labels
            .iter()
            .map(|(k, v)| {
                (
                    self.cluster.interner.intern(k),
                    self.cluster.interner.intern(v),
                )
            })
            .collect();
        let term = NodeSelectorTermSpec {
            match_expressions: sel.match_expressions.clone(),
            match_fields: Vec::new(),
        };
        LabelSelector {
            match_labels,
            match_expressions: self.requirements(&term),
        }
    }

    fn pod_affinity_term(&mut self, t: &PodAffinityTermSpec) -> PodAffinityTerm {
        PodAffinityTerm {
            selector: self.label_selector(&t.label_selector),
            topology_key: self.cluster.interner.intern(&t.topology_key),
        }
    }

    fn pod_affinity(&mut self, t: &PodTemplateSpec) -> PodAffinity {
        let mut out = PodAffinity::default();
        let Some(a) = &t.affinity else { return out };
        for (spec, anti) in [(&a.pod_affinity, false), (&a.pod_anti_affinity, true)] {
            let Some(spec) = spec else { continue };
            let required: Vec<PodAffinityTerm> = spec
                .required_during_scheduling_ignored_during_execution
                .iter()
                .map(|x| self.pod_affinity_term(x))
                .collect();
            let preferred: Vec<WeightedPodAffinityTerm> = spec
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .map(|w| WeightedPodAffinityTerm {
                    weight: w.weight,
                    term: self.pod_affinity_term(&w.pod_affinity_term),
                })
                .collect();
            if anti {
                out.required_anti_affinity = required;
                out.preferred_anti_affinity = preferred;
            } else {
                out.required_affinity = required;
                out.preferred_affinity = preferred;
            }
        }
        out
    }

    fn spread_constraint(&mut self, c: &TopologySpreadConstraintSpec) -> SpreadConstraint {
        let policy = |v: &Option<String>, default| match v.as_deref() {
            Some("Honor") => InclusionPolicy::Honor,
            Some("Ignore") => InclusionPolicy::Ignore,
            _ => default,
        };
        SpreadConstraint {
            max_skew: c.max_skew,
            topology_key: self.cluster.interner.intern(&c.topology_key),
            when_unsatisfiable: if c.when_unsatisfiable == "DoNotSchedule" {
                WhenUnsatisfiable::DoNotSchedule
            } else {
                WhenUnsatisfiable::ScheduleAnyway
            },
            selector: self.label_selector(&c.label_selector),
            min_domains: c.min_domains,
            node_affinity_policy: policy(&c.node_affinity_policy, InclusionPolicy::Honor),
            node_taints_policy: policy(&c.node_taints_policy, InclusionPolicy::Ignore),
        }
    }

    /// The pod template of a workload. `replica_set` names the Deployment whose ReplicaSet
    /// owns the pods: they get its `pod-template-hash` label, and its selector feeds the
    /// system default topology spread constraints.
    fn blueprint(
        &mut self,
        t: &PodTemplateSpec,
        prefix: &str,
        replica_set: Option<&str>,
        restart: RestartPolicy,
    ) -> Result<Blueprint> {
        let resources = super::containers::template_resources(t);
        let (requests, limits) = (resources.requests, resources.limits);
        let extended = self
            .cluster
            .extended
            .add_set(resources.extended.iter().map(|(n, v)| (n.as_str(), *v)));
        let extra: Vec<(&str, &str)> = replica_set
            .map(|name| ("pod-template-hash", name))
            .into_iter()
            .collect();
        let labels = self.labels(&t.labels, &extra);
        let tolerations = t
            .tolerations
            .iter()
            .map(|x| self.toleration(x))
            .collect::<Result<Vec<_>>>()?;
        let node_affinity = self.node_affinity(t);
        let pod_affinity = self.pod_affinity(t);
        let spread = t
            .topology_spread_constraints
            .iter()
            .map(|c| self.spread_constraint(c))
            .collect();
        let default_spread_selector = replica_set.map(|_| LabelSelector {
            match_labels: labels.pairs().to_vec(),
            match_expressions: Vec::new(),
        });
        let node_name = match &t.node_name {
            None => None,
            Some(name) => Some(
                self.cluster
                    .nodes
                    .iter()
                    .position(|n| &n.name == name)
                    .map(|i| crate::cluster::node::NodeId(i as u32))
                    .ok_or_else(|| {
                        Error::scenario(
                            format!("{prefix}nodeName"),
                            format!("no node named {name:?}"),
                        )
                    })?,
            ),
        };
        let template = self.cluster.add_template(PodTemplate {
            labels,
            tolerations,
            node_affinity,
            pod_affinity,
            spread,
            default_spread_selector,
            node_name,
            preemption_policy: self.preemption_policy(t),
            termination_grace_period_s: t.termination_grace_period_seconds,
            safe_to_evict: safe_to_evict(t, prefix.trim_end_matches('-'))?,
            kubelet_profile: self.kubelet.add_profile(kubelet_profile(t, restart)),
            non_zero_requests: resources.non_zero,
            qos: resources.qos,
            extended,
            scheduler_profile: crate::scheduler::profiles::profile_index(
                &self.profile_names,
                t.scheduler_name.as_deref(),
            ),
        });
        Ok(Blueprint {
            requests,
            limits,
            usage: usage_of(t, &requests),
            priority: self.priority(t),
            template,
            prefix: self.cluster.add_name_prefix(prefix),
        })
    }

    /// Makes the pods of `template` derive their scoring requests and QoS class from their own
    /// request (trace sources and generator shapes give each pod its request).
    fn per_pod_requests(&mut self, template: crate::cluster::pod::TemplateId) {
        let t = &mut self.cluster.templates[template.0 as usize];
        t.non_zero_requests = None;
        t.qos = None;
    }

    /// Registers the topology keys and label selectors the pods use, so the cluster counts
    /// bound pods per domain for them.
    fn register_topology(&mut self) {
        let zone = self.cluster.interner.intern(crate::cluster::LABEL_ZONE);
        let mut keys = vec![zone];
        let mut selectors: Vec<LabelSelector> = Vec::new();
        for t in &self.cluster.templates {
            keys.extend(t.pod_affinity.topology_keys());
            keys.extend(t.spread.iter().map(|c| c.topology_key));
            let a = &t.pod_affinity;
            let terms = a
                .required_affinity
                .iter()
                .chain(&a.required_anti_affinity)
                .chain(a.preferred_affinity.iter().map(|w| &w.term))
                .chain(a.preferred_anti_affinity.iter().map(|w| &w.term));
            selectors.extend(terms.map(|x| x.selector.clone()));
            selectors.extend(t.spread.iter().map(|c| c.selector.clone()));
            selectors.extend(t.default_spread_selector.iter().cloned());
        }
        keys.sort();
        keys.dedup();
        self.cluster.register_topology(&keys, &selectors);
    }

    fn add_pools(&mut self) -> Result<()> {
        for p in &self.spec.node_pools {
            let entry = p.instance_type.as_deref().and_then(catalog::lookup);
            let allocatable = match (&p.allocatable, entry) {
                (Some(a), _) => pool_allocatable(a),
                (None, Some(e)) => e.allocatable(),
                (None, None) => unreachable!("validated"),
            };
            let instance_type = p
                .instance_type
                .clone()
                .unwrap_or_else(|| "custom".to_owned());
            let labels = self.labels(
                &p.labels,
                &[
                    ("topology.kubernetes.io/zone", &p.zone),
                    ("node.kubernetes.io/instance-type", &instance_type),
                ],
            );
            let taints = p
                .taints
                .iter()
                .map(|t| self.taint(t))
                .collect::<Result<Vec<_>>>()?;
            let price = p
                .hourly_price
                .or(entry
                    .map(|e| e.on_demand_usd_per_hour * (1.0 - p.spot_discount.unwrap_or(0.0))))
                .unwrap_or(0.0);
            let pool = self.cluster.add_pool(NodePool {
                name: p.name.clone(),
                instance_type,
                allocatable,
                labels,
                taints,
                zone: p.zone.clone(),
                hourly_price_usd: price,
                spot: p.spot,
            });
            if let Some(a) = &p.allocatable {
                self.cluster
                    .extended
                    .set_pool(pool, a.extended.iter().map(|(n, v)| (n.as_str(), *v)));
            }
            for k in 0..p.count {
                self.cluster
                    .add_node(pool, format!("{}-{k}", p.name), None, SimTime::ZERO);
            }
        }
        Ok(())
    }

    fn add_node_lists(&mut self, scenario: &Scenario) -> Result<()> {
        for l in &self.spec.node_lists {
            let nodes = alibaba::read_openb_nodes(&scenario.data_path(&l.path))?;
            // One pool per distinct (shape, GPU model), in order of first appearance.
            let mut pools: Vec<(Resources, String, crate::cluster::node::PoolId)> = Vec::new();
            for n in nodes {
                let existing = pools
                    .iter()
                    .find(|(r, m, _)| *r == n.allocatable && *m == n.gpu_model)
                    .map(|p| p.2);
                let pool = match existing {
                    Some(p) => p,
                    None => {
                        let a = n.allocatable;
                        let model = if n.gpu_model.is_empty() {
                            "cpu"
                        } else {
                            n.gpu_model.as_str()
                        };
                        let name =
                            format!("{model}-{}c-{}g", a.cpu_milli / 1000, a.gpu_milli / 1000);
                        let mut extra = vec![("topology.kubernetes.io/zone", l.zone.as_str())];
                        if !n.gpu_model.is_empty() {
                            extra.push(("gpu-model", n.gpu_model.as_str()));
                        }
                        let labels = self.labels(&BTreeMap::new(), &extra);
                        let price = l.price.per_core * a.cpu_milli as f64 / 1000.0
                            + l.price.per_gib * a.memory_bytes as f64 / (1u64 << 30) as f64
                            + l.price.per_gpu * a.gpu_milli as f64 / 1000.0;
                        let id = self.cluster.add_pool(NodePool {
                            name: name.clone(),
                            instance_type: name,
                            allocatable: a,
                            labels,
                            taints: Vec::new(),
                            zone: l.zone.clone(),
                            hourly_price_usd: price,
                            spot: false,
                        });
                        pools.push((a, n.gpu_model.clone(), id));
                        id
                    }
                };
                self.cluster
                    .add_node(pool, n.name, Some(n.allocatable), SimTime::ZERO);
            }
        }
        Ok(())
    }
}

/// Builds a simulation of `scenario` with master seed `seed`, using `registry` to construct
/// the scheduler.
pub fn build(scenario: &Scenario, seed: u64, registry: &Registry) -> Result<Simulation> {
    crate::budget::check_estimate(scenario)?;
    let spec = &scenario.spec;
    let mut b = Builder {
        spec,
        cluster: ClusterState::default(),
        kubelet: Kubelet::new(seed),
        profile_names: super::scheduler_config::profile_names(&spec.scheduler),
    };
    b.cluster
        .set_fragmentation_probe(fragmentation_probe(spec).map_err(|e| e.in_file(&scenario.path))?);
    b.add_pools()?;
    b.add_node_lists(scenario)?;
    b.add_named_nodes().map_err(|e| e.in_file(&scenario.path))?;
    let mut deployments = Vec::new();
    let mut planned = Vec::new();
    for (i, d) in spec.deployments.iter().enumerate() {
        let always = RestartPolicy::Always;
        let blueprint = b.blueprint(&d.template, &format!("{}-", d.name), Some(&d.name), always)?;
        let mut dep = DeploymentController::new(
            d.name.clone(),
            i as u32,
            d.replicas,
            SimTime(d.start.0),
            blueprint,
        );
        dep.strategy = strategy(d, &format!("deployments[{i}]"))?;
        deployments.push(dep);
        for r in &d.rollouts {
            let t = rolled_out_template(&d.template, &r.new_version);
            let mut version = b.blueprint(&t, &format!("{}-", d.name), Some(&d.name), always)?;
            version.prefix = blueprint.prefix;
            planned.push(crate::engine::rollout::PlannedRollout {
                deployment: i as u32,
                at: SimTime(r.at.0),
                blueprint: version,
            });
        }
    }
    let mut jobs = Vec::new();
    for (i, j) in spec.jobs.iter().enumerate() {
        let policy = restart_policy(
            &j.template,
            "",
            &[RestartPolicy::OnFailure, RestartPolicy::Never],
            RestartPolicy::OnFailure,
        )?;
        let blueprint = b.blueprint(&j.template, &format!("{}-", j.name), None, policy)?;
        let mut job = JobController::new(
            j.name.clone(),
            i as u32,
            SimTime(j.start.0),
            j.completions,
            j.parallelism,
            j.duration.clone(),
            blueprint,
            rng::stream(seed, Stream::Job(i as u32)),
        );
        if let Some(limit) = j.backoff_limit {
            job.backoff_limit = limit;
        }
        if j.completion_mode.as_deref() == Some("Indexed") {
            job.set_indexed();
        }
        jobs.push(job);
    }
    let mut sources = Vec::new();
    for t in &spec.traces {
        let path = scenario.data_path(&t.path);
        let (source, prefix, width): (Box<dyn WorkloadSource>, String, u8) = match t.format.as_str()
        {
            "kubesim" => (
                Box::new(trace::NativeTrace::open(&path, t.start.0, t.max_pods)?),
                format!("{}-", t.name),
                0,
            ),
            "alibaba-openb" => (
                Box::new(alibaba::OpenbPods::open(&path, t.start.0, t.max_pods)?),
                "openb-pod-".to_owned(),
                4,
            ),
            _ => unreachable!("validated"),
        };
        let policy = restart_policy(&t.template, "", ALL_POLICIES, RestartPolicy::Always)?;
        let bp = b.blueprint(&t.template, &prefix, None, policy)?;
        b.per_pod_requests(bp.template);
        sources.push(SourceSlot {
            name: t.name.clone(),
            source,
            next: None,
            templates: vec![bp.template],
            default_priority: bp.priority,
            prefix: bp.prefix,
            name_width: width,
            ignore_lifetimes: t.ignore_lifetimes,
        });
    }
    for g in &spec.generators {
        let i = sources.len() as u32;
        let policy = restart_policy(&g.template, "", ALL_POLICIES, RestartPolicy::Always)?;
        let bp = b.blueprint(&g.template, &format!("{}-", g.name), None, policy)?;
        if !g.shapes.is_empty() {
            b.per_pod_requests(bp.template);
        }
        let shapes = if g.shapes.is_empty() {
            vec![Shape {
                weight: 1,
                requests: bp.requests,
                limits: bp.limits,
                usage: bp.usage,
            }]
        } else {
            g.shapes
                .iter()
                .map(|s| {
                    let t = PodTemplateSpec {
                        requests: s.requests.clone(),
                        limits: s.limits.clone(),
                        ..Default::default()
                    };
                    let (requests, limits) = requests_and_limits(&t);
                    Shape {
                        weight: s.weight,
                        requests,
                        limits,
                        usage: usage_of(&t, &requests),
                    }
                })
                .collect()
        };
        let source = PoissonGenerator::new(
            rng::stream(seed, Stream::Source(i)),
            g.start.0,
            g.rate_per_second,
            g.count,
            shapes,
            g.duration.clone(),
        );
        sources.push(SourceSlot {
            name: g.name.clone(),
            source: Box::new(source),
            next: None,
            templates: vec![bp.template],
            default_priority: bp.priority,
            prefix: bp.prefix,
            name_width: 0,
            ignore_lifetimes: false,
        });
    }
    // Bare pods come after every other source, so the existing sources keep their indices
    // (and random streams).
    for p in &spec.pods {
        let i = sources.len() as u32;
        let policy = restart_policy(&p.template, "", ALL_POLICIES, RestartPolicy::Always)?;
        let bp = b.blueprint(&p.template, &p.name, None, policy)?;
        let lifetime = match &p.duration {
            Some(d) => {
                crate::cluster::pod::Lifetime::RunFor(crate::workload::distribution::sample_ms(
                    d,
                    &mut rng::stream(seed, Stream::Source(i)),
                ))
            }
            None => crate::cluster::pod::Lifetime::Forever,
        };
        let arrival = crate::workload::PodArrival {
            time: SimTime(p.start.0),
            requests: bp.requests,
            limits: bp.limits,
            usage: bp.usage,
            priority: None,
            lifetime,
            ordinal: 0,
            template_slot: 0,
        };
        sources.push(SourceSlot {
            name: p.name.clone(),
            source: Box::new(crate::workload::bare::BarePod::new(arrival)),
            next: None,
            templates: vec![bp.template],
            default_priority: bp.priority,
            prefix: bp.prefix,
            name_width: crate::cluster::pod::UNNUMBERED,
            ignore_lifetimes: false,
        });
    }
    let (hpa_config, metrics_server) = hpa_config(spec)?;
    let mut services = Vec::new();
    for (i, d) in spec.deployments.iter().enumerate() {
        if let (Some(load), Some(sv)) = (&d.load, &d.service) {
            let field = format!("deployments[{i}]");
            let base = scenario.path.parent().unwrap_or(std::path::Path::new("."));
            let mut rng = rng::stream(seed, Stream::Load(i as u32));
            let curve = load
                .build(&format!("{field}.load"), base, &mut rng)
                .map_err(|e| e.in_file(&scenario.path))?;
            super::caps::load_rate(&curve, &format!("{field}.load"))
                .map_err(|e| e.in_file(&scenario.path))?;
            if let Some(end) = curve.data_end_ms()
                && end < spec.duration.0
            {
                return Err(Error::scenario(
                    format!("{field}.load.file"),
                    format!(
                        "the series ends at {} s, before the end of the run ({} s); shorten \
                         `duration`, or set `loop: true`",
                        end / 1000,
                        spec.duration.0 / 1000
                    ),
                )
                .in_file(&scenario.path));
            }
            let model = sv.model(&format!("{field}.service"), seed ^ (i as u64))?;
            services.push(crate::workload::service::Service::new(
                i as u32,
                curve,
                model,
                metrics_server.resolution_ms,
            ));
        }
    }
    let base = scenario.path.parent().unwrap_or(std::path::Path::new("."));
    let service_of = |name: &str| {
        let d = spec.deployments.iter().position(|d| d.name == name)?;
        services
            .iter()
            .position(|s| s.deployment as usize == d)
            .map(|s| s as u32)
    };
    let feed = super::hpa_metrics::build_feed(spec, base, seed, &service_of)
        .map_err(|e| e.in_file(&scenario.path))?;
    let mut hpas = Vec::new();
    for (i, d) in spec.deployments.iter().enumerate() {
        if let Some(h) = &d.hpa {
            let field = format!("deployments[{i}].hpa");
            let mut hpa = crate::autoscale::horizontal::HorizontalController::new(
                crate::autoscale::horizontal::HpaTarget::Deployment(i as u32),
                h.validate(&field)?,
                hpa_config,
                metrics_server,
            );
            super::hpa_metrics::bind(&mut hpa, &d.template, &feed, &field)
                .map_err(|e| e.in_file(&scenario.path))?;
            hpas.push(hpa);
        }
    }
    for (i, s) in spec.stateful_sets.iter().enumerate() {
        if let Some(h) = &s.hpa {
            let field = format!("statefulSets[{i}].hpa");
            let mut hpa = crate::autoscale::horizontal::HorizontalController::new(
                crate::autoscale::horizontal::HpaTarget::StatefulSet(i as u32),
                h.validate(&field)?,
                hpa_config,
                metrics_server,
            );
            super::hpa_metrics::bind(&mut hpa, &s.template, &feed, &field)
                .map_err(|e| e.in_file(&scenario.path))?;
            hpas.push(hpa);
        }
    }
    let controllers = b.controllers()?;
    let cron_jobs = b.cron_jobs(seed)?;
    b.register_topology();
    let pdbs = b.pdbs()?;
    let built = crate::scheduler::profiles::build(&spec.scheduler, registry, &mut b.cluster)
        .map_err(|e| e.in_file(&scenario.path))?;
    let scheduler = built.scheduler;
    let faults = crate::disruption::faults::Faults::build(spec, &mut b.cluster, seed)
        .map_err(|e| e.in_file(&scenario.path))?;
    let (stateful_sets, daemon_sets) = controllers;
    let mut sim = Simulation::new(
        b.cluster,
        scheduler,
        rng::stream(seed, Stream::Scheduler),
        sources,
        deployments,
        jobs,
        spec.sample_interval.0,
        SimTime(spec.duration.0),
    );
    sim.metrics.window_start = SimTime(spec.warmup.0);
    sim.kubelet = b.kubelet;
    sim.rollouts.planned = planned;
    sim.metrics
        .recovery
        .set_window_start(SimTime(spec.warmup.0));
    sim.faults = faults;
    sim.hpas = hpas;
    sim.stateful_sets = stateful_sets;
    sim.daemon_sets = daemon_sets;
    sim.cron_jobs = cron_jobs;
    sim.custom_metrics = feed;
    sim.hpa_metrics_log = sim
        .hpas
        .iter()
        .any(|h| h.spec.metrics.len() > 1 || h.spec.metrics.iter().any(|m| m.kind() != "Resource"));
    sim.hpa_log_all = spec.output.hpa_log == super::spec::HpaLog::All;
    sim.set_services(services);
    sim.pdbs = pdbs;
    sim.preemption = match built.preemption.as_slice() {
        [one] => one.map(|p| crate::scheduler::preemption::Preemption::new(p, seed)),
        several => several.iter().flatten().next().map(|&first| {
            let mut p = crate::scheduler::preemption::Preemption::new(first, seed);
            p.profile_args = several.to_vec();
            p
        }),
    };
    // Billing per pool: node pools may override the scenario's rule; node lists use it.
    let mut billing = vec![billing_of(&spec.billing); sim.cluster.pools.len()];
    for (i, p) in spec.node_pools.iter().enumerate() {
        if let Some(b) = &p.billing {
            billing[i] = billing_of(b);
        }
    }
    sim.metrics.cost = crate::metrics::cost::CostMeter::new(billing);
    sim.autoscaler = crate::autoscale::cluster_autoscaler::ClusterAutoscaler::from_spec(
        spec,
        &sim.cluster,
        seed,
    )
    .map_err(|e| e.in_file(&scenario.path))?;
    sim.budget = crate::budget::RunBudget::new(scenario.limits);
    Ok(sim)
}

// --- StatefulSets, DaemonSets and CronJobs ------------------------------------------------

/// A StatefulSet's `updateStrategy`, checked as upstream validation does.
fn stateful_set_update(
    s: Option<&super::spec::StatefulSetUpdateStrategySpec>,
    field: &str,
) -> Result<crate::workload::stateful_set::SetUpdate> {
    use crate::workload::stateful_set::SetUpdate;
    let f = format!("{field}.updateStrategy");
    let Some(s) = s else {
        return Ok(SetUpdate::RollingUpdate {
            partition: 0,
            max_unavailable: IntOrPercent::Int(1),
        });
    };
    match s.kind.as_deref() {
        None | Some("RollingUpdate") => {
            let ru = s.rolling_update.clone().unwrap_or_default();
            if ru.max_surge.is_some() {
                return Err(err(
                    format!("{f}.rollingUpdate.maxSurge"),
                    "is not a StatefulSet field (DaemonSets only)",
                ));
            }
            let max_unavailable = match &ru.max_unavailable {
                None => IntOrPercent::Int(1),
                Some(v) => {
                    let mf = format!("{f}.rollingUpdate.maxUnavailable");
                    let v = parse_rolling_value(v, &mf, 100)?;
                    if matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0)) {
                        return Err(err(mf, "must be greater than 0"));
                    }
                    v
                }
            };
            Ok(SetUpdate::RollingUpdate {
                partition: ru.partition.unwrap_or(0),
                max_unavailable,
            })
        }
        Some("OnDelete") => {
            if s.rolling_update.is_some() {
                return Err(err(
                    format!("{f}.rollingUpdate"),
                    "may only be given with type RollingUpdate",
                ));
            }
            Ok(SetUpdate::OnDelete)
        }
        Some(other) => Err(err(
            format!("{f}.type"),
            format!("unknown strategy {other:?}; expected RollingUpdate or OnDelete"),
        )),
    }
}

/// A DaemonSet's `updateStrategy`, checked as upstream validation does.
fn daemon_set_update(
    s: Option<&super::spec::StatefulSetUpdateStrategySpec>,
    field: &str,
) -> Result<crate::workload::daemon_set::DaemonUpdate> {
    use crate::workload::daemon_set::DaemonUpdate;
    let f = format!("{field}.updateStrategy");
    let default = DaemonUpdate::RollingUpdate {
        max_unavailable: IntOrPercent::Int(1),
        max_surge: IntOrPercent::Int(0),
    };
    let Some(s) = s else { return Ok(default) };
    match s.kind.as_deref() {
        None | Some("RollingUpdate") => {
            let ru = s.rolling_update.clone().unwrap_or_default();
            if ru.partition.is_some() {
                return Err(err(
                    format!("{f}.rollingUpdate.partition"),
                    "is not a DaemonSet field (StatefulSets only)",
                ));
            }
            let rf = format!("{f}.rollingUpdate");
            let max_unavailable = match &ru.max_unavailable {
                None => IntOrPercent::Int(1),
                Some(v) => parse_rolling_value(v, &format!("{rf}.maxUnavailable"), 100)?,
            };
            let max_surge = match &ru.max_surge {
                None => IntOrPercent::Int(0),
                Some(v) => parse_rolling_value(v, &format!("{rf}.maxSurge"), 100)?,
            };
            let zero =
                |v: IntOrPercent| matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
            if zero(max_unavailable) && zero(max_surge) {
                return Err(err(
                    format!("{rf}.maxUnavailable"),
                    "may not be 0 when maxSurge is 0",
                ));
            }
            Ok(DaemonUpdate::RollingUpdate {
                max_unavailable,
                max_surge,
            })
        }
        Some("OnDelete") => Ok(DaemonUpdate::OnDelete),
        Some(other) => Err(err(
            format!("{f}.type"),
            format!("unknown strategy {other:?}; expected RollingUpdate or OnDelete"),
        )),
    }
}

/// Checks that rollouts are in time order and not before the workload's start, and their
/// templates.
fn validate_rollouts(
    rollouts: &[super::spec::RolloutSpec],
    start: u64,
    t: &PodTemplateSpec,
    field: &str,
    spec: &ScenarioSpec,
) -> Result<()> {
    let mut last = start;
    for (k, r) in rollouts.iter().enumerate() {
        let rf = format!("{field}.rollouts[{k}]");
        if r.at.0 < last {
            return Err(err(
                format!("{rf}.at"),
                "must not be before the workload's start, and later than the previous rollout",
            ));
        }
        last = r.at.0;
        validate_template(
            &rolled_out_template(t, &r.new_version),
            &format!("{rf}.newVersion"),
            spec,
        )?;
    }
    Ok(())
}

/// Checks the StatefulSets, DaemonSets and CronJobs of a spec.
fn validate_controllers(spec: &ScenarioSpec) -> Result<()> {
    for (i, s) in spec.stateful_sets.iter().enumerate() {
        let f = format!("statefulSets[{i}]");
        if s.replicas > MAX_PODS_AT_ONCE {
            return Err(err(
                format!("{f}.replicas"),
                format!("more than {MAX_PODS_AT_ONCE}"),
            ));
        }
        match s.pod_management_policy.as_deref() {
            None | Some("OrderedReady") | Some("Parallel") => {}
            Some(other) => {
                return Err(err(
                    format!("{f}.podManagementPolicy"),
                    format!("unknown policy {other:?}; expected OrderedReady or Parallel"),
                ));
            }
        }
        stateful_set_update(s.update_strategy.as_ref(), &f)?;
        if let Some(h) = &s.hpa {
            h.validate(&format!("{f}.hpa"))?;
        }
        let tf = format!("{f}.template");
        validate_template(&s.template, &tf, spec)?;
        restart_policy(
            &s.template,
            &tf,
            &[RestartPolicy::Always],
            RestartPolicy::Always,
        )?;
        validate_rollouts(&s.rollouts, s.start.0, &s.template, &f, spec)?;
    }
    for (i, d) in spec.daemon_sets.iter().enumerate() {
        let f = format!("daemonSets[{i}]");
        daemon_set_update(d.update_strategy.as_ref(), &f)?;
        let tf = format!("{f}.template");
        validate_template(&d.template, &tf, spec)?;
        if d.template.node_name.is_some() {
            return Err(err(
                format!("{tf}.nodeName"),
                "may not be set on a DaemonSet (the controller picks the nodes)",
            ));
        }
        restart_policy(
            &d.template,
            &tf,
            &[RestartPolicy::Always],
            RestartPolicy::Always,
        )?;
        validate_rollouts(&d.rollouts, d.start.0, &d.template, &f, spec)?;
    }
    calendar(spec)?;
    for (i, c) in spec.cron_jobs.iter().enumerate() {
        let f = format!("cronJobs[{i}]");
        cron_parts(c, &f)?;
        let j = &c.job_template;
        let jf = format!("{f}.jobTemplate");
        if j.completions == 0 {
            return Err(err(format!("{jf}.completions"), "must be > 0"));
        }
        if j.parallelism == 0 || j.parallelism > MAX_PODS_AT_ONCE {
            return Err(err(
                format!("{jf}.parallelism"),
                format!("must be in 1..={MAX_PODS_AT_ONCE}"),
            ));
        }
        if j.duration.is_always_zero() {
            return Err(err(format!("{jf}.duration"), "must be > 0"));
        }
        validate_completion_mode(j.completion_mode.as_deref(), &jf)?;
        let tf = format!("{jf}.template");
        validate_template(&j.template, &tf, spec)?;
        restart_policy(
            &j.template,
            &tf,
            &[RestartPolicy::OnFailure, RestartPolicy::Never],
            RestartPolicy::OnFailure,
        )?;
    }
    Ok(())
}

/// The calendar instant of t=0 (`startTime`, RFC 3339; default the Unix epoch).
fn calendar(spec: &ScenarioSpec) -> Result<crate::workload::cron_job::Calendar> {
    let Some(text) = &spec.start_time else {
        return Ok(Default::default());
    };
    let t = chrono::DateTime::parse_from_rfc3339(text).map_err(|e| {
        err(
            "startTime",
            format!("{text:?} is not an RFC 3339 time such as 2026-01-05T00:00:00Z ({e})"),
        )
    })?;
    Ok(crate::workload::cron_job::Calendar {
        start_unix_ms: t.timestamp_millis(),
    })
}

/// A CronJob's schedule, time zone and concurrency policy, checked.
fn cron_parts(
    c: &super::spec::CronJobSpec,
    field: &str,
) -> Result<(
    crate::workload::cron::Schedule,
    chrono_tz::Tz,
    crate::workload::cron_job::ConcurrencyPolicy,
)> {
    use crate::workload::cron_job::ConcurrencyPolicy;
    let schedule = crate::workload::cron::Schedule::parse(&c.schedule).map_err(|e| {
        err(
            format!("{field}.schedule"),
            format!("{:?}: {e}", c.schedule),
        )
    })?;
    let tz = match &c.time_zone {
        None => chrono_tz::Tz::UTC,
        Some(name) => name.parse::<chrono_tz::Tz>().map_err(|_| {
            err(
                format!("{field}.timeZone"),
                format!("unknown time zone {name:?}; expected an IANA name such as Europe/Berlin"),
            )
        })?,
    };
    let policy = match c.concurrency_policy.as_deref() {
        None | Some("Allow") => ConcurrencyPolicy::Allow,
        Some("Forbid") => ConcurrencyPolicy::Forbid,
        Some("Replace") => ConcurrencyPolicy::Replace,
        Some(other) => {
            return Err(err(
                format!("{field}.concurrencyPolicy"),
                format!("unknown policy {other:?}; expected Allow, Forbid or Replace"),
            ));
        }
    };
    Ok((schedule, tz, policy))
}

impl Builder<'_> {
    /// Adds the DaemonSet tolerations to `bp`'s template.
    fn with_daemon_tolerations(&mut self, bp: &Blueprint) {
        let cluster = &mut self.cluster;
        let mut tolerations =
            std::mem::take(&mut cluster.templates[bp.template.0 as usize].tolerations);
        crate::workload::daemon_set::daemon_tolerations(&mut tolerations, &mut |s| {
            cluster.interner.intern(s)
        });
        cluster.templates[bp.template.0 as usize].tolerations = tolerations;
    }

    /// Gives a StatefulSet's template the system default spreading selector (its labels), as
    /// the DefaultPodTopologySpread plugin derives from the owning StatefulSet.
    fn with_set_selector(&mut self, bp: &Blueprint) {
        let t = &mut self.cluster.templates[bp.template.0 as usize];
        t.default_spread_selector = Some(LabelSelector {
            match_labels: t.labels.pairs().to_vec(),
            match_expressions: Vec::new(),
        });
    }

    /// The StatefulSet and DaemonSet controllers of the spec.
    #[allow(clippy::type_complexity)]
    fn controllers(
        &mut self,
    ) -> Result<(
        Vec<crate::workload::stateful_set::StatefulSetController>,
        Vec<crate::workload::daemon_set::DaemonSetController>,
    )> {
        use crate::workload::daemon_set::DaemonSetController;
        use crate::workload::stateful_set::{
            PlannedRevision, PodManagement, StatefulSetController,
        };
        let spec = self.spec;
        let always = RestartPolicy::Always;
        let mut sets = Vec::new();
        for (i, s) in spec.stateful_sets.iter().enumerate() {
            let f = format!("statefulSets[{i}]");
            let prefix = format!("{}-", s.name);
            let bp = self.blueprint(&s.template, &prefix, None, always)?;
            self.with_set_selector(&bp);
            let mut c = StatefulSetController::new(
                s.name.clone(),
                i as u32,
                s.replicas,
                SimTime(s.start.0),
                bp,
            );
            if s.pod_management_policy.as_deref() == Some("Parallel") {
                c.policy = PodManagement::Parallel;
            }
            c.update = stateful_set_update(s.update_strategy.as_ref(), &f)?;
            for r in &s.rollouts {
                let t = rolled_out_template(&s.template, &r.new_version);
                let mut v = self.blueprint(&t, &prefix, None, always)?;
                self.with_set_selector(&v);
                v.prefix = bp.prefix;
                c.planned.push(PlannedRevision {
                    at: SimTime(r.at.0),
                    blueprint: v,
                });
            }
            sets.push(c);
        }
        let hostname = self.cluster.interner.intern(crate::cluster::LABEL_HOSTNAME);
        let mut daemons = Vec::new();
        for (i, d) in spec.daemon_sets.iter().enumerate() {
            let f = format!("daemonSets[{i}]");
            let prefix = format!("{}-", d.name);
            let bp = self.blueprint(&d.template, &prefix, None, always)?;
            self.with_daemon_tolerations(&bp);
            let mut c = DaemonSetController::new(
                d.name.clone(),
                i as u32,
                SimTime(d.start.0),
                bp,
                hostname,
            );
            c.update = daemon_set_update(d.update_strategy.as_ref(), &f)?;
            for r in &d.rollouts {
                let t = rolled_out_template(&d.template, &r.new_version);
                let mut v = self.blueprint(&t, &prefix, None, always)?;
                self.with_daemon_tolerations(&v);
                v.prefix = bp.prefix;
                c.planned.push(PlannedRevision {
                    at: SimTime(r.at.0),
                    blueprint: v,
                });
            }
            daemons.push(c);
        }
        Ok((sets, daemons))
    }

    /// The CronJob controllers of the spec.
    fn cron_jobs(
        &mut self,
        seed: u64,
    ) -> Result<Vec<crate::workload::cron_job::CronJobController>> {
        use crate::workload::cron_job::{CronJobController, JobTemplate};
        let spec = self.spec;
        let cal = calendar(spec)?;
        let mut out = Vec::new();
        for (i, c) in spec.cron_jobs.iter().enumerate() {
            let f = format!("cronJobs[{i}]");
            let (schedule, tz, policy) = cron_parts(c, &f)?;
            let j = &c.job_template;
            let restart = restart_policy(
                &j.template,
                "",
                &[RestartPolicy::OnFailure, RestartPolicy::Never],
                RestartPolicy::OnFailure,
            )?;
            let blueprint = self.blueprint(&j.template, &format!("{}-", c.name), None, restart)?;
            out.push(CronJobController {
                name: c.name.clone(),
                schedule,
                tz,
                policy,
                starting_deadline_ms: c.starting_deadline_seconds.map(|s| s.saturating_mul(1000)),
                suspend: c.suspend,
                job: JobTemplate {
                    completions: j.completions,
                    parallelism: j.parallelism,
                    backoff_limit: j
                        .backoff_limit
                        .unwrap_or(crate::workload::job::DEFAULT_BACKOFF_LIMIT),
                    indexed: j.completion_mode.as_deref() == Some("Indexed"),
                    duration: j.duration.clone(),
                    blueprint,
                },
                last_schedule_unix: cal.unix_s(SimTime::ZERO),
                active: Vec::new(),
                jobs: Vec::new(),
                skipped: 0,
                armed: SimTime::NEVER,
                index: i as u32,
                calendar: cal,
                seed,
            });
        }
        Ok(out)
    }
}

//! A pod template's resources: the single-request shorthand (`requests`/`limits`: one
//! container) or `containers`, `initContainers` (sidecars) and `overhead`, reduced once per
//! template to the effective pod request, limits, scoring requests, QoS class and extended
//! requests (see [`crate::cluster::pod_requests`]).

use super::spec::{ContainerSpec, PodTemplateSpec, ResourceListSpec};
use crate::cluster::extended::is_pod_resource_name;
use crate::cluster::pod::{Limits, QosClass};
use crate::cluster::pod_requests::{
    self, CPU, ContainerResources, MEMORY, PodResources, ResourceMap,
};
use crate::cluster::resources::Resources;
use crate::error::{Error, Result};
use std::collections::BTreeSet;

/// Resource name of GPUs in resource maps.
const GPU: &str = "nvidia.com/gpu";

/// What a template's resources reduce to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TemplateResources {
    /// Effective request (cpu, memory, gpu; `pods` = 1).
    pub requests: Resources,
    /// Effective cpu and memory limits.
    pub limits: Limits,
    /// Scoring requests when they differ from what the request alone implies (containers, or
    /// an explicit zero in the shorthand); `None` = derive from the request.
    pub non_zero: Option<(u64, u64)>,
    /// QoS class when computed from containers; `None` = derive from requests and limits.
    pub qos: Option<QosClass>,
    /// Effective extended requests by name (zero amounts included; the registry drops them).
    pub extended: Vec<(String, u64)>,
}

/// A resource list as a map (cpu [millicores], memory [bytes], gpu [milli-GPUs], others
/// [units]).
pub(crate) fn to_map(r: &ResourceListSpec) -> ResourceMap {
    let mut m = ResourceMap::new();
    if let Some(q) = r.cpu {
        m.insert(CPU.into(), q.0);
    }
    if let Some(q) = r.memory {
        m.insert(MEMORY.into(), q.0);
    }
    if let Some(q) = r.gpu {
        m.insert(GPU.into(), q.0);
    }
    for (k, &v) in &r.extended {
        m.insert(k.clone(), v);
    }
    m
}

fn container(c: &ContainerSpec, sidecar: bool) -> ContainerResources {
    ContainerResources::new(to_map(&c.requests), to_map(&c.limits), sidecar)
}

/// The template's containers: the shorthand is one container.
pub(crate) fn pod_resources(t: &PodTemplateSpec) -> PodResources {
    if uses_containers(t) {
        PodResources {
            containers: t.containers.iter().map(|c| container(c, false)).collect(),
            init_containers: t
                .init_containers
                .iter()
                .map(|c| container(c, c.restart_policy.as_deref() == Some("Always")))
                .collect(),
            overhead: t.overhead.as_ref().map(to_map).unwrap_or_default(),
        }
    } else {
        PodResources {
            containers: vec![ContainerResources::new(
                to_map(&t.requests),
                to_map(&t.limits),
                false,
            )],
            ..Default::default()
        }
    }
}

/// Whether the template is written with containers (or overhead) rather than the shorthand.
pub(crate) fn uses_containers(t: &PodTemplateSpec) -> bool {
    !t.containers.is_empty() || !t.init_containers.is_empty() || t.overhead.is_some()
}

/// Reduces a template's resources. The shorthand keeps its historical meaning exactly
/// (`None` overrides) unless it has an explicit zero cpu or memory request, which the
/// scorers keep at zero (upstream `GetNonzeroRequestForResource` overrides unset requests
/// only).
pub(crate) fn template_resources(t: &PodTemplateSpec) -> TemplateResources {
    let pod = pod_resources(t);
    let req = pod_requests::pod_requests(&pod, None);
    let lim = pod_requests::pod_limits(&pod);
    let get = |m: &ResourceMap, k: &str| m.get(k).copied();
    let requests = Resources {
        cpu_milli: get(&req, CPU).unwrap_or(0),
        memory_bytes: get(&req, MEMORY).unwrap_or(0),
        gpu_milli: get(&req, GPU).unwrap_or(0),
        pods: 1,
    };
    let limits = Limits {
        cpu_milli: get(&lim, CPU),
        memory_bytes: get(&lim, MEMORY),
    };
    let extended = req
        .iter()
        .filter(|(k, _)| ![CPU, MEMORY, GPU].contains(&k.as_str()))
        .map(|(k, &v)| (k.clone(), v))
        .collect();
    let (non_zero, qos) = if uses_containers(t) {
        (
            Some(pod_requests::non_zero_requests(&pod)),
            Some(pod_requests::pod_qos(&pod)),
        )
    } else {
        let explicit_zero = [CPU, MEMORY]
            .iter()
            .any(|k| get(&pod.containers[0].requests, k) == Some(0));
        let nz = explicit_zero.then(|| pod_requests::non_zero_requests(&pod));
        (nz, None)
    };
    TemplateResources {
        requests,
        limits,
        non_zero,
        qos,
        extended,
    }
}

fn err(field: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::scenario(field, msg)
}

/// Checks the resource names of one list: cpu, memory, `nvidia.com/gpu`, or a pod resource
/// name (`example.com/foo`, `ephemeral-storage`, `hugepages-2Mi`); never `pods`.
fn validate_list(r: &ResourceListSpec, field: &str) -> Result<()> {
    if r.pods.is_some() {
        return Err(err(
            format!("{field}.pods"),
            "pods is not a pod request (every pod takes one slot)",
        ));
    }
    for name in r.extended.keys() {
        if !is_pod_resource_name(name) {
            return Err(err(
                format!("{field}.{name}"),
                "unknown resource; expected cpu, memory, ephemeral-storage, hugepages-<size> \
                 or an extended resource with a domain prefix such as example.com/foo",
            ));
        }
    }
    Ok(())
}

/// Limits must be at least the requests for every resource both set; extended resources
/// (and hugepages) may not be overcommitted: request == limit when both are set
/// (pkg/apis/core/validation `ValidateResourceRequirements`).
fn validate_requirements(
    req: &ResourceListSpec,
    lim: &ResourceListSpec,
    field: &str,
) -> Result<()> {
    validate_list(req, &format!("{field}.requests"))?;
    validate_list(lim, &format!("{field}.limits"))?;
    let (r, l) = (to_map(req), to_map(lim));
    for (name, &limit) in &l {
        if let Some(&request) = r.get(name) {
            if request > limit {
                return Err(err(
                    format!("{field}.limits"),
                    format!("{name} limit is below the {name} request"),
                ));
            }
            let overcommit_forbidden = ![CPU, MEMORY, "ephemeral-storage"].contains(&name.as_str());
            if overcommit_forbidden && request != limit {
                return Err(err(
                    format!("{field}.requests.{name}"),
                    format!("must equal the {name} limit (it cannot be overcommitted)"),
                ));
            }
        }
    }
    Ok(())
}

/// Validates containers, init containers and overhead: unique container names (across both
/// lists), limits >= requests per container, `restartPolicy` only on init containers and only
/// `Always`, and not mixed with the shorthand `requests`/`limits`.
pub(crate) fn validate(t: &PodTemplateSpec, field: &str) -> Result<()> {
    if !uses_containers(t) {
        return validate_requirements(&t.requests, &t.limits, field);
    }
    if !t.requests.is_empty() || !t.limits.is_empty() {
        return Err(err(
            format!("{field}.requests"),
            "set either requests/limits (one container) or containers, not both",
        ));
    }
    let mut names = BTreeSet::new();
    let lists = [
        ("containers", &t.containers),
        ("initContainers", &t.init_containers),
    ];
    for (list, containers) in lists {
        for (i, c) in containers.iter().enumerate() {
            let f = format!("{field}.{list}[{i}]");
            if c.name.is_empty() {
                return Err(err(format!("{f}.name"), "must not be empty"));
            }
            if !names.insert(c.name.as_str()) {
                return Err(err(
                    format!("{f}.name"),
                    format!("duplicate container name {:?}", c.name),
                ));
            }
            validate_requirements(&c.requests, &c.limits, &f)?;
            match (list, c.restart_policy.as_deref()) {
                (_, None) | ("initContainers", Some("Always")) => {}
                ("containers", Some(_)) => {
                    return Err(err(
                        format!("{f}.restartPolicy"),
                        "only init containers may set restartPolicy",
                    ));
                }
                (_, Some(p)) => {
                    return Err(err(
                        format!("{f}.restartPolicy"),
                        format!("unsupported value {p:?}; expected Always (a sidecar)"),
                    ));
                }
            }
        }
    }
    if let Some(o) = &t.overhead {
        validate_list(o, &format!("{field}.overhead"))?;
    }
    Ok(())
}

/// Rejects containers, overhead and extended resources on a template whose pods each get their
/// own single request set (`why`): trace sources and generator shapes.
pub(crate) fn single_request_set(t: &PodTemplateSpec, field: &str, why: &str) -> Result<()> {
    if uses_containers(t) {
        return Err(err(
            format!("{field}.containers"),
            format!("not supported here: {why}"),
        ));
    }
    if !t.requests.extended.is_empty() || !t.limits.extended.is_empty() {
        return Err(err(
            format!("{field}.requests"),
            format!("extended resources are not supported here: {why}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(yaml: &str) -> PodTemplateSpec {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn shorthand_keeps_its_meaning() {
        let t = template("{requests: {cpu: 500m}, limits: {memory: 1Gi}}");
        let r = template_resources(&t);
        assert_eq!(
            r.requests,
            Resources {
                cpu_milli: 500,
                memory_bytes: 1 << 30,
                gpu_milli: 0,
                pods: 1
            }
        );
        assert_eq!(
            r.limits,
            Limits {
                cpu_milli: None,
                memory_bytes: Some(1 << 30)
            }
        );
        assert_eq!((r.non_zero, r.qos), (None, None));
        // An explicit zero stays zero for scoring; the unset memory gets 200Mi.
        let r = template_resources(&template("{requests: {cpu: 0}}"));
        assert_eq!(r.non_zero, Some((0, 200 << 20)));
    }

    #[test]
    fn containers_reduce_to_the_pod_request() {
        let t = template(
            "{containers: [{name: app, requests: {cpu: 1, example.com/foo: 2}, limits: {example.com/foo: 2}}, {name: log}],
              initContainers: [{name: proxy, restartPolicy: Always, requests: {cpu: 100m, memory: 64Mi}},
                               {name: migrate, requests: {cpu: 2, memory: 1Gi}}],
              overhead: {cpu: 50m}}",
        );
        validate(&t, "t").unwrap();
        let r = template_resources(&t);
        // Steady state 1 + 0.1 cpu vs init phase 0.1 + 2: 2.1 + 0.05 overhead.
        assert_eq!(r.requests.cpu_milli, 2150);
        assert_eq!(r.requests.memory_bytes, (64 << 20) + (1 << 30));
        assert_eq!(r.extended, vec![("example.com/foo".to_string(), 2)]);
        // Scoring: app 1000m + log 100m + proxy 100m = 1200m vs init 100m + 2000m: 2100m + 50m;
        // memory: app 200Mi + log 200Mi + proxy 64Mi = 464Mi vs 64Mi + 1Gi.
        assert_eq!(r.non_zero, Some((2150, (64 << 20) + (1 << 30))));
        assert_eq!(r.qos, Some(QosClass::Burstable));
    }

    #[test]
    fn validation() {
        let bad = [
            ("{containers: [{name: a}, {name: a}]}", "duplicate"),
            (
                "{containers: [{name: a, requests: {cpu: 2}, limits: {cpu: 1}}]}",
                "limit is below",
            ),
            (
                "{containers: [{name: a, restartPolicy: Always}]}",
                "only init",
            ),
            (
                "{initContainers: [{name: a, restartPolicy: Never}]}",
                "unsupported",
            ),
            ("{requests: {cpu: 1}, containers: [{name: a}]}", "either"),
            ("{requests: {foo: 1}}", "unknown resource"),
            (
                "{requests: {example.com/foo: 1}, limits: {example.com/foo: 2}}",
                "overcommitted",
            ),
        ];
        for (yaml, msg) in bad {
            let e = validate(&template(yaml), "t").unwrap_err().to_string();
            assert!(e.contains(msg), "{yaml}: {e}");
        }
    }
}

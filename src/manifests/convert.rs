//! Kubernetes objects → native scenario entries.

use super::objects::{
    Body, Container, HpaSpecK, Metadata, Object, PodSpec, PodTemplate, Resources,
};
use super::{Converted, Origin, Warnings};
use crate::autoscale::hpa::spec::HpaSpec;
use crate::error::{Error, Result};
use crate::scenario::spec::{
    BarePodSpec, ContainerSpec, CronJobSpec, DaemonSetSpec, DeploymentSpec, IntOrString, JobSpec,
    JobTemplateSpec, LabelSelectorSpec, NodeSpec, PodDisruptionBudgetSpec, PodTemplateSpec,
    PriorityClassSpec, StartupSpec, StatefulSetSpec, StrategySpec, TaintSpec, UsageSpec,
};
use crate::scenario::values::{Duration, DurationDist};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};

/// Prefix of the annotations that carry what Kubernetes objects do not say.
pub const ANNOTATION_PREFIX: &str = "kubesim.io/";

/// The annotations read, with what they mean.
pub const ANNOTATIONS: &[(&str, &str)] = &[
    (
        "kubesim.io/start",
        "creation time of the object (duration after t=0)",
    ),
    (
        "kubesim.io/duration",
        "run time of each pod of a Job / CronJob / bare pod",
    ),
    (
        "kubesim.io/usage-cpu",
        "cpu usage of each pod (default: its request)",
    ),
    (
        "kubesim.io/usage-memory",
        "memory usage at start (default: its request)",
    ),
    (
        "kubesim.io/memory-leak-per-hour",
        "memory growth per hour of run time",
    ),
    (
        "kubesim.io/image-pull",
        "bind to container running (duration or distribution)",
    ),
    (
        "kubesim.io/readiness-delay",
        "container start to Ready (duration or distribution)",
    ),
    ("kubesim.io/probe-period", "readiness probe period"),
    ("kubesim.io/hourly-price", "Node: price in USD per hour"),
    ("kubesim.io/spot", "Node: \"true\" for a spot node"),
];

/// Run time given to a Job's pods when the Job has no `kubesim.io/duration` annotation.
pub const DEFAULT_JOB_DURATION_MS: u64 = 60_000;

/// Container fields with no effect on placement or the resource model, reported as one group.
const CONTAINER_RUNTIME_FIELDS: &[&str] = &[
    "image",
    "imagePullPolicy",
    "command",
    "args",
    "workingDir",
    "ports",
    "env",
    "envFrom",
    "volumeMounts",
    "volumeDevices",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "securityContext",
    "stdin",
    "stdinOnce",
    "tty",
    "resizePolicy",
];

/// `default` namespace-qualified native name: `name`, or `ns/name` outside `default`.
pub fn qualify(namespace: &str, name: &str) -> String {
    if namespace == "default" {
        name.to_owned()
    } else {
        format!("{namespace}/{name}")
    }
}

/// The label carrying a pod's namespace when objects of several namespaces are read.
pub const NAMESPACE_LABEL: &str = "kubesim.io/namespace";

/// Collects ignored paths of one object.
#[derive(Default)]
pub struct Ignored {
    paths: Vec<String>,
    runtime: bool,
}

impl Ignored {
    fn add(&mut self, prefix: &str, keys: &[String]) {
        for k in keys {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if !self.paths.contains(&p) {
                self.paths.push(p);
            }
        }
    }

    fn resources(&mut self, prefix: &str, r: &Option<Resources>) {
        if let Some(r) = r {
            for k in &r.ignored {
                let p = format!("{prefix}[{k}]");
                if !self.paths.contains(&p) {
                    self.paths.push(p);
                }
            }
        }
    }

    /// The compact list, or `None` when nothing was ignored.
    pub fn render(&self) -> Option<String> {
        let mut parts = self.paths.clone();
        if self.runtime {
            parts.push("container runtime fields (image, ports, env, probes, ...)".to_owned());
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// What the converter knows about the object it is working on (for errors and warnings).
pub struct Ctx<'a> {
    /// Where it was read.
    pub origin: &'a Origin,
    /// Kind.
    pub kind: &'a str,
    /// Namespace.
    pub namespace: String,
    /// Native (qualified) name.
    pub name: String,
}

impl Ctx<'_> {
    /// An error about `field` of this object.
    pub fn error(&self, field: &str, message: impl Into<String>) -> Error {
        Error::Yaml {
            file: self.origin.file.display().to_string(),
            location: format!(
                " ({}, {}/{}, field `{field}`)",
                self.origin.describe(),
                self.kind,
                self.name
            ),
            message: message.into(),
        }
    }
}

fn annotation<T: DeserializeOwned>(
    ctx: &Ctx,
    annotations: &BTreeMap<String, String>,
    key: &str,
) -> Result<Option<T>> {
    let Some(v) = annotations.get(key) else {
        return Ok(None);
    };
    serde_yaml_ng::from_str::<T>(v).map(Some).map_err(|e| {
        let mut m = e.to_string();
        if let Some(i) = m.find(" at line ") {
            m.truncate(i);
        }
        ctx.error(&format!("metadata.annotations[{key}]"), m)
    })
}

/// Rejects unknown `kubesim.io/` annotations (typos would otherwise be silent).
fn check_annotations(ctx: &Ctx, a: &BTreeMap<String, String>, field: &str) -> Result<()> {
    for k in a.keys() {
        if k.starts_with(ANNOTATION_PREFIX) && !ANNOTATIONS.iter().any(|(n, _)| n == k) {
            let known: Vec<&str> = ANNOTATIONS.iter().map(|(n, _)| *n).collect();
            return Err(ctx.error(
                &format!("{field}[{k}]"),
                format!(
                    "unknown kubesim annotation; expected one of: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Annotations of the pod template, falling back to the object's.
struct Notes<'a> {
    template: &'a BTreeMap<String, String>,
    object: &'a BTreeMap<String, String>,
}

impl Notes<'_> {
    fn get<T: DeserializeOwned>(&self, ctx: &Ctx, key: &str) -> Result<Option<T>> {
        match annotation(ctx, self.template, key)? {
            Some(v) => Ok(Some(v)),
            None => annotation(ctx, self.object, key),
        }
    }
}

static EMPTY: BTreeMap<String, String> = BTreeMap::new();

fn container(c: &Container, field: &str, ig: &mut Ignored) -> ContainerSpec {
    for k in &c.ignored {
        if CONTAINER_RUNTIME_FIELDS.contains(&k.as_str()) {
            ig.runtime = true;
        } else {
            ig.add(field, std::slice::from_ref(k));
        }
    }
    let mut out = ContainerSpec {
        name: c.name.clone().unwrap_or_default(),
        restart_policy: c.restart_policy.clone(),
        ..Default::default()
    };
    if let Some(r) = &c.resources {
        ig.add(&format!("{field}.resources"), &r.ignored);
        ig.resources(&format!("{field}.resources.requests"), &r.requests);
        ig.resources(&format!("{field}.resources.limits"), &r.limits);
        if let Some(q) = &r.requests {
            out.requests = q.list.clone();
        }
        if let Some(l) = &r.limits {
            out.limits = l.list.clone();
        }
    }
    out
}

/// A pod template at `prefix` (e.g. `spec.template`) of an object.
fn template(
    ctx: &Ctx,
    t: &PodTemplate,
    object: &Metadata,
    prefix: &str,
    ig: &mut Ignored,
) -> Result<PodTemplateSpec> {
    ig.add(prefix, &t.ignored);
    pod(
        ctx,
        t.metadata.as_ref(),
        t.spec.as_ref(),
        object,
        &format!("{prefix}.metadata"),
        &format!("{prefix}.spec"),
        ig,
    )
}

/// A pod from its metadata (labels, annotations) and spec; `object` is the owning object's
/// metadata (annotation fallback).
fn pod(
    ctx: &Ctx,
    meta: Option<&Metadata>,
    spec: Option<&PodSpec>,
    object: &Metadata,
    meta_prefix: &str,
    sp: &str,
    ig: &mut Ignored,
) -> Result<PodTemplateSpec> {
    let mut out = PodTemplateSpec::default();
    let empty = Metadata::default();
    let meta = meta.unwrap_or(&empty);
    ig.add(meta_prefix, &meta.ignored);
    out.labels = meta.labels.clone().unwrap_or_default();
    let annotations = meta.annotations.as_ref().unwrap_or(&EMPTY);
    check_annotations(ctx, annotations, &format!("{meta_prefix}.annotations"))?;
    out.annotations = annotations
        .iter()
        .filter(|(k, _)| !k.starts_with(ANNOTATION_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let notes = Notes {
        template: annotations,
        object: object.annotations.as_ref().unwrap_or(&EMPTY),
    };
    let usage = UsageSpec {
        cpu: notes.get(ctx, "kubesim.io/usage-cpu")?,
        memory: notes.get(ctx, "kubesim.io/usage-memory")?,
        memory_leak_per_hour: notes.get(ctx, "kubesim.io/memory-leak-per-hour")?,
    };
    if usage.cpu.is_some() || usage.memory.is_some() || usage.memory_leak_per_hour.is_some() {
        out.usage = Some(usage);
    }
    let startup = StartupSpec {
        image_pull: notes.get(ctx, "kubesim.io/image-pull")?,
        readiness_delay: notes.get(ctx, "kubesim.io/readiness-delay")?,
        probe_period: notes.get(ctx, "kubesim.io/probe-period")?,
    };
    if startup.image_pull.is_some()
        || startup.readiness_delay.is_some()
        || startup.probe_period.is_some()
    {
        out.startup = Some(startup);
    }
    let Some(s) = spec else {
        return Ok(out);
    };
    ig.add(sp, &s.ignored);
    let containers: Vec<ContainerSpec> = s
        .containers
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| container(c, &format!("{sp}.containers[{i}]"), ig))
        .collect();
    let init: Vec<ContainerSpec> = s
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| container(c, &format!("{sp}.initContainers[{i}]"), ig))
        .collect();
    ig.resources(&format!("{sp}.overhead"), &s.overhead);
    // One container, no init containers and no overhead is exactly the native shorthand.
    if containers.len() == 1 && init.is_empty() && s.overhead.is_none() {
        out.requests = containers[0].requests.clone();
        out.limits = containers[0].limits.clone();
    } else {
        out.containers = containers;
        out.init_containers = init;
        out.overhead = s.overhead.as_ref().map(|o| o.list.clone());
    }
    out.node_selector = s.node_selector.clone().unwrap_or_default();
    out.affinity = s.affinity.clone();
    out.tolerations = s.tolerations.clone().unwrap_or_default();
    out.topology_spread_constraints = s.topology_spread_constraints.clone().unwrap_or_default();
    out.priority_class_name = s.priority_class_name.clone();
    // Admission resolves the class into `priority`; a class name wins over the copied value.
    if out.priority_class_name.is_none() {
        out.priority = s.priority;
    }
    // `default-scheduler` is the default profile.
    out.scheduler_name = s
        .scheduler_name
        .clone()
        .filter(|n| n != crate::scheduler::DEFAULT_SCHEDULER);
    out.node_name = s.node_name.clone();
    out.termination_grace_period_seconds = s.termination_grace_period_seconds;
    out.restart_policy = s.restart_policy.clone();
    Ok(out)
}

fn required_template<'a>(
    ctx: &Ctx,
    t: &'a Option<PodTemplate>,
    field: &str,
) -> Result<&'a PodTemplate> {
    t.as_ref()
        .ok_or_else(|| ctx.error(field, "missing: the pod template is required"))
}

fn start(ctx: &Ctx, m: &Metadata) -> Result<Duration> {
    Ok(annotation(
        ctx,
        m.annotations.as_ref().unwrap_or(&EMPTY),
        "kubesim.io/start",
    )?
    .unwrap_or_default())
}

/// The targets an HPA may name: (namespace, kind, name) → index into deployments (false) or
/// StatefulSets (true).
pub type Targets = BTreeMap<(String, String, String), (bool, usize)>;

/// Converts one object (not a list, not a KubeSchedulerConfiguration) into `out`.
pub fn object(
    o: &Object,
    origin: &Origin,
    out: &mut Converted,
    controllers: &BTreeSet<(String, String, String)>,
    targets: &mut Targets,
    hpas: &mut Vec<(Origin, String, String, HpaSpecK)>,
    warnings: &mut Warnings,
) -> Result<()> {
    let namespace = o
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    let raw_name = o.metadata.name.clone().unwrap_or_default();
    let cluster_scoped = matches!(o.kind.as_str(), "Node" | "PriorityClass");
    let ctx = Ctx {
        origin,
        kind: &o.kind,
        name: if cluster_scoped {
            raw_name.clone()
        } else {
            qualify(&namespace, &raw_name)
        },
        namespace: namespace.clone(),
    };
    if raw_name.is_empty() {
        return Err(ctx.error("metadata.name", "missing"));
    }
    let mut ig = Ignored::default();
    ig.add("", &o.ignored);
    ig.add("metadata", &o.metadata.ignored);
    if o.node_status.is_some() || o.pod_status.is_some() {
        ig.add("", &["status".to_owned()]);
    }
    let object_notes = o.metadata.annotations.as_ref().unwrap_or(&EMPTY);
    check_annotations(&ctx, object_notes, "metadata.annotations")?;
    if !cluster_scoped {
        out.namespaces.insert(namespace.clone());
    }
    let key = |kind: &str| (namespace.clone(), kind.to_owned(), raw_name.clone());
    if matches!(o.kind.as_str(), "Pod" | "ReplicaSet" | "Job")
        && let Some((kind, name)) = controller_of(&o.metadata)
        && controllers.contains(&(namespace.clone(), kind.clone(), name.clone()))
    {
        warnings.note(
            origin,
            &o.kind,
            &ctx.name,
            &format!("skipped: its controller {kind}/{name} is read too and recreates it"),
        );
        return Ok(());
    }
    match &o.body {
        Body::Deployment(s) | Body::ReplicaSet(s) => {
            ig.add("spec", &s.ignored);
            let t = required_template(&ctx, &s.template, "spec.template")?;
            let template = template(&ctx, t, &o.metadata, "spec.template", &mut ig)?;
            let mut strategy = None;
            if let Some(st) = &s.strategy {
                ig.add("spec.strategy", &st.ignored);
                let mut spec = StrategySpec::default();
                match st.kind.as_deref() {
                    None | Some("RollingUpdate") => {
                        if let Some(r) = &st.rolling_update {
                            ig.add("spec.strategy.rollingUpdate", &r.ignored);
                            spec.max_surge = r.max_surge.clone();
                            spec.max_unavailable = r.max_unavailable.clone();
                        }
                    }
                    // Recreate: every old pod goes before a new one is created.
                    Some("Recreate") => {
                        spec.max_surge = Some(IntOrString::Int(0));
                        spec.max_unavailable = Some(IntOrString::Str("100%".to_owned()));
                    }
                    Some(other) => {
                        return Err(ctx.error(
                            "spec.strategy.type",
                            format!(
                                "unknown strategy {other:?}; expected RollingUpdate or Recreate"
                            ),
                        ));
                    }
                }
                strategy = Some(spec);
            }
            if let Some(p) = s.progress_deadline_seconds {
                strategy
                    .get_or_insert_with(StrategySpec::default)
                    .progress_deadline_seconds = Some(p);
            }
            targets.insert(key(&o.kind), (false, out.deployments.len()));
            out.deployments.push(DeploymentSpec {
                name: ctx.name.clone(),
                replicas: s.replicas.unwrap_or(1),
                start: start(&ctx, &o.metadata)?,
                template,
                hpa: None,
                load: None,
                service: None,
                strategy,
                rollouts: Vec::new(),
            });
        }
        Body::StatefulSet(s) => {
            ig.add("spec", &s.ignored);
            let t = required_template(&ctx, &s.template, "spec.template")?;
            let template = template(&ctx, t, &o.metadata, "spec.template", &mut ig)?;
            targets.insert(key("StatefulSet"), (true, out.stateful_sets.len()));
            out.stateful_sets.push(StatefulSetSpec {
                name: ctx.name.clone(),
                replicas: s.replicas.unwrap_or(1),
                start: start(&ctx, &o.metadata)?,
                pod_management_policy: s.pod_management_policy.clone(),
                update_strategy: s.update_strategy.clone(),
                template,
                hpa: None,
                rollouts: Vec::new(),
            });
        }
        Body::DaemonSet(s) => {
            ig.add("spec", &s.ignored);
            let t = required_template(&ctx, &s.template, "spec.template")?;
            let template = template(&ctx, t, &o.metadata, "spec.template", &mut ig)?;
            out.daemon_sets.push(DaemonSetSpec {
                name: ctx.name.clone(),
                start: start(&ctx, &o.metadata)?,
                update_strategy: s.update_strategy.clone(),
                template,
                rollouts: Vec::new(),
            });
        }
        Body::Job(s) => {
            let (j, duration) = job(&ctx, s, &o.metadata, "spec", &mut ig, warnings)?;
            out.jobs.push(JobSpec {
                name: ctx.name.clone(),
                start: start(&ctx, &o.metadata)?,
                completions: j.completions,
                parallelism: j.parallelism,
                duration,
                template: j.template,
                backoff_limit: j.backoff_limit,
                completion_mode: j.completion_mode,
            });
        }
        Body::CronJob(s) => {
            ig.add("spec", &s.ignored);
            let schedule = s
                .schedule
                .clone()
                .ok_or_else(|| ctx.error("spec.schedule", "missing"))?;
            let jt = s
                .job_template
                .as_ref()
                .ok_or_else(|| ctx.error("spec.jobTemplate", "missing"))?;
            ig.add("spec.jobTemplate", &jt.ignored);
            let empty_meta = Metadata::default();
            let jmeta = jt.metadata.as_ref().unwrap_or(&empty_meta);
            let empty_spec = super::objects::JobSpecK::default();
            let js = jt.spec.as_ref().unwrap_or(&empty_spec);
            // Annotations: pod template, then the job template, then the CronJob.
            let mut merged = o.metadata.annotations.clone().unwrap_or_default();
            merged.extend(jmeta.annotations.clone().unwrap_or_default());
            let merged_meta = Metadata {
                annotations: Some(merged),
                ..Default::default()
            };
            let (j, duration) = job(
                &ctx,
                js,
                &merged_meta,
                "spec.jobTemplate.spec",
                &mut ig,
                warnings,
            )?;
            out.cron_jobs.push(CronJobSpec {
                name: ctx.name.clone(),
                schedule,
                time_zone: s.time_zone.clone(),
                concurrency_policy: s.concurrency_policy.clone(),
                starting_deadline_seconds: s.starting_deadline_seconds,
                suspend: s.suspend.unwrap_or(false),
                job_template: JobTemplateSpec { duration, ..j },
            });
        }
        Body::Pod(s) => {
            let phase = o.pod_status.as_ref().and_then(|p| p.phase.as_deref());
            if let Some(phase @ ("Succeeded" | "Failed")) = phase {
                warnings.note(
                    origin,
                    &o.kind,
                    &ctx.name,
                    &format!("skipped: phase {phase}"),
                );
                return Ok(());
            }
            let template = pod(
                &ctx,
                Some(&o.metadata),
                Some(s),
                &Metadata::default(),
                "metadata",
                "spec",
                &mut ig,
            )?;
            out.pods.push(BarePodSpec {
                name: ctx.name.clone(),
                start: start(&ctx, &o.metadata)?,
                duration: annotation(&ctx, object_notes, "kubesim.io/duration")?,
                template,
            });
        }
        Body::Node(s) => {
            ig.add("spec", &s.ignored);
            let mut taints = Vec::new();
            for (i, t) in s.taints.iter().flatten().enumerate() {
                ig.add(&format!("spec.taints[{i}]"), &t.ignored);
                taints.push(TaintSpec {
                    key: t
                        .key
                        .clone()
                        .ok_or_else(|| ctx.error(&format!("spec.taints[{i}].key"), "missing"))?,
                    value: t.value.clone().unwrap_or_default(),
                    effect: t
                        .effect
                        .clone()
                        .ok_or_else(|| ctx.error(&format!("spec.taints[{i}].effect"), "missing"))?,
                });
            }
            let status = o.node_status.as_ref();
            let alloc = status.and_then(|st| st.allocatable.as_ref().or(st.capacity.as_ref()));
            let Some(alloc) = alloc else {
                return Err(ctx.error(
                    "status.allocatable",
                    "missing: a Node needs status.allocatable (or status.capacity)",
                ));
            };
            if let Some(st) = status {
                ig.resources("status.allocatable", &st.allocatable);
            }
            out.nodes.push(NodeSpec {
                name: ctx.name.clone(),
                allocatable: alloc.list.clone(),
                labels: o.metadata.labels.clone().unwrap_or_default(),
                taints,
                unschedulable: s.unschedulable.unwrap_or(false),
                hourly_price: annotation(&ctx, object_notes, "kubesim.io/hourly-price")?,
                spot: annotation::<bool>(&ctx, object_notes, "kubesim.io/spot")?.unwrap_or(false),
            });
        }
        Body::Hpa(s) => {
            ig.add("spec", &s.ignored);
            hpas.push((
                origin.clone(),
                namespace.clone(),
                ctx.name.clone(),
                s.clone(),
            ));
        }
        Body::Pdb(s) => {
            ig.add("spec", &s.ignored);
            // policy/v1: a null selector selects no pod, so the budget has no effect and is
            // left out; `{}` selects every pod of the namespace. Expressions pass unchanged.
            let Some(selector) = s.selector.clone() else {
                warnings.note(
                    origin,
                    &o.kind,
                    &ctx.name,
                    "no spec.selector: the budget selects no pod, ignored",
                );
                return Ok(());
            };
            out.pod_disruption_budgets.push(PodDisruptionBudgetSpec {
                name: ctx.name.clone(),
                selector,
                min_available: s.min_available.clone(),
                max_unavailable: s.max_unavailable.clone(),
            });
        }
        Body::None if o.kind == "PriorityClass" => {
            out.priority_classes.push(PriorityClassSpec {
                name: ctx.name.clone(),
                value: o.value.ok_or_else(|| ctx.error("value", "missing"))?,
                global_default: o.global_default.unwrap_or(false),
                preemption_policy: o.preemption_policy.clone(),
            });
        }
        Body::None => {
            if !super::objects::KINDS.contains(&o.kind.as_str()) {
                warnings.note(origin, &o.kind, &ctx.name, "unknown kind, ignored");
                return Ok(());
            }
            return Err(ctx.error("spec", "missing"));
        }
    }
    if let Some(list) = ig.render() {
        warnings.note(origin, &o.kind, &ctx.name, &format!("ignored {list}"));
    }
    Ok(())
}

/// The managing controller (kind, name) named by `ownerReferences`.
pub fn controller_of(m: &Metadata) -> Option<(String, String)> {
    m.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
        .map(|r| {
            (
                r.kind.clone().unwrap_or_default(),
                r.name.clone().unwrap_or_default(),
            )
        })
}

/// A Job spec (of a Job or a CronJob's template) and its pods' run time; `meta` holds the
/// annotations that apply after the pod template's.
fn job(
    ctx: &Ctx,
    s: &super::objects::JobSpecK,
    meta: &Metadata,
    prefix: &str,
    ig: &mut Ignored,
    warnings: &mut Warnings,
) -> Result<(JobTemplateSpec, DurationDist)> {
    ig.add(prefix, &s.ignored);
    let field = format!("{prefix}.template");
    let t = required_template(ctx, &s.template, &field)?;
    let template = template(ctx, t, meta, &field, ig)?;
    let empty = Metadata::default();
    let tmeta = t.metadata.as_ref().unwrap_or(&empty);
    let notes = Notes {
        template: tmeta.annotations.as_ref().unwrap_or(&EMPTY),
        object: meta.annotations.as_ref().unwrap_or(&EMPTY),
    };
    let duration = match notes.get::<DurationDist>(ctx, "kubesim.io/duration")? {
        Some(d) => d,
        None => {
            warnings.note(
                ctx.origin,
                ctx.kind,
                &ctx.name,
                "no kubesim.io/duration annotation: each pod runs 1m",
            );
            DurationDist::Constant(DEFAULT_JOB_DURATION_MS)
        }
    };
    let parallelism = s.parallelism.unwrap_or(1);
    // Unset completions: the Job succeeds once its `parallelism` pods have all run (the
    // work-queue pattern), which with equal run times is `parallelism` completions.
    let completions = s.completions.unwrap_or(parallelism.max(1));
    Ok((
        JobTemplateSpec {
            completions,
            parallelism,
            backoff_limit: s.backoff_limit,
            completion_mode: s.completion_mode.clone(),
            duration: duration.clone(),
            template,
        },
        duration,
    ))
}

/// Attaches each HPA to its `scaleTargetRef` (same namespace).
pub fn resolve_hpas(
    out: &mut Converted,
    targets: &Targets,
    hpas: Vec<(Origin, String, String, HpaSpecK)>,
    warnings: &mut Warnings,
) -> Result<()> {
    for (origin, namespace, name, s) in hpas {
        let ctx = Ctx {
            origin: &origin,
            kind: "HorizontalPodAutoscaler",
            namespace: namespace.clone(),
            name: name.clone(),
        };
        let r = s
            .scale_target_ref
            .as_ref()
            .ok_or_else(|| ctx.error("spec.scaleTargetRef", "missing"))?;
        let kind = r.kind.clone().unwrap_or_default();
        let target_name = r.name.clone().unwrap_or_default();
        let Some(&(stateful, index)) =
            targets.get(&(namespace.clone(), kind.clone(), target_name.clone()))
        else {
            return Err(ctx.error(
                "spec.scaleTargetRef",
                format!(
                    "no {kind} named {target_name:?} in namespace {namespace:?} among the \
                     manifests read (Deployment, ReplicaSet and StatefulSet targets are supported)"
                ),
            ));
        };
        let max_replicas = s
            .max_replicas
            .ok_or_else(|| ctx.error("spec.maxReplicas", "missing"))?;
        let mut metrics = s.metrics.clone().unwrap_or_default();
        if let Some(p) = s.target_cpu_utilization_percentage {
            let text = format!(
                "{{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: {p}}}}}}}"
            );
            metrics.push(serde_yaml_ng::from_str(&text).expect("a well-formed metric"));
        }
        let hpa = HpaSpec {
            min_replicas: s.min_replicas,
            max_replicas,
            metrics,
            behavior: s.behavior.clone(),
        };
        let slot = if stateful {
            &mut out.stateful_sets[index].hpa
        } else {
            &mut out.deployments[index].hpa
        };
        if slot.is_some() {
            return Err(ctx.error(
                "spec.scaleTargetRef",
                format!("{kind} {target_name:?} already has an HPA"),
            ));
        }
        *slot = Some(hpa);
        let mut ig = Ignored::default();
        ig.add("spec", &s.ignored);
        ig.add("spec.scaleTargetRef", &r.ignored);
        if let Some(list) = ig.render() {
            warnings.note(
                &origin,
                "HorizontalPodAutoscaler",
                &name,
                &format!("ignored {list}"),
            );
        }
    }
    Ok(())
}

/// When objects of several namespaces are read, pods get a namespace label and selectors
/// (PDBs, pod affinity terms, spread constraints) a matching requirement, so they resolve
/// within their namespace as upstream.
pub fn scope_namespaces(out: &mut Converted) {
    if out.namespaces.len() <= 1 {
        return;
    }
    let scope = |sel: &mut LabelSelectorSpec, ns: &str| {
        sel.match_labels
            .insert(NAMESPACE_LABEL.to_owned(), ns.to_owned());
    };
    let fix_template = |t: &mut PodTemplateSpec, ns: &str| {
        t.labels.insert(NAMESPACE_LABEL.to_owned(), ns.to_owned());
        for c in &mut t.topology_spread_constraints {
            if let Some(s) = &mut c.label_selector {
                scope(s, ns);
            }
        }
        if let Some(a) = &mut t.affinity {
            for pa in [&mut a.pod_affinity, &mut a.pod_anti_affinity]
                .into_iter()
                .flatten()
            {
                for term in &mut pa.required_during_scheduling_ignored_during_execution {
                    if let Some(s) = &mut term.label_selector {
                        scope(s, ns);
                    }
                }
                for w in &mut pa.preferred_during_scheduling_ignored_during_execution {
                    if let Some(s) = &mut w.pod_affinity_term.label_selector {
                        scope(s, ns);
                    }
                }
            }
        }
    };
    for (name, t) in out
        .deployments
        .iter_mut()
        .map(|d| (&d.name, &mut d.template))
        .chain(
            out.stateful_sets
                .iter_mut()
                .map(|d| (&d.name, &mut d.template)),
        )
        .chain(
            out.daemon_sets
                .iter_mut()
                .map(|d| (&d.name, &mut d.template)),
        )
        .chain(out.jobs.iter_mut().map(|d| (&d.name, &mut d.template)))
        .chain(
            out.cron_jobs
                .iter_mut()
                .map(|d| (&d.name, &mut d.job_template.template)),
        )
        .chain(out.pods.iter_mut().map(|d| (&d.name, &mut d.template)))
    {
        fix_template(t, &namespace_of(name));
    }
    for p in &mut out.pod_disruption_budgets {
        scope(&mut p.selector, &namespace_of(&p.name));
    }
}

/// The namespace of a qualified native name.
pub fn namespace_of(name: &str) -> String {
    match name.split_once('/') {
        Some((ns, _)) => ns.to_owned(),
        None => "default".to_owned(),
    }
}

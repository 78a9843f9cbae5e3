//! Typed Kubernetes objects as read from manifests: only the fields kubesim models, every
//! other key recorded in `ignored` (so the loader can warn about it) and skipped without
//! buffering, which keeps serde_yaml_ng's line numbers in errors.
//!
//! Subtrees whose Kubernetes shape is the native shape (affinity, tolerations, topology spread
//! constraints, label selectors, HPA metrics and behavior, rolling-update parameters) are
//! deserialized straight into the native schema types, which deny unknown fields: an
//! unsupported affinity field or operator is an error, never a silent drop.

use crate::autoscale::hpa::spec::{BehaviorSpec, MetricSpec};
use crate::scenario::spec::{
    AffinitySpec, IntOrString, LabelSelectorSpec, ResourceListSpec, StatefulSetUpdateStrategySpec,
    TolerationSpec, TopologySpreadConstraintSpec,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

/// Declares a struct read from a YAML/JSON map: each listed key goes to its field (all
/// fields are `Option`s or defaultable collections), every other key is skipped and recorded
/// in `ignored`.
macro_rules! k8s_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty = $key:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
            /// Keys present in the input but not read.
            pub ignored: Vec<String>,
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str(concat!("a map (", stringify!($name), ")"))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<$name, E> {
                        Ok($name::default())
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        while let Some(key) = map.next_key::<String>()? {
                            match key.as_str() {
                                $($key => out.$field = map.next_value()?,)*
                                _ => {
                                    map.next_value::<IgnoredAny>()?;
                                    out.ignored.push(key);
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

k8s_struct!(
    /// `ObjectMeta`.
    Metadata {
        /// `metadata.name`.
        name: Option<String> = "name",
        /// `metadata.namespace` (default `default`).
        namespace: Option<String> = "namespace",
        /// Labels.
        labels: Option<BTreeMap<String, String>> = "labels",
        /// Annotations.
        annotations: Option<BTreeMap<String, String>> = "annotations",
        /// Owners (a pod's ReplicaSet, a ReplicaSet's Deployment, ...).
        owner_references: Option<Vec<OwnerReference>> = "ownerReferences",
    }
);

k8s_struct!(
    /// An `OwnerReference`.
    OwnerReference {
        /// Owner kind.
        kind: Option<String> = "kind",
        /// Owner name.
        name: Option<String> = "name",
        /// Whether the owner is the managing controller.
        controller: Option<bool> = "controller",
    }
);

k8s_struct!(
    /// `PodTemplateSpec`.
    PodTemplate {
        /// Labels and annotations.
        metadata: Option<Metadata> = "metadata",
        /// The pod spec.
        spec: Option<PodSpec> = "spec",
    }
);

k8s_struct!(
    /// `PodSpec`: the fields that affect placement and the kubelet model.
    PodSpec {
        /// Containers.
        containers: Option<Vec<Container>> = "containers",
        /// Init containers (`restartPolicy: Always` = sidecar).
        init_containers: Option<Vec<Container>> = "initContainers",
        /// Pod overhead.
        overhead: Option<Resources> = "overhead",
        /// Node selector.
        node_selector: Option<BTreeMap<String, String>> = "nodeSelector",
        /// Affinity (native shape).
        affinity: Option<AffinitySpec> = "affinity",
        /// Tolerations (native shape).
        tolerations: Option<Vec<TolerationSpec>> = "tolerations",
        /// Topology spread constraints (native shape).
        topology_spread_constraints: Option<Vec<TopologySpreadConstraintSpec>> = "topologySpreadConstraints",
        /// Priority class.
        priority_class_name: Option<String> = "priorityClassName",
        /// Priority value (set by admission when a class is named).
        priority: Option<i32> = "priority",
        /// Scheduler profile.
        scheduler_name: Option<String> = "schedulerName",
        /// Bound node.
        node_name: Option<String> = "nodeName",
        /// Grace period [s].
        termination_grace_period_seconds: Option<u64> = "terminationGracePeriodSeconds",
        /// Restart policy.
        restart_policy: Option<String> = "restartPolicy",
    }
);

k8s_struct!(
    /// A `Container`.
    Container {
        /// Name.
        name: Option<String> = "name",
        /// Requests and limits.
        resources: Option<ContainerResources> = "resources",
        /// `Always` on an init container: a sidecar.
        restart_policy: Option<String> = "restartPolicy",
    }
);

k8s_struct!(
    /// `ResourceRequirements`.
    ContainerResources {
        /// Requests.
        requests: Option<Resources> = "requests",
        /// Limits.
        limits: Option<Resources> = "limits",
    }
);

/// A resource list (`requests`, `limits`, `allocatable`, `overhead`) read into the native
/// [`ResourceListSpec`] (any resource name; a malformed quantity is an error naming it).
#[derive(Clone, Debug, Default)]
pub struct Resources {
    /// The resources.
    pub list: ResourceListSpec,
    /// Resource names not modelled (none: every name is kept).
    pub ignored: Vec<String>,
}

impl<'de> Deserialize<'de> for Resources {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Resources {
            list: ResourceListSpec::deserialize(d)?,
            ignored: Vec::new(),
        })
    }
}

k8s_struct!(
    /// Deployment and ReplicaSet `spec`.
    ReplicatedSpec {
        /// Replicas (default 1).
        replicas: Option<u32> = "replicas",
        /// Deployment strategy.
        strategy: Option<DeploymentStrategy> = "strategy",
        /// `progressDeadlineSeconds`.
        progress_deadline_seconds: Option<u64> = "progressDeadlineSeconds",
        /// The selector (implied by the template's labels).
        selector: Option<IgnoredAny> = "selector",
        /// Pod template.
        template: Option<PodTemplate> = "template",
    }
);

k8s_struct!(
    /// `DeploymentStrategy`.
    DeploymentStrategy {
        /// `RollingUpdate` (default) or `Recreate`.
        kind: Option<String> = "type",
        /// Rolling-update parameters.
        rolling_update: Option<RollingUpdateDeployment> = "rollingUpdate",
    }
);

k8s_struct!(
    /// `RollingUpdateDeployment`.
    RollingUpdateDeployment {
        /// maxSurge.
        max_surge: Option<IntOrString> = "maxSurge",
        /// maxUnavailable.
        max_unavailable: Option<IntOrString> = "maxUnavailable",
    }
);

k8s_struct!(
    /// StatefulSet `spec`.
    StatefulSetSpecK {
        /// Replicas (default 1).
        replicas: Option<u32> = "replicas",
        /// `OrderedReady` or `Parallel`.
        pod_management_policy: Option<String> = "podManagementPolicy",
        /// Update strategy (native shape).
        update_strategy: Option<StatefulSetUpdateStrategySpec> = "updateStrategy",
        /// The selector (implied by the template's labels).
        selector: Option<IgnoredAny> = "selector",
        /// The governing Service (no effect on placement).
        service_name: Option<IgnoredAny> = "serviceName",
        /// Pod template.
        template: Option<PodTemplate> = "template",
    }
);

k8s_struct!(
    /// DaemonSet `spec`.
    DaemonSetSpecK {
        /// Update strategy (native shape).
        update_strategy: Option<StatefulSetUpdateStrategySpec> = "updateStrategy",
        /// The selector (implied by the template's labels).
        selector: Option<IgnoredAny> = "selector",
        /// Pod template.
        template: Option<PodTemplate> = "template",
    }
);

k8s_struct!(
    /// Job `spec`.
    JobSpecK {
        /// Completions (default: parallelism, see the docs).
        completions: Option<u32> = "completions",
        /// Parallelism (default 1).
        parallelism: Option<u32> = "parallelism",
        /// backoffLimit.
        backoff_limit: Option<u32> = "backoffLimit",
        /// `NonIndexed` or `Indexed`.
        completion_mode: Option<String> = "completionMode",
        /// The selector (generated by the API server).
        selector: Option<IgnoredAny> = "selector",
        /// Pod template.
        template: Option<PodTemplate> = "template",
    }
);

k8s_struct!(
    /// CronJob `spec`.
    CronJobSpecK {
        /// Cron schedule.
        schedule: Option<String> = "schedule",
        /// IANA time zone.
        time_zone: Option<String> = "timeZone",
        /// `Allow`, `Forbid` or `Replace`.
        concurrency_policy: Option<String> = "concurrencyPolicy",
        /// Deadline [s].
        starting_deadline_seconds: Option<u64> = "startingDeadlineSeconds",
        /// Suspended.
        suspend: Option<bool> = "suspend",
        /// The Job template.
        job_template: Option<JobTemplateK> = "jobTemplate",
    }
);

k8s_struct!(
    /// `JobTemplateSpec`.
    JobTemplateK {
        /// Annotations (kubesim duration).
        metadata: Option<Metadata> = "metadata",
        /// The Job spec.
        spec: Option<JobSpecK> = "spec",
    }
);

k8s_struct!(
    /// Node `spec`.
    NodeSpecK {
        /// Taints.
        taints: Option<Vec<Taint>> = "taints",
        /// Cordoned.
        unschedulable: Option<bool> = "unschedulable",
    }
);

k8s_struct!(
    /// A node `Taint`.
    Taint {
        /// Key.
        key: Option<String> = "key",
        /// Value.
        value: Option<String> = "value",
        /// Effect.
        effect: Option<String> = "effect",
        /// When it was added (bookkeeping).
        time_added: Option<IgnoredAny> = "timeAdded",
    }
);

k8s_struct!(
    /// Node `status`.
    NodeStatus {
        /// Allocatable resources.
        allocatable: Option<Resources> = "allocatable",
        /// Capacity (used when allocatable is missing).
        capacity: Option<Resources> = "capacity",
    }
);

k8s_struct!(
    /// Pod `status`.
    PodStatus {
        /// `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.
        phase: Option<String> = "phase",
    }
);

k8s_struct!(
    /// HorizontalPodAutoscaler `spec` (autoscaling/v2, v2beta2 and v1).
    HpaSpecK {
        /// The scaled workload.
        scale_target_ref: Option<ScaleTargetRef> = "scaleTargetRef",
        /// minReplicas.
        min_replicas: Option<i32> = "minReplicas",
        /// maxReplicas.
        max_replicas: Option<i32> = "maxReplicas",
        /// Metrics (native shape).
        metrics: Option<Vec<MetricSpec>> = "metrics",
        /// Behavior (native shape).
        behavior: Option<BehaviorSpec> = "behavior",
        /// autoscaling/v1 cpu target [percent].
        target_cpu_utilization_percentage: Option<i32> = "targetCPUUtilizationPercentage",
    }
);

k8s_struct!(
    /// `CrossVersionObjectReference`.
    ScaleTargetRef {
        /// API version.
        api_version: Option<String> = "apiVersion",
        /// Kind.
        kind: Option<String> = "kind",
        /// Name.
        name: Option<String> = "name",
    }
);

k8s_struct!(
    /// PodDisruptionBudget `spec`.
    PdbSpecK {
        /// Selector (native shape).
        selector: Option<LabelSelectorSpec> = "selector",
        /// minAvailable.
        min_available: Option<IntOrString> = "minAvailable",
        /// maxUnavailable.
        max_unavailable: Option<IntOrString> = "maxUnavailable",
    }
);

/// The kind-specific part of an object (short-lived: one per object read, so its size does
/// not matter).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Default)]
pub enum Body {
    /// Nothing read (unknown kind, or a kind whose `spec` was absent).
    #[default]
    None,
    /// Deployment.
    Deployment(ReplicatedSpec),
    /// ReplicaSet.
    ReplicaSet(ReplicatedSpec),
    /// StatefulSet.
    StatefulSet(StatefulSetSpecK),
    /// DaemonSet.
    DaemonSet(DaemonSetSpecK),
    /// Job.
    Job(JobSpecK),
    /// CronJob.
    CronJob(CronJobSpecK),
    /// Pod.
    Pod(PodSpec),
    /// Node.
    Node(NodeSpecK),
    /// HorizontalPodAutoscaler.
    Hpa(HpaSpecK),
    /// PodDisruptionBudget.
    Pdb(PdbSpecK),
}

/// The kinds read, by `kind`.
pub const KINDS: &[&str] = &[
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Pod",
    "Node",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "PriorityClass",
    "KubeSchedulerConfiguration",
];

/// One Kubernetes object (or a `List` of them).
#[derive(Debug, Default)]
pub struct Object {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata`.
    pub metadata: Metadata,
    /// The kind-specific `spec`.
    pub body: Body,
    /// Node status (allocatable).
    pub node_status: Option<NodeStatus>,
    /// Pod status (phase).
    pub pod_status: Option<PodStatus>,
    /// PriorityClass `value`.
    pub value: Option<i32>,
    /// PriorityClass `globalDefault`.
    pub global_default: Option<bool>,
    /// PriorityClass `preemptionPolicy`.
    pub preemption_policy: Option<String>,
    /// `items` of a `List` / `*List`.
    pub items: Vec<Object>,
    /// Top-level keys not read.
    pub ignored: Vec<String>,
}

/// Message of the error raised when `kind` comes after the fields it governs; the loader then
/// re-reads the document with `apiVersion`/`kind` moved first.
pub const KIND_FIRST: &str = "`kind` after other fields";

impl Object {
    /// Whether this is a list kind (`List`, `NodeList`, `PodList`, ...).
    pub fn is_list(&self) -> bool {
        self.kind.ends_with("List") || (self.kind.is_empty() && !self.items.is_empty())
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Object;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Kubernetes object (a map with apiVersion and kind)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
                let mut o = Object::default();
                let mut has_kind = false;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "apiVersion" => o.api_version = map.next_value()?,
                        "kind" => {
                            o.kind = map.next_value()?;
                            has_kind = true;
                        }
                        "metadata" => {
                            o.metadata = map.next_value::<Option<Metadata>>()?.unwrap_or_default()
                        }
                        // kubectl sorts keys: a list's `items` come before its `kind`.
                        "items" if !has_kind || o.is_list() => {
                            o.items = map.next_value::<Option<Vec<Object>>>()?.unwrap_or_default()
                        }
                        _ if !has_kind => return Err(de::Error::custom(KIND_FIRST)),
                        "spec" => {
                            o.body = match o.kind.as_str() {
                                "Deployment" => Body::Deployment(map.next_value()?),
                                "ReplicaSet" => Body::ReplicaSet(map.next_value()?),
                                "StatefulSet" => Body::StatefulSet(map.next_value()?),
                                "DaemonSet" => Body::DaemonSet(map.next_value()?),
                                "Job" => Body::Job(map.next_value()?),
                                "CronJob" => Body::CronJob(map.next_value()?),
                                "Pod" => Body::Pod(map.next_value()?),
                                "Node" => Body::Node(map.next_value()?),
                                "HorizontalPodAutoscaler" => Body::Hpa(map.next_value()?),
                                "PodDisruptionBudget" => Body::Pdb(map.next_value()?),
                                _ => {
                                    map.next_value::<IgnoredAny>()?;
                                    Body::None
                                }
                            }
                        }
                        "status" if o.kind == "Node" => o.node_status = Some(map.next_value()?),
                        "status" if o.kind == "Pod" => o.pod_status = Some(map.next_value()?),
                        "value" if o.kind == "PriorityClass" => o.value = map.next_value()?,
                        "globalDefault" if o.kind == "PriorityClass" => {
                            o.global_default = map.next_value()?
                        }
                        "preemptionPolicy" if o.kind == "PriorityClass" => {
                            o.preemption_policy = map.next_value()?
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            o.ignored.push(key);
                        }
                    }
                }
                // A Node's spec is optional (taints and cordon only).
                if o.kind == "Node" && matches!(o.body, Body::None) {
                    o.body = Body::Node(NodeSpecK::default());
                }
                Ok(o)
            }
        }
        d.deserialize_map(V)
    }
}

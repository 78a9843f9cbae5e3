//! The scenario file schema (YAML). Field names follow Kubernetes' camelCase style; unknown
//! fields are errors that list the valid ones.

use super::values::{Duration, DurationDist, MilliQuantity, UnitQuantity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn default_seed() -> u64 {
    1
}
fn default_sample_interval() -> Duration {
    Duration(60_000)
}
fn default_true() -> bool {
    true
}

/// A whole scenario.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScenarioSpec {
    /// Scenario name (also the default output folder under `results/`).
    pub name: String,
    /// Simulated time to run.
    pub duration: Duration,
    /// Master random seed (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Warm-up period excluded from the time-weighted metrics, pending times and cost
    /// (default 0): the summary describes `[warmup, duration]`.
    #[serde(default)]
    pub warmup: Duration,
    /// Period of the `timeseries.csv` samples (default 1m).
    #[serde(default = "default_sample_interval")]
    pub sample_interval: Duration,
    /// Scheduler selection and configuration.
    #[serde(default)]
    pub scheduler: SchedulerSpec,
    /// Named priority values usable as `priorityClassName`.
    #[serde(default)]
    pub priority_classes: Vec<PriorityClassSpec>,
    /// Groups of identical nodes.
    #[serde(default)]
    pub node_pools: Vec<NodePoolSpec>,
    /// Node inventories imported from files.
    #[serde(default)]
    pub node_lists: Vec<NodeListSpec>,
    /// Long-running replicated services.
    #[serde(default)]
    pub deployments: Vec<DeploymentSpec>,
    /// Batch jobs (completions × run time).
    #[serde(default)]
    pub jobs: Vec<JobSpec>,
    /// Pod traces replayed from files.
    #[serde(default)]
    pub traces: Vec<TraceSpec>,
    /// Synthetic pod streams.
    #[serde(default)]
    pub generators: Vec<GeneratorSpec>,
    /// HPA controller flags (defaults as upstream).
    #[serde(default)]
    pub hpa_controller: HpaControllerSpec,
    /// Output options.
    #[serde(default)]
    pub output: OutputSpec,
    /// Metric options.
    #[serde(default)]
    pub metrics: MetricsSpec,
    /// Scheduler variants compared by `kubesim compare` on the same workload and seed.
    #[serde(default)]
    pub variants: Vec<VariantSpec>,
    /// The grid and seeds `kubesim sweep` runs (ignored by `run`).
    #[serde(default)]
    pub sweep: Option<crate::sweep::spec::SweepSpec>,
    /// PodDisruptionBudgets (respected by preemption where possible).
    #[serde(default)]
    pub pod_disruption_budgets: Vec<PodDisruptionBudgetSpec>,
    /// Cluster autoscaler settings (off unless `enabled: true`).
    #[serde(default)]
    pub cluster_autoscaler: ClusterAutoscalerSpec,
    /// How node time is billed (default: per second with a 60 s minimum); a pool may
    /// override it.
    #[serde(default)]
    pub billing: BillingSpec,
    /// Scheduled faults: node failures, zone outages, spot interruptions, drains.
    #[serde(default)]
    pub faults: Vec<crate::disruption::faults::spec::FaultSpec>,
    /// Node lifecycle controller flags (grace period, default tolerations, eviction rates).
    #[serde(default)]
    pub node_lifecycle: crate::disruption::faults::spec::NodeLifecycleSpec,
    /// Kubernetes object files or folders (YAML, multi-document, `kind: List`, JSON), relative
    /// to the scenario file; their objects are added to the lists of this scenario.
    #[serde(default)]
    pub manifests: Vec<String>,
    /// The calendar instant of simulated t=0, RFC 3339 (e.g. `2026-01-05T00:00:00Z`; default
    /// 1970-01-01T00:00:00Z). CronJob schedules are evaluated against it.
    #[serde(default)]
    pub start_time: Option<String>,
    /// Individually named nodes (e.g. from `kubectl get nodes -o yaml`).
    #[serde(default)]
    pub nodes: Vec<NodeSpec>,
    /// Bare pods, not owned by a controller; with `template.nodeName` they are the cluster's
    /// initial placement.
    #[serde(default)]
    pub pods: Vec<BarePodSpec>,
    /// StatefulSets: ordered pods with stable names `<name>-0`, `<name>-1`, ...
    #[serde(default)]
    pub stateful_sets: Vec<StatefulSetSpec>,
    /// DaemonSets: one pod on every node the template fits (including autoscaled nodes).
    #[serde(default)]
    pub daemon_sets: Vec<DaemonSetSpec>,
    /// CronJobs: Jobs created on a cron schedule.
    #[serde(default)]
    pub cron_jobs: Vec<CronJobSpec>,
    /// Custom metric series read by Pods, Object and External HPA metrics.
    #[serde(default)]
    pub custom_metrics: Vec<crate::autoscale::metric_feed::CustomMetricSpec>,
}

/// One individually named node.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeSpec {
    /// Node name (unique among all nodes).
    pub name: String,
    /// Allocatable resources.
    pub allocatable: ResourceListSpec,
    /// Node labels (`topology.kubernetes.io/zone` sets the zone,
    /// `node.kubernetes.io/instance-type` the instance type).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Taints.
    #[serde(default)]
    pub taints: Vec<TaintSpec>,
    /// `spec.unschedulable` (cordoned).
    #[serde(default)]
    pub unschedulable: bool,
    /// Price [$/hour] (default: the catalog price of the instance type, else 0).
    #[serde(default)]
    pub hourly_price: Option<f64>,
    /// A spot node.
    #[serde(default)]
    pub spot: bool,
}

/// A bare pod.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BarePodSpec {
    /// Pod name.
    pub name: String,
    /// When the pod is created (default 0).
    #[serde(default)]
    pub start: Duration,
    /// How long it runs (default: until the end of the simulation).
    #[serde(default)]
    pub duration: Option<DurationDist>,
    /// Pod template.
    #[serde(default)]
    pub template: PodTemplateSpec,
}

/// One container (`template.containers`, `template.initContainers`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerSpec {
    /// Container name.
    pub name: String,
    /// Requests.
    #[serde(default)]
    pub requests: ResourceListSpec,
    /// Limits.
    #[serde(default)]
    pub limits: ResourceListSpec,
    /// `Always` on an init container makes it a sidecar (a restartable init container that
    /// keeps running beside the app containers).
    #[serde(default)]
    pub restart_policy: Option<String>,
}

/// A StatefulSet.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatefulSetSpec {
    /// Name (pods are `<name>-<ordinal>`).
    pub name: String,
    /// Desired replicas.
    pub replicas: u32,
    /// When the StatefulSet is created (default 0).
    #[serde(default)]
    pub start: Duration,
    /// `OrderedReady` (default: pod N+1 is created once pod N is Running and Ready) or
    /// `Parallel`.
    #[serde(default)]
    pub pod_management_policy: Option<String>,
    /// `RollingUpdate` (default) or `OnDelete`, with `rollingUpdate.partition` and
    /// `rollingUpdate.maxUnavailable`.
    #[serde(default)]
    pub update_strategy: Option<StatefulSetUpdateStrategySpec>,
    /// Pod template.
    #[serde(default)]
    pub template: PodTemplateSpec,
    /// A HorizontalPodAutoscaler targeting this StatefulSet.
    #[serde(default)]
    pub hpa: Option<crate::autoscale::hpa::spec::HpaSpec>,
    /// Template changes rolled out at given times.
    #[serde(default)]
    pub rollouts: Vec<RolloutSpec>,
}

/// A StatefulSet's or DaemonSet's `updateStrategy`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatefulSetUpdateStrategySpec {
    /// `RollingUpdate` (default) or `OnDelete`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Rolling-update parameters.
    #[serde(default)]
    pub rolling_update: Option<RollingUpdateParamsSpec>,
}

/// `updateStrategy.rollingUpdate` of a StatefulSet or DaemonSet.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RollingUpdateParamsSpec {
    /// StatefulSet: ordinals below the partition keep the old template (default 0).
    #[serde(default)]
    pub partition: Option<u32>,
    /// Pods that may be unavailable during the update (default 1).
    #[serde(default)]
    pub max_unavailable: Option<IntOrString>,
    /// DaemonSet: pods that may be surged (default 0).
    #[serde(default)]
    pub max_surge: Option<IntOrString>,
}

/// A DaemonSet.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DaemonSetSpec {
    /// Name.
    pub name: String,
    /// When the DaemonSet is created (default 0).
    #[serde(default)]
    pub start: Duration,
    /// `RollingUpdate` (default) or `OnDelete`.
    #[serde(default)]
    pub update_strategy: Option<StatefulSetUpdateStrategySpec>,
    /// Pod template (its nodeSelector, affinity and tolerations choose the nodes).
    #[serde(default)]
    pub template: PodTemplateSpec,
    /// Template changes rolled out at given times.
    #[serde(default)]
    pub rollouts: Vec<RolloutSpec>,
}

/// A CronJob.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CronJobSpec {
    /// Name.
    pub name: String,
    /// Five-field cron schedule (`*/15 * * * *`, `@hourly`, ...).
    pub schedule: String,
    /// IANA time zone of the schedule (default UTC).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `Allow` (default), `Forbid` or `Replace`.
    #[serde(default)]
    pub concurrency_policy: Option<String>,
    /// A run missed by more than this is skipped [s] (default: no deadline).
    #[serde(default)]
    pub starting_deadline_seconds: Option<u64>,
    /// Suspended: no runs are started.
    #[serde(default)]
    pub suspend: bool,
    /// The Job each run creates.
    pub job_template: JobTemplateSpec,
}

/// The Job part of a CronJob.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobTemplateSpec {
    /// Pods that must succeed (default 1).
    #[serde(default = "one_u32")]
    pub completions: u32,
    /// Pods running at once (default 1).
    #[serde(default = "one_u32")]
    pub parallelism: u32,
    /// Pod failures tolerated before the Job fails (default 6).
    #[serde(default)]
    pub backoff_limit: Option<u32>,
    /// `NonIndexed` (default) or `Indexed`.
    #[serde(default)]
    pub completion_mode: Option<String>,
    /// Run time of each pod.
    pub duration: DurationDist,
    /// Pod template.
    #[serde(default)]
    pub template: PodTemplateSpec,
}

/// A PodDisruptionBudget: exactly one of `minAvailable` and `maxUnavailable`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodDisruptionBudgetSpec {
    /// Name.
    pub name: String,
    /// Pods covered by the budget.
    pub selector: LabelSelectorSpec,
    /// Pods that must stay healthy: a count (`2`) or a percentage of the controllers' scale
    /// (`"50%"`, rounded up).
    #[serde(default)]
    pub min_available: Option<IntOrString>,
    /// Pods that may be unavailable: a count or a percentage of the scale (rounded up).
    #[serde(default)]
    pub max_unavailable: Option<IntOrString>,
}

/// An integer or a string such as `"25%"` (`intstr.IntOrString`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum IntOrString {
    /// An integer.
    Int(i64),
    /// A string (a percentage).
    Str(String),
}

/// A named variant of the scenario for `kubesim compare`: a scheduler block and/or
/// overrides of any field (the `--set` syntax), run on the same seed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VariantSpec {
    /// Variant name (a row of `comparison.csv`).
    pub name: String,
    /// The scheduler block this variant runs with (default: the scenario's).
    #[serde(default)]
    pub scheduler: Option<SchedulerSpec>,
    /// Field overrides, e.g. `deployments[0].replicas=6` (applied after `--set`).
    #[serde(default)]
    pub set: Vec<String>,
}

/// Output options.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OutputSpec {
    /// Write SVG charts (default true).
    #[serde(default = "default_true")]
    pub charts: bool,
    /// Which HPA syncs `hpa.csv` lists: `all` (default: every decision) or `changes` (only
    /// syncs whose recommendation, outcome or reason differ from the HPA's previous row; for
    /// long runs: a month of 50 HPAs is 8.6 million syncs).
    #[serde(default)]
    pub hpa_log: HpaLog,
}

impl Default for OutputSpec {
    fn default() -> Self {
        OutputSpec {
            charts: true,
            hpa_log: HpaLog::All,
        }
    }
}

/// `output.hpaLog`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HpaLog {
    /// Every HPA sync.
    #[default]
    All,
    /// Syncs that change the recommendation, the outcome or the reason.
    Changes,
}

/// Metric options.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricsSpec {
    /// The reference pod for stranded capacity (cpu, memory, `nvidia.com/gpu` requests); by
    /// default the median request of the first pods created (see
    /// [`crate::cluster::fragmentation`]).
    #[serde(default)]
    pub fragmentation_probe: Option<ResourceListSpec>,
}

/// A PriorityClass: a named priority value.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PriorityClassSpec {
    /// Class name.
    pub name: String,
    /// Priority value (higher is more important).
    pub value: i32,
    /// Used for pods that name no class (at most one class may set this).
    #[serde(default)]
    pub global_default: bool,
    /// `PreemptLowerPriority` (default) or `Never` (the class's pods never preempt).
    #[serde(default)]
    pub preemption_policy: Option<String>,
}

/// The `scheduler` block, shaped like a KubeSchedulerConfiguration profile.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SchedulerSpec {
    /// `default-scheduler` (the kube-scheduler profile), `first-fit`, `best-fit`, `random`, or
    /// a name registered by a program using the library.
    #[serde(default = "default_scheduler_name")]
    pub name: String,
    /// Percentage of nodes to find feasible before scoring; 0 = adaptive (upstream default).
    #[serde(default)]
    pub percentage_of_nodes_to_score: u32,
    /// Plugins enabled/disabled per extension point.
    #[serde(default)]
    pub plugins: PluginsSpec,
    /// Plugin arguments.
    #[serde(default)]
    pub plugin_config: Vec<PluginConfigSpec>,
    /// A KubeSchedulerConfiguration file (relative to the scenario file) whose profiles this
    /// block runs; excludes the other fields.
    #[serde(default)]
    pub config_file: Option<String>,
    /// KubeSchedulerConfiguration profiles (`schedulerName`, `plugins` at every extension
    /// point, `pluginConfig`); each pod picks one by `schedulerName`. Empty: the block's own
    /// `name`/`plugins`/`pluginConfig` form the one profile `default-scheduler`.
    #[serde(default)]
    pub profiles: Vec<super::scheduler_config::ProfileSpec>,
}

fn default_scheduler_name() -> String {
    crate::scheduler::DEFAULT_SCHEDULER.to_owned()
}

impl Default for SchedulerSpec {
    fn default() -> Self {
        SchedulerSpec {
            name: default_scheduler_name(),
            percentage_of_nodes_to_score: 0,
            plugins: PluginsSpec::default(),
            plugin_config: Vec::new(),
            config_file: None,
            profiles: Vec::new(),
        }
    }
}

/// Plugin sets per extension point.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginsSpec {
    /// Filter plugins.
    #[serde(default)]
    pub filter: PluginSet,
    /// Score plugins.
    #[serde(default)]
    pub score: PluginSet,
    /// PostFilter plugins (`DefaultPreemption`, enabled by default).
    #[serde(default)]
    pub post_filter: PluginSet,
}

/// Enabled and disabled plugins of one extension point.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginSet {
    /// Plugins to enable (or re-weight).
    #[serde(default)]
    pub enabled: Vec<PluginRef>,
    /// Plugins to disable; `*` disables all defaults.
    #[serde(default)]
    pub disabled: Vec<PluginRef>,
}

/// A plugin name with an optional score weight.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginRef {
    /// Upstream plugin name.
    pub name: String,
    /// Score weight (1..=100).
    #[serde(default)]
    pub weight: Option<i64>,
}

/// Arguments of one plugin.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginConfigSpec {
    /// Plugin name.
    pub name: String,
    /// Arguments.
    #[serde(default)]
    pub args: PluginArgs,
}

/// Plugin arguments (the union of the supported plugins' args).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginArgs {
    /// NodeResourcesFitArgs.scoringStrategy.
    #[serde(default)]
    pub scoring_strategy: Option<ScoringStrategySpec>,
    /// NodeResourcesFitArgs.ignoredResources: extended resources the fit filter does not check.
    #[serde(default)]
    pub ignored_resources: Vec<String>,
    /// NodeResourcesFitArgs.ignoredResourceGroups: extended resource prefixes (the part before
    /// `/`, e.g. `example.com`) the fit filter does not check.
    #[serde(default)]
    pub ignored_resource_groups: Vec<String>,
    /// NodeResourcesBalancedAllocationArgs.resources.
    #[serde(default)]
    pub resources: Option<Vec<ResourceWeight>>,
    /// InterPodAffinityArgs.hardPodAffinityWeight (0..=100, default 1).
    #[serde(default)]
    pub hard_pod_affinity_weight: Option<i64>,
    /// PodTopologySpreadArgs.defaultingType: `System` (default) or `List` (no default
    /// constraints; custom `defaultConstraints` are not supported).
    #[serde(default)]
    pub defaulting_type: Option<String>,
    /// DefaultPreemptionArgs.minCandidateNodesPercentage (default 10).
    #[serde(default)]
    pub min_candidate_nodes_percentage: Option<i64>,
    /// DefaultPreemptionArgs.minCandidateNodesAbsolute (default 100).
    #[serde(default)]
    pub min_candidate_nodes_absolute: Option<i64>,
    /// NodeAffinityArgs.addedAffinity: node affinity every pod of the profile also gets.
    #[serde(default)]
    pub added_affinity: Option<NodeAffinitySpec>,
}

/// NodeResourcesFitArgs.scoringStrategy.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScoringStrategySpec {
    /// LeastAllocated, MostAllocated or RequestedToCapacityRatio.
    #[serde(rename = "type")]
    pub kind: String,
    /// Weighted resources (default cpu:1, memory:1).
    #[serde(default)]
    pub resources: Option<Vec<ResourceWeight>>,
    /// Shape for RequestedToCapacityRatio.
    #[serde(default)]
    pub requested_to_capacity_ratio: Option<RequestedToCapacityRatioSpec>,
}

/// `requestedToCapacityRatio` arguments.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestedToCapacityRatioSpec {
    /// Points of the piecewise-linear function.
    pub shape: Vec<ShapePointSpec>,
}

/// One shape point.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ShapePointSpec {
    /// Utilization 0..=100.
    pub utilization: i64,
    /// Score 0..=10.
    pub score: i64,
}

/// A resource with a weight.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceWeight {
    /// `cpu`, `memory` or `nvidia.com/gpu`.
    pub name: String,
    /// Weight 1..=100 (default 1).
    #[serde(default = "one")]
    pub weight: i64,
}

fn one() -> i64 {
    1
}

/// A resource list (`requests`, `limits`, `allocatable`, `overhead`): a map from resource name
/// to quantity, as the Kubernetes API's `ResourceList`.
///
/// `cpu`, `memory`, `nvidia.com/gpu` (alias `gpu`) and `pods` have their own fields; every
/// other name (`example.com/foo`, `ephemeral-storage`, `hugepages-2Mi`, `rdma/hca`...) is an
/// extended resource, kept in `extended` in name order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceListSpec {
    /// CPU.
    pub cpu: Option<MilliQuantity>,
    /// Memory.
    pub memory: Option<UnitQuantity>,
    /// GPUs (fractions allowed: "500m" is half a GPU).
    pub gpu: Option<MilliQuantity>,
    /// Pod slots (allocatable only; default 110).
    pub pods: Option<UnitQuantity>,
    /// Every other resource, by name, in whole units (bytes for `ephemeral-storage` and
    /// `hugepages-*`, a count for device-plugin resources; a fraction rounds up, as the
    /// scheduler's `Quantity.Value()`).
    pub extended: BTreeMap<String, u64>,
}

impl ResourceListSpec {
    /// A list of cpu [millicores] and memory [bytes].
    pub fn cpu_mem(cpu_milli: u64, memory_bytes: u64) -> ResourceListSpec {
        ResourceListSpec {
            cpu: Some(MilliQuantity(cpu_milli)),
            memory: Some(UnitQuantity(memory_bytes)),
            ..Default::default()
        }
    }

    /// True when no resource is listed.
    pub fn is_empty(&self) -> bool {
        self.cpu.is_none()
            && self.memory.is_none()
            && self.gpu.is_none()
            && self.pods.is_none()
            && self.extended.is_empty()
    }
}

/// Whether `name` is a well-formed resource name: an optional DNS-subdomain-like prefix and
/// `/`, then a name of letters, digits, `-`, `_` and `.` (the API's qualified-name shape).
fn valid_resource_name(name: &str) -> bool {
    let (prefix, local) = match name.split_once('/') {
        Some((p, l)) => (Some(p), l),
        None => (None, name),
    };
    let ok_part = |s: &str, extra: &[char]| {
        !s.is_empty()
            && s.len() <= 253
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
    };
    prefix.is_none_or(|p| ok_part(p, &['-', '.'])) && ok_part(local, &['-', '_', '.'])
}

/// Parses one quantity of a resource list, naming the resource in errors.
struct NamedQuantity<'a> {
    name: &'a str,
    scale: crate::cluster::quantity::QuantityScale,
}

impl<'de> serde::de::DeserializeSeed<'de> for NamedQuantity<'_> {
    type Value = u64;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NamedQuantity<'_> {
    type Value = u64;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a Kubernetes quantity for {:?}", self.name)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u64, E> {
        crate::cluster::quantity::parse_quantity(v, self.scale)
            .map_err(|e| E::custom(format!("{}: {e}", self.name)))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
        self.visit_str(&v.to_string())
    }
}

struct ResourceListVisitor;

impl<'de> serde::de::Visitor<'de> for ResourceListVisitor {
    type Value = ResourceListSpec;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map from resource name to quantity, e.g. {cpu: 500m, memory: 1Gi}")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<ResourceListSpec, A::Error> {
        use crate::cluster::quantity::QuantityScale;
        use serde::de::Error;
        let mut out = ResourceListSpec::default();
        while let Some(key) = map.next_key::<String>()? {
            let dup = || A::Error::custom(format!("duplicate resource {key:?}"));
            let seed = |scale| NamedQuantity { name: &key, scale };
            match key.as_str() {
                "cpu" => {
                    let v = map.next_value_seed(seed(QuantityScale::Milli))?;
                    if out.cpu.replace(MilliQuantity(v)).is_some() {
                        return Err(dup());
                    }
                }
                "memory" => {
                    let v = map.next_value_seed(seed(QuantityScale::Unit))?;
                    if out.memory.replace(UnitQuantity(v)).is_some() {
                        return Err(dup());
                    }
                }
                "nvidia.com/gpu" | "gpu" => {
                    let v = map.next_value_seed(seed(QuantityScale::Milli))?;
                    if out.gpu.replace(MilliQuantity(v)).is_some() {
                        return Err(dup());
                    }
                }
                "pods" => {
                    let v = map.next_value_seed(seed(QuantityScale::Unit))?;
                    if out.pods.replace(UnitQuantity(v)).is_some() {
                        return Err(dup());
                    }
                }
                name => {
                    if !valid_resource_name(name) {
                        return Err(A::Error::custom(format!(
                            "invalid resource name {name:?}; expected cpu, memory, pods or a \
                             name such as nvidia.com/gpu, example.com/foo, ephemeral-storage"
                        )));
                    }
                    let v = map.next_value_seed(seed(QuantityScale::Unit))?;
                    if out.extended.insert(key.clone(), v).is_some() {
                        return Err(dup());
                    }
                }
            }
        }
        Ok(out)
    }
}

impl<'de> Deserialize<'de> for ResourceListSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ResourceListVisitor)
    }
}

/// A node pool: `count` identical nodes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodePoolSpec {
    /// Pool name; nodes are named `<name>-<ordinal>`.
    pub name: String,
    /// Number of nodes.
    pub count: u32,
    /// Instance type; if it is in the built-in catalog it supplies allocatable and price.
    #[serde(default)]
    pub instance_type: Option<String>,
    /// Allocatable resources (overrides the catalog).
    #[serde(default)]
    pub allocatable: Option<ResourceListSpec>,
    /// Price per node [USD/hour] (overrides the catalog; required for spot pools).
    #[serde(default)]
    pub hourly_price: Option<f64>,
    /// Spot / preemptible capacity.
    #[serde(default)]
    pub spot: bool,
    /// Zone (sets `topology.kubernetes.io/zone`).
    #[serde(default = "default_zone")]
    pub zone: String,
    /// Extra node labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Node taints.
    #[serde(default)]
    pub taints: Vec<TaintSpec>,
    /// Smallest size the cluster autoscaler may shrink the pool to (default 0). The pool is a
    /// node group of the autoscaler when `maxSize` is set.
    #[serde(default)]
    pub min_size: Option<u32>,
    /// Largest size the cluster autoscaler may grow the pool to; setting it makes the pool an
    /// autoscaled node group (`count` is then its initial size).
    #[serde(default)]
    pub max_size: Option<u32>,
    /// For spot pools without `hourlyPrice`: the spot discount off the catalog on-demand
    /// price, in [0, 1) (e.g. 0.7 = pay 30%).
    #[serde(default)]
    pub spot_discount: Option<f64>,
    /// Billing rule of this pool's nodes (default: the scenario's `billing`).
    #[serde(default)]
    pub billing: Option<BillingSpec>,
    /// Random failures of the pool's nodes.
    #[serde(default)]
    pub failures: Option<crate::disruption::faults::spec::FailureSpec>,
    /// Spot interruptions of the pool's nodes (spot pools only).
    #[serde(default)]
    pub interruptions: Option<crate::disruption::faults::spec::InterruptionSpec>,
}

/// The zone of pools (and named nodes) that name none.
pub fn default_zone() -> String {
    "zone-a".to_owned()
}

/// A taint.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaintSpec {
    /// Key.
    pub key: String,
    /// Value (default empty).
    #[serde(default)]
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

/// A toleration.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TolerationSpec {
    /// Key (empty with `Exists` tolerates everything).
    #[serde(default)]
    pub key: String,
    /// `Equal` (default) or `Exists`.
    #[serde(default)]
    pub operator: Option<String>,
    /// Value for `Equal`.
    #[serde(default)]
    pub value: String,
    /// Effect to match (empty matches all).
    #[serde(default)]
    pub effect: Option<String>,
    /// For NoExecute: seconds to stay after the taint appears.
    #[serde(default)]
    pub toleration_seconds: Option<u64>,
}

/// Node inventory imported from a file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeListSpec {
    /// File format: `alibaba-openb` (the cluster-trace-gpu-v2023 node list).
    pub format: String,
    /// Path relative to the scenario file (`.gz` is decompressed).
    pub path: String,
    /// Linear price model for imported nodes.
    #[serde(default)]
    pub price: LinearPriceSpec,
    /// Zone of the imported nodes.
    #[serde(default = "default_zone")]
    pub zone: String,
}

/// Node price = cpu cores × perCore + memory GiB × perGiB + GPUs × perGpu [USD/hour].
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinearPriceSpec {
    /// USD per vCPU-hour.
    #[serde(default)]
    pub per_core: f64,
    /// USD per GiB-hour.
    #[serde(default)]
    pub per_gib: f64,
    /// USD per GPU-hour.
    #[serde(default)]
    pub per_gpu: f64,
}

/// The pod part shared by deployments, jobs, traces and generators.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodTemplateSpec {
    /// Requests.
    #[serde(default)]
    pub requests: ResourceListSpec,
    /// Limits (cpu and memory).
    #[serde(default)]
    pub limits: ResourceListSpec,
    /// Usage while running (default: equal to the requests), and a memory leak.
    #[serde(default)]
    pub usage: Option<UsageSpec>,
    /// Priority value (alternative to `priorityClassName`).
    #[serde(default)]
    pub priority: Option<i32>,
    /// Priority class name.
    #[serde(default)]
    pub priority_class_name: Option<String>,
    /// Pod labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Tolerations.
    #[serde(default)]
    pub tolerations: Vec<TolerationSpec>,
    /// `nodeSelector`: labels a node must have.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// `affinity`: node affinity, pod affinity and pod anti-affinity.
    #[serde(default)]
    pub affinity: Option<AffinitySpec>,
    /// `topologySpreadConstraints`.
    #[serde(default)]
    pub topology_spread_constraints: Vec<TopologySpreadConstraintSpec>,
    /// `nodeName`: bind the pods to this node directly, bypassing the scheduler.
    #[serde(default)]
    pub node_name: Option<String>,
    /// How long a deleted pod (e.g. a preemption victim) keeps running and holding its
    /// resources [s] (default 30).
    #[serde(default)]
    pub termination_grace_period_seconds: Option<u64>,
    /// Pod annotations. Only `cluster-autoscaler.kubernetes.io/safe-to-evict` ("true" or
    /// "false") has an effect; others are accepted and ignored.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Container start-up: image pull, readiness delay, probe period (default: Ready at
    /// bind).
    #[serde(default)]
    pub startup: Option<StartupSpec>,
    /// Spontaneous container crashes (default: none).
    #[serde(default)]
    pub crash: Option<CrashSpec>,
    /// `Always` (Deployments, bare pods), `OnFailure` (the Jobs' default) or `Never`.
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// Containers, each with its own requests and limits (instead of the pod-level
    /// `requests`/`limits` shorthand, which means one container).
    #[serde(default)]
    pub containers: Vec<ContainerSpec>,
    /// Init containers; those with `restartPolicy: Always` are sidecars.
    #[serde(default)]
    pub init_containers: Vec<ContainerSpec>,
    /// Pod overhead (RuntimeClass), added to the effective request.
    #[serde(default)]
    pub overhead: Option<ResourceListSpec>,
    /// The scheduler profile that places the pod (default `default-scheduler`).
    #[serde(default)]
    pub scheduler_name: Option<String>,
}

/// A container's usage while it runs (`template.usage`).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UsageSpec {
    /// cpu (default: the request).
    #[serde(default)]
    pub cpu: Option<MilliQuantity>,
    /// Memory at container start (default: the request).
    #[serde(default)]
    pub memory: Option<UnitQuantity>,
    /// Memory growth while the container runs, per hour (default 0): with a memory limit the
    /// container is OOM-killed when it exceeds it; memory starts over at each restart.
    #[serde(default)]
    pub memory_leak_per_hour: Option<UnitQuantity>,
}

/// Container start-up latency and readiness (`template.startup`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StartupSpec {
    /// Bind to container running: image pull, create, start (default 0).
    #[serde(default)]
    pub image_pull: Option<DurationDist>,
    /// Container start to the application answering its readiness probe, including the
    /// probe's `initialDelaySeconds` (default 0).
    #[serde(default)]
    pub readiness_delay: Option<DurationDist>,
    /// Readiness probe `periodSeconds` (default 10s; 0s = Ready exactly when the delay ends).
    #[serde(default)]
    pub probe_period: Option<Duration>,
}

/// Spontaneous container crashes (`template.crash`): exactly one of the two.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CrashSpec {
    /// Mean running time between crashes (exponential: a constant crash rate).
    #[serde(default)]
    pub mean_time_between: Option<Duration>,
    /// Running time from each container start to its crash (a duration or a distribution),
    /// e.g. `20s` for a version that fails soon after it starts.
    #[serde(default)]
    pub after: Option<DurationDist>,
}

/// A Deployment's `strategy.rollingUpdate` and `progressDeadlineSeconds`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StrategySpec {
    /// Pods above `replicas` during a rollout: a count or a percentage, rounded up (default
    /// 25%).
    #[serde(default)]
    pub max_surge: Option<IntOrString>,
    /// Pods below `replicas` during a rollout: a count or a percentage, rounded down (default
    /// 25%).
    #[serde(default)]
    pub max_unavailable: Option<IntOrString>,
    /// Seconds without progress after which a rollout is reported failed (default 600).
    #[serde(default)]
    pub progress_deadline_seconds: Option<u64>,
}

/// A scheduled rollout of a Deployment's template.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RolloutSpec {
    /// When the template changes.
    pub at: Duration,
    /// What changes: the fields given replace the current version's.
    #[serde(default)]
    pub new_version: VersionSpec,
}

/// The parts of a pod template a rollout can change.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VersionSpec {
    /// Requests.
    #[serde(default)]
    pub requests: Option<ResourceListSpec>,
    /// Limits.
    #[serde(default)]
    pub limits: Option<ResourceListSpec>,
    /// Usage and memory leak.
    #[serde(default)]
    pub usage: Option<UsageSpec>,
    /// Start-up latency and readiness.
    #[serde(default)]
    pub startup: Option<StartupSpec>,
    /// Crashes.
    #[serde(default)]
    pub crash: Option<CrashSpec>,
}

/// `affinity`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AffinitySpec {
    /// `nodeAffinity`.
    #[serde(default)]
    pub node_affinity: Option<NodeAffinitySpec>,
    /// `podAffinity`.
    #[serde(default)]
    pub pod_affinity: Option<PodAffinitySpec>,
    /// `podAntiAffinity`.
    #[serde(default)]
    pub pod_anti_affinity: Option<PodAffinitySpec>,
}

/// `podAffinity` or `podAntiAffinity`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodAffinitySpec {
    /// Hard terms, all of which must hold.
    #[serde(default)]
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTermSpec>,
    /// Soft terms, weighted.
    #[serde(default)]
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTermSpec>,
}

/// A `PodAffinityTerm`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodAffinityTermSpec {
    /// Which pods the term is about (a missing selector matches no pod, as upstream).
    #[serde(default)]
    pub label_selector: Option<LabelSelectorSpec>,
    /// Node label defining the topology domains.
    pub topology_key: String,
}

/// A `WeightedPodAffinityTerm`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WeightedPodAffinityTermSpec {
    /// Weight 1..=100.
    pub weight: i64,
    /// The term.
    pub pod_affinity_term: PodAffinityTermSpec,
}

/// A `LabelSelector` over pod labels.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelSelectorSpec {
    /// Labels a pod must have.
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    /// Requirements (In, NotIn, Exists, DoesNotExist).
    #[serde(default)]
    pub match_expressions: Vec<RequirementSpec>,
}

/// A `TopologySpreadConstraint`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopologySpreadConstraintSpec {
    /// Largest allowed skew (≥ 1).
    pub max_skew: i64,
    /// Node label defining the domains.
    pub topology_key: String,
    /// `DoNotSchedule` or `ScheduleAnyway`.
    pub when_unsatisfiable: String,
    /// Which pods are counted (a missing selector matches no pod).
    #[serde(default)]
    pub label_selector: Option<LabelSelectorSpec>,
    /// Minimum number of eligible domains (DoNotSchedule only).
    #[serde(default)]
    pub min_domains: Option<u32>,
    /// `Honor` (default) or `Ignore`.
    #[serde(default)]
    pub node_affinity_policy: Option<String>,
    /// `Honor` or `Ignore` (default).
    #[serde(default)]
    pub node_taints_policy: Option<String>,
}

/// `nodeAffinity`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeAffinitySpec {
    /// Hard constraint: at least one term must match.
    #[serde(default)]
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelectorSpec>,
    /// Soft preferences, weighted.
    #[serde(default)]
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredTermSpec>,
}

/// `nodeSelector` of a required node affinity.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeSelectorSpec {
    /// Terms, ORed.
    pub node_selector_terms: Vec<NodeSelectorTermSpec>,
}

/// A node selector term: requirements, ANDed.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeSelectorTermSpec {
    /// Label requirements.
    #[serde(default)]
    pub match_expressions: Vec<RequirementSpec>,
    /// Field requirements: only `metadata.name` with In / NotIn and one value, as upstream.
    #[serde(default)]
    pub match_fields: Vec<RequirementSpec>,
}

/// A weighted preferred term.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PreferredTermSpec {
    /// Weight 1..=100.
    pub weight: i64,
    /// The term.
    pub preference: NodeSelectorTermSpec,
}

/// A label requirement.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequirementSpec {
    /// Label key.
    pub key: String,
    /// In, NotIn, Exists, DoesNotExist, Gt or Lt.
    pub operator: String,
    /// Values (In/NotIn: one or more; Gt/Lt: one integer; Exists/DoesNotExist: none).
    #[serde(default)]
    pub values: Vec<String>,
}

/// A Deployment: `replicas` identical long-running pods, replaced when they terminate.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeploymentSpec {
    /// Name.
    pub name: String,
    /// Desired replicas.
    pub replicas: u32,
    /// When the Deployment is created (default 0).
    #[serde(default)]
    pub start: Duration,
    /// Pod template.
    #[serde(default)]
    pub template: PodTemplateSpec,
    /// A HorizontalPodAutoscaler targeting this Deployment (`autoscaling/v2` spec).
    #[serde(default)]
    pub hpa: Option<crate::autoscale::hpa::spec::HpaSpec>,
    /// The request rate the Deployment serves (makes it a load-driven service; needs
    /// `service`).
    #[serde(default, skip_serializing)]
    pub load: Option<crate::workload::load_curve::spec::LoadSpec>,
    /// How requests become per-pod usage and what a pod can serve.
    #[serde(default, skip_serializing)]
    pub service: Option<crate::workload::service_load::ServiceLoadSpec>,
    /// Rolling-update parameters (default maxSurge 25%, maxUnavailable 25%,
    /// progressDeadlineSeconds 600).
    #[serde(default)]
    pub strategy: Option<StrategySpec>,
    /// Template changes rolled out at given times.
    #[serde(default)]
    pub rollouts: Vec<RolloutSpec>,
}

/// kube-controller-manager's HPA flags and the metrics-server resolution.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HpaControllerSpec {
    /// `--horizontal-pod-autoscaler-sync-period` (default 15s).
    #[serde(default)]
    pub sync_period: Option<Duration>,
    /// `--horizontal-pod-autoscaler-tolerance` (default 0.1).
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (default 5m).
    #[serde(default)]
    pub downscale_stabilization: Option<Duration>,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (default 5m).
    #[serde(default)]
    pub cpu_initialization_period: Option<Duration>,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (default 30s).
    #[serde(default)]
    pub initial_readiness_delay: Option<Duration>,
    /// metrics-server `--metric-resolution` (default 15s; 0s = the HPA sees usage at once).
    #[serde(default)]
    pub metric_resolution: Option<Duration>,
}

/// A Job: runs `completions` pods, at most `parallelism` at once.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobSpec {
    /// Name.
    pub name: String,
    /// When the Job is created (default 0).
    #[serde(default)]
    pub start: Duration,
    /// Pods that must succeed.
    pub completions: u32,
    /// Pods running at once (default 1).
    #[serde(default = "one_u32")]
    pub parallelism: u32,
    /// Run time of each pod.
    pub duration: DurationDist,
    /// Pod template.
    #[serde(default)]
    pub template: PodTemplateSpec,
    /// Pod failures tolerated before the Job fails (default 6).
    #[serde(default)]
    pub backoff_limit: Option<u32>,
    /// `NonIndexed` (default) or `Indexed`.
    #[serde(default)]
    pub completion_mode: Option<String>,
}

fn one_u32() -> u32 {
    1
}

/// A pod trace replayed from a file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TraceSpec {
    /// Name (pods are named `<name>-<row>` unless the trace names them).
    pub name: String,
    /// `kubesim` (native CSV) or `alibaba-openb` (cluster-trace-gpu-v2023 pod list).
    pub format: String,
    /// Path relative to the scenario file (`.gz` is decompressed while reading).
    pub path: String,
    /// Shift all arrivals by this much (default 0).
    #[serde(default)]
    pub start: Duration,
    /// Replay at most this many pods.
    #[serde(default)]
    pub max_pods: Option<u64>,
    /// Keep every pod until the end instead of ending it at its trace lifetime (default
    /// false): replays the arrival sequence as a cluster-filling experiment.
    #[serde(default)]
    pub ignore_lifetimes: bool,
    /// Defaults for what the trace does not say (priority, labels, tolerations).
    #[serde(default)]
    pub template: PodTemplateSpec,
}

/// A synthetic stream of bare pods with Poisson arrivals.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GeneratorSpec {
    /// Name (pods are `<name>-<n>`).
    pub name: String,
    /// First possible arrival (default 0).
    #[serde(default)]
    pub start: Duration,
    /// Mean arrivals per second (exponential inter-arrival times).
    pub rate_per_second: f64,
    /// Number of pods to generate.
    pub count: u64,
    /// Run time of each pod (omit for pods that run until the end).
    #[serde(default)]
    pub duration: Option<DurationDist>,
    /// Pod template (requests used when no shapes are given).
    #[serde(default)]
    pub template: PodTemplateSpec,
    /// Request shapes drawn with the given weights.
    #[serde(default)]
    pub shapes: Vec<ShapeSpec>,
}

/// A weighted request shape of a generator.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ShapeSpec {
    /// Relative weight (default 1).
    #[serde(default = "one_u32")]
    pub weight: u32,
    /// Requests of pods of this shape.
    pub requests: ResourceListSpec,
    /// Limits of pods of this shape.
    #[serde(default)]
    pub limits: ResourceListSpec,
}

// --- Cluster autoscaler and billing -------------------------------------------------------

fn d(ms: u64) -> Duration {
    Duration(ms)
}
fn default_scan_interval() -> Duration {
    d(10_000)
}
fn default_expander() -> String {
    "least-waste".to_owned()
}
fn default_half() -> f64 {
    0.5
}
fn default_10m() -> Duration {
    d(600_000)
}
fn default_3m() -> Duration {
    d(180_000)
}
fn default_15m() -> Duration {
    d(900_000)
}
fn default_5s() -> Duration {
    d(5_000)
}
fn default_2m() -> Duration {
    d(120_000)
}
fn default_5m() -> Duration {
    d(300_000)
}
fn default_30m() -> Duration {
    d(1_800_000)
}
fn default_3h() -> Duration {
    d(10_800_000)
}
fn default_ten() -> u32 {
    10
}
fn default_thousand() -> u32 {
    1000
}
fn default_provisioning_delay() -> DurationDist {
    DurationDist::LogNormal {
        median: 90_000,
        sigma: 0.3,
    }
}
fn default_1s() -> Duration {
    d(1_000)
}
fn default_60s() -> Duration {
    d(60_000)
}

/// The `clusterAutoscaler` block: cluster-autoscaler flags with their upstream defaults
/// (cluster-autoscaler/FAQ.md), plus the simulated cloud's node provisioning delay.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterAutoscalerSpec {
    /// Run the cluster autoscaler (default false).
    #[serde(default)]
    pub enabled: bool,
    /// `--scan-interval` (default 10s).
    #[serde(default = "default_scan_interval")]
    pub scan_interval: Duration,
    /// `--expander`: `least-waste` (default), `random`, `most-pods`, `least-nodes`, `price`,
    /// `priority`, or a comma-separated chain such as `priority,least-waste`.
    #[serde(default = "default_expander")]
    pub expander: String,
    /// Priority expander configuration (the `cluster-autoscaler-priority-expander` ConfigMap):
    /// priority → regular expressions matched against node group (pool) names.
    #[serde(default)]
    pub expander_priorities: BTreeMap<i32, Vec<String>>,
    /// `--scale-down-enabled` (default true).
    #[serde(default = "default_true")]
    pub scale_down_enabled: bool,
    /// `--scale-down-utilization-threshold` (default 0.5).
    #[serde(default = "default_half")]
    pub scale_down_utilization_threshold: f64,
    /// `--scale-down-gpu-utilization-threshold` (default 0.5), for nodes with GPUs.
    #[serde(default = "default_half")]
    pub scale_down_gpu_utilization_threshold: f64,
    /// `--scale-down-unneeded-time` (default 10m).
    #[serde(default = "default_10m")]
    pub scale_down_unneeded_time: Duration,
    /// `--scale-down-delay-after-add` (default 10m).
    #[serde(default = "default_10m")]
    pub scale_down_delay_after_add: Duration,
    /// `--scale-down-delay-after-delete` (default 0s).
    #[serde(default)]
    pub scale_down_delay_after_delete: Duration,
    /// `--scale-down-delay-after-failure` (default 3m).
    #[serde(default = "default_3m")]
    pub scale_down_delay_after_failure: Duration,
    /// `--max-node-provision-time` (default 15m).
    #[serde(default = "default_15m")]
    pub max_node_provision_time: Duration,
    /// `--max-scale-down-parallelism` / `--max-empty-bulk-delete` (default 10).
    #[serde(default = "default_ten", alias = "maxEmptyBulkDelete")]
    pub max_scale_down_parallelism: u32,
    /// `--max-drain-parallelism` (default 1).
    #[serde(default = "one_u32")]
    pub max_drain_parallelism: u32,
    /// `--node-delete-delay-after-taint` (default 5s).
    #[serde(default = "default_5s")]
    pub node_delete_delay_after_taint: Duration,
    /// `--max-pod-eviction-time` (default 2m).
    #[serde(default = "default_2m")]
    pub max_pod_eviction_time: Duration,
    /// `--unremovable-node-recheck-timeout` (default 5m).
    #[serde(default = "default_5m")]
    pub unremovable_node_recheck_timeout: Duration,
    /// `--new-pod-scale-up-delay` (default 0s).
    #[serde(default)]
    pub new_pod_scale_up_delay: Duration,
    /// `--max-nodes-total` (default 0 = unlimited).
    #[serde(default)]
    pub max_nodes_total: u32,
    /// `--max-nodes-per-scaleup` (default 1000).
    #[serde(default = "default_thousand")]
    pub max_nodes_per_scale_up: u32,
    /// `--initial-node-group-backoff-duration` (default 5m).
    #[serde(default = "default_5m")]
    pub initial_node_group_backoff_duration: Duration,
    /// `--max-node-group-backoff-duration` (default 30m).
    #[serde(default = "default_30m")]
    pub max_node_group_backoff_duration: Duration,
    /// `--node-group-backoff-reset-timeout` (default 3h).
    #[serde(default = "default_3h")]
    pub node_group_backoff_reset_timeout: Duration,
    /// Time from the node request to the node being ready (boot + kubelet join), drawn per
    /// node (default `{lognormal: {median: 90s, sigma: 0.3}}`).
    #[serde(default = "default_provisioning_delay")]
    pub provisioning_delay: DurationDist,
}

impl Default for ClusterAutoscalerSpec {
    fn default() -> Self {
        serde_yaml_ng::from_str("{}").expect("every field has a default")
    }
}

/// A billing rule: node time is billed in steps of `granularity`, at least `minimum` per node
/// (see [`crate::metrics::cost`]).
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BillingSpec {
    /// Billing step (default 1s; `1h` = per started hour).
    #[serde(default = "default_1s")]
    pub granularity: Duration,
    /// Minimum billed time per node (default 60s).
    #[serde(default = "default_60s")]
    pub minimum: Duration,
}

impl Default for BillingSpec {
    fn default() -> Self {
        BillingSpec {
            granularity: default_1s(),
            minimum: default_60s(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_list_keeps_known_and_named_resources() {
        let r: ResourceListSpec = serde_yaml_ng::from_str(
            "{cpu: 500m, memory: 1Gi, gpu: 1, example.com/foo: 3, ephemeral-storage: 10Gi, hugepages-2Mi: 4Mi, rdma/hca: 1}",
        )
        .unwrap();
        assert_eq!(r.cpu, Some(MilliQuantity(500)));
        assert_eq!(r.memory, Some(UnitQuantity(1 << 30)));
        assert_eq!(r.gpu, Some(MilliQuantity(1000)));
        let names: Vec<&str> = r.extended.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "ephemeral-storage",
                "example.com/foo",
                "hugepages-2Mi",
                "rdma/hca"
            ]
        );
        assert_eq!(r.extended["ephemeral-storage"], 10 << 30);
        assert_eq!(r.extended["hugepages-2Mi"], 4 << 20);
        let e = serde_yaml_ng::from_str::<ResourceListSpec>("{example.com/foo: lots}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("example.com/foo"), "{e}");
        let e = serde_yaml_ng::from_str::<ResourceListSpec>("{cpu: 1, gpu: 1, nvidia.com/gpu: 2}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("duplicate"), "{e}");
        assert!(serde_yaml_ng::from_str::<ResourceListSpec>("{\"bad name\": 1}").is_err());
    }
}

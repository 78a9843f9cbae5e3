//! KubeSchedulerConfiguration (`kubescheduler.config.k8s.io/v1`) profiles: the reader for
//! upstream documents and the native `scheduler.profiles` list, upstream's merge rules, and
//! the lowering of each profile to the plugin lists kubesim's framework runs.
//!
//! Upstream sources followed:
//! - pkg/scheduler/apis/config/v1/default_plugins.go (`getDefaultPlugins`: every default
//!   plugin is in `multiPoint`, with the score weights; `mergePlugins`/`mergePluginSet`:
//!   a custom set is merged into the defaults per extension point, `disabled: '*'` drops all
//!   defaults, a re-enabled default replaces it in place, other enabled plugins are appended);
//! - pkg/scheduler/framework/runtime/framework.go (`expandMultiPointPlugins`: per extension
//!   point, plugins named in that point's own `enabled` list override their `multiPoint` entry
//!   and come first, then the remaining `multiPoint` plugins that implement the point and are
//!   not disabled there, then the point's other plugins; a point with `disabled: '*'` gets no
//!   `multiPoint` plugins; `getScoreWeights`: a Score weight set in `score` wins over the
//!   `multiPoint` one, 0 means 1);
//! - pkg/scheduler/apis/config/v1/defaults.go (profile `schedulerName` defaults to
//!   `default-scheduler`, one default profile when none is given, plugin args defaults);
//! - pkg/scheduler/apis/config/validation/validation.go (unique scheduler names, one queueSort
//!   plugin shared by all profiles, percentageOfNodesToScore in 0..=100, args checks).

use super::spec::{
    PluginArgs, PluginConfigSpec, PluginRef, PluginSet, PluginsSpec, RequestedToCapacityRatioSpec,
    ResourceWeight, SchedulerSpec, ScoringStrategySpec, ShapePointSpec,
};
use crate::error::{Error, Result};
use crate::scheduler::DEFAULT_SCHEDULER;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::path::Path;

/// `apiVersion` of the configuration documents read.
pub const API_VERSION: &str = "kubescheduler.config.k8s.io/v1";
/// `kind` of the configuration documents read.
pub const KIND: &str = "KubeSchedulerConfiguration";

/// An extension point of the scheduling framework (upstream `Plugins` fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Point {
    /// `multiPoint`: the plugin joins every extension point it implements.
    MultiPoint = 0,
    /// `preEnqueue`.
    PreEnqueue = 1,
    /// `queueSort`.
    QueueSort = 2,
    /// `preFilter`.
    PreFilter = 3,
    /// `filter`.
    Filter = 4,
    /// `postFilter`.
    PostFilter = 5,
    /// `preScore`.
    PreScore = 6,
    /// `score`.
    Score = 7,
    /// `reserve`.
    Reserve = 8,
    /// `permit`.
    Permit = 9,
    /// `preBind`.
    PreBind = 10,
    /// `bind`.
    Bind = 11,
    /// `postBind`.
    PostBind = 12,
}

/// The real extension points, in upstream's order (`multiPoint` excluded).
const POINTS: [Point; 12] = [
    Point::PreEnqueue,
    Point::QueueSort,
    Point::PreFilter,
    Point::Filter,
    Point::PostFilter,
    Point::PreScore,
    Point::Score,
    Point::Reserve,
    Point::Permit,
    Point::PreBind,
    Point::Bind,
    Point::PostBind,
];

impl Point {
    /// The field name in `plugins`.
    pub fn field(self) -> &'static str {
        match self {
            Point::MultiPoint => "multiPoint",
            Point::PreEnqueue => "preEnqueue",
            Point::QueueSort => "queueSort",
            Point::PreFilter => "preFilter",
            Point::Filter => "filter",
            Point::PostFilter => "postFilter",
            Point::PreScore => "preScore",
            Point::Score => "score",
            Point::Reserve => "reserve",
            Point::Permit => "permit",
            Point::PreBind => "preBind",
            Point::Bind => "bind",
            Point::PostBind => "postBind",
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u8
    }

    fn from_u8(p: u8) -> Point {
        match p {
            0 => Point::MultiPoint,
            1 => Point::PreEnqueue,
            2 => Point::QueueSort,
            3 => Point::PreFilter,
            4 => Point::Filter,
            5 => Point::PostFilter,
            6 => Point::PreScore,
            7 => Point::Score,
            8 => Point::Reserve,
            9 => Point::Permit,
            10 => Point::PreBind,
            11 => Point::Bind,
            _ => Point::PostBind,
        }
    }
}

/// An in-tree plugin: its name, the extension points it implements, and whether kubesim
/// models it (`false`: it has nothing to act on in kubesim's cluster model, e.g. volumes,
/// host ports, images, scheduling gates, resource claims, the API binding).
struct PluginInfo {
    name: &'static str,
    points: u16,
    modelled: bool,
}

const fn points(list: &[Point]) -> u16 {
    let mut bits = 0;
    let mut i = 0;
    while i < list.len() {
        bits |= list[i].bit();
        i += 1;
    }
    bits
}

use Point as P;

/// The in-tree plugins (pkg/scheduler/framework/plugins/registry.go) and the extension points
/// each implements.
const PLUGINS: &[PluginInfo] = &[
    PluginInfo {
        name: "SchedulingGates",
        points: points(&[P::PreEnqueue]),
        modelled: false,
    },
    PluginInfo {
        name: "PrioritySort",
        points: points(&[P::QueueSort]),
        modelled: true,
    },
    PluginInfo {
        name: "NodeUnschedulable",
        points: points(&[P::Filter]),
        modelled: true,
    },
    PluginInfo {
        name: "NodeName",
        points: points(&[P::Filter]),
        modelled: true,
    },
    PluginInfo {
        name: "TaintToleration",
        points: points(&[P::Filter, P::PreScore, P::Score]),
        modelled: true,
    },
    PluginInfo {
        name: "NodeAffinity",
        points: points(&[P::PreFilter, P::Filter, P::PreScore, P::Score]),
        modelled: true,
    },
    PluginInfo {
        name: "NodePorts",
        points: points(&[P::PreFilter, P::Filter]),
        modelled: false,
    },
    PluginInfo {
        name: "NodeResourcesFit",
        points: points(&[P::PreFilter, P::Filter, P::PreScore, P::Score]),
        modelled: true,
    },
    PluginInfo {
        name: "VolumeRestrictions",
        points: points(&[P::PreFilter, P::Filter]),
        modelled: false,
    },
    PluginInfo {
        name: "NodeVolumeLimits",
        points: points(&[P::PreFilter, P::Filter]),
        modelled: false,
    },
    PluginInfo {
        name: "VolumeBinding",
        points: points(&[
            P::PreFilter,
            P::Filter,
            P::Reserve,
            P::PreBind,
            P::PreScore,
            P::Score,
        ]),
        modelled: false,
    },
    PluginInfo {
        name: "VolumeZone",
        points: points(&[P::PreFilter, P::Filter]),
        modelled: false,
    },
    PluginInfo {
        name: "PodTopologySpread",
        points: points(&[P::PreFilter, P::Filter, P::PreScore, P::Score]),
        modelled: true,
    },
    PluginInfo {
        name: "InterPodAffinity",
        points: points(&[P::PreFilter, P::Filter, P::PreScore, P::Score]),
        modelled: true,
    },
    PluginInfo {
        name: "DefaultPreemption",
        points: points(&[P::PostFilter]),
        modelled: true,
    },
    PluginInfo {
        name: "NodeResourcesBalancedAllocation",
        points: points(&[P::PreScore, P::Score]),
        modelled: true,
    },
    PluginInfo {
        name: "ImageLocality",
        points: points(&[P::Score]),
        modelled: false,
    },
    PluginInfo {
        name: "DefaultBinder",
        points: points(&[P::Bind]),
        modelled: false,
    },
    PluginInfo {
        name: "DynamicResources",
        points: points(&[
            P::PreEnqueue,
            P::PreFilter,
            P::Filter,
            P::PostFilter,
            P::Reserve,
            P::PreBind,
        ]),
        modelled: false,
    },
];

/// Upstream's default `multiPoint` set with score weights (default_plugins.go,
/// `getDefaultPlugins`; DynamicResources joins it when its feature gate is on, and kubesim
/// has no resource claims for it to act on).
const DEFAULT_MULTI_POINT: &[(&str, Option<i64>)] = &[
    ("SchedulingGates", None),
    ("PrioritySort", None),
    ("NodeUnschedulable", None),
    ("NodeName", None),
    ("TaintToleration", Some(3)),
    ("NodeAffinity", Some(2)),
    ("NodePorts", None),
    ("NodeResourcesFit", Some(1)),
    ("VolumeRestrictions", None),
    ("NodeVolumeLimits", None),
    ("VolumeBinding", None),
    ("VolumeZone", None),
    ("PodTopologySpread", Some(2)),
    ("InterPodAffinity", Some(2)),
    ("DefaultPreemption", None),
    ("NodeResourcesBalancedAllocation", Some(1)),
    ("ImageLocality", Some(1)),
    ("DefaultBinder", None),
];

fn info(name: &str) -> Option<&'static PluginInfo> {
    PLUGINS.iter().find(|p| p.name == name)
}

fn known_names() -> String {
    PLUGINS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks a plugin name found at extension point `point` (in `enabled` if `enabled`).
fn check_name(name: &str, point: Point, enabled: bool) -> std::result::Result<(), String> {
    if name == "*" {
        return if enabled {
            Err("`*` is only valid in `disabled`".to_owned())
        } else {
            Ok(())
        };
    }
    let Some(p) = info(name) else {
        let detail = match point {
            Point::Filter | Point::Score | Point::PostFilter | Point::MultiPoint => String::new(),
            _ => format!(
                " (at {}, kubesim accepts only upstream's in-tree plugins: another plugin there \
                 would change placement)",
                point.field()
            ),
        };
        return Err(format!(
            "unknown plugin {name:?}{detail}; expected one of: {}",
            known_names()
        ));
    };
    if enabled && point != Point::MultiPoint && p.points & point.bit() == 0 {
        return Err(format!(
            "plugin {name:?} does not extend {} (it implements: {})",
            point.field(),
            POINTS
                .iter()
                .filter(|q| p.points & q.bit() != 0)
                .map(|q| q.field())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// A plugin reference as written, before its name is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPlugin {
    name: String,
    #[serde(default)]
    weight: Option<i64>,
}

/// A plugin enabled at extension point `X` (a [`Point`] as `u8`), with its optional score
/// weight. The name is checked while parsing, so errors carry the line.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawPlugin")]
pub struct Enabled<const X: u8> {
    /// Upstream plugin name.
    pub name: String,
    /// Score weight (`multiPoint` and `score` only; 0 or unset = the default).
    pub weight: Option<i64>,
}

impl<const X: u8> TryFrom<RawPlugin> for Enabled<X> {
    type Error = String;
    fn try_from(r: RawPlugin) -> std::result::Result<Self, String> {
        check_name(&r.name, Point::from_u8(X), true)?;
        if let Some(w) = r.weight
            && !(0..=100).contains(&w)
        {
            return Err(format!(
                "weight {w} of plugin {:?} out of range; expected 0..=100 (0 = default)",
                r.name
            ));
        }
        Ok(Enabled {
            name: r.name,
            weight: r.weight,
        })
    }
}

/// A plugin disabled at extension point `X` (`*` = all defaults).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawPlugin")]
pub struct Disabled<const X: u8> {
    /// Upstream plugin name or `*`.
    pub name: String,
}

impl<const X: u8> TryFrom<RawPlugin> for Disabled<X> {
    type Error = String;
    fn try_from(r: RawPlugin) -> std::result::Result<Self, String> {
        check_name(&r.name, Point::from_u8(X), false)?;
        Ok(Disabled { name: r.name })
    }
}

/// `enabled`/`disabled` of one extension point `X`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PointSet<const X: u8> {
    /// Plugins enabled (or re-configured) here.
    #[serde(default)]
    pub enabled: Vec<Enabled<X>>,
    /// Plugins disabled here; `*` disables every default.
    #[serde(default)]
    pub disabled: Vec<Disabled<X>>,
}

impl<const X: u8> PointSet<X> {
    fn names(&self) -> (Vec<(String, Option<i64>)>, Vec<String>) {
        (
            self.enabled
                .iter()
                .map(|e| (e.name.clone(), e.weight))
                .collect(),
            self.disabled.iter().map(|d| d.name.clone()).collect(),
        )
    }
}

/// A profile's `plugins`: every extension point upstream has.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfilePlugins {
    #[serde(default)]
    pub multi_point: PointSet<0>,
    #[serde(default)]
    pub pre_enqueue: PointSet<1>,
    #[serde(default)]
    pub queue_sort: PointSet<2>,
    #[serde(default)]
    pub pre_filter: PointSet<3>,
    #[serde(default)]
    pub filter: PointSet<4>,
    #[serde(default)]
    pub post_filter: PointSet<5>,
    #[serde(default)]
    pub pre_score: PointSet<6>,
    #[serde(default)]
    pub score: PointSet<7>,
    #[serde(default)]
    pub reserve: PointSet<8>,
    #[serde(default)]
    pub permit: PointSet<9>,
    #[serde(default)]
    pub pre_bind: PointSet<10>,
    #[serde(default)]
    pub bind: PointSet<11>,
    #[serde(default)]
    pub post_bind: PointSet<12>,
}

type Names = (Vec<(String, Option<i64>)>, Vec<String>);

impl ProfilePlugins {
    fn point(&self, p: Point) -> Names {
        match p {
            Point::MultiPoint => self.multi_point.names(),
            Point::PreEnqueue => self.pre_enqueue.names(),
            Point::QueueSort => self.queue_sort.names(),
            Point::PreFilter => self.pre_filter.names(),
            Point::Filter => self.filter.names(),
            Point::PostFilter => self.post_filter.names(),
            Point::PreScore => self.pre_score.names(),
            Point::Score => self.score.names(),
            Point::Reserve => self.reserve.names(),
            Point::Permit => self.permit.names(),
            Point::PreBind => self.pre_bind.names(),
            Point::Bind => self.bind.names(),
            Point::PostBind => self.post_bind.names(),
        }
    }
}

/// A plugin name in `pluginConfig` (checked while parsing).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ConfigName(pub String);

impl TryFrom<String> for ConfigName {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        if info(&s).is_none() {
            return Err(format!(
                "unknown plugin {s:?}; expected one of: {}",
                known_names()
            ));
        }
        Ok(ConfigName(s))
    }
}

/// A resource with a weight in plugin args (`weight` 0 or unset = 1, as upstream defaults).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgResource {
    /// Resource name.
    pub name: String,
    /// Weight (1..=100; 0 or unset = 1).
    #[serde(default)]
    pub weight: Option<i64>,
}

/// NodeResourcesFitArgs.scoringStrategy.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgScoringStrategy {
    /// LeastAllocated (default), MostAllocated or RequestedToCapacityRatio.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Weighted resources (default cpu and memory, weight 1).
    #[serde(default)]
    pub resources: Vec<ArgResource>,
    /// The RequestedToCapacityRatio shape.
    #[serde(default)]
    pub requested_to_capacity_ratio: Option<ArgShape>,
}

/// `requestedToCapacityRatio`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgShape {
    /// Points (utilization 0..=100, score 0..=10).
    #[serde(default)]
    pub shape: Vec<ArgShapePoint>,
}

/// One shape point.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgShapePoint {
    /// Utilization [%].
    #[serde(default)]
    pub utilization: i64,
    /// Score (0..=10).
    #[serde(default)]
    pub score: i64,
}

/// Plugin args as upstream spells them (the union of the in-tree `*Args` types); which fields
/// a plugin may set is checked after parsing.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileArgs {
    /// Optional type meta (`kubescheduler.config.k8s.io/v1`).
    #[serde(default)]
    pub api_version: Option<String>,
    /// Optional type meta (`<Plugin>Args`).
    #[serde(default)]
    pub kind: Option<String>,
    /// NodeResourcesFitArgs.scoringStrategy.
    #[serde(default)]
    pub scoring_strategy: Option<ArgScoringStrategy>,
    /// NodeResourcesFitArgs.ignoredResources.
    #[serde(default)]
    pub ignored_resources: Vec<String>,
    /// NodeResourcesFitArgs.ignoredResourceGroups.
    #[serde(default)]
    pub ignored_resource_groups: Vec<String>,
    /// NodeResourcesBalancedAllocationArgs.resources.
    #[serde(default)]
    pub resources: Vec<ArgResource>,
    /// InterPodAffinityArgs.hardPodAffinityWeight (0..=100, default 1).
    #[serde(default)]
    pub hard_pod_affinity_weight: Option<i64>,
    /// InterPodAffinityArgs.ignorePreferredTermsOfExistingPods (only `false` is modelled).
    #[serde(default)]
    pub ignore_preferred_terms_of_existing_pods: Option<bool>,
    /// PodTopologySpreadArgs.defaultConstraints (only an empty list is modelled).
    #[serde(default)]
    pub default_constraints: Option<Vec<serde_yaml_ng::Value>>,
    /// PodTopologySpreadArgs.defaultingType: System (default) or List.
    #[serde(default)]
    pub defaulting_type: Option<String>,
    /// DefaultPreemptionArgs.minCandidateNodesPercentage (default 10).
    #[serde(default)]
    pub min_candidate_nodes_percentage: Option<i64>,
    /// DefaultPreemptionArgs.minCandidateNodesAbsolute (default 100).
    #[serde(default)]
    pub min_candidate_nodes_absolute: Option<i64>,
    /// NodeAffinityArgs.addedAffinity.
    #[serde(default)]
    pub added_affinity: Option<super::spec::NodeAffinitySpec>,
    /// VolumeBindingArgs.bindTimeoutSeconds (no volumes in kubesim: ignored).
    #[serde(default)]
    pub bind_timeout_seconds: Option<IgnoredAny>,
    /// VolumeBindingArgs.shape (no volumes in kubesim: ignored).
    #[serde(default)]
    pub shape: Option<IgnoredAny>,
}

/// One `pluginConfig` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfilePluginConfig {
    /// Plugin name.
    pub name: ConfigName,
    /// Its args.
    #[serde(default)]
    pub args: ProfileArgs,
}

/// One scheduling profile (`KubeSchedulerProfile`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileSpec {
    /// The name pods select with `spec.schedulerName` (default `default-scheduler`).
    #[serde(default)]
    pub scheduler_name: Option<String>,
    /// This profile's percentageOfNodesToScore (default: the configuration's).
    #[serde(default)]
    pub percentage_of_nodes_to_score: Option<u32>,
    /// Plugins per extension point, merged into upstream's defaults.
    #[serde(default)]
    pub plugins: ProfilePlugins,
    /// Plugin args.
    #[serde(default)]
    pub plugin_config: Vec<ProfilePluginConfig>,
}

impl ProfileSpec {
    /// The profile's scheduler name.
    pub fn name(&self) -> &str {
        self.scheduler_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(DEFAULT_SCHEDULER)
    }
}

/// The document itself. Fields that cannot change placement are accepted and ignored.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConfigDocument {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    percentage_of_nodes_to_score: Option<u32>,
    #[serde(default)]
    profiles: Vec<ProfileSpec>,
    #[serde(default)]
    pod_initial_backoff_seconds: Option<u64>,
    #[serde(default)]
    pod_max_backoff_seconds: Option<u64>,
    #[serde(default)]
    extenders: Vec<serde_yaml_ng::Value>,
    #[serde(default)]
    parallelism: Option<IgnoredAny>,
    #[serde(default)]
    leader_election: Option<IgnoredAny>,
    #[serde(default)]
    client_connection: Option<IgnoredAny>,
    #[serde(default)]
    health_bind_address: Option<IgnoredAny>,
    #[serde(default)]
    metrics_bind_address: Option<IgnoredAny>,
    #[serde(default)]
    enable_profiling: Option<IgnoredAny>,
    #[serde(default)]
    enable_contention_profiling: Option<IgnoredAny>,
    #[serde(default)]
    delay_cache_until_active: Option<IgnoredAny>,
}

/// Reads one KubeSchedulerConfiguration document (the YAML or JSON text of one document;
/// `file` names it in errors) into a scheduler block with its profiles. A configuration with
/// no profiles gets upstream's one default profile.
pub fn parse_document(text: &str, file: &Path) -> Result<SchedulerSpec> {
    super::yaml_limits::check_depth(text, file)?;
    let de = serde_yaml_ng::Deserializer::from_str(text);
    let doc: ConfigDocument =
        serde_path_to_error::deserialize(de).map_err(|e| yaml_error(file, e))?;
    from_document(doc, file)
}

/// Reads a file holding a KubeSchedulerConfiguration (possibly among other YAML documents;
/// exactly one must be a KubeSchedulerConfiguration).
pub fn parse_file(path: &Path) -> Result<SchedulerSpec> {
    let text = super::yaml_limits::read_yaml_file(path)?;
    let mut found = None;
    for (i, de) in serde_yaml_ng::Deserializer::from_str(&text).enumerate() {
        let value: serde_yaml_ng::Value =
            serde_path_to_error::deserialize(de).map_err(|e| yaml_error(path, e))?;
        let kind = value.get("kind").and_then(|k| k.as_str());
        if kind != Some(KIND) {
            continue;
        }
        if found.is_some() {
            return Err(config_error(
                path,
                "kind",
                format!("more than one {KIND} document (the second is document {i})"),
            ));
        }
        found = Some(i);
    }
    let Some(index) = found else {
        return Err(config_error(
            path,
            "kind",
            format!("no {KIND} document found"),
        ));
    };
    // Parse the document again from the text, so errors carry its line numbers.
    let de = serde_yaml_ng::Deserializer::from_str(&text)
        .nth(index)
        .expect("counted above");
    let doc: ConfigDocument =
        serde_path_to_error::deserialize(de).map_err(|e| yaml_error(path, e))?;
    from_document(doc, path)
}

/// [`super::yaml_error`], without the field path serde_yaml_ng repeats in front of the
/// messages raised by the plugin name checks.
fn yaml_error(file: &Path, e: serde_path_to_error::Error<serde_yaml_ng::Error>) -> Error {
    match super::yaml_error(file, e) {
        Error::Yaml {
            file,
            location,
            mut message,
        } => {
            if let Some((head, rest)) = message.split_once(": ")
                && !head.contains(' ')
                && location.contains(&format!("`{head}"))
            {
                message = rest.to_owned();
            }
            Error::Yaml {
                file,
                location,
                message,
            }
        }
        other => other,
    }
}

fn config_error(file: &Path, field: &str, message: impl Into<String>) -> Error {
    Error::scenario(field, message).in_file(file)
}

fn from_document(doc: ConfigDocument, file: &Path) -> Result<SchedulerSpec> {
    if doc.api_version.as_deref() != Some(API_VERSION) {
        return Err(config_error(
            file,
            "apiVersion",
            format!(
                "{:?}; expected {API_VERSION:?}",
                doc.api_version.unwrap_or_default()
            ),
        ));
    }
    if doc.kind.as_deref() != Some(KIND) {
        return Err(config_error(
            file,
            "kind",
            format!("{:?}; expected {KIND:?}", doc.kind.unwrap_or_default()),
        ));
    }
    // pkg/scheduler/internal/queue: 1 s initial and 10 s maximum backoff, which kubesim uses.
    if doc.pod_initial_backoff_seconds.is_some_and(|s| s != 1) {
        return Err(config_error(
            file,
            "podInitialBackoffSeconds",
            "only the default of 1 is modelled",
        ));
    }
    if doc.pod_max_backoff_seconds.is_some_and(|s| s != 10) {
        return Err(config_error(
            file,
            "podMaxBackoffSeconds",
            "only the default of 10 is modelled",
        ));
    }
    if !doc.extenders.is_empty() {
        return Err(config_error(
            file,
            "extenders",
            "scheduler extenders are not modelled (they would change placement)",
        ));
    }
    let mut spec = SchedulerSpec {
        percentage_of_nodes_to_score: doc.percentage_of_nodes_to_score.unwrap_or(0),
        profiles: doc.profiles,
        ..SchedulerSpec::default()
    };
    if spec.profiles.is_empty() {
        spec.profiles.push(ProfileSpec::default());
    }
    check_profiles(&spec, "").map_err(|e| e.in_file(file))?;
    Ok(spec)
}

/// A profile lowered to kubesim's framework: a scheduler block with explicit plugin lists.
#[derive(Clone, Debug)]
pub struct LoweredProfile {
    /// `schedulerName`.
    pub name: String,
    /// The block [`crate::scheduler::build_profile`] and
    /// [`crate::scheduler::preemption::from_spec`] take: filters and scores listed in order with
    /// `disabled: '*'`, postFilter DefaultPreemption on or off, the modelled plugins' args.
    pub spec: SchedulerSpec,
    /// The queueSort plugins (upstream requires the same list in every profile).
    pub queue_sort: Vec<String>,
}

/// upstream `mergePluginSet`: defaults minus the disabled ones (all with `*`), a re-enabled
/// default replaced in place, the other enabled plugins appended.
fn merge(defaults: &[(&str, Option<i64>)], custom: &Names) -> Names {
    let (enabled, disabled) = custom;
    let all = disabled.iter().any(|d| d == "*");
    let mut out = Vec::new();
    let mut replaced = vec![false; enabled.len()];
    if !all {
        for (name, weight) in defaults {
            if disabled.iter().any(|d| d == name) {
                continue;
            }
            match enabled.iter().position(|(n, _)| n == name) {
                Some(i) => {
                    replaced[i] = true;
                    out.push(enabled[i].clone());
                }
                None => out.push(((*name).to_owned(), *weight)),
            }
        }
    }
    for (i, e) in enabled.iter().enumerate() {
        if !replaced[i] {
            out.push(e.clone());
        }
    }
    (out, disabled.clone())
}

/// upstream `expandMultiPointPlugins` for one extension point: the plugins that run there,
/// in order. `field` names the point in errors.
fn expand(
    point: Point,
    own: &Names,
    multi: &[(String, Option<i64>)],
    field: &str,
) -> Result<Vec<String>> {
    let (enabled, disabled) = own;
    for (i, (name, _)) in enabled.iter().enumerate() {
        if enabled[..i].iter().any(|(n, _)| n == name) {
            return Err(Error::scenario(
                format!("{field}.enabled"),
                format!("plugin {name:?} is enabled twice"),
            ));
        }
    }
    if disabled.iter().any(|d| d == "*") {
        return Ok(enabled.iter().map(|(n, _)| n.clone()).collect());
    }
    let implements = |n: &str| info(n).is_some_and(|p| p.points & point.bit() != 0);
    let mut overrides: Vec<&str> = Vec::new();
    let mut from_multi: Vec<&str> = Vec::new();
    for (name, _) in multi {
        if !implements(name) || disabled.iter().any(|d| d == name) {
            continue;
        }
        if enabled.iter().any(|(n, _)| n == name) {
            overrides.push(name);
            continue;
        }
        if from_multi.contains(&name.as_str()) {
            let profile = field.rsplit_once('.').map_or(field, |(p, _)| p);
            return Err(Error::scenario(
                format!("{profile}.multiPoint.enabled"),
                format!("plugin {name:?} is enabled twice"),
            ));
        }
        from_multi.push(name);
    }
    let mut out: Vec<String> = Vec::new();
    // Part 1: the overriding plugins, in the point's own order.
    out.extend(
        enabled
            .iter()
            .filter(|(n, _)| overrides.contains(&n.as_str()))
            .map(|(n, _)| n.clone()),
    );
    // Part 2: the other multiPoint plugins.
    out.extend(from_multi.iter().map(|n| (*n).to_owned()));
    // Part 3: the rest of the point's own list.
    out.extend(
        enabled
            .iter()
            .filter(|(n, _)| !overrides.contains(&n.as_str()))
            .map(|(n, _)| n.clone()),
    );
    Ok(out)
}

fn plugin_ref(name: &str, weight: Option<i64>) -> PluginRef {
    PluginRef {
        name: name.to_owned(),
        weight,
    }
}

fn explicit(list: Vec<PluginRef>) -> PluginSet {
    PluginSet {
        enabled: list,
        disabled: vec![plugin_ref("*", None)],
    }
}

/// Merges `profile` into upstream's defaults and lowers it; `global_percentage` is the
/// configuration-wide percentageOfNodesToScore, `field` the profile's path in errors.
pub fn lower(profile: &ProfileSpec, global_percentage: u32, field: &str) -> Result<LoweredProfile> {
    let plugins = &profile.plugins;
    let multi = merge(DEFAULT_MULTI_POINT, &plugins.point(Point::MultiPoint)).0;
    let mut run: Vec<(Point, Vec<String>)> = Vec::new();
    for point in POINTS {
        let own = merge(&[], &plugins.point(point));
        let list = expand(
            point,
            &own,
            &multi,
            &format!("{field}.plugins.{}", point.field()),
        )?;
        run.push((point, list));
    }
    let at = |p: Point| &run.iter().find(|(q, _)| *q == p).expect("all points").1;
    let modelled = |n: &String| info(n).is_some_and(|p| p.modelled);
    // kubesim runs a plugin's PreFilter with its Filter and its PreScore with its Score;
    // upstream's Filter/Score of these plugins fail without their Pre* state.
    for (pre, main) in [
        (Point::PreFilter, Point::Filter),
        (Point::PreScore, Point::Score),
    ] {
        for name in at(main).iter().filter(|n| modelled(n)) {
            let needs_pre = info(name).is_some_and(|p| p.points & pre.bit() != 0);
            if needs_pre && !at(pre).contains(name) {
                return Err(Error::scenario(
                    format!("{field}.plugins.{}", pre.field()),
                    format!(
                        "plugin {name:?} runs at {} but is disabled at {}; upstream's {name} \
                         needs its {} state (enable or disable it at both)",
                        main.field(),
                        pre.field(),
                        pre.field()
                    ),
                ));
            }
        }
    }
    let queue_sort = at(Point::QueueSort).clone();
    match queue_sort.len() {
        1 => {}
        0 => {
            return Err(Error::scenario(
                format!("{field}.plugins.queueSort"),
                "no queueSort plugin is enabled; expected PrioritySort",
            ));
        }
        _ => {
            return Err(Error::scenario(
                format!("{field}.plugins.queueSort"),
                "only one queueSort plugin can be enabled",
            ));
        }
    }
    if at(Point::Bind).is_empty() {
        return Err(Error::scenario(
            format!("{field}.plugins.bind"),
            "at least one bind plugin is needed (DefaultBinder)",
        ));
    }
    // Score weights: `score` first, then `multiPoint`; 0 or unset = 1 (getScoreWeights).
    let score_own = merge(&[], &plugins.point(Point::Score)).0;
    let weight_of = |name: &str| {
        score_own
            .iter()
            .chain(multi.iter())
            .find(|(n, _)| n == name)
            .and_then(|(_, w)| *w)
            .filter(|w| *w > 0)
            .unwrap_or(1)
    };
    let filters: Vec<PluginRef> = at(Point::Filter)
        .iter()
        .filter(|n| modelled(n))
        .map(|n| plugin_ref(n, None))
        .collect();
    let scores: Vec<PluginRef> = at(Point::Score)
        .iter()
        .filter(|n| modelled(n))
        .map(|n| plugin_ref(n, Some(weight_of(n))))
        .collect();
    let preemption = at(Point::PostFilter)
        .iter()
        .any(|n| n == "DefaultPreemption");
    let post_filter = if preemption {
        explicit(vec![plugin_ref("DefaultPreemption", None)])
    } else {
        PluginSet {
            enabled: Vec::new(),
            disabled: vec![plugin_ref("*", None)],
        }
    };
    let percentage = profile
        .percentage_of_nodes_to_score
        .unwrap_or(global_percentage);
    if percentage > 100 {
        return Err(Error::scenario(
            format!("{field}.percentageOfNodesToScore"),
            format!("{percentage} out of range; expected 0..=100 (0 = adaptive)"),
        ));
    }
    let mut plugin_config = Vec::new();
    for (i, pc) in profile.plugin_config.iter().enumerate() {
        let f = format!("{field}.pluginConfig[{i}]");
        if profile.plugin_config[..i]
            .iter()
            .any(|q| q.name.0 == pc.name.0)
        {
            return Err(Error::scenario(
                format!("{f}.name"),
                format!("repeated config for plugin {}", pc.name.0),
            ));
        }
        if let Some(args) = lower_args(&pc.name.0, &pc.args, &format!("{f}.args"))? {
            plugin_config.push(PluginConfigSpec {
                name: pc.name.0.clone(),
                args,
            });
        }
    }
    Ok(LoweredProfile {
        name: profile.name().to_owned(),
        spec: SchedulerSpec {
            name: DEFAULT_SCHEDULER.to_owned(),
            percentage_of_nodes_to_score: percentage,
            plugins: PluginsSpec {
                filter: explicit(filters),
                score: explicit(scores),
                post_filter,
            },
            plugin_config,
            ..SchedulerSpec::default()
        },
        queue_sort,
    })
}

fn resources(list: &[ArgResource]) -> Option<Vec<ResourceWeight>> {
    if list.is_empty() {
        return None;
    }
    Some(
        list.iter()
            .map(|r| ResourceWeight {
                name: r.name.clone(),
                weight: r.weight.filter(|w| *w != 0).unwrap_or(1),
            })
            .collect(),
    )
}

/// Checks that `args` sets only fields of plugin `name`'s args type and converts them to the
/// framework's; `None` for plugins whose args kubesim has nothing to apply to.
fn lower_args(name: &str, a: &ProfileArgs, field: &str) -> Result<Option<PluginArgs>> {
    if let Some(v) = &a.api_version
        && v != API_VERSION
    {
        return Err(Error::scenario(
            format!("{field}.apiVersion"),
            format!("{v:?}; expected {API_VERSION:?}"),
        ));
    }
    let expected_kind = format!("{name}Args");
    if let Some(k) = &a.kind
        && *k != expected_kind
    {
        return Err(Error::scenario(
            format!("{field}.kind"),
            format!("{k:?}; expected {expected_kind:?}"),
        ));
    }
    let set: [(&str, bool); 13] = [
        ("scoringStrategy", a.scoring_strategy.is_some()),
        ("ignoredResources", !a.ignored_resources.is_empty()),
        (
            "ignoredResourceGroups",
            !a.ignored_resource_groups.is_empty(),
        ),
        ("resources", !a.resources.is_empty()),
        (
            "hardPodAffinityWeight",
            a.hard_pod_affinity_weight.is_some(),
        ),
        (
            "ignorePreferredTermsOfExistingPods",
            a.ignore_preferred_terms_of_existing_pods.is_some(),
        ),
        ("defaultConstraints", a.default_constraints.is_some()),
        ("defaultingType", a.defaulting_type.is_some()),
        (
            "minCandidateNodesPercentage",
            a.min_candidate_nodes_percentage.is_some(),
        ),
        (
            "minCandidateNodesAbsolute",
            a.min_candidate_nodes_absolute.is_some(),
        ),
        ("addedAffinity", a.added_affinity.is_some()),
        ("bindTimeoutSeconds", a.bind_timeout_seconds.is_some()),
        ("shape", a.shape.is_some()),
    ];
    let allowed: &[&str] = match name {
        "NodeResourcesFit" => &[
            "scoringStrategy",
            "ignoredResources",
            "ignoredResourceGroups",
        ],
        "NodeResourcesBalancedAllocation" => &["resources"],
        "InterPodAffinity" => &[
            "hardPodAffinityWeight",
            "ignorePreferredTermsOfExistingPods",
        ],
        "PodTopologySpread" => &["defaultConstraints", "defaultingType"],
        "DefaultPreemption" => &["minCandidateNodesPercentage", "minCandidateNodesAbsolute"],
        "NodeAffinity" => &["addedAffinity"],
        "VolumeBinding" => &["bindTimeoutSeconds", "shape"],
        _ => &[],
    };
    if let Some((f, _)) = set.iter().find(|(f, on)| *on && !allowed.contains(f)) {
        return Err(Error::scenario(
            format!("{field}.{f}"),
            format!(
                "not an argument of {name}; {name} takes: {}",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
        ));
    }
    let not_modelled = |f: &str, what: &str| {
        Err(Error::scenario(
            format!("{field}.{f}"),
            format!("{what} is not modelled (it would change placement)"),
        ))
    };
    let mut out = PluginArgs::default();
    match name {
        "NodeResourcesFit" => {
            out.ignored_resources = a.ignored_resources.clone();
            out.ignored_resource_groups = a.ignored_resource_groups.clone();
            // SetDefaults_NodeResourcesFitArgs: LeastAllocated over cpu and memory.
            let Some(ss) = &a.scoring_strategy else {
                let ignores =
                    !out.ignored_resources.is_empty() || !out.ignored_resource_groups.is_empty();
                return Ok(ignores.then_some(out));
            };
            out.scoring_strategy = Some(ScoringStrategySpec {
                kind: ss
                    .kind
                    .clone()
                    .unwrap_or_else(|| "LeastAllocated".to_owned()),
                resources: resources(&ss.resources),
                requested_to_capacity_ratio: ss.requested_to_capacity_ratio.as_ref().map(|r| {
                    RequestedToCapacityRatioSpec {
                        shape: r
                            .shape
                            .iter()
                            .map(|p| ShapePointSpec {
                                utilization: p.utilization,
                                score: p.score,
                            })
                            .collect(),
                    }
                }),
            });
        }
        "NodeResourcesBalancedAllocation" => {
            out.resources = resources(&a.resources);
            if out.resources.is_none() {
                return Ok(None);
            }
        }
        "InterPodAffinity" => {
            if a.ignore_preferred_terms_of_existing_pods == Some(true) {
                return not_modelled(
                    "ignorePreferredTermsOfExistingPods",
                    "ignoring existing pods' preferred terms",
                );
            }
            out.hard_pod_affinity_weight = a.hard_pod_affinity_weight;
            if out.hard_pod_affinity_weight.is_none() {
                return Ok(None);
            }
        }
        "PodTopologySpread" => {
            let listed = a
                .default_constraints
                .as_ref()
                .is_some_and(|c| !c.is_empty());
            match a.defaulting_type.as_deref() {
                None | Some("System") if listed => {
                    return Err(Error::scenario(
                        format!("{field}.defaultConstraints"),
                        "must be empty when defaultingType is System",
                    ));
                }
                Some("List") if listed => {
                    return not_modelled(
                        "defaultConstraints",
                        "a custom list of default constraints",
                    );
                }
                _ => {}
            }
            // In v1 the default defaultingType is System.
            out.defaulting_type = a.defaulting_type.clone();
            if out.defaulting_type.is_none() {
                return Ok(None);
            }
        }
        "DefaultPreemption" => {
            out.min_candidate_nodes_percentage = a.min_candidate_nodes_percentage;
            out.min_candidate_nodes_absolute = a.min_candidate_nodes_absolute;
        }
        "NodeAffinity" => {
            out.added_affinity = a.added_affinity.clone();
            if out.added_affinity.is_none() {
                return Ok(None);
            }
        }
        _ => return Ok(None),
    }
    Ok(Some(out))
}

/// Checks and converts NodeAffinityArgs.addedAffinity (`field`: its path in errors), as
/// upstream validates it (the node selector rules of a pod's node affinity).
pub(crate) fn added_affinity(
    na: &super::spec::NodeAffinitySpec,
    field: &str,
    cluster: &mut crate::cluster::ClusterState,
) -> Result<crate::cluster::affinity::NodeAffinity> {
    use crate::cluster::affinity::Requirement;
    let mut convert = |term: &super::spec::NodeSelectorTermSpec, f: &str| {
        super::build::validate_term(term, f)?;
        let fields = term
            .match_fields
            .iter()
            .map(|r| (crate::cluster::LABEL_HOSTNAME, r));
        let labels = term.match_expressions.iter().map(|r| (r.key.as_str(), r));
        Ok::<Vec<Requirement>, Error>(
            labels
                .chain(fields)
                .map(|(key, r)| Requirement {
                    key: cluster.interner.intern(key),
                    operator: super::build::parse_operator(&r.operator).expect("validated"),
                    values: r
                        .values
                        .iter()
                        .map(|v| cluster.interner.intern(v))
                        .collect(),
                    number: r.values.first().and_then(|v| v.parse().ok()).unwrap_or(0),
                })
                .collect(),
        )
    };
    let mut out = crate::cluster::affinity::NodeAffinity::default();
    if let Some(req) = &na.required_during_scheduling_ignored_during_execution {
        let f = format!("{field}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
        let mut terms = Vec::new();
        for (i, term) in req.node_selector_terms.iter().enumerate() {
            terms.push(convert(term, &format!("{f}[{i}]"))?);
        }
        out.required = Some(terms);
    }
    for (i, p) in na
        .preferred_during_scheduling_ignored_during_execution
        .iter()
        .enumerate()
    {
        let f = format!("{field}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
        if !(1..=100).contains(&p.weight) {
            return Err(Error::scenario(format!("{f}.weight"), "expected 1..=100"));
        }
        let term = convert(&p.preference, &format!("{f}.preference"))?;
        out.preferred.push((p.weight, term));
    }
    Ok(out)
}

/// Lowers every profile of `spec` and checks what upstream checks across profiles (unique
/// scheduler names, one queueSort). `prefix` is the block's path (`scheduler.`) in errors.
pub fn lower_all(spec: &SchedulerSpec, prefix: &str) -> Result<Vec<LoweredProfile>> {
    let mut out: Vec<LoweredProfile> = Vec::new();
    for (i, p) in spec.profiles.iter().enumerate() {
        let field = format!("{prefix}profiles[{i}]");
        let lowered = lower(p, spec.percentage_of_nodes_to_score, &field)?;
        if out.iter().any(|q| q.name == lowered.name) {
            return Err(Error::scenario(
                format!("{field}.schedulerName"),
                format!("duplicate scheduler name {:?}", lowered.name),
            ));
        }
        if let Some(first) = out.first()
            && first.queue_sort != lowered.queue_sort
        {
            return Err(Error::scenario(
                format!("{field}.plugins.queueSort"),
                "queueSort must be the same for all profiles",
            ));
        }
        out.push(lowered);
    }
    Ok(out)
}

/// Checks the profiles of a scheduler block (`prefix`: its path in errors).
pub fn check_profiles(spec: &SchedulerSpec, prefix: &str) -> Result<()> {
    lower_all(spec, prefix).map(|_| ())
}

/// The scheduler names pods can select, in profile order: the profiles' names, or
/// `default-scheduler` alone for a block without profiles (whichever algorithm it names).
pub fn profile_names(spec: &SchedulerSpec) -> Vec<String> {
    if spec.profiles.is_empty() {
        return vec![DEFAULT_SCHEDULER.to_owned()];
    }
    spec.profiles.iter().map(|p| p.name().to_owned()).collect()
}

/// Resolves `scheduler.configFile` (relative to `base`, the scenario's folder): reads the
/// file's KubeSchedulerConfiguration into the block's profiles. `field` is the block's path.
pub fn resolve_config_file(spec: &mut SchedulerSpec, base: &Path, field: &str) -> Result<()> {
    let Some(file) = spec.config_file.clone() else {
        return Ok(());
    };
    let inline = spec.name != DEFAULT_SCHEDULER
        || spec.percentage_of_nodes_to_score != 0
        || !spec.profiles.is_empty()
        || !spec.plugin_config.is_empty()
        || !plugins_empty(&spec.plugins);
    if inline {
        return Err(Error::scenario(
            format!("{field}.configFile"),
            "configFile excludes the inline fields (name, percentageOfNodesToScore, plugins, \
             pluginConfig, profiles); put them in the file",
        ));
    }
    let path = base.join(&file);
    let read = parse_file(&path)?;
    spec.percentage_of_nodes_to_score = read.percentage_of_nodes_to_score;
    spec.profiles = read.profiles;
    Ok(())
}

/// Resolves the `configFile` of the scenario's scheduler block and of its variants' blocks
/// (relative to the scenario file `path`).
pub fn resolve_scenario_files(spec: &mut super::spec::ScenarioSpec, path: &Path) -> Result<()> {
    let base = path.parent().unwrap_or(Path::new("."));
    resolve_config_file(&mut spec.scheduler, base, "scheduler")?;
    for (i, v) in spec.variants.iter_mut().enumerate() {
        if let Some(s) = v.scheduler.as_mut() {
            resolve_config_file(s, base, &format!("variants[{i}].scheduler"))?;
        }
    }
    Ok(())
}

/// Checks the scheduler blocks of the scenario and its variants.
pub fn validate(spec: &super::spec::ScenarioSpec) -> Result<()> {
    check_inline(&spec.scheduler, "scheduler")?;
    for (i, v) in spec.variants.iter().enumerate() {
        if let Some(s) = &v.scheduler {
            check_inline(s, &format!("variants[{i}].scheduler"))?;
        }
    }
    Ok(())
}

/// One warning per pod template whose `schedulerName` matches no profile of the scenario's
/// scheduler block: its pods stay Pending, as upstream (no scheduler picks them up).
pub fn unscheduled_pod_warnings(spec: &super::spec::ScenarioSpec) -> Vec<String> {
    let names = profile_names(&spec.scheduler);
    let mut templates: Vec<(String, &super::spec::PodTemplateSpec)> = Vec::new();
    for (i, d) in spec.deployments.iter().enumerate() {
        templates.push((format!("deployments[{i}].template"), &d.template));
    }
    for (i, j) in spec.jobs.iter().enumerate() {
        templates.push((format!("jobs[{i}].template"), &j.template));
    }
    for (i, t) in spec.traces.iter().enumerate() {
        templates.push((format!("traces[{i}].template"), &t.template));
    }
    for (i, g) in spec.generators.iter().enumerate() {
        templates.push((format!("generators[{i}].template"), &g.template));
    }
    for (i, p) in spec.pods.iter().enumerate() {
        templates.push((format!("pods[{i}].template"), &p.template));
    }
    for (i, s) in spec.stateful_sets.iter().enumerate() {
        templates.push((format!("statefulSets[{i}].template"), &s.template));
    }
    for (i, d) in spec.daemon_sets.iter().enumerate() {
        templates.push((format!("daemonSets[{i}].template"), &d.template));
    }
    for (i, c) in spec.cron_jobs.iter().enumerate() {
        templates.push((
            format!("cronJobs[{i}].jobTemplate.template"),
            &c.job_template.template,
        ));
    }
    templates
        .into_iter()
        .filter_map(|(field, t)| {
            let name = t.scheduler_name.as_deref()?;
            (!names.iter().any(|n| n == name)).then(|| {
                format!(
                    "{field}.schedulerName: no scheduler profile is named {name:?} (profiles: \
                     {}); its pods stay Pending",
                    names.join(", ")
                )
            })
        })
        .collect()
}

fn plugins_empty(p: &PluginsSpec) -> bool {
    [&p.filter, &p.score, &p.post_filter]
        .iter()
        .all(|s| s.enabled.is_empty() && s.disabled.is_empty())
}

/// Checks a block with inline `profiles`: the legacy single-profile fields (`name`, `plugins`,
/// `pluginConfig`) cannot be combined with them.
pub fn check_inline(spec: &SchedulerSpec, field: &str) -> Result<()> {
    if spec.profiles.is_empty() {
        return Ok(());
    }
    if spec.name != DEFAULT_SCHEDULER {
        return Err(Error::scenario(
            format!("{field}.name"),
            "profiles are kube-scheduler profiles; `name` cannot be combined with them",
        ));
    }
    if !plugins_empty(&spec.plugins) || !spec.plugin_config.is_empty() {
        return Err(Error::scenario(
            format!("{field}.plugins"),
            "with `profiles`, set plugins and pluginConfig per profile",
        ));
    }
    check_profiles(spec, &format!("{field}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SchedulerSpec> {
        parse_document(text, Path::new("sched.yaml"))
    }

    fn lowered(text: &str) -> Vec<LoweredProfile> {
        let spec = parse(text).unwrap();
        lower_all(&spec, "").unwrap()
    }

    fn names(set: &PluginSet) -> Vec<(String, Option<i64>)> {
        set.enabled
            .iter()
            .map(|p| (p.name.clone(), p.weight))
            .collect()
    }

    const HEAD: &str =
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";

    #[test]
    fn no_profiles_is_the_default_profile() {
        let p = lowered(HEAD);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, "default-scheduler");
        assert_eq!(p[0].queue_sort, ["PrioritySort"]);
        let filters: Vec<String> = names(&p[0].spec.plugins.filter)
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(
            filters,
            [
                "NodeUnschedulable",
                "NodeName",
                "TaintToleration",
                "NodeAffinity",
                "NodeResourcesFit",
                "PodTopologySpread",
                "InterPodAffinity"
            ]
        );
        let scores = names(&p[0].spec.plugins.score);
        let expected: Vec<(String, Option<i64>)> = [
            ("TaintToleration", 3),
            ("NodeAffinity", 2),
            ("NodeResourcesFit", 1),
            ("PodTopologySpread", 2),
            ("InterPodAffinity", 2),
            ("NodeResourcesBalancedAllocation", 1),
        ]
        .iter()
        .map(|(n, w)| (n.to_string(), Some(*w)))
        .collect();
        assert_eq!(scores, expected);
        assert_eq!(
            names(&p[0].spec.plugins.post_filter),
            [("DefaultPreemption".to_string(), None)]
        );
    }

    #[test]
    fn the_default_profile_builds_the_same_framework_as_the_legacy_block() {
        // Lowered default lists == the legacy defaults: the same plugin order and weights.
        let p = lowered(HEAD);
        let mut c = crate::cluster::ClusterState::default();
        let a = crate::scheduler::build_profile(&p[0].spec, &mut c).unwrap();
        let b = crate::scheduler::build_profile(&SchedulerSpec::default(), &mut c).unwrap();
        assert_eq!(a.filter_names(), b.filter_names());
        assert_eq!(a.scorer_names(), b.scorer_names());
    }

    #[test]
    fn disabled_star_keeps_only_the_listed_plugins() {
        // A bin-packing profile as upstream documents it: score only NodeResourcesFit.
        let p = lowered(&format!(
            "{HEAD}profiles:
- schedulerName: bin-packing
  plugins:
    score:
      disabled: [{{name: '*'}}]
      enabled: [{{name: NodeResourcesFit, weight: 5}}]
"
        ));
        assert_eq!(p[0].name, "bin-packing");
        assert_eq!(
            names(&p[0].spec.plugins.score),
            [("NodeResourcesFit".to_string(), Some(5))]
        );
        // Filters keep their multiPoint defaults.
        assert_eq!(p[0].spec.plugins.filter.enabled.len(), 7);
    }

    #[test]
    fn score_weight_overrides_multi_point_and_comes_first() {
        // expandMultiPointPlugins: an explicit score entry overrides the multiPoint one (its
        // weight wins) and moves to the front.
        let p = lowered(&format!(
            "{HEAD}profiles:
- plugins:
    score:
      enabled: [{{name: PodTopologySpread, weight: 7}}]
"
        ));
        let scores = names(&p[0].spec.plugins.score);
        assert_eq!(scores[0], ("PodTopologySpread".to_string(), Some(7)));
        assert_eq!(scores.len(), 6);
        assert!(scores.contains(&("TaintToleration".to_string(), Some(3))));
    }

    #[test]
    fn multi_point_weight_and_disabling_per_point() {
        // A plugin re-weighted in multiPoint keeps its place (mergePluginSet replaces in
        // place); disabling it at score only keeps its filter.
        let p = lowered(&format!(
            "{HEAD}profiles:
- plugins:
    multiPoint:
      enabled: [{{name: NodeAffinity, weight: 9}}]
    score:
      disabled: [{{name: TaintToleration}}]
    preScore:
      disabled: [{{name: TaintToleration}}]
"
        ));
        let scores = names(&p[0].spec.plugins.score);
        assert_eq!(scores[0], ("NodeAffinity".to_string(), Some(9)));
        assert!(!scores.iter().any(|s| s.0 == "TaintToleration"));
        assert!(
            p[0].spec
                .plugins
                .filter
                .enabled
                .iter()
                .any(|f| f.name == "TaintToleration")
        );
    }

    #[test]
    fn multi_point_star_disables_every_default() {
        let p = lowered(&format!(
            "{HEAD}profiles:
- plugins:
    multiPoint:
      disabled: [{{name: '*'}}]
      enabled:
      - {{name: PrioritySort}}
      - {{name: DefaultBinder}}
      - {{name: NodeResourcesFit, weight: 2}}
"
        ));
        assert_eq!(
            names(&p[0].spec.plugins.filter),
            [("NodeResourcesFit".to_string(), None)]
        );
        assert_eq!(
            names(&p[0].spec.plugins.score),
            [("NodeResourcesFit".to_string(), Some(2))]
        );
        assert!(p[0].spec.plugins.post_filter.enabled.is_empty());
    }

    #[test]
    fn plugin_args_as_upstream() {
        let p = lowered(&format!(
            "{HEAD}percentageOfNodesToScore: 40
profiles:
- schedulerName: rtc
  percentageOfNodesToScore: 70
  pluginConfig:
  - name: NodeResourcesFit
    args:
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: NodeResourcesFitArgs
      scoringStrategy:
        type: RequestedToCapacityRatio
        resources: [{{name: cpu, weight: 0}}, {{name: memory, weight: 3}}]
        requestedToCapacityRatio:
          shape: [{{utilization: 0, score: 10}}, {{utilization: 100, score: 0}}]
  - name: InterPodAffinity
    args: {{hardPodAffinityWeight: 5}}
  - name: PodTopologySpread
    args: {{defaultingType: List, defaultConstraints: []}}
  - name: DefaultPreemption
    args: {{minCandidateNodesPercentage: 20, minCandidateNodesAbsolute: 50}}
  - name: NodeResourcesBalancedAllocation
    args: {{resources: [{{name: cpu}}]}}
- schedulerName: other
"
        ));
        assert_eq!(p[0].spec.percentage_of_nodes_to_score, 70);
        assert_eq!(p[1].spec.percentage_of_nodes_to_score, 40);
        let cfg = &p[0].spec.plugin_config;
        assert_eq!(cfg.len(), 5);
        let ss = cfg[0].args.scoring_strategy.as_ref().unwrap();
        assert_eq!(ss.kind, "RequestedToCapacityRatio");
        let w: Vec<i64> = ss
            .resources
            .as_ref()
            .unwrap()
            .iter()
            .map(|r| r.weight)
            .collect();
        assert_eq!(w, [1, 3], "weight 0 defaults to 1");
        assert_eq!(
            ss.requested_to_capacity_ratio.as_ref().unwrap().shape.len(),
            2
        );
        assert_eq!(cfg[1].args.hard_pod_affinity_weight, Some(5));
        assert_eq!(cfg[2].args.defaulting_type.as_deref(), Some("List"));
        assert_eq!(cfg[3].args.min_candidate_nodes_percentage, Some(20));
        let mut c = crate::cluster::ClusterState::default();
        for q in &p {
            crate::scheduler::build_profile(&q.spec, &mut c).unwrap();
            crate::scheduler::preemption::from_spec(&q.spec).unwrap();
        }
        let args = crate::scheduler::preemption::from_spec(&p[0].spec)
            .unwrap()
            .unwrap();
        assert_eq!(args.min_candidate_nodes_absolute, 50);
    }

    fn err(text: &str) -> String {
        match parse(text) {
            Ok(spec) => match lower_all(&spec, "") {
                Ok(_) => panic!("accepted: {text}"),
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn unknown_fields_and_plugins_name_the_line() {
        let e = err(&format!(
            "{HEAD}profiles:\n- schedulerName: a\n  plugin: {{}}\n"
        ));
        assert!(e.starts_with("sched.yaml:5:"), "{e}");
        assert!(e.contains("profiles[0]") && e.contains("plugin"), "{e}");
        let e = err(&format!(
            "{HEAD}profiles:\n- plugins:\n    score:\n      enabled:\n      - name: NodeResourcesFitt\n"
        ));
        assert!(e.starts_with("sched.yaml:7:"), "{e}");
        assert!(e.contains("unknown plugin \"NodeResourcesFitt\""), "{e}");
        assert!(
            !e.contains("enabled: unknown"),
            "the path is said once: {e}"
        );
        assert!(
            e.contains("expected one of: SchedulingGates, PrioritySort"),
            "{e}"
        );
        // An out-of-tree plugin at a point kubesim does not model.
        let e = err(&format!(
            "{HEAD}profiles:\n- plugins:\n    permit:\n      enabled: [{{name: Coscheduling}}]\n"
        ));
        assert!(e.starts_with("sched.yaml:6:"), "{e}");
        assert!(e.contains("\"Coscheduling\" (at permit"), "{e}");
        // An in-tree plugin at a point it does not implement.
        let e = err(&format!(
            "{HEAD}profiles:\n- plugins:\n    bind:\n      enabled: [{{name: NodeResourcesFit}}]\n"
        ));
        assert!(e.contains("does not extend bind"), "{e}");
        let e = err(&format!(
            "{HEAD}profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args: {{scoringStrategy: {{typo: 1}}}}\n"
        ));
        assert!(e.starts_with("sched.yaml:6:"), "{e}");
        assert!(e.contains("typo"), "{e}");
    }

    #[test]
    fn default_plugins_at_unmodelled_points_are_accepted() {
        let p = lowered(&format!(
            "{HEAD}profiles:
- plugins:
    reserve: {{enabled: [{{name: VolumeBinding}}]}}
    bind: {{disabled: [{{name: DefaultBinder}}], enabled: [{{name: DefaultBinder}}]}}
    preEnqueue: {{enabled: [{{name: SchedulingGates}}]}}
    filter: {{enabled: [{{name: NodePorts}}]}}
"
        ));
        assert_eq!(p[0].spec.plugins.filter.enabled.len(), 7);
    }

    #[test]
    fn semantic_errors() {
        let cases = [
            (
                "profiles:\n- schedulerName: a\n- schedulerName: a\n",
                "duplicate scheduler name",
            ),
            (
                "profiles:\n- plugins: {queueSort: {disabled: [{name: '*'}]}}\n",
                "no queueSort plugin",
            ),
            (
                "profiles:\n- schedulerName: a\n- schedulerName: b\n  plugins: {queueSort: {disabled: [{name: '*'}]}}\n",
                "no queueSort plugin",
            ),
            (
                "profiles:\n- plugins: {preFilter: {disabled: [{name: NodeResourcesFit}]}}\n",
                "needs its preFilter state",
            ),
            (
                "profiles:\n- pluginConfig: [{name: NodeName, args: {resources: [{name: cpu}]}}]\n",
                "not an argument of NodeName",
            ),
            (
                "profiles:\n- pluginConfig: [{name: InterPodAffinity}, {name: InterPodAffinity}]\n",
                "repeated config",
            ),
            (
                "profiles:\n- pluginConfig: [{name: PodTopologySpread, args: {defaultConstraints: [{maxSkew: 1}]}}]\n",
                "must be empty when defaultingType is System",
            ),
            (
                "profiles:\n- pluginConfig: [{name: NodeAffinity, args: {addedAffinity: {typo: 1}}}]\n",
                "typo",
            ),
            ("percentageOfNodesToScore: 101\n", "out of range"),
            (
                "profiles:\n- plugins: {multiPoint: {enabled: [{name: ImageLocality}, {name: ImageLocality}]}}\n",
                "profiles[0].plugins.multiPoint.enabled`: plugin \"ImageLocality\" is enabled twice",
            ),
            (
                "extenders: [{urlPrefix: x}]\n",
                "extenders are not modelled",
            ),
        ];
        for (body, want) in cases {
            let e = err(&format!("{HEAD}{body}"));
            assert!(e.contains(want), "{body}: {e}");
        }
        let e = err(
            "apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n",
        );
        assert!(e.contains("apiVersion") && e.contains("v1beta3"), "{e}");
    }

    #[test]
    fn node_resources_fit_ignored_resources_are_lowered() {
        let p = lowered(&format!(
            "{HEAD}profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args: {{ignoredResources: [example.com/foo], ignoredResourceGroups: [rdma]}}
"
        ));
        let args = &p[0].spec.plugin_config[0].args;
        assert_eq!(args.ignored_resources, ["example.com/foo"]);
        assert_eq!(args.ignored_resource_groups, ["rdma"]);
        assert!(args.scoring_strategy.is_none());
    }

    #[test]
    fn json_documents_are_read_too() {
        let spec = parse(
            r#"{"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
                "profiles": [{"schedulerName": "a"}, {"schedulerName": "b",
                "plugins": {"score": {"disabled": [{"name": "*"}]}}}]}"#,
        )
        .unwrap();
        assert_eq!(profile_names(&spec), ["a", "b"]);
        let p = lower_all(&spec, "").unwrap();
        assert!(p[1].spec.plugins.score.enabled.is_empty());
        assert_eq!(
            crate::scheduler::profiles::profile_index(&profile_names(&spec), Some("b")),
            1
        );
        assert_eq!(
            crate::scheduler::profiles::profile_index(&profile_names(&spec), None),
            crate::cluster::pod::NO_PROFILE,
            "no profile is named default-scheduler"
        );
    }

    #[test]
    fn a_file_with_several_documents() {
        let dir = std::env::temp_dir().join(format!("kubesim-sched-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cfg.yaml");
        std::fs::write(
            &path,
            format!("kind: ConfigMap\napiVersion: v1\n---\n{HEAD}profiles:\n- schedulerName: x\n  bad: 1\n"),
        )
        .unwrap();
        let e = parse_file(&path).unwrap_err().to_string();
        assert!(e.contains(":8:") && e.contains("bad"), "{e}");
        std::fs::write(&path, format!("{HEAD}profiles:\n- schedulerName: x\n")).unwrap();
        let spec = parse_file(&path).unwrap();
        assert_eq!(profile_names(&spec), ["x"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

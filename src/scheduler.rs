//! Scheduling: the [`Scheduler`] trait, the built-in profiles and baselines, and a registry so
//! that users can add their own schedulers by name.
//!
//! The default profile follows kube-scheduler's (pkg/scheduler/apis/config/v1/default_plugins.go)
//! for the plugins kubesim models: filters NodeUnschedulable, NodeName, TaintToleration,
//! NodeAffinity, NodeResourcesFit, PodTopologySpread, InterPodAffinity; scorers TaintToleration
//! (weight 3), NodeAffinity (2), NodeResourcesFit (1), PodTopologySpread (2), InterPodAffinity (2)
//! and NodeResourcesBalancedAllocation (1). ImageLocality (weight 1) is not modelled: images are
//! not part of the cluster model.

pub mod baselines;
pub mod explain;
pub mod framework;
pub mod fused;
pub mod plugins;
pub mod preemption;
pub mod profiles;
pub mod queue;
pub mod retry_memo;

use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;
use crate::engine::rng::SimRng;
use crate::error::Error;
use crate::scenario::spec::{PluginSet, SchedulerSpec};
use framework::{Framework, WeightedScorer};
use plugins::balanced_allocation::BalancedAllocation;
use plugins::inter_pod_affinity::InterPodAffinity;
use plugins::node_affinity::NodeAffinity;
use plugins::node_name::NodeName;
use plugins::node_resources_fit::{
    DEFAULT_RESOURCES, NodeResourcesFit, ResourceName, ScoringStrategy, ShapePoint,
    WeightedResource, cpu_mem_weights,
};
use plugins::node_unschedulable::NodeUnschedulable;
use plugins::pod_topology_spread::PodTopologySpread;
use plugins::taint_toleration::TaintToleration;
use plugins::{FilterFailure, FilterPlugin, ScorePlugin};
use std::collections::BTreeMap;

/// The outcome of one scheduling attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Bind the pod to this node.
    Bind(NodeId),
    /// No node can take the pod now; it waits until the cluster changes.
    Unschedulable,
}

/// A placement algorithm. Implement this to plug a custom scheduler into kubesim.
pub trait Scheduler {
    /// Name shown in outputs.
    fn name(&self) -> &str;
    /// Chooses a node for `pod` given the current cluster, or reports it unschedulable.
    /// Randomness must come from `rng` (a dedicated, seeded stream) for reproducibility.
    fn schedule(&mut self, pod: PodId, cluster: &ClusterState, rng: &mut SimRng) -> Decision;

    /// Per-node filter verdicts and scores for `pod` over all live nodes (see
    /// [`explain::NodeExplanation`]); `None` if this scheduler cannot explain itself.
    fn explain_placement(
        &mut self,
        _pod: PodId,
        _cluster: &ClusterState,
    ) -> Option<Vec<explain::NodeExplanation>> {
        None
    }

    /// Whether `pod` passes this scheduler's filters on `node` right now. Used as the queueing
    /// hint that decides which parked pods to retry when `node` gains capacity; the default
    /// checks resources only.
    fn feasible(&mut self, pod: PodId, node: NodeId, cluster: &ClusterState) -> bool {
        plugins::node_resources_fit::fits_request_in(
            &cluster.pods[pod.0 as usize],
            &cluster.nodes[node.0 as usize],
            cluster,
        )
        .is_ok()
    }

    /// The filter verdict of `pod` on every live node, in `cluster.live_nodes` order: the
    /// per-node statuses preemption (PostFilter) starts from. Only `Unschedulable` nodes are
    /// preemption candidates. The default asks [`Scheduler::feasible`] node by node and reports
    /// every rejection as `Unschedulable` (preemption then finds out by itself where removing
    /// pods cannot help).
    fn filter_statuses(
        &mut self,
        pod: PodId,
        cluster: &ClusterState,
        out: &mut Vec<Result<(), FilterFailure>>,
    ) {
        out.clear();
        for &node in &cluster.live_nodes {
            out.push(if self.feasible(pod, node, cluster) {
                Ok(())
            } else {
                Err(FilterFailure::Unschedulable("rejected by the scheduler"))
            });
        }
    }

    /// The filter verdicts of `pod` on `nodes`, in order, as [`Scheduler::filter_statuses`]
    /// gives them for those nodes (the default asks [`Scheduler::feasible`] node by node).
    fn filter_statuses_on(
        &mut self,
        pod: PodId,
        nodes: &[NodeId],
        cluster: &ClusterState,
        out: &mut Vec<Result<(), FilterFailure>>,
    ) {
        out.clear();
        for &node in nodes {
            out.push(if self.feasible(pod, node, cluster) {
                Ok(())
            } else {
                Err(FilterFailure::Unschedulable("rejected by the scheduler"))
            });
        }
    }

    /// Whether, right now, this scheduler's filter verdict for `pod` on every node depends
    /// only on that node's scheduling state (see [`plugins::FilterPlugin::node_local`]) and on
    /// the pod's requests, extended resources and template; and whether an `Unschedulable`
    /// decision for the pod leaves nothing behind that a later decision reads (no random draw,
    /// no moved round-robin start). Then a pod that passes no node's filters is unschedulable,
    /// and the engine may remember per node that retries of such a pod cannot fit or preempt
    /// there ([`retry_memo`]). The default, `false`, is always safe.
    fn node_local_verdicts(&mut self, _pod: PodId, _cluster: &ClusterState) -> bool {
        false
    }

    /// The first index `k` of `nodes`, scanning from `start` and wrapping around, for which
    /// `eligible(nodes[k])` holds and `pod` passes this scheduler's filters on `nodes[k]`; `None`
    /// if there is none. Used by the cluster autoscaler's simulations (which run the
    /// scheduler's filters, as upstream runs the scheduler framework's). The default calls
    /// [`Scheduler::feasible`] per node; a profile overrides it to run PreFilter once.
    fn first_feasible(
        &mut self,
        pod: PodId,
        nodes: &[NodeId],
        start: usize,
        cluster: &ClusterState,
        eligible: &dyn Fn(NodeId) -> bool,
    ) -> Option<usize> {
        let n = nodes.len();
        (0..n)
            .map(|i| (start + i) % n)
            .find(|&k| eligible(nodes[k]) && self.feasible(pod, nodes[k], cluster))
    }
}

/// Builds a scheduler from the scenario's `scheduler` block. Receives the cluster so that
/// plugins can intern the label and taint keys they use.
pub type SchedulerFactory =
    Box<dyn Fn(&SchedulerSpec, &mut ClusterState) -> Result<Box<dyn Scheduler>, Error>>;

/// Scheduler constructors by name (`scheduler.name` in a scenario).
pub struct Registry {
    factories: BTreeMap<String, SchedulerFactory>,
}

/// Name of the kube-scheduler-like profile.
pub const DEFAULT_SCHEDULER: &str = "default-scheduler";

impl Default for Registry {
    fn default() -> Self {
        Self::with_builtins()
    }
}

impl Registry {
    /// A registry with `default-scheduler`, `first-fit`, `best-fit` and `random`.
    pub fn with_builtins() -> Self {
        let mut r = Registry {
            factories: BTreeMap::new(),
        };
        r.register(DEFAULT_SCHEDULER, |spec, cluster| {
            Ok(Box::new(build_profile(spec, cluster)?) as Box<dyn Scheduler>)
        });
        r.register("first-fit", |_, c| {
            Ok(Box::new(baselines::first_fit::FirstFit::new(
                baselines::default_filters(c),
            )))
        });
        r.register("best-fit", |_, c| {
            Ok(Box::new(baselines::best_fit::BestFit::new(
                baselines::default_filters(c),
            )))
        });
        r.register("random", |_, c| {
            Ok(Box::new(baselines::random::RandomFit::new(
                baselines::default_filters(c),
            )))
        });
        r
    }

    /// Registers (or replaces) a scheduler constructor under `name`.
    pub fn register<F>(&mut self, name: &str, factory: F)
    where
        F: Fn(&SchedulerSpec, &mut ClusterState) -> Result<Box<dyn Scheduler>, Error> + 'static,
    {
        self.factories.insert(name.to_owned(), Box::new(factory));
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.factories.keys().map(String::as_str).collect()
    }

    /// Builds the scheduler the spec names.
    pub fn build(
        &self,
        spec: &SchedulerSpec,
        cluster: &mut ClusterState,
    ) -> Result<Box<dyn Scheduler>, Error> {
        let factory = self.factories.get(&spec.name).ok_or_else(|| {
            Error::scenario(
                "scheduler.name",
                format!(
                    "unknown scheduler {:?}; expected one of: {}",
                    spec.name,
                    self.names().join(", ")
                ),
            )
        })?;
        factory(spec, cluster)
    }
}

const FILTER_PLUGINS: &[&str] = &[
    "NodeUnschedulable",
    "NodeName",
    "TaintToleration",
    "NodeAffinity",
    "NodeResourcesFit",
    "PodTopologySpread",
    "InterPodAffinity",
];
const SCORE_PLUGINS: &[(&str, i64)] = &[
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodeResourcesFit", 1),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("NodeResourcesBalancedAllocation", 1),
];

/// Applies a plugin set's `enabled`/`disabled` lists to the default `(name, weight)` list.
/// `disabled: [{name: "*"}]` disables all defaults. Enabled plugins not in the defaults are
/// appended; an enabled default with a weight overrides its default weight.
fn resolve_plugins(
    defaults: &[(&str, i64)],
    known: &[&str],
    set: &PluginSet,
    field: &str,
) -> Result<Vec<(String, i64)>, Error> {
    let check = |name: &str, i: usize, list: &str| {
        if name == "*" && list == "disabled" || known.contains(&name) {
            Ok(())
        } else {
            Err(Error::scenario(
                format!("{field}.{list}[{i}].name"),
                format!(
                    "unknown plugin {name:?}; expected one of: {}",
                    known.join(", ")
                ),
            ))
        }
    };
    for (i, p) in set.disabled.iter().enumerate() {
        check(&p.name, i, "disabled")?;
    }
    let all_disabled = set.disabled.iter().any(|p| p.name == "*");
    let mut out: Vec<(String, i64)> = defaults
        .iter()
        .filter(|(n, _)| !all_disabled && !set.disabled.iter().any(|p| p.name == *n))
        .map(|(n, w)| ((*n).to_owned(), *w))
        .collect();
    for (i, p) in set.enabled.iter().enumerate() {
        check(&p.name, i, "enabled")?;
        if let Some(w) = p.weight
            && !(1..=100).contains(&w)
        {
            return Err(Error::scenario(
                format!("{field}.enabled[{i}].weight"),
                format!("weight {w} out of range; expected 1..=100"),
            ));
        }
        let default_weight = defaults
            .iter()
            .find(|(n, _)| *n == p.name)
            .map_or(1, |d| d.1);
        let weight = p.weight.unwrap_or(default_weight);
        match out.iter_mut().find(|(n, _)| *n == p.name) {
            Some(existing) => existing.1 = weight,
            None => out.push((p.name.clone(), weight)),
        }
    }
    Ok(out)
}

fn weighted_resources(
    list: &Option<Vec<crate::scenario::spec::ResourceWeight>>,
    field: &str,
    extended: &mut crate::cluster::extended::ExtendedResources,
) -> Result<Vec<WeightedResource>, Error> {
    let Some(list) = list else {
        return Ok(DEFAULT_RESOURCES.to_vec());
    };
    let mut out: Vec<WeightedResource> = Vec::new();
    for (i, r) in list.iter().enumerate() {
        let name = ResourceName::parse_in(&r.name, extended).ok_or_else(|| {
            Error::scenario(
                format!("{field}[{i}].name"),
                format!(
                    "unknown resource {:?}; expected cpu, memory, nvidia.com/gpu, \
                     ephemeral-storage, hugepages-<size> or a name such as example.com/foo",
                    r.name
                ),
            )
        })?;
        if !(1..=100).contains(&r.weight) {
            return Err(Error::scenario(
                format!("{field}[{i}].weight"),
                format!("weight {} out of range; expected 1..=100", r.weight),
            ));
        }
        if out.iter().any(|w| w.name == name) {
            return Err(Error::scenario(
                format!("{field}[{i}].name"),
                "duplicate resource",
            ));
        }
        out.push(WeightedResource {
            name,
            weight: r.weight,
        });
    }
    if out.is_empty() {
        return Err(Error::scenario(field, "resource list is empty"));
    }
    Ok(out)
}

fn spread_plugin(cluster: &mut ClusterState, system_defaults: bool) -> PodTopologySpread {
    let mut p = PodTopologySpread::new(cluster);
    p.set_system_defaulted(system_defaults);
    p
}

/// Builds the kube-scheduler-like profile from the scenario's scheduler block.
pub fn build_profile(spec: &SchedulerSpec, cluster: &mut ClusterState) -> Result<Framework, Error> {
    let mut strategy = ScoringStrategy::LeastAllocated;
    let mut hard_pod_affinity_weight =
        plugins::inter_pod_affinity::DEFAULT_HARD_POD_AFFINITY_WEIGHT;
    let mut spread_system_defaults = true;
    let mut fit_resources = DEFAULT_RESOURCES.to_vec();
    let mut balanced_resources = DEFAULT_RESOURCES.to_vec();
    let mut fit_ignored = plugins::node_resources_fit::IgnoredResources::default();
    let mut added_affinity = None;
    for (i, pc) in spec.plugin_config.iter().enumerate() {
        let field = format!("scheduler.pluginConfig[{i}]");
        match pc.name.as_str() {
            "NodeResourcesFit" => {
                fit_ignored = plugins::node_resources_fit::IgnoredResources::new(
                    &pc.args.ignored_resources,
                    &pc.args.ignored_resource_groups,
                    &format!("{field}.args"),
                )?;
                let Some(ss) = &pc.args.scoring_strategy else {
                    continue;
                };
                fit_resources = weighted_resources(
                    &ss.resources,
                    &format!("{field}.args.scoringStrategy.resources"),
                    &mut cluster.extended,
                )?;
                strategy = match ss.kind.as_str() {
                    "LeastAllocated" => ScoringStrategy::LeastAllocated,
                    "MostAllocated" => ScoringStrategy::MostAllocated,
                    "RequestedToCapacityRatio" => {
                        let shape_field =
                            format!("{field}.args.scoringStrategy.requestedToCapacityRatio.shape");
                        let shape = ss
                            .requested_to_capacity_ratio
                            .as_ref()
                            .map(|r| &r.shape)
                            .filter(|s| !s.is_empty())
                            .ok_or_else(|| {
                                Error::scenario(
                                    &shape_field,
                                    "RequestedToCapacityRatio needs a shape",
                                )
                            })?;
                        let mut points = Vec::new();
                        for (j, p) in shape.iter().enumerate() {
                            if !(0..=100).contains(&p.utilization) || !(0..=10).contains(&p.score) {
                                return Err(Error::scenario(
                                    format!("{shape_field}[{j}]"),
                                    "expected utilization in 0..=100 and score in 0..=10",
                                ));
                            }
                            if let Some(prev) = points.last().map(|q: &ShapePoint| q.utilization)
                                && p.utilization <= prev
                            {
                                return Err(Error::scenario(
                                    format!("{shape_field}[{j}].utilization"),
                                    "utilization values must be strictly increasing",
                                ));
                            }
                            points.push(ShapePoint {
                                utilization: p.utilization,
                                score: p.score,
                            });
                        }
                        ScoringStrategy::RequestedToCapacityRatio(points)
                    }
                    other => {
                        return Err(Error::scenario(
                            format!("{field}.args.scoringStrategy.type"),
                            format!(
                                "unknown scoring strategy {other:?}; expected LeastAllocated, \
                                 MostAllocated or RequestedToCapacityRatio"
                            ),
                        ));
                    }
                };
            }
            "NodeResourcesBalancedAllocation" => {
                balanced_resources = weighted_resources(
                    &pc.args.resources,
                    &format!("{field}.args.resources"),
                    &mut cluster.extended,
                )?;
            }
            "InterPodAffinity" => {
                if let Some(w) = pc.args.hard_pod_affinity_weight {
                    if !(0..=100).contains(&w) {
                        return Err(Error::scenario(
                            format!("{field}.args.hardPodAffinityWeight"),
                            format!("{w} out of range; expected 0..=100"),
                        ));
                    }
                    hard_pod_affinity_weight = w;
                }
            }
            "PodTopologySpread" => match pc.args.defaulting_type.as_deref() {
                None | Some("System") => spread_system_defaults = true,
                Some("List") => spread_system_defaults = false,
                Some(other) => {
                    return Err(Error::scenario(
                        format!("{field}.args.defaultingType"),
                        format!("unknown defaulting type {other:?}; expected System or List"),
                    ));
                }
            },
            "NodeAffinity" => {
                if let Some(a) = &pc.args.added_affinity {
                    added_affinity = Some(crate::scenario::scheduler_config::added_affinity(
                        a,
                        &format!("{field}.args.addedAffinity"),
                        cluster,
                    )?);
                }
            }
            // Read by `preemption::from_spec`.
            preemption::DEFAULT_PREEMPTION => {}
            other => {
                return Err(Error::scenario(
                    format!("{field}.name"),
                    format!(
                        "no configurable args for plugin {other:?}; expected NodeResourcesFit, \
                         NodeResourcesBalancedAllocation, InterPodAffinity, PodTopologySpread, \
                         NodeAffinity or DefaultPreemption"
                    ),
                ));
            }
        }
    }
    let filter_defaults: Vec<(&str, i64)> = FILTER_PLUGINS.iter().map(|n| (*n, 0)).collect();
    let filters = resolve_plugins(
        &filter_defaults,
        FILTER_PLUGINS,
        &spec.plugins.filter,
        "scheduler.plugins.filter",
    )?;
    let score_known: Vec<&str> = SCORE_PLUGINS.iter().map(|p| p.0).collect();
    let scores = resolve_plugins(
        SCORE_PLUGINS,
        &score_known,
        &spec.plugins.score,
        "scheduler.plugins.score",
    )?;
    let mut fused = fused::FusedProfile {
        node_unschedulable: None,
        taint_filter: false,
        fit_filter: false,
        fit_score: None,
        balanced_score: None,
        taint_score: None,
        node_affinity: false,
        placement: fused::PlacementPlugins::default(),
    };
    // The fused kernel knows only the pods' own node affinity.
    let mut fusable = added_affinity.is_none();
    let mut filter_plugins: Vec<Box<dyn FilterPlugin>> = Vec::new();
    for (name, _) in &filters {
        match name.as_str() {
            "NodeUnschedulable" => {
                fused.node_unschedulable = Some(NodeUnschedulable::new(cluster).taint());
            }
            "TaintToleration" => fused.taint_filter = true,
            "NodeAffinity" => fused.node_affinity = true,
            "NodeName" => fused.placement.node_name = true,
            "PodTopologySpread" => fused.placement.spread = true,
            "InterPodAffinity" => fused.placement.inter_pod_affinity = true,
            _ => fused.fit_filter = true,
        }
        filter_plugins.push(match name.as_str() {
            "NodeUnschedulable" => Box::new(NodeUnschedulable::new(cluster)),
            "NodeName" => Box::new(NodeName),
            "PodTopologySpread" => Box::new(spread_plugin(cluster, spread_system_defaults)),
            "InterPodAffinity" => Box::new(InterPodAffinity::new(hard_pod_affinity_weight)),
            "TaintToleration" => Box::new(TaintToleration::default()),
            "NodeAffinity" => Box::new(NodeAffinity::with_added(cluster, added_affinity.clone())),
            "NodeResourcesFit" => Box::new(
                NodeResourcesFit::new(strategy.clone(), fit_resources.clone())
                    .with_ignored(fit_ignored.clone()),
            ),
            _ => unreachable!("validated by resolve_plugins"),
        });
    }
    let mut scorers = Vec::new();
    for (name, weight) in &scores {
        match name.as_str() {
            "TaintToleration" => fused.taint_score = Some(*weight),
            "NodeAffinity" => fused.node_affinity = true,
            "PodTopologySpread" => {
                fused.placement.spread = true;
                fused.placement.spread_score = spread_system_defaults;
            }
            "InterPodAffinity" => fused.placement.inter_pod_affinity = true,
            "NodeResourcesFit" => match (&strategy, cpu_mem_weights(&fit_resources)) {
                (ScoringStrategy::LeastAllocated, Some((wc, wm))) => {
                    fused.fit_score = Some((*weight, true, wc, wm));
                }
                (ScoringStrategy::MostAllocated, Some((wc, wm))) => {
                    fused.fit_score = Some((*weight, false, wc, wm));
                }
                _ => fusable = false,
            },
            _ => match cpu_mem_weights(&balanced_resources) {
                Some(_) => fused.balanced_score = Some(*weight),
                None => fusable = false,
            },
        }
        let plugin: Box<dyn ScorePlugin> = match name.as_str() {
            "TaintToleration" => Box::new(TaintToleration::default()),
            "NodeAffinity" => Box::new(NodeAffinity::with_added(cluster, added_affinity.clone())),
            "NodeResourcesFit" => Box::new(NodeResourcesFit::new(
                strategy.clone(),
                fit_resources.clone(),
            )),
            "NodeResourcesBalancedAllocation" => {
                Box::new(BalancedAllocation::new(balanced_resources.clone()))
            }
            "PodTopologySpread" => Box::new(spread_plugin(cluster, spread_system_defaults)),
            "InterPodAffinity" => Box::new(InterPodAffinity::new(hard_pod_affinity_weight)),
            _ => unreachable!("validated by resolve_plugins"),
        };
        scorers.push(WeightedScorer {
            plugin,
            weight: *weight,
        });
    }
    if spec.percentage_of_nodes_to_score > 100 {
        return Err(Error::scenario(
            "scheduler.percentageOfNodesToScore",
            format!(
                "{} out of range; expected 0..=100 (0 = adaptive)",
                spec.percentage_of_nodes_to_score
            ),
        ));
    }
    let framework = Framework::new(
        DEFAULT_SCHEDULER,
        filter_plugins,
        scorers,
        spec.percentage_of_nodes_to_score,
    );
    Ok(if fusable {
        framework.with_fused(fused)
    } else {
        framework
    })
}

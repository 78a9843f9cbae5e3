//! The cluster autoscaler (kubernetes/autoscaler cluster-autoscaler; k8s-semantics.md §5).
//!
//! Node groups are the node pools with a `maxSize`. Every `scanInterval` one loop runs
//! (core/static_autoscaler.go `RunOnce`):
//! 1. Nodes requested more than `maxNodeProvisionTime` ago and still not ready are given up:
//!    removed, and their group is backed off (5 min doubling to 30 min, reset after 3 h without
//!    failure; utils/backoff).
//! 2. **Scale-up** ([`scale_up`]): the pods the scheduler parked as unschedulable are first
//!    packed onto the upcoming (provisioning) nodes; those that fit need no new node. If all
//!    the rest were created less than 2 s ago (30 s for GPU pods), the loop waits for more pods
//!    and skips scale-down. Otherwise each group that is not at its max size or backed off
//!    estimates, by first-fit-decreasing bin packing of the pods onto template nodes with the
//!    scheduler's filters (estimator/binpacking_estimator.go), how many nodes it needs; the
//!    expander ([`expander`]) picks one option and the nodes are requested. They become ready
//!    after the provisioning delay drawn for each (its own random stream). A successful
//!    scale-up ends the loop.
//! 3. **Scale-down** ([`scale_down`]): nodes of autoscaled groups whose utilization
//!    (`max(cpu, memory)` requested / allocatable; GPU only on GPU nodes) is below the
//!    threshold and whose pods can all move elsewhere are *unneeded*; unless scale-down is
//!    cooling down (10 min after a scale-up, 0 s after a deletion, 3 min after a failure), nodes
//!    unneeded for longer than `scaleDownUnneededTime` are tainted and deleted
//!    `nodeDeleteDelayAfterTaint` later: empty ones in bulk (up to `maxScaleDownParallelism`),
//!    others drained one at a time (`maxDrainParallelism`), their pods evicted so that their
//!    controllers recreate them and the scheduler places them elsewhere. Groups never shrink
//!    below `minSize`.
//!
//! Every decision is logged ([`AutoscalerEvent`], `autoscaler.csv`) with its reason. Repeated
//! identical non-decisions (a group still at its max size, a node still unremovable for the
//! same reason) are logged once, when they start.
//!
//! Simplifications (also listed in the README): pods count as unschedulable while parked in
//! the scheduling queue (pods in backoff are not seen until they fail again); parked pods are
//! not re-checked against existing nodes (the scheduler's queueing hints already retry them
//! when a node gains capacity); the ToBeDeleted taint is modelled as a cordon; pods terminate
//! at once when evicted (no graceful termination), so a drained node is deleted right after
//! the taint delay; no balancing of similar node groups, no node group auto-provisioning, no
//! resource limits (`--cores-total`, `--memory-total`), no unready-node handling; the
//! simulation time limits (`--scale-down-simulation-timeout`, binpacking duration) do not apply.

pub mod drain;
pub mod expander;
pub mod scale_down;
pub mod scale_up;

use crate::cluster::ClusterState;
use crate::cluster::catalog;
use crate::cluster::node::{NodeId, NodeState, PoolId};
use crate::cluster::resources::Resources;
use crate::engine::rng::{self, SimRng, Stream};
use crate::engine::time::SimTime;
use crate::error::{Error, Result};
use crate::scenario::spec::ScenarioSpec;
use crate::scenario::values::DurationDist;
use crate::scheduler::Scheduler;
use crate::scheduler::queue::SchedulingQueue;
use expander::{EXPANDER_NAMES, Expander, Priorities};
use regex::Regex;
use serde::Serialize;

/// Pods with a priority below this are expendable: they never trigger a scale-up
/// (`--expendable-pods-priority-cutoff`).
pub const EXPENDABLE_PODS_PRIORITY_CUTOFF: i32 = -10;
/// A loop waits for more pods while all unschedulable pods are younger than this [ms]
/// (`unschedulablePodTimeBuffer`).
pub const UNSCHEDULABLE_POD_TIME_BUFFER_MS: u64 = 2_000;
/// The same for pods requesting GPUs [ms] (`unschedulablePodWithGpuTimeBuffer`).
pub const UNSCHEDULABLE_POD_WITH_GPU_TIME_BUFFER_MS: u64 = 30_000;
/// Wait between two attempts to evict a pod whose eviction was refused [ms]
/// (`EvictionRetryTime`).
pub const EVICTION_RETRY_MS: u64 = 10_000;

/// The autoscaler's settings in milliseconds and ratios (see `ClusterAutoscalerSpec` for the
/// upstream flag of each).
#[derive(Clone, Debug)]
pub struct CaConfig {
    /// Loop period [ms].
    pub scan_interval_ms: u64,
    /// Expander chain.
    pub expanders: Vec<Expander>,
    /// Priority expander patterns, highest priority first.
    pub priorities: Priorities,
    /// Scale-down enabled.
    pub scale_down_enabled: bool,
    /// Utilization below which a node is underutilized.
    pub utilization_threshold: f64,
    /// The same for nodes with GPUs (GPU utilization).
    pub gpu_utilization_threshold: f64,
    /// How long a node must stay unneeded before it is deleted [ms].
    pub unneeded_time_ms: u64,
    /// Scale-down pause after a scale-up [ms].
    pub delay_after_add_ms: u64,
    /// Scale-down pause after a deletion started [ms].
    pub delay_after_delete_ms: u64,
    /// Scale-down pause after a failed deletion [ms].
    pub delay_after_failure_ms: u64,
    /// Longest wait for a requested node [ms].
    pub max_node_provision_time_ms: u64,
    /// Most nodes being deleted at once.
    pub max_scale_down_parallelism: usize,
    /// Most nodes being drained at once.
    pub max_drain_parallelism: usize,
    /// Delay between tainting a node and deleting (draining) it [ms].
    pub node_delete_delay_after_taint_ms: u64,
    /// How long evictions of a drain are retried [ms].
    pub max_pod_eviction_time_ms: u64,
    /// How long a node found unremovable is not re-checked [ms].
    pub unremovable_recheck_ms: u64,
    /// Pods younger than this are ignored by scale-up [ms].
    pub new_pod_scale_up_delay_ms: u64,
    /// Most nodes in the cluster (0 = unlimited).
    pub max_nodes_total: usize,
    /// Most nodes one scale-up adds.
    pub max_nodes_per_scale_up: usize,
    /// First backoff of a node group whose scale-up failed [ms].
    pub backoff_initial_ms: u64,
    /// Longest backoff [ms].
    pub backoff_max_ms: u64,
    /// A backoff resets to the initial duration after this long without failure [ms].
    pub backoff_reset_ms: u64,
    /// Time from a node request to the node being ready.
    pub provisioning_delay: DurationDist,
}

/// Exponential backoff of a node group after failed scale-ups (utils/backoff/
/// exponential_backoff.go).
#[derive(Clone, Copy, Debug, Default)]
pub struct Backoff {
    /// Length of the current backoff [ms] (0: never failed).
    pub duration_ms: u64,
    /// Backed off until this time.
    pub until: SimTime,
    /// Last failure.
    pub last_failure: SimTime,
}

impl Backoff {
    /// Records a failure at `now`: the backoff doubles (up to `max`) unless the group is still
    /// backed off, and restarts at `initial` after `reset` without failures.
    pub fn fail(&mut self, now: SimTime, initial: u64, max: u64, reset: u64) {
        let mut d = initial;
        if self.duration_ms > 0 {
            d = if self.until < now {
                (2 * self.duration_ms).min(max)
            } else {
                self.duration_ms
            };
            if self.last_failure.plus_ms(reset) < now {
                d = initial;
            }
        }
        *self = Backoff {
            duration_ms: d,
            until: now.plus_ms(d),
            last_failure: now,
        };
    }

    /// Whether the group is backed off at `now`.
    pub fn active(&self, now: SimTime) -> bool {
        self.duration_ms > 0 && self.until > now
    }
}

/// One autoscaled node group (a node pool with a max size).
#[derive(Clone, Debug)]
pub struct NodeGroup {
    /// Pool name.
    pub name: String,
    /// The pool.
    pub pool: PoolId,
    /// Smallest size.
    pub min: u32,
    /// Largest size.
    pub max: u32,
    /// Capacity of one node (cpu [millicores], memory [bytes], gpu [milli-GPUs]): the catalog
    /// machine's, or the allocatable when the pool gives no catalog type.
    pub capacity: Resources,
    /// Ready nodes (including nodes being deleted).
    pub ready: u32,
    /// Ordinal of the next node's name (`<pool>-<ordinal>`).
    pub next_ordinal: u32,
    /// Template nodes for simulations, created on demand and reused.
    templates: Vec<NodeId>,
    /// Scale-up backoff.
    pub backoff: Backoff,
}

/// A requested node that is not ready yet.
#[derive(Clone, Copy, Debug)]
struct Upcoming {
    node: NodeId,
    group: usize,
    requested: SimTime,
}

/// A node being deleted (tainted, waiting for the delete delay or for evictions).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deletion {
    /// The node.
    pub node: NodeId,
    /// Its group.
    pub group: usize,
    /// Whether its pods must be evicted (false: an empty node).
    pub drain: bool,
    /// When it was tainted.
    pub started: SimTime,
}

/// What a loop asks the engine to do.
#[derive(Debug, Default)]
pub struct ScanActions {
    /// Requested nodes and when each becomes ready.
    pub ready_at: Vec<(NodeId, SimTime)>,
    /// Tainted nodes and when each is to be deleted.
    pub delete_at: Vec<(NodeId, SimTime)>,
    /// Nodes the loop removed (timed-out provisioning); the engine closes their bills.
    pub removed: Vec<NodeId>,
}

/// One row of `autoscaler.csv`: a decision and its reason.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AutoscalerEvent {
    /// Simulated time [s].
    pub time_s: f64,
    /// `scale-up`, `scale-up-skipped`, `no-scale-up`, `node-ready`, `provision-timeout`,
    /// `unneeded`, `needed`, `unremovable`, `scale-down`, `scale-down-skipped`,
    /// `node-removed` or `scale-down-failed`.
    pub action: &'static str,
    /// Node group (empty if none).
    pub group: String,
    /// Node (empty if none).
    pub node: String,
    /// Nodes added (scale-up), pods evicted (node-removed), pods helped (no-scale-up); else 0
    /// or 1.
    pub count: u64,
    /// Why.
    pub reason: String,
}

/// The cluster autoscaler's state.
pub struct ClusterAutoscaler {
    /// Settings.
    pub config: CaConfig,
    /// Per template id: its pods are covered by a PodDisruptionBudget that allows no
    /// disruption now (set by the engine before each loop; empty without budgets).
    pub pdb_blocked_templates: Vec<bool>,
    /// Per node group: the requests of the DaemonSet pods a new node of the group would run,
    /// set by the engine before each loop; template nodes start with them
    /// (upstream adds those pods to the template NodeInfo). Empty without DaemonSets.
    pub daemon_overhead: Vec<crate::cluster::resources::Resources>,
    /// Node groups, in pool order.
    pub groups: Vec<NodeGroup>,
    /// Per pool id: its node group, if autoscaled.
    group_of_pool: Vec<Option<usize>>,
    upcoming: Vec<Upcoming>,
    deletions: Vec<Deletion>,
    delay_rng: SimRng,
    expander_rng: SimRng,
    last_scale_up: Option<SimTime>,
    last_scale_down_delete: Option<SimTime>,
    last_scale_down_fail: Option<SimTime>,
    scale_down: scale_down::ScaleDownState,
    /// Fingerprint of the inputs of the last scale-up attempt that found no option.
    fruitless_scale_up: Option<u64>,
    /// Last logged skip reason per group, and of the last no-scale-up (deduplication).
    group_skip_reason: Vec<String>,
    no_scale_up_reason: String,
    /// The decision log (`autoscaler.csv`).
    pub log: Vec<AutoscalerEvent>,
    /// Actions of the last loop, for the engine.
    pub actions: ScanActions,
}

fn err(field: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::scenario(field, msg)
}

/// Checks the `clusterAutoscaler` block and the pools' `minSize` / `maxSize`.
pub fn validate(spec: &ScenarioSpec) -> Result<()> {
    let ca = &spec.cluster_autoscaler;
    let f = "clusterAutoscaler";
    parse_expanders(&ca.expander)?;
    parse_priorities(ca)?;
    for (name, v) in [
        (
            "scaleDownUtilizationThreshold",
            ca.scale_down_utilization_threshold,
        ),
        (
            "scaleDownGpuUtilizationThreshold",
            ca.scale_down_gpu_utilization_threshold,
        ),
    ] {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            return Err(err(format!("{f}.{name}"), format!("{v} is not in [0, 1]")));
        }
    }
    if ca.scan_interval.0 == 0 {
        return Err(err(format!("{f}.scanInterval"), "must be > 0"));
    }
    if ca.max_scale_down_parallelism == 0 {
        return Err(err(format!("{f}.maxScaleDownParallelism"), "must be > 0"));
    }
    if ca.max_nodes_per_scale_up == 0 {
        return Err(err(format!("{f}.maxNodesPerScaleUp"), "must be > 0"));
    }
    if ca.provisioning_delay.is_always_zero() {
        return Err(err(
            format!("{f}.provisioningDelay"),
            "must be > 0 (a node takes time to boot and join)",
        ));
    }
    if ca.initial_node_group_backoff_duration.0 == 0
        || ca.max_node_group_backoff_duration.0 < ca.initial_node_group_backoff_duration.0
    {
        return Err(err(
            format!("{f}.maxNodeGroupBackoffDuration"),
            "backoffs must be > 0 with initial <= max",
        ));
    }
    for (i, p) in spec.node_pools.iter().enumerate() {
        let pf = format!("nodePools[{i}]");
        match (p.min_size, p.max_size) {
            (Some(_), None) => {
                return Err(err(
                    format!("{pf}.maxSize"),
                    "required with minSize (maxSize makes the pool an autoscaled node group)",
                ));
            }
            (min, Some(max)) => {
                let min = min.unwrap_or(0);
                if max == 0 || max > crate::scenario::build::MAX_NODES_PER_POOL {
                    return Err(err(
                        format!("{pf}.maxSize"),
                        format!(
                            "{max} is not in 1..={}",
                            crate::scenario::build::MAX_NODES_PER_POOL
                        ),
                    ));
                }
                if !(min <= p.count && p.count <= max) {
                    return Err(err(
                        format!("{pf}.count"),
                        format!(
                            "initial size {} must lie between minSize {min} and maxSize {max}",
                            p.count
                        ),
                    ));
                }
            }
            (None, None) => {}
        }
    }
    Ok(())
}

fn parse_expanders(text: &str) -> Result<Vec<Expander>> {
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim) {
        let e = Expander::parse(name).ok_or_else(|| {
            err(
                "clusterAutoscaler.expander",
                format!(
                    "unknown expander {name:?}; expected one of {} (or a comma-separated chain)",
                    EXPANDER_NAMES.join(", ")
                ),
            )
        })?;
        out.push(e);
    }
    Ok(out)
}

fn parse_priorities(ca: &crate::scenario::spec::ClusterAutoscalerSpec) -> Result<Priorities> {
    let mut out: Priorities = Vec::new();
    for (prio, patterns) in ca.expander_priorities.iter().rev() {
        let mut res = Vec::new();
        for (j, p) in patterns.iter().enumerate() {
            let re = Regex::new(p).map_err(|e| {
                err(
                    format!("clusterAutoscaler.expanderPriorities.{prio}[{j}]"),
                    format!("invalid regular expression {p:?}: {e}"),
                )
            })?;
            res.push(re);
        }
        out.push((*prio, res));
    }
    let uses_priority = parse_expanders(&ca.expander)?.contains(&Expander::Priority);
    if uses_priority && out.is_empty() {
        return Err(err(
            "clusterAutoscaler.expanderPriorities",
            "the priority expander needs priorities, e.g. {10: [\".*\"], 50: [\"spot-.*\"]}",
        ));
    }
    Ok(out)
}

/// Formats a duration [ms] like Go (`10m10s`, `90s`, `1h0m5s`, `250ms`).
pub fn fmt_duration(ms: u64) -> String {
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    let (h, m) = (ms / 3_600_000, ms / 60_000 % 60);
    let s = (ms % 60_000) as f64 / 1000.0;
    let s = if s.fract() == 0.0 {
        format!("{s:.0}s")
    } else {
        format!("{s}s")
    };
    match (h, m) {
        (0, 0) => s,
        (0, m) => format!("{m}m{s}"),
        (h, m) => format!("{h}h{m}m{s}"),
    }
}

impl ClusterAutoscaler {
    /// Builds the autoscaler of a scenario whose pools are already in `cluster` (pool `i` is
    /// `nodePools[i]`); `None` if it is not enabled. Validate the spec first.
    pub fn from_spec(
        spec: &ScenarioSpec,
        cluster: &ClusterState,
        seed: u64,
    ) -> Result<Option<Self>> {
        let ca = &spec.cluster_autoscaler;
        if !ca.enabled {
            return Ok(None);
        }
        let config = CaConfig {
            scan_interval_ms: ca.scan_interval.0,
            expanders: parse_expanders(&ca.expander)?,
            priorities: parse_priorities(ca)?,
            scale_down_enabled: ca.scale_down_enabled,
            utilization_threshold: ca.scale_down_utilization_threshold,
            gpu_utilization_threshold: ca.scale_down_gpu_utilization_threshold,
            unneeded_time_ms: ca.scale_down_unneeded_time.0,
            delay_after_add_ms: ca.scale_down_delay_after_add.0,
            delay_after_delete_ms: ca.scale_down_delay_after_delete.0,
            delay_after_failure_ms: ca.scale_down_delay_after_failure.0,
            max_node_provision_time_ms: ca.max_node_provision_time.0,
            max_scale_down_parallelism: ca.max_scale_down_parallelism as usize,
            max_drain_parallelism: ca.max_drain_parallelism as usize,
            node_delete_delay_after_taint_ms: ca.node_delete_delay_after_taint.0,
            max_pod_eviction_time_ms: ca.max_pod_eviction_time.0,
            unremovable_recheck_ms: ca.unremovable_node_recheck_timeout.0,
            new_pod_scale_up_delay_ms: ca.new_pod_scale_up_delay.0,
            max_nodes_total: ca.max_nodes_total as usize,
            max_nodes_per_scale_up: ca.max_nodes_per_scale_up as usize,
            backoff_initial_ms: ca.initial_node_group_backoff_duration.0,
            backoff_max_ms: ca.max_node_group_backoff_duration.0,
            backoff_reset_ms: ca.node_group_backoff_reset_timeout.0,
            provisioning_delay: ca.provisioning_delay.clone(),
        };
        let mut groups = Vec::new();
        let mut group_of_pool = vec![None; cluster.pools.len()];
        for (i, p) in spec.node_pools.iter().enumerate() {
            let Some(max) = p.max_size else { continue };
            let pool = &cluster.pools[i];
            let capacity = p
                .instance_type
                .as_deref()
                .and_then(catalog::lookup)
                .map_or(pool.allocatable, |e| e.capacity());
            group_of_pool[i] = Some(groups.len());
            groups.push(NodeGroup {
                name: p.name.clone(),
                pool: PoolId(i as u32),
                min: p.min_size.unwrap_or(0),
                max,
                capacity,
                ready: p.count,
                next_ordinal: p.count,
                templates: Vec::new(),
                backoff: Backoff::default(),
            });
        }
        Ok(Some(ClusterAutoscaler {
            group_skip_reason: vec![String::new(); groups.len()],
            config,
            pdb_blocked_templates: Vec::new(),
            daemon_overhead: Vec::new(),
            groups,
            group_of_pool,
            upcoming: Vec::new(),
            deletions: Vec::new(),
            delay_rng: rng::stream(seed, Stream::Autoscaler(0)),
            expander_rng: rng::stream(seed, Stream::Autoscaler(1)),
            last_scale_up: None,
            last_scale_down_delete: None,
            last_scale_down_fail: None,
            scale_down: scale_down::ScaleDownState::default(),
            fruitless_scale_up: None,
            no_scale_up_reason: String::new(),
            log: Vec::new(),
            actions: ScanActions::default(),
        }))
    }

    /// The node group of `node`'s pool, if autoscaled.
    pub fn group_of(&self, cluster: &ClusterState, node: NodeId) -> Option<usize> {
        let pool = cluster.nodes[node.0 as usize].pool.0 as usize;
        self.group_of_pool.get(pool).copied().flatten()
    }

    /// Target size of group `g`: ready nodes plus requested ones.
    pub fn target_size(&self, g: usize) -> u32 {
        self.groups[g].ready + self.upcoming.iter().filter(|u| u.group == g).count() as u32
    }

    /// Nodes requested and not ready yet.
    pub fn provisioning_nodes(&self) -> Vec<NodeId> {
        self.upcoming.iter().map(|u| u.node).collect()
    }

    /// Nodes requested and not ready yet in group `g`.
    pub fn provisioning_in(&self, g: usize) -> u32 {
        self.upcoming.iter().filter(|u| u.group == g).count() as u32
    }

    fn push_log(
        &mut self,
        now: SimTime,
        action: &'static str,
        group: &str,
        node: &str,
        count: u64,
        reason: String,
    ) {
        self.log.push(AutoscalerEvent {
            time_s: now.as_secs_f64(),
            action,
            group: group.to_owned(),
            node: node.to_owned(),
            count,
            reason,
        });
    }

    /// One autoscaler loop at `now` (see the module docs). Actions for the engine are left in
    /// [`ClusterAutoscaler::actions`].
    pub fn scan(
        &mut self,
        now: SimTime,
        cluster: &mut ClusterState,
        scheduler: &mut dyn Scheduler,
        queue: &SchedulingQueue,
    ) {
        self.expire_provisioning(now, cluster);
        for (g, &r) in self.daemon_overhead.iter().enumerate() {
            for &t in &self.groups[g].templates {
                cluster.set_template_requests(t, r);
            }
        }
        let outcome = self.scale_up(now, cluster, scheduler, queue);
        if outcome == scale_up::Outcome::ScaledUp {
            self.last_scale_up = Some(now);
            return;
        }
        if !self.config.scale_down_enabled {
            return;
        }
        let candidates = self.plan_scale_down(now, cluster, scheduler);
        let after = |t: Option<SimTime>, d: u64| t.is_some_and(|t| t.plus_ms(d) > now);
        let cooldown = outcome == scale_up::Outcome::AllPodsNew
            || candidates == 0
            || after(self.last_scale_up, self.config.delay_after_add_ms)
            || after(
                self.last_scale_down_fail,
                self.config.delay_after_failure_ms,
            )
            || after(
                self.last_scale_down_delete,
                self.config.delay_after_delete_ms,
            );
        if !cooldown {
            self.start_deletions(now, cluster);
        }
    }

    /// Gives up on nodes requested more than `maxNodeProvisionTime` ago: removes them and
    /// backs their group off (clusterstate: a scale-up request that timed out is a failed
    /// scale-up).
    fn expire_provisioning(&mut self, now: SimTime, cluster: &mut ClusterState) {
        let limit = self.config.max_node_provision_time_ms;
        let mut k = 0;
        while k < self.upcoming.len() {
            let u = self.upcoming[k];
            if u.requested.plus_ms(limit) >= now {
                k += 1;
                continue;
            }
            self.upcoming.remove(k);
            cluster.remove_node(u.node, now);
            self.actions.removed.push(u.node);
            let c = &self.config;
            let (initial, max, reset) =
                (c.backoff_initial_ms, c.backoff_max_ms, c.backoff_reset_ms);
            let g = &mut self.groups[u.group];
            g.backoff.fail(now, initial, max, reset);
            let reason = format!(
                "not ready {} after the request; group backed off for {}",
                fmt_duration(now.since(u.requested)),
                fmt_duration(g.backoff.duration_ms)
            );
            let (group, node) = (
                g.name.clone(),
                cluster.nodes[u.node.0 as usize].name.clone(),
            );
            self.push_log(now, "provision-timeout", &group, &node, 1, reason);
        }
    }

    /// A requested node became ready at `now` (the engine has called
    /// `ClusterState::node_ready`). Returns false if the node was not awaited.
    pub fn on_node_ready(&mut self, node: NodeId, now: SimTime, cluster: &ClusterState) -> bool {
        let Some(k) = self.upcoming.iter().position(|u| u.node == node) else {
            return false;
        };
        let u = self.upcoming.remove(k);
        self.groups[u.group].ready += 1;
        let reason = format!(
            "ready {} after the request",
            fmt_duration(now.since(u.requested))
        );
        let group = self.groups[u.group].name.clone();
        let name = cluster.nodes[node.0 as usize].name.clone();
        self.push_log(now, "node-ready", &group, &name, 1, reason);
        true
    }

    /// The pending deletion of `node`, if any.
    pub fn deletion(&self, node: NodeId) -> Option<Deletion> {
        self.deletions.iter().copied().find(|d| d.node == node)
    }

    /// The node of a deletion was removed at `now` after evicting `evicted` pods (the engine
    /// has called `ClusterState::remove_node`).
    pub fn on_node_removed(
        &mut self,
        node: NodeId,
        now: SimTime,
        evicted: u64,
        cluster: &ClusterState,
    ) {
        let Some(k) = self.deletions.iter().position(|d| d.node == node) else {
            return;
        };
        let d = self.deletions.remove(k);
        self.groups[d.group].ready -= 1;
        self.scale_down.forget(node);
        let reason = if d.drain {
            format!("drained: {evicted} pods evicted")
        } else {
            "empty".to_owned()
        };
        let group = self.groups[d.group].name.clone();
        let name = cluster.nodes[node.0 as usize].name.clone();
        self.push_log(now, "node-removed", &group, &name, evicted, reason);
    }

    /// The deletion of `node` failed at `now`: the node is untainted (uncordoned) and
    /// scale-down pauses for `scaleDownDelayAfterFailure`.
    pub fn on_deletion_failed(
        &mut self,
        node: NodeId,
        now: SimTime,
        cluster: &mut ClusterState,
        reason: String,
    ) {
        let Some(k) = self.deletions.iter().position(|d| d.node == node) else {
            return;
        };
        let d = self.deletions.remove(k);
        if cluster.nodes[node.0 as usize].state == NodeState::Ready {
            cluster.set_unschedulable(node, false);
        }
        self.last_scale_down_fail = Some(now);
        let group = self.groups[d.group].name.clone();
        let name = cluster.nodes[node.0 as usize].name.clone();
        self.push_log(now, "scale-down-failed", &group, &name, 1, reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_resets() {
        let (i, m, r) = (300_000, 1_800_000, 10_800_000);
        let mut b = Backoff::default();
        assert!(!b.active(SimTime(0)));
        b.fail(SimTime(0), i, m, r);
        assert_eq!((b.duration_ms, b.until), (i, SimTime(i)));
        assert!(b.active(SimTime(i - 1)) && !b.active(SimTime(i)));
        b.fail(SimTime(400_000), i, m, r);
        assert_eq!(b.duration_ms, 600_000, "doubles after the backoff ended");
        b.fail(SimTime(500_000), i, m, r);
        assert_eq!(b.duration_ms, 600_000, "no doubling while still backed off");
        for k in 0..5 {
            b.fail(SimTime(10_000_000 + k * 3_000_000), i, m, r);
        }
        assert_eq!(b.duration_ms, m, "capped at the max");
        b.fail(SimTime(100_000_000), i, m, r);
        assert_eq!(b.duration_ms, i, "reset after 3 h without failure");
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(fmt_duration(610_000), "10m10s");
        assert_eq!(fmt_duration(90_000), "1m30s");
        assert_eq!(fmt_duration(5_000), "5s");
        assert_eq!(fmt_duration(3_605_000), "1h0m5s");
        assert_eq!(fmt_duration(93_250), "1m33.25s");
        assert_eq!(fmt_duration(250), "250ms");
    }
}

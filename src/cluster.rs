//! Cluster state: nodes, pods and the aggregate totals the metrics integrate.
//!
//! Entities live in `Vec`s indexed by small ids; names are kept for output only. Every
//! mutation goes through a method here so that per-node `requested`/`usage` and the
//! cluster-wide [`Totals`] stay consistent without rescanning.

pub mod affinity;
pub mod catalog;
pub mod extended;
pub mod fragmentation;
pub mod labels;
pub mod node;
pub mod node_changes;
pub mod pod;
pub mod pod_affinity;
pub mod pod_requests;
pub mod quantity;
pub mod readiness;
pub mod resources;
pub mod topology;
pub mod what_if;

use crate::engine::time::SimTime;
use labels::{Interner, Labels};
use node::{Node, NodeId, NodePool, NodeState, PoolId};
use node_changes::NodeChangeLog;
use pod::{
    DisruptionReason, Lifetime, Limits, Owner, Pod, PodId, PodName, PodPhase, PodTemplate,
    TemplateId, non_zero_requests, qos_class,
};
use resources::Resources;

/// Cluster-wide aggregates, maintained incrementally.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    /// Sum of allocatable over live nodes.
    pub allocatable: Resources,
    /// Sum of requests of bound pods.
    pub requested: Resources,
    /// Sum of usage of running pods.
    pub usage: Resources,
    /// Number of live nodes.
    pub nodes: u64,
    /// Number of live nodes with at least one bound pod (what a perfect consolidation could
    /// not remove).
    pub nodes_in_use: u64,
    /// Number of running pods.
    pub running_pods: u64,
    /// Number of pods waiting to be scheduled.
    pub pending_pods: u64,
    /// Sum of the hourly prices of live nodes [micro-USD/h] (integer, so cost integrates
    /// exactly).
    pub cost_rate_micro_usd_per_hour: u64,
    /// Sum of the hourly prices of nodes with at least one pod [micro-USD/h].
    pub in_use_cost_rate_micro_usd_per_hour: u64,
    /// Stranded capacity: free resources (cpu [millicores], memory [bytes], gpu [milli-GPUs],
    /// pod slots) of the schedulable nodes on which the fragmentation probe does not fit
    /// (see [`fragmentation`]).
    pub stranded: Resources,
}

/// A price [USD/h] as integer micro-USD/h (rounded to the nearest micro-dollar).
pub fn price_micro_usd(usd_per_hour: f64) -> u64 {
    (usd_per_hour * 1e6).round() as u64
}

/// What a new pod looks like (used by every workload controller and source).
#[derive(Clone, Copy, Debug)]
pub struct NewPod {
    /// Name to render.
    pub name: PodName,
    /// Resource requests (the pod slot is added automatically).
    pub requests: Resources,
    /// Limits.
    pub limits: Limits,
    /// Usage while running.
    pub usage: Resources,
    /// Priority value.
    pub priority: i32,
    /// Shared labels/tolerations.
    pub template: TemplateId,
    /// Creator.
    pub owner: Owner,
    /// When the pod ends on its own.
    pub lifetime: Lifetime,
}

impl NewPod {
    /// A bare pod with `requests` only: no limits, no usage, priority 0, owned by source 0, no
    /// end of its own (handy in tests, benches and tools).
    pub fn bare(name: PodName, requests: Resources, template: TemplateId) -> NewPod {
        NewPod {
            name,
            requests,
            limits: Limits::default(),
            usage: Resources::ZERO,
            priority: 0,
            template,
            owner: Owner::Source(0),
            lifetime: Lifetime::Forever,
        }
    }
}

/// The simulated cluster.
#[derive(Debug, Default)]
pub struct ClusterState {
    /// Node pools.
    pub pools: Vec<NodePool>,
    /// Named extended resources: their names, per-node allocatable and requested amounts, and
    /// the pod templates' request sets.
    pub extended: extended::ExtendedResources,
    /// All nodes ever created (removed ones stay, with state `Removed`).
    pub nodes: Vec<Node>,
    /// Ids of the live nodes in the order they became ready (the scheduler's node list, which
    /// it scans round-robin). A node joins at the end; a removal keeps the others' order.
    pub live_nodes: Vec<NodeId>,
    /// Bumped whenever a node leaves `live_nodes` (the positions after it shift): results kept
    /// per position in `live_nodes` stay valid while it is unchanged, appends included.
    pub live_layout: u64,
    /// Per node id: a counter bumped by every change to what the scheduler reads of the node
    /// (requested resources, pod count, cordon). Lets schedulers cache per-node results;
    /// therefore change nodes only through `ClusterState` methods, which bump it with
    /// `touch_node` (never write it directly: `node_changes` must record every bump).
    pub node_versions: Vec<u64>,
    /// The nodes whose version was bumped (or that were added), most recent last: lets
    /// schedulers revisit only changed nodes. Written only by `touch_node` and `add_node`.
    pub node_changes: NodeChangeLog,
    /// The sum of `node_versions`: grows with every change to any node, so an unchanged sum
    /// means no node changed (what-if reverts restore it too).
    node_version_sum: u64,
    /// Pod records. The slot of a terminated pod is reused by a later pod (its generation keeps
    /// increasing, so stale timers are ignored) unless `keep_terminated_pods` is set, so memory
    /// stays proportional to the pods alive at once, not to the length of the trace.
    pub pods: Vec<Pod>,
    /// Keep every pod record instead of reusing terminated pods' slots (for inspection in tests
    /// and tools; costs memory on long traces).
    pub keep_terminated_pods: bool,
    /// Slots of terminated pods available for reuse (LIFO, deterministic).
    free_pod_slots: Vec<PodId>,
    /// Pods created so far (the next creation sequence number).
    pods_created: u64,
    /// Bumped whenever capacity may have grown for a waiting pod: a bound pod terminated, a node
    /// joined, a node was uncordoned. A pod that failed at the current epoch cannot fit yet.
    pub capacity_epoch: u64,
    /// Shared pod templates.
    pub templates: Vec<PodTemplate>,
    /// Pod name prefixes (see [`PodName`]).
    pub name_prefixes: Vec<String>,
    /// Interned label/taint strings.
    pub interner: Interner,
    /// Cluster-wide aggregates.
    pub totals: Totals,
    /// Bound pods per topology domain, for inter-pod affinity and topology spread.
    pub topology: topology::TopologyIndex,
    /// Templates whose pods carry inter-pod (anti-)affinity terms.
    pub templates_with_pod_affinity: Vec<TemplateId>,
    /// Fragmentation probe and per-node stranded contributions (behind `totals.stranded`).
    fragmentation: fragmentation::Fragmentation,
    /// Pending what-if changes, newest last (see [`what_if`]).
    what_if: Vec<what_if::Change>,
    /// Number of nodes whose `MemoryPressure` condition is set.
    pub memory_pressure_nodes: u32,
}

/// The well-known node label of the node name (`v1.LabelHostname`).
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// The well-known node label of the zone (`v1.LabelTopologyZone`).
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
/// The taint key of a node under memory pressure (`v1.TaintNodeMemoryPressure`).
pub const TAINT_MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";

impl ClusterState {
    /// Adds a pool definition and returns its id.
    pub fn add_pool(&mut self, pool: NodePool) -> PoolId {
        self.pools.push(pool);
        PoolId(self.pools.len() as u32 - 1)
    }

    /// Adds a pod template and returns its id.
    pub fn add_template(&mut self, template: PodTemplate) -> TemplateId {
        let id = TemplateId(self.templates.len() as u32);
        let has_terms = !template.pod_affinity.is_empty();
        if has_terms {
            self.templates_with_pod_affinity.push(id);
        }
        self.topology
            .on_add_template(id, &template.labels, has_terms);
        self.templates.push(template);
        id
    }

    /// Starts counting pods per domain for `keys` and for the templates `selectors` match
    /// (see [`topology::TopologyIndex`]); existing bound pods are recounted.
    pub fn register_topology(
        &mut self,
        keys: &[labels::Symbol],
        selectors: &[pod_affinity::LabelSelector],
    ) {
        let host = self.interner.intern(LABEL_HOSTNAME);
        self.topology.set_hostname_key(host);
        for &k in keys {
            let pools = &self.pools;
            self.topology.track_key(
                k,
                self.nodes.iter().map(|n| &pools[n.pool.0 as usize].labels),
            );
        }
        let labels: Vec<Labels> = self.templates.iter().map(|t| t.labels.clone()).collect();
        for s in selectors {
            self.topology.register_selector(s, &labels);
        }
        self.topology.clear_counts();
        for p in &self.pods {
            if let (Some(node), false) = (p.node, p.is_terminated()) {
                self.topology.on_pod(p.template, node, true);
            }
        }
    }

    /// True when some bound pod carries inter-pod (anti-)affinity terms (they constrain every
    /// incoming pod).
    pub fn bound_pods_have_pod_affinity(&self) -> bool {
        self.templates_with_pod_affinity
            .iter()
            .any(|&t| self.topology.total(t) > 0)
    }

    /// Adds a pod-name prefix and returns its index.
    pub fn add_name_prefix(&mut self, prefix: impl Into<String>) -> u32 {
        self.name_prefixes.push(prefix.into());
        self.name_prefixes.len() as u32 - 1
    }

    /// Creates a ready node of `pool` at `now`, optionally with its own name and allocatable
    /// ([`ClusterState::add_provisioning_node`] and [`ClusterState::node_ready`] at once).
    pub fn add_node(
        &mut self,
        pool: PoolId,
        name: String,
        allocatable: Option<Resources>,
        now: SimTime,
    ) -> NodeId {
        let id = self.add_provisioning_node(pool, name, allocatable, now);
        self.node_ready(id, now);
        id
    }

    // --- Node lifecycle: provisioning, ready, removal, template nodes (cluster autoscaler,
    // later node failures). Every per-node index (topology, fragmentation, versions) gets its
    // entry when the node record is created; `live_nodes` and the totals change with the state.

    /// Creates a node of `pool` requested from the cloud at `now` and still booting: it is
    /// billed from now on (its price enters `totals.cost_rate_micro_usd_per_hour`) but is not
    /// in `live_nodes` and adds no allocatable until [`ClusterState::node_ready`].
    pub fn add_provisioning_node(
        &mut self,
        pool: PoolId,
        name: String,
        allocatable: Option<Resources>,
        now: SimTime,
    ) -> NodeId {
        let price = price_micro_usd(self.pools[pool.0 as usize].hourly_price_usd);
        let id = self.push_node(pool, name, allocatable, NodeState::Provisioning, now);
        self.totals.cost_rate_micro_usd_per_hour += price;
        id
    }

    /// Registers a provisioning node as ready at `now`: it joins `live_nodes` (the scheduler's
    /// node list), its allocatable and count enter the totals, its version and the capacity
    /// epoch are bumped (parked pods may fit it now).
    pub fn node_ready(&mut self, node: NodeId, _now: SimTime) {
        let i = node.0 as usize;
        debug_assert_eq!(self.nodes[i].state, NodeState::Provisioning);
        if self.nodes[i].state != NodeState::Provisioning {
            return;
        }
        self.nodes[i].state = NodeState::Ready;
        self.totals.allocatable += self.nodes[i].allocatable;
        self.totals.nodes += 1;
        self.live_nodes.push(node);
        self.touch_node(NodeId(i as u32));
        self.capacity_epoch += 1;
        self.update_stranded(node);
    }

    /// Removes a ready or provisioning node at `now`: it leaves `live_nodes`, its allocatable,
    /// count and price leave the totals, its stranded contribution drops to zero and its
    /// version is bumped. The record stays (state `Removed`, `removed = now`) for billing and
    /// outputs; its topology domain stays registered with zero pods.
    ///
    /// Contract: the node holds no pod. Its pods must have been terminated first (evicted
    /// through the engine, so that their owners replace them); this is checked in debug
    /// builds. Removing a node that is not ready or provisioning does nothing.
    pub fn remove_node(&mut self, node: NodeId, now: SimTime) {
        let i = node.0 as usize;
        debug_assert!(
            self.nodes[i].pods.is_empty(),
            "node {} still holds pods; evict them before removing it",
            self.nodes[i].name
        );
        let price = price_micro_usd(self.pools[self.nodes[i].pool.0 as usize].hourly_price_usd);
        match self.nodes[i].state {
            NodeState::Ready => {
                if let Some(pos) = self.live_nodes.iter().position(|&n| n == node) {
                    self.live_nodes.remove(pos);
                    self.live_layout += 1;
                }
                self.totals.allocatable -= self.nodes[i].allocatable;
                self.totals.nodes -= 1;
            }
            NodeState::Provisioning => {}
            NodeState::Removed | NodeState::Template => return,
        }
        self.totals.cost_rate_micro_usd_per_hour -= price;
        self.nodes[i].state = NodeState::Removed;
        self.nodes[i].removed = now;
        self.touch_node(NodeId(i as u32));
        self.update_stranded(node);
    }

    /// Creates a template node of `pool`: an empty node with the pool's allocatable, labels and
    /// taints that only the cluster autoscaler's what-if simulations show to the scheduler's
    /// filters (see [`what_if`]). It is never ready, billed or counted.
    pub fn add_template_node(&mut self, pool: PoolId, name: String) -> NodeId {
        self.push_node(pool, name, None, NodeState::Template, SimTime::ZERO)
    }

    /// Sets the requests a template node holds when no simulation uses it: the DaemonSet pods
    /// a new node of its group would run (the cluster autoscaler's template NodeInfo). Only
    /// the filters read template nodes, so the scoring sums are left alone.
    pub fn set_template_requests(&mut self, node: NodeId, requests: Resources) {
        let n = &mut self.nodes[node.0 as usize];
        if n.state != NodeState::Template || n.requested == requests {
            return;
        }
        n.requested = requests;
        self.touch_node(node);
    }

    /// Appends a node record in `state` and gives it its entry in every per-node index.
    fn push_node(
        &mut self,
        pool: PoolId,
        name: String,
        allocatable: Option<Resources>,
        state: NodeState,
        now: SimTime,
    ) -> NodeId {
        let p = &self.pools[pool.0 as usize];
        let allocatable = allocatable.unwrap_or(p.allocatable);
        let id = NodeId(self.nodes.len() as u32);
        let hostname = self.interner.intern(&name);
        self.topology.on_add_node(id, &p.labels);
        self.extended.on_add_node(id, pool);
        let price_micro_usd_per_hour = price_micro_usd(p.hourly_price_usd);
        self.nodes.push(Node {
            name,
            pool,
            price_micro_usd_per_hour,
            allocatable,
            requested: Resources::ZERO,
            non_zero_cpu_milli: 0,
            non_zero_memory_bytes: 0,
            usage: Resources::ZERO,
            unschedulable: false,
            memory_pressure: false,
            down: false,
            tainted: false,
            state,
            created: now,
            removed: SimTime::NEVER,
            pods: Vec::new(),
            hostname,
            id,
            taints: Vec::new(),
        });
        self.node_versions.push(1);
        self.node_version_sum += 1;
        self.node_changes.record(id);
        self.update_stranded(id);
        id
    }

    /// The sum of all node versions: unchanged iff no node changed (see `node_versions`).
    pub fn node_version_sum(&self) -> u64 {
        self.node_version_sum
    }

    /// Sets a node's version back to `version` (what-if reverts only).
    pub(crate) fn restore_version(&mut self, node: NodeId, version: u64) {
        let i = node.0 as usize;
        self.node_version_sum = self.node_version_sum - self.node_versions[i] + version;
        self.node_versions[i] = version;
    }

    /// Creates a pending pod at `now`.
    pub fn create_pod(&mut self, new: NewPod, now: SimTime) -> PodId {
        let mut requests = new.requests;
        requests.pods = 1;
        let t = &self.templates[new.template.0 as usize];
        let non_zero = match t.non_zero_requests {
            Some(nz) => nz,
            None => non_zero_requests(&requests),
        };
        let qos = match t.qos {
            Some(q) => q,
            None => qos_class(&requests, &new.limits),
        };
        let pod = Pod {
            name: new.name,
            requests,
            limits: new.limits,
            usage: new.usage,
            metrics_sample: None,
            priority: new.priority,
            qos,
            non_zero,
            extended: t.extended,
            template: new.template,
            owner: new.owner,
            phase: PodPhase::Pending,
            node: None,
            created: now,
            scheduled: SimTime::NEVER,
            finished: SimTime::NEVER,
            lifetime: new.lifetime,
            generation: 0,
            failed_attempts: 0,
            seq: self.pods_created,
            nominated_node: None,
            deletion_started: SimTime::NEVER,
            disruption: None,
            ready_since: SimTime::NEVER,
            not_ready_since: SimTime::NEVER,
            restarts: 0,
        };
        self.pods_created += 1;
        self.totals.pending_pods += 1;
        // DaemonSet pods (one per node) are node overhead, not the workload's typical pod.
        if !matches!(pod.owner, pod::Owner::DaemonSet(_)) {
            self.observe_pod_for_probe(&requests);
        }
        match self.free_pod_slots.pop() {
            Some(id) => {
                let slot = &mut self.pods[id.0 as usize];
                let generation = slot.generation.wrapping_add(1);
                *slot = Pod { generation, ..pod };
                id
            }
            None => {
                self.pods.push(pod);
                PodId(self.pods.len() as u32 - 1)
            }
        }
    }

    /// Binds a pending pod to a node and starts it: it is Running and Ready from `now`. (The
    /// engine's kubelet model then delays container start and readiness for pods whose
    /// template has a start-up latency, see [`crate::disruption::kubelet`].)
    pub fn bind(&mut self, pod_id: PodId, node_id: NodeId, now: SimTime) {
        let pod = &mut self.pods[pod_id.0 as usize];
        debug_assert_eq!(pod.phase, PodPhase::Pending);
        debug_assert!(pod.node.is_none());
        pod.phase = PodPhase::Running;
        pod.node = Some(node_id);
        pod.scheduled = now;
        pod.ready_since = now;
        self.attach(pod_id, node_id);
        self.totals.pending_pods -= 1;
        self.totals.running_pods += 1;
    }

    /// Adds a pod's requests and usage to `node_id` and the totals: the one place where a pod
    /// starts counting on a node (binding, and restoring a pod after a what-if removal).
    pub(crate) fn attach(&mut self, pod_id: PodId, node_id: NodeId) {
        let pod = &self.pods[pod_id.0 as usize];
        let (nz_cpu, nz_mem) = pod.non_zero_requests();
        let (req, usage) = (pod.requests, pod.usage);
        let node = &mut self.nodes[node_id.0 as usize];
        node.requested += req;
        node.usage += usage;
        node.non_zero_cpu_milli += nz_cpu;
        node.non_zero_memory_bytes += nz_mem;
        node.pods.push(pod_id);
        self.topology.on_pod(pod.template, node_id, true);
        let set = pod.extended;
        if !set.is_none() {
            self.extended.account(set, node_id, true);
        }
        if node.pods.len() == 1 {
            let price = node.price_micro_usd_per_hour;
            self.totals.nodes_in_use += 1;
            self.totals.in_use_cost_rate_micro_usd_per_hour += price;
        }
        self.touch_node(node_id);
        self.totals.requested += req;
        self.totals.usage += usage;
        self.update_stranded(node_id);
    }

    /// Removes a pod's requests and usage from `node_id` and the totals (the inverse of
    /// [`ClusterState::attach`]).
    pub(crate) fn detach(&mut self, pod_id: PodId, node_id: NodeId) {
        let pod = &self.pods[pod_id.0 as usize];
        let (nz_cpu, nz_mem) = pod.non_zero_requests();
        let (req, usage) = (pod.requests, pod.usage);
        let node = &mut self.nodes[node_id.0 as usize];
        node.requested -= req;
        node.usage -= usage;
        node.non_zero_cpu_milli -= nz_cpu;
        node.non_zero_memory_bytes -= nz_mem;
        let set = pod.extended;
        if !set.is_none() {
            self.extended.account(set, node_id, false);
        }
        if let Some(pos) = node.pods.iter().rposition(|&p| p == pod_id) {
            node.pods.swap_remove(pos);
            self.topology.on_pod(pod.template, node_id, false);
            self.capacity_epoch += 1;
            if node.pods.is_empty() {
                let price = node.price_micro_usd_per_hour;
                self.totals.nodes_in_use -= 1;
                self.totals.in_use_cost_rate_micro_usd_per_hour -= price;
            }
        }
        self.touch_node(node_id);
        self.totals.requested -= req;
        self.totals.usage -= usage;
        self.update_stranded(node_id);
    }

    /// Terminates a pod with `phase` (Succeeded or Failed) at `now`, releasing its node's
    /// resources. Returns the node it was on. Pending pods are simply removed from the count.
    pub fn terminate(&mut self, pod_id: PodId, phase: PodPhase, now: SimTime) -> Option<NodeId> {
        debug_assert!(matches!(phase, PodPhase::Succeeded | PodPhase::Failed));
        let pod = &mut self.pods[pod_id.0 as usize];
        let was = pod.phase;
        debug_assert!(!pod.is_terminated());
        pod.phase = phase;
        pod.finished = now;
        pod.generation = pod.generation.wrapping_add(1);
        let node_id = pod.node;
        if !self.keep_terminated_pods {
            self.free_pod_slots.push(pod_id);
        }
        if was == PodPhase::Pending && node_id.is_none() {
            self.totals.pending_pods -= 1;
            return None;
        }
        let node_id = node_id?;
        self.detach(pod_id, node_id);
        self.totals.running_pods -= 1;
        Some(node_id)
    }

    /// Sets a pod's current usage (cpu [millicores], memory [bytes]), keeping its node's and
    /// the cluster's usage sums in step. Usage is not read by the scheduler, so node versions
    /// do not change.
    pub fn set_pod_usage(&mut self, pod_id: PodId, usage: Resources) {
        let pod = &mut self.pods[pod_id.0 as usize];
        let old = pod.usage;
        pod.usage = usage;
        if let (Some(node), PodPhase::Running) = (pod.node, pod.phase) {
            let n = &mut self.nodes[node.0 as usize];
            n.usage -= old;
            n.usage += usage;
            self.totals.usage -= old;
            self.totals.usage += usage;
        }
    }

    /// [`ClusterState::set_pod_usage`] with the same usage for every pod of `pods` (a service
    /// whose pods share the load evenly); the cluster's sum is updated once.
    pub fn set_pods_usage(&mut self, pods: &[PodId], usage: Resources) {
        let (mut released, mut running) = (Resources::ZERO, 0u64);
        for &pod_id in pods {
            let pod = &mut self.pods[pod_id.0 as usize];
            let old = std::mem::replace(&mut pod.usage, usage);
            if let (Some(node), PodPhase::Running) = (pod.node, pod.phase) {
                let n = &mut self.nodes[node.0 as usize];
                n.usage -= old;
                n.usage += usage;
                released += old;
                running += 1;
            }
        }
        self.totals.usage -= released;
        self.totals.usage += Resources {
            cpu_milli: usage.cpu_milli * running,
            memory_bytes: usage.memory_bytes * running,
            gpu_milli: usage.gpu_milli * running,
            pods: usage.pods * running,
        };
    }

    /// Starts the graceful deletion of a bound pod at `now` (sets `deletionTimestamp` and the
    /// disruption reason). The pod keeps its node and resources until it is terminated; its
    /// generation is bumped so that its own timers (run end, trace deletion) no longer fire.
    /// Returns the new generation, for the timer that ends the grace period.
    pub fn begin_deletion(&mut self, pod_id: PodId, now: SimTime, reason: DisruptionReason) -> u32 {
        let pod = &mut self.pods[pod_id.0 as usize];
        debug_assert!(!pod.is_terminated());
        pod.deletion_started = now;
        pod.disruption = Some(reason);
        pod.generation = pod.generation.wrapping_add(1);
        pod.generation
    }

    /// Sets or clears a node's `MemoryPressure` condition, which carries the
    /// `node.kubernetes.io/memory-pressure:NoSchedule` taint for scheduling (see
    /// [`ClusterState::tolerates_memory_pressure`]). Clearing it may let waiting pods fit.
    pub fn set_memory_pressure(&mut self, node: NodeId, pressure: bool) {
        let n = &mut self.nodes[node.0 as usize];
        if n.memory_pressure == pressure {
            return;
        }
        n.memory_pressure = pressure;
        if pressure {
            self.memory_pressure_nodes += 1;
        } else {
            self.memory_pressure_nodes -= 1;
        }
        self.touch_node(node);
        if !pressure {
            self.capacity_epoch += 1;
        }
    }

    /// Whether `tolerations` tolerate the `node.kubernetes.io/memory-pressure:NoSchedule` taint
    /// of a node under memory pressure (`v1.TaintNodeMemoryPressure`). Answers `false` at
    /// once while no node is under pressure (the answer cannot matter then), so the scheduler
    /// pays nothing for it in the common case.
    pub fn tolerates_memory_pressure(&self, tolerations: &[labels::Toleration]) -> bool {
        if tolerations.is_empty() || self.memory_pressure_nodes == 0 {
            return false;
        }
        // A key or value nobody interned cannot be named by a toleration: only wildcard
        // tolerations (empty key, Exists) can match then.
        let unknown = labels::Symbol(u32::MAX);
        let taint = labels::Taint {
            key: self.interner.get(TAINT_MEMORY_PRESSURE).unwrap_or(unknown),
            value: self.interner.get("").unwrap_or(unknown),
            effect: labels::TaintEffect::NoSchedule,
        };
        labels::tolerated(tolerations, &taint)
    }

    /// Bumps a pod's generation so that its pending timers (run end, trace deletion, grace
    /// period end) no longer fire; returns the new generation. Used when a pod's progress
    /// stops (its node went down).
    pub fn invalidate_pod_timers(&mut self, pod_id: PodId) -> u32 {
        let pod = &mut self.pods[pod_id.0 as usize];
        pod.generation = pod.generation.wrapping_add(1);
        pod.generation
    }

    /// Cordons (`true`) or uncordons a node (`spec.unschedulable`).
    pub fn set_unschedulable(&mut self, node: NodeId, unschedulable: bool) {
        self.nodes[node.0 as usize].unschedulable = unschedulable;
        self.touch_node(node);
        if !unschedulable {
            self.capacity_epoch += 1;
        }
        self.update_stranded(node);
    }

    /// Records that what the scheduler reads of `node` changed: bumps its version and logs it.
    /// Every method that changes a node calls this; so must any code that changes a `Node` field
    /// the scheduler reads without going through those methods.
    #[inline]
    pub fn touch_node(&mut self, node: NodeId) {
        self.node_versions[node.0 as usize] += 1;
        self.node_version_sum += 1;
        // What-if changes are all reverted, versions included, before any decision runs (see
        // `what_if`), so readers of the log have nothing to catch up on.
        if self.what_if.is_empty() {
            self.node_changes.record(node);
        }
    }

    // --- Node health and the node lifecycle controller's taints (disruption::node_lifecycle).

    /// Marks a node's machine down or up (`down`). Only readiness reads it (see
    /// [`readiness::pod_is_ready`]), so the node's version does not change.
    pub fn set_node_down(&mut self, node: NodeId, down: bool) {
        self.nodes[node.0 as usize].down = down;
    }

    /// Adds `taint` to the node's own taints (no-op if an equal key and effect is present);
    /// returns whether it was added. NoSchedule and NoExecute effects only.
    pub fn add_node_taint(&mut self, node: NodeId, taint: labels::Taint) -> bool {
        debug_assert!(taint.effect != labels::TaintEffect::PreferNoSchedule);
        let n = &mut self.nodes[node.0 as usize];
        if n.taints
            .iter()
            .any(|t| t.key == taint.key && t.effect == taint.effect)
        {
            return false;
        }
        n.taints.push(taint);
        n.tainted = true;
        self.touch_node(node);
        self.update_stranded(node);
        true
    }

    /// Removes the node's own taint with `key` and `effect`; returns whether it was there.
    /// Capacity may have grown for parked pods, so the capacity epoch is bumped.
    pub fn remove_node_taint(
        &mut self,
        node: NodeId,
        key: labels::Symbol,
        effect: labels::TaintEffect,
    ) -> bool {
        let n = &mut self.nodes[node.0 as usize];
        let Some(i) = n
            .taints
            .iter()
            .position(|t| t.key == key && t.effect == effect)
        else {
            return false;
        };
        n.taints.remove(i);
        n.tainted = !n.taints.is_empty();
        self.touch_node(node);
        self.capacity_epoch += 1;
        self.update_stranded(node);
        true
    }

    /// The rendered name of a pod.
    pub fn pod_name(&self, pod: PodId) -> String {
        let n = self.pods[pod.0 as usize].name;
        if n.width == pod::UNNUMBERED {
            return self.name_prefixes[n.prefix as usize].clone();
        }
        format!(
            "{}{:0width$}",
            self.name_prefixes[n.prefix as usize],
            n.ordinal,
            width = n.width as usize
        )
    }

    /// The pool of a node.
    #[inline]
    pub fn pool_of(&self, node: NodeId) -> &NodePool {
        &self.pools[self.nodes[node.0 as usize].pool.0 as usize]
    }

    /// The labels of a node's pool.
    pub fn node_labels(&self, node: NodeId) -> &Labels {
        &self.pool_of(node).labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> NodePool {
        NodePool {
            hourly_price_usd: 0.5,
            ..NodePool::for_tests(Resources {
                cpu_milli: 4000,
                memory_bytes: 8 << 30,
                gpu_milli: 0,
                pods: 110,
            })
        }
    }

    #[test]
    fn node_lifecycle_keeps_totals_and_indexes_consistent() {
        let mut c = ClusterState::default();
        let p = c.add_pool(pool());
        c.set_fragmentation_probe(Some(Resources::cpu_mem(8000, 0)));
        let a = c.add_node(p, "a".into(), None, SimTime::ZERO);
        let epoch = c.capacity_epoch;
        // Requested: billed, not schedulable, no allocatable.
        let b = c.add_provisioning_node(p, "b".into(), None, SimTime(1000));
        assert_eq!(c.live_nodes, vec![a]);
        assert_eq!((c.totals.nodes, c.totals.allocatable.cpu_milli), (1, 4000));
        assert_eq!(c.totals.cost_rate_micro_usd_per_hour, 1_000_000);
        assert_eq!(
            c.totals.stranded.cpu_milli, 4000,
            "only the ready node strands"
        );
        assert!(!c.nodes[b.0 as usize].is_alive());
        // Ready: joins the scheduler's list and the totals; parked pods may retry.
        c.node_ready(b, SimTime(91_000));
        assert_eq!(c.live_nodes, vec![a, b]);
        assert_eq!((c.totals.nodes, c.totals.allocatable.cpu_milli), (2, 8000));
        assert_eq!(c.totals.stranded.cpu_milli, 8000);
        assert_eq!(c.capacity_epoch, epoch + 1);
        // Removed: out of everything but the record.
        let (version, sum) = (c.node_versions[a.0 as usize], c.node_version_sum());
        c.remove_node(a, SimTime(100_000));
        assert_eq!(c.live_nodes, vec![b]);
        assert_eq!((c.totals.nodes, c.totals.allocatable.cpu_milli), (1, 4000));
        assert_eq!(c.totals.cost_rate_micro_usd_per_hour, 500_000);
        assert_eq!(c.totals.stranded.cpu_milli, 4000);
        assert_eq!(c.nodes[a.0 as usize].state, NodeState::Removed);
        assert_eq!(c.nodes[a.0 as usize].removed, SimTime(100_000));
        assert_eq!(c.node_versions[a.0 as usize], version + 1);
        assert_eq!(c.node_version_sum(), sum + 1);
        // A provisioning node can be given up; a template node never counts.
        let d = c.add_provisioning_node(p, "d".into(), None, SimTime(100_000));
        c.remove_node(d, SimTime(200_000));
        assert_eq!(c.totals.cost_rate_micro_usd_per_hour, 500_000);
        let t = c.add_template_node(p, "t".into());
        assert_eq!((c.totals.nodes, c.live_nodes.len()), (1, 1));
        assert_eq!(c.nodes[t.0 as usize].state, NodeState::Template);
    }

    #[test]
    fn bind_and_terminate_keep_totals_consistent() {
        let mut c = ClusterState::default();
        let p = c.add_pool(pool());
        let t = c.add_template(PodTemplate::default());
        let prefix = c.add_name_prefix("pod-");
        let n = c.add_node(p, "n0".into(), None, SimTime::ZERO);
        let new = NewPod {
            name: PodName {
                prefix,
                ordinal: 3,
                width: 2,
            },
            requests: Resources::cpu_mem(0, 1 << 30),
            limits: Limits::default(),
            usage: Resources::cpu_mem(10, 1 << 20),
            priority: 0,
            template: t,
            owner: Owner::Source(0),
            lifetime: Lifetime::RunFor(1000),
        };
        let pod = c.create_pod(new, SimTime(5));
        assert_eq!(c.pod_name(pod), "pod-03");
        assert_eq!(c.totals.pending_pods, 1);
        c.bind(pod, n, SimTime(7));
        let node = &c.nodes[0];
        assert_eq!(node.requested.pods, 1);
        assert_eq!(
            node.non_zero_cpu_milli, 100,
            "unset cpu request counts as 100m for scoring"
        );
        assert_eq!(c.totals.running_pods, 1);
        assert_eq!(c.totals.pending_pods, 0);
        assert_eq!(c.totals.nodes_in_use, 1);
        assert_eq!(
            c.terminate(pod, PodPhase::Succeeded, SimTime(1007)),
            Some(n)
        );
        assert_eq!(c.nodes[0].requested, Resources::ZERO);
        assert_eq!(c.nodes[0].non_zero_cpu_milli, 0);
        assert_eq!(c.totals.requested, Resources::ZERO);
        assert_eq!(c.totals.usage, Resources::ZERO);
        assert_eq!(c.totals.running_pods, 0);
        assert_eq!(c.totals.nodes_in_use, 0);
        assert_eq!(c.totals.allocatable.cpu_milli, 4000);
    }

    #[test]
    fn shared_usage_matches_pod_by_pod_usage() {
        use crate::cluster::pod::{PodName, PodTemplate};
        let build = || {
            let mut c = ClusterState::default();
            let p = c.add_pool(pool());
            let nodes = [
                c.add_node(p, "a".into(), None, SimTime::ZERO),
                c.add_node(p, "b".into(), None, SimTime::ZERO),
            ];
            let t = c.add_template(PodTemplate::default());
            let prefix = c.add_name_prefix("s-");
            let pods: Vec<PodId> = (0..5)
                .map(|ordinal| {
                    let name = PodName {
                        prefix,
                        ordinal,
                        width: 0,
                    };
                    let pod = c.create_pod(
                        NewPod::bare(name, Resources::cpu_mem(100, 1 << 20), t),
                        SimTime::ZERO,
                    );
                    // Pods 0..4 run on alternating nodes; pod 4 stays pending.
                    if ordinal < 4 {
                        c.bind(pod, nodes[ordinal as usize % 2], SimTime::ZERO);
                    }
                    pod
                })
                .collect();
            (c, pods)
        };
        let (mut one_by_one, pods) = build();
        let (mut shared, _) = build();
        // Different usages first, then one shared usage.
        for (k, &pod) in pods.iter().enumerate() {
            let usage = Resources::cpu_mem(10 * k as u64, 1000 * k as u64);
            one_by_one.set_pod_usage(pod, usage);
            shared.set_pod_usage(pod, usage);
        }
        let usage = Resources::cpu_mem(250, 3 << 20);
        for &pod in &pods {
            one_by_one.set_pod_usage(pod, usage);
        }
        shared.set_pods_usage(&pods, usage);
        assert_eq!(shared.totals.usage, one_by_one.totals.usage);
        assert_eq!(
            shared.totals.usage,
            Resources::cpu_mem(4 * 250, 4 * (3 << 20))
        );
        for (a, b) in shared.nodes.iter().zip(&one_by_one.nodes) {
            assert_eq!(a.usage, b.usage);
        }
        for (a, b) in shared.pods.iter().zip(&one_by_one.pods) {
            assert_eq!(a.usage, b.usage);
        }
    }
}

//! Scale-down: finding unneeded nodes and starting their deletion
//! (core/scaledown/planner/planner.go, eligibility/eligibility.go, unneeded/nodes.go,
//! unremovable/nodes.go, simulator/cluster.go `SimulateNodeRemoval`, actuation/actuator.go).
//!
//! Every loop (also while scale-down is cooling down, so that nodes keep accumulating unneeded
//! time) the candidates are checked in order, the nodes unneeded in the previous loop first:
//! a node of an autoscaled group above its min size, not being deleted and not found
//! unremovable in the last `unremovableNodeRecheckTimeout`, is unneeded when its utilization
//! is below the threshold, none of its pods blocks a drain ([`super::drain`]) and every pod
//! passes the scheduler's filters on some other node, pods placed earlier in the same loop
//! included (upstream keeps each removable node's pods in the snapshot for the next
//! candidates, and drops the node from the destinations). A node that fails the last two
//! checks is unremovable until the recheck timeout. At most `|unneeded| + 2 ×
//! maxScaleDownParallelism` nodes are found unneeded per loop (`unneededNodesLimit`).
//!
//! The whole check is skipped when no node changed (the sum of the node versions), no group
//! changed size and no recheck timeout expired since the last one: its result would be the
//! same.

use super::drain;
use super::{ClusterAutoscaler, Deletion, fmt_duration};
use crate::cluster::ClusterState;
use crate::cluster::node::{Node, NodeId};
use crate::engine::time::SimTime;
use crate::scheduler::Scheduler;

/// A node found unneeded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unneeded {
    /// The node.
    pub node: NodeId,
    /// Unneeded since (kept across loops while it stays unneeded).
    pub since: SimTime,
    /// Pods to reschedule.
    pub pods: u32,
    /// Utilization when last checked.
    pub utilization: f64,
}

/// Scale-down bookkeeping kept across loops. Per-node vectors are indexed by node id.
#[derive(Debug, Default)]
pub struct ScaleDownState {
    /// Unneeded nodes, in the order they were found.
    pub unneeded: Vec<Unneeded>,
    /// Per node: unneeded since ([`SimTime::NEVER`] if not unneeded).
    since: Vec<SimTime>,
    /// Per node: not re-checked before this time (unremovable).
    unremovable_until: Vec<SimTime>,
    /// Recheck times set, oldest first (they are set in non-decreasing order).
    rechecks: std::collections::VecDeque<SimTime>,
    /// Per node: the last unremovable reason logged (deduplication).
    logged: Vec<String>,
    /// Per node: not a destination for pods in this loop; `excluded_list` to reset it.
    excluded: Vec<bool>,
    excluded_list: Vec<NodeId>,
    /// Round-robin start of the destination search.
    last_index: usize,
    /// Fingerprint of the inputs of the last check.
    fingerprint: Option<u64>,
    /// Candidates of the last check.
    candidates: usize,
    /// The pods of the node being checked (reused buffer).
    pods: Vec<crate::cluster::pod::PodId>,
}

impl ScaleDownState {
    /// Forgets a node whose deletion started or that was removed.
    pub fn forget(&mut self, node: NodeId) {
        if self
            .since
            .get(node.0 as usize)
            .is_some_and(|&t| t != SimTime::NEVER)
        {
            self.since[node.0 as usize] = SimTime::NEVER;
            self.unneeded.retain(|u| u.node != node);
        }
    }

    fn grow(&mut self, nodes: usize) {
        if self.unremovable_until.len() < nodes {
            self.since.resize(nodes, SimTime::NEVER);
            self.unremovable_until.resize(nodes, SimTime::ZERO);
            self.logged.resize(nodes, String::new());
            self.excluded.resize(nodes, false);
        }
    }

    fn exclude(&mut self, node: NodeId) {
        if !self.excluded[node.0 as usize] {
            self.excluded[node.0 as usize] = true;
            self.excluded_list.push(node);
        }
    }

    fn include(&mut self, node: NodeId) {
        self.excluded[node.0 as usize] = false;
    }

    fn clear_excluded(&mut self) {
        for n in self.excluded_list.drain(..) {
            self.excluded[n.0 as usize] = false;
        }
    }

    fn is_unneeded(&self, node: NodeId) -> bool {
        self.since[node.0 as usize] != SimTime::NEVER
    }

    /// Whether some recheck timeout expired by `now` (drops the expired ones).
    fn recheck_due(&mut self, now: SimTime) -> bool {
        let mut due = false;
        while self.rechecks.front().is_some_and(|&t| t <= now) {
            self.rechecks.pop_front();
            due = true;
        }
        due
    }
}

/// Utilization as the autoscaler sees it (simulator/utilization): on nodes with GPUs, GPU
/// requested / allocatable; otherwise the larger of the cpu and memory ratios.
pub fn utilization(node: &Node) -> f64 {
    let ratio = |req: u64, alloc: u64| {
        if alloc == 0 {
            0.0
        } else {
            req as f64 / alloc as f64
        }
    };
    let (a, r) = (&node.allocatable, &node.requested);
    if a.gpu_milli > 0 {
        return ratio(r.gpu_milli, a.gpu_milli);
    }
    ratio(r.cpu_milli, a.cpu_milli).max(ratio(r.memory_bytes, a.memory_bytes))
}

fn mix(h: u64, a: u64, b: u64) -> u64 {
    (h.wrapping_add(a.wrapping_mul(0x9E37_79B9_7F4A_7C15)) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
        .rotate_left(17)
}

impl ClusterAutoscaler {
    /// The utilization threshold for `node`.
    fn threshold(&self, node: &Node) -> f64 {
        if node.allocatable.gpu_milli > 0 {
            self.config.gpu_utilization_threshold
        } else {
            self.config.utilization_threshold
        }
    }

    /// `unneededNodesLimit`: at most `|unneeded| + 2n` and `n × U/I + n` nodes found unneeded
    /// per loop, with `n = maxScaleDownParallelism`, `U` the unneeded time and `I` the scan
    /// interval.
    fn unneeded_nodes_limit(&self) -> usize {
        let n = self.config.max_scale_down_parallelism;
        let limit = self.scale_down.unneeded.len() + 2 * n;
        let interval = self.config.scan_interval_ms.max(1);
        let u = self.config.unneeded_time_ms.max(interval);
        limit.min(n * (u / interval) as usize + n)
    }

    /// Updates the unneeded nodes at `now`; returns the number of scale-down candidates.
    pub(super) fn plan_scale_down(
        &mut self,
        now: SimTime,
        cluster: &mut ClusterState,
        scheduler: &mut dyn Scheduler,
    ) -> usize {
        let mut fp = mix(cluster.node_version_sum(), cluster.nodes.len() as u64, 0);
        for g in 0..self.groups.len() {
            fp = mix(fp, g as u64, u64::from(self.target_size(g)));
        }
        fp = mix(fp, self.deletions.len() as u64, 0);
        let due = self.scale_down.recheck_due(now);
        if self.scale_down.fingerprint == Some(fp) && !due {
            return self.scale_down.candidates;
        }
        self.scale_down.fingerprint = Some(fp);
        self.scale_down.grow(cluster.nodes.len());

        // Candidates (PreFilteringScaleDownNodeProcessor): live nodes of autoscaled groups
        // above their min size that are not being deleted; the unneeded ones first.
        let sizes: Vec<u32> = (0..self.groups.len())
            .map(|g| self.target_size(g))
            .collect();
        // Nodes being deleted are neither candidates nor destinations.
        for k in 0..self.deletions.len() {
            let n = self.deletions[k].node;
            self.scale_down.exclude(n);
        }
        let eligible = |ca: &ClusterAutoscaler, n: NodeId| {
            cluster.nodes[n.0 as usize].is_alive()
                && !ca.scale_down.excluded[n.0 as usize]
                && ca
                    .group_of(cluster, n)
                    .is_some_and(|g| sizes[g] > ca.groups[g].min)
        };
        let mut candidates: Vec<NodeId> = self
            .scale_down
            .unneeded
            .iter()
            .map(|u| u.node)
            .filter(|&n| eligible(self, n))
            .collect();
        for &n in &cluster.live_nodes {
            if !self.scale_down.is_unneeded(n) && eligible(self, n) {
                candidates.push(n);
            }
        }
        self.scale_down.candidates = candidates.len();
        let limit = self.unneeded_nodes_limit();
        let recheck = now.plus_ms(self.config.unremovable_recheck_ms);
        // Eligibility (FilterOutUnremovable) on the real state, before any simulation.
        let mut why_not: Vec<(NodeId, String)> = Vec::new();
        let was_unneeded = |n: NodeId, s: &ScaleDownState| s.is_unneeded(n);
        let mut eligible: Vec<(NodeId, f64)> = Vec::new();
        for &node in &candidates {
            let i = node.0 as usize;
            let n = &cluster.nodes[i];
            if self.scale_down.unremovable_until[i] > now {
                if was_unneeded(node, &self.scale_down) {
                    why_not.push((node, "recently found unremovable".to_owned()));
                }
                continue;
            }
            let util = utilization(n);
            if util >= self.threshold(n) {
                if was_unneeded(node, &self.scale_down) {
                    why_not.push((
                        node,
                        format!("utilization {util:.2} >= {}", self.threshold(n)),
                    ));
                }
                continue;
            }
            eligible.push((node, util));
        }
        let outer = cluster.what_if_checkpoint();
        let mut found: Vec<Unneeded> = Vec::new();
        let mut pods = std::mem::take(&mut self.scale_down.pods);
        for &(node, util) in &eligible {
            let i = node.0 as usize;
            if found.len() >= limit {
                continue;
            }
            pods.clear();
            // DaemonSet pods neither block the removal nor need a new place (upstream's drain
            // skips them); they stop with the node.
            pods.extend(cluster.nodes[i].pods.iter().copied().filter(|&p| {
                !matches!(
                    cluster.pods[p.0 as usize].owner,
                    crate::cluster::pod::Owner::DaemonSet(_)
                )
            }));
            let blocking = pods.iter().find_map(|&p| {
                drain::blocking_reason(cluster, p, &self.pdb_blocked_templates).map(|why| (p, why))
            });
            if let Some((pod, why)) = blocking {
                self.set_unremovable(node, recheck);
                let reason = format!("pod {} {why}", cluster.pod_name(pod));
                self.log_unremovable(now, cluster, node, reason);
                continue;
            }
            // Find a place for every pod on the other nodes (findPlaceFor).
            let mark = cluster.what_if_checkpoint();
            // The node is no destination, so its pods matter to the filters only through the
            // topology counts that other pods' spread and affinity rules read: only pods of
            // tracked templates need to leave it for the simulation.
            for &p in &pods {
                if cluster
                    .topology
                    .is_tracked(cluster.pods[p.0 as usize].template)
                {
                    cluster.what_if_detach(p, node);
                }
            }
            self.scale_down.exclude(node);
            let mut homeless = None;
            for &p in &pods {
                let excluded = &self.scale_down.excluded;
                let live = &cluster.live_nodes;
                let start = self.scale_down.last_index.min(live.len().saturating_sub(1));
                let found_at =
                    scheduler.first_feasible(p, live, start, cluster, &|n| !excluded[n.0 as usize]);
                match found_at {
                    Some(k) => {
                        let target = cluster.live_nodes[k];
                        cluster.what_if_attach(p, target);
                        self.scale_down.last_index = k;
                    }
                    None => {
                        homeless = Some(p);
                        break;
                    }
                }
            }
            if let Some(pod) = homeless {
                cluster.what_if_revert(mark);
                self.scale_down.include(node);
                self.set_unremovable(node, recheck);
                let reason = format!("no place to move pod {}", cluster.pod_name(pod));
                self.log_unremovable(now, cluster, node, reason);
                continue;
            }
            let since = match self.scale_down.since[i] {
                SimTime::NEVER => now,
                t => t,
            };
            self.scale_down.logged[i].clear();
            found.push(Unneeded {
                node,
                since,
                pods: pods.len() as u32,
                utilization: util,
            });
        }
        self.scale_down.pods = pods;
        cluster.what_if_revert(outer);
        self.scale_down.clear_excluded();
        // Log the changes of the unneeded set.
        let old = std::mem::take(&mut self.scale_down.unneeded);
        for u in &old {
            self.scale_down.since[u.node.0 as usize] = SimTime::NEVER;
        }
        for u in &found {
            self.scale_down.since[u.node.0 as usize] = u.since;
        }
        for u in &found {
            // Newly unneeded: unneeded since this check (a check runs at most once per instant).
            if u.since == now {
                let n = &cluster.nodes[u.node.0 as usize];
                let reason = if u.pods == 0 {
                    "empty".to_owned()
                } else {
                    format!(
                        "underutilized {:.2} < {}, {} pods can move",
                        u.utilization,
                        self.threshold(n),
                        u.pods
                    )
                };
                self.log_node(now, cluster, "unneeded", u.node, u64::from(u.pods), reason);
            }
        }
        for o in &old {
            if !self.scale_down.is_unneeded(o.node) && cluster.nodes[o.node.0 as usize].is_alive() {
                let logged = &self.scale_down.logged[o.node.0 as usize];
                let reason = match why_not.iter().find(|(n, _)| *n == o.node) {
                    Some((_, why)) => why.clone(),
                    None if !logged.is_empty() => logged.clone(),
                    None => "no longer a scale-down candidate".to_owned(),
                };
                self.log_node(now, cluster, "needed", o.node, 0, reason);
            }
        }
        self.scale_down.unneeded = found;
        candidates.len()
    }

    /// Marks `node` unremovable until `until` (recheck timeout).
    fn set_unremovable(&mut self, node: NodeId, until: SimTime) {
        self.scale_down.unremovable_until[node.0 as usize] = until;
        if self.scale_down.rechecks.back() != Some(&until) {
            self.scale_down.rechecks.push_back(until);
        }
    }

    fn log_node(
        &mut self,
        now: SimTime,
        cluster: &ClusterState,
        action: &'static str,
        node: NodeId,
        count: u64,
        reason: String,
    ) {
        let group = self
            .group_of(cluster, node)
            .map(|g| self.groups[g].name.clone())
            .unwrap_or_default();
        let name = cluster.nodes[node.0 as usize].name.clone();
        self.push_log(now, action, &group, &name, count, reason);
    }

    /// Logs that `node` is unremovable, unless that was the last reason logged for it.
    fn log_unremovable(
        &mut self,
        now: SimTime,
        cluster: &ClusterState,
        node: NodeId,
        reason: String,
    ) {
        let i = node.0 as usize;
        if self.scale_down.logged[i] == reason {
            return;
        }
        self.scale_down.logged[i] = reason.clone();
        self.log_node(now, cluster, "unremovable", node, 0, reason);
    }

    /// Starts deleting the nodes unneeded for longer than the unneeded time (NodesToDelete +
    /// StartDeletion): min sizes respected, empty nodes first within
    /// `maxScaleDownParallelism`, then non-empty ones within `maxDrainParallelism`. Each is
    /// tainted (cordoned) now and deleted after `nodeDeleteDelayAfterTaint`.
    pub(super) fn start_deletions(&mut self, now: SimTime, cluster: &mut ClusterState) {
        let mut sizes: Vec<i64> = (0..self.groups.len())
            .map(|g| i64::from(self.target_size(g)))
            .collect();
        for d in &self.deletions {
            sizes[d.group] -= 1;
        }
        let (mut empty, mut drain) = (Vec::new(), Vec::new());
        let unneeded = self.scale_down.unneeded.clone();
        for u in &unneeded {
            // `since + unneededTime` must be strictly before now (unneeded/nodes.go).
            if u.since.plus_ms(self.config.unneeded_time_ms) >= now {
                continue;
            }
            let Some(g) = self.group_of(cluster, u.node) else {
                continue;
            };
            if sizes[g] <= i64::from(self.groups[g].min) {
                let reason = format!("node group min size reached ({})", self.groups[g].min);
                self.log_unremovable(now, cluster, u.node, reason);
                continue;
            }
            sizes[g] -= 1;
            if u.pods == 0 {
                empty.push((*u, g));
            } else {
                drain.push((*u, g));
            }
        }
        let in_progress = self.deletions.len();
        let draining = self.deletions.iter().filter(|d| d.drain).count();
        let budget = self
            .config
            .max_scale_down_parallelism
            .saturating_sub(in_progress);
        empty.truncate(budget);
        let drain_budget =
            (budget - empty.len()).min(self.config.max_drain_parallelism.saturating_sub(draining));
        drain.truncate(drain_budget);
        let started = !empty.is_empty() || !drain.is_empty();
        let at = now.plus_ms(self.config.node_delete_delay_after_taint_ms);
        for (u, g) in empty.into_iter().chain(drain) {
            cluster.set_unschedulable(u.node, true);
            self.deletions.push(Deletion {
                node: u.node,
                group: g,
                drain: u.pods > 0,
                started: now,
            });
            self.actions.delete_at.push((u.node, at));
            self.scale_down.forget(u.node);
            let unneeded_for = fmt_duration(now.since(u.since));
            let reason = if u.pods == 0 {
                format!("empty, unneeded for {unneeded_for}")
            } else {
                let threshold = self.threshold(&cluster.nodes[u.node.0 as usize]);
                format!(
                    "underutilized {:.2} < {threshold} for {unneeded_for}, {} pods to evict",
                    u.utilization, u.pods
                )
            };
            self.log_node(now, cluster, "scale-down", u.node, 1, reason);
        }
        if started {
            self.last_scale_down_delete = Some(now);
        }
    }
}

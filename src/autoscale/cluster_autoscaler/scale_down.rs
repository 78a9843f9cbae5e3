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
//! The whole check is skipped when no live node changed (node versions), no group changed size
//! and no recheck timeout expired since the last one: its result would be the same.

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

/// Scale-down bookkeeping kept across loops.
#[derive(Debug, Default)]
pub struct ScaleDownState {
    /// Unneeded nodes, in the order they were found.
    pub unneeded: Vec<Unneeded>,
    /// Per node id: not re-checked before this time (unremovable).
    unremovable_until: Vec<SimTime>,
    /// Per node id: the last unremovable reason logged (deduplication).
    logged: Vec<String>,
    /// Per node id: not a destination for pods in this loop.
    excluded: Vec<bool>,
    /// Round-robin start of the destination search.
    last_index: usize,
    /// Fingerprint of the inputs of the last check and the earliest recheck after it.
    fingerprint: Option<u64>,
    next_recheck: SimTime,
    /// Candidates of the last check.
    candidates: usize,
}

impl ScaleDownState {
    /// Forgets a removed node.
    pub fn forget(&mut self, node: NodeId) {
        self.unneeded.retain(|u| u.node != node);
    }

    fn grow(&mut self, nodes: usize) {
        if self.unremovable_until.len() < nodes {
            self.unremovable_until.resize(nodes, SimTime::ZERO);
            self.logged.resize(nodes, String::new());
            self.excluded.resize(nodes, false);
        }
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
        let mut fp = cluster.live_nodes.len() as u64;
        for &id in &cluster.live_nodes {
            fp = mix(fp, u64::from(id.0), cluster.node_versions[id.0 as usize]);
        }
        for g in 0..self.groups.len() {
            fp = mix(fp, g as u64, u64::from(self.target_size(g)));
        }
        fp = mix(fp, self.deletions.len() as u64, 0);
        if self.scale_down.fingerprint == Some(fp) && now < self.scale_down.next_recheck {
            return self.scale_down.candidates;
        }
        self.scale_down.fingerprint = Some(fp);
        self.scale_down.grow(cluster.nodes.len());

        // Candidates (PreFilteringScaleDownNodeProcessor): live nodes of autoscaled groups
        // above their min size that are not being deleted; the unneeded ones first.
        let sizes: Vec<u32> = (0..self.groups.len())
            .map(|g| self.target_size(g))
            .collect();
        let deleting = |n: NodeId, d: &[Deletion]| d.iter().any(|x| x.node == n);
        let eligible = |ca: &ClusterAutoscaler, n: NodeId| {
            cluster.nodes[n.0 as usize].is_alive()
                && !deleting(n, &ca.deletions)
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
            if eligible(self, n) && !self.scale_down.unneeded.iter().any(|u| u.node == n) {
                candidates.push(n);
            }
        }
        self.scale_down.candidates = candidates.len();
        for d in &self.deletions {
            self.scale_down.excluded[d.node.0 as usize] = true;
        }
        let limit = self.unneeded_nodes_limit();
        let recheck = now.plus_ms(self.config.unremovable_recheck_ms);
        // Eligibility (FilterOutUnremovable) on the real state, before any simulation.
        let mut why_not: Vec<(NodeId, String)> = Vec::new();
        let was_unneeded = |n: NodeId, s: &ScaleDownState| s.unneeded.iter().any(|u| u.node == n);
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
        for &(node, util) in &eligible {
            let i = node.0 as usize;
            if found.len() >= limit {
                continue;
            }
            let pods = cluster.nodes[i].pods.clone();
            let blocking = pods
                .iter()
                .find_map(|&p| drain::blocking_reason(cluster, p).map(|why| (p, why)));
            if let Some((pod, why)) = blocking {
                self.scale_down.unremovable_until[i] = recheck;
                let reason = format!("pod {} {why}", cluster.pod_name(pod));
                self.log_unremovable(now, cluster, node, reason);
                continue;
            }
            // Find a place for every pod on the other nodes (findPlaceFor).
            let mark = cluster.what_if_checkpoint();
            for &p in &pods {
                cluster.what_if_detach(p, node);
            }
            self.scale_down.excluded[i] = true;
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
                self.scale_down.excluded[i] = false;
                self.scale_down.unremovable_until[i] = recheck;
                let reason = format!("no place to move pod {}", cluster.pod_name(pod));
                self.log_unremovable(now, cluster, node, reason);
                continue;
            }
            let since = self
                .scale_down
                .unneeded
                .iter()
                .find(|u| u.node == node)
                .map_or(now, |u| u.since);
            self.scale_down.logged[i].clear();
            found.push(Unneeded {
                node,
                since,
                pods: pods.len() as u32,
                utilization: util,
            });
        }
        cluster.what_if_revert(outer);
        for e in self.scale_down.excluded.iter_mut() {
            *e = false;
        }
        // Log the changes of the unneeded set.
        let old = std::mem::take(&mut self.scale_down.unneeded);
        for u in &found {
            if !old.iter().any(|o| o.node == u.node) {
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
            if !found.iter().any(|u| u.node == o.node)
                && cluster.nodes[o.node.0 as usize].is_alive()
            {
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
        self.scale_down.next_recheck = self
            .scale_down
            .unremovable_until
            .iter()
            .copied()
            .filter(|&t| t > now)
            .min()
            .unwrap_or(SimTime::NEVER);
        candidates.len()
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

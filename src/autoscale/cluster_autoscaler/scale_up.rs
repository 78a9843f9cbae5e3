//! Scale-up: from unschedulable pods to new nodes (core/scaleup/orchestrator/orchestrator.go,
//! core/podlistprocessor/filter_out_schedulable.go, estimator/binpacking_estimator.go,
//! estimator/decreasing_pod_orderer.go).

use super::expander::{self, ExpansionOption};
use super::{
    ClusterAutoscaler, EXPENDABLE_PODS_PRIORITY_CUTOFF, UNSCHEDULABLE_POD_TIME_BUFFER_MS,
    UNSCHEDULABLE_POD_WITH_GPU_TIME_BUFFER_MS, Upcoming,
};
use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::{Owner, PodId};
use crate::cluster::resources::Resources;
use crate::engine::time::SimTime;
use crate::scheduler::Scheduler;
use crate::scheduler::queue::SchedulingQueue;
use crate::workload::distribution::sample_ms;
use std::collections::BTreeMap;

/// What the scale-up step of a loop did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No unschedulable pod needs a new node.
    NotNeeded,
    /// All unschedulable pods are very new: wait one loop for more (and skip scale-down).
    AllPodsNew,
    /// No node group can help.
    NoOptions,
    /// Nodes were requested.
    ScaledUp,
}

/// Pods that are the same for the scheduler: same controller, template, requests and
/// priority (core/scaleup/equivalence). Bare pods of one source with equal specs are grouped
/// too (upstream keeps pods without a controller apart; identical pods pack the same way).
type EquivalenceKey = (u8, u32, u32, u64, u64, u64, i32);

fn equivalence_key(cluster: &ClusterState, pod: PodId) -> EquivalenceKey {
    let p = &cluster.pods[pod.0 as usize];
    let (kind, owner) = match p.owner {
        Owner::Deployment(i) => (0, i),
        Owner::Job(i) => (1, i),
        Owner::Source(i) => (2, i),
        Owner::StatefulSet(i) => (3, i),
        Owner::DaemonSet(i) => (4, i),
    };
    let r = p.requests;
    (
        kind,
        owner,
        p.template.0,
        r.cpu_milli,
        r.memory_bytes,
        r.gpu_milli,
        p.priority,
    )
}

/// Splits `pods` into equivalence groups, in order of first appearance.
fn equivalence_groups(cluster: &ClusterState, pods: &[PodId]) -> Vec<Vec<PodId>> {
    let mut index: BTreeMap<EquivalenceKey, usize> = BTreeMap::new();
    let mut groups: Vec<Vec<PodId>> = Vec::new();
    for &pod in pods {
        let k = equivalence_key(cluster, pod);
        let i = *index.entry(k).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(pod);
    }
    groups
}

/// 64-bit mixing for fingerprints.
fn mix(h: u64, v: u64) -> u64 {
    (h ^ v)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29)
        .wrapping_add(0x632B_E59B_D9B4_E019)
}

impl ClusterAutoscaler {
    /// The template node number `k` of group `g`, created on first use.
    fn template_node(&mut self, g: usize, k: usize, cluster: &mut ClusterState) -> NodeId {
        while self.groups[g].templates.len() <= k {
            let n = self.groups[g].templates.len();
            let name = format!("template-node-for-{}-{n}", self.groups[g].name);
            let id = cluster.add_template_node(self.groups[g].pool, name);
            if let Some(&r) = self.daemon_overhead.get(g) {
                cluster.set_template_requests(id, r);
            }
            self.groups[g].templates.push(id);
        }
        self.groups[g].templates[k]
    }

    /// The scale-up step of a loop at `now`.
    pub(super) fn scale_up(
        &mut self,
        now: SimTime,
        cluster: &mut ClusterState,
        scheduler: &mut dyn Scheduler,
        queue: &SchedulingQueue,
    ) -> Outcome {
        // Unschedulable pods, minus expendable ones and pods younger than
        // `newPodScaleUpDelay` (static_autoscaler.go filterOutYoungPods).
        let delay = self.config.new_pod_scale_up_delay_ms;
        let parked: Vec<(PodId, u64)> = queue
            .parked()
            .map(|(pod, _, epoch)| (pod, epoch))
            .filter(|&(pod, _)| {
                let p = &cluster.pods[pod.0 as usize];
                // DaemonSet pods are left out (upstream's pod list processor filters them: a
                // new node cannot help a pod bound by affinity to an existing one).
                p.priority >= EXPENDABLE_PODS_PRIORITY_CUTOFF
                    && now.since(p.created) > delay
                    && !matches!(p.owner, Owner::DaemonSet(_))
            })
            .collect();
        if parked.is_empty() {
            return Outcome::NotNeeded;
        }
        // Skip the simulation when nothing it depends on changed since a fruitless attempt.
        let mut fp = 0;
        for &(pod, _) in &parked {
            fp = mix(fp, cluster.pods[pod.0 as usize].seq);
        }
        for g in 0..self.groups.len() {
            fp = mix(fp, u64::from(self.target_size(g)));
            fp = mix(fp, u64::from(self.groups[g].backoff.active(now)));
        }
        fp = mix(fp, cluster.totals.nodes);
        if self.fruitless_scale_up == Some(fp) {
            return Outcome::NoOptions;
        }
        let ready_nodes = cluster.totals.nodes as usize;
        let outer = cluster.what_if_checkpoint();
        // FilterOutSchedulable: pods that fit an existing or an upcoming node (upcoming nodes
        // are injected into the snapshot, addUpcomingNodesToClusterSnapshot) need no new
        // node; each one found a place is counted there for the next ones.
        let upcoming: Vec<NodeId> = self.upcoming.iter().map(|u| u.node).collect();
        for &n in &upcoming {
            cluster.what_if_show_node(n);
        }
        let pending = self.filter_out_schedulable(cluster, scheduler, &parked, &upcoming);
        let outcome = self.try_scale_up(now, cluster, scheduler, &pending, ready_nodes);
        cluster.what_if_revert(outer);
        match outcome {
            Err(o) => {
                if o == Outcome::NoOptions {
                    self.fruitless_scale_up = Some(fp);
                }
                o
            }
            Ok(plan) => {
                self.fruitless_scale_up = None;
                self.execute(now, cluster, plan);
                Outcome::ScaledUp
            }
        }
    }

    /// The `parked` pods (with the capacity epoch of their last failure) that fit neither an
    /// existing node nor an upcoming one, in queue order. A pod that failed at the current
    /// capacity epoch cannot fit an existing node (no capacity appeared since), so only the
    /// upcoming nodes are tried for it; once a pod finds no place, its identical pods are not
    /// tried again.
    fn filter_out_schedulable(
        &mut self,
        cluster: &mut ClusterState,
        scheduler: &mut dyn Scheduler,
        parked: &[(PodId, u64)],
        upcoming: &[NodeId],
    ) -> Vec<PodId> {
        let epoch = cluster.capacity_epoch;
        let mut failed: std::collections::BTreeSet<EquivalenceKey> = Default::default();
        let mut kept = Vec::with_capacity(parked.len());
        let (mut start_all, mut start_upcoming) = (0, 0);
        for &(pod, failed_at) in parked {
            let key = equivalence_key(cluster, pod);
            if failed.contains(&key) {
                kept.push(pod);
                continue;
            }
            let target = if failed_at != epoch {
                let live = &cluster.live_nodes;
                scheduler
                    .first_feasible(pod, live, start_all, cluster, &|_| true)
                    .map(|k| {
                        start_all = k;
                        cluster.live_nodes[k]
                    })
            } else if !upcoming.is_empty() {
                scheduler
                    .first_feasible(pod, upcoming, start_upcoming, cluster, &|_| true)
                    .map(|k| {
                        start_upcoming = k;
                        upcoming[k]
                    })
            } else {
                None
            };
            match target {
                Some(node) => cluster.what_if_attach(pod, node),
                None => {
                    failed.insert(key);
                    kept.push(pod);
                }
            }
        }
        kept
    }

    /// Computes the scale-up plan for `pending` (what-if changes may be pending and are
    /// reverted by the caller).
    fn try_scale_up(
        &mut self,
        now: SimTime,
        cluster: &mut ClusterState,
        scheduler: &mut dyn Scheduler,
        pending: &[PodId],
        ready_nodes: usize,
    ) -> Result<Plan, Outcome> {
        if pending.is_empty() {
            return Err(Outcome::NotNeeded);
        }
        let c = &self.config;
        if c.max_nodes_total > 0 && ready_nodes >= c.max_nodes_total {
            self.log_no_scale_up(now, pending.len(), "max total nodes in cluster reached");
            return Err(Outcome::NoOptions);
        }
        // allPodsAreNew: wait one loop for more pods.
        let oldest = pending
            .iter()
            .map(|&p| cluster.pods[p.0 as usize].created)
            .min()
            .unwrap_or(now);
        let oldest_gpu = pending
            .iter()
            .filter(|&&p| cluster.pods[p.0 as usize].requests.gpu_milli > 0)
            .map(|&p| cluster.pods[p.0 as usize].created)
            .min();
        if oldest.plus_ms(UNSCHEDULABLE_POD_TIME_BUFFER_MS) > now
            || oldest_gpu
                .is_some_and(|t| t.plus_ms(UNSCHEDULABLE_POD_WITH_GPU_TIME_BUFFER_MS) > now)
        {
            return Err(Outcome::AllPodsNew);
        }
        let eq_groups = equivalence_groups(cluster, pending);
        let mut options: Vec<ExpansionOption> = Vec::new();
        let mut option_pods: Vec<Vec<PodId>> = Vec::new();
        let mut skipped: Vec<String> = Vec::new();
        for g in 0..self.groups.len() {
            let target = self.target_size(g);
            let group = &self.groups[g];
            let skip = if group.backoff.active(now) {
                Some(format!(
                    "backed off until {:.0} s",
                    group.backoff.until.as_secs_f64()
                ))
            } else if target >= group.max {
                Some(format!("max size reached ({})", group.max))
            } else {
                None
            };
            let name = group.name.clone();
            if let Some(reason) = skip {
                if self.group_skip_reason[g] != reason {
                    self.group_skip_reason[g] = reason.clone();
                    self.push_log(now, "scale-up-skipped", &name, "", 0, reason.clone());
                }
                skipped.push(format!("{name}: {reason}"));
                continue;
            }
            self.group_skip_reason[g].clear();
            // SchedulablePodGroups: the groups whose exemplar fits an empty template node.
            let template = self.template_node(g, 0, cluster);
            let mark = cluster.what_if_checkpoint();
            cluster.what_if_show_node(template);
            let mut fitting: Vec<&[PodId]> = Vec::new();
            for eq in &eq_groups {
                if scheduler.feasible(eq[0], template, cluster) {
                    fitting.push(eq);
                }
            }
            cluster.what_if_revert(mark);
            if fitting.is_empty() {
                skipped.push(format!("{name}: no pending pod fits a new node"));
                continue;
            }
            // DecreasingPodOrderer: cpu/allocatable + memory/allocatable of the template node,
            // largest first (stable, so equal scores keep queue order).
            let alloc = cluster.pools[self.groups[g].pool.0 as usize].allocatable;
            let score = |pods: &&[PodId]| {
                let r = cluster.pods[pods[0].0 as usize].requests;
                let mut s = 0.0;
                if alloc.cpu_milli > 0 {
                    s += r.cpu_milli as f64 / alloc.cpu_milli as f64;
                }
                if alloc.memory_bytes > 0 {
                    s += r.memory_bytes as f64 / alloc.memory_bytes as f64;
                }
                s
            };
            fitting.sort_by(|a, b| score(b).total_cmp(&score(a)));
            let limit = ((self.groups[g].max - target) as usize).min(c_max_per(self));
            let (nodes, pods) = self.estimate(g, &fitting, limit, cluster, scheduler);
            if nodes == 0 || pods.is_empty() {
                skipped.push(format!("{name}: no pod fits"));
                continue;
            }
            let mut requested = Resources::ZERO;
            for &p in &pods {
                requested += cluster.pods[p.0 as usize].requests;
            }
            let pool = &cluster.pools[self.groups[g].pool.0 as usize];
            options.push(ExpansionOption {
                group: g,
                name,
                node_count: nodes,
                pods: pods.len() as u32,
                requested,
                node_capacity: self.groups[g].capacity,
                node_price_usd_per_hour: pool.hourly_price_usd,
            });
            option_pods.push(pods);
        }
        let Some((best, why)) = expander::best_option(
            &self.config.expanders,
            &options,
            &self.config.priorities,
            ready_nodes,
            &mut self.expander_rng,
        ) else {
            let reason = if skipped.is_empty() {
                "no node group".to_owned()
            } else {
                skipped.join("; ")
            };
            self.log_no_scale_up(now, pending.len(), &reason);
            return Err(Outcome::NoOptions);
        };
        self.no_scale_up_reason.clear();
        let o = &options[best];
        let mut count = o.node_count as usize;
        if self.config.max_nodes_total > 0 {
            count = count.min(self.config.max_nodes_total.saturating_sub(ready_nodes));
        }
        let g = o.group;
        count = count.min((self.groups[g].max - self.target_size(g)) as usize);
        let expander_names: Vec<&str> = self.config.expanders.iter().map(|e| e.name()).collect();
        Ok(Plan {
            group: g,
            count: count as u32,
            reason: format!(
                "{} pending pods; {} pods fit {} new nodes; expander {}: {why}",
                pending.len(),
                option_pods[best].len(),
                o.node_count,
                expander_names.join(",")
            ),
        })
    }

    fn log_no_scale_up(&mut self, now: SimTime, pending: usize, reason: &str) {
        if self.no_scale_up_reason != reason {
            self.no_scale_up_reason = reason.to_owned();
            self.push_log(
                now,
                "no-scale-up",
                "",
                "",
                pending as u64,
                reason.to_owned(),
            );
        }
    }

    /// Binpacking estimate for group `g` (BinpackingNodeEstimator.Estimate): pods, group by
    /// group, first onto the new nodes already added in this estimate (first fit, round-robin
    /// from the last fit), else onto the last added node, else onto one more template node (up
    /// to `limit`), giving up on a group when a pod does not fit an empty new node. Returns
    /// the number of new nodes that received pods and the pods placed. Leaves no trace.
    fn estimate(
        &mut self,
        g: usize,
        eq_groups: &[&[PodId]],
        limit: usize,
        cluster: &mut ClusterState,
        scheduler: &mut dyn Scheduler,
    ) -> (u32, Vec<PodId>) {
        let mark = cluster.what_if_checkpoint();
        let mut nodes: Vec<NodeId> = Vec::new();
        let mut with_pods: Vec<bool> = Vec::new();
        let mut placed: Vec<PodId> = Vec::new();
        let mut start = 0;
        for eq in eq_groups {
            let mut i = 0;
            while i < eq.len() && !nodes.is_empty() {
                match scheduler.first_feasible(eq[i], &nodes, start, cluster, &|_| true) {
                    Some(k) => {
                        cluster.what_if_attach(eq[i], nodes[k]);
                        with_pods[k] = true;
                        placed.push(eq[i]);
                        start = k;
                        i += 1;
                    }
                    None => break,
                }
            }
            for &pod in &eq[i..] {
                if let Some(&last) = nodes.last() {
                    if scheduler.feasible(pod, last, cluster) {
                        cluster.what_if_attach(pod, last);
                        *with_pods.last_mut().expect("same length") = true;
                        placed.push(pod);
                        continue;
                    }
                    // A pod that does not fit an empty new node fits no other new node.
                    if !with_pods.last().copied().unwrap_or(false) {
                        break;
                    }
                }
                if nodes.len() >= limit {
                    break;
                }
                let node = self.template_node(g, nodes.len(), cluster);
                cluster.what_if_show_node(node);
                nodes.push(node);
                with_pods.push(false);
                if !scheduler.feasible(pod, node, cluster) {
                    break;
                }
                cluster.what_if_attach(pod, node);
                *with_pods.last_mut().expect("same length") = true;
                placed.push(pod);
            }
        }
        cluster.what_if_revert(mark);
        (with_pods.iter().filter(|&&b| b).count() as u32, placed)
    }

    /// Requests the plan's nodes: each is created provisioning (billed from now) and becomes
    /// ready after its own provisioning delay.
    fn execute(&mut self, now: SimTime, cluster: &mut ClusterState, plan: Plan) {
        let g = plan.group;
        let pool = self.groups[g].pool;
        let mut names = Vec::new();
        for _ in 0..plan.count {
            let name = format!("{}-{}", self.groups[g].name, self.groups[g].next_ordinal);
            self.groups[g].next_ordinal += 1;
            let node = cluster.add_provisioning_node(pool, name.clone(), None, now);
            let delay = sample_ms(&self.config.provisioning_delay, &mut self.delay_rng);
            self.upcoming.push(Upcoming {
                node,
                group: g,
                requested: now,
            });
            self.actions.ready_at.push((node, now.plus_ms(delay)));
            names.push(name);
        }
        let group = self.groups[g].name.clone();
        let node = match names.len() {
            1 => names[0].clone(),
            _ => String::new(),
        };
        self.push_log(
            now,
            "scale-up",
            &group,
            &node,
            u64::from(plan.count),
            plan.reason,
        );
    }
}

fn c_max_per(ca: &ClusterAutoscaler) -> usize {
    ca.config.max_nodes_per_scale_up
}

/// The chosen expansion.
struct Plan {
    group: usize,
    count: u32,
    reason: String,
}

//! The engine side of disruptions: carries out the faults of [`crate::disruption::faults`]
//! (node failures and repairs, zone outages, spot interruptions, drains), runs the node
//! lifecycle and taint-eviction controllers ([`crate::disruption::node_lifecycle`]), and keeps
//! the recovery metrics ([`crate::metrics::recovery`]) in step with every change of a pod's
//! readiness.
//!
//! Readiness bookkeeping: every place where a pod may become ready or stop being ready
//! (binding, graceful deletion, termination, its node going down or coming back) calls
//! [`Simulation::readiness_changed`], which remembers each pod's last counted readiness: the
//! ready count of the pod's Deployment moves only when [`pod_is_ready`] actually changed.

use super::Simulation;
use super::event::Event;
use super::time::SimTime;
use crate::cluster::node::NodeId;
use crate::cluster::pod::{DisruptionReason, Lifetime, Owner, PodId, PodPhase};
use crate::cluster::readiness::pod_is_ready;
use crate::disruption::eviction_api::check_eviction;
use crate::disruption::faults::spec::FaultKind;
use crate::disruption::faults::{Drain, FaultEvent, NodeEventKind};
use crate::disruption::node_lifecycle::{TaintVerdict, taint_verdict};
use crate::disruption::pdb::OwnerScale;
use crate::metrics::recovery::Cause;

impl Simulation {
    // --- Readiness and recovery hooks (called from the engine's pod lifecycle) ---

    /// Whether `pod` is ready now (see [`pod_is_ready`]).
    pub(super) fn pod_ready(&self, pod: PodId) -> bool {
        pod_is_ready(&self.cluster.pods[pod.0 as usize], &self.cluster)
    }

    /// Records the disruption of a pod owned by `owner` that was ready before (after its
    /// readiness change); pods that were not ready (already disrupted) are not counted again.
    fn disrupted(&mut self, owner: Owner, was_ready: bool, cause: Cause) {
        if let (Owner::Deployment(d), true) = (owner, was_ready) {
            self.metrics.recovery.disruption(self.now, d, cause, 1);
        }
    }

    /// Deployment `d` was created or rescaled: its desired replicas.
    pub(super) fn deployment_synced(&mut self, d: usize) {
        let replicas = self.deployments[d].replicas;
        self.metrics
            .recovery
            .start_workload(self.now, d as u32, replicas);
    }

    /// After `pod` was bound: it counts as ready; a batch pod bound to a node that is down
    /// cannot run, so its run-end timer is cancelled (it is lost with the node).
    pub(super) fn after_bound(&mut self, pod: PodId) {
        self.readiness_changed(pod);
        let p = &self.cluster.pods[pod.0 as usize];
        if matches!(p.lifetime, Lifetime::RunFor(_))
            && p.node
                .is_some_and(|n| self.cluster.nodes[n.0 as usize].down)
        {
            self.cluster.invalidate_pod_timers(pod);
        }
    }

    /// After the graceful deletion of `pod` started (it was `was_ready` before): its
    /// readiness, the disruption and, for evictions and taint evictions, the counters.
    pub(super) fn after_deletion_started(
        &mut self,
        pod: PodId,
        was_ready: bool,
        reason: DisruptionReason,
    ) {
        self.readiness_changed(pod);
        let p = &self.cluster.pods[pod.0 as usize];
        let node_cause = |sim: &Simulation| {
            p.node
                .and_then(|n| sim.faults.node_state(n))
                .map(|s| (s.drain.map(|d| d.cause), s.cause))
        };
        let cause = match reason {
            DisruptionReason::PreemptionByScheduler => Cause::Preemption,
            DisruptionReason::EvictionByEvictionApi => node_cause(self)
                .and_then(|(drain, _)| drain)
                .unwrap_or(Cause::Eviction),
            DisruptionReason::TerminationByKubelet => Cause::NodePressureEviction,
            // Only StatefulSet and DaemonSet pods, which the recovery metrics do not follow.
            DisruptionReason::DeletedByController => Cause::Eviction,
            DisruptionReason::DeletionByTaintManager | DisruptionReason::DeletionByPodGc => {
                node_cause(self).map_or(Cause::NodeFailure, |(_, c)| c)
            }
        };
        let owner = p.owner;
        self.disrupted(owner, was_ready, cause);
    }

    /// Before `pod` terminates with `phase`: counts the lost work of a batch pod that did not
    /// complete (the run time it had done until it or its node stopped). Its readiness is
    /// counted down by `kubelet_pod_ended`.
    pub(super) fn before_pod_ends(&mut self, pod: PodId, phase: PodPhase) {
        let p = &self.cluster.pods[pod.0 as usize];
        // Only losses caused here (a node down, a drain, taint eviction, pod GC): the kubelet
        // counts those of crashes, OOM kills and node-pressure evictions itself.
        let ours = p
            .node
            .is_some_and(|n| self.cluster.nodes[n.0 as usize].down)
            || matches!(
                p.disruption,
                Some(
                    DisruptionReason::EvictionByEvictionApi
                        | DisruptionReason::DeletionByTaintManager
                        | DisruptionReason::DeletionByPodGc
                )
            );
        if ours
            && phase == PodPhase::Failed
            && matches!(p.lifetime, Lifetime::RunFor(_))
            && p.scheduled != SimTime::NEVER
            && self.metrics.measuring(self.now)
        {
            let stopped = p
                .node
                .filter(|n| self.cluster.nodes[n.0 as usize].down)
                .and_then(|n| self.faults.node_state(n))
                .map_or(self.now, |s| s.down_since.min(self.now));
            let c = &mut self.metrics.disruptions;
            c.batch_pods_lost += 1;
            c.lost_work_ms += stopped.since(p.scheduled);
        }
    }

    // --- Faults ---

    fn push_fault(&mut self, at: SimTime, e: FaultEvent) {
        if at <= self.end {
            self.queue.push(at, Event::Fault(e));
        }
    }

    /// Schedules the scheduled faults and every node's first failure and interruption.
    pub(super) fn prime_faults(&mut self) {
        for i in 0..self.faults.scheduled.len() {
            let at = self.faults.scheduled[i].at;
            self.push_fault(at, FaultEvent::Scheduled(i as u32));
        }
        for k in 0..self.cluster.live_nodes.len() {
            let node = self.cluster.live_nodes[k];
            self.start_node_processes(node);
        }
    }

    /// Draws `node`'s next failure and next spot interruption from now (call it for a node that
    /// joins later, e.g. one a cluster autoscaler adds).
    pub(super) fn start_node_processes(&mut self, node: NodeId) {
        let incarnation = self.faults.node(node).incarnation;
        if let Some(ms) = self.faults.draw_time_to_failure(node, &self.cluster) {
            self.push_fault(self.now.plus_ms(ms), FaultEvent::Fail { node, incarnation });
        }
        if let Some(ms) = self.faults.draw_time_to_interruption(node, &self.cluster) {
            self.push_fault(
                self.now.plus_ms(ms),
                FaultEvent::SpotNotice { node, incarnation },
            );
        }
    }

    /// Schedules the node lifecycle controller's monitor pass now (after the events already
    /// due now, so that nodes changing together are seen together).
    fn lifecycle_pass(&mut self) {
        self.queue
            .push(self.now, Event::Fault(FaultEvent::LifecyclePass));
    }

    fn is_current(&self, node: NodeId, incarnation: u32) -> bool {
        self.faults
            .node_state(node)
            .is_some_and(|s| s.incarnation == incarnation && !s.gone)
    }

    /// Handles one fault event.
    pub(super) fn on_fault(&mut self, e: FaultEvent) {
        match e {
            FaultEvent::Fail { node, incarnation } => {
                if !self.is_current(node, incarnation) {
                    return;
                }
                self.node_goes_down(node, Cause::NodeFailure);
                if let Some(ms) = self.faults.draw_repair_time(node, &self.cluster) {
                    self.push_fault(
                        self.now.plus_ms(ms),
                        FaultEvent::Repair { node, incarnation },
                    );
                }
            }
            FaultEvent::Repair { node, incarnation } => {
                if !self.is_current(node, incarnation) {
                    return;
                }
                self.node_comes_back(node);
                if let Some(ms) = self.faults.draw_time_to_failure(node, &self.cluster) {
                    self.push_fault(self.now.plus_ms(ms), FaultEvent::Fail { node, incarnation });
                }
            }
            FaultEvent::Scheduled(i) => self.start_scheduled(i as usize),
            FaultEvent::ScheduledEnd(i) => self.end_scheduled(i as usize),
            FaultEvent::Grace { node, outage } => {
                let s = self.faults.node(node);
                if s.outage_seq == outage && s.outages > 0 && !s.gone {
                    let now = self.now;
                    let cause = s.cause;
                    if !self.faults.lifecycle.is_not_ready(node) {
                        self.faults
                            .record(now, node, NodeEventKind::NotReady, cause);
                    }
                    if self
                        .faults
                        .lifecycle
                        .mark_not_ready(node, now, &mut self.cluster)
                    {
                        self.lifecycle_pass();
                    }
                }
            }
            FaultEvent::LifecyclePass => {
                let mut zones = Vec::new();
                let now = self.now;
                self.faults
                    .lifecycle
                    .pass(now, &mut self.cluster, &mut zones);
                for z in zones {
                    self.run_zone(z);
                }
            }
            FaultEvent::ZoneTick(z) => {
                if self.faults.lifecycle.is_current_tick(z, self.now) {
                    self.run_zone(z);
                }
            }
            FaultEvent::TaintEviction { pod, generation } => {
                self.taint_eviction_due(pod, generation)
            }
            FaultEvent::SpotNotice { node, incarnation } => {
                if !self.is_current(node, incarnation) {
                    return;
                }
                let notice = self.faults.spot_config(node, &self.cluster).map_or(
                    crate::disruption::faults::spec::DEFAULT_SPOT_NOTICE_MS,
                    |s| s.notice_ms,
                );
                if !self.spot_notice(node, notice) {
                    // Not interrupted (the node is down): its interruption process goes on.
                    if let Some(ms) = self.faults.draw_time_to_interruption(node, &self.cluster) {
                        self.push_fault(
                            self.now.plus_ms(ms),
                            FaultEvent::SpotNotice { node, incarnation },
                        );
                    }
                }
            }
            FaultEvent::SpotReclaim { node, incarnation } => {
                if self.is_current(node, incarnation) {
                    self.spot_reclaim(node);
                }
            }
            FaultEvent::SpotReplaced { node, incarnation } => {
                let s = self.faults.node(node);
                if s.incarnation == incarnation && s.gone {
                    self.spot_replaced(node);
                }
            }
            FaultEvent::DrainRetry { node, drain } => {
                if self
                    .faults
                    .node_state(node)
                    .and_then(|s| s.drain)
                    .is_some_and(|d| d.seq == drain)
                {
                    self.drain_step(node);
                }
            }
        }
    }

    /// Starts an outage of `node` (`cause`). The first one takes the node down: its pods stop
    /// serving, batch pods stop making progress, and the grace period starts.
    fn node_goes_down(&mut self, node: NodeId, cause: Cause) {
        let s = self.faults.node(node);
        s.outages += 1;
        if s.outages > 1 {
            return;
        }
        s.outage_seq += 1;
        s.down_since = self.now;
        s.cause = cause;
        let outage = s.outage_seq;
        self.faults
            .record(self.now, node, NodeEventKind::Down, cause);
        if self.metrics.measuring(self.now) {
            self.metrics.disruptions.node_failures += 1;
        }
        let pods = self.cluster.nodes[node.0 as usize].pods.clone();
        let was: Vec<bool> = pods.iter().map(|&p| self.pod_ready(p)).collect();
        self.cluster.set_node_down(node, true);
        for (&pod, was_ready) in pods.iter().zip(was) {
            let p = &self.cluster.pods[pod.0 as usize];
            if matches!(p.lifetime, Lifetime::RunFor(_)) && !p.is_terminating() {
                self.cluster.invalidate_pod_timers(pod);
            }
            self.readiness_changed(pod);
            let owner = self.cluster.pods[pod.0 as usize].owner;
            self.disrupted(owner, was_ready, cause);
            self.service_pods_changed(pod);
        }
        let grace = self.faults.lifecycle.config.grace_ms;
        self.push_fault(self.now.plus_ms(grace), FaultEvent::Grace { node, outage });
    }

    /// Ends an outage of `node`; when the last one ends the node is back: batch pods that were
    /// on it failed (lost work), the others serve again, and the node is Ready (untainted).
    fn node_comes_back(&mut self, node: NodeId) {
        let s = self.faults.node(node);
        if s.outages == 0 {
            return;
        }
        s.outages -= 1;
        if s.outages > 0 || s.gone {
            return;
        }
        // Batch pods whose containers died with the node fail (restartPolicy Never); their
        // Job replaces them.
        let pods = self.cluster.nodes[node.0 as usize].pods.clone();
        for &pod in &pods {
            let p = &self.cluster.pods[pod.0 as usize];
            if matches!(p.lifetime, Lifetime::RunFor(_))
                && !p.is_terminating()
                && !p.is_terminated()
            {
                self.end_pod(pod, PodPhase::Failed);
            }
        }
        self.faults.node(node).down_since = SimTime::NEVER;
        let cause = self.faults.cause_of(node);
        self.faults.record(self.now, node, NodeEventKind::Up, cause);
        let pods = self.cluster.nodes[node.0 as usize].pods.clone();
        self.cluster.set_node_down(node, false);
        for &pod in &pods {
            self.readiness_changed(pod);
            self.service_pods_changed(pod);
        }
        let (untainted, pass) = self.faults.lifecycle.mark_ready(node, &mut self.cluster);
        if pass {
            self.lifecycle_pass();
        }
        if untainted {
            self.capacity_returned(node);
        }
    }

    /// `node` became schedulable again (untainted or uncordoned): parked pods may fit.
    fn capacity_returned(&mut self, node: NodeId) {
        self.node_capacity_grew(node);
        if self.scheduling_queue.unschedulable_len() > 0 {
            self.arm_flush();
        }
        self.request_cycle();
    }

    /// Runs zone `z`'s NoExecute tainter and acts on the nodes it tainted.
    fn run_zone(&mut self, z: u32) {
        let mut tainted = Vec::new();
        let now = self.now;
        let next = self
            .faults
            .lifecycle
            .run_zone(z, now, &mut self.cluster, &mut tainted);
        if let Some(t) = next {
            self.queue.push(t, Event::Fault(FaultEvent::ZoneTick(z)));
        }
        for node in tainted {
            let cause = self.faults.cause_of(node);
            self.faults
                .record(self.now, node, NodeEventKind::Tainted, cause);
            self.node_tainted_no_execute(node);
        }
    }

    /// The taint-eviction controller's verdict for `pod` on `node` now.
    fn taint_verdict_of(&self, pod: PodId, node: NodeId) -> TaintVerdict {
        let n = &self.cluster.nodes[node.0 as usize];
        let pool_taints = &self.cluster.pools[n.pool.0 as usize].taints;
        let template =
            &self.cluster.templates[self.cluster.pods[pod.0 as usize].template.0 as usize];
        taint_verdict(
            &template.tolerations,
            pool_taints.iter().chain(&n.taints),
            &self.faults.lifecycle.keys,
            &self.faults.lifecycle.config,
        )
    }

    /// `node` just got its NoExecute taint: every pod on it is deleted now or once its
    /// toleration runs out.
    fn node_tainted_no_execute(&mut self, node: NodeId) {
        let pods = self.cluster.nodes[node.0 as usize].pods.clone();
        for pod in pods {
            let p = &self.cluster.pods[pod.0 as usize];
            if p.is_terminated() || p.is_terminating() {
                continue;
            }
            match self.taint_verdict_of(pod, node) {
                TaintVerdict::EvictNow => self.taint_evict(pod),
                TaintVerdict::EvictAfter(ms) => {
                    let generation = self.cluster.pods[pod.0 as usize].generation;
                    self.push_fault(
                        self.now.plus_ms(ms),
                        FaultEvent::TaintEviction { pod, generation },
                    );
                }
                TaintVerdict::Tolerated => {}
            }
        }
    }

    /// A pod's toleration timer fired: delete it if its node still carries the taint it
    /// tolerated for that long (a timer of an earlier, removed taint is stale).
    fn taint_eviction_due(&mut self, pod: PodId, generation: u32) {
        let p = &self.cluster.pods[pod.0 as usize];
        if p.generation != generation || p.is_terminated() || p.is_terminating() {
            return;
        }
        let Some(node) = p.node else { return };
        let tainted_at = self.faults.lifecycle.tainted_at(node);
        if tainted_at == SimTime::NEVER {
            return;
        }
        let due = match self.taint_verdict_of(pod, node) {
            TaintVerdict::EvictNow => true,
            TaintVerdict::EvictAfter(ms) => tainted_at.plus_ms(ms) <= self.now,
            TaintVerdict::Tolerated => false,
        };
        if due {
            self.taint_evict(pod);
        }
    }

    /// Deletes `pod` for its node's NoExecute taint. Its node is down, so no kubelet runs a
    /// graceful termination: the pod is gone at once (upstream it stays Terminating until the
    /// node returns or its object is deleted, but the scheduler already ignores it when
    /// counting pods for topology spreading, and the replacement is created at once either
    /// way).
    fn taint_evict(&mut self, pod: PodId) {
        if self.metrics.measuring(self.now) {
            self.metrics.disruptions.taint_evictions += 1;
        }
        self.delete_gracefully(pod, DisruptionReason::DeletionByTaintManager);
        let p = &self.cluster.pods[pod.0 as usize];
        if !p.is_terminated()
            && p.node
                .is_some_and(|n| self.cluster.nodes[n.0 as usize].down)
        {
            self.end_pod(pod, PodPhase::Failed);
        }
    }

    /// The scale of a pod's owner, for PodDisruptionBudgets.
    fn owner_scale(&self, owner: Owner) -> OwnerScale {
        match owner {
            Owner::Deployment(d) => OwnerScale::Scale(self.deployments[d as usize].replicas),
            Owner::StatefulSet(s) => OwnerScale::Scale(self.stateful_sets[s as usize].replicas),
            // The disruption controller finds no scale for DaemonSet pods (its finders cover
            // ReplicationControllers, ReplicaSets, Deployments and StatefulSets).
            Owner::Job(_) | Owner::DaemonSet(_) => OwnerScale::NoScale,
            Owner::Source(_) => OwnerScale::Unmanaged,
        }
    }

    /// Per template id: whether some PodDisruptionBudget selecting its pods allows no
    /// disruption now (the cluster autoscaler's removal planning; empty without budgets).
    pub(super) fn pdb_blocked_templates(&self) -> Vec<bool> {
        if self.pdbs.is_empty() {
            return Vec::new();
        }
        let mut blocked = vec![false; self.cluster.templates.len()];
        for pdb in &self.pdbs {
            let obs = pdb.observe(&self.cluster, &|o| self.owner_scale(o));
            if pdb.disruptions_allowed(&obs) == 0 {
                for (t, template) in self.cluster.templates.iter().enumerate() {
                    if pdb.selects(&template.labels) {
                        blocked[t] = true;
                    }
                }
            }
        }
        blocked
    }

    /// Whether the eviction API would evict `pod` now (the hook drains, including the cluster
    /// autoscaler's, and other voluntary disruptions use).
    pub fn eviction_allowed(&self, pod: PodId) -> bool {
        check_eviction(pod, &self.cluster, &self.pdbs, &|o| self.owner_scale(o)).is_ok()
    }

    /// Cordons `node` and starts draining it (evictions for `cause`), unless a drain is
    /// already in progress.
    fn start_drain(&mut self, node: NodeId, cause: Cause) {
        if self.faults.node(node).drain.is_some() {
            return;
        }
        let seq = self.faults.next_drain();
        self.faults.node(node).drain = Some(Drain { seq, cause });
        self.faults
            .record(self.now, node, NodeEventKind::Drained, cause);
        self.cluster.set_unschedulable(node, true);
        self.drain_step(node);
    }

    /// One pass of a drain (`kubectl drain`): evicts every pod on the node through the
    /// eviction API; if a budget refused some, retries after the retry interval.
    fn drain_step(&mut self, node: NodeId) {
        let Some(drain) = self.faults.node_state(node).and_then(|s| s.drain) else {
            return;
        };
        let pods = self.cluster.nodes[node.0 as usize].pods.clone();
        let mut blocked = false;
        let measuring = self.metrics.measuring(self.now);
        for pod in pods {
            let p = &self.cluster.pods[pod.0 as usize];
            if p.is_terminated() || p.is_terminating() {
                continue;
            }
            let verdict = check_eviction(pod, &self.cluster, &self.pdbs, &|o| self.owner_scale(o));
            match verdict {
                Ok(()) => {
                    if measuring {
                        self.metrics.disruptions.evictions += 1;
                    }
                    self.delete_gracefully(pod, DisruptionReason::EvictionByEvictionApi);
                }
                Err(_) => {
                    if measuring {
                        self.metrics.disruptions.evictions_blocked += 1;
                    }
                    blocked = true;
                }
            }
        }
        if blocked {
            let at = self.now.plus_ms(self.faults.eviction_retry_ms);
            self.push_fault(
                at,
                FaultEvent::DrainRetry {
                    node,
                    drain: drain.seq,
                },
            );
        }
    }

    /// Ends `node`'s drain and uncordons it.
    fn end_drain(&mut self, node: NodeId) {
        self.faults
            .record(self.now, node, NodeEventKind::Uncordoned, Cause::Eviction);
        self.faults.node(node).drain = None;
        if self.cluster.nodes[node.0 as usize].unschedulable {
            self.cluster.set_unschedulable(node, false);
            self.capacity_returned(node);
        }
    }

    /// A spot node's interruption notice: cordon and drain; the instance goes at the end of
    /// the notice. A node that is down (failed, in a dark zone), gone or already interrupted
    /// is not interrupted (returns false).
    fn spot_notice(&mut self, node: NodeId, notice_ms: u64) -> bool {
        let s = self.faults.node(node);
        if s.gone || s.outages > 0 || s.drain.is_some_and(|d| d.cause == Cause::SpotInterruption) {
            return false;
        }
        let incarnation = s.incarnation;
        if self.metrics.measuring(self.now) {
            self.metrics.disruptions.spot_interruptions += 1;
        }
        let spot = Cause::SpotInterruption;
        self.faults
            .record(self.now, node, NodeEventKind::SpotNotice, spot);
        self.push_fault(
            self.now.plus_ms(notice_ms),
            FaultEvent::SpotReclaim { node, incarnation },
        );
        // A maintenance drain in progress becomes the spot drain.
        self.faults.node(node).drain = None;
        self.start_drain(node, Cause::SpotInterruption);
        true
    }

    /// The spot instance is reclaimed: the node is down for good (cordoned, left out of the
    /// zone statistics); pods still on it are deleted at once (the node object goes with the
    /// instance and the pod garbage collector removes its pods); a replacement is launched.
    fn spot_reclaim(&mut self, node: NodeId) {
        let spot = Cause::SpotInterruption;
        self.faults
            .record(self.now, node, NodeEventKind::Reclaimed, spot);
        self.node_goes_down(node, Cause::SpotInterruption);
        let s = self.faults.node(node);
        s.gone = true;
        s.drain = None;
        let incarnation = s.incarnation;
        if self.faults.lifecycle.set_excluded(node, true) {
            self.lifecycle_pass();
        }
        let pods = self.cluster.nodes[node.0 as usize].pods.clone();
        for pod in pods {
            let p = &self.cluster.pods[pod.0 as usize];
            if p.is_terminated() {
                continue;
            }
            if self.metrics.measuring(self.now) {
                self.metrics.disruptions.pods_lost_with_node += 1;
            }
            self.end_pod(pod, PodPhase::Failed);
        }
        let replacement = self
            .faults
            .spot_config(node, &self.cluster)
            .and_then(|s| s.replacement_ms);
        if let Some(ms) = replacement {
            self.push_fault(
                self.now.plus_ms(ms),
                FaultEvent::SpotReplaced { node, incarnation },
            );
        }
    }

    /// A reclaimed spot node's replacement is ready: a fresh instance in the node's place
    /// (Ready, uncordoned, its own failure and interruption processes restarted).
    fn spot_replaced(&mut self, node: NodeId) {
        let spot = Cause::SpotInterruption;
        self.faults
            .record(self.now, node, NodeEventKind::Replaced, spot);
        let s = self.faults.node(node);
        s.incarnation = s.incarnation.wrapping_add(1);
        s.gone = false;
        s.outages = 0;
        s.down_since = SimTime::NEVER;
        s.drain = None;
        self.cluster.set_node_down(node, false);
        let (_, pass) = self.faults.lifecycle.mark_ready(node, &mut self.cluster);
        let pass2 = self.faults.lifecycle.set_excluded(node, false);
        if pass || pass2 {
            self.lifecycle_pass();
        }
        if self.cluster.nodes[node.0 as usize].unschedulable {
            self.cluster.set_unschedulable(node, false);
        }
        self.capacity_returned(node);
        self.start_node_processes(node);
    }

    /// Scheduled fault `i` starts: picks its nodes and fails, interrupts or drains them.
    fn start_scheduled(&mut self, i: usize) {
        let nodes = self.faults.select_nodes(i, &self.cluster);
        let (kind, cause) = (
            self.faults.scheduled[i].kind,
            self.faults.scheduled[i].cause(),
        );
        let hit: Vec<(NodeId, u32)> = nodes
            .iter()
            .map(|&n| (n, self.faults.node(n).incarnation))
            .collect();
        self.faults.scheduled[i].hit = hit;
        if cause == Cause::ZoneOutage && self.metrics.measuring(self.now) {
            self.metrics.disruptions.zone_outages += 1;
        }
        for node in nodes {
            match kind {
                FaultKind::NodeFailure => self.node_goes_down(node, cause),
                FaultKind::Drain => self.start_drain(node, Cause::Eviction),
                FaultKind::SpotInterruption => {
                    let notice = self.faults.scheduled[i].notice_ms.unwrap_or_else(|| {
                        self.faults.spot_config(node, &self.cluster).map_or(
                            crate::disruption::faults::spec::DEFAULT_SPOT_NOTICE_MS,
                            |s| s.notice_ms,
                        )
                    });
                    self.spot_notice(node, notice);
                }
            }
        }
        if let Some(ms) = self.faults.scheduled[i].duration_ms {
            self.push_fault(self.now.plus_ms(ms), FaultEvent::ScheduledEnd(i as u32));
        }
    }

    /// Scheduled fault `i` ends: its failed nodes are repaired, its drained nodes uncordoned
    /// (nodes replaced in the meantime are left alone).
    fn end_scheduled(&mut self, i: usize) {
        let hit = std::mem::take(&mut self.faults.scheduled[i].hit);
        let kind = self.faults.scheduled[i].kind;
        for &(node, incarnation) in &hit {
            if self.faults.node(node).incarnation != incarnation {
                continue;
            }
            match kind {
                FaultKind::NodeFailure => self.node_comes_back(node),
                FaultKind::Drain => {
                    if self
                        .faults
                        .node_state(node)
                        .and_then(|s| s.drain)
                        .is_some_and(|d| d.cause == Cause::Eviction)
                    {
                        self.end_drain(node);
                    }
                }
                FaultKind::SpotInterruption => {}
            }
        }
    }
}

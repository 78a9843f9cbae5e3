//! Engine glue of the kubelet model ([`crate::disruption::kubelet`],
//! [`crate::disruption::eviction`]): container start, readiness, crashes, OOM kills and
//! restarts; the node-pressure eviction manager; and the readiness bookkeeping every
//! controller shares.
//!
//! Per event the work is O(1), except an eviction-manager check of a node under pressure,
//! which ranks that node's pods. Nothing allocates per event.

use super::Simulation;
use super::event::{Event, KubeletTimer};
use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::{DisruptionReason, Lifetime, Owner, PodId, PodPhase};
use crate::cluster::resources::Resources;
use crate::disruption::eviction::{
    CLEANUP_POLL_MS, Candidate, EVICTION_GRACE_MS, MONITORING_INTERVAL_MS, NodeMemory,
    PRESSURE_TRANSITION_MS, pick_victim,
};
use crate::disruption::kubelet::{
    ContainerState, DrawPurpose, ExitReason, Kubelet, KubeletCause, RestartPolicy,
    SYSTEM_CRITICAL_PRIORITY, leaked_memory, oom_after_ms, ready_time,
};
use crate::engine::time::SimTime;

impl Simulation {
    /// The one hook through which the kubelet reports that it disrupted `pod`: its container
    /// crashed or was OOM-killed, or the pod is being evicted under node memory pressure.
    /// Counts the disruption and the batch work it throws away. Incidents are recorded here
    /// once the recovery module exists.
    pub(super) fn pod_disrupted(&mut self, pod: PodId, cause: KubeletCause) {
        if !self.metrics.measuring(self.now) {
            return;
        }
        if let Owner::Deployment(d) = self.cluster.pods[pod.0 as usize].owner {
            let cause = match cause {
                KubeletCause::ContainerCrash => crate::metrics::recovery::Cause::ContainerCrash,
                KubeletCause::OomKill => crate::metrics::recovery::Cause::OomKill,
                KubeletCause::NodePressureEviction => {
                    crate::metrics::recovery::Cause::NodePressureEviction
                }
            };
            self.metrics.recovery.disruption(self.now, d, cause, 1);
        }
        let m = &mut self.metrics.kubelet;
        match cause {
            KubeletCause::ContainerCrash => m.container_crashes += 1,
            KubeletCause::OomKill => m.oom_kills += 1,
            KubeletCause::NodePressureEviction => m.node_pressure_evictions += 1,
        }
        let started = self.kubelet.pods[pod.0 as usize].started;
        let batch = matches!(
            self.cluster.pods[pod.0 as usize].lifetime,
            Lifetime::RunFor(_)
        );
        if batch && started != SimTime::NEVER {
            m.lost_work_ms += self.now.since(started);
        }
    }

    /// Updates the ready-replica bookkeeping after `pod`'s readiness may have changed (Ready
    /// condition, deletion, termination), and wakes its Deployment's rolling update.
    pub(super) fn readiness_changed(&mut self, pod: PodId) {
        let p = &self.cluster.pods[pod.0 as usize];
        // Ready container on a node that is up (see `cluster::readiness`).
        let ready = crate::cluster::readiness::pod_is_ready(p, &self.cluster);
        let owner = p.owner;
        let st = self.kubelet.slot(pod.0 as usize);
        if st.counted_ready == ready {
            return;
        }
        st.counted_ready = ready;
        if let Owner::Deployment(d) = owner {
            self.metrics.recovery.ready_changed(self.now, d, ready);
        }
        if ready && !st.was_ready {
            st.was_ready = true;
            if self.metrics.measuring(self.now) {
                let m = &mut self.metrics.kubelet;
                m.time_to_ready_ms += self.now.since(st.bound);
                m.pods_ready += 1;
            }
        }
        if let Owner::Deployment(d) = owner {
            let d = d as usize;
            let r = &mut self.metrics.kubelet.ready;
            let count = if ready {
                r.ready_of(d) + 1
            } else {
                r.ready_of(d).saturating_sub(1)
            };
            let desired = r.desired_of(d);
            r.set(d, count, desired, self.now, self.metrics.window_start);
            self.wake_rollout(d);
        }
        match owner {
            Owner::StatefulSet(s) => self.wake_stateful_set(s as usize),
            Owner::DaemonSet(_) => self.daemon_pod_readiness_changed(pod),
            _ => {}
        }
        // A load-driven service sends traffic to Ready pods only.
        self.service_pods_changed(pod);
    }

    /// Refreshes Deployment `d`'s desired replicas in the ready-replica metrics (0 before it
    /// is created).
    pub(super) fn refresh_desired_replicas(&mut self, d: usize) {
        let dep = &self.deployments[d];
        let desired = if self.now >= dep.start {
            dep.replicas
        } else {
            0
        };
        let r = &mut self.metrics.kubelet.ready;
        let ready = r.ready_of(d);
        r.set(d, ready, desired, self.now, self.metrics.window_start);
    }

    fn set_ready(&mut self, pod: PodId) {
        let p = &mut self.cluster.pods[pod.0 as usize];
        p.ready_since = self.now;
        p.not_ready_since = SimTime::NEVER;
        self.readiness_changed(pod);
    }

    fn set_not_ready(&mut self, pod: PodId) {
        let p = &mut self.cluster.pods[pod.0 as usize];
        if p.ready_since != SimTime::NEVER || p.not_ready_since == SimTime::NEVER {
            p.not_ready_since = self.now;
        }
        p.ready_since = SimTime::NEVER;
        self.readiness_changed(pod);
    }

    fn push_kubelet(&mut self, at: SimTime, timer: KubeletTimer, pod: PodId) {
        let generation = self.cluster.pods[pod.0 as usize].generation;
        self.queue.push(
            at,
            Event::Kubelet {
                timer,
                pod,
                generation,
            },
        );
    }

    /// A pod was just bound (after `ClusterState::bind` made it Running and Ready): its
    /// container starts now, or after its image pull.
    pub(super) fn kubelet_pod_bound(&mut self, pod: PodId) {
        let p = &self.cluster.pods[pod.0 as usize];
        let profile = &self.kubelet.profiles
            [self.cluster.templates[p.template.0 as usize].kubelet_profile as usize];
        let pull = profile.image_pull.as_ref().map_or(0, |d| {
            self.kubelet.draws.duration_ms(
                d,
                p.name.prefix,
                p.name.ordinal,
                0,
                DrawPurpose::ImagePull,
            )
        });
        let usage = p.usage;
        *self.kubelet.slot(pod.0 as usize) = ContainerState::bound(self.now, usage);
        if pull == 0 {
            self.container_started(pod, false);
        } else {
            self.cluster.set_pod_usage(pod, Resources::ZERO);
            self.set_not_ready(pod);
            self.push_kubelet(self.now.plus_ms(pull), KubeletTimer::ContainerStart, pod);
        }
    }

    /// The pod's container starts now (first start or restart): usage, leak, run-end timer,
    /// its exit (crash or OOM kill) and its readiness.
    fn container_started(&mut self, pod: PodId, restart: bool) {
        let now = self.now;
        let measuring = self.metrics.measuring(now);
        let p = &self.cluster.pods[pod.0 as usize];
        let (prefix, ordinal, limit) = (p.name.prefix, p.name.ordinal, p.limits.memory_bytes);
        let lifetime = p.lifetime;
        let profile_ix = self.cluster.templates[p.template.0 as usize].kubelet_profile as usize;
        let st = &mut self.kubelet.pods[pod.0 as usize];
        let run = st.instance;
        st.instance += 1;
        st.started = now;
        if restart {
            if measuring {
                let m = &mut self.metrics.kubelet;
                m.restarts += 1;
                m.crash_loop_backoff_ms += now.since(st.exited);
            }
            self.cluster.pods[pod.0 as usize].restarts += 1;
        }
        let base = st.base_usage;
        let st_bound = st.bound;
        let profile = &self.kubelet.profiles[profile_ix];
        let leak = profile.memory_leak_per_hour;
        let period = profile.probe_period_ms;
        let delay = profile.readiness_delay.as_ref().map_or(0, |d| {
            self.kubelet
                .draws
                .duration_ms(d, prefix, ordinal, run, DrawPurpose::ReadinessDelay)
        });
        let crash_after = profile
            .crash
            .as_ref()
            .map(|c| self.kubelet.draws.crash_after_ms(c, prefix, ordinal, run));
        let oom_after = oom_after_ms(base.memory_bytes, limit, leak);
        if self.cluster.pods[pod.0 as usize].usage != base {
            self.cluster.set_pod_usage(pod, base);
        }
        if leak > 0 {
            self.kubelet.pods[pod.0 as usize].leak_per_hour = leak;
            let node = self.cluster.pods[pod.0 as usize].node.expect("bound");
            self.node_memory(node).add_leak(leak, now);
            let ws = self.metrics.window_start;
            self.metrics.kubelet.leaks.add(leak, now, now, ws);
        }
        if let Lifetime::RunFor(ms) = lifetime {
            let generation = self.cluster.pods[pod.0 as usize].generation;
            self.queue
                .push(now.plus_ms(ms), Event::PodRunEnd { pod, generation });
        }
        // Readiness first, so that a crash at the same instant follows it.
        let ready_at = ready_time(st_bound, now.plus_ms(delay), period);
        if ready_at == now {
            self.set_ready(pod);
        } else {
            self.set_not_ready(pod);
            self.push_kubelet(ready_at, KubeletTimer::Ready, pod);
        }
        let exit = match (crash_after, oom_after) {
            (Some(c), Some(o)) if o <= c => Some((o, ExitReason::Oom)),
            (Some(c), _) => Some((c, ExitReason::Crash)),
            (None, Some(o)) => Some((o, ExitReason::Oom)),
            (None, None) => None,
        };
        self.kubelet.pods[pod.0 as usize].exit = exit.map(|e| e.1);
        if let Some((after, _)) = exit {
            self.push_kubelet(now.plus_ms(after), KubeletTimer::Exit, pod);
        }
        if let Some(node) = self.cluster.pods[pod.0 as usize].node {
            self.node_memory_changed(node);
        }
    }

    /// Stops the pod's running container (crash, OOM kill): its timers are cancelled (the
    /// generation moves on; a trace deletion time is re-armed), it uses nothing and is not
    /// Ready.
    fn container_stopped(&mut self, pod: PodId) {
        let now = self.now;
        let p = &mut self.cluster.pods[pod.0 as usize];
        p.generation = p.generation.wrapping_add(1);
        let (generation, lifetime, created, node) = (p.generation, p.lifetime, p.created, p.node);
        if let Lifetime::DeleteAfter(ms) = lifetime {
            self.queue.push(
                created.plus_ms(ms).max(now),
                Event::PodDeletion { pod, generation },
            );
        }
        self.stop_leak(pod);
        let st = &mut self.kubelet.pods[pod.0 as usize];
        st.started = SimTime::NEVER;
        st.exited = now;
        self.cluster.set_pod_usage(pod, Resources::ZERO);
        self.set_not_ready(pod);
        if let Some(node) = node {
            self.node_memory_changed(node);
        }
    }

    fn stop_leak(&mut self, pod: PodId) {
        let st = &mut self.kubelet.pods[pod.0 as usize];
        let (leak, started) = (st.leak_per_hour, st.started);
        if leak == 0 {
            return;
        }
        st.leak_per_hour = 0;
        if let Some(node) = self.cluster.pods[pod.0 as usize].node {
            self.node_memory(node).remove_leak(leak, started);
        }
        let ws = self.metrics.window_start;
        self.metrics
            .kubelet
            .leaks
            .remove(leak, started, self.now, ws);
    }

    /// A bound pod is about to terminate (before `ClusterState::terminate`): its container
    /// stops and it leaves the ready counts.
    pub(super) fn kubelet_pod_ended(&mut self, pod: PodId) {
        if self.cluster.pods[pod.0 as usize].node.is_none() {
            return;
        }
        self.stop_leak(pod);
        let st = &mut self.kubelet.pods[pod.0 as usize];
        st.started = SimTime::NEVER;
        st.evicting = false;
        let p = &mut self.cluster.pods[pod.0 as usize];
        p.ready_since = SimTime::NEVER;
        self.readiness_changed(pod);
    }

    /// Handles a kubelet timer of a pod (stale timers are skipped).
    pub(super) fn on_kubelet_timer(&mut self, timer: KubeletTimer, pod: PodId, generation: u32) {
        let p = &self.cluster.pods[pod.0 as usize];
        if p.generation != generation || p.phase != PodPhase::Running {
            return;
        }
        match timer {
            KubeletTimer::ContainerStart => {
                let restart = self.kubelet.pods[pod.0 as usize].instance > 0;
                self.container_started(pod, restart);
            }
            KubeletTimer::Ready => self.set_ready(pod),
            KubeletTimer::Exit => self.container_exited(pod),
            KubeletTimer::EvictionKill => self.end_pod(pod, PodPhase::Failed),
        }
    }

    /// The container crashed or was OOM-killed: report it, then restart it after the
    /// CrashLoopBackOff delay, or fail the pod (restart policy Never).
    fn container_exited(&mut self, pod: PodId) {
        let st = &mut self.kubelet.pods[pod.0 as usize];
        let cause = match st.exit.take() {
            Some(ExitReason::Oom) => KubeletCause::OomKill,
            _ => KubeletCause::ContainerCrash,
        };
        self.pod_disrupted(pod, cause);
        self.container_stopped(pod);
        let p = &self.cluster.pods[pod.0 as usize];
        let policy = self.kubelet.profiles
            [self.cluster.templates[p.template.0 as usize].kubelet_profile as usize]
            .restart_policy;
        if policy == RestartPolicy::Never {
            if let Owner::Job(j) = self.cluster.pods[pod.0 as usize].owner {
                self.jobs[j as usize].container_failed = Some(pod);
            }
            self.end_pod(pod, PodPhase::Failed);
            return;
        }
        let restart = self.kubelet.pods[pod.0 as usize]
            .backoff
            .restart_at(self.now);
        if restart == self.now {
            self.container_started(pod, true);
        } else {
            self.push_kubelet(restart, KubeletTimer::ContainerStart, pod);
        }
    }

    /// Leaking containers' memory beyond their start value at `now` [bytes] (the cluster
    /// totals hold them at their start value).
    pub(super) fn leaked_memory_now(&self) -> u64 {
        self.metrics.kubelet.leaks.leaked_at(self.now)
    }

    /// Backoff still being waited out at the end of the run, inside the measured window [ms]
    /// (for `crash_loop_backoff_s`; waits that ended are counted at the restart).
    pub fn outstanding_backoff_ms(&self) -> u64 {
        let from = self.metrics.window_start;
        self.kubelet
            .pods
            .iter()
            .zip(&self.cluster.pods)
            .filter(|(st, p)| {
                p.phase == PodPhase::Running
                    && st.started == SimTime::NEVER
                    && st.exited != SimTime::NEVER
                    && !p.is_terminating()
            })
            .map(|(st, _)| self.now.since(st.exited.max(from)))
            .sum()
    }

    // --- Node-pressure eviction ---

    /// The eviction state of `node`, grown on demand (each node's synchronization grid starts
    /// when it joined).
    fn node_memory(&mut self, node: NodeId) -> &mut NodeMemory {
        while self.kubelet.nodes.len() <= node.0 as usize {
            let created = self.cluster.nodes[self.kubelet.nodes.len()].created;
            self.kubelet.nodes.push(NodeMemory::new(created));
        }
        &mut self.kubelet.nodes[node.0 as usize]
    }

    /// Memory use on `node` changed (a pod bound, a container started or stopped): schedule
    /// its eviction manager's next check if it must come earlier than the pending one.
    pub(super) fn node_memory_changed(&mut self, node: NodeId) {
        let n = &self.cluster.nodes[node.0 as usize];
        if !self.kubelet.may_need_check(node, n) {
            return;
        }
        let (base, allocatable) = (n.usage.memory_bytes, n.allocatable.memory_bytes);
        let now = self.now;
        if let Some(t) = self
            .node_memory(node)
            .required_check(base, allocatable, now)
        {
            self.arm_eviction_check(node, t);
        }
    }

    fn arm_eviction_check(&mut self, node: NodeId, at: SimTime) {
        let nm = self.node_memory(node);
        if at >= nm.armed_at {
            return;
        }
        nm.armed_at = at;
        nm.generation = nm.generation.wrapping_add(1);
        let generation = nm.generation;
        self.queue
            .push(at, Event::EvictionCheck { node, generation });
    }

    /// One synchronization of `node`'s eviction manager (`managerImpl.synchronize`): sets or
    /// clears the MemoryPressure condition and evicts at most one pod.
    pub(super) fn eviction_check(&mut self, node: NodeId, generation: u32) {
        let now = self.now;
        let nm = self.node_memory(node);
        if nm.generation != generation || nm.armed_at != now {
            return;
        }
        nm.armed_at = SimTime::NEVER;
        let n = &self.cluster.nodes[node.0 as usize];
        if !n.is_alive() {
            return;
        }
        let (base, allocatable) = (n.usage.memory_bytes, n.allocatable.memory_bytes);
        let nm = &mut self.kubelet.nodes[node.0 as usize];
        if nm.threshold_met(base, allocatable, now) {
            nm.last_met = now;
            if !nm.pressure {
                nm.pressure = true;
                self.cluster.set_memory_pressure(node, true);
            }
            match self.eviction_victim(node) {
                Some(victim) => {
                    self.evict(victim);
                    let next = now.plus_ms(EVICTION_GRACE_MS + CLEANUP_POLL_MS);
                    self.kubelet.nodes[node.0 as usize].anchor = next;
                    self.arm_eviction_check(node, next);
                }
                None => self.arm_eviction_check(node, now.plus_ms(MONITORING_INTERVAL_MS)),
            }
            return;
        }
        if nm.pressure && now.since(nm.last_met) >= PRESSURE_TRANSITION_MS {
            nm.pressure = false;
            self.cluster.set_memory_pressure(node, false);
            // The taint is gone: parked pods may fit there now.
            self.node_capacity_grew(node);
            if self.scheduling_queue.unschedulable_len() > 0 {
                self.arm_flush();
            }
            self.request_cycle();
        }
        self.node_memory_changed(node);
    }

    /// The pod the memory ranking picks on `node` (`rankMemoryPressure`), skipping critical
    /// pods and pods already terminating.
    fn eviction_victim(&self, node: NodeId) -> Option<PodId> {
        let now = self.now;
        let candidates = self.cluster.nodes[node.0 as usize]
            .pods
            .iter()
            .filter_map(|&q| {
                let p = &self.cluster.pods[q.0 as usize];
                let st = &self.kubelet.pods[q.0 as usize];
                let eligible = p.phase == PodPhase::Running
                    && !p.is_terminating()
                    && !st.evicting
                    && p.priority < SYSTEM_CRITICAL_PRIORITY;
                eligible.then(|| Candidate {
                    pod: q,
                    priority: p.priority,
                    usage: st.memory_at(now),
                    request: p.requests.memory_bytes,
                })
            });
        pick_victim(candidates).map(|c| c.pod)
    }

    /// Evicts `pod` (hard eviction): killed after a 1 s grace period, then Failed with reason
    /// Evicted; its controller replaces it then. PodDisruptionBudgets are not consulted.
    fn evict(&mut self, pod: PodId) {
        self.pod_disrupted(pod, KubeletCause::NodePressureEviction);
        self.kubelet.pods[pod.0 as usize].evicting = true;
        let p = &mut self.cluster.pods[pod.0 as usize];
        p.generation = p.generation.wrapping_add(1);
        p.disruption = Some(DisruptionReason::TerminationByKubelet);
        self.set_not_ready(pod);
        self.push_kubelet(
            self.now.plus_ms(EVICTION_GRACE_MS),
            KubeletTimer::EvictionKill,
            pod,
        );
    }
}

/// The metrics sample the HPA sees of a pod whose container does not simply run from its bind
/// time at a constant usage (start-up latency, restarts, a memory leak): cpu averaged over the
/// window before the last scrape with the current container run's usage (0 before it
/// started), memory at the scrape including the leak. `None` for other pods (sampled as
/// before). Only the current container run is known: a pod that restarted since the scrape
/// shows the new run.
pub(super) fn hpa_sample(
    kubelet: &Kubelet,
    cluster: &ClusterState,
    server: crate::autoscale::hpa::metrics_lag::MetricsServer,
    now: SimTime,
    id: PodId,
    pod: &crate::cluster::pod::Pod,
) -> Option<Option<crate::autoscale::horizontal::PodSample>> {
    if pod.phase != PodPhase::Running {
        return None;
    }
    let profile = cluster.templates[pod.template.0 as usize].kubelet_profile as usize;
    if kubelet.profiles[profile].is_instant() {
        return None;
    }
    let st = kubelet.pods.get(id.0 as usize)?;
    let ts = server.last_scrape_ms(now.as_ms());
    let window_start = ts.checked_sub(server.resolution_ms);
    if window_start.is_none_or(|w| pod.scheduled.as_ms() > w) {
        return Some(None);
    }
    let window_start = window_start.unwrap_or(ts);
    let started = st.started.as_ms();
    let cpu = if st.started == SimTime::NEVER || started >= ts {
        0
    } else if started <= window_start || ts == window_start {
        st.base_usage.cpu_milli
    } else {
        (u128::from(st.base_usage.cpu_milli) * u128::from(ts - started)
            / u128::from(ts - window_start)) as u64
    };
    let memory = if st.started == SimTime::NEVER || started > ts {
        0
    } else {
        leaked_memory(st.base_usage.memory_bytes, st.leak_per_hour, ts - started)
    };
    Some(Some(crate::autoscale::horizontal::PodSample {
        cpu_milli: cpu,
        memory_bytes: memory,
        at: SimTime(ts),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscale::hpa::metrics_lag::MetricsServer;
    use crate::cluster::NewPod;
    use crate::cluster::node::NodePool;
    use crate::cluster::pod::{PodName, PodTemplate};
    use crate::disruption::kubelet::KubeletProfile;

    #[test]
    fn hpa_samples_follow_the_container_run_and_the_leak() {
        let mut c = ClusterState::default();
        let pool = c.add_pool(NodePool::for_tests(Resources::cpu_mem(4000, 8 << 30)));
        let node = c.add_node(pool, "n".into(), None, SimTime::ZERO);
        let mut k = Kubelet::new(1);
        // 3600 bytes/h: 1 byte per second.
        let profile = k.add_profile(KubeletProfile {
            memory_leak_per_hour: 3600,
            ..KubeletProfile::default()
        });
        let t = c.add_template(PodTemplate {
            kubelet_profile: profile,
            ..PodTemplate::default()
        });
        let prefix = c.add_name_prefix("p-");
        let name = PodName {
            prefix,
            ordinal: 0,
            width: 0,
        };
        let mut new = NewPod::bare(name, Resources::cpu_mem(500, 2000), t);
        new.usage = Resources::cpu_mem(200, 1000);
        let pod = c.create_pod(new, SimTime::ZERO);
        c.bind(pod, node, SimTime::ZERO);
        let st = k.slot(pod.0 as usize);
        *st = ContainerState::bound(SimTime::ZERO, Resources::cpu_mem(200, 1000));
        st.started = SimTime::ZERO;
        st.leak_per_hour = 3600;
        let server = MetricsServer {
            resolution_ms: 15_000,
        };
        let sample = |k: &Kubelet, now: u64| {
            hpa_sample(k, &c, server, SimTime(now), pod, &c.pods[pod.0 as usize])
        };
        // At 40 s the last scrape was at 30 s: 1000 + 30 bytes, the full cpu.
        let s = sample(&k, 40_000).unwrap().unwrap();
        assert_eq!(
            (s.cpu_milli, s.memory_bytes, s.at),
            (200, 1030, SimTime(30_000))
        );
        // Before a whole window has passed since the pod started: no sample yet.
        assert_eq!(sample(&k, 10_000), Some(None));
        // A run restarted at 20 s: cpu over [15 s, 30 s) is 200 for 10 of 15 s; memory grew
        // from 1000 for 10 s.
        k.pods[pod.0 as usize].started = SimTime(20_000);
        let s = sample(&k, 40_000).unwrap().unwrap();
        assert_eq!((s.cpu_milli, s.memory_bytes), (133, 1010));
        // Not running (backing off): nothing used.
        k.pods[pod.0 as usize].started = SimTime::NEVER;
        let s = sample(&k, 40_000).unwrap().unwrap();
        assert_eq!((s.cpu_milli, s.memory_bytes), (0, 0));
    }
}

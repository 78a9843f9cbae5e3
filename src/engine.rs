//! The discrete-event engine: one loop that pops the earliest event and hands it to the
//! controller that owns it, integrating metrics at every event boundary.

mod controllers;
pub mod event;
mod faults;
mod kubelet;
pub mod periodic;
pub mod queue;
pub mod rng;
pub mod rollout;
pub mod time;
pub mod work;

use crate::autoscale::cluster_autoscaler::{ClusterAutoscaler, EVICTION_RETRY_MS};
use crate::autoscale::horizontal::{HpaTarget, TargetScale};
use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::{DisruptionReason, Lifetime, Owner, PodId, PodPhase, TemplateId};
use crate::disruption::pdb::{OwnerScale, PodDisruptionBudget};
use crate::error::Result;
use crate::metrics::Metrics;
use crate::report::{GroupSample, Sample};
use crate::scheduler::explain::Explanation;
use crate::scheduler::preemption::{Outcome, Preemption};
use crate::scheduler::queue::{FLUSH_PERIOD_MS, SchedulingQueue, backoff_ms};
use crate::scheduler::retry_memo::RetryMemo;
use crate::scheduler::{Decision, Scheduler};
use crate::workload::deployment::DeploymentController;
use crate::workload::job::JobController;
use crate::workload::{PodArrival, WorkloadSource};
use event::Event;
use periodic::PeriodicBatch;
use queue::EventQueue;
use rng::SimRng;
use time::SimTime;

/// Failed attempts after which a pod's retries consult the retry memo even when they are cheap
/// (no preemption dry run): by then it is likely to keep failing, and the memo answers a futile
/// retry in time proportional to the nodes that changed since its class was last checked.
const RETRIES_BEFORE_MEMO: u32 = 3;

/// A workload source with the engine-side state the engine keeps for it.
pub struct SourceSlot {
    /// Source name (for errors and outputs).
    pub name: String,
    /// The stream.
    pub source: Box<dyn WorkloadSource>,
    /// The next arrival, read ahead by one.
    pub next: Option<PodArrival>,
    /// Template per template slot (slot 0 = the source's default).
    pub templates: Vec<TemplateId>,
    /// Default priority for arrivals that carry none.
    pub default_priority: i32,
    /// Pod name prefix index.
    pub prefix: u32,
    /// Zero-padding width of pod ordinals.
    pub name_width: u8,
    /// Run every pod until the end, ignoring the lifetimes the source gives.
    pub ignore_lifetimes: bool,
}

/// A fully built simulation, ready to run.
pub struct Simulation {
    /// Cluster state.
    pub cluster: ClusterState,
    /// The scheduler.
    pub scheduler: Box<dyn Scheduler>,
    /// Scheduler random stream.
    pub scheduler_rng: SimRng,
    /// Pods waiting to be scheduled.
    pub scheduling_queue: SchedulingQueue,
    /// Workload sources.
    pub sources: Vec<SourceSlot>,
    /// Deployments.
    pub deployments: Vec<DeploymentController>,
    /// Jobs (the scenario's, then those CronJobs create).
    pub jobs: Vec<JobController>,
    /// StatefulSets.
    pub stateful_sets: Vec<crate::workload::stateful_set::StatefulSetController>,
    /// DaemonSets.
    pub daemon_sets: Vec<crate::workload::daemon_set::DaemonSetController>,
    /// CronJobs.
    pub cron_jobs: Vec<crate::workload::cron_job::CronJobController>,
    /// Metrics.
    pub metrics: Metrics,
    /// Time-series samples.
    pub samples: Vec<Sample>,
    /// Sampling period [ms].
    pub sample_interval_ms: u64,
    /// End of the simulation.
    pub end: SimTime,
    queue: EventQueue<Event>,
    now: SimTime,
    cycle_pending: bool,
    /// Whether an `UnschedulableFlush` event is scheduled.
    flush_armed: bool,
    /// Nodes whose free capacity grew since the last scheduling cycle (deduplicated by flag).
    grown_nodes: Vec<NodeId>,
    grown_flag: Vec<bool>,
    events: u64,
    new_pods: Vec<PodId>,
    /// Reusable buffer: a service's ready pods while the kubelet checks their nodes.
    service_pods: Vec<PodId>,
    /// Scratch list of a StatefulSet HPA target's pods (reused across syncs).
    hpa_pods: Vec<PodId>,
    /// Load-driven services.
    pub services: Vec<crate::workload::service::Service>,
    /// Per Deployment: its service, if load-driven.
    service_of: Vec<Option<u32>>,
    /// `services.csv` rows.
    pub service_samples: Vec<crate::report::ServiceSample>,
    /// Horizontal Pod Autoscalers.
    pub hpas: Vec<crate::autoscale::horizontal::HorizontalController>,
    /// Custom metric series (Pods, Object and External HPA metrics).
    pub custom_metrics: crate::autoscale::metric_feed::MetricFeed,
    /// `hpa.csv` rows: every HPA sync, or (with `output.hpaLog: changes`) the syncs whose
    /// recommendation, outcome or reason changed.
    pub hpa_rows: Vec<crate::report::HpaRow>,
    /// `hpa_metrics.csv` rows: each metric of the syncs logged to `hpa_rows` (kept only with
    /// `hpa_metrics_log`).
    pub hpa_metric_rows: Vec<crate::report::HpaMetricRow>,
    /// Log each metric of the logged syncs (set when an HPA has several metrics or a
    /// non-Resource one).
    pub hpa_metrics_log: bool,
    /// Per HPA: its last decision logged to `hpa_rows`.
    hpa_last_logged: Vec<Option<crate::autoscale::hpa::HpaDecision>>,
    /// Next sync of each HPA (one `HpaSyncs` event per instant).
    hpa_due: PeriodicBatch,
    /// Next load tick of each service (one `LoadTicks` event per instant).
    tick_due: PeriodicBatch,
    /// Log every HPA sync (`output.hpaLog: all`), not only the changes.
    pub hpa_log_all: bool,
    /// Set by `kubesim explain`: capture the target pod's scheduling attempts.
    pub explain: Option<ExplainRequest>,
    /// PodDisruptionBudgets.
    pub pdbs: Vec<PodDisruptionBudget>,
    /// DefaultPreemption (PostFilter) and the nominated pods; `None` when disabled.
    pub preemption: Option<Preemption>,
    /// Stop the run at the next event boundary.
    stop: bool,
    /// The first events are queued (a run may be resumed after moving `end`).
    primed: bool,
    /// Some pods wait for other pods (required pod affinity or hard topology spread), so a
    /// pod being bound can make parked pods schedulable.
    pods_wait_on_pods: bool,
    /// The cluster autoscaler, when the scenario enables it.
    pub autoscaler: Option<ClusterAutoscaler>,
    /// Per-pool samples (`nodes_by_group.csv`, `cost.svg`), one per pool per sample.
    pub group_samples: Vec<GroupSample>,
    // --- Kubelet and rolling updates (engine/kubelet.rs, engine/rollout.rs) ---
    /// Container lifecycle and node-pressure eviction state.
    pub kubelet: crate::disruption::kubelet::Kubelet,
    /// Planned and started rollouts.
    pub rollouts: rollout::Rollouts,
    /// Fault injection and the node lifecycle controller (see `engine/faults.rs`).
    pub faults: crate::disruption::faults::Faults,
    /// The work budget, checked every few thousand events (see [`crate::budget`]).
    pub budget: crate::budget::RunBudget,
    /// Outcomes of retried pods known without running the attempt.
    retry_memo: RetryMemo,
    /// Scheduling attempts and PostFilter runs (see [`Simulation::work`]).
    attempts: u64,
    /// Scheduling attempts that bound their pod.
    binds: u64,
    preemption_attempts: u64,
}

/// What `kubesim explain` asks about: a pod by name, and optionally a time.
#[derive(Clone, Debug)]
pub struct ExplainRequest {
    /// Pod name.
    pub pod: String,
    /// Explain at this time instead of at the pod's scheduling attempts.
    pub at: Option<SimTime>,
    /// The latest explanation captured.
    pub result: Option<Explanation>,
}

/// Whether pods of `t` can become schedulable when another pod is bound.
fn waits_on_pods(t: &crate::cluster::pod::PodTemplate) -> bool {
    !t.pod_affinity.required_affinity.is_empty()
        || t.spread.iter().any(|c| {
            c.when_unsatisfiable == crate::cluster::pod_affinity::WhenUnsatisfiable::DoNotSchedule
        })
}

/// Delay before a controller replaces a pod the kubelet rejected at admission [ms] (upstream
/// controllers retry through rate-limited work queues; kubesim uses a fixed delay).
pub const ADMISSION_RETRY_MS: u64 = 10_000;

/// How many events pass between progress callbacks.
const PROGRESS_EVERY: u64 = 1 << 16;

impl Simulation {
    /// Assembles a simulation from its parts (see [`crate::scenario::build`]).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cluster: ClusterState,
        scheduler: Box<dyn Scheduler>,
        scheduler_rng: SimRng,
        sources: Vec<SourceSlot>,
        deployments: Vec<DeploymentController>,
        jobs: Vec<JobController>,
        sample_interval_ms: u64,
        end: SimTime,
    ) -> Self {
        Simulation {
            cluster,
            scheduler,
            scheduler_rng,
            scheduling_queue: SchedulingQueue::default(),
            sources,
            deployments,
            jobs,
            stateful_sets: Vec::new(),
            daemon_sets: Vec::new(),
            cron_jobs: Vec::new(),
            metrics: Metrics::default(),
            samples: Vec::new(),
            sample_interval_ms: sample_interval_ms.max(1),
            end,
            queue: EventQueue::with_capacity(1024),
            now: SimTime::ZERO,
            cycle_pending: false,
            flush_armed: false,
            grown_nodes: Vec::new(),
            grown_flag: Vec::new(),
            events: 0,
            new_pods: Vec::new(),
            service_pods: Vec::new(),
            hpa_pods: Vec::new(),
            services: Vec::new(),
            service_of: Vec::new(),
            service_samples: Vec::new(),
            hpas: Vec::new(),
            custom_metrics: Default::default(),
            hpa_rows: Vec::new(),
            hpa_metric_rows: Vec::new(),
            hpa_metrics_log: false,
            hpa_last_logged: Vec::new(),
            hpa_due: PeriodicBatch::default(),
            tick_due: PeriodicBatch::default(),
            hpa_log_all: true,
            explain: None,
            pdbs: Vec::new(),
            preemption: None,
            stop: false,
            primed: false,
            pods_wait_on_pods: false,
            autoscaler: None,
            group_samples: Vec::new(),
            kubelet: crate::disruption::kubelet::Kubelet::default(),
            rollouts: rollout::Rollouts::default(),
            faults: crate::disruption::faults::Faults::none(),
            budget: crate::budget::RunBudget::default(),
            retry_memo: RetryMemo::default(),
            attempts: 0,
            binds: 0,
            preemption_attempts: 0,
        }
        .with_pod_hints()
    }

    /// Installs the load-driven services (each names its Deployment).
    pub fn set_services(&mut self, services: Vec<crate::workload::service::Service>) {
        self.service_of = vec![None; self.deployments.len()];
        for (i, s) in services.iter().enumerate() {
            self.service_of[s.deployment as usize] = Some(i as u32);
        }
        self.services = services;
    }

    fn with_pod_hints(mut self) -> Self {
        self.pods_wait_on_pods = self.cluster.templates.iter().any(waits_on_pods);
        let names = self.deployments.iter().map(|d| d.name.clone()).collect();
        self.metrics.recovery = crate::metrics::recovery::Recovery::new(names, SimTime::ZERO);
        self
    }

    /// The scheduling work done so far.
    pub fn work(&self) -> work::WorkCounters {
        let (dry_runs, nodes) = self
            .preemption
            .as_ref()
            .map_or((0, 0), |p| (p.dry_runs, p.nodes_dry_run));
        work::WorkCounters {
            scheduling_attempts: self.attempts,
            pods_bound: self.binds,
            preemption_attempts: self.preemption_attempts,
            preemption_dry_runs: dry_runs,
            nodes_dry_run: nodes,
            answered_by_retry_memo: self.retry_memo.stats.answered,
            retry_memo_node_checks: self.retry_memo.stats.node_checks,
        }
    }

    /// Number of events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.events
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Runs to the end time. `progress` is called now and then with the current time.
    pub fn run(&mut self, progress: &mut dyn FnMut(SimTime)) -> Result<()> {
        if !self.primed {
            self.primed = true;
            self.prime()?;
        }
        while let Some(t) = self.queue.peek_time() {
            if t > self.end {
                break;
            }
            let (t, event) = self.queue.pop().expect("peeked");
            self.metrics.advance(t, &self.cluster.totals);
            self.now = t;
            self.events += 1;
            self.dispatch(event)?;
            self.metrics.observe_peaks(t, &self.cluster.totals);
            if self.events.is_multiple_of(PROGRESS_EVERY) {
                progress(t);
            }
            if self.events >= self.budget.next_check {
                self.budget.check(self.events, t.as_ms())?;
            }
            if self.stop {
                return Ok(());
            }
        }
        self.metrics.advance(self.end, &self.cluster.totals);
        self.now = self.end;
        Ok(())
    }

    fn prime(&mut self) -> Result<()> {
        self.metrics
            .observe_peaks(SimTime::ZERO, &self.cluster.totals);
        self.queue.push(SimTime::ZERO, Event::Sample);
        for (i, d) in self.deployments.iter().enumerate() {
            self.queue.push(d.start, Event::DeploymentStart(i as u32));
        }
        for (i, j) in self.jobs.iter().enumerate() {
            self.queue.push(j.start, Event::JobStart(i as u32));
        }
        let start = |d: u32| self.deployments[d as usize].start;
        let target_start = |t: HpaTarget| match t {
            HpaTarget::Deployment(d) => start(d),
            HpaTarget::StatefulSet(s) => self.stateful_sets[s as usize].start,
        };
        self.hpa_due = PeriodicBatch::new(self.hpas.iter().map(|h| target_start(h.target)));
        if let Some(t) = self.hpa_due.next() {
            self.queue.push(t, Event::HpaSyncs);
        }
        self.tick_due = PeriodicBatch::new(self.services.iter().map(|s| start(s.deployment)));
        if let Some(t) = self.tick_due.next() {
            self.queue.push(t, Event::LoadTicks);
        }
        for (i, r) in self.rollouts.planned.iter().enumerate() {
            self.queue.push(r.at, Event::RolloutStart(i as u32));
        }
        for i in 0..self.sources.len() {
            self.pull_source(i)?;
        }
        if self.autoscaler.is_some() {
            self.queue.push(SimTime::ZERO, Event::AutoscalerScan);
        }
        self.prime_faults();
        self.prime_controllers();
        Ok(())
    }

    /// Reads the next arrival of source `i` and schedules its event.
    fn pull_source(&mut self, i: usize) -> Result<()> {
        let slot = &mut self.sources[i];
        slot.next = slot.source.next_arrival()?;
        if let Some(a) = &slot.next {
            // Sources guarantee non-decreasing times; clamp defensively to keep time monotone.
            self.queue
                .push(a.time.max(self.now), Event::SourceArrival(i as u32));
        }
        Ok(())
    }

    fn dispatch(&mut self, event: Event) -> Result<()> {
        match event {
            Event::SourceArrival(i) => self.on_arrival(i as usize)?,
            Event::DeploymentStart(i) => {
                self.deployment_synced(i as usize);
                let mut out = std::mem::take(&mut self.new_pods);
                self.deployments[i as usize].reconcile(&mut self.cluster, self.now, &mut out);
                self.enqueue_new(&mut out);
                self.new_pods = out;
                self.refresh_desired_replicas(i as usize);
            }
            Event::JobStart(i) => {
                let mut out = std::mem::take(&mut self.new_pods);
                self.jobs[i as usize].reconcile(&mut self.cluster, self.now, &mut out);
                self.enqueue_new(&mut out);
                self.new_pods = out;
            }
            Event::PodRunEnd { pod, generation } => {
                if self.cluster.pods[pod.0 as usize].generation == generation {
                    self.end_pod(pod, PodPhase::Succeeded);
                }
            }
            Event::PodDeletion { pod, generation } => {
                let p = &self.cluster.pods[pod.0 as usize];
                if p.generation == generation && !p.is_terminated() {
                    if p.phase == PodPhase::Pending {
                        self.scheduling_queue.remove(pod, &self.cluster);
                        if self.metrics.measuring(self.now) {
                            self.metrics.pods_deleted_while_pending += 1;
                        }
                        self.end_pod(pod, PodPhase::Failed);
                    } else {
                        self.end_pod(pod, PodPhase::Succeeded);
                    }
                }
            }
            Event::GracefulTerminationEnd { pod, generation } => {
                let p = &self.cluster.pods[pod.0 as usize];
                if p.generation == generation && !p.is_terminated() {
                    self.end_pod(pod, PodPhase::Failed);
                }
            }
            Event::ScheduleCycle => self.schedule_cycle(),
            Event::BackoffExpired { pod, generation } => {
                let p = &self.cluster.pods[pod.0 as usize];
                if p.generation == generation && p.phase == PodPhase::Pending {
                    self.scheduling_queue.push(pod, p.priority, p.created);
                    self.request_cycle();
                }
            }
            Event::UnschedulableFlush => {
                self.flush_armed = false;
                let later = self
                    .scheduling_queue
                    .flush(self.now, self.cluster.capacity_epoch);
                self.release_parked();
                if later {
                    self.arm_flush();
                }
                self.request_cycle();
            }
            Event::HpaSyncs => {
                // Each member counts as one event in `events_processed`.
                self.events -= 1;
                for i in 0..self.hpa_due.len() {
                    if self.hpa_due.is_due(i, self.now) {
                        self.events += 1;
                        self.sync_hpa(i);
                        let next = self.now.plus_ms(self.hpas[i].config.sync_period_ms);
                        self.hpa_due.reschedule(i, next, self.end);
                    }
                }
                if let Some(t) = self.hpa_due.next() {
                    self.queue.push(t, Event::HpaSyncs);
                }
            }
            Event::LoadTicks => {
                self.events -= 1;
                for i in 0..self.tick_due.len() {
                    if self.tick_due.is_due(i, self.now) {
                        self.events += 1;
                        self.update_service(i, false);
                        let tick = self.services[i].tick_ms;
                        let next = SimTime((self.now.as_ms() / tick + 1) * tick);
                        self.tick_due.reschedule(i, next, self.end);
                    }
                }
                if let Some(t) = self.tick_due.next() {
                    self.queue.push(t, Event::LoadTicks);
                }
            }
            Event::Fault(e) => {
                self.on_fault(e);
                self.nodes_changed();
            }
            Event::Controller(e) => self.on_controller_event(e),
            Event::Sample => {
                self.metrics.recovery.sample(self.now);
                self.record_sample();
                let next = self.now.plus_ms(self.sample_interval_ms);
                if next <= self.end {
                    self.queue.push(next, Event::Sample);
                }
            }
            Event::AutoscalerScan => self.autoscaler_scan(),
            Event::NodeProvisioned(node) => self.on_node_provisioned(node),
            Event::NodeScaleDown(node) => self.on_node_scale_down(node),
            Event::Kubelet {
                timer,
                pod,
                generation,
            } => self.on_kubelet_timer(timer, pod, generation),
            Event::EvictionCheck { node, generation } => self.eviction_check(node, generation),
            Event::RolloutStart(i) => self.start_rollout(i as usize),
            Event::RolloutSync(d) => self.sync_rollout(d as usize),
            Event::RolloutDeadline {
                deployment,
                generation,
            } => self.rollout_deadline(deployment as usize, generation),
        }
        Ok(())
    }

    // --- Cluster autoscaler (src/autoscale/cluster_autoscaler.rs) ----------------------------

    /// One autoscaler loop; schedules the nodes it requested and the deletions it started.
    fn autoscaler_scan(&mut self) {
        if self.autoscaler.is_none() {
            return;
        }
        // Pods whose PodDisruptionBudget allows no disruption now block their node's removal.
        let blocked = self.pdb_blocked_templates();
        let Some(ca) = self.autoscaler.as_mut() else {
            return;
        };
        ca.pdb_blocked_templates = blocked;
        if !self.daemon_sets.is_empty() {
            let overhead = crate::workload::daemon_set::template_overhead(
                &self.daemon_sets,
                ca.groups.iter().map(|g| g.pool),
                &self.cluster,
                self.now,
            );
            ca.daemon_overhead = overhead;
        }
        ca.scan(
            self.now,
            &mut self.cluster,
            &mut *self.scheduler,
            &self.scheduling_queue,
        );
        let interval = ca.config.scan_interval_ms;
        let mut actions = std::mem::take(&mut ca.actions);
        for &(node, at) in &actions.ready_at {
            self.queue.push(at, Event::NodeProvisioned(node));
        }
        for &(node, at) in &actions.delete_at {
            self.queue.push(at, Event::NodeScaleDown(node));
        }
        for &node in &actions.removed {
            self.after_node_removed(node);
        }
        actions.ready_at.clear();
        actions.delete_at.clear();
        actions.removed.clear();
        if let Some(ca) = self.autoscaler.as_mut() {
            ca.actions = actions;
        }
        let next = self.now.plus_ms(interval);
        if next <= self.end {
            self.queue.push(next, Event::AutoscalerScan);
        }
    }

    /// Bills and counts a node `ClusterState::remove_node` just removed.
    fn after_node_removed(&mut self, node: NodeId) {
        self.nodes_changed();
        let ws = self.metrics.window_start;
        self.metrics.cost.on_node_removed(&self.cluster, node, ws);
        if self.metrics.measuring(self.now) {
            self.metrics.nodes_removed += 1;
        }
    }

    /// A requested node finished booting: it joins the cluster and parked pods may take it.
    fn on_node_provisioned(&mut self, node: NodeId) {
        if self.cluster.nodes[node.0 as usize].state
            != crate::cluster::node::NodeState::Provisioning
        {
            return;
        }
        self.cluster.node_ready(node, self.now);
        self.nodes_changed();
        if self.metrics.measuring(self.now) {
            self.metrics.nodes_added += 1;
        }
        if let Some(ca) = self.autoscaler.as_mut() {
            ca.on_node_ready(node, self.now, &self.cluster);
        }
        self.node_capacity_grew(node);
        self.request_cycle();
    }

    /// The delete delay after tainting `node` is over: evict its pods (their owners replace
    /// them) and remove it. Evictions the eviction API refuses are retried every 10 s for up
    /// to `maxPodEvictionTime`, then the deletion fails.
    fn on_node_scale_down(&mut self, node: NodeId) {
        let Some(d) = self.autoscaler.as_ref().and_then(|ca| ca.deletion(node)) else {
            return;
        };
        let (daemon_pods, pods): (Vec<PodId>, Vec<PodId>) = self.cluster.nodes[node.0 as usize]
            .pods
            .iter()
            .partition(|&&p| matches!(self.cluster.pods[p.0 as usize].owner, Owner::DaemonSet(_)));
        if !d.drain && !pods.is_empty() {
            let reason = format!("not empty any more: {} pods scheduled on it", pods.len());
            if let Some(ca) = self.autoscaler.as_mut() {
                ca.on_deletion_failed(node, self.now, &mut self.cluster, reason);
            }
            return;
        }
        let mut refused = 0;
        let mut evicted = 0;
        for &pod in &pods {
            if !self.eviction_allowed(pod) {
                refused += 1;
                continue;
            }
            if self.metrics.measuring(self.now) {
                self.metrics.pods_evicted += 1;
            }
            evicted += 1;
            self.end_pod_with(pod, PodPhase::Failed, None);
        }
        if refused > 0 {
            let ca = self.autoscaler.as_mut().expect("checked");
            let deadline = d.started.plus_ms(
                ca.config.node_delete_delay_after_taint_ms + ca.config.max_pod_eviction_time_ms,
            );
            if self.now < deadline {
                self.queue.push(
                    self.now.plus_ms(EVICTION_RETRY_MS),
                    Event::NodeScaleDown(node),
                );
            } else {
                let reason = format!("{refused} pods could not be evicted");
                ca.on_deletion_failed(node, self.now, &mut self.cluster, reason);
            }
            return;
        }
        // DaemonSet pods are not moved: they stop with their node.
        for pod in daemon_pods {
            self.end_pod(pod, PodPhase::Failed);
        }
        self.cluster.remove_node(node, self.now);
        self.after_node_removed(node);
        if let Some(ca) = self.autoscaler.as_mut() {
            ca.on_node_removed(node, self.now, evicted, &self.cluster);
        }
    }

    fn on_arrival(&mut self, i: usize) -> Result<()> {
        let Some(a) = self.sources[i].next.take() else {
            return Ok(());
        };
        let template = self.template_for(i, a.template_slot);
        let slot = &self.sources[i];
        let new = crate::cluster::NewPod {
            name: crate::cluster::pod::PodName {
                prefix: slot.prefix,
                ordinal: a.ordinal,
                width: slot.name_width,
            },
            requests: a.requests,
            limits: a.limits,
            usage: a.usage,
            priority: a.priority.unwrap_or(slot.default_priority),
            template,
            owner: Owner::Source(i as u32),
            lifetime: if slot.ignore_lifetimes {
                Lifetime::Forever
            } else {
                a.lifetime
            },
        };
        let id = self.cluster.create_pod(new, self.now);
        let mut out = std::mem::take(&mut self.new_pods);
        out.push(id);
        self.enqueue_new(&mut out);
        self.new_pods = out;
        self.pull_source(i)
    }

    /// The template for `slot` of source `i`, deriving it (base labels + the slot's label) on
    /// first use.
    fn template_for(&mut self, i: usize, slot: u32) -> TemplateId {
        let s = slot as usize;
        if let Some(&t) = self.sources[i].templates.get(s) {
            return t;
        }
        let base = self.sources[i].templates[0];
        let mut template = self.cluster.templates[base.0 as usize].clone();
        if let Some((k, v)) = self.sources[i].source.slot_labels(slot) {
            let (k, v) = (
                self.cluster.interner.intern(k),
                self.cluster.interner.intern(v),
            );
            let mut pairs = template.labels.pairs().to_vec();
            pairs.push((k, v));
            template.labels = crate::cluster::labels::Labels::new(pairs);
        }
        let id = self.cluster.add_template(template);
        // Slots are handed out densely in first-use order by the sources.
        let templates = &mut self.sources[i].templates;
        while templates.len() <= s {
            templates.push(id);
        }
        id
    }

    /// Queues freshly created pods for scheduling and arms their deletion timers.
    fn enqueue_new(&mut self, pods: &mut Vec<PodId>) {
        let measuring = self.metrics.measuring(self.now);
        for &id in pods.iter() {
            if measuring {
                self.metrics.pods_created += 1;
            }
            let p = &self.cluster.pods[id.0 as usize];
            if let Lifetime::DeleteAfter(ms) = p.lifetime {
                let generation = p.generation;
                self.queue.push(
                    self.now.plus_ms(ms),
                    Event::PodDeletion {
                        pod: id,
                        generation,
                    },
                );
            }
            let template = &self.cluster.templates[p.template.0 as usize];
            if let Some(node) = template.node_name {
                self.bind_directly(id, node);
                continue;
            }
            // No scheduler profile is responsible for the pod: it stays Pending, unqueued.
            if template.scheduler_profile == crate::cluster::pod::NO_PROFILE {
                continue;
            }
            self.scheduling_queue.push(id, p.priority, p.created);
        }
        pods.clear();
        self.request_cycle();
    }

    /// A pod with `nodeName` skips the scheduler: the kubelet admits it if it fits the node
    /// (`GeneralPredicates` in pkg/kubelet/lifecycle/predicate.go: resources, pod count, node
    /// selector/affinity) and otherwise rejects it, failing the pod (e.g. `OutOfcpu`).
    fn bind_directly(&mut self, pod: PodId, node: NodeId) {
        let p = &self.cluster.pods[pod.0 as usize];
        let n = &self.cluster.nodes[node.0 as usize];
        let affinity = &self.cluster.templates[p.template.0 as usize].node_affinity;
        let resolve = |s| self.cluster.interner.resolve(s);
        let affinity_ok = affinity.is_empty()
            || self
                .cluster
                .interner
                .get(crate::cluster::LABEL_HOSTNAME)
                .is_some_and(|k| {
                    affinity.admits(&crate::scheduler::plugins::node_affinity::view(
                        n,
                        &self.cluster,
                        k,
                        &resolve,
                    ))
                });
        // Under MemoryPressure the kubelet rejects BestEffort pods that do not tolerate the
        // memory-pressure taint (eviction manager `Admit`).
        let pressure_ok = !n.memory_pressure
            || p.qos != crate::cluster::pod::QosClass::BestEffort
            || self.cluster.tolerates_memory_pressure(
                &self.cluster.templates[p.template.0 as usize].tolerations,
            );
        let admitted = n.is_alive()
            && affinity_ok
            && pressure_ok
            && crate::scheduler::plugins::node_resources_fit::kubelet_admits(p, n, &self.cluster);
        if admitted {
            self.cluster.bind(pod, node, self.now);
            self.on_bound(pod);
        } else {
            if self.metrics.measuring(self.now) {
                self.metrics.pods_rejected_at_admission += 1;
            }
            self.end_pod_with(pod, PodPhase::Failed, Some(ADMISSION_RETRY_MS));
        }
    }

    /// Queueing hint for a pod add (InterPodAffinity, PodTopologySpread): parked pods that
    /// wait for other pods are retried when a pod some selector counts is bound.
    fn requeue_pods_waiting_on(&mut self, bound: PodId) {
        let template = self.cluster.pods[bound.0 as usize].template;
        if !self.pods_wait_on_pods
            || self.scheduling_queue.unschedulable_len() == 0
            || !self.cluster.topology.is_tracked(template)
        {
            return;
        }
        let cluster = &self.cluster;
        let released = self.scheduling_queue.release_where(|p| {
            waits_on_pods(&cluster.templates[cluster.pods[p.0 as usize].template.0 as usize])
        });
        if released > 0 {
            self.release_parked();
        }
    }

    /// One HPA sync: compute the decision, log it if something changed, and scale the
    /// target (a Deployment, or a StatefulSet through its ordered controller) to the final
    /// replica count.
    fn sync_hpa(&mut self, i: usize) {
        let target = self.hpas[i].target;
        let mut set_pods = std::mem::take(&mut self.hpa_pods);
        let decision = {
            let (hpas, cluster) = (&mut self.hpas, &self.cluster);
            let (feed, services) = (&mut self.custom_metrics, &self.services);
            let (scale, load_driven) = match target {
                HpaTarget::Deployment(d) => {
                    let d = d as usize;
                    let dep = &self.deployments[d];
                    let scale = TargetScale {
                        replicas: dep.replicas,
                        pods: &dep.pods,
                    };
                    (scale, self.service_of.get(d).copied().flatten().is_some())
                }
                HpaTarget::StatefulSet(s) => {
                    // The pods the set owns, in ordinal order (`status.replicas` counts them).
                    let set = &self.stateful_sets[s as usize];
                    set_pods.clear();
                    set_pods.extend(set.slots.iter().flatten().map(|slot| slot.pod));
                    let scale = TargetScale {
                        replicas: set.replicas,
                        pods: &set_pods,
                    };
                    (scale, false)
                }
            };
            let server = hpas[i].metrics_server;
            let kubelet = &self.kubelet;
            let now = self.now;
            hpas[i].sync(
                self.now,
                cluster,
                scale,
                // A load-driven pod carries the sample its service recorded at the last scrape.
                |id, pod| match load_driven {
                    true => Some(pod.metrics_sample),
                    false => kubelet::hpa_sample(kubelet, cluster, server, now, id, pod),
                },
                feed,
                services,
            )
        };
        self.hpa_pods = set_pods;
        if self.hpa_last_logged.len() < self.hpas.len() {
            self.hpa_last_logged.resize(self.hpas.len(), None);
        }
        let changed = self.hpa_log_all
            || self.hpa_last_logged[i].is_none_or(|last| !last.same_outcome(&decision));
        if changed || decision.rescaled() {
            self.hpa_last_logged[i] = Some(decision);
            // Deployments are named as they are; StatefulSets as `StatefulSet/<name>`.
            let name: std::borrow::Cow<'_, str> = match target {
                HpaTarget::Deployment(d) => self.deployments[d as usize].name.as_str().into(),
                HpaTarget::StatefulSet(s) => {
                    format!("StatefulSet/{}", self.stateful_sets[s as usize].name).into()
                }
            };
            let row = crate::report::HpaRow::new(&name, &decision);
            self.hpa_rows.push(row);
            if self.hpa_metrics_log {
                crate::report::HpaMetricRow::rows(
                    &name,
                    decision.time_ms,
                    &self.hpas[i].spec,
                    self.hpas[i].metric_results(),
                    &mut self.hpa_metric_rows,
                );
            }
        }
        if decision.rescaled() {
            let replicas = decision.final_replicas.max(0) as u32;
            match target {
                HpaTarget::Deployment(d) => self.scale_deployment(d as usize, replicas),
                HpaTarget::StatefulSet(s) => self.scale_stateful_set(s as usize, replicas),
            }
        }
    }

    /// Accounts service `i`'s requests up to now and re-splits its load among its ready pods.
    fn update_service(&mut self, i: usize, pods_changed: bool) {
        let d = self.services[i].deployment as usize;
        let window = self.metrics.window_start;
        let served = self.services[i].update(
            self.now,
            &self.deployments[d].pods,
            pods_changed,
            &mut self.cluster,
            window,
        );
        self.metrics.requests_total += served.demand;
        self.metrics.requests_unserved += served.unserved;
        // Memory that follows the load may cross the kubelet's eviction threshold.
        if self.services[i].model.memory_per_rps_bytes > 0.0 {
            let mut ready = std::mem::take(&mut self.service_pods);
            ready.clear();
            ready.extend_from_slice(self.services[i].ready_ids());
            for &pod in &ready {
                // `node_memory_changed` starts with the same test; asking it here first keeps
                // the common no-check case free of the call (measurably, per pod and tick).
                if let Some(node) = self.cluster.pods[pod.0 as usize].node
                    && self
                        .kubelet
                        .may_need_check(node, &self.cluster.nodes[node.0 as usize])
                {
                    self.node_memory_changed(node);
                }
            }
            self.service_pods = ready;
        }
    }

    /// Re-splits the load of `pod`'s service, if it belongs to one (its ready set changed).
    fn service_pods_changed(&mut self, pod: PodId) {
        if let Owner::Deployment(d) = self.cluster.pods[pod.0 as usize].owner
            && let Some(Some(s)) = self.service_of.get(d as usize).copied()
        {
            self.update_service(s as usize, true);
        }
    }

    /// Sets Deployment `d` to `replicas`: creates the missing pods or deletes the surplus.
    fn scale_deployment(&mut self, d: usize, replicas: u32) {
        self.deployments[d].replicas = replicas;
        self.deployment_synced(d);
        self.refresh_desired_replicas(d);
        if self.deployments[d].is_rolling() {
            // The rolling update absorbs the new count (proportional scaling of the
            // ReplicaSets is not modelled).
            self.wake_rollout(d);
            return;
        }
        let mut out = std::mem::take(&mut self.new_pods);
        let dep = &mut self.deployments[d];
        dep.reconcile(&mut self.cluster, self.now, &mut out);
        let mut surplus = Vec::new();
        dep.surplus(&self.cluster, self.now, &mut surplus);
        self.enqueue_new(&mut out);
        self.new_pods = out;
        for pod in surplus {
            self.delete_pod(pod);
        }
    }

    /// Deletes a pod (a controller scaling down): it leaves the scheduling queue if pending
    /// and frees its node at once (graceful termination is not modelled).
    fn delete_pod(&mut self, pod: PodId) {
        if self.cluster.pods[pod.0 as usize].phase == PodPhase::Pending {
            self.scheduling_queue.remove(pod, &self.cluster);
        }
        self.end_pod(pod, PodPhase::Failed);
    }

    /// Bookkeeping after a pod is bound: preemption state, metrics, and the kubelet (container
    /// start, readiness, run-end timer).
    fn on_bound(&mut self, pod: PodId) {
        if let Some(pre) = self.preemption.as_mut() {
            pre.on_bound(self.cluster.pods[pod.0 as usize].priority);
            pre.clear_nomination(pod, &mut self.cluster);
        }
        let p = &self.cluster.pods[pod.0 as usize];
        if self.metrics.measuring(self.now) {
            self.metrics.pods_scheduled += 1;
            self.metrics.pending.record(self.now.since(p.created));
        }
        // The kubelet starts the container (and arms a run-to-completion pod's run end).
        self.kubelet_pod_bound(pod);
        self.after_bound(pod);
        self.service_pods_changed(pod);
    }

    fn request_cycle(&mut self) {
        let work = self.scheduling_queue.active_len() > 0
            || (!self.grown_nodes.is_empty() && self.scheduling_queue.unschedulable_len() > 0);
        if !self.cycle_pending && work {
            self.cycle_pending = true;
            self.queue.push(self.now, Event::ScheduleCycle);
        }
    }

    /// Records that `node` gained free capacity; parked pods are reconsidered for it at the
    /// next scheduling cycle.
    fn node_capacity_grew(&mut self, node: NodeId) {
        let i = node.0 as usize;
        if self.grown_flag.len() <= i {
            self.grown_flag
                .resize(self.cluster.nodes.len().max(i + 1), false);
        }
        if !self.grown_flag[i] {
            self.grown_flag[i] = true;
            self.grown_nodes.push(node);
        }
    }

    /// Releases parked pods that may now fit a grown node; returns how many became active (the
    /// others wait out their backoff).
    fn activate_parked(&mut self) -> usize {
        for k in 0..self.grown_nodes.len() {
            let node = self.grown_nodes[k];
            self.grown_flag[node.0 as usize] = false;
            // Pods nominated to the node are retried whatever the queue-order budget says: the
            // room was freed for them (upstream requeues every pod the freed room could fit).
            if let Some(pre) = self.preemption.as_ref().filter(|p| p.has_nominations()) {
                for pod in pre.nominated_to(node, &self.cluster) {
                    self.scheduling_queue.release(pod, &self.cluster);
                }
            }
            let (scheduler, cluster) = (&mut self.scheduler, &self.cluster);
            self.scheduling_queue
                .activate_for_node(node, cluster, |pod| scheduler.feasible(pod, node, cluster));
        }
        self.grown_nodes.clear();
        self.release_parked()
    }

    /// Sends the pods the queue released to the active queue, or to a backoff timer while they
    /// are still backing off (upstream `isPodBackingoff`). Returns how many became active.
    fn release_parked(&mut self) -> usize {
        let released = self.scheduling_queue.take_released();
        let mut active = 0;
        for &(pod, since) in &released {
            let p = &self.cluster.pods[pod.0 as usize];
            let ready_at = since.plus_ms(backoff_ms(p.failed_attempts));
            if self.now < ready_at {
                let generation = p.generation;
                self.queue
                    .push(ready_at, Event::BackoffExpired { pod, generation });
            } else {
                self.scheduling_queue.push(pod, p.priority, p.created);
                active += 1;
            }
        }
        self.scheduling_queue.return_released(released);
        active
    }

    /// Schedules the next unschedulable-pods flush, unless one is pending.
    fn arm_flush(&mut self) {
        if !self.flush_armed {
            self.flush_armed = true;
            self.queue
                .push(self.now.plus_ms(FLUSH_PERIOD_MS), Event::UnschedulableFlush);
        }
    }

    fn schedule_cycle(&mut self) {
        self.cycle_pending = false;
        loop {
            self.drain_active_queue();
            if self.grown_nodes.is_empty() || self.activate_parked() == 0 {
                break;
            }
        }
        self.grown_nodes
            .iter()
            .for_each(|n| self.grown_flag[n.0 as usize] = false);
        self.grown_nodes.clear();
    }

    fn drain_active_queue(&mut self) {
        while let Some(pod) = self.scheduling_queue.pop() {
            // Nominated pods of at least this priority hold their nominated room
            // (`addNominatedPods`) for the decision and any preemption it triggers.
            if let Some(p) = self.preemption.as_mut() {
                p.add_nominated_pods(pod, &mut self.cluster);
            }
            let explaining = self
                .explain
                .as_ref()
                .is_some_and(|e| e.at.is_none() && self.cluster.pod_name(pod) == e.pod);
            if explaining {
                self.capture_explanation(pod);
            }
            self.attempts += 1;
            // The retry memo pays off where a failed attempt is expensive (PostFilter would
            // compute every node's status and dry-run the candidates) or keeps failing.
            let dry_run = self
                .preemption
                .as_ref()
                .is_some_and(|p| p.would_dry_run(pod, &self.cluster));
            let known_futile = if !explaining
                && (dry_run
                    || self.cluster.pods[pod.0 as usize].failed_attempts >= RETRIES_BEFORE_MEMO)
            {
                let preempts = self
                    .preemption
                    .as_ref()
                    .is_some_and(|p| p.may_preempt(pod, &self.cluster));
                self.retry_memo
                    .known_futile(pod, preempts, &mut self.cluster, &mut *self.scheduler)
            } else {
                None
            };
            let (decision, outcome) = match known_futile {
                // The outcome the attempt would have, with the same random draws.
                Some(potential) => (
                    Decision::Unschedulable,
                    self.preemption
                        .as_mut()
                        .map(|p| p.post_filter_without_candidates(pod, &self.cluster, potential)),
                ),
                None => {
                    let decision = self.decide(pod);
                    let outcome = match decision {
                        Decision::Unschedulable => self.post_filter(pod),
                        Decision::Bind(_) => None,
                    };
                    (decision, outcome)
                }
            };
            if decision == Decision::Unschedulable && self.preemption.is_some() {
                self.preemption_attempts += 1;
            }
            if let Some(p) = self.preemption.as_mut() {
                p.remove_nominated_pods(&mut self.cluster);
            }
            match decision {
                Decision::Bind(node) => {
                    if explaining {
                        self.set_explained_choice(Some(node));
                        self.stop = true;
                    }
                    self.binds += 1;
                    self.cluster.bind(pod, node, self.now);
                    self.on_bound(pod);
                    self.requeue_pods_waiting_on(pod);
                }
                Decision::Unschedulable => {
                    if self.metrics.measuring(self.now) {
                        self.metrics.unschedulable_attempts += 1;
                    }
                    if let Some(outcome) = outcome {
                        self.apply_preemption(pod, outcome);
                    }
                    self.cluster.pods[pod.0 as usize].failed_attempts += 1;
                    let epoch = self.cluster.capacity_epoch;
                    self.scheduling_queue
                        .park_unschedulable(pod, &self.cluster, self.now, epoch);
                    self.arm_flush();
                }
            }
        }
    }

    /// One scheduling decision: the pod's nominated node first, if it passes the filters
    /// (`evaluateNominatedNode`), otherwise a full cycle of the scheduler.
    fn decide(&mut self, pod: PodId) -> Decision {
        if let Some(node) = self.cluster.pods[pod.0 as usize].nominated_node
            && self.cluster.nodes[node.0 as usize].is_alive()
            && self.scheduler.feasible(pod, node, &self.cluster)
        {
            return Decision::Bind(node);
        }
        self.scheduler
            .schedule(pod, &self.cluster, &mut self.scheduler_rng)
    }

    /// Runs preemption for a pod that fits nowhere (`None` when preemption is disabled).
    fn post_filter(&mut self, pod: PodId) -> Option<Outcome> {
        let preemption = self.preemption.as_mut()?;
        let deployments = &self.deployments;
        let stateful_sets = &self.stateful_sets;
        let scale_of = |owner: Owner| match owner {
            Owner::Deployment(d) => OwnerScale::Scale(deployments[d as usize].replicas),
            Owner::StatefulSet(s) => OwnerScale::Scale(stateful_sets[s as usize].replicas),
            Owner::Job(_) | Owner::DaemonSet(_) => OwnerScale::NoScale,
            Owner::Source(_) => OwnerScale::Unmanaged,
        };
        Some(preemption.post_filter(
            pod,
            &mut self.cluster,
            &mut *self.scheduler,
            &self.pdbs,
            &scale_of,
        ))
    }

    /// Carries out a preemption outcome for `pod`: deletes the victims, clears lower-priority
    /// nominations to the node and nominates it (`prepareCandidate` and the PostFilter result).
    fn apply_preemption(&mut self, pod: PodId, outcome: Outcome) {
        let Some(pre) = self.preemption.as_mut() else {
            return;
        };
        match outcome {
            Outcome::NotEligible => {}
            Outcome::NoCandidate => pre.clear_nomination(pod, &mut self.cluster),
            Outcome::Preempted(candidate) => {
                let priority = self.cluster.pods[pod.0 as usize].priority;
                pre.clear_lower_priority_nominations(candidate.node, priority, &mut self.cluster);
                pre.nominate(pod, candidate.node, &mut self.cluster);
                let mut deleted = 0;
                for &victim in &candidate.victims {
                    // A victim already being deleted is not deleted again.
                    if !self.cluster.pods[victim.0 as usize].is_terminating() {
                        self.delete_gracefully(victim, DisruptionReason::PreemptionByScheduler);
                        deleted += 1;
                    }
                }
                if self.metrics.measuring(self.now) {
                    self.metrics.preemptions += 1;
                    self.metrics.preemption_victims += deleted;
                    self.metrics.preemption_pdb_violations += u64::from(candidate.pdb_violations);
                }
            }
        }
    }

    /// Starts the graceful deletion of a bound pod: it keeps running and holding its resources
    /// for its termination grace period, and its owner replaces it at once (the ReplicaSet and
    /// Job controllers do not count terminating pods).
    fn delete_gracefully(&mut self, pod: PodId, reason: DisruptionReason) {
        let was_ready = self.pod_ready(pod);
        let generation = self.cluster.begin_deletion(pod, self.now, reason);
        self.after_deletion_started(pod, was_ready, reason);
        let p = &self.cluster.pods[pod.0 as usize];
        let grace = self.cluster.templates[p.template.0 as usize].termination_grace_ms();
        self.queue.push(
            self.now.plus_ms(grace),
            Event::GracefulTerminationEnd { pod, generation },
        );
        let mut out = std::mem::take(&mut self.new_pods);
        self.notify_owner(pod, false, None, &mut out);
        self.enqueue_new(&mut out);
        self.new_pods = out;
    }

    /// Tells a pod's owner that the pod is gone (`succeeded` or not); the owner may create
    /// replacements into `out`.
    fn notify_owner(
        &mut self,
        pod: PodId,
        succeeded: bool,
        defer_ms: Option<u64>,
        out: &mut Vec<PodId>,
    ) {
        match self.cluster.pods[pod.0 as usize].owner {
            Owner::Deployment(d) => {
                let dep = &mut self.deployments[d as usize];
                dep.on_pod_terminated(pod);
                match defer_ms {
                    Some(ms) => self
                        .queue
                        .push(self.now.plus_ms(ms), Event::DeploymentStart(d)),
                    None => dep.reconcile(&mut self.cluster, self.now, out),
                }
            }
            Owner::Job(j) => {
                let job = &mut self.jobs[j as usize];
                let was_finished = job.is_finished();
                if job.on_pod_terminated(pod, succeeded, self.now) {
                    self.job_failed(j as usize);
                }
                if !was_finished && self.jobs[j as usize].is_finished() {
                    self.job_finished(j as usize);
                }
                let job = &mut self.jobs[j as usize];
                if job.not_before > self.now && !job.is_finished() {
                    self.queue.push(job.not_before, Event::JobStart(j));
                }
                match defer_ms {
                    Some(ms) => self.queue.push(self.now.plus_ms(ms), Event::JobStart(j)),
                    None => job.reconcile(&mut self.cluster, self.now, out),
                }
            }
            Owner::StatefulSet(s) => self.stateful_set_pod_gone(s as usize, pod),
            Owner::DaemonSet(s) => self.daemon_set_pod_gone(s as usize, pod),
            Owner::Source(_) => {}
        }
        self.service_pods_changed(pod);
    }

    /// Records the scheduler's per-node view of `pod` now into the explain request.
    fn capture_explanation(&mut self, pod: PodId) {
        let nodes = self
            .scheduler
            .explain_placement(pod, &self.cluster)
            .unwrap_or_default();
        let nominated = self.cluster.pods[pod.0 as usize]
            .nominated_node
            .map(|n| self.cluster.nodes[n.0 as usize].name.clone());
        if let Some(req) = &mut self.explain {
            req.result = Some(Explanation {
                pod: req.pod.clone(),
                time_ms: self.now.as_ms(),
                chosen: None,
                nominated,
                nodes,
            });
        }
    }

    fn set_explained_choice(&mut self, node: Option<NodeId>) {
        let name = node.map(|n| self.cluster.nodes[n.0 as usize].name.clone());
        if let Some(Some(result)) = self.explain.as_mut().map(|r| r.result.as_mut()) {
            result.chosen = name;
        }
    }

    /// Explains the target pod at the current time: for a pending pod, what the scheduler would
    /// decide now; for a running pod, the node it runs on. Returns false if no such pod exists.
    pub fn explain_now(&mut self) -> bool {
        let Some(target) = self.explain.as_ref().map(|e| e.pod.clone()) else {
            return false;
        };
        let found = (0..self.cluster.pods.len() as u32)
            .map(PodId)
            .filter(|&p| !self.cluster.pods[p.0 as usize].is_terminated())
            .find(|&p| self.cluster.pod_name(p) == target);
        let Some(pod) = found else { return false };
        if let Some(pre) = self.preemption.as_mut() {
            pre.add_nominated_pods(pod, &mut self.cluster);
        }
        self.capture_explanation(pod);
        let chosen = match self.cluster.pods[pod.0 as usize].node {
            Some(node) => Some(node),
            None => match self.decide(pod) {
                Decision::Bind(node) => Some(node),
                Decision::Unschedulable => None,
            },
        };
        if let Some(pre) = self.preemption.as_mut() {
            pre.remove_nominated_pods(&mut self.cluster);
        }
        self.set_explained_choice(chosen);
        true
    }

    /// Terminates a pod, frees its node, tells its owner (unless it already knew, when the
    /// pod's graceful deletion started) and re-activates waiting pods.
    fn end_pod(&mut self, pod: PodId, phase: PodPhase) {
        self.end_pod_with(pod, phase, None);
    }

    /// [`Simulation::end_pod`], with the owner's reconcile deferred by `defer_ms` if given
    /// (so a controller whose pods are rejected at once does not loop at one instant).
    fn end_pod_with(&mut self, pod: PodId, phase: PodPhase, defer_ms: Option<u64>) {
        self.kubelet_pod_ended(pod);
        let p = &self.cluster.pods[pod.0 as usize];
        let (owner_knows, priority) = (p.is_terminating(), p.priority);
        self.before_pod_ends(pod, phase);
        let node = self.cluster.terminate(pod, phase, self.now);
        if let Some(pre) = self.preemption.as_mut() {
            pre.clear_nomination(pod, &mut self.cluster);
            if node.is_some() {
                pre.on_unbound(priority);
            }
        }
        if phase == PodPhase::Succeeded && self.metrics.measuring(self.now) {
            self.metrics.pods_succeeded += 1;
        }
        let mut out = std::mem::take(&mut self.new_pods);
        if !owner_knows {
            self.notify_owner(pod, phase == PodPhase::Succeeded, defer_ms, &mut out);
        } else {
            self.owner_saw_end(pod);
        }
        if let Some(node) = node {
            self.node_capacity_grew(node);
            if self.scheduling_queue.unschedulable_len() > 0 {
                self.arm_flush();
            }
        }
        self.enqueue_new(&mut out);
        self.new_pods = out;
        self.request_cycle();
    }

    fn record_service_samples(&mut self) {
        for s in &self.services {
            let dep = &self.deployments[s.deployment as usize];
            let (mut ready, mut used, mut requested) = (0u32, 0u64, 0u64);
            for &id in &dep.pods {
                let p = &self.cluster.pods[id.0 as usize];
                if crate::cluster::readiness::pod_is_ready(p, &self.cluster) {
                    ready += 1;
                    used += p.usage.cpu_milli;
                    requested += p.requests.cpu_milli;
                }
            }
            self.service_samples.push(crate::report::ServiceSample {
                time_s: self.now.as_secs_f64(),
                service: dep.name.clone(),
                load_rps: s.rate_rps,
                replicas: dep.replicas,
                ready_pods: ready,
                cpu_utilization_percent: if requested > 0 {
                    used as f64 * 100.0 / requested as f64
                } else {
                    0.0
                },
                unserved_rps: s.unserved_rps,
            });
        }
    }

    fn record_sample(&mut self) {
        self.record_service_samples();
        let provisioning = self
            .autoscaler
            .as_ref()
            .map(|ca| ca.provisioning_nodes())
            .unwrap_or_default();
        let cost = self.metrics.cost.totals_at(
            &self.cluster,
            &provisioning,
            self.metrics.window_start,
            self.now,
        );
        self.record_group_samples(&provisioning, &cost.per_pool);
        let t = &self.cluster.totals;
        self.samples.push(Sample {
            time_s: self.now.as_secs_f64(),
            nodes: t.nodes,
            nodes_in_use: t.nodes_in_use,
            cpu_allocatable_cores: t.allocatable.cpu_milli as f64 / 1000.0,
            cpu_requested_ratio: crate::metrics::ratio(
                u128::from(t.requested.cpu_milli),
                u128::from(t.allocatable.cpu_milli),
            ),
            memory_requested_ratio: crate::metrics::ratio(
                u128::from(t.requested.memory_bytes),
                u128::from(t.allocatable.memory_bytes),
            ),
            cpu_used_ratio: crate::metrics::ratio(
                u128::from(t.usage.cpu_milli),
                u128::from(t.allocatable.cpu_milli),
            ),
            memory_used_ratio: crate::metrics::ratio(
                u128::from(t.usage.memory_bytes + self.leaked_memory_now()),
                u128::from(t.allocatable.memory_bytes),
            ),
            cpu_stranded_ratio: crate::metrics::ratio(
                u128::from(t.stranded.cpu_milli),
                u128::from(t.allocatable.cpu_milli),
            ),
            memory_stranded_ratio: crate::metrics::ratio(
                u128::from(t.stranded.memory_bytes),
                u128::from(t.allocatable.memory_bytes),
            ),
            running_pods: t.running_pods,
            pending_pods: t.pending_pods,
            cost_rate_usd_per_hour: t.cost_rate_micro_usd_per_hour as f64 / 1e6,
            cost_cumulative_usd: crate::metrics::cost::micro_usd_ms_to_usd(cost.total),
        });
    }

    /// One `nodes_by_group.csv` row per node pool: ready and provisioning nodes, cost rate and
    /// the pool's cost so far.
    fn record_group_samples(&mut self, provisioning: &[NodeId], cost_per_pool: &[u128]) {
        let pools = self.cluster.pools.len();
        let mut ready = vec![0u64; pools];
        let mut booting = vec![0u64; pools];
        for &n in &self.cluster.live_nodes {
            ready[self.cluster.nodes[n.0 as usize].pool.0 as usize] += 1;
        }
        for &n in provisioning {
            booting[self.cluster.nodes[n.0 as usize].pool.0 as usize] += 1;
        }
        for (i, pool) in self.cluster.pools.iter().enumerate() {
            let rate = crate::cluster::price_micro_usd(pool.hourly_price_usd) as f64 / 1e6;
            self.group_samples.push(GroupSample {
                time_s: self.now.as_secs_f64(),
                group: pool.name.clone(),
                spot: pool.spot,
                nodes: ready[i],
                nodes_provisioning: booting[i],
                cost_rate_usd_per_hour: rate * (ready[i] + booting[i]) as f64,
                cost_cumulative_usd: crate::metrics::cost::micro_usd_ms_to_usd(
                    cost_per_pool.get(i).copied().unwrap_or(0),
                ),
            });
        }
    }
}

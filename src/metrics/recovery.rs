//! Incidents, recovery times (MTTR) and availability per workload.
//!
//! A workload (a Deployment) is *degraded* while it has fewer ready replicas than desired.
//! An **incident** opens when a disruption (a node failure, a zone outage, a spot interruption,
//! an eviction, a preemption, a container crash, ...) leaves a workload degraded, and closes
//! when the workload is back to its desired ready replicas; its recovery time is the time in
//! between. A disruption hitting a workload that already has an open incident joins it (the
//! incident keeps its first cause and counts the pods of both). An incident that closes at the
//! instant it opened (a replacement was ready at once) is not recorded: the workload was never
//! degraded for any time. A workload degraded for another
//! reason (its pods cannot be scheduled at creation, an HPA scale-up waits for capacity) has no
//! incident, but the time still counts against its availability.
//!
//! Callers keep the ready counts up to date with [`Recovery::ready_changed`] (or the absolute
//! [`Recovery::observe_workload`]) and report disruptions with [`Recovery::disruption`] *after*
//! applying the readiness change the disruption caused, so that the incident opens only if the
//! workload is actually degraded.
//!
//! Availability is time-weighted from the workload's creation (or the end of the warm-up) to
//! the end of the run: the fraction of that time with ready ≥ desired, and with at least one
//! ready replica. Incidents that start during the warm-up are left out.

use super::pending::PendingTimes;
use crate::engine::time::SimTime;

/// What disrupted a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// A node failed (crash, lost heartbeats).
    NodeFailure,
    /// A whole zone went dark.
    ZoneOutage,
    /// A spot node was reclaimed (drain at the notice, then loss).
    SpotInterruption,
    /// A voluntary eviction through the eviction API (maintenance drain).
    Eviction,
    /// The scheduler preempted the pod for a higher-priority one.
    Preemption,
    /// A container crashed (restarted by the kubelet).
    ContainerCrash,
    /// A container was OOM-killed.
    OomKill,
    /// The kubelet evicted the pod under node pressure.
    NodePressureEviction,
    /// A rolling update replaced the pod.
    RollingUpdate,
}

impl Cause {
    /// Every cause, in output order.
    pub const ALL: [Cause; 9] = [
        Cause::NodeFailure,
        Cause::ZoneOutage,
        Cause::SpotInterruption,
        Cause::Eviction,
        Cause::Preemption,
        Cause::ContainerCrash,
        Cause::OomKill,
        Cause::NodePressureEviction,
        Cause::RollingUpdate,
    ];

    /// The name used in the outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::NodeFailure => "NodeFailure",
            Cause::ZoneOutage => "ZoneOutage",
            Cause::SpotInterruption => "SpotInterruption",
            Cause::Eviction => "Eviction",
            Cause::Preemption => "Preemption",
            Cause::ContainerCrash => "ContainerCrash",
            Cause::OomKill => "OomKill",
            Cause::NodePressureEviction => "NodePressureEviction",
            Cause::RollingUpdate => "RollingUpdate",
        }
    }
}

/// One incident: a workload degraded by a disruption until it recovered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incident {
    /// The workload (Deployment index).
    pub workload: u32,
    /// The first disruption's cause.
    pub cause: Cause,
    /// When the first disruption happened.
    pub start: SimTime,
    /// When the workload was back to its desired ready replicas ([`SimTime::NEVER`] while
    /// open).
    pub end: SimTime,
    /// Pods disrupted during the incident.
    pub pods: u32,
    /// Fewest ready replicas during the incident.
    pub min_ready: u32,
    /// Desired replicas when the incident opened.
    pub desired: u32,
}

impl Incident {
    /// Recovery time [ms], `None` while open.
    pub fn recovery_ms(&self) -> Option<u64> {
        (self.end != SimTime::NEVER).then(|| self.end.since(self.start))
    }
}

/// One sample of a workload's ready and desired replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadySample {
    /// Sample time.
    pub time: SimTime,
    /// Workload index.
    pub workload: u32,
    /// The fewest ready replicas since the previous sample (so that no dip shorter than the
    /// sampling interval is missed).
    pub ready: u32,
    /// Desired replicas.
    pub desired: u32,
}

#[derive(Clone, Debug, Default)]
struct Workload {
    name: String,
    started: bool,
    /// Time up to which the integrals are complete.
    since: SimTime,
    ready: u32,
    desired: u32,
    /// Fewest ready replicas held for a positive time since the last sample (`u32::MAX`:
    /// none yet).
    min_ready: u32,
    /// Measured time since creation [ms].
    measured_ms: u64,
    /// Of which at desired ready replicas [ms].
    at_desired_ms: u64,
    /// Of which with at least one ready replica [ms].
    any_ready_ms: u64,
    open: Option<Incident>,
}

/// Per-workload outcome of a run.
#[derive(Clone, Debug)]
pub struct WorkloadRecovery {
    /// Workload name.
    pub name: String,
    /// Desired replicas at the end.
    pub desired_end: u32,
    /// Fraction of the measured time at desired ready replicas (1 when never measured).
    pub availability: f64,
    /// Fraction of the measured time with at least one ready replica.
    pub any_ready: f64,
    /// Incidents (in the measured window).
    pub incidents: u32,
    /// Sum of the incidents' durations (open ones up to the end) [ms].
    pub degraded_ms: u64,
    /// Pods disrupted.
    pub pods: u32,
    /// Recovery times of the closed incidents [ms].
    pub recovery: PendingTimes,
}

/// Per-cause outcome of a run.
#[derive(Clone, Debug)]
pub struct CauseRecovery {
    /// The cause.
    pub cause: Cause,
    /// Incidents opened by it (in the measured window).
    pub incidents: u32,
    /// Of which still open at the end.
    pub open_at_end: u32,
    /// Pods disrupted.
    pub pods: u32,
    /// Sum of the incidents' durations (open ones up to the end) [ms].
    pub degraded_ms: u64,
    /// Recovery times of the closed incidents [ms].
    pub recovery: PendingTimes,
}

/// Counters of disruptions and their costs (in the measured window).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DisruptionCounts {
    /// Nodes that went down (random and scheduled failures, zone outages, spot reclaims).
    pub node_failures: u64,
    /// Zone outages (scheduled zone-wide failures).
    pub zone_outages: u64,
    /// Spot interruption notices.
    pub spot_interruptions: u64,
    /// Pods deleted by the taint-eviction controller (NotReady nodes).
    pub taint_evictions: u64,
    /// Pods evicted through the eviction API (drains).
    pub evictions: u64,
    /// Evictions a PodDisruptionBudget refused (each retry counts).
    pub evictions_blocked: u64,
    /// Pods deleted because their node's instance was gone (pod garbage collection).
    pub pods_lost_with_node: u64,
    /// Batch pods (with a run time) that ended without completing.
    pub batch_pods_lost: u64,
    /// Run time those batch pods had done and lost [ms].
    pub lost_work_ms: u64,
}

/// Incident tracking and availability integrals for every Deployment.
#[derive(Clone, Debug, Default)]
pub struct Recovery {
    window_start: SimTime,
    workloads: Vec<Workload>,
    /// Closed incidents, in closing order.
    closed: Vec<Incident>,
    /// Ready/desired samples (see [`Recovery::sample`]).
    pub samples: Vec<ReadySample>,
}

impl Recovery {
    /// Tracking for workloads named `names` (by index), measured from `window_start`.
    pub fn new(names: Vec<String>, window_start: SimTime) -> Recovery {
        Recovery {
            window_start,
            workloads: names
                .into_iter()
                .map(|name| Workload {
                    name,
                    ..Workload::default()
                })
                .collect(),
            closed: Vec::new(),
            samples: Vec::new(),
        }
    }

    /// Sets the start of the measured window.
    pub fn set_window_start(&mut self, window_start: SimTime) {
        self.window_start = window_start;
    }

    /// The state of workload `w`, added (unnamed) if it was not known.
    fn workload(&mut self, w: usize) -> &mut Workload {
        if self.workloads.len() <= w {
            self.workloads.resize(w + 1, Workload::default());
        }
        &mut self.workloads[w]
    }

    /// Number of tracked workloads.
    pub fn len(&self) -> usize {
        self.workloads.len()
    }

    /// True when no workload is tracked.
    pub fn is_empty(&self) -> bool {
        self.workloads.is_empty()
    }

    /// Ready replicas of workload `w` as last reported.
    pub fn ready(&self, w: u32) -> u32 {
        self.workloads[w as usize].ready
    }

    /// Desired replicas of workload `w` as last reported.
    pub fn desired(&self, w: u32) -> u32 {
        self.workloads[w as usize].desired
    }

    /// Integrates workload `w`'s availability up to `now`.
    fn advance(&mut self, now: SimTime, w: usize) {
        let window_start = self.window_start;
        let wl = self.workload(w);
        if wl.started && now > wl.since {
            wl.min_ready = wl.min_ready.min(wl.ready);
        }
        let from = wl.since.max(window_start);
        if wl.started && now > from {
            let dt = now.since(from);
            wl.measured_ms += dt;
            if wl.ready >= wl.desired {
                wl.at_desired_ms += dt;
            }
            if wl.ready > 0 {
                wl.any_ready_ms += dt;
            }
        }
        wl.since = wl.since.max(now);
    }

    /// Opens or closes `w`'s incident after a change of its counts.
    fn check(&mut self, now: SimTime, w: usize) {
        let wl = &mut self.workloads[w];
        if wl.ready >= wl.desired {
            // An incident that ends at the instant it started (the replacement was ready at
            // once) never degraded the workload for any time: it is dropped.
            if let Some(mut incident) = wl.open.take()
                && now > incident.start
            {
                incident.end = now;
                self.closed.push(incident);
            }
        } else if let Some(open) = wl.open.as_mut() {
            open.min_ready = open.min_ready.min(wl.ready);
        }
    }

    /// Workload `w` exists from `now` (if it did not yet) with `desired` replicas.
    pub fn start_workload(&mut self, now: SimTime, w: u32, desired: u32) {
        let i = w as usize;
        self.advance(now, i);
        let wl = &mut self.workloads[i];
        if !wl.started {
            wl.min_ready = u32::MAX;
        }
        wl.started = true;
        wl.desired = desired;
        self.check(now, i);
    }

    /// The absolute ready and desired replicas of workload `w` at `now`.
    pub fn observe_workload(&mut self, now: SimTime, w: u32, ready: u32, desired: u32) {
        let i = w as usize;
        self.advance(now, i);
        let wl = &mut self.workloads[i];
        wl.ready = ready;
        wl.desired = desired;
        self.check(now, i);
    }

    /// One replica of workload `w` became ready (`became_ready`) or stopped being ready.
    pub fn ready_changed(&mut self, now: SimTime, w: u32, became_ready: bool) {
        let i = w as usize;
        self.advance(now, i);
        let wl = &mut self.workloads[i];
        if became_ready {
            wl.ready += 1;
        } else {
            wl.ready = wl.ready.saturating_sub(1);
        }
        self.check(now, i);
    }

    /// Workload `w`'s desired replicas changed (scaling).
    pub fn set_desired(&mut self, now: SimTime, w: u32, desired: u32) {
        let i = w as usize;
        self.advance(now, i);
        self.workloads[i].desired = desired;
        self.check(now, i);
    }

    /// `pods` pods of workload `w` were disrupted by `cause` at `now`. Call it after the
    /// readiness change the disruption caused: an incident opens only if the workload is below
    /// its desired ready replicas; one already open counts the pods.
    pub fn disruption(&mut self, now: SimTime, w: u32, cause: Cause, pods: u32) {
        let i = w as usize;
        self.advance(now, i);
        let wl = &mut self.workloads[i];
        if let Some(open) = wl.open.as_mut() {
            open.pods += pods;
            return;
        }
        if wl.started && wl.ready < wl.desired && now >= self.window_start {
            wl.open = Some(Incident {
                workload: w,
                cause,
                start: now,
                end: SimTime::NEVER,
                pods,
                min_ready: wl.ready,
                desired: wl.desired,
            });
        }
    }

    /// Records every started workload's desired replicas at `now` and its fewest ready
    /// replicas since the previous sample.
    pub fn sample(&mut self, now: SimTime) {
        for i in 0..self.workloads.len() {
            self.advance(now, i);
            let wl = &mut self.workloads[i];
            if wl.started {
                self.samples.push(ReadySample {
                    time: now,
                    workload: i as u32,
                    ready: if wl.min_ready == u32::MAX {
                        wl.ready
                    } else {
                        wl.min_ready
                    },
                    desired: wl.desired,
                });
            }
            wl.min_ready = u32::MAX;
        }
    }

    /// Every incident of the measured window, closed and still open, ordered by start time
    /// (then workload).
    pub fn incidents(&self) -> Vec<Incident> {
        let mut all: Vec<Incident> = self.closed.clone();
        all.extend(self.workloads.iter().filter_map(|w| w.open));
        all.sort_by_key(|i| (i.start, i.workload, i.end));
        all
    }

    /// Closes the integrals at `end` (call once, at the end of the run).
    pub fn finish(&mut self, end: SimTime) {
        for w in 0..self.workloads.len() {
            self.advance(end, w);
        }
    }

    /// Name of workload `w`.
    pub fn name(&self, w: u32) -> &str {
        &self.workloads[w as usize].name
    }

    /// Per-workload results (after [`Recovery::finish`]); `end` bounds open incidents.
    pub fn per_workload(&self, end: SimTime) -> Vec<WorkloadRecovery> {
        let mut out: Vec<WorkloadRecovery> = self
            .workloads
            .iter()
            .map(|w| WorkloadRecovery {
                name: w.name.clone(),
                desired_end: w.desired,
                availability: frac(w.at_desired_ms, w.measured_ms),
                any_ready: frac(w.any_ready_ms, w.measured_ms),
                incidents: 0,
                degraded_ms: 0,
                pods: 0,
                recovery: PendingTimes::default(),
            })
            .collect();
        for i in self.incidents() {
            let o = &mut out[i.workload as usize];
            o.incidents += 1;
            o.pods += i.pods;
            o.degraded_ms += i.end.min(end).since(i.start);
            if let Some(ms) = i.recovery_ms() {
                o.recovery.record(ms);
            }
        }
        out
    }

    /// Per-cause results, in [`Cause::ALL`] order, only causes that occurred; `end` bounds
    /// open incidents.
    pub fn per_cause(&self, end: SimTime) -> Vec<CauseRecovery> {
        let mut out: Vec<CauseRecovery> = Cause::ALL
            .iter()
            .map(|&cause| CauseRecovery {
                cause,
                incidents: 0,
                open_at_end: 0,
                pods: 0,
                degraded_ms: 0,
                recovery: PendingTimes::default(),
            })
            .collect();
        for i in self.incidents() {
            let Some(o) = out.iter_mut().find(|c| c.cause == i.cause) else {
                continue;
            };
            o.incidents += 1;
            o.pods += i.pods;
            o.degraded_ms += i.end.min(end).since(i.start);
            match i.recovery_ms() {
                Some(ms) => o.recovery.record(ms),
                None => o.open_at_end += 1,
            }
        }
        out.retain(|c| c.incidents > 0);
        out
    }
}

fn frac(num: u64, den: u64) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime(s * 1000)
    }

    #[test]
    fn incident_opens_on_a_degrading_disruption_and_closes_at_desired() {
        let mut r = Recovery::new(vec!["web".into()], SimTime::ZERO);
        r.start_workload(t(0), 0, 3);
        for _ in 0..3 {
            r.ready_changed(t(0), 0, true);
        }
        // A node fails at 100 s with two of the three replicas.
        r.ready_changed(t(100), 0, false);
        r.disruption(t(100), 0, Cause::NodeFailure, 1);
        r.ready_changed(t(100), 0, false);
        r.disruption(t(100), 0, Cause::NodeFailure, 1);
        // A preemption during the incident joins it.
        r.disruption(t(200), 0, Cause::Preemption, 1);
        r.ready_changed(t(450), 0, true);
        r.ready_changed(t(460), 0, true);
        r.finish(t(1000));
        let inc = r.incidents();
        assert_eq!(inc.len(), 1);
        assert_eq!(inc[0].cause, Cause::NodeFailure);
        assert_eq!(inc[0].recovery_ms(), Some(360_000));
        assert_eq!(inc[0].pods, 3);
        assert_eq!(inc[0].min_ready, 1);
        let w = &r.per_workload(t(1000))[0];
        // At desired for 1000 - 360 s; at least one ready throughout.
        assert!((w.availability - 0.64).abs() < 1e-12);
        assert_eq!(w.any_ready, 1.0);
        assert_eq!(w.degraded_ms, 360_000);
        let c = r.per_cause(t(1000));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].cause, Cause::NodeFailure);
        assert_eq!(c[0].recovery.clone().percentile_ms(100.0), 360_000);
    }

    #[test]
    fn no_incident_without_degradation_or_without_a_disruption() {
        let mut r = Recovery::new(vec!["a".into()], SimTime::ZERO);
        r.start_workload(t(10), 0, 2);
        r.ready_changed(t(10), 0, true);
        // Startup: one replica missing for 20 s, no disruption: no incident.
        r.ready_changed(t(30), 0, true);
        // A disruption that does not degrade (a surge pod, say): no incident.
        r.disruption(t(40), 0, Cause::Eviction, 1);
        // Scale-up waiting for capacity: degraded, no incident.
        r.set_desired(t(50), 0, 3);
        r.ready_changed(t(70), 0, true);
        r.finish(t(110));
        assert!(r.incidents().is_empty());
        let w = &r.per_workload(t(110))[0];
        // Measured 100 s from creation; below desired 10..30 and 50..70.
        assert!((w.availability - 0.6).abs() < 1e-12);
        assert!((w.any_ready - 1.0).abs() < 1e-12);
    }

    #[test]
    fn samples_keep_the_dips_between_them() {
        let mut r = Recovery::new(vec!["a".into()], SimTime::ZERO);
        r.sample(t(0));
        r.start_workload(t(0), 0, 2);
        r.ready_changed(t(0), 0, true);
        r.ready_changed(t(0), 0, true);
        r.sample(t(60)); // 2 ready all along (the instant at 0 does not count)
        r.ready_changed(t(70), 0, false);
        r.ready_changed(t(80), 0, true);
        r.sample(t(120)); // a 10 s dip to 1
        r.sample(t(180));
        let ready: Vec<u32> = r.samples.iter().map(|s| s.ready).collect();
        assert_eq!(ready, vec![2, 1, 2]);
    }

    #[test]
    fn open_incidents_are_reported_and_warmup_is_excluded() {
        let mut r = Recovery::new(vec!["a".into()], t(100));
        r.start_workload(t(0), 0, 1);
        r.ready_changed(t(0), 0, true);
        r.ready_changed(t(50), 0, false);
        r.disruption(t(50), 0, Cause::ContainerCrash, 1); // in the warm-up: ignored
        r.ready_changed(t(60), 0, true);
        r.ready_changed(t(200), 0, false);
        r.disruption(t(200), 0, Cause::OomKill, 1);
        r.finish(t(300));
        let inc = r.incidents();
        assert_eq!(inc.len(), 1);
        assert_eq!(inc[0].recovery_ms(), None);
        let c = r.per_cause(t(300));
        assert_eq!((c[0].cause, c[0].open_at_end), (Cause::OomKill, 1));
        assert_eq!(c[0].degraded_ms, 100_000);
        let w = &r.per_workload(t(300))[0];
        assert!((w.availability - 0.5).abs() < 1e-12, "{}", w.availability);
        assert!((w.any_ready - 0.5).abs() < 1e-12);
    }
}

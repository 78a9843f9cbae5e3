//! A load-driven service in the running simulation: a Deployment whose pods' usage follows a
//! load curve through the service load model ([`super::service_load`]).
//!
//! The engine calls [`Service::update`] at every load tick (every metric resolution, 15 s by
//! default, aligned with the metrics-server scrapes) and whenever the set of ready pods changes
//! (a pod bound or gone). Each update first accounts the requests of the interval since the
//! previous update with the pods that were ready then (exact integral of the curve, unserved
//! beyond their capacity), then splits the current rate among the pods ready now and sets their
//! usage. At scrape instants it also records, per pod, the sample metrics-server would serve
//! (the usage in effect just before the scrape) for the HPA.

use super::load_curve::LoadCurve;
use super::service_load::{PodLoad, ReadyPod, ServeScratch, Served, ServiceLoadModel};
use crate::autoscale::horizontal::PodSample;
use crate::cluster::ClusterState;
use crate::cluster::pod::{PodId, PodPhase};
use crate::cluster::resources::Resources;
use crate::engine::time::SimTime;

/// One load-driven service.
#[derive(Clone, Debug)]
pub struct Service {
    /// Index of its Deployment.
    pub deployment: u32,
    /// Request rate over time.
    pub curve: LoadCurve,
    /// How load becomes usage.
    pub model: ServiceLoadModel,
    /// Load tick period [ms] (the metric resolution, or 15 s without lag).
    pub tick_ms: u64,
    /// metrics-server resolution [ms] (0: samples are taken at every update).
    pub resolution_ms: u64,
    /// Requests in the measured window.
    pub served: Served,
    /// Start of the interval not yet accounted.
    last: SimTime,
    /// The pods ready since `last`, with their ids.
    ready: Vec<ReadyPod>,
    ids: Vec<PodId>,
    loads: Vec<PodLoad>,
    scratch: ServeScratch,
    /// Per pod slot: (creation sequence, sample) recorded at the last scrape.
    samples: Vec<Option<(u64, PodSample)>>,
    /// Demand and serving capacity at the last update [requests/s].
    pub rate_rps: f64,
    /// Requests/s the ready pods could not serve at the last update.
    pub unserved_rps: f64,
}

impl Service {
    /// A service for Deployment `deployment`.
    pub fn new(
        deployment: u32,
        curve: LoadCurve,
        model: ServiceLoadModel,
        resolution_ms: u64,
    ) -> Self {
        Service {
            deployment,
            curve,
            model,
            tick_ms: if resolution_ms > 0 {
                resolution_ms
            } else {
                15_000
            },
            resolution_ms,
            served: Served::default(),
            last: SimTime::ZERO,
            ready: Vec::new(),
            ids: Vec::new(),
            loads: Vec::new(),
            scratch: ServeScratch::default(),
            samples: Vec::new(),
            rate_rps: 0.0,
            unserved_rps: 0.0,
        }
    }

    /// The sample recorded for `pod` at the last scrape (`None` if it had none).
    pub fn sample(&self, pod: PodId, seq: u64) -> Option<PodSample> {
        match self.samples.get(pod.0 as usize) {
            Some(Some((s, sample))) if *s == seq => Some(*sample),
            _ => None,
        }
    }

    /// Accounts `[last, now)`, records scrape samples if `now` is a scrape instant, and
    /// re-splits the load among `pods` (the Deployment's live pods; the running ones are
    /// ready). `measured_from`: start of the metrics window (requests before it are not
    /// counted). Returns the requests of the interval that fall in the window.
    pub fn update(
        &mut self,
        now: SimTime,
        pods: &[PodId],
        cluster: &mut ClusterState,
        measured_from: SimTime,
    ) -> Served {
        let a = self.last.max(measured_from);
        let mut counted = Served::default();
        if now > a {
            counted = self.model.serve(
                &self.curve,
                a.as_ms(),
                now.as_ms(),
                &self.ready,
                &mut self.scratch,
            );
            self.served.add(counted);
        }
        self.last = now;
        let scrape = self.resolution_ms == 0 || now.as_ms().is_multiple_of(self.resolution_ms);
        if scrape {
            self.record_samples(now, cluster);
        }
        self.ready.clear();
        self.ids.clear();
        for &id in pods {
            let p = &cluster.pods[id.0 as usize];
            if crate::cluster::readiness::pod_is_ready(p, cluster) {
                self.ids.push(id);
                self.ready.push(ReadyPod {
                    key: u64::from(p.name.ordinal),
                    cpu_limit_milli: p.limits.cpu_milli,
                });
            }
        }
        self.rate_rps = self
            .curve
            .mean_rate(now.as_ms(), now.as_ms() + self.tick_ms);
        self.model
            .split(self.rate_rps, &self.ready, &mut self.loads);
        self.unserved_rps = self
            .loads
            .iter()
            .map(|l| l.demand_rps - l.served_rps)
            .sum::<f64>()
            .max(if self.ready.is_empty() {
                self.rate_rps
            } else {
                0.0
            });
        for (&id, load) in self.ids.iter().zip(&self.loads) {
            let usage = Resources::cpu_mem(load.cpu_milli, load.memory_bytes);
            cluster.set_pod_usage(id, usage);
        }
        counted
    }

    /// Records the metrics-server sample of every ready pod that has run for a whole window.
    fn record_samples(&mut self, now: SimTime, cluster: &ClusterState) {
        let window_start = now.as_ms().checked_sub(self.resolution_ms);
        for &id in &self.ids {
            let p = &cluster.pods[id.0 as usize];
            let slot = id.0 as usize;
            if self.samples.len() <= slot {
                self.samples.resize(slot + 1, None);
            }
            let full_window = window_start.is_some_and(|w| p.scheduled.as_ms() <= w);
            self.samples[slot] = (full_window && p.phase == PodPhase::Running).then_some((
                p.seq,
                PodSample {
                    cpu_milli: p.usage.cpu_milli,
                    memory_bytes: p.usage.memory_bytes,
                    at: now,
                },
            ));
        }
    }
}

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
use super::service_load::{ReadyPod, ServeScratch, Served, ServiceLoadModel};
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
    /// Per ready pod: traffic fraction and capacity [requests/s].
    fractions: Vec<f64>,
    capacities: Vec<f64>,
    /// `ready`, `ids`, `fractions` and `capacities` describe the current ready pods.
    prepared: bool,
    /// All ready pods have the same fraction and capacity.
    uniform: bool,
    scratch: ServeScratch,
    /// Requests over `[from, to)` computed at the last update for its rate: the interval the
    /// next regular update accounts (`(from [ms], to [ms], requests)`).
    ahead: (u64, u64, f64),
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
            fractions: Vec::new(),
            capacities: Vec::new(),
            prepared: false,
            uniform: false,
            scratch: ServeScratch::default(),
            ahead: (0, 0, 0.0),
            rate_rps: 0.0,
            unserved_rps: 0.0,
        }
    }

    /// The pods that got traffic at the last update.
    pub fn ready_ids(&self) -> &[PodId] {
        &self.ids
    }

    /// The request rate routed to `pod` at the last update [requests/s]; `None` if it got no
    /// traffic (a custom Pods metric of the service's requests).
    pub fn demand_rps_of(&self, pod: PodId) -> Option<f64> {
        let i = self.ids.iter().position(|&p| p == pod)?;
        Some(self.rate_rps * self.fractions.get(i)?)
    }

    /// Accounts `[last, now)`, records scrape samples if `now` is a scrape instant, and
    /// re-splits the load among `pods` (the Deployment's live pods; the Ready ones get traffic). `pods_changed`: the ready set may differ from the previous update's.
    /// `measured_from`: start of the metrics window (requests before it are not counted).
    /// Returns the requests of the interval that fall in the window.
    pub fn update(
        &mut self,
        now: SimTime,
        pods: &[PodId],
        pods_changed: bool,
        cluster: &mut ClusterState,
        measured_from: SimTime,
    ) -> Served {
        let a = self.last.max(measured_from);
        let mut counted = Served::default();
        if now > a {
            let (a_ms, b_ms) = (a.as_ms(), now.as_ms());
            let known = (self.ahead.0 == a_ms && self.ahead.1 == b_ms).then_some(self.ahead.2);
            counted = if self.ready.is_empty() {
                let demand = known.unwrap_or_else(|| self.curve.requests(a_ms, b_ms));
                Served {
                    demand,
                    served: 0.0,
                    unserved: demand,
                }
            } else {
                self.model
                    .serve_prepared(&self.curve, a_ms, b_ms, known, &mut self.scratch)
            };
            self.served.add(counted);
        }
        self.last = now;
        let scrape = self.resolution_ms == 0 || now.as_ms().is_multiple_of(self.resolution_ms);
        if scrape {
            self.record_samples(now, cluster);
        }
        if pods_changed || !self.prepared {
            self.prepare(pods, cluster);
        }
        // The mean rate over the coming tick (as `LoadCurve::mean_rate`); its requests are
        // kept for the next update's accounting.
        let (from, to) = (now.as_ms(), now.as_ms() + self.tick_ms);
        let requests = self.curve.requests(from, to);
        self.ahead = (from, to, requests);
        self.rate_rps = LoadCurve::rate_of(requests, from, to);
        let mut unserved = if self.ready.is_empty() {
            self.rate_rps
        } else {
            0.0
        };
        if self.uniform {
            // Every pod gets the same share and has the same capacity: one usage for all.
            let Some(&fraction) = self.fractions.first() else {
                self.unserved_rps = unserved;
                return counted;
            };
            let demand = self.rate_rps * fraction;
            let served = demand.min(self.capacities[0]);
            let (cpu, memory) = self.model.usage(served);
            // Added pod by pod, as the general path does, so the float sum is the same.
            for _ in &self.ids {
                unserved += demand - served;
            }
            cluster.set_pods_usage(&self.ids, Resources::cpu_mem(cpu, memory));
        } else {
            for i in 0..self.ids.len() {
                let demand = self.rate_rps * self.fractions[i];
                let served = demand.min(self.capacities[i]);
                unserved += demand - served;
                let (cpu, memory) = self.model.usage(served);
                cluster.set_pod_usage(self.ids[i], Resources::cpu_mem(cpu, memory));
            }
        }
        self.unserved_rps = unserved;
        counted
    }

    /// Collects the ready pods with their traffic fractions and capacities.
    fn prepare(&mut self, pods: &[PodId], cluster: &ClusterState) {
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
        self.model.fractions(&self.ready, &mut self.fractions);
        self.capacities.clear();
        self.capacities
            .extend(self.ready.iter().map(|p| self.model.capacity_rps(p)));
        self.model.prepare(&self.ready, &mut self.scratch);
        self.uniform = self.fractions.windows(2).all(|w| w[0] == w[1])
            && self.capacities.windows(2).all(|w| w[0] == w[1]);
        self.prepared = true;
    }

    /// Records, in each ready pod's `metrics_sample`, the sample metrics-server would serve:
    /// its usage, if it has run for a whole window.
    fn record_samples(&mut self, now: SimTime, cluster: &mut ClusterState) {
        let window_start = now.as_ms().checked_sub(self.resolution_ms);
        for &id in &self.ids {
            let p = &mut cluster.pods[id.0 as usize];
            let full_window = window_start.is_some_and(|w| p.scheduled.as_ms() <= w);
            p.metrics_sample = (full_window && p.phase == PodPhase::Running).then_some(PodSample {
                cpu_milli: p.usage.cpu_milli,
                memory_bytes: p.usage.memory_bytes,
                at: now,
            });
        }
    }
}

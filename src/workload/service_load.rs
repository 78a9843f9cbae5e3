//! Service load model: how a service's request rate becomes per-pod cpu and memory usage, and
//! how much of it the ready pods cannot serve.
//!
//! The rate is split among the ready pods in proportion to per-pod weights
//! `w_i = 1 + imbalance · u_i`, with `u_i ∈ [−1, 1)` fixed per pod (a hash of the model's seed
//! and the pod's key), so with `imbalance = 0` every pod gets an equal share. Each pod serves
//! up to its capacity [requests/s]: a configured per-pod figure, or what its cpu limit allows
//! (`(limit − cpuBase) / cpuPerRps`), or unlimited. Requests beyond a pod's capacity are
//! unserved; they are not redirected to other pods (as with kube-proxy's random or
//! round-robin balancing, which does not know a pod's load). Usage follows the served rate:
//! `cpu = cpuBase + cpuPerRps · served`, `memory = memoryBase + memoryPerRps · served`, so an
//! overloaded pod's cpu sits at its limit, as under cgroup throttling.
//!
//! Simplified: no queueing or latency (a request is served within the interval it arrives in
//! or not at all), and a fixed share per pod (no least-connections balancing).

use super::load_curve::{LoadCurve, ParamError};
use crate::scenario::values::UnitQuantity;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// How much traffic one pod can serve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PodCapacity {
    /// No limit.
    Unlimited,
    /// A fixed rate per pod [requests/s].
    PerPod(f64),
    /// What the pod's cpu limit allows: `(limit − cpu_base) / cpu_per_rps` [requests/s];
    /// unlimited for pods without a cpu limit or when `cpu_per_rps` is 0.
    FromCpuLimit,
}

/// Parameters of a service's load model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceLoadModel {
    /// Cpu of an idle pod [millicores].
    pub cpu_base_milli: f64,
    /// Cpu per request/s served [millicores].
    pub cpu_per_rps_milli: f64,
    /// Memory of an idle pod [bytes].
    pub memory_base_bytes: f64,
    /// Memory per request/s served [bytes] (e.g. per-request buffers × latency).
    pub memory_per_rps_bytes: f64,
    /// Serving capacity per pod.
    pub capacity: PodCapacity,
    /// Spread of the per-pod weights, 0 ≤ imbalance ≤ 1.
    pub imbalance: f64,
    /// Seed of the per-pod weights.
    pub seed: u64,
}

/// A ready pod of the service, as the model needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyPod {
    /// Stable key of the pod (e.g. its ordinal in the workload); fixes its imbalance weight.
    pub key: u64,
    /// The pod's cpu limit [millicores].
    pub cpu_limit_milli: Option<u64>,
}

/// One pod's part of the load at an instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PodLoad {
    /// The pod's fraction of the traffic.
    pub fraction: f64,
    /// Requests sent to the pod [requests/s].
    pub demand_rps: f64,
    /// Requests it serves [requests/s].
    pub served_rps: f64,
    /// Cpu usage [millicores], rounded to the nearest.
    pub cpu_milli: u64,
    /// Memory usage [bytes], rounded to the nearest.
    pub memory_bytes: u64,
}

/// Requests over an interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Served {
    /// Requests that arrived.
    pub demand: f64,
    /// Requests served.
    pub served: f64,
    /// Requests beyond the ready pods' capacity.
    pub unserved: f64,
}

impl Served {
    /// Unserved / demand (0 when nothing arrived).
    pub fn unserved_fraction(&self) -> f64 {
        if self.demand > 0.0 {
            self.unserved / self.demand
        } else {
            0.0
        }
    }

    /// Adds another interval's requests.
    pub fn add(&mut self, other: Served) {
        self.demand += other.demand;
        self.served += other.served;
        self.unserved += other.unserved;
    }
}

/// Reusable buffers for [`ServiceLoadModel::serve`] (no allocation once grown).
#[derive(Clone, Debug, Default)]
pub struct ServeScratch {
    fractions: Vec<f64>,
    thresholds: Vec<f64>,
    /// The smallest of `thresholds` [requests/s].
    min_threshold: f64,
    above: Vec<f64>,
}

/// SplitMix64 finalizer: a fixed bijective mix of 64 bits.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The weight `1 + imbalance · u` of the pod with `key`, `u ∈ [−1, 1)` a fixed function of
/// `(seed, key)`.
pub fn imbalance_weight(seed: u64, key: u64, imbalance: f64) -> f64 {
    if imbalance == 0.0 {
        return 1.0;
    }
    let bits = mix64(seed ^ mix64(key));
    let unit = (bits >> 11) as f64 / (1u64 << 53) as f64;
    1.0 + imbalance * (2.0 * unit - 1.0)
}

impl ServiceLoadModel {
    /// Checks the parameters; the error names the schema field.
    pub fn validate(&self) -> Result<(), ParamError> {
        for (v, name) in [
            (self.cpu_base_milli, "cpuBase"),
            (self.cpu_per_rps_milli, "cpuPerRps"),
            (self.memory_base_bytes, "memoryBase"),
            (self.memory_per_rps_bytes, "memoryPerRps"),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ParamError::new(name, format!("must be >= 0, got {v}")));
            }
        }
        if let PodCapacity::PerPod(c) = self.capacity
            && !(c.is_finite() && c > 0.0)
        {
            return Err(ParamError::new(
                "capacityPerPod",
                format!("must be a rate > 0 (requests/s), got {c}"),
            ));
        }
        if !(0.0..=1.0).contains(&self.imbalance) {
            return Err(ParamError::new(
                "imbalance",
                format!("must be in [0, 1], got {}", self.imbalance),
            ));
        }
        Ok(())
    }

    /// Weight of the pod with `key`.
    pub fn weight(&self, key: u64) -> f64 {
        imbalance_weight(self.seed, key, self.imbalance)
    }

    /// Requests/s the pod can serve (`INFINITY` when unlimited).
    pub fn capacity_rps(&self, pod: &ReadyPod) -> f64 {
        match self.capacity {
            PodCapacity::Unlimited => f64::INFINITY,
            PodCapacity::PerPod(c) => c,
            PodCapacity::FromCpuLimit => match pod.cpu_limit_milli {
                Some(limit) if self.cpu_per_rps_milli > 0.0 => {
                    (limit as f64 - self.cpu_base_milli).max(0.0) / self.cpu_per_rps_milli
                }
                _ => f64::INFINITY,
            },
        }
    }

    /// Each pod's fraction of the traffic, into `out` (cleared first).
    pub fn fractions(&self, pods: &[ReadyPod], out: &mut Vec<f64>) {
        out.clear();
        out.extend(pods.iter().map(|p| self.weight(p.key)));
        let total: f64 = out.iter().sum();
        let n = out.len() as f64;
        for f in out.iter_mut() {
            *f = if total > 0.0 { *f / total } else { 1.0 / n };
        }
    }

    /// Usage (cpu [millicores], memory [bytes]) of one pod serving `served_rps`.
    pub fn usage(&self, served_rps: f64) -> (u64, u64) {
        let cpu = self.cpu_base_milli + self.cpu_per_rps_milli * served_rps;
        let mem = self.memory_base_bytes + self.memory_per_rps_bytes * served_rps;
        // Both are >= 0: adding 0.5 and truncating rounds half up without a libm call.
        ((cpu + 0.5) as u64, (mem + 0.5) as u64)
    }

    /// Splits `rate_rps` among `pods` into `out` (cleared first; one entry per pod, in order).
    pub fn split(&self, rate_rps: f64, pods: &[ReadyPod], out: &mut Vec<PodLoad>) {
        out.clear();
        let total: f64 = pods.iter().map(|p| self.weight(p.key)).sum();
        let n = pods.len() as f64;
        for pod in pods {
            let fraction = if total > 0.0 {
                self.weight(pod.key) / total
            } else {
                1.0 / n
            };
            let demand_rps = rate_rps * fraction;
            let served_rps = demand_rps.min(self.capacity_rps(pod));
            let (cpu_milli, memory_bytes) = self.usage(served_rps);
            out.push(PodLoad {
                fraction,
                demand_rps,
                served_rps,
                cpu_milli,
                memory_bytes,
            });
        }
    }

    /// Requests arriving in `[a_ms, b_ms)` and how many of them `pods` (ready throughout the
    /// interval) serve. Exact where [`LoadCurve::requests_above`] is.
    pub fn serve(
        &self,
        curve: &LoadCurve,
        a_ms: u64,
        b_ms: u64,
        pods: &[ReadyPod],
        scratch: &mut ServeScratch,
    ) -> Served {
        if pods.is_empty() {
            let demand = curve.requests(a_ms, b_ms);
            return Served {
                demand,
                served: 0.0,
                unserved: demand,
            };
        }
        self.prepare(pods, scratch);
        self.serve_prepared(curve, a_ms, b_ms, None, scratch)
    }

    /// Computes the per-pod fractions and capacity thresholds of `pods` into `scratch`, for
    /// [`ServiceLoadModel::serve_prepared`] (reusable while the pods stay the same).
    pub fn prepare(&self, pods: &[ReadyPod], scratch: &mut ServeScratch) {
        self.fractions(pods, &mut scratch.fractions);
        scratch.thresholds.clear();
        scratch
            .thresholds
            .extend(pods.iter().zip(&scratch.fractions).map(|(p, &f)| {
                if f > 0.0 {
                    self.capacity_rps(p) / f
                } else {
                    f64::INFINITY
                }
            }));
        scratch.min_threshold = scratch
            .thresholds
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
    }

    /// [`ServiceLoadModel::serve`] for the (non-empty set of) pods last passed to
    /// [`ServiceLoadModel::prepare`] with `scratch`. `requests`: [`LoadCurve::requests`] over
    /// the interval if the caller already has it.
    pub fn serve_prepared(
        &self,
        curve: &LoadCurve,
        a_ms: u64,
        b_ms: u64,
        requests: Option<f64>,
        scratch: &mut ServeScratch,
    ) -> Served {
        let pods = scratch.fractions.len();
        // No pod can be pushed past its capacity: every request is served.
        let all_served = |demand: f64| Served {
            demand,
            served: demand,
            unserved: 0.0,
        };
        if scratch.min_threshold == f64::INFINITY {
            return all_served(requests.unwrap_or_else(|| curve.requests(a_ms, b_ms)));
        }
        if curve.noise().is_none() {
            let demand = requests.unwrap_or_else(|| curve.requests(a_ms, b_ms));
            if curve.stays_below(a_ms, b_ms, demand, scratch.min_threshold) {
                return all_served(demand);
            }
        }
        scratch.above.clear();
        scratch.above.resize(pods, 0.0);
        let demand = curve.requests_above(a_ms, b_ms, &scratch.thresholds, &mut scratch.above);
        let unserved: f64 = scratch
            .fractions
            .iter()
            .zip(&scratch.above)
            .map(|(f, a)| f * a)
            .sum::<f64>()
            .min(demand);
        Served {
            demand,
            served: demand - unserved,
            unserved,
        }
    }
}

/// A cpu amount [millicores] written as a Kubernetes-style quantity that may be fractional in
/// millicores: `2.5m`, `0.5`, `1`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuAmount(pub f64);

impl CpuAmount {
    fn parse(text: &str) -> Result<CpuAmount, String> {
        let s = text.trim();
        let (number, milli) = match s.strip_suffix('m') {
            Some(n) => (n, true),
            None => (s, false),
        };
        let v: f64 = number.parse().map_err(|_| {
            format!(
                "invalid cpu amount {text:?}; expected cores (\"0.5\") or millicores (\"2.5m\")"
            )
        })?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(format!("invalid cpu amount {text:?}; must be >= 0"));
        }
        Ok(CpuAmount(if milli { v } else { v * 1000.0 }))
    }
}

impl<'de> Deserialize<'de> for CpuAmount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = CpuAmount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a cpu amount such as \"2.5m\" or 0.5")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CpuAmount, E> {
                CpuAmount::parse(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<CpuAmount, E> {
                CpuAmount::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CpuAmount, E> {
                CpuAmount::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CpuAmount, E> {
                CpuAmount::parse(&v.to_string()).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Scenario schema of a service's load model, e.g.
/// `{cpuPerRps: 2.5m, cpuBase: 50m, memoryBase: 256Mi, memoryPerRps: 1Mi, imbalance: 0.1}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceLoadSpec {
    /// Cpu per request/s served.
    pub cpu_per_rps: CpuAmount,
    /// Cpu of an idle pod (default 0).
    #[serde(default)]
    pub cpu_base: CpuAmount,
    /// Memory of an idle pod (default 0).
    #[serde(default)]
    pub memory_base: UnitQuantity,
    /// Memory per request/s served (default 0).
    #[serde(default)]
    pub memory_per_rps: UnitQuantity,
    /// Requests/s one pod can serve (default: what its cpu limit allows; unlimited without a
    /// limit).
    #[serde(default)]
    pub capacity_per_pod: Option<f64>,
    /// Spread of per-pod traffic shares, 0 ≤ imbalance ≤ 1 (default 0: equal shares).
    #[serde(default)]
    pub imbalance: f64,
}

impl ServiceLoadSpec {
    /// The model, with per-pod weights seeded by `seed`. Errors name the field under `field`.
    pub fn model(&self, field: &str, seed: u64) -> crate::error::Result<ServiceLoadModel> {
        let model = ServiceLoadModel {
            cpu_base_milli: self.cpu_base.0,
            cpu_per_rps_milli: self.cpu_per_rps.0,
            memory_base_bytes: self.memory_base.0 as f64,
            memory_per_rps_bytes: self.memory_per_rps.0 as f64,
            capacity: self
                .capacity_per_pod
                .map_or(PodCapacity::FromCpuLimit, PodCapacity::PerPod),
            imbalance: self.imbalance,
            seed,
        };
        model.validate().map_err(|e| {
            crate::error::Error::scenario(format!("{field}.{}", e.field), e.message)
        })?;
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Stream, stream};
    use crate::workload::load_curve::shapes::Ramp;
    use crate::workload::load_curve::{Component, Noise};

    fn model(capacity: PodCapacity, imbalance: f64) -> ServiceLoadModel {
        ServiceLoadModel {
            cpu_base_milli: 100.0,
            cpu_per_rps_milli: 10.0,
            memory_base_bytes: 200e6,
            memory_per_rps_bytes: 1e6,
            capacity,
            imbalance,
            seed: 42,
        }
    }

    fn pods(n: u64, limit: Option<u64>) -> Vec<ReadyPod> {
        (0..n)
            .map(|key| ReadyPod {
                key,
                cpu_limit_milli: limit,
            })
            .collect()
    }

    #[test]
    fn equal_split_capped_by_the_cpu_limit() {
        // Limit 1000m, base 100m, 10m per request/s: each pod serves at most 90/s.
        let m = model(PodCapacity::FromCpuLimit, 0.0);
        let p = pods(3, Some(1000));
        assert_eq!(m.capacity_rps(&p[0]), 90.0);
        let mut out = Vec::new();
        m.split(300.0, &p, &mut out);
        assert_eq!(out.len(), 3);
        for l in &out {
            assert!((l.fraction - 1.0 / 3.0).abs() < 1e-15);
            assert!((l.demand_rps - 100.0).abs() < 1e-12);
            assert_eq!(l.served_rps, 90.0);
            assert_eq!(l.cpu_milli, 1000, "at the limit");
            assert_eq!(l.memory_bytes, 290_000_000);
        }
        // Below capacity: 150/s → 50/s each, cpu 100 + 500.
        m.split(150.0, &p, &mut out);
        assert_eq!((out[0].cpu_milli, out[0].memory_bytes), (600, 250_000_000));
        // Over 10 s at 300/s: 3000 requests, 300 unserved.
        let mut scratch = ServeScratch::default();
        let s = m.serve(&LoadCurve::constant(300.0), 0, 10_000, &p, &mut scratch);
        assert!((s.demand - 3000.0).abs() < 1e-9);
        assert!((s.unserved - 300.0).abs() < 1e-9, "{s:?}");
        assert!((s.served - 2700.0).abs() < 1e-9);
        assert!((s.unserved_fraction() - 0.1).abs() < 1e-12);
    }

    #[test]
    fn ramp_over_capacity_hand_checked() {
        // 0 → 200/s over 10 s; two pods of 50/s: the service's 100/s is exceeded during the
        // last 5 s by 50/s on average: 250 of the 1000 requests are unserved.
        let m = model(PodCapacity::PerPod(50.0), 0.0);
        let curve = LoadCurve::new(
            Component::Ramp(Ramp::new(0, 10_000, 0.0, 200.0).unwrap()),
            None,
        );
        let mut scratch = ServeScratch::default();
        let s = m.serve(&curve, 0, 10_000, &pods(2, None), &mut scratch);
        assert!((s.demand - 1000.0).abs() < 1e-9);
        assert!((s.unserved - 250.0).abs() < 1e-9, "{s:?}");
        assert!((s.served - 750.0).abs() < 1e-9);
        // Split the interval: the parts add up.
        let mut total = m.serve(&curve, 0, 4_000, &pods(2, None), &mut scratch);
        total.add(m.serve(&curve, 4_000, 10_000, &pods(2, None), &mut scratch));
        assert!((total.unserved - 250.0).abs() < 1e-9);
    }

    #[test]
    fn imbalance_shifts_load_and_unserved() {
        let m = model(PodCapacity::PerPod(100.0), 0.5);
        let p = pods(2, None);
        let (w0, w1) = (m.weight(0), m.weight(1));
        assert!((0.5..1.5).contains(&w0) && (0.5..1.5).contains(&w1));
        assert_ne!(w0, w1);
        assert_eq!(
            w0,
            imbalance_weight(42, 0, 0.5),
            "a fixed function of seed and key"
        );
        assert_ne!(w0, imbalance_weight(43, 0, 0.5));
        let (f0, f1) = (w0 / (w0 + w1), w1 / (w0 + w1));
        let mut out = Vec::new();
        m.split(200.0, &p, &mut out);
        assert!((out[0].demand_rps - 200.0 * f0).abs() < 1e-9);
        assert!((out[1].demand_rps - 200.0 * f1).abs() < 1e-9);
        // 200/s against 2 × 100/s: balanced it would all be served; imbalanced, the heavier
        // pod's excess over 100/s is lost: |f0 − 1/2| · 200 per second.
        let mut scratch = ServeScratch::default();
        let s = m.serve(&LoadCurve::constant(200.0), 0, 1000, &p, &mut scratch);
        assert!(
            (s.unserved - (f0 - 0.5).abs() * 200.0).abs() < 1e-9,
            "{s:?}"
        );
        assert!(s.unserved > 0.0);
        // Without imbalance, nothing is lost.
        let balanced = model(PodCapacity::PerPod(100.0), 0.0);
        let s = balanced.serve(&LoadCurve::constant(200.0), 0, 1000, &p, &mut scratch);
        assert_eq!(s.unserved, 0.0);
    }

    #[test]
    fn no_pods_and_unlimited_pods() {
        let mut scratch = ServeScratch::default();
        let c = LoadCurve::constant(10.0);
        let m = model(PodCapacity::FromCpuLimit, 0.0);
        let none = m.serve(&c, 0, 1000, &[], &mut scratch);
        assert_eq!((none.demand, none.unserved, none.served), (10.0, 10.0, 0.0));
        let all = m.serve(&c, 0, 1000, &pods(1, None), &mut scratch);
        assert_eq!((all.served, all.unserved), (10.0, 0.0));
        // A limit at or below the idle cpu serves nothing.
        assert_eq!(m.capacity_rps(&pods(1, Some(100))[0]), 0.0);
        let starved = m.serve(&c, 0, 1000, &pods(1, Some(50)), &mut scratch);
        assert_eq!(starved.unserved, 10.0);
    }

    #[test]
    fn noisy_load_is_accounted_per_noise_interval() {
        let mut rng = stream(9, Stream::Load(0));
        let curve = LoadCurve::new(
            Component::Constant(100.0),
            Some(Noise::poisson(1000, &mut rng)),
        );
        let m = model(PodCapacity::PerPod(50.0), 0.0);
        let p = pods(2, None);
        let mut scratch = ServeScratch::default();
        let s = m.serve(&curve, 0, 60_000, &p, &mut scratch);
        // Reference: second by second, the excess of the count over 100.
        let expected: f64 = (0..60)
            .map(|k| (curve.rate(k * 1000) - 100.0).max(0.0))
            .sum();
        assert!(
            (s.unserved - expected).abs() < 1e-9,
            "{} vs {expected}",
            s.unserved
        );
        assert!(s.unserved > 0.0, "noise around the capacity loses requests");
        assert!((s.demand - curve.requests(0, 60_000)).abs() < 1e-9);
    }

    #[test]
    fn spec_parses_and_validates() {
        let s: ServiceLoadSpec = serde_yaml_ng::from_str(
            "{cpuPerRps: 2.5m, cpuBase: 0.05, memoryBase: 256Mi, memoryPerRps: 1Mi, imbalance: 0.1}",
        )
        .unwrap();
        let m = s.model("services[0]", 1).unwrap();
        assert_eq!(m.cpu_per_rps_milli, 2.5);
        assert_eq!(m.cpu_base_milli, 50.0);
        assert_eq!(m.memory_base_bytes, 268_435_456.0);
        assert_eq!(m.capacity, PodCapacity::FromCpuLimit);
        let bad: ServiceLoadSpec =
            serde_yaml_ng::from_str("{cpuPerRps: 1m, imbalance: 1.5}").unwrap();
        let e = bad.model("services[0]", 1).unwrap_err().to_string();
        assert!(
            e.contains("field `services[0].imbalance`: must be in [0, 1]"),
            "{e}"
        );
        let bad: ServiceLoadSpec =
            serde_yaml_ng::from_str("{cpuPerRps: 1m, capacityPerPod: 0}").unwrap();
        let e = bad.model("s", 1).unwrap_err().to_string();
        assert!(e.contains("`s.capacityPerPod`"), "{e}");
        assert!(serde_yaml_ng::from_str::<ServiceLoadSpec>("{cpuPerRps: lots}").is_err());
        assert!(serde_yaml_ng::from_str::<ServiceLoadSpec>("{cpuPerRps: 1m, cpu: 1}").is_err());
    }
}

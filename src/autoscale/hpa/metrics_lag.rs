//! Optional metrics lag: what the HPA sees of a pod's usage through metrics-server.
//!
//! metrics-server scrapes every kubelet once per `--metric-resolution` and serves the latest
//! scrape. cpu is a counter, so the served value is the average rate between the last two
//! scrapes (its `window`), stamped with the last scrape's time; memory is a gauge read at the
//! scrape. The flag's built-in default is 60 s, but the manifests metrics-server ships
//! (`components.yaml`, Helm chart) set `--metric-resolution=15s`, which is what clusters run;
//! kubesim uses 15 s by default.
//!
//! Simplified: scrapes of all pods happen at the same instants (multiples of the resolution
//! since the scenario start), kubelet's own collection delay is ignored, and a pod has no
//! sample until it has been running for one whole window before a scrape (metrics-server
//! needs two cpu readings; it then serves cpu and memory together). With a resolution of 0,
//! the HPA sees the instantaneous usage (no lag).

use super::pod_metrics::MetricSample;

/// Default metric resolution of the shipped metrics-server manifests [ms].
pub const DEFAULT_METRIC_RESOLUTION_MS: u64 = 15_000;

/// One step of a piecewise-constant usage series: `value_milli` holds from `from_ms` until
/// the next point (or for ever). Before the first point the usage is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsagePoint {
    /// Start of the step [ms since the scenario start].
    pub from_ms: u64,
    /// Usage during the step [milli-units].
    pub value_milli: u64,
}

/// The metrics-server model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsServer {
    /// `--metric-resolution` [ms]; 0 = no lag.
    pub resolution_ms: u64,
}

impl Default for MetricsServer {
    fn default() -> Self {
        MetricsServer {
            resolution_ms: DEFAULT_METRIC_RESOLUTION_MS,
        }
    }
}

/// The value of `usage` at time `t_ms` [milli-units].
pub fn value_at(usage: &[UsagePoint], t_ms: u64) -> u64 {
    let i = usage.partition_point(|p| p.from_ms <= t_ms);
    if i == 0 { 0 } else { usage[i - 1].value_milli }
}

/// The time average of `usage` (sorted by `from_ms`) over `[from_ms, to_ms)`, floored
/// [milli-units]; the value at `from_ms` if the interval is empty.
pub fn window_average(usage: &[UsagePoint], from_ms: u64, to_ms: u64) -> u64 {
    if to_ms <= from_ms {
        return value_at(usage, from_ms);
    }
    let mut integral: u128 = 0;
    for (i, p) in usage.iter().enumerate() {
        let start = p.from_ms.max(from_ms);
        let end = usage.get(i + 1).map_or(to_ms, |n| n.from_ms.min(to_ms));
        if end > start {
            integral += u128::from(p.value_milli) * u128::from(end - start);
        }
    }
    (integral / u128::from(to_ms - from_ms)) as u64
}

impl MetricsServer {
    /// The time of the last scrape at or before `now_ms` [ms].
    pub fn last_scrape_ms(&self, now_ms: u64) -> u64 {
        if self.resolution_ms == 0 {
            now_ms
        } else {
            now_ms - now_ms % self.resolution_ms
        }
    }

    /// The scrape the HPA sees at `now_ms` for a pod started at `pod_start_ms`: its
    /// timestamp, if the pod had been running for a whole window by then.
    fn scrape(&self, now_ms: u64, pod_start_ms: u64) -> Option<u64> {
        let ts = self.last_scrape_ms(now_ms);
        let window_start = ts.checked_sub(self.resolution_ms)?;
        (pod_start_ms <= window_start).then_some(ts)
    }

    /// The cpu sample the HPA sees at `now_ms`: the average of `usage` over the window
    /// before the last scrape; `None` if the pod has no sample yet.
    pub fn rate_sample(
        &self,
        now_ms: u64,
        pod_start_ms: u64,
        usage: &[UsagePoint],
    ) -> Option<MetricSample> {
        let ts = self.scrape(now_ms, pod_start_ms)?;
        Some(MetricSample {
            value_milli: window_average(usage, ts - self.resolution_ms, ts),
            timestamp_ms: ts,
            window_ms: self.resolution_ms,
        })
    }

    /// The memory sample the HPA sees at `now_ms`: `usage` at the last scrape; `None` if the
    /// pod has no sample yet.
    pub fn gauge_sample(
        &self,
        now_ms: u64,
        pod_start_ms: u64,
        usage: &[UsagePoint],
    ) -> Option<MetricSample> {
        let ts = self.scrape(now_ms, pod_start_ms)?;
        Some(MetricSample {
            value_milli: value_at(usage, ts),
            timestamp_ms: ts,
            window_ms: self.resolution_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1000;

    fn series() -> Vec<UsagePoint> {
        // 100m from 0 s, 400m from 20 s, 200m from 40 s.
        vec![
            UsagePoint {
                from_ms: 0,
                value_milli: 100,
            },
            UsagePoint {
                from_ms: 20 * S,
                value_milli: 400,
            },
            UsagePoint {
                from_ms: 40 * S,
                value_milli: 200,
            },
        ]
    }

    #[test]
    fn averages_the_window_before_the_last_scrape() {
        let ms = MetricsServer::default();
        let u = series();
        // At 37 s the last scrape is at 30 s; window [15 s, 30 s): 5 s × 100 + 10 s × 400.
        let s = ms.rate_sample(37 * S, 0, &u).unwrap();
        assert_eq!(s.timestamp_ms, 30 * S);
        assert_eq!(s.window_ms, 15 * S);
        assert_eq!(s.value_milli, (5 * 100 + 10 * 400) / 15);
        // Memory reads the gauge at the scrape.
        assert_eq!(ms.gauge_sample(37 * S, 0, &u).unwrap().value_milli, 400);
        // At 45 s: window [30 s, 45 s): 10 s × 400 + 5 s × 200.
        assert_eq!(
            ms.rate_sample(45 * S, 0, &u).unwrap().value_milli,
            5000 / 15
        );
    }

    #[test]
    fn new_pods_have_no_sample_for_one_window() {
        let ms = MetricsServer::default();
        let u = series();
        assert_eq!(ms.rate_sample(10 * S, 0, &u), None); // no previous scrape yet
        assert!(ms.rate_sample(15 * S, 0, &u).is_some());
        assert_eq!(ms.rate_sample(44 * S, 16 * S, &u), None); // window starts at 15 s
        assert!(ms.rate_sample(45 * S, 16 * S, &u).is_some());
    }

    #[test]
    fn zero_resolution_is_instant() {
        let ms = MetricsServer { resolution_ms: 0 };
        let s = ms.rate_sample(25 * S, 0, &series()).unwrap();
        assert_eq!(
            (s.value_milli, s.timestamp_ms, s.window_ms),
            (400, 25 * S, 0)
        );
        assert_eq!(ms.rate_sample(25 * S, 26 * S, &series()), None);
    }
}

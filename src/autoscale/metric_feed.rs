//! The custom metrics feed: the values that Pods, Object and External HPA metrics read,
//! standing in for a custom/external metrics API adapter (Prometheus adapter, KEDA's metrics
//! server, a cloud provider's adapter).
//!
//! A scenario lists named series under `customMetrics`. Each has a metric name, optional
//! labels (what an HPA metric's `selector` matches), optionally the object it describes (for
//! Object metrics), and its value over time from exactly one source:
//!
//! ```yaml
//! customMetrics:
//!   - name: queue_depth                # an External metric (a KEDA-style scaler)
//!     labels: {queue: orders}
//!     value: {steps: [{at: 0s, rate: 40}, {at: 10m, rate: 400}]}   # a load curve
//!   - name: requests_per_second        # an Object metric of an Ingress
//!     describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: main}
//!     csv: data/ingress-rps.csv        # `time_s,value`, relative to the scenario file
//!   - name: http_requests              # a Pods metric from a load-driven Deployment
//!     serviceRequests: web
//!   - name: jobs_in_flight             # a Pods metric: a total shared by the Ready pods
//!     value: 120
//!     split: sharedByReady             # (default) or perPod: every pod reports the value
//! ```
//!
//! How each HPA metric type reads the feed (matching is by name, then `selector` over the
//! series' labels; an Object metric also needs the same `describedObject` kind and name, and
//! the same apiVersion when both give one):
//! - **External**: the sum of every matching series (`GetExternalMetric` returns one value per
//!   series).
//! - **Object**: the first matching series.
//! - **Pods**: the first matching series, turned into one value per pod of the target. With
//!   `split: sharedByReady` the series is a total shared evenly by the Running and Ready pods
//!   (Running pods that are not Ready report 0, as a pod out of the endpoints gets no
//!   traffic), so scaling feeds back: more pods, less per pod. With `split: perPod` every
//!   Running pod reports the series value. A `serviceRequests` series gives each Ready pod
//!   the request rate the service routes to it (its share of the load curve, imbalance
//!   included) and the others 0.
//! - As an Object or External value, a `serviceRequests` series is the service's whole
//!   request rate [requests/s].
//!
//! No series matches, or a CSV series has no point yet: the metric is invalid for that sync
//! (as a failing adapter), with upstream's rules for several metrics.
//!
//! Timing: values are read at the HPA sync instant, with no lag. The metrics-server model
//! (`hpaController.metricsResolution`) applies to Resource and ContainerResource metrics only;
//! a custom metrics pipeline has its own delays, which are not modelled. A load-curve series
//! is the curve's rate at the sync instant; a CSV series is a step function (the last point at
//! or before the instant); a `serviceRequests` series is the rate the service set at its last
//! load tick.
//!
//! KEDA-style scalers build on this: a scaler is an External metric with an AverageValue
//! target (`ceil(value / target)` replicas), and scale to zero is `minReplicas: 0` with an
//! Object or External metric.

use super::hpa::spec::{HpaMetric, ObjectRef, ObjectReferenceSpec};
use crate::cluster::ClusterState;
use crate::cluster::pod::{PodId, PodPhase};
use crate::engine::rng::SimRng;
use crate::error::{Error, Result};
use crate::workload::load_curve::LoadCurve;
use crate::workload::load_curve::spec::LoadSpec;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// One `customMetrics` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomMetricSpec {
    /// Metric name (what an HPA metric's `metric.name` refers to).
    pub name: String,
    /// Labels of the series (matched by an HPA metric's `metric.selector`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The object the metric describes (Object metrics).
    #[serde(default)]
    pub described_object: Option<ObjectReferenceSpec>,
    /// The value over time as a load curve (a number, or a block such as
    /// `{steps: [...]}` or `{diurnal: {...}}`) [metric units].
    #[serde(default)]
    pub value: Option<LoadSpec>,
    /// A `time_s,value` CSV file (a header row is optional; `.gz` is read through gzip),
    /// relative to the scenario file, read as the run advances.
    #[serde(default)]
    pub csv: Option<String>,
    /// Name of a load-driven Deployment whose request rate is the value [requests/s].
    #[serde(default)]
    pub service_requests: Option<String>,
    /// For Pods metrics: `sharedByReady` (default: the value is a total shared by the Ready
    /// pods) or `perPod` (every pod reports the value).
    #[serde(default)]
    pub split: Option<String>,
}

/// How a series becomes per-pod values for a Pods metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// A total shared evenly by the Running and Ready pods.
    SharedByReady,
    /// Every Running pod reports the value.
    PerPod,
}

/// A CSV series read forward as time advances (a step function). A path ending in `.gz` is
/// read through gzip.
pub struct CsvSeries {
    path: PathBuf,
    lines: Option<std::io::Lines<Box<dyn BufRead>>>,
    /// The point in effect: (time [ms], value [milli]).
    current: Option<(u64, i64)>,
    /// The next point not yet in effect.
    next: Option<(u64, i64)>,
}

impl std::fmt::Debug for CsvSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvSeries")
            .field("path", &self.path)
            .field("current", &self.current)
            .field("next", &self.next)
            .finish()
    }
}

/// Opens `path` for reading lines (through gzip if it ends in `.gz`).
fn open_lines(path: &Path) -> Result<std::io::Lines<Box<dyn BufRead>>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(std::io::BufReader::new(flate2::read::GzDecoder::new(file)))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    Ok(reader.lines())
}

/// Parses one data line: `Ok(None)` for a blank line.
fn parse_point(line: &str) -> std::result::Result<Option<(u64, i64)>, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let mut parts = line.split(',');
    let (Some(t), Some(v), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected two columns `time_s,value`".into());
    };
    let t: f64 = t
        .trim()
        .parse()
        .map_err(|_| format!("time_s {:?} is not a number", t.trim()))?;
    let v: f64 = v
        .trim()
        .parse()
        .map_err(|_| format!("value {:?} is not a number", v.trim()))?;
    if !(t.is_finite() && t >= 0.0) {
        return Err(format!("time_s {t} must be a number >= 0"));
    }
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("value {v} must be a number >= 0"));
    }
    Ok(Some((
        (t * 1000.0).round() as u64,
        (v * 1000.0).round() as i64,
    )))
}

fn is_header(line: &str) -> bool {
    line.trim().replace(' ', "") == "time_s,value"
}

impl CsvSeries {
    /// Opens `path` and checks every line (times non-decreasing, values >= 0) without
    /// keeping them; the run then reads the file again, forward.
    pub fn open(path: &Path) -> Result<CsvSeries> {
        let mut last = None;
        for (i, line) in open_lines(path)?.enumerate() {
            let line = line.map_err(|e| Error::io(path, e))?;
            if i == 0 && is_header(&line) {
                continue;
            }
            let n = i as u64 + 1;
            let Some((t, _)) = parse_point(&line).map_err(|m| Error::trace(path, n, m))? else {
                continue;
            };
            if last.is_some_and(|l| t < l) {
                return Err(Error::trace(path, n, "time_s must not decrease"));
            }
            last = Some(t);
        }
        if last.is_none() {
            return Err(Error::trace(
                path,
                1,
                "no data rows (expected `time_s,value` rows)",
            ));
        }
        let mut s = CsvSeries {
            path: path.to_owned(),
            lines: None,
            current: None,
            next: None,
        };
        s.rewind()?;
        Ok(s)
    }

    fn rewind(&mut self) -> Result<()> {
        self.lines = Some(open_lines(&self.path)?);
        self.current = None;
        self.next = self.read_point(true);
        Ok(())
    }

    /// The next point of the file (checked at `open`, so errors end the series).
    fn read_point(&mut self, first: bool) -> Option<(u64, i64)> {
        let lines = self.lines.as_mut()?;
        let mut first = first;
        for line in lines.by_ref() {
            let line = line.ok()?;
            if std::mem::take(&mut first) && is_header(&line) {
                continue;
            }
            match parse_point(&line) {
                Ok(Some(p)) => return Some(p),
                Ok(None) => continue,
                Err(_) => return None,
            }
        }
        None
    }

    /// The value in effect at `t_ms` [milli]: that of the last point at or before it
    /// (`None` before the first point). `t_ms` must not decrease between calls.
    pub fn value_at(&mut self, t_ms: u64) -> Option<i64> {
        while let Some(p) = self.next.filter(|p| p.0 <= t_ms) {
            self.current = Some(p);
            self.next = self.read_point(false);
        }
        self.current.map(|p| p.1)
    }
}

/// Where a series' value comes from.
#[derive(Debug)]
pub enum Source {
    /// A load curve's rate at the instant.
    Curve(LoadCurve),
    /// A CSV time series.
    Csv(CsvSeries),
    /// The request rate of service number `i` (in the simulation's service list).
    Service(u32),
}

/// One series of the feed.
#[derive(Debug)]
pub struct FeedSeries {
    /// Metric name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The described object, if any.
    pub object: Option<ObjectRef>,
    /// The value source.
    pub source: Source,
    /// How a Pods metric splits it.
    pub split: Split,
}

/// The per-pod request rates of a load-driven service: `(pod, requests/s)` for each pod
/// that got traffic at the last load tick.
pub trait ServiceRates {
    /// The service's total request rate [requests/s].
    fn total_rps(&self, service: u32) -> f64;
    /// The rate routed to `pod` [requests/s] (0 for pods without traffic).
    fn pod_rps(&self, service: u32, pod: PodId) -> f64;
}

impl ServiceRates for Vec<crate::workload::service::Service> {
    fn total_rps(&self, service: u32) -> f64 {
        self.get(service as usize).map_or(0.0, |s| s.rate_rps)
    }
    fn pod_rps(&self, service: u32, pod: PodId) -> f64 {
        self.get(service as usize)
            .and_then(|s| s.demand_rps_of(pod))
            .unwrap_or(0.0)
    }
}

/// `value × 1000` rounded, as a milli-value (negative and NaN become 0).
fn to_milli(value: f64) -> i64 {
    if value.is_nan() || value <= 0.0 {
        0
    } else {
        (value * 1000.0).round().min(i64::MAX as f64) as i64
    }
}

/// All custom metric series of a scenario.
#[derive(Debug, Default)]
pub struct MetricFeed {
    /// The series, in scenario order.
    pub series: Vec<FeedSeries>,
}

fn object_matches(want: &ObjectRef, got: Option<&ObjectRef>) -> bool {
    got.is_some_and(|g| {
        g.kind == want.kind
            && g.name == want.name
            && match (&g.api_version, &want.api_version) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    })
}

impl MetricFeed {
    /// Builds the feed from the scenario's entries. `base` is the scenario's folder;
    /// `service_of(name)` gives the service index of a load-driven Deployment.
    pub fn build(
        specs: &[CustomMetricSpec],
        base: &Path,
        service_of: &dyn Fn(&str) -> Option<u32>,
        rng: &mut dyn FnMut(usize) -> SimRng,
    ) -> Result<MetricFeed> {
        let mut series = Vec::with_capacity(specs.len());
        for (i, s) in specs.iter().enumerate() {
            let field = format!("customMetrics[{i}]");
            if s.name.is_empty() {
                return Err(Error::scenario(
                    format!("{field}.name"),
                    "must not be empty",
                ));
            }
            let n = usize::from(s.value.is_some())
                + usize::from(s.csv.is_some())
                + usize::from(s.service_requests.is_some());
            if n != 1 {
                return Err(Error::scenario(
                    field,
                    "give exactly one of `value` (a load curve), `csv` (a time_s,value file) \
                     or `serviceRequests` (a load-driven Deployment)",
                ));
            }
            let source = if let Some(v) = &s.value {
                let mut r = rng(i);
                Source::Curve(v.build(&format!("{field}.value"), base, &mut r)?)
            } else if let Some(p) = &s.csv {
                Source::Csv(CsvSeries::open(&base.join(p))?)
            } else {
                let name = s.service_requests.as_deref().unwrap_or_default();
                let Some(idx) = service_of(name) else {
                    return Err(Error::scenario(
                        format!("{field}.serviceRequests"),
                        format!(
                            "{name:?} is not a load-driven Deployment (one with `load` and \
                             `service`)"
                        ),
                    ));
                };
                Source::Service(idx)
            };
            let split = match s.split.as_deref() {
                None | Some("sharedByReady") => Split::SharedByReady,
                Some("perPod") => Split::PerPod,
                Some(other) => {
                    return Err(Error::scenario(
                        format!("{field}.split"),
                        format!("unknown value {other:?}; expected sharedByReady or perPod"),
                    ));
                }
            };
            let object = match &s.described_object {
                None => None,
                Some(o) => {
                    if o.kind.is_empty() || o.name.is_empty() {
                        return Err(Error::scenario(
                            format!("{field}.describedObject"),
                            "kind and name must not be empty",
                        ));
                    }
                    Some(ObjectRef {
                        api_version: o.api_version.clone(),
                        kind: o.kind.clone(),
                        name: o.name.clone(),
                    })
                }
            };
            series.push(FeedSeries {
                name: s.name.clone(),
                labels: s.labels.clone(),
                object,
                source,
                split,
            });
        }
        Ok(MetricFeed { series })
    }

    /// The series an HPA metric reads: every match for External, the first for Pods and
    /// Object, none for Resource and ContainerResource metrics.
    pub fn bind(&self, metric: &HpaMetric) -> Vec<u32> {
        let (id, object) = match metric {
            HpaMetric::Pods { metric, .. } | HpaMetric::External { metric, .. } => (metric, None),
            HpaMetric::Object { metric, object, .. } => (metric, Some(object)),
            _ => return Vec::new(),
        };
        let mut out: Vec<u32> = self
            .series
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.name == id.name
                    && id
                        .selector
                        .as_ref()
                        .is_none_or(|sel| sel.matches(&s.labels))
                    && object.is_none_or(|o| object_matches(o, s.object.as_ref()))
            })
            .map(|(i, _)| i as u32)
            .collect();
        if !matches!(metric, HpaMetric::External { .. }) {
            out.truncate(1);
        }
        out
    }

    /// The value of series `i` at `now_ms` [milli-units]; `None` if it has none yet.
    pub fn value_milli(&mut self, i: u32, now_ms: u64, services: &dyn ServiceRates) -> Option<i64> {
        let s = self.series.get_mut(i as usize)?;
        match &mut s.source {
            Source::Curve(c) => Some(to_milli(c.rate(now_ms))),
            Source::Csv(c) => c.value_at(now_ms),
            Source::Service(k) => Some(to_milli(services.total_rps(*k))),
        }
    }

    /// Per-pod values [milli-units] of series `i` for a Pods metric over `pods` (the target's
    /// pods), written to `out` in the same order; `None` for a pod without a value (not
    /// Running). Returns `false` if the series has no value yet.
    pub fn pod_values_milli(
        &mut self,
        i: u32,
        now_ms: u64,
        pods: &[PodId],
        cluster: &ClusterState,
        services: &dyn ServiceRates,
        out: &mut Vec<Option<i64>>,
    ) -> bool {
        out.clear();
        let running = |id: PodId| cluster.pods[id.0 as usize].phase == PodPhase::Running;
        let ready = |id: PodId| {
            running(id)
                && crate::cluster::readiness::pod_is_ready(&cluster.pods[id.0 as usize], cluster)
        };
        if let Some(Source::Service(k)) = self.series.get(i as usize).map(|s| &s.source) {
            let k = *k;
            out.extend(
                pods.iter()
                    .map(|&id| running(id).then(|| to_milli(services.pod_rps(k, id)))),
            );
            return true;
        }
        let split = match self.series.get(i as usize) {
            Some(s) => s.split,
            None => return false,
        };
        let Some(total) = self.value_milli(i, now_ms, services) else {
            return false;
        };
        match split {
            Split::PerPod => out.extend(pods.iter().map(|&id| running(id).then_some(total))),
            Split::SharedByReady => {
                let n = pods.iter().filter(|&&id| ready(id)).count() as f64;
                let share = if n > 0.0 {
                    (total as f64 / n).round() as i64
                } else {
                    0
                };
                out.extend(
                    pods.iter()
                        .map(|&id| running(id).then(|| if ready(id) { share } else { 0 })),
                );
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscale::hpa::spec::HpaSpec;

    struct NoServices;
    impl ServiceRates for NoServices {
        fn total_rps(&self, _: u32) -> f64 {
            0.0
        }
        fn pod_rps(&self, _: u32, _: PodId) -> f64 {
            0.0
        }
    }

    fn feed(yaml: &str, base: &Path) -> Result<MetricFeed> {
        let specs: Vec<CustomMetricSpec> = serde_yaml_ng::from_str(yaml).unwrap();
        MetricFeed::build(&specs, base, &|n| (n == "web").then_some(0), &mut |i| {
            crate::engine::rng::stream(1, crate::engine::rng::Stream::Load(i as u32))
        })
    }

    fn metric(yaml: &str) -> HpaMetric {
        let spec: HpaSpec =
            serde_yaml_ng::from_str(&format!("maxReplicas: 5\nmetrics: [{yaml}]")).unwrap();
        spec.validate("hpa").unwrap().metrics.remove(0)
    }

    #[test]
    fn csv_series_is_a_step_function_read_forward() {
        let dir = std::env::temp_dir().join(format!("kubesim-feed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("q.csv"),
            "time_s,value\n10,5\n\n20,7.5\n20,8\n40,1\n",
        )
        .unwrap();
        let mut f = feed("[{name: q, csv: q.csv}]", &dir).unwrap();
        let v = |f: &mut MetricFeed, t| f.value_milli(0, t, &NoServices);
        assert_eq!(v(&mut f, 0), None);
        assert_eq!(v(&mut f, 10_000), Some(5_000));
        assert_eq!(v(&mut f, 19_999), Some(5_000));
        assert_eq!(v(&mut f, 20_000), Some(8_000));
        assert_eq!(v(&mut f, 100_000), Some(1_000));
        // The same through gzip.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"0,2\n30,4\n").unwrap();
        std::fs::write(dir.join("q.csv.gz"), gz.finish().unwrap()).unwrap();
        let mut g = feed("[{name: q, csv: q.csv.gz}]", &dir).unwrap();
        assert_eq!(v(&mut g, 29_000), Some(2_000));
        assert_eq!(v(&mut g, 30_000), Some(4_000));
        std::fs::write(dir.join("bad.csv"), "0,1\n5,x\n").unwrap();
        let e = feed("[{name: q, csv: bad.csv}]", &dir)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.csv:2") && e.contains("value \"x\""), "{e}");
        std::fs::write(dir.join("back.csv"), "5,1\n4,1\n").unwrap();
        let e = feed("[{name: q, csv: back.csv}]", &dir)
            .unwrap_err()
            .to_string();
        assert!(e.contains("must not decrease"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn binding_by_name_selector_and_object() {
        let base = Path::new(".");
        let f = feed(
            "[{name: q, labels: {queue: a}, value: 3},
              {name: q, labels: {queue: b}, value: 4},
              {name: rps, describedObject: {apiVersion: v1, kind: Service, name: web}, value: 9},
              {name: rps, describedObject: {kind: Service, name: api}, value: 1}]",
            base,
        )
        .unwrap();
        let ext = metric(
            "{type: External, external: {metric: {name: q}, target: {type: Value, value: 1}}}",
        );
        assert_eq!(f.bind(&ext), vec![0, 1]);
        let ext_a = metric(
            "{type: External, external: {metric: {name: q, selector: {matchLabels: {queue: a}}}, target: {type: Value, value: 1}}}",
        );
        assert_eq!(f.bind(&ext_a), vec![0]);
        let obj = metric(
            "{type: Object, object: {describedObject: {apiVersion: v1, kind: Service, name: api}, metric: {name: rps}, target: {type: Value, value: 1}}}",
        );
        assert_eq!(f.bind(&obj), vec![3]);
        let pods = metric(
            "{type: Pods, pods: {metric: {name: nope}, target: {type: AverageValue, averageValue: 1}}}",
        );
        assert!(f.bind(&pods).is_empty());
    }

    #[test]
    fn clear_errors() {
        let base = Path::new(".");
        let cases = [
            ("[{name: q}]", "customMetrics[0]`: give exactly one of"),
            ("[{name: q, value: 1, csv: a.csv}]", "exactly one"),
            (
                "[{name: q, serviceRequests: api}]",
                "\"api\" is not a load-driven Deployment",
            ),
            (
                "[{name: q, value: 1, split: even}]",
                "customMetrics[0].split",
            ),
            ("[{name: '', value: 1}]", "customMetrics[0].name"),
        ];
        for (yaml, want) in cases {
            let e = feed(yaml, base).unwrap_err().to_string();
            assert!(e.contains(want), "{yaml}: {e}");
        }
    }
}

//! `kubesim import`: converted manifests written as an editable native scenario.
//!
//! The spec types derive `Serialize`; the scalar value types (quantities, durations,
//! distributions) and resource lists serialize here back into the text forms the schema
//! reads, so the written file loads into the same spec.

use super::Converted;
use crate::autoscale::hpa::spec::Tolerance;
use crate::error::{Error, Result};
use crate::scenario::spec::ResourceListSpec;
use crate::scenario::values::{Duration, DurationDist, MilliQuantity, UnitQuantity};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_yaml_ng::{Mapping, Value};
use std::path::Path;

/// `1500` ms → `"1500ms"`, `90_000` → `"90s"`, `600_000` → `"10m"`, `7_200_000` → `"2h"`.
pub fn duration_text(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// Millicores → `"2"` or `"500m"`.
pub fn milli_text(v: u64) -> String {
    if v.is_multiple_of(1000) {
        (v / 1000).to_string()
    } else {
        format!("{v}m")
    }
}

/// Bytes → `"2Gi"`, `"512Mi"`, `"3Ki"` or the plain number.
pub fn unit_text(v: u64) -> String {
    for (suffix, size) in [
        ("Ti", 1u64 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ] {
        if v != 0 && v.is_multiple_of(size) {
            return format!("{}{suffix}", v / size);
        }
    }
    v.to_string()
}

impl Serialize for MilliQuantity {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&milli_text(self.0))
    }
}

impl Serialize for UnitQuantity {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&unit_text(self.0))
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&duration_text(self.0))
    }
}

impl Serialize for Tolerance {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

impl Serialize for DurationDist {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let d = |ms: u64| duration_text(ms);
        let mut inner = Mapping::new();
        let name = match *self {
            DurationDist::Constant(ms) => return s.serialize_str(&d(ms)),
            DurationDist::Exponential { mean } => {
                inner.insert("mean".into(), d(mean).into());
                "exponential"
            }
            DurationDist::Uniform { min, max } => {
                inner.insert("min".into(), d(min).into());
                inner.insert("max".into(), d(max).into());
                "uniform"
            }
            DurationDist::LogNormal { median, sigma } => {
                inner.insert("median".into(), d(median).into());
                inner.insert("sigma".into(), sigma.into());
                "lognormal"
            }
            DurationDist::Weibull { scale, shape } => {
                inner.insert("scale".into(), d(scale).into());
                inner.insert("shape".into(), shape.into());
                "weibull"
            }
        };
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(name, &inner)?;
        m.end()
    }
}

impl Serialize for ResourceListSpec {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(v) = self.cpu {
            m.serialize_entry("cpu", &v)?;
        }
        if let Some(v) = self.memory {
            m.serialize_entry("memory", &v)?;
        }
        if let Some(v) = self.gpu {
            m.serialize_entry("nvidia.com/gpu", &v)?;
        }
        if let Some(v) = self.pods {
            m.serialize_entry("pods", &v.0)?;
        }
        for (name, v) in &self.extended {
            m.serialize_entry(name, v)?;
        }
        m.end()
    }
}

/// Keys whose empty map means the default and may be dropped (an empty `labelSelector`, by
/// contrast, selects every pod and is kept).
const DEFAULT_WHEN_EMPTY: &[&str] = &[
    "labels",
    "annotations",
    "nodeSelector",
    "matchLabels",
    "requests",
    "limits",
    "template",
];

/// Drops nulls, empty lists and default-when-empty maps, recursively.
fn tidy(v: &mut Value) {
    match v {
        Value::Mapping(m) => {
            let keys: Vec<Value> = m.keys().cloned().collect();
            for k in keys {
                let drop = {
                    let x = m.get_mut(&k).expect("key present");
                    tidy(x);
                    match x {
                        Value::Null => true,
                        Value::Sequence(s) => s.is_empty(),
                        Value::Mapping(inner) => {
                            inner.is_empty()
                                && k.as_str().is_some_and(|k| DEFAULT_WHEN_EMPTY.contains(&k))
                        }
                        _ => false,
                    }
                };
                if drop {
                    m.shift_remove(&k);
                }
            }
        }
        Value::Sequence(s) => s.iter_mut().for_each(tidy),
        _ => {}
    }
}

fn to_value<T: Serialize>(x: &T) -> Result<Value> {
    serde_yaml_ng::to_value(x).map_err(|e| Error::Usage(format!("cannot encode the scenario: {e}")))
}

/// The native scenario text for `c`: a `name`/`duration` placeholder, a placeholder node
/// pool when no Node was read, the scheduler configuration file if one was read, and every
/// converted list.
pub fn scenario_yaml(c: &Converted, scheduler_file: Option<&Path>) -> Result<String> {
    let mut root = Mapping::new();
    root.insert("name".into(), "imported".into());
    root.insert("duration".into(), "1h".into());
    if c.nodes.is_empty() {
        let pool: Value =
            serde_yaml_ng::from_str("{name: pool, count: 3, instanceType: m6i.xlarge}")
                .expect("a well-formed pool");
        root.insert("nodePools".into(), Value::Sequence(vec![pool]));
    }
    if let Some(f) = scheduler_file {
        let mut s = Mapping::new();
        s.insert("configFile".into(), f.display().to_string().into());
        root.insert("scheduler".into(), Value::Mapping(s));
    }
    let series = placeholder_metrics(c);
    if !series.is_empty() {
        root.insert("customMetrics".into(), Value::Sequence(series));
    }
    let mut list = |key: &str, v: Value| {
        if !matches!(&v, Value::Sequence(s) if s.is_empty()) {
            root.insert(key.into(), v);
        }
    };
    list("priorityClasses", to_value(&c.priority_classes)?);
    list("nodes", to_value(&c.nodes)?);
    list("deployments", to_value(&c.deployments)?);
    list("statefulSets", to_value(&c.stateful_sets)?);
    list("daemonSets", to_value(&c.daemon_sets)?);
    list("jobs", to_value(&c.jobs)?);
    list("cronJobs", to_value(&c.cron_jobs)?);
    list("pods", to_value(&c.pods)?);
    list("podDisruptionBudgets", to_value(&c.pod_disruption_budgets)?);
    let mut v = Value::Mapping(root);
    tidy(&mut v);
    let body = serde_yaml_ng::to_string(&v)
        .map_err(|e| Error::Usage(format!("cannot encode the scenario: {e}")))?;
    let mut out = String::from("# Written by `kubesim import`: edit `name` and `duration`");
    if c.nodes.is_empty() {
        out.push_str(", and replace the placeholder node pool (no Node objects were read)");
    }
    out.push_str(".\n");
    if root_has_metrics(c) {
        out.push_str(
            "# The `customMetrics` series are placeholders (value 0) for the Pods, Object and \
             External\n# metrics the HPAs read: give each its load curve or CSV series.\n",
        );
    }
    out.push_str(&body);
    Ok(out)
}

/// One `customMetrics` series per distinct Pods/Object/External metric the HPAs read, with a
/// constant value of 0 and the labels of the metric's `matchLabels`, so that the written
/// scenario runs as it is.
fn placeholder_metrics(c: &Converted) -> Vec<Value> {
    let hpas = c
        .deployments
        .iter()
        .filter_map(|d| d.hpa.as_ref())
        .chain(c.stateful_sets.iter().filter_map(|s| s.hpa.as_ref()));
    let mut out: Vec<Value> = Vec::new();
    for hpa in hpas {
        for m in &hpa.metrics {
            let (id, object) = match (&m.pods, &m.object, &m.external) {
                (Some(p), _, _) => (&p.metric, None),
                (_, Some(o), _) => (&o.metric, Some(&o.described_object)),
                (_, _, Some(e)) => (&e.metric, None),
                _ => continue,
            };
            let mut series = Mapping::new();
            series.insert("name".into(), id.name.clone().into());
            if let Some(sel) = &id.selector
                && !sel.match_labels.is_empty()
            {
                let labels: Mapping = sel
                    .match_labels
                    .iter()
                    .map(|(k, v)| (k.clone().into(), v.clone().into()))
                    .collect();
                series.insert("labels".into(), Value::Mapping(labels));
            }
            if let Some(o) = object {
                let Ok(v) = to_value(o) else { continue };
                series.insert("describedObject".into(), v);
            }
            series.insert("value".into(), 0.into());
            let series = Value::Mapping(series);
            if !out.contains(&series) {
                out.push(series);
            }
        }
    }
    out
}

fn root_has_metrics(c: &Converted) -> bool {
    !placeholder_metrics(c).is_empty()
}

/// `target` as a path relative to the folder `base` (both absolute), for a scenario file that
/// must keep working when its folder moves with the files it names.
pub fn relative_path(base: &Path, target: &Path) -> std::path::PathBuf {
    let b: Vec<_> = base.components().collect();
    let t: Vec<_> = target.components().collect();
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut out = std::path::PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_texts_read_back() {
        assert_eq!(duration_text(600_000), "10m");
        assert_eq!(duration_text(1_500), "1500ms");
        assert_eq!(duration_text(90_000), "90s");
        assert_eq!(milli_text(2000), "2");
        assert_eq!(milli_text(250), "250m");
        assert_eq!(unit_text(512 << 20), "512Mi");
        assert_eq!(unit_text(1000), "1000");
        assert_eq!(unit_text(15_723_436 * 1024), "15723436Ki");
    }

    #[test]
    fn relative_paths() {
        let r = relative_path(Path::new("/a/b/out"), Path::new("/a/b/k8s/sched.yaml"));
        assert_eq!(r, Path::new("../k8s/sched.yaml"));
        let r = relative_path(Path::new("/a/b"), Path::new("/a/b/sched.yaml"));
        assert_eq!(r, Path::new("sched.yaml"));
    }

    #[test]
    fn tidy_keeps_empty_selectors() {
        let mut v: Value =
            serde_yaml_ng::from_str("{a: null, labels: {}, labelSelector: {}, l: [], b: false}")
                .unwrap();
        tidy(&mut v);
        assert_eq!(
            serde_yaml_ng::to_string(&v).unwrap(),
            "labelSelector: {}\nb: false\n"
        );
    }
}

//! `kubesim compare` outputs: `comparison.csv` (one row per variant, every summary column), a
//! bar chart of the key metrics, and a compact terminal table.

use super::atomic::OutputSet;
use super::to_csv;
use crate::VariantResult;
use crate::error::{Error, Result};
use plotters::prelude::*;
use std::path::Path;

/// The `summary.csv` header and row of one run as CSV records (fields as `summary.csv` writes
/// them).
pub fn summary_records(
    summary: &crate::RunSummary,
) -> Result<(csv::StringRecord, csv::StringRecord)> {
    let bytes = to_csv(std::slice::from_ref(summary))?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let csv_error = |e: csv::Error| Error::Usage(format!("CSV encoding failed: {e}"));
    let header = reader.headers().map_err(csv_error)?.clone();
    let row = reader
        .records()
        .next()
        .transpose()
        .map_err(csv_error)?
        .unwrap_or_default();
    Ok((header, row))
}

/// `comparison.csv`: a `variant` column followed by the `summary.csv` columns. Written with the
/// CSV writer, so a variant name with a comma, quote or line break is quoted.
pub fn comparison_csv(variants: &[VariantResult]) -> Result<Vec<u8>> {
    let csv_error = |e: csv::Error| Error::Usage(format!("CSV encoding failed: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    for (i, v) in variants.iter().enumerate() {
        let (header, row) = summary_records(&v.result.summary)?;
        if i == 0 {
            w.write_record(std::iter::once("variant").chain(header.iter()))
                .map_err(csv_error)?;
        }
        w.write_record(std::iter::once(v.name.as_str()).chain(row.iter()))
            .map_err(csv_error)?;
    }
    w.into_inner()
        .map_err(|e| Error::Usage(format!("CSV encoding failed: {e}")))
}

/// A metric shown in the comparison chart and table.
type Metric = (&'static str, fn(&crate::RunSummary) -> f64);

/// Panels in reading order (two rows of three).
const METRICS: [Metric; 6] = [
    ("cost of nodes in use [USD]", |s| s.cost_in_use_usd),
    ("cpu requested / allocatable", |s| s.cpu_requested_ratio),
    ("cpu stranded / allocatable", |s| s.cpu_stranded_ratio),
    ("nodes in use (mean)", |s| s.nodes_in_use_mean),
    ("pending time p95 [s]", |s| s.pending_time_p95_s),
    ("memory stranded / allocatable", |s| s.memory_stranded_ratio),
];

/// Panels for scenarios with disruptions (faults, drains): cost against recovery.
const RECOVERY_METRICS: [Metric; 6] = [
    ("cost [USD]", |s| s.cost_usd),
    ("availability (time at desired ready)", |s| {
        s.availability_mean.unwrap_or(0.0)
    }),
    ("time with >= 1 ready replica", |s| {
        s.any_ready_mean.unwrap_or(0.0)
    }),
    ("MTTR mean [s]", |s| s.mttr_mean_s.unwrap_or(0.0)),
    ("MTTR p95 [s]", |s| s.mttr_p95_s.unwrap_or(0.0)),
    ("batch work lost [h]", |s| s.lost_work_s / 3600.0),
];

/// Whether a run saw faults or drains (its comparison shows recovery metrics).
fn disrupted(s: &crate::RunSummary) -> bool {
    s.node_failures > 0 || s.spot_interruptions > 0 || s.evictions > 0 || s.evictions_blocked > 0
}

fn chart_error<E: std::fmt::Display>(e: E) -> Error {
    Error::Usage(format!("chart rendering failed: {e}"))
}

/// Six bar panels (cost of nodes in use, cpu requested ratio, cpu stranded ratio, nodes in use,
/// pending p95, memory stranded ratio), one bar per variant; when a variant saw faults or
/// drains: cost, availability, time with a ready replica, MTTR mean and p95, lost batch work.
pub fn comparison_chart(title: &str, variants: &[VariantResult]) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, 640)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let root = root
            .titled(&format!("Comparison: {title}"), ("sans-serif", 22))
            .map_err(chart_error)?;
        let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
        let n = variants.len() as u32;
        let metrics = if variants.iter().any(|v| disrupted(&v.result.summary)) {
            RECOVERY_METRICS
        } else {
            METRICS
        };
        for (panel, (label, value)) in root.split_evenly((2, 3)).iter().zip(metrics) {
            let values: Vec<f64> = variants.iter().map(|v| value(&v.result.summary)).collect();
            let max = values.iter().copied().fold(0.0f64, f64::max);
            let top = if max > 0.0 { max * 1.15 } else { 1.0 };
            let mut chart = ChartBuilder::on(panel)
                .caption(label, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(60)
                // A segmented range a..b has b - a + 1 segments.
                .build_cartesian_2d((0..n.saturating_sub(1).max(1)).into_segmented(), 0.0..top)
                .map_err(chart_error)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(names.len())
                .x_label_formatter(&|x| match x {
                    SegmentValue::CenterOf(i) => {
                        names.get(*i as usize).copied().unwrap_or("").to_owned()
                    }
                    _ => String::new(),
                })
                .draw()
                .map_err(chart_error)?;
            // Bars drawn one by one in variant order (plotters' Histogram aggregates through a
            // hash map, which would make the SVG's element order vary between runs).
            let style = RGBColor(31, 119, 180).filled();
            chart
                .draw_series(values.iter().enumerate().map(|(i, v)| {
                    let i = i as u32;
                    let mut bar = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), 0.0),
                            (SegmentValue::Exact(i + 1), *v),
                        ],
                        style,
                    );
                    bar.set_margin(0, 0, 12, 12);
                    bar
                }))
                .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// The terminal table: one line per variant.
pub fn comparison_table(variants: &[VariantResult]) -> String {
    let width = variants
        .iter()
        .map(|v| v.name.len())
        .max()
        .unwrap_or(7)
        .max(7);
    // Columns about load and preemption appear only when some variant has them.
    let load = variants
        .iter()
        .any(|v| v.result.summary.requests_total > 0.0);
    let preempt = variants.iter().any(|v| v.result.summary.preemptions > 0);
    let faults = variants.iter().any(|v| disrupted(&v.result.summary));
    let mut t = format!(
        "{:<width$}  {:>9}  {:>11}  {:>8}  {:>8}  {:>11}  {:>9}  {:>11}  {:>11}  {:>11}",
        "variant",
        "cost",
        "cost_in_use",
        "cpu_req%",
        "mem_req%",
        "cpu_strand%",
        "nodes_use",
        "pending_p95",
        "pending_end",
        "unsched_try"
    );
    if load {
        t.push_str(&format!("  {:>10}", "unserved%"));
    }
    if preempt {
        t.push_str(&format!("  {:>9}", "preempted"));
    }
    if faults {
        t.push_str(&format!(
            "  {:>9}  {:>8}  {:>9}  {:>9}  {:>9}  {:>7}  {:>10}  {:>11}",
            "node_down",
            "spot_int",
            "incidents",
            "mttr_mean",
            "mttr_p95",
            "avail%",
            "1_ready%",
            "lost_work_h"
        ));
    }
    t.push('\n');
    for v in variants {
        let s = &v.result.summary;
        t.push_str(&format!(
            "{:<width$}  {:>9.2}  {:>11.2}  {:>8.1}  {:>8.1}  {:>11.1}  {:>9.1}  {:>10.1}s  {:>11}  {:>11}",
            v.name,
            s.cost_usd,
            s.cost_in_use_usd,
            100.0 * s.cpu_requested_ratio,
            100.0 * s.memory_requested_ratio,
            100.0 * s.cpu_stranded_ratio,
            s.nodes_in_use_mean,
            s.pending_time_p95_s,
            s.pods_pending_at_end,
            s.unschedulable_attempts,
        ));
        if load {
            t.push_str(&format!("  {:>10.3}", 100.0 * s.unserved_ratio));
        }
        if preempt {
            t.push_str(&format!("  {:>9}", s.preemption_victims));
        }
        if faults {
            let secs = |v: Option<f64>| v.map_or("-".to_owned(), |x| format!("{x:.0}s"));
            let pct = |v: Option<f64>| v.map_or("-".to_owned(), |x| format!("{:.3}", 100.0 * x));
            t.push_str(&format!(
                "  {:>9}  {:>8}  {:>9}  {:>9}  {:>9}  {:>7}  {:>10}  {:>11.1}",
                s.node_failures,
                s.spot_interruptions,
                s.incidents,
                secs(s.mttr_mean_s),
                secs(s.mttr_p95_s),
                pct(s.availability_mean),
                pct(s.any_ready_mean),
                s.lost_work_s / 3600.0
            ));
        }
        t.push('\n');
    }
    t
}

/// Writes `comparison.csv` and (optionally) `comparison.svg` into `dir`, all or nothing (a
/// stale `comparison.svg` goes when charts are off).
pub fn write_comparison(
    dir: &Path,
    title: &str,
    variants: &[VariantResult],
    charts: bool,
) -> Result<Vec<String>> {
    let mut set = OutputSet::default();
    // A comparison without charts removes the chart of an earlier one.
    set.owns(&["comparison.csv", "comparison.svg"]);
    set.add("comparison.csv", comparison_csv(variants)?);
    if charts {
        set.add(
            "comparison.svg",
            comparison_chart(title, variants)?.into_bytes(),
        );
    }
    set.commit(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(cost: f64) -> crate::RunSummary {
        crate::RunSummary {
            scenario: "s".into(),
            scheduler: "x".into(),
            seed: 1,
            sim_duration_s: 1.0,
            warmup_s: 0.0,
            wall_time_s: 0.0,
            events_processed: 1,
            nodes_mean: 1.0,
            nodes_peak: 1,
            nodes_in_use_mean: cost / 10.0,
            nodes_in_use_peak: 1,
            cpu_requested_ratio: 0.5,
            memory_requested_ratio: 0.5,
            gpu_requested_ratio: 0.0,
            cpu_used_ratio: 0.5,
            memory_used_ratio: 0.5,
            cpu_stranded_ratio: 0.1,
            memory_stranded_ratio: 0.1,
            gpu_stranded_ratio: 0.0,
            cpu_stranded_cores_mean: 1.0,
            fragmentation_probe_cpu_cores: 0.5,
            fragmentation_probe_memory_gib: 1.0,
            fragmentation_probe_gpu: 0.0,
            running_pods_mean: 1.0,
            pending_pods_mean: 0.0,
            pending_pods_peak: 0,
            pods_created: 1,
            pods_scheduled: 1,
            unschedulable_attempts: 0,
            pods_succeeded: 0,
            pods_deleted_while_pending: 0,
            pods_rejected_at_admission: 0,
            pods_pending_at_end: 0,
            preemptions: 0,
            preemption_victims: 0,
            preemption_pdb_violations: 0,
            pending_time_mean_s: 0.0,
            pending_time_p50_s: 0.0,
            pending_time_p95_s: 0.0,
            pending_time_p99_s: 0.0,
            pending_time_max_s: 0.0,
            cost_usd: cost,
            cost_per_hour_usd: cost,
            cost_in_use_usd: cost,
            incidents: 0,
            incidents_open_at_end: 0,
            mttr_mean_s: None,
            mttr_p50_s: None,
            mttr_p95_s: None,
            mttr_max_s: None,
            time_degraded_s: 0.0,
            availability_mean: None,
            availability_min: None,
            any_ready_mean: None,
            node_failures: 0,
            zone_outages: 0,
            spot_interruptions: 0,
            taint_evictions: 0,
            evictions: 0,
            evictions_blocked: 0,
            pods_lost_with_node: 0,
            batch_pods_lost: 0,
            lost_work_s: 0.0,
            requests_total: 0.0,
            requests_unserved: 0.0,
            unserved_ratio: 0.0,
            cost_spot_usd: 0.0,
            monthly_projection_usd: cost * 730.0,
            cost_per_million_requests_usd: None,
            nodes_added: 0,
            nodes_removed: 0,
            pods_evicted: 0,
            restarts: 0,
            container_crashes: 0,
            oom_kills: 0,
            node_pressure_evictions: 0,
            crash_loop_backoff_s: 0.0,
            time_to_ready_mean_s: 0.0,
            ready_replicas_ratio: 0.0,
            all_replicas_ready_ratio: 0.0,
            any_replica_ready_ratio: 0.0,
            rollouts: 0,
            rollouts_complete: 0,
            rollouts_failed: 0,
        }
    }

    fn variants(names: &[&str]) -> Vec<VariantResult> {
        names
            .iter()
            .zip([3.0, 1.0, 2.0, 5.0].iter().cycle())
            .map(|(name, &c)| VariantResult {
                name: name.to_string(),
                result: crate::RunResult {
                    summary: summary(c),
                    samples: vec![],
                    hpa: vec![],
                    has_hpa: false,
                    hpa_metrics: vec![],
                    has_hpa_metrics: false,
                    services: vec![],
                    autoscaler_log: None,
                    group_samples: vec![],
                    rollouts: vec![],
                    has_rollouts: false,
                    recovery: Default::default(),
                    work: Default::default(),
                },
            })
            .collect()
    }

    #[test]
    fn comparison_chart_is_byte_identical_across_renderings() {
        let variants = variants(&["v0", "v1", "v2", "v3"]);
        let first = comparison_chart("t", &variants).unwrap();
        for _ in 0..5 {
            assert_eq!(comparison_chart("t", &variants).unwrap(), first);
        }
    }

    #[test]
    fn comparison_csv_quotes_awkward_variant_names() {
        let names = ["plain", "a,b", "say \"hi\"", "two\nlines"];
        let csv = comparison_csv(&variants(&names)).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        let header = reader.headers().unwrap().clone();
        assert_eq!(&header[0], "variant");
        assert_eq!(&header[1], "scenario");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 4);
        for (row, name) in rows.iter().zip(names) {
            assert_eq!(&row[0], name);
            assert_eq!(row.len(), header.len());
        }
        // A plain name is written as it is, as before.
        let text = String::from_utf8(csv).unwrap();
        assert!(text.lines().nth(1).unwrap().starts_with("plain,s,x,1,"));
        assert!(text.contains("\"a,b\",s,"));
    }
}

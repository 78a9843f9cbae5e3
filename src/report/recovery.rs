//! Recovery outputs: `incidents.csv` (one row per incident), `recovery.csv` (MTTR per cause),
//! `workloads.csv` (availability per Deployment), `node_events.csv` (what the faults did to
//! each node) and `recovery.svg` (recovery-time distribution; ready vs desired replicas).

use super::charts::chart_error;
use crate::engine::Simulation;
use crate::engine::time::SimTime;
use crate::error::Result;
use crate::metrics::pending::PendingTimes;
use crate::metrics::recovery::{Cause, Incident, ReadySample};
use plotters::prelude::*;
use serde::Serialize;

/// One row of `incidents.csv`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IncidentRow {
    /// Workload (Deployment) name.
    pub workload: String,
    /// The first disruption's cause.
    pub cause: &'static str,
    /// Start [s].
    pub start_s: f64,
    /// End [s]; empty while open at the end of the run.
    pub end_s: Option<f64>,
    /// Recovery time [s]; empty while open.
    pub recovery_s: Option<f64>,
    /// Pods disrupted during the incident.
    pub pods: u32,
    /// Fewest ready replicas during the incident.
    pub min_ready: u32,
    /// Desired replicas when it opened.
    pub desired: u32,
}

impl super::HeaderRow for IncidentRow {
    const COLUMNS: &'static [&'static str] = &[
        "workload",
        "cause",
        "start_s",
        "end_s",
        "recovery_s",
        "pods",
        "min_ready",
        "desired",
    ];
}

/// One row of `recovery.csv`: the incidents of one cause.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CauseRow {
    /// Cause.
    pub cause: &'static str,
    /// Incidents.
    pub incidents: u32,
    /// Of which still open at the end.
    pub open_at_end: u32,
    /// Pods disrupted.
    pub pods_disrupted: u32,
    /// Mean recovery time of the closed incidents [s].
    pub mttr_mean_s: Option<f64>,
    /// Median [s] (nearest rank).
    pub mttr_p50_s: Option<f64>,
    /// 95th percentile [s].
    pub mttr_p95_s: Option<f64>,
    /// Longest [s].
    pub mttr_max_s: Option<f64>,
    /// Sum of the incidents' durations, open ones up to the end [s].
    pub time_degraded_s: f64,
}

impl super::HeaderRow for CauseRow {
    const COLUMNS: &'static [&'static str] = &[
        "cause",
        "incidents",
        "open_at_end",
        "pods_disrupted",
        "mttr_mean_s",
        "mttr_p50_s",
        "mttr_p95_s",
        "mttr_max_s",
        "time_degraded_s",
    ];
}

/// One row of `workloads.csv`: one Deployment over the run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WorkloadRow {
    /// Deployment name.
    pub workload: String,
    /// Desired replicas at the end.
    pub desired_replicas_end: u32,
    /// Fraction of the time at its desired ready replicas.
    pub availability_ratio: f64,
    /// Fraction of the time with at least one ready replica.
    pub any_ready_ratio: f64,
    /// Incidents.
    pub incidents: u32,
    /// Pods disrupted.
    pub pods_disrupted: u32,
    /// Sum of the incidents' durations [s].
    pub time_degraded_s: f64,
    /// Mean recovery time [s].
    pub mttr_mean_s: Option<f64>,
    /// Longest recovery time [s].
    pub mttr_max_s: Option<f64>,
}

/// One row of `node_events.csv`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NodeEventRow {
    /// Time [s].
    pub time_s: f64,
    /// Node name.
    pub node: String,
    /// Its pool.
    pub pool: String,
    /// Its zone.
    pub zone: String,
    /// What happened (see [`crate::disruption::faults::NodeEventKind`]).
    pub event: &'static str,
    /// Why (the fault's cause).
    pub cause: &'static str,
}

impl super::HeaderRow for NodeEventRow {
    const COLUMNS: &'static [&'static str] = &["time_s", "node", "pool", "zone", "event", "cause"];
}

/// Recovery statistics of a run (also the source of the summary columns).
#[derive(Clone, Debug, Default)]
pub struct RecoveryReport {
    /// Whether the scenario has Deployments (the incident files are written).
    pub has_workloads: bool,
    /// Whether the scenario has faults (`node_events.csv` is written).
    pub has_faults: bool,
    /// `incidents.csv`.
    pub incidents: Vec<IncidentRow>,
    /// `recovery.csv`.
    pub causes: Vec<CauseRow>,
    /// `workloads.csv`.
    pub workloads: Vec<WorkloadRow>,
    /// `node_events.csv`.
    pub node_events: Vec<NodeEventRow>,
    /// Ready/desired samples (for the chart).
    pub samples: Vec<ReadySample>,
    /// Workload names by index (of the samples).
    pub names: Vec<String>,
    /// Recovery times of every closed incident [ms], for the summary.
    pub recovery_ms: Vec<u64>,
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// (mean, p50, p95, max) [s], `None` without samples.
pub fn mttr_stats(t: &mut PendingTimes) -> [Option<f64>; 4] {
    if t.count() == 0 {
        return [None; 4];
    }
    [
        Some(t.mean_ms() / 1000.0),
        Some(secs(t.percentile_ms(50.0))),
        Some(secs(t.percentile_ms(95.0))),
        Some(secs(t.percentile_ms(100.0))),
    ]
}

impl RecoveryReport {
    /// Collects the recovery outputs of a finished simulation (closes the availability
    /// integrals at its end).
    pub fn collect(sim: &mut Simulation) -> RecoveryReport {
        let end = sim.end;
        let r = &mut sim.metrics.recovery;
        r.finish(end);
        let incidents: Vec<Incident> = r.incidents();
        let incident_rows = incidents
            .iter()
            .map(|i| IncidentRow {
                workload: r.name(i.workload).to_owned(),
                cause: i.cause.as_str(),
                start_s: i.start.as_secs_f64(),
                end_s: (i.end != SimTime::NEVER).then(|| i.end.as_secs_f64()),
                recovery_s: i.recovery_ms().map(secs),
                pods: i.pods,
                min_ready: i.min_ready,
                desired: i.desired,
            })
            .collect();
        let causes = r
            .per_cause(end)
            .into_iter()
            .map(|mut c| {
                let [mean, p50, p95, max] = mttr_stats(&mut c.recovery);
                CauseRow {
                    cause: c.cause.as_str(),
                    incidents: c.incidents,
                    open_at_end: c.open_at_end,
                    pods_disrupted: c.pods,
                    mttr_mean_s: mean,
                    mttr_p50_s: p50,
                    mttr_p95_s: p95,
                    mttr_max_s: max,
                    time_degraded_s: secs(c.degraded_ms),
                }
            })
            .collect();
        let workloads = r
            .per_workload(end)
            .into_iter()
            .map(|mut w| {
                let [mean, _, _, max] = mttr_stats(&mut w.recovery);
                WorkloadRow {
                    workload: w.name,
                    desired_replicas_end: w.desired_end,
                    availability_ratio: w.availability,
                    any_ready_ratio: w.any_ready,
                    incidents: w.incidents,
                    pods_disrupted: w.pods,
                    time_degraded_s: secs(w.degraded_ms),
                    mttr_mean_s: mean,
                    mttr_max_s: max,
                }
            })
            .collect();
        let samples = r.samples.clone();
        let names = (0..r.len() as u32).map(|w| r.name(w).to_owned()).collect();
        let cluster = &sim.cluster;
        let node_events = sim
            .faults
            .log
            .iter()
            .map(|e| {
                let n = &cluster.nodes[e.node.0 as usize];
                let pool = &cluster.pools[n.pool.0 as usize];
                NodeEventRow {
                    time_s: e.time.as_secs_f64(),
                    node: n.name.clone(),
                    pool: pool.name.clone(),
                    zone: pool.zone.clone(),
                    event: e.kind.as_str(),
                    cause: e.cause.as_str(),
                }
            })
            .collect();
        RecoveryReport {
            has_workloads: !sim.deployments.is_empty(),
            has_faults: sim.faults.any(),
            incidents: incident_rows,
            causes,
            workloads,
            node_events,
            samples,
            names,
            recovery_ms: incidents.iter().filter_map(|i| i.recovery_ms()).collect(),
        }
    }
}

/// The recovery columns of `summary.csv`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecoverySummary {
    /// Incidents in the window.
    pub incidents: u64,
    /// Of which still open at the end.
    pub incidents_open_at_end: u64,
    /// (mean, p50, p95, max) recovery time of the closed incidents [s].
    pub mttr_s: [Option<f64>; 4],
    /// Sum of the incidents' durations [s].
    pub time_degraded_s: f64,
    /// Mean over the Deployments of the fraction of time at desired ready replicas.
    pub availability_mean: Option<f64>,
    /// The lowest of those fractions.
    pub availability_min: Option<f64>,
    /// Mean over the Deployments of the fraction of time with at least one ready replica.
    pub any_ready_mean: Option<f64>,
}

impl RecoveryReport {
    /// The `summary.csv` columns.
    pub fn summary(&self) -> RecoverySummary {
        let mut t = PendingTimes::default();
        for &ms in &self.recovery_ms {
            t.record(ms);
        }
        let n = self.workloads.len() as f64;
        let avail = |f: fn(&WorkloadRow) -> f64| {
            (!self.workloads.is_empty()).then(|| self.workloads.iter().map(f).sum::<f64>() / n)
        };
        RecoverySummary {
            incidents: self.incidents.len() as u64,
            incidents_open_at_end: self.incidents.iter().filter(|i| i.end_s.is_none()).count()
                as u64,
            mttr_s: mttr_stats(&mut t),
            time_degraded_s: self.causes.iter().fold(0.0, |a, c| a + c.time_degraded_s),
            availability_mean: avail(|w| w.availability_ratio),
            availability_min: self
                .workloads
                .iter()
                .map(|w| w.availability_ratio)
                .min_by(f64::total_cmp),
            any_ready_mean: avail(|w| w.any_ready_ratio),
        }
    }
}

const WIDTH: u32 = 960;
const HEIGHT: u32 = 760;

/// Line colors, one per cause ([`Cause::ALL`] order) and per workload.
const COLORS: [RGBColor; 9] = [
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
];

/// The workloads shown in the ready-replicas panel: up to four, most degraded first (then in
/// scenario order).
fn main_workloads(report: &RecoveryReport) -> Vec<&str> {
    let mut w: Vec<(usize, &WorkloadRow)> = report.workloads.iter().enumerate().collect();
    w.sort_by(|a, b| {
        b.1.time_degraded_s
            .total_cmp(&a.1.time_degraded_s)
            .then(a.0.cmp(&b.0))
    });
    w.iter().take(4).map(|(_, r)| r.workload.as_str()).collect()
}

/// Top: the distribution of recovery times per cause (the fraction of incidents recovered
/// within x seconds, one step line per cause). Bottom: ready (solid) and desired (thin)
/// replicas over time of the most degraded workloads.
pub fn recovery_chart(title: &str, report: &RecoveryReport) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let root = root
            .titled(&format!("Recovery: {title}"), ("sans-serif", 20))
            .map_err(chart_error)?;
        let (top, bottom) = root.split_vertically(HEIGHT / 2 - 20);
        // Recovery-time CDF per cause.
        let mut per_cause: Vec<(Cause, Vec<f64>)> = Vec::new();
        for &cause in &Cause::ALL {
            let mut v: Vec<f64> = report
                .incidents
                .iter()
                .filter(|i| i.cause == cause.as_str())
                .filter_map(|i| i.recovery_s)
                .collect();
            if !v.is_empty() {
                v.sort_by(f64::total_cmp);
                per_cause.push((cause, v));
            }
        }
        let max_x = per_cause
            .iter()
            .flat_map(|(_, v)| v.last().copied())
            .fold(1.0f64, f64::max)
            * 1.05;
        let mut chart = ChartBuilder::on(&top)
            .caption(
                "recovery time of closed incidents (fraction recovered within x)",
                ("sans-serif", 16),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..max_x, 0.0..1.05)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .x_desc("recovery time [s]")
            .y_desc("fraction of incidents")
            .draw()
            .map_err(chart_error)?;
        for (cause, v) in &per_cause {
            let color = COLORS[Cause::ALL.iter().position(|c| c == cause).unwrap_or(0)];
            let n = v.len() as f64;
            let mut points = vec![(0.0, 0.0)];
            for (k, &x) in v.iter().enumerate() {
                points.push((x, k as f64 / n));
                points.push((x, (k + 1) as f64 / n));
            }
            points.push((max_x, 1.0));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(chart_error)?
                .label(format!("{} ({})", cause.as_str(), v.len()))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        if !per_cause.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerRight)
                .draw()
                .map_err(chart_error)?;
        }
        // Ready vs desired replicas.
        let names = main_workloads(report);
        let end = report.samples.last().map_or(0.0, |s| s.time.as_secs_f64());
        let (div, label) = if end > 3.0 * 3600.0 {
            (3600.0, "time [h]")
        } else {
            (60.0, "time [min]")
        };
        let rows = |name: &str| {
            let w = report
                .names
                .iter()
                .position(|n| n == name)
                .unwrap_or(usize::MAX);
            report
                .samples
                .iter()
                .filter(move |s| s.workload as usize == w)
                .copied()
        };
        let max_y = names
            .iter()
            .flat_map(|n| rows(n).map(|s| s.ready.max(s.desired)))
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let mut chart = ChartBuilder::on(&bottom)
            .caption(
                "ready replicas (thick) and desired replicas (thin)",
                ("sans-serif", 16),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..(end / div).max(1e-9), 0.0..max_y * 1.15)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .x_desc(label)
            .y_desc("replicas")
            .draw()
            .map_err(chart_error)?;
        for (k, name) in names.iter().enumerate() {
            let color = COLORS[(k + 3) % COLORS.len()];
            chart
                .draw_series(LineSeries::new(
                    rows(name).map(|s| (s.time.as_secs_f64() / div, f64::from(s.desired))),
                    color.mix(0.6).stroke_width(1),
                ))
                .map_err(chart_error)?;
            chart
                .draw_series(LineSeries::new(
                    rows(name).map(|s| (s.time.as_secs_f64() / div, f64::from(s.ready))),
                    color.stroke_width(2),
                ))
                .map_err(chart_error)?
                .label(name.to_string())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        if !names.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerLeft)
                .draw()
                .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<T: Serialize>(row: T) -> String {
        let csv = String::from_utf8(super::super::to_csv(&[row]).unwrap()).unwrap();
        csv.lines().next().unwrap().to_owned()
    }

    #[test]
    fn empty_file_headers_match_the_rows() {
        use super::super::HeaderRow;
        let incident = IncidentRow {
            workload: "w".into(),
            cause: "NodeFailure",
            start_s: 0.0,
            end_s: None,
            recovery_s: None,
            pods: 1,
            min_ready: 0,
            desired: 1,
        };
        assert_eq!(header(incident), IncidentRow::COLUMNS.join(","));
        let cause = CauseRow {
            cause: "NodeFailure",
            incidents: 1,
            open_at_end: 0,
            pods_disrupted: 1,
            mttr_mean_s: None,
            mttr_p50_s: None,
            mttr_p95_s: None,
            mttr_max_s: None,
            time_degraded_s: 0.0,
        };
        assert_eq!(header(cause), CauseRow::COLUMNS.join(","));
        let event = NodeEventRow {
            time_s: 0.0,
            node: "n".into(),
            pool: "p".into(),
            zone: "z".into(),
            event: "Down",
            cause: "NodeFailure",
        };
        assert_eq!(header(event), NodeEventRow::COLUMNS.join(","));
    }

    #[test]
    fn chart_is_deterministic_and_handles_no_incidents() {
        let mut report = RecoveryReport {
            has_workloads: true,
            ..RecoveryReport::default()
        };
        let empty = recovery_chart("t", &report).unwrap();
        assert!(empty.contains("<svg"));
        for (k, cause) in ["NodeFailure", "Preemption", "NodeFailure"]
            .iter()
            .enumerate()
        {
            report.incidents.push(IncidentRow {
                workload: "web".into(),
                cause,
                start_s: k as f64,
                end_s: Some(k as f64 + 350.0),
                recovery_s: Some(350.0 - k as f64),
                pods: 1,
                min_ready: 2,
                desired: 3,
            });
        }
        report.workloads.push(WorkloadRow {
            workload: "web".into(),
            desired_replicas_end: 3,
            availability_ratio: 0.9,
            any_ready_ratio: 1.0,
            incidents: 3,
            pods_disrupted: 3,
            time_degraded_s: 1000.0,
            mttr_mean_s: Some(349.0),
            mttr_max_s: Some(350.0),
        });
        report.names.push("web".into());
        for t in 0..10 {
            report.samples.push(ReadySample {
                time: SimTime(t * 60_000),
                workload: 0,
                ready: 2 + (t % 2) as u32,
                desired: 3,
            });
        }
        let a = recovery_chart("t", &report).unwrap();
        assert_eq!(a, recovery_chart("t", &report).unwrap());
        assert!(a.contains("NodeFailure (2)"));
    }
}

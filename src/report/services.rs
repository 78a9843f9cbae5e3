//! Per-service outputs: `services.csv` (load, replicas, utilization and unserved requests per
//! sample) and `services.svg` (one panel per service).

use super::charts::chart_error;
use crate::error::Result;
use plotters::prelude::*;
use serde::Serialize;

/// One row of `services.csv`: a load-driven service at one instant.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ServiceSample {
    /// Simulated time [s].
    pub time_s: f64,
    /// The service's Deployment.
    pub service: String,
    /// Request rate over the current load tick [requests/s].
    pub load_rps: f64,
    /// Desired replicas (`spec.replicas`, set by the HPA if any).
    pub replicas: u32,
    /// Pods serving traffic (running).
    pub ready_pods: u32,
    /// Σ cpu usage / Σ cpu requests of the ready pods [%] (what the HPA's utilization is based
    /// on, before metrics lag).
    pub cpu_utilization_percent: f64,
    /// Requests/s beyond the ready pods' capacity.
    pub unserved_rps: f64,
}

const PANEL_HEIGHT: u32 = 320;
const WIDTH: u32 = 960;

/// Most points drawn per line: about one per pixel column.
const MAX_POINTS: usize = WIDTH as usize;

/// The points of a line, thinned to at most [`MAX_POINTS`] when longer: each run of
/// consecutive points keeps its lowest and highest point (in time order), so spikes and dips
/// stay visible while a month of 10-minute samples no longer makes a multi-megabyte chart.
fn envelope(points: impl Iterator<Item = (f64, f64)>, len: usize) -> Vec<(f64, f64)> {
    let run = len.div_ceil(MAX_POINTS / 2).max(1);
    if run == 1 {
        return points.collect();
    }
    let mut out = Vec::with_capacity(MAX_POINTS + 2);
    let mut bucket: Vec<(f64, f64)> = Vec::with_capacity(run);
    let flush = |bucket: &mut Vec<(f64, f64)>, out: &mut Vec<(f64, f64)>| {
        let lowest = bucket
            .iter()
            .copied()
            .reduce(|a, b| if b.1 < a.1 { b } else { a });
        let highest = bucket
            .iter()
            .copied()
            .reduce(|a, b| if b.1 > a.1 { b } else { a });
        if let (Some(lo), Some(hi)) = (lowest, highest) {
            if lo.0 <= hi.0 {
                out.push(lo);
                if hi != lo {
                    out.push(hi);
                }
            } else {
                out.push(hi);
                out.push(lo);
            }
        }
        bucket.clear();
    };
    for p in points {
        bucket.push(p);
        if bucket.len() == run {
            flush(&mut bucket, &mut out);
        }
    }
    flush(&mut bucket, &mut out);
    out
}

/// Per service, over time: load and unserved requests (left axis) with replicas and ready pods
/// (right axis), and below it the cpu utilization of the ready pods (% of their requests, what
/// the HPA targets).
pub fn services_chart(title: &str, samples: &[ServiceSample]) -> Result<String> {
    // The services in order of first appearance, each with its rows (one pass).
    let mut names: Vec<&str> = Vec::new();
    let mut by_service: Vec<Vec<&ServiceSample>> = Vec::new();
    let mut index: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for s in samples {
        let k = *index.entry(s.service.as_str()).or_insert_with(|| {
            names.push(&s.service);
            by_service.push(Vec::new());
            names.len() - 1
        });
        by_service[k].push(s);
    }
    let panels = names.len().max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, PANEL_HEIGHT * panels as u32 + 40))
            .into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let root = root
            .titled(&format!("Services: {title}"), ("sans-serif", 20))
            .map_err(chart_error)?;
        let areas = root.split_evenly((panels, 1));
        let end = samples.last().map_or(0.0, |s| s.time_s);
        let (div, label) = if end > 3.0 * 3600.0 {
            (3600.0, "time [h]")
        } else {
            (60.0, "time [min]")
        };
        for ((panel, name), rows) in areas.iter().zip(&names).zip(&by_service) {
            let (top, lower) = panel.split_vertically(PANEL_HEIGHT * 2 / 3);
            let area = &top;
            let t_end = (end / div).max(1e-9);
            let max_load = rows.iter().map(|r| r.load_rps).fold(1e-9, f64::max);
            let max_pods = rows
                .iter()
                .map(|r| r.replicas.max(r.ready_pods))
                .max()
                .unwrap_or(1)
                .max(1) as f64;
            let mut chart = ChartBuilder::on(area)
                .caption(*name, ("sans-serif", 16))
                .margin(8)
                .x_label_area_size(32)
                .y_label_area_size(56)
                .right_y_label_area_size(48)
                .build_cartesian_2d(0.0..t_end, 0.0..max_load * 1.1)
                .map_err(chart_error)?
                .set_secondary_coord(0.0..t_end, 0.0..max_pods * 1.2);
            chart
                .configure_mesh()
                .x_desc(label)
                .y_desc("requests/s")
                .draw()
                .map_err(chart_error)?;
            chart
                .configure_secondary_axes()
                .y_desc("pods")
                .draw()
                .map_err(chart_error)?;
            let blue = RGBColor(31, 119, 180);
            let red = RGBColor(214, 39, 40);
            let green = RGBColor(44, 160, 44);
            let grey = RGBColor(90, 90, 90);
            chart
                .draw_series(LineSeries::new(
                    envelope(
                        rows.iter().map(|r| (r.time_s / div, r.load_rps)),
                        rows.len(),
                    ),
                    blue.stroke_width(2),
                ))
                .map_err(chart_error)?
                .label("load")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], blue));
            chart
                .draw_series(LineSeries::new(
                    envelope(
                        rows.iter().map(|r| (r.time_s / div, r.unserved_rps)),
                        rows.len(),
                    ),
                    red.stroke_width(2),
                ))
                .map_err(chart_error)?
                .label("unserved")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], red));
            chart
                .draw_secondary_series(LineSeries::new(
                    envelope(
                        rows.iter().map(|r| (r.time_s / div, r.replicas as f64)),
                        rows.len(),
                    ),
                    grey.stroke_width(2),
                ))
                .map_err(chart_error)?
                .label("replicas")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], grey));
            chart
                .draw_secondary_series(LineSeries::new(
                    envelope(
                        rows.iter().map(|r| (r.time_s / div, r.ready_pods as f64)),
                        rows.len(),
                    ),
                    green.stroke_width(1),
                ))
                .map_err(chart_error)?
                .label("ready pods")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], green));
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(chart_error)?;
            let max_util = rows
                .iter()
                .map(|r| r.cpu_utilization_percent)
                .fold(100.0, f64::max);
            let mut util = ChartBuilder::on(&lower)
                .margin(8)
                .x_label_area_size(24)
                .y_label_area_size(56)
                .right_y_label_area_size(48)
                .build_cartesian_2d(0.0..t_end, 0.0..max_util * 1.05)
                .map_err(chart_error)?;
            util.configure_mesh()
                .y_desc("cpu util. %")
                .draw()
                .map_err(chart_error)?;
            let purple = RGBColor(148, 103, 189);
            util.draw_series(LineSeries::new(
                envelope(
                    rows.iter()
                        .map(|r| (r.time_s / div, r.cpu_utilization_percent)),
                    rows.len(),
                ),
                purple.stroke_width(2),
            ))
            .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_keeps_short_lines_and_the_extremes_of_long_ones() {
        let short: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(envelope(short.iter().copied(), short.len()), short);
        // A flat month of 4,320 samples with one spike and one dip.
        let n = 4320;
        let line: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let y = match i {
                    1000 => 50.0,
                    3000 => -5.0,
                    _ => 10.0,
                };
                (i as f64, y)
            })
            .collect();
        let thin = envelope(line.iter().copied(), n);
        assert!(thin.len() <= MAX_POINTS + 2, "{} points", thin.len());
        assert!(thin.contains(&(1000.0, 50.0)) && thin.contains(&(3000.0, -5.0)));
        assert!(thin.windows(2).all(|w| w[0].0 < w[1].0), "time order kept");
        assert_eq!(thin.first(), Some(&(0.0, 10.0)));
    }
}

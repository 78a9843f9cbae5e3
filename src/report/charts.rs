//! SVG charts drawn with plotters' SVG backend (no system libraries needed).

use super::{GroupSample, Sample};
use crate::error::{Error, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// A named line: legend label, color and the value it plots from a sample.
type Line = (&'static str, RGBColor, fn(&Sample) -> f64);

const WIDTH: u32 = 960;
const HEIGHT: u32 = 480;

pub(crate) fn chart_error<E: std::fmt::Display>(e: E) -> Error {
    Error::Usage(format!("chart rendering failed: {e}"))
}

/// Time axis scale: hours when the run is longer than 3 h, else minutes.
fn time_axis(samples: &[Sample]) -> (f64, &'static str) {
    let end = samples.last().map_or(0.0, |s| s.time_s);
    if end > 3.0 * 3600.0 {
        (3600.0, "time [h]")
    } else {
        (60.0, "time [min]")
    }
}

/// Draws a time-series line per entry of `lines` on a chart whose x axis is time / `div`.
fn draw_lines<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    samples: &[Sample],
    div: f64,
    lines: &[Line],
) -> Result<()> {
    for &(name, color, value) in lines {
        chart
            .draw_series(LineSeries::new(
                samples.iter().map(|s| (s.time_s / div, value(s))),
                color.stroke_width(2),
            ))
            .map_err(chart_error)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    Ok(())
}

/// Draws the legend box at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(chart_error)
}

/// Requested, used and stranded cpu/memory ratios (left axis) and node count (right axis) over
/// time.
pub fn utilization_chart(title: &str, samples: &[Sample]) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let (div, label) = time_axis(samples);
        let t_end = samples.last().map_or(1.0, |s| s.time_s / div).max(1e-9);
        let max_nodes = samples.iter().map(|s| s.nodes).max().unwrap_or(1).max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Utilization and nodes: {title}"),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .right_y_label_area_size(56)
            .build_cartesian_2d(0.0..t_end, 0.0..1.05)
            .map_err(chart_error)?
            .set_secondary_coord(0.0..t_end, 0.0..max_nodes * 1.1);
        chart
            .configure_mesh()
            .x_desc(label)
            .y_desc("fraction of allocatable")
            .draw()
            .map_err(chart_error)?;
        chart
            .configure_secondary_axes()
            .y_desc("nodes")
            .draw()
            .map_err(chart_error)?;
        draw_lines(
            &mut chart,
            samples,
            div,
            &[
                ("cpu requested", RGBColor(31, 119, 180), |s| {
                    s.cpu_requested_ratio
                }),
                ("memory requested", RGBColor(255, 127, 14), |s| {
                    s.memory_requested_ratio
                }),
                ("cpu used", RGBColor(44, 160, 44), |s| s.cpu_used_ratio),
                ("memory used", RGBColor(214, 39, 40), |s| {
                    s.memory_used_ratio
                }),
                ("cpu stranded", RGBColor(148, 103, 189), |s| {
                    s.cpu_stranded_ratio
                }),
            ],
        )?;
        let grey = RGBColor(90, 90, 90);
        chart
            .draw_secondary_series(LineSeries::new(
                samples.iter().map(|s| (s.time_s / div, s.nodes as f64)),
                grey.stroke_width(2),
            ))
            .map_err(chart_error)?
            .label("nodes (right axis)")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], grey.stroke_width(2))
            });
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// Running and pending pods over time.
pub fn pods_chart(title: &str, samples: &[Sample]) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let (div, label) = time_axis(samples);
        let t_end = samples.last().map_or(1.0, |s| s.time_s / div).max(1e-9);
        let max_pods = samples
            .iter()
            .map(|s| s.running_pods.max(s.pending_pods))
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Running and pending pods: {title}"),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..t_end, 0.0..max_pods * 1.1)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .x_desc(label)
            .y_desc("pods")
            .draw()
            .map_err(chart_error)?;
        draw_lines(
            &mut chart,
            samples,
            div,
            &[
                ("running", RGBColor(31, 119, 180), |s| s.running_pods as f64),
                ("pending", RGBColor(214, 39, 40), |s| s.pending_pods as f64),
            ],
        )?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// Colors of the node group lines, cycled.
const GROUP_COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// Ready nodes per node group (left axis, one line each, drawn in pool order) and the
/// cumulative cost (right axis) over time.
pub fn cost_chart(title: &str, samples: &[Sample], groups: &[GroupSample]) -> Result<String> {
    let mut names: Vec<&str> = Vec::new();
    for g in groups {
        if !names.contains(&g.group.as_str()) {
            names.push(&g.group);
        }
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let (div, label) = time_axis(samples);
        let t_end = samples.last().map_or(1.0, |s| s.time_s / div).max(1e-9);
        let max_nodes = groups.iter().map(|g| g.nodes).max().unwrap_or(1).max(1) as f64;
        let max_cost = samples
            .iter()
            .map(|s| s.cost_cumulative_usd)
            .fold(0.0, f64::max)
            .max(1e-9);
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Nodes by group and cumulative cost: {title}"),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .right_y_label_area_size(72)
            .build_cartesian_2d(0.0..t_end, 0.0..max_nodes * 1.1)
            .map_err(chart_error)?
            .set_secondary_coord(0.0..t_end, 0.0..max_cost * 1.05);
        chart
            .configure_mesh()
            .x_desc(label)
            .y_desc("ready nodes")
            .draw()
            .map_err(chart_error)?;
        chart
            .configure_secondary_axes()
            .y_desc("cumulative cost [USD]")
            .draw()
            .map_err(chart_error)?;
        for (k, name) in names.iter().enumerate() {
            let color = GROUP_COLORS[k % GROUP_COLORS.len()];
            chart
                .draw_series(LineSeries::new(
                    groups
                        .iter()
                        .filter(|g| g.group == *name)
                        .map(|g| (g.time_s / div, g.nodes as f64)),
                    color.stroke_width(2),
                ))
                .map_err(chart_error)?
                .label(format!("{name} nodes"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        let black = RGBColor(20, 20, 20);
        chart
            .draw_secondary_series(LineSeries::new(
                samples
                    .iter()
                    .map(|s| (s.time_s / div, s.cost_cumulative_usd)),
                black.stroke_width(2),
            ))
            .map_err(chart_error)?
            .label("cumulative cost (right axis)")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], black.stroke_width(2))
            });
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

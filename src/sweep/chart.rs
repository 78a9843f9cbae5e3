//! `sweep.svg`: every grid point as its mean of two metrics (cost against unserved ratio,
//! availability or pending time; the objective's columns when the sweep has one), with the
//! 95% confidence interval of each as error bars and the point's label next to it; with an
//! objective, the first condition's threshold as a red line and the answer in orange.

use super::objective::Objective;
use super::points::Points;
use crate::error::Result;
use crate::report::charts::chart_error;
use plotters::prelude::*;

/// The chart's file name.
pub const CHART_FILE: &str = "sweep.svg";

/// The x and y metrics: the objective's column and first condition's, else cost against the
/// first of unserved ratio, availability and pending p95 that varies.
fn axes(points: &Points, objective: Option<&Objective>) -> Option<(usize, usize)> {
    if let Some(o) = objective {
        let x = points.metric(&o.column)?;
        let y = o
            .conditions()
            .ok()
            .and_then(|c| c.first().and_then(|c| points.metric(&c.column)));
        if let Some(y) = y.filter(|&y| y != x) {
            return Some((x, y));
        }
    }
    let x = points.metric("cost_usd")?;
    let varies = |i: usize| {
        let means: Vec<f64> = points
            .points
            .iter()
            .filter_map(|p| p.stats[i].map(|s| s.mean))
            .collect();
        means.iter().any(|m| *m != means[0])
    };
    let y = ["unserved_ratio", "availability_mean", "pending_time_p95_s"]
        .iter()
        .filter_map(|m| points.metric(m))
        .find(|&i| varies(i))
        .or_else(|| points.metric("unserved_ratio"))?;
    Some((x, y))
}

/// A point on the chart: label, x mean, x interval, y mean, y interval.
type Mark = (String, f64, (f64, f64), f64, (f64, f64));

/// The span of `(low, high)` ranges with a margin (a unit range around a single value).
fn span(ranges: impl Iterator<Item = (f64, f64)>) -> (f64, f64) {
    let (lo, hi) = ranges.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (l, h)| {
        (a.min(l), b.max(h))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.08
    } else {
        lo.abs().max(1e-9) * 0.1
    };
    (lo - pad, hi + pad)
}

/// Draws the chart (`None` when the sweep has no such metrics).
pub fn sweep_chart(
    title: &str,
    points: &Points,
    objective: Option<&Objective>,
) -> Result<Option<String>> {
    let Some((xi, yi)) = axes(points, objective) else {
        return Ok(None);
    };
    // (label, x mean, x interval, y mean, y interval) of the points with both means.
    let marks: Vec<Mark> = points
        .points
        .iter()
        .filter_map(|p| {
            let (x, y) = (p.stats[xi]?, p.stats[yi]?);
            let values = p.values.join(", ");
            let label = if values.is_empty() || values.len() > 24 {
                format!("p{}", p.point)
            } else {
                format!("p{} ({values})", p.point)
            };
            Some((
                label,
                x.mean,
                x.ci95.unwrap_or((x.mean, x.mean)),
                y.mean,
                y.ci95.unwrap_or((y.mean, y.mean)),
            ))
        })
        .collect();
    // The first condition's threshold when it is on the y axis, and the answer.
    let threshold = objective.and_then(|o| {
        o.conditions().ok().and_then(|c| {
            c.first()
                .filter(|c| points.metric(&c.column) == Some(yi))
                .map(|c| c.threshold)
        })
    });
    let best = objective
        .and_then(|o| super::terminal::answer(points, o).ok())
        .and_then(|(best, _)| best)
        .map(|b| format!("p{}", points.points[b].point));
    let (x0, x1) = span(marks.iter().map(|m| m.2));
    let (y0, y1) = span(marks.iter().map(|m| m.4).chain(threshold.map(|t| (t, t))));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Sweep: {title} (mean and 95% CI per grid point)"),
                ("sans-serif", 20),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(84)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .x_desc(points.metrics[xi].as_str())
            .y_desc(points.metrics[yi].as_str())
            .draw()
            .map_err(chart_error)?;
        if let Some(t) = threshold {
            let red = RGBColor(214, 39, 40);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x0, t), (x1, t)],
                    red.stroke_width(1),
                )))
                .map_err(chart_error)?
                .label(format!("{} threshold", points.metrics[yi]))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], red));
        }
        let (dx, dy) = ((x1 - x0) * 0.006, (y1 - y0) * 0.006);
        for (label, x, (xl, xh), y, (yl, yh)) in &marks {
            let is_best = best.as_deref() == label.split(' ').next();
            let color = if is_best {
                RGBColor(255, 127, 14)
            } else {
                RGBColor(31, 119, 180)
            };
            let bars = [
                vec![(*xl, *y), (*xh, *y)],
                vec![(*xl, y - dy), (*xl, y + dy)],
                vec![(*xh, y - dy), (*xh, y + dy)],
                vec![(*x, *yl), (*x, *yh)],
                vec![(x - dx, *yl), (x + dx, *yl)],
                vec![(x - dx, *yh), (x + dx, *yh)],
            ];
            chart
                .draw_series(
                    bars.into_iter()
                        .map(|b| PathElement::new(b, color.stroke_width(1))),
                )
                .map_err(chart_error)?;
            chart
                .draw_series(std::iter::once(Circle::new((*x, *y), 4, color.filled())))
                .map_err(chart_error)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (x + dx, y + 2.0 * dy),
                    ("sans-serif", 13),
                )))
                .map_err(chart_error)?;
        }
        if threshold.is_some() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    Ok(Some(svg))
}

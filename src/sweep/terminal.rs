//! The terminal report of a sweep: one line per grid point with the mean and 95% confidence
//! interval of the key metrics (the objective's columns, else cost, unserved ratio and
//! availability), and the answer to the objective when the sweep states one.

use super::objective::Objective;
use super::points::Points;
use crate::error::{Error, Result};

/// A number for the table: four decimals, or scientific notation for small magnitudes.
fn num(x: f64) -> String {
    if x == 0.0 || x.abs() >= 0.01 {
        format!("{x:.4}")
    } else {
        format!("{x:.3e}")
    }
}

/// `mean [low, high]`, or the mean alone without an interval.
fn cell(points: &Points, p: usize, m: usize) -> String {
    match points.points[p].stats[m] {
        None => "-".into(),
        Some(s) => match s.ci95 {
            Some((lo, hi)) => format!("{} [{}, {}]", num(s.mean), num(lo), num(hi)),
            None => num(s.mean),
        },
    }
}

/// The metrics shown when no objective names them.
fn default_metrics(points: &Points) -> Vec<String> {
    let mut m = vec!["cost_usd".to_owned()];
    let any = |name: &str| {
        points.metric(name).is_some_and(|i| {
            points
                .points
                .iter()
                .any(|p| p.stats[i].is_some_and(|s| s.mean != 0.0))
        })
    };
    if any("requests_total") {
        m.push("unserved_ratio".into());
    }
    if any("availability_mean") {
        m.push("availability_mean".into());
    }
    m
}

/// The index of metric `name`, or an error listing the metrics.
fn metric_index(points: &Points, name: &str) -> Result<usize> {
    points.metric(name).ok_or_else(|| {
        Error::Usage(format!(
            "sweep.objective: {name:?} is not a numeric summary column; the columns are: {}",
            points.metrics.join(", ")
        ))
    })
}

/// The answer: the best point meeting every condition (see [`super::objective`]), `None`
/// when no point does; with whether each point qualifies.
pub fn answer(points: &Points, objective: &Objective) -> Result<(Option<usize>, Vec<bool>)> {
    let target = metric_index(points, &objective.column)?;
    let conditions = objective
        .conditions()?
        .into_iter()
        .map(|c| metric_index(points, &c.column).map(|i| (i, c)))
        .collect::<Result<Vec<_>>>()?;
    let ok: Vec<bool> = points
        .points
        .iter()
        .map(|p| {
            p.stats[target].is_some()
                && conditions.iter().all(|(i, c)| {
                    p.stats[*i]
                        .and_then(|s| s.ci95)
                        .is_some_and(|ci| c.holds(ci))
                })
        })
        .collect();
    let mut best: Option<usize> = None;
    for (p, point) in points.points.iter().enumerate() {
        if !ok[p] {
            continue;
        }
        let mean = point.stats[target].map(|s| s.mean).unwrap_or(f64::NAN);
        let better = match best {
            None => true,
            Some(b) => {
                let current = points.points[b].stats[target].map(|s| s.mean);
                current.is_some_and(|c| objective.better(mean, c))
            }
        };
        if better {
            best = Some(p);
        }
    }
    Ok((best, ok))
}

/// The terminal report.
pub fn report(points: &Points, objective: Option<&Objective>) -> Result<String> {
    let metrics = match objective {
        Some(o) => o.columns()?,
        None => default_metrics(points),
    };
    let idx: Vec<usize> = metrics.iter().filter_map(|m| points.metric(m)).collect();
    let verdict = objective.map(|o| answer(points, o)).transpose()?;
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(points.axes.iter().cloned());
    header.push("n".into());
    header.extend(
        idx.iter()
            .map(|&i| format!("{} [95% CI]", points.metrics[i])),
    );
    if verdict.is_some() {
        header.push("meets".into());
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (p, point) in points.points.iter().enumerate() {
        let mut row = vec![format!("p{}", point.point)];
        row.extend(point.values.iter().cloned());
        row.push(point.n.to_string());
        row.extend(idx.iter().map(|&i| cell(points, p, i)));
        if let Some((best, ok)) = &verdict {
            row.push(
                match (ok[p], *best == Some(p)) {
                    (true, true) => "yes (best)",
                    (true, false) => "yes",
                    _ => "no",
                }
                .into(),
            );
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut t = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        t.push_str(line.join("  ").trim_end());
        t.push('\n');
    }
    t.push_str("95% CI: Student t, n - 1 degrees of freedom, over the seeds of each point\n");
    if let (Some(o), Some((best, _))) = (objective, &verdict) {
        let goal = match o.goal {
            super::objective::Goal::Minimize => "lowest",
            super::objective::Goal::Maximize => "highest",
        };
        let conds = if o.subject_to.is_empty() {
            String::new()
        } else {
            format!(" with {} at 95% confidence", o.subject_to.join(" and "))
        };
        match best {
            None => t.push_str(&format!(
                "answer: no grid point has {}{conds} (a point needs at least 2 runs for an interval)\n",
                o.column
            )),
            Some(b) => {
                let point = &points.points[*b];
                let target = metric_index(points, &o.column)?;
                let values: Vec<String> = points
                    .axes
                    .iter()
                    .zip(&point.values)
                    .map(|(a, v)| format!("{a}={v}"))
                    .collect();
                let mut line = format!(
                    "answer: p{} ({}) has the {goal} mean {} = {} (95% CI {}, n = {}){conds}",
                    point.point,
                    values.join(", "),
                    o.column,
                    num(point.stats[target].map(|s| s.mean).unwrap_or(f64::NAN)),
                    cell(points, *b, target)
                        .split_once(' ')
                        .map(|(_, ci)| ci.to_owned())
                        .unwrap_or_else(|| "-".into()),
                    point.n
                );
                for c in o.conditions()? {
                    let i = metric_index(points, &c.column)?;
                    if let Some((lo, hi)) = point.stats[i].and_then(|s| s.ci95) {
                        let bound = if c.bound_name() == "upper" { hi } else { lo };
                        line.push_str(&format!(
                            "; {} {} bound {}",
                            c.column,
                            c.bound_name(),
                            num(bound)
                        ));
                    }
                }
                line.push('\n');
                t.push_str(&line);
            }
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::points::PointStats;
    use crate::sweep::stats::SampleStats;

    fn stats(values: &[f64]) -> Option<SampleStats> {
        SampleStats::of(values)
    }

    #[test]
    fn answer_is_the_cheapest_point_whose_interval_meets_the_condition() {
        // Columns: cost, unserved. p0 expensive and safe, p1 cheaper and safe, p2 cheapest
        // with a mean under the threshold but an interval above it, p3 one run only.
        let points = Points {
            axes: vec!["target".into()],
            metrics: vec!["cost_usd".into(), "unserved_ratio".into()],
            points: [
                (&[10.0, 10.2, 9.8][..], &[0.0001, 0.0002, 0.0001][..]),
                (&[8.0, 8.1, 7.9], &[0.0005, 0.0006, 0.0004]),
                (&[6.0, 6.1, 5.9], &[0.0001, 0.0015, 0.0002]),
                (&[1.0], &[0.0]),
            ]
            .iter()
            .enumerate()
            .map(|(i, (cost, unserved))| PointStats {
                point: i,
                values: vec![(50 + 10 * i).to_string()],
                n: cost.len(),
                stats: vec![stats(cost), stats(unserved)],
            })
            .collect(),
        };
        let objective = Objective {
            goal: super::super::objective::Goal::Minimize,
            column: "cost_usd".into(),
            subject_to: vec!["unserved_ratio < 0.001".into()],
        };
        let (best, ok) = answer(&points, &objective).unwrap();
        assert_eq!(best, Some(1));
        assert_eq!(ok, [true, true, false, false]);
        let text = report(&points, Some(&objective)).unwrap();
        assert!(text.contains("answer: p1 (target=60) has the lowest mean cost_usd = 8.0000"));
        assert!(
            text.lines().nth(2).unwrap().ends_with("yes (best)"),
            "{text}"
        );
        let typo = Objective {
            column: "cost".into(),
            ..objective
        };
        let e = answer(&points, &typo).unwrap_err().to_string();
        assert!(
            e.contains("\"cost\" is not a numeric summary column"),
            "{e}"
        );
    }
}

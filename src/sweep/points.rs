//! `points.csv`: one row per grid point: `point`, the axis values, `n` (runs), then for every
//! numeric summary column `<column>_mean`, `_std`, `_ci95_low` and `_ci95_high` (see
//! [`super::stats`]). A column that is empty in some runs (e.g. `mttr_mean_s` in runs without
//! incidents) is described over the runs that have a value; its cells are empty when no run
//! has one, and the spread cells when fewer than two do.

use super::grid::Grid;
use super::stats::SampleStats;
use super::table::SweepTable;
use crate::error::{Error, Result};

/// The file's name in a sweep's output folder.
pub const POINTS_FILE: &str = "points.csv";

/// Summary columns that are not metrics (identity columns).
const NOT_METRICS: [&str; 3] = ["scenario", "scheduler", "seed"];

/// One grid point's statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct PointStats {
    /// Grid point index.
    pub point: usize,
    /// The axis values.
    pub values: Vec<String>,
    /// Runs at the point.
    pub n: usize,
    /// Per metric (in [`Points::metrics`] order), `None` when no run has a value.
    pub stats: Vec<Option<SampleStats>>,
}

/// The statistics of every grid point.
#[derive(Clone, Debug, PartialEq)]
pub struct Points {
    /// Axis names.
    pub axes: Vec<String>,
    /// The numeric summary columns described.
    pub metrics: Vec<String>,
    /// One entry per grid point with runs, by point index.
    pub points: Vec<PointStats>,
}

impl Points {
    /// Groups `table`'s rows (in order) by point.
    pub fn of(grid: &Grid, table: &SweepTable) -> Result<Points> {
        let first = SweepTable::first_summary_column(grid);
        // A column is a metric when every non-empty value is a number.
        let metric_columns: Vec<usize> = (first..table.header.len())
            .filter(|&c| !NOT_METRICS.contains(&table.header[c].as_str()))
            .filter(|&c| {
                table
                    .rows
                    .iter()
                    .all(|r| r[c].is_empty() || r[c].parse::<f64>().is_ok())
            })
            .collect();
        let mut by_point: std::collections::BTreeMap<usize, Vec<&Vec<String>>> = Default::default();
        for (i, row) in table.rows.iter().enumerate() {
            by_point
                .entry(table.run_id(i)?.point)
                .or_default()
                .push(row);
        }
        let points = by_point
            .into_iter()
            .map(|(point, rows)| {
                let stats = metric_columns
                    .iter()
                    .map(|&c| {
                        let values: Vec<f64> = rows
                            .iter()
                            .filter(|r| !r[c].is_empty())
                            .map(|r| r[c].parse::<f64>().unwrap_or(f64::NAN))
                            .collect();
                        SampleStats::of(&values)
                    })
                    .collect();
                PointStats {
                    point,
                    values: grid.values(point).iter().map(|v| v.to_string()).collect(),
                    n: rows.len(),
                    stats,
                }
            })
            .collect();
        Ok(Points {
            axes: grid.axes.iter().map(|a| a.name.clone()).collect(),
            metrics: metric_columns
                .iter()
                .map(|&c| table.header[c].clone())
                .collect(),
            points,
        })
    }

    /// The index of metric `name`.
    pub fn metric(&self, name: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m == name)
    }

    /// The CSV bytes.
    pub fn to_csv(&self) -> Result<Vec<u8>> {
        let csv_error = |e: csv::Error| Error::Usage(format!("CSV encoding failed: {e}"));
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["point".to_owned()];
        header.extend(self.axes.iter().cloned());
        header.push("n".into());
        for m in &self.metrics {
            for suffix in ["mean", "std", "ci95_low", "ci95_high"] {
                header.push(format!("{m}_{suffix}"));
            }
        }
        w.write_record(&header).map_err(csv_error)?;
        let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        for p in &self.points {
            let mut row = vec![p.point.to_string()];
            row.extend(p.values.iter().cloned());
            row.push(p.n.to_string());
            for s in &p.stats {
                row.push(num(s.map(|s| s.mean)));
                row.push(num(s.and_then(|s| s.std)));
                row.push(num(s.and_then(|s| s.ci95.map(|c| c.0))));
                row.push(num(s.and_then(|s| s.ci95.map(|c| c.1))));
            }
            w.write_record(&row).map_err(csv_error)?;
        }
        w.into_inner()
            .map_err(|e| Error::Usage(format!("CSV encoding failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::grid::Axis;

    #[test]
    fn groups_rows_by_point_and_skips_text_columns() {
        let grid = Grid::new(
            vec![Axis {
                name: "a".into(),
                path: "a".into(),
                values: vec!["1".into(), "2".into()],
            }],
            vec![1, 2],
        )
        .unwrap();
        let row = |id: &str, p: &str, a: &str, seed: &str, cost: &str, mttr: &str| {
            [id, p, a, "s", seed, cost, mttr]
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        let table = SweepTable {
            header: [
                "run_id",
                "point",
                "a",
                "scenario",
                "seed",
                "cost_usd",
                "mttr_mean_s",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows: vec![
                row("p0-s1", "0", "1", "1", "2", ""),
                row("p0-s2", "0", "1", "2", "4", "10"),
                row("p1-s1", "1", "2", "1", "1", ""),
                row("p1-s2", "1", "2", "2", "1", ""),
            ],
        };
        let points = Points::of(&grid, &table).unwrap();
        assert_eq!(points.metrics, ["cost_usd", "mttr_mean_s"]);
        assert_eq!(points.points.len(), 2);
        let p0 = &points.points[0];
        assert_eq!((p0.n, p0.stats[0].unwrap().mean), (2, 3.0));
        assert_eq!(p0.stats[1].unwrap().n, 1);
        assert!(points.points[1].stats[1].is_none());
        assert_eq!(points.points[1].stats[0].unwrap().std, Some(0.0));
        let csv = String::from_utf8(points.to_csv().unwrap()).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "point,a,n,cost_usd_mean,cost_usd_std,cost_usd_ci95_low,cost_usd_ci95_high,\
             mttr_mean_s_mean,mttr_mean_s_std,mttr_mean_s_ci95_low,mttr_mean_s_ci95_high"
        );
        assert_eq!(lines.nth(1).unwrap(), "1,2,2,1,0,1,1,,,,");
    }
}

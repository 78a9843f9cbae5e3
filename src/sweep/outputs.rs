//! Writing a sweep's folder, all or nothing: `sweep.csv` and `sweep.json` always; for a whole
//! sweep (not a shard) also `points.csv`, `sweep.svg` and `sweep.txt` (the terminal report).
//! Returns the terminal report.

use super::chart::{CHART_FILE, sweep_chart};
use super::manifest::{MANIFEST_FILE, Manifest};
use super::points::{POINTS_FILE, Points};
use super::table::{SWEEP_FILE, SweepTable};
use super::terminal;
use crate::error::Result;
use crate::report::atomic::OutputSet;
use std::path::Path;

/// The terminal report's file name.
pub const REPORT_FILE: &str = "sweep.txt";

/// What writing a sweep produced.
pub struct Written {
    /// The files written.
    pub files: Vec<String>,
    /// The terminal report (empty for a shard).
    pub report: String,
}

/// Writes `table` (rows in the sweep's run order) and `manifest` into `dir`.
pub fn write_sweep(dir: &Path, manifest: &Manifest, table: &SweepTable) -> Result<Written> {
    let mut set = OutputSet::default();
    let mut report = String::new();
    set.add(SWEEP_FILE, table.to_csv()?);
    if manifest.shard.is_none() {
        let points = Points::of(&manifest.grid, table)?;
        report = terminal::report(&points, manifest.objective.as_ref())?;
        set.add(POINTS_FILE, points.to_csv()?);
        set.add(REPORT_FILE, report.clone().into_bytes());
        if manifest.charts
            && let Some(svg) =
                sweep_chart(&manifest.scenario, &points, manifest.objective.as_ref())?
        {
            set.add(CHART_FILE, svg.into_bytes());
        }
    }
    set.add(MANIFEST_FILE, manifest.to_bytes()?);
    Ok(Written {
        files: set.commit(dir)?,
        report,
    })
}

//! `sweep.csv`: one row per run: `run_id`, `point`, one column per grid axis, then the
//! `summary.csv` columns of the run without `wall_time_s` (so equal sweeps give equal files).
//! Rows are kept as the text written, so a merge re-writes shards' rows byte for byte.

use super::grid::Grid;
use super::run::RunId;
use crate::error::{Error, Result};
use std::path::Path;

/// The file's name in a sweep's output folder.
pub const SWEEP_FILE: &str = "sweep.csv";

/// Columns before the axes.
pub const KEY_COLUMNS: [&str; 2] = ["run_id", "point"];

/// Summary columns left out of `sweep.csv` (they differ between identical runs).
pub const DROPPED_COLUMNS: [&str; 1] = ["wall_time_s"];

/// The rows of `sweep.csv`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepTable {
    /// Column names.
    pub header: Vec<String>,
    /// One row per run, fields as text.
    pub rows: Vec<Vec<String>>,
}

fn csv_error(e: csv::Error) -> Error {
    Error::Usage(format!("CSV encoding failed: {e}"))
}

impl SweepTable {
    /// The header for `grid`'s axes and the summary columns `summary_header`.
    pub fn header_for(grid: &Grid, summary_header: &csv::StringRecord) -> Vec<String> {
        KEY_COLUMNS
            .iter()
            .map(|c| c.to_string())
            .chain(grid.axes.iter().map(|a| a.name.clone()))
            .chain(
                summary_header
                    .iter()
                    .filter(|c| !DROPPED_COLUMNS.contains(c))
                    .map(str::to_owned),
            )
            .collect()
    }

    /// The row of run `id` from its summary record.
    pub fn row_for(
        grid: &Grid,
        id: RunId,
        summary_header: &csv::StringRecord,
        summary_row: &csv::StringRecord,
    ) -> Vec<String> {
        [id.to_string(), id.point.to_string()]
            .into_iter()
            .chain(grid.values(id.point).iter().map(|v| v.to_string()))
            .chain(
                summary_header
                    .iter()
                    .zip(summary_row.iter())
                    .filter(|(c, _)| !DROPPED_COLUMNS.contains(c))
                    .map(|(_, v)| v.to_owned()),
            )
            .collect()
    }

    /// Index of the first summary column (after the key and axis columns).
    pub fn first_summary_column(grid: &Grid) -> usize {
        KEY_COLUMNS.len() + grid.axes.len()
    }

    /// The run id of row `r`.
    pub fn run_id(&self, r: usize) -> Result<RunId> {
        self.rows[r][0].parse()
    }

    /// The CSV bytes.
    pub fn to_csv(&self) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.header).map_err(csv_error)?;
        for r in &self.rows {
            w.write_record(r).map_err(csv_error)?;
        }
        w.into_inner()
            .map_err(|e| Error::Usage(format!("CSV encoding failed: {e}")))
    }

    /// Reads `dir/sweep.csv`.
    pub fn read(dir: &Path) -> Result<SweepTable> {
        let path = dir.join(SWEEP_FILE);
        let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
        let bad = |e: csv::Error| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            Error::trace(&path, line, e.to_string())
        };
        let header: Vec<String> = reader
            .headers()
            .map_err(bad)?
            .iter()
            .map(str::to_owned)
            .collect();
        if header.len() < KEY_COLUMNS.len() || header[..2] != KEY_COLUMNS {
            return Err(Error::Usage(format!(
                "{}: not a kubesim sweep.csv (it must start with the columns run_id,point)",
                path.display()
            )));
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(bad)?;
            rows.push(record.iter().map(str::to_owned).collect());
        }
        Ok(SweepTable { header, rows })
    }
}

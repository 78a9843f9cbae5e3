//! File-backed request series: per-interval request counts (or rates) read from a CSV file,
//! re-binned onto a regular grid, scaled, shifted and optionally looped.
//!
//! The file has a header row. Each row covers `[t, t + interval)` of file time, where `t` is
//! the row's time column (seconds, or milliseconds when the column name ends in `_ms`); without
//! a time column, row `i` covers `[i·interval, (i+1)·interval)`. Rows must be in time order and
//! must not overlap; intervals with no row count as zero requests (as in a log with no
//! requests in that minute).
//!
//! Memory: the series is held as one `f32` request count per bin plus one `f64` running total
//! per 64 bins, about 4.1 bytes per bin: a week per minute (10,080 bins) takes 41 KB, a month
//! per second (2.6 M bins) 11 MB. While reading, bins are accumulated in `f64` (8 bytes per
//! bin). Counts are exact integers up to 2^24 = 16.7 M requests per bin.

use super::shapes::next_multiple;
use crate::error::{Error, Result};
use crate::workload::{open_data_file, read_csv_header, read_csv_record};
use std::path::Path;

/// Most bins a series may hold (40 MB as `f32`).
pub const MAX_SERIES_BINS: u64 = 10_000_000;
/// Bins per stored running total.
const BLOCK: usize = 64;
const MS: f64 = 1000.0;

/// What the value column holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ValueKind {
    /// Requests in the row's interval.
    #[default]
    Count,
    /// Requests per second over the row's interval.
    Rate,
}

/// How the rate varies within and between bins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Interpolation {
    /// Piecewise constant: each bin's requests are spread evenly over the bin, so the integral
    /// over a bin is exactly its count.
    #[default]
    Step,
    /// Straight lines through the bin centres (each bin's mean rate), held flat before the
    /// first and after the last centre. The total over the whole series is preserved; a single
    /// bin's count is preserved only where the curve is locally straight.
    Linear,
}

/// How to read a series file.
#[derive(Clone, Debug)]
pub struct SeriesOptions {
    /// Value column (default: the only column besides the time column).
    pub column: Option<String>,
    /// Time column (default `time_s`); seconds, or milliseconds when its name ends in `_ms`.
    pub time_column: Option<String>,
    /// Length of each row's interval [ms] (default: the spacing of the first two rows).
    pub interval_ms: Option<u64>,
    /// What the values are.
    pub values: ValueKind,
    /// Interpolation of the resulting bins.
    pub interpolation: Interpolation,
    /// Bin length of the stored series [ms] (default: the row interval). Requests are moved
    /// into the new bins in proportion to overlap, so totals are preserved.
    pub resample_ms: Option<u64>,
    /// Multiplier applied to every value (≥ 0).
    pub scale: f64,
    /// Simulated time at which the series begins [ms]; the rate is 0 before.
    pub start_ms: u64,
    /// File time that is played at `start_ms` [ms]: earlier rows are skipped.
    pub skip_ms: u64,
    /// Repeat the series after its end (otherwise the rate is 0 after the end).
    pub looped: bool,
}

impl Default for SeriesOptions {
    fn default() -> Self {
        SeriesOptions {
            column: None,
            time_column: None,
            interval_ms: None,
            values: ValueKind::Count,
            interpolation: Interpolation::Step,
            resample_ms: None,
            scale: 1.0,
            start_ms: 0,
            skip_ms: 0,
            looped: false,
        }
    }
}

/// A regular series of request counts per bin.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    start: f64,
    bin: f64,
    counts: Vec<f32>,
    /// `blocks[k]` = requests in bins `0..k·BLOCK`.
    blocks: Vec<f64>,
    total: f64,
    linear: bool,
    looped: bool,
}

impl Series {
    /// A series of `counts` [requests per bin] in bins of `bin_ms` (> 0), beginning at
    /// simulated time `start_ms`. Counts must be finite and ≥ 0 (others are taken as 0) and
    /// there must be at least one bin.
    pub fn from_counts(
        counts: &[f64],
        bin_ms: u64,
        interpolation: Interpolation,
        start_ms: u64,
        looped: bool,
    ) -> Series {
        let counts: Vec<f32> = counts
            .iter()
            .map(|&c| {
                if c.is_finite() && c > 0.0 {
                    c as f32
                } else {
                    0.0
                }
            })
            .collect();
        let mut blocks = Vec::with_capacity(counts.len() / BLOCK + 2);
        let mut acc = 0.0;
        for (i, &c) in counts.iter().enumerate() {
            if i % BLOCK == 0 {
                blocks.push(acc);
            }
            acc += f64::from(c);
        }
        blocks.push(acc);
        Series {
            start: start_ms as f64,
            bin: bin_ms.max(1) as f64,
            counts,
            blocks,
            total: acc,
            linear: interpolation == Interpolation::Linear,
            looped,
        }
    }

    /// Reads a series file (`.gz` is decompressed). Errors name the file, line and column.
    pub fn read(path: &Path, opts: &SeriesOptions) -> Result<Series> {
        let (counts, bin) = read_bins(path, opts)?;
        Ok(Series::from_counts(
            &counts,
            bin,
            opts.interpolation,
            opts.start_ms,
            opts.looped,
        ))
    }

    /// Number of bins.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when the series has no bins.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Bin length [ms].
    pub fn bin_ms(&self) -> u64 {
        self.bin as u64
    }

    /// Requests in bin `i`.
    pub fn count(&self, i: usize) -> f64 {
        self.counts.get(i).map_or(0.0, |&c| f64::from(c))
    }

    /// Requests over one pass of the series.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Largest rate [requests/s] at any time.
    pub(crate) fn max_rate(&self) -> f64 {
        let max = self.counts.iter().copied().fold(0.0_f32, f32::max);
        f64::from(max) * MS / self.bin
    }

    /// Largest |slope| between breakpoints [requests/s per ms]: 0 for steps, the steepest
    /// segment between adjacent bin centres for linear interpolation.
    pub(crate) fn max_slope(&self) -> f64 {
        if !self.linear {
            return 0.0;
        }
        let steepest = self
            .counts
            .windows(2)
            .map(|w| (f64::from(w[1]) - f64::from(w[0])).abs())
            .fold(0.0, f64::max);
        steepest * MS / self.bin / self.bin
    }

    /// Length of one pass [ms].
    fn period(&self) -> f64 {
        self.counts.len() as f64 * self.bin
    }

    /// Simulated time after which a non-looping series is 0 [ms]; `None` when it loops.
    pub fn end_ms(&self) -> Option<u64> {
        (!self.looped).then(|| (self.start + self.period()) as u64)
    }

    /// Requests in bins `0..j`.
    fn prefix(&self, j: usize) -> f64 {
        let b = j / BLOCK;
        let mut acc = self.blocks[b];
        for &c in &self.counts[b * BLOCK..j] {
            acc += f64::from(c);
        }
        acc
    }

    /// Position in the current pass [ms from the series start], or `None` outside the series.
    fn position(&self, t: f64) -> Option<f64> {
        let u = t - self.start;
        let period = self.period();
        if u < 0.0 || self.counts.is_empty() {
            None
        } else if u < period {
            Some(u)
        } else if self.looped {
            Some(u.rem_euclid(period))
        } else {
            None
        }
    }

    pub(crate) fn rate(&self, t: f64) -> f64 {
        let Some(u) = self.position(t) else {
            return 0.0;
        };
        let n = self.counts.len();
        let per_second = MS / self.bin;
        if !self.linear {
            let j = ((u / self.bin) as usize).min(n - 1);
            return f64::from(self.counts[j]) * per_second;
        }
        let x = u / self.bin - 0.5;
        if x <= 0.0 {
            return f64::from(self.counts[0]) * per_second;
        }
        if x >= (n - 1) as f64 {
            return f64::from(self.counts[n - 1]) * per_second;
        }
        let j = x as usize;
        let y = x - j as f64;
        let (a, b) = (f64::from(self.counts[j]), f64::from(self.counts[j + 1]));
        (a + (b - a) * y) * per_second
    }

    /// Requests from the start of the pass to position `u` (0 ≤ u ≤ period).
    fn within_pass(&self, u: f64) -> f64 {
        let n = self.counts.len();
        let x = u / self.bin;
        if !self.linear {
            let j = (x as usize).min(n - 1);
            return self.prefix(j) + f64::from(self.counts[j]) * (x - j as f64);
        }
        let first = f64::from(self.counts[0]);
        let last = f64::from(self.counts[n - 1]);
        if x <= 0.5 {
            return first * x;
        }
        if x >= n as f64 - 0.5 {
            return self.total - last * (n as f64 - x);
        }
        let j = ((x - 0.5) as usize).min(n - 2);
        let y = x - 0.5 - j as f64;
        let (a, b) = (f64::from(self.counts[j]), f64::from(self.counts[j + 1]));
        (self.prefix(j) + self.prefix(j + 1)) / 2.0 + a * y + (b - a) * y * y / 2.0
    }

    /// Requests from the series start to `t`.
    fn cumulative(&self, t: f64) -> f64 {
        let u = t - self.start;
        let period = self.period();
        if u <= 0.0 || self.counts.is_empty() {
            0.0
        } else if u < period {
            self.within_pass(u)
        } else if self.looped {
            let passes = (u / period).floor();
            passes * self.total + self.within_pass(u - passes * period)
        } else {
            self.total
        }
    }

    pub(crate) fn integral(&self, a: f64, b: f64) -> f64 {
        self.cumulative(b) - self.cumulative(a)
    }

    pub(crate) fn next_break(&self, t: f64) -> f64 {
        if t < self.start {
            return self.start;
        }
        if !self.looped && t - self.start >= self.period() {
            return f64::INFINITY;
        }
        let step = if self.linear {
            self.bin / 2.0
        } else {
            self.bin
        };
        next_multiple(t, self.start, step)
    }
}

/// Where the time of a row comes from.
enum TimeSource {
    /// A column, in seconds (`scale` 1000) or milliseconds (`scale` 1).
    Column { index: usize, scale: f64 },
    /// Row `i` starts at `i · interval`.
    RowNumber,
}

/// Reads the file into bins of the output grid; returns the bins and their length [ms].
fn read_bins(path: &Path, opts: &SeriesOptions) -> Result<(Vec<f64>, u64)> {
    if opts.interval_ms == Some(0) {
        return Err(Error::scenario("interval", "must be > 0"));
    }
    if opts.resample_ms == Some(0) {
        return Err(Error::scenario("resample", "must be > 0"));
    }
    let input = open_data_file(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = read_csv_header(&mut reader, path)?;
    let names: Vec<&str> = headers.iter().collect();
    let listed = || names.join(", ");
    let time_name = opts.time_column.as_deref().unwrap_or("time_s");
    let time = match names.iter().position(|&h| h == time_name) {
        Some(index) => TimeSource::Column {
            index,
            scale: if time_name.ends_with("_ms") { 1.0 } else { MS },
        },
        None if opts.time_column.is_some() => {
            return Err(Error::trace(
                path,
                1,
                format!(
                    "no time column {time_name:?}; the columns are: {}",
                    listed()
                ),
            ));
        }
        None if opts.interval_ms.is_some() => TimeSource::RowNumber,
        None => {
            return Err(Error::trace(
                path,
                1,
                format!(
                    "no time column \"time_s\" (columns: {}); name the time column with \
                     timeColumn, or give interval if the rows are consecutive intervals",
                    listed()
                ),
            ));
        }
    };
    let time_index = match time {
        TimeSource::Column { index, .. } => Some(index),
        TimeSource::RowNumber => None,
    };
    let value = match &opts.column {
        Some(c) => names.iter().position(|h| h == c).ok_or_else(|| {
            Error::trace(
                path,
                1,
                format!("no column {c:?}; the columns are: {}", listed()),
            )
        })?,
        None => {
            let others: Vec<usize> = (0..names.len())
                .filter(|&i| Some(i) != time_index)
                .collect();
            match others.as_slice() {
                [one] => *one,
                [] => {
                    return Err(Error::trace(path, 1, "no value column besides the time"));
                }
                _ => {
                    return Err(Error::trace(
                        path,
                        1,
                        format!(
                            "several value columns ({}); choose one with column",
                            others
                                .iter()
                                .map(|&i| names[i])
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let value_name = names[value].to_owned();
    let time_name = time_name.to_owned();

    // Rows: (line, start [ms], value).
    let mut record = csv::StringRecord::new();
    let mut row_number: u64 = 0;
    let mut next_row = |record: &mut csv::StringRecord| -> Result<Option<(u64, u64, f64)>> {
        if !read_csv_record(&mut reader, record, path)? {
            return Ok(None);
        }
        let line = record.position().map_or(0, |p| p.line());
        let text = record.get(value).unwrap_or("");
        let v: f64 = text.parse().map_err(|_| {
            Error::trace(
                path,
                line,
                format!("column {value_name}: {text:?} is not a number"),
            )
        })?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(Error::trace(
                path,
                line,
                format!("column {value_name}: {text:?} must be a finite number >= 0"),
            ));
        }
        let t = match time {
            TimeSource::Column { index, scale } => {
                let text = record.get(index).unwrap_or("");
                let secs: f64 = text.parse().map_err(|_| {
                    Error::trace(
                        path,
                        line,
                        format!("column {time_name}: {text:?} is not a number"),
                    )
                })?;
                let ms = (secs * scale).round();
                if !(ms.is_finite() && (0.0..1e15).contains(&ms)) {
                    return Err(Error::trace(
                        path,
                        line,
                        format!("column {time_name}: {text:?} must be >= 0 and < 1e15 ms"),
                    ));
                }
                ms as u64
            }
            TimeSource::RowNumber => {
                let i = row_number;
                row_number += 1;
                i.saturating_mul(opts.interval_ms.unwrap_or(1))
            }
        };
        Ok(Some((line, t, v)))
    };

    let Some(first) = next_row(&mut record)? else {
        return Err(Error::trace(path, 2, "the file has no data rows"));
    };
    let mut pending = None;
    let interval = match opts.interval_ms {
        Some(i) => i,
        None => match next_row(&mut record)? {
            Some(second) if second.1 > first.1 => {
                pending = Some(second);
                second.1 - first.1
            }
            Some(second) => {
                return Err(Error::trace(
                    path,
                    second.0,
                    format!(
                        "column {time_name}: not after the previous row; rows must be in increasing time order"
                    ),
                ));
            }
            None => {
                return Err(Error::trace(
                    path,
                    first.0,
                    "a single row: give interval (the row's length)",
                ));
            }
        },
    };
    let bin = opts.resample_ms.unwrap_or(interval);
    let skip = opts.skip_ms;
    let mut bins: Vec<f64> = Vec::new();
    let mut prev_start: Option<u64> = None;
    let mut data_end = 0u64;
    let mut last_line = first.0;
    let mut add = |(line, t, v): (u64, u64, f64)| -> Result<()> {
        last_line = line;
        if let Some(p) = prev_start
            && t < p.saturating_add(interval)
        {
            return Err(Error::trace(
                path,
                line,
                format!(
                    "column {time_name}: row at {t} ms starts less than one interval ({interval} ms) \
                     after the previous row at {p} ms; rows must be in time order and not overlap"
                ),
            ));
        }
        prev_start = Some(t);
        let end = t.saturating_add(interval);
        data_end = end;
        let lo = t.max(skip);
        if end <= lo || v == 0.0 {
            return Ok(());
        }
        let requests = match opts.values {
            ValueKind::Count => v,
            ValueKind::Rate => v * interval as f64 / MS,
        } * opts.scale;
        let last_bin = (end - 1 - skip) / bin;
        if last_bin >= MAX_SERIES_BINS {
            return Err(Error::trace(
                path,
                line,
                format!(
                    "column {time_name}: {t} ms is too far from the start: the series would need \
                     more than {MAX_SERIES_BINS} bins of {bin} ms; resample to longer bins or skip"
                ),
            ));
        }
        if bins.len() <= last_bin as usize {
            bins.resize(last_bin as usize + 1, 0.0);
        }
        let mut j = (lo - skip) / bin;
        while j <= last_bin {
            let b0 = skip + j * bin;
            let overlap = end.min(b0 + bin) - lo.max(b0);
            bins[j as usize] += requests * overlap as f64 / interval as f64;
            j += 1;
        }
        Ok(())
    };
    add(first)?;
    if let Some(p) = pending {
        add(p)?;
    }
    while let Some(row) = next_row(&mut record)? {
        add(row)?;
    }
    if data_end <= skip {
        return Err(Error::trace(
            path,
            last_line,
            format!(
                "skip ({skip} ms) is at or past the end of the data ({data_end} ms of file time)"
            ),
        ));
    }
    // Drop a trailing bin that the data covers only in part.
    let covered = (data_end - skip) / bin;
    if covered == 0 {
        return Err(Error::trace(
            path,
            last_line,
            format!(
                "the data after skip ({} ms) is shorter than one bin ({bin} ms)",
                data_end - skip
            ),
        ));
    }
    bins.resize(covered as usize, 0.0);
    Ok((bins, bin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("kubesim-series-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn step_series_hand_checked() {
        // Three 60 s bins of 60, 120 and 0 requests starting at 10 s: 1, 2, 0 requests/s.
        let s = Series::from_counts(
            &[60.0, 120.0, 0.0],
            60_000,
            Interpolation::Step,
            10_000,
            false,
        );
        assert_eq!(s.rate(9_999.0), 0.0);
        assert_eq!(s.rate(10_000.0), 1.0);
        assert_eq!(s.rate(100_000.0), 2.0);
        assert_eq!(s.rate(180_000.0), 0.0);
        assert_eq!(s.rate(1e9), 0.0, "after the end");
        assert!(close(s.integral(0.0, 1e9), 180.0));
        // [40 s, 100 s): 30 s at 1/s + 30 s at 2/s.
        assert!(close(s.integral(40_000.0, 100_000.0), 90.0));
        assert_eq!(s.next_break(0.0), 10_000.0);
        assert_eq!(s.next_break(10_000.0), 70_000.0);
        assert_eq!(s.next_break(190_000.0), f64::INFINITY);
        assert_eq!(s.end_ms(), Some(190_000));
    }

    #[test]
    fn looped_series_repeats() {
        let s = Series::from_counts(&[10.0, 30.0], 1000, Interpolation::Step, 0, true);
        assert_eq!(s.rate(2500.0), 10.0);
        assert_eq!(s.rate(3500.0), 30.0);
        // 2.5 passes: 2 × 40 + 10.
        assert!(close(s.integral(0.0, 5000.0), 90.0));
        assert!(close(s.integral(1500.0, 4500.0), 15.0 + 10.0 + 30.0 + 5.0));
        assert_eq!(s.end_ms(), None);
    }

    #[test]
    fn linear_series_hand_checked() {
        // Bins of 10 s with 100 and 300 requests: centres at 5 s (10/s) and 15 s (30/s).
        let s = Series::from_counts(&[100.0, 300.0], 10_000, Interpolation::Linear, 0, false);
        assert_eq!(s.rate(2_000.0), 10.0);
        assert_eq!(s.rate(5_000.0), 10.0);
        assert!(close(s.rate(10_000.0), 20.0));
        assert!(close(s.rate(12_500.0), 25.0));
        assert_eq!(s.rate(17_000.0), 30.0);
        // The total is preserved.
        assert!(close(s.integral(0.0, 20_000.0), 400.0));
        // [5 s, 15 s): trapezoid 10 → 30 over 10 s = 200.
        assert!(close(s.integral(5_000.0, 15_000.0), 200.0));
        // [0, 10 s): 5 s × 10 + trapezoid 10 → 20 over 5 s = 50 + 75.
        assert!(close(s.integral(0.0, 10_000.0), 125.0));
        assert_eq!(s.next_break(5_000.0), 10_000.0);
    }

    #[test]
    fn prefix_sums_span_blocks() {
        let counts: Vec<f64> = (0..200).map(|i| i as f64).collect();
        let s = Series::from_counts(&counts, 1000, Interpolation::Step, 0, false);
        assert_eq!(s.integral(0.0, 200_000.0), 199.0 * 200.0 / 2.0);
        // Bins 70..150: sum of 70..=149.
        let expected: f64 = (70..150).map(|i| i as f64).sum();
        assert_eq!(s.integral(70_000.0, 150_000.0), expected);
    }

    #[test]
    fn reads_counts_resamples_and_skips() {
        let p = write(
            "counts.csv",
            "time_s,requests\n0,60\n60,120\n120,30\n180,90\n240,0\n",
        );
        let s = Series::read(&p, &SeriesOptions::default()).unwrap();
        assert_eq!((s.len(), s.bin_ms()), (5, 60_000));
        assert_eq!(s.rate(70_000.0), 2.0);
        // Resampled to 2-minute bins: 180, 120, and the last bin (240 s..) is covered by one
        // minute of data only, so it is dropped.
        let opts = SeriesOptions {
            resample_ms: Some(120_000),
            ..SeriesOptions::default()
        };
        let r = Series::read(&p, &opts).unwrap();
        assert_eq!((r.len(), r.count(0), r.count(1)), (2, 180.0, 120.0));
        // Resampled to 30 s bins, skipping 90 s, scaled ×2, starting at 1 h: bins
        // [90,120) = 60, [120,150) = 30, [150,180) = 30, [180,210) = 90, ...
        let opts = SeriesOptions {
            resample_ms: Some(30_000),
            skip_ms: 90_000,
            scale: 2.0,
            start_ms: 3_600_000,
            ..SeriesOptions::default()
        };
        let r = Series::read(&p, &opts).unwrap();
        let got: Vec<f64> = (0..r.len()).map(|i| r.count(i)).collect();
        assert_eq!(got, vec![120.0, 30.0, 30.0, 90.0, 90.0, 0.0, 0.0]);
        assert_eq!(r.rate(3_600_000.0), 4.0);
        assert_eq!(r.rate(3_599_999.0), 0.0);
    }

    #[test]
    fn reads_rates_gaps_and_consecutive_rows() {
        // Rates with a missing row (120 s): that minute counts as zero.
        let p = write("rates.csv", "time_ms,rps\n0,2\n60000,4\n180000,1\n");
        let opts = SeriesOptions {
            time_column: Some("time_ms".into()),
            values: ValueKind::Rate,
            ..SeriesOptions::default()
        };
        let s = Series::read(&p, &opts).unwrap();
        let got: Vec<f64> = (0..s.len()).map(|i| s.count(i)).collect();
        assert_eq!(got, vec![120.0, 240.0, 0.0, 60.0]);
        // No time column: rows are consecutive intervals.
        let p = write("plain.csv", "requests\n5\n7\n");
        let opts = SeriesOptions {
            interval_ms: Some(1000),
            ..SeriesOptions::default()
        };
        let s = Series::read(&p, &opts).unwrap();
        assert_eq!((s.count(0), s.count(1), s.rate(1500.0)), (5.0, 7.0, 7.0));
    }

    #[test]
    fn reads_gzip() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("kubesim-series-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("c.csv.gz");
        let mut gz =
            flate2::write::GzEncoder::new(std::fs::File::create(&p).unwrap(), Default::default());
        gz.write_all(b"time_s,requests\n0,6\n1,8\n").unwrap();
        gz.finish().unwrap();
        let s = Series::read(&p, &SeriesOptions::default()).unwrap();
        assert_eq!((s.len(), s.total()), (2, 14.0));
    }

    #[test]
    fn file_errors_name_line_and_column() {
        let cases = [
            (
                "a.csv",
                "time_s,requests\n0,1\n60,x\n",
                "a.csv:3: column requests: \"x\" is not a number",
            ),
            (
                "b.csv",
                "time_s,requests\n0,1\n60,-2\n",
                "b.csv:3: column requests: \"-2\" must be a finite number >= 0",
            ),
            (
                "c.csv",
                "time_s,requests\n0,1\n60,2\n90,3\n",
                "c.csv:4: column time_s: row at 90000 ms starts less than one interval (60000 ms) after the previous row at 60000 ms",
            ),
            (
                "d.csv",
                "t,requests\n0,1\n",
                "d.csv:1: no time column \"time_s\" (columns: t, requests)",
            ),
            (
                "e.csv",
                "time_s,a,b\n0,1,2\n",
                "e.csv:1: several value columns (a, b); choose one with column",
            ),
            (
                "f.csv",
                "time_s,requests\n",
                "f.csv:2: the file has no data rows",
            ),
            (
                "g.csv",
                "time_s,requests\n60,1\n0,2\n",
                "g.csv:3: column time_s: not after the previous row",
            ),
            (
                "h.csv",
                "time_s,requests\n0,1\n1,2,3\n",
                "h.csv:3: malformed CSV",
            ),
        ];
        for (name, text, expected) in cases {
            let p = write(name, text);
            let e = Series::read(&p, &SeriesOptions::default())
                .unwrap_err()
                .to_string();
            assert!(e.contains(expected), "{name}: {e}");
        }
        let p = write("i.csv", "time_s,requests\n0,1\n1e9,1\n");
        let opts = SeriesOptions {
            interval_ms: Some(60_000),
            ..SeriesOptions::default()
        };
        let e = Series::read(&p, &opts).unwrap_err().to_string();
        assert!(
            e.contains("i.csv:3: column time_s") && e.contains("too far"),
            "{e}"
        );
        let p = write("j.csv", "time_s,requests\n0,1\n60,1\n");
        let opts = SeriesOptions {
            skip_ms: 120_000,
            ..SeriesOptions::default()
        };
        let e = Series::read(&p, &opts).unwrap_err().to_string();
        assert!(e.contains("skip (120000 ms) is at or past the end"), "{e}");
        let e = Series::read(Path::new("/nonexistent/x.csv"), &SeriesOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/nonexistent/x.csv"), "{e}");
    }
}

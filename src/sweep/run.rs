//! Running a sweep's runs: run ids, and the runs executed in parallel on a thread pool, each
//! run on one thread exactly as `kubesim run` would run it.

use super::plan::Plan;
use super::table::SweepTable;
use crate::error::{Error, Result};
use crate::scheduler::Registry;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// A run's identity: its grid point and its seed. Written `p<point>-s<seed>` (e.g. `p3-s17`),
/// which is also its folder name under `runs/` with `--outputs all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId {
    /// Grid point index (0-based, the first axis varying slowest).
    pub point: usize,
    /// Master seed.
    pub seed: u64,
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}-s{}", self.point, self.seed)
    }
}

impl FromStr for RunId {
    type Err = Error;
    fn from_str(s: &str) -> Result<RunId> {
        let bad = || {
            Error::Usage(format!(
                "run id {s:?}: expected p<point>-s<seed>, e.g. p3-s17"
            ))
        };
        let (p, seed) = s
            .strip_prefix('p')
            .and_then(|r| r.split_once("-s"))
            .ok_or_else(bad)?;
        Ok(RunId {
            point: p.parse().map_err(|_| bad())?,
            seed: seed.parse().map_err(|_| bad())?,
        })
    }
}

/// What each run writes besides its `sweep.csv` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutputs {
    /// Nothing: only the summary row is kept.
    Summary,
    /// Every output of `kubesim run` into `runs/<run id>/` of the sweep's folder.
    All,
}

/// Runs `ids` of `plan` on `jobs` threads; returns the `sweep.csv` rows in the order of `ids`.
/// `done` is called after each run. With [`RunOutputs::All`] each run's outputs are written
/// to `out/runs/<id>/` as it finishes (each folder all or nothing).
pub fn execute(
    plan: &Plan,
    ids: &[RunId],
    jobs: usize,
    outputs: RunOutputs,
    out: &Path,
    done: &(dyn Fn() + Sync),
) -> Result<SweepTable> {
    // Every point's scenario is loaded (and checked) before any run starts.
    let mut scenarios = BTreeMap::new();
    for id in ids {
        if let std::collections::btree_map::Entry::Vacant(e) = scenarios.entry(id.point) {
            e.insert(plan.point_scenario(id.point)?);
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| Error::Usage(format!("--jobs {jobs}: cannot start the threads: {e}")))?;
    let grid = plan.grid();
    let one = |id: RunId| -> Result<(csv::StringRecord, Vec<String>)> {
        let scenario = &scenarios[&id.point];
        let context = |e: Error| Error::Usage(format!("run {id} ({}): {e}", plan.run_command(id)));
        let result = crate::run(scenario, id.seed, &Registry::with_builtins(), &mut |_| {})
            .map_err(context)?;
        if outputs == RunOutputs::All {
            let dir = out.join("runs").join(id.to_string());
            crate::report::write_result_outputs(&dir, &result, scenario.spec.output.charts)
                .map_err(context)?;
        }
        let (header, row) = crate::report::compare::summary_records(&result.summary)?;
        let row = SweepTable::row_for(grid, id, &header, &row);
        done();
        Ok((header, row))
    };
    // The first run goes alone, so that an objective naming no summary column fails before
    // the others run.
    let mut records = Vec::with_capacity(ids.len());
    if let Some(&first) = ids.first() {
        let (header, row) = one(first)?;
        if let Some(o) = &plan.manifest.objective {
            check_columns(o, &header)
                .map_err(|e| Error::Usage(format!("{}: {e}", plan.scenario.path.display())))?;
        }
        records.push((header, row));
    }
    let rest: Vec<(csv::StringRecord, Vec<String>)> = pool.install(|| {
        ids.par_iter()
            .skip(1)
            .map(|&id| one(id))
            .collect::<Result<Vec<_>>>()
    })?;
    records.extend(rest);
    // A shard without runs still names its key and axis columns.
    let header = match records.first() {
        Some((h, _)) => SweepTable::header_for(grid, h),
        None => SweepTable::header_for(grid, &csv::StringRecord::new()),
    };
    Ok(SweepTable {
        header,
        rows: records.into_iter().map(|(_, r)| r).collect(),
    })
}

/// Checks that the objective's columns are summary columns.
fn check_columns(o: &super::objective::Objective, header: &csv::StringRecord) -> Result<()> {
    for c in o.columns()? {
        if !header.iter().any(|h| h == c) {
            let names: Vec<&str> = header.iter().collect();
            return Err(Error::Usage(format!(
                "sweep.objective: {c:?} is not a summary column; the columns are: {}",
                names.join(", ")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_round_trip() {
        let id = RunId { point: 3, seed: 17 };
        assert_eq!(id.to_string(), "p3-s17");
        assert_eq!("p3-s17".parse::<RunId>().unwrap(), id);
        for bad in ["3-17", "p3s17", "p-s1", "px-s1", "p1-s"] {
            assert!(bad.parse::<RunId>().is_err(), "{bad}");
        }
    }
}

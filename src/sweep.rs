//! Sweeps: a scenario run over a grid of overrides × a list of seeds, with per-point means and
//! 95% confidence intervals, on one machine (runs in parallel on a thread pool) or split into
//! shards (a Kubernetes Indexed Job, a Slurm array) that `merge` puts back together.
//!
//! Every run is identified by its grid point and seed ([`run::RunId`]) and is exactly the run
//! `kubesim run <scenario> --set <the --set flags> --set <the point's overrides> --seed <seed>`
//! would do, on one thread; runs do not share state, so their results do not depend on how
//! many threads or shards there are.

pub mod chart;
pub mod grid;
pub mod job;
pub mod manifest;
pub mod merge;
pub mod objective;
pub mod outputs;
pub mod plan;
pub mod points;
pub mod run;
pub mod shard;
pub mod spec;
pub mod stats;
pub mod table;
pub mod terminal;

use crate::error::Result;
use std::path::Path;

/// Runs the sweep `plan` (or its shard `shard`) on `jobs` threads and writes its folder `out`.
/// `done` is called after each run.
pub fn run_sweep(
    plan: &plan::Plan,
    shard: Option<shard::Shard>,
    jobs: usize,
    outputs: run::RunOutputs,
    out: &Path,
    done: &(dyn Fn() + Sync),
) -> Result<outputs::Written> {
    let ids: Vec<run::RunId> = plan
        .runs()
        .into_iter()
        .enumerate()
        .filter(|(k, _)| shard.is_none_or(|s| s.owns(*k)))
        .map(|(_, id)| id)
        .collect();
    let table = run::execute(plan, &ids, jobs, outputs, out, done)?;
    let manifest = manifest::Manifest {
        shard,
        runs: table.rows.len(),
        ..plan.manifest.clone()
    };
    outputs::write_sweep(out, &manifest, &table)
}

/// Merges shard folders `dirs` into `out` (see [`merge::merge`]).
pub fn merge_sweep(dirs: &[std::path::PathBuf], out: &Path) -> Result<outputs::Written> {
    let (manifest, table) = merge::merge(dirs)?;
    outputs::write_sweep(out, &manifest, &table)
}

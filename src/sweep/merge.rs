//! `kubesim merge`: combines shard folders into the whole sweep. Every shard must carry the
//! same sweep hash, and together they must hold every run of the sweep exactly once; the
//! merged folder is then byte for byte what the unsharded sweep writes.

use super::manifest::Manifest;
use super::plan::all_runs;
use super::run::RunId;
use super::table::SweepTable;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// At most this many run ids are listed in an error.
const LISTED: usize = 8;

fn list(ids: &[RunId]) -> String {
    let mut s: Vec<String> = ids.iter().take(LISTED).map(|i| i.to_string()).collect();
    if ids.len() > LISTED {
        s.push(format!("... ({} in all)", ids.len()));
    }
    s.join(", ")
}

/// Reads and checks the shard folders; returns the whole sweep's manifest and rows.
pub fn merge(dirs: &[PathBuf]) -> Result<(Manifest, SweepTable)> {
    let Some(first_dir) = dirs.first() else {
        return Err(Error::Usage(
            "merge: give the shard folders to merge".into(),
        ));
    };
    let reference = Manifest::read(first_dir)?;
    let mut header: Option<(Vec<String>, &Path)> = None;
    let mut found: BTreeMap<RunId, (usize, Vec<String>)> = BTreeMap::new();
    let mut shard_counts = Vec::new();
    for (d, dir) in dirs.iter().enumerate() {
        let m = if d == 0 {
            reference.clone()
        } else {
            Manifest::read(dir)?
        };
        if m.hash != reference.hash {
            return Err(Error::Usage(format!(
                "merge: {} is from a different sweep than {} (scenario {:?}, hash {} against \
                 scenario {:?}, hash {}): the scenario file, --set overrides, grid, seeds, \
                 objective or kubesim version differ",
                dir.display(),
                first_dir.display(),
                m.scenario,
                m.hash,
                reference.scenario,
                reference.hash
            )));
        }
        if let Some(s) = m.shard
            && !shard_counts.contains(&s.count)
        {
            shard_counts.push(s.count);
        }
        let table = SweepTable::read(dir)?;
        if table.rows.len() != m.runs {
            return Err(Error::Usage(format!(
                "merge: {}: sweep.csv has {} runs but sweep.json says {} (an incomplete shard?)",
                dir.display(),
                table.rows.len(),
                m.runs
            )));
        }
        if !table.rows.is_empty() {
            match &header {
                None => header = Some((table.header.clone(), dir)),
                Some((h, from)) if *h != table.header => {
                    return Err(Error::Usage(format!(
                        "merge: {} and {} have different sweep.csv columns",
                        from.display(),
                        dir.display()
                    )));
                }
                Some(_) => {}
            }
        }
        for (r, row) in table.rows.iter().enumerate() {
            let id = table.run_id(r).map_err(|e| {
                Error::Usage(format!(
                    "{}: row {}: {e}",
                    dir.join("sweep.csv").display(),
                    r + 2
                ))
            })?;
            if row.len() != table.header.len() {
                return Err(Error::Usage(format!(
                    "{}: run {id} has {} fields, the header {}",
                    dir.join("sweep.csv").display(),
                    row.len(),
                    table.header.len()
                )));
            }
            if let Some((other, _)) = found.insert(id, (d, row.clone())) {
                return Err(Error::Usage(format!(
                    "merge: run {id} is in both {} and {} (a shard given twice, or shards of \
                     different --shard counts)",
                    dirs[other].display(),
                    dir.display()
                )));
            }
        }
    }
    let expected = all_runs(&reference.grid);
    let unknown: Vec<RunId> = found
        .keys()
        .filter(|id| {
            id.point >= reference.grid.points() || !reference.grid.seeds.contains(&id.seed)
        })
        .copied()
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Usage(format!(
            "merge: runs not in the sweep's grid: {}",
            list(&unknown)
        )));
    }
    let missing: Vec<(usize, RunId)> = expected
        .iter()
        .enumerate()
        .filter(|(_, id)| !found.contains_key(id))
        .map(|(k, id)| (k, *id))
        .collect();
    if !missing.is_empty() {
        let ids: Vec<RunId> = missing.iter().map(|m| m.1).collect();
        let mut text = format!(
            "merge: {} of the sweep's {} runs are missing: {}",
            missing.len(),
            expected.len(),
            list(&ids)
        );
        if let [count] = shard_counts[..] {
            let mut shards: Vec<usize> = missing.iter().map(|(k, _)| k % count).collect();
            shards.dedup();
            shards.sort_unstable();
            shards.dedup();
            let shards: Vec<String> = shards.iter().map(|s| format!("{s}/{count}")).collect();
            text.push_str(&format!(" (from shard {})", shards.join(", ")));
        }
        return Err(Error::Usage(text));
    }
    let table = SweepTable {
        header: header.map(|h| h.0).unwrap_or_default(),
        rows: expected
            .iter()
            .map(|id| found.remove(id).map(|(_, row)| row).unwrap_or_default())
            .collect(),
    };
    let manifest = Manifest {
        shard: None,
        runs: reference.runs_total,
        ..reference
    };
    Ok((manifest, table))
}

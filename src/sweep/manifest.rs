//! `sweep.json`: what a sweep (or one shard of it) ran: the scenario, grid, seeds and
//! objective, a hash identifying them, and the shard. `merge` reads it to refuse shards of a
//! different sweep and to know which runs make the whole.

use super::grid::Grid;
use super::objective::Objective;
use super::shard::Shard;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The manifest file's name in a sweep's output folder.
pub const MANIFEST_FILE: &str = "sweep.json";

/// Version of the manifest layout.
pub const FORMAT: u32 = 1;

/// The contents of `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Layout version ([`FORMAT`]).
    pub format: u32,
    /// The kubesim version that ran it.
    pub kubesim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Hash of the scenario text, its `--set` overrides, the grid, the seeds, the objective
    /// and the kubesim version (16 hex digits, FNV-1a 64): equal hashes, same sweep.
    pub hash: String,
    /// Grid axes and seeds.
    pub grid: Grid,
    /// The question, if the scenario's `sweep:` block states one.
    pub objective: Option<Objective>,
    /// Whether charts are drawn (the scenario's `output.charts`).
    pub charts: bool,
    /// Runs in the whole sweep (grid points × seeds).
    pub runs_total: usize,
    /// The shard this folder holds (`null`: the whole sweep).
    pub shard: Option<Shard>,
    /// Runs in this folder's `sweep.csv`.
    pub runs: usize,
}

/// FNV-1a, 64 bits (stable across platforms and versions; not a cryptographic hash).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.iter().chain(&[0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The sweep hash (see [`Manifest::hash`]).
pub fn sweep_hash(
    source: &str,
    overrides: &[String],
    grid: &Grid,
    objective: Option<&Objective>,
    charts: bool,
) -> Result<String> {
    let grid = to_json(grid)?;
    let objective = to_json(&objective)?;
    let overrides = overrides.join("\n");
    let h = fnv1a(&[
        env!("CARGO_PKG_VERSION").as_bytes(),
        source.as_bytes(),
        overrides.as_bytes(),
        grid.as_bytes(),
        objective.as_bytes(),
        if charts { b"charts" } else { b"no charts" },
    ]);
    Ok(format!("{h:016x}"))
}

/// JSON text of a value.
fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Usage(format!("JSON encoding failed: {e}")))
}

impl Manifest {
    /// The file's bytes (pretty JSON and a final newline).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Usage(format!("JSON encoding failed: {e}")))?;
        text.push('\n');
        Ok(text.into_bytes())
    }

    /// Reads `dir/sweep.json`.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| {
            Error::Usage(format!(
                "{}: not a kubesim sweep manifest: {e}",
                path.display()
            ))
        })?;
        if m.format != FORMAT {
            return Err(Error::Usage(format!(
                "{}: manifest format {} (this kubesim reads format {FORMAT})",
                path.display(),
                m.format
            )));
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_changes_with_any_input() {
        let g = Grid::new(vec![], vec![1, 2]).unwrap();
        let base = sweep_hash("a: 1", &[], &g, None, true).unwrap();
        assert_eq!(base.len(), 16);
        assert_eq!(base, sweep_hash("a: 1", &[], &g, None, true).unwrap());
        assert_ne!(base, sweep_hash("a: 2", &[], &g, None, true).unwrap());
        assert_ne!(
            base,
            sweep_hash("a: 1", &["x=1".into()], &g, None, true).unwrap()
        );
        let g3 = Grid::new(vec![], vec![1, 3]).unwrap();
        assert_ne!(base, sweep_hash("a: 1", &[], &g3, None, true).unwrap());
        assert_ne!(base, sweep_hash("a: 1", &[], &g, None, false).unwrap());
    }
}

//! A sweep plan: the scenario (with its `--set` overrides), the grid and seeds (from `--grid`
//! and `--seeds`, else the scenario's `sweep:` block), the objective, and the manifest that
//! identifies them.

use super::grid::{Axis, Grid, parse_seeds, seeds_from_spec};
use super::manifest::{FORMAT, Manifest, sweep_hash};
use super::objective::Objective;
use super::run::RunId;
use crate::error::{Error, Result};
use crate::scenario::Scenario;

/// What a sweep runs.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario with the user's `--set` overrides.
    pub scenario: Scenario,
    /// The whole sweep's manifest (`shard: null`, `runs` = `runs_total`).
    pub manifest: Manifest,
}

impl Plan {
    /// A plan for `scenario`. `grid_flags` (`--grid path=v1,v2`) replace the `sweep.grid`
    /// axes when given; `seeds` (`--seeds 1..30`) replaces `sweep.seeds`; without either,
    /// the scenario's `seed` is the only seed.
    pub fn new(scenario: Scenario, grid_flags: &[String], seeds: Option<&str>) -> Result<Plan> {
        let block = scenario.spec.sweep.as_ref();
        // Errors in the `sweep:` block name the scenario file.
        let file = scenario.path.display().to_string();
        let in_file = |e: Error| Error::Usage(format!("{file}: {e}"));
        let axes_from_block = grid_flags.is_empty();
        let axes = if axes_from_block {
            block
                .map(|b| b.grid.iter().map(Axis::from_spec).collect())
                .transpose()
                .map_err(in_file)?
                .unwrap_or_default()
        } else {
            grid_flags
                .iter()
                .map(|f| Axis::parse_flag(f))
                .collect::<Result<Vec<_>>>()?
        };
        let (seeds, seeds_from_block) = match (seeds, block.and_then(|b| b.seeds.as_ref())) {
            (Some(text), _) => (parse_seeds(text)?, false),
            (None, Some(spec)) => (
                seeds_from_spec(spec)
                    .map_err(|e| Error::Usage(format!("{file}: sweep.seeds: {e}")))?,
                true,
            ),
            (None, None) => (vec![scenario.spec.seed], false),
        };
        let grid = Grid::new(axes, seeds).map_err(|e| {
            if axes_from_block || seeds_from_block {
                in_file(e)
            } else {
                e
            }
        })?;
        let objective = block
            .and_then(|b| b.objective.as_ref())
            .map(Objective::from_spec)
            .transpose()
            .map_err(in_file)?;
        let charts = scenario.spec.output.charts;
        let hash = sweep_hash(
            &scenario.source,
            &scenario.overrides,
            &grid,
            objective.as_ref(),
            charts,
        )?;
        let runs = grid.runs();
        let manifest = Manifest {
            format: FORMAT,
            kubesim_version: env!("CARGO_PKG_VERSION").to_owned(),
            scenario: scenario.spec.name.clone(),
            hash,
            grid,
            objective,
            charts,
            runs_total: runs,
            shard: None,
            runs,
        };
        Ok(Plan { scenario, manifest })
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.manifest.grid
    }

    /// Every run, in the sweep's order: point by point, each point's seeds in order.
    pub fn runs(&self) -> Vec<RunId> {
        all_runs(self.grid())
    }

    /// The scenario at grid point `point`: the point's overrides applied after `--set`.
    pub fn point_scenario(&self, point: usize) -> Result<Scenario> {
        let mut overrides = self.scenario.overrides.clone();
        overrides.extend(self.grid().overrides(point));
        let mut scenario =
            Scenario::from_yaml(&self.scenario.source, &self.scenario.path, &overrides).map_err(
                |e| {
                    Error::Usage(format!(
                        "{}: grid point {point} ({}): {e}",
                        self.scenario.path.display(),
                        self.grid().overrides(point).join(" ")
                    ))
                },
            )?;
        // The sweep's --max-events/--max-memory apply to every run.
        scenario.limits = self.scenario.limits;
        Ok(scenario)
    }

    /// Loads the scenario of every grid point (each checked as `kubesim validate` checks a
    /// scenario's schema and values).
    pub fn check_points(&self) -> Result<()> {
        (0..self.grid().points()).try_for_each(|p| self.point_scenario(p).map(|_| ()))
    }

    /// The `kubesim run` command that repeats run `id` (its `summary.csv` equals the run's
    /// `sweep.csv` row but for `wall_time_s`).
    pub fn run_command(&self, id: RunId) -> String {
        let mut words = vec![
            "kubesim".to_owned(),
            "run".to_owned(),
            shell_quote(&self.scenario.path.display().to_string()),
        ];
        for o in self
            .scenario
            .overrides
            .iter()
            .cloned()
            .chain(self.grid().overrides(id.point))
        {
            words.push("--set".into());
            words.push(shell_quote(&o));
        }
        words.push("--seed".into());
        words.push(id.seed.to_string());
        words.join(" ")
    }
}

/// Every run of `grid`, in the sweep's order.
pub fn all_runs(grid: &Grid) -> Vec<RunId> {
    (0..grid.points())
        .flat_map(|point| grid.seeds.iter().map(move |&seed| RunId { point, seed }))
        .collect()
}

/// A word for a POSIX shell: as it is when safe, else in single quotes.
pub fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_shell_words() {
        assert_eq!(
            shell_quote("nodePools[0].count=2"),
            "'nodePools[0].count=2'"
        );
        assert_eq!(shell_quote("seed=7"), "seed=7");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}

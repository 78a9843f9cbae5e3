//! The scenario's `sweep:` block: grid axes, seeds and an optional objective.
//!
//! ```yaml
//! sweep:
//!   grid:
//!     - set: deployments[name=web].hpa.metrics[0].resource.target.averageUtilization
//!       values: [50, 60, 70, 80]
//!       name: target              # column name (default: the path)
//!   seeds: 1..10                  # inclusive range, or a list [1, 2, 5]
//!   objective:
//!     minimize: cost_usd          # or maximize: <column>
//!     subjectTo: "unserved_ratio < 0.001"   # or a list of such conditions
//! ```

use serde::Deserialize;

/// The `sweep:` block of a scenario.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SweepSpec {
    /// Grid axes; the grid is their cartesian product, the first axis varying slowest.
    #[serde(default)]
    pub grid: Vec<AxisSpec>,
    /// Seeds run at every grid point (default: the scenario's `seed`).
    #[serde(default)]
    pub seeds: Option<SeedsSpec>,
    /// Which grid point answers the sweep's question.
    #[serde(default)]
    pub objective: Option<ObjectiveSpec>,
}

/// One grid axis: a `--set` path and the values it takes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AxisSpec {
    /// The override path, as for `--set` (e.g. `nodePools[name=web].instanceType`).
    pub set: String,
    /// The values, any YAML values (scalars or flow collections).
    pub values: Vec<serde_yaml_ng::Value>,
    /// Column name in `sweep.csv` and `points.csv` (default: the path).
    #[serde(default)]
    pub name: Option<String>,
}

/// Seeds: `a..b` (inclusive) as a string, or an explicit list.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum SeedsSpec {
    /// An explicit list.
    List(Vec<u64>),
    /// A range `a..b` (both ends included) or a comma-separated list, as for `--seeds`.
    Text(String),
}

/// The question a sweep answers: the grid point with the best mean of one column among those
/// whose 95% confidence intervals satisfy every condition.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectiveSpec {
    /// A `summary.csv` column to minimize (give this or `maximize`).
    #[serde(default)]
    pub minimize: Option<String>,
    /// A `summary.csv` column to maximize.
    #[serde(default)]
    pub maximize: Option<String>,
    /// Conditions `<column> <op> <number>` with op one of `<`, `<=`, `>`, `>=`.
    #[serde(default)]
    pub subject_to: Option<ConditionsSpec>,
}

/// One condition or a list of them.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum ConditionsSpec {
    /// A single condition.
    One(String),
    /// Several conditions, all required.
    Many(Vec<String>),
}

impl ConditionsSpec {
    /// The conditions as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            ConditionsSpec::One(c) => vec![c.clone()],
            ConditionsSpec::Many(c) => c.clone(),
        }
    }
}

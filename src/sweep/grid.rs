//! The grid of a sweep: axes (an override path and its values), their cartesian product
//! (grid points, the first axis varying slowest) and the seeds run at every point.

use super::spec::{AxisSpec, SeedsSpec};
use crate::error::{Error, Result};
use crate::scenario::overrides::split_assignment;
use serde::{Deserialize, Serialize};

/// One grid axis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// Column name in `sweep.csv` and `points.csv`.
    pub name: String,
    /// The `--set` path it overrides.
    pub path: String,
    /// The values, as the text given to `--set` (YAML).
    pub values: Vec<String>,
}

impl Axis {
    /// Parses a `--grid path=v1,v2,...` flag (values split at commas; use the `sweep:` block
    /// for values that contain commas).
    pub fn parse_flag(flag: &str) -> Result<Axis> {
        let (path, values) = split_assignment(flag).ok_or_else(|| {
            Error::Usage(format!(
                "--grid {flag:?}: expected path=value1,value2,..., e.g. nodePools[0].count=2,4,8"
            ))
        })?;
        let path = path.trim();
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_owned()).collect();
        if path.is_empty() || values.iter().any(String::is_empty) {
            return Err(Error::Usage(format!(
                "--grid {flag:?}: expected path=value1,value2,... with no empty path or value"
            )));
        }
        Ok(Axis {
            name: path.to_owned(),
            path: path.to_owned(),
            values,
        })
    }

    /// An axis from the scenario's `sweep.grid` entry.
    pub fn from_spec(spec: &AxisSpec) -> Result<Axis> {
        let values = spec
            .values
            .iter()
            .map(value_text)
            .collect::<Result<Vec<_>>>()?;
        if values.is_empty() {
            return Err(Error::Usage(format!(
                "sweep.grid: axis {:?} has no values",
                spec.set
            )));
        }
        Ok(Axis {
            name: spec.name.clone().unwrap_or_else(|| spec.set.clone()),
            path: spec.set.clone(),
            values,
        })
    }
}

/// The `--set` text of a YAML value: scalars as they are written, strings that would read
/// back as something else quoted, collections as JSON (a YAML flow collection).
fn value_text(v: &serde_yaml_ng::Value) -> Result<String> {
    use serde_yaml_ng::Value;
    let json =
        || serde_json::to_string(v).map_err(|e| Error::Usage(format!("sweep.grid: value: {e}")));
    match v {
        Value::Null => Ok("null".to_owned()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) => {
            let reads_back = serde_yaml_ng::from_str::<Value>(s)
                .map(|back| back == Value::String(s.clone()))
                .unwrap_or(false);
            if reads_back && !s.contains(',') {
                Ok(s.clone())
            } else {
                json()
            }
        }
        _ => json(),
    }
}

/// Parses seeds: `a..b` (inclusive), or a comma-separated list of numbers and ranges.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>> {
    let bad = || {
        Error::Usage(format!(
            "seeds {text:?}: expected a range a..b (both included) or a list such as 1,2,7"
        ))
    };
    let mut seeds = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        match part.split_once("..") {
            Some((a, b)) => {
                let a: u64 = a.trim().parse().map_err(|_| bad())?;
                let b: u64 = b.trim().parse().map_err(|_| bad())?;
                if b < a {
                    return Err(bad());
                }
                if b - a >= 10_000_000 {
                    return Err(Error::Usage(format!(
                        "seeds {text:?}: more than 10 million seeds"
                    )));
                }
                seeds.extend(a..=b);
            }
            None => seeds.push(part.parse().map_err(|_| bad())?),
        }
    }
    Ok(seeds)
}

/// Seeds from the `sweep.seeds` entry.
pub fn seeds_from_spec(spec: &SeedsSpec) -> Result<Vec<u64>> {
    match spec {
        SeedsSpec::List(l) => Ok(l.clone()),
        SeedsSpec::Text(t) => parse_seeds(t),
    }
}

/// The grid: axes, their product, and the seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// The axes (possibly none: a single point, the scenario as it is).
    pub axes: Vec<Axis>,
    /// Seeds run at every point, in order.
    pub seeds: Vec<u64>,
}

impl Grid {
    /// Checks the grid: unique seeds and axis names, at least one seed, a sane size.
    pub fn new(axes: Vec<Axis>, seeds: Vec<u64>) -> Result<Grid> {
        if seeds.is_empty() {
            return Err(Error::Usage("sweep: no seeds".into()));
        }
        let mut sorted = seeds.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::Usage(format!(
                "sweep: seed {} is listed twice (every run needs its own seed)",
                w[0]
            )));
        }
        for (i, a) in axes.iter().enumerate() {
            if axes[..i].iter().any(|b| b.name == a.name) {
                return Err(Error::Usage(format!(
                    "sweep: two grid axes are named {:?}",
                    a.name
                )));
            }
            if let Some(v) = a
                .values
                .iter()
                .enumerate()
                .find_map(|(j, v)| a.values[..j].contains(v).then_some(v))
            {
                return Err(Error::Usage(format!(
                    "sweep: axis {:?} lists value {v} twice",
                    a.name
                )));
            }
        }
        let points = axes
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
        match points.and_then(|p| p.checked_mul(seeds.len())) {
            Some(n) if n <= 100_000_000 => Ok(Grid { axes, seeds }),
            _ => Err(Error::Usage(
                "sweep: more than 100 million runs; split the grid".into(),
            )),
        }
    }

    /// Number of grid points.
    pub fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Number of runs (points × seeds).
    pub fn runs(&self) -> usize {
        self.points() * self.seeds.len()
    }

    /// The value index on each axis of point `p` (the first axis varies slowest).
    pub fn coordinates(&self, p: usize) -> Vec<usize> {
        let mut rest = p;
        let mut out = vec![0; self.axes.len()];
        for (i, a) in self.axes.iter().enumerate().rev() {
            out[i] = rest % a.values.len();
            rest /= a.values.len();
        }
        out
    }

    /// The axis values of point `p`.
    pub fn values(&self, p: usize) -> Vec<&str> {
        self.coordinates(p)
            .iter()
            .zip(&self.axes)
            .map(|(&i, a)| a.values[i].as_str())
            .collect()
    }

    /// The `--set` overrides of point `p`.
    pub fn overrides(&self, p: usize) -> Vec<String> {
        self.values(p)
            .iter()
            .zip(&self.axes)
            .map(|(v, a)| format!("{}={v}", a.path))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(name: &str, values: &[&str]) -> Axis {
        Axis {
            name: name.into(),
            path: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn points_enumerate_the_product_first_axis_slowest() {
        let g = Grid::new(
            vec![axis("a", &["1", "2"]), axis("b", &["x", "y", "z"])],
            vec![1, 2],
        )
        .unwrap();
        assert_eq!(g.points(), 6);
        assert_eq!(g.runs(), 12);
        assert_eq!(g.values(0), ["1", "x"]);
        assert_eq!(g.values(2), ["1", "z"]);
        assert_eq!(g.values(3), ["2", "x"]);
        assert_eq!(g.overrides(5), ["a=2", "b=z"]);
        let empty = Grid::new(vec![], vec![3]).unwrap();
        assert_eq!(empty.points(), 1);
        assert!(empty.overrides(0).is_empty());
    }

    #[test]
    fn rejects_duplicates_and_empty_seeds() {
        assert!(Grid::new(vec![], vec![]).is_err());
        assert!(Grid::new(vec![], vec![1, 2, 1]).is_err());
        assert!(Grid::new(vec![axis("a", &["1"]), axis("a", &["2"])], vec![1]).is_err());
        assert!(Grid::new(vec![axis("a", &["1", "1"])], vec![1]).is_err());
    }

    #[test]
    fn parses_flags_and_seeds() {
        let a = Axis::parse_flag("deployments[name=web].replicas=2, 4,8").unwrap();
        assert_eq!(a.path, "deployments[name=web].replicas");
        assert_eq!(a.values, ["2", "4", "8"]);
        assert!(Axis::parse_flag("x").is_err());
        assert!(Axis::parse_flag("x=1,,2").is_err());
        assert_eq!(parse_seeds("1..3").unwrap(), [1, 2, 3]);
        assert_eq!(parse_seeds("5, 1..2,9").unwrap(), [5, 1, 2, 9]);
        assert!(parse_seeds("3..1").is_err());
        assert!(parse_seeds("a").is_err());
    }

    #[test]
    fn yaml_values_become_set_text() {
        let v: Vec<serde_yaml_ng::Value> =
            serde_yaml_ng::from_str("[50, m5.large, 'true', \"a,b\", {x: 1}, true, 0.5]").unwrap();
        let t: Vec<String> = v.iter().map(|v| value_text(v).unwrap()).collect();
        assert_eq!(
            t,
            [
                "50",
                "m5.large",
                "\"true\"",
                "\"a,b\"",
                "{\"x\":1}",
                "true",
                "0.5"
            ]
        );
    }
}

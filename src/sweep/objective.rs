//! The sweep's question: the grid point with the lowest (or highest) mean of one column among
//! the points whose 95% confidence interval satisfies every condition. A condition `x < c`
//! (or `<=`) holds when the interval's upper end is below `c`; `x > c` (or `>=`) when its lower
//! end is above `c`. A point with fewer than two runs has no interval and never qualifies.

use super::spec::ObjectiveSpec;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Minimize or maximize.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Lowest mean wins.
    Minimize,
    /// Highest mean wins.
    Maximize,
}

/// A comparison operator of a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// One condition `column op threshold`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// A `summary.csv` column.
    pub column: String,
    /// The comparison.
    pub op: Op,
    /// The threshold (in the column's unit).
    pub threshold: f64,
    /// The condition as written.
    pub text: String,
}

impl Condition {
    /// Parses `column < 0.001` (ops `<`, `<=`, `>`, `>=`).
    pub fn parse(text: &str) -> Result<Condition> {
        let bad = || {
            Error::Usage(format!(
                "sweep.objective.subjectTo {text:?}: expected `<column> <op> <number>` with op \
                 one of <, <=, >, >=, e.g. \"unserved_ratio < 0.001\""
            ))
        };
        let at = text.find(['<', '>']).ok_or_else(bad)?;
        let (column, rest) = text.split_at(at);
        let (op, number) = if let Some(n) = rest.strip_prefix("<=") {
            (Op::Le, n)
        } else if let Some(n) = rest.strip_prefix(">=") {
            (Op::Ge, n)
        } else if let Some(n) = rest.strip_prefix('<') {
            (Op::Lt, n)
        } else {
            (Op::Gt, &rest[1..])
        };
        let column = column.trim();
        let threshold: f64 = number.trim().parse().map_err(|_| bad())?;
        if column.is_empty() || !threshold.is_finite() {
            return Err(bad());
        }
        Ok(Condition {
            column: column.to_owned(),
            op,
            threshold,
            text: text.trim().to_owned(),
        })
    }

    /// Whether a 95% interval `(low, high)` satisfies the condition.
    pub fn holds(&self, (low, high): (f64, f64)) -> bool {
        match self.op {
            Op::Lt => high < self.threshold,
            Op::Le => high <= self.threshold,
            Op::Gt => low > self.threshold,
            Op::Ge => low >= self.threshold,
        }
    }

    /// The interval end the condition tests (`high` for `<`, `low` for `>`).
    pub fn bound_name(&self) -> &'static str {
        match self.op {
            Op::Lt | Op::Le => "upper",
            Op::Gt | Op::Ge => "lower",
        }
    }
}

/// A parsed objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// Minimize or maximize.
    pub goal: Goal,
    /// The column whose mean is optimized.
    pub column: String,
    /// The conditions, as written.
    pub subject_to: Vec<String>,
}

impl Objective {
    /// Reads the `sweep.objective` block.
    pub fn from_spec(spec: &ObjectiveSpec) -> Result<Objective> {
        let (goal, column) = match (&spec.minimize, &spec.maximize) {
            (Some(c), None) => (Goal::Minimize, c.clone()),
            (None, Some(c)) => (Goal::Maximize, c.clone()),
            _ => {
                return Err(Error::Usage(
                    "sweep.objective: give exactly one of `minimize: <column>` or `maximize: <column>`"
                        .into(),
                ));
            }
        };
        let o = Objective {
            goal,
            column,
            subject_to: spec
                .subject_to
                .as_ref()
                .map(|c| c.to_vec())
                .unwrap_or_default(),
        };
        o.conditions()?;
        Ok(o)
    }

    /// The parsed conditions.
    pub fn conditions(&self) -> Result<Vec<Condition>> {
        self.subject_to
            .iter()
            .map(|c| Condition::parse(c))
            .collect()
    }

    /// Every column the objective reads.
    pub fn columns(&self) -> Result<Vec<String>> {
        let mut c = vec![self.column.clone()];
        for cond in self.conditions()? {
            if !c.contains(&cond.column) {
                c.push(cond.column);
            }
        }
        Ok(c)
    }

    /// Whether mean `a` is better than mean `b`.
    pub fn better(&self, a: f64, b: f64) -> bool {
        match self.goal {
            Goal::Minimize => a < b,
            Goal::Maximize => a > b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_conditions() {
        let c = Condition::parse("unserved_ratio < 0.001").unwrap();
        assert_eq!(
            (c.column.as_str(), c.op, c.threshold),
            ("unserved_ratio", Op::Lt, 0.001)
        );
        assert!(c.holds((0.0, 0.0009)) && !c.holds((0.0, 0.001)));
        let c = Condition::parse("availability_mean>=0.999").unwrap();
        assert_eq!(c.op, Op::Ge);
        assert!(c.holds((0.999, 1.0)) && !c.holds((0.998, 1.0)));
        for bad in ["x", "< 1", "x < y", "x = 1", "x < inf"] {
            assert!(Condition::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn needs_exactly_one_goal() {
        let spec = |min: Option<&str>, max: Option<&str>| ObjectiveSpec {
            minimize: min.map(Into::into),
            maximize: max.map(Into::into),
            subject_to: None,
        };
        assert!(Objective::from_spec(&spec(None, None)).is_err());
        assert!(Objective::from_spec(&spec(Some("a"), Some("b"))).is_err());
        let o = Objective::from_spec(&spec(None, Some("availability_mean"))).unwrap();
        assert!(o.better(2.0, 1.0));
    }
}

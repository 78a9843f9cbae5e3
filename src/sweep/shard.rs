//! Shards: splitting a sweep's runs over N processes or machines. Shard `I` of `N` (I is
//! 0-based, 0 ≤ I < N, like a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`) takes the runs
//! whose position in the sweep's run order is I modulo N, so the shards are balanced even when
//! some grid points run longer than others, and every shard computes the same run list.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// One shard of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based index.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

/// Environment variables read by `--shard-from-env`, in order.
pub const INDEX_VARIABLES: [&str; 2] = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"];

impl Shard {
    /// A checked shard.
    pub fn new(index: usize, count: usize) -> Result<Shard> {
        if count == 0 || index >= count {
            return Err(Error::Usage(format!(
                "--shard {index}/{count}: the index is 0-based and must be below the count \
                 (0/{count} .. {}/{count})",
                count.saturating_sub(1)
            )));
        }
        Ok(Shard { index, count })
    }

    /// Parses `--shard I/N`.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            Error::Usage(format!(
                "--shard {text:?}: expected I/N with a 0-based index I below N, e.g. 0/16"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse().map_err(|_| bad())?;
        let n = n.trim().parse().map_err(|_| bad())?;
        Shard::new(i, n)
    }

    /// The shard named by the environment: the index from `JOB_COMPLETION_INDEX` (Kubernetes
    /// Indexed Job) or (`SLURM_ARRAY_TASK_ID` - `SLURM_ARRAY_TASK_MIN`) / `SLURM_ARRAY_TASK_STEP`
    /// (a Slurm array, so `--array=1-16`, `--array=0-15` and `--array=0-30:2` all work); the
    /// count from `count`, else `SLURM_ARRAY_TASK_COUNT`.
    pub fn from_env(count: Option<usize>, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard> {
        let number = |name: &str| -> Result<Option<usize>> {
            match env(name) {
                None => Ok(None),
                Some(v) => v.trim().parse().map(Some).map_err(|_| {
                    Error::Usage(format!(
                        "--shard-from-env: {name}={v:?} is not a non-negative integer"
                    ))
                }),
            }
        };
        let (index, slurm) = match number(INDEX_VARIABLES[0])? {
            Some(i) => (i, false),
            None => match number(INDEX_VARIABLES[1])? {
                Some(i) => {
                    let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
                    let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
                    let offset = i.checked_sub(min).ok_or_else(|| {
                        Error::Usage(format!(
                            "--shard-from-env: SLURM_ARRAY_TASK_ID {i} is below SLURM_ARRAY_TASK_MIN {min}"
                        ))
                    })?;
                    (offset / step, true)
                }
                None => {
                    return Err(Error::Usage(format!(
                        "--shard-from-env: neither {} nor {} is set",
                        INDEX_VARIABLES[0], INDEX_VARIABLES[1]
                    )));
                }
            },
        };
        let count = match count {
            Some(c) => c,
            None if slurm => number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
                Error::Usage(
                    "--shard-from-env: give --shards N (SLURM_ARRAY_TASK_COUNT is not set)".into(),
                )
            })?,
            None => {
                return Err(Error::Usage(
                    "--shard-from-env: give the number of shards with --shards N".into(),
                ));
            }
        };
        Shard::new(index, count)
    }

    /// Whether the run at position `k` of the sweep's run order belongs to this shard.
    pub fn owns(&self, k: usize) -> bool {
        k % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn parses_and_checks() {
        assert_eq!(
            Shard::parse("3/16").unwrap(),
            Shard {
                index: 3,
                count: 16
            }
        );
        assert!(Shard::parse("16/16").is_err());
        assert!(Shard::parse("1/0").is_err());
        assert!(Shard::parse("x").is_err());
        let s = Shard::new(1, 4).unwrap();
        let owned: Vec<usize> = (0..10).filter(|&k| s.owns(k)).collect();
        assert_eq!(owned, [1, 5, 9]);
    }

    #[test]
    fn reads_kubernetes_and_slurm_variables() {
        let k8s = env(&[("JOB_COMPLETION_INDEX", "2")]);
        assert_eq!(Shard::from_env(Some(4), &k8s).unwrap().index, 2);
        assert!(Shard::from_env(None, &k8s).is_err());
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ]);
        assert_eq!(
            Shard::from_env(None, &slurm).unwrap(),
            Shard { index: 4, count: 8 }
        );
        let stepped = env(&[
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ]);
        assert_eq!(Shard::from_env(None, &stepped).unwrap().index, 3);
        assert!(Shard::from_env(Some(4), &env(&[])).is_err());
        let bad = Shard::from_env(Some(4), &env(&[("JOB_COMPLETION_INDEX", "x")]));
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("JOB_COMPLETION_INDEX")
        );
        assert!(Shard::from_env(Some(4), &env(&[("JOB_COMPLETION_INDEX", "4")])).is_err());
    }
}

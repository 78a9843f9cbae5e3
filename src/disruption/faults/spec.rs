//! The fault blocks of a scenario (camelCase, unknown fields are errors) and their validation.
//!
//! ```yaml
//! nodeLifecycle: {nodeMonitorGracePeriod: 50s, defaultUnreachableTolerationSeconds: 300}
//! nodePools:
//!   - name: general
//!     failures:                                  # each node fails and is repaired, forever
//!       timeBetweenFailures: {exponential: {mean: 30d}}   # or weibull / lognormal / uniform
//!       repairTime: {lognormal: {median: 30m, sigma: 0.8}} # omit: failed nodes stay down
//!   - name: spot
//!     spot: true
//!     hourlyPrice: 0.06
//!     interruptions: {rate: 0.1, notice: 2m, replacementDelay: 3m}   # per node per day
//! faults:
//!   - {at: 6h, node: general-3, duration: 30m}               # node failure, repaired after
//!   - {at: 8h, pool: general, fraction: 0.1, duration: 1h}   # 10% of a pool (or count: 2)
//!   - {at: 12h, zone: us-east-1b, duration: 1h}              # zone outage
//!   - {at: 2h, type: SpotInterruption, pool: spot, count: 1} # notice, drain, loss
//!   - {at: 3h, type: Drain, node: general-1, duration: 20m}  # maintenance: drain, uncordon
//! ```

use crate::engine::time::MS_PER_DAY;
use crate::error::{Error, Result};
use crate::scenario::values::{Duration, DurationDist};
use serde::Deserialize;

/// Default spot interruption notice [ms] (AWS's two-minute warning).
pub const DEFAULT_SPOT_NOTICE_MS: u64 = 120_000;
/// Default time from a spot reclaim to its replacement being ready [ms] (a kubesim
/// assumption: the instance group launches a new instance that boots and registers).
pub const DEFAULT_REPLACEMENT_DELAY_MS: u64 = 180_000;
/// Default interval between retries of an eviction a budget refused [ms] (`kubectl drain`
/// waits 5 s).
pub const DEFAULT_EVICTION_RETRY_MS: u64 = 5_000;

/// `nodePools[].failures`: a failure process per node.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FailureSpec {
    /// Time from a node's start (or repair) to its next failure.
    pub time_between_failures: DurationDist,
    /// Time to repair a failed node (omit: failed nodes stay down).
    #[serde(default)]
    pub repair_time: Option<DurationDist>,
}

/// `nodePools[].interruptions`: spot interruptions of a spot pool's nodes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InterruptionSpec {
    /// Mean interruptions per node per day (exponential times between them).
    #[serde(default)]
    pub rate: Option<f64>,
    /// Time between interruptions of a node, from its start or replacement (instead of
    /// `rate`).
    #[serde(default)]
    pub time_between: Option<DurationDist>,
    /// Warning before the instance is reclaimed (default 2m).
    #[serde(default)]
    pub notice: Option<Duration>,
    /// Time from the reclaim to the replacement node being ready (default 3m).
    #[serde(default)]
    pub replacement_delay: Option<Duration>,
    /// Launch a replacement for a reclaimed node (default true).
    #[serde(default = "yes")]
    pub replace: bool,
}

fn yes() -> bool {
    true
}

/// One entry of `faults`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultSpec {
    /// When it happens.
    pub at: Duration,
    /// `NodeFailure` (default), `SpotInterruption` or `Drain`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// One node, by name.
    #[serde(default)]
    pub node: Option<String>,
    /// The nodes of a pool (all, or `fraction` / `count` of them).
    #[serde(default)]
    pub pool: Option<String>,
    /// The nodes of a zone (all, or `fraction` / `count` of them); a zone-wide
    /// `NodeFailure` is a zone outage.
    #[serde(default)]
    pub zone: Option<String>,
    /// Fraction of the pool's or zone's nodes, rounded up (0 < fraction ≤ 1).
    #[serde(default)]
    pub fraction: Option<f64>,
    /// Number of the pool's or zone's nodes.
    #[serde(default)]
    pub count: Option<u32>,
    /// NodeFailure: repaired after this long; Drain: uncordoned after this long (omit: never).
    #[serde(default)]
    pub duration: Option<Duration>,
    /// SpotInterruption: the warning (default: the pool's `interruptions.notice`, else 2m).
    #[serde(default)]
    pub notice: Option<Duration>,
}

/// `nodeLifecycle`: kube-controller-manager and kube-apiserver flags (upstream defaults).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeLifecycleSpec {
    /// `--node-monitor-grace-period` (default 50s).
    #[serde(default)]
    pub node_monitor_grace_period: Option<Duration>,
    /// `--default-unreachable-toleration-seconds` (default 300).
    #[serde(default)]
    pub default_unreachable_toleration_seconds: Option<u64>,
    /// `--default-not-ready-toleration-seconds` (default 300).
    #[serde(default)]
    pub default_not_ready_toleration_seconds: Option<u64>,
    /// `--node-eviction-rate` [nodes/s] (default 0.1).
    #[serde(default)]
    pub node_eviction_rate: Option<f64>,
    /// `--secondary-node-eviction-rate` [nodes/s] (default 0.01).
    #[serde(default)]
    pub secondary_node_eviction_rate: Option<f64>,
    /// `--unhealthy-zone-threshold` (default 0.55).
    #[serde(default)]
    pub unhealthy_zone_threshold: Option<f64>,
    /// `--large-cluster-size-threshold` [nodes] (default 50).
    #[serde(default)]
    pub large_cluster_size_threshold: Option<u32>,
    /// How long a drain waits before retrying an eviction a budget refused (default 5s).
    #[serde(default)]
    pub eviction_retry_interval: Option<Duration>,
}

/// What a scheduled fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The nodes fail (a zone-wide one is a zone outage).
    NodeFailure,
    /// The spot nodes get an interruption notice.
    SpotInterruption,
    /// The nodes are cordoned and drained (maintenance).
    Drain,
}

impl FaultKind {
    /// Parses `type` (default `NodeFailure`).
    pub fn parse(kind: Option<&str>, field: &str) -> Result<FaultKind> {
        match kind.unwrap_or("NodeFailure") {
            "NodeFailure" => Ok(FaultKind::NodeFailure),
            "SpotInterruption" => Ok(FaultKind::SpotInterruption),
            "Drain" => Ok(FaultKind::Drain),
            other => Err(Error::scenario(
                field,
                format!(
                    "unknown fault type {other:?}; expected NodeFailure, SpotInterruption or Drain"
                ),
            )),
        }
    }
}

fn check_dist(d: &DurationDist, field: &str) -> Result<()> {
    if d.is_always_zero() {
        return Err(Error::scenario(field, "must be > 0"));
    }
    Ok(())
}

impl FailureSpec {
    /// Checks the distributions (`field`: the block's path).
    pub fn validate(&self, field: &str) -> Result<()> {
        check_dist(
            &self.time_between_failures,
            &format!("{field}.timeBetweenFailures"),
        )?;
        if let Some(r) = &self.repair_time {
            check_dist(r, &format!("{field}.repairTime"))?;
        }
        Ok(())
    }
}

impl InterruptionSpec {
    /// Checks the block (`field`: its path; `spot`: whether the pool is spot).
    pub fn validate(&self, field: &str, spot: bool) -> Result<()> {
        if !spot {
            return Err(Error::scenario(
                field,
                "interruptions apply to spot pools only; set spot: true (and hourlyPrice)",
            ));
        }
        match (&self.rate, &self.time_between) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(Error::scenario(
                    field,
                    "give exactly one of rate (interruptions per node per day) and timeBetween",
                ));
            }
            (Some(r), None) if !(r.is_finite() && *r > 0.0) => {
                return Err(Error::scenario(format!("{field}.rate"), "must be > 0"));
            }
            (None, Some(d)) => check_dist(d, &format!("{field}.timeBetween"))?,
            _ => {}
        }
        Ok(())
    }

    /// The distribution of the time between a node's interruptions.
    pub fn time_between(&self) -> DurationDist {
        match (&self.time_between, self.rate) {
            (Some(d), _) => d.clone(),
            (None, Some(r)) => DurationDist::Exponential {
                mean: ((MS_PER_DAY as f64 / r).round() as u64).max(1),
            },
            (None, None) => DurationDist::Constant(u64::MAX / 4),
        }
    }
}

impl FaultSpec {
    /// Checks the entry's shape (`field`: its path); names are resolved when the simulation is
    /// built.
    pub fn validate(&self, field: &str) -> Result<FaultKind> {
        let kind = FaultKind::parse(self.kind.as_deref(), &format!("{field}.type"))?;
        let targets =
            self.node.is_some() as u8 + self.pool.is_some() as u8 + self.zone.is_some() as u8;
        if targets != 1 {
            return Err(Error::scenario(
                field,
                "give exactly one of node, pool and zone",
            ));
        }
        if self.fraction.is_some() && self.count.is_some() {
            return Err(Error::scenario(field, "give fraction or count, not both"));
        }
        if self.node.is_some() && (self.fraction.is_some() || self.count.is_some()) {
            return Err(Error::scenario(
                field,
                "fraction and count apply to a pool or a zone, not to one node",
            ));
        }
        if let Some(f) = self.fraction
            && !(f.is_finite() && f > 0.0 && f <= 1.0)
        {
            return Err(Error::scenario(
                format!("{field}.fraction"),
                "must be in (0, 1]",
            ));
        }
        if self.count == Some(0) {
            return Err(Error::scenario(format!("{field}.count"), "must be > 0"));
        }
        if self.notice.is_some() && kind != FaultKind::SpotInterruption {
            return Err(Error::scenario(
                format!("{field}.notice"),
                "applies to type SpotInterruption only",
            ));
        }
        if self.duration.is_some() && kind == FaultKind::SpotInterruption {
            return Err(Error::scenario(
                format!("{field}.duration"),
                "a spot interruption has no duration (the pool's interruptions.replacementDelay sets when a replacement is ready)",
            ));
        }
        if self.duration.is_some_and(|d| d.0 == 0) {
            return Err(Error::scenario(
                format!("{field}.duration"),
                "must be > 0 (omit it for a permanent fault)",
            ));
        }
        Ok(kind)
    }
}

impl NodeLifecycleSpec {
    /// The controller configuration with defaults applied, checked.
    pub fn config(&self) -> Result<crate::disruption::node_lifecycle::NodeLifecycleConfig> {
        let f = "nodeLifecycle";
        let mut c = crate::disruption::node_lifecycle::NodeLifecycleConfig::default();
        if let Some(d) = self.node_monitor_grace_period {
            c.grace_ms = d.0;
        }
        if let Some(s) = self.default_unreachable_toleration_seconds {
            c.unreachable_toleration_ms = s.saturating_mul(1000);
        }
        if let Some(s) = self.default_not_ready_toleration_seconds {
            c.not_ready_toleration_ms = s.saturating_mul(1000);
        }
        for (v, name, slot) in [
            (
                self.node_eviction_rate,
                "nodeEvictionRate",
                &mut c.eviction_rate,
            ),
            (
                self.secondary_node_eviction_rate,
                "secondaryNodeEvictionRate",
                &mut c.secondary_eviction_rate,
            ),
        ] {
            if let Some(r) = v {
                if !(r.is_finite() && r >= 0.0) {
                    return Err(Error::scenario(format!("{f}.{name}"), "must be >= 0"));
                }
                *slot = r;
            }
        }
        if let Some(t) = self.unhealthy_zone_threshold {
            if !(t.is_finite() && t > 0.0 && t <= 1.0) {
                return Err(Error::scenario(
                    format!("{f}.unhealthyZoneThreshold"),
                    "must be in (0, 1]",
                ));
            }
            c.unhealthy_zone_threshold = t;
        }
        if let Some(n) = self.large_cluster_size_threshold {
            c.large_cluster_threshold = n;
        }
        Ok(c)
    }

    /// The drain retry interval [ms].
    pub fn eviction_retry_ms(&self) -> Result<u64> {
        match self.eviction_retry_interval {
            Some(d) if d.0 == 0 => Err(Error::scenario(
                "nodeLifecycle.evictionRetryInterval",
                "must be > 0",
            )),
            Some(d) => Ok(d.0),
            None => Ok(DEFAULT_EVICTION_RETRY_MS),
        }
    }
}

/// Checks the fault blocks of a scenario that can be checked without its nodes (pool
/// failures and interruptions, `faults` entries, `nodeLifecycle`).
pub fn validate(spec: &crate::scenario::spec::ScenarioSpec) -> Result<()> {
    for (i, p) in spec.node_pools.iter().enumerate() {
        if let Some(f) = &p.failures {
            f.validate(&format!("nodePools[{i}].failures"))?;
        }
        if let Some(s) = &p.interruptions {
            s.validate(&format!("nodePools[{i}].interruptions"), p.spot)?;
        }
    }
    for (i, f) in spec.faults.iter().enumerate() {
        f.validate(&format!("faults[{i}]"))?;
    }
    spec.node_lifecycle.config()?;
    spec.node_lifecycle.eviction_retry_ms()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_fault_entries() {
        let f: FaultSpec = serde_yaml_ng::from_str("{at: 6h, node: n-3, duration: 30m}").unwrap();
        assert_eq!(f.validate("faults[0]").unwrap(), FaultKind::NodeFailure);
        assert_eq!(f.at.0, 6 * 3_600_000);
        let bad: FaultSpec = serde_yaml_ng::from_str("{at: 1h, node: a, pool: b}").unwrap();
        assert!(bad.validate("f").is_err());
        let bad: FaultSpec = serde_yaml_ng::from_str("{at: 1h, pool: b, fraction: 1.5}").unwrap();
        assert!(
            bad.validate("f")
                .unwrap_err()
                .to_string()
                .contains("f.fraction")
        );
        let bad: FaultSpec = serde_yaml_ng::from_str("{at: 1h, type: Reboot, pool: b}").unwrap();
        assert!(bad.validate("f").is_err());
        let spot: FaultSpec =
            serde_yaml_ng::from_str("{at: 1h, type: SpotInterruption, zone: z, count: 2}").unwrap();
        assert_eq!(spot.validate("f").unwrap(), FaultKind::SpotInterruption);
        assert!(serde_yaml_ng::from_str::<FaultSpec>("{at: 1h, node: a, when: 2h}").is_err());
    }

    #[test]
    fn interruption_rate_becomes_an_exponential() {
        let i: InterruptionSpec = serde_yaml_ng::from_str("{rate: 0.5}").unwrap();
        i.validate("p", true).unwrap();
        assert!(i.validate("p", false).is_err());
        assert_eq!(
            i.time_between(),
            DurationDist::Exponential {
                mean: 2 * MS_PER_DAY
            }
        );
        assert!(i.replace);
        let both: InterruptionSpec =
            serde_yaml_ng::from_str("{rate: 0.5, timeBetween: 1d}").unwrap();
        assert!(both.validate("p", true).is_err());
    }

    #[test]
    fn lifecycle_defaults_and_overrides() {
        let s: NodeLifecycleSpec = serde_yaml_ng::from_str(
            "{nodeMonitorGracePeriod: 40s, defaultUnreachableTolerationSeconds: 60}",
        )
        .unwrap();
        let c = s.config().unwrap();
        assert_eq!((c.grace_ms, c.unreachable_toleration_ms), (40_000, 60_000));
        assert_eq!(c.not_ready_toleration_ms, 300_000);
        assert_eq!(s.eviction_retry_ms().unwrap(), 5_000);
    }
}

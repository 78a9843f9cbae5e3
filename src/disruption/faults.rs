//! Fault injection: random node failures per pool, scheduled faults (a node, a share of a pool
//! or a zone fails, is interrupted or drained at a given time) and spot interruptions.
//!
//! Every random draw comes from a stream of its own, so variants of a scenario (other
//! schedulers, other workloads) see identical faults: each node's failure process and each
//! spot node's interruptions draw from a stream keyed by the node's *name*
//! (`Stream::NodeFailures`, `Stream::SpotInterruptions`), and each scheduled fault that picks
//! a share of the nodes draws from `Stream::ScheduledFault(i)`. A node's draws alternate time
//! to failure and repair time, in that order, from its start.
//!
//! The simulation carries the faults out (`engine/faults.rs`): a failed node stops at once
//! (its pods stop serving); the node lifecycle controller ([`super::node_lifecycle`]) marks it
//! NotReady after the grace period and the taint-eviction controller deletes its pods after
//! their `tolerationSeconds`; a repaired node is Ready again. A spot interruption cordons and
//! drains the node through the eviction API ([`super::eviction`]) during the notice, then the
//! instance is gone: what is left on it is deleted, and a replacement joins after the
//! replacement delay.
//!
//! Simplified: a reclaimed spot node's replacement reuses the node's record and name (it is
//! billed during the gap, a few minutes per interruption); overlapping outages of one node
//! (a random failure during a zone outage) keep it down until the last one ends.

pub mod spec;

use super::node_lifecycle::{NodeLifecycle, NodeLifecycleConfig};
use crate::cluster::ClusterState;
use crate::cluster::node::{NodeId, PoolId};
use crate::cluster::pod::PodId;
use crate::engine::rng::{SimRng, Stream, stream};
use crate::engine::time::SimTime;
use crate::error::{Error, Result};
use crate::metrics::recovery::Cause;
use crate::scenario::spec::ScenarioSpec;
use crate::scenario::values::DurationDist;
use rand::Rng;
use spec::{DEFAULT_REPLACEMENT_DELAY_MS, DEFAULT_SPOT_NOTICE_MS, FaultKind};

/// A fault-related timer (the payload of `Event::Fault`). Node timers carry the node's
/// incarnation or outage number and are ignored when it no longer matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultEvent {
    /// A node's failure process: the node fails.
    Fail {
        /// The node.
        node: NodeId,
        /// Its incarnation when the timer was set.
        incarnation: u32,
    },
    /// A randomly failed node is repaired.
    Repair {
        /// The node.
        node: NodeId,
        /// Its incarnation when the timer was set.
        incarnation: u32,
    },
    /// Scheduled fault `0` starts.
    Scheduled(u32),
    /// Scheduled fault `0` ends (repair, uncordon).
    ScheduledEnd(u32),
    /// A down node's `nodeMonitorGracePeriod` is over.
    Grace {
        /// The node.
        node: NodeId,
        /// Its outage number when the node went down.
        outage: u32,
    },
    /// The node lifecycle controller's monitor pass (zone states), after condition changes.
    LifecyclePass,
    /// Zone `0`'s NoExecute tainter may take its next token.
    ZoneTick(u32),
    /// A pod's toleration of its node's NoExecute taints runs out.
    TaintEviction {
        /// The pod.
        pod: PodId,
        /// Its generation when the timer was set.
        generation: u32,
    },
    /// A spot node gets its interruption notice.
    SpotNotice {
        /// The node.
        node: NodeId,
        /// Its incarnation when the timer was set.
        incarnation: u32,
    },
    /// The notice is over: the spot instance is reclaimed.
    SpotReclaim {
        /// The node.
        node: NodeId,
        /// Its incarnation when the timer was set.
        incarnation: u32,
    },
    /// A reclaimed spot node's replacement is ready.
    SpotReplaced {
        /// The node.
        node: NodeId,
        /// Its incarnation when the timer was set.
        incarnation: u32,
    },
    /// Retry the evictions a budget refused on a node being drained.
    DrainRetry {
        /// The node.
        node: NodeId,
        /// The drain's number.
        drain: u32,
    },
}

/// What happened to a node (a row of `node_events.csv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeEventKind {
    /// The machine went down (stopped reporting).
    Down,
    /// The node lifecycle controller marked it NotReady (Ready condition Unknown) and tainted
    /// it `unreachable:NoSchedule`.
    NotReady,
    /// It got `unreachable:NoExecute` (rate-limited per zone): the taint-eviction timers start.
    Tainted,
    /// It came back up (repaired): Ready, untainted.
    Up,
    /// Cordoned and drained (maintenance or spot notice).
    Drained,
    /// Uncordoned after a maintenance drain.
    Uncordoned,
    /// A spot interruption notice.
    SpotNotice,
    /// The spot instance was reclaimed.
    Reclaimed,
    /// The reclaimed node's replacement is ready.
    Replaced,
}

impl NodeEventKind {
    /// The name used in the outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeEventKind::Down => "Down",
            NodeEventKind::NotReady => "NotReady",
            NodeEventKind::Tainted => "Tainted",
            NodeEventKind::Up => "Up",
            NodeEventKind::Drained => "Drained",
            NodeEventKind::Uncordoned => "Uncordoned",
            NodeEventKind::SpotNotice => "SpotNotice",
            NodeEventKind::Reclaimed => "Reclaimed",
            NodeEventKind::Replaced => "Replaced",
        }
    }
}

/// One logged node event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeEvent {
    /// When.
    pub time: SimTime,
    /// Which node.
    pub node: NodeId,
    /// What.
    pub kind: NodeEventKind,
    /// The fault's cause.
    pub cause: Cause,
}

/// A pool's random failure process (`nodePools[].failures`).
#[derive(Clone, Debug)]
pub struct FailureProcess {
    /// Time from start or repair to the next failure.
    pub time_between: DurationDist,
    /// Repair time (`None`: never repaired).
    pub repair: Option<DurationDist>,
}

/// A spot pool's interruptions (`nodePools[].interruptions`, or defaults for scheduled ones).
#[derive(Clone, Debug)]
pub struct SpotConfig {
    /// Time between a node's random interruptions (`None`: only scheduled ones).
    pub time_between: Option<DurationDist>,
    /// Notice [ms].
    pub notice_ms: u64,
    /// Reclaim to replacement ready [ms] (`None`: no replacement).
    pub replacement_ms: Option<u64>,
}

/// The fault configuration of one pool.
#[derive(Clone, Debug, Default)]
pub struct PoolFaults {
    /// Random failures.
    pub failures: Option<FailureProcess>,
    /// Spot interruptions (spot pools only).
    pub spot: Option<SpotConfig>,
}

/// Which nodes a scheduled fault hits.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// One node.
    Node(NodeId),
    /// The nodes of a pool.
    Pool(PoolId),
    /// The nodes of a zone.
    Zone(String),
}

/// How many of the target's nodes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pick {
    /// All of them.
    All,
    /// This fraction, rounded up.
    Fraction(f64),
    /// This many (at most all).
    Count(u32),
}

/// One entry of `faults`, resolved.
#[derive(Clone, Debug)]
pub struct ScheduledFault {
    /// Start time.
    pub at: SimTime,
    /// What happens.
    pub kind: FaultKind,
    /// Where.
    pub target: Target,
    /// How many nodes.
    pub pick: Pick,
    /// Repair / uncordon after this long [ms] (`None`: never).
    pub duration_ms: Option<u64>,
    /// Spot notice override [ms].
    pub notice_ms: Option<u64>,
    /// The nodes it hit, with their incarnation then (filled when it starts).
    pub hit: Vec<(NodeId, u32)>,
}

impl ScheduledFault {
    /// The cause of incidents it opens.
    pub fn cause(&self) -> Cause {
        match (self.kind, &self.target, self.pick) {
            (FaultKind::NodeFailure, Target::Zone(_), Pick::All) => Cause::ZoneOutage,
            (FaultKind::NodeFailure, _, _) => Cause::NodeFailure,
            (FaultKind::SpotInterruption, _, _) => Cause::SpotInterruption,
            (FaultKind::Drain, _, _) => Cause::Eviction,
        }
    }
}

/// A node being drained (cordoned, its pods evicted through the eviction API).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drain {
    /// Drain number (stale retry timers are ignored).
    pub seq: u32,
    /// The cause of the incidents its evictions open.
    pub cause: Cause,
}

/// Fault state of one node.
#[derive(Clone, Debug)]
pub struct NodeFaults {
    /// Bumped when a reclaimed spot node is replaced (its old timers are ignored).
    pub incarnation: u32,
    /// Outages keeping the node down (random failure, scheduled faults).
    pub outages: u32,
    /// Bumped each time the node goes down.
    pub outage_seq: u32,
    /// When the current outage started ([`SimTime::NEVER`] while up).
    pub down_since: SimTime,
    /// Cause of the current outage.
    pub cause: Cause,
    /// The spot instance is gone (waiting for its replacement).
    pub gone: bool,
    /// The drain in progress, if any.
    pub drain: Option<Drain>,
    /// The node's failure stream (pools with `failures`).
    pub failure_rng: Option<SimRng>,
    /// The node's interruption stream (spot pools with `interruptions`).
    pub spot_rng: Option<SimRng>,
}

impl Default for NodeFaults {
    fn default() -> Self {
        NodeFaults {
            incarnation: 0,
            outages: 0,
            outage_seq: 0,
            down_since: SimTime::NEVER,
            cause: Cause::NodeFailure,
            gone: false,
            drain: None,
            failure_rng: None,
            spot_rng: None,
        }
    }
}

/// The fault injector's configuration and state.
#[derive(Clone, Debug)]
pub struct Faults {
    /// Per pool.
    pub pools: Vec<PoolFaults>,
    /// Scheduled faults, in spec order.
    pub scheduled: Vec<ScheduledFault>,
    /// Per node (grown on demand).
    pub nodes: Vec<NodeFaults>,
    /// The node lifecycle and taint-eviction controllers.
    pub lifecycle: NodeLifecycle,
    /// Drain retry interval [ms].
    pub eviction_retry_ms: u64,
    /// Master seed (for the per-node streams).
    pub seed: u64,
    /// What happened to the nodes, in time order.
    pub log: Vec<NodeEvent>,
    drains: u32,
}

/// A stable 64-bit key of a node name (FNV-1a), for its random streams.
pub fn name_key(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Faults {
    /// No faults (the lifecycle controller exists but is never asked to act).
    pub fn none() -> Faults {
        Faults {
            pools: Vec::new(),
            scheduled: Vec::new(),
            nodes: Vec::new(),
            lifecycle: NodeLifecycle::idle(NodeLifecycleConfig::default()),
            eviction_retry_ms: spec::DEFAULT_EVICTION_RETRY_MS,
            seed: 0,
            log: Vec::new(),
            drains: 0,
        }
    }

    /// The faults of `spec` for `cluster` (built from it), with master seed `seed`. Names of
    /// nodes, pools and zones are resolved here.
    pub fn build(spec: &ScenarioSpec, cluster: &mut ClusterState, seed: u64) -> Result<Faults> {
        let mut f = Faults::none();
        f.seed = seed;
        let config = spec.node_lifecycle.config()?;
        f.lifecycle.config = config;
        f.eviction_retry_ms = spec.node_lifecycle.eviction_retry_ms()?;
        f.pools = vec![PoolFaults::default(); cluster.pools.len()];
        for (i, p) in spec.node_pools.iter().enumerate() {
            let field = format!("nodePools[{i}]");
            let pf = &mut f.pools[i];
            if let Some(fs) = &p.failures {
                fs.validate(&format!("{field}.failures"))?;
                pf.failures = Some(FailureProcess {
                    time_between: fs.time_between_failures.clone(),
                    repair: fs.repair_time.clone(),
                });
            }
            if let Some(is) = &p.interruptions {
                is.validate(&format!("{field}.interruptions"), p.spot)?;
                pf.spot = Some(SpotConfig {
                    time_between: Some(is.time_between()),
                    notice_ms: is.notice.map_or(DEFAULT_SPOT_NOTICE_MS, |d| d.0),
                    replacement_ms: is.replace.then(|| {
                        is.replacement_delay
                            .map_or(DEFAULT_REPLACEMENT_DELAY_MS, |d| d.0)
                    }),
                });
            } else if p.spot {
                pf.spot = Some(SpotConfig {
                    time_between: None,
                    notice_ms: DEFAULT_SPOT_NOTICE_MS,
                    replacement_ms: Some(DEFAULT_REPLACEMENT_DELAY_MS),
                });
            }
        }
        for (i, s) in spec.faults.iter().enumerate() {
            let field = format!("faults[{i}]");
            let kind = s.validate(&field)?;
            let target = if let Some(name) = &s.node {
                let node = cluster
                    .nodes
                    .iter()
                    .position(|n| &n.name == name)
                    .ok_or_else(|| {
                        Error::scenario(format!("{field}.node"), format!("no node named {name:?}"))
                    })?;
                Target::Node(NodeId(node as u32))
            } else if let Some(name) = &s.pool {
                let pool = cluster
                    .pools
                    .iter()
                    .position(|p| &p.name == name)
                    .ok_or_else(|| {
                        Error::scenario(format!("{field}.pool"), format!("no pool named {name:?}"))
                    })?;
                Target::Pool(PoolId(pool as u32))
            } else {
                let zone = s.zone.clone().unwrap_or_default();
                if !cluster.pools.iter().any(|p| p.zone == zone) {
                    return Err(Error::scenario(
                        format!("{field}.zone"),
                        format!("no node pool is in zone {zone:?}"),
                    ));
                }
                Target::Zone(zone)
            };
            if kind == FaultKind::SpotInterruption {
                let spot = |pool: PoolId| cluster.pools[pool.0 as usize].spot;
                let any_spot = match &target {
                    Target::Node(n) => spot(cluster.nodes[n.0 as usize].pool),
                    Target::Pool(p) => spot(*p),
                    Target::Zone(z) => cluster.pools.iter().any(|p| p.spot && &p.zone == z),
                };
                if !any_spot {
                    return Err(Error::scenario(
                        &field,
                        "a SpotInterruption needs spot nodes (a pool with spot: true)",
                    ));
                }
            }
            f.scheduled.push(ScheduledFault {
                at: SimTime(s.at.0),
                kind,
                target,
                pick: match (s.fraction, s.count) {
                    (Some(x), _) => Pick::Fraction(x),
                    (_, Some(n)) => Pick::Count(n),
                    _ => Pick::All,
                },
                duration_ms: s.duration.map(|d| d.0),
                notice_ms: s.notice.map(|d| d.0),
                hit: Vec::new(),
            });
        }
        if f.any() {
            f.lifecycle = NodeLifecycle::new(config, cluster);
        }
        Ok(f)
    }

    /// True when anything can fail (the simulation then runs the fault machinery).
    pub fn any(&self) -> bool {
        !self.scheduled.is_empty()
            || self.pools.iter().any(|p| {
                p.failures.is_some() || p.spot.as_ref().is_some_and(|s| s.time_between.is_some())
            })
    }

    /// The state of `node` (grown on demand for nodes added after the start).
    pub fn node(&mut self, node: NodeId) -> &mut NodeFaults {
        let i = node.0 as usize;
        if self.nodes.len() <= i {
            self.nodes.resize(i + 1, NodeFaults::default());
        }
        &mut self.nodes[i]
    }

    /// The state of `node`, if it was ever touched.
    pub fn node_state(&self, node: NodeId) -> Option<&NodeFaults> {
        self.nodes.get(node.0 as usize)
    }

    /// Logs `kind` happening to `node` at `time` because of `cause`.
    pub fn record(&mut self, time: SimTime, node: NodeId, kind: NodeEventKind, cause: Cause) {
        self.log.push(NodeEvent {
            time,
            node,
            kind,
            cause,
        });
    }

    /// The cause of `node`'s current outage or drain (for its log entries).
    pub fn cause_of(&self, node: NodeId) -> Cause {
        self.node_state(node)
            .map_or(Cause::NodeFailure, |s| s.drain.map_or(s.cause, |d| d.cause))
    }

    /// A new drain number.
    pub fn next_drain(&mut self) -> u32 {
        self.drains += 1;
        self.drains
    }

    /// Draws `node`'s next time to failure [ms] (its pool must have a failure process).
    pub fn draw_time_to_failure(&mut self, node: NodeId, cluster: &ClusterState) -> Option<u64> {
        let pool = cluster.nodes[node.0 as usize].pool.0 as usize;
        let dist = self
            .pools
            .get(pool)?
            .failures
            .as_ref()?
            .time_between
            .clone();
        let seed = self.seed;
        let name = &cluster.nodes[node.0 as usize].name;
        let rng = self
            .node(node)
            .failure_rng
            .get_or_insert_with(|| stream(seed, Stream::NodeFailures(name_key(name))));
        Some(crate::workload::distribution::sample_ms(&dist, rng))
    }

    /// Draws `node`'s repair time [ms], `None` if its pool's failures are never repaired.
    pub fn draw_repair_time(&mut self, node: NodeId, cluster: &ClusterState) -> Option<u64> {
        let pool = cluster.nodes[node.0 as usize].pool.0 as usize;
        let dist = self.pools.get(pool)?.failures.as_ref()?.repair.clone()?;
        let seed = self.seed;
        let name = &cluster.nodes[node.0 as usize].name;
        let rng = self
            .node(node)
            .failure_rng
            .get_or_insert_with(|| stream(seed, Stream::NodeFailures(name_key(name))));
        Some(crate::workload::distribution::sample_ms(&dist, rng))
    }

    /// Draws the time to `node`'s next spot interruption [ms] (spot pools with random
    /// interruptions only).
    pub fn draw_time_to_interruption(
        &mut self,
        node: NodeId,
        cluster: &ClusterState,
    ) -> Option<u64> {
        let pool = cluster.nodes[node.0 as usize].pool.0 as usize;
        let dist = self.pools.get(pool)?.spot.as_ref()?.time_between.clone()?;
        let seed = self.seed;
        let name = &cluster.nodes[node.0 as usize].name;
        let rng = self
            .node(node)
            .spot_rng
            .get_or_insert_with(|| stream(seed, Stream::SpotInterruptions(name_key(name))));
        Some(crate::workload::distribution::sample_ms(&dist, rng))
    }

    /// The spot configuration of `node`'s pool (defaults for spot pools without
    /// `interruptions`).
    pub fn spot_config(&self, node: NodeId, cluster: &ClusterState) -> Option<&SpotConfig> {
        let pool = cluster.nodes[node.0 as usize].pool.0 as usize;
        self.pools.get(pool)?.spot.as_ref()
    }

    /// The nodes scheduled fault `i` hits now: the live nodes of its target (spot nodes only
    /// for a spot interruption; nodes not already gone), in node order, of which a share is
    /// drawn at random from the fault's own stream.
    pub fn select_nodes(&self, i: usize, cluster: &ClusterState) -> Vec<NodeId> {
        let f = &self.scheduled[i];
        let mut nodes: Vec<NodeId> = cluster
            .live_nodes
            .iter()
            .copied()
            .filter(|&n| {
                let node = &cluster.nodes[n.0 as usize];
                let pool = &cluster.pools[node.pool.0 as usize];
                let on_target = match &f.target {
                    Target::Node(x) => *x == n,
                    Target::Pool(p) => node.pool == *p,
                    Target::Zone(z) => &pool.zone == z,
                };
                on_target
                    && (f.kind != FaultKind::SpotInterruption || pool.spot)
                    && !self.node_state(n).is_some_and(|s| s.gone)
            })
            .collect();
        nodes.sort_unstable();
        let want = match f.pick {
            Pick::All => nodes.len(),
            Pick::Fraction(x) => ((x * nodes.len() as f64).ceil() as usize).min(nodes.len()),
            Pick::Count(c) => (c as usize).min(nodes.len()),
        };
        if want < nodes.len() {
            // A partial Fisher–Yates shuffle: the first `want` are a uniform sample.
            let mut rng = stream(self.seed, Stream::ScheduledFault(i as u32));
            for k in 0..want {
                let j = rng.random_range(k..nodes.len());
                nodes.swap(k, j);
            }
            nodes.truncate(want);
            nodes.sort_unstable();
        }
        nodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn build(yaml: &str) -> Result<(Faults, ClusterState)> {
        let s = Scenario::from_yaml(yaml, std::path::Path::new("t.yaml"), &[])?;
        let sim = crate::scenario::build::build(&s, 1, &crate::Registry::with_builtins())?;
        let c = sim.cluster;
        Ok((sim.faults, c))
    }

    const BASE: &str = r#"
name: f
duration: 1h
nodePools:
  - {name: a, count: 10, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 1, zone: z1}
  - {name: s, count: 4, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 0.3, spot: true, zone: z2}
"#;

    #[test]
    fn fractions_draw_the_same_nodes_every_time() {
        let (f, c) = build(&format!(
            "{BASE}faults:\n  - {{at: 1m, pool: a, fraction: 0.25}}\n  - {{at: 1m, zone: z2, count: 2, type: SpotInterruption}}\n"
        ))
        .unwrap();
        let a = f.select_nodes(0, &c);
        assert_eq!(a.len(), 3, "ceil(0.25 x 10)");
        assert_eq!(a, f.select_nodes(0, &c));
        assert!(a.iter().all(|n| c.nodes[n.0 as usize].pool == PoolId(0)));
        let s = f.select_nodes(1, &c);
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|n| c.nodes[n.0 as usize].pool == PoolId(1)));
        assert_eq!(f.scheduled[1].cause(), Cause::SpotInterruption);
    }

    #[test]
    fn bad_names_and_non_spot_interruptions_are_errors() {
        let e = build(&format!("{BASE}faults:\n  - {{at: 1m, node: nope}}\n")).unwrap_err();
        assert!(e.to_string().contains("faults[0].node"), "{e}");
        let e = build(&format!("{BASE}faults:\n  - {{at: 1m, zone: z9}}\n")).unwrap_err();
        assert!(e.to_string().contains("faults[0].zone"), "{e}");
        let e = build(&format!(
            "{BASE}faults:\n  - {{at: 1m, pool: a, type: SpotInterruption}}\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("spot"), "{e}");
        let e =
            build(&BASE.replace("zone: z1}", "zone: z1, interruptions: {rate: 1}}")).unwrap_err();
        assert!(e.to_string().contains("nodePools[0].interruptions"), "{e}");
    }

    #[test]
    fn each_node_draws_from_a_stream_named_after_it() {
        let yaml = BASE.replace(
            "zone: z1}",
            "zone: z1, failures: {timeBetweenFailures: {exponential: {mean: 10d}}, repairTime: 1h}}",
        );
        let (mut f, c) = build(&yaml).unwrap();
        let first: Vec<u64> = (0..3)
            .map(|n| f.draw_time_to_failure(NodeId(n), &c).unwrap())
            .collect();
        assert_ne!(first[0], first[1]);
        // A cluster with another pool in front: the same names draw the same times.
        let yaml2 = yaml.replace(
            "nodePools:\n",
            "nodePools:\n  - {name: x, count: 5, allocatable: {cpu: \"1\", memory: 1Gi}, hourlyPrice: 1}\n",
        );
        let (mut g, c2) = build(&yaml2).unwrap();
        let again: Vec<u64> = (5..8)
            .map(|n| g.draw_time_to_failure(NodeId(n), &c2).unwrap())
            .collect();
        assert_eq!(first, again);
        assert_eq!(f.draw_repair_time(NodeId(0), &c), Some(3_600_000));
        assert_eq!(
            f.draw_time_to_failure(NodeId(10), &c),
            None,
            "spot pool: no failures"
        );
    }
}

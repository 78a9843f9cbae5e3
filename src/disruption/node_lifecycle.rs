//! The node lifecycle controller and the taint-eviction controller
//! (pkg/controller/nodelifecycle/node_lifecycle_controller.go,
//! pkg/controller/tainteviction/taint_eviction.go, and the DefaultTolerationSeconds admission
//! plugin, plugin/pkg/admission/defaulttolerationseconds).
//!
//! When a node's kubelet stops renewing its lease, the controller waits
//! `nodeMonitorGracePeriod` (50 s since v1.32) and then sets the node's Ready condition to
//! Unknown: the node gets `node.kubernetes.io/unreachable:NoSchedule` at once (no new pods) and
//! is queued for `node.kubernetes.io/unreachable:NoExecute`. NoExecute taints are added through
//! a rate limiter per zone (a token bucket with burst 1): `--node-eviction-rate` 0.1 nodes/s
//! while the zone is Normal or fully disrupted; in a partially disrupted zone (more than 2
//! nodes and at least `--unhealthy-zone-threshold` 55% of them not ready),
//! `--secondary-node-eviction-rate` 0.01 nodes/s if the zone has more than
//! `--large-cluster-size-threshold` 50 nodes, else none; and none at all while every zone is
//! fully disrupted (the controller then also removes the NoExecute taints: it assumes the
//! control plane, not the nodes, lost connectivity).
//!
//! The taint-eviction controller deletes a pod on a NoExecute-tainted node at once if it does
//! not tolerate every NoExecute taint, otherwise after the smallest `tolerationSeconds` of the
//! tolerations used (never if none has one; at once if one is 0). DefaultTolerationSeconds gives
//! every pod that does not already tolerate them `node.kubernetes.io/not-ready:NoExecute` and
//! `node.kubernetes.io/unreachable:NoExecute` for 300 s; kubesim applies it when the eviction is
//! computed (the scheduler's verdicts do not depend on it, because the NoSchedule taint comes
//! with the NoExecute one).
//!
//! Simplified: the grace period runs from the failure itself (upstream: from the last lease
//! renewal, up to 10 s earlier, noticed at the next 5 s monitor pass), so a node is NotReady
//! exactly `nodeMonitorGracePeriod` after it fails; the kubelet reporting NotReady itself (the
//! `not-ready` taint) is not modelled; a repaired node is Ready as soon as it is back.

use crate::cluster::ClusterState;
use crate::cluster::labels::{Symbol, Taint, TaintEffect, Toleration};
use crate::cluster::node::NodeId;
use crate::engine::time::SimTime;
use std::collections::{BTreeMap, VecDeque};

/// The taint of a node whose Ready condition is Unknown (`v1.TaintNodeUnreachable`).
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// The taint of a node whose kubelet reports NotReady (`v1.TaintNodeNotReady`).
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";

/// The controllers' flags, with upstream defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeLifecycleConfig {
    /// `--node-monitor-grace-period` [ms] (50 s since v1.32).
    pub grace_ms: u64,
    /// `--default-unreachable-toleration-seconds` [ms] (300 s).
    pub unreachable_toleration_ms: u64,
    /// `--default-not-ready-toleration-seconds` [ms] (300 s).
    pub not_ready_toleration_ms: u64,
    /// `--node-eviction-rate` [nodes/s] (0.1).
    pub eviction_rate: f64,
    /// `--secondary-node-eviction-rate` [nodes/s] (0.01).
    pub secondary_eviction_rate: f64,
    /// `--unhealthy-zone-threshold` (0.55).
    pub unhealthy_zone_threshold: f64,
    /// `--large-cluster-size-threshold` [nodes] (50).
    pub large_cluster_threshold: u32,
}

impl Default for NodeLifecycleConfig {
    fn default() -> Self {
        NodeLifecycleConfig {
            grace_ms: 50_000,
            unreachable_toleration_ms: 300_000,
            not_ready_toleration_ms: 300_000,
            eviction_rate: 0.1,
            secondary_eviction_rate: 0.01,
            unhealthy_zone_threshold: 0.55,
            large_cluster_threshold: 50,
        }
    }
}

/// What the taint-eviction controller does with a pod on a node with NoExecute taints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaintVerdict {
    /// Delete it now (an untolerated taint, or a toleration of 0 s).
    EvictNow,
    /// Delete it this long after the taint appeared [ms].
    EvictAfter(u64),
    /// It tolerates the taints forever.
    Tolerated,
}

/// The interned well-known taint keys.
#[derive(Clone, Copy, Debug)]
pub struct TaintKeys {
    /// `node.kubernetes.io/unreachable`.
    pub unreachable: Symbol,
    /// `node.kubernetes.io/not-ready`.
    pub not_ready: Symbol,
    /// The empty string (taint value).
    pub empty: Symbol,
}

impl TaintKeys {
    /// Interns the keys in `cluster`.
    pub fn new(cluster: &mut ClusterState) -> TaintKeys {
        TaintKeys {
            unreachable: cluster.interner.intern(TAINT_UNREACHABLE),
            not_ready: cluster.interner.intern(TAINT_NOT_READY),
            empty: cluster.interner.intern(""),
        }
    }

    /// Keys that match nothing, for a controller that never runs (no faults configured).
    pub fn unused() -> TaintKeys {
        TaintKeys {
            unreachable: Symbol(u32::MAX),
            not_ready: Symbol(u32::MAX - 1),
            empty: Symbol(u32::MAX - 2),
        }
    }

    /// The `unreachable` taint with `effect`.
    pub fn unreachable(&self, effect: TaintEffect) -> Taint {
        Taint {
            key: self.unreachable,
            value: self.empty,
            effect,
        }
    }
}

/// The tolerations the DefaultTolerationSeconds admission plugin adds to a pod with
/// `tolerations`: `not-ready` and `unreachable` NoExecute for the configured seconds, each
/// unless a toleration already has that key (or an empty key) and the NoExecute (or an empty)
/// effect. Appended after the pod's own, as `AddOrUpdateTolerationInPod` does.
pub fn default_tolerations(
    tolerations: &[Toleration],
    keys: &TaintKeys,
    config: &NodeLifecycleConfig,
) -> [Option<Toleration>; 2] {
    let covers = |key: Symbol| {
        tolerations.iter().any(|t| {
            t.key.is_none_or(|k| k == key) && t.effect.is_none_or(|e| e == TaintEffect::NoExecute)
        })
    };
    let default = |key: Symbol, ms: u64| Toleration {
        key: Some(key),
        operator: crate::cluster::labels::TolerationOperator::Exists,
        value: keys.empty,
        effect: Some(TaintEffect::NoExecute),
        toleration_ms: Some(ms),
    };
    [
        (!covers(keys.not_ready)).then(|| default(keys.not_ready, config.not_ready_toleration_ms)),
        (!covers(keys.unreachable))
            .then(|| default(keys.unreachable, config.unreachable_toleration_ms)),
    ]
}

/// The taint-eviction verdict for a pod with `tolerations` (its own; the admission defaults
/// are added here) on a node whose NoExecute taints are `taints` (`processPodOnNode`:
/// `GetMatchingTolerations`, then `getMinTolerationTime`).
pub fn taint_verdict<'a>(
    tolerations: &[Toleration],
    taints: impl Iterator<Item = &'a Taint>,
    keys: &TaintKeys,
    config: &NodeLifecycleConfig,
) -> TaintVerdict {
    let defaults = default_tolerations(tolerations, keys, config);
    let all = || tolerations.iter().chain(defaults.iter().flatten());
    let mut min: Option<u64> = None;
    let mut any = false;
    for taint in taints.filter(|t| t.effect == TaintEffect::NoExecute) {
        any = true;
        // The first toleration that tolerates the taint is the one used.
        let Some(used) = all().find(|t| t.tolerates(taint)) else {
            return TaintVerdict::EvictNow;
        };
        if let Some(ms) = used.toleration_ms {
            if ms == 0 {
                return TaintVerdict::EvictNow;
            }
            min = Some(min.map_or(ms, |m| m.min(ms)));
        }
    }
    match (any, min) {
        (false, _) | (true, None) => TaintVerdict::Tolerated,
        (true, Some(ms)) => TaintVerdict::EvictAfter(ms),
    }
}

/// A zone's health as the node lifecycle controller classifies it (`ComputeZoneState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    /// Fewer than the threshold of nodes are not ready.
    Normal,
    /// More than 2 nodes and at least the threshold fraction are not ready.
    PartialDisruption,
    /// No node is ready.
    FullDisruption,
}

/// Classifies a zone with `ready` and `not_ready` nodes.
pub fn zone_state(ready: u32, not_ready: u32, threshold: f64) -> ZoneState {
    if ready == 0 && not_ready > 0 {
        ZoneState::FullDisruption
    } else if not_ready > 2 && f64::from(not_ready) / f64::from(not_ready + ready) >= threshold {
        ZoneState::PartialDisruption
    } else {
        ZoneState::Normal
    }
}

/// The NoExecute tainting rate of a zone in `state` with `size` nodes [nodes/s]
/// (`setLimiterInZone`: `HealthyQPSFunc`, `ReducedQPSFunc`).
pub fn zone_rate(state: ZoneState, size: u32, config: &NodeLifecycleConfig) -> f64 {
    match state {
        ZoneState::Normal | ZoneState::FullDisruption => config.eviction_rate,
        ZoneState::PartialDisruption if size > config.large_cluster_threshold => {
            config.secondary_eviction_rate
        }
        ZoneState::PartialDisruption => 0.0,
    }
}

/// A token bucket with burst 1 (`flowcontrol.NewTokenBucketRateLimiter(qps, 1)`), swapped as
/// `RateLimitedTimedQueue.SwapLimiter` does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TokenBucket {
    /// Tokens per second (0 = never accepts).
    pub qps: f64,
    /// When the next token is available.
    pub next_token: SimTime,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(qps: f64) -> TokenBucket {
        TokenBucket {
            qps,
            next_token: SimTime::ZERO,
        }
    }

    fn interval_ms(qps: f64) -> u64 {
        (1000.0 / qps).round() as u64
    }

    /// When a token is (or will be) available, `None` if never.
    pub fn available_at(&self, now: SimTime) -> Option<SimTime> {
        (self.qps > 0.0).then(|| self.next_token.max(now))
    }

    /// Takes the token at `now` (the caller checked [`TokenBucket::available_at`]).
    pub fn accept(&mut self, now: SimTime) {
        self.next_token = now.plus_ms(Self::interval_ms(self.qps));
    }

    /// Switches to `qps` at `now`: the new bucket is full unless the old one was empty, in
    /// which case it starts empty too; a rate of 0 never accepts.
    pub fn swap(&mut self, qps: f64, now: SimTime) {
        if qps == self.qps {
            return;
        }
        let old_empty = self.qps <= 0.0 || self.next_token > now;
        self.qps = qps;
        self.next_token = if qps > 0.0 && old_empty {
            now.plus_ms(Self::interval_ms(qps))
        } else {
            now
        };
    }
}

/// One zone's NoExecute tainter.
#[derive(Clone, Debug)]
struct Zone {
    queue: VecDeque<NodeId>,
    bucket: TokenBucket,
    state: ZoneState,
    /// Time of the pending tick event ([`SimTime::NEVER`] if none).
    tick_at: SimTime,
}

/// The controller's per-node view.
#[derive(Clone, Copy, Debug)]
struct NodeView {
    /// Ready condition Unknown since ([`SimTime::NEVER`] while Ready).
    not_ready_since: SimTime,
    /// When the NoExecute taint was added ([`SimTime::NEVER`] if it is not there).
    tainted_at: SimTime,
    /// Left out of the zone statistics (a node whose instance is gone).
    excluded: bool,
}

impl Default for NodeView {
    fn default() -> Self {
        NodeView {
            not_ready_since: SimTime::NEVER,
            tainted_at: SimTime::NEVER,
            excluded: false,
        }
    }
}

/// The node lifecycle controller's state: node conditions, the unreachable taints and the
/// rate-limited NoExecute tainters per zone.
#[derive(Clone, Debug)]
pub struct NodeLifecycle {
    /// Flags.
    pub config: NodeLifecycleConfig,
    /// Interned taint keys.
    pub keys: TaintKeys,
    zone_ids: BTreeMap<String, u32>,
    /// Zone id per pool.
    zone_of_pool: Vec<u32>,
    zones: Vec<Zone>,
    nodes: Vec<NodeView>,
    /// Every zone is fully disrupted: tainting is stopped.
    master_disruption: bool,
    /// A condition changed since the last pass (see [`NodeLifecycle::pass`]).
    pass_pending: bool,
    /// Zones whose tainter must run at the next pass.
    to_run: Vec<u32>,
}

impl NodeLifecycle {
    /// The controller for `cluster` (interns the taint keys).
    pub fn new(config: NodeLifecycleConfig, cluster: &mut ClusterState) -> NodeLifecycle {
        let mut nl = NodeLifecycle::idle(config);
        nl.keys = TaintKeys::new(cluster);
        nl
    }

    /// A controller that is never asked to act (its taint keys are not interned).
    pub fn idle(config: NodeLifecycleConfig) -> NodeLifecycle {
        NodeLifecycle {
            config,
            keys: TaintKeys::unused(),
            zone_ids: BTreeMap::new(),
            zone_of_pool: Vec::new(),
            zones: Vec::new(),
            nodes: Vec::new(),
            master_disruption: false,
            pass_pending: false,
            to_run: Vec::new(),
        }
    }

    fn zone_of(&mut self, node: NodeId, cluster: &ClusterState) -> usize {
        while self.zone_of_pool.len() < cluster.pools.len() {
            let name = &cluster.pools[self.zone_of_pool.len()].zone;
            let next = self.zone_ids.len() as u32;
            let id = *self.zone_ids.entry(name.clone()).or_insert(next);
            if id as usize == self.zones.len() {
                self.zones.push(Zone {
                    queue: VecDeque::new(),
                    bucket: TokenBucket::new(self.config.eviction_rate),
                    state: ZoneState::Normal,
                    tick_at: SimTime::NEVER,
                });
            }
            self.zone_of_pool.push(id);
        }
        self.zone_of_pool[cluster.nodes[node.0 as usize].pool.0 as usize] as usize
    }

    fn view(&mut self, node: NodeId) -> &mut NodeView {
        let i = node.0 as usize;
        if self.nodes.len() <= i {
            self.nodes.resize(i + 1, NodeView::default());
        }
        &mut self.nodes[i]
    }

    /// Whether the node's Ready condition is Unknown.
    pub fn is_not_ready(&self, node: NodeId) -> bool {
        self.nodes
            .get(node.0 as usize)
            .is_some_and(|v| v.not_ready_since != SimTime::NEVER)
    }

    /// When the node got its NoExecute taint ([`SimTime::NEVER`] if it has none).
    pub fn tainted_at(&self, node: NodeId) -> SimTime {
        self.nodes
            .get(node.0 as usize)
            .map_or(SimTime::NEVER, |v| v.tainted_at)
    }

    /// The grace period ran out at `now` for a node that stopped reporting: its Ready
    /// condition becomes Unknown, it gets the NoSchedule taint and is queued for the NoExecute
    /// one. The zone states are recomputed at the next [`NodeLifecycle::pass`] (as upstream
    /// does once per monitor pass, so that nodes failing together are seen together); returns
    /// true when the caller must schedule that pass (none is pending yet).
    pub fn mark_not_ready(
        &mut self,
        node: NodeId,
        now: SimTime,
        cluster: &mut ClusterState,
    ) -> bool {
        if self.is_not_ready(node) {
            return false;
        }
        self.view(node).not_ready_since = now;
        cluster.add_node_taint(node, self.keys.unreachable(TaintEffect::NoSchedule));
        let z = self.zone_of(node, cluster);
        if !self.zones[z].queue.contains(&node) {
            self.zones[z].queue.push_back(node);
        }
        self.to_run.push(z as u32);
        !std::mem::replace(&mut self.pass_pending, true)
    }

    /// The node reports again: Ready, its unreachable taints are removed at once. Returns
    /// `(had taints, pass needed)` (see [`NodeLifecycle::mark_not_ready`]).
    pub fn mark_ready(&mut self, node: NodeId, cluster: &mut ClusterState) -> (bool, bool) {
        if !self.is_not_ready(node) {
            return (false, false);
        }
        let v = self.view(node);
        v.not_ready_since = SimTime::NEVER;
        v.tainted_at = SimTime::NEVER;
        let key = self.keys.unreachable;
        let a = cluster.remove_node_taint(node, key, TaintEffect::NoExecute);
        let b = cluster.remove_node_taint(node, key, TaintEffect::NoSchedule);
        let z = self.zone_of(node, cluster);
        self.zones[z].queue.retain(|&n| n != node);
        (a || b, !std::mem::replace(&mut self.pass_pending, true))
    }

    /// Leaves `node` out of the zone statistics from now on (its instance is gone), or counts
    /// it again (`excluded = false`, a replacement joined). Returns true when the caller must
    /// schedule a pass.
    pub fn set_excluded(&mut self, node: NodeId, excluded: bool) -> bool {
        self.view(node).excluded = excluded;
        !std::mem::replace(&mut self.pass_pending, true)
    }

    /// One monitor pass at `now`: recomputes the zone states (swapping rate limiters) and
    /// lists in `zones_to_run` the zones whose tainter must run now
    /// ([`NodeLifecycle::run_zone`]).
    pub fn pass(&mut self, now: SimTime, cluster: &mut ClusterState, zones_to_run: &mut Vec<u32>) {
        self.pass_pending = false;
        self.update_zone_states(now, cluster, zones_to_run);
        zones_to_run.append(&mut self.to_run);
        zones_to_run.sort_unstable();
        zones_to_run.dedup();
    }

    /// Recomputes every zone's state (`handleDisruption`), swapping rate limiters. Zones whose
    /// tainter may run now are added to `zones_to_run`. A scan of the nodes: it runs only
    /// when a node's condition changes.
    fn update_zone_states(
        &mut self,
        now: SimTime,
        cluster: &mut ClusterState,
        zones_to_run: &mut Vec<u32>,
    ) {
        let mut counts: Vec<(u32, u32)> = Vec::new(); // (ready, not ready) per zone
        for k in 0..cluster.live_nodes.len() {
            let node = cluster.live_nodes[k];
            let z = self.zone_of(node, cluster);
            let v = self.nodes.get(node.0 as usize).copied().unwrap_or_default();
            if v.excluded {
                continue;
            }
            if counts.len() <= z {
                counts.resize(z + 1, (0, 0));
            }
            if v.not_ready_since == SimTime::NEVER {
                counts[z].0 += 1;
            } else {
                counts[z].1 += 1;
            }
        }
        counts.resize(self.zones.len(), (0, 0));
        let threshold = self.config.unhealthy_zone_threshold;
        let states: Vec<ZoneState> = counts
            .iter()
            .map(|&(r, n)| zone_state(r, n, threshold))
            .collect();
        let present = |z: usize| counts[z].0 + counts[z].1 > 0;
        let all_full = (0..states.len())
            .filter(|&z| present(z))
            .all(|z| states[z] == ZoneState::FullDisruption)
            && (0..states.len()).any(present);
        if all_full && !self.master_disruption {
            // Entering master disruption mode: stop tainting and make every node reachable.
            self.master_disruption = true;
            for z in &mut self.zones {
                z.bucket.swap(0.0, now);
                z.state = ZoneState::FullDisruption;
            }
            let key = self.keys.unreachable;
            for i in 0..self.nodes.len() {
                if self.nodes[i].tainted_at != SimTime::NEVER {
                    self.nodes[i].tainted_at = SimTime::NEVER;
                    let node = NodeId(i as u32);
                    cluster.remove_node_taint(node, key, TaintEffect::NoExecute);
                    let z = self.zone_of(node, cluster);
                    if !self.zones[z].queue.contains(&node) {
                        self.zones[z].queue.push_back(node);
                    }
                }
            }
            return;
        }
        if all_full {
            return;
        }
        let exiting = std::mem::replace(&mut self.master_disruption, false);
        for (z, &state) in states.iter().enumerate() {
            if exiting || self.zones[z].state != state {
                let size = counts[z].0 + counts[z].1;
                let rate = zone_rate(state, size, &self.config);
                self.zones[z].bucket.swap(rate, now);
                self.zones[z].state = state;
                zones_to_run.push(z as u32);
            }
        }
    }

    /// Runs zone `z`'s tainter at `now`: taints queued nodes (still not ready) with
    /// `unreachable:NoExecute` while the rate limiter allows, appending them to `tainted`.
    /// Returns when it must run next, if a tick is needed and none is pending for then.
    pub fn run_zone(
        &mut self,
        z: u32,
        now: SimTime,
        cluster: &mut ClusterState,
        tainted: &mut Vec<NodeId>,
    ) -> Option<SimTime> {
        let zone = &mut self.zones[z as usize];
        if zone.tick_at <= now {
            zone.tick_at = SimTime::NEVER;
        }
        loop {
            let &node = self.zones[z as usize].queue.front()?;
            let still = self.nodes.get(node.0 as usize).is_some_and(|v| {
                v.not_ready_since != SimTime::NEVER && v.tainted_at == SimTime::NEVER
            });
            if !still {
                self.zones[z as usize].queue.pop_front();
                continue;
            }
            let zone = &mut self.zones[z as usize];
            match zone.bucket.available_at(now) {
                None => return None,
                Some(t) if t > now => {
                    if zone.tick_at <= t {
                        return None;
                    }
                    zone.tick_at = t;
                    return Some(t);
                }
                Some(_) => {
                    zone.bucket.accept(now);
                    zone.queue.pop_front();
                    self.nodes[node.0 as usize].tainted_at = now;
                    cluster.add_node_taint(node, self.keys.unreachable(TaintEffect::NoExecute));
                    tainted.push(node);
                }
            }
        }
    }

    /// Whether a tick of zone `z` at `now` is the pending one (older duplicates are ignored).
    pub fn is_current_tick(&self, z: u32, now: SimTime) -> bool {
        self.zones
            .get(z as usize)
            .is_some_and(|zone| zone.tick_at == now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::labels::{Labels, TolerationOperator};
    use crate::cluster::node::NodePool;
    use crate::cluster::resources::Resources;

    fn keys(c: &mut ClusterState) -> TaintKeys {
        TaintKeys::new(c)
    }

    fn tol(key: Option<Symbol>, effect: Option<TaintEffect>, ms: Option<u64>) -> Toleration {
        Toleration {
            key,
            operator: TolerationOperator::Exists,
            value: Symbol(0),
            effect,
            toleration_ms: ms,
        }
    }

    #[test]
    fn default_toleration_seconds_and_min_toleration() {
        let mut c = ClusterState::default();
        let k = keys(&mut c);
        let cfg = NodeLifecycleConfig::default();
        let unreachable = [k.unreachable(TaintEffect::NoExecute)];
        // No tolerations: the admission defaults apply (300 s).
        assert_eq!(
            taint_verdict(&[], unreachable.iter(), &k, &cfg),
            TaintVerdict::EvictAfter(300_000)
        );
        // An explicit toleration for the key overrides the default.
        let own = [tol(
            Some(k.unreachable),
            Some(TaintEffect::NoExecute),
            Some(30_000),
        )];
        assert_eq!(
            taint_verdict(&own, unreachable.iter(), &k, &cfg),
            TaintVerdict::EvictAfter(30_000)
        );
        assert!(default_tolerations(&own, &k, &cfg)[1].is_none());
        assert!(default_tolerations(&own, &k, &cfg)[0].is_some());
        // Tolerating everything (empty key, no seconds): never evicted, no defaults added.
        let all = [tol(None, None, None)];
        assert_eq!(
            taint_verdict(&all, unreachable.iter(), &k, &cfg),
            TaintVerdict::Tolerated
        );
        assert_eq!(default_tolerations(&all, &k, &cfg), [None, None]);
        // tolerationSeconds 0: at once.
        let zero = [tol(Some(k.unreachable), None, Some(0))];
        assert_eq!(
            taint_verdict(&zero, unreachable.iter(), &k, &cfg),
            TaintVerdict::EvictNow
        );
        // An untolerated NoExecute taint: at once; NoSchedule taints are ignored.
        let other = Taint {
            key: k.not_ready,
            value: k.empty,
            effect: TaintEffect::NoExecute,
        };
        let own_only_unreachable_forever =
            [tol(Some(k.unreachable), Some(TaintEffect::NoExecute), None)];
        // not-ready is still covered by its default, so: min(300 s, forever) = 300 s.
        assert_eq!(
            taint_verdict(
                &own_only_unreachable_forever,
                [unreachable[0], other].iter(),
                &k,
                &cfg
            ),
            TaintVerdict::EvictAfter(300_000)
        );
        let dedicated = Taint {
            key: Symbol(999),
            value: k.empty,
            effect: TaintEffect::NoExecute,
        };
        assert_eq!(
            taint_verdict(&[], [unreachable[0], dedicated].iter(), &k, &cfg),
            TaintVerdict::EvictNow
        );
        let no_schedule = [k.unreachable(TaintEffect::NoSchedule)];
        assert_eq!(
            taint_verdict(&[], no_schedule.iter(), &k, &cfg),
            TaintVerdict::Tolerated
        );
    }

    #[test]
    fn zone_states_and_rates_as_upstream() {
        let cfg = NodeLifecycleConfig::default();
        assert_eq!(zone_state(3, 0, 0.55), ZoneState::Normal);
        assert_eq!(zone_state(0, 1, 0.55), ZoneState::FullDisruption);
        // Two not ready out of two is full; two of three is normal (needs more than 2).
        assert_eq!(zone_state(1, 2, 0.55), ZoneState::Normal);
        assert_eq!(zone_state(2, 3, 0.55), ZoneState::PartialDisruption);
        assert_eq!(zone_state(3, 3, 0.55), ZoneState::Normal);
        assert_eq!(zone_rate(ZoneState::Normal, 10, &cfg), 0.1);
        assert_eq!(zone_rate(ZoneState::FullDisruption, 10, &cfg), 0.1);
        assert_eq!(zone_rate(ZoneState::PartialDisruption, 50, &cfg), 0.0);
        assert_eq!(zone_rate(ZoneState::PartialDisruption, 51, &cfg), 0.01);
    }

    #[test]
    fn token_bucket_with_burst_one_and_swaps() {
        let mut b = TokenBucket::new(0.1);
        assert_eq!(b.available_at(SimTime(5)), Some(SimTime(5)));
        b.accept(SimTime(5));
        assert_eq!(b.available_at(SimTime(6)), Some(SimTime(10_005)));
        // Swapping while empty: the new bucket starts empty.
        b.swap(0.01, SimTime(1_000));
        assert_eq!(b.available_at(SimTime(1_000)), Some(SimTime(101_000)));
        b.swap(0.0, SimTime(2_000));
        assert_eq!(b.available_at(SimTime(2_000)), None);
        b.swap(0.1, SimTime(3_000));
        assert_eq!(b.available_at(SimTime(3_000)), Some(SimTime(13_000)));
        // Swapping while full: the new bucket is full.
        let mut full = TokenBucket::new(0.1);
        full.swap(0.01, SimTime(50));
        assert_eq!(full.available_at(SimTime(50)), Some(SimTime(50)));
    }

    /// `zones` zones of `per_zone` nodes each.
    fn cluster(zones: usize, per_zone: usize) -> ClusterState {
        let mut c = ClusterState::default();
        for z in 0..zones {
            let pool = c.add_pool(NodePool {
                name: format!("p{z}"),
                instance_type: "t".into(),
                allocatable: Resources::cpu_mem(1000, 1 << 30),
                labels: Labels::default(),
                taints: vec![],
                zone: format!("z{z}"),
                hourly_price_usd: 1.0,
                spot: false,
            });
            for i in 0..per_zone {
                c.add_node(pool, format!("n{z}-{i}"), None, SimTime::ZERO);
            }
        }
        c
    }

    /// Marks `nodes` not ready at `t` and runs the pass; returns the zones to run.
    fn not_ready(nl: &mut NodeLifecycle, c: &mut ClusterState, nodes: &[u32], t: u64) -> Vec<u32> {
        let mut pass = false;
        for &n in nodes {
            pass |= nl.mark_not_ready(NodeId(n), SimTime(t), c);
        }
        let mut zones = Vec::new();
        if pass {
            nl.pass(SimTime(t), c, &mut zones);
        }
        zones
    }

    #[test]
    fn nodes_are_tainted_one_per_ten_seconds_per_zone() {
        let mut c = cluster(2, 4);
        let mut nl = NodeLifecycle::new(NodeLifecycleConfig::default(), &mut c);
        let mut tainted = Vec::new();
        // A whole zone (4 nodes) goes NotReady at 50 s: FullDisruption of one zone of two,
        // normal rate.
        let zones = not_ready(&mut nl, &mut c, &[0, 1, 2, 3], 50_000);
        assert_eq!(zones, vec![0]);
        assert!(c.nodes[0].taints.len() == 1, "NoSchedule at once");
        let next = nl.run_zone(0, SimTime(50_000), &mut c, &mut tainted);
        assert_eq!(tainted, vec![NodeId(0)]);
        assert_eq!(next, Some(SimTime(60_000)));
        assert!(nl.is_current_tick(0, SimTime(60_000)));
        for (t, n) in [(60_000, 1), (70_000, 2), (80_000, 3)] {
            tainted.clear();
            nl.run_zone(0, SimTime(t), &mut c, &mut tainted);
            assert_eq!(tainted, vec![NodeId(n)]);
            assert_eq!(nl.tainted_at(NodeId(n)), SimTime(t));
        }
        assert_eq!(c.nodes[3].taints.len(), 2);
        // Node 2 recovers: both taints go.
        assert_eq!(nl.mark_ready(NodeId(2), &mut c), (true, true));
        assert!(c.nodes[2].taints.is_empty());
        assert_eq!(nl.tainted_at(NodeId(2)), SimTime::NEVER);
    }

    #[test]
    fn partial_disruption_of_a_small_zone_stops_tainting() {
        let mut c = cluster(2, 5);
        let mut nl = NodeLifecycle::new(NodeLifecycleConfig::default(), &mut c);
        let mut tainted = Vec::new();
        // 3 of 5 nodes (60% >= 55%, more than 2): partial disruption, 5 <= 50 nodes: rate 0.
        let zones = not_ready(&mut nl, &mut c, &[0, 1, 2], 50_000);
        for z in zones {
            assert_eq!(nl.run_zone(z, SimTime(50_000), &mut c, &mut tainted), None);
        }
        assert!(tainted.is_empty());
        // Two of them come back: Normal again, the swapped limiter starts empty (10 s).
        let mut pass = nl.mark_ready(NodeId(1), &mut c).1;
        pass |= nl.mark_ready(NodeId(2), &mut c).1;
        assert!(pass);
        let mut zones = Vec::new();
        nl.pass(SimTime(70_000), &mut c, &mut zones);
        assert_eq!(zones, vec![0]);
        assert_eq!(
            nl.run_zone(0, SimTime(70_000), &mut c, &mut tainted),
            Some(SimTime(80_000))
        );
        nl.run_zone(0, SimTime(80_000), &mut c, &mut tainted);
        assert_eq!(tainted, vec![NodeId(0)]);
    }

    #[test]
    fn all_zones_down_stops_tainting_and_untaints() {
        let mut c = cluster(1, 2);
        let mut nl = NodeLifecycle::new(NodeLifecycleConfig::default(), &mut c);
        let mut tainted = Vec::new();
        not_ready(&mut nl, &mut c, &[0], 0);
        nl.run_zone(0, SimTime(0), &mut c, &mut tainted);
        assert_eq!(tainted, vec![NodeId(0)]);
        // The second (last) node goes: every zone is fully disrupted.
        not_ready(&mut nl, &mut c, &[1], 5_000);
        assert_eq!(nl.tainted_at(NodeId(0)), SimTime::NEVER);
        assert_eq!(c.nodes[0].taints.len(), 1, "only NoSchedule left");
        tainted.clear();
        assert_eq!(nl.run_zone(0, SimTime(20_000), &mut c, &mut tainted), None);
        assert!(tainted.is_empty());
        // Node 1 comes back: out of master disruption, node 0 is tainted again (the swapped
        // limiter starts empty: 10 s later).
        assert!(nl.mark_ready(NodeId(1), &mut c).1);
        let mut zones = Vec::new();
        nl.pass(SimTime(30_000), &mut c, &mut zones);
        assert_eq!(zones, vec![0]);
        let next = nl.run_zone(0, SimTime(30_000), &mut c, &mut tainted);
        assert!(tainted.is_empty());
        assert_eq!(next, Some(SimTime(40_000)));
        nl.run_zone(0, SimTime(40_000), &mut c, &mut tainted);
        assert_eq!(tainted, vec![NodeId(0)]);
    }
}

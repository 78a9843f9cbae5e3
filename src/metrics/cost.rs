//! The cost model: what the cloud bills for node time.
//!
//! Each node is billed from its creation (for autoscaled nodes: the request to the cloud, so
//! boot and join time are paid) until its removal, at its pool's hourly price (the spot price
//! for spot pools). The billed time follows the pool's [`Billing`] rule: a node that ran `x`
//! ms (`x > 0`) is billed `ceil(max(x, minimum) / granularity) × granularity` ms. The default,
//! per second with a 60-second minimum, is the rule of AWS and GCP for Linux on-demand
//! instances; `granularity: 1h` rounds every started hour up.
//!
//! Cost over time. The bill *accrued* by time `t` is the bill the node would get if it were
//! deleted at `t`: every started billing period (and the minimum) is charged as soon as it
//! starts. It is a non-decreasing step function of `t` that equals the final bill at removal.
//! The cost of the measured window `[warmup, t]` is, per node, accrued(`t`) − accrued(`warmup`),
//! summed over all nodes; `summary.csv`'s `cost_usd` is that sum at the end of the run, and
//! `timeseries.csv`'s `cost_cumulative_usd` at each sample, so the last sample and the summary
//! agree. Nodes alive at the end are billed up to the end, with the started period in full.
//! With `granularity: 1ms` and no minimum this is the exact integral of the price over the
//! node lifetimes. Prices are integer micro-USD per hour and times integer milliseconds, so the
//! sums are exact.

use crate::cluster::ClusterState;
use crate::cluster::node::{Node, NodeId, NodeState};
use crate::cluster::price_micro_usd;
use crate::engine::time::{MS_PER_HOUR, SimTime};

/// How node time is billed: in steps of `granularity_ms`, at least `minimum_ms` per node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Billing {
    /// Billing step [ms] (≥ 1): started steps are charged in full.
    pub granularity_ms: u64,
    /// Minimum billed time of a node that ran at all [ms].
    pub minimum_ms: u64,
}

impl Default for Billing {
    /// Per second with a 60-second minimum (AWS and GCP Linux on-demand).
    fn default() -> Self {
        Billing {
            granularity_ms: 1_000,
            minimum_ms: 60_000,
        }
    }
}

impl Billing {
    /// Billed time [ms] of a node that ran `ran_ms`: 0 if it never ran, else
    /// `ceil(max(ran, minimum) / granularity) × granularity`.
    pub fn billed_ms(&self, ran_ms: u64) -> u64 {
        if ran_ms == 0 {
            return 0;
        }
        let g = self.granularity_ms.max(1);
        ran_ms.max(self.minimum_ms).div_ceil(g).saturating_mul(g)
    }

    /// Billed time [ms] accrued by `t` for a node created at `created` and removed at
    /// `removed` ([`SimTime::NEVER`] while alive).
    pub fn accrued_ms(&self, created: SimTime, removed: SimTime, t: SimTime) -> u64 {
        if t <= created {
            return 0;
        }
        self.billed_ms(t.min(removed).since(created))
    }
}

/// Converts micro-USD/h × ms to USD.
pub fn micro_usd_ms_to_usd(v: u128) -> f64 {
    v as f64 / (MS_PER_HOUR as f64 * 1e6)
}

/// Cost accrued in the measured window, in micro-USD/h × ms (divide with
/// [`micro_usd_ms_to_usd`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CostTotals {
    /// All nodes.
    pub total: u128,
    /// Nodes of spot pools.
    pub spot: u128,
    /// Per pool, by pool id.
    pub per_pool: Vec<u128>,
}

/// Billing rules per pool and the bills of removed nodes (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct CostMeter {
    /// Billing rule per pool id (pools without an entry use [`Billing::default`]).
    pub billing: Vec<Billing>,
    /// Window cost of the nodes removed so far.
    removed: CostTotals,
    /// Runs of alike live nodes (see `totals_at`) and the `(live_layout, live_nodes.len())`
    /// they were found at.
    live_runs: Vec<(NodeId, u32)>,
    live_runs_of: Option<(u64, usize)>,
}

impl CostMeter {
    /// A meter with one billing rule per pool.
    pub fn new(billing: Vec<Billing>) -> Self {
        CostMeter {
            billing,
            ..CostMeter::default()
        }
    }

    fn billing_of(&self, pool: usize) -> Billing {
        self.billing.get(pool).copied().unwrap_or_default()
    }

    /// The window cost of `node` accrued by `t` [micro-USD/h × ms].
    fn node_cost(
        &self,
        cluster: &ClusterState,
        node: &Node,
        window_start: SimTime,
        t: SimTime,
    ) -> u128 {
        if t <= window_start {
            return 0;
        }
        let b = self.billing_of(node.pool.0 as usize);
        let ms = b.accrued_ms(node.created, node.removed, t)
            - b.accrued_ms(node.created, node.removed, window_start);
        let price = price_micro_usd(cluster.pools[node.pool.0 as usize].hourly_price_usd);
        u128::from(price) * u128::from(ms)
    }

    fn add(&self, totals: &mut CostTotals, cluster: &ClusterState, node: &Node, cost: u128) {
        let pool = node.pool.0 as usize;
        totals.total += cost;
        if cluster.pools[pool].spot {
            totals.spot += cost;
        }
        if totals.per_pool.len() < cluster.pools.len() {
            totals.per_pool.resize(cluster.pools.len(), 0);
        }
        totals.per_pool[pool] += cost;
    }

    /// Records the final bill of a node just removed (call after `ClusterState::remove_node`).
    pub fn on_node_removed(&mut self, cluster: &ClusterState, node: NodeId, window_start: SimTime) {
        let n = &cluster.nodes[node.0 as usize];
        let cost = self.node_cost(cluster, n, window_start, n.removed);
        let mut removed = std::mem::take(&mut self.removed);
        self.add(&mut removed, cluster, n, cost);
        self.removed = removed;
    }

    /// The window cost accrued by `t` over all nodes: the removed ones recorded so far, the
    /// live ones and the `provisioning` ones (which are not in `live_nodes`). O(nodes alive)
    /// when the node list changed since the last call, else O(runs of alike nodes).
    pub fn totals_at(
        &mut self,
        cluster: &ClusterState,
        provisioning: &[NodeId],
        window_start: SimTime,
        t: SimTime,
    ) -> CostTotals {
        let mut totals = self.removed.clone();
        // A node's cost depends only on its pool and lifetime: nodes of one pool created at
        // the same time (a pool's initial nodes, next to each other in the list) share it, so
        // each run of such nodes is priced once and added times its length (exact: integers).
        // The live nodes' runs are kept while the list is unchanged (no removal, no append).
        let layout = (cluster.live_layout, cluster.live_nodes.len());
        if self.live_runs_of != Some(layout) {
            let mut runs = std::mem::take(&mut self.live_runs);
            runs.clear();
            alike_runs(cluster, &cluster.live_nodes, &mut runs);
            self.live_runs = runs;
            self.live_runs_of = Some(layout);
        }
        let mut provisioning_runs = Vec::new();
        alike_runs(cluster, provisioning, &mut provisioning_runs);
        for &(id, len) in self.live_runs.iter().chain(&provisioning_runs) {
            let n = &cluster.nodes[id.0 as usize];
            debug_assert!(matches!(
                n.state,
                NodeState::Ready | NodeState::Provisioning
            ));
            let cost = self.node_cost(cluster, n, window_start, t);
            self.add(&mut totals, cluster, n, cost * u128::from(len));
        }
        totals
    }
}

/// Appends to `runs` the runs of consecutive `nodes` with the same pool, creation and removal
/// time (so the same cost at any time), each as its first node and its length.
fn alike_runs(cluster: &ClusterState, nodes: &[NodeId], runs: &mut Vec<(NodeId, u32)>) {
    let key = |id: NodeId| {
        let n = &cluster.nodes[id.0 as usize];
        (n.pool, n.created, n.removed)
    };
    for &id in nodes {
        match runs.last_mut() {
            Some((first, len)) if key(*first) == key(id) => *len += 1,
            _ => runs.push((id, 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000;
    const H: u64 = 3_600_000;

    #[test]
    fn per_second_with_a_minute_minimum() {
        let b = Billing::default();
        assert_eq!(b.billed_ms(0), 0, "a node that never ran costs nothing");
        assert_eq!(b.billed_ms(1), 60 * S, "the minimum applies");
        assert_eq!(b.billed_ms(59_999), 60 * S);
        assert_eq!(b.billed_ms(60 * S + 1), 61 * S, "started seconds round up");
        assert_eq!(b.billed_ms(90 * S), 90 * S);
        assert_eq!(b.billed_ms(H), H);
    }

    #[test]
    fn per_hour_rounds_started_hours_up() {
        let b = Billing {
            granularity_ms: H,
            minimum_ms: 0,
        };
        assert_eq!(b.billed_ms(1), H);
        assert_eq!(b.billed_ms(H), H);
        assert_eq!(b.billed_ms(H + 1), 2 * H);
        assert_eq!(b.billed_ms(150 * 60 * S), 3 * H, "2.5 h is billed 3 h");
    }

    #[test]
    fn accrual_charges_started_periods_and_stops_at_removal() {
        let b = Billing {
            granularity_ms: H,
            minimum_ms: 0,
        };
        let (c, r) = (SimTime(10 * S), SimTime(10 * S + 90 * 60 * S));
        assert_eq!(b.accrued_ms(c, r, SimTime(10 * S)), 0);
        assert_eq!(
            b.accrued_ms(c, r, SimTime(11 * S)),
            H,
            "first hour charged at start"
        );
        assert_eq!(b.accrued_ms(c, r, SimTime(10 * S + H + 1)), 2 * H);
        assert_eq!(
            b.accrued_ms(c, r, SimTime(100 * H)),
            2 * H,
            "90 min billed 2 h"
        );
        // A window starting at 30 min sees the second hour only: 2 h − 1 h.
        let ws = SimTime(10 * S + 30 * 60 * S);
        assert_eq!(
            b.accrued_ms(c, r, SimTime(100 * H)) - b.accrued_ms(c, r, ws),
            H
        );
    }

    #[test]
    fn exact_billing_is_the_lifetime() {
        let b = Billing {
            granularity_ms: 1,
            minimum_ms: 0,
        };
        assert_eq!(b.billed_ms(12_345), 12_345);
        // 0.5 USD/h for 2.5 h = 1.25 USD.
        let cost = u128::from(price_micro_usd(0.5)) * u128::from(b.billed_ms(9_000_000));
        assert!((micro_usd_ms_to_usd(cost) - 1.25).abs() < 1e-12);
    }
}

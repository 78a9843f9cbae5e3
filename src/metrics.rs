//! Metrics: exact time-weighted integrals of the cluster totals (updated at every event
//! boundary, not sampled), pending times, counters and cost.

pub mod cost;
pub mod kubelet;
pub mod pending;
pub mod recovery;

use crate::cluster::Totals;
use crate::engine::time::{MS_PER_HOUR, SimTime};
use pending::PendingTimes;

/// Time integrals of the cluster totals, in unit × milliseconds.
#[derive(Clone, Debug, Default)]
pub struct Integrals {
    /// ∫ allocatable cpu dt [millicore·ms].
    pub cpu_allocatable: u128,
    /// ∫ requested cpu dt [millicore·ms].
    pub cpu_requested: u128,
    /// ∫ used cpu dt [millicore·ms].
    pub cpu_used: u128,
    /// ∫ allocatable memory dt [byte·ms].
    pub memory_allocatable: u128,
    /// ∫ requested memory dt [byte·ms].
    pub memory_requested: u128,
    /// ∫ used memory dt [byte·ms].
    pub memory_used: u128,
    /// ∫ allocatable gpu dt [milli-GPU·ms].
    pub gpu_allocatable: u128,
    /// ∫ requested gpu dt [milli-GPU·ms].
    pub gpu_requested: u128,
    /// ∫ stranded cpu dt [millicore·ms] (see [`crate::cluster::fragmentation`]).
    pub cpu_stranded: u128,
    /// ∫ stranded memory dt [byte·ms].
    pub memory_stranded: u128,
    /// ∫ stranded gpu dt [milli-GPU·ms].
    pub gpu_stranded: u128,
    /// ∫ node count dt [node·ms].
    pub nodes: u128,
    /// ∫ nodes with at least one pod dt [node·ms].
    pub nodes_in_use: u128,
    /// ∫ running pods dt [pod·ms].
    pub running_pods: u128,
    /// ∫ pending pods dt [pod·ms].
    pub pending_pods: u128,
    /// ∫ cost rate dt [micro-USD/h · ms].
    pub cost: u128,
    /// ∫ cost rate of nodes with at least one pod dt [micro-USD/h · ms].
    pub cost_in_use: u128,
}

impl Integrals {
    /// Accrued cost [USD].
    pub fn cost_usd(&self) -> f64 {
        self.cost as f64 / (MS_PER_HOUR as f64 * 1e6)
    }

    /// Accrued cost of the nodes while they held at least one pod [USD].
    pub fn cost_in_use_usd(&self) -> f64 {
        self.cost_in_use as f64 / (MS_PER_HOUR as f64 * 1e6)
    }
}

/// Everything measured during a run.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Start of the measured window (the end of the warm-up); nothing before it is counted.
    pub window_start: SimTime,
    /// Time up to which the integrals are complete.
    pub last: SimTime,
    /// Time integrals.
    pub integrals: Integrals,
    /// Pending time of every scheduled pod.
    pub pending: PendingTimes,
    /// Pods created.
    pub pods_created: u64,
    /// Pods bound to a node.
    pub pods_scheduled: u64,
    /// Scheduling attempts that found no feasible node.
    pub unschedulable_attempts: u64,
    /// Pods that ran to completion.
    pub pods_succeeded: u64,
    /// Pods deleted (trace deletion time) while still waiting to be scheduled.
    pub pods_deleted_while_pending: u64,
    /// Pods with `nodeName` the kubelet rejected at admission (they did not fit the node).
    pub pods_rejected_at_admission: u64,
    /// Requests that arrived at load-driven services in the window.
    pub requests_total: f64,
    /// Of those, requests beyond the ready pods' capacity.
    pub requests_unserved: f64,
    /// Preemption attempts that chose a node.
    pub preemptions: u64,
    /// Pods deleted by preemption.
    pub preemption_victims: u64,
    /// Preemption victims whose deletion violated a PodDisruptionBudget.
    pub preemption_pdb_violations: u64,
    /// Incidents, recovery times and availability per workload.
    pub recovery: recovery::Recovery,
    /// Disruption counters (node failures, evictions, lost work).
    pub disruptions: recovery::DisruptionCounts,
    /// Highest node count seen.
    pub peak_nodes: u64,
    /// Highest number of nodes with at least one pod.
    pub peak_nodes_in_use: u64,
    /// Highest number of pending pods seen.
    pub peak_pending_pods: u64,
    /// Billing rules and the bills of removed nodes (see [`cost`]).
    pub cost: cost::CostMeter,
    /// Pods evicted to drain nodes (cluster autoscaler scale-down).
    pub pods_evicted: u64,
    /// Nodes that joined the cluster after the start (autoscaler scale-up).
    pub nodes_added: u64,
    /// Nodes removed from the cluster (autoscaler scale-down, provisioning timeouts).
    pub nodes_removed: u64,
    /// Kubelet and rollout metrics.
    pub kubelet: kubelet::KubeletMetrics,
}

#[inline]
fn mul(a: u64, dt: u64) -> u128 {
    u128::from(a) * u128::from(dt)
}

impl Metrics {
    /// Integrates `totals` (constant since the last call) up to `now`.
    #[inline]
    pub fn advance(&mut self, now: SimTime, totals: &Totals) {
        let from = self.last.max(self.window_start);
        let dt = now.since(from);
        self.last = self.last.max(now);
        if dt == 0 {
            return;
        }
        let i = &mut self.integrals;
        i.cpu_allocatable += mul(totals.allocatable.cpu_milli, dt);
        i.cpu_requested += mul(totals.requested.cpu_milli, dt);
        i.cpu_used += mul(totals.usage.cpu_milli, dt);
        i.memory_allocatable += mul(totals.allocatable.memory_bytes, dt);
        i.memory_requested += mul(totals.requested.memory_bytes, dt);
        i.memory_used += mul(totals.usage.memory_bytes, dt);
        i.gpu_allocatable += mul(totals.allocatable.gpu_milli, dt);
        i.gpu_requested += mul(totals.requested.gpu_milli, dt);
        i.cpu_stranded += mul(totals.stranded.cpu_milli, dt);
        i.memory_stranded += mul(totals.stranded.memory_bytes, dt);
        i.gpu_stranded += mul(totals.stranded.gpu_milli, dt);
        i.nodes += mul(totals.nodes, dt);
        i.nodes_in_use += mul(totals.nodes_in_use, dt);
        i.running_pods += mul(totals.running_pods, dt);
        i.pending_pods += mul(totals.pending_pods, dt);
        i.cost += mul(totals.cost_rate_micro_usd_per_hour, dt);
        i.cost_in_use += mul(totals.in_use_cost_rate_micro_usd_per_hour, dt);
    }

    /// True once the warm-up is over (events from now on are counted).
    #[inline]
    pub fn measuring(&self, now: SimTime) -> bool {
        now >= self.window_start
    }

    /// Updates the peaks after a state change (only inside the measured window).
    #[inline]
    pub fn observe_peaks(&mut self, now: SimTime, totals: &Totals) {
        if !self.measuring(now) {
            return;
        }
        self.peak_nodes = self.peak_nodes.max(totals.nodes);
        self.peak_nodes_in_use = self.peak_nodes_in_use.max(totals.nodes_in_use);
        self.peak_pending_pods = self.peak_pending_pods.max(totals.pending_pods);
    }
}

/// `num / den` as a float, 0 when `den` is 0.
pub fn ratio(num: u128, den: u128) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::resources::Resources;

    #[test]
    fn integrals_are_exact_time_weighted_sums() {
        let mut m = Metrics::default();
        let mut t = Totals {
            allocatable: Resources::cpu_mem(4000, 100),
            requested: Resources::cpu_mem(1000, 50),
            nodes: 1,
            ..Totals::default()
        };
        m.advance(SimTime(10), &t); // 10 ms at 1000m requested
        t.requested.cpu_milli = 3000;
        m.advance(SimTime(40), &t); // 30 ms at 3000m
        assert_eq!(m.integrals.cpu_requested, 10 * 1000 + 30 * 3000);
        assert_eq!(m.integrals.cpu_allocatable, 40 * 4000);
        let r = ratio(m.integrals.cpu_requested, m.integrals.cpu_allocatable);
        assert!((r - 100_000.0 / 160_000.0).abs() < 1e-12);
    }

    #[test]
    fn warmup_is_excluded() {
        let mut m = Metrics {
            window_start: SimTime(100),
            ..Metrics::default()
        };
        let t = Totals {
            nodes: 2,
            ..Totals::default()
        };
        m.advance(SimTime(50), &t);
        assert_eq!(m.integrals.nodes, 0);
        m.advance(SimTime(130), &t);
        assert_eq!(
            m.integrals.nodes, 60,
            "only the 30 ms after the warm-up count"
        );
    }
}

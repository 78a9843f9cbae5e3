//! The scheduling queue: an active queue ordered by priority then arrival (upstream
//! PrioritySort), and the set of unschedulable pods, re-activated when a node gains capacity.
//!
//! Re-activation is a queueing hint in the spirit of upstream's (NodeResourcesFit's
//! `isSchedulableAfterPodEvent`): when a node's free capacity grows, parked pods are visited in
//! queue order and moved back to the active queue only if they pass the scheduler's filters on
//! that node *and* still fit in what is left of its free capacity after the pods moved before
//! them. A parked pod had already failed on every other node, and only a capacity change can
//! make it fit, so the pods that stay parked could not have been placed. This keeps an
//! overloaded cluster from retrying thousands of hopeless pods on every completion.
//!
//! Backoff and flushing follow pkg/scheduler/backend/queue/scheduling_queue.go: a pod that failed
//! `n` times backs off `min(1 s × 2^(n−1), 10 s)` from its last failure before it may be retried,
//! and pods parked for more than 5 minutes are released by a flush that runs every 30 s. A flush
//! skips pods whose last failure happened at the current capacity epoch (no pod left, no node
//! joined, no node was uncordoned since): their retry would fail exactly as before. Upstream
//! retries them anyway; the only difference is that those futile attempts are not counted.

use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;
use crate::cluster::resources::Resources;
use crate::engine::time::SimTime;
use priority_queue::PriorityQueue;
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Initial backoff of a pod that failed once [ms] (`DefaultPodInitialBackoffDuration`).
pub const INITIAL_BACKOFF_MS: u64 = 1_000;
/// Maximum backoff [ms] (`DefaultPodMaxBackoffDuration`).
pub const MAX_BACKOFF_MS: u64 = 10_000;
/// How long a pod may stay parked before a flush releases it [ms]
/// (`DefaultPodMaxInUnschedulablePodsDuration`).
pub const MAX_IN_UNSCHEDULABLE_MS: u64 = 5 * 60_000;
/// Period of the unschedulable-pods flush [ms] (`flushUnschedulablePodsLeftover`, every 30 s).
pub const FLUSH_PERIOD_MS: u64 = 30_000;

/// Backoff [ms] of a pod after `attempts` failed attempts (`calculateBackoffDuration`):
/// 1 s doubling, capped at 10 s.
pub fn backoff_ms(attempts: u32) -> u64 {
    let mut d = INITIAL_BACKOFF_MS;
    for _ in 1..attempts {
        d *= 2;
        if d >= MAX_BACKOFF_MS {
            return MAX_BACKOFF_MS;
        }
    }
    d
}

/// A parked pod.
#[derive(Clone, Copy, Debug)]
struct Parked {
    pod: PodId,
    requests: Resources,
    /// When it last failed.
    since: SimTime,
    /// The cluster's capacity epoch at that failure.
    epoch: u64,
}

/// Active-queue key: higher priority first, then earlier creation, then earlier insertion.
type ActiveKey = (i32, Reverse<u64>, Reverse<u64>);
/// Parked-set key (ascending = queue order): priority descending, creation time, creation
/// sequence.
type ParkedKey = (Reverse<i32>, u64, u64);

/// Pods waiting to be scheduled.
#[derive(Default)]
pub struct SchedulingQueue {
    active: PriorityQueue<PodId, ActiveKey>,
    /// Parked pods with their requests (kept here so the scan touches no pod records).
    unschedulable: BTreeMap<ParkedKey, Parked>,
    /// A lower bound of every parked pod's requests, component-wise (the minimum over the
    /// pods parked since the set was last empty): a node whose free capacity cannot hold it
    /// fits none of them.
    parked_floor: Option<Resources>,
    seq: u64,
    moved: Vec<ParkedKey>,
    /// Pods taken out of the parked set, with the time of their last failure; the engine sends
    /// each to the active queue or, while it is still backing off, to a backoff timer.
    released: Vec<(PodId, SimTime)>,
}

fn parked_key(pod: PodId, cluster: &ClusterState) -> ParkedKey {
    let p = &cluster.pods[pod.0 as usize];
    (Reverse(p.priority), p.created.0, p.seq)
}

impl SchedulingQueue {
    /// Adds a pod to the active queue.
    pub fn push(&mut self, pod: PodId, priority: i32, created: SimTime) {
        self.seq += 1;
        self.active
            .push(pod, (priority, Reverse(created.0), Reverse(self.seq)));
    }

    /// Removes the highest-priority active pod.
    pub fn pop(&mut self) -> Option<PodId> {
        self.active.pop().map(|(p, _)| p)
    }

    /// Parks a pod that did not fit anywhere at `now` (capacity epoch `epoch`).
    pub fn park_unschedulable(
        &mut self,
        pod: PodId,
        cluster: &ClusterState,
        now: SimTime,
        epoch: u64,
    ) {
        let requests = cluster.pods[pod.0 as usize].requests;
        if self.unschedulable.is_empty() {
            self.parked_floor = None;
        }
        self.parked_floor = Some(self.parked_floor.map_or(requests, |f| f.min(&requests)));
        self.unschedulable.insert(
            parked_key(pod, cluster),
            Parked {
                pod,
                requests,
                since: now,
                epoch,
            },
        );
    }

    /// Takes the pods released by [`Self::activate_for_node`] or [`Self::flush`] since the
    /// last call, with the time of their last failure.
    pub fn take_released(&mut self) -> Vec<(PodId, SimTime)> {
        std::mem::take(&mut self.released)
    }

    /// Gives back the (emptied) vector from [`Self::take_released`] to reuse its allocation.
    pub fn return_released(&mut self, mut buffer: Vec<(PodId, SimTime)>) {
        buffer.clear();
        if self.released.is_empty() {
            self.released = buffer;
        }
    }

    /// The unschedulable-pods flush at `now`: releases pods parked for more than 5 minutes
    /// whose last failure predates the current capacity epoch. Returns whether a later flush
    /// could release anything (a parked pod failed at an older epoch).
    pub fn flush(&mut self, now: SimTime, epoch: u64) -> bool {
        self.moved.clear();
        let mut pending_later = false;
        for (&key, parked) in &self.unschedulable {
            if parked.epoch == epoch {
                continue;
            }
            if now.since(parked.since) > MAX_IN_UNSCHEDULABLE_MS {
                self.moved.push(key);
            } else {
                pending_later = true;
            }
        }
        for i in 0..self.moved.len() {
            if let Some(parked) = self.unschedulable.remove(&self.moved[i]) {
                self.released.push((parked.pod, parked.since));
            }
        }
        pending_later
    }

    /// Number of pods in the active queue.
    pub fn active_len(&self) -> usize {
        self.active.len()
    }

    /// Number of parked unschedulable pods.
    pub fn unschedulable_len(&self) -> usize {
        self.unschedulable.len()
    }

    /// The parked unschedulable pods in queue order (priority, then creation), with the time and
    /// the capacity epoch of their last failed attempt (what the cluster autoscaler sees as
    /// unschedulable pods).
    pub fn parked(&self) -> impl Iterator<Item = (PodId, SimTime, u64)> + '_ {
        self.unschedulable
            .values()
            .map(|p| (p.pod, p.since, p.epoch))
    }

    /// Forgets a pod that was deleted while waiting (no-op if it is not queued).
    pub fn remove(&mut self, pod: PodId, cluster: &ClusterState) {
        if self.active.remove(&pod).is_none() {
            self.unschedulable.remove(&parked_key(pod, cluster));
        }
    }

    /// Releases every parked pod for which `pred` holds (a queueing hint for cluster events
    /// that are not capacity changes, e.g. a pod bound that others have affinity to). Returns
    /// how many were released.
    pub fn release_where(&mut self, mut pred: impl FnMut(PodId) -> bool) -> usize {
        self.moved.clear();
        for (&key, parked) in &self.unschedulable {
            if pred(parked.pod) {
                self.moved.push(key);
            }
        }
        for i in 0..self.moved.len() {
            if let Some(parked) = self.unschedulable.remove(&self.moved[i]) {
                self.released.push((parked.pod, parked.since));
            }
        }
        self.moved.len()
    }

    /// Releases one parked pod (collect it with [`Self::take_released`]); returns whether it was
    /// parked. Used for the pods nominated to a node that gained capacity: the room was freed
    /// for them, whatever the queue-order budget of [`Self::activate_for_node`] says.
    pub fn release(&mut self, pod: PodId, cluster: &ClusterState) -> bool {
        match self.unschedulable.remove(&parked_key(pod, cluster)) {
            Some(parked) => {
                self.released.push((parked.pod, parked.since));
                true
            }
            None => false,
        }
    }

    /// Releases, in queue order, the parked pods that `passes_filters` on `node` and fit in its
    /// remaining free capacity (see the module docs; collect them with
    /// [`Self::take_released`]). Returns how many were released.
    pub fn activate_for_node(
        &mut self,
        node: NodeId,
        cluster: &ClusterState,
        mut passes_filters: impl FnMut(PodId) -> bool,
    ) -> usize {
        let n = &cluster.nodes[node.0 as usize];
        if self.unschedulable.is_empty() || !n.is_alive() {
            return 0;
        }
        let mut budget: Resources = n.free();
        self.moved.clear();
        let floor = self.parked_floor.unwrap_or(Resources::ZERO);
        for (&key, parked) in &self.unschedulable {
            // No parked pod can fit what is left (their requests are all at least `floor`).
            if budget.pods == 0 || !floor.fits_in(&budget) {
                break;
            }
            if parked.requests.fits_in(&budget) && passes_filters(parked.pod) {
                budget = budget.saturating_sub(&parked.requests);
                self.moved.push(key);
            }
        }
        for i in 0..self.moved.len() {
            if let Some(parked) = self.unschedulable.remove(&self.moved[i]) {
                self.released.push((parked.pod, parked.since));
            }
        }
        self.moved.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_then_creation_order() {
        let mut q = SchedulingQueue::default();
        q.push(PodId(0), 0, SimTime(5));
        q.push(PodId(1), 10, SimTime(9));
        q.push(PodId(2), 0, SimTime(1));
        q.push(PodId(3), 0, SimTime(1));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|p| p.0)).collect();
        assert_eq!(order, vec![1, 2, 3, 0]);
    }

    #[test]
    fn backoff_doubles_from_one_second_to_ten() {
        let seq: Vec<u64> = (1..=6).map(backoff_ms).collect();
        assert_eq!(seq, vec![1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    }

    #[test]
    fn flush_releases_old_pods_only_after_capacity_changed() {
        use crate::cluster::pod::{PodName, PodTemplate};
        let mut c = ClusterState::default();
        let t = c.add_template(PodTemplate::default());
        let new = crate::cluster::NewPod::bare(
            PodName {
                prefix: 0,
                ordinal: 0,
                width: 0,
            },
            Resources::cpu_mem(1, 1),
            t,
        );
        let (a, b) = (c.create_pod(new, SimTime(0)), c.create_pod(new, SimTime(0)));
        let mut q = SchedulingQueue::default();
        q.park_unschedulable(a, &c, SimTime(0), 7);
        q.park_unschedulable(b, &c, SimTime(200_000), 6);
        // Epoch unchanged for `a`, `b` too young: nothing released, but `b` needs a later flush.
        assert!(q.flush(SimTime(300_001), 7));
        assert!(q.take_released().is_empty());
        // After 5 minutes `b` goes; `a` stays (its failure is at the current epoch).
        assert!(!q.flush(SimTime(500_001), 7));
        assert_eq!(q.take_released(), vec![(b, SimTime(200_000))]);
        assert_eq!(q.unschedulable_len(), 1);
    }

    #[test]
    fn a_node_too_small_for_every_parked_pod_releases_none() {
        use crate::cluster::node::NodePool;
        use crate::cluster::pod::{PodName, PodTemplate};
        let mut c = ClusterState::default();
        let pool = c.add_pool(NodePool::for_tests(Resources {
            pods: 110,
            ..Resources::cpu_mem(4000, 16 << 30)
        }));
        let node = c.add_node(pool, "n".into(), None, SimTime::ZERO);
        let t = c.add_template(PodTemplate::default());
        let pod = |c: &mut ClusterState, ordinal, cpu| {
            let name = PodName {
                prefix: 0,
                ordinal,
                width: 0,
            };
            c.create_pod(
                crate::cluster::NewPod::bare(name, Resources::cpu_mem(cpu, 1 << 30), t),
                SimTime(0),
            )
        };
        let (big, small) = (pod(&mut c, 0, 3000), pod(&mut c, 1, 2000));
        let filler = pod(&mut c, 2, 2500);
        c.bind(filler, node, SimTime(0));
        let mut q = SchedulingQueue::default();
        q.park_unschedulable(big, &c, SimTime(0), 1);
        q.park_unschedulable(small, &c, SimTime(0), 1);
        // 1.5 cores free: below the smallest parked request (2 cores), nothing moves.
        assert_eq!(q.activate_for_node(node, &c, |_| true), 0);
        // 4 cores free once the filler is gone: the 3-core pod goes first (queue order) and
        // the 2-core one no longer fits in what is left.
        c.terminate(filler, crate::cluster::pod::PodPhase::Succeeded, SimTime(1));
        assert_eq!(q.activate_for_node(node, &c, |_| true), 1);
        assert_eq!(q.take_released(), vec![(big, SimTime(0))]);
    }
}

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
//! Backoff timing and the periodic flush of long-parked pods are not modelled yet.

use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;
use crate::cluster::resources::Resources;
use crate::engine::time::SimTime;
use priority_queue::PriorityQueue;
use std::cmp::Reverse;
use std::collections::BTreeMap;

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
    unschedulable: BTreeMap<ParkedKey, (PodId, Resources)>,
    seq: u64,
    moved: Vec<ParkedKey>,
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

    /// Parks a pod that did not fit anywhere.
    pub fn park_unschedulable(&mut self, pod: PodId, cluster: &ClusterState) {
        let requests = cluster.pods[pod.0 as usize].requests;
        self.unschedulable
            .insert(parked_key(pod, cluster), (pod, requests));
    }

    /// Number of pods in the active queue.
    pub fn active_len(&self) -> usize {
        self.active.len()
    }

    /// Number of parked unschedulable pods.
    pub fn unschedulable_len(&self) -> usize {
        self.unschedulable.len()
    }

    /// Forgets a pod that was deleted while waiting (no-op if it is not queued).
    pub fn remove(&mut self, pod: PodId, cluster: &ClusterState) {
        if self.active.remove(&pod).is_none() {
            self.unschedulable.remove(&parked_key(pod, cluster));
        }
    }

    /// Re-activates, in queue order, the parked pods that `passes_filters` on `node` and fit in
    /// its remaining free capacity (see the module docs). Returns how many moved.
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
        for (&key, &(id, ref req)) in &self.unschedulable {
            if budget.pods == 0 {
                break;
            }
            if req.fits_in(&budget) && passes_filters(id) {
                budget = budget.saturating_sub(req);
                self.moved.push(key);
            }
        }
        for i in 0..self.moved.len() {
            let key = self.moved[i];
            if let Some((id, _)) = self.unschedulable.remove(&key) {
                let p = &cluster.pods[id.0 as usize];
                self.push(id, p.priority, p.created);
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
}

//! The scheduling queue: an active queue ordered by priority then arrival (upstream PrioritySort),
//! and a set of unschedulable pods that are re-activated when the cluster changes in a way that
//! could make them fit (a pod left a node, a node was added).
//!
//! Re-activation uses a resource queueing hint like upstream NodeResourcesFit's: a pod moves back
//! only if its request fits the free capacity of the node that changed. Backoff timing and the
//! periodic flush of the unschedulable set are not modelled yet.

use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;
use crate::engine::time::SimTime;
use priority_queue::PriorityQueue;
use std::cmp::Reverse;

/// Ordering key: higher priority first, then earlier creation, then earlier insertion.
type Key = (i32, Reverse<u64>, Reverse<u64>);

/// Pods waiting to be scheduled.
#[derive(Default)]
pub struct SchedulingQueue {
    active: PriorityQueue<PodId, Key>,
    unschedulable: Vec<PodId>,
    seq: u64,
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
    pub fn park_unschedulable(&mut self, pod: PodId) {
        self.unschedulable.push(pod);
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
    pub fn remove(&mut self, pod: PodId) {
        if self.active.remove(&pod).is_none() {
            self.unschedulable.retain(|&p| p != pod);
        }
    }

    /// Re-activates the parked pods whose requests fit in the free capacity of `node`
    /// (called after a pod left the node or the node joined). Returns how many moved.
    pub fn on_node_capacity_changed(&mut self, node: NodeId, cluster: &ClusterState) -> usize {
        if self.unschedulable.is_empty() {
            return 0;
        }
        let n = &cluster.nodes[node.0 as usize];
        if !n.is_alive() {
            return 0;
        }
        let free = n.free();
        let mut moved = 0;
        let mut i = 0;
        while i < self.unschedulable.len() {
            let id = self.unschedulable[i];
            let pod = &cluster.pods[id.0 as usize];
            if pod.requests.fits_in(&free) {
                self.unschedulable.remove(i);
                self.push(id, pod.priority, pod.created);
                moved += 1;
            } else {
                i += 1;
            }
        }
        moved
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

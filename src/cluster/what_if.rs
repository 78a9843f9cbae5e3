//! Reversible what-if changes, for simulations that must leave no trace: the cluster
//! autoscaler's scale-up estimates and scale-down removal checks (upstream
//! `ClusterSnapshot.Fork` / `Revert` / `Commit`, cluster-autoscaler/simulator/clustersnapshot),
//! and preemption's victim dry runs.
//!
//! A simulation takes a [`Checkpoint`], then moves pods' accounting between nodes with
//! [`ClusterState::what_if_attach`] / [`ClusterState::what_if_detach`], and shows template or
//! provisioning nodes to the scheduler's filters with [`ClusterState::what_if_show_node`]
//! (which appends them to `live_nodes`). [`ClusterState::what_if_revert`] undoes every change
//! made after a checkpoint, newest first, and restores the requests, the topology counts, each
//! node's pod list (including its order) and `node_versions` exactly, so scheduler caches
//! keyed by node versions stay valid. Keeping changes (a commit) is simply not reverting them
//! before an outer checkpoint is reverted.
//!
//! Only what the scheduler's filters read moves (requests, pod lists, topology counts): a pod
//! keeps its `node` field, and usage, scoring sums, cluster totals, billing and the capacity
//! epoch are left alone, so simulations may run filters but never scoring. No event may be
//! handled while changes are pending; the simulation reverts to its first checkpoint before
//! returning.

use super::ClusterState;
use super::node::NodeId;
use super::pod::PodId;

/// One pending change with what its revert must restore.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Change {
    /// A pod's requests were added to a node.
    Attach {
        pod: PodId,
        node: NodeId,
        version: u64,
    },
    /// A pod's requests were removed from a node, where it sat at `pos` in the pod list.
    Detach {
        pod: PodId,
        node: NodeId,
        pos: usize,
        version: u64,
    },
    /// A node was appended to `live_nodes`.
    Show { node: NodeId },
}

/// A point to revert to (the number of pending changes when it was taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint(usize);

impl ClusterState {
    /// The current point of the what-if log.
    pub fn what_if_checkpoint(&self) -> Checkpoint {
        Checkpoint(self.what_if.len())
    }

    /// True while what-if changes are pending.
    pub fn what_if_pending(&self) -> bool {
        !self.what_if.is_empty()
    }

    /// Counts `pod` on `node` for the filters (requests, pod list, topology) as if it were
    /// bound there.
    pub fn what_if_attach(&mut self, pod: PodId, node: NodeId) {
        self.what_if.push(Change::Attach {
            pod,
            node,
            version: self.node_versions[node.0 as usize],
        });
        self.what_if_add(pod, node);
    }

    /// Stops counting `pod` on `node` (it must be counted there).
    pub fn what_if_detach(&mut self, pod: PodId, node: NodeId) {
        let pos = self.nodes[node.0 as usize]
            .pods
            .iter()
            .rposition(|&p| p == pod);
        debug_assert!(pos.is_some(), "what-if detach of a pod not on the node");
        let Some(pos) = pos else { return };
        self.what_if.push(Change::Detach {
            pod,
            node,
            pos,
            version: self.node_versions[node.0 as usize],
        });
        self.what_if_remove(pod, node, pos);
    }

    /// Shows a template or provisioning node to the scheduler's filters by appending it to
    /// `live_nodes` until reverted.
    pub fn what_if_show_node(&mut self, node: NodeId) {
        self.what_if.push(Change::Show { node });
        self.live_nodes.push(node);
    }

    /// Undoes every change made after `to`, newest first.
    pub fn what_if_revert(&mut self, to: Checkpoint) {
        while self.what_if.len() > to.0 {
            let Some(change) = self.what_if.pop() else {
                break;
            };
            match change {
                Change::Attach { pod, node, version } => {
                    let last = self.nodes[node.0 as usize].pods.len() - 1;
                    self.what_if_remove(pod, node, last);
                    self.restore_version(node, version);
                }
                Change::Detach {
                    pod,
                    node,
                    pos,
                    version,
                } => {
                    self.what_if_add(pod, node);
                    let pods = &mut self.nodes[node.0 as usize].pods;
                    let last = pods.len() - 1;
                    pods.swap(pos, last);
                    self.restore_version(node, version);
                }
                Change::Show { node } => {
                    let popped = self.live_nodes.pop();
                    debug_assert_eq!(popped, Some(node));
                }
            }
        }
    }

    /// Adds what the filters read of a bound pod to `node`: its requests (pod slot included),
    /// its place in the pod list and the topology counts. Usage, scoring sums, totals and
    /// billing stay as they are: no filter reads them and every change is reverted.
    fn what_if_add(&mut self, pod_id: PodId, node_id: NodeId) {
        let pod = &self.pods[pod_id.0 as usize];
        let node = &mut self.nodes[node_id.0 as usize];
        node.requested += pod.requests;
        node.pods.push(pod_id);
        self.topology.on_pod(pod.template, node_id, true);
        let set = pod.extended;
        if !set.is_none() {
            self.extended.account(set, node_id, true);
        }
        self.touch_node(node_id);
    }

    /// The inverse of [`ClusterState::what_if_add`] for the pod at `pos` in the node's list.
    fn what_if_remove(&mut self, pod_id: PodId, node_id: NodeId, pos: usize) {
        let pod = &self.pods[pod_id.0 as usize];
        let node = &mut self.nodes[node_id.0 as usize];
        debug_assert_eq!(node.pods[pos], pod_id);
        node.requested -= pod.requests;
        node.pods.swap_remove(pos);
        self.topology.on_pod(pod.template, node_id, false);
        let set = pod.extended;
        if !set.is_none() {
            self.extended.account(set, node_id, false);
        }
        self.touch_node(node_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::NewPod;
    use crate::cluster::node::NodePool;
    use crate::cluster::pod::{PodName, PodTemplate};
    use crate::cluster::resources::Resources;
    use crate::engine::time::SimTime;

    #[test]
    fn revert_restores_everything_exactly() {
        let mut c = ClusterState::default();
        let pool = c.add_pool(NodePool::for_tests(Resources {
            cpu_milli: 4000,
            memory_bytes: 8 << 30,
            gpu_milli: 0,
            pods: 110,
        }));
        let t = c.add_template(PodTemplate::default());
        let (a, b) = (
            c.add_node(pool, "a".into(), None, SimTime::ZERO),
            c.add_node(pool, "b".into(), None, SimTime::ZERO),
        );
        let name = |ordinal| PodName {
            prefix: 0,
            ordinal,
            width: 0,
        };
        c.add_name_prefix("x-");
        let pods: Vec<PodId> = (0..3)
            .map(|i| {
                let p = c.create_pod(
                    NewPod::bare(name(i), Resources::cpu_mem(500, 1 << 30), t),
                    SimTime::ZERO,
                );
                c.bind(p, a, SimTime::ZERO);
                p
            })
            .collect();
        let template = c.add_template_node(pool, "tmpl".into());
        let (totals, versions, epoch) = (c.totals, c.node_versions.clone(), c.capacity_epoch);
        let (order, live) = (c.nodes[a.0 as usize].pods.clone(), c.live_nodes.clone());
        let outer = c.what_if_checkpoint();
        c.what_if_detach(pods[0], a);
        c.what_if_attach(pods[0], b);
        let inner = c.what_if_checkpoint();
        c.what_if_show_node(template);
        c.what_if_detach(pods[1], a);
        c.what_if_attach(pods[1], template);
        assert_eq!(c.live_nodes.len(), 3);
        assert_eq!(c.nodes[template.0 as usize].requested.cpu_milli, 500);
        c.what_if_revert(inner);
        assert_eq!(c.nodes[template.0 as usize].requested, Resources::ZERO);
        assert_eq!(c.nodes[b.0 as usize].pods, vec![pods[0]]);
        c.what_if_revert(outer);
        assert!(!c.what_if_pending());
        assert_eq!(c.totals, totals);
        assert_eq!(c.node_versions, versions);
        assert_eq!(c.capacity_epoch, epoch);
        assert_eq!(c.nodes[a.0 as usize].pods, order, "pod order restored");
        assert_eq!(c.live_nodes, live);
        assert!(c.nodes[b.0 as usize].pods.is_empty());
    }
}

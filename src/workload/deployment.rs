//! The Deployment / ReplicaSet controller: keeps `replicas` pods in existence, creating a
//! replacement whenever one terminates and deleting the surplus when scaled down.

use super::Blueprint;
use crate::cluster::ClusterState;
use crate::cluster::NewPod;
use crate::cluster::pod::{Lifetime, Owner, PodId, PodPhase};
use crate::engine::time::SimTime;

/// State of one Deployment.
#[derive(Clone, Debug)]
pub struct DeploymentController {
    /// Deployment name.
    pub name: String,
    /// Index (owner id).
    pub index: u32,
    /// Desired replicas (`spec.replicas`; the HPA changes it).
    pub replicas: u32,
    /// When the Deployment is created.
    pub start: SimTime,
    /// Pod blueprint.
    pub blueprint: Blueprint,
    /// Pods that exist (pending or running).
    pub live: u32,
    /// Pods ever created (naming ordinal).
    pub created: u32,
    /// The live pods, in creation order.
    pub pods: Vec<PodId>,
}

impl DeploymentController {
    /// A Deployment of `replicas` pods made from `blueprint`, created at `start`.
    pub fn new(
        name: String,
        index: u32,
        replicas: u32,
        start: SimTime,
        blueprint: Blueprint,
    ) -> Self {
        DeploymentController {
            name,
            index,
            replicas,
            start,
            blueprint,
            live: 0,
            created: 0,
            pods: Vec::new(),
        }
    }

    fn new_pod(&mut self) -> NewPod {
        let pod = self.blueprint.pod(
            self.created,
            Owner::Deployment(self.index),
            Lifetime::Forever,
        );
        self.created += 1;
        self.live += 1;
        pod
    }

    /// Creates the pods missing to reach the desired count (into `out`).
    pub fn reconcile(&mut self, cluster: &mut ClusterState, now: SimTime, out: &mut Vec<PodId>) {
        while self.live < self.replicas {
            let pod = self.new_pod();
            let id = cluster.create_pod(pod, now);
            self.pods.push(id);
            out.push(id);
        }
    }

    /// The pods to delete to come down to the desired count, most expendable first, following
    /// the ReplicaSet controller's ranking (`controller.ActivePodsWithRanks` in
    /// pkg/controller/controller_utils.go), simplified: unscheduled before scheduled, then pods
    /// sharing a node with more of this Deployment's pods, then the most recently bound (restart
    /// counts and ready times are not modelled; pods are ready when bound).
    pub fn surplus(&self, cluster: &ClusterState, out: &mut Vec<PodId>) {
        let excess = self.live.saturating_sub(self.replicas) as usize;
        if excess == 0 {
            return;
        }
        let colocated = |p: PodId| {
            cluster.pods[p.0 as usize].node.map_or(0, |n| {
                cluster.nodes[n.0 as usize]
                    .pods
                    .iter()
                    .filter(|q| self.pods.contains(q))
                    .count()
            })
        };
        let mut ranked: Vec<(
            bool,
            std::cmp::Reverse<usize>,
            std::cmp::Reverse<u64>,
            PodId,
        )> = self
            .pods
            .iter()
            .map(|&p| {
                let pod = &cluster.pods[p.0 as usize];
                (
                    pod.phase != PodPhase::Pending,
                    std::cmp::Reverse(colocated(p)),
                    std::cmp::Reverse(pod.seq),
                    p,
                )
            })
            .collect();
        ranked.sort();
        out.extend(ranked.iter().take(excess).map(|r| r.3));
    }

    /// Records that one of its pods terminated.
    pub fn on_pod_terminated(&mut self, pod: PodId) {
        self.live = self.live.saturating_sub(1);
        if let Some(i) = self.pods.iter().position(|&p| p == pod) {
            self.pods.remove(i);
        }
    }
}

//! The Deployment / ReplicaSet controller: keeps `replicas` pods in existence, creating a
//! replacement whenever one terminates.

use super::Blueprint;
use crate::cluster::pod::{Lifetime, Owner};
use crate::cluster::{ClusterState, NewPod};
use crate::engine::time::SimTime;

/// State of one Deployment.
#[derive(Clone, Debug)]
pub struct DeploymentController {
    /// Deployment name.
    pub name: String,
    /// Index (owner id).
    pub index: u32,
    /// Desired replicas.
    pub replicas: u32,
    /// When the Deployment is created.
    pub start: SimTime,
    /// Pod blueprint.
    pub blueprint: Blueprint,
    /// Pods that exist (pending or running).
    pub live: u32,
    /// Pods ever created (naming ordinal).
    pub created: u32,
}

impl DeploymentController {
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

    /// Pods to create now to reach the desired count.
    pub fn reconcile(
        &mut self,
        cluster: &mut ClusterState,
        now: SimTime,
        out: &mut Vec<crate::cluster::pod::PodId>,
    ) {
        while self.live < self.replicas {
            let pod = self.new_pod();
            out.push(cluster.create_pod(pod, now));
        }
    }

    /// Records that one of its pods terminated.
    pub fn on_pod_terminated(&mut self) {
        self.live = self.live.saturating_sub(1);
    }
}

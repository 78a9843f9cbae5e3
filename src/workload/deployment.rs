//! The Deployment / ReplicaSet controller: keeps `replicas` pods in existence, creating a
//! replacement whenever one terminates and deleting the surplus when scaled down.
//!
//! Outside a rolling update a Deployment has one ReplicaSet (its current template) whose
//! `spec.replicas` follows the Deployment's. During a rollout (see [`super::rollout`]) the
//! older templates live on as old ReplicaSets with their own `spec.replicas`, which the
//! rolling-update sync scales down while it scales the current one up; each ReplicaSet
//! replaces its own pods.

use super::Blueprint;
use super::rollout::RollingUpdate;
use crate::cluster::ClusterState;
use crate::cluster::NewPod;
use crate::cluster::pod::{Lifetime, Owner, PodId, PodPhase, pod_is_ready};
use crate::engine::time::SimTime;

/// An older ReplicaSet of a Deployment being rolled out.
#[derive(Clone, Debug)]
pub struct OldReplicaSet {
    /// Its revision (the template version number, 0 for the initial template).
    pub revision: u32,
    /// Its pod blueprint.
    pub blueprint: Blueprint,
    /// `spec.replicas`.
    pub replicas: u32,
    /// Its pods that exist (pending or running, not being deleted).
    pub live: u32,
}

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
    /// Pod blueprint of the current template (the newest ReplicaSet).
    pub blueprint: Blueprint,
    /// Pods that exist (pending or running, of every ReplicaSet).
    pub live: u32,
    /// Pods ever created (naming ordinal).
    pub created: u32,
    /// The live pods, in creation order.
    pub pods: Vec<PodId>,
    /// Revision of each pod of `pods` (same order).
    pub pod_revisions: Vec<u32>,
    /// Revision of the current template.
    pub revision: u32,
    /// `spec.replicas` of the current ReplicaSet (equal to `replicas` outside a rollout).
    pub new_replicas: u32,
    /// Older ReplicaSets still being scaled down, oldest first (empty outside a rollout).
    pub old_sets: Vec<OldReplicaSet>,
    /// Rolling-update parameters.
    pub strategy: RollingUpdate,
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
            pod_revisions: Vec::new(),
            revision: 0,
            new_replicas: replicas,
            old_sets: Vec::new(),
            strategy: RollingUpdate::default(),
        }
    }

    /// True while older ReplicaSets exist (a rolling update is in progress).
    pub fn is_rolling(&self) -> bool {
        !self.old_sets.is_empty()
    }

    /// Live pods of the current ReplicaSet.
    pub fn new_live(&self) -> u32 {
        self.live - self.old_sets.iter().map(|s| s.live).sum::<u32>()
    }

    fn create(
        &mut self,
        blueprint: Blueprint,
        revision: u32,
        cluster: &mut ClusterState,
        now: SimTime,
        out: &mut Vec<PodId>,
    ) {
        let pod: NewPod = blueprint.pod(
            self.created,
            Owner::Deployment(self.index),
            Lifetime::Forever,
        );
        self.created += 1;
        self.live += 1;
        let id = cluster.create_pod(pod, now);
        self.pods.push(id);
        self.pod_revisions.push(revision);
        out.push(id);
    }

    /// Creates the pods missing to reach each ReplicaSet's desired count (into `out`).
    pub fn reconcile(&mut self, cluster: &mut ClusterState, now: SimTime, out: &mut Vec<PodId>) {
        if self.old_sets.is_empty() {
            self.new_replicas = self.replicas;
        }
        let mut missing = self.new_replicas.saturating_sub(self.new_live());
        while missing > 0 {
            self.create(self.blueprint, self.revision, cluster, now, out);
            missing -= 1;
        }
        for i in 0..self.old_sets.len() {
            let s = &self.old_sets[i];
            let (blueprint, revision) = (s.blueprint, s.revision);
            for _ in s.live..s.replicas {
                self.create(blueprint, revision, cluster, now, out);
                self.old_sets[i].live += 1;
            }
        }
    }

    /// Starts a rollout to `blueprint` (revision `revision`): the current ReplicaSet becomes
    /// the newest old one and the new one starts at 0 replicas.
    pub fn begin_rollout(&mut self, blueprint: Blueprint, revision: u32) {
        let live = self.new_live();
        self.old_sets.push(OldReplicaSet {
            revision: self.revision,
            blueprint: self.blueprint,
            replicas: self.new_replicas,
            live,
        });
        self.blueprint = blueprint;
        self.revision = revision;
        self.new_replicas = 0;
    }

    /// Drops old ReplicaSets scaled to 0 with no pods left (`cleanupDeployment` keeps them as
    /// history; they no longer matter here).
    pub fn drop_empty_old_sets(&mut self) {
        self.old_sets.retain(|s| s.replicas > 0 || s.live > 0);
    }

    /// The pods to delete to come down to each ReplicaSet's desired count, most expendable
    /// first within each, following the ReplicaSet controller's ranking
    /// (`controller.ActivePodsWithRanks` in pkg/controller/controller_utils.go), simplified:
    /// unscheduled before scheduled, not Ready before Ready, then pods sharing a node with
    /// more of this Deployment's pods, then the most recently created (deletion costs, ready
    /// times and restart counts are not compared).
    pub fn surplus(&self, cluster: &ClusterState, now: SimTime, out: &mut Vec<PodId>) {
        let new_excess = self.new_live().saturating_sub(self.new_replicas);
        self.surplus_of(self.revision, new_excess, cluster, now, out);
        for s in &self.old_sets {
            self.surplus_of(
                s.revision,
                s.live.saturating_sub(s.replicas),
                cluster,
                now,
                out,
            );
        }
    }

    fn surplus_of(
        &self,
        revision: u32,
        excess: u32,
        cluster: &ClusterState,
        now: SimTime,
        out: &mut Vec<PodId>,
    ) {
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
        type Rank = (
            bool,
            bool,
            std::cmp::Reverse<usize>,
            std::cmp::Reverse<u64>,
            PodId,
        );
        let mut ranked: Vec<Rank> = self
            .pods
            .iter()
            .zip(&self.pod_revisions)
            .filter(|&(_, &r)| r == revision)
            .map(|(&p, _)| {
                let pod = &cluster.pods[p.0 as usize];
                (
                    pod.phase != PodPhase::Pending,
                    pod_is_ready(pod, now),
                    std::cmp::Reverse(colocated(p)),
                    std::cmp::Reverse(pod.seq),
                    p,
                )
            })
            .collect();
        ranked.sort();
        out.extend(ranked.iter().take(excess as usize).map(|r| r.4));
    }

    /// Records that one of its pods terminated (or started being deleted).
    pub fn on_pod_terminated(&mut self, pod: PodId) {
        self.live = self.live.saturating_sub(1);
        if let Some(i) = self.pods.iter().position(|&p| p == pod) {
            self.pods.remove(i);
            let revision = self.pod_revisions.remove(i);
            if let Some(s) = self.old_sets.iter_mut().find(|s| s.revision == revision) {
                s.live = s.live.saturating_sub(1);
            }
        }
    }

    /// The revision of one of its live pods.
    pub fn revision_of(&self, pod: PodId) -> Option<u32> {
        let i = self.pods.iter().position(|&p| p == pod)?;
        Some(self.pod_revisions[i])
    }
}

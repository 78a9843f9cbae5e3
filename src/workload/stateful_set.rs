//! The StatefulSet controller (pkg/controller/statefulset/stateful_set_control.go): pods with
//! stable names `<name>-<ordinal>`, created in ordinal order and removed highest ordinal
//! first, and rolling updates from the highest ordinal down.
//!
//! One sync, as upstream's `updateStatefulSet`:
//! 1. every ordinal in `0..replicas` without a pod gets one (a pod that failed or was evicted
//!    is replaced by a pod of the same name once it is gone). Under `OrderedReady` the sync
//!    stops at the first ordinal it created, or whose pod is not Running and Ready or is
//!    terminating; under `Parallel` it never waits;
//! 2. pods at ordinals `>= replicas` are deleted, highest first; under `OrderedReady` one at a
//!    time, each waited for until it terminated;
//! 3. with `RollingUpdate`, pods at ordinals `>= partition` that run an old revision are
//!    deleted, highest first, while fewer than `maxUnavailable` of those ordinals are
//!    unavailable (the creation step recreates them from the update revision). With `OnDelete`
//!    pods keep their revision until they die; a replacement gets the update revision.

use super::Blueprint;
use super::rollout::scaled_value;
use crate::cluster::ClusterState;
use crate::cluster::pod::{Lifetime, Owner, PodId};
use crate::cluster::readiness::pod_is_ready;
use crate::disruption::pdb::IntOrPercent;
use crate::engine::time::SimTime;

/// `spec.podManagementPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodManagement {
    /// Ordinal N+1 waits for 0..=N to be Running and Ready; scale-down one at a time.
    OrderedReady,
    /// Pods are created and deleted all at once.
    Parallel,
}

/// `spec.updateStrategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetUpdate {
    /// Replace old-revision pods, highest ordinal first.
    RollingUpdate {
        /// Ordinals below it keep the current revision.
        partition: u32,
        /// Pods of the updated range that may be unavailable at once (default 1).
        max_unavailable: IntOrPercent,
    },
    /// Pods change revision only when they are recreated.
    OnDelete,
}

/// A template change planned at a time.
#[derive(Clone, Copy, Debug)]
pub struct PlannedRevision {
    /// When the template changes.
    pub at: SimTime,
    /// The new template's blueprint.
    pub blueprint: Blueprint,
}

/// One ordinal's pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The pod.
    pub pod: PodId,
    /// Its revision (index into the controller's revisions).
    pub revision: u32,
}

/// State of one StatefulSet.
#[derive(Clone, Debug)]
pub struct StatefulSetController {
    /// Name.
    pub name: String,
    /// Index (owner id).
    pub index: u32,
    /// `spec.replicas`.
    pub replicas: u32,
    /// When it is created.
    pub start: SimTime,
    /// `podManagementPolicy`.
    pub policy: PodManagement,
    /// `updateStrategy`.
    pub update: SetUpdate,
    /// Blueprint of each revision (0: the initial template).
    pub revisions: Vec<Blueprint>,
    /// `status.currentRevision`: what ordinals below the partition are created from.
    pub current_revision: u32,
    /// `status.updateRevision`: the newest template.
    pub update_revision: u32,
    /// Per ordinal: its pod while one exists (until it has terminated).
    pub slots: Vec<Option<Slot>>,
    /// Planned template changes, in time order.
    pub planned: Vec<PlannedRevision>,
    /// Whether a sync is queued.
    pub sync_pending: bool,
}

/// What a sync asks the engine to do.
#[derive(Debug, Default)]
pub struct SyncActions {
    /// Pods it created.
    pub created: Vec<PodId>,
    /// Pods to delete gracefully.
    pub delete: Vec<PodId>,
}

impl StatefulSetController {
    /// A StatefulSet of `replicas` pods of `blueprint`, created at `start`.
    pub fn new(
        name: String,
        index: u32,
        replicas: u32,
        start: SimTime,
        blueprint: Blueprint,
    ) -> Self {
        StatefulSetController {
            name,
            index,
            replicas,
            start,
            policy: PodManagement::OrderedReady,
            update: SetUpdate::RollingUpdate {
                partition: 0,
                max_unavailable: IntOrPercent::Int(1),
            },
            revisions: vec![blueprint],
            current_revision: 0,
            update_revision: 0,
            slots: Vec::new(),
            planned: Vec::new(),
            sync_pending: false,
        }
    }

    /// The revision a new pod at `ordinal` is made from (`newVersionedStatefulSetPod`).
    fn revision_for(&self, ordinal: u32) -> u32 {
        match self.update {
            SetUpdate::RollingUpdate { partition, .. } if ordinal < partition => {
                self.current_revision
            }
            _ => self.update_revision,
        }
    }

    /// Switches to a new template (a rollout): it becomes the update revision.
    pub fn new_revision(&mut self, blueprint: Blueprint) {
        self.revisions.push(blueprint);
        self.update_revision = self.revisions.len() as u32 - 1;
    }

    /// Records that `pod` terminated (not merely started terminating): its ordinal is free.
    pub fn on_pod_gone(&mut self, pod: PodId) {
        if let Some(s) = self
            .slots
            .iter_mut()
            .find(|s| s.is_some_and(|s| s.pod == pod))
        {
            *s = None;
        }
        while self.slots.len() > self.replicas as usize && self.slots.last() == Some(&None) {
            self.slots.pop();
        }
    }

    /// The ordinal of one of its pods.
    pub fn ordinal_of(&self, pod: PodId) -> Option<u32> {
        self.slots
            .iter()
            .position(|s| s.is_some_and(|s| s.pod == pod))
            .map(|i| i as u32)
    }

    /// One sync at `now` (see the module doc): creates pods into `actions.created` and lists
    /// the pods to delete in `actions.delete`.
    pub fn sync(&mut self, cluster: &mut ClusterState, now: SimTime, actions: &mut SyncActions) {
        if now < self.start {
            return;
        }
        let monotonic = self.policy == PodManagement::OrderedReady;
        let replicas = self.replicas as usize;
        if self.slots.len() < replicas {
            self.slots.resize(replicas, None);
        }
        let healthy = |cluster: &ClusterState, p: PodId| {
            let pod = &cluster.pods[p.0 as usize];
            !pod.is_terminating() && pod_is_ready(pod, cluster)
        };
        for ord in 0..replicas {
            match self.slots[ord] {
                None => {
                    let revision = self.revision_for(ord as u32);
                    let bp = self.revisions[revision as usize];
                    let new = bp.pod(
                        ord as u32,
                        Owner::StatefulSet(self.index),
                        Lifetime::Forever,
                    );
                    let pod = cluster.create_pod(new, now);
                    self.slots[ord] = Some(Slot { pod, revision });
                    actions.created.push(pod);
                    if monotonic {
                        return;
                    }
                }
                Some(s) => {
                    if monotonic && !healthy(cluster, s.pod) {
                        return;
                    }
                }
            }
        }
        // Condemned pods, highest ordinal first.
        for ord in (replicas..self.slots.len()).rev() {
            let Some(s) = self.slots[ord] else { continue };
            if cluster.pods[s.pod.0 as usize].is_terminating() {
                if monotonic {
                    return;
                }
                continue;
            }
            actions.delete.push(s.pod);
            if monotonic {
                return;
            }
        }
        if self.slots.len() > replicas {
            // Condemned pods still terminating: the update waits for the scale-down.
            return;
        }
        let SetUpdate::RollingUpdate {
            partition,
            max_unavailable,
        } = self.update
        else {
            return;
        };
        let update_min = (partition as usize).min(replicas);
        let max_unavailable = scaled_value(max_unavailable, self.replicas, false).max(1) as usize;
        let mut unavailable = self.slots[update_min..replicas]
            .iter()
            .filter(|s| s.is_none_or(|s| !healthy(cluster, s.pod)))
            .count();
        for ord in (update_min..replicas).rev() {
            let Some(s) = self.slots[ord] else { continue };
            let terminating = cluster.pods[s.pod.0 as usize].is_terminating();
            if s.revision != self.update_revision && !terminating {
                if unavailable >= max_unavailable {
                    break;
                }
                if healthy(cluster, s.pod) {
                    unavailable += 1;
                }
                actions.delete.push(s.pod);
            }
        }
        let updated = self.slots[..replicas]
            .iter()
            .all(|s| s.is_some_and(|s| s.revision == self.update_revision));
        if updated && partition == 0 {
            self.current_revision = self.update_revision;
        }
    }
}

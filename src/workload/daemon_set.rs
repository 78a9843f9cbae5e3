//! The DaemonSet controller (pkg/controller/daemon/daemon_controller.go, update.go and
//! util/daemonset_util.go): one pod on every node whose labels and taints the template
//! accepts, including nodes that join later (autoscaled nodes) and nodes whose taints go away.
//!
//! As upstream, a DaemonSet pod is not bound by the controller: it gets a required node
//! affinity to exactly its node (upstream `matchFields metadata.name`; here the equivalent
//! `kubernetes.io/hostname In [node]`, replacing the template's required terms, which the
//! controller already checked) and the default scheduler places it, so it counts in the node's
//! requests like any bound pod. Its template carries the automatic DaemonSet tolerations (see
//! [`daemon_tolerations`]).
//!
//! A node should run the pod when it is Ready, matches the template's `nodeSelector` and
//! required node affinity, and every NoSchedule / NoExecute taint is tolerated; a pod may keep
//! running while every NoExecute taint is tolerated (`NodeShouldRunDaemonPod`). A pod that
//! ends (failed, evicted, node drained) is recreated while its node should run one.
//!
//! Rolling update (`rollingUpdate` in update.go): with `maxSurge` 0, old pods are deleted
//! (unavailable ones first) while fewer than `maxUnavailable` nodes lack an available pod, and
//! the replacement is created once the old pod is gone; with `maxSurge` > 0 a new pod is
//! created beside the old one on up to `maxSurge` nodes and the old one is deleted when the new
//! one is Ready. `OnDelete`: pods change template only when they are recreated.

use super::Blueprint;
use super::rollout::scaled_value;
use crate::cluster::ClusterState;
use crate::cluster::affinity::{Requirement, SelectorOperator};
use crate::cluster::labels::{Symbol, TaintEffect, Toleration, TolerationOperator, tolerated};
use crate::cluster::node::{NodeId, PoolId};
use crate::cluster::pod::{Lifetime, Owner, PodId, TemplateId};
use crate::cluster::readiness::pod_is_ready;
use crate::cluster::resources::Resources;
use crate::disruption::pdb::IntOrPercent;
use crate::engine::time::SimTime;

pub use super::stateful_set::{PlannedRevision, SyncActions};

/// The tolerations the DaemonSet controller adds to every DaemonSet pod
/// (`AddOrUpdateDaemonPodTolerations`): (key, effect). The NoExecute ones have no
/// `tolerationSeconds`: the pod stays on a not-ready or unreachable node.
/// `node.kubernetes.io/network-unavailable` (added only to hostNetwork pods) is not, as
/// kubesim does not model hostNetwork.
pub const DAEMON_TOLERATIONS: [(&str, TaintEffect); 6] = [
    ("node.kubernetes.io/not-ready", TaintEffect::NoExecute),
    ("node.kubernetes.io/unreachable", TaintEffect::NoExecute),
    ("node.kubernetes.io/disk-pressure", TaintEffect::NoSchedule),
    (
        "node.kubernetes.io/memory-pressure",
        TaintEffect::NoSchedule,
    ),
    ("node.kubernetes.io/pid-pressure", TaintEffect::NoSchedule),
    ("node.kubernetes.io/unschedulable", TaintEffect::NoSchedule),
];

/// Adds the automatic DaemonSet tolerations to `tolerations`. As upstream's
/// `AddOrUpdateTolerationInPodSpec`, a toleration with the same key, operator (`Exists`),
/// value and effect is replaced (e.g. a given `tolerationSeconds` is dropped).
pub fn daemon_tolerations(
    tolerations: &mut Vec<Toleration>,
    intern: &mut dyn FnMut(&str) -> Symbol,
) {
    let empty = intern("");
    for (key, effect) in DAEMON_TOLERATIONS {
        let new = Toleration {
            key: Some(intern(key)),
            operator: TolerationOperator::Exists,
            value: empty,
            effect: Some(effect),
            toleration_ms: None,
        };
        let same = |t: &Toleration| {
            t.key == new.key
                && t.operator == new.operator
                && t.value == new.value
                && t.effect == new.effect
        };
        match tolerations.iter_mut().find(|t| same(t)) {
            Some(t) => *t = new,
            None => tolerations.push(new),
        }
    }
}

/// `spec.updateStrategy` of a DaemonSet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DaemonUpdate {
    /// Replace old pods node by node.
    RollingUpdate {
        /// `maxUnavailable` (default 1), of the nodes that should run the pod, rounded up.
        max_unavailable: IntOrPercent,
        /// `maxSurge` (default 0), rounded up.
        max_surge: IntOrPercent,
    },
    /// Pods change template only when they are recreated.
    OnDelete,
}

/// One DaemonSet pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaemonPod {
    /// The pod.
    pub pod: PodId,
    /// Its revision (index into the controller's revisions).
    pub revision: u32,
}

/// State of one DaemonSet.
#[derive(Clone, Debug)]
pub struct DaemonSetController {
    /// Name.
    pub name: String,
    /// Index (owner id).
    pub index: u32,
    /// When it is created.
    pub start: SimTime,
    /// `updateStrategy`.
    pub update: DaemonUpdate,
    /// Blueprint of each revision (its template carries the DaemonSet tolerations).
    pub revisions: Vec<Blueprint>,
    /// The newest revision.
    pub update_revision: u32,
    /// Per revision and node: the per-node template (node affinity to that node), made on
    /// first use.
    pub node_templates: Vec<Vec<Option<TemplateId>>>,
    /// Per node: its pods until they terminated (two while a surge replaces one).
    pub per_node: Vec<Vec<DaemonPod>>,
    /// Pods ever created (naming ordinal: pods are `<name>-<k>`).
    pub created: u32,
    /// Planned template changes, in time order.
    pub planned: Vec<PlannedRevision>,
    /// Whether a sync is queued.
    pub sync_pending: bool,
    /// The interned `kubernetes.io/hostname` key.
    pub hostname_key: Symbol,
}

impl DaemonSetController {
    /// A DaemonSet of `blueprint` (whose template already has the DaemonSet tolerations).
    pub fn new(
        name: String,
        index: u32,
        start: SimTime,
        blueprint: Blueprint,
        hostname_key: Symbol,
    ) -> Self {
        DaemonSetController {
            name,
            index,
            start,
            update: DaemonUpdate::RollingUpdate {
                max_unavailable: IntOrPercent::Int(1),
                max_surge: IntOrPercent::Int(0),
            },
            revisions: vec![blueprint],
            update_revision: 0,
            node_templates: vec![Vec::new()],
            per_node: Vec::new(),
            created: 0,
            planned: Vec::new(),
            sync_pending: false,
            hostname_key,
        }
    }

    /// Switches to a new template (a rollout).
    pub fn new_revision(&mut self, blueprint: Blueprint) {
        self.revisions.push(blueprint);
        self.node_templates.push(Vec::new());
        self.update_revision = self.revisions.len() as u32 - 1;
    }

    /// Whether `node` should run this DaemonSet's pod (new pods), and whether a pod there may
    /// keep running, by the current template (`NodeShouldRunDaemonPod`).
    pub fn node_verdict(&self, node: NodeId, cluster: &ClusterState) -> (bool, bool) {
        let n = &cluster.nodes[node.0 as usize];
        if !n.is_alive() {
            return (false, false);
        }
        let t =
            &cluster.templates[self.revisions[self.update_revision as usize].template.0 as usize];
        let resolve = |s| cluster.interner.resolve(s);
        let view =
            crate::scheduler::plugins::node_affinity::view(n, cluster, self.hostname_key, &resolve);
        if !t.node_affinity.admits(&view) {
            return (false, false);
        }
        let taints = cluster.pools[n.pool.0 as usize]
            .taints
            .iter()
            .chain(&n.taints);
        let (mut run, mut keep) = (true, true);
        for taint in taints {
            if taint.effect == TaintEffect::PreferNoSchedule || tolerated(&t.tolerations, taint) {
                continue;
            }
            run = false;
            if taint.effect == TaintEffect::NoExecute {
                keep = false;
            }
        }
        (run, keep)
    }

    /// Whether a new node of `pool` would run this DaemonSet's pod: the pool's labels match
    /// the template's node selector and required affinity (a new node's name is unknown, so
    /// hostname terms do not match) and its NoSchedule / NoExecute taints are tolerated.
    pub fn pool_runs(&self, pool: PoolId, cluster: &ClusterState) -> bool {
        let t =
            &cluster.templates[self.revisions[self.update_revision as usize].template.0 as usize];
        let resolve = |s| cluster.interner.resolve(s);
        let p = &cluster.pools[pool.0 as usize];
        let view = crate::cluster::affinity::NodeLabelView {
            labels: &p.labels,
            hostname_key: self.hostname_key,
            hostname: Symbol(u32::MAX),
            resolve: &resolve,
        };
        t.node_affinity.admits(&view)
            && p.taints.iter().all(|taint| {
                taint.effect == TaintEffect::PreferNoSchedule || tolerated(&t.tolerations, taint)
            })
    }

    /// The template of revision `revision`'s pods on `node`, made on first use.
    fn node_template(
        &mut self,
        revision: u32,
        node: NodeId,
        cluster: &mut ClusterState,
    ) -> TemplateId {
        let r = revision as usize;
        let per = &mut self.node_templates[r];
        if per.len() <= node.0 as usize {
            per.resize(cluster.nodes.len().max(node.0 as usize + 1), None);
        }
        if let Some(t) = per[node.0 as usize] {
            return t;
        }
        let mut t = cluster.templates[self.revisions[r].template.0 as usize].clone();
        t.node_affinity.required = Some(vec![vec![Requirement {
            key: self.hostname_key,
            operator: SelectorOperator::In,
            values: vec![cluster.nodes[node.0 as usize].hostname],
            number: 0,
        }]]);
        let id = cluster.add_template(t);
        self.node_templates[r][node.0 as usize] = Some(id);
        id
    }

    fn create(
        &mut self,
        node: NodeId,
        cluster: &mut ClusterState,
        now: SimTime,
        actions: &mut SyncActions,
    ) {
        let revision = self.update_revision;
        let mut bp = self.revisions[revision as usize];
        bp.template = self.node_template(revision, node, cluster);
        let new = bp.pod(
            self.created,
            Owner::DaemonSet(self.index),
            Lifetime::Forever,
        );
        self.created += 1;
        let pod = cluster.create_pod(new, now);
        self.per_node[node.0 as usize].push(DaemonPod { pod, revision });
        actions.created.push(pod);
    }

    /// True once the template changed: pod readiness then drives the rolling update.
    pub fn is_rolling(&self) -> bool {
        self.update_revision > 0
    }

    /// Records that `pod` terminated: its node may get a new one.
    pub fn on_pod_gone(&mut self, pod: PodId) {
        for pods in &mut self.per_node {
            pods.retain(|p| p.pod != pod);
        }
    }

    /// One sync at `now`: creates the missing pods and lists the pods to delete.
    #[allow(clippy::needless_range_loop)] // `self` is borrowed mutably inside the loops.
    pub fn sync(&mut self, cluster: &mut ClusterState, now: SimTime, actions: &mut SyncActions) {
        if now < self.start {
            return;
        }
        if self.per_node.len() < cluster.nodes.len() {
            self.per_node.resize(cluster.nodes.len(), Vec::new());
        }
        let live = |cluster: &ClusterState, p: &DaemonPod| {
            !cluster.pods[p.pod.0 as usize].is_terminating()
        };
        let available = |cluster: &ClusterState, p: &DaemonPod| {
            let pod = &cluster.pods[p.pod.0 as usize];
            !pod.is_terminating() && pod_is_ready(pod, cluster)
        };
        // `manage`: create on nodes that should run a pod and have none; delete where a pod
        // may not keep running.
        let mut desired = 0u32;
        let mut should: Vec<bool> = vec![false; cluster.nodes.len()];
        for i in 0..cluster.nodes.len() {
            let node = NodeId(i as u32);
            if cluster.nodes[i].state == crate::cluster::node::NodeState::Template {
                continue;
            }
            let (run, keep) = self.node_verdict(node, cluster);
            should[i] = run;
            if run {
                desired += 1;
            }
            let pods = &self.per_node[i];
            if !keep {
                for p in pods.iter().filter(|p| live(cluster, p)) {
                    actions.delete.push(p.pod);
                }
                continue;
            }
            if run && pods.is_empty() {
                self.create(node, cluster, now, actions);
            }
        }
        let DaemonUpdate::RollingUpdate {
            max_unavailable,
            max_surge,
        } = self.update
        else {
            return;
        };
        let max_unavailable = scaled_value(max_unavailable, desired, true);
        let max_surge = scaled_value(max_surge, desired, true);
        let new = self.update_revision;
        if max_surge == 0 {
            // Nodes that should run a pod but have no available one.
            let mut unavailable = 0u32;
            let mut old_available = Vec::new();
            for i in 0..self.per_node.len() {
                if !should[i] {
                    continue;
                }
                let pods = &self.per_node[i];
                if !pods.iter().any(|p| available(cluster, p)) {
                    unavailable += 1;
                }
                for p in pods
                    .iter()
                    .filter(|p| p.revision != new && live(cluster, p))
                {
                    if available(cluster, p) {
                        old_available.push(p.pod);
                    } else {
                        // An old pod that is not available is replaced at once.
                        actions.delete.push(p.pod);
                    }
                }
            }
            for pod in old_available {
                if unavailable >= max_unavailable {
                    break;
                }
                actions.delete.push(pod);
                unavailable += 1;
            }
        } else {
            let mut surging = 0u32;
            let mut candidates = Vec::new();
            for i in 0..self.per_node.len() {
                if !should[i] {
                    continue;
                }
                let pods = &self.per_node[i];
                let new_pod = pods.iter().find(|p| p.revision == new && live(cluster, p));
                let old: Vec<PodId> = pods
                    .iter()
                    .filter(|p| p.revision != new && live(cluster, p))
                    .map(|p| p.pod)
                    .collect();
                match new_pod {
                    Some(np) if !old.is_empty() => {
                        if available(cluster, np) {
                            actions.delete.extend(old);
                        } else {
                            surging += 1;
                        }
                    }
                    None if !old.is_empty() => candidates.push(NodeId(i as u32)),
                    _ => {}
                }
            }
            for node in candidates {
                if surging >= max_surge {
                    break;
                }
                self.create(node, cluster, now, actions);
                surging += 1;
            }
        }
    }
}

/// Per pool of `pools`: the requests of the pods of the DaemonSets created by `now` that a new
/// node of the pool would run (the cluster autoscaler adds them to its node templates).
pub fn template_overhead(
    sets: &[DaemonSetController],
    pools: impl Iterator<Item = PoolId>,
    cluster: &ClusterState,
    now: SimTime,
) -> Vec<Resources> {
    pools
        .map(|pool| {
            let mut r = Resources::ZERO;
            for d in sets.iter().filter(|d| now >= d.start) {
                if d.pool_runs(pool, cluster) {
                    r += d.revisions[d.update_revision as usize].requests;
                }
            }
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::labels::Interner;

    #[test]
    fn daemon_tolerations_are_added_once_and_replace_matching_ones() {
        let mut interner = Interner::default();
        let key = interner.intern("node.kubernetes.io/unreachable");
        let empty = interner.intern("");
        let mut tolerations = vec![Toleration {
            key: Some(key),
            operator: TolerationOperator::Exists,
            value: empty,
            effect: Some(TaintEffect::NoExecute),
            toleration_ms: Some(60_000),
        }];
        daemon_tolerations(&mut tolerations, &mut |s| interner.intern(s));
        assert_eq!(tolerations.len(), 6);
        // The given unreachable toleration loses its 60 s (replaced in place).
        assert_eq!(tolerations[0].key, Some(key));
        assert!(tolerations.iter().all(|t| t.toleration_ms.is_none()));
        let unschedulable = interner.intern("node.kubernetes.io/unschedulable");
        assert!(
            tolerations
                .iter()
                .any(|t| t.key == Some(unschedulable) && t.effect == Some(TaintEffect::NoSchedule))
        );
        daemon_tolerations(&mut tolerations, &mut |s| interner.intern(s));
        assert_eq!(tolerations.len(), 6);
    }
}

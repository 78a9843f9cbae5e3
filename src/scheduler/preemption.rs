//! DefaultPreemption, the PostFilter that runs when a pod fits no node
//! (pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go,
//! pkg/scheduler/framework/preemption/preemption.go), and the nominated-pod bookkeeping it needs
//! (pkg/scheduler/backend/queue/nominator.go, `addNominatedPods` in the framework runtime).
//!
//! One preemption attempt for a pod that failed its scheduling cycle:
//! 1. **Eligibility**: not with `preemptionPolicy: Never`; not while the node it was nominated to
//!    still holds a lower-priority pod being deleted by an earlier preemption (unless the
//!    filters now reject that node as unresolvable).
//! 2. **Candidates**: nodes whose filter status is `Unschedulable` (not `Unresolvable`), visited
//!    from a random offset; the dry run stops once `numCandidates = clamp(n × 10% , ≥ 100, ≤ n)`
//!    candidates are found, at least one of them without PDB violations ([`victims`]).
//! 3. **Node choice** by upstream's ordered criteria ([`pick`]).
//! 4. The engine then deletes the victims (each keeps running and holding its resources for its
//!    `terminationGracePeriodSeconds`), nominates the node to the preemptor, clears the
//!    nominations of lower-priority pods to that node, and parks the preemptor; it is retried
//!    when the victims are gone and tries its nominated node first (`evaluateNominatedNode`).
//!
//! While pods are nominated, every scheduling decision for a pod P (and any preemption it
//! triggers) runs with the nominated pods of priority ≥ P's added to their nominated nodes
//! (`addNominatedPods`), so lower-priority pods cannot take the room freed for a preemptor.
//! They are added through `ClusterState::attach` and removed afterwards, so every plugin sees
//! them. Simplified: upstream adds them for filtering only (two passes, with and without them,
//! which matters for inter-pod affinity) and scores on the real nodes; here scoring sees them
//! too. Lower-priority pods that lose their nomination stay in the queue where they are
//! (upstream moves them to the active queue).
//!
//! The random offset comes from a dedicated stream ([`Stream::Preemption`]), as upstream draws
//! it from its own source, so enabling preemption does not shift the scheduler's tie-breaks.

pub mod pick;
pub mod victims;

use super::Scheduler;
use super::plugins::FilterFailure;
use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
use crate::cluster::pod::{DisruptionReason, Owner, PodId, PreemptionPolicy};
use crate::disruption::pdb::{OwnerScale, PodDisruptionBudget};
use crate::engine::rng::{SimRng, Stream, stream};
use crate::error::Error;
use crate::scenario::spec::SchedulerSpec;
use rand::Rng;
use std::collections::BTreeMap;
use victims::{Candidate, select_victims_on_node};

/// Name of the plugin in scheduler configurations.
pub const DEFAULT_PREEMPTION: &str = "DefaultPreemption";
/// Default `minCandidateNodesPercentage` [%].
pub const DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE: u32 = 10;
/// Default `minCandidateNodesAbsolute` [nodes].
pub const DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE: u32 = 100;

/// `DefaultPreemptionArgs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultPreemptionArgs {
    /// Candidates to find, as a percentage of the potential nodes (0..=100).
    pub min_candidate_nodes_percentage: u32,
    /// Candidates to find at least [nodes].
    pub min_candidate_nodes_absolute: u32,
}

impl Default for DefaultPreemptionArgs {
    fn default() -> Self {
        DefaultPreemptionArgs {
            min_candidate_nodes_percentage: DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE,
            min_candidate_nodes_absolute: DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE,
        }
    }
}

impl DefaultPreemptionArgs {
    /// `calculateNumCandidates`: `n × percentage / 100`, at least the absolute minimum, at most
    /// `n`.
    pub fn num_candidates(&self, potential_nodes: usize) -> usize {
        (potential_nodes * self.min_candidate_nodes_percentage as usize / 100)
            .max(self.min_candidate_nodes_absolute as usize)
            .min(potential_nodes)
    }
}

/// The DefaultPreemption settings of a scheduler block: `None` when `plugins.postFilter`
/// disables it. It is enabled by default for every scheduler (the built-in profile, the
/// baselines and registered ones), as it is part of upstream's default profile.
pub fn from_spec(spec: &SchedulerSpec) -> Result<Option<DefaultPreemptionArgs>, Error> {
    let set = &spec.plugins.post_filter;
    let field = "scheduler.plugins.postFilter";
    let check = |list: &str, i: usize, name: &str, weight: Option<i64>| {
        if !(name == DEFAULT_PREEMPTION || list == "disabled" && name == "*") {
            return Err(Error::scenario(
                format!("{field}.{list}[{i}].name"),
                format!("unknown plugin {name:?}; expected {DEFAULT_PREEMPTION}"),
            ));
        }
        if weight.is_some() {
            return Err(Error::scenario(
                format!("{field}.{list}[{i}].weight"),
                "PostFilter plugins have no weight",
            ));
        }
        Ok(())
    };
    for (i, p) in set.disabled.iter().enumerate() {
        check("disabled", i, &p.name, p.weight)?;
    }
    for (i, p) in set.enabled.iter().enumerate() {
        check("enabled", i, &p.name, p.weight)?;
    }
    let enabled = !set.enabled.is_empty() || set.disabled.is_empty();
    let mut args = DefaultPreemptionArgs::default();
    for (i, pc) in spec.plugin_config.iter().enumerate() {
        let f = format!("scheduler.pluginConfig[{i}].args");
        let (pct, abs) = (
            pc.args.min_candidate_nodes_percentage,
            pc.args.min_candidate_nodes_absolute,
        );
        if pc.name != DEFAULT_PREEMPTION {
            if pct.is_some() || abs.is_some() {
                return Err(Error::scenario(
                    f,
                    "minCandidateNodes* are DefaultPreemption arguments",
                ));
            }
            continue;
        }
        if pc.args.scoring_strategy.is_some() || pc.args.resources.is_some() {
            return Err(Error::scenario(
                f,
                "DefaultPreemption takes only minCandidateNodesPercentage and \
                 minCandidateNodesAbsolute",
            ));
        }
        if let Some(p) = pct {
            args.min_candidate_nodes_percentage =
                u32::try_from(p).ok().filter(|p| *p <= 100).ok_or_else(|| {
                    Error::scenario(
                        format!("{f}.minCandidateNodesPercentage"),
                        format!("{p} out of range; expected 0..=100"),
                    )
                })?;
        }
        if let Some(a) = abs {
            args.min_candidate_nodes_absolute = u32::try_from(a).map_err(|_| {
                Error::scenario(
                    format!("{f}.minCandidateNodesAbsolute"),
                    format!("{a} out of range; expected a non-negative integer"),
                )
            })?;
        }
        if args.min_candidate_nodes_percentage == 0 && args.min_candidate_nodes_absolute == 0 {
            return Err(Error::scenario(
                f,
                "minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be 0",
            ));
        }
    }
    Ok(enabled.then_some(args))
}

/// The result of one preemption attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The pod may not preempt now (policy Never, or its earlier victims are still
    /// terminating); its nomination is kept.
    NotEligible,
    /// No node can be freed for it; its nomination is cleared.
    NoCandidate,
    /// Delete these victims and nominate the node.
    Preempted(Candidate),
}

/// Preemption state owned by the engine: settings, random stream, nominations, and a count of
/// bound pods per priority (to skip preemption cheaply when no pod could be a victim).
pub struct Preemption {
    /// Settings.
    pub args: DefaultPreemptionArgs,
    /// With several scheduler profiles: the settings per profile index (`None`: the profile
    /// disables DefaultPreemption). Empty: `args` applies to every pod.
    pub profile_args: Vec<Option<DefaultPreemptionArgs>>,
    rng: SimRng,
    /// Pods with a nominated node (few: nominations last until the preemptor binds).
    nominated: Vec<PodId>,
    /// Bound (node-holding) pods per priority.
    bound_priorities: BTreeMap<i32, u32>,
    statuses: Vec<Result<(), FilterFailure>>,
    /// Nominated pods currently added to their nodes by [`Preemption::add_nominated_pods`].
    added: Vec<(PodId, NodeId)>,
    saved_epoch: u64,
    /// PostFilter runs that got as far as the filter statuses and a dry run.
    pub dry_runs: u64,
    /// Nodes visited by those dry runs (`select_victims_on_node` calls).
    pub nodes_dry_run: u64,
}

impl Preemption {
    /// Preemption with `args`, drawing from the preemption stream of master seed `seed`.
    pub fn new(args: DefaultPreemptionArgs, seed: u64) -> Self {
        Preemption {
            args,
            profile_args: Vec::new(),
            rng: stream(seed, Stream::Preemption),
            nominated: Vec::new(),
            bound_priorities: BTreeMap::new(),
            statuses: Vec::new(),
            added: Vec::new(),
            saved_epoch: 0,
            dry_runs: 0,
            nodes_dry_run: 0,
        }
    }

    /// Records that a pod of `priority` was bound to a node.
    pub fn on_bound(&mut self, priority: i32) {
        *self.bound_priorities.entry(priority).or_insert(0) += 1;
    }

    /// Records that a bound pod of `priority` left its node.
    pub fn on_unbound(&mut self, priority: i32) {
        if let Some(n) = self.bound_priorities.get_mut(&priority) {
            *n -= 1;
            if *n == 0 {
                self.bound_priorities.remove(&priority);
            }
        }
    }

    /// Whether any pod is nominated.
    pub fn has_nominations(&self) -> bool {
        !self.nominated.is_empty()
    }

    /// The pods nominated to `node`.
    pub fn nominated_to<'a>(
        &'a self,
        node: NodeId,
        cluster: &'a ClusterState,
    ) -> impl Iterator<Item = PodId> + 'a {
        self.nominated
            .iter()
            .copied()
            .filter(move |&p| cluster.pods[p.0 as usize].nominated_node == Some(node))
    }

    /// Nominates `node` for `pod` (`status.nominatedNodeName`).
    pub fn nominate(&mut self, pod: PodId, node: NodeId, cluster: &mut ClusterState) {
        self.clear_nomination(pod, cluster);
        cluster.pods[pod.0 as usize].nominated_node = Some(node);
        self.nominated.push(pod);
    }

    /// Clears `pod`'s nomination, if any (when it binds, is deleted, or finds no candidate).
    pub fn clear_nomination(&mut self, pod: PodId, cluster: &mut ClusterState) {
        if cluster.pods[pod.0 as usize].nominated_node.take().is_some() {
            self.nominated.retain(|&p| p != pod);
        }
    }

    /// Clears the nominations to `node` of pods with priority below `priority`
    /// (`getLowerPriorityNominatedPods` + `clearNominatedNodeName`).
    pub fn clear_lower_priority_nominations(
        &mut self,
        node: NodeId,
        priority: i32,
        cluster: &mut ClusterState,
    ) {
        self.nominated.retain(|&p| {
            let pod = &mut cluster.pods[p.0 as usize];
            let lower = pod.nominated_node == Some(node) && pod.priority < priority;
            if lower {
                pod.nominated_node = None;
            }
            !lower
        });
    }

    /// Adds the nominated pods of priority ≥ `pod`'s (other than `pod`) to their nominated nodes
    /// for the duration of one decision; undo with [`Preemption::remove_nominated_pods`].
    pub fn add_nominated_pods(&mut self, pod: PodId, cluster: &mut ClusterState) {
        debug_assert!(self.added.is_empty());
        if self.nominated.is_empty() {
            return;
        }
        self.saved_epoch = cluster.capacity_epoch;
        let priority = cluster.pods[pod.0 as usize].priority;
        for &other in &self.nominated {
            let o = &cluster.pods[other.0 as usize];
            if other == pod || o.priority < priority {
                continue;
            }
            if let Some(node) = o.nominated_node
                && cluster.nodes[node.0 as usize].is_alive()
            {
                cluster.attach(other, node);
                self.added.push((other, node));
            }
        }
    }

    /// Removes what [`Preemption::add_nominated_pods`] added (in reverse, so every node's pod
    /// order is restored) and restores the capacity epoch.
    pub fn remove_nominated_pods(&mut self, cluster: &mut ClusterState) {
        if self.added.is_empty() {
            return;
        }
        while let Some((pod, node)) = self.added.pop() {
            cluster.detach(pod, node);
        }
        cluster.capacity_epoch = self.saved_epoch;
    }

    /// The DefaultPreemption settings that apply to `pod`, or `None` when it may not preempt
    /// (`preemptionPolicy: Never`, or its profile has no PostFilter plugin).
    fn args_for(&self, pod: PodId, cluster: &ClusterState) -> Option<DefaultPreemptionArgs> {
        let t = &cluster.templates[cluster.pods[pod.0 as usize].template.0 as usize];
        if t.preemption_policy == PreemptionPolicy::Never {
            return None;
        }
        if self.profile_args.is_empty() {
            return Some(self.args);
        }
        // `None`: the pod's profile has no PostFilter plugin.
        self.profile_args
            .get(t.scheduler_profile as usize)
            .copied()
            .flatten()
    }

    /// Whether PostFilter would look for preemption candidates for `pod` at some point: its
    /// template and profile allow it (a function of the template only).
    pub fn may_preempt(&self, pod: PodId, cluster: &ClusterState) -> bool {
        self.args_for(pod, cluster).is_some()
    }

    /// Whether a failed attempt of `pod` would now make PostFilter compute the filter statuses
    /// of every node and dry-run the `Unschedulable` ones (the pod may preempt and some bound
    /// pod has a lower priority).
    pub fn would_dry_run(&self, pod: PodId, cluster: &ClusterState) -> bool {
        self.may_preempt(pod, cluster)
            && self.lower_priority_bound(cluster.pods[pod.0 as usize].priority)
    }

    /// Whether some bound pod has a lower priority than `priority`; otherwise no node can
    /// yield a victim (upstream would find every node without victims, hence no candidate).
    fn lower_priority_bound(&self, priority: i32) -> bool {
        self.bound_priorities
            .keys()
            .next()
            .is_some_and(|&lowest| lowest < priority)
    }

    /// [`Preemption::post_filter`] for a pod without a nomination that is known to have no
    /// candidate on any node, `potential` nodes having the filter status `Unschedulable`
    /// (`scheduler::retry_memo`): the same outcome and the same random draw, without the
    /// filter statuses and the dry run.
    pub fn post_filter_without_candidates(
        &mut self,
        pod: PodId,
        cluster: &ClusterState,
        potential: usize,
    ) -> Outcome {
        debug_assert!(cluster.pods[pod.0 as usize].nominated_node.is_none());
        if self.args_for(pod, cluster).is_none() {
            return Outcome::NotEligible;
        }
        if !self.lower_priority_bound(cluster.pods[pod.0 as usize].priority) || potential == 0 {
            return Outcome::NoCandidate;
        }
        // The dry run's random offset, drawn as `post_filter` draws it.
        let _offset: usize = self.rng.random_range(0..potential);
        Outcome::NoCandidate
    }

    /// One preemption attempt for `pod`, which just failed to schedule (PostFilter). The
    /// cluster is left unchanged; the caller carries out a [`Outcome::Preempted`] result.
    /// `scale_of` gives the scale of a pod's owner for the PDBs' arithmetic.
    pub fn post_filter(
        &mut self,
        pod: PodId,
        cluster: &mut ClusterState,
        scheduler: &mut dyn Scheduler,
        pdbs: &[PodDisruptionBudget],
        scale_of: &dyn Fn(Owner) -> OwnerScale,
    ) -> Outcome {
        let Some(args) = self.args_for(pod, cluster) else {
            return Outcome::NotEligible;
        };
        let p = &cluster.pods[pod.0 as usize];
        let (priority, nominated) = (p.priority, p.nominated_node);
        if !self.lower_priority_bound(priority) {
            return Outcome::NoCandidate;
        }
        self.dry_runs += 1;
        scheduler.filter_statuses(pod, cluster, &mut self.statuses);
        if let Some(node) = nominated {
            let status = cluster
                .live_nodes
                .iter()
                .position(|&n| n == node)
                .map(|i| self.statuses[i]);
            if !eligible_with_nomination(priority, node, status, cluster) {
                return Outcome::NotEligible;
            }
        }
        let potential: Vec<NodeId> = cluster
            .live_nodes
            .iter()
            .zip(&self.statuses)
            .filter(|(_, s)| matches!(s, Err(FilterFailure::Unschedulable(_))))
            .map(|(&n, _)| n)
            .collect();
        if potential.is_empty() {
            return Outcome::NoCandidate;
        }
        let allowed: Vec<u32> = pdbs
            .iter()
            .map(|b| b.disruptions_allowed(&b.observe(cluster, scale_of)))
            .collect();
        let offset = self.rng.random_range(0..potential.len());
        let wanted = args.num_candidates(potential.len());
        let mut candidates = dry_run(
            pod,
            &potential,
            offset,
            wanted,
            cluster,
            scheduler,
            pdbs,
            &allowed,
            &mut self.nodes_dry_run,
        );
        match candidates.len() {
            0 => Outcome::NoCandidate,
            1 => Outcome::Preempted(candidates.remove(0)),
            _ => {
                let best = pick::pick_one_node_for_preemption(&candidates, cluster);
                Outcome::Preempted(candidates.swap_remove(best))
            }
        }
    }
}

/// The nominated-node part of `PodEligibleToPreemptOthers`: a pod of `priority` nominated to
/// `node` may preempt again unless that node still holds a lower-priority pod being deleted by
/// preemption; but always when the node's filter `status` is now unresolvable.
pub fn eligible_with_nomination(
    priority: i32,
    node: NodeId,
    status: Option<Result<(), FilterFailure>>,
    cluster: &ClusterState,
) -> bool {
    if matches!(status, Some(Err(FilterFailure::Unresolvable(_)))) {
        return true;
    }
    let n = &cluster.nodes[node.0 as usize];
    !(n.is_alive()
        && n.pods.iter().any(|&v| {
            let v = &cluster.pods[v.0 as usize];
            v.priority < priority
                && v.is_terminating()
                && v.disruption == Some(DisruptionReason::PreemptionByScheduler)
        }))
}

/// `DryRunPreemption`, sequentially: visits the potential nodes from `offset` and stops once
/// `wanted` candidates are found, at least one without PDB violations. Candidates without
/// violations come first, each group in visiting order (each list holds at most `wanted`).
#[allow(clippy::too_many_arguments)]
fn dry_run(
    pod: PodId,
    potential: &[NodeId],
    offset: usize,
    wanted: usize,
    cluster: &mut ClusterState,
    scheduler: &mut dyn Scheduler,
    pdbs: &[PodDisruptionBudget],
    allowed: &[u32],
    nodes_dry_run: &mut u64,
) -> Vec<Candidate> {
    let (mut clean, mut violating) = (Vec::new(), Vec::new());
    for i in 0..potential.len() {
        let node = potential[(offset + i) % potential.len()];
        *nodes_dry_run += 1;
        let Some(c) = select_victims_on_node(pod, node, cluster, scheduler, pdbs, allowed) else {
            continue;
        };
        let list = if c.pdb_violations == 0 {
            &mut clean
        } else {
            &mut violating
        };
        if list.len() < wanted {
            list.push(c);
        }
        if !clean.is_empty() && clean.len() + violating.len() >= wanted {
            break;
        }
    }
    clean.append(&mut violating);
    clean
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cluster::NewPod;
    use crate::cluster::labels::Labels;
    use crate::cluster::node::NodePool;
    use crate::cluster::pod::{PodName, PodTemplate};
    use crate::cluster::resources::Resources;
    use crate::disruption::pdb::Budget;
    use crate::engine::time::SimTime;
    use crate::scheduler::Decision;
    use crate::scheduler::framework::Framework;

    /// A small hand-built cluster with the default profile's filters.
    pub(crate) struct TestCluster {
        pub c: ClusterState,
        pub scheduler: Framework,
        nodes: Vec<NodeId>,
        templates: BTreeMap<String, crate::cluster::pod::TemplateId>,
    }

    impl TestCluster {
        /// Nodes with the given cpu [millicores] (64 GiB memory, 110 pods each).
        pub fn new(cpus: &[u64]) -> Self {
            let mut c = ClusterState::default();
            let pool = c.add_pool(NodePool::for_tests(Resources::ZERO));
            c.add_name_prefix("pod-");
            let nodes = cpus
                .iter()
                .enumerate()
                .map(|(i, &cpu)| {
                    let alloc = Resources {
                        cpu_milli: cpu,
                        memory_bytes: 64 << 30,
                        gpu_milli: 0,
                        pods: 110,
                    };
                    c.add_node(pool, format!("n{i}"), Some(alloc), SimTime::ZERO)
                })
                .collect();
            let scheduler =
                crate::scheduler::build_profile(&SchedulerSpec::default(), &mut c).unwrap();
            TestCluster {
                c,
                scheduler,
                nodes,
                templates: BTreeMap::new(),
            }
        }

        /// The template of pods labelled `app=<app>` (no labels for "").
        pub fn template(&mut self, app: &str) -> crate::cluster::pod::TemplateId {
            if let Some(&t) = self.templates.get(app) {
                return t;
            }
            let labels = if app.is_empty() {
                Labels::default()
            } else {
                let (k, v) = (self.c.interner.intern("app"), self.c.interner.intern(app));
                Labels::new(vec![(k, v)])
            };
            let t = self.c.add_template(PodTemplate {
                labels,
                ..Default::default()
            });
            self.templates.insert(app.to_owned(), t);
            t
        }

        fn new_pod(&mut self, cpu: u64, priority: i32, app: &str) -> NewPod {
            let template = self.template(app);
            let ordinal = self.c.pods.len() as u32;
            let mut p = NewPod::bare(
                PodName {
                    prefix: 0,
                    ordinal,
                    width: 0,
                },
                Resources::cpu_mem(cpu, 1 << 20),
                template,
            );
            p.priority = priority;
            p
        }

        /// A pod bound to node `node` at `start` [ms].
        pub fn bound(
            &mut self,
            node: usize,
            cpu: u64,
            priority: i32,
            start: u64,
            app: &str,
        ) -> PodId {
            let new = self.new_pod(cpu, priority, app);
            let id = self.c.create_pod(new, SimTime::ZERO);
            self.c.bind(id, self.nodes[node], SimTime(start));
            id
        }

        /// A pending pod.
        pub fn pending(&mut self, cpu: u64, priority: i32) -> PodId {
            let new = self.new_pod(cpu, priority, "");
            self.c.create_pod(new, SimTime(1_000_000))
        }

        /// Victims of `pod` on node index `node`.
        pub fn victims(
            &mut self,
            pod: PodId,
            node: usize,
            pdbs: &[PodDisruptionBudget],
            allowed: &[u32],
        ) -> Option<Candidate> {
            select_victims_on_node(
                pod,
                self.nodes[node],
                &mut self.c,
                &mut self.scheduler,
                pdbs,
                allowed,
            )
        }

        /// A preemption engine that knows the bound pods.
        pub fn preemption(&self) -> Preemption {
            let mut p = Preemption::new(DefaultPreemptionArgs::default(), 1);
            for pod in self.c.pods.iter().filter(|p| p.node.is_some()) {
                p.on_bound(pod.priority);
            }
            p
        }

        /// One PostFilter run without PDBs.
        pub fn post_filter(&mut self, p: &mut Preemption, pod: PodId) -> Outcome {
            p.post_filter(pod, &mut self.c, &mut self.scheduler, &[], &|_| {
                OwnerScale::Unmanaged
            })
        }
    }

    /// A PDB over pods labelled `app=<app>`.
    pub(crate) fn pdb(c: &mut ClusterState, app: &str, budget: Budget) -> PodDisruptionBudget {
        PodDisruptionBudget {
            name: app.into(),
            selector: crate::cluster::pod_affinity::LabelSelector {
                match_labels: vec![(c.interner.intern("app"), c.interner.intern(app))],
                match_expressions: Vec::new(),
            },
            budget,
        }
    }

    #[test]
    fn num_candidates_clamps_as_upstream() {
        // default_preemption_test.go TestCalculateNumCandidates shapes.
        let a = DefaultPreemptionArgs::default();
        assert_eq!(a.num_candidates(10), 10, "at most the nodes");
        assert_eq!(a.num_candidates(1000), 100, "absolute minimum");
        assert_eq!(a.num_candidates(5000), 500, "10%");
        let b = DefaultPreemptionArgs {
            min_candidate_nodes_percentage: 40,
            min_candidate_nodes_absolute: 50,
        };
        assert_eq!(b.num_candidates(1000), 400);
        assert_eq!(b.num_candidates(100), 50);
    }

    #[test]
    fn never_policy_is_not_eligible() {
        let mut t = TestCluster::new(&[2000]);
        t.bound(0, 2000, 0, 0, "a");
        let pod = t.pending(1000, 100);
        let mut p = t.preemption();
        assert!(matches!(t.post_filter(&mut p, pod), Outcome::Preempted(_)));
        let template = t.c.pods[pod.0 as usize].template;
        t.c.templates[template.0 as usize].preemption_policy = PreemptionPolicy::Never;
        assert_eq!(t.post_filter(&mut p, pod), Outcome::NotEligible);
    }

    #[test]
    fn terminating_victims_on_the_nominated_node_block_a_new_preemption() {
        let mut t = TestCluster::new(&[2000, 2000]);
        let v = t.bound(0, 2000, 0, 0, "a");
        t.bound(1, 2000, 0, 0, "a");
        let pod = t.pending(1000, 100);
        let mut p = t.preemption();
        p.nominate(pod, NodeId(0), &mut t.c);
        assert!(matches!(t.post_filter(&mut p, pod), Outcome::Preempted(_)));
        t.c.begin_deletion(v, SimTime(1), DisruptionReason::PreemptionByScheduler);
        assert_eq!(t.post_filter(&mut p, pod), Outcome::NotEligible);
        // An unresolvable nominated node does not block (e.g. it was cordoned).
        t.c.set_unschedulable(NodeId(0), true);
        assert!(matches!(
            t.post_filter(&mut p, pod),
            Outcome::Preempted(Candidate {
                node: NodeId(1),
                ..
            })
        ));
        // Without lower-priority pods anywhere there is no candidate.
        let top = t.pending(1000, -5);
        assert_eq!(t.post_filter(&mut p, top), Outcome::NoCandidate);
    }

    #[test]
    fn only_unschedulable_nodes_are_candidates() {
        // Node 0 is cordoned (unresolvable for the pod) although it has a victim; node 1 has
        // one too. The pod requests more than node 2's whole allocatable (unresolvable).
        let mut t = TestCluster::new(&[4000, 4000, 1000]);
        t.bound(0, 4000, 0, 0, "a");
        t.bound(1, 4000, 0, 0, "a");
        t.bound(2, 1000, 0, 0, "a");
        t.c.set_unschedulable(NodeId(0), true);
        let pod = t.pending(3000, 10);
        let mut p = t.preemption();
        for _ in 0..10 {
            match t.post_filter(&mut p, pod) {
                Outcome::Preempted(c) => assert_eq!(c.node, NodeId(1)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn picks_the_node_with_the_cheapest_victims() {
        // Node 0: a priority-5 pod; node 1: two priority-1 pods (lower highest priority wins).
        let mut t = TestCluster::new(&[2000, 2000]);
        t.bound(0, 2000, 5, 0, "a");
        let v1 = t.bound(1, 1000, 1, 0, "a");
        let v2 = t.bound(1, 1000, 1, 1, "a");
        let pod = t.pending(2000, 10);
        let mut p = t.preemption();
        assert_eq!(
            t.post_filter(&mut p, pod),
            Outcome::Preempted(Candidate {
                node: NodeId(1),
                victims: vec![v1, v2],
                pdb_violations: 0
            })
        );
    }

    #[test]
    fn avoids_nodes_whose_victims_violate_a_pdb() {
        // Node 0 holds app=db pods covered by a PDB with no disruption left; node 1 holds
        // unprotected pods of higher priority. Fewest violations wins over lower priority.
        let mut t = TestCluster::new(&[2000, 2000]);
        t.bound(0, 2000, 0, 0, "db");
        let web = t.bound(1, 2000, 5, 0, "web");
        let pod = t.pending(2000, 10);
        let budget = pdb(
            &mut t.c,
            "db",
            Budget::MinAvailable(crate::disruption::pdb::IntOrPercent::Int(1)),
        );
        let mut p = t.preemption();
        let out = p.post_filter(pod, &mut t.c, &mut t.scheduler, &[budget], &|_| {
            OwnerScale::Unmanaged
        });
        assert_eq!(
            out,
            Outcome::Preempted(Candidate {
                node: NodeId(1),
                victims: vec![web],
                pdb_violations: 0
            })
        );
    }

    #[test]
    fn dry_run_stops_after_enough_candidates_with_one_clean() {
        let mut t = TestCluster::new(&[1000; 6]);
        for n in 0..6 {
            t.bound(n, 1000, 0, 0, if n < 3 { "db" } else { "web" });
        }
        let pod = t.pending(1000, 10);
        let budget = pdb(
            &mut t.c,
            "db",
            Budget::MinAvailable(crate::disruption::pdb::IntOrPercent::Int(3)),
        );
        let potential: Vec<NodeId> = (0..6).map(NodeId).collect();
        let s = &mut t.scheduler;
        // Want 2 from offset 0: nodes 0..2 only violate, node 3 is clean -> stop there.
        let cs = dry_run(
            pod,
            &potential,
            0,
            2,
            &mut t.c,
            s,
            std::slice::from_ref(&budget),
            &[0],
            &mut 0,
        );
        let nodes: Vec<u32> = cs.iter().map(|c| c.node.0).collect();
        assert_eq!(
            nodes,
            vec![3, 0, 1],
            "clean first; violating list capped at 2"
        );
        // From offset 3: two clean candidates are enough.
        let mut visited = 0;
        let cs = dry_run(
            pod,
            &potential,
            3,
            2,
            &mut t.c,
            s,
            &[budget],
            &[0],
            &mut visited,
        );
        assert_eq!(visited, 2, "stops at the second clean candidate");
        let nodes: Vec<u32> = cs.iter().map(|c| c.node.0).collect();
        assert_eq!(nodes, vec![3, 4]);
    }

    #[test]
    fn nominated_pods_hold_their_room_for_lower_priority_pods_only() {
        let mut t = TestCluster::new(&[2000]);
        let preemptor = t.pending(2000, 100);
        let low = t.pending(1000, 0);
        let high = t.pending(1000, 200);
        let mut p = t.preemption();
        p.nominate(preemptor, NodeId(0), &mut t.c);
        let (epoch, totals) = (t.c.capacity_epoch, t.c.totals);
        // The fused kernel (this profile's fast path) caches per node version: the what-if
        // must invalidate it both ways.
        assert!(t.scheduler.is_fused());
        let mut rng = stream(1, Stream::Scheduler);
        let bind = Decision::Bind(NodeId(0));
        assert_eq!(t.scheduler.schedule(low, &t.c, &mut rng), bind);
        p.add_nominated_pods(low, &mut t.c);
        assert!(!t.scheduler.feasible(low, NodeId(0), &t.c), "room held");
        assert_eq!(
            t.scheduler.schedule(low, &t.c, &mut rng),
            Decision::Unschedulable
        );
        p.remove_nominated_pods(&mut t.c);
        assert_eq!(t.scheduler.schedule(low, &t.c, &mut rng), bind);
        assert_eq!((t.c.capacity_epoch, t.c.totals), (epoch, totals));
        assert!(t.c.nodes[0].pods.is_empty());
        p.add_nominated_pods(high, &mut t.c);
        assert!(
            t.scheduler.feasible(high, NodeId(0), &t.c),
            "higher priority ignores it"
        );
        p.remove_nominated_pods(&mut t.c);
        // Lower-priority nominations to a node are cleared by a higher-priority preemption.
        p.nominate(low, NodeId(0), &mut t.c);
        p.clear_lower_priority_nominations(NodeId(0), 100, &mut t.c);
        assert_eq!(t.c.pods[low.0 as usize].nominated_node, None);
        assert_eq!(
            t.c.pods[preemptor.0 as usize].nominated_node,
            Some(NodeId(0))
        );
        p.clear_nomination(preemptor, &mut t.c);
        assert!(!p.has_nominations());
    }

    #[test]
    fn post_filter_config_from_the_scheduler_block() {
        use crate::scenario::spec::{PluginArgs, PluginConfigSpec, PluginRef};
        let mut spec = SchedulerSpec::default();
        assert_eq!(
            from_spec(&spec).unwrap(),
            Some(DefaultPreemptionArgs::default())
        );
        spec.plugins.post_filter.disabled = vec![PluginRef {
            name: "*".into(),
            weight: None,
        }];
        assert_eq!(from_spec(&spec).unwrap(), None);
        spec.plugins.post_filter.enabled = vec![PluginRef {
            name: DEFAULT_PREEMPTION.into(),
            weight: None,
        }];
        spec.plugin_config = vec![PluginConfigSpec {
            name: DEFAULT_PREEMPTION.into(),
            args: PluginArgs {
                min_candidate_nodes_percentage: Some(20),
                min_candidate_nodes_absolute: Some(5),
                ..Default::default()
            },
        }];
        assert_eq!(
            from_spec(&spec).unwrap(),
            Some(DefaultPreemptionArgs {
                min_candidate_nodes_percentage: 20,
                min_candidate_nodes_absolute: 5
            })
        );
        spec.plugin_config[0].args.min_candidate_nodes_percentage = Some(101);
        assert!(from_spec(&spec).is_err());
        spec.plugin_config[0].args.min_candidate_nodes_percentage = Some(0);
        spec.plugin_config[0].args.min_candidate_nodes_absolute = Some(0);
        assert!(from_spec(&spec).is_err());
        spec.plugins.post_filter.enabled[0].name = "Other".into();
        assert!(from_spec(&spec).is_err());
    }
}

//! Several scheduling profiles in one scheduler, as kube-scheduler runs them: one scheduling
//! queue (sorted by the one queueSort plugin all profiles share), one framework instance per
//! profile, and each pod handled by the profile its `spec.schedulerName` names
//! (pkg/scheduler/scheduler.go `frameworkForPod`, pkg/scheduler/profile/profile.go).
//!
//! A pod's profile is resolved once per template ([`PodTemplate::scheduler_profile`]); a pod
//! whose name matches no profile gets [`NO_PROFILE`] and is never queued (upstream's event
//! handlers only queue pods some profile is responsible for), so it stays Pending.
//!
//! [`PodTemplate::scheduler_profile`]: crate::cluster::pod::PodTemplate::scheduler_profile

use super::explain::NodeExplanation;
use super::plugins::FilterFailure;
use super::preemption::{DefaultPreemptionArgs, from_spec};
use super::{Decision, Registry, Scheduler};
use crate::cluster::ClusterState;
use crate::cluster::node::NodeId;
pub use crate::cluster::pod::NO_PROFILE;
use crate::cluster::pod::PodId;
use crate::engine::rng::SimRng;
use crate::error::Result;
use crate::scenario::scheduler_config::{lower_all, profile_names};
use crate::scenario::spec::SchedulerSpec;

/// Several profiles behind one [`Scheduler`]: each call goes to the pod's profile.
pub struct Profiles {
    name: String,
    profiles: Vec<Box<dyn Scheduler>>,
}

impl Profiles {
    /// Profiles in the order of their indices ([`PodTemplate::scheduler_profile`]); the name
    /// shown in outputs joins theirs with `+`.
    ///
    /// [`PodTemplate::scheduler_profile`]: crate::cluster::pod::PodTemplate::scheduler_profile
    pub fn new(names: &[String], profiles: Vec<Box<dyn Scheduler>>) -> Self {
        Profiles {
            name: names.join("+"),
            profiles,
        }
    }

    #[inline]
    fn of(&mut self, pod: PodId, cluster: &ClusterState) -> Option<&mut Box<dyn Scheduler>> {
        let t = cluster.pods[pod.0 as usize].template;
        let i = cluster.templates[t.0 as usize].scheduler_profile;
        self.profiles.get_mut(i as usize)
    }
}

impl Scheduler for Profiles {
    fn name(&self) -> &str {
        &self.name
    }

    fn schedule(&mut self, pod: PodId, cluster: &ClusterState, rng: &mut SimRng) -> Decision {
        match self.of(pod, cluster) {
            Some(s) => s.schedule(pod, cluster, rng),
            None => Decision::Unschedulable,
        }
    }

    fn explain_placement(
        &mut self,
        pod: PodId,
        cluster: &ClusterState,
    ) -> Option<Vec<NodeExplanation>> {
        self.of(pod, cluster)?.explain_placement(pod, cluster)
    }

    fn feasible(&mut self, pod: PodId, node: NodeId, cluster: &ClusterState) -> bool {
        self.of(pod, cluster)
            .is_some_and(|s| s.feasible(pod, node, cluster))
    }

    fn filter_statuses(
        &mut self,
        pod: PodId,
        cluster: &ClusterState,
        out: &mut Vec<std::result::Result<(), FilterFailure>>,
    ) {
        match self.of(pod, cluster) {
            Some(s) => s.filter_statuses(pod, cluster, out),
            None => {
                out.clear();
                out.extend(
                    cluster
                        .live_nodes
                        .iter()
                        .map(|_| Err(FilterFailure::Unresolvable("no scheduler profile"))),
                );
            }
        }
    }

    fn filter_statuses_on(
        &mut self,
        pod: PodId,
        nodes: &[NodeId],
        cluster: &ClusterState,
        out: &mut Vec<std::result::Result<(), FilterFailure>>,
    ) {
        match self.of(pod, cluster) {
            Some(s) => s.filter_statuses_on(pod, nodes, cluster, out),
            None => {
                out.clear();
                out.extend(
                    nodes
                        .iter()
                        .map(|_| Err(FilterFailure::Unresolvable("no scheduler profile"))),
                );
            }
        }
    }

    fn node_local_verdicts(&mut self, pod: PodId, cluster: &ClusterState) -> bool {
        self.of(pod, cluster)
            .is_some_and(|s| s.node_local_verdicts(pod, cluster))
    }

    fn first_feasible(
        &mut self,
        pod: PodId,
        nodes: &[NodeId],
        start: usize,
        cluster: &ClusterState,
        eligible: &dyn Fn(NodeId) -> bool,
    ) -> Option<usize> {
        self.of(pod, cluster)?
            .first_feasible(pod, nodes, start, cluster, eligible)
    }
}

/// The scheduler a scenario's `scheduler` block runs, with the DefaultPreemption settings of
/// each profile (`None`: disabled in that profile).
pub struct Built {
    /// The scheduler: the one profile's own, or a [`Profiles`] dispatcher.
    pub scheduler: Box<dyn Scheduler>,
    /// DefaultPreemption per profile index.
    pub preemption: Vec<Option<DefaultPreemptionArgs>>,
}

/// Builds the block's scheduler. A block without `profiles` is built exactly as before (one
/// scheduler from the registry by `name`); each profile is built with the registry's
/// `default-scheduler` factory from its lowered plugin lists. One profile runs without the
/// dispatcher.
pub fn build(
    spec: &SchedulerSpec,
    registry: &Registry,
    cluster: &mut ClusterState,
) -> Result<Built> {
    if spec.profiles.is_empty() {
        let preemption = from_spec(spec)?;
        let scheduler = registry.build(spec, cluster)?;
        return Ok(Built {
            scheduler,
            preemption: vec![preemption],
        });
    }
    crate::scenario::scheduler_config::check_inline(spec, "scheduler")?;
    let lowered = lower_all(spec, "scheduler.")?;
    let mut schedulers = Vec::with_capacity(lowered.len());
    let mut preemption = Vec::with_capacity(lowered.len());
    for (i, p) in lowered.iter().enumerate() {
        let context = |e: crate::error::Error| match e {
            crate::error::Error::Scenario {
                file,
                field,
                message,
            } => crate::error::Error::Scenario {
                file,
                field: format!("scheduler.profiles[{i}] ({}): {field}", p.name),
                message,
            },
            other => other,
        };
        preemption.push(from_spec(&p.spec).map_err(context)?);
        schedulers.push(registry.build(&p.spec, cluster).map_err(context)?);
    }
    let scheduler = if schedulers.len() == 1 {
        schedulers.pop().expect("one profile")
    } else {
        Box::new(Profiles::new(&profile_names(spec), schedulers))
    };
    Ok(Built {
        scheduler,
        preemption,
    })
}

/// The profile index of pods naming `scheduler_name` (`None` = `default-scheduler`) among
/// `names` ([`profile_names`]), or [`NO_PROFILE`].
pub fn profile_index(names: &[String], scheduler_name: Option<&str>) -> u32 {
    let wanted = scheduler_name.unwrap_or(super::DEFAULT_SCHEDULER);
    names
        .iter()
        .position(|n| n == wanted)
        .map_or(NO_PROFILE, |i| i as u32)
}

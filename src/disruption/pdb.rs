//! PodDisruptionBudgets: which pods a budget covers and how many of them may be disrupted now.
//!
//! The arithmetic follows the disruption controller (pkg/controller/disruption/disruption.go,
//! `getExpectedPodCount`, `getExpectedScale`, `countHealthyPods`, `updatePdbStatus`):
//! - `minAvailable: N` (integer): desiredHealthy = N, expectedCount = number of matching pods;
//! - `minAvailable: P%`: expectedCount = the controllers' scale, desiredHealthy =
//!   ⌈P% × scale⌉;
//! - `maxUnavailable` (N or P%, percentages rounded up against the scale): desiredHealthy =
//!   max(0, scale − maxUnavailable);
//! - `disruptionsAllowed = max(0, currentHealthy − desiredHealthy)`, and 0 when expectedCount is
//!   0 or the scale cannot be found.
//!
//! The scale is the sum of the replicas of the distinct Deployments owning matching pods. Bare
//! pods (no controller) are left out of it, as upstream does with unmanaged pods; a pod owned by
//! a controller without a scale (a Job) makes the controller fail safe (no disruption allowed).
//! A pod is healthy while it is ready and not being deleted
//! ([`crate::cluster::readiness::pod_is_ready`]).
//!
//! Simplified: the status is computed on demand from the current pods instead of by a
//! controller that lags behind (so a pod evicted through the eviction API is simply no longer
//! healthy, and `DisruptedPods` is not needed); pods on a node that went down are unhealthy at
//! once (upstream: when the node lifecycle controller marks them NotReady, after the grace
//! period).
//!
//! The selector is a full `metav1.LabelSelector` (`matchLabels` and `matchExpressions` with
//! In, NotIn, Exists, DoesNotExist, ANDed). As in policy/v1, an empty selector `{}` covers every
//! pod for the disruption controller and the eviction API (pkg/controller/disruption/
//! disruption.go `getPodsForPdb`, pkg/registry/core/pod/storage/eviction.go), but no pod for
//! preemption (pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go
//! `filterPodsWithPDBViolation`: "a PDB with a nil or empty selector matches nothing").

use crate::cluster::ClusterState;
use crate::cluster::labels::Labels;
use crate::cluster::pod::Owner;
use crate::cluster::pod_affinity::LabelSelector;
use crate::cluster::readiness::pod_is_ready;

/// An integer or a percentage (`intstr.IntOrString`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    /// An absolute number of pods.
    Int(u32),
    /// A percentage 0..=100 of the expected pods.
    Percent(u32),
}

impl IntOrPercent {
    /// The value against `total` (`GetScaledValueFromIntOrPercent`), percentages rounded up.
    pub fn scaled_round_up(self, total: u32) -> u32 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => (u64::from(p) * u64::from(total)).div_ceil(100) as u32,
        }
    }
}

/// The budget of a PDB: exactly one of `minAvailable` and `maxUnavailable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// At least this many matching pods must stay healthy.
    MinAvailable(IntOrPercent),
    /// At most this many of the expected pods may be unavailable.
    MaxUnavailable(IntOrPercent),
}

/// A PodDisruptionBudget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodDisruptionBudget {
    /// Name (for outputs).
    pub name: String,
    /// `selector`: `matchLabels` and `matchExpressions`, ANDed (empty: every pod, except for
    /// preemption, see [`PodDisruptionBudget::selects_for_preemption`]).
    pub selector: LabelSelector,
    /// The budget.
    pub budget: Budget,
}

/// What the disruption controller observes of one PDB's pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PdbObservation {
    /// Matching pods that exist (pending, running or terminating).
    pub pods: u32,
    /// Matching pods that are ready and not being deleted.
    pub healthy: u32,
    /// Sum of the scales of the matching pods' controllers; `None` when a matching pod's
    /// controller has no scale (the controller then fails safe).
    pub scale: Option<u32>,
}

/// The scale of a pod's owner, as the disruption controller's finders see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerScale {
    /// No controller (a bare pod): left out of the scale.
    Unmanaged,
    /// A controller with `replicas` (a Deployment), identified by its owner.
    Scale(u32),
    /// A controller without a scale subresource (a Job).
    NoScale,
}

impl PodDisruptionBudget {
    /// Whether the budget covers a pod with `labels` (disruption controller, eviction API,
    /// cluster autoscaler drain): an empty selector covers every pod.
    pub fn selects(&self, labels: &Labels) -> bool {
        self.selector.matches(labels)
    }

    /// Whether preemption counts the budget for a pod with `labels`: as
    /// [`PodDisruptionBudget::selects`], but an empty selector covers no pod
    /// (default_preemption.go `filterPodsWithPDBViolation`, `selector.Empty()`).
    pub fn selects_for_preemption(&self, labels: &Labels) -> bool {
        !self.selector_is_empty() && self.selects(labels)
    }

    /// Whether the selector is `{}` (no `matchLabels`, no `matchExpressions`).
    pub fn selector_is_empty(&self) -> bool {
        self.selector.match_labels.is_empty() && self.selector.match_expressions.is_empty()
    }

    /// `(expectedCount, desiredHealthy)` for `obs`, or `None` when the controller fails safe.
    pub fn expected_and_desired(&self, obs: &PdbObservation) -> Option<(u32, u32)> {
        match self.budget {
            Budget::MinAvailable(IntOrPercent::Int(n)) => Some((obs.pods, n)),
            Budget::MinAvailable(p @ IntOrPercent::Percent(_)) => {
                let scale = obs.scale?;
                Some((scale, p.scaled_round_up(scale)))
            }
            Budget::MaxUnavailable(m) => {
                let scale = obs.scale?;
                Some((scale, scale.saturating_sub(m.scaled_round_up(scale))))
            }
        }
    }

    /// `status.disruptionsAllowed` for `obs` (never negative).
    pub fn disruptions_allowed(&self, obs: &PdbObservation) -> u32 {
        match self.expected_and_desired(obs) {
            Some((expected, desired)) if expected > 0 => obs.healthy.saturating_sub(desired),
            _ => 0,
        }
    }

    /// Observes the budget's pods in `cluster` (a scan of the live pods: call it when a decision
    /// needs the budget, not per event). `scale_of` gives the scale of a pod's owner.
    pub fn observe(
        &self,
        cluster: &ClusterState,
        scale_of: &dyn Fn(Owner) -> OwnerScale,
    ) -> PdbObservation {
        let mut obs = PdbObservation {
            scale: Some(0),
            ..PdbObservation::default()
        };
        let mut counted: Vec<Owner> = Vec::new();
        for pod in &cluster.pods {
            if pod.is_terminated()
                || !self.selects(&cluster.templates[pod.template.0 as usize].labels)
            {
                continue;
            }
            obs.pods += 1;
            if pod_is_ready(pod, cluster) {
                obs.healthy += 1;
            }
            if counted.contains(&pod.owner) {
                continue;
            }
            counted.push(pod.owner);
            match scale_of(pod.owner) {
                OwnerScale::Unmanaged => {}
                OwnerScale::Scale(n) => obs.scale = obs.scale.map(|s| s + n),
                OwnerScale::NoScale => obs.scale = None,
            }
        }
        obs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::affinity::{Requirement, SelectorOperator};
    use crate::cluster::labels::Symbol;
    use IntOrPercent::{Int, Percent};

    fn pdb(budget: Budget) -> PodDisruptionBudget {
        PodDisruptionBudget {
            name: "p".into(),
            selector: LabelSelector {
                match_labels: vec![(Symbol(0), Symbol(1))],
                match_expressions: Vec::new(),
            },
            budget,
        }
    }

    fn req(key: u32, operator: SelectorOperator, values: &[u32]) -> Requirement {
        Requirement {
            key: Symbol(key),
            operator,
            values: values.iter().map(|&v| Symbol(v)).collect(),
            number: 0,
        }
    }

    fn obs(pods: u32, healthy: u32, scale: Option<u32>) -> PdbObservation {
        PdbObservation {
            pods,
            healthy,
            scale,
        }
    }

    #[test]
    fn min_available_integer_counts_pods_not_scale() {
        // disruption_test.go TestNoSelector/TestUnavailable shape: minAvailable 3 of 4 healthy.
        let p = pdb(Budget::MinAvailable(Int(3)));
        assert_eq!(p.expected_and_desired(&obs(4, 4, None)), Some((4, 3)));
        assert_eq!(p.disruptions_allowed(&obs(4, 4, None)), 1);
        assert_eq!(p.disruptions_allowed(&obs(4, 3, None)), 0);
        assert_eq!(p.disruptions_allowed(&obs(4, 2, None)), 0, "never negative");
        assert_eq!(p.disruptions_allowed(&obs(0, 0, Some(5))), 0, "no pods");
    }

    #[test]
    fn min_available_percent_rounds_up_against_the_scale() {
        // 50% of 5 replicas = 2.5 -> 3 must stay healthy.
        let p = pdb(Budget::MinAvailable(Percent(50)));
        assert_eq!(p.expected_and_desired(&obs(5, 5, Some(5))), Some((5, 3)));
        assert_eq!(p.disruptions_allowed(&obs(5, 5, Some(5))), 2);
        // The scale, not the pod count, is the denominator: 4 pods of a 10-replica controller.
        assert_eq!(p.disruptions_allowed(&obs(4, 4, Some(10))), 0);
        assert_eq!(p.disruptions_allowed(&obs(5, 5, None)), 0, "fail safe");
    }

    #[test]
    fn max_unavailable_integer_and_percent() {
        let p = pdb(Budget::MaxUnavailable(Int(1)));
        assert_eq!(p.expected_and_desired(&obs(3, 3, Some(3))), Some((3, 2)));
        assert_eq!(p.disruptions_allowed(&obs(3, 3, Some(3))), 1);
        assert_eq!(p.disruptions_allowed(&obs(3, 2, Some(3))), 0);
        // 25% of 10 = 2.5 -> 3 may be unavailable: desired 7.
        let q = pdb(Budget::MaxUnavailable(Percent(25)));
        assert_eq!(
            q.expected_and_desired(&obs(10, 10, Some(10))),
            Some((10, 7))
        );
        assert_eq!(q.disruptions_allowed(&obs(10, 10, Some(10))), 3);
        // maxUnavailable above the scale: desired clamps at 0.
        let r = pdb(Budget::MaxUnavailable(Int(5)));
        assert_eq!(r.expected_and_desired(&obs(2, 2, Some(2))), Some((2, 0)));
        assert_eq!(r.disruptions_allowed(&obs(2, 2, Some(2))), 2);
        assert_eq!(r.disruptions_allowed(&obs(2, 2, None)), 0, "fail safe");
        assert_eq!(r.disruptions_allowed(&obs(0, 0, Some(0))), 0, "scale 0");
    }

    #[test]
    fn selector_needs_every_label() {
        let labels = Labels::new(vec![(Symbol(0), Symbol(1)), (Symbol(2), Symbol(3))]);
        assert!(pdb(Budget::MinAvailable(Int(1))).selects(&labels));
        let mut p = pdb(Budget::MinAvailable(Int(1)));
        p.selector.match_labels.push((Symbol(2), Symbol(4)));
        assert!(!p.selects(&labels));
        assert!(!p.selects_for_preemption(&labels));
    }

    #[test]
    fn empty_selector_covers_every_pod_except_for_preemption() {
        // policy/v1: `{}` selects all pods of the namespace; preemption ignores such a budget.
        let labels = Labels::new(vec![(Symbol(0), Symbol(1))]);
        let mut p = pdb(Budget::MinAvailable(Int(1)));
        p.selector.match_labels.clear();
        assert!(p.selector_is_empty());
        assert!(p.selects(&labels));
        assert!(p.selects(&Labels::default()));
        assert!(!p.selects_for_preemption(&labels));
    }

    #[test]
    fn match_expressions_are_anded_with_match_labels() {
        // Labels: 0=1 (app=a), 2=3 (tier=web). Symbols 4, 5 are other values.
        let labels = Labels::new(vec![(Symbol(0), Symbol(1)), (Symbol(2), Symbol(3))]);
        let with = |exprs: Vec<Requirement>, ml: bool| {
            let mut p = pdb(Budget::MinAvailable(Int(1)));
            if !ml {
                p.selector.match_labels.clear();
            }
            p.selector.match_expressions = exprs;
            p
        };
        use SelectorOperator::{DoesNotExist, Exists, In, NotIn};
        // app In [a, b]
        assert!(with(vec![req(0, In, &[1, 4])], false).selects_for_preemption(&labels));
        assert!(!with(vec![req(0, In, &[4, 5])], false).selects(&labels));
        // NotIn holds for an absent key too.
        assert!(with(vec![req(0, NotIn, &[4])], false).selects(&labels));
        assert!(!with(vec![req(0, NotIn, &[1])], false).selects(&labels));
        assert!(with(vec![req(6, NotIn, &[1])], false).selects(&labels));
        assert!(with(vec![req(2, Exists, &[])], false).selects(&labels));
        assert!(!with(vec![req(6, Exists, &[])], false).selects(&labels));
        assert!(with(vec![req(6, DoesNotExist, &[])], false).selects(&labels));
        assert!(!with(vec![req(2, DoesNotExist, &[])], false).selects(&labels));
        // With matchLabels app=a: both must hold.
        assert!(with(vec![req(2, In, &[3])], true).selects(&labels));
        assert!(!with(vec![req(2, In, &[5])], true).selects(&labels));
        let mut p = with(vec![req(2, Exists, &[])], true);
        p.selector.match_labels = vec![(Symbol(0), Symbol(4))];
        assert!(!p.selects(&labels));
    }

    #[test]
    fn observe_counts_healthy_pods_and_deployment_scales() {
        use crate::cluster::NewPod;
        use crate::cluster::node::NodePool;
        use crate::cluster::pod::{DisruptionReason, PodName, PodTemplate};
        use crate::cluster::resources::Resources;
        use crate::engine::time::SimTime;
        let mut c = ClusterState::default();
        let (k, v) = (c.interner.intern("app"), c.interner.intern("db"));
        let pool = c.add_pool(NodePool::for_tests(Resources {
            cpu_milli: 8000,
            memory_bytes: 8 << 30,
            gpu_milli: 0,
            pods: 110,
        }));
        let node = c.add_node(pool, "n".into(), None, SimTime::ZERO);
        let db = c.add_template(PodTemplate {
            labels: Labels::new(vec![(k, v)]),
            ..Default::default()
        });
        let other = c.add_template(PodTemplate::default());
        let name = PodName {
            prefix: 0,
            ordinal: 0,
            width: 0,
        };
        let make = |c: &mut ClusterState, template, owner, bind: bool| {
            let mut new = NewPod::bare(name, Resources::cpu_mem(100, 1), template);
            new.owner = owner;
            let id = c.create_pod(new, SimTime::ZERO);
            if bind {
                c.bind(id, node, SimTime::ZERO);
            }
            id
        };
        let a = make(&mut c, db, Owner::Deployment(0), true);
        make(&mut c, db, Owner::Deployment(0), true);
        make(&mut c, db, Owner::Deployment(0), false); // pending: not healthy
        make(&mut c, db, Owner::Deployment(1), true);
        make(&mut c, db, Owner::Source(0), true); // bare: not in the scale
        make(&mut c, other, Owner::Job(0), true); // not selected
        c.begin_deletion(a, SimTime(1), DisruptionReason::PreemptionByScheduler);
        let p = PodDisruptionBudget {
            name: "db".into(),
            selector: LabelSelector {
                match_labels: vec![(k, v)],
                match_expressions: Vec::new(),
            },
            budget: Budget::MaxUnavailable(Int(1)),
        };
        let scale_of = |o: Owner| match o {
            Owner::Deployment(0) => OwnerScale::Scale(3),
            Owner::Deployment(_) => OwnerScale::Scale(2),
            Owner::Job(_) | Owner::StatefulSet(_) | Owner::DaemonSet(_) => OwnerScale::NoScale,
            Owner::Source(_) => OwnerScale::Unmanaged,
        };
        let o = p.observe(&c, &scale_of);
        assert_eq!(o, obs(5, 3, Some(5)));
        // desired = 5 - 1 = 4 > 3 healthy: nothing may be disrupted.
        assert_eq!(p.disruptions_allowed(&o), 0);
        // A Job's pod matching the selector makes the controller fail safe.
        make(&mut c, db, Owner::Job(0), true);
        let o = p.observe(&c, &scale_of);
        assert_eq!(o.scale, None);
        assert_eq!(p.disruptions_allowed(&o), 0);
    }
}

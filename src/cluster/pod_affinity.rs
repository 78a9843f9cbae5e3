//! Inter-pod affinity terms, topology spread constraints and the label selectors they use
//! (k8s.io/api/core/v1 PodAffinityTerm, TopologySpreadConstraint; metav1.LabelSelector,
//! matching as in k8s.io/apimachinery/pkg/labels/selector.go).
//!
//! kubesim has a single namespace, so a term's `namespaces` / `namespaceSelector` are not
//! modelled: every term applies to all pods.

use super::affinity::{Requirement, SelectorOperator};
use super::labels::{Labels, Symbol};

/// A label selector over pod labels: `matchLabels` and `matchExpressions`, ANDed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// `matchLabels`: every (key, value) must be a label of the pod.
    pub match_labels: Vec<(Symbol, Symbol)>,
    /// `matchExpressions` (operators In, NotIn, Exists, DoesNotExist).
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// The selector of an unset `labelSelector`: it matches no pod (`labels.Nothing()`).
    pub fn nothing() -> LabelSelector {
        LabelSelector {
            match_labels: Vec::new(),
            // `In` with no values never holds (user input cannot express it: validation
            // requires values for In).
            match_expressions: vec![Requirement {
                key: Symbol(0),
                operator: SelectorOperator::In,
                values: Vec::new(),
                number: 0,
            }],
        }
    }

    /// Whether `labels` satisfy the selector. An empty selector matches every pod
    /// (`metav1.LabelSelectorAsSelector` of `{}` is `labels.Everything()`).
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|&(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let value = labels.get(r.key);
                match r.operator {
                    SelectorOperator::In => value.is_some_and(|v| r.values.contains(&v)),
                    SelectorOperator::NotIn => value.is_none_or(|v| !r.values.contains(&v)),
                    SelectorOperator::Exists => value.is_some(),
                    SelectorOperator::DoesNotExist => value.is_none(),
                    // Rejected when the scenario is built: label selectors have no Gt/Lt.
                    SelectorOperator::Gt | SelectorOperator::Lt => false,
                }
            })
    }
}

/// A `PodAffinityTerm`: pods matching `selector`, counted per domain of `topology_key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodAffinityTerm {
    /// Which pods the term is about.
    pub selector: LabelSelector,
    /// The node label whose values form the topology domains (e.g. `kubernetes.io/hostname`,
    /// `topology.kubernetes.io/zone`).
    pub topology_key: Symbol,
}

/// A `WeightedPodAffinityTerm` (preferred terms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightedPodAffinityTerm {
    /// Weight 1..=100.
    pub weight: i64,
    /// The term.
    pub term: PodAffinityTerm,
}

/// A pod's `podAffinity` and `podAntiAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodAffinity {
    /// `podAffinity.requiredDuringSchedulingIgnoredDuringExecution` (ANDed).
    pub required_affinity: Vec<PodAffinityTerm>,
    /// `podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution` (ANDed).
    pub required_anti_affinity: Vec<PodAffinityTerm>,
    /// `podAffinity.preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred_affinity: Vec<WeightedPodAffinityTerm>,
    /// `podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred_anti_affinity: Vec<WeightedPodAffinityTerm>,
}

impl PodAffinity {
    /// True when the pod has no inter-pod (anti-)affinity term at all.
    pub fn is_empty(&self) -> bool {
        self.required_affinity.is_empty()
            && self.required_anti_affinity.is_empty()
            && self.preferred_affinity.is_empty()
            && self.preferred_anti_affinity.is_empty()
    }

    /// Every topology key the terms use.
    pub fn topology_keys(&self) -> impl Iterator<Item = Symbol> + '_ {
        let plain = self
            .required_affinity
            .iter()
            .chain(&self.required_anti_affinity);
        let weighted = self
            .preferred_affinity
            .iter()
            .chain(&self.preferred_anti_affinity)
            .map(|w| &w.term);
        plain.chain(weighted).map(|t| t.topology_key)
    }
}

/// `whenUnsatisfiable` of a topology spread constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenUnsatisfiable {
    /// A hard constraint (filter).
    DoNotSchedule,
    /// A soft constraint (score only).
    ScheduleAnyway,
}

/// `nodeAffinityPolicy` / `nodeTaintsPolicy` of a spread constraint: whether nodes the pod
/// could not be placed on still count as domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InclusionPolicy {
    /// Only nodes that satisfy the pod's node affinity / tolerate its taints count.
    Honor,
    /// All nodes count.
    Ignore,
}

/// A `TopologySpreadConstraint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpreadConstraint {
    /// Largest allowed difference between a domain's matching pods and the global minimum.
    pub max_skew: i64,
    /// Node label defining the domains.
    pub topology_key: Symbol,
    /// Hard (filter) or soft (score).
    pub when_unsatisfiable: WhenUnsatisfiable,
    /// Which pods are counted.
    pub selector: LabelSelector,
    /// `minDomains`: with fewer eligible domains, the global minimum is taken as 0.
    pub min_domains: Option<u32>,
    /// `nodeAffinityPolicy` (default Honor).
    pub node_affinity_policy: InclusionPolicy,
    /// `nodeTaintsPolicy` (default Ignore).
    pub node_taints_policy: InclusionPolicy,
}

/// The system default spread constraints applied to pods that set none but belong to a
/// ReplicaSet (`pkg/scheduler/apis/config/v1/defaults.go`, `systemDefaultConstraints`):
/// hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway, selecting the owner's pods.
pub fn system_default_constraints(
    selector: &LabelSelector,
    hostname_key: Symbol,
    zone_key: Symbol,
) -> [SpreadConstraint; 2] {
    let c = |key, skew| SpreadConstraint {
        max_skew: skew,
        topology_key: key,
        when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
        selector: selector.clone(),
        min_domains: None,
        node_affinity_policy: InclusionPolicy::Honor,
        node_taints_policy: InclusionPolicy::Ignore,
    };
    [c(hostname_key, 3), c(zone_key, 5)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::labels::Interner;

    #[test]
    fn selectors_follow_apimachinery() {
        let mut i = Interner::default();
        let (app, web, db, tier) = (
            i.intern("app"),
            i.intern("web"),
            i.intern("db"),
            i.intern("tier"),
        );
        let labels = Labels::new(vec![(app, web)]);
        assert!(
            LabelSelector::default().matches(&labels),
            "{{}} matches all"
        );
        let by_label = LabelSelector {
            match_labels: vec![(app, web)],
            match_expressions: vec![],
        };
        assert!(by_label.matches(&labels));
        assert!(!by_label.matches(&Labels::default()));
        let expr = |key, operator, values| LabelSelector {
            match_labels: vec![],
            match_expressions: vec![Requirement {
                key,
                operator,
                values,
                number: 0,
            }],
        };
        use SelectorOperator::*;
        assert!(expr(app, In, vec![db, web]).matches(&labels));
        assert!(!expr(app, NotIn, vec![web]).matches(&labels));
        assert!(expr(tier, NotIn, vec![web]).matches(&labels), "absent key");
        assert!(expr(tier, DoesNotExist, vec![]).matches(&labels));
        assert!(!expr(tier, Exists, vec![]).matches(&labels));
    }
}

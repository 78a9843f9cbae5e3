//! Node selectors and node affinity (k8s.io/api/core/v1 NodeSelector, NodeSelectorRequirement;
//! matching as in k8s.io/component-helpers/scheduling/corev1/nodeaffinity).

use super::labels::{Labels, Symbol};

/// A node selector requirement operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectorOperator {
    /// The label's value is one of `values`.
    In,
    /// The label is absent or its value is none of `values`.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
    /// The label's value, as an integer, is greater than the single value.
    Gt,
    /// The label's value, as an integer, is less than the single value.
    Lt,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// Label key.
    pub key: Symbol,
    /// Operator.
    pub operator: SelectorOperator,
    /// Values (interned) for In / NotIn.
    pub values: Vec<Symbol>,
    /// The integer for Gt / Lt.
    pub number: i64,
}

/// The labels of one node as selectors see them: its pool's labels plus the implicit
/// `kubernetes.io/hostname` = node name.
pub struct NodeLabelView<'a> {
    /// Pool labels.
    pub labels: &'a Labels,
    /// The interned `kubernetes.io/hostname` key.
    pub hostname_key: Symbol,
    /// The node's interned name.
    pub hostname: Symbol,
    /// Resolves a symbol to text (for Gt / Lt).
    pub resolve: &'a dyn Fn(Symbol) -> &'a str,
}

impl NodeLabelView<'_> {
    fn get(&self, key: Symbol) -> Option<Symbol> {
        if key == self.hostname_key {
            Some(self.hostname)
        } else {
            self.labels.get(key)
        }
    }

    /// Whether one requirement holds.
    pub fn satisfies(&self, r: &Requirement) -> bool {
        let value = self.get(r.key);
        match r.operator {
            SelectorOperator::In => value.is_some_and(|v| r.values.contains(&v)),
            SelectorOperator::NotIn => value.is_none_or(|v| !r.values.contains(&v)),
            SelectorOperator::Exists => value.is_some(),
            SelectorOperator::DoesNotExist => value.is_none(),
            SelectorOperator::Gt | SelectorOperator::Lt => {
                let Some(n) = value.and_then(|v| (self.resolve)(v).parse::<i64>().ok()) else {
                    return false;
                };
                if r.operator == SelectorOperator::Gt {
                    n > r.number
                } else {
                    n < r.number
                }
            }
        }
    }

    /// Whether a term (requirements ANDed) matches. An empty term matches nothing, as upstream.
    pub fn matches_term(&self, term: &[Requirement]) -> bool {
        !term.is_empty() && term.iter().all(|r| self.satisfies(r))
    }
}

/// A pod's node placement constraints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeAffinity {
    /// `nodeSelector`: every (key, value) must be a node label.
    pub node_selector: Vec<(Symbol, Symbol)>,
    /// `requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms` (ORed); `None` when
    /// unset.
    pub required: Option<Vec<Vec<Requirement>>>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`: (weight, term).
    pub preferred: Vec<(i64, Vec<Requirement>)>,
}

impl NodeAffinity {
    /// True when the pod has no node selector or affinity at all.
    pub fn is_empty(&self) -> bool {
        self.node_selector.is_empty() && self.required.is_none() && self.preferred.is_empty()
    }

    /// The NodeAffinity filter: the node selector and at least one required term match.
    pub fn admits(&self, node: &NodeLabelView<'_>) -> bool {
        self.node_selector
            .iter()
            .all(|&(k, v)| node.get(k) == Some(v))
            && self
                .required
                .as_ref()
                .is_none_or(|terms| terms.iter().any(|t| node.matches_term(t)))
    }

    /// The NodeAffinity raw score: the sum of the weights of the matching preferred terms.
    pub fn preferred_score(&self, node: &NodeLabelView<'_>) -> i64 {
        self.preferred
            .iter()
            .filter(|(_, t)| node.matches_term(t))
            .map(|(w, _)| w)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::labels::Interner;

    #[test]
    fn operators_and_terms_follow_upstream() {
        let mut i = Interner::default();
        let (zone, a, b, gen_, four, host_key, host) = (
            i.intern("zone"),
            i.intern("a"),
            i.intern("b"),
            i.intern("generation"),
            i.intern("4"),
            i.intern("kubernetes.io/hostname"),
            i.intern("node-7"),
        );
        let labels = Labels::new(vec![(zone, a), (gen_, four)]);
        let resolve = |s: Symbol| -> &str { i.resolve(s) };
        let node = NodeLabelView {
            labels: &labels,
            hostname_key: host_key,
            hostname: host,
            resolve: &resolve,
        };
        let req = |key, operator, values: Vec<Symbol>, number| Requirement {
            key,
            operator,
            values,
            number,
        };
        use SelectorOperator::*;
        assert!(node.satisfies(&req(zone, In, vec![a, b], 0)));
        assert!(!node.satisfies(&req(zone, NotIn, vec![a], 0)));
        let missing = Symbol(999);
        assert!(
            node.satisfies(&req(missing, NotIn, vec![a], 0)),
            "NotIn holds when the label is absent"
        );
        assert!(node.satisfies(&req(missing, DoesNotExist, vec![], 0)));
        assert!(node.satisfies(&req(gen_, Gt, vec![], 3)));
        assert!(!node.satisfies(&req(gen_, Lt, vec![], 4)));
        assert!(
            !node.satisfies(&req(zone, Gt, vec![], 0)),
            "non-integer values never match Gt/Lt"
        );
        assert!(
            node.satisfies(&req(host_key, In, vec![host], 0)),
            "implicit hostname label"
        );
        assert!(!node.matches_term(&[]), "an empty term matches nothing");
        let aff = NodeAffinity {
            node_selector: vec![(zone, a)],
            required: Some(vec![
                vec![req(zone, In, vec![b], 0)],
                vec![req(gen_, Exists, vec![], 0)],
            ]),
            preferred: vec![
                (5, vec![req(zone, In, vec![a], 0)]),
                (3, vec![req(zone, In, vec![b], 0)]),
            ],
        };
        assert!(aff.admits(&node), "terms are ORed");
        assert_eq!(aff.preferred_score(&node), 5);
        let strict = NodeAffinity {
            node_selector: vec![(zone, b)],
            ..aff
        };
        assert!(!strict.admits(&node));
    }
}

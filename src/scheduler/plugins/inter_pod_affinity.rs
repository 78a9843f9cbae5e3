//! InterPodAffinity (pkg/scheduler/framework/plugins/interpodaffinity/{filtering.go,
//! scoring.go}): required and preferred pod affinity and anti-affinity, of the incoming pod
//! and of the pods already bound.
//!
//! Counts come from the cluster's incremental [`crate::cluster::topology::TopologyIndex`]: a
//! term's count in a domain is the sum, over the templates its selector matches, of their bound
//! pods there. PreFilter/PreScore therefore cost O(terms × templates), and each node check
//! O(terms), never a scan of pods.

use super::{FilterFailure, FilterPlugin, MAX_NODE_SCORE, ScorePlugin};
use crate::cluster::ClusterState;
use crate::cluster::labels::Labels;
use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::{Pod, TemplateId};
use crate::cluster::pod_affinity::PodAffinityTerm;
use crate::cluster::topology::{TopologyIndex, TopologyKey};

/// `ErrReasonAffinityRulesNotMatch`.
pub const REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
/// `ErrReasonAntiAffinityRulesNotMatch`.
pub const REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
/// `ErrReasonExistingAntiAffinityRulesNotMatch`.
pub const REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";

/// Default `InterPodAffinityArgs.hardPodAffinityWeight`.
pub const DEFAULT_HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// One counted quantity: bound pods of `template` in a node's domain of `key`, times `weight`.
#[derive(Clone, Copy, Debug)]
struct Count {
    key: TopologyKey,
    template: TemplateId,
    weight: i64,
}

/// The InterPodAffinity filter and score plugin.
#[derive(Debug)]
pub struct InterPodAffinity {
    hard_pod_affinity_weight: i64,
    /// Required affinity terms of the incoming pod: (key, range into `aff_counts`).
    aff_terms: Vec<(TopologyKey, usize, usize)>,
    aff_counts: Vec<Count>,
    /// Whether some bound pod matches all required affinity terms (`len(affinityCounts) > 0`).
    aff_any: bool,
    /// Whether the incoming pod matches all its own required affinity terms.
    aff_self: bool,
    /// Required anti-affinity of the incoming pod: templates matching a term, per term key.
    anti_counts: Vec<Count>,
    /// Existing pods' required anti-affinity terms that match the incoming pod.
    existing_anti: Vec<Count>,
    /// Score contributions (weight × bound pods in the node's domain).
    score_counts: Vec<Count>,
}

impl Default for InterPodAffinity {
    fn default() -> Self {
        Self::new(DEFAULT_HARD_POD_AFFINITY_WEIGHT)
    }
}

/// Whether `labels` match every term (`podMatchesAllAffinityTerms`; false for no terms).
fn matches_all(terms: &[PodAffinityTerm], labels: &Labels) -> bool {
    !terms.is_empty() && terms.iter().all(|t| t.selector.matches(labels))
}

impl InterPodAffinity {
    /// The plugin with `InterPodAffinityArgs.hardPodAffinityWeight` (0..=100).
    pub fn new(hard_pod_affinity_weight: i64) -> Self {
        InterPodAffinity {
            hard_pod_affinity_weight,
            aff_terms: Vec::new(),
            aff_counts: Vec::new(),
            aff_any: false,
            aff_self: false,
            anti_counts: Vec::new(),
            existing_anti: Vec::new(),
            score_counts: Vec::new(),
        }
    }

    fn count(index: &TopologyIndex, c: &Count, node: NodeId) -> i64 {
        i64::from(index.in_node_domain(c.key, c.template, node)) * c.weight
    }
}

impl FilterPlugin for InterPodAffinity {
    fn name(&self) -> &str {
        "InterPodAffinity"
    }

    /// Every node passes when the pod has no inter-pod terms and no bound pod has any.
    fn node_local(&self, pod: &Pod, cluster: &ClusterState) -> bool {
        cluster.templates[pod.template.0 as usize]
            .pod_affinity
            .is_empty()
            && !cluster.bound_pods_have_pod_affinity()
    }

    fn pre_filter(&mut self, pod: &Pod, cluster: &ClusterState) {
        let index = &cluster.topology;
        let template = &cluster.templates[pod.template.0 as usize];
        let affinity = &template.pod_affinity;
        self.aff_terms.clear();
        self.aff_counts.clear();
        self.anti_counts.clear();
        self.existing_anti.clear();
        self.aff_any = false;
        // Required affinity: existing pods count only if they match *all* the terms.
        let required = &affinity.required_affinity;
        for term in required {
            let key = index.key(term.topology_key);
            let start = self.aff_counts.len();
            for &t in index.tracked_templates() {
                if index.total(t) > 0
                    && matches_all(required, &cluster.templates[t.0 as usize].labels)
                {
                    self.aff_counts.push(Count {
                        key,
                        template: t,
                        weight: 1,
                    });
                    self.aff_any |= index.with_key(key, t) > 0;
                }
            }
            self.aff_terms.push((key, start, self.aff_counts.len()));
        }
        self.aff_self = matches_all(required, &template.labels);
        for term in &affinity.required_anti_affinity {
            let key = index.key(term.topology_key);
            for &t in index.tracked_templates() {
                if index.total(t) > 0
                    && term
                        .selector
                        .matches(&cluster.templates[t.0 as usize].labels)
                {
                    self.anti_counts.push(Count {
                        key,
                        template: t,
                        weight: 1,
                    });
                }
            }
        }
        for &t in &cluster.templates_with_pod_affinity {
            if index.total(t) == 0 {
                continue;
            }
            for term in &cluster.templates[t.0 as usize]
                .pod_affinity
                .required_anti_affinity
            {
                if term.selector.matches(&template.labels) {
                    self.existing_anti.push(Count {
                        key: index.key(term.topology_key),
                        template: t,
                        weight: 1,
                    });
                }
            }
        }
    }

    fn filter(&self, _pod: &Pod, node: &Node, cluster: &ClusterState) -> Result<(), FilterFailure> {
        let index = &cluster.topology;
        let id = node.id;
        // satisfyPodAffinity
        let mut pods_exist = true;
        for &(key, a, b) in &self.aff_terms {
            if index.domain(key, id).is_none() {
                return Err(FilterFailure::Unresolvable(REASON_AFFINITY));
            }
            let n: i64 = self.aff_counts[a..b]
                .iter()
                .map(|c| Self::count(index, c, id))
                .sum();
            if n <= 0 {
                pods_exist = false;
            }
        }
        if !pods_exist && (self.aff_any || !self.aff_self) {
            return Err(FilterFailure::Unresolvable(REASON_AFFINITY));
        }
        // satisfyPodAntiAffinity
        if self
            .anti_counts
            .iter()
            .any(|c| Self::count(index, c, id) > 0)
        {
            return Err(FilterFailure::Unschedulable(REASON_ANTI_AFFINITY));
        }
        // satisfyExistingPodsAntiAffinity
        if self
            .existing_anti
            .iter()
            .any(|c| Self::count(index, c, id) > 0)
        {
            return Err(FilterFailure::Unschedulable(REASON_EXISTING_ANTI_AFFINITY));
        }
        Ok(())
    }
}

impl ScorePlugin for InterPodAffinity {
    fn name(&self) -> &str {
        "InterPodAffinity"
    }

    fn pre_score(&mut self, pod: &Pod, cluster: &ClusterState) -> bool {
        let index = &cluster.topology;
        let template = &cluster.templates[pod.template.0 as usize];
        let affinity = &template.pod_affinity;
        self.score_counts.clear();
        // The incoming pod's preferred terms, against every bound pod.
        for (terms, sign) in [
            (&affinity.preferred_affinity, 1),
            (&affinity.preferred_anti_affinity, -1),
        ] {
            for w in terms {
                let key = index.key(w.term.topology_key);
                for &t in index.tracked_templates() {
                    if index.total(t) > 0
                        && w.term
                            .selector
                            .matches(&cluster.templates[t.0 as usize].labels)
                    {
                        self.score_counts.push(Count {
                            key,
                            template: t,
                            weight: sign * w.weight,
                        });
                    }
                }
            }
        }
        // Bound pods' terms that match the incoming pod (`processExistingPod`).
        for &t in &cluster.templates_with_pod_affinity {
            if index.total(t) == 0 {
                continue;
            }
            let existing = &cluster.templates[t.0 as usize].pod_affinity;
            let mut push = |term: &PodAffinityTerm, weight: i64| {
                if term.selector.matches(&template.labels) {
                    self.score_counts.push(Count {
                        key: index.key(term.topology_key),
                        template: t,
                        weight,
                    });
                }
            };
            if self.hard_pod_affinity_weight > 0 {
                for term in &existing.required_affinity {
                    push(term, self.hard_pod_affinity_weight);
                }
            }
            for w in &existing.preferred_affinity {
                push(&w.term, w.weight);
            }
            for w in &existing.preferred_anti_affinity {
                push(&w.term, -w.weight);
            }
        }
        // An empty topologyScore leaves every node at 0; skipping is equivalent.
        !self.score_counts.is_empty()
    }

    fn score(&self, _pod: &Pod, node: &Node, cluster: &ClusterState) -> i64 {
        let id = node.id;
        self.score_counts
            .iter()
            .map(|c| Self::count(&cluster.topology, c, id))
            .sum()
    }

    /// Min-max scaling over the feasible nodes' scores (scoring.go `NormalizeScore`):
    /// `int64(100 * (s − min) / (max − min))`, 0 everywhere when max == min. `min` and `max`
    /// are the smallest and largest score, as since Kubernetes 1.21 (PR #98096); before, both
    /// started at 0, so all-positive scores were scaled from 0 rather than from their minimum.
    fn normalize(&self, scores: &mut [i64]) {
        let max = scores.iter().copied().max().unwrap_or(0);
        let min = scores.iter().copied().min().unwrap_or(0);
        let diff = max - min;
        for s in scores.iter_mut() {
            *s = if diff > 0 {
                (MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64)) as i64
            } else {
                0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    //! Upstream cases from pkg/scheduler/framework/plugins/interpodaffinity/filtering_test.go
    //! (TestRequiredAffinitySingleNode, TestRequiredAffinityMultipleNodes) and scoring_test.go
    //! (TestPreferredAffinity, TestPreferredAffinityWithHardPodAffinitySymmetricWeight),
    //! kubernetes/kubernetes master. Each case keeps its upstream name. Left out: cases about
    //! namespaces (`namespaces`, `namespaceSelector`: kubesim has one namespace), invalid label
    //! syntax (rejected when the scenario is built) and `ignorePreferredTermsOfExistingPods`
    //! (not modelled).
    use super::*;
    use crate::cluster::affinity::SelectorOperator::{DoesNotExist, Exists, In, NotIn};
    use crate::cluster::pod::{PodId, PodTemplate};
    use crate::cluster::pod_affinity::{PodAffinity, WeightedPodAffinityTerm};
    use crate::cluster::topology::test_support::{Expr, TopoCluster};

    /// A term: selector expressions and topology key.
    type T<'a> = (&'a [Expr<'a>], &'a str);

    /// A pod: labels and inter-pod (anti-)affinity terms.
    #[derive(Clone, Copy)]
    struct P<'a> {
        labels: &'a [(&'a str, &'a str)],
        aff: &'a [T<'a>],
        anti: &'a [T<'a>],
        pref: &'a [(i64, T<'a>)],
        pref_anti: &'a [(i64, T<'a>)],
    }

    const NONE: P<'static> = P {
        labels: &[],
        aff: &[],
        anti: &[],
        pref: &[],
        pref_anti: &[],
    };

    type Nodes<'a> = &'a [&'a [(&'a str, &'a str)]];

    fn term(tc: &mut TopoCluster, &(exprs, key): &T) -> PodAffinityTerm {
        PodAffinityTerm {
            selector: tc.selector(exprs),
            topology_key: tc.sym(key),
        }
    }

    fn template(tc: &mut TopoCluster, p: &P) -> TemplateId {
        let weighted = |tc: &mut TopoCluster, terms: &[(i64, T)]| -> Vec<WeightedPodAffinityTerm> {
            terms
                .iter()
                .map(|(weight, t)| WeightedPodAffinityTerm {
                    weight: *weight,
                    term: term(tc, t),
                })
                .collect()
        };
        let pod_affinity = PodAffinity {
            required_affinity: p.aff.iter().map(|t| term(tc, t)).collect(),
            required_anti_affinity: p.anti.iter().map(|t| term(tc, t)).collect(),
            preferred_affinity: weighted(tc, p.pref),
            preferred_anti_affinity: weighted(tc, p.pref_anti),
        };
        let labels = tc.labels(p.labels);
        tc.template(PodTemplate {
            labels,
            pod_affinity,
            ..PodTemplate::default()
        })
    }

    /// Nodes `node0..` with `nodes[i]` labels, the `existing` pods (node index, spec) bound,
    /// and the incoming pod `pod` pending.
    fn setup(nodes: Nodes, existing: &[(usize, P)], pod: P) -> (TopoCluster, PodId) {
        let mut tc = TopoCluster::new();
        let ids: Vec<NodeId> = nodes
            .iter()
            .enumerate()
            .map(|(i, l)| tc.node(&format!("node{i}"), l, &[]))
            .collect();
        for (node, p) in existing {
            let t = template(&mut tc, p);
            tc.bind(t, ids[*node]);
        }
        let t = template(&mut tc, &pod);
        let pod = tc.pending(t);
        tc.register();
        (tc, pod)
    }

    /// PreFilter, then Filter on every node.
    fn filter(nodes: Nodes, existing: &[(usize, P)], pod: P) -> Vec<Verdict> {
        let (tc, pod) = setup(nodes, existing, pod);
        let c = &tc.c;
        let pod = &c.pods[pod.0 as usize];
        let mut plugin = InterPodAffinity::default();
        plugin.pre_filter(pod, c);
        c.live_nodes
            .iter()
            .map(|&n| plugin.filter(pod, &c.nodes[n.0 as usize], c))
            .collect()
    }

    /// PreScore, Score and NormalizeScore over all nodes; `None` when PreScore skips.
    fn score(nodes: Nodes, existing: &[(usize, P)], pod: P, hard_weight: i64) -> Option<Vec<i64>> {
        let (tc, pod) = setup(nodes, existing, pod);
        let c = &tc.c;
        let pod = &c.pods[pod.0 as usize];
        let mut plugin = InterPodAffinity::new(hard_weight);
        if !plugin.pre_score_nodes(pod, &c.live_nodes, c) {
            return None;
        }
        let mut scores = Vec::new();
        plugin.score_all(pod, &c.live_nodes, c, &mut scores);
        plugin.normalize(&mut scores);
        Some(scores)
    }

    /// A filter verdict.
    type Verdict = Result<(), FilterFailure>;

    const OK: Verdict = Ok(());
    const AFF: Verdict = Err(FilterFailure::Unresolvable(REASON_AFFINITY));
    const ANTI: Verdict = Err(FilterFailure::Unschedulable(REASON_ANTI_AFFINITY));
    const EXIST: Verdict = Err(FilterFailure::Unschedulable(REASON_EXISTING_ANTI_AFFINITY));

    #[test]
    fn required_affinity_single_node() {
        // TestRequiredAffinitySingleNode: node1 {region: r1, zone: z11}.
        let node: Nodes = &[&[("region", "r1"), ("zone", "z11")]];
        let scan: &[(&str, &str)] = &[("service", "securityscan")];
        let s1: &[(&str, &str)] = &[("security", "S1")];
        let existing_scan = [(
            0,
            P {
                labels: scan,
                ..NONE
            },
        )];
        let aff_scan_region: &[T] = &[(&[("service", In, &["securityscan", "value2"])], "region")];
        type Case<'a> = (&'a str, &'a [(usize, P<'a>)], P<'a>, Verdict);
        let cases: &[Case] = &[
            (
                "A pod that has no required pod affinity scheduling rules can schedule onto a \
                 node with no existing pods",
                &[],
                NONE,
                OK,
            ),
            (
                "satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity \
                 using In operator that matches the existing pod",
                &existing_scan,
                P {
                    labels: s1,
                    aff: aff_scan_region,
                    ..NONE
                },
                OK,
            ),
            (
                "satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in \
                 PodAffinity using not in operator in labelSelector that matches the existing pod",
                &existing_scan,
                P {
                    labels: s1,
                    aff: &[(
                        &[("service", NotIn, &["securityscan3", "value3"])],
                        "region",
                    )],
                    ..NONE
                },
                OK,
            ),
            (
                // Empty topology key: no node has it.
                "Doesn't satisfy the PodAffinity because of unmatching labelSelector with the \
                 existing pod",
                &existing_scan,
                P {
                    labels: scan,
                    aff: &[(&[("service", In, &["antivirusscan", "value2"])], "")],
                    ..NONE
                },
                AFF,
            ),
            (
                "satisfies the PodAffinity with different label Operators in multiple \
                 RequiredDuringSchedulingIgnoredDuringExecution ",
                &existing_scan,
                P {
                    labels: s1,
                    aff: &[
                        (
                            &[("service", Exists, &[]), ("wrongkey", DoesNotExist, &[])],
                            "region",
                        ),
                        (
                            &[
                                ("service", In, &["securityscan"]),
                                ("service", NotIn, &["WrongValue"]),
                            ],
                            "region",
                        ),
                    ],
                    ..NONE
                },
                OK,
            ),
            (
                "The labelSelector requirements(items of matchExpressions) are ANDed, the pod \
                 cannot schedule onto the node because one of the matchExpression item don't \
                 match.",
                &existing_scan,
                P {
                    labels: s1,
                    aff: &[
                        (
                            &[("service", Exists, &[]), ("wrongkey", DoesNotExist, &[])],
                            "region",
                        ),
                        (
                            &[
                                ("service", In, &["securityscan2"]),
                                ("service", NotIn, &["WrongValue"]),
                            ],
                            "region",
                        ),
                    ],
                    ..NONE
                },
                AFF,
            ),
            (
                "satisfies the PodAffinity and PodAntiAffinity with the existing pod",
                &existing_scan,
                P {
                    labels: s1,
                    aff: aff_scan_region,
                    anti: &[(&[("service", In, &["antivirusscan", "value2"])], "node")],
                    ..NONE
                },
                OK,
            ),
            (
                "satisfies the PodAffinity and PodAntiAffinity and PodAntiAffinity symmetry with \
                 the existing pod",
                &[(
                    0,
                    P {
                        labels: scan,
                        anti: &[(&[("service", In, &["antivirusscan", "value2"])], "node")],
                        ..NONE
                    },
                )],
                P {
                    labels: s1,
                    aff: aff_scan_region,
                    anti: &[(&[("service", In, &["antivirusscan", "value2"])], "node")],
                    ..NONE
                },
                OK,
            ),
            (
                "satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the \
                 existing pod",
                &existing_scan,
                P {
                    labels: s1,
                    aff: aff_scan_region,
                    anti: &[(&[("service", In, &["securityscan", "value2"])], "zone")],
                    ..NONE
                },
                ANTI,
            ),
            (
                "satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy \
                 PodAntiAffinity symmetry with the existing pod",
                &[(
                    0,
                    P {
                        labels: scan,
                        anti: &[(&[("service", In, &["securityscan", "value2"])], "zone")],
                        ..NONE
                    },
                )],
                P {
                    labels: scan,
                    aff: aff_scan_region,
                    anti: &[(&[("service", In, &["antivirusscan", "value2"])], "node")],
                    ..NONE
                },
                EXIST,
            ),
            (
                // Upstream's existing pod is on node2, which is not in the snapshot, so it is
                // never counted: leaving it out is equivalent.
                "pod matches its own Label in PodAffinity and that matches the existing pod \
                 Labels",
                &[],
                P {
                    labels: scan,
                    aff: &[(&[("service", NotIn, &["securityscan", "value2"])], "region")],
                    ..NONE
                },
                AFF,
            ),
            (
                "verify that PodAntiAffinity from existing pod is respected when pod has no \
                 AntiAffinity constraints. doesn't satisfy PodAntiAffinity symmetry with the \
                 existing pod",
                &[(
                    0,
                    P {
                        labels: scan,
                        anti: &[(&[("service", In, &["securityscan", "value2"])], "zone")],
                        ..NONE
                    },
                )],
                P {
                    labels: scan,
                    ..NONE
                },
                EXIST,
            ),
            (
                "verify that PodAntiAffinity from existing pod is respected when pod has no \
                 AntiAffinity constraints. satisfy PodAntiAffinity symmetry with the existing pod",
                &[(
                    0,
                    P {
                        labels: scan,
                        anti: &[(&[("service", NotIn, &["securityscan", "value2"])], "zone")],
                        ..NONE
                    },
                )],
                P {
                    labels: scan,
                    ..NONE
                },
                OK,
            ),
            (
                "satisfies the PodAntiAffinity with existing pod but doesn't satisfy \
                 PodAntiAffinity symmetry with incoming pod",
                &[(
                    0,
                    P {
                        labels: s1,
                        anti: &[(&[("security", Exists, &[])], "zone")],
                        ..NONE
                    },
                )],
                P {
                    labels: scan,
                    anti: &[
                        (&[("service", Exists, &[])], "region"),
                        (&[("security", Exists, &[])], "region"),
                    ],
                    ..NONE
                },
                ANTI,
            ),
            (
                "PodAntiAffinity symmetry check a1: incoming pod and existing pod partially match \
                 each other on AffinityTerms",
                &[(
                    0,
                    P {
                        labels: s1,
                        anti: &[(&[("security", Exists, &[])], "zone")],
                        ..NONE
                    },
                )],
                P {
                    labels: scan,
                    anti: &[
                        (&[("service", Exists, &[])], "zone"),
                        (&[("security", Exists, &[])], "zone"),
                    ],
                    ..NONE
                },
                ANTI,
            ),
            (
                "PodAntiAffinity symmetry check a2: incoming pod and existing pod partially match \
                 each other on AffinityTerms",
                &[(
                    0,
                    P {
                        labels: scan,
                        anti: &[
                            (&[("service", Exists, &[])], "zone"),
                            (&[("security", Exists, &[])], "zone"),
                        ],
                        ..NONE
                    },
                )],
                P {
                    labels: s1,
                    anti: &[(&[("security", Exists, &[])], "zone")],
                    ..NONE
                },
                EXIST,
            ),
            (
                "PodAntiAffinity symmetry check b1: incoming pod and existing pod partially match \
                 each other on AffinityTerms",
                &[(
                    0,
                    P {
                        labels: &[("def", ""), ("xyz", "")],
                        anti: &[
                            (&[("abc", Exists, &[])], "zone"),
                            (&[("def", Exists, &[])], "zone"),
                        ],
                        ..NONE
                    },
                )],
                P {
                    labels: &[("abc", ""), ("xyz", "")],
                    anti: &[
                        (&[("abc", Exists, &[])], "zone"),
                        (&[("def", Exists, &[])], "zone"),
                    ],
                    ..NONE
                },
                ANTI,
            ),
            (
                "PodAntiAffinity symmetry check b2: incoming pod and existing pod partially match \
                 each other on AffinityTerms",
                &[(
                    0,
                    P {
                        labels: &[("abc", ""), ("xyz", "")],
                        anti: &[
                            (&[("abc", Exists, &[])], "zone"),
                            (&[("def", Exists, &[])], "zone"),
                        ],
                        ..NONE
                    },
                )],
                P {
                    labels: &[("def", ""), ("xyz", "")],
                    anti: &[
                        (&[("abc", Exists, &[])], "zone"),
                        (&[("def", Exists, &[])], "zone"),
                    ],
                    ..NONE
                },
                ANTI,
            ),
        ];
        for (name, existing, pod, want) in cases {
            assert_eq!(filter(node, existing, *pod), vec![*want], "{name}");
        }
    }

    #[test]
    fn required_affinity_multiple_nodes() {
        // TestRequiredAffinityMultipleNodes.
        let rg_china: &[(&str, &str)] = &[("region", "China")];
        let rg_china_az1: &[(&str, &str)] = &[("region", "China"), ("az", "az1")];
        let rg_india: &[(&str, &str)] = &[("region", "India")];
        let china_india: Nodes = &[rg_china, rg_china_az1, rg_india];
        let r1z1_r1z1: Nodes = &[
            &[("region", "r1"), ("zone", "z1"), ("hostname", "nodeA")],
            &[("region", "r1"), ("zone", "z1"), ("hostname", "nodeB")],
        ];
        let r1z1_r1z2: Nodes = &[
            &[("region", "r1"), ("zone", "z1"), ("hostname", "nodeA")],
            &[("region", "r1"), ("zone", "z2"), ("hostname", "nodeB")],
        ];
        let foo_bar: &[(&str, &str)] = &[("foo", ""), ("bar", "")];
        type Case<'a> = (
            &'a str,
            Nodes<'a>,
            &'a [(usize, P<'a>)],
            P<'a>,
            &'a [Verdict],
        );
        let cases: &[Case] = &[
            (
                "A pod can be scheduled onto all the nodes that have the same topology key & \
                 label value with one of them has an existing pod that matches the affinity rules",
                china_india,
                &[(
                    0,
                    P {
                        labels: &[("foo", "bar")],
                        ..NONE
                    },
                )],
                P {
                    aff: &[(&[("foo", In, &["bar"])], "region")],
                    ..NONE
                },
                &[OK, OK, AFF],
            ),
            (
                "The affinity rule is to schedule all of the pods of this collection to the same \
                 zone. The first pod of the collection should not be blocked from being \
                 scheduled onto any node, even there's no existing pod that matches the rule \
                 anywhere.",
                &[
                    &[("zone", "az1"), ("hostname", "h1")],
                    &[("zone", "az2"), ("hostname", "h2")],
                ],
                &[(
                    0,
                    P {
                        labels: &[("foo", "bar")],
                        ..NONE
                    },
                )],
                P {
                    labels: &[("foo", "bar"), ("service", "securityscan")],
                    aff: &[
                        (&[("foo", In, &["bar"])], "zone"),
                        (&[("service", In, &["securityscan"])], "zone"),
                    ],
                    ..NONE
                },
                &[OK, OK],
            ),
            (
                "The first pod of the collection can only be scheduled on nodes labelled with \
                 the requested topology keys",
                &[
                    &[("zoneLabel", "az1"), ("hostname", "h1")],
                    &[("zoneLabel", "az2"), ("hostname", "h2")],
                ],
                &[(
                    0,
                    P {
                        labels: &[("foo", "bar")],
                        ..NONE
                    },
                )],
                P {
                    labels: &[("foo", "bar"), ("service", "securityscan")],
                    aff: &[
                        (&[("foo", In, &["bar"])], "zone"),
                        (&[("service", In, &["securityscan"])], "zone"),
                    ],
                    ..NONE
                },
                &[AFF, AFF],
            ),
            (
                "NodeA and nodeB have same topologyKey and label value. NodeA has an existing \
                 pod that matches the inter pod affinity rule. The pod can not be scheduled onto \
                 nodeA and nodeB.",
                &[
                    &[("region", "r1"), ("hostname", "nodeA")],
                    &[("region", "r1"), ("hostname", "nodeB")],
                ],
                &[(
                    0,
                    P {
                        labels: &[("foo", "abc")],
                        ..NONE
                    },
                )],
                P {
                    anti: &[(&[("foo", In, &["abc"])], "region")],
                    ..NONE
                },
                &[ANTI, ANTI],
            ),
            (
                "This test ensures that anti-affinity matches a pod when any term of the \
                 anti-affinity rule matches a pod.",
                &[
                    &[("region", "r1"), ("zone", "z1"), ("hostname", "nodeA")],
                    &[("region", "r1"), ("zone", "z2"), ("hostname", "nodeB")],
                ],
                &[(
                    0,
                    P {
                        labels: &[("foo", "abc"), ("service", "securityscan")],
                        ..NONE
                    },
                )],
                P {
                    anti: &[
                        (&[("foo", In, &["abc"])], "region"),
                        (&[("service", In, &["securityscan"])], "zone"),
                    ],
                    ..NONE
                },
                &[ANTI, ANTI],
            ),
            (
                "NodeA and nodeB have same topologyKey and label value. NodeA has an existing \
                 pod that matches the inter pod affinity rule. The pod can not be scheduled onto \
                 nodeA and nodeB but can be scheduled onto nodeC",
                china_india,
                &[(
                    0,
                    P {
                        labels: &[("foo", "abc")],
                        ..NONE
                    },
                )],
                P {
                    anti: &[(&[("foo", In, &["abc"])], "region")],
                    ..NONE
                },
                &[ANTI, ANTI, OK],
            ),
            (
                "Test existing pod's anti-affinity: if an existing pod has a term with invalid \
                 topologyKey, labelSelector of the term is firstly checked, and then topologyKey \
                 of the term is also checked",
                r1z1_r1z1,
                &[(
                    0,
                    P {
                        anti: &[(&[("foo", Exists, &[])], "invalid-node-label")],
                        ..NONE
                    },
                )],
                P {
                    labels: &[("foo", "")],
                    ..NONE
                },
                &[OK, OK],
            ),
            (
                "Test incoming pod's anti-affinity: even if labelSelector matches, we still \
                 check if topologyKey matches",
                r1z1_r1z1,
                &[(
                    0,
                    P {
                        labels: &[("foo", "")],
                        ..NONE
                    },
                )],
                P {
                    anti: &[(&[("foo", Exists, &[])], "invalid-node-label")],
                    ..NONE
                },
                &[OK, OK],
            ),
            (
                "Test existing pod's anti-affinity: incoming pod wouldn't considered as a fit as \
                 it violates each existingPod's terms on all nodes",
                r1z1_r1z2,
                &[
                    (
                        0,
                        P {
                            anti: &[(&[("foo", Exists, &[])], "zone")],
                            ..NONE
                        },
                    ),
                    (
                        0,
                        P {
                            anti: &[(&[("bar", Exists, &[])], "region")],
                            ..NONE
                        },
                    ),
                ],
                P {
                    labels: foo_bar,
                    ..NONE
                },
                &[EXIST, EXIST],
            ),
            (
                "Test incoming pod's anti-affinity: incoming pod wouldn't considered as a fit as \
                 it at least violates one anti-affinity rule of existingPod",
                r1z1_r1z2,
                &[
                    (
                        0,
                        P {
                            labels: &[("foo", "")],
                            ..NONE
                        },
                    ),
                    (
                        1,
                        P {
                            labels: &[("bar", "")],
                            ..NONE
                        },
                    ),
                ],
                P {
                    anti: &[
                        (&[("foo", Exists, &[])], "zone"),
                        (&[("bar", Exists, &[])], "region"),
                    ],
                    ..NONE
                },
                &[ANTI, ANTI],
            ),
            (
                "Test existing pod's anti-affinity: only when labelSelector and topologyKey both \
                 match, it's counted as a single term match - case when one term has invalid \
                 topologyKey",
                r1z1_r1z2,
                &[(
                    0,
                    P {
                        anti: &[
                            (&[("foo", Exists, &[])], "invalid-node-label"),
                            (&[("bar", Exists, &[])], "zone"),
                        ],
                        ..NONE
                    },
                )],
                P {
                    labels: foo_bar,
                    ..NONE
                },
                &[EXIST, OK],
            ),
            (
                "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both \
                 match, it's counted as a single term match - case when one term has invalid \
                 topologyKey",
                r1z1_r1z2,
                &[(
                    0,
                    P {
                        labels: foo_bar,
                        ..NONE
                    },
                )],
                P {
                    anti: &[
                        (&[("foo", Exists, &[])], "invalid-node-label"),
                        (&[("bar", Exists, &[])], "zone"),
                    ],
                    ..NONE
                },
                &[ANTI, OK],
            ),
            (
                "Test existing pod's anti-affinity: only when labelSelector and topologyKey both \
                 match, it's counted as a single term match - case when all terms have valid \
                 topologyKey",
                r1z1_r1z2,
                &[(
                    0,
                    P {
                        anti: &[
                            (&[("foo", Exists, &[])], "region"),
                            (&[("bar", Exists, &[])], "zone"),
                        ],
                        ..NONE
                    },
                )],
                P {
                    labels: foo_bar,
                    ..NONE
                },
                &[EXIST, EXIST],
            ),
            (
                "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both \
                 match, it's counted as a single term match - case when all terms have valid \
                 topologyKey",
                r1z1_r1z2,
                &[(
                    0,
                    P {
                        labels: foo_bar,
                        ..NONE
                    },
                )],
                P {
                    anti: &[
                        (&[("foo", Exists, &[])], "region"),
                        (&[("bar", Exists, &[])], "zone"),
                    ],
                    ..NONE
                },
                &[ANTI, ANTI],
            ),
            (
                "Test existing pod's anti-affinity: existingPod on nodeA and nodeB has at least \
                 one anti-affinity term matches incoming pod, so incoming pod can only be \
                 scheduled to nodeC",
                &[
                    &[("region", "r1"), ("zone", "z1"), ("hostname", "nodeA")],
                    &[("region", "r1"), ("zone", "z2"), ("hostname", "nodeB")],
                    &[("region", "r1"), ("zone", "z3"), ("hostname", "nodeC")],
                ],
                &[
                    (
                        0,
                        P {
                            anti: &[
                                (&[("foo", Exists, &[])], "zone"),
                                (&[("labelA", Exists, &[])], "zone"),
                            ],
                            ..NONE
                        },
                    ),
                    (
                        1,
                        P {
                            anti: &[
                                (&[("bar", Exists, &[])], "zone"),
                                (&[("labelB", Exists, &[])], "zone"),
                            ],
                            ..NONE
                        },
                    ),
                ],
                P {
                    labels: foo_bar,
                    ..NONE
                },
                &[EXIST, EXIST, OK],
            ),
            (
                "Test incoming pod's affinity: firstly check if all affinityTerms match, and \
                 then check if all topologyKeys match",
                r1z1_r1z1,
                &[(
                    0,
                    P {
                        labels: foo_bar,
                        ..NONE
                    },
                )],
                P {
                    aff: &[
                        (&[("foo", Exists, &[])], "region"),
                        (&[("bar", Exists, &[])], "zone"),
                    ],
                    ..NONE
                },
                &[OK, OK],
            ),
            (
                "Test incoming pod's affinity: firstly check if all affinityTerms match, and \
                 then check if all topologyKeys match, and the match logic should be satisfied \
                 on the same pod",
                r1z1_r1z2,
                &[
                    (
                        0,
                        P {
                            labels: &[("foo", "")],
                            ..NONE
                        },
                    ),
                    (
                        1,
                        P {
                            labels: &[("bar", "")],
                            ..NONE
                        },
                    ),
                ],
                P {
                    aff: &[
                        (&[("foo", Exists, &[])], "region"),
                        (&[("bar", Exists, &[])], "zone"),
                    ],
                    ..NONE
                },
                &[AFF, AFF],
            ),
        ];
        for (name, nodes, existing, pod, want) in cases {
            assert_eq!(filter(nodes, existing, *pod), want.to_vec(), "{name}");
        }
    }

    // scoring_test.go fixtures.
    const S1: &[(&str, &str)] = &[("security", "S1")];
    const S2: &[(&str, &str)] = &[("security", "S2")];
    const RG_CHINA: &[(&str, &str)] = &[("region", "China")];
    const RG_INDIA: &[(&str, &str)] = &[("region", "India")];
    const AZ1: &[(&str, &str)] = &[("az", "az1")];
    const AZ2: &[(&str, &str)] = &[("az", "az2")];
    const RG_CHINA_AZ1: &[(&str, &str)] = &[("region", "China"), ("az", "az1")];
    const STAY_WITH_S1_IN_REGION: P = P {
        pref: &[(5, (&[("security", In, &["S1"])], "region"))],
        ..NONE
    };
    const STAY_WITH_S2_IN_REGION: P = P {
        pref: &[(6, (&[("security", In, &["S2"])], "region"))],
        ..NONE
    };
    const AFFINITY3: P = P {
        pref: &[
            (
                8,
                (
                    &[("security", NotIn, &["S1"]), ("security", In, &["S2"])],
                    "region",
                ),
            ),
            (
                2,
                (
                    &[("security", Exists, &[]), ("wrongkey", DoesNotExist, &[])],
                    "region",
                ),
            ),
        ],
        ..NONE
    };
    const HARD_AFFINITY: P = P {
        aff: &[
            (&[("security", In, &["S1", "value2"])], "region"),
            (
                &[("security", Exists, &[]), ("wrongkey", DoesNotExist, &[])],
                "region",
            ),
        ],
        ..NONE
    };
    const AWAY_FROM_S1_IN_AZ: P = P {
        pref_anti: &[(5, (&[("security", In, &["S1"])], "az"))],
        ..NONE
    };
    const AWAY_FROM_S2_IN_AZ: P = P {
        pref_anti: &[(5, (&[("security", In, &["S2"])], "az"))],
        ..NONE
    };
    const STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ: P = P {
        pref: &[(8, (&[("security", In, &["S1"])], "region"))],
        pref_anti: &[(5, (&[("security", In, &["S2"])], "az"))],
        ..NONE
    };

    #[test]
    fn preferred_affinity() {
        // TestPreferredAffinity (hardPodAffinityWeight 1).
        let with = |labels, p: P<'static>| P { labels, ..p };
        let on = |node, labels| (node, P { labels, ..NONE });
        type Case<'a> = (
            &'a str,
            Nodes<'a>,
            Vec<(usize, P<'a>)>,
            P<'a>,
            Option<Vec<i64>>,
        );
        let cases: Vec<Case> = vec![
            (
                "all nodes are same priority as Affinity is nil",
                &[RG_CHINA, RG_INDIA, AZ1],
                vec![],
                with(S1, NONE),
                None,
            ),
            (
                "Affinity: pod that matches topology key & pods in nodes will get high score \
                 comparing to otherswhich doesn't match either pods in nodes or in topology key",
                &[RG_CHINA, RG_INDIA, AZ1],
                vec![on(0, S1), on(1, S2), on(2, S1)],
                with(S1, STAY_WITH_S1_IN_REGION),
                Some(vec![100, 0, 0]),
            ),
            (
                "All the nodes that have the same topology key & label value with one of them \
                 has an existing pod that match the affinity rules, have the same score",
                &[RG_CHINA, RG_CHINA_AZ1, RG_INDIA],
                vec![on(0, S1)],
                STAY_WITH_S1_IN_REGION,
                Some(vec![100, 100, 0]),
            ),
            (
                // Raw China 24, India 12: min-max scaling over the scores gives India 0 (with
                // both bounds starting at 0, as before upstream PR #98096, India would get 50).
                "Affinity: nodes in one region has more matching pods comparing to other region, \
                 so the region which has more matches will get high score",
                &[RG_CHINA, RG_INDIA, RG_CHINA, RG_CHINA, RG_INDIA],
                vec![
                    on(0, S2),
                    on(0, S2),
                    on(1, S2),
                    on(2, S2),
                    on(3, S2),
                    on(4, S2),
                ],
                with(S1, STAY_WITH_S2_IN_REGION),
                Some(vec![100, 0, 100, 100, 0]),
            ),
            (
                "Affinity: different Label operators and values for pod affinity scheduling \
                 preference, including some match failures ",
                &[RG_CHINA, RG_INDIA, AZ1],
                vec![on(0, S1), on(1, S2), on(2, S1)],
                with(S1, AFFINITY3),
                Some(vec![20, 100, 0]),
            ),
            (
                "Affinity symmetry: considered only the preferredDuringSchedulingIgnoredDuring\
                 Execution in pod affinity symmetry",
                &[RG_CHINA, RG_INDIA, AZ1],
                vec![
                    (0, with(S1, STAY_WITH_S1_IN_REGION)),
                    (1, with(S2, STAY_WITH_S2_IN_REGION)),
                ],
                with(S2, NONE),
                Some(vec![0, 100, 0]),
            ),
            (
                "Affinity symmetry: considered RequiredDuringSchedulingIgnoredDuringExecution in \
                 pod affinity symmetry",
                &[RG_CHINA, RG_INDIA, AZ1],
                vec![(0, with(S1, HARD_AFFINITY)), (1, with(S2, HARD_AFFINITY))],
                with(S1, NONE),
                Some(vec![100, 100, 0]),
            ),
            (
                "Anti Affinity: pod that does not match existing pods in node will get high \
                 score ",
                &[AZ1, RG_CHINA],
                vec![on(0, S1), on(1, S2)],
                with(S1, AWAY_FROM_S1_IN_AZ),
                Some(vec![0, 100]),
            ),
            (
                "Anti Affinity: pod that does not match topology key & match the pods in nodes \
                 will get higher score comparing to others ",
                &[AZ1, RG_CHINA],
                vec![on(0, S1), on(1, S1)],
                with(S1, AWAY_FROM_S1_IN_AZ),
                Some(vec![0, 100]),
            ),
            (
                "Anti Affinity: one node has more matching pods comparing to other node, so the \
                 node which has more unmatches will get high score",
                &[AZ1, RG_INDIA],
                vec![on(0, S1), on(0, S1), on(1, S2)],
                with(S1, AWAY_FROM_S1_IN_AZ),
                Some(vec![0, 100]),
            ),
            (
                "Anti Affinity symmetry: the existing pods in node which has anti affinity match \
                 will get high score",
                &[AZ1, AZ2],
                vec![
                    (0, with(S1, AWAY_FROM_S2_IN_AZ)),
                    (1, with(S2, AWAY_FROM_S1_IN_AZ)),
                ],
                with(S2, NONE),
                Some(vec![0, 100]),
            ),
            (
                "Affinity and Anti Affinity: considered only preferredDuringSchedulingIgnored\
                 DuringExecution in both pod affinity & anti affinity",
                &[RG_CHINA, AZ1],
                vec![on(0, S1), on(1, S1)],
                with(S1, STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ),
                Some(vec![100, 0]),
            ),
            (
                // Raw China 40, India 16 (also differs from the 0-based min-max scaling).
                "Affinity and Anti Affinity: considering both affinity and anti-affinity, the \
                 pod to schedule and existing pods have the same labels",
                &[RG_CHINA_AZ1, RG_INDIA, RG_CHINA, RG_CHINA, RG_INDIA],
                vec![
                    on(0, S1),
                    on(0, S1),
                    on(1, S1),
                    on(2, S1),
                    on(2, S1),
                    on(3, S1),
                    on(4, S1),
                ],
                with(S1, STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ),
                Some(vec![100, 0, 100, 100, 0]),
            ),
            (
                "Affinity and Anti Affinity and symmetry: considered only preferredDuring\
                 SchedulingIgnoredDuringExecution in both pod affinity & anti affinity & symmetry",
                &[RG_CHINA, AZ1, RG_INDIA, AZ2],
                vec![
                    on(0, S1),
                    on(1, S2),
                    (2, STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ),
                    (3, AWAY_FROM_S1_IN_AZ),
                ],
                with(S1, STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ),
                Some(vec![100, 0, 100, 0]),
            ),
            (
                // Both nodes score 8: equal scores normalize to 0 (100 with 0-based bounds).
                "Avoid panic when partial nodes in a topology don't have pods with affinity",
                &[RG_CHINA, RG_CHINA],
                vec![on(0, S1), (1, STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ)],
                with(S1, NONE),
                Some(vec![0, 0]),
            ),
            (
                "Do not ignore preferred terms of existing pods",
                &[RG_CHINA, RG_INDIA],
                vec![
                    (0, with(S1, STAY_WITH_S1_IN_REGION_AWAY_FROM_S2_IN_AZ)),
                    (1, with(S2, STAY_WITH_S2_IN_REGION)),
                ],
                with(S2, NONE),
                Some(vec![0, 100]),
            ),
            ("No nodes to score", &[], vec![], with(S2, NONE), None),
        ];
        for (name, nodes, existing, pod, want) in cases {
            assert_eq!(score(nodes, &existing, pod, 1), want, "{name}");
        }
    }

    #[test]
    fn preferred_affinity_with_hard_pod_affinity_symmetric_weight() {
        // TestPreferredAffinityWithHardPodAffinitySymmetricWeight (the existing pods' term
        // lists namespaces that include the incoming pod's: kubesim matches every pod).
        let hard = P {
            aff: &[(&[("service", In, &["S1"])], "region")],
            ..NONE
        };
        let pod = P {
            labels: &[("service", "S1")],
            ..NONE
        };
        let nodes: Nodes = &[RG_CHINA, RG_INDIA, AZ1];
        let existing = [(0, hard), (1, hard)];
        // "with default weight"
        assert_eq!(score(nodes, &existing, pod, 1), Some(vec![100, 100, 0]));
        // "with zero weight": PreScore skips.
        assert_eq!(score(nodes, &existing, pod, 0), None);
    }

    #[test]
    fn affinity_discrepancy() {
        // filtering_discrepancy_test.go, TestAffinityDiscrepancy: two hostname-scoped terms
        // need one pod matching both. node-1 holds a pod for each term, node-3 one pod
        // matching both, node-2 nothing.
        const H: &str = crate::cluster::LABEL_HOSTNAME;
        let two_terms: &[T] = &[(&[("foo", In, &["bar"])], H), (&[("baz", In, &["qux"])], H)];
        let a = P {
            labels: &[("foo", "bar")],
            ..NONE
        };
        let b = P {
            labels: &[("baz", "qux")],
            ..NONE
        };
        let both = P {
            labels: &[("foo", "bar"), ("baz", "qux")],
            ..NONE
        };
        let nodes: Nodes = &[&[], &[], &[]];
        let incoming = P {
            aff: two_terms,
            ..NONE
        };
        assert_eq!(
            filter(nodes, &[(0, a), (0, b), (1, both)], incoming),
            vec![AFF, OK, AFF]
        );
        // Without node-3, no pod matches both terms: the incoming pod, which matches its own
        // terms, may go to the empty node-2.
        let own = P {
            labels: both.labels,
            ..incoming
        };
        assert_eq!(filter(&nodes[..2], &[(0, a), (0, b)], own)[1], OK);
    }
}

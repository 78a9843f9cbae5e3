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

    fn score_all(&self, _pod: &Pod, nodes: &[NodeId], cluster: &ClusterState, out: &mut Vec<i64>) {
        let index = &cluster.topology;
        out.extend(nodes.iter().map(|&id| {
            self.score_counts
                .iter()
                .map(|c| Self::count(index, c, id))
                .sum::<i64>()
        }));
    }

    /// Min-max scaling with both bounds starting at 0 (scoring.go `NormalizeScore`):
    /// `int64(100 * (s − min) / (max − min))`, 0 everywhere when max == min.
    fn normalize(&self, scores: &mut [i64]) {
        let (mut max, mut min) = (0i64, 0i64);
        for &s in scores.iter() {
            max = max.max(s);
            min = min.min(s);
        }
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

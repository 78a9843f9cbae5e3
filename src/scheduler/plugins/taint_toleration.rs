//! TaintToleration filter and score (pkg/scheduler/framework/plugins/tainttoleration).
//!
//! Filter: every `NoSchedule` / `NoExecute` taint of the node must be tolerated.
//! Score: the number of `PreferNoSchedule` taints not tolerated by the pod's tolerations whose
//! effect is `PreferNoSchedule` or empty, normalized with `DefaultNormalizeScore(100, reverse)`.

use super::{FilterFailure, FilterPlugin, MAX_NODE_SCORE, ScorePlugin, default_normalize_score};
use crate::cluster::ClusterState;
use crate::cluster::labels::{TaintEffect, tolerated};
use crate::cluster::node::{Node, PoolId};
use crate::cluster::pod::{Pod, TemplateId};

/// The TaintToleration plugin. Taints belong to node pools, so the per-pod verdicts are
/// computed once per pool in PreFilter / PreScore and looked up per node; a node's own taints
/// (NoSchedule/NoExecute, added when it becomes NotReady) are checked per node.
#[derive(Default)]
pub struct TaintToleration {
    /// Per pool: whether the current pod tolerates all its NoSchedule/NoExecute taints.
    pools: PoolVerdicts,
    /// Per pool: the number of PreferNoSchedule taints the current pod does not tolerate.
    pool_intolerable: Vec<i64>,
    /// Whether the current pod tolerates the memory-pressure taint of nodes under memory
    /// pressure (a per-node condition taint, not a pool taint).
    tolerates_memory_pressure: bool,
}

/// A pod template's verdicts on every pool's NoSchedule / NoExecute taints
/// ([`tolerates_pool`]), kept for the last template asked: pool taints and template
/// tolerations never change during a run, so consecutive pods of one template reuse them.
#[derive(Default)]
pub struct PoolVerdicts {
    /// The template and pool count `allowed` was computed for.
    key: Option<(TemplateId, usize)>,
    /// Per pool.
    allowed: Vec<bool>,
}

impl PoolVerdicts {
    /// Brings the verdicts up to date for `pod`'s template.
    pub fn update(&mut self, pod: &Pod, cluster: &ClusterState) {
        let key = (pod.template, cluster.pools.len());
        if self.key != Some(key) {
            self.allowed.clear();
            self.allowed
                .extend((0..cluster.pools.len()).map(|p| tolerates_pool(pod, p, cluster)));
            self.key = Some(key);
        }
    }

    /// Whether the template tolerates every NoSchedule / NoExecute taint of `pool`.
    #[inline]
    pub fn allows(&self, pool: PoolId) -> bool {
        self.allowed[pool.0 as usize]
    }
}

/// Whether `pod` tolerates every NoSchedule / NoExecute taint of `pool`.
pub fn tolerates_pool(pod: &Pod, pool: usize, cluster: &ClusterState) -> bool {
    let tolerations = &cluster.templates[pod.template.0 as usize].tolerations;
    cluster.pools[pool].taints.iter().all(|t| {
        !matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
            || tolerated(tolerations, t)
    })
}

/// Whether `pod` tolerates the node's own taints (the node lifecycle controller's NoSchedule
/// and NoExecute taints, on top of its pool's; see `Node::taints`).
#[inline]
pub fn tolerates_node_taints(pod: &Pod, node: &Node, cluster: &ClusterState) -> bool {
    !node.tainted || {
        let tolerations = &cluster.templates[pod.template.0 as usize].tolerations;
        node.taints.iter().all(|t| tolerated(tolerations, t))
    }
}

/// Number of PreferNoSchedule taints of `pool` not tolerated by the pod's tolerations whose
/// effect is PreferNoSchedule or empty.
pub fn intolerable_prefer_no_schedule(pod: &Pod, pool: usize, cluster: &ClusterState) -> i64 {
    let tolerations = &cluster.templates[pod.template.0 as usize].tolerations;
    cluster.pools[pool]
        .taints
        .iter()
        .filter(|t| t.effect == TaintEffect::PreferNoSchedule)
        .filter(|t| {
            !tolerations.iter().any(|tol| {
                matches!(tol.effect, None | Some(TaintEffect::PreferNoSchedule)) && tol.tolerates(t)
            })
        })
        .count() as i64
}

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &str {
        "TaintToleration"
    }

    /// Reads only the pod and the node.
    fn node_local(&self, _pod: &Pod, _cluster: &ClusterState) -> bool {
        true
    }

    fn pre_filter(&mut self, pod: &Pod, cluster: &ClusterState) {
        self.pools.update(pod, cluster);
        self.tolerates_memory_pressure = cluster
            .tolerates_memory_pressure(&cluster.templates[pod.template.0 as usize].tolerations);
    }

    #[inline]
    fn filter(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> Result<(), FilterFailure> {
        if self.pools.allows(node.pool)
            && (!node.memory_pressure || self.tolerates_memory_pressure)
            && tolerates_node_taints(pod, node, cluster)
        {
            Ok(())
        } else {
            Err(FilterFailure::Unresolvable("node(s) had untolerated taint"))
        }
    }
}

impl ScorePlugin for TaintToleration {
    fn name(&self) -> &str {
        "TaintToleration"
    }

    fn pre_score(&mut self, pod: &Pod, cluster: &ClusterState) -> bool {
        self.pool_intolerable.clear();
        self.pool_intolerable.extend(
            (0..cluster.pools.len()).map(|p| intolerable_prefer_no_schedule(pod, p, cluster)),
        );
        true
    }

    #[inline]
    fn score(&self, _: &Pod, node: &Node, _: &ClusterState) -> i64 {
        self.pool_intolerable[node.pool.0 as usize]
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
    }
}

#[cfg(test)]
mod tests {
    //! taint_toleration_test.go (kubernetes/kubernetes, commit
    //! 04c0d74f8e8bf18e93a9d8d082b218d3eb4c6395). The Gt/Lt numeric-operator cases
    //! (TaintTolerationComparisonOperators feature gate) are not modelled and are left out.
    //! Upstream tolerations without an operator mean `Equal`.
    use super::*;
    use crate::cluster::labels::{Taint, Toleration, TolerationOperator};
    use crate::cluster::resources::Resources;
    use crate::scheduler::plugins::node_resources_fit::test_support::{Fixture, alloc};
    use TaintEffect::{NoSchedule, PreferNoSchedule};
    use TolerationOperator::{Equal, Exists};

    const NODE: Resources = alloc(4000, 8 << 30, 0);

    /// (key, value, effect).
    type TaintSpec<'a> = (&'a str, &'a str, TaintEffect);

    fn taints(f: &mut Fixture, list: &[TaintSpec]) -> Vec<Taint> {
        list.iter()
            .map(|&(key, value, effect)| Taint {
                key: f.intern(key),
                value: f.intern(value),
                effect,
            })
            .collect()
    }

    /// (key, operator, value, effect); an empty key means all keys.
    type Tol<'a> = (&'a str, TolerationOperator, &'a str, Option<TaintEffect>);

    fn tolerations(f: &mut Fixture, list: &[Tol]) -> Vec<Toleration> {
        list.iter()
            .map(|&(key, operator, value, effect)| Toleration {
                key: (!key.is_empty()).then(|| f.intern(key)),
                operator,
                value: f.intern(value),
                effect,
                toleration_ms: None,
            })
            .collect()
    }

    /// TestTaintTolerationScore: raw scores of each node, then NormalizeScore.
    #[test]
    fn taint_toleration_score_upstream_cases() {
        // (case name, pod tolerations, taints of each node, expected normalized scores)
        type Case<'a> = (&'a str, Vec<Tol<'a>>, Vec<&'a [TaintSpec<'a>]>, Vec<i64>);
        let pns = Some(PreferNoSchedule);
        let cases: Vec<Case> = vec![
            (
                "node with taints tolerated by the pod, gets a higher score than those node with \
                 intolerable taints",
                vec![("foo", Equal, "bar", pns)],
                vec![
                    &[("foo", "bar", PreferNoSchedule)],
                    &[("foo", "blah", PreferNoSchedule)],
                ],
                vec![100, 0],
            ),
            (
                "the nodes that all of their taints are tolerated by the pod, get the same score, \
                 no matter how many tolerable taints a node has",
                vec![
                    ("cpu-type", Equal, "arm64", pns),
                    ("disk-type", Equal, "ssd", pns),
                ],
                vec![
                    &[],
                    &[("cpu-type", "arm64", PreferNoSchedule)],
                    &[
                        ("cpu-type", "arm64", PreferNoSchedule),
                        ("disk-type", "ssd", PreferNoSchedule),
                    ],
                ],
                vec![100, 100, 100],
            ),
            (
                "the more intolerable taints a node has, the lower score it gets.",
                vec![("foo", Equal, "bar", pns)],
                vec![
                    &[],
                    &[("cpu-type", "arm64", PreferNoSchedule)],
                    &[
                        ("cpu-type", "arm64", PreferNoSchedule),
                        ("disk-type", "ssd", PreferNoSchedule),
                    ],
                ],
                vec![100, 50, 0],
            ),
            (
                "only taints and tolerations that have effect PreferNoSchedule are checked by \
                 taints-tolerations priority function",
                vec![
                    ("cpu-type", Equal, "arm64", Some(NoSchedule)),
                    ("disk-type", Equal, "ssd", Some(NoSchedule)),
                ],
                vec![
                    &[],
                    &[("cpu-type", "arm64", NoSchedule)],
                    &[
                        ("cpu-type", "arm64", PreferNoSchedule),
                        ("disk-type", "ssd", PreferNoSchedule),
                    ],
                ],
                vec![100, 100, 0],
            ),
            (
                "Default behaviour No taints and tolerations, lands on node with no taints",
                vec![],
                vec![&[], &[("cpu-type", "arm64", PreferNoSchedule)]],
                vec![100, 0],
            ),
        ];
        let failures: Vec<String> = cases
            .into_iter()
            .filter_map(|(name, tols, nodes, want)| {
                let mut f = Fixture::new();
                for t in nodes {
                    let t = taints(&mut f, t);
                    f.node(NODE, t);
                }
                let tols = tolerations(&mut f, &tols);
                let template = f.template(tols);
                let pod = f.pod(Resources::ZERO, template);
                let got = f.normalized_scores(&mut TaintToleration::default(), pod);
                (got != want).then(|| format!("{name:?}: want {want:?}, got {got:?}"))
            })
            .collect();
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    /// TestTaintTolerationFilter. Upstream rejects with UnschedulableAndUnresolvable (our
    /// `Unresolvable`) and the message "node(s) had untolerated taint(s)"; our message is
    /// "node(s) had untolerated taint", so only the status kind is compared.
    #[test]
    fn taint_toleration_filter_upstream_cases() {
        let ns = Some(NoSchedule);
        // (case name, pod tolerations, node taints, fits)
        type Case<'a> = (&'a str, Vec<Tol<'a>>, Vec<TaintSpec<'a>>, bool);
        let cases: Vec<Case> = vec![
            (
                "A pod having no tolerations can't be scheduled onto a node with nonempty taints",
                vec![],
                vec![("dedicated", "user1", NoSchedule)],
                false,
            ),
            (
                "A pod which can be scheduled on a dedicated node assigned to user1 with effect \
                 NoSchedule",
                vec![("dedicated", Equal, "user1", ns)],
                vec![("dedicated", "user1", NoSchedule)],
                true,
            ),
            (
                "A pod which can't be scheduled on a dedicated node assigned to user2 with effect \
                 NoSchedule",
                vec![("dedicated", Equal, "user2", ns)],
                vec![("dedicated", "user1", NoSchedule)],
                false,
            ),
            (
                "A pod can be scheduled onto the node, with a toleration uses operator Exists \
                 that tolerates the taints on the node",
                vec![("foo", Exists, "", ns)],
                vec![("foo", "bar", NoSchedule)],
                true,
            ),
            (
                "A pod has multiple tolerations, node has multiple taints, all the taints are \
                 tolerated, pod can be scheduled onto the node",
                vec![("dedicated", Equal, "user2", ns), ("foo", Exists, "", ns)],
                vec![
                    ("dedicated", "user2", NoSchedule),
                    ("foo", "bar", NoSchedule),
                ],
                true,
            ),
            (
                "A pod has a toleration that keys and values match the taint on the node, but \
                 (non-empty) effect doesn't match, can't be scheduled onto the node",
                vec![("foo", Equal, "bar", Some(PreferNoSchedule))],
                vec![("foo", "bar", NoSchedule)],
                false,
            ),
            (
                "The pod has a toleration that keys and values match the taint on the node, the \
                 effect of toleration is empty, and the effect of taint is NoSchedule. Pod can \
                 be scheduled onto the node",
                vec![("foo", Equal, "bar", None)],
                vec![("foo", "bar", NoSchedule)],
                true,
            ),
            (
                "The pod has a toleration that key and value don't match the taint on the node, \
                 but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto \
                 the node",
                vec![("dedicated", Equal, "user2", ns)],
                vec![("dedicated", "user1", PreferNoSchedule)],
                true,
            ),
            (
                "The pod has no toleration, but the effect of taint on node is \
                 PreferNoSchedule. Pod can be scheduled onto the node",
                vec![],
                vec![("dedicated", "user1", PreferNoSchedule)],
                true,
            ),
        ];
        let failures: Vec<String> = cases
            .into_iter()
            .filter_map(|(name, tols, node_taints, fits)| {
                let mut f = Fixture::new();
                let t = taints(&mut f, &node_taints);
                let node = f.node(NODE, t);
                let tols = tolerations(&mut f, &tols);
                let template = f.template(tols);
                let pod = f.pod(Resources::ZERO, template);
                let got = f.filter(&mut TaintToleration::default(), pod, node);
                let ok = if fits {
                    got.is_ok()
                } else {
                    matches!(got, Err(FilterFailure::Unresolvable(_)))
                };
                (!ok).then(|| format!("{name:?}: want fits = {fits}, got {got:?}"))
            })
            .collect();
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    /// A node's own taints (the node lifecycle controller's `unreachable` NoSchedule and
    /// NoExecute) filter like pool taints; a pod tolerating them (here: everything) passes.
    #[test]
    fn node_taints_filter_like_pool_taints() {
        let mut f = Fixture::new();
        let node = f.node(NODE, vec![]);
        let plain = f.template(vec![]);
        let all = tolerations(&mut f, &[("", Exists, "", None)]);
        let tolerant = f.template(all);
        let (p, q) = (
            f.pod(Resources::ZERO, plain),
            f.pod(Resources::ZERO, tolerant),
        );
        let unreachable = taints(
            &mut f,
            &[
                ("node.kubernetes.io/unreachable", "", NoSchedule),
                ("node.kubernetes.io/unreachable", "", TaintEffect::NoExecute),
            ],
        );
        let mut plugin = TaintToleration::default();
        assert!(f.filter(&mut plugin, p, node).is_ok());
        for t in unreachable {
            assert!(f.cluster.add_node_taint(node, t));
        }
        assert!(matches!(
            f.filter(&mut plugin, p, node),
            Err(FilterFailure::Unresolvable(_))
        ));
        assert!(f.filter(&mut plugin, q, node).is_ok());
        let key = f.intern("node.kubernetes.io/unreachable");
        assert!(f.cluster.remove_node_taint(node, key, NoSchedule));
        assert!(
            f.cluster
                .remove_node_taint(node, key, TaintEffect::NoExecute)
        );
        assert!(f.filter(&mut plugin, p, node).is_ok());
        assert!(!f.cluster.nodes[node.0 as usize].tainted);
    }
}

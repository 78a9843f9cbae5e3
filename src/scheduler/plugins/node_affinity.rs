//! NodeAffinity filter and score (pkg/scheduler/framework/plugins/nodeaffinity): the pod's
//! `nodeSelector` and required node affinity must match the node's labels (including the
//! implicit `kubernetes.io/hostname`); the score is the sum of the weights of the matching
//! preferred terms, normalized with `DefaultNormalizeScore(100, false)`.

use super::{FilterFailure, FilterPlugin, MAX_NODE_SCORE, ScorePlugin, default_normalize_score};
use crate::cluster::ClusterState;
use crate::cluster::affinity::NodeLabelView;
use crate::cluster::labels::Symbol;
use crate::cluster::node::Node;
use crate::cluster::pod::Pod;

/// The NodeAffinity plugin.
pub struct NodeAffinity {
    hostname_key: Symbol,
    /// NodeAffinityArgs.addedAffinity: required and preferred terms every pod of the profile
    /// gets on top of its own.
    added: Option<crate::cluster::affinity::NodeAffinity>,
}

impl NodeAffinity {
    /// Creates the plugin, interning the hostname label key.
    pub fn new(cluster: &mut ClusterState) -> Self {
        NodeAffinity {
            hostname_key: cluster.interner.intern("kubernetes.io/hostname"),
            added: None,
        }
    }

    /// The plugin with NodeAffinityArgs.addedAffinity `added` (`None`: none).
    pub fn with_added(
        cluster: &mut ClusterState,
        added: Option<crate::cluster::affinity::NodeAffinity>,
    ) -> Self {
        NodeAffinity {
            added,
            ..Self::new(cluster)
        }
    }
}

pub(crate) fn view<'a>(
    node: &'a Node,
    cluster: &'a ClusterState,
    hostname_key: Symbol,
    resolve: &'a dyn Fn(Symbol) -> &'a str,
) -> NodeLabelView<'a> {
    NodeLabelView {
        labels: &cluster.pools[node.pool.0 as usize].labels,
        hostname_key,
        hostname: node.hostname,
        resolve,
    }
}

impl FilterPlugin for NodeAffinity {
    fn name(&self) -> &str {
        "NodeAffinity"
    }

    /// Reads only the pod and the node.
    fn node_local(&self, _pod: &Pod, _cluster: &ClusterState) -> bool {
        true
    }

    fn filter(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> Result<(), FilterFailure> {
        let affinity = &cluster.templates[pod.template.0 as usize].node_affinity;
        let resolve = |s: Symbol| cluster.interner.resolve(s);
        // nodeaffinity.go: the scheduler-enforced terms are checked first.
        if let Some(added) = &self.added
            && !added.admits(&view(node, cluster, self.hostname_key, &resolve))
        {
            return Err(FilterFailure::Unresolvable(
                "node(s) didn't match scheduler-enforced node affinity",
            ));
        }
        if affinity.node_selector.is_empty() && affinity.required.is_none() {
            return Ok(());
        }
        if affinity.admits(&view(node, cluster, self.hostname_key, &resolve)) {
            Ok(())
        } else {
            Err(FilterFailure::Unresolvable(
                "node(s) didn't match Pod's node affinity/selector",
            ))
        }
    }
}

impl ScorePlugin for NodeAffinity {
    fn name(&self) -> &str {
        "NodeAffinity"
    }

    /// Skips pods without preferred terms, as upstream PreScore does.
    fn pre_score(&mut self, pod: &Pod, cluster: &ClusterState) -> bool {
        !cluster.templates[pod.template.0 as usize]
            .node_affinity
            .preferred
            .is_empty()
            || self.added.as_ref().is_some_and(|a| !a.preferred.is_empty())
    }

    /// The weights of the matching preferred terms: the added ones plus the pod's own.
    fn score(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> i64 {
        let affinity = &cluster.templates[pod.template.0 as usize].node_affinity;
        let resolve = |s: Symbol| cluster.interner.resolve(s);
        let view = view(node, cluster, self.hostname_key, &resolve);
        self.added.as_ref().map_or(0, |a| a.preferred_score(&view))
            + affinity.preferred_score(&view)
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
    }
}

#[cfg(test)]
mod tests {
    //! node_affinity_test.go (kubernetes/kubernetes, commit
    //! 17bae91f207a5f2b101e581c90f7a72fc9adef96), TestNodeAffinityPriority.
    use super::*;
    use crate::cluster::affinity::{NodeAffinity as Affinity, Requirement, SelectorOperator};
    use crate::cluster::labels::Labels;
    use crate::cluster::node::NodePool;
    use crate::cluster::pod::PodTemplate;
    use crate::cluster::resources::Resources;
    use crate::cluster::{NewPod, pod::PodName};
    use crate::engine::time::SimTime;

    /// Scores nodes labelled `node_labels` for a pod with preferred terms `preferred`
    /// (each term: (weight, [(key, value)] with operator In)).
    fn scores(node_labels: &[&[(&str, &str)]], preferred: &[(i64, &[(&str, &str)])]) -> Vec<i64> {
        let mut c = ClusterState::default();
        let mut plugin = NodeAffinity::new(&mut c);
        for (i, labels) in node_labels.iter().enumerate() {
            let pairs = labels
                .iter()
                .map(|(k, v)| (c.interner.intern(k), c.interner.intern(v)))
                .collect();
            let pool = c.add_pool(NodePool {
                name: format!("p{i}"),
                instance_type: "t".into(),
                allocatable: Resources {
                    cpu_milli: 1000,
                    memory_bytes: 1 << 30,
                    gpu_milli: 0,
                    pods: 110,
                },
                labels: Labels::new(pairs),
                taints: vec![],
                zone: "z".into(),
                hourly_price_usd: 1.0,
                spot: false,
            });
            c.add_node(pool, format!("node{i}"), None, SimTime::ZERO);
        }
        let preferred = preferred
            .iter()
            .map(|(w, term)| {
                let reqs = term
                    .iter()
                    .map(|(k, v)| Requirement {
                        key: c.interner.intern(k),
                        operator: SelectorOperator::In,
                        values: vec![c.interner.intern(v)],
                        number: 0,
                    })
                    .collect();
                (*w, reqs)
            })
            .collect();
        let template = c.add_template(PodTemplate {
            node_affinity: Affinity {
                preferred,
                ..Affinity::default()
            },
            ..PodTemplate::default()
        });
        let name = PodName {
            prefix: c.add_name_prefix("p"),
            ordinal: 0,
            width: 0,
        };
        let pod = c.create_pod(NewPod::bare(name, Resources::ZERO, template), SimTime::ZERO);
        let p = &c.pods[pod.0 as usize];
        assert!(plugin.pre_score(p, &c));
        let mut s: Vec<i64> = c.nodes.iter().map(|n| plugin.score(p, n, &c)).collect();
        plugin.normalize(&mut s);
        s
    }

    #[test]
    fn preferred_terms_are_weighted_and_normalized() {
        let label1: &[(&str, &str)] = &[("foo", "bar")];
        let label2: &[(&str, &str)] = &[("key", "value")];
        let label3: &[(&str, &str)] = &[("az", "az1")];
        let label5: &[(&str, &str)] = &[("foo", "bar"), ("key", "value"), ("az", "az1")];
        // "only node1 matches the preferred scheduling requirements of pod"
        assert_eq!(
            scores(&[label1, label2, label3], &[(2, label1)]),
            vec![100, 0, 0]
        );
        // "all nodes matches the preferred scheduling requirements of pod but with different
        // priorities": raw 2, 11, 4 -> 18, 100, 36.
        let affinity2: &[(i64, &[(&str, &str)])] = &[(2, label1), (4, label2), (5, label5)];
        assert_eq!(
            scores(&[label1, label5, label2], affinity2),
            vec![18, 100, 36]
        );
        // "no node matches ...": all zero.
        let label4: &[(&str, &str)] = &[("abc", "az11"), ("def", "az22")];
        assert_eq!(
            scores(&[label4, label2, label3], &[(2, label1)]),
            vec![0, 0, 0]
        );
    }
}

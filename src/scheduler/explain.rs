//! `kubesim explain`: why a pod went where it went. For one scheduling attempt, every node's
//! filter verdict (with the failing plugin's reason), each score plugin's normalized score on
//! the feasible nodes, the weighted total, and the node actually chosen.

use serde::Serialize;
use std::collections::BTreeMap;

/// One node in an explanation.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NodeExplanation {
    /// Node name.
    pub node: String,
    /// Whether the node passed every filter.
    pub feasible: bool,
    /// Why it did not (the first failing filter's reason, as upstream stops at the first).
    pub reasons: Vec<String>,
    /// Normalized score (0..=100) of each score plugin, before weighting (feasible nodes only).
    pub scores: BTreeMap<String, i64>,
    /// Σ weight × normalized score (0 for infeasible nodes).
    pub total: i64,
}

/// The explanation of one scheduling attempt (JSON shape of `kubesim explain --format json`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Explanation {
    /// Pod name.
    pub pod: String,
    /// Simulated time of the attempt [ms].
    pub time_ms: u64,
    /// Node the scheduler chose (`null` if the pod was unschedulable).
    pub chosen: Option<String>,
    /// Node a preemption had nominated for the pod at the time (omitted when none); the
    /// scheduler tries it first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nominated: Option<String>,
    /// Every live node, in node order.
    pub nodes: Vec<NodeExplanation>,
}

impl Explanation {
    /// A terminal table: one line per node, feasible nodes by descending total first.
    pub fn table(&self, scheduler: &str) -> String {
        let mut nodes: Vec<&NodeExplanation> = self.nodes.iter().collect();
        nodes.sort_by(|a, b| b.feasible.cmp(&a.feasible).then(b.total.cmp(&a.total)));
        let plugins: Vec<&String> = self
            .nodes
            .iter()
            .flat_map(|n| n.scores.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let width = self
            .nodes
            .iter()
            .map(|n| n.node.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut t = format!(
            "pod {} at {} ms, scheduler {}: chosen {}\n",
            self.pod,
            self.time_ms,
            scheduler,
            self.chosen.as_deref().unwrap_or("none (unschedulable)")
        );
        if let Some(n) = &self.nominated {
            t.insert_str(t.len() - 1, &format!(" (nominated {n} by preemption)"));
        }
        t.push_str(&format!(
            "{:<width$}  {:>8}  {:>6}",
            "node", "feasible", "total"
        ));
        for p in &plugins {
            t.push_str(&format!("  {p:>w$}", w = p.len().max(5)));
        }
        t.push_str("  reasons\n");
        for n in nodes {
            let mark = if self.chosen.as_deref() == Some(n.node.as_str()) {
                "*"
            } else {
                ""
            };
            t.push_str(&format!(
                "{:<width$}  {:>8}  {:>6}",
                format!("{}{mark}", n.node),
                n.feasible,
                n.total
            ));
            for p in &plugins {
                let v = n
                    .scores
                    .get(*p)
                    .map_or(String::from("-"), |v| v.to_string());
                t.push_str(&format!("  {v:>w$}", w = p.len().max(5)));
            }
            t.push_str(&format!("  {}\n", n.reasons.join("; ")));
        }
        t
    }
}

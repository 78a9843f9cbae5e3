//! `kubesim explain`: hand-checked scores and the JSON shape.

use crate::support::{root, scenario};
use kubesim::{Registry, explain};
use std::process::Command;

#[test]
fn scores_and_choice_are_explained_exactly() {
    // Node a: 4 cpu / 8Gi; node b: 2 cpu / 8Gi; a 1-cpu / 1Gi pod.
    // LeastAllocated: a = (75 + 87) / 2 = 81, b = (50 + 87) / 2 = 68.
    // BalancedAllocation: a = int((1 - |0.25 - 0.125| / 2) * 100) = 93, b = int((1 - 0.1875) * 100) = 81.
    // TaintToleration: no taints, 100 on both. PodTopologySpread (system defaults, the pod is
    // owned by a ReplicaSet): no matching pod anywhere, raw 2 + 4 on both, max == min, so
    // 100 on both. InterPodAffinity: no terms anywhere, skipped.
    // Totals (weights 1, 1, 3, 2): a = 674, b = 649.
    let s = scenario(
        r#"
name: ex
duration: 1m
nodePools:
  - {name: a, count: 1, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 1}
  - {name: b, count: 1, allocatable: {cpu: "2", memory: 8Gi}, hourlyPrice: 1}
  - {name: t, count: 1, allocatable: {cpu: "8", memory: 8Gi}, hourlyPrice: 1, taints: [{key: x, effect: NoSchedule}]}
deployments:
  - {name: p, replicas: 1, template: {requests: {cpu: "1", memory: 1Gi}}}
"#,
    );
    let e = explain(&s, 1, &Registry::with_builtins(), "p-0", None).unwrap();
    assert_eq!(e.pod, "p-0");
    assert_eq!(e.time_ms, 0);
    assert_eq!(e.chosen.as_deref(), Some("a-0"));
    let node = |name: &str| e.nodes.iter().find(|n| n.node == name).unwrap();
    let (a, b, t) = (node("a-0"), node("b-0"), node("t-0"));
    assert_eq!(a.scores["NodeResourcesFit"], 81);
    assert_eq!(b.scores["NodeResourcesFit"], 68);
    assert_eq!(a.scores["NodeResourcesBalancedAllocation"], 93);
    assert_eq!(b.scores["NodeResourcesBalancedAllocation"], 81);
    assert_eq!(a.scores["TaintToleration"], 100);
    assert_eq!(a.scores["PodTopologySpread"], 100);
    assert!(!a.scores.contains_key("InterPodAffinity"));
    assert_eq!((a.total, b.total), (674, 649));
    assert!(!t.feasible);
    assert_eq!(t.reasons, vec!["node(s) had untolerated taint".to_string()]);
    assert!(t.scores.is_empty());
}

#[test]
fn cli_prints_json_and_table_and_rejects_unknown_pods() {
    let kubesim = || Command::new(env!("CARGO_BIN_EXE_kubesim"));
    let quickstart = root().join("scenarios/quickstart.yaml");
    let out = kubesim()
        .args(["explain", "--pod", "web-2", "--format", "json"])
        .arg(&quickstart)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["pod"], "web-2");
    let nodes = json["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 7);
    for key in ["node", "feasible", "reasons", "scores", "total"] {
        assert!(nodes[0].get(key).is_some(), "missing {key}");
    }
    // The chosen node is feasible and has the highest total.
    let chosen = json["chosen"].as_str().unwrap();
    let best = nodes
        .iter()
        .filter(|n| n["feasible"] == true)
        .map(|n| n["total"].as_i64().unwrap())
        .max();
    let chosen_total = nodes.iter().find(|n| n["node"] == chosen).unwrap()["total"].as_i64();
    assert_eq!(chosen_total, best);
    let table = kubesim()
        .args(["explain", "--pod", "api-0", "--at", "10m"])
        .arg(&quickstart)
        .output()
        .unwrap();
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("pod api-0 at 600000 ms"), "{text}");
    let missing = kubesim()
        .args(["explain", "--pod", "nobody-1"])
        .arg(&quickstart)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nobody-1"));
}

//! PodDisruptionBudgets with `matchExpressions`, native and from manifests, end to end.

use crate::support::{run, scenario, simulate};
use kubesim::Scenario;
use kubesim::Simulation;
use kubesim::cluster::pod::PodId;

/// One 4-cpu node full of four 1-cpu priority-0 pods (from t=0, bound in this order): batch-0,
/// batch-1 (app=batch), a-0 (app=a), b-0 (app=b); a 2-cpu priority-1000 web pod arrives at 60 s.
fn yaml(extra: &str) -> String {
    format!(
        r#"
name: pdb-expressions
duration: 10m
priorityClasses:
  - {{name: low, value: 0}}
  - {{name: high, value: 1000}}
nodePools:
  - {{name: n, count: 1, allocatable: {{cpu: "4", memory: 16Gi}}, hourlyPrice: 1}}
deployments:
  - name: batch
    replicas: 2
    template: {{requests: {{cpu: "1", memory: 1Gi}}, priorityClassName: low, labels: {{app: batch}}}}
  - name: a
    replicas: 1
    template: {{requests: {{cpu: "1", memory: 1Gi}}, priorityClassName: low, labels: {{app: a, tier: x}}}}
  - name: b
    replicas: 1
    template: {{requests: {{cpu: "1", memory: 1Gi}}, priorityClassName: low, labels: {{app: b, tier: y}}}}
  - name: web
    replicas: 1
    start: 60s
    template: {{requests: {{cpu: "2", memory: 1Gi}}, priorityClassName: high}}
{extra}"#
    )
}

fn preempted(sim: &Simulation) -> Vec<String> {
    (0..sim.cluster.pods.len() as u32)
        .map(PodId)
        .filter(|&p| sim.cluster.pods[p.0 as usize].disruption.is_some())
        .map(|p| sim.cluster.pod_name(p))
        .collect()
}

#[test]
fn without_a_budget_the_least_important_pods_go() {
    // Victims in importance order (same priority and start: bind order) batch-0, batch-1, a-0,
    // b-0; web needs 2 of 4 cpu: batch-0 (1 + 2 = 3) and batch-1 (4) are reprieved, a-0 and b-0
    // are deleted.
    let sim = simulate(&scenario(&yaml("")));
    assert_eq!(preempted(&sim), vec!["a-0", "b-0"]);
}

#[test]
fn an_in_expression_budget_protects_its_pods_from_preemption() {
    // `app In [a, b]`, minAvailable 2: a-0 and b-0 are both healthy, 0 disruptions allowed, so
    // both would violate. Violating victims are reprieved first: a-0 (3 cpu) and b-0 (4) stay;
    // then batch-0 (5 > 4) and batch-1 go: no violation.
    let s = scenario(&yaml(
        "podDisruptionBudgets:\n  - name: ab\n    selector: {matchExpressions: [{key: app, operator: In, values: [a, b]}]}\n    minAvailable: 2\n",
    ));
    assert_eq!(preempted(&simulate(&s)), vec!["batch-0", "batch-1"]);
    let m = run(&s).summary;
    assert_eq!((m.preemption_victims, m.preemption_pdb_violations), (2, 0));
    // ANDed with matchLabels app=a the budget covers a-0 only (minAvailable 1, 0 allowed):
    // a-0 is reprieved first (3), then batch-0 (4); batch-1 and b-0 go.
    let s = scenario(&yaml(
        "podDisruptionBudgets:\n  - name: a\n    selector: {matchLabels: {app: a}, matchExpressions: [{key: app, operator: In, values: [a, b]}]}\n    minAvailable: 1\n",
    ));
    assert_eq!(preempted(&simulate(&s)), vec!["batch-1", "b-0"]);
}

#[test]
fn an_empty_selector_is_ignored_by_preemption() {
    // policy/v1 `{}` selects every pod, but preemption skips a budget with an empty selector:
    // the same victims as without a budget, no violation counted.
    let s = scenario(&yaml(
        "podDisruptionBudgets:\n  - {name: all, selector: {}, minAvailable: 4}\n",
    ));
    assert_eq!(preempted(&simulate(&s)), vec!["a-0", "b-0"]);
    assert_eq!(run(&s).summary.preemption_pdb_violations, 0);
}

#[test]
fn bad_pdb_expressions_are_rejected_with_the_field() {
    let e = crate::support::try_scenario(&yaml(
        "podDisruptionBudgets:\n  - name: ab\n    selector: {matchExpressions: [{key: app, operator: Gt, values: ['1']}]}\n    minAvailable: 2\n",
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("podDisruptionBudgets[0].selector.matchExpressions[0].operator"),
        "{e}"
    );
}

#[test]
fn a_manifest_budget_with_not_in_and_exists_converts_and_protects() {
    // The low-priority workloads come from manifests; the PDB selects `app NotIn [batch]` and
    // `tier Exists`: a-0 and b-0 (web has no tier label). Same outcome as the
    // native `In` budget.
    let dir = crate::support::temp_dir("pdb-expr");
    let deployment = |name: &str, replicas: u32, labels: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  \
             replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    \
             metadata: {{labels: {labels}}}\n    spec:\n      priorityClassName: low\n      \
             containers:\n      - name: c\n        resources: {{requests: {{cpu: '1', memory: 1Gi}}}}\n"
        )
    };
    let manifests = [
        deployment("batch", 2, "{app: batch}"),
        deployment("a", 1, "{app: a, tier: x}"),
        deployment("b", 1, "{app: b, tier: y}"),
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: ab}\nspec:\n  \
         minAvailable: 2\n  selector:\n    matchExpressions:\n    \
         - {key: app, operator: NotIn, values: [batch]}\n    - {key: tier, operator: Exists}\n"
            .to_owned(),
    ]
    .join("---\n");
    crate::support::write(&dir, "m.yaml", &manifests);
    let p = crate::support::write(
        &dir,
        "s.yaml",
        "name: x\nduration: 10m\npriorityClasses:\n  - {name: low, value: 0}\n  - {name: high, value: 1000}\n\
         nodePools: [{name: n, count: 1, allocatable: {cpu: '4', memory: 16Gi}, hourlyPrice: 1}]\n\
         manifests: [m.yaml]\ndeployments:\n  - name: web\n    replicas: 1\n    start: 60s\n    \
         template: {requests: {cpu: '2', memory: 1Gi}, priorityClassName: high}\n",
    );
    let s = Scenario::load(&p, &[]).unwrap();
    let sel = &s.spec.pod_disruption_budgets[0].selector;
    assert!(sel.match_labels.is_empty());
    let ops: Vec<&str> = sel
        .match_expressions
        .iter()
        .map(|r| r.operator.as_str())
        .collect();
    assert_eq!(ops, ["NotIn", "Exists"]);
    let mut got = preempted(&simulate(&s));
    got.sort();
    assert_eq!(got, vec!["batch-0", "batch-1"]);
    // Without the budget, a-0 and b-0 would go (bind order, as in the native scenario).
    let bare = manifests.rsplit_once("---\n").unwrap().0;
    crate::support::write(&dir, "m.yaml", bare);
    let mut got = preempted(&simulate(&Scenario::load(&p, &[]).unwrap()));
    got.sort();
    assert_eq!(got, vec!["a-0", "b-0"]);
}

//! Preemption end to end, with hand-checked timelines.

use crate::support::{run, scenario, simulate};
use kubesim::Simulation;
use kubesim::cluster::pod::{DisruptionReason, Pod, PodId, PodPhase};

/// One 4-cpu node full of four 1-cpu priority-0 batch pods (from t=0); a 2-cpu priority-1000
/// web pod arrives at 60 s. `extra` is appended to the YAML.
fn yaml(extra: &str) -> String {
    format!(
        r#"
name: preempt
duration: 10m
priorityClasses:
  - {{name: low, value: 0}}
  - {{name: high, value: 1000}}
nodePools:
  - {{name: n, count: 1, allocatable: {{cpu: "4", memory: 16Gi}}, hourlyPrice: 1}}
deployments:
  - name: batch
    replicas: 4
    template: {{requests: {{cpu: "1", memory: 1Gi}}, priorityClassName: low, labels: {{app: batch}}}}
  - name: web
    replicas: 1
    start: 60s
    template: {{requests: {{cpu: "2", memory: 1Gi}}, priorityClassName: high}}
{extra}"#
    )
}

fn pod<'a>(sim: &'a Simulation, name: &str) -> &'a Pod {
    let i = (0..sim.cluster.pods.len())
        .find(|&i| sim.cluster.pod_name(PodId(i as u32)) == name)
        .unwrap_or_else(|| panic!("no pod {name}"));
    &sim.cluster.pods[i]
}

fn preempted(sim: &Simulation) -> Vec<String> {
    (0..sim.cluster.pods.len() as u32)
        .map(PodId)
        .filter(|&p| sim.cluster.pods[p.0 as usize].disruption.is_some())
        .map(|p| sim.cluster.pod_name(p))
        .collect()
}

#[test]
fn victims_terminate_after_the_grace_period_then_the_preemptor_binds() {
    // t=60s: web fits nowhere. Victims on the node: all four batch pods (priority 0 < 1000).
    // Without them web fits; reprieve in importance order (same priority and start time: bind
    // order): batch-0 (1 + 2 = 3 cpu) and batch-1 (4) stay, batch-2 and batch-3 (5) are deleted
    // at 60 s. Their Deployment replaces them at once (batch-4, batch-5: pending, the node is
    // full). They stop at 60 + 30 s (default grace) and web, parked with the node nominated,
    // binds at 90 s: 30 s pending.
    let s = scenario(&yaml(""));
    let sim = simulate(&s);
    assert_eq!(preempted(&sim), vec!["batch-2", "batch-3"]);
    for v in ["batch-2", "batch-3"] {
        let p = pod(&sim, v);
        assert_eq!(p.disruption, Some(DisruptionReason::PreemptionByScheduler));
        assert_eq!(p.deletion_started.as_ms(), 60_000);
        assert_eq!(p.finished.as_ms(), 90_000);
        assert_eq!(p.phase, PodPhase::Failed);
    }
    let web = pod(&sim, "web-0");
    assert_eq!(web.scheduled.as_ms(), 90_000);
    assert_eq!(web.nominated_node, None, "cleared once bound");
    assert_eq!(pod(&sim, "batch-4").phase, PodPhase::Pending);
    assert_eq!(pod(&sim, "batch-4").created.as_ms(), 60_000);

    let m = run(&s).summary;
    assert_eq!(m.preemptions, 1);
    assert_eq!(m.preemption_victims, 2);
    assert_eq!(m.preemption_pdb_violations, 0);
    assert_eq!(m.pods_created, 7);
    assert_eq!(m.pods_scheduled, 5);
    assert_eq!(m.pods_pending_at_end, 2);
    // web, batch-4, batch-5 fail at 60 s; the replacements are retried once by the flush at
    // 390 s (parked more than 5 minutes, capacity changed at 90 s) and fail again.
    assert_eq!(m.unschedulable_attempts, 5);
    assert_eq!(m.pending_time_max_s, 30.0);
    // Requested cpu: 4 cores until 60 s, 4 + 2 (web's reservation is not a request; the
    // victims keep theirs) -> still 4 until 90 s, then 2 batch + web = 4: always full.
    assert!((m.cpu_requested_ratio - 1.0).abs() < 1e-12);
}

#[test]
fn a_pdb_changes_which_pods_are_preempted() {
    // minAvailable 3 of 4 healthy: one disruption allowed. Importance order batch-0..3;
    // batch-0 uses the budget, batch-1..3 would violate it. Violating pods are reprieved first:
    // batch-1 and batch-2 stay, batch-3 goes (a violation); then batch-0 goes.
    let s = scenario(&yaml(
        "podDisruptionBudgets:\n  - {name: batch, selector: {matchLabels: {app: batch}}, minAvailable: 3}\n",
    ));
    let sim = simulate(&s);
    assert_eq!(preempted(&sim), vec!["batch-0", "batch-3"]);
    let m = run(&s).summary;
    assert_eq!(
        (
            m.preemptions,
            m.preemption_victims,
            m.preemption_pdb_violations
        ),
        (1, 2, 1)
    );
    // maxUnavailable 50% of 4 replicas: two disruptions allowed, batch-0 and batch-1 use them;
    // batch-2 and batch-3 are reprieved first and stay.
    let s = scenario(&yaml(
        "podDisruptionBudgets:\n  - {name: batch, selector: {matchLabels: {app: batch}}, maxUnavailable: \"50%\"}\n",
    ));
    assert_eq!(preempted(&simulate(&s)), vec!["batch-0", "batch-1"]);
    assert_eq!(run(&s).summary.preemption_pdb_violations, 0);
}

#[test]
fn never_policy_and_disabled_plugin_do_not_preempt() {
    let never = yaml("").replace(
        "{name: high, value: 1000}",
        "{name: high, value: 1000, preemptionPolicy: Never}",
    );
    let disabled =
        yaml("scheduler: {plugins: {postFilter: {disabled: [{name: DefaultPreemption}]}}}\n");
    for y in [never, disabled] {
        let sim = simulate(&scenario(&y));
        assert!(preempted(&sim).is_empty());
        assert_eq!(pod(&sim, "web-0").phase, PodPhase::Pending);
        assert_eq!(run(&scenario(&y)).summary.preemptions, 0);
    }
}

#[test]
fn the_nominated_node_is_not_taken_by_lower_priority_pods() {
    // Grace 0: the victims stop at 60 s, while web still backs off (1 s after its failure).
    // A 2-cpu priority-0 Job pod arriving at 60.5 s would fit the freed room, but web's
    // nomination holds it; web binds at 61 s and the Job pod waits.
    let s = scenario(
        &yaml(
            "jobs:\n  - {name: filler, start: 60500ms, completions: 1, duration: 1m, \
             template: {requests: {cpu: \"2\", memory: 1Gi}, priorityClassName: low}}\n",
        )
        .replace(
            "labels: {app: batch}}",
            "labels: {app: batch}, terminationGracePeriodSeconds: 0}",
        ),
    );
    let sim = simulate(&s);
    assert_eq!(pod(&sim, "batch-2").finished.as_ms(), 60_000);
    assert_eq!(pod(&sim, "web-0").scheduled.as_ms(), 61_000);
    assert_eq!(pod(&sim, "filler-0").phase, PodPhase::Pending);
}

/// Bind times [s] of the checkout pods and the apps of the preempted pods in a shipped
/// preemption scenario.
fn checkout_outcome(file: &str) -> (Vec<u64>, Vec<String>) {
    let sim = simulate(&crate::support::shipped(file));
    let mut bound: Vec<u64> = (0..6)
        .map(|i| pod(&sim, &format!("checkout-{i}")).scheduled.as_ms() / 1000)
        .collect();
    bound.sort();
    let mut apps: Vec<String> = preempted(&sim)
        .into_iter()
        .map(|n| n.rsplit_once('-').unwrap().0.to_owned())
        .collect();
    apps.sort();
    (bound, apps)
}

#[test]
fn shipped_scenario_preempts_the_newest_batch_pods() {
    // Equal priorities: the most recently started pods (training, from 5 min) go first, and
    // checkout waits for their 120 s grace: every checkout pod binds at 600 + 120 s.
    let (bound, apps) = checkout_outcome("priority-preemption.yaml");
    assert_eq!(bound, vec![720; 6]);
    assert_eq!(apps, vec!["training"; 12]);
}

#[test]
fn shipped_pdb_scenario_moves_the_disruption_to_etl() {
    // The PDB allows one training disruption: the first checkout pod takes it (with an ETL
    // pod) and waits 120 s; the other five take two ETL pods each and bind after their 30 s
    // grace. Each binds as soon as its own nominated node frees up, even when an earlier
    // checkout pod (nominated elsewhere) comes first in the queue.
    let (bound, apps) = checkout_outcome("priority-preemption-pdb.yaml");
    assert_eq!(bound, vec![630, 630, 630, 630, 630, 720]);
    let training = apps.iter().filter(|a| *a == "training").count();
    assert_eq!((apps.len(), training), (12, 1));
}

#[test]
fn bad_budgets_and_policies_are_reported_with_their_field() {
    let cases = [
        (
            "podDisruptionBudgets:\n  - {name: b, selector: {matchLabels: {app: batch}}, minAvailable: 1, maxUnavailable: 1}\n",
            "podDisruptionBudgets[0]",
            "exactly one of minAvailable and maxUnavailable",
        ),
        (
            "podDisruptionBudgets:\n  - {name: b, selector: {matchLabels: {app: batch}}, maxUnavailable: \"120%\"}\n",
            "podDisruptionBudgets[0].maxUnavailable",
            "0% to 100%",
        ),
        (
            "podDisruptionBudgets:\n  - {name: b, selector: {}, minAvailable: -1}\n",
            "podDisruptionBudgets[0].selector.matchLabels",
            "must not be empty",
        ),
        (
            "scheduler: {plugins: {postFilter: {enabled: [{name: Preempt}]}}}\n",
            "scheduler.plugins.postFilter.enabled[0].name",
            "expected DefaultPreemption",
        ),
    ];
    for (extra, field, msg) in cases {
        let e = crate::support::try_scenario(&yaml(extra))
            .and_then(|s| {
                kubesim::scenario::build::build(&s, 1, &kubesim::Registry::with_builtins())
                    .map(|_| s)
            })
            .err()
            .unwrap_or_else(|| panic!("{extra} should fail"))
            .to_string();
        assert!(e.contains(field) && e.contains(msg), "{e}");
    }
    let policy = yaml("").replace(
        "{name: high, value: 1000}",
        "{name: high, value: 1000, preemptionPolicy: Sometimes}",
    );
    let e = crate::support::try_scenario(&policy)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("priorityClasses[1].preemptionPolicy"), "{e}");
}

#[test]
fn explain_shows_the_nomination() {
    let s = crate::support::shipped("priority-preemption-pdb.yaml");
    let registry = kubesim::Registry::with_builtins();
    // At 615 s checkout-5 waits for its victims (30 s grace from 600 s): nominated, unschedulable.
    let at = kubesim::explain(
        &s,
        s.spec.seed,
        &registry,
        "checkout-5",
        Some(kubesim::SimTime(615_000)),
    )
    .unwrap();
    let nominated = at.nominated.clone().expect("nominated");
    assert_eq!(at.chosen, None);
    // Its first successful attempt (630 s) binds it on the nominated node.
    let first = kubesim::explain(&s, s.spec.seed, &registry, "checkout-5", None).unwrap();
    assert_eq!(first.time_ms, 630_000);
    assert_eq!(first.chosen.as_deref(), Some(nominated.as_str()));
    assert!(
        first
            .table("default-scheduler")
            .contains("(nominated general-")
    );
}

#[test]
fn the_built_in_system_classes_exist_without_being_declared() {
    // `system-node-critical` (2,000,001,000) is not in `priorityClasses`, as in a real cluster
    // where the API server creates it. Its pod outranks web's 1000 and preempts two batch pods;
    // a declared class with an unknown name is still an error.
    let s = scenario(&yaml(
        "  - name: agent\n    replicas: 1\n    start: 120s\n    template: {requests: {cpu: \"2\", memory: 1Gi}, priorityClassName: system-node-critical}\n",
    ));
    let sim = simulate(&s);
    let agent = pod(&sim, "agent-0");
    assert_eq!(agent.priority, 2_000_001_000);
    assert!(agent.node.is_some(), "the agent preempted its way in");
    assert_eq!(pod(&sim, "web-0").priority, 1000);
    let err = crate::support::try_scenario(&yaml(
        "  - name: agent\n    replicas: 1\n    template: {priorityClassName: system-critical}\n",
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("system-node-critical"), "{err}");
}

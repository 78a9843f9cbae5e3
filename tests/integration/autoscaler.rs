//! Hand-checked cluster autoscaler timelines (scale-up, scale-down, drains, blocking pods,
//! provisioning timeouts, expanders) and the cost model on small scenarios.

use crate::support::{run, scenario, simulate, temp_dir};
use kubesim::autoscale::cluster_autoscaler::AutoscalerEvent;
use kubesim::cluster::node::NodeState;
use kubesim::cluster::pod::PodPhase;

/// (time [s], action, node) of the autoscaler log rows with one of `actions`.
fn rows(log: &[AutoscalerEvent], actions: &[&str]) -> Vec<(f64, String, String)> {
    log.iter()
        .filter(|e| actions.contains(&e.action))
        .map(|e| (e.time_s, e.action.to_owned(), e.node.clone()))
        .collect()
}

fn row(t: f64, action: &str, node: &str) -> (f64, String, String) {
    (t, action.to_owned(), node.to_owned())
}

const BURST: &str = r#"
name: ca-burst
duration: 40m
nodePools:
  - {name: base, count: 1, allocatable: {cpu: "4", memory: 16Gi}, hourlyPrice: 0.2}
  - {name: burst, count: 0, maxSize: 5, allocatable: {cpu: "4", memory: 16Gi}, hourlyPrice: 0.2}
clusterAutoscaler: {enabled: true, provisioningDelay: 90s}
jobs:
  - name: batch
    start: 15s
    completions: 6
    parallelism: 6
    duration: 20m
    template: {requests: {cpu: "2", memory: 1Gi}}
"#;

#[test]
fn scale_up_timeline_is_exact() {
    // t = 15 s: six 2-cpu pods; the 4-cpu base node takes two, four are parked.
    // Scan at 20 s (the pods are 5 s old, past the 2 s buffer): two template nodes hold the
    // four pods, so two burst nodes are requested, ready 90 s later at 110 s, when the four
    // pods bind (their 1 s backoff is long over): they waited 95 s.
    let s = scenario(BURST);
    let r = run(&s);
    let log = r.autoscaler_log.expect("autoscaler enabled");
    let ups: Vec<&AutoscalerEvent> = log.iter().filter(|e| e.action == "scale-up").collect();
    assert_eq!(ups.len(), 1);
    assert_eq!(
        (ups[0].time_s, ups[0].group.as_str(), ups[0].count),
        (20.0, "burst", 2)
    );
    assert!(
        ups[0].reason.contains("4 pods fit 2 new nodes"),
        "{}",
        ups[0].reason
    );
    assert_eq!(
        rows(&log, &["node-ready"]),
        vec![
            row(110.0, "node-ready", "burst-0"),
            row(110.0, "node-ready", "burst-1")
        ]
    );
    assert_eq!(r.summary.pending_time_max_s, 95.0);
    assert_eq!(r.summary.pods_scheduled, 6);
    assert_eq!(r.summary.nodes_added, 2);
    assert_eq!(r.summary.nodes_peak, 3);
    // The burst pods end at 110 + 1200 = 1310 s, just before that instant's scan, which finds
    // both nodes empty. Deleted once unneeded for strictly more than 10 min: at the 1920 s
    // scan (not at 1910 s), in bulk; removed after the 5 s taint delay.
    assert_eq!(
        rows(&log, &["unneeded", "scale-down", "node-removed"]),
        vec![
            // The 110 s scan runs before the scheduling cycle of that instant: empty for a moment.
            row(110.0, "unneeded", "burst-0"),
            row(110.0, "unneeded", "burst-1"),
            row(1310.0, "unneeded", "burst-0"),
            row(1310.0, "unneeded", "burst-1"),
            row(1920.0, "scale-down", "burst-0"),
            row(1920.0, "scale-down", "burst-1"),
            row(1925.0, "node-removed", "burst-0"),
            row(1925.0, "node-removed", "burst-1"),
        ]
    );
    assert_eq!(r.summary.nodes_removed, 2);
    // Billing per second: the base node 2400 s, each burst node from its request (20 s) to its
    // removal (1925 s), at 0.2 USD/h.
    let want = 0.2 * (2400.0 + 2.0 * 1905.0) / 3600.0;
    assert!(
        (r.summary.cost_usd - want).abs() < 1e-9,
        "{}",
        r.summary.cost_usd
    );
    let last = r.samples.last().unwrap();
    assert_eq!(last.cost_cumulative_usd, r.summary.cost_usd);
    assert!((r.summary.monthly_projection_usd - want / (2400.0 / 3600.0) * 730.0).abs() < 1e-6);
    // Per-group samples: burst has 2 nodes at 2 min (booting from 20 s to 110 s).
    let at = |t: f64, g: &str| {
        r.group_samples
            .iter()
            .find(|x| x.time_s == t && x.group == g)
            .map(|x| (x.nodes, x.nodes_provisioning))
    };
    assert_eq!(at(60.0, "burst"), Some((0, 2)));
    assert_eq!(at(120.0, "burst"), Some((2, 0)));
    assert_eq!(at(2400.0, "burst"), Some((0, 0)));
}

#[test]
fn an_empty_group_shrinks_to_its_min_size_after_ten_minutes() {
    // Three empty nodes, min size 1: unneeded from the first scan (0 s); deleted at the first
    // scan strictly after 10 min (610 s), all at once (up to 10 in bulk) but never below the
    // min size; gone 5 s later.
    let s = scenario(
        "name: empty\nduration: 20m\nnodePools:\n  - {name: g, count: 3, minSize: 1, maxSize: 3, \
         allocatable: {cpu: \"4\", memory: 16Gi}, hourlyPrice: 1}\n\
         clusterAutoscaler: {enabled: true}\n",
    );
    let r = run(&s);
    let log = r.autoscaler_log.unwrap();
    assert_eq!(
        rows(&log, &["scale-down", "node-removed"]),
        vec![
            row(610.0, "scale-down", "g-0"),
            row(610.0, "scale-down", "g-1"),
            row(615.0, "node-removed", "g-0"),
            row(615.0, "node-removed", "g-1"),
        ]
    );
    assert_eq!(r.samples.last().unwrap().nodes, 1);
    // Cost: two nodes for 615 s, one for 1200 s, at 1 USD/h.
    let want = (2.0 * 615.0 + 1200.0) / 3600.0;
    assert!((r.summary.cost_usd - want).abs() < 1e-9);
}

#[test]
fn min_size_is_respected() {
    let s = scenario(
        "name: min\nduration: 20m\nnodePools:\n  - {name: g, count: 3, minSize: 3, maxSize: 5, \
         allocatable: {cpu: \"4\", memory: 16Gi}, hourlyPrice: 1}\n\
         clusterAutoscaler: {enabled: true}\n",
    );
    let r = run(&s);
    assert_eq!(r.summary.nodes_removed, 0);
    assert!(r.autoscaler_log.unwrap().is_empty());
}

const DRAIN: &str = r#"
name: drain
duration: 20m
nodePools:
  - {name: g, count: 2, minSize: 1, maxSize: 3, allocatable: {cpu: "4", memory: 16Gi}, hourlyPrice: 1}
clusterAutoscaler: {enabled: true}
deployments:
  - name: web
    replicas: 2
    template: {requests: {cpu: "1", memory: 1Gi}}
"#;

#[test]
fn an_underutilized_node_is_drained_and_its_pod_rescheduled() {
    // LeastAllocated spreads the two 1-cpu pods, one per node (utilization 0.25 < 0.5); with
    // seed 1 the tie-break puts web-0 on g-1 and web-1 on g-0. The scan at 0 s runs before the
    // pods bind: both nodes are empty and unneeded since 0. From 10 s, g-0's pod fits on g-1,
    // so g-0 stays unneeded; g-1's pod has nowhere to go (g-0 is being emptied in the same
    // simulation): unremovable. At 610 s g-0 is tainted, at 615 s web-1 is evicted, the
    // Deployment recreates it as web-2 and it lands on g-1.
    let s = scenario(DRAIN);
    let sim = simulate(&s);
    let ca = sim.autoscaler.as_ref().unwrap();
    assert_eq!(
        rows(&ca.log, &["scale-down", "node-removed", "unremovable"]),
        vec![
            row(10.0, "unremovable", "g-1"),
            row(610.0, "scale-down", "g-0"),
            row(615.0, "node-removed", "g-0"),
        ]
    );
    let removed = ca.log.iter().find(|e| e.action == "node-removed").unwrap();
    assert_eq!(
        (removed.count, removed.reason.as_str()),
        (1, "drained: 1 pods evicted")
    );
    assert!(
        ca.log
            .iter()
            .any(|e| e.action == "unremovable" && e.reason == "no place to move pod web-0"),
        "{:?}",
        ca.log
    );
    assert_eq!(sim.cluster.nodes[0].state, NodeState::Removed);
    assert_eq!(sim.metrics.pods_evicted, 1);
    // The evicted pod failed; its replacement web-2 runs on g-1 since 615 s.
    let running: Vec<(String, String, f64)> = (0..sim.cluster.pods.len() as u32)
        .map(kubesim::cluster::pod::PodId)
        .filter(|&p| sim.cluster.pods[p.0 as usize].phase == PodPhase::Running)
        .map(|p| {
            let pod = &sim.cluster.pods[p.0 as usize];
            (
                sim.cluster.pod_name(p),
                sim.cluster.nodes[pod.node.unwrap().0 as usize].name.clone(),
                pod.scheduled.as_secs_f64(),
            )
        })
        .collect();
    assert_eq!(
        running,
        vec![
            ("web-0".to_owned(), "g-1".to_owned(), 0.0),
            ("web-2".to_owned(), "g-1".to_owned(), 615.0)
        ]
    );
}

#[test]
fn safe_to_evict_false_and_bare_pods_block_scale_down() {
    let blocked = DRAIN.replace(
        "template: {requests: {cpu: \"1\", memory: 1Gi}}",
        "template:\n      requests: {cpu: \"1\", memory: 1Gi}\n      annotations: \
         {cluster-autoscaler.kubernetes.io/safe-to-evict: \"false\"}",
    );
    let r = run(&scenario(&blocked));
    assert_eq!(r.summary.nodes_removed, 0);
    let log = r.autoscaler_log.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "unremovable"
                && e.reason == "pod web-0 annotated safe-to-evict=false"),
        "{log:?}"
    );
    // Bare pods (a generator's) have no controller: they block too, unless safe-to-evict.
    let bare = "name: bare\nduration: 20m\nnodePools:\n  - {name: g, count: 2, maxSize: 3, \
                allocatable: {cpu: \"4\", memory: 16Gi}, hourlyPrice: 1}\n\
                clusterAutoscaler: {enabled: true}\ngenerators:\n  - {name: solo, ratePerSecond: \
                1, count: 2, template: {requests: {cpu: \"1\"}}}\n";
    let r = run(&scenario(bare));
    assert_eq!(r.summary.nodes_removed, 0);
    let log = r.autoscaler_log.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "unremovable"
                && e.reason.ends_with("not replicated (no controller)")),
        "{log:?}"
    );
    let evictable = bare.replace(
        "template: {requests: {cpu: \"1\"}}",
        "template: {requests: {cpu: \"1\"}, annotations: \
         {cluster-autoscaler.kubernetes.io/safe-to-evict: \"true\"}}",
    );
    let r = run(&scenario(&evictable));
    assert_eq!(r.summary.nodes_removed, 1, "{:?}", r.autoscaler_log);
    assert_eq!(r.summary.pods_evicted, 1);
}

#[test]
fn a_node_that_never_comes_backs_the_group_off() {
    // The node requested at 20 s would take 20 min; at the first scan after 20 s + 15 min
    // (930 s) it is given up and the group backs off for 5 min. At 1230 s the backoff is over
    // and the autoscaler asks again.
    let s = scenario(&BURST.replace("provisioningDelay: 90s", "provisioningDelay: 20m"));
    let r = run(&s);
    let log = r.autoscaler_log.unwrap();
    let got: Vec<(f64, String, String)> = log
        .iter()
        .filter(|e| e.time_s <= 1230.0)
        .map(|e| (e.time_s, e.action.to_owned(), e.reason.clone()))
        .collect();
    let actions: Vec<(f64, &str)> = got.iter().map(|(t, a, _)| (*t, a.as_str())).collect();
    assert_eq!(
        actions,
        vec![
            (20.0, "scale-up"),
            (930.0, "provision-timeout"),
            (930.0, "provision-timeout"),
            (930.0, "scale-up-skipped"),
            (930.0, "no-scale-up"),
            (1230.0, "scale-up"),
        ],
        "{got:?}"
    );
    assert_eq!(
        got[1].2,
        "not ready 15m10s after the request; group backed off for 5m0s"
    );
    assert_eq!(got[3].2, "backed off until 1230 s");
    assert!(r.summary.nodes_removed >= 2);
}

#[test]
fn expanders_choose_as_hand_computed() {
    // Four 1-cpu / 1Gi pods. small (2 cpu, 8Gi) needs 2 nodes: waste 0 + (16−4)/16 = 0.75;
    // big (8 cpu, 32Gi) needs 1: 0.5 + 28/32 = 1.375. least-waste → small; least-nodes → big.
    let base = r#"
name: expanders
duration: 10m
nodePools:
  - {name: tiny, count: 1, allocatable: {cpu: 500m, memory: 1Gi}, hourlyPrice: 0.01}
  - {name: small, count: 0, maxSize: 10, allocatable: {cpu: "2", memory: 8Gi}, hourlyPrice: 0.1}
  - {name: big, count: 0, maxSize: 10, allocatable: {cpu: "8", memory: 32Gi}, hourlyPrice: 0.35}
clusterAutoscaler: {enabled: true, provisioningDelay: 60s, expander: EXPANDER}
deployments:
  - name: app
    replicas: 4
    template: {requests: {cpu: "1", memory: 1Gi}}
"#;
    let chosen = |expander: &str| {
        let r = run(&scenario(&base.replace("EXPANDER", expander)));
        let log = r.autoscaler_log.unwrap();
        let up = log.iter().find(|e| e.action == "scale-up").unwrap().clone();
        (up.group, up.count)
    };
    assert_eq!(chosen("least-waste"), ("small".to_owned(), 2));
    assert_eq!(chosen("least-nodes"), ("big".to_owned(), 1));
    // price: a 1-node cluster prefers 1-cpu nodes. small: unfitness 2, suppressed
    // (2−1)(1 − tanh(1/15)) + 1; big: unfitness 8, 1 node not suppressed. small is cheaper.
    assert_eq!(chosen("price"), ("small".to_owned(), 2));
    let prio = base.replace("EXPANDER", "priority").replace(
        "enabled: true,",
        "enabled: true, expanderPriorities: {10: [small], 20: [\"^b\"]},",
    );
    let r = run(&scenario(&prio));
    let up = r
        .autoscaler_log
        .unwrap()
        .into_iter()
        .find(|e| e.action == "scale-up")
        .unwrap();
    assert_eq!(up.group, "big");
}

#[test]
fn per_hour_billing_rounds_started_hours_up() {
    let s = scenario(
        "name: hourly\nduration: 90m\nbilling: {granularity: 1h, minimum: 0s}\nnodePools:\n  - \
         {name: g, count: 1, allocatable: {cpu: \"1\", memory: 1Gi}, hourlyPrice: 0.5}\n",
    );
    let r = run(&s);
    assert!((r.summary.cost_usd - 1.0).abs() < 1e-12, "90 min bill 2 h");
    // The accrued bill steps at each started hour: 0.5 USD during the first hour.
    let at = |t: f64| {
        r.samples
            .iter()
            .find(|x| x.time_s == t)
            .unwrap()
            .cost_cumulative_usd
    };
    assert_eq!(at(60.0), 0.5);
    assert_eq!(at(3600.0), 0.5);
    assert_eq!(at(3660.0), 1.0);
}

#[test]
fn spot_discount_prices_spot_pools() {
    let s = scenario(
        "name: spot\nduration: 1h\nnodePools:\n  - {name: od, count: 1, instanceType: m5.xlarge}\n  \
         - {name: sp, count: 1, instanceType: m5.xlarge, spot: true, spotDiscount: 0.7}\n",
    );
    let r = run(&s);
    // m5.xlarge on demand 0.192 USD/h; spot pays 30%.
    assert!((r.summary.cost_usd - 0.192 * 1.3).abs() < 1e-9);
    assert!((r.summary.cost_spot_usd - 0.192 * 0.3).abs() < 1e-9);
}

#[test]
fn autoscaler_outputs_are_written_and_deterministic() {
    let s = scenario(BURST);
    let a = run(&s);
    let b = run(&s);
    assert_eq!(a.autoscaler_log, b.autoscaler_log);
    assert_eq!(a.group_samples, b.group_samples);
    let dir = temp_dir("ca-outputs");
    let files = kubesim::report::write_result_outputs(&dir, &a, true).unwrap();
    for f in ["autoscaler.csv", "nodes_by_group.csv", "cost.svg"] {
        assert!(files.iter().any(|p| p.ends_with(f)), "{files:?}");
    }
    let csv = std::fs::read_to_string(dir.join("autoscaler.csv")).unwrap();
    assert!(csv.starts_with("time_s,action,group,node,count,reason\n"));
    assert!(csv.contains("20.0,scale-up,burst,,2,"));
    let svg_a = std::fs::read(dir.join("cost.svg")).unwrap();
    kubesim::report::write_result_outputs(&dir, &b, true).unwrap();
    assert_eq!(svg_a, std::fs::read(dir.join("cost.svg")).unwrap());
    // Without the autoscaler none of these files is written.
    let plain = run(&scenario(&BURST.replace("enabled: true", "enabled: false")));
    assert!(plain.autoscaler_log.is_none());
    let dir = temp_dir("ca-off");
    let files = kubesim::report::write_result_outputs(&dir, &plain, true).unwrap();
    assert!(!files.iter().any(|p| p.ends_with("autoscaler.csv")));
}

#[test]
fn bad_autoscaler_settings_are_rejected_with_the_field() {
    let bad = [
        (
            "clusterAutoscaler: {expander: cheapest}",
            "clusterAutoscaler.expander",
        ),
        (
            "clusterAutoscaler: {expander: priority}",
            "clusterAutoscaler.expanderPriorities",
        ),
        (
            "clusterAutoscaler: {expanderPriorities: {5: [\"(\"]}}",
            "clusterAutoscaler.expanderPriorities.5[0]",
        ),
        (
            "clusterAutoscaler: {scaleDownUtilizationThreshold: 1.5}",
            "clusterAutoscaler.scaleDownUtilizationThreshold",
        ),
        ("billing: {granularity: 0s}", "billing.granularity"),
    ];
    for (extra, field) in bad {
        let yaml = format!(
            "name: bad\nduration: 1m\nnodePools:\n  - {{name: g, count: 1, allocatable: {{cpu: \
             \"1\", memory: 1Gi}}, hourlyPrice: 1}}\n{extra}\n"
        );
        let e = crate::support::try_scenario(&yaml).unwrap_err().to_string();
        assert!(e.contains(field), "{extra}: {e}");
    }
    let pool_errors = [
        ("count: 5, maxSize: 3", "nodePools[0].count"),
        ("count: 1, minSize: 1", "nodePools[0].maxSize"),
        ("count: 1, spotDiscount: 0.5", "nodePools[0].spotDiscount"),
    ];
    for (fields, field) in pool_errors {
        let yaml = format!(
            "name: bad\nduration: 1m\nnodePools:\n  - {{name: g, {fields}, allocatable: {{cpu: \
             \"1\", memory: 1Gi}}, hourlyPrice: 1}}\n"
        );
        let e = crate::support::try_scenario(&yaml).unwrap_err().to_string();
        assert!(e.contains(field), "{fields}: {e}");
    }
    let annotation = "name: bad\nduration: 1m\nnodePools:\n  - {name: g, count: 1, allocatable: \
                      {cpu: \"1\", memory: 1Gi}, hourlyPrice: 1}\ndeployments:\n  - {name: w, \
                      replicas: 1, template: {annotations: \
                      {cluster-autoscaler.kubernetes.io/safe-to-evict: maybe}}}\n";
    let e = crate::support::try_scenario(annotation)
        .unwrap_err()
        .to_string();
    assert!(e.contains("safe-to-evict"), "{e}");
}

#[test]
fn a_pod_disruption_budget_blocks_the_drain() {
    // The DRAIN scenario's scale-down of g-0, with a budget that allows no disruption of the
    // web pods (minAvailable = replicas): the node stays, with the budget as the reason.
    let s = format!(
        "{DRAIN}podDisruptionBudgets:\n  - {{name: web, selector: {{matchLabels: {{app: web}}}}, \
         minAvailable: 2}}\n"
    )
    .replace(
        "template: {requests: {cpu: \"1\", memory: 1Gi}}",
        "template: {labels: {app: web}, requests: {cpu: \"1\", memory: 1Gi}}",
    );
    let r = run(&scenario(&s));
    assert_eq!(r.summary.nodes_removed, 0);
    assert_eq!(r.summary.pods_evicted, 0);
    let log = r.autoscaler_log.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "unremovable"
                && e.reason.ends_with("not enough pod disruption budget")),
        "{log:?}"
    );
}

//! Node failures, zone outages, spot interruptions and drains end to end, with hand-checked
//! timelines.

use crate::support::{run, scenario, simulate};
use kubesim::Simulation;
use kubesim::cluster::pod::{DisruptionReason, Pod, PodId, PodPhase};
use kubesim::metrics::recovery::{Cause, Incident};

fn pod<'a>(sim: &'a Simulation, name: &str) -> &'a Pod {
    let i = (0..sim.cluster.pods.len())
        .find(|&i| sim.cluster.pod_name(PodId(i as u32)) == name)
        .unwrap_or_else(|| panic!("no pod {name}"));
    &sim.cluster.pods[i]
}

fn node_of(sim: &Simulation, name: &str) -> String {
    let n = pod(sim, name).node.expect("bound");
    sim.cluster.nodes[n.0 as usize].name.clone()
}

fn incidents(sim: &Simulation) -> Vec<Incident> {
    sim.metrics.recovery.incidents()
}

/// Two single-node pools (`a` preferred by the service, `b` the fallback) in one zone, and a
/// one-replica service `web`. `extra` is appended (faults, template additions).
fn one_replica(template_extra: &str, extra: &str) -> String {
    format!(
        r#"
name: timeline
duration: 1h
nodePools:
  - {{name: a, count: 1, allocatable: {{cpu: "4", memory: 8Gi}}, hourlyPrice: 1, labels: {{tier: a}}}}
  - {{name: b, count: 2, allocatable: {{cpu: "4", memory: 8Gi}}, hourlyPrice: 1}}
deployments:
  - name: web
    replicas: 1
    template:
      requests: {{cpu: "1", memory: 1Gi}}
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - {{weight: 100, preference: {{matchExpressions: [{{key: tier, operator: In, values: [a]}}]}}}}
{template_extra}
{extra}"#
    )
}

#[test]
fn node_failure_timeline_grace_toleration_replacement() {
    // t = 600 s: a-0 fails; web-0 stops serving (incident opens). 650 s: NotReady (grace
    // 50 s), tainted unreachable:NoSchedule and, the zone's first token, NoExecute. web-0
    // tolerates that for the default 300 s: deleted at 950 s (its kubelet is down: no graceful
    // termination); web-1 replaces it at once on a b node (a-0 is tainted) and is ready (no start latency): recovery 350 s exactly.
    let s = scenario(&one_replica("", "faults:\n  - {at: 10m, node: a-0}\n"));
    let sim = simulate(&s);
    let web0 = pod(&sim, "web-0");
    assert_eq!(node_of(&sim, "web-0"), "a-0");
    assert_eq!(web0.deletion_started.as_ms(), 950_000);
    assert_eq!(
        web0.disruption,
        Some(DisruptionReason::DeletionByTaintManager)
    );
    assert_eq!(web0.phase, PodPhase::Failed);
    assert_eq!(web0.finished.as_ms(), 950_000, "no kubelet: gone at once");
    let web1 = pod(&sim, "web-1");
    assert_eq!(web1.created.as_ms(), 950_000);
    assert_eq!(web1.scheduled.as_ms(), 950_000);
    assert!(node_of(&sim, "web-1").starts_with("b-"));
    let inc = incidents(&sim);
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0].cause, Cause::NodeFailure);
    assert_eq!(inc[0].start.as_ms(), 600_000);
    assert_eq!(inc[0].recovery_ms(), Some(350_000));
    assert_eq!((inc[0].pods, inc[0].min_ready, inc[0].desired), (1, 0, 1));
    // The node events.
    let events: Vec<(u64, &str)> = sim
        .faults
        .log
        .iter()
        .map(|e| (e.time.as_ms(), e.kind.as_str()))
        .collect();
    assert_eq!(
        events,
        vec![
            (600_000, "Down"),
            (650_000, "NotReady"),
            (650_000, "Tainted")
        ]
    );
    let a0 = &sim.cluster.nodes[0];
    assert!(a0.down && a0.taints.len() == 2, "never repaired");

    let r = run(&s);
    let m = &r.summary;
    assert_eq!((m.incidents, m.incidents_open_at_end), (1, 0));
    assert_eq!(m.mttr_mean_s, Some(350.0));
    assert_eq!(m.mttr_max_s, Some(350.0));
    assert_eq!(m.node_failures, 1);
    assert_eq!(m.taint_evictions, 1);
    assert_eq!(m.time_degraded_s, 350.0);
    // At desired for 3600 - 350 s of the hour.
    let availability = m.availability_mean.unwrap();
    assert!(
        (availability - 3250.0 / 3600.0).abs() < 1e-12,
        "{availability}"
    );
    assert_eq!(m.any_ready_mean, m.availability_mean);
    assert_eq!(r.recovery.incidents[0].recovery_s, Some(350.0));
    assert_eq!(r.recovery.node_events.len(), 3);
}

#[test]
fn toleration_seconds_override_and_grace_period_setting() {
    // The pod tolerates unreachable:NoExecute for 30 s and the grace period is 40 s:
    // NotReady at 640 s, deleted at 670 s: recovery 70 s.
    let tol = "      tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}]";
    let s = scenario(&one_replica(
        tol,
        "faults:\n  - {at: 10m, node: a-0}\nnodeLifecycle: {nodeMonitorGracePeriod: 40s}\n",
    ));
    let sim = simulate(&s);
    assert_eq!(pod(&sim, "web-0").deletion_started.as_ms(), 670_000);
    assert_eq!(incidents(&sim)[0].recovery_ms(), Some(70_000));
    // tolerationSeconds 0: deleted as soon as the node is tainted.
    let s = scenario(&one_replica(
        &tol.replace("30}", "0}"),
        "faults:\n  - {at: 10m, node: a-0}\n",
    ));
    assert_eq!(
        pod(&simulate(&s), "web-0").deletion_started.as_ms(),
        650_000
    );
    // Tolerating every taint forever (like a DaemonSet): never deleted, the incident stays
    // open.
    let s = scenario(&one_replica(
        "      tolerations: [{operator: Exists}]",
        "faults:\n  - {at: 10m, node: a-0}\n",
    ));
    let sim = simulate(&s);
    assert_eq!(pod(&sim, "web-0").deletion_started, kubesim::SimTime::NEVER);
    assert_eq!(incidents(&sim)[0].recovery_ms(), None);
}

#[test]
fn repaired_node_rejoins() {
    // Repaired after 2 minutes (before the 350 s eviction): web-0 serves again at 720 s, no
    // eviction, the taints are gone.
    let s = scenario(&one_replica(
        "",
        "faults:\n  - {at: 10m, node: a-0, duration: 2m}\n",
    ));
    let sim = simulate(&s);
    assert_eq!(pod(&sim, "web-0").phase, PodPhase::Running);
    assert_eq!(incidents(&sim)[0].recovery_ms(), Some(120_000));
    let a0 = &sim.cluster.nodes[0];
    assert!(!a0.down && a0.taints.is_empty());
    // Repaired after 10 minutes (after the eviction): the node is Ready and untainted again
    // at 1200 s and takes new pods (web-2 after a scale-up would; here: a Job).
    let s = scenario(&one_replica(
        "",
        "faults:\n  - {at: 10m, node: a-0, duration: 10m}\njobs:\n  - {name: j, start: 25m, completions: 1, duration: 1m, template: {requests: {cpu: '3', memory: 1Gi}, nodeSelector: {tier: a}}}\n",
    ));
    let sim = simulate(&s);
    assert_eq!(pod(&sim, "web-0").deletion_started.as_ms(), 950_000);
    let events: Vec<&str> = sim.faults.log.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(events, vec!["Down", "NotReady", "Tainted", "Up"]);
    assert_eq!(sim.faults.log[3].time.as_ms(), 1_200_000);
    assert_eq!(node_of(&sim, "j-0"), "a-0");
    assert_eq!(pod(&sim, "j-0").scheduled.as_ms(), 1_500_000);
}

#[test]
fn batch_pods_lose_their_work_with_the_node() {
    // A 30-minute Job pod on a-0 (b is tainted PreferNoSchedule) from 0 s; a-0 fails at 10 m:
    // 600 s of work lost when the taint manager deletes it at 950 s; its replacement runs 30
    // minutes on b.
    let s = scenario(
        r#"
name: batch
duration: 2h
nodePools:
  - {name: a, count: 1, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 1}
  - {name: b, count: 1, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 1, taints: [{key: spare, effect: PreferNoSchedule}]}
jobs:
  - {name: j, completions: 1, duration: 30m, template: {requests: {cpu: "1", memory: 1Gi}}}
faults:
  - {at: 10m, node: a-0}
"#,
    );
    let sim = simulate(&s);
    let j0 = pod(&sim, "j-0");
    assert_eq!(j0.phase, PodPhase::Failed, "its run end was cancelled");
    assert_eq!(j0.deletion_started.as_ms(), 950_000);
    let j1 = pod(&sim, "j-1");
    assert_eq!(j1.scheduled.as_ms(), 950_000);
    assert_eq!(j1.finished.as_ms(), 950_000 + 1_800_000);
    let m = run(&s).summary;
    assert_eq!(m.batch_pods_lost, 1);
    assert_eq!(m.lost_work_s, 600.0);
    assert_eq!(m.pods_succeeded, 1);
}

/// A 2-replica service on node `a-0` (preferred), room on `b`, a maintenance drain of a-0 at
/// 10 m; `pdb` adds a budget.
fn drain(pdb: &str) -> String {
    format!(
        r#"
name: drain
duration: 30m
nodePools:
  - {{name: a, count: 1, allocatable: {{cpu: "4", memory: 8Gi}}, hourlyPrice: 1, labels: {{tier: a}}}}
  - {{name: b, count: 1, allocatable: {{cpu: "4", memory: 8Gi}}, hourlyPrice: 1}}
scheduler:
  pluginConfig: [{{name: PodTopologySpread, args: {{defaultingType: List}}}}]
deployments:
  - name: web
    replicas: 2
    template:
      requests: {{cpu: "1", memory: 1Gi}}
      labels: {{app: web}}
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - {{weight: 100, preference: {{matchExpressions: [{{key: tier, operator: In, values: [a]}}]}}}}
faults:
  - {{at: 10m, type: Drain, node: a-0, duration: 5m}}
{pdb}"#
    )
}

#[test]
fn pdb_blocks_a_drain_until_the_replacement_is_ready() {
    // minAvailable 1 of 2: web-0 is evicted at 600 s (2 healthy, 1 allowed); web-1 is refused
    // (1 healthy left). web-2 replaces web-0 on b at once (a-0 is cordoned). The retry 5 s
    // later finds 2 healthy pods (web-1, web-2) and evicts web-1.
    let s = scenario(&drain(
        "podDisruptionBudgets:\n  - {name: web, selector: {matchLabels: {app: web}}, minAvailable: 1}\n",
    ));
    let sim = simulate(&s);
    assert_eq!(node_of(&sim, "web-0"), "a-0");
    assert_eq!(node_of(&sim, "web-1"), "a-0");
    assert_eq!(pod(&sim, "web-0").deletion_started.as_ms(), 600_000);
    assert_eq!(
        pod(&sim, "web-0").disruption,
        Some(DisruptionReason::EvictionByEvictionApi)
    );
    assert_eq!(pod(&sim, "web-1").deletion_started.as_ms(), 605_000);
    assert_eq!(node_of(&sim, "web-2"), "b-0");
    assert_eq!(pod(&sim, "web-2").scheduled.as_ms(), 600_000);
    assert_eq!(pod(&sim, "web-3").scheduled.as_ms(), 605_000);
    // The replacements were ready at once (no start latency): no incident.
    assert!(incidents(&sim).is_empty());
    let m = run(&s).summary;
    assert_eq!((m.evictions, m.evictions_blocked), (2, 1));
    assert_eq!(m.any_ready_mean, Some(1.0));
    // The node is uncordoned at 15 m.
    assert!(!sim.cluster.nodes[0].unschedulable);

    // Without the budget both go at 600 s.
    let sim = simulate(&scenario(&drain("")));
    assert_eq!(pod(&sim, "web-1").deletion_started.as_ms(), 600_000);
}

#[test]
fn zone_outage_taints_nodes_at_the_zone_rate() {
    // Zone z1 (3 nodes, one web pod each, required anti-affinity) goes dark at 10 m for an
    // hour; z2 has room. NotReady at 650 s; the zone's NoExecute tainter takes one node every
    // 10 s (650, 660, 670 s), so the pods are deleted at 950, 960 and 970 s.
    let s = scenario(
        r#"
name: zone
duration: 2h
nodePools:
  - {name: a, count: 3, zone: z1, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 1, labels: {tier: a}}
  - {name: b, count: 3, zone: z2, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 1}
deployments:
  - name: web
    replicas: 3
    template:
      requests: {cpu: "1", memory: 1Gi}
      labels: {app: web}
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - {weight: 100, preference: {matchExpressions: [{key: tier, operator: In, values: [a]}]}}
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}
faults:
  - {at: 10m, zone: z1, duration: 1h}
"#,
    );
    let sim = simulate(&s);
    let mut deleted: Vec<u64> = ["web-0", "web-1", "web-2"]
        .iter()
        .map(|p| pod(&sim, p).deletion_started.as_ms())
        .collect();
    deleted.sort();
    assert_eq!(deleted, vec![950_000, 960_000, 970_000]);
    let tainted: Vec<u64> = sim
        .faults
        .log
        .iter()
        .filter(|e| e.kind.as_str() == "Tainted")
        .map(|e| e.time.as_ms())
        .collect();
    assert_eq!(tainted, vec![650_000, 660_000, 670_000]);
    let inc = incidents(&sim);
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0].cause, Cause::ZoneOutage);
    assert_eq!((inc[0].pods, inc[0].min_ready), (3, 0));
    assert_eq!(inc[0].recovery_ms(), Some(370_000));
    let m = run(&s).summary;
    assert_eq!((m.zone_outages, m.node_failures), (1, 3));
    // The zone comes back at 70 m: every node Ready and untainted.
    assert!(
        sim.cluster
            .nodes
            .iter()
            .all(|n| n.taints.is_empty() && !n.down)
    );
}

#[test]
fn spot_notice_drain_then_loss_and_replacement() {
    // web (1 replica, PDB minAvailable 1) and a Job pod on the spot node. Notice at 10 m:
    // cordon; the Job pod is evicted (no budget) and replaced on the on-demand node; web is
    // refused every 5 s (600..715 s: 24 times). At 720 s the instance is gone: web-0 is
    // deleted with it and replaced on the on-demand node. The replacement instance is ready
    // at 720 + 180 s, uncordoned.
    let s = scenario(
        r#"
name: spot
duration: 1h
nodePools:
  - {name: spot, count: 1, spot: true, hourlyPrice: 0.3, allocatable: {cpu: "4", memory: 8Gi}, labels: {tier: spot}}
  - {name: od, count: 1, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 1}
deployments:
  - name: web
    replicas: 1
    template:
      requests: {cpu: "1", memory: 1Gi}
      labels: {app: web}
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - {weight: 100, preference: {matchExpressions: [{key: tier, operator: In, values: [spot]}]}}
jobs:
  - name: j
    completions: 1
    duration: 2h
    template:
      requests: {cpu: "1", memory: 1Gi}
      nodeSelector: {tier: spot}
podDisruptionBudgets:
  - {name: web, selector: {matchLabels: {app: web}}, minAvailable: 1}
faults:
  - {at: 10m, type: SpotInterruption, pool: spot}
"#,
    );
    let sim = simulate(&s);
    assert_eq!(node_of(&sim, "web-0"), "spot-0");
    let j0 = pod(&sim, "j-0");
    assert_eq!(j0.deletion_started.as_ms(), 600_000);
    assert_eq!(
        j0.finished.as_ms(),
        630_000,
        "30 s grace, within the notice"
    );
    // The Job's replacement needs the spot node (nodeSelector): it waits for the replacement
    // instance, ready and uncordoned at 900 s.
    assert_eq!(pod(&sim, "j-1").scheduled.as_ms(), 900_000);
    let web0 = pod(&sim, "web-0");
    assert_eq!(web0.deletion_started, kubesim::SimTime::NEVER);
    assert_eq!(web0.finished.as_ms(), 720_000);
    assert_eq!(pod(&sim, "web-1").scheduled.as_ms(), 720_000);
    assert_eq!(node_of(&sim, "web-1"), "od-0");
    let events: Vec<(u64, &str)> = sim
        .faults
        .log
        .iter()
        .map(|e| (e.time.as_ms(), e.kind.as_str()))
        .collect();
    assert_eq!(
        events,
        vec![
            (600_000, "SpotNotice"),
            (600_000, "Drained"),
            (720_000, "Reclaimed"),
            (720_000, "Down"),
            (900_000, "Replaced"),
        ]
    );
    let spot = &sim.cluster.nodes[0];
    assert!(!spot.down && !spot.unschedulable && spot.taints.is_empty());
    // web-0 was replaced at the instant it was lost (no start latency): no incident.
    assert!(incidents(&sim).is_empty());
    let m = run(&s).summary;
    assert_eq!(m.spot_interruptions, 1);
    assert_eq!((m.evictions, m.evictions_blocked), (1, 24));
    assert_eq!(m.pods_lost_with_node, 1);
    assert_eq!(m.batch_pods_lost, 1);
    assert_eq!(m.lost_work_s, 630.0);
}

/// Twenty nodes failing at random (mean 2 days between failures, repairs of about an hour)
/// under a 10-replica service and a stream of batch pods, for 3 days.
const RANDOM_FAILURES: &str = r#"
name: random-failures
duration: 3d
seed: 11
nodePools:
  - name: n
    count: 20
    allocatable: {cpu: "8", memory: 32Gi}
    hourlyPrice: 0.4
    failures:
      timeBetweenFailures: {exponential: {mean: 2d}}
      repairTime: {lognormal: {median: 1h, sigma: 0.5}}
deployments:
  - {name: web, replicas: 10, template: {requests: {cpu: "2", memory: 4Gi}}}
generators:
  - {name: batch, ratePerSecond: 0.01, count: 2000, duration: {exponential: {mean: 2h}}, template: {requests: {cpu: "1", memory: 2Gi}}}
"#;

#[test]
fn random_failures_are_deterministic() {
    let s = scenario(RANDOM_FAILURES);
    let (a, b) = (run(&s), run(&s));
    assert!(a.summary.node_failures > 20, "{}", a.summary.node_failures);
    assert!(a.summary.incidents > 5);
    assert_eq!(a.recovery.incidents, b.recovery.incidents);
    assert_eq!(a.recovery.node_events, b.recovery.node_events);
    let dir = crate::support::temp_dir("faults-determinism");
    kubesim::report::write_result_outputs(&dir.join("a"), &a, false).unwrap();
    kubesim::report::write_result_outputs(&dir.join("b"), &b, false).unwrap();
    for f in [
        "incidents.csv",
        "recovery.csv",
        "workloads.csv",
        "node_events.csv",
    ] {
        let x = std::fs::read(dir.join("a").join(f)).unwrap();
        assert_eq!(x, std::fs::read(dir.join("b").join(f)).unwrap(), "{f}");
        assert!(!x.is_empty());
    }
}

#[test]
fn schedulers_see_the_same_failures() {
    let base = scenario(RANDOM_FAILURES);
    let mut other = base.clone();
    other.spec.scheduler.name = "random".into();
    let (a, b) = (run(&base), run(&other));
    assert_eq!(a.recovery.node_events, b.recovery.node_events);
    assert!(!a.recovery.node_events.is_empty());
}

#[test]
fn random_spot_interruptions_and_no_replacement() {
    // Four spot nodes interrupted about once a day each, over 5 days, never replaced: every
    // interrupted node stays gone (down, cordoned); the on-demand nodes take the service.
    let s = scenario(
        r#"
name: spot-random
duration: 5d
nodePools:
  - name: spot
    count: 4
    spot: true
    hourlyPrice: 0.1
    allocatable: {cpu: "4", memory: 8Gi}
    interruptions: {rate: 1, notice: 2m, replace: false}
  - {name: od, count: 2, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 0.3}
deployments:
  - {name: web, replicas: 4, template: {requests: {cpu: "1", memory: 1Gi}}}
"#,
    );
    let sim = simulate(&s);
    let notices: Vec<&str> = sim
        .faults
        .log
        .iter()
        .filter(|e| e.kind.as_str() == "SpotNotice")
        .map(|e| sim.cluster.nodes[e.node.0 as usize].name.as_str())
        .collect();
    assert!(!notices.is_empty());
    let mut unique = notices.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        notices.len(),
        "a gone node is not interrupted again"
    );
    for name in &unique {
        let n = sim.cluster.nodes.iter().find(|n| &n.name == name).unwrap();
        assert!(n.down && n.unschedulable);
        assert!(n.pods.is_empty());
    }
    assert!(!sim.faults.log.iter().any(|e| e.kind.as_str() == "Replaced"));
    let ready = sim.metrics.recovery.ready(0);
    assert_eq!(ready, 4);
}

#[test]
fn ready_counts_match_a_recount() {
    // The incremental ready counts agree with a recount at the end of a run with failures.
    let sim = simulate(&scenario(RANDOM_FAILURES));
    let recount = sim.deployments[0]
        .pods
        .iter()
        .filter(|&&p| {
            kubesim::cluster::readiness::pod_is_ready(&sim.cluster.pods[p.0 as usize], &sim.cluster)
        })
        .count() as u32;
    assert_eq!(sim.metrics.recovery.ready(0), recount);
    assert!(sim.faults.log.len() > 20);
}

/// Runs every variant of a shipped scenario; returns (name, summary).
fn variants(file: &str) -> Vec<(String, kubesim::RunSummary)> {
    let s = crate::support::shipped(file);
    s.spec
        .variants
        .iter()
        .map(|v| {
            let vs = s.variant(v).unwrap();
            (v.name.clone(), run(&vs).summary)
        })
        .collect()
}

#[test]
fn shipped_fault_scenarios_tell_their_stories() {
    // zone-outage: a hard zone spread keeps the lost replicas pending for the whole hour,
    // unless it honors the dead zone's taints.
    let z = variants("zone-outage.yaml");
    let mttr: Vec<Option<f64>> = z.iter().map(|(_, s)| s.mttr_max_s).collect();
    assert_eq!(mttr, vec![Some(360.0), Some(3600.0), Some(360.0)]);
    // node-failure-mttr: packing puts web's replicas on one node (full outages); anti-affinity
    // keeps one ready; tolerationSeconds 30 cuts the recovery from 350 s to 80 s.
    let n = variants("node-failure-mttr.yaml");
    let by = |name: &str| &n.iter().find(|(v, _)| v == name).unwrap().1;
    assert!(by("packed").any_ready_mean.unwrap() < 1.0);
    assert_eq!(by("packed-ha").any_ready_mean, Some(1.0));
    assert_eq!(by("spread").mttr_max_s, Some(350.0));
    assert_eq!(by("packed-ha-fast").mttr_max_s, Some(80.0));
    assert_eq!(by("spread").node_failures, by("packed").node_failures);
    // spot-fleet: spot is cheaper and loses batch work; on-demand loses none.
    let f = variants("spot-fleet.yaml");
    assert!(f[0].1.cost_usd > f[1].1.cost_usd && f[1].1.cost_usd > f[2].1.cost_usd);
    assert_eq!(f[0].1.lost_work_s, 0.0);
    assert!(f[2].1.lost_work_s > f[1].1.lost_work_s && f[1].1.lost_work_s > 0.0);
    assert!(f[2].1.spot_interruptions > f[1].1.spot_interruptions);
}

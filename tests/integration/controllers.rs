//! StatefulSets, DaemonSets, Job backoff limits and Indexed Jobs, and CronJobs end to end,
//! with hand-checked timelines.

use crate::support::{scenario, simulate, try_scenario};
use kubesim::Simulation;
use kubesim::cluster::pod::{Owner, Pod, PodId, PodPhase};
use kubesim::engine::time::SimTime;

/// Every pod record named `name`, in creation order.
fn pods_named<'a>(sim: &'a Simulation, name: &str) -> Vec<&'a Pod> {
    let mut v: Vec<&Pod> = (0..sim.cluster.pods.len())
        .filter(|&i| sim.cluster.pod_name(PodId(i as u32)) == name)
        .map(|i| &sim.cluster.pods[i])
        .collect();
    v.sort_by_key(|p| p.seq);
    v
}

fn pod<'a>(sim: &'a Simulation, name: &str) -> &'a Pod {
    pods_named(sim, name)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no pod {name}"))
}

/// The error of a scenario that must not load.
fn rejected(yaml: &str) -> String {
    match try_scenario(yaml) {
        Ok(_) => panic!("the scenario should be rejected"),
        Err(e) => e.to_string(),
    }
}

fn s(ms: u64) -> u64 {
    ms * 1000
}

const NODES: &str = r#"
nodePools:
  - {name: n, count: 2, allocatable: {cpu: "8", memory: 16Gi}, hourlyPrice: 1}
"#;

fn web(extra: &str, duration: &str) -> String {
    format!(
        "name: sts\nduration: {duration}\n{NODES}statefulSets:\n  - name: web\n    replicas: 3\n{extra}    \
         template:\n      requests: {{cpu: 100m, memory: 100Mi}}\n      startup: {{readinessDelay: 10s, probePeriod: 0s}}\n"
    )
}

#[test]
fn stateful_set_starts_in_order_each_pod_after_the_previous_is_ready() {
    // OrderedReady: web-0 at 0 (Ready 10 s), web-1 at 10 s (Ready 20 s), web-2 at 20 s.
    let sim = simulate(&scenario(&web("", "2m")));
    for (k, created) in [(0, 0), (1, 10), (2, 20)] {
        let p = pod(&sim, &format!("web-{k}"));
        assert_eq!(p.created.as_ms(), s(created), "web-{k} created");
        assert_eq!(p.ready_since.as_ms(), s(created + 10), "web-{k} ready");
        assert_eq!(p.owner, Owner::StatefulSet(0));
    }
    assert!(pods_named(&sim, "web-3").is_empty());
    // Parallel: all three at once.
    let sim = simulate(&scenario(&web("    podManagementPolicy: Parallel\n", "2m")));
    for k in 0..3 {
        assert_eq!(pod(&sim, &format!("web-{k}")).created.as_ms(), 0);
    }
}

#[test]
fn stateful_set_scales_down_highest_ordinal_first_one_at_a_time() {
    // Up at 30 s; scaled to 0 at 60 s. The default grace period is 30 s: web-2 is deleted at
    // 60 s and gone at 90 s, web-1 deleted at 90 s and gone at 120 s, web-0 120 s -> 150 s.
    let mut sim = kubesim::scenario::build::build(
        &scenario(&web("", "5m")),
        1,
        &kubesim::Registry::with_builtins(),
    )
    .expect("builds");
    sim.cluster.keep_terminated_pods = true;
    sim.end = SimTime(s(60));
    sim.run(&mut |_| {}).expect("runs");
    sim.scale_stateful_set(0, 0);
    sim.end = SimTime(s(300));
    sim.run(&mut |_| {}).expect("runs");
    for (k, deleted) in [(2, 60), (1, 90), (0, 120)] {
        let p = pod(&sim, &format!("web-{k}"));
        assert_eq!(p.deletion_started.as_ms(), s(deleted), "web-{k} deleted");
        assert_eq!(p.finished.as_ms(), s(deleted + 30), "web-{k} gone");
    }
    assert_eq!(sim.cluster.totals.running_pods, 0);
}

#[test]
fn stateful_set_rolling_update_goes_from_the_highest_ordinal_and_respects_the_partition() {
    // All Ready at 30 s; new template at 60 s. web-2 deleted at 60 s, gone at 90 s, recreated
    // at 90 s and Ready at 100 s; web-1 then deleted at 100 s, back at 130 s; web-0 (below the
    // partition of 1) keeps the old template.
    let extra = "    updateStrategy: {rollingUpdate: {partition: 1}}\n    rollouts:\n      - {at: 60s, newVersion: {requests: {cpu: 200m}}}\n";
    let sim = simulate(&scenario(&web(extra, "10m")));
    let web2 = pods_named(&sim, "web-2");
    assert_eq!(web2.len(), 2);
    assert_eq!(web2[0].deletion_started.as_ms(), s(60));
    assert_eq!(web2[1].created.as_ms(), s(90));
    assert_eq!(web2[1].requests.cpu_milli, 200);
    let web1 = pods_named(&sim, "web-1");
    assert_eq!(web1.len(), 2);
    assert_eq!(web1[0].deletion_started.as_ms(), s(100));
    assert_eq!(web1[1].created.as_ms(), s(130));
    let web0 = pods_named(&sim, "web-0");
    assert_eq!(web0.len(), 1);
    assert_eq!(web0[0].requests.cpu_milli, 100);
    // OnDelete: nobody is replaced.
    let extra = "    updateStrategy: {type: OnDelete}\n    rollouts:\n      - {at: 60s, newVersion: {requests: {cpu: 200m}}}\n";
    let sim = simulate(&scenario(&web(extra, "10m")));
    assert_eq!(pods_named(&sim, "web-2").len(), 1);
}

#[test]
fn stateful_set_errors_name_the_field() {
    let e = rejected(&web("    podManagementPolicy: Sometimes\n", "1m"));
    assert!(e.contains("statefulSets[0].podManagementPolicy"), "{e}");
    let e = rejected(&web(
        "    updateStrategy: {rollingUpdate: {maxSurge: 1}}\n",
        "1m",
    ));
    assert!(e.contains("maxSurge"), "{e}");
    // An invalid HPA of a StatefulSet names its field.
    let hpa = "    hpa:\n      minReplicas: 4\n      maxReplicas: 3\n      metrics:\n        - type: Resource\n          resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}\n";
    let e = rejected(&web(hpa, "1m"));
    assert!(e.contains("statefulSets[0].hpa"), "{e}");
}

/// The node a pod is bound to, by name.
fn node_of(sim: &Simulation, p: &Pod) -> String {
    p.node
        .map(|n| sim.cluster.nodes[n.0 as usize].name.clone())
        .unwrap_or_default()
}

/// The live pods of DaemonSet `d`, by node name (sorted).
fn daemon_nodes(sim: &Simulation, d: u32) -> Vec<String> {
    let mut v: Vec<String> = sim
        .cluster
        .pods
        .iter()
        .filter(|p| p.owner == Owner::DaemonSet(d) && p.phase == PodPhase::Running)
        .map(|p| node_of(sim, p))
        .collect();
    v.sort();
    v
}

#[test]
fn daemon_sets_pick_nodes_by_selector_and_taints() {
    // `logs` tolerates nothing: the two app nodes, not the tainted gpu node. `gpu-agent`
    // selects role=gpu and tolerates the taint: the gpu node only. A cordoned node would still
    // get both (the unschedulable toleration is automatic), as would a NoExecute-free node
    // under memory pressure.
    let yaml = r#"
name: ds
duration: 5m
nodePools:
  - {name: app, count: 2, allocatable: {cpu: "4", memory: 16Gi}, labels: {role: app}, hourlyPrice: 1}
  - name: gpu
    count: 1
    allocatable: {cpu: "4", memory: 16Gi}
    labels: {role: gpu}
    hourlyPrice: 1
    taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
daemonSets:
  - name: logs
    template: {requests: {cpu: 100m, memory: 100Mi}}
  - name: gpu-agent
    template:
      requests: {cpu: 100m, memory: 100Mi}
      nodeSelector: {role: gpu}
      tolerations: [{key: dedicated, operator: Exists}]
"#;
    let sim = simulate(&scenario(yaml));
    assert_eq!(daemon_nodes(&sim, 0), ["app-0", "app-1"]);
    assert_eq!(daemon_nodes(&sim, 1), ["gpu-0"]);
    // Requested on the nodes like any bound pod.
    let gpu = sim
        .cluster
        .nodes
        .iter()
        .find(|n| n.name == "gpu-0")
        .unwrap();
    assert_eq!(gpu.requested.cpu_milli, 100);
    // The automatic tolerations are on the template.
    let p = sim
        .cluster
        .pods
        .iter()
        .find(|p| p.owner == Owner::DaemonSet(0))
        .unwrap();
    let t = &sim.cluster.templates[p.template.0 as usize];
    let unreachable = sim
        .cluster
        .interner
        .get("node.kubernetes.io/unreachable")
        .unwrap();
    assert!(
        t.tolerations
            .iter()
            .any(|x| x.key == Some(unreachable) && x.toleration_ms.is_none())
    );
}

#[test]
fn daemon_set_runs_on_autoscaled_nodes_and_shrinks_their_room() {
    // Every node runs a 1-cpu agent. The base node (4 cpu) holds the agent and one 2-cpu job
    // pod; 5 pods pend. A new node has 4 - 1 = 3 cpu for pods: one job pod each, so the
    // autoscaler asks for 5 nodes (without the agent in its template it would ask for 3,
    // 2 pods each, and then find only one fits). Each new node gets its agent.
    let yaml = r#"
name: ds-ca
duration: 20m
nodePools:
  - {name: base, count: 1, allocatable: {cpu: "4", memory: 16Gi}, hourlyPrice: 0.2}
  - {name: burst, count: 0, maxSize: 10, allocatable: {cpu: "4", memory: 16Gi}, hourlyPrice: 0.2}
clusterAutoscaler: {enabled: true, provisioningDelay: 60s}
daemonSets:
  - name: agent
    template: {requests: {cpu: "1", memory: 100Mi}}
jobs:
  - name: batch
    start: 1m
    completions: 6
    parallelism: 6
    duration: 1h
    template: {requests: {cpu: "2", memory: 1Gi}}
"#;
    let sim = simulate(&scenario(yaml));
    let burst: Vec<&kubesim::cluster::node::Node> = sim
        .cluster
        .nodes
        .iter()
        .filter(|n| n.name.starts_with("burst") && n.is_alive())
        .collect();
    assert_eq!(burst.len(), 5);
    // One scale-up of 5 nodes: they all joined together.
    assert!(burst.iter().all(|n| n.created == burst[0].created));
    for n in &burst {
        assert_eq!(
            n.requested.cpu_milli, 3000,
            "{}: agent + one job pod",
            n.name
        );
    }
    assert_eq!(daemon_nodes(&sim, 0).len(), 6);
    assert_eq!(sim.cluster.totals.pending_pods, 0);
}

fn job(extra: &str, template_extra: &str) -> String {
    format!(
        "name: job\nduration: 2m\n{NODES}jobs:\n  - name: etl\n    completions: 3\n    parallelism: 2\n    \
         duration: 10s\n{extra}    template:\n      requests: {{cpu: 100m, memory: 100Mi}}\n{template_extra}"
    )
}

#[test]
fn job_fails_once_its_backoff_limit_is_exceeded() {
    // Each pod crashes 4 s after it starts (restartPolicy Never: the pod fails). The two pods
    // of 0 s fail at 4 s; the back-off after 2 failures is 20 s: two new pods at 24 s, failing
    // at 28 s. The 3rd failure exceeds backoffLimit 2: the Job fails, deletes its other pod
    // and creates no more. 4 pods in all.
    let crash = "      restartPolicy: Never\n      crash: {after: 4s}\n";
    let sim = simulate(&scenario(&job("    backoffLimit: 2\n", crash)));
    let j = &sim.jobs[0];
    assert_eq!(j.failed_at.as_ms(), s(28));
    assert_eq!(j.created, 4);
    assert_eq!(j.succeeded, 0);
    let third = pods_named(&sim, "etl-2");
    assert_eq!(third[0].created.as_ms(), s(24));
    // The default limit (6): failures at 4 s (2, back-off 20 s), 28 s (4, 80 s), 112 s
    // (6, 320 s) and 436 s, where the 7th fails the Job; 8 pods.
    let yaml = job("", crash).replace("duration: 2m", "duration: 10m");
    let sim = simulate(&scenario(&yaml));
    assert_eq!(sim.jobs[0].failed_at.as_ms(), s(436));
    assert_eq!(sim.jobs[0].created, 8);
    // No crashes: complete at 20 s.
    let sim = simulate(&scenario(&job("    backoffLimit: 0\n", "")));
    assert_eq!(sim.jobs[0].completed_at.as_ms(), s(20));
    assert_eq!(sim.jobs[0].failed_at, SimTime::NEVER);
}

#[test]
fn indexed_job_runs_each_index_once() {
    // completions 3, parallelism 2: etl-0 and etl-1 at 0 s, etl-2 at 10 s; done at 20 s.
    let sim = simulate(&scenario(&job("    completionMode: Indexed\n", "")));
    for (k, created) in [(0, 0), (1, 0), (2, 10)] {
        let p = pods_named(&sim, &format!("etl-{k}"));
        assert_eq!(p.len(), 1, "etl-{k}");
        assert_eq!(p[0].created.as_ms(), s(created));
        assert_eq!(p[0].phase, PodPhase::Succeeded);
    }
    assert_eq!(sim.jobs[0].completed_at.as_ms(), s(20));
    let e = rejected(&job("    completionMode: Sometimes\n", ""));
    assert!(e.contains("jobs[0].completionMode"), "{e}");
}

fn cron(extra: &str, duration: &str) -> String {
    format!(
        "name: cron\nduration: {duration}\nstartTime: 2026-01-05T00:00:00Z\n{NODES}cronJobs:\n  - name: report\n    \
         schedule: \"*/10 * * * *\"\n{extra}    jobTemplate:\n      duration: 15m\n      \
         template: {{requests: {{cpu: 100m, memory: 100Mi}}}}\n"
    )
}

/// (Job name, creation time [min]) of every Job a CronJob created.
fn cron_runs(sim: &Simulation) -> Vec<(String, u64)> {
    sim.jobs
        .iter()
        .map(|j| (j.name.clone(), j.start.as_ms() / 60_000))
        .collect()
}

/// 2026-01-05T00:00:00Z in minutes since the Unix epoch.
const T0_MIN: u64 = 29_459_520;

fn name(min: u64) -> String {
    format!("report-{}", T0_MIN + min)
}

#[test]
fn cron_job_runs_at_each_scheduled_minute_and_names_jobs_as_upstream() {
    // Every 10 min from 00:00 (not at 00:00 itself: the first time after creation).
    let sim = simulate(&scenario(&cron("", "35m")));
    assert_eq!(
        cron_runs(&sim),
        [(name(10), 10), (name(20), 20), (name(30), 30)]
    );
    // Pods are named after their Job.
    assert_eq!(
        pod(&sim, &format!("{}-0", name(10))).created.as_ms(),
        s(600)
    );
    // Suspended: nothing.
    let sim = simulate(&scenario(&cron("    suspend: true\n", "35m")));
    assert!(sim.jobs.is_empty());
}

#[test]
fn cron_job_forbid_starts_late_or_skips_and_replace_deletes_the_running_job() {
    // Forbid: the 00:20 run finds 00:10's Job active (15 min, until 00:25); it starts late at
    // 00:25 when that Job finishes. At 00:30 the 00:20 Job runs: skipped.
    let sim = simulate(&scenario(&cron("    concurrencyPolicy: Forbid\n", "45m")));
    assert_eq!(
        cron_runs(&sim),
        [(name(10), 10), (name(20), 25), (name(40), 40)]
    );
    // With a 60 s starting deadline the late start is too late: 00:20 is missed, and 00:30
    // finds nothing active.
    let extra = "    concurrencyPolicy: Forbid\n    startingDeadlineSeconds: 60\n";
    let sim = simulate(&scenario(&cron(extra, "45m")));
    assert_eq!(cron_runs(&sim), [(name(10), 10), (name(30), 30)]);
    // Replace: each run deletes the previous Job's pod (graceful: 30 s).
    let sim = simulate(&scenario(&cron("    concurrencyPolicy: Replace\n", "35m")));
    assert_eq!(
        cron_runs(&sim),
        [(name(10), 10), (name(20), 20), (name(30), 30)]
    );
    let first = pod(&sim, &format!("{}-0", name(10)));
    assert_eq!(first.deletion_started.as_ms(), s(1200));
    assert_eq!(first.finished.as_ms(), s(1230));
    assert_eq!(sim.jobs[0].succeeded, 0);
}

#[test]
fn cron_job_time_zone_shifts_the_runs() {
    // 09:00 in New York is 14:00 UTC in January: the first run is 14 h after t=0.
    let extra = "    timeZone: America/New_York\n";
    let yaml = cron(extra, "1d").replace("*/10 * * * *", "0 9 * * *");
    let sim = simulate(&scenario(&yaml));
    assert_eq!(cron_runs(&sim), [(name(14 * 60), 14 * 60)]);
    let e = rejected(&cron("    timeZone: Mars/Olympus\n", "1h"));
    assert!(e.contains("cronJobs[0].timeZone"), "{e}");
    let e = rejected(&cron("", "1h").replace("*/10 * * * *", "61 * * * *"));
    assert!(e.contains("cronJobs[0].schedule"), "{e}");
    let e = rejected(&cron("", "1h").replace("2026-01-05T00:00:00Z", "yesterday"));
    assert!(e.contains("startTime"), "{e}");
}

#[test]
fn node_failure_replaces_the_stateful_pod_under_its_name_and_keeps_the_daemon_pod() {
    // a-0 fails at 600 s; unreachable NoExecute at 650 s. web-0 tolerates it for the default
    // 300 s: deleted at 950 s and recreated as web-0 on b-0. The DaemonSet pod on a-0 tolerates
    // unreachable forever: it stays, and no second one is created there; b-0 keeps its own.
    let yaml = r#"
name: sts-fault
duration: 30m
nodePools:
  - {name: a, count: 1, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 1, labels: {tier: a}}
  - {name: b, count: 1, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 1}
statefulSets:
  - name: web
    replicas: 1
    template:
      requests: {cpu: "1", memory: 1Gi}
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - {weight: 100, preference: {matchExpressions: [{key: tier, operator: In, values: [a]}]}}
daemonSets:
  - name: agent
    template: {requests: {cpu: 100m, memory: 100Mi}}
faults:
  - {at: 10m, node: a-0}
"#;
    let sim = simulate(&scenario(yaml));
    let web = pods_named(&sim, "web-0");
    assert_eq!(web.len(), 2);
    assert_eq!(node_of(&sim, web[0]), "a-0");
    assert_eq!(web[0].deletion_started.as_ms(), s(950));
    assert_eq!(web[1].created.as_ms(), s(950));
    assert_eq!(node_of(&sim, web[1]), "b-0");
    let agents: Vec<&Pod> = sim
        .cluster
        .pods
        .iter()
        .filter(|p| p.owner == Owner::DaemonSet(0))
        .collect();
    assert_eq!(agents.len(), 2);
    assert!(agents.iter().all(|p| p.phase == PodPhase::Running));
}

/// (node, created [s], deletion started [s] or None) of DaemonSet 0's pods with `cpu` request.
fn agents(sim: &Simulation, cpu: u64) -> Vec<(String, u64, Option<u64>)> {
    let mut v: Vec<(String, u64, Option<u64>)> = sim
        .cluster
        .pods
        .iter()
        .filter(|p| p.owner == Owner::DaemonSet(0) && p.requests.cpu_milli == cpu)
        .map(|p| {
            let del =
                (p.deletion_started != SimTime::NEVER).then(|| p.deletion_started.as_ms() / 1000);
            (node_of(sim, p), p.created.as_ms() / 1000, del)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn daemon_set_rolling_update_one_node_at_a_time_or_surging() {
    let yaml = |strategy: &str| {
        format!(
            "name: ds-roll\nduration: 5m\nnodePools:\n  - {{name: n, count: 3, allocatable: {{cpu: \"4\", memory: 16Gi}}, hourlyPrice: 1}}\n\
             daemonSets:\n  - name: agent\n{strategy}    template:\n      requests: {{cpu: 100m, memory: 100Mi}}\n      \
             startup: {{readinessDelay: 10s, probePeriod: 0s}}\n    rollouts:\n      - {{at: 60s, newVersion: {{requests: {{cpu: 200m}}}}}}\n"
        )
    };
    // maxUnavailable 1: n-0's old pod is deleted at 60 s and gone at 90 s (grace 30 s); its
    // new pod starts at 90 s, Ready at 100 s; then n-1 (100 -> 130, Ready 140), n-2 (140 -> 170).
    let sim = simulate(&scenario(&yaml("")));
    let old = agents(&sim, 100);
    let new = agents(&sim, 200);
    let n = |k: usize| format!("n-{k}");
    assert_eq!(
        old,
        [
            (n(0), 0, Some(60)),
            (n(1), 0, Some(100)),
            (n(2), 0, Some(140))
        ]
    );
    assert_eq!(
        new,
        [(n(0), 90, None), (n(1), 130, None), (n(2), 170, None)]
    );
    // maxSurge 1, maxUnavailable 0: the new pod starts beside the old one; the old one goes
    // when the new one is Ready, and the next node surges at once.
    let sim = simulate(&scenario(&yaml(
        "    updateStrategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n",
    )));
    assert_eq!(
        agents(&sim, 100),
        [
            (n(0), 0, Some(70)),
            (n(1), 0, Some(80)),
            (n(2), 0, Some(90))
        ]
    );
    assert_eq!(
        agents(&sim, 200),
        [(n(0), 60, None), (n(1), 70, None), (n(2), 80, None)]
    );
}

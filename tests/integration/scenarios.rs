//! Small hand-checked scenarios: every number asserted here was worked out by hand.

use crate::support::{run, scenario, simulate};
use kubesim::cluster::pod::PodPhase;

const TWO_NODES: &str = r#"
nodePools:
  - name: n
    count: 2
    allocatable: {cpu: "4", memory: 8Gi}
    hourlyPrice: 1.0
"#;

fn pods_per_node(sim: &kubesim::Simulation) -> Vec<usize> {
    sim.cluster.nodes.iter().map(|n| n.pods.len()).collect()
}

#[test]
fn least_allocated_spreads_and_most_allocated_packs() {
    // A Job's pods: no ReplicaSet, so no system default spreading.
    let base = format!(
        "name: spread\nduration: 1m\n{TWO_NODES}jobs:\n  - name: web\n    completions: 2\n    \
         parallelism: 2\n    duration: 1h\n    template: {{requests: {{cpu: '1', memory: 1Gi}}}}\n"
    );
    // LeastAllocated: the second pod scores higher on the empty node.
    let sim = simulate(&scenario(&base));
    assert_eq!(pods_per_node(&sim), vec![1, 1]);
    // MostAllocated: the second pod prefers the node that already has the first.
    let packed = format!(
        "{base}scheduler:\n  pluginConfig:\n    - name: NodeResourcesFit\n      args: \
         {{scoringStrategy: {{type: MostAllocated}}}}\n"
    );
    let sim = simulate(&scenario(&packed));
    let mut counts = pods_per_node(&sim);
    counts.sort();
    assert_eq!(counts, vec![0, 2]);
}

#[test]
fn default_spreading_outweighs_most_allocated_for_two_replicas() {
    // Deployment pods get the system default spread constraints (hostname maxSkew 3, zone 5).
    // Second replica, MostAllocated: fit 37 (occupied node) vs 18 (empty); balanced 87 vs 93.
    // PodTopologySpread raw: occupied = round(1·ln 4 + 2 + 1·ln 3 + 4) = 8, empty =
    // round(0 + 2 + 1·ln 3 + 4) = 7; normalized 100·(8+7−8)/8 = 87 and 100·(8+7−7)/8 = 100,
    // weight 2. Totals: occupied 37 + 87 + 174 + 300 = 598 < empty 18 + 93 + 200 + 300 = 611.
    let s = format!(
        "name: spread\nduration: 1m\n{TWO_NODES}deployments:\n  - name: web\n    replicas: 2\n    \
         template: {{requests: {{cpu: '1', memory: 1Gi}}}}\nscheduler:\n  pluginConfig:\n    \
         - name: NodeResourcesFit\n      args: {{scoringStrategy: {{type: MostAllocated}}}}\n"
    );
    assert_eq!(pods_per_node(&simulate(&scenario(&s))), vec![1, 1]);
    // Without the defaults (defaultingType: List) MostAllocated packs them.
    let list = format!("{s}    - name: PodTopologySpread\n      args: {{defaultingType: List}}\n");
    let mut counts = pods_per_node(&simulate(&scenario(&list)));
    counts.sort();
    assert_eq!(counts, vec![0, 2]);
}

#[test]
fn pending_pod_waits_for_capacity_then_runs() {
    // One 2-cpu node, a Job of three 1-cpu pods of 10 minutes each, all wanted at once.
    // t=0: pods 0 and 1 run, pod 2 waits. t=10m: 0 and 1 succeed, pod 2 binds (waited 600 s).
    // t=20m: pod 2 succeeds. Requested cpu: 2 cores for 10 min, 1 core for 10 min, 0 for 10 min
    // over 2 allocatable cores for 30 min -> (20 + 10) / 60 = 0.5. Cost: 1 node x 0.5 h x $2.
    let s = scenario(
        r#"
name: wait
duration: 30m
nodePools:
  - name: n
    count: 1
    allocatable: {cpu: "2", memory: 8Gi}
    hourlyPrice: 2.0
jobs:
  - name: j
    completions: 3
    parallelism: 3
    duration: 10m
    template: {requests: {cpu: "1", memory: 1Gi}}
"#,
    );
    let r = run(&s);
    let m = &r.summary;
    assert_eq!(m.pods_created, 3);
    assert_eq!(m.pods_scheduled, 3);
    assert_eq!(m.pods_succeeded, 3);
    assert_eq!(m.unschedulable_attempts, 1);
    assert_eq!(m.pending_time_p50_s, 0.0);
    assert_eq!(m.pending_time_max_s, 600.0);
    assert!((m.pending_time_mean_s - 200.0).abs() < 1e-9);
    assert!((m.cpu_requested_ratio - 0.5).abs() < 1e-12);
    assert!((m.cost_usd - 1.0).abs() < 1e-12);
    assert!(
        (m.pending_pods_mean - 1.0 / 3.0).abs() < 1e-12,
        "one pod pending for a third of the run"
    );
}

#[test]
fn taints_keep_pods_off_nodes_unless_tolerated() {
    let s = scenario(
        r#"
name: taints
duration: 1m
nodePools:
  - name: gpu
    count: 1
    allocatable: {cpu: "8", memory: 8Gi}
    hourlyPrice: 1
    taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
  - name: plain
    count: 1
    allocatable: {cpu: "1", memory: 8Gi}
    hourlyPrice: 1
deployments:
  - name: intolerant
    replicas: 2
    template: {requests: {cpu: 600m, memory: 1Gi}}
  - name: tolerant
    replicas: 1
    template:
      requests: {cpu: "2", memory: 1Gi}
      tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]
"#,
    );
    let sim = simulate(&s);
    // The plain node fits one 600m pod; the second intolerant pod stays pending.
    assert_eq!(sim.cluster.nodes[1].pods.len(), 1);
    assert_eq!(
        sim.cluster.nodes[0].pods.len(),
        1,
        "only the tolerant pod on the tainted node"
    );
    assert_eq!(sim.cluster.totals.pending_pods, 1);
}

#[test]
fn higher_priority_pods_are_scheduled_first() {
    // One 1-cpu node; a low-priority and a high-priority 1-cpu pod arrive together.
    let s = scenario(
        r#"
name: prio
duration: 1m
priorityClasses: [{name: high, value: 1000}]
nodePools:
  - {name: n, count: 1, allocatable: {cpu: "1", memory: 1Gi}, hourlyPrice: 1}
deployments:
  - name: low
    replicas: 1
    template: {requests: {cpu: "1"}}
  - name: high
    replicas: 1
    template: {requests: {cpu: "1"}, priorityClassName: high}
"#,
    );
    let sim = simulate(&s);
    let running: Vec<String> = sim
        .cluster
        .pods
        .iter()
        .enumerate()
        .filter(|(_, p)| p.phase == PodPhase::Running)
        .map(|(i, _)| sim.cluster.pod_name(kubesim::cluster::pod::PodId(i as u32)))
        .collect();
    assert_eq!(running, vec!["high-0"]);
}

#[test]
fn baselines_place_as_documented() {
    // Nodes of 4, 2 and 8 cpu; one 1-cpu pod.
    let yaml = |scheduler: &str| {
        format!(
            r#"
name: b
duration: 1m
scheduler: {{name: {scheduler}}}
nodePools:
  - {{name: a, count: 1, allocatable: {{cpu: "4", memory: 4Gi}}, hourlyPrice: 1}}
  - {{name: b, count: 1, allocatable: {{cpu: "2", memory: 4Gi}}, hourlyPrice: 1}}
  - {{name: c, count: 1, allocatable: {{cpu: "8", memory: 4Gi}}, hourlyPrice: 1}}
deployments:
  - {{name: p, replicas: 1, template: {{requests: {{cpu: "1", memory: 1Gi}}}}}}
"#
        )
    };
    let node_of = |scheduler: &str| {
        let sim = simulate(&scenario(&yaml(scheduler)));
        sim.cluster
            .nodes
            .iter()
            .position(|n| !n.pods.is_empty())
            .expect("placed")
    };
    assert_eq!(node_of("first-fit"), 0, "first node in creation order");
    assert_eq!(node_of("best-fit"), 1, "least capacity left over");
}

#[test]
fn deployment_pods_run_forever_and_job_completes() {
    let s = scenario(
        r#"
name: mix
duration: 2h
nodePools:
  - {name: n, count: 2, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 0.5}
deployments:
  - {name: svc, replicas: 3, template: {requests: {cpu: 500m, memory: 1Gi}}}
jobs:
  - {name: j, start: 30m, completions: 10, parallelism: 2, duration: 5m, template: {requests: {cpu: "1"}}}
"#,
    );
    let sim = simulate(&s);
    let job = &sim.jobs[0];
    assert_eq!(job.succeeded, 10);
    // Two at a time, 5 minutes each, from 30m: the last pair finishes at 30 + 5 x 5 = 55 min.
    assert_eq!(job.completed_at.as_ms(), 55 * 60_000);
    assert_eq!(sim.cluster.totals.running_pods, 3);
}

#[test]
fn usage_defaults_to_requests_and_can_be_set() {
    let s = scenario(
        r#"
name: usage
duration: 1h
nodePools:
  - {name: n, count: 1, allocatable: {cpu: "4", memory: 4Gi}, hourlyPrice: 1}
deployments:
  - {name: a, replicas: 1, template: {requests: {cpu: "2", memory: 1Gi}}}
  - {name: b, replicas: 1, template: {requests: {cpu: "1", memory: 1Gi}, usage: {cpu: 200m}}}
"#,
    );
    let r = run(&s);
    assert!((r.summary.cpu_requested_ratio - 0.75).abs() < 1e-12);
    assert!((r.summary.cpu_used_ratio - 0.55).abs() < 1e-12);
    assert!((r.summary.memory_used_ratio - 0.5).abs() < 1e-12);
}

#[test]
fn a_failed_pod_waits_out_its_backoff() {
    // One 1-cpu node. Pod A (1 cpu) runs 500 ms; pod B (1 cpu) arrives with it and fails at
    // t=0 (first failure: 1 s backoff). A's exit at 500 ms makes room, but B may only be retried
    // once its backoff ends at 1000 ms, so it waits exactly 1 s (upstream scheduling_queue.go).
    let dir = crate::support::temp_dir("backoff");
    let trace = crate::support::write(
        &dir,
        "t.csv",
        "arrival_ms,duration_ms,cpu_request\n0,500,1\n0,,1\n",
    );
    let s = scenario(&format!(
        "name: backoff\nduration: 10s\nnodePools:\n  - {{name: n, count: 1, allocatable: {{cpu: '1', memory: 1Gi}}, hourlyPrice: 1}}\n\
         traces: [{{name: t, format: kubesim, path: {}}}]\n",
        trace.display()
    ));
    let sim = simulate(&s);
    let b = &sim.cluster.pods[1];
    assert_eq!(b.scheduled.as_ms(), 1_000);
    assert_eq!(b.failed_attempts, 1);
}

#[test]
fn node_selector_and_node_affinity_steer_placement() {
    // Three single-node pools. `ssd` pods need disk=ssd (pools a and c); `zonal` pods require
    // zone us-b (pools b and c) and prefer generation > 5 (pool c only); `anywhere` pods have
    // no constraints. Plenty of capacity everywhere.
    let s = scenario(
        r#"
name: affinity
duration: 1m
nodePools:
  - {name: a, count: 1, zone: us-a, labels: {disk: ssd, generation: "4"}, allocatable: {cpu: "16", memory: 64Gi}, hourlyPrice: 1}
  - {name: b, count: 1, zone: us-b, labels: {disk: hdd, generation: "4"}, allocatable: {cpu: "16", memory: 64Gi}, hourlyPrice: 1}
  - {name: c, count: 1, zone: us-b, labels: {disk: ssd, generation: "6"}, allocatable: {cpu: "16", memory: 64Gi}, hourlyPrice: 1}
deployments:
  - name: ssd
    replicas: 4
    template: {requests: {cpu: 100m}, nodeSelector: {disk: ssd}}
  - name: zonal
    replicas: 4
    template:
      requests: {cpu: 100m}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [us-b]}]
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              preference:
                matchExpressions: [{key: generation, operator: Gt, values: ["5"]}]
  - name: host
    replicas: 2
    template:
      requests: {cpu: 100m}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [b-0]}]
"#,
    );
    let sim = simulate(&s);
    let node_of = |prefix: &str| -> Vec<String> {
        let mut nodes: Vec<String> = sim
            .cluster
            .pods
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                sim.cluster
                    .pod_name(kubesim::cluster::pod::PodId(*i as u32))
                    .starts_with(prefix)
            })
            .map(|(_, p)| sim.cluster.nodes[p.node.unwrap().0 as usize].name.clone())
            .collect();
        nodes.dedup();
        nodes.sort();
        nodes.dedup();
        nodes
    };
    for n in node_of("ssd-") {
        assert!(n == "a-0" || n == "c-0", "ssd pod on {n}");
    }
    // Preferred weight 100 on c (normalized 100 x weight 2 = 200) outweighs any resource score
    // difference, so every zonal pod lands on c.
    assert_eq!(node_of("zonal-"), vec!["c-0".to_string()]);
    assert_eq!(node_of("host-"), vec!["b-0".to_string()]);
}

#[test]
fn affinity_mistakes_are_reported() {
    let base =
        "name: x\nduration: 1h\nnodePools:\n  - {name: n, count: 1, instanceType: m5.large}\n";
    let bad_op = format!(
        "{base}deployments:\n  - name: d\n    replicas: 1\n    template:\n      affinity: {{nodeAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: {{nodeSelectorTerms: [{{matchExpressions: [{{key: k, operator: Near, values: [a]}}]}}]}}}}}}\n"
    );
    let e = crate::support::try_scenario(&bad_op)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("operator") && e.contains("Near") && e.contains("DoesNotExist"),
        "{e}"
    );
    let pod_affinity = format!(
        "{base}deployments:\n  - name: d\n    replicas: 1\n    template:\n      affinity: {{podAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: [{{topologyKey: ''}}]}}}}\n"
    );
    let e = crate::support::try_scenario(&pod_affinity)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey"),
        "{e}"
    );
    let unknown = format!(
        "{base}deployments:\n  - name: d\n    replicas: 1\n    template:\n      affinity: {{podAfinity: {{}}}}\n"
    );
    let e = crate::support::try_scenario(&unknown)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown field `podAfinity`") && e.contains("podAntiAffinity"),
        "{e}"
    );
}

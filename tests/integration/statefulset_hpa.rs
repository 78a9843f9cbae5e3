//! HPAs targeting StatefulSets: External and Resource metrics, ordered scale-up and
//! scale-down, and a manifest `scaleTargetRef` of kind StatefulSet. Hand-checked timelines.

use crate::support::{scenario, temp_dir, write};
use kubesim::Simulation;
use kubesim::cluster::pod::{Owner, Pod, PodId};
use kubesim::scenario::Scenario;

const NODES: &str = r#"
nodePools:
  - {name: n, count: 3, allocatable: {cpu: "8", memory: 16Gi}, hourlyPrice: 1}
"#;

/// Runs `s` keeping terminated pods, so their timelines can be read.
fn simulate_all(s: &Scenario) -> Simulation {
    let mut sim =
        kubesim::scenario::build::build(s, 1, &kubesim::Registry::with_builtins()).expect("builds");
    sim.cluster.keep_terminated_pods = true;
    sim.run(&mut |_| {}).expect("runs");
    sim
}

/// (created [s], deletion started [s] or None) of the pod named `name`, for each such pod.
fn timeline(sim: &Simulation, name: &str) -> Vec<(u64, Option<u64>)> {
    let mut v: Vec<&Pod> = (0..sim.cluster.pods.len())
        .filter(|&i| sim.cluster.pod_name(PodId(i as u32)) == name)
        .map(|i| &sim.cluster.pods[i])
        .collect();
    v.sort_by_key(|p| p.seq);
    v.iter()
        .map(|p| {
            assert_eq!(p.owner, Owner::StatefulSet(0));
            let deleted = p.deletion_started.as_ms();
            (
                p.created.as_ms() / 1000,
                (deleted != u64::MAX && deleted >= p.created.as_ms()).then_some(deleted / 1000),
            )
        })
        .collect()
}

/// (time [s], current, final) of the syncs that rescaled.
fn changes(sim: &Simulation) -> Vec<(f64, i32, i32)> {
    sim.hpa_rows
        .iter()
        .filter(|row| row.final_replicas != row.current_replicas)
        .map(|row| (row.time_s, row.current_replicas, row.final_replicas))
        .collect()
}

#[test]
fn external_metric_scales_a_stateful_set_up_in_order_and_down_highest_first() {
    // queue is 20 from 0 s, 50 from 600 s, 20 from 1200 s; the HPA wants 10 per pod
    // (External AverageValue: ceil(value / 10), from the set's status.replicas), between 2
    // and 5 replicas. Legacy normalization: scale-up limit max(2 × current, 4); 5-minute
    // downscale stabilization.
    // - 0..585 s: ceil(20 / 10) = 2 = spec.replicas.
    // - 600 s: ceil(5) = 5, limited to max(4, 4) = 4; 615 s: 5.
    // - 1200 s: ceil(2) = 2, held by the recommendations of 5 until the last (1185 s) has
    //   left the window: 1500 s.
    // OrderedReady, Ready 10 s after creation: web-0 at 0, web-1 at 10 s; web-2 at 600 s,
    // web-3 when web-2 is Ready (610 s), web-4 at 620 s. Scale-down at 1500 s: web-4 deleted
    // at 1500 s (30 s grace: gone at 1530 s), then web-3 at 1530 s, web-2 at 1560 s; web-0
    // and web-1 stay.
    let s = scenario(&format!(
        "name: sts-hpa\nduration: 40m\n{NODES}customMetrics:\n  \
         - {{name: queue, value: {{steps: [{{at: 0s, rate: 20}}, {{at: 10m, rate: 50}}, {{at: 20m, rate: 20}}]}}}}\n\
         statefulSets:\n  - name: web\n    replicas: 2\n    template:\n      \
         requests: {{cpu: 100m, memory: 100Mi}}\n      \
         startup: {{readinessDelay: 10s, probePeriod: 0s}}\n    hpa:\n      minReplicas: 2\n      \
         maxReplicas: 5\n      metrics: [{{type: External, external: {{metric: {{name: queue}}, \
         target: {{type: AverageValue, averageValue: 10}}}}}}]\n"
    ));
    let sim = simulate_all(&s);
    assert_eq!(
        changes(&sim),
        vec![(600.0, 2, 4), (615.0, 4, 5), (1500.0, 5, 2)]
    );
    assert!(sim.hpa_rows.iter().all(|r| r.workload == "StatefulSet/web"));
    assert_eq!(sim.hpa_metric_rows[0].workload, "StatefulSet/web");
    assert_eq!(timeline(&sim, "web-0"), vec![(0, None)]);
    assert_eq!(timeline(&sim, "web-1"), vec![(10, None)]);
    assert_eq!(timeline(&sim, "web-2"), vec![(600, Some(1560))]);
    assert_eq!(timeline(&sim, "web-3"), vec![(610, Some(1530))]);
    assert_eq!(timeline(&sim, "web-4"), vec![(620, Some(1500))]);
    assert!(timeline(&sim, "web-5").is_empty());
    assert_eq!(sim.stateful_sets[0].replicas, 2);
}

#[test]
fn cpu_utilization_scales_a_stateful_set() {
    // Each pod uses 400m of its 500m request: 80% against a 50% target, so the desired
    // count is ceil(1.6 × 2) = 4 once the metrics server has a sample: a constant-usage pod's
    // first window [0, 15 s) is complete at the 15 s sync (at 0 s there is none yet, and the
    // metric is invalid); maxReplicas 4.
    let s = scenario(&format!(
        "name: sts-cpu\nduration: 10m\n{NODES}statefulSets:\n  - name: web\n    replicas: 2\n    \
         podManagementPolicy: Parallel\n    template:\n      \
         requests: {{cpu: 500m, memory: 100Mi}}\n      usage: {{cpu: 400m}}\n    hpa:\n      \
         maxReplicas: 4\n      metrics: [{{type: Resource, resource: {{name: cpu, target: \
         {{type: Utilization, averageUtilization: 50}}}}}}]\n"
    ));
    let sim = simulate_all(&s);
    let c = changes(&sim);
    assert_eq!(c, vec![(15.0, 2, 4)]);
    let at = sim.hpa_rows.iter().find(|r| r.time_s == 15.0).unwrap();
    assert_eq!(at.utilization_percent, Some(80));
    // Parallel: web-2 and web-3 are created together at the sync's instant.
    assert_eq!(sim.hpa_rows[0].reason, "InvalidMetrics");
    assert_eq!(timeline(&sim, "web-2"), vec![(15, None)]);
    assert_eq!(timeline(&sim, "web-3"), vec![(15, None)]);
    assert_eq!(sim.stateful_sets[0].replicas, 4);
}

#[test]
fn manifest_hpa_targets_a_stateful_set() {
    let dir = temp_dir("sts-hpa-manifest");
    write(
        &dir,
        "m.yaml",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  replicas: 1\n  \
         serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    \
         metadata: {labels: {app: db}}\n    spec:\n      containers:\n      - name: db\n        \
         resources: {requests: {cpu: 500m, memory: 100Mi}}\n---\n\
         apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: db}\nspec:\n  \
         scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}\n  minReplicas: 3\n  \
         maxReplicas: 6\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: \
         {type: Utilization, averageUtilization: 50}}\n",
    );
    let p = write(
        &dir,
        "s.yaml",
        &format!("name: x\nduration: 2m\n{NODES}manifests: [m.yaml]\n"),
    );
    let s = Scenario::load(&p, &[]).unwrap();
    assert_eq!(s.spec.stateful_sets.len(), 1);
    let hpa = s.spec.stateful_sets[0]
        .hpa
        .as_ref()
        .expect("the HPA is attached");
    assert_eq!((hpa.min_replicas, hpa.max_replicas), (Some(3), 6));
    // Below minReplicas: the first sync (0 s) raises the set to 3 (no metrics needed). The
    // pods use their request (100% against 50%): from 15 s the set doubles, capped at 6.
    let sim = simulate_all(&s);
    let first = &sim.hpa_rows[0];
    assert_eq!(first.workload, "StatefulSet/db");
    assert_eq!(
        (first.time_s, first.current_replicas, first.final_replicas),
        (0.0, 1, 3)
    );
    assert_eq!(changes(&sim), vec![(0.0, 1, 3), (15.0, 3, 6)]);
    assert_eq!(sim.stateful_sets[0].replicas, 6);
}

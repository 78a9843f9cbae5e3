//! Pods, Object, External and ContainerResource HPA metrics fed by `customMetrics`:
//! hand-checked timelines.

use crate::support::{run, scenario, temp_dir, try_scenario, write};

const BASE: &str = r#"
name: hpa-metrics
duration: 40m
nodePools:
  - {name: n, count: 10, instanceType: m5.xlarge}
"#;

fn changes(r: &kubesim::RunResult) -> Vec<(f64, i32, i32)> {
    r.hpa
        .iter()
        .filter(|row| row.final_replicas != row.current_replicas)
        .map(|row| (row.time_s, row.current_replicas, row.final_replicas))
        .collect()
}

#[test]
fn external_average_value_from_a_csv_series() {
    // queue_depth is 25 from 0 s, 95 from 600 s, 5 from 1200 s; the HPA wants 10 per pod
    // (GetExternalPerPodMetricReplicas: ceil(value / 10) when value / (10 × pods) is outside
    // the tolerance). Legacy normalization: scale-up limit max(2 × current, 4), 5-minute
    // downscale stabilization.
    // - 0 s: 1 pod, ratio 2.5 → ceil(2.5) = 3 (limit 4).
    // - 15 s: 3 pods, ratio 0.83 → 3 again: no change.
    // - 600 s: ceil(9.5) = 10, limited to max(6, 4) = 6; 615 s: 10 (limit 12).
    // - 1200 s: ceil(0.5) = 1, held by the recommendations of 10 until the last of them
    //   (at 1185 s) has left the 5-minute window: 1500 s.
    let dir = temp_dir("hpa-metrics-csv");
    let csv = write(&dir, "queue.csv", "time_s,value\n0,25\n600,95\n1200,5\n");
    let s = scenario(&format!(
        "{BASE}customMetrics:\n  - {{name: queue_depth, labels: {{queue: orders}}, csv: {}}}\n  \
         - {{name: queue_depth, labels: {{queue: billing}}, value: 1000}}\n\
         deployments:\n  - name: worker\n    replicas: 1\n    template: {{requests: {{cpu: 500m}}}}\n    hpa:\n      \
         maxReplicas: 10\n      metrics: [{{type: External, external: {{metric: {{name: queue_depth, \
         selector: {{matchLabels: {{queue: orders}}}}}}, target: {{type: AverageValue, averageValue: 10}}}}}}]\n",
        csv.display()
    ));
    let r = run(&s);
    assert_eq!(
        changes(&r),
        vec![(0.0, 1, 3), (600.0, 3, 6), (615.0, 6, 10), (1500.0, 10, 1)]
    );
    // hpa_metrics.csv: one row per metric and sync, with the value as the status shows it
    // (ceil(25 000 m / 3 pods) = 8 334 m at 15 s).
    let m = &r.hpa_metrics;
    assert_eq!(m.len(), r.hpa.len());
    assert_eq!(
        (
            m[0].metric_type,
            m[0].metric_name.as_str(),
            m[0].target.as_str()
        ),
        ("External", "queue_depth", "AverageValue:10")
    );
    assert_eq!(
        (m[0].current_value, m[0].proposed_replicas),
        (Some(25.0), Some(3))
    );
    assert_eq!(m[1].current_value, Some(8.334));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pods_metric_from_a_load_driven_service_feeds_back() {
    // 300 requests/s shared by the Ready pods, 50 per pod wanted. The HPA sync at 0 s comes
    // before the pods run (no values: invalid). 15 s: 2 pods at 150 → ceil(3 × 2) = 6,
    // limited to 4; 30 s: 4 pods at 75 → ceil(1.5 × 4) = 6; 45 s: 6 pods at 50 → ratio 1.
    let s = scenario(&format!(
        "{BASE}customMetrics:\n  - {{name: http_requests, serviceRequests: web}}\n\
         deployments:\n  - name: web\n    replicas: 2\n    template: {{requests: {{cpu: 500m}}}}\n    \
         load: 300\n    service: {{cpuPerRps: 1m}}\n    hpa:\n      \
         maxReplicas: 10\n      metrics: [{{type: Pods, pods: {{metric: {{name: http_requests}}, \
         target: {{type: AverageValue, averageValue: 50}}}}}}]\n"
    ));
    let r = run(&s);
    assert_eq!(changes(&r), vec![(15.0, 2, 4), (30.0, 4, 6)]);
    assert_eq!(r.hpa[0].reason, "InvalidMetrics");
    let values: Vec<Option<f64>> = r.hpa_metrics[1..4]
        .iter()
        .map(|m| m.current_value)
        .collect();
    assert_eq!(values, vec![Some(150.0), Some(75.0), Some(50.0)]);
    assert_eq!(r.hpa.last().unwrap().final_replicas, 6);
}

#[test]
fn object_value_scales_from_zero() {
    // minReplicas 0: the Ingress's requests/s are 0 until 10 min, then 25 (until 20 min)
    // against a Value target of 10. From 0 replicas: ceil(2.5) = 3 (no tolerance, no pods needed); then
    // ceil(2.5 × ready pods): 3 → 8, limited to 6; 6 → 15, limited to 10 (a Value target on a
    // total that more pods do not lower runs to maxReplicas, as upstream).
    let s = scenario(&format!(
        "{BASE}customMetrics:\n  - {{name: rps, describedObject: {{kind: Ingress, name: main}}, \
         value: {{steps: [{{at: 0s, rate: 0}}, {{at: 10m, rate: 25}}, {{at: 20m, rate: 0}}]}}}}\n\
         deployments:\n  - name: web\n    replicas: 0\n    template: {{requests: {{cpu: 500m}}}}\n    hpa:\n      \
         minReplicas: 0\n      maxReplicas: 10\n      metrics: [{{type: Object, object: {{describedObject: \
         {{apiVersion: networking.k8s.io/v1, kind: Ingress, name: main}}, metric: {{name: rps}}, \
         target: {{type: Value, value: 10}}}}}}]\n"
    ));
    let r = run(&s);
    // At 20 min the value drops to 0: ceil(0 × 10) = 0, held for the 5-minute downscale
    // window, then the Deployment scales to zero and stays there.
    assert_eq!(
        changes(&r),
        vec![
            (600.0, 0, 3),
            (615.0, 3, 6),
            (630.0, 6, 10),
            (1500.0, 10, 0)
        ]
    );
    assert_eq!(r.hpa[0].raw_desired_replicas, Some(0));
    let last = r.hpa.last().unwrap();
    assert_eq!((last.current_replicas, last.final_replicas), (0, 0));
}

#[test]
fn missing_container_is_an_invalid_metric_that_blocks_only_scale_down() {
    // busy: cpu at 100 % of its request against 50 %: 2 → 4 → 8 → 10. The ContainerResource
    // metric names a container the template does not have: invalid at every sync, which
    // does not stop a scale-up. idle: cpu at 20 % proposes ceil(0.4 × 6) = 3 < 6, and with
    // an invalid metric the HPA keeps 6 (InvalidMetrics) instead of scaling down.
    let hpa = "    hpa:\n      maxReplicas: 10\n      metrics:\n      \
         - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}\n      \
         - {type: ContainerResource, containerResource: {name: cpu, container: app, target: \
         {type: Utilization, averageUtilization: 50}}}\n";
    let s = scenario(&format!(
        "{BASE}deployments:\n  - name: busy\n    replicas: 2\n    template: {{requests: {{cpu: 500m}}, \
         usage: {{cpu: 500m}}}}\n{hpa}  - name: idle\n    replicas: 6\n    template: {{requests: \
         {{cpu: 500m}}, usage: {{cpu: 100m}}}}\n{hpa}"
    ));
    let r = run(&s);
    let busy: Vec<(f64, i32, i32)> = changes(&r).into_iter().filter(|c| c.1 < c.2).collect();
    assert_eq!(busy, vec![(15.0, 2, 4), (30.0, 4, 8), (45.0, 8, 10)]);
    let idle: Vec<&kubesim::report::HpaRow> =
        r.hpa.iter().filter(|h| h.workload == "idle").collect();
    assert!(idle.iter().all(|h| h.final_replicas == 6));
    assert_eq!(idle[1].reason, "InvalidMetrics");
    let container: Vec<&str> = r
        .hpa_metrics
        .iter()
        .filter(|m| m.metric_index == 1)
        .map(|m| m.error.as_str())
        .collect();
    assert!(
        container
            .iter()
            .all(|e| *e == "container not present in metrics for pod")
    );
    let idle_cpu = r
        .hpa_metrics
        .iter()
        .find(|m| m.workload == "idle" && m.time_s == 15.0 && m.metric_index == 0)
        .unwrap();
    assert_eq!(
        (idle_cpu.utilization_percent, idle_cpu.proposed_replicas),
        (Some(20), Some(3))
    );
}

#[test]
fn unmatched_custom_metric_is_an_error() {
    let e = try_scenario(&format!(
        "{BASE}customMetrics:\n  - {{name: queue, labels: {{queue: a}}, value: 3}}\n\
         deployments:\n  - name: w\n    replicas: 1\n    hpa:\n      maxReplicas: 3\n      \
         metrics: [{{type: External, external: {{metric: {{name: queue, selector: {{matchLabels: \
         {{queue: b}}}}}}, target: {{type: Value, value: 1}}}}}}]\n"
    ))
    .and_then(|s| {
        kubesim::scenario::build::build(&s, 1, &kubesim::Registry::with_builtins()).map(|_| s)
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("deployments[0].hpa.metrics[0]")
            && e.contains("no `customMetrics` series named \"queue\""),
        "{e}"
    );
}

#[test]
fn container_resource_uses_the_container_share_of_the_pod() {
    // Containers app (300m) and proxy (100m): the pod requests 400m and uses 200m, so app
    // uses 3/4 of it, 150m of its 300m request = 50 % against a 25 % target: 2 → 4 at the
    // first sync with samples (15 s), then 4 → 8, capped at maxReplicas 6.
    let s = scenario(&format!(
        "{BASE}deployments:\n  - name: web\n    replicas: 2\n    template:\n      \
         containers:\n      - {{name: app, requests: {{cpu: 300m, memory: 512Mi}}}}\n      \
         - {{name: proxy, requests: {{cpu: 100m, memory: 64Mi}}}}\n      \
         usage: {{cpu: 200m}}\n    hpa:\n      maxReplicas: 6\n      metrics:\n      \
         - {{type: ContainerResource, containerResource: {{name: cpu, container: app, target: \
         {{type: Utilization, averageUtilization: 25}}}}}}\n"
    ));
    let r = run(&s);
    assert_eq!(changes(&r), vec![(15.0, 2, 4), (30.0, 4, 6)]);
    let m = &r.hpa_metrics[1];
    assert_eq!(
        (m.metric_type, m.utilization_percent, m.current_value),
        ("ContainerResource", Some(50), Some(0.15))
    );
}

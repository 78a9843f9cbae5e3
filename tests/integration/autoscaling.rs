//! Load-driven services and the HPA in the engine: hand-checked timelines.

use crate::support::{run, scenario};

const BASE: &str = r#"
name: hpa
duration: 2h
sampleInterval: 1m
nodePools:
  - {name: n, count: 10, instanceType: m5.xlarge}
"#;

#[test]
fn unserved_requests_are_exact_beyond_capacity() {
    // One pod with a 1-cpu limit at 5m per request/s serves at most 200 requests/s; the load is
    // a constant 300 requests/s for 2 h: 2,160,000 requests, a third of them unserved.
    let s = scenario(&format!(
        "{BASE}deployments:\n  - name: web\n    replicas: 1\n    template: {{requests: {{cpu: 500m}}, \
         limits: {{cpu: '1'}}}}\n    load: 300\n    service: {{cpuPerRps: 5m}}\n"
    ));
    let r = run(&s);
    let sum = &r.summary;
    assert!(
        (sum.requests_total - 2_160_000.0).abs() < 1e-6,
        "{}",
        sum.requests_total
    );
    assert!(
        (sum.requests_unserved - 720_000.0).abs() < 1e-6,
        "{}",
        sum.requests_unserved
    );
    // The pod runs at its limit: cpu used = 1 core of 10 m5.xlarge.
    let last = r.services.last().unwrap();
    assert_eq!((last.ready_pods, last.unserved_rps), (1, 100.0));
    assert_eq!(last.cpu_utilization_percent, 200.0);
}

#[test]
fn hpa_scales_up_then_down_after_the_stabilization_window() {
    // 200 requests/s x 5m = 1000m of cpu on one 500m pod: 200% utilization. The pod's first
    // sample covers the metrics window [0, 15 s) and is scraped at 15 s, just after that
    // instant's HPA sync (HPA syncs and scrapes both run every 15 s from 0; the HPA's was
    // scheduled first), so the first sync that sees it is at 30 s: desired =
    // ceil(200/50 x 1) = 4, within the legacy scale-up limit max(2x1, 4) = 4. At 1 h the load drops to 40
    // requests/s (10%); the recommendation 1 is held for the 5-minute downscale stabilization
    // window: the HPA scales to 1 replica at the first sync 300 s after that recommendation.
    let s = scenario(&format!(
        "{BASE}deployments:\n  - name: web\n    replicas: 1\n    template: {{requests: {{cpu: 500m}}, \
         limits: {{cpu: '1'}}}}\n    load: {{steps: [{{at: 0s, rate: 200}}, {{at: 1h, rate: 40}}]}}\n    \
         service: {{cpuPerRps: 5m}}\n    hpa:\n      minReplicas: 1\n      maxReplicas: 10\n      \
         metrics: [{{type: Resource, resource: {{name: cpu, target: {{type: Utilization, \
         averageUtilization: 50}}}}}}]\n"
    ));
    let r = run(&s);
    // `output.hpaLog` defaults to every sync: 0, 15, ..., 7200 s.
    assert_eq!(r.hpa.len(), 481);
    let changes: Vec<(f64, i32, i32)> = r
        .hpa
        .iter()
        .filter(|row| row.final_replicas != row.current_replicas)
        .map(|row| (row.time_s, row.current_replicas, row.final_replicas))
        .collect();
    assert_eq!(changes, vec![(30.0, 1, 4), (3930.0, 4, 1)]);
    let first = r.hpa.iter().find(|row| row.time_s == 30.0).unwrap();
    assert_eq!(first.utilization_percent, Some(200));
    assert_eq!(first.reason, "DesiredWithinRange");
    // The first sync (t = 0) has no samples yet: the metric is invalid and nothing changes.
    assert_eq!(r.hpa[0].reason, "InvalidMetrics");
    // Four pods of 1 cpu limit serve 200 requests/s without loss after 30 s; before that one
    // pod at its limit served exactly 200: nothing is ever unserved.
    assert_eq!(r.summary.requests_unserved, 0.0);
}

#[test]
fn load_without_a_service_model_is_an_error() {
    let e = crate::support::try_scenario(&format!(
        "{BASE}deployments:\n  - name: web\n    replicas: 1\n    load: 100\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("deployments[0].service") && e.contains("cpuPerRps"),
        "{e}"
    );
    let e = crate::support::try_scenario(&format!(
        "{BASE}deployments:\n  - name: web\n    replicas: 1\n    hpa: {{maxReplicas: 0}}\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("deployments[0].hpa.maxReplicas"), "{e}");
}

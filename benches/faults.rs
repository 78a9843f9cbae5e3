//! Fault injection's cost: a month of a 1,000-node cluster (3,000 service replicas and about
//! 130,000 batch pods) with random node failures (each node every 45 days on average, repairs
//! of about an hour: some 700 failures, each evicting and rescheduling the node's pods after
//! 350 s) against the same run without failures.

use criterion::{Criterion, criterion_group, criterion_main};
use kubesim::{Registry, Scenario, run};
use std::path::Path;

/// The scenario (also quoted in the README's performance table).
pub const MONTH: &str = r#"
name: month-1000
duration: 30d
seed: 1
sampleInterval: 10m
nodePools:
  - name: n
    instanceType: m6i.2xlarge
    count: 1000
    failures:
      timeBetweenFailures: {exponential: {mean: 45d}}
      repairTime: {lognormal: {median: 1h, sigma: 1.0}}
deployments:
  - {name: web, replicas: 2000, template: {requests: {cpu: "1", memory: 2Gi}, labels: {app: web}}}
  - {name: api, replicas: 1000, template: {requests: {cpu: "2", memory: 4Gi}, labels: {app: api}}}
generators:
  - name: batch
    ratePerSecond: 0.05
    count: 200000
    duration: {lognormal: {median: 1h, sigma: 0.8}}
    shapes:
      - {weight: 3, requests: {cpu: 500m, memory: 1Gi}}
      - {weight: 1, requests: {cpu: "2", memory: 8Gi}}
"#;

fn faults(c: &mut Criterion) {
    let registry = Registry::with_builtins();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/month-1000.yaml");
    let with = Scenario::from_yaml(MONTH, &path, &[]).expect("scenario loads");
    let without = Scenario::from_yaml(MONTH, &path, &["nodePools[0].failures=null".to_owned()])
        .expect("scenario loads");
    let mut group = c.benchmark_group("faults_month_1000_nodes");
    group.sample_size(10);
    for (name, s) in [("with_failures", &with), ("without_failures", &without)] {
        group.bench_function(name, |b| {
            b.iter(|| run(s, s.spec.seed, &registry, &mut |_| {}).expect("runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, faults);
criterion_main!(benches);

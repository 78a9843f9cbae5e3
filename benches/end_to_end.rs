//! Whole-scenario runs: the real Alibaba openb replay (1,523 nodes, 8,152 pods, 150 days), the
//! synthetic 100,000-pod / 1,000-node day, and a month of an autoscaled cluster growing to
//! ~1,000 nodes every night (`benches/autoscaler-month.yaml`). Times include building the
//! simulation (reading the compressed traces) but not writing outputs.

use criterion::{Criterion, criterion_group, criterion_main};
use kubesim::{Registry, Scenario, run};
use std::path::Path;

fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::load(&path, &[]).expect("shipped scenario loads")
}

fn end_to_end(c: &mut Criterion) {
    let registry = Registry::with_builtins();
    let mut group = c.benchmark_group("end_to_end");
    group.sample_size(10);
    for name in ["alibaba-openb.yaml", "synthetic-100k.yaml"] {
        let s = scenario(name);
        group.bench_function(name.trim_end_matches(".yaml"), |b| {
            b.iter(|| run(&s, s.spec.seed, &registry, &mut |_| {}).expect("runs"))
        });
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/autoscaler-month.yaml");
    let s = Scenario::load(&path, &[]).expect("bench scenario loads");
    group.bench_function("autoscaler-month", |b| {
        b.iter(|| run(&s, s.spec.seed, &registry, &mut |_| {}).expect("runs"))
    });
    group.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);

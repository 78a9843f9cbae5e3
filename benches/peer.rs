//! The neutral peer workload W1 (1,000 nodes, 20,000 pods over a day, 1-minute samples) end to
//! end, as compared with other simulators in the README ("Neutral peer workloads"). Times
//! include building the simulation (streaming the trace) but not writing outputs.
//!
//! The inputs are generated, not committed: `scripts/peer-workloads.sh <generator> w1` writes
//! `benches/peer/w1/`. Without them the bench fails and says so.

use criterion::{Criterion, criterion_group, criterion_main};
use kubesim::{Registry, Scenario, run};
use std::path::Path;

fn peer(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer/w1/scenario.yaml");
    if !path.exists() {
        panic!(
            "{} is missing: generate the neutral peer workloads first with \
             `scripts/peer-workloads.sh path/to/gen_workload.py w1` (see the README, \
             \"Neutral peer workloads\")",
            path.display()
        );
    }
    let s = Scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let registry = Registry::with_builtins();
    let mut group = c.benchmark_group("peer");
    group.sample_size(20);
    group.bench_function("w1", |b| {
        b.iter(|| run(&s, s.spec.seed, &registry, &mut |_| {}).expect("runs"))
    });
    group.finish();
}

criterion_group!(benches, peer);
criterion_main!(benches);

//! Event-queue throughput under the classic hold model: the queue holds N pending events; each
//! step pops the earliest and schedules a new one a random (exponential) delay later, so the
//! queue size stays at N. Reported as events per second at N = 10^4 and 10^6.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kubesim::cluster::pod::PodId;
use kubesim::engine::event::Event;
use kubesim::engine::queue::EventQueue;
use kubesim::engine::rng::{Stream, stream};
use kubesim::engine::time::SimTime;
use rand::Rng;
use std::hint::black_box;

const STEPS: u64 = 100_000;

/// Exponential delays with mean 1 s, precomputed so the bench measures the queue, not the RNG.
fn delays(n: usize) -> Vec<u64> {
    let mut rng = stream(1, Stream::Scheduler);
    (0..n)
        .map(|_| (-(1.0 - rng.random::<f64>()).ln() * 1000.0) as u64 + 1)
        .collect()
}

fn filled(pending: usize, delays: &[u64]) -> EventQueue<Event> {
    let mut q = EventQueue::with_capacity(pending + 1);
    for i in 0..pending {
        let ev = Event::PodRunEnd {
            pod: PodId(i as u32),
            generation: 0,
        };
        q.push(SimTime(delays[i % delays.len()]), ev);
    }
    q
}

fn hold(c: &mut Criterion) {
    let d = delays(1 << 16);
    let mut group = c.benchmark_group("engine_hold");
    group.throughput(Throughput::Elements(STEPS));
    group.sample_size(20);
    for pending in [10_000usize, 1_000_000] {
        group.bench_function(format!("pending_{pending}"), |b| {
            b.iter_batched_ref(
                || filled(pending, &d),
                |q| {
                    let mut k = 0usize;
                    for _ in 0..STEPS {
                        let (t, ev) = q.pop().expect("hold model never empties");
                        k = (k + 1) & ((1 << 16) - 1);
                        q.push(t.plus_ms(d[k]), black_box(ev));
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);

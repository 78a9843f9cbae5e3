//! One scheduling decision of the default profile against clusters of 1k, 5k, 10k and 50k
//! nodes, with upstream node sampling (adaptive percentageOfNodesToScore) and with a full scan
//! (100%).
//! The cluster is half full with varied pods so scores differ between nodes. The plain cases
//! decide the same pod again and again on an unchanged cluster (the scheduler's caches are warm
//! and nothing changed); the `_churn` cases bind each decision's pod and end it again before
//! the next decision, so every decision first catches up with two changes of one node, as in a
//! running simulation; the `_new_shape` cases cycle through more pod shapes than the kernel
//! caches, so every decision starts cold. Each case is also measured through the plugin-by-plugin path that custom
//! plugins use; copy this file and swap in your own profile or `Scheduler` to measure its
//! decision speed on the same clusters.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubesim::cluster::ClusterState;
use kubesim::cluster::NewPod;
use kubesim::cluster::labels::Labels;
use kubesim::cluster::node::NodePool;
use kubesim::cluster::pod::{PodId, PodName, PodPhase, PodTemplate};
use kubesim::cluster::resources::Resources;
use kubesim::engine::rng::{Stream, stream};
use kubesim::engine::time::SimTime;
use kubesim::scenario::spec::SchedulerSpec;
use kubesim::scheduler::build_profile;
use kubesim::{Decision, Registry, Scheduler};
use rand::Rng;

fn cluster(nodes: usize) -> (ClusterState, PodId) {
    let mut c = ClusterState::default();
    let pool = c.add_pool(NodePool {
        name: "n".into(),
        instance_type: "m5.2xlarge".into(),
        allocatable: Resources {
            cpu_milli: 7_910,
            memory_bytes: 28 << 30,
            gpu_milli: 0,
            pods: 110,
        },
        labels: Labels::default(),
        taints: vec![],
        zone: "z".into(),
        hourly_price_usd: 0.384,
        spot: false,
    });
    let template = c.add_template(PodTemplate::default());
    let prefix = c.add_name_prefix("p-");
    let mut rng = stream(3, Stream::Source(0));
    let pod = |c: &mut ClusterState, cpu: u64, ordinal: u32| {
        c.create_pod(
            NewPod::bare(
                PodName {
                    prefix,
                    ordinal,
                    width: 0,
                },
                Resources::cpu_mem(cpu, cpu << 20),
                template,
            ),
            SimTime::ZERO,
        )
    };
    for i in 0..nodes {
        let node = c.add_node(pool, format!("n-{i}"), None, SimTime::ZERO);
        for k in 0..rng.random_range(0..4u32) {
            let p = pod(&mut c, 500 * rng.random_range(1..4u64), k);
            c.bind(p, node, SimTime::ZERO);
        }
    }
    let incoming = pod(&mut c, 1000, 0);
    (c, incoming)
}

fn decisions(c: &mut Criterion) {
    let registry = Registry::with_builtins();
    let mut group = c.benchmark_group("schedule_decision");
    group.throughput(Throughput::Elements(1));
    for nodes in [1_000usize, 5_000, 10_000, 50_000] {
        for (label, pct) in [("sampled", 0u32), ("full", 100)] {
            let (mut cluster, pod) = cluster(nodes);
            let spec = SchedulerSpec {
                percentage_of_nodes_to_score: pct,
                ..SchedulerSpec::default()
            };
            let mut scheduler = registry
                .build(&spec, &mut cluster)
                .expect("default profile");
            // The same profile evaluated plugin by plugin (what a custom plugin would run in).
            let mut plugins = build_profile(&spec, &mut cluster)
                .expect("profile")
                .without_fused();
            let mut rng2 = stream(1, Stream::Scheduler);
            // A full plugin-path scan of 50k nodes takes milliseconds: fewer samples.
            group.sample_size(if nodes >= 50_000 && pct == 100 {
                10
            } else {
                100
            });
            group.bench_function(format!("{nodes}_nodes_{label}_plugin_path"), |b| {
                b.iter(|| {
                    let d = plugins.schedule(pod, &cluster, &mut rng2);
                    assert!(matches!(d, Decision::Bind(_)));
                })
            });
            let mut rng = stream(1, Stream::Scheduler);
            group.sample_size(100);
            group.bench_function(format!("{nodes}_nodes_{label}"), |b| {
                b.iter(|| {
                    let d = scheduler.schedule(pod, &cluster, &mut rng);
                    assert!(matches!(d, Decision::Bind(_)));
                })
            });
            // Five pending pods of different shapes, more than the kernel caches.
            let shapes: Vec<PodId> = (1..=5)
                .map(|k| {
                    let mut new = NewPod::bare(
                        cluster.pods[pod.0 as usize].name,
                        Resources::cpu_mem(1000 + k, 1000 << 20),
                        cluster.pods[pod.0 as usize].template,
                    );
                    new.name.ordinal = k as u32;
                    cluster.create_pod(new, SimTime::ZERO)
                })
                .collect();
            let mut next = 0;
            group.sample_size(if nodes >= 50_000 { 20 } else { 100 });
            group.bench_function(format!("{nodes}_nodes_{label}_new_shape"), |b| {
                b.iter(|| {
                    next = (next + 1) % shapes.len();
                    let d = scheduler.schedule(shapes[next], &cluster, &mut rng);
                    assert!(matches!(d, Decision::Bind(_)));
                })
            });
            for &p in &shapes {
                cluster.terminate(p, PodPhase::Failed, SimTime::ZERO);
            }
            group.sample_size(100);
            // Bind the pod and end it again: its node changes twice per decision. The ended
            // pod's slot is reused, so `pod` stays the id of a pending pod of the same shape.
            let new = NewPod::bare(
                cluster.pods[pod.0 as usize].name,
                Resources::cpu_mem(1000, 1000 << 20),
                cluster.pods[pod.0 as usize].template,
            );
            group.bench_function(format!("{nodes}_nodes_{label}_churn"), |b| {
                b.iter(|| {
                    let Decision::Bind(node) = scheduler.schedule(pod, &cluster, &mut rng) else {
                        panic!("the pod fits");
                    };
                    cluster.bind(pod, node, SimTime::ZERO);
                    cluster.terminate(pod, PodPhase::Succeeded, SimTime::ZERO);
                    let again = cluster.create_pod(new, SimTime::ZERO);
                    assert_eq!(again, pod);
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);

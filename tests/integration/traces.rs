//! Trace readers: the native CSV format and the Alibaba openb importer.

use crate::support::{scenario, simulate, temp_dir, try_scenario, write};

#[test]
fn native_trace_replays_arrivals_durations_and_groups() {
    let dir = temp_dir("native");
    let trace = write(
        &dir,
        "t.csv",
        "arrival_ms,duration_ms,cpu_request,memory_request,cpu_limit,gpu,priority,group\n\
         0,60000,500m,1Gi,1,,,etl\n\
         1000,,1,512Mi,,,5,web\n\
         1000,30000,250m,256Mi,,,,etl\n",
    );
    let yaml = format!(
        "name: t\nduration: 10m\nnodePools:\n  - {{name: n, count: 1, allocatable: {{cpu: '4', memory: 8Gi}}, hourlyPrice: 1}}\n\
         traces:\n  - {{name: tr, format: kubesim, path: {}}}\n",
        trace.display()
    );
    let sim = simulate(&scenario(&yaml));
    let pods = &sim.cluster.pods;
    assert_eq!(pods.len(), 3);
    assert_eq!(pods[0].requests.cpu_milli, 500);
    assert_eq!(pods[0].limits.cpu_milli, Some(1000));
    assert_eq!(pods[1].priority, 5);
    assert_eq!(pods[0].finished.as_ms(), 60_000);
    assert_eq!(pods[2].finished.as_ms(), 31_000);
    assert!(
        pods[1].finished == kubesim::SimTime::NEVER,
        "no duration: runs to the end"
    );
    let app = sim.cluster.interner.get("app").unwrap();
    let label = |i: usize| {
        let t = &sim.cluster.templates[pods[i].template.0 as usize];
        sim.cluster
            .interner
            .resolve(t.labels.get(app).unwrap())
            .to_owned()
    };
    assert_eq!(
        (label(0), label(1), label(2)),
        ("etl".into(), "web".into(), "etl".into())
    );
    assert_eq!(pods[0].template, pods[2].template, "one template per group");
    assert_eq!(
        sim.cluster.pod_name(kubesim::cluster::pod::PodId(2)),
        "tr-2"
    );
}

#[test]
fn alibaba_openb_import_matches_the_files() {
    let s = scenario(
        r#"
name: openb
duration: 150d
nodeLists:
  - {format: alibaba-openb, path: openb_nodes_sample.csv, price: {perCore: 0.01, perGpu: 1.0}}
traces:
  - {name: openb, format: alibaba-openb, path: openb_pods_first40.csv}
"#,
    );
    let sim = simulate(&s);
    assert_eq!(sim.cluster.nodes.len(), 8);
    assert_eq!(sim.cluster.nodes[3].name, "openb-node-0234");
    assert_eq!(sim.cluster.nodes[3].allocatable.gpu_milli, 8000);
    assert_eq!(sim.cluster.nodes[3].allocatable.memory_bytes, 393_216 << 20);
    // Pools: one per (shape, GPU model): cpu-only, G2 8-GPU, T4 4-GPU, T4 2-GPU.
    assert_eq!(sim.cluster.pools.len(), 4);
    assert!((sim.cluster.pools[1].hourly_price_usd - (96.0 * 0.01 + 8.0)).abs() < 1e-9);
    let pods = &sim.cluster.pods;
    assert_eq!(pods.len(), 40);
    // openb-pod-0001: 6000m, 12288 MiB, 1 GPU at 460 milli, created at 427061 s.
    assert_eq!(
        sim.cluster.pod_name(kubesim::cluster::pod::PodId(1)),
        "openb-pod-0001"
    );
    assert_eq!(pods[1].requests.cpu_milli, 6000);
    assert_eq!(pods[1].requests.memory_bytes, 12_288 << 20);
    assert_eq!(pods[1].requests.gpu_milli, 460);
    assert_eq!(pods[1].created.as_ms(), 427_061_000);
    // Lifetime = deletion - creation, from creation: pod 0 is deleted at 12537496 s.
    assert_eq!(pods[0].finished.as_ms(), 12_537_496_000);
    let gpu_milli: u64 = pods.iter().map(|p| p.requests.gpu_milli).sum();
    assert_eq!(
        gpu_milli, 36_080,
        "sum of num_gpu x gpu_milli over the 40 rows"
    );
    // CPU-only nodes never receive GPU pods.
    assert!(
        sim.cluster.nodes[..3]
            .iter()
            .all(|n| n.requested.gpu_milli == 0)
    );
}

#[test]
fn gzip_traces_are_read_transparently() {
    let dir = temp_dir("gz");
    let plain = std::fs::read(crate::support::root().join("tests/fixtures/openb_pods_first40.csv"))
        .unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &plain).unwrap();
    std::fs::write(dir.join("pods.csv.gz"), enc.finish().unwrap()).unwrap();
    let nodes = crate::support::root().join("tests/fixtures/openb_nodes_sample.csv");
    let yaml = format!(
        "name: gz\nduration: 150d\nnodeLists: [{{format: alibaba-openb, path: {}}}]\n\
         traces: [{{name: o, format: alibaba-openb, path: {}, maxPods: 10}}]\n",
        nodes.display(),
        dir.join("pods.csv.gz").display()
    );
    let sim = simulate(&try_scenario(&yaml).unwrap());
    assert_eq!(sim.cluster.pods.len(), 10);
}

#[test]
fn native_trace_fields_are_trimmed() {
    let dir = temp_dir("native-trim");
    let trace = write(
        &dir,
        "t.csv",
        " arrival_ms , duration_ms ,cpu_request, memory_request ,group\n\
         0 , 60000 , 500m ,\t1Gi , etl \n",
    );
    let yaml = format!(
        "name: t\nduration: 10m\nnodePools:\n  - {{name: n, count: 1, allocatable: {{cpu: '4', memory: 8Gi}}, hourlyPrice: 1}}\n\
         traces:\n  - {{name: tr, format: kubesim, path: {}}}\n",
        trace.display()
    );
    let sim = simulate(&scenario(&yaml));
    let p = &sim.cluster.pods[0];
    assert_eq!(
        (p.requests.cpu_milli, p.requests.memory_bytes),
        (500, 1 << 30)
    );
    assert_eq!(p.finished.as_ms(), 60_000);
    let app = sim.cluster.interner.get("app").unwrap();
    let t = &sim.cluster.templates[p.template.0 as usize];
    assert_eq!(
        sim.cluster.interner.resolve(t.labels.get(app).unwrap()),
        "etl"
    );
}

#[test]
fn truncated_gzip_trace_names_the_line_it_stopped_at() {
    let dir = temp_dir("gz-cut");
    let mut plain = String::from("arrival_ms,duration_ms,cpu_request,memory_request\n");
    for i in 0..5000 {
        plain.push_str(&format!("{},1000,100m,1Mi\n", i * 1000));
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, plain.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    std::fs::write(dir.join("t.csv.gz"), &gz[..gz.len() / 2]).unwrap();
    let yaml = format!(
        "name: t\nduration: 2h\nnodePools:\n  - {{name: n, count: 1, allocatable: {{cpu: '4', memory: 8Gi}}, hourlyPrice: 1}}\n\
         traces:\n  - {{name: tr, format: kubesim, path: {}}}\n",
        dir.join("t.csv.gz").display()
    );
    let s = scenario(&yaml);
    let err = kubesim::run(&s, 1, &kubesim::Registry::with_builtins(), &mut |_| {})
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("t.csv.gz:"), "{err}");
    assert!(err.contains("cut short or corrupt"), "{err}");
    let line: u64 = err
        .split("t.csv.gz:")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(line > 1, "{err}");
}

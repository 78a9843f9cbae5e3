//! Stranded capacity (fragmentation): hand-checked scenarios, the probe setting and its
//! errors, and the columns in every output.

use crate::support::{run, scenario, shipped, try_scenario};
use kubesim::scenario::spec::SchedulerSpec;
use kubesim::{Registry, compare};

/// Two 4-core / 8 GiB nodes, probe 1 core / 1 GiB, measured from 10m to 30m.
/// - `web` (3.5 cores, 1 GiB) runs from t=0 on one node: it strands 0.5 core and 7 GiB.
/// - The Job's pod (3.5 cores, 1 GiB) runs 20m–25m on the other node (the first cannot fit
///   it): it strands another 0.5 core and 7 GiB for 5 minutes.
///
/// cpu: (0.5 × 20 + 0.5 × 5) core·min / (8 × 20) = 12.5 / 160; memory: (7 × 20 + 7 × 5) /
/// (16 × 20) = 175 / 320; mean stranded cores 12.5 / 20.
const TWO_NODES_ONE_STRANDING_POD: &str = r#"
name: frag
duration: 30m
warmup: 10m
metrics:
  fragmentationProbe: {cpu: "1", memory: 1Gi}
nodePools:
  - {name: n, count: 2, allocatable: {cpu: "4", memory: 8Gi}, hourlyPrice: 1.0}
deployments:
  - {name: web, replicas: 1, template: {requests: {cpu: 3500m, memory: 1Gi}}}
jobs:
  - name: j
    start: 20m
    completions: 1
    parallelism: 1
    duration: 5m
    template: {requests: {cpu: 3500m, memory: 1Gi}}
"#;

#[test]
fn stranded_ratios_are_exact_time_weighted_over_the_window() {
    let r = run(&scenario(TWO_NODES_ONE_STRANDING_POD));
    let s = &r.summary;
    assert_eq!(s.cpu_stranded_ratio, 12.5 / 160.0);
    assert_eq!(s.memory_stranded_ratio, 175.0 / 320.0);
    assert_eq!(s.gpu_stranded_ratio, 0.0);
    assert!((s.cpu_stranded_cores_mean - 12.5 / 20.0).abs() < 1e-12);
    assert_eq!(s.fragmentation_probe_cpu_cores, 1.0);
    assert_eq!(s.fragmentation_probe_memory_gib, 1.0);
    // The time series: one node stranding before 20m, both from 20m to 25m.
    let at = |min: f64| {
        r.samples
            .iter()
            .find(|x| x.time_s == min * 60.0)
            .expect("sample")
    };
    assert_eq!(at(15.0).cpu_stranded_ratio, 0.5 / 8.0);
    assert_eq!(at(22.0).cpu_stranded_ratio, 1.0 / 8.0);
    assert_eq!(at(22.0).memory_stranded_ratio, 14.0 / 16.0);
    assert_eq!(at(26.0).cpu_stranded_ratio, 0.5 / 8.0);
}

#[test]
fn a_probe_that_fits_strands_nothing_and_the_default_is_the_workload_median() {
    // A 500m probe fits next to every pod: nothing is stranded.
    let yaml = TWO_NODES_ONE_STRANDING_POD.replace("cpu: \"1\", memory: 1Gi", "cpu: 500m");
    let s = run(&scenario(&yaml)).summary;
    assert_eq!(s.cpu_stranded_ratio, 0.0);
    assert_eq!(s.memory_stranded_ratio, 0.0);
    // Without a probe, the typical pod is the median of the pods created (3.5 cores, 1 GiB):
    // the node left with 0.5 core strands it.
    let yaml = TWO_NODES_ONE_STRANDING_POD.replace(
        "metrics:\n  fragmentationProbe: {cpu: \"1\", memory: 1Gi}\n",
        "",
    );
    let s = run(&scenario(&yaml)).summary;
    assert_eq!(s.fragmentation_probe_cpu_cores, 3.5);
    assert_eq!(s.fragmentation_probe_memory_gib, 1.0);
    assert_eq!(s.cpu_stranded_ratio, 12.5 / 160.0);
}

#[test]
fn bad_probes_are_explained() {
    let with = |probe: &str| {
        let yaml = TWO_NODES_ONE_STRANDING_POD.replace("{cpu: \"1\", memory: 1Gi}", probe);
        match try_scenario(&yaml) {
            Ok(_) => panic!("expected an error for {probe}"),
            Err(e) => e.to_string(),
        }
    };
    let e = with("{cpu: \"1\", pods: 2}");
    assert!(e.contains("metrics.fragmentationProbe.pods"), "{e}");
    assert!(e.contains("one pod slot"), "{e}");
    let e = with("{}");
    assert!(e.contains("metrics.fragmentationProbe"), "{e}");
    assert!(e.contains("must request some cpu"), "{e}");
    let e = with("{cpu: 2 cores}");
    assert!(e.contains("metrics.fragmentationProbe.cpu"), "{e}");
}

#[test]
fn comparison_csv_and_chart_carry_the_fragmentation_columns() {
    let s = shipped("quickstart.yaml");
    let variants: Vec<(String, SchedulerSpec)> = ["default-scheduler", "first-fit"]
        .iter()
        .map(|n| {
            let spec = SchedulerSpec {
                name: n.to_string(),
                ..SchedulerSpec::default()
            };
            (n.to_string(), spec)
        })
        .collect();
    let results = compare(
        &s,
        42,
        &variants,
        &Registry::with_builtins(),
        &mut |_, _| {},
    )
    .unwrap();
    let csv =
        String::from_utf8(kubesim::report::compare::comparison_csv(&results).unwrap()).unwrap();
    let header = csv.lines().next().unwrap();
    for col in [
        "cpu_stranded_ratio",
        "memory_stranded_ratio",
        "gpu_stranded_ratio",
        "cpu_stranded_cores_mean",
        "fragmentation_probe_cpu_cores",
    ] {
        assert!(header.split(',').any(|h| h == col), "{col} in {header}");
    }
    let svg = kubesim::report::compare::comparison_chart("q", &results).unwrap();
    assert!(svg.contains("cpu stranded / allocatable"));
    let table = kubesim::report::compare::comparison_table(&results);
    assert!(table.lines().next().unwrap().contains("cpu_strand%"));
}

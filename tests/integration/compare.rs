//! `kubesim compare`: common random numbers, comparison.csv and the command line.

use crate::support::{root, shipped, temp_dir};
use kubesim::scenario::spec::{PluginRef, SchedulerSpec};
use kubesim::{Registry, compare};
use std::process::Command;

#[test]
fn variants_see_the_same_workload() {
    let s = shipped("quickstart.yaml");
    let variants: Vec<(String, SchedulerSpec)> = ["default-scheduler", "random"]
        .iter()
        .map(|n| {
            (n.to_string(), {
                // Without preemption: pods it deletes are replaced, which would make the
                // created pods and requests depend on the scheduler.
                let mut spec = SchedulerSpec {
                    name: n.to_string(),
                    ..SchedulerSpec::default()
                };
                spec.plugins.post_filter.disabled = vec![PluginRef {
                    name: "DefaultPreemption".into(),
                    weight: None,
                }];
                spec
            })
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
    assert_eq!(results.len(), 2);
    let (a, b) = (&results[0].result.summary, &results[1].result.summary);
    assert_eq!(a.scheduler, "default-scheduler");
    assert_eq!(b.scheduler, "random");
    // Same arrivals and Job run times: pods and requested totals are identical.
    assert_eq!(a.pods_created, b.pods_created);
    assert_eq!(a.pods_succeeded, b.pods_succeeded);
    assert!((a.cpu_requested_ratio - b.cpu_requested_ratio).abs() < 1e-12);
    let csv =
        String::from_utf8(kubesim::report::compare::comparison_csv(&results).unwrap()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("variant,scenario,scheduler,seed,"));
    assert!(lines[1].starts_with("default-scheduler,quickstart,default-scheduler,42,"));
    assert!(lines[2].starts_with("random,quickstart,random,42,"));
}

#[test]
fn binpack_scenario_shows_packing_uses_fewer_nodes() {
    let out = temp_dir("cli-compare");
    let result = Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .args(["compare", "--quiet"])
        .arg(root().join("scenarios/binpack-vs-spread.yaml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        stdout.contains("most-allocated") && stdout.contains("least-allocated"),
        "{stdout}"
    );
    assert!(out.join("comparison.svg").exists());
    let mut reader = csv::Reader::from_path(out.join("comparison.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    let in_use = |i: usize| rows[i][col("nodes_in_use_mean")].parse::<f64>().unwrap();
    assert!(
        in_use(1) < 0.8 * in_use(0),
        "MostAllocated packs: {} vs {}",
        in_use(1),
        in_use(0)
    );
    assert_eq!(&rows[0][col("pods_created")], &rows[1][col("pods_created")]);
}

#[test]
fn compare_without_variants_is_an_error() {
    let result = Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .arg("compare")
        .arg(root().join("scenarios/quickstart.yaml"))
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("--scheduler"));
}

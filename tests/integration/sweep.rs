//! `kubesim sweep` and `kubesim merge` through the binary: sharded and merged equals
//! unsharded byte for byte, every run equals `kubesim run`, merge refuses foreign, duplicate
//! and missing shards, and `--emit-job` writes a well-formed Indexed Job.

use crate::support::{temp_dir, write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small load-driven service with Poisson noise and a lognormal provisioning delay, so
/// seeds differ; a grid of three HPA targets × four seeds.
const SCENARIO: &str = r#"
name: sweep-test
duration: 12h
seed: 3
sampleInterval: 10m
clusterAutoscaler:
  enabled: true
  provisioningDelay: {lognormal: {median: 90s, sigma: 0.5}}
nodePools:
  - {name: web, instanceType: m5.2xlarge, count: 1, minSize: 1, maxSize: 6, zone: us-east-1a}
deployments:
  - name: web
    replicas: 2
    template:
      labels: {app: web}
      requests: {cpu: "2", memory: 4Gi}
      limits: {cpu: "2", memory: 4Gi}
    load:
      diurnal: {mean: 600, amplitude: 500, peakHour: 8}
      noise: {poisson: {interval: 1m}}
    service: {cpuPerRps: 10m, memoryBase: 1Gi, memoryPerRps: 2Mi}
    hpa:
      minReplicas: 2
      maxReplicas: 14
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
sweep:
  grid:
    - name: target
      set: deployments[name=web].hpa.metrics[0].resource.target.averageUtilization
      values: [50, 70, 90]
  seeds: 1..4
  objective: {minimize: cost_usd, subjectTo: "unserved_ratio < 0.01"}
"#;

fn kubesim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubesim"))
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "kubesim failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(out: Output) -> String {
    assert_eq!(out.status.code(), Some(2), "expected exit code 2");
    String::from_utf8(out.stderr).unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut f: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    f.sort();
    f
}

fn setup(tag: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(tag);
    let scenario = write(&dir, "sweep-test.yaml", SCENARIO);
    (dir, scenario)
}

/// Runs shard `index` of 4 with the index in the environment, as a Job's pod would.
fn shard(scenario: &Path, index: usize, out: &Path, extra: &[&str]) -> Output {
    kubesim()
        .arg("sweep")
        .arg(scenario)
        .args([
            "--shard-from-env",
            "--shards",
            "4",
            "--jobs",
            "1",
            "--quiet",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .env("JOB_COMPLETION_INDEX", index.to_string())
        .output()
        .unwrap()
}

#[test]
fn four_shards_merged_equal_the_unsharded_sweep() {
    let (dir, scenario) = setup("sweep-shards");
    let whole = dir.join("whole");
    let report = ok(kubesim()
        .arg("sweep")
        .arg(&scenario)
        .args(["--jobs", "2", "--quiet", "--out"])
        .arg(&whole)
        .output()
        .unwrap());
    assert!(
        report.contains("3 grid points x 4 seeds = 12 runs"),
        "{report}"
    );
    assert!(report.contains("answer: p"), "{report}");
    let shards: Vec<PathBuf> = (0..4).map(|i| dir.join(format!("shard-{i}"))).collect();
    for (i, out) in shards.iter().enumerate() {
        ok(shard(&scenario, i, out, &[]));
        assert_eq!(files(out), ["sweep.csv", "sweep.json"]);
    }
    let merged = dir.join("merged");
    let text = ok(kubesim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap());
    assert!(text.contains("answer: p"), "{text}");
    assert_eq!(
        files(&whole),
        [
            "points.csv",
            "sweep.csv",
            "sweep.json",
            "sweep.svg",
            "sweep.txt"
        ]
    );
    assert_eq!(files(&merged), files(&whole));
    for f in files(&whole) {
        assert!(
            std::fs::read(whole.join(&f)).unwrap() == std::fs::read(merged.join(&f)).unwrap(),
            "{f} differs between the merged and the unsharded sweep"
        );
    }
    // The summary table: 12 rows, 4 per point, seeds 1..4.
    let csv = std::fs::read_to_string(whole.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 13);
    assert!(csv.starts_with("run_id,point,target,scenario,scheduler,seed,"));
    assert!(
        csv.lines()
            .nth(5)
            .unwrap()
            .starts_with("p1-s1,1,70,sweep-test,")
    );
    let points = std::fs::read_to_string(whole.join("points.csv")).unwrap();
    assert!(points.starts_with("point,target,n,sim_duration_s_mean,"));
    assert!(points.lines().nth(3).unwrap().starts_with("2,90,4,"));
    // Shard merge is order independent.
    let mut reversed = shards.clone();
    reversed.reverse();
    let merged2 = dir.join("merged2");
    ok(kubesim()
        .arg("merge")
        .args(&reversed)
        .arg("--out")
        .arg(&merged2)
        .output()
        .unwrap());
    assert_eq!(
        std::fs::read(merged2.join("sweep.csv")).unwrap(),
        std::fs::read(whole.join("sweep.csv")).unwrap()
    );
}

/// A CSV file's rows without its `wall_time_s` column.
fn without_wall_time(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| header[i] != "wall_time_s")
        .collect();
    let mut rows = vec![keep.iter().map(|&i| header[i].clone()).collect()];
    for rec in r.records() {
        let rec = rec.unwrap();
        rows.push(keep.iter().map(|&i| rec[i].to_owned()).collect());
    }
    rows
}

#[test]
fn each_run_equals_kubesim_run_with_its_overrides_and_seed() {
    let (dir, scenario) = setup("sweep-runs");
    let out = dir.join("sweep");
    ok(kubesim()
        .arg("sweep")
        .arg(&scenario)
        .args(["--outputs", "all", "--seeds", "2,5", "--jobs", "2"])
        .args(["--set", "nodePools[name=web].maxSize=5", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap());
    assert_eq!(
        files(&out.join("runs")),
        ["p0-s2", "p0-s5", "p1-s2", "p1-s5", "p2-s2", "p2-s5"]
    );
    // The printed command of run p1-s5 is the `kubesim run` it equals.
    let list = ok(kubesim()
        .arg("sweep")
        .arg(&scenario)
        .args([
            "--seeds",
            "2,5",
            "--set",
            "nodePools[name=web].maxSize=5",
            "--list",
        ])
        .output()
        .unwrap());
    let line = list.lines().find(|l| l.starts_with("p1-s5 ")).unwrap();
    assert!(
        line.ends_with(
            "--set 'nodePools[name=web].maxSize=5' --set \
             'deployments[name=web].hpa.metrics[0].resource.target.averageUtilization=70' --seed 5"
        ),
        "{line}"
    );
    let single = dir.join("single");
    ok(kubesim()
        .arg("run")
        .arg(&scenario)
        .args(["--set", "nodePools[name=web].maxSize=5"])
        .args([
            "--set",
            "deployments[name=web].hpa.metrics[0].resource.target.averageUtilization=70",
        ])
        .args(["--seed", "5", "--quiet", "--out"])
        .arg(&single)
        .output()
        .unwrap());
    let run = out.join("runs/p1-s5");
    assert_eq!(files(&run), files(&single));
    for f in files(&single) {
        if f == "summary.csv" {
            assert_eq!(
                without_wall_time(&run.join(&f)),
                without_wall_time(&single.join(&f))
            );
        } else {
            assert!(
                std::fs::read(run.join(&f)).unwrap() == std::fs::read(single.join(&f)).unwrap(),
                "{f} differs from kubesim run"
            );
        }
    }
    // Its sweep.csv row is the summary row after run_id, point and the axis value.
    let summary = without_wall_time(&single.join("summary.csv"));
    let sweep = without_wall_time(&out.join("sweep.csv"));
    let row = sweep.iter().find(|r| r[0] == "p1-s5").unwrap();
    assert_eq!(row[3..], summary[1][..]);
    assert_eq!(sweep[0][3..], summary[0][..]);
    // `--run` repeats it.
    let rerun = dir.join("rerun");
    ok(kubesim()
        .arg("sweep")
        .arg(&scenario)
        .args(["--seeds", "2,5", "--set", "nodePools[name=web].maxSize=5"])
        .args(["--run", "p1-s5", "--out"])
        .arg(&rerun)
        .output()
        .unwrap());
    assert_eq!(
        std::fs::read(rerun.join("timeseries.csv")).unwrap(),
        std::fs::read(single.join("timeseries.csv")).unwrap()
    );
}

#[test]
fn merge_refuses_foreign_duplicate_and_missing_shards() {
    let (dir, scenario) = setup("sweep-refuse");
    let shards: Vec<PathBuf> = (0..4).map(|i| dir.join(format!("shard-{i}"))).collect();
    for (i, out) in shards.iter().enumerate() {
        ok(shard(&scenario, i, out, &["--seeds", "1..2"]));
    }
    let merge = |dirs: &[&PathBuf]| {
        kubesim()
            .arg("merge")
            .args(dirs)
            .arg("--out")
            .arg(dir.join("merged"))
            .output()
            .unwrap()
    };
    let missing = fails(merge(&[&shards[0], &shards[3]]));
    assert!(
        missing.contains(
            "3 of the sweep's 6 runs are missing: p0-s2, p1-s1, p2-s2 (from shard 1/4, 2/4)"
        ),
        "{missing}"
    );
    let twice = fails(merge(&[
        &shards[0], &shards[1], &shards[1], &shards[2], &shards[3],
    ]));
    assert!(twice.contains("is in both"), "{twice}");
    let other = dir.join("other");
    ok(shard(&scenario, 0, &other, &["--seeds", "1..3"]));
    let foreign = fails(merge(&[&shards[0], &other]));
    assert!(foreign.contains("is from a different sweep"), "{foreign}");
    assert!(!dir.join("merged").exists(), "a refused merge wrote output");
    let all: Vec<&PathBuf> = shards.iter().collect();
    ok(merge(&all));
    // More shards than runs: the empty shards merge too.
    let many: Vec<PathBuf> = (0..8).map(|i| dir.join(format!("many-{i}"))).collect();
    for (i, out) in many.iter().enumerate() {
        ok(kubesim()
            .arg("sweep")
            .arg(&scenario)
            .args([
                "--seeds",
                "1..2",
                "--quiet",
                "--shard",
                &format!("{i}/8"),
                "--out",
            ])
            .arg(out)
            .output()
            .unwrap());
    }
    let many_merged = dir.join("many-merged");
    ok(kubesim()
        .arg("merge")
        .args(&many)
        .arg("--out")
        .arg(&many_merged)
        .output()
        .unwrap());
    ok(merge(&all));
    assert_eq!(
        std::fs::read(many_merged.join("points.csv")).unwrap(),
        std::fs::read(dir.join("merged/points.csv")).unwrap()
    );
    // `{shard}` in --out is the shard index.
    ok(shard(
        &scenario,
        3,
        &dir.join("named-{shard}"),
        &["--seeds", "1..2"],
    ));
    assert_eq!(
        std::fs::read(dir.join("named-3/sweep.csv")).unwrap(),
        std::fs::read(shards[3].join("sweep.csv")).unwrap()
    );
    // A shard index out of range is a usage error.
    let bad = fails(shard(&scenario, 4, &dir.join("x"), &[]));
    assert!(bad.contains("0-based"), "{bad}");
}

#[test]
fn emit_job_writes_an_indexed_job() {
    let (_dir, scenario) = setup("sweep-job");
    let yaml = ok(kubesim()
        .arg("sweep")
        .arg(&scenario)
        .args(["--grid", "deployments[0].replicas=2,3", "--seeds", "1..30"])
        .args([
            "--emit-job",
            "16",
            "--parallelism",
            "4",
            "--image",
            "ghcr.io/x/kubesim:1",
        ])
        .args(["--pvc", "sweeps", "--jobs", "2"])
        .output()
        .unwrap());
    let job: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    assert_eq!(job["apiVersion"], "batch/v1");
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["metadata"]["name"], "kubesim-sweep-sweep-test");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["completions"], 16);
    assert_eq!(spec["parallelism"], 4);
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "ghcr.io/x/kubesim:1");
    assert_eq!(c["command"][0], "kubesim");
    assert_eq!(c["resources"]["requests"]["cpu"], "2");
    let args: Vec<&str> = c["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[0], "sweep");
    assert_eq!(args[1], scenario.display().to_string());
    for pair in [
        ["--grid", "deployments[0].replicas=2,3"],
        ["--seeds", "1..30"],
        ["--shards", "16"],
        ["--out", "/results/sweep-shard-{shard}"],
    ] {
        assert!(
            args.windows(2).any(|w| w == pair),
            "{pair:?} not in {args:?}"
        );
    }
    assert!(args.contains(&"--shard-from-env"));
    assert_eq!(c["volumeMounts"][0]["mountPath"], "/results");
    assert_eq!(c["volumeMounts"][0]["name"], pod["volumes"][0]["name"]);
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "sweeps"
    );
}

#[test]
fn bad_grids_are_usage_errors() {
    let (_dir, scenario) = setup("sweep-bad");
    let run = |args: &[&str]| {
        kubesim()
            .arg("sweep")
            .arg(&scenario)
            .args(args)
            .arg("--list")
            .output()
            .unwrap()
    };
    let e = fails(run(&["--grid", "deployments[name=api].replicas=1,2"]));
    assert!(e.contains("no list item has name \"api\""), "{e}");
    let e = fails(run(&["--seeds", "1,1"]));
    assert!(e.contains("seed 1 is listed twice"), "{e}");
    let e = fails(run(&["--grid", "nodePools[0].count"]));
    assert!(e.contains("expected path=value1,value2"), "{e}");
    let e = fails(run(&["--shard-from-env", "--shards", "2"]));
    assert!(e.contains("JOB_COMPLETION_INDEX"), "{e}");
    // `validate` checks the sweep block: every grid point, naming the file.
    let dir = temp_dir("sweep-validate");
    let bad = write(
        &dir,
        "bad.yaml",
        &SCENARIO.replace("deployments[name=web].hpa", "deployments[name=api].hpa"),
    );
    let e = fails(kubesim().arg("validate").arg(&bad).output().unwrap());
    assert!(
        e.contains("bad.yaml") && e.contains("no list item has name \"api\""),
        "{e}"
    );
    let twice = write(
        &dir,
        "twice.yaml",
        &SCENARIO.replace("seeds: 1..4", "seeds: [1, 2, 1]"),
    );
    let e = fails(kubesim().arg("validate").arg(&twice).output().unwrap());
    assert!(
        e.contains("twice.yaml: sweep: seed 1 is listed twice"),
        "{e}"
    );
    // An objective naming no summary column stops after the first run, writing nothing.
    let typo = write(
        &dir,
        "typo.yaml",
        &SCENARIO.replace("minimize: cost_usd", "minimize: cost"),
    );
    let out = dir.join("typo-out");
    let e = fails(
        kubesim()
            .arg("sweep")
            .arg(&typo)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
    );
    assert!(
        e.contains("typo.yaml: sweep.objective: \"cost\" is not a summary column"),
        "{e}"
    );
    assert!(!out.exists());
}

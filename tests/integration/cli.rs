//! The `kubesim` binary: outputs, exit codes and `--set`.

use crate::support::{root, temp_dir, write};
use std::process::Command;

fn kubesim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubesim"))
}

#[test]
fn run_writes_all_outputs() {
    let out = temp_dir("cli-run");
    let status = kubesim()
        .arg("run")
        .arg(root().join("scenarios/quickstart.yaml"))
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    for f in [
        "summary.csv",
        "timeseries.csv",
        "utilization.svg",
        "pods.svg",
    ] {
        let meta = std::fs::metadata(out.join(f)).unwrap_or_else(|_| panic!("{f} missing"));
        assert!(meta.len() > 100, "{f} is too small");
    }
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("scenario,scheduler,seed,"), "{summary}");
    assert!(
        summary.contains("quickstart,default-scheduler,42,"),
        "{summary}"
    );
}

#[test]
fn set_overrides_fields() {
    let out = temp_dir("cli-set");
    let status = kubesim()
        .args([
            "run",
            "--quiet",
            "--set",
            "scheduler.name=best-fit",
            "--set",
            "nodePools[0].count=5",
            "--seed",
            "9",
        ])
        .arg(root().join("scenarios/quickstart.yaml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.contains("quickstart,best-fit,9,"), "{summary}");
}

#[test]
fn invalid_scenario_fails_cleanly_without_outputs() {
    let dir = temp_dir("cli-bad");
    let bad = write(&dir, "bad.yaml", "name: bad\nduration: 1h\nnodePools: []\n");
    let out = dir.join("out");
    let result = kubesim()
        .arg("run")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("bad.yaml"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists(), "no partial results");
}

#[test]
fn validate_checks_without_running() {
    let ok = kubesim()
        .arg("validate")
        .arg(root().join("scenarios/alibaba-openb.yaml"))
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = kubesim()
        .args(["validate", "--set", "scheduler.name=nope"])
        .arg(root().join("scenarios/quickstart.yaml"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

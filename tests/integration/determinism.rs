//! Same scenario + seed gives byte-identical output; a golden file pins the quickstart results.

use crate::support::{root, run, shipped};
use kubesim::report::to_csv;

/// The summary CSV with the wall-time column blanked (the only non-deterministic field).
fn summary_csv(r: &kubesim::RunResult) -> String {
    let mut s = r.summary.clone();
    s.wall_time_s = 0.0;
    String::from_utf8(to_csv(&[s]).unwrap()).unwrap()
}

#[test]
fn same_seed_gives_identical_csv() {
    let s = shipped("quickstart.yaml");
    let a = run(&s);
    let b = run(&s);
    assert_eq!(summary_csv(&a), summary_csv(&b));
    assert_eq!(to_csv(&a.samples).unwrap(), to_csv(&b.samples).unwrap());
}

#[test]
fn different_seed_changes_the_random_draws() {
    let s = shipped("quickstart.yaml");
    let a = run(&s);
    let b = kubesim::run(&s, 4242, &kubesim::Registry::with_builtins(), &mut |_| {}).unwrap();
    assert_ne!(to_csv(&a.samples).unwrap(), to_csv(&b.samples).unwrap());
}

#[test]
fn scheduler_choice_does_not_change_the_workload() {
    // Common random numbers: the Job's run times come from its own stream.
    let base = shipped("quickstart.yaml");
    let mut other = base.clone();
    other.spec.scheduler.name = "random".into();
    let a = crate::support::simulate(&base);
    let b = crate::support::simulate(&other);
    let runs = |sim: &kubesim::Simulation| -> Vec<kubesim::cluster::pod::Lifetime> {
        sim.cluster
            .pods
            .iter()
            .filter(|p| matches!(p.owner, kubesim::cluster::pod::Owner::Job(_)))
            .map(|p| p.lifetime)
            .collect()
    };
    assert_eq!(runs(&a), runs(&b));
}

/// Compares `actual` with `tests/golden/<name>`; set KUBESIM_UPDATE_GOLDEN=1 to rewrite it.
fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("KUBESIM_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing {}; run with KUBESIM_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name} differs from the golden file; if the change is intended, regenerate with \
         KUBESIM_UPDATE_GOLDEN=1 cargo test"
    );
}

#[test]
fn quickstart_matches_golden_output() {
    let r = run(&shipped("quickstart.yaml"));
    golden("quickstart_summary.csv", &summary_csv(&r));
    golden(
        "quickstart_timeseries.csv",
        &String::from_utf8(to_csv(&r.samples).unwrap()).unwrap(),
    );
}

#[test]
fn reusing_pod_slots_does_not_change_results() {
    for name in ["quickstart.yaml", "alibaba-openb.yaml"] {
        let s = shipped(name);
        let run_with = |keep: bool| {
            let mut sim = kubesim::scenario::build::build(
                &s,
                s.spec.seed,
                &kubesim::Registry::with_builtins(),
            )
            .unwrap();
            sim.cluster.keep_terminated_pods = keep;
            sim.run(&mut |_| {}).unwrap();
            let mut summary = kubesim::report::summarize(&mut sim, name, s.spec.seed, 0.0);
            summary.wall_time_s = 0.0;
            (
                summary,
                to_csv(&sim.samples).unwrap(),
                sim.cluster.pods.len(),
            )
        };
        let (a, a_samples, a_slots) = run_with(true);
        let (b, b_samples, b_slots) = run_with(false);
        assert_eq!(a, b, "{name}");
        assert_eq!(a_samples, b_samples, "{name}");
        assert!(
            b_slots < a_slots,
            "{name}: slots were reused ({b_slots} < {a_slots})"
        );
    }
}

//! Shared helpers for the integration tests.

use kubesim::{Registry, RunResult, Scenario, Simulation};
use std::path::{Path, PathBuf};

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses scenario YAML as if it were a file in `tests/fixtures/` (data paths resolve there).
pub fn scenario(yaml: &str) -> Scenario {
    try_scenario(yaml).unwrap_or_else(|e| panic!("scenario should load: {e}"))
}

/// Like [`scenario`] but returns the error.
pub fn try_scenario(yaml: &str) -> kubesim::Result<Scenario> {
    Scenario::from_yaml(yaml, &root().join("tests/fixtures/inline.yaml"), &[])
}

/// Builds and runs a scenario keeping every pod record, returning the finished simulation for
/// inspection.
pub fn simulate(s: &Scenario) -> Simulation {
    let mut sim = kubesim::scenario::build::build(s, s.spec.seed, &Registry::with_builtins())
        .unwrap_or_else(|e| panic!("scenario should build: {e}"));
    sim.cluster.keep_terminated_pods = true;
    sim.run(&mut |_| {})
        .unwrap_or_else(|e| panic!("scenario should run: {e}"));
    sim
}

/// Runs a scenario through the public entry point.
pub fn run(s: &Scenario) -> RunResult {
    kubesim::run(s, s.spec.seed, &Registry::with_builtins(), &mut |_| {})
        .unwrap_or_else(|e| panic!("scenario should run: {e}"))
}

/// Loads a shipped scenario from `scenarios/`.
pub fn shipped(name: &str) -> Scenario {
    Scenario::load(&root().join("scenarios").join(name), &[])
        .unwrap_or_else(|e| panic!("{name} should load: {e}"))
}

/// A fresh empty temporary folder.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubesim-it-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes `contents` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, contents).expect("write fixture");
    p
}

//! Bad input gets a clear error naming file, line/field and what was expected.

use crate::support::{scenario, simulate, temp_dir, try_scenario, write};

fn error_of(yaml: &str) -> String {
    match try_scenario(yaml) {
        Ok(s) => {
            match kubesim::scenario::build::build(&s, 1, &kubesim::Registry::with_builtins()) {
                Ok(mut sim) => match sim.run(&mut |_| {}) {
                    Ok(()) => panic!("expected an error"),
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            }
        }
        Err(e) => e.to_string(),
    }
}

const NODES: &str =
    "nodePools:\n  - {name: n, count: 1, allocatable: {cpu: '4', memory: 8Gi}, hourlyPrice: 1}\n";

#[test]
fn yaml_syntax_error_names_line_and_column() {
    let e = error_of("name: x\nduration: 1h\nnodePools: [\n");
    assert!(e.contains("inline.yaml:"), "{e}");
    assert!(e.contains(":4:") || e.contains(":3:"), "line number: {e}");
}

#[test]
fn unknown_field_lists_valid_ones() {
    let e = error_of(&format!("name: x\nduration: 1h\n{NODES}deployment: []\n"));
    assert!(e.contains("unknown field `deployment`"), "{e}");
    assert!(e.contains("deployments"), "lists valid fields: {e}");
    assert!(e.contains(":5:1"), "line of the bad field: {e}");
}

#[test]
fn bad_quantity_names_field_and_expectation() {
    let e = error_of(&format!(
        "name: x\nduration: 1h\n{NODES}deployments:\n  - name: d\n    replicas: 1\n    template:\n      requests: {{cpu: 2 cores}}\n"
    ));
    assert!(e.contains("invalid quantity \"2 cores\""), "{e}");
    assert!(e.contains("deployments[0].template.requests.cpu"), "{e}");
    assert!(e.contains(":9:"), "{e}");
    assert_eq!(
        e.matches("deployments[0].template.requests.cpu").count(),
        1,
        "path once: {e}"
    );
}

#[test]
fn negative_capacity_is_rejected() {
    let e = error_of(
        "name: x\nduration: 1h\nnodePools:\n  - {name: n, count: 1, allocatable: {cpu: '-4', memory: 8Gi}, hourlyPrice: 1}\n",
    );
    assert!(e.contains("negative"), "{e}");
    assert!(e.contains("nodePools[0].allocatable.cpu"), "{e}");
}

#[test]
fn limits_below_requests_is_rejected() {
    let e = error_of(&format!(
        "name: x\nduration: 1h\n{NODES}deployments:\n  - name: d\n    replicas: 1\n    template:\n      requests: {{cpu: '2'}}\n      limits: {{cpu: '1'}}\n"
    ));
    assert!(e.contains("deployments[0].template.limits"), "{e}");
    assert!(e.contains("cpu limit is below the cpu request"), "{e}");
}

#[test]
fn zero_durations_are_rejected() {
    let e = error_of(&format!(
        "name: x\nduration: 1h\n{NODES}jobs:\n  - {{name: j, completions: 1, duration: 0s}}\n"
    ));
    assert!(e.contains("jobs[0].duration") && e.contains("> 0"), "{e}");
    let e = error_of(&format!("name: x\nduration: 0s\n{NODES}"));
    assert!(e.contains("`duration`"), "{e}");
}

#[test]
fn unknown_scheduler_and_plugin_are_errors() {
    let e = error_of(&format!(
        "name: x\nduration: 1h\n{NODES}scheduler: {{name: fancy}}\n"
    ));
    assert!(
        e.contains("unknown scheduler \"fancy\"") && e.contains("best-fit"),
        "{e}"
    );
    let e = error_of(&format!(
        "name: x\nduration: 1h\n{NODES}scheduler:\n  plugins:\n    score:\n      enabled: [{{name: Magic}}]\n"
    ));
    assert!(
        e.contains("unknown plugin \"Magic\"") && e.contains("NodeResourcesFit"),
        "{e}"
    );
}

#[test]
fn unsorted_trace_names_the_line() {
    let dir = temp_dir("unsorted");
    let t = write(&dir, "t.csv", "arrival_ms,cpu_request\n5000,1\n1000,1\n");
    let e = error_of(&format!(
        "name: x\nduration: 1h\n{NODES}traces: [{{name: t, format: kubesim, path: {}}}]\n",
        t.display()
    ));
    assert!(
        e.contains("t.csv:3:") && e.contains("arrival_ms") && e.contains("sorted"),
        "{e}"
    );
}

#[test]
fn bad_trace_columns_and_values_are_explained() {
    let dir = temp_dir("badtrace");
    let t = write(&dir, "a.csv", "arrival_ms,cpus\n0,1\n");
    let e = error_of(&format!(
        "name: x\nduration: 1h\n{NODES}traces: [{{name: t, format: kubesim, path: {}}}]\n",
        t.display()
    ));
    assert!(
        e.contains("a.csv:1:")
            && e.contains("unknown column \"cpus\"")
            && e.contains("cpu_request"),
        "{e}"
    );
    let t = write(
        &dir,
        "b.csv",
        "arrival_ms,duration_ms,memory_request\n0,10,lots\n",
    );
    let e = error_of(&format!(
        "name: x\nduration: 1h\n{NODES}traces: [{{name: t, format: kubesim, path: {}}}]\n",
        t.display()
    ));
    assert!(
        e.contains("b.csv:2:") && e.contains("memory_request") && e.contains("lots"),
        "{e}"
    );
    let t = write(&dir, "c.csv", "arrival_ms,duration_ms\n0,0\n");
    let e = error_of(&format!(
        "name: x\nduration: 1h\n{NODES}traces: [{{name: t, format: kubesim, path: {}}}]\n",
        t.display()
    ));
    assert!(e.contains("c.csv:2:") && e.contains("duration_ms"), "{e}");
}

#[test]
fn missing_data_file_is_reported() {
    let e = error_of(&format!(
        "name: x\nduration: 1h\n{NODES}traces: [{{name: t, format: kubesim, path: nowhere.csv}}]\n"
    ));
    assert!(e.contains("nowhere.csv"), "{e}");
}

#[test]
fn a_valid_minimal_scenario_still_runs() {
    // Guards the fixtures above: the same base is fine without the mistake.
    simulate(&scenario(&format!("name: x\nduration: 1h\n{NODES}")));
}

#[test]
fn runaway_sizes_are_refused_up_front() {
    let e = error_of(&format!("name: x\nduration: 999999999d\n{NODES}"));
    assert!(
        e.contains("sampleInterval") && e.contains("time-series rows"),
        "{e}"
    );
    let e = error_of(
        "name: x\nduration: 1h\nnodePools:\n  - {name: n, count: 4000000000, instanceType: m5.large}\n",
    );
    assert!(e.contains("nodePools[0].count"), "{e}");
}

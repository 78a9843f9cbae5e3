//! Scenarios whose workloads come from Kubernetes manifests.

use crate::support::{root, simulate};
use kubesim::Scenario;
use kubesim::cluster::pod::{PodId, PodPhase};

#[test]
fn manifests_run_through_the_engine() {
    // One 4-cpu node. The Deployment's two 1-cpu pods run all along; the Job's two 2-cpu pods
    // run one after the other (parallelism 1), 10 minutes each, beside them.
    let s = Scenario::load(&root().join("tests/fixtures/manifests/app.yaml"), &[]).unwrap();
    assert_eq!(s.spec.deployments.len(), 1);
    assert!(s.spec.deployments[0].hpa.is_some());
    assert_eq!(s.spec.pod_disruption_budgets.len(), 1);
    // Unmodelled container fields are reported, not silently dropped.
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("Deployment/web") && w.contains("container runtime fields")),
        "{:?}",
        s.warnings
    );
    let sim = simulate(&s);
    let mut web = Vec::new();
    let mut batch = Vec::new();
    for p in 0..sim.cluster.pods.len() as u32 {
        let name = sim.cluster.pod_name(PodId(p));
        let pod = &sim.cluster.pods[p as usize];
        if name.starts_with("web-") {
            web.push((pod.phase, pod.node.is_some()));
        } else if name.starts_with("batch-") {
            batch.push((pod.phase, pod.priority));
        }
    }
    assert_eq!(web, vec![(PodPhase::Running, true); 2]);
    assert_eq!(batch, vec![(PodPhase::Succeeded, -10); 2]);
}

#[test]
fn scenario_manifest_errors_name_the_manifest_file() {
    let dir = crate::support::temp_dir("manifest-err");
    crate::support::write(
        &dir,
        "m.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    \
         spec:\n      containers:\n      - name: a\n        resources: {requests: {memory: 1Gx}}\n",
    );
    let p = crate::support::write(
        &dir,
        "s.yaml",
        "name: x\nduration: 1m\nnodePools: [{name: a, count: 1, allocatable: {cpu: '1', memory: 1Gi}}]\n\
         manifests: [m.yaml]\n",
    );
    let e = Scenario::load(&p, &[]).unwrap_err().to_string();
    assert!(e.contains("m.yaml:9:"), "{e}");
    assert!(e.contains("document 1"), "{e}");
    assert!(e.contains("resources.requests.memory"), "{e}");
}

#[test]
fn a_dump_of_nodes_and_running_pods_is_the_initial_placement() {
    // worker-1 (3920m) runs the dumped pods `cache` (3 cpu) and `web-7f-abc` (500m; its
    // ReplicaSet is not in the dump, so it is kept as a bare pod). worker-2 is cordoned and
    // tainted, so the Deployment `big` (1 cpu) finds no room: 420m are left on worker-1.
    let s = Scenario::load(&root().join("tests/fixtures/manifests/cluster.yaml"), &[]).unwrap();
    assert_eq!(s.spec.nodes.len(), 2);
    assert_eq!(s.spec.pods.len(), 2);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("Pod/old-job-x: skipped: phase Succeeded")),
        "{:?}",
        s.warnings
    );
    let sim = simulate(&s);
    let mut seen = Vec::new();
    for p in 0..sim.cluster.pods.len() as u32 {
        let pod = &sim.cluster.pods[p as usize];
        seen.push((
            sim.cluster.pod_name(PodId(p)),
            pod.phase,
            pod.node
                .map(|n| sim.cluster.nodes[n.0 as usize].name.clone()),
        ));
    }
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let w1 = Some("worker-1".to_owned());
    assert_eq!(
        seen,
        vec![
            ("big-0".to_owned(), PodPhase::Pending, None),
            ("cache".to_owned(), PodPhase::Running, w1.clone()),
            ("web-7f-abc".to_owned(), PodPhase::Running, w1),
        ]
    );
}

#[test]
fn import_writes_a_scenario_that_loads_and_runs_the_same() {
    let dir = crate::support::temp_dir("manifest-import");
    let out = dir.join("imported.yaml");
    let fixtures = root().join("tests/fixtures/manifests");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .arg("import")
        .arg(fixtures.join("nodes-dump.yaml"))
        .arg(fixtures.join("cluster"))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("kubesim runs");
    assert!(status.status.success(), "{status:?}");
    // Warnings go to stderr, never into the written file.
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(stderr.contains("warning: "), "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("warning"), "{text}");
    assert!(text.starts_with("# Written by `kubesim import`"), "{text}");
    let imported = Scenario::load(&out, &[]).unwrap();
    assert_eq!(imported.spec.name, "imported");
    assert_eq!(imported.spec.nodes.len(), 2);
    assert!(imported.spec.manifests.is_empty());
    // Same placement as reading the manifests directly (10 minutes in both).
    let direct = Scenario::load(&fixtures.join("cluster.yaml"), &[]).unwrap();
    let names = |s: &Scenario| {
        let sim = simulate(s);
        let mut v: Vec<(String, Option<String>)> = (0..sim.cluster.pods.len() as u32)
            .map(|p| {
                let pod = &sim.cluster.pods[p as usize];
                (
                    sim.cluster.pod_name(PodId(p)),
                    pod.node
                        .map(|n| sim.cluster.nodes[n.0 as usize].name.clone()),
                )
            })
            .collect();
        v.sort();
        v
    };
    let mut imported = imported;
    imported.spec.duration = direct.spec.duration;
    assert_eq!(names(&imported), names(&direct));
}

#[test]
fn import_without_nodes_adds_a_placeholder_pool() {
    let dir = crate::support::temp_dir("manifest-import-app");
    let out = dir.join("app.yaml");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .arg("import")
        .arg(root().join("tests/fixtures/manifests/app"))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("kubesim runs");
    assert!(status.status.success(), "{status:?}");
    let s = Scenario::load(&out, &[]).unwrap();
    assert_eq!(s.spec.node_pools.len(), 1);
    assert_eq!(s.spec.deployments[0].hpa.as_ref().unwrap().max_replicas, 2);
    assert_eq!(
        s.spec.jobs[0].template.priority_class_name.as_deref(),
        Some("batch-low")
    );
    let sim = simulate(&s);
    assert!(
        sim.cluster
            .pods
            .iter()
            .any(|p| p.phase == PodPhase::Succeeded)
    );
}

#[test]
fn statefulset_daemonset_and_cronjob_manifests_run() {
    // Two nodes from the dump. The StatefulSet's two pods and one DaemonSet pod per node (it
    // tolerates everything) run; the CronJob, created at 0, starts a 2-minute Job at 10 and
    // 20 minutes (the first run is the first schedule time after creation).
    let s = Scenario::load(
        &root().join("tests/fixtures/manifests/controllers.yaml"),
        &[],
    )
    .unwrap();
    assert_eq!(
        (
            s.spec.stateful_sets.len(),
            s.spec.daemon_sets.len(),
            s.spec.cron_jobs.len()
        ),
        (1, 1, 1)
    );
    let sim = simulate(&s);
    let count = |prefix: &str, phase: PodPhase| {
        (0..sim.cluster.pods.len() as u32)
            .filter(|&p| {
                sim.cluster.pod_name(PodId(p)).starts_with(prefix)
                    && sim.cluster.pods[p as usize].phase == phase
            })
            .count()
    };
    assert_eq!(count("db-", PodPhase::Running), 2);
    assert_eq!(count("logs-", PodPhase::Running), 2);
    assert_eq!(count("report-", PodPhase::Succeeded), 2);
}

#[test]
fn import_of_the_shipped_example_builds_with_placeholder_series() {
    // The shop's HPAs read two External metrics: the written scenario gets a 0-valued series
    // for each (with the selector's labels), names the scheduler configuration relative to
    // itself, and builds as it is.
    let dir = crate::support::temp_dir("manifest-import-shop");
    let out = dir.join("shop.yaml");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .arg("import")
        .arg(root().join("scenarios/manifests"))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("kubesim runs");
    assert!(status.status.success(), "{status:?}");
    let s = Scenario::load(&out, &[]).unwrap();
    let names: Vec<&str> = s
        .spec
        .custom_metrics
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, ["http_requests_per_second", "orders_queue_depth"]);
    assert_eq!(
        s.spec.custom_metrics[0]
            .labels
            .get("service")
            .map(String::as_str),
        Some("frontend")
    );
    let config = s.spec.scheduler.config_file.as_deref().unwrap();
    assert!(!std::path::Path::new(config).is_absolute(), "{config}");
    assert_eq!(s.spec.stateful_sets.len(), 1);
    assert_eq!(s.spec.daemon_sets.len(), 2);
    let sim = simulate(&s);
    assert!(sim.cluster.pods.len() > 20);
}

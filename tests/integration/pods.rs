//! Hand-checked per-container pods (init containers, sidecars, overhead) and named extended
//! resources, through the real engine: placement, the fit filter's reasons, QoS, and the
//! cluster autoscaler picking the only node group that has the resource.

use crate::support::{run, scenario, simulate};
use kubesim::cluster::pod::{PodPhase, QosClass};
use kubesim::{Registry, explain};

const POOLS: &str = r#"
nodePools:
  - {name: accel, count: 2, allocatable: {cpu: "4", memory: 16Gi, example.com/foo: 2}, hourlyPrice: 1}
  - {name: plain, count: 2, allocatable: {cpu: "8", memory: 32Gi}, hourlyPrice: 1}
"#;

/// Five replicas each need one `example.com/foo` (its app container) and run a sidecar;
/// only the two accel nodes have foo (two each), so four run there and the fifth waits.
const ACCEL: &str = r#"
deployments:
  - name: accel
    replicas: 5
    template:
      containers:
        - {name: app, requests: {cpu: 500m, memory: 1Gi, example.com/foo: 1}, limits: {example.com/foo: 1}}
      initContainers:
        - {name: proxy, restartPolicy: Always, requests: {cpu: 100m, memory: 64Mi}}
        - {name: migrate, requests: {cpu: "1", memory: 2Gi}}
      overhead: {cpu: 50m}
"#;

#[test]
fn extended_resource_limits_placement_and_containers_set_the_request() {
    let s = scenario(&format!("name: pods\nduration: 10m\n{POOLS}{ACCEL}"));
    let sim = simulate(&s);
    let mut per_node: Vec<(String, usize)> = Vec::new();
    let mut pending = 0;
    for p in sim.cluster.pods.iter() {
        // Steady state 500m + 100m vs init phase 100m + 1000m: 1100m, plus 50m overhead;
        // memory max(1Gi + 64Mi, 64Mi + 2Gi). No cpu/memory limits: Burstable.
        assert_eq!(p.requests.cpu_milli, 1150);
        assert_eq!(p.requests.memory_bytes, (64 << 20) + (2 << 30));
        assert_eq!(p.qos, QosClass::Burstable);
        match p.node {
            Some(n) => {
                let name = sim.cluster.nodes[n.0 as usize].name.clone();
                match per_node.iter_mut().find(|(x, _)| *x == name) {
                    Some(e) => e.1 += 1,
                    None => per_node.push((name, 1)),
                }
            }
            None => {
                assert_eq!(p.phase, PodPhase::Pending);
                pending += 1;
            }
        }
    }
    per_node.sort();
    assert_eq!(
        per_node,
        vec![("accel-0".to_string(), 2), ("accel-1".to_string(), 2)]
    );
    assert_eq!(pending, 1);
    let e = explain(&s, 1, &Registry::with_builtins(), "accel-4", None).unwrap();
    assert_eq!(e.chosen, None);
    for n in &e.nodes {
        assert!(!n.feasible, "{}", n.node);
        assert!(
            n.reasons
                .iter()
                .any(|r| r.contains("Insufficient example.com/foo")),
            "{}: {:?}",
            n.node,
            n.reasons
        );
    }
}

#[test]
fn guaranteed_containers_and_scoring_defaults() {
    // Two containers with equal requests and limits: Guaranteed. A pod with an unset
    // request beside them would be Burstable.
    let s = scenario(&format!(
        "name: qos\nduration: 1m\n{POOLS}deployments:\n  - name: g\n    replicas: 1\n    template:\n      \
         containers:\n        - {{name: a, requests: {{cpu: 200m, memory: 1Gi}}, limits: {{cpu: 200m, memory: 1Gi}}}}\n        \
         - {{name: b, limits: {{cpu: 300m, memory: 1Gi}}}}\n  - name: b\n    replicas: 1\n    template:\n      \
         containers:\n        - {{name: a, requests: {{cpu: 200m}}}}\n        - {{name: b}}\n"
    ));
    let sim = simulate(&s);
    let by_prefix = |prefix: &str| {
        (0..sim.cluster.pods.len() as u32)
            .map(kubesim::cluster::pod::PodId)
            .find(|&p| sim.cluster.pod_name(p).starts_with(prefix))
            .map(|p| &sim.cluster.pods[p.0 as usize])
            .unwrap()
    };
    let g = by_prefix("g-");
    assert_eq!(g.qos, QosClass::Guaranteed);
    assert_eq!(g.requests.cpu_milli, 500);
    assert_eq!(g.non_zero_requests(), (500, 2 << 30));
    let b = by_prefix("b-");
    assert_eq!(b.qos, QosClass::Burstable);
    // Container a: 200m and an unset memory (200Mi); container b: both unset (100m, 200Mi).
    assert_eq!(b.requests.cpu_milli, 200);
    assert_eq!(b.non_zero_requests(), (300, 400 << 20));
}

#[test]
fn autoscaler_scales_the_group_that_has_the_resource() {
    // Two autoscaled groups, both empty: "big" has more cpu but no foo, "foo" has foo (and
    // the fixed base node has none). The pending pods need foo, so only the foo group can
    // take them.
    let s = scenario(
        r#"
name: ca-foo
duration: 20m
nodePools:
  - {name: base, count: 1, allocatable: {cpu: "2", memory: 4Gi}, hourlyPrice: 0.1}
  - {name: big, count: 0, maxSize: 3, allocatable: {cpu: "16", memory: 64Gi}, hourlyPrice: 0.1}
  - {name: foo, count: 0, maxSize: 3, allocatable: {cpu: "4", memory: 16Gi, example.com/foo: 1}, hourlyPrice: 1}
clusterAutoscaler: {enabled: true, provisioningDelay: 60s}
deployments:
  - name: web
    replicas: 2
    template:
      containers:
        - {name: app, requests: {cpu: "1", memory: 1Gi, example.com/foo: 1}, limits: {example.com/foo: 1}}
"#,
    );
    let r = run(&s);
    let log = r.autoscaler_log.expect("autoscaler enabled");
    let ups: Vec<(&str, u64)> = log
        .iter()
        .filter(|e| e.action == "scale-up")
        .map(|e| (e.group.as_str(), e.count))
        .collect();
    // One foo per node: two pods need two foo nodes.
    assert_eq!(ups, vec![("foo", 2)]);
}

#[test]
fn bad_container_specs_are_errors() {
    let cases = [
        (
            "containers: [{name: a}, {name: a}]",
            "template.containers[1].name",
        ),
        (
            "containers: [{name: a, requests: {example.com/foo: 2}, limits: {example.com/foo: 1}}]",
            "template.containers[0].limits",
        ),
        (
            "initContainers: [{name: a, restartPolicy: OnFailure}]",
            "template.initContainers[0].restartPolicy",
        ),
        ("containers: [{name: a, requests: {cpu: lots}}]", "cpu"),
    ];
    for (template, field) in cases {
        let yaml = format!(
            "name: x\nduration: 1m\n{POOLS}deployments:\n  - name: d\n    replicas: 1\n    template: {{{template}}}\n"
        );
        let e = crate::support::try_scenario(&yaml)
            .and_then(|s| {
                kubesim::scenario::build::build(&s, 1, &Registry::with_builtins()).map(|_| s)
            })
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains(field), "{template}: {e}");
    }
}

#[test]
fn most_allocated_over_a_named_resource_packs_it() {
    // Two nodes with four foo each; MostAllocated over foo alone: after the first pod, the
    // node it took scores higher for every next pod, so all three share one node (a Job's
    // pods have no default topology spread; LeastAllocated over cpu and memory would
    // alternate).
    let s = scenario(
        r#"
name: foo-pack
duration: 5m
nodePools:
  - {name: n, count: 2, allocatable: {cpu: "8", memory: 32Gi, example.com/foo: 4}, hourlyPrice: 1}
scheduler:
  pluginConfig:
    - name: NodeResourcesFit
      args:
        scoringStrategy:
          type: MostAllocated
          resources: [{name: example.com/foo, weight: 1}]
jobs:
  - name: w
    completions: 3
    parallelism: 3
    duration: 1h
    template:
      containers:
        - {name: app, requests: {cpu: 100m, example.com/foo: 1}, limits: {example.com/foo: 1}}
"#,
    );
    let sim = simulate(&s);
    let nodes: Vec<_> = sim.cluster.pods.iter().map(|p| p.node).collect();
    assert_eq!(nodes.len(), 3);
    assert!(
        nodes.iter().all(|n| n.is_some() && *n == nodes[0]),
        "{nodes:?}"
    );
}

#[test]
fn ignored_resources_let_the_filter_pass() {
    // The node has no foo at all; with example.com ignored the scheduler places the pod.
    let yaml = |ignored: &str| {
        format!(
            "name: ign\nduration: 1m\nnodePools:\n  - {{name: n, count: 1, allocatable: {{cpu: \"1\", memory: 1Gi}}, hourlyPrice: 1}}\n\
             scheduler:\n  pluginConfig:\n    - {{name: NodeResourcesFit, args: {{{ignored}}}}}\n\
             deployments:\n  - name: w\n    replicas: 1\n    template: {{requests: {{example.com/foo: 1}}}}\n"
        )
    };
    let placed = |y: String| simulate(&scenario(&y)).cluster.pods[0].node.is_some();
    assert!(!placed(yaml("ignoredResources: []")));
    assert!(placed(yaml("ignoredResourceGroups: [example.com]")));
    assert!(placed(yaml("ignoredResources: [example.com/foo]")));
}

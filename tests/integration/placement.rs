//! Hand-checked placements for inter-pod affinity, anti-affinity, topology spread and
//! `nodeName`.

use crate::support::{run, scenario, shipped, simulate};
use kubesim::cluster::pod::PodPhase;
use kubesim::{Registry, Simulation, explain};

/// (pod name, node name or None) for every pod of the run, in creation order.
fn placements(sim: &Simulation, prefix: &str) -> Vec<(String, Option<String>)> {
    (0..sim.cluster.pods.len() as u32)
        .map(kubesim::cluster::pod::PodId)
        .filter(|&p| sim.cluster.pod_name(p).starts_with(prefix))
        .map(|p| {
            let pod = &sim.cluster.pods[p.0 as usize];
            (
                sim.cluster.pod_name(p),
                pod.node
                    .map(|n| sim.cluster.nodes[n.0 as usize].name.clone()),
            )
        })
        .collect()
}

/// Pods of `prefix` per node pool (a, b, c, ...), counting running pods only.
fn per_pool(sim: &Simulation, prefix: &str) -> Vec<usize> {
    let mut counts = vec![0; sim.cluster.pools.len()];
    for (_, node) in placements(sim, prefix) {
        if let Some(n) = node {
            let id = sim.cluster.nodes.iter().position(|x| x.name == n).unwrap();
            counts[sim.cluster.nodes[id].pool.0 as usize] += 1;
        }
    }
    counts
}

const THREE_ZONES: &str = r#"
nodePools:
  - {name: a, count: 3, allocatable: {cpu: "8", memory: 32Gi}, zone: za, hourlyPrice: 1}
  - {name: b, count: 1, allocatable: {cpu: "8", memory: 32Gi}, zone: zb, hourlyPrice: 1}
  - {name: c, count: 1, allocatable: {cpu: "8", memory: 32Gi}, zone: zc, hourlyPrice: 1}
"#;

#[test]
fn required_anti_affinity_allows_one_pod_per_node() {
    // Five nodes, six replicas that refuse to share a node: five run, the sixth waits with
    // every node failing the anti-affinity filter.
    let s = scenario(&format!(
        "name: anti\nduration: 10m\n{THREE_ZONES}deployments:\n  - name: web\n    replicas: 6\n    \
         template:\n      labels: {{app: web}}\n      requests: {{cpu: 100m}}\n      affinity:\n        \
         podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            \
         - {{labelSelector: {{matchLabels: {{app: web}}}}, topologyKey: kubernetes.io/hostname}}\n"
    ));
    let sim = simulate(&s);
    let placed: Vec<String> = placements(&sim, "web-")
        .into_iter()
        .filter_map(|(_, n)| n)
        .collect();
    let mut unique = placed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((placed.len(), unique.len()), (5, 5));
    let e = explain(&s, 1, &Registry::with_builtins(), "web-5", None).unwrap();
    assert_eq!(e.chosen, None);
    assert!(e.nodes.iter().all(|n| !n.feasible
        && n.reasons == vec!["node(s) didn't match pod anti-affinity rules".to_string()]));
}

#[test]
fn zone_spread_keeps_skew_within_max_skew() {
    // Zone za has three nodes, zb and zc one each. Nine replicas with a zone constraint of
    // maxSkew 1 land 3/3/3 although za has three times the capacity.
    let s = scenario(&format!(
        "name: spread\nduration: 10m\n{THREE_ZONES}deployments:\n  - name: web\n    replicas: 9\n    \
         template:\n      labels: {{app: web}}\n      requests: {{cpu: 100m}}\n      \
         topologySpreadConstraints:\n        - {{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, \
         whenUnsatisfiable: DoNotSchedule, labelSelector: {{matchLabels: {{app: web}}}}}}\n"
    ));
    assert_eq!(per_pool(&simulate(&s), "web-"), vec![3, 3, 3]);
    // With maxSkew 2 and zone zc full (a hog takes its node), zc stays at zero web pods, so
    // the global minimum stays 0 and za/zb take two each; the other five wait.
    let full_c = scenario(&format!(
        "name: spread\nduration: 10m\n{THREE_ZONES}deployments:\n  - name: hog\n    replicas: 1\n    \
         template: {{requests: {{cpu: '8'}}, nodeSelector: {{topology.kubernetes.io/zone: zc}}}}\n  \
         - name: web\n    replicas: 9\n    start: 1s\n    template:\n      labels: {{app: web}}\n      \
         requests: {{cpu: 100m}}\n      topologySpreadConstraints:\n        - {{maxSkew: 2, \
         topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: \
         {{matchLabels: {{app: web}}}}}}\n"
    ));
    let sim = simulate(&full_c);
    assert_eq!(per_pool(&sim, "web-"), vec![2, 2, 0]);
    assert_eq!(sim.cluster.totals.pending_pods, 5);
}

#[test]
fn required_affinity_waits_for_its_target_then_follows_it() {
    // `cache` requires a web pod in its zone. Web (pinned to zone zb) starts at 1 minute; the
    // cache pod is unschedulable until then and is bound the moment web is (queueing hint on
    // pod add), in web's zone.
    let s = scenario(&format!(
        "name: aff\nduration: 10m\n{THREE_ZONES}deployments:\n  - name: cache\n    replicas: 1\n    \
         template:\n      labels: {{app: cache}}\n      affinity:\n        podAffinity:\n          \
         requiredDuringSchedulingIgnoredDuringExecution:\n            - {{labelSelector: \
         {{matchLabels: {{app: web}}}}, topologyKey: topology.kubernetes.io/zone}}\n  - name: web\n    \
         replicas: 1\n    start: 1m\n    template: {{labels: {{app: web}}, nodeSelector: \
         {{topology.kubernetes.io/zone: zb}}}}\n"
    ));
    let sim = simulate(&s);
    assert_eq!(
        placements(&sim, "cache-"),
        vec![("cache-0".to_string(), Some("b-0".to_string()))]
    );
    let cache = &sim.cluster.pods[0];
    assert_eq!(cache.scheduled.as_ms(), 60_000);
    // A pod whose required affinity selects itself may start a series (upstream special case).
    let own = scenario(&format!(
        "name: self\nduration: 1m\n{THREE_ZONES}deployments:\n  - name: db\n    replicas: 3\n    \
         template:\n      labels: {{app: db}}\n      affinity:\n        podAffinity:\n          \
         requiredDuringSchedulingIgnoredDuringExecution:\n            - {{labelSelector: \
         {{matchLabels: {{app: db}}}}, topologyKey: topology.kubernetes.io/zone}}\n"
    ));
    let sim = simulate(&own);
    let pools = per_pool(&sim, "db-");
    assert_eq!(pools.iter().sum::<usize>(), 3);
    assert_eq!(pools.iter().filter(|&&n| n > 0).count(), 1, "{pools:?}");
}

#[test]
fn existing_pods_anti_affinity_repels_newcomers() {
    // A `noisy` pod on a-0 refuses to share its node with `batch` pods: the batch pod, pinned
    // to pool a by a nodeSelector, avoids a-0 although a-0 would score best otherwise.
    let s = scenario(&format!(
        "name: sym\nduration: 1m\n{THREE_ZONES}deployments:\n  - name: noisy\n    replicas: 1\n    \
         template:\n      labels: {{app: noisy}}\n      affinity:\n        podAntiAffinity:\n          \
         requiredDuringSchedulingIgnoredDuringExecution:\n            - {{labelSelector: \
         {{matchLabels: {{app: batch}}}}, topologyKey: kubernetes.io/hostname}}\n  - name: batch\n    \
         replicas: 2\n    start: 1s\n    template: {{labels: {{app: batch}}, nodeSelector: \
         {{topology.kubernetes.io/zone: za}}}}\n"
    ));
    let sim = simulate(&s);
    let noisy = placements(&sim, "noisy-")[0].1.clone().unwrap();
    for (_, node) in placements(&sim, "batch-") {
        assert_ne!(node.unwrap(), noisy);
    }
}

#[test]
fn node_name_binds_directly_and_the_kubelet_rejects_what_does_not_fit() {
    // Two pods pinned to b-0 by nodeName; the second does not fit (8 cpu node, 6 + 6 cpu): the
    // kubelet rejects it at once, and the Deployment retries every 10 s for the 1-minute run:
    // at 0, 10, ..., 60 s = 7 rejections.
    let s = scenario(&format!(
        "name: pinned\nduration: 1m\n{THREE_ZONES}deployments:\n  - name: p\n    replicas: 2\n    \
         template: {{nodeName: b-0, requests: {{cpu: '6'}}}}\n"
    ));
    let sim = simulate(&s);
    let running: Vec<_> = placements(&sim, "p-")
        .into_iter()
        .filter(|(n, _)| {
            let id = (0..sim.cluster.pods.len() as u32)
                .map(kubesim::cluster::pod::PodId)
                .find(|&p| sim.cluster.pod_name(p) == *n)
                .unwrap();
            sim.cluster.pods[id.0 as usize].phase == PodPhase::Running
        })
        .collect();
    assert_eq!(running, vec![("p-0".to_string(), Some("b-0".to_string()))]);
    assert_eq!(sim.metrics.pods_rejected_at_admission, 7);
    assert_eq!(
        sim.metrics.unschedulable_attempts, 0,
        "the scheduler never saw them"
    );
    let bad = crate::support::try_scenario(&format!(
        "name: pinned\nduration: 1m\n{THREE_ZONES}deployments:\n  - name: p\n    replicas: 1\n    \
         template: {{nodeName: z-9}}\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(bad.contains("nodeName") && bad.contains("z-9"), "{bad}");
}

#[test]
fn zone_spread_scenario_variants_tell_the_expected_story() {
    // The shipped scenario: with spreading scores the HA rules change nothing; with packing
    // they cost busy nodes.
    let s = shipped("zone-spread.yaml");
    let cost = |name: &str| {
        let v = s.spec.variants.iter().find(|v| v.name == name).unwrap();
        run(&s.variant(v).unwrap()).summary.nodes_in_use_mean
    };
    let (ha, free, ha_packed, packed) =
        (cost("ha"), cost("free"), cost("ha-packed"), cost("packed"));
    assert_eq!(ha, free);
    assert!(
        packed < ha_packed && ha_packed < ha,
        "{packed} {ha_packed} {ha}"
    );
}

//! `nodes:`: individually named nodes (zone and instance type from their labels, catalog
//! price, cordoned and tainted nodes, faults by name and zone).

use crate::support::{run, scenario, simulate, try_scenario};
use kubesim::Simulation;

const NODES: &str = r#"
name: named-nodes
duration: 1h
nodes:
  - name: ip-10-0-0-1.ec2.internal
    allocatable: {cpu: 3920m, memory: 14Gi, pods: "110"}
    labels: {topology.kubernetes.io/zone: us-east-1a, node.kubernetes.io/instance-type: m5.xlarge,
             kubernetes.io/hostname: ip-10-0-0-1.ec2.internal}
  - name: ip-10-0-0-2.ec2.internal
    allocatable: {cpu: 3920m, memory: 14Gi}
    labels: {topology.kubernetes.io/zone: us-east-1b, node.kubernetes.io/instance-type: m5.xlarge}
    unschedulable: true
  - name: gpu-1
    allocatable: {cpu: "8", memory: 32Gi}
    labels: {node.kubernetes.io/instance-type: g-custom}
    taints: [{key: gpu, value: "true", effect: NoSchedule}]
  - name: cheap-1
    allocatable: {cpu: "2", memory: 4Gi}
    hourlyPrice: 0.05
"#;

fn node_of(sim: &Simulation, pod: u32) -> Option<String> {
    sim.cluster.pods[pod as usize]
        .node
        .map(|n| sim.cluster.nodes[n.0 as usize].name.clone())
}

#[test]
fn named_nodes_get_their_names_zones_prices_and_cordons() {
    // Six pods of 1 cpu: the cordoned node and the tainted one take none; the m5.xlarge
    // (3.92 cpu) takes 3 and cheap-1 (2 cpu) 2; the sixth stays pending.
    let s = scenario(&format!(
        "{NODES}deployments:\n  - {{name: web, replicas: 6, template: {{requests: {{cpu: '1', memory: 1Gi}}}}}}\n"
    ));
    let sim = simulate(&s);
    let names: Vec<&str> = sim.cluster.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ip-10-0-0-1.ec2.internal",
            "ip-10-0-0-2.ec2.internal",
            "gpu-1",
            "cheap-1"
        ]
    );
    let mut on: Vec<Option<String>> = (0..6).map(|p| node_of(&sim, p)).collect();
    on.sort();
    let a = Some("ip-10-0-0-1.ec2.internal".to_owned());
    let c = Some("cheap-1".to_owned());
    assert_eq!(on, vec![None, c.clone(), c, a.clone(), a.clone(), a]);
    let pool = |n: usize| &sim.cluster.pools[sim.cluster.nodes[n].pool.0 as usize];
    assert_eq!(
        (pool(0).zone.as_str(), pool(1).zone.as_str()),
        ("us-east-1a", "us-east-1b")
    );
    // No zone label: the default zone, and no label added.
    assert_eq!(pool(2).zone, "zone-a");
    assert!(sim.cluster.nodes[1].unschedulable);
    // Prices: the catalog's m5.xlarge on-demand price; an unknown type without hourlyPrice
    // costs 0.
    assert_eq!(
        (
            pool(0).hourly_price_usd,
            pool(2).hourly_price_usd,
            pool(3).hourly_price_usd
        ),
        (0.192, 0.0, 0.05)
    );
    assert_eq!(pool(0).instance_type, "m5.xlarge");
    // One pool per distinct node shape and labels: four here.
    assert_eq!(sim.cluster.pools.len(), 4);
    // One hour of all four: 0.192 + 0.192 + 0 + 0.05.
    let r = run(&s);
    assert!(
        (r.summary.cost_usd - 0.434).abs() < 1e-9,
        "{}",
        r.summary.cost_usd
    );
    assert_eq!(r.summary.pods_pending_at_end, 1);
}

#[test]
fn identical_nodes_share_a_pool_and_faults_find_them() {
    // Two identical nodes share one pool; a zone outage and a fault by node name resolve.
    let s = scenario(
        "name: n\nduration: 1h\nnodes:\n\
         - {name: x1, allocatable: {cpu: '4', memory: 8Gi}, labels: {topology.kubernetes.io/zone: z1, kubernetes.io/hostname: x1}}\n\
         - {name: x2, allocatable: {cpu: '4', memory: 8Gi}, labels: {topology.kubernetes.io/zone: z1, kubernetes.io/hostname: x2}}\n\
         - {name: y1, allocatable: {cpu: '4', memory: 8Gi}, labels: {topology.kubernetes.io/zone: z2}}\n\
         faults:\n  - {at: 10m, zone: z1, duration: 10m}\n  - {at: 30m, node: y1, duration: 5m}\n",
    );
    let sim = simulate(&s);
    assert_eq!(sim.cluster.nodes[0].pool, sim.cluster.nodes[1].pool);
    assert_ne!(sim.cluster.nodes[0].pool, sim.cluster.nodes[2].pool);
    let r = run(&s);
    assert_eq!(r.summary.node_failures, 3);
}

#[test]
fn node_names_are_unique_across_pools_and_nodes() {
    let e = try_scenario(
        "name: n\nduration: 1h\nnodePools:\n  - {name: p, count: 2, instanceType: m5.large}\n\
         nodes:\n  - {name: p-1, allocatable: {cpu: '4', memory: 8Gi}}\n",
    )
    .and_then(|s| kubesim::scenario::build::build(&s, 1, &kubesim::Registry::with_builtins()))
    .map(|_| ())
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("nodes[0].name") && e.contains("duplicate node name \"p-1\""),
        "{e}"
    );
    let e = try_scenario("name: n\nduration: 1h\nnodes:\n  - {name: a, allocatable: {cpu: '4'}}\n")
        .and_then(|s| kubesim::scenario::build::build(&s, 1, &kubesim::Registry::with_builtins()))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("nodes[0].allocatable"), "{e}");
}

#[test]
fn pods_may_name_a_named_node() {
    let s = scenario(&format!(
        "{NODES}deployments:\n  - {{name: pin, replicas: 1, template: {{nodeName: gpu-1, requests: {{cpu: '1'}}}}}}\n"
    ));
    let sim = simulate(&s);
    assert_eq!(node_of(&sim, 0).as_deref(), Some("gpu-1"));
}

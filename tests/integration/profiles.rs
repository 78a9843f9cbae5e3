//! Several scheduler profiles: pods pick theirs by `schedulerName`; profiles from an inline
//! list or a KubeSchedulerConfiguration file; hand-checked placements.

use crate::support::{run, scenario, shipped, simulate, temp_dir, try_scenario, write};
use kubesim::Simulation;
use kubesim::cluster::pod::{PodId, PodPhase};
use kubesim::scenario::scheduler_config::ProfileSpec;

/// Node names of the pods whose name starts with `prefix`, in creation order (`None`: not
/// bound).
fn nodes_of(sim: &Simulation, prefix: &str) -> Vec<Option<String>> {
    (0..sim.cluster.pods.len() as u32)
        .map(PodId)
        .filter(|&p| sim.cluster.pod_name(p).starts_with(prefix))
        .map(|p| {
            sim.cluster.pods[p.0 as usize]
                .node
                .map(|n| sim.cluster.nodes[n.0 as usize].name.clone())
        })
        .collect()
}

fn distinct(nodes: &[Option<String>]) -> usize {
    let mut v: Vec<&String> = nodes.iter().flatten().collect();
    v.sort();
    v.dedup();
    v.len()
}

/// Three empty 4-cpu nodes; `spread` (3 × 1 cpu, default profile) at t=0, then `pack`
/// (3 × 1 cpu, profile `bin-packing`) at 10 s. `scheduler` is the scheduler block.
fn two_profiles(scheduler: &str) -> String {
    format!(
        r#"
name: profiles
duration: 2m
nodePools:
  - {{name: n, count: 3, allocatable: {{cpu: "4", memory: 16Gi}}, hourlyPrice: 1}}
deployments:
  - name: spread
    replicas: 3
    template: {{requests: {{cpu: "1", memory: 1Gi}}, labels: {{app: spread}}}}
  - name: pack
    replicas: 3
    start: 10s
    template: {{requests: {{cpu: "1", memory: 1Gi}}, labels: {{app: pack}}, schedulerName: bin-packing}}
{scheduler}"#
    )
}

const PROFILES: &str = r#"
  profiles:
    - schedulerName: default-scheduler
    - schedulerName: bin-packing
      plugins:
        score:
          disabled: [{name: '*'}]
          enabled: [{name: NodeResourcesFit, weight: 1}]
      pluginConfig:
        - name: NodeResourcesFit
          args:
            scoringStrategy:
              type: MostAllocated
              resources: [{name: cpu, weight: 1}, {name: memory, weight: 1}]
"#;

#[test]
fn each_pod_is_placed_by_its_profile() {
    // spread (default: LeastAllocated, BalancedAllocation, hostname spread): one pod per node,
    // each new pod going to an emptier node. At 10 s every node holds 1 cpu of 4; pack-0 ties
    // and lands on a random node, then MostAllocated sends pack-1 and pack-2 to that fuller
    // node (2/4, then 3/4 used, against 1/4 elsewhere) until it is full (4/4).
    let s = scenario(&two_profiles(&format!("scheduler:{PROFILES}")));
    let sim = simulate(&s);
    let spread = nodes_of(&sim, "spread-");
    let pack = nodes_of(&sim, "pack-");
    assert_eq!(spread.len(), 3);
    assert!(spread.iter().all(Option::is_some), "{spread:?}");
    assert_eq!(distinct(&spread), 3, "{spread:?}");
    assert!(pack.iter().all(Option::is_some), "{pack:?}");
    assert_eq!(distinct(&pack), 1, "{pack:?}");
    // Control: the same pods under one default profile spread out as well.
    let s = scenario(&two_profiles("").replace(", schedulerName: bin-packing", ""));
    let sim = simulate(&s);
    assert_eq!(distinct(&nodes_of(&sim, "pack-")), 3);
}

#[test]
fn profiles_from_a_kube_scheduler_configuration_file() {
    let dir = temp_dir("profiles-file");
    let body = PROFILES
        .lines()
        .skip(2)
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    write(
        &dir,
        "sched.yaml",
        &format!(
            "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n\
             profiles:\n{body}\n"
        ),
    );
    let path = write(
        &dir,
        "scenario.yaml",
        &two_profiles("scheduler: {configFile: sched.yaml}\n"),
    );
    let s = kubesim::Scenario::load(&path, &[]).unwrap();
    assert_eq!(s.spec.scheduler.profiles.len(), 2);
    let sim = simulate(&s);
    assert_eq!(distinct(&nodes_of(&sim, "spread-")), 3);
    assert_eq!(distinct(&nodes_of(&sim, "pack-")), 1);
    assert_eq!(sim.scheduler.name(), "default-scheduler+bin-packing");
    // configFile excludes the inline fields.
    let path = write(
        &dir,
        "both.yaml",
        &two_profiles("scheduler: {configFile: sched.yaml, percentageOfNodesToScore: 50}\n"),
    );
    let e = kubesim::Scenario::load(&path, &[]).unwrap_err().to_string();
    assert!(
        e.contains("scheduler.configFile") && e.contains("excludes"),
        "{e}"
    );
    // Errors inside the file name it and the line.
    write(
        &dir,
        "sched.yaml",
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n\
         profiles:\n  - schedulerName: x\n    plugins:\n      filter:\n        enabled: [{name: Gang}]\n",
    );
    let path = write(
        &dir,
        "scenario.yaml",
        &two_profiles("scheduler: {configFile: sched.yaml}\n"),
    );
    let e = kubesim::Scenario::load(&path, &[]).unwrap_err().to_string();
    assert!(e.contains("sched.yaml:7:"), "{e}");
    assert!(e.contains("unknown plugin \"Gang\""), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_pod_naming_no_profile_stays_pending_unqueued() {
    // `pack` names bin-packing, which this block does not have: no scheduler picks its pods
    // up. They stay Pending (pending metrics count them), are never attempted, and a warning
    // says so at load time.
    let s = scenario(&two_profiles(""));
    let warnings = s.scheduler_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("deployments[1].template.schedulerName")
            && warnings[0].contains("\"bin-packing\""),
        "{warnings:?}"
    );
    let sim = simulate(&s);
    assert!(nodes_of(&sim, "pack-").iter().all(Option::is_none));
    assert_eq!(distinct(&nodes_of(&sim, "spread-")), 3);
    let pending: Vec<PodId> = (0..sim.cluster.pods.len() as u32)
        .map(PodId)
        .filter(|&p| sim.cluster.pod_name(p).starts_with("pack-"))
        .collect();
    assert_eq!(pending.len(), 3);
    for p in pending {
        let pod = &sim.cluster.pods[p.0 as usize];
        assert_eq!(pod.phase, PodPhase::Pending);
        assert_eq!(pod.failed_attempts, 0, "never attempted");
    }
    let m = run(&s).summary;
    assert_eq!(m.pods_pending_at_end, 3);
    assert_eq!(m.unschedulable_attempts, 0);
}

/// One 4-cpu node full of four low-priority pods; a high-priority 2-cpu pod of profile
/// `profile` arrives at 60 s.
fn preemption(profile: &str) -> String {
    format!(
        r#"
name: preempt
duration: 5m
priorityClasses:
  - {{name: low, value: 0}}
  - {{name: high, value: 1000}}
nodePools:
  - {{name: n, count: 1, allocatable: {{cpu: "4", memory: 16Gi}}, hourlyPrice: 1}}
deployments:
  - name: batch
    replicas: 4
    template: {{requests: {{cpu: "1", memory: 1Gi}}, priorityClassName: low}}
  - name: web
    replicas: 1
    start: 60s
    template: {{requests: {{cpu: "2", memory: 1Gi}}, priorityClassName: high, schedulerName: {profile}}}
scheduler:
  profiles:
    - schedulerName: default-scheduler
    - schedulerName: no-preemption
      plugins:
        postFilter: {{disabled: [{{name: DefaultPreemption}}]}}
"#
    )
}

#[test]
fn preemption_follows_the_pods_profile() {
    // default-scheduler preempts two batch pods (see preemption.rs: web binds at 90 s, after
    // the victims' 30 s grace); no-preemption has no PostFilter: web waits.
    let sim = simulate(&scenario(&preemption("default-scheduler")));
    assert_eq!(nodes_of(&sim, "web-"), [Some("n-0".to_owned())]);
    let m = run(&scenario(&preemption("default-scheduler"))).summary;
    assert_eq!(m.preemptions, 1);
    let s = scenario(&preemption("no-preemption"));
    let sim = simulate(&s);
    assert_eq!(nodes_of(&sim, "web-"), [None]);
    assert_eq!(run(&s).summary.preemptions, 0);
}

#[test]
fn one_default_profile_runs_exactly_like_the_legacy_block() {
    for name in ["zone-spread.yaml", "priority-preemption.yaml"] {
        let legacy = shipped(name);
        let mut profiled = legacy.clone();
        profiled.spec.scheduler.profiles = vec![ProfileSpec::default()];
        let (a, b) = (simulate(&legacy), simulate(&profiled));
        assert_eq!(a.cluster.pods.len(), b.cluster.pods.len(), "{name}");
        for i in 0..a.cluster.pods.len() {
            let (p, q) = (&a.cluster.pods[i], &b.cluster.pods[i]);
            assert_eq!(
                (p.node, p.scheduled),
                (q.node, q.scheduled),
                "{name} pod {i}"
            );
        }
    }
}

#[test]
fn inline_profile_errors() {
    let cases = [
        (
            "scheduler:\n  name: best-fit\n  profiles: [{schedulerName: a}]\n",
            "scheduler.name",
        ),
        (
            "scheduler:\n  profiles: [{schedulerName: a}, {schedulerName: a}]\n",
            "duplicate scheduler name",
        ),
        (
            "scheduler:\n  profiles: [{plugins: {permit: {enabled: [{name: Coscheduling}]}}}]\n",
            "Coscheduling",
        ),
        (
            "variants:\n  - name: v\n    scheduler: {profiles: [{plugins: {score: {enabled: [{name: Nope}]}}}]}\n",
            "Nope",
        ),
    ];
    for (block, want) in cases {
        let e = try_scenario(&two_profiles(block)).unwrap_err().to_string();
        assert!(e.contains(want), "{block}: {e}");
    }
}

#[test]
fn added_affinity_applies_to_every_pod_of_the_profile() {
    // NodeAffinityArgs.addedAffinity: profile `zone-b` requires zone zb and prefers pool c's
    // label; its pods land only on the zb nodes, preferring c (both in zb) while it has room.
    // Pods of the default profile use all zones.
    let s = scenario(
        r#"
name: added
duration: 2m
nodePools:
  - {name: a, count: 2, allocatable: {cpu: "4", memory: 16Gi}, zone: za, hourlyPrice: 1}
  - {name: b, count: 1, allocatable: {cpu: "4", memory: 16Gi}, zone: zb, hourlyPrice: 1}
  - {name: c, count: 1, allocatable: {cpu: "4", memory: 16Gi}, zone: zb, hourlyPrice: 1, labels: {disk: ssd}}
deployments:
  - name: any
    replicas: 4
    template: {requests: {cpu: "1", memory: 1Gi}, labels: {app: any}}
  - name: pinned
    replicas: 5
    start: 10s
    template: {requests: {cpu: "1", memory: 1Gi}, labels: {app: pinned}, schedulerName: zone-b}
scheduler:
  profiles:
    - schedulerName: default-scheduler
    - schedulerName: zone-b
      plugins:
        score:
          disabled: [{name: '*'}]
          enabled: [{name: NodeAffinity, weight: 10}]
      pluginConfig:
        - name: NodeAffinity
          args:
            addedAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                  - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [zb]}]
              preferredDuringSchedulingIgnoredDuringExecution:
                - {weight: 5, preference: {matchExpressions: [{key: disk, operator: In, values: [ssd]}]}}
"#,
    );
    let sim = simulate(&s);
    // `any`: one pod per node (LeastAllocated), so c-0 holds 1 cpu and b-0 1 cpu at 10 s.
    assert_eq!(distinct(&nodes_of(&sim, "any-")), 4);
    // pinned: c-0 scores 100, b-0 0: three pods fill c-0 (4 cpu), the other two go to b-0.
    let pinned = nodes_of(&sim, "pinned-");
    let on = |n: &str| pinned.iter().filter(|x| x.as_deref() == Some(n)).count();
    assert_eq!((on("c-0"), on("b-0")), (3, 2), "{pinned:?}");
}

#[test]
fn a_variant_runs_its_own_configuration_file() {
    // The scenario's own block has no bin-packing profile (pack pods stay Pending); the
    // variant's configFile brings it.
    let dir = temp_dir("profiles-variant");
    let body = PROFILES
        .lines()
        .skip(2)
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    write(
        &dir,
        "sched.yaml",
        &format!(
            "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n\
             profiles:\n{body}\n"
        ),
    );
    let path = write(
        &dir,
        "scenario.yaml",
        &two_profiles("variants:\n  - {name: packed, scheduler: {configFile: sched.yaml}}\n"),
    );
    let s = kubesim::Scenario::load(&path, &[]).unwrap();
    assert!(nodes_of(&simulate(&s), "pack-").iter().all(Option::is_none));
    let v = s.variant(&s.spec.variants[0]).unwrap();
    let sim = simulate(&v);
    let pack = nodes_of(&sim, "pack-");
    assert!(pack.iter().all(Option::is_some), "{pack:?}");
    assert_eq!(distinct(&pack), 1, "{pack:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

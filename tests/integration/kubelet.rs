//! The kubelet model and rolling updates end to end, with hand-checked timelines: start-up
//! latency to Ready, CrashLoopBackOff, OOM kills of a leak, lost batch work, node-pressure
//! eviction order and timing, and a good and a bad rollout.

use crate::support::{run, scenario, simulate, temp_dir, write};
use kubesim::Simulation;
use kubesim::cluster::pod::{DisruptionReason, Pod, PodId, PodPhase};

fn pod<'a>(sim: &'a Simulation, name: &str) -> &'a Pod {
    let i = (0..sim.cluster.pods.len())
        .find(|&i| sim.cluster.pod_name(PodId(i as u32)) == name)
        .unwrap_or_else(|| panic!("no pod {name}"));
    &sim.cluster.pods[i]
}

const ONE_NODE: &str = r#"
nodePools:
  - {name: n, count: 1, allocatable: {cpu: "8", memory: 16Gi}, hourlyPrice: 1}
"#;

#[test]
fn start_latency_then_ready_at_the_next_probe() {
    // Bound at 0; the container runs from 7 s (image pull); the application answers from
    // 7 + 12 = 19 s; probes tick every 10 s from the bind: Ready at 20 s.
    let yaml = |period: &str| {
        format!(
            "name: ready\nduration: 1m\n{ONE_NODE}deployments:\n  - name: web\n    replicas: 1\n    \
             template:\n      requests: {{cpu: 100m, memory: 100Mi}}\n      startup: {{imagePull: 7s, \
             readinessDelay: 12s{period}}}\n"
        )
    };
    let s = scenario(&yaml(""));
    let sim = simulate(&s);
    let web = pod(&sim, "web-0");
    assert_eq!(web.scheduled.as_ms(), 0);
    assert_eq!(web.ready_since.as_ms(), 20_000);
    let summary = run(&s).summary;
    assert_eq!(summary.time_to_ready_mean_s, 20.0);
    // Desired 1, ready from 20 s of 60 s.
    assert!((summary.ready_replicas_ratio - 40.0 / 60.0).abs() < 1e-12);
    // Without a probe period: Ready exactly when the delay ends.
    let sim = simulate(&scenario(&yaml(", probePeriod: 0s")));
    assert_eq!(pod(&sim, "web-0").ready_since.as_ms(), 19_000);
    // Without a startup block: Ready at bind, as before the kubelet model.
    let plain = format!(
        "name: ready\nduration: 1m\n{ONE_NODE}deployments:\n  - name: web\n    replicas: 1\n    \
         template: {{requests: {{cpu: 100m, memory: 100Mi}}}}\n"
    );
    let summary = run(&scenario(&plain)).summary;
    assert_eq!(summary.time_to_ready_mean_s, 0.0);
    assert_eq!(summary.ready_replicas_ratio, 1.0);
    assert_eq!(summary.all_replicas_ready_ratio, 1.0);
}

#[test]
fn crash_loop_backoff_timeline() {
    // The container starts at bind (0) and crashes 1 s after every start. Restarts at 1 s
    // (immediate: first crash), 12 s (crash at 2, wait 10), 33 (13 + 20), 74 (34 + 40),
    // 155 (75 + 80), 316 (156 + 160), 617 (317 + 300); crashes at 1, 2, 13, 34, 75, 156, 317,
    // 618. At 10 min: 7 crashes, 6 restarts; the pod waits from 317 s to 617 s.
    let s = scenario(&format!(
        "name: crashloop\nduration: 10m\n{ONE_NODE}deployments:\n  - name: web\n    replicas: 1\n    \
         template:\n      requests: {{cpu: 100m, memory: 100Mi}}\n      crash: {{after: 1s}}\n"
    ));
    let summary = run(&s).summary;
    assert_eq!(summary.container_crashes, 7);
    assert_eq!(summary.restarts, 6);
    // Waits 0 + 10 + 20 + 40 + 80 + 160 done, and 600 − 317 = 283 s of the last one.
    assert_eq!(summary.crash_loop_backoff_s, 310.0 + 283.0);
    let sim = simulate(&s);
    let web = pod(&sim, "web-0");
    assert_eq!(web.restarts, 6);
    assert_eq!(web.phase, PodPhase::Running);
    // Ready at bind (the first probe runs at once) until the first crash at 1 s; after
    // that each run ends before the next probe tick, so it stays not Ready since 1 s.
    assert_eq!(web.ready_since, kubesim::SimTime::NEVER);
    assert_eq!(web.not_ready_since.as_ms(), 1_000);
    assert_eq!(summary.pods_created, 1);
}

#[test]
fn leak_is_oom_killed_at_the_exact_time_and_restarts_in_place() {
    // 100 Mi growing by 50 Mi/h under a 200 Mi limit: exceeds it 2 h + 1 ms after each start;
    // each run is longer than 10 min, so each restart is immediate. In 7 h: OOM kills at
    // 2 h + 1 ms, 4 h + 2 ms, 6 h + 3 ms.
    let s = scenario(&format!(
        "name: leak\nduration: 7h\nsampleInterval: 1h\n{ONE_NODE}deployments:\n  - name: api\n    \
         replicas: 1\n    template:\n      requests: {{cpu: 100m, memory: 100Mi}}\n      \
         limits: {{memory: 200Mi}}\n      usage: {{memory: 100Mi, memoryLeakPerHour: 50Mi}}\n"
    ));
    let result = run(&s);
    assert_eq!(result.summary.oom_kills, 3);
    assert_eq!(result.summary.restarts, 3);
    assert_eq!(result.summary.container_crashes, 0);
    assert_eq!(result.summary.crash_loop_backoff_s, 0.0);
    // The time series sees the leak: at 1 h, 100 + 50 Mi of 16 Gi.
    let at_1h = result.samples.iter().find(|x| x.time_s == 3600.0).unwrap();
    assert!((at_1h.memory_used_ratio - 150.0 / (16.0 * 1024.0)).abs() < 1e-9);
    // The summary integrates it exactly: over 7 h the memory is 100 Mi plus a sawtooth
    // (three full 2 h ramps to 100 Mi and one 1 h ramp to 50 Mi, less the few bytes lost at
    // each restart), so ∫ ≈ 100·7 + 3·(2·100/2) + 1·50/2 = 1025 Mi·h.
    let expected = 1025.0 / (7.0 * 16.0 * 1024.0);
    assert!((result.summary.memory_used_ratio - expected).abs() < 1e-6);
    let sim = simulate(&s);
    assert_eq!(pod(&sim, "api-0").restarts, 3);
}

#[test]
fn job_pods_lose_their_work_on_a_crash() {
    // A 1 h Job pod crashes 40 min after each start. OnFailure (the default): it restarts in
    // place at 40 and 80 min (both immediate: ran > 10 min); 80 min of work lost by 110 min.
    // Never: the pod fails and the Job creates a new one each time.
    let yaml = |policy: &str| {
        format!(
            "name: lost\nduration: 110m\n{ONE_NODE}jobs:\n  - name: etl\n    completions: 1\n    \
             duration: 1h\n    template:\n      requests: {{cpu: 100m, memory: 100Mi}}\n      \
             crash: {{after: 40m}}\n{policy}"
        )
    };
    let on_failure = run(&scenario(&yaml(""))).summary;
    assert_eq!(on_failure.restarts, 2);
    assert_eq!(on_failure.lost_work_s, 4800.0);
    assert_eq!(on_failure.pods_created, 1);
    assert_eq!(on_failure.pods_succeeded, 0);
    let never = run(&scenario(&yaml("      restartPolicy: Never\n"))).summary;
    assert_eq!(never.restarts, 0);
    assert_eq!(never.container_crashes, 2);
    assert_eq!(never.lost_work_s, 4800.0);
    assert_eq!(never.pods_created, 3);
    // Without crashes the 1 h pod succeeds.
    let ok = run(&scenario(
        &yaml("").replace("      crash: {after: 40m}\n", ""),
    ))
    .summary;
    assert_eq!(ok.pods_succeeded, 1);
    assert_eq!(ok.lost_work_s, 0.0);
}

#[test]
fn node_pressure_evicts_in_rank_order_every_two_seconds() {
    // One node with 1000 Mi allocatable; five bare pods from a trace (no controller replaces
    // them) arrive at 0 in this order; the last one takes the usage from 1000 Mi (not above
    // allocatable: no pressure) to 1360 Mi:
    //   p0: request 300 Mi, uses 300 (within), priority 0
    //   p1: request 100 Mi, uses 350 (+250), priority 10
    //   p2: request 100 Mi, uses 150 (+50), priority 0
    //   p3: BestEffort, uses 200 (+200), priority 0
    //   p4: request 400 Mi, uses 360 (−40), priority −5
    // Checks at 0, then 2 s after each eviction: p3 (exceeds, priority 0, larger overshoot
    // than p2) at 0 s; p2 (priority 0 before p1's 10) at 2 s; p1 at 4 s (1010 Mi left); at 6 s
    // 660 Mi: no more. p4, the lowest priority, stays: it is within its request. Each is
    // killed 1 s after its eviction. The pressure condition clears at the first check 5 min
    // after it was last met: 4 s + 300 s = 304 s, on the grid from 6 s: 306 s.
    let dir = temp_dir("evict");
    let trace = write(
        &dir,
        "pods.csv",
        "arrival_ms,memory_request,memory_usage,priority\n\
         0,300Mi,300Mi,0\n0,100Mi,350Mi,10\n0,100Mi,150Mi,0\n0,,200Mi,0\n0,400Mi,360Mi,-5\n",
    );
    let yaml = |duration: &str| {
        format!(
            "name: evict\nduration: {duration}\nnodePools:\n  - {{name: n, count: 1, allocatable: \
             {{cpu: '4', memory: 1000Mi}}, hourlyPrice: 1}}\ntraces:\n  - {{name: p, format: kubesim, \
             path: {}}}\n",
            trace.display()
        )
    };
    let sim = simulate(&scenario(&yaml("10m")));
    let finished = |name: &str| {
        let p = pod(&sim, name);
        (p.phase, p.finished.as_ms())
    };
    assert_eq!(finished("p-3"), (PodPhase::Failed, 1_000));
    assert_eq!(finished("p-2"), (PodPhase::Failed, 3_000));
    assert_eq!(finished("p-1"), (PodPhase::Failed, 5_000));
    assert_eq!(
        pod(&sim, "p-1").disruption,
        Some(DisruptionReason::TerminationByKubelet)
    );
    assert_eq!(pod(&sim, "p-0").disruption, None);
    assert_eq!(pod(&sim, "p-0").phase, PodPhase::Running);
    assert_eq!(pod(&sim, "p-4").phase, PodPhase::Running);
    assert!(!sim.cluster.nodes[0].memory_pressure);
    let summary = run(&scenario(&yaml("10m"))).summary;
    assert_eq!(summary.node_pressure_evictions, 3);
    // The condition (and its NoSchedule taint) is still set at 305 s, gone at 306 s.
    let sim = simulate(&scenario(&yaml("305s")));
    assert!(sim.cluster.nodes[0].memory_pressure);
    let sim = simulate(&scenario(&yaml("306s")));
    assert!(!sim.cluster.nodes[0].memory_pressure);
}

#[test]
fn memory_pressure_taint_keeps_replacements_off_the_node() {
    // Two nodes; a leaking pod without a limit fills node A (eviction when its 512 Mi grow
    // past the 1 Gi left). Its replacement cannot go back to the tainted node A while the
    // condition holds, so it lands on node B.
    let s = scenario(
        "name: taint\nduration: 2h\nnodePools:\n  - {name: n, count: 2, allocatable: {cpu: '4', \
         memory: 2Gi}, hourlyPrice: 1}\ndeployments:\n  - name: fill\n    replicas: 2\n    \
         template: {requests: {cpu: '1', memory: 1Gi}}\n  - name: leak\n    replicas: 1\n    \
         start: 1m\n    template:\n      requests: {cpu: 100m, memory: 256Mi}\n      \
         usage: {memory: 512Mi, memoryLeakPerHour: 1Gi}\n",
    );
    let sim = simulate(&s);
    let first = pod(&sim, "leak-0");
    let second = pod(&sim, "leak-1");
    assert_eq!(first.phase, PodPhase::Failed);
    assert_ne!(
        first.node, second.node,
        "the replacement avoids the tainted node"
    );
    // 1 Gi fill + 512 Mi exceed 2 Gi once the leak passes 512 Mi: 30 min after its start at
    // 60 s (+1 ms), checked at the next 10 s tick: 31 min 10 s; killed 1 s later.
    assert_eq!(first.finished.as_ms(), 31 * 60_000 + 10_000 + 1_000);
    assert_eq!(second.created.as_ms(), first.finished.as_ms());
}

/// A 4-replica web Deployment whose pods start after 5 s and are Ready 10 s later (probes
/// every 10 s: Ready 20 s after bind), rolled out at 100 s to `version`.
fn rollout_yaml(version: &str, duration: &str) -> String {
    format!(
        "name: roll\nduration: {duration}\n{ONE_NODE}deployments:\n  - name: web\n    replicas: 4\n    \
         template:\n      requests: {{cpu: 100m, memory: 100Mi}}\n      startup: {{imagePull: 5s, \
         readinessDelay: 10s}}\n    rollouts:\n      - at: 100s\n        newVersion: {version}\n"
    )
}

#[test]
fn good_rollout_timeline() {
    // 4 replicas: surge 1, unavailable 1. At 100 s: new 1 (5 pods), old down to 3 (4 available
    // > 3), new 2; both Ready at 120 s: old down to 1, new 4; Ready at 140 s: old 0. Complete
    // at 140 s; never fewer than 3 Ready.
    let s = scenario(&rollout_yaml(
        "{startup: {imagePull: 5s, readinessDelay: 12s}}",
        "10m",
    ));
    let result = run(&s);
    assert_eq!(result.summary.rollouts, 1);
    assert_eq!(result.summary.rollouts_complete, 1);
    assert_eq!(result.rollouts.len(), 1);
    let row = &result.rollouts[0];
    assert_eq!(row.outcome, "complete");
    assert_eq!(row.start_s, 100.0);
    assert_eq!(row.end_s, Some(140.0));
    assert_eq!((row.max_surge, row.max_unavailable), (1, 1));
    assert_eq!(row.updated_replicas, Some(4));
    assert_eq!(row.ready_replicas, Some(4));
    assert_eq!(row.old_replicas, Some(0));
    // 8 pods: 4 old, 4 new. Ready replica-time: 4 from 20 s except 3 from 100 to 140 s
    // (one old pod down at once, the first new pods Ready at 120 s replace two more).
    assert_eq!(result.summary.pods_created, 8);
    let sim = simulate(&s);
    assert_eq!(sim.deployments[0].live, 4);
    assert!(sim.deployments[0].old_sets.is_empty());
}

#[test]
fn bad_rollout_hits_the_progress_deadline() {
    // The new version crashes 5 s after it starts, before it is ever Ready. At 100 s the new
    // set reaches 2 and the old one 3 (minAvailable 3), then nothing moves: the progress
    // deadline (600 s from 100 s) passes and the check 1 s later, at 701 s, reports failure.
    // The rollout stays partially rolled out: 3 old Ready, 2 new crash-looping.
    let s = scenario(&rollout_yaml("{crash: {after: 5s}}", "15m"));
    let result = run(&s);
    assert_eq!(result.summary.rollouts_failed, 1);
    let row = &result.rollouts[0];
    assert_eq!(row.outcome, "failed");
    assert_eq!(row.end_s, Some(701.0));
    assert_eq!(row.updated_replicas, Some(2));
    assert_eq!(row.ready_replicas, Some(3));
    assert_eq!(row.old_replicas, Some(3));
    // Each new pod: start 105, crash 110, restart at once, crash 115, then waits 10, 20, 40,
    // 80, 160, 300 s: restarts at 110, 125, 150, 195, 280, 445, 750 (crashes 5 s after each).
    // By 900 s: 7 restarts and 8 crashes per pod.
    assert_eq!(result.summary.restarts, 14);
    assert_eq!(result.summary.container_crashes, 16);
    // A shorter deadline fails sooner.
    let short = format!(
        "{}    strategy: {{progressDeadlineSeconds: 60}}\n",
        rollout_yaml("{crash: {after: 5s}}", "15m")
    );
    let result = run(&scenario(&short));
    assert_eq!(result.rollouts[0].end_s, Some(161.0));
}

#[test]
fn bad_kubelet_and_rollout_fields_are_reported() {
    let error = |template: &str, extra: &str| {
        let yaml = format!(
            "name: bad\nduration: 1h\n{ONE_NODE}deployments:\n  - name: web\n    replicas: 2\n    \
             template:\n      requests: {{cpu: 100m}}\n{template}{extra}"
        );
        match crate::support::try_scenario(&yaml) {
            Ok(_) => panic!("expected an error for {template:?} {extra:?}"),
            Err(e) => e.to_string(),
        }
    };
    let e = error("      crash: {meanTimeBetween: 1h, after: 5s}\n", "");
    assert!(e.contains("deployments[0].template.crash"), "{e}");
    assert!(
        e.contains("exactly one of meanTimeBetween and after"),
        "{e}"
    );
    let e = error("      crash: {meanTimeBetween: 0s}\n", "");
    assert!(
        e.contains("crash.meanTimeBetween") && e.contains("> 0"),
        "{e}"
    );
    let e = error("      restartPolicy: Never\n", "");
    assert!(e.contains("deployments[0].template.restartPolicy"), "{e}");
    assert!(e.contains("expected Always"), "{e}");
    let e = error("      restartPolicy: Sometimes\n", "");
    assert!(e.contains("unknown restart policy \"Sometimes\""), "{e}");
    let e = error("", "    strategy: {maxSurge: 0, maxUnavailable: 0%}\n");
    assert!(e.contains("deployments[0].strategy.maxUnavailable"), "{e}");
    assert!(e.contains("may not be 0 when maxSurge is 0"), "{e}");
    let e = error("", "    strategy: {maxUnavailable: 120%}\n");
    assert!(e.contains("invalid value \"120%\""), "{e}");
    let e = error("", "    strategy: {progressDeadlineSeconds: 0}\n");
    assert!(
        e.contains("progressDeadlineSeconds") && e.contains("> 0"),
        "{e}"
    );
    let e = error(
        "",
        "    start: 10m\n    rollouts:\n      - {at: 5m, newVersion: {crash: {after: 1s}}}\n",
    );
    assert!(e.contains("deployments[0].rollouts[0].at"), "{e}");
    let e = error(
        "",
        "    rollouts:\n      - {at: 5m, newVersion: {crash: {after: 0s}}}\n",
    );
    assert!(
        e.contains("deployments[0].rollouts[0].newVersion.crash.after"),
        "{e}"
    );
    let e = error(
        "",
        "    rollouts:\n      - {at: 5m, newVersion: {image: v2}}\n",
    );
    assert!(e.contains("unknown field `image`"), "{e}");
    // Jobs take OnFailure or Never.
    let job = format!(
        "name: bad\nduration: 1h\n{ONE_NODE}jobs:\n  - name: j\n    completions: 1\n    duration: 1m\n    \
         template: {{restartPolicy: Always}}\n"
    );
    let e = crate::support::try_scenario(&job).unwrap_err().to_string();
    assert!(e.contains("jobs[0].template.restartPolicy"), "{e}");
    assert!(e.contains("expected OnFailure or Never"), "{e}");
}

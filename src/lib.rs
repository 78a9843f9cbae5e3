//! kubesim: a discrete-event simulator of Kubernetes-style clusters.
//!
//! Load a [`Scenario`] (YAML), [`run`] it with a seed, and get a [`RunResult`] with the summary
//! metrics and the time series. Everything is deterministic: the same scenario and seed give
//! byte-identical results.
//!
//! ```no_run
//! use kubesim::{Registry, Scenario, run};
//! let scenario = Scenario::load("scenarios/quickstart.yaml".as_ref(), &[]).unwrap();
//! let result = run(&scenario, scenario.spec.seed, &Registry::with_builtins(), &mut |_| {}).unwrap();
//! println!("cost: {:.2} USD", result.summary.cost_usd);
//! ```
//!
//! Custom schedulers implement [`Scheduler`] and are registered by name in a [`Registry`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod autoscale;
pub mod budget;
pub mod cluster;
pub mod disruption;
pub mod engine;
pub mod error;
pub mod manifests;
pub mod metrics;
pub mod report;
pub mod scenario;
pub mod scheduler;
pub mod sweep;
pub mod workload;

pub use engine::Simulation;
pub use engine::time::SimTime;
pub use error::{Error, Result};
pub use report::{RunSummary, Sample};
pub use scenario::Scenario;
pub use scheduler::{Decision, Registry, Scheduler};

/// The outcome of one run.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The `summary.csv` row.
    pub summary: RunSummary,
    /// The `timeseries.csv` rows.
    pub samples: Vec<Sample>,
    /// The `hpa.csv` rows (empty without HPAs).
    pub hpa: Vec<report::HpaRow>,
    /// Whether the scenario has HPAs (`hpa.csv` is written even if it has no rows).
    pub has_hpa: bool,
    /// The `hpa_metrics.csv` rows: each metric of each logged HPA sync.
    pub hpa_metrics: Vec<report::HpaMetricRow>,
    /// Whether an HPA has several metrics or a non-Resource one (`hpa_metrics.csv` is
    /// written then).
    pub has_hpa_metrics: bool,
    /// The `services.csv` rows (empty without load-driven services).
    pub services: Vec<report::ServiceSample>,
    /// The cluster autoscaler's decisions (`autoscaler.csv`); `None` when it is disabled.
    pub autoscaler_log: Option<Vec<autoscale::cluster_autoscaler::AutoscalerEvent>>,
    /// Per-pool samples (`nodes_by_group.csv`, `cost.svg`), one per pool per sample.
    pub group_samples: Vec<report::GroupSample>,
    /// The `rollouts.csv` rows (empty without rollouts).
    pub rollouts: Vec<workload::rollout::RolloutRow>,
    /// Whether the scenario plans rollouts (`rollouts.csv` is written even if none started).
    pub has_rollouts: bool,
    /// Incidents, MTTR, availability and node events.
    pub recovery: report::recovery::RecoveryReport,
    /// The scheduling work the run did (shown after the run, not written to files).
    pub work: engine::work::WorkCounters,
}

/// Runs `scenario` with master seed `seed`. `progress` is called now and then with the
/// current simulated time.
pub fn run(
    scenario: &Scenario,
    seed: u64,
    registry: &Registry,
    progress: &mut dyn FnMut(SimTime),
) -> Result<RunResult> {
    let started = std::time::Instant::now();
    let mut sim = scenario::build::build(scenario, seed, registry)?;
    sim.run(progress).map_err(|e| e.in_file(&scenario.path))?;
    let wall = started.elapsed().as_secs_f64();
    let summary = report::summarize(&mut sim, &scenario.spec.name, seed, wall);
    let recovery = report::recovery::RecoveryReport::collect(&mut sim);
    Ok(RunResult {
        summary,
        samples: std::mem::take(&mut sim.samples),
        hpa: std::mem::take(&mut sim.hpa_rows),
        has_hpa: !sim.hpas.is_empty(),
        hpa_metrics: std::mem::take(&mut sim.hpa_metric_rows),
        has_hpa_metrics: sim.hpa_metrics_log,
        services: std::mem::take(&mut sim.service_samples),
        autoscaler_log: sim
            .autoscaler
            .as_mut()
            .map(|ca| std::mem::take(&mut ca.log)),
        group_samples: std::mem::take(&mut sim.group_samples),
        rollouts: sim.rollout_rows(),
        has_rollouts: !sim.rollouts.planned.is_empty(),
        recovery,
        work: sim.work(),
    })
}

/// One variant's result in a comparison.
#[derive(Clone, Debug)]
pub struct VariantResult {
    /// Variant name.
    pub name: String,
    /// Its run.
    pub result: RunResult,
}

/// Runs `scenario` once per `(name, scheduler)` variant with the same seed. Every component
/// draws from its own random stream, so all variants see the same workload and the same random
/// draws outside the scheduler (common random numbers).
pub fn compare(
    scenario: &Scenario,
    seed: u64,
    variants: &[(String, scenario::spec::SchedulerSpec)],
    registry: &Registry,
    progress: &mut dyn FnMut(&str, SimTime),
) -> Result<Vec<VariantResult>> {
    let scenarios: Vec<(String, Scenario)> = variants
        .iter()
        .map(|(name, scheduler)| {
            let mut s = scenario.clone();
            s.spec.scheduler = scheduler.clone();
            (name.clone(), s)
        })
        .collect();
    compare_scenarios(&scenarios, seed, registry, progress)
}

/// Runs each named scenario variant (see [`Scenario::variant`]) with the same seed: common
/// random numbers as in [`compare`], with variants that may differ in any field.
pub fn compare_scenarios(
    variants: &[(String, Scenario)],
    seed: u64,
    registry: &Registry,
    progress: &mut dyn FnMut(&str, SimTime),
) -> Result<Vec<VariantResult>> {
    let mut out = Vec::with_capacity(variants.len());
    for (name, s) in variants {
        let result =
            run(s, seed, registry, &mut |t| progress(name, t)).map_err(|e| e.in_file(&s.path))?;
        out.push(VariantResult {
            name: name.clone(),
            result,
        });
    }
    Ok(out)
}

/// Explains where the scheduler put pod `pod` (by name) and why. Without `at`, the run stops at
/// the pod's first successful scheduling attempt and explains it (or its last failed attempt if
/// it is never scheduled); with `at`, the run stops at that time and explains the pod then.
pub fn explain(
    scenario: &Scenario,
    seed: u64,
    registry: &Registry,
    pod: &str,
    at: Option<SimTime>,
) -> Result<scheduler::explain::Explanation> {
    let mut sim = scenario::build::build(scenario, seed, registry)?;
    sim.cluster.keep_terminated_pods = true;
    sim.explain = Some(engine::ExplainRequest {
        pod: pod.to_owned(),
        at,
        result: None,
    });
    if let Some(t) = at {
        sim.end = sim.end.min(t);
    }
    sim.run(&mut |_| {})?;
    if at.is_some() && !sim.explain_now() {
        return Err(Error::Usage(format!(
            "no pod named {pod:?} exists (pending or running) at {} ms",
            sim.now().as_ms()
        )));
    }
    let scheduler_name = sim.scheduler.name().to_owned();
    sim.explain
        .and_then(|e| e.result)
        .filter(|r| !r.nodes.is_empty() || r.chosen.is_some())
        .ok_or_else(|| {
            Error::Usage(format!(
                "no scheduling attempt of a pod named {pod:?} before the end of the scenario, or \
             scheduler {scheduler_name:?} cannot explain its decisions (the built-in profile can)"
            ))
        })
}

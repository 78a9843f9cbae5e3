//! Outputs: `summary.csv`, `timeseries.csv` and SVG charts, written atomically as a set.

pub mod atomic;
pub mod charts;
pub mod compare;
pub mod recovery;
pub mod services;

pub use services::ServiceSample;

use crate::engine::Simulation;
use crate::error::Result;
use crate::metrics::ratio;
use serde::Serialize;
use std::path::Path;

/// One row of `timeseries.csv`: the cluster at one instant.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Sample {
    /// Simulated time [s].
    pub time_s: f64,
    /// Live nodes.
    pub nodes: u64,
    /// Nodes with at least one pod.
    pub nodes_in_use: u64,
    /// Allocatable cpu [cores].
    pub cpu_allocatable_cores: f64,
    /// Requested / allocatable cpu.
    pub cpu_requested_ratio: f64,
    /// Requested / allocatable memory.
    pub memory_requested_ratio: f64,
    /// Used / allocatable cpu.
    pub cpu_used_ratio: f64,
    /// Used / allocatable memory.
    pub memory_used_ratio: f64,
    /// Stranded / allocatable cpu (see [`crate::cluster::fragmentation`]).
    pub cpu_stranded_ratio: f64,
    /// Stranded / allocatable memory.
    pub memory_stranded_ratio: f64,
    /// Running pods.
    pub running_pods: u64,
    /// Pods waiting to be scheduled.
    pub pending_pods: u64,
    /// Current cost rate [USD/h].
    pub cost_rate_usd_per_hour: f64,
    /// Cost accrued so far [USD].
    pub cost_cumulative_usd: f64,
}

/// One row of `nodes_by_group.csv` (written when the cluster autoscaler is enabled): one node
/// pool at one instant.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GroupSample {
    /// Simulated time [s].
    pub time_s: f64,
    /// Node pool (node group) name.
    pub group: String,
    /// Whether the pool is spot capacity.
    pub spot: bool,
    /// Ready nodes.
    pub nodes: u64,
    /// Nodes requested and still booting (billed, not schedulable).
    pub nodes_provisioning: u64,
    /// Current cost rate of the pool's nodes [USD/h].
    pub cost_rate_usd_per_hour: f64,
    /// The pool's cost accrued so far in the measured window [USD] (billing rules applied).
    pub cost_cumulative_usd: f64,
}

/// One row of `summary.csv`: a whole run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RunSummary {
    /// Scenario name.
    pub scenario: String,
    /// Scheduler name.
    pub scheduler: String,
    /// Master seed.
    pub seed: u64,
    /// Simulated duration [s].
    pub sim_duration_s: f64,
    /// Warm-up excluded from the metrics [s].
    pub warmup_s: f64,
    /// Wall-clock time of the run [s] (excluded from determinism checks).
    pub wall_time_s: f64,
    /// Events processed.
    pub events_processed: u64,
    /// Time-weighted mean node count.
    pub nodes_mean: f64,
    /// Peak node count.
    pub nodes_peak: u64,
    /// Time-weighted mean number of nodes with at least one pod.
    pub nodes_in_use_mean: f64,
    /// Peak number of nodes with at least one pod.
    pub nodes_in_use_peak: u64,
    /// ∫requested cpu / ∫allocatable cpu (bin-packing utilization).
    pub cpu_requested_ratio: f64,
    /// ∫requested memory / ∫allocatable memory.
    pub memory_requested_ratio: f64,
    /// ∫requested gpu / ∫allocatable gpu (0 without GPUs).
    pub gpu_requested_ratio: f64,
    /// ∫used cpu / ∫allocatable cpu.
    pub cpu_used_ratio: f64,
    /// ∫used memory / ∫allocatable memory.
    pub memory_used_ratio: f64,
    // Fragmentation (crate::cluster::fragmentation).
    /// ∫stranded cpu / ∫allocatable cpu: the time-weighted share of cpu left free on nodes
    /// where the fragmentation probe does not fit.
    pub cpu_stranded_ratio: f64,
    /// ∫stranded memory / ∫allocatable memory.
    pub memory_stranded_ratio: f64,
    /// ∫stranded gpu / ∫allocatable gpu (0 without GPUs).
    pub gpu_stranded_ratio: f64,
    /// Time-weighted mean stranded cpu [cores].
    pub cpu_stranded_cores_mean: f64,
    /// The probe's cpu request at the end of the run [cores].
    pub fragmentation_probe_cpu_cores: f64,
    /// The probe's memory request at the end of the run [GiB].
    pub fragmentation_probe_memory_gib: f64,
    /// The probe's gpu request at the end of the run [GPUs].
    pub fragmentation_probe_gpu: f64,
    /// Time-weighted mean running pods.
    pub running_pods_mean: f64,
    /// Time-weighted mean pending pods.
    pub pending_pods_mean: f64,
    /// Peak pending pods.
    pub pending_pods_peak: u64,
    /// Pods created.
    pub pods_created: u64,
    /// Pods bound to a node.
    pub pods_scheduled: u64,
    /// Scheduling attempts that found no feasible node.
    pub unschedulable_attempts: u64,
    /// Pods that completed.
    pub pods_succeeded: u64,
    /// Pods deleted while still pending (trace replay).
    pub pods_deleted_while_pending: u64,
    /// Pods with `nodeName` the kubelet rejected at admission (they did not fit the node).
    pub pods_rejected_at_admission: u64,
    /// Pods still pending at the end.
    pub pods_pending_at_end: u64,
    /// Preemption attempts that chose a node (each deletes victims and nominates the node).
    pub preemptions: u64,
    /// Pods deleted by preemption.
    pub preemption_victims: u64,
    /// Preemption victims whose deletion violated a PodDisruptionBudget.
    pub preemption_pdb_violations: u64,
    /// Mean pending time of scheduled pods [s].
    pub pending_time_mean_s: f64,
    /// Median pending time [s].
    pub pending_time_p50_s: f64,
    /// 95th percentile pending time [s].
    pub pending_time_p95_s: f64,
    /// 99th percentile pending time [s].
    pub pending_time_p99_s: f64,
    /// Maximum pending time [s].
    pub pending_time_max_s: f64,
    /// Total cost of node time [USD].
    pub cost_usd: f64,
    /// Mean cost rate [USD/h].
    pub cost_per_hour_usd: f64,
    /// Cost of node time while the node held at least one pod [USD]: the bill if empty nodes
    /// were removed at once (what bin-packing could save with ideal scale-down).
    pub cost_in_use_usd: f64,
    /// Requests that arrived at load-driven services in the window.
    pub requests_total: f64,
    /// Of those, requests beyond the ready pods' capacity (dropped).
    pub requests_unserved: f64,
    /// `requests_unserved / requests_total` (0 without load).
    pub unserved_ratio: f64,
    // Cost model and node lifecycle (crate::metrics::cost, crate::autoscale).
    /// Part of `cost_usd` billed for spot nodes [USD].
    pub cost_spot_usd: f64,
    /// Mean cost rate over the measured window × 730 h [USD per month].
    pub monthly_projection_usd: f64,
    /// `cost_usd` per million requests served [USD]; empty when no load model serves
    /// requests.
    pub cost_per_million_requests_usd: Option<f64>,
    /// Nodes that joined after the start (cluster autoscaler scale-up).
    pub nodes_added: u64,
    /// Nodes removed (cluster autoscaler scale-down and provisioning timeouts).
    pub nodes_removed: u64,
    /// Pods evicted to drain nodes.
    pub pods_evicted: u64,
    // Kubelet and rollouts (crate::disruption::kubelet, crate::workload::rollout).
    /// Container restarts.
    pub restarts: u64,
    /// Containers that crashed (not counting OOM kills).
    pub container_crashes: u64,
    /// Containers OOM-killed (memory above their limit).
    pub oom_kills: u64,
    /// Pods evicted by the kubelet under node memory pressure.
    pub node_pressure_evictions: u64,
    /// Time containers spent waiting in CrashLoopBackOff [s].
    pub crash_loop_backoff_s: f64,
    /// Run time of batch pods thrown away by crashes, OOM kills, evictions, node failures
    /// and drains [s].
    pub lost_work_s: f64,
    /// Mean time from bind to the first Ready [s], over pods that became Ready.
    pub time_to_ready_mean_s: f64,
    /// ∫ Σ min(ready, desired) dt / ∫ Σ desired dt over the Deployments: the share of the
    /// desired replica-time that was Ready (0 without Deployments).
    pub ready_replicas_ratio: f64,
    /// Share of the time during which every Deployment had its desired Ready replicas.
    pub all_replicas_ready_ratio: f64,
    /// Share of the time during which every Deployment that wants pods had at least one
    /// Ready replica.
    pub any_replica_ready_ratio: f64,
    /// Rollouts started.
    pub rollouts: u64,
    /// Rollouts that completed.
    pub rollouts_complete: u64,
    /// Rollouts that exceeded their progress deadline.
    pub rollouts_failed: u64,
    // Disruptions and recovery (crate::metrics::recovery, report::recovery).
    /// Incidents: a disruption left a Deployment below its desired ready replicas.
    pub incidents: u64,
    /// Incidents not recovered at the end.
    pub incidents_open_at_end: u64,
    /// Mean recovery time of the recovered incidents [s] (empty without any).
    pub mttr_mean_s: Option<f64>,
    /// Median recovery time [s].
    pub mttr_p50_s: Option<f64>,
    /// 95th percentile recovery time [s].
    pub mttr_p95_s: Option<f64>,
    /// Longest recovery time [s].
    pub mttr_max_s: Option<f64>,
    /// Sum of the incidents' durations [s].
    pub time_degraded_s: f64,
    /// Mean over the Deployments of the fraction of time at desired ready replicas (empty
    /// without Deployments).
    pub availability_mean: Option<f64>,
    /// Lowest such fraction.
    pub availability_min: Option<f64>,
    /// Mean over the Deployments of the fraction of time with at least one ready replica.
    pub any_ready_mean: Option<f64>,
    /// Nodes that went down (failures, zone outages, spot reclaims).
    pub node_failures: u64,
    /// Zone outages.
    pub zone_outages: u64,
    /// Spot interruption notices.
    pub spot_interruptions: u64,
    /// Pods deleted by the taint-eviction controller.
    pub taint_evictions: u64,
    /// Pods evicted through the eviction API (drains).
    pub evictions: u64,
    /// Evictions a PodDisruptionBudget refused (each retry counts).
    pub evictions_blocked: u64,
    /// Pods deleted with their reclaimed node.
    pub pods_lost_with_node: u64,
    /// Batch pods that ended without completing (failed or deleted).
    pub batch_pods_lost: u64,
}

/// One row of `hpa.csv`: an HPA sync (see [`crate::autoscale::hpa::HPA_CSV_COLUMNS`]).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HpaRow {
    /// Simulated time [s].
    pub time_s: f64,
    /// The target: a Deployment's name, or `StatefulSet/<name>`.
    pub workload: String,
    /// Replicas before the sync.
    pub current_replicas: i32,
    /// The deciding metric's utilization [% of request] (empty if none was computed).
    pub utilization_percent: Option<i32>,
    /// The metrics' proposal before normalization (empty if metrics were not used).
    pub raw_desired_replicas: Option<i32>,
    /// After stabilization.
    pub stabilized_replicas: i32,
    /// The replica count set.
    pub final_replicas: i32,
    /// Upstream reason (`DesiredWithinRange`, `ScaleUpLimit`, ...).
    pub reason: &'static str,
}

impl HpaRow {
    /// The row of `decision` for target `workload` (see the field).
    pub fn new(workload: &str, d: &crate::autoscale::hpa::HpaDecision) -> HpaRow {
        HpaRow {
            time_s: d.time_ms as f64 / 1000.0,
            workload: workload.to_owned(),
            current_replicas: d.current_replicas,
            utilization_percent: d.utilization_percent,
            raw_desired_replicas: d.raw_desired,
            stabilized_replicas: d.stabilized,
            final_replicas: d.final_replicas,
            reason: d.reason.as_str(),
        }
    }
}

/// One row of `hpa_metrics.csv`: one metric of one logged HPA sync (see
/// [`crate::autoscale::hpa::HPA_METRICS_CSV_COLUMNS`]).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HpaMetricRow {
    /// Simulated time [s].
    pub time_s: f64,
    /// The target: a Deployment's name, or `StatefulSet/<name>`.
    pub workload: String,
    /// Index of the metric in the HPA's `metrics`.
    pub metric_index: usize,
    /// `Resource`, `ContainerResource`, `Pods`, `Object` or `External`.
    pub metric_type: &'static str,
    /// The resource (`cpu`, `memory`) or the custom metric's name.
    pub metric_name: String,
    /// The target, `<type>:<value>` in the metric's units.
    pub target: String,
    /// The current value in the metric's units (average per pod, or the object's or
    /// external total); empty if invalid.
    pub current_value: Option<f64>,
    /// The current utilization [% of request] for Utilization targets.
    pub utilization_percent: Option<i32>,
    /// This metric's proposal; empty if invalid.
    pub proposed_replicas: Option<i32>,
    /// Why the metric is invalid (empty if valid).
    pub error: String,
}

impl HpaMetricRow {
    /// The rows of one sync: one per metric of `spec` with its result.
    pub fn rows(
        workload: &str,
        time_ms: u64,
        spec: &crate::autoscale::hpa::ValidHpa,
        results: &[std::result::Result<
            crate::autoscale::hpa::MetricProposal,
            crate::autoscale::hpa::MetricError,
        >],
        out: &mut Vec<HpaMetricRow>,
    ) {
        for (i, (m, r)) in spec.metrics.iter().zip(results).enumerate() {
            let (current_value, utilization_percent, proposed_replicas, error) = match r {
                Ok(p) => (
                    Some(p.average_milli as f64 / 1000.0),
                    p.utilization_percent,
                    Some(p.replicas),
                    String::new(),
                ),
                Err(e) => (None, None, None, e.to_string()),
            };
            out.push(HpaMetricRow {
                time_s: time_ms as f64 / 1000.0,
                workload: workload.to_owned(),
                metric_index: i,
                metric_type: m.kind(),
                metric_name: m.name().to_owned(),
                target: m.target_label(),
                current_value,
                utilization_percent,
                proposed_replicas,
                error,
            });
        }
    }
}

/// Builds the summary row of a finished simulation.
pub fn summarize(sim: &mut Simulation, scenario: &str, seed: u64, wall_time_s: f64) -> RunSummary {
    let rec = recovery::RecoveryReport::collect(sim).summary();
    let d = sim.metrics.disruptions;
    let span = u128::from(sim.end.since(sim.metrics.window_start));
    let events_processed = sim.events_processed();
    let probe = sim.cluster.fragmentation().probe();
    let provisioning = sim
        .autoscaler
        .as_ref()
        .map(|ca| ca.provisioning_nodes())
        .unwrap_or_default();
    let cost = sim.metrics.cost.totals_at(
        &sim.cluster,
        &provisioning,
        sim.metrics.window_start,
        sim.end,
    );
    let backoff_outstanding_ms = sim.outstanding_backoff_ms();
    let (rollouts, rollouts_complete, rollouts_failed) = sim.rollout_counts();
    {
        let ws = sim.metrics.window_start;
        let k = &mut sim.metrics.kubelet;
        k.ready.advance(sim.end, ws);
        k.leaks.advance(sim.end, ws);
    }
    let m = &mut sim.metrics;
    let i = &m.integrals;
    let mean = |v: u128| ratio(v, span);
    let cost_usd = crate::metrics::cost::micro_usd_ms_to_usd(cost.total);
    let cost_per_hour_usd = if span == 0 {
        0.0
    } else {
        cost_usd * 3_600_000.0 / span as f64
    };
    RunSummary {
        scenario: scenario.to_owned(),
        scheduler: sim.scheduler.name().to_owned(),
        seed,
        sim_duration_s: sim.end.as_secs_f64(),
        warmup_s: m.window_start.as_secs_f64(),
        wall_time_s,
        events_processed,
        nodes_mean: mean(i.nodes),
        nodes_peak: m.peak_nodes,
        nodes_in_use_mean: mean(i.nodes_in_use),
        nodes_in_use_peak: m.peak_nodes_in_use,
        cpu_requested_ratio: ratio(i.cpu_requested, i.cpu_allocatable),
        memory_requested_ratio: ratio(i.memory_requested, i.memory_allocatable),
        gpu_requested_ratio: ratio(i.gpu_requested, i.gpu_allocatable),
        cpu_used_ratio: ratio(i.cpu_used, i.cpu_allocatable),
        memory_used_ratio: ratio(
            i.memory_used + m.kubelet.leaks.integral,
            i.memory_allocatable,
        ),
        cpu_stranded_ratio: ratio(i.cpu_stranded, i.cpu_allocatable),
        memory_stranded_ratio: ratio(i.memory_stranded, i.memory_allocatable),
        gpu_stranded_ratio: ratio(i.gpu_stranded, i.gpu_allocatable),
        cpu_stranded_cores_mean: mean(i.cpu_stranded) / 1000.0,
        fragmentation_probe_cpu_cores: probe.cpu_milli as f64 / 1000.0,
        fragmentation_probe_memory_gib: probe.memory_bytes as f64 / (1u64 << 30) as f64,
        fragmentation_probe_gpu: probe.gpu_milli as f64 / 1000.0,
        running_pods_mean: mean(i.running_pods),
        pending_pods_mean: mean(i.pending_pods),
        pending_pods_peak: m.peak_pending_pods,
        pods_created: m.pods_created,
        pods_scheduled: m.pods_scheduled,
        unschedulable_attempts: m.unschedulable_attempts,
        pods_succeeded: m.pods_succeeded,
        pods_deleted_while_pending: m.pods_deleted_while_pending,
        pods_rejected_at_admission: m.pods_rejected_at_admission,
        pods_pending_at_end: sim.cluster.totals.pending_pods,
        preemptions: m.preemptions,
        preemption_victims: m.preemption_victims,
        preemption_pdb_violations: m.preemption_pdb_violations,
        pending_time_mean_s: m.pending.mean_ms() / 1000.0,
        pending_time_p50_s: m.pending.percentile_ms(50.0) as f64 / 1000.0,
        pending_time_p95_s: m.pending.percentile_ms(95.0) as f64 / 1000.0,
        pending_time_p99_s: m.pending.percentile_ms(99.0) as f64 / 1000.0,
        pending_time_max_s: m.pending.percentile_ms(100.0) as f64 / 1000.0,
        cost_usd,
        cost_per_hour_usd,
        cost_in_use_usd: i.cost_in_use_usd(),
        requests_total: m.requests_total,
        requests_unserved: m.requests_unserved,
        unserved_ratio: if m.requests_total > 0.0 {
            m.requests_unserved / m.requests_total
        } else {
            0.0
        },
        cost_spot_usd: crate::metrics::cost::micro_usd_ms_to_usd(cost.spot),
        monthly_projection_usd: cost_per_hour_usd * HOURS_PER_MONTH,
        cost_per_million_requests_usd: {
            let served = m.requests_total - m.requests_unserved;
            (served > 0.0).then(|| cost_usd * 1e6 / served)
        },
        nodes_added: m.nodes_added,
        nodes_removed: m.nodes_removed,
        pods_evicted: m.pods_evicted,
        restarts: m.kubelet.restarts,
        container_crashes: m.kubelet.container_crashes,
        oom_kills: m.kubelet.oom_kills,
        node_pressure_evictions: m.kubelet.node_pressure_evictions,
        crash_loop_backoff_s: (m.kubelet.crash_loop_backoff_ms + backoff_outstanding_ms) as f64
            / 1000.0,
        lost_work_s: (m.kubelet.lost_work_ms + d.lost_work_ms) as f64 / 1000.0,
        time_to_ready_mean_s: if m.kubelet.pods_ready == 0 {
            0.0
        } else {
            m.kubelet.time_to_ready_ms as f64 / m.kubelet.pods_ready as f64 / 1000.0
        },
        ready_replicas_ratio: ratio(
            m.kubelet.ready.ready_integral,
            m.kubelet.ready.desired_integral,
        ),
        all_replicas_ready_ratio: mean(u128::from(m.kubelet.ready.all_ready_ms)),
        any_replica_ready_ratio: mean(u128::from(m.kubelet.ready.any_ready_ms)),
        rollouts,
        rollouts_complete,
        rollouts_failed,
        incidents: rec.incidents,
        incidents_open_at_end: rec.incidents_open_at_end,
        mttr_mean_s: rec.mttr_s[0],
        mttr_p50_s: rec.mttr_s[1],
        mttr_p95_s: rec.mttr_s[2],
        mttr_max_s: rec.mttr_s[3],
        time_degraded_s: rec.time_degraded_s,
        availability_mean: rec.availability_mean,
        availability_min: rec.availability_min,
        any_ready_mean: rec.any_ready_mean,
        node_failures: d.node_failures,
        zone_outages: d.zone_outages,
        spot_interruptions: d.spot_interruptions,
        taint_evictions: d.taint_evictions,
        evictions: d.evictions,
        evictions_blocked: d.evictions_blocked,
        pods_lost_with_node: d.pods_lost_with_node,
        batch_pods_lost: d.batch_pods_lost,
    }
}

/// Hours in the monthly projection (365 × 24 / 12, the cloud providers' convention).
pub const HOURS_PER_MONTH: f64 = 730.0;

impl HeaderRow for crate::autoscale::cluster_autoscaler::AutoscalerEvent {
    const COLUMNS: &'static [&'static str] =
        &["time_s", "action", "group", "node", "count", "reason"];
}

impl HeaderRow for crate::workload::rollout::RolloutRow {
    const COLUMNS: &'static [&'static str] = crate::workload::rollout::ROLLOUT_CSV_COLUMNS;
}

impl HeaderRow for HpaRow {
    const COLUMNS: &'static [&'static str] = &crate::autoscale::hpa::HPA_CSV_COLUMNS;
}

impl HeaderRow for HpaMetricRow {
    const COLUMNS: &'static [&'static str] = &crate::autoscale::hpa::HPA_METRICS_CSV_COLUMNS;
}

/// Like [`to_csv`], but writes the header row even without rows.
fn csv_with_header<T: Serialize + HeaderRow>(rows: &[T]) -> Result<Vec<u8>> {
    if rows.is_empty() {
        let mut header = T::COLUMNS.join(",");
        header.push('\n');
        return Ok(header.into_bytes());
    }
    to_csv(rows)
}

/// The column names of a CSV row type (for files written even when empty).
pub trait HeaderRow {
    /// Column names, in field order.
    const COLUMNS: &'static [&'static str];
}

/// Serializes rows to CSV bytes with a header row.
pub fn to_csv<T: Serialize>(rows: &[T]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)
            .map_err(|e| crate::error::Error::Usage(format!("CSV encoding failed: {e}")))?;
    }
    w.into_inner()
        .map_err(|e| crate::error::Error::Usage(format!("CSV encoding failed: {e}")))
}

/// Writes `summary.csv`, `timeseries.csv` and (optionally) the charts into `dir`, all or
/// nothing.
pub fn write_run_outputs(
    dir: &Path,
    summary: &RunSummary,
    samples: &[Sample],
    charts: bool,
) -> Result<Vec<String>> {
    write_outputs(dir, summary, samples, None, charts)
}

/// Writes every output of `result` into `dir`, all or nothing: those of
/// [`write_run_outputs`], plus `hpa.csv` (with HPAs), `services.csv` and `services.svg` (with
/// load-driven services), and `autoscaler.csv`, `nodes_by_group.csv` and `cost.svg` when the
/// cluster autoscaler ran.
pub fn write_result_outputs(
    dir: &Path,
    result: &crate::RunResult,
    charts: bool,
) -> Result<Vec<String>> {
    write_outputs(dir, &result.summary, &result.samples, Some(result), charts)
}

/// Every file a run may write ([`write_result_outputs`]): a run's commit replaces these and
/// keeps any other file of the output folder (e.g. `comparison.csv`).
pub const RUN_OUTPUT_FILES: &[&str] = &[
    "autoscaler.csv",
    "nodes_by_group.csv",
    "cost.svg",
    "hpa.csv",
    "hpa_metrics.csv",
    "rollouts.csv",
    "services.csv",
    "services.svg",
    "incidents.csv",
    "recovery.csv",
    "workloads.csv",
    "recovery.svg",
    "node_events.csv",
    "summary.csv",
    "timeseries.csv",
    "utilization.svg",
    "pods.svg",
];

fn write_outputs(
    dir: &Path,
    summary: &RunSummary,
    samples: &[Sample],
    result: Option<&crate::RunResult>,
    charts: bool,
) -> Result<Vec<String>> {
    let mut set = atomic::OutputSet::default();
    set.owns(RUN_OUTPUT_FILES);
    let title = format!("{} ({})", summary.scenario, summary.scheduler);
    if let Some(r) = result {
        if let Some(log) = &r.autoscaler_log {
            set.add("autoscaler.csv", csv_with_header(log)?);
        }
        if !r.group_samples.is_empty() {
            set.add("nodes_by_group.csv", to_csv(&r.group_samples)?);
            if charts {
                set.add(
                    "cost.svg",
                    charts::cost_chart(&title, samples, &r.group_samples)?.into_bytes(),
                );
            }
        }
        if r.has_hpa {
            set.add("hpa.csv", csv_with_header(&r.hpa)?);
        }
        if r.has_hpa_metrics {
            set.add("hpa_metrics.csv", csv_with_header(&r.hpa_metrics)?);
        }
        if r.has_rollouts {
            set.add("rollouts.csv", csv_with_header(&r.rollouts)?);
        }
        if !r.services.is_empty() {
            set.add("services.csv", to_csv(&r.services)?);
            if charts {
                set.add(
                    "services.svg",
                    services::services_chart(&title, &r.services)?.into_bytes(),
                );
            }
        }
        let rec = &r.recovery;
        if rec.has_workloads {
            set.add(
                "incidents.csv",
                csv_with_header::<recovery::IncidentRow>(&rec.incidents)?,
            );
            set.add(
                "recovery.csv",
                csv_with_header::<recovery::CauseRow>(&rec.causes)?,
            );
            set.add("workloads.csv", to_csv(&rec.workloads)?);
            if charts {
                let title = format!("{} ({})", summary.scenario, summary.scheduler);
                set.add(
                    "recovery.svg",
                    recovery::recovery_chart(&title, rec)?.into_bytes(),
                );
            }
        }
        if rec.has_faults {
            set.add(
                "node_events.csv",
                csv_with_header::<recovery::NodeEventRow>(&rec.node_events)?,
            );
        }
    }
    set.add("summary.csv", to_csv(std::slice::from_ref(summary))?);
    set.add("timeseries.csv", to_csv(samples)?);
    if charts {
        let title = format!("{} ({})", summary.scenario, summary.scheduler);
        set.add(
            "utilization.svg",
            charts::utilization_chart(&title, samples)?.into_bytes(),
        );
        set.add(
            "pods.svg",
            charts::pods_chart(&title, samples)?.into_bytes(),
        );
    }
    set.commit(dir)
}

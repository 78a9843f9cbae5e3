//! Caps on values that can only be mistakes: rates above any physical meaning, pods larger
//! than any machine, replica counts orders of magnitude beyond what the cluster can ever
//! hold. Each is a validation error naming the field (see `docs/limits.md`), so that a typo
//! such as `ratePerSecond: 1e9` fails at once instead of running for hours.

use super::spec::ScenarioSpec;
use crate::cluster::resources::Resources;
use crate::error::{Error, Result};

/// Highest request rate of a load curve [requests/s] (about ten times the busiest web
/// services' global peaks).
pub const MAX_REQUESTS_PER_SECOND: f64 = 1e9;
/// Highest pod arrival rate of a generator [pods/s] (clusters create tens to hundreds a
/// second).
pub const MAX_PODS_PER_SECOND: f64 = 1e6;
/// Largest cpu request or limit of one pod [millicores] (100,000 cores; the largest
/// machines have a few thousand).
pub const MAX_POD_CPU_MILLI: u64 = 100_000_000;
/// Largest memory request or limit of one pod [bytes] (1 PiB).
pub const MAX_POD_MEMORY_BYTES: u64 = 1 << 50;
/// Largest GPU request of one pod [milli-GPUs] (10,000 GPUs).
pub const MAX_POD_GPU_MILLI: u64 = 10_000_000;
/// Shortest mean time between a node's failures or spot interruptions [ms] (one minute).
pub const MIN_TIME_BETWEEN_FAILURES_MS: f64 = 60_000.0;
/// Most spot interruptions per node per day (one a minute).
pub const MAX_INTERRUPTIONS_PER_DAY: f64 = 1440.0;
/// Most rollouts in one scenario, over all workloads (more than one every five minutes for
/// a month; each rollout is a pod template of its own).
pub const MAX_ROLLOUTS: usize = 10_000;
/// A replica count above this many times the cluster's pod capacity is refused.
pub const MAX_REPLICAS_OVER_CAPACITY: f64 = 100.0;

fn err(field: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::scenario(field, msg)
}

/// Checks the caps of `spec` that need no built objects.
pub fn validate(spec: &ScenarioSpec) -> Result<()> {
    for (i, g) in spec.generators.iter().enumerate() {
        if g.rate_per_second > MAX_PODS_PER_SECOND {
            return Err(err(
                format!("generators[{i}].ratePerSecond"),
                format!(
                    "{} pods/s is above {MAX_PODS_PER_SECOND:e} pods/s, more than any cluster \
                     creates",
                    g.rate_per_second
                ),
            ));
        }
    }
    for (i, p) in spec.node_pools.iter().enumerate() {
        if let Some(f) = &p.failures {
            let mean = crate::budget::mean_ms(&f.time_between_failures);
            if mean < MIN_TIME_BETWEEN_FAILURES_MS {
                return Err(err(
                    format!("nodePools[{i}].failures.timeBetweenFailures"),
                    format!(
                        "a mean of {mean} ms between a node's failures is below one minute; \
                         no node fails that often"
                    ),
                ));
            }
        }
        if let Some(s) = &p.interruptions {
            if let Some(r) = s.rate
                && r > MAX_INTERRUPTIONS_PER_DAY
            {
                return Err(err(
                    format!("nodePools[{i}].interruptions.rate"),
                    format!(
                        "{r} interruptions per node per day is above {MAX_INTERRUPTIONS_PER_DAY} \
                         (one a minute)"
                    ),
                ));
            }
            if let Some(d) = &s.time_between {
                let mean = crate::budget::mean_ms(d);
                if mean < MIN_TIME_BETWEEN_FAILURES_MS {
                    return Err(err(
                        format!("nodePools[{i}].interruptions.timeBetween"),
                        format!("a mean of {mean} ms between interruptions is below one minute"),
                    ));
                }
            }
        }
    }
    let mut rollouts = 0;
    let lists = (spec.deployments.iter().map(|d| d.rollouts.len()))
        .map(|n| ("deployments", n))
        .chain(
            spec.stateful_sets
                .iter()
                .map(|s| ("statefulSets", s.rollouts.len())),
        )
        .chain(
            spec.daemon_sets
                .iter()
                .map(|d| ("daemonSets", d.rollouts.len())),
        );
    let mut index = (0usize, "");
    for (kind, n) in lists {
        if kind != index.1 {
            index = (0, kind);
        }
        rollouts += n;
        if rollouts > MAX_ROLLOUTS {
            return Err(err(
                format!("{kind}[{}].rollouts", index.0),
                format!("the scenario plans more than {MAX_ROLLOUTS} rollouts in all"),
            ));
        }
        index.0 += 1;
    }
    replicas(spec)
}

/// Pods the cluster can ever hold (Σ nodes × allocatable pods, pools at their maximum size
/// with the cluster autoscaler); `None` when node lists make it unknown before reading them.
pub fn pod_capacity(spec: &ScenarioSpec) -> Option<f64> {
    if !spec.node_lists.is_empty() {
        return None;
    }
    let ca = spec.cluster_autoscaler.enabled;
    let mut pods = 0.0;
    for p in &spec.node_pools {
        let per_node = match (&p.allocatable, p.instance_type.as_deref()) {
            (Some(a), _) => a
                .pods
                .map_or(crate::cluster::resources::DEFAULT_MAX_PODS, |q| q.0),
            (None, Some(t)) => crate::cluster::catalog::lookup(t)
                .map_or(crate::cluster::resources::DEFAULT_MAX_PODS, |e| {
                    e.allocatable().pods
                }),
            (None, None) => crate::cluster::resources::DEFAULT_MAX_PODS,
        };
        let count = if ca {
            p.count.max(p.max_size.unwrap_or(p.count))
        } else {
            p.count
        };
        pods += f64::from(count) * per_node as f64;
    }
    for n in &spec.nodes {
        pods += n
            .allocatable
            .pods
            .map_or(crate::cluster::resources::DEFAULT_MAX_PODS, |q| q.0) as f64;
    }
    Some(pods)
}

/// Replica counts against the cluster's pod capacity.
fn replicas(spec: &ScenarioSpec) -> Result<()> {
    let Some(capacity) = pod_capacity(spec) else {
        return Ok(());
    };
    let cap = (capacity * MAX_REPLICAS_OVER_CAPACITY).max(1000.0);
    let check = |field: String, n: f64| {
        if n > cap {
            Err(err(
                field,
                format!(
                    "{n} is more than {MAX_REPLICAS_OVER_CAPACITY} times the {capacity} pods \
                     the cluster can ever hold (nodes × allocatable pods), which can only be \
                     a mistake"
                ),
            ))
        } else {
            Ok(())
        }
    };
    for (i, d) in spec.deployments.iter().enumerate() {
        check(format!("deployments[{i}].replicas"), f64::from(d.replicas))?;
        if let Some(h) = &d.hpa {
            check(
                format!("deployments[{i}].hpa.maxReplicas"),
                f64::from(h.max_replicas),
            )?;
        }
    }
    for (i, s) in spec.stateful_sets.iter().enumerate() {
        check(format!("statefulSets[{i}].replicas"), f64::from(s.replicas))?;
        if let Some(h) = &s.hpa {
            check(
                format!("statefulSets[{i}].hpa.maxReplicas"),
                f64::from(h.max_replicas),
            )?;
        }
    }
    for (i, j) in spec.jobs.iter().enumerate() {
        check(format!("jobs[{i}].parallelism"), f64::from(j.parallelism))?;
    }
    for (i, c) in spec.cron_jobs.iter().enumerate() {
        check(
            format!("cronJobs[{i}].jobTemplate.parallelism"),
            f64::from(c.job_template.parallelism),
        )?;
    }
    Ok(())
}

/// A pod's effective requests or limits (`what`) against the per-pod caps.
pub fn pod_resources(r: &Resources, field: &str, what: &str) -> Result<()> {
    if r.cpu_milli > MAX_POD_CPU_MILLI {
        return Err(err(
            format!("{field}.{what}.cpu"),
            format!(
                "{} cores is more than the {} cores any machine has",
                r.cpu_milli / 1000,
                MAX_POD_CPU_MILLI / 1000
            ),
        ));
    }
    if r.memory_bytes > MAX_POD_MEMORY_BYTES {
        return Err(err(
            format!("{field}.{what}.memory"),
            format!(
                "{} bytes is more than 1 PiB, more than any machine has",
                r.memory_bytes
            ),
        ));
    }
    if r.gpu_milli > MAX_POD_GPU_MILLI {
        return Err(err(
            format!("{field}.{what}.gpu"),
            format!(
                "{} GPUs is more than {} GPUs",
                r.gpu_milli / 1000,
                MAX_POD_GPU_MILLI / 1000
            ),
        ));
    }
    Ok(())
}

/// A built load curve's peak rate against [`MAX_REQUESTS_PER_SECOND`].
pub fn load_rate(curve: &crate::workload::load_curve::LoadCurve, field: &str) -> Result<()> {
    let max = curve.max_rate();
    if !(max.is_finite() && max <= MAX_REQUESTS_PER_SECOND) {
        return Err(err(
            field,
            format!(
                "the rate reaches {max:e} requests/s, above {MAX_REQUESTS_PER_SECOND:e} \
                 requests/s (more than any service serves)"
            ),
        ));
    }
    Ok(())
}

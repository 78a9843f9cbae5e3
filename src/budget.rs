//! The work budget of a run: an estimate of its events and memory made from the scenario
//! before it runs ([`estimate`]), refused when above the limits ([`Limits`], the CLI's
//! `--max-events` and `--max-memory`), and a check during the run that stops it with an
//! error (not an abort) once the events processed or the memory in use pass the limits.
//!
//! The estimate sums one term per scenario part (samples, HPA syncs, load ticks, pods of
//! each workload, node failures and spot interruptions, autoscaler scans, rollouts); the
//! refusal names the field of the largest term. It is an order-of-magnitude guess meant to
//! catch runs that would take hours or exhaust memory (a `1ms` interval, a count of 10^12),
//! not a prediction: see `docs/limits.md` for the formula.

use crate::error::{Error, Result};
use crate::scenario::Scenario;
use crate::scenario::spec::ScenarioSpec;
use crate::scenario::values::DurationDist;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Default `--max-events`: 500 million events (several minutes of simulation; the largest
/// shipped benchmark processes 18 million).
pub const DEFAULT_MAX_EVENTS: u64 = 500_000_000;
/// Default `--max-memory` [bytes]: 4 GiB (the largest shipped benchmark uses about 130 MiB).
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

/// Events counted per pod (creation, scheduling, start, readiness, end).
pub const EVENTS_PER_POD: f64 = 4.0;
/// Memory counted per pod alive at once [bytes] (measured: about 600 B).
pub const BYTES_PER_POD: f64 = 1024.0;
/// Memory counted per node [bytes] (measured: about 1.2 KiB).
pub const BYTES_PER_NODE: f64 = 2048.0;
/// Memory counted per output row (time-series sample, HPA log row) [bytes], held in memory
/// and then written.
pub const BYTES_PER_ROW: f64 = 512.0;
/// Memory counted per `hpa.csv` row [bytes] (every sync with `output.hpaLog: all`; a tenth of
/// them with `changes`).
pub const BYTES_PER_HPA_ROW: f64 = 192.0;
/// Memory of a run before any of the above [bytes].
pub const BASE_BYTES: f64 = 32.0 * 1024.0 * 1024.0;

/// Events between two checks of the budget during a run.
pub const CHECK_EVERY: u64 = 1 << 16;

/// The limits of a run; 0 means no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most events a run may process.
    pub max_events: u64,
    /// Most memory a run may use [bytes] (heap in use where the binary counts it, else the
    /// resident set).
    pub max_memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: DEFAULT_MAX_EVENTS,
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

/// Heap bytes in use, kept by a counting global allocator where the program installs one
/// (the `kubesim` binary does); see [`set_heap_counted`].
pub static HEAP_BYTES: AtomicU64 = AtomicU64::new(0);
static HEAP_COUNTED: AtomicBool = AtomicBool::new(false);

/// Declares that [`HEAP_BYTES`] is kept up to date by the global allocator, so the memory
/// check reads it instead of the resident set size.
pub fn set_heap_counted() {
    HEAP_COUNTED.store(true, Ordering::Relaxed);
}

/// Memory in use [bytes]: the counted heap, else the resident set (Linux), else `None`.
pub fn memory_in_use() -> Option<u64> {
    if HEAP_COUNTED.load(Ordering::Relaxed) {
        return Some(HEAP_BYTES.load(Ordering::Relaxed));
    }
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// One part of the estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// The scenario field that drives it.
    pub field: String,
    /// What it counts, e.g. "100000 pods".
    pub what: String,
    /// Events.
    pub events: f64,
    /// Memory [bytes].
    pub memory: f64,
}

/// The estimate of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Its parts.
    pub terms: Vec<Term>,
}

impl Estimate {
    fn add(&mut self, field: impl Into<String>, what: String, events: f64, memory: f64) {
        self.terms.push(Term {
            field: field.into(),
            what,
            events: events.max(0.0),
            memory: memory.max(0.0),
        });
    }

    /// Estimated events.
    pub fn events(&self) -> f64 {
        self.terms.iter().map(|t| t.events).sum()
    }

    /// Estimated memory [bytes].
    pub fn memory(&self) -> f64 {
        BASE_BYTES + self.terms.iter().map(|t| t.memory).sum::<f64>()
    }

    fn top(&self, key: impl Fn(&Term) -> f64) -> Option<&Term> {
        self.terms
            .iter()
            .fold(None, |best: Option<&Term>, t| match best {
                Some(b) if key(b) >= key(t) => Some(b),
                _ => Some(t),
            })
    }

    /// An error naming the largest term if the estimate is above `limits`.
    pub fn check(&self, limits: &Limits) -> Result<()> {
        let events = self.events();
        if limits.max_events > 0 && events > limits.max_events as f64 {
            let t = self.top(|t| t.events).expect("events come from terms");
            return Err(Error::scenario(
                t.field.clone(),
                format!(
                    "the run would process about {} events ({} from this field: {}), more than \
                     the limit of {} events; lower the field, or raise the limit with \
                     --max-events N (0: no limit)",
                    sci(events),
                    sci(t.events),
                    t.what,
                    limits.max_events
                ),
            ));
        }
        let memory = self.memory();
        if limits.max_memory > 0 && memory > limits.max_memory as f64 {
            let t = self.top(|t| t.memory).expect("memory comes from terms");
            return Err(Error::scenario(
                t.field.clone(),
                format!(
                    "the run would need about {} of memory ({} for this field: {}), more than \
                     the limit of {}; lower the field, or raise the limit with --max-memory \
                     SIZE (e.g. 16Gi; 0: no limit)",
                    bytes(memory),
                    bytes(t.memory),
                    t.what,
                    bytes(limits.max_memory as f64)
                ),
            ));
        }
        Ok(())
    }
}

/// `x` with three significant digits (`1.23e12`), plain below a million.
fn sci(x: f64) -> String {
    if x < 1e6 {
        format!("{x:.0}")
    } else {
        format!("{x:.2e}")
    }
}

/// A byte count in MiB or GiB.
fn bytes(x: f64) -> String {
    let mib = x / (1024.0 * 1024.0);
    if mib < 1024.0 {
        format!("{mib:.0} MiB")
    } else if mib < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{:.2e} bytes", x)
    }
}

/// Mean of a duration distribution [ms] (at least 1).
pub fn mean_ms(d: &DurationDist) -> f64 {
    let m = match *d {
        DurationDist::Constant(c) => c as f64,
        DurationDist::Exponential { mean } => mean as f64,
        DurationDist::Uniform { min, max } => (min as f64 + max as f64) / 2.0,
        DurationDist::LogNormal { median, sigma } => median as f64 * (sigma * sigma / 2.0).exp(),
        // Γ(1 + 1/k) lies in [0.88, 1] for k ≥ 1 and grows for small k; the scale is a
        // fair guess at the order of magnitude.
        DurationDist::Weibull { scale, .. } => scale as f64,
    };
    if m.is_finite() { m.max(1.0) } else { 1.0 }
}

/// Nodes the scenario may have at once: pool counts (maximum sizes with the cluster
/// autoscaler), named nodes, and node lists (unknown here: `None` when there are any).
pub fn max_nodes(spec: &ScenarioSpec) -> (f64, bool) {
    let ca = spec.cluster_autoscaler.enabled;
    let pools: f64 = spec
        .node_pools
        .iter()
        .map(|p| {
            let max = if ca {
                p.max_size.unwrap_or(p.count)
            } else {
                p.count
            };
            f64::from(max.max(p.count))
        })
        .sum();
    (pools + spec.nodes.len() as f64, !spec.node_lists.is_empty())
}

/// The estimate of running `scenario` (see the module documentation).
pub fn estimate(scenario: &Scenario) -> Estimate {
    let spec = &scenario.spec;
    let mut e = Estimate::default();
    let duration = spec.duration.0 as f64;
    let from = |start: u64| (duration - start as f64).max(0.0);
    let (nodes, _) = max_nodes(spec);
    let pools = spec.node_pools.len() as f64;

    // Samples: one event each; rows for timeseries.csv (and nodes_by_group.csv per pool).
    let samples = duration / spec.sample_interval.0.max(1) as f64 + 1.0;
    let rows = samples
        * (1.0
            + if spec.cluster_autoscaler.enabled {
                pools
            } else {
                0.0
            });
    e.add(
        "sampleInterval",
        format!("{} samples", sci(samples)),
        samples,
        rows * BYTES_PER_ROW,
    );
    e.add(
        "nodePools",
        format!("{} nodes", sci(nodes)),
        nodes * 2.0,
        nodes * BYTES_PER_NODE,
    );

    // Pods alive at once (memory) and pods created (events), per workload.
    let mut alive = 0.0;
    let sync_ms = spec
        .hpa_controller
        .sync_period
        .map_or(15_000.0, |d| d.0.max(1) as f64);
    let logged = match spec.output.hpa_log {
        crate::scenario::spec::HpaLog::All => 1.0,
        crate::scenario::spec::HpaLog::Changes => 0.1,
    };
    let hpa = |e: &mut Estimate, field: String, start: u64| {
        let syncs = from(start) / sync_ms;
        e.add(
            field,
            format!("{} HPA syncs", sci(syncs)),
            syncs,
            syncs * logged * BYTES_PER_HPA_ROW,
        );
    };
    for (i, d) in spec.deployments.iter().enumerate() {
        let f = format!("deployments[{i}]");
        let min = d
            .hpa
            .as_ref()
            .map_or(0.0, |h| f64::from(h.min_replicas.unwrap_or(1).max(0)));
        let replicas = f64::from(d.replicas).max(min);
        alive += replicas;
        let rollouts = d.rollouts.len() as f64;
        e.add(
            format!("{f}.replicas"),
            format!("{} pods", sci(replicas * (1.0 + rollouts))),
            replicas * (1.0 + rollouts) * EVENTS_PER_POD,
            replicas * BYTES_PER_POD,
        );
        if d.hpa.is_some() {
            hpa(&mut e, format!("{f}.hpa"), d.start.0);
        }
        if d.load.is_some() {
            let tick = spec
                .hpa_controller
                .metric_resolution
                .map(|r| r.0)
                .filter(|&r| r > 0)
                .unwrap_or(15_000) as f64;
            let ticks = from(d.start.0) / tick;
            e.add(
                format!("{f}.load"),
                format!("{} load ticks", sci(ticks)),
                ticks,
                0.0,
            );
        }
        if let Some(c) = d.template.crash.as_ref().and_then(|c| c.mean_time_between) {
            let crashes = replicas * from(d.start.0) / c.0.max(1) as f64;
            e.add(
                format!("{f}.template.crash.meanTimeBetween"),
                format!("{} crashes", sci(crashes)),
                crashes * 3.0,
                0.0,
            );
        }
    }
    for (i, s) in spec.stateful_sets.iter().enumerate() {
        let f = format!("statefulSets[{i}]");
        let replicas = f64::from(s.replicas);
        alive += replicas;
        let rollouts = s.rollouts.len() as f64;
        e.add(
            format!("{f}.replicas"),
            format!("{} pods", sci(replicas * (1.0 + rollouts))),
            replicas * (1.0 + rollouts) * EVENTS_PER_POD,
            replicas * BYTES_PER_POD,
        );
        if s.hpa.is_some() {
            hpa(&mut e, format!("{f}.hpa"), s.start.0);
        }
    }
    for (i, d) in spec.daemon_sets.iter().enumerate() {
        alive += nodes;
        let rollouts = d.rollouts.len() as f64;
        e.add(
            format!("daemonSets[{i}]"),
            format!("{} pods (one per node)", sci(nodes * (1.0 + rollouts))),
            nodes * (1.0 + rollouts) * EVENTS_PER_POD,
            nodes * BYTES_PER_POD,
        );
    }
    for (i, j) in spec.jobs.iter().enumerate() {
        alive += f64::from(j.parallelism.min(j.completions));
        let pods = f64::from(j.completions);
        e.add(
            format!("jobs[{i}].completions"),
            format!("{} pods", sci(pods)),
            pods * EVENTS_PER_POD,
            f64::from(j.parallelism.min(j.completions)) * BYTES_PER_POD,
        );
    }
    for (i, c) in spec.cron_jobs.iter().enumerate() {
        // At most one run a minute (cron's resolution).
        let runs = from(0) / 60_000.0 + 1.0;
        let per_run = f64::from(c.job_template.completions.max(1));
        e.add(
            format!("cronJobs[{i}].schedule"),
            format!("{} pods (at most one run a minute)", sci(runs * per_run)),
            runs * per_run * EVENTS_PER_POD,
            f64::from(c.job_template.parallelism.max(1)) * BYTES_PER_POD,
        );
    }
    for (i, g) in spec.generators.iter().enumerate() {
        let span_s = from(g.start.0) / 1000.0;
        let pods = (g.count as f64).min(g.rate_per_second * span_s + 1.0);
        let life_s = g.duration.as_ref().map_or(span_s, |d| mean_ms(d) / 1000.0);
        let at_once = pods.min(g.rate_per_second * life_s + 1.0);
        alive += at_once;
        let field = if g.rate_per_second * span_s + 1.0 < g.count as f64 {
            format!("generators[{i}].ratePerSecond")
        } else {
            format!("generators[{i}].count")
        };
        e.add(
            field,
            format!("{} pods", sci(pods)),
            pods * EVENTS_PER_POD,
            at_once * BYTES_PER_POD,
        );
    }
    for (i, t) in spec.traces.iter().enumerate() {
        // A trace row is some 30 bytes or more; compressed files hold some 8 times more.
        let path = scenario.data_path(&t.path);
        let size = std::fs::metadata(&path).map_or(0, |m| m.len()) as f64;
        let factor = if t.path.ends_with(".gz") { 8.0 } else { 1.0 };
        let rows = size * factor / 30.0;
        let pods = t.max_pods.map_or(rows, |m| rows.min(m as f64));
        e.add(
            format!("traces[{i}].path"),
            format!("about {} pods", sci(pods)),
            pods * EVENTS_PER_POD,
            0.0,
        );
    }
    let bare = spec.pods.len() as f64;
    alive += bare;
    e.add(
        "pods",
        format!("{} pods", sci(bare)),
        bare * EVENTS_PER_POD,
        0.0,
    );

    // Disruptions: every failure or interruption takes its node's pods with it.
    let pods_per_node = if nodes > 0.0 { alive / nodes } else { 0.0 };
    let per_outage = 4.0 + pods_per_node * EVENTS_PER_POD;
    for (i, p) in spec.node_pools.iter().enumerate() {
        let count = f64::from(p.count.max(p.max_size.unwrap_or(0)));
        if let Some(f) = &p.failures {
            let cycle =
                mean_ms(&f.time_between_failures) + f.repair_time.as_ref().map_or(0.0, mean_ms);
            let n = count * duration / cycle.max(1.0);
            e.add(
                format!("nodePools[{i}].failures.timeBetweenFailures"),
                format!("{} node failures", sci(n)),
                n * per_outage,
                n * 64.0,
            );
        }
        if let Some(s) = &p.interruptions {
            let per_day = match (&s.rate, &s.time_between) {
                (Some(r), _) => *r,
                (None, Some(d)) => crate::engine::time::MS_PER_DAY as f64 / mean_ms(d),
                (None, None) => 0.0,
            };
            let n = count * per_day * duration / crate::engine::time::MS_PER_DAY as f64;
            let field = if s.rate.is_some() {
                "rate"
            } else {
                "timeBetween"
            };
            e.add(
                format!("nodePools[{i}].interruptions.{field}"),
                format!("{} spot interruptions", sci(n)),
                n * per_outage,
                n * 64.0,
            );
        }
    }
    let faults = spec.faults.len() as f64;
    e.add(
        "faults",
        format!("{} faults", sci(faults)),
        faults * (4.0 + alive * EVENTS_PER_POD / nodes.max(1.0) * 8.0),
        0.0,
    );
    if spec.cluster_autoscaler.enabled {
        let scans = duration / spec.cluster_autoscaler.scan_interval.0.max(1) as f64;
        e.add(
            "clusterAutoscaler.scanInterval",
            format!("{} scans", sci(scans)),
            scans,
            0.0,
        );
    }
    e
}

/// Refuses `scenario` when its estimate is above its limits (see [`Estimate::check`]).
pub fn check_estimate(scenario: &Scenario) -> Result<()> {
    estimate(scenario)
        .check(&scenario.limits)
        .map_err(|e| e.in_file(&scenario.path))
}

/// The check of a running simulation against its limits, every [`CHECK_EVERY`] events.
#[derive(Clone, Copy, Debug)]
pub struct RunBudget {
    /// The limits.
    pub limits: Limits,
    /// Event count at which to check next.
    pub next_check: u64,
}

impl Default for RunBudget {
    fn default() -> Self {
        RunBudget::new(Limits::default())
    }
}

impl RunBudget {
    /// A budget with `limits`.
    pub fn new(limits: Limits) -> Self {
        let mut b = RunBudget {
            limits,
            next_check: 0,
        };
        b.schedule(0);
        b
    }

    /// The next check: after [`CHECK_EVERY`] more events, or just past the event limit.
    fn schedule(&mut self, events: u64) {
        let mut next = events.saturating_add(CHECK_EVERY);
        if self.limits.max_events > 0 && events <= self.limits.max_events {
            next = next.min(self.limits.max_events + 1);
        }
        self.next_check = next;
    }

    /// Checks `events` processed so far at simulated time `now_ms`; schedules the next check.
    #[cold]
    pub fn check(&mut self, events: u64, now_ms: u64) -> Result<()> {
        self.schedule(events);
        let l = self.limits;
        if l.max_events > 0 && events > l.max_events {
            return Err(Error::scenario(
                "duration",
                format!(
                    "the run stopped at simulated time {} s after {events} events, more than \
                     the limit of {} events; shorten the run, or raise the limit with \
                     --max-events N (0: no limit)",
                    now_ms / 1000,
                    l.max_events
                ),
            ));
        }
        if l.max_memory > 0
            && let Some(m) = memory_in_use()
            && m > l.max_memory
        {
            return Err(Error::scenario(
                "duration",
                format!(
                    "the run stopped at simulated time {} s after {events} events: it uses {} \
                     of memory, more than the limit of {}; shrink the scenario, or raise the \
                     limit with --max-memory SIZE (e.g. 16Gi; 0: no limit)",
                    now_ms / 1000,
                    bytes(m as f64),
                    bytes(l.max_memory as f64)
                ),
            ));
        }
        Ok(())
    }
}

/// Parses a `--max-memory` value: bytes, or a number with a binary (`Ki`, `Mi`, `Gi`, `Ti`)
/// or decimal (`k`, `M`, `G`, `T`) suffix; `0` is no limit.
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let factor: f64 = match unit {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} (use Ki, Mi, Gi, Ti or k, M, G, T)"
            ));
        }
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size such as 4Gi or 500M"))?;
    let v = n * factor;
    if !v.is_finite() || v >= u64::MAX as f64 {
        return Err(format!("{s:?} is too large"));
    }
    Ok(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(path: &str, set: &[&str]) -> Scenario {
        let set: Vec<String> = set.iter().map(|s| (*s).to_owned()).collect();
        Scenario::load(path.as_ref(), &set).unwrap()
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4Gi"), Ok(4 << 30));
        assert_eq!(parse_size("500M"), Ok(500_000_000));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1.5Ki"), Ok(1536));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("4GB").is_err());
    }

    #[test]
    fn huge_generators_are_refused_naming_the_field() {
        let s = load(
            "scenarios/synthetic-100k.yaml",
            &[
                "generators[0].count=1000000000000",
                "generators[0].ratePerSecond=100000",
            ],
        );
        let err = check_estimate(&s).unwrap_err().to_string();
        assert!(err.contains("field `generators[0].ratePerSecond`"), "{err}");
        assert!(err.contains("--max-events"), "{err}");
    }

    #[test]
    fn shipped_scenarios_and_benches_fit_the_default_budget() {
        let files = std::fs::read_dir("scenarios")
            .unwrap()
            .chain(std::fs::read_dir("benches").unwrap());
        for f in files {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "yaml") {
                let s = Scenario::load(&p, &[]).unwrap();
                let e = estimate(&s);
                assert!(
                    e.events() < DEFAULT_MAX_EVENTS as f64 / 10.0,
                    "{}: {}",
                    p.display(),
                    e.events()
                );
                assert!(
                    e.memory() < DEFAULT_MAX_MEMORY as f64 / 10.0,
                    "{}",
                    p.display()
                );
            }
        }
    }

    #[test]
    fn the_run_check_stops_past_the_event_limit() {
        let mut b = RunBudget::new(Limits {
            max_events: 100,
            max_memory: 0,
        });
        assert_eq!(b.next_check, 101);
        assert!(b.check(50, 0).is_ok());
        assert_eq!(b.next_check, 101);
        let err = b.check(101, 5000).unwrap_err().to_string();
        assert!(err.contains("after 101 events"), "{err}");
    }

    #[test]
    fn the_run_check_stops_past_the_memory_limit() {
        let mut b = RunBudget::new(Limits {
            max_events: 0,
            max_memory: 1,
        });
        if memory_in_use().is_some() {
            let err = b.check(10, 0).unwrap_err().to_string();
            assert!(err.contains("--max-memory"), "{err}");
        }
    }
}

//! The `kubesim` command line.

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kubesim::{Registry, Scenario};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod counting_alloc;

#[global_allocator]
static ALLOCATOR: counting_alloc::Counting = counting_alloc::Counting;

/// kubesim: a discrete-event simulator of Kubernetes-style clusters.
#[derive(Parser)]
#[command(name = "kubesim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output format of `explain`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// A table for the terminal.
    Table,
    /// JSON: {"pod", "time_ms", "chosen", "nodes": [{"node", "feasible", "reasons", "scores", "total"}]}.
    Json,
}

/// Options shared by `run` and `compare`.
#[derive(Args)]
struct RunOptions {
    /// Master random seed (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Output folder (default: results/<scenario name>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override a scenario field, e.g. --set scheduler.name=best-fit or
    /// --set nodePools[0].count=20 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Do not draw the progress bar.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    budget: BudgetOptions,
}

/// The work budget of a run (see docs/limits.md).
#[derive(Args)]
struct BudgetOptions {
    /// Refuse or stop a run that would process more events than this (0: no limit).
    #[arg(long, value_name = "N", default_value_t = kubesim::budget::DEFAULT_MAX_EVENTS)]
    max_events: u64,
    /// Refuse or stop a run that would use more memory than this, e.g. 16Gi (0: no limit).
    #[arg(long, value_name = "SIZE", default_value = "4Gi",
          value_parser = kubesim::budget::parse_size)]
    max_memory: u64,
}

impl BudgetOptions {
    fn limits(&self) -> kubesim::budget::Limits {
        kubesim::budget::Limits {
            max_events: self.max_events,
            max_memory: self.max_memory,
        }
    }
}

impl RunOptions {
    /// Loads the scenario with the overrides; returns it with the seed and output folder.
    fn load(&self, scenario: &std::path::Path) -> kubesim::Result<(Scenario, u64, PathBuf)> {
        let mut s = Scenario::load(scenario, &self.set)?;
        s.limits = self.budget.limits();
        print_warnings(&s);
        let seed = self.seed.unwrap_or(s.spec.seed);
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("results").join(&s.spec.name));
        Ok((s, seed, out))
    }
}

/// The progress bar of a run (see [`progress_bar`]), shown once the run has taken a second.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    fn new(total: u64, quiet: bool) -> Self {
        Progress {
            bar: progress_bar(total, quiet),
            started: Instant::now(),
        }
    }

    fn set(&self, position: u64) {
        if let Some(bar) = &self.bar
            && self.started.elapsed() > Duration::from_secs(1)
        {
            if bar.is_hidden() {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.set_position(position);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write summary.csv, timeseries.csv and charts.
    Run {
        /// Scenario YAML file.
        scenario: PathBuf,
        #[command(flatten)]
        opts: RunOptions,
    },
    /// Run the same scenario and seed under several schedulers and compare them
    /// (writes comparison.csv and comparison.svg).
    Compare {
        /// Scenario YAML file.
        scenario: PathBuf,
        /// Comma-separated scheduler names to compare (e.g. default-scheduler,best-fit,random);
        /// default: the scenario's `variants`.
        #[arg(long, value_delimiter = ',')]
        scheduler: Vec<String>,
        #[command(flatten)]
        opts: RunOptions,
    },
    /// Explain a pod's placement: every node's filter verdict and reasons, each score plugin's
    /// normalized score, the weighted totals and the chosen node.
    Explain {
        /// Scenario YAML file.
        scenario: PathBuf,
        /// Pod name, e.g. web-3 or openb-pod-0042.
        #[arg(long)]
        pod: String,
        /// Explain the pod at this simulated time (e.g. 90s, 1h30m) instead of at the moment it
        /// is first scheduled.
        #[arg(long)]
        at: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Master random seed (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a scenario field (as for `run`).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Convert Kubernetes manifests (files or folders of YAML/JSON objects) into an editable
    /// native scenario.
    Import {
        /// Manifest files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The scenario file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Run a scenario over a grid of overrides and a list of seeds (in parallel, or one shard
    /// of it) and write sweep.csv, points.csv (mean, std, 95% CI per grid point) and sweep.svg.
    Sweep(Box<SweepArgs>),
    /// Merge the shard folders of a sweep into the whole sweep's folder.
    Merge {
        /// Shard folders (each with sweep.csv and sweep.json).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder of the merged sweep.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a scenario (schema, values, referenced files) without running it.
    Validate {
        /// Scenario YAML file.
        scenario: PathBuf,
        /// Override a scenario field (as for `run`).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        budget: BudgetOptions,
    },
}

/// `kubesim import`: converts manifests, writes the scenario and checks that it loads.
fn import_command(paths: &[PathBuf], output: &std::path::Path) -> kubesim::Result<()> {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let converted = kubesim::manifests::load(&names, std::path::Path::new("."))?;
    for w in &converted.warnings {
        eprintln!("warning: {w}");
    }
    // The configuration file is named relative to the written scenario's folder.
    let config = match &converted.scheduler_file {
        Some(f) => {
            let f = std::fs::canonicalize(f).map_err(|e| kubesim::Error::io(f, e))?;
            let out_dir = output
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let out_dir =
                std::fs::canonicalize(out_dir).map_err(|e| kubesim::Error::io(out_dir, e))?;
            Some(kubesim::manifests::emit::relative_path(&out_dir, &f))
        }
        None => None,
    };
    let text = kubesim::manifests::emit::scenario_yaml(&converted, config.as_deref())?;
    kubesim::report::atomic::write_file(output, text.as_bytes())?;
    // The written scenario must load and build as it is.
    let check = Scenario::load(output, &[]).and_then(|s| {
        kubesim::scenario::build::build(&s, s.spec.seed, &Registry::with_builtins()).map(|_| ())
    });
    check.map_err(|e| kubesim::Error::Usage(format!("the written scenario does not load: {e}")))?;
    print_text(&format!(
        "{}: {} nodes, {} deployments, {} statefulSets, {} daemonSets, {} jobs, {} cronJobs, \
         {} pods\n",
        output.display(),
        converted.nodes.len(),
        converted.deployments.len(),
        converted.stateful_sets.len(),
        converted.daemon_sets.len(),
        converted.jobs.len(),
        converted.cron_jobs.len(),
        converted.pods.len()
    ))
}

/// Prints the warnings of loading a scenario (its manifests' ignored fields, pods no profile
/// schedules) on stderr, never into results.
fn print_warnings(s: &Scenario) {
    for w in s.warnings.iter().cloned().chain(s.scheduler_warnings()) {
        eprintln!("warning: {w}");
    }
}

fn main() -> ExitCode {
    kubesim::budget::set_heap_counted();
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn execute(cli: Cli) -> kubesim::Result<()> {
    match cli.command {
        Command::Import { paths, output } => import_command(&paths, &output),
        Command::Validate {
            scenario,
            set,
            budget,
        } => {
            let mut s = Scenario::load(&scenario, &set)?;
            s.limits = budget.limits();
            print_warnings(&s);
            // Building opens every referenced data file and constructs the scheduler.
            kubesim::scenario::build::build(&s, s.spec.seed, &Registry::with_builtins())?;
            for v in &s.spec.variants {
                let variant = s.variant(v)?;
                kubesim::scenario::build::build(&variant, s.spec.seed, &Registry::with_builtins())
                    .map_err(|e| kubesim::Error::Usage(format!("variant {:?}: {e}", v.name)))?;
            }
            if s.spec.sweep.is_some() {
                kubesim::sweep::plan::Plan::new(s.clone(), &[], None)?.check_points()?;
            }
            print_text(&format!("{}: ok\n", scenario.display()))
        }
        Command::Compare {
            scenario,
            scheduler,
            opts,
        } => compare_command(&scenario, &scheduler, &opts),
        Command::Explain {
            scenario,
            pod,
            at,
            format,
            seed,
            set,
        } => {
            let s = Scenario::load(&scenario, &set)?;
            let at = at
                .map(|t| {
                    kubesim::engine::time::parse_duration_ms(&t)
                        .map(kubesim::SimTime)
                        .map_err(|e| kubesim::Error::Usage(format!("--at: {e}")))
                })
                .transpose()?;
            let seed = seed.unwrap_or(s.spec.seed);
            let registry = Registry::with_builtins();
            let explanation = kubesim::explain(&s, seed, &registry, &pod, at)?;
            let text = match format {
                Format::Table => explanation.table(&s.spec.scheduler.name),
                Format::Json => {
                    let mut j = serde_json::to_string_pretty(&explanation)
                        .map_err(|e| kubesim::Error::Usage(format!("JSON encoding failed: {e}")))?;
                    j.push('\n');
                    j
                }
            };
            print_text(&text)
        }
        Command::Sweep(args) => sweep_command(&args),
        Command::Merge { dirs, out } => {
            let written = kubesim::sweep::merge_sweep(&dirs, &out)?;
            let mut text = written.report;
            for f in written.files {
                text.push_str(&format!("wrote {f}\n"));
            }
            print_text(&text)
        }
        Command::Run { scenario, opts } => {
            let (s, seed, out) = opts.load(&scenario)?;
            let progress = Progress::new(s.spec.duration.0, opts.quiet);
            let result = kubesim::run(&s, seed, &Registry::with_builtins(), &mut |t| {
                progress.set(t.as_ms())
            });
            progress.finish();
            let result = result?;
            let files = kubesim::report::write_result_outputs(&out, &result, s.spec.output.charts)?;
            let mut text = summary_text(&result.summary, &result.work);
            for f in files {
                text.push_str(&format!("wrote {f}\n"));
            }
            print_text(&text)
        }
    }
}

/// A bar that stays hidden until the run has taken a second, and never appears when stderr is
/// not a terminal.
fn progress_bar(end_ms: u64, quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(end_ms), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {percent:>3}% simulated  [{elapsed_precise}, eta {eta}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// Writes to stdout; a closed pipe (e.g. `| head`) is not an error.
fn print_text(text: &str) -> kubesim::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(kubesim::Error::Usage(
            format!("cannot write to standard output: {e}"),
        )),
        _ => Ok(()),
    }
}

/// The run summary shown on the terminal.
fn summary_text(s: &kubesim::RunSummary, work: &kubesim::engine::work::WorkCounters) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "scenario {} | scheduler {} | seed {}",
        s.scenario, s.scheduler, s.seed
    );
    let _ = writeln!(
        t,
        "  simulated {:.0} s in {:.3} s wall ({} events; {work})",
        s.sim_duration_s, s.wall_time_s, s.events_processed
    );
    let _ = writeln!(
        t,
        "  nodes mean {:.1} peak {} (in use mean {:.1} peak {}) | cpu requested {:.1}% | memory requested {:.1}% | gpu requested {:.1}%",
        s.nodes_mean,
        s.nodes_peak,
        s.nodes_in_use_mean,
        s.nodes_in_use_peak,
        100.0 * s.cpu_requested_ratio,
        100.0 * s.memory_requested_ratio,
        100.0 * s.gpu_requested_ratio
    );
    let _ = writeln!(
        t,
        "  stranded cpu {:.1}% memory {:.1}% gpu {:.1}% (probe: {} cores, {:.2} GiB, {} GPUs)",
        100.0 * s.cpu_stranded_ratio,
        100.0 * s.memory_stranded_ratio,
        100.0 * s.gpu_stranded_ratio,
        s.fragmentation_probe_cpu_cores,
        s.fragmentation_probe_memory_gib,
        s.fragmentation_probe_gpu
    );
    let _ = writeln!(
        t,
        "  pods created {} scheduled {} pending at end {} | pending time p50 {:.1} s p95 {:.1} s p99 {:.1} s max {:.1} s",
        s.pods_created,
        s.pods_scheduled,
        s.pods_pending_at_end,
        s.pending_time_p50_s,
        s.pending_time_p95_s,
        s.pending_time_p99_s,
        s.pending_time_max_s
    );
    if s.requests_total > 0.0 {
        let _ = writeln!(
            t,
            "  requests {:.0} | unserved {:.0} ({:.3}%) | cost per million served requests {:.4} USD",
            s.requests_total,
            s.requests_unserved,
            100.0 * s.unserved_ratio,
            s.cost_per_million_requests_usd.unwrap_or(0.0)
        );
    }
    if s.incidents > 0 || s.node_failures > 0 || s.spot_interruptions > 0 || s.evictions > 0 {
        let secs = |v: Option<f64>| v.map_or("-".to_owned(), |x| format!("{x:.0} s"));
        let _ = writeln!(
            t,
            "  node failures {} spot interruptions {} | incidents {} (open {}) MTTR mean {} p95 {} max {} | availability {} (>= 1 ready {}) | evictions {} (blocked {}) | batch work lost {:.1} h",
            s.node_failures,
            s.spot_interruptions,
            s.incidents,
            s.incidents_open_at_end,
            secs(s.mttr_mean_s),
            secs(s.mttr_p95_s),
            secs(s.mttr_max_s),
            s.availability_mean
                .map_or("-".to_owned(), |a| format!("{:.4}%", 100.0 * a)),
            s.any_ready_mean
                .map_or("-".to_owned(), |a| format!("{:.4}%", 100.0 * a)),
            s.evictions,
            s.evictions_blocked,
            s.lost_work_s / 3600.0
        );
    }
    let _ = writeln!(
        t,
        "  cost {:.2} USD ({:.2} USD/h)",
        s.cost_usd, s.cost_per_hour_usd
    );
    if s.nodes_added > 0 || s.nodes_removed > 0 {
        let _ = writeln!(
            t,
            "  nodes added {} removed {} | pods evicted {} | monthly projection {:.2} USD",
            s.nodes_added, s.nodes_removed, s.pods_evicted, s.monthly_projection_usd
        );
    }
    t
}

/// `kubesim compare`: runs each variant on the same scenario and seed.
fn compare_command(
    scenario: &std::path::Path,
    scheduler: &[String],
    opts: &RunOptions,
) -> kubesim::Result<()> {
    use kubesim::scenario::spec::SchedulerSpec;
    let (s, seed, out) = opts.load(scenario)?;
    let variants: Vec<(String, kubesim::Scenario)> = if scheduler.is_empty() {
        s.spec
            .variants
            .iter()
            .map(|v| Ok((v.name.clone(), s.variant(v)?)))
            .collect::<kubesim::Result<_>>()?
    } else {
        scheduler
            .iter()
            .map(|name| {
                let name = name.trim().to_owned();
                let mut v = s.clone();
                v.spec.scheduler = SchedulerSpec {
                    name: name.clone(),
                    ..s.spec.scheduler.clone()
                };
                (name, v)
            })
            .collect()
    };
    if variants.is_empty() {
        return Err(kubesim::Error::Usage(format!(
            "{}: nothing to compare; give --scheduler A,B,... or a `variants` list in the scenario",
            scenario.display()
        )));
    }
    let end = s.spec.duration.0;
    let progress = Progress::new(end * variants.len() as u64, opts.quiet);
    let names: Vec<String> = variants.iter().map(|v| v.0.clone()).collect();
    let results = kubesim::compare_scenarios(
        &variants,
        seed,
        &Registry::with_builtins(),
        &mut |variant, t| {
            let done = names.iter().position(|n| n == variant).unwrap_or(0) as u64;
            progress.set(done * end + t.as_ms());
        },
    );
    progress.finish();
    let results = results?;
    let title = format!("{} (seed {seed})", s.spec.name);
    let files =
        kubesim::report::compare::write_comparison(&out, &title, &results, s.spec.output.charts)?;
    let mut text = format!(
        "scenario {} | seed {seed} | {} variants on the same workload\n",
        s.spec.name,
        results.len()
    );
    text.push_str(&kubesim::report::compare::comparison_table(&results));
    for f in files {
        text.push_str(&format!("wrote {f}\n"));
    }
    print_text(&text)
}

/// What `sweep` keeps of each run.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SweepOutputs {
    /// Only the summary row of each run (sweep.csv).
    Summary,
    /// Also every output of `kubesim run` per run, in runs/<run id>/.
    All,
}

/// Arguments of `kubesim sweep`.
#[derive(Args)]
struct SweepArgs {
    /// Scenario YAML file.
    scenario: PathBuf,
    /// A grid axis: an override path and its values, e.g.
    /// --grid 'deployments[name=web].replicas=2,4,8' (repeatable; replaces the scenario's
    /// `sweep.grid`).
    #[arg(long = "grid", value_name = "PATH=V1,V2,...")]
    grid: Vec<String>,
    /// Seeds run at every grid point: a..b (both included) or a list 1,2,7 (default: the
    /// scenario's `sweep.seeds`, else its `seed`).
    #[arg(long)]
    seeds: Option<String>,
    /// Runs at once (threads; each run is single-threaded). Default: the cores available.
    #[arg(long)]
    jobs: Option<usize>,
    /// Per-run outputs: summary (sweep.csv rows only) or all (runs/<run id>/ folders too).
    #[arg(long, value_enum, default_value_t = SweepOutputs::Summary)]
    outputs: SweepOutputs,
    /// Run only shard I of N (0-based: 0/16 .. 15/16); merge the shard folders afterwards.
    #[arg(long, value_name = "I/N", conflicts_with = "shard_from_env")]
    shard: Option<String>,
    /// Take the shard index from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or
    /// SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (Slurm array).
    #[arg(long)]
    shard_from_env: bool,
    /// Number of shards for --shard-from-env (default for Slurm: SLURM_ARRAY_TASK_COUNT).
    #[arg(long, requires = "shard_from_env")]
    shards: Option<usize>,
    /// Rerun one run (e.g. p3-s17) and write all its outputs, as `kubesim run` does.
    #[arg(long, value_name = "RUN_ID", conflicts_with_all = ["shard", "shard_from_env", "emit_job"])]
    run: Option<String>,
    /// Print the run ids and the equivalent `kubesim run` commands, and run nothing.
    #[arg(long)]
    list: bool,
    /// Print a Kubernetes batch/v1 Indexed Job running the sweep as N shards, and run nothing.
    #[arg(long, value_name = "N", conflicts_with_all = ["shard", "shard_from_env", "list"])]
    emit_job: Option<usize>,
    /// --emit-job: the container image holding kubesim and the scenario.
    #[arg(long, default_value = "kubesim:latest")]
    image: String,
    /// --emit-job: the kubesim executable in the image.
    #[arg(long = "command", default_value = "kubesim")]
    executable: String,
    /// --emit-job: the PersistentVolumeClaim the shards write to.
    #[arg(long, default_value = "kubesim-results")]
    pvc: String,
    /// --emit-job: where the claim is mounted in the pods.
    #[arg(long, default_value = "/results")]
    mount_path: String,
    /// --emit-job: pods running at once (default: all shards).
    #[arg(long)]
    parallelism: Option<usize>,
    /// --emit-job: the Job's name (default: kubesim-sweep-<scenario name>).
    #[arg(long)]
    job_name: Option<String>,
    /// Output folder (default: results/<scenario name>/sweep, or .../sweep-shard-<I> for a
    /// shard, .../runs/<run id> for --run). With a shard, `{shard}` in it stands for the index.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override a scenario field (as for `run`), applied before the grid's overrides.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    #[command(flatten)]
    budget: BudgetOptions,
    /// Do not draw the progress bar.
    #[arg(long)]
    quiet: bool,
}

/// `kubesim sweep`.
fn sweep_command(a: &SweepArgs) -> kubesim::Result<()> {
    use kubesim::sweep::{job, plan::Plan, run::RunId, run::RunOutputs, shard::Shard};
    let mut s = Scenario::load(&a.scenario, &a.set)?;
    s.limits = a.budget.limits();
    print_warnings(&s);
    let plan = Plan::new(s, &a.grid, a.seeds.as_deref())?;
    let name = plan.scenario.spec.name.clone();
    let base = PathBuf::from("results").join(&name);
    if let Some(id) = &a.run {
        let id: RunId = id.parse()?;
        if !plan.runs().contains(&id) {
            return Err(kubesim::Error::Usage(format!(
                "--run {id}: not a run of this sweep ({} points, seeds {})",
                plan.grid().points(),
                a.seeds.as_deref().unwrap_or("as in the scenario")
            )));
        }
        let scenario = plan.point_scenario(id.point)?;
        let result = kubesim::run(&scenario, id.seed, &Registry::with_builtins(), &mut |_| {})?;
        let out = a
            .out
            .clone()
            .unwrap_or_else(|| base.join("runs").join(id.to_string()));
        let files =
            kubesim::report::write_result_outputs(&out, &result, scenario.spec.output.charts)?;
        let mut text = format!("run {id}: {}\n", plan.run_command(id));
        text.push_str(&summary_text(&result.summary, &result.work));
        for f in files {
            text.push_str(&format!("wrote {f}\n"));
        }
        return print_text(&text);
    }
    if a.list || a.emit_job.is_some() {
        plan.check_points()?;
    }
    if let Some(n) = a.emit_job {
        let mut sweep_args = Vec::new();
        for s in &a.set {
            sweep_args.extend(["--set".to_owned(), s.clone()]);
        }
        for g in &a.grid {
            sweep_args.extend(["--grid".to_owned(), g.clone()]);
        }
        if let Some(seeds) = &a.seeds {
            sweep_args.extend(["--seeds".to_owned(), seeds.clone()]);
        }
        if a.outputs == SweepOutputs::All {
            sweep_args.extend(["--outputs".to_owned(), "all".to_owned()]);
        }
        let options = job::JobOptions {
            name: a
                .job_name
                .clone()
                .unwrap_or_else(|| job::dns_label(&format!("kubesim-sweep-{name}"))),
            shards: n,
            parallelism: a.parallelism.unwrap_or(n),
            image: a.image.clone(),
            command: a.executable.clone(),
            scenario: a.scenario.display().to_string(),
            sweep_args,
            jobs: a.jobs.unwrap_or(1),
            pvc: a.pvc.clone(),
            mount_path: a.mount_path.clone(),
            out_prefix: "sweep".to_owned(),
        };
        return print_text(&job::job_yaml(&options)?);
    }
    let shard = match (&a.shard, a.shard_from_env) {
        (Some(text), _) => Some(Shard::parse(text)?),
        (None, true) => Some(Shard::from_env(a.shards, &|v| std::env::var(v).ok())?),
        (None, false) => None,
    };
    let in_shard = |k: usize| shard.is_none_or(|s| s.owns(k));
    if a.list {
        let mut text = String::new();
        for (k, id) in plan.runs().into_iter().enumerate() {
            if in_shard(k) {
                text.push_str(&format!("{id}  {}\n", plan.run_command(id)));
            }
        }
        return print_text(&text);
    }
    // `{shard}` in --out stands for the shard index (the Job's pods need no shell for it).
    let out = match (&a.out, shard) {
        (Some(o), Some(s)) => PathBuf::from(
            o.display()
                .to_string()
                .replace("{shard}", &s.index.to_string()),
        ),
        (Some(o), None) => o.clone(),
        (None, Some(s)) => base.join(format!("sweep-shard-{}", s.index)),
        (None, None) => base.join("sweep"),
    };
    let total = (0..plan.manifest.runs_total)
        .filter(|&k| in_shard(k))
        .count();
    let jobs = a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    if jobs == 0 {
        return Err(kubesim::Error::Usage("--jobs: at least 1".into()));
    }
    let bar = runs_bar(total as u64, a.quiet);
    let outputs = match a.outputs {
        SweepOutputs::Summary => RunOutputs::Summary,
        SweepOutputs::All => RunOutputs::All,
    };
    let written = kubesim::sweep::run_sweep(&plan, shard, jobs, outputs, &out, &|| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let written = written?;
    let mut text = format!(
        "sweep {name} | {} grid points x {} seeds = {} runs{} | hash {}\n",
        plan.grid().points(),
        plan.grid().seeds.len(),
        plan.manifest.runs_total,
        shard.map_or(String::new(), |s| format!(
            " | shard {}/{} ({total} runs)",
            s.index, s.count
        )),
        plan.manifest.hash
    );
    text.push_str(&written.report);
    for f in written.files {
        text.push_str(&format!("wrote {f}\n"));
    }
    print_text(&text)
}

/// A bar counting finished runs (never drawn when stderr is not a terminal).
fn runs_bar(total: u64, quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs  [{elapsed_precise}, eta {eta}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Some(bar)
}

//! Extending kubesim from outside the crate: a custom score plugin in a kube-scheduler-like
//! profile, and a whole custom `Scheduler`, both registered by name and compared against the
//! default profile on the quickstart scenario (same seed, same workload).
//!
//! Run with: `cargo run --release --example custom_plugin`

use kubesim::cluster::ClusterState;
use kubesim::cluster::node::Node;
use kubesim::cluster::pod::{Pod, PodId};
use kubesim::engine::rng::SimRng;
use kubesim::scenario::spec::SchedulerSpec;
use kubesim::scheduler::baselines::default_filters;
use kubesim::scheduler::framework::{Framework, WeightedScorer};
use kubesim::scheduler::plugins::node_resources_fit::NodeResourcesFit;
use kubesim::scheduler::plugins::{MAX_NODE_SCORE, ScorePlugin, default_normalize_score};
use kubesim::{Decision, Registry, Scenario, Scheduler, compare};

/// Score plugin: prefer nodes with a lower hourly price.
struct PreferCheapNodes;

impl ScorePlugin for PreferCheapNodes {
    fn name(&self) -> &str {
        "PreferCheapNodes"
    }

    /// Raw score: the node's price in milli-dollars per hour (lower is better, so normalize
    /// reverses it).
    fn score(&self, _pod: &Pod, node: &Node, cluster: &ClusterState) -> i64 {
        (cluster.pools[node.pool.0 as usize].hourly_price_usd * 1000.0).round() as i64
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
    }
}

/// A whole scheduler: the feasible node whose zone currently runs the fewest pods
/// (ties to the lowest node id). Feasibility reuses the built-in filter chain.
struct FewestPodsZone {
    filters: kubesim::scheduler::framework::FilterChain,
}

impl Scheduler for FewestPodsZone {
    fn name(&self) -> &str {
        "fewest-pods-zone"
    }

    fn schedule(&mut self, pod: PodId, cluster: &ClusterState, _rng: &mut SimRng) -> Decision {
        self.filters.prepare(pod, cluster);
        let zone_pods = |zone: &str| -> usize {
            cluster
                .live_nodes
                .iter()
                .map(|&n| &cluster.nodes[n.0 as usize])
                .filter(|n| cluster.pools[n.pool.0 as usize].zone == zone)
                .map(|n| n.pods.len())
                .sum()
        };
        cluster
            .live_nodes
            .iter()
            .copied()
            .filter(|&n| self.filters.check(pod, n, cluster).is_ok())
            .min_by_key(|&n| zone_pods(&cluster.pool_of(n).zone))
            .map_or(Decision::Unschedulable, Decision::Bind)
    }
}

fn main() -> kubesim::Result<()> {
    let mut registry = Registry::with_builtins();
    registry.register("cheap-first", |_spec, cluster| {
        let scorers = vec![
            WeightedScorer {
                plugin: Box::new(NodeResourcesFit::least_allocated()),
                weight: 1,
            },
            WeightedScorer {
                plugin: Box::new(PreferCheapNodes),
                weight: 5,
            },
        ];
        // 0 = upstream's adaptive percentageOfNodesToScore.
        Ok(Box::new(Framework::new(
            "cheap-first",
            default_filters(cluster),
            scorers,
            0,
        )))
    });
    registry.register("fewest-pods-zone", |_spec, cluster| {
        let filters = kubesim::scheduler::framework::FilterChain::new(default_filters(cluster));
        Ok(Box::new(FewestPodsZone { filters }))
    });

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.yaml");
    let scenario = Scenario::load(&path, &[])?;
    let variants: Vec<(String, SchedulerSpec)> =
        ["default-scheduler", "cheap-first", "fewest-pods-zone"]
            .iter()
            .map(|name| {
                (
                    name.to_string(),
                    SchedulerSpec {
                        name: name.to_string(),
                        ..SchedulerSpec::default()
                    },
                )
            })
            .collect();
    let results = compare(
        &scenario,
        scenario.spec.seed,
        &variants,
        &registry,
        &mut |_, _| {},
    )?;
    print!("{}", kubesim::report::compare::comparison_table(&results));
    Ok(())
}

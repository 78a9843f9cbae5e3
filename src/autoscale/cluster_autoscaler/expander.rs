//! Expanders: which node group to grow when several could help (cluster-autoscaler/expander).
//!
//! A comma-separated `--expander` list is a chain (expander/factory/chain.go): each expander
//! keeps its best options, the chain stops as soon as one option is left, and a random choice
//! breaks the remaining ties. A single expander is the same chain of one.

use crate::cluster::resources::Resources;
use crate::engine::rng::SimRng;
use rand::Rng;
use regex::Regex;

/// One expander strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expander {
    /// `random`: any option (expander/random).
    Random,
    /// `most-pods`: the options that schedule the most pending pods (expander/mostpods).
    MostPods,
    /// `least-waste`: the options that leave the least idle cpu and memory (expander/waste).
    LeastWaste,
    /// `least-nodes`: the options that add the fewest nodes (expander/leastnodes).
    LeastNodes,
    /// `price`: the cheapest node time per requested resources, adjusted for node size
    /// (expander/price).
    Price,
    /// `priority`: the node groups with the highest user priority (expander/priority).
    Priority,
}

/// Expander names accepted in `clusterAutoscaler.expander`.
pub const EXPANDER_NAMES: &[&str] = &[
    "random",
    "most-pods",
    "least-waste",
    "least-nodes",
    "price",
    "priority",
];

impl Expander {
    /// Parses an upstream expander name.
    pub fn parse(name: &str) -> Option<Expander> {
        Some(match name {
            "random" => Expander::Random,
            "most-pods" => Expander::MostPods,
            "least-waste" => Expander::LeastWaste,
            "least-nodes" => Expander::LeastNodes,
            "price" => Expander::Price,
            "priority" => Expander::Priority,
            _ => return None,
        })
    }

    /// The upstream name.
    pub fn name(self) -> &'static str {
        match self {
            Expander::Random => "random",
            Expander::MostPods => "most-pods",
            Expander::LeastWaste => "least-waste",
            Expander::LeastNodes => "least-nodes",
            Expander::Price => "price",
            Expander::Priority => "priority",
        }
    }
}

/// A scale-up option: grow one node group by `node_count` nodes to schedule `pods` pods.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpansionOption {
    /// Node group index.
    pub group: usize,
    /// Node group (pool) name.
    pub name: String,
    /// Nodes to add.
    pub node_count: u32,
    /// Pending pods the new nodes would take.
    pub pods: u32,
    /// Sum of those pods' requests (cpu [millicores], memory [bytes], gpu [milli-GPUs]).
    pub requested: Resources,
    /// Capacity of one node of the group (cpu [millicores], memory [bytes], gpu [milli-GPUs]).
    pub node_capacity: Resources,
    /// Price of one node of the group [USD/h] (the spot price for spot groups).
    pub node_price_usd_per_hour: f64,
}

/// The least-waste score (expander/waste/waste.go): with `avail = node capacity × node
/// count`, `(avail_cpu − req_cpu)/avail_cpu + (avail_mem − req_mem)/avail_mem`.
pub fn waste_score(o: &ExpansionOption) -> f64 {
    let count = f64::from(o.node_count);
    let avail_cpu = o.node_capacity.cpu_milli as f64 * count;
    let avail_mem = o.node_capacity.memory_bytes as f64 * count;
    (avail_cpu - o.requested.cpu_milli as f64) / avail_cpu
        + (avail_mem - o.requested.memory_bytes as f64) / avail_mem
}

/// GCE price model constants used for pod prices (cloudprovider/gce/gce_price_model.go):
/// USD per vCPU-hour, per GiB-hour and per GPU-hour.
pub const POD_CPU_PRICE_PER_HOUR: f64 = 0.033174;
/// See [`POD_CPU_PRICE_PER_HOUR`].
pub const POD_MEMORY_PRICE_PER_GIB_HOUR: f64 = 0.004446;
/// See [`POD_CPU_PRICE_PER_HOUR`].
pub const POD_GPU_PRICE_PER_HOUR: f64 = 0.700;
/// Unfitness given to GPU node groups (`gpuUnfitnessOverride`).
pub const GPU_UNFITNESS_OVERRIDE: f64 = 1000.0;

/// Theoretical price of running pods with these summed requests for one hour
/// (`GcePriceModel.PodPrice`).
pub fn pod_price(requests: &Resources) -> f64 {
    requests.cpu_milli as f64 / 1000.0 * POD_CPU_PRICE_PER_HOUR
        + requests.memory_bytes as f64 / (1u64 << 30) as f64 * POD_MEMORY_PRICE_PER_GIB_HOUR
        + requests.gpu_milli as f64 / 1000.0 * POD_GPU_PRICE_PER_HOUR
}

/// The preferred node's cpu [millicores] for a cluster of `nodes` nodes: doubled each time the
/// cluster triples (expander/price/preferred.go `SimplePreferredNodeProvider`).
pub fn preferred_node_cpu_milli(nodes: usize) -> u64 {
    match nodes {
        0..=2 => 1_000,
        3..=6 => 2_000,
        7..=20 => 4_000,
        21..=60 => 8_000,
        61..=200 => 16_000,
        _ => 32_000,
    }
}

/// The price expander's score, lower is better (expander/price/price.go):
/// `suppressedUnfitness × (nodePrice × count + stab) / (podPrice + stab)` with the price of a
/// 500m / 500Mi stabilization pod, cpu-only unfitness against the preferred node
/// (`max(pref/node, node/pref)`) suppressed as `(u − 1)(1 − tanh((count − 1)/15)) + 1`, and
/// unfitness 1000 for GPU node groups.
pub fn price_score(o: &ExpansionOption, cluster_nodes: usize) -> f64 {
    let stabilization = pod_price(&Resources::cpu_mem(500, 500 << 20));
    let node_price = o.node_price_usd_per_hour * f64::from(o.node_count);
    let price_sub_score = (node_price + stabilization) / (pod_price(&o.requested) + stabilization);
    let preferred = preferred_node_cpu_milli(cluster_nodes) as f64;
    let cpu = (o.node_capacity.cpu_milli as f64).max(1.0);
    let unfitness = (preferred / cpu).max(cpu / preferred);
    let mut suppressed =
        (unfitness - 1.0) * (1.0 - (f64::from(o.node_count.saturating_sub(1)) / 15.0).tanh()) + 1.0;
    if o.node_capacity.gpu_milli > 0 {
        suppressed = GPU_UNFITNESS_OVERRIDE;
    }
    suppressed * price_sub_score
}

/// Priority expander configuration: (priority, node group name patterns), highest first.
pub type Priorities = Vec<(i32, Vec<Regex>)>;

/// The highest priority whose patterns match `name` (unanchored search, like Go's
/// `FindStringIndex`).
fn priority_of(priorities: &Priorities, name: &str) -> Option<i32> {
    priorities
        .iter()
        .find(|(_, res)| res.iter().any(|re| re.is_match(name)))
        .map(|(p, _)| *p)
}

/// Keeps the candidates with the minimum of `score` (exact float ties kept).
fn keep_min(candidates: &mut Vec<usize>, score: impl Fn(usize) -> f64) {
    let best = candidates
        .iter()
        .map(|&i| score(i))
        .fold(f64::INFINITY, f64::min);
    candidates.retain(|&i| score(i) == best);
}

/// Runs the expander chain over `options` and returns the chosen index with a short
/// explanation. `cluster_nodes` is the current node count (price expander); `rng` breaks ties.
pub fn best_option(
    chain: &[Expander],
    options: &[ExpansionOption],
    priorities: &Priorities,
    cluster_nodes: usize,
    rng: &mut SimRng,
) -> Option<(usize, String)> {
    if options.is_empty() {
        return None;
    }
    let mut candidates: Vec<usize> = (0..options.len()).collect();
    let mut why = Vec::new();
    for &e in chain {
        if candidates.len() == 1 {
            break;
        }
        match e {
            Expander::Random => break,
            Expander::MostPods => {
                let best = candidates.iter().map(|&i| options[i].pods).max();
                candidates.retain(|&i| Some(options[i].pods) == best);
                why.push(format!("most-pods: {} pods", best.unwrap_or(0)));
            }
            Expander::LeastNodes => {
                let best = candidates.iter().map(|&i| options[i].node_count).min();
                candidates.retain(|&i| Some(options[i].node_count) == best);
                why.push(format!("least-nodes: {} nodes", best.unwrap_or(0)));
            }
            Expander::LeastWaste => {
                keep_min(&mut candidates, |i| waste_score(&options[i]));
                why.push(format!(
                    "least-waste: waste {:.3}",
                    waste_score(&options[candidates[0]])
                ));
            }
            Expander::Price => {
                // Upstream keeps the first option with the strictly lowest score.
                let mut best = candidates[0];
                for &i in &candidates[1..] {
                    if price_score(&options[i], cluster_nodes)
                        < price_score(&options[best], cluster_nodes)
                    {
                        best = i;
                    }
                }
                why.push(format!(
                    "price: score {:.3}",
                    price_score(&options[best], cluster_nodes)
                ));
                candidates = vec![best];
            }
            Expander::Priority => {
                let best = candidates
                    .iter()
                    .filter_map(|&i| priority_of(priorities, &options[i].name))
                    .max();
                match best {
                    Some(p) => {
                        candidates
                            .retain(|&i| priority_of(priorities, &options[i].name) == Some(p));
                        why.push(format!("priority: {p}"));
                    }
                    None => why.push("priority: no group matched".to_owned()),
                }
            }
        }
    }
    let chosen = if candidates.len() > 1 {
        why.push(format!("random among {}", candidates.len()));
        candidates[rng.random_range(0..candidates.len())]
    } else {
        candidates[0]
    };
    let alternatives = options.len() - 1;
    if alternatives > 0 {
        why.push(format!("{alternatives} other options"));
    }
    Some((chosen, why.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Stream, stream};

    fn option(
        name: &str,
        cpu: u64,
        mem: u64,
        count: u32,
        pods: u32,
        req: Resources,
    ) -> ExpansionOption {
        ExpansionOption {
            group: 0,
            name: name.into(),
            node_count: count,
            pods,
            requested: req,
            node_capacity: Resources::cpu_mem(cpu, mem),
            node_price_usd_per_hour: 1.0,
        }
    }

    /// expander/waste/waste_test.go `TestLeastWaste`: a 500m / 1000Mi pod, nodes of 16 pods'
    /// worth (balanced), twice the memory (highmem) and half the cpu (lowcpu).
    #[test]
    fn least_waste_matches_upstream_test() {
        let (cpu, mem) = (500, 1000 << 20);
        let pod = Resources::cpu_mem(cpu, mem);
        let balanced = option("balanced", 16 * cpu, 16 * mem, 1, 1, pod);
        let highmem = option("highmem", 16 * cpu, 32 * mem, 1, 1, pod);
        let lowcpu = option("lowcpu", 8 * cpu, 16 * mem, 1, 1, pod);
        // Hand-checked: balanced 15/16 + 15/16 = 1.875; highmem 15/16 + 31/32 = 1.90625;
        // lowcpu 7/8 + 15/16 = 1.8125.
        assert_eq!(waste_score(&balanced), 1.875);
        assert_eq!(waste_score(&highmem), 1.90625);
        assert_eq!(waste_score(&lowcpu), 1.8125);
        let mut rng = stream(1, Stream::Autoscaler(1));
        let chain = [Expander::LeastWaste];
        let opts = vec![balanced.clone(), highmem.clone()];
        assert_eq!(
            best_option(&chain, &opts, &vec![], 3, &mut rng).unwrap().0,
            0
        );
        let opts = vec![balanced, highmem, lowcpu];
        assert_eq!(
            best_option(&chain, &opts, &vec![], 3, &mut rng).unwrap().0,
            2
        );
    }

    #[test]
    fn most_pods_least_nodes_and_chains() {
        let r = Resources::cpu_mem(100, 100);
        let opts = vec![
            option("a", 4000, 1 << 30, 2, 5, r),
            option("b", 4000, 1 << 30, 1, 7, r),
            option("c", 4000, 1 << 30, 3, 7, r),
        ];
        let mut rng = stream(1, Stream::Autoscaler(1));
        let pick = |chain: &[Expander], rng: &mut SimRng| {
            best_option(chain, &opts, &vec![], 3, rng).unwrap().0
        };
        assert_eq!(pick(&[Expander::LeastNodes], &mut rng), 1);
        // most-pods ties b and c; least-nodes then keeps b.
        assert_eq!(
            pick(&[Expander::MostPods, Expander::LeastNodes], &mut rng),
            1
        );
        // most-pods alone: random between b and c, never a.
        for _ in 0..20 {
            assert_ne!(pick(&[Expander::MostPods], &mut rng), 0);
        }
    }

    #[test]
    fn priority_uses_the_highest_matching_pattern() {
        let r = Resources::cpu_mem(100, 100);
        let opts = vec![
            option("on-demand-m5", 4000, 1 << 30, 1, 1, r),
            option("spot-m5", 4000, 1 << 30, 1, 1, r),
            option("gpu", 4000, 1 << 30, 1, 1, r),
        ];
        let priorities: Priorities = vec![
            (50, vec![Regex::new("^spot-").unwrap()]),
            (10, vec![Regex::new(".*").unwrap()]),
        ];
        let mut rng = stream(1, Stream::Autoscaler(1));
        let (i, why) = best_option(&[Expander::Priority], &opts, &priorities, 3, &mut rng).unwrap();
        assert_eq!((i, why.starts_with("priority: 50")), (1, true));
        // No match at all: every option stays (random fallback).
        let none: Priorities = vec![(5, vec![Regex::new("nothing").unwrap()])];
        let (_, why) = best_option(&[Expander::Priority], &opts, &none, 3, &mut rng).unwrap();
        assert!(why.contains("no group matched"));
    }

    /// Hand-computed price scores for a 3-node cluster (preferred node: 2 cpus).
    #[test]
    fn price_prefers_cheap_node_time_per_requested_resources() {
        let pod = Resources::cpu_mem(1000, 1 << 30);
        let mut small = option("small", 2000, 8 << 30, 1, 1, pod);
        small.node_price_usd_per_hour = 0.096;
        let mut big = option("big", 8000, 32 << 30, 1, 1, pod);
        big.node_price_usd_per_hour = 0.384;
        let stab = 0.5 * POD_CPU_PRICE_PER_HOUR + 500.0 / 1024.0 * POD_MEMORY_PRICE_PER_GIB_HOUR;
        let pods = POD_CPU_PRICE_PER_HOUR + POD_MEMORY_PRICE_PER_GIB_HOUR;
        // small: unfitness max(2/2, 2/2) = 1; big: max(2/8, 8/2) = 4, not suppressed for 1 node.
        let want_small = (0.096 + stab) / (pods + stab);
        let want_big = 4.0 * (0.384 + stab) / (pods + stab);
        assert!((price_score(&small, 3) - want_small).abs() < 1e-12);
        assert!((price_score(&big, 3) - want_big).abs() < 1e-12);
        let mut rng = stream(1, Stream::Autoscaler(1));
        let opts = vec![big, small];
        assert_eq!(
            best_option(&[Expander::Price], &opts, &vec![], 3, &mut rng)
                .unwrap()
                .0,
            1
        );
    }
}

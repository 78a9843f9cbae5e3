//! NodeResourcesBalancedAllocation score
//! (pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go), v1.24–v1.35 formula:
//! `score = int((1 − std) × 100)` over the requested/allocatable fractions (capped at 1) of the
//! configured resources, using real requests (not the non-zero defaults).

use super::node_resources_fit::{WeightedResource, allocatable_and_requested, cpu_mem_weights};
use super::{MAX_NODE_SCORE, ScorePlugin};
use crate::cluster::ClusterState;
use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::Pod;
use crate::scheduler::plugins::node_resources_fit::ResourceName;

/// The NodeResourcesBalancedAllocation plugin.
pub struct BalancedAllocation {
    resources: Vec<WeightedResource>,
}

impl BalancedAllocation {
    /// Creates the plugin over `resources` (weights are ignored by the formula, as upstream).
    pub fn new(resources: Vec<WeightedResource>) -> Self {
        BalancedAllocation { resources }
    }
}

/// The balanced-allocation score of the given requested/allocatable fractions.
pub fn balanced_score(fractions: &[f64]) -> i64 {
    let std = match fractions.len() {
        0 | 1 => 0.0,
        2 => ((fractions[0] - fractions[1]) / 2.0).abs(),
        n => {
            let mean = fractions.iter().sum::<f64>() / n as f64;
            let var = fractions
                .iter()
                .map(|f| (f - mean) * (f - mean))
                .sum::<f64>()
                / n as f64;
            var.sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

impl ScorePlugin for BalancedAllocation {
    fn name(&self) -> &str {
        "NodeResourcesBalancedAllocation"
    }

    /// Skips pods that request none of the configured resources (upstream issue #129138).
    fn pre_score(&mut self, pod: &Pod, cluster: &ClusterState) -> bool {
        self.resources.iter().any(|r| match r.name {
            ResourceName::Cpu => pod.requests.cpu_milli > 0,
            ResourceName::Memory => pod.requests.memory_bytes > 0,
            ResourceName::Gpu => pod.requests.gpu_milli > 0,
            ResourceName::Extended(x) => {
                let set = pod.extended;
                cluster.extended.amount(set, x) > 0
            }
        })
    }

    fn score(&self, pod: &Pod, node: &Node, cluster: &ClusterState) -> i64 {
        let fraction = |r: &WeightedResource| {
            allocatable_and_requested(pod, node, r.name, true, cluster)
                .map(|(alloc, req)| (req as f64 / alloc as f64).min(1.0))
        };
        if self.resources.len() > 8 {
            // Long resource lists are rare: allocate rather than cap them.
            let all: Vec<f64> = self.resources.iter().filter_map(fraction).collect();
            return balanced_score(&all);
        }
        let mut fractions = [0.0f64; 8];
        let mut n = 0;
        for f in self.resources.iter().filter_map(fraction) {
            fractions[n] = f;
            n += 1;
        }
        balanced_score(&fractions[..n])
    }

    /// Same results as [`ScorePlugin::score`], specialised for the default cpu + memory list.
    fn score_all(&self, pod: &Pod, nodes: &[NodeId], cluster: &ClusterState, out: &mut Vec<i64>) {
        if cpu_mem_weights(&self.resources).is_none() {
            out.extend(
                nodes
                    .iter()
                    .map(|&id| self.score(pod, &cluster.nodes[id.0 as usize], cluster)),
            );
            return;
        }
        let (pod_cpu, pod_mem) = (pod.requests.cpu_milli, pod.requests.memory_bytes);
        out.extend(nodes.iter().map(|&id| {
            let n = &cluster.nodes[id.0 as usize];
            let (ac, am) = (n.allocatable.cpu_milli, n.allocatable.memory_bytes);
            if ac == 0 || am == 0 {
                return self.score(pod, n, cluster);
            }
            let fc = ((n.requested.cpu_milli + pod_cpu) as f64 / ac as f64).min(1.0);
            let fm = ((n.requested.memory_bytes + pod_mem) as f64 / am as f64).min(1.0);
            balanced_score(&[fc, fm])
        }));
    }
}

#[cfg(test)]
mod tests {
    //! balanced_allocation_test.go (kubernetes/kubernetes, commit
    //! 00fdb4ffc64976886691c99434ab5b01fa54f8fe, still the `int((1 − std) × 100)` formula),
    //! TestNodeResourcesBalancedAllocation. Nodes come from `makeNode(name, milliCPU, memory,
    //! extended)`: cpu in millicores, memory in bytes, nvidia.com/gpu counted in `gpus(n)`.
    //! Real requests are used (an explicit `"memory": "0"` and an unset one are both 0), so all
    //! cases but the DRA ones and the "if PreScore not called" duplicate are reproducible.
    use super::*;
    use crate::cluster::resources::Resources;
    use crate::scheduler::plugins::node_resources_fit::ResourceName::{Cpu, Gpu, Memory};
    use crate::scheduler::plugins::node_resources_fit::test_support::*;

    /// Upstream `cpuOnly`: containers of 1000m + 2000m cpu with explicit zero memory.
    const CPU_ONLY: Resources = req(3000, 0, 0);
    /// Upstream `cpuAndMemory`: 1000m/2000 + 2000m/3000.
    const CPU_AND_MEMORY: Resources = req(3000, 5000, 0);
    /// Upstream `cpuAndMemoryAndGPU`: `cpuAndMemory` plus 3 nvidia.com/gpu.
    const CPU_AND_MEMORY_AND_GPU: Resources = req(3000, 5000, gpus(3));

    #[test]
    fn balanced_allocation_upstream_cases() {
        let cpu_mem = || weights(&[(Cpu, 1), (Memory, 1)]);
        let cpu_mem_gpu = || weights(&[(Cpu, 1), (Memory, 1), (Gpu, 1)]);
        let cases = vec![
            // CPU fraction 0.75 / 0.5 against memory 0.5: std 0.125 -> 87; std 0 -> 100.
            ScoreCase {
                name: "nothing scheduled, resources requested, differently sized nodes",
                nodes: vec![alloc(4000, 10000, 0), alloc(6000, 10000, 0)],
                existing: vec![],
                pod: CPU_AND_MEMORY,
                resources: cpu_mem(),
                want: vec![87, 100],
            },
            ScoreCase {
                name: "resources requested, pods scheduled with resources",
                nodes: vec![alloc(10000, 20000, 0), alloc(10000, 20000, 0)],
                existing: vec![(0, CPU_ONLY), (1, CPU_AND_MEMORY)],
                pod: CPU_AND_MEMORY,
                resources: cpu_mem(),
                want: vec![82, 95],
            },
            ScoreCase {
                name: "resources requested, pods scheduled with resources, differently sized nodes",
                nodes: vec![alloc(10000, 20000, 0), alloc(10000, 50000, 0)],
                existing: vec![(0, CPU_ONLY), (1, CPU_AND_MEMORY)],
                pod: CPU_AND_MEMORY,
                resources: cpu_mem(),
                want: vec![82, 80],
            },
            ScoreCase {
                name: "requested resources at node capacity",
                nodes: vec![alloc(6000, 10000, 0), alloc(6000, 10000, 0)],
                existing: vec![(0, CPU_ONLY), (1, CPU_AND_MEMORY)],
                pod: CPU_ONLY,
                resources: cpu_mem(),
                want: vec![50, 75],
            },
            // Three fractions: population standard deviation.
            ScoreCase {
                name: "include scalar resource on a node for balanced resource allocation",
                nodes: vec![alloc(3500, 40000, gpus(8)), alloc(3500, 40000, gpus(8))],
                existing: vec![(1, CPU_AND_MEMORY), (0, CPU_AND_MEMORY_AND_GPU)],
                pod: req(0, 0, gpus(1)),
                resources: cpu_mem_gpu(),
                want: vec![70, 65],
            },
            ScoreCase {
                name: "node without the scalar resource should skip the scalar resource",
                nodes: vec![alloc(3500, 40000, gpus(8)), alloc(3500, 40000, 0)],
                existing: vec![],
                pod: CPU_AND_MEMORY,
                resources: cpu_mem_gpu(),
                want: vec![63, 63],
            },
        ];
        check_scores(&cases, |res| Box::new(BalancedAllocation::new(res)));
    }

    /// balanced_allocation_test.go "nothing scheduled, nothing requested, skip in PreScore": a
    /// best-effort pod makes PreScore return Skip.
    #[test]
    fn balanced_allocation_skips_best_effort_pods() {
        let (f, pod) = Fixture::with(
            &[alloc(4000, 10000, 0), alloc(4000, 10000, 0)],
            &[],
            req(0, 0, 0),
        );
        let mut p = BalancedAllocation::new(weights(&[(Cpu, 1), (Memory, 1)]));
        assert!(!p.pre_score(&f.cluster.pods[pod.0 as usize], &f.cluster));
    }
}

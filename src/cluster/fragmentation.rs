//! Stranded capacity (fragmentation): free resources on nodes where the workload's typical pod
//! no longer fits.
//!
//! Definition. A *probe* is a reference pod: cpu, memory and gpu requests plus one pod slot.
//! A live, schedulable node's free resources (allocatable − requested: cpu, memory, gpu and pod
//! slots) are **stranded** when the probe does not fit in them by the NodeResourcesFit rules
//! (`fitsRequest`, pkg/scheduler/framework/plugins/noderesources/fit.go): a free pod slot, and
//! for each of cpu, memory and gpu that the probe requests (a zero request is not checked),
//! request ≤ allocatable − requested. Otherwise the node strands nothing. Cordoned nodes strand
//! nothing: their free capacity is not schedulable at all, so it is neither usable nor
//! fragmented. Allocatable therefore splits into requested + stranded + usable free (+ the free
//! capacity of cordoned nodes).
//!
//! The probe is the scenario's `metrics.fragmentationProbe` if set. Otherwise it is derived
//! from the workload: the component-wise lower median of the requests (cpu, memory, gpu
//! separately) of the pods created so far, recomputed when the count of created pods reaches
//! 1, 2, 4, …, [`AUTO_PROBE_MAX_PODS`] and then frozen. Before the first pod the probe requests
//! only a pod slot. Each recomputation re-evaluates every node once (O(nodes)), so the whole
//! derivation costs 11 passes.
//!
//! Maintenance is incremental: every `ClusterState` method that changes a node's free capacity
//! or schedulability (`attach`, `detach`, `add_node`, `set_unschedulable`, `add_node_taint`,
//! `remove_node_taint`) calls
//! [`ClusterState::update_stranded`], which recomputes that node's contribution in O(1) and
//! adjusts [`crate::cluster::Totals::stranded`]. The metrics integrate that total exactly
//! between events, like every other total.
//!
//! Simplified: only resources are checked (a tainted node whose free capacity the probe would
//! fit strands nothing even if the typical pod does not tolerate the taint), and pending pods
//! are not consulted (a node on which some pending pod, but not the probe, would fit still
//! counts as stranded). Tracking "the smallest pending pod fits" would need every node re-checked
//! whenever the pending set changes; and a pending pod that fits a node's resources and passes
//! the filters is bound in the same instant, so the difference is confined to pods blocked by
//! taints, affinity or backoff.

use super::ClusterState;
use super::node::{Node, NodeId};
use super::resources::Resources;

/// The automatic probe is frozen once this many pods have been created.
pub const AUTO_PROBE_MAX_PODS: usize = 1024;

/// The probe and each node's current stranded contribution.
#[derive(Clone, Debug)]
pub struct Fragmentation {
    /// The reference pod's requests (pods = 1).
    probe: Resources,
    /// Derive the probe from the created pods (no fixed probe configured).
    auto: bool,
    /// The automatic probe has seen [`AUTO_PROBE_MAX_PODS`] pods and no longer changes.
    frozen: bool,
    /// Requests of the pods created so far, while the automatic probe is not frozen.
    samples: Vec<Resources>,
    /// Per node id: the resources it currently adds to `Totals::stranded`.
    stranded: Vec<Resources>,
}

impl Default for Fragmentation {
    fn default() -> Self {
        Fragmentation {
            probe: Resources {
                pods: 1,
                ..Resources::ZERO
            },
            auto: true,
            frozen: false,
            samples: Vec::new(),
            stranded: Vec::new(),
        }
    }
}

impl Fragmentation {
    /// The probe in effect (cpu [millicores], memory [bytes], gpu [milli-GPUs], pods = 1).
    pub fn probe(&self) -> Resources {
        self.probe
    }

    /// True when the probe is derived from the workload rather than configured.
    pub fn is_auto(&self) -> bool {
        self.auto
    }
}

/// Whether `probe` fits in `node`'s free resources by the NodeResourcesFit rules (a zero
/// request of cpu, memory or gpu is not checked; a pod slot always is).
#[inline]
pub fn probe_fits(probe: &Resources, node: &Node) -> bool {
    let (a, u) = (&node.allocatable, &node.requested);
    let fits = |r: u64, a: u64, u: u64| r == 0 || r <= a.saturating_sub(u);
    u.pods + probe.pods.max(1) <= a.pods
        && fits(probe.cpu_milli, a.cpu_milli, u.cpu_milli)
        && fits(probe.memory_bytes, a.memory_bytes, u.memory_bytes)
        && fits(probe.gpu_milli, a.gpu_milli, u.gpu_milli)
}

/// The resources `node` strands for `probe`: its free resources if it is live, not cordoned,
/// not tainted by the node lifecycle controller (NotReady) and the probe does not fit; zero
/// otherwise.
#[inline]
pub fn stranded_on(probe: &Resources, node: &Node) -> Resources {
    if !node.is_alive() || node.unschedulable || node.tainted || probe_fits(probe, node) {
        Resources::ZERO
    } else {
        node.free()
    }
}

/// The lower median of `values` (reordered in place); 0 when empty.
fn lower_median(values: &mut [u64]) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let k = (values.len() - 1) / 2;
    *values.select_nth_unstable(k).1
}

/// Component-wise lower median of `requests` (pods = 1).
fn median_probe(requests: &[Resources]) -> Resources {
    let mut column = Vec::with_capacity(requests.len());
    let mut median = |get: fn(&Resources) -> u64| {
        column.clear();
        column.extend(requests.iter().map(get));
        lower_median(&mut column)
    };
    Resources {
        cpu_milli: median(|r| r.cpu_milli),
        memory_bytes: median(|r| r.memory_bytes),
        gpu_milli: median(|r| r.gpu_milli),
        pods: 1,
    }
}

impl ClusterState {
    /// Recomputes `node`'s stranded contribution and adjusts the totals (O(1)). Called by every
    /// method that changes a node's requested resources, allocatable or schedulability.
    #[inline]
    pub(crate) fn update_stranded(&mut self, node: NodeId) {
        let i = node.0 as usize;
        let now = stranded_on(&self.fragmentation.probe, &self.nodes[i]);
        let per_node = &mut self.fragmentation.stranded;
        if per_node.len() <= i {
            per_node.resize(self.nodes.len().max(i + 1), Resources::ZERO);
        }
        let before = std::mem::replace(&mut per_node[i], now);
        if before != now {
            self.totals.stranded = self.totals.stranded - before + now;
        }
    }

    /// Fixes the fragmentation probe (cpu, memory, gpu requests; the pod slot is implied), or
    /// with `None` derives it from the workload (the default). Re-evaluates every node.
    pub fn set_fragmentation_probe(&mut self, probe: Option<Resources>) {
        let f = &mut self.fragmentation;
        f.auto = probe.is_none();
        f.frozen = false;
        f.samples.clear();
        f.probe = match probe {
            Some(p) => Resources { pods: 1, ..p },
            None => Resources {
                pods: 1,
                ..Resources::ZERO
            },
        };
        self.update_all_stranded();
    }

    /// The fragmentation probe and per-node contributions.
    pub fn fragmentation(&self) -> &Fragmentation {
        &self.fragmentation
    }

    /// Feeds a created pod's requests to the automatic probe: at 1, 2, 4, …,
    /// [`AUTO_PROBE_MAX_PODS`] pods the probe becomes the median so far and every node is
    /// re-evaluated; after that the probe is frozen.
    #[inline]
    pub(crate) fn observe_pod_for_probe(&mut self, requests: &Resources) {
        let f = &mut self.fragmentation;
        if !f.auto || f.frozen {
            return;
        }
        f.samples.push(*requests);
        let n = f.samples.len();
        if n.is_power_of_two() {
            let probe = median_probe(&f.samples);
            if n >= AUTO_PROBE_MAX_PODS {
                f.frozen = true;
                f.samples = Vec::new();
            }
            if probe != f.probe {
                f.probe = probe;
                self.update_all_stranded();
            }
        }
    }

    /// Re-evaluates every node's contribution (after a probe change).
    fn update_all_stranded(&mut self) {
        for i in 0..self.nodes.len() {
            self.update_stranded(NodeId(i as u32));
        }
    }

    /// The stranded total recomputed from scratch over all nodes (what `totals.stranded` must
    /// equal; for tests and checks).
    pub fn stranded_from_scratch(&self) -> Resources {
        let probe = self.fragmentation.probe;
        self.nodes
            .iter()
            .map(|n| stranded_on(&probe, n))
            .fold(Resources::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::NewPod;
    use crate::cluster::node::NodePool;
    use crate::cluster::pod::{PodId, PodName, PodPhase, PodTemplate, TemplateId};
    use crate::engine::rng::{Stream, stream};
    use crate::engine::time::SimTime;
    use crate::metrics::{Metrics, ratio};
    use rand::Rng;

    const GIB: u64 = 1 << 30;

    fn pool(cpu_milli: u64, memory_bytes: u64, pods: u64) -> NodePool {
        NodePool::for_tests(Resources {
            cpu_milli,
            memory_bytes,
            gpu_milli: 0,
            pods,
        })
    }

    fn new_pod(c: &mut ClusterState, requests: Resources) -> PodId {
        let name = PodName {
            prefix: 0,
            ordinal: 0,
            width: 0,
        };
        // Template 0 is the one `cluster()` adds.
        c.create_pod(NewPod::bare(name, requests, TemplateId(0)), SimTime::ZERO)
    }

    fn cluster() -> ClusterState {
        let mut c = ClusterState::default();
        c.add_template(PodTemplate::default());
        c.add_name_prefix("p-");
        c
    }

    #[test]
    fn probe_fit_follows_node_resources_fit() {
        let mut c = cluster();
        let p = c.add_pool(pool(4000, 8 * GIB, 2));
        let n = c.add_node(p, "n".into(), None, SimTime::ZERO);
        let node = |c: &ClusterState| c.nodes[n.0 as usize].clone();
        let probe = Resources::cpu_mem(1000, GIB);
        assert!(probe_fits(&probe, &node(&c)));
        // A gpu request the node cannot meet; a zero request is not checked.
        assert!(!probe_fits(
            &Resources {
                gpu_milli: 1,
                ..probe
            },
            &node(&c)
        ));
        assert!(probe_fits(&Resources::cpu_mem(0, 8 * GIB), &node(&c)));
        let a = new_pod(&mut c, Resources::cpu_mem(3500, GIB));
        c.bind(a, n, SimTime::ZERO);
        assert!(!probe_fits(&probe, &node(&c)), "500m left < 1 core");
        assert!(probe_fits(&Resources::cpu_mem(0, GIB), &node(&c)));
        let b = new_pod(&mut c, Resources::cpu_mem(0, 0));
        c.bind(b, n, SimTime::ZERO);
        assert!(
            !probe_fits(&Resources::cpu_mem(0, 0), &node(&c)),
            "no pod slot left"
        );
    }

    /// Three nodes of 4 cores / 8 GiB, probe 1 core / 2 GiB. Every number worked out by hand.
    #[test]
    fn hand_checked_time_weighted_stranded_ratio() {
        let mut c = cluster();
        c.set_fragmentation_probe(Some(Resources::cpu_mem(1000, 2 * GIB)));
        let p = c.add_pool(pool(4000, 8 * GIB, 110));
        let n: Vec<NodeId> = (0..3)
            .map(|i| c.add_node(p, format!("n{i}"), None, SimTime::ZERO))
            .collect();
        let mut m = Metrics {
            window_start: SimTime(100),
            ..Metrics::default()
        };
        // t=0: a (3.5 cores, 1 GiB) on n0 -> n0 strands 0.5 core and 7 GiB.
        let a = new_pod(&mut c, Resources::cpu_mem(3500, GIB));
        c.bind(a, n[0], SimTime(0));
        assert_eq!(c.totals.stranded.cpu_milli, 500);
        assert_eq!(c.totals.stranded.memory_bytes, 7 * GIB);
        m.advance(SimTime(50), &c.totals); // warm-up: not counted
        // t=50: b (1 core, 7 GiB) on n1 -> 1 GiB left < 2 GiB: n1 strands 3 cores, 1 GiB.
        let b = new_pod(&mut c, Resources::cpu_mem(1000, 7 * GIB));
        c.bind(b, n[1], SimTime(50));
        assert_eq!(c.totals.stranded, c.stranded_from_scratch());
        assert_eq!(c.totals.stranded.cpu_milli, 3500);
        m.advance(SimTime(200), &c.totals); // 100 ms counted (100..200) at 3.5 cores, 8 GiB
        // t=200: n1 cordoned (its free capacity is not schedulable: not stranded); a ends ->
        // n0 empty, the probe fits.
        c.set_unschedulable(n[1], true);
        c.terminate(a, PodPhase::Succeeded, SimTime(200));
        assert_eq!(c.totals.stranded, Resources::ZERO);
        m.advance(SimTime(500), &c.totals); // 300 ms at nothing
        // t=500: n1 uncordoned (strands 3 cores, 1 GiB again); d (3 cores, 6 GiB) on n2:
        // 1 core, 2 GiB left, the probe just fits.
        c.set_unschedulable(n[1], false);
        let d = new_pod(&mut c, Resources::cpu_mem(3000, 6 * GIB));
        c.bind(d, n[2], SimTime(500));
        assert_eq!(c.totals.stranded.cpu_milli, 3000);
        assert_eq!(c.totals.stranded.memory_bytes, GIB);
        m.advance(SimTime(600), &c.totals); // 100 ms at 3 cores, 1 GiB
        let i = &m.integrals;
        assert_eq!(i.cpu_stranded, 100 * 3500 + 100 * 3000);
        assert_eq!(i.memory_stranded, u128::from(GIB) * (100 * 8 + 100));
        assert_eq!(i.cpu_allocatable, 500 * 12_000);
        // ∫stranded / ∫allocatable: cpu 650,000 / 6,000,000; memory 900 / 12,000 GiB·ms.
        assert_eq!(
            ratio(i.cpu_stranded, i.cpu_allocatable),
            650_000.0 / 6_000_000.0
        );
        assert_eq!(
            ratio(i.memory_stranded, i.memory_allocatable),
            900.0 / 12_000.0
        );
    }

    #[test]
    fn auto_probe_is_the_running_median_then_frozen() {
        let mut c = cluster();
        let p = c.add_pool(pool(4000, 8 * GIB, 110));
        c.add_node(p, "n".into(), None, SimTime::ZERO);
        assert!(c.fragmentation().is_auto());
        assert_eq!(
            c.fragmentation().probe(),
            Resources {
                pods: 1,
                ..Resources::ZERO
            }
        );
        new_pod(&mut c, Resources::cpu_mem(300, GIB));
        assert_eq!(c.fragmentation().probe().cpu_milli, 300);
        new_pod(&mut c, Resources::cpu_mem(100, 3 * GIB));
        // Two pods: the lower median is the smaller value of each component.
        assert_eq!(
            c.fragmentation().probe(),
            Resources {
                pods: 1,
                ..Resources::cpu_mem(100, GIB)
            }
        );
        new_pod(&mut c, Resources::cpu_mem(900, 2 * GIB));
        assert_eq!(
            c.fragmentation().probe().cpu_milli,
            100,
            "3 pods: not recomputed"
        );
        new_pod(&mut c, Resources::cpu_mem(500, 2 * GIB));
        // Four pods: cpu 100 300 500 900 -> 300; memory 1 2 2 3 GiB -> 2 GiB.
        assert_eq!(
            c.fragmentation().probe(),
            Resources {
                pods: 1,
                ..Resources::cpu_mem(300, 2 * GIB)
            }
        );
        for _ in 4..AUTO_PROBE_MAX_PODS {
            new_pod(&mut c, Resources::cpu_mem(2000, 0));
        }
        assert_eq!(c.fragmentation().probe().cpu_milli, 2000);
        assert_eq!(c.fragmentation().probe().memory_bytes, 0);
        for _ in 0..AUTO_PROBE_MAX_PODS {
            new_pod(&mut c, Resources::cpu_mem(7, 7));
        }
        assert_eq!(
            c.fragmentation().probe().cpu_milli,
            2000,
            "frozen after 1024 pods"
        );
    }

    /// After any sequence of binds, terminations, cordons, node additions and probe changes,
    /// the incremental total equals a recomputation from scratch.
    #[test]
    fn incremental_total_matches_recomputation() {
        for seed in 0..20 {
            let mut rng = stream(seed, Stream::Scheduler);
            let mut c = cluster();
            if seed % 2 == 0 {
                c.set_fragmentation_probe(Some(Resources {
                    cpu_milli: 700,
                    memory_bytes: GIB,
                    gpu_milli: if seed % 4 == 0 { 500 } else { 0 },
                    pods: 0,
                }));
            }
            let small = c.add_pool(pool(2000, 4 * GIB, 4));
            let mut big = pool(8000, 32 * GIB, 110);
            big.allocatable.gpu_milli = 2000;
            let big = c.add_pool(big);
            let mut running: Vec<PodId> = Vec::new();
            let mut ever_stranded = false;
            for step in 0..3000 {
                let now = SimTime(step);
                match rng.random_range(0..10) {
                    0 if c.nodes.len() < 30 => {
                        let pool = if rng.random_bool(0.5) { small } else { big };
                        c.add_node(pool, format!("n{step}"), None, now);
                    }
                    1 if !c.nodes.is_empty() => {
                        let n = NodeId(rng.random_range(0..c.nodes.len() as u32));
                        let cordon = rng.random_bool(0.5);
                        c.set_unschedulable(n, cordon);
                    }
                    2..=5 if !c.nodes.is_empty() => {
                        let requests = Resources {
                            cpu_milli: rng.random_range(0..3000),
                            memory_bytes: rng.random_range(0..6 * GIB),
                            gpu_milli: if rng.random_bool(0.2) { 500 } else { 0 },
                            pods: 0,
                        };
                        let pod = new_pod(&mut c, requests);
                        let r = c.pods[pod.0 as usize].requests;
                        let fitting: Vec<NodeId> = (0..c.nodes.len() as u32)
                            .map(NodeId)
                            .filter(|n| r.fits_in(&c.nodes[n.0 as usize].free()))
                            .collect();
                        if fitting.is_empty() {
                            c.terminate(pod, PodPhase::Failed, now);
                        } else {
                            let n = fitting[rng.random_range(0..fitting.len())];
                            c.bind(pod, n, now);
                            running.push(pod);
                        }
                    }
                    6..=8 if !running.is_empty() => {
                        let pod = running.swap_remove(rng.random_range(0..running.len()));
                        c.terminate(pod, PodPhase::Succeeded, now);
                    }
                    9 => {
                        // Detach and re-attach (a what-if removal) leaves the total unchanged.
                        if let Some(&pod) = running.first() {
                            let n = c.pods[pod.0 as usize].node.expect("bound");
                            let before = c.totals.stranded;
                            c.detach(pod, n);
                            assert_eq!(c.totals.stranded, c.stranded_from_scratch());
                            c.attach(pod, n);
                            assert_eq!(c.totals.stranded, before);
                        }
                    }
                    _ => {}
                }
                assert_eq!(
                    c.totals.stranded,
                    c.stranded_from_scratch(),
                    "seed {seed} step {step}"
                );
                ever_stranded |= c.totals.stranded.cpu_milli > 0;
            }
            assert!(
                ever_stranded,
                "the walk should strand something (seed {seed})"
            );
        }
    }
}

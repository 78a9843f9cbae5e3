//! Remembers, per pod class and node, that a retried pod can neither fit nor preempt there.
//!
//! An unschedulable pod is retried whenever the queue releases it (a node gained capacity it
//! might use, or the 5-minute flush after any capacity change), and every retry is a full
//! scheduling cycle plus, for a pod that may preempt, DefaultPreemption's PostFilter: the filter
//! statuses of all nodes and a dry run (`victims::select_victims_on_node`) on every node whose
//! status is `Unschedulable`. When hundreds of such pods wait for days on a cluster of
//! thousands of nodes, that is millions of node evaluations per simulated hour that all give
//! the answer of the previous retry. Upstream does the same work; here it only costs time.
//!
//! When the scheduler's verdicts for the pod are node-local
//! ([`Scheduler::node_local_verdicts`]), each node's answer to "does the pod pass the filters
//! here, and if not, is the failure `Unschedulable` and would removing every lower-priority pod
//! make it pass?" depends only on the node's state, which its version
//! (`ClusterState::node_versions`) tracks, and on the pod's class: requests, extended
//! resources, template and priority. A [`RetryMemo`] keeps those answers per class (for the
//! few classes retried most recently) with the version each was computed at, and brings them
//! up to date from `ClusterState::node_changes`, as the fused kernel's indexes do. When no node
//! fits and none is a candidate, the attempt's outcome is known without running it:
//!
//! - the cycle is unschedulable (no node passes the filters), and with node-local verdicts it
//!   leaves no state and draws nothing;
//! - PostFilter finds no candidate: upstream's dry run visits the `Unschedulable` nodes from a
//!   random offset and keeps those where the preemptor fits without all lower-priority pods,
//!   which is none of them. The engine still draws the offset over the memo's count of
//!   `Unschedulable` nodes, so the preemption stream advances exactly as before.
//!
//! Every other attempt (a node fits, a node is a candidate, the pod has a nomination, or the
//! verdicts are not node-local) runs the normal path. Answers are computed only at real states
//! (never inside a what-if, which reverts node versions), and versions only grow between real
//! states, so an entry whose version matches describes the node as it is. The test
//! `memo_answers_like_the_full_attempt` checks the memo against full attempts on random
//! clusters.

use super::Scheduler;
use super::plugins::FilterFailure;
use super::preemption::victims::select_victims_on_node;
use crate::cluster::ClusterState;
use crate::cluster::extended::ExtendedSet;
use crate::cluster::node::NodeId;
use crate::cluster::pod::{PodId, TemplateId};
use crate::cluster::resources::Resources;

/// Classes kept (the most recently used; the least recently used slot is reused).
const SLOTS: usize = 16;

/// What the answers of a class depend on besides the nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ClassKey {
    requests: Resources,
    extended: ExtendedSet,
    template: TemplateId,
    priority: i32,
    /// Whether the pod may preempt (candidates are looked for only then).
    preempts: bool,
}

/// One node's answer for a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// The pod passes the filters, or the node is a preemption candidate: a retry may succeed.
    Open,
    /// Filter status `Unschedulable` and no candidate.
    Unschedulable,
    /// Filter status `Unresolvable`.
    Unresolvable,
}

/// An answer with the node version it was computed at (0: none, node versions start at 1).
#[derive(Clone, Copy, Debug)]
struct Entry {
    version: u64,
    answer: Answer,
}

const EMPTY: Entry = Entry {
    version: 0,
    answer: Answer::Open,
};

/// Where a class's entries were last brought up to date.
#[derive(Clone, Copy, Debug)]
struct Sync {
    /// `ClusterState::node_changes` sequence number.
    seq: u64,
    /// `ClusterState::live_layout`: a node leaving the list forces a rebuild.
    layout: u64,
    /// `live_nodes.len()`: the nodes after it joined since.
    len: usize,
}

/// The answers for one class.
struct ClassMemo {
    key: ClassKey,
    /// Per node id; a live node's entry is counted in `open` and `unschedulable` when its
    /// version is not 0.
    entries: Vec<Entry>,
    synced: Option<Sync>,
    /// Live nodes answering `Open`.
    open: usize,
    /// Live nodes answering `Unschedulable` (PostFilter's potential nodes).
    unschedulable: usize,
    /// Last use (for slot reuse).
    used: u64,
}

impl ClassMemo {
    fn count(&mut self, answer: Answer, add: bool) {
        let c = match answer {
            Answer::Open => &mut self.open,
            Answer::Unschedulable => &mut self.unschedulable,
            Answer::Unresolvable => return,
        };
        if add {
            *c += 1;
        } else {
            *c -= 1;
        }
    }
}

/// Work done by the memo, for the run's work counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryMemoStats {
    /// Attempts whose outcome the memo knew (no cycle, no PostFilter dry run ran).
    pub answered: u64,
    /// Node answers computed (filter status, plus a victims check for `Unschedulable` nodes of
    /// pods that may preempt).
    pub node_checks: u64,
}

/// The memo (see the module docs).
#[derive(Default)]
pub struct RetryMemo {
    classes: Vec<ClassMemo>,
    clock: u64,
    stale: Vec<NodeId>,
    statuses: Vec<Result<(), FilterFailure>>,
    /// Work counters.
    pub stats: RetryMemoStats,
}

impl RetryMemo {
    /// For a pod about to be attempted: `Some(potential)` when the attempt is known to be
    /// unschedulable with no preemption candidate, `potential` being the number of live nodes
    /// whose filter status is `Unschedulable`; `None` when the attempt must run. `preempts`
    /// tells whether PostFilter would look for candidates for this pod (DefaultPreemption
    /// enabled for its profile and its policy not `Never`). Must be called in the state the
    /// attempt would see (nominated pods added), outside any what-if. A class gets a memo on
    /// its first retry (`failed_attempts > 0`); pods with a nomination always run.
    pub fn known_futile(
        &mut self,
        pod: PodId,
        preempts: bool,
        cluster: &mut ClusterState,
        scheduler: &mut dyn Scheduler,
    ) -> Option<usize> {
        let p = &cluster.pods[pod.0 as usize];
        if p.nominated_node.is_some() || cluster.what_if_pending() {
            return None;
        }
        let key = ClassKey {
            requests: p.requests,
            extended: p.extended,
            template: p.template,
            priority: p.priority,
            preempts,
        };
        let retried = p.failed_attempts > 0;
        let slot = match self.classes.iter().position(|c| c.key == key) {
            Some(i) => i,
            None if retried => self.new_slot(key),
            None => return None,
        };
        if !scheduler.node_local_verdicts(pod, cluster) {
            return None;
        }
        self.clock += 1;
        self.classes[slot].used = self.clock;
        self.sync(slot, pod, cluster, scheduler);
        let c = &self.classes[slot];
        if c.open > 0 {
            return None;
        }
        self.stats.answered += 1;
        Some(c.unschedulable)
    }

    fn new_slot(&mut self, key: ClassKey) -> usize {
        let fresh = ClassMemo {
            key,
            entries: Vec::new(),
            synced: None,
            open: 0,
            unschedulable: 0,
            used: 0,
        };
        if self.classes.len() < SLOTS {
            self.classes.push(fresh);
            return self.classes.len() - 1;
        }
        let (i, _) = self
            .classes
            .iter()
            .enumerate()
            .min_by_key(|(_, c)| c.used)
            .expect("SLOTS > 0");
        let mut entries = std::mem::take(&mut self.classes[i].entries);
        entries.iter_mut().for_each(|e| *e = EMPTY);
        self.classes[i] = ClassMemo { entries, ..fresh };
        i
    }

    /// Brings the answers of class `slot` up to date for the live nodes, using `pod` (of that
    /// class) for the checks.
    fn sync(
        &mut self,
        slot: usize,
        pod: PodId,
        cluster: &mut ClusterState,
        scheduler: &mut dyn Scheduler,
    ) {
        let c = &mut self.classes[slot];
        c.entries.resize(cluster.nodes.len(), EMPTY);
        self.stale.clear();
        {
            let live = &cluster.live_nodes;
            let changes = match c.synced {
                Some(s) if s.layout == cluster.live_layout && s.len <= live.len() => cluster
                    .node_changes
                    .since(s.seq)
                    // Past one change per node, one pass over all of them is as cheap.
                    .filter(|changed| changed.len() + (live.len() - s.len) <= live.len())
                    .map(|changed| (changed, s.len)),
                _ => None,
            };
            match changes {
                Some((changed, len)) => {
                    self.stale.extend_from_slice(&live[len..]);
                    self.stale.extend(changed.filter(|&id| {
                        // Nodes not in the list (booting, removed) have no answer.
                        cluster.nodes[id.0 as usize].is_alive()
                    }));
                }
                None => {
                    // Recount from the answers still valid (a node left the list, or the log
                    // does not reach back far enough) and recheck the others.
                    c.open = 0;
                    c.unschedulable = 0;
                    for &id in live {
                        let e = c.entries[id.0 as usize];
                        if e.version == cluster.node_versions[id.0 as usize] {
                            c.count(e.answer, true);
                        } else {
                            c.entries[id.0 as usize].version = 0;
                            self.stale.push(id);
                        }
                    }
                }
            }
        }
        // Keep each node once, and only if its answer is out of date; its old answer leaves
        // the counts and its entry takes the current version (so a repeat is dropped).
        let versions = &cluster.node_versions;
        self.stale.retain(|&id| {
            let e = c.entries[id.0 as usize];
            let v = versions[id.0 as usize];
            if e.version == v {
                return false;
            }
            if e.version != 0 {
                c.count(e.answer, false);
            }
            c.entries[id.0 as usize].version = v;
            true
        });
        c.synced = Some(Sync {
            seq: cluster.node_changes.seq(),
            layout: cluster.live_layout,
            len: cluster.live_nodes.len(),
        });
        if self.stale.is_empty() {
            return;
        }
        let preempts = c.key.preempts;
        scheduler.filter_statuses_on(pod, &self.stale, cluster, &mut self.statuses);
        for i in 0..self.stale.len() {
            let id = self.stale[i];
            self.stats.node_checks += 1;
            let answer = match self.statuses[i] {
                Ok(()) => Answer::Open,
                Err(FilterFailure::Unresolvable(_)) => Answer::Unresolvable,
                Err(FilterFailure::Unschedulable(_)) => {
                    if preempts
                        && select_victims_on_node(pod, id, cluster, scheduler, &[], &[]).is_some()
                    {
                        Answer::Open
                    } else {
                        Answer::Unschedulable
                    }
                }
            };
            let c = &mut self.classes[slot];
            debug_assert_eq!(
                c.entries[id.0 as usize].version,
                cluster.node_versions[id.0 as usize]
            );
            c.entries[id.0 as usize].answer = answer;
            c.count(answer, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::NewPod;
    use crate::cluster::labels::{Labels, Taint, TaintEffect, Toleration, TolerationOperator};
    use crate::cluster::node::NodePool;
    use crate::cluster::pod::{PodName, PodPhase, PodTemplate};
    use crate::engine::rng::{SimRng, Stream, stream};
    use crate::engine::time::SimTime;
    use crate::scenario::spec::SchedulerSpec;
    use crate::scheduler::Decision;
    use rand::Rng;

    /// What a full attempt finds for `pod`: whether it is unschedulable with no preemption
    /// candidate (when `preempts`), and how many nodes have the status `Unschedulable`.
    fn full_attempt(
        pod: PodId,
        preempts: bool,
        c: &mut ClusterState,
        s: &mut dyn Scheduler,
        rng: &SimRng,
    ) -> Option<usize> {
        let mut draws = rng.clone();
        if s.schedule(pod, c, &mut draws) != Decision::Unschedulable {
            return None;
        }
        let mut statuses = Vec::new();
        s.filter_statuses(pod, c, &mut statuses);
        let potential: Vec<NodeId> = c
            .live_nodes
            .iter()
            .zip(&statuses)
            .filter(|(_, st)| matches!(st, Err(FilterFailure::Unschedulable(_))))
            .map(|(&n, _)| n)
            .collect();
        if preempts
            && potential
                .iter()
                .any(|&n| select_victims_on_node(pod, n, c, s, &[], &[]).is_some())
        {
            return None;
        }
        Some(potential.len())
    }

    /// A random cluster (a plain pool, a tainted pool and a GPU pool), then a long random
    /// sequence of binds, terminations, cordons, taints, memory pressure, nominated-style
    /// attachments and node additions and removals; after each step the memo's answer for
    /// retried pods of recurring classes must be the full attempt's.
    fn check(seed: u64, first_fit: bool) {
        let mut rng = stream(seed, Stream::Source(11));
        let mut c = ClusterState::default();
        let (k, v, e) = (
            c.interner.intern("k"),
            c.interner.intern("v"),
            c.interner.intern(""),
        );
        let pool = |name: &str, cpu: u64, mem: u64, gpu: u64, taints| NodePool {
            name: name.into(),
            instance_type: "t".into(),
            allocatable: Resources {
                cpu_milli: cpu,
                memory_bytes: mem << 30,
                gpu_milli: gpu,
                pods: 8,
            },
            labels: Labels::default(),
            taints,
            zone: "z".into(),
            hourly_price_usd: 1.0,
            spot: false,
        };
        let taint = Taint {
            key: k,
            value: v,
            effect: TaintEffect::NoSchedule,
        };
        let pools = [
            c.add_pool(pool("a", 8000, 32, 0, vec![])),
            c.add_pool(pool("b", 16_000, 64, 0, vec![taint])),
            c.add_pool(pool("g", 8000, 64, 4000, vec![])),
        ];
        let pressure = c.interner.intern(crate::cluster::TAINT_MEMORY_PRESSURE);
        let tol = |key| Toleration {
            key: Some(key),
            operator: TolerationOperator::Exists,
            value: e,
            effect: None,
            toleration_ms: None,
        };
        let templates = [
            c.add_template(PodTemplate::default()),
            c.add_template(PodTemplate {
                tolerations: vec![tol(k), tol(pressure)],
                ..Default::default()
            }),
        ];
        let mut scheduler: Box<dyn Scheduler> = if first_fit {
            Box::new(crate::scheduler::baselines::first_fit::FirstFit::new(
                crate::scheduler::baselines::default_filters(&mut c),
            ))
        } else {
            Box::new(crate::scheduler::build_profile(&SchedulerSpec::default(), &mut c).unwrap())
        };
        let prefix = c.add_name_prefix("p");
        let mut nodes = 0u32;
        let mut add_node = |c: &mut ClusterState, rng: &mut SimRng| {
            nodes += 1;
            let p = pools[rng.random_range(0..pools.len())];
            c.add_node(p, format!("n{nodes}"), None, SimTime::ZERO);
        };
        for _ in 0..12 {
            add_node(&mut c, &mut rng);
        }
        // A few recurring classes: (cpu, memory GiB, gpu, template, priority).
        let classes: Vec<(u64, u64, u64, usize, i32)> = (0..6)
            .map(|_| {
                (
                    rng.random_range(1..=12) * 1000,
                    rng.random_range(1..=48),
                    if rng.random_range(0..3) == 0 { 1000 } else { 0 },
                    rng.random_range(0..2),
                    [0, 5, 10][rng.random_range(0..3)],
                )
            })
            .collect();
        let mut ordinal = 0;
        let mut new_pod = |c: &mut ClusterState, class: (u64, u64, u64, usize, i32)| {
            ordinal += 1;
            let (cpu, mem, gpu, t, priority) = class;
            let name = PodName {
                prefix,
                ordinal,
                width: 0,
            };
            let requests = Resources {
                cpu_milli: cpu,
                memory_bytes: mem << 30,
                gpu_milli: gpu,
                pods: 0,
            };
            let mut new = NewPod::bare(name, requests, templates[t]);
            new.priority = priority;
            c.create_pod(new, SimTime::ZERO)
        };
        let probes: Vec<PodId> = classes
            .iter()
            .flat_map(|&class| [new_pod(&mut c, class), new_pod(&mut c, class)])
            .collect();
        for &p in &probes {
            c.pods[p.0 as usize].failed_attempts = 1;
        }
        let mut memo = RetryMemo::default();
        let mut bound: Vec<PodId> = Vec::new();
        let (mut futile, mut open) = (0, 0);
        for step in 0..400 {
            match rng.random_range(0..12) {
                0..=4 => {
                    let class = classes[rng.random_range(0..classes.len())];
                    let pod = new_pod(&mut c, class);
                    let mut draws = rng.clone();
                    if let Decision::Bind(n) = scheduler.schedule(pod, &c, &mut draws) {
                        c.bind(pod, n, SimTime(step));
                        bound.push(pod);
                    }
                }
                5 | 6 if !bound.is_empty() => {
                    let pod = bound.swap_remove(rng.random_range(0..bound.len()));
                    c.terminate(pod, PodPhase::Succeeded, SimTime(step));
                }
                7 => {
                    let n = c.live_nodes[rng.random_range(0..c.live_nodes.len())];
                    let cordoned = c.nodes[n.0 as usize].unschedulable;
                    c.set_unschedulable(n, !cordoned);
                }
                8 => {
                    let n = c.live_nodes[rng.random_range(0..c.live_nodes.len())];
                    if !c.remove_node_taint(n, k, TaintEffect::NoSchedule) {
                        c.add_node_taint(n, taint);
                    }
                }
                9 => {
                    let n = c.live_nodes[rng.random_range(0..c.live_nodes.len())];
                    let under = c.nodes[n.0 as usize].memory_pressure;
                    c.set_memory_pressure(n, !under);
                }
                10 => add_node(&mut c, &mut rng),
                _ => {
                    let empty = c
                        .live_nodes
                        .iter()
                        .copied()
                        .find(|&n| c.nodes[n.0 as usize].pods.is_empty());
                    if let Some(n) = empty.filter(|_| c.live_nodes.len() > 4) {
                        c.remove_node(n, SimTime(step));
                    }
                }
            }
            // Sometimes a nominated pod holds room on a node during the attempts.
            let nominated = (rng.random_range(0..4) == 0).then(|| {
                let n = c.live_nodes[rng.random_range(0..c.live_nodes.len())];
                let pod = probes[rng.random_range(0..probes.len())];
                c.attach(pod, n);
                (pod, n)
            });
            for &pod in &probes {
                if nominated.is_some_and(|(p, _)| p == pod) {
                    continue;
                }
                let preempts = c.pods[pod.0 as usize].priority > 0;
                let known = memo.known_futile(pod, preempts, &mut c, &mut *scheduler);
                let full = full_attempt(pod, preempts, &mut c, &mut *scheduler, &rng);
                if known.is_some() {
                    assert_eq!(known, full, "seed {seed} step {step}: memo said futile");
                    futile += 1;
                } else {
                    assert_eq!(
                        full, None,
                        "seed {seed} step {step}: memo missed a futile attempt"
                    );
                    open += 1;
                }
            }
            if let Some((pod, n)) = nominated {
                c.detach(pod, n);
            }
        }
        assert!(
            futile > 100 && open > 100,
            "both outcomes exercised: {futile} / {open}"
        );
        assert!(memo.stats.answered > 0);
    }

    #[test]
    fn memo_answers_like_the_full_attempt() {
        for seed in 0..6 {
            check(seed, false);
            check(seed, true);
        }
    }
}

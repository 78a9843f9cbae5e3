//! Pods: requests, limits, priority, QoS class, owner and lifecycle.

use super::extended::ExtendedSet;
use super::labels::{Labels, Toleration};
use super::node::NodeId;
use super::resources::{DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, Resources};
use crate::engine::time::SimTime;

/// Index of a pod in [`crate::cluster::ClusterState::pods`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodId(pub u32);

/// Index of a shared pod template (labels, tolerations) in the cluster state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TemplateId(pub u32);

/// Pod lifecycle phase, as in the Kubernetes API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PodPhase {
    /// Accepted but not yet bound to a node (or bound and not yet started).
    Pending,
    /// Bound to a node and running.
    Running,
    /// Terminated successfully (run time elapsed).
    Succeeded,
    /// Terminated in failure or was deleted.
    Failed,
}

/// QoS class derived from requests and limits as upstream `GetPodQOS`
/// (pkg/apis/core/v1/helper/qos/qos.go).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QosClass {
    /// cpu and memory limits set and equal to the requests.
    Guaranteed,
    /// Anything between Guaranteed and BestEffort.
    Burstable,
    /// No cpu or memory request or limit at all.
    BestEffort,
}

impl QosClass {
    /// The upstream spelling of the class.
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::Guaranteed => "Guaranteed",
            QosClass::Burstable => "Burstable",
            QosClass::BestEffort => "BestEffort",
        }
    }
}

/// cpu and memory limits of a pod; `None` means no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// CPU limit in millicores.
    pub cpu_milli: Option<u64>,
    /// Memory limit in bytes.
    pub memory_bytes: Option<u64>,
}

/// Derives the QoS class of a pod whose single container has `requests` and `limits`, after
/// upstream defaulting (an unset request defaults to its limit). Only positive quantities
/// count, as in `ComputePodQOS`; pods made of several containers use
/// [`super::pod_requests::pod_qos`].
pub fn qos_class(requests: &Resources, limits: &Limits) -> QosClass {
    let no_requests = requests.cpu_milli == 0 && requests.memory_bytes == 0;
    let no_limits = limits.cpu_milli.unwrap_or(0) == 0 && limits.memory_bytes.unwrap_or(0) == 0;
    if no_requests && no_limits {
        return QosClass::BestEffort;
    }
    let guaranteed = requests.cpu_milli > 0
        && requests.memory_bytes > 0
        && limits.cpu_milli == Some(requests.cpu_milli)
        && limits.memory_bytes == Some(requests.memory_bytes);
    if guaranteed {
        QosClass::Guaranteed
    } else {
        QosClass::Burstable
    }
}

/// Who created a pod and will react to its termination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A Deployment (index into the scenario's deployments).
    Deployment(u32),
    /// A Job (index into the scenario's jobs).
    Job(u32),
    /// A bare pod from a workload source (trace or generator), by source index.
    Source(u32),
    /// A StatefulSet (index into the scenario's statefulSets).
    StatefulSet(u32),
    /// A DaemonSet (index into the scenario's daemonSets).
    DaemonSet(u32),
}

/// When a pod ends on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// Runs until removed by a controller or the end of the simulation (services).
    Forever,
    /// Succeeds after running this long [ms] (batch work; the clock starts at bind time).
    RunFor(u64),
    /// Is deleted this long [ms] after creation, whether it is running or still pending
    /// (trace replay: lifetime = deletion time − creation time).
    DeleteAfter(u64),
}

/// `PodName::width` of a pod named by its prefix alone (a bare pod), without an ordinal.
pub const UNNUMBERED: u8 = u8::MAX;

/// How a pod's name is rendered: `prefix` + ordinal (zero-padded to `width` digits), or the
/// prefix alone when `width` is [`UNNUMBERED`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodName {
    /// Index into the cluster's name prefixes.
    pub prefix: u32,
    /// Ordinal within the prefix.
    pub ordinal: u32,
    /// Minimum number of digits of the ordinal.
    pub width: u8,
}

/// A sample the metrics pipeline holds for a pod: cpu [millicores] and memory [bytes] averaged
/// over the window ending at `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodSample {
    /// cpu usage [millicores].
    pub cpu_milli: u64,
    /// memory usage [bytes].
    pub memory_bytes: u64,
    /// Scrape time.
    pub at: SimTime,
}

/// A pod. Small and `Copy`-friendly: shared parts live in a [`TemplateId`].
#[derive(Clone, Debug)]
pub struct Pod {
    /// Rendered name (for output only).
    pub name: PodName,
    /// Resource requests (pods = 1).
    pub requests: Resources,
    /// Resource limits.
    pub limits: Limits,
    /// Current usage (cpu [millicores], memory [bytes]): the pod's spec while its container
    /// runs (zero while it is down), or what its service sets every load tick
    /// (`ClusterState::set_pod_usage`).
    pub usage: Resources,
    /// The metrics-server sample of a load-driven pod, set by its service at each scrape
    /// (`None` before its first full window).
    pub metrics_sample: Option<PodSample>,
    /// Priority (from the priority class); higher is more important.
    pub priority: i32,
    /// QoS class derived from requests and limits.
    pub qos: QosClass,
    /// The cpu [millicores] and memory [bytes] requests the resource scorers use, with the
    /// non-zero defaults for unset requests; read it through [`Pod::non_zero_requests`].
    pub non_zero: (u64, u64),
    /// Its extended resource requests (its template's set; [`ExtendedSet::NONE`] if none).
    pub extended: ExtendedSet,
    /// Shared labels and tolerations.
    pub template: TemplateId,
    /// Creator of the pod.
    pub owner: Owner,
    /// Lifecycle phase.
    pub phase: PodPhase,
    /// Node the pod is bound to, if any.
    pub node: Option<NodeId>,
    /// When the pod was created (entered the scheduling queue).
    pub created: SimTime,
    /// When the pod was bound ([`SimTime::NEVER`] if not yet).
    pub scheduled: SimTime,
    /// When the pod terminated ([`SimTime::NEVER`] if not yet).
    pub finished: SimTime,
    /// When the pod ends.
    pub lifetime: Lifetime,
    /// Bumped whenever timers concerning this pod must be invalidated (lazy cancellation).
    pub generation: u32,
    /// Number of failed scheduling attempts.
    pub failed_attempts: u32,
    /// Creation sequence number (unique and increasing, unlike the reusable [`PodId`]); breaks
    /// queue-order ties first come, first served.
    pub seq: u64,
    /// The node a preemption reserved for this pending pod (`status.nominatedNodeName`).
    pub nominated_node: Option<NodeId>,
    /// When its graceful deletion started (`metadata.deletionTimestamp`; [`SimTime::NEVER`] if
    /// not being deleted). A terminating pod keeps its node and resources until it ends.
    pub deletion_started: SimTime,
    /// Why it is being deleted (the `DisruptionTarget` condition's reason), if it is.
    pub disruption: Option<DisruptionReason>,
    // --- Kubelet: readiness and restarts (see `crate::disruption::kubelet`) ---
    /// When its Ready condition last became True ([`SimTime::NEVER`] while not Ready). Read it
    /// through [`pod_is_ready`].
    pub ready_since: SimTime,
    /// When its Ready condition last became False (the bind time until it is first Ready;
    /// [`SimTime::NEVER`] before it is bound or while Ready).
    pub not_ready_since: SimTime,
    /// Container restarts so far (`restartCount`).
    pub restarts: u32,
}

/// Whether `pod` is Ready at `now`: bound and running, not being deleted, and its Ready
/// condition True (its readiness probe has succeeded since the container last started). The
/// condition as the API shows it, which ReplicaSet/Deployment availability, rollouts and the
/// HPA read; minReadySeconds is 0, so Ready is also available. What serves traffic and what
/// disruption budgets count use [`super::readiness::pod_is_ready`], which also needs the
/// pod's node up (the API keeps a pod on a dead node Ready until the node lifecycle
/// controller notices).
#[inline]
pub fn pod_is_ready(pod: &Pod, now: SimTime) -> bool {
    pod.phase == PodPhase::Running && !pod.is_terminating() && pod.ready_since <= now
}

/// Why a pod is being deleted (the reason of its `DisruptionTarget` condition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DisruptionReason {
    /// Deleted by the scheduler to make room for a higher-priority pod
    /// (`PreemptionByScheduler`).
    PreemptionByScheduler,
    /// Evicted by the kubelet under node pressure (`TerminationByKubelet`; phase Failed,
    /// reason `Evicted`).
    TerminationByKubelet,
    /// Evicted through the eviction API, e.g. by a drain (`EvictionByEvictionAPI`).
    EvictionByEvictionApi,
    /// Deleted by the taint-eviction controller: its node got a NoExecute taint it does not
    /// tolerate, or its `tolerationSeconds` ran out (`DeletionByTaintManager`).
    DeletionByTaintManager,
    /// Deleted because its node is gone (`DeletionByPodGC`).
    DeletionByPodGc,
    /// Deleted by its StatefulSet or DaemonSet controller (scale-down, rolling update, a node
    /// it may no longer run on); upstream sets no `DisruptionTarget` condition.
    DeletedByController,
}

/// `preemptionPolicy` of a pod, from its PriorityClass (pkg/apis/scheduling).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PreemptionPolicy {
    /// May preempt lower-priority pods (the default).
    #[default]
    PreemptLowerPriority,
    /// Never preempts; waits for capacity like any pod (still ordered by priority).
    Never,
}

/// Default `terminationGracePeriodSeconds` [s] (pkg/apis/core/v1 defaults).
pub const DEFAULT_TERMINATION_GRACE_PERIOD_S: u64 = 30;

impl Pod {
    /// The cpu [millicores] and memory [bytes] requests used by the resource scorers, with
    /// the non-zero defaults for unset requests (pkg/scheduler/util/pod_resources.go).
    #[inline]
    pub fn non_zero_requests(&self) -> (u64, u64) {
        self.non_zero
    }

    /// True when the pod has terminated (Succeeded or Failed).
    pub fn is_terminated(&self) -> bool {
        matches!(self.phase, PodPhase::Succeeded | PodPhase::Failed)
    }

    /// True while the pod is being deleted (graceful termination in progress).
    pub fn is_terminating(&self) -> bool {
        self.deletion_started != SimTime::NEVER && !self.is_terminated()
    }
}

/// The non-zero (cpu [millicores], memory [bytes]) request used for scoring: an unset (zero)
/// request counts as 100m cpu / 200Mi memory (`schedutil.GetNonzeroRequests`).
#[inline]
pub fn non_zero_requests(requests: &Resources) -> (u64, u64) {
    let cpu = if requests.cpu_milli == 0 {
        DEFAULT_MILLI_CPU_REQUEST
    } else {
        requests.cpu_milli
    };
    let mem = if requests.memory_bytes == 0 {
        DEFAULT_MEMORY_REQUEST
    } else {
        requests.memory_bytes
    };
    (cpu, mem)
}

/// Labels and tolerations shared by the pods of one workload.
#[derive(Clone, Debug, Default)]
pub struct PodTemplate {
    /// Pod labels.
    pub labels: Labels,
    /// Pod tolerations.
    pub tolerations: Vec<Toleration>,
    /// Node selector and node affinity.
    pub node_affinity: super::affinity::NodeAffinity,
    /// Inter-pod affinity and anti-affinity.
    pub pod_affinity: super::pod_affinity::PodAffinity,
    /// `topologySpreadConstraints` the pods set themselves.
    pub spread: Vec<super::pod_affinity::SpreadConstraint>,
    /// The owner's selector (a ReplicaSet's), used by the system default spread constraints
    /// when the pods set none; `None` for pods no ReplicaSet owns.
    pub default_spread_selector: Option<super::pod_affinity::LabelSelector>,
    /// `spec.nodeName`: the pods are bound to this node directly, without the scheduler.
    pub node_name: Option<NodeId>,
    /// `preemptionPolicy` (from the pods' PriorityClass).
    pub preemption_policy: PreemptionPolicy,
    /// `terminationGracePeriodSeconds` [s]; `None` = the upstream default of 30 s.
    pub termination_grace_period_s: Option<u64>,
    /// The `cluster-autoscaler.kubernetes.io/safe-to-evict` annotation (`None` if absent).
    pub safe_to_evict: Option<bool>,
    /// Index of the pods' kubelet behaviour (start-up latency, crashes, memory leak, restart
    /// policy) in [`crate::disruption::kubelet::Kubelet::profiles`]; 0 = start at once, never
    /// fail.
    pub kubelet_profile: u32,
    /// The pods' scoring requests (cpu [millicores], memory [bytes]) when they are made of
    /// containers (computed once, see [`super::pod_requests::non_zero_requests`]); `None` =
    /// derive them from each pod's own request (the single-request shorthand and traces:
    /// a zero request counts as unset).
    pub non_zero_requests: Option<(u64, u64)>,
    /// The pods' QoS class when they are made of containers; `None` = derive it from each
    /// pod's requests and limits ([`qos_class`]).
    pub qos: Option<QosClass>,
    /// The pods' extended resource requests ([`super::extended::ExtendedSet::NONE`] if none).
    pub extended: ExtendedSet,
    /// Index of the scheduler profile the pods' `schedulerName` selects (see
    /// [`crate::scheduler::profiles`]); [`NO_PROFILE`] if no profile has that name (the pods
    /// are never queued and stay Pending). 0 = the first (or only) profile.
    pub scheduler_profile: u32,
}

/// [`PodTemplate::scheduler_profile`] of pods no scheduler profile is responsible for.
pub const NO_PROFILE: u32 = u32::MAX;

impl PodTemplate {
    /// How long a deleted pod keeps running before it terminates [ms].
    pub fn termination_grace_ms(&self) -> u64 {
        self.termination_grace_period_s
            .unwrap_or(DEFAULT_TERMINATION_GRACE_PERIOD_S)
            .saturating_mul(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_classes_as_upstream() {
        let req = Resources::cpu_mem(500, 1 << 30);
        let lim = Limits {
            cpu_milli: Some(500),
            memory_bytes: Some(1 << 30),
        };
        assert_eq!(qos_class(&req, &lim), QosClass::Guaranteed);
        let lim2 = Limits {
            cpu_milli: Some(1000),
            ..lim
        };
        assert_eq!(qos_class(&req, &lim2), QosClass::Burstable);
        assert_eq!(qos_class(&req, &Limits::default()), QosClass::Burstable);
        assert_eq!(
            qos_class(&Resources::ZERO, &Limits::default()),
            QosClass::BestEffort
        );
        // Only a memory limit: Burstable (requests default to limits -> memory request set).
        let mem_only = Limits {
            cpu_milli: None,
            memory_bytes: Some(1 << 20),
        };
        assert_eq!(
            qos_class(&Resources::cpu_mem(0, 1 << 20), &mem_only),
            QosClass::Burstable
        );
        // Zero limits do not count (ComputePodQOS only counts positive quantities).
        let zero = Limits {
            cpu_milli: Some(0),
            memory_bytes: Some(0),
        };
        assert_eq!(qos_class(&Resources::ZERO, &zero), QosClass::BestEffort);
    }

    #[test]
    fn non_zero_defaults() {
        assert_eq!(
            non_zero_requests(&Resources::ZERO),
            (100, 200 * 1024 * 1024)
        );
        assert_eq!(non_zero_requests(&Resources::cpu_mem(5, 7)), (5, 7));
    }
}

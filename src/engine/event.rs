//! The closed set of simulation events. Payloads are small ids; the owning controller holds the
//! state. Events that may become stale carry the pod's generation and are skipped when it no
//! longer matches (lazy cancellation).

use crate::cluster::node::NodeId;
use crate::cluster::pod::PodId;

/// A simulation event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The held next arrival of workload source `0` is due.
    SourceArrival(u32),
    /// Deployment `0` is created.
    DeploymentStart(u32),
    /// Job `0` is created.
    JobStart(u32),
    /// A running pod reaches the end of its run time (`Lifetime::RunFor`).
    PodRunEnd {
        /// The pod.
        pod: PodId,
        /// Pod generation when the timer was set.
        generation: u32,
    },
    /// A pod reaches its deletion time (`Lifetime::DeleteAfter`).
    PodDeletion {
        /// The pod.
        pod: PodId,
        /// Pod generation when the timer was set.
        generation: u32,
    },
    /// Drain the scheduler's active queue.
    ScheduleCycle,
    /// A pod's scheduling backoff ends: it moves to the active queue.
    BackoffExpired {
        /// The pod.
        pod: PodId,
        /// Pod generation when the timer was set.
        generation: u32,
    },
    /// A pod being deleted reaches the end of its termination grace period and stops,
    /// releasing its node's resources.
    GracefulTerminationEnd {
        /// The pod.
        pod: PodId,
        /// Pod generation when its deletion started.
        generation: u32,
    },
    /// The periodic flush of long-parked unschedulable pods.
    UnschedulableFlush,
    /// Record a time-series sample.
    Sample,
    /// Sync the HPAs due now (see [`crate::engine::periodic`]).
    HpaSyncs,
    /// Load tick of the services due now: account requests, record metric samples, re-split
    /// the load.
    LoadTicks,
    /// One loop of the cluster autoscaler (every `scanInterval`).
    AutoscalerScan,
    /// A node requested by the cluster autoscaler finished booting and joins the cluster
    /// (ignored if the node is no longer provisioning, e.g. it timed out).
    NodeProvisioned(NodeId),
    /// The node-delete delay after tainting a node for scale-down is over: drain it and delete
    /// it (ignored if the deletion was cancelled).
    NodeScaleDown(NodeId),
    // --- Kubelet and rolling updates (engine/kubelet.rs, engine/rollout.rs) ---
    /// A kubelet timer of a pod's container.
    Kubelet {
        /// What happens.
        timer: KubeletTimer,
        /// The pod.
        pod: PodId,
        /// Pod generation when the timer was set.
        generation: u32,
    },
    /// The eviction manager of a node synchronizes.
    EvictionCheck {
        /// The node.
        node: NodeId,
        /// The node's check generation when the timer was set.
        generation: u32,
    },
    /// Planned rollout `0` (index into the simulation's planned rollouts) starts.
    RolloutStart(u32),
    /// Run the rolling-update sync of Deployment `0`.
    RolloutSync(u32),
    /// The progress-deadline check of Deployment `deployment`'s rollout.
    RolloutDeadline {
        /// Deployment index.
        deployment: u32,
        /// The rollout's deadline generation when the timer was set.
        generation: u32,
    },
    /// A fault, node lifecycle or drain timer (see [`crate::disruption::faults::FaultEvent`]).
    Fault(crate::disruption::faults::FaultEvent),
    /// A StatefulSet, DaemonSet or CronJob timer (see `engine/controllers.rs`).
    Controller(ControllerEvent),
}

/// Timers of the StatefulSet, DaemonSet and CronJob controllers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControllerEvent {
    /// Sync StatefulSet `0`.
    StatefulSetSync(u32),
    /// StatefulSet `set` switches to its planned template `k`.
    StatefulSetRollout {
        /// StatefulSet index.
        set: u32,
        /// Index into its planned revisions.
        k: u32,
    },
    /// Sync DaemonSet `0`.
    DaemonSetSync(u32),
    /// DaemonSet `set` switches to its planned template `k`.
    DaemonSetRollout {
        /// DaemonSet index.
        set: u32,
        /// Index into its planned revisions.
        k: u32,
    },
    /// CronJob `0` reaches its next scheduled time.
    CronJobRun(u32),
}

/// The kubelet timers of a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeletTimer {
    /// The container starts: the image pull is done, or the restart backoff is over.
    ContainerStart,
    /// The readiness probe succeeds.
    Ready,
    /// The container crashes or is OOM-killed.
    Exit,
    /// An evicted pod's grace period ends: it is killed (phase Failed, reason Evicted).
    EvictionKill,
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_stay_small() {
        // The calendar stores (u128 key, Event): up to 16 bytes of event keep an entry at 32.
        assert!(std::mem::size_of::<super::Event>() <= 16);
    }
}

//! The effective requests, limits and QoS class of a pod made of containers, init containers
//! and sidecars (restartable init containers), as upstream `PodRequests` / `PodLimits`
//! (k8s.io/component-helpers/resource/helpers.go) and `ComputePodQOS`
//! (pkg/apis/core/v1/helper/qos/qos.go).
//!
//! These run once per pod template when a scenario is built, never per event, so they work on
//! small sorted maps keyed by resource name (`cpu` in millicores, `memory` in bytes,
//! `nvidia.com/gpu` in milli-GPUs, every other resource in whole units).

use super::pod::QosClass;
use std::collections::BTreeMap;

/// A resource list: resource name to amount (cpu [millicores], memory [bytes],
/// `nvidia.com/gpu` [milli-GPUs], others [units]). A key that is present with 0 is an explicit
/// zero, which differs from an absent key for the scoring defaults.
pub type ResourceMap = BTreeMap<String, u64>;

/// Resource name of cpu.
pub const CPU: &str = "cpu";
/// Resource name of memory.
pub const MEMORY: &str = "memory";

/// One container's resources after API defaulting (a request that is unset but has a limit
/// takes the limit's value, pkg/apis/core/v1/defaults.go `SetDefaults_Pod`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerResources {
    /// Requests.
    pub requests: ResourceMap,
    /// Limits.
    pub limits: ResourceMap,
    /// A restartable init container (`restartPolicy: Always`): a sidecar. Only meaningful in
    /// [`PodResources::init_containers`].
    pub sidecar: bool,
}

impl ContainerResources {
    /// A container with `requests` and `limits`, applying the request-defaults-to-limit rule.
    pub fn new(requests: ResourceMap, limits: ResourceMap, sidecar: bool) -> Self {
        let mut requests = requests;
        for (name, &limit) in &limits {
            requests.entry(name.clone()).or_insert(limit);
        }
        ContainerResources {
            requests,
            limits,
            sidecar,
        }
    }
}

/// The resource-relevant part of a pod spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodResources {
    /// App containers (`spec.containers`).
    pub containers: Vec<ContainerResources>,
    /// Init containers in order (`spec.initContainers`); sidecars among them.
    pub init_containers: Vec<ContainerResources>,
    /// Pod overhead (`spec.overhead`, from the RuntimeClass).
    pub overhead: ResourceMap,
}

fn add(into: &mut ResourceMap, list: &ResourceMap) {
    for (name, &v) in list {
        *into.entry(name.clone()).or_insert(0) += v;
    }
}

fn max_into(into: &mut ResourceMap, list: &ResourceMap) {
    for (name, &v) in list {
        let e = into.entry(name.clone()).or_insert(v);
        *e = (*e).max(v);
    }
}

/// `list` with `defaults` filled in for the resources it does not set (`applyNonMissing`).
fn with_defaults(list: &ResourceMap, defaults: &ResourceMap) -> ResourceMap {
    let mut out = list.clone();
    for (name, &v) in defaults {
        out.entry(name.clone()).or_insert(v);
    }
    out
}

/// The shared aggregation of `AggregateContainerRequests` / `AggregateContainerLimits`: the
/// sum over app containers and sidecars, against the maximum over init phases (init container
/// `i` runs beside the sidecars declared before it), taken per resource.
fn aggregate(pod: &PodResources, list: impl Fn(&ContainerResources) -> ResourceMap) -> ResourceMap {
    let mut sum = ResourceMap::new();
    for c in &pod.containers {
        add(&mut sum, &list(c));
    }
    let mut sidecars = ResourceMap::new();
    let mut init_max = ResourceMap::new();
    for c in &pod.init_containers {
        let own = list(c);
        if c.sidecar {
            add(&mut sum, &own);
            add(&mut sidecars, &own);
            max_into(&mut init_max, &sidecars);
        } else {
            let mut phase = own;
            add(&mut phase, &sidecars);
            max_into(&mut init_max, &phase);
        }
    }
    max_into(&mut sum, &init_max);
    sum
}

/// The pod's effective request (`PodRequests`): see [`aggregate`], plus the overhead.
/// `non_missing` (`NonMissingContainerRequests`) fills in each container's unset requests
/// (the scorers pass 100m cpu / 200Mi memory); an explicit zero stays zero.
pub fn pod_requests(pod: &PodResources, non_missing: Option<&ResourceMap>) -> ResourceMap {
    let mut reqs = aggregate(pod, |c| match non_missing {
        Some(d) => with_defaults(&c.requests, d),
        None => c.requests.clone(),
    });
    add(&mut reqs, &pod.overhead);
    reqs
}

/// The pod's effective limits (`PodLimits`): the same aggregation over the limits that are
/// set; the overhead is added only to resources that have a limit.
pub fn pod_limits(pod: &PodResources) -> ResourceMap {
    let mut limits = aggregate(pod, |c| c.limits.clone());
    for (name, &v) in &pod.overhead {
        if let Some(l) = limits.get_mut(name) {
            *l += v;
        }
    }
    limits
}

/// The scoring requests of the pod: cpu [millicores] and memory [bytes] with the non-zero
/// defaults (100m / 200Mi, pkg/scheduler/util/pod_resources.go) applied per container where a
/// request is unset (`calculateResource` in pkg/scheduler/framework/types.go). A pod with no
/// containers gets (0, 0) plus its overhead.
pub fn non_zero_requests(pod: &PodResources) -> (u64, u64) {
    let defaults = ResourceMap::from([
        (CPU.to_string(), super::resources::DEFAULT_MILLI_CPU_REQUEST),
        (MEMORY.to_string(), super::resources::DEFAULT_MEMORY_REQUEST),
    ]);
    let r = pod_requests(pod, Some(&defaults));
    (
        r.get(CPU).copied().unwrap_or(0),
        r.get(MEMORY).copied().unwrap_or(0),
    )
}

/// The QoS class (`ComputePodQOS`): over all containers including init containers, only cpu
/// and memory count, and only positive quantities. BestEffort when no container has a positive
/// cpu/memory request or limit; Guaranteed when every container limits both cpu and memory and
/// the summed requests equal the summed limits for each resource; Burstable otherwise.
pub fn pod_qos(pod: &PodResources) -> QosClass {
    let mut requests = [0u64; 2];
    let mut limits = [0u64; 2];
    let mut seen_req = [false; 2];
    let mut seen_lim = [false; 2];
    let mut guaranteed = true;
    for c in pod.containers.iter().chain(&pod.init_containers) {
        let mut found = [false; 2];
        for (i, name) in [CPU, MEMORY].iter().enumerate() {
            if let Some(&q) = c.requests.get(*name)
                && q > 0
            {
                requests[i] += q;
                seen_req[i] = true;
            }
            if let Some(&q) = c.limits.get(*name)
                && q > 0
            {
                limits[i] += q;
                seen_lim[i] = true;
                found[i] = true;
            }
        }
        if !(found[0] && found[1]) {
            guaranteed = false;
        }
    }
    if !seen_req.iter().any(|&s| s) && !seen_lim.iter().any(|&s| s) {
        return QosClass::BestEffort;
    }
    for i in 0..2 {
        if seen_req[i] && (!seen_lim[i] || limits[i] != requests[i]) {
            guaranteed = false;
        }
    }
    if guaranteed && seen_req == seen_lim {
        QosClass::Guaranteed
    } else {
        QosClass::Burstable
    }
}

#[cfg(test)]
mod tests {
    //! Cases after component-helpers' `TestPodResourceRequests` / `TestPodResourceLimits`
    //! (k8s.io/component-helpers/resource/helpers_test.go) and qos_test.go `TestComputePodQOS`,
    //! hand-checked.
    use super::*;

    const MI: u64 = 1 << 20;

    fn map(list: &[(&str, u64)]) -> ResourceMap {
        list.iter().map(|&(k, v)| (k.to_string(), v)).collect()
    }

    fn c(req: &[(&str, u64)], lim: &[(&str, u64)]) -> ContainerResources {
        ContainerResources::new(map(req), map(lim), false)
    }

    fn sidecar(req: &[(&str, u64)], lim: &[(&str, u64)]) -> ContainerResources {
        ContainerResources::new(map(req), map(lim), true)
    }

    #[test]
    fn init_containers_take_the_max_of_the_phases() {
        // "init container has a higher request than the sum of the containers"
        let pod = PodResources {
            containers: vec![c(&[(CPU, 1000)], &[]), c(&[(CPU, 1000)], &[])],
            init_containers: vec![c(&[(CPU, 3000)], &[]), c(&[(CPU, 1000)], &[])],
            overhead: ResourceMap::new(),
        };
        assert_eq!(pod_requests(&pod, None), map(&[(CPU, 3000)]));
        // Containers win when their sum is larger.
        let pod = PodResources {
            init_containers: vec![c(&[(CPU, 1500)], &[])],
            ..pod
        };
        assert_eq!(pod_requests(&pod, None), map(&[(CPU, 2000)]));
    }

    #[test]
    fn sidecars_add_to_the_sum_and_to_later_init_phases() {
        // "restartable init container" cases of TestPodResourceRequests: sidecar 1 cpu before
        // an init container of 2 cpu, one app container of 1 cpu: the init phase is 1 + 2 = 3,
        // the steady state 1 + 1 = 2, so 3.
        let pod = PodResources {
            containers: vec![c(&[(CPU, 1000)], &[])],
            init_containers: vec![sidecar(&[(CPU, 1000)], &[]), c(&[(CPU, 2000)], &[])],
            overhead: ResourceMap::new(),
        };
        assert_eq!(pod_requests(&pod, None), map(&[(CPU, 3000)]));
        // An init container before the sidecar does not run beside it: max(2, 1 + 1) = 2.
        let pod = PodResources {
            init_containers: vec![c(&[(CPU, 2000)], &[]), sidecar(&[(CPU, 1000)], &[])],
            ..pod
        };
        assert_eq!(pod_requests(&pod, None), map(&[(CPU, 2000)]));
        // "multiple restartable and regular init containers": sidecars 1, 2 with init 5
        // after them, app 1: init phase 1 + 2 + 5 = 8 > steady 1 + 1 + 2 = 4.
        let pod = PodResources {
            containers: vec![c(&[(CPU, 1000)], &[])],
            init_containers: vec![
                sidecar(&[(CPU, 1000)], &[]),
                sidecar(&[(CPU, 2000)], &[]),
                c(&[(CPU, 5000)], &[]),
            ],
            overhead: ResourceMap::new(),
        };
        assert_eq!(pod_requests(&pod, None), map(&[(CPU, 8000)]));
    }

    #[test]
    fn overhead_is_added_to_requests_and_to_set_limits_only() {
        let pod = PodResources {
            containers: vec![c(&[(CPU, 1000), (MEMORY, 64 * MI)], &[(CPU, 2000)])],
            init_containers: vec![],
            overhead: map(&[(CPU, 250), (MEMORY, 120 * MI)]),
        };
        assert_eq!(
            pod_requests(&pod, None),
            map(&[(CPU, 1250), (MEMORY, 184 * MI)])
        );
        // Only cpu has a limit, so the memory overhead is not added to the limits.
        assert_eq!(pod_limits(&pod), map(&[(CPU, 2250)]));
    }

    #[test]
    fn limits_aggregate_like_requests() {
        // TestPodResourceLimits "pod with restartable init containers": app limit 1 cpu,
        // sidecar 1 cpu, then an init container limit 5 cpu: max(1+1, 1+5) = 6.
        let pod = PodResources {
            containers: vec![c(&[], &[(CPU, 1000)])],
            init_containers: vec![sidecar(&[], &[(CPU, 1000)]), c(&[], &[(CPU, 5000)])],
            overhead: ResourceMap::new(),
        };
        assert_eq!(pod_limits(&pod), map(&[(CPU, 6000)]));
        // Requests default to the limits per container.
        assert_eq!(pod_requests(&pod, None), map(&[(CPU, 6000)]));
    }

    #[test]
    fn non_zero_defaults_apply_per_container_where_unset() {
        // Two containers, one without any request: 100m + 200Mi for that one only.
        let pod = PodResources {
            containers: vec![c(&[(CPU, 500), (MEMORY, MI)], &[]), c(&[], &[])],
            ..Default::default()
        };
        assert_eq!(non_zero_requests(&pod), (600, MI + 200 * MI));
        // An explicit zero stays zero (least_allocated_test.go "explicit zero requests").
        let pod = PodResources {
            containers: vec![c(&[(CPU, 0), (MEMORY, 0)], &[])],
            ..Default::default()
        };
        assert_eq!(non_zero_requests(&pod), (0, 0));
        // A pod with no containers adds nothing (the bound pods of
        // requested_to_capacity_ratio_test.go).
        assert_eq!(non_zero_requests(&PodResources::default()), (0, 0));
        // Init containers get the defaults too: max(100m, 100m) for cpu.
        let pod = PodResources {
            containers: vec![c(&[], &[])],
            init_containers: vec![c(&[(MEMORY, 300 * MI)], &[])],
            overhead: ResourceMap::new(),
        };
        assert_eq!(non_zero_requests(&pod), (100, 300 * MI));
    }

    #[test]
    fn qos_from_all_containers() {
        let g = |cpu, mem| c(&[(CPU, cpu), (MEMORY, mem)], &[(CPU, cpu), (MEMORY, mem)]);
        let pod =
            |containers: Vec<ContainerResources>, init: Vec<ContainerResources>| PodResources {
                containers,
                init_containers: init,
                overhead: ResourceMap::new(),
            };
        // TestComputePodQOS cases.
        assert_eq!(
            pod_qos(&pod(vec![c(&[], &[])], vec![])),
            QosClass::BestEffort
        );
        assert_eq!(
            pod_qos(&pod(vec![g(100, MI), g(200, 2 * MI)], vec![])),
            QosClass::Guaranteed
        );
        // A best-effort init container next to a guaranteed app container: Burstable.
        assert_eq!(
            pod_qos(&pod(vec![g(100, MI)], vec![c(&[], &[])])),
            QosClass::Burstable
        );
        // Guaranteed init container too: Guaranteed.
        assert_eq!(
            pod_qos(&pod(vec![g(100, MI)], vec![g(500, MI)])),
            QosClass::Guaranteed
        );
        // Only a cpu limit: requests default to it, but memory has no limit: Burstable.
        assert_eq!(
            pod_qos(&pod(vec![c(&[], &[(CPU, 100)])], vec![])),
            QosClass::Burstable
        );
        // Extended resources do not count: best effort.
        assert_eq!(
            pod_qos(&pod(vec![c(&[("example.com/foo", 1)], &[])], vec![])),
            QosClass::BestEffort
        );
        // Zero quantities do not count.
        assert_eq!(
            pod_qos(&pod(vec![c(&[(CPU, 0)], &[(MEMORY, 0)])], vec![])),
            QosClass::BestEffort
        );
    }
}

//! Bare pods (`pods:`): each is a source of exactly one pod, created at its `start`. A bare pod
//! has no controller: when it is deleted (preempted, evicted, its node removed) it is gone, as
//! upstream. With `template.nodeName` it binds directly at creation, which makes a list of
//! running pods from a cluster dump the cluster's initial placement.

use super::{PodArrival, WorkloadSource};
use crate::error::Result;

/// A source yielding one pod.
pub struct BarePod {
    arrival: Option<PodArrival>,
}

impl BarePod {
    /// The source of the pod `arrival` describes.
    pub fn new(arrival: PodArrival) -> Self {
        BarePod {
            arrival: Some(arrival),
        }
    }
}

impl WorkloadSource for BarePod {
    fn next_arrival(&mut self) -> Result<Option<PodArrival>> {
        Ok(self.arrival.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pod::{Lifetime, Limits};
    use crate::cluster::resources::Resources;
    use crate::engine::time::SimTime;

    #[test]
    fn yields_its_pod_once() {
        let a = PodArrival {
            time: SimTime(5),
            requests: Resources::default(),
            limits: Limits::default(),
            usage: Resources::default(),
            priority: None,
            lifetime: Lifetime::Forever,
            ordinal: 0,
            template_slot: 0,
        };
        let mut s = BarePod::new(a);
        assert_eq!(s.next_arrival().unwrap(), Some(a));
        assert_eq!(s.next_arrival().unwrap(), None);
    }
}

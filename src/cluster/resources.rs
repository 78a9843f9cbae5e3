//! Resource vectors: cpu, memory, gpu and pod slots.

use std::ops::{Add, AddAssign, Sub, SubAssign};

/// An amount of each schedulable resource.
///
/// Used both for node allocatable/requested totals and for pod requests, limits and usage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Resources {
    /// CPU in millicores (1000 = one core).
    pub cpu_milli: u64,
    /// Memory in bytes.
    pub memory_bytes: u64,
    /// GPUs in thousandths of a GPU (1000 = one whole GPU; fractions model GPU sharing).
    pub gpu_milli: u64,
    /// Pod slots (a pod requests 1; a node's allocatable is its `maxPods`, default 110).
    pub pods: u64,
}

/// The kubelet's default `maxPods`, the allocatable pod count of a node unless configured.
pub const DEFAULT_MAX_PODS: u64 = 110;

/// Non-zero default cpu request used only for scoring, in millicores
/// (`schedutil.DefaultMilliCPURequest`, pkg/scheduler/util/pod_resources.go).
pub const DEFAULT_MILLI_CPU_REQUEST: u64 = 100;
/// Non-zero default memory request used only for scoring, in bytes (200 MiB,
/// `schedutil.DefaultMemoryRequest`).
pub const DEFAULT_MEMORY_REQUEST: u64 = 200 * 1024 * 1024;

impl Resources {
    /// No resources at all.
    pub const ZERO: Resources = Resources {
        cpu_milli: 0,
        memory_bytes: 0,
        gpu_milli: 0,
        pods: 0,
    };

    /// A resource vector of cpu [millicores] and memory [bytes] only.
    pub const fn cpu_mem(cpu_milli: u64, memory_bytes: u64) -> Resources {
        Resources {
            cpu_milli,
            memory_bytes,
            gpu_milli: 0,
            pods: 0,
        }
    }

    /// True when every component of `self` is at most the same component of `other`.
    #[inline]
    pub fn fits_in(&self, other: &Resources) -> bool {
        self.cpu_milli <= other.cpu_milli
            && self.memory_bytes <= other.memory_bytes
            && self.gpu_milli <= other.gpu_milli
            && self.pods <= other.pods
    }

    /// Component-wise subtraction clamped at zero.
    #[inline]
    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.saturating_sub(other.cpu_milli),
            memory_bytes: self.memory_bytes.saturating_sub(other.memory_bytes),
            gpu_milli: self.gpu_milli.saturating_sub(other.gpu_milli),
            pods: self.pods.saturating_sub(other.pods),
        }
    }

    /// Component-wise minimum.
    #[inline]
    pub fn min(&self, other: &Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.min(other.cpu_milli),
            memory_bytes: self.memory_bytes.min(other.memory_bytes),
            gpu_milli: self.gpu_milli.min(other.gpu_milli),
            pods: self.pods.min(other.pods),
        }
    }

    /// True when every component is zero.
    pub fn is_zero(&self) -> bool {
        *self == Resources::ZERO
    }
}

impl Add for Resources {
    type Output = Resources;
    #[inline]
    fn add(self, o: Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli + o.cpu_milli,
            memory_bytes: self.memory_bytes + o.memory_bytes,
            gpu_milli: self.gpu_milli + o.gpu_milli,
            pods: self.pods + o.pods,
        }
    }
}

impl AddAssign for Resources {
    #[inline]
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

impl Sub for Resources {
    type Output = Resources;
    /// Component-wise subtraction; panics in debug builds on underflow, which would be a
    /// bookkeeping bug (a release of more than was reserved).
    #[inline]
    fn sub(self, o: Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli - o.cpu_milli,
            memory_bytes: self.memory_bytes - o.memory_bytes,
            gpu_milli: self.gpu_milli - o.gpu_milli,
            pods: self.pods - o.pods,
        }
    }
}

impl SubAssign for Resources {
    #[inline]
    fn sub_assign(&mut self, o: Resources) {
        *self = *self - o;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_and_arithmetic() {
        let node = Resources {
            cpu_milli: 4000,
            memory_bytes: 8 << 30,
            gpu_milli: 0,
            pods: 110,
        };
        let pod = Resources {
            cpu_milli: 500,
            memory_bytes: 1 << 30,
            gpu_milli: 0,
            pods: 1,
        };
        assert!(pod.fits_in(&node));
        let gpu_pod = Resources {
            gpu_milli: 1,
            ..pod
        };
        assert!(!gpu_pod.fits_in(&node));
        assert_eq!((node - pod) + pod, node);
        assert_eq!(pod.saturating_sub(&node), Resources::ZERO);
    }
}

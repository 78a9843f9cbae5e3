//! Built-in instance-type catalog: capacity and on-demand price of common cloud machines.
//!
//! Prices are public list prices for Linux on-demand capacity (AWS us-east-1, GCP us-central1)
//! in USD per hour; they change over time and by region, so a scenario may override them.
//! Allocatable is derived from capacity with the GKE-documented kube-reserved formula
//! (cpu: 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% above 4; memory: 25% of
//! the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above 128 GiB)
//! plus the kubelet's default 100Mi hard eviction threshold. This is a simplification of each
//! provider's own reservation rules; set `allocatable` explicitly for exact figures.

use super::resources::{DEFAULT_MAX_PODS, Resources};

/// One catalog entry.
#[derive(Clone, Copy, Debug)]
pub struct InstanceType {
    /// Instance type name, e.g. `m5.xlarge`.
    pub name: &'static str,
    /// vCPUs.
    pub vcpus: u64,
    /// Memory [MiB].
    pub memory_mib: u64,
    /// GPUs.
    pub gpus: u64,
    /// On-demand price [USD per hour].
    pub on_demand_usd_per_hour: f64,
}

const fn it(name: &'static str, vcpus: u64, gib: u64, gpus: u64, price: f64) -> InstanceType {
    InstanceType {
        name,
        vcpus,
        memory_mib: gib * 1024,
        gpus,
        on_demand_usd_per_hour: price,
    }
}

/// The catalog, sorted by name.
pub const CATALOG: &[InstanceType] = &[
    it("c5.2xlarge", 8, 16, 0, 0.34),
    it("c5.4xlarge", 16, 32, 0, 0.68),
    it("c5.9xlarge", 36, 72, 0, 1.53),
    it("c5.large", 2, 4, 0, 0.085),
    it("c5.xlarge", 4, 8, 0, 0.17),
    it("e2-standard-16", 16, 64, 0, 0.536048),
    it("e2-standard-4", 4, 16, 0, 0.134012),
    it("e2-standard-8", 8, 32, 0, 0.268024),
    it("g4dn.12xlarge", 48, 192, 4, 3.912),
    it("g4dn.2xlarge", 8, 32, 1, 0.752),
    it("g4dn.xlarge", 4, 16, 1, 0.526),
    it("m5.12xlarge", 48, 192, 0, 2.304),
    it("m5.16xlarge", 64, 256, 0, 3.072),
    it("m5.24xlarge", 96, 384, 0, 4.608),
    it("m5.2xlarge", 8, 32, 0, 0.384),
    it("m5.4xlarge", 16, 64, 0, 0.768),
    it("m5.8xlarge", 32, 128, 0, 1.536),
    it("m5.large", 2, 8, 0, 0.096),
    it("m5.xlarge", 4, 16, 0, 0.192),
    it("m6i.2xlarge", 8, 32, 0, 0.384),
    it("m6i.4xlarge", 16, 64, 0, 0.768),
    it("m6i.large", 2, 8, 0, 0.096),
    it("m6i.xlarge", 4, 16, 0, 0.192),
    it("n2-standard-16", 16, 64, 0, 0.776944),
    it("n2-standard-4", 4, 16, 0, 0.194236),
    it("n2-standard-8", 8, 32, 0, 0.388472),
    it("p3.2xlarge", 8, 61, 1, 3.06),
    it("p3.8xlarge", 32, 244, 4, 12.24),
    it("r5.2xlarge", 8, 64, 0, 0.504),
    it("r5.4xlarge", 16, 128, 0, 1.008),
    it("r5.large", 2, 16, 0, 0.126),
    it("r5.xlarge", 4, 32, 0, 0.252),
];

/// Looks up an instance type by name.
pub fn lookup(name: &str) -> Option<&'static InstanceType> {
    CATALOG.iter().find(|t| t.name == name)
}

/// Comma-separated list of the catalog's names (for error messages).
pub fn names() -> String {
    CATALOG
        .iter()
        .map(|t| t.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl InstanceType {
    /// Capacity of one node of this type.
    pub fn capacity(&self) -> Resources {
        Resources {
            cpu_milli: self.vcpus * 1000,
            memory_bytes: self.memory_mib * 1024 * 1024,
            gpu_milli: self.gpus * 1000,
            pods: DEFAULT_MAX_PODS,
        }
    }

    /// Allocatable = capacity − kube-reserved − the 100Mi eviction threshold (see module docs).
    pub fn allocatable(&self) -> Resources {
        let cap = self.capacity();
        Resources {
            cpu_milli: cap.cpu_milli - reserved_cpu_milli(cap.cpu_milli),
            memory_bytes: cap.memory_bytes
                - reserved_memory_bytes(cap.memory_bytes)
                - 100 * 1024 * 1024,
            ..cap
        }
    }
}

/// kube-reserved cpu [millicores] for a node with `cpu_milli` capacity (GKE formula).
fn reserved_cpu_milli(cpu_milli: u64) -> u64 {
    // (upper bound of the band in millicores, reservation in 1/10000 of the band)
    let bands = [(1000, 600), (2000, 100), (4000, 50), (u64::MAX, 25)];
    band_reservation(cpu_milli, &bands)
}

/// kube-reserved memory [bytes] for a node with `memory_bytes` capacity (GKE formula).
fn reserved_memory_bytes(memory_bytes: u64) -> u64 {
    const GIB: u64 = 1 << 30;
    let bands = [
        (4 * GIB, 2500),
        (8 * GIB, 2000),
        (16 * GIB, 1000),
        (128 * GIB, 600),
        (u64::MAX, 200),
    ];
    band_reservation(memory_bytes, &bands)
}

fn band_reservation(amount: u64, bands: &[(u64, u64)]) -> u64 {
    let mut lower = 0;
    let mut reserved: u128 = 0;
    for &(upper, per_10k) in bands {
        if amount <= lower {
            break;
        }
        let in_band = amount.min(upper) - lower;
        reserved += u128::from(in_band) * u128::from(per_10k) / 10_000;
        lower = upper;
    }
    reserved as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_sorted_and_unique() {
        for w in CATALOG.windows(2) {
            assert!(w[0].name < w[1].name, "{} !< {}", w[0].name, w[1].name);
        }
    }

    #[test]
    fn reservation_matches_gke_examples() {
        // 4 vCPU: 60 + 10 + 10 = 80m reserved.
        assert_eq!(reserved_cpu_milli(4000), 80);
        // 16 GiB: 1 + 0.8 + 0.8 GiB = 2.6 GiB reserved.
        assert_eq!(reserved_memory_bytes(16 << 30), (26 << 30) / 10);
        let m5 = lookup("m5.xlarge").unwrap().allocatable();
        assert_eq!(m5.cpu_milli, 3920);
        assert_eq!(m5.pods, 110);
    }
}

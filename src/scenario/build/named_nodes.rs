//! `nodes:`: individually named nodes (e.g. converted from `kubectl get nodes -o yaml`).
//!
//! Each entry is one node with exactly that name. Nodes with the same labels (the hostname
//! label aside), taints, allocatable, price, spot flag, zone and instance type share one
//! [`NodePool`], which carries them; such a pool is never a cluster-autoscaler node group,
//! so named nodes are neither added nor removed by the autoscaler.
//! - Zone: the `topology.kubernetes.io/zone` label, else the pools' default zone (no zone
//!   label is added then, as on the real node).
//! - Instance type: the `node.kubernetes.io/instance-type` label (informational, and the
//!   catalog price when `hourlyPrice` is unset), else `custom`.
//! - Price: `hourlyPrice`, else the catalog's on-demand price of the instance type, else 0
//!   (the node's cost is then reported as 0).
//! - `kubernetes.io/hostname` is the node name (kubesim's hostname label is implicit; a
//!   label with another value is replaced by the name).
//! - `unschedulable: true` cordons the node (the NodeUnschedulable filter).

use super::{Builder, err, pool_allocatable};
use crate::cluster::catalog;
use crate::cluster::node::{NodePool, PoolId};
use crate::engine::time::SimTime;
use crate::error::Result;
use std::collections::{BTreeMap, BTreeSet};

/// Label of the node's instance type (`v1.LabelInstanceTypeStable`).
pub const LABEL_INSTANCE_TYPE: &str = "node.kubernetes.io/instance-type";

/// What makes two named nodes share a pool.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PoolKey {
    labels: Vec<(String, String)>,
    taints: Vec<(String, String, String)>,
    allocatable: (u64, u64, u64, u64),
    /// Extended allocatable (`example.com/foo`...), in name order.
    extended: Vec<(String, u64)>,
    price_bits: u64,
    spot: bool,
    zone: String,
    instance_type: String,
}

impl Builder<'_> {
    /// Adds the `nodes:` entries (after the pools and node lists, whose names they must not
    /// repeat).
    pub(super) fn add_named_nodes(&mut self) -> Result<()> {
        if self.spec.nodes.is_empty() {
            return Ok(());
        }
        let mut names: BTreeSet<String> =
            self.cluster.nodes.iter().map(|n| n.name.clone()).collect();
        let mut pool_names: BTreeSet<String> =
            self.cluster.pools.iter().map(|p| p.name.clone()).collect();
        let mut pools: BTreeMap<PoolKey, PoolId> = BTreeMap::new();
        let default_zone = crate::scenario::spec::default_zone();
        for (i, n) in self.spec.nodes.iter().enumerate() {
            let f = format!("nodes[{i}]");
            if n.name.is_empty() {
                return Err(err(format!("{f}.name"), "must not be empty"));
            }
            if !names.insert(n.name.clone()) {
                return Err(err(
                    format!("{f}.name"),
                    format!(
                        "duplicate node name {:?} (node names are unique across nodePools \
                         (<pool>-<ordinal>), nodeLists and nodes)",
                        n.name
                    ),
                ));
            }
            let allocatable = pool_allocatable(&n.allocatable);
            if allocatable.cpu_milli == 0 || allocatable.memory_bytes == 0 || allocatable.pods == 0
            {
                return Err(err(
                    format!("{f}.allocatable"),
                    "cpu, memory and pods must be > 0",
                ));
            }
            if let Some(p) = n.hourly_price
                && !(p.is_finite() && p >= 0.0)
            {
                return Err(err(
                    format!("{f}.hourlyPrice"),
                    "must be a non-negative number",
                ));
            }
            for (j, t) in n.taints.iter().enumerate() {
                super::parse_effect(&t.effect, &format!("{f}.taints[{j}].effect"))?;
                if t.key.is_empty() {
                    return Err(err(format!("{f}.taints[{j}].key"), "must not be empty"));
                }
            }
            let zone = n
                .labels
                .get(crate::cluster::LABEL_ZONE)
                .cloned()
                .unwrap_or_else(|| default_zone.clone());
            let instance_type = n
                .labels
                .get(LABEL_INSTANCE_TYPE)
                .cloned()
                .unwrap_or_else(|| "custom".to_owned());
            let price = n
                .hourly_price
                .or_else(|| catalog::lookup(&instance_type).map(|e| e.on_demand_usd_per_hour))
                .unwrap_or(0.0);
            let key = PoolKey {
                labels: n
                    .labels
                    .iter()
                    .filter(|(k, _)| k.as_str() != crate::cluster::LABEL_HOSTNAME)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                taints: n
                    .taints
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone(), t.effect.clone()))
                    .collect(),
                allocatable: (
                    allocatable.cpu_milli,
                    allocatable.memory_bytes,
                    allocatable.gpu_milli,
                    allocatable.pods,
                ),
                extended: n
                    .allocatable
                    .extended
                    .iter()
                    .map(|(k, &v)| (k.clone(), v))
                    .collect(),
                price_bits: price.to_bits(),
                spot: n.spot,
                zone: zone.clone(),
                instance_type: instance_type.clone(),
            };
            let pool = match pools.get(&key) {
                Some(&p) => p,
                None => {
                    let label_map: BTreeMap<String, String> = key.labels.iter().cloned().collect();
                    let labels = self.labels(&label_map, &[]);
                    let taints = n
                        .taints
                        .iter()
                        .map(|t| self.taint(t))
                        .collect::<Result<Vec<_>>>()?;
                    let mut name = format!("nodes-{instance_type}");
                    let mut k = 2;
                    while pool_names.contains(&name) {
                        name = format!("nodes-{instance_type}-{k}");
                        k += 1;
                    }
                    pool_names.insert(name.clone());
                    let id = self.cluster.add_pool(NodePool {
                        name,
                        instance_type,
                        allocatable,
                        labels,
                        taints,
                        zone,
                        hourly_price_usd: price,
                        spot: n.spot,
                    });
                    self.cluster
                        .extended
                        .set_pool(id, key.extended.iter().map(|(k, v)| (k.as_str(), *v)));
                    pools.insert(key, id);
                    id
                }
            };
            let id = self
                .cluster
                .add_node(pool, n.name.clone(), Some(allocatable), SimTime::ZERO);
            if n.unschedulable {
                self.cluster.set_unschedulable(id, true);
            }
        }
        Ok(())
    }
}

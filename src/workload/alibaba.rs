//! Importers for Alibaba's cluster-trace-gpu-v2023 ("openb") pod and node lists
//! (github.com/alibaba/clusterdata, `cluster-trace-gpu-v2023/csv/`).
//!
//! Pods arrive in file order at `creation_time` and are deleted at `deletion_time`
//! (lifetime = deletion − creation, counted from creation whether the pod is running or still
//! pending). Requests: `cpu_milli` millicores, `memory_mib` MiB, and GPUs as
//! `num_gpu × gpu_milli` milli-GPUs (a GPU-sharing pod asks for a fraction of one GPU). The
//! trace's `qos`, `pod_phase` and `scheduled_time` describe the original cluster's outcome and
//! are not inputs. GPU sharing is modelled as a pool of milli-GPUs per node, not per device.

use super::{PodArrival, WorkloadSource, open_data_file, read_csv_header, read_csv_record};
use crate::cluster::pod::{Lifetime, Limits};
use crate::cluster::resources::{DEFAULT_MAX_PODS, Resources};
use crate::engine::time::SimTime;
use crate::error::{Error, Result};
use std::io::BufRead;
use std::path::{Path, PathBuf};

const POD_COLUMNS: &[&str] = &[
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "qos",
    "pod_phase",
    "creation_time",
    "deletion_time",
    "scheduled_time",
];
const NODE_COLUMNS: &[&str] = &["sn", "cpu_milli", "memory_mib", "gpu", "model"];

fn check_header(path: &Path, headers: &csv::StringRecord, expected: &[&str]) -> Result<()> {
    let got: Vec<&str> = headers.iter().collect();
    if got != expected {
        return Err(Error::trace(
            path,
            1,
            format!(
                "unexpected header {:?}; expected columns {}",
                got.join(","),
                expected.join(",")
            ),
        ));
    }
    Ok(())
}

fn parse_u64(
    path: &Path,
    line: u64,
    record: &csv::StringRecord,
    idx: usize,
    col: &str,
) -> Result<u64> {
    let text = record.get(idx).unwrap_or("");
    text.parse().map_err(|_| {
        Error::trace(
            path,
            line,
            format!("column {col}: {text:?} is not a non-negative integer"),
        )
    })
}

/// Streaming reader of `openb_pod_list_*.csv`.
pub struct OpenbPods {
    path: PathBuf,
    reader: csv::Reader<Box<dyn BufRead>>,
    record: csv::StringRecord,
    offset_ms: u64,
    last_s: u64,
    ordinal: u32,
    remaining: u64,
}

impl OpenbPods {
    /// Opens the pod list; arrivals are shifted by `offset_ms`, at most `max_pods` are read.
    pub fn open(path: &Path, offset_ms: u64, max_pods: Option<u64>) -> Result<OpenbPods> {
        let mut reader = csv::ReaderBuilder::new().from_reader(open_data_file(path)?);
        let headers = read_csv_header(&mut reader, path)?;
        check_header(path, &headers, POD_COLUMNS)?;
        Ok(OpenbPods {
            path: path.to_owned(),
            reader,
            record: csv::StringRecord::new(),
            offset_ms,
            last_s: 0,
            ordinal: 0,
            remaining: max_pods.unwrap_or(u64::MAX),
        })
    }
}

impl WorkloadSource for OpenbPods {
    fn next_arrival(&mut self) -> Result<Option<PodArrival>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let more = read_csv_record(&mut self.reader, &mut self.record, &self.path)?;
        if !more {
            return Ok(None);
        }
        self.remaining -= 1;
        let r = &self.record;
        let p = &self.path;
        let line = r.position().map_or(0, |pos| pos.line());
        let cpu = parse_u64(p, line, r, 1, "cpu_milli")?;
        let mem_mib = parse_u64(p, line, r, 2, "memory_mib")?;
        let num_gpu = parse_u64(p, line, r, 3, "num_gpu")?;
        let gpu_milli = parse_u64(p, line, r, 4, "gpu_milli")?;
        let created = parse_u64(p, line, r, 8, "creation_time")?;
        let deleted = parse_u64(p, line, r, 9, "deletion_time")?;
        if created < self.last_s {
            return Err(Error::trace(
                p,
                line,
                format!(
                    "column creation_time: {created} is earlier than the previous row ({}); the pod list must be sorted",
                    self.last_s
                ),
            ));
        }
        if deleted < created {
            return Err(Error::trace(
                p,
                line,
                format!("column deletion_time: {deleted} is before creation_time {created}"),
            ));
        }
        if gpu_milli > 1000 {
            return Err(Error::trace(
                p,
                line,
                format!("column gpu_milli: {gpu_milli} exceeds 1000 (one whole GPU)"),
            ));
        }
        self.last_s = created;
        let requests = Resources {
            cpu_milli: cpu,
            memory_bytes: mem_mib * 1024 * 1024,
            gpu_milli: num_gpu * gpu_milli,
            pods: 1,
        };
        let ordinal = self.ordinal;
        self.ordinal += 1;
        Ok(Some(PodArrival {
            time: SimTime(created * 1000 + self.offset_ms),
            requests,
            limits: Limits::default(),
            usage: Resources {
                pods: 0,
                ..requests
            },
            priority: None,
            lifetime: Lifetime::DeleteAfter((deleted - created) * 1000),
            ordinal,
            template_slot: 0,
        }))
    }
}

/// One imported node.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedNode {
    /// Node name (`sn`).
    pub name: String,
    /// Allocatable resources.
    pub allocatable: Resources,
    /// GPU model (empty for CPU-only nodes).
    pub gpu_model: String,
}

/// Reads a whole `openb_node_list_*.csv` (a node inventory: small, read at once).
pub fn read_openb_nodes(path: &Path) -> Result<Vec<ImportedNode>> {
    let mut reader = csv::ReaderBuilder::new().from_reader(open_data_file(path)?);
    let headers = read_csv_header(&mut reader, path)?;
    check_header(path, &headers, NODE_COLUMNS)?;
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let more = read_csv_record(&mut reader, &mut record, path)?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        let cpu = parse_u64(path, line, &record, 1, "cpu_milli")?;
        let mem = parse_u64(path, line, &record, 2, "memory_mib")?;
        let gpu = parse_u64(path, line, &record, 3, "gpu")?;
        if cpu == 0 || mem == 0 {
            return Err(Error::trace(
                path,
                line,
                "node with zero cpu or memory capacity",
            ));
        }
        out.push(ImportedNode {
            name: record.get(0).unwrap_or("").to_owned(),
            allocatable: Resources {
                cpu_milli: cpu,
                memory_bytes: mem * 1024 * 1024,
                gpu_milli: gpu * 1000,
                pods: DEFAULT_MAX_PODS,
            },
            gpu_model: record.get(4).unwrap_or("").to_owned(),
        });
    }
    Ok(out)
}

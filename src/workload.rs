//! Workloads: streaming pod sources (trace readers, generators) and the Deployment and Job
//! controllers.
//!
//! A [`WorkloadSource`] yields pod arrivals in non-decreasing time order, one at a time; the
//! engine holds only the next arrival of each source, never the whole trace.

pub mod alibaba;
pub mod bare;
pub mod cron;
pub mod cron_job;
pub mod daemon_set;
pub mod deployment;
pub mod distribution;
pub mod job;
pub mod load_curve;
pub mod rollout;
pub mod service;
pub mod service_load;
pub mod stateful_set;
pub mod synthetic;
pub mod trace;

use crate::cluster::pod::{Lifetime, Limits};
use crate::cluster::resources::Resources;
use crate::engine::time::SimTime;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// One pod arriving from a source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PodArrival {
    /// Creation time.
    pub time: SimTime,
    /// Requests.
    pub requests: Resources,
    /// Limits.
    pub limits: Limits,
    /// Usage while running.
    pub usage: Resources,
    /// Priority (`None`: the source's template default).
    pub priority: Option<i32>,
    /// When the pod ends on its own.
    pub lifetime: Lifetime,
    /// Ordinal used to name the pod.
    pub ordinal: u32,
    /// Index of the source's pod template to use (0 = the source's default template; trace
    /// sources may add one per distinct group).
    pub template_slot: u32,
}

/// A lazily read, time-ordered stream of pod arrivals.
pub trait WorkloadSource {
    /// The next arrival, `Ok(None)` when exhausted. Times must never decrease; a source whose
    /// input is out of order returns an error naming the record.
    fn next_arrival(&mut self) -> Result<Option<PodArrival>>;

    /// Labels (key, value) of extra template slots the source created so far, by slot index
    /// starting at 1 (e.g. `app=<group>` for trace groups). Default: none.
    fn slot_labels(&self, _slot: u32) -> Option<(&str, &str)> {
        None
    }
}

/// Opens a data file for streaming, transparently decompressing `.gz` files.
pub fn open_data_file(path: &Path) -> Result<Box<dyn BufRead>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file)),
        )))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
    }
}

/// Reads the header row of a CSV data file.
pub fn read_csv_header<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    path: &Path,
) -> Result<csv::StringRecord> {
    reader
        .headers()
        .cloned()
        .map_err(|e| Error::trace(path, 1, format!("cannot read the header row: {e}")))
}

/// Reads the next record into `record`; `Ok(false)` at the end of the file. Malformed CSV is
/// reported with its line.
pub fn read_csv_record<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::StringRecord,
    path: &Path,
) -> Result<bool> {
    match reader.read_record(record) {
        Ok(more) => Ok(more),
        Err(e) => {
            // A read error (e.g. gzip data cut short) has no position of its own: it is where
            // the next record starts.
            let line = e
                .position()
                .map_or_else(|| reader.position().line(), |p| p.line());
            let what = if e.is_io_error() {
                "cannot read the data (a compressed file cut short or corrupt?)"
            } else {
                "malformed CSV"
            };
            Err(Error::trace(path, line, format!("{what}: {e}")))
        }
    }
}

/// Checks `limit >= request` for cpu and memory; returns which is violated.
pub fn limits_below_requests(requests: &Resources, limits: &Limits) -> Option<&'static str> {
    if limits.cpu_milli.is_some_and(|l| l < requests.cpu_milli) {
        return Some("cpu limit is below the cpu request");
    }
    if limits
        .memory_bytes
        .is_some_and(|l| l < requests.memory_bytes)
    {
        return Some("memory limit is below the memory request");
    }
    None
}

/// Everything needed to stamp out pods of one workload.
#[derive(Clone, Copy, Debug)]
pub struct Blueprint {
    /// Requests.
    pub requests: Resources,
    /// Limits.
    pub limits: Limits,
    /// Usage while running.
    pub usage: Resources,
    /// Priority.
    pub priority: i32,
    /// Shared labels/tolerations.
    pub template: crate::cluster::pod::TemplateId,
    /// Name prefix index.
    pub prefix: u32,
}

impl Blueprint {
    /// The pod this blueprint makes, with the given ordinal, owner and lifetime.
    pub fn pod(
        &self,
        ordinal: u32,
        owner: crate::cluster::pod::Owner,
        lifetime: Lifetime,
    ) -> crate::cluster::NewPod {
        crate::cluster::NewPod {
            name: crate::cluster::pod::PodName {
                prefix: self.prefix,
                ordinal,
                width: 0,
            },
            requests: self.requests,
            limits: self.limits,
            usage: self.usage,
            priority: self.priority,
            template: self.template,
            owner,
            lifetime,
        }
    }
}

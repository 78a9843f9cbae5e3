//! The native kubesim trace format: a CSV file with a header row, one pod per row, sorted by
//! arrival time. Read as a stream (one reused record buffer).
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `arrival_ms` | yes | creation time [ms from scenario start], non-decreasing |
//! | `duration_ms` | no | run time once started [ms]; empty = runs until the end |
//! | `cpu_request` | no | Kubernetes quantity (`250m`, `1.5`); empty = 0 |
//! | `memory_request` | no | Kubernetes quantity (`512Mi`); empty = 0 |
//! | `cpu_limit`, `memory_limit` | no | quantities; empty = no limit; must be >= the request |
//! | `gpu` | no | GPUs as a quantity (`1`, `500m` = half a GPU) |
//! | `priority` | no | integer priority; empty = the trace's template priority |
//! | `group` | no | owner/group name; becomes the pod label `app=<group>` |
//! | `cpu_usage`, `memory_usage` | no | usage while running; empty = the request |

use super::{
    PodArrival, WorkloadSource, limits_below_requests, open_data_file, read_csv_header,
    read_csv_record,
};
use crate::cluster::pod::{Lifetime, Limits};
use crate::cluster::quantity::{QuantityScale, parse_quantity};
use crate::cluster::resources::Resources;
use crate::engine::time::SimTime;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// The columns the native format accepts.
pub const COLUMNS: &[&str] = &[
    "arrival_ms",
    "duration_ms",
    "cpu_request",
    "memory_request",
    "cpu_limit",
    "memory_limit",
    "gpu",
    "priority",
    "group",
    "cpu_usage",
    "memory_usage",
];

#[derive(Default)]
struct ColumnIndex {
    arrival: usize,
    duration: Option<usize>,
    cpu_request: Option<usize>,
    memory_request: Option<usize>,
    cpu_limit: Option<usize>,
    memory_limit: Option<usize>,
    gpu: Option<usize>,
    priority: Option<usize>,
    group: Option<usize>,
    cpu_usage: Option<usize>,
    memory_usage: Option<usize>,
}

/// Streaming reader of a native trace.
pub struct NativeTrace {
    path: PathBuf,
    reader: csv::Reader<Box<dyn BufRead>>,
    record: csv::StringRecord,
    cols: ColumnIndex,
    offset_ms: u64,
    last_ms: u64,
    ordinal: u32,
    remaining: u64,
    groups: HashMap<String, u32>,
    group_names: Vec<String>,
}

impl NativeTrace {
    /// Opens `path`, validates the header and prepares to stream. Arrivals are shifted by
    /// `offset_ms`; at most `max_pods` rows are read.
    pub fn open(path: &Path, offset_ms: u64, max_pods: Option<u64>) -> Result<NativeTrace> {
        let input = open_data_file(path)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            // Fields are trimmed where they are read (`field`): the reader's own trimming
            // copies every record into a new allocation.
            .trim(csv::Trim::Headers)
            .from_reader(input);
        let headers = read_csv_header(&mut reader, path)?;
        let mut cols = ColumnIndex::default();
        let mut arrival = None;
        for (i, h) in headers.iter().enumerate() {
            let slot = match h {
                "arrival_ms" => {
                    arrival = Some(i);
                    continue;
                }
                "duration_ms" => &mut cols.duration,
                "cpu_request" => &mut cols.cpu_request,
                "memory_request" => &mut cols.memory_request,
                "cpu_limit" => &mut cols.cpu_limit,
                "memory_limit" => &mut cols.memory_limit,
                "gpu" => &mut cols.gpu,
                "priority" => &mut cols.priority,
                "group" => &mut cols.group,
                "cpu_usage" => &mut cols.cpu_usage,
                "memory_usage" => &mut cols.memory_usage,
                other => {
                    return Err(Error::trace(
                        path,
                        1,
                        format!("unknown column {other:?}; expected: {}", COLUMNS.join(", ")),
                    ));
                }
            };
            if slot.is_some() {
                return Err(Error::trace(path, 1, format!("duplicate column {h:?}")));
            }
            *slot = Some(i);
        }
        cols.arrival = arrival
            .ok_or_else(|| Error::trace(path, 1, "missing required column \"arrival_ms\""))?;
        Ok(NativeTrace {
            path: path.to_owned(),
            reader,
            record: csv::StringRecord::new(),
            cols,
            offset_ms,
            last_ms: 0,
            ordinal: 0,
            remaining: max_pods.unwrap_or(u64::MAX),
            groups: HashMap::new(),
            group_names: Vec::new(),
        })
    }

    /// The field in column `col` of the current record, trimmed of white space; empty when
    /// the column is absent.
    fn field(&self, col: Option<usize>) -> &str {
        col.and_then(|c| self.record.get(c)).unwrap_or("").trim()
    }

    fn parse_row(&mut self, line: u64) -> Result<PodArrival> {
        let err =
            |col: &str, msg: String| Error::trace(&self.path, line, format!("column {col}: {msg}"));
        let arrival_text = self.field(Some(self.cols.arrival));
        let arrival: u64 = arrival_text.parse().map_err(|_| {
            err(
                "arrival_ms",
                format!("{arrival_text:?} is not a non-negative integer (milliseconds)"),
            )
        })?;
        if arrival < self.last_ms {
            return Err(err(
                "arrival_ms",
                format!(
                    "{arrival} is earlier than the previous row ({}); the trace must be sorted by arrival_ms",
                    self.last_ms
                ),
            ));
        }
        let quantity = |col: Option<usize>, name: &str, scale| -> Result<Option<u64>> {
            let text = self.field(col);
            if text.is_empty() {
                return Ok(None);
            }
            parse_quantity(text, scale)
                .map(Some)
                .map_err(|m| err(name, m))
        };
        let requests = Resources {
            cpu_milli: quantity(self.cols.cpu_request, "cpu_request", QuantityScale::Milli)?
                .unwrap_or(0),
            memory_bytes: quantity(
                self.cols.memory_request,
                "memory_request",
                QuantityScale::Unit,
            )?
            .unwrap_or(0),
            gpu_milli: quantity(self.cols.gpu, "gpu", QuantityScale::Milli)?.unwrap_or(0),
            pods: 1,
        };
        let limits = Limits {
            cpu_milli: quantity(self.cols.cpu_limit, "cpu_limit", QuantityScale::Milli)?,
            memory_bytes: quantity(self.cols.memory_limit, "memory_limit", QuantityScale::Unit)?,
        };
        if let Some(msg) = limits_below_requests(&requests, &limits) {
            return Err(Error::trace(&self.path, line, msg));
        }
        let usage = Resources {
            cpu_milli: quantity(self.cols.cpu_usage, "cpu_usage", QuantityScale::Milli)?
                .unwrap_or(requests.cpu_milli),
            memory_bytes: quantity(self.cols.memory_usage, "memory_usage", QuantityScale::Unit)?
                .unwrap_or(requests.memory_bytes),
            gpu_milli: requests.gpu_milli,
            pods: 0,
        };
        let duration_text = self.field(self.cols.duration);
        let lifetime = if duration_text.is_empty() {
            Lifetime::Forever
        } else {
            match duration_text.parse::<u64>() {
                Ok(0) => {
                    return Err(err(
                        "duration_ms",
                        "must be > 0 (leave empty for pods that run until the end)".into(),
                    ));
                }
                Ok(d) => Lifetime::RunFor(d),
                Err(_) => {
                    return Err(err(
                        "duration_ms",
                        format!("{duration_text:?} is not a positive integer (milliseconds)"),
                    ));
                }
            }
        };
        let priority_text = self.field(self.cols.priority);
        let priority = if priority_text.is_empty() {
            None
        } else {
            Some(
                priority_text
                    .parse::<i32>()
                    .map_err(|_| err("priority", format!("{priority_text:?} is not an integer")))?,
            )
        };
        let group = self.field(self.cols.group);
        let template_slot = if group.is_empty() {
            0
        } else if let Some(&slot) = self.groups.get(group) {
            slot
        } else {
            let slot = self.group_names.len() as u32 + 1;
            let name = group.to_owned();
            self.groups.insert(name.clone(), slot);
            self.group_names.push(name);
            slot
        };
        self.last_ms = arrival;
        let ordinal = self.ordinal;
        self.ordinal += 1;
        Ok(PodArrival {
            time: SimTime(arrival.saturating_add(self.offset_ms)),
            requests,
            limits,
            usage,
            priority,
            lifetime,
            ordinal,
            template_slot,
        })
    }
}

impl WorkloadSource for NativeTrace {
    fn next_arrival(&mut self) -> Result<Option<PodArrival>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let more = read_csv_record(&mut self.reader, &mut self.record, &self.path)?;
        if !more {
            return Ok(None);
        }
        self.remaining -= 1;
        let line = self.record.position().map_or(0, |p| p.line());
        self.parse_row(line).map(Some)
    }

    fn slot_labels(&self, slot: u32) -> Option<(&str, &str)> {
        let name = self.group_names.get(slot.checked_sub(1)? as usize)?;
        Some(("app", name))
    }
}

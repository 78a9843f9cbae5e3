//! Kubernetes manifests as scenario input: files or folders of YAML (multi-document, `kind:
//! List`, `NodeList`, ...) and JSON, converted into the native schema and appended to a
//! scenario's lists before validation. See `docs/manifests.md` for the supported kinds, the
//! `kubesim.io/` annotations and what is ignored.
//!
//! Objects are read with small typed structs ([`objects`]) that skip unknown keys while
//! recording them, so a real dump (status, managedFields, images, ...) loads with one warning
//! line per object kind instead of failing, and every error keeps its file, document, line and
//! field path.

pub mod convert;
pub mod emit;
pub mod objects;
pub mod prune;

use crate::error::{Error, Result};
use crate::scenario::spec::{
    BarePodSpec, CronJobSpec, DaemonSetSpec, DeploymentSpec, JobSpec, NodeSpec,
    PodDisruptionBudgetSpec, PriorityClassSpec, ScenarioSpec, SchedulerSpec, StatefulSetSpec,
};
use objects::Object;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where an object was read: file, 1-based document index, and item index within a `List`.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The file.
    pub file: Arc<Path>,
    /// Document number in the file (1-based).
    pub doc: usize,
    /// Index in the document's `items` when it is a list.
    pub item: Option<usize>,
}

impl Origin {
    /// `document 2` or `document 1, items[3]`.
    pub fn describe(&self) -> String {
        match self.item {
            Some(i) => format!("document {}, items[{i}]", self.doc),
            None => format!("document {}", self.doc),
        }
    }
}

/// Warnings, grouped: identical messages about objects of one kind in one file are one line.
#[derive(Debug, Default)]
pub struct Warnings {
    index: BTreeMap<(Arc<Path>, String, String), usize>,
    lines: Vec<(Origin, String, String, String, usize)>,
}

impl Warnings {
    /// Notes `message` about object `kind/name` read at `origin`.
    pub fn note(&mut self, origin: &Origin, kind: &str, name: &str, message: &str) {
        let key = (origin.file.clone(), kind.to_owned(), message.to_owned());
        if let Some(&i) = self.index.get(&key) {
            self.lines[i].4 += 1;
            return;
        }
        self.index.insert(key, self.lines.len());
        self.lines.push((
            origin.clone(),
            kind.to_owned(),
            name.to_owned(),
            message.to_owned(),
            1,
        ));
    }

    /// The rendered lines, in first-seen order.
    pub fn render(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|(o, kind, name, msg, n)| {
                let file = o.file.display();
                if *n == 1 {
                    format!("{file} ({}) {kind}/{name}: {msg}", o.describe())
                } else {
                    format!(
                        "{file}: {n} {kind} objects (first {name}, {}): {msg}",
                        o.describe()
                    )
                }
            })
            .collect()
    }
}

/// The native entries converted from a set of manifests.
#[derive(Debug, Default)]
pub struct Converted {
    /// Deployments and ReplicaSets.
    pub deployments: Vec<DeploymentSpec>,
    /// Jobs.
    pub jobs: Vec<JobSpec>,
    /// StatefulSets.
    pub stateful_sets: Vec<StatefulSetSpec>,
    /// DaemonSets.
    pub daemon_sets: Vec<DaemonSetSpec>,
    /// CronJobs.
    pub cron_jobs: Vec<CronJobSpec>,
    /// Bare pods (pods whose controller was not read).
    pub pods: Vec<BarePodSpec>,
    /// Nodes.
    pub nodes: Vec<NodeSpec>,
    /// PodDisruptionBudgets.
    pub pod_disruption_budgets: Vec<PodDisruptionBudgetSpec>,
    /// PriorityClasses.
    pub priority_classes: Vec<PriorityClassSpec>,
    /// The scheduler block from a KubeSchedulerConfiguration.
    pub scheduler: Option<SchedulerSpec>,
    /// The file the KubeSchedulerConfiguration was read from.
    pub scheduler_file: Option<PathBuf>,
    /// Namespaces of the namespaced objects read.
    pub namespaces: BTreeSet<String>,
    /// Warnings (ignored fields, unknown kinds, skipped pods), one line each.
    pub warnings: Vec<String>,
}

impl Converted {
    /// Appends the converted entries to `spec`'s lists (and replaces its scheduler block when
    /// a KubeSchedulerConfiguration was read).
    pub fn apply(self, spec: &mut ScenarioSpec) {
        spec.deployments.extend(self.deployments);
        spec.jobs.extend(self.jobs);
        spec.stateful_sets.extend(self.stateful_sets);
        spec.daemon_sets.extend(self.daemon_sets);
        spec.cron_jobs.extend(self.cron_jobs);
        spec.pods.extend(self.pods);
        spec.nodes.extend(self.nodes);
        spec.pod_disruption_budgets
            .extend(self.pod_disruption_budgets);
        spec.priority_classes.extend(self.priority_classes);
        if let Some(s) = self.scheduler {
            spec.scheduler = s;
        }
    }
}

/// Whether a file in a folder is read (`*.yaml`, `*.yml`, `*.json`).
fn is_manifest(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|err| Error::io(dir, err)))
        .collect::<Result<_>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if is_manifest(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// The files named by `paths` (relative to `base`): files as given, folders recursively in
/// sorted order.
pub fn files(paths: &[String], base: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let path = if Path::new(p).is_absolute() || base == Path::new(".") {
            PathBuf::from(p)
        } else {
            base.join(p)
        };
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        if meta.is_dir() {
            walk(&path, &mut out)?;
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

/// Reads and converts the manifests at `paths` (relative to `base`).
pub fn load(paths: &[String], base: &Path) -> Result<Converted> {
    let mut sources = Vec::new();
    for f in files(paths, base)? {
        let text = crate::scenario::yaml_limits::read_yaml_file(&f)?;
        sources.push((f, text));
    }
    convert_sources(&sources)
}

/// Converts manifest texts given with their file names.
pub fn convert_sources(sources: &[(PathBuf, String)]) -> Result<Converted> {
    // Files are parsed in parallel (parsing dominates); results are merged in file order, so
    // the outcome does not depend on the thread count.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(sources.len())
        .max(1);
    let per = sources.len().div_ceil(threads).max(1);
    type Parsed = Result<(Vec<(Origin, Object)>, Vec<(Origin, String)>)>;
    let parsed: Vec<Parsed> = std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .chunks(per)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut objects = Vec::new();
                    let mut configs = Vec::new();
                    for (file, text) in chunk {
                        read_text(file, text, &mut objects, &mut configs)?;
                    }
                    Ok((objects, configs))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a manifest reader panicked"))
            .collect()
    });
    let mut objects: Vec<(Origin, Object)> = Vec::new();
    let mut configs: Vec<(Origin, String)> = Vec::new();
    for p in parsed {
        let (o, c) = p?;
        objects.extend(o);
        configs.extend(c);
    }
    let mut out = Converted::default();
    let mut warnings = Warnings::default();
    // Controllers read: their pods (and a Deployment's ReplicaSets) are recreated by them.
    let controllers: BTreeSet<(String, String, String)> = objects
        .iter()
        .filter(|(_, o)| {
            matches!(
                o.kind.as_str(),
                "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob"
            )
        })
        .map(|(_, o)| {
            (
                o.metadata
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "default".to_owned()),
                o.kind.clone(),
                o.metadata.name.clone().unwrap_or_default(),
            )
        })
        .collect();
    let mut targets = convert::Targets::new();
    let mut hpas = Vec::new();
    for (origin, o) in &objects {
        convert::object(
            o,
            origin,
            &mut out,
            &controllers,
            &mut targets,
            &mut hpas,
            &mut warnings,
        )?;
    }
    convert::resolve_hpas(&mut out, &targets, hpas, &mut warnings)?;
    convert::scope_namespaces(&mut out);
    for (origin, text) in configs {
        if out.scheduler.is_some() {
            return Err(Error::Yaml {
                file: origin.file.display().to_string(),
                location: format!(" ({})", origin.describe()),
                message: "a second KubeSchedulerConfiguration; give exactly one".to_owned(),
            });
        }
        out.scheduler_file = Some(origin.file.to_path_buf());
        out.scheduler = Some(crate::scenario::scheduler_config::parse_document(
            &text,
            &origin.file,
        )?);
    }
    out.warnings = warnings.render();
    Ok(out)
}

/// Formats a deserialization error with file, document, line, column and field.
fn doc_error<E: std::fmt::Display>(
    file: &Path,
    doc: usize,
    path: String,
    line_col: Option<(usize, usize)>,
    err: E,
) -> Error {
    let mut location = String::new();
    if let Some((l, c)) = line_col {
        location = format!(":{l}:{c}");
    }
    location.push_str(&format!(" (document {doc}"));
    if path != "." && !path.is_empty() {
        location.push_str(&format!(", field `{path}`"));
    }
    location.push(')');
    Error::Yaml {
        file: file.display().to_string(),
        location,
        message: crate::scenario::yaml_message(err.to_string(), &path),
    }
}

/// Moves `apiVersion` and `kind` to the front of every mapping (for documents that put
/// `kind` last).
fn kind_first(v: &mut serde_yaml_ng::Value) {
    use serde_yaml_ng::Value;
    match v {
        Value::Mapping(m) => {
            let mut front = serde_yaml_ng::Mapping::new();
            for k in ["apiVersion", "kind"] {
                if let Some(x) = m.remove(k) {
                    front.insert(Value::from(k), x);
                }
            }
            for (k, mut x) in std::mem::take(m) {
                kind_first(&mut x);
                front.insert(k, x);
            }
            *m = front;
        }
        Value::Sequence(s) => s.iter_mut().for_each(kind_first),
        _ => {}
    }
}

/// Reads the documents of one file into `objects` (lists flattened) and `configs`
/// (KubeSchedulerConfiguration document texts).
fn read_text(
    file: &Path,
    text: &str,
    objects: &mut Vec<(Origin, Object)>,
    configs: &mut Vec<(Origin, String)>,
) -> Result<()> {
    crate::scenario::yaml_limits::check_depth(text, file)?;
    let file: Arc<Path> = Arc::from(file);
    let json = file.extension().is_some_and(|e| e == "json");
    let mut docs: Vec<Option<Object>> = Vec::new();
    if json {
        let mut de = serde_json::Deserializer::from_str(text);
        let o: Option<Object> = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            doc_error(&file, 1, path, Some((inner.line(), inner.column())), inner)
        })?;
        de.end()
            .map_err(|e| doc_error(&file, 1, String::new(), Some((e.line(), e.column())), e))?;
        docs.push(o);
    } else {
        // (KubeSchedulerConfiguration documents are taken from the original text below.)
        let pruned = prune::prune(text);
        let parsed = pruned.as_deref().unwrap_or(text);
        if let Some(list) = read_big_list(&file, parsed)? {
            docs.push(Some(list));
        } else {
            read_documents(&file, parsed, &mut docs)?;
        }
    }
    flatten(&file, text, json, docs, objects, configs)
}

/// Reads every YAML document of `text`.
fn read_documents(file: &Path, parsed: &str, docs: &mut Vec<Option<Object>>) -> Result<()> {
    {
        for (i, de) in serde_yaml_ng::Deserializer::from_str(parsed).enumerate() {
            match serde_path_to_error::deserialize::<_, Option<Object>>(de) {
                Ok(o) => docs.push(o),
                Err(e) if e.inner().to_string().starts_with(objects::KIND_FIRST) => {
                    docs.push(reread_kind_first(file, parsed, i)?);
                }
                Err(e) => {
                    let path = e.path().to_string();
                    let inner = e.into_inner();
                    let lc = inner.location().map(|l| (l.line(), l.column()));
                    return Err(doc_error(file, i + 1, path, lc, inner));
                }
            }
        }
    }
    Ok(())
}

/// Items of a list below which it is read in one piece.
const SPLIT_ITEMS: usize = 1024;

/// A single-document list with many items at column 0 (`kubectl get ... -o yaml`), read in
/// chunks of items in parallel; `None` for any other shape. Each chunk is parsed as a
/// sequence preceded by blank lines, so line numbers stay those of the file.
fn read_big_list(file: &Path, text: &str) -> Result<Option<Object>> {
    if text.len() < (1 << 20) || text.lines().any(|l| l.starts_with("---")) {
        return Ok(None);
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(start) = lines.iter().position(|l| l.trim_end() == "items:") else {
        return Ok(None);
    };
    let mut end = start + 1;
    let mut item_starts = Vec::new();
    while end < lines.len() {
        let l = lines[end];
        if l.starts_with("- ") {
            item_starts.push(end);
        } else if !(l.starts_with(' ') || l.trim().is_empty()) {
            break;
        }
        end += 1;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if item_starts.len() < SPLIT_ITEMS || threads < 2 || item_starts.first() != Some(&(start + 1)) {
        return Ok(None);
    }
    // The list without its items, then the items in `threads` chunks.
    let mut head = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i <= start || i >= end {
            head.push_str(l);
        } else {
            head.push('\n');
        }
    }
    let per = item_starts.len().div_ceil(threads);
    let bounds: Vec<(usize, usize, usize)> = item_starts
        .chunks(per)
        .enumerate()
        .map(|(k, c)| {
            let from = c[0];
            let to = item_starts.get((k + 1) * per).copied().unwrap_or(end);
            (k * per, from, to)
        })
        .collect();
    let chunks: Vec<Result<Vec<Object>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .iter()
            .map(|&(first, from, to)| {
                let lines = &lines;
                scope.spawn(move || {
                    let mut t = "\n".repeat(from);
                    for l in &lines[from..to] {
                        t.push_str(l);
                    }
                    let de = serde_yaml_ng::Deserializer::from_str(&t);
                    serde_path_to_error::deserialize::<_, Vec<Object>>(de).map_err(|e| {
                        // `[3].spec` of the chunk is `items[first + 3].spec` of the file.
                        let path = e.path().to_string();
                        let path = match path
                            .strip_prefix('[')
                            .and_then(|p| p.split_once(']'))
                            .and_then(|(n, rest)| n.parse::<usize>().ok().map(|n| (n, rest)))
                        {
                            Some((n, rest)) => format!("items[{}]{rest}", first + n),
                            None => path,
                        };
                        let inner = e.into_inner();
                        let lc = inner.location().map(|l| (l.line(), l.column()));
                        doc_error(file, 1, path, lc, inner)
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a manifest reader panicked"))
            .collect()
    });
    let mut docs = Vec::new();
    read_documents(file, &head, &mut docs)?;
    let Some(Some(mut list)) = docs.pop() else {
        return Ok(None);
    };
    if !list.is_list() && !list.kind.is_empty() {
        return Ok(None);
    }
    for c in chunks {
        list.items.extend(c?);
    }
    if list.kind.is_empty() {
        list.kind = "List".to_owned();
    }
    Ok(Some(list))
}

/// Flattens lists and sets KubeSchedulerConfiguration documents aside.
fn flatten(
    file: &Arc<Path>,
    text: &str,
    json: bool,
    docs: Vec<Option<Object>>,
    objects: &mut Vec<(Origin, Object)>,
    configs: &mut Vec<(Origin, String)>,
) -> Result<()> {
    let file = file.clone();
    for (i, o) in docs.into_iter().enumerate() {
        let Some(o) = o else { continue };
        let origin = Origin {
            file: file.clone(),
            doc: i + 1,
            item: None,
        };
        if o.is_list() {
            for (k, item) in o.items.into_iter().enumerate() {
                let origin = Origin {
                    item: Some(k),
                    ..origin.clone()
                };
                if item.kind == "KubeSchedulerConfiguration" {
                    return Err(Error::Yaml {
                        file: file.display().to_string(),
                        location: format!(" ({})", origin.describe()),
                        message: "a KubeSchedulerConfiguration must be its own document".to_owned(),
                    });
                }
                objects.push((origin, item));
            }
        } else if o.kind == "KubeSchedulerConfiguration" {
            let doc = if json {
                text.to_owned()
            } else {
                document_text(text, i)
            };
            configs.push((origin, doc));
        } else {
            objects.push((origin, o));
        }
    }
    Ok(())
}

/// Re-reads document `index` through a value tree with `kind` moved first (its errors carry
/// the field but no line).
fn reread_kind_first(file: &Path, text: &str, index: usize) -> Result<Option<Object>> {
    use serde::Deserialize;
    let de = serde_yaml_ng::Deserializer::from_str(text)
        .nth(index)
        .expect("the document exists");
    let mut v = serde_yaml_ng::Value::deserialize(de)
        .map_err(|e| doc_error(file, index + 1, String::new(), None, e))?;
    kind_first(&mut v);
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        doc_error(file, index + 1, path, None, e.into_inner())
    })
}

/// The text of document `index` of a multi-document YAML file, blank lines standing in for
/// the other documents so line numbers stay those of the file.
fn document_text(text: &str, index: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut doc = 0usize;
    let mut seen_content = false;
    for line in text.split_inclusive('\n') {
        let is_sep =
            line.starts_with("---") && line[3..].chars().next().is_none_or(|c| c.is_whitespace());
        if is_sep {
            if seen_content {
                doc += 1;
            }
            seen_content = true;
            out.push('\n');
            continue;
        }
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            seen_content = true;
        }
        if doc == index {
            out.push_str(line);
        } else {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str) -> Result<Converted> {
        convert_sources(&[(PathBuf::from("m.yaml"), text.to_owned())])
    }

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/manifests")
            .join(name)
    }

    #[test]
    fn kubectl_node_dump_loads_with_warnings_only() {
        let c = load(&["nodes-dump.yaml".to_owned()], &fixture("")).unwrap();
        assert_eq!(c.nodes.len(), 2);
        let n = &c.nodes[0];
        assert_eq!(n.name, "worker-1");
        assert_eq!(n.allocatable.cpu.unwrap().0, 3920);
        assert_eq!(n.allocatable.memory.unwrap().0, 15_723_436 * 1024);
        assert_eq!(n.allocatable.pods.unwrap().0, 58);
        assert_eq!(n.allocatable.extended["ephemeral-storage"], 95_500_553_774);
        assert_eq!(n.labels["topology.kubernetes.io/zone"], "eu-west-1a");
        assert!(!n.unschedulable && n.taints.is_empty());
        let n2 = &c.nodes[1];
        assert!(n2.unschedulable);
        assert_eq!(n2.taints.len(), 1);
        assert_eq!(
            (n2.taints[0].key.as_str(), n2.taints[0].value.as_str()),
            ("dedicated", "batch")
        );
        assert_eq!(n2.taints[0].effect, "NoSchedule");
        // One line per distinct ignored set; both name status and managedFields.
        assert!(!c.warnings.is_empty());
        assert!(
            c.warnings.iter().all(|w| w.contains("status")),
            "{:?}",
            c.warnings
        );
        assert!(
            c.warnings[0].contains("metadata.managedFields"),
            "{:?}",
            c.warnings
        );
        assert!(c.warnings[0].contains("spec.podCIDR"), "{:?}", c.warnings);
    }

    #[test]
    fn folder_with_multi_doc_list_and_json() {
        let c = load(&["folder".to_owned()], &fixture("")).unwrap();
        assert_eq!(c.priority_classes.len(), 1);
        assert_eq!(c.priority_classes[0].value, 1000);
        assert_eq!(c.deployments.len(), 1);
        let d = &c.deployments[0];
        assert_eq!((d.name.as_str(), d.replicas), ("web", 3));
        // One container: the native shorthand.
        assert_eq!(d.template.requests.cpu.unwrap().0, 500);
        assert_eq!(d.template.limits.memory.unwrap().0, 512 << 20);
        assert!(d.template.containers.is_empty());
        assert_eq!(d.template.usage.unwrap().cpu.unwrap().0, 200);
        assert_eq!(d.template.priority_class_name.as_deref(), Some("high"));
        assert!(d.template.annotations.is_empty());
        let st = d.strategy.as_ref().unwrap();
        assert!(matches!(
            st.max_surge,
            Some(crate::scenario::spec::IntOrString::Int(1))
        ));
        // The HPA from sub/list.yml found its target.
        let h = d.hpa.as_ref().unwrap();
        assert_eq!((h.min_replicas, h.max_replicas), (Some(3), 10));
        assert_eq!(c.pod_disruption_budgets.len(), 1);
        // `app In [web]` passes through unchanged.
        let sel = &c.pod_disruption_budgets[0].selector;
        assert_eq!(sel.match_expressions.len(), 1);
        let r = &sel.match_expressions[0];
        assert_eq!((r.key.as_str(), r.operator.as_str()), ("app", "In"));
        assert_eq!(r.values, ["web"]);
        assert!(!sel.match_labels.contains_key("app"));
        let j = &c.jobs[0];
        assert_eq!((j.completions, j.parallelism), (4, 2));
        assert_eq!(
            j.duration,
            crate::scenario::values::DurationDist::Constant(600_000)
        );
        assert_eq!(j.template.restart_policy.as_deref(), Some("OnFailure"));
        // The JSON pod: two containers, namespaced name, bound node.
        assert_eq!(c.pods.len(), 1);
        let p = &c.pods[0];
        assert_eq!(p.name, "tools/debug");
        assert_eq!(p.template.containers.len(), 2);
        assert_eq!(p.template.node_name.as_deref(), Some("worker-1"));
        // Two namespaces: pods carry theirs, the PDB selects within `default`.
        assert_eq!(p.template.labels[convert::NAMESPACE_LABEL], "tools");
        assert_eq!(
            c.pod_disruption_budgets[0].selector.match_labels[convert::NAMESPACE_LABEL],
            "default"
        );
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("ConfigMap/settings: unknown kind")),
            "{:?}",
            c.warnings
        );
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("Deployment/web") && w.contains("container runtime fields")),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn bad_quantity_names_file_document_line_and_field() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  \
                    template:\n    spec:\n      containers:\n      - name: a\n        \
                    resources:\n          requests:\n            cpu: lots\n";
        let e = convert(text).unwrap_err().to_string();
        assert!(e.starts_with("m.yaml:15:"), "{e}");
        assert!(e.contains("document 2"), "{e}");
        assert!(
            e.contains("spec.template.spec.containers[0].resources.requests.cpu"),
            "{e}"
        );
    }

    #[test]
    fn unsupported_affinity_operator_is_an_error() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  \
                    template:\n    spec:\n      affinity:\n        nodeAffinity:\n          \
                    requiredDuringSchedulingIgnoredDuringExecution:\n            \
                    nodeSelectorTerms:\n            - matchExpressions:\n              \
                    - {key: zone, operator: In, values: [a]}\n              matchLabelKeys: [x]\n";
        let e = convert(text).unwrap_err().to_string();
        assert!(e.starts_with("m.yaml:13:"), "{e}");
        assert!(e.contains("document 1"), "{e}");
        assert!(e.contains("matchLabelKeys"), "{e}");
    }

    #[test]
    fn hpa_target_missing_is_an_error() {
        let text = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n\
                    metadata: {name: h, namespace: shop}\nspec:\n  scaleTargetRef: \
                    {kind: Deployment, name: web}\n  maxReplicas: 4\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  \
                    template: {}\n";
        let e = convert(text).unwrap_err().to_string();
        assert!(e.contains("document 1"), "{e}");
        assert!(e.contains("HorizontalPodAutoscaler/shop/h"), "{e}");
        assert!(
            e.contains("no Deployment named \"web\" in namespace \"shop\""),
            "{e}"
        );
    }

    #[test]
    fn hpa_v1_and_statefulset_target() {
        let text = "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\n\
                    metadata: {name: h}\nspec:\n  scaleTargetRef: {kind: StatefulSet, name: db}\n  \
                    maxReplicas: 5\n  targetCPUUtilizationPercentage: 70\n---\n\
                    apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  \
                    replicas: 2\n  podManagementPolicy: Parallel\n  \
                    updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1}}\n  \
                    template: {spec: {containers: [{name: a}]}}\n";
        let c = convert(text).unwrap();
        let s = &c.stateful_sets[0];
        assert_eq!((s.name.as_str(), s.replicas), ("db", 2));
        assert_eq!(s.pod_management_policy.as_deref(), Some("Parallel"));
        assert_eq!(
            s.update_strategy
                .as_ref()
                .unwrap()
                .rolling_update
                .as_ref()
                .unwrap()
                .partition,
            Some(1)
        );
        let h = s.hpa.as_ref().unwrap();
        assert_eq!(h.max_replicas, 5);
        let m = &h.metrics[0];
        assert_eq!(m.kind, "Resource");
        let r = m.resource.as_ref().unwrap();
        assert_eq!(
            (r.name.as_str(), r.target.average_utilization),
            ("cpu", Some(70))
        );
    }

    #[test]
    fn daemonset_cronjob_and_sidecars() {
        let text = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: logs, namespace: kube-system}\n\
                    spec:\n  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}\n  \
                    template:\n    spec:\n      tolerations: [{operator: Exists}]\n      \
                    initContainers:\n      - {name: init, resources: {requests: {cpu: '1'}}}\n      \
                    - {name: proxy, restartPolicy: Always, resources: {requests: {cpu: 50m}}}\n      \
                    containers: [{name: a, resources: {requests: {cpu: 100m}}}]\n      \
                    overhead: {cpu: 10m}\n---\n\
                    apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  \
                    schedule: '0 2 * * *'\n  timeZone: Europe/Paris\n  concurrencyPolicy: Forbid\n  \
                    jobTemplate:\n    metadata: {annotations: {kubesim.io/duration: 30m}}\n    \
                    spec:\n      backoffLimit: 2\n      template:\n        spec:\n          \
                    restartPolicy: Never\n          containers: [{name: a}]\n";
        let c = convert(text).unwrap();
        let d = &c.daemon_sets[0];
        assert_eq!(d.name, "kube-system/logs");
        assert_eq!(d.template.init_containers.len(), 2);
        assert_eq!(
            d.template.init_containers[1].restart_policy.as_deref(),
            Some("Always")
        );
        assert_eq!(d.template.containers.len(), 1);
        assert_eq!(d.template.overhead.as_ref().unwrap().cpu.unwrap().0, 10);
        assert_eq!(d.template.tolerations.len(), 1);
        let cj = &c.cron_jobs[0];
        assert_eq!(cj.schedule, "0 2 * * *");
        assert_eq!(cj.time_zone.as_deref(), Some("Europe/Paris"));
        assert_eq!(cj.job_template.backoff_limit, Some(2));
        assert_eq!(
            cj.job_template.duration,
            crate::scenario::values::DurationDist::Constant(1_800_000)
        );
        // No warning about a missing duration.
        assert!(
            !c.warnings.iter().any(|w| w.contains("duration")),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn job_without_duration_warns_and_defaults() {
        let text = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  \
                    parallelism: 3\n  template: {spec: {containers: [{name: a}]}}\n";
        let c = convert(text).unwrap();
        assert_eq!((c.jobs[0].completions, c.jobs[0].parallelism), (3, 3));
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("no kubesim.io/duration"))
        );
    }

    #[test]
    fn owned_pods_and_replicasets_are_skipped_when_their_controller_is_read() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n\
                    spec: {template: {}}\n---\n\
                    apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-5d\n  \
                    ownerReferences: [{kind: Deployment, name: web, controller: true}]\n\
                    spec: {replicas: 1, template: {}}\n---\n\
                    apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-5d-x\n  \
                    ownerReferences: [{kind: ReplicaSet, name: web-5d, controller: true}]\n\
                    spec: {nodeName: n1, containers: [{name: a}]}\n---\n\
                    apiVersion: v1\nkind: Pod\nmetadata:\n  name: orphan\n  \
                    ownerReferences: [{kind: ReplicaSet, name: gone, controller: true}]\n\
                    spec: {nodeName: n1, containers: [{name: a}]}\n---\n\
                    apiVersion: v1\nkind: Pod\nmetadata: {name: done}\n\
                    spec: {containers: [{name: a}]}\nstatus: {phase: Succeeded}\n";
        let c = convert(text).unwrap();
        assert_eq!(c.deployments.len(), 1);
        assert_eq!(c.pods.len(), 1);
        assert_eq!(c.pods[0].name, "orphan");
        assert_eq!(
            c.warnings.iter().filter(|w| w.contains("skipped")).count(),
            3
        );
    }

    #[test]
    fn kind_after_spec_is_read_too() {
        let text = "metadata: {name: pc}\nvalue: 7\nkind: PriorityClass\napiVersion: scheduling.k8s.io/v1\n";
        let c = convert(text).unwrap();
        assert_eq!(c.priority_classes[0].value, 7);
    }

    #[test]
    fn unknown_kubesim_annotation_is_an_error() {
        let text = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  \
                    annotations: {kubesim.io/durration: 5m}\nspec: {template: {}}\n";
        let e = convert(text).unwrap_err().to_string();
        assert!(e.contains("kubesim.io/durration"), "{e}");
    }

    #[test]
    fn scheduler_configuration_document() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n\
                    apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n\
                    profiles:\n- schedulerName: default-scheduler\n  plugins:\n    score:\n      \
                    disabled: [{name: '*'}]\n      enabled: [{name: NodeResourcesFit}]\n";
        let c = convert(text).unwrap();
        let s = c.scheduler.unwrap();
        assert_eq!(s.profiles.len(), 1);
        assert_eq!(s.profiles[0].name(), "default-scheduler");
    }

    #[test]
    fn document_text_keeps_line_numbers() {
        let t = "a: 1\n---\nb: 2\nc: 3\n---\nd: 4\n";
        assert_eq!(document_text(t, 1), "\n\nb: 2\nc: 3\n\n\n");
        assert_eq!(document_text("---\nx: 1\n", 0), "\nx: 1\n");
    }

    fn big_node_list(bad: Option<usize>) -> String {
        let mut t = String::from("apiVersion: v1\nitems:\n");
        for i in 0..1100 {
            let cpu = if Some(i) == bad { "lots" } else { "4" };
            t.push_str(&format!(
                "- apiVersion: v1\n  kind: Node\n  metadata:\n    name: n-{i}\n    labels:\n      \
                 a: {pad}\n  status:\n    allocatable:\n      cpu: {cpu}\n      memory: 16Gi\n",
                pad = "x".repeat(900)
            ));
        }
        t.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        t
    }

    #[test]
    fn big_lists_are_read_in_chunks_with_file_lines_and_paths() {
        let t = big_node_list(None);
        assert!(t.len() > 1 << 20);
        let list = read_big_list(Path::new("n.yaml"), &t).unwrap();
        if std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
            let list = list.expect("split");
            assert_eq!(list.items.len(), 1100);
            assert_eq!(list.items[1099].metadata.name.as_deref(), Some("n-1099"));
        }
        let c = convert_sources(&[(PathBuf::from("n.yaml"), t)]).unwrap();
        assert_eq!(c.nodes.len(), 1100);
        assert_eq!(c.nodes[700].name, "n-700");
        // Item 1050 starts at line 3 + 1050 * 10; its cpu is 8 lines further.
        let e = convert_sources(&[(PathBuf::from("n.yaml"), big_node_list(Some(1050)))])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("n.yaml:{}:", 3 + 1050 * 10 + 8)),
            "{e}"
        );
        assert!(e.contains("items[1050].status.allocatable.cpu"), "{e}");
    }
}

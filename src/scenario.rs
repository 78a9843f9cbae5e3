//! Scenarios: loading a YAML file (with `--set` overrides) into a validated [`ScenarioSpec`],
//! and building a ready-to-run [`crate::engine::Simulation`] from it.

pub mod build;
pub mod caps;
pub(crate) mod containers;
pub mod hpa_metrics;
pub mod overrides;
pub mod scheduler_config;
pub mod spec;
pub mod values;
pub mod yaml_limits;

use crate::error::{Error, Result};
use spec::ScenarioSpec;
use std::path::{Path, PathBuf};

/// A loaded scenario: its spec and where it came from (data paths are relative to it).
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The parsed spec.
    pub spec: ScenarioSpec,
    /// The scenario file.
    pub path: PathBuf,
    /// The YAML text it was parsed from (variants re-parse it with their own overrides).
    pub source: String,
    /// The `--set` overrides applied to it.
    pub overrides: Vec<String>,
    /// Warnings from reading its `manifests` (ignored fields, unknown kinds), one line each;
    /// the CLI prints them on stderr.
    pub warnings: Vec<String>,
    /// The work budget its runs must fit (see [`crate::budget`]); the CLI sets it from
    /// `--max-events` and `--max-memory`.
    pub limits: crate::budget::Limits,
}

/// Formats a YAML/schema error with file, line, column and field path.
pub(crate) fn yaml_error(
    file: &Path,
    err: serde_path_to_error::Error<serde_yaml_ng::Error>,
) -> Error {
    let path = err.path().to_string();
    let inner = err.into_inner();
    let mut location = String::new();
    if let Some(loc) = inner.location() {
        location = format!(":{}:{}", loc.line(), loc.column());
    }
    if path != "." && !path.is_empty() {
        location.push_str(&format!(" (field `{path}`)"));
    }
    Error::Yaml {
        file: file.display().to_string(),
        location,
        message: yaml_message(inner.to_string(), &path),
    }
}

/// A YAML error's text without what its location already says: serde_yaml_ng's trailing
/// " at line X column Y" and a leading `<field path>: `.
pub(crate) fn yaml_message(mut message: String, path: &str) -> String {
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    if let Some(rest) = message.strip_prefix(&format!("{path}: ")) {
        message = rest.to_owned();
    }
    message
}

impl Scenario {
    /// Reads and validates a scenario file, applying `--set` overrides.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario> {
        let text = yaml_limits::read_yaml_file(path)?;
        Self::from_yaml(&text, path, overrides)
    }

    /// Parses scenario YAML text; `path` is used for messages and to resolve data files.
    pub fn from_yaml(text: &str, path: &Path, overrides: &[String]) -> Result<Scenario> {
        yaml_limits::check_depth(text, path)?;
        let spec: ScenarioSpec = if overrides.is_empty() {
            let de = serde_yaml_ng::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| yaml_error(path, e))?
        } else {
            let de = serde_yaml_ng::Deserializer::from_str(text);
            let mut value: serde_yaml_ng::Value =
                serde_path_to_error::deserialize(de).map_err(|e| yaml_error(path, e))?;
            for o in overrides {
                yaml_limits::check_depth(o, Path::new("--set"))?;
                overrides::apply(&mut value, o)?;
            }
            serde_path_to_error::deserialize(value).map_err(|e| {
                let field = e.path().to_string();
                Error::Yaml {
                    file: path.display().to_string(),
                    location: format!(" (field `{field}`, after --set)"),
                    message: e.into_inner().to_string(),
                }
            })?
        };
        let mut spec = spec;
        let mut warnings = Vec::new();
        if !spec.manifests.is_empty() {
            let base = path.parent().unwrap_or(Path::new("."));
            let mut converted = crate::manifests::load(&spec.manifests, base)?;
            warnings = std::mem::take(&mut converted.warnings);
            converted.apply(&mut spec);
        }
        scheduler_config::resolve_scenario_files(&mut spec, path).map_err(|e| e.in_file(path))?;
        let scenario = Scenario {
            spec,
            warnings,
            path: path.to_owned(),
            source: text.to_owned(),
            overrides: overrides.to_vec(),
            limits: crate::budget::Limits::default(),
        };
        build::validate(&scenario.spec).map_err(|e| e.in_file(path))?;
        Ok(scenario)
    }

    /// The scenario as variant `v` of its `variants` list runs it: the variant's `set`
    /// overrides applied after the scenario's own, then its scheduler block if it has one.
    pub fn variant(&self, v: &spec::VariantSpec) -> Result<Scenario> {
        let mut s = if v.set.is_empty() {
            self.clone()
        } else {
            let mut overrides = self.overrides.clone();
            overrides.extend(v.set.iter().cloned());
            let mut s = Self::from_yaml(&self.source, &self.path, &overrides)
                .map_err(|e| Error::Usage(format!("variant {:?}: {e}", v.name)))?;
            s.limits = self.limits;
            s
        };
        if let Some(scheduler) = &v.scheduler {
            s.spec.scheduler = scheduler.clone();
        }
        Ok(s)
    }

    /// Warnings about the scheduler setup, e.g. pods whose `schedulerName` no profile has
    /// (they stay Pending, as upstream: no scheduler picks them up).
    pub fn scheduler_warnings(&self) -> Vec<String> {
        scheduler_config::unscheduled_pod_warnings(&self.spec)
    }

    /// Resolves a data path relative to the scenario file's folder.
    pub fn data_path(&self, relative: &str) -> PathBuf {
        let p = Path::new(relative);
        if p.is_absolute() {
            return p.to_owned();
        }
        self.path.parent().unwrap_or(Path::new(".")).join(p)
    }
}

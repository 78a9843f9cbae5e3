//! Scenario schema of a load curve (`load:`), its validation and construction.
//!
//! ```yaml
//! load:                                  # requests/s
//!   diurnal: {mean: 200, amplitude: 150, peakHour: 14, weekendFactor: 0.6}
//!   spikes: [{at: 2d, factor: 40, rampUp: 2h, hold: 6h, rampDown: 1h}]
//!   noise: poisson
//! ```
//! ```yaml
//! load:
//!   file: {path: data/nasa-http-1995-07-per-minute.csv.gz, column: requests, scale: 3}
//! ```
//!
//! A `load` block combines its parts as
//! `scale × (constant + diurnal + file + steps + ramps + additive spikes + Σ sum) ×
//! Π multiplicative spikes × Π product`. A block with no additive part is a pure factor
//! (its additive part is 1), which is useful inside `product`; the top level must have one.
//! `noise` is allowed only at the top level. A plain number (`load: 150`) is a constant rate.

use super::series::{Interpolation, Series, SeriesOptions, ValueKind};
use super::shapes::{Diurnal, Pulse, Ramp, Steps, WEEKDAYS, parse_weekday};
use super::{Component, LoadCurve, Noise, ParamError};
use crate::engine::rng::SimRng;
use crate::error::{Error, Result};
use crate::scenario::values::Duration;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::path::Path;

/// Default Poisson noise interval [ms].
pub const DEFAULT_NOISE_INTERVAL_MS: u64 = 1000;

/// A load curve (`load:`); see the module documentation for how the parts combine.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoadFields {
    /// A constant rate [requests/s].
    #[serde(default)]
    pub constant: Option<f64>,
    /// A daily sine with an optional weekly pattern.
    #[serde(default)]
    pub diurnal: Option<DiurnalSpec>,
    /// A request series read from a file.
    #[serde(default)]
    pub file: Option<FileRef>,
    /// A step schedule: the rate set at each `at` (0 before the first step).
    #[serde(default)]
    pub steps: Vec<StepSpec>,
    /// Linear ramps, each added to the rate.
    #[serde(default)]
    pub ramps: Vec<RampSpec>,
    /// Spikes: `factor` multiplies the rate, `add` adds requests/s.
    #[serde(default)]
    pub spikes: Vec<SpikeSpec>,
    /// Further load blocks added to this one.
    #[serde(default)]
    pub sum: Vec<LoadSpec>,
    /// Further load blocks multiplying this one.
    #[serde(default)]
    pub product: Vec<LoadSpec>,
    /// Multiplier of the whole block (default 1).
    #[serde(default)]
    pub scale: Option<f64>,
    /// Poisson noise on the final rate (top level only).
    #[serde(default)]
    pub noise: Option<NoiseSpec>,
}

/// A load curve: a plain number (a constant rate [requests/s]) or a block of parts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadSpec(pub LoadFields);

impl<'de> Deserialize<'de> for LoadSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LoadSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a rate in requests/s or a load block such as {diurnal: {mean: 200, \
                     amplitude: 150, peakHour: 14}} or {file: data/series.csv.gz}",
                )
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<LoadSpec, E> {
                Ok(LoadSpec(LoadFields {
                    constant: Some(v),
                    ..LoadFields::default()
                }))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<LoadSpec, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<LoadSpec, E> {
                self.visit_f64(v as f64)
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<LoadSpec, A::Error> {
                LoadFields::deserialize(de::value::MapAccessDeserializer::new(map)).map(LoadSpec)
            }
        }
        d.deserialize_any(V)
    }
}

/// `diurnal`: `w(weekday) · (mean + amplitude · cos(2π (t − peakHour) / 24 h))`, with simulated
/// time 0 at midnight of `startDay`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DiurnalSpec {
    /// Daily mean [requests/s].
    pub mean: f64,
    /// Half the peak-to-trough swing [requests/s], at most `mean`.
    pub amplitude: f64,
    /// Hour of the daily peak, 0 ≤ h < 24 (fractions allowed).
    pub peak_hour: f64,
    /// Factor for Saturday and Sunday (others 1).
    #[serde(default)]
    pub weekend_factor: Option<f64>,
    /// Seven factors, Monday to Sunday (instead of `weekendFactor`).
    #[serde(default)]
    pub weekday_factors: Option<Vec<f64>>,
    /// Weekday of simulated time 0 (default Monday).
    #[serde(default)]
    pub start_day: Option<String>,
}

/// One step of `steps`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StepSpec {
    /// When the rate changes.
    pub at: Duration,
    /// The rate from then on [requests/s].
    pub rate: f64,
}

/// A linear ramp: `from` before `at`, `to` after `at + over`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RampSpec {
    /// Start of the ramp.
    pub at: Duration,
    /// Length of the ramp (> 0).
    pub over: Duration,
    /// Rate before the ramp [requests/s].
    pub from: f64,
    /// Rate after the ramp [requests/s].
    pub to: f64,
}

/// A spike: starting `at`, rising linearly over `rampUp`, holding for `hold`, falling over
/// `rampDown`. With `factor: N` it multiplies the rate by up to N ("×40 within two hours":
/// `{factor: 40, rampUp: 2h, hold: ...}`); with `add: R` it adds up to R requests/s.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SpikeSpec {
    /// Start of the spike.
    pub at: Duration,
    /// Peak multiplier (≥ 0; below 1 is a dip).
    #[serde(default)]
    pub factor: Option<f64>,
    /// Peak extra rate [requests/s].
    #[serde(default)]
    pub add: Option<f64>,
    /// Rise time (default 0).
    #[serde(default)]
    pub ramp_up: Duration,
    /// Time at the peak (default 0).
    #[serde(default)]
    pub hold: Duration,
    /// Fall time (default 0).
    #[serde(default)]
    pub ramp_down: Duration,
}

/// What a series file's value column holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ValuesSpec {
    /// Requests per row interval (default).
    #[default]
    Count,
    /// Requests per second.
    Rate,
}

/// Interpolation of a series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InterpolationSpec {
    /// Piecewise constant per bin (default; every bin's count is exact).
    #[default]
    Step,
    /// Straight lines through the bin centres.
    Linear,
}

/// `file`: a path (string) or a block of options. See [`super::series`] for the file format.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FileSpec {
    /// CSV file relative to the scenario (`.gz` is decompressed).
    pub path: String,
    /// Value column (default: the only column besides the time column).
    #[serde(default)]
    pub column: Option<String>,
    /// Time column (default `time_s`): seconds, or milliseconds if the name ends in `_ms`.
    #[serde(default)]
    pub time_column: Option<String>,
    /// Length of a row's interval (default: the spacing of the first two rows; required
    /// without a time column).
    #[serde(default)]
    pub interval: Option<Duration>,
    /// `count` (requests per row, default) or `rate` (requests/s).
    #[serde(default)]
    pub values: ValuesSpec,
    /// `step` (default) or `linear`.
    #[serde(default)]
    pub interpolation: InterpolationSpec,
    /// Re-bin to this length (requests are split in proportion to overlap).
    #[serde(default)]
    pub resample: Option<Duration>,
    /// Multiplier of the values (default 1).
    #[serde(default)]
    pub scale: Option<f64>,
    /// Simulated time at which the series begins (default 0; the rate is 0 before).
    #[serde(default)]
    pub start: Duration,
    /// File time played at `start` (default 0): skips the beginning of the file.
    #[serde(default)]
    pub skip: Duration,
    /// Repeat the series after its end (default false: the rate is 0 after the end).
    #[serde(default, rename = "loop")]
    pub looped: bool,
}

/// `file:` accepts a bare path or an option block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileRef(pub FileSpec);

impl<'de> Deserialize<'de> for FileRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FileRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a file path or {path: ..., column: ..., scale: ...}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<FileRef, E> {
                Ok(FileRef(FileSpec {
                    path: v.to_owned(),
                    ..FileSpec::default()
                }))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<FileRef, A::Error> {
                FileSpec::deserialize(de::value::MapAccessDeserializer::new(map)).map(FileRef)
            }
        }
        d.deserialize_any(V)
    }
}

/// `noise`: `none`, `poisson` (1 s intervals) or `{poisson: {interval: 10s}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoiseSpec {
    /// No noise.
    None,
    /// Poisson counts per interval [ms].
    Poisson {
        /// Interval length [ms].
        interval_ms: u64,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
enum NoiseForm {
    Poisson {
        #[serde(default)]
        interval: Option<Duration>,
    },
}

impl<'de> Deserialize<'de> for NoiseSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NoiseSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("none, poisson or {poisson: {interval: 1s}}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<NoiseSpec, E> {
                match v {
                    "none" => Ok(NoiseSpec::None),
                    "poisson" => Ok(NoiseSpec::Poisson {
                        interval_ms: DEFAULT_NOISE_INTERVAL_MS,
                    }),
                    other => Err(E::custom(format!(
                        "unknown noise {other:?}; expected none, poisson or {{poisson: {{interval: 1s}}}}"
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<NoiseSpec, A::Error> {
                let NoiseForm::Poisson { interval } =
                    NoiseForm::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(NoiseSpec::Poisson {
                    interval_ms: interval.map_or(DEFAULT_NOISE_INTERVAL_MS, |d| d.0),
                })
            }
        }
        d.deserialize_any(V)
    }
}

fn err(field: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::scenario(field, msg)
}

fn param(prefix: &str, e: ParamError) -> Error {
    err(format!("{prefix}.{}", e.field), e.message)
}

fn non_negative(v: f64, field: impl Into<String>) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(err(field, format!("must be a finite number >= 0, got {v}")))
    }
}

impl DiurnalSpec {
    fn weekday_factors(&self, field: &str) -> Result<[f64; 7]> {
        let mut f = [1.0; 7];
        match (&self.weekend_factor, &self.weekday_factors) {
            (Some(_), Some(_)) => {
                return Err(err(
                    format!("{field}.weekendFactor"),
                    "give either weekendFactor or weekdayFactors, not both",
                ));
            }
            (Some(w), None) => {
                non_negative(*w, format!("{field}.weekendFactor"))?;
                f[5] = *w;
                f[6] = *w;
            }
            (None, Some(list)) => {
                if list.len() != 7 {
                    return Err(err(
                        format!("{field}.weekdayFactors"),
                        format!("needs 7 factors, Monday to Sunday; got {}", list.len()),
                    ));
                }
                for (i, &v) in list.iter().enumerate() {
                    non_negative(v, format!("{field}.weekdayFactors[{i}]"))?;
                    f[i] = v;
                }
            }
            (None, None) => {}
        }
        Ok(f)
    }

    fn component(&self, field: &str) -> Result<Diurnal> {
        let factors = self.weekday_factors(field)?;
        let start = match &self.start_day {
            None => 0,
            Some(name) => parse_weekday(name).ok_or_else(|| {
                err(
                    format!("{field}.startDay"),
                    format!(
                        "unknown weekday {name:?}; expected one of {}",
                        WEEKDAYS.join(", ")
                    ),
                )
            })?,
        };
        Diurnal::new(self.mean, self.amplitude, self.peak_hour, factors, start)
            .map_err(|e| param(field, e))
    }
}

impl SpikeSpec {
    fn component(&self, field: &str) -> Result<(Pulse, bool)> {
        let (base, height, multiplies) = match (self.factor, self.add) {
            (Some(f), None) => {
                non_negative(f, format!("{field}.factor"))?;
                (1.0, f - 1.0, true)
            }
            (None, Some(a)) => {
                non_negative(a, format!("{field}.add"))?;
                (0.0, a, false)
            }
            _ => {
                return Err(err(
                    field,
                    "give exactly one of factor (multiplies the rate) or add (requests/s added)",
                ));
            }
        };
        let pulse = Pulse::new(
            base,
            height,
            self.at.0,
            self.ramp_up.0,
            self.hold.0,
            self.ramp_down.0,
        )
        .map_err(|e| param(field, e))?;
        Ok((pulse, multiplies))
    }
}

impl FileSpec {
    fn options(&self, field: &str) -> Result<SeriesOptions> {
        if self.path.is_empty() {
            return Err(err(format!("{field}.path"), "must not be empty"));
        }
        for (name, d) in [("interval", self.interval), ("resample", self.resample)] {
            if d.is_some_and(|d| d.0 == 0) {
                return Err(err(format!("{field}.{name}"), "must be > 0"));
            }
        }
        let scale = self.scale.unwrap_or(1.0);
        non_negative(scale, format!("{field}.scale"))?;
        Ok(SeriesOptions {
            column: self.column.clone(),
            time_column: self.time_column.clone(),
            interval_ms: self.interval.map(|d| d.0),
            values: match self.values {
                ValuesSpec::Count => ValueKind::Count,
                ValuesSpec::Rate => ValueKind::Rate,
            },
            interpolation: match self.interpolation {
                InterpolationSpec::Step => Interpolation::Step,
                InterpolationSpec::Linear => Interpolation::Linear,
            },
            resample_ms: self.resample.map(|d| d.0),
            scale,
            start_ms: self.start.0,
            skip_ms: self.skip.0,
            looped: self.looped,
        })
    }
}

/// Where a build reads files from (`None`: validation only, no file is opened).
type Files<'a> = Option<&'a Path>;

impl LoadFields {
    fn has_additive_part(&self) -> bool {
        self.constant.is_some()
            || self.diurnal.is_some()
            || self.file.is_some()
            || !self.steps.is_empty()
            || !self.ramps.is_empty()
            || !self.sum.is_empty()
            || self
                .spikes
                .iter()
                .any(|s| s.add.is_some() && s.factor.is_none())
    }

    /// Validates the block and, when `files` is given, builds its component tree.
    fn node(&self, field: &str, top: bool, files: Files) -> Result<Option<Component>> {
        if !top && self.noise.is_some() {
            return Err(err(
                format!("{field}.noise"),
                "noise is only allowed at the top level of a load curve",
            ));
        }
        let has_factor = !self.spikes.is_empty() || !self.product.is_empty();
        if !self.has_additive_part() && (top || !has_factor) {
            return Err(err(
                field,
                "the load has no base rate; give constant, diurnal, file, steps, ramps or sum",
            ));
        }
        let mut terms = Vec::new();
        let mut factors = Vec::new();
        if let Some(c) = self.constant {
            non_negative(c, format!("{field}.constant"))?;
            terms.push(Component::Constant(c));
        }
        if let Some(d) = &self.diurnal {
            terms.push(Component::Diurnal(
                d.component(&format!("{field}.diurnal"))?,
            ));
        }
        if let Some(FileRef(f)) = &self.file {
            let f_field = format!("{field}.file");
            let opts = f.options(&f_field)?;
            if let Some(dir) = files {
                let series = Series::read(&dir.join(&f.path), &opts).map_err(|e| match e {
                    Error::Scenario { field, message, .. } => {
                        err(format!("{f_field}.{field}"), message)
                    }
                    other => other,
                })?;
                terms.push(Component::Series(series));
            }
        }
        if !self.steps.is_empty() {
            let list: Vec<(u64, f64)> = self.steps.iter().map(|s| (s.at.0, s.rate)).collect();
            terms.push(Component::Steps(
                Steps::new(&list).map_err(|e| param(field, e))?,
            ));
        }
        for (i, r) in self.ramps.iter().enumerate() {
            let ramp = Ramp::new(r.at.0, r.over.0, r.from, r.to)
                .map_err(|e| param(&format!("{field}.ramps[{i}]"), e))?;
            terms.push(Component::Ramp(ramp));
        }
        for (i, s) in self.spikes.iter().enumerate() {
            let (pulse, multiplies) = s.component(&format!("{field}.spikes[{i}]"))?;
            if multiplies {
                factors.push(Component::Pulse(pulse));
            } else {
                terms.push(Component::Pulse(pulse));
            }
        }
        for (i, s) in self.sum.iter().enumerate() {
            if let Some(c) = s.0.node(&format!("{field}.sum[{i}]"), false, files)? {
                terms.push(c);
            }
        }
        for (i, p) in self.product.iter().enumerate() {
            if let Some(c) = p.0.node(&format!("{field}.product[{i}]"), false, files)? {
                factors.push(c);
            }
        }
        if let Some(s) = self.scale {
            non_negative(s, format!("{field}.scale"))?;
            factors.push(Component::Constant(s));
        }
        if let Some(NoiseSpec::Poisson { interval_ms: 0 }) = self.noise {
            return Err(err(
                format!("{field}.noise.poisson.interval"),
                "must be > 0",
            ));
        }
        if files.is_none() {
            return Ok(None);
        }
        let base = if self.has_additive_part() {
            Component::sum(terms)
        } else {
            Component::Constant(1.0)
        };
        factors.insert(0, base);
        Ok(Some(Component::product(factors)))
    }
}

impl LoadSpec {
    /// Checks every value without opening files; errors name the field under `field` (e.g.
    /// `deployments[0].load`).
    pub fn validate(&self, field: &str) -> Result<()> {
        self.0.node(field, true, None).map(|_| ())
    }

    /// Builds the curve, reading files relative to `base_dir`. Poisson noise is keyed from
    /// `rng` (pass the curve's own stream, e.g. `Stream::Load(i)`); nothing is drawn without
    /// noise.
    pub fn build(&self, field: &str, base_dir: &Path, rng: &mut SimRng) -> Result<LoadCurve> {
        let root = self
            .0
            .node(field, true, Some(base_dir))?
            .unwrap_or(Component::Constant(0.0));
        let noise = match self.0.noise {
            Some(NoiseSpec::Poisson { interval_ms }) => Some(Noise::poisson(interval_ms, rng)),
            _ => None,
        };
        Ok(LoadCurve::new(root, noise))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Stream, stream};
    use crate::engine::time::{MS_PER_DAY, MS_PER_HOUR};
    use std::path::PathBuf;

    const H: u64 = MS_PER_HOUR;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        load: LoadSpec,
    }

    fn parse(yaml: &str) -> std::result::Result<LoadSpec, String> {
        let de = serde_yaml_ng::Deserializer::from_str(yaml);
        serde_path_to_error::deserialize::<_, Doc>(de)
            .map(|d| d.load)
            .map_err(|e| format!("{}: {}", e.path().clone(), e.into_inner()))
    }

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("kubesim-load-spec-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn build(yaml: &str) -> Result<LoadCurve> {
        let spec = parse(yaml).map_err(|m| err("parse", m))?;
        spec.validate("load")?;
        spec.build("load", &dir(), &mut stream(1, Stream::Load(0)))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn diurnal_with_weekend_and_spike() {
        let c = build(
            "load:
               diurnal: {mean: 200, amplitude: 150, peakHour: 14, weekendFactor: 0.6}
               spikes: [{at: 2d, factor: 40, rampUp: 2h, hold: 6h, rampDown: 1h}]",
        )
        .unwrap();
        // Monday 14:00 peak, 02:00 trough.
        assert!(close(c.rate(14 * H), 350.0));
        assert!(close(c.rate(26 * H), 50.0));
        // Wednesday 02:00 is 2 h into the spike: ×40 of the trough.
        assert!(close(c.rate(50 * H), 2000.0));
        // Saturday 14:00: 0.6 × 350.
        assert!(close(c.rate(5 * MS_PER_DAY + 14 * H), 210.0));
        // Monday over a whole day: 200 × 86400 (the spike starts on Wednesday).
        assert!(close(c.requests(0, MS_PER_DAY), 200.0 * 86_400.0));
    }

    #[test]
    fn noise_is_keyed_by_the_stream() {
        let yaml = "load: {constant: 100, noise: {poisson: {interval: 10s}}}";
        let spec = parse(yaml).unwrap();
        let a = spec
            .build("load", &dir(), &mut stream(1, Stream::Load(0)))
            .unwrap();
        let b = spec
            .build("load", &dir(), &mut stream(1, Stream::Load(0)))
            .unwrap();
        let c = spec
            .build("load", &dir(), &mut stream(1, Stream::Load(1)))
            .unwrap();
        assert_eq!(a.noise().unwrap().interval_ms(), 10_000);
        assert_eq!(a.requests(0, 600_000), b.requests(0, 600_000));
        assert_ne!(a.requests(0, 600_000), c.requests(0, 600_000));
        // A count per 10 s: the rate is constant within an interval.
        assert_eq!(a.rate(20_000), a.rate(29_999));
        let plain = parse("load: poisson").unwrap_err();
        assert!(plain.starts_with("load: "), "{plain}");
        let short = parse("load: {constant: 1, noise: poisson}").unwrap();
        assert_eq!(
            short.0.noise,
            Some(NoiseSpec::Poisson {
                interval_ms: DEFAULT_NOISE_INTERVAL_MS
            })
        );
    }

    #[test]
    fn constants_steps_ramps_sums_and_products() {
        assert_eq!(build("load: 150").unwrap().rate(0), 150.0);
        let c = build(
            "load:
               constant: 100
               spikes: [{at: 10s, add: 500, hold: 10s}]
               ramps: [{at: 1m, over: 1m, from: 0, to: 60}]
               scale: 2",
        )
        .unwrap();
        assert_eq!(c.rate(0), 200.0);
        assert_eq!(c.rate(15_000), 1200.0);
        assert_eq!(c.rate(90_000), 260.0);
        // [0, 2 m): 2·(100·120 + 500·10 + 60·60/2).
        assert!(close(
            c.requests(0, 120_000),
            2.0 * (12_000.0 + 5_000.0 + 1_800.0)
        ));
        // Traffic doubles from 1 h: a step factor inside a product.
        let c = build(
            "load:
               diurnal: {mean: 100, amplitude: 0, peakHour: 0}
               product: [{steps: [{at: 0s, rate: 1}, {at: 1h, rate: 2}]}]
               sum: [{constant: 5}]",
        )
        .unwrap();
        assert_eq!(c.rate(0), 105.0);
        assert_eq!(c.rate(2 * H), 210.0);
        assert!(close(c.requests(0, 2 * H), 3600.0 * (105.0 + 210.0)));
        // A nested block made only of factors multiplies: ×3 spike over a constant.
        let c = build("load: {constant: 10, product: [{spikes: [{at: 0s, factor: 3, hold: 1s}]}]}")
            .unwrap();
        assert_eq!((c.rate(0), c.rate(1000)), (30.0, 10.0));
    }

    #[test]
    fn file_series_by_path_and_by_block() {
        std::fs::write(
            dir().join("load.csv"),
            "time_s,requests\n0,60\n60,120\n120,180\n",
        )
        .unwrap();
        let c = build("load: {file: load.csv}").unwrap();
        assert_eq!(
            (c.rate(0), c.rate(60_000), c.rate(180_000)),
            (1.0, 2.0, 0.0)
        );
        assert_eq!(c.data_end_ms(), Some(180_000));
        let c = build(
            "load: {file: {path: load.csv, column: requests, scale: 3, start: 1h, skip: 1m, loop: true}}",
        )
        .unwrap();
        assert_eq!(c.rate(H), 6.0);
        assert_eq!(c.rate(H + 60_000), 9.0);
        assert_eq!(c.rate(H + 120_000), 6.0, "looped");
        assert!(close(c.requests(0, H + 120_000), 3.0 * 300.0));
        assert_eq!(c.data_end_ms(), None);
        let e = build("load: {file: {path: load.csv, column: rps}}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("load.csv:1: no column \"rps\""), "{e}");
        let e = build("load: {file: missing.csv}").unwrap_err().to_string();
        assert!(e.contains("missing.csv"), "{e}");
    }

    #[test]
    fn validation_errors_name_the_field() {
        let cases = [
            (
                "load: {diurnal: {mean: 100, amplitude: 150, peakHour: 14}}",
                "field `load.diurnal.amplitude`: must be <= mean",
            ),
            (
                "load: {diurnal: {mean: 100, amplitude: 50, peakHour: 14, startDay: Caturday}}",
                "field `load.diurnal.startDay`: unknown weekday \"Caturday\"",
            ),
            (
                "load: {diurnal: {mean: 100, amplitude: 50, peakHour: 14, weekdayFactors: [1, 1]}}",
                "field `load.diurnal.weekdayFactors`: needs 7 factors",
            ),
            (
                "load: {diurnal: {mean: 1, amplitude: 0, peakHour: 1, weekendFactor: 1, weekdayFactors: [1,1,1,1,1,1,1]}}",
                "field `load.diurnal.weekendFactor`: give either",
            ),
            (
                "load: {constant: 1, sum: [{constant: 2, noise: poisson}]}",
                "field `load.sum[0].noise`: noise is only allowed at the top level",
            ),
            ("load: {}", "field `load`: the load has no base rate"),
            (
                "load: {spikes: [{at: 1h, factor: 2, hold: 1h}]}",
                "field `load`: the load has no base rate",
            ),
            (
                "load: {constant: 1, spikes: [{at: 1h, factor: 2, add: 3, hold: 1h}]}",
                "field `load.spikes[0]`: give exactly one of factor",
            ),
            (
                "load: {constant: 1, spikes: [{at: 1h, factor: 2}]}",
                "field `load.spikes[0].hold`: the spike has no duration",
            ),
            (
                "load: {steps: [{at: 1h, rate: 1}, {at: 1h, rate: 2}]}",
                "field `load.steps[1].at`: must be later",
            ),
            (
                "load: {constant: 1, ramps: [{at: 0s, over: 0s, from: 0, to: 1}]}",
                "field `load.ramps[0].over`: must be > 0",
            ),
            (
                "load: {constant: -1}",
                "field `load.constant`: must be a finite number >= 0",
            ),
            (
                "load: {file: {path: x.csv, interval: 0s}}",
                "field `load.file.interval`: must be > 0",
            ),
            (
                "load: {constant: 1, noise: {poisson: {interval: 0s}}}",
                "field `load.noise.poisson.interval`: must be > 0",
            ),
        ];
        for (yaml, expected) in cases {
            let spec = parse(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
            let e = spec.validate("load").unwrap_err().to_string();
            assert!(e.contains(expected), "{yaml}: {e}");
        }
    }

    #[test]
    fn schema_errors_carry_the_path() {
        let e = parse("load: {diurnal: {mean: 1, amplitude: 0, peak: 3}}").unwrap_err();
        assert!(
            e.starts_with("load.diurnal.peak: ")
                && e.contains("unknown field `peak`, expected one of `mean`"),
            "{e}"
        );
        let e = parse("load: {file: {path: x.csv, values: counts}}").unwrap_err();
        assert!(
            e.starts_with("load.file.values: ")
                && e.contains("unknown variant `counts`, expected `count` or `rate`"),
            "{e}"
        );
        let e = parse("load: {constant: 1, noise: gaussian}").unwrap_err();
        assert!(e.contains("unknown noise \"gaussian\""), "{e}");
        let e = parse("load: {constant: 1, spikes: [{at: soon, factor: 2}]}").unwrap_err();
        assert!(
            e.starts_with("load.spikes[0].at: ") && e.contains("invalid duration \"soon\""),
            "{e}"
        );
    }
}

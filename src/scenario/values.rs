//! Scalar value types of the scenario schema that validate while parsing (so errors carry the
//! YAML line and column): Kubernetes quantities, Go-style durations and duration distributions.

use crate::cluster::quantity::{QuantityScale, parse_quantity};
use crate::engine::time::parse_duration_ms;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;

/// Accepts a YAML string, integer or float and hands its text to `parse`.
struct TextVisitor<F>(F, &'static str);

impl<'de, T, F: Fn(&str) -> Result<T, String>> Visitor<'de> for TextVisitor<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.1)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        (self.0)(&v.to_string()).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        (self.0)(&v.to_string()).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        (self.0)(&v.to_string()).map_err(E::custom)
    }
}

/// A cpu or gpu quantity, in thousandths (millicores / milli-GPUs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MilliQuantity(pub u64);

impl<'de> Deserialize<'de> for MilliQuantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor(
            |s: &str| parse_quantity(s, QuantityScale::Milli).map(MilliQuantity),
            "a Kubernetes quantity such as \"500m\" or 2",
        ))
    }
}

/// A memory (or count) quantity, in whole units (bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnitQuantity(pub u64);

impl<'de> Deserialize<'de> for UnitQuantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor(
            |s: &str| parse_quantity(s, QuantityScale::Unit).map(UnitQuantity),
            "a Kubernetes quantity such as \"512Mi\" or \"2Gi\"",
        ))
    }
}

/// A duration written Go-style (`"90s"`, `"1h30m"`, `"250ms"`, `"2d"`), in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Duration(pub u64);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor(
            |s: &str| parse_duration_ms(s).map(Duration),
            "a duration such as \"90s\", \"5m\" or \"1h30m\"",
        ))
    }
}

/// A random (or fixed) duration: a plain duration string is a constant; a one-key map names a
/// distribution, e.g. `{exponential: {mean: 5m}}`.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationDist {
    /// Always the same duration [ms].
    Constant(u64),
    /// Exponential with the given mean [ms].
    Exponential {
        /// Mean [ms].
        mean: u64,
    },
    /// Uniform between min and max [ms].
    Uniform {
        /// Lower bound [ms].
        min: u64,
        /// Upper bound [ms].
        max: u64,
    },
    /// Log-normal with the given median [ms] and sigma of the underlying normal.
    LogNormal {
        /// Median [ms].
        median: u64,
        /// Standard deviation of ln(duration).
        sigma: f64,
    },
    /// Weibull with scale [ms] and shape k.
    Weibull {
        /// Scale λ [ms].
        scale: u64,
        /// Shape k.
        shape: f64,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
enum DistForm {
    Constant(Duration),
    Exponential {
        mean: Duration,
    },
    Uniform {
        min: Duration,
        max: Duration,
    },
    #[serde(rename = "lognormal")]
    LogNormal {
        median: Duration,
        sigma: f64,
    },
    Weibull {
        scale: Duration,
        shape: f64,
    },
}

impl<'de> Deserialize<'de> for DurationDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DurationDist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration (\"5m\") or a distribution such as {exponential: {mean: 5m}}, \
                     {uniform: {min: 1m, max: 9m}}, {lognormal: {median: 5m, sigma: 1.0}} or \
                     {weibull: {scale: 5m, shape: 1.5}}",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationDist, E> {
                parse_duration_ms(v)
                    .map(DurationDist::Constant)
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DurationDist, A::Error> {
                let form = DistForm::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let dist = match form {
                    DistForm::Constant(c) => DurationDist::Constant(c.0),
                    DistForm::Exponential { mean } => DurationDist::Exponential { mean: mean.0 },
                    DistForm::Uniform { min, max } => {
                        if min.0 > max.0 {
                            return Err(de::Error::custom("uniform: min must be <= max"));
                        }
                        DurationDist::Uniform {
                            min: min.0,
                            max: max.0,
                        }
                    }
                    DistForm::LogNormal { median, sigma } => {
                        if !(sigma.is_finite() && sigma >= 0.0) {
                            return Err(de::Error::custom("lognormal: sigma must be >= 0"));
                        }
                        DurationDist::LogNormal {
                            median: median.0,
                            sigma,
                        }
                    }
                    DistForm::Weibull { scale, shape } => {
                        if !(shape.is_finite() && shape > 0.0) {
                            return Err(de::Error::custom("weibull: shape must be > 0"));
                        }
                        DurationDist::Weibull {
                            scale: scale.0,
                            shape,
                        }
                    }
                };
                Ok(dist)
            }
        }
        d.deserialize_any(V)
    }
}

impl DurationDist {
    /// True when the distribution can only produce 0 (an impossible run time).
    pub fn is_always_zero(&self) -> bool {
        match *self {
            DurationDist::Constant(c) => c == 0,
            DurationDist::Exponential { mean } => mean == 0,
            DurationDist::Uniform { max, .. } => max == 0,
            DurationDist::LogNormal { median, .. } => median == 0,
            DurationDist::Weibull { scale, .. } => scale == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scalars_and_distributions() {
        let q: MilliQuantity = serde_yaml_ng::from_str("500m").unwrap();
        assert_eq!(q.0, 500);
        let q: MilliQuantity = serde_yaml_ng::from_str("2").unwrap();
        assert_eq!(q.0, 2000);
        let q: MilliQuantity = serde_yaml_ng::from_str("0.25").unwrap();
        assert_eq!(q.0, 250);
        let m: UnitQuantity = serde_yaml_ng::from_str("1Gi").unwrap();
        assert_eq!(m.0, 1 << 30);
        let d: Duration = serde_yaml_ng::from_str("1h").unwrap();
        assert_eq!(d.0, 3_600_000);
        let e: DurationDist = serde_yaml_ng::from_str("{exponential: {mean: 5m}}").unwrap();
        assert_eq!(e, DurationDist::Exponential { mean: 300_000 });
        let c: DurationDist = serde_yaml_ng::from_str("30s").unwrap();
        assert_eq!(c, DurationDist::Constant(30_000));
        assert!(serde_yaml_ng::from_str::<DurationDist>("{gamma: {k: 1}}").is_err());
        assert!(serde_yaml_ng::from_str::<Duration>("10").is_err());
        assert!(serde_yaml_ng::from_str::<UnitQuantity>("lots").is_err());
    }
}

//! Simulated time: integer milliseconds since the scenario start.

use std::fmt;

/// A point in simulated time, in milliseconds from the scenario start.
///
/// Simulated time is always an integer so that runs are bit-for-bit reproducible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// One second, in milliseconds.
pub const MS_PER_SECOND: u64 = 1_000;
/// One minute, in milliseconds.
pub const MS_PER_MINUTE: u64 = 60 * MS_PER_SECOND;
/// One hour, in milliseconds.
pub const MS_PER_HOUR: u64 = 60 * MS_PER_MINUTE;
/// One day, in milliseconds.
pub const MS_PER_DAY: u64 = 24 * MS_PER_HOUR;

impl SimTime {
    /// The scenario start.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any event (used as "never").
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// Milliseconds since the scenario start.
    pub fn as_ms(self) -> u64 {
        self.0
    }

    /// Seconds since the scenario start, as a float (for output only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MS_PER_SECOND as f64
    }

    /// This time plus `ms` milliseconds, saturating at [`SimTime::NEVER`].
    pub fn plus_ms(self, ms: u64) -> SimTime {
        SimTime(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self` (0 if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        let (d, rem) = (ms / MS_PER_DAY, ms % MS_PER_DAY);
        let (h, rem) = (rem / MS_PER_HOUR, rem % MS_PER_HOUR);
        let (m, rem) = (rem / MS_PER_MINUTE, rem % MS_PER_MINUTE);
        let (s, milli) = (rem / MS_PER_SECOND, rem % MS_PER_SECOND);
        if d > 0 {
            write!(f, "{d}d")?;
        }
        write!(f, "{h:02}:{m:02}:{s:02}.{milli:03}")
    }
}

/// Parses a duration such as `"90s"`, `"1h30m"`, `"250ms"` or `"2d"` into milliseconds.
///
/// The syntax is Go's `time.ParseDuration` (as used throughout Kubernetes configuration) restricted
/// to non-negative values, with units `ms`, `s`, `m`, `h` and, as an extension, `d` (24 h).
/// Fractions are allowed (`"1.5h"`) but must resolve to a whole number of milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration; expected e.g. \"90s\", \"5m\", \"1h30m\"".into());
    }
    if s == "0" {
        return Ok(0);
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: u128 = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = &s[start..i];
        if number.is_empty() || number == "." {
            return Err(format!(
                "invalid duration {text:?}: expected a number before each unit (e.g. \"1h30m\")"
            ));
        }
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &s[unit_start..i];
        let unit_ms: u128 = match unit {
            "ms" => 1,
            "s" => MS_PER_SECOND as u128,
            "m" => MS_PER_MINUTE as u128,
            "h" => MS_PER_HOUR as u128,
            "d" => MS_PER_DAY as u128,
            "" => {
                return Err(format!(
                    "invalid duration {text:?}: missing unit; expected one of ms, s, m, h, d"
                ));
            }
            other => {
                return Err(format!(
                    "invalid duration {text:?}: unknown unit {other:?}; expected one of ms, s, m, h, d"
                ));
            }
        };
        let (int_part, frac_part) = match number.split_once('.') {
            Some((a, b)) => (a, b),
            None => (number, ""),
        };
        if frac_part.contains('.') {
            return Err(format!(
                "invalid duration {text:?}: malformed number {number:?}"
            ));
        }
        let int_value: u128 = if int_part.is_empty() {
            0
        } else {
            int_part
                .parse()
                .map_err(|_| format!("invalid duration {text:?}: number too large"))?
        };
        let mut value = int_value
            .checked_mul(unit_ms)
            .ok_or_else(|| format!("invalid duration {text:?}: too large"))?;
        if !frac_part.is_empty() {
            let digits = frac_part.len() as u32;
            if digits > 18 {
                return Err(format!(
                    "invalid duration {text:?}: too many decimal places"
                ));
            }
            let frac: u128 = frac_part
                .parse()
                .map_err(|_| format!("invalid duration {text:?}"))?;
            let scale = 10u128.pow(digits);
            let scaled = frac * unit_ms;
            if !scaled.is_multiple_of(scale) {
                return Err(format!(
                    "invalid duration {text:?}: not a whole number of milliseconds"
                ));
            }
            value += scaled / scale;
        }
        total = total
            .checked_add(value)
            .ok_or_else(|| format!("invalid duration {text:?}: too large"))?;
    }
    u64::try_from(total).map_err(|_| format!("invalid duration {text:?}: too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_style_durations() {
        assert_eq!(parse_duration_ms("90s"), Ok(90_000));
        assert_eq!(parse_duration_ms("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("250ms"), Ok(250));
        assert_eq!(parse_duration_ms("1.5h"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("2d"), Ok(172_800_000));
        assert_eq!(parse_duration_ms("0"), Ok(0));
        assert_eq!(parse_duration_ms("1m0.5s"), Ok(60_500));
    }

    #[test]
    fn rejects_bad_durations() {
        for bad in ["", "10", "5x", "h", "1.2.3s", "-5s", "0.0001s"] {
            assert!(parse_duration_ms(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn displays_clock_time() {
        assert_eq!(SimTime(3_723_004).to_string(), "01:02:03.004");
        assert_eq!(SimTime(MS_PER_DAY + 1).to_string(), "1d00:00:00.001");
    }
}

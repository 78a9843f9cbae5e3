//! Synthetic load-curve components: a diurnal sine with a weekly pattern, step schedules,
//! linear ramps and trapezoid pulses (spikes).
//!
//! Each component gives its rate [requests/s] at a time [ms, as f64], its exact integral
//! [requests] over `[a, b)`, and its next breakpoint (where it stops being smooth), which the
//! composite integrators split at.

use super::ParamError;
use crate::engine::time::{MS_PER_DAY, MS_PER_HOUR};
use std::f64::consts::TAU;

/// Milliseconds per second, as a float: rates are per second, times in milliseconds.
const MS: f64 = 1000.0;
const DAY_MS: f64 = MS_PER_DAY as f64;

/// Weekday names, Monday first (index 0).
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Parses a weekday name (case-insensitive) into its index, Monday = 0.
pub fn parse_weekday(name: &str) -> Option<usize> {
    WEEKDAYS.iter().position(|d| d.eq_ignore_ascii_case(name))
}

/// The smallest `origin + k·step` strictly greater than `t` (k an integer).
pub(crate) fn next_multiple(t: f64, origin: f64, step: f64) -> f64 {
    let k = ((t - origin) / step).floor() + 1.0;
    let mut n = origin + k * step;
    if n <= t {
        n += step;
    }
    n
}

fn check(ok: bool, field: &str, message: impl Into<String>) -> Result<(), ParamError> {
    if ok {
        Ok(())
    } else {
        Err(ParamError::new(field, message))
    }
}

fn non_negative(v: f64, field: &str) -> Result<(), ParamError> {
    check(
        v.is_finite() && v >= 0.0,
        field,
        format!("must be a finite number >= 0, got {v}"),
    )
}

/// A daily sine wave with an optional weekly pattern:
/// `rate(t) = w(weekday(t)) · (mean + amplitude · cos(2π (t − peak) / 24 h))`.
///
/// Simulated time 0 is midnight of `start_weekday`. The weekday factor `w` changes at midnight,
/// so a weekend factor makes the curve jump there (where a diurnal curve is at its lowest).
#[derive(Clone, Debug, PartialEq)]
pub struct Diurnal {
    mean: f64,
    amplitude: f64,
    peak_ms: f64,
    factors: [f64; 7],
    start_weekday: usize,
    weekly: bool,
    /// The last sine of the phase computed by the integral.
    sine: SineMemo,
}

/// `(t, sin(phase(t)))` of the last integral bound: consecutive intervals share a bound, so a
/// service integrating tick after tick computes one sine per tick instead of two. A cache
/// only: it never changes a result and takes no part in comparisons.
#[derive(Clone, Debug, Default)]
struct SineMemo(std::cell::Cell<(f64, f64)>);

impl PartialEq for SineMemo {
    fn eq(&self, _: &SineMemo) -> bool {
        true
    }
}

impl Diurnal {
    /// A diurnal curve: `mean` and `amplitude` [requests/s] (0 ≤ amplitude ≤ mean, so the rate
    /// never goes negative), peak at `peak_hour` [h after midnight, 0 ≤ h < 24], weekday
    /// factors Monday..Sunday (each ≥ 0; all 1 for no weekly pattern), and the weekday of
    /// simulated time 0 (0 = Monday).
    pub fn new(
        mean: f64,
        amplitude: f64,
        peak_hour: f64,
        weekday_factors: [f64; 7],
        start_weekday: usize,
    ) -> Result<Diurnal, ParamError> {
        non_negative(mean, "mean")?;
        non_negative(amplitude, "amplitude")?;
        check(
            amplitude <= mean,
            "amplitude",
            format!(
                "must be <= mean ({amplitude} > {mean}); a larger amplitude would make the rate negative"
            ),
        )?;
        check(
            peak_hour.is_finite() && (0.0..24.0).contains(&peak_hour),
            "peakHour",
            format!("must be in [0, 24), got {peak_hour}"),
        )?;
        for f in weekday_factors {
            non_negative(f, "weekdayFactors")?;
        }
        check(
            start_weekday < 7,
            "startDay",
            "must be a weekday index 0..=6",
        )?;
        Ok(Diurnal {
            mean,
            amplitude,
            peak_ms: peak_hour * MS_PER_HOUR as f64,
            factors: weekday_factors,
            start_weekday,
            weekly: weekday_factors.iter().any(|&f| f != 1.0),
            sine: SineMemo(std::cell::Cell::new((f64::NAN, 0.0))),
        })
    }

    fn factor_of_day(&self, day: f64) -> f64 {
        if !self.weekly {
            return 1.0;
        }
        let d = (day as u64 + self.start_weekday as u64) % 7;
        self.factors[d as usize]
    }

    fn phase(&self, t: f64) -> f64 {
        TAU * (t - self.peak_ms) / DAY_MS
    }

    /// `sin(phase(t))`, remembered for the last `t` asked.
    fn sine_at(&self, t: f64) -> f64 {
        let (memo_t, memo) = self.sine.0.get();
        if memo_t == t {
            return memo;
        }
        let value = self.phase(t).sin();
        self.sine.0.set((t, value));
        value
    }

    pub(crate) fn rate(&self, t: f64) -> f64 {
        let day = (t / DAY_MS).floor().max(0.0);
        self.factor_of_day(day) * (self.mean + self.amplitude * self.phase(t).cos())
    }

    /// Integral without weekday factors over `[a, b)` [requests].
    fn raw_integral(&self, a: f64, b: f64) -> f64 {
        // `a` first: it is usually the previous interval's `b`.
        let at_a = self.sine_at(a);
        let sines = self.sine_at(b) - at_a;
        (self.mean * (b - a) + self.amplitude * DAY_MS / TAU * sines) / MS
    }

    pub(crate) fn integral(&self, a: f64, b: f64) -> f64 {
        if !self.weekly {
            return self.raw_integral(a, b);
        }
        let mut total = 0.0;
        let mut t = a;
        while t < b {
            let day = (t / DAY_MS).floor().max(0.0);
            let end = next_multiple(t, 0.0, DAY_MS).min(b);
            total += self.factor_of_day(day) * self.raw_integral(t, end);
            t = end;
        }
        total
    }

    /// Largest rate [requests/s] at any time.
    pub(crate) fn max_rate(&self) -> f64 {
        self.max_factor() * (self.mean + self.amplitude)
    }

    /// Largest |slope| between breakpoints [requests/s per ms].
    pub(crate) fn max_slope(&self) -> f64 {
        self.max_factor() * self.amplitude * TAU / DAY_MS
    }

    fn max_factor(&self) -> f64 {
        if self.weekly {
            self.factors.iter().copied().fold(0.0, f64::max)
        } else {
            1.0
        }
    }

    pub(crate) fn next_break(&self, t: f64) -> f64 {
        if self.weekly {
            next_multiple(t, 0.0, DAY_MS)
        } else {
            f64::INFINITY
        }
    }

    /// True when the curve is constant between breakpoints (no amplitude).
    pub(crate) fn is_flat(&self) -> bool {
        self.amplitude == 0.0
    }
}

/// A step schedule: the rate is `rates[i]` from `times[i]` until the next step, and 0 before
/// the first step.
#[derive(Clone, Debug, PartialEq)]
pub struct Steps {
    times: Vec<f64>,
    rates: Vec<f64>,
    /// Integral from `times[0]` to `times[i]` [requests].
    cumulative: Vec<f64>,
}

impl Steps {
    /// Steps `(at [ms], rate [requests/s])`, with strictly increasing times and rates ≥ 0.
    pub fn new(steps: &[(u64, f64)]) -> Result<Steps, ParamError> {
        check(!steps.is_empty(), "steps", "needs at least one step")?;
        let mut cumulative = Vec::with_capacity(steps.len());
        let mut acc = 0.0;
        for (i, &(at, rate)) in steps.iter().enumerate() {
            non_negative(rate, &format!("steps[{i}].rate"))?;
            if i > 0 {
                let (prev_at, prev_rate) = steps[i - 1];
                check(
                    at > prev_at,
                    &format!("steps[{i}].at"),
                    format!("must be later than the previous step ({at} ms <= {prev_at} ms)"),
                )?;
                acc += prev_rate * (at - prev_at) as f64 / MS;
            }
            cumulative.push(acc);
        }
        Ok(Steps {
            times: steps.iter().map(|s| s.0 as f64).collect(),
            rates: steps.iter().map(|s| s.1).collect(),
            cumulative,
        })
    }

    /// Index of the step in force at `t`, if any.
    fn index(&self, t: f64) -> Option<usize> {
        self.times.partition_point(|&x| x <= t).checked_sub(1)
    }

    pub(crate) fn rate(&self, t: f64) -> f64 {
        self.index(t).map_or(0.0, |i| self.rates[i])
    }

    /// Largest rate [requests/s] at any time (constant between breakpoints: no slope).
    pub(crate) fn max_rate(&self) -> f64 {
        self.rates.iter().copied().fold(0.0, f64::max)
    }

    /// Integral from the first step to `t` [requests].
    fn cumulative_at(&self, t: f64) -> f64 {
        self.index(t).map_or(0.0, |i| {
            self.cumulative[i] + self.rates[i] * (t - self.times[i]) / MS
        })
    }

    pub(crate) fn integral(&self, a: f64, b: f64) -> f64 {
        self.cumulative_at(b) - self.cumulative_at(a)
    }

    pub(crate) fn next_break(&self, t: f64) -> f64 {
        let i = self.times.partition_point(|&x| x <= t);
        self.times.get(i).copied().unwrap_or(f64::INFINITY)
    }
}

/// A linear ramp: `from` before `at`, rising (or falling) linearly to `to` over `over`, and
/// `to` afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct Ramp {
    at: f64,
    over: f64,
    from: f64,
    to: f64,
}

impl Ramp {
    /// A ramp starting at `at` [ms], lasting `over` [ms] (> 0), from `from` to `to`
    /// [requests/s] (both ≥ 0).
    pub fn new(at: u64, over: u64, from: f64, to: f64) -> Result<Ramp, ParamError> {
        check(
            over > 0,
            "over",
            "must be > 0 (use a step for an instant change)",
        )?;
        non_negative(from, "from")?;
        non_negative(to, "to")?;
        Ok(Ramp {
            at: at as f64,
            over: over as f64,
            from,
            to,
        })
    }

    /// Largest rate [requests/s] at any time.
    pub(crate) fn max_rate(&self) -> f64 {
        self.from.max(self.to)
    }

    /// Largest |slope| [requests/s per ms].
    pub(crate) fn max_slope(&self) -> f64 {
        (self.to - self.from).abs() / self.over
    }

    pub(crate) fn rate(&self, t: f64) -> f64 {
        if t < self.at {
            self.from
        } else if t < self.at + self.over {
            self.from + (self.to - self.from) * (t - self.at) / self.over
        } else {
            self.to
        }
    }

    /// Integral from 0 to `t` [ms·requests/s].
    fn area_to(&self, t: f64) -> f64 {
        let end = self.at + self.over;
        if t <= self.at {
            self.from * t
        } else if t <= end {
            self.from * self.at + (self.from + self.rate(t)) / 2.0 * (t - self.at)
        } else {
            self.from * self.at + (self.from + self.to) / 2.0 * self.over + self.to * (t - end)
        }
    }

    pub(crate) fn integral(&self, a: f64, b: f64) -> f64 {
        (self.area_to(b) - self.area_to(a)) / MS
    }

    pub(crate) fn next_break(&self, t: f64) -> f64 {
        [self.at, self.at + self.over]
            .into_iter()
            .find(|&x| x > t)
            .unwrap_or(f64::INFINITY)
    }
}

/// A trapezoid pulse: `base + height · e(t)`, where the envelope `e` rises linearly from 0 to
/// 1 over `ramp_up` starting at `at`, stays 1 for `hold`, and falls back to 0 over
/// `ramp_down`.
///
/// A multiplicative spike ×N is a pulse with base 1 and height N − 1 used as a factor; an
/// additive burst of R requests/s is a pulse with base 0 and height R used as a term.
#[derive(Clone, Debug, PartialEq)]
pub struct Pulse {
    base: f64,
    height: f64,
    /// Start, end of ramp-up, end of hold, end of ramp-down [ms].
    t: [f64; 4],
}

impl Pulse {
    /// A pulse starting at `at` [ms] with the given ramp-up, hold and ramp-down durations [ms]
    /// (not all zero). `base + height` and `base` must both be ≥ 0.
    pub fn new(
        base: f64,
        height: f64,
        at: u64,
        ramp_up: u64,
        hold: u64,
        ramp_down: u64,
    ) -> Result<Pulse, ParamError> {
        check(
            ramp_up.saturating_add(hold).saturating_add(ramp_down) > 0,
            "hold",
            "the spike has no duration: rampUp + hold + rampDown must be > 0",
        )?;
        non_negative(base, "base")?;
        check(
            height.is_finite() && base + height >= 0.0,
            "factor",
            format!("the peak value must be >= 0, got {}", base + height),
        )?;
        let t0 = at as f64;
        let t1 = t0 + ramp_up as f64;
        let t2 = t1 + hold as f64;
        let t3 = t2 + ramp_down as f64;
        Ok(Pulse {
            base,
            height,
            t: [t0, t1, t2, t3],
        })
    }

    fn envelope(&self, t: f64) -> f64 {
        let [t0, t1, t2, t3] = self.t;
        if t < t0 || t >= t3 {
            0.0
        } else if t < t1 {
            (t - t0) / (t1 - t0)
        } else if t < t2 {
            1.0
        } else {
            1.0 - (t - t2) / (t3 - t2)
        }
    }

    pub(crate) fn rate(&self, t: f64) -> f64 {
        self.base + self.height * self.envelope(t)
    }

    /// Largest |value| at any time.
    pub(crate) fn max_abs(&self) -> f64 {
        self.base.abs().max((self.base + self.height).abs())
    }

    /// Largest |slope| between breakpoints [per ms] (a ramp of zero length is a jump at a
    /// breakpoint, not a slope).
    pub(crate) fn max_slope(&self) -> f64 {
        let [t0, t1, t2, t3] = self.t;
        let slope = |len: f64| {
            if len > 0.0 {
                self.height.abs() / len
            } else {
                0.0
            }
        };
        slope(t1 - t0).max(slope(t3 - t2))
    }

    /// Integral of the envelope from 0 to `t` [ms].
    fn envelope_area_to(&self, t: f64) -> f64 {
        let [t0, t1, t2, t3] = self.t;
        let up = t1 - t0;
        let down = t3 - t2;
        if t <= t0 {
            0.0
        } else if t <= t1 {
            let x = t - t0;
            x * x / (2.0 * up)
        } else if t <= t2 {
            up / 2.0 + (t - t1)
        } else if t <= t3 {
            let x = t - t2;
            up / 2.0 + (t2 - t1) + x - x * x / (2.0 * down)
        } else {
            up / 2.0 + (t2 - t1) + down / 2.0
        }
    }

    pub(crate) fn integral(&self, a: f64, b: f64) -> f64 {
        (self.base * (b - a) + self.height * (self.envelope_area_to(b) - self.envelope_area_to(a)))
            / MS
    }

    pub(crate) fn next_break(&self, t: f64) -> f64 {
        self.t.into_iter().find(|&x| x > t).unwrap_or(f64::INFINITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: f64 = MS_PER_HOUR as f64;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn diurnal_hand_checked() {
        // mean 200, amplitude 150, peak at 14:00: 350 at 14:00, 50 at 02:00, 200 at 08:00.
        let d = Diurnal::new(200.0, 150.0, 14.0, [1.0; 7], 0).unwrap();
        assert!(close(d.rate(14.0 * H), 350.0));
        assert!(close(d.rate(2.0 * H), 50.0));
        assert!(close(d.rate(8.0 * H), 200.0));
        assert!(close(d.rate(38.0 * H), 350.0), "next day's peak");
        // A whole day integrates to mean × 86400 s: the cosine cancels.
        assert!(close(d.integral(0.0, DAY_MS), 200.0 * 86_400.0));
        // 08:00–20:00 (the half day around the peak): 200·43200 + 150·86400/π.
        let expected = 200.0 * 43_200.0 + 150.0 * 86_400.0 / std::f64::consts::PI;
        assert!(close(d.integral(8.0 * H, 20.0 * H), expected));
        assert_eq!(d.next_break(5.0), f64::INFINITY);
    }

    #[test]
    fn diurnal_weekly_pattern() {
        // Weekend factor 0.5, starting on a Friday (index 4): day 0 Fri, 1 Sat, 2 Sun, 3 Mon.
        let mut f = [1.0; 7];
        f[5] = 0.5;
        f[6] = 0.5;
        let d = Diurnal::new(100.0, 0.0, 0.0, f, 4).unwrap();
        assert!(close(d.rate(12.0 * H), 100.0));
        assert!(close(d.rate(36.0 * H), 50.0));
        assert!(close(d.rate(60.0 * H), 50.0));
        assert!(close(d.rate(84.0 * H), 100.0));
        // Fri 12:00 to Mon 12:00: 12 h·100 + 48 h·50 + 12 h·100 requests/s.
        let expected = (12.0 * 100.0 + 48.0 * 50.0 + 12.0 * 100.0) * 3600.0;
        assert!(close(d.integral(12.0 * H, 84.0 * H), expected));
        assert_eq!(d.next_break(12.0 * H), DAY_MS);
        assert_eq!(d.next_break(DAY_MS), 2.0 * DAY_MS);
    }

    #[test]
    fn diurnal_rejects_negative_rates() {
        let e = Diurnal::new(100.0, 150.0, 14.0, [1.0; 7], 0).unwrap_err();
        assert_eq!(e.field, "amplitude");
        assert_eq!(
            Diurnal::new(100.0, 50.0, 24.0, [1.0; 7], 0)
                .unwrap_err()
                .field,
            "peakHour"
        );
    }

    #[test]
    fn steps_hand_checked() {
        let s = Steps::new(&[(1000, 10.0), (3000, 30.0), (4000, 0.0)]).unwrap();
        assert_eq!(s.rate(999.0), 0.0);
        assert_eq!(s.rate(1000.0), 10.0);
        assert_eq!(s.rate(3500.0), 30.0);
        assert_eq!(s.rate(9000.0), 0.0);
        // [0, 5 s): 2 s × 10 + 1 s × 30 = 50 requests.
        assert!(close(s.integral(0.0, 5000.0), 50.0));
        // [2 s, 3.5 s): 1 s × 10 + 0.5 s × 30 = 25.
        assert!(close(s.integral(2000.0, 3500.0), 25.0));
        assert_eq!(s.next_break(1000.0), 3000.0);
        assert_eq!(s.next_break(4000.0), f64::INFINITY);
        let e = Steps::new(&[(1000, 1.0), (1000, 2.0)]).unwrap_err();
        assert_eq!(e.field, "steps[1].at");
    }

    #[test]
    fn ramp_hand_checked() {
        // 100 → 300 requests/s between 10 s and 20 s.
        let r = Ramp::new(10_000, 10_000, 100.0, 300.0).unwrap();
        assert_eq!(r.rate(0.0), 100.0);
        assert_eq!(r.rate(15_000.0), 200.0);
        assert_eq!(r.rate(25_000.0), 300.0);
        // [0, 30 s): 10·100 + 10·200 + 10·300 = 6000.
        assert!(close(r.integral(0.0, 30_000.0), 6000.0));
        // [15 s, 20 s): average 250 over 5 s.
        assert!(close(r.integral(15_000.0, 20_000.0), 1250.0));
        assert_eq!(r.next_break(10_000.0), 20_000.0);
    }

    #[test]
    fn pulse_hand_checked() {
        // ×40 factor: base 1, height 39; ramp up 2 h from 10 h, hold 6 h, ramp down 1 h.
        let p = Pulse::new(
            1.0,
            39.0,
            10 * 3_600_000,
            2 * 3_600_000,
            6 * 3_600_000,
            3_600_000,
        )
        .unwrap();
        assert_eq!(p.rate(9.0 * H), 1.0);
        assert!(close(p.rate(11.0 * H), 20.5));
        assert_eq!(p.rate(12.0 * H), 40.0);
        assert_eq!(p.rate(17.9 * H), 40.0);
        assert!(close(p.rate(18.5 * H), 20.5));
        assert_eq!(p.rate(19.0 * H), 1.0);
        // Over [0, 24 h): 24 h of base + 39 × (1 h + 6 h + 0.5 h) of envelope.
        let expected = (24.0 + 39.0 * 7.5) * 3600.0;
        assert!(close(p.integral(0.0, 24.0 * H), expected));
        // Part of the ramp-up, [10 h, 11 h): 1 h × (1 + 39 × 0.25).
        assert!(close(
            p.integral(10.0 * H, 11.0 * H),
            3600.0 * (1.0 + 39.0 * 0.25)
        ));
        // Additive pulse with no ramps: a rectangle.
        let q = Pulse::new(0.0, 500.0, 1000, 0, 2000, 0).unwrap();
        assert_eq!(q.rate(999.0), 0.0);
        assert_eq!(q.rate(1000.0), 500.0);
        assert_eq!(q.rate(3000.0), 0.0);
        assert!(close(q.integral(0.0, 10_000.0), 1000.0));
        assert_eq!(q.next_break(1000.0), 3000.0);
    }
}

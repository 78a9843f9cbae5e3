//! Load curves: the request rate a service receives over simulated time.
//!
//! A [`LoadCurve`] is a small closed tree of [`Component`]s (constants, a diurnal sine with a
//! weekly pattern, step schedules, ramps, trapezoid spikes, file-backed series) combined by
//! sums and products, optionally with Poisson noise on top. It answers two questions, both
//! without allocating:
//! - [`LoadCurve::rate`]: the rate [requests/s] at a time [ms];
//! - [`LoadCurve::requests`]: the number of requests in `[a, b)`, the exact integral of the
//!   rate (what unserved-request accounting and cost per million requests need).
//!
//! [`LoadCurve::requests_above`] gives the requests above one or more thresholds (a pod's
//! capacity) over an interval, from which the service model derives unserved requests.
//!
//! Integrals are closed-form for every leaf and for sums. A product of several time-varying
//! factors is integrated piece by piece between the factors' breakpoints with 5-point
//! Gauss–Legendre quadrature (pieces of at most 1 h), which is exact for products of up to
//! nine linear pieces (ramps, spikes, series) and accurate to about 1e-15 relative for a
//! diurnal factor.
//!
//! The scenario schema for load curves is in [`spec`].

pub mod series;
pub mod shapes;
pub mod spec;

use crate::engine::rng::SimRng;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};
use series::Series;
use shapes::{Diurnal, Pulse, Ramp, Steps};
use std::fmt;

const MS: f64 = 1000.0;
/// Longest piece integrated by one quadrature [ms].
const MAX_QUADRATURE_PIECE_MS: f64 = 3_600_000.0;
/// Longest sub-interval over which a curve that is not piecewise linear is treated as linear
/// when it crosses a capacity threshold [ms].
const MAX_CROSSING_PIECE_MS: f64 = 60_000.0;

/// An invalid parameter of a component: the parameter's (schema) name and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    /// Parameter name, as in the scenario schema (e.g. `amplitude`, `steps[1].at`).
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ParamError {
    /// An error for `field`.
    pub fn new(field: &str, message: impl Into<String>) -> ParamError {
        ParamError {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// One node of a load-curve tree. Times are [ms], rates [requests/s].
#[derive(Clone, Debug, PartialEq)]
pub enum Component {
    /// A constant rate [requests/s] (or a constant factor inside a product).
    Constant(f64),
    /// A daily sine with an optional weekly pattern.
    Diurnal(Diurnal),
    /// A step schedule.
    Steps(Steps),
    /// A linear ramp.
    Ramp(Ramp),
    /// A trapezoid pulse (a spike factor or an additive burst).
    Pulse(Pulse),
    /// A file-backed (or given) series.
    Series(Series),
    /// `constant + Σ terms`.
    Sum {
        /// The constant terms, folded together [requests/s].
        constant: f64,
        /// The time-varying terms.
        terms: Vec<Component>,
    },
    /// `scale × Π factors`.
    Product {
        /// The constant factors, folded together.
        scale: f64,
        /// The time-varying factors.
        factors: Vec<Component>,
    },
}

impl Component {
    /// The sum of `terms`, with constants folded and nested sums flattened.
    pub fn sum(terms: Vec<Component>) -> Component {
        let mut constant = 0.0;
        let mut flat = Vec::with_capacity(terms.len());
        for t in terms {
            match t {
                Component::Constant(c) => constant += c,
                Component::Sum {
                    constant: c,
                    terms: inner,
                } => {
                    constant += c;
                    flat.extend(inner);
                }
                other => flat.push(other),
            }
        }
        if flat.is_empty() {
            Component::Constant(constant)
        } else if flat.len() == 1 && constant == 0.0 {
            flat.swap_remove(0)
        } else {
            Component::Sum {
                constant,
                terms: flat,
            }
        }
    }

    /// The product of `factors`, with constants folded and nested products flattened.
    pub fn product(factors: Vec<Component>) -> Component {
        let mut scale = 1.0;
        let mut flat = Vec::with_capacity(factors.len());
        for f in factors {
            match f {
                Component::Constant(c) => scale *= c,
                Component::Product {
                    scale: s,
                    factors: inner,
                } => {
                    scale *= s;
                    flat.extend(inner);
                }
                other => flat.push(other),
            }
        }
        if flat.is_empty() || scale == 0.0 {
            Component::Constant(if flat.is_empty() { scale } else { 0.0 })
        } else if flat.len() == 1 && scale == 1.0 {
            flat.swap_remove(0)
        } else {
            Component::Product {
                scale,
                factors: flat,
            }
        }
    }

    /// Rate at `t` [ms] (right-continuous at jumps).
    pub(crate) fn rate(&self, t: f64) -> f64 {
        match self {
            Component::Constant(c) => *c,
            Component::Diurnal(d) => d.rate(t),
            Component::Steps(s) => s.rate(t),
            Component::Ramp(r) => r.rate(t),
            Component::Pulse(p) => p.rate(t),
            Component::Series(s) => s.rate(t),
            Component::Sum { constant, terms } => {
                terms.iter().fold(*constant, |acc, c| acc + c.rate(t))
            }
            Component::Product { scale, factors } => {
                factors.iter().fold(*scale, |acc, c| acc * c.rate(t))
            }
        }
    }

    /// Requests in `[a, b)` (a ≤ b, times in ms).
    pub(crate) fn integral(&self, a: f64, b: f64) -> f64 {
        if b <= a {
            return 0.0;
        }
        match self {
            Component::Constant(c) => c * (b - a) / MS,
            Component::Diurnal(d) => d.integral(a, b),
            Component::Steps(s) => s.integral(a, b),
            Component::Ramp(r) => r.integral(a, b),
            Component::Pulse(p) => p.integral(a, b),
            Component::Series(s) => s.integral(a, b),
            Component::Sum { constant, terms } => terms
                .iter()
                .fold(constant * (b - a) / MS, |acc, c| acc + c.integral(a, b)),
            Component::Product { scale, factors } => {
                if let [only] = factors.as_slice() {
                    return scale * only.integral(a, b);
                }
                let mut total = 0.0;
                let mut t = a;
                while t < b {
                    let end = self.next_break(t).min(t + MAX_QUADRATURE_PIECE_MS).min(b);
                    total += gauss_legendre(|x| self.rate(x), t, end);
                    t = end;
                }
                total / MS
            }
        }
    }

    /// The first time after `t` [ms] where the component may jump or bend (`INFINITY` if
    /// none); between breakpoints it is smooth.
    pub(crate) fn next_break(&self, t: f64) -> f64 {
        match self {
            Component::Constant(_) => f64::INFINITY,
            Component::Diurnal(d) => d.next_break(t),
            Component::Steps(s) => s.next_break(t),
            Component::Ramp(r) => r.next_break(t),
            Component::Pulse(p) => p.next_break(t),
            Component::Series(s) => s.next_break(t),
            Component::Sum { terms: c, .. } | Component::Product { factors: c, .. } => c
                .iter()
                .map(|c| c.next_break(t))
                .fold(f64::INFINITY, f64::min),
        }
    }

    /// An upper bound of |rate| over all time.
    fn max_abs(&self) -> f64 {
        match self {
            Component::Constant(c) => c.abs(),
            Component::Diurnal(d) => d.max_rate(),
            Component::Steps(s) => s.max_rate(),
            Component::Ramp(r) => r.max_rate(),
            Component::Pulse(p) => p.max_abs(),
            Component::Series(s) => s.max_rate(),
            Component::Sum { constant, terms } => terms
                .iter()
                .fold(constant.abs(), |acc, c| acc + c.max_abs()),
            Component::Product { scale, factors } => {
                factors.iter().fold(scale.abs(), |acc, c| acc * c.max_abs())
            }
        }
    }

    /// An upper bound of |d rate / dt| between breakpoints [requests/s per ms]; a product uses
    /// `|(fg)'| ≤ |f'|·max|g| + max|f|·|g'|`.
    fn max_slope(&self) -> f64 {
        match self {
            Component::Constant(_) | Component::Steps(_) => 0.0,
            Component::Diurnal(d) => d.max_slope(),
            Component::Ramp(r) => r.max_slope(),
            Component::Pulse(p) => p.max_slope(),
            Component::Series(s) => s.max_slope(),
            Component::Sum { terms, .. } => terms.iter().map(Component::max_slope).sum(),
            Component::Product { scale, factors } => {
                let mut total = 0.0;
                for (i, f) in factors.iter().enumerate() {
                    let others: f64 = factors
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, g)| g.max_abs())
                        .product();
                    total += f.max_slope() * others;
                }
                scale.abs() * total
            }
        }
    }

    /// True when the component is linear between its breakpoints.
    fn is_piecewise_linear(&self) -> bool {
        match self {
            Component::Diurnal(d) => d.is_flat(),
            Component::Sum { terms, .. } => terms.iter().all(Component::is_piecewise_linear),
            Component::Product { factors, .. } => {
                factors.len() <= 1 && factors.iter().all(Component::is_piecewise_linear)
            }
            _ => true,
        }
    }

    /// Earliest end of a non-looping series in the tree [ms].
    fn data_end_ms(&self) -> Option<u64> {
        match self {
            Component::Series(s) => s.end_ms(),
            Component::Sum { terms: c, .. } | Component::Product { factors: c, .. } => {
                c.iter().filter_map(Component::data_end_ms).min()
            }
            _ => None,
        }
    }
}

/// 5-point Gauss–Legendre quadrature of `f` over `[a, b)` [the integrand × ms].
fn gauss_legendre(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const NODES: [f64; 5] = [
        0.0,
        -0.538_469_310_105_683_1,
        0.538_469_310_105_683_1,
        -0.906_179_845_938_664,
        0.906_179_845_938_664,
    ];
    const WEIGHTS: [f64; 5] = [
        0.568_888_888_888_888_9,
        0.478_628_670_499_366_5,
        0.478_628_670_499_366_5,
        0.236_926_885_056_189_1,
        0.236_926_885_056_189_1,
    ];
    let half = (b - a) / 2.0;
    let mid = (a + b) / 2.0;
    NODES
        .iter()
        .zip(WEIGHTS)
        .map(|(x, w)| w * f(mid + half * x))
        .sum::<f64>()
        * half
}

/// Poisson noise: the requests in each interval `[k·L, (k+1)·L)` are drawn from
/// Poisson(λ = the noiseless requests in that interval), and the rate within the interval is
/// that count / L.
///
/// Interval `k` draws from its own ChaCha8 stream (number `k`) under a key taken from the
/// curve's random stream, so a count depends only on the seed and `k`, never on the order in
/// which times are queried.
#[derive(Clone, Debug, PartialEq)]
pub struct Noise {
    interval_ms: u64,
    key: [u8; 32],
}

impl Noise {
    /// Noise with the given interval [ms] (> 0), keyed from `rng`.
    pub fn poisson(interval_ms: u64, rng: &mut SimRng) -> Noise {
        Noise {
            interval_ms: interval_ms.max(1),
            key: rng.random(),
        }
    }

    /// Interval length [ms].
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }
}

/// A request-rate curve: a component tree plus optional Poisson noise.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadCurve {
    root: Component,
    noise: Option<Noise>,
    linear: bool,
    /// Upper bound of the rate [requests/s].
    max_rate: f64,
    /// Upper bound of |slope| between breakpoints [requests/s per ms].
    max_slope: f64,
}

impl LoadCurve {
    /// A curve from a component tree and optional noise.
    pub fn new(root: Component, noise: Option<Noise>) -> LoadCurve {
        let linear = root.is_piecewise_linear();
        let (max_rate, max_slope) = (root.max_abs(), root.max_slope());
        LoadCurve {
            root,
            noise,
            linear,
            max_rate,
            max_slope,
        }
    }

    /// A constant rate [requests/s].
    pub fn constant(rate: f64) -> LoadCurve {
        LoadCurve::new(Component::Constant(rate), None)
    }

    /// Upper bound of the rate [requests/s].
    pub fn max_rate(&self) -> f64 {
        self.max_rate
    }

    /// The component tree.
    pub fn root(&self) -> &Component {
        &self.root
    }

    /// The noise, if any.
    pub fn noise(&self) -> Option<&Noise> {
        self.noise.as_ref()
    }

    /// Simulated time after which a file series in the curve has no more data (and
    /// contributes 0) [ms]; `None` when the curve has no non-looping series.
    pub fn data_end_ms(&self) -> Option<u64> {
        self.root.data_end_ms()
    }

    /// Noisy request count of noise interval `k`.
    fn noisy_count(&self, noise: &Noise, k: u64) -> f64 {
        let len = noise.interval_ms as f64;
        let lambda = self.root.integral(k as f64 * len, (k + 1) as f64 * len);
        if lambda.is_nan() || lambda <= 0.0 {
            return 0.0;
        }
        let mut rng = ChaCha8Rng::from_seed(noise.key);
        rng.set_stream(k);
        match Poisson::new(lambda) {
            Ok(p) => p.sample(&mut rng),
            Err(_) => lambda.round(),
        }
    }

    /// Request rate at `t_ms` [requests/s].
    pub fn rate(&self, t_ms: u64) -> f64 {
        match &self.noise {
            None => self.root.rate(t_ms as f64),
            Some(n) => self.noisy_count(n, t_ms / n.interval_ms) * MS / n.interval_ms as f64,
        }
    }

    /// Requests in `[a_ms, b_ms)` (0 if `b_ms ≤ a_ms`). With noise, the sum of the noisy
    /// counts (a partial noise interval contributes in proportion to its overlap); its cost
    /// grows with the number of noise intervals covered.
    pub fn requests(&self, a_ms: u64, b_ms: u64) -> f64 {
        if b_ms <= a_ms {
            return 0.0;
        }
        let Some(n) = &self.noise else {
            return self.root.integral(a_ms as f64, b_ms as f64);
        };
        let len = n.interval_ms;
        let mut total = 0.0;
        let mut k = a_ms / len;
        while k * len < b_ms {
            let lo = a_ms.max(k * len);
            let hi = b_ms.min((k + 1) * len);
            total += self.noisy_count(n, k) * (hi - lo) as f64 / len as f64;
            k += 1;
        }
        total
    }

    /// Mean rate over `[a_ms, b_ms)` [requests/s] (the rate at `a_ms` if the interval is empty).
    pub fn mean_rate(&self, a_ms: u64, b_ms: u64) -> f64 {
        if b_ms <= a_ms {
            return self.rate(a_ms);
        }
        Self::rate_of(self.requests(a_ms, b_ms), a_ms, b_ms)
    }

    /// The mean rate [requests/s] of `requests` spread over `[a_ms, b_ms)` (non-empty).
    #[inline]
    pub fn rate_of(requests: f64, a_ms: u64, b_ms: u64) -> f64 {
        requests * MS / (b_ms - a_ms) as f64
    }

    /// True when the rate provably stays below `threshold` [requests/s] throughout
    /// `[a_ms, b_ms)`, given `requests` = [`LoadCurve::requests`] over that interval: the curve
    /// has no noise and no breakpoint inside the interval, and the smaller of its global
    /// bound and `mean + max_slope · length / 2` (a function with slope at most `L` never
    /// exceeds its mean by more than `L · length / 2`) is below `threshold`. Lets callers skip
    /// [`LoadCurve::requests_above`] when nothing can be above.
    pub fn stays_below(&self, a_ms: u64, b_ms: u64, requests: f64, threshold: f64) -> bool {
        if self.noise.is_some() || b_ms <= a_ms {
            return false;
        }
        // A relative margin absorbs the rounding of the integral.
        let margin = |x: f64| x * (1.0 + 1e-9) + 1e-9;
        if margin(self.max_rate) < threshold {
            return true;
        }
        let (a, b) = (a_ms as f64, b_ms as f64);
        if self.root.next_break(a) < b {
            return false;
        }
        let len = b - a;
        margin(requests * MS / len + self.max_slope * len / 2.0) < threshold
    }

    /// Requests above each threshold over `[a_ms, b_ms)`: `out[i] = ∫ max(0, rate − thresholds[i])
    /// dt` [requests], for thresholds in requests/s. `out` must be as long as `thresholds`.
    /// Returns all requests in the interval (as [`LoadCurve::requests`]), from the same pass.
    ///
    /// Exact for piecewise-linear curves (steps, ramps, spikes, series, sums of them) and for
    /// noisy curves. For curves with a diurnal or a product of varying factors, the parts
    /// clearly above or below a threshold are exact; within a sub-interval of at most 60 s where
    /// the rate crosses a threshold, the rate is taken as linear.
    pub fn requests_above(&self, a_ms: u64, b_ms: u64, thresholds: &[f64], out: &mut [f64]) -> f64 {
        out.iter_mut().for_each(|o| *o = 0.0);
        if b_ms <= a_ms {
            return 0.0;
        }
        let mut all = 0.0;
        if let Some(n) = &self.noise {
            let len = n.interval_ms;
            let mut k = a_ms / len;
            while k * len < b_ms {
                let lo = a_ms.max(k * len);
                let hi = b_ms.min((k + 1) * len);
                let count = self.noisy_count(n, k);
                let rate = count * MS / len as f64;
                let secs = (hi - lo) as f64 / MS;
                all += count * (hi - lo) as f64 / len as f64;
                for (o, &th) in out.iter_mut().zip(thresholds) {
                    *o += (rate - th).max(0.0) * secs;
                }
                k += 1;
            }
            return all;
        }
        let (a, b) = (a_ms as f64, b_ms as f64);
        let mut t = a;
        while t < b {
            let piece_end = self.root.next_break(t).min(b);
            let step = if self.linear {
                piece_end - t
            } else {
                MAX_CROSSING_PIECE_MS
            };
            let mut s = t;
            while s < piece_end {
                let e = (s + step).min(piece_end);
                all += self.above_on_smooth(s, e, thresholds, out);
                s = e;
            }
            t = piece_end;
        }
        all
    }

    /// Adds the requests above each threshold on `[s, e)`, where the curve has no breakpoint;
    /// returns all requests on `[s, e)`.
    fn above_on_smooth(&self, s: f64, e: f64, thresholds: &[f64], out: &mut [f64]) -> f64 {
        let r0 = self.root.rate(s);
        let mid = self.root.rate((s + e) / 2.0);
        // The value just before `e` (the curve may jump at `e`): exact for a linear piece.
        let r1 = if self.linear {
            2.0 * mid - r0
        } else {
            self.root.rate(e - (e - s) * 1e-9)
        };
        let total = self.root.integral(s, e);
        let secs = (e - s) / MS;
        for (o, &th) in out.iter_mut().zip(thresholds) {
            let (d0, d1) = (r0 - th, r1 - th);
            *o += if d0 >= 0.0 && d1 >= 0.0 {
                (total - th * secs).max(0.0)
            } else if d0 <= 0.0 && d1 <= 0.0 {
                0.0
            } else {
                // One crossing: a triangle above the threshold.
                let x = d0 / (d0 - d1) * secs;
                if d0 > 0.0 {
                    d0 * x / 2.0
                } else {
                    d1 * (secs - x) / 2.0
                }
            };
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Stream, stream};
    use crate::engine::time::{MS_PER_DAY, MS_PER_HOUR};

    const H: u64 = MS_PER_HOUR;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1.0)
    }

    fn spike_x(n: f64, at: u64, up: u64, hold: u64, down: u64) -> Component {
        Component::Pulse(Pulse::new(1.0, n - 1.0, at, up, hold, down).unwrap())
    }

    #[test]
    fn constant_curve() {
        let c = LoadCurve::constant(250.0);
        assert_eq!(c.rate(12_345), 250.0);
        assert_eq!(c.requests(1000, 3000), 500.0);
        assert_eq!(c.requests(3000, 1000), 0.0);
        assert_eq!(c.mean_rate(0, 10_000), 250.0);
    }

    #[test]
    fn sums_and_products_fold_and_flatten() {
        let ramp = Component::Ramp(Ramp::new(0, 1000, 0.0, 10.0).unwrap());
        let s = Component::sum(vec![
            Component::Constant(5.0),
            Component::sum(vec![Component::Constant(1.0), ramp.clone()]),
        ]);
        assert_eq!(
            s,
            Component::Sum {
                constant: 6.0,
                terms: vec![ramp.clone()]
            }
        );
        let p = Component::product(vec![Component::Constant(2.0), ramp.clone()]);
        assert_eq!(
            p,
            Component::Product {
                scale: 2.0,
                factors: vec![ramp.clone()]
            }
        );
        assert_eq!(
            Component::product(vec![Component::Constant(1.0), ramp.clone()]),
            ramp
        );
        assert_eq!(
            Component::product(vec![Component::Constant(0.0), ramp]),
            Component::Constant(0.0)
        );
    }

    #[test]
    fn base_plus_spike_is_exact() {
        // 100 requests/s plus a 500/s burst from 10 s to 20 s with 5 s ramps.
        let burst = Component::Pulse(Pulse::new(0.0, 500.0, 10_000, 5_000, 10_000, 5_000).unwrap());
        let c = LoadCurve::new(
            Component::sum(vec![Component::Constant(100.0), burst]),
            None,
        );
        assert_eq!(c.rate(0), 100.0);
        assert_eq!(c.rate(12_500), 350.0);
        assert_eq!(c.rate(20_000), 600.0);
        // [0, 40 s): 40·100 + 500·(2.5 + 10 + 2.5).
        assert!(close(c.requests(0, 40_000), 4000.0 + 7500.0, 1e-12));
    }

    #[test]
    fn diurnal_times_spike_x40_within_two_hours() {
        // A flat 100/s "diurnal" (amplitude 0) × a ×40 spike ramping over 2 h at 24 h: the
        // product is the spike scaled by 100, so the integral is known in closed form.
        let flat = Component::Diurnal(Diurnal::new(100.0, 0.0, 14.0, [1.0; 7], 0).unwrap());
        let c = LoadCurve::new(
            Component::product(vec![flat, spike_x(40.0, 24 * H, 2 * H, 6 * H, H)]),
            None,
        );
        assert_eq!(c.rate(23 * H), 100.0);
        assert!(close(c.rate(25 * H), 2050.0, 1e-12));
        assert_eq!(c.rate(27 * H), 4000.0);
        let expected = 100.0 * 3600.0 * (48.0 + 39.0 * (1.0 + 6.0 + 0.5));
        assert!(close(c.requests(0, 48 * H), expected, 1e-12));
        // Real diurnal × spike: quadrature against a fine midpoint sum.
        let d = Component::Diurnal(Diurnal::new(200.0, 150.0, 14.0, [1.0; 7], 0).unwrap());
        let c = LoadCurve::new(
            Component::product(vec![d, spike_x(40.0, 30 * H, 2 * H, 6 * H, H)]),
            None,
        );
        let (a, b) = (29 * H + 123_456, 40 * H);
        let n = 200_000;
        let dt = (b - a) as f64 / n as f64;
        let reference: f64 = (0..n)
            .map(|i| c.root.rate(a as f64 + (i as f64 + 0.5) * dt) * dt / 1000.0)
            .sum();
        assert!(
            close(c.requests(a, b), reference, 1e-9),
            "{} vs {reference}",
            c.requests(a, b)
        );
    }

    #[test]
    fn product_of_two_ramps_is_exact() {
        // (t/10 s) × (t/10 s) per second over [0, 10 s): ∫ x² = 10/3 requests... scaled:
        // rate = 10·x · 10·x with x = t / 10 s ⇒ ∫_0^10s 100 x² dt = 100 · 10/3.
        let r = || Component::Ramp(Ramp::new(0, 10_000, 0.0, 10.0).unwrap());
        let c = LoadCurve::new(Component::product(vec![r(), r()]), None);
        assert!(close(c.requests(0, 10_000), 1000.0 / 3.0, 1e-12));
        assert_eq!(c.rate(5_000), 25.0);
    }

    #[test]
    fn poisson_noise_is_deterministic_and_unbiased() {
        let make = |seed| {
            let mut rng = stream(seed, Stream::Load(0));
            LoadCurve::new(
                Component::Constant(50.0),
                Some(Noise::poisson(1000, &mut rng)),
            )
        };
        let (a, b, c) = (make(7), make(7), make(8));
        // Counts of 20,000 one-second intervals, queried in order.
        let n = 20_000u64;
        let counts: Vec<f64> = (0..n).map(|k| a.rate(k * 1000)).collect();
        // Same seed: same counts, whatever the query order.
        assert_eq!(b.rate(4_321_000), counts[4_321]);
        assert_eq!(b.requests(0, 3_600_000), counts[..3600].iter().sum::<f64>());
        assert_ne!(a.requests(0, 60_000), c.requests(0, 60_000));
        // Counts are whole numbers, and requests() sums them.
        assert!(counts.iter().all(|c| *c == c.round()));
        assert_eq!(a.requests(0, n * 1000), counts.iter().sum::<f64>());
        // Mean and variance per interval ≈ λ = 50 (6 standard errors: 0.3 and 3).
        let mean = counts.iter().sum::<f64>() / n as f64;
        let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            (mean - 50.0).abs() < 0.3 && (var - 50.0).abs() < 3.0,
            "{mean} {var}"
        );
        // A partial interval contributes in proportion.
        let first = a.rate(0);
        assert_eq!(a.requests(0, 250), first * 0.25);
    }

    #[test]
    fn noise_follows_the_curve() {
        // Steps 0 then 1000/s: no requests can be drawn where λ = 0.
        let mut rng = stream(1, Stream::Load(3));
        let steps = Component::Steps(Steps::new(&[(0, 0.0), (10_000, 1000.0)]).unwrap());
        let c = LoadCurve::new(steps, Some(Noise::poisson(1000, &mut rng)));
        assert_eq!(c.requests(0, 10_000), 0.0);
        let busy = c.requests(10_000, 20_000);
        assert!((busy - 10_000.0).abs() < 400.0, "{busy}");
    }

    #[test]
    fn requests_above_thresholds_hand_checked() {
        // Ramp 0 → 100/s over [0, 10 s), then 100/s.
        let c = LoadCurve::new(
            Component::Ramp(Ramp::new(0, 10_000, 0.0, 100.0).unwrap()),
            None,
        );
        let mut out = [0.0; 4];
        let all = c.requests_above(0, 20_000, &[0.0, 50.0, 100.0, 150.0], &mut out);
        assert!(close(all, c.requests(0, 20_000), 1e-12));
        // Above 0: everything (500 + 1000). Above 50: triangle 5 s × 50 / 2 + 10 s × 50.
        assert!(close(out[0], 1500.0, 1e-12));
        assert!(close(out[1], 125.0 + 500.0, 1e-12));
        assert_eq!(out[2], 0.0);
        assert_eq!(out[3], 0.0);
        // A step that jumps at the end of the queried interval.
        let s = LoadCurve::new(
            Component::Steps(Steps::new(&[(0, 10.0), (5_000, 1000.0)]).unwrap()),
            None,
        );
        let mut out = [0.0; 1];
        s.requests_above(0, 5_000, &[5.0], &mut out);
        assert!(close(out[0], 25.0, 1e-12));
        s.requests_above(0, 6_000, &[5.0], &mut out);
        assert!(close(out[0], 25.0 + 995.0, 1e-12));
    }

    #[test]
    fn requests_above_on_a_diurnal_matches_a_fine_sum() {
        let d = Component::Diurnal(Diurnal::new(200.0, 150.0, 14.0, [1.0; 7], 0).unwrap());
        let c = LoadCurve::new(d, None);
        let th = [100.0, 300.0];
        let mut out = [0.0; 2];
        c.requests_above(0, MS_PER_DAY, &th, &mut out);
        let n = 864_000;
        let dt = MS_PER_DAY as f64 / n as f64;
        for (i, &t) in th.iter().enumerate() {
            let reference: f64 = (0..n)
                .map(|k| (c.root.rate((k as f64 + 0.5) * dt) - t).max(0.0) * dt / 1000.0)
                .sum();
            assert!(close(out[i], reference, 1e-6), "{} vs {reference}", out[i]);
        }
    }

    #[test]
    fn data_end_is_the_earliest_series_end() {
        let s = |n: usize| {
            Component::Series(Series::from_counts(
                &vec![1.0; n],
                1000,
                series::Interpolation::Step,
                0,
                false,
            ))
        };
        let c = LoadCurve::new(
            Component::sum(vec![s(5), s(3), Component::Constant(1.0)]),
            None,
        );
        assert_eq!(c.data_end_ms(), Some(3000));
        assert_eq!(LoadCurve::constant(1.0).data_end_ms(), None);
    }

    #[test]
    fn stays_below_is_a_sound_bound() {
        // mean 200, amplitude 150, peak at 14:00: between 50 and 350 requests/s.
        let d = Component::Diurnal(Diurnal::new(200.0, 150.0, 14.0, [1.0; 7], 0).unwrap());
        let spike = Component::Pulse(Pulse::new(1.0, 3.0, 10 * H, H, H, H).unwrap());
        for curve in [
            LoadCurve::new(d.clone(), None),
            LoadCurve::new(Component::product(vec![d, spike]), None),
        ] {
            // Above the global maximum: always below.
            assert!(curve.stays_below(0, 15_000, 0.0, 1500.0));
            // At 02:00 (the trough, 50/s) 15 s hold about 750 requests: below 60/s, not below 50/s.
            let (a, b) = (2 * H, 2 * H + 15_000);
            let requests = curve.requests(a, b);
            assert!(curve.stays_below(a, b, requests, 60.0));
            assert!(!curve.stays_below(a, b, requests, 50.0));
            // Whenever the bound holds, nothing is above the threshold.
            let mut out = [0.0];
            for k in 0..(MS_PER_DAY / 15_000) {
                let (a, b) = (k * 15_000, (k + 1) * 15_000);
                let requests = curve.requests(a, b);
                for th in [60.0, 200.0, 340.0] {
                    if curve.stays_below(a, b, requests, th) {
                        curve.requests_above(a, b, &[th], &mut out);
                        assert_eq!(out[0], 0.0, "[{a}, {b}) above {th}");
                    }
                }
            }
        }
        // Noise: never provably below.
        let mut rng = crate::engine::rng::SimRng::seed_from_u64(1);
        let noisy = LoadCurve::new(
            Component::Constant(1.0),
            Some(Noise::poisson(1000, &mut rng)),
        );
        assert!(!noisy.stays_below(0, 1000, 1.0, 1e9));
    }
}

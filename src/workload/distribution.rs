//! Sampling of duration distributions (rand_distr), in milliseconds.

use crate::engine::rng::SimRng;
use crate::scenario::values::DurationDist;
use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal, Weibull};

/// Draws one duration [ms] from `dist`, rounded to the nearest millisecond and at least 1 ms
/// (a run time of zero is not meaningful).
pub fn sample_ms(dist: &DurationDist, rng: &mut SimRng) -> u64 {
    let v = match *dist {
        DurationDist::Constant(c) => return c.max(1),
        DurationDist::Uniform { min, max } => return rng.random_range(min..=max).max(1),
        DurationDist::Exponential { mean } => match Exp::new(1.0 / mean as f64) {
            Ok(d) => d.sample(rng),
            Err(_) => mean as f64,
        },
        DurationDist::LogNormal { median, sigma } => {
            match LogNormal::new((median as f64).ln(), sigma) {
                Ok(d) => d.sample(rng),
                Err(_) => median as f64,
            }
        }
        DurationDist::Weibull { scale, shape } => match Weibull::new(scale as f64, shape) {
            Ok(d) => d.sample(rng),
            Err(_) => scale as f64,
        },
    };
    if v.is_finite() {
        (v.round() as u64).max(1)
    } else {
        u64::MAX / 4
    }
}

/// Mean of the distribution [ms] (for documentation and tests).
pub fn mean_ms(dist: &DurationDist) -> f64 {
    match *dist {
        DurationDist::Constant(c) => c as f64,
        DurationDist::Uniform { min, max } => (min + max) as f64 / 2.0,
        DurationDist::Exponential { mean } => mean as f64,
        DurationDist::LogNormal { median, sigma } => median as f64 * (sigma * sigma / 2.0).exp(),
        DurationDist::Weibull { scale, shape } => {
            // Γ(1 + 1/k) via Stirling-free Lanczos is overkill here; use a numeric integral.
            let k = shape;
            let n = 20_000;
            let mut acc = 0.0;
            for i in 0..n {
                let u = (i as f64 + 0.5) / n as f64;
                acc += (-(1.0 - u).ln()).powf(1.0 / k);
            }
            scale as f64 * acc / n as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Stream, stream};

    #[test]
    fn sample_means_converge() {
        let mut rng = stream(3, Stream::Job(0));
        for dist in [
            DurationDist::Exponential { mean: 60_000 },
            DurationDist::Uniform {
                min: 1_000,
                max: 9_000,
            },
            DurationDist::LogNormal {
                median: 10_000,
                sigma: 0.5,
            },
            DurationDist::Weibull {
                scale: 10_000,
                shape: 1.5,
            },
        ] {
            let n = 50_000;
            let mean: f64 = (0..n)
                .map(|_| sample_ms(&dist, &mut rng) as f64)
                .sum::<f64>()
                / n as f64;
            let expected = mean_ms(&dist);
            assert!(
                (mean - expected).abs() / expected < 0.03,
                "{dist:?}: {mean} vs {expected}"
            );
        }
        assert_eq!(sample_ms(&DurationDist::Constant(0), &mut rng), 1);
    }
}

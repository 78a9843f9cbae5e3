//! Pending-time distribution (creation to bind), exact percentiles by nearest rank.

/// Pending times [ms] of scheduled pods.
#[derive(Clone, Debug, Default)]
pub struct PendingTimes {
    samples: Vec<u64>,
    sorted: bool,
}

impl PendingTimes {
    /// Records one pod's pending time [ms].
    #[inline]
    pub fn record(&mut self, ms: u64) {
        self.samples.push(ms);
        self.sorted = false;
    }

    /// Number of recorded pods.
    pub fn count(&self) -> usize {
        self.samples.len()
    }

    /// Mean pending time [ms] (0 if none).
    pub fn mean_ms(&self) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        self.samples.iter().map(|&v| v as f64).sum::<f64>() / self.samples.len() as f64
    }

    /// The `p`-th percentile [ms] by nearest rank (`p` in 0..=100; 0 if none).
    pub fn percentile_ms(&mut self, p: f64) -> u64 {
        if self.samples.is_empty() {
            return 0;
        }
        if !self.sorted {
            self.samples.sort_unstable();
            self.sorted = true;
        }
        let n = self.samples.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.samples[rank.clamp(1, n) - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut p = PendingTimes::default();
        for v in [15, 20, 35, 40, 50] {
            p.record(v);
        }
        assert_eq!(p.percentile_ms(30.0), 20);
        assert_eq!(p.percentile_ms(40.0), 20);
        assert_eq!(p.percentile_ms(50.0), 35);
        assert_eq!(p.percentile_ms(100.0), 50);
        assert_eq!(p.percentile_ms(0.0), 15);
        assert_eq!(p.mean_ms(), 32.0);
    }
}

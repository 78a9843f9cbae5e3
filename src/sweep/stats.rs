//! Sample statistics of one metric at one grid point: mean, sample standard deviation and the
//! two-sided 95% confidence interval of the mean from Student's t distribution with n - 1
//! degrees of freedom (the runs are independent replications: different seeds).
//!
//! Only arithmetic and square roots are used (no `ln`/`exp` from the platform's maths library),
//! so the numbers are the same bit for bit on every machine.

/// t quantiles t(0.975, ν) for ν = 1..=30 (computed from the regularized incomplete beta
/// function; 10 decimals).
const T975: [f64; 30] = [
    12.7062047362,
    4.3026527297,
    3.1824463053,
    2.7764451052,
    2.5705818356,
    2.4469118511,
    2.3646242516,
    2.3060041352,
    2.2621571628,
    2.2281388520,
    2.2009851601,
    2.1788128297,
    2.1603686565,
    2.1447866879,
    2.1314495456,
    2.1199052992,
    2.1098155778,
    2.1009220402,
    2.0930240544,
    2.0859634473,
    2.0796138447,
    2.0738730679,
    2.0686576104,
    2.0638985616,
    2.0595385528,
    2.0555294386,
    2.0518305165,
    2.0484071418,
    2.0452296421,
    2.0422724563,
];

/// The 0.975 quantile of Student's t with `dof` degrees of freedom (`dof` ≥ 1): a table up to
/// 30, above it the Cornish–Fisher expansion around the normal quantile (error < 5e-8).
pub fn t_quantile_975(dof: usize) -> f64 {
    if dof == 0 {
        return f64::NAN;
    }
    if dof <= T975.len() {
        return T975[dof - 1];
    }
    let z = 1.959_963_984_540_054_f64;
    let v = dof as f64;
    let (z2, z3) = (z * z, z * z * z);
    let (z5, z7, z9) = (z3 * z2, z3 * z2 * z2, z3 * z3 * z3);
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z)
            / (92160.0 * v * v * v * v)
}

/// Statistics of a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleStats {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 in the denominator); `None` for n < 2.
    pub std: Option<f64>,
    /// The 95% confidence interval of the mean, `mean ± t(0.975, n-1) · std / √n`; `None`
    /// for n < 2.
    pub ci95: Option<(f64, f64)>,
}

impl SampleStats {
    /// Statistics of `values` (in the given order, so sums are reproducible); `None` when
    /// empty.
    pub fn of(values: &[f64]) -> Option<SampleStats> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Some(SampleStats {
                n,
                mean,
                std: None,
                ci95: None,
            });
        }
        let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        let std = (ss / (n - 1) as f64).sqrt();
        let half = t_quantile_975(n - 1) * std / (n as f64).sqrt();
        Some(SampleStats {
            n,
            mean,
            std: Some(std),
            ci95: Some((mean - half, mean + half)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        assert!((t_quantile_975(1) - 12.706).abs() < 1e-3);
        assert!((t_quantile_975(29) - 2.045).abs() < 1e-3);
        // Continuity at the end of the table, and the normal limit.
        assert!((t_quantile_975(31) - 2.039_513_446_4).abs() < 1e-7);
        assert!((t_quantile_975(60) - 2.000_297_822).abs() < 1e-7);
        assert!((t_quantile_975(100_000) - 1.959_987_707_5).abs() < 1e-8);
    }

    #[test]
    fn hand_checked_interval() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7.
        let s = SampleStats::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        let std = (32.0f64 / 7.0).sqrt();
        assert!((s.std.unwrap() - std).abs() < 1e-12);
        let half = 2.3646242516 * std / 8f64.sqrt();
        let (lo, hi) = s.ci95.unwrap();
        assert!((lo - (5.0 - half)).abs() < 1e-12 && (hi - (5.0 + half)).abs() < 1e-12);
        let one = SampleStats::of(&[3.0]).unwrap();
        assert_eq!((one.mean, one.std, one.ci95), (3.0, None, None));
        assert!(SampleStats::of(&[]).is_none());
    }
}

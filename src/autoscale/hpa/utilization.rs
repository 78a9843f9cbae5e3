//! Average utilization and usage over a set of pod samples
//! (`pkg/controller/podautoscaler/metrics/utilization.go`). All sums are exact integers; the
//! ratio to the target is a float, computed from the already truncated average, as upstream.

/// `a / b`, in 64 bits when both fit (the common case, much cheaper than a 128-bit division).
fn div(a: u128, b: u128) -> u128 {
    match (u64::try_from(a), u64::try_from(b)) {
        (Ok(a), Ok(b)) => u128::from(a / b),
        _ => a / b,
    }
}

/// Result of [`resource_utilization_ratio`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResourceUtilization {
    /// `utilization / target` (float of the truncated percentage).
    pub ratio: f64,
    /// `floor(Σusage · 100 / Σrequest)` [percent of the request].
    pub utilization_percent: i32,
    /// `floor(Σusage / number of samples)` [milli-units per pod].
    pub raw_average_milli: i64,
}

/// `GetResourceUtilizationRatio`: utilization of `(usage, request)` pairs [milli-units] against
/// `target_percent`. Returns `None` when the requests sum to 0 (upstream's "no metrics
/// returned matched known pods"). A percentage beyond `i32::MAX` is clamped there, as the
/// newest upstream code does (older code wrapped around).
pub fn resource_utilization_ratio(
    entries: impl IntoIterator<Item = (u64, u64)>,
    target_percent: i32,
) -> Option<ResourceUtilization> {
    let mut usage: u128 = 0;
    let mut requests: u128 = 0;
    let mut n: u128 = 0;
    for (u, r) in entries {
        usage += u128::from(u);
        requests += u128::from(r);
        n += 1;
    }
    utilization_from_sums(usage, requests, n, target_percent)
}

/// [`resource_utilization_ratio`] from the sums of `n` entries' usage and requests.
pub fn utilization_from_sums(
    usage: u128,
    requests: u128,
    n: u128,
    target_percent: i32,
) -> Option<ResourceUtilization> {
    if requests == 0 {
        return None;
    }
    let percent = div(usage * 100, requests).min(i32::MAX as u128) as i32;
    let raw = div(usage, n).min(i64::MAX as u128) as i64;
    Some(ResourceUtilization {
        ratio: f64::from(percent) / f64::from(target_percent),
        utilization_percent: percent,
        raw_average_milli: raw,
    })
}

/// `GetMetricUsageRatio`: the average `floor(Σvalues / n)` [milli-units] of `values` and its
/// ratio to `target_milli`. Returns `(ratio, average)`; `None` if `values` is empty.
pub fn metric_usage_ratio(
    values: impl IntoIterator<Item = u64>,
    target_milli: i64,
) -> Option<(f64, i64)> {
    let mut total: u128 = 0;
    let mut n: u128 = 0;
    for v in values {
        total += u128::from(v);
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let average = div(total, n).min(i64::MAX as u128) as i64;
    Some((average as f64 / target_milli as f64, average))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_the_percentage_before_the_ratio() {
        // 990 of 4000 is 24.75 % → 24 %, ratio 0.24 (upstream TestReplicaCalcMissingMetrics).
        let u = resource_utilization_ratio([(800, 2000), (190, 2000)], 100).unwrap();
        assert_eq!(u.utilization_percent, 24);
        assert_eq!(u.ratio, 0.24);
        assert_eq!(u.raw_average_milli, 495);
        assert_eq!(resource_utilization_ratio([(5, 0)], 50), None);
    }

    #[test]
    fn plain_average_is_floored() {
        // upstream TestReplicaCalcToleranceCM: (20000 + 21000 + 21000) / 3 = 20666
        let (ratio, avg) = metric_usage_ratio([20000, 21000, 21000], 20000).unwrap();
        assert_eq!(avg, 20666);
        assert_eq!(ratio, 20666.0 / 20000.0);
        assert_eq!(metric_usage_ratio([], 1), None);
    }

    #[test]
    fn huge_sums_do_not_overflow() {
        let big = u64::MAX / 2;
        let u = resource_utilization_ratio([(big, big), (big, big)], 100).unwrap();
        assert_eq!(u.utilization_percent, 100);
        assert_eq!(u.raw_average_milli, big as i64);
    }
}

//! Normalization of an HPA without `spec.behavior` (`normalizeDesiredReplicas` in
//! `pkg/controller/podautoscaler/horizontal.go`): the desired count is the largest
//! recommendation of the downscale-stabilization window, limited to `[minReplicas,
//! min(maxReplicas, max(2 × current, 4))]`.

use super::history::{Recommendation, is_before_cutoff};
use super::reason::HpaReason;

/// `scaleUpLimitFactor`: without a behavior, one sync may at most double the replicas...
pub const SCALE_UP_LIMIT_FACTOR: f64 = 2.0;
/// `scaleUpLimitMinimum`: ...or go up to 4, whichever is more.
pub const SCALE_UP_LIMIT_MINIMUM: f64 = 4.0;

/// `stabilizeRecommendation`: returns the maximum of `prenormalized` and every recommendation
/// made within the last `window_ms` [ms] before `now_ms`, and records `prenormalized` (over
/// the last expired recommendation if there is one, else appended).
pub fn stabilize_recommendation(
    recommendations: &mut Vec<Recommendation>,
    now_ms: u64,
    window_ms: u64,
    prenormalized: i32,
) -> i32 {
    let mut max = prenormalized;
    let mut old = None;
    for (i, r) in recommendations.iter().enumerate() {
        if is_before_cutoff(r.timestamp_ms, window_ms, now_ms) {
            old = Some(i);
        } else if r.replicas > max {
            max = r.replicas;
        }
    }
    let new = Recommendation {
        replicas: prenormalized,
        timestamp_ms: now_ms,
    };
    match old {
        Some(i) => recommendations[i] = new,
        None => recommendations.push(new),
    }
    max
}

/// `calculateScaleUpLimit`: `max(2 × current, 4)`.
pub fn calculate_scale_up_limit(current_replicas: i32) -> i32 {
    (SCALE_UP_LIMIT_FACTOR * f64::from(current_replicas)).max(SCALE_UP_LIMIT_MINIMUM) as i32
}

/// `convertDesiredReplicasWithRules`: limits `desired` to `[min_replicas, min(max_replicas,
/// scale-up limit)]` and says which bound applied.
pub fn convert_desired_replicas_with_rules(
    current_replicas: i32,
    desired: i32,
    min_replicas: i32,
    max_replicas: i32,
) -> (i32, HpaReason) {
    let scale_up_limit = calculate_scale_up_limit(current_replicas);
    let (max_allowed, limit) = if max_replicas > scale_up_limit {
        (scale_up_limit, HpaReason::ScaleUpLimit)
    } else {
        (max_replicas, HpaReason::TooManyReplicas)
    };
    if desired < min_replicas {
        (min_replicas, HpaReason::TooFewReplicas)
    } else if desired > max_allowed {
        (max_allowed, limit)
    } else {
        (desired, HpaReason::DesiredWithinRange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;
    const NOW: u64 = 1000 * MIN;

    fn rec(replicas: i32, ago_ms: u64) -> Recommendation {
        Recommendation {
            replicas,
            timestamp_ms: NOW - ago_ms,
        }
    }

    /// Upstream `TestNormalizeDesiredReplicas` (legacy stabilization, 5-minute window):
    /// (name, log, prenormalized, stabilized, log length afterwards).
    #[test]
    fn test_normalize_desired_replicas() {
        let cases = [
            ("empty log", vec![], 5, 5, 1),
            ("stabilize", vec![rec(4, 2 * MIN), rec(5, MIN)], 3, 5, 3),
            ("no stabilize", vec![rec(1, 2 * MIN), rec(2, MIN)], 3, 3, 3),
            (
                "no stabilize - old recommendations",
                vec![rec(10, 10 * MIN), rec(9, 9 * MIN)],
                3,
                3,
                2,
            ),
            (
                "stabilize - old recommendations",
                vec![
                    rec(10, 10 * MIN),
                    rec(4, MIN),
                    rec(5, 2 * MIN),
                    rec(9, 9 * MIN),
                ],
                3,
                5,
                4,
            ),
        ];
        for (name, mut log, pre, want, len) in cases {
            let got = stabilize_recommendation(&mut log, NOW, 5 * MIN, pre);
            assert_eq!(got, want, "{name}");
            assert_eq!(log.len(), len, "{name}");
        }
    }

    #[test]
    fn replaces_the_last_expired_recommendation() {
        let mut log = vec![rec(10, 10 * MIN), rec(9, 9 * MIN)];
        stabilize_recommendation(&mut log, NOW, 5 * MIN, 3);
        assert_eq!(log, vec![rec(10, 10 * MIN), rec(3, 0)]);
    }

    /// Upstream `TestConvertDesiredReplicasWithRules`.
    #[test]
    fn test_convert_desired_replicas_with_rules() {
        use HpaReason::*;
        let cases = [
            // (current, desired, min, max, expected, reason)
            (5, 7, 3, 8, 7, DesiredWithinRange),
            (3, 1, 2, 8, 2, TooFewReplicas),
            (1, 0, 0, 10, 0, DesiredWithinRange),
            (20, 1000, 1, 10, 10, TooManyReplicas),
            (3, 1000, 1, 2000, calculate_scale_up_limit(3), ScaleUpLimit),
        ];
        for (current, desired, min, max, want, reason) in cases {
            assert_eq!(
                convert_desired_replicas_with_rules(current, desired, min, max),
                (want, reason),
                "{current} -> {desired} in [{min}, {max}]"
            );
        }
        assert_eq!(calculate_scale_up_limit(3), 6);
        assert_eq!(calculate_scale_up_limit(1), 4);
    }
}

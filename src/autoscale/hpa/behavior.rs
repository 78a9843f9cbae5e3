//! Normalization of an HPA with `spec.behavior` (`normalizeDesiredReplicasWithBehaviors` in
//! `pkg/controller/podautoscaler/horizontal.go`, defaults from
//! `pkg/apis/autoscaling/v2/defaults.go`).
//!
//! Two steps: stabilization (the count moves towards the desired one only as far as every
//! recommendation of the direction's window agrees), then rate limits (each policy allows a
//! change relative to the count at the start of its period, reconstructed from the scale
//! events of that period; `selectPolicy` picks the largest or smallest allowed change).

use super::history::{Recommendation, ScaleEvent, is_after_cutoff, is_before_cutoff};
use super::reason::HpaReason;

/// A scaling policy's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyType {
    /// An absolute number of pods.
    Pods,
    /// A percentage of the replicas at the start of the period.
    Percent,
}

/// One `HPAScalingPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalingPolicy {
    /// Pods or Percent.
    pub kind: PolicyType,
    /// Pods, or percent, allowed to change per period (> 0).
    pub value: i32,
    /// Length of the period [s] (1..=1800).
    pub period_seconds: i32,
}

/// `selectPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectPolicy {
    /// The policy allowing the largest change (default).
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One direction's `HPAScalingRules`, after defaulting.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRules {
    /// `stabilizationWindowSeconds` [s]; `None` only for scale-down, where the controller's
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (300 s) applies.
    pub stabilization_window_seconds: Option<i32>,
    /// How to combine the policies.
    pub select_policy: SelectPolicy,
    /// The policies (non-empty).
    pub policies: Vec<ScalingPolicy>,
    /// Per-direction tolerance (fraction); `None` = the controller's tolerance.
    pub tolerance: Option<f64>,
}

/// Upstream `scaleUpPeriod` / `scaleDownPeriod` of the default policies [s].
pub const DEFAULT_POLICY_PERIOD_SECONDS: i32 = 15;

impl ScalingRules {
    /// Default scale-up rules: no stabilization, `Max` of 4 pods or 100 % per 15 s.
    pub fn default_scale_up() -> ScalingRules {
        ScalingRules {
            stabilization_window_seconds: Some(0),
            select_policy: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy {
                    kind: PolicyType::Pods,
                    value: 4,
                    period_seconds: DEFAULT_POLICY_PERIOD_SECONDS,
                },
                ScalingPolicy {
                    kind: PolicyType::Percent,
                    value: 100,
                    period_seconds: DEFAULT_POLICY_PERIOD_SECONDS,
                },
            ],
            tolerance: None,
        }
    }

    /// Default scale-down rules: the controller's stabilization window, 100 % per 15 s.
    pub fn default_scale_down() -> ScalingRules {
        ScalingRules {
            stabilization_window_seconds: None,
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicy {
                kind: PolicyType::Percent,
                value: 100,
                period_seconds: DEFAULT_POLICY_PERIOD_SECONDS,
            }],
            tolerance: None,
        }
    }

    /// The longest policy period [s] (`getLongestPolicyPeriod`).
    pub fn longest_policy_period_seconds(&self) -> i32 {
        self.policies
            .iter()
            .map(|p| p.period_seconds)
            .max()
            .unwrap_or(0)
            .max(0)
    }
}

/// `HorizontalPodAutoscalerBehavior` after defaulting.
#[derive(Clone, Debug, PartialEq)]
pub struct Behavior {
    /// Scale-up rules.
    pub scale_up: ScalingRules,
    /// Scale-down rules.
    pub scale_down: ScalingRules,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior {
            scale_up: ScalingRules::default_scale_up(),
            scale_down: ScalingRules::default_scale_down(),
        }
    }
}

/// The counts a normalization works on (`NormalizationArg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormalizationArg {
    /// The target's current `spec.replicas`.
    pub current_replicas: i32,
    /// The desired count so far.
    pub desired_replicas: i32,
    /// `minReplicas`.
    pub min_replicas: i32,
    /// `maxReplicas`.
    pub max_replicas: i32,
}

fn seconds_to_ms(s: i32) -> u64 {
    u64::from(s.max(0).unsigned_abs()) * 1000
}

/// `stabilizeRecommendationWithBehaviors`: the count moves from `current` towards
/// `desired` only up to the smallest recommendation of the last `up_window_seconds` and down
/// to the largest of the last `down_window_seconds` (both including `desired`). Records
/// `desired`, over a recommendation older than both windows if there is one.
pub fn stabilize_recommendation_with_behaviors(
    recommendations: &mut Vec<Recommendation>,
    now_ms: u64,
    current_replicas: i32,
    desired: i32,
    up_window_seconds: i32,
    down_window_seconds: i32,
) -> i32 {
    let up_window = seconds_to_ms(up_window_seconds);
    let down_window = seconds_to_ms(down_window_seconds);
    let mut up = desired;
    let mut down = desired;
    let mut old = None;
    for (i, r) in recommendations.iter().enumerate() {
        if is_after_cutoff(r.timestamp_ms, up_window, now_ms) {
            up = up.min(r.replicas);
        }
        if is_after_cutoff(r.timestamp_ms, down_window, now_ms) {
            down = down.max(r.replicas);
        }
        if is_before_cutoff(r.timestamp_ms, up_window, now_ms)
            && is_before_cutoff(r.timestamp_ms, down_window, now_ms)
        {
            old = Some(i);
        }
    }
    let mut recommendation = current_replicas;
    if recommendation < up {
        recommendation = up;
    }
    if recommendation > down {
        recommendation = down;
    }
    let new = Recommendation {
        replicas: desired,
        timestamp_ms: now_ms,
    };
    match old {
        Some(i) => recommendations[i] = new,
        None => recommendations.push(new),
    }
    recommendation
}

/// `getReplicasChangePerPeriod`: the replicas changed by the events of the last
/// `period_seconds` before `now_ms`.
pub fn replicas_change_per_period(period_seconds: i32, events: &[ScaleEvent], now_ms: u64) -> i32 {
    let period = seconds_to_ms(period_seconds);
    events
        .iter()
        .filter(|e| is_after_cutoff(e.timestamp_ms, period, now_ms))
        .fold(0i32, |acc, e| acc.saturating_add(e.replica_change))
}

fn clamp_i32(x: i64) -> i32 {
    x.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// The replicas at the start of `policy`'s period: current minus the period's scale-ups plus
/// its scale-downs.
fn period_start(
    current: i32,
    policy: &ScalingPolicy,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    now_ms: u64,
) -> i64 {
    i64::from(current)
        - i64::from(replicas_change_per_period(
            policy.period_seconds,
            up_events,
            now_ms,
        ))
        + i64::from(replicas_change_per_period(
            policy.period_seconds,
            down_events,
            now_ms,
        ))
}

/// `calculateScaleUpLimitWithScalingRules`: the most replicas the scale-up policies allow.
/// Pods: period start + value; Percent: `ceil(period start × (1 + value/100))`.
pub fn calculate_scale_up_limit_with_rules(
    current_replicas: i32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now_ms: u64,
) -> i32 {
    let (mut result, pick): (i32, fn(i32, i32) -> i32) = match rules.select_policy {
        SelectPolicy::Disabled => return current_replicas,
        SelectPolicy::Min => (i32::MAX, std::cmp::min),
        SelectPolicy::Max => (i32::MIN, std::cmp::max),
    };
    for policy in &rules.policies {
        let start = period_start(current_replicas, policy, up_events, down_events, now_ms);
        let proposed = match policy.kind {
            PolicyType::Pods => clamp_i32(start + i64::from(policy.value)),
            PolicyType::Percent => {
                (start as f64 * (1.0 + f64::from(policy.value) / 100.0)).ceil() as i32
            }
        };
        result = pick(result, proposed);
    }
    result
}

/// `calculateScaleDownLimitWithBehaviors`: the fewest replicas the scale-down policies allow.
/// Pods: period start − value; Percent: `trunc(period start × (1 − value/100))`.
pub fn calculate_scale_down_limit_with_rules(
    current_replicas: i32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now_ms: u64,
) -> i32 {
    let (mut result, pick): (i32, fn(i32, i32) -> i32) = match rules.select_policy {
        SelectPolicy::Disabled => return current_replicas,
        SelectPolicy::Min => (i32::MIN, std::cmp::max),
        SelectPolicy::Max => (i32::MAX, std::cmp::min),
    };
    for policy in &rules.policies {
        let start = period_start(current_replicas, policy, up_events, down_events, now_ms);
        let proposed = match policy.kind {
            PolicyType::Pods => clamp_i32(start - i64::from(policy.value)),
            PolicyType::Percent => (start as f64 * (1.0 - f64::from(policy.value) / 100.0)) as i32,
        };
        result = pick(result, proposed);
    }
    result
}

/// `convertDesiredReplicasWithBehaviorRate`: limits the (stabilized) desired count by the
/// direction's policies and by `[minReplicas, maxReplicas]`, and says which bound applied.
pub fn convert_desired_replicas_with_behavior_rate(
    arg: &NormalizationArg,
    behavior: &Behavior,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    now_ms: u64,
) -> (i32, HpaReason) {
    let current = arg.current_replicas;
    let desired = arg.desired_replicas;
    if desired > current {
        let limit = calculate_scale_up_limit_with_rules(
            current,
            up_events,
            down_events,
            &behavior.scale_up,
            now_ms,
        )
        .max(current);
        let (max_allowed, reason) = if arg.max_replicas > limit {
            (limit, HpaReason::ScaleUpLimit)
        } else {
            (arg.max_replicas, HpaReason::TooManyReplicas)
        };
        if desired > max_allowed {
            return (max_allowed, reason);
        }
    } else if desired < current {
        let limit = calculate_scale_down_limit_with_rules(
            current,
            up_events,
            down_events,
            &behavior.scale_down,
            now_ms,
        )
        .min(current);
        let (min_allowed, reason) = if arg.min_replicas < limit {
            (limit, HpaReason::ScaleDownLimit)
        } else {
            (arg.min_replicas, HpaReason::TooFewReplicas)
        };
        if desired < min_allowed {
            return (min_allowed, reason);
        }
    }
    (desired, HpaReason::DesiredWithinRange)
}

/// Marks the events older than `period_seconds` outdated, and stores `change` over the last
/// outdated one or appends it.
fn store_event(events: &mut Vec<ScaleEvent>, period_seconds: i32, change: i32, now_ms: u64) {
    let period = seconds_to_ms(period_seconds);
    let mut old = None;
    for (i, e) in events.iter_mut().enumerate() {
        if is_before_cutoff(e.timestamp_ms, period, now_ms) {
            e.outdated = true;
        }
        if e.outdated {
            old = Some(i);
        }
    }
    let new = ScaleEvent {
        replica_change: change,
        timestamp_ms: now_ms,
        outdated: false,
    };
    match old {
        Some(i) => events[i] = new,
        None => events.push(new),
    }
}

/// `storeScaleEvent`: after a rescale from `prev` to `new` replicas, records the change in the
/// scale-up or scale-down list (only for HPAs with a behavior; without one nothing is kept).
pub fn store_scale_event(
    behavior: Option<&Behavior>,
    up_events: &mut Vec<ScaleEvent>,
    down_events: &mut Vec<ScaleEvent>,
    prev: i32,
    new: i32,
    now_ms: u64,
) {
    let Some(b) = behavior else {
        return;
    };
    if new > prev {
        let period = b.scale_up.longest_policy_period_seconds();
        store_event(up_events, period, new - prev, now_ms);
    } else {
        let period = b.scale_down.longest_policy_period_seconds();
        store_event(down_events, period, prev - new, now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1000;
    const MIN: u64 = 60 * SEC;
    const NOW: u64 = 1000 * MIN;

    /// Upstream `generateScalingRules(pods, podsPeriod, percent, percentPeriod, window)`.
    fn rules(
        pods: i32,
        pods_period: i32,
        percent: i32,
        percent_period: i32,
        window: i32,
    ) -> ScalingRules {
        let mut policies = Vec::new();
        if pods != 0 {
            policies.push(ScalingPolicy {
                kind: PolicyType::Pods,
                value: pods,
                period_seconds: pods_period,
            });
        }
        if percent != 0 {
            policies.push(ScalingPolicy {
                kind: PolicyType::Percent,
                value: percent,
                period_seconds: percent_period,
            });
        }
        ScalingRules {
            stabilization_window_seconds: Some(window),
            select_policy: SelectPolicy::Max,
            policies,
            tolerance: None,
        }
    }

    /// Upstream `generateEventsUniformDistribution`: events spread over the last `period`
    /// seconds, each in the middle of its segment.
    fn events(raw: &[i32], period_seconds: u64) -> Vec<ScaleEvent> {
        let seg = period_seconds as f64 / raw.len() as f64;
        raw.iter()
            .enumerate()
            .map(|(i, &c)| {
                let ago_s = period_seconds as f64 - seg * (i + 1) as f64 + seg / 2.0;
                ScaleEvent {
                    replica_change: c,
                    timestamp_ms: NOW - (ago_s * 1000.0) as u64,
                    outdated: false,
                }
            })
            .collect()
    }

    /// One upstream `TestScalingWithRules` case.
    struct Rate {
        name: &'static str,
        up_events: Vec<ScaleEvent>,
        down_events: Vec<ScaleEvent>,
        min: i32,
        max: i32,
        up: Option<ScalingRules>,
        down: Option<ScalingRules>,
        current: i32,
        desired: i32,
        expected: i32,
        reason: HpaReason,
    }

    fn rate(name: &'static str, min: i32, max: i32, current: i32, desired: i32) -> Rate {
        Rate {
            name,
            up_events: vec![],
            down_events: vec![],
            min,
            max,
            up: None,
            down: None,
            current,
            desired,
            expected: 0,
            reason: HpaReason::DesiredWithinRange,
        }
    }

    impl Rate {
        fn up(mut self, r: ScalingRules) -> Self {
            self.up = Some(r);
            self
        }
        fn down(mut self, r: ScalingRules) -> Self {
            self.down = Some(r);
            self
        }
        fn events(mut self, up: Vec<ScaleEvent>, down: Vec<ScaleEvent>) -> Self {
            self.up_events = up;
            self.down_events = down;
            self
        }
        fn want(mut self, expected: i32, reason: HpaReason) -> Self {
            self.expected = expected;
            self.reason = reason;
            self
        }
        fn check(self) {
            // GenerateHPAScale{Up,Down}Rules: unset rules take the defaults.
            let behavior = Behavior {
                scale_up: self.up.unwrap_or_else(ScalingRules::default_scale_up),
                scale_down: self.down.unwrap_or_else(ScalingRules::default_scale_down),
            };
            let arg = NormalizationArg {
                current_replicas: self.current,
                desired_replicas: self.desired,
                min_replicas: self.min,
                max_replicas: self.max,
            };
            let got = convert_desired_replicas_with_behavior_rate(
                &arg,
                &behavior,
                &self.up_events,
                &self.down_events,
                NOW,
            );
            assert_eq!(got, (self.expected, self.reason), "{}", self.name);
        }
    }

    /// Upstream `TestScalingWithRules` (convertDesiredReplicasWithBehaviorRate).
    #[test]
    fn test_scaling_with_rules() {
        use HpaReason::*;
        let e = events;
        let cases = vec![
            rate("prenormalized desired replicas within range", 3, 8, 5, 7)
                .want(7, DesiredWithinRange),
            rate("prenormalized desired replicas < minReplicas", 2, 8, 3, 1)
                .want(2, TooFewReplicas),
            rate("within range when minReplicas is 0", 0, 10, 1, 0).want(0, DesiredWithinRange),
            rate(
                "maxReplicas is the limit because maxReplicas < scaleUpLimit",
                1,
                10,
                20,
                1000,
            )
            .want(10, TooManyReplicas),
            rate(
                "desired replica count is more than the maximum replica count",
                100,
                150,
                100,
                1000,
            )
            .want(150, TooManyReplicas),
            rate(
                "scaleUpLimit < maxReplicas with user policies",
                1,
                2000,
                3,
                1000,
            )
            .up(rules(0, 0, 1, 60, 0))
            .want(4, ScaleUpLimit),
            rate("scaleUp with default behavior", 1, 1000, 10, 50).want(20, ScaleUpLimit),
            rate(
                "scaleUp with pods policy larger than percent policy",
                1,
                1000,
                10,
                500,
            )
            .up(rules(100, 60, 100, 60, 0))
            .want(110, ScaleUpLimit),
            rate(
                "scaleUp with percent policy larger than pods policy",
                1,
                1000,
                10,
                500,
            )
            .up(rules(2, 60, 100, 60, 0))
            .want(20, ScaleUpLimit),
            rate(
                "scaleUp with spec MaxReplicas limitation with large pod policy",
                1,
                1000,
                10,
                50,
            )
            .up(rules(100, 60, 0, 0, 0))
            .want(50, DesiredWithinRange),
            rate(
                "scaleUp with spec MaxReplicas limitation with large percent policy",
                1,
                1000,
                10,
                50,
            )
            .up(rules(10000, 60, 0, 0, 0))
            .want(50, DesiredWithinRange),
            rate("scaleUp with pod policy limitation", 1, 1000, 10, 50)
                .up(rules(30, 60, 0, 0, 0))
                .want(40, ScaleUpLimit),
            rate("scaleUp with percent policy limitation", 1, 1000, 10, 50)
                .up(rules(0, 0, 200, 60, 0))
                .want(30, ScaleUpLimit),
            rate(
                "scaleDown with percent policy larger than pod policy",
                1,
                1000,
                100,
                2,
            )
            .down(rules(20, 60, 1, 60, 300))
            .want(80, ScaleDownLimit),
            rate(
                "scaleDown with pod policy larger than percent policy",
                1,
                1000,
                100,
                2,
            )
            .down(rules(2, 60, 1, 60, 300))
            .want(98, ScaleDownLimit),
            rate(
                "scaleDown with spec MinReplicas=nil limitation with large pod policy",
                1,
                1000,
                10,
                0,
            )
            .down(rules(100, 60, 0, 0, 300))
            .want(1, TooFewReplicas),
            rate(
                "scaleDown with spec MinReplicas limitation with large percent policy",
                5,
                1000,
                10,
                2,
            )
            .down(rules(0, 0, 100, 60, 300))
            .want(5, TooFewReplicas),
            rate("scaleDown with pod policy limitation", 1, 1000, 10, 2)
                .down(rules(5, 60, 0, 0, 300))
                .want(5, ScaleDownLimit),
            rate("scaleDown with percent policy limitation", 1, 1000, 10, 5)
                .down(rules(0, 0, 50, 60, 300))
                .want(5, DesiredWithinRange),
            rate(
                "scaleUp with MaxReplicas limitation with large pod policy and events",
                1,
                200,
                100,
                500,
            )
            .events(e(&[1, 5, 9], 120), vec![])
            .up(rules(300, 60, 0, 0, 0))
            .want(200, TooManyReplicas),
            rate(
                "scaleUp with MaxReplicas limitation with large percent policy and events",
                1,
                200,
                100,
                500,
            )
            .events(e(&[1, 5, 9], 120), vec![])
            .up(rules(0, 0, 10000, 60, 0))
            .want(200, TooManyReplicas),
            rate(
                "scaleUp with currentReplicas limitation with a lot of recent scale up events",
                1,
                1000,
                100,
                500,
            )
            .events(e(&[1, 5, 9], 120), vec![])
            .up(rules(5, 120, 0, 0, 0))
            .want(100, ScaleUpLimit),
            rate(
                "scaleUp with pod policy and previous scale up events",
                1,
                1000,
                100,
                500,
            )
            .events(e(&[1, 5, 9], 120), vec![])
            .up(rules(150, 120, 0, 0, 0))
            .want(235, ScaleUpLimit),
            rate(
                "scaleUp with percent policy and previous scale up events",
                1,
                1000,
                100,
                500,
            )
            .events(e(&[1, 5, 9], 120), vec![])
            .up(rules(0, 0, 200, 120, 0))
            .want(255, ScaleUpLimit),
            rate(
                "scaleUp with percent policy and previous scale up and down events",
                1,
                1000,
                6,
                24,
            )
            .events(e(&[4], 120), e(&[2], 120))
            .up(rules(0, 0, 300, 300, 0))
            .want(16, ScaleUpLimit),
            rate(
                "scaleDown with default policy and previous events",
                1,
                1000,
                10,
                5,
            )
            .events(vec![], e(&[1, 5, 9], 120))
            .want(5, DesiredWithinRange),
            rate(
                "scaleDown with MinReplicas=nil limitation with large pod policy and events",
                1,
                1000,
                100,
                0,
            )
            .events(vec![], e(&[1, 5, 9], 120))
            .down(rules(115, 120, 0, 0, 300))
            .want(1, TooFewReplicas),
            rate(
                "scaleDown with MinReplicas limitation with large pod policy and events",
                5,
                1000,
                100,
                0,
            )
            .events(vec![], e(&[1, 5, 9], 120))
            .down(rules(130, 120, 0, 0, 300))
            .want(5, TooFewReplicas),
            rate(
                "scaleDown with MinReplicas limitation with large percent policy and events",
                5,
                1000,
                100,
                2,
            )
            .events(vec![], e(&[1, 5, 9], 120))
            .down(rules(0, 0, 100, 120, 300))
            .want(5, TooFewReplicas),
            rate(
                "scaleDown with pod policy limitation and previous events",
                1,
                1000,
                100,
                2,
            )
            .events(vec![], e(&[1, 5, 9], 120))
            .down(rules(5, 120, 0, 0, 300))
            .want(100, ScaleDownLimit),
            rate(
                "scaleDown with percent policy limitation and previous events",
                1,
                1000,
                100,
                0,
            )
            .events(vec![], e(&[2, 4, 6], 120))
            .down(rules(0, 0, 50, 120, 300))
            .want(56, ScaleDownLimit),
            rate(
                "scaleDown with percent policy and previous scale up and down events",
                1,
                1000,
                10,
                1,
            )
            .events(e(&[2], 120), e(&[4], 120))
            .down(rules(0, 0, 50, 180, 0))
            .want(6, ScaleDownLimit),
            rate(
                "scaleDown with previous events preventing further scale down",
                1,
                1000,
                100,
                0,
            )
            .events(vec![], e(&[10, 10, 10], 120))
            .down(rules(0, 0, 10, 120, 300))
            .want(100, ScaleDownLimit),
            rate(
                "scaleDown with previous events still allowing more scale down",
                1,
                1000,
                10,
                5,
            )
            .events(vec![], e(&[10, 10, 10], 120))
            .down(rules(0, 0, 1000, 120, 300))
            .want(5, DesiredWithinRange),
            rate(
                "check 'outdated' flag for events for one behavior for up",
                1,
                1000,
                100,
                200,
            )
            .events(e(&[8, 12, 9, 11], 120), vec![])
            .up(rules(1000, 60, 0, 0, 0))
            .want(200, DesiredWithinRange),
            rate(
                "events not marked 'outdated' for two different policies for up",
                1,
                1000,
                100,
                200,
            )
            .events(e(&[8, 12, 9, 11], 120), vec![])
            .up(rules(1000, 120, 100, 60, 0))
            .want(200, DesiredWithinRange),
            rate(
                "events marked 'outdated' for two different policies for up",
                1,
                1000,
                100,
                200,
            )
            .events(e(&[8, 12, 9, 11], 120), vec![])
            .up(rules(1000, 30, 100, 60, 0))
            .want(200, DesiredWithinRange),
            rate(
                "check 'outdated' flag for events for one behavior for down",
                1,
                1000,
                100,
                5,
            )
            .events(vec![], e(&[8, 12, 9, 11], 120))
            .down(rules(1000, 60, 0, 0, 300))
            .want(5, DesiredWithinRange),
            rate(
                "events not marked 'outdated' for two different policies for down",
                1,
                1000,
                100,
                5,
            )
            .events(vec![], e(&[8, 12, 9, 11], 120))
            .down(rules(1000, 120, 100, 60, 300))
            .want(5, DesiredWithinRange),
            rate(
                "events marked 'outdated' for two different policies for down",
                1,
                1000,
                100,
                5,
            )
            .events(vec![], e(&[8, 12, 9, 11], 120))
            .down(rules(1000, 30, 100, 60, 300))
            .want(5, DesiredWithinRange),
        ];
        for c in cases {
            c.check();
        }
    }

    /// Upstream `TestCalculateScaleUpLimitWithScalingRules` and
    /// `TestCalculateScaleDownLimitWithBehaviors` (selectPolicy Min).
    #[test]
    fn test_calculate_limits_with_min_select_policy() {
        let mut r = rules(2, 60, 50, 60, 300);
        r.select_policy = SelectPolicy::Min;
        assert_eq!(calculate_scale_up_limit_with_rules(1, &[], &[], &r, NOW), 2);
        assert_eq!(
            calculate_scale_down_limit_with_rules(5, &[], &[], &r, NOW),
            3
        );
        r.select_policy = SelectPolicy::Disabled;
        assert_eq!(calculate_scale_up_limit_with_rules(1, &[], &[], &r, NOW), 1);
        assert_eq!(
            calculate_scale_down_limit_with_rules(5, &[], &[], &r, NOW),
            5
        );
    }

    /// One upstream `TestNormalizeDesiredReplicasWithBehavior` case.
    fn stabilize(
        log: &[(i32, u64)],
        current: i32,
        desired: i32,
        up_window: i32,
        down_window: i32,
    ) -> (i32, Vec<i32>) {
        let mut recs: Vec<Recommendation> = log
            .iter()
            .map(|&(replicas, ago)| Recommendation {
                replicas,
                timestamp_ms: NOW - ago,
            })
            .collect();
        let r = stabilize_recommendation_with_behaviors(
            &mut recs,
            NOW,
            current,
            desired,
            up_window,
            down_window,
        );
        (r, recs.iter().map(|r| r.replicas).collect())
    }

    /// Upstream `TestNormalizeDesiredReplicasWithBehavior` (stabilizeRecommendationWithBehaviors).
    #[test]
    fn test_normalize_desired_replicas_with_behavior() {
        let m = MIN;
        // empty recommendations for scaling down
        assert_eq!(stabilize(&[], 100, 5, 0, 0), (5, vec![5]));
        // simple scale down stabilization
        assert_eq!(
            stabilize(&[(4, 2 * m), (5, m)], 100, 3, 0, 180),
            (5, vec![4, 5, 3])
        );
        // simple scale up stabilization
        assert_eq!(
            stabilize(&[(4, 2 * m), (5, m)], 1, 7, 300, 0),
            (4, vec![4, 5, 7])
        );
        // no scale down stabilization
        assert_eq!(
            stabilize(&[(1, 2 * m), (2, m)], 100, 3, 300, 0),
            (3, vec![1, 2, 3])
        );
        // no scale up stabilization
        assert_eq!(
            stabilize(&[(4, 2 * m), (5, m)], 1, 3, 0, 300),
            (3, vec![4, 5, 3])
        );
        // no scale down stabilization, reuse recommendation element
        assert_eq!(
            stabilize(&[(10, 10 * m), (9, 9 * m)], 100, 3, 0, 0),
            (3, vec![10, 3])
        );
        // no scale up stabilization, reuse recommendation element
        assert_eq!(
            stabilize(&[(10, 10 * m), (9, 9 * m)], 1, 100, 0, 0),
            (100, vec![10, 100])
        );
        // scale down stabilization, reuse one of obsolete recommendation element
        assert_eq!(
            stabilize(
                &[(10, 10 * m), (4, m), (5, 2 * m), (9, 9 * m)],
                100,
                3,
                0,
                180
            ),
            (5, vec![10, 4, 5, 3])
        );
        // scale up stabilization, reuse one of obsolete recommendation element
        assert_eq!(
            stabilize(
                &[(10, 100 * m), (6, m), (5, 2 * m), (9, 3 * m)],
                1,
                100,
                300,
                0
            ),
            (5, vec![100, 6, 5, 9])
        );
        // scale up and down stabilization, do not scale up when prenormalized rec goes down
        assert_eq!(stabilize(&[(2, 100 * m), (3, 3 * m)], 2, 1, 300, 300).0, 2);
        // scale up and down stabilization, do not scale down when prenormalized rec goes up
        assert_eq!(stabilize(&[(2, 100 * m), (1, 3 * m)], 2, 3, 300, 300).0, 2);
    }

    /// Upstream `TestStoreScaleEvents`, both directions: (name, events before as (change,
    /// seconds ago), rules, change in the last 60 s before storing, events after as (change,
    /// outdated)).
    #[test]
    fn test_store_scale_events() {
        type Case = (
            &'static str,
            Vec<(i32, u64)>,
            Option<ScalingRules>,
            i32,
            Vec<(i32, bool)>,
        );
        let cases: Vec<Case> = vec![
            (
                "empty entries with default behavior",
                vec![],
                None,
                0,
                vec![],
            ),
            (
                "empty entries with two-policy-behavior",
                vec![],
                Some(rules(10, 60, 100, 60, 0)),
                0,
                vec![(5, false)],
            ),
            (
                "one outdated entry to be kept untouched without behavior",
                vec![(7, 61)],
                None,
                0,
                vec![(7, false)],
            ),
            (
                "one outdated entry to be replaced with behavior",
                vec![(7, 61)],
                Some(rules(10, 60, 100, 60, 0)),
                0,
                vec![(5, false)],
            ),
            (
                "one actual entry to be not touched with behavior",
                vec![(7, 58)],
                Some(rules(10, 60, 100, 60, 0)),
                7,
                vec![(7, false), (5, false)],
            ),
            (
                "two entries, one of them to be replaced",
                vec![(7, 61), (6, 59)],
                Some(rules(10, 60, 0, 0, 0)),
                6,
                vec![(5, false), (6, false)],
            ),
            (
                "replace one entry, use policies with different periods",
                vec![(8, 29), (6, 59), (7, 61), (9, 61)],
                Some(rules(10, 60, 100, 30, 0)),
                14,
                vec![(8, false), (6, false), (7, true), (5, false)],
            ),
            (
                "two entries, both actual",
                vec![(7, 58), (6, 59)],
                Some(rules(10, 120, 100, 30, 0)),
                13,
                vec![(7, false), (6, false), (5, false)],
            ),
        ];
        for (name, before, r, change, after) in cases {
            let before: Vec<ScaleEvent> = before
                .iter()
                .map(|&(c, ago)| ScaleEvent {
                    replica_change: c,
                    timestamp_ms: NOW - ago * SEC,
                    outdated: false,
                })
                .collect();
            for up in [true, false] {
                let behavior = r.clone().map(|r| {
                    let mut b = Behavior::default();
                    if up {
                        b.scale_up = r;
                    } else {
                        b.scale_down = r;
                    }
                    b
                });
                let mut list = before.clone();
                let mut other = Vec::new();
                assert_eq!(replicas_change_per_period(60, &list, NOW), change, "{name}");
                if up {
                    store_scale_event(behavior.as_ref(), &mut list, &mut other, 10, 15, NOW);
                } else {
                    store_scale_event(behavior.as_ref(), &mut other, &mut list, 10, 5, NOW);
                }
                let got: Vec<(i32, bool)> = list
                    .iter()
                    .map(|e| (e.replica_change, e.outdated))
                    .collect();
                assert_eq!(got, after, "{name} (up: {up})");
                assert!(other.is_empty());
            }
        }
    }

    #[test]
    fn semantics_worked_cases() {
        // Default scale-up from 10 towards 50: max(10 + 4, 10 × 2) = 20.
        let arg = NormalizationArg {
            current_replicas: 10,
            desired_replicas: 50,
            min_replicas: 1,
            max_replicas: 1000,
        };
        let b = Behavior::default();
        assert_eq!(
            convert_desired_replicas_with_behavior_rate(&arg, &b, &[], &[], NOW).0,
            20
        );
        // 1 % of 3 rounds up: 4.
        let r = rules(0, 0, 1, 60, 0);
        assert_eq!(calculate_scale_up_limit_with_rules(3, &[], &[], &r, NOW), 4);
        // Pods 20 and Percent 1 % on scale-down from 100: Max picks the larger change, 80.
        let r = rules(20, 60, 1, 60, 300);
        assert_eq!(
            calculate_scale_down_limit_with_rules(100, &[], &[], &r, NOW),
            80
        );
    }
}

//! Why an HPA sync ended with the replica count it chose (the reasons of upstream's
//! `ScalingLimited`/`ScalingActive` conditions and rescale events).

/// Why an HPA sync chose its replica count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HpaReason {
    /// The target has 0 replicas and `minReplicas` is not 0: autoscaling is disabled.
    ScalingDisabled,
    /// The target had more replicas than `maxReplicas`: set to `maxReplicas`.
    AboveMaxReplicas,
    /// The target had fewer replicas than `minReplicas`: set to `minReplicas`.
    BelowMinReplicas,
    /// Every metric failed, or some failed and the rest would scale down: no change.
    InvalidMetrics,
    /// The desired count is within the allowed range.
    DesiredWithinRange,
    /// Raised to `minReplicas`.
    TooFewReplicas,
    /// Lowered to `maxReplicas`.
    TooManyReplicas,
    /// Limited by the scale-up rate (legacy factor or `behavior.scaleUp` policies).
    ScaleUpLimit,
    /// Limited by the `behavior.scaleDown` policies.
    ScaleDownLimit,
}

impl HpaReason {
    /// The upstream reason string (CamelCase), as written to `hpa.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            HpaReason::ScalingDisabled => "ScalingDisabled",
            HpaReason::AboveMaxReplicas => "AboveMaxReplicas",
            HpaReason::BelowMinReplicas => "BelowMinReplicas",
            HpaReason::InvalidMetrics => "InvalidMetrics",
            HpaReason::DesiredWithinRange => "DesiredWithinRange",
            HpaReason::TooFewReplicas => "TooFewReplicas",
            HpaReason::TooManyReplicas => "TooManyReplicas",
            HpaReason::ScaleUpLimit => "ScaleUpLimit",
            HpaReason::ScaleDownLimit => "ScaleDownLimit",
        }
    }
}

//! Several metrics: the largest proposal wins, and invalid metrics block scale-down
//! (`computeReplicasForMetrics` in `pkg/controller/podautoscaler/horizontal.go`).

use super::replica_calculator::MetricError;

/// One metric's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricProposal {
    /// Proposed replica count.
    pub replicas: i32,
    /// Current utilization [percent of the request], for Utilization targets.
    pub utilization_percent: Option<i32>,
    /// Current average value of the ready pods [milli-units per pod].
    pub average_milli: i64,
}

/// The outcome of combining all metrics of an HPA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combined {
    /// Scale on `replicas`, proposed by metric `index`; `invalid` metrics failed.
    Proposal {
        /// The largest valid proposal.
        replicas: i32,
        /// Index of the metric that proposed it (the first one on ties).
        index: usize,
        /// Number of metrics that failed.
        invalid: usize,
    },
    /// Every metric failed, or some failed and the valid ones propose fewer than
    /// `spec_replicas`: the HPA does not scale. `first_error` is the first failure.
    Invalid {
        /// Number of metrics that failed.
        invalid: usize,
        /// The first failure.
        first_error: MetricError,
    },
}

/// Combines per-metric results: the maximum valid proposal, unless every metric is invalid or
/// some are invalid and that maximum is below `spec_replicas` (the target's current
/// `spec.replicas`). This blocks scale-down on a partial view, not scale-up.
pub fn combine_proposals(
    spec_replicas: i32,
    proposals: &[Result<MetricProposal, MetricError>],
) -> Combined {
    let mut replicas = 0;
    let mut index = 0;
    let mut invalid = 0;
    let mut first_error = None;
    for (i, p) in proposals.iter().enumerate() {
        match p {
            Err(e) => {
                first_error.get_or_insert(*e);
                invalid += 1;
            }
            Ok(p) => {
                if replicas == 0 || p.replicas > replicas {
                    replicas = p.replicas;
                    index = i;
                }
            }
        }
    }
    if invalid >= proposals.len() || (invalid > 0 && replicas < spec_replicas) {
        return Combined::Invalid {
            invalid,
            first_error: first_error.unwrap_or(MetricError::NoMetrics),
        };
    }
    Combined::Proposal {
        replicas,
        index,
        invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(replicas: i32) -> Result<MetricProposal, MetricError> {
        Ok(MetricProposal {
            replicas,
            utilization_percent: None,
            average_milli: 0,
        })
    }

    #[test]
    fn largest_proposal_wins() {
        assert_eq!(
            combine_proposals(3, &[ok(2), ok(7), ok(7), ok(5)]),
            Combined::Proposal {
                replicas: 7,
                index: 1,
                invalid: 0
            }
        );
    }

    #[test]
    fn test_scale_up_one_metric_empty() {
        // Upstream TestScaleUpOneMetricEmpty: cpu proposes 4 of 3, the external metric fails;
        // scaling up proceeds.
        assert_eq!(
            combine_proposals(3, &[ok(4), Err(MetricError::NoMetrics)]),
            Combined::Proposal {
                replicas: 4,
                index: 0,
                invalid: 1
            }
        );
    }

    #[test]
    fn test_no_scale_down_one_metric_invalid() {
        // Upstream TestNoScaleDownOneMetricInvalid / TestNoScaleDownOneMetricEmpty: cpu
        // proposes 3 of 5, the other metric fails; no scale-down.
        assert_eq!(
            combine_proposals(5, &[ok(3), Err(MetricError::NoMetrics)]),
            Combined::Invalid {
                invalid: 1,
                first_error: MetricError::NoMetrics
            }
        );
    }

    #[test]
    fn all_invalid() {
        assert_eq!(
            combine_proposals(
                5,
                &[
                    Err(MetricError::NoReadyMetrics),
                    Err(MetricError::NoMetrics)
                ]
            ),
            Combined::Invalid {
                invalid: 2,
                first_error: MetricError::NoReadyMetrics
            }
        );
    }
}

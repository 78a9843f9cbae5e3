//! What the HPA controller remembers between syncs: recent unstabilized recommendations
//! (`timestampedRecommendation`) and, for HPAs with a `behavior`, recent scale events
//! (`timestampedScaleEvent`), as in `pkg/controller/podautoscaler/horizontal.go`.

/// One unstabilized recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recommendation {
    /// Recommended replica count.
    pub replicas: i32,
    /// When it was made [ms since the scenario start].
    pub timestamp_ms: u64,
}

/// One scale event of an HPA with a `behavior`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleEvent {
    /// Replicas added (in the scale-up list) or removed (in the scale-down list); positive.
    pub replica_change: i32,
    /// When the target was rescaled [ms since the scenario start].
    pub timestamp_ms: u64,
    /// Older than the direction's longest policy period at the last store: reusable.
    pub outdated: bool,
}

/// `t` lies strictly within the last `window_ms` before `now_ms` (Go's
/// `t.After(now - window)`).
pub(crate) fn is_after_cutoff(t: u64, window_ms: u64, now_ms: u64) -> bool {
    t.saturating_add(window_ms) > now_ms
}

/// `t` lies strictly before the last `window_ms` before `now_ms` (Go's
/// `t.Before(now - window)`).
pub(crate) fn is_before_cutoff(t: u64, window_ms: u64, now_ms: u64) -> bool {
    t.saturating_add(window_ms) < now_ms
}

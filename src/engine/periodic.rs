//! Periodic members batched into one queue event per instant: the HPA syncs and the services'
//! load ticks. Each member keeps its own next due time; the engine keeps one pending event at
//! the earliest of them and, when it fires, runs every member due then in index order (the
//! order in which one event per member, pushed in index order, would have popped).
//!
//! Fifty HPAs synced every 15 s for a month are 8.6 million syncs; as separate events each
//! would pay a heap push and pop and the per-event bookkeeping.

use super::time::SimTime;

/// The next due time of each member of a periodic batch ([`SimTime::NEVER`] when done).
#[derive(Clone, Debug, Default)]
pub struct PeriodicBatch {
    due: Vec<SimTime>,
}

impl PeriodicBatch {
    /// A batch whose members are first due at `first` (one time per member).
    pub fn new(first: impl IntoIterator<Item = SimTime>) -> PeriodicBatch {
        PeriodicBatch {
            due: first.into_iter().collect(),
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.due.len()
    }

    /// True when the batch has no members.
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }

    /// True when member `i` is due at `now`.
    #[inline]
    pub fn is_due(&self, i: usize, now: SimTime) -> bool {
        self.due[i] == now
    }

    /// Sets member `i`'s next due time; a time after `end` means never.
    #[inline]
    pub fn reschedule(&mut self, i: usize, next: SimTime, end: SimTime) {
        self.due[i] = if next <= end { next } else { SimTime::NEVER };
    }

    /// The earliest due time, if any member is still due.
    pub fn next(&self) -> Option<SimTime> {
        self.due
            .iter()
            .copied()
            .min()
            .filter(|&t| t != SimTime::NEVER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_fire_at_their_own_times() {
        let end = SimTime(100);
        let mut b = PeriodicBatch::new([SimTime(10), SimTime(5), SimTime(10)]);
        assert_eq!(b.len(), 3);
        assert_eq!(b.next(), Some(SimTime(5)));
        assert!(b.is_due(1, SimTime(5)) && !b.is_due(0, SimTime(5)));
        b.reschedule(1, SimTime(20), end);
        assert_eq!(b.next(), Some(SimTime(10)));
        assert!(b.is_due(0, SimTime(10)) && b.is_due(2, SimTime(10)));
        b.reschedule(0, SimTime(110), end);
        b.reschedule(2, SimTime(110), end);
        assert_eq!(b.next(), Some(SimTime(20)));
        b.reschedule(1, SimTime(200), end);
        assert_eq!(b.next(), None);
    }
}

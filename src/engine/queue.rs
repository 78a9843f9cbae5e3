//! The event calendar: a 4-ary min-heap keyed by `(time, seq)`.
//!
//! `seq` is a global insertion counter, so events at the same time pop in insertion order and
//! runs are reproducible. A 4-ary heap is half as deep as a binary one and keeps siblings
//! adjacent in memory, which matters when millions of events are pending. Cancellation is
//! lazy: events carry a generation that the owner checks when the event pops (see
//! [`crate::engine::event::Event`]), which keeps the heap a plain array with no per-event
//! allocation and no keyed index to maintain.

use super::time::SimTime;

const ARITY: usize = 4;

struct Entry<E> {
    /// `(time << 64) | seq`: one integer comparison orders by time, then insertion.
    key: u128,
    event: E,
}

/// A time-ordered queue of events of type `E`.
pub struct EventQueue<E> {
    heap: Vec<Entry<E>>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<E> EventQueue<E> {
    /// An empty queue with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: Vec::with_capacity(capacity),
            seq: 0,
        }
    }

    /// Schedules `event` at `time`. Events at equal times pop in the order they were pushed.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let key = (u128::from(time.0) << 64) | u128::from(self.seq);
        self.seq += 1;
        self.heap.push(Entry { key, event });
        self.sift_up(self.heap.len() - 1);
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.heap.is_empty() {
            return None;
        }
        let last = self.heap.len() - 1;
        self.heap.swap(0, last);
        let top = self.heap.pop().expect("non-empty");
        if !self.heap.is_empty() {
            self.sift_down(0);
        }
        Some((SimTime((top.key >> 64) as u64), top.event))
    }

    /// The time of the earliest event.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|e| SimTime((e.key >> 64) as u64))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Total number of events ever pushed.
    pub fn pushed(&self) -> u64 {
        self.seq
    }

    #[inline]
    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.heap[i].key >= self.heap[parent].key {
                break;
            }
            self.heap.swap(i, parent);
            i = parent;
        }
    }

    #[inline]
    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let first = i * ARITY + 1;
            if first >= n {
                break;
            }
            let last = (first + ARITY).min(n);
            let mut best = first;
            let mut best_key = self.heap[first].key;
            for c in first + 1..last {
                let k = self.heap[c].key;
                if k < best_key {
                    best = c;
                    best_key = k;
                }
            }
            if best_key >= self.heap[i].key {
                break;
            }
            self.heap.swap(i, best);
            i = best;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), 'a');
        q.push(SimTime(1), 'b');
        q.push(SimTime(5), 'c');
        q.push(SimTime(1), 'd');
        q.push(SimTime(0), 'e');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['e', 'b', 'd', 'a', 'c']);
    }

    #[test]
    fn matches_a_reference_heap_on_random_operations() {
        use rand::Rng;
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut rng = crate::engine::rng::stream(5, crate::engine::rng::Stream::Scheduler);
        let mut q = EventQueue::default();
        let mut reference = BinaryHeap::new();
        let mut seq = 0u64;
        for _ in 0..50_000 {
            if rng.random_range(0..3) > 0 || reference.is_empty() {
                let t = rng.random_range(0..1_000u64);
                q.push(SimTime(t), seq);
                reference.push(Reverse((t, seq)));
                seq += 1;
            } else {
                let Reverse((t, s)) = reference.pop().unwrap();
                assert_eq!(q.pop(), Some((SimTime(t), s)));
            }
            assert_eq!(q.len(), reference.len());
        }
    }

    #[test]
    fn large_times_do_not_collide_with_seq() {
        let mut q = EventQueue::default();
        q.push(SimTime(u64::MAX - 1), 1);
        q.push(SimTime(1), 2);
        assert_eq!(q.pop(), Some((SimTime(1), 2)));
        assert_eq!(q.pop(), Some((SimTime(u64::MAX - 1), 1)));
    }
}

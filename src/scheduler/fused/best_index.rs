//! A tournament tree over node ids that answers "which nodes share the best score" in
//! O(log nodes) and takes a changed node's score in O(log nodes).
//!
//! Each leaf holds one node's total score, or nothing when the node is infeasible (or not a
//! live node). Each inner slot holds the best score below it and how many leaves have it. The
//! root therefore gives the best score and the number of ties at once; counting the ties left of
//! a position and descending to the k-th tie give the node a round-robin scan from that position
//! would meet k-th, which is how the scheduler maps its one random draw to a node.

/// Best score below a tree slot and how many leaves below it have that score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    best: i32,
    count: u32,
}

/// An empty leaf (infeasible node): loses to every score and counts nothing.
const NONE: Slot = Slot {
    best: i32::MIN,
    count: 0,
};

#[inline]
fn combine(a: Slot, b: Slot) -> Slot {
    if a.best > b.best {
        a
    } else if b.best > a.best {
        b
    } else {
        Slot {
            best: a.best,
            count: a.count + b.count,
        }
    }
}

/// The tree: slot 1 is the root, slot `i` has children `2i` and `2i + 1`, and leaf `k` (node id
/// `k`) is slot `leaves + k`.
#[derive(Debug, Default)]
pub(super) struct BestIndex {
    tree: Vec<Slot>,
    /// Number of leaves (a power of two; 0 before the first `reset`).
    leaves: usize,
}

impl BestIndex {
    /// Number of leaves (node ids `0..capacity()` can be stored).
    #[inline]
    pub(super) fn capacity(&self) -> usize {
        self.leaves
    }

    /// Empties the tree and makes room for at least `len` leaves.
    pub(super) fn reset(&mut self, len: usize) {
        self.leaves = len.max(1).next_power_of_two();
        self.tree.clear();
        self.tree.resize(2 * self.leaves, NONE);
    }

    /// Sets leaf `k` (None = infeasible) without updating the slots above; call
    /// [`BestIndex::rebuild_inner`] after a batch of these.
    #[inline]
    pub(super) fn set_leaf(&mut self, k: usize, score: Option<i32>) {
        self.tree[self.leaves + k] = leaf(score);
    }

    /// Recomputes every inner slot from the leaves (O(capacity)).
    pub(super) fn rebuild_inner(&mut self) {
        for i in (1..self.leaves).rev() {
            self.tree[i] = combine(self.tree[2 * i], self.tree[2 * i + 1]);
        }
    }

    /// Sets leaf `k` and updates the slots above it (O(log capacity)).
    #[inline]
    pub(super) fn update(&mut self, k: usize, score: Option<i32>) {
        let mut i = self.leaves + k;
        let new = leaf(score);
        if self.tree[i] == new {
            return;
        }
        self.tree[i] = new;
        while i > 1 {
            i /= 2;
            let s = combine(self.tree[2 * i], self.tree[2 * i + 1]);
            if self.tree[i] == s {
                break;
            }
            self.tree[i] = s;
        }
    }

    /// The best score and the number of leaves that have it; None when every leaf is empty.
    #[inline]
    pub(super) fn best(&self) -> Option<(i32, usize)> {
        let root = self.tree.get(1).copied().unwrap_or(NONE);
        (root.count > 0).then_some((root.best, root.count as usize))
    }

    /// The leaf a scan of leaves `start, start + 1, …, capacity − 1, 0, …, start − 1` meets as
    /// its `k`-th (from 0) best-scored leaf. `k` must be below the number of ties.
    pub(super) fn nth_best_from(&self, start: usize, k: usize) -> usize {
        let root = self.tree[1];
        let ties = root.count as usize;
        debug_assert!(k < ties);
        // Ties left of `start` come last in the scan.
        let mut before = 0usize;
        let mut i = self.leaves + start;
        while i > 1 {
            if i % 2 == 1 && self.tree[i - 1].best == root.best {
                before += self.tree[i - 1].count as usize;
            }
            i /= 2;
        }
        let mut ordinal = (before + k) % ties;
        // Descend to the `ordinal`-th best leaf in id order.
        let mut i = 1;
        while i < self.leaves {
            let left = self.tree[2 * i];
            let here = if left.best == root.best {
                left.count as usize
            } else {
                0
            };
            if ordinal < here {
                i *= 2;
            } else {
                ordinal -= here;
                i = 2 * i + 1;
            }
        }
        i - self.leaves
    }
}

#[inline]
fn leaf(score: Option<i32>) -> Slot {
    score.map_or(NONE, |best| Slot { best, count: 1 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Stream, stream};
    use rand::Rng;

    /// The k-th best leaf of a rotated scan, by brute force.
    fn brute(leaves: &[Option<i32>], start: usize, k: usize) -> (Option<(i32, usize)>, usize) {
        let best = leaves.iter().flatten().copied().max();
        let Some(best) = best else {
            return (None, 0);
        };
        let ties = leaves.iter().filter(|&&s| s == Some(best)).count();
        let n = leaves.len();
        let hit = (0..n)
            .map(|j| (start + j) % n)
            .filter(|&j| leaves[j] == Some(best))
            .nth(k)
            .unwrap();
        (Some((best, ties)), hit)
    }

    #[test]
    fn small_hand_checked_tree() {
        let mut t = BestIndex::default();
        assert_eq!(t.best(), None);
        t.reset(5);
        assert_eq!(t.capacity(), 8);
        for (k, s) in [Some(3), Some(9), None, Some(9), Some(9)]
            .into_iter()
            .enumerate()
        {
            t.set_leaf(k, s);
        }
        t.rebuild_inner();
        assert_eq!(t.best(), Some((9, 3)));
        // From leaf 2 the scan meets 3, 4, then (after wrapping) 1.
        assert_eq!(t.nth_best_from(2, 0), 3);
        assert_eq!(t.nth_best_from(2, 1), 4);
        assert_eq!(t.nth_best_from(2, 2), 1);
        t.update(3, None);
        t.update(0, Some(9));
        assert_eq!(t.best(), Some((9, 3)));
        assert_eq!(t.nth_best_from(2, 0), 4);
        assert_eq!(t.nth_best_from(2, 1), 0);
        t.update(4, Some(12));
        assert_eq!(t.best(), Some((12, 1)));
        assert_eq!(t.nth_best_from(0, 0), 4);
    }

    #[test]
    fn matches_brute_force_under_random_updates() {
        let mut rng = stream(5, Stream::Source(1));
        for len in [1usize, 2, 3, 7, 8, 33] {
            let mut t = BestIndex::default();
            t.reset(len);
            let mut leaves = vec![None; t.capacity()];
            for step in 0..400 {
                let k = rng.random_range(0..len);
                let s = (rng.random_range(0..4) != 0).then(|| rng.random_range(0..4));
                leaves[k] = s;
                if step % 50 == 0 {
                    t.set_leaf(k, s);
                    t.rebuild_inner();
                } else {
                    t.update(k, s);
                }
                let start = rng.random_range(0..len);
                let (best, _) = brute(&leaves, start, 0);
                assert_eq!(t.best(), best);
                if let Some((_, ties)) = best {
                    for k in 0..ties {
                        assert_eq!(t.nth_best_from(start, k), brute(&leaves, start, k).1);
                    }
                }
            }
        }
    }
}

//! A tournament tree over the positions of the scheduler's node list that answers "which nodes share the best score" in
//! O(log nodes) and takes a changed node's score in O(log nodes).
//!
//! Each leaf holds one node's total score, or nothing when the node is infeasible (or not a
//! live node). Each inner slot holds the best score below it, how many leaves have it, and how
//! many leaves below it are feasible. The root therefore gives the best score and the number of
//! ties at once; counting the ties left of a position and descending to the k-th tie give the
//! node a round-robin scan from that position would meet k-th, which is how the scheduler maps
//! its one random draw to a node. The feasible counts find where a sampled scan stops (the
//! n-th feasible node from a position), and range queries give the best score and its ties
//! among the nodes such a scan visits.

/// Best score below a tree slot, how many leaves below it have that score, and how many leaves
/// below it hold a score at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    best: i32,
    count: u32,
    feasible: u32,
}

/// An empty leaf (infeasible node): loses to every score and counts nothing.
const NONE: Slot = Slot {
    best: i32::MIN,
    count: 0,
    feasible: 0,
};

#[inline]
fn combine(a: Slot, b: Slot) -> Slot {
    let feasible = a.feasible + b.feasible;
    if a.best > b.best {
        Slot { feasible, ..a }
    } else if b.best > a.best {
        Slot { feasible, ..b }
    } else {
        Slot {
            best: a.best,
            count: a.count + b.count,
            feasible,
        }
    }
}

/// The ties of `slot` at score `best` (0 if its best is another score).
#[inline]
fn ties_at(slot: Slot, best: i32) -> usize {
    if slot.best == best {
        slot.count as usize
    } else {
        0
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
    /// Number of leaves (positions `0..capacity()` can be stored).
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
        self.descend(1, (before + k) % ties, |slot| ties_at(slot, root.best))
    }

    /// The leaf below slot `top` holding the `k`-th (from 0) unit that `count` counts per
    /// slot, in position order (`k` must be below `count(tree[top])`).
    #[inline]
    fn descend(&self, top: usize, mut k: usize, count: impl Fn(Slot) -> usize) -> usize {
        let mut i = top;
        while i < self.leaves {
            let left = count(self.tree[2 * i]);
            if k < left {
                i *= 2;
            } else {
                k -= left;
                i = 2 * i + 1;
            }
        }
        i - self.leaves
    }

    /// Number of leaves holding a score (feasible nodes).
    #[inline]
    pub(super) fn feasible(&self) -> usize {
        self.tree.get(1).map_or(0, |r| r.feasible as usize)
    }

    /// Number of leaves below `k` holding a score.
    pub(super) fn feasible_before(&self, k: usize) -> usize {
        let mut before = 0usize;
        let mut i = self.leaves + k;
        while i > 1 {
            if i % 2 == 1 {
                before += self.tree[i - 1].feasible as usize;
            }
            i /= 2;
        }
        before
    }

    /// The `r`-th (from 0) leaf holding a score, in position order; `r` must be below
    /// [`BestIndex::feasible`].
    pub(super) fn nth_feasible(&self, r: usize) -> usize {
        debug_assert!(r < self.feasible());
        self.descend(1, r, |slot| slot.feasible as usize)
    }

    /// The slots that exactly cover leaves `lo..hi`, left to right (at most two per level).
    fn cover(&self, lo: usize, hi: usize, out: &mut Vec<usize>) {
        out.clear();
        let (mut l, mut r) = (lo + self.leaves, hi + self.leaves);
        // At most one right-hand slot per level.
        let mut right = [0usize; usize::BITS as usize];
        let mut nr = 0;
        while l < r {
            if l % 2 == 1 {
                out.push(l);
                l += 1;
            }
            if r % 2 == 1 {
                r -= 1;
                right[nr] = r;
                nr += 1;
            }
            l /= 2;
            r /= 2;
        }
        out.extend(right[..nr].iter().rev());
    }

    /// The best score among leaves `lo..hi` and how many of them have it (`(i32::MIN, 0)`
    /// when none holds a score).
    pub(super) fn best_in(&self, lo: usize, hi: usize) -> (i32, usize) {
        let (mut l, mut r) = (lo + self.leaves, hi + self.leaves);
        let mut acc = NONE;
        while l < r {
            if l % 2 == 1 {
                acc = combine(acc, self.tree[l]);
                l += 1;
            }
            if r % 2 == 1 {
                r -= 1;
                acc = combine(acc, self.tree[r]);
            }
            l /= 2;
            r /= 2;
        }
        (acc.best, acc.count as usize)
    }

    /// The `k`-th (from 0) leaf of `lo..hi`, in position order, whose score is `best`, which must be
    /// at least every score in `lo..hi`; `Err(k − ties)` when the range has only `ties` of
    /// them. `cover` is a reusable buffer.
    pub(super) fn nth_at_best_in(
        &self,
        lo: usize,
        hi: usize,
        best: i32,
        mut k: usize,
        cover: &mut Vec<usize>,
    ) -> Result<usize, usize> {
        self.cover(lo, hi, cover);
        for &top in cover.iter() {
            // No score below `top` exceeds `best`, so its count is its number of `best` leaves.
            let here = ties_at(self.tree[top], best);
            if k >= here {
                k -= here;
                continue;
            }
            return Ok(self.descend(top, k, |slot| ties_at(slot, best)));
        }
        Err(k)
    }
}

#[inline]
fn leaf(score: Option<i32>) -> Slot {
    score.map_or(NONE, |best| Slot {
        best,
        count: 1,
        feasible: 1,
    })
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

    /// The feasible counts, range maxima and k-th ties of a range, against brute force.
    fn check_ranges(t: &BestIndex, leaves: &[Option<i32>], rng: &mut crate::engine::rng::SimRng) {
        let cap = leaves.len();
        let feasible: Vec<usize> = (0..cap).filter(|&k| leaves[k].is_some()).collect();
        assert_eq!(t.feasible(), feasible.len());
        let k = rng.random_range(0..cap);
        assert_eq!(
            t.feasible_before(k),
            feasible.iter().filter(|&&f| f < k).count()
        );
        for (r, &f) in feasible.iter().enumerate() {
            assert_eq!(t.nth_feasible(r), f);
        }
        let lo = rng.random_range(0..=cap);
        let hi = rng.random_range(lo..=cap);
        let scores = leaves[lo..hi].iter().flatten().copied();
        let best = scores.clone().max().unwrap_or(i32::MIN);
        let at_best: Vec<usize> = (lo..hi).filter(|&j| leaves[j] == Some(best)).collect();
        assert_eq!(t.best_in(lo, hi), (best, at_best.len()));
        // Ask with the range's best and with a higher score (another range's best).
        let mut cover = Vec::new();
        for (j, &leaf) in at_best.iter().enumerate() {
            assert_eq!(t.nth_at_best_in(lo, hi, best, j, &mut cover), Ok(leaf));
        }
        let n = at_best.len();
        assert_eq!(t.nth_at_best_in(lo, hi, best, n + 2, &mut cover), Err(2));
        assert_eq!(
            t.nth_at_best_in(lo, hi, best.saturating_add(1), 1, &mut cover),
            Err(1)
        );
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
        assert_eq!(t.feasible(), 4);
        assert_eq!(t.feasible_before(3), 2);
        assert_eq!(t.nth_feasible(2), 3);
        assert_eq!(t.best_in(0, 2), (9, 1));
        assert_eq!(t.best_in(0, 1), (3, 1));
        let mut cover = Vec::new();
        assert_eq!(t.nth_at_best_in(2, 5, 9, 1, &mut cover), Ok(4));
        assert_eq!(t.nth_at_best_in(0, 1, 9, 0, &mut cover), Err(0));
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
                check_ranges(&t, &leaves, &mut rng);
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

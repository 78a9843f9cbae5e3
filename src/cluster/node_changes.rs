//! A bounded log of node changes: which nodes changed what the scheduler reads, in order.
//!
//! Every bump of a node's version (`ClusterState::node_versions`) is also recorded here, so a
//! scheduler cache that remembers the log position it last synced at can visit only the nodes
//! that changed since, instead of comparing every node's version. The log keeps the most recent
//! [`NodeChangeLog::CAPACITY`] entries; a reader that fell further behind is told so and must
//! resync from the versions.

use super::node::NodeId;

/// The most recent node changes, in a ring buffer (no allocation after it filled up).
#[derive(Clone, Debug, Default)]
pub struct NodeChangeLog {
    /// Entry for sequence number `s` at `s % CAPACITY` (grows to `CAPACITY`, then wraps).
    ring: Vec<NodeId>,
    /// Number of changes recorded so far (the sequence number of the next one).
    seq: u64,
}

impl NodeChangeLog {
    /// Number of recent changes kept.
    pub const CAPACITY: usize = 1 << 12;

    /// Records that `node` changed.
    #[inline]
    pub(crate) fn record(&mut self, node: NodeId) {
        let slot = (self.seq % Self::CAPACITY as u64) as usize;
        if slot == self.ring.len() {
            self.ring.push(node);
        } else {
            self.ring[slot] = node;
        }
        self.seq += 1;
    }

    /// The sequence number the next change will get (= changes recorded so far).
    #[inline]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The nodes that changed from sequence number `from` on, oldest first (a node appears once
    /// per change); `None` when `from` is older than the log keeps or newer than its end.
    pub fn since(&self, from: u64) -> Option<impl ExactSizeIterator<Item = NodeId> + '_> {
        if from > self.seq || self.seq - from > Self::CAPACITY as u64 {
            return None;
        }
        let len = (self.seq - from) as usize;
        let first = (from % Self::CAPACITY as u64) as usize;
        Some((0..len).map(move |i| self.ring[(first + i) % Self::CAPACITY]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_most_recent_changes_in_order() {
        let mut log = NodeChangeLog::default();
        assert_eq!(log.since(0).map(|i| i.count()), Some(0));
        for i in 0..5 {
            log.record(NodeId(i));
        }
        let got: Vec<_> = log.since(2).unwrap().collect();
        assert_eq!(got, [NodeId(2), NodeId(3), NodeId(4)]);
        assert!(log.since(6).is_none(), "a position past the end is refused");
        let cap = NodeChangeLog::CAPACITY as u64;
        for i in 5..cap + 3 {
            log.record(NodeId(i as u32));
        }
        assert_eq!(log.seq(), cap + 3);
        assert!(log.since(2).is_none(), "overwritten entries are refused");
        let tail: Vec<_> = log.since(3).unwrap().collect();
        assert_eq!(tail.len(), NodeChangeLog::CAPACITY);
        assert_eq!(tail[0], NodeId(3));
        assert_eq!(*tail.last().unwrap(), NodeId(cap as u32 + 2));
    }
}

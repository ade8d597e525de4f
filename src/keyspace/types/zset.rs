//! Sorted sets: a member -> score map beside an order-statistic tree.
//!
//! A sorted set answers two kinds of question. "What is the score of
//! `m`?" (ZSCORE, and every update that must find the old score) wants a
//! hash map. "Which members lie between these scores?", "what is the rank
//! of `m`?", "which member is 10,000th?" (ZRANGE, ZRANK, ZCOUNT, ZPOPMIN)
//! want the members in `(score, member)` order, with *rank* and *select by
//! rank* in O(log n). Redis keeps both: a `dict` and a skip list whose
//! forward pointers carry spans (Pugh 1990, with the span counts of
//! `t_zset.c`). convoy keeps both too: `ZSet::scores` and a [`RankTree`].
//!
//! # Why a treap and not a crate or a skip list
//!
//! `std`'s `BTreeSet` orders but cannot count: the rank of a key is a
//! linear walk. Of the crates that add ranks, `indexset` keeps a Fenwick
//! tree over its nodes that is rebuilt when a node splits (so an insert is
//! not O(log n) in the worst case) and `wabi_tree` is young (0.1, one
//! author); neither clearly fits a teaching code base that promises
//! O(log n) updates. A skip list with spans needs nodes of varying height,
//! one heap block each. The treap below is the textbook order-statistic
//! tree in its shortest form: fixed-size nodes in one `Vec`, no `unsafe`,
//! no allocation per element (members up to 22 bytes are stored inline).
//!
//! # The treap
//!
//! A treap (Seidel and Aragon, "Randomized search trees", Algorithmica 16,
//! 1996) is a binary search tree on the keys that is also a heap on random
//! priorities drawn when a node is created. Its shape is therefore that of
//! a tree built by inserting the keys in random order, whatever order the
//! client used: expected depth O(log n), so insert, remove, rank and
//! select are expected O(log n). Each node also stores the size of its
//! subtree (Cormen et al., *Introduction to Algorithms*, ch. 14.1,
//! "Dynamic order statistics"): the rank of a key is the sum of the left
//! subtree sizes passed on the way down, and select by rank descends by
//! comparing the rank with the left subtree's size.
//!
//! Insertion walks down until the new node's priority beats the node in
//! its place, then *splits* that subtree around the new key into its two
//! children. Removal replaces a node with the *merge* of its two subtrees.
//! Priorities come from a generator seeded at random per tree, so a client
//! cannot choose members that make the tree degenerate.
//!
//! Range queries reduce to ranks: [`RankTree::partition_point`] counts the
//! members before a bound (a score, or a member for lex ranges), and an
//! in-order [`Iter`] walks from any rank in either direction with a stack
//! of O(log n) ancestors. Freed nodes go on a free list and are reused.

use crate::keyspace::{Hasher, Str};
use std::cmp::Ordering;
use std::collections::HashMap;

/// A sorted set: every member once, each with a score, ordered by score
/// and then by member bytes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZSet {
    /// Member -> score.
    scores: HashMap<Str, f64, Hasher>,
    /// The same pairs in `(score, member)` order.
    order: RankTree,
}

impl ZSet {
    /// Redis 7: `listpack` up to 128 members of at most 64 bytes
    /// (zset-max-listpack-entries/value), else `skiplist`.
    pub fn encoding(&self) -> &'static str {
        if self.len() <= 128 && self.scores.keys().all(|m| m.len() <= 64) {
            "listpack"
        } else {
            "skiplist"
        }
    }

    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Estimated heap bytes (MEMORY USAGE): the score table, the tree's
    /// node arena and free list, and the members' own buffers, sampled
    /// (see [`super::sampled`]). A long member's buffer is shared by the
    /// table and the tree (a `Bytes` clone), so it is counted once.
    pub fn heap_size(&self, samples: usize) -> usize {
        use std::mem::size_of;
        super::table_size(self.scores.capacity(), size_of::<(Str, f64)>())
            + self.order.nodes.capacity() * size_of::<Node>()
            + self.order.free.capacity() * size_of::<u32>()
            + super::sampled(self.len(), samples, self.scores.keys().map(Str::heap_size))
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Set `member`'s score (never NaN), adding it if new. Returns the
    /// previous score. An unchanged score leaves the tree alone.
    ///
    /// `-0` is stored as `0`: `-0 == 0` in the order anyway, and Redis's
    /// small (listpack) sets keep scores as text that reads `-0` back as
    /// `0`, so `ZSCORE` replies `0`.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        debug_assert!(!score.is_nan());
        // IEEE 754: -0 + 0 is +0; every other value is unchanged.
        let score = score + 0.0;
        match self.scores.get_mut(member) {
            Some(old) => {
                let previous = *old;
                if previous != score {
                    *old = score;
                    let m = self.order.remove(previous, member).expect("member in tree");
                    self.order.insert(score, m);
                }
                Some(previous)
            }
            None => {
                let m = Str::from_slice(member);
                self.order.insert(score, m.clone());
                self.scores.insert(m, score);
                None
            }
        }
    }

    /// Remove `member`; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.scores.remove(member)?;
        self.order.remove(score, member);
        Some(score)
    }

    /// The 0-based rank of `member` in ascending order, and its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let score = self.score(member)?;
        let rank = self.order.partition_point(|s, m| cmp_key(s, m, score, member) == Ordering::Less);
        Some((rank, score))
    }

    /// The member at ascending rank `rank`, with its score.
    pub fn get_by_rank(&self, rank: usize) -> Option<(&Str, f64)> {
        self.order.select(rank)
    }

    /// How many members come before the first one for which `pred` is
    /// false; `pred` must be true for a prefix of the order and false
    /// after (for example `score < min`).
    pub fn partition_point(&self, pred: impl FnMut(f64, &[u8]) -> bool) -> usize {
        self.order.partition_point(pred)
    }

    /// Members from rank `rank` onwards (`forward`), or from `rank`
    /// downwards to rank 0.
    pub fn iter_from(&self, rank: usize, forward: bool) -> Iter<'_> {
        self.order.iter_from(rank, forward)
    }

    /// Every member in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.order.iter_from(0, true)
    }

    /// Remove and return the member with the lowest (`min`) or highest
    /// score.
    pub fn pop(&mut self, min: bool) -> Option<(Str, f64)> {
        let rank = if min { 0 } else { self.len().checked_sub(1)? };
        let (member, score) = self.order.select(rank).map(|(m, s)| (m.clone(), s))?;
        self.scores.remove(&member[..]);
        self.order.remove(score, &member);
        Some((member, score))
    }
}

/// The order of a sorted set: by score, then by member bytes. Scores are
/// never NaN, and `-0 == 0` as in C, so ties between them fall to the
/// member as in Redis.
fn cmp_key(score_a: f64, member_a: &[u8], score_b: f64, member_b: &[u8]) -> Ordering {
    score_a.partial_cmp(&score_b).unwrap_or(Ordering::Equal).then_with(|| member_a.cmp(member_b))
}

/// No node: the "null pointer" of the arena.
const NIL: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Node {
    member: Str,
    score: f64,
    left: u32,
    right: u32,
    /// Nodes in the subtree rooted here, this one included.
    size: u32,
    /// Heap order: a parent's priority is at least its children's.
    priority: u32,
}

/// An order-statistic tree (a treap with subtree sizes) of
/// `(score, member)` pairs; see the module doc.
#[derive(Debug, Clone)]
pub struct RankTree {
    /// The arena; a node is named by its index.
    nodes: Vec<Node>,
    /// Indices of freed nodes, reused before the arena grows.
    free: Vec<u32>,
    root: u32,
    /// splitmix64 state for priorities; seeded at random on first use.
    rng: u64,
}

impl Default for RankTree {
    fn default() -> Self {
        RankTree { nodes: Vec::new(), free: Vec::new(), root: NIL, rng: 0 }
    }
}

/// Two trees are equal when they hold the same pairs (their shapes depend
/// on random priorities).
impl PartialEq for RankTree {
    fn eq(&self, other: &RankTree) -> bool {
        self.len() == other.len()
            && self.iter_from(0, true).zip(other.iter_from(0, true)).all(|((a, x), (b, y))| a == b && x == y)
    }
}

impl RankTree {
    pub fn len(&self) -> usize {
        self.size(self.root) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.root == NIL
    }

    fn size(&self, t: u32) -> u32 {
        if t == NIL {
            0
        } else {
            self.nodes[t as usize].size
        }
    }

    fn node(&self, t: u32) -> &Node {
        &self.nodes[t as usize]
    }

    fn node_mut(&mut self, t: u32) -> &mut Node {
        &mut self.nodes[t as usize]
    }

    /// Recompute a node's size from its children.
    fn update(&mut self, t: u32) {
        let (l, r) = (self.node(t).left, self.node(t).right);
        self.node_mut(t).size = self.size(l) + self.size(r) + 1;
    }

    /// Order of node `a` against the key `(score, member)`.
    fn cmp_node(&self, a: u32, score: f64, member: &[u8]) -> Ordering {
        let n = self.node(a);
        cmp_key(n.score, &n.member, score, member)
    }

    /// Whether node `a`'s key comes before node `b`'s.
    fn before(&self, a: u32, b: u32) -> bool {
        let (a, b) = (self.node(a), self.node(b));
        cmp_key(a.score, &a.member, b.score, &b.member) == Ordering::Less
    }

    /// The next priority: splitmix64 (Steele, Lea and Flood 2014), whose
    /// state may start anywhere; the seed is random so that priorities
    /// cannot be predicted by a client.
    fn next_priority(&mut self) -> u32 {
        if self.rng == 0 {
            self.rng = rand::random::<u64>() | 1;
        }
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 32) as u32
    }

    /// Insert a pair that is not in the tree yet.
    pub fn insert(&mut self, score: f64, member: Str) {
        let priority = self.next_priority();
        let node = Node { member, score, left: NIL, right: NIL, size: 1, priority };
        let n = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                // 2^32 - 1 nodes of 56 bytes would be 240 GB: out of reach.
                let i = u32::try_from(self.nodes.len()).ok().filter(|&i| i != NIL).expect("sorted set too large");
                self.nodes.push(node);
                i
            }
        };
        self.root = self.insert_at(self.root, n);
    }

    /// Insert node `n` into the subtree `t`; returns the subtree's new root.
    fn insert_at(&mut self, t: u32, n: u32) -> u32 {
        if t == NIL {
            return n;
        }
        if self.node(n).priority > self.node(t).priority {
            // `n` belongs here: everything below splits around its key.
            let (l, r) = self.split(t, n);
            let node = self.node_mut(n);
            node.left = l;
            node.right = r;
            self.update(n);
            return n;
        }
        if self.before(n, t) {
            let child = self.insert_at(self.node(t).left, n);
            self.node_mut(t).left = child;
        } else {
            let child = self.insert_at(self.node(t).right, n);
            self.node_mut(t).right = child;
        }
        self.node_mut(t).size += 1;
        t
    }

    /// Split subtree `t` into the nodes before node `k`'s key and those
    /// after it (`k` itself is not in `t`).
    fn split(&mut self, t: u32, k: u32) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        if self.before(t, k) {
            let (l, r) = self.split(self.node(t).right, k);
            self.node_mut(t).right = l;
            self.update(t);
            (t, r)
        } else {
            let (l, r) = self.split(self.node(t).left, k);
            self.node_mut(t).left = r;
            self.update(t);
            (l, t)
        }
    }

    /// Join two subtrees, every key of `a` before every key of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.node(a).priority > self.node(b).priority {
            let r = self.merge(self.node(a).right, b);
            self.node_mut(a).right = r;
            self.update(a);
            a
        } else {
            let l = self.merge(a, self.node(b).left);
            self.node_mut(b).left = l;
            self.update(b);
            b
        }
    }

    /// Remove the pair `(score, member)`; returns the stored member, or
    /// `None` if the pair is not in the tree.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> Option<Str> {
        // Find first, so that sizes are only decremented on a real removal.
        let mut t = self.root;
        while t != NIL {
            t = match self.cmp_node(t, score, member) {
                Ordering::Equal => break,
                Ordering::Greater => self.node(t).left,
                Ordering::Less => self.node(t).right,
            };
        }
        if t == NIL {
            return None;
        }
        self.root = self.remove_at(self.root, score, member);
        let stored = std::mem::replace(&mut self.node_mut(t).member, Str::EMPTY);
        if self.root == NIL {
            // Empty again: give the arena's memory back.
            self.nodes = Vec::new();
            self.free = Vec::new();
        } else {
            self.free.push(t);
        }
        Some(stored)
    }

    /// Remove a key known to be in subtree `t`; returns the new root.
    fn remove_at(&mut self, t: u32, score: f64, member: &[u8]) -> u32 {
        match self.cmp_node(t, score, member) {
            Ordering::Equal => {
                let (l, r) = (self.node(t).left, self.node(t).right);
                return self.merge(l, r);
            }
            Ordering::Greater => {
                let child = self.remove_at(self.node(t).left, score, member);
                self.node_mut(t).left = child;
            }
            Ordering::Less => {
                let child = self.remove_at(self.node(t).right, score, member);
                self.node_mut(t).right = child;
            }
        }
        self.node_mut(t).size -= 1;
        t
    }

    /// The pair at 0-based ascending rank `rank`.
    pub fn select(&self, mut rank: usize) -> Option<(&Str, f64)> {
        let mut t = self.root;
        while t != NIL {
            let n = self.node(t);
            let left = self.size(n.left) as usize;
            match rank.cmp(&left) {
                Ordering::Less => t = n.left,
                Ordering::Equal => return Some((&n.member, n.score)),
                Ordering::Greater => {
                    rank -= left + 1;
                    t = n.right;
                }
            }
        }
        None
    }

    /// The number of pairs for which `pred` holds, given that it holds for
    /// a prefix of the order and for nothing after (a binary search).
    pub fn partition_point(&self, mut pred: impl FnMut(f64, &[u8]) -> bool) -> usize {
        let (mut t, mut count) = (self.root, 0);
        while t != NIL {
            let n = self.node(t);
            if pred(n.score, &n.member) {
                count += self.size(n.left) as usize + 1;
                t = n.right;
            } else {
                t = n.left;
            }
        }
        count
    }

    /// An in-order walk starting at rank `rank`: upwards when `forward`,
    /// else downwards. Empty if `rank` is out of range.
    pub fn iter_from(&self, mut rank: usize, forward: bool) -> Iter<'_> {
        let mut stack = Vec::new();
        let mut t = if rank < self.len() { self.root } else { NIL };
        // The stack holds the nodes still to visit whose subtree on the
        // walk's side is not yet visited: on the way down, every node the
        // walk will come back to.
        while t != NIL {
            let n = self.node(t);
            let left = self.size(n.left) as usize;
            match rank.cmp(&left) {
                Ordering::Equal => {
                    stack.push(t);
                    break;
                }
                Ordering::Less => {
                    if forward {
                        stack.push(t);
                    }
                    t = n.left;
                }
                Ordering::Greater => {
                    if !forward {
                        stack.push(t);
                    }
                    rank -= left + 1;
                    t = n.right;
                }
            }
        }
        Iter { tree: self, stack, forward }
    }
}

/// An in-order walk over a [`RankTree`]: `(member, score)` pairs.
pub struct Iter<'a> {
    tree: &'a RankTree,
    stack: Vec<u32>,
    forward: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Str, f64);

    fn next(&mut self) -> Option<Self::Item> {
        let tree = self.tree;
        let t = self.stack.pop()?;
        let n = tree.node(t);
        // Next come the nodes of the subtree on the walk's side, nearest
        // first: push the path to its nearest end.
        let mut c = if self.forward { n.right } else { n.left };
        while c != NIL {
            self.stack.push(c);
            let cn = tree.node(c);
            c = if self.forward { cn.left } else { cn.right };
        }
        Some((&n.member, n.score))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny deterministic generator for the tests (xorshift64).
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// Check the tree's invariants: sizes, search order and heap order.
    fn check(t: &RankTree, i: u32) -> u32 {
        if i == NIL {
            return 0;
        }
        let n = t.node(i);
        for c in [n.left, n.right] {
            if c != NIL {
                assert!(t.node(c).priority <= n.priority, "heap order");
            }
        }
        if n.left != NIL {
            assert_eq!(t.cmp_node(n.left, n.score, &n.member), Ordering::Less);
        }
        if n.right != NIL {
            assert_eq!(t.cmp_node(n.right, n.score, &n.member), Ordering::Greater);
        }
        let size = check(t, n.left) + check(t, n.right) + 1;
        assert_eq!(size, n.size, "subtree size");
        size
    }

    /// Random inserts, updates, removals and pops agree with a sorted
    /// `Vec` model on every query: score, rank, select, partition points
    /// and walks from a rank in both directions.
    #[test]
    fn matches_sorted_vec_model() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut z = ZSet::default();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        let sort = |m: &mut Vec<(f64, Vec<u8>)>| m.sort_by(|a, b| cmp_key(a.0, &a.1, b.0, &b.1));
        for step in 0..20_000 {
            let member = format!("m{}", rng.below(300)).into_bytes();
            let score = rng.below(40) as f64 / 4.0 - 3.0;
            match rng.below(10) {
                0..=4 => {
                    let old = z.insert(&member, score);
                    let pos = model.iter().position(|(_, m)| *m == member);
                    assert_eq!(old, pos.map(|p| model[p].0));
                    match pos {
                        Some(p) => model[p].0 = score,
                        None => model.push((score, member.clone())),
                    }
                    sort(&mut model);
                }
                5..=7 => {
                    let pos = model.iter().position(|(_, m)| *m == member);
                    assert_eq!(z.remove(&member), pos.map(|p| model.remove(p).0));
                }
                _ => {
                    let min = rng.below(2) == 0;
                    let want = if min { (!model.is_empty()).then(|| model.remove(0)) } else { model.pop() };
                    assert_eq!(z.pop(min).map(|(m, s)| (s, m.to_vec())), want);
                }
            }
            assert_eq!(z.len(), model.len());
            if step % 97 == 0 {
                check(&z.order, z.order.root);
                for (i, (s, m)) in model.iter().enumerate() {
                    assert_eq!(z.rank(m), Some((i, *s)));
                    assert_eq!(z.get_by_rank(i).map(|(m, s)| (s, m.to_vec())), Some((*s, m.clone())));
                }
                assert_eq!(z.get_by_rank(model.len()), None);
                let bound = rng.below(40) as f64 / 4.0 - 3.0;
                assert_eq!(z.partition_point(|s, _| s < bound), model.iter().filter(|(s, _)| *s < bound).count());
                let from = rng.below(model.len() as u64 + 2) as usize;
                let up: Vec<_> = z.iter_from(from, true).map(|(m, s)| (s, m.to_vec())).collect();
                assert_eq!(up, model.get(from..).unwrap_or(&[]).to_vec());
                let down: Vec<_> = z.iter_from(from, false).map(|(m, s)| (s, m.to_vec())).collect();
                let want: Vec<_> =
                    if from < model.len() { model[..=from].iter().rev().cloned().collect() } else { vec![] };
                assert_eq!(down, want);
            }
        }
    }

    /// Ranks on a large set, inserted in ascending order (the worst case
    /// for an unbalanced tree), stay correct and the tree stays shallow.
    #[test]
    fn sorted_insertion_stays_balanced() {
        let mut z = ZSet::default();
        for i in 0..100_000 {
            z.insert(format!("{i:06}").as_bytes(), i as f64);
        }
        fn depth(t: &RankTree, i: u32) -> usize {
            if i == NIL {
                0
            } else {
                1 + depth(t, t.node(i).left).max(depth(t, t.node(i).right))
            }
        }
        assert!(depth(&z.order, z.order.root) < 80);
        assert_eq!(z.rank(b"054321"), Some((54321, 54321.0)));
        assert_eq!(z.get_by_rank(99_999).map(|(m, _)| m.to_vec()), Some(b"099999".to_vec()));
    }

    /// `-0` is stored as `0`, and equal scores order by member.
    #[test]
    fn negative_zero() {
        let mut z = ZSet::default();
        z.insert(b"b", -0.0);
        z.insert(b"a", 0.0);
        assert!(z.score(b"b").unwrap().is_sign_positive());
        assert_eq!(z.insert(b"b", -0.0), Some(0.0));
        assert_eq!(z.iter().map(|(m, _)| m.to_vec()).collect::<Vec<_>>(), vec![b"a".to_vec(), b"b".to_vec()]);
    }
}

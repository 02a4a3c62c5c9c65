//! Redis 7.0's quicklist: a list stored as a chain of listpack nodes, sized by
//! `list-max-listpack-size` (negative: byte classes 4k..64k; positive: entry
//! counts under an 8k safety cap), with "plain" single-element nodes for
//! elements at or above the packed threshold, and LZF compression of the
//! nodes deeper than `list-compress-depth` from either end. Nodes live in a
//! VecDeque (index = position) instead of a linked list.

use super::listpack::{Listpack, LpValue, Where};
use std::collections::VecDeque;

const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
const SIZE_SAFETY_LIMIT: usize = 8192;
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
const MIN_COMPRESS_BYTES: usize = 48;
const MIN_COMPRESS_IMPROVE: usize = 8;
const FILL_MAX: i32 = (1 << 15) - 1;
/// Redis's sizeof(quicklistNode) and sizeof(quicklist), for MEMORY USAGE.
pub const NODE_STRUCT_SIZE: usize = 40;
pub const LIST_STRUCT_SIZE: usize = 40;

fn packed_threshold() -> usize {
    crate::debug::QUICKLIST_PACKED_THRESHOLD.load(std::sync::atomic::Ordering::Relaxed) as usize
}

#[derive(Clone)]
enum Data {
    Packed(Listpack),
    Plain(Vec<u8>),
    /// LZF bytes of a packed listpack or a plain element; `raw_len` is the size before.
    /// 32 bits (LZF's own limit, so larger elements stay uncompressed) keep a node
    /// within 40 bytes: the node array of a one-node list fits a 48-byte chunk.
    Lzf {
        lzf: Vec<u8>,
        raw_len: u32,
        plain: bool,
    },
}

#[derive(Clone)]
struct Node {
    // 40 bytes with Data: see Data::Lzf.
    data: Data,
    count: usize,
}

/// A node's contents readable without mutating a compressed node.
enum View<'a> {
    Packed(std::borrow::Cow<'a, Listpack>),
    Plain(std::borrow::Cow<'a, [u8]>),
}

impl Node {
    fn packed(lp: Listpack) -> Node {
        let count = lp.len();
        Node {
            data: Data::Packed(lp),
            count,
        }
    }
    fn plain(v: &[u8]) -> Node {
        Node {
            data: Data::Plain(v.to_vec()),
            count: 1,
        }
    }
    fn is_plain(&self) -> bool {
        matches!(self.data, Data::Plain(_) | Data::Lzf { plain: true, .. })
    }
    /// Uncompressed size (node->sz).
    fn sz(&self) -> usize {
        match &self.data {
            Data::Packed(lp) => lp.total_bytes(),
            Data::Plain(v) => v.len(),
            Data::Lzf { raw_len, .. } => *raw_len as usize,
        }
    }
    /// Bytes allocated for the node's entry (zmalloc_size(node->entry)).
    fn alloc_bytes(&self) -> usize {
        match &self.data {
            Data::Packed(lp) => lp.total_bytes(),
            Data::Plain(v) => v.len(),
            Data::Lzf { lzf, .. } => lzf.len() + 4,
        }
    }
    fn decompress(&mut self) {
        if let Data::Lzf {
            lzf,
            raw_len,
            plain,
        } = &self.data
        {
            let raw =
                crate::lzf::decompress(lzf, *raw_len as usize).expect("corrupt LZF quicklist node");
            self.data = if *plain {
                Data::Plain(raw)
            } else {
                Data::Packed(Listpack::from_bytes_unchecked(raw))
            };
        }
    }
    fn compress(&mut self) {
        let (raw, plain): (&[u8], bool) = match &self.data {
            Data::Packed(lp) => (lp.as_bytes(), false),
            Data::Plain(v) => (v, true),
            Data::Lzf { .. } => return,
        };
        if raw.len() < MIN_COMPRESS_BYTES || raw.len() > u32::MAX as usize {
            return;
        }
        if let Some(lzf) = crate::lzf::compress(raw, raw.len()) {
            if lzf.len() + MIN_COMPRESS_IMPROVE < raw.len() {
                let raw_len = raw.len() as u32;
                self.data = Data::Lzf {
                    lzf,
                    raw_len,
                    plain,
                };
            }
        }
    }
    fn view(&self) -> View<'_> {
        use std::borrow::Cow;
        match &self.data {
            Data::Packed(lp) => View::Packed(Cow::Borrowed(lp)),
            Data::Plain(v) => View::Plain(Cow::Borrowed(v)),
            Data::Lzf {
                lzf,
                raw_len,
                plain,
            } => {
                let raw = crate::lzf::decompress(lzf, *raw_len as usize)
                    .expect("corrupt LZF quicklist node");
                if *plain {
                    View::Plain(Cow::Owned(raw))
                } else {
                    View::Packed(Cow::Owned(Listpack::from_bytes_unchecked(raw)))
                }
            }
        }
    }
    fn lp_mut(&mut self) -> &mut Listpack {
        self.decompress();
        match &mut self.data {
            Data::Packed(lp) => lp,
            _ => unreachable!("listpack access on a plain node"),
        }
    }
}

#[derive(Clone)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    count: usize,
    fill: i32,
    compress: usize,
}

impl std::fmt::Debug for Quicklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        self.for_each(0, false, |_, v| {
            l.entry(&v.to_vec());
            true
        });
        l.finish()
    }
}

fn size_meets_optimization(sz: usize, fill: i32) -> bool {
    if fill >= 0 {
        return false;
    }
    let off = (-(fill as i64) - 1) as usize;
    off < OPTIMIZATION_LEVEL.len() && sz <= OPTIMIZATION_LEVEL[off]
}

/// _quicklistNodeAllowInsert.
fn allow_insert(node: &Node, fill: i32, sz: usize) -> bool {
    if node.is_plain() || sz >= packed_threshold() {
        return false;
    }
    let new_sz = node.sz() + sz + SIZE_ESTIMATE_OVERHEAD;
    if size_meets_optimization(new_sz, fill) {
        true
    } else if new_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (node.count as i64) < fill as i64
    }
}

/// _quicklistNodeAllowMerge.
fn allow_merge(a: &Node, b: &Node, fill: i32) -> bool {
    if a.is_plain() || b.is_plain() {
        return false;
    }
    let merge_sz = (a.sz() + b.sz()).saturating_sub(11);
    if size_meets_optimization(merge_sz, fill) {
        true
    } else if merge_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (a.count + b.count) as i64 <= fill as i64
    }
}

impl Quicklist {
    /// `fill` is list-max-listpack-size, `compress` list-compress-depth.
    pub fn new(fill: i32, compress: i32) -> Quicklist {
        Quicklist {
            nodes: VecDeque::new(),
            count: 0,
            fill: fill.clamp(-5, FILL_MAX),
            compress: compress.clamp(0, u16::MAX as i32) as usize,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// MEMORY USAGE's estimate: struct sizes plus sampled node allocations
    /// scaled to all nodes, as objectComputeSize.
    pub fn memory_estimate(&self, samples: usize) -> usize {
        let mut ele = 0usize;
        let mut n = 0usize;
        for node in self.nodes.iter() {
            ele += NODE_STRUCT_SIZE + crate::server::server_cmds::alloc_size(node.alloc_bytes());
            n += 1;
            if samples != 0 && n >= samples {
                break;
            }
        }
        let per = if n == 0 { 0.0 } else { ele as f64 / n as f64 };
        LIST_STRUCT_SIZE + (per * self.nodes.len() as f64) as usize
    }

    fn in_depth(&self, i: usize) -> bool {
        self.compress == 0 || i < self.compress || i + self.compress >= self.nodes.len()
    }

    /// __quicklistCompress around node `i`: nodes within `compress` of either
    /// end stay raw, node `i` and the first nodes past the depth get compressed.
    fn recompress(&mut self, i: usize) {
        // A list's depth is fixed when it is created, so with depth 0 no node was
        // ever compressed: nothing to do (walking every node here made each push
        // and pop O(nodes) on long lists).
        if self.compress == 0 {
            return;
        }
        // Fewer nodes than twice the depth: all are within it, a bounded walk.
        if self.nodes.len() < self.compress * 2 {
            for n in self.nodes.iter_mut() {
                n.decompress();
            }
            return;
        }
        let len = self.nodes.len();
        let d = self.compress;
        for j in 0..d.min(len) {
            self.nodes[j].decompress();
            self.nodes[len - 1 - j].decompress();
        }
        if i < len && !self.in_depth(i) {
            self.nodes[i].compress();
        }
        if d < len && !self.in_depth(d) {
            self.nodes[d].compress();
        }
        if len > d && !self.in_depth(len - 1 - d) {
            self.nodes[len - 1 - d].compress();
        }
    }

    /// quicklistAppendListpack: a whole non-empty listpack as a new tail node
    /// (RDB loading; nodes are not merged, as in Redis).
    pub fn append_listpack_node(&mut self, lp: Listpack) {
        let n = Node::packed(lp);
        self.count += n.count;
        self.nodes.push_back(n);
        let i = self.nodes.len() - 1;
        self.recompress(i);
    }

    /// quicklistAppendPlainNode: one element as a new plain tail node.
    pub fn append_plain_node(&mut self, v: Vec<u8>) {
        self.count += 1;
        self.nodes.push_back(Node {
            data: Data::Plain(v),
            count: 1,
        });
        let i = self.nodes.len() - 1;
        self.recompress(i);
    }

    fn new_node_for(&self, v: &[u8]) -> Node {
        if v.len() >= packed_threshold() {
            Node::plain(v)
        } else {
            let mut lp = Listpack::new();
            lp.append(v);
            Node::packed(lp)
        }
    }

    pub fn push_head(&mut self, v: &[u8]) {
        self.count += 1;
        if let Some(h) = self.nodes.front_mut() {
            if allow_insert(h, self.fill, v.len()) {
                h.lp_mut().prepend(v);
                h.count += 1;
                self.recompress(0);
                return;
            }
        }
        let n = self.new_node_for(v);
        self.reserve_node();
        self.nodes.push_front(n);
        self.recompress(0);
    }

    /// Room for one more node. The node array starts at one slot, not VecDeque's
    /// four: most lists are a single node, and the spare slots were a large part
    /// of a small list's footprint. Doubling from there keeps pushes amortized O(1).
    #[inline]
    fn reserve_node(&mut self) {
        if self.nodes.len() == self.nodes.capacity() {
            self.nodes.reserve_exact(self.nodes.len().max(1));
        }
    }

    pub fn push_tail(&mut self, v: &[u8]) {
        self.count += 1;
        if let Some(t) = self.nodes.back_mut() {
            if allow_insert(t, self.fill, v.len()) {
                t.lp_mut().append(v);
                t.count += 1;
                let i = self.nodes.len() - 1;
                self.recompress(i);
                return;
            }
        }
        let n = self.new_node_for(v);
        self.reserve_node();
        self.nodes.push_back(n);
        let i = self.nodes.len() - 1;
        self.recompress(i);
    }

    pub fn push(&mut self, v: &[u8], head: bool) {
        if head {
            self.push_head(v)
        } else {
            self.push_tail(v)
        }
    }

    /// Removes and returns the head (or tail) element.
    pub fn pop(&mut self, head: bool) -> Option<Vec<u8>> {
        if self.count == 0 {
            return None;
        }
        let ni = if head { 0 } else { self.nodes.len() - 1 };
        let node = &mut self.nodes[ni];
        node.decompress();
        let out = match &mut node.data {
            Data::Plain(v) => std::mem::take(v),
            Data::Packed(lp) => {
                let p = if head { lp.first() } else { lp.last() }.unwrap();
                let v = lp.get(p).to_vec();
                lp.delete(p);
                v
            }
            Data::Lzf { .. } => unreachable!(),
        };
        node.count -= 1;
        self.count -= 1;
        if node.count == 0 {
            self.nodes.remove(ni);
        }
        if !self.nodes.is_empty() {
            self.recompress(if head { 0 } else { self.nodes.len() - 1 });
        }
        Some(out)
    }

    /// Node index and offset within it of element `index` (negative from tail).
    fn locate(&self, index: i64) -> Option<(usize, usize)> {
        let n = self.count as i64;
        let idx = if index < 0 { n + index } else { index };
        if idx < 0 || idx >= n {
            return None;
        }
        let mut idx = idx as usize;
        if idx < self.count / 2 {
            for (i, node) in self.nodes.iter().enumerate() {
                if idx < node.count {
                    return Some((i, idx));
                }
                idx -= node.count;
            }
        } else {
            let mut from_end = self.count - 1 - idx;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                if from_end < node.count {
                    return Some((i, node.count - 1 - from_end));
                }
                from_end -= node.count;
            }
        }
        None
    }

    /// The element at `index` (negative counts from the tail).
    pub fn index(&self, index: i64) -> Option<Vec<u8>> {
        let (ni, off) = self.locate(index)?;
        Some(match self.nodes[ni].view() {
            View::Plain(v) => v.into_owned(),
            View::Packed(lp) => lp.get(lp.seek(off as i64).unwrap()).to_vec(),
        })
    }

    /// Visits elements from `start` (a valid non-negative index) towards the tail
    /// (or the head if `reverse`) until `f` returns false. `f` gets the index.
    pub fn for_each(&self, start: usize, reverse: bool, mut f: impl FnMut(usize, LpValue) -> bool) {
        if start >= self.count {
            return;
        }
        let Some((mut ni, off)) = self.locate(start as i64) else {
            return;
        };
        let mut idx = start;
        let mut first_off = Some(off);
        loop {
            let node = &self.nodes[ni];
            match node.view() {
                View::Plain(v) => {
                    if !f(idx, LpValue::Str(&v)) {
                        return;
                    }
                    if reverse {
                        if idx == 0 {
                            return;
                        }
                        idx -= 1;
                    } else {
                        idx += 1;
                    }
                }
                View::Packed(lp) => {
                    let o = first_off.unwrap_or(if reverse { node.count - 1 } else { 0 });
                    let mut p = lp.seek(o as i64);
                    while let Some(q) = p {
                        if !f(idx, lp.get(q)) {
                            return;
                        }
                        if reverse {
                            if idx == 0 {
                                return;
                            }
                            idx -= 1;
                            p = lp.prev(q);
                        } else {
                            idx += 1;
                            p = lp.next(q);
                        }
                    }
                }
            }
            first_off = None;
            if reverse {
                if ni == 0 {
                    return;
                }
                ni -= 1;
            } else {
                ni += 1;
                if ni >= self.nodes.len() {
                    return;
                }
            }
        }
    }

    /// Replaces the element at `index`; false if out of range (LSET).
    pub fn replace(&mut self, index: i64, v: &[u8]) -> bool {
        let Some((ni, off)) = self.locate(index) else {
            return false;
        };
        let big = v.len() >= packed_threshold();
        let node = &mut self.nodes[ni];
        node.decompress();
        match &mut node.data {
            Data::Plain(x) if big => {
                *x = v.to_vec();
            }
            Data::Packed(lp) if !big => {
                let p = lp.seek(off as i64).unwrap();
                lp.replace(p, v);
            }
            _ => {
                // The kind of node changes: delete and insert at the same place.
                let idx = if index < 0 {
                    self.count as i64 + index
                } else {
                    index
                } as usize;
                self.delete_range(idx, 1);
                self.insert_at(idx, v);
                return true;
            }
        }
        self.recompress(ni);
        true
    }

    /// Inserts `v` so that it ends up at position `idx` (0..=len).
    pub fn insert_at(&mut self, idx: usize, v: &[u8]) {
        if idx == 0 {
            return self.push_head(v);
        }
        if idx >= self.count {
            return self.push_tail(v);
        }
        // Insert after element idx-1 (in its node), or before idx.
        let (ni, off) = self.locate(idx as i64).unwrap();
        let sz = v.len();
        let fill = self.fill;
        let big = sz >= packed_threshold();
        if off == 0 && ni > 0 {
            // At a node boundary: prefer the tail of the previous node.
            if allow_insert(&self.nodes[ni - 1], fill, sz) {
                let prev = &mut self.nodes[ni - 1];
                prev.lp_mut().append(v);
                prev.count += 1;
                self.count += 1;
                self.recompress(ni - 1);
                return;
            }
            if allow_insert(&self.nodes[ni], fill, sz) {
                let node = &mut self.nodes[ni];
                node.lp_mut().prepend(v);
                node.count += 1;
                self.count += 1;
                self.recompress(ni);
                return;
            }
            let n = self.new_node_for(v);
            self.nodes.insert(ni, n);
            self.count += 1;
            self.recompress(ni);
            return;
        }
        if !big && allow_insert(&self.nodes[ni], fill, sz) {
            let node = &mut self.nodes[ni];
            let lp = node.lp_mut();
            let p = lp.seek(off as i64).unwrap();
            lp.insert(p, Where::Before, v);
            node.count += 1;
            self.count += 1;
            self.recompress(ni);
            return;
        }
        // Split the node at `off` and put the new element between the halves.
        let node = &mut self.nodes[ni];
        let total = node.count;
        let lp = node.lp_mut();
        let mut right = lp.clone();
        lp.delete_range(off as i64, total - off);
        right.delete_range(0, off);
        node.count = off;
        let right = Node::packed(right);
        self.nodes.insert(ni + 1, right);
        let mid = self.new_node_for(v);
        let mid_fits = !big && allow_insert(&self.nodes[ni], fill, sz);
        if mid_fits {
            let node = &mut self.nodes[ni];
            node.lp_mut().append(v);
            node.count += 1;
        } else {
            self.nodes.insert(ni + 1, mid);
        }
        self.count += 1;
        self.merge_around(ni);
        let last = self.nodes.len().saturating_sub(1);
        self.recompress(ni.min(last));
    }

    /// _quicklistMergeNodes, simplified: merge neighbours of `center` when allowed.
    fn merge_around(&mut self, center: usize) {
        let mut i = center.saturating_sub(1);
        let end = (center + 2).min(self.nodes.len());
        let mut end = end;
        while i + 1 < end && i + 1 < self.nodes.len() {
            if allow_merge(&self.nodes[i], &self.nodes[i + 1], self.fill) {
                let b = self.nodes.remove(i + 1).unwrap();
                let mut b = b;
                b.decompress();
                let a = &mut self.nodes[i];
                if let Data::Packed(blp) = &b.data {
                    a.lp_mut().merge(blp);
                }
                a.count += b.count;
                end -= 1;
            } else {
                i += 1;
            }
        }
    }

    /// Deletes `num` elements starting at `start` (non-negative, in range).
    pub fn delete_range(&mut self, start: usize, num: usize) {
        if num == 0 || start >= self.count {
            return;
        }
        let mut left = num.min(self.count - start);
        let (mut ni, mut off) = self.locate(start as i64).unwrap();
        self.count -= left;
        while left > 0 {
            let node = &mut self.nodes[ni];
            let here = (node.count - off).min(left);
            if off == 0 && here == node.count {
                self.nodes.remove(ni);
            } else {
                let lp = node.lp_mut();
                lp.delete_range(off as i64, here);
                node.count -= here;
                ni += 1;
            }
            left -= here;
            off = 0;
        }
        if !self.nodes.is_empty() {
            let last = self.nodes.len() - 1;
            self.recompress(ni.min(last));
        }
    }

    /// LREM: removes up to `max` (0 = all) elements equal to `v`, scanning
    /// from the tail when `from_tail`; returns how many went.
    pub fn remove_matching(&mut self, v: &[u8], max: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let order: Vec<usize> = if from_tail {
            (0..self.nodes.len()).rev().collect()
        } else {
            (0..self.nodes.len()).collect()
        };
        let mut emptied = Vec::new();
        for ni in order {
            if max != 0 && removed >= max {
                break;
            }
            let node = &mut self.nodes[ni];
            let any = match node.view() {
                View::Plain(x) => x.as_ref() == v,
                View::Packed(lp) => lp.first().and_then(|p| lp.find(p, v, 0)).is_some(),
            };
            if !any {
                continue;
            }
            node.decompress();
            match &mut node.data {
                Data::Plain(_) => {
                    node.count = 0;
                    removed += 1;
                }
                Data::Packed(lp) => {
                    if from_tail {
                        let mut p = lp.last();
                        while let Some(q) = p {
                            if max != 0 && removed >= max {
                                break;
                            }
                            let prev = lp.prev(q);
                            if lp.compare(q, v) {
                                lp.delete(q);
                                node.count -= 1;
                                removed += 1;
                            }
                            p = prev;
                        }
                    } else {
                        let mut p = lp.first();
                        while let Some(q) = p {
                            if max != 0 && removed >= max {
                                break;
                            }
                            if lp.compare(q, v) {
                                p = lp.delete(q);
                                node.count -= 1;
                                removed += 1;
                            } else {
                                p = lp.next(q);
                            }
                        }
                    }
                }
                Data::Lzf { .. } => unreachable!(),
            }
            if node.count == 0 {
                emptied.push(ni);
            }
        }
        emptied.sort_unstable();
        for ni in emptied.into_iter().rev() {
            self.nodes.remove(ni);
        }
        self.count -= removed;
        if self.compress > 0 {
            for i in 0..self.nodes.len() {
                if self.in_depth(i) {
                    self.nodes[i].decompress();
                } else {
                    self.nodes[i].compress();
                }
            }
        }
        removed
    }

    /// Each node as RDB writes it: (plain, raw bytes) or (plain, LZF blob + raw length).
    pub fn for_each_node(&self, mut f: impl FnMut(bool, Option<&[u8]>, Option<(&[u8], usize)>)) {
        for n in self.nodes.iter() {
            match &n.data {
                Data::Packed(lp) => f(false, Some(lp.as_bytes()), None),
                Data::Plain(v) => f(true, Some(v), None),
                Data::Lzf {
                    lzf,
                    raw_len,
                    plain,
                } => f(*plain, None, Some((lzf, *raw_len as usize))),
            }
        }
    }

    /// All elements, head to tail (tests, DEBUG).
    pub fn to_vec(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.count);
        self.for_each(0, false, |_, v| {
            out.push(v.to_vec());
            true
        });
        out
    }

    /// DEBUG QUICKLIST-style description of each node: (container, count, sz, compressed).
    pub fn node_info(&self) -> Vec<(&'static str, usize, usize, bool)> {
        self.nodes
            .iter()
            .map(|n| {
                (
                    if n.is_plain() { "PLAIN" } else { "PACKED" },
                    n.count,
                    n.sz(),
                    matches!(n.data, Data::Lzf { .. }),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn node_stays_within_40_bytes() {
        assert!(std::mem::size_of::<super::Node>() <= 40);
    }

    use super::*;

    fn model_check(ql: &Quicklist, model: &VecDeque<Vec<u8>>) {
        assert_eq!(ql.len(), model.len());
        let all = ql.to_vec();
        assert_eq!(all, model.iter().cloned().collect::<Vec<_>>());
        let sum: usize = ql.nodes.iter().map(|n| n.count).sum();
        assert_eq!(sum, ql.len());
        for (i, n) in ql.nodes.iter().enumerate() {
            assert!(n.count > 0);
            if ql.compress > 0 && ql.in_depth(i) {
                assert!(
                    !matches!(n.data, Data::Lzf { .. }),
                    "node {} compressed within depth",
                    i
                );
            }
        }
    }

    #[test]
    fn fill_by_count_and_size() {
        let mut ql = Quicklist::new(4, 0);
        for i in 0..10 {
            ql.push_tail(format!("{}", i).as_bytes());
        }
        assert_eq!(ql.node_count(), 3);
        let mut ql = Quicklist::new(-1, 0);
        for _ in 0..100 {
            ql.push_tail(&[b'x'; 100]);
        }
        // 4096-byte nodes hold 39 entries of 102+1 bytes plus header.
        assert!(ql.nodes.iter().all(|n| n.sz() <= 4096));
        assert_eq!(ql.len(), 100);
    }

    #[test]
    fn randomized_against_model_with_compression() {
        let mut seed: u64 = 7;
        let mut rnd = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for &(fill, depth) in &[(-2, 0), (3, 1), (1, 2), (-1, 1), (5, 0)] {
            let mut ql = Quicklist::new(fill, depth);
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            for _ in 0..3000 {
                let len = [1usize, 5, 60, 300][rnd(4) as usize];
                let v: Vec<u8> = if rnd(3) == 0 {
                    format!("{}", rnd(100000)).into_bytes()
                } else {
                    vec![b'a' + rnd(3) as u8; len]
                };
                match rnd(9) {
                    0 | 1 => {
                        ql.push_head(&v);
                        model.push_front(v);
                    }
                    2 | 3 => {
                        ql.push_tail(&v);
                        model.push_back(v);
                    }
                    4 => {
                        if rnd(2) == 0 {
                            assert_eq!(ql.pop(true), model.pop_front());
                        } else {
                            assert_eq!(ql.pop(false), model.pop_back());
                        }
                    }
                    5 => {
                        let i = rnd(model.len() as u64 + 1) as usize;
                        ql.insert_at(i, &v);
                        model.insert(i, v);
                    }
                    6 if !model.is_empty() => {
                        let i = rnd(model.len() as u64) as usize;
                        assert!(ql.replace(i as i64, &v));
                        model[i] = v;
                    }
                    7 if !model.is_empty() => {
                        let i = rnd(model.len() as u64) as usize;
                        let n = rnd(4) as usize;
                        ql.delete_range(i, n);
                        for _ in 0..n.min(model.len() - i) {
                            model.remove(i);
                        }
                    }
                    8 => {
                        let target = vec![b'a' + rnd(3) as u8; 5];
                        let max = rnd(3) as usize;
                        let tail = rnd(2) == 0;
                        let got = ql.remove_matching(&target, max, tail);
                        let mut n = 0;
                        if tail {
                            let mut i = model.len();
                            while i > 0 && (max == 0 || n < max) {
                                i -= 1;
                                if model[i] == target {
                                    model.remove(i);
                                    n += 1;
                                }
                            }
                        } else {
                            let mut i = 0;
                            while i < model.len() && (max == 0 || n < max) {
                                if model[i] == target {
                                    model.remove(i);
                                    n += 1;
                                } else {
                                    i += 1;
                                }
                            }
                        }
                        assert_eq!(got, n);
                    }
                    _ => {}
                }
                if rnd(50) == 0 {
                    model_check(&ql, &model);
                }
            }
            model_check(&ql, &model);
            for i in 0..model.len() {
                assert_eq!(ql.index(i as i64).as_ref(), Some(&model[i]));
                assert_eq!(
                    ql.index(i as i64 - model.len() as i64).as_ref(),
                    Some(&model[i])
                );
            }
            let mut rev = Vec::new();
            if !model.is_empty() {
                ql.for_each(model.len() - 1, true, |_, v| {
                    rev.push(v.to_vec());
                    true
                });
            }
            assert_eq!(rev, model.iter().rev().cloned().collect::<Vec<_>>());
        }
    }
}

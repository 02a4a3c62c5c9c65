//! The ordered half of a "skiplist"-encoded sorted set: Redis's zskiplist
//! (score then member order, spans on every level for O(log n) rank), kept in
//! an arena of nodes indexed by u32 so no unsafe pointers are needed.

const MAX_LEVEL: usize = 32;
pub const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;

#[derive(Clone)]
struct Level {
    forward: u32,
    span: u32,
}

#[derive(Clone)]
struct Node {
    ele: Vec<u8>,
    score: f64,
    backward: u32,
    levels: Vec<Level>,
}

#[derive(Clone)]
pub struct Skiplist {
    nodes: Vec<Node>,
    free: Vec<u32>,
    tail: u32,
    len: usize,
    level: usize,
    rng: u64,
}

/// (score, member) order as zslInsert compares: score first, then bytes.
#[inline]
fn before(score: f64, ele: &[u8], s: f64, e: &[u8]) -> bool {
    score < s || (score == s && ele < e)
}

impl Default for Skiplist {
    fn default() -> Self {
        Self::new()
    }
}

impl Skiplist {
    pub fn new() -> Self {
        let head = Node {
            ele: Vec::new(),
            score: 0.0,
            backward: NIL,
            levels: vec![
                Level {
                    forward: NIL,
                    span: 0
                };
                MAX_LEVEL
            ],
        };
        Skiplist {
            nodes: vec![head],
            free: Vec::new(),
            tail: NIL,
            len: 0,
            level: 1,
            rng: 0x9e37_79b9_7f4a_7c15,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// zslRandomLevel: p = 1/4.
    fn random_level(&mut self) -> usize {
        let mut l = 1;
        loop {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            if (self.rng & 0xFFFF) < 0xFFFF / 4 && l < MAX_LEVEL {
                l += 1;
            } else {
                return l;
            }
        }
    }

    #[inline]
    fn fwd(&self, n: u32, i: usize) -> u32 {
        self.nodes[n as usize].levels[i].forward
    }

    pub fn score(&self, n: u32) -> f64 {
        self.nodes[n as usize].score
    }

    pub fn ele(&self, n: u32) -> &[u8] {
        &self.nodes[n as usize].ele
    }

    /// How many levels a node has (its allocation size in Redis).
    pub fn node_levels(&self, n: u32) -> usize {
        self.nodes[n as usize].levels.len()
    }

    pub fn first(&self) -> u32 {
        self.fwd(HEAD, 0)
    }

    pub fn last(&self) -> u32 {
        self.tail
    }

    pub fn next(&self, n: u32) -> u32 {
        self.fwd(n, 0)
    }

    pub fn prev(&self, n: u32) -> u32 {
        self.nodes[n as usize].backward
    }

    /// Inserts a member that is not present yet.
    pub fn insert(&mut self, score: f64, ele: Vec<u8>) -> u32 {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let f = self.fwd(x, i);
                if f != NIL && before(self.score(f), self.ele(f), score, &ele) {
                    rank[i] += self.nodes[x as usize].levels[i].span;
                    x = f;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[HEAD as usize].levels[i].span = self.len as u32;
            }
            self.level = level;
        }
        let node = Node {
            ele,
            score,
            backward: NIL,
            levels: vec![
                Level {
                    forward: NIL,
                    span: 0
                };
                level
            ],
        };
        let id = if let Some(id) = self.free.pop() {
            self.nodes[id as usize] = node;
            id
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        };
        for i in 0..level {
            let u = update[i] as usize;
            let uf = self.nodes[u].levels[i].forward;
            let uspan = self.nodes[u].levels[i].span;
            self.nodes[id as usize].levels[i].forward = uf;
            self.nodes[id as usize].levels[i].span = uspan - (rank[0] - rank[i]);
            self.nodes[u].levels[i].forward = id;
            self.nodes[u].levels[i].span = (rank[0] - rank[i]) + 1;
        }
        for i in level..self.level {
            self.nodes[update[i] as usize].levels[i].span += 1;
        }
        self.nodes[id as usize].backward = if update[0] == HEAD { NIL } else { update[0] };
        let f0 = self.fwd(id, 0);
        if f0 != NIL {
            self.nodes[f0 as usize].backward = id;
        } else {
            self.tail = id;
        }
        self.len += 1;
        id
    }

    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for i in 0..self.level {
            let u = update[i] as usize;
            if self.nodes[u].levels[i].forward == x {
                let xs = self.nodes[x as usize].levels[i].span;
                self.nodes[u].levels[i].span += xs;
                self.nodes[u].levels[i].span -= 1;
                self.nodes[u].levels[i].forward = self.nodes[x as usize].levels[i].forward;
            } else {
                self.nodes[u].levels[i].span -= 1;
            }
        }
        let f0 = self.fwd(x, 0);
        let back = self.nodes[x as usize].backward;
        if f0 != NIL {
            self.nodes[f0 as usize].backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.fwd(HEAD, self.level - 1) == NIL {
            self.level -= 1;
        }
        self.len -= 1;
    }

    fn release(&mut self, x: u32) -> Vec<u8> {
        let n = &mut self.nodes[x as usize];
        n.levels = Vec::new();
        self.free.push(x);
        std::mem::take(&mut n.ele)
    }

    /// Removes (score, ele); returns whether it was there.
    pub fn delete(&mut self, score: f64, ele: &[u8]) -> bool {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f != NIL && before(self.score(f), self.ele(f), score, ele) {
                    x = f;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let x = self.fwd(x, 0);
        if x != NIL && self.score(x) == score && self.ele(x) == ele {
            self.unlink(x, &update);
            self.release(x);
            true
        } else {
            false
        }
    }

    /// Changes a member's score (zslUpdateScore); the member must exist.
    pub fn update_score(&mut self, cur: f64, ele: &[u8], new: f64) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f != NIL && before(self.score(f), self.ele(f), cur, ele) {
                    x = f;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let x = self.fwd(x, 0);
        debug_assert!(x != NIL && self.score(x) == cur && self.ele(x) == ele);
        let back = self.nodes[x as usize].backward;
        let f0 = self.fwd(x, 0);
        if (back == NIL || self.score(back) < new) && (f0 == NIL || self.score(f0) > new) {
            self.nodes[x as usize].score = new;
            return;
        }
        self.unlink(x, &update);
        let e = self.release(x);
        self.insert(new, e);
    }

    /// 1-based rank of (score, ele), 0 when absent.
    pub fn rank(&self, score: f64, ele: &[u8]) -> usize {
        let mut rank = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f != NIL
                    && (self.score(f) < score || (self.score(f) == score && self.ele(f) <= ele))
                {
                    rank += self.nodes[x as usize].levels[i].span as usize;
                    x = f;
                } else {
                    break;
                }
            }
            if x != HEAD && self.ele(x) == ele {
                return rank;
            }
        }
        0
    }

    /// The node at a 1-based rank.
    pub fn by_rank(&self, rank: usize) -> u32 {
        let mut traversed = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                let sp = self.nodes[x as usize].levels[i].span as usize;
                if f != NIL && traversed + sp <= rank {
                    traversed += sp;
                    x = f;
                } else {
                    break;
                }
            }
            if traversed == rank {
                return x;
            }
        }
        NIL
    }

    /// The first node for which `gte(node)` holds (the predicate is monotone).
    pub fn first_where(&self, gte: impl Fn(f64, &[u8]) -> bool) -> u32 {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f != NIL && !gte(self.score(f), self.ele(f)) {
                    x = f;
                } else {
                    break;
                }
            }
        }
        self.fwd(x, 0)
    }

    /// The last node for which `lte(node)` holds (the predicate is monotone).
    pub fn last_where(&self, lte: impl Fn(f64, &[u8]) -> bool) -> u32 {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f != NIL && lte(self.score(f), self.ele(f)) {
                    x = f;
                } else {
                    break;
                }
            }
        }
        if x == HEAD {
            NIL
        } else {
            x
        }
    }

    /// Removes `count` nodes starting at node `x`, returning their members.
    pub fn delete_from(&mut self, start: u32, count: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(count);
        let mut x = start;
        for _ in 0..count {
            if x == NIL {
                break;
            }
            let next = self.fwd(x, 0);
            let (s, e) = (self.score(x), self.ele(x).to_vec());
            self.delete(s, &e);
            out.push(e);
            x = next;
        }
        out
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut x = self.first();
        std::iter::from_fn(move || {
            if x == NIL {
                return None;
            }
            let n = &self.nodes[x as usize];
            x = n.levels[0].forward;
            Some((&n.ele[..], n.score))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_a_sorted_model() {
        let mut sl = Skiplist::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        let mut r: u64 = 12345;
        for step in 0..3000 {
            r = r
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let k = format!("m{}", (r >> 33) % 300).into_bytes();
            let s = ((r >> 20) % 50) as f64;
            if let Some(pos) = model.iter().position(|(_, e)| *e == k) {
                let (old, _) = model.remove(pos);
                if step % 3 == 0 {
                    assert!(sl.delete(old, &k));
                    continue;
                }
                sl.update_score(old, &k, s);
            } else {
                sl.insert(s, k.clone());
            }
            model.push((s, k));
            model.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
        }
        assert_eq!(sl.len(), model.len());
        let got: Vec<(f64, Vec<u8>)> = sl.iter().map(|(e, s)| (s, e.to_vec())).collect();
        assert_eq!(got, model);
        for (i, (s, e)) in model.iter().enumerate() {
            assert_eq!(sl.rank(*s, e), i + 1);
            let n = sl.by_rank(i + 1);
            assert_eq!(sl.ele(n), &e[..]);
        }
    }
}

//! The keyspace hash table, Redis's dict: chained buckets in power-of-two tables,
//! incremental rehashing between two tables, a reverse-binary SCAN cursor that
//! visits every element present for the whole scan even while the table grows
//! or shrinks, and cheap random sampling (RANDOMKEY, active expire, eviction).
//! std's HashMap offers neither a stable cursor nor bucket access, hence our own.

use crate::ds::inline_bytes::InlineBytes;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// A key as the dict stores it: short keys live inside the entry itself.
pub type Key = InlineBytes;

/// One chained element: a single allocation holding the key (inline when short),
/// the value and the link. Keeping it within 72 bytes keeps it in glibc's 80-byte
/// chunk; with the bucket pointer that is the whole per-key cost of a small string.
pub struct Entry<V> {
    pub key: Key,
    pub val: V,
    next: Option<Box<Entry<V>>>,
}

struct Table<V> {
    buckets: Vec<Option<Box<Entry<V>>>>,
    used: usize,
}

impl<V> Table<V> {
    fn empty() -> Table<V> {
        Table {
            buckets: Vec::new(),
            used: 0,
        }
    }
    fn with_size(n: usize) -> Table<V> {
        let mut buckets = Vec::with_capacity(n);
        buckets.resize_with(n, || None);
        Table { buckets, used: 0 }
    }
    #[inline]
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }
}

const INITIAL_SIZE: usize = 4;

/// dict_can_resize (updateDictResizePolicy): while a fork child runs, tables
/// avoid growing, shrinking and rehashing (copy-on-write would copy them) unless
/// the size ratio passes FORCE_RESIZE_RATIO; inside the child they never do.
pub const RESIZE_ENABLE: u8 = 0;
pub const RESIZE_AVOID: u8 = 1;
pub const RESIZE_FORBID: u8 = 2;
static RESIZE_POLICY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(RESIZE_ENABLE);
const FORCE_RESIZE_RATIO: usize = 5;

pub fn set_resize_policy(p: u8) {
    RESIZE_POLICY.store(p, std::sync::atomic::Ordering::Relaxed);
}

#[inline]
fn resize_policy() -> u8 {
    RESIZE_POLICY.load(std::sync::atomic::Ordering::Relaxed)
}
/// Redis shrinks when fill drops under 10%.
const MIN_FILL_PERCENT: usize = 10;

pub struct Dict<V> {
    ht: [Table<V>; 2],
    rehash_idx: Option<usize>,
    hasher: RandomState,
    /// Keyspace tables don't grow while that would cross maxmemory and the chains
    /// are still short (dictExpandAllowed): a rehash right under the limit would
    /// otherwise trigger mass eviction.
    guard_memory: bool,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Dict::new()
    }
}

impl<V> Dict<V> {
    pub fn new() -> Dict<V> {
        Dict {
            ht: [Table::empty(), Table::empty()],
            rehash_idx: None,
            hasher: RandomState::new(),
            guard_memory: false,
        }
    }

    /// A keyspace table: growth is refused while it would cross maxmemory.
    pub fn new_memory_guarded() -> Dict<V> {
        Dict {
            guard_memory: true,
            ..Dict::new()
        }
    }

    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total bucket count (for INFO / DEBUG HTSTATS).
    pub fn buckets(&self) -> usize {
        self.ht[0].buckets.len() + self.ht[1].buckets.len()
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    pub fn clear(&mut self) {
        self.ht = [Table::empty(), Table::empty()];
        self.rehash_idx = None;
    }

    /// Moves up to `n` buckets from the old table to the new one (visiting at most 10*n
    /// empty buckets), as dictRehash does. Returns true while more work remains.
    pub fn rehash_step(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        match resize_policy() {
            RESIZE_ENABLE => {}
            RESIZE_FORBID => return false,
            _ => {
                let (s0, s1) = (self.ht[0].buckets.len(), self.ht[1].buckets.len());
                if (s1 > s0 && s1 / s0 < FORCE_RESIZE_RATIO)
                    || (s1 < s0 && s0 / s1.max(1) < FORCE_RESIZE_RATIO)
                {
                    return false;
                }
            }
        }
        let mut empty_visits = n * 10;
        let mut moved = 0;
        while moved < n && self.ht[0].used > 0 {
            while self.ht[0].buckets[idx].is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let mut chain = self.ht[0].buckets[idx].take();
            while let Some(mut e) = chain {
                chain = e.next.take();
                let h = self.hasher.hash_one(&*e.key) as usize & self.ht[1].mask();
                e.next = self.ht[1].buckets[h].take();
                self.ht[1].buckets[h] = Some(e);
                self.ht[0].used -= 1;
                self.ht[1].used += 1;
            }
            idx += 1;
            moved += 1;
        }
        if self.ht[0].used == 0 {
            let new = std::mem::replace(&mut self.ht[1], Table::empty());
            self.ht[0] = new;
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    /// Rehashes for about `us` microseconds (databasesCron's incremental rehash).
    pub fn rehash_for(&mut self, us: u64) -> bool {
        let start = crate::util::monotonic_us();
        while self.rehash_step(100) {
            if crate::util::monotonic_us() - start > us {
                return true;
            }
        }
        false
    }

    fn start_resize(&mut self, size: usize) {
        let size = size.max(INITIAL_SIZE).next_power_of_two();
        if self.ht[0].buckets.is_empty() {
            self.ht[0] = Table::with_size(size);
            return;
        }
        if size == self.ht[0].buckets.len() {
            return;
        }
        self.ht[1] = Table::with_size(size);
        self.rehash_idx = Some(0);
    }

    #[inline]
    fn expand_if_needed(&mut self) {
        if self.rehash_idx.is_some() {
            return;
        }
        let t = &self.ht[0];
        if t.buckets.is_empty() {
            self.start_resize(INITIAL_SIZE);
        } else if (t.used >= t.buckets.len() && resize_policy() == RESIZE_ENABLE)
            || (resize_policy() != RESIZE_FORBID && t.used / t.buckets.len() > FORCE_RESIZE_RATIO)
        {
            if self.guard_memory && !self.expand_allowed() {
                return;
            }
            self.start_resize(self.ht[0].used + 1);
        }
    }

    /// dictExpandAllowed: under a load factor of 1.618 the table only grows when the
    /// new bucket array fits under maxmemory.
    #[cold]
    fn expand_allowed(&self) -> bool {
        let t = &self.ht[0];
        let new_size = (t.used + 1).max(INITIAL_SIZE).next_power_of_two();
        let more = (new_size * std::mem::size_of::<Option<Box<Entry<V>>>>()) as u64;
        if t.used as f64 / t.buckets.len() as f64 <= 1.618 {
            !crate::alloc::over_maxmemory_after_alloc(more)
        } else {
            true
        }
    }

    /// Shrinks the table when it is mostly empty (called from cron, like htNeedsResize).
    pub fn shrink_if_needed(&mut self) {
        if self.rehash_idx.is_some() || resize_policy() != RESIZE_ENABLE {
            return;
        }
        let size = self.ht[0].buckets.len();
        if size > INITIAL_SIZE && self.ht[0].used * 100 / size < MIN_FILL_PERCENT {
            self.start_resize(self.ht[0].used);
        }
    }

    #[inline]
    fn find_in(&self, t: usize, h: u64, key: &[u8]) -> Option<&Entry<V>> {
        let table = &self.ht[t];
        if table.buckets.is_empty() {
            return None;
        }
        let mut cur = table.buckets[h as usize & table.mask()].as_deref();
        while let Some(e) = cur {
            if &*e.key == key {
                return Some(e);
            }
            cur = e.next.as_deref();
        }
        None
    }

    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.get_entry(key).map(|e| &e.val)
    }

    #[inline]
    pub fn get_entry(&self, key: &[u8]) -> Option<&Entry<V>> {
        if self.len() == 0 {
            return None;
        }
        let h = self.hash(key);
        if let Some(e) = self.find_in(0, h, key) {
            return Some(e);
        }
        if self.rehash_idx.is_some() {
            return self.find_in(1, h, key);
        }
        None
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get_entry(key).is_some()
    }

    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.len() == 0 {
            return None;
        }
        if self.rehash_idx.is_some() {
            self.rehash_step(1);
        }
        let h = self.hash(key);
        let t = if self.find_in(0, h, key).is_some() {
            0
        } else if self.rehash_idx.is_some() && self.find_in(1, h, key).is_some() {
            1
        } else {
            return None;
        };
        let table = &mut self.ht[t];
        let mask = table.mask();
        let mut cur = table.buckets[h as usize & mask].as_deref_mut();
        while let Some(e) = cur {
            if &*e.key == key {
                return Some(&mut e.val);
            }
            cur = e.next.as_deref_mut();
        }
        None
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: &[u8], val: V) -> Option<V> {
        if let Some(v) = self.get_mut(key) {
            return Some(std::mem::replace(v, val));
        }
        self.insert_new(key.into(), val);
        None
    }

    /// Inserts a key known to be absent (the caller looked it up).
    pub fn insert_new(&mut self, key: Key, val: V) {
        // dictAdd moves one bucket per insert, so a table that only grows (a
        // set under SADD) finishes its rehash instead of piling into ht[1].
        if self.rehash_idx.is_some() {
            self.rehash_step(1);
        }
        self.expand_if_needed();
        let t = if self.rehash_idx.is_some() { 1 } else { 0 };
        let h = self.hasher.hash_one(&*key) as usize & self.ht[t].mask();
        let table = &mut self.ht[t];
        let next = table.buckets[h].take();
        table.buckets[h] = Some(Box::new(Entry { key, val, next }));
        table.used += 1;
    }

    /// Removes a key, returning its stored key and value.
    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(Key, V)> {
        if self.len() == 0 {
            return None;
        }
        if self.rehash_idx.is_some() {
            self.rehash_step(1);
        }
        let h = self.hash(key);
        for t in 0..2 {
            let table = &mut self.ht[t];
            if table.buckets.is_empty() {
                continue;
            }
            let idx = h as usize & table.mask();
            let mut link = &mut table.buckets[idx];
            loop {
                match link {
                    None => break,
                    Some(e) if &*e.key == key => {
                        let mut b = link.take().unwrap();
                        *link = b.next.take();
                        table.used -= 1;
                        let Entry { key, val, .. } = *b;
                        return Some((key, val));
                    }
                    Some(e) => link = &mut e.next,
                }
            }
            if self.rehash_idx.is_none() {
                break;
            }
        }
        None
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.ht.iter().flat_map(|t| {
            t.buckets.iter().flat_map(|b| {
                let mut cur = b.as_deref();
                std::iter::from_fn(move || {
                    let e = cur?;
                    cur = e.next.as_deref();
                    Some((&*e.key, &e.val))
                })
            })
        })
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&[u8], &mut V)> {
        self.ht.iter_mut().flat_map(|t| {
            t.buckets.iter_mut().flat_map(|b| {
                let mut cur = b.as_deref_mut();
                std::iter::from_fn(move || {
                    let e = cur.take()?;
                    cur = e.next.as_deref_mut();
                    Some((&*e.key, &mut e.val))
                })
            })
        })
    }

    /// A random entry: a random non-empty bucket, then a random element of its chain
    /// (dictGetFairRandomKey's cheaper sibling).
    pub fn random_entry(&self, rng: &mut crate::util::Rng) -> Option<&Entry<V>> {
        if self.len() == 0 {
            return None;
        }
        loop {
            let (t, idx) = if let Some(ri) = self.rehash_idx {
                let s0 = self.ht[0].buckets.len();
                let s1 = self.ht[1].buckets.len();
                let i = ri + rng.below((s0 + s1 - ri) as u64) as usize;
                if i >= s0 {
                    (1, i - s0)
                } else {
                    (0, i)
                }
            } else {
                (0, rng.below(self.ht[0].buckets.len() as u64) as usize)
            };
            if let Some(head) = self.ht[t].buckets[idx].as_deref() {
                let mut n = 0;
                let mut cur = Some(head);
                while let Some(e) = cur {
                    n += 1;
                    cur = e.next.as_deref();
                }
                let mut pick = rng.below(n) as usize;
                let mut e = head;
                while pick > 0 {
                    e = e.next.as_deref().unwrap();
                    pick -= 1;
                }
                return Some(e);
            }
        }
    }

    /// Up to `count` keys from consecutive buckets starting at a random place
    /// (dictGetSomeKeys): the expire cycle and eviction sample this way.
    pub fn sample_keys(&self, count: usize, rng: &mut crate::util::Rng, out: &mut Vec<Box<[u8]>>) {
        out.clear();
        self.sample_entries(count, rng, |e| out.push(e.key.to_boxed()));
    }

    /// Removes fairly drawn entries until `keep` remain: the "copy the whole
    /// collection, then delete random elements" case of SRANDMEMBER and HRANDFIELD.
    pub fn trim_randomly_to(&mut self, keep: usize, rng: &mut crate::util::Rng) {
        while self.len() > keep {
            let k = self.fair_random_entry(rng).expect("non-empty").key.clone();
            self.remove(&k);
        }
    }

    /// dictGetFairRandomKey: one of up to 20 entries sampled from consecutive
    /// buckets, so elements in long chains are not favoured or starved the way a
    /// random bucket followed by a random chain element would (SRANDMEMBER, SPOP
    /// and HRANDFIELD rely on this for their distribution).
    pub fn fair_random_entry(&self, rng: &mut crate::util::Rng) -> Option<&Entry<V>> {
        const GETFAIR_NUM_ENTRIES: usize = 20;
        let mut entries: Vec<&Entry<V>> = Vec::with_capacity(GETFAIR_NUM_ENTRIES);
        self.sample_entries(GETFAIR_NUM_ENTRIES, rng, |e| entries.push(e));
        if entries.is_empty() {
            return self.random_entry(rng);
        }
        Some(entries[rng.below(entries.len() as u64) as usize])
    }

    /// dictGetSomeKeys visiting the sampled entries in place (no key copies):
    /// up to `count` entries from consecutive buckets starting at a random place.
    pub fn sample_entries<'a, F: FnMut(&'a Entry<V>)>(
        &'a self,
        count: usize,
        rng: &mut crate::util::Rng,
        mut f: F,
    ) {
        if self.len() == 0 || count == 0 {
            return;
        }
        let count = count.min(self.len());
        // Chains are read to their end with reservoir sampling, so the tail of
        // a long chain can be picked too (as Redis 7.0.15's dictGetSomeKeys).
        let mut picked: Vec<&'a Entry<V>> = Vec::with_capacity(count);
        let mut stored = 0usize;
        let tables = if self.rehash_idx.is_some() { 2 } else { 1 };
        let maxsize = self.ht[0].buckets.len().max(self.ht[1].buckets.len());
        let mask = maxsize - 1;
        let mut i = rng.next_u64() as usize & mask;
        let mut max_steps = count * 10;
        let mut empty_run = 0;
        'walk: while stored < count && max_steps > 0 {
            max_steps -= 1;
            for t in 0..tables {
                if t == 0 {
                    if let Some(ri) = self.rehash_idx {
                        if i < ri {
                            // Going from a big to a small table, nothing lives
                            // below the rehash index in either table: jump.
                            if i >= self.ht[1].buckets.len() {
                                i = ri;
                            } else {
                                continue;
                            }
                        }
                    }
                }
                let table = &self.ht[t];
                if i >= table.buckets.len() {
                    continue;
                }
                let mut cur = table.buckets[i].as_deref();
                if cur.is_none() {
                    empty_run += 1;
                    if empty_run >= 5 && empty_run > count {
                        i = rng.next_u64() as usize & mask;
                        empty_run = 0;
                    }
                    continue;
                }
                empty_run = 0;
                while let Some(e) = cur {
                    if stored < count {
                        picked.push(e);
                    } else {
                        let r = rng.below(stored as u64 + 1) as usize;
                        if r < count {
                            picked[r] = e;
                        }
                    }
                    stored += 1;
                    cur = e.next.as_deref();
                }
                if stored >= count {
                    break 'walk;
                }
            }
            i = (i + 1) & mask;
        }
        for e in picked {
            f(e);
        }
    }

    /// One SCAN step: calls `f` for every element of the bucket(s) the cursor names and
    /// returns the next cursor (0 when done). Reverse-binary increments keep the
    /// guarantee across resizes, as dictScan does.
    pub fn scan<F: FnMut(&[u8], &V)>(&self, cursor: u64, mut f: F) -> u64 {
        if self.len() == 0 {
            return 0;
        }
        let mut v = cursor as usize;
        let visit = |t: &Table<V>, idx: usize, f: &mut F| {
            let mut cur = t.buckets[idx].as_deref();
            while let Some(e) = cur {
                f(&e.key, &e.val);
                cur = e.next.as_deref();
            }
        };
        if self.rehash_idx.is_none() {
            let t = &self.ht[0];
            let m0 = t.mask();
            visit(t, v & m0, &mut f);
            v |= !m0;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (small, large) = if self.ht[0].buckets.len() <= self.ht[1].buckets.len() {
                (&self.ht[0], &self.ht[1])
            } else {
                (&self.ht[1], &self.ht[0])
            };
            let m0 = small.mask();
            let m1 = large.mask();
            visit(small, v & m0, &mut f);
            loop {
                visit(large, v & m1, &mut f);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v as u64
    }
}

impl<V: Clone> Dict<V> {
    /// The entries of bucket `idx & mask` of table `t` (0, or 1 while rehashing),
    /// or None when that table is not in use: the active expire cycle walks the
    /// expires table bucket by bucket with a cursor, as Redis 7.0 does.
    pub fn bucket_entries(&self, t: usize, idx: u64, out: &mut Vec<(Box<[u8]>, V)>) -> bool {
        out.clear();
        if t == 1 && self.rehash_idx.is_none() {
            return false;
        }
        let table = &self.ht[t];
        if table.buckets.is_empty() {
            return t == 0;
        }
        let mut cur = table.buckets[idx as usize & table.mask()].as_deref();
        while let Some(e) = cur {
            out.push((e.key.to_boxed(), e.val.clone()));
            cur = e.next.as_deref();
        }
        true
    }
}

impl<V> Dict<V> {
    /// Grows the table ahead of a bulk insert (dictExpand), unless rehashing.
    pub fn expand(&mut self, n: usize) {
        if self.rehash_idx.is_some() || n <= self.ht[0].buckets.len() {
            return;
        }
        self.start_resize(n);
    }

    /// dictGetStats's text for one dict: the main table, and the rehashing
    /// target when there is one.
    pub fn stats_text(&self) -> String {
        let mut s = self.table_stats(0);
        if self.rehash_idx.is_some() {
            s.push_str(&self.table_stats(1));
        }
        s
    }

    fn table_stats(&self, t: usize) -> String {
        const VECTLEN: usize = 50;
        let which = if t == 0 {
            "main hash table"
        } else {
            "rehashing target"
        };
        let table = &self.ht[t];
        if table.used == 0 {
            return format!(
                "Hash table {} stats ({}):\nNo stats available for empty dictionaries\n",
                t, which
            );
        }
        let mut clvector = [0u64; VECTLEN];
        let (mut slots, mut maxchain, mut totchain) = (0u64, 0u64, 0u64);
        for b in &table.buckets {
            let mut n = 0u64;
            let mut cur = b.as_deref();
            while let Some(e) = cur {
                n += 1;
                cur = e.next.as_deref();
            }
            if n == 0 {
                clvector[0] += 1;
                continue;
            }
            slots += 1;
            clvector[(n as usize).min(VECTLEN - 1)] += 1;
            maxchain = maxchain.max(n);
            totchain += n;
        }
        let size = table.buckets.len();
        let mut s = format!(
            "Hash table {} stats ({}):\n table size: {}\n number of elements: {}\n different slots: {}\n max chain length: {}\n avg chain length (counted): {:.2}\n avg chain length (computed): {:.2}\n Chain length distribution:\n",
            t,
            which,
            size,
            table.used,
            slots,
            maxchain,
            totchain as f32 / slots as f32,
            table.used as f32 / slots as f32
        );
        for (i, &n) in clvector.iter().enumerate().take(VECTLEN - 1) {
            if n == 0 {
                continue;
            }
            s.push_str(&format!(
                "   {}: {} ({:.2}%)\n",
                i,
                n,
                (n as f32 / size as f32) * 100.0
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn insert_get_remove_across_rehash() {
        let mut d: Dict<u32> = Dict::new();
        for i in 0..10_000u32 {
            assert!(d.insert(i.to_string().as_bytes(), i).is_none());
        }
        assert_eq!(d.len(), 10_000);
        for i in 0..10_000u32 {
            assert_eq!(d.get(i.to_string().as_bytes()), Some(&i));
        }
        for i in 0..9_990u32 {
            assert_eq!(d.remove(i.to_string().as_bytes()), Some(i));
        }
        d.shrink_if_needed();
        while d.rehash_step(10) {}
        assert_eq!(d.len(), 10);
        assert_eq!(d.iter().count(), 10);
    }

    #[test]
    fn scan_sees_everything_while_growing_and_shrinking() {
        let mut d: Dict<()> = Dict::new();
        for i in 0..1000 {
            d.insert(format!("k{}", i).as_bytes(), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            round += 1;
            // grow with unrelated keys, then shrink them away again
            if round < 50 {
                for j in 0..200 {
                    d.insert(format!("x{}-{}", round, j).as_bytes(), ());
                }
            } else if round == 50 {
                let extra: Vec<Vec<u8>> = d
                    .iter()
                    .filter(|(k, _)| k[0] == b'x')
                    .map(|(k, _)| k.to_vec())
                    .collect();
                for k in extra {
                    d.remove(&k);
                }
                d.shrink_if_needed();
            }
            d.rehash_step(3);
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000 {
            assert!(
                seen.contains(format!("k{}", i).as_bytes()),
                "missing k{}",
                i
            );
        }
    }

    #[test]
    fn inserts_alone_finish_a_rehash() {
        let mut d: Dict<()> = Dict::new();
        for i in 0..100_000u32 {
            d.insert_new(i.to_string().into_bytes().into(), ());
        }
        // Every resize was driven to completion by the inserts themselves, so the
        // table kept growing with the element count (no cron involved).
        assert!(d.buckets() >= 100_000, "{}", d.stats_text());
        assert_eq!(d.len(), 100_000);
    }

    #[test]
    fn sampling() {
        let mut d: Dict<()> = Dict::new();
        let mut rng = crate::util::Rng::new();
        assert!(d.random_entry(&mut rng).is_none());
        for i in 0..100 {
            d.insert(format!("{}", i).as_bytes(), ());
        }
        assert!(d.random_entry(&mut rng).is_some());
        let mut out = Vec::new();
        d.sample_keys(20, &mut rng, &mut out);
        assert!(!out.is_empty() && out.len() <= 20);
    }
}

//! The stream data structure (Redis's stream.h / t_stream.c low level part):
//! entries live in nodes keyed by their master ID, each node a listpack laid
//! out byte for byte as Redis lays it out (master entry, then per entry
//! flags, ms/seq deltas from the master ID, optional field names, values and
//! the lp-count back pointer), so RDB save/load copy nodes verbatim through
//! the accessors and constructors at the bottom. Consumer groups, their
//! pending entries lists and consumers sit beside the nodes. The commands
//! using all this are in src/t_stream.rs.

use crate::ds::listpack::{string_to_i64, Listpack, LpValue};
use std::collections::{BTreeMap, BTreeSet};

/// Entry flag: logically deleted (a tombstone until its node goes away).
pub const FLAG_DELETED: i64 = 1;
/// Entry flag: the field names are the master entry's, only values stored.
pub const FLAG_SAMEFIELDS: i64 = 2;
/// Listpacks never grow past this whatever stream-node-max-bytes says.
const LISTPACK_MAX_SIZE: usize = 1 << 30;
/// Initial allocation of a new node (STREAM_LISTPACK_MAX_PRE_ALLOCATE).
const MAX_PRE_ALLOCATE: usize = 4096;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// streamIncrID: the successor; false (and 0-0) past the maximum.
    pub fn incr(&mut self) -> bool {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                *self = StreamId::MIN;
                return false;
            }
            self.ms += 1;
            self.seq = 0;
        } else {
            self.seq += 1;
        }
        true
    }

    /// streamDecrID: the predecessor; false (and the maximum) below 0-0.
    pub fn decr(&mut self) -> bool {
        if self.seq == 0 {
            if self.ms == 0 {
                *self = StreamId::MAX;
                return false;
            }
            self.ms -= 1;
            self.seq = u64::MAX;
        } else {
            self.seq -= 1;
        }
        true
    }

    /// The 128-bit big-endian form Redis uses as rax key and in RDB.
    pub fn to_be_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    pub fn from_be_bytes(b: &[u8; 16]) -> StreamId {
        StreamId {
            ms: u64::from_be_bytes(b[..8].try_into().unwrap()),
            seq: u64::from_be_bytes(b[8..].try_into().unwrap()),
        }
    }

    /// "<ms>-<seq>", as replies show IDs.
    pub fn to_bytes(&self) -> Vec<u8> {
        format!("{}-{}", self.ms, self.seq).into_bytes()
    }
}

/// Fields and values of one entry.
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// A pending (delivered, not acknowledged) entry of a group.
#[derive(Clone, Debug, PartialEq)]
pub struct Nack {
    /// Unix ms of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
    /// Owner; None only transiently for XCLAIM FORCE of an unowned entry.
    pub consumer: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    pub seen_time: i64,
    pub pel: BTreeSet<StreamId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CGroup {
    pub last_id: StreamId,
    /// Logical reads counter; -1 when unknown (SCG_INVALID_ENTRIES_READ).
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl CGroup {
    pub fn new(last_id: StreamId, entries_read: i64) -> CGroup {
        CGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Drops a PEL entry from the group and its owner.
    pub fn remove_nack(&mut self, id: &StreamId) -> bool {
        match self.pel.remove(id) {
            Some(n) => {
                if let Some(c) = n.consumer.and_then(|name| self.consumers.get_mut(&name)) {
                    c.pel.remove(id);
                }
                true
            }
            None => false,
        }
    }

    /// streamDelConsumer: the consumer and its pending entries go away; returns
    /// how many entries it had pending.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }
}

#[derive(Clone, Default, PartialEq)]
pub struct Stream {
    /// Master ID → node. StreamId's order is the big-endian key order.
    nodes: BTreeMap<StreamId, Listpack>,
    pub length: u64,
    pub last_id: StreamId,
    /// First live entry, 0-0 when empty.
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    pub entries_added: u64,
    /// Groups by name; None until the first group is created (as Redis).
    pub cgroups: Option<BTreeMap<Vec<u8>, CGroup>>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stream(len={}, last={:?})", self.length, self.last_id)
    }
}

/// A node that passed only the shallow RDB check (sanitize-dump-payload no)
/// can still be inconsistent: Redis's serverAssert fires where it trips.
#[cold]
fn corrupt(what: &str) -> ! {
    crate::crash::assert_failed(what, file!(), line!())
}

#[inline]
fn lp_int(lp: &Listpack, p: usize) -> i64 {
    match lp.get(p) {
        LpValue::Int(i) => i,
        LpValue::Str(s) => string_to_i64(s).unwrap_or_else(|| corrupt("lpGetInteger")),
    }
}

// Navigation goes through Listpack's first/next/prev/last, which assert each
// entry they land on (lpAssertValidEntry) as Redis does.

/// lpNext where an element must follow (Redis then reads it: assert(p)).
#[inline]
fn nx(lp: &Listpack, p: usize) -> usize {
    lp.next(p).unwrap_or_else(|| corrupt("p"))
}

/// An entry's or the master's field count: negative only in corrupt data.
#[inline]
fn count_of(lp: &Listpack, p: usize) -> usize {
    let n = lp_int(lp, p);
    if n < 0 {
        corrupt("*numfields>=0");
    }
    n as usize
}

/// One entry of a node, by position.
struct EntryPos {
    flags_pos: usize,
    flags: i64,
    id: StreamId,
    nfields: usize,
    /// First element after the entry header (a field, or a value with SAMEFIELDS).
    data: usize,
}

/// A node's master fields and where its first entry starts.
struct NodeView {
    master_fields: Vec<usize>,
    first_entry: Option<usize>,
}

fn node_header(lp: &Listpack) -> NodeView {
    let mut p = lp.first().unwrap_or_else(|| corrupt("p")); // count
    p = nx(lp, p); // deleted
    p = nx(lp, p); // master num fields
    let mf = count_of(lp, p);
    let mut master_fields = Vec::with_capacity(mf);
    for _ in 0..mf {
        p = nx(lp, p);
        master_fields.push(p);
    }
    p = nx(lp, p); // master terminator
    NodeView {
        master_fields,
        first_entry: lp.next(p),
    }
}

/// The entry whose flags are at `fp`, and the position of its lp-count.
fn parse_entry(lp: &Listpack, master: StreamId, mf: usize, fp: usize) -> (EntryPos, usize) {
    let flags = lp_int(lp, fp);
    let q = nx(lp, fp);
    let ms = lp_int(lp, q) as u64;
    let q = nx(lp, q);
    let seq = lp_int(lp, q) as u64;
    let mut q = nx(lp, q);
    let (nfields, elems) = if flags & FLAG_SAMEFIELDS != 0 {
        (mf, mf)
    } else {
        let n = count_of(lp, q);
        q = nx(lp, q);
        (n, 2 * n)
    };
    let data = q;
    for _ in 0..elems {
        q = nx(lp, q);
    }
    let e = EntryPos {
        flags_pos: fp,
        flags,
        id: StreamId::new(master.ms.wrapping_add(ms), master.seq.wrapping_add(seq)),
        nfields,
        data,
    };
    (e, q)
}

/// lpGetEdgeStreamID(last): the node's last entry, tombstone or not.
fn last_entry_id(master: StreamId, lp: &Listpack) -> Option<StreamId> {
    let lc = lp.last()?;
    let n = count_of(lp, lc);
    if n == 0 {
        return None;
    }
    let mut fp = lc;
    for _ in 0..n {
        fp = lp.prev(fp).unwrap_or_else(|| corrupt("p"));
    }
    let q = nx(lp, fp);
    let ms = lp_int(lp, q) as u64;
    let seq = lp_int(lp, nx(lp, q)) as u64;
    Some(StreamId::new(
        master.ms.wrapping_add(ms),
        master.seq.wrapping_add(seq),
    ))
}

/// Every entry of a node, in order (deletion and trimming walk them all).
fn node_entries(master: StreamId, lp: &Listpack) -> Vec<EntryPos> {
    let view = node_header(lp);
    let mf = view.master_fields.len();
    let mut entries = Vec::new();
    let mut cur = view.first_entry;
    while let Some(fp) = cur {
        let (e, lc) = parse_entry(lp, master, mf, fp);
        entries.push(e);
        cur = lp.next(lc);
    }
    entries
}

fn entry_fields(lp: &Listpack, view: &NodeView, e: &EntryPos) -> Fields {
    let mut out = Vec::with_capacity(e.nfields);
    let mut p = e.data;
    let same = e.flags & FLAG_SAMEFIELDS != 0;
    for i in 0..e.nfields {
        let f = if same {
            lp.get(view.master_fields[i]).to_vec()
        } else {
            let f = lp.get(p).to_vec();
            p = nx(lp, p);
            f
        };
        let v = lp.get(p).to_vec();
        if i + 1 < e.nfields {
            p = nx(lp, p);
        }
        out.push((f, v));
    }
    out
}

/// How XADD/XTRIM trim (streamAddTrimArgs minus the parsing state).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrimStrategy {
    None,
    MaxLen(u64),
    MinId(StreamId),
}

/// Node size limits at the time of an append.
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: i64,
}

/// Why an append failed.
#[derive(Debug, PartialEq)]
pub enum AppendError {
    /// The ID is not greater than the last one (EDOM).
    IdTooSmall,
    /// Elements too large for a listpack (ERANGE).
    TooLarge,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// streamAppendItem. `use_id` is an explicit ID; with `seq_given` false
    /// only its ms part counts and the sequence is generated.
    pub fn append(
        &mut self,
        fields: &[(&[u8], &[u8])],
        use_id: Option<StreamId>,
        seq_given: bool,
        now_ms: u64,
        limits: NodeLimits,
    ) -> Result<StreamId, AppendError> {
        let id = match use_id {
            Some(u) if seq_given => u,
            Some(u) => {
                if self.last_id.ms == u.ms {
                    if self.last_id.seq == u64::MAX {
                        // Redis fails here without setting errno, so XADD
                        // reports the not-EDOM message.
                        return Err(AppendError::TooLarge);
                    }
                    StreamId::new(u.ms, self.last_id.seq + 1)
                } else {
                    u
                }
            }
            None => {
                if now_ms > self.last_id.ms {
                    StreamId::new(now_ms, 0)
                } else {
                    let mut i = self.last_id;
                    i.incr();
                    i
                }
            }
        };
        if id <= self.last_id {
            return Err(AppendError::IdTooSmall);
        }
        let totelelen: usize = fields.iter().map(|(f, v)| f.len() + v.len()).sum();
        if totelelen > LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }

        // Can we append to the tail node?
        let mut tail: Option<StreamId> = None;
        if let Some((&k, lp)) = self.nodes.iter_mut().next_back() {
            let mut max_bytes = limits.max_bytes;
            if max_bytes == 0 || max_bytes > LISTPACK_MAX_SIZE {
                max_bytes = LISTPACK_MAX_SIZE;
            }
            let mut new_node = lp.total_bytes() + totelelen >= max_bytes;
            if !new_node && limits.max_entries != 0 {
                let p = lp.first().unwrap_or_else(|| corrupt("p"));
                let count = lp_int(lp, p) + lp_int(lp, nx(lp, p));
                new_node = count >= limits.max_entries;
            }
            if new_node {
                lp.shrink_to_fit();
            } else {
                tail = Some(k);
            }
        }

        let mut flags = 0;
        let master = match tail {
            None => {
                let mut prealloc = MAX_PRE_ALLOCATE;
                if limits.max_bytes > 0 && limits.max_bytes < prealloc {
                    prealloc = limits.max_bytes;
                }
                let mut buf = Vec::with_capacity(prealloc.max(7));
                buf.extend_from_slice(&Listpack::new().into_bytes());
                let mut lp = Listpack::from_bytes_unchecked(buf);
                lp.append_int(1);
                lp.append_int(0);
                lp.append_int(fields.len() as i64);
                for (f, _) in fields {
                    lp.append(f);
                }
                lp.append_int(0);
                self.nodes.insert(id, lp);
                flags |= FLAG_SAMEFIELDS;
                id
            }
            Some(k) => {
                let lp = self.nodes.get_mut(&k).unwrap();
                let p = lp.first().unwrap_or_else(|| corrupt("p"));
                let count = lp_int(lp, p);
                lp.replace_int(p, count + 1);
                let p = nx(lp, nx(lp, p));
                let mf = lp_int(lp, p);
                if mf == fields.len() as i64 {
                    let mut q = p;
                    let mut same = true;
                    for (f, _) in fields {
                        q = nx(lp, q);
                        if !lp.get(q).eq_bytes(f) {
                            same = false;
                            break;
                        }
                    }
                    if same {
                        flags |= FLAG_SAMEFIELDS;
                    }
                }
                k
            }
        };
        let lp = self.nodes.get_mut(&master).unwrap();
        let cap_before = lp.capacity();
        lp.append_int(flags);
        lp.append_int(id.ms.wrapping_sub(master.ms) as i64);
        lp.append_int(id.seq.wrapping_sub(master.seq) as i64);
        if flags & FLAG_SAMEFIELDS == 0 {
            lp.append_int(fields.len() as i64);
        }
        for (f, v) in fields {
            if flags & FLAG_SAMEFIELDS == 0 {
                lp.append(f);
            }
            lp.append(v);
        }
        let mut lp_count = fields.len() as i64 + 3;
        if flags & FLAG_SAMEFIELDS == 0 {
            lp_count += fields.len() as i64 + 1;
        }
        lp.append_int(lp_count);
        // Redis reallocates a node to its exact size when it outgrows its
        // allocation; doubling would make MEMORY USAGE disagree.
        if lp.capacity() != cap_before {
            lp.shrink_to_fit();
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Entries with start <= ID <= end (tombstones skipped), in order or
    /// reversed, at most `count` of them (0: all).
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        count: usize,
    ) -> Vec<(StreamId, Fields)> {
        let mut out = Vec::new();
        self.scan(start, end, rev, true, |lp, view, e| {
            out.push((e.id, entry_fields(lp, view, e)));
            count == 0 || out.len() < count
        });
        out
    }

    /// Visits entries in range (with or without tombstones) until `f` says stop.
    fn scan(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        skip_tombstones: bool,
        mut f: impl FnMut(&Listpack, &NodeView, &EntryPos) -> bool,
    ) {
        // No shortcut for start > end: Redis's iterator still walks (and
        // checks) the entries up to the first one out of range.
        if !rev {
            let from = self
                .nodes
                .range(..=start)
                .next_back()
                .map(|(k, _)| *k)
                .unwrap_or(StreamId::MIN);
            for (&k, lp) in self.nodes.range(from..) {
                if k > end {
                    return;
                }
                let view = node_header(lp);
                let mf = view.master_fields.len();
                let mut cur = view.first_entry;
                while let Some(fp) = cur {
                    let (e, lc) = parse_entry(lp, k, mf, fp);
                    cur = lp.next(lc);
                    if e.id < start || (skip_tombstones && e.flags & FLAG_DELETED != 0) {
                        continue;
                    }
                    if e.id > end {
                        return;
                    }
                    if !f(lp, &view, &e) {
                        return;
                    }
                }
            }
        } else {
            // raxSeek("<=", end), falling back to the first node when every
            // node starts after `end`: Redis still walks that node's entries.
            let Some(top) = self
                .nodes
                .range(..=end)
                .next_back()
                .or_else(|| self.nodes.iter().next())
                .map(|(k, _)| *k)
            else {
                return;
            };
            for (&k, lp) in self.nodes.range(..=top).rev() {
                let view = node_header(lp);
                let mf = view.master_fields.len();
                // Walk back from the tail through each entry's lp-count; the
                // master entry's terminator (0) ends the node.
                let mut q = lp.last();
                while let Some(lc) = q {
                    let n = count_of(lp, lc);
                    if n == 0 {
                        break;
                    }
                    let mut fp = lc;
                    for _ in 0..n {
                        fp = lp.prev(fp).unwrap_or_else(|| corrupt("p"));
                    }
                    q = Some(lp.prev(fp).unwrap_or_else(|| corrupt("p")));
                    let (e, _) = parse_entry(lp, k, mf, fp);
                    if e.id > end || (skip_tombstones && e.flags & FLAG_DELETED != 0) {
                        continue;
                    }
                    if e.id < start {
                        return;
                    }
                    if !f(lp, &view, &e) {
                        return;
                    }
                }
            }
        }
    }

    /// streamEntryExists: a live entry with this ID.
    pub fn entry_exists(&self, id: StreamId) -> bool {
        let mut found = false;
        self.scan(id, id, false, true, |_, _, _| {
            found = true;
            false
        });
        found
    }

    /// One live entry's fields.
    pub fn get(&self, id: StreamId) -> Option<Fields> {
        self.range(id, id, false, 1).pop().map(|(_, f)| f)
    }

    /// streamGetEdgeID: first or last entry ID, optionally counting
    /// tombstones; None when there is none.
    pub fn edge_id(&self, first: bool, skip_tombstones: bool) -> Option<StreamId> {
        let mut found = None;
        self.scan(
            StreamId::MIN,
            StreamId::MAX,
            !first,
            skip_tombstones,
            |_, _, e| {
                found = Some(e.id);
                false
            },
        );
        found
    }

    /// streamDeleteItem: flags the entry deleted (dropping its node when it
    /// was the node's last live entry). Does not touch first/max-deleted IDs.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&k, lp)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let entries = node_entries(k, lp);
        let Some(e) = entries
            .iter()
            .find(|e| e.id == id && e.flags & FLAG_DELETED == 0)
        else {
            return false;
        };
        lp.replace_int(e.flags_pos, e.flags | FLAG_DELETED);
        let p = lp.first().unwrap_or_else(|| corrupt("p"));
        let count = lp_int(lp, p);
        if count == 1 {
            self.nodes.remove(&k);
        } else {
            lp.replace_int(p, count - 1);
            let p = nx(lp, p);
            let del = lp_int(lp, p);
            lp.replace_int(p, del + 1);
        }
        self.length = self.length.saturating_sub(1);
        true
    }

    /// XDEL's bookkeeping around `delete`: first and max deleted IDs.
    pub fn delete_ids(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first_entry = false;
        for id in ids {
            if self.delete(*id) {
                if *id == self.first_id {
                    first_entry = true;
                }
                if *id > self.max_deleted_entry_id {
                    self.max_deleted_entry_id = *id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first_entry {
                self.first_id = self.edge_id(true, true).unwrap_or(StreamId::MAX);
            }
        }
        deleted
    }

    /// streamTrim: removes old entries per `strategy`; `approx` only drops
    /// whole nodes; `limit` (0: none) caps the entries removed.
    pub fn trim(&mut self, strategy: TrimStrategy, approx: bool, limit: i64) -> i64 {
        if strategy == TrimStrategy::None {
            return 0;
        }
        let mut deleted: i64 = 0;
        loop {
            let Some((&k, lp)) = self.nodes.iter_mut().next() else {
                break;
            };
            if let TrimStrategy::MaxLen(maxlen) = strategy {
                if self.length <= maxlen {
                    break;
                }
            }
            let head = lp.first().unwrap_or_else(|| corrupt("p"));
            let entries = lp_int(lp, head);
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match strategy {
                TrimStrategy::MaxLen(maxlen) => {
                    self.length.saturating_sub(entries.max(0) as u64) >= maxlen
                }
                TrimStrategy::MinId(min) => last_entry_id(k, lp).map_or(true, |id| id < min),
                TrimStrategy::None => unreachable!(),
            };
            if remove_node {
                self.nodes.remove(&k);
                self.length = self.length.saturating_sub(entries.max(0) as u64);
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let node = node_entries(k, lp);
            let mut deleted_from_lp = 0;
            for e in &node {
                let stop = match strategy {
                    TrimStrategy::MaxLen(maxlen) => self.length <= maxlen,
                    TrimStrategy::MinId(min) => e.id >= min,
                    TrimStrategy::None => true,
                };
                if stop {
                    break;
                }
                if e.flags & FLAG_DELETED == 0 {
                    // Same-size rewrite: flags stay a 7-bit integer.
                    lp.replace_int(e.flags_pos, e.flags | FLAG_DELETED);
                    deleted_from_lp += 1;
                    self.length = self.length.saturating_sub(1);
                }
            }
            deleted += deleted_from_lp;
            let p = lp.first().unwrap_or_else(|| corrupt("p"));
            lp.replace_int(p, entries - deleted_from_lp);
            let p = nx(lp, p);
            let marked = lp_int(lp, p);
            lp.replace_int(p, marked + deleted_from_lp);
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.edge_id(true, true).unwrap_or(StreamId::MAX);
        }
        deleted
    }

    /// streamLastValidID: the last live entry's ID (0-0 when empty).
    pub fn last_valid_id(&self) -> StreamId {
        match self.edge_id(false, true) {
            Some(id) => id,
            None if self.length > 0 => crate::crash::server_panic(
                &format!("Corrupt stream, length is {}, but no max id", self.length),
                file!(),
                line!(),
            ),
            None => StreamId::MIN,
        }
    }

    /// streamRangeHasTombstones (start/end None: open).
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        let s = start.unwrap_or(StreamId::MIN);
        let e = end.unwrap_or(StreamId::MAX);
        s <= self.max_deleted_entry_id && self.max_deleted_entry_id <= e
    }

    /// streamEstimateDistanceFromFirstEverEntry: -1 when unknowable.
    pub fn estimate_distance_from_first_ever_entry(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return -1;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        -1
    }

    /// streamReplyWithCGLag's number: None when it can't be known.
    pub fn group_lag(&self, cg: &CGroup) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if cg.entries_read != -1 && !self.range_has_tombstones(Some(cg.last_id), None) {
            return Some(self.entries_added as i64 - cg.entries_read);
        }
        let er = self.estimate_distance_from_first_ever_entry(cg.last_id);
        if er != -1 {
            Some(self.entries_added as i64 - er)
        } else {
            None
        }
    }

    pub fn group(&self, name: &[u8]) -> Option<&CGroup> {
        self.cgroups.as_ref()?.get(name)
    }

    pub fn group_mut(&mut self, name: &[u8]) -> Option<&mut CGroup> {
        self.cgroups.as_mut()?.get_mut(name)
    }

    /// streamCreateCG: false when the name is taken.
    pub fn create_group(&mut self, name: &[u8], last_id: StreamId, entries_read: i64) -> bool {
        let g = self.cgroups.get_or_insert_with(BTreeMap::new);
        if g.contains_key(name) {
            return false;
        }
        g.insert(name.to_vec(), CGroup::new(last_id, entries_read));
        true
    }

    pub fn groups_len(&self) -> usize {
        self.cgroups.as_ref().map_or(0, |g| g.len())
    }

    // ------------------------------------------------ sizes, for INFO/MEMORY

    /// Number of nodes (rax keys).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Nodes in ID order: (master ID, listpack bytes).
    pub fn nodes(&self) -> impl DoubleEndedIterator<Item = (StreamId, &[u8])> + '_ {
        self.nodes.iter().map(|(k, lp)| (*k, lp.as_bytes()))
    }

    /// Allocated bytes of each node, in order.
    pub fn node_capacities(&self) -> impl DoubleEndedIterator<Item = usize> + '_ {
        self.nodes.values().map(|lp| lp.capacity())
    }

    /// rax->numnodes of the rax Redis would hold for these nodes.
    pub fn rax_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        rax_node_count(&refs)
    }

    // ------------------------------------------------ construction from parts
    //
    // RDB (types 15 and 19) maps onto these directly: save writes `nodes()`
    // (key = `StreamId::to_be_bytes`, value = the listpack bytes as they are),
    // the public counters, then `cgroups` (each group's `pel` with delivery
    // time/count, each consumer's `seen_time` and `pel` IDs). Load checks
    // each node with `validate_node`, builds the stream with `from_parts`,
    // and adds groups with `add_group`, setting every `Nack::consumer` to the
    // consumer whose PEL lists the ID. For type 15 (no first ID, max deleted
    // ID, entries added, entries read) Redis uses `edge_id(true, true)` as
    // first ID, `length` as entries added, 0-0 as max deleted ID and
    // `estimate_distance_from_first_ever_entry(group last ID)` as entries read.

    /// A stream from RDB parts; nodes are (master ID, listpack bytes) and must
    /// be valid stream nodes (see `validate_node`).
    pub fn from_parts(
        nodes: Vec<(StreamId, Vec<u8>)>,
        length: u64,
        last_id: StreamId,
        first_id: StreamId,
        max_deleted_entry_id: StreamId,
        entries_added: u64,
    ) -> Stream {
        Stream {
            nodes: nodes
                .into_iter()
                .map(|(k, b)| (k, Listpack::from_bytes_unchecked(b)))
                .collect(),
            length,
            last_id,
            first_id,
            max_deleted_entry_id,
            entries_added,
            cgroups: None,
        }
    }

    /// Adds a loaded group (with its PEL and consumers); false if the name exists.
    pub fn add_group(&mut self, name: &[u8], g: CGroup) -> bool {
        let gs = self.cgroups.get_or_insert_with(BTreeMap::new);
        if gs.contains_key(name) {
            return false;
        }
        gs.insert(name.to_vec(), g);
        true
    }
}

/// streamValidateListpackIntegrity's deep part: the node is a well-formed
/// stream node (master entry, entries whose lp-count matches).
pub fn validate_node(buf: &[u8]) -> bool {
    let Some(lp) = Listpack::from_bytes(buf.to_vec(), true) else {
        return false;
    };
    let mut it = lp.iter();
    let next_int = |it: &mut crate::ds::listpack::Iter| -> Option<i64> {
        match it.next()? {
            LpValue::Int(i) => Some(i),
            LpValue::Str(s) => string_to_i64(s),
        }
    };
    let Some(count) = next_int(&mut it) else {
        return false;
    };
    let Some(deleted) = next_int(&mut it) else {
        return false;
    };
    let Some(mf) = next_int(&mut it) else {
        return false;
    };
    for _ in 0..mf {
        if it.next().is_none() {
            return false;
        }
    }
    if next_int(&mut it) != Some(0) {
        return false;
    }
    let mut n = count + deleted;
    while n > 0 {
        n -= 1;
        let Some(flags) = next_int(&mut it) else {
            return false;
        };
        if next_int(&mut it).is_none() || next_int(&mut it).is_none() {
            return false;
        }
        let (mut fields, mut extra) = (mf, 3);
        if flags & FLAG_SAMEFIELDS == 0 {
            let Some(f) = next_int(&mut it) else {
                return false;
            };
            fields = f;
            for _ in 0..f {
                if it.next().is_none() {
                    return false;
                }
            }
            extra += f + 1;
        }
        for _ in 0..fields {
            if it.next().is_none() {
                return false;
            }
        }
        if next_int(&mut it) != Some(fields + extra) {
            return false;
        }
    }
    it.next().is_none()
}

/// Number of nodes of a rax holding `keys` (sorted, unique): the root, plus
/// every trie vertex that does not sit inside a compressed chain (a vertex
/// whose parent has one child, that has one child itself and is no key).
pub fn rax_node_count(keys: &[&[u8]]) -> usize {
    fn below(keys: &[&[u8]], depth: usize) -> usize {
        // Children of the vertex at `depth`: groups by the next byte.
        let ks: Vec<&[u8]> = keys.iter().copied().filter(|k| k.len() > depth).collect();
        let mut groups: Vec<&[&[u8]]> = Vec::new();
        let mut i = 0;
        while i < ks.len() {
            let mut j = i + 1;
            while j < ks.len() && ks[j][depth] == ks[i][depth] {
                j += 1;
            }
            groups.push(&ks[i..j]);
            i = j;
        }
        let nchildren = groups.len();
        let mut n = 0;
        for g in groups {
            let is_key = g.iter().any(|k| k.len() == depth + 1);
            let mut kids = 0;
            let mut last: Option<u8> = None;
            for k in g.iter().filter(|k| k.len() > depth + 1) {
                if last != Some(k[depth + 1]) {
                    kids += 1;
                    last = Some(k[depth + 1]);
                }
            }
            if !(nchildren == 1 && kids == 1 && !is_key) {
                n += 1;
            }
            n += below(g, depth + 1);
        }
        n
    }
    1 + below(keys, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: NodeLimits = NodeLimits {
        max_bytes: 4096,
        max_entries: 100,
    };

    #[test]
    fn node_layout_matches_redis() {
        let mut s = Stream::new();
        s.append(&[(b"f", b"v")], Some(StreamId::new(1, 1)), true, 0, L)
            .unwrap();
        let (k, bytes) = s.nodes().next().unwrap();
        assert_eq!(k, StreamId::new(1, 1));
        let expect: &[u8] = &[
            0x1d, 0, 0, 0, 0x0a, 0, 0x01, 0x01, 0x00, 0x01, 0x01, 0x01, 0x81, 0x66, 0x02, 0x00,
            0x01, 0x02, 0x01, 0x00, 0x01, 0x00, 0x01, 0x81, 0x76, 0x02, 0x04, 0x01, 0xff,
        ];
        assert_eq!(bytes, expect);
        assert!(validate_node(bytes));
    }

    #[test]
    fn append_range_delete_trim() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            let v = i.to_string();
            s.append(
                &[(b"a", v.as_bytes())],
                Some(StreamId::new(i, 0)),
                true,
                0,
                L,
            )
            .unwrap();
        }
        assert_eq!(s.node_count(), 3);
        assert_eq!(s.len(), 250);
        let r = s.range(StreamId::new(99, 0), StreamId::new(102, 0), false, 0);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].1, vec![(b"a".to_vec(), b"99".to_vec())]);
        let r = s.range(StreamId::MIN, StreamId::MAX, true, 2);
        assert_eq!(r[0].0, StreamId::new(250, 0));
        assert_eq!(s.delete_ids(&[StreamId::new(1, 0), StreamId::new(7, 0)]), 2);
        assert_eq!(s.first_id, StreamId::new(2, 0));
        assert!(!s.entry_exists(StreamId::new(7, 0)));
        assert_eq!(s.trim(TrimStrategy::MaxLen(100), true, 0), 98);
        assert_eq!(s.len(), 150);
        assert_eq!(s.trim(TrimStrategy::MaxLen(10), false, 0), 140);
        assert_eq!(s.first_id, StreamId::new(241, 0));
        assert_eq!(
            s.trim(TrimStrategy::MinId(StreamId::new(245, 0)), false, 0),
            4
        );
        assert_eq!(s.edge_id(true, true), Some(StreamId::new(245, 0)));
        assert_eq!(
            s.append(&[(b"a", b"x")], Some(StreamId::new(5, 0)), true, 0, L),
            Err(AppendError::IdTooSmall)
        );
    }

    #[test]
    fn rax_counts() {
        assert_eq!(rax_node_count(&[]), 1);
        assert_eq!(rax_node_count(&[b"abc"]), 2);
        assert_eq!(rax_node_count(&[b"abcd", b"abxy"]), 6);
    }

    #[test]
    fn ids() {
        let mut a = StreamId::new(1, u64::MAX);
        assert!(a.incr());
        assert_eq!(a, StreamId::new(2, 0));
        assert!(a.decr());
        assert_eq!(a, StreamId::new(1, u64::MAX));
        let mut z = StreamId::MIN;
        assert!(!z.decr());
        assert_eq!(StreamId::from_be_bytes(&a.to_be_bytes()), a);
    }
}

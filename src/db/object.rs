//! Values stored in the keyspace and their encodings, as Redis's object.c shows them
//! through OBJECT ENCODING / REFCOUNT / IDLETIME / FREQ and TYPE.

use crate::ds::inline_bytes::InlineBytes;

/// Strings up to this length are "embstr" when created whole (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_SIZE_LIMIT: usize = 44;
/// Integers below this are shared objects (OBJ_SHARED_INTEGERS).
pub const SHARED_INTEGERS: i64 = 10000;
/// The refcount Redis reports for shared objects (OBJ_SHARED_REFCOUNT).
pub const SHARED_REFCOUNT: i64 = i32::MAX as i64;

pub enum StrEnc {
    /// An integer: "int" encoding; `shared` when it would be one of Redis's shared integers.
    Int {
        v: i64,
        shared: bool,
    },
    /// Up to EMBSTR_SIZE_LIMIT bytes, kept inside the object when they fit (no
    /// allocation of their own, as Redis embeds them in the robj).
    Embstr(InlineBytes),
    Raw(Vec<u8>),
}

pub enum Value {
    Str(StrEnc),
    /// A list: Redis 7.0 always stores lists as a quicklist (OBJECT ENCODING "quicklist").
    List(Box<crate::ds::quicklist::Quicklist>),
    Hash(crate::t_hash::HashVal),
    Set(crate::t_set::SetVal),
    /// A sorted set: "listpack" while small, "skiplist" (dict + skiplist) after.
    ZSet(crate::t_zset::ZSet),
    /// A stream (OBJECT ENCODING "stream"): listpack nodes plus consumer groups.
    Stream(Box<crate::ds::stream::Stream>),
}

pub struct Obj {
    pub val: Value,
    /// LRU clock (seconds resolution, 24 bits) or LFU data, as Redis's robj.lru.
    pub lru: u32,
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(StrEnc::Int { .. }) => "int",
            Value::Str(StrEnc::Embstr(_)) => "embstr",
            Value::Str(StrEnc::Raw(_)) => "raw",
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
            Value::Stream(_) => "stream",
        }
    }
}

impl StrEnc {
    /// A string value as SET stores it: tryObjectEncoding's rules (integers that
    /// round-trip become "int", short strings "embstr", others "raw").
    pub fn from_bytes(b: &[u8], share_ints: bool) -> StrEnc {
        if b.len() <= 20 {
            if let Some(v) = crate::util::parse_i64(b) {
                return StrEnc::from_int(v, share_ints);
            }
        }
        if b.len() <= EMBSTR_SIZE_LIMIT {
            StrEnc::Embstr(InlineBytes::from_slice(b))
        } else {
            StrEnc::Raw(b.to_vec())
        }
    }

    /// A string with no encoding attempt (APPEND/SETRANGE results, raw from the start).
    pub fn raw(b: Vec<u8>) -> StrEnc {
        StrEnc::Raw(b)
    }

    pub fn from_int(v: i64, share_ints: bool) -> StrEnc {
        StrEnc::Int {
            v,
            shared: share_ints && (0..SHARED_INTEGERS).contains(&v),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrEnc::Int { v, .. } => {
                let mut b = [0u8; 20];
                crate::util::fmt_i64(*v, &mut b).len()
            }
            StrEnc::Embstr(s) => s.len(),
            StrEnc::Raw(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, formatting integers into `tmp`.
    #[inline]
    pub fn as_bytes<'a>(&'a self, tmp: &'a mut [u8; 20]) -> &'a [u8] {
        match self {
            StrEnc::Int { v, .. } => crate::util::fmt_i64(*v, tmp),
            StrEnc::Embstr(s) => s,
            StrEnc::Raw(s) => s,
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut t = [0u8; 20];
        self.as_bytes(&mut t).to_vec()
    }

    /// Turns the value into a mutable raw buffer (APPEND, SETRANGE, SETBIT), as
    /// dbUnshareStringValue does.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrEnc::Raw(_)) {
            let v = match std::mem::replace(self, StrEnc::Raw(Vec::new())) {
                StrEnc::Int { v, .. } => {
                    let mut t = [0u8; 20];
                    crate::util::fmt_i64(v, &mut t).to_vec()
                }
                StrEnc::Embstr(s) => s.into_vec(),
                StrEnc::Raw(s) => s,
            };
            *self = StrEnc::Raw(v);
        }
        match self {
            StrEnc::Raw(s) => s,
            _ => unreachable!(),
        }
    }

    /// The value as an integer when it is one (INCR family).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            StrEnc::Int { v, .. } => Some(*v),
            StrEnc::Embstr(s) => Self::parse_int(s),
            StrEnc::Raw(s) => Self::parse_int(s),
        }
    }

    fn parse_int(s: &[u8]) -> Option<i64> {
        if s.len() > 20 {
            None
        } else {
            crate::util::parse_i64(s)
        }
    }

    /// The stored bytes of a non-integer encoding.
    #[inline]
    pub fn stored_bytes(&self) -> Option<&[u8]> {
        match self {
            StrEnc::Int { .. } => None,
            StrEnc::Embstr(s) => Some(s),
            StrEnc::Raw(s) => Some(s),
        }
    }

    pub fn refcount(&self) -> i64 {
        match self {
            StrEnc::Int { shared: true, .. } => SHARED_REFCOUNT,
            _ => 1,
        }
    }
}

/// sdsMakeRoomFor: room for `addlen` more bytes, growing as Redis does (double
/// the needed length under 1MB, else 1MB more, up to the allocator's size class),
/// so appends reallocate when Redis's would and MEMORY USAGE reports the same
/// allocation. APPEND, SETRANGE and SETBIT grow string values through this.
pub fn sds_make_room(buf: &mut Vec<u8>, addlen: usize) {
    const SDS_MAX_PREALLOC: usize = 1024 * 1024;
    let len = buf.len();
    if buf.capacity() - len >= addlen {
        return;
    }
    let needed = len + addlen;
    let newlen = if needed < SDS_MAX_PREALLOC {
        needed * 2
    } else {
        needed + SDS_MAX_PREALLOC
    };
    use crate::server::server_cmds::{alloc_size, sds_hdr_size};
    let hdr = sds_hdr_size(newlen, false);
    let type_max = match hdr {
        3 => 255,
        5 => 65535,
        9 => u32::MAX as usize,
        _ => usize::MAX,
    };
    let usable = (alloc_size(hdr + newlen + 1) - hdr - 1).min(type_max);
    buf.reserve_exact(usable - len);
}

/// sdsgrowzero: extends with zeros to `len` bytes, growing like sdsMakeRoomFor.
pub fn sds_grow_zero(buf: &mut Vec<u8>, len: usize) {
    if len > buf.len() {
        sds_make_room(buf, len - buf.len());
        buf.resize(len, 0);
    }
}

impl Obj {
    pub fn new(val: Value, lru: u32) -> Obj {
        Obj { val, lru }
    }

    pub fn string(s: StrEnc, lru: u32) -> Obj {
        Obj {
            val: Value::Str(s),
            lru,
        }
    }
}

/// The LRU clock wraps at 24 bits (LRU_CLOCK_MAX).
pub const LRU_CLOCK_MAX: u64 = (1 << 24) - 1;
/// New objects start with this LFU counter so they are not evicted at once.
pub const LFU_INIT_VAL: u32 = 5;

impl Value {
    /// A deep copy for COPY: a new object with refcount 1 (dupStringObject keeps
    /// the encoding, but an integer copy is never a shared object).
    pub fn dup(&self) -> Value {
        match self {
            Value::Str(StrEnc::Int { v, .. }) => Value::Str(StrEnc::Int {
                v: *v,
                shared: false,
            }),
            Value::Str(StrEnc::Embstr(s)) => Value::Str(StrEnc::Embstr(s.clone())),
            Value::Str(StrEnc::Raw(s)) => Value::Str(StrEnc::Raw(s.clone())),
            Value::List(l) => Value::List(l.clone()),
            Value::Hash(h) => Value::Hash(h.dup()),
            Value::Set(s) => Value::Set(s.dup()),
            Value::ZSet(z) => Value::ZSet(z.clone()),
            Value::Stream(s) => Value::Stream(s.clone()),
        }
    }

    pub fn refcount(&self) -> i64 {
        match self {
            Value::Str(s) => s.refcount(),
            Value::List(_) => 1,
            Value::Hash(_) => 1,
            Value::Set(_) => 1,
            Value::ZSet(_) => 1,
            Value::Stream(_) => 1,
        }
    }

    /// lazyfreeGetFreeEffort: about how many allocations freeing the value takes.
    /// A string is one allocation whatever its length; aggregate types report their
    /// element count, so big ones go to the lazyfree thread.
    pub fn free_effort(&self) -> usize {
        match self {
            Value::Str(_) => 1,
            Value::List(l) => l.node_count(),
            Value::Hash(h) => h.table().map_or(1, |d| d.len()),
            Value::Set(crate::t_set::SetVal::Table(d)) => d.len(),
            Value::Set(_) => 1,
            // A listpack is one allocation; a skiplist frees a node per member.
            Value::ZSet(z) => match z {
                crate::t_zset::ZSet::Lp(_) => 1,
                crate::t_zset::ZSet::Sl(s) => s.sl.len(),
            },
            Value::Stream(s) => crate::t_stream::free_effort(s),
        }
    }

    /// DEBUG HTSTATS-KEY: dictGetStats text when the value is stored in a hash
    /// table (hashtable sets and hashes, skiplist sorted sets), else None.
    pub fn hash_table_stats(&self) -> Option<String> {
        match self {
            Value::Str(_) | Value::List(_) | Value::Stream(_) => None,
            Value::Hash(h) => h.table_stats(),
            Value::Set(s) => s.table_stats(),
            Value::ZSet(z) => z.hash_table_stats(),
        }
    }

    /// The integer when this value is one of the shared integer objects.
    #[inline]
    pub fn shared_int(&self) -> Option<i64> {
        match self {
            Value::Str(StrEnc::Int { v, shared: true }) => Some(*v),
            _ => None,
        }
    }
}

/// Minutes since the epoch, 16 bits: the LFU "last decrement time" clock.
fn lfu_minutes() -> u32 {
    ((crate::util::mstime() / 1000 / 60) & 65535) as u32
}

/// The `lru` field of a new object under an LFU policy.
pub fn lfu_initial() -> u32 {
    (lfu_minutes() << 8) | LFU_INIT_VAL
}

/// LFUDecrAndReturn: the counter after the decay owed since the last access.
pub fn lfu_decr_and_return(lru: u32, decay_time: i64) -> u32 {
    let ldt = lru >> 8;
    let counter = lru & 255;
    let now = lfu_minutes();
    let elapsed = if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    };
    let periods = if decay_time > 0 {
        elapsed as i64 / decay_time
    } else {
        0
    };
    if periods == 0 {
        counter
    } else if periods > counter as i64 {
        0
    } else {
        counter - periods as u32
    }
}

/// updateLFU: decay, then a logarithmic increment (probability 1/(base*factor+1)),
/// with `rnd` as the random draw; returns the new `lru` field.
pub fn lfu_touch(lru: u32, log_factor: i64, decay_time: i64, rnd: u64) -> u32 {
    let mut counter = lfu_decr_and_return(lru, decay_time);
    if counter < 255 {
        let r = (rnd >> 11) as f64 / (1u64 << 53) as f64;
        let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
        let p = 1.0 / (base * log_factor as f64 + 1.0);
        if r < p {
            counter += 1;
        }
    }
    (lfu_minutes() << 8) | counter
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A keyspace entry (link, inline key, object) must stay within 72 bytes, so
    /// glibc serves it from an 80-byte chunk: with the bucket pointer that is the
    /// whole cost of a small string key, under Redis's 88 bytes.
    #[test]
    fn keyspace_entry_fits_an_80_byte_chunk() {
        assert!(std::mem::size_of::<Value>() <= 32);
        assert!(std::mem::size_of::<Obj>() <= 40);
        let entry = std::mem::size_of::<crate::db::dict::Entry<Obj>>();
        assert!(crate::alloc::footprint(entry) <= 80, "{}", entry);
    }

    #[test]
    fn short_strings_need_no_allocation() {
        match StrEnc::from_bytes(b"hello", true) {
            StrEnc::Embstr(b) => assert_eq!((&*b, b.heap_len()), (&b"hello"[..], 0)),
            _ => panic!("not embstr"),
        }
        assert!(matches!(
            StrEnc::from_bytes(b"12345", true),
            StrEnc::Int { .. }
        ));
        let long = StrEnc::from_bytes(&[b'a'; EMBSTR_SIZE_LIMIT + 1], true);
        assert!(matches!(long, StrEnc::Raw(_)));
    }
}

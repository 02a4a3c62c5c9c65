//! Redis 7.0's listpack as real bytes: the compact sequence of strings and
//! integers that small lists, hashes, sorted sets (and later streams) are
//! stored in. The byte layout is Redis's own (6-byte header, self-describing
//! entries with a reverse-encoded back length, 0xFF terminator), so the
//! bytes can be written to RDB and counted by MEMORY USAGE exactly as Redis
//! does. Positions are byte offsets into the buffer; every mutation returns
//! the offsets the caller needs, as Redis's `newp` out-parameters do.

pub const HDR_SIZE: usize = 6;
const NUMELE_UNKNOWN: u16 = u16::MAX;
const EOF: u8 = 0xFF;
/// Listpacks never grow past 1GB (Redis's LISTPACK_MAX_SAFETY_SIZE).
pub const MAX_SAFETY_SIZE: usize = 1 << 30;

const ENC_6BIT_STR: u8 = 0x80;
const ENC_13BIT_INT: u8 = 0xC0;
const ENC_12BIT_STR: u8 = 0xE0;
const ENC_32BIT_STR: u8 = 0xF0;
const ENC_16BIT_INT: u8 = 0xF1;
const ENC_24BIT_INT: u8 = 0xF2;
const ENC_32BIT_INT: u8 = 0xF3;
const ENC_64BIT_INT: u8 = 0xF4;

/// One entry's value: listpacks store integer-looking strings as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpValue<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl<'a> LpValue<'a> {
    /// The value as the string Redis would reply with.
    pub fn to_vec(&self) -> Vec<u8> {
        match *self {
            LpValue::Str(s) => s.to_vec(),
            LpValue::Int(v) => v.to_string().into_bytes(),
        }
    }

    /// Appends the string form to `out` (no allocation for integers beyond `out`).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match *self {
            LpValue::Str(s) => out.extend_from_slice(s),
            LpValue::Int(v) => {
                let mut b = IntBuf::new();
                out.extend_from_slice(b.format(v));
            }
        }
    }

    /// Compares with a string as Redis's lpCompare does (integers by value).
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        match *self {
            LpValue::Str(x) => x == s,
            LpValue::Int(v) => string_to_i64(s) == Some(v),
        }
    }
}

/// Stack buffer for formatting an i64 as decimal without allocating.
pub struct IntBuf([u8; 20]);

impl IntBuf {
    pub fn new() -> Self {
        IntBuf([0; 20])
    }
    pub fn format(&mut self, v: i64) -> &[u8] {
        let mut n = v.unsigned_abs();
        let mut i = 20;
        loop {
            i -= 1;
            self.0[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if v < 0 {
            i -= 1;
            self.0[i] = b'-';
        }
        &self.0[i..]
    }
}

impl Default for IntBuf {
    fn default() -> Self {
        Self::new()
    }
}

/// Where `insert` puts the new element relative to the given position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    Before,
    After,
}

/// Redis's lpStringToInt64: strict decimal (no '+', no leading zeros, no
/// "-0"), at most 20 bytes, fitting an i64.
pub fn string_to_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' {
        (true, &s[1..])
    } else {
        (false, s)
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        if v > i64::MAX as u64 {
            return None;
        }
        Some(v as i64)
    }
}

/// Encodes an integer the way lpEncodeIntegerGetType does; returns the length.
fn encode_int(v: i64, out: &mut [u8; 9]) -> usize {
    if (0..=127).contains(&v) {
        out[0] = v as u8;
        1
    } else if (-4096..=4095).contains(&v) {
        let u = if v < 0 { (1i64 << 13) + v } else { v } as u64;
        out[0] = ((u >> 8) as u8) | ENC_13BIT_INT;
        out[1] = u as u8;
        2
    } else if (-32768..=32767).contains(&v) {
        let u = v as u64;
        out[0] = ENC_16BIT_INT;
        out[1] = u as u8;
        out[2] = (u >> 8) as u8;
        3
    } else if (-8388608..=8388607).contains(&v) {
        let u = v as u64;
        out[0] = ENC_24BIT_INT;
        out[1..4].copy_from_slice(&u.to_le_bytes()[..3]);
        4
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        out[0] = ENC_32BIT_INT;
        out[1..5].copy_from_slice(&(v as i32).to_le_bytes());
        5
    } else {
        out[0] = ENC_64BIT_INT;
        out[1..9].copy_from_slice(&v.to_le_bytes());
        9
    }
}

/// Length of the encoding header + payload of a string of `len` bytes.
fn string_enc_len(len: usize) -> usize {
    if len < 64 {
        1 + len
    } else if len < 4096 {
        2 + len
    } else {
        5 + len
    }
}

/// Bytes needed for the back length of an entry whose encoded size is `l`.
/// (Redis switches to 3 bytes at 16383, not 16384: kept for byte-exactness.)
#[inline]
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2097151 {
        3
    } else if l < 268435455 {
        4
    } else {
        5
    }
}

fn encode_backlen(l: usize, out: &mut [u8; 5]) -> usize {
    let n = backlen_size(l);
    let l = l as u64;
    // Most significant group first, without the continuation bit; every
    // following group carries 0x80 so a reader walking backwards knows
    // when to stop.
    for i in 0..n {
        let shift = 7 * (n - 1 - i);
        let group = ((l >> shift) & 127) as u8;
        out[i] = if i == 0 { group } else { group | 128 };
    }
    if n == 1 {
        out[0] = l as u8;
    }
    n
}

/// Decodes the back length whose last byte is at `end`; None if it looks corrupt.
fn decode_backlen(buf: &[u8], end: usize) -> Option<usize> {
    let mut val: u64 = 0;
    let mut shift = 0;
    let mut p = end;
    loop {
        let b = buf[p];
        val |= ((b & 127) as u64) << shift;
        if b & 128 == 0 {
            break;
        }
        shift += 7;
        if shift > 28 || p == 0 {
            return None;
        }
        p -= 1;
    }
    Some(val as usize)
}

/// Bytes of encoding+length that must be readable before the payload size is known.
fn enc_header_bytes(b: u8) -> Option<usize> {
    if b & 0x80 == 0 || b & 0xC0 == ENC_6BIT_STR || b & 0xE0 == ENC_13BIT_INT {
        return Some(1);
    }
    if b & 0xF0 == ENC_12BIT_STR {
        return Some(2);
    }
    match b {
        ENC_16BIT_INT | ENC_24BIT_INT | ENC_32BIT_INT | ENC_64BIT_INT | EOF => Some(1),
        ENC_32BIT_STR => Some(5),
        _ => None,
    }
}

/// Encoded size (encoding + payload, no backlen) of the entry at `p`.
#[inline]
fn encoded_size(buf: &[u8], p: usize) -> usize {
    let b = buf[p];
    if b & 0x80 == 0 {
        1
    } else if b & 0xC0 == ENC_6BIT_STR {
        1 + (b & 0x3F) as usize
    } else if b & 0xE0 == ENC_13BIT_INT {
        2
    } else if b & 0xF0 == ENC_12BIT_STR {
        2 + ((((b & 0xF) as usize) << 8) | buf[p + 1] as usize)
    } else {
        match b {
            ENC_16BIT_INT => 3,
            ENC_24BIT_INT => 4,
            ENC_32BIT_INT => 5,
            ENC_64BIT_INT => 9,
            ENC_32BIT_STR => {
                5 + u32::from_le_bytes([buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4]]) as usize
            }
            _ => 1, // EOF (or garbage: validation rejects it before use)
        }
    }
}

/// Full size of the entry at `p`, back length included.
#[inline]
fn entry_size(buf: &[u8], p: usize) -> usize {
    let l = encoded_size(buf, p);
    l + backlen_size(l)
}

/// Decodes the entry at `p` (which must be a valid entry, not EOF).
#[inline]
fn decode(buf: &[u8], p: usize) -> LpValue<'_> {
    let b = buf[p];
    if b & 0x80 == 0 {
        return LpValue::Int((b & 0x7F) as i64);
    }
    if b & 0xC0 == ENC_6BIT_STR {
        let n = (b & 0x3F) as usize;
        return LpValue::Str(&buf[p + 1..p + 1 + n]);
    }
    if b & 0xE0 == ENC_13BIT_INT {
        let u = (((b & 0x1F) as i64) << 8) | buf[p + 1] as i64;
        return LpValue::Int(if u >= 1 << 12 { u - (1 << 13) } else { u });
    }
    if b & 0xF0 == ENC_12BIT_STR {
        let n = (((b & 0xF) as usize) << 8) | buf[p + 1] as usize;
        return LpValue::Str(&buf[p + 2..p + 2 + n]);
    }
    match b {
        ENC_16BIT_INT => LpValue::Int(i16::from_le_bytes([buf[p + 1], buf[p + 2]]) as i64),
        ENC_24BIT_INT => {
            let u = u32::from_le_bytes([buf[p + 1], buf[p + 2], buf[p + 3], 0]);
            // Sign-extend from 24 bits.
            LpValue::Int(((u << 8) as i32 >> 8) as i64)
        }
        ENC_32BIT_INT => {
            LpValue::Int(
                i32::from_le_bytes([buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4]]) as i64,
            )
        }
        ENC_64BIT_INT => {
            let mut a = [0u8; 8];
            a.copy_from_slice(&buf[p + 1..p + 9]);
            LpValue::Int(i64::from_le_bytes(a))
        }
        ENC_32BIT_STR => {
            let n = u32::from_le_bytes([buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4]]) as usize;
            LpValue::Str(&buf[p + 5..p + 5 + n])
        }
        // Redis reports unparsable bytes as this recognisable integer.
        _ => LpValue::Int(12345678900000000 + b as i64),
    }
}

/// A listpack: Redis's exact bytes in a Vec.
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Default for Listpack {
    fn default() -> Self {
        Self::new()
    }
}

/// The encoded form of one element, ready to be copied in.
enum Encoded<'a> {
    Int([u8; 9], usize),
    Str(&'a [u8]),
}

impl<'a> Encoded<'a> {
    fn of_bytes(s: &'a [u8]) -> Self {
        match string_to_i64(s) {
            Some(v) => Self::of_int(v),
            None => Encoded::Str(s),
        }
    }
    fn of_int(v: i64) -> Self {
        let mut b = [0u8; 9];
        let n = encode_int(v, &mut b);
        Encoded::Int(b, n)
    }
    fn enc_len(&self) -> usize {
        match self {
            Encoded::Int(_, n) => *n,
            Encoded::Str(s) => string_enc_len(s.len()),
        }
    }
    /// Writes encoding + payload + backlen at `dst` (exactly `total_len()` bytes).
    fn write(&self, dst: &mut [u8]) {
        let enc = self.enc_len();
        match self {
            Encoded::Int(b, n) => dst[..*n].copy_from_slice(&b[..*n]),
            Encoded::Str(s) => {
                let len = s.len();
                let h = if len < 64 {
                    dst[0] = len as u8 | ENC_6BIT_STR;
                    1
                } else if len < 4096 {
                    dst[0] = (len >> 8) as u8 | ENC_12BIT_STR;
                    dst[1] = len as u8;
                    2
                } else {
                    dst[0] = ENC_32BIT_STR;
                    dst[1..5].copy_from_slice(&(len as u32).to_le_bytes());
                    5
                };
                dst[h..h + len].copy_from_slice(s);
            }
        }
        let mut bl = [0u8; 5];
        let n = encode_backlen(enc, &mut bl);
        dst[enc..enc + n].copy_from_slice(&bl[..n]);
    }
    fn total_len(&self) -> usize {
        let e = self.enc_len();
        e + backlen_size(e)
    }
}

impl Listpack {
    /// An empty listpack: 7 bytes (header + EOF).
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(HDR_SIZE + 1);
        buf.extend_from_slice(&[7, 0, 0, 0, 0, 0, EOF]);
        Listpack { buf }
    }

    /// Wraps bytes that `validate` accepted (or that we produced ourselves).
    pub fn from_bytes_unchecked(buf: Vec<u8>) -> Self {
        Listpack { buf }
    }

    /// Validates `buf` (deeply if asked) and wraps it.
    pub fn from_bytes(buf: Vec<u8>, deep: bool) -> Option<Self> {
        if validate(&buf, deep, |_| true) {
            Some(Listpack { buf })
        } else {
            None
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Bytes of the listpack (what the header's total-bytes field says).
    #[inline]
    pub fn total_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Bytes allocated for it (for memory accounting).
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    #[inline]
    fn header_numele(&self) -> u16 {
        u16::from_le_bytes([self.buf[4], self.buf[5]])
    }

    #[inline]
    fn set_header(&mut self, numele: u16) {
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        self.buf[4..6].copy_from_slice(&numele.to_le_bytes());
    }

    /// Number of elements (scans when the header count saturated, as lpLength).
    pub fn len(&self) -> usize {
        let n = self.header_numele();
        if n != NUMELE_UNKNOWN {
            return n as usize;
        }
        let mut count = 0;
        let mut p = self.first();
        while let Some(q) = p {
            count += 1;
            p = self.next(q);
        }
        count
    }

    pub fn is_empty(&self) -> bool {
        self.buf[HDR_SIZE] == EOF
    }

    // Navigation is Redis's lpFirst/lpNext/lpPrev/lpLast: the entry landed on
    // is validated (lpAssertValidEntry), so a listpack that passed only the
    // shallow RDB check (sanitize-dump-payload no) and turns out malformed
    // stops the server with Redis's assertion instead of being misread.

    #[inline]
    pub fn first(&self) -> Option<usize> {
        self.first_checked().unwrap_or_else(|_| invalid_entry())
    }

    #[inline]
    pub fn last(&self) -> Option<usize> {
        self.last_checked().unwrap_or_else(|_| invalid_entry())
    }

    /// The element after `p`, or None at the end.
    #[inline]
    pub fn next(&self, p: usize) -> Option<usize> {
        self.next_checked(p).unwrap_or_else(|_| invalid_entry())
    }

    /// The element before `p` (`p` may be the EOF offset), or None at the start.
    #[inline]
    pub fn prev(&self, p: usize) -> Option<usize> {
        self.prev_checked(p).unwrap_or_else(|_| invalid_entry())
    }

    /// `first` without the assertion: Err when the entry is malformed.
    #[inline]
    pub fn first_checked(&self) -> Result<Option<usize>, ()> {
        validate_next(&self.buf, HDR_SIZE).map(|q| q.map(|_| HDR_SIZE))
    }

    /// `next` without the assertion; `p` must be an entry that was itself checked.
    #[inline]
    pub fn next_checked(&self, p: usize) -> Result<Option<usize>, ()> {
        let q = p.checked_add(entry_size(&self.buf, p)).ok_or(())?;
        match validate_next(&self.buf, q)? {
            None => Ok(None),
            Some(_) => Ok(Some(q)),
        }
    }

    /// `prev` without the assertion; `p` is a checked entry or the EOF offset.
    #[inline]
    pub fn prev_checked(&self, p: usize) -> Result<Option<usize>, ()> {
        if p == HDR_SIZE {
            return Ok(None);
        }
        if p <= HDR_SIZE || p >= self.buf.len() {
            return Err(());
        }
        let l = decode_backlen(&self.buf, p - 1).ok_or(())?;
        let back = l.checked_add(backlen_size(l)).ok_or(())?;
        let q = p.checked_sub(back).ok_or(())?;
        match validate_next(&self.buf, q)? {
            Some(_) => Ok(Some(q)),
            None => Err(()),
        }
    }

    /// `last` without the assertion.
    #[inline]
    pub fn last_checked(&self) -> Result<Option<usize>, ()> {
        self.prev_checked(self.buf.len() - 1)
    }

    /// Offset of the EOF byte (insert-before here appends).
    #[inline]
    pub fn eof(&self) -> usize {
        self.buf.len() - 1
    }

    /// The element at `index` (negative counts from the tail), as lpSeek.
    pub fn seek(&self, index: i64) -> Option<usize> {
        let numele = self.header_numele();
        let mut index = index;
        let mut forward = true;
        if numele != NUMELE_UNKNOWN {
            let n = numele as i64;
            if index < 0 {
                index += n;
            }
            if index < 0 || index >= n {
                return None;
            }
            if index > n / 2 {
                forward = false;
                index -= n;
            }
        } else if index < 0 {
            forward = false;
        }
        if forward {
            let mut e = self.first();
            while index > 0 {
                e = self.next(e?);
                index -= 1;
            }
            e
        } else {
            let mut e = self.last();
            while index < -1 {
                e = self.prev(e?);
                index += 1;
            }
            e
        }
    }

    /// The value of the element at `p`.
    #[inline]
    pub fn get(&self, p: usize) -> LpValue<'_> {
        decode(&self.buf, p)
    }

    /// Full encoded size of the element at `p` (header, payload, backlen).
    pub fn entry_size(&self, p: usize) -> usize {
        entry_size(&self.buf, p)
    }

    /// Whether the element at `p` equals `s` (as lpCompare).
    pub fn compare(&self, p: usize, s: &[u8]) -> bool {
        self.get(p).eq_bytes(s)
    }

    /// Searches from `p` for an element equal to `s`, comparing one element
    /// then skipping `skip` (1 for hash fields / zset members), as lpFind.
    pub fn find(&self, p: usize, s: &[u8], skip: usize) -> Option<usize> {
        // Only strings shorter than 32 bytes can match an integer entry.
        let as_int = if s.len() < 32 { string_to_i64(s) } else { None };
        let mut p = p;
        let mut skipcnt = 0;
        while self.buf[p] != EOF {
            if skipcnt == 0 {
                match self.get(p) {
                    LpValue::Str(x) => {
                        if x == s {
                            return Some(p);
                        }
                    }
                    LpValue::Int(v) => {
                        if as_int == Some(v) {
                            return Some(p);
                        }
                    }
                }
                skipcnt = skip;
            } else {
                skipcnt -= 1;
            }
            p += entry_size(&self.buf, p);
        }
        None
    }

    /// Whether adding `add` bytes keeps the listpack under the 1GB safety cap.
    pub fn safe_to_add(&self, add: usize) -> bool {
        self.buf.len() + add <= MAX_SAFETY_SIZE
    }

    /// Replaces `old_len` bytes at `p` with the encoded element; returns `p`.
    fn splice(&mut self, p: usize, old_len: usize, e: &Encoded) -> usize {
        let new_len = e.total_len();
        let tail_end = self.buf.len();
        if new_len > old_len {
            let grow = new_len - old_len;
            self.reserve_for(tail_end + grow);
            self.buf.resize(tail_end + grow, 0);
            self.buf.copy_within(p + old_len..tail_end, p + new_len);
        } else if new_len < old_len {
            self.buf.copy_within(p + old_len..tail_end, p + new_len);
            self.buf.truncate(tail_end - (old_len - new_len));
        }
        e.write(&mut self.buf[p..p + new_len]);
        p
    }

    /// Grows the buffer the way lpInsert reallocs: to the size needed (filling the
    /// malloc chunk), not to double, since most listpacks are small values that
    /// live long (a hash of ten fields would otherwise carry up to half its size
    /// in slack). Past a few hundred bytes it grows by an eighth more, so a node
    /// filled one push at a time is not copied on every push.
    #[inline]
    fn reserve_for(&mut self, needed: usize) {
        if needed <= self.buf.capacity() {
            return;
        }
        let target = if needed <= 512 {
            needed
        } else {
            needed + needed / 8
        };
        let cap = crate::alloc::chunk_capacity(target);
        self.buf.reserve_exact(cap - self.buf.len());
    }

    fn bump_count(&mut self, delta: i64) {
        let n = self.header_numele();
        let n = if n == NUMELE_UNKNOWN {
            n
        } else {
            (n as i64 + delta) as u16
        };
        self.set_header(n);
    }

    fn insert_encoded(&mut self, p: usize, wh: Where, e: &Encoded) -> usize {
        let p = match wh {
            Where::Before => p,
            Where::After => p + entry_size(&self.buf, p),
        };
        self.splice(p, 0, e);
        self.bump_count(1);
        p
    }

    /// Inserts `s` before/after the element at `p` (Before with `eof()` appends);
    /// returns the new element's offset.
    pub fn insert(&mut self, p: usize, wh: Where, s: &[u8]) -> usize {
        self.insert_encoded(p, wh, &Encoded::of_bytes(s))
    }

    pub fn insert_int(&mut self, p: usize, wh: Where, v: i64) -> usize {
        self.insert_encoded(p, wh, &Encoded::of_int(v))
    }

    pub fn append(&mut self, s: &[u8]) -> usize {
        let p = self.eof();
        self.insert(p, Where::Before, s)
    }

    pub fn append_int(&mut self, v: i64) -> usize {
        let p = self.eof();
        self.insert_int(p, Where::Before, v)
    }

    pub fn prepend(&mut self, s: &[u8]) -> usize {
        self.insert(HDR_SIZE, Where::Before, s)
    }

    pub fn prepend_int(&mut self, v: i64) -> usize {
        self.insert_int(HDR_SIZE, Where::Before, v)
    }

    /// Replaces the element at `p` with `s`; returns its (unchanged) offset.
    pub fn replace(&mut self, p: usize, s: &[u8]) -> usize {
        let old = entry_size(&self.buf, p);
        let r = self.splice(p, old, &Encoded::of_bytes(s));
        self.set_header(self.header_numele());
        r
    }

    pub fn replace_int(&mut self, p: usize, v: i64) -> usize {
        let old = entry_size(&self.buf, p);
        let r = self.splice(p, old, &Encoded::of_int(v));
        self.set_header(self.header_numele());
        r
    }

    /// Deletes the element at `p`; returns the offset of the element that
    /// followed it, or None if it was the last.
    pub fn delete(&mut self, p: usize) -> Option<usize> {
        let old = entry_size(&self.buf, p);
        let tail_end = self.buf.len();
        self.buf.copy_within(p + old..tail_end, p);
        self.buf.truncate(tail_end - old);
        self.bump_count(-1);
        if self.buf[p] == EOF {
            None
        } else {
            Some(p)
        }
    }

    /// Deletes up to `num` elements starting at `p`; returns the offset of the
    /// element after them, or None (lpDeleteRangeWithEntry).
    pub fn delete_range_at(&mut self, p: usize, num: usize) -> Option<usize> {
        if num == 0 {
            return Some(p);
        }
        let mut tail = p;
        let mut deleted = 0;
        while deleted < num && self.buf[tail] != EOF {
            tail += entry_size(&self.buf, tail);
            deleted += 1;
        }
        let end = self.buf.len();
        self.buf.copy_within(tail..end, p);
        self.buf.truncate(end - (tail - p));
        self.bump_count(-(deleted as i64));
        if self.buf[p] == EOF {
            None
        } else {
            Some(p)
        }
    }

    /// Deletes `num` elements starting at `index` (negative from the tail).
    pub fn delete_range(&mut self, index: i64, num: usize) {
        if num == 0 {
            return;
        }
        if let Some(p) = self.seek(index) {
            self.delete_range_at(p, num);
        }
    }

    /// Appends all of `other`'s elements (the bytes are copied as they are).
    pub fn merge(&mut self, other: &Listpack) {
        let add = other.len();
        let n = self.header_numele();
        let on = other.header_numele();
        self.buf.pop();
        self.buf.extend_from_slice(&other.buf[HDR_SIZE..]);
        let total = if n == NUMELE_UNKNOWN || on == NUMELE_UNKNOWN {
            NUMELE_UNKNOWN
        } else {
            let t = n as usize + add;
            if t >= NUMELE_UNKNOWN as usize {
                NUMELE_UNKNOWN
            } else {
                t as u16
            }
        };
        self.set_header(total);
    }

    /// Iterates from head to tail.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            lp: self,
            pos: self.first(),
        }
    }

    /// Iterates from tail to head.
    pub fn iter_rev(&self) -> RevIter<'_> {
        RevIter {
            lp: self,
            pos: self.last(),
        }
    }
}

pub struct Iter<'a> {
    lp: &'a Listpack,
    pos: Option<usize>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpValue<'a>;
    #[inline]
    fn next(&mut self) -> Option<LpValue<'a>> {
        let p = self.pos?;
        self.pos = self.lp.next(p);
        Some(decode(&self.lp.buf, p))
    }
}

pub struct RevIter<'a> {
    lp: &'a Listpack,
    pos: Option<usize>,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = LpValue<'a>;
    #[inline]
    fn next(&mut self) -> Option<LpValue<'a>> {
        let p = self.pos?;
        self.pos = self.lp.prev(p);
        Some(decode(&self.lp.buf, p))
    }
}

/// lpAssertValidEntry's failure: Redis's assertion exit with its report.
#[cold]
#[inline(never)]
fn invalid_entry() -> ! {
    crate::crash::assert_failed("lpValidateNext(lp, &p, lpbytes)", file!(), line!())
}

/// Validates one entry at `p` without trusting it; returns the next offset
/// (Redis's lpValidateNext). Ok(None) means `p` was the EOF.
fn validate_next(buf: &[u8], p: usize) -> Result<Option<usize>, ()> {
    let last = buf.len() - 1;
    if p < HDR_SIZE || p > last {
        return Err(());
    }
    if buf[p] == EOF {
        return Ok(None);
    }
    let hdr = enc_header_bytes(buf[p]).ok_or(())?;
    if p + hdr > last {
        return Err(());
    }
    let enc = encoded_size(buf, p);
    let bl = backlen_size(enc);
    let total = enc.checked_add(bl).ok_or(())?;
    if p.checked_add(total).map_or(true, |e| e > last) {
        return Err(());
    }
    let q = p + total;
    match decode_backlen(buf, q - 1) {
        Some(l) if l + bl == total => Ok(Some(q)),
        _ => Err(()),
    }
}

/// Redis's lpValidateIntegrity: header and terminator always; with `deep`,
/// every entry and the element count. `entry_cb` sees each entry's value.
pub fn validate(buf: &[u8], deep: bool, mut entry_cb: impl FnMut(LpValue) -> bool) -> bool {
    if buf.len() < HDR_SIZE + 1 {
        return false;
    }
    let total = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if total != buf.len() || buf[buf.len() - 1] != EOF {
        return false;
    }
    if !deep {
        return true;
    }
    let numele = u16::from_le_bytes([buf[4], buf[5]]);
    let mut count: u32 = 0;
    let mut p = HDR_SIZE;
    while buf[p] != EOF {
        let q = match validate_next(buf, p) {
            Ok(Some(q)) => q,
            _ => return false,
        };
        if !entry_cb(decode(buf, p)) {
            return false;
        }
        count += 1;
        p = q;
    }
    if p != buf.len() - 1 {
        return false;
    }
    numele == NUMELE_UNKNOWN || numele as u32 == count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_listpacks_carry_no_slack_beyond_their_malloc_chunk() {
        let mut lp = Listpack::new();
        for i in 0..20 {
            lp.append(format!("field:{}", i).as_bytes());
            let cap = crate::alloc::chunk_capacity(lp.total_bytes());
            assert!(lp.capacity() <= cap, "{} > {}", lp.capacity(), cap);
        }
    }

    fn lp_of(items: &[&[u8]]) -> Listpack {
        let mut lp = Listpack::new();
        for i in items {
            lp.append(i);
        }
        lp
    }

    #[test]
    fn checked_navigation_refuses_malformed_entries() {
        let lp = lp_of(&[b"a", b"bc", b"7"]);
        let p = lp.first_checked().unwrap().unwrap();
        let q = lp.next_checked(p).unwrap().unwrap();
        assert_eq!(lp.prev_checked(q), Ok(Some(p)));
        assert!(lp.last_checked().unwrap().is_some());
        // A string entry claiming more bytes than the listpack holds.
        let mut bad = lp.as_bytes().to_vec();
        bad[q] = 0x80 | 60;
        let bad = Listpack::from_bytes(bad, false).unwrap();
        assert_eq!(bad.next_checked(p), Err(()));
        // A back length that does not match its entry.
        let mut bad = lp.as_bytes().to_vec();
        let eof = bad.len() - 1;
        bad[eof - 1] = 9;
        let bad = Listpack::from_bytes(bad, false).unwrap();
        assert_eq!(bad.last_checked(), Err(()));
    }

    #[test]
    fn empty_listpack_bytes() {
        assert_eq!(Listpack::new().as_bytes(), &[7, 0, 0, 0, 0, 0, 0xFF]);
        assert!(validate(Listpack::new().as_bytes(), true, |_| true));
    }

    #[test]
    fn exact_bytes_small_entries() {
        // Real Redis 7.0: RPUSH l a 1 -1 → listpack
        // 10 00 00 00 | 03 00 | 81 61 02 | 01 01 | df ff 02 | ff  (total 16? computed below)
        let lp = lp_of(&[b"a", b"1", b"-1"]);
        assert_eq!(
            lp.as_bytes(),
            &[15, 0, 0, 0, 3, 0, 0x81, b'a', 2, 0x01, 1, 0xDF, 0xFF, 2, 0xFF][..]
        );
    }

    #[test]
    fn integer_encodings() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"0", &[0x00, 1]),
            (b"127", &[0x7F, 1]),
            (b"128", &[0xC0, 0x80, 2]),
            (b"4095", &[0xCF, 0xFF, 2]),
            (b"-4096", &[0xD0, 0x00, 2]),
            (b"4096", &[0xF1, 0x00, 0x10, 3]),
            (b"-32768", &[0xF1, 0x00, 0x80, 3]),
            (b"32768", &[0xF2, 0x00, 0x80, 0x00, 4]),
            (b"-8388608", &[0xF2, 0x00, 0x00, 0x80, 4]),
            (b"8388608", &[0xF3, 0x00, 0x00, 0x80, 0x00, 5]),
            (b"-2147483648", &[0xF3, 0, 0, 0, 0x80, 5]),
            (b"2147483648", &[0xF4, 0, 0, 0, 0x80, 0, 0, 0, 0, 9]),
            (
                b"-9223372036854775808",
                &[0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80, 9],
            ),
            (
                b"9223372036854775807",
                &[0xF4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 9],
            ),
        ];
        for (s, bytes) in cases {
            let lp = lp_of(&[s]);
            assert_eq!(&lp.as_bytes()[6..lp.total_bytes() - 1], *bytes, "{:?}", s);
            assert_eq!(lp.get(6), LpValue::Int(string_to_i64(s).unwrap()));
            assert_eq!(lp.get(6).to_vec(), s.to_vec());
        }
    }

    #[test]
    fn non_canonical_numbers_stay_strings() {
        for s in [
            &b"01"[..],
            b"-0",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"",
            b"-",
        ] {
            let lp = lp_of(&[s]);
            assert_eq!(lp.get(6), LpValue::Str(s), "{:?}", s);
        }
    }

    #[test]
    fn string_encodings_and_backlen() {
        // 63 bytes: 6-bit string, entry 64 bytes → 1-byte backlen 64.
        let s63 = vec![b'x'; 63];
        let lp = lp_of(&[&s63]);
        assert_eq!(lp.as_bytes()[6], 0x80 | 63);
        assert_eq!(lp.as_bytes()[6 + 64], 64);
        assert_eq!(lp.total_bytes(), 6 + 65 + 1);
        // 64 bytes: 12-bit string header E0 40, entry 66 → 1-byte backlen.
        let s64 = vec![b'y'; 64];
        let lp = lp_of(&[&s64]);
        assert_eq!(&lp.as_bytes()[6..8], &[0xE0, 64]);
        assert_eq!(lp.as_bytes()[6 + 66], 66);
        // 200 bytes: entry 202 → 2-byte backlen [202>>7, (202&127)|128].
        let s200 = vec![b'z'; 200];
        let lp = lp_of(&[&s200]);
        assert_eq!(&lp.as_bytes()[6..8], &[0xE0, 200]);
        assert_eq!(&lp.as_bytes()[6 + 202..6 + 204], &[1, (202 & 127) | 128]);
        assert_eq!(lp.last(), Some(6));
        // 5000 bytes: 32-bit string header.
        let s5k = vec![b'w'; 5000];
        let lp = lp_of(&[b"a", &s5k, b"b"]);
        assert_eq!(&lp.as_bytes()[9..14], &[0xF0, 0x88, 0x13, 0, 0]);
        assert_eq!(lp.get(lp.seek(1).unwrap()), LpValue::Str(&s5k));
        assert_eq!(lp.get(lp.seek(-1).unwrap()), LpValue::Str(b"b"));
        assert_eq!(lp.prev(lp.seek(2).unwrap()), Some(9));
        assert!(validate(lp.as_bytes(), true, |_| true));
    }

    #[test]
    fn backlen_quirk_at_16383() {
        let mut b = [0u8; 5];
        assert_eq!(encode_backlen(16382, &mut b), 2);
        assert_eq!(encode_backlen(16383, &mut b), 3);
        assert_eq!(&b[..3], &[0, 0xFF, 0xFF]);
        assert_eq!(decode_backlen(&b, 2), Some(16383));
        for l in [
            0usize,
            127,
            128,
            16382,
            16383,
            2097150,
            2097151,
            268435454,
            268435455,
            1 << 30,
        ] {
            let n = encode_backlen(l, &mut b);
            assert_eq!(decode_backlen(&b, n - 1), Some(l), "{}", l);
        }
    }

    #[test]
    fn insert_delete_replace_seek() {
        let mut lp = lp_of(&[b"b", b"d"]);
        lp.prepend(b"a");
        let d = lp.seek(2).unwrap();
        let c = lp.insert(d, Where::Before, b"c");
        assert_eq!(lp.get(c), LpValue::Str(b"c"));
        let e = lp.insert(lp.last().unwrap(), Where::After, b"e");
        assert_eq!(lp.next(e), None);
        let all: Vec<Vec<u8>> = lp.iter().map(|v| v.to_vec()).collect();
        assert_eq!(
            all,
            vec![
                b"a".to_vec(),
                b"b".to_vec(),
                b"c".to_vec(),
                b"d".to_vec(),
                b"e".to_vec()
            ]
        );
        let rev: Vec<Vec<u8>> = lp.iter_rev().map(|v| v.to_vec()).collect();
        assert_eq!(rev.len(), 5);
        assert_eq!(rev[0], b"e");
        assert_eq!(lp.len(), 5);
        for i in -5..5 {
            let want = all[(i + 5) as usize % 5].clone();
            assert_eq!(lp.get(lp.seek(i).unwrap()).to_vec(), want);
        }
        assert_eq!(lp.seek(5), None);
        assert_eq!(lp.seek(-6), None);
        // Replace with something longer and shorter.
        let p = lp.seek(1).unwrap();
        lp.replace(p, &[b'L'; 300]);
        assert_eq!(lp.get(lp.seek(1).unwrap()).to_vec(), vec![b'L'; 300]);
        assert_eq!(lp.get(lp.seek(2).unwrap()), LpValue::Str(b"c"));
        lp.replace_int(lp.seek(1).unwrap(), -5);
        assert_eq!(lp.get(lp.seek(1).unwrap()), LpValue::Int(-5));
        assert_eq!(lp.get(lp.seek(-4).unwrap()), LpValue::Int(-5));
        // Delete.
        let next = lp.delete(lp.seek(1).unwrap()).unwrap();
        assert_eq!(lp.get(next), LpValue::Str(b"c"));
        assert_eq!(lp.delete(lp.last().unwrap()), None);
        assert_eq!(lp.len(), 3);
        lp.delete_range(0, 2);
        assert_eq!(lp.len(), 1);
        assert_eq!(lp.get(lp.first().unwrap()), LpValue::Str(b"d"));
        lp.delete_range(-1, 10);
        assert_eq!(lp, Listpack::new());
        assert!(validate(lp.as_bytes(), true, |_| true));
    }

    #[test]
    fn find_with_skip() {
        let lp = lp_of(&[b"f1", b"100", b"100", b"v", b"x", b"12"]);
        assert_eq!(lp.find(6, b"100", 1), lp.seek(2));
        assert_eq!(lp.find(6, b"100", 0), lp.seek(1));
        assert_eq!(lp.find(6, b"12", 1), None);
        assert_eq!(lp.find(6, b"12", 0), lp.seek(5));
        assert_eq!(lp.find(6, b"012", 0), None);
        assert!(lp.compare(lp.seek(1).unwrap(), b"100"));
        assert!(!lp.compare(lp.seek(1).unwrap(), b"0100"));
    }

    #[test]
    fn numele_saturates_at_65535() {
        let mut lp = Listpack::new();
        for i in 0..65536 {
            lp.append_int(i % 100);
        }
        assert_eq!(&lp.as_bytes()[4..6], &[0xFF, 0xFF]);
        assert_eq!(lp.len(), 65536);
        assert_eq!(lp.seek(-1).map(|p| lp.get(p)), Some(LpValue::Int(35)));
        assert!(validate(lp.as_bytes(), true, |_| true));
    }

    #[test]
    fn merge_and_validation_failures() {
        let mut a = lp_of(&[b"a", b"1"]);
        let b = lp_of(&[b"xyz", b"-70000"]);
        a.merge(&b);
        assert_eq!(a, lp_of(&[b"a", b"1", b"xyz", b"-70000"]));
        let good = a.as_bytes().to_vec();
        assert!(validate(&good, true, |_| true));
        let mut bad = good.clone();
        bad[4] = 9; // wrong count
        assert!(validate(&bad, false, |_| true));
        assert!(!validate(&bad, true, |_| true));
        let mut bad = good.clone();
        bad.pop();
        assert!(!validate(&bad, false, |_| true));
        let mut bad = good.clone();
        bad[8] = 7; // corrupt backlen of first entry
        assert!(!validate(&bad, true, |_| true));
        let mut bad = good.clone();
        bad[6] = 0xF5; // invalid encoding byte
        assert!(!validate(&bad, true, |_| true));
        assert!(!validate(&good, true, |v| v != LpValue::Str(b"xyz")));
        assert!(Listpack::from_bytes(good, true).is_some());
    }
}

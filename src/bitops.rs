//! Bitmap commands over string values (Redis's bitops.c): SETBIT/GETBIT, BITCOUNT,
//! BITPOS, BITOP and BITFIELD/BITFIELD_RO. Bit 0 is the most significant bit of the
//! first byte. Counting and scanning work a word at a time.

use crate::db::object::{Obj, StrEnc};
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use crate::t_string::{str_of, str_of_mut};
use crate::util::parse_i64;
use std::borrow::Cow;

const BIT_OFFSET_ERR: &str = "bit offset is not an integer or out of range";
const BIT_VALUE_ERR: &str = "bit is not an integer or out of range";
const BITFIELD_TYPE_ERR: &str =
    "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// Number of set bits (redisPopcount).
pub fn popcount(b: &[u8]) -> u64 {
    let mut chunks = b.chunks_exact(32);
    let mut n = 0u64;
    for ch in &mut chunks {
        let w = |i: usize| u64::from_ne_bytes(ch[i..i + 8].try_into().unwrap()).count_ones();
        n += (w(0) + w(8) + w(16) + w(24)) as u64;
    }
    let rest = chunks.remainder();
    let mut words = rest.chunks_exact(8);
    for w in &mut words {
        n += u64::from_ne_bytes(w.try_into().unwrap()).count_ones() as u64;
    }
    n + words
        .remainder()
        .iter()
        .map(|x| x.count_ones() as u64)
        .sum::<u64>()
}

#[inline]
fn bit_at(p: &[u8], pos: u64) -> bool {
    p[(pos >> 3) as usize] & (0x80 >> (pos & 7)) != 0
}

/// First bit equal to `bit` in the inclusive bit range [sbit, ebit] of `p`
/// (ebit < p.len() * 8), skipping uninteresting bytes a word at a time.
pub fn find_bit(p: &[u8], sbit: u64, ebit: u64, bit: bool) -> Option<u64> {
    let mut pos = sbit;
    while pos <= ebit && pos & 7 != 0 {
        if bit_at(p, pos) == bit {
            return Some(pos);
        }
        pos += 1;
    }
    if pos > ebit {
        return None;
    }
    let skip: u8 = if bit { 0 } else { 0xff };
    let skip_word = if bit { 0u64 } else { u64::MAX };
    let mut byte = (pos >> 3) as usize;
    let full_end = ((ebit + 1) >> 3) as usize; // exclusive end of the whole bytes
    while byte + 8 <= full_end {
        if u64::from_ne_bytes(p[byte..byte + 8].try_into().unwrap()) != skip_word {
            break;
        }
        byte += 8;
    }
    while byte < full_end {
        let v = p[byte];
        if v != skip {
            let lz = if bit {
                v.leading_zeros()
            } else {
                (!v).leading_zeros()
            };
            return Some(byte as u64 * 8 + lz as u64);
        }
        byte += 1;
    }
    pos = (byte as u64) * 8;
    while pos <= ebit {
        if bit_at(p, pos) == bit {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

/// getBitOffsetFromArgument: a bit offset, or `#N` (N * bits) when `hash`.
fn parse_bit_offset(srv: &Server, arg: &[u8], hash: bool, bits: u32) -> Option<u64> {
    let usehash = hash && bits > 0 && arg.first() == Some(&b'#');
    let mut off = parse_i64(&arg[usehash as usize..])?;
    if usehash {
        off = off.wrapping_mul(bits as i64);
    }
    if off < 0 || (off >> 3) >= srv.config.proto_max_bulk_len {
        return None;
    }
    Some(off as u64)
}

/// lookupStringForBitCommand: makes sure the key holds a raw string long enough to
/// address `maxbit`, creating or zero-padding it. Returns whether the key was
/// created or grew, or None after a WRONGTYPE reply.
fn lookup_string_for_bit(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    maxbit: u64,
) -> Option<bool> {
    let db = c.db;
    let need = (maxbit >> 3) as usize + 1;
    match srv.lookup_write(db, key) {
        None => {
            let lru = srv.new_obj_lru();
            srv.set_key(
                db,
                key,
                Obj::string(StrEnc::raw(vec![0u8; need]), lru),
                false,
            );
            Some(true)
        }
        Some(o) => match str_of_mut(&mut o.val) {
            None => {
                c.add_error_wrongtype();
                None
            }
            Some(s) => {
                let buf = s.make_raw();
                if buf.len() < need {
                    crate::db::object::sds_grow_zero(buf, need);
                    Some(true)
                } else {
                    Some(false)
                }
            }
        },
    }
}

/// The raw buffer of a string key known to exist and be a string.
fn raw_buf<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> &'a mut Vec<u8> {
    let o = srv.dbs[db].get_mut(key).expect("key just looked up");
    str_of_mut(&mut o.val).expect("type checked").make_raw()
}

pub fn setbit_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let key = argv.get(1);
    let Some(offset) = parse_bit_offset(srv, argv.get(2), false, 0) else {
        c.add_error(BIT_OFFSET_ERR);
        return;
    };
    let on = match parse_i64(argv.get(3)) {
        Some(v) if v & !1 == 0 => v == 1,
        _ => {
            c.add_error(BIT_VALUE_ERR);
            return;
        }
    };
    let Some(grew) = lookup_string_for_bit(srv, c, key, offset) else {
        return;
    };
    let db = c.db;
    let buf = raw_buf(srv, db, key);
    let byte = (offset >> 3) as usize;
    let mask = 0x80u8 >> (offset & 7);
    let old = buf[byte] & mask != 0;
    if grew || old != on {
        if on {
            buf[byte] |= mask;
        } else {
            buf[byte] &= !mask;
        }
        srv.signal_modified_key(db, key);
        srv.notify_keyspace_event(crate::notify::class::STRING, "setbit", key, db);
        srv.dirty += 1;
    }
    c.add_int(old as i64);
}

pub fn getbit_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(offset) = parse_bit_offset(srv, argv.get(2), false, 0) else {
        c.add_error(BIT_OFFSET_ERR);
        return;
    };
    let db = c.db;
    let Some(o) = srv.lookup_read(db, argv.get(1)) else {
        c.add_int(0);
        return;
    };
    let Some(s) = str_of(&o.val) else {
        c.add_error_wrongtype();
        return;
    };
    let mut t = [0u8; 20];
    let p = s.as_bytes(&mut t);
    let byte = (offset >> 3) as usize;
    let v = byte < p.len() && p[byte] & (0x80 >> (offset & 7)) != 0;
    c.add_int(v as i64);
}

#[derive(Clone, Copy, PartialEq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

pub fn bitop_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let opname = argv.get(1);
    let op = if opname.eq_ignore_ascii_case(b"and") {
        BitOp::And
    } else if opname.eq_ignore_ascii_case(b"or") {
        BitOp::Or
    } else if opname.eq_ignore_ascii_case(b"xor") {
        BitOp::Xor
    } else if opname.eq_ignore_ascii_case(b"not") {
        BitOp::Not
    } else {
        c.add_error_syntax();
        return;
    };
    if op == BitOp::Not && argv.len() != 4 {
        c.add_error("BITOP NOT must be called with a single source key.");
        return;
    }
    let db = c.db;
    // First pass: lookups (expiry, stats, LRU) and type checks, in argument order.
    for j in 3..argv.len() {
        if let Some(o) = srv.lookup_read(db, argv.get(j)) {
            if str_of(&o.val).is_none() {
                c.add_error_wrongtype();
                return;
            }
        }
    }
    let res = {
        let d = &srv.dbs[db];
        let srcs: Vec<Cow<[u8]>> = (3..argv.len())
            .map(|j| match d.get(argv.get(j)).and_then(|o| str_of(&o.val)) {
                None => Cow::Borrowed(&[][..]),
                Some(s) => match s.stored_bytes() {
                    Some(b) => Cow::Borrowed(b),
                    None => Cow::Owned(s.to_vec()),
                },
            })
            .collect();
        bitop_compute(op, &srcs)
    };
    let maxlen = res.len();
    let dest = argv.get(2);
    if maxlen > 0 {
        let lru = srv.new_obj_lru();
        srv.set_key(db, dest, Obj::string(StrEnc::raw(res), lru), false);
        srv.notify_keyspace_event(crate::notify::class::STRING, "set", dest, db);
        srv.dirty += 1;
    } else if srv.db_delete(db, dest) {
        srv.signal_modified_key(db, dest);
        srv.notify_keyspace_event(crate::notify::class::GENERIC, "del", dest, db);
        srv.dirty += 1;
    }
    c.add_int(maxlen as i64);
}

/// The BITOP result: shorter inputs are zero-padded to the longest one.
fn bitop_compute(op: BitOp, srcs: &[Cow<[u8]>]) -> Vec<u8> {
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    if maxlen == 0 {
        return Vec::new();
    }
    let mut res = vec![0u8; maxlen];
    res[..srcs[0].len()].copy_from_slice(&srcs[0]);
    match op {
        BitOp::Not => combine(&mut res, &[], |r, _| !r, true),
        BitOp::And => {
            for s in &srcs[1..] {
                combine(&mut res, s, |r, x| r & x, false);
                let n = s.len();
                res[n..].fill(0);
            }
        }
        BitOp::Or => {
            for s in &srcs[1..] {
                combine(&mut res, s, |r, x| r | x, false);
            }
        }
        BitOp::Xor => {
            for s in &srcs[1..] {
                combine(&mut res, s, |r, x| r ^ x, false);
            }
        }
    }
    res
}

/// res[i] = f(res[i], src[i]) over the common length (the whole of `res` when
/// `unary`), eight bytes at a time.
#[inline(always)]
fn combine(res: &mut [u8], src: &[u8], f: impl Fn(u64, u64) -> u64, unary: bool) {
    let n = if unary {
        res.len()
    } else {
        src.len().min(res.len())
    };
    let mut rc = res[..n].chunks_exact_mut(8);
    if unary {
        for a in &mut rc {
            let v = f(u64::from_ne_bytes((&*a).try_into().unwrap()), 0);
            a.copy_from_slice(&v.to_ne_bytes());
        }
        for a in rc.into_remainder() {
            *a = f(*a as u64, 0) as u8;
        }
        return;
    }
    let mut sc = src[..n].chunks_exact(8);
    for (a, b) in (&mut rc).zip(&mut sc) {
        let v = f(
            u64::from_ne_bytes((&*a).try_into().unwrap()),
            u64::from_ne_bytes(b.try_into().unwrap()),
        );
        a.copy_from_slice(&v.to_ne_bytes());
    }
    for (a, b) in rc.into_remainder().iter_mut().zip(sc.remainder()) {
        *a = f(*a as u64, *b as u64) as u8;
    }
}

/// Parses "BIT"/"BYTE"; None for anything else.
fn parse_unit(a: &[u8]) -> Option<bool> {
    if a.eq_ignore_ascii_case(b"bit") {
        Some(true)
    } else if a.eq_ignore_ascii_case(b"byte") {
        Some(false)
    } else {
        None
    }
}

pub fn bitcount_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let Some(o) = srv.lookup_read(db, argv.get(1)) else {
        c.add_int(0);
        return;
    };
    let Some(s) = str_of(&o.val) else {
        c.add_error_wrongtype();
        return;
    };
    let mut t = [0u8; 20];
    let p = s.as_bytes(&mut t);
    let strlen = p.len() as i64;
    let argc = argv.len();
    let (mut start, mut end, mut isbit) = (0i64, strlen - 1, false);
    if argc == 4 || argc == 5 {
        let Some(s0) = parse_i64(argv.get(2)) else {
            c.add_error_not_int();
            return;
        };
        let Some(e0) = parse_i64(argv.get(3)) else {
            c.add_error_not_int();
            return;
        };
        start = s0;
        end = e0;
        if start < 0 && end < 0 && start > end {
            c.add_int(0);
            return;
        }
        if argc == 5 {
            match parse_unit(argv.get(4)) {
                Some(b) => isbit = b,
                None => {
                    c.add_error_syntax();
                    return;
                }
            }
        }
        let totlen = if isbit { strlen << 3 } else { strlen };
        if start < 0 {
            start += totlen;
        }
        if end < 0 {
            end += totlen;
        }
        start = start.max(0);
        end = end.max(0);
        if end >= totlen {
            end = totlen - 1;
        }
    } else if argc != 2 {
        c.add_error_syntax();
        return;
    }
    if start > end {
        c.add_int(0);
        return;
    }
    let count = if isbit {
        let (sb, eb) = ((start >> 3) as usize, (end >> 3) as usize);
        let mut n = popcount(&p[sb..=eb]);
        // Remove the bits of the edge bytes that lie outside the range.
        let head = p[sb] & !(0xffu8 >> (start & 7));
        let tail = p[eb] & (0x7fu8 >> (end & 7));
        n -= (head.count_ones() + tail.count_ones()) as u64;
        n
    } else {
        popcount(&p[start as usize..=end as usize])
    };
    c.add_int(count as i64);
}

pub fn bitpos_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let bit = match parse_i64(argv.get(2)) {
        None => {
            c.add_error_not_int();
            return;
        }
        Some(b) if b != 0 && b != 1 => {
            c.add_error("The bit argument must be 1 or 0.");
            return;
        }
        Some(b) => b == 1,
    };
    let db = c.db;
    let Some(o) = srv.lookup_read(db, argv.get(1)) else {
        c.add_int(if bit { -1 } else { 0 });
        return;
    };
    let Some(s) = str_of(&o.val) else {
        c.add_error_wrongtype();
        return;
    };
    let mut t = [0u8; 20];
    let p = s.as_bytes(&mut t);
    let strlen = p.len() as i64;
    let argc = argv.len();
    let (mut start, mut end, mut isbit, mut end_given) = (0i64, strlen - 1, false, false);
    if (4..=6).contains(&argc) {
        let Some(s0) = parse_i64(argv.get(3)) else {
            c.add_error_not_int();
            return;
        };
        start = s0;
        if argc == 6 {
            match parse_unit(argv.get(5)) {
                Some(b) => isbit = b,
                None => {
                    c.add_error_syntax();
                    return;
                }
            }
        }
        if argc >= 5 {
            let Some(e0) = parse_i64(argv.get(4)) else {
                c.add_error_not_int();
                return;
            };
            end = e0;
            end_given = true;
        } else {
            end = if isbit { (strlen << 3) + 7 } else { strlen - 1 };
        }
        let totlen = if isbit { strlen << 3 } else { strlen };
        if start < 0 {
            start += totlen;
        }
        if end < 0 {
            end += totlen;
        }
        start = start.max(0);
        end = end.max(0);
        if end >= totlen {
            end = totlen - 1;
        }
    } else if argc != 3 {
        c.add_error_syntax();
        return;
    }
    if start > end {
        c.add_int(-1);
        return;
    }
    let (sbit, ebit) = if isbit {
        (start as u64, end as u64)
    } else {
        (start as u64 * 8, end as u64 * 8 + 7)
    };
    let pos = match find_bit(p, sbit, ebit, bit) {
        Some(pos) => pos as i64,
        // Looking for a 0 without an explicit end: the string is zero-padded on the right.
        None if !bit && !end_given => ebit as i64 + 1,
        None => -1,
    };
    c.add_int(pos);
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum BfKind {
    Get,
    Set,
    Incrby,
}

#[derive(Clone, Copy, PartialEq, Debug)]
struct BfOp {
    kind: BfKind,
    offset: u64,
    /// SET value or INCRBY increment.
    value: i64,
    overflow: Overflow,
    bits: u32,
    signed: bool,
}

/// getBitfieldTypeFromArgument: "i1".."i64" or "u1".."u63".
fn parse_bitfield_type(a: &[u8]) -> Option<(bool, u32)> {
    let signed = match a.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return None,
    };
    // Redis reads the digits as a C string: anything after a NUL is ignored.
    let digits = &a[1..];
    let digits = &digits[..digits.iter().position(|&b| b == 0).unwrap_or(digits.len())];
    let bits = parse_i64(digits)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return None;
    }
    Some((signed, bits as u32))
}

/// Parses the BITFIELD subcommands; Err carries the error text.
fn parse_bitfield_ops(srv: &Server, argv: &Argv) -> Result<Vec<BfOp>, &'static str> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let remargs = argv.len() - j - 1;
        let sub = argv.get(j);
        let kind = if sub.eq_ignore_ascii_case(b"get") && remargs >= 2 {
            BfKind::Get
        } else if sub.eq_ignore_ascii_case(b"set") && remargs >= 3 {
            BfKind::Set
        } else if sub.eq_ignore_ascii_case(b"incrby") && remargs >= 3 {
            BfKind::Incrby
        } else if sub.eq_ignore_ascii_case(b"overflow") && remargs >= 1 {
            let t = argv.get(j + 1);
            overflow = if t.eq_ignore_ascii_case(b"wrap") {
                Overflow::Wrap
            } else if t.eq_ignore_ascii_case(b"sat") {
                Overflow::Sat
            } else if t.eq_ignore_ascii_case(b"fail") {
                Overflow::Fail
            } else {
                return Err("Invalid OVERFLOW type specified");
            };
            j += 2;
            continue;
        } else {
            return Err("syntax error");
        };
        let (signed, bits) = parse_bitfield_type(argv.get(j + 1)).ok_or(BITFIELD_TYPE_ERR)?;
        let offset = parse_bit_offset(srv, argv.get(j + 2), true, bits).ok_or(BIT_OFFSET_ERR)?;
        let mut value = 0;
        if kind != BfKind::Get {
            value = parse_i64(argv.get(j + 3)).ok_or("value is not an integer or out of range")?;
        }
        ops.push(BfOp {
            kind,
            offset,
            value,
            overflow,
            bits,
            signed,
        });
        j += if kind == BfKind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

fn get_unsigned_bits(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..bits as u64 {
        let pos = offset + i;
        let byte = (pos >> 3) as usize;
        let b = byte < p.len() && p[byte] & (0x80 >> (pos & 7)) != 0;
        v = (v << 1) | b as u64;
    }
    v
}

fn get_signed_bits(p: &[u8], offset: u64, bits: u32) -> i64 {
    let mut v = get_unsigned_bits(p, offset, bits);
    if bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        v |= u64::MAX << bits;
    }
    v as i64
}

fn set_unsigned_bits(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits as u64 {
        let bitval = value & (1u64 << (bits as u64 - 1 - i)) != 0;
        let pos = offset + i;
        let byte = (pos >> 3) as usize;
        let mask = 0x80u8 >> (pos & 7);
        if bitval {
            p[byte] |= mask;
        } else {
            p[byte] &= !mask;
        }
    }
}

/// checkUnsignedBitfieldOverflow: (1 overflow / -1 underflow / 0, value to store
/// for WRAP and SAT). The wrapping arithmetic reproduces Redis's C exactly.
fn check_unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> (i32, u64) {
    let max: u64 = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || {
        let mask = if bits >= 64 { 0 } else { u64::MAX << bits };
        value.wrapping_add(incr as u64) & !mask
    };
    if value > max || (incr > 0 && incr > maxincr) {
        let limit = match ow {
            Overflow::Wrap => wrap(),
            Overflow::Sat => max,
            Overflow::Fail => 0,
        };
        (1, limit)
    } else if incr < 0 && incr < minincr {
        let limit = match ow {
            Overflow::Wrap => wrap(),
            Overflow::Sat => 0,
            Overflow::Fail => 0,
        };
        (-1, limit)
    } else {
        (0, 0)
    }
}

/// checkSignedBitfieldOverflow, with the same wrapping arithmetic as Redis's C.
fn check_signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> (i32, i64) {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let msb = 1u64 << (bits - 1);
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & msb != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        let limit = match ow {
            Overflow::Wrap => wrap(),
            Overflow::Sat => max,
            Overflow::Fail => 0,
        };
        (1, limit)
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        let limit = match ow {
            Overflow::Wrap => wrap(),
            Overflow::Sat => min,
            Overflow::Fail => 0,
        };
        (-1, limit)
    } else {
        (0, 0)
    }
}

/// Runs one SET/INCRBY on the buffer: Some((reply, changed)) or None when
/// OVERFLOW FAIL refused it.
fn bitfield_write(p: &mut [u8], op: &BfOp) -> Option<(i64, bool)> {
    if op.signed {
        let old = get_signed_bits(p, op.offset, op.bits);
        let (new, ret, overflow) = if op.kind == BfKind::Incrby {
            let (ovf, wrapped) = check_signed_overflow(old, op.value, op.bits, op.overflow);
            let new = if ovf != 0 {
                wrapped
            } else {
                old.wrapping_add(op.value)
            };
            (new, new, ovf != 0)
        } else {
            let (ovf, wrapped) = check_signed_overflow(op.value, 0, op.bits, op.overflow);
            (if ovf != 0 { wrapped } else { op.value }, old, ovf != 0)
        };
        if overflow && op.overflow == Overflow::Fail {
            return None;
        }
        set_unsigned_bits(p, op.offset, op.bits, new as u64);
        Some((ret, old != new))
    } else {
        let old = get_unsigned_bits(p, op.offset, op.bits);
        let (new, ret, overflow) = if op.kind == BfKind::Incrby {
            let (ovf, wrapped) = check_unsigned_overflow(old, op.value, op.bits, op.overflow);
            let new = if ovf != 0 {
                wrapped
            } else {
                old.wrapping_add(op.value as u64)
            };
            (new, new, ovf != 0)
        } else {
            let v = op.value as u64;
            let (ovf, wrapped) = check_unsigned_overflow(v, 0, op.bits, op.overflow);
            (if ovf != 0 { wrapped } else { v }, old, ovf != 0)
        };
        if overflow && op.overflow == Overflow::Fail {
            return None;
        }
        set_unsigned_bits(p, op.offset, op.bits, new);
        Some((ret as i64, old != new))
    }
}

fn bitfield_get(p: &[u8], op: &BfOp) -> i64 {
    if op.signed {
        get_signed_bits(p, op.offset, op.bits)
    } else {
        get_unsigned_bits(p, op.offset, op.bits) as i64
    }
}

fn bitfield_generic(srv: &mut Server, c: &mut Client, argv: &Argv, readonly_cmd: bool) {
    let ops = match parse_bitfield_ops(srv, argv) {
        Ok(o) => o,
        Err(e) => {
            c.add_error(e);
            return;
        }
    };
    let db = c.db;
    let key = argv.get(1);
    let writes = ops.iter().filter(|o| o.kind != BfKind::Get);
    let highest = writes.clone().map(|o| o.offset + o.bits as u64 - 1).max();
    let Some(highest) = highest else {
        // Only GETs: a missing key reads as zeros.
        let o = srv.lookup_read(db, key);
        let p: &[u8] = match o {
            None => &[],
            Some(o) => match str_of(&o.val) {
                None => {
                    c.add_error_wrongtype();
                    return;
                }
                Some(StrEnc::Embstr(b)) => b,
                Some(StrEnc::Raw(b)) => b,
                Some(s) => {
                    let v = s.to_vec();
                    return reply_gets(c, &v, &ops);
                }
            },
        };
        return reply_gets(c, p, &ops);
    };
    if readonly_cmd {
        c.add_error("BITFIELD_RO only supports the GET subcommand");
        return;
    }
    let Some(grew) = lookup_string_for_bit(srv, c, key, highest) else {
        return;
    };
    let p = raw_buf(srv, db, key);
    let mut changes = 0u64;
    c.add_array_len(ops.len());
    for op in &ops {
        if op.kind == BfKind::Get {
            c.add_int(bitfield_get(p, op));
            continue;
        }
        match bitfield_write(p, op) {
            Some((ret, changed)) => {
                c.add_int(ret);
                if grew || changed {
                    changes += 1;
                }
            }
            None => c.add_null(),
        }
    }
    if changes > 0 {
        srv.signal_modified_key(db, key);
        srv.notify_keyspace_event(crate::notify::class::STRING, "setbit", key, db);
        srv.dirty += changes;
    }
}

fn reply_gets(c: &mut Client, p: &[u8], ops: &[BfOp]) {
    c.add_array_len(ops.len());
    for op in ops {
        c.add_int(bitfield_get(p, op));
    }
}

pub fn bitfield_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    bitfield_generic(srv, c, argv, false);
}

pub fn bitfield_ro_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    bitfield_generic(srv, c, argv, true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::OwnedArgv;

    fn ops(s: &str) -> Result<Vec<BfOp>, &'static str> {
        let srv = Server::new(crate::config::Config::default());
        let a = OwnedArgv::from_slices(s.split(' '));
        parse_bitfield_ops(&srv, &a.view())
    }

    #[test]
    fn bitfield_parsing() {
        let o = ops("bitfield k get u8 #2 overflow sat incrby i5 100 -3").unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(
            (o[0].kind, o[0].offset, o[0].bits, o[0].signed),
            (BfKind::Get, 16, 8, false)
        );
        assert_eq!(o[0].overflow, Overflow::Wrap);
        assert_eq!(
            (o[1].kind, o[1].offset, o[1].value),
            (BfKind::Incrby, 100, -3)
        );
        assert_eq!(o[1].overflow, Overflow::Sat);
        assert!(ops("bitfield k").unwrap().is_empty());
        assert_eq!(ops("bitfield k get u64 0"), Err(BITFIELD_TYPE_ERR));
        assert_eq!(ops("bitfield k get U8 0"), Err(BITFIELD_TYPE_ERR));
        assert_eq!(ops("bitfield k get i0 0"), Err(BITFIELD_TYPE_ERR));
        assert!(ops("bitfield k get i64 0").is_ok());
        assert_eq!(ops("bitfield k get u8 -1"), Err(BIT_OFFSET_ERR));
        assert_eq!(ops("bitfield k get u8 #"), Err(BIT_OFFSET_ERR));
        assert_eq!(ops("bitfield k get u8 4294967296"), Err(BIT_OFFSET_ERR));
        assert_eq!(ops("bitfield k get u8"), Err("syntax error"));
        assert_eq!(ops("bitfield k set u8 0"), Err("syntax error"));
        assert_eq!(
            ops("bitfield k overflow foo"),
            Err("Invalid OVERFLOW type specified")
        );
        assert_eq!(
            ops("bitfield k set u8 0 x"),
            Err("value is not an integer or out of range")
        );
        // "#" only means "times the type width" for BITFIELD.
        assert_eq!(ops("bitfield k set i5 #3 1").unwrap()[0].offset, 15);
    }

    #[test]
    fn bitfield_values() {
        let mut p = vec![0u8; 2];
        let op = |kind, bits, signed, value, overflow| BfOp {
            kind,
            offset: 0,
            value,
            overflow,
            bits,
            signed,
        };
        assert_eq!(
            bitfield_write(&mut p, &op(BfKind::Set, 8, true, 255, Overflow::Wrap)),
            Some((0, true))
        );
        assert_eq!(
            bitfield_get(&p, &op(BfKind::Get, 8, true, 0, Overflow::Wrap)),
            -1
        );
        assert_eq!(
            bitfield_write(&mut p, &op(BfKind::Set, 8, false, 100, Overflow::Wrap)),
            Some((255, true))
        );
        assert_eq!(
            bitfield_write(&mut p, &op(BfKind::Incrby, 8, false, 257, Overflow::Wrap)),
            Some((101, true))
        );
        assert_eq!(
            bitfield_write(&mut p, &op(BfKind::Incrby, 8, false, 257, Overflow::Sat)),
            Some((255, true))
        );
        assert_eq!(
            bitfield_write(&mut p, &op(BfKind::Incrby, 8, false, 1, Overflow::Fail)),
            None
        );
        assert_eq!(
            bitfield_write(&mut p, &op(BfKind::Incrby, 8, true, -255, Overflow::Sat)),
            Some((-128, true))
        );
        assert_eq!(
            check_signed_overflow(i64::MAX, 1, 64, Overflow::Wrap),
            (1, i64::MIN)
        );
        assert_eq!(check_unsigned_overflow(0, -1, 63, Overflow::Sat), (-1, 0));
    }

    #[test]
    fn bit_search_and_count() {
        let p = [0x00u8, 0xff, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x01];
        assert_eq!(find_bit(&p, 0, 87, true), Some(8));
        assert_eq!(find_bit(&p, 16, 87, true), Some(87));
        assert_eq!(find_bit(&p, 16, 86, true), None);
        assert_eq!(find_bit(&p, 8, 15, false), None);
        assert_eq!(find_bit(&p, 9, 17, false), Some(16));
        assert_eq!(find_bit(&[0xffu8; 24], 3, 191, false), None);
        assert_eq!(popcount(&[0xffu8; 45]), 360);
        assert_eq!(popcount(b"foobar"), 26);
    }

    #[test]
    fn bitop_padding() {
        let a: Cow<[u8]> = Cow::Owned(vec![1, 2, 0xff, 0xff]);
        let b: Cow<[u8]> = Cow::Owned(vec![1, 2, 0xff]);
        let ab = [a.clone(), b.clone()];
        assert_eq!(bitop_compute(BitOp::And, &ab), vec![1, 2, 0xff, 0]);
        assert_eq!(bitop_compute(BitOp::Or, &ab), vec![1, 2, 0xff, 0xff]);
        assert_eq!(bitop_compute(BitOp::Xor, &ab), vec![0, 0, 0, 0xff]);
        assert_eq!(bitop_compute(BitOp::Not, &[b]), vec![0xfe, 0xfd, 0]);
        let e: Cow<[u8]> = Cow::Borrowed(&[]);
        assert!(bitop_compute(BitOp::Or, &[e.clone(), e]).is_empty());
    }
}

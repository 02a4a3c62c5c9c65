//! HyperLogLog (PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST). A HLL is a plain
//! string value laid out exactly as Redis 7.0 lays it out, so GET/SET/DUMP move
//! HLLs between our server and Redis unchanged:
//!
//! header (16 bytes): "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes,
//! 8-byte little-endian cached cardinality whose last byte's MSB means "stale".
//! Dense: 16384 registers of 6 bits, LSB first. Sparse: ZERO (00xxxxxx, run of
//! 1..64 zeros), XZERO (01xxxxxx yyyyyyyy, run of 1..16384 zeros) and VAL
//! (1vvvvvxx, run of 1..4 registers holding 1..32) opcodes.

use crate::db::object::{Obj, StrEnc};
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use crate::t_string::{str_of, str_of_mut};

const P: u32 = 14;
const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const P_MASK: u64 = (REGISTERS - 1) as u64;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
pub const HDR_SIZE: usize = 16;
pub const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * BITS).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const MAX_ENCODING: u8 = 1;

const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;

const ALPHA_INF: f64 = 0.721347520444481703680;

pub const INVALID_HLL_ERR: &str = "-INVALIDOBJ Corrupted HLL object detected";
const WRONG_HLL_ERR: &str = "-WRONGTYPE Key is not a valid HyperLogLog string value.";

/// MurmurHash64A as Redis uses it (little-endian reads on every platform).
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes(c.try_into().unwrap());
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// Register index and run length ("count") for an element.
pub fn pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, 0xadc83b19);
    let index = (hash & P_MASK) as usize;
    // The sentinel bit bounds the count at Q+1.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

#[inline]
fn dense_get(regs: &[u8], i: usize) -> u8 {
    let bit = i * BITS;
    let byte = bit / 8;
    let fb = bit & 7;
    let b0 = regs[byte] as u32;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX as u32) as u8
}

#[inline]
fn dense_set(regs: &mut [u8], i: usize, val: u8) {
    let bit = i * BITS;
    let byte = bit / 8;
    let fb = bit & 7;
    let v = val as u32;
    regs[byte] &= !((REGISTER_MAX as u32) << fb) as u8;
    regs[byte] |= (v << fb) as u8;
    // The last register ends exactly at the end of the array.
    if byte + 1 < regs.len() {
        regs[byte + 1] &= !((REGISTER_MAX as u32) >> (8 - fb)) as u8;
        regs[byte + 1] |= (v >> (8 - fb)) as u8;
    }
}

/// Sets register `i` if `count` is larger; true when it changed.
fn dense_set_max(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_set(regs, i, count);
        true
    } else {
        false
    }
}

#[inline]
fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}
#[inline]
fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}
#[inline]
fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}
#[inline]
fn val_len(b: u8) -> usize {
    (b & 3) as usize + 1
}
#[inline]
fn zero_len(b: u8) -> usize {
    (b & 0x3f) as usize + 1
}
#[inline]
fn xzero_len(b0: u8, b1: u8) -> usize {
    (((b0 & 0x3f) as usize) << 8 | b1 as usize) + 1
}
#[inline]
fn val_op(v: u8, len: usize) -> u8 {
    0x80 | ((v - 1) << 2) | (len - 1) as u8
}
fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        out.push(0x40 | ((len - 1) >> 8) as u8);
        out.push(((len - 1) & 0xff) as u8);
    } else {
        out.push((len - 1) as u8);
    }
}

/// One decoded sparse opcode: (registers covered, value, bytes used).
enum Op {
    Zero(usize),
    Val(u8, usize),
}

/// Walks the sparse opcodes of `ops` (the bytes after the header). A truncated
/// XZERO reads its second byte as 0, as Redis reads the string's terminator.
fn sparse_ops(ops: &[u8]) -> impl Iterator<Item = Op> + '_ {
    let mut p = 0;
    std::iter::from_fn(move || {
        let b = *ops.get(p)?;
        if is_zero(b) {
            p += 1;
            Some(Op::Zero(zero_len(b)))
        } else if is_xzero(b) {
            let b1 = ops.get(p + 1).copied().unwrap_or(0);
            p += 2;
            Some(Op::Zero(xzero_len(b, b1)))
        } else {
            p += 1;
            Some(Op::Val(val_value(b), val_len(b)))
        }
    })
}

/// An empty sparse HLL (createHLLObject).
pub fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR_SIZE + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0; 11]);
    push_zeros(&mut v, XZERO_MAX_LEN);
    v
}

/// isHLLObjectOrReply's structural check of a string value.
pub fn is_valid_hll(s: &[u8]) -> bool {
    s.len() >= HDR_SIZE
        && &s[..4] == b"HYLL"
        && s[4] <= MAX_ENCODING
        && (s[4] != DENSE || s.len() == DENSE_SIZE)
}

fn invalidate_cache(h: &mut [u8]) {
    h[15] |= 0x80;
}

/// Converts a sparse HLL to dense in place; Err when the sparse data is corrupt.
pub fn sparse_to_dense(h: &mut Vec<u8>) -> Result<(), ()> {
    if h[4] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR_SIZE].copy_from_slice(&h[..HDR_SIZE]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR_SIZE..];
    let mut idx = 0usize;
    for op in sparse_ops(&h[HDR_SIZE..]) {
        match op {
            Op::Zero(n) => idx += n,
            Op::Val(v, n) => {
                if idx + n > REGISTERS {
                    break;
                }
                for _ in 0..n {
                    dense_set(regs, idx, v);
                    idx += 1;
                }
            }
        }
    }
    if idx != REGISTERS {
        return Err(());
    }
    *h = dense;
    Ok(())
}

/// Sets sparse register `index` to `count` if larger, promoting to dense when
/// the value doesn't fit a VAL opcode or the string would outgrow `max_bytes`.
/// Ok(true) when the register changed; Err on corrupt data.
pub fn sparse_set(h: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, ()> {
    if count <= VAL_MAX_VALUE {
        match sparse_set_in_place(h, index, count, max_bytes)? {
            Some(changed) => return Ok(changed),
            None => {}
        }
    }
    sparse_to_dense(h)?;
    Ok(dense_set_max(&mut h[HDR_SIZE..], index, count))
}

/// The sparse path of sparse_set; Ok(None) asks for promotion.
fn sparse_set_in_place(
    h: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<Option<bool>, ()> {
    let end = h.len();
    let mut p = HDR_SIZE;
    let mut prev: Option<usize> = None;
    let mut first = 0usize;
    let mut span = 0usize;
    let mut oplen = 1;
    while p < end {
        let b = h[p];
        oplen = 1;
        span = if is_zero(b) {
            zero_len(b)
        } else if b & 0x80 != 0 {
            val_len(b)
        } else {
            oplen = 2;
            xzero_len(b, h.get(p + 1).copied().unwrap_or(0))
        };
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(());
    }
    let b = h[p];
    let (zero, xzero) = (is_zero(b), is_xzero(b));
    let runlen = span;
    let mut end = end;
    'rewrite: {
        if !zero && !xzero {
            if val_value(b) >= count {
                return Ok(Some(false));
            }
            if runlen == 1 {
                h[p] = val_op(count, 1);
                break 'rewrite;
            }
        }
        if zero && runlen == 1 {
            h[p] = val_op(count, 1);
            break 'rewrite;
        }
        // Split the run into up to three opcodes around the new value.
        let last = first + span - 1;
        let mut seq = Vec::with_capacity(5);
        if zero || xzero {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_op(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        } else {
            let cur = val_value(b);
            if index != first {
                seq.push(val_op(cur, index - first));
            }
            seq.push(val_op(count, 1));
            if index != last {
                seq.push(val_op(cur, last - index));
            }
        }
        if seq.len() > oplen && h.len() + seq.len() - oplen > max_bytes {
            return Ok(None);
        }
        let oldend = (p + oplen).min(h.len());
        h.splice(p..oldend, seq);
        end = h.len();
    }
    // Merge adjacent VAL opcodes with equal values, scanning a few opcodes
    // from the one before the change.
    let mut p = prev.unwrap_or(HDR_SIZE);
    let mut scan = 5;
    while p < end && scan > 0 {
        scan -= 1;
        let b = h[p];
        if is_xzero(b) {
            p += 2;
            continue;
        } else if is_zero(b) {
            p += 1;
            continue;
        }
        if p + 1 < end && h[p + 1] & 0x80 != 0 {
            let (v1, v2) = (val_value(b), val_value(h[p + 1]));
            if v1 == v2 {
                let len = val_len(b) + val_len(h[p + 1]);
                if len <= VAL_MAX_LEN {
                    h[p + 1] = val_op(v1, len);
                    h.remove(p);
                    end -= 1;
                    continue;
                }
            }
        }
        p += 1;
    }
    invalidate_cache(h);
    Ok(Some(true))
}

/// Adds an element (hllAdd): Ok(true) when a register changed.
pub fn add(h: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, ()> {
    let (index, count) = pat_len(ele);
    match h[4] {
        DENSE => Ok(dense_set_max(&mut h[HDR_SIZE..], index, count)),
        SPARSE => sparse_set(h, index, count, max_bytes),
        _ => Err(()),
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let zp = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if zp == z {
            return z / 3.0;
        }
    }
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let zp = z;
        z += x * y;
        y += y;
        if zp == z {
            return z;
        }
    }
}

/// Ertl's improved estimator over a register histogram (hllCount).
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histo[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// Estimated cardinality of a HLL string; Err when sparse data doesn't cover
/// exactly 16384 registers.
pub fn count(h: &[u8]) -> Result<u64, ()> {
    let mut histo = [0u32; 64];
    if h[4] == DENSE {
        let regs = &h[HDR_SIZE..];
        for i in 0..REGISTERS {
            histo[dense_get(regs, i) as usize] += 1;
        }
    } else {
        let mut idx = 0usize;
        for op in sparse_ops(&h[HDR_SIZE..]) {
            match op {
                Op::Zero(n) => {
                    idx += n;
                    histo[0] += n as u32;
                }
                Op::Val(v, n) => {
                    idx += n;
                    histo[v as usize] += n as u32;
                }
            }
        }
        if idx != REGISTERS {
            return Err(());
        }
    }
    Ok(estimate(&histo))
}

/// Cardinality of raw one-byte-per-register maxima (multi-key PFCOUNT).
fn count_raw(regs: &[u8; REGISTERS]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in regs.iter() {
        histo[r as usize] += 1;
    }
    estimate(&histo)
}

/// max[i] = MAX(max[i], hll[i]) (hllMerge); Err on corrupt sparse data.
pub fn merge(max: &mut [u8; REGISTERS], h: &[u8]) -> Result<(), ()> {
    if h[4] == DENSE {
        let regs = &h[HDR_SIZE..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(regs, i));
        }
        return Ok(());
    }
    let mut i = 0usize;
    for op in sparse_ops(&h[HDR_SIZE..]) {
        match op {
            Op::Zero(n) => i += n,
            Op::Val(v, n) => {
                if i + n > REGISTERS {
                    break;
                }
                for m in &mut max[i..i + n] {
                    *m = (*m).max(v);
                }
                i += n;
            }
        }
    }
    if i != REGISTERS {
        return Err(());
    }
    Ok(())
}

/// Checks that the value at `key` (if any) is a HLL; replies and returns Err if not.
/// Ok(true) when the key exists.
fn check_hll(srv: &mut Server, c: &mut Client, key: &[u8], write: bool) -> Result<bool, ()> {
    let db = c.db;
    let o = if write {
        srv.lookup_write(db, key).map(|o| &*o)
    } else {
        srv.lookup_read(db, key)
    };
    let Some(o) = o else { return Ok(false) };
    let Some(s) = str_of(&o.val) else {
        c.add_error_wrongtype();
        return Err(());
    };
    // An int-encoded string is never a HLL (sdsEncodedObject fails).
    let ok = !matches!(s, StrEnc::Int { .. }) && {
        let mut t = [0u8; 20];
        is_valid_hll(s.as_bytes(&mut t))
    };
    if !ok {
        c.add_error(WRONG_HLL_ERR);
        return Err(());
    }
    Ok(true)
}

/// The HLL string of an existing, checked key, unshared for in-place change.
fn hll_buf<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> &'a mut Vec<u8> {
    let o = srv.dbs[db].get_mut(key).expect("key just looked up");
    str_of_mut(&mut o.val).expect("type checked").make_raw()
}

fn create_hll(srv: &mut Server, db: usize, key: &[u8]) {
    let lru = srv.new_obj_lru();
    srv.set_key(db, key, Obj::string(StrEnc::raw(new_sparse()), lru), false);
}

pub fn pfadd_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let key = argv.get(1);
    let db = c.db;
    let Ok(exists) = check_hll(srv, c, key, true) else {
        return;
    };
    let mut updated = 0u64;
    if !exists {
        create_hll(srv, db, key);
        updated += 1;
    }
    let max_bytes = srv.config.hll_sparse_max_bytes;
    let h = hll_buf(srv, db, key);
    for j in 2..argv.len() {
        match add(h, argv.get(j), max_bytes) {
            Ok(true) => updated += 1,
            Ok(false) => {}
            Err(()) => {
                c.add_error(INVALID_HLL_ERR);
                return;
            }
        }
    }
    if updated > 0 {
        invalidate_cache(h);
        srv.signal_modified_key(db, key);
        srv.notify_keyspace_event(crate::notify::class::STRING, "pfadd", key, db);
        srv.dirty += updated;
    }
    c.add_int((updated > 0) as i64);
}

pub fn pfcount_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    if argv.len() > 2 {
        let mut max = Box::new([0u8; REGISTERS]);
        for j in 1..argv.len() {
            let key = argv.get(j);
            match check_hll(srv, c, key, false) {
                Err(()) => return,
                Ok(false) => continue,
                Ok(true) => {}
            }
            let o = srv.dbs[db].get(key).expect("key just looked up");
            let mut t = [0u8; 20];
            let s = str_of(&o.val).expect("type checked").as_bytes(&mut t);
            if merge(&mut max, s).is_err() {
                c.add_error(INVALID_HLL_ERR);
                return;
            }
        }
        c.add_int(count_raw(&max) as i64);
        return;
    }
    let key = argv.get(1);
    match check_hll(srv, c, key, false) {
        Err(()) => return,
        Ok(false) => {
            c.add_int(0);
            return;
        }
        Ok(true) => {}
    }
    let h = hll_buf(srv, db, key);
    let card = if h[15] & 0x80 == 0 {
        u64::from_le_bytes(h[8..16].try_into().unwrap())
    } else {
        let Ok(card) = count(h) else {
            c.add_error(INVALID_HLL_ERR);
            return;
        };
        h[8..16].copy_from_slice(&card.to_le_bytes());
        srv.signal_modified_key(db, key);
        srv.dirty += 1;
        card
    };
    c.add_int(card as i64);
}

pub fn pfmerge_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let mut max = Box::new([0u8; REGISTERS]);
    let mut use_dense = false;
    for j in 1..argv.len() {
        let key = argv.get(j);
        match check_hll(srv, c, key, false) {
            Err(()) => return,
            Ok(false) => continue,
            Ok(true) => {}
        }
        let o = srv.dbs[db].get(key).expect("key just looked up");
        let mut t = [0u8; 20];
        let s = str_of(&o.val).expect("type checked").as_bytes(&mut t);
        use_dense |= s[4] == DENSE;
        if merge(&mut max, s).is_err() {
            c.add_error(INVALID_HLL_ERR);
            return;
        }
    }
    let key = argv.get(1);
    if srv.lookup_write(db, key).is_none() {
        create_hll(srv, db, key);
    }
    let max_bytes = srv.config.hll_sparse_max_bytes;
    let h = hll_buf(srv, db, key);
    if use_dense && sparse_to_dense(h).is_err() {
        c.add_error(INVALID_HLL_ERR);
        return;
    }
    for (j, &m) in max.iter().enumerate() {
        if m == 0 {
            continue;
        }
        if h[4] == DENSE {
            dense_set_max(&mut h[HDR_SIZE..], j, m);
        } else {
            // Redis ignores a failure here too: the sources were validated.
            let _ = sparse_set(h, j, m, max_bytes);
        }
    }
    invalidate_cache(h);
    srv.signal_modified_key(db, key);
    srv.notify_keyspace_event(crate::notify::class::STRING, "pfadd", key, db);
    srv.dirty += 1;
    c.add_ok();
}

pub fn pfdebug_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let cmd = argv.get(1);
    let key = argv.get(2);
    match check_hll(srv, c, key, true) {
        Err(()) => return,
        Ok(false) => {
            c.add_error("The specified key does not exist");
            return;
        }
        Ok(true) => {}
    }
    let h = hll_buf(srv, db, key);
    if cmd.eq_ignore_ascii_case(b"getreg") {
        let mut converted = false;
        if h[4] == SPARSE {
            if sparse_to_dense(h).is_err() {
                c.add_error(INVALID_HLL_ERR);
                return;
            }
            converted = true;
        }
        let regs: Vec<u8> = (0..REGISTERS)
            .map(|i| dense_get(&h[HDR_SIZE..], i))
            .collect();
        if converted {
            // Forces propagation of the encoding change.
            srv.dirty += 1;
        }
        c.add_array_len(REGISTERS);
        for r in regs {
            c.add_int(r as i64);
        }
    } else if cmd.eq_ignore_ascii_case(b"decode") {
        if h[4] != SPARSE {
            c.add_error("HLL encoding is not sparse");
            return;
        }
        let mut out = String::new();
        let ops = &h[HDR_SIZE..];
        let mut p = 0;
        while p < ops.len() {
            let b = ops[p];
            if is_zero(b) {
                out.push_str(&format!("z:{} ", zero_len(b)));
                p += 1;
            } else if is_xzero(b) {
                let n = xzero_len(b, ops.get(p + 1).copied().unwrap_or(0));
                out.push_str(&format!("Z:{} ", n));
                p += 2;
            } else {
                out.push_str(&format!("v:{},{} ", val_value(b), val_len(b)));
                p += 1;
            }
        }
        c.add_bulk(out.trim_matches(' ').as_bytes());
    } else if cmd.eq_ignore_ascii_case(b"encoding") {
        c.add_status(if h[4] == DENSE { "dense" } else { "sparse" });
    } else if cmd.eq_ignore_ascii_case(b"todense") {
        let mut conv = false;
        if h[4] == SPARSE {
            if sparse_to_dense(h).is_err() {
                c.add_error(INVALID_HLL_ERR);
                return;
            }
            conv = true;
            srv.dirty += 1;
        }
        c.add_int(conv as i64);
    } else {
        c.add_error(&format!(
            "Unknown PFDEBUG subcommand '{}'",
            String::from_utf8_lossy(cmd)
        ));
    }
}

/// xorshift64*: PFSELFTEST only needs varied register patterns and seeds.
struct TestRng(u64);
impl TestRng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
}

/// The checks PFSELFTEST runs; Err carries the TESTFAILED message.
pub fn selftest(sparse_max_bytes: usize, seed: u64) -> Result<(), String> {
    let mut rng = TestRng(seed | 1);
    // Test 1: register access round-trips.
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..4].copy_from_slice(b"HYLL");
    let mut bytes = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (i, b) in bytes.iter_mut().enumerate() {
            let r = (rng.next() & REGISTER_MAX as u64) as u8;
            *b = r;
            dense_set(&mut dense[HDR_SIZE..], i, r);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let v = dense_get(&dense[HDR_SIZE..], i);
            if v != b {
                return Err(format!(
                    "TESTFAILED Register {} should be {} but is {}",
                    i, b, v
                ));
            }
        }
    }
    // Test 2: approximation error, and sparse/dense agreement.
    dense.iter_mut().skip(HDR_SIZE).for_each(|b| *b = 0);
    let mut sparse = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint: u64 = 1;
    let seed = rng.next();
    for j in 1..=10_000_000u64 {
        let ele = (j ^ seed).to_ne_bytes();
        let (index, cnt) = pat_len(&ele);
        dense_set_max(&mut dense[HDR_SIZE..], index, cnt);
        add(&mut sparse, &ele, sparse_max_bytes)
            .map_err(|_| "TESTFAILED corrupted HLL".to_string())?;
        if j != checkpoint {
            continue;
        }
        if j < sparse_max_bytes as u64 / 2 && sparse[4] != SPARSE {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let dcount = count(&dense).unwrap_or(0);
        if Ok(dcount) != count(&sparse) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = (checkpoint as i64 - dcount as i64).unsigned_abs();
        // Cardinality 10 is statistically prone to collisions.
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{} abserr:{}",
                checkpoint, abserr
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

pub fn pfselftest_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9e3779b97f4a7c15);
    match selftest(srv.config.hll_sparse_max_bytes, seed) {
        Ok(()) => c.add_ok(),
        Err(e) => c.add_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hll_of(elems: &[&[u8]], max_bytes: usize) -> Vec<u8> {
        let mut h = new_sparse();
        let mut updated = false;
        for e in elems {
            updated |= add(&mut h, e, max_bytes).unwrap();
        }
        let _ = updated;
        invalidate_cache(&mut h);
        h
    }

    #[test]
    fn murmur_matches_redis_layout() {
        // Sanity: seed and length feed the hash; empty input hashes the seed.
        assert_ne!(murmur64a(b"", 0xadc83b19), murmur64a(b"", 0));
        assert_ne!(murmur64a(b"a", 0xadc83b19), murmur64a(b"b", 0xadc83b19));
    }

    #[test]
    fn empty_sparse_layout() {
        assert_eq!(
            new_sparse(),
            b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff".to_vec()
        );
        assert_eq!(count(&new_sparse()), Ok(0));
    }

    #[test]
    fn selftest_passes() {
        assert_eq!(selftest(3000, 12345), Ok(()));
    }

    #[test]
    fn sparse_and_dense_agree() {
        let elems: Vec<Vec<u8>> = (0..2000).map(|i| format!("e{}", i).into_bytes()).collect();
        let refs: Vec<&[u8]> = elems.iter().map(|e| e.as_slice()).collect();
        let mut s = hll_of(&refs, 1 << 20);
        assert_eq!(s[4], SPARSE);
        let cs = count(&s).unwrap();
        sparse_to_dense(&mut s).unwrap();
        assert_eq!(count(&s).unwrap(), cs);
    }
}

//! Loading RDB versions 1..10 (rdbLoadRio / rdbLoadObject): opcodes, every value
//! encoding Redis 2.x-7.0 writes, converted to our encodings by the configured
//! size thresholds. Blobs (listpacks, intsets, ziplists, zipmaps) are always
//! validated deeply before use, so hostile input is refused, never trusted.

use super::legacy::{ziplist_entries, zipmap_pairs};
use super::*;
use crate::db::object::{Obj, StrEnc, Value};
use crate::ds::listpack::{self, Listpack};
use crate::server::Server;
use crate::t_hash::{HashLimits, HashVal};
use crate::t_set::SetVal;
use crate::t_zset::{SkipZ, ZSet};

pub const LOAD_NONE: u32 = 0;
/// An AOF preamble/base: keys already expired are kept.
pub const LOAD_AOF_PREAMBLE: u32 = 1;
/// DEBUG RELOAD MERGE: a key already present is replaced.
pub const LOAD_ALLOW_DUP: u32 = 2;
/// A master loading at startup: keys already expired go to the backlog as DELs.
pub const LOAD_FEED_REPL: u32 = 4;

/// Why `load_object` produced nothing: an empty collection (skipped with a log
/// when loading a file, "Bad data format" for RESTORE).
pub enum Loaded {
    Val(Value),
    Empty,
}

fn bad(msg: &str) -> RdbError {
    RdbError::corrupt(msg)
}

/// lpPairsValidateIntegrityAndDups: a deep-valid listpack of unique pairs.
fn pairs_listpack(buf: Vec<u8>, what: &str, check_dups: bool) -> RResult<Listpack> {
    if !check_dups {
        // Without deep sanitization only the header is checked, as Redis does;
        // a malformed body then fails a bounds check when used (a reported
        // assertion exit, never a wild read).
        return Listpack::from_bytes(buf, false)
            .ok_or_else(|| bad(&format!("{} listpack integrity check failed.", what)));
    }
    let mut seen = std::collections::HashSet::new();
    let mut n = 0usize;
    let mut dup = false;
    let ok = listpack::validate(&buf, true, |v| {
        if check_dups && n % 2 == 0 && !seen.insert(v.to_vec()) {
            dup = true;
            return false;
        }
        n += 1;
        true
    });
    if !ok || dup || n % 2 != 0 {
        return Err(bad(&format!("{} listpack integrity check failed.", what)));
    }
    Ok(Listpack::from_bytes_unchecked(buf))
}

/// ziplistPairsConvertAndValidateIntegrity's duplicate check.
fn has_dup_pairs(items: &[Vec<u8>]) -> bool {
    let mut seen = std::collections::HashSet::new();
    items.iter().step_by(2).any(|k| !seen.insert(k.as_slice()))
}

/// Whether loads/RESTOREs check payloads deeply (sanitize-dump-payload:
/// "yes" always, "clients" except while loading).
pub fn deep_sanitize(srv: &Server) -> bool {
    match srv.config.get_enum("sanitize-dump-payload").as_str() {
        "yes" => true,
        "clients" => !srv.loading,
        _ => false,
    }
}

fn ql_new(srv: &Server) -> crate::ds::quicklist::Quicklist {
    crate::ds::quicklist::Quicklist::new(
        srv.config.list_max_listpack_size as i32,
        srv.config.list_compress_depth as i32,
    )
}

fn hash_from_pairs(srv: &Server, pairs: Vec<(Vec<u8>, Vec<u8>)>) -> RResult<Loaded> {
    if pairs.is_empty() {
        return Ok(Loaded::Empty);
    }
    let lim = HashLimits::of(srv);
    let mut h = HashVal::new();
    if pairs.len() > lim.max_entries {
        h.convert_to_table();
    }
    let mut seen = std::collections::HashSet::new();
    for (f, v) in pairs {
        if matches!(h, HashVal::Listpack(_)) && !seen.insert(f.clone()) {
            return Err(bad("Duplicate hash fields detected"));
        }
        if let HashVal::Listpack(lp) = &h {
            if !lp.safe_to_add(f.len() + v.len()) {
                h.convert_to_table();
            }
        }
        if h.set(&f, &v, lim) {
            return Err(bad("Duplicate hash fields detected"));
        }
    }
    Ok(Loaded::Val(Value::Hash(h)))
}

fn zset_from_items(srv: &Server, items: Vec<(Vec<u8>, f64)>) -> RResult<Loaded> {
    if items.is_empty() {
        return Ok(Loaded::Empty);
    }
    let mut z = SkipZ {
        dict: crate::db::dict::Dict::new(),
        sl: crate::ds::skiplist::Skiplist::new(),
    };
    z.dict.expand(items.len().min(1 << 20));
    for (e, s) in items {
        if s.is_nan() {
            return Err(bad("Zset with NAN score detected"));
        }
        if z.dict.contains_key(&e) {
            return Err(bad("Duplicate zset fields detected"));
        }
        z.dict.insert(&e, s);
        z.sl.insert(s, e);
    }
    let mut zs = ZSet::Sl(Box::new(z));
    zs.shrink_if_fits(srv);
    Ok(Loaded::Val(Value::ZSet(zs)))
}

/// rdbLoadObject: the value of type `t`.
/// `deep` is sanitize-dump-payload's deep check (duplicates in listpack pairs);
/// the structure of every blob is validated either way.
pub fn load_object<R: Read>(srv: &Server, t: u8, rd: &mut In<R>, deep: bool) -> RResult<Loaded> {
    let share = srv.share_integers();
    match t {
        TYPE_STRING => {
            let s = rd.string()?;
            Ok(Loaded::Val(Value::Str(StrEnc::from_bytes(&s, share))))
        }
        TYPE_LIST => {
            let n = rd.len()?;
            if n == 0 {
                return Ok(Loaded::Empty);
            }
            let mut ql = ql_new(srv);
            for _ in 0..n {
                let e = rd.string()?;
                ql.push_tail(&e);
            }
            Ok(Loaded::Val(Value::List(Box::new(ql))))
        }
        TYPE_SET => {
            let n = rd.len()?;
            if n == 0 {
                return Ok(Loaded::Empty);
            }
            let max = srv.config.set_max_intset_entries;
            let mut s = if n as usize > max {
                let mut d = crate::db::dict::Dict::new();
                d.expand((n as usize).min(1 << 20));
                SetVal::Table(Box::new(d))
            } else {
                SetVal::new_intset()
            };
            for _ in 0..n {
                let m = rd.string()?;
                if !s.add(&m, max) {
                    return Err(bad("Duplicate set members detected"));
                }
            }
            Ok(Loaded::Val(Value::Set(s)))
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = rd.len()?;
            let mut items = Vec::with_capacity((n as usize).min(1 << 16));
            for _ in 0..n {
                let e = rd.string()?;
                let sc = if t == TYPE_ZSET_2 {
                    rd.binary_double()?
                } else {
                    rd.text_double()?
                };
                items.push((e, sc));
            }
            zset_from_items(srv, items)
        }
        TYPE_HASH => {
            let n = rd.len()?;
            let mut pairs = Vec::with_capacity((n as usize).min(1 << 16));
            for _ in 0..n {
                let f = rd.string()?;
                let v = rd.string()?;
                pairs.push((f, v));
            }
            hash_from_pairs(srv, pairs)
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let n = rd.len()?;
            if n == 0 {
                return Ok(Loaded::Empty);
            }
            let mut ql = ql_new(srv);
            for _ in 0..n {
                let mut container = QL_PACKED;
                if t == TYPE_LIST_QUICKLIST_2 {
                    container = rd.len()?;
                    if container != QL_PACKED && container != QL_PLAIN {
                        return Err(bad("Quicklist integrity check failed."));
                    }
                }
                let data = rd.string()?;
                if data.is_empty() {
                    return Err(bad("Quicklist integrity check failed."));
                }
                if container == QL_PLAIN {
                    ql.append_plain_node(data);
                    continue;
                }
                let lp = if t == TYPE_LIST_QUICKLIST_2 {
                    Listpack::from_bytes(data, deep)
                        .ok_or_else(|| bad("Listpack integrity check failed."))?
                } else {
                    let items = ziplist_entries(&data)
                        .ok_or_else(|| bad("Ziplist integrity check failed."))?;
                    let mut lp = Listpack::new();
                    for it in items {
                        lp.append(&it);
                    }
                    lp
                };
                if !lp.is_empty() {
                    ql.append_listpack_node(lp);
                }
            }
            if ql.is_empty() {
                return Ok(Loaded::Empty);
            }
            Ok(Loaded::Val(Value::List(Box::new(ql))))
        }
        TYPE_HASH_ZIPMAP => {
            let b = rd.string()?;
            let pairs = zipmap_pairs(&b).ok_or_else(|| bad("Zipmap integrity check failed."))?;
            hash_from_pairs(srv, pairs)
        }
        TYPE_LIST_ZIPLIST => {
            let b = rd.string()?;
            let items =
                ziplist_entries(&b).ok_or_else(|| bad("List ziplist integrity check failed."))?;
            if items.is_empty() {
                return Ok(Loaded::Empty);
            }
            let mut ql = ql_new(srv);
            for it in items {
                ql.push_tail(&it);
            }
            Ok(Loaded::Val(Value::List(Box::new(ql))))
        }
        TYPE_SET_INTSET => {
            let b = rd.string()?;
            let is = crate::ds::intset::Intset::from_bytes(b, deep)
                .ok_or_else(|| bad("Intset integrity check failed."))?;
            let mut s = SetVal::Intset(is);
            if s.len() > srv.config.set_max_intset_entries {
                s.convert_to_table();
            }
            Ok(Loaded::Val(Value::Set(s)))
        }
        TYPE_ZSET_ZIPLIST => {
            let b = rd.string()?;
            let items =
                ziplist_entries(&b).ok_or_else(|| bad("Zset ziplist integrity check failed."))?;
            if items.len() % 2 != 0 || has_dup_pairs(&items) {
                return Err(bad("Zset ziplist integrity check failed."));
            }
            let mut out = Vec::with_capacity(items.len() / 2);
            let mut it = items.into_iter();
            while let (Some(e), Some(s)) = (it.next(), it.next()) {
                let sc = std::str::from_utf8(&s)
                    .ok()
                    .and_then(crate::util::parse_c_double)
                    .ok_or_else(|| bad("Zset ziplist integrity check failed."))?;
                out.push((e, sc));
            }
            zset_from_items(srv, out)
        }
        TYPE_HASH_ZIPLIST => {
            let b = rd.string()?;
            let items =
                ziplist_entries(&b).ok_or_else(|| bad("Hash ziplist integrity check failed."))?;
            if items.len() % 2 != 0 || has_dup_pairs(&items) {
                return Err(bad("Hash ziplist integrity check failed."));
            }
            let mut pairs = Vec::with_capacity(items.len() / 2);
            let mut it = items.into_iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                pairs.push((f, v));
            }
            hash_from_pairs(srv, pairs)
        }
        TYPE_ZSET_LISTPACK => {
            let b = rd.string()?;
            let lp = pairs_listpack(b, "Zset", deep)?;
            if lp.is_empty() {
                return Ok(Loaded::Empty);
            }
            // Scores must parse, or later reads would see garbage (checked with
            // the deep sanitization, like the rest of the body).
            if deep {
                let mut it = lp.iter();
                while let (Some(_), Some(s)) = (it.next(), it.next()) {
                    if let crate::ds::listpack::LpValue::Str(s) = s {
                        let ok = std::str::from_utf8(s)
                            .ok()
                            .and_then(crate::util::parse_c_double)
                            .is_some_and(|v| !v.is_nan());
                        if !ok {
                            return Err(bad("Zset listpack integrity check failed."));
                        }
                    }
                }
            }
            let mut z = ZSet::Lp(lp);
            if z.len() > srv.config.zset_max_listpack_entries {
                z.convert_to_skiplist();
            }
            Ok(Loaded::Val(Value::ZSet(z)))
        }
        TYPE_HASH_LISTPACK => {
            let b = rd.string()?;
            let lp = pairs_listpack(b, "Hash", deep)?;
            if lp.is_empty() {
                return Ok(Loaded::Empty);
            }
            let mut h = HashVal::Listpack(lp);
            if h.len() > srv.config.hash_max_listpack_entries {
                h.convert_to_table();
            }
            Ok(Loaded::Val(Value::Hash(h)))
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => {
            super::stream::read_stream(t, rd, deep).map(Loaded::Val)
        }
        TYPE_MODULE | TYPE_MODULE_2 => {
            let id = rd.len()?;
            Err(bad(&format!(
                "The RDB file contains module data I can't load: no matching module type '{}'",
                module_type_name(id)
            )))
        }
        _ => Err(bad(&format!("Unknown RDB encoding type {}", t))),
    }
}

/// moduleTypeNameByID: nine 6-bit characters above the 10-bit encoding version.
pub fn module_type_name(id: u64) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::new();
    let mut v = id >> 10;
    let mut chars = [0u8; 9];
    for c in chars.iter_mut().rev() {
        *c = CHARS[(v & 63) as usize];
        v >>= 6;
    }
    s.push_str(std::str::from_utf8(&chars).unwrap_or(""));
    s
}

/// What a load did (rdb_last_load_keys_*).
#[derive(Default)]
pub struct LoadStats {
    pub loaded: u64,
    pub expired: u64,
    pub empty_skipped: u64,
}

/// rdbLoadRio: reads a whole RDB stream into the keyspace. `progress` is called
/// with the byte offset after each key (loading events, INFO loading_*).
pub fn load_from_reader<R: Read>(
    srv: &mut Server,
    r: R,
    flags: u32,
    progress: &mut dyn FnMut(&mut Server, u64),
) -> RResult<LoadStats> {
    let mut rd = In::new(r);
    match load_inner(srv, &mut rd, flags, progress) {
        Ok(st) => Ok(st),
        // A bad header is rejected as is (rdbLoad's EINVAL), everything else
        // is reported with the offset it was found at.
        Err(e)
            if !e.corrupt
                || !(e.msg.starts_with("Wrong signature") || e.msg.starts_with("Can't handle")) =>
        {
            if !e.corrupt {
                log::warn!("Short read or OOM loading DB. Unrecoverable error, aborting now.");
                let eof = RdbError {
                    msg: "Unexpected EOF reading RDB file".into(),
                    corrupt: false,
                };
                return Err(at_offset(eof, rd.pos));
            }
            Err(at_offset(e, rd.pos))
        }
        Err(e) => Err(e),
    }
}

fn load_inner<R: Read>(
    srv: &mut Server,
    rd: &mut In<R>,
    flags: u32,
    progress: &mut dyn FnMut(&mut Server, u64),
) -> RResult<LoadStats> {
    let mut st = LoadStats::default();
    let mut magic = [0u8; 9];
    rd.exact(&mut magic)?;
    if &magic[..5] != b"REDIS" {
        return Err(bad("Wrong signature trying to load DB from file"));
    }
    let ver = atoi(&magic[5..]);
    if !(1..=RDB_VERSION as i64).contains(&ver) {
        return Err(bad(&format!("Can't handle RDB format version {}", ver)));
    }
    let mut db = 0usize;
    let mut expire: i64 = -1;
    let mut lfu_freq: i64 = -1;
    let mut lru_idle: i64 = -1;
    let now = crate::util::mstime();
    let key_load_delay = srv.config.get_i64("key-load-delay");
    let deep = deep_sanitize(srv);
    let mut rng = (crate::util::ustime() as u64) | 1;
    loop {
        let t = rd.u8()?;
        match t {
            OP_EXPIRETIME => {
                let mut b = [0u8; 4];
                rd.exact(&mut b)?;
                expire = i32::from_le_bytes(b) as i64 * 1000;
                continue;
            }
            OP_EXPIRETIME_MS => {
                expire = rd.millis()?;
                continue;
            }
            OP_FREQ => {
                lfu_freq = rd.u8()? as i64;
                continue;
            }
            OP_IDLE => {
                lru_idle = rd.len()? as i64;
                continue;
            }
            OP_EOF => break,
            OP_SELECTDB => {
                let id = rd.len()?;
                if id >= srv.dbs.len() as u64 {
                    log::warn!("FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting\n", srv.dbs.len());
                    std::process::exit(1);
                }
                db = id as usize;
                continue;
            }
            OP_RESIZEDB => {
                let n = rd.len()?;
                let _expires = rd.len()?;
                srv.dbs[db].expand_main(n as usize);
                continue;
            }
            OP_AUX => {
                let k = rd.string()?;
                let v = rd.string()?;
                aux_field(&k, &v);
                match k.as_slice() {
                    b"repl-id" if v.len() == 40 => {
                        srv.rdb.loaded_repl_id = Some(String::from_utf8_lossy(&v).into_owned())
                    }
                    b"repl-offset" => srv.rdb.loaded_repl_offset = atoi(&v),
                    b"repl-stream-db" => srv.rdb.loaded_repl_stream_db = atoi(&v),
                    _ => {}
                }
                continue;
            }
            OP_MODULE_AUX => {
                let id = rd.len()?;
                log::warn!(
                    "The RDB file contains AUX module data I can't load: no matching module '{}'",
                    module_type_name(id)
                );
                std::process::exit(1);
            }
            OP_FUNCTION | OP_FUNCTION2 => {
                return Err(bad(
                    "The RDB file contains functions, which this server cannot load yet",
                ));
            }
            _ => {}
        }
        if !is_object_type(t) {
            return Err(bad(&format!("Unknown RDB type {}", t)));
        }
        let key = rd.string()?;
        let val = match load_object(srv, t, rd, deep) {
            Ok(Loaded::Val(v)) => v,
            Ok(Loaded::Empty) => {
                if st.empty_skipped < 10 {
                    log::info!(
                        "rdbLoadObject skipping empty key: {}",
                        String::from_utf8_lossy(&key)
                    );
                }
                st.empty_skipped += 1;
                expire = -1;
                lfu_freq = -1;
                lru_idle = -1;
                continue;
            }
            Err(e) => return Err(e),
        };
        // A replica keeps what its master will expire (iAmMaster()).
        if flags & LOAD_AOF_PREAMBLE == 0 && expire != -1 && expire < now && !srv.is_replica() {
            st.expired += 1;
            if flags & LOAD_FEED_REPL != 0 {
                let del: &[u8] = if srv.config.get_bool("lazyfree-lazy-expire") {
                    b"UNLINK"
                } else {
                    b"DEL"
                };
                let argv = crate::resp::OwnedArgv::from_slices([del, &key[..]]);
                srv.replication_feed_slaves(db, &argv.view());
            }
        } else {
            st.loaded += 1;
            let mut o = Obj::new(val, srv.lru_clock);
            set_lru_or_lfu(srv, &mut o, lfu_freq, lru_idle);
            let d = &mut srv.dbs[db];
            if d.contains(&key) {
                if flags & LOAD_ALLOW_DUP != 0 {
                    d.remove(&key);
                } else {
                    log::warn!(
                        "RDB has duplicated key '{}' in DB {}",
                        String::from_utf8_lossy(&key),
                        db
                    );
                    panic!("Duplicated key found in RDB file");
                }
            }
            d.add(&key, o);
            if expire != -1 {
                d.set_expire(&key, expire);
            }
        }
        progress(srv, rd.pos);
        if key_load_delay != 0 {
            super::save::debug_delay(key_load_delay, &mut rng);
        }
        expire = -1;
        lfu_freq = -1;
        lru_idle = -1;
    }
    if ver >= 5 {
        let expected = rd.crc;
        let mut b = [0u8; 8];
        rd.exact(&mut b)?;
        let got = u64::from_le_bytes(b);
        if srv.config.get_bool("rdbchecksum")
            && !crate::debug::SKIP_CHECKSUM_VALIDATION.load(std::sync::atomic::Ordering::Relaxed)
        {
            if got == 0 {
                log::info!("RDB file was saved with checksum disabled: no check performed.");
            } else if got != expected {
                log::warn!(
                    "Wrong RDB checksum expected: ({:x}) got: ({:x}). Aborting now.",
                    got,
                    expected
                );
                return Err(bad("RDB CRC error"));
            }
        }
    }
    if st.empty_skipped > 0 {
        log::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
            st.loaded,
            st.expired,
            st.empty_skipped
        );
    } else {
        log::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            st.loaded,
            st.expired
        );
    }
    Ok(st)
}

/// rdbReportError's text: where the reader was and what went wrong.
pub fn at_offset(e: RdbError, pos: u64) -> RdbError {
    RdbError {
        msg: format!(
            "Internal error in RDB reading offset {}, function at rdb.c:0 -> {}",
            pos, e.msg
        ),
        corrupt: e.corrupt,
    }
}

/// objectSetLRUOrLFU with the IDLE/FREQ opcodes of the key record.
fn set_lru_or_lfu(srv: &Server, o: &mut Obj, lfu_freq: i64, lru_idle: i64) {
    if srv.lfu_policy() {
        o.lru = if lfu_freq >= 0 {
            ((crate::db::object::lfu_initial() >> 8) << 8) | lfu_freq as u32
        } else {
            crate::db::object::lfu_initial()
        };
    } else if lru_idle >= 0 && srv.config.maxmemory_policy_uses_lru_lfu() {
        let clock = srv.lru_clock as i64;
        let max = crate::db::object::LRU_CLOCK_MAX as i64;
        let mut abs = clock - lru_idle;
        if abs < 0 {
            abs = (clock + max / 2) % max;
        }
        o.lru = abs as u32;
    }
}

fn aux_field(k: &[u8], v: &[u8]) {
    let ks = String::from_utf8_lossy(k);
    let vs = String::from_utf8_lossy(v);
    if k.first() == Some(&b'%') {
        log::info!("RDB '{}': {}", ks, vs);
    } else if k == b"redis-ver" {
        log::info!("Loading RDB produced by version {}", vs);
    } else if k == b"ctime" {
        let age = crate::util::mstime() / 1000 - atoi(v);
        log::info!("RDB age {} seconds", age.max(0));
    } else if k == b"used-mem" {
        log::info!(
            "RDB memory usage when created {:.2} Mb",
            atoi(v) as f64 / (1024.0 * 1024.0)
        );
    } else if matches!(
        k,
        b"repl-stream-db"
            | b"repl-id"
            | b"repl-offset"
            | b"lua"
            | b"aof-preamble"
            | b"aof-base"
            | b"redis-bits"
    ) {
    } else {
        log::debug!("Unrecognized RDB AUX field: '{}'", ks);
    }
}

/// C's atoi.
fn atoi(s: &[u8]) -> i64 {
    let t: Vec<u8> = s
        .iter()
        .copied()
        .skip_while(|c| c.is_ascii_whitespace())
        .collect();
    let (neg, rest) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, &t[..]),
    };
    let mut v: i64 = 0;
    for c in rest.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.wrapping_mul(10).wrapping_add((c - b'0') as i64);
    }
    if neg {
        -v
    } else {
        v
    }
}

/// rdbLoad from a file: Ok(false) when it does not exist. Sets the loading
/// state and INFO counters around the load.
pub fn load_file(srv: &mut Server, path: &str, flags: u32) -> RResult<bool> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(RdbError {
                msg: format!(
                    "Error opening the RDB file {}: {}",
                    path,
                    crate::server::listen::strerror(&e)
                ),
                corrupt: false,
            })
        }
    };
    let total = f.metadata().map(|m| m.len()).unwrap_or(0);
    srv.start_loading(total);
    let interval = srv
        .config
        .get_i64("loading-process-events-interval-bytes")
        .max(1) as u64;
    let mut next = interval;
    let res = load_from_reader(
        srv,
        std::io::BufReader::with_capacity(1 << 16, f),
        flags,
        &mut |srv, pos| {
            if pos >= next {
                next = pos + interval;
                srv.rdb.loading_loaded_bytes = pos;
                srv.loading_process_events();
            }
        },
    );
    srv.stop_loading();
    match res {
        Ok(st) => {
            srv.rdb.last_load_keys_loaded = st.loaded;
            srv.rdb.last_load_keys_expired = st.expired;
            Ok(true)
        }
        Err(e) => Err(e),
    }
}

impl Server {
    /// startLoading.
    pub fn start_loading(&mut self, total: u64) {
        self.loading = true;
        self.rdb.loading_start_time = crate::util::mstime() / 1000;
        self.rdb.loading_total_bytes = total;
        self.rdb.loading_loaded_bytes = 0;
        self.rdb.last_load_keys_loaded = 0;
        self.rdb.last_load_keys_expired = 0;
        self.rdb.loaded_repl_id = None;
        self.rdb.loaded_repl_offset = -1;
        self.rdb.loaded_repl_stream_db = -1;
    }

    pub fn stop_loading(&mut self) {
        self.loading = false;
    }

    /// processEventsWhileBlocked during a load: the hook the event loop fills in
    /// (LOADING replies to clients while the dataset loads).
    pub fn loading_process_events(&mut self) {
        if let Some(f) = self.events_while_blocked {
            f(self);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::legacy::build;
    use super::*;
    use crate::config::Config;

    fn string(out: &mut Vec<u8>, s: &[u8]) {
        let mut b = [0u8; 9];
        let n = encode_len(s.len() as u64, &mut b);
        out.extend_from_slice(&b[..n]);
        out.extend_from_slice(s);
    }

    fn key(out: &mut Vec<u8>, t: u8, k: &[u8]) {
        out.push(t);
        string(out, k);
    }

    /// A version 9 file (Redis 5.0) using the encodings 7.0 no longer writes,
    /// built byte by byte from the format sheet (no Redis 5.0 binary here):
    /// zipmap hash, ziplist list/hash/zset, quicklist v1, text-score zset,
    /// seconds expire, two databases, real CRC64.
    fn legacy_file() -> Vec<u8> {
        let mut f = b"REDIS0009".to_vec();
        f.push(OP_AUX);
        string(&mut f, b"redis-ver");
        string(&mut f, b"5.0.7");
        f.extend_from_slice(&[OP_SELECTDB, 0, OP_RESIZEDB, 7, 1]);
        key(&mut f, TYPE_HASH_ZIPMAP, b"zipmap");
        string(&mut f, &build::zipmap(&[(b"f1", b"v1"), (b"f2", b"22")]));
        key(&mut f, TYPE_LIST_ZIPLIST, b"zl-list");
        string(
            &mut f,
            &build::ziplist(&[b"a", b"7", b"-30000", b"9000000000"]),
        );
        key(&mut f, TYPE_ZSET_ZIPLIST, b"zl-zset");
        string(&mut f, &build::ziplist(&[b"m2", b"-2", b"m1", b"1.5"]));
        key(&mut f, TYPE_HASH_ZIPLIST, b"zl-hash");
        string(&mut f, &build::ziplist(&[b"a", b"1", b"b", b"x"]));
        key(&mut f, TYPE_LIST_QUICKLIST, b"ql1");
        f.push(2);
        string(&mut f, &build::ziplist(&[b"a", b"b"]));
        string(&mut f, &build::ziplist(&[b"c"]));
        key(&mut f, TYPE_ZSET, b"zset1");
        f.push(1);
        string(&mut f, b"m");
        f.push(3);
        f.extend_from_slice(b"2.5");
        f.push(OP_EXPIRETIME);
        f.extend_from_slice(&2_000_000_000i32.to_le_bytes());
        key(&mut f, TYPE_STRING, b"exp");
        string(&mut f, b"v");
        f.extend_from_slice(&[OP_SELECTDB, 5]);
        key(&mut f, TYPE_SET_INTSET, b"is");
        string(&mut f, &[2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0]);
        f.push(OP_EOF);
        let crc = crc64::crc64(&f);
        f.extend_from_slice(&crc.to_le_bytes());
        f
    }

    fn load(srv: &mut Server, f: &[u8]) -> RResult<LoadStats> {
        load_from_reader(srv, f, LOAD_NONE, &mut |_, _| {})
    }

    #[test]
    fn loads_redis_5_encodings() {
        let mut srv = Server::new(Config::default());
        let st = load(&mut srv, &legacy_file()).unwrap();
        assert_eq!(st.loaded, 8);
        let get = |srv: &Server, db: usize, k: &[u8]| -> Vec<Vec<u8>> {
            match &srv.dbs[db].get(k).unwrap().val {
                Value::List(l) => l.to_vec(),
                Value::Hash(h) => {
                    let mut v = Vec::new();
                    h.for_each(|f, x| {
                        v.push(f.to_vec());
                        v.push(x.to_vec());
                    });
                    v
                }
                Value::ZSet(z) => z
                    .items()
                    .into_iter()
                    .flat_map(|(e, s)| [e, crate::util::fmt_f64_g17(s).into_bytes()])
                    .collect(),
                Value::Set(s) => {
                    let mut v = Vec::new();
                    s.for_each(|m| v.push(m.to_vec()));
                    v
                }
                Value::Str(s) => vec![s.to_vec()],
                other => panic!("no {} in this file", other.type_name()),
            }
        };
        let b = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(get(&srv, 0, b"zipmap"), b(&["f1", "v1", "f2", "22"]));
        assert_eq!(
            get(&srv, 0, b"zl-list"),
            b(&["a", "7", "-30000", "9000000000"])
        );
        assert_eq!(get(&srv, 0, b"zl-zset"), b(&["m2", "-2", "m1", "1.5"]));
        assert_eq!(get(&srv, 0, b"zl-hash"), b(&["a", "1", "b", "x"]));
        assert_eq!(get(&srv, 0, b"ql1"), b(&["a", "b", "c"]));
        assert_eq!(get(&srv, 0, b"zset1"), b(&["m", "2.5"]));
        assert_eq!(srv.dbs[0].expire_of(b"exp"), Some(2_000_000_000_000));
        assert_eq!(get(&srv, 5, b"is"), b(&["1", "2"]));
        assert_eq!(
            srv.dbs[0].get(b"zl-hash").unwrap().val.encoding_name(),
            "listpack"
        );
    }

    #[test]
    fn corrupt_files_are_refused_not_trusted() {
        let f = legacy_file();
        let mut bad_crc = f.clone();
        let n = bad_crc.len();
        bad_crc[n - 1] ^= 1;
        assert!(load(&mut Server::new(Config::default()), &bad_crc).is_err());
        // Every truncation and single-byte flip fails cleanly (or loads).
        for k in 0..f.len() {
            let _ = load(&mut Server::new(Config::default()), &f[..k]);
            let mut c = f.clone();
            c[k] ^= 0xA5;
            let mut srv = Server::new(Config::default());
            let i = crate::config::lookup(b"rdbchecksum").unwrap();
            srv.config.set_value(i, &[b"no".to_vec()], false).unwrap();
            let _ = load(&mut srv, &c);
        }
    }

    #[test]
    fn our_writer_round_trips() {
        let mut srv = Server::new(Config::default());
        load(&mut srv, &legacy_file()).unwrap();
        let before = srv.dataset_digest();
        let bytes = super::super::save::save_to_writer(&srv, Vec::new(), 0, |_| {}).unwrap();
        assert_eq!(&bytes[..9], b"REDIS0010");
        let mut again = Server::new(Config::default());
        load(&mut again, &bytes).unwrap();
        assert_eq!(again.dataset_digest(), before);
    }
}

//! Hashes (Redis's t_hash.c): the value type with its two encodings — a
//! listpack of alternating field/value entries while the hash is small
//! (hash-max-listpack-entries / -value), a Redis-style dict after — with
//! Redis's conversion rules, and the H* commands.

use crate::db::dict::Dict;
use crate::db::keyspace_cmds::{parse_scan_cursor, parse_scan_opts, scan_dict, scan_reply};
use crate::db::object::{Obj, Value};
use crate::db::TypedValue;
use crate::ds::listpack::{Listpack, LpValue};
use crate::long_double::LongDouble;
use crate::networking::Client;
use crate::notify::class;
use crate::resp::Argv;
use crate::server::Server;
use crate::t_set::reply_random_draws;
use crate::util::{parse_i64, Rng};

pub enum HashVal {
    Listpack(Listpack),
    Table(Box<Dict<Box<[u8]>>>),
}

/// The size limits that decide the encoding, read from the config once per command.
#[derive(Clone, Copy)]
pub struct HashLimits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl HashLimits {
    pub fn of(srv: &Server) -> HashLimits {
        HashLimits {
            max_entries: srv.config.hash_max_listpack_entries,
            max_value: srv.config.hash_max_listpack_value,
        }
    }
}

/// The string form of an element, as replies and digests see it.
fn lp_bytes<'a>(v: LpValue<'a>, tmp: &'a mut [u8; 20]) -> &'a [u8] {
    match v {
        LpValue::Str(s) => s,
        LpValue::Int(i) => crate::util::fmt_i64(i, tmp),
    }
}

fn add_reply_lp(c: &mut Client, v: LpValue) {
    match v {
        LpValue::Str(s) => c.add_bulk(s),
        LpValue::Int(i) => c.add_bulk_i64(i),
    }
}

impl Default for HashVal {
    fn default() -> Self {
        HashVal::new()
    }
}

impl HashVal {
    /// createHashObject: an empty listpack.
    pub fn new() -> HashVal {
        HashVal::Listpack(Listpack::new())
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            HashVal::Listpack(_) => "listpack",
            HashVal::Table(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            HashVal::Listpack(lp) => lp.len() / 2,
            HashVal::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// hashTypeGetValue: the value stored under `field`.
    pub fn get(&self, field: &[u8]) -> Option<LpValue<'_>> {
        match self {
            HashVal::Listpack(lp) => {
                let f = lp.find(lp.first()?, field, 1)?;
                let v = lp.next(f).expect("listpack hash: field without value");
                Some(lp.get(v))
            }
            HashVal::Table(d) => d.get(field).map(|v| LpValue::Str(v)),
        }
    }

    pub fn exists(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// hashTypeTryConversion: converts ahead of a write whose arguments would
    /// not fit a listpack (an argument longer than the value limit, or a total
    /// size past the listpack safety cap).
    pub fn try_conversion<'a>(&mut self, args: impl Iterator<Item = &'a [u8]>, lim: HashLimits) {
        let HashVal::Listpack(lp) = self else {
            return;
        };
        let mut sum = 0usize;
        for a in args {
            if a.len() > lim.max_value {
                self.convert_to_table();
                return;
            }
            sum += a.len();
        }
        if !lp.safe_to_add(sum) {
            self.convert_to_table();
        }
    }

    /// hashTypeConvertListpack: a presized dict with every pair.
    pub fn convert_to_table(&mut self) {
        let HashVal::Listpack(lp) = self else {
            return;
        };
        let mut d: Dict<Box<[u8]>> = Dict::new();
        d.expand(lp.len() / 2);
        let mut p = lp.first();
        while let Some(f) = p {
            let v = lp.next(f).expect("listpack hash: field without value");
            let field = lp.get(f).to_vec().into_boxed_slice();
            let value = lp.get(v).to_vec().into_boxed_slice();
            if d.contains_key(&field) {
                // As hashTypeConvertListpack: a payload loaded without deep
                // sanitization can hold duplicates; report and stop cleanly.
                log::warn!(
                    "listpack with dup elements dump ({} bytes)",
                    lp.as_bytes().len()
                );
                panic!("Listpack corruption detected");
            }
            d.insert_new(field.into(), value);
            p = lp.next(v);
        }
        *self = HashVal::Table(Box::new(d));
    }

    /// hashTypeSet: inserts or overwrites; true when a field was updated.
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: HashLimits) -> bool {
        if let HashVal::Listpack(_) = self {
            if field.len() > lim.max_value || value.len() > lim.max_value {
                self.convert_to_table();
            }
        }
        match self {
            HashVal::Listpack(lp) => {
                let found = lp.first().and_then(|p| lp.find(p, field, 1));
                let update = match found {
                    Some(f) => {
                        let v = lp.next(f).expect("listpack hash: field without value");
                        lp.replace(v, value);
                        true
                    }
                    None => {
                        lp.append(field);
                        lp.append(value);
                        false
                    }
                };
                if lp.len() / 2 > lim.max_entries {
                    self.convert_to_table();
                }
                update
            }
            HashVal::Table(d) => match d.get_mut(field) {
                Some(v) => {
                    *v = value.into();
                    true
                }
                None => {
                    d.insert_new(field.into(), value.into());
                    false
                }
            },
        }
    }

    /// hashTypeDelete: true when the field existed.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        match self {
            HashVal::Listpack(lp) => {
                let Some(f) = lp.first().and_then(|p| lp.find(p, field, 1)) else {
                    return false;
                };
                lp.delete_range_at(f, 2);
                true
            }
            HashVal::Table(d) => {
                if d.remove(field).is_none() {
                    return false;
                }
                d.shrink_if_needed();
                true
            }
        }
    }

    /// Visits every field/value pair in storage order (hashTypeNext).
    pub fn for_each<F: FnMut(LpValue, LpValue)>(&self, mut f: F) {
        match self {
            HashVal::Listpack(lp) => {
                let mut p = lp.first();
                while let Some(k) = p {
                    let v = lp.next(k).expect("listpack hash: field without value");
                    f(lp.get(k), lp.get(v));
                    p = lp.next(v);
                }
            }
            HashVal::Table(d) => {
                for (k, v) in d.iter() {
                    f(LpValue::Str(k), LpValue::Str(v));
                }
            }
        }
    }

    /// hashTypeRandomElement: a fair random pair of a non-empty hash.
    pub fn random_pair(&self, rng: &mut Rng) -> (LpValue<'_>, LpValue<'_>) {
        match self {
            HashVal::Listpack(lp) => {
                let n = lp.len() / 2;
                let i = rng.below(n as u64) as i64 * 2;
                let k = lp.seek(i).expect("listpack hash: index in range");
                let v = lp.next(k).expect("listpack hash: field without value");
                (lp.get(k), lp.get(v))
            }
            HashVal::Table(d) => {
                let e = d.fair_random_entry(rng).expect("non-empty hash");
                (LpValue::Str(&e.key), LpValue::Str(&e.val))
            }
        }
    }

    /// hashTypeDup for COPY: same encoding, fresh storage.
    pub fn dup(&self) -> HashVal {
        match self {
            HashVal::Listpack(lp) => HashVal::Listpack(lp.clone()),
            HashVal::Table(d) => {
                let mut n: Dict<Box<[u8]>> = Dict::new();
                n.expand(d.len());
                for (k, v) in d.iter() {
                    n.insert_new(k.into(), v.clone());
                }
                HashVal::Table(Box::new(n))
            }
        }
    }

    /// xorObjectDigest's hash part: per pair, mix field then value into a
    /// fresh digest, and xor those together (order-independent).
    pub fn digest(&self, digest: &mut [u8; 20]) {
        self.for_each(|k, v| {
            let mut ele = [0u8; 20];
            let (mut t1, mut t2) = ([0u8; 20], [0u8; 20]);
            crate::debug::mix_digest(&mut ele, lp_bytes(k, &mut t1));
            crate::debug::mix_digest(&mut ele, lp_bytes(v, &mut t2));
            crate::debug::xor_digest(digest, &ele);
        });
    }

    /// rdbSaveObject's payload size: the listpack blob as one string, or the
    /// pair count followed by every field and value.
    pub fn serialized_len(&self, compression: bool) -> usize {
        use crate::debug::{rdb_len_size, rdb_string_len};
        match self {
            HashVal::Listpack(lp) => rdb_string_len(lp.as_bytes(), compression),
            HashVal::Table(d) => {
                let mut n = rdb_len_size(d.len() as u64);
                for (k, v) in d.iter() {
                    n += rdb_string_len(k, compression) + rdb_string_len(v, compression);
                }
                n
            }
        }
    }

    /// objectComputeSize: the listpack allocation, or the dict with its
    /// entries averaged over up to `samples` of them.
    pub fn memory(&self, samples: u64) -> usize {
        use crate::server::server_cmds::alloc_size;
        match self {
            HashVal::Listpack(lp) => ROBJ_SIZE + alloc_size(lp.total_bytes()),
            HashVal::Table(d) => {
                let mut size = ROBJ_SIZE + DICT_SIZE + 8 * d.buckets();
                let (mut elesize, mut n) = (0usize, 0u64);
                for (k, v) in d.iter() {
                    if n >= samples {
                        break;
                    }
                    elesize += sds_new_size(k.len()) + sds_new_size(v.len()) + DICT_ENTRY_SIZE;
                    n += 1;
                }
                if n > 0 {
                    size += (elesize as f64 / n as f64 * d.len() as f64) as usize;
                }
                size
            }
        }
    }

    /// DEBUG HTSTATS-KEY text when the hash is a dict.
    pub fn table_stats(&self) -> Option<String> {
        match self {
            HashVal::Table(d) => Some(d.stats_text()),
            HashVal::Listpack(_) => None,
        }
    }

    /// The dict behind a hashtable-encoded hash (HSCAN walks it with a cursor).
    pub fn table(&self) -> Option<&Dict<Box<[u8]>>> {
        match self {
            HashVal::Table(d) => Some(d),
            HashVal::Listpack(_) => None,
        }
    }
}

pub const ROBJ_SIZE: usize = 16;
/// sizeof(dict) in Redis 7.0.
pub const DICT_SIZE: usize = 56;
pub const DICT_ENTRY_SIZE: usize = 24;

/// The allocation sdsnewlen makes for `len` bytes: the smallest sds header
/// that fits (sdshdr5 under 32 bytes, except for empty strings), the bytes and
/// a NUL, rounded to the allocator's size class.
pub fn sds_new_size(len: usize) -> usize {
    let hdr = if len == 0 {
        3
    } else if len < 32 {
        1
    } else if len < 1 << 8 {
        3
    } else if len < 1 << 16 {
        5
    } else if len < 1 << 32 {
        9
    } else {
        17
    };
    crate::server::server_cmds::alloc_size(hdr + len + 1)
}

// ---------------------------------------------------------------- lookups

/// hashTypeLookupWriteOrCreate: the hash under `key`, created empty when
/// missing; None after a WRONGTYPE reply.
fn lookup_write_or_create<'s>(
    srv: &'s mut Server,
    c: &mut Client,
    key: &[u8],
) -> Option<&'s mut HashVal> {
    let db = c.db;
    let exists = match srv.lookup_write_as::<HashVal>(db, key).or_wrongtype(c) {
        Err(()) => return None,
        Ok(h) => h.is_some(),
    };
    if !exists {
        let lru = srv.new_obj_lru();
        srv.db_add(db, key, Obj::new(Value::Hash(HashVal::new()), lru));
    }
    srv.dbs[db]
        .get_mut(key)
        .and_then(|o| HashVal::from_value(&mut o.val))
}

// ---------------------------------------------------------------- commands

pub fn hsetnx_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let lim = HashLimits::of(srv);
    let key = argv.get(1);
    let Some(h) = lookup_write_or_create(srv, c, key) else {
        return;
    };
    if h.exists(argv.get(2)) {
        c.add_int(0);
        return;
    }
    h.try_conversion([argv.get(2), argv.get(3)].into_iter(), lim);
    h.set(argv.get(2), argv.get(3), lim);
    c.add_int(1);
    srv.signal_modified_key(c.db, key);
    srv.notify_keyspace_event(class::HASH, "hset", key, c.db);
    srv.dirty += 1;
}

/// HSET and HMSET (one handler, told apart by the name's second letter, as Redis does).
pub fn hset_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() % 2 == 1 {
        let name = String::from_utf8_lossy(argv.get(0)).to_lowercase();
        c.add_error_arity(&name);
        return;
    }
    let lim = HashLimits::of(srv);
    let key = argv.get(1);
    let Some(h) = lookup_write_or_create(srv, c, key) else {
        return;
    };
    h.try_conversion((2..argv.len()).map(|i| argv.get(i)), lim);
    let mut created = 0;
    for i in (2..argv.len()).step_by(2) {
        if !h.set(argv.get(i), argv.get(i + 1), lim) {
            created += 1;
        }
    }
    let name = argv.get(0);
    if name.len() > 1 && name[1].eq_ignore_ascii_case(&b's') {
        c.add_int(created);
    } else {
        c.add_ok();
    }
    srv.signal_modified_key(c.db, key);
    srv.notify_keyspace_event(class::HASH, "hset", key, c.db);
    srv.dirty += ((argv.len() - 2) / 2) as u64;
}

pub fn hincrby_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(incr) = parse_i64(argv.get(3)) else {
        c.add_error_not_int();
        return;
    };
    let lim = HashLimits::of(srv);
    let key = argv.get(1);
    let field = argv.get(2);
    let Some(h) = lookup_write_or_create(srv, c, key) else {
        return;
    };
    let old = match h.get(field) {
        None => 0,
        Some(LpValue::Int(v)) => v,
        Some(LpValue::Str(s)) => match parse_i64(s) {
            Some(v) => v,
            None => {
                c.add_error("hash value is not an integer");
                return;
            }
        },
    };
    let Some(value) = old.checked_add(incr) else {
        c.add_error("increment or decrement would overflow");
        return;
    };
    let mut t = [0u8; 20];
    h.set(field, crate::util::fmt_i64(value, &mut t), lim);
    c.add_int(value);
    srv.signal_modified_key(c.db, key);
    srv.notify_keyspace_event(class::HASH, "hincrby", key, c.db);
    srv.dirty += 1;
}

pub fn hincrbyfloat_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(incr) = LongDouble::parse(argv.get(3)) else {
        c.add_error_not_float();
        return;
    };
    if !incr.is_finite() {
        c.add_error("value is NaN or Infinity");
        return;
    }
    let lim = HashLimits::of(srv);
    let key = argv.get(1);
    let field = argv.get(2);
    let Some(h) = lookup_write_or_create(srv, c, key) else {
        return;
    };
    let old = match h.get(field) {
        None => LongDouble::from_i64(0),
        Some(LpValue::Int(v)) => LongDouble::from_i64(v),
        Some(LpValue::Str(s)) => match LongDouble::parse(s) {
            Some(v) => v,
            None => {
                c.add_error("hash value is not a float");
                return;
            }
        },
    };
    let sum = old.add(incr);
    if !sum.is_finite() {
        c.add_error("increment would produce NaN or Infinity");
        return;
    }
    let text = sum.to_human_string();
    h.set(field, text.as_bytes(), lim);
    c.add_bulk(text.as_bytes());
    srv.signal_modified_key(c.db, key);
    srv.notify_keyspace_event(class::HASH, "hincrbyfloat", key, c.db);
    srv.dirty += 1;
    // Propagated as HSET of the result, so float rounding can't diverge.
    srv.rewrite_command(&[b"HSET", key, field, text.as_bytes()]);
}

fn add_field_reply(c: &mut Client, h: Option<&HashVal>, field: &[u8]) {
    match h.and_then(|h| h.get(field)) {
        Some(v) => add_reply_lp(c, v),
        None => c.add_null(),
    }
}

pub fn hget_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    match srv
        .lookup_read_as::<HashVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    {
        Err(()) => {}
        Ok(h) => add_field_reply(c, h, argv.get(2)),
    }
}

pub fn hmget_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Ok(h) = srv
        .lookup_read_as::<HashVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    else {
        return;
    };
    c.add_array_len(argv.len() - 2);
    for i in 2..argv.len() {
        add_field_reply(c, h, argv.get(i));
    }
}

pub fn hdel_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    srv.remove_members(
        c,
        argv,
        class::HASH,
        "hdel",
        HashVal::delete,
        HashVal::is_empty,
    );
}

pub fn hlen_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if let Ok(h) = srv
        .lookup_read_as::<HashVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    {
        c.add_int(h.map_or(0, |h| h.len() as i64));
    }
}

pub fn hstrlen_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if let Ok(h) = srv
        .lookup_read_as::<HashVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    {
        let len = match h.and_then(|h| h.get(argv.get(2))) {
            None => 0,
            Some(v) => {
                let mut t = [0u8; 20];
                lp_bytes(v, &mut t).len()
            }
        };
        c.add_int(len as i64);
    }
}

pub fn hexists_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if let Ok(h) = srv
        .lookup_read_as::<HashVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    {
        c.add_int(h.is_some_and(|h| h.exists(argv.get(2))) as i64);
    }
}

const KEYS: u8 = 1;
const VALUES: u8 = 2;

/// genericHgetallCommand: a map for HGETALL, flat arrays for HKEYS/HVALS.
fn hgetall_generic(srv: &mut Server, c: &mut Client, argv: &Argv, what: u8) {
    let both = what == KEYS | VALUES;
    let Ok(h) = srv
        .lookup_read_as::<HashVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    else {
        return;
    };
    let Some(h) = h else {
        if both {
            c.add_map_len(0);
        } else {
            c.add_array_len(0);
        }
        return;
    };
    if both {
        c.add_map_len(h.len());
    } else {
        c.add_array_len(h.len());
    }
    h.for_each(|k, v| {
        if what & KEYS != 0 {
            add_reply_lp(c, k);
        }
        if what & VALUES != 0 {
            add_reply_lp(c, v);
        }
    });
}

pub fn hkeys_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    hgetall_generic(srv, c, argv, KEYS);
}

pub fn hvals_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    hgetall_generic(srv, c, argv, VALUES);
}

pub fn hgetall_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    hgetall_generic(srv, c, argv, KEYS | VALUES);
}

pub fn hscan_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(cursor) = parse_scan_cursor(argv.get(2)) else {
        c.add_error("invalid cursor");
        return;
    };
    let h = match srv
        .lookup_read_as::<HashVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    {
        Err(()) => return,
        Ok(None) => {
            c.add_raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
            return;
        }
        Ok(Some(h)) => h,
    };
    let Some(opts) = parse_scan_opts(c, argv, 3, false) else {
        return;
    };
    let mut items: Vec<Vec<u8>> = Vec::new();
    let cursor = match h.table() {
        Some(d) => scan_dict(
            d,
            cursor,
            opts.count.wrapping_mul(2),
            |k, v, out| {
                out.push(k.to_vec());
                out.push(v.to_vec());
            },
            &mut items,
        ),
        None => {
            h.for_each(|k, v| {
                items.push(k.to_vec());
                items.push(v.to_vec());
            });
            0
        }
    };
    scan_reply(c, cursor, items, true, opts.pattern);
}

/// HRANDFIELD's strategy thresholds (HRANDFIELD_SUB_STRATEGY_MUL,
/// HRANDFIELD_RANDOM_SAMPLE_LIMIT).
const SUB_STRATEGY_MUL: u64 = 3;

fn add_pair_reply(c: &mut Client, k: LpValue, v: LpValue, withvalues: bool) {
    if withvalues && c.resp > 2 {
        c.add_array_len(2);
    }
    add_reply_lp(c, k);
    if withvalues {
        add_reply_lp(c, v);
    }
}

fn hrandfield_with_count(srv: &mut Server, c: &mut Client, key: &[u8], l: i64, withvalues: bool) {
    let db = c.db;
    match srv.lookup_read_as::<HashVal>(c.db, key).or_wrongtype(c) {
        Err(()) => return,
        Ok(None) => {
            c.add_array_len(0);
            return;
        }
        Ok(Some(_)) => {}
    }
    let Server { dbs, rng, .. } = srv;
    let h = HashVal::from_value_ref(&dbs[db].get(key).expect("looked up above").val)
        .expect("checked type");
    let size = h.len() as u64;
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    if count == 0 {
        c.add_array_len(0);
        return;
    }
    // CASE 1: negative count: independent draws, repetitions allowed.
    if !uniq || count == 1 {
        let n = count as usize;
        c.add_array_len(if withvalues && c.resp == 2 { n * 2 } else { n });
        match h {
            HashVal::Table(_) => reply_random_draws(c, count, |c| {
                let (k, v) = h.random_pair(rng);
                add_pair_reply(c, k, v, withvalues);
            }),
            HashVal::Listpack(lp) => {
                let idx = pair_offsets(lp);
                reply_random_draws(c, count, |c| {
                    let k = idx[rng.below(idx.len() as u64) as usize];
                    let v = lp.next(k).expect("listpack hash: field without value");
                    add_pair_reply(c, lp.get(k), lp.get(v), withvalues);
                })
            }
        }
        return;
    }
    let reply_size = count.min(size) as usize;
    c.add_array_len(if withvalues && c.resp == 2 {
        reply_size * 2
    } else {
        reply_size
    });
    // CASE 2: the whole hash.
    if count >= size {
        h.for_each(|k, v| add_pair_reply(c, k, v, withvalues));
        return;
    }
    // CASE 3: nearly the whole hash: copy it, then remove random fields.
    if count * SUB_STRATEGY_MUL > size {
        let mut d: Dict<Box<[u8]>> = Dict::new();
        d.expand(size as usize);
        h.for_each(|k, v| {
            d.insert_new(k.to_vec().into(), v.to_vec().into_boxed_slice());
        });
        d.trim_randomly_to(count as usize, rng);
        for (k, v) in d.iter() {
            add_pair_reply(c, LpValue::Str(k), LpValue::Str(v), withvalues);
        }
        return;
    }
    // CASE 4: a small sample of a big hash.
    match h {
        HashVal::Listpack(lp) => {
            // Selection sampling keeps storage order (lpRandomPairsUnique).
            let total = size;
            let mut remaining = count;
            let mut index = 0u64;
            let mut p = lp.first();
            while remaining > 0 {
                let Some(k) = p else { break };
                let v = lp.next(k).expect("listpack hash: field without value");
                let r = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                if r <= remaining as f64 / (total - index) as f64 {
                    add_pair_reply(c, lp.get(k), lp.get(v), withvalues);
                    remaining -= 1;
                }
                index += 1;
                p = lp.next(v);
            }
        }
        HashVal::Table(_) => {
            let mut seen: Dict<()> = Dict::new();
            seen.expand(count as usize);
            let mut added = 0;
            while added < count {
                let (k, v) = h.random_pair(rng);
                let mut t = [0u8; 20];
                let kb = lp_bytes(k, &mut t);
                if seen.contains_key(kb) {
                    continue;
                }
                seen.insert_new(kb.into(), ());
                added += 1;
                add_pair_reply(c, k, v, withvalues);
            }
        }
    }
}

/// Offsets of every field of a listpack hash (for repeated random picks).
fn pair_offsets(lp: &Listpack) -> Vec<usize> {
    let mut out = Vec::with_capacity(lp.len() / 2);
    let mut p = lp.first();
    while let Some(k) = p {
        out.push(k);
        p = lp.next(k).and_then(|v| lp.next(v));
    }
    out
}

/// HRANDFIELD key [count [WITHVALUES]]
pub fn hrandfield_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() >= 3 {
        // getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX).
        let l = match parse_i64(argv.get(2)) {
            None => {
                c.add_error_not_int();
                return;
            }
            Some(i64::MIN) => {
                c.add_error(&format!(
                    "value is out of range, value must between {} and {}",
                    -i64::MAX,
                    i64::MAX
                ));
                return;
            }
            Some(v) => v,
        };
        let withvalues = argv.len() == 4;
        if argv.len() > 4 || (withvalues && !argv.get(3).eq_ignore_ascii_case(b"withvalues")) {
            c.add_error_syntax();
            return;
        }
        if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            c.add_error("value is out of range");
            return;
        }
        hrandfield_with_count(srv, c, argv.get(1), l, withvalues);
        return;
    }
    let db = c.db;
    match srv
        .lookup_read_as::<HashVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    {
        Err(()) => {}
        Ok(None) => c.add_null(),
        Ok(Some(_)) => {
            let Server { dbs, rng, .. } = srv;
            let h = HashVal::from_value_ref(&dbs[db].get(argv.get(1)).expect("looked up").val)
                .expect("hash");
            let (k, _) = h.random_pair(rng);
            add_reply_lp(c, k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: HashLimits = HashLimits {
        max_entries: 4,
        max_value: 8,
    };

    #[test]
    fn listpack_until_limits() {
        let mut h = HashVal::new();
        assert!(!h.set(b"a", b"1", LIM));
        assert!(h.set(b"a", b"2", LIM));
        assert_eq!(h.encoding_name(), "listpack");
        assert_eq!(h.get(b"a"), Some(LpValue::Int(2)));
        for f in [&b"b"[..], b"c", b"d"] {
            h.set(f, b"x", LIM);
        }
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"e", b"x", LIM);
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 5);
        assert_eq!(h.get(b"a").unwrap().to_vec(), b"2");
        let mut g = HashVal::new();
        g.set(b"f", b"123456789", LIM);
        assert_eq!(g.encoding_name(), "hashtable");
    }

    #[test]
    fn delete_and_iterate() {
        let mut h = HashVal::new();
        h.set(b"a", b"1", LIM);
        h.set(b"b", b"2", LIM);
        assert!(h.delete(b"a"));
        assert!(!h.delete(b"a"));
        let mut pairs = Vec::new();
        h.for_each(|k, v| pairs.push((k.to_vec(), v.to_vec())));
        assert_eq!(pairs, vec![(b"b".to_vec(), b"2".to_vec())]);
    }

    #[test]
    fn digest_is_encoding_independent() {
        let mut a = HashVal::new();
        a.set(b"f", b"1", LIM);
        a.set(b"g", b"v", LIM);
        let mut b = a.dup();
        b.convert_to_table();
        let (mut da, mut db) = ([0u8; 20], [0u8; 20]);
        a.digest(&mut da);
        b.digest(&mut db);
        assert_eq!(da, db);
    }
}

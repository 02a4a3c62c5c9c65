//! Sets (Redis's t_set.c): the value type with its two encodings — an intset
//! while every member is an integer and there are at most
//! set-max-intset-entries of them, a Redis-style dict after — and the S*
//! commands, with Redis's strategies for SPOP/SRANDMEMBER counts and for
//! intersections, unions and differences.

use crate::db::dict::Dict;
use crate::db::keyspace_cmds::{
    get_positive_long_or_reply, parse_scan_cursor, parse_scan_opts, scan_dict, scan_reply,
};
use crate::db::object::{Obj, Value};
use crate::db::{Typed, TypedValue};
use crate::ds::intset::Intset;
use crate::ds::listpack::LpValue;
use crate::networking::Client;
use crate::notify::class;
use crate::resp::Argv;
use crate::server::Server;
use crate::t_hash::{sds_new_size, DICT_ENTRY_SIZE, DICT_SIZE, ROBJ_SIZE};
use crate::util::{parse_i64, Rng};

pub enum SetVal {
    Intset(Intset),
    Table(Box<Dict<()>>),
}

/// A member as iteration yields it: intsets hold integers, dicts strings.
pub type Member<'a> = LpValue<'a>;

fn member_bytes<'a>(m: Member<'a>, tmp: &'a mut [u8; 20]) -> &'a [u8] {
    match m {
        LpValue::Str(s) => s,
        LpValue::Int(i) => crate::util::fmt_i64(i, tmp),
    }
}

fn add_reply_member(c: &mut Client, m: Member) {
    match m {
        LpValue::Str(s) => c.add_bulk(s),
        LpValue::Int(i) => c.add_bulk_i64(i),
    }
}

/// set-max-intset-entries, capped at 1G entries as Redis does (intset internals).
fn intset_limit(max_entries: usize) -> usize {
    max_entries.min(1 << 30)
}

impl SetVal {
    /// setTypeCreate: an intset when the first member is an integer.
    pub fn create_for(first: &[u8]) -> SetVal {
        if parse_i64(first).is_some() {
            SetVal::Intset(Intset::new())
        } else {
            SetVal::Table(Box::new(Dict::new()))
        }
    }

    /// createIntsetObject: where SINTERSTORE/SUNION/SDIFF gather results.
    pub fn new_intset() -> SetVal {
        SetVal::Intset(Intset::new())
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            SetVal::Intset(_) => "intset",
            SetVal::Table(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SetVal::Intset(is) => is.len(),
            SetVal::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// setTypeConvert: a presized dict with every integer as a string.
    pub fn convert_to_table(&mut self) {
        let SetVal::Intset(is) = self else {
            return;
        };
        let mut d: Dict<()> = Dict::new();
        d.expand(is.len());
        let mut t = [0u8; 20];
        for v in is.iter() {
            d.insert_new(crate::util::fmt_i64(v, &mut t).into(), ());
        }
        *self = SetVal::Table(Box::new(d));
    }

    /// setTypeAdd: true when the member was not there.
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        match self {
            SetVal::Table(d) => {
                if d.contains_key(m) {
                    return false;
                }
                d.insert_new(m.into(), ());
                true
            }
            SetVal::Intset(is) => match parse_i64(m) {
                Some(v) => {
                    if !is.add(v) {
                        return false;
                    }
                    if is.len() > intset_limit(max_intset) {
                        self.convert_to_table();
                    }
                    true
                }
                None => {
                    self.convert_to_table();
                    if let SetVal::Table(d) = self {
                        d.insert_new(m.into(), ());
                    }
                    true
                }
            },
        }
    }

    /// setTypeAdd for a member that may already be an integer (no formatting
    /// when it goes into an intset).
    pub fn add_member(&mut self, m: Member, max_intset: usize) -> bool {
        match (m, &mut *self) {
            (LpValue::Int(v), SetVal::Intset(is)) => {
                if !is.add(v) {
                    return false;
                }
                if is.len() > intset_limit(max_intset) {
                    self.convert_to_table();
                }
                true
            }
            _ => {
                let mut t = [0u8; 20];
                self.add(member_bytes(m, &mut t), max_intset)
            }
        }
    }

    /// setTypeRemove: true when the member was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            SetVal::Table(d) => {
                if d.remove(m).is_none() {
                    return false;
                }
                d.shrink_if_needed();
                true
            }
            SetVal::Intset(is) => match parse_i64(m) {
                Some(v) => is.remove(v),
                None => false,
            },
        }
    }

    fn remove_member(&mut self, m: Member) -> bool {
        match (m, &mut *self) {
            (LpValue::Int(v), SetVal::Intset(is)) => is.remove(v),
            _ => {
                let mut t = [0u8; 20];
                self.remove(member_bytes(m, &mut t))
            }
        }
    }

    /// setTypeIsMember.
    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            SetVal::Table(d) => d.contains_key(m),
            SetVal::Intset(is) => parse_i64(m).is_some_and(|v| is.contains(v)),
        }
    }

    pub fn contains_member(&self, m: Member) -> bool {
        match (m, self) {
            (LpValue::Int(v), SetVal::Intset(is)) => is.contains(v),
            (LpValue::Str(_), SetVal::Intset(_)) => {
                // Dict members are never integers that fit an intset... unless
                // they came from a converted set; compare by value.
                let mut t = [0u8; 20];
                self.contains(member_bytes(m, &mut t))
            }
            (_, SetVal::Table(d)) => {
                let mut t = [0u8; 20];
                d.contains_key(member_bytes(m, &mut t))
            }
        }
    }

    /// Visits every member in storage order (setTypeNext).
    pub fn for_each<F: FnMut(Member)>(&self, mut f: F) {
        match self {
            SetVal::Intset(is) => {
                for v in is.iter() {
                    f(LpValue::Int(v));
                }
            }
            SetVal::Table(d) => {
                for (k, _) in d.iter() {
                    f(LpValue::Str(k));
                }
            }
        }
    }

    /// setTypeRandomElement: a fair random member of a non-empty set.
    pub fn random(&self, rng: &mut Rng) -> Member<'_> {
        match self {
            SetVal::Intset(is) => LpValue::Int(is.get(rng.below(is.len() as u64) as usize)),
            SetVal::Table(d) => LpValue::Str(&d.fair_random_entry(rng).expect("non-empty set").key),
        }
    }

    /// setTypeDup for COPY: same encoding, fresh storage.
    pub fn dup(&self) -> SetVal {
        match self {
            SetVal::Intset(is) => SetVal::Intset(is.clone()),
            SetVal::Table(d) => {
                let mut n: Dict<()> = Dict::new();
                n.expand(d.len());
                for (k, _) in d.iter() {
                    n.insert_new(k.into(), ());
                }
                SetVal::Table(Box::new(n))
            }
        }
    }

    /// xorObjectDigest's set part: the xor of every member's SHA1.
    pub fn digest(&self, digest: &mut [u8; 20]) {
        self.for_each(|m| {
            let mut t = [0u8; 20];
            crate::debug::xor_digest(digest, member_bytes(m, &mut t));
        });
    }

    /// rdbSaveObject's payload size: the intset blob as one string, or the
    /// member count followed by every member.
    pub fn serialized_len(&self, compression: bool) -> usize {
        use crate::debug::{rdb_len_size, rdb_string_len};
        match self {
            SetVal::Intset(is) => rdb_string_len(is.as_bytes(), compression),
            SetVal::Table(d) => {
                let mut n = rdb_len_size(d.len() as u64);
                for (k, _) in d.iter() {
                    n += rdb_string_len(k, compression);
                }
                n
            }
        }
    }

    /// objectComputeSize for sets.
    pub fn memory(&self, samples: u64) -> usize {
        use crate::server::server_cmds::alloc_size;
        match self {
            SetVal::Intset(is) => ROBJ_SIZE + alloc_size(is.blob_len()),
            SetVal::Table(d) => {
                let mut size = ROBJ_SIZE + DICT_SIZE + 8 * d.buckets();
                let (mut elesize, mut n) = (0usize, 0u64);
                for (k, _) in d.iter() {
                    if n >= samples {
                        break;
                    }
                    elesize += DICT_ENTRY_SIZE + sds_new_size(k.len());
                    n += 1;
                }
                if n > 0 {
                    size += (elesize as f64 / n as f64 * d.len() as f64) as usize;
                }
                size
            }
        }
    }

    pub fn table_stats(&self) -> Option<String> {
        match self {
            SetVal::Table(d) => Some(d.stats_text()),
            SetVal::Intset(_) => None,
        }
    }
}

// ---------------------------------------------------------------- lookups

/// The set under a key already looked up and type-checked in this command.
fn stored<'s>(srv: &'s Server, db: usize, key: &[u8]) -> Option<&'s SetVal> {
    srv.dbs[db]
        .get(key)
        .and_then(|o| SetVal::from_value_ref(&o.val))
}

/// shared.emptyset: an empty array, or an empty set under RESP3.
fn add_empty_set(c: &mut Client) {
    c.add_set_len(0);
}

// ---------------------------------------------------------------- commands

pub fn sadd_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
    let max = srv.config.set_max_intset_entries;
    let exists = match srv.lookup_write_as::<SetVal>(c.db, key).or_wrongtype(c) {
        Err(()) => return,
        Ok(s) => s.is_some(),
    };
    if !exists {
        let lru = srv.new_obj_lru();
        let set = SetVal::create_for(argv.get(2));
        srv.db_add(db, key, Obj::new(Value::Set(set), lru));
    }
    let set = srv.typed_mut::<SetVal>(db, key);
    let mut added = 0;
    for i in 2..argv.len() {
        if set.add(argv.get(i), max) {
            added += 1;
        }
    }
    if added > 0 {
        srv.signal_modified_key(db, key);
        srv.notify_keyspace_event(class::SET, "sadd", key, db);
    }
    srv.dirty += added as u64;
    c.add_int(added);
}

pub fn srem_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    srv.remove_members(
        c,
        argv,
        class::SET,
        "srem",
        SetVal::remove,
        SetVal::is_empty,
    );
}

pub fn smove_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let (src, dst, ele) = (argv.get(1), argv.get(2), argv.get(3));
    let max = srv.config.set_max_intset_entries;
    let src_kind = srv.check_type::<SetVal>(db, src, true);
    let dst_kind = srv.check_type::<SetVal>(db, dst, true);
    if let Typed::Missing = src_kind {
        c.add_int(0);
        return;
    }
    if matches!(src_kind, Typed::WrongType) || matches!(dst_kind, Typed::WrongType) {
        c.add_error_wrongtype();
        return;
    }
    if src == dst {
        let member = stored(srv, db, src).is_some_and(|s| s.contains(ele));
        c.add_int(member as i64);
        return;
    }
    let set = srv.typed_mut::<SetVal>(db, src);
    if !set.remove(ele) {
        c.add_int(0);
        return;
    }
    let src_emptied = set.is_empty();
    srv.notify_keyspace_event(class::SET, "srem", src, db);
    if src_emptied {
        srv.dbs[db].remove(src);
        srv.notify_keyspace_event(class::GENERIC, "del", src, db);
    }
    if matches!(dst_kind, Typed::Missing) {
        let lru = srv.new_obj_lru();
        srv.db_add(db, dst, Obj::new(Value::Set(SetVal::create_for(ele)), lru));
    }
    srv.signal_modified_key(db, src);
    srv.dirty += 1;
    if srv.typed_mut::<SetVal>(db, dst).add(ele, max) {
        srv.dirty += 1;
        srv.signal_modified_key(db, dst);
        srv.notify_keyspace_event(class::SET, "sadd", dst, db);
    }
    c.add_int(1);
}

pub fn sismember_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if let Ok(s) = srv
        .lookup_read_as::<SetVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    {
        c.add_int(s.is_some_and(|s| s.contains(argv.get(2))) as i64);
    }
}

pub fn smismember_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Ok(s) = srv
        .lookup_read_as::<SetVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    else {
        return;
    };
    c.add_array_len(argv.len() - 2);
    for i in 2..argv.len() {
        c.add_int(s.is_some_and(|s| s.contains(argv.get(i))) as i64);
    }
}

pub fn scard_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if let Ok(s) = srv
        .lookup_read_as::<SetVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    {
        c.add_int(s.map_or(0, |s| s.len() as i64));
    }
}

/// SPOP_MOVE_STRATEGY_MUL: past this ratio SPOP builds the remainder instead.
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;

fn spop_with_count(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
    let Some(count) = get_positive_long_or_reply(c, argv.get(2), None) else {
        return;
    };
    let count = count as u64;
    let max = srv.config.set_max_intset_entries;
    let size = match srv.lookup_write_as::<SetVal>(c.db, key).or_wrongtype(c) {
        Err(()) => return,
        Ok(None) => {
            add_empty_set(c);
            return;
        }
        Ok(Some(s)) => s.len() as u64,
    };
    if count == 0 {
        add_empty_set(c);
        return;
    }
    srv.notify_keyspace_event(class::SET, "spop", key, db);
    srv.dirty += count.min(size);
    // CASE 1: everything goes.
    if count >= size {
        let set = stored(srv, db, key).expect("looked up");
        reply_set_as_union(c, set, max);
        srv.dbs[db].remove(key);
        srv.notify_keyspace_event(class::GENERIC, "del", key, db);
        srv.signal_modified_key(db, key);
        srv.rewrite_command(&[b"DEL", key]);
        return;
    }
    c.add_set_len(count as usize);
    let remaining = size - count;
    // Each popped member is propagated as its own SREM, not the SPOP itself.
    let prop = srv.should_propagate();
    let mut popped: Vec<Vec<u8>> = Vec::new();
    let Server { dbs, rng, .. } = &mut *srv;
    let set = dbs[db]
        .get_mut(key)
        .and_then(|o| SetVal::from_value(&mut o.val))
        .expect("looked up");
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        // CASE 2: few to pop: pop random members one by one.
        for _ in 0..count {
            let m = set.random(rng);
            add_reply_member(c, m);
            if prop {
                popped.push(m.to_vec());
            }
            match m {
                LpValue::Int(v) => {
                    if let SetVal::Intset(is) = set {
                        is.remove(v);
                    }
                }
                LpValue::Str(s) => {
                    let s = s.to_vec();
                    set.remove(&s);
                }
            }
        }
    } else {
        // CASE 3: most go: move the survivors to a new set and reply with the rest.
        let mut newset: Option<SetVal> = None;
        for _ in 0..remaining {
            let m = set.random(rng).to_vec();
            newset
                .get_or_insert_with(|| SetVal::create_for(&m))
                .add(&m, max);
            set.remove(&m);
        }
        set.for_each(|m| {
            add_reply_member(c, m);
            if prop {
                popped.push(m.to_vec());
            }
        });
        *set = newset.expect("remaining > 0");
    }
    for m in &popped {
        srv.also_propagate(db, &[&b"SREM"[..], key, m]);
    }
    srv.prevent_propagation();
    srv.signal_modified_key(db, key);
}

/// SPOP's "whole set" path replies like SUNION of the one set.
fn reply_set_as_union(c: &mut Client, set: &SetVal, max: usize) {
    let mut dst = SetVal::new_intset();
    set.for_each(|m| {
        dst.add_member(m, max);
    });
    c.add_set_len(dst.len());
    dst.for_each(|m| add_reply_member(c, m));
}

pub fn spop_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() == 3 {
        spop_with_count(srv, c, argv);
        return;
    }
    if argv.len() > 3 {
        c.add_error_syntax();
        return;
    }
    let db = c.db;
    let key = argv.get(1);
    match srv.lookup_write_as::<SetVal>(c.db, key).or_wrongtype(c) {
        Err(()) => return,
        Ok(None) => {
            c.add_null();
            return;
        }
        Ok(Some(_)) => {}
    }
    let Server { dbs, rng, .. } = &mut *srv;
    let set = dbs[db]
        .get_mut(key)
        .and_then(|o| SetVal::from_value(&mut o.val))
        .expect("looked up");
    let m = set.random(rng).to_vec();
    set.remove(&m);
    let emptied = set.is_empty();
    srv.notify_keyspace_event(class::SET, "spop", key, db);
    c.add_bulk(&m);
    if emptied {
        srv.dbs[db].remove(key);
        srv.notify_keyspace_event(class::GENERIC, "del", key, db);
    }
    srv.signal_modified_key(db, key);
    srv.rewrite_command(&[&b"SREM"[..], key, &m]);
    srv.dirty += 1;
}

/// SRANDMEMBER_SUB_STRATEGY_MUL.
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

/// dictGetRandomKey moves one rehash step, so sampling a set that is being
/// rehashed (e.g. held back while a fork child ran) makes the rehash progress.
fn rehash_step_for_random(srv: &mut Server, db: usize, key: &[u8]) {
    if let Some(Value::Set(SetVal::Table(d))) = srv.dbs[db].get_mut(key).map(|o| &mut o.val) {
        if d.is_rehashing() {
            d.rehash_step(1);
        }
    }
}

fn srandmember_with_count(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
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
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    match srv.lookup_read_as::<SetVal>(c.db, key).or_wrongtype(c) {
        Err(()) => return,
        Ok(None) => {
            c.add_array_len(0);
            return;
        }
        Ok(Some(_)) => {}
    }
    rehash_step_for_random(srv, db, key);
    let Server { dbs, rng, .. } = &mut *srv;
    let set =
        SetVal::from_value_ref(&dbs[db].get(key).expect("looked up").val).expect("checked type");
    let size = set.len() as u64;
    if count == 0 {
        c.add_array_len(0);
        return;
    }
    // CASE 1: negative count: independent draws.
    if !uniq || count == 1 {
        c.add_array_len(count as usize);
        reply_random_draws(c, count, |c| add_reply_member(c, set.random(rng)));
        return;
    }
    // CASE 2: the whole set.
    if count >= size {
        c.add_array_len(size as usize);
        set.for_each(|m| add_reply_member(c, m));
        return;
    }
    let mut d: Dict<()> = Dict::new();
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        // CASE 3: copy the set, then remove random members down to count.
        d.expand(size as usize);
        set.for_each(|m| {
            let mut t = [0u8; 20];
            d.insert_new(member_bytes(m, &mut t).into(), ());
        });
        d.trim_randomly_to(count as usize, rng);
    } else {
        // CASE 4: draw until count distinct members were found.
        d.expand(count as usize);
        let mut added = 0;
        while added < count {
            let m = set.random(rng);
            let mut t = [0u8; 20];
            let b = member_bytes(m, &mut t);
            if !d.contains_key(b) {
                d.insert_new(b.into(), ());
                added += 1;
            }
        }
    }
    c.add_array_len(count as usize);
    for (k, _) in d.iter() {
        c.add_bulk(k);
    }
}

/// The "negative count" case of SRANDMEMBER and HRANDFIELD: `count`
/// independent draws, each replied by `draw`, cut short once the client's
/// output was stopped (an over-limit reply would be discarded anyway).
pub fn reply_random_draws(c: &mut Client, count: u64, mut draw: impl FnMut(&mut Client)) {
    for _ in 0..count {
        draw(c);
        if c.output_stopped() {
            break;
        }
    }
}

pub fn srandmember_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() == 3 {
        srandmember_with_count(srv, c, argv);
        return;
    }
    if argv.len() > 3 {
        c.add_error_syntax();
        return;
    }
    let db = c.db;
    match srv
        .lookup_read_as::<SetVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    {
        Err(()) => {}
        Ok(None) => c.add_null(),
        Ok(Some(_)) => {
            rehash_step_for_random(srv, db, argv.get(1));
            let Server { dbs, rng, .. } = &mut *srv;
            let set = SetVal::from_value_ref(&dbs[db].get(argv.get(1)).expect("looked up").val)
                .expect("set");
            add_reply_member(c, set.random(rng));
        }
    }
}

/// Looks every key up (lookupKeyRead + checkType, in argument order, stopping
/// at the first wrong type); Err after the WRONGTYPE reply. Ok(n) is how many
/// keys are missing.
fn lookup_sets(srv: &mut Server, c: &mut Client, keys: &[&[u8]]) -> Result<usize, ()> {
    let mut missing = 0;
    for k in keys {
        match srv.lookup_read_as::<SetVal>(c.db, k).or_wrongtype(c)? {
            None => missing += 1,
            Some(_) => {}
        }
    }
    Ok(missing)
}

enum InterOut<'k> {
    Reply,
    Card(u64),
    Store(&'k [u8]),
}

/// Stores `result` under `dstkey` when non-empty, else deletes `dstkey`;
/// replies with the cardinality (the STORE variants' common tail).
fn store_result(srv: &mut Server, c: &mut Client, dstkey: &[u8], result: SetVal, event: &str) {
    let db = c.db;
    if !result.is_empty() {
        let n = result.len();
        let lru = srv.new_obj_lru();
        srv.set_key(db, dstkey, Obj::new(Value::Set(result), lru), false);
        c.add_int(n as i64);
        srv.notify_keyspace_event(class::SET, event, dstkey, db);
        srv.dirty += 1;
    } else {
        c.add_int(0);
        if srv.db_delete(db, dstkey) {
            srv.dirty += 1;
            srv.signal_modified_key(db, dstkey);
            srv.notify_keyspace_event(class::GENERIC, "del", dstkey, db);
        }
    }
}

/// sinterGenericCommand: SINTER, SMEMBERS, SINTERSTORE and SINTERCARD.
fn sinter_generic(srv: &mut Server, c: &mut Client, keys: &[&[u8]], out: InterOut) {
    let db = c.db;
    let max = srv.config.set_max_intset_entries;
    let Ok(missing) = lookup_sets(srv, c, keys) else {
        return;
    };
    if missing > 0 {
        match out {
            InterOut::Store(dst) => {
                if srv.db_delete(db, dst) {
                    srv.signal_modified_key(db, dst);
                    srv.notify_keyspace_event(class::GENERIC, "del", dst, db);
                    srv.dirty += 1;
                }
                c.add_int(0);
            }
            InterOut::Card(_) => c.add_int(0),
            InterOut::Reply => add_empty_set(c),
        }
        return;
    }
    let mut sets: Vec<&SetVal> = keys
        .iter()
        .map(|k| stored(srv, db, k).expect("looked up"))
        .collect();
    sets.sort_by_key(|s| s.len());
    let first = sets[0];
    let in_all = |m: Member| {
        sets[1..]
            .iter()
            .all(|s| std::ptr::eq(*s, first) || s.contains_member(m))
    };
    match out {
        InterOut::Card(limit) => {
            let mut n = 0u64;
            let mut done = false;
            first.for_each(|m| {
                if done || !in_all(m) {
                    return;
                }
                n += 1;
                if limit > 0 && n >= limit {
                    done = true;
                }
            });
            c.add_int(n as i64);
        }
        InterOut::Reply => {
            let d = c.defer_len();
            let mut n = 0;
            first.for_each(|m| {
                if in_all(m) {
                    add_reply_member(c, m);
                    n += 1;
                }
            });
            c.set_deferred_set_len(d, n);
        }
        InterOut::Store(dst) => {
            let mut result = SetVal::new_intset();
            first.for_each(|m| {
                if in_all(m) {
                    result.add_member(m, max);
                }
            });
            store_result(srv, c, dst, result, "sinterstore");
        }
    }
}

pub fn sinter_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let keys: Vec<&[u8]> = argv.iter().skip(1).collect();
    sinter_generic(srv, c, &keys, InterOut::Reply);
}

pub fn sinterstore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let keys: Vec<&[u8]> = argv.iter().skip(2).collect();
    sinter_generic(srv, c, &keys, InterOut::Store(argv.get(1)));
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sinter_card_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let numkeys = match parse_i64(argv.get(1)) {
        Some(n) if n >= 1 => n as u64,
        _ => {
            c.add_error("numkeys should be greater than 0");
            return;
        }
    };
    if numkeys > (argv.len() - 2) as u64 {
        c.add_error("Number of keys can't be greater than number of args");
        return;
    }
    let numkeys = numkeys as usize;
    let mut limit = 0u64;
    let mut j = 2 + numkeys;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if argv.get(j).eq_ignore_ascii_case(b"limit") && more > 0 {
            j += 1;
            match parse_i64(argv.get(j)) {
                Some(v) if v >= 0 => limit = v as u64,
                _ => {
                    c.add_error("LIMIT can't be negative");
                    return;
                }
            }
        } else {
            c.add_error_syntax();
            return;
        }
        j += 1;
    }
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| argv.get(i)).collect();
    sinter_generic(srv, c, &keys, InterOut::Card(limit));
}

#[derive(PartialEq, Clone, Copy)]
enum SetOp {
    Union,
    Diff,
}

/// sunionDiffGenericCommand: SUNION, SDIFF and their STORE variants.
fn sunion_diff_generic(
    srv: &mut Server,
    c: &mut Client,
    keys: &[&[u8]],
    dst: Option<&[u8]>,
    op: SetOp,
) {
    let db = c.db;
    let max = srv.config.set_max_intset_entries;
    if lookup_sets(srv, c, keys).is_err() {
        return;
    }
    let mut sets: Vec<Option<&SetVal>> = keys.iter().map(|k| stored(srv, db, k)).collect();
    let sameset = keys[1..].iter().any(|k| *k == keys[0]) && sets[0].is_some();
    let mut result = SetVal::new_intset();
    match op {
        SetOp::Union => {
            for s in sets.iter().flatten() {
                s.for_each(|m| {
                    result.add_member(m, max);
                });
            }
        }
        SetOp::Diff if sameset => {}
        SetOp::Diff => {
            if let Some(first) = sets[0] {
                // Algorithm 1 (probe every other set per member of the first)
                // unless walking every set is cheaper.
                let mut algo_one: i64 = 0;
                let mut algo_two: i64 = 0;
                for s in sets.iter().flatten() {
                    algo_one += first.len() as i64;
                    algo_two += s.len() as i64;
                }
                algo_one /= 2;
                if algo_one <= algo_two {
                    // Subtract the biggest sets first: they most likely hold the member.
                    sets[1..].sort_by_key(|s| std::cmp::Reverse(s.map_or(0, |s| s.len())));
                    first.for_each(|m| {
                        if !sets[1..].iter().flatten().any(|s| s.contains_member(m)) {
                            result.add_member(m, max);
                        }
                    });
                } else {
                    first.for_each(|m| {
                        result.add_member(m, max);
                    });
                    for s in sets[1..].iter().flatten() {
                        if result.is_empty() {
                            break;
                        }
                        s.for_each(|m| {
                            result.remove_member(m);
                        });
                    }
                }
            }
        }
    }
    match dst {
        None => {
            c.add_set_len(result.len());
            result.for_each(|m| add_reply_member(c, m));
        }
        Some(dst) => {
            let event = if op == SetOp::Union {
                "sunionstore"
            } else {
                "sdiffstore"
            };
            store_result(srv, c, dst, result, event)
        }
    }
}

pub fn sunion_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let keys: Vec<&[u8]> = argv.iter().skip(1).collect();
    sunion_diff_generic(srv, c, &keys, None, SetOp::Union);
}

pub fn sunionstore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let keys: Vec<&[u8]> = argv.iter().skip(2).collect();
    sunion_diff_generic(srv, c, &keys, Some(argv.get(1)), SetOp::Union);
}

pub fn sdiff_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let keys: Vec<&[u8]> = argv.iter().skip(1).collect();
    sunion_diff_generic(srv, c, &keys, None, SetOp::Diff);
}

pub fn sdiffstore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let keys: Vec<&[u8]> = argv.iter().skip(2).collect();
    sunion_diff_generic(srv, c, &keys, Some(argv.get(1)), SetOp::Diff);
}

pub fn sscan_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(cursor) = parse_scan_cursor(argv.get(2)) else {
        c.add_error("invalid cursor");
        return;
    };
    let set = match srv
        .lookup_read_as::<SetVal>(c.db, argv.get(1))
        .or_wrongtype(c)
    {
        Err(()) => return,
        Ok(None) => {
            c.add_raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
            return;
        }
        Ok(Some(s)) => s,
    };
    let Some(opts) = parse_scan_opts(c, argv, 3, false) else {
        return;
    };
    let mut items: Vec<Vec<u8>> = Vec::new();
    let cursor = match set {
        SetVal::Table(d) => scan_dict(
            d,
            cursor,
            opts.count,
            |k, _, out| out.push(k.to_vec()),
            &mut items,
        ),
        SetVal::Intset(_) => {
            set.for_each(|m| items.push(m.to_vec()));
            0
        }
    };
    scan_reply(c, cursor, items, false, opts.pattern);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_until_limits() {
        let mut s = SetVal::create_for(b"1");
        assert_eq!(s.encoding_name(), "intset");
        assert!(s.add(b"1", 3));
        assert!(!s.add(b"1", 3));
        s.add(b"2", 3);
        s.add(b"3", 3);
        assert_eq!(s.encoding_name(), "intset");
        s.add(b"4", 3);
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.contains(b"4") && s.contains(b"1"));
        let mut t = SetVal::create_for(b"1");
        t.add(b"1", 10);
        t.add(b"a", 10);
        assert_eq!(t.encoding_name(), "hashtable");
        assert!(t.contains_member(LpValue::Int(1)));
        assert!(t.remove(b"1") && !t.remove(b"1"));
        assert_eq!(SetVal::create_for(b"01").encoding_name(), "hashtable");
    }

    #[test]
    fn digest_is_encoding_independent() {
        let mut a = SetVal::create_for(b"5");
        a.add(b"5", 10);
        a.add(b"-7", 10);
        let mut b = a.dup();
        b.convert_to_table();
        let (mut da, mut db) = ([0u8; 20], [0u8; 20]);
        a.digest(&mut da);
        b.digest(&mut db);
        assert_eq!(da, db);
    }
}

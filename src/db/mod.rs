//! The keyspace: numbered databases, each a key → object store plus an expires
//! table; lookups with lazy expiry, and the write primitives every command uses
//! (Redis's db.c). With `cluster-enabled yes` a database keeps one dict per hash
//! slot (Valkey's kvstore), so per-slot counts and key lists come for free.

pub mod dict;
pub mod expire;
pub mod expire_cmds;
pub mod keyspace_cmds;
pub mod object;

use crate::cluster::{key_hash_slot, CLUSTER_SLOTS};
use crate::server::Server;
use crate::util::Rng;
use dict::Dict;
use object::Obj;

pub struct Db {
    pub id: usize,
    dicts: Vec<Dict<Obj>>,
    total: usize,
    pub expires: Dict<i64>,
    /// Average TTL estimate for INFO keyspace (avg_ttl), as the expire cycle keeps it.
    pub avg_ttl: i64,
    /// Where the active expire cycle resumes its walk over `expires` buckets.
    pub expires_cursor: u64,
}

impl Db {
    pub fn new(id: usize, per_slot: bool) -> Db {
        let n = if per_slot { CLUSTER_SLOTS } else { 1 };
        let mut dicts = Vec::with_capacity(n);
        dicts.resize_with(n, Dict::new_memory_guarded);
        Db {
            id,
            dicts,
            total: 0,
            expires: Dict::new_memory_guarded(),
            avg_ttl: 0,
            expires_cursor: 0,
        }
    }

    #[inline]
    fn dict_index(&self, key: &[u8]) -> usize {
        if self.dicts.len() == 1 {
            0
        } else {
            key_hash_slot(key)
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.total
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// The object under `key`, expired or not (callers decide about expiry).
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&Obj> {
        self.dicts[self.dict_index(key)].get(key)
    }

    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Obj> {
        let i = self.dict_index(key);
        self.dicts[i].get_mut(key)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Adds a key that does not exist.
    pub fn add(&mut self, key: &[u8], obj: Obj) {
        let i = self.dict_index(key);
        self.dicts[i].insert_new(key.into(), obj);
        self.total += 1;
    }

    /// Stores `obj` under `key`, replacing any value; drops the TTL unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], obj: Obj, keep_ttl: bool) {
        let i = self.dict_index(key);
        match self.dicts[i].get_mut(key) {
            Some(slot) => *slot = obj,
            None => {
                self.dicts[i].insert_new(key.into(), obj);
                self.total += 1;
            }
        }
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.remove(key);
        }
    }

    /// `set` that hands back the value it overwrote, for the caller to free
    /// lazily (dbSetValue under lazyfree-lazy-server-del).
    pub fn replace(&mut self, key: &[u8], obj: Obj, keep_ttl: bool) -> Option<Obj> {
        let i = self.dict_index(key);
        let old = match self.dicts[i].get_mut(key) {
            Some(slot) => Some(std::mem::replace(slot, obj)),
            None => {
                self.dicts[i].insert_new(key.into(), obj);
                self.total += 1;
                None
            }
        };
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.remove(key);
        }
        old
    }

    /// Removes a key and its TTL; returns the object.
    pub fn remove(&mut self, key: &[u8]) -> Option<Obj> {
        let i = self.dict_index(key);
        let o = self.dicts[i].remove(key)?;
        self.total -= 1;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(o)
    }

    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    pub fn set_expire(&mut self, key: &[u8], when: i64) {
        self.expires.insert(key, when);
    }

    pub fn remove_expire(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    pub fn clear(&mut self) -> usize {
        let n = self.total;
        for d in self.dicts.iter_mut() {
            d.clear();
        }
        self.expires.clear();
        self.total = 0;
        self.avg_ttl = 0;
        n
    }

    pub fn keys_iter(&self) -> impl Iterator<Item = (&[u8], &Obj)> {
        self.dicts.iter().flat_map(|d| d.iter())
    }

    pub fn random_key(&self, rng: &mut Rng) -> Option<Box<[u8]>> {
        if self.total == 0 {
            return None;
        }
        let d = if self.dicts.len() == 1 {
            &self.dicts[0]
        } else {
            // Pick a slot weighted by its size.
            let mut n = rng.below(self.total as u64) as usize;
            let mut chosen = &self.dicts[0];
            for d in &self.dicts {
                if n < d.len() {
                    chosen = d;
                    break;
                }
                n -= d.len();
            }
            chosen
        };
        d.random_entry(rng).map(|e| e.key.to_boxed())
    }

    /// One SCAN step over the whole database. With per-slot dicts the low 14 bits of
    /// the cursor name the slot, as Valkey's kvstore does.
    pub fn scan<F: FnMut(&[u8], &Obj)>(&self, cursor: u64, mut f: F) -> u64 {
        if self.dicts.len() == 1 {
            return self.dicts[0].scan(cursor, &mut f);
        }
        let mut slot = (cursor & 16383) as usize;
        let mut inner = cursor >> 14;
        loop {
            if slot >= CLUSTER_SLOTS {
                return 0;
            }
            if !self.dicts[slot].is_empty() {
                inner = self.dicts[slot].scan(inner, &mut f);
                if inner != 0 {
                    return (inner << 14) | slot as u64;
                }
                slot += 1;
                return if slot >= CLUSTER_SLOTS {
                    0
                } else {
                    slot as u64
                };
            }
            slot += 1;
            inner = 0;
        }
    }

    pub fn count_keys_in_slot(&self, slot: usize) -> usize {
        if self.dicts.len() == 1 {
            0
        } else {
            self.dicts[slot].len()
        }
    }

    pub fn keys_in_slot(&self, slot: usize, max: usize) -> Vec<Vec<u8>> {
        if self.dicts.len() == 1 {
            return Vec::new();
        }
        self.dicts[slot]
            .iter()
            .take(max)
            .map(|(k, _)| k.to_vec())
            .collect()
    }

    /// Incremental rehash and shrinking, from databasesCron.
    pub fn rehash_cron(&mut self, budget_us: u64) {
        for d in self.dicts.iter_mut().filter(|d| !d.is_empty()) {
            d.shrink_if_needed();
            if d.is_rehashing() {
                d.rehash_for(budget_us);
                return;
            }
        }
        self.expires.shrink_if_needed();
        if self.expires.is_rehashing() {
            self.expires.rehash_for(budget_us);
        }
    }

    pub fn is_rehashing(&self) -> bool {
        self.dicts.iter().any(|d| d.is_rehashing()) || self.expires.is_rehashing()
    }

    pub fn swap_contents(&mut self, other: &mut Db) {
        std::mem::swap(&mut self.dicts, &mut other.dicts);
        std::mem::swap(&mut self.expires, &mut other.expires);
        std::mem::swap(&mut self.total, &mut other.total);
        std::mem::swap(&mut self.avg_ttl, &mut other.avg_ttl);
        std::mem::swap(&mut self.expires_cursor, &mut other.expires_cursor);
    }
}

/// Flags for `Server::lookup` (Redis's LOOKUP_*).
pub mod lookup {
    /// Don't update the key's LRU/LFU data.
    pub const NOTOUCH: u32 = 1 << 0;
    /// Don't count keyspace hits/misses.
    pub const NOSTATS: u32 = 1 << 2;
    /// The caller is about to write: expired keys are deleted even on a
    /// writable replica, and hits/misses are not counted.
    pub const WRITE: u32 = 1 << 3;
    /// Report expired keys as missing without deleting them.
    pub const NOEXPIRE: u32 = 1 << 4;
}

impl Db {
    /// Buckets of the expires table, for the active expire cycle's
    /// "less than 1% filled" test.
    pub fn expires_slots(&self) -> usize {
        self.expires.buckets()
    }

    /// Detaches every key and TTL, leaving the database empty; the caller drops
    /// the returned contents (possibly on another thread, for FLUSHALL ASYNC).
    pub fn take_contents(&mut self) -> (Vec<Dict<Obj>>, Dict<i64>) {
        let n = self.dicts.len();
        let mut fresh = Vec::with_capacity(n);
        fresh.resize_with(n, Dict::new_memory_guarded);
        let dicts = std::mem::replace(&mut self.dicts, fresh);
        let expires = std::mem::replace(&mut self.expires, Dict::new_memory_guarded());
        self.total = 0;
        self.avg_ttl = 0;
        self.expires_cursor = 0;
        (dicts, expires)
    }

    /// Visits up to `count` sampled keys of the main table (eviction). With per-slot
    /// tables one slot is picked, weighted by its size, and sampled.
    pub fn sample_main<F: FnMut(&[u8], &Obj)>(&self, count: usize, rng: &mut Rng, mut f: F) {
        if self.total == 0 {
            return;
        }
        let d = if self.dicts.len() == 1 {
            &self.dicts[0]
        } else {
            let mut n = rng.below(self.total as u64) as usize;
            let mut chosen = &self.dicts[0];
            for d in &self.dicts {
                if n < d.len() {
                    chosen = d;
                    break;
                }
                n -= d.len();
            }
            chosen
        };
        d.sample_entries(count, rng, |e| f(&e.key, &e.val));
    }

    /// The main table(s), for DEBUG HTSTATS.
    pub fn main_dicts(&self) -> &[Dict<Obj>] {
        &self.dicts
    }
}

/// Keyspace access with Redis's semantics (lazy expiry, hit/miss stats, LRU/LFU).
impl Server {
    /// Milliseconds "now" for expiry decisions: frozen for the duration of a command,
    /// as Redis's commandTimeSnapshot.
    #[inline]
    pub fn now_ms(&self) -> i64 {
        self.cmd_time_ms
    }

    /// keyIsExpired: the key has a TTL and "now" is past it. Never deletes.
    pub fn key_is_expired(&self, db: usize, key: &[u8]) -> bool {
        match self.dbs[db].expire_of(key) {
            None => false,
            Some(_) if self.loading => false,
            Some(when) => self.now_ms() > when,
        }
    }

    /// Is the key logically expired? Deletes it when this node owns expiry.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        self.expire_if_needed_flags(db, key, 0)
    }

    /// expireIfNeeded with the lookup flags that matter to it (WRITE forces the
    /// delete on writable replicas, NOEXPIRE avoids it).
    pub fn expire_if_needed_flags(&mut self, db: usize, key: &[u8], flags: u32) -> bool {
        if !self.key_is_expired(db, key) {
            return false;
        }
        if self.is_replica_of_master() {
            // Replicas wait for the master's DEL but answer as if the key were gone;
            // the master's own commands still see it. A write on a writable
            // replica deletes it.
            if self.repl.applying_master {
                return false;
            }
            if flags & lookup::WRITE == 0 || self.config.get_bool("replica-read-only") {
                return true;
            }
        }
        if flags & lookup::NOEXPIRE != 0 {
            return true;
        }
        if self.expire_paused() {
            return true;
        }
        self.delete_expired_key(db, key);
        true
    }

    /// Removes a key whose TTL passed (lazily or from the active cycle) and counts it
    /// (deleteExpiredKeyAndPropagate).
    pub fn delete_expired_key(&mut self, db: usize, key: &[u8]) {
        let start = crate::util::monotonic_us();
        if let Some(o) = self.dbs[db].remove(key) {
            self.free_value(o, self.config.lazyfree_lazy_expire);
        }
        let ms = (crate::util::monotonic_us() - start) / 1000;
        self.latency_add_sample_if_needed("expire-del", ms);
        self.signal_key_removed_by_server(db, key);
        self.propagate_deletion(db, key, self.config.lazyfree_lazy_expire);
        self.notify_keyspace_event(crate::notify::class::EXPIRED, "expired", key, db);
        self.stats.expired_keys += 1;
    }

    /// lookupKey: expiry, then LRU/LFU update and hit/miss accounting per `flags`.
    /// One hash lookup in the main table (plus one in `expires` when it has keys).
    pub fn lookup(&mut self, db: usize, key: &[u8], flags: u32) -> Option<&mut Obj> {
        let count = flags & (lookup::NOSTATS | lookup::WRITE) == 0;
        // Only keys with a TTL can be expired, and every TTL belongs to a live key.
        if self.expire_if_needed_flags(db, key, flags) {
            if count {
                self.stats.keyspace_misses += 1;
            }
            return None;
        }
        let touch = flags & lookup::NOTOUCH == 0;
        let lfu = touch && self.lfu_policy();
        let rnd = if lfu { self.rng.next_u64() } else { 0 };
        let lru = self.lru_clock;
        let (log_factor, decay) = (self.config.lfu_log_factor, self.config.lfu_decay_time);
        let Server {
            dbs,
            stats,
            shared_int_lru,
            ..
        } = self;
        match dbs[db].get_mut(key) {
            None => {
                if count {
                    stats.keyspace_misses += 1;
                }
                None
            }
            Some(o) => {
                if count {
                    stats.keyspace_hits += 1;
                }
                if touch {
                    // A shared integer's access time is that of the one shared object.
                    let field = match o.val.shared_int() {
                        Some(v) => &mut shared_int_lru[v as usize],
                        None => &mut o.lru,
                    };
                    if lfu {
                        *field = object::lfu_touch(*field, log_factor, decay, rnd);
                    } else {
                        *field = lru;
                    }
                }
                Some(o)
            }
        }
    }

    #[inline]
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&Obj> {
        if self.config.notify_keyspace_events & crate::notify::class::KEY_MISS != 0 {
            return self.lookup_read_notify_miss(db, key);
        }
        self.lookup(db, key, 0).map(|o| &*o)
    }

    /// lookup_read when "keymiss" events are on: a miss is published.
    #[inline(never)]
    fn lookup_read_notify_miss(&mut self, db: usize, key: &[u8]) -> Option<&Obj> {
        if self.lookup(db, key, 0).is_none() {
            self.notify_keyspace_event(crate::notify::class::KEY_MISS, "keymiss", key, db);
            return None;
        }
        self.dbs[db].get(key)
    }

    /// dbAdd: a new key (the caller knows it is absent), with the "new" event.
    pub fn db_add(&mut self, db: usize, key: &[u8], obj: Obj) {
        self.dbs[db].add(key, obj);
        self.notify_keyspace_event(crate::notify::class::NEW, "new", key, db);
    }

    #[inline]
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Obj> {
        self.lookup(db, key, lookup::WRITE)
    }

    /// Lookup that touches no stats or LRU.
    pub fn lookup_no_touch(&mut self, db: usize, key: &[u8]) -> Option<&Obj> {
        self.lookup(db, key, lookup::NOTOUCH | lookup::NOSTATS)
            .map(|o| &*o)
    }

    /// Deletes a key if present (after lazy expiry); true when something was removed.
    pub fn db_delete(&mut self, db: usize, key: &[u8]) -> bool {
        if self.expire_if_needed(db, key) {
            return false;
        }
        match self.dbs[db].remove(key) {
            Some(o) => {
                self.free_value(o, self.config.lazyfree_lazy_server_del);
                true
            }
            None => false,
        }
    }

    /// Frees a value removed from the keyspace: on the lazyfree thread when `lazy`
    /// and the value is big (dbGenericDelete's async branch), else right here.
    #[inline]
    pub fn free_value(&mut self, o: Obj, lazy: bool) {
        if lazy {
            crate::lazyfree::free_object(o);
        } else {
            drop(o);
        }
    }

    /// Writes a new value, the way setKey does (TTL dropped unless `keep_ttl`).
    pub fn set_key(&mut self, db: usize, key: &[u8], obj: Obj, keep_ttl: bool) {
        self.expire_if_needed(db, key);
        let container = !matches!(obj.val, object::Value::Str(_));
        let notify_new = self.config.notify_keyspace_events & crate::notify::class::NEW != 0
            && !self.dbs[db].contains(key);
        if self.config.lazyfree_lazy_server_del {
            if let Some(old) = self.dbs[db].replace(key, obj, keep_ttl) {
                crate::lazyfree::free_object(old);
            }
        } else {
            self.dbs[db].set(key, obj, keep_ttl);
        }
        self.signal_modified_key(db, key);
        if container {
            self.signal_key_as_ready(db, key);
        }
        if notify_new {
            self.notify_keyspace_event(crate::notify::class::NEW, "new", key, db);
        }
    }

    /// Hook for WATCH and client-side caching: a key's value changed (by the
    /// running command's client).
    #[inline]
    pub fn signal_modified_key(&mut self, db: usize, key: &[u8]) {
        self.stats.keys_modified += 1;
        self.touch_watched_key(db, key);
        // A deleted or overwritten stream must wake its XREADGROUP readers.
        if self.blocking.count > 0 {
            self.signal_key_as_ready(db, key);
        }
        if self.tracking.in_use {
            self.tracking_invalidate_key(key, self.tracking.current, true);
        }
    }

    /// signalModifiedKey(NULL, ...): the server itself removed the key (expiry,
    /// eviction), so even the running client's NOLOOP BCAST hears of it.
    pub fn signal_key_removed_by_server(&mut self, db: usize, key: &[u8]) {
        self.stats.keys_modified += 1;
        self.touch_watched_key(db, key);
        if self.blocking.count > 0 {
            self.signal_key_as_ready(db, key);
        }
        if self.tracking.in_use {
            self.tracking_invalidate_key(key, 0, true);
        }
    }

    /// Whether the maxmemory policy keeps LFU counters in `Obj::lru`.
    pub fn lfu_policy(&self) -> bool {
        self.config.maxmemory_policy_uses_lfu()
    }

    /// The `lru` field of a new object: the LRU clock, or under an LFU policy the
    /// current minute with the initial counter, as createObject does.
    pub fn new_obj_lru(&self) -> u32 {
        if self.lfu_policy() {
            object::lfu_initial()
        } else {
            self.lru_clock
        }
    }

    /// Whether small integers may be shared objects (not under an LRU/LFU maxmemory policy).
    pub fn share_integers(&self) -> bool {
        self.config.maxmemory == 0 || !self.config.maxmemory_policy_uses_lru_lfu()
    }

    /// The object's LRU/LFU field (a shared integer's lives in `shared_int_lru`).
    pub fn obj_lru(&self, o: &Obj) -> u32 {
        match o.val.shared_int() {
            Some(v) => self.shared_int_lru[v as usize],
            None => o.lru,
        }
    }

    /// estimateObjectIdleTime, in milliseconds.
    pub fn object_idle_ms(&self, o: &Obj) -> u64 {
        let now = self.lru_clock as u64;
        let lru = self.obj_lru(o) as u64;
        let secs = if now >= lru {
            now - lru
        } else {
            now + (object::LRU_CLOCK_MAX - lru)
        };
        secs * 1000
    }
}

/// What a lookup expecting one value type found: the shared shape of every
/// type command's "lookupKey + checkType" step, so the WRONGTYPE decision lives
/// in one place.
pub enum Typed<T> {
    Missing,
    WrongType,
    Found(T),
}

impl<T> Typed<T> {
    /// Just the outcome, releasing the borrow of the keyspace.
    pub fn kind(&self) -> Typed<()> {
        match self {
            Typed::Missing => Typed::Missing,
            Typed::WrongType => Typed::WrongType,
            Typed::Found(_) => Typed::Found(()),
        }
    }

    /// Ok(None) for a missing key, Err after replying WRONGTYPE (checkType).
    pub fn or_wrongtype(self, c: &mut crate::networking::Client) -> Result<Option<T>, ()> {
        match self {
            Typed::Missing => Ok(None),
            Typed::Found(v) => Ok(Some(v)),
            Typed::WrongType => {
                c.add_error_wrongtype();
                Err(())
            }
        }
    }
}

/// A value type a command can ask a key for (the payload of one `Value` variant).
pub trait TypedValue {
    fn from_value(v: &mut object::Value) -> Option<&mut Self>;
    fn from_value_ref(v: &object::Value) -> Option<&Self>;
}

macro_rules! typed_value {
    ($t:ty, $variant:ident) => {
        impl TypedValue for $t {
            #[inline]
            fn from_value(v: &mut object::Value) -> Option<&mut Self> {
                match v {
                    object::Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
            #[inline]
            fn from_value_ref(v: &object::Value) -> Option<&Self> {
                match v {
                    object::Value::$variant(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
}
typed_value!(crate::ds::quicklist::Quicklist, List);
typed_value!(crate::t_hash::HashVal, Hash);
typed_value!(crate::t_set::SetVal, Set);
typed_value!(crate::t_zset::ZSet, ZSet);

impl Server {
    /// lookupKey (with `lookup::*` flags) expecting a value of type `T`.
    pub fn lookup_as<T: TypedValue>(&mut self, db: usize, key: &[u8], flags: u32) -> Typed<&mut T> {
        match self.lookup(db, key, flags) {
            None => Typed::Missing,
            Some(o) => match T::from_value(&mut o.val) {
                Some(v) => Typed::Found(v),
                None => Typed::WrongType,
            },
        }
    }

    /// lookupKeyRead + checkType.
    #[inline]
    pub fn lookup_read_as<T: TypedValue>(&mut self, db: usize, key: &[u8]) -> Typed<&T> {
        match self.lookup_as::<T>(db, key, 0) {
            Typed::Missing => Typed::Missing,
            Typed::WrongType => Typed::WrongType,
            Typed::Found(v) => Typed::Found(&*v),
        }
    }

    /// lookupKeyWrite + checkType.
    #[inline]
    pub fn lookup_write_as<T: TypedValue>(&mut self, db: usize, key: &[u8]) -> Typed<&mut T> {
        self.lookup_as::<T>(db, key, lookup::WRITE)
    }

    /// The outcome only, for callers that go on to mutate the server before
    /// reaching the value (read or write lookup as `write` says).
    #[inline]
    pub fn check_type<T: TypedValue>(&mut self, db: usize, key: &[u8], write: bool) -> Typed<()> {
        let flags = if write { lookup::WRITE } else { 0 };
        self.lookup_as::<T>(db, key, flags).kind()
    }

    /// The value under a key already checked to hold a `T` (no expiry or stats).
    pub fn typed_mut<T: TypedValue>(&mut self, db: usize, key: &[u8]) -> &mut T {
        self.dbs[db]
            .get_mut(key)
            .and_then(|o| T::from_value(&mut o.val))
            .expect("type checked before")
    }

    /// Shared-borrow twin of `typed_mut`.
    pub fn typed_ref<T: TypedValue>(&self, db: usize, key: &[u8]) -> &T {
        self.dbs[db]
            .get(key)
            .and_then(|o| T::from_value_ref(&o.val))
            .expect("type checked before")
    }

    /// HDEL, SREM, ZREM: removes each member named in argv[2..] from the
    /// collection at argv[1], stopping once it is empty (the key then goes),
    /// and replies with how many went, notifying as Redis does.
    pub fn remove_members<T: TypedValue>(
        &mut self,
        c: &mut crate::networking::Client,
        argv: &crate::resp::Argv,
        class: i32,
        event: &str,
        remove: impl Fn(&mut T, &[u8]) -> bool,
        is_empty: impl Fn(&T) -> bool,
    ) {
        let db = c.db;
        let key = argv.get(1);
        let coll = match self.lookup_write_as::<T>(db, key).or_wrongtype(c) {
            Err(()) => return,
            Ok(None) => return c.add_int(0),
            Ok(Some(coll)) => coll,
        };
        let mut deleted = 0;
        let mut key_removed = false;
        for i in 2..argv.len() {
            if remove(coll, argv.get(i)) {
                deleted += 1;
                if is_empty(coll) {
                    key_removed = true;
                    break;
                }
            }
        }
        if key_removed {
            self.dbs[db].remove(key);
        }
        if deleted > 0 {
            self.signal_modified_key(db, key);
            self.notify_keyspace_event(class, event, key, db);
            if key_removed {
                self.notify_keyspace_event(crate::notify::class::GENERIC, "del", key, db);
            }
            self.dirty += deleted as u64;
        }
        c.add_int(deleted);
    }
}

impl Db {
    /// Pre-sizes the main table for `n` keys (DEBUG POPULATE's dictExpand).
    pub fn expand_main(&mut self, n: usize) {
        // Absurd counts are left to grow naturally rather than allocated up front.
        if self.dicts.len() == 1 && n >= self.dicts[0].len() && n <= 1 << 28 {
            self.dicts[0].expand(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::StrEnc;
    use std::collections::HashSet;

    fn obj() -> Obj {
        Obj::string(StrEnc::from_int(1, false), 0)
    }

    /// A full SCAN returns every key present for the whole iteration, while other
    /// keys are added (forcing growth) and then removed (forcing shrinking) mid-scan.
    fn scan_survives_resizing(per_slot: bool) {
        let mut db = Db::new(0, per_slot);
        for i in 0..2000 {
            db.add(format!("stable:{}", i).as_bytes(), obj());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = db.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            step += 1;
            if step < 40 {
                for j in 0..300 {
                    db.add(format!("tmp:{}:{}", step, j).as_bytes(), obj());
                }
            } else if step == 40 {
                let tmp: Vec<Vec<u8>> = db
                    .keys_iter()
                    .filter(|(k, _)| k.starts_with(b"tmp:"))
                    .map(|(k, _)| k.to_vec())
                    .collect();
                for k in tmp {
                    db.remove(&k);
                }
            }
            db.rehash_cron(50);
            if cursor == 0 {
                break;
            }
        }
        for i in 0..2000 {
            assert!(
                seen.contains(format!("stable:{}", i).as_bytes()),
                "stable:{} missed",
                i
            );
        }
    }

    #[test]
    fn scan_while_resizing_single_dict() {
        scan_survives_resizing(false);
    }

    #[test]
    fn scan_while_resizing_per_slot_dicts() {
        scan_survives_resizing(true);
    }

    #[test]
    fn take_contents_empties() {
        let mut db = Db::new(0, false);
        db.add(b"a", obj());
        db.set_expire(b"a", 5);
        let (dicts, expires) = db.take_contents();
        assert_eq!(dicts[0].len(), 1);
        assert_eq!(expires.len(), 1);
        assert!(db.is_empty() && db.expires_len() == 0 && !db.contains(b"a"));
    }
}

//! Generic keyspace commands (Redis's db.c): DEL UNLINK EXISTS TYPE KEYS SCAN
//! RANDOMKEY RENAME RENAMENX MOVE COPY TOUCH DBSIZE FLUSHDB FLUSHALL SWAPDB.
//! The expire family lives in expire_cmds.rs.

use super::lookup;
use super::object::Obj;
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use crate::util::{eq_ic, glob_match, parse_i64};

/// getIntFromObjectOrReply: a 32-bit integer, or a reply with Redis's wording
/// (`msg` replaces both errors when given).
pub fn get_int_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<i32> {
    let Some(v) = parse_i64(arg) else {
        c.add_error(msg.unwrap_or("value is not an integer or out of range"));
        return None;
    };
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        match msg {
            Some(m) => c.add_error(m),
            None => c.add_error(&format!(
                "value is out of range, value must between {} and {}",
                i32::MIN,
                i32::MAX
            )),
        }
        return None;
    }
    Some(v as i32)
}

/// getPositiveLongFromObjectOrReply: a non-negative integer; `msg` (by default Redis's
/// "value is out of range, must be positive") answers a negative value and a non-integer alike.
pub fn get_positive_long_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<i64> {
    match parse_i64(arg) {
        Some(v) if v >= 0 => Some(v),
        _ => {
            c.add_error(msg.unwrap_or("value is out of range, must be positive"));
            None
        }
    }
}

/// getLongFromObjectOrReply.
pub fn get_long_or_reply(c: &mut Client, arg: &[u8]) -> Option<i64> {
    let v = parse_i64(arg);
    if v.is_none() {
        c.add_error_not_int();
    }
    v
}

fn del_generic(srv: &mut Server, c: &mut Client, argv: &Argv, lazy: bool) {
    let db = c.db;
    let mut n = 0;
    for key in argv.iter().skip(1) {
        srv.expire_if_needed(db, key);
        if let Some(o) = srv.dbs[db].remove(key) {
            srv.free_value(o, lazy);
            srv.signal_modified_key(db, key);
            srv.notify_keyspace_event(crate::notify::class::GENERIC, "del", key, db);
            srv.dirty += 1;
            n += 1;
        }
    }
    c.add_int(n);
}

pub fn del_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    del_generic(srv, c, argv, srv.config.lazyfree_lazy_user_del);
}

/// UNLINK: big values are freed on the lazyfree thread.
pub fn unlink_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    del_generic(srv, c, argv, true);
}

pub fn exists_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let mut n = 0;
    for key in argv.iter().skip(1) {
        if srv.lookup(db, key, lookup::NOTOUCH).is_some() {
            n += 1;
        }
    }
    c.add_int(n);
}

pub fn type_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let name = match srv.lookup(c.db, argv.get(1), lookup::NOTOUCH) {
        Some(o) => o.val.type_name(),
        None => "none",
    };
    c.add_status(name);
}

pub fn touch_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let mut n = 0;
    for key in argv.iter().skip(1) {
        if srv.lookup(db, key, 0).is_some() {
            n += 1;
        }
    }
    c.add_int(n);
}

pub fn dbsize_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_int(srv.dbs[c.db].len() as i64);
}

pub fn keys_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let pattern = argv.get(1);
    let allkeys = pattern == b"*";
    let d = &srv.dbs[c.db];
    let mut out: Vec<&[u8]> = Vec::new();
    for (key, _) in d.keys_iter() {
        if (allkeys || glob_match(pattern, key, false)) && !srv.key_is_expired(c.db, key) {
            out.push(key);
        }
    }
    c.add_array_len(out.len());
    for k in out {
        c.add_bulk(k);
    }
}

/// parseScanCursorOrReply: strtoul semantics (optional sign, wrapping negatives,
/// an empty string is cursor 0), rejecting leading spaces, trailing junk and overflow.
pub fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    if arg.first().is_some_and(|b| b.is_ascii_whitespace()) {
        return None;
    }
    if arg.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: u64 = 0;
    for &b in digits {
        v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// SCAN's options, shared with HSCAN/SSCAN/ZSCAN's parsing in spirit.
pub struct ScanOpts<'a> {
    pub count: i64,
    pub pattern: Option<&'a [u8]>,
    pub type_name: Option<&'a [u8]>,
}

/// Parses `[MATCH p] [COUNT n] [TYPE t]` from `argv[from..]`; replies on error.
pub fn parse_scan_opts<'a>(
    c: &mut Client,
    argv: &Argv<'a>,
    from: usize,
    allow_type: bool,
) -> Option<ScanOpts<'a>> {
    let mut o = ScanOpts {
        count: 10,
        pattern: None,
        type_name: None,
    };
    let mut i = from;
    while i < argv.len() {
        let left = argv.len() - i;
        let a = argv.get(i);
        if eq_ic(a, "count") && left >= 2 {
            o.count = get_long_or_reply(c, argv.get(i + 1))?;
            if o.count < 1 {
                c.add_error_syntax();
                return None;
            }
        } else if eq_ic(a, "match") && left >= 2 {
            let p = argv.get(i + 1);
            o.pattern = if p == b"*" { None } else { Some(p) };
        } else if eq_ic(a, "type") && allow_type && left >= 2 {
            o.type_name = Some(argv.get(i + 1));
        } else {
            c.add_error_syntax();
            return None;
        }
        i += 2;
    }
    Some(o)
}

pub fn scan_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(mut cursor) = parse_scan_cursor(argv.get(1)) else {
        c.add_error("invalid cursor");
        return;
    };
    let Some(opts) = parse_scan_opts(c, argv, 2, true) else {
        return;
    };
    let db = c.db;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    // At most ten times COUNT steps, so a sparse table cannot stall the server.
    // C's `count*10` wraps for huge COUNTs and `maxiterations--` only stops at 0:
    // kept, so a huge COUNT scans until the cursor ends.
    let mut maxiterations = opts.count.wrapping_mul(10);
    loop {
        cursor = srv.dbs[db].scan(cursor, |k, _| keys.push(k.to_vec()));
        if cursor == 0 {
            break;
        }
        let more = maxiterations != 0;
        maxiterations = maxiterations.wrapping_sub(1);
        if !more || keys.len() as i64 >= opts.count {
            break;
        }
    }
    keys.retain(|k| {
        if let Some(p) = opts.pattern {
            if !glob_match(p, k, false) {
                return false;
            }
        }
        if let Some(t) = opts.type_name {
            let name = match srv.lookup(db, k, lookup::NOTOUCH) {
                Some(o) => o.val.type_name(),
                None => "none",
            };
            if !eq_ic(t, name) {
                return false;
            }
        }
        !srv.expire_if_needed(db, k)
    });
    c.add_array_len(2);
    c.add_bulk(cursor.to_string().as_bytes());
    c.add_array_len(keys.len());
    for k in &keys {
        c.add_bulk(k);
    }
}

/// scanGenericCommand's walk of a collection's dict (HSCAN, SSCAN, ZSCAN):
/// bucket by bucket until `count` items were gathered or ten times `count`
/// buckets were visited. `push` adds what one entry contributes to `out`.
pub fn scan_dict<V>(
    d: &super::dict::Dict<V>,
    mut cursor: u64,
    count: i64,
    mut push: impl FnMut(&[u8], &V, &mut Vec<Vec<u8>>),
    out: &mut Vec<Vec<u8>>,
) -> u64 {
    let mut maxiterations = count.wrapping_mul(10);
    loop {
        cursor = d.scan(cursor, |k, v| push(k, v, out));
        if cursor == 0 {
            break;
        }
        let more = maxiterations != 0;
        maxiterations = maxiterations.wrapping_sub(1);
        if !more || out.len() as i64 >= count {
            break;
        }
    }
    cursor
}

/// The reply of a collection scan: `items` filtered by MATCH (for `pairs`,
/// the pattern applies to the field and its value goes with it).
pub fn scan_reply(
    c: &mut Client,
    cursor: u64,
    mut items: Vec<Vec<u8>>,
    pairs: bool,
    pattern: Option<&[u8]>,
) {
    if let Some(p) = pattern {
        if pairs {
            let mut kept = Vec::with_capacity(items.len());
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                if glob_match(p, &k, false) {
                    kept.push(k);
                    kept.push(v);
                }
            }
            items = kept;
        } else {
            items.retain(|k| glob_match(p, k, false));
        }
    }
    c.add_array_len(2);
    c.add_bulk(cursor.to_string().as_bytes());
    c.add_array_len(items.len());
    for k in &items {
        c.add_bulk(k);
    }
}

pub fn randomkey_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let db = c.db;
    let mut maxtries = 100;
    let allvolatile = srv.dbs[db].len() == srv.dbs[db].expires_len();
    loop {
        let Some(key) = srv.dbs[db].random_key(&mut srv.rng) else {
            c.add_null();
            return;
        };
        if srv.dbs[db].expire_of(&key).is_some() {
            if allvolatile && srv.is_replica_of_master() {
                maxtries -= 1;
                if maxtries == 0 {
                    // Every key may be logically expired on a replica that cannot
                    // delete them: give up and return one anyway, as Redis does.
                    c.add_bulk(&key);
                    return;
                }
            }
            if srv.expire_if_needed(db, &key) {
                continue;
            }
        }
        c.add_bulk(&key);
        return;
    }
}

fn rename_generic(srv: &mut Server, c: &mut Client, argv: &Argv, nx: bool) {
    let db = c.db;
    let (src, dst) = (argv.get(1), argv.get(2));
    if srv.lookup_write(db, src).is_none() {
        c.add_error("no such key");
        return;
    }
    if src == dst {
        if nx {
            c.add_int(0);
        } else {
            c.add_ok();
        }
        return;
    }
    let expire = srv.dbs[db].expire_of(src);
    if srv.lookup_write(db, dst).is_some() {
        if nx {
            c.add_int(0);
            return;
        }
        srv.dbs[db].remove(dst);
    }
    let obj = srv.dbs[db].remove(src).expect("looked up above");
    srv.db_add(db, dst, obj);
    if let Some(when) = expire {
        srv.dbs[db].set_expire(dst, when);
        srv.remember_replica_key_with_expire(db, dst);
    }
    srv.signal_key_as_ready(db, dst);
    srv.signal_modified_key(db, src);
    srv.signal_modified_key(db, dst);
    srv.notify_keyspace_event(crate::notify::class::GENERIC, "rename_from", src, db);
    srv.notify_keyspace_event(crate::notify::class::GENERIC, "rename_to", dst, db);
    srv.dirty += 1;
    if nx {
        c.add_int(1);
    } else {
        c.add_ok();
    }
}

pub fn rename_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    rename_generic(srv, c, argv, false);
}

pub fn renamenx_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    rename_generic(srv, c, argv, true);
}

/// selectDb's range check for a target database index.
fn db_in_range(srv: &Server, id: i32) -> bool {
    id >= 0 && (id as usize) < srv.dbs.len()
}

pub fn move_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if srv.config.cluster_enabled {
        c.add_error("MOVE is not allowed in cluster mode");
        return;
    }
    let src = c.db;
    let Some(dst) = get_int_or_reply(c, argv.get(2), None) else {
        return;
    };
    if !db_in_range(srv, dst) {
        c.add_error("DB index is out of range");
        return;
    }
    let dst = dst as usize;
    if src == dst {
        c.add_error("source and destination objects are the same");
        return;
    }
    let key = argv.get(1);
    if srv.lookup_write(src, key).is_none() {
        c.add_int(0);
        return;
    }
    let expire = srv.dbs[src].expire_of(key);
    if srv.lookup_write(dst, key).is_some() {
        c.add_int(0);
        return;
    }
    let obj = srv.dbs[src].remove(key).expect("looked up above");
    srv.db_add(dst, key, obj);
    if let Some(when) = expire {
        srv.dbs[dst].set_expire(key, when);
        srv.remember_replica_key_with_expire(dst, key);
    }
    srv.signal_key_as_ready(dst, key);
    srv.signal_modified_key(src, key);
    srv.signal_modified_key(dst, key);
    srv.notify_keyspace_event(crate::notify::class::GENERIC, "move_from", key, src);
    srv.notify_keyspace_event(crate::notify::class::GENERIC, "move_to", key, dst);
    srv.dirty += 1;
    c.add_int(1);
}

pub fn copy_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let src = c.db;
    let mut dst = c.db;
    let mut replace = false;
    let mut j = 3;
    while j < argv.len() {
        let additional = argv.len() - j - 1;
        let a = argv.get(j);
        if eq_ic(a, "replace") {
            replace = true;
        } else if eq_ic(a, "db") && additional >= 1 {
            let Some(id) = get_int_or_reply(c, argv.get(j + 1), None) else {
                return;
            };
            if !db_in_range(srv, id) {
                c.add_error("DB index is out of range");
                return;
            }
            dst = id as usize;
            j += 1;
        } else {
            c.add_error_syntax();
            return;
        }
        j += 1;
    }
    if srv.config.cluster_enabled && (src != 0 || dst != 0) {
        c.add_error("Copying to another database is not allowed in cluster mode");
        return;
    }
    let (key, newkey) = (argv.get(1), argv.get(2));
    if src == dst && key == newkey {
        c.add_error("source and destination objects are the same");
        return;
    }
    let val = match srv.lookup_read(src, key) {
        Some(o) => o.val.dup(),
        None => {
            c.add_int(0);
            return;
        }
    };
    let expire = srv.dbs[src].expire_of(key);
    if srv.lookup_write(dst, newkey).is_some() {
        if !replace {
            c.add_int(0);
            return;
        }
        srv.dbs[dst].remove(newkey);
    }
    let lru = srv.new_obj_lru();
    srv.db_add(dst, newkey, Obj::new(val, lru));
    if let Some(when) = expire {
        srv.dbs[dst].set_expire(newkey, when);
        srv.remember_replica_key_with_expire(dst, newkey);
    }
    srv.signal_key_as_ready(dst, newkey);
    srv.signal_modified_key(dst, newkey);
    srv.notify_keyspace_event(crate::notify::class::GENERIC, "copy_to", newkey, dst);
    srv.dirty += 1;
    c.add_int(1);
}

/// getFlushCommandFlags: Some(async?) or a syntax error; no argument follows
/// lazyfree-lazy-user-flush.
fn flush_flags(srv: &Server, c: &mut Client, argv: &Argv) -> Option<bool> {
    match argv.len() {
        1 => Some(srv.config.lazyfree_lazy_user_flush),
        2 if eq_ic(argv.get(1), "sync") => Some(false),
        2 if eq_ic(argv.get(1), "async") => Some(true),
        _ => {
            c.add_error_syntax();
            None
        }
    }
}

impl Server {
    /// emptyData for one database or all (`None`): returns the keys removed. With
    /// `lazy` the old tables are freed on the lazyfree thread (emptyDbAsync).
    pub fn empty_data(&mut self, db: Option<usize>, lazy: bool) -> u64 {
        // signalFlushedDb: tracking clients hear "everything" before the flush.
        self.tracking_on_flush();
        let range = match db {
            Some(d) => d..d + 1,
            None => 0..self.dbs.len(),
        };
        let mut removed = 0;
        for i in range {
            self.touch_all_watched_keys_in_db(i, None);
            removed += self.dbs[i].len() as u64;
            self.signal_all_blocked_keys(i);
            if lazy {
                let (dicts, expires) = self.dbs[i].take_contents();
                crate::lazyfree::free_database(dicts, expires);
            } else {
                self.dbs[i].clear();
            }
        }
        removed
    }
}

pub fn flushdb_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(lazy) = flush_flags(srv, c, argv) else {
        return;
    };
    srv.dirty += srv.empty_data(Some(c.db), lazy);
    // Propagated even when the DB was already empty.
    srv.force_propagation();
    c.add_ok();
}

pub fn flushall_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(lazy) = flush_flags(srv, c, argv) else {
        return;
    };
    srv.dirty += srv.empty_data(None, lazy);
    // flushAllDataAndResetRDB: a running BGSAVE is stale now; with save points
    // the empty dataset is saved at once (which also resets `dirty`).
    srv.kill_rdb_child();
    if !srv.config.save_params.is_empty() {
        let _ = srv.rdb_save();
    }
    srv.force_propagation();
    c.add_ok();
}

pub fn swapdb_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if srv.config.cluster_enabled {
        c.add_error("SWAPDB is not allowed in cluster mode");
        return;
    }
    let Some(id1) = get_int_or_reply(c, argv.get(1), Some("invalid first DB index")) else {
        return;
    };
    let Some(id2) = get_int_or_reply(c, argv.get(2), Some("invalid second DB index")) else {
        return;
    };
    if !db_in_range(srv, id1) || !db_in_range(srv, id2) {
        c.add_error("DB index is out of range");
        return;
    }
    let (a, b) = (id1 as usize, id2 as usize);
    if a != b {
        srv.touch_all_watched_keys_in_db(a, Some(b));
        srv.touch_all_watched_keys_in_db(b, Some(a));
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = srv.dbs.split_at_mut(hi);
        left[lo].swap_contents(&mut right[0]);
        // Clients blocked in either database may now find their keys.
        srv.scan_database_for_ready_keys(a);
        srv.scan_database_for_ready_keys(b);
        srv.signal_all_blocked_keys(a);
        srv.signal_all_blocked_keys(b);
    }
    srv.dirty += 1;
    c.add_ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_is_redis_stringmatchlen() {
        // Must answer at once, not after exponential backtracking.
        let long = vec![b'a'; 40];
        let pat = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let t = std::time::Instant::now();
        assert!(!glob_match(pat, &long, false));
        assert!(t.elapsed().as_millis() < 1000);
        // Redis's quirk: a non-empty pattern never matches the empty string.
        assert!(!glob_match(b"*", b"", false));
        assert!(glob_match(b"", b"", false));
        assert!(glob_match(b"a*", b"a", false));
        assert!(glob_match(b"a[bc", b"ab", false));
        assert!(glob_match(b"*[a-c]x", b"zzbx", false));
        assert!(glob_match(b"\\?", b"?", false));
        assert!(!glob_match(b"\\?", b"x", false));
    }

    #[test]
    fn scan_cursor_like_strtoul() {
        assert_eq!(parse_scan_cursor(b"0"), Some(0));
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"+5"), Some(5));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_scan_cursor(b" 1"), None);
        assert_eq!(parse_scan_cursor(b"1 "), None);
        assert_eq!(parse_scan_cursor(b"abc"), None);
        assert_eq!(parse_scan_cursor(b"+"), None);
    }
}

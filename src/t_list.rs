//! List commands (Redis's t_list.c): pushes, pops, ranges, LINSERT/LREM/LSET/
//! LTRIM/LPOS, moves between lists, LMPOP, and the blocking variants, which
//! park the client through src/blocked.rs when every key is empty.

use crate::blocked::{parse_timeout_secs, BlockType};
use crate::db::keyspace_cmds::get_positive_long_or_reply;
use crate::db::object::{Obj, Value};
use crate::db::Typed;
use crate::ds::listpack::{IntBuf, LpValue};
use crate::ds::quicklist::Quicklist;
use crate::networking::{Client, ClientFlags};
use crate::notify::class;
use crate::resp::Argv;
use crate::server::Server;
use crate::util::parse_i64;

const HEAD: bool = true;
const TAIL: bool = false;

/// An empty list with the configured node size and compression (createQuicklistObject).
pub fn new_list(srv: &Server) -> Box<Quicklist> {
    Box::new(Quicklist::new(
        srv.config.list_max_listpack_size,
        srv.config.list_compress_depth,
    ))
}

#[inline]
fn add_lp_value(c: &mut Client, v: LpValue, b: &mut IntBuf) {
    match v {
        LpValue::Str(s) => c.add_bulk(s),
        LpValue::Int(i) => c.add_bulk(b.format(i)),
    }
}

/// Pushes onto a list, creating it; the caller checked the type.
fn push_create(srv: &mut Server, db: usize, key: &[u8], vals: &[&[u8]], head: bool) -> usize {
    if srv.dbs[db].get(key).is_none() {
        let l = new_list(srv);
        let lru = srv.new_obj_lru();
        srv.db_add(db, key, Obj::new(Value::List(l), lru));
    }
    let l = srv.typed_mut::<Quicklist>(db, key);
    for v in vals {
        l.push(v, head);
    }
    let n = l.len();
    srv.signal_modified_key(db, key);
    srv.signal_key_as_ready(db, key);
    let event = if head { "lpush" } else { "rpush" };
    srv.notify_keyspace_event(class::LIST, event, key, db);
    srv.dirty += vals.len() as u64;
    n
}

fn pop_event(head: bool) -> &'static str {
    if head {
        "lpop"
    } else {
        "rpop"
    }
}

/// listElementsRemoved: reports `event`, then deletes the key when its list
/// became empty (lists never exist empty).
fn elements_removed(srv: &mut Server, db: usize, key: &[u8], event: &str) {
    srv.notify_keyspace_event(class::LIST, event, key, db);
    if srv.typed_ref::<Quicklist>(db, key).is_empty() {
        srv.dbs[db].remove(key);
        srv.notify_keyspace_event(class::GENERIC, "del", key, db);
    }
}

fn push_generic(srv: &mut Server, c: &mut Client, argv: &Argv, head: bool, xx: bool) {
    let db = c.db;
    let key = argv.get(1);
    match srv.check_type::<Quicklist>(db, key, true) {
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Missing if xx => return c.add_int(0),
        _ => {}
    }
    let vals: Vec<&[u8]> = (2..argv.len()).map(|i| argv.get(i)).collect();
    let n = push_create(srv, db, key, &vals, head);
    c.add_int(n as i64);
}

pub fn lpush_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    push_generic(srv, c, argv, HEAD, false)
}
pub fn rpush_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    push_generic(srv, c, argv, TAIL, false)
}
pub fn lpushx_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    push_generic(srv, c, argv, HEAD, true)
}
pub fn rpushx_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    push_generic(srv, c, argv, TAIL, true)
}

pub fn llen_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    match srv.check_type::<Quicklist>(db, argv.get(1), false) {
        Typed::Missing => c.add_int(0),
        Typed::WrongType => c.add_error_wrongtype(),
        Typed::Found(()) => {
            let n = srv.typed_ref::<Quicklist>(db, argv.get(1)).len();
            c.add_int(n as i64)
        }
    }
}

pub fn lindex_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    match srv.check_type::<Quicklist>(db, argv.get(1), false) {
        Typed::Missing => return c.add_null(),
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    let Some(idx) = parse_i64(argv.get(2)) else {
        return c.add_error_not_int();
    };
    match srv.typed_ref::<Quicklist>(db, argv.get(1)).index(idx) {
        Some(v) => c.add_bulk(&v),
        None => c.add_null(),
    }
}

pub fn lset_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
    match srv.check_type::<Quicklist>(db, key, true) {
        Typed::Missing => return c.add_error("no such key"),
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    let Some(idx) = parse_i64(argv.get(2)) else {
        return c.add_error_not_int();
    };
    if srv
        .typed_mut::<Quicklist>(db, key)
        .replace(idx, argv.get(3))
    {
        srv.signal_modified_key(db, key);
        srv.notify_keyspace_event(class::LIST, "lset", key, db);
        srv.dirty += 1;
        c.add_ok();
    } else {
        c.add_error("index out of range");
    }
}

/// Replies with elements [start, end] (already in range), reversed if asked
/// (addListRangeReply).
fn add_range_reply(c: &mut Client, l: &Quicklist, start: usize, end: usize, reverse: bool) {
    let n = end - start + 1;
    c.add_array_len(n);
    let mut b = IntBuf::new();
    let mut left = n;
    let from = if reverse { end } else { start };
    l.for_each(from, reverse, |_, v| {
        add_lp_value(c, v, &mut b);
        left -= 1;
        left > 0
    });
    // Fewer elements than the node headers claim (an unsanitized RESTORE
    // payload) would leave the reply short: Redis asserts in its loop.
    if left > 0 {
        crate::crash::assert_failed("listTypeNext(iter, &entry)", file!(), line!());
    }
}

pub fn lrange_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let (Some(mut start), Some(mut end)) = (parse_i64(argv.get(2)), parse_i64(argv.get(3))) else {
        return c.add_error_not_int();
    };
    let db = c.db;
    match srv.check_type::<Quicklist>(db, argv.get(1), false) {
        Typed::Missing => return c.add_array_len(0),
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    let l = srv.typed_ref::<Quicklist>(db, argv.get(1));
    let llen = l.len() as i64;
    if start < 0 {
        start += llen;
    }
    if end < 0 {
        end += llen;
    }
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return c.add_array_len(0);
    }
    if end >= llen {
        end = llen - 1;
    }
    add_range_reply(c, l, start as usize, end as usize, false);
}

pub fn ltrim_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let (Some(mut start), Some(mut end)) = (parse_i64(argv.get(2)), parse_i64(argv.get(3))) else {
        return c.add_error_not_int();
    };
    let db = c.db;
    let key = argv.get(1);
    match srv.check_type::<Quicklist>(db, key, true) {
        Typed::Missing => return c.add_ok(),
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    let l = srv.typed_mut::<Quicklist>(db, key);
    let llen = l.len() as i64;
    if start < 0 {
        start += llen;
    }
    if end < 0 {
        end += llen;
    }
    if start < 0 {
        start = 0;
    }
    let (ltrim, rtrim) = if start > end || start >= llen {
        (llen, 0)
    } else {
        if end >= llen {
            end = llen - 1;
        }
        (start, llen - end - 1)
    };
    l.delete_range(0, ltrim as usize);
    let len = l.len();
    l.delete_range(len - rtrim as usize, rtrim as usize);
    elements_removed(srv, db, key, "ltrim");
    srv.signal_modified_key(db, key);
    srv.dirty += (ltrim + rtrim) as u64;
    c.add_ok();
}

pub fn lrem_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(count) = parse_i64(argv.get(2)) else {
        return c.add_error_not_int();
    };
    let db = c.db;
    let key = argv.get(1);
    match srv.check_type::<Quicklist>(db, key, true) {
        Typed::Missing => return c.add_int(0),
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    let removed = srv.typed_mut::<Quicklist>(db, key).remove_matching(
        argv.get(3),
        count.unsigned_abs() as usize,
        count < 0,
    );
    if removed > 0 {
        elements_removed(srv, db, key, "lrem");
        srv.signal_modified_key(db, key);
        srv.dirty += removed as u64;
    }
    c.add_int(removed as i64);
}

pub fn linsert_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let after = if argv.get(2).eq_ignore_ascii_case(b"after") {
        true
    } else if argv.get(2).eq_ignore_ascii_case(b"before") {
        false
    } else {
        return c.add_error_syntax();
    };
    let db = c.db;
    let key = argv.get(1);
    match srv.check_type::<Quicklist>(db, key, true) {
        Typed::Missing => return c.add_int(0),
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    let l = srv.typed_mut::<Quicklist>(db, key);
    let pivot = argv.get(3);
    let mut found = None;
    l.for_each(0, false, |i, v| {
        if v.eq_bytes(pivot) {
            found = Some(i);
            false
        } else {
            true
        }
    });
    let Some(i) = found else {
        return c.add_int(-1);
    };
    l.insert_at(if after { i + 1 } else { i }, argv.get(4));
    let n = l.len();
    srv.signal_modified_key(db, key);
    srv.notify_keyspace_event(class::LIST, "linsert", key, db);
    srv.dirty += 1;
    c.add_int(n as i64);
}

fn pop_generic(srv: &mut Server, c: &mut Client, argv: &Argv, head: bool) {
    if argv.len() > 3 {
        let name = if head { "lpop" } else { "rpop" };
        return c.add_error_arity(name);
    }
    let hascount = argv.len() == 3;
    let mut count = 0;
    if hascount {
        match get_positive_long_or_reply(c, argv.get(2), None) {
            Some(n) => count = n,
            None => return,
        }
    }
    let db = c.db;
    let key = argv.get(1);
    match srv.check_type::<Quicklist>(db, key, true) {
        Typed::Missing if hascount => return c.add_null_array(),
        Typed::Missing => return c.add_null(),
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    if hascount && count == 0 {
        return c.add_array_len(0);
    }
    let l = srv.typed_mut::<Quicklist>(db, key);
    let removed;
    if !hascount {
        let v = l.pop(head).expect("lists are never empty");
        c.add_bulk(&v);
        removed = 1;
    } else {
        let llen = l.len();
        let n = (count as usize).min(llen);
        pop_range_reply(c, l, n, head);
        removed = n;
    }
    elements_removed(srv, db, key, pop_event(head));
    srv.signal_modified_key(db, key);
    srv.dirty += removed as u64;
}

/// Replies with and removes `n` elements from one end, in pop order.
fn pop_range_reply(c: &mut Client, l: &mut Quicklist, n: usize, head: bool) {
    let llen = l.len();
    if head {
        add_range_reply(c, l, 0, n - 1, false);
        l.delete_range(0, n);
    } else {
        add_range_reply(c, l, llen - n, llen - 1, true);
        l.delete_range(llen - n, n);
    }
}

pub fn lpop_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    pop_generic(srv, c, argv, HEAD)
}
pub fn rpop_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    pop_generic(srv, c, argv, TAIL)
}

pub fn lpos_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let ele = argv.get(2);
    let mut rank: i64 = 1;
    let mut count: i64 = -1;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < argv.len() {
        let opt = argv.get(j);
        let more = argv.len() - 1 - j;
        if opt.eq_ignore_ascii_case(b"rank") && more > 0 {
            j += 1;
            let Some(r) = parse_i64(argv.get(j)) else {
                return c.add_error_not_int();
            };
            if r == 0 {
                return c.add_error("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
            }
            rank = r;
        } else if opt.eq_ignore_ascii_case(b"count") && more > 0 {
            j += 1;
            match get_positive_long_or_reply(c, argv.get(j), Some("COUNT can't be negative")) {
                Some(v) => count = v,
                None => return,
            }
        } else if opt.eq_ignore_ascii_case(b"maxlen") && more > 0 {
            j += 1;
            match get_positive_long_or_reply(c, argv.get(j), Some("MAXLEN can't be negative")) {
                Some(v) => maxlen = v,
                None => return,
            }
        } else {
            return c.add_error_syntax();
        }
        j += 1;
    }
    let from_tail = rank < 0;
    // i64::MIN has no positive counterpart: C's -LONG_MIN wraps to itself, so
    // Redis then takes every match as ranked (and COUNT's sum below wraps too).
    let rank = rank.wrapping_abs();
    let db = c.db;
    match srv.check_type::<Quicklist>(db, argv.get(1), false) {
        Typed::Missing if count != -1 => return c.add_array_len(0),
        Typed::Missing => return c.add_null(),
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    let l = srv.typed_ref::<Quicklist>(db, argv.get(1));
    let llen = l.len();
    let mut matches: i64 = 0;
    let mut scanned: i64 = 0;
    let mut found: Vec<i64> = Vec::new();
    let start = if from_tail { llen - 1 } else { 0 };
    l.for_each(start, from_tail, |idx, v| {
        if maxlen != 0 && scanned >= maxlen {
            return false;
        }
        scanned += 1;
        if v.eq_bytes(ele) {
            matches += 1;
            if matches >= rank {
                found.push(idx as i64);
                if count == -1 {
                    return false;
                }
                if count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count {
                    return false;
                }
            }
        }
        true
    });
    if count != -1 {
        c.add_array_len(found.len());
        for i in found {
            c.add_int(i);
        }
    } else {
        match found.first() {
            Some(&i) => c.add_int(i),
            None => c.add_null(),
        }
    }
}

/// LEFT/RIGHT → head?
fn parse_where(c: &mut Client, arg: &[u8]) -> Option<bool> {
    if arg.eq_ignore_ascii_case(b"right") {
        Some(TAIL)
    } else if arg.eq_ignore_ascii_case(b"left") {
        Some(HEAD)
    } else {
        c.add_error_syntax();
        None
    }
}

/// lmoveGenericCommand once the source is known to be a non-empty list.
fn lmove_generic(
    srv: &mut Server,
    c: &mut Client,
    src: &[u8],
    dst: &[u8],
    from_head: bool,
    to_head: bool,
) {
    let db = c.db;
    match srv.check_type::<Quicklist>(db, src, true) {
        Typed::Missing => return c.add_null(),
        Typed::WrongType => return c.add_error_wrongtype(),
        Typed::Found(()) => {}
    }
    if let Typed::WrongType = srv.check_type::<Quicklist>(db, dst, true) {
        return c.add_error_wrongtype();
    }
    let v = srv
        .typed_mut::<Quicklist>(db, src)
        .pop(from_head)
        .expect("non-empty");
    push_create(srv, db, dst, &[&v], to_head);
    elements_removed(srv, db, src, pop_event(from_head));
    srv.dirty -= 1; // push_create counted the push; LMOVE counts one change
    srv.signal_modified_key(db, src);
    srv.dirty += 1;
    c.add_bulk(&v);
}

pub fn rpoplpush_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    lmove_generic(srv, c, argv.get(1), argv.get(2), TAIL, HEAD)
}

pub fn lmove_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(from) = parse_where(c, argv.get(3)) else {
        return;
    };
    let Some(to) = parse_where(c, argv.get(4)) else {
        return;
    };
    lmove_generic(srv, c, argv.get(1), argv.get(2), from, to)
}

/// Parsed LMPOP/BLMPOP arguments: keys range, direction, count.
fn parse_mpop(
    c: &mut Client,
    argv: &Argv,
    numkeys_idx: usize,
) -> Option<(usize, usize, bool, i64)> {
    let numkeys = match parse_i64(argv.get(numkeys_idx)) {
        Some(n) if n >= 1 => n as usize,
        _ => {
            c.add_error("numkeys should be greater than 0");
            return None;
        }
    };
    let where_idx = numkeys_idx.checked_add(numkeys)?.checked_add(1);
    let where_idx = match where_idx {
        Some(w) if w < argv.len() => w,
        _ => {
            c.add_error_syntax();
            return None;
        }
    };
    let head = parse_where(c, argv.get(where_idx))?;
    let mut count = -1;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count == -1 && argv.get(j).eq_ignore_ascii_case(b"count") && more > 0 {
            j += 1;
            match parse_i64(argv.get(j)) {
                Some(n) if n >= 1 => count = n,
                _ => {
                    c.add_error("count should be greater than 0");
                    return None;
                }
            }
        } else {
            c.add_error_syntax();
            return None;
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    Some((numkeys_idx + 1, numkeys, head, count))
}

/// Pops from the first non-empty list among the keys; replies [key, [elements]].
/// Returns None when every key is missing (nothing replied), Some(()) otherwise.
fn mpop_keys(
    srv: &mut Server,
    c: &mut Client,
    keys: &[&[u8]],
    head: bool,
    count: i64,
) -> Option<()> {
    let db = c.db;
    for key in keys {
        match srv.check_type::<Quicklist>(db, key, true) {
            Typed::Missing => continue,
            Typed::WrongType => {
                c.add_error_wrongtype();
                return Some(());
            }
            Typed::Found(()) => {}
        }
        let l = srv.typed_mut::<Quicklist>(db, key);
        let n = (count as usize).min(l.len());
        c.add_array_len(2);
        c.add_bulk(key);
        pop_range_reply(c, l, n, head);
        elements_removed(srv, db, key, pop_event(head));
        srv.signal_modified_key(db, key);
        srv.dirty += n as u64;
        // [B]LMPOP propagates as [LR]POP key count.
        let cmd: &[u8] = if head { b"LPOP" } else { b"RPOP" };
        srv.rewrite_command(&[cmd, key, n.to_string().as_bytes()]);
        return Some(());
    }
    None
}

pub fn lmpop_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some((first, n, head, count)) = parse_mpop(c, argv, 1) else {
        return;
    };
    let keys: Vec<&[u8]> = (first..first + n).map(|i| argv.get(i)).collect();
    if mpop_keys(srv, c, &keys, head, count).is_none() {
        c.add_null_array();
    }
}

/// blockingPopGenericCommand: serve from the first non-empty key or block.
fn blocking_pop(
    srv: &mut Server,
    c: &mut Client,
    argv: &Argv,
    keys: &[&[u8]],
    head: bool,
    timeout: i64,
    count: Option<i64>,
) {
    let db = c.db;
    if let Some(count) = count {
        if mpop_keys(srv, c, keys, head, count).is_some() {
            return;
        }
    } else {
        for key in keys {
            match srv.check_type::<Quicklist>(db, key, true) {
                Typed::Missing => continue,
                Typed::WrongType => return c.add_error_wrongtype(),
                Typed::Found(()) => {}
            }
            let v = srv
                .typed_mut::<Quicklist>(db, key)
                .pop(head)
                .expect("non-empty");
            c.add_array_len(2);
            c.add_bulk(key);
            c.add_bulk(&v);
            elements_removed(srv, db, key, pop_event(head));
            srv.signal_modified_key(db, key);
            srv.dirty += 1;
            let cmd: &[u8] = if head { b"LPOP" } else { b"RPOP" };
            srv.rewrite_command(&[cmd, key]);
            return;
        }
    }
    if c.flags.has(ClientFlags::DENY_BLOCKING) {
        return c.add_null_array();
    }
    srv.block_for_keys(c, BlockType::List, keys, timeout, argv);
}

fn bpop_generic(srv: &mut Server, c: &mut Client, argv: &Argv, head: bool) {
    let Some(timeout) = parse_timeout_secs(c, argv.get(argv.len() - 1)) else {
        return;
    };
    let keys: Vec<&[u8]> = (1..argv.len() - 1).map(|i| argv.get(i)).collect();
    blocking_pop(srv, c, argv, &keys, head, timeout, None)
}

pub fn blpop_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    bpop_generic(srv, c, argv, HEAD)
}
pub fn brpop_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    bpop_generic(srv, c, argv, TAIL)
}

pub fn blmpop_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some((first, n, head, count)) = parse_mpop(c, argv, 2) else {
        return;
    };
    let Some(timeout) = parse_timeout_secs(c, argv.get(1)) else {
        return;
    };
    let keys: Vec<&[u8]> = (first..first + n).map(|i| argv.get(i)).collect();
    blocking_pop(srv, c, argv, &keys, head, timeout, Some(count))
}

fn blmove_generic(
    srv: &mut Server,
    c: &mut Client,
    argv: &Argv,
    from: bool,
    to: bool,
    timeout: i64,
) {
    let db = c.db;
    let src = argv.get(1);
    match srv.check_type::<Quicklist>(db, src, true) {
        Typed::WrongType => c.add_error_wrongtype(),
        Typed::Found(()) => {
            lmove_generic(srv, c, src, argv.get(2), from, to);
            // Propagated as the non-blocking form.
            if argv.len() == 4 {
                srv.rewrite_command(&[b"RPOPLPUSH", src, argv.get(2)]);
            } else {
                srv.rewrite_command(&[b"LMOVE", src, argv.get(2), argv.get(3), argv.get(4)]);
            }
        }
        Typed::Missing => {
            if c.flags.has(ClientFlags::DENY_BLOCKING) {
                c.add_null();
            } else {
                srv.block_for_keys(c, BlockType::List, &[src], timeout, argv);
            }
        }
    }
}

pub fn brpoplpush_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(timeout) = parse_timeout_secs(c, argv.get(3)) else {
        return;
    };
    blmove_generic(srv, c, argv, TAIL, HEAD, timeout)
}

pub fn blmove_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(from) = parse_where(c, argv.get(3)) else {
        return;
    };
    let Some(to) = parse_where(c, argv.get(4)) else {
        return;
    };
    let Some(timeout) = parse_timeout_secs(c, argv.get(5)) else {
        return;
    };
    blmove_generic(srv, c, argv, from, to, timeout)
}

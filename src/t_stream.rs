//! Stream commands (Redis's t_stream.c command half): XADD XRANGE XREVRANGE
//! XLEN XDEL XTRIM XREAD XREADGROUP XGROUP XSETID XACK XPENDING XCLAIM
//! XAUTOCLAIM XINFO, over the node/listpack structure in src/ds/stream.rs.
//! XREAD/XREADGROUP BLOCK park the client through src/blocked.rs with the IDs
//! resolved at block time (`XReadBlock`); blocked.rs calls
//! `serve_blocked_xread` when a stream key it waits on is signalled.

use crate::blocked::BlockType;
use crate::db::object::{Obj, Value};
use crate::ds::stream::{
    AppendError, CGroup, Consumer, Fields, Nack, NodeLimits, Stream, StreamId, TrimStrategy,
};
use crate::networking::client_cmd::subcommand_syntax_error;
use crate::networking::{Client, ClientFlags};
use crate::notify::class;
use crate::resp::Argv;
use crate::server::Server;
use crate::util::{mstime, parse_i64};

const INVALID_ID: &str = "Invalid stream ID specified as stream command argument";
/// XREAD_BLOCKED_DEFAULT_COUNT: a blocked reader without COUNT gets at most this.
const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// What a blocked XREAD/XREADGROUP waits for (Redis's bpop.xread_* fields).
#[derive(Debug)]
pub struct XReadBlock {
    /// Per key: deliver entries with IDs greater than this (MAX for ">").
    pub ids: Vec<(Vec<u8>, StreamId)>,
    /// XREADGROUP's group and consumer.
    pub group: Option<(Vec<u8>, Vec<u8>)>,
    pub noack: bool,
    pub count: usize,
}

enum Kind {
    Missing,
    WrongType,
    Stream,
}

fn kind(srv: &mut Server, db: usize, key: &[u8], write: bool) -> Kind {
    let o = if write {
        srv.lookup_write(db, key).map(|o| &*o)
    } else {
        srv.lookup_read(db, key)
    };
    match o {
        None => Kind::Missing,
        Some(Obj {
            val: Value::Stream(_),
            ..
        }) => Kind::Stream,
        Some(_) => Kind::WrongType,
    }
}

fn stream_mut<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> &'a mut Stream {
    match srv.dbs[db].get_mut(key).map(|o| &mut o.val) {
        Some(Value::Stream(s)) => s,
        _ => unreachable!("stream checked before"),
    }
}

fn stream_ref<'a>(srv: &'a Server, db: usize, key: &[u8]) -> &'a Stream {
    match srv.dbs[db].get(key).map(|o| &o.val) {
        Some(Value::Stream(s)) => s,
        _ => unreachable!("stream checked before"),
    }
}

fn node_limits(srv: &Server) -> NodeLimits {
    NodeLimits {
        max_bytes: srv.config.stream_node_max_bytes,
        max_entries: srv.config.stream_node_max_entries,
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ------------------------------------------------------------------ parsing

/// string2ull: a decimal unsigned 64-bit number (strtoull's leading blanks and
/// '+' accepted, negatives refused).
fn parse_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return if v < 0 { None } else { Some(v as u64) };
    }
    let mut i = 0;
    while i < s.len() && (s[i] == b' ' || (b'\t'..=b'\r').contains(&s[i])) {
        i += 1;
    }
    if i < s.len() && s[i] == b'+' {
        i += 1;
    }
    if i == s.len() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in &s[i..] {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    Some(v)
}

/// streamGenericParseIDOrReply without the reply: Ok((id, seq_given)).
/// `allow_seq_star` accepts "<ms>-*" (XADD).
fn parse_id_raw(
    s: &[u8],
    missing_seq: u64,
    strict: bool,
    allow_seq_star: bool,
) -> Option<(StreamId, bool)> {
    if s.len() > 127 {
        return None;
    }
    if strict && (s == b"-" || s == b"+") {
        return None;
    }
    if s == b"-" {
        return Some((StreamId::MIN, true));
    }
    if s == b"+" {
        return Some((StreamId::MAX, true));
    }
    // The C code works on a NUL-terminated copy.
    let s = match s.iter().position(|&b| b == 0) {
        Some(p) => &s[..p],
        None => s,
    };
    match s.iter().position(|&b| b == b'-') {
        Some(d) => {
            let ms = parse_u64(&s[..d])?;
            let rest = &s[d + 1..];
            if allow_seq_star && rest == b"*" {
                return Some((StreamId::new(ms, 0), false));
            }
            Some((StreamId::new(ms, parse_u64(rest)?), true))
        }
        None => Some((StreamId::new(parse_u64(s)?, missing_seq), true)),
    }
}

fn parse_id(c: &mut Client, s: &[u8], missing_seq: u64) -> Option<StreamId> {
    let r = parse_id_raw(s, missing_seq, false, false).map(|x| x.0);
    if r.is_none() {
        c.add_error(INVALID_ID);
    }
    r
}

fn parse_strict_id(c: &mut Client, s: &[u8], missing_seq: u64) -> Option<StreamId> {
    let r = parse_id_raw(s, missing_seq, true, false).map(|x| x.0);
    if r.is_none() {
        c.add_error(INVALID_ID);
    }
    r
}

/// streamParseIntervalIDOrReply: "(" makes the bound exclusive.
fn parse_interval_id(c: &mut Client, s: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    if s.len() > 1 && s[0] == b'(' {
        parse_strict_id(c, &s[1..], missing_seq).map(|id| (id, true))
    } else {
        parse_id(c, s, missing_seq).map(|id| (id, false))
    }
}

/// Parses the start of a range, applying "(" (None after replying).
fn parse_range_start(c: &mut Client, s: &[u8]) -> Option<StreamId> {
    let (mut id, ex) = parse_interval_id(c, s, 0)?;
    if ex && !id.incr() {
        c.add_error("invalid start ID for the interval");
        return None;
    }
    Some(id)
}

fn parse_range_end(c: &mut Client, s: &[u8]) -> Option<StreamId> {
    let (mut id, ex) = parse_interval_id(c, s, u64::MAX)?;
    if ex && !id.decr() {
        c.add_error("invalid end ID for the interval");
        return None;
    }
    Some(id)
}

fn get_ll(c: &mut Client, s: &[u8], msg: Option<&str>) -> Option<i64> {
    let r = parse_i64(s);
    if r.is_none() {
        match msg {
            Some(m) => c.add_error(m),
            None => c.add_error_not_int(),
        }
    }
    r
}

// ------------------------------------------------------------------ replies

fn add_id(c: &mut Client, id: StreamId) {
    c.add_bulk(&id.to_bytes());
}

fn add_entry(c: &mut Client, id: StreamId, fields: &Fields) {
    c.add_array_len(2);
    add_id(c, id);
    c.add_array_len(fields.len() * 2);
    for (f, v) in fields {
        c.add_bulk(f);
        c.add_bulk(v);
    }
}

// ------------------------------------------------------------------ XADD / XTRIM

struct AddTrimArgs {
    id: Option<StreamId>,
    seq_given: bool,
    no_mkstream: bool,
    strategy: TrimStrategy,
    approx: bool,
    limit: i64,
    /// Index of the ID argument (XADD).
    idpos: usize,
}

/// streamParseAddOrTrimArgsOrReply.
fn parse_add_trim(srv: &Server, c: &mut Client, argv: &Argv, xadd: bool) -> Option<AddTrimArgs> {
    let mut a = AddTrimArgs {
        id: None,
        seq_given: true,
        no_mkstream: false,
        strategy: TrimStrategy::None,
        approx: false,
        limit: 0,
        idpos: 0,
    };
    let argc = argv.len();
    let mut limit_given = false;
    let mut i = 2;
    while i < argc {
        let moreargs = argc - 1 - i;
        let opt = argv.get(i);
        if xadd && opt == b"*" {
            break;
        } else if opt.eq_ignore_ascii_case(b"maxlen") && moreargs > 0 {
            if a.strategy != TrimStrategy::None {
                c.add_error(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible",
                );
                return None;
            }
            a.approx = false;
            let next = argv.get(i + 1);
            if moreargs >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if moreargs >= 2 && next == b"=" {
                i += 1;
            }
            let n = get_ll(c, argv.get(i + 1), None)?;
            if n < 0 {
                c.add_error("The MAXLEN argument must be >= 0.");
                return None;
            }
            i += 1;
            a.strategy = TrimStrategy::MaxLen(n as u64);
        } else if opt.eq_ignore_ascii_case(b"minid") && moreargs > 0 {
            if a.strategy != TrimStrategy::None {
                c.add_error(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible",
                );
                return None;
            }
            a.approx = false;
            let next = argv.get(i + 1);
            if moreargs >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if moreargs >= 2 && next == b"=" {
                i += 1;
            }
            let id = parse_strict_id(c, argv.get(i + 1), 0)?;
            i += 1;
            a.strategy = TrimStrategy::MinId(id);
        } else if opt.eq_ignore_ascii_case(b"limit") && moreargs > 0 {
            let n = get_ll(c, argv.get(i + 1), None)?;
            if n < 0 {
                c.add_error("The LIMIT argument must be >= 0.");
                return None;
            }
            a.limit = n;
            limit_given = true;
            i += 1;
        } else if xadd && opt.eq_ignore_ascii_case(b"nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            match parse_id_raw(opt, 0, true, true) {
                Some((id, seq_given)) => {
                    a.id = Some(id);
                    a.seq_given = seq_given;
                }
                None => {
                    c.add_error(INVALID_ID);
                    return None;
                }
            }
            break;
        } else {
            c.add_error_syntax();
            return None;
        }
        i += 1;
    }
    a.idpos = i;
    if a.limit != 0 && a.strategy == TrimStrategy::None {
        c.add_error("syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return None;
    }
    if !xadd && a.strategy == TrimStrategy::None {
        c.add_error("syntax error, XTRIM must be called with a trimming strategy");
        return None;
    }
    if limit_given {
        if !a.approx {
            c.add_error("syntax error, LIMIT cannot be used without the special ~ option");
            return None;
        }
    } else if a.approx {
        // At most 100 nodes of work per call, bounded both ways.
        let mut l = 100i64.saturating_mul(srv.config.stream_node_max_entries);
        if l <= 0 {
            l = 10000;
        }
        if l > 1_000_000 {
            l = 1_000_000;
        }
        a.limit = l;
    } else {
        a.limit = 0;
    }
    Some(a)
}

pub fn xadd_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(a) = parse_add_trim(srv, c, argv, true) else {
        return;
    };
    let field_pos = a.idpos + 1;
    let argc = argv.len();
    if argc < field_pos + 2 || (argc - field_pos) % 2 == 1 {
        return c.add_error_arity("xadd");
    }
    if a.seq_given && a.id == Some(StreamId::MIN) {
        return c.add_error("The ID specified in XADD must be greater than 0-0");
    }
    let db = c.db;
    let key = argv.get(1);
    match kind(srv, db, key, true) {
        Kind::WrongType => return c.add_error_wrongtype(),
        Kind::Missing if a.no_mkstream => return c.add_null(),
        Kind::Missing => {
            let lru = srv.new_obj_lru();
            srv.db_add(db, key, Obj::new(Value::Stream(Box::default()), lru));
        }
        Kind::Stream => {}
    }
    let limits = node_limits(srv);
    let s = stream_mut(srv, db, key);
    if s.last_id == StreamId::MAX {
        return c
            .add_error("The stream has exhausted the last possible ID, unable to add more items");
    }
    let fields: Vec<(&[u8], &[u8])> = (field_pos..argc)
        .step_by(2)
        .map(|i| (argv.get(i), argv.get(i + 1)))
        .collect();
    let id = match s.append(&fields, a.id, a.seq_given, mstime() as u64, limits) {
        Ok(id) => id,
        Err(AppendError::IdTooSmall) => {
            return c.add_error(
                "The ID specified in XADD is equal or smaller than the target stream top item",
            )
        }
        Err(AppendError::TooLarge) => return c.add_error("Elements are too large to be stored"),
    };
    add_id(c, id);
    let trimmed = a.strategy != TrimStrategy::None && s.trim(a.strategy, a.approx, a.limit) > 0;
    srv.signal_modified_key(db, key);
    srv.notify_keyspace_event(class::STREAM, "xadd", key, db);
    if trimmed {
        srv.notify_keyspace_event(class::STREAM, "xtrim", key, db);
    }
    srv.dirty += 1;
    // Replicas and the AOF get the ID actually generated, not "*" or "<ms>-*".
    if a.id.is_none() || !a.seq_given {
        srv.rewrite_arg(argv, a.idpos, &id.to_bytes());
    }
    srv.signal_key_as_ready(db, key);
}

pub fn xtrim_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(a) = parse_add_trim(srv, c, argv, false) else {
        return;
    };
    let db = c.db;
    let key = argv.get(1);
    match kind(srv, db, key, true) {
        Kind::Missing => return c.add_int(0),
        Kind::WrongType => return c.add_error_wrongtype(),
        Kind::Stream => {}
    }
    let deleted = stream_mut(srv, db, key).trim(a.strategy, a.approx, a.limit);
    if deleted > 0 {
        srv.signal_modified_key(db, key);
        srv.notify_keyspace_event(class::STREAM, "xtrim", key, db);
        srv.dirty += deleted as u64;
    }
    c.add_int(deleted);
}

// ------------------------------------------------------------------ XRANGE / XLEN / XDEL

fn xrange_generic(srv: &mut Server, c: &mut Client, argv: &Argv, rev: bool) {
    let (sa, ea) = if rev {
        (argv.get(3), argv.get(2))
    } else {
        (argv.get(2), argv.get(3))
    };
    let Some(start) = parse_range_start(c, sa) else {
        return;
    };
    let Some(end) = parse_range_end(c, ea) else {
        return;
    };
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        let additional = argv.len() - j - 1;
        if argv.get(j).eq_ignore_ascii_case(b"COUNT") && additional >= 1 {
            let Some(n) = get_ll(c, argv.get(j + 1), None) else {
                return;
            };
            count = n.max(0);
            j += 1;
        } else {
            return c.add_error_syntax();
        }
        j += 1;
    }
    let db = c.db;
    let key = argv.get(1);
    match kind(srv, db, key, false) {
        Kind::Missing => return c.add_array_len(0),
        Kind::WrongType => return c.add_error_wrongtype(),
        Kind::Stream => {}
    }
    if count == 0 {
        return c.add_null_array();
    }
    let count = if count == -1 { 0 } else { count as usize };
    let entries = stream_ref(srv, db, key).range(start, end, rev, count);
    c.add_array_len(entries.len());
    for (id, f) in &entries {
        add_entry(c, *id, f);
    }
}

pub fn xrange_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    xrange_generic(srv, c, argv, false)
}

pub fn xrevrange_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    xrange_generic(srv, c, argv, true)
}

pub fn xlen_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    match kind(srv, db, argv.get(1), false) {
        Kind::Missing => c.add_int(0),
        Kind::WrongType => c.add_error_wrongtype(),
        Kind::Stream => {
            let n = stream_ref(srv, db, argv.get(1)).len();
            c.add_int(n as i64)
        }
    }
}

pub fn xdel_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
    match kind(srv, db, key, true) {
        Kind::Missing => return c.add_int(0),
        Kind::WrongType => return c.add_error_wrongtype(),
        Kind::Stream => {}
    }
    let mut ids = Vec::with_capacity(argv.len() - 2);
    for j in 2..argv.len() {
        let Some(id) = parse_strict_id(c, argv.get(j), 0) else {
            return;
        };
        ids.push(id);
    }
    let deleted = stream_mut(srv, db, key).delete_ids(&ids);
    if deleted > 0 {
        srv.signal_modified_key(db, key);
        srv.notify_keyspace_event(class::STREAM, "xdel", key, db);
        srv.dirty += deleted;
    }
    c.add_int(deleted as i64);
}

// ------------------------------------------------------------------ consumer groups, low level

/// streamLookupConsumer with refresh, else streamCreateConsumer (dirty++).
fn lookup_or_create_consumer(srv: &mut Server, db: usize, key: &[u8], group: &[u8], name: &[u8]) {
    let now = mstime();
    let g = stream_mut(srv, db, key).group_mut(group).expect("group");
    match g.consumers.get_mut(name) {
        Some(cons) => cons.seen_time = now,
        None => {
            g.consumers.insert(
                name.to_vec(),
                Consumer {
                    seen_time: now,
                    pel: Default::default(),
                },
            );
            srv.dirty += 1;
            srv.notify_keyspace_event(class::STREAM, "xgroup-createconsumer", key, db);
        }
    }
}

/// streamReplyWithRange with a group: new entries after `start`, moving the
/// group's last ID and read counter and (unless NOACK) filling the PELs.
fn reply_group_range(
    s: &mut Stream,
    c: &mut Client,
    start: StreamId,
    count: usize,
    group: &[u8],
    consumer: &[u8],
    noack: bool,
) -> usize {
    let entries = s.range(start, StreamId::MAX, false, count);
    c.add_array_len(entries.len());
    let now = mstime();
    for (id, fields) in &entries {
        let id = *id;
        let tomb = s.range_has_tombstones(Some(id), None);
        let est = s.estimate_distance_from_first_ever_entry(id);
        let added = s.entries_added;
        let g = s.group_mut(group).expect("group");
        if id > g.last_id {
            if g.entries_read != -1 && !tomb {
                g.entries_read += 1;
            } else if added != 0 {
                g.entries_read = est;
            }
            g.last_id = id;
        }
        add_entry(c, id, fields);
        if !noack {
            let old = match g.pel.get_mut(&id) {
                Some(n) => {
                    let old = n.consumer.replace(consumer.to_vec());
                    n.delivery_time = now;
                    n.delivery_count = 1;
                    old
                }
                None => {
                    g.pel.insert(
                        id,
                        Nack {
                            delivery_time: now,
                            delivery_count: 1,
                            consumer: Some(consumer.to_vec()),
                        },
                    );
                    None
                }
            };
            if let Some(old) = old {
                if let Some(oc) = g.consumers.get_mut(&old) {
                    oc.pel.remove(&id);
                }
            }
            if let Some(cons) = g.consumers.get_mut(consumer) {
                cons.pel.insert(id);
            }
        }
    }
    entries.len()
}

/// streamReplyWithRangeFromConsumerPEL: the consumer's own pending history.
fn reply_consumer_history(
    s: &mut Stream,
    c: &mut Client,
    start: StreamId,
    count: usize,
    group: &[u8],
    consumer: &[u8],
) {
    let ids: Vec<StreamId> = {
        let g = s.group(group).expect("group");
        let cons = g.consumers.get(consumer).expect("consumer");
        let it = cons.pel.range(start..).copied();
        if count == 0 {
            it.collect()
        } else {
            it.take(count).collect()
        }
    };
    c.add_array_len(ids.len());
    let now = mstime();
    for id in ids {
        match s.get(id) {
            Some(f) => {
                add_entry(c, id, &f);
                if let Some(n) = s.group_mut(group).and_then(|g| g.pel.get_mut(&id)) {
                    n.delivery_time = now;
                    n.delivery_count += 1;
                }
            }
            None => {
                c.add_array_len(2);
                add_id(c, id);
                c.add_null_array();
            }
        }
    }
}

// ------------------------------------------------------------------ XREAD / XREADGROUP

fn xread_generic(srv: &mut Server, c: &mut Client, argv: &Argv, xreadgroup: bool) {
    let argc = argv.len();
    let mut timeout: i64 = -1;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut streams_count = 0;
    let mut noack = false;
    let mut group: Option<(Vec<u8>, Vec<u8>)> = None;
    let mut i = 1;
    while i < argc {
        let moreargs = argc - i - 1;
        let o = argv.get(i);
        if o.eq_ignore_ascii_case(b"BLOCK") && moreargs > 0 {
            i += 1;
            let Some(t) = get_ll(
                c,
                argv.get(i),
                Some("timeout is not an integer or out of range"),
            ) else {
                return;
            };
            if t < 0 {
                return c.add_error("timeout is negative");
            }
            timeout = t;
        } else if o.eq_ignore_ascii_case(b"COUNT") && moreargs > 0 {
            i += 1;
            let Some(n) = get_ll(c, argv.get(i), None) else {
                return;
            };
            count = n.max(0);
        } else if o.eq_ignore_ascii_case(b"STREAMS") && moreargs > 0 {
            streams_arg = i + 1;
            streams_count = argc - streams_arg;
            if streams_count % 2 != 0 {
                return c.add_error(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                );
            }
            streams_count /= 2;
            break;
        } else if o.eq_ignore_ascii_case(b"GROUP") && moreargs >= 2 {
            if !xreadgroup {
                return c.add_error(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                );
            }
            group = Some((argv.get(i + 1).to_vec(), argv.get(i + 2).to_vec()));
            i += 2;
        } else if o.eq_ignore_ascii_case(b"NOACK") {
            if !xreadgroup {
                return c.add_error(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                );
            }
            noack = true;
        } else {
            return c.add_error_syntax();
        }
        i += 1;
    }
    if streams_arg == 0 {
        return c.add_error_syntax();
    }
    if xreadgroup && group.is_none() {
        return c.add_error("Missing GROUP option for XREADGROUP");
    }
    let db = c.db;
    let mut ids: Vec<StreamId> = Vec::with_capacity(streams_count);
    for k in 0..streams_count {
        let key = argv.get(streams_arg + k);
        let idarg = argv.get(streams_arg + streams_count + k);
        let exists = match kind(srv, db, key, false) {
            Kind::WrongType => return c.add_error_wrongtype(),
            Kind::Missing => false,
            Kind::Stream => true,
        };
        if let Some((g, _)) = &group {
            if !exists || stream_ref(srv, db, key).group(g).is_none() {
                return c.add_error(&format!(
                    "-NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    lossy(key),
                    lossy(g)
                ));
            }
        }
        if idarg == b"$" {
            if xreadgroup {
                return c.add_error("The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
            }
            ids.push(if exists {
                stream_ref(srv, db, key).last_id
            } else {
                StreamId::MIN
            });
            continue;
        } else if idarg == b">" {
            if !xreadgroup {
                return c.add_error("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
            }
            ids.push(StreamId::MAX);
            continue;
        }
        let Some(id) = parse_strict_id(c, idarg, 0) else {
            return;
        };
        ids.push(id);
    }

    let mut arraylen = 0;
    let mut deferred = None;
    for k in 0..streams_count {
        let key = argv.get(streams_arg + k);
        if !matches!(kind(srv, db, key, false), Kind::Stream) {
            continue;
        }
        let mut gt = ids[k];
        let mut serve = false;
        let mut history = false;
        {
            let s = stream_ref(srv, db, key);
            if let Some((g, _)) = &group {
                if gt != StreamId::MAX {
                    serve = true;
                    history = true;
                } else if s.length > 0 {
                    let last = s.group(g).unwrap().last_id;
                    if s.last_valid_id() > last {
                        serve = true;
                        gt = last;
                    }
                }
            } else if s.length > 0 && s.last_valid_id() > gt {
                serve = true;
            }
        }
        if !serve {
            continue;
        }
        arraylen += 1;
        if arraylen == 1 {
            deferred = Some(c.defer_len());
        }
        let mut start = gt;
        start.incr();
        if c.resp == 2 {
            c.add_array_len(2);
        }
        c.add_bulk(key);
        match &group {
            Some((g, cons)) => {
                lookup_or_create_consumer(srv, db, key, g, cons);
                let s = stream_mut(srv, db, key);
                if history {
                    reply_consumer_history(s, c, start, count as usize, g, cons);
                } else {
                    reply_group_range(s, c, start, count as usize, g, cons, noack);
                }
                srv.dirty += 1;
            }
            None => {
                let entries =
                    stream_ref(srv, db, key).range(start, StreamId::MAX, false, count as usize);
                c.add_array_len(entries.len());
                for (id, f) in &entries {
                    add_entry(c, *id, f);
                }
            }
        }
    }
    if let Some(d) = deferred {
        if c.resp == 2 {
            c.set_deferred_array_len(d, arraylen);
        } else {
            c.set_deferred_map_len(d, arraylen);
        }
        return;
    }
    if timeout != -1 {
        if c.flags.has(ClientFlags::DENY_BLOCKING) {
            return c.add_null_array();
        }
        let keys: Vec<&[u8]> = (0..streams_count)
            .map(|k| argv.get(streams_arg + k))
            .collect();
        let abs = if timeout > 0 {
            timeout.saturating_add(mstime())
        } else {
            0
        };
        srv.block_for_keys(c, BlockType::Stream, &keys, abs, argv);
        let xb = XReadBlock {
            ids: keys
                .iter()
                .zip(ids.iter())
                .map(|(k, id)| (k.to_vec(), *id))
                .collect(),
            group,
            noack,
            count: if count > 0 {
                count as usize
            } else {
                BLOCKED_DEFAULT_COUNT
            },
        };
        if let Some(st) = c.bstate.as_mut() {
            st.xread = Some(Box::new(xb));
        }
        return;
    }
    c.add_null_array();
}

pub fn xread_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    xread_generic(srv, c, argv, false)
}

pub fn xreadgroup_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    xread_generic(srv, c, argv, true)
}

/// What serving a blocked reader on a signalled key did.
pub enum Served {
    /// Nothing new for it: stays blocked.
    No,
    /// Replied (data or error): unblock it.
    Yes,
}

/// serveClientsBlockedOnStreamKey / unblockDeletedStreamReadgroupClients for
/// one blocked client and one key.
pub fn serve_blocked_xread(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    key: &[u8],
    xb: &mut XReadBlock,
) -> Served {
    let is_stream = matches!(srv.dbs[db].get(key).map(|o| &o.val), Some(Value::Stream(_)))
        && !srv.key_is_expired(db, key);
    if !is_stream {
        if xb.group.is_some() {
            c.add_error("-UNBLOCKED the stream key no longer exists");
            return Served::Yes;
        }
        return Served::No;
    }
    let Some(slot) = xb.ids.iter().position(|(k, _)| k == key) else {
        return Served::No;
    };
    let mut gt = xb.ids[slot].1;
    if let Some((g, _)) = &xb.group {
        match stream_ref(srv, db, key).group(g) {
            None => {
                c.add_error(
                    "-NOGROUP the consumer group this client was blocked on no longer exists",
                );
                return Served::Yes;
            }
            Some(cg) => gt = cg.last_id,
        }
    }
    xb.ids[slot].1 = gt;
    if stream_ref(srv, db, key).last_id <= gt {
        return Served::No;
    }
    let mut start = gt;
    start.incr();
    if c.resp == 2 {
        c.add_array_len(1);
        c.add_array_len(2);
    } else {
        c.add_map_len(1);
    }
    c.add_bulk(key);
    match &xb.group {
        Some((g, cons)) => {
            lookup_or_create_consumer(srv, db, key, g, cons);
            let s = stream_mut(srv, db, key);
            reply_group_range(s, c, start, xb.count, g, cons, xb.noack);
        }
        None => {
            let entries = stream_ref(srv, db, key).range(start, StreamId::MAX, false, xb.count);
            c.add_array_len(entries.len());
            for (id, f) in &entries {
                add_entry(c, *id, f);
            }
        }
    }
    Served::Yes
}

// ------------------------------------------------------------------ XGROUP / XSETID

const XGROUP_HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

pub fn xgroup_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let argc = argv.len();
    let opt = argv.get(1).to_ascii_uppercase();
    let opt = opt.as_slice();
    let mut mkstream = false;
    let mut entries_read: i64 = -1;
    let db = c.db;
    let mut exists = false;
    let mut has_group = false;
    if argc >= 4 {
        let mut i = 5;
        let create = opt == b"CREATE";
        let setid = opt == b"SETID";
        while i < argc {
            let a = argv.get(i);
            if create && a.eq_ignore_ascii_case(b"MKSTREAM") {
                mkstream = true;
                i += 1;
            } else if (create || setid) && a.eq_ignore_ascii_case(b"ENTRIESREAD") && i + 1 < argc {
                let Some(n) = get_ll(c, argv.get(i + 1), None) else {
                    return;
                };
                if n < 0 && n != -1 {
                    return c.add_error("value for ENTRIESREAD must be positive or -1");
                }
                entries_read = n;
                i += 2;
            } else {
                return subcommand_syntax_error(c, argv);
            }
        }
        match kind(srv, db, argv.get(2), true) {
            Kind::WrongType => return c.add_error_wrongtype(),
            Kind::Missing => {}
            Kind::Stream => {
                exists = true;
                has_group = stream_ref(srv, db, argv.get(2))
                    .group(argv.get(3))
                    .is_some();
            }
        }
    }
    let key = if argc >= 3 { argv.get(2) } else { b"" as &[u8] };
    let grp = if argc >= 4 { argv.get(3) } else { b"" as &[u8] };
    if argc >= 4 && !mkstream {
        if !exists {
            return c.add_error("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
        }
        if !has_group && matches!(opt, b"SETID" | b"CREATECONSUMER" | b"DELCONSUMER") {
            return c.add_error(&format!(
                "-NOGROUP No such consumer group '{}' for key name '{}'",
                lossy(grp),
                lossy(key)
            ));
        }
    }
    if argc == 2 && opt == b"HELP" {
        crate::commands::command_cmd::reply_help(c, "XGROUP", XGROUP_HELP);
    } else if opt == b"CREATE" && (5..=8).contains(&argc) {
        let id = if argv.get(4) == b"$" {
            if exists {
                stream_ref(srv, db, key).last_id
            } else {
                StreamId::MIN
            }
        } else {
            match parse_strict_id(c, argv.get(4), 0) {
                Some(id) => id,
                None => return,
            }
        };
        if !exists {
            let lru = srv.new_obj_lru();
            srv.db_add(db, key, Obj::new(Value::Stream(Box::default()), lru));
            srv.signal_modified_key(db, key);
        }
        if stream_mut(srv, db, key).create_group(grp, id, entries_read) {
            c.add_ok();
            srv.dirty += 1;
            srv.notify_keyspace_event(class::STREAM, "xgroup-create", key, db);
        } else {
            c.add_error("-BUSYGROUP Consumer Group name already exists");
        }
    } else if opt == b"SETID" && (argc == 5 || argc == 7) {
        let id = if argv.get(4) == b"$" {
            stream_ref(srv, db, key).last_id
        } else {
            match parse_id(c, argv.get(4), 0) {
                Some(id) => id,
                None => return,
            }
        };
        let g = stream_mut(srv, db, key).group_mut(grp).unwrap();
        g.last_id = id;
        g.entries_read = entries_read;
        c.add_ok();
        srv.dirty += 1;
        srv.notify_keyspace_event(class::STREAM, "xgroup-setid", key, db);
    } else if opt == b"DESTROY" && argc == 4 {
        if has_group {
            if let Some(gs) = stream_mut(srv, db, key).cgroups.as_mut() {
                gs.remove(grp);
            }
            c.add_int(1);
            srv.dirty += 1;
            srv.notify_keyspace_event(class::STREAM, "xgroup-destroy", key, db);
            srv.signal_key_as_ready(db, key);
        } else {
            c.add_int(0);
        }
    } else if opt == b"CREATECONSUMER" && argc == 5 {
        let name = argv.get(4);
        let g = stream_mut(srv, db, key).group_mut(grp).unwrap();
        if g.consumers.contains_key(name) {
            c.add_int(0);
        } else {
            g.consumers.insert(
                name.to_vec(),
                Consumer {
                    seen_time: mstime(),
                    pel: Default::default(),
                },
            );
            srv.dirty += 1;
            srv.notify_keyspace_event(class::STREAM, "xgroup-createconsumer", key, db);
            c.add_int(1);
        }
    } else if opt == b"DELCONSUMER" && argc == 5 {
        let g = stream_mut(srv, db, key).group_mut(grp).unwrap();
        match g.delete_consumer(argv.get(4)) {
            Some(pending) => {
                srv.dirty += 1;
                srv.notify_keyspace_event(class::STREAM, "xgroup-delconsumer", key, db);
                c.add_int(pending as i64);
            }
            None => c.add_int(0),
        }
    } else {
        subcommand_syntax_error(c, argv);
    }
}

pub fn xsetid_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(id) = parse_strict_id(c, argv.get(2), 0) else {
        return;
    };
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let argc = argv.len();
    let mut i = 3;
    while i < argc {
        let moreargs = argc - 1 - i;
        let opt = argv.get(i);
        if opt.eq_ignore_ascii_case(b"ENTRIESADDED") && moreargs > 0 {
            let Some(n) = get_ll(c, argv.get(i + 1), None) else {
                return;
            };
            if n < 0 {
                return c.add_error("entries_added must be positive");
            }
            entries_added = n;
            i += 2;
        } else if opt.eq_ignore_ascii_case(b"MAXDELETEDID") && moreargs > 0 {
            let Some(m) = parse_strict_id(c, argv.get(i + 1), 0) else {
                return;
            };
            if id < m {
                return c.add_error(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                );
            }
            max_xdel = m;
            i += 2;
        } else {
            return c.add_error_syntax();
        }
    }
    let db = c.db;
    let key = argv.get(1);
    match kind(srv, db, key, true) {
        Kind::Missing => return c.add_error_no_key(),
        Kind::WrongType => return c.add_error_wrongtype(),
        Kind::Stream => {}
    }
    let s = stream_mut(srv, db, key);
    if s.length > 0 {
        if id < s.last_valid_id() {
            return c.add_error(
                "The ID specified in XSETID is smaller than the target stream top item",
            );
        }
        if entries_added != -1 && s.length > entries_added as u64 {
            return c.add_error(
                "The entries_added specified in XSETID is smaller than the target stream length",
            );
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_entry_id = max_xdel;
    }
    c.add_ok();
    srv.dirty += 1;
    srv.notify_keyspace_event(class::STREAM, "xsetid", key, db);
}

// ------------------------------------------------------------------ XACK / XPENDING

pub fn xack_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
    match kind(srv, db, key, false) {
        Kind::WrongType => return c.add_error_wrongtype(),
        Kind::Missing => return c.add_int(0),
        Kind::Stream => {}
    }
    if stream_ref(srv, db, key).group(argv.get(2)).is_none() {
        return c.add_int(0);
    }
    let mut ids = Vec::with_capacity(argv.len() - 3);
    for j in 3..argv.len() {
        let Some(id) = parse_strict_id(c, argv.get(j), 0) else {
            return;
        };
        ids.push(id);
    }
    let g = stream_mut(srv, db, key).group_mut(argv.get(2)).unwrap();
    let mut acked = 0;
    for id in &ids {
        if g.remove_nack(id) {
            acked += 1;
        }
    }
    srv.dirty += acked;
    c.add_int(acked as i64);
}

pub fn xpending_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let argc = argv.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return c.add_error_syntax();
    }
    let mut minidle = 0i64;
    let mut count = 0i64;
    let mut start = StreamId::MIN;
    let mut end = StreamId::MAX;
    let mut consumer: Option<&[u8]> = None;
    if argc >= 6 {
        let mut startidx = 3;
        if argv.get(3).eq_ignore_ascii_case(b"IDLE") {
            let Some(n) = get_ll(c, argv.get(4), None) else {
                return;
            };
            minidle = n;
            if argc < 8 {
                return c.add_error_syntax();
            }
            startidx += 2;
        }
        let Some(n) = get_ll(c, argv.get(startidx + 2), None) else {
            return;
        };
        count = n.max(0);
        let Some(s) = parse_range_start(c, argv.get(startidx)) else {
            return;
        };
        let Some(e) = parse_range_end(c, argv.get(startidx + 1)) else {
            return;
        };
        start = s;
        end = e;
        if startidx + 3 < argc {
            consumer = Some(argv.get(startidx + 3));
        }
    }
    let db = c.db;
    let key = argv.get(1);
    let grp = argv.get(2);
    let ok = match kind(srv, db, key, false) {
        Kind::WrongType => return c.add_error_wrongtype(),
        Kind::Missing => false,
        Kind::Stream => stream_ref(srv, db, key).group(grp).is_some(),
    };
    if !ok {
        return c.add_error(&format!(
            "-NOGROUP No such key '{}' or consumer group '{}'",
            lossy(key),
            lossy(grp)
        ));
    }
    let g = stream_ref(srv, db, key).group(grp).unwrap();
    if justinfo {
        c.add_array_len(4);
        c.add_int(g.pel.len() as i64);
        if g.pel.is_empty() {
            c.add_null();
            c.add_null();
            c.add_null_array();
        } else {
            add_id(c, *g.pel.keys().next().unwrap());
            add_id(c, *g.pel.keys().next_back().unwrap());
            let owners: Vec<(&Vec<u8>, usize)> = g
                .consumers
                .iter()
                .filter(|(_, cn)| !cn.pel.is_empty())
                .map(|(n, cn)| (n, cn.pel.len()))
                .collect();
            c.add_array_len(owners.len());
            for (n, k) in owners {
                c.add_array_len(2);
                c.add_bulk(n);
                c.add_bulk_i64(k as i64);
            }
        }
        return;
    }
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match g.consumers.get(name) {
            None => return c.add_array_len(0),
            Some(cn) => {
                if start > end {
                    Vec::new()
                } else {
                    cn.pel.range(start..=end).copied().collect()
                }
            }
        },
        None => {
            if start > end {
                Vec::new()
            } else {
                g.pel.range(start..=end).map(|(k, _)| *k).collect()
            }
        }
    };
    let now = mstime();
    let d = c.defer_len();
    let mut n = 0;
    for id in ids {
        if count == 0 {
            break;
        }
        let nack = &g.pel[&id];
        if minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        n += 1;
        count -= 1;
        c.add_array_len(4);
        add_id(c, id);
        c.add_bulk(nack.consumer.as_deref().unwrap_or(b""));
        c.add_int((now - nack.delivery_time).max(0));
        c.add_int(nack.delivery_count as i64);
    }
    c.set_deferred_array_len(d, n);
}

// ------------------------------------------------------------------ XCLAIM / XAUTOCLAIM

/// Moves a PEL entry to `consumer` (creating the consumer on first use).
fn claim_to(g: &mut CGroup, id: StreamId, consumer: &[u8], now: i64, created: &mut bool) {
    if !g.consumers.contains_key(consumer) {
        g.consumers.insert(
            consumer.to_vec(),
            Consumer {
                seen_time: now,
                pel: Default::default(),
            },
        );
        *created = true;
    }
    let nack = g.pel.get_mut(&id).unwrap();
    if nack.consumer.as_deref() != Some(consumer) {
        if let Some(old) = nack.consumer.replace(consumer.to_vec()) {
            if let Some(oc) = g.consumers.get_mut(&old) {
                oc.pel.remove(&id);
            }
        }
        g.consumers.get_mut(consumer).unwrap().pel.insert(id);
    }
}

/// streamLookupConsumer(SLC_DEFAULT) once per command before the first claim.
fn touch_consumer(g: &mut CGroup, consumer: &[u8], now: i64) {
    if let Some(cn) = g.consumers.get_mut(consumer) {
        cn.seen_time = now;
    }
}

pub fn xclaim_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
    let grp = argv.get(2);
    let ok = match kind(srv, db, key, false) {
        Kind::WrongType => return c.add_error_wrongtype(),
        Kind::Missing => false,
        Kind::Stream => stream_ref(srv, db, key).group(grp).is_some(),
    };
    if !ok {
        return c.add_error(&format!(
            "-NOGROUP No such key '{}' or consumer group '{}'",
            lossy(key),
            lossy(grp)
        ));
    }
    let Some(minidle) = get_ll(
        c,
        argv.get(4),
        Some("Invalid min-idle-time argument for XCLAIM"),
    ) else {
        return;
    };
    let minidle = minidle.max(0);
    let argc = argv.len();
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argc {
        match parse_id_raw(argv.get(j), 0, true, false) {
            Some((id, _)) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let now = mstime();
    let mut force = false;
    let mut justid = false;
    let mut deliverytime: i64 = -1;
    let mut retrycount: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < argc {
        let moreargs = argc - 1 - j;
        let opt = argv.get(j);
        if opt.eq_ignore_ascii_case(b"FORCE") {
            force = true;
        } else if opt.eq_ignore_ascii_case(b"JUSTID") {
            justid = true;
        } else if opt.eq_ignore_ascii_case(b"IDLE") && moreargs > 0 {
            j += 1;
            let Some(n) = get_ll(
                c,
                argv.get(j),
                Some("Invalid IDLE option argument for XCLAIM"),
            ) else {
                return;
            };
            deliverytime = now.wrapping_sub(n);
        } else if opt.eq_ignore_ascii_case(b"TIME") && moreargs > 0 {
            j += 1;
            let Some(n) = get_ll(
                c,
                argv.get(j),
                Some("Invalid TIME option argument for XCLAIM"),
            ) else {
                return;
            };
            deliverytime = n;
        } else if opt.eq_ignore_ascii_case(b"RETRYCOUNT") && moreargs > 0 {
            j += 1;
            let Some(n) = get_ll(
                c,
                argv.get(j),
                Some("Invalid RETRYCOUNT option argument for XCLAIM"),
            ) else {
                return;
            };
            retrycount = n;
        } else if opt.eq_ignore_ascii_case(b"LASTID") && moreargs > 0 {
            j += 1;
            let Some(id) = parse_strict_id(c, argv.get(j), 0) else {
                return;
            };
            last_id = id;
        } else {
            return c.add_error(&format!("Unrecognized XCLAIM option '{}'", lossy(opt)));
        }
        j += 1;
    }
    let s = stream_mut(srv, db, key);
    let mut dirty = 0u64;
    {
        let g = s.group_mut(grp).unwrap();
        if last_id > g.last_id {
            g.last_id = last_id;
            dirty += 1;
        }
    }
    if deliverytime == -1 || deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }
    let consumer = argv.get(3);
    let mut touched = false;
    let mut created = false;
    let d = c.defer_len();
    let mut n = 0;
    for id in ids {
        let exists = s.entry_exists(id);
        let fields = if exists && !justid { s.get(id) } else { None };
        let g = s.group_mut(grp).unwrap();
        if !exists {
            if g.remove_nack(&id) {
                dirty += 1;
            }
            continue;
        }
        if force && !g.pel.contains_key(&id) {
            g.pel.insert(
                id,
                Nack {
                    delivery_time: now,
                    delivery_count: 1,
                    consumer: None,
                },
            );
        }
        let Some(nack) = g.pel.get(&id) else {
            continue;
        };
        if nack.consumer.is_some() && minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        if !touched {
            touch_consumer(g, consumer, now);
            touched = true;
        }
        claim_to(g, id, consumer, now, &mut created);
        let nack = g.pel.get_mut(&id).unwrap();
        nack.delivery_time = deliverytime;
        if retrycount >= 0 {
            nack.delivery_count = retrycount as u64;
        } else if !justid {
            nack.delivery_count += 1;
        }
        if justid {
            add_id(c, id);
        } else {
            add_entry(c, id, &fields.unwrap_or_default());
        }
        n += 1;
        dirty += 1;
    }
    if created {
        dirty += 1;
        srv.notify_keyspace_event(class::STREAM, "xgroup-createconsumer", key, db);
    }
    c.set_deferred_array_len(d, n);
    srv.dirty += dirty;
}

pub fn xautoclaim_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(minidle) = get_ll(
        c,
        argv.get(4),
        Some("Invalid min-idle-time argument for XAUTOCLAIM"),
    ) else {
        return;
    };
    let minidle = minidle.max(0);
    let Some(start) = parse_range_start(c, argv.get(5)) else {
        return;
    };
    let mut count: i64 = 100;
    let mut justid = false;
    let argc = argv.len();
    let mut j = 6;
    while j < argc {
        let moreargs = argc - 1 - j;
        let opt = argv.get(j);
        if opt.eq_ignore_ascii_case(b"COUNT") && moreargs > 0 {
            let max_count = i64::MAX / 16;
            match parse_i64(argv.get(j + 1)) {
                Some(n) if (1..=max_count).contains(&n) => count = n,
                _ => return c.add_error("COUNT must be > 0"),
            }
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"JUSTID") {
            justid = true;
        } else {
            return c.add_error_syntax();
        }
        j += 1;
    }
    let db = c.db;
    let key = argv.get(1);
    let grp = argv.get(2);
    let ok = match kind(srv, db, key, false) {
        Kind::WrongType => return c.add_error_wrongtype(),
        Kind::Missing => false,
        Kind::Stream => stream_ref(srv, db, key).group(grp).is_some(),
    };
    if !ok {
        return c.add_error(&format!(
            "-NOGROUP No such key '{}' or consumer group '{}'",
            lossy(key),
            lossy(grp)
        ));
    }
    let consumer = argv.get(3);
    let s = stream_mut(srv, db, key);
    let ids: Vec<StreamId> = s
        .group(grp)
        .unwrap()
        .pel
        .range(start..)
        .map(|(k, _)| *k)
        .collect();
    let now = mstime();
    let mut attempts = count.saturating_mul(10);
    let mut i = 0;
    let mut deleted = Vec::new();
    let mut claimed: Vec<(StreamId, Option<Fields>)> = Vec::new();
    let mut touched = false;
    let mut created = false;
    let mut dirty = 0u64;
    while attempts > 0 && count > 0 && i < ids.len() {
        attempts -= 1;
        let id = ids[i];
        i += 1;
        let fields = if justid { None } else { s.get(id) };
        let exists = if justid {
            s.entry_exists(id)
        } else {
            fields.is_some()
        };
        let g = s.group_mut(grp).unwrap();
        if !exists {
            g.remove_nack(&id);
            dirty += 1;
            deleted.push(id);
            count -= 1;
            continue;
        }
        let nack = &g.pel[&id];
        if minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        if !touched {
            touch_consumer(g, consumer, now);
            touched = true;
        }
        claim_to(g, id, consumer, now, &mut created);
        let nack = g.pel.get_mut(&id).unwrap();
        nack.delivery_time = now;
        if !justid {
            nack.delivery_count += 1;
        }
        claimed.push((id, fields));
        count -= 1;
        dirty += 1;
    }
    if created {
        dirty += 1;
        srv.notify_keyspace_event(class::STREAM, "xgroup-createconsumer", key, db);
    }
    let endid = ids.get(i).copied().unwrap_or(StreamId::MIN);
    c.add_array_len(3);
    add_id(c, endid);
    c.add_array_len(claimed.len());
    for (id, f) in &claimed {
        match f {
            None => add_id(c, *id),
            Some(f) => add_entry(c, *id, f),
        }
    }
    c.add_array_len(deleted.len());
    for id in deleted {
        add_id(c, id);
    }
    srv.dirty += dirty;
}

// ------------------------------------------------------------------ XINFO

const XINFO_HELP: &[&str] = &[
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
];

fn add_lag(c: &mut Client, s: &Stream, g: &CGroup) {
    match s.group_lag(g) {
        Some(l) => c.add_int(l),
        None => c.add_null(),
    }
}

fn add_entries_read(c: &mut Client, g: &CGroup) {
    if g.entries_read != -1 {
        c.add_int(g.entries_read);
    } else {
        c.add_null();
    }
}

fn xinfo_stream(c: &mut Client, s: &Stream, argv: &Argv) {
    let optc = argv.len() - 3;
    let mut full = true;
    let mut count: i64 = 10;
    if optc == 0 {
        full = false;
    } else {
        if optc != 1 && optc != 3 {
            return subcommand_syntax_error(c, argv);
        }
        if !argv.get(3).eq_ignore_ascii_case(b"full") {
            return subcommand_syntax_error(c, argv);
        }
        if optc == 3 {
            if !argv.get(4).eq_ignore_ascii_case(b"count") {
                return subcommand_syntax_error(c, argv);
            }
            let Some(n) = get_ll(c, argv.get(5), None) else {
                return;
            };
            count = if n < 0 { 10 } else { n };
        }
    }
    c.add_map_len(if full { 9 } else { 10 });
    c.add_bulk(b"length");
    c.add_int(s.length as i64);
    c.add_bulk(b"radix-tree-keys");
    c.add_int(s.node_count() as i64);
    c.add_bulk(b"radix-tree-nodes");
    c.add_int(s.rax_nodes() as i64);
    c.add_bulk(b"last-generated-id");
    add_id(c, s.last_id);
    c.add_bulk(b"max-deleted-entry-id");
    add_id(c, s.max_deleted_entry_id);
    c.add_bulk(b"entries-added");
    c.add_int(s.entries_added as i64);
    c.add_bulk(b"recorded-first-entry-id");
    add_id(c, s.first_id);
    if !full {
        c.add_bulk(b"groups");
        c.add_int(s.groups_len() as i64);
        c.add_bulk(b"first-entry");
        match s.range(StreamId::MIN, StreamId::MAX, false, 1).pop() {
            Some((id, f)) => add_entry(c, id, &f),
            None => c.add_null(),
        }
        c.add_bulk(b"last-entry");
        match s.range(StreamId::MIN, StreamId::MAX, true, 1).pop() {
            Some((id, f)) => add_entry(c, id, &f),
            None => c.add_null(),
        }
        return;
    }
    let count = count as usize;
    c.add_bulk(b"entries");
    let entries = s.range(StreamId::MIN, StreamId::MAX, false, count);
    c.add_array_len(entries.len());
    for (id, f) in &entries {
        add_entry(c, *id, f);
    }
    c.add_bulk(b"groups");
    let Some(groups) = &s.cgroups else {
        return c.add_array_len(0);
    };
    c.add_array_len(groups.len());
    let limit = |n: usize| if count == 0 { n } else { n.min(count) };
    for (name, g) in groups {
        c.add_map_len(7);
        c.add_bulk(b"name");
        c.add_bulk(name);
        c.add_bulk(b"last-delivered-id");
        add_id(c, g.last_id);
        c.add_bulk(b"entries-read");
        add_entries_read(c, g);
        c.add_bulk(b"lag");
        add_lag(c, s, g);
        c.add_bulk(b"pel-count");
        c.add_int(g.pel.len() as i64);
        c.add_bulk(b"pending");
        c.add_array_len(limit(g.pel.len()));
        for (id, nack) in g.pel.iter().take(limit(g.pel.len())) {
            c.add_array_len(4);
            add_id(c, *id);
            c.add_bulk(nack.consumer.as_deref().unwrap_or(b""));
            c.add_int(nack.delivery_time);
            c.add_int(nack.delivery_count as i64);
        }
        c.add_bulk(b"consumers");
        c.add_array_len(g.consumers.len());
        for (cname, cn) in &g.consumers {
            c.add_map_len(4);
            c.add_bulk(b"name");
            c.add_bulk(cname);
            c.add_bulk(b"seen-time");
            c.add_int(cn.seen_time);
            c.add_bulk(b"pel-count");
            c.add_int(cn.pel.len() as i64);
            c.add_bulk(b"pending");
            c.add_array_len(limit(cn.pel.len()));
            for id in cn.pel.iter().take(limit(cn.pel.len())) {
                let nack = &g.pel[id];
                c.add_array_len(3);
                add_id(c, *id);
                c.add_int(nack.delivery_time);
                c.add_int(nack.delivery_count as i64);
            }
        }
    }
}

pub fn xinfo_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.get(1).eq_ignore_ascii_case(b"HELP") {
        if argv.len() != 2 {
            return subcommand_syntax_error(c, argv);
        }
        return crate::commands::command_cmd::reply_help(c, "XINFO", XINFO_HELP);
    } else if argv.len() < 3 {
        return subcommand_syntax_error(c, argv);
    }
    let opt = argv.get(1);
    let key = argv.get(2);
    let db = c.db;
    match kind(srv, db, key, false) {
        Kind::Missing => return c.add_error_no_key(),
        Kind::WrongType => return c.add_error_wrongtype(),
        Kind::Stream => {}
    }
    let s = stream_ref(srv, db, key);
    if opt.eq_ignore_ascii_case(b"CONSUMERS") && argv.len() == 4 {
        let Some(g) = s.group(argv.get(3)) else {
            return c.add_error(&format!(
                "-NOGROUP No such consumer group '{}' for key name '{}'",
                lossy(argv.get(3)),
                lossy(key)
            ));
        };
        let now = mstime();
        c.add_array_len(g.consumers.len());
        for (name, cn) in &g.consumers {
            c.add_map_len(3);
            c.add_bulk(b"name");
            c.add_bulk(name);
            c.add_bulk(b"pending");
            c.add_int(cn.pel.len() as i64);
            c.add_bulk(b"idle");
            c.add_int((now - cn.seen_time).max(0));
        }
    } else if opt.eq_ignore_ascii_case(b"GROUPS") && argv.len() == 3 {
        let Some(groups) = &s.cgroups else {
            return c.add_array_len(0);
        };
        c.add_array_len(groups.len());
        for (name, g) in groups {
            c.add_map_len(6);
            c.add_bulk(b"name");
            c.add_bulk(name);
            c.add_bulk(b"consumers");
            c.add_int(g.consumers.len() as i64);
            c.add_bulk(b"pending");
            c.add_int(g.pel.len() as i64);
            c.add_bulk(b"last-delivered-id");
            add_id(c, g.last_id);
            c.add_bulk(b"entries-read");
            add_entries_read(c, g);
            c.add_bulk(b"lag");
            add_lag(c, s, g);
        }
    } else if opt.eq_ignore_ascii_case(b"STREAM") {
        xinfo_stream(c, s, argv);
    } else {
        subcommand_syntax_error(c, argv);
    }
}

// ------------------------------------------------------------------ generic-command support

/// xorObjectDigest's stream part: every live entry's "ms.seq", fields and values.
pub fn digest(s: &Stream, digest: &mut [u8; 20]) {
    for (id, fields) in s.range(StreamId::MIN, StreamId::MAX, false, 0) {
        crate::debug::mix_digest(digest, format!("{}.{}", id.ms, id.seq).as_bytes());
        for (f, v) in fields {
            crate::debug::mix_digest(digest, &f);
            crate::debug::mix_digest(digest, &v);
        }
    }
}

/// objectComputeSize for streams: nodes (first `samples` averaged, the last
/// one exact), rax overheads, and the groups' PELs and consumers.
pub fn memory_usage(s: &Stream, samples: usize) -> usize {
    use crate::server::server_cmds::alloc_size;
    fn rax_usage(numele: usize, numnodes: usize) -> usize {
        numele * 16 + numnodes * 4 + numnodes * 8 * 30
    }
    let mut asize = 16 + 80;
    asize += rax_usage(s.node_count(), s.rax_nodes());
    let caps: Vec<usize> = s.node_capacities().map(alloc_size).collect();
    let sampled = caps.len().min(samples);
    let lpsize: usize = caps[..sampled].iter().sum();
    if caps.len() <= sampled {
        asize += lpsize;
    } else {
        let avg = if sampled > 0 {
            lpsize / sampled
        } else {
            lpsize
        };
        asize += avg * (caps.len() - 1);
        asize += caps[caps.len() - 1];
    }
    if let Some(groups) = &s.cgroups {
        for g in groups.values() {
            asize += 40;
            let keys: Vec<[u8; 16]> = g.pel.keys().map(|k| k.to_be_bytes()).collect();
            let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
            asize += rax_usage(g.pel.len(), crate::ds::stream::rax_node_count(&refs));
            asize += 24 * g.pel.len();
            for (name, cn) in &g.consumers {
                asize += 24;
                // Redis counts the name's length, not its allocation.
                asize += name.len();
                let keys: Vec<[u8; 16]> = cn.pel.iter().map(|k| k.to_be_bytes()).collect();
                let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
                asize += rax_usage(cn.pel.len(), crate::ds::stream::rax_node_count(&refs));
            }
        }
    }
    asize
}

/// lazyfreeGetFreeEffort for streams.
pub fn free_effort(s: &Stream) -> usize {
    let mut effort = s.rax_nodes();
    if let Some(groups) = &s.cgroups {
        if let Some(first) = groups.values().next() {
            effort += groups.len() * (1 + first.pel.len());
        }
    }
    effort
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_parsing() {
        assert_eq!(
            parse_id_raw(b"5", 7, false, false),
            Some((StreamId::new(5, 7), true))
        );
        assert_eq!(
            parse_id_raw(b"5-*", 0, true, true),
            Some((StreamId::new(5, 0), false))
        );
        assert_eq!(parse_id_raw(b"5-*", 0, true, false), None);
        assert_eq!(parse_id_raw(b"-", 0, true, false), None);
        assert_eq!(
            parse_id_raw(b"+", 0, false, false),
            Some((StreamId::MAX, true))
        );
        assert_eq!(parse_id_raw(b"-1", 0, false, false), None);
        assert_eq!(
            parse_id_raw(b"18446744073709551615-18446744073709551615", 0, true, false),
            Some((StreamId::MAX, true))
        );
        assert_eq!(parse_id_raw(b"1-x", 0, false, false), None);
        assert_eq!(parse_u64(b"18446744073709551616"), None);
    }
}

//! String commands (Redis's t_string.c): GET/SET and their variants, MGET/MSET,
//! the INCR family and INCRBYFLOAT, APPEND/STRLEN, GETRANGE/SETRANGE and LCS.
//! Encodings follow Redis so OBJECT ENCODING/REFCOUNT read the same: SET-like
//! commands store via tryObjectEncoding rules, in-place edits make values raw.

use crate::db::object::{Obj, StrEnc, Value, EMBSTR_SIZE_LIMIT};
use crate::long_double::LongDouble;
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use crate::util::parse_i64;

/// Replies with a string object's bytes.
#[inline]
pub fn add_reply_str(c: &mut Client, s: &StrEnc) {
    let mut t = [0u8; 20];
    c.add_bulk(s.as_bytes(&mut t));
}

/// The string inside a value, None for other types (the caller replies WRONGTYPE).
#[inline]
pub fn str_of(v: &Value) -> Option<&StrEnc> {
    match v {
        Value::Str(s) => Some(s),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

#[inline]
pub fn str_of_mut(v: &mut Value) -> Option<&mut StrEnc> {
    match v {
        Value::Str(s) => Some(s),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// A string built by the server (createStringObject): embstr when short, raw otherwise,
/// never integer-encoded.
pub fn created_string(b: Vec<u8>) -> StrEnc {
    if b.len() <= EMBSTR_SIZE_LIMIT {
        StrEnc::Embstr(b.into())
    } else {
        StrEnc::Raw(b)
    }
}

/// checkStringLength: refuses results longer than proto-max-bulk-len.
pub fn check_string_length(srv: &Server, c: &mut Client, size: u64, append: u64) -> bool {
    match size.checked_add(append) {
        Some(total) if total <= srv.config.proto_max_bulk_len.max(0) as u64 => true,
        _ => {
            c.add_error("string exceeds maximum allowed size (proto-max-bulk-len)");
            false
        }
    }
}

pub fn get_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    match srv.lookup_read(db, argv.get(1)) {
        None => c.add_null(),
        Some(o) => match &o.val {
            Value::Str(s) => add_reply_str(c, s),
            #[allow(unreachable_patterns)]
            _ => c.add_error_wrongtype(),
        },
    }
}

/// getGenericCommand: replies with the value or null; Err after a WRONGTYPE reply.
fn get_generic(srv: &mut Server, c: &mut Client, key: &[u8]) -> Result<(), ()> {
    let db = c.db;
    match srv.lookup_read(db, key) {
        None => c.add_null(),
        Some(o) => match str_of(&o.val) {
            Some(s) => add_reply_str(c, s),
            None => {
                c.add_error_wrongtype();
                return Err(());
            }
        },
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Cond {
    None,
    Nx,
    Xx,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// Options of SET and GETEX (parseExtendedStringArgumentsOrReply).
#[derive(Debug)]
pub struct SetOptions<'a> {
    pub cond: Cond,
    pub get: bool,
    pub keep_ttl: bool,
    pub persist: bool,
    /// The unparsed expire argument and its unit/kind.
    pub expire: Option<(&'a [u8], ExpireKind)>,
}

/// Parses `[NX|XX] [GET] [EX|PX|EXAT|PXAT n|KEEPTTL]` (SET, `is_set`) or
/// `[EX|PX|EXAT|PXAT n|PERSIST]` (GETEX) from `argv[from..]`, with Redis's exact
/// acceptance rules (repeating the same option is allowed, mixing is not).
/// Returns Err(()) for a syntax error; the caller replies.
pub fn parse_ext_options<'a>(
    argv: &Argv<'a>,
    from: usize,
    is_set: bool,
) -> Result<SetOptions<'a>, ()> {
    let mut o = SetOptions {
        cond: Cond::None,
        get: false,
        keep_ttl: false,
        persist: false,
        expire: None,
    };
    let mut i = from;
    while i < argv.len() {
        let a = argv.get(i);
        let has_next = i + 1 < argv.len();
        let other_expire = |k: ExpireKind| matches!(o.expire, Some((_, kind)) if kind != k);
        let kind = if a.eq_ignore_ascii_case(b"EX") {
            Some(ExpireKind::Ex)
        } else if a.eq_ignore_ascii_case(b"PX") {
            Some(ExpireKind::Px)
        } else if a.eq_ignore_ascii_case(b"EXAT") {
            Some(ExpireKind::ExAt)
        } else if a.eq_ignore_ascii_case(b"PXAT") {
            Some(ExpireKind::PxAt)
        } else {
            None
        };
        if a.eq_ignore_ascii_case(b"NX") && is_set && o.cond != Cond::Xx {
            o.cond = Cond::Nx;
        } else if a.eq_ignore_ascii_case(b"XX") && is_set && o.cond != Cond::Nx {
            o.cond = Cond::Xx;
        } else if a.eq_ignore_ascii_case(b"GET") && is_set {
            o.get = true;
        } else if a.eq_ignore_ascii_case(b"KEEPTTL") && is_set && o.expire.is_none() {
            o.keep_ttl = true;
        } else if a.eq_ignore_ascii_case(b"PERSIST") && !is_set && o.expire.is_none() {
            o.persist = true;
        } else if let Some(k) =
            kind.filter(|&k| !o.keep_ttl && !o.persist && !other_expire(k) && has_next)
        {
            o.expire = Some((argv.get(i + 1), k));
            i += 1;
        } else {
            return Err(());
        }
        i += 1;
    }
    Ok(o)
}

/// getExpireMillisecondsOrReply: the absolute expire time in ms, or an error reply.
pub fn expire_ms_or_reply(
    srv: &Server,
    c: &mut Client,
    arg: &[u8],
    kind: ExpireKind,
    cmdname: &str,
) -> Option<i64> {
    let Some(n) = parse_i64(arg) else {
        c.add_error_not_int();
        return None;
    };
    let seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    let bad = |c: &mut Client| {
        c.add_error(&format!("invalid expire time in '{}' command", cmdname));
        None
    };
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return bad(c);
    }
    let mut ms = if seconds { n * 1000 } else { n };
    if matches!(kind, ExpireKind::Ex | ExpireKind::Px) {
        match ms.checked_add(srv.now_ms()) {
            Some(v) => ms = v,
            None => return bad(c),
        }
    }
    Some(ms)
}

#[derive(Clone, Copy, PartialEq)]
enum SetReply {
    /// +OK on success, null when NX/XX aborts (SET, SETEX, PSETEX).
    OkNull,
    /// :1 / :0 (SETNX).
    OneZero,
}

/// setGenericCommand.
#[allow(clippy::too_many_arguments)]
fn set_generic(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    val: &[u8],
    opts: &SetOptions,
    cmdname: &str,
    reply: SetReply,
) {
    let mut expire_at = None;
    if let Some((arg, kind)) = opts.expire {
        match expire_ms_or_reply(srv, c, arg, kind, cmdname) {
            Some(ms) => expire_at = Some(ms),
            None => return,
        }
    }
    if opts.get && get_generic(srv, c, key).is_err() {
        return;
    }
    let db = c.db;
    let found = srv.lookup_write(db, key).is_some();
    if (opts.cond == Cond::Nx && found) || (opts.cond == Cond::Xx && !found) {
        if !opts.get {
            match reply {
                SetReply::OkNull => c.add_null(),
                SetReply::OneZero => c.add_int(0),
            }
        }
        return;
    }
    let v = StrEnc::from_bytes(val, srv.share_integers());
    let lru = srv.new_obj_lru();
    srv.set_key(db, key, Obj::string(v, lru), opts.keep_ttl);
    srv.dirty += 1;
    srv.notify_keyspace_event(crate::notify::class::STRING, "set", key, db);
    if let Some(when) = expire_at {
        // Redis 7.0 stores even a past EXAT/PXAT; the key then expires lazily.
        srv.dbs[db].set_expire(key, when);
        srv.remember_replica_key_with_expire(db, key);
        srv.rewrite_command(&[b"SET", key, val, b"PXAT", when.to_string().as_bytes()]);
        srv.notify_keyspace_event(crate::notify::class::GENERIC, "expire", key, db);
    }
    if !opts.get {
        match reply {
            SetReply::OkNull => c.add_ok(),
            SetReply::OneZero => c.add_int(1),
        }
    }
}

fn no_options<'a>(cond: Cond, expire: Option<(&'a [u8], ExpireKind)>) -> SetOptions<'a> {
    SetOptions {
        cond,
        get: false,
        keep_ttl: false,
        persist: false,
        expire,
    }
}

pub fn set_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Ok(opts) = parse_ext_options(argv, 3, true) else {
        c.add_error_syntax();
        return;
    };
    set_generic(
        srv,
        c,
        argv.get(1),
        argv.get(2),
        &opts,
        "set",
        SetReply::OkNull,
    );
}

pub fn setnx_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let opts = no_options(Cond::Nx, None);
    set_generic(
        srv,
        c,
        argv.get(1),
        argv.get(2),
        &opts,
        "setnx",
        SetReply::OneZero,
    );
}

pub fn setex_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let opts = no_options(Cond::None, Some((argv.get(2), ExpireKind::Ex)));
    set_generic(
        srv,
        c,
        argv.get(1),
        argv.get(3),
        &opts,
        "setex",
        SetReply::OkNull,
    );
}

pub fn psetex_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let opts = no_options(Cond::None, Some((argv.get(2), ExpireKind::Px)));
    set_generic(
        srv,
        c,
        argv.get(1),
        argv.get(3),
        &opts,
        "psetex",
        SetReply::OkNull,
    );
}

pub fn getex_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Ok(opts) = parse_ext_options(argv, 2, false) else {
        c.add_error_syntax();
        return;
    };
    let db = c.db;
    let key = argv.get(1);
    match srv.lookup_read(db, key) {
        None => {
            c.add_null();
            return;
        }
        Some(o) => {
            if str_of(&o.val).is_none() {
                c.add_error_wrongtype();
                return;
            }
        }
    }
    let mut expire_at = None;
    if let Some((arg, kind)) = opts.expire {
        match expire_ms_or_reply(srv, c, arg, kind, "getex") {
            Some(ms) => expire_at = Some(ms),
            None => return,
        }
    }
    // Reply before the key may be deleted by a past EXAT/PXAT.
    if let Some(s) = srv.dbs[db].get(key).and_then(|o| str_of(&o.val)) {
        add_reply_str(c, s);
    }
    if let Some(when) = expire_at {
        // Only EXAT/PXAT can be in the past; EX/PX are relative to now and positive.
        if srv.set_expire_or_delete(db, key, when) {
            let lazy = srv.config.lazyfree_lazy_expire;
            srv.rewrite_command(&[if lazy { &b"UNLINK"[..] } else { b"DEL" }, key]);
        } else {
            srv.rewrite_command(&[b"PEXPIREAT", key, when.to_string().as_bytes()]);
        }
        srv.signal_modified_key(db, key);
        srv.dirty += 1;
    } else if opts.persist && srv.dbs[db].remove_expire(key) {
        srv.signal_modified_key(db, key);
        srv.rewrite_command(&[b"PERSIST", key]);
        srv.notify_keyspace_event(crate::notify::class::GENERIC, "persist", key, db);
        srv.dirty += 1;
    }
}

pub fn getdel_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let key = argv.get(1);
    if get_generic(srv, c, key).is_err() {
        return;
    }
    let db = c.db;
    if srv.db_delete(db, key) {
        srv.signal_modified_key(db, key);
        let lazy = srv.config.lazyfree_lazy_user_del;
        srv.rewrite_command(&[if lazy { &b"UNLINK"[..] } else { b"DEL" }, key]);
        srv.notify_keyspace_event(crate::notify::class::GENERIC, "del", key, db);
        srv.dirty += 1;
    }
}

pub fn getset_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let key = argv.get(1);
    if get_generic(srv, c, key).is_err() {
        return;
    }
    let db = c.db;
    let v = StrEnc::from_bytes(argv.get(2), srv.share_integers());
    let lru = srv.new_obj_lru();
    srv.set_key(db, key, Obj::string(v, lru), false);
    srv.dirty += 1;
    srv.rewrite_arg(argv, 0, b"SET");
    srv.notify_keyspace_event(crate::notify::class::STRING, "set", key, db);
}

pub fn setrange_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let key = argv.get(1);
    let value = argv.get(3);
    let Some(offset) = parse_i64(argv.get(2)) else {
        c.add_error_not_int();
        return;
    };
    if offset < 0 {
        c.add_error("offset is out of range");
        return;
    }
    let offset = offset as u64;
    let db = c.db;
    let exists = match srv.lookup_write(db, key) {
        None => false,
        Some(o) => match str_of(&o.val) {
            None => {
                c.add_error_wrongtype();
                return;
            }
            Some(s) => {
                if value.is_empty() {
                    c.add_int(s.len() as i64);
                    return;
                }
                true
            }
        },
    };
    if !exists && value.is_empty() {
        c.add_int(0);
        return;
    }
    if !check_string_length(srv, c, offset, value.len() as u64) {
        return;
    }
    let end = offset as usize + value.len();
    let newlen;
    if exists {
        let o = srv.dbs[db].get_mut(key).expect("looked up above");
        let buf = str_of_mut(&mut o.val).expect("type checked").make_raw();
        crate::db::object::sds_grow_zero(buf, end);
        buf[offset as usize..end].copy_from_slice(value);
        newlen = buf.len();
        srv.signal_modified_key(db, key);
    } else {
        let mut buf = vec![0u8; end];
        buf[offset as usize..].copy_from_slice(value);
        newlen = buf.len();
        let lru = srv.new_obj_lru();
        srv.set_key(db, key, Obj::string(StrEnc::raw(buf), lru), false);
    }
    srv.dirty += 1;
    srv.notify_keyspace_event(crate::notify::class::STRING, "setrange", key, db);
    c.add_int(newlen as i64);
}

/// GETRANGE and its old name SUBSTR.
pub fn getrange_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(mut start) = parse_i64(argv.get(2)) else {
        c.add_error_not_int();
        return;
    };
    let Some(mut end) = parse_i64(argv.get(3)) else {
        c.add_error_not_int();
        return;
    };
    let db = c.db;
    let Some(o) = srv.lookup_read(db, argv.get(1)) else {
        c.add_bulk(b"");
        return;
    };
    let Some(s) = str_of(&o.val) else {
        c.add_error_wrongtype();
        return;
    };
    let mut t = [0u8; 20];
    let bytes = s.as_bytes(&mut t);
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        c.add_bulk(b"");
        return;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        c.add_bulk(b"");
    } else {
        c.add_bulk(&bytes[start as usize..=end as usize]);
    }
}

pub fn mget_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    c.add_array_len(argv.len() - 1);
    for i in 1..argv.len() {
        match srv
            .lookup_read(db, argv.get(i))
            .and_then(|o| str_of(&o.val))
        {
            Some(s) => add_reply_str(c, s),
            None => c.add_null(),
        }
    }
}

fn mset_generic(srv: &mut Server, c: &mut Client, argv: &Argv, nx: bool, name: &str) {
    if argv.len().is_multiple_of(2) {
        c.add_error_arity(name);
        return;
    }
    let db = c.db;
    if nx {
        for j in (1..argv.len()).step_by(2) {
            if srv.lookup_write(db, argv.get(j)).is_some() {
                c.add_int(0);
                return;
            }
        }
    }
    let share = srv.share_integers();
    for j in (1..argv.len()).step_by(2) {
        let v = StrEnc::from_bytes(argv.get(j + 1), share);
        let lru = srv.new_obj_lru();
        srv.set_key(db, argv.get(j), Obj::string(v, lru), false);
        srv.notify_keyspace_event(crate::notify::class::STRING, "set", argv.get(j), db);
    }
    srv.dirty += ((argv.len() - 1) / 2) as u64;
    if nx {
        c.add_int(1);
    } else {
        c.add_ok();
    }
}

pub fn mset_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    mset_generic(srv, c, argv, false, "mset");
}

pub fn msetnx_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    mset_generic(srv, c, argv, true, "msetnx");
}

/// incrDecrCommand: integer-encoded results, shared for 0..9999 when allowed.
fn incr_decr(srv: &mut Server, c: &mut Client, key: &[u8], incr: i64) {
    let db = c.db;
    let share = srv.share_integers();
    let exists;
    let value = match srv.lookup_write(db, key) {
        None => {
            exists = false;
            0
        }
        Some(o) => {
            exists = true;
            match str_of(&o.val) {
                None => {
                    c.add_error_wrongtype();
                    return;
                }
                Some(s) => match s.as_int() {
                    Some(v) => v,
                    None => {
                        c.add_error_not_int();
                        return;
                    }
                },
            }
        }
    };
    let Some(new) = value.checked_add(incr) else {
        c.add_error("increment or decrement would overflow");
        return;
    };
    if exists {
        // dbOverwrite semantics (the TTL stays); an unshared int is updated in place.
        let o = srv.dbs[db].get_mut(key).expect("looked up above");
        o.val = Value::Str(StrEnc::from_int(new, share));
        srv.signal_modified_key(db, key);
    } else {
        let lru = srv.new_obj_lru();
        srv.set_key(
            db,
            key,
            Obj::string(StrEnc::from_int(new, share), lru),
            false,
        );
    }
    srv.dirty += 1;
    srv.notify_keyspace_event(crate::notify::class::STRING, "incrby", key, db);
    c.add_int(new);
}

pub fn incr_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    incr_decr(srv, c, argv.get(1), 1);
}

pub fn decr_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    incr_decr(srv, c, argv.get(1), -1);
}

pub fn incrby_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(incr) = parse_i64(argv.get(2)) else {
        c.add_error_not_int();
        return;
    };
    incr_decr(srv, c, argv.get(1), incr);
}

pub fn decrby_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(incr) = parse_i64(argv.get(2)) else {
        c.add_error_not_int();
        return;
    };
    if incr == i64::MIN {
        c.add_error("decrement would overflow");
        return;
    }
    incr_decr(srv, c, argv.get(1), -incr);
}

/// A string value as a long double (getLongDoubleFromObject).
pub fn str_to_long_double(s: &StrEnc) -> Option<LongDouble> {
    match s {
        StrEnc::Int { v, .. } => Some(LongDouble::from_i64(*v)),
        StrEnc::Embstr(b) => LongDouble::parse(b),
        StrEnc::Raw(b) => LongDouble::parse(b),
    }
}

pub fn incrbyfloat_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
    let (exists, value) = match srv.lookup_write(db, key) {
        None => (false, Some(LongDouble::from_i64(0))),
        Some(o) => match str_of(&o.val) {
            None => {
                c.add_error_wrongtype();
                return;
            }
            Some(s) => (true, str_to_long_double(s)),
        },
    };
    let (Some(value), Some(incr)) = (value, LongDouble::parse(argv.get(2))) else {
        c.add_error_not_float();
        return;
    };
    let sum = value.add(incr);
    if !sum.is_finite() {
        c.add_error("increment would produce NaN or Infinity");
        return;
    }
    let text = sum.to_human_string().into_bytes();
    c.add_bulk(&text);
    // Replicas and the AOF get the result, not the increment (float precision).
    srv.rewrite_command(&[b"SET", key, &text, b"KEEPTTL"]);
    let v = created_string(text);
    if exists {
        let o = srv.dbs[db].get_mut(key).expect("looked up above");
        o.val = Value::Str(v);
        srv.signal_modified_key(db, key);
    } else {
        let lru = srv.new_obj_lru();
        srv.set_key(db, key, Obj::string(v, lru), false);
    }
    srv.dirty += 1;
    srv.notify_keyspace_event(crate::notify::class::STRING, "incrbyfloat", key, db);
}

pub fn append_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
    let add = argv.get(2);
    let cur_len = match srv.lookup_write(db, key) {
        None => None,
        Some(o) => match str_of(&o.val) {
            None => {
                c.add_error_wrongtype();
                return;
            }
            Some(s) => Some(s.len()),
        },
    };
    let total = match cur_len {
        None => {
            let v = StrEnc::from_bytes(add, srv.share_integers());
            let lru = srv.new_obj_lru();
            srv.set_key(db, key, Obj::string(v, lru), false);
            add.len()
        }
        Some(len) => {
            if !check_string_length(srv, c, len as u64, add.len() as u64) {
                return;
            }
            let o = srv.dbs[db].get_mut(key).expect("looked up above");
            let buf = str_of_mut(&mut o.val).expect("type checked").make_raw();
            crate::db::object::sds_make_room(buf, add.len());
            buf.extend_from_slice(add);
            let n = buf.len();
            srv.signal_modified_key(db, key);
            n
        }
    };
    srv.dirty += 1;
    srv.notify_keyspace_event(crate::notify::class::STRING, "append", key, db);
    c.add_int(total as i64);
}

pub fn strlen_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    match srv.lookup_read(db, argv.get(1)) {
        None => c.add_int(0),
        Some(o) => match str_of(&o.val) {
            Some(s) => c.add_int(s.len() as i64),
            None => c.add_error_wrongtype(),
        },
    }
}

/// LCS options after the two keys.
#[derive(Debug, PartialEq)]
struct LcsOptions {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: i64,
}

/// Parses `[LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]`; Err carries the error text.
fn parse_lcs_options(argv: &Argv) -> Result<LcsOptions, &'static str> {
    let mut o = LcsOptions {
        len: false,
        idx: false,
        with_match_len: false,
        min_match_len: 0,
    };
    let mut j = 3;
    while j < argv.len() {
        let a = argv.get(j);
        let more = j + 1 < argv.len();
        if a.eq_ignore_ascii_case(b"IDX") {
            o.idx = true;
        } else if a.eq_ignore_ascii_case(b"LEN") {
            o.len = true;
        } else if a.eq_ignore_ascii_case(b"WITHMATCHLEN") {
            o.with_match_len = true;
        } else if a.eq_ignore_ascii_case(b"MINMATCHLEN") && more {
            let n = parse_i64(argv.get(j + 1)).ok_or("value is not an integer or out of range")?;
            o.min_match_len = n.max(0);
            j += 1;
        } else {
            return Err("syntax error");
        }
        j += 1;
    }
    if o.len && o.idx {
        return Err("If you want both the length and indexes, please just use IDX.");
    }
    Ok(o)
}

pub fn lcs_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let mut vals: [Option<Vec<u8>>; 2] = [None, None];
    let mut wrong = false;
    for (i, v) in vals.iter_mut().enumerate() {
        if let Some(o) = srv.lookup_read(db, argv.get(1 + i)) {
            match str_of(&o.val) {
                Some(s) => *v = Some(s.to_vec()),
                None => wrong = true,
            }
        }
    }
    if wrong {
        c.add_error("The specified keys must contain string values");
        return;
    }
    let [a, b] = vals;
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let opts = match parse_lcs_options(argv) {
        Ok(o) => o,
        Err(e) => {
            c.add_error(e);
            return;
        }
    };
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        c.add_error("String too long for LCS");
        return;
    }
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells * 4 > srv.config.proto_max_bulk_len.max(0) as u64 {
        c.add_error("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells as usize).is_err() {
        c.add_error("Insufficient memory, failed allocating transient memory for LCS");
        return;
    }
    lcs_reply(c, &a, &b, &opts, table);
}

/// Fills the LCS length table and emits the reply (string, LEN or IDX form).
fn lcs_reply(c: &mut Client, a: &[u8], b: &[u8], opts: &LcsOptions, mut table: Vec<u32>) {
    let (alen, blen) = (a.len(), b.len());
    let w = blen + 1;
    table.resize((alen + 1) * w, 0);
    for i in 1..=alen {
        for j in 1..=blen {
            table[i * w + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * w + j - 1] + 1
            } else {
                table[(i - 1) * w + j].max(table[i * w + j - 1])
            };
        }
    }
    let lcs_len = table[alen * w + blen];
    let compute = opts.idx || !opts.len;
    let mut result = vec![0u8; if compute { lcs_len as usize } else { 0 }];
    let mut idx = lcs_len as usize;
    let mut deferred = None;
    if opts.idx {
        c.add_map_len(2);
        c.add_bulk(b"matches");
        deferred = Some(c.defer_len());
    }
    let mut arraylen = 0;
    // Ranges are tracked backwards; arange_start == alen means "no open range".
    let (mut arange_start, mut arange_end, mut brange_start, mut brange_end) = (alen, 0, 0, 0);
    let (mut i, mut j) = (alen, blen);
    while compute && i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if arange_start == alen {
                arange_start = i - 1;
                arange_end = i - 1;
                brange_start = j - 1;
                brange_end = j - 1;
            } else if arange_start == i && brange_start == j {
                arange_start -= 1;
                brange_start -= 1;
            } else {
                emit = true;
            }
            if arange_start == 0 || brange_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            let lcs1 = table[(i - 1) * w + j];
            let lcs2 = table[i * w + j - 1];
            if lcs1 > lcs2 {
                i -= 1;
            } else {
                j -= 1;
            }
            if arange_start != alen {
                emit = true;
            }
        }
        // Same unsigned arithmetic as Redis, including its quirk when no range is open.
        let match_len = (arange_end as u32)
            .wrapping_sub(arange_start as u32)
            .wrapping_add(1);
        if emit {
            if (opts.min_match_len == 0 || match_len as i64 >= opts.min_match_len)
                && deferred.is_some()
            {
                c.add_array_len(2 + opts.with_match_len as usize);
                c.add_array_len(2);
                c.add_int(arange_start as i64);
                c.add_int(arange_end as i64);
                c.add_array_len(2);
                c.add_int(brange_start as i64);
                c.add_int(brange_end as i64);
                if opts.with_match_len {
                    c.add_int(match_len as i64);
                }
                arraylen += 1;
            }
            arange_start = alen;
        }
    }
    if let Some(d) = deferred {
        c.add_bulk(b"len");
        c.add_int(lcs_len as i64);
        c.set_deferred_array_len(d, arraylen);
    } else if opts.len {
        c.add_int(lcs_len as i64);
    } else {
        c.add_bulk(&result);
    }
}

impl Server {
    /// Sets a TTL; an absolute time already in the past deletes the key instead,
    /// as Redis does for EXPIREAT/GETEX EXAT in the past (checkAlreadyExpired).
    /// Returns true when it deleted.
    pub fn set_expire_or_delete(&mut self, db: usize, key: &[u8], when_ms: i64) -> bool {
        if when_ms <= self.now_ms() && !self.loading && !self.is_replica_of_master() {
            if let Some(o) = self.dbs[db].remove(key) {
                self.free_value(o, self.config.lazyfree_lazy_expire);
            }
            self.notify_keyspace_event(crate::notify::class::GENERIC, "del", key, db);
            return true;
        }
        self.dbs[db].set_expire(key, when_ms);
        self.remember_replica_key_with_expire(db, key);
        self.notify_keyspace_event(crate::notify::class::GENERIC, "expire", key, db);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::OwnedArgv;

    fn argv(s: &str) -> OwnedArgv {
        OwnedArgv::from_slices(s.split(' '))
    }

    #[test]
    fn ext_options() {
        let a = argv("set k v nx get ex 10");
        let o = parse_ext_options(&a.view(), 3, true).unwrap();
        assert_eq!(o.cond, Cond::Nx);
        assert!(o.get);
        assert_eq!(o.expire, Some((&b"10"[..], ExpireKind::Ex)));
        // Repeating the same expire option is accepted (the last wins), mixing is not.
        let a = argv("set k v EX 10 ex 20");
        let o = parse_ext_options(&a.view(), 3, true).unwrap();
        assert_eq!(o.expire, Some((&b"20"[..], ExpireKind::Ex)));
        for bad in [
            "set k v ex 10 px 20",
            "set k v nx xx",
            "set k v keepttl ex 1",
            "set k v ex 1 keepttl",
            "set k v ex",
            "set k v persist",
            "set k v bogus",
        ] {
            assert!(
                parse_ext_options(&argv(bad).view(), 3, true).is_err(),
                "{}",
                bad
            );
        }
        for bad in [
            "getex k nx",
            "getex k get",
            "getex k keepttl",
            "getex k persist ex 1",
        ] {
            assert!(
                parse_ext_options(&argv(bad).view(), 2, false).is_err(),
                "{}",
                bad
            );
        }
        let a = argv("getex k persist PERSIST");
        assert!(parse_ext_options(&a.view(), 2, false).unwrap().persist);
    }

    #[test]
    fn lcs_options() {
        let p = |s: &str| parse_lcs_options(&argv(s).view());
        assert_eq!(
            p("lcs a b idx minmatchlen -3 withmatchlen"),
            Ok(LcsOptions {
                len: false,
                idx: true,
                with_match_len: true,
                min_match_len: 0
            })
        );
        assert_eq!(
            p("lcs a b len idx"),
            Err("If you want both the length and indexes, please just use IDX.")
        );
        assert_eq!(p("lcs a b minmatchlen"), Err("syntax error"));
        assert_eq!(
            p("lcs a b minmatchlen x"),
            Err("value is not an integer or out of range")
        );
        assert_eq!(p("lcs a b foo"), Err("syntax error"));
    }

    fn run_lcs(a: &str, b: &str, opts: &str) -> Vec<u8> {
        let mut c = Client::fake(1);
        let o = parse_lcs_options(&argv(&format!("lcs x y{}", opts)).view()).unwrap();
        lcs_reply(&mut c, a.as_bytes(), b.as_bytes(), &o, Vec::new());
        c.take_reply()
    }

    #[test]
    fn lcs_algorithm() {
        assert_eq!(run_lcs("ohmytext", "mynewtext", ""), b"$6\r\nmytext\r\n");
        assert_eq!(run_lcs("ohmytext", "mynewtext", " len"), b":6\r\n");
        assert_eq!(run_lcs("", "abc", ""), b"$0\r\n\r\n");
        // Redis's documented example.
        assert_eq!(
            run_lcs("ohmytext", "mynewtext", " idx minmatchlen 4 withmatchlen"),
            b"*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
                .to_vec()
        );
        assert_eq!(
            run_lcs("ohmytext", "mynewtext", " idx"),
            b"*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
                .to_vec()
        );
    }

    fn run(srv: &mut Server, c: &mut Client, cmd: &str) -> Vec<u8> {
        let a = OwnedArgv::from_slices(cmd.split(' '));
        srv.process_command(c, &a.view());
        c.take_reply()
    }

    fn enc(srv: &Server, key: &str) -> (&'static str, i64) {
        match &srv.dbs[0].get(key.as_bytes()).unwrap().val {
            v @ Value::Str(s) => (v.encoding_name(), s.refcount()),
            #[allow(unreachable_patterns)]
            _ => panic!("not a string"),
        }
    }

    #[test]
    fn encodings_like_redis() {
        let mut srv = Server::new(crate::config::Config::default());
        let mut c = Client::fake(1);
        let shared = crate::db::object::SHARED_REFCOUNT;
        let long = "x".repeat(45);
        run(&mut srv, &mut c, "set a 123");
        assert_eq!(enc(&srv, "a"), ("int", shared));
        run(&mut srv, &mut c, "set a 12345");
        assert_eq!(enc(&srv, "a"), ("int", 1));
        run(&mut srv, &mut c, "set a abc");
        assert_eq!(enc(&srv, "a"), ("embstr", 1));
        run(&mut srv, &mut c, &format!("set a {}", long));
        assert_eq!(enc(&srv, "a"), ("raw", 1));
        run(&mut srv, &mut c, "set a abc");
        assert_eq!(run(&mut srv, &mut c, "append a d"), b":4\r\n");
        assert_eq!(enc(&srv, "a"), ("raw", 1));
        run(&mut srv, &mut c, "append new 77");
        assert_eq!(enc(&srv, "new"), ("int", shared));
        run(&mut srv, &mut c, "set n 1234");
        run(&mut srv, &mut c, "setrange n 0 ");
        assert_eq!(enc(&srv, "n").0, "int");
        run(&mut srv, &mut c, "setrange n 0 2");
        assert_eq!(enc(&srv, "n").0, "raw");
        assert_eq!(run(&mut srv, &mut c, "incr n"), b":2235\r\n");
        assert_eq!(enc(&srv, "n"), ("int", shared));
        run(&mut srv, &mut c, "set n 9998");
        run(&mut srv, &mut c, "incr n");
        assert_eq!(enc(&srv, "n"), ("int", shared));
        run(&mut srv, &mut c, "incr n");
        assert_eq!(enc(&srv, "n"), ("int", 1));
        run(&mut srv, &mut c, "set n -1");
        run(&mut srv, &mut c, "incr n");
        assert_eq!(enc(&srv, "n"), ("int", shared));
        assert_eq!(run(&mut srv, &mut c, "incrbyfloat fl 1"), b"$1\r\n1\r\n");
        assert_eq!(enc(&srv, "fl"), ("embstr", 1));
        run(&mut srv, &mut c, "setbit bits 3 1");
        assert_eq!(enc(&srv, "bits").0, "raw");
        run(&mut srv, &mut c, "set n 5");
        run(&mut srv, &mut c, "getbit n 0");
        assert_eq!(enc(&srv, "n").0, "int");
        run(&mut srv, &mut c, "setbit n 0 0");
        assert_eq!(enc(&srv, "n").0, "raw");
        run(&mut srv, &mut c, "bitop or dest n");
        assert_eq!(enc(&srv, "dest").0, "raw");
        run(&mut srv, &mut c, "getset g 7");
        run(&mut srv, &mut c, "mset m1 8 m2 xyz");
        assert_eq!(enc(&srv, "g").0, "int");
        assert_eq!(enc(&srv, "m1").0, "int");
        assert_eq!(enc(&srv, "m2").0, "embstr");
        // Under an LRU maxmemory policy small integers are not shared.
        srv.config.maxmemory = 1 << 30;
        srv.config.set_maxmemory_policy_name("allkeys-lru");
        run(&mut srv, &mut c, "set a 5");
        assert_eq!(enc(&srv, "a"), ("int", 1));
        run(&mut srv, &mut c, "incr a");
        assert_eq!(enc(&srv, "a"), ("int", 1));
    }

    #[test]
    fn write_commands_bump_dirty() {
        let mut srv = Server::new(crate::config::Config::default());
        let mut c = Client::fake(1);
        let mut d = srv.dirty;
        for (cmd, delta) in [
            ("set a 1", 1),
            ("set a 1 nx", 0),
            ("mset a 1 b 2 c 3", 3),
            ("incr a", 1),
            ("append a x", 1),
            ("setrange a 0 ", 0),
            ("getdel nokey", 0),
            ("getdel a", 1),
            ("getex b persist", 0),
            ("getex b ex 100", 1),
            ("getex b persist", 1),
            ("incrbyfloat f 1.5", 1),
            ("setbit s 0 0", 1),
            ("setbit s 0 0", 0),
            ("setbit s 0 1", 1),
            ("bitfield s set u8 0 0 set u8 0 1", 2),
            ("bitop and s2 nokey", 0),
        ] {
            run(&mut srv, &mut c, cmd);
            assert_eq!(srv.dirty - d, delta, "{}", cmd);
            d = srv.dirty;
        }
    }

    #[test]
    fn created_strings_never_int() {
        assert!(matches!(created_string(b"1".to_vec()), StrEnc::Embstr(_)));
        assert!(matches!(created_string(vec![b'a'; 45]), StrEnc::Raw(_)));
    }
}

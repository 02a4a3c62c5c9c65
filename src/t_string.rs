//! String commands (Redis's t_string.c).

use crate::db::object::{Obj, StrEnc, Value};
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

#[derive(Clone, Copy, PartialEq)]
pub enum Cond {
    None,
    Nx,
    Xx,
}

/// SET/GETEX expiry options parsed from arguments.
pub struct SetOptions {
    pub cond: Cond,
    pub get: bool,
    pub keep_ttl: bool,
    /// Absolute expiry in ms, when an expiry option was given.
    pub expire_at_ms: Option<i64>,
}

/// Parses `[NX|XX] [GET] [EX|PX|EXAT|PXAT n|KEEPTTL]` from `argv[from..]` the way
/// parseExtendedStringArgumentsOrReply does. Replies and returns None on error.
pub fn parse_set_options(
    srv: &Server,
    c: &mut Client,
    argv: &Argv,
    from: usize,
    cmdname: &str,
) -> Option<SetOptions> {
    let mut o = SetOptions {
        cond: Cond::None,
        get: false,
        keep_ttl: false,
        expire_at_ms: None,
    };
    let mut expire_unit: Option<(&[u8], bool, bool)> = None; // (value, is_ms, is_absolute)
    let mut i = from;
    while i < argv.len() {
        let a = argv.get(i);
        let next = if i + 1 < argv.len() {
            Some(argv.get(i + 1))
        } else {
            None
        };
        let opt = a.to_ascii_uppercase();
        match opt.as_slice() {
            b"NX" if o.cond != Cond::Xx => o.cond = Cond::Nx,
            b"XX" if o.cond != Cond::Nx => o.cond = Cond::Xx,
            b"GET" => o.get = true,
            b"KEEPTTL" if expire_unit.is_none() => o.keep_ttl = true,
            b"EX" | b"PX" | b"EXAT" | b"PXAT"
                if !o.keep_ttl && expire_unit.is_none() && next.is_some() =>
            {
                let ms = opt == b"PX" || opt == b"PXAT";
                let abs = opt == b"EXAT" || opt == b"PXAT";
                expire_unit = Some((next.unwrap(), ms, abs));
                i += 1;
            }
            _ => {
                c.add_error_syntax();
                return None;
            }
        }
        i += 1;
    }
    if let Some((v, is_ms, abs)) = expire_unit {
        let Some(n) = parse_i64(v) else {
            c.add_error_not_int();
            return None;
        };
        let bad = || format!("invalid expire time in '{}' command", cmdname);
        if n <= 0 {
            c.add_error(&bad());
            return None;
        }
        let mut ms = n;
        if !is_ms {
            match n.checked_mul(1000) {
                Some(v) => ms = v,
                None => {
                    c.add_error(&bad());
                    return None;
                }
            }
        }
        if !abs {
            match ms.checked_add(srv.now_ms()) {
                Some(v) => ms = v,
                None => {
                    c.add_error(&bad());
                    return None;
                }
            }
        }
        o.expire_at_ms = Some(ms);
    }
    Some(o)
}

pub fn set_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(opts) = parse_set_options(srv, c, argv, 3, "set") else {
        return;
    };
    let db = c.db;
    let key = argv.get(1);
    let exists;
    if opts.get {
        match srv.lookup_read(db, key) {
            None => {
                c.add_null();
                exists = false;
            }
            Some(o) => match &o.val {
                Value::Str(s) => {
                    add_reply_str(c, s);
                    exists = true;
                }
                #[allow(unreachable_patterns)]
                _ => {
                    c.add_error_wrongtype();
                    return;
                }
            },
        }
    } else {
        exists = srv.lookup_write(db, key).is_some();
    }
    if (opts.cond == Cond::Nx && exists) || (opts.cond == Cond::Xx && !exists) {
        if !opts.get {
            c.add_null();
        }
        return;
    }
    let val = StrEnc::from_bytes(argv.get(2), srv.share_integers());
    let lru = srv.new_obj_lru();
    srv.set_key(db, key, Obj::string(val, lru), opts.keep_ttl);
    srv.dirty += 1;
    if let Some(when) = opts.expire_at_ms {
        srv.set_expire_or_delete(db, key, when);
    }
    if !opts.get {
        c.add_ok();
    }
}

impl Server {
    /// Sets a TTL; an absolute time already in the past deletes the key instead,
    /// as Redis does for SET EXAT/PXAT and EXPIREAT in the past.
    pub fn set_expire_or_delete(&mut self, db: usize, key: &[u8], when_ms: i64) {
        if when_ms <= self.now_ms() && !self.loading && !self.is_replica_of_master() {
            self.dbs[db].remove(key);
            return;
        }
        self.dbs[db].set_expire(key, when_ms);
    }
}

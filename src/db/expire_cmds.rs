//! The expire commands (Redis's expire.c command half): EXPIRE PEXPIRE EXPIREAT
//! PEXPIREAT with NX/XX/GT/LT, TTL PTTL EXPIRETIME PEXPIRETIME, PERSIST.

use super::lookup;
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use crate::util::{eq_ic, parse_i64};

pub const EXPIRE_NX: u8 = 1 << 0;
pub const EXPIRE_XX: u8 = 1 << 1;
pub const EXPIRE_GT: u8 = 1 << 2;
pub const EXPIRE_LT: u8 = 1 << 3;

/// parseExtendedExpireArgumentsOrReply: the flags after the time argument,
/// or the error text Redis replies with.
pub fn parse_expire_flags<'a, I: Iterator<Item = &'a [u8]>>(args: I) -> Result<u8, String> {
    let mut flags = 0;
    for a in args {
        if eq_ic(a, "nx") {
            flags |= EXPIRE_NX;
        } else if eq_ic(a, "xx") {
            flags |= EXPIRE_XX;
        } else if eq_ic(a, "gt") {
            flags |= EXPIRE_GT;
        } else if eq_ic(a, "lt") {
            flags |= EXPIRE_LT;
        } else {
            return Err(format!("Unsupported option {}", String::from_utf8_lossy(a)));
        }
    }
    if flags & EXPIRE_NX != 0 && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT) != 0 {
        return Err("NX and XX, GT or LT options at the same time are not compatible".into());
    }
    if flags & EXPIRE_GT != 0 && flags & EXPIRE_LT != 0 {
        return Err("GT and LT options at the same time are not compatible".into());
    }
    Ok(flags)
}

/// The absolute expiry in ms for `value` in `unit_secs` units from `basetime`,
/// or None on overflow (Redis's "invalid expire time" cases).
pub fn absolute_expire_ms(value: i64, unit_secs: bool, basetime: i64) -> Option<i64> {
    let mut when = value;
    if unit_secs {
        if when > i64::MAX / 1000 || when < i64::MIN / 1000 {
            return None;
        }
        when *= 1000;
    }
    if when > i64::MAX - basetime {
        return None;
    }
    Some(when + basetime)
}

/// Whether the conditional flags allow replacing `current` (None: no TTL) with `when`.
pub fn expire_allowed(flags: u8, current: Option<i64>, when: i64) -> bool {
    if flags & EXPIRE_NX != 0 && current.is_some() {
        return false;
    }
    if flags & EXPIRE_XX != 0 && current.is_none() {
        return false;
    }
    if flags & EXPIRE_GT != 0 {
        // No TTL counts as infinite, so GT never wins against it.
        match current {
            None => return false,
            Some(cur) if when <= cur => return false,
            _ => {}
        }
    }
    if flags & EXPIRE_LT != 0 {
        if let Some(cur) = current {
            if when >= cur {
                return false;
            }
        }
    }
    true
}

fn expire_generic(
    srv: &mut Server,
    c: &mut Client,
    argv: &Argv,
    name: &str,
    relative: bool,
    secs: bool,
) {
    let flags = match parse_expire_flags(argv.iter().skip(3)) {
        Ok(f) => f,
        Err(e) => {
            c.add_error(&e);
            return;
        }
    };
    let Some(value) = parse_i64(argv.get(2)) else {
        c.add_error_not_int();
        return;
    };
    let basetime = if relative { crate::util::mstime() } else { 0 };
    let Some(when) = absolute_expire_ms(value, secs, basetime) else {
        c.add_error(&format!("invalid expire time in '{}' command", name));
        return;
    };
    let db = c.db;
    let key = argv.get(1);
    if srv.lookup_write(db, key).is_none() {
        c.add_int(0);
        return;
    }
    if flags != 0 && !expire_allowed(flags, srv.dbs[db].expire_of(key), when) {
        c.add_int(0);
        return;
    }
    // checkAlreadyExpired: a time in the past is a DEL, except while loading or on
    // a replica, which keep the key and wait for the master's DEL.
    if when <= crate::util::mstime() && !srv.loading && !srv.is_replica_of_master() {
        let lazy = srv.config.lazyfree_lazy_expire;
        if let Some(o) = srv.dbs[db].remove(key) {
            srv.free_value(o, lazy);
        }
        srv.dirty += 1;
        // Replicated and written to the AOF as the deletion it was.
        srv.rewrite_command(&[if lazy { &b"UNLINK"[..] } else { b"DEL" }, key]);
        srv.signal_modified_key(db, key);
        srv.notify_keyspace_event(crate::notify::class::GENERIC, "del", key, db);
        c.add_int(1);
        return;
    }
    srv.dbs[db].set_expire(key, when);
    srv.remember_replica_key_with_expire(db, key);
    // Propagated as PEXPIREAT with the absolute time (other arguments kept).
    if name != "pexpireat" {
        srv.rewrite_arg(argv, 0, b"PEXPIREAT");
    }
    if relative || secs {
        srv.rewrite_arg(argv, 2, when.to_string().as_bytes());
    }
    srv.signal_modified_key(db, key);
    srv.notify_keyspace_event(crate::notify::class::GENERIC, "expire", key, db);
    srv.dirty += 1;
    c.add_int(1);
}

pub fn expire_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    expire_generic(srv, c, argv, "expire", true, true);
}

pub fn pexpire_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    expire_generic(srv, c, argv, "pexpire", true, false);
}

pub fn expireat_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    expire_generic(srv, c, argv, "expireat", false, true);
}

pub fn pexpireat_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    expire_generic(srv, c, argv, "pexpireat", false, false);
}

fn ttl_generic(srv: &mut Server, c: &mut Client, argv: &Argv, ms: bool, absolute: bool) {
    let db = c.db;
    let key = argv.get(1);
    if srv.lookup(db, key, lookup::NOTOUCH).is_none() {
        c.add_int(-2);
        return;
    }
    let Some(expire) = srv.dbs[db].expire_of(key) else {
        c.add_int(-1);
        return;
    };
    let ttl = if absolute {
        expire
    } else {
        expire - crate::util::mstime()
    }
    .max(0);
    c.add_int(if ms { ttl } else { (ttl + 500) / 1000 });
}

pub fn ttl_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    ttl_generic(srv, c, argv, false, false);
}

pub fn pttl_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    ttl_generic(srv, c, argv, true, false);
}

pub fn expiretime_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    ttl_generic(srv, c, argv, false, true);
}

pub fn pexpiretime_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    ttl_generic(srv, c, argv, true, true);
}

pub fn persist_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let db = c.db;
    let key = argv.get(1);
    if srv.lookup_write(db, key).is_some() && srv.dbs[db].remove_expire(key) {
        srv.signal_modified_key(db, key);
        srv.notify_keyspace_event(crate::notify::class::GENERIC, "persist", key, db);
        srv.dirty += 1;
        c.add_int(1);
    } else {
        c.add_int(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> Result<u8, String> {
        parse_expire_flags(args.iter().map(|s| s.as_bytes()))
    }

    #[test]
    fn option_combinations() {
        assert_eq!(flags(&[]), Ok(0));
        assert_eq!(flags(&["nx"]), Ok(EXPIRE_NX));
        assert_eq!(flags(&["XX", "lt"]), Ok(EXPIRE_XX | EXPIRE_LT));
        assert_eq!(flags(&["xx", "gt"]), Ok(EXPIRE_XX | EXPIRE_GT));
        let nx_err = Err("NX and XX, GT or LT options at the same time are not compatible".into());
        assert_eq!(flags(&["nx", "xx"]), nx_err);
        assert_eq!(flags(&["nx", "gt"]), nx_err);
        assert_eq!(flags(&["lt", "nx"]), nx_err);
        assert_eq!(
            flags(&["lt", "gt"]),
            Err("GT and LT options at the same time are not compatible".into())
        );
        // An unknown word is reported before any compatibility check.
        assert_eq!(
            flags(&["nx", "xx", "AB"]),
            Err("Unsupported option AB".into())
        );
        // Repeats are fine.
        assert_eq!(flags(&["gt", "gt"]), Ok(EXPIRE_GT));
    }

    #[test]
    fn conditional_semantics() {
        // NX: only without a TTL.
        assert!(expire_allowed(EXPIRE_NX, None, 10));
        assert!(!expire_allowed(EXPIRE_NX, Some(5), 10));
        // XX: only with a TTL.
        assert!(!expire_allowed(EXPIRE_XX, None, 10));
        assert!(expire_allowed(EXPIRE_XX, Some(5), 10));
        // GT: never against "no TTL" (infinite), strictly greater otherwise.
        assert!(!expire_allowed(EXPIRE_GT, None, 10));
        assert!(expire_allowed(EXPIRE_GT, Some(5), 10));
        assert!(!expire_allowed(EXPIRE_GT, Some(10), 10));
        // LT: always against "no TTL", strictly smaller otherwise.
        assert!(expire_allowed(EXPIRE_LT, None, 10));
        assert!(expire_allowed(EXPIRE_LT, Some(11), 10));
        assert!(!expire_allowed(EXPIRE_LT, Some(10), 10));
        // LT XX: needs a TTL and a smaller time.
        assert!(!expire_allowed(EXPIRE_LT | EXPIRE_XX, None, 10));
        assert!(expire_allowed(EXPIRE_LT | EXPIRE_XX, Some(20), 10));
    }

    #[test]
    fn overflow_rules() {
        let base = 1_700_000_000_000;
        assert_eq!(absolute_expire_ms(10, true, base), Some(base + 10_000));
        assert_eq!(absolute_expire_ms(-10, true, base), Some(base - 10_000));
        assert_eq!(absolute_expire_ms(9223372036854776, true, base), None);
        assert_eq!(absolute_expire_ms(-9223372036854776, true, base), None);
        assert_eq!(absolute_expire_ms(9223370399119966, true, base), None);
        assert_eq!(absolute_expire_ms(9223372036854770000, false, base), None);
        assert_eq!(
            absolute_expire_ms(9223372036854770000, false, 0),
            Some(9223372036854770000)
        );
        assert_eq!(
            absolute_expire_ms(-9223372036854770000, false, 0),
            Some(-9223372036854770000)
        );
    }
}

#[cfg(test)]
mod handler_tests {
    use super::*;
    use crate::db::object::{Obj, StrEnc};
    use crate::resp::OwnedArgv;

    fn run(
        srv: &mut Server,
        c: &mut Client,
        f: fn(&mut Server, &mut Client, &Argv),
        args: &[&str],
    ) -> String {
        let a = OwnedArgv::from_slices(args.iter().map(|s| s.as_bytes()));
        srv.cmd_time_ms = crate::util::mstime();
        f(srv, c, &a.view());
        String::from_utf8(c.take_reply()).unwrap()
    }

    #[test]
    fn expire_replies() {
        let mut srv = Server::new(crate::config::Config::default());
        let mut c = Client::fake(1);
        srv.dbs[0].add(b"k", Obj::string(StrEnc::from_int(1, true), 0));
        let e = expire_command;
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "nokey", "10"]),
            ":0\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "k", "10", "xx"]),
            ":0\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "k", "10", "gt"]),
            ":0\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "k", "100", "nx"]),
            ":1\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "k", "200", "nx"]),
            ":0\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "k", "50", "gt"]),
            ":0\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "k", "50", "lt"]),
            ":1\r\n"
        );
        assert_eq!(run(&mut srv, &mut c, ttl_command, &["ttl", "k"]), ":50\r\n");
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "k", "1", "nx", "lt"]),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "k", "abc", "foo"]),
            "-ERR Unsupported option foo\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "k", "abc"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, e, &["expire", "k", "9223372036854776"]),
            "-ERR invalid expire time in 'expire' command\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, persist_command, &["persist", "k"]),
            ":1\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, pttl_command, &["pttl", "k"]),
            ":-1\r\n"
        );
        // A time in the past is a delete, not an expiry.
        assert_eq!(run(&mut srv, &mut c, e, &["expire", "k", "-1"]), ":1\r\n");
        assert!(!srv.dbs[0].contains(b"k"));
        assert_eq!(srv.stats.expired_keys, 0);
        assert_eq!(
            run(&mut srv, &mut c, expiretime_command, &["expiretime", "k"]),
            ":-2\r\n"
        );
    }
}

//! OBJECT ENCODING / REFCOUNT / IDLETIME / FREQ / HELP (Redis's object.c
//! objectCommand): introspection of a key's value without touching its LRU.

use crate::commands::command_cmd::reply_help;
use crate::db::lookup;
use crate::db::object::lfu_decr_and_return;
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;

/// objectCommandLookup: no LRU touch (hits and misses still count).
fn with_obj<T>(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    f: impl FnOnce(&Server, &crate::db::object::Obj) -> T,
) -> Option<T> {
    let db = c.db;
    if srv.lookup(db, key, lookup::NOTOUCH).is_none() {
        c.add_null();
        return None;
    }
    let o = srv.dbs[db].get(key)?;
    Some(f(srv, o))
}

pub fn object_encoding(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if let Some(enc) = with_obj(srv, c, argv.get(2), |_, o| o.val.encoding_name()) {
        c.add_bulk_str(enc);
    }
}

pub fn object_refcount(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if let Some(rc) = with_obj(srv, c, argv.get(2), |_, o| o.val.refcount()) {
        c.add_int(rc);
    }
}

pub fn object_idletime(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(idle) = with_obj(srv, c, argv.get(2), |s, o| s.object_idle_ms(o)) else {
        return;
    };
    if srv.lfu_policy() {
        c.add_error("An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
        return;
    }
    c.add_int((idle / 1000) as i64);
}

pub fn object_freq(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let decay = srv.config.lfu_decay_time;
    let Some(freq) = with_obj(srv, c, argv.get(2), |_, o| {
        lfu_decr_and_return(o.lru, decay)
    }) else {
        return;
    };
    if !srv.lfu_policy() {
        c.add_error("An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
        return;
    }
    c.add_int(freq as i64);
}

pub fn object_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    reply_help(
        c,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
}

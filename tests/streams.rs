//! Stream commands over TCP through the `redis` crate: each command's happy
//! path and error replies, consumer groups and their PELs, blocking XREAD /
//! XREADGROUP (served by XADD, failed by DEL and XGROUP DESTROY), and a
//! randomized model test of XADD/XDEL/XTRIM against XRANGE and XLEN.

mod common;

use common::{cmd, err, err_text, Server};
use redis::Value;
use std::collections::BTreeMap;

fn ok(con: &mut redis::Connection, args: &[&str]) -> Value {
    cmd(con, args).unwrap_or_else(|e| panic!("{:?}: {}", args, e))
}

fn int(con: &mut redis::Connection, args: &[&str]) -> i64 {
    match ok(con, args) {
        Value::Int(n) => n,
        other => panic!("{:?}: not an int: {:?}", args, other),
    }
}

fn bulk(con: &mut redis::Connection, args: &[&str]) -> String {
    match ok(con, args) {
        Value::BulkString(b) => String::from_utf8(b).unwrap(),
        Value::SimpleString(s) => s,
        other => panic!("{:?}: not a bulk: {:?}", args, other),
    }
}

/// A reply flattened to strings: arrays nest as "[...]", nil as "nil".
fn flat(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Int(n) => n.to_string(),
        Value::Nil => "nil".into(),
        Value::Array(items) => {
            format!("[{}]", items.iter().map(flat).collect::<Vec<_>>().join(" "))
        }
        Value::Okay => "OK".into(),
        other => format!("{:?}", other),
    }
}

fn f(con: &mut redis::Connection, args: &[&str]) -> String {
    flat(&ok(con, args))
}

/// Field → value of an XINFO-style flat map reply.
fn info_map(con: &mut redis::Connection, args: &[&str]) -> BTreeMap<String, String> {
    match ok(con, args) {
        Value::Array(items) => items
            .chunks(2)
            .map(|kv| (flat(&kv[0]), flat(&kv[1])))
            .collect(),
        other => panic!("not a map: {:?}", other),
    }
}

#[test]
fn xadd_ids_and_options() {
    let srv = Server::start();
    let mut con = srv.client();
    assert_eq!(bulk(&mut con, &["xadd", "s", "1-1", "a", "1"]), "1-1");
    assert_eq!(bulk(&mut con, &["xadd", "s", "1-*", "a", "2"]), "1-2");
    assert_eq!(bulk(&mut con, &["xadd", "s", "5", "a", "3"]), "5-0");
    let auto = bulk(&mut con, &["xadd", "s", "*", "b", "4"]);
    assert!(auto.ends_with("-0") && auto.len() > 10, "{auto}");
    assert_eq!(bulk(&mut con, &["type", "s"]), "stream");
    assert_eq!(bulk(&mut con, &["object", "encoding", "s"]), "stream");
    assert_eq!(int(&mut con, &["xlen", "s"]), 4);
    assert_eq!(
        err(&mut con, &["xadd", "s", "1-1", "a", "b"]),
        "ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(
        err(&mut con, &["xadd", "s", "0-0", "a", "b"]),
        "ERR The ID specified in XADD must be greater than 0-0"
    );
    assert_eq!(
        err(&mut con, &["xadd", "s", "bad", "a", "b"]),
        "ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        err(&mut con, &["xadd", "s", "*", "a"]),
        "ERR wrong number of arguments for 'xadd' command"
    );
    assert_eq!(
        err(&mut con, &["xadd", "s", "maxlen", "-1", "*", "a", "b"]),
        "ERR The MAXLEN argument must be >= 0."
    );
    assert_eq!(
        err(
            &mut con,
            &["xadd", "s", "maxlen", "1", "minid", "1", "*", "a", "b"]
        ),
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
    );
    assert_eq!(
        err(
            &mut con,
            &["xadd", "s", "maxlen", "1", "limit", "5", "*", "a", "b"]
        ),
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    );
    assert_eq!(
        ok(&mut con, &["xadd", "nostream", "nomkstream", "*", "a", "b"]),
        Value::Nil
    );
    assert_eq!(int(&mut con, &["exists", "nostream"]), 0);
    ok(&mut con, &["set", "str", "x"]);
    assert!(err(&mut con, &["xadd", "str", "*", "a", "b"]).starts_with("WRONGTYPE"));
    // An exhausted sequence fails with the text Redis happens to print.
    ok(&mut con, &["xadd", "o", "1-18446744073709551615", "a", "b"]);
    assert_eq!(
        err(&mut con, &["xadd", "o", "1-*", "a", "b"]),
        "ERR Elements are too large to be stored"
    );
    // Exact MAXLEN trims to the count; MINID drops older IDs.
    for i in 10..20 {
        ok(&mut con, &["xadd", "t", &format!("{i}-0"), "f", "v"]);
    }
    ok(
        &mut con,
        &["xadd", "t", "maxlen", "=", "5", "20-0", "f", "v"],
    );
    assert_eq!(int(&mut con, &["xlen", "t"]), 5);
    ok(&mut con, &["xadd", "t", "minid", "18", "21-0", "f", "v"]);
    assert_eq!(
        f(&mut con, &["xrange", "t", "-", "+", "count", "1"]),
        "[[18-0 [f v]]]"
    );
    // Approximate trimming only drops whole nodes.
    ok(
        &mut con,
        &["config", "set", "stream-node-max-entries", "10"],
    );
    for i in 0..35 {
        ok(
            &mut con,
            &["xadd", "approx", &format!("{}-1", i + 1), "f", "v"],
        );
    }
    ok(
        &mut con,
        &["xadd", "approx", "maxlen", "~", "12", "*", "f", "v"],
    );
    assert_eq!(int(&mut con, &["xlen", "approx"]), 16);
    assert_eq!(
        info_map(&mut con, &["xinfo", "stream", "approx"])["radix-tree-keys"],
        "2"
    );
}

#[test]
fn xrange_xrevrange_xdel_xtrim() {
    let srv = Server::start();
    let mut con = srv.client();
    for i in 1..=5 {
        ok(
            &mut con,
            &["xadd", "s", &format!("{i}-0"), "k", &i.to_string()],
        );
    }
    assert_eq!(
        f(&mut con, &["xrange", "s", "2", "(4-0"]),
        "[[2-0 [k 2]] [3-0 [k 3]]]"
    );
    assert_eq!(
        f(&mut con, &["xrevrange", "s", "+", "-", "count", "2"]),
        "[[5-0 [k 5]] [4-0 [k 4]]]"
    );
    assert_eq!(
        ok(&mut con, &["xrange", "s", "-", "+", "count", "0"]),
        Value::Nil
    );
    assert_eq!(f(&mut con, &["xrange", "nokey", "-", "+"]), "[]");
    assert_eq!(
        err(&mut con, &["xrange", "s", "(-", "+"]),
        "ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        err(&mut con, &["xrange", "s", "-", "(0-0"]),
        "ERR invalid end ID for the interval"
    );
    assert_eq!(
        err(&mut con, &["xrange", "s", "-", "+", "limit", "1"]),
        "ERR syntax error"
    );
    assert_eq!(int(&mut con, &["xdel", "s", "1-0", "3-0", "9-0"]), 2);
    assert_eq!(
        f(&mut con, &["xrange", "s", "-", "+", "count", "1"]),
        "[[2-0 [k 2]]]"
    );
    let info = info_map(&mut con, &["xinfo", "stream", "s"]);
    assert_eq!(info["max-deleted-entry-id"], "3-0");
    assert_eq!(info["recorded-first-entry-id"], "2-0");
    assert_eq!(info["entries-added"], "5");
    assert_eq!(info["first-entry"], "[2-0 [k 2]]");
    assert_eq!(info["last-entry"], "[5-0 [k 5]]");
    assert_eq!(
        err(&mut con, &["xdel", "s", "bad"]),
        "ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(int(&mut con, &["xtrim", "s", "maxlen", "1"]), 2);
    assert_eq!(f(&mut con, &["xrange", "s", "-", "+"]), "[[5-0 [k 5]]]");
    assert_eq!(int(&mut con, &["xtrim", "nokey", "minid", "1"]), 0);
    assert_eq!(
        err(&mut con, &["xtrim", "s", "limit", "0"]),
        "ERR syntax error, XTRIM must be called with a trimming strategy"
    );
    assert_eq!(
        err(&mut con, &["xtrim", "s", "limit", "1"]),
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
    );
    // XSETID moves the last ID forward only.
    assert_eq!(
        err(&mut con, &["xsetid", "s", "1-0"]),
        "ERR The ID specified in XSETID is smaller than the target stream top item"
    );
    assert_eq!(
        f(&mut con, &["xsetid", "s", "9-9", "entriesadded", "7"]),
        "OK"
    );
    let info = info_map(&mut con, &["xinfo", "stream", "s"]);
    assert_eq!(info["last-generated-id"], "9-9");
    assert_eq!(info["entries-added"], "7");
    assert_eq!(
        err(&mut con, &["xsetid", "nokey", "1-0"]),
        "ERR no such key"
    );
    assert_eq!(
        err(&mut con, &["xsetid", "s", "9-9", "maxdeletedid", "10-0"]),
        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
    );
}

#[test]
fn xread_sync_and_blocking() {
    let srv = Server::start();
    let mut con = srv.client();
    ok(&mut con, &["xadd", "a", "1-0", "f", "1"]);
    ok(&mut con, &["xadd", "b", "2-0", "f", "2"]);
    assert_eq!(
        f(
            &mut con,
            &["xread", "count", "5", "streams", "a", "b", "0", "0"]
        ),
        "[[a [[1-0 [f 1]]]] [b [[2-0 [f 2]]]]]"
    );
    assert_eq!(ok(&mut con, &["xread", "streams", "a", "$"]), Value::Nil);
    assert_eq!(
        ok(&mut con, &["xread", "block", "50", "streams", "a", "$"]),
        Value::Nil
    );
    assert_eq!(
        err(&mut con, &["xread", "streams", "a", "b", "c"]),
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
    );
    assert_eq!(
        err(&mut con, &["xread", "block", "-1", "streams", "a", "0"]),
        "ERR timeout is negative"
    );
    assert_eq!(
        err(&mut con, &["xread", "streams", "a", ">"]),
        "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
    );
    assert_eq!(
        err(&mut con, &["xread", "group", "g", "c", "streams", "a", "0"]),
        "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
    );
    // A reader blocked on "$" gets only what arrives after it blocked.
    let mut waiter = srv.client();
    let h = std::thread::spawn(move || {
        flat(
            &cmd(
                &mut waiter,
                &["xread", "block", "5000", "streams", "a", "$"],
            )
            .unwrap(),
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    ok(&mut con, &["xadd", "a", "3-0", "new", "x"]);
    assert_eq!(h.join().unwrap(), "[[a [[3-0 [new x]]]]]");
}

#[test]
fn consumer_groups() {
    let srv = Server::start();
    let mut con = srv.client();
    assert_eq!(
        err(&mut con, &["xgroup", "create", "s", "g", "$"]),
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
    );
    assert_eq!(
        f(&mut con, &["xgroup", "create", "s", "g", "$", "mkstream"]),
        "OK"
    );
    assert_eq!(
        err(&mut con, &["xgroup", "create", "s", "g", "$"]),
        "BUSYGROUP Consumer Group name already exists"
    );
    assert_eq!(
        err(&mut con, &["xgroup", "setid", "s", "nog", "0"]),
        "NOGROUP No such consumer group 'nog' for key name 's'"
    );
    for i in 1..=3 {
        ok(
            &mut con,
            &["xadd", "s", &format!("{i}-0"), "f", &i.to_string()],
        );
    }
    assert_eq!(
        f(
            &mut con,
            &[
                "xreadgroup",
                "group",
                "g",
                "alice",
                "count",
                "2",
                "streams",
                "s",
                ">"
            ]
        ),
        "[[s [[1-0 [f 1]] [2-0 [f 2]]]]]"
    );
    assert_eq!(
        f(
            &mut con,
            &["xreadgroup", "group", "g", "bob", "streams", "s", ">"]
        ),
        "[[s [[3-0 [f 3]]]]]"
    );
    // History: alice's own pending entries only.
    assert_eq!(
        f(
            &mut con,
            &["xreadgroup", "group", "g", "alice", "streams", "s", "0"]
        ),
        "[[s [[1-0 [f 1]] [2-0 [f 2]]]]]"
    );
    assert_eq!(
        f(&mut con, &["xpending", "s", "g"]),
        "[3 1-0 3-0 [[alice 2] [bob 1]]]"
    );
    let ext = f(&mut con, &["xpending", "s", "g", "-", "+", "10", "alice"]);
    assert!(ext.starts_with("[[1-0 alice "), "{ext}");
    assert!(
        ext.ends_with(" 2]]"),
        "alice's entries were delivered twice: {ext}"
    );
    assert_eq!(int(&mut con, &["xack", "s", "g", "1-0", "1-0", "9-0"]), 1);
    assert_eq!(
        err(&mut con, &["xack", "s", "g", "bad"]),
        "ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(int(&mut con, &["xack", "s", "nog", "2-0"]), 0);
    // XCLAIM moves 2-0 to bob; XAUTOCLAIM moves everything to carol.
    assert_eq!(
        f(&mut con, &["xclaim", "s", "g", "bob", "0", "2-0", "justid"]),
        "[2-0]"
    );
    assert_eq!(
        f(&mut con, &["xpending", "s", "g"]),
        "[2 2-0 3-0 [[bob 2]]]"
    );
    assert_eq!(
        err(&mut con, &["xclaim", "s", "g", "bob", "0", "2-0", "bogus"]),
        "ERR Unrecognized XCLAIM option 'bogus'"
    );
    assert_eq!(
        err(&mut con, &["xclaim", "s", "nog", "bob", "0", "2-0"]),
        "NOGROUP No such key 's' or consumer group 'nog'"
    );
    assert_eq!(
        f(
            &mut con,
            &["xautoclaim", "s", "g", "carol", "0", "0", "count", "1"]
        ),
        "[3-0 [[2-0 [f 2]]] []]"
    );
    assert_eq!(
        err(
            &mut con,
            &["xautoclaim", "s", "g", "carol", "0", "0", "count", "0"]
        ),
        "ERR COUNT must be > 0"
    );
    // A deleted entry is dropped from the PEL and reported by XAUTOCLAIM.
    ok(&mut con, &["xdel", "s", "3-0"]);
    assert_eq!(
        f(&mut con, &["xautoclaim", "s", "g", "carol", "0", "0"]),
        "[0-0 [[2-0 [f 2]]] [3-0]]"
    );
    let groups = f(&mut con, &["xinfo", "groups", "s"]);
    assert_eq!(
        groups,
        "[[name g consumers 3 pending 1 last-delivered-id 3-0 entries-read 3 lag 0]]"
    );
    let consumers = f(&mut con, &["xinfo", "consumers", "s", "g"]);
    assert!(
        consumers.starts_with("[[name alice pending 0 idle "),
        "{consumers}"
    );
    assert_eq!(
        int(&mut con, &["xgroup", "createconsumer", "s", "g", "dave"]),
        1
    );
    assert_eq!(
        int(&mut con, &["xgroup", "createconsumer", "s", "g", "dave"]),
        0
    );
    assert_eq!(
        int(&mut con, &["xgroup", "delconsumer", "s", "g", "carol"]),
        1
    );
    assert_eq!(f(&mut con, &["xpending", "s", "g"]), "[0 nil nil nil]");
    assert_eq!(int(&mut con, &["xgroup", "destroy", "s", "g"]), 1);
    assert_eq!(int(&mut con, &["xgroup", "destroy", "s", "g"]), 0);
    assert_eq!(
        err(
            &mut con,
            &["xreadgroup", "group", "g", "c", "streams", "s", ">"]
        ),
        "NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"
    );
    assert_eq!(
        err(&mut con, &["xinfo", "consumers", "s", "g"]),
        "NOGROUP No such consumer group 'g' for key name 's'"
    );
    assert_eq!(
        err(&mut con, &["xinfo", "stream", "nokey"]),
        "ERR no such key"
    );
}

#[test]
fn blocked_group_readers_fail_when_group_or_key_goes() {
    let srv = Server::start();
    let mut con = srv.client();
    ok(&mut con, &["xgroup", "create", "s", "g", "$", "mkstream"]);
    let spawn_reader = |srv: &Server| {
        let mut w = srv.client();
        std::thread::spawn(move || {
            err_text(
                &cmd(
                    &mut w,
                    &[
                        "xreadgroup",
                        "group",
                        "g",
                        "c",
                        "block",
                        "0",
                        "streams",
                        "s",
                        ">",
                    ],
                )
                .unwrap_err(),
            )
        })
    };
    let h = spawn_reader(&srv);
    std::thread::sleep(std::time::Duration::from_millis(200));
    ok(&mut con, &["xgroup", "destroy", "s", "g"]);
    assert_eq!(
        h.join().unwrap(),
        "NOGROUP the consumer group this client was blocked on no longer exists"
    );
    ok(&mut con, &["xgroup", "create", "s", "g", "$"]);
    let h = spawn_reader(&srv);
    std::thread::sleep(std::time::Duration::from_millis(200));
    ok(&mut con, &["del", "s"]);
    assert_eq!(
        h.join().unwrap(),
        "UNBLOCKED the stream key no longer exists"
    );
}

#[test]
fn copy_digest_and_memory() {
    let srv = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut con = srv.client();
    ok(&mut con, &["xadd", "s", "1-0", "a", "1", "b", "2"]);
    ok(&mut con, &["xgroup", "create", "s", "g", "0"]);
    ok(
        &mut con,
        &["xreadgroup", "group", "g", "c", "streams", "s", ">"],
    );
    assert_eq!(int(&mut con, &["copy", "s", "s2"]), 1);
    // The digest Redis 7.0.15 computes for this stream (groups don't count).
    let d1 = f(&mut con, &["debug", "digest-value", "s"]);
    assert_eq!(d1, "[c8d4c7dc248514731ca042a1dbdfb1fad0440a8e]");
    assert_eq!(d1, f(&mut con, &["debug", "digest-value", "s2"]));
    assert_eq!(f(&mut con, &["xpending", "s2", "g"]), "[1 1-0 1-0 [[c 1]]]");
    // Redis 7.0.15 reports exactly these for this stream.
    assert_eq!(int(&mut con, &["memory", "usage", "s"]), 5825);
    let obj = bulk(&mut con, &["debug", "object", "s"]);
    assert!(
        obj.contains("encoding:stream serializedlength:120 "),
        "{obj}"
    );
    ok(&mut con, &["set", "str", "v"]);
    let scan = f(&mut con, &["scan", "0", "type", "stream", "count", "100"]);
    assert!(scan == "[0 [s s2]]" || scan == "[0 [s2 s]]", "{scan}");
}

#[test]
fn model_xadd_xdel_xtrim() {
    let srv = Server::start();
    let mut con = srv.client();
    ok(&mut con, &["config", "set", "stream-node-max-entries", "7"]);
    let mut model: BTreeMap<u64, String> = BTreeMap::new();
    let mut next = 1u64;
    let mut r: u64 = 11;
    for step in 0..800 {
        r = r
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        match (r >> 33) % 10 {
            0..=5 => {
                let v = format!("v{}", r % 1000);
                ok(&mut con, &["xadd", "m", &format!("{next}-0"), "f", &v]);
                model.insert(next, v);
                next += 1;
            }
            6 | 7 => {
                if next > 1 {
                    let id = 1 + (r >> 40) % (next - 1);
                    let want = model.remove(&id).is_some() as i64;
                    assert_eq!(int(&mut con, &["xdel", "m", &format!("{id}-0")]), want);
                }
            }
            8 => {
                let max = (r >> 45) % 30;
                let n = int(&mut con, &["xtrim", "m", "maxlen", &max.to_string()]);
                let drop = model.len().saturating_sub(max as usize);
                assert_eq!(n, drop as i64);
                let keys: Vec<u64> = model.keys().take(drop).copied().collect();
                for k in keys {
                    model.remove(&k);
                }
            }
            _ => {
                let min = (r >> 45) % next.max(1);
                int(&mut con, &["xtrim", "m", "minid", &min.to_string()]);
                model.retain(|k, _| *k >= min);
            }
        }
        assert_eq!(
            int(&mut con, &["xlen", "m"]),
            model.len() as i64,
            "step {step}"
        );
        if step % 10 == 0 {
            let want: Vec<String> = model
                .iter()
                .map(|(k, v)| format!("[{k}-0 [f {v}]]"))
                .collect();
            let got = f(&mut con, &["xrange", "m", "-", "+"]);
            assert_eq!(got, format!("[{}]", want.join(" ")), "step {step}");
            let rev = f(&mut con, &["xrevrange", "m", "+", "-", "count", "3"]);
            let want_rev: Vec<String> = model
                .iter()
                .rev()
                .take(3)
                .map(|(k, v)| format!("[{k}-0 [f {v}]]"))
                .collect();
            assert_eq!(rev, format!("[{}]", want_rev.join(" ")), "step {step}");
        }
    }
}

#[test]
fn help_full_info_and_blocked_group_reader() {
    let srv = Server::start();
    let mut con = srv.client();
    let help = f(&mut con, &["xgroup", "help"]);
    assert!(
        help.starts_with("[XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are: CREATE"),
        "{help}"
    );
    let help = f(&mut con, &["xinfo", "help"]);
    assert!(
        help.contains("STREAM <key> [FULL [COUNT <count>]"),
        "{help}"
    );
    assert_eq!(
        err(&mut con, &["xinfo", "help", "x"]),
        "ERR wrong number of arguments for 'xinfo|help' command"
    );
    ok(&mut con, &["xadd", "s", "1-0", "a", "1"]);
    ok(&mut con, &["xadd", "s", "2-0", "a", "2"]);
    ok(&mut con, &["xgroup", "create", "s", "g", "0"]);
    ok(
        &mut con,
        &[
            "xreadgroup",
            "group",
            "g",
            "c",
            "count",
            "1",
            "streams",
            "s",
            ">",
        ],
    );
    let full = info_map(&mut con, &["xinfo", "stream", "s", "full", "count", "1"]);
    assert_eq!(full["length"], "2");
    assert_eq!(full["entries"], "[[1-0 [a 1]]]");
    let groups = &full["groups"];
    assert!(
        groups.starts_with(
            "[[name g last-delivered-id 1-0 entries-read 1 lag 1 pel-count 1 pending [[1-0 c "
        ),
        "{groups}"
    );
    assert_eq!(
        err(&mut con, &["xinfo", "stream", "s", "full", "limit", "1"]),
        "ERR unknown subcommand or wrong number of arguments for 'stream'. Try XINFO HELP."
    );
    // A blocked group reader gets only entries newer than the group's last ID.
    ok(
        &mut con,
        &["xreadgroup", "group", "g", "c", "streams", "s", ">"],
    );
    let mut w = srv.client();
    let h = std::thread::spawn(move || {
        flat(
            &cmd(
                &mut w,
                &[
                    "xreadgroup",
                    "group",
                    "g",
                    "d",
                    "block",
                    "5000",
                    "streams",
                    "s",
                    ">",
                ],
            )
            .unwrap(),
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    ok(&mut con, &["xadd", "s", "3-0", "a", "3"]);
    assert_eq!(h.join().unwrap(), "[[s [[3-0 [a 3]]]]]");
    assert_eq!(
        f(&mut con, &["xpending", "s", "g"]),
        "[3 1-0 3-0 [[c 2] [d 1]]]"
    );
}

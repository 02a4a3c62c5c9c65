//! AOF interop with real Redis: Debian's redis-server 7.0.15 writes an AOF directory
//! (an RDB-preamble BASE from BGREWRITEAOF plus an INCR file of propagated commands,
//! several DBs, every type in small and large encodings, TTLs); our server starts on
//! that directory and must hold the same data, compared key by key. Skipped (with a
//! note) when /usr/bin/redis-server is not installed.

mod common;

use common::Server;
use redis::Connection;
use std::path::Path;
use std::time::{Duration, Instant};

const REAL: &str = "/usr/bin/redis-server";

fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).unwrap_or_else(|e| panic!("{:?}: {}", args, e))
}

fn wait_rewrite(c: &mut Connection) {
    let start = Instant::now();
    loop {
        let info: String = q(c, &["INFO", "persistence"]);
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0") {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "rewrite never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Writes every kind of value into a few DBs.
fn populate(c: &mut Connection, tag: &str) {
    for db in ["0", "3", "9"] {
        let _: () = q(c, &["SELECT", db]);
        let p = |k: &str| format!("{}:{}:{}", tag, db, k);
        let _: () = q(c, &["SET", &p("int"), "12345"]);
        let _: () = q(c, &["SET", &p("str"), "hello world"]);
        let _: () = q(c, &["SET", &p("raw"), &"x".repeat(100)]);
        let _: () = q(c, &["SET", &p("ttl"), "v", "EX", "100000"]);
        let _: () = q(c, &["RPUSH", &p("list"), "a", "b", "1", "2"]);
        let _: () = q(c, &["SADD", &p("intset"), "1", "2", "3"]);
        let _: () = q(c, &["SADD", &p("set"), "a", "b", "c"]);
        let _: () = q(c, &["ZADD", &p("zset"), "1.5", "a", "-2", "b", "3e10", "c"]);
        let _: () = q(c, &["HSET", &p("hash"), "f1", "v1", "f2", "2"]);
        let _: () = q(c, &["PEXPIRE", &p("hash"), "50000000"]);
        let mut pipe = redis::pipe();
        for i in 0..300 {
            let s = i.to_string();
            let v = format!("value-{}", i);
            pipe.cmd("RPUSH").arg(p("biglist")).arg(&v).ignore();
            pipe.cmd("SADD").arg(p("bigset")).arg(&v).ignore();
            pipe.cmd("SADD").arg(p("bigintset")).arg(&s).ignore();
            pipe.cmd("ZADD").arg(p("bigzset")).arg(&s).arg(&v).ignore();
            pipe.cmd("HSET").arg(p("bighash")).arg(&v).arg(&s).ignore();
        }
        let _: () = pipe.query(c).unwrap();
        let _: () = q(c, &["SET", &p("float"), "1.5"]);
        let _: String = q(c, &["INCRBYFLOAT", &p("float"), "0.1"]);
        let _: Vec<String> = q(c, &["SPOP", &p("set"), "1"]);
        let _: i64 = q(c, &["EXPIREAT", &p("str"), "4102444800"]);
    }
    let _: () = q(c, &["SELECT", "0"]);
}

/// Every key of every DB, each rendered with its type, content and absolute expire.
fn snapshot(c: &mut Connection) -> Vec<String> {
    let mut out = Vec::new();
    for db in 0..16 {
        let _: () = q(c, &["SELECT", &db.to_string()]);
        let mut keys: Vec<String> = q(c, &["KEYS", "*"]);
        keys.sort();
        for k in keys {
            let t: String = q(c, &["TYPE", &k]);
            let content = match t.as_str() {
                "string" => q::<String>(c, &["GET", &k]),
                "list" => q::<Vec<String>>(c, &["LRANGE", &k, "0", "-1"]).join(","),
                "set" => {
                    let mut m: Vec<String> = q(c, &["SMEMBERS", &k]);
                    m.sort();
                    m.join(",")
                }
                "zset" => q::<Vec<String>>(c, &["ZRANGE", &k, "0", "-1", "WITHSCORES"]).join(","),
                "hash" => {
                    let mut m: Vec<String> = q(c, &["HGETALL", &k]);
                    let mut pairs: Vec<String> =
                        m.chunks(2).map(|p| format!("{}={}", p[0], p[1])).collect();
                    pairs.sort();
                    m.clear();
                    pairs.join(",")
                }
                other => panic!("unexpected type {}", other),
            };
            let exp: i64 = q(c, &["PEXPIRETIME", &k]);
            out.push(format!("{} {} {} {} {}", db, k, t, exp, content));
        }
    }
    let _: () = q(c, &["SELECT", "0"]);
    out
}

#[test]
fn we_load_real_redis_aof_directory() {
    if !Path::new(REAL).exists() {
        eprintln!(
            "skipped: {} is not installed (apt-get install redis-server)",
            REAL
        );
        return;
    }
    let dir = Server::new_dir();
    // `always`: with everysec a busy machine can make Redis postpone its AOF
    // write behind a slow background fsync, and the kill -9 below would then
    // lose the last writes on Redis's side, not ours.
    let args = [
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--auto-aof-rewrite-percentage",
        "0",
    ];
    let real = Server::start_bin_in(Path::new(REAL), &dir, &args);
    let mut c = real.client();
    // The BASE (RDB preamble) gets the first half, the INCR file the rest.
    populate(&mut c, "base");
    let _: String = q(&mut c, &["BGREWRITEAOF"]);
    wait_rewrite(&mut c);
    populate(&mut c, "incr");
    let _: i64 = q(&mut c, &["DEL", "base:0:int"]);
    let want = snapshot(&mut c);
    drop(c);
    let manifest =
        std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert!(manifest.contains(".base.rdb seq 2 type b"), "{}", manifest);
    let dir = real.kill9();

    let ours = Server::start_in(&dir, &args);
    let mut c = ours.client();
    let got = snapshot(&mut c);
    assert_eq!(got.len(), want.len(), "key count differs");
    for (g, w) in got.iter().zip(want.iter()) {
        assert_eq!(g, w);
    }
    // And it keeps appending to Redis's INCR file.
    let _: () = q(&mut c, &["SET", "after", "restart"]);
    drop(c);
    let dir = ours.kill9();
    let again = Server::start_in(&dir, &args);
    let mut c = again.client();
    let v: String = q(&mut c, &["GET", "after"]);
    assert_eq!(v, "restart");
    assert_eq!(snapshot(&mut c).len(), want.len() + 1);
}

#[test]
fn real_redis_loads_our_aof_directory() {
    if !Path::new(REAL).exists() {
        eprintln!(
            "skipped: {} is not installed (apt-get install redis-server)",
            REAL
        );
        return;
    }
    for preamble in ["yes", "no"] {
        let dir = Server::new_dir();
        let args = [
            "--appendonly",
            "yes",
            "--save",
            "",
            "--auto-aof-rewrite-percentage",
            "0",
            "--aof-use-rdb-preamble",
            preamble,
        ];
        let ours = Server::start_in(&dir, &args);
        let mut c = ours.client();
        populate(&mut c, "base");
        let _: String = q(&mut c, &["BGREWRITEAOF"]);
        wait_rewrite(&mut c);
        populate(&mut c, "incr");
        let want = snapshot(&mut c);
        drop(c);
        let dir = ours.kill9();
        let real = Server::start_bin_in(Path::new(REAL), &dir, &args);
        let mut c = real.client();
        let got = snapshot(&mut c);
        assert_eq!(
            got.len(),
            want.len(),
            "preamble {}: key count differs",
            preamble
        );
        for (g, w) in got.iter().zip(want.iter()) {
            assert_eq!(g, w, "preamble {}", preamble);
        }
    }
}

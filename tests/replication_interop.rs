//! Replication interop with real Redis: Debian's redis-server 7.0.15 as a replica
//! of our master, and as the master of our replica. After the full sync and under
//! concurrent writes both hold the same dataset (DEBUG DIGEST, once the replica's
//! processed offset reaches the master_repl_offset); dropping the link makes the
//! replica come back with PSYNC and be served from the backlog (sync_partial_ok
//! grows). Skipped (with a note) when /usr/bin/redis-server is not installed.

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

fn info_field(c: &mut Connection, section: &str, field: &str) -> String {
    let info: String = q(c, &["INFO", section]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", field)))
        .unwrap_or("")
        .to_string()
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out: {}",
            what
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the replica processed everything the master produced, then
/// compares the digests.
fn assert_in_sync(m: &mut Connection, r: &mut Connection) {
    wait_until("replica catching up", 20, || {
        let mo = info_field(m, "replication", "master_repl_offset");
        let ro = info_field(r, "replication", "slave_repl_offset");
        mo == ro
    });
    let dm: String = q(m, &["DEBUG", "DIGEST"]);
    let dr: String = q(r, &["DEBUG", "DIGEST"]);
    assert_ne!(dm, "0".repeat(40));
    assert_eq!(dm, dr, "datasets differ after sync");
}

fn populate(c: &mut Connection, tag: &str) {
    for db in ["0", "3"] {
        let _: () = q(c, &["SELECT", db]);
        let p = |k: &str| format!("{}:{}:{}", tag, db, k);
        let _: () = q(c, &["SET", &p("str"), "hello"]);
        let _: () = q(c, &["SET", &p("ttl"), "v", "EX", "100000"]);
        let _: () = q(c, &["RPUSH", &p("list"), "a", "b", "1"]);
        let _: () = q(c, &["SADD", &p("set"), "a", "b"]);
        let _: () = q(c, &["ZADD", &p("zset"), "1.5", "a", "-2", "b"]);
        let _: () = q(c, &["HSET", &p("hash"), "f1", "v1"]);
        let _: () = q(c, &["INCRBYFLOAT", &p("fl"), "1.5"]);
        let _: () = q(c, &["EXPIRE", &p("hash"), "5000"]);
        let _: String = q(c, &["XADD", &p("stream"), "*", "f", "v"]);
    }
    let _: () = q(c, &["SELECT", "0"]);
}

#[test]
fn real_redis_replicates_from_our_master() {
    if !Path::new(REAL).exists() {
        eprintln!("skipped: {} not installed", REAL);
        return;
    }
    let master = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut m = master.client();
    populate(&mut m, "before");
    let replica = Server::start_bin_in(
        Path::new(REAL),
        &Server::new_dir(),
        &[
            "--save",
            "",
            "--enable-debug-command",
            "yes",
            "--replicaof",
            "127.0.0.1",
            &master.port.to_string(),
        ],
    );
    let mut r = replica.client();
    wait_until("link up", 20, || {
        info_field(&mut r, "replication", "master_link_status") == "up"
    });
    assert_in_sync(&mut m, &mut r);
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");

    // Writes while the stream flows, from another connection and in MULTI.
    let port = master.port;
    let writer = std::thread::spawn(move || {
        let mut w = redis::Client::open(format!("redis://127.0.0.1:{}/", port))
            .unwrap()
            .get_connection()
            .unwrap();
        for i in 0..500 {
            let k = format!("w{}", i % 50);
            let _: () = q(&mut w, &["SELECT", &(i % 4).to_string()]);
            let _: () = q(&mut w, &["INCR", &k]);
            let _: () = q(&mut w, &["LPUSH", "wl", &k]);
        }
    });
    populate(&mut m, "during");
    let _: () = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("tx")
        .arg("1")
        .ignore()
        .cmd("DEL")
        .arg("before:0:str")
        .ignore()
        .query(&mut m)
        .unwrap();
    writer.join().unwrap();
    assert_in_sync(&mut m, &mut r);

    // Our ROLE lists the replica with its listening port.
    let role: Vec<redis::Value> = q(&mut m, &["ROLE"]);
    assert_eq!(role.len(), 3);
    let dbg = format!("{:?}", role[2]);
    assert!(dbg.contains(&replica.port.to_string()), "{}", dbg);

    // Drop the link: the replica resumes with PSYNC from our backlog.
    let ok_before: u64 = info_field(&mut m, "stats", "sync_partial_ok")
        .parse()
        .unwrap();
    let killed: i64 = q(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]);
    assert_eq!(killed, 1);
    populate(&mut m, "gap");
    wait_until("partial resync", 20, || {
        let n: u64 = info_field(&mut m, "stats", "sync_partial_ok")
            .parse()
            .unwrap();
        n > ok_before
    });
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    assert_in_sync(&mut m, &mut r);
    assert!(master
        .log()
        .contains("Partial resynchronization request from"));
}

/// Concurrent writes in several DBs from a second connection.
fn spawn_writer(port: u16) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut w = redis::Client::open(format!("redis://127.0.0.1:{}/", port))
            .unwrap()
            .get_connection()
            .unwrap();
        for i in 0..500 {
            let k = format!("w{}", i % 50);
            let _: () = q(&mut w, &["SELECT", &(i % 4).to_string()]);
            let _: () = q(&mut w, &["INCR", &k]);
            let _: () = q(&mut w, &["LPUSH", "wl", &k]);
        }
    })
}

#[test]
fn we_replicate_from_real_redis() {
    if !Path::new(REAL).exists() {
        eprintln!("skipped: {} not installed", REAL);
        return;
    }
    // Default settings: diskless sync with the 5 s delay, $EOF: payloads.
    let master = Server::start_bin_in(
        Path::new(REAL),
        &Server::new_dir(),
        &["--save", "", "--enable-debug-command", "yes"],
    );
    let mut m = master.client();
    populate(&mut m, "before");
    let replica = Server::start_with(&[
        "--enable-debug-command",
        "yes",
        "--replicaof",
        "127.0.0.1",
        &master.port.to_string(),
    ]);
    let mut r = replica.client();
    wait_until("link up", 30, || {
        info_field(&mut r, "replication", "master_link_status") == "up"
    });
    assert_in_sync(&mut m, &mut r);
    let err = redis::cmd("SET")
        .arg("x")
        .arg("1")
        .query::<()>(&mut r)
        .unwrap_err();
    assert!(format!("{}", err).contains("read only replica"), "{}", err);

    let writer = spawn_writer(master.port);
    populate(&mut m, "during");
    let _: () = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("tx")
        .arg("1")
        .ignore()
        .cmd("DEL")
        .arg("before:0:str")
        .ignore()
        .query(&mut m)
        .unwrap();
    writer.join().unwrap();
    assert_in_sync(&mut m, &mut r);

    // Our side drops the link: we come back with PSYNC and continue.
    let ok_before: u64 = info_field(&mut m, "stats", "sync_partial_ok")
        .parse()
        .unwrap();
    let killed: i64 = q(&mut r, &["CLIENT", "KILL", "TYPE", "master"]);
    assert_eq!(killed, 1);
    populate(&mut m, "gap");
    wait_until("partial resync", 20, || {
        let n: u64 = info_field(&mut m, "stats", "sync_partial_ok")
            .parse()
            .unwrap();
        n > ok_before
    });
    assert_eq!(info_field(&mut m, "stats", "sync_full"), "1");
    assert_in_sync(&mut m, &mut r);

    // REPLICAOF NO ONE: we become a master that keeps the data and accepts writes.
    let _: () = q(&mut r, &["REPLICAOF", "NO", "ONE"]);
    assert_eq!(info_field(&mut r, "replication", "role"), "master");
    let _: () = q(&mut r, &["SET", "x", "1"]);
}

/// Real master → our replica loading with `repl-diskless-load swapdb` (the RDB
/// parsed from the socket, the old data dropped only once the new one loaded)
/// → a real sub-replica fed by our disk-based full sync: the chain proxies the
/// exact stream, so the sub-replica ends with the master's offset and data.
#[test]
fn swapdb_replica_feeds_a_real_sub_replica_from_disk() {
    if !Path::new(REAL).exists() {
        eprintln!("skipped: {} not installed", REAL);
        return;
    }
    let master = Server::start_bin_in(
        Path::new(REAL),
        &Server::new_dir(),
        &[
            "--save",
            "",
            "--enable-debug-command",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
        ],
    );
    let mut m = master.client();
    populate(&mut m, "before");
    let ours = Server::start_with(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-load",
        "swapdb",
        "--repl-diskless-sync",
        "no",
    ]);
    let mut o = ours.client();
    let _: () = q(&mut o, &["SET", "only-here", "1"]);
    let _: () = q(
        &mut o,
        &["REPLICAOF", "127.0.0.1", &master.port.to_string()],
    );
    wait_until("link up", 30, || {
        info_field(&mut o, "replication", "master_link_status") == "up"
    });
    assert_in_sync(&mut m, &mut o);
    let log = ours.log();
    assert!(log.contains("receiving streamed RDB from master with EOF to parser"));
    assert!(log.contains("MASTER <-> REPLICA sync: Swapping active DB with loaded DB"));

    let sub = Server::start_bin_in(
        Path::new(REAL),
        &Server::new_dir(),
        &[
            "--save",
            "",
            "--enable-debug-command",
            "yes",
            "--replicaof",
            "127.0.0.1",
            &ours.port.to_string(),
        ],
    );
    let mut s = sub.client();
    wait_until("sub link up", 30, || {
        info_field(&mut s, "replication", "master_link_status") == "up"
    });
    let writer = spawn_writer(master.port);
    populate(&mut m, "during");
    writer.join().unwrap();
    assert_in_sync(&mut m, &mut o);
    assert_in_sync(&mut m, &mut s);
    assert!(ours
        .log()
        .contains("Starting BGSAVE for SYNC with target: disk"));
}

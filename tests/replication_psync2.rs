//! PSYNC2 across promotions and restarts, all nodes ours: a chain A→B→C where
//! B is promoted keeps C replicating by partial resync (and A, demoted under
//! B, too); restarted masters and replicas resume from the replication id and
//! offset saved in their RDB. Each step counts `sync_full` / `sync_partial_ok`:
//! no full resync where Redis would do a partial one.

mod common;

use common::Server;
use redis::Connection;
use std::time::{Duration, Instant};

fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).unwrap_or_else(|e| panic!("{:?}: {}", args, e))
}

fn info_field(c: &mut Connection, field: &str) -> String {
    let info: String = q(c, &["INFO", "all"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", field)))
        .unwrap_or("")
        .to_string()
}

fn num(c: &mut Connection, field: &str) -> i64 {
    info_field(c, field).parse().unwrap_or(-1)
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

fn link_up(c: &mut Connection) -> bool {
    info_field(c, "master_link_status") == "up"
}

/// The replica processed all the master produced and holds the same data.
fn in_sync(m: &mut Connection, r: &mut Connection) {
    wait_until("offsets match", 20, || {
        num(m, "master_repl_offset") == num(r, "master_repl_offset")
    });
    let dm: String = q(m, &["DEBUG", "DIGEST"]);
    let dr: String = q(r, &["DEBUG", "DIGEST"]);
    assert_ne!(dm, "0".repeat(40));
    assert_eq!(dm, dr);
}

fn write_some(c: &mut Connection, tag: &str) {
    for i in 0..200 {
        let _: () = q(c, &["SELECT", &(i % 3).to_string()]);
        let _: () = q(c, &["SET", &format!("{}:{}", tag, i), &i.to_string()]);
        let _: i64 = q(c, &["RPUSH", &format!("{}:l", tag), &i.to_string()]);
    }
    let _: () = q(c, &["SELECT", "0"]);
}

const OPTS: &[&str] = &[
    "--enable-debug-command",
    "yes",
    "--repl-diskless-sync-delay",
    "0",
    "--save",
    "",
];

fn opts_with(extra: &[&str]) -> Vec<String> {
    OPTS.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn start(extra: &[&str]) -> Server {
    let v = opts_with(extra);
    let a: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
    Server::start_with(&a)
}

#[test]
fn promoted_replica_serves_partial_resyncs_to_its_chain_and_old_master() {
    let a = start(&[]);
    let mut ca = a.client();
    write_some(&mut ca, "x");
    let b = start(&["--replicaof", "127.0.0.1", &a.port.to_string()]);
    let mut cb = b.client();
    wait_until("B up", 20, || link_up(&mut cb));
    let c = start(&["--replicaof", "127.0.0.1", &b.port.to_string()]);
    let mut cc = c.client();
    wait_until("C up", 20, || link_up(&mut cc));
    write_some(&mut ca, "y");
    in_sync(&mut ca, &mut cb);
    in_sync(&mut ca, &mut cc);
    assert_eq!(num(&mut ca, "sync_full"), 1);
    assert_eq!(num(&mut cb, "sync_full"), 1);
    let old_id = info_field(&mut cb, "master_replid");

    // B becomes a master: a new id, the old one kept as replid2.
    let _: () = q(&mut cb, &["REPLICAOF", "NO", "ONE"]);
    assert_eq!(info_field(&mut cb, "master_replid2"), old_id);
    assert_ne!(info_field(&mut cb, "master_replid"), old_id);
    // C continues under B's new history without a full sync.
    wait_until("C partial", 20, || num(&mut cb, "sync_partial_ok") >= 1);
    wait_until("C up again", 20, || link_up(&mut cc));
    write_some(&mut cb, "z");
    in_sync(&mut cb, &mut cc);
    assert_eq!(
        info_field(&mut cc, "master_replid"),
        info_field(&mut cb, "master_replid")
    );
    // The old master joins under B, also by partial resync.
    let _: () = q(&mut ca, &["REPLICAOF", "127.0.0.1", &b.port.to_string()]);
    wait_until("A partial", 20, || num(&mut cb, "sync_partial_ok") >= 2);
    wait_until("A up", 20, || link_up(&mut ca));
    write_some(&mut cb, "w");
    in_sync(&mut cb, &mut ca);
    in_sync(&mut cb, &mut cc);
    assert_eq!(num(&mut cb, "sync_full"), 1, "only C's first sync was full");
    assert!(c
        .log()
        .contains("Successful partial resynchronization with master."));
}

#[test]
fn restarts_resume_by_partial_resync() {
    let a_dir = Server::new_dir();
    let v = opts_with(&[]);
    let av: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
    let a = Server::start_in(&a_dir, &av);
    let mut ca = a.client();
    write_some(&mut ca, "x");
    let b_dir = Server::new_dir();
    let bv = opts_with(&["--replicaof", "127.0.0.1", &a.port.to_string()]);
    let bv: Vec<&str> = bv.iter().map(|s| s.as_str()).collect();
    let b = Server::start_in(&b_dir, &bv);
    let mut cb = b.client();
    wait_until("B up", 20, || link_up(&mut cb));
    // Expired keys of the master's RDB become DELs in its backlog.
    let _: () = q(&mut ca, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: () = q(&mut ca, &["SET", "short", "v", "PX", "300"]);
    write_some(&mut ca, "y");
    in_sync(&mut ca, &mut cb);
    let offset = num(&mut ca, "master_repl_offset");
    let id = info_field(&mut ca, "master_replid");
    std::thread::sleep(Duration::from_millis(400));

    // The master restarts from its RDB: the replica continues its history.
    // NOW: a shutdown that waits for replicas first sends them a GETACK,
    // which would move the offset this test compares against.
    let _ = redis::cmd("SHUTDOWN")
        .arg("SAVE")
        .arg("NOW")
        .query::<()>(&mut ca);
    let a_dir = a.kill9();
    let a2 = Server::start_in(&a_dir, &av);
    let mut ca2 = a2.client();
    assert_eq!(info_field(&mut ca2, "master_replid2"), id);
    assert_eq!(num(&mut ca2, "second_repl_offset"), offset + 1);
    assert!(
        num(&mut ca2, "master_repl_offset") > offset,
        "the DEL of 'short' is in the backlog"
    );
    let _: () = q(&mut cb, &["REPLICAOF", "127.0.0.1", &a2.port.to_string()]);
    wait_until("B up under A2", 20, || link_up(&mut cb));
    assert_eq!(num(&mut ca2, "sync_full"), 0);
    assert_eq!(num(&mut ca2, "sync_partial_ok"), 1);
    write_some(&mut ca2, "z");
    in_sync(&mut ca2, &mut cb);
    let exists: i64 = q(&mut cb, &["EXISTS", "short"]);
    assert_eq!(exists, 0);

    // The replica restarts from its RDB: it asks for the rest of the stream.
    let _ = redis::cmd("SHUTDOWN").arg("SAVE").query::<()>(&mut cb);
    let b_dir = b.kill9();
    let bv = opts_with(&["--replicaof", "127.0.0.1", &a2.port.to_string()]);
    let bv: Vec<&str> = bv.iter().map(|s| s.as_str()).collect();
    write_some(&mut ca2, "gap");
    let b2 = Server::start_in(&b_dir, &bv);
    let mut cb2 = b2.client();
    wait_until("B2 up", 20, || link_up(&mut cb2));
    in_sync(&mut ca2, &mut cb2);
    assert_eq!(
        num(&mut ca2, "sync_full"),
        0,
        "restarts never needed a full sync"
    );
    assert_eq!(num(&mut ca2, "sync_partial_ok"), 2);
}

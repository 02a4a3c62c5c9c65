//! rdb-del-sync-files on the master side: a persistence-less master that wrote
//! `dump.rdb` only to feed a replica (disk-based sync) removes it once the
//! replica has it; with the option off, or with save points, the file stays.
//! On the replica side, a persistence-less replica removes the RDB its master
//! sent once loaded.
//! The replica is a second instance of the server under test.

mod common;

use common::Server;
use std::time::{Duration, Instant};

fn q<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).unwrap_or_else(|e| panic!("{:?}: {}", args, e))
}

/// Syncs a replica from a master started with `master_args`; returns whether
/// the master's dump.rdb exists two seconds after the replica is online.
fn dump_left_after_sync(master_args: &[&str]) -> bool {
    let mut args = vec!["--repl-diskless-sync", "no"];
    args.extend_from_slice(master_args);
    let master = Server::start_with(&args);
    let mut m = master.client();
    let _: () = q(&mut m, &["SET", "k", "v"]);
    let replica = Server::start();
    let mut r = replica.client();
    let _: () = q(
        &mut r,
        &["REPLICAOF", "127.0.0.1", &master.port.to_string()],
    );
    let start = Instant::now();
    loop {
        let info: String = q(&mut r, &["INFO", "replication"]);
        if info.contains("master_link_status:up") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "replica never synced"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let v: String = q(&mut r, &["GET", "k"]);
    assert_eq!(v, "v");
    // removeRDBUsedToSyncReplicas runs from cron.
    std::thread::sleep(Duration::from_secs(2));
    let left = master.dir.join("dump.rdb").exists();
    if !left {
        assert!(master.log().contains(
            "Removing the RDB file used to feed replicas in a persistence-less instance"
        ));
    }
    left
}

#[test]
fn persistence_less_master_removes_the_sync_rdb() {
    assert!(!dump_left_after_sync(&[
        "--save",
        "",
        "--rdb-del-sync-files",
        "yes"
    ]));
}

#[test]
fn sync_rdb_stays_without_the_option_or_with_save_points() {
    assert!(dump_left_after_sync(&[
        "--save",
        "",
        "--rdb-del-sync-files",
        "no"
    ]));
    assert!(dump_left_after_sync(&[
        "--save",
        "900 1",
        "--rdb-del-sync-files",
        "yes"
    ]));
}

/// Syncs a replica started with `replica_args` (disk load) and returns whether
/// its dump.rdb exists once it is online.
fn replica_keeps_master_rdb(replica_args: &[&str]) -> bool {
    let master = Server::start();
    let mut m = master.client();
    let _: () = q(&mut m, &["SET", "k", "v"]);
    let mut args = vec!["--repl-diskless-load", "disabled", "--save", ""];
    args.extend_from_slice(replica_args);
    let replica = Server::start_with(&args);
    let mut r = replica.client();
    let _: () = q(
        &mut r,
        &["REPLICAOF", "127.0.0.1", &master.port.to_string()],
    );
    let start = Instant::now();
    while !q::<String>(&mut r, &["INFO", "replication"]).contains("master_link_status:up") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "replica never synced"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let v: String = q(&mut r, &["GET", "k"]);
    assert_eq!(v, "v");
    let left = replica.dir.join("dump.rdb").exists();
    assert_eq!(
        !left,
        replica.log().contains(
            "Removing the RDB file obtained from the master. This replica has persistence disabled"
        )
    );
    left
}

#[test]
fn persistence_less_replica_removes_the_rdb_it_loaded() {
    assert!(!replica_keeps_master_rdb(&["--rdb-del-sync-files", "yes"]));
    assert!(replica_keeps_master_rdb(&["--rdb-del-sync-files", "no"]));
}

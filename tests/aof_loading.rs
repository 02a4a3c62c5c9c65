//! Clients are served while an AOF loads, as during an RDB load: commands get
//! -LOADING, INFO reports `loading:1`, and the load goes on to the end. Covers the
//! old single-file AOF (commands only) and a 7.0 directory whose BASE file is an
//! RDB preamble (served every loading-process-events-interval-bytes).

mod common;

use common::Server;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const KEYS: usize = 20000;

fn resp(args: &[&str]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    common::resp(&a)
}

/// One command on a fresh connection, its reply's first line.
fn ask(srv: &Server, args: &[&str]) -> String {
    let mut s = srv.raw();
    s.write_all(&resp(args)).unwrap();
    let mut buf = vec![0u8; 65536];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// While the server loads: -LOADING to PING, `loading:1` in INFO; then the
/// whole dataset once the load ends.
fn watch_load(srv: &Server) {
    let ping = ask(srv, &["PING"]);
    assert_eq!(
        ping, "-LOADING Redis is loading the dataset in memory\r\n",
        "not served while loading"
    );
    let info = ask(srv, &["INFO", "persistence"]);
    assert!(info.contains("loading:1\r\n"), "{}", info);
    let start = Instant::now();
    while ask(srv, &["PING"]) != "+PONG\r\n" {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "load never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(ask(srv, &["DBSIZE"]), format!(":{}\r\n", KEYS));
    assert_eq!(ask(srv, &["GET", "key:1234"]), "$8\r\nval:1234\r\n");
    let info = ask(srv, &["INFO", "persistence"]);
    assert!(info.contains("loading:0\r\n"), "{}", info);
}

#[test]
fn clients_get_loading_while_an_old_style_aof_loads() {
    let dir = Server::new_dir();
    let mut aof = Vec::new();
    for i in 0..KEYS {
        aof.extend_from_slice(&resp(&[
            "SET",
            &format!("key:{}", i),
            &format!("val:{}", i),
        ]));
    }
    std::fs::write(dir.join("appendonly.aof"), aof).unwrap();
    let srv = Server::start_loading_in(&dir, &["--appendonly", "yes", "--key-load-delay", "50"]);
    watch_load(&srv);
}

#[test]
fn clients_get_loading_while_an_rdb_preamble_base_loads() {
    let dir = Server::new_dir();
    {
        let srv = Server::start_in(
            &dir,
            &["--appendonly", "yes", "--aof-use-rdb-preamble", "yes"],
        );
        let mut con = srv.client();
        let mut pipe = redis::pipe();
        for i in 0..KEYS {
            pipe.cmd("SET")
                .arg(format!("key:{}", i))
                .arg(format!("val:{}", i))
                .ignore();
        }
        let _: () = pipe.query(&mut con).unwrap();
        let _: String = redis::cmd("BGREWRITEAOF").query(&mut con).unwrap();
        let start = Instant::now();
        loop {
            let info: String = redis::cmd("INFO")
                .arg("persistence")
                .query(&mut con)
                .unwrap();
            if info.contains("aof_rewrite_in_progress:0")
                && info.contains("aof_rewrite_scheduled:0")
            {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "rewrite never ended"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        srv.kill9();
    }
    let base = std::fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().ends_with(".base.rdb"))
        .expect("no RDB base file after BGREWRITEAOF");
    assert!(std::fs::read(base.path()).unwrap().starts_with(b"REDIS"));
    let srv = Server::start_loading_in(
        &dir,
        &[
            "--appendonly",
            "yes",
            "--key-load-delay",
            "50",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    watch_load(&srv);
}

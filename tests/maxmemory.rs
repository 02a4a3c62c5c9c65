//! maxmemory, eviction and lazyfree through the real binary: the OOM error, which
//! keys an LFU policy keeps, and FLUSHALL/FLUSHDB ASYNC freeing on the lazyfree
//! thread (Redis's own lazyfree tests need sets and streams, issue 4).

mod common;

use common::{err_text, Server};
use redis::{cmd, Connection, Value};
use std::time::{Duration, Instant};

fn info_field(c: &mut Connection, section: &str, field: &str) -> String {
    let text: String = cmd("INFO").arg(section).query(c).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
        .trim()
        .to_string()
}

fn info_num(c: &mut Connection, section: &str, field: &str) -> u64 {
    info_field(c, section, field).parse().unwrap()
}

fn config_set(c: &mut Connection, name: &str, value: &str) {
    let _: () = cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(c)
        .unwrap();
}

fn wait_lazyfree_done(c: &mut Connection) {
    let t = Instant::now();
    while info_num(c, "memory", "lazyfree_pending_objects") != 0 {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "lazyfree never finished"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn oom_error_under_noeviction() {
    let srv = Server::start();
    let mut c = srv.client();
    if std::env::var_os("REDIS_RS_TEST_SERVER").is_none() {
        // Ours counts on top of libc's malloc (Debian's Redis says jemalloc).
        assert_eq!(info_field(&mut c, "memory", "mem_allocator"), "libc");
    }
    let _: () = cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    config_set(&mut c, "maxmemory", "1");
    let e = cmd("SET")
        .arg("k2")
        .arg("v")
        .query::<Value>(&mut c)
        .unwrap_err();
    assert_eq!(
        err_text(&e),
        "OOM command not allowed when used memory > 'maxmemory'."
    );
    // Reads and commands that free memory still run.
    assert_eq!(cmd("GET").arg("k").query::<String>(&mut c).unwrap(), "v");
    assert_eq!(cmd("DEL").arg("k").query::<i64>(&mut c).unwrap(), 1);
    assert_eq!(info_num(&mut c, "stats", "evicted_keys"), 0);
    let es: String = cmd("INFO").arg("errorstats").query(&mut c).unwrap();
    assert!(es.contains("errorstat_OOM:count=1"), "{es}");
    config_set(&mut c, "maxmemory", "0");
    let _: () = cmd("SET").arg("k2").arg("v").query(&mut c).unwrap();
}

#[test]
fn lfu_eviction_keeps_hot_keys() {
    let srv = Server::start();
    let mut c = srv.client();
    config_set(&mut c, "maxmemory-policy", "allkeys-lfu");
    // Every access counts: hot keys end far above the initial counter of 5.
    config_set(&mut c, "lfu-log-factor", "0");
    config_set(&mut c, "maxmemory-samples", "10");
    let val = "x".repeat(1000);
    for i in 0..1000 {
        let _: () = cmd("SET")
            .arg(format!("k{i}"))
            .arg(&val)
            .query(&mut c)
            .unwrap();
    }
    for _ in 0..20 {
        for i in 0..100 {
            let _: Value = cmd("GET").arg(format!("k{i}")).query(&mut c).unwrap();
        }
    }
    assert!(
        cmd("OBJECT")
            .arg("FREQ")
            .arg("k0")
            .query::<i64>(&mut c)
            .unwrap()
            >= 20
    );
    // Room for about half the keys.
    let used = info_num(&mut c, "memory", "used_memory");
    config_set(&mut c, "maxmemory", &(used - 500 * 1100).to_string());
    let evicted = info_num(&mut c, "stats", "evicted_keys");
    assert!(evicted >= 400, "evicted {evicted}");
    assert!(info_num(&mut c, "memory", "used_memory") <= used - 500 * 1100 + 4096);
    for i in 0..100 {
        let n: i64 = cmd("EXISTS").arg(format!("k{i}")).query(&mut c).unwrap();
        assert_eq!(n, 1, "hot key k{i} was evicted");
    }
    let e = cmd("OBJECT")
        .arg("IDLETIME")
        .arg("k0")
        .query::<Value>(&mut c)
        .unwrap_err();
    assert!(
        err_text(&e).contains("An LFU maxmemory policy is selected"),
        "{}",
        err_text(&e)
    );
}

#[test]
fn volatile_policies_spare_persistent_keys() {
    let srv = Server::start();
    let mut c = srv.client();
    config_set(&mut c, "maxmemory-policy", "volatile-ttl");
    let val = "x".repeat(1000);
    for i in 0..200 {
        let _: () = cmd("SET")
            .arg(format!("p{i}"))
            .arg(&val)
            .query(&mut c)
            .unwrap();
        let _: () = cmd("SETEX")
            .arg(format!("v{i}"))
            .arg(1000 + i)
            .arg(&val)
            .query(&mut c)
            .unwrap();
    }
    let used = info_num(&mut c, "memory", "used_memory");
    config_set(&mut c, "maxmemory", &(used - 100 * 1100).to_string());
    assert!(info_num(&mut c, "stats", "evicted_keys") >= 80);
    for i in 0..200 {
        let n: i64 = cmd("EXISTS").arg(format!("p{i}")).query(&mut c).unwrap();
        assert_eq!(n, 1, "persistent key p{i} was evicted");
    }
    // The keys expiring last are the last candidates.
    let n: i64 = cmd("EXISTS").arg("v199").query(&mut c).unwrap();
    assert_eq!(n, 1);
    // With no volatile key left, writes are refused.
    config_set(&mut c, "maxmemory", "1");
    assert_eq!(cmd("DBSIZE").query::<i64>(&mut c).unwrap(), 200);
    let e = cmd("SET")
        .arg("x")
        .arg("y")
        .query::<Value>(&mut c)
        .unwrap_err();
    assert!(err_text(&e).starts_with("OOM "));
}

#[test]
fn flush_async_frees_on_the_lazyfree_thread() {
    let srv = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut c = srv.client();
    let base = info_num(&mut c, "memory", "used_memory");
    let _: () = cmd("DEBUG")
        .arg("POPULATE")
        .arg(200_000)
        .query(&mut c)
        .unwrap();
    let full = info_num(&mut c, "memory", "used_memory");
    assert!(full > base + 10_000_000, "{base} -> {full}");
    let _: () = cmd("FLUSHALL").arg("ASYNC").query(&mut c).unwrap();
    assert_eq!(cmd("DBSIZE").query::<i64>(&mut c).unwrap(), 0);
    wait_lazyfree_done(&mut c);
    assert_eq!(info_num(&mut c, "memory", "lazyfreed_objects"), 200_000);
    assert!(info_num(&mut c, "memory", "used_memory") < base * 2);

    // FLUSHDB without an argument follows lazyfree-lazy-user-flush.
    let _: () = cmd("CONFIG").arg("RESETSTAT").query(&mut c).unwrap();
    assert_eq!(info_num(&mut c, "memory", "lazyfreed_objects"), 0);
    let _: () = cmd("DEBUG")
        .arg("POPULATE")
        .arg(1000)
        .query(&mut c)
        .unwrap();
    let _: () = cmd("FLUSHDB").query(&mut c).unwrap();
    assert_eq!(info_num(&mut c, "memory", "lazyfreed_objects"), 0);
    config_set(&mut c, "lazyfree-lazy-user-flush", "yes");
    let _: () = cmd("DEBUG")
        .arg("POPULATE")
        .arg(1000)
        .query(&mut c)
        .unwrap();
    let _: () = cmd("FLUSHDB").query(&mut c).unwrap();
    wait_lazyfree_done(&mut c);
    assert_eq!(info_num(&mut c, "memory", "lazyfreed_objects"), 1000);
    // Strings are one allocation each: UNLINK frees them inline.
    let _: () = cmd("SET")
        .arg("s")
        .arg("x".repeat(100_000))
        .query(&mut c)
        .unwrap();
    assert_eq!(cmd("UNLINK").arg("s").query::<i64>(&mut c).unwrap(), 1);
    assert_eq!(info_num(&mut c, "memory", "lazyfreed_objects"), 1000);
}

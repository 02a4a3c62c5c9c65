//! Client limits against the real binary: a client that floods the server with
//! requests for big replies and never reads is cut off at its class's hard output
//! limit, the server's memory stays bounded, and other clients are unaffected.
//! The same for a subscriber that stops reading while a publisher floods its
//! channel: it is cut off at the pubsub class's hard limit.

mod common;

use common::{resp, Server};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn rss_kb(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn normal_client_that_never_reads_is_closed_at_hard_limit() {
    let srv = Server::start_with(&["--client-output-buffer-limit", "normal 4mb 0 0"]);
    let mut con = srv.client();
    let big = "x".repeat(1 << 20);
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&big)
        .query(&mut con)
        .unwrap();
    let rss_before = rss_kb(srv.pid());

    // 512 GETs of 1MB each: 512MB of replies if the server buffered them all.
    let mut flood = srv.raw();
    let mut one = Vec::new();
    one.extend(resp(&[b"CLIENT", b"SETNAME", b"flooder"]));
    flood.write_all(&one).unwrap();
    let mut ok = [0u8; 5];
    flood.read_exact(&mut ok).unwrap();
    assert_eq!(&ok, b"+OK\r\n");
    let get = resp(&[b"GET", b"big"]);
    let mut req = Vec::new();
    for _ in 0..512 {
        req.extend_from_slice(&get);
    }
    // The server may close the socket mid-write; that is the expected outcome.
    let _ = flood.write_all(&req);

    let start = Instant::now();
    loop {
        let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut con).unwrap();
        if !list.contains("name=flooder") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "flooding client still connected: {list}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let rss_after = rss_kb(srv.pid());
    // Bounded: well under the 512MB the replies would take.
    assert!(
        rss_after < rss_before + 64 * 1024,
        "RSS grew from {rss_before}kB to {rss_after}kB"
    );
    // The log names the reason exactly as Redis does.
    let log = srv.log();
    assert!(
        log.contains("scheduled to be closed ASAP for overcoming of output buffer limits.")
            && log.contains("name=flooder"),
        "no limit log line in:\n{log}"
    );
    // Whatever the flooder reads back is at most what was sent before the cut.
    flood
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut got = Vec::new();
    let _ = flood.read_to_end(&mut got);
    assert!(got.len() < 16 << 20, "read {} bytes", got.len());
    // Other clients are served as before.
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn subscriber_that_never_reads_is_closed_at_pubsub_hard_limit() {
    // Redis's default pubsub class limit: hard 32mb, soft 8mb for 60 s.
    let srv = Server::start();
    let mut con = srv.client();
    let rss_before = rss_kb(srv.pid());
    let mut sub = srv.raw();
    sub.write_all(&resp(&[b"CLIENT", b"SETNAME", b"subscriber"]))
        .unwrap();
    sub.write_all(&resp(&[b"SUBSCRIBE", b"news"])).unwrap();
    let mut first = [0u8; 5];
    sub.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"+OK\r\n");
    let confirm = b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n";
    let mut got = vec![0u8; confirm.len()];
    sub.read_exact(&mut got).unwrap();
    assert_eq!(&got[..], &confirm[..]);

    // 1GB of messages if the server kept them all for the silent subscriber.
    let message = "m".repeat(1 << 20);
    let mut receivers = Vec::new();
    for _ in 0..1024 {
        let n: i64 = redis::cmd("PUBLISH")
            .arg("news")
            .arg(&message)
            .query(&mut con)
            .unwrap();
        receivers.push(n);
        if n == 0 {
            break;
        }
    }
    assert_eq!(
        receivers.last(),
        Some(&0),
        "the subscriber was never cut off"
    );
    // It received some messages before the cut, but far fewer than 1024.
    assert!(
        receivers.len() > 8 && receivers.len() < 200,
        "{}",
        receivers.len()
    );
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut con).unwrap();
    assert!(!list.contains("name=subscriber"), "{list}");
    let rss_after = rss_kb(srv.pid());
    assert!(
        rss_after < rss_before + 96 * 1024,
        "RSS grew from {rss_before}kB to {rss_after}kB"
    );
    let log = srv.log();
    assert!(
        log.contains("scheduled to be closed ASAP for overcoming of output buffer limits.")
            && log.contains("name=subscriber"),
        "no limit log line in:\n{log}"
    );
}

#[test]
fn no_limit_by_default_for_normal_clients() {
    let srv = Server::start();
    let mut con = srv.client();
    let v = "y".repeat(200_000);
    let _: () = redis::cmd("SET").arg("k").arg(&v).query(&mut con).unwrap();
    let mut p = redis::pipe();
    for _ in 0..50 {
        p.cmd("GET").arg("k");
    }
    let got: Vec<String> = p.query(&mut con).unwrap();
    assert_eq!(got.len(), 50);
    assert!(got.iter().all(|g| g.len() == 200_000));
}

/// A big bulk argument (32KB or more) reserves its whole size as soon as its
/// header arrives, as Redis does: the client's memory shows at once, so
/// `maxmemory-clients` can act before the argument is complete.
#[test]
fn big_bulk_header_reserves_its_size() {
    let srv = Server::start();
    let mut con = srv.client();
    let mut slow = srv.raw();
    slow.write_all(b"CLIENT SETNAME big\r\n").unwrap();
    let mut ok = [0u8; 5];
    slow.read_exact(&mut ok).unwrap();
    slow.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n0123456789")
        .unwrap();
    let field = |list: &str, f: &str| -> u64 {
        let line = list.lines().find(|l| l.contains("name=big")).unwrap();
        let v = line
            .split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{f}=")));
        v.unwrap().parse().unwrap()
    };
    let start = Instant::now();
    let list = loop {
        let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut con).unwrap();
        if field(&list, "qbuf") == 10 || start.elapsed() > Duration::from_secs(5) {
            break list;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // qbuf counts the bulk's bytes only (the parsed header is gone, as in Redis).
    assert_eq!(field(&list, "qbuf"), 10, "{list}");
    assert!(field(&list, "tot-mem") >= 2_000_000, "{list}");

    // Client eviction sees it: a limit under the reservation closes the client.
    let _: () = redis::cmd("CLIENT")
        .arg("NO-EVICT")
        .arg("on")
        .query(&mut con)
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-clients")
        .arg("1mb")
        .query(&mut con)
        .unwrap();
    let mut rest = Vec::new();
    assert!(
        matches!(slow.read_to_end(&mut rest), Ok(_)) && rest.is_empty(),
        "the client was not closed"
    );
    let evicted: String = redis::cmd("INFO").arg("stats").query(&mut con).unwrap();
    assert!(evicted.contains("evicted_clients:1\r\n"), "{evicted}");
}

/// Two clients that sent the same big argument weigh the same, however fast it
/// arrived: one sends it in a single write (the server finds megabytes waiting),
/// the other in small pieces. Client eviction orders clients by this figure
/// (unit/client-eviction "evict clients in right order").
#[test]
fn same_big_request_same_memory_whatever_the_arrival() {
    let srv = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut con = srv.client();
    // Big enough to be a big argument, small enough to wait whole in the socket.
    let size = 100_000;
    let mut request = format!("*2\r\n${size}\r\n").into_bytes();
    request.extend(std::iter::repeat(b'v').take(size));
    let name = |s: &mut std::net::TcpStream, n: &str| {
        s.write_all(format!("CLIENT SETNAME {n}\r\n").as_bytes())
            .unwrap();
        let mut ok = [0u8; 5];
        s.read_exact(&mut ok).unwrap();
    };
    let mut fast = srv.raw();
    name(&mut fast, "fast");
    let mut slow = srv.raw();
    name(&mut slow, "slow");
    // While the server sleeps, the whole fast request piles up in the socket.
    let sleeper = {
        let mut other = srv.client();
        std::thread::spawn(move || {
            let _: () = redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg("0.5")
                .query(&mut other)
                .unwrap();
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    let writer = {
        let mut fast = fast.try_clone().unwrap();
        let request = request.clone();
        std::thread::spawn(move || fast.write_all(&request).unwrap())
    };
    sleeper.join().unwrap();
    writer.join().unwrap();
    for piece in request.chunks(4096) {
        slow.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    let field = |list: &str, who: &str, f: &str| -> u64 {
        let line = list
            .lines()
            .find(|l| l.contains(&format!("name={who} ")))
            .unwrap();
        let v = line
            .split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{f}=")));
        v.unwrap().parse().unwrap()
    };
    let start = Instant::now();
    let list = loop {
        let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut con).unwrap();
        let done = |who| field(&list, who, "qbuf") as usize == size;
        if (done("fast") && done("slow")) || start.elapsed() > Duration::from_secs(10) {
            break list;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(field(&list, "fast", "qbuf") as usize, size, "{list}");
    assert_eq!(
        field(&list, "fast", "tot-mem"),
        field(&list, "slow", "tot-mem"),
        "{list}"
    );
}

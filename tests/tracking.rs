//! Client-side caching against the real binary, byte for byte over raw
//! sockets: RESP3 invalidation pushes (after the reply that caused them),
//! flushes, BCAST with prefixes, OPTIN/OPTOUT with CLIENT CACHING, NOLOOP,
//! REDIRECT to another connection and a broken redirection.
//! (Redirection to a RESP2 client subscribed to `__redis__:invalidate`
//! needs SUBSCRIBE, which issue 7 builds.)
//! `REDIS_RS_TEST_SERVER=/usr/bin/redis-server cargo test --test tracking`
//! runs the same expectations against real Redis.

mod common;

use common::{resp, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A connection that reads whole RESP3 frames.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

fn line_end(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| from + i)
}

/// End of the RESP3 frame starting at `pos`, None if incomplete.
fn frame_end(b: &[u8], pos: usize) -> Option<usize> {
    let e = line_end(b, pos)?;
    let num = || -> i64 {
        std::str::from_utf8(&b[pos + 1..e])
            .unwrap()
            .parse()
            .unwrap()
    };
    match b[pos] {
        b'+' | b'-' | b':' | b'_' | b'#' | b',' | b'(' => Some(e + 2),
        b'$' | b'=' | b'!' => {
            let n = num();
            if n < 0 {
                return Some(e + 2);
            }
            let end = e + 2 + n as usize + 2;
            (end <= b.len()).then_some(end)
        }
        b'*' | b'>' | b'~' | b'%' | b'|' => {
            let n = num();
            let n = if b[pos] == b'%' || b[pos] == b'|' {
                2 * n
            } else {
                n
            };
            let mut p = e + 2;
            for _ in 0..n.max(0) {
                p = frame_end(b, p)?;
            }
            Some(p)
        }
        c => panic!("not RESP3: {:?}", c as char),
    }
}

impl Conn {
    fn new(srv: &Server) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.set_nodelay(true).ok();
        Conn { s, buf: Vec::new() }
    }

    fn send(&mut self, args: &[&str]) {
        let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
        self.s.write_all(&resp(&a)).unwrap();
    }

    /// The next whole frame.
    fn read(&mut self) -> String {
        loop {
            if !self.buf.is_empty() {
                if let Some(end) = frame_end(&self.buf, 0) {
                    let f: Vec<u8> = self.buf.drain(..end).collect();
                    return String::from_utf8_lossy(&f).into_owned();
                }
            }
            let mut chunk = [0u8; 65536];
            let n = self.s.read(&mut chunk).expect("reading a frame");
            assert!(n > 0, "connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn cmd(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.read()
    }

    /// Nothing else is waiting: a PING's reply is the very next frame.
    fn assert_quiet(&mut self) {
        let r = self.cmd(&["PING"]);
        assert!(r == "+PONG\r\n", "expected nothing before PONG, got {r:?}");
    }

    fn resp3(srv: &Server) -> Conn {
        let mut c = Conn::new(srv);
        assert!(c.cmd(&["HELLO", "3"]).starts_with('%'));
        c
    }

    fn id(&mut self) -> String {
        let r = self.cmd(&["CLIENT", "ID"]);
        r.trim_start_matches(':').trim_end().to_string()
    }
}

fn invalidate(keys: &[&str]) -> String {
    let mut s = format!(">2\r\n$10\r\ninvalidate\r\n*{}\r\n", keys.len());
    for k in keys {
        s.push_str(&format!("${}\r\n{}\r\n", k.len(), k));
    }
    s
}

#[test]
fn resp3_push_after_write_and_flush() {
    let srv = Server::start();
    let mut c = Conn::resp3(&srv);
    let mut w = Conn::new(&srv);
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on"]), "+OK\r\n");
    assert_eq!(w.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    // A key never read is not reported.
    assert_eq!(w.cmd(&["SET", "other", "v"]), "+OK\r\n");
    assert_eq!(w.cmd(&["SET", "k", "v2"]), "+OK\r\n");
    assert_eq!(c.read(), invalidate(&["k"]));
    // The table entry went with the message: a second write says nothing.
    assert_eq!(w.cmd(&["SET", "k", "v3"]), "+OK\r\n");
    c.assert_quiet();

    // The client's own write: the push comes after its reply.
    assert_eq!(c.cmd(&["GET", "k"]), "$2\r\nv3\r\n");
    assert_eq!(c.cmd(&["DEL", "k"]), ":1\r\n");
    assert_eq!(c.read(), invalidate(&["k"]));

    // A flush invalidates everything with a null, even keys never read.
    assert_eq!(w.cmd(&["FLUSHALL"]), "+OK\r\n");
    assert_eq!(c.read(), ">2\r\n$10\r\ninvalidate\r\n_\r\n");
    // ...and the tracking client's own FLUSHDB: reply first.
    assert_eq!(c.cmd(&["FLUSHDB"]), "+OK\r\n");
    assert_eq!(c.read(), ">2\r\n$10\r\ninvalidate\r\n_\r\n");

    // A RESP2 client without redirection has nowhere to receive pushes.
    let mut r2 = Conn::new(&srv);
    assert_eq!(r2.cmd(&["CLIENT", "TRACKING", "on"]), "+OK\r\n");
    assert_eq!(r2.cmd(&["GET", "x"]), "$-1\r\n");
    assert_eq!(w.cmd(&["SET", "x", "1"]), "+OK\r\n");
    r2.assert_quiet();
}

#[test]
fn expiry_invalidates() {
    let srv = Server::start();
    let mut c = Conn::resp3(&srv);
    let mut w = Conn::new(&srv);
    assert_eq!(w.cmd(&["SET", "e", "v", "PX", "50"]), "+OK\r\n");
    c.cmd(&["CLIENT", "TRACKING", "on"]);
    assert_eq!(c.cmd(&["GET", "e"]), "$1\r\nv\r\n");
    // The active expire cycle removes it without any command.
    assert_eq!(c.read(), invalidate(&["e"]));
}

#[test]
fn bcast_prefixes_and_noloop() {
    let srv = Server::start();
    let mut c = Conn::resp3(&srv);
    let mut w = Conn::new(&srv);
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:", "PREFIX", "b:"]),
        "+OK\r\n"
    );
    // Keys need not be read; one message per prefix, keys in order.
    assert_eq!(
        w.cmd(&["MSET", "a:2", "1", "c:1", "1", "b:1", "1", "a:1", "1"]),
        "+OK\r\n"
    );
    assert_eq!(c.read(), invalidate(&["a:1", "a:2"]));
    assert_eq!(c.read(), invalidate(&["b:1"]));
    c.assert_quiet();

    assert!(c
        .cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a"])
        .starts_with("-ERR Prefix 'a' overlaps with an existing prefix 'a:'. "));
    assert!(c
        .cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "xy"])
        .starts_with("-ERR Prefix 'x' overlaps with another provided prefix 'xy'. "));
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on"]),
        "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"
    );
    let info = c.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert_eq!(
        info,
        "%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n$2\r\na:\r\n$2\r\nb:\r\n"
    );

    // NOLOOP: the client's own writes are left out, others' still come.
    c.cmd(&["CLIENT", "TRACKING", "off"]);
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["SET", "mine", "1"]), "+OK\r\n");
    c.assert_quiet();
    assert_eq!(w.cmd(&["SET", "theirs", "1"]), "+OK\r\n");
    assert_eq!(c.read(), invalidate(&["theirs"]));
}

#[test]
fn optin_optout_and_noloop() {
    let srv = Server::start();
    let mut c = Conn::resp3(&srv);
    let mut w = Conn::new(&srv);
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on", "OPTIN"]), "+OK\r\n");
    c.cmd(&["GET", "k1"]);
    assert_eq!(w.cmd(&["SET", "k1", "1"]), "+OK\r\n");
    c.assert_quiet();
    assert_eq!(c.cmd(&["CLIENT", "CACHING", "yes"]), "+OK\r\n");
    c.cmd(&["GET", "k2"]);
    // CACHING yes covers only the next command.
    c.cmd(&["GET", "k3"]);
    assert_eq!(w.cmd(&["MSET", "k2", "1", "k3", "1"]), "+OK\r\n");
    assert_eq!(c.read(), invalidate(&["k2"]));
    c.assert_quiet();
    assert_eq!(
        c.cmd(&["CLIENT", "CACHING", "no"]),
        "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT"]),
        "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"
    );

    c.cmd(&["CLIENT", "TRACKING", "off"]);
    assert_eq!(
        c.cmd(&["CLIENT", "CACHING", "yes"]),
        "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT", "NOLOOP"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["CLIENT", "CACHING", "no"]), "+OK\r\n");
    c.cmd(&["GET", "o1"]);
    c.cmd(&["GET", "o2"]);
    assert_eq!(w.cmd(&["MSET", "o1", "1", "o2", "1"]), "+OK\r\n");
    assert_eq!(c.read(), invalidate(&["o2"]));
    // NOLOOP: its own write of a key it read says nothing...
    c.cmd(&["GET", "o3"]);
    assert_eq!(c.cmd(&["SET", "o3", "1"]), "+OK\r\n");
    c.assert_quiet();
    // ...and the key left the table.
    assert_eq!(w.cmd(&["SET", "o3", "2"]), "+OK\r\n");
    c.assert_quiet();
    let info = c.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert!(
        info.contains("~3\r\n$2\r\non\r\n$6\r\noptout\r\n$6\r\nnoloop\r\n"),
        "{info}"
    );
}

#[test]
fn redirect_and_broken_redirect() {
    let srv = Server::start();
    let mut target = Conn::resp3(&srv);
    let tid = target.id();
    let mut c = Conn::new(&srv); // RESP2: its invalidations go to `target`
    let mut w = Conn::new(&srv);
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", "999999"]),
        "-ERR The client ID you want redirect to does not exist\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &tid]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["CLIENT", "GETREDIR"]), format!(":{tid}\r\n"));
    let list = c.cmd(&["CLIENT", "INFO"]);
    assert!(
        list.contains(" flags=t ") && list.contains(&format!(" redir={tid} ")),
        "{list}"
    );
    c.cmd(&["GET", "k"]);
    assert_eq!(w.cmd(&["SET", "k", "1"]), "+OK\r\n");
    assert_eq!(target.read(), invalidate(&["k"]));
    c.assert_quiet();

    // The target's own write of a key the other client read: as in Redis the
    // message is written to it at once, so it comes before the reply.
    c.cmd(&["GET", "k"]);
    target.send(&["SET", "k", "2"]);
    assert_eq!(target.read(), invalidate(&["k"]));
    assert_eq!(target.read(), "+OK\r\n");

    let mut stats = Conn::new(&srv);
    let text = stats.cmd(&["INFO"]);
    assert!(text.contains("tracking_clients:1\r\n"), "{text}");

    // The target goes away: a RESP3 tracking client is told, and its flags say so.
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["GET", "k"]);
    drop(target);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(w.cmd(&["SET", "k", "3"]), "+OK\r\n");
    assert_eq!(
        c.read(),
        format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{tid}\r\n")
    );
    let ti = c.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert!(
        ti.contains("~2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n"),
        "{ti}"
    );
    let me = c.cmd(&["CLIENT", "INFO"]);
    assert!(me.contains(" flags=tR "), "{me}");
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "off"]), "+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETREDIR"]), ":-1\r\n");
}

#[test]
fn table_limit_and_info() {
    let srv = Server::start();
    let mut c = Conn::resp3(&srv);
    let mut w = Conn::new(&srv);
    c.cmd(&["CLIENT", "TRACKING", "on"]);
    for k in ["a", "b", "c", "d"] {
        c.cmd(&["GET", k]);
    }
    let text = w.cmd(&["INFO", "stats"]);
    assert!(text.contains("tracking_total_keys:4\r\n"), "{text}");
    assert!(text.contains("tracking_total_items:4\r\n"), "{text}");
    // Lowering the limit evicts keys from the table, telling their readers.
    assert_eq!(
        w.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "1"]),
        "+OK\r\n"
    );
    for _ in 0..3 {
        let f = c.read();
        assert!(f.starts_with(">2\r\n$10\r\ninvalidate\r\n*1\r\n"), "{f}");
    }
    c.assert_quiet();
    let text = w.cmd(&["INFO", "stats"]);
    assert!(text.contains("tracking_total_keys:1\r\n"), "{text}");
}

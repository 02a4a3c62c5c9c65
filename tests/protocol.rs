//! The wire protocol over raw sockets: pipelining, requests split at every byte,
//! inline commands, and protocol errors that close only the offending connection.

mod common;

use common::{read_replies, read_to_close, resp, Server};
use std::io::Write;
use std::net::Shutdown;

#[test]
fn pipeline_10k_commands_in_one_write() {
    let srv = Server::start();
    let mut s = srv.raw();
    let mut req = Vec::new();
    let mut want = Vec::new();
    for i in 0..5000 {
        let k = format!("key:{i}");
        let v = format!("value:{i}:{}", "x".repeat(i % 50));
        req.extend(resp(&[b"SET", k.as_bytes(), v.as_bytes()]));
        req.extend(resp(&[b"GET", k.as_bytes()]));
        want.extend_from_slice(b"+OK\r\n");
        want.extend_from_slice(format!("${}\r\n{v}\r\n", v.len()).as_bytes());
    }
    // Write from another thread so a full socket buffer on our side never stalls the server.
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || w.write_all(&req).unwrap());
    let got = read_replies(&mut s, 10_000);
    writer.join().unwrap();
    assert_eq!(got.len(), want.len());
    assert!(
        got == want,
        "pipelined replies differ from the expected ones"
    );
}

#[test]
fn inline_commands_pipelined() {
    let srv = Server::start();
    let mut s = srv.raw();
    s.write_all(b"SET a \"hello world\"\r\nGET a\nPING\r\n\r\nECHO 'x y'\r\nSET b \"\\x41\\n\"\r\nGET b\r\n")
        .unwrap();
    let got = read_replies(&mut s, 6);
    assert_eq!(
        String::from_utf8_lossy(&got),
        "+OK\r\n$11\r\nhello world\r\n+PONG\r\n$3\r\nx y\r\n+OK\r\n$2\r\nA\n\r\n"
    );
}

#[test]
fn request_split_at_every_byte() {
    let srv = Server::start();
    let mut s = srv.raw();
    let mut req = resp(&[b"SET", b"split", b"across\r\nwrites"]);
    req.extend(resp(&[b"GET", b"split"]));
    req.extend_from_slice(b"PING\r\n");
    for b in &req {
        s.write_all(std::slice::from_ref(b)).unwrap();
    }
    let got = read_replies(&mut s, 3);
    assert_eq!(&got[..], b"+OK\r\n$14\r\nacross\r\nwrites\r\n+PONG\r\n");
}

#[test]
fn empty_and_negative_requests_are_ignored() {
    let srv = Server::start();
    let mut s = srv.raw();
    s.write_all(b"\r\n*-10\r\n*0\r\n\n*-1\r\nPING\r\n").unwrap();
    assert_eq!(&read_replies(&mut s, 1)[..], b"+PONG\r\n");
}

/// Every malformed request gets Redis's exact error, then the server closes that
/// connection, and only that one.
#[test]
fn protocol_errors_close_only_that_connection() {
    let srv = Server::start();
    let mut other = srv.raw();
    other
        .write_all(&resp(&[b"SET", b"survivor", b"1"]))
        .unwrap();
    assert_eq!(&read_replies(&mut other, 1)[..], b"+OK\r\n");
    let cases: &[(&[u8], &str)] = &[
        (
            b"*3000000000\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
            "-ERR Protocol error: expected '$', got 'f'\r\n",
        ),
        (
            b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\nfoo\r\n",
            "-ERR Protocol error: expected '$', got 'f'\r\n",
        ),
        (
            b"*x\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"set \"\"\"test-key\"\"\" test-value\r\nping\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ];
    for (req, want) in cases {
        let mut s = srv.raw();
        s.write_all(req).unwrap();
        let got = read_to_close(&mut s).expect("server should close the connection");
        assert_eq!(
            String::from_utf8_lossy(&got),
            *want,
            "reply to {:?}",
            String::from_utf8_lossy(req)
        );
        // The other client is still served, and sees the data.
        other.write_all(&resp(&[b"GET", b"survivor"])).unwrap();
        assert_eq!(&read_replies(&mut other, 1)[..], b"$1\r\n1\r\n");
    }
}

#[test]
fn commands_before_a_protocol_error_still_run() {
    let srv = Server::start();
    let mut s = srv.raw();
    let mut req = resp(&[b"SET", b"before", b"yes"]);
    req.extend_from_slice(b"*1\r\n$x\r\n");
    s.write_all(&req).unwrap();
    let got = read_to_close(&mut s).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&got),
        "+OK\r\n-ERR Protocol error: invalid bulk length\r\n"
    );
    let mut c = srv.raw();
    c.write_all(&resp(&[b"GET", b"before"])).unwrap();
    assert_eq!(&read_replies(&mut c, 1)[..], b"$3\r\nyes\r\n");
}

#[test]
fn too_big_inline_request() {
    let srv = Server::start();
    let mut s = srv.raw();
    // 64 KiB of inline request without a newline: Redis gives up on it.
    let junk = vec![b'a'; 70 * 1024];
    let _ = s.write_all(&junk);
    let got = read_to_close(&mut s).unwrap_or_default();
    assert_eq!(
        String::from_utf8_lossy(&got),
        "-ERR Protocol error: too big inline request\r\n"
    );
    let mut c = srv.raw();
    c.write_all(b"PING\r\n").unwrap();
    assert_eq!(&read_replies(&mut c, 1)[..], b"+PONG\r\n");
}

#[test]
fn client_closing_mid_request_does_not_disturb_others() {
    let srv = Server::start();
    let mut keep = srv.raw();
    for _ in 0..50 {
        let mut s = srv.raw();
        s.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\npartial")
            .unwrap();
        s.shutdown(Shutdown::Both).unwrap();
    }
    keep.write_all(b"PING\r\n").unwrap();
    assert_eq!(&read_replies(&mut keep, 1)[..], b"+PONG\r\n");
    keep.write_all(&resp(&[b"GET", b"k"])).unwrap();
    assert_eq!(&read_replies(&mut keep, 1)[..], b"$-1\r\n");
}

/// `echo PING | nc host port` style clients: the request and the client's EOF arrive
/// together; the reply must still be sent and the connection then closed.
#[test]
fn half_closed_client_gets_replies_then_is_freed() {
    let srv = Server::start();
    for req in [&b"PING\r\n"[..], b"*", b"PING", b"*1\r\n$4\r\nPI"] {
        let mut s = srv.raw();
        s.set_read_timeout(Some(std::time::Duration::from_secs(3)))
            .unwrap();
        s.write_all(req).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let got = read_to_close(&mut s).unwrap_or_else(|e| {
            panic!(
                "no close after EOF following {:?}: {e}",
                String::from_utf8_lossy(req)
            )
        });
        let want: &[u8] = if req == b"PING\r\n" {
            b"+PONG\r\n"
        } else {
            b""
        };
        assert_eq!(got, want);
    }
}

/// protocol.tcl "Protocol desync regression test": junk that never forms a request
/// must end in a protocol error once 64 KiB have arrived, not grow the buffer forever.
#[test]
fn protocol_desync_regressions() {
    let srv = Server::start();
    for (seq, want) in [
        (
            &b"\x00"[..],
            "-ERR Protocol error: too big inline request\r\n",
        ),
        (
            b"*\x00",
            "-ERR Protocol error: too big mbulk count string\r\n",
        ),
        (b"$\x00", "-ERR Protocol error: too big inline request\r\n"),
    ] {
        let mut s = srv.raw();
        s.write_all(seq).unwrap();
        let mut w = s.try_clone().unwrap();
        // The Tcl test writes the word "payload" until the server gives up on it.
        let writer = std::thread::spawn(move || {
            let chunk = b"payload".repeat(1024);
            for _ in 0..100 {
                if w.write_all(&chunk).is_err() {
                    return;
                }
            }
        });
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        // Read until the reply line is complete; a reset may follow it.
        while !got.ends_with(b"\r\n") {
            match std::io::Read::read(&mut s, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        writer.join().unwrap();
        assert_eq!(String::from_utf8_lossy(&got), want, "after {seq:?}");
    }
}

/// Redis finds the end of an inline request with strchr, so a NUL before the newline
/// hides it: the request is not run, and the server waits for 64 KiB of input.
#[test]
fn inline_request_with_nul_waits_like_redis() {
    let srv = Server::start();
    let mut s = srv.raw();
    s.write_all(b"PI\x00G\r\nPING\r\n").unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 64];
    match std::io::Read::read(&mut s, &mut buf) {
        Err(e)
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::TimedOut => {}
        other => panic!(
            "expected no reply yet, got {other:?} {:?}",
            String::from_utf8_lossy(&buf)
        ),
    }
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let _ = s.write_all(&vec![b'x'; 70 * 1024]);
    let got = read_to_close(&mut s).unwrap_or_default();
    assert_eq!(
        String::from_utf8_lossy(&got),
        "-ERR Protocol error: too big inline request\r\n"
    );
}

//! Request-parser fuzzing over TCP: a million generated and mutated requests (valid RESP,
//! inline commands, corrupted headers, random bytes) sent over thousands of connections.
//! The server must stay up, answer every connection with well-formed RESP2 only, end
//! each one with a protocol error (see `trailer`), never stall, and keep serving a
//! well-behaved client throughout. Deterministic (fixed seeds);
//! REDIS_RS_FUZZ_INPUTS overrides the number of inputs.

mod common;

use common::{count_replies, read_replies, resp, Server};
use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const INPUTS_PER_CONN: usize = 100;
/// Percent of inputs mutated. A mutation that breaks the framing ends its connection
/// (protocol error, or the rest of the batch read as one long argument), so this rate
/// sets how much of each batch the server really parses: most of it, as checked below.
const MUTATE_PCT: usize = 2;
const THREADS: u64 = 4;
/// Past this the run stops early (a slow machine is not a server bug); it still must
/// have pushed a meaningful share of the inputs through.
const TIME_BUDGET: Duration = Duration::from_secs(90);

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
}

/// Commands the mutations start from: harmless ones only (nothing that shuts down,
/// blocks forever, or flushes), on a small set of keys so memory stays bounded.
fn base_command(r: &mut Rng) -> Vec<Vec<u8>> {
    let key = format!("fz:{}", r.below(64)).into_bytes();
    let val = vec![b'a' + r.below(26) as u8; r.below(40)];
    let w = |s: &str| s.as_bytes().to_vec();
    match r.below(12) {
        0 => vec![w("PING")],
        1 => vec![w("PING"), val],
        2 => vec![w("ECHO"), val],
        3 => vec![w("SET"), key, val],
        4 => vec![w("GET"), key],
        5 => vec![w("SET"), key, val, w("EX"), w("100")],
        6 => vec![w("SET"), key, val, w("PX"), w("50"), w("NX")],
        7 => vec![w("SELECT"), r.below(16).to_string().into_bytes()],
        8 => vec![w("INCR"), key],
        9 => vec![w("DEL"), key],
        10 => vec![w("MGET"), key.clone(), key],
        _ => (0..r.below(5))
            .map(|_| (0..r.below(8)).map(|_| byte(r)).collect())
            .collect(),
    }
}

fn inline(args: &[Vec<u8>], r: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            v.push(b' ');
        }
        if r.chance(30) {
            v.push(b'"');
            v.extend_from_slice(a);
            v.push(b'"');
        } else {
            v.extend_from_slice(a);
        }
    }
    v.extend_from_slice(if r.chance(80) { b"\r\n" } else { b"\n" });
    v
}

/// No NUL: Redis finds an inline request's end with strchr, so a NUL hides the newline
/// and it waits for 64 KiB of input, which the trailer does not send. That quirk has its
/// own test in protocol.rs.
const SPECIAL: &[u8] = b"\r\n*$:+-\"'\\ 0123456789x\x01";

/// A random byte other than NUL (see SPECIAL).
fn byte(r: &mut Rng) -> u8 {
    (r.next() % 255) as u8 + 1
}

fn mutate(v: &mut Vec<u8>, r: &mut Rng) {
    for _ in 0..1 + r.below(3) {
        if v.is_empty() {
            v.push(SPECIAL[r.below(SPECIAL.len())]);
            continue;
        }
        let i = r.below(v.len());
        match r.below(6) {
            0 => v[i] = byte(r),
            1 => v[i] = SPECIAL[r.below(SPECIAL.len())],
            2 => {
                v.remove(i);
            }
            3 => v.insert(i, SPECIAL[r.below(SPECIAL.len())]),
            4 => v.truncate(i),
            _ => {
                let end = (i + 1 + r.below(8)).min(v.len());
                let chunk = v[i..end].to_vec();
                v.splice(i..i, chunk);
            }
        }
    }
}

/// Inputs with five or more digits in a row are drawn again: they could announce a bulk
/// longer than TRAILER, which would swallow it and leave the connection waiting.
fn input(r: &mut Rng) -> Vec<u8> {
    loop {
        let v = raw_input(r);
        if !v.windows(5).any(|w| w.iter().all(u8::is_ascii_digit)) {
            return v;
        }
    }
}

fn raw_input(r: &mut Rng) -> Vec<u8> {
    if r.chance(1) {
        return (0..1 + r.below(40)).map(|_| byte(r)).collect();
    }
    let args = base_command(r);
    let arg_refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    let mut v = if r.chance(75) {
        resp(&arg_refs)
    } else {
        inline(&args, r)
    };
    if r.chance(MUTATE_PCT) {
        mutate(&mut v, r);
    }
    v
}

/// Ends every batch, whatever state the mutations left the parser in, with a protocol
/// error, so Redis closes the connection by itself: an unfinished header line or inline
/// command is ended by the CRLF; an unfinished bulk (at most 9999 bytes, see `input`)
/// swallows part of the x's; the rest of the x's is an unknown inline command or a
/// missing '$'; and "*1\r\nx\r\n" is the final "expected '$', got 'x'" (Redis looks
/// for the CR before it checks for '$').
fn trailer() -> Vec<u8> {
    let mut t = b"\r\n".to_vec();
    t.extend(std::iter::repeat(b'x').take(10_010));
    t.extend_from_slice(b"\r\n*1\r\nx\r\n");
    t
}

/// Keeps a failing input (batch plus trailer) for replaying by hand; returns its path.
fn save_input(batch: &[u8]) -> String {
    let f = std::env::temp_dir().join(format!(
        "redis-rs-fuzz-{}-{}.bin",
        std::process::id(),
        batch.len()
    ));
    let mut data = batch.to_vec();
    data.extend(trailer());
    let _ = std::fs::write(&f, data);
    f.display().to_string()
}

/// Sends one batch plus the trailer on a fresh connection and reads everything the server
/// answers until it closes. Returns the reply bytes, or None if the server reset the
/// connection (it may, having closed on a protocol error with our bytes unread).
fn run_batch(port: u16, batch: &[u8]) -> Option<Vec<u8>> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect during fuzzing");
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut data = batch.to_vec();
    data.extend(trailer());
    // Written from another thread: the server may stop reading (it closed on an error).
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&data);
        let _ = w.shutdown(Shutdown::Write);
    });
    let mut out = Vec::new();
    let res = s.read_to_end(&mut out);
    let _ = writer.join();
    match res {
        Ok(_) => Some(out),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => None,
        Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
            let f = save_input(batch);
            panic!(
                "server stalled: no protocol error and close within 15 s ({} bytes sent, {} answered); input saved in {}",
                batch.len(),
                out.len(),
                f
            )
        }
        Err(e) => panic!("reading replies: {e}"),
    }
}

#[test]
fn fuzz_request_parser_over_tcp() {
    let total: usize = std::env::var("REDIS_RS_FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut srv = Server::start();
    let port = srv.port;
    let start = Instant::now();
    let sent = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let replies = Arc::new(AtomicUsize::new(0));

    // A well-behaved client that must be answered correctly all along.
    let watcher = {
        let stop = stop.clone();
        let mut s = srv.raw();
        std::thread::spawn(move || {
            let mut rounds = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let v = format!("watch-{rounds}");
                let mut req = resp(&[b"SET", b"watcher-key", v.as_bytes()]);
                req.extend(resp(&[b"GET", b"watcher-key"]));
                req.extend_from_slice(b"PING\r\n");
                s.write_all(&req).unwrap();
                let got = read_replies(&mut s, 3);
                let want = format!("+OK\r\n${}\r\n{v}\r\n+PONG\r\n", v.len());
                assert_eq!(String::from_utf8_lossy(&got), want);
                rounds += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            rounds
        })
    };

    let conns = total.div_ceil(INPUTS_PER_CONN);
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let sent = sent.clone();
            let replies = replies.clone();
            std::thread::spawn(move || {
                let mut r = Rng(0x9E37_79B9_7F4A_7C15 ^ (t + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
                let mut c = t as usize;
                while c < conns && start.elapsed() < TIME_BUDGET {
                    let n = INPUTS_PER_CONN.min(total - c * INPUTS_PER_CONN);
                    let mut batch = Vec::new();
                    for _ in 0..n {
                        batch.extend(input(&mut r));
                    }
                    if let Some(out) = run_batch(port, &batch) {
                        // Only complete, well-formed RESP2 replies (count_replies panics on junk).
                        let (n, used) = count_replies(&out);
                        replies.fetch_add(n, Ordering::Relaxed);
                        let tail = String::from_utf8_lossy(&out[out.len().saturating_sub(200)..]).into_owned();
                        if !tail.rsplit("\r\n").nth(1).is_some_and(|l| l.starts_with("-ERR Protocol error: ")) {
                            let f = save_input(&batch);
                            panic!("the connection did not end with a protocol error: {tail:?}; input saved in {f}");
                        }
                        assert_eq!(
                            used,
                            out.len(),
                            "truncated reply at the end of {:?}",
                            String::from_utf8_lossy(&out[used.saturating_sub(100)..])
                        );
                    }
                    sent.fetch_add(n, Ordering::Relaxed);
                    c += THREADS as usize;
                }
            })
        })
        .collect();
    let mut failed = None;
    for w in workers {
        if let Err(e) = w.join() {
            failed.get_or_insert(e);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let rounds = watcher
        .join()
        .expect("the well-behaved client was not served correctly");
    if let Some(e) = failed {
        std::panic::resume_unwind(e);
    }
    let sent = sent.load(Ordering::Relaxed);
    let replies = replies.load(Ordering::Relaxed);
    eprintln!(
        "fuzz: {sent} inputs over {conns} connections, {replies} replies, in {:?}; watcher rounds {rounds}",
        start.elapsed()
    );
    assert!(srv.alive(), "server died during fuzzing");
    assert!(
        sent >= total.min(100_000),
        "only {sent} inputs went through in {TIME_BUDGET:?}"
    );
    // Most inputs must really have been parsed and answered, or the fuzz tests little.
    assert!(
        replies * 2 >= sent,
        "only {replies} replies to {sent} inputs"
    );
    // Still fully functional afterwards.
    let mut s = srv.raw();
    s.write_all(&resp(&[b"SET", b"after", b"fuzz"])).unwrap();
    s.write_all(&resp(&[b"GET", b"after"])).unwrap();
    assert_eq!(&read_replies(&mut s, 2)[..], b"+OK\r\n$4\r\nfuzz\r\n");
}

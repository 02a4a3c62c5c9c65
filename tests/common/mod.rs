//! Shared support for the integration tests: starts the real `redis-server` binary on a
//! free port in its own temporary directory, waits until it answers, and stops it when
//! the handle is dropped. Also raw-socket and redis-cli helpers.
//!
//! Ports: if `REDIS_RS_TEST_PORTS=FIRST-LAST` is set (./runtest sets it to its own range),
//! servers take ports from that range; otherwise the kernel picks a free ephemeral port.
//! `REDIS_RS_TEST_SERVER=/usr/bin/redis-server` runs the same tests against real Redis,
//! which is how the expectations here were checked.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_redis-server");

static NEXT_PORT: AtomicU32 = AtomicU32::new(0);
static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

pub struct Server {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

fn server_bin() -> PathBuf {
    match std::env::var_os("REDIS_RS_TEST_SERVER") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => BIN.into(),
    }
}

fn port_range() -> Option<(u16, u16)> {
    let v = std::env::var("REDIS_RS_TEST_PORTS").ok()?;
    let (a, b) = v.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// A port nobody listens on right now. Within the configured range the ports are
/// handed out round-robin, so concurrent tests of one binary never pick the same one.
fn free_port() -> u16 {
    match port_range() {
        Some((first, last)) => {
            let n = (last - first + 1) as u32;
            for _ in 0..n {
                let p = first + (NEXT_PORT.fetch_add(1, Ordering::Relaxed) % n) as u16;
                if TcpListener::bind(("127.0.0.1", p)).is_ok() {
                    return p;
                }
            }
            panic!("no free port in REDIS_RS_TEST_PORTS={first}-{last}");
        }
        None => TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("binding an ephemeral port"),
    }
}

fn temp_dir() -> PathBuf {
    let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("redis-rs-test-{}-{}", std::process::id(), n));
    std::fs::create_dir_all(&d).expect("creating the server's temp dir");
    d
}

impl Server {
    /// Starts a server with no persistence, as Redis's tests do.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts a server with extra command-line arguments (`--name value` pairs).
    pub fn start_with(extra: &[&str]) -> Server {
        Server::start_in(&temp_dir(), extra)
    }

    /// A fresh temporary directory for `start_in`.
    pub fn new_dir() -> PathBuf {
        temp_dir()
    }

    /// Starts a server in `dir` (which keeps what earlier servers left there: a restart).
    pub fn start_in(dir: &Path, extra: &[&str]) -> Server {
        Server::start_bin_in(&server_bin(), dir, extra)
    }

    /// Starts a server in `dir` and returns as soon as it answers PING, even with
    /// -LOADING (for tests that watch a dataset load).
    pub fn start_loading_in(dir: &Path, extra: &[&str]) -> Server {
        Server::spawn(&server_bin(), dir, extra, true)
    }

    /// Starts the given server binary in `dir` (interop tests run Debian's redis-server).
    pub fn start_bin_in(bin: &Path, dir: &Path, extra: &[&str]) -> Server {
        Server::spawn(bin, dir, extra, false)
    }

    fn spawn(bin: &Path, dir: &Path, extra: &[&str], loading_ok: bool) -> Server {
        let dir = dir.to_path_buf();
        let mut last_log = String::new();
        // A port can be taken between the check and the server's bind: try a few.
        for _ in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(dir.join("stdout.log")).unwrap();
            let child = Command::new(bin)
                .arg("--port")
                .arg(port.to_string())
                .args(extra)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("spawning redis-server");
            let mut srv = Server {
                child,
                port,
                dir: dir.clone(),
            };
            if srv.wait_ready(Duration::from_secs(10), loading_ok) {
                return srv;
            }
            last_log = srv.log();
            let _ = srv.child.kill();
            let _ = srv.child.wait();
            std::mem::forget(srv); // keep the dir for the next try; nothing else to release
        }
        panic!("redis-server did not start; its last log:\n{last_log}");
    }

    fn wait_ready(&mut self, timeout: Duration, loading_ok: bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                s.set_read_timeout(Some(Duration::from_secs(2))).ok();
                let mut buf = [0u8; 7];
                if s.write_all(b"PING\r\n").is_ok()
                    && s.read_exact(&mut buf).is_ok()
                    && (&buf == b"+PONG\r\n" || (loading_ok && &buf == b"-LOADIN"))
                {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// kill -9, and keep the directory (for a restart with `start_in`).
    pub fn kill9(mut self) -> PathBuf {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = self.dir.clone();
        std::mem::forget(self);
        dir
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What the server wrote to stdout/stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("stdout.log")).unwrap_or_default()
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A connection through the `redis` crate.
    pub fn client(&self) -> redis::Connection {
        let c = redis::Client::open(self.url()).unwrap();
        let con = c
            .get_connection_with_timeout(Duration::from_secs(5))
            .unwrap();
        con.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        con
    }

    /// A raw TCP connection with a read timeout, for byte-exact checks.
    pub fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).ok();
        s
    }

    /// Runs `redis-cli -p <port> ARGS...` to completion.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(redis_cli())
            .arg("-p")
            .arg(self.port.to_string())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("running redis-cli")
    }

    /// Runs `redis-cli` for at most `secs` seconds (for the modes that never end by
    /// themselves). stdout is line-buffered through stdbuf so output before the stop is kept.
    pub fn cli_for(&self, secs: u32, args: &[&str]) -> Output {
        let mut cmd = Command::new("timeout");
        cmd.arg(secs.to_string());
        if which("stdbuf").is_some() {
            cmd.arg("stdbuf").arg("-oL");
        }
        cmd.arg(redis_cli())
            .arg("-p")
            .arg(self.port.to_string())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("running timeout redis-cli")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("server log kept in {}:\n{}", self.dir.display(), self.log());
        }
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| Path::new(f).is_file())
    })
}

/// Debian's redis-cli (package redis-tools; ./runtest installs it).
pub fn redis_cli() -> PathBuf {
    which("redis-cli")
        .expect("redis-cli is not installed: apt-get install redis-tools (./runtest does it)")
}

/// "CODE detail" of an error reply, as the server sent it (without the leading '-').
pub fn err_text(e: &redis::RedisError) -> String {
    match (e.code(), e.detail()) {
        (Some(c), Some(d)) => format!("{c} {d}"),
        (Some(c), None) => c.to_string(),
        _ => e.to_string(),
    }
}

/// Reads until `n` complete RESP2 replies arrived; returns the raw bytes.
pub fn read_replies(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        if count_replies(&buf).0 >= n {
            return buf;
        }
        let r = s.read(&mut chunk).expect("reading replies");
        if r == 0 {
            panic!(
                "connection closed after {} of {n} replies: {:?}",
                count_replies(&buf).0,
                String::from_utf8_lossy(&buf[buf.len().saturating_sub(200)..])
            );
        }
        buf.extend_from_slice(&chunk[..r]);
    }
}

/// Reads until the server closes the connection.
pub fn read_to_close(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    Ok(buf)
}

/// Counts the complete RESP2 replies at the start of `b`; returns (count, bytes used).
/// Panics on bytes that are not RESP2: the server must never send anything else.
pub fn count_replies(b: &[u8]) -> (usize, usize) {
    let mut pos = 0;
    let mut n = 0;
    while let Some(end) = one_reply(b, pos) {
        pos = end;
        n += 1;
    }
    (n, pos)
}

fn line_end(b: &[u8], from: usize) -> Option<usize> {
    b[from..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| from + i)
}

/// End offset of the reply starting at `pos`, or None if it is incomplete.
fn one_reply(b: &[u8], pos: usize) -> Option<usize> {
    if pos >= b.len() {
        return None;
    }
    let e = line_end(b, pos)?;
    let line = &b[pos + 1..e];
    let num = || -> i64 {
        std::str::from_utf8(line)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad length line {:?}", String::from_utf8_lossy(&b[pos..e])))
    };
    match b[pos] {
        b'+' | b'-' => Some(e + 2),
        b':' => {
            num();
            Some(e + 2)
        }
        b'$' => {
            let n = num();
            if n < 0 {
                return Some(e + 2);
            }
            let end = e + 2 + n as usize + 2;
            if end > b.len() {
                return None;
            }
            assert_eq!(&b[end - 2..end], b"\r\n", "bulk not terminated by CRLF");
            Some(end)
        }
        b'*' => {
            let n = num();
            let mut p = e + 2;
            for _ in 0..n.max(0) {
                p = one_reply(b, p)?;
            }
            Some(p)
        }
        c => panic!(
            "not a RESP2 reply (first byte {:?}) at offset {pos}: {:?}",
            c as char,
            String::from_utf8_lossy(&b[pos..(pos + 80).min(b.len())])
        ),
    }
}

/// Encodes one command as a RESP multibulk request.
pub fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// Sends one command through the `redis` crate.
pub fn cmd(con: &mut redis::Connection, args: &[&str]) -> redis::RedisResult<redis::Value> {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

/// The error of a reply that must be one ("CODE detail").
pub fn err_of(r: redis::RedisResult<redis::Value>) -> String {
    match r {
        Ok(v) => panic!("expected an error reply, got {v:?}"),
        Err(e) => err_text(&e),
    }
}

/// The error reply to a command that must fail ("CODE detail").
pub fn err(con: &mut redis::Connection, args: &[&str]) -> String {
    err_of(cmd(con, args))
}

/// The elements of an array reply of bulk strings / integers / nils ("nil") as text.
pub fn strs(v: redis::Value) -> Vec<String> {
    use redis::Value;
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::BulkString(b) => String::from_utf8(b).unwrap(),
                Value::Int(n) => n.to_string(),
                Value::Nil => "nil".to_string(),
                other => panic!("unexpected {:?}", other),
            })
            .collect(),
        other => panic!("not an array: {:?}", other),
    }
}

/// A reply as one line of text, the notation of `check` scripts: `+status`, `-ERR text`,
/// `:42`, bulk strings bare (`""` when empty; bytes outside printable ASCII, and `\`, as `\xNN`), `(nil)`,
/// arrays `[a, b]`, RESP3 maps `{k: v}`, sets `~[a]`, doubles `,1.5`.
pub fn show(v: &redis::Value) -> String {
    use redis::Value;
    let list = |items: &[Value]| items.iter().map(show).collect::<Vec<_>>().join(", ");
    match v {
        Value::Nil => "(nil)".into(),
        Value::Int(n) => format!(":{n}"),
        Value::BulkString(b) if b.is_empty() => "\"\"".into(),
        Value::BulkString(b) => escape(b),
        Value::Array(items) => format!("[{}]", list(items)),
        Value::Set(items) => format!("~[{}]", list(items)),
        Value::Map(pairs) => {
            let kv: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}: {}", show(k), show(v)))
                .collect();
            format!("{{{}}}", kv.join(", "))
        }
        Value::SimpleString(s) => format!("+{}", escape(s.as_bytes())),
        Value::Okay => "+OK".into(),
        Value::Double(d) => format!(",{d}"),
        Value::Boolean(b) => format!(":{}", *b as i32),
        Value::ServerError(e) => format!("-{} {}", e.code(), e.details().unwrap_or("")),
        other => format!("{other:?}"),
    }
}

fn escape(b: &[u8]) -> String {
    b.iter()
        .map(|&c| match c {
            0x20..=0x7e if c != b'\\' => (c as char).to_string(),
            _ => format!("\\x{c:02x}"),
        })
        .collect()
}

/// Runs a command and shows its reply, or `-` and the error text.
pub fn run(con: &mut redis::Connection, args: &[&str]) -> String {
    match cmd(con, args) {
        Ok(v) => show(&v),
        Err(e) => format!("-{}", err_text(&e)),
    }
}

/// Splits a script command into arguments at spaces; `"..."` quotes an argument that is
/// empty or holds spaces.
fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix('"') {
            let end = q
                .find('"')
                .unwrap_or_else(|| panic!("unclosed quote in {s:?}"));
            out.push(q[..end].to_string());
            rest = q[end + 1..].trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    out
}

/// Runs a script of `command args => expected reply` lines (in `show`'s notation; `#` lines
/// and blank lines are skipped) in order on one connection, and fails listing every line
/// whose reply differs. The scripts' replies are recorded from Redis 7.0.15 with
/// `utils/record-replies`.
pub fn check(con: &mut redis::Connection, script: &str) {
    let mut bad = Vec::new();
    for line in script.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (command, want) = line
            .split_once(" => ")
            .unwrap_or_else(|| panic!("script line without ' => ': {line:?}"));
        let args = split_args(command);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let got = run(con, &argv);
        if got != want.trim() {
            bad.push(format!(
                "{command}\n    want {}\n    got  {got}",
                want.trim()
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} replies differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

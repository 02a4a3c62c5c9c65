//! The Lua debugger (Redis's ldb in eval.c): SCRIPT DEBUG YES|SYNC|NO, the
//! debugging session an EVAL of a client in debug mode runs in, and the
//! REPL the line hook enters when the script stops. Like Redis, the session
//! talks to the client's socket directly and blockingly while the script
//! is stopped (redis-cli --ldb speaks this protocol): commands are read as
//! RESP arrays, every answer is an array of status lines. A SYNC session
//! runs in the server itself and keeps its changes; a YES session forks,
//! the child runs the script for the client and exits, so its changes are
//! lost with it, and the parent drops its side of the connection.
//!
//! The state is per thread, as Redis's global `ldb` is: the Lua hook and
//! the redis.call logging reach it without a path through the server.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Instant;

use mlua::{DebugEvent, Function, HookTriggers, Lua, MultiValue, Table, Value};

use super::script_error;
use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::Server;

const BREAKPOINTS_MAX: usize = 64;
const MAX_LEN_DEFAULT: usize = 256;
/// Nesting shown when printing values (LUA_MINSTACK/2).
const MAX_VALUES_DEPTH: usize = 10;

#[derive(Default)]
struct Ldb {
    /// Clients in debug mode: id → SYNC (true) or forked (false).
    clients: HashMap<u64, bool>,
    active: bool,
    forked: bool,
    fd: i32,
    logs: Vec<Vec<u8>>,
    bp: Vec<i32>,
    step: bool,
    luabp: bool,
    src: Vec<Vec<u8>>,
    currentline: i32,
    cbuf: Vec<u8>,
    maxlen: usize,
    maxlen_hint_sent: bool,
    /// When the script last resumed, for the infinite-loop stop.
    resumed: Option<Instant>,
    time_limit_ms: i64,
}

thread_local! {
    static LDB: RefCell<Ldb> = RefCell::new(Ldb::default());
}

/// Runs `f` on the debugger state; never call Lua while inside.
fn with<R>(f: impl FnOnce(&mut Ldb) -> R) -> R {
    LDB.with(|l| f(&mut l.borrow_mut()))
}

fn log(entry: Vec<u8>) {
    with(|l| l.logs.push(entry));
}

/// ldbLogWithMaxLen: long entries are cut, with a one-time hint.
fn log_max_len(mut entry: Vec<u8>) {
    with(|l| {
        let mut trimmed = false;
        if l.maxlen != 0 && entry.len() > l.maxlen {
            entry.truncate(l.maxlen);
            entry.extend_from_slice(b" ...");
            trimmed = true;
        }
        l.logs.push(entry);
        if trimmed && !l.maxlen_hint_sent {
            l.maxlen_hint_sent = true;
            l.logs.push(
                b"<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.".to_vec(),
            );
        }
    });
}

/// ldbIsEnabled: a session is on and stepping (redis.call logs then).
pub fn is_enabled() -> bool {
    with(|l| l.active && l.step)
}

/// Logs a command a script calls (ldb "<redis>" lines).
pub fn log_command(argv: &[Vec<u8>]) {
    if !is_enabled() {
        return;
    }
    let mut s = b"<redis>".to_vec();
    for (j, a) in argv.iter().enumerate() {
        if j == 10 {
            s.extend_from_slice(format!(" ... ({} more)", argv.len() - j - 1).as_bytes());
            break;
        }
        s.push(b' ');
        s.extend_from_slice(a);
    }
    log(s);
}

/// Logs an error redis.call raises (luaPushErrorBuff's "<error>" line).
pub fn log_error(msg: &[u8]) {
    if is_enabled() {
        log([b"<error> ".as_slice(), msg].concat());
    }
}

/// Logs a command's reply in the human form of ldbRedisProtocolToHuman.
pub fn log_reply(reply: &[u8]) {
    if is_enabled() {
        log_reply_always(reply);
    }
}

fn log_reply_always(reply: &[u8]) {
    let mut out = b"<reply> ".to_vec();
    let mut p = 0;
    proto_to_human(&mut out, reply, &mut p);
    log_max_len(out);
}

fn line_at(b: &[u8], p: usize) -> (&[u8], usize) {
    let end = b[p..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| p + i)
        .unwrap_or(b.len());
    (&b[p..end], (end + 2).min(b.len()))
}

fn repr_into(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(crate::networking::client_cmd::repr_bytes(s).as_bytes());
    out.push(b'"');
}

fn proto_to_human(out: &mut Vec<u8>, b: &[u8], p: &mut usize) {
    if *p >= b.len() {
        return;
    }
    let (line, next) = line_at(b, *p);
    let body = &line[1..];
    let count = || crate::util::parse_i64(body).unwrap_or(0);
    match line[0] {
        b':' => {
            out.extend_from_slice(body);
            *p = next;
        }
        b'$' => {
            let n = count();
            if n < 0 {
                out.extend_from_slice(b"NULL");
                *p = next;
            } else {
                let end = (next + n as usize).min(b.len());
                repr_into(out, &b[next..end]);
                *p = (end + 2).min(b.len());
            }
        }
        b'+' | b'-' => {
            repr_into(out, line);
            *p = next;
        }
        b'*' => {
            let n = count();
            *p = next;
            if n < 0 {
                out.extend_from_slice(b"NULL");
                return;
            }
            out.push(b'[');
            for j in 0..n {
                proto_to_human(out, b, p);
                if j != n - 1 {
                    out.push(b',');
                }
            }
            out.push(b']');
        }
        b'~' => {
            let n = count();
            *p = next;
            out.extend_from_slice(b"~(");
            for j in 0..n {
                proto_to_human(out, b, p);
                if j != n - 1 {
                    out.push(b',');
                }
            }
            out.push(b')');
        }
        b'%' => {
            let n = count();
            *p = next;
            out.push(b'{');
            for j in 0..n {
                proto_to_human(out, b, p);
                out.extend_from_slice(b" => ");
                proto_to_human(out, b, p);
                if j != n - 1 {
                    out.push(b',');
                }
            }
            out.push(b'}');
        }
        b'_' => {
            out.extend_from_slice(b"(null)");
            *p = next;
        }
        b'#' => {
            out.extend_from_slice(if body.first() == Some(&b't') {
                b"#true"
            } else {
                b"#false"
            });
            *p = next;
        }
        b',' => {
            out.extend_from_slice(b"(double) ");
            out.extend_from_slice(body);
            *p = next;
        }
        _ => *p = b.len(),
    }
}

/// ldbCatStackValueRec: a Lua value as the debugger prints it.
fn cat_value(out: &mut Vec<u8>, v: &Value, level: usize) {
    if level == MAX_VALUES_DEPTH {
        out.extend_from_slice(b"<max recursion level reached! Nested table?>");
        return;
    }
    let level = level + 1;
    match v {
        Value::String(s) => repr_into(out, s.as_bytes()),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(n) => out.extend_from_slice(crate::util::fmt_g(*n as f64, 6).as_bytes()),
        Value::Number(n) => out.extend_from_slice(crate::util::fmt_g(*n, 6).as_bytes()),
        Value::Nil => out.extend_from_slice(b"nil"),
        Value::Table(t) => {
            let mut expected = 1.0;
            let mut is_array = true;
            let mut repr1 = Vec::new();
            let mut repr2 = Vec::new();
            for pair in t.clone().pairs::<Value, Value>() {
                let Ok((k, v)) = pair else { break };
                let kn = match k {
                    Value::Integer(i) => Some(i as f64),
                    Value::Number(n) => Some(n),
                    _ => None,
                };
                if is_array && kn != Some(expected) {
                    is_array = false;
                }
                cat_value(&mut repr1, &v, level);
                repr1.extend_from_slice(b"; ");
                repr2.push(b'[');
                cat_value(&mut repr2, &k, level);
                repr2.extend_from_slice(b"]=");
                cat_value(&mut repr2, &v, level);
                repr2.extend_from_slice(b"; ");
                expected += 1.0;
            }
            for r in [&mut repr1, &mut repr2] {
                if !r.is_empty() {
                    r.truncate(r.len() - 2);
                }
            }
            out.push(b'{');
            out.extend_from_slice(if is_array { &repr1 } else { &repr2 });
            out.push(b'}');
        }
        other => {
            let name = match other {
                Value::Function(_) => "function",
                Value::Thread(_) => "thread",
                Value::LightUserData(_) => "light-userdata",
                _ => "userdata",
            };
            out.extend_from_slice(format!("\"{}@{:p}\"", name, other.to_pointer()).as_bytes());
        }
    }
}

fn log_value(prefix: &[u8], v: &Value) {
    let mut s = prefix.to_vec();
    cat_value(&mut s, v, 0);
    log_max_len(s);
}

/// ldbSendLogs: the pending log lines as one array of status replies.
fn send_logs() {
    let (fd, logs) = with(|l| (l.fd, std::mem::take(&mut l.logs)));
    let mut proto = format!("*{}\r\n", logs.len()).into_bytes();
    for mut e in logs {
        for b in e.iter_mut() {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        proto.push(b'+');
        proto.extend_from_slice(&e);
        proto.extend_from_slice(b"\r\n");
    }
    // Errors surface at the next read, which ends the session (as Redis).
    let _ = write_all(fd, &proto);
}

fn write_all(fd: i32, mut b: &[u8]) -> std::io::Result<()> {
    while !b.is_empty() {
        // SAFETY: writing from a live slice to the client's socket fd.
        let n = unsafe { libc::write(fd, b.as_ptr() as *const libc::c_void, b.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        b = &b[n as usize..];
    }
    Ok(())
}

/// connBlock / connNonBlock plus the 5 s send timeout of a session.
fn set_blocking(fd: i32, blocking: bool) {
    // SAFETY: fcntl/setsockopt on the client's own socket fd with valid
    // arguments; failures leave the socket as it was.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        if fl >= 0 {
            let fl = if blocking {
                fl & !libc::O_NONBLOCK
            } else {
                fl | libc::O_NONBLOCK
            };
            libc::fcntl(fd, libc::F_SETFL, fl);
        }
        let tv = libc::timeval {
            tv_sec: if blocking { 5 } else { 0 },
            tv_usec: 0,
        };
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            &tv as *const libc::timeval as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

/// SCRIPT DEBUG YES|SYNC|NO.
pub fn script_debug(c: &mut Client, argv: &Argv) {
    if c.reply.len() > c.sent {
        c.add_error("SCRIPT DEBUG must be called outside a pipeline");
        return;
    }
    let mode = argv.get(2);
    if mode.eq_ignore_ascii_case(b"no") {
        with(|l| l.clients.remove(&c.id));
    } else if mode.eq_ignore_ascii_case(b"yes") || mode.eq_ignore_ascii_case(b"sync") {
        let sync = mode.eq_ignore_ascii_case(b"sync");
        with(|l| {
            l.clients.insert(c.id, sync);
            l.logs.clear();
            l.fd = c.fd;
            l.step = true;
            l.bp.clear();
            l.luabp = false;
            l.cbuf.clear();
            l.maxlen = MAX_LEN_DEFAULT;
            l.maxlen_hint_sent = false;
        });
    } else {
        c.add_error("Use SCRIPT DEBUG YES/SYNC/NO");
        return;
    }
    c.add_ok();
}

/// The client's debug mode: Some(sync) when SCRIPT DEBUG YES/SYNC is on.
pub fn debug_mode(c: &Client) -> Option<bool> {
    with(|l| l.clients.get(&c.id).copied())
}

/// ldbStartSession: false when the caller must not run the script (the
/// parent of a forked session, or a failed fork).
pub fn start_session(srv: &mut Server, c: &mut Client, body: &[u8], sync: bool) -> bool {
    if !sync {
        // SAFETY: fork() of this single-threaded event loop; the child only
        // runs the script for this client and _exits in end_session.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            c.add_error(&format!(
                "Fork() failed: can't run EVAL in debugging mode: {}",
                std::io::Error::last_os_error()
            ));
            return false;
        }
        if pid > 0 {
            // The child owns the session; the parent's copy of the socket goes.
            with(|l| l.clients.remove(&c.id));
            c.flags.set(ClientFlags::CLOSE_ASAP);
            reap_later(pid);
            return false;
        }
        // SAFETY: the child ignores the signals the parent handles.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_IGN);
            libc::signal(libc::SIGINT, libc::SIG_IGN);
        }
        log::warn!("Redis forked for debugging eval");
    } else {
        log::warn!("Redis synchronous debugging eval session started");
    }
    set_blocking(c.fd, true);
    let mut src = body.to_vec();
    while matches!(src.last(), Some(b'\n') | Some(b'\r')) {
        src.pop();
    }
    let lines: Vec<Vec<u8>> = if src.is_empty() {
        Vec::new()
    } else {
        src.split(|&b| b == b'\n').map(|l| l.to_vec()).collect()
    };
    let limit = srv.config.get_i64("busy-reply-threshold");
    with(|l| {
        l.forked = !sync;
        l.fd = c.fd;
        l.active = true;
        l.src = lines;
        l.time_limit_ms = if limit > 0 { limit } else { 5000 };
    });
    true
}

/// ldbEndSession: the last logs and "<endsession>", then the EVAL reply
/// and the connection's end (a forked child exits here).
pub fn end_session(_srv: &mut Server, c: &mut Client) {
    log(b"<endsession>".to_vec());
    send_logs();
    if with(|l| l.forked) {
        let out = c.reply[c.sent.min(c.reply.len())..].to_vec();
        let _ = write_all(c.fd, &out);
        log::warn!("Lua debugging session child exiting");
        // SAFETY: the forked child ends without running the parent's exit paths.
        unsafe { libc::_exit(0) };
    }
    log::warn!("Redis synchronous debugging eval session ended");
    set_blocking(c.fd, false);
    c.flags.set(ClientFlags::CLOSE_AFTER_REPLY);
    with(|l| {
        l.clients.remove(&c.id);
        l.src.clear();
        l.active = false;
    });
}

thread_local! {
    static CHILDREN: RefCell<Vec<i32>> = const { RefCell::new(Vec::new()) };
}

/// Forked sessions are reaped whenever a new one starts or a script runs
/// (they are not the server's persistence child, which has its own slot).
fn reap_later(pid: i32) {
    CHILDREN.with(|c| c.borrow_mut().push(pid));
    reap();
}

fn reap() {
    CHILDREN.with(|c| {
        c.borrow_mut().retain(|&pid| {
            let mut status = 0;
            // SAFETY: non-blocking wait on a child this module forked.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            r == 0
        })
    });
}

/// Installs the line hook when a session is active (luaCallFunction with
/// debug_enabled); returns whether it did, so the caller removes it.
pub fn attach(lua: &Lua) -> bool {
    reap();
    if !with(|l| l.active) {
        return false;
    }
    with(|l| l.resumed = Some(Instant::now()));
    lua.set_hook(
        HookTriggers {
            every_line: true,
            every_nth_instruction: Some(100000),
            ..Default::default()
        },
        line_hook,
    );
    true
}

/// luaLdbLineHook: stops on a step, a breakpoint, redis.breakpoint() or
/// a script running past the busy threshold, and runs the REPL.
fn line_hook(lua: &Lua, ar: mlua::Debug) -> mlua::Result<()> {
    let line = ar.curr_line();
    let in_script = ar
        .source()
        .short_src
        .map(|s| s.contains("user_script"))
        .unwrap_or(false);
    let count_event = matches!(ar.event(), DebugEvent::Count);
    let stop = with(|l| {
        l.currentline = line;
        let bp = l.bp.contains(&line) || l.luabp;
        if !in_script {
            return None;
        }
        let mut timeout = false;
        if count_event && !l.step && !bp {
            let elapsed = l
                .resumed
                .map(|t| t.elapsed().as_millis() as i64)
                .unwrap_or(0);
            if elapsed >= l.time_limit_ms {
                timeout = true;
                l.step = true;
            } else {
                return None;
            }
        }
        if !(l.step || bp) {
            return None;
        }
        let reason = if bp {
            if l.luabp {
                "redis.breakpoint() called"
            } else {
                "break point"
            }
        } else if timeout {
            "timeout reached, infinite loop?"
        } else {
            "step over"
        };
        l.step = false;
        l.luabp = false;
        l.logs
            .push(format!("* Stopped at {}, stop reason = {}", line, reason).into_bytes());
        Some(timeout)
    });
    let Some(timeout) = stop else {
        return Ok(());
    };
    log_source_line(line);
    send_logs();
    if !repl(lua)? && timeout {
        return Err(script_error(
            b"ERR timeout during Lua debugging with client closing connection".to_vec(),
        ));
    }
    with(|l| l.resumed = Some(Instant::now()));
    Ok(())
}

fn source_line(l: &Ldb, line: i32) -> Vec<u8> {
    if line < 1 || line as usize > l.src.len() {
        return b"<out of range source code line>".to_vec();
    }
    l.src[line as usize - 1].clone()
}

fn log_source_line(lnum: i32) {
    with(|l| {
        let bp = l.bp.contains(&lnum);
        let current = l.currentline == lnum;
        let prefix = match (current, bp) {
            (true, true) => "->#",
            (true, false) => "-> ",
            (false, true) => "  #",
            _ => "   ",
        };
        let mut s = format!("{}{:<3} ", prefix, lnum).into_bytes();
        s.extend_from_slice(&source_line(l, lnum));
        l.logs.push(s);
    });
}

fn list(around: i32, context: i32) {
    let lines = with(|l| l.src.len() as i32);
    for j in 1..=lines {
        if around != 0 && (around - j).abs() > context {
            continue;
        }
        log_source_line(j);
    }
}

/// C's atoi: optional blanks and sign, then digits; anything else stops.
fn atoi(b: &[u8]) -> i64 {
    let mut i = 0;
    while i < b.len() && (b[i] == b' ' || (9..=13).contains(&b[i])) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut n: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        n = n.wrapping_mul(10).wrapping_add((b[i] - b'0') as i64);
        i += 1;
    }
    if neg {
        -n
    } else {
        n
    }
}

/// ldbReplParseCommand's forgiving RESP parser: Ok(None) to read more,
/// Err on a protocol error. C string functions stop at a NUL byte, and
/// so does the search here.
fn parse_command(buf: &[u8]) -> Result<Option<Vec<Vec<u8>>>, ()> {
    if buf.is_empty() {
        return Ok(None);
    }
    let cstr_end = |from: usize| {
        buf[from..]
            .iter()
            .position(|&b| b == 0)
            .map(|i| from + i)
            .unwrap_or(buf.len())
    };
    let find_crlf = |from: usize| -> Option<usize> {
        let end = cstr_end(from);
        buf[from..end]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|i| from + i)
    };
    let end0 = cstr_end(0);
    let Some(star) = buf[..end0].iter().position(|&b| b == b'*') else {
        return Err(());
    };
    let Some(crlf) = find_crlf(star) else {
        return Ok(None);
    };
    let argc = atoi(&buf[star + 1..crlf]);
    if argc <= 0 || argc > 1024 {
        return Err(());
    }
    let mut p = crlf + 2;
    let mut argv = Vec::new();
    while (argv.len() as i64) < argc {
        if p >= buf.len() || buf[p] == 0 {
            return Ok(None);
        }
        if buf[p] != b'$' {
            return Err(());
        }
        let Some(crlf) = find_crlf(p) else {
            return Ok(None);
        };
        let slen = atoi(&buf[p + 1..crlf]);
        if slen <= 0 || slen > 1024 {
            return Err(());
        }
        p = crlf + 2;
        let slen = slen as usize;
        if p + slen + 2 > buf.len() {
            return Ok(None);
        }
        argv.push(buf[p..p + slen].to_vec());
        p += slen;
        if &buf[p..p + 2] != b"\r\n" {
            return Err(());
        }
        p += 2;
    }
    Ok(Some(argv))
}

/// Reads the next debugger command; None when the client went away.
fn read_command() -> mlua::Result<Option<Vec<Vec<u8>>>> {
    loop {
        let parsed = with(|l| parse_command(&l.cbuf));
        match parsed {
            Ok(Some(argv)) => {
                with(|l| l.cbuf.clear());
                return Ok(Some(argv));
            }
            Err(()) => return Err(script_error(b"ERR protocol error".to_vec())),
            Ok(None) => {}
        }
        let fd = with(|l| l.fd);
        let mut buf = [0u8; 1024];
        // SAFETY: reading into a live stack buffer from the client's socket.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 {
            with(|l| {
                l.step = false;
                l.bp.clear();
            });
            return Ok(None);
        }
        let too_big = with(|l| {
            l.cbuf.extend_from_slice(&buf[..n as usize]);
            if l.cbuf.len() > 1 << 20 {
                l.cbuf.clear();
                true
            } else {
                false
            }
        });
        if too_big {
            return Err(script_error(b"ERR max client buffer reached".to_vec()));
        }
    }
}

const HELP: &[&str] = &[
    "Redis Lua debugger help:",
    "[h]elp               Show this help.",
    "[s]tep               Run current line and stop again.",
    "[n]ext               Alias for step.",
    "[c]ontinue           Run till next breakpoint.",
    "[l]ist               List source code around current line.",
    "[l]ist [line]        List source code around [line].",
    "                     line = 0 means: current position.",
    "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
    "                     to show before/after [line].",
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    "[p]rint              Show all the local variables.",
    "[p]rint <var>        Show the value of the specified variable.",
    "                     Can also show global vars KEYS and ARGV.",
    "[b]reak              Show all breakpoints.",
    "[b]reak <line>       Add a breakpoint to the specified line.",
    "[b]reak -<line>      Remove breakpoint from the specified line.",
    "[b]reak 0            Remove all breakpoints.",
    "[t]race              Show a backtrace.",
    "[e]val <code>        Execute some Lua code (in a different callframe).",
    "[r]edis <cmd>        Execute a Redis command.",
    "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
    "                     Specifying zero as <len> means unlimited.",
    "[a]bort              Stop the execution of the script. In sync",
    "                     mode dataset changes will be retained.",
    "",
    "Debugger functions you can call from Lua scripts:",
    "redis.debug()        Produce logs in the debugger console.",
    "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
    "                     next line of code.",
];

/// ldbRepl: runs debugger commands until one resumes the script. Ok(false)
/// when the client closed the connection.
fn repl(lua: &Lua) -> mlua::Result<bool> {
    loop {
        let Some(argv) = read_command()? else {
            return Ok(false);
        };
        let cmd = argv[0].as_slice();
        let is = |a: &[u8], b: &[u8]| cmd.eq_ignore_ascii_case(a) || cmd.eq_ignore_ascii_case(b);
        if is(b"h", b"help") {
            for h in HELP {
                log(h.as_bytes().to_vec());
            }
        } else if is(b"s", b"step") || is(b"n", b"next") {
            with(|l| l.step = true);
            return Ok(true);
        } else if is(b"c", b"continue") {
            return Ok(true);
        } else if is(b"t", b"trace") {
            trace(lua)?;
        } else if is(b"m", b"maxlen") {
            maxlen(&argv);
        } else if is(b"b", b"break") {
            breakpoints(&argv);
        } else if is(b"e", b"eval") {
            eval(lua, &argv)?;
        } else if is(b"a", b"abort") {
            return Err(script_error(
                b"ERR script aborted for user request".to_vec(),
            ));
        } else if argv.len() > 1 && is(b"r", b"redis") {
            redis(lua, &argv)?;
        } else if is(b"p", b"print") {
            if argv.len() == 2 {
                print(lua, &argv[1])?;
            } else {
                print_all(lua)?;
            }
        } else if is(b"l", b"list") {
            let mut around = with(|l| l.currentline);
            let mut ctx = 5;
            if argv.len() > 1 {
                let n = atoi(&argv[1]) as i32;
                if n > 0 {
                    around = n;
                }
            }
            if argv.len() > 2 {
                ctx = atoi(&argv[2]) as i32;
            }
            list(around, ctx);
        } else if is(b"w", b"whole") {
            list(1, 1000000);
        } else {
            log(
                b"<error> Unknown Redis Lua debugger command or wrong number of arguments."
                    .to_vec(),
            );
        }
        send_logs();
    }
}

fn maxlen(argv: &[Vec<u8>]) {
    with(|l| {
        if argv.len() == 2 {
            let mut v = atoi(&argv[1]) as i32 as i64;
            l.maxlen_hint_sent = true;
            if v != 0 && v <= 60 {
                v = 60;
            }
            l.maxlen = v as usize;
        }
        let msg = if l.maxlen != 0 {
            format!(
                "<value> replies are truncated at {} bytes.",
                l.maxlen as i32
            )
        } else {
            "<value> replies are unlimited.".to_string()
        };
        l.logs.push(msg.into_bytes());
    });
}

fn breakpoints(argv: &[Vec<u8>]) {
    if argv.len() == 1 {
        let bps = with(|l| l.bp.clone());
        if bps.is_empty() {
            log(b"No breakpoints set. Use 'b <line>' to add one.".to_vec());
        } else {
            log(format!("{} breakpoints set:", bps.len()).into_bytes());
            for b in bps {
                log_source_line(b);
            }
        }
        return;
    }
    for arg in &argv[1..] {
        let Some(line) = crate::util::parse_i64(arg) else {
            let mut s = b"Invalid argument:'".to_vec();
            s.extend_from_slice(arg);
            s.push(b'\'');
            log(s);
            continue;
        };
        if line == 0 {
            with(|l| l.bp.clear());
            log(b"All breakpoints removed.".to_vec());
        } else if line > 0 {
            let line32 = line as i32;
            let outcome = with(|l| {
                if l.bp.len() == BREAKPOINTS_MAX {
                    Some("Too many breakpoints set.")
                } else if line > 0 && line <= l.src.len() as i64 && !l.bp.contains(&line32) {
                    l.bp.push(line32);
                    None
                } else {
                    Some("Wrong line number.")
                }
            });
            match outcome {
                Some(msg) => log(msg.as_bytes().to_vec()),
                None => list(line32, 1),
            }
        } else {
            let line32 = (-line) as i32;
            let removed = with(|l| match l.bp.iter().position(|&b| b == line32) {
                Some(i) => {
                    l.bp.remove(i);
                    true
                }
                None => false,
            });
            log(if removed {
                b"Breakpoint removed.".to_vec()
            } else {
                b"No breakpoint in the specified line.".to_vec()
            });
        }
    }
}

/// Lua's own error text of a failed load/call (lua_tostring of the error).
fn lua_error_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_error_text(cause),
        other => other.to_string(),
    }
}

fn eval(lua: &Lua, argv: &[Vec<u8>]) -> mlua::Result<()> {
    let code = argv[1..].join(&b' ');
    let expr = [b"return ".as_slice(), &code].concat();
    let f = match lua.load(&expr).set_name("@ldb_eval").into_function() {
        Ok(f) => f,
        Err(_) => match lua.load(&code).set_name("@ldb_eval").into_function() {
            Ok(f) => f,
            Err(e) => {
                log(format!("<error> {}", lua_error_text(&e)).into_bytes());
                return Ok(());
            }
        },
    };
    match f.call::<_, MultiValue>(()) {
        Ok(mv) => {
            let v = mv.into_iter().next().unwrap_or(Value::Nil);
            log_value(b"<retval> ", &v);
        }
        Err(e) => log(format!("<error> {}", lua_error_text(&e)).into_bytes()),
    }
    Ok(())
}

/// ldbRedis: redis.call with stepping forced on, so the command and its
/// reply are logged by the ordinary redis.call path.
fn redis(lua: &Lua, argv: &[Vec<u8>]) -> mlua::Result<()> {
    let redis: Table = lua.globals().get("redis")?;
    let call: Function = redis.get("call")?;
    let mut args = Vec::with_capacity(argv.len() - 1);
    for a in &argv[1..] {
        args.push(Value::String(lua.create_string(a)?));
    }
    with(|l| l.step = true);
    let _ = call.call::<_, MultiValue>(MultiValue::from_vec(args));
    with(|l| l.step = false);
    Ok(())
}

/// The Lua helpers print and trace use: the debug library lives in the
/// registry only, out of the scripts' reach.
fn helper<'l>(lua: &'l Lua, name: &str, code: &str) -> mlua::Result<Function<'l>> {
    let key = format!("ldb_{}", name);
    if let Ok(f) = lua.named_registry_value::<Function>(&key) {
        return Ok(f);
    }
    let dbg: Table = lua.named_registry_value("ldb_debug")?;
    let f: Function = lua.load(code).set_name("=ldb").call(dbg)?;
    lua.set_named_registry_value(&key, f.clone())?;
    Ok(f)
}

// Level 1 of a helper is the helper, level 2 the code the hook stopped in.
const LOCALS: &str = r#"
local dbg = ...
return function(all_levels)
  local out, level = {}, 2
  while dbg.getinfo(level, 'l') do
    local i = 1
    while true do
      local name, value = dbg.getlocal(level, i)
      if name == nil then break end
      out[#out + 1] = {name, value}
      i = i + 1
    end
    if not all_levels then break end
    level = level + 1
  end
  return out
end
"#;

const FRAMES: &str = r#"
local dbg = ...
return function()
  local out, level = {}, 2
  while true do
    local ar = dbg.getinfo(level, 'Snl')
    if not ar then break end
    out[#out + 1] = {ar.short_src, ar.name or false, ar.currentline}
    level = level + 1
  end
  return out
end
"#;

fn locals<'l>(lua: &'l Lua, all_levels: bool) -> mlua::Result<Vec<(Vec<u8>, Value<'l>)>> {
    let f = helper(lua, "locals", LOCALS)?;
    let t: Table = f.call(all_levels)?;
    let mut out = Vec::new();
    for e in t.sequence_values::<Table>() {
        let e = e?;
        let name: mlua::String = e.raw_get(1)?;
        let v: Value = e.raw_get(2)?;
        out.push((name.as_bytes().to_vec(), v));
    }
    Ok(out)
}

fn print(lua: &Lua, name: &[u8]) -> mlua::Result<()> {
    for (n, v) in locals(lua, true)? {
        if n == name {
            log_value(b"<value> ", &v);
            return Ok(());
        }
    }
    if name == b"ARGV" || name == b"KEYS" {
        let ctx: Table = lua.named_registry_value("redis_ctx")?;
        let globals: Table = ctx.get("globals")?;
        let v: Value = globals.raw_get(lua.create_string(name)?)?;
        log_value(b"<value> ", &v);
    } else {
        log(b"No such variable.".to_vec());
    }
    Ok(())
}

fn print_all(lua: &Lua) -> mlua::Result<()> {
    let mut vars = 0;
    for (n, v) in locals(lua, false)? {
        if n.windows(12).any(|w| w == b"(*temporary)") {
            continue;
        }
        let mut prefix = b"<value> ".to_vec();
        prefix.extend_from_slice(&n);
        prefix.extend_from_slice(b" = ");
        log_value(&prefix, &v);
        vars += 1;
    }
    if vars == 0 {
        log(b"No local variables in the current context.".to_vec());
    }
    Ok(())
}

fn trace(lua: &Lua) -> mlua::Result<()> {
    let f = helper(lua, "frames", FRAMES)?;
    let t: Table = f.call(())?;
    let mut level = 0;
    for e in t.sequence_values::<Table>() {
        let e = e?;
        let src: String = e.raw_get(1)?;
        let name: Value = e.raw_get(2)?;
        let line: i32 = e.raw_get(3)?;
        if src.contains("user_script") {
            let name = match &name {
                Value::String(s) => s.to_string_lossy().into_owned(),
                _ => "top level".to_string(),
            };
            log(format!("{} {}:", if level == 0 { "In" } else { "From" }, name).into_bytes());
            log_source_line(line);
        }
        level += 1;
    }
    if level == 0 {
        log(b"<error> Can't retrieve Lua stack.".to_vec());
    }
    Ok(())
}

/// Adds redis.breakpoint and redis.debug, and keeps the debug library for
/// the debugger only (Redis's scripts cannot see `debug`).
pub fn register(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    let g = lua.globals();
    if let Ok(dbg) = g.get::<_, Table>("debug") {
        lua.set_named_registry_value("ldb_debug", dbg)?;
    }
    g.raw_set("debug", Value::Nil)?;
    redis.set(
        "breakpoint",
        lua.create_function(|_, ()| {
            Ok(with(|l| {
                if l.active {
                    l.luabp = true;
                }
                l.active
            }))
        })?,
    )?;
    redis.set(
        "debug",
        lua.create_function(|_, args: MultiValue| {
            let (active, line) = with(|l| (l.active, l.currentline));
            if !active {
                return Ok(());
            }
            let mut s = format!("<debug> line {}: ", line).into_bytes();
            let n = args.len();
            for (i, v) in args.iter().enumerate() {
                cat_value(&mut s, v, 0);
                if i + 1 != n {
                    s.extend_from_slice(b", ");
                }
            }
            log(s);
            Ok(())
        })?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_debugger_commands() {
        assert_eq!(
            parse_command(b"*2\r\n$1\r\nb\r\n$2\r\n10\r\n"),
            Ok(Some(vec![b"b".to_vec(), b"10".to_vec()]))
        );
        assert_eq!(parse_command(b"*2\r\n$1\r\nb\r\n"), Ok(None));
        assert_eq!(parse_command(b"*2\r\n$1\r\nb\r"), Ok(None));
        assert_eq!(parse_command(b"hello"), Err(()));
        assert_eq!(parse_command(b"*0\r\n"), Err(()));
        assert_eq!(
            parse_command(b"*1\r\n$7\r\nhe\0llo\r\r\n"),
            Ok(Some(vec![b"he\0llo\r".to_vec()]))
        );
    }

    #[test]
    fn replies_in_human_form() {
        let mut out = Vec::new();
        let mut p = 0;
        proto_to_human(&mut out, b"*3\r\n:1\r\n$-1\r\n$2\r\nab\r\n", &mut p);
        assert_eq!(out, b"[1,NULL,\"ab\"]");
        let mut out = Vec::new();
        let mut p = 0;
        proto_to_human(&mut out, b"+OK\r\n", &mut p);
        assert_eq!(out, b"\"+OK\"");
    }

    #[test]
    fn values_as_printed() {
        let lua = Lua::new();
        let v: Value = lua.load("return {1, 'a', {x=true}}").eval().unwrap();
        let mut out = Vec::new();
        cat_value(&mut out, &v, 0);
        assert_eq!(out, b"{1; \"a\"; {[\"x\"]=true}}");
        let v: Value = lua.load("return 0.5").eval().unwrap();
        let mut out = Vec::new();
        cat_value(&mut out, &v, 0);
        assert_eq!(out, b"0.5");
    }
}

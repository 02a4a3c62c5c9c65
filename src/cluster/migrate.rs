//! MIGRATE (Redis's migrateCommand): DUMP payloads of local keys sent as RESTORE
//! (RESTORE-ASKING in cluster mode) to another instance over a blocking socket, then
//! deleted locally for every key the target acknowledged, unless COPY. The sockets are
//! cached per "host:port" (at most 64, closed by cron after 10 s idle) and remember the
//! target's selected db, like Redis's migrate_cached_sockets; INFO reports their count.
//! The server's single thread waits for the target as Redis does: MIGRATE is a
//! blocking command by design, bounded by its timeout argument.

use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

const CACHE_ITEMS: usize = 64;
const CACHE_TTL_SECS: i64 = 10;
const WRITE_CHUNK: usize = 64 * 1024;
/// syncReadLine's buffer in migrateCommand: longer reply lines are cut there.
const MAX_LINE: usize = 1023;

pub struct CachedSocket {
    stream: TcpStream,
    /// Bytes read past the last reply line (none in practice: the target only answers).
    pending: Vec<u8>,
    /// The db the target has selected on this link, -1 when unknown.
    last_dbid: i64,
    last_use: i64,
}

#[derive(Default)]
pub struct MigrateCache {
    sockets: HashMap<Vec<u8>, CachedSocket>,
}

impl MigrateCache {
    pub fn len(&self) -> usize {
        self.sockets.len()
    }
    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }
    /// migrateCloseTimedoutSockets, run by serverCron once a second.
    pub fn close_idle(&mut self, now_secs: i64) {
        self.sockets
            .retain(|_, cs| now_secs - cs.last_use <= CACHE_TTL_SECS);
    }
    fn close(&mut self, name: &[u8]) {
        self.sockets.remove(name);
    }
}

fn unixtime() -> i64 {
    crate::util::mstime() / 1000
}

/// Why an exchange with the target failed; `timed_out` stops the one retry
/// MIGRATE allows on a stale cached socket (Redis checks errno != ETIMEDOUT).
struct IoFail {
    timed_out: bool,
}

fn io_fail(e: &io::Error) -> IoFail {
    IoFail {
        timed_out: matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
    }
}

fn remaining(deadline: Instant) -> Result<Duration, IoFail> {
    let now = Instant::now();
    if now >= deadline {
        return Err(IoFail { timed_out: true });
    }
    Ok(deadline - now)
}

enum Connect {
    Up(TcpStream),
    /// Refused or reset at once: Redis's non-blocking connect counts the socket as
    /// connected (it polls writable) and the failure shows at the first write.
    Broken,
    /// Unresolvable, or no answer within the timeout.
    Failed,
}

/// connBlockingConnect: every resolved address is tried within the timeout.
fn connect(host: &[u8], port: &[u8], timeout: Duration) -> Connect {
    let Ok(host) = std::str::from_utf8(host) else {
        return Connect::Failed;
    };
    // atoi(): a port that does not parse is 0, which no connect accepts.
    let port = crate::util::parse_i64(port).unwrap_or(0);
    let Ok(port) = u16::try_from(port) else {
        return Connect::Failed;
    };
    let Ok(addrs) = (host, port).to_socket_addrs() else {
        return Connect::Failed;
    };
    let mut result = Connect::Failed;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Connect::Up(s);
            }
            Err(e)
                if !matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                result = Connect::Broken
            }
            Err(_) => {}
        }
    }
    result
}

impl CachedSocket {
    /// connSyncWrite in 64 KB chunks, each within the timeout.
    fn write_all(&mut self, buf: &[u8], timeout: Duration) -> Result<(), IoFail> {
        for chunk in buf.chunks(WRITE_CHUNK) {
            let deadline = Instant::now() + timeout;
            let mut pos = 0;
            while pos < chunk.len() {
                self.stream
                    .set_write_timeout(Some(remaining(deadline)?))
                    .map_err(|e| io_fail(&e))?;
                match self.stream.write(&chunk[pos..]) {
                    Ok(0) => return Err(IoFail { timed_out: false }),
                    Ok(n) => pos += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io_fail(&e)),
                }
            }
        }
        Ok(())
    }

    /// connSyncReadLine: one reply line without its CRLF, read within the timeout.
    fn read_line(&mut self, timeout: Duration) -> Result<Vec<u8>, IoFail> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(nl) = self.pending.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=nl).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                line.truncate(MAX_LINE);
                return Ok(line);
            }
            self.stream
                .set_read_timeout(Some(remaining(deadline)?))
                .map_err(|e| io_fail(&e))?;
            let mut buf = [0u8; 4096];
            match self.stream.read(&mut buf) {
                Ok(0) => return Err(IoFail { timed_out: false }),
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_fail(&e)),
            }
        }
    }
}

fn bulk(out: &mut Vec<u8>, a: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
    out.extend_from_slice(a);
    out.extend_from_slice(b"\r\n");
}

fn array_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(format!("*{}\r\n", n).as_bytes());
}

struct Options<'a> {
    copy: bool,
    replace: bool,
    username: Option<&'a [u8]>,
    password: Option<&'a [u8]>,
    first_key: usize,
    num_keys: usize,
}

fn parse_options<'a>(c: &mut Client, argv: &Argv<'a>) -> Option<Options<'a>> {
    let mut o = Options {
        copy: false,
        replace: false,
        username: None,
        password: None,
        first_key: 3,
        num_keys: 1,
    };
    let argc = argv.len();
    let mut j = 6;
    while j < argc {
        let a = argv.get(j);
        let more = argc - 1 - j;
        if a.eq_ignore_ascii_case(b"copy") {
            o.copy = true;
        } else if a.eq_ignore_ascii_case(b"replace") {
            o.replace = true;
        } else if a.eq_ignore_ascii_case(b"auth") {
            if more == 0 {
                c.add_error_syntax();
                return None;
            }
            j += 1;
            o.password = Some(argv.get(j));
            crate::server::conn_cmds::redact_arg(c, j);
        } else if a.eq_ignore_ascii_case(b"auth2") {
            if more < 2 {
                c.add_error_syntax();
                return None;
            }
            o.username = Some(argv.get(j + 1));
            o.password = Some(argv.get(j + 2));
            crate::server::conn_cmds::redact_arg(c, j + 1);
            crate::server::conn_cmds::redact_arg(c, j + 2);
            j += 2;
        } else if a.eq_ignore_ascii_case(b"keys") {
            if !argv.get(3).is_empty() {
                c.add_error(
                    "When using MIGRATE KEYS option, the key argument must be set to the empty string",
                );
                return None;
            }
            o.first_key = j + 1;
            o.num_keys = argc - j - 1;
            break;
        } else {
            c.add_error_syntax();
            return None;
        }
        j += 1;
    }
    Some(o)
}

/// The keys of a MIGRATE as migrateGetKeys finds them (its key specs are
/// INCOMPLETE): the key argument, or everything after KEYS when the key is "".
pub fn migrate_key_positions(argv: &Argv) -> Vec<usize> {
    let argc = argv.len();
    let (mut first, mut num) = (3, 1);
    let mut i = 6;
    while i < argc {
        let a = argv.get(i);
        if a.eq_ignore_ascii_case(b"keys") {
            if !argv.get(3).is_empty() {
                num = 0;
            } else {
                first = i + 1;
                num = argc - first;
            }
            break;
        }
        if a.eq_ignore_ascii_case(b"auth") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"auth2") {
            i += 2;
        }
        i += 1;
    }
    (first..first + num).filter(|&p| p < argc).collect()
}

pub fn migrate_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(opt) = parse_options(c, argv) else {
        return;
    };
    let Some(timeout) = crate::util::parse_i64(argv.get(5)) else {
        c.add_error_not_int();
        return;
    };
    let Some(dbid) = crate::util::parse_i64(argv.get(4)) else {
        c.add_error_not_int();
        return;
    };
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });
    let db = c.db;

    // Keys that are here now; if none is, there is nothing to do (often a key
    // that just expired), which is not an error.
    let mut keys: Vec<&[u8]> = Vec::new();
    for j in 0..opt.num_keys {
        let k = argv.get(opt.first_key + j);
        if srv.lookup_read(db, k).is_some() {
            keys.push(k);
        }
    }
    if keys.is_empty() {
        c.add_status("NOKEY");
        return;
    }

    let name: Vec<u8> = [argv.get(1), b":", argv.get(2)].concat();
    let mut may_retry = true;
    loop {
        if !srv.migrate.sockets.contains_key(&name) {
            if srv.migrate.sockets.len() >= CACHE_ITEMS {
                let victim = srv.rng.below(srv.migrate.sockets.len() as u64) as usize;
                if let Some(k) = srv.migrate.sockets.keys().nth(victim).cloned() {
                    srv.migrate.close(&k);
                }
            }
            let stream = match connect(argv.get(1), argv.get(2), timeout) {
                Connect::Up(s) => s,
                Connect::Failed => {
                    c.add_error("-IOERR error or timeout connecting to the client");
                    return;
                }
                Connect::Broken => {
                    // Fails like a write on a dead cached socket: one retry, then the error.
                    if may_retry {
                        may_retry = false;
                        continue;
                    }
                    c.add_error("-IOERR error or timeout writing to target instance");
                    return;
                }
            };
            srv.migrate.sockets.insert(
                name.clone(),
                CachedSocket {
                    stream,
                    pending: Vec::new(),
                    last_dbid: -1,
                    last_use: unixtime(),
                },
            );
        }
        let cs = srv.migrate.sockets.get_mut(&name).expect("just cached");
        cs.last_use = unixtime();
        let select = cs.last_dbid != dbid;

        let mut cmd = Vec::new();
        if let Some(pw) = opt.password {
            array_len(&mut cmd, if opt.username.is_some() { 3 } else { 2 });
            bulk(&mut cmd, b"AUTH");
            if let Some(u) = opt.username {
                bulk(&mut cmd, u);
            }
            bulk(&mut cmd, pw);
        }
        if select {
            array_len(&mut cmd, 2);
            bulk(&mut cmd, b"SELECT");
            bulk(&mut cmd, dbid.to_string().as_bytes());
        }
        // Keys found above may have expired while earlier ones were serialized.
        let mut sent: Vec<&[u8]> = Vec::new();
        let restore: &[u8] = if srv.config.cluster_enabled {
            b"RESTORE-ASKING"
        } else {
            b"RESTORE"
        };
        for &k in &keys {
            let mut ttl = 0;
            if let Some(at) = srv.dbs[db].expire_of(k) {
                ttl = at - crate::util::mstime();
                if ttl < 0 {
                    continue;
                }
                ttl = ttl.max(1);
            }
            let Some(o) = srv.dbs[db].get(k) else {
                continue;
            };
            let payload = crate::rdb::dump::serialize_object(srv, &o.val);
            sent.push(k);
            array_len(&mut cmd, if opt.replace { 5 } else { 4 });
            bulk(&mut cmd, restore);
            bulk(&mut cmd, k);
            bulk(&mut cmd, ttl.to_string().as_bytes());
            bulk(&mut cmd, &payload);
            if opt.replace {
                bulk(&mut cmd, b"REPLACE");
            }
        }

        let cs = srv.migrate.sockets.get_mut(&name).expect("just cached");
        let mut write_error = false;
        let mut fail: Option<IoFail> = None;
        let mut auth_reply = Vec::new();
        let mut select_reply = Vec::new();
        if let Err(e) = cs.write_all(&cmd, timeout) {
            write_error = true;
            fail = Some(e);
        }
        if fail.is_none() && opt.password.is_some() {
            match cs.read_line(timeout) {
                Ok(l) => auth_reply = l,
                Err(e) => fail = Some(e),
            }
        }
        if fail.is_none() && select {
            match cs.read_line(timeout) {
                Ok(l) => select_reply = l,
                Err(e) => fail = Some(e),
            }
        }
        if let Some(f) = fail {
            srv.migrate.close(&name);
            if !f.timed_out && may_retry {
                may_retry = false;
                continue;
            }
            c.add_error(&format!(
                "-IOERR error or timeout {} to target instance",
                if write_error { "writing" } else { "reading" }
            ));
            return;
        }

        let mut error_from_target = false;
        let mut socket_fail: Option<IoFail> = None;
        let mut acked: Vec<&[u8]> = Vec::new();
        let mut read = 0;
        for &k in &sent {
            let cs = srv.migrate.sockets.get_mut(&name).expect("cached");
            let line = match cs.read_line(timeout) {
                Ok(l) => l,
                Err(e) => {
                    socket_fail = Some(e);
                    break;
                }
            };
            read += 1;
            let auth_err = opt.password.is_some() && auth_reply.first() == Some(&b'-');
            let select_err = select && select_reply.first() == Some(&b'-');
            if auth_err || select_err || line.first() == Some(&b'-') {
                if !error_from_target {
                    cs.last_dbid = -1;
                    let e = if auth_err {
                        &auth_reply
                    } else if select_err {
                        &select_reply
                    } else {
                        &line
                    };
                    error_from_target = true;
                    c.add_error(&format!(
                        "Target instance replied with error: {}",
                        String::from_utf8_lossy(&e[1..])
                    ));
                }
            } else if !opt.copy {
                srv.db_delete(db, k);
                srv.signal_modified_key(db, k);
                srv.notify_keyspace_event(crate::notify::class::GENERIC, "del", k, db);
                srv.dirty += 1;
                acked.push(k);
            }
        }
        if let Some(f) = &socket_fail {
            // Nothing was processed yet: a stale cached socket is worth one retry.
            if !error_from_target && read == 0 && may_retry && !f.timed_out {
                srv.migrate.close(&name);
                may_retry = false;
                continue;
            }
            srv.migrate.close(&name);
        }
        if !opt.copy && !acked.is_empty() {
            // Replicas and the AOF see a DEL of the keys the target acknowledged.
            let mut del: Vec<&[u8]> = vec![b"DEL"];
            del.extend(acked.iter().copied());
            srv.rewrite_command(&del);
        }
        if !error_from_target && socket_fail.is_some() {
            c.add_error("-IOERR error or timeout reading to target instance");
            return;
        }
        if !error_from_target {
            if let Some(cs) = srv.migrate.sockets.get_mut(&name) {
                cs.last_dbid = dbid;
            }
            c.add_ok();
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::OwnedArgv;

    fn positions(args: &[&str]) -> Vec<usize> {
        let a = OwnedArgv::from_slices(args.iter());
        migrate_key_positions(&a.view())
    }

    #[test]
    fn key_positions_follow_migrate_get_keys() {
        assert_eq!(positions(&["MIGRATE", "h", "1", "k", "0", "5"]), vec![3]);
        assert_eq!(
            positions(&["MIGRATE", "h", "1", "", "0", "5", "KEYS", "a", "b"]),
            vec![7, 8]
        );
        // AUTH's password "KEYS" is not the KEYS option.
        assert_eq!(
            positions(&["MIGRATE", "h", "1", "", "0", "5", "AUTH", "KEYS", "KEYS", "x"]),
            vec![9]
        );
        assert_eq!(
            positions(&["MIGRATE", "h", "1", "", "0", "5", "AUTH2", "KEYS", "1", "KEYS", "x"]),
            vec![10]
        );
        // A non-empty key with KEYS is a syntax error left to the command: no keys.
        assert!(positions(&["MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a"]).is_empty());
    }

    #[test]
    fn idle_sockets_are_closed_after_ten_seconds() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let s = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let mut cache = MigrateCache::default();
        cache.sockets.insert(
            b"h:1".to_vec(),
            CachedSocket {
                stream: s,
                pending: Vec::new(),
                last_dbid: -1,
                last_use: 100,
            },
        );
        cache.close_idle(110);
        assert_eq!(cache.len(), 1);
        cache.close_idle(111);
        assert!(cache.is_empty());
    }
}

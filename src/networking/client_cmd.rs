//! The CLIENT command, CLIENT LIST/INFO text, CLIENT PAUSE (postponing commands
//! until the pause ends) and MONITOR feeding.

use super::client::{Client, ClientFlags};
use crate::commands::flags as cmdflags;
use crate::resp::Argv;
use crate::server::{PauseKind, Server};

/// Client classes for CLIENT LIST TYPE / CLIENT KILL TYPE (getClientTypeByName).
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum ClientType {
    Normal,
    Replica,
    Pubsub,
    Master,
}

pub fn client_type_by_name(name: &[u8]) -> Option<ClientType> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_slice() {
        b"normal" => ClientType::Normal,
        b"slave" | b"replica" => ClientType::Replica,
        b"pubsub" => ClientType::Pubsub,
        b"master" => ClientType::Master,
        _ => return None,
    })
}

/// getClientType: MONITOR clients are shown as normal clients; replicas attached
/// with SYNC/PSYNC are replicas.
pub fn client_type(c: &Client) -> ClientType {
    if c.flags.has(ClientFlags::MASTER) {
        ClientType::Master
    } else if c.flags.has(ClientFlags::SLAVE) {
        ClientType::Replica
    } else if c.flags.has(ClientFlags::PUBSUB) {
        ClientType::Pubsub
    } else {
        ClientType::Normal
    }
}

/// Redis's first reply buffer chunk: output up to this size counts as the client's
/// static buffer (rbs/obl), anything past it as the reply list (oll/omem).
const REPLY_CHUNK: usize = 16 * 1024;

impl Server {
    /// One CLIENT LIST line (without the trailing newline), Redis 7.0's field order.
    pub fn client_info_string(&self, c: &Client) -> String {
        let mut flags = String::new();
        if c.flags.has(ClientFlags::SLAVE) {
            flags.push('S');
        }
        if c.flags.has(ClientFlags::MASTER) {
            flags.push('M');
        }
        if c.flags.has(ClientFlags::MONITOR) {
            flags.push('O');
        }
        if c.flags.has(ClientFlags::PUBSUB) {
            flags.push('P');
        }
        if c.flags.has(ClientFlags::MULTI) {
            flags.push('x');
        }
        if c.flags.0 & (ClientFlags::PAUSED | ClientFlags::BLOCKED) != 0 {
            flags.push('b');
        }
        let tf = crate::tracking::flags_of(c);
        if tf & crate::tracking::ON != 0 {
            flags.push('t');
        }
        if tf & crate::tracking::BROKEN_REDIR != 0 {
            flags.push('R');
        }
        if tf & crate::tracking::BCAST != 0 {
            flags.push('B');
        }
        if c.flags.has(ClientFlags::DIRTY_CAS) {
            flags.push('d');
        }
        if c.flags.has(ClientFlags::CLOSE_AFTER_REPLY) {
            flags.push('c');
        }
        if c.flags.has(ClientFlags::CLOSE_ASAP) {
            flags.push('A');
        }
        if c.flags.has(ClientFlags::UNIX_SOCKET) {
            flags.push('U');
        }
        if c.flags.has(ClientFlags::NO_EVICT) {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let now = crate::util::mstime();
        let events = if c.stream.is_none() {
            ""
        } else if c.flags.has(ClientFlags::WRITE_INTEREST) {
            "rw"
        } else {
            "r"
        };
        let qbuf = if c.qbuf_snapshot > 0 {
            c.qbuf_snapshot
        } else if c.big_bulk_end != 0 {
            c.querybuf.len() - c.big_bulk_start
        } else {
            c.querybuf.len() - c.qb_pos
        };
        let qbuf_free = c.querybuf.capacity().saturating_sub(c.querybuf.len());
        let pending = c.pending_reply_bytes();
        let obl = pending.min(c.rb_size);
        let omem = c.obuf_list_bytes();
        let oll = omem.div_ceil(REPLY_CHUNK);
        let rbs = c.rb_size;
        let tot_mem = c.memory_usage();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}",
            c.id,
            c.addr,
            c.laddr,
            c.fd,
            String::from_utf8_lossy(c.name.as_deref().unwrap_or(b"")),
            (now - c.ctime_ms) / 1000,
            (now - c.last_interaction_ms) / 1000,
            flags,
            c.db,
            c.subs.as_ref().map_or(0, |s| s.channels()),
            c.subs.as_ref().map_or(0, |s| s.patterns()),
            c.subs.as_ref().map_or(0, |s| s.shard_channels()),
            match (&c.mstate, c.flags.has(ClientFlags::MULTI)) {
                (Some(m), true) => m.len() as i64,
                (None, true) => 0,
                _ => -1,
            },
            qbuf,
            qbuf_free,
            c.argv_mem,
            c.mstate.as_ref().map_or(0, |m| m.memory()),
            rbs,
            c.rb_peak,
            obl,
            oll,
            omem,
            tot_mem,
            events,
            c.last_cmd,
            c.user,
            match &c.tracking {
                Some(t) if t.has(crate::tracking::ON) => t.redirect as i64,
                _ => -1,
            },
            c.resp
        )
    }

    /// All clients in connection order (by id), the running one included.
    fn clients_info_string(&self, me: &Client, filter: Option<ClientType>) -> String {
        let mut all: Vec<&Client> = self
            .clients
            .iter()
            .filter_map(|(_, c)| c.as_deref())
            .collect();
        all.push(me);
        all.sort_by_key(|c| c.id);
        let mut out = String::new();
        for c in all {
            if filter.is_some_and(|t| client_type(c) != t) {
                continue;
            }
            out.push_str(&self.client_info_string(c));
            out.push('\n');
        }
        out
    }

    /// Sends a command line to every MONITOR client (replicationFeedMonitors), with
    /// redacted arguments hidden.
    pub fn feed_monitors(&mut self, c: &Client, argv: &Argv) {
        if self.loading {
            return;
        }
        let now = crate::util::ustime();
        let mut line = format!(
            "+{}.{:06} [{} {}]",
            now / 1_000_000,
            now % 1_000_000,
            c.db,
            if c.is_fake() {
                "lua".to_string()
            } else if c.flags.has(ClientFlags::UNIX_SOCKET) {
                format!("unix:{}", self.config.unixsocket.as_deref().unwrap_or(""))
            } else {
                c.addr.clone()
            }
        );
        for (i, a) in argv.iter().enumerate() {
            line.push_str(" \"");
            if c.arg_redacted(i) {
                line.push_str("(redacted)");
            } else {
                line.push_str(&repr_bytes(a));
            }
            line.push('"');
        }
        line.push_str("\r\n");
        let monitors = self.monitors.clone();
        for t in monitors {
            if let Some(mut m) = self.take_client(t) {
                m.add_raw(line.as_bytes());
                self.mark_pending_write(&mut m);
                self.restore_client(m);
            }
        }
    }

    /// pauseClients for CLIENT PAUSE: the most restrictive type and the latest end win.
    pub fn pause_clients(&mut self, end_ms: i64, kind: PauseKind) {
        self.pause_for(
            crate::replication::pause::PausePurpose::ClientCommand,
            end_ms,
            kind,
        );
    }

    /// Must this command wait for the pause to end? ALL holds everything, WRITE holds
    /// commands that may write or replicate. MONITOR clients (replica-like) never wait.
    #[inline]
    pub fn must_postpone(&self, c: &Client, cmd_flags: u64) -> bool {
        match self.pause {
            PauseKind::None => false,
            _ if c.flags.has(ClientFlags::MONITOR) => false,
            PauseKind::All => true,
            PauseKind::Write => cmd_flags & (cmdflags::WRITE | cmdflags::MAY_REPLICATE) != 0,
        }
    }

    /// Holds the client's current command: process_input leaves it in the query
    /// buffer and stops; resume_paused_clients runs it when the pause ends.
    pub fn postpone_client(&mut self, c: &mut Client) {
        if !c.flags.has(ClientFlags::PAUSED) {
            c.flags.set(ClientFlags::PAUSED);
            self.paused_clients.push(c.token);
        }
    }

    /// Runs the held commands (and what follows them) of clients postponed by a pause
    /// that has ended; they may be held again by a newer pause.
    pub fn resume_paused_clients(&mut self) {
        let tokens = std::mem::take(&mut self.paused_clients);
        for t in tokens {
            if let Some(mut c) = self.take_client(t) {
                if c.flags.has(ClientFlags::PAUSED) {
                    c.flags.clear(ClientFlags::PAUSED);
                    self.process_input(&mut c);
                    if c.pending_reply_bytes() > 0 {
                        self.mark_pending_write(&mut c);
                    }
                }
                self.restore_client(c);
            }
        }
    }
}

/// Redis's sdscatrepr body: printable bytes as-is, escapes for the rest.
pub fn repr_bytes(a: &[u8]) -> String {
    let mut s = String::with_capacity(a.len());
    for &b in a {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            32..=126 => s.push(b as char),
            _ => s.push_str(&format!("\\x{:02x}", b)),
        }
    }
    s
}

/// addReplySubcommandSyntaxError: a subcommand called with an argument count its
/// variable arity admits but its syntax does not.
pub fn subcommand_syntax_error(c: &mut Client, argv: &Argv) {
    let sub = String::from_utf8_lossy(argv.get(1)).into_owned();
    let sub: String = sub.chars().take(128).collect();
    c.add_error(&format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        sub,
        String::from_utf8_lossy(argv.get(0)).to_ascii_uppercase()
    ));
}

pub fn client_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    crate::commands::command_cmd::reply_help(
        c,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    );
}

pub fn client_id(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_int(c.id as i64);
}

pub fn client_info(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let mut s = srv.client_info_string(c);
    s.push('\n');
    c.add_verbatim(s.as_bytes(), "txt");
}

pub fn client_list(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let out = if argv.len() == 4 && argv.get(2).eq_ignore_ascii_case(b"type") {
        let Some(t) = client_type_by_name(argv.get(3)) else {
            c.add_error(&format!(
                "Unknown client type '{}'",
                String::from_utf8_lossy(argv.get(3))
            ));
            return;
        };
        srv.clients_info_string(c, Some(t))
    } else if argv.len() > 3 && argv.get(2).eq_ignore_ascii_case(b"id") {
        let mut out = String::new();
        for a in argv.iter().skip(3) {
            let Some(id) = crate::util::parse_i64(a) else {
                c.add_error("Invalid client ID");
                return;
            };
            if id as u64 == c.id {
                out.push_str(&srv.client_info_string(c));
                out.push('\n');
            } else if let Some(other) = srv
                .clients
                .iter()
                .filter_map(|(_, x)| x.as_deref())
                .find(|x| x.id == id as u64)
            {
                out.push_str(&srv.client_info_string(other));
                out.push('\n');
            }
        }
        out
    } else if argv.len() != 2 {
        c.add_error_syntax();
        return;
    } else {
        srv.clients_info_string(c, None)
    };
    c.add_verbatim(out.as_bytes(), "txt");
}

pub fn client_reply(_srv: &mut Server, c: &mut Client, argv: &Argv) {
    let a = argv.get(2);
    if a.eq_ignore_ascii_case(b"on") {
        c.flags
            .clear(ClientFlags::REPLY_SKIP | ClientFlags::REPLY_OFF);
        c.add_ok();
    } else if a.eq_ignore_ascii_case(b"off") {
        c.flags.set(ClientFlags::REPLY_OFF);
    } else if a.eq_ignore_ascii_case(b"skip") {
        if !c.flags.has(ClientFlags::REPLY_OFF) {
            c.flags.set(ClientFlags::REPLY_SKIP_NEXT);
        }
    } else {
        c.add_error_syntax();
    }
}

pub fn client_no_evict(_srv: &mut Server, c: &mut Client, argv: &Argv) {
    let a = argv.get(2);
    if a.eq_ignore_ascii_case(b"on") {
        c.flags.set(ClientFlags::NO_EVICT);
        c.add_ok();
    } else if a.eq_ignore_ascii_case(b"off") {
        c.flags.clear(ClientFlags::NO_EVICT);
        c.add_ok();
    } else {
        c.add_error_syntax();
    }
}

/// The filters of CLIENT KILL; a client must match all that are set.
#[derive(Default)]
struct KillFilter {
    addr: Option<String>,
    laddr: Option<String>,
    user: Option<String>,
    ctype: Option<ClientType>,
    id: u64,
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, x: &Client) -> bool {
        self.addr.as_deref().map_or(true, |a| x.addr == a)
            && self.laddr.as_deref().map_or(true, |a| x.laddr == a)
            && self.ctype.map_or(true, |t| client_type(x) == t)
            && (self.id == 0 || x.id == self.id)
            && self.user.as_deref().map_or(true, |u| x.user == u)
    }
}

pub fn client_kill(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut f = KillFilter {
        skipme: true,
        ..Default::default()
    };
    let old_form = argv.len() == 3;
    if old_form {
        f.addr = Some(String::from_utf8_lossy(argv.get(2)).into_owned());
        // The old form can kill the calling client too.
        f.skipme = false;
    } else {
        let mut i = 2;
        while i < argv.len() {
            let opt = argv.get(i);
            if i + 1 >= argv.len() {
                c.add_error_syntax();
                return;
            }
            let val = argv.get(i + 1);
            let sval = String::from_utf8_lossy(val).into_owned();
            if opt.eq_ignore_ascii_case(b"id") {
                match crate::util::parse_i64(val) {
                    Some(n) if n >= 1 => f.id = n as u64,
                    _ => {
                        c.add_error("client-id should be greater than 0");
                        return;
                    }
                }
            } else if opt.eq_ignore_ascii_case(b"type") {
                match client_type_by_name(val) {
                    Some(t) => f.ctype = Some(t),
                    None => {
                        c.add_error(&format!("Unknown client type '{}'", sval));
                        return;
                    }
                }
            } else if opt.eq_ignore_ascii_case(b"addr") {
                f.addr = Some(sval);
            } else if opt.eq_ignore_ascii_case(b"laddr") {
                f.laddr = Some(sval);
            } else if opt.eq_ignore_ascii_case(b"user") {
                if srv.acl.id_of(val).is_none() {
                    c.add_error(&format!("No such user '{}'", sval));
                    return;
                }
                f.user = Some(sval);
            } else if opt.eq_ignore_ascii_case(b"skipme") {
                if val.eq_ignore_ascii_case(b"yes") {
                    f.skipme = true;
                } else if val.eq_ignore_ascii_case(b"no") {
                    f.skipme = false;
                } else {
                    c.add_error_syntax();
                    return;
                }
            } else {
                c.add_error_syntax();
                return;
            }
            i += 2;
        }
    }
    let victims: Vec<usize> = srv
        .clients
        .iter()
        .filter_map(|(_, x)| x.as_deref())
        .filter(|x| f.matches(x))
        .map(|x| x.token)
        .collect();
    let mut killed = victims.len();
    for t in victims {
        if let Some(x) = srv.take_client(t) {
            srv.free_client(x);
        }
    }
    let close_me = !f.skipme && f.matches(c);
    if close_me {
        killed += 1;
    }
    if old_form {
        if killed == 0 {
            c.add_error("No such client");
        } else {
            c.add_ok();
        }
    } else {
        c.add_int(killed as i64);
    }
    if close_me {
        c.flags.set(ClientFlags::CLOSE_AFTER_REPLY);
    }
}

pub fn client_setname(_srv: &mut Server, c: &mut Client, argv: &Argv) {
    if crate::server::conn_cmds::set_client_name_or_reply(c, argv.get(2)) {
        c.add_ok();
    }
}

pub fn client_getname(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    match c.name.clone() {
        Some(n) => c.add_bulk(&n),
        None => c.add_null(),
    }
}

pub fn client_unpause(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    // Held clients run from before_sleep, not from inside this command; a
    // shutdown or failover keeps its own pause.
    srv.unpause_for(crate::replication::pause::PausePurpose::ClientCommand);
    c.add_ok();
}

pub fn client_pause(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut kind = PauseKind::All;
    if argv.len() == 4 {
        let m = argv.get(3);
        if m.eq_ignore_ascii_case(b"write") {
            kind = PauseKind::Write;
        } else if m.eq_ignore_ascii_case(b"all") {
            kind = PauseKind::All;
        } else {
            c.add_error("CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    } else if argv.len() != 3 {
        subcommand_syntax_error(c, argv);
        return;
    }
    let Some(ms) = crate::util::parse_i64(argv.get(2)) else {
        c.add_error("timeout is not an integer or out of range");
        return;
    };
    if ms < 0 {
        c.add_error("timeout is negative");
        return;
    }
    let end = if ms > 0 {
        ms.saturating_add(crate::util::mstime())
    } else {
        0
    };
    srv.pause_clients(end, kind);
    c.add_ok();
}

/// CLIENT UNBLOCK: ends a key block as a timeout would, or with an UNBLOCKED error.
pub fn client_unblock(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() == 4 {
        let r = argv.get(3);
        if !r.eq_ignore_ascii_case(b"timeout") && !r.eq_ignore_ascii_case(b"error") {
            c.add_error("CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    } else if argv.len() != 3 {
        subcommand_syntax_error(c, argv);
        return;
    }
    let Some(id) = crate::util::parse_i64(argv.get(2)) else {
        c.add_error_not_int();
        return;
    };
    let error = argv.len() == 4 && argv.get(3).eq_ignore_ascii_case(b"error");
    let done = srv.client_unblock_by_id(id as u64, error);
    c.add_int(done as i64);
}

pub use crate::tracking::{client_caching, client_getredir, client_tracking, client_trackinginfo};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_types() {
        assert_eq!(client_type_by_name(b"REPLICA"), Some(ClientType::Replica));
        assert_eq!(client_type_by_name(b"slave"), Some(ClientType::Replica));
        assert_eq!(client_type_by_name(b"x"), None);
    }

    #[test]
    fn repr() {
        assert_eq!(repr_bytes(b"a\"b\\\n\x01"), "a\\\"b\\\\\\n\\x01");
    }
}

#[cfg(test)]
mod server_tests {
    use super::*;
    use crate::config::Config;
    use crate::resp::OwnedArgv;

    fn run(srv: &mut Server, c: &mut Client, args: &[&str]) -> String {
        let a = OwnedArgv::from_slices(args.iter().map(|s| s.as_bytes()));
        srv.process_command(c, &a.view());
        String::from_utf8_lossy(&c.take_reply()).into_owned()
    }

    #[test]
    fn pause_postpones_by_kind() {
        let mut srv = Server::new(Config::default());
        let mut c = Client::fake(1);
        assert_eq!(
            run(&mut srv, &mut c, &["CLIENT", "PAUSE", "100000", "WRITE"]),
            "+OK\r\n"
        );
        // Reads run, writes are held (no reply, flagged, queued).
        assert_eq!(run(&mut srv, &mut c, &["GET", "k"]), "$-1\r\n");
        assert_eq!(run(&mut srv, &mut c, &["SET", "k", "v"]), "");
        assert!(c.flags.has(ClientFlags::PAUSED));
        assert_eq!(srv.paused_clients.len(), 1);
        c.flags.clear(ClientFlags::PAUSED);
        // A later ALL pause is more restrictive; UNPAUSE lifts everything.
        srv.pause_clients(crate::util::mstime() + 1000, PauseKind::All);
        assert_eq!(srv.pause, PauseKind::All);
        assert!(srv.must_postpone(&c, 0));
        srv.unpause_for(crate::replication::pause::PausePurpose::ClientCommand);
        assert_eq!(
            run(&mut srv, &mut c, &["CLIENT", "PAUSE", "10", "FOO"]),
            "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["CLIENT", "PAUSE", "-1"]),
            "-ERR timeout is negative\r\n"
        );
        assert_eq!(run(&mut srv, &mut c, &["CLIENT", "PAUSE", "0"]), "+OK\r\n");
        assert_eq!(srv.pause, PauseKind::None);
    }

    #[test]
    fn kill_argument_errors() {
        let mut srv = Server::new(Config::default());
        let mut c = Client::fake(1);
        assert_eq!(
            run(&mut srv, &mut c, &["CLIENT", "KILL", "id", "0"]),
            "-ERR client-id should be greater than 0\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["CLIENT", "KILL", "type", "x"]),
            "-ERR Unknown client type 'x'\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["CLIENT", "KILL", "user", "bob"]),
            "-ERR No such user 'bob'\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["CLIENT", "KILL", "1.2.3.4:5"]),
            "-ERR No such client\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["CLIENT", "KILL", "id", "10", "x"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["CLIENT", "KILL", "skipme", "no"]),
            ":1\r\n"
        );
        assert!(c.flags.has(ClientFlags::CLOSE_AFTER_REPLY));
    }
}

//! CLIENT LIST/INFO text and MONITOR feeding.

use super::client::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::Server;

impl Server {
    /// One CLIENT LIST line (without the trailing newline), Redis 7.0's field order.
    pub fn client_info_string(&self, c: &Client) -> String {
        let mut flags = String::new();
        if c.flags.has(ClientFlags::MONITOR) {
            flags.push('O');
        }
        if c.flags.has(ClientFlags::CLOSE_AFTER_REPLY) {
            flags.push('c');
        }
        if c.flags.has(ClientFlags::UNIX_SOCKET) {
            flags.push('U');
        }
        if c.flags.has(ClientFlags::CLOSE_ASAP) {
            flags.push('A');
        }
        if c.flags.has(ClientFlags::NO_EVICT) {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let now = crate::util::mstime();
        let events = if c.flags.has(ClientFlags::WRITE_INTEREST) {
            "rw"
        } else {
            "r"
        };
        let qbuf = if c.qbuf_snapshot > 0 {
            c.qbuf_snapshot
        } else {
            c.querybuf.len() - c.qb_pos
        };
        let qbuf_free = c.querybuf.capacity().saturating_sub(c.querybuf.len());
        let omem = c.reply.capacity();
        let tot_mem = omem + c.querybuf.capacity() + c.argv_mem + std::mem::size_of::<Client>();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi=-1 qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp={} obl={} oll=0 omem={} tot-mem={} events={} cmd={} user={} redir=-1 resp={}",
            c.id,
            c.addr,
            c.laddr,
            c.fd,
            String::from_utf8_lossy(c.name.as_deref().unwrap_or(b"")),
            (now - c.ctime_ms) / 1000,
            (now - c.last_interaction_ms) / 1000,
            flags,
            c.db,
            qbuf,
            qbuf_free,
            c.argv_mem,
            c.reply.capacity(),
            c.reply.len(),
            c.pending_reply_bytes(),
            omem,
            tot_mem,
            events,
            c.last_cmd,
            c.user,
            c.resp
        )
    }

    /// Sends a command line to every MONITOR client (replicationFeedMonitors).
    pub fn feed_monitors(&mut self, c: &Client, argv: &Argv) {
        let now = crate::util::ustime();
        let mut line = format!(
            "+{}.{:06} [{} {}]",
            now / 1_000_000,
            now % 1_000_000,
            c.db,
            if c.flags.has(ClientFlags::UNIX_SOCKET) {
                format!("unix:{}", self.config.unixsocket.as_deref().unwrap_or(""))
            } else {
                c.addr.clone()
            }
        );
        for a in argv.iter() {
            line.push_str(" \"");
            line.push_str(&repr_bytes(a));
            line.push('"');
        }
        line.push_str("\r\n");
        let monitors = self.monitors.clone();
        for t in monitors {
            if t == c.token {
                continue;
            }
            if let Some(mut m) = self.take_client(t) {
                m.add_raw(line.as_bytes());
                self.mark_pending_write(&mut m);
                self.restore_client(m);
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

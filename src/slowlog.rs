//! The slow log (Redis's slowlog.c): commands slower than
//! `slowlog-log-slower-than` microseconds, newest first, at most `slowlog-max-len`,
//! and the SLOWLOG command.

use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use std::collections::VecDeque;

const SLOWLOG_ENTRY_MAX_ARGC: usize = 32;
const SLOWLOG_ENTRY_MAX_STRING: usize = 128;

pub struct SlowlogEntry {
    pub id: u64,
    pub time: i64,
    pub duration: u64,
    pub argv: Vec<Vec<u8>>,
    pub peer: String,
    pub cname: Vec<u8>,
}

#[derive(Default)]
pub struct Slowlog {
    pub entries: VecDeque<SlowlogEntry>,
    pub next_id: u64,
}

impl Server {
    #[inline]
    pub fn slowlog_push_if_needed(&mut self, c: &Client, argv: &Argv, duration: u64) {
        let threshold = self.config.slowlog_log_slower_than;
        if threshold < 0 || (duration as i64) < threshold {
            return;
        }
        let argc = argv.len().min(SLOWLOG_ENTRY_MAX_ARGC);
        let mut args = Vec::with_capacity(argc);
        for i in 0..argc {
            if argc != argv.len() && i == argc - 1 {
                args.push(format!("... ({} more arguments)", argv.len() - argc + 1).into_bytes());
                break;
            }
            if i < 64 && c.redacted_args & (1u64 << i) != 0 {
                // Passwords (AUTH, HELLO AUTH) never reach the slowlog.
                args.push(b"(redacted)".to_vec());
                continue;
            }
            let a = argv.get(i);
            if a.len() > SLOWLOG_ENTRY_MAX_STRING {
                let mut v = a[..SLOWLOG_ENTRY_MAX_STRING].to_vec();
                v.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - SLOWLOG_ENTRY_MAX_STRING).as_bytes(),
                );
                args.push(v);
            } else {
                args.push(a.to_vec());
            }
        }
        let id = self.slowlog.next_id;
        self.slowlog.next_id += 1;
        self.slowlog.entries.push_front(SlowlogEntry {
            id,
            time: crate::util::mstime() / 1000,
            duration,
            argv: args,
            peer: c.addr.clone(),
            cname: c.name.clone().unwrap_or_default(),
        });
        while self.slowlog.entries.len() > self.config.slowlog_max_len {
            self.slowlog.entries.pop_back();
        }
    }
}

pub fn slowlog_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    crate::commands::command_cmd::reply_help(
        c,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
}

pub fn slowlog_reset(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    srv.slowlog.entries.clear();
    c.add_ok();
}

pub fn slowlog_len(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_int(srv.slowlog.entries.len() as i64);
}

pub fn slowlog_get(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut count: i64 = 10;
    if argv.len() == 3 {
        match crate::util::parse_i64(argv.get(2)) {
            Some(n) if n >= -1 => count = n,
            _ => {
                c.add_error("count should be greater than or equal to -1");
                return;
            }
        }
        if count == -1 {
            count = srv.slowlog.entries.len() as i64;
        }
    } else if argv.len() > 3 {
        c.add_error_syntax();
        return;
    }
    let n = (count as usize).min(srv.slowlog.entries.len());
    c.add_array_len(n);
    for e in srv.slowlog.entries.iter().take(n) {
        c.add_array_len(6);
        c.add_int(e.id as i64);
        c.add_int(e.time);
        c.add_int(e.duration as i64);
        c.add_array_len(e.argv.len());
        for a in &e.argv {
            c.add_bulk(a);
        }
        c.add_bulk(e.peer.as_bytes());
        c.add_bulk(&e.cname);
    }
}

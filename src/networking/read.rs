//! processInputBuffer: parse every complete request in a client's query buffer
//! and run it, in order (pipelining). Protocol errors reply, then close only that
//! connection.

use super::client::{Client, ClientFlags};
use crate::resp::{parse_request, Argv, Limits, ParseOutcome};
use crate::server::Server;

/// Argument slots a client keeps between commands.
const ARGV_KEEP: usize = 1024;

impl Server {
    pub fn process_input(&mut self, c: &mut Client) {
        let qb = std::mem::take(&mut c.querybuf);
        let mut ranges = std::mem::take(&mut c.argv_ranges);
        let mut scratch = std::mem::take(&mut c.inline_buf);
        let mut pos = c.qb_pos;
        let mut big_bulk_end = 0;
        let mut big_bulk_start = 0;
        let base_limits = Limits {
            proto_max_bulk_len: self.config.proto_max_bulk_len,
            unauthenticated: false,
        };
        while pos < qb.len() {
            if c.flags.0
                & (ClientFlags::CLOSE_AFTER_REPLY
                    | ClientFlags::CLOSE_ASAP
                    | ClientFlags::OBUF_LIMIT_HIT)
                != 0
            {
                break;
            }
            if c.flags.0 & (ClientFlags::PAUSED | ClientFlags::BLOCKED) != 0 {
                break;
            }
            let limits = Limits {
                unauthenticated: !c.authenticated,
                ..base_limits
            };
            match parse_request(&qb[pos..], &mut ranges, &mut scratch, limits) {
                ParseOutcome::Complete { consumed, inline } => {
                    c.qbuf_snapshot = qb.len() - pos;
                    let argv = if inline {
                        Argv {
                            buf: &scratch,
                            ranges: &ranges,
                        }
                    } else {
                        Argv {
                            buf: &qb[pos..pos + consumed],
                            ranges: &ranges,
                        }
                    };
                    c.argv_mem = argv.buf.len();
                    let from_master = c.flags.has(ClientFlags::MASTER);
                    self.repl.applying_master = from_master;
                    // REPLCONF ACK/GETACK never reply, but an ACK may start or
                    // resume the replica's stream into this very buffer.
                    let replica_mark = (c.flags.has(ClientFlags::SLAVE)
                        && !argv.get(0).eq_ignore_ascii_case(b"replconf"))
                    .then(|| c.reply.len());
                    self.process_command(c, &argv);
                    crate::cluster::routing::after_command(c);
                    self.repl.applying_master = false;
                    if let Some(mark) = replica_mark {
                        self.replica_reply_check(c, mark);
                    }
                    if self.config.maxmemory_clients_on() {
                        // Redis re-accounts the client after every command, so
                        // the next command's client-eviction step sees its output.
                        c.argv_mem = 0;
                        self.account_client_memory(c);
                    }
                    if c.flags.has(ClientFlags::PAUSED) {
                        // CLIENT PAUSE holds this command in the buffer until it ends.
                        break;
                    }
                    pos += consumed;
                    // The master's stream: a complete command (or MULTI..EXEC)
                    // advances the offset and is proxied byte for byte.
                    if from_master && !c.flags.has(ClientFlags::MULTI) {
                        self.master_applied(&qb[c.repl_applied..pos]);
                        c.repl_applied = pos;
                    }
                    // CLIENT REPLY SKIP applies to exactly the next command.
                    c.flags.clear(ClientFlags::REPLY_SKIP);
                    if c.flags.has(ClientFlags::REPLY_SKIP_NEXT) {
                        c.flags.clear(ClientFlags::REPLY_SKIP_NEXT);
                        c.flags.set(ClientFlags::REPLY_SKIP);
                    }
                }
                ParseOutcome::Empty { consumed } => {
                    pos += consumed;
                    if c.flags.has(ClientFlags::MASTER) && !c.flags.has(ClientFlags::MULTI) {
                        self.master_applied(&qb[c.repl_applied..pos]);
                        c.repl_applied = pos;
                    }
                }
                ParseOutcome::Incomplete => break,
                ParseOutcome::IncompleteBigBulk { start, end } => {
                    big_bulk_start = start;
                    big_bulk_end = end;
                    break;
                }
                ParseOutcome::Error(e) => {
                    let msg = e.message();
                    log::debug!(
                        "Protocol error ({}) from client: {}",
                        msg,
                        self.client_info_string(c)
                    );
                    c.add_error(&msg);
                    self.drain_error_codes(c);
                    c.flags.set(ClientFlags::CLOSE_AFTER_REPLY);
                    pos = qb.len();
                    break;
                }
            }
        }
        c.querybuf = qb;
        // Redis frees the argv array after every command; keeping a small one
        // saves allocations, but a huge command's must not stay charged to the
        // client (used_memory would not come back down after it).
        if ranges.capacity() > ARGV_KEEP {
            ranges = Vec::new();
        }
        c.argv_ranges = ranges;
        c.inline_buf = scratch;
        c.argv_mem = 0;
        c.qbuf_snapshot = 0;
        // Keep the unparsed tail at the front of the buffer (for the master
        // client, everything not yet applied: an open MULTI block).
        let cut = if c.flags.has(ClientFlags::MASTER) {
            c.repl_applied.min(pos)
        } else {
            pos
        };
        c.repl_applied = 0;
        if cut >= c.querybuf.len() {
            c.querybuf.clear();
            c.qb_pos = 0;
        } else if cut > 0 {
            c.querybuf.drain(..cut);
            c.qb_pos = pos - cut;
        } else {
            c.qb_pos = pos;
        }
        // The unparsed request now starts the buffer: make room for its big
        // bulk at once (sdsMakeRoomForNonGreedy), so its memory shows (client
        // eviction) and the argument is read without regrowing.
        if big_bulk_end != 0 && c.querybuf.capacity() < big_bulk_end {
            let len = c.querybuf.len();
            c.querybuf.reserve_exact(big_bulk_end - len);
        }
        c.big_bulk_end = big_bulk_end;
        c.big_bulk_start = big_bulk_start;
        // After a big argument the buffer keeps its size: Redis hands its query
        // buffer to the argument and allocates one as big, expecting another;
        // clientsCron shrinks it by its recent peak.
    }
}

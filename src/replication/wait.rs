//! WAIT numreplicas timeout (Redis's waitCommand and friends): a client waits
//! until enough online replicas acknowledged the replication offset reached by
//! its last command (`Client::woff`). Blocked clients sit in the key-less
//! BlockType::Wait of src/blocked.rs; before each sleep the event loop unblocks
//! the satisfied ones and then, once per loop iteration and never while clients
//! are paused, sends a single REPLCONF GETACK * down the stream for all of them.

use crate::blocked::{BlockState, BlockType};
use crate::networking::{Client, ClientFlags};
use crate::resp::{Argv, OwnedArgv};
use crate::server::Server;

use super::ReplicaState;

impl Server {
    /// replicationCountAcksByOffset: online replicas that acknowledged `offset`.
    pub fn count_acks_by_offset(&self, offset: i64) -> i64 {
        self.repl
            .slaves
            .iter()
            .filter_map(|&t| self.client_ref(t).and_then(|c| c.repl.as_ref()))
            .filter(|r| r.state == ReplicaState::Online && r.ack_off >= offset)
            .count() as i64
    }

    /// replicationRequestAckFromSlaves: GETACK goes out in before_sleep.
    pub fn request_ack_from_replicas(&mut self) {
        self.repl.get_ack_from_slaves = true;
    }

    /// sendGetackToReplicas: REPLCONF GETACK * in the stream's current DB (no
    /// SELECT), counted in the offsets like any stream command.
    pub fn send_getack_to_replicas(&mut self) {
        if !self.repl_wants_stream() {
            return;
        }
        let mut buf = Vec::new();
        crate::aof::cat_command(&mut buf, 3, [&b"REPLCONF"[..], b"GETACK", b"*"]);
        self.feed_replication_buffer(&buf);
    }

    /// processClientsWaitingReplicas: answers the WAITs whose replicas caught up.
    pub fn process_clients_waiting_replicas(&mut self) {
        let mut last: Option<(i64, i64)> = None;
        for t in self.blocking.waiting_acks.clone() {
            let Some(mut c) = self.take_client(t) else {
                continue;
            };
            let Some((offset, want)) = c.bstate.as_ref().and_then(|st| st.wait) else {
                self.restore_client(c);
                continue;
            };
            // A client satisfied by an earlier check for as much answers the same.
            let got = match last {
                Some((lo, ln)) if lo >= offset && ln >= want => Some(ln),
                _ => {
                    let n = self.count_acks_by_offset(offset);
                    if n >= want {
                        last = Some((offset, n));
                        Some(n)
                    } else {
                        None
                    }
                }
            };
            if let Some(n) = got {
                self.unblock_client_served(&mut c);
                c.add_int(n);
            }
            self.restore_client(c);
        }
    }

    /// The before-sleep part of WAIT: unblock satisfied clients first, GETACK
    /// afterwards (beforeSleep's order: a pipelined WAIT that blocks again
    /// right after being served still gets its GETACK this iteration).
    pub fn wait_before_sleep_unblock(&mut self) {
        if !self.blocking.waiting_acks.is_empty() {
            self.process_clients_waiting_replicas();
        }
    }

    pub fn wait_before_sleep_getack(&mut self) {
        if self.repl.get_ack_from_slaves && !self.clients_paused_now() {
            self.send_getack_to_replicas();
            self.repl.get_ack_from_slaves = false;
        }
    }

    /// checkClientPauseTimeoutAndReturnIfPaused.
    fn clients_paused_now(&mut self) -> bool {
        if self.pause == crate::server::PauseKind::None {
            return false;
        }
        if self.pause_end_ms != 0 && crate::util::mstime() >= self.pause_end_ms {
            self.unpause_clients();
            return self.pause != crate::server::PauseKind::None;
        }
        true
    }
}

/// WAIT numreplicas timeout.
pub fn wait_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if srv.is_replica() {
        c.add_error("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
        return;
    }
    let Some(numreplicas) = crate::util::parse_i64(argv.get(1)) else {
        c.add_error("value is not an integer or out of range");
        return;
    };
    let Some(timeout) = crate::util::parse_i64(argv.get(2)) else {
        c.add_error("timeout is not an integer or out of range");
        return;
    };
    if timeout < 0 {
        c.add_error("timeout is negative");
        return;
    }
    let timeout_ms = if timeout > 0 {
        timeout.saturating_add(crate::util::mstime())
    } else {
        0
    };
    let offset = c.woff;
    let acks = srv.count_acks_by_offset(offset);
    // Inside MULTI (EXEC runs it) there is no blocking: the count as it is.
    if acks >= numreplicas || c.flags.has(ClientFlags::MULTI) {
        c.add_int(acks);
        return;
    }
    let cmd_id = srv
        .commands
        .lookup_argv(argv)
        .expect("wait is in the table");
    srv.block_client(
        c,
        BlockState {
            btype: BlockType::Wait,
            db: c.db,
            keys: Vec::new(),
            timeout_ms,
            argv: OwnedArgv::from_argv(argv),
            cmd_id,
            xread: None,
            wait: Some((offset, numreplicas)),
        },
    );
    srv.request_ack_from_replicas();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn run(srv: &mut Server, c: &mut Client, args: &[&str]) -> Vec<u8> {
        let a = OwnedArgv::from_slices(args.iter());
        wait_command(srv, c, &a.view());
        c.take_reply()
    }

    #[test]
    fn answers_at_once_when_satisfied_or_in_multi() {
        let mut s = Server::new(Config::default());
        let mut c = Client::fake(1);
        assert_eq!(run(&mut s, &mut c, &["wait", "0", "0"]), b":0\r\n");
        c.flags.set(ClientFlags::MULTI);
        assert_eq!(run(&mut s, &mut c, &["wait", "1", "0"]), b":0\r\n");
        assert!(!c.flags.has(ClientFlags::BLOCKED));
        assert_eq!(
            run(&mut s, &mut c, &["wait", "1", "-1"]),
            b"-ERR timeout is negative\r\n"
        );
        assert_eq!(
            run(&mut s, &mut c, &["wait", "x", "0"]),
            b"-ERR value is not an integer or out of range\r\n"
        );
    }

    #[test]
    fn blocks_and_asks_for_acks() {
        let mut s = Server::new(Config::default());
        let mut c = Client::fake(1);
        assert!(run(&mut s, &mut c, &["wait", "1", "100"]).is_empty());
        assert!(c.flags.has(ClientFlags::BLOCKED));
        assert!(s.repl.get_ack_from_slaves);
        assert_eq!(c.bstate.as_ref().unwrap().wait, Some((0, 1)));
    }
}

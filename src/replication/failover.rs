//! FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] (Redis 6.2's coordinated
//! failover): the master pauses writes, waits until a replica (the one named,
//! or any) acknowledged its whole stream, then turns itself into a replica of
//! it and sends `PSYNC <replid> <offset> FAILOVER`, which makes the target
//! promote itself and accept the old master by partial resync. The state shows
//! in INFO master_failover_state; the replica handshake (replica.rs) asks
//! `failover_psync_arg` and reports the PSYNC outcome to `failover_psync_done`.

use crate::networking::Client;
use crate::replication::pause::PausePurpose;
use crate::resp::Argv;
use crate::server::{PauseKind, Server};

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum FailoverState {
    #[default]
    None,
    /// Writes paused, waiting for the target to catch up.
    WaitForSync,
    /// We are a replica of the target, PSYNC FAILOVER on its way.
    InProgress,
}

#[derive(Default)]
pub struct Failover {
    pub state: FailoverState,
    /// Unix ms after which the wait gives up (or forces); 0: no timeout.
    pub end_time: i64,
    pub force: bool,
    pub target: Option<(String, i64)>,
}

impl Server {
    /// getFailoverStateString.
    pub fn failover_state_name(&self) -> &'static str {
        match self.repl.failover.state {
            FailoverState::None => "no-failover",
            FailoverState::WaitForSync => "waiting-for-sync",
            FailoverState::InProgress => "failover-in-progress",
        }
    }

    pub fn failover_in_progress(&self) -> bool {
        self.repl.failover.state != FailoverState::None
    }

    /// The replica handshake's PSYNC carries FAILOVER while one is in progress.
    pub fn failover_psync_arg(&self) -> bool {
        self.repl.failover.state == FailoverState::InProgress
    }

    /// The target answered our PSYNC FAILOVER: `accepted` for +CONTINUE or
    /// +FULLRESYNC. Returns false when the failover was aborted (the caller
    /// stops the handshake: we are a master again).
    pub fn failover_psync_done(&mut self, accepted: bool) -> bool {
        if self.repl.failover.state != FailoverState::InProgress {
            return true;
        }
        if accepted {
            self.clear_failover_state();
            true
        } else {
            self.abort_failover("Failover target rejected psync request");
            false
        }
    }

    /// findReplica: the replica announcing host:port.
    fn find_replica(&self, host: &str, port: i64) -> Option<usize> {
        self.repl.slaves.iter().copied().find(|&t| {
            self.client_ref(t).is_some_and(|c| {
                let Some(r) = c.repl.as_ref() else {
                    return false;
                };
                let ip = r.addr.clone().unwrap_or_else(|| super::peer_ip(&c.addr));
                ip.eq_ignore_ascii_case(host) && r.listening_port == port
            })
        })
    }

    /// clearFailoverState: also lifts the failover's pause.
    fn clear_failover_state(&mut self) {
        self.repl.failover = Failover::default();
        self.unpause_for(PausePurpose::Failover);
    }

    /// abortFailover.
    pub fn abort_failover(&mut self, why: &str) {
        if self.repl.failover.state == FailoverState::None {
            return;
        }
        match &self.repl.failover.target {
            Some((h, p)) => log::info!("FAILOVER to {}:{} aborted: {}", h, p, why),
            None => log::info!("FAILOVER to any replica aborted: {}", why),
        }
        if self.repl.failover.state == FailoverState::InProgress {
            self.unset_master();
        }
        self.clear_failover_state();
    }

    fn failover_to_target(&mut self) {
        self.repl.failover.state = FailoverState::InProgress;
        let (host, port) = self.repl.failover.target.clone().unwrap_or_default();
        self.set_master(host, port as u16, false);
    }

    /// updateFailoverStatus, before every sleep: time out (or force), or fail
    /// over once the target caught up.
    pub fn update_failover_status(&mut self) {
        if self.repl.failover.state != FailoverState::WaitForSync {
            return;
        }
        let now = crate::util::mstime();
        let f = &self.repl.failover;
        if f.end_time != 0 && f.end_time <= now {
            if f.force {
                let (h, p) = f.target.clone().unwrap_or_default();
                log::info!("FAILOVER to {}:{} time out exceeded, failing over.", h, p);
                self.failover_to_target();
            } else {
                self.abort_failover("Replica never caught up before timeout");
            }
            return;
        }
        let offset = self.repl.master_repl_offset;
        let caught_up = |s: &Server, t: usize| {
            s.client_ref(t)
                .and_then(|c| c.repl.as_ref())
                .is_some_and(|r| r.ack_off == offset)
        };
        let replica = match self.repl.failover.target.clone() {
            Some((h, p)) => self.find_replica(&h, p),
            None => {
                let found = self
                    .repl
                    .slaves
                    .iter()
                    .copied()
                    .find(|&t| caught_up(self, t));
                if let Some(t) = found {
                    let c = self.client_ref(t).unwrap();
                    let r = c.repl.as_ref().unwrap();
                    let ip = r.addr.clone().unwrap_or_else(|| super::peer_ip(&c.addr));
                    self.repl.failover.target = Some((ip, r.listening_port));
                }
                found
            }
        };
        if let Some(t) = replica.filter(|&t| caught_up(self, t)) {
            let _ = t;
            let (h, p) = self.repl.failover.target.clone().unwrap_or_default();
            log::info!("Failover target {}:{} is synced, failing over.", h, p);
            self.failover_to_target();
        }
    }

    /// The PSYNC FAILOVER request on the target. Returns false when it was
    /// refused (the error is replied).
    pub fn psync_failover_request(&mut self, c: &mut Client, argv: &Argv) -> bool {
        log::warn!(
            "Failover request received for replid {}.",
            String::from_utf8_lossy(argv.get(1))
        );
        if !self.is_replica() {
            c.add_error("PSYNC FAILOVER can't be sent to a master.");
            return false;
        }
        if argv.get(1).eq_ignore_ascii_case(self.replid.as_bytes()) {
            self.unset_master();
            log::info!(
                "MASTER MODE enabled (failover request from '{}')",
                self.client_info_string(c)
            );
            true
        } else {
            c.add_error("PSYNC FAILOVER replid must match my replid.");
            false
        }
    }
}

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds].
pub fn failover_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if srv.config.cluster_enabled {
        c.add_error("FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.");
        return;
    }
    if argv.len() == 2 && argv.get(1).eq_ignore_ascii_case(b"abort") {
        if !srv.failover_in_progress() {
            c.add_error("No failover in progress.");
            return;
        }
        srv.abort_failover("Failover manually aborted");
        c.add_ok();
        return;
    }
    let mut timeout: i64 = 0;
    let mut force = false;
    let mut target: Option<(String, i64)> = None;
    let mut j = 1;
    while j < argv.len() {
        let a = argv.get(j);
        if a.eq_ignore_ascii_case(b"timeout") && j + 1 < argv.len() && timeout == 0 {
            let Some(t) = crate::util::parse_i64(argv.get(j + 1)) else {
                c.add_error("value is not an integer or out of range");
                return;
            };
            if t <= 0 {
                c.add_error("FAILOVER timeout must be greater than 0");
                return;
            }
            timeout = t;
            j += 1;
        } else if a.eq_ignore_ascii_case(b"to") && j + 2 < argv.len() && target.is_none() {
            let Some(p) = crate::util::parse_i64(argv.get(j + 2)) else {
                c.add_error("value is not an integer or out of range");
                return;
            };
            target = Some((String::from_utf8_lossy(argv.get(j + 1)).into_owned(), p));
            j += 2;
        } else if a.eq_ignore_ascii_case(b"force") && !force {
            force = true;
        } else {
            c.add_error_syntax();
            return;
        }
        j += 1;
    }
    if srv.failover_in_progress() {
        c.add_error("FAILOVER already in progress.");
        return;
    }
    if srv.is_replica() {
        c.add_error("FAILOVER is not valid when server is a replica.");
        return;
    }
    if srv.repl.slaves.is_empty() {
        c.add_error("FAILOVER requires connected replicas.");
        return;
    }
    if force && (timeout == 0 || target.is_none()) {
        c.add_error("FAILOVER with force option requires both a timeout and target HOST and IP.");
        return;
    }
    if let Some((h, p)) = &target {
        let Some(t) = srv.find_replica(h, *p) else {
            c.add_error("FAILOVER target HOST and PORT is not a replica.");
            return;
        };
        let online = srv
            .client_ref(t)
            .and_then(|r| r.repl.as_ref())
            .is_some_and(|r| r.state == super::ReplicaState::Online);
        if !online {
            c.add_error("FAILOVER target replica is not online.");
            return;
        }
        log::info!("FAILOVER requested to {}:{}.", h, p);
    } else {
        log::info!("FAILOVER requested to any replica.");
    }
    let f = &mut srv.repl.failover;
    f.end_time = if timeout > 0 {
        crate::util::mstime() + timeout
    } else {
        0
    };
    f.force = force;
    f.target = target;
    f.state = FailoverState::WaitForSync;
    srv.pause_for(PausePurpose::Failover, i64::MAX, PauseKind::Write);
    c.add_ok();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::resp::OwnedArgv;

    fn run(srv: &mut Server, args: &[&str]) -> Vec<u8> {
        let mut c = Client::fake(1);
        let a = OwnedArgv::from_slices(args.iter());
        failover_command(srv, &mut c, &a.view());
        c.take_reply()
    }

    #[test]
    fn refusals() {
        let mut s = Server::new(Config::default());
        assert_eq!(
            run(&mut s, &["failover", "abort"]),
            b"-ERR No failover in progress.\r\n"
        );
        assert_eq!(
            run(&mut s, &["failover"]),
            b"-ERR FAILOVER requires connected replicas.\r\n"
        );
        assert_eq!(
            run(&mut s, &["failover", "timeout", "0"]),
            b"-ERR FAILOVER timeout must be greater than 0\r\n"
        );
        assert_eq!(
            run(&mut s, &["failover", "to", "h", "x"]),
            b"-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(&mut s, &["failover", "force", "force"]),
            b"-ERR syntax error\r\n"
        );
        assert_eq!(s.failover_state_name(), "no-failover");
    }
}

//! Client pauses by purpose (Redis's pause_purpose): CLIENT PAUSE, a shutdown
//! waiting for its replicas, and a FAILOVER each hold their own pause, and
//! `Server::pause` / `pause_end_ms` are the most restrictive kind and the
//! latest end among them. CLIENT UNPAUSE only lifts its own, so a shutdown or
//! failover keeps writes paused until it ends.

use crate::server::{PauseKind, Server};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PausePurpose {
    ClientCommand = 0,
    Shutdown = 1,
    Failover = 2,
}

fn rank(k: PauseKind) -> u8 {
    match k {
        PauseKind::None => 0,
        PauseKind::Write => 1,
        PauseKind::All => 2,
    }
}

/// One pause per purpose: (kind, end in unix ms).
pub type Pauses = [(PauseKind, i64); 3];

impl Server {
    /// pauseClients for one purpose: the most restrictive kind and the latest
    /// end win within it too (CLIENT PAUSE twice).
    pub fn pause_for(&mut self, purpose: PausePurpose, end_ms: i64, kind: PauseKind) {
        let p = &mut self.repl.pauses[purpose as usize];
        if p.0 == PauseKind::None {
            *p = (kind, end_ms);
        } else {
            if rank(kind) > rank(p.0) {
                p.0 = kind;
            }
            p.1 = p.1.max(end_ms);
        }
        if p.1 < crate::util::mstime() {
            *p = (PauseKind::None, 0);
        }
        self.recompute_pause();
    }

    /// unpauseClients for one purpose; held commands run from before_sleep
    /// once nothing pauses them any more.
    pub fn unpause_for(&mut self, purpose: PausePurpose) {
        self.repl.pauses[purpose as usize] = (PauseKind::None, 0);
        self.recompute_pause();
    }

    /// Lifts the pauses whose end passed (the cron's check).
    pub fn expire_pauses(&mut self, now_ms: i64) {
        for p in self.repl.pauses.iter_mut() {
            if p.0 != PauseKind::None && now_ms >= p.1 {
                *p = (PauseKind::None, 0);
            }
        }
        self.recompute_pause();
    }

    fn recompute_pause(&mut self) {
        let mut kind = PauseKind::None;
        let mut end = 0;
        for &(k, e) in self.repl.pauses.iter() {
            if k == PauseKind::None {
                continue;
            }
            if rank(k) > rank(kind) {
                kind = k;
            }
            end = end.max(e);
        }
        self.pause = kind;
        self.pause_end_ms = end;
    }

    /// The earliest end among the pauses in force (when the cron must look again).
    pub fn next_pause_end(&self) -> i64 {
        self.repl
            .pauses
            .iter()
            .filter(|p| p.0 != PauseKind::None)
            .map(|p| p.1)
            .min()
            .unwrap_or(0)
    }

    /// Is a pause of this purpose in force?
    pub fn paused_for(&self, purpose: PausePurpose) -> bool {
        self.repl.pauses[purpose as usize].0 != PauseKind::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn purposes_combine_and_lift_separately() {
        let mut s = Server::new(Config::default());
        let far = crate::util::mstime() + 100_000;
        s.pause_for(PausePurpose::ClientCommand, far, PauseKind::All);
        s.pause_for(PausePurpose::Shutdown, i64::MAX, PauseKind::Write);
        assert_eq!((s.pause, s.pause_end_ms), (PauseKind::All, i64::MAX));
        s.unpause_for(PausePurpose::ClientCommand);
        assert_eq!(s.pause, PauseKind::Write);
        s.expire_pauses(far + 1);
        assert_eq!(s.pause, PauseKind::Write, "a shutdown pause has no end");
        s.unpause_for(PausePurpose::Shutdown);
        assert_eq!((s.pause, s.pause_end_ms), (PauseKind::None, 0));
    }
}

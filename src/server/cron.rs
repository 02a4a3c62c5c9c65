//! serverCron, `hz` times a second: clocks, instantaneous metrics, idle client
//! timeouts, the slow active-expire cycle, incremental rehashing, dynamic hz and
//! the shutdown requested by a signal. `every(ms)` is Redis's run_with_period.

use super::{Server, INST_NET_IN, INST_NET_OUT, INST_OPS};
use crate::networking::ClientFlags;

const CONFIG_MAX_HZ: u32 = 500;
const MAX_CLIENTS_PER_CLOCK_TICK: usize = 200;

impl Server {
    fn every(&self, ms: u64) -> bool {
        let period = 1000 / self.hz.max(1) as u64;
        ms <= period || self.cronloops % (ms / period) == 0
    }

    pub fn server_cron(&mut self) {
        self.lru_clock = super::lru_clock_now();
        let now = crate::util::mstime();
        if self.config.dynamic_hz {
            let mut hz = self.config.hz;
            while self.clients.len() / hz as usize > MAX_CLIENTS_PER_CLOCK_TICK
                && hz < CONFIG_MAX_HZ
            {
                hz *= 2;
            }
            self.hz = hz.min(CONFIG_MAX_HZ);
        } else {
            self.hz = self.config.hz;
        }
        if self.cronloops == 0 {
            // The first cron tick runs as the loop starts: the server is initialised.
            self.used_memory_startup = super::info::used_memory();
        }
        if self.every(100) {
            self.update_peak_memory();
            let (ops, nin, nout) = (
                self.stats.numcommands,
                self.stats.net_input_bytes,
                self.stats.net_output_bytes,
            );
            self.stats.inst[INST_OPS].track(now, ops);
            self.stats.inst[INST_NET_IN].track(now, nin);
            self.stats.inst[INST_NET_OUT].track(now, nout);
        }
        if self.pause != super::PauseKind::None && now >= self.pause_end_ms {
            self.unpause_clients();
        }
        self.clients_cron(now);
        self.databases_cron();
        self.cronloops += 1;
    }

    /// Idle timeouts (`timeout`), visiting every client about once a second.
    fn clients_cron(&mut self, now: i64) {
        if self.config.timeout == 0 {
            return;
        }
        let limit = self.config.timeout as i64 * 1000;
        let mut to_close = Vec::new();
        for (_, c) in self.clients.iter() {
            if let Some(c) = c {
                // Replica-like (MONITOR), held by CLIENT PAUSE, or subscribed: never idle-closed.
                if c.flags.0 & (ClientFlags::MONITOR | ClientFlags::PAUSED | ClientFlags::PUBSUB)
                    != 0
                {
                    continue;
                }
                if now - c.last_interaction_ms > limit {
                    to_close.push(c.token);
                }
            }
        }
        for t in to_close {
            if let Some(c) = self.take_client(t) {
                log::debug!("Closing idle client");
                self.free_client(c);
            }
        }
    }

    fn databases_cron(&mut self) {
        self.active_expire_cycle(crate::db::expire::CycleKind::Slow);
        for db in self.dbs.iter_mut() {
            if db.is_rehashing() || !db.is_empty() {
                db.rehash_cron(1000);
            }
        }
    }

    /// Lifts an expired CLIENT PAUSE and runs the commands it held.
    pub fn unpause_clients(&mut self) {
        self.pause = super::PauseKind::None;
        self.pause_end_ms = 0;
        self.resume_paused_clients();
    }
}

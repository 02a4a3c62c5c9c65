//! serverCron, `hz` times a second: clocks, instantaneous metrics, idle client
//! timeouts, the slow active-expire cycle, incremental rehashing, dynamic hz and
//! the shutdown requested by a signal. `every(ms)` is Redis's run_with_period.

use super::{Server, INST_NET_IN, INST_NET_OUT, INST_OPS};
use crate::networking::ClientFlags;

const CONFIG_MAX_HZ: u32 = 500;
const MAX_CLIENTS_PER_CLOCK_TICK: usize = 200;
const CLIENTS_CRON_MIN_ITERATIONS: usize = 5;
/// Query buffers above this may be trimmed to their recent peak (PROTO_RESIZE_THRESHOLD).
const PROTO_RESIZE_THRESHOLD: usize = 32 * 1024;

/// Gives back query buffer memory: all of it after 2 s idle, or the part above the
/// recent peak for big buffers (clientsCronResizeQueryBuffer). Only when at least
/// 4 KB would be saved.
fn resize_query_buffer(c: &mut crate::networking::Client, now: i64) {
    let size = c.querybuf.capacity();
    let len = c.querybuf.len();
    let idle_secs = (now - c.last_interaction_ms) / 1000;
    if size - len > 4 * 1024 {
        if idle_secs > 2 {
            c.querybuf.shrink_to_fit();
        } else if size > PROTO_RESIZE_THRESHOLD && size / 2 > c.querybuf_peak {
            c.querybuf.shrink_to(len.max(c.querybuf_peak));
        }
    }
    c.querybuf_peak = c.querybuf.len();
}

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
        if self.pause_cron {
            // DEBUG PAUSE-CRON: keep the period, skip the work.
            return;
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
        if self.pause != super::PauseKind::None && now >= self.next_pause_end() {
            self.unpause_clients();
        }
        self.clients_cron(now);
        self.databases_cron();
        self.rdb_cron();
        self.replication_cron();
        if self.cluster.is_some() && self.every(100) {
            self.cluster_cron();
        }
        self.aof_cron();
        // Also done before every command; here so that a lowered limit
        // applies on an idle server too.
        if self.tracking.clients != 0 {
            self.tracking_limit_used_slots();
        }
        let wd = self.config.get_i64("watchdog-period");
        if wd != 0 {
            crate::crash::watchdog(wd, self.hz);
        }
        self.cronloops += 1;
    }

    /// Per-client housekeeping, every client about once a second (clientsCron):
    /// idle timeouts (`timeout`) and query buffer trimming.
    fn clients_cron(&mut self, now: i64) {
        let limit = self.config.timeout as i64 * 1000;
        let mut to_close = Vec::new();
        // Walk slab slots (not only live clients) so every slot is seen about once a second.
        let cap = self.clients.capacity().max(1);
        let per_call = (cap / self.hz.max(1) as usize)
            .max(CLIENTS_CRON_MIN_ITERATIONS)
            .min(cap);
        for _ in 0..per_call {
            self.clients_cron_cursor = (self.clients_cron_cursor + 1) % cap;
            let Some(Some(c)) = self.clients.get_mut(self.clients_cron_cursor) else {
                continue;
            };
            // Replica-like (MONITOR), held by CLIENT PAUSE, or subscribed: never idle-closed.
            let exempt =
                c.flags.0 & (ClientFlags::MONITOR | ClientFlags::PAUSED | ClientFlags::PUBSUB) != 0;
            if limit > 0 && !exempt && now - c.last_interaction_ms > limit {
                to_close.push(c.token);
                continue;
            }
            resize_query_buffer(c, now);
            let t = c.token;
            if let Some(mut c) = self.take_client(t) {
                self.clients_cron_limits(&mut c, now);
                self.restore_client(c);
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
        if self.active_expire_enabled && self.is_replica() {
            self.expire_replica_keys();
        }
        for db in self.dbs.iter_mut() {
            if db.is_rehashing() || !db.is_empty() {
                db.rehash_cron(1000);
            }
        }
    }

    /// Lifts the pauses that ended and runs the commands they held (held
    /// again if another pause still applies to them).
    pub fn unpause_clients(&mut self) {
        self.expire_pauses(crate::util::mstime());
        self.resume_paused_clients();
    }
}

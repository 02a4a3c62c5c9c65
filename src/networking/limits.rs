//! Client limits: output buffer limits per class (`client-output-buffer-limit`),
//! client eviction by memory (`maxmemory-clients`, CLIENT NO-EVICT), and the
//! adaptive reply buffer size behind CLIENT LIST rbs=/rbp= and DEBUG REPLYBUFFER
//! (clientsCronResizeOutputBuffer).
//!
//! The output limit check sits on the reply path as one compare against
//! `Client::obuf_check_at`; only past that threshold does the slow path here run.

use super::client::{Client, ClientFlags};
use super::client_cmd::{client_type, ClientType};
use crate::server::Server;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

/// PROTO_REPLY_CHUNK_BYTES: the initial and largest reply buffer size.
pub const REPLY_CHUNK_BYTES: usize = 16 * 1024;
/// A reply list block's payload: a PROTO_REPLY_CHUNK_BYTES block plus its
/// 16-byte header lands in jemalloc's 20480-byte class, and Redis counts the
/// usable size.
const REPLY_BLOCK_USABLE: usize = 20480 - 16;
/// PROTO_REPLY_MIN_BYTES: the reply buffer never shrinks below this.
pub const REPLY_MIN_BYTES: usize = 1024;
/// How far past the current size the next limit check is armed when no limit is near.
const CHECK_STEP: usize = 16 * 1024;

/// The output buffer limits of the three classes (normal, replica, pubsub), as
/// hard, soft, soft seconds; published from the config so the reply path can
/// check them without the server.
static LIMITS: [[AtomicU64; 3]; 3] = [
    [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
    [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
    [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
];

/// DEBUG REPLYBUFFER PEAK-RESET-TIME (ms, -1 = never) and RESIZING.
pub static PEAK_RESET_TIME_MS: AtomicI64 = AtomicI64::new(REPLY_BUFFER_DEFAULT_PEAK_RESET_MS);
pub static RESIZING_ENABLED: AtomicBool = AtomicBool::new(true);
pub const REPLY_BUFFER_DEFAULT_PEAK_RESET_MS: i64 = 5000;

/// Makes new `client-output-buffer-limit` values visible to the reply path.
pub fn publish(limits: &[crate::config::ObufLimit; 3]) {
    for (j, l) in limits.iter().enumerate() {
        LIMITS[j][0].store(l.hard, Ordering::Relaxed);
        LIMITS[j][1].store(l.soft, Ordering::Relaxed);
        LIMITS[j][2].store(l.soft_seconds.max(0) as u64, Ordering::Relaxed);
    }
}

fn class_index(c: &Client) -> usize {
    // A master link is limited as a normal client; MONITOR clients are normal too.
    match client_type(c) {
        ClientType::Pubsub => 2,
        ClientType::Replica => 1,
        _ => 0,
    }
}

impl Client {
    /// The client is being closed for its output (Redis's CLIENT_CLOSE_ASAP
    /// test in long reply loops): producing more replies is wasted work.
    #[inline]
    pub fn output_stopped(&self) -> bool {
        self.flags.0 & (ClientFlags::CLOSE_ASAP | ClientFlags::OBUF_LIMIT_HIT) != 0
    }

    /// getClientOutputBufferMemoryUsage: pending output beyond the reply buffer,
    /// counted the way Redis's reply list allocates it — whole blocks of
    /// REPLY_BLOCK_USABLE bytes — since the limits compare against that figure
    /// (a KEYS reply just over the limit in bytes-past-the-buffer must trip it).
    #[inline]
    pub fn obuf_list_bytes(&self) -> usize {
        let list = self.pending_reply_bytes().saturating_sub(self.rb_size);
        list.div_ceil(REPLY_BLOCK_USABLE) * REPLY_BLOCK_USABLE
    }

    /// getClientMemoryUsage. Redis sums its fixed reply buffer (rbs) and the
    /// reply list; ours is one vector holding both, so what it really holds
    /// is its allocation (written bytes stay in it until all is sent, and it
    /// grows by doubling), never less than Redis's figure. Counting less would
    /// let client memory push the server into key eviction before client
    /// eviction sees it.
    pub fn memory_usage(&self) -> usize {
        self.reply
            .capacity()
            .max(self.rb_size + self.obuf_list_bytes())
            + self.querybuf.capacity()
            + std::mem::size_of::<Client>()
            + self.argv_mem
            + self.extra_memory()
    }

    /// Memory held by optional per-client state: tracking prefixes, the
    /// queued transaction and watched keys, pub/sub subscriptions (counted
    /// as Redis's getClientMemoryUsage counts their bookkeeping).
    fn extra_memory(&self) -> usize {
        crate::tracking::client_extra_memory(self)
            + self.mstate.as_ref().map_or(0, |m| m.memory())
            + self.watched.len() * 56
            + self.subs.as_ref().map_or(0, |s| s.memory())
    }

    /// checkClientOutputBufferLimits: is a hard limit exceeded, or a soft one
    /// for longer than its seconds? Keeps the soft-limit timer.
    fn obuf_limit_reached(&mut self, now_s: i64) -> bool {
        let k = class_index(self);
        let hard = LIMITS[k][0].load(Ordering::Relaxed) as usize;
        let soft = LIMITS[k][1].load(Ordering::Relaxed) as usize;
        let soft_secs = LIMITS[k][2].load(Ordering::Relaxed) as i64;
        let used = self.obuf_list_bytes();
        let hard_hit = hard != 0 && used >= hard;
        let mut soft_hit = soft != 0 && used >= soft;
        if soft_hit {
            if self.obuf_soft_since == 0 {
                self.obuf_soft_since = now_s;
                soft_hit = false;
            } else if now_s - self.obuf_soft_since <= soft_secs {
                soft_hit = false;
            }
        } else {
            self.obuf_soft_since = 0;
        }
        hard_hit || soft_hit
    }

    /// The slow path of the reply-side check: decides whether the limit is
    /// reached (then drops further replies) and arms the next check.
    #[cold]
    pub fn obuf_threshold_crossed(&mut self) {
        if self.is_fake()
            || self.flags.0 & (ClientFlags::CLOSE_ASAP | ClientFlags::OBUF_LIMIT_HIT) != 0
        {
            self.obuf_check_at = usize::MAX;
            return;
        }
        if self.obuf_list_bytes() > 0 && self.obuf_limit_reached(crate::util::mstime() / 1000) {
            self.flags.set(ClientFlags::OBUF_LIMIT_HIT);
            self.obuf_check_at = usize::MAX;
            return;
        }
        let k = class_index(self);
        let hard = LIMITS[k][0].load(Ordering::Relaxed) as usize;
        let soft = LIMITS[k][1].load(Ordering::Relaxed) as usize;
        let used = self.obuf_list_bytes();
        let mut step = CHECK_STEP;
        for lim in [hard, soft] {
            if lim > used {
                step = step.min(lim - used);
            }
        }
        self.obuf_check_at = self.reply.len() + step.max(1);
    }

    /// The reply buffer was fully written: the limit check re-arms from zero.
    #[inline]
    pub fn obuf_rearm(&mut self) {
        if self.obuf_check_at != usize::MAX || !self.flags.has(ClientFlags::OBUF_LIMIT_HIT) {
            self.obuf_check_at = self.rb_size;
        }
    }
}

/// getClientEvictionLimit: bytes, or 0 when client eviction is off. Never below
/// 128k, so a bad setting can't cut every connection.
pub fn client_eviction_limit(cfg: &crate::config::Config) -> usize {
    let v = cfg.maxmemory_clients;
    let limit = if v < 0 && cfg.maxmemory > 0 {
        (cfg.maxmemory as f64 * (-v) as f64 / 100.0) as usize
    } else if v > 0 {
        v as usize
    } else {
        return 0;
    };
    limit.max(128 * 1024)
}

impl Server {
    /// closeClientOnOutputBufferLimitReached (async): logs and schedules the close.
    #[cold]
    pub fn close_on_obuf_limit(&mut self, c: &mut Client) {
        if c.flags.has(ClientFlags::CLOSE_ASAP) {
            return;
        }
        let info = self.client_info_string(c);
        self.free_client_async(c);
        log::warn!(
            "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
            info
        );
    }

    /// After a client's output changed: closes it if it went over its limit.
    #[inline]
    pub fn check_obuf_hit(&mut self, c: &mut Client) {
        if c.flags.has(ClientFlags::OBUF_LIMIT_HIT) {
            self.close_on_obuf_limit(c);
        }
    }

    /// A config change may set limits where none were: every client checks on
    /// its next reply.
    pub fn rearm_obuf_checks(&mut self) {
        for (_, c) in self.clients.iter_mut() {
            if let Some(c) = c.as_deref_mut() {
                if !c.flags.has(ClientFlags::OBUF_LIMIT_HIT) {
                    c.obuf_check_at = 0;
                }
            }
        }
    }

    /// maxmemory-clients changed: every client is accounted afresh; eviction,
    /// if now due, runs before the next sleep.
    pub fn reaccount_all_clients(&mut self) {
        let mut total = 0;
        let on = self.config.maxmemory_clients_on();
        for (_, x) in self.clients.iter_mut() {
            if let Some(x) = x.as_deref_mut() {
                x.last_mem = if on && client_eviction_allowed(x) {
                    x.memory_usage()
                } else {
                    0
                };
                total += x.last_mem;
            }
        }
        self.clients_mem_total = total;
    }

    /// beforeSleep's evictClients.
    pub fn evict_clients_if_needed(&mut self) {
        if !self.config.maxmemory_clients_on() {
            return;
        }
        let limit = client_eviction_limit(&self.config);
        if limit != 0 && self.clients_mem_total >= limit {
            self.evict_clients(None, limit);
        }
    }

    /// clientsCron's part: the soft limit also expires without new traffic, the
    /// reply buffer adapts to its recent peak, and the client's memory is
    /// re-accounted for eviction.
    pub fn clients_cron_limits(&mut self, c: &mut Client, now_ms: i64) {
        if c.pending_reply_bytes() > 0 && !c.is_fake() {
            c.obuf_threshold_crossed();
            self.check_obuf_hit(c);
        }
        self.resize_reply_buffer(c, now_ms);
        if self.config.maxmemory_clients_on() {
            self.account_client_memory(c);
        }
    }

    /// clientsCronResizeOutputBuffer.
    fn resize_reply_buffer(&mut self, c: &mut Client, now_ms: i64) {
        c.rb_peak = c.rb_peak.max(c.pending_reply_bytes().min(c.rb_size));
        if RESIZING_ENABLED.load(Ordering::Relaxed) {
            let shrink_to = c.rb_size / 2;
            let expand_to = c.rb_size * 2;
            let mut new_size = 0;
            if shrink_to >= REPLY_MIN_BYTES && c.rb_peak < shrink_to {
                new_size = REPLY_MIN_BYTES.max(c.rb_peak + 1);
                self.stats.reply_buffer_shrinks += 1;
            } else if expand_to < REPLY_CHUNK_BYTES * 2 && c.rb_peak == c.rb_size {
                new_size = REPLY_CHUNK_BYTES.min(expand_to);
                self.stats.reply_buffer_expands += 1;
            }
            if new_size != 0 {
                c.rb_size = new_size;
                if c.pending_reply_bytes() == 0 && c.reply.capacity() > new_size {
                    c.reply = Vec::with_capacity(new_size);
                    c.sent = 0;
                }
                c.obuf_rearm();
            }
        }
        let reset = PEAK_RESET_TIME_MS.load(Ordering::Relaxed);
        if reset >= 0 && now_ms - c.rb_peak_reset_ms >= reset {
            c.rb_peak = c.pending_reply_bytes().min(c.rb_size);
            c.rb_peak_reset_ms = now_ms;
        }
    }

    /// updateClientMemoryUsage for the eviction total.
    pub fn account_client_memory(&mut self, c: &mut Client) {
        let mem = if client_eviction_allowed(c) {
            c.memory_usage()
        } else {
            0
        };
        self.clients_mem_total =
            self.clients_mem_total + mem - c.last_mem.min(self.clients_mem_total);
        c.last_mem = mem;
    }

    /// After a client's buffers changed (it read or ran commands): re-accounts
    /// it and evicts the biggest clients while client memory is over
    /// `maxmemory-clients`. Returns true when `c` itself was evicted (the
    /// caller frees it).
    pub fn client_eviction_check(&mut self, c: &mut Client) -> bool {
        if !self.config.maxmemory_clients_on() {
            return false;
        }
        self.account_client_memory(c);
        let limit = client_eviction_limit(&self.config);
        if limit == 0 || self.clients_mem_total < limit {
            return false;
        }
        self.evict_clients(Some(c), limit)
    }

    /// processCommand's client eviction step, before key eviction: if the
    /// clients' memory (as last accounted) is over the limit, the largest go.
    /// Returns true when `c` itself was evicted: it is closed and its command
    /// does not run.
    #[cold]
    pub fn client_eviction_gate(&mut self, c: &mut Client) -> bool {
        let limit = client_eviction_limit(&self.config);
        if limit == 0 || self.clients_mem_total < limit {
            return false;
        }
        if self.evict_clients(Some(c), limit) {
            self.free_client_async(c);
            return true;
        }
        false
    }

    /// evictClients: the largest evictable clients go first.
    fn evict_clients(&mut self, mut me: Option<&mut Client>, limit: usize) -> bool {
        // Re-account everyone exactly: the running total may be stale.
        let mut sizes: Vec<(usize, usize)> = Vec::new();
        let mut total = 0;
        for (_, x) in self.clients.iter_mut() {
            if let Some(x) = x.as_deref_mut() {
                let m = if client_eviction_allowed(x) {
                    x.memory_usage()
                } else {
                    0
                };
                x.last_mem = m;
                total += m;
                if m > 0 {
                    sizes.push((m, x.token));
                }
            }
        }
        if let Some(c) = me.as_deref_mut() {
            total += c.last_mem;
            if c.last_mem > 0 {
                sizes.push((c.last_mem, c.token));
            }
        }
        self.clients_mem_total = total;
        sizes.sort_by(|a, b| b.0.cmp(&a.0));
        let mut evicted_me = false;
        for (m, token) in sizes {
            if self.clients_mem_total < limit {
                break;
            }
            let is_me = me.as_ref().is_some_and(|c| c.token == token);
            if is_me {
                let c = me.as_deref_mut().unwrap();
                log::info!("Evicting client: {}", self.client_info_string(c));
                evicted_me = true;
                self.clients_mem_total -= m;
                c.last_mem = 0;
            } else if let Some(x) = self.take_client(token) {
                log::info!("Evicting client: {}", self.client_info_string(&x));
                self.free_client(x);
            }
            self.stats.evicted_clients += 1;
        }
        if self.clients_mem_total >= limit {
            log::warn!("Over client maxmemory after evicting all evictable clients");
        }
        evicted_me
    }
}

/// clientEvictionAllowed: normal and pub/sub clients without NO-EVICT. A
/// client already doomed by its output limit is not counted: it is closed
/// before its memory could matter, and the limit takes precedence.
fn client_eviction_allowed(c: &Client) -> bool {
    !c.is_fake()
        && c.flags.0
            & (ClientFlags::NO_EVICT | ClientFlags::OBUF_LIMIT_HIT | ClientFlags::CLOSE_ASAP)
            == 0
        && matches!(client_type(c), ClientType::Normal | ClientType::Pubsub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_limit_drops_replies() {
        publish(&[
            crate::config::ObufLimit {
                hard: 100_000,
                soft: 0,
                soft_seconds: 0,
            },
            crate::config::OBUF_DEFAULTS[1],
            crate::config::OBUF_DEFAULTS[2],
        ]);
        let mut c = Client::new(1, 64, None, 0);
        let big = vec![b'x'; 10_000];
        for _ in 0..9 {
            c.add_bulk(&big);
        }
        assert!(!c.flags.has(ClientFlags::OBUF_LIMIT_HIT));
        for _ in 0..20 {
            c.add_bulk(&big);
        }
        assert!(c.flags.has(ClientFlags::OBUF_LIMIT_HIT));
        // Output stopped growing once the limit was reached.
        assert!(c.reply.len() < 100_000 + REPLY_CHUNK_BYTES + 2 * 10_010);
        let len = c.reply.len();
        c.add_bulk(&big);
        assert_eq!(c.reply.len(), len);
        publish(&crate::config::OBUF_DEFAULTS);
    }
}

//! Active expiry (Redis's expire.c activeExpireCycle): sample keys with a TTL,
//! delete the expired ones, repeat while more than a quarter of a sample was
//! expired, within a time budget. The slow cycle runs from serverCron, the fast
//! one from beforeSleep.

use crate::server::Server;

const KEYS_PER_LOOP: usize = 20;
const FAST_DURATION_US: u64 = 1000;
const SLOW_TIME_PERC: u64 = 25;
const ACCEPTABLE_STALE: usize = 10;

#[derive(Clone, Copy, PartialEq)]
pub enum CycleKind {
    Slow,
    Fast,
}

impl Server {
    pub fn active_expire_cycle(&mut self, kind: CycleKind) {
        if !self.active_expire_enabled || self.is_replica_of_master() || self.expire_paused() {
            return;
        }
        let effort = self.config.active_expire_effort.clamp(1, 10) as usize - 1;
        let per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort;
        let stale_ok = ACCEPTABLE_STALE.saturating_sub(effort);
        let start = crate::util::monotonic_us();
        if kind == CycleKind::Fast {
            if !self.expire_fast_pending {
                return;
            }
            if start < self.last_fast_expire_us + FAST_DURATION_US * 2 {
                return;
            }
            self.last_fast_expire_us = start;
        }
        let hz = self.hz.max(1) as u64;
        let limit_us = match kind {
            Kind::Fast => FAST_DURATION_US + FAST_DURATION_US / 4 * effort as u64,
            Kind::Slow => SLOW_TIME_PERC * 1_000_000 / hz / 100,
        };
        let ndb = self.dbs.len();
        let mut sample = Vec::with_capacity(per_loop);
        let mut any_stale = false;
        let mut iterations = 0u64;
        for _ in 0..ndb {
            let db = self.expire_db_cursor % ndb;
            self.expire_db_cursor = self.expire_db_cursor.wrapping_add(1);
            loop {
                if self.dbs[db].expires.is_empty() {
                    break;
                }
                iterations += 1;
                self.dbs[db]
                    .expires
                    .sample_keys(per_loop, &mut self.rng, &mut sample);
                let now = crate::util::mstime();
                let mut expired = 0;
                let mut ttl_sum = 0i64;
                let mut ttl_n = 0i64;
                for key in sample.iter() {
                    if let Some(&when) = self.dbs[db].expires.get(key) {
                        if when <= now {
                            self.delete_expired_key(db, key);
                            expired += 1;
                        } else {
                            ttl_sum += when - now;
                            ttl_n += 1;
                        }
                    }
                }
                self.stats.expire_cycle_keys_sampled += sample.len() as u64;
                if ttl_n > 0 {
                    let avg = ttl_sum / ttl_n;
                    let d = &mut self.dbs[db];
                    d.avg_ttl = if d.avg_ttl == 0 {
                        avg
                    } else {
                        (d.avg_ttl / 50) * 49 + avg / 50
                    };
                }
                if iterations % 16 == 0 && crate::util::monotonic_us() - start > limit_us {
                    self.stats.expire_cycle_time_used += crate::util::monotonic_us() - start;
                    self.expire_fast_pending = true;
                    return;
                }
                if sample.is_empty() || expired * 100 / sample.len() <= stale_ok {
                    break;
                }
                any_stale = true;
            }
        }
        self.stats.expire_cycle_time_used += crate::util::monotonic_us() - start;
        self.expire_fast_pending = any_stale;
    }
}

use CycleKind as Kind;

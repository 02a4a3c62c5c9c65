//! Active expiry (Redis 7.0's expire.c activeExpireCycle): walk the expires
//! table bucket by bucket from a per-db cursor, delete the keys whose time has
//! passed, and repeat on a database while more than the acceptable share of a
//! sample was stale, within a time budget. The slow cycle runs from serverCron;
//! the fast one from beforeSleep, only after a slow cycle ran out of time.

use crate::server::Server;

const KEYS_PER_LOOP: u64 = 20;
const FAST_DURATION_US: u64 = 1000;
const SLOW_TIME_PERC: u64 = 25;
const ACCEPTABLE_STALE: u64 = 10;
/// Databases visited per call (CRON_DBS_PER_CALL), unless the last call ran out of time.
const DBS_PER_CALL: usize = 16;
/// DICT_HT_INITIAL_SIZE: tables this small are always worth sampling.
const DICT_INITIAL_SIZE: usize = 4;

#[derive(Clone, Copy, PartialEq)]
pub enum CycleKind {
    Slow,
    Fast,
}

impl Server {
    /// One active expire cycle. `expire_fast_pending` is Redis's `timelimit_exit`:
    /// set when a cycle stopped for time, it lets the next fast cycle run.
    pub fn active_expire_cycle(&mut self, kind: CycleKind) {
        if !self.active_expire_enabled || self.is_replica_of_master() || self.expire_paused() {
            return;
        }
        let effort = self.config.active_expire_effort.clamp(1, 10) as u64 - 1;
        let keys_per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort;
        let fast_duration = FAST_DURATION_US + FAST_DURATION_US / 4 * effort;
        let slow_perc = SLOW_TIME_PERC + 2 * effort;
        let acceptable_stale = ACCEPTABLE_STALE - effort;

        let start = crate::util::monotonic_us();
        if kind == CycleKind::Fast {
            // Redis compares the stale fraction (0..1) with a percentage here, so in
            // practice only a time-capped slow cycle enables the fast one; kept as is.
            if !self.expire_fast_pending && self.stats.expired_stale_perc < acceptable_stale as f64
            {
                return;
            }
            if start < self.last_fast_expire_us + fast_duration * 2 {
                return;
            }
            self.last_fast_expire_us = start;
        }
        let ndb = self.dbs.len();
        let mut dbs_per_call = DBS_PER_CALL;
        if dbs_per_call > ndb || self.expire_fast_pending {
            dbs_per_call = ndb;
        }
        let hz = self.hz.max(1) as u64;
        let mut timelimit = (slow_perc * 1_000_000 / hz / 100).max(1);
        if kind == CycleKind::Fast {
            timelimit = fast_duration;
        }
        let mut timelimit_exit = false;
        let mut total_sampled = 0u64;
        let mut total_expired = 0u64;
        let mut iteration = 0u64;
        let mut bucket = Vec::new();

        let mut j = 0;
        while j < dbs_per_call && !timelimit_exit {
            j += 1;
            let db = self.expire_db_cursor % ndb;
            self.expire_db_cursor = self.expire_db_cursor.wrapping_add(1);
            loop {
                iteration += 1;
                let num = self.dbs[db].expires_len() as u64;
                if num == 0 {
                    self.dbs[db].avg_ttl = 0;
                    break;
                }
                let slots = self.dbs[db].expires_slots() as u64;
                let now = crate::util::mstime();
                // Under 1% fill, sampling costs too much; the table will shrink soon.
                if slots > DICT_INITIAL_SIZE as u64 && num * 100 / slots < 1 {
                    break;
                }
                let num = num.min(keys_per_loop);
                let max_buckets = num * 20;
                let (mut sampled, mut expired, mut checked) = (0u64, 0u64, 0u64);
                let (mut ttl_sum, mut ttl_samples) = (0i64, 0i64);
                while sampled < num && checked < max_buckets {
                    for table in 0..2 {
                        let cursor = self.dbs[db].expires_cursor;
                        if !self.dbs[db]
                            .expires
                            .bucket_entries(table, cursor, &mut bucket)
                        {
                            break;
                        }
                        checked += 1;
                        for (key, when) in bucket.drain(..) {
                            let ttl = when - now;
                            if now > when {
                                self.delete_expired_key(db, &key);
                                expired += 1;
                            }
                            if ttl > 0 {
                                ttl_sum += ttl;
                                ttl_samples += 1;
                            }
                            sampled += 1;
                        }
                    }
                    let d = &mut self.dbs[db];
                    d.expires_cursor = d.expires_cursor.wrapping_add(1);
                }
                total_expired += expired;
                total_sampled += sampled;
                if ttl_samples > 0 {
                    let avg = ttl_sum / ttl_samples;
                    let d = &mut self.dbs[db];
                    if d.avg_ttl == 0 {
                        d.avg_ttl = avg;
                    }
                    d.avg_ttl = (d.avg_ttl / 50) * 49 + avg / 50;
                }
                if iteration & 0xf == 0 && crate::util::monotonic_us() - start > timelimit {
                    timelimit_exit = true;
                    self.stats.expired_time_cap_reached_count += 1;
                    break;
                }
                if sampled != 0 && expired * 100 / sampled <= acceptable_stale {
                    break;
                }
            }
        }
        self.expire_fast_pending = timelimit_exit;
        let elapsed = crate::util::monotonic_us() - start;
        self.stats.expire_cycle_time_used += elapsed;
        self.latency_add_sample_if_needed("expire-cycle", elapsed / 1000);
        let current = if total_sampled > 0 {
            total_expired as f64 / total_sampled as f64
        } else {
            0.0
        };
        self.stats.expired_stale_perc = current * 0.05 + self.stats.expired_stale_perc * 0.95;
        self.stats.expire_cycle_keys_sampled += total_sampled;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::object::{Obj, StrEnc};

    fn server() -> Server {
        Server::new(crate::config::Config::default())
    }

    #[test]
    fn slow_cycle_removes_expired_keys_only() {
        let mut srv = server();
        let now = crate::util::mstime();
        for i in 0..200 {
            let k = format!("k{}", i);
            srv.dbs[0].add(k.as_bytes(), Obj::string(StrEnc::from_int(i, false), 0));
            // Half expired long ago, half far in the future.
            let when = if i % 2 == 0 {
                now - 10_000
            } else {
                now + 1_000_000
            };
            srv.dbs[0].set_expire(k.as_bytes(), when);
        }
        for _ in 0..200 {
            srv.active_expire_cycle(CycleKind::Slow);
            if srv.dbs[0].len() == 100 {
                break;
            }
        }
        assert_eq!(srv.dbs[0].len(), 100);
        assert_eq!(srv.stats.expired_keys, 100);
        assert!(srv.dbs[0].avg_ttl > 0);
        for i in (1..200).step_by(2) {
            assert!(srv.dbs[0].contains(format!("k{}", i).as_bytes()));
        }
    }

    #[test]
    fn disabled_cycle_does_nothing() {
        let mut srv = server();
        srv.active_expire_enabled = false;
        srv.dbs[3].add(b"x", Obj::string(StrEnc::from_int(1, false), 0));
        srv.dbs[3].set_expire(b"x", 1);
        srv.active_expire_cycle(CycleKind::Slow);
        assert_eq!(srv.dbs[3].len(), 1);
    }
}

//! maxmemory: the OOM gate before each command and key eviction (Redis's evict.c).
//! Eviction is Redis's sampled approximation: each round samples
//! `maxmemory-samples` keys per database into a pool of the 16 best candidates
//! (highest idle time for LRU, lowest frequency for LFU, nearest expiry for TTL)
//! and evicts the best; random policies pick any key. A round stops after freeing
//! what was asked or after the time `maxmemory-eviction-tenacity` allows, and then
//! the event loop keeps evicting between polls (the eviction time proc).

use crate::commands::flags;
use crate::db::object::{lfu_decr_and_return, Obj, LRU_CLOCK_MAX};
use crate::db::Db;
use crate::networking::Client;
use crate::server::Server;
use crate::util::Rng;

/// Candidates kept between rounds (EVPOOL_SIZE).
const EVPOOL_SIZE: usize = 16;
/// Key buffers in the pool are reused; longer ones are given back after use.
const EVPOOL_CACHED_KEY_SIZE: usize = 255;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EvictResult {
    /// Under the limit (or eviction is not allowed to run now).
    Ok,
    /// Over the limit but the time proc keeps evicting.
    Running,
    /// Over the limit with nothing left that may be evicted.
    Fail,
}

#[derive(Default)]
struct PoolEntry {
    /// Score: the higher, the better a candidate.
    idle: u64,
    key: Vec<u8>,
    dbid: usize,
    used: bool,
}

/// What maxmemory-policy asks for, decoded once per eviction run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Policy {
    NoEviction,
    Lru { allkeys: bool },
    Lfu { allkeys: bool },
    Ttl,
    Random { allkeys: bool },
}

impl Policy {
    fn from_name(name: &str) -> Policy {
        let allkeys = name.starts_with("allkeys-");
        match name {
            "noeviction" => Policy::NoEviction,
            "volatile-ttl" => Policy::Ttl,
            _ if name.ends_with("-lru") => Policy::Lru { allkeys },
            _ if name.ends_with("-lfu") => Policy::Lfu { allkeys },
            _ => Policy::Random { allkeys },
        }
    }

    fn allkeys(self) -> bool {
        matches!(
            self,
            Policy::Lru { allkeys: true }
                | Policy::Lfu { allkeys: true }
                | Policy::Random { allkeys: true }
        )
    }
}

/// Eviction state kept on the Server.
pub struct EvictState {
    pool: Vec<PoolEntry>,
    /// The eviction time proc is scheduled: the event loop keeps evicting.
    proc_running: bool,
    /// Random policies visit the databases round-robin.
    next_db: usize,
    /// When the server went over the limit without getting back under (µs, monotonic; 0 = not over).
    exceeded_since_us: u64,
    /// INFO total_eviction_exceeded_time, in µs, closed periods only.
    total_exceeded_us: u64,
    /// The key being evicted (a reused buffer).
    victim: Vec<u8>,
}

impl Default for EvictState {
    fn default() -> Self {
        EvictState {
            pool: (0..EVPOOL_SIZE).map(|_| PoolEntry::default()).collect(),
            proc_running: false,
            next_db: 0,
            exceeded_since_us: 0,
            total_exceeded_us: 0,
            victim: Vec::new(),
        }
    }
}

impl EvictState {
    pub fn reset_stats(&mut self) {
        self.total_exceeded_us = 0;
        self.exceeded_since_us = 0;
    }

    pub fn proc_running(&self) -> bool {
        self.proc_running
    }

    /// INFO stats: (total_eviction_exceeded_time, current_eviction_exceeded_time) in ms.
    pub fn exceeded_times_ms(&self) -> (u64, u64) {
        let current = if self.exceeded_since_us != 0 {
            crate::util::monotonic_us() - self.exceeded_since_us
        } else {
            0
        };
        ((self.total_exceeded_us + current) / 1000, current / 1000)
    }

    /// Inserts a sampled key where its score belongs, keeping the pool sorted by
    /// ascending score; a full pool drops its worst entry (evictionPoolPopulate).
    fn insert(&mut self, idle: u64, key: &[u8], dbid: usize) {
        let pool = &mut self.pool;
        let mut k = 0;
        while k < EVPOOL_SIZE && pool[k].used && pool[k].idle < idle {
            k += 1;
        }
        if k == 0 && pool[EVPOOL_SIZE - 1].used {
            // Worse than every candidate in a full pool.
            return;
        } else if k < EVPOOL_SIZE && !pool[k].used {
            // An empty slot right where it belongs.
        } else if !pool[EVPOOL_SIZE - 1].used {
            // Room on the right: shift k.. right; the free last entry comes to k.
            pool[k..].rotate_right(1);
        } else {
            // Full: drop the worst (leftmost) and shift ..k left.
            k -= 1;
            pool[..=k].rotate_left(1);
        }
        let e = &mut pool[k];
        e.key.clear();
        e.key.extend_from_slice(key);
        e.idle = idle;
        e.dbid = dbid;
        e.used = true;
    }
}

/// evictionTimeLimitUs: linear up to tenacity 10 (500 µs), then 15% per step,
/// unlimited at 100.
fn time_limit_us(tenacity: u32) -> u64 {
    if tenacity <= 10 {
        50 * tenacity as u64
    } else if tenacity < 100 {
        (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64
    } else {
        u64::MAX
    }
}

/// The object's LRU/LFU field; shared integers keep theirs on the server, since
/// in Redis all keys holding one share a single object.
fn lru_field(o: &Obj, shared_int_lru: &[u32]) -> u32 {
    match o.val.shared_int() {
        Some(v) => shared_int_lru[v as usize],
        None => o.lru,
    }
}

/// estimateObjectIdleTime in ms, from the 24-bit LRU clock (seconds) that wraps.
fn idle_ms(lru_clock: u32, lru: u32) -> u64 {
    let now = lru_clock as u64;
    let lru = lru as u64;
    let secs = if now >= lru {
        now - lru
    } else {
        now + (LRU_CLOCK_MAX - lru)
    };
    secs * 1000
}

/// getMaxmemoryState: bytes over the limit, or None when under it.
fn mem_to_free(maxmemory: u64) -> Option<u64> {
    if maxmemory == 0 {
        return None;
    }
    let reported = crate::alloc::used_memory();
    if reported <= maxmemory {
        return None;
    }
    let used = reported.saturating_sub(crate::alloc::not_counted_for_evict());
    if used <= maxmemory {
        return None;
    }
    Some(used - maxmemory)
}

/// Samples one database into the pool (evictionPoolPopulate).
#[allow(clippy::too_many_arguments)]
fn populate(
    st: &mut EvictState,
    db: &Db,
    policy: Policy,
    samples: usize,
    rng: &mut Rng,
    lru_clock: u32,
    decay: i64,
    shared_int_lru: &[u32],
) {
    let score = |o: &Obj| match policy {
        Policy::Lru { .. } => idle_ms(lru_clock, lru_field(o, shared_int_lru)),
        // The least frequently used is the best candidate.
        _ => 255 - lfu_decr_and_return(lru_field(o, shared_int_lru), decay) as u64,
    };
    if policy.allkeys() {
        db.sample_main(samples, rng, |k, o| st.insert(score(o), k, db.id));
    } else {
        db.expires.sample_entries(samples, rng, |e| {
            let s = match policy {
                // The sooner it expires, the better.
                Policy::Ttl => u64::MAX - e.val as u64,
                _ => match db.get(&e.key) {
                    Some(o) => score(o),
                    None => return,
                },
            };
            st.insert(s, &e.key, db.id);
        });
    }
}

impl Server {
    /// The OOM gate of processCommand, after the cluster redirect: evict first; when
    /// that cannot get under maxmemory, commands that may grow memory are refused.
    /// Returns false when the command was rejected (the error is already added).
    pub fn oom_gate(&mut self, c: &mut Client, cmd_flags: u64) -> bool {
        let out_of_memory = self.perform_evictions() == EvictResult::Fail;
        self.pre_command_oom_state = out_of_memory;
        // Issue 7: a client inside MULTI is refused any queued command too (the
        // queue itself grows memory), and EXEC with a queued denyoom command.
        if out_of_memory && cmd_flags & flags::DENYOOM != 0 {
            c.add_error("-OOM command not allowed when used memory > 'maxmemory'.");
            return false;
        }
        true
    }

    /// Applies a new maxmemory (updateMaxmemory): warns when already above it and
    /// starts the eviction time proc, so keys go from the event loop, not in the
    /// middle of the command (or transaction) that set it.
    pub fn update_maxmemory(&mut self) {
        let max = self.config.maxmemory;
        crate::alloc::set_maxmemory(max);
        if max != 0 {
            let used =
                crate::alloc::used_memory().saturating_sub(crate::alloc::not_counted_for_evict());
            if max < used {
                log::warn!("WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the current memory usage ({}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.", max, used);
            }
            self.evict.proc_running = true;
        }
    }

    /// isSafeToPerformEvictions: not while loading, nor while clients are paused
    /// (the dataset must stay still). Replicas ignoring maxmemory come with issue 6.
    fn safe_to_evict(&self) -> bool {
        !self.loading && !self.expire_paused()
    }

    /// performEvictions: evicts keys until used memory is under maxmemory, the
    /// time limit passes (the time proc then continues), or nothing is evictable.
    pub fn perform_evictions(&mut self) -> EvictResult {
        if !self.safe_to_evict() {
            return EvictResult::Ok;
        }
        let result = self.evict_run();
        // update_metrics: time spent over the limit.
        if result == EvictResult::Ok {
            if self.evict.exceeded_since_us != 0 {
                self.evict.total_exceeded_us +=
                    crate::util::monotonic_us() - self.evict.exceeded_since_us;
                self.evict.exceeded_since_us = 0;
            }
        } else if self.evict.exceeded_since_us == 0 {
            self.evict.exceeded_since_us = crate::util::monotonic_us();
        }
        result
    }

    fn evict_run(&mut self) -> EvictResult {
        let Some(to_free) = mem_to_free(self.config.maxmemory) else {
            return EvictResult::Ok;
        };
        // The peak is what the last command reached, before eviction takes it back
        // (Redis records it after every call; here only when it matters, to keep
        // the unlimited case free of the extra work).
        self.update_peak_memory();
        let policy = Policy::from_name(&self.config.maxmemory_policy);
        if policy == Policy::NoEviction {
            return EvictResult::Fail;
        }
        let limit_us = time_limit_us(self.config.maxmemory_eviction_tenacity);
        let lazy = self.config.lazyfree_lazy_eviction;
        let start = crate::util::monotonic_us();
        let mut freed: i64 = 0;
        let mut keys_freed: u64 = 0;
        let mut result = EvictResult::Fail;
        let mut victim = std::mem::take(&mut self.evict.victim);
        loop {
            if freed >= to_free as i64 {
                result = if self.evict.proc_running {
                    EvictResult::Running
                } else {
                    EvictResult::Ok
                };
                break;
            }
            let Some(dbid) = self.pick_victim(policy, &mut victim) else {
                break; // Nothing left to evict: cant_free.
            };
            let before = crate::alloc::used_memory() as i64;
            let del_start = crate::util::monotonic_us();
            if let Some(o) = self.dbs[dbid].remove(&victim) {
                self.free_value(o, lazy);
            }
            let del_ms = (crate::util::monotonic_us() - del_start) / 1000;
            self.latency_add_sample_if_needed("eviction-del", del_ms);
            freed += before - crate::alloc::used_memory() as i64;
            self.stats.evicted_keys += 1;
            self.signal_key_removed_by_server(dbid, &victim);
            self.notify_keyspace_event(crate::notify::class::EVICTED, "evicted", &victim, dbid);
            self.propagate_deletion(dbid, &victim, lazy);
            keys_freed += 1;
            if keys_freed % 16 == 0 {
                // The lazyfree thread frees behind our back: check the real figure.
                if lazy && mem_to_free(self.config.maxmemory).is_none() {
                    result = EvictResult::Ok;
                    break;
                }
                if crate::util::monotonic_us() - start > limit_us {
                    // Keep evicting from the event loop between polls.
                    self.evict.proc_running = true;
                    result = EvictResult::Running;
                    break;
                }
            }
        }
        self.evict.victim = victim;
        if result == EvictResult::Fail {
            // Values on their way out in the lazyfree thread may be enough: wait a
            // little for them, within the time limit.
            let wait_start = crate::util::monotonic_us();
            while crate::lazyfree::pending_jobs() > 0
                && crate::util::monotonic_us() - start < limit_us
            {
                if mem_to_free(self.config.maxmemory).is_none() {
                    result = EvictResult::Ok;
                    break;
                }
                std::thread::sleep(std::time::Duration::from_micros(limit_us.min(1000)));
            }
            let ms = (crate::util::monotonic_us() - wait_start) / 1000;
            self.latency_add_sample_if_needed("eviction-lazyfree", ms);
        }
        let ms = (crate::util::monotonic_us() - start) / 1000;
        self.latency_add_sample_if_needed("eviction-cycle", ms);
        result
    }

    /// The next key to evict, copied into `victim`; its database, or None when no
    /// database has a key the policy may evict.
    fn pick_victim(&mut self, policy: Policy, victim: &mut Vec<u8>) -> Option<usize> {
        if let Policy::Random { allkeys } = policy {
            let n = self.dbs.len();
            for _ in 0..n {
                self.evict.next_db = (self.evict.next_db + 1) % n;
                let db = &self.dbs[self.evict.next_db];
                let key = if allkeys {
                    db.random_key(&mut self.rng)
                } else {
                    db.expires
                        .random_entry(&mut self.rng)
                        .map(|e| e.key.to_boxed())
                };
                if let Some(k) = key {
                    victim.clear();
                    victim.extend_from_slice(&k);
                    return Some(self.evict.next_db);
                }
            }
            return None;
        }
        let samples = self.config.maxmemory_samples;
        let (lru_clock, decay) = (self.lru_clock, self.config.lfu_decay_time);
        loop {
            let mut total_keys = 0;
            for db in &self.dbs {
                let keys = if policy.allkeys() {
                    db.len()
                } else {
                    db.expires_len()
                };
                if keys != 0 {
                    populate(
                        &mut self.evict,
                        db,
                        policy,
                        samples,
                        &mut self.rng,
                        lru_clock,
                        decay,
                        &self.shared_int_lru,
                    );
                    total_keys += keys;
                }
            }
            if total_keys == 0 {
                return None;
            }
            // From the best candidate down; keys deleted since they were sampled are ghosts.
            for k in (0..EVPOOL_SIZE).rev() {
                let e = &mut self.evict.pool[k];
                if !e.used {
                    continue;
                }
                e.used = false;
                e.idle = 0;
                std::mem::swap(victim, &mut e.key);
                if e.key.capacity() > EVPOOL_CACHED_KEY_SIZE {
                    e.key = Vec::new();
                }
                let db = &self.dbs[e.dbid];
                let exists = if policy.allkeys() {
                    db.contains(victim)
                } else {
                    db.expire_of(victim).is_some()
                };
                if exists {
                    return Some(e.dbid);
                }
            }
        }
    }

    /// evictionTimeProc: one more round from the event loop; stops the proc once
    /// under the limit or out of keys.
    pub fn eviction_time_proc(&mut self) {
        if self.perform_evictions() != EvictResult::Running {
            self.evict.proc_running = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_limits() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert_eq!(time_limit_us(100), u64::MAX);
        assert!(time_limit_us(99) > 100_000_000);
    }

    #[test]
    fn policy_names() {
        assert_eq!(Policy::from_name("noeviction"), Policy::NoEviction);
        assert_eq!(
            Policy::from_name("allkeys-lru"),
            Policy::Lru { allkeys: true }
        );
        assert_eq!(
            Policy::from_name("volatile-lfu"),
            Policy::Lfu { allkeys: false }
        );
        assert_eq!(
            Policy::from_name("volatile-random"),
            Policy::Random { allkeys: false }
        );
        assert_eq!(Policy::from_name("volatile-ttl"), Policy::Ttl);
        assert!(Policy::from_name("allkeys-random").allkeys());
    }

    #[test]
    fn pool_keeps_the_16_best_sorted() {
        let mut st = EvictState::default();
        // Scores 0..40 in a scrambled order.
        for i in 0..40u64 {
            let s = (i * 17) % 40;
            st.insert(s, format!("k{}", s).as_bytes(), 0);
        }
        let got: Vec<u64> = st.pool.iter().filter(|e| e.used).map(|e| e.idle).collect();
        let want: Vec<u64> = (24..40).collect();
        assert_eq!(got, want);
        assert_eq!(st.pool[15].key, b"k39");
        // A worse candidate than all in a full pool is ignored.
        st.insert(1, b"low", 0);
        assert!(st.pool.iter().all(|e| e.key != b"low"));
    }

    #[test]
    fn pool_inserts_in_the_middle_with_room() {
        let mut st = EvictState::default();
        st.insert(10, b"a", 0);
        st.insert(30, b"b", 0);
        st.insert(20, b"c", 1);
        let got: Vec<(u64, &[u8])> = st
            .pool
            .iter()
            .filter(|e| e.used)
            .map(|e| (e.idle, &e.key[..]))
            .collect();
        assert_eq!(got, vec![(10, &b"a"[..]), (20, &b"c"[..]), (30, &b"b"[..])]);
    }
}

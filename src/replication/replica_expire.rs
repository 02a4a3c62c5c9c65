//! Keys with a TTL written by clients of a writable replica (Redis's
//! rememberSlaveKeyWithExpire / expireSlaveKeys). A replica never expires its
//! master's keys, but the keys its own clients wrote are its to expire: they are
//! remembered when their TTL is set, and the cron deletes those whose time has
//! come, instead of the active expire cycle a master runs.

use crate::server::Server;
use std::collections::HashMap;

/// How many remembered keys one cron run looks at.
const KEYS_PER_RUN: usize = 1000;

/// key → bitmap of the databases (up to 64) where it was written with a TTL.
#[derive(Default)]
pub struct ReplicaKeysWithExpire {
    keys: HashMap<Vec<u8>, u64>,
}

impl ReplicaKeysWithExpire {
    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

impl Server {
    /// rememberSlaveKeyWithExpire: called where a TTL is set; remembers the key
    /// only on a writable replica, for a command not coming from the master.
    pub fn remember_replica_key_with_expire(&mut self, db: usize, key: &[u8]) {
        if !self.is_replica()
            || self.repl.applying_master
            || self.config.get_bool("replica-read-only")
            || db >= 64
        {
            return;
        }
        *self
            .repl
            .replica_expires
            .keys
            .entry(key.to_vec())
            .or_insert(0) |= 1u64 << db;
    }

    /// Forgets the remembered keys (the node became a master, or flushed).
    pub fn forget_replica_keys_with_expire(&mut self) {
        self.repl.replica_expires.keys.clear();
    }

    /// expireSlaveKeys: deletes the remembered keys whose TTL passed.
    pub fn expire_replica_keys(&mut self) {
        if self.repl.replica_expires.keys.is_empty() || self.expire_paused() {
            return;
        }
        let now = crate::util::mstime();
        let batch: Vec<(Vec<u8>, u64)> = self
            .repl
            .replica_expires
            .keys
            .iter()
            .take(KEYS_PER_RUN)
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        for (key, mut dbids) in batch {
            let mut remaining = 0u64;
            for db in 0..self.dbs.len().min(64) {
                if dbids & (1u64 << db) == 0 {
                    continue;
                }
                dbids &= !(1u64 << db);
                match self.dbs[db].expire_of(&key) {
                    Some(when) if when <= now => self.delete_expired_key(db, &key),
                    // Still to expire: keep watching it.
                    Some(_) => remaining |= 1u64 << db,
                    // The TTL or the key went away meanwhile.
                    None => {}
                }
            }
            if remaining == 0 {
                self.repl.replica_expires.keys.remove(&key);
            } else {
                self.repl.replica_expires.keys.insert(key, remaining);
            }
        }
    }
}

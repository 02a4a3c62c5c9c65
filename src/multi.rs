//! Transactions (Redis's multi.c): MULTI queues a client's commands until EXEC
//! runs them back to back (nothing else runs in between: one thread) or DISCARD
//! drops them; WATCH makes EXEC fail when a watched key changed in between.
//! The server keeps key → watchers per database so a write finds its watchers
//! in one lookup; each client keeps its own list for UNWATCH and disconnection.

use std::collections::HashMap;

use crate::networking::{Client, ClientFlags};
use crate::resp::{Argv, OwnedArgv};
use crate::server::Server;

/// A client's queued transaction.
#[derive(Default)]
pub struct MultiState {
    commands: Vec<(usize, OwnedArgv)>,
    /// Union of the queued commands' flags: EXEC is gated as a write/denyoom
    /// command when it carries one (mstate.cmd_flags).
    pub cmd_flags: u64,
    /// Union of the flags the queued commands lack (mstate.cmd_inv_flags): EXEC
    /// is refused on a stale replica when one of them is not `stale`.
    pub cmd_inv_flags: u64,
    argv_bytes: usize,
}

impl MultiState {
    pub fn len(&self) -> usize {
        self.commands.len()
    }
    /// The queued commands (cluster routing checks their keys at EXEC).
    pub fn queued(&self) -> impl Iterator<Item = (usize, &OwnedArgv)> {
        self.commands.iter().map(|(id, a)| (*id, a))
    }
    /// multiStateMemOverhead (CLIENT LIST multi-mem).
    pub fn memory(&self) -> usize {
        self.argv_bytes + self.commands.capacity() * std::mem::size_of::<(usize, OwnedArgv)>()
    }
}

/// One key a client watches. `expired`: the key was logically expired when
/// watched, so its deletion is no change (watchedKey.expired).
pub struct WatchedKey {
    db: usize,
    key: Vec<u8>,
    expired: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Watcher {
    id: u64,
    token: usize,
}

/// The server side of WATCH.
#[derive(Default)]
pub struct Watches {
    /// Per database: key → clients watching it, in WATCH order.
    by_db: HashMap<usize, HashMap<Vec<u8>, Vec<Watcher>>>,
    /// Watched (db, key) pairs in all databases: zero makes every write's check free.
    total: usize,
    /// Touches of keys watched by the client running a command (out of its
    /// slab slot): applied when its command returns.
    pending: Vec<PendingTouch>,
}

/// A touch for the running client, with what it needs to be decided later.
struct PendingTouch {
    id: u64,
    db: usize,
    key: Vec<u8>,
    /// None for a write to the key; for a flush or swap, the facts
    /// touchAllWatchedKeysInDb decides on, taken before the databases changed.
    flush: Option<FlushFacts>,
}

#[derive(Clone, Copy)]
struct FlushFacts {
    in_emptied: bool,
    replacement_has: bool,
    replacement_expired: bool,
}

impl Watches {
    #[inline]
    pub fn any(&self) -> bool {
        self.total != 0
    }
    #[inline]
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// The commands a client in MULTI runs at once instead of queueing.
pub fn runs_inside_multi(fullname: &str) -> bool {
    matches!(
        fullname,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

impl Server {
    /// queueMultiCommand, with its "+QUEUED" reply.
    pub fn queue_multi_command(&mut self, c: &mut Client, id: usize, argv: &Argv) {
        // An aborted transaction keeps nothing: EXEC will fail anyway.
        if !c
            .flags
            .has(ClientFlags::DIRTY_CAS | ClientFlags::DIRTY_EXEC)
        {
            // getCommandFlags: a queued script counts with its declared flags.
            let cmd_flags = self.script_command_flags(id, argv, self.commands.cmds[id].flags);
            let ms = c.mstate.get_or_insert_with(Default::default);
            let owned = OwnedArgv::from_argv(argv);
            ms.argv_bytes += owned.buf.len() + owned.ranges.len() * 8;
            ms.commands.push((id, owned));
            ms.cmd_flags |= cmd_flags;
            ms.cmd_inv_flags |= !cmd_flags;
        }
        c.add_raw(b"+QUEUED\r\n");
    }

    /// discardTransaction: leaves MULTI, forgets the queue and every watch.
    pub fn discard_transaction(&mut self, c: &mut Client) {
        c.mstate = None;
        c.flags
            .clear(ClientFlags::MULTI | ClientFlags::DIRTY_CAS | ClientFlags::DIRTY_EXEC);
        self.unwatch_all_keys(c);
    }

    /// execCommandAbort: EXEC itself was refused by a gate; its error, which
    /// the gate just wrote, becomes "-EXECABORT Transaction discarded because
    /// of: <error>".
    pub fn exec_abort(&mut self, c: &mut Client) {
        self.discard_transaction(c);
        // The error is the last line of the reply buffer, not yet sent.
        let end = c.reply.len().saturating_sub(2);
        let start = c.reply[c.sent.min(end)..end]
            .windows(2)
            .rposition(|w| w == b"\r\n")
            .map_or(c.sent.min(end), |p| c.sent.min(end) + p + 2);
        let err = c.reply.split_off(start);
        let text = err.strip_prefix(b"-").unwrap_or(&err);
        let text = text.strip_suffix(b"\r\n").unwrap_or(text);
        c.error_codes.pop();
        c.add_error(&format!(
            "-EXECABORT Transaction discarded because of: {}",
            String::from_utf8_lossy(text)
        ));
    }

    fn watch_key(&mut self, c: &mut Client, key: &[u8]) {
        let db = c.db;
        if c.watched.iter().any(|w| w.db == db && w.key == key) {
            return;
        }
        let expired = self.key_is_expired(db, key);
        let me = Watcher {
            id: c.id,
            token: c.token,
        };
        self.watches
            .by_db
            .entry(db)
            .or_default()
            .entry(key.to_vec())
            .or_default()
            .push(me);
        self.watches.total += 1;
        c.watched.push(WatchedKey {
            db,
            key: key.to_vec(),
            expired,
        });
    }

    /// unwatchAllKeys.
    pub fn unwatch_all_keys(&mut self, c: &mut Client) {
        for w in std::mem::take(&mut c.watched) {
            if let Some(keys) = self.watches.by_db.get_mut(&w.db) {
                if let Some(list) = keys.get_mut(&w.key) {
                    list.retain(|x| x.id != c.id);
                    if list.is_empty() {
                        keys.remove(&w.key);
                    }
                }
                if keys.is_empty() {
                    self.watches.by_db.remove(&w.db);
                }
            }
            self.watches.total -= 1;
        }
    }

    /// isWatchedKeyExpired: a watched key (live when watched) expired since.
    fn watched_key_expired(&self, c: &Client) -> bool {
        c.watched
            .iter()
            .any(|w| !w.expired && self.key_is_expired(w.db, &w.key))
    }

    /// touchWatchedKey: a write to `key` dooms the EXEC of every watcher.
    #[inline]
    pub fn touch_watched_key(&mut self, db: usize, key: &[u8]) {
        if self.watches.any() {
            self.touch_watched_key_slow(db, key);
        }
    }

    #[inline(never)]
    fn touch_watched_key_slow(&mut self, db: usize, key: &[u8]) {
        let Some(list) = self
            .watches
            .by_db
            .get(&db)
            .and_then(|k| k.get(key))
            .cloned()
        else {
            return;
        };
        for w in list {
            match self.take_client(w.token) {
                Some(mut x) => {
                    let stop = x.id == w.id && self.touch_watcher(&mut x, db, key);
                    self.restore_client(x);
                    if stop {
                        break;
                    }
                }
                // The running client: settled when its command returns.
                None => self.watches.pending.push(PendingTouch {
                    id: w.id,
                    db,
                    key: key.to_vec(),
                    flush: None,
                }),
            }
        }
    }

    /// Marks one watcher dirty. True when Redis 7.0 stops visiting the
    /// remaining watchers: a key that was expired when watched and still
    /// exists (its `break`).
    fn touch_watcher(&mut self, x: &mut Client, db: usize, key: &[u8]) -> bool {
        if let Some(wk) = x.watched.iter_mut().find(|w| w.db == db && w.key == key) {
            if wk.expired {
                if !self.dbs[db].contains(key) {
                    // The expired key is now deleted: logically no change.
                    wk.expired = false;
                    return false;
                }
                return true;
            }
        }
        x.flags.set(ClientFlags::DIRTY_CAS);
        // A dirty client needs no more touches: drop its watches now.
        self.unwatch_all_keys(x);
        false
    }

    /// Applies the touches held for `c` while it ran.
    pub fn settle_pending_touches(&mut self, c: &mut Client) {
        for t in std::mem::take(&mut self.watches.pending) {
            if t.id != c.id || !c.watched.iter().any(|w| w.db == t.db && w.key == t.key) {
                continue;
            }
            match t.flush {
                None => {
                    self.touch_watcher(c, t.db, &t.key);
                }
                Some(f) => flush_touch_watcher(c, t.db, &t.key, f),
            }
        }
    }

    /// touchAllWatchedKeysInDb: `emptied` is about to be flushed, or swapped
    /// with `replaced_with` (SWAPDB). Call before the databases change.
    pub fn touch_all_watched_keys_in_db(&mut self, emptied: usize, replaced_with: Option<usize>) {
        if !self.watches.any() {
            return;
        }
        let Some(keys) = self.watches.by_db.get(&emptied) else {
            return;
        };
        let keys: Vec<(Vec<u8>, Vec<Watcher>)> =
            keys.iter().map(|(k, l)| (k.clone(), l.clone())).collect();
        for (key, list) in keys {
            let in_emptied = self.dbs[emptied].contains(&key);
            let in_replacement = replaced_with.is_some_and(|r| self.dbs[r].contains(&key));
            if !in_emptied && !in_replacement {
                continue;
            }
            let facts = FlushFacts {
                in_emptied,
                replacement_has: in_replacement,
                replacement_expired: replaced_with.is_some_and(|r| self.key_is_expired(r, &key)),
            };
            for w in list {
                match self.take_client(w.token) {
                    Some(mut x) => {
                        if x.id == w.id {
                            flush_touch_watcher(&mut x, emptied, &key, facts);
                        }
                        self.restore_client(x);
                    }
                    None => self.watches.pending.push(PendingTouch {
                        id: w.id,
                        db: emptied,
                        key: key.clone(),
                        flush: Some(facts),
                    }),
                }
            }
        }
    }
}

/// One watcher of a key in a flushed or swapped database.
fn flush_touch_watcher(x: &mut Client, db: usize, key: &[u8], f: FlushFacts) {
    if let Some(wk) = x.watched.iter_mut().find(|w| w.db == db && w.key == key) {
        if wk.expired {
            if !f.replacement_has {
                // The expired key is now gone: logically no change.
                wk.expired = false;
                return;
            } else if f.replacement_expired {
                return;
            }
        } else if !f.in_emptied && f.replacement_expired {
            // A missing key replaced by an expired one: still missing.
            wk.expired = true;
            return;
        }
    }
    x.flags.set(ClientFlags::DIRTY_CAS);
}

pub fn multi_command(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if c.flags.has(ClientFlags::MULTI) {
        c.add_error("MULTI calls can not be nested");
        return;
    }
    c.flags.set(ClientFlags::MULTI);
    c.add_ok();
}

pub fn discard_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !c.flags.has(ClientFlags::MULTI) {
        c.add_error("DISCARD without MULTI");
        return;
    }
    srv.discard_transaction(c);
    c.add_ok();
}

pub fn exec_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !c.flags.has(ClientFlags::MULTI) {
        c.add_error("EXEC without MULTI");
        return;
    }
    if srv.watched_key_expired(c) {
        c.flags.set(ClientFlags::DIRTY_CAS);
    }
    if c.flags
        .has(ClientFlags::DIRTY_CAS | ClientFlags::DIRTY_EXEC)
    {
        if c.flags.has(ClientFlags::DIRTY_EXEC) {
            c.add_error("-EXECABORT Transaction discarded because of previous errors.");
        } else {
            c.add_null_array();
        }
        srv.discard_transaction(c);
        return;
    }
    let deny_blocking_before = c.flags.has(ClientFlags::DENY_BLOCKING);
    c.flags.set(ClientFlags::DENY_BLOCKING);
    srv.unwatch_all_keys(c);
    let queued = c.mstate.take().map(|m| m.commands).unwrap_or_default();
    srv.in_exec = true;
    c.add_array_len(queued.len());
    for (id, argv) in &queued {
        let argv = argv.view();
        // ACL rules may have changed since the command was queued.
        if let Some(reason) = crate::acl::exec_time_denial(srv, c, *id, &argv) {
            c.add_error(&format!(
                "-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {}",
                reason
            ));
            continue;
        }
        srv.call(c, *id, &argv);
    }
    if !deny_blocking_before {
        c.flags.clear(ClientFlags::DENY_BLOCKING);
    }
    srv.discard_transaction(c);
    srv.in_exec = false;
    // EXEC itself is never propagated: its commands' effects are, wrapped in
    // MULTI/EXEC when there are several (propagatePendingCommands).
    srv.prevent_propagation();
}

pub fn watch_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if c.flags.has(ClientFlags::MULTI) {
        c.add_error("WATCH inside MULTI is not allowed");
        return;
    }
    // A dirty client's EXEC fails anyway: nothing to watch.
    if !c.flags.has(ClientFlags::DIRTY_CAS) {
        for j in 1..argv.len() {
            srv.watch_key(c, argv.get(j));
        }
    }
    c.add_ok();
}

pub fn unwatch_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    srv.unwatch_all_keys(c);
    c.flags.clear(ClientFlags::DIRTY_CAS);
    c.add_ok();
}

/// The flags processCommand gates EXEC with: its own plus those of what it runs.
#[inline]
pub fn effective_flags(c: &Client, fullname: &str, cmd_flags: u64) -> u64 {
    match (&c.mstate, fullname) {
        (Some(m), "exec") => cmd_flags | m.cmd_flags,
        _ => cmd_flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transaction_control_runs_inside_multi() {
        for name in ["exec", "discard", "multi", "watch", "quit", "reset"] {
            assert!(runs_inside_multi(name));
        }
        assert!(!runs_inside_multi("set"));
        assert!(!runs_inside_multi("unwatch"));
    }
}

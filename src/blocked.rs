//! Clients blocked on keys (Redis's blocked.c): BLPOP and friends now, sorted
//! sets (BZPOPMIN...) and streams (XREAD BLOCK) later. A blocked client keeps
//! its command; when a key it waits on is signalled ready (a push, a rename, a
//! MULTI/EXEC that pushed) the command runs again for the clients queued on
//! that key, in FIFO order, right after the command that made it ready. A
//! client whose command still finds nothing stays blocked. Timeouts sit in an
//! ordered map (Redis uses a radix tree) checked before every sleep, so their
//! precision is the event loop's (at worst one cron period).

use crate::networking::{Client, ClientFlags};
use crate::resp::OwnedArgv;
use crate::server::Server;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// Which kind of value can serve a blocked client (Redis's BLOCKED_* types).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BlockType {
    List,
    Zset,
    Stream,
    /// WAIT: replica acknowledgements (src/replication/wait.rs).
    Wait,
}

/// What a blocked client waits for.
pub struct BlockState {
    pub btype: BlockType,
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    /// Absolute unix ms; 0 blocks forever.
    pub timeout_ms: i64,
    /// The command to run again when a key is ready.
    pub argv: OwnedArgv,
    pub cmd_id: usize,
    /// XREAD/XREADGROUP state: streams are served in place, not run again.
    pub xread: Option<Box<crate::t_stream::XReadBlock>>,
    /// WAIT: (replication offset to reach, replicas wanted).
    pub wait: Option<(i64, i64)>,
}

#[derive(Default)]
pub struct Blocking {
    /// (db, key) → tokens of the clients blocked on it, oldest first.
    by_key: HashMap<(usize, Vec<u8>), VecDeque<usize>>,
    /// Keys signalled ready since the last serve, in signal order.
    ready: Vec<(usize, Vec<u8>)>,
    ready_set: HashSet<(usize, Vec<u8>)>,
    /// (timeout ms, client id) → token.
    timeouts: BTreeMap<(i64, u64), usize>,
    /// Clients blocked on keys (INFO blocked_clients adds paused clients).
    pub count: usize,
    /// Tokens of clients just unblocked whose pipelined input must be processed.
    unblocked: Vec<usize>,
    /// Tokens of clients blocked in WAIT, newest first (clients_waiting_acks).
    pub waiting_acks: Vec<usize>,
}

impl Blocking {
    pub fn timeouts_len(&self) -> usize {
        self.timeouts.len()
    }

    /// Number of keys clients are blocked on.
    pub fn keys_len(&self) -> usize {
        self.by_key.len()
    }

    fn remove_client(&mut self, c: &Client, st: &BlockState) {
        for k in &st.keys {
            let e = (st.db, k.clone());
            if let Some(q) = self.by_key.get_mut(&e) {
                q.retain(|&t| t != c.token);
                if q.is_empty() {
                    self.by_key.remove(&e);
                }
            }
        }
        if st.timeout_ms > 0 {
            self.timeouts.remove(&(st.timeout_ms, c.id));
        }
        if st.btype == BlockType::Wait {
            self.waiting_acks.retain(|&t| t != c.token);
        }
        self.count -= 1;
    }
}

/// Redis's getTimeoutFromObjectOrReply for seconds (a float): absolute unix ms,
/// 0 for "forever"; None after replying with the error.
pub fn parse_timeout_secs(c: &mut Client, arg: &[u8]) -> Option<i64> {
    let f = match crate::util::parse_f64(arg) {
        Some(f) => f,
        None => {
            c.add_error("timeout is not a float or out of range");
            return None;
        }
    };
    let ms = (f * 1000.0).ceil();
    // C converts out-of-range doubles to LLONG_MIN, which then reads as negative.
    let ms = if ms.is_finite() && ms < 9.2e18 && ms > -9.2e18 {
        ms as i64
    } else {
        i64::MIN
    };
    if ms < 0 {
        c.add_error("timeout is negative");
        return None;
    }
    Some(if ms > 0 {
        ms.saturating_add(crate::util::mstime())
    } else {
        0
    })
}

impl Server {
    /// blockForKeys: parks the client until one of `keys` is ready or the timeout.
    pub fn block_for_keys(
        &mut self,
        c: &mut Client,
        btype: BlockType,
        keys: &[&[u8]],
        timeout_ms: i64,
        argv: &crate::resp::Argv,
    ) {
        let cmd_id = self
            .commands
            .lookup_argv(argv)
            .expect("blocking command is in the table");
        let mut uniq: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
        for k in keys {
            if !uniq.iter().any(|u| u == k) {
                uniq.push(k.to_vec());
            }
        }
        // A command run again keeps its original deadline.
        let timeout_ms = c.reblock_timeout.take().unwrap_or(timeout_ms);
        for k in &uniq {
            self.blocking
                .by_key
                .entry((c.db, k.clone()))
                .or_default()
                .push_back(c.token);
        }
        if timeout_ms > 0 {
            self.blocking.timeouts.insert((timeout_ms, c.id), c.token);
        }
        self.blocking.count += 1;
        c.flags.set(ClientFlags::BLOCKED);
        c.bstate = Some(Box::new(BlockState {
            btype,
            db: c.db,
            keys: uniq,
            timeout_ms,
            argv: OwnedArgv::from_argv(argv),
            cmd_id,
            xread: None,
            wait: None,
        }));
    }

    /// blockClient for a block on no key (WAIT): `st.timeout_ms` as for keys.
    pub fn block_client(&mut self, c: &mut Client, st: BlockState) {
        if st.timeout_ms > 0 {
            self.blocking
                .timeouts
                .insert((st.timeout_ms, c.id), c.token);
        }
        if st.btype == BlockType::Wait {
            self.blocking.waiting_acks.insert(0, c.token);
        }
        self.blocking.count += 1;
        c.flags.set(ClientFlags::BLOCKED);
        c.bstate = Some(Box::new(st));
    }

    /// A blocked client got its final reply from outside the key machinery
    /// (WAIT satisfied): unblock it and run its pipelined input next.
    pub fn unblock_client_served(&mut self, c: &mut Client) {
        if self.unblock_client_silently(c).is_some() {
            self.blocking.unblocked.push(c.token);
            self.mark_pending_write(c);
        }
    }

    /// signalKeyAsReady: a value that may serve blocked clients appeared under `key`.
    pub fn signal_key_as_ready(&mut self, db: usize, key: &[u8]) {
        if self.blocking.by_key.is_empty() {
            return;
        }
        let e = (db, key.to_vec());
        if !self.blocking.by_key.contains_key(&e) || self.blocking.ready_set.contains(&e) {
            return;
        }
        self.blocking.ready_set.insert(e.clone());
        self.blocking.ready.push(e);
    }

    /// scanDatabaseForReadyKeys: after SWAPDB, signal every blocked-on key of
    /// `db` that now holds a live value.
    pub fn scan_database_for_ready_keys(&mut self, db: usize) {
        let keys: Vec<Vec<u8>> = self
            .blocking
            .by_key
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect();
        for k in keys {
            if self.dbs[db].get(&k).is_some() && !self.key_is_expired(db, &k) {
                self.signal_key_as_ready(db, &k);
            }
        }
    }

    /// scanDatabaseForDeletedStreams, simplified: after a flush or swap every
    /// key of `db` someone waits on is signalled; serving decides what to do
    /// (XREADGROUP readers of a key that is no longer a stream get an error).
    pub fn signal_all_blocked_keys(&mut self, db: usize) {
        let keys: Vec<Vec<u8>> = self
            .blocking
            .by_key
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect();
        for k in keys {
            self.signal_key_as_ready(db, &k);
        }
    }

    pub fn has_ready_keys(&self) -> bool {
        !self.blocking.ready.is_empty()
    }

    /// Removes a client from the blocking structures without replying.
    pub fn unblock_client_silently(&mut self, c: &mut Client) -> Option<Box<BlockState>> {
        let st = c.bstate.take()?;
        self.blocking.remove_client(c, &st);
        c.flags.clear(ClientFlags::BLOCKED);
        Some(st)
    }

    /// Counts the blocked command as executed once it ends without being run
    /// again (timeout, CLIENT UNBLOCK), as updateStatsOnUnblock does.
    fn count_unblocked_call(&mut self, c: &mut Client, st: &BlockState) {
        let cmd = &mut self.commands.cmds[st.cmd_id];
        cmd.stats.calls += 1;
        if !c.error_codes.is_empty() {
            cmd.stats.failed_calls += 1;
        }
        c.last_cmd = cmd.fullname;
        c.commands_processed += 1;
        self.stats.numcommands += 1;
        self.drain_error_codes(c);
    }

    /// The reply of a command whose block timed out (replyToBlockedClientTimedOut).
    fn reply_timed_out(&self, c: &mut Client, st: &BlockState) {
        match (st.btype, st.wait) {
            (BlockType::Wait, Some((offset, _))) => c.add_int(self.count_acks_by_offset(offset)),
            _ => c.add_null_array(),
        }
    }

    /// CLIENT UNBLOCK: true if the client was blocked on keys (and is now unblocked).
    pub fn client_unblock_by_id(&mut self, id: u64, error: bool) -> bool {
        let token = self
            .clients
            .iter()
            .filter_map(|(_, c)| c.as_deref())
            .find(|c| c.id == id && c.flags.has(ClientFlags::BLOCKED))
            .map(|c| c.token);
        let Some(token) = token else {
            return false;
        };
        let Some(mut c) = self.take_client(token) else {
            return false;
        };
        if let Some(st) = self.unblock_client_silently(&mut c) {
            if error {
                c.add_error("-UNBLOCKED client unblocked via CLIENT UNBLOCK");
            } else {
                self.reply_timed_out(&mut c, &st);
            }
            self.count_unblocked_call(&mut c, &st);
            self.blocking.unblocked.push(token);
            self.mark_pending_write(&mut c);
        }
        self.restore_client(c);
        true
    }

    /// Replies to and unblocks the clients whose deadline passed.
    pub fn handle_blocked_clients_timeout(&mut self) {
        if self.blocking.timeouts.is_empty() {
            return;
        }
        let now = crate::util::mstime();
        while let Some((&(when, _id), &token)) = self.blocking.timeouts.iter().next() {
            if when > now {
                break;
            }
            let Some(mut c) = self.take_client(token) else {
                self.blocking.timeouts.remove(&(when, _id));
                continue;
            };
            if let Some(st) = self.unblock_client_silently(&mut c) {
                self.reply_timed_out(&mut c, &st);
                self.count_unblocked_call(&mut c, &st);
                self.blocking.unblocked.push(token);
                self.mark_pending_write(&mut c);
            } else {
                self.blocking.timeouts.remove(&(when, _id));
            }
            self.restore_client(c);
        }
    }

    /// Whether the value under (db, key) is of the kind `btype` waits for.
    fn key_serves(&self, db: usize, key: &[u8], btype: BlockType) -> bool {
        if self.key_is_expired(db, key) {
            return false;
        }
        match (self.dbs[db].get(key).map(|o| &o.val), btype) {
            (Some(crate::db::object::Value::List(l)), BlockType::List) => !l.is_empty(),
            (Some(crate::db::object::Value::ZSet(z)), BlockType::Zset) => !z.is_empty(),
            _ => false,
        }
    }

    /// handleClientsBlockedOnKeys: serve clients blocked on keys made ready,
    /// repeating while serving makes more keys ready (BLMOVE pushes).
    pub fn handle_clients_blocked_on_keys(&mut self) {
        while !self.blocking.ready.is_empty() {
            let ready = std::mem::take(&mut self.blocking.ready);
            self.blocking.ready_set.clear();
            for (db, key) in ready {
                let e = (db, key);
                let tokens: Vec<usize> = match self.blocking.by_key.get(&e) {
                    Some(q) => q.iter().copied().collect(),
                    None => continue,
                };
                for token in tokens {
                    let btype = match self.client_ref(token).and_then(|c| c.bstate.as_ref()) {
                        Some(st) if st.db == e.0 && st.keys.contains(&e.1) => st.btype,
                        _ => continue,
                    };
                    if btype == BlockType::Stream {
                        self.serve_stream_reader(token, e.0, &e.1);
                        continue;
                    }
                    if !self.key_serves(e.0, &e.1, btype) {
                        break;
                    }
                    let Some(mut c) = self.take_client(token) else {
                        break;
                    };
                    let st = self.unblock_client_silently(&mut c).unwrap();
                    let saved_db = c.db;
                    c.db = st.db;
                    c.reblock_timeout = Some(st.timeout_ms);
                    c.flags.set(ClientFlags::REPROCESSING);
                    let argv = st.argv.view();
                    self.call(&mut c, st.cmd_id, &argv);
                    c.flags.clear(ClientFlags::REPROCESSING);
                    c.reblock_timeout = None;
                    if c.db == st.db {
                        c.db = saved_db;
                    }
                    if !c.flags.has(ClientFlags::BLOCKED) {
                        self.blocking.unblocked.push(token);
                    }
                    self.mark_pending_write(&mut c);
                    self.restore_client(c);
                }
            }
        }
    }

    /// serveClientsBlockedOnStreamKey for one reader: replies in place (data,
    /// or an error when its group or key went away) or leaves it blocked.
    fn serve_stream_reader(&mut self, token: usize, db: usize, key: &[u8]) {
        let Some(mut c) = self.take_client(token) else {
            return;
        };
        let xb = c.bstate.as_mut().and_then(|st| st.xread.take());
        let Some(mut xb) = xb else {
            self.restore_client(c);
            return;
        };
        // Its XCLAIMs go out together, as afterCommand flushes them in Redis.
        let saved = self.propagation_enter();
        let served = crate::t_stream::serve_blocked_xread(self, &mut c, db, key, &mut xb);
        let id = self.commands.lookup_top(b"xreadgroup").unwrap_or(0);
        self.propagation_leave(id, db, &OwnedArgv::default().view(), false, saved);
        if let Some(st) = c.bstate.as_mut() {
            st.xread = Some(xb);
        }
        if let crate::t_stream::Served::Yes = served {
            if let Some(st) = self.unblock_client_silently(&mut c) {
                self.count_unblocked_call(&mut c, &st);
            }
            self.blocking.unblocked.push(token);
            self.mark_pending_write(&mut c);
        }
        self.restore_client(c);
    }

    /// Runs the pipelined commands that waited behind a block that ended.
    pub fn process_unblocked_clients(&mut self) {
        while !self.blocking.unblocked.is_empty() {
            let tokens = std::mem::take(&mut self.blocking.unblocked);
            for t in tokens {
                let Some(mut c) = self.take_client(t) else {
                    continue;
                };
                if !c.flags.has(ClientFlags::BLOCKED) && !c.querybuf.is_empty() {
                    self.process_input(&mut c);
                }
                if c.pending_reply_bytes() > 0 {
                    self.mark_pending_write(&mut c);
                }
                self.restore_client(c);
            }
        }
    }

    pub fn client_ref(&self, token: usize) -> Option<&Client> {
        self.clients
            .get(token.wrapping_sub(crate::server::FIRST_CLIENT_TOKEN))
            .and_then(|c| c.as_deref())
    }
}

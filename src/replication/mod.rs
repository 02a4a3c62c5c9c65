//! Replication, master side (Redis's replication.c): the replication backlog and
//! offsets, SYNC/PSYNC (partial resync from the backlog, or a full resync from a
//! disk RDB written by the BGSAVE child of src/child.rs), REPLCONF, feeding the
//! command stream built by src/server/propagate.rs to replicas, the once-a-second
//! replication cron (stream PINGs, newline keepalives, timeouts, backlog TTL), and
//! what INFO replication / ROLE show.
//!
//! A replica is a normal client with `Client::repl` set. While its snapshot is
//! produced the stream is held in `ReplicaLink::pending`; the RDB payload is then
//! queued as the client's output, and once it is fully written the held stream
//! follows and the replica is online (`bulk_sent`).

pub mod backlog;
pub mod cmds;
pub mod net;
pub mod pause;
pub mod diskless;
mod diskless_load;
pub mod replica;
pub mod replica_expire;
pub mod wait;

use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::Server;
use backlog::Backlog;

/// SLAVE_CAPA_*: what the replica announced with REPLCONF capa.
pub const CAPA_EOF: u8 = 1;
pub const CAPA_PSYNC2: u8 = 2;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReplicaState {
    /// Waiting for a BGSAVE that can serve it to start.
    WaitBgsaveStart,
    /// +FULLRESYNC sent; the snapshot is being written, the stream accumulates.
    WaitBgsaveEnd,
    /// The RDB payload is being written to the socket.
    SendBulk,
    Online,
}

/// The master's view of one replica (the slave_* fields of Redis's client).
pub struct ReplicaLink {
    pub state: ReplicaState,
    pub listening_port: i64,
    pub addr: Option<String>,
    pub capa: u8,
    pub ack_off: i64,
    /// Unix seconds of the last REPLCONF ACK (or of going online).
    pub ack_time: i64,
    /// master_repl_offset when its snapshot started (+FULLRESYNC offset).
    pub psync_initial_offset: i64,
    /// Stream produced while the snapshot is made and sent.
    pub pending: Vec<u8>,
    /// Attached with SYNC (old protocol): no +FULLRESYNC, no ACKs expected.
    pub pre_psync: bool,
    /// Diskless transfer: unix seconds of the last write the socket did not take whole.
    pub last_partial_write: i64,
    /// Diskless transfer done: the held stream goes out at the first REPLCONF ACK.
    pub start_stream_on_ack: bool,
}

impl ReplicaLink {
    pub fn new() -> ReplicaLink {
        ReplicaLink {
            state: ReplicaState::WaitBgsaveStart,
            listening_port: 0,
            addr: None,
            capa: 0,
            ack_off: 0,
            ack_time: 0,
            psync_initial_offset: 0,
            pending: Vec::new(),
            pre_psync: false,
            last_partial_write: 0,
            start_stream_on_ack: false,
        }
    }
}

impl Default for ReplicaLink {
    fn default() -> Self {
        ReplicaLink::new()
    }
}

/// Server-wide replication state.
pub struct ReplState {
    pub replid2: String,
    pub second_replid_offset: i64,
    pub master_repl_offset: i64,
    pub backlog: Option<Backlog>,
    /// Tokens of replica clients, in attach order.
    pub slaves: Vec<usize>,
    /// The DB last selected in the stream; -1 forces a SELECT.
    pub slaveseldb: i64,
    /// Unix seconds since there are no replicas (backlog TTL).
    pub no_slaves_since: i64,
    pub good_slaves: usize,
    pub stat_sync_full: u64,
    pub stat_sync_partial_ok: u64,
    pub stat_sync_partial_err: u64,
    /// The running RDB child serves replicas (its end feeds them).
    pub rdb_child_for_sync: bool,
    /// Milliseconds of the last replication cron run.
    pub last_cron_ms: i64,
    /// replicationCron run count (PING period).
    pub cron_loops: u64,
    /// The link to our master when this node is a replica (server.masterhost).
    pub master: Option<replica::MasterLink>,
    /// (replid, processed offset) to offer with PSYNC (the cached master).
    pub master_cached: Option<(String, i64)>,
    /// The DB the cached master had selected (repl-stream-db of a restart).
    pub cached_master_db: i64,
    /// The master link dropped: reconnect without waiting for the cron second.
    pub reconnect_asap: bool,
    /// A command from the master client is running (keys never look expired to it).
    pub applying_master: bool,
    /// A WAIT blocked: send REPLCONF GETACK before sleeping.
    pub get_ack_from_slaves: bool,
    /// Keys with a TTL written on this writable replica by its own clients.
    pub replica_expires: replica_expire::ReplicaKeysWithExpire,
    /// Client pauses by purpose (src/replication/pause.rs).
    pub pauses: pause::Pauses,
    /// A shutdown waits for replicas until this unix ms (0: none initiated).
    pub shutdown_mstime: i64,
    /// The SHUTDOWN_* flags of the shutdown in progress.
    pub shutdown_flags: u32,
    /// The diskless transfer in progress (parent's ends of the child's pipes).
    pub rdb_pipe: Option<diskless::RdbPipe>,
    /// The running RDB child writes to replica sockets (rdb_child_type SOCKET).
    pub rdb_child_socket: bool,
}

impl Default for ReplState {
    fn default() -> Self {
        ReplState {
            replid2: "0".repeat(40),
            second_replid_offset: -1,
            master_repl_offset: 0,
            backlog: None,
            slaves: Vec::new(),
            slaveseldb: -1,
            no_slaves_since: crate::util::mstime() / 1000,
            good_slaves: 0,
            stat_sync_full: 0,
            stat_sync_partial_ok: 0,
            stat_sync_partial_err: 0,
            rdb_child_for_sync: false,
            last_cron_ms: 0,
            cron_loops: 0,
            master: None,
            master_cached: None,
            cached_master_db: -1,
            reconnect_asap: false,
            applying_master: false,
            get_ack_from_slaves: false,
            replica_expires: Default::default(),
            pauses: [(crate::server::PauseKind::None, 0); 3],
            shutdown_mstime: 0,
            shutdown_flags: 0,
            rdb_pipe: None,
            rdb_child_socket: false,
        }
    }
}

fn unix_now() -> i64 {
    crate::util::mstime() / 1000
}

/// replicationGetSlaveName: "ip:port" as the replica announced it.
pub fn replica_name(c: &Client) -> String {
    let ip = match c.repl.as_ref().and_then(|r| r.addr.clone()) {
        Some(a) => a,
        None => peer_ip(&c.addr),
    };
    let port = c.repl.as_ref().map(|r| r.listening_port).unwrap_or(0);
    if ip.is_empty() {
        return format!("client id #{}", c.id);
    }
    if port != 0 {
        if ip.contains(':') {
            format!("[{}]:{}", ip, port)
        } else {
            format!("{}:{}", ip, port)
        }
    } else {
        format!("{}:<unknown-replica-port>", ip)
    }
}

/// The IP part of a client's "ip:port" peer address.
pub fn peer_ip(addr: &str) -> String {
    match addr.rfind(':') {
        Some(i) => addr[..i].to_string(),
        None => addr.to_string(),
    }
}

impl Server {
    /// Whether the command stream must be produced for replicas (a backlog or
    /// replicas exist).
    #[inline]
    pub fn repl_wants_stream(&self) -> bool {
        // A replica proxies its master's stream instead (master_applied).
        self.repl.master.is_none() && (self.repl.backlog.is_some() || !self.repl.slaves.is_empty())
    }

    /// rdbPopulateSaveInfo: (repl-stream-db, repl-id, repl-offset) for the RDB
    /// aux fields, when this master has a replication history to resume.
    pub fn repl_save_info(&self) -> Option<(i64, String, i64)> {
        if let Some(link) = self.repl.master.as_ref() {
            // A replica saves its master's history and the DB its stream is in.
            if let Some(c) = link.client.and_then(|t| self.client_ref(t)) {
                return Some((
                    c.db as i64,
                    self.replid.clone(),
                    self.repl.master_repl_offset,
                ));
            }
            if let Some((id, off)) = self.repl.master_cached.clone() {
                return Some((self.repl.cached_master_db.max(0), id, off));
            }
            return None;
        }
        self.repl.backlog.as_ref()?;
        let db = self.repl.slaveseldb.max(0);
        Some((db, self.replid.clone(), self.repl.master_repl_offset))
    }

    /// loadDataFromDisk's PSYNC2 part: a replica resumes its master's history
    /// (a cached master made of itself), a master keeps it as its secondary
    /// id so its old replicas can continue. False without a valid history.
    pub fn restore_repl_info_after_load(&mut self) -> bool {
        let (Some(id), off, db) = (
            self.rdb.loaded_repl_id.clone(),
            self.rdb.loaded_repl_offset,
            self.rdb.loaded_repl_stream_db,
        ) else {
            return false;
        };
        if off == -1 || db == -1 {
            return false;
        }
        if self.is_replica() {
            self.replid = id.clone();
            self.repl.master_repl_offset = off;
            self.repl.master_cached = Some((id, off));
            self.repl.cached_master_db = db;
        } else {
            self.repl.replid2 = id;
            self.repl.second_replid_offset = off + 1;
            // Rebase: the backlog holds what loading fed (expired keys' DELs).
            self.repl.master_repl_offset += off;
            if let Some(b) = self.repl.backlog.as_mut() {
                b.offset = self.repl.master_repl_offset - b.histlen() as i64 + 1;
            }
            self.repl.no_slaves_since = unix_now();
        }
        true
    }

    /// changeReplicationId.
    pub fn change_replication_id(&mut self) {
        self.replid = crate::util::random_hex(40);
    }

    /// clearReplicationId2.
    pub fn clear_replication_id2(&mut self) {
        self.repl.replid2 = "0".repeat(40);
        self.repl.second_replid_offset = -1;
    }

    /// createReplicationBacklog: starts right after the current offset.
    pub fn create_replication_backlog(&mut self) {
        let size = self.config.get_i64("repl-backlog-size").max(16 * 1024) as usize;
        self.repl.backlog = Some(Backlog::new(size, self.repl.master_repl_offset + 1));
    }

    /// resizeReplicationBacklog, after CONFIG SET repl-backlog-size.
    pub fn resize_replication_backlog(&mut self) {
        let size = self.config.get_i64("repl-backlog-size").max(16 * 1024) as usize;
        if let Some(b) = self.repl.backlog.as_mut() {
            b.resize(size);
        }
    }

    /// feedReplicationBuffer: bytes of the stream go to the backlog and to every
    /// replica past the start of its snapshot.
    fn feed_replication_buffer(&mut self, bytes: &[u8]) {
        self.repl.master_repl_offset += bytes.len() as i64;
        if let Some(b) = self.repl.backlog.as_mut() {
            b.append(bytes);
        }
        let slaves = self.repl.slaves.clone();
        for t in slaves {
            let Some(mut c) = self.take_client(t) else {
                continue;
            };
            let st = c.repl.as_ref().map(|r| r.state);
            match st {
                Some(ReplicaState::Online) => {
                    c.add_push_raw(bytes);
                    self.mark_pending_write(&mut c);
                }
                Some(ReplicaState::WaitBgsaveEnd) | Some(ReplicaState::SendBulk) => {
                    c.repl.as_mut().unwrap().pending.extend_from_slice(bytes);
                }
                _ => {}
            }
            self.restore_client(c);
        }
    }

    /// replicationFeedSlaves: one propagated command, preceded by SELECT when
    /// the stream's selected DB differs.
    pub fn replication_feed_slaves(&mut self, db: usize, argv: &Argv) {
        if !self.repl_wants_stream() {
            return;
        }
        let mut buf = Vec::new();
        if self.repl.slaveseldb != db as i64 {
            let s = db.to_string();
            crate::aof::cat_command(&mut buf, 2, [&b"SELECT"[..], s.as_bytes()]);
            self.repl.slaveseldb = db as i64;
        }
        crate::aof::cat_command(&mut buf, argv.len(), argv.iter());
        self.feed_replication_buffer(&buf);
    }

    /// The stream PING (lowercase, in the currently selected DB: no SELECT).
    fn replication_ping_slaves(&mut self) {
        let mut buf = Vec::new();
        crate::aof::cat_command(&mut buf, 1, [&b"ping"[..]]);
        self.feed_replication_buffer(&buf);
    }

    /// Registers `c` as a replica.
    fn add_slave(&mut self, c: &mut Client) {
        c.flags.set(ClientFlags::SLAVE);
        if !self.repl.slaves.contains(&c.token) {
            self.repl.slaves.push(c.token);
        }
    }

    /// masterTryPartialResynchronization. True when the replica was served
    /// from the backlog.
    fn try_partial_resync(&mut self, c: &mut Client, replid: &str, offset: i64) -> bool {
        let mismatch = !replid.eq_ignore_ascii_case(&self.replid)
            && (!replid.eq_ignore_ascii_case(&self.repl.replid2)
                || offset > self.repl.second_replid_offset);
        if mismatch {
            if !replid.starts_with('?') {
                if !replid.eq_ignore_ascii_case(&self.replid)
                    && !replid.eq_ignore_ascii_case(&self.repl.replid2)
                {
                    log::info!(
                        "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')",
                        replid, self.replid, self.repl.replid2
                    );
                } else {
                    log::info!(
                        "Partial resynchronization not accepted: Requested offset for second ID was {}, but I can reply up to {}",
                        offset, self.repl.second_replid_offset
                    );
                }
            } else {
                log::info!("Full resync requested by replica {}", replica_name(c));
            }
            return false;
        }
        let ok = match &self.repl.backlog {
            Some(b) => offset >= b.offset && offset <= b.offset + b.histlen() as i64,
            None => false,
        };
        if !ok {
            log::info!(
                "Unable to partial resync with replica {} for lack of backlog (Replica request was: {}).",
                replica_name(c),
                offset
            );
            if offset > self.repl.master_repl_offset {
                log::warn!("Warning: replica {} tried to PSYNC with an offset that is greater than the master replication offset.", replica_name(c));
            }
            return false;
        }
        self.add_slave(c);
        let link = c.repl.get_or_insert_with(Default::default);
        link.state = ReplicaState::Online;
        link.ack_time = unix_now();
        let line = if link.capa & CAPA_PSYNC2 != 0 {
            format!("+CONTINUE {}\r\n", self.replid)
        } else {
            "+CONTINUE\r\n".to_string()
        };
        c.add_push_raw(line.as_bytes());
        let data = self.repl.backlog.as_ref().unwrap().copy_from(offset);
        c.add_push_raw(&data);
        self.mark_pending_write(c);
        log::info!(
            "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {}.",
            replica_name(c),
            data.len(),
            offset
        );
        self.refresh_good_slaves_count();
        true
    }

    /// SYNC and PSYNC.
    pub fn sync_command(&mut self, c: &mut Client, argv: &Argv) {
        if c.flags.has(ClientFlags::SLAVE) {
            return;
        }
        if self.is_replica() && !self.master_link_up() {
            c.add_error("-NOMASTERLINK Can't SYNC while not connected with my master");
            return;
        }
        if c.pending_reply_bytes() > 0 {
            c.add_error("SYNC and PSYNC are invalid with pending output");
            return;
        }
        if c.repl.is_none() {
            c.repl = Some(Box::default());
        }
        log::info!("Replica {} asks for synchronization", replica_name(c));
        let psync = argv.get(0).eq_ignore_ascii_case(b"psync");
        if psync {
            let Some(offset) = crate::util::parse_i64(argv.get(2)) else {
                c.add_error("value is not an integer or out of range");
                log::warn!(
                    "Replica {} asks for synchronization but with a wrong offset",
                    replica_name(c)
                );
                return;
            };
            let replid = String::from_utf8_lossy(argv.get(1)).into_owned();
            if self.try_partial_resync(c, &replid, offset) {
                self.repl.stat_sync_partial_ok += 1;
                return;
            }
            if !replid.starts_with('?') {
                self.repl.stat_sync_partial_err += 1;
            }
        } else {
            c.repl.as_mut().unwrap().pre_psync = true;
        }
        self.repl.stat_sync_full += 1;
        c.repl.as_mut().unwrap().state = ReplicaState::WaitBgsaveStart;
        self.add_slave(c);
        if self.repl.slaves.len() == 1 && self.repl.backlog.is_none() {
            self.change_replication_id();
            self.clear_replication_id2();
            self.create_replication_backlog();
            log::info!(
                "Replication backlog created, my new replication IDs are '{}' and '{}'",
                self.replid,
                self.repl.replid2
            );
        }
        let my_capa = c.repl.as_ref().unwrap().capa;
        if self.child.kind() == Some(crate::child::ChildKind::Rdb) && !self.repl.rdb_child_socket {
            // Attach to a disk BGSAVE whose stream another replica is
            // accumulating, if we can take what that replica takes.
            let donor = self.repl.slaves.iter().copied().find(|&t| {
                t != c.token
                    && self
                        .client_ref(t)
                        .and_then(|s| s.repl.as_ref())
                        .map(|r| r.state)
                        == Some(ReplicaState::WaitBgsaveEnd)
            });
            let donor = donor.filter(|&d| {
                let dc = self.client_ref(d).unwrap().repl.as_ref().unwrap().capa;
                my_capa & dc == dc
            });
            if let (Some(d), true) = (donor, self.repl.rdb_child_for_sync) {
                let (buf, off) = {
                    let r = self.client_ref(d).unwrap().repl.as_ref().unwrap();
                    (r.pending.clone(), r.psync_initial_offset)
                };
                c.repl.as_mut().unwrap().pending = buf;
                self.setup_slave_for_full_resync(c, off);
                log::info!("Waiting for end of BGSAVE for SYNC");
            } else {
                log::info!("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
            }
        } else if self.child.kind() == Some(crate::child::ChildKind::Rdb) {
            log::info!("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
        } else if self.config.get_bool("repl-diskless-sync")
            && my_capa & CAPA_EOF != 0
            && self.config.get_i64("repl-diskless-sync-delay") != 0
        {
            // replicationCron forks once the delay let more replicas arrive.
            log::info!("Delay next BGSAVE for diskless SYNC");
        } else if !self.has_active_child() {
            self.start_bgsave_for_replication(Some(c));
        } else {
            log::info!("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed");
        }
    }

    /// replicationSetupSlaveForFullResync: +FULLRESYNC goes out now, the stream
    /// from `offset` on accumulates for it.
    fn setup_slave_for_full_resync(&mut self, c: &mut Client, offset: i64) {
        let link = c.repl.as_mut().unwrap();
        link.psync_initial_offset = offset;
        link.state = ReplicaState::WaitBgsaveEnd;
        self.repl.slaveseldb = -1;
        if !link.pre_psync {
            let line = format!("+FULLRESYNC {} {}\r\n", self.replid, offset);
            c.add_push_raw(line.as_bytes());
            self.mark_pending_write(c);
        }
    }

    /// startBgsaveForReplication: the waiting replicas, including `running`
    /// (the client whose command is executing, outside the slab), get
    /// +FULLRESYNC at the fork; diskless when all of them can take it.
    pub fn start_bgsave_for_replication(&mut self, mut running: Option<&mut Client>) {
        let mut mincapa: Option<u8> = None;
        let mut note = |c: &Client| {
            if let Some(r) = c
                .repl
                .as_ref()
                .filter(|r| r.state == ReplicaState::WaitBgsaveStart)
            {
                mincapa = Some(mincapa.map_or(r.capa, |m| m & r.capa));
            }
        };
        if let Some(c) = running.as_deref() {
            note(c);
        }
        for &t in &self.repl.slaves {
            if let Some(c) = self.client_ref(t) {
                note(c);
            }
        }
        let socket = self.repl_socket_target(mincapa.unwrap_or(0));
        log::info!(
            "Starting BGSAVE for SYNC with target: {}",
            if socket { "replicas sockets" } else { "disk" }
        );
        let ok = if socket {
            self.rdb_save_to_slaves_sockets(running.as_deref_mut())
                .is_ok()
        } else {
            let ok = self.rdb_save_background().is_ok();
            if ok {
                self.repl.rdb_child_for_sync = true;
            }
            ok
        };
        if !ok {
            log::warn!("BGSAVE for replication failed");
        }
        let offset = self.repl.master_repl_offset;
        if let Some(c) = running {
            self.fullresync_or_refuse(c, ok, offset);
        }
        for t in self.repl.slaves.clone() {
            if let Some(mut c) = self.take_client(t) {
                self.fullresync_or_refuse(&mut c, ok, offset);
                self.restore_client(c);
            }
        }
    }

    fn fullresync_or_refuse(&mut self, c: &mut Client, ok: bool, offset: i64) {
        if c.repl.as_ref().map(|r| r.state) != Some(ReplicaState::WaitBgsaveStart) {
            return;
        }
        if ok {
            self.setup_slave_for_full_resync(c, offset);
        } else {
            c.repl = None;
            c.flags.clear(ClientFlags::SLAVE);
            self.repl.slaves.retain(|&x| x != c.token);
            c.add_error("BGSAVE failed, replication can't continue");
            c.flags.set(ClientFlags::CLOSE_AFTER_REPLY);
            self.mark_pending_write(c);
        }
    }

    /// updateSlavesWaitingBgsave: the BGSAVE child ended (called from the RDB
    /// done handler).
    pub fn update_slaves_waiting_bgsave(&mut self, ok: bool) {
        if !self.repl.rdb_child_for_sync && self.repl.slaves.is_empty() {
            return;
        }
        let socket = std::mem::take(&mut self.repl.rdb_child_socket);
        self.repl.rdb_child_for_sync = false;
        let mut payload: Option<Vec<u8>> = None;
        let slaves = self.repl.slaves.clone();
        for t in slaves {
            let Some(mut c) = self.take_client(t) else {
                continue;
            };
            if c.repl.as_ref().map(|r| r.state) != Some(ReplicaState::WaitBgsaveEnd) {
                self.restore_client(c);
                continue;
            }
            if !ok {
                log::warn!("SYNC failed. BGSAVE child returned an error");
                self.free_client_async(&mut c);
                self.restore_client(c);
                continue;
            }
            if socket {
                log::info!("Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming", replica_name(&c));
                let link = c.repl.as_mut().unwrap();
                link.state = ReplicaState::Online;
                link.ack_time = unix_now();
                link.start_stream_on_ack = true;
                log::info!(
                    "Synchronization with replica {} succeeded",
                    replica_name(&c)
                );
                self.restore_client(c);
                continue;
            }
            if payload.is_none() {
                match std::fs::read(self.rdb_filename()) {
                    Ok(d) => payload = Some(d),
                    Err(e) => {
                        log::warn!(
                            "SYNC failed. Can't open/stat DB after BGSAVE: {}",
                            crate::server::listen::strerror(&e)
                        );
                        self.restore_client(c);
                        self.free_client_by_token(t);
                        continue;
                    }
                }
            }
            let data = payload.as_ref().unwrap();
            c.repl.as_mut().unwrap().state = ReplicaState::SendBulk;
            // The snapshot is not reply data: it bypasses the output limits.
            c.reply
                .extend_from_slice(format!("${}\r\n", data.len()).as_bytes());
            c.reply.extend_from_slice(data);
            self.mark_pending_write(&mut c);
            self.restore_client(c);
        }
        self.refresh_good_slaves_count();
        // A replica that arrived during a BGSAVE it could not use waits for the next.
        self.start_pending_sync();
    }

    /// replicaStartCommandStream: the first REPLCONF ACK after a diskless
    /// transfer; the stream held since the fork follows.
    pub fn replica_start_stream_on_ack(&mut self, c: &mut Client) {
        let Some(link) = c.repl.as_mut() else {
            return;
        };
        if !link.start_stream_on_ack {
            return;
        }
        link.start_stream_on_ack = false;
        let pending = std::mem::take(&mut link.pending);
        if !pending.is_empty() {
            c.add_push_raw(&pending);
            self.mark_pending_write(c);
        }
    }

    /// Frees a client that sits in the slab.
    fn free_client_by_token(&mut self, t: usize) {
        if let Some(c) = self.take_client(t) {
            self.free_client(c);
        }
    }

    /// The last byte of the snapshot was written: the held stream follows and
    /// the replica is online (sendBulkToSlave's end + replicaPutOnline).
    pub fn bulk_sent(&mut self, c: &mut Client) {
        let Some(link) = c.repl.as_mut() else {
            return;
        };
        if link.state != ReplicaState::SendBulk {
            return;
        }
        link.state = ReplicaState::Online;
        link.ack_time = unix_now();
        let pending = std::mem::take(&mut link.pending);
        log::info!("Synchronization with replica {} succeeded", replica_name(c));
        self.refresh_good_slaves_count();
        if !pending.is_empty() {
            c.add_push_raw(&pending);
            self.mark_pending_write(c);
        }
    }

    /// replicationStartPendingFork: forks for the replicas waiting for a
    /// BGSAVE when no child runs, diskless ones once the delay passed for the
    /// longest waiting one or enough of them arrived.
    fn start_pending_sync(&mut self) {
        if self.has_active_child() {
            return;
        }
        let now = crate::util::mstime();
        let mut waiting = 0i64;
        let mut max_idle = 0i64;
        let mut mincapa: Option<u8> = None;
        for &t in &self.repl.slaves {
            let Some(c) = self.client_ref(t) else {
                continue;
            };
            let Some(r) = c
                .repl
                .as_ref()
                .filter(|r| r.state == ReplicaState::WaitBgsaveStart)
            else {
                continue;
            };
            waiting += 1;
            max_idle = max_idle.max((now - c.last_interaction_ms) / 1000);
            mincapa = Some(mincapa.map_or(r.capa, |m| m & r.capa));
        }
        let max = self.config.get_i64("repl-diskless-sync-max-replicas");
        if waiting > 0
            && (!self.config.get_bool("repl-diskless-sync")
                || (max > 0 && waiting >= max)
                || max_idle >= self.config.get_i64("repl-diskless-sync-delay"))
        {
            self.start_bgsave_for_replication(None);
        }
    }

    /// freeClient's replica part: forget the link.
    pub fn replica_freed(&mut self, c: &Client) {
        if !c.flags.has(ClientFlags::SLAVE) {
            return;
        }
        self.repl.slaves.retain(|&t| t != c.token);
        if let Some(p) = self.repl.rdb_pipe.as_mut() {
            p.conns.retain(|&t| t != c.token);
        }
        if c.repl.as_ref().map(|r| r.state) == Some(ReplicaState::Online) {
            log::warn!("Connection with replica {} lost.", replica_name(c));
        }
        if self.repl.slaves.is_empty() {
            self.repl.no_slaves_since = unix_now();
        }
        self.refresh_good_slaves_count();
    }

    /// checkGoodReplicasStatus: min-replicas-to-write is met (or off, or we
    /// are a replica).
    pub fn enough_good_replicas(&self) -> bool {
        let min = self.config.get_i64("min-replicas-to-write");
        self.is_replica()
            || min == 0
            || self.config.get_i64("min-replicas-max-lag") == 0
            || self.repl.good_slaves as i64 >= min
    }

    /// refreshGoodSlavesCount (min-replicas-to-write).
    pub fn refresh_good_slaves_count(&mut self) {
        let lag = self.config.get_i64("min-replicas-max-lag");
        let now = unix_now();
        let n = self
            .repl
            .slaves
            .iter()
            .filter_map(|&t| self.client_ref(t).and_then(|c| c.repl.as_ref()))
            .filter(|r| r.state == ReplicaState::Online && now - r.ack_time <= lag)
            .count();
        self.repl.good_slaves = n;
    }

    /// replicationCron, once a second.
    pub fn replication_cron(&mut self) {
        let now_ms = crate::util::mstime();
        if self.repl.reconnect_asap {
            self.repl.reconnect_asap = false;
            if self.repl.master.as_ref().map(|l| l.state) == Some(replica::LinkState::Connect) {
                self.connect_to_master();
            }
        }
        if now_ms - self.repl.last_cron_ms < 1000 {
            return;
        }
        self.replica_cron();
        self.repl.last_cron_ms = now_ms;
        let now = now_ms / 1000;
        let period = self.config.get_i64("repl-ping-replica-period").max(1) as u64;
        if !self.repl.slaves.is_empty()
            && self.repl.cron_loops % period == 0
            && self.pause == crate::server::PauseKind::None
        {
            self.replication_ping_slaves();
        }
        // Newlines keep replicas waiting for their snapshot from timing out.
        let timeout = self.config.get_i64("repl-timeout");
        let slaves = self.repl.slaves.clone();
        for t in slaves {
            let Some(mut c) = self.take_client(t) else {
                continue;
            };
            let link = c.repl.as_ref().unwrap();
            match link.state {
                ReplicaState::WaitBgsaveStart => {
                    if let Some(s) = c.stream.as_mut() {
                        let _ = s.write(b"\n");
                    }
                }
                // A socket transfer is fed by the child: no newlines inside the RDB.
                ReplicaState::WaitBgsaveEnd if !self.repl.rdb_child_socket => {
                    if let Some(s) = c.stream.as_mut() {
                        let _ = s.write(b"\n");
                    }
                }
                ReplicaState::WaitBgsaveEnd => {
                    if link.last_partial_write != 0 && now - link.last_partial_write > timeout {
                        log::warn!(
                            "Disconnecting timedout replica (full sync): {}",
                            replica_name(&c)
                        );
                        self.free_client_async(&mut c);
                    }
                }
                ReplicaState::Online if !link.pre_psync && now - link.ack_time > timeout => {
                    log::warn!(
                        "Disconnecting timedout replica (streaming sync): {}",
                        replica_name(&c)
                    );
                    self.free_client_async(&mut c);
                }
                _ => {}
            }
            self.restore_client(c);
        }
        let ttl = self.config.get_i64("repl-backlog-ttl");
        if self.repl.slaves.is_empty()
            && ttl > 0
            && self.repl.backlog.is_some()
            && now - self.repl.no_slaves_since > ttl
        {
            self.change_replication_id();
            self.clear_replication_id2();
            self.repl.backlog = None;
            log::info!(
                "Replication backlog freed after {} seconds without connected replicas.",
                ttl
            );
        }
        self.start_pending_sync();
        self.refresh_good_slaves_count();
        self.repl.cron_loops += 1;
    }

    /// INFO replication.
    pub fn info_replication_text(&self) -> String {
        let mut out = String::from(if self.is_replica() {
            "# Replication\r\nrole:slave\r\n"
        } else {
            "# Replication\r\nrole:master\r\n"
        });
        self.info_replica_fields(&mut out);
        let mut lines = Vec::new();
        let now = unix_now();
        for &t in &self.repl.slaves {
            let Some(c) = self.client_ref(t) else {
                continue;
            };
            let Some(r) = c.repl.as_ref() else {
                continue;
            };
            let state = match r.state {
                ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
                ReplicaState::SendBulk => "send_bulk",
                ReplicaState::Online => "online",
            };
            let ip = r.addr.clone().unwrap_or_else(|| peer_ip(&c.addr));
            let lag = if r.state == ReplicaState::Online {
                now - r.ack_time
            } else {
                0
            };
            lines.push(format!(
                "slave{}:ip={},port={},state={},offset={},lag={}\r\n",
                lines.len(),
                ip,
                r.listening_port,
                state,
                r.ack_off,
                lag
            ));
        }
        out.push_str(&format!("connected_slaves:{}\r\n", lines.len()));
        if self.config.get_i64("min-replicas-to-write") != 0
            && self.config.get_i64("min-replicas-max-lag") != 0
        {
            out.push_str(&format!(
                "min_slaves_good_slaves:{}\r\n",
                self.repl.good_slaves
            ));
        }
        for l in lines {
            out.push_str(&l);
        }
        let (active, first, histlen) = match &self.repl.backlog {
            Some(b) => (1, b.offset, b.histlen()),
            None => (0, 0, 0),
        };
        out.push_str(&format!(
            "master_failover_state:no-failover\r\n\
             master_replid:{}\r\n\
             master_replid2:{}\r\n\
             master_repl_offset:{}\r\n\
             second_repl_offset:{}\r\n\
             repl_backlog_active:{}\r\n\
             repl_backlog_size:{}\r\n\
             repl_backlog_first_byte_offset:{}\r\n\
             repl_backlog_histlen:{}\r\n",
            self.replid,
            self.repl.replid2,
            self.repl.master_repl_offset,
            self.repl.second_replid_offset,
            active,
            self.config.get_i64("repl-backlog-size"),
            first,
            histlen
        ));
        out
    }

    /// ROLE on a master: online replicas as [ip, port, ack offset].
    pub fn role_reply(&self, c: &mut Client) {
        if self.is_replica() {
            return self.role_reply_replica(c);
        }
        c.add_array_len(3);
        c.add_bulk(b"master");
        c.add_int(self.repl.master_repl_offset);
        let mut rows = Vec::new();
        for &t in &self.repl.slaves {
            let Some(s) = self.client_ref(t) else {
                continue;
            };
            let Some(r) = s.repl.as_ref() else {
                continue;
            };
            if r.state != ReplicaState::Online {
                continue;
            }
            let ip = r.addr.clone().unwrap_or_else(|| peer_ip(&s.addr));
            rows.push((ip, r.listening_port, r.ack_off));
        }
        c.add_array_len(rows.len());
        for (ip, port, off) in rows {
            c.add_array_len(3);
            c.add_bulk(ip.as_bytes());
            c.add_bulk(port.to_string().as_bytes());
            c.add_bulk(off.to_string().as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::resp::OwnedArgv;

    #[test]
    fn stream_goes_to_backlog_with_select_and_offsets() {
        let mut s = Server::new(Config::default());
        let a = OwnedArgv::from_slices(["set", "k", "v"]);
        s.replication_feed_slaves(0, &a.view());
        assert_eq!(
            s.repl.master_repl_offset, 0,
            "no backlog, no replicas: no stream"
        );
        s.create_replication_backlog();
        s.replication_feed_slaves(2, &a.view());
        s.replication_feed_slaves(2, &a.view());
        let one = b"*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n";
        let mut want = b"*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n".to_vec();
        want.extend_from_slice(one);
        want.extend_from_slice(one);
        assert_eq!(s.repl.master_repl_offset, want.len() as i64);
        let b = s.repl.backlog.as_ref().unwrap();
        assert_eq!((b.offset, b.histlen()), (1, want.len()));
        assert_eq!(b.copy_from(1), want);
        assert_eq!(
            s.repl_save_info(),
            Some((2, s.replid.clone(), want.len() as i64))
        );
    }

    #[test]
    fn replica_names() {
        let mut c = Client::fake(1);
        c.addr = "10.0.0.1:5555".into();
        c.repl = Some(Box::default());
        assert_eq!(replica_name(&c), "10.0.0.1:<unknown-replica-port>");
        c.repl.as_mut().unwrap().listening_port = 6380;
        assert_eq!(replica_name(&c), "10.0.0.1:6380");
        c.repl.as_mut().unwrap().addr = Some("::1".into());
        assert_eq!(replica_name(&c), "[::1]:6380");
    }
}

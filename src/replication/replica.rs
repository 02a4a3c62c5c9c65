//! Replication, replica side (Redis's syncWithMaster / readSyncBulkPayload /
//! replicationCron): REPLICAOF, the non-blocking handshake on its own socket
//! (PING, AUTH, REPLCONF listening-port/capa, PSYNC), the full sync (the RDB,
//! `$<len>` or `$EOF:<mark>`, is written to a temp file, renamed over
//! `dbfilename` and loaded), partial resync (+CONTINUE), then the link becomes
//! the master client: a normal client whose commands run without replies and
//! whose applied bytes advance the offset and are proxied to our own backlog and
//! replicas (src/networking/read.rs calls `master_applied`).

use super::unix_now;
use crate::networking::{Client, ClientFlags, Stream};
use crate::resp::Argv;
use crate::server::{Server, FIRST_CLIENT_TOKEN};
use mio::{Interest, Token};
use std::io::{Read, Write};

/// The mio token of the handshake socket (below the clients, above the listeners).
pub const HANDSHAKE_TOKEN: usize = FIRST_CLIENT_TOKEN - 1;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LinkState {
    /// Must connect (repl_state CONNECT).
    Connect,
    /// Non-blocking connect in progress.
    Connecting,
    ReceivePong,
    /// Waiting for the replies of the pipelined AUTH/REPLCONF commands.
    ReceiveReplies(u8),
    ReceivePsync,
    /// Receiving the RDB payload.
    Transfer,
    Connected,
}

/// The replica's link to its master.
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    pub state: LinkState,
    pub sock: Option<mio::net::TcpStream>,
    pub buf: Vec<u8>,
    /// Token of the master client once connected.
    pub client: Option<usize>,
    /// Transfer: the +FULLRESYNC replid and offset.
    pub full_replid: String,
    pub full_offset: i64,
    /// Transfer: payload size (-1 for EOF-mark mode), bytes received, mark.
    pub size: i64,
    pub read: i64,
    pub eof_mark: Option<Vec<u8>>,
    pub tmpfile: Option<(String, std::fs::File)>,
    pub last_io_ms: i64,
    /// Unix seconds the link went down (-1: never up).
    pub down_since: i64,
    pub handshake_start_ms: i64,
}

impl Server {
    /// This node replicates from a master (server.masterhost is set).
    pub fn is_replica(&self) -> bool {
        self.repl.master.is_some()
    }

    pub fn master_link_up(&self) -> bool {
        self.repl.master.as_ref().map(|m| m.state) == Some(LinkState::Connected)
    }

    /// replicationSetMaster.
    /// `from_config`: the replicaof directive at startup, where there is no
    /// history of our own to offer (unless an RDB brought one).
    pub fn set_master(&mut self, host: String, port: u16, from_config: bool) {
        let was_master = !self.is_replica();
        if self.master_link_up() {
            // Switching masters: what we applied is offered to the new one
            // (the freed master client is cached, as Redis does).
            self.repl.master_cached = Some((self.replid.clone(), self.repl.master_repl_offset));
        }
        self.disconnect_all_blocked_clients();
        self.drop_master_link();
        crate::logging::set_role(b'S');
        if was_master && !from_config {
            // Our own history is what PSYNC offers the new master.
            self.disconnect_slaves();
            self.repl.master_cached = Some((self.replid.clone(), self.repl.master_repl_offset));
        }
        self.repl.master = Some(MasterLink {
            host,
            port,
            state: LinkState::Connect,
            sock: None,
            buf: Vec::new(),
            client: None,
            full_replid: String::new(),
            full_offset: 0,
            size: 0,
            read: 0,
            eof_mark: None,
            tmpfile: None,
            last_io_ms: 0,
            down_since: -1,
            handshake_start_ms: 0,
        });
        let _ = crate::process::update_oom_score_adj(&self.config, true);
        self.connect_to_master();
    }

    /// replicationUnsetMaster: REPLICAOF NO ONE.
    pub fn unset_master(&mut self) {
        if !self.is_replica() {
            return;
        }
        self.drop_master_link();
        self.repl.master = None;
        self.repl.master_cached = None;
        crate::logging::set_role(b'M');
        let _ = crate::process::update_oom_score_adj(&self.config, false);
        self.forget_replica_keys_with_expire();
        // Shift the history: our replicas can continue it with the old id.
        self.repl.replid2 = self.replid.clone();
        self.repl.second_replid_offset = self.repl.master_repl_offset + 1;
        self.change_replication_id();
        log::warn!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
            self.repl.replid2,
            self.repl.second_replid_offset,
            self.replid
        );
        self.disconnect_slaves();
        self.repl.slaveseldb = -1;
        if self.repl.backlog.is_none() {
            self.create_replication_backlog();
        }
    }

    /// disconnectAllBlockedClients: a master turning replica can no longer
    /// serve the clients blocked on its keys.
    fn disconnect_all_blocked_clients(&mut self) {
        let tokens: Vec<usize> = self
            .clients
            .iter()
            .filter_map(|(_, c)| c.as_deref())
            .filter(|c| c.flags.has(ClientFlags::BLOCKED))
            .map(|c| c.token)
            .collect();
        for t in tokens {
            let Some(mut c) = self.take_client(t) else {
                continue;
            };
            if self.unblock_client_silently(&mut c).is_some() {
                c.add_error("-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)");
                c.flags.set(ClientFlags::CLOSE_AFTER_REPLY);
                self.mark_pending_write(&mut c);
            }
            self.restore_client(c);
        }
    }

    /// disconnectSlaves: they must resync and learn our new history.
    pub fn disconnect_slaves(&mut self) {
        for t in self.repl.slaves.clone() {
            if let Some(c) = self.take_client(t) {
                self.free_client(c);
            }
        }
    }

    /// Closes the master link or handshake, keeping (replid, offset) to PSYNC.
    fn drop_master_link(&mut self) {
        let Some(link) = self.repl.master.as_mut() else {
            return;
        };
        let sock = link.sock.take();
        let client = link.client.take();
        if let Some((path, _)) = link.tmpfile.take() {
            let _ = std::fs::remove_file(path);
        }
        link.buf.clear();
        link.state = LinkState::Connect;
        if let (Some(mut s), Some(reg)) = (sock, self.registry.as_ref()) {
            let _ = reg.deregister(&mut s);
        }
        if let Some(t) = client {
            // Freeing it caches its state (replicationCacheMaster): a new
            // master may continue our history.
            if let Some(c) = self.take_client(t) {
                self.free_client(c);
            }
        }
    }

    /// The master client was freed (connection lost, CLIENT KILL): cache its
    /// state for PSYNC and reconnect (replicationCacheMaster / handleMasterDisconnect).
    pub fn master_client_freed(&mut self, c: &Client) {
        if !c.flags.has(ClientFlags::MASTER) {
            return;
        }
        log::warn!("Connection with master lost.");
        log::info!("Caching the disconnected master state.");
        self.repl.master_cached = Some((self.replid.clone(), self.repl.master_repl_offset));
        self.repl.cached_master_db = c.db as i64;
        if let Some(link) = self.repl.master.as_mut() {
            link.client = None;
            link.state = LinkState::Connect;
            link.down_since = unix_now();
            log::info!("Reconnecting to MASTER {}:{}", link.host, link.port);
        }
        self.repl.reconnect_asap = true;
    }

    /// connectWithMaster: starts the non-blocking connect.
    pub fn connect_to_master(&mut self) {
        if self.registry.is_none() {
            // Before the event loop runs: the cron connects.
            return;
        }
        let Some(link) = self.repl.master.as_mut() else {
            return;
        };
        log::info!("Connecting to MASTER {}:{}", link.host, link.port);
        let addr = (link.host.as_str(), link.port);
        let resolved = std::net::ToSocketAddrs::to_socket_addrs(&addr)
            .ok()
            .and_then(|mut a| a.next());
        let Some(sa) = resolved else {
            log::warn!("Unable to connect to MASTER: can't resolve {}", link.host);
            return;
        };
        let source = self
            .config
            .get_str("bind-source-addr")
            .map(|s| String::from_utf8_lossy(&s).into_owned());
        let link = self.repl.master.as_mut().unwrap();
        match super::net::connect(sa, source.as_deref()) {
            Ok(mut s) => {
                if let Some(reg) = self.registry.as_ref() {
                    let _ = reg.register(
                        &mut s,
                        Token(HANDSHAKE_TOKEN),
                        Interest::READABLE | Interest::WRITABLE,
                    );
                }
                link.sock = Some(s);
                link.state = LinkState::Connecting;
                link.buf.clear();
                link.handshake_start_ms = crate::util::mstime();
                link.last_io_ms = crate::util::mstime();
                log::info!("MASTER <-> REPLICA sync started");
            }
            Err(e) => {
                log::warn!(
                    "Unable to connect to MASTER: {}",
                    crate::server::listen::strerror(&e)
                );
            }
        }
    }

    pub(super) fn handshake_fail(&mut self) {
        if let Some(link) = self.repl.master.as_mut() {
            if let Some(mut s) = link.sock.take() {
                if let Some(reg) = self.registry.as_ref() {
                    let _ = reg.deregister(&mut s);
                }
            }
            if let Some((path, _)) = link.tmpfile.take() {
                let _ = std::fs::remove_file(path);
            }
            link.state = LinkState::Connect;
            link.buf.clear();
        }
    }

    fn handshake_send(&mut self, args: &[&[u8]]) -> bool {
        let mut out = Vec::new();
        crate::aof::cat_command(&mut out, args.len(), args.iter().copied());
        self.handshake_write(&out)
    }

    fn handshake_write(&mut self, out: &[u8]) -> bool {
        let Some(s) = self.repl.master.as_mut().and_then(|l| l.sock.as_mut()) else {
            return false;
        };
        // Small writes on a fresh socket: the send buffer takes them whole.
        s.write_all(out).is_ok()
    }

    /// Takes one line (without CRLF) from the handshake buffer.
    fn handshake_line(&mut self) -> Option<Vec<u8>> {
        let link = self.repl.master.as_mut()?;
        let i = link.buf.iter().position(|&b| b == b'\n')?;
        let mut line: Vec<u8> = link.buf.drain(..=i).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(line)
    }

    /// Events on the handshake socket (syncWithMaster / readSyncBulkPayload).
    pub fn handshake_event(&mut self, writable: bool) {
        let Some(link) = self.repl.master.as_mut() else {
            return;
        };
        if link.state == LinkState::Connecting {
            if !writable {
                return;
            }
            let err = link
                .sock
                .as_ref()
                .and_then(|s| s.take_error().ok().flatten());
            let connected = link.sock.as_ref().map(|s| s.peer_addr().is_ok()) == Some(true);
            if err.is_some() || !connected {
                if let Some(e) = err {
                    log::warn!(
                        "Error condition on socket for SYNC: {}",
                        crate::server::listen::strerror(&e)
                    );
                    self.handshake_fail();
                }
                return;
            }
            log::info!("Non blocking connect for SYNC fired the event.");
            link.state = LinkState::ReceivePong;
            if let (Some(s), Some(reg)) = (link.sock.as_mut(), self.registry.as_ref()) {
                let _ = reg.reregister(s, Token(HANDSHAKE_TOKEN), Interest::READABLE);
            }
            if !self.handshake_send(&[b"PING"]) {
                self.handshake_fail();
            }
            return;
        }
        // Read what is there.
        let mut closed = false;
        {
            let link = self.repl.master.as_mut().unwrap();
            let Some(s) = link.sock.as_mut() else {
                return;
            };
            let mut tmp = [0u8; 16 * 1024];
            loop {
                match s.read(&mut tmp) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => {
                        link.buf.extend_from_slice(&tmp[..n]);
                        link.last_io_ms = crate::util::mstime();
                        self.stats.net_input_bytes += n as u64;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
        }
        self.handshake_progress();
        if closed && self.repl.master.as_ref().map(|l| l.sock.is_some()) == Some(true) {
            if self.repl.master.as_ref().map(|l| l.state) == Some(LinkState::Transfer) {
                log::warn!("I/O error trying to sync with MASTER: connection lost");
            } else {
                log::warn!("Master did not respond to command during SYNC handshake");
            }
            self.handshake_fail();
        }
    }

    fn handshake_progress(&mut self) {
        loop {
            let Some(state) = self.repl.master.as_ref().map(|l| l.state) else {
                return;
            };
            match state {
                LinkState::ReceivePong => {
                    let Some(line) = self.handshake_line() else {
                        return;
                    };
                    if line.first() == Some(&b'-')
                        && !line.starts_with(b"-NOAUTH")
                        && !line.starts_with(b"-NOPERM")
                        && !line.starts_with(b"-ERR operation not permitted")
                    {
                        log::warn!(
                            "Error reply to PING from master: '{}'",
                            String::from_utf8_lossy(&line)
                        );
                        self.handshake_fail();
                        return;
                    }
                    log::info!("Master replied to PING, replication can continue...");
                    let mut n = 0u8;
                    let mut ok = true;
                    if let Some(auth) = self.config.get_str("masterauth").filter(|a| !a.is_empty())
                    {
                        let user = self.config.get_str("masteruser").filter(|u| !u.is_empty());
                        ok &= match user {
                            Some(u) => self.handshake_send(&[b"AUTH", &u, &auth]),
                            None => self.handshake_send(&[b"AUTH", &auth]),
                        };
                        n += 1;
                    }
                    let port = match self.config.get_i64("replica-announce-port") {
                        0 => self.tcp_port as i64,
                        p => p,
                    }
                    .to_string();
                    ok &= self.handshake_send(&[b"REPLCONF", b"listening-port", port.as_bytes()]);
                    n += 1;
                    if let Some(ip) = self
                        .config
                        .get_str("replica-announce-ip")
                        .filter(|i| !i.is_empty())
                    {
                        ok &= self.handshake_send(&[b"REPLCONF", b"ip-address", &ip]);
                        n += 1;
                    }
                    ok &= self.handshake_send(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]);
                    n += 1;
                    if !ok {
                        self.handshake_fail();
                        return;
                    }
                    self.repl.master.as_mut().unwrap().state = LinkState::ReceiveReplies(n);
                }
                LinkState::ReceiveReplies(n) => {
                    let Some(line) = self.handshake_line() else {
                        return;
                    };
                    let has_auth = self
                        .config
                        .get_str("masterauth")
                        .is_some_and(|a| !a.is_empty());
                    let first = {
                        let expected = 2
                            + has_auth as u8
                            + self
                                .config
                                .get_str("replica-announce-ip")
                                .is_some_and(|i| !i.is_empty()) as u8;
                        n == expected
                    };
                    if first && has_auth && line.first() == Some(&b'-') {
                        log::warn!(
                            "Unable to AUTH to MASTER: {}",
                            String::from_utf8_lossy(&line)
                        );
                        self.handshake_fail();
                        return;
                    }
                    if line.first() == Some(&b'-') {
                        log::info!(
                            "(Non critical) Master does not understand REPLCONF: {}",
                            String::from_utf8_lossy(&line)
                        );
                    }
                    if n > 1 {
                        self.repl.master.as_mut().unwrap().state = LinkState::ReceiveReplies(n - 1);
                        continue;
                    }
                    let (id, off) = match self.repl.master_cached.clone() {
                        Some((id, off)) => {
                            log::info!(
                                "Trying a partial resynchronization (request {}:{}).",
                                id,
                                off + 1
                            );
                            (id, (off + 1).to_string())
                        }
                        None => {
                            log::info!("Partial resynchronization not possible (no cached master)");
                            ("?".to_string(), "-1".to_string())
                        }
                    };
                    let sent = if self.failover_psync_arg() {
                        self.handshake_send(&[b"PSYNC", id.as_bytes(), off.as_bytes(), b"FAILOVER"])
                    } else {
                        self.handshake_send(&[b"PSYNC", id.as_bytes(), off.as_bytes()])
                    };
                    if !sent {
                        self.handshake_fail();
                        return;
                    }
                    self.repl.master.as_mut().unwrap().state = LinkState::ReceivePsync;
                }
                LinkState::ReceivePsync => {
                    let Some(line) = self.handshake_line() else {
                        return;
                    };
                    if line.is_empty() {
                        continue;
                    }
                    // A PSYNC FAILOVER the target refused ends the failover:
                    // we are a master again.
                    let accepted =
                        line.starts_with(b"+FULLRESYNC") || line.starts_with(b"+CONTINUE");
                    if !self.failover_psync_done(accepted) {
                        return;
                    }
                    if let Some(rest) = line.strip_prefix(b"+FULLRESYNC") {
                        let text = String::from_utf8_lossy(rest).trim().to_string();
                        let mut it = text.split(' ');
                        let id = it.next().unwrap_or("").to_string();
                        let off: i64 = it.next().and_then(|o| o.parse().ok()).unwrap_or(-1);
                        log::info!("Full resync from master: {}:{}", id, off);
                        // The cached master is dropped only when the new data loads.
                        let link = self.repl.master.as_mut().unwrap();
                        link.full_replid = id;
                        link.full_offset = off;
                        link.size = 0;
                        link.read = 0;
                        link.eof_mark = None;
                        link.state = LinkState::Transfer;
                        continue;
                    }
                    if let Some(rest) = line.strip_prefix(b"+CONTINUE") {
                        let newid = String::from_utf8_lossy(rest).trim().to_string();
                        log::info!("Successful partial resynchronization with master.");
                        if !newid.is_empty() && newid != self.replid {
                            self.repl.replid2 = self.replid.clone();
                            self.repl.second_replid_offset = self.repl.master_repl_offset + 1;
                            self.replid = newid.clone();
                            log::warn!("Master replication ID changed to {}", newid);
                            self.disconnect_slaves();
                        }
                        log::info!(
                            "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."
                        );
                        self.repl.master_cached = None;
                        if self.repl.backlog.is_none() {
                            self.create_replication_backlog();
                        }
                        let db = self.repl.cached_master_db;
                        self.promote_link_to_master_client(db);
                        return;
                    }
                    if line.starts_with(b"-NOMASTERLINK") || line.starts_with(b"-LOADING") {
                        log::info!(
                            "Master is currently unable to PSYNC but should be in the future: {}",
                            String::from_utf8_lossy(&line)
                        );
                        self.handshake_fail();
                        return;
                    }
                    log::warn!(
                        "Unexpected reply to PSYNC from master: {}",
                        String::from_utf8_lossy(&line)
                    );
                    self.handshake_fail();
                    return;
                }
                LinkState::Transfer => {
                    if !self.transfer_progress() {
                        return;
                    }
                }
                _ => return,
            }
        }
    }

    /// readSyncBulkPayload. Returns true when the payload is complete and the
    /// link was turned into the master client.
    fn transfer_progress(&mut self) -> bool {
        let link = self.repl.master.as_mut().unwrap();
        if link.tmpfile.is_none() {
            // The header: skip keepalive newlines.
            loop {
                let Some(i) = link.buf.iter().position(|&b| b == b'\n') else {
                    return false;
                };
                let mut line: Vec<u8> = link.buf.drain(..=i).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.is_empty() {
                    continue;
                }
                if line[0] == b'-' {
                    log::warn!(
                        "MASTER aborted replication with an error: {}",
                        String::from_utf8_lossy(&line[1..])
                    );
                    self.handshake_fail();
                    return false;
                }
                if line[0] != b'$' {
                    log::warn!("Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you sure the host and port are right?", String::from_utf8_lossy(&line));
                    self.handshake_fail();
                    return false;
                }
                let diskless = match self.config.get_enum("repl-diskless-load").as_str() {
                    "swapdb" => true,
                    "on-empty-db" => self.dbs.iter().all(|d| d.len() == 0),
                    _ => false,
                };
                let link = self.repl.master.as_mut().unwrap();
                let target = if diskless { "to parser" } else { "to disk" };
                if line.starts_with(b"$EOF:") && line.len() >= 5 + 40 {
                    link.eof_mark = Some(line[5..45].to_vec());
                    link.size = -1;
                    log::info!(
                        "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {}",
                        target
                    );
                } else {
                    link.size = crate::util::parse_i64(&line[1..]).unwrap_or(0);
                    log::info!(
                        "MASTER <-> REPLICA sync: receiving {} bytes from master {}",
                        link.size,
                        target
                    );
                }
                if diskless {
                    self.diskless_load();
                    return false;
                }
                let path = format!("temp-{}.{}.rdb", unix_now(), std::process::id());
                match std::fs::File::create(&path) {
                    Ok(f) => link.tmpfile = Some((path, f)),
                    Err(e) => {
                        log::warn!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {}", crate::server::listen::strerror(&e));
                        self.handshake_fail();
                        return false;
                    }
                }
                break;
            }
        }
        let link = self.repl.master.as_mut().unwrap();
        // Payload bytes: all of them up to the size, or up to the mark.
        let done = if link.size >= 0 {
            let want = (link.size - link.read) as usize;
            let take = want.min(link.buf.len());
            let chunk: Vec<u8> = link.buf.drain(..take).collect();
            let _ = link.tmpfile.as_mut().unwrap().1.write_all(&chunk);
            link.read += take as i64;
            link.read == link.size
        } else {
            // Keep the last 40 bytes back: they may be the mark.
            let mark = link.eof_mark.clone().unwrap();
            if link.buf.len() > 40 {
                let n = link.buf.len() - 40;
                let chunk: Vec<u8> = link.buf.drain(..n).collect();
                let _ = link.tmpfile.as_mut().unwrap().1.write_all(&chunk);
                link.read += n as i64;
            }
            if link.buf.len() == 40 && link.buf == mark {
                link.buf.clear();
                true
            } else {
                false
            }
        };
        if !done {
            return false;
        }
        self.finish_full_sync();
        true
    }

    /// The payload is on disk: replace the dataset with it and start streaming.
    fn finish_full_sync(&mut self) {
        let (path, f) = self.repl.master.as_mut().unwrap().tmpfile.take().unwrap();
        let _ = f.sync_all();
        drop(f);
        let target = self.rdb_filename();
        if let Err(e) = std::fs::rename(&path, &target) {
            log::warn!(
                "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {}",
                target,
                crate::server::listen::strerror(&e)
            );
            let _ = std::fs::remove_file(&path);
            self.handshake_fail();
            return;
        }
        self.attach_to_new_master();
        log::info!("MASTER <-> REPLICA sync: Flushing old data");
        let lazy = self.config.get_bool("replica-lazy-flush");
        self.empty_data(None, lazy);
        self.functions_flush();
        log::info!("MASTER <-> REPLICA sync: Loading DB in memory");
        // The load serves events: the link must not be read meanwhile.
        let reg_sock = |srv: &mut Server, on: bool| {
            if let (Some(reg), Some(s)) = (
                srv.registry.as_ref(),
                srv.repl.master.as_mut().and_then(|l| l.sock.as_mut()),
            ) {
                let _ = if on {
                    reg.register(s, Token(HANDSHAKE_TOKEN), Interest::READABLE)
                } else {
                    reg.deregister(s)
                };
            }
        };
        reg_sock(self, false);
        let res = crate::rdb::load::load_file(self, &target, crate::rdb::load::LOAD_NONE);
        reg_sock(self, true);
        if let Err(e) = res {
            log::warn!(
                "Failed trying to load the MASTER synchronization DB from disk, check server logs. {}",
                e.msg
            );
            self.empty_data(None, false);
            self.handshake_fail();
            self.remove_rdb_obtained_from_master(&target);
            return;
        }
        self.remove_rdb_obtained_from_master(&target);
        self.full_sync_loaded();
    }

    /// With rdb-del-sync-files, a replica without persistence does not keep
    /// the RDB its master sent, loaded or not.
    fn remove_rdb_obtained_from_master(&mut self, path: &str) {
        if self.config.get_bool("rdb-del-sync-files") && self.all_persistence_disabled() {
            log::info!(
                "Removing the RDB file obtained from the master. This replica has persistence disabled"
            );
            let _ = std::fs::remove_file(path);
        }
    }

    /// replicationAttachToNewMaster: our replicas must full-sync again and our
    /// backlog is useless, our history being replaced.
    pub(super) fn attach_to_new_master(&mut self) {
        self.disconnect_slaves();
        self.repl.backlog = None;
        self.repl.master_cached = None;
    }

    /// The new dataset is in: our history is the master's from its
    /// +FULLRESYNC offset on, and the link becomes the master client.
    pub(super) fn full_sync_loaded(&mut self) {
        let link = self.repl.master.as_mut().unwrap();
        self.replid = link.full_replid.clone();
        self.repl.master_repl_offset = link.full_offset;
        self.clear_replication_id2();
        self.create_replication_backlog();
        log::info!("MASTER <-> REPLICA sync: Finished with success");
        let db = self.rdb.loaded_repl_stream_db;
        self.promote_link_to_master_client(db);
    }

    /// replicationCreateMasterClient: the handshake socket becomes a client.
    fn promote_link_to_master_client(&mut self, db: i64) {
        let link = self.repl.master.as_mut().unwrap();
        let Some(mut sock) = link.sock.take() else {
            return;
        };
        let rest = std::mem::take(&mut link.buf);
        let addr = sock
            .peer_addr()
            .map(|a| format!("{}:{}", a.ip(), a.port()))
            .unwrap_or_default();
        let laddr = sock
            .local_addr()
            .map(|a| format!("{}:{}", a.ip(), a.port()))
            .unwrap_or_default();
        let token = self.clients.vacant_key() + FIRST_CLIENT_TOKEN;
        if let Some(reg) = self.registry.as_ref() {
            let _ = reg.reregister(&mut sock, Token(token), Interest::READABLE);
        }
        let id = self.next_client_id;
        self.next_client_id += 1;
        let mut c = Client::new(id, token, Some(Stream::Tcp(sock)), crate::util::mstime());
        c.addr = addr;
        c.laddr = laddr;
        c.authenticated = true;
        c.user_id = crate::acl::NO_USER;
        c.flags.set(ClientFlags::MASTER);
        c.flags.set(ClientFlags::REPLY_OFF);
        if db >= 0 && (db as usize) < self.dbs.len() {
            c.db = db as usize;
        }
        c.querybuf = rest;
        let key = self.clients.insert(Some(Box::new(c)));
        debug_assert_eq!(key + FIRST_CLIENT_TOKEN, token);
        let link = self.repl.master.as_mut().unwrap();
        link.client = Some(token);
        link.state = LinkState::Connected;
        link.down_since = 0;
        link.last_io_ms = crate::util::mstime();
        // Stream bytes that came with the payload, then an ACK right away.
        if let Some(mut c) = self.take_client(token) {
            self.process_input(&mut c);
            self.send_ack(&mut c);
            self.restore_client(c);
        }
    }

    /// replicationSendAck: REPLCONF ACK <processed offset>.
    pub fn send_ack(&mut self, c: &mut Client) {
        let off = self.repl.master_repl_offset.to_string();
        let mut out = Vec::new();
        crate::aof::cat_command(&mut out, 3, [&b"REPLCONF"[..], b"ACK", off.as_bytes()]);
        c.add_push_raw(&out);
        self.mark_pending_write(c);
    }

    /// Bytes of the master stream were applied (one command, or a whole
    /// MULTI/EXEC): they advance our offset and go to our backlog and replicas,
    /// byte for byte.
    pub fn master_applied(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.feed_replication_buffer(bytes);
    }

    /// The replica part of replicationCron.
    pub fn replica_cron(&mut self) {
        let Some(link) = self.repl.master.as_ref() else {
            return;
        };
        let timeout_ms = self.config.get_i64("repl-timeout") * 1000;
        let now = crate::util::mstime();
        match link.state {
            LinkState::Connect => self.connect_to_master(),
            LinkState::Connecting
            | LinkState::ReceivePong
            | LinkState::ReceiveReplies(_)
            | LinkState::ReceivePsync => {
                if now - link.last_io_ms > timeout_ms {
                    log::warn!("Timeout connecting to the MASTER...");
                    self.handshake_fail();
                }
            }
            LinkState::Transfer => {
                if now - link.last_io_ms > timeout_ms {
                    log::warn!("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
                    self.handshake_fail();
                } else if let Some(s) = self.repl.master.as_mut().unwrap().sock.as_mut() {
                    // Tell the master we are alive while the payload arrives.
                    let _ = s.write(b"\n");
                }
            }
            LinkState::Connected => {
                let Some(t) = link.client else {
                    return;
                };
                if let Some(mut c) = self.take_client(t) {
                    if now - c.last_interaction_ms > timeout_ms {
                        log::warn!("MASTER timeout: no data nor PING received...");
                        self.free_client_async(&mut c);
                    } else {
                        self.send_ack(&mut c);
                    }
                    self.restore_client(c);
                }
            }
        }
    }

    /// Bytes read from the master: what was applied plus what waits in the
    /// master client's query buffer (a command held by CLIENT PAUSE, a part
    /// of a command, an open MULTI block).
    fn slave_read_repl_offset(&self) -> i64 {
        let pending = self
            .repl
            .master
            .as_ref()
            .and_then(|l| l.client)
            .and_then(|t| self.client_ref(t))
            .map(|c| c.querybuf.len() as i64)
            .unwrap_or(0);
        self.repl.master_repl_offset + pending
    }

    /// INFO replication lines of a replica, after role.
    pub fn info_replica_fields(&self, out: &mut String) {
        let Some(link) = self.repl.master.as_ref() else {
            return;
        };
        let now = crate::util::mstime();
        let up = link.state == LinkState::Connected;
        let last_io = if up {
            link.client
                .and_then(|t| self.client_ref(t))
                .map(|c| (now - c.last_interaction_ms) / 1000)
                .unwrap_or(-1)
        } else {
            -1
        };
        out.push_str(&format!(
            "master_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
            link.host,
            link.port,
            if up { "up" } else { "down" },
            last_io,
            (link.state == LinkState::Transfer) as i32,
            self.slave_read_repl_offset(),
            self.repl.master_repl_offset,
        ));
        if link.state == LinkState::Transfer {
            let total = link.size.max(0);
            let perc = if total > 0 {
                link.read as f64 * 100.0 / total as f64
            } else {
                0.0
            };
            out.push_str(&format!(
                "master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\nmaster_sync_left_bytes:{}\r\nmaster_sync_perc:{:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
                link.size,
                link.read,
                total - link.read,
                perc,
                (now - link.last_io_ms) / 1000
            ));
        }
        if !up {
            let since = if link.down_since <= 0 {
                -1
            } else {
                unix_now() - link.down_since
            };
            out.push_str(&format!("master_link_down_since_seconds:{}\r\n", since));
        }
        out.push_str(&format!(
            "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
            self.config.get_i64("replica-priority"),
            self.config.get_bool("replica-read-only") as i32,
            self.config.get_bool("replica-announced") as i32
        ));
    }

    /// ROLE on a replica.
    pub fn role_reply_replica(&self, c: &mut Client) {
        let link = self.repl.master.as_ref().unwrap();
        c.add_array_len(5);
        c.add_bulk(b"slave");
        c.add_bulk(link.host.as_bytes());
        c.add_int(link.port as i64);
        let st: &[u8] = match link.state {
            LinkState::Connect => b"connect",
            LinkState::Connecting => b"connecting",
            LinkState::ReceivePong | LinkState::ReceiveReplies(_) | LinkState::ReceivePsync => {
                b"handshake"
            }
            LinkState::Transfer => b"sync",
            LinkState::Connected => b"connected",
        };
        c.add_bulk(st);
        c.add_int(if link.state == LinkState::Connected {
            self.repl.master_repl_offset
        } else {
            -1
        });
    }
}

/// REPLICAOF host port | NO ONE (and SLAVEOF).
pub fn replicaof_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if srv.config.cluster_enabled {
        c.add_error("REPLICAOF not allowed in cluster mode.");
        return;
    }
    if srv.failover_in_progress() {
        c.add_error("REPLICAOF not allowed while failing over.");
        return;
    }
    if argv.get(1).eq_ignore_ascii_case(b"no") && argv.get(2).eq_ignore_ascii_case(b"one") {
        if srv.is_replica() {
            srv.unset_master();
            log::info!(
                "MASTER MODE enabled (user request from '{}')",
                srv.client_info_string(c)
            );
        }
        c.add_ok();
        return;
    }
    if c.flags.has(ClientFlags::SLAVE) {
        c.add_error("Command is not valid when client is a replica.");
        return;
    }
    let Some(port) = crate::util::parse_i64(argv.get(2)).filter(|p| (0..=65535).contains(p)) else {
        c.add_error("Invalid master port");
        return;
    };
    let host = String::from_utf8_lossy(argv.get(1)).into_owned();
    if let Some(l) = srv.repl.master.as_ref() {
        if l.host.eq_ignore_ascii_case(&host) && l.port as i64 == port {
            log::info!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
            c.add_status("OK Already connected to specified master");
            return;
        }
    }
    srv.set_master(host.clone(), port as u16, false);
    log::info!(
        "REPLICAOF {}:{} enabled (user request from '{}')",
        host,
        port,
        srv.client_info_string(c)
    );
    c.add_ok();
}

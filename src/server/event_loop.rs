//! The event loop (Redis's ae + beforeSleep): one mio Poll for listeners and
//! clients, serverCron as a time event at `hz` (and the eviction time proc), and the before-sleep flush of
//! pending replies and deferred client frees.

use super::listen::Listener;
use super::{Server, FIRST_CLIENT_TOKEN};
use crate::networking::{Client, ClientFlags, Stream};
use mio::{Events, Interest, Poll, Token};
use std::io;
use std::time::Duration;

impl Server {
    /// Registers the listeners and loads the dataset (clients are served
    /// meanwhile, with -LOADING); `run_loop` then serves until shutdown.
    pub fn prepare_loop(&mut self, poll: Poll) -> io::Result<()> {
        let registry = poll.registry().try_clone()?;
        for (i, l) in self.listeners.iter_mut().enumerate() {
            match l {
                Listener::Tcp(t, _) => registry.register(t, Token(i), Interest::READABLE)?,
                Listener::Unix(u, _) => registry.register(u, Token(i), Interest::READABLE)?,
            }
        }
        self.registry = Some(registry);
        self.cluster_register_listeners();
        // The dataset loads with the loop available, so clients are served
        // (with -LOADING) while it does (processEventsWhileBlocked).
        self.blocked_poll = Some(poll);
        self.events_while_blocked = Some(Server::process_events_while_blocked);
        // loadDataFromDisk: the AOF when appendonly is on, else the RDB.
        if self.config.get_bool("appendonly") {
            self.load_aof_at_startup();
        } else {
            self.load_data_from_disk();
        }
        self.events_while_blocked = None;
        Ok(())
    }

    pub fn run_loop(&mut self) -> io::Result<()> {
        // The Poll stays in the server between turns, so a DEBUG RELOAD can
        // serve events through it during its load.
        self.events_while_blocked = Some(Server::process_events_while_blocked);
        let mut events = Events::with_capacity(1024);
        let mut next_cron_us = crate::util::monotonic_us();
        loop {
            self.before_sleep();
            let now = crate::util::monotonic_us();
            // The eviction time proc is a 0 ms timer: don't sleep while it runs.
            let wait = if self.evict.proc_running() {
                0
            } else {
                next_cron_us.saturating_sub(now)
            };
            let mut poll = self.blocked_poll.take().expect("prepare_loop first");
            let res = poll.poll(&mut events, Some(Duration::from_micros(wait)));
            self.blocked_poll = Some(poll);
            if let Err(e) = res {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            self.dispatch_events(&events);
            if self.evict.proc_running() {
                self.eviction_time_proc();
            }
            let now = crate::util::monotonic_us();
            if now >= next_cron_us {
                self.server_cron();
                let period = 1_000_000 / self.hz.max(1) as u64;
                next_cron_us = if now > next_cron_us + period {
                    now + period
                } else {
                    next_cron_us + period
                };
            }
            self.poll_signals();
            // serverCron handles it, so DEBUG PAUSE-CRON holds it back too.
            if self.shutdown_asap && !self.pause_cron && self.prepare_for_shutdown_from_signal() {
                return Ok(());
            }
        }
    }

    fn dispatch_events(&mut self, events: &Events) {
        // AE_BARRIER: with appendfsync always, a reply must not leave before
        // the AOF write of its command in beforeSleep, so a client's pending
        // output is written before its new input is read, never after.
        let barrier = self.aof.state == crate::aof::AofState::On
            && self.aof_fsync_policy() == crate::aof::Fsync::Always;
        for ev in events.iter() {
            let t = ev.token().0;
            if t >= crate::cluster::bus::BUS_TOKEN_BASE {
                self.cluster_event(
                    t,
                    ev.is_readable(),
                    ev.is_writable(),
                    ev.is_read_closed() || ev.is_error(),
                );
                continue;
            }
            if t == crate::replication::replica::HANDSHAKE_TOKEN {
                self.handshake_event(ev.is_writable());
                continue;
            }
            if t == crate::replication::diskless::RDB_PIPE_TOKEN {
                self.rdb_pipe_read();
                continue;
            }
            if t < FIRST_CLIENT_TOKEN {
                self.accept_on(t);
                continue;
            }
            if barrier && ev.is_writable() {
                self.handle_writable(t);
            }
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                self.read_from_client(t, ev.is_read_closed() || ev.is_error());
            }
            if !barrier && ev.is_writable() {
                self.handle_writable(t);
            }
        }
    }

    /// processEventsWhileBlocked: during a long load (or DEBUG RELOAD), up to
    /// four non-blocking turns of file events, then replies and deferred frees
    /// only (the rest of beforeSleep waits for the load to end).
    pub fn process_events_while_blocked(&mut self) {
        let Some(mut poll) = self.blocked_poll.take() else {
            return;
        };
        let mut events = Events::with_capacity(128);
        for _ in 0..4 {
            if poll.poll(&mut events, Some(Duration::ZERO)).is_err() || events.is_empty() {
                break;
            }
            self.dispatch_events(&events);
            self.handle_pending_writes_and_frees();
        }
        self.handle_pending_writes_and_frees();
        self.blocked_poll = Some(poll);
        self.poll_signals();
        // whileBlockedCron: a shutdown signal during a load exits without saving.
        if self.shutdown_asap
            && self.loading
            && self.prepare_for_shutdown(super::server_cmds::SHUTDOWN_NOSAVE)
        {
            std::process::exit(0);
        }
    }

    fn accept_on(&mut self, idx: usize) {
        loop {
            let accepted = match &self.listeners[idx] {
                Listener::Tcp(l, _) => l.accept().map(|(s, a)| (Stream::Tcp(s), format_addr(&a))),
                Listener::Unix(l, path) => l
                    .accept()
                    .map(|(s, _)| (Stream::Unix(s), format!("{}:0", path))),
            };
            match accepted {
                Ok((stream, addr)) => self.accept_client(stream, addr),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log::warn!(
                        "Accepting client connection: {}",
                        super::listen::strerror(&e)
                    );
                    return;
                }
            }
        }
    }

    fn accept_client(&mut self, mut stream: Stream, addr: String) {
        let is_unix = matches!(stream, Stream::Unix(_));
        let laddr = match &stream {
            Stream::Tcp(s) => s.local_addr().map(|a| format_addr(&a)).unwrap_or_default(),
            Stream::Unix(_) => self
                .config
                .unixsocket
                .clone()
                .map(|p| format!("{}:0", p))
                .unwrap_or_default(),
        };
        if !is_unix {
            super::listen::tune_accepted(stream.fd(), self.config.tcp_keepalive);
        }
        if self.clients.len() >= self.config.maxclients {
            let _ = stream.write(b"-ERR max number of clients reached\r\n");
            self.stats.rejected_conn += 1;
            return;
        }
        if !is_unix
            && self.config.protected_mode
            && self.acl.default_user().has(crate::acl::uflags::NOPASS)
            && !is_loopback(&addr)
        {
            let _ = stream.write(PROTECTED_MODE_DENIED.as_bytes());
            self.stats.rejected_conn += 1;
            return;
        }
        let token = self.clients.vacant_key() + FIRST_CLIENT_TOKEN;
        if let Some(reg) = &self.registry {
            if let Err(e) = reg.register(stream.source(), Token(token), Interest::READABLE) {
                log::warn!("Error registering fd event for the new client: {}", e);
                return;
            }
        }
        let id = self.next_client_id;
        self.next_client_id += 1;
        let mut c = Client::new(id, token, Some(stream), crate::util::mstime());
        c.addr = addr;
        c.laddr = laddr;
        crate::acl::set_default_auth(self, &mut c);
        if is_unix {
            c.flags.set(ClientFlags::UNIX_SOCKET);
        }
        let key = self.clients.insert(Some(Box::new(c)));
        debug_assert_eq!(key + FIRST_CLIENT_TOKEN, token);
        self.stats.numconnections += 1;
        log::debug!(
            "Accepted {}",
            self.clients[token - FIRST_CLIENT_TOKEN]
                .as_ref()
                .unwrap()
                .addr
        );
    }

    /// Takes a client out of the slab for exclusive use; put it back with `restore_client`.
    #[inline]
    pub fn take_client(&mut self, token: usize) -> Option<Box<Client>> {
        self.clients
            .get_mut(token.wrapping_sub(FIRST_CLIENT_TOKEN))?
            .take()
    }

    #[inline]
    pub fn restore_client(&mut self, c: Box<Client>) {
        let key = c.token - FIRST_CLIENT_TOKEN;
        self.clients[key] = Some(c);
    }

    /// Reads what the socket has. A short read means the socket is drained (Linux
    /// raises a new edge for any later data), unless the peer also closed: then
    /// no further event will come, so read on until EOF. A read that fills the
    /// buffer stops there: the requests in it run, then reading goes on.
    fn read_from_client(&mut self, token: usize, peer_closed: bool) {
        let Some(mut c) = self.take_client(token) else {
            return;
        };
        if c.flags.has(ClientFlags::CLOSE_ASAP) {
            self.restore_client(c);
            return;
        }
        loop {
            let (closed, more) = self.read_socket(&mut c, peer_closed);
            c.last_interaction_ms = crate::util::mstime();
            if c.querybuf.len() - c.qb_pos > self.config.client_query_buffer_limit {
                log::warn!("Closing client that reached max query buffer length: {} (qbuf initial bytes: {:?})", self.client_info_string(&c), String::from_utf8_lossy(&c.querybuf[c.qb_pos..c.qb_pos + 64.min(c.querybuf.len() - c.qb_pos)]));
                self.stats.client_qbuf_limit_disconnections += 1;
                self.free_client(c);
                return;
            }
            // A client whose query buffer alone breaks maxmemory-clients goes before it runs anything.
            if self.config.maxmemory_clients_on() && self.client_eviction_check(&mut c) {
                self.free_client(c);
                return;
            }
            self.process_input(&mut c);
            // beforeNextClient: a client marked to close (output limit, its own
            // eviction) goes now, so its buffers no longer count for the next one.
            self.check_obuf_hit(&mut c);
            if c.flags.has(ClientFlags::CLOSE_ASAP) {
                self.free_client(c);
                return;
            }
            if self.config.maxmemory_clients_on() && self.client_eviction_check(&mut c) {
                self.free_client(c);
                return;
            }
            if closed {
                // Flush what the last commands produced, then close.
                let _ = self.write_to_client(&mut c);
                self.free_client(c);
                return;
            }
            if !more {
                break;
            }
        }
        if c.pending_reply_bytes() > 0 {
            self.mark_pending_write(&mut c);
        }
        self.restore_client(c);
    }

    /// One round of reads into the query buffer. Returns (peer closed or
    /// failed, stopped on a full buffer with more maybe pending).
    fn read_socket(&mut self, c: &mut Client, peer_closed: bool) -> (bool, bool) {
        loop {
            let len = c.querybuf.len();
            let big = c.big_bulk_end;
            let room = if big > len {
                // Exactly the rest of the big argument (Redis's readlen).
                if c.querybuf.capacity() < big {
                    c.querybuf.reserve_exact(big - len);
                }
                big - len
            } else {
                if c.querybuf.capacity() - len < 1024 {
                    c.querybuf.reserve(16 * 1024);
                }
                c.querybuf.capacity() - len
            };
            let fd = c.fd;
            let spare = c.querybuf.spare_capacity_mut();
            // SAFETY: read(2) writes at most `room` bytes (never more than the spare
            // capacity) into the vector's spare capacity, which we own; only the bytes
            // it reports are then marked initialised.
            let r = unsafe { libc::read(fd, spare.as_mut_ptr() as *mut libc::c_void, room) };
            let r = if r < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(r as usize)
            };
            match r {
                Ok(0) => {
                    log::debug!("Client closed connection id={} addr={}", c.id, c.addr);
                    return (true, false);
                }
                Ok(n) => {
                    // SAFETY: the kernel initialised exactly n bytes past len.
                    unsafe { c.querybuf.set_len(len + n) };
                    c.querybuf_peak = c.querybuf_peak.max(len + n);
                    c.net_input_bytes += n as u64;
                    self.stats.net_input_bytes += n as u64;
                    self.stats.total_reads_processed += 1;
                    // A full read goes to the parser before the buffer grows:
                    // if it holds a big bulk's header, the next read is sized
                    // exactly for that argument (as Redis's 16 KB read, then
                    // processInputBuffer). Growing by doubling first would leave
                    // identical requests with different buffer sizes depending
                    // on how fast they arrived (client eviction compares them).
                    if n == room {
                        return (false, true);
                    }
                    if n < room && !peer_closed {
                        return (false, false);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (false, false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::debug!("Reading from client: {}", e);
                    return (true, false);
                }
            }
        }
    }

    fn handle_writable(&mut self, token: usize) {
        let Some(mut c) = self.take_client(token) else {
            return;
        };
        let ok = self.write_to_client(&mut c);
        if !ok || (c.pending_reply_bytes() == 0 && c.flags.has(ClientFlags::CLOSE_AFTER_REPLY)) {
            self.free_client(c);
            return;
        }
        self.restore_client(c);
    }

    /// Writes as much of the reply buffer as the socket takes. Returns false when the
    /// connection failed and the client must be freed.
    pub fn write_to_client(&mut self, c: &mut Client) -> bool {
        let Some(stream) = c.stream.as_mut() else {
            return true;
        };
        // Redis's buf_peak: the most of the reply buffer used between flushes.
        let pending = c.reply.len() - c.sent;
        if pending > c.rb_peak {
            c.rb_peak = pending.min(c.rb_size);
        }
        let mut wrote_any = false;
        while c.sent < c.reply.len() {
            match stream.write(&c.reply[c.sent..]) {
                Ok(0) => return false,
                Ok(n) => {
                    c.sent += n;
                    c.net_output_bytes += n as u64;
                    self.stats.net_output_bytes += n as u64;
                    wrote_any = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::debug!("Error writing to client: {}", e);
                    return false;
                }
            }
        }
        if wrote_any {
            self.stats.total_writes_processed += 1;
        }
        if c.sent == c.reply.len() {
            c.reply.clear();
            c.sent = 0;
            if c.repl.is_some() {
                self.bulk_sent(c);
            }
            c.obuf_rearm();
            // Give back memory after a big reply (a pipeline of large values):
            // Redis frees its reply list once written, keeping only its buffer.
            if c.reply.capacity() > 4 * crate::networking::limits::REPLY_CHUNK_BYTES {
                c.reply.shrink_to(c.rb_size);
            }
            if c.flags.has(ClientFlags::WRITE_INTEREST) {
                c.flags.clear(ClientFlags::WRITE_INTEREST);
                if let (Some(reg), Some(s)) = (&self.registry, c.stream.as_mut()) {
                    let _ = reg.reregister(s.source(), Token(c.token), Interest::READABLE);
                }
            }
        } else if !c.flags.has(ClientFlags::WRITE_INTEREST) {
            c.flags.set(ClientFlags::WRITE_INTEREST);
            if let (Some(reg), Some(s)) = (&self.registry, c.stream.as_mut()) {
                let _ = reg.reregister(
                    s.source(),
                    Token(c.token),
                    Interest::READABLE | Interest::WRITABLE,
                );
            }
        }
        if wrote_any && self.config.maxmemory_clients_on() {
            self.account_client_memory(c);
        }
        true
    }

    /// Runs once per loop turn before polling: the fast expire cycle, pending
    /// replies, and deferred frees (Redis's beforeSleep order).
    pub fn before_sleep(&mut self) {
        if self.cluster.is_some() {
            self.cluster_before_sleep();
        }
        if self.expire_fast_pending {
            self.active_expire_cycle(crate::db::expire::CycleKind::Fast);
        }
        // CLIENT UNPAUSE only lifts the pause; held commands run here, outside any handler.
        if !self.paused_clients.is_empty() && self.pause == super::PauseKind::None {
            self.resume_paused_clients();
        }
        self.wait_before_sleep_unblock();
        self.handle_blocked_clients_timeout();
        if self.has_ready_keys() {
            self.handle_clients_blocked_on_keys();
        }
        self.process_unblocked_clients();
        self.wait_before_sleep_getack();
        if self.tracking.in_use {
            self.tracking_broadcast();
        }
        // A diskless transfer waiting for its replicas to drain the last chunk.
        if self.repl.rdb_pipe.is_some() {
            self.rdb_pipe_read();
        }
        // The AOF is written before any reply goes out (flushAppendOnlyFile).
        if self.aof.state == crate::aof::AofState::On || self.aof.file.is_some() {
            self.flush_append_only_file(false);
        }
        self.handle_pending_writes_and_frees();
    }

    /// The reply flush and deferred client frees at the end of beforeSleep.
    fn handle_pending_writes_and_frees(&mut self) {
        let pending = std::mem::take(&mut self.pending_writes);
        for token in pending.iter().copied() {
            let Some(mut c) = self.take_client(token) else {
                continue;
            };
            c.flags.clear(ClientFlags::PENDING_WRITE);
            // Output of a client about to be closed is never sent.
            if c.flags.has(ClientFlags::CLOSE_ASAP) {
                self.restore_client(c);
                continue;
            }
            let ok = self.write_to_client(&mut c);
            if !ok || (c.pending_reply_bytes() == 0 && c.flags.has(ClientFlags::CLOSE_AFTER_REPLY))
            {
                self.free_client(c);
            } else {
                self.restore_client(c);
            }
        }
        let mut pending = pending;
        pending.clear();
        if self.pending_writes.is_empty() {
            self.pending_writes = pending;
        }
        self.evict_clients_if_needed();
        while let Some(token) = self.close_asap.pop() {
            if let Some(c) = self.take_client(token) {
                self.free_client(c);
            }
        }
    }

    /// Closes a client and releases its slot (freeClient).
    pub fn free_client(&mut self, mut c: Box<Client>) {
        self.clients_mem_total -= c.last_mem.min(self.clients_mem_total);
        if c.tracking.is_some() {
            self.disable_tracking(&mut c);
        }
        if let (Some(reg), Some(s)) = (&self.registry, c.stream.as_mut()) {
            let _ = reg.deregister(s.source());
        }
        if c.flags.has(ClientFlags::MONITOR) {
            self.monitors.retain(|&t| t != c.token);
        }
        self.replica_freed(&c);
        self.master_client_freed(&c);
        self.pubsub_forget_client(&mut c);
        self.unwatch_all_keys(&mut c);
        self.unblock_client_silently(&mut c);
        let key = c.token - FIRST_CLIENT_TOKEN;
        if self.clients.contains(key) {
            self.clients.remove(key);
        }
    }

    /// Marks a client to be closed before the next sleep (freeClientAsync).
    pub fn free_client_async(&mut self, c: &mut Client) {
        if !c.flags.has(ClientFlags::CLOSE_ASAP) {
            c.flags.set(ClientFlags::CLOSE_ASAP);
            self.close_asap.push(c.token);
        }
    }
}

fn format_addr(a: &std::net::SocketAddr) -> String {
    match a {
        std::net::SocketAddr::V4(v) => format!("{}:{}", v.ip(), v.port()),
        std::net::SocketAddr::V6(v) => format!("{}:{}", v.ip(), v.port()),
    }
}

fn is_loopback(addr: &str) -> bool {
    addr.starts_with("127.0.0.1:") || addr.starts_with("::1:")
}

const PROTECTED_MODE_DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

//! Diskless load, replica side (readSyncBulkPayload with `repl-diskless-load`
//! on-empty-db or swapdb): the RDB is parsed straight from the master socket,
//! put in blocking mode with `repl-timeout` as its read timeout, while the
//! event loop keeps answering clients (-LOADING) between keys. With swapdb the
//! current data is set aside first and comes back if the transfer fails;
//! otherwise it is flushed before the load, as Redis does.

use super::replica::HANDSHAKE_TOKEN;
use crate::db::Db;
use crate::server::Server;
use mio::{Interest, Token};
use std::io::Read;
use std::os::unix::io::AsRawFd;

/// The socket as a reader: first the bytes already buffered by the
/// handshake, then blocking reads. Keeps what the parser did not consume.
struct SockReader {
    sock: mio::net::TcpStream,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for SockReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.resize(16 * 1024, 0);
            self.pos = 0;
            let n = loop {
                match self.sock.read(&mut self.buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    r => break r,
                }
            };
            match n {
                Ok(n) => self.buf.truncate(n),
                Err(e) => {
                    self.buf.clear();
                    return Err(e);
                }
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Switches a socket between blocking (with a receive timeout) and non-blocking.
fn set_blocking(fd: i32, blocking: bool, timeout_s: i64) {
    // SAFETY: fcntl/setsockopt on a socket we own, with a timeval we own.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        let fl = if blocking {
            fl & !libc::O_NONBLOCK
        } else {
            fl | libc::O_NONBLOCK
        };
        libc::fcntl(fd, libc::F_SETFL, fl);
        let tv = libc::timeval {
            tv_sec: if blocking { timeout_s } else { 0 },
            tv_usec: 0,
        };
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &tv as *const libc::timeval as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

impl Server {
    /// Loads the payload whose header was just read from the socket.
    pub(super) fn diskless_load(&mut self) {
        let swapdb = self.config.get_enum("repl-diskless-load") == "swapdb";
        if self.child.kind() == Some(crate::child::ChildKind::Rdb) {
            self.kill_rdb_child();
        }
        // The old data: set aside (swapdb) or flushed.
        let mut old: Vec<Db> = Vec::new();
        if swapdb {
            let per_slot = self.config.cluster_enabled;
            old = (0..self.dbs.len()).map(|i| Db::new(i, per_slot)).collect();
        } else {
            self.attach_to_new_master();
            log::info!("MASTER <-> REPLICA sync: Flushing old data");
            let lazy = self.config.get_bool("replica-lazy-flush");
            self.empty_data(None, lazy);
        }
        let link = self.repl.master.as_mut().unwrap();
        let mut sock = link.sock.take().unwrap();
        let pre = std::mem::take(&mut link.buf);
        let mark = link.eof_mark.clone();
        let size = link.size;
        if let Some(reg) = self.registry.as_ref() {
            let _ = reg.deregister(&mut sock);
        }
        let fd = sock.as_raw_fd();
        set_blocking(fd, true, self.config.get_i64("repl-timeout").max(1));
        log::info!("MASTER <-> REPLICA sync: Loading DB in memory");
        if swapdb {
            for (cur, o) in self.dbs.iter_mut().zip(old.iter_mut()) {
                cur.swap_contents(o);
            }
        }
        self.start_loading(size.max(0) as u64);
        let interval = self
            .config
            .get_i64("loading-process-events-interval-bytes")
            .max(1) as u64;
        let mut next = interval;
        let mut last_newline = 0i64;
        let mut rd = SockReader {
            sock,
            buf: pre,
            pos: 0,
        };
        let res = crate::rdb::load::load_from_reader(
            self,
            &mut rd,
            crate::rdb::load::LOAD_NONE,
            &mut |srv, pos| {
                if pos >= next {
                    next = pos + interval;
                    srv.rdb.loading_loaded_bytes = pos;
                    // Tell the master we are alive, at most once a second.
                    let now = crate::util::mstime() / 1000;
                    if now != last_newline {
                        last_newline = now;
                        // SAFETY: a one-byte write on the socket we own.
                        unsafe { libc::write(fd, b"\n".as_ptr() as *const libc::c_void, 1) };
                    }
                    srv.loading_process_events();
                }
            },
        );
        let mut failed = match res {
            Ok(st) => {
                self.rdb.last_load_keys_loaded = st.loaded;
                self.rdb.last_load_keys_expired = st.expired;
                false
            }
            Err(e) => {
                log::warn!("{}", e.msg);
                log::warn!(
                    "Failed trying to load the MASTER synchronization DB from socket: {}",
                    e.msg
                );
                true
            }
        };
        if !failed {
            if let Some(m) = mark {
                let mut got = [0u8; 40];
                if rd.read_exact(&mut got).is_err() || got[..] != m[..] {
                    log::warn!("Replication stream EOF marker is broken");
                    failed = true;
                }
            }
        }
        let SockReader {
            mut sock, buf, pos, ..
        } = rd;
        set_blocking(fd, false, 0);
        if failed {
            self.stop_loading();
            drop(sock);
            self.handshake_fail();
            if swapdb {
                for (cur, o) in self.dbs.iter_mut().zip(old.iter_mut()) {
                    cur.swap_contents(o);
                }
                log::info!("MASTER <-> REPLICA sync: Discarding temporary DB in background");
            } else {
                self.empty_data(None, false);
            }
            return;
        }
        if swapdb {
            self.attach_to_new_master();
            log::info!("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
            for i in 0..self.dbs.len() {
                self.touch_all_watched_keys_in_db(i, None);
                self.scan_database_for_ready_keys(i);
            }
            drop(old);
            log::info!("MASTER <-> REPLICA sync: Discarding old DB in background");
        }
        self.dirty += 1;
        self.stop_loading();
        if let Some(reg) = self.registry.as_ref() {
            let _ = reg.register(&mut sock, Token(HANDSHAKE_TOKEN), Interest::READABLE);
        }
        let link = self.repl.master.as_mut().unwrap();
        link.sock = Some(sock);
        link.buf = buf[pos..].to_vec();
        self.full_sync_loaded();
    }
}

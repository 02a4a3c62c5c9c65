//! Diskless full sync, master side (Redis 7.0's rdbSaveToSlavesSockets and
//! rdbPipeReadHandler): the fork child writes `$EOF:<mark>\r\n`, the RDB and the
//! mark into a pipe; the parent reads the pipe and copies each chunk into the
//! output of every replica of that round, reading the next chunk only when all
//! of them took the previous one (so a slow replica slows the child instead of
//! growing our memory). Once the pipe is drained the parent closes the
//! "safe to exit" pipe, the child exits, and the done handler puts the
//! replicas online; their buffered stream follows their first REPLCONF ACK.

use super::{replica_name, ReplicaState};
use crate::child::{self, ChildKind};
use crate::networking::Client;
use crate::server::{Server, FIRST_CLIENT_TOKEN};
use mio::{Interest, Token};
use std::io::Write;

/// The mio token of the RDB pipe (below the handshake socket's).
pub const RDB_PIPE_TOKEN: usize = FIRST_CLIENT_TOKEN - 2;

/// PROTO_IOBUF_LEN: one read from the pipe.
const CHUNK: usize = 16 * 1024;

/// The parent's end of a diskless transfer.
pub struct RdbPipe {
    read_fd: i32,
    /// Write end of the pipe whose closing lets the child exit (-1 once closed).
    exit_fd: i32,
    /// Replica tokens this transfer feeds (dropped ones are skipped).
    pub conns: Vec<usize>,
    registered: bool,
    eof: bool,
}

fn close_fd(fd: i32) {
    if fd >= 0 {
        // SAFETY: closing a descriptor this module created and still owns.
        unsafe { libc::close(fd) };
    }
}

fn make_pipe(flags: i32) -> Option<[i32; 2]> {
    let mut fds = [-1i32; 2];
    // SAFETY: pipe2 fills the two-element array we own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), flags) } == 0 {
        Some(fds)
    } else {
        None
    }
}

/// A File over a raw descriptor the child owns (closed when dropped).
fn fd_file(fd: i32) -> std::fs::File {
    use std::os::unix::io::FromRawFd;
    // SAFETY: `fd` is a pipe end owned by the child from here on.
    unsafe { std::fs::File::from_raw_fd(fd) }
}

impl Server {
    /// The replicas of the next round would get a socket transfer
    /// (diskless enabled and all of them announced capa eof).
    pub fn repl_socket_target(&self, mincapa: u8) -> bool {
        self.config.get_bool("repl-diskless-sync") && mincapa & super::CAPA_EOF != 0
    }

    /// rdbSaveToSlavesSockets: forks a child streaming the RDB to the replicas
    /// waiting for a BGSAVE (and `running`). Err when the fork failed.
    pub fn rdb_save_to_slaves_sockets(&mut self, running: Option<&mut Client>) -> Result<(), ()> {
        if self.has_active_child() {
            return Err(());
        }
        let Some(data) = make_pipe(libc::O_CLOEXEC) else {
            return Err(());
        };
        let Some(exit) = make_pipe(libc::O_CLOEXEC) else {
            close_fd(data[0]);
            close_fd(data[1]);
            return Err(());
        };
        // +FULLRESYNC goes out for each of them before the first RDB byte.
        let offset = self.repl.master_repl_offset;
        let mut conns = Vec::new();
        if let Some(c) = running {
            if c.repl.as_ref().map(|r| r.state) == Some(ReplicaState::WaitBgsaveStart) {
                self.setup_slave_for_full_resync(c, offset);
                conns.push(c.token);
            }
        }
        for t in self.repl.slaves.clone() {
            let Some(mut c) = self.take_client(t) else {
                continue;
            };
            if c.repl.as_ref().map(|r| r.state) == Some(ReplicaState::WaitBgsaveStart) {
                self.setup_slave_for_full_resync(&mut c, offset);
                conns.push(t);
            }
            self.restore_client(c);
        }
        self.rdb.saves += 1;
        self.rdb.dirty_before_bgsave = self.dirty;
        self.rdb.lastbgsave_try = super::unix_now();
        let mark = crate::util::random_hex(40);
        let (wr, exit_rd, exit_wr, rd) = (data[1], exit[0], exit[1], data[0]);
        let r = child::start_child(self, ChildKind::Rdb, socket_save_done, move |srv| {
            crate::process::set_child_title(srv, "redis-rdb-to-slaves");
            close_fd(rd);
            close_fd(exit_wr);
            let w = std::io::BufWriter::with_capacity(CHUNK, fd_file(wr));
            let res = (|| -> std::io::Result<()> {
                let mut w = w;
                w.write_all(format!("$EOF:{}\r\n", mark).as_bytes())?;
                let mut w = crate::rdb::save::save_to_writer(
                    srv,
                    w,
                    crate::rdb::save::SAVE_NONE,
                    child::report_progress,
                )?;
                w.write_all(mark.as_bytes())?;
                w.flush()?;
                drop(w.into_inner().map_err(|e| e.into_error())?);
                Ok(())
            })();
            if res.is_ok() {
                child::report_final_cow("RDB");
            }
            // Wait for the parent to read everything before exiting.
            let mut b = [0u8; 1];
            // SAFETY: blocking read into our own one-byte buffer.
            unsafe { libc::read(exit_rd, b.as_mut_ptr() as *mut libc::c_void, 1) };
            if res.is_ok() {
                0
            } else {
                1
            }
        });
        close_fd(wr);
        close_fd(exit_rd);
        match r {
            Ok(pid) => {
                log::info!("Background RDB transfer started by pid {}", pid);
                self.rdb.save_time_start = super::unix_now();
                // SAFETY: making our own pipe end non-blocking.
                unsafe {
                    let fl = libc::fcntl(rd, libc::F_GETFL);
                    libc::fcntl(rd, libc::F_SETFL, fl | libc::O_NONBLOCK);
                }
                let mut pipe = RdbPipe {
                    read_fd: rd,
                    exit_fd: exit_wr,
                    conns,
                    registered: false,
                    eof: false,
                };
                if let Some(reg) = self.registry.as_ref() {
                    pipe.registered = reg
                        .register(
                            &mut mio::unix::SourceFd(&rd),
                            Token(RDB_PIPE_TOKEN),
                            Interest::READABLE,
                        )
                        .is_ok();
                }
                self.repl.rdb_pipe = Some(pipe);
                self.repl.rdb_child_for_sync = true;
                self.repl.rdb_child_socket = true;
                Ok(())
            }
            Err(e) => {
                log::warn!("Can't save in background: fork: {}", e);
                close_fd(rd);
                close_fd(exit_wr);
                Err(())
            }
        }
    }

    /// rdbPipeReadHandler: copies chunks of the pipe to the replicas until the
    /// pipe is empty or a replica could not take a whole chunk. Also called
    /// from beforeSleep, which resumes the transfer once they drained.
    pub fn rdb_pipe_read(&mut self) {
        loop {
            let Some(p) = self.repl.rdb_pipe.as_ref() else {
                return;
            };
            if p.eof {
                return;
            }
            let fd = p.read_fd;
            let conns = p.conns.clone();
            // A replica still writing the previous chunk holds the pipe.
            let busy = conns.iter().any(|&t| {
                self.client_ref(t)
                    .map(|c| c.sent < c.reply.len())
                    .unwrap_or(false)
            });
            if busy {
                return;
            }
            let mut buf = vec![0u8; CHUNK];
            // SAFETY: reading into our own buffer from our own non-blocking pipe.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, CHUNK) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::Interrupted
                {
                    return;
                }
                log::warn!(
                    "Diskless rdb transfer, read error sending DB to replicas: {}",
                    crate::server::listen::strerror(&e)
                );
                for t in conns {
                    if let Some(c) = self.take_client(t) {
                        self.free_client(c);
                    }
                }
                child::kill_child(self);
                return;
            }
            if n == 0 {
                let still_up = conns
                    .iter()
                    .filter(|&&t| self.client_ref(t).is_some())
                    .count();
                self.rdb_pipe_unregister();
                log::warn!(
                    "Diskless rdb transfer, done reading from pipe, {} replicas still up.",
                    still_up
                );
                let p = self.repl.rdb_pipe.as_mut().unwrap();
                p.eof = true;
                close_fd(p.exit_fd);
                p.exit_fd = -1;
                return;
            }
            let chunk = &buf[..n as usize];
            let mut alive = Vec::new();
            let mut writing = false;
            for t in conns {
                let Some(mut c) = self.take_client(t) else {
                    continue;
                };
                if c.repl.as_ref().map(|r| r.state) != Some(ReplicaState::WaitBgsaveEnd) {
                    self.restore_client(c);
                    continue;
                }
                // The snapshot is not reply data: it bypasses the output limits.
                c.reply.extend_from_slice(chunk);
                if !self.write_to_client(&mut c) {
                    log::warn!(
                        "Diskless rdb transfer, write error sending DB to replica: {}",
                        replica_name(&c)
                    );
                    self.free_client(c);
                    continue;
                }
                if c.sent < c.reply.len() {
                    writing = true;
                    c.repl.as_mut().unwrap().last_partial_write = super::unix_now();
                }
                alive.push(t);
                self.restore_client(c);
            }
            let none = alive.is_empty();
            self.repl.rdb_pipe.as_mut().unwrap().conns = alive;
            if none {
                log::warn!("Diskless rdb transfer, last replica dropped, killing fork child.");
                child::kill_child(self);
                return;
            }
            if writing {
                return;
            }
        }
    }

    fn rdb_pipe_unregister(&mut self) {
        let Some(p) = self.repl.rdb_pipe.as_mut() else {
            return;
        };
        if p.registered {
            if let Some(reg) = self.registry.as_ref() {
                let _ = reg.deregister(&mut mio::unix::SourceFd(&p.read_fd));
            }
            p.registered = false;
        }
    }

    /// Closes what is left of the transfer's pipes (the child ended).
    fn rdb_pipe_cleanup(&mut self) {
        self.rdb_pipe_unregister();
        if let Some(p) = self.repl.rdb_pipe.take() {
            close_fd(p.read_fd);
            close_fd(p.exit_fd);
        }
    }
}

/// backgroundSaveDoneHandlerSocket.
fn socket_save_done(srv: &mut Server, _pid: i32, exitcode: i32, bysignal: i32) {
    if bysignal == 0 && exitcode == 0 {
        log::info!("Background RDB transfer terminated with success");
    } else if bysignal == 0 {
        log::warn!("Background transfer error");
    } else {
        log::warn!("Background transfer terminated by signal {}", bysignal);
    }
    srv.rdb_pipe_cleanup();
    srv.rdb.save_time_last = super::unix_now() - srv.rdb.save_time_start;
    srv.rdb.save_time_start = -1;
    srv.update_slaves_waiting_bgsave(bysignal == 0 && exitcode == 0);
}

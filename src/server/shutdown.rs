//! Shutdown: signals only set a flag (the handler must stay async-signal-safe);
//! the loop then logs, removes the pidfile and exits, as Redis's prepareForShutdown.

use super::Server;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static PENDING_SIGNAL: AtomicI32 = AtomicI32::new(0);
/// A shutdown signal arrived and was not cancelled: a second SIGINT exits at
/// once, even while the final save runs (which blocks the loop).
static SHUTDOWN_REQUESTED: AtomicBool = AtomicBool::new(false);
/// "temp-<pid>.rdb", built before the handlers are installed.
static TEMP_RDB: std::sync::OnceLock<std::ffi::CString> = std::sync::OnceLock::new();

extern "C" fn on_signal(sig: libc::c_int) {
    if sig == libc::SIGINT && SHUTDOWN_REQUESTED.load(Ordering::SeqCst) {
        // sigShutdownHandler's "You insist... exiting now": drop the half
        // written snapshot and leave. Only async-signal-safe calls here.
        const MSG: &[u8] = b"You insist... exiting now.\n";
        // SAFETY: unlink, write and _exit are async-signal-safe; the path is a
        // NUL-terminated string initialised before the handler was installed.
        unsafe {
            if let Some(p) = TEMP_RDB.get() {
                libc::unlink(p.as_ptr());
            }
            libc::write(2, MSG.as_ptr() as *const libc::c_void, MSG.len());
            libc::_exit(1);
        }
    }
    SHUTDOWN_REQUESTED.store(true, Ordering::SeqCst);
    PENDING_SIGNAL.store(sig, Ordering::SeqCst);
}

/// A signal-requested shutdown was cancelled (failed, or SHUTDOWN ABORT).
pub fn clear_shutdown_request() {
    SHUTDOWN_REQUESTED.store(false, Ordering::SeqCst);
}

/// Installs SIGTERM/SIGINT handlers and ignores SIGPIPE/SIGHUP as Redis does.
pub fn install_signal_handlers() {
    let _ = TEMP_RDB
        .set(std::ffi::CString::new(format!("temp-{}.rdb", std::process::id())).expect("no NUL"));
    // SAFETY: registering plain C handlers that only store to an atomic.
    unsafe {
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
}

impl Server {
    /// Checks for a signal received since the last call (from cron).
    pub fn poll_signals(&mut self) {
        let sig = PENDING_SIGNAL.swap(0, Ordering::SeqCst);
        if sig == 0 {
            return;
        }
        if self.shutdown_asap && sig == libc::SIGINT {
            log::warn!("You insist... exiting now.");
            self.remove_pidfile();
            std::process::exit(1);
        }
        let name = if sig == libc::SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        log::warn!("Received {} scheduling shutdown...", name);
        self.shutdown_asap = true;
        self.shutdown_signal = sig;
    }

    /// The SHUTDOWN_* flags `shutdown-on-sigterm` / `shutdown-on-sigint` ask for.
    fn shutdown_flags_for_signal(&self) -> u32 {
        use super::server_cmds::{SHUTDOWN_FORCE, SHUTDOWN_NOSAVE, SHUTDOWN_NOW, SHUTDOWN_SAVE};
        let name = if self.shutdown_signal == libc::SIGINT {
            "shutdown-on-sigint"
        } else {
            "shutdown-on-sigterm"
        };
        // The enum's bits: save 1, nosave 2, now 4, force 8 (Redis's SHUTDOWN_*).
        let v = self.config.get_i64(name);
        let mut flags = 0;
        for (bit, f) in [
            (1, SHUTDOWN_SAVE),
            (2, SHUTDOWN_NOSAVE),
            (4, SHUTDOWN_NOW),
            (8, SHUTDOWN_FORCE),
        ] {
            if v & bit != 0 {
                flags |= f;
            }
        }
        flags
    }

    /// Called by the loop once `shutdown_asap` is set. Returns true when the server
    /// should exit now. A shutdown waiting for replicas is finished by
    /// `shutdown_cron`; one that failed is dropped, as Redis does.
    pub fn prepare_for_shutdown_from_signal(&mut self) -> bool {
        if self.shutdown_initiated() {
            return false;
        }
        let flags = self.shutdown_flags_for_signal();
        if self.prepare_for_shutdown(flags) {
            return true;
        }
        if self.shutdown_initiated() {
            return false;
        }
        let name = if self.shutdown_signal == libc::SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        log::warn!(
            "{} received but errors trying to shut down the server, check the logs for more information",
            name
        );
        self.shutdown_asap = false;
        clear_shutdown_request();
        false
    }

    /// isShutdownInitiated: a shutdown waits for its replicas.
    pub fn shutdown_initiated(&self) -> bool {
        self.repl.shutdown_mstime != 0
    }

    /// The cron's part: a shutdown waiting for replicas finishes once they
    /// caught up or shutdown-timeout passed. True when the server should exit.
    pub fn shutdown_cron(&mut self) -> bool {
        if !self.shutdown_initiated() {
            return false;
        }
        if crate::util::mstime() >= self.repl.shutdown_mstime || self.ready_to_shutdown() {
            return self.finish_shutdown();
        }
        false
    }

    /// isReadyToShutdown: every replica acknowledged our whole stream.
    fn ready_to_shutdown(&self) -> bool {
        self.repl.slaves.iter().all(|&t| {
            self.client_ref(t)
                .and_then(|c| c.repl.as_ref())
                .is_none_or(|r| r.ack_off == self.repl.master_repl_offset)
        })
    }

    /// prepareForShutdown with SHUTDOWN's flags (server_cmds::SHUTDOWN_*).
    /// Unless NOW, with shutdown-timeout set and lagging replicas, writes are
    /// paused and the replicas asked for an ACK: the shutdown is initiated and
    /// finishes later (returns false, `shutdown_initiated()` tells). Otherwise
    /// it finishes at once. Returns true when the process should exit now.
    pub fn prepare_for_shutdown(&mut self, flags: u32) -> bool {
        use super::server_cmds::{SHUTDOWN_NOSAVE, SHUTDOWN_NOW, SHUTDOWN_SAVE};
        if self.shutdown_initiated() {
            return false;
        }
        let flags = if self.loading {
            (flags & !SHUTDOWN_SAVE) | SHUTDOWN_NOSAVE
        } else {
            flags
        };
        self.repl.shutdown_flags = flags;
        log::warn!("User requested shutdown...");
        let timeout = self.config.get_i64("shutdown-timeout");
        if flags & SHUTDOWN_NOW == 0 && timeout != 0 && !self.ready_to_shutdown() {
            self.repl.shutdown_mstime = crate::util::mstime() + timeout * 1000;
            if self.pause == super::PauseKind::None {
                self.send_getack_to_replicas();
            }
            self.pause_for(
                crate::replication::pause::PausePurpose::Shutdown,
                i64::MAX,
                super::PauseKind::Write,
            );
            log::info!("Waiting for replicas before shutting down.");
            return false;
        }
        self.finish_shutdown()
    }

    /// finishShutdown: logs the replicas' state, stops children, saves (with
    /// save points or SAVE; a failed save cancels the shutdown unless FORCE).
    /// Returns true when the process should exit now.
    fn finish_shutdown(&mut self) -> bool {
        use super::server_cmds::{SHUTDOWN_FORCE, SHUTDOWN_NOSAVE, SHUTDOWN_SAVE};
        let flags = self.repl.shutdown_flags;
        let force = flags & SHUTDOWN_FORCE != 0;
        let (mut n, mut lagging) = (0, 0);
        let now = crate::util::mstime() / 1000;
        for &t in &self.repl.slaves {
            let Some(c) = self.client_ref(t) else {
                continue;
            };
            let Some(r) = c.repl.as_ref() else {
                continue;
            };
            n += 1;
            if r.ack_off != self.repl.master_repl_offset {
                lagging += 1;
                let online = r.state == crate::replication::ReplicaState::Online;
                log::warn!(
                    "Lagging replica {} reported offset {} behind master, lag={}, state={}.",
                    crate::replication::replica_name(c),
                    self.repl.master_repl_offset - r.ack_off,
                    if online { now - r.ack_time } else { 0 },
                    crate::replication::replica_state_name(r.state)
                );
            }
        }
        if n > 0 {
            log::info!(
                "{} of {} replicas are in sync when shutting down.",
                n - lagging,
                n
            );
        }
        if self.child.kind() == Some(crate::child::ChildKind::Rdb) {
            log::warn!("There is a child saving an .rdb. Killing it!");
            self.kill_rdb_child();
        }
        if self.aof.state == crate::aof::AofState::WaitRewrite && self.aof_child_running() {
            // The AOF being enabled has no data yet: exiting would lose the dataset.
            if force {
                log::warn!("Writing initial AOF. Exit anyway.");
            } else {
                log::warn!("Writing initial AOF, can't exit.");
                return self.shutdown_failed();
            }
        }
        self.aof_shutdown();
        let save_points = !self.config.save_params.is_empty();
        if (save_points && flags & SHUTDOWN_NOSAVE == 0) || flags & SHUTDOWN_SAVE != 0 {
            log::info!("Saving the final RDB snapshot before exiting.");
            if self.rdb_save().is_err() {
                if force {
                    log::warn!("Error trying to save the DB. Exit anyway.");
                } else {
                    log::warn!("Error trying to save the DB, can't exit.");
                    return self.shutdown_failed();
                }
            }
        }
        if !self.config.pidfile.is_empty() {
            log::info!("Removing the pid file.");
            self.remove_pidfile();
        }
        if let Some(path) = &self.config.unixsocket {
            let _ = std::fs::remove_file(path);
        }
        // flushSlavesOutputBuffers: best effort, so replicas get what is pending.
        for t in self.repl.slaves.clone() {
            if let Some(mut c) = self.take_client(t) {
                let _ = self.write_to_client(&mut c);
                self.restore_client(c);
            }
        }
        // closeListeningSockets: closed before exiting, so a client that saw
        // its connection drop can't reach a listener that is about to vanish.
        self.listeners.clear();
        log::warn!("Redis is now ready to exit, bye bye...");
        true
    }

    fn shutdown_failed(&mut self) -> bool {
        log::warn!("Errors trying to shut down the server. Check the logs for more information.");
        self.cancel_shutdown();
        false
    }

    /// cancelShutdown: clients blocked in SHUTDOWN get an error, writes resume.
    fn cancel_shutdown(&mut self) {
        self.shutdown_asap = false;
        self.repl.shutdown_flags = 0;
        self.repl.shutdown_mstime = 0;
        clear_shutdown_request();
        let blocked: Vec<usize> = self
            .clients
            .iter()
            .filter_map(|(_, c)| c.as_deref())
            .filter(|c| {
                c.bstate
                    .as_ref()
                    .is_some_and(|st| st.btype == crate::blocked::BlockType::Shutdown)
            })
            .map(|c| c.token)
            .collect();
        for t in blocked {
            if let Some(mut c) = self.take_client(t) {
                c.add_error("Errors trying to SHUTDOWN. Check logs.");
                self.unblock_client_served(&mut c);
                self.restore_client(c);
            }
        }
        self.unpause_for(crate::replication::pause::PausePurpose::Shutdown);
    }

    /// abortShutdown (SHUTDOWN ABORT): true if a shutdown was initiated or
    /// requested by a signal, and is now cancelled.
    pub fn abort_shutdown(&mut self) -> bool {
        if self.shutdown_initiated() {
            self.cancel_shutdown();
        } else if self.shutdown_asap {
            self.shutdown_asap = false;
            clear_shutdown_request();
        } else {
            return false;
        }
        log::info!("Shutdown manually aborted.");
        true
    }

    pub fn remove_pidfile(&self) {
        if !self.config.pidfile.is_empty() {
            let _ = std::fs::remove_file(&self.config.pidfile);
        }
    }
}

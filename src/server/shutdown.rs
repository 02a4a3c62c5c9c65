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

    /// Called by the loop once `shutdown_asap` is set. Returns true when the server
    /// should exit now; on failure the request is dropped, as Redis does.
    pub fn prepare_for_shutdown_from_signal(&mut self) -> bool {
        if self.prepare_for_shutdown(0) {
            return true;
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

    /// prepareForShutdown/finishShutdown with SHUTDOWN's flags (server_cmds::SHUTDOWN_*).
    /// With no replicas there is nothing to wait for, so this finishes at once.
    /// With save points (or SAVE) the dataset is saved first; a failed save
    /// cancels the shutdown unless FORCE.
    /// Returns true when the process should exit now.
    pub fn prepare_for_shutdown(&mut self, flags: u32) -> bool {
        use super::server_cmds::{SHUTDOWN_FORCE, SHUTDOWN_NOSAVE, SHUTDOWN_SAVE};
        log::warn!("User requested shutdown...");
        if self.child.kind() == Some(crate::child::ChildKind::Rdb) {
            log::warn!("There is a child saving an .rdb. Killing it!");
            self.kill_rdb_child();
        }
        let save_points = !self.config.save_params.is_empty();
        if (save_points && flags & SHUTDOWN_NOSAVE == 0) || flags & SHUTDOWN_SAVE != 0 {
            log::info!("Saving the final RDB snapshot before exiting.");
            if self.rdb_save().is_err() {
                if flags & SHUTDOWN_FORCE != 0 {
                    log::warn!("Error trying to save the DB. Exit anyway.");
                } else {
                    log::warn!("Error trying to save the DB, can't exit.");
                    log::warn!(
                        "Errors trying to shut down the server. Check the logs for more information."
                    );
                    self.shutdown_asap = false;
                    clear_shutdown_request();
                    return false;
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
        log::warn!("Redis is now ready to exit, bye bye...");
        true
    }

    pub fn remove_pidfile(&self) {
        if !self.config.pidfile.is_empty() {
            let _ = std::fs::remove_file(&self.config.pidfile);
        }
    }
}

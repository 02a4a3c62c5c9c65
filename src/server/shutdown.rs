//! Shutdown: signals only set a flag (the handler must stay async-signal-safe);
//! the loop then logs, removes the pidfile and exits, as Redis's prepareForShutdown.

use super::Server;
use std::sync::atomic::{AtomicI32, Ordering};

static PENDING_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    PENDING_SIGNAL.store(sig, Ordering::SeqCst);
}

/// Installs SIGTERM/SIGINT handlers and ignores SIGPIPE/SIGHUP as Redis does.
pub fn install_signal_handlers() {
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
    /// should exit now.
    pub fn prepare_for_shutdown_from_signal(&mut self) -> bool {
        self.prepare_for_shutdown()
    }

    pub fn prepare_for_shutdown(&mut self) -> bool {
        log::warn!("User requested shutdown...");
        self.remove_pidfile();
        if let Some(path) = &self.config.unixsocket {
            let _ = std::fs::remove_file(path);
        }
        // Flush replies still queued (the SHUTDOWN caller gets none: the connection closes).
        log::warn!("Redis is now ready to exit, bye bye...");
        true
    }

    pub fn remove_pidfile(&self) {
        if !self.config.pidfile.is_empty() {
            let _ = std::fs::remove_file(&self.config.pidfile);
        }
    }
}

//! Fork children (Redis's redisFork / checkChildrenDone / childinfo.c), shared by
//! RDB snapshots and AOF rewrites: one active child at a time, reaped from cron
//! with waitpid(WNOHANG), and a pipe on which the child reports its progress
//! (keys processed, copy-on-write size) for INFO.
//!
//! Use: `start_child(srv, ChildKind::Rdb, on_done, |srv| { ...; 0 })`. The body
//! runs in the child on the forked copy of the server and its return value is
//! the exit code; `on_done(srv, pid, exitcode, bysignal)` runs in the parent once the
//! child is reaped (or killed by `kill_child`).

use crate::server::Server;
use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChildKind {
    Rdb,
    Aof,
    Module,
}

/// Called in the parent when the child ended: (server, child pid, exit code, signal).
pub type DoneHandler = fn(&mut Server, i32, i32, i32);

pub struct Active {
    pub pid: i32,
    pub kind: ChildKind,
    on_done: DoneHandler,
    info_fd: i32,
}

/// Fork bookkeeping and the child's last reported progress (INFO persistence
/// current_* fields and latest_fork_usec / total_forks).
#[derive(Default)]
pub struct ChildState {
    pub active: Option<Active>,
    pub cow_peak: u64,
    pub cow_bytes: u64,
    /// Monotonic µs of the last COW report (0 = none yet).
    pub cow_updated_us: u64,
    pub keys_processed: u64,
    pub keys_total: u64,
    pub latest_fork_usec: u64,
    pub total_forks: u64,
    pub rdb_cow_bytes: u64,
    pub aof_cow_bytes: u64,
    pub module_cow_bytes: u64,
}

impl ChildState {
    pub fn kind(&self) -> Option<ChildKind> {
        self.active.as_ref().map(|a| a.kind)
    }

    pub fn pid(&self) -> Option<i32> {
        self.active.as_ref().map(|a| a.pid)
    }

    /// INFO current_fork_perc.
    pub fn fork_perc(&self) -> f64 {
        if self.keys_total > 0 {
            self.keys_processed as f64 / self.keys_total as f64 * 100.0
        } else {
            0.0
        }
    }
}

/// In the child: the write end of the info pipe (-1 in the parent).
static INFO_FD: AtomicI32 = AtomicI32::new(-1);
static LAST_INFO_MS: AtomicI64 = AtomicI64::new(0);

const INFO_CURRENT: u8 = 0;
const INFO_FINAL_COW: u8 = 1;
const MSG_LEN: usize = 17;

impl Server {
    pub fn has_active_child(&self) -> bool {
        self.child.active.is_some()
    }
}

/// Forks; the child runs `body` and exits with its result (never returns).
/// In the parent: Ok(pid), or the fork error text.
pub fn start_child(
    srv: &mut Server,
    kind: ChildKind,
    on_done: DoneHandler,
    body: impl FnOnce(&mut Server) -> i32,
) -> Result<i32, String> {
    if srv.has_active_child() {
        return Err("File exists".into());
    }
    let mut fds = [-1i32; 2];
    // SAFETY: pipe2 fills the two-element array we own.
    let piped = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } == 0;
    if !piped {
        fds = [-1, -1];
    }
    let start = crate::util::ustime();
    // The child loses the clients (the master link among them): what the RDB
    // aux fields need is taken now.
    srv.repl.fork_save_info = Some(srv.repl_save_info());
    // SAFETY: the process is single-threaded apart from helper threads that hold
    // no locks the child needs (the child only writes files and exits with _exit).
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // Child.
        // SAFETY: resetting signal dispositions and closing our own descriptors.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGUSR1, libc::SIG_DFL);
            if fds[0] >= 0 {
                libc::close(fds[0]);
            }
        }
        crate::db::dict::set_resize_policy(crate::db::dict::RESIZE_FORBID);
        INFO_FD.store(fds[1], Ordering::Relaxed);
        LAST_INFO_MS.store(0, Ordering::Relaxed);
        crate::logging::set_role(b'C');
        // The OOM killer should pick a fork child before the server itself.
        if let Some(values) = srv.config.oom_values() {
            let _ = crate::process::set_oom_score_adj(
                srv.config.get_i64("oom-score-adj"),
                values,
                crate::process::OOM_CLASS_BGCHILD,
            );
        }
        // Listening sockets belong to the parent: a child keeping them would keep
        // the port bound after the parent exits.
        srv.listeners.clear();
        // dismissMemoryInChild: client query and reply buffers are of no use to
        // the child; freeing them (big ones go straight back to the kernel)
        // keeps them from being copied when the parent writes to them. Closing
        // the child's copies of the sockets leaves the parent's intact.
        srv.clients.clear();
        srv.pending_writes.clear();
        let code = body(srv);
        // SAFETY: _exit skips atexit handlers and destructors that belong to the parent.
        unsafe { libc::_exit(code) }
    }
    srv.repl.fork_save_info = None;
    if pid < 0 {
        let e = std::io::Error::last_os_error();
        for fd in fds {
            if fd >= 0 {
                // SAFETY: closing the pipe we created.
                unsafe { libc::close(fd) };
            }
        }
        return Err(crate::server::listen::strerror(&e));
    }
    if fds[1] >= 0 {
        // SAFETY: the parent only reads; closing our copy of the write end.
        unsafe { libc::close(fds[1]) };
    }
    crate::db::dict::set_resize_policy(crate::db::dict::RESIZE_AVOID);
    let st = &mut srv.child;
    st.total_forks += 1;
    st.latest_fork_usec = (crate::util::ustime() - start).max(0) as u64;
    st.cow_peak = 0;
    st.cow_bytes = 0;
    st.cow_updated_us = 0;
    st.keys_processed = 0;
    st.keys_total = srv.dbs.iter().map(|d| d.len() as u64).sum();
    srv.child.active = Some(Active {
        pid,
        kind,
        on_done,
        info_fd: fds[0],
    });
    let ms = srv.child.latest_fork_usec / 1000;
    srv.latency_add_sample_if_needed("fork", ms);
    Ok(pid)
}

/// Private_Dirty of this process (zmalloc_get_private_dirty): what the fork has
/// copied so far.
pub fn private_dirty_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup")
        .or_else(|_| std::fs::read_to_string("/proc/self/smaps"))
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

fn send(kind: u8, keys: u64, cow: u64) {
    let fd = INFO_FD.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    let mut m = [0u8; MSG_LEN];
    m[0] = kind;
    m[1..9].copy_from_slice(&keys.to_le_bytes());
    m[9..17].copy_from_slice(&cow.to_le_bytes());
    // SAFETY: writing our own buffer to our own pipe; a full pipe just drops it.
    unsafe {
        libc::write(fd, m.as_ptr() as *const libc::c_void, MSG_LEN);
    }
}

/// In the child, after each key: every 1024 keys and at most once a second,
/// tells the parent how far it got and the COW size (rdbSaveProgress).
pub fn report_progress(keys: u64) {
    if keys & 1023 != 0 || INFO_FD.load(Ordering::Relaxed) < 0 {
        return;
    }
    let now = crate::util::mstime();
    if now - LAST_INFO_MS.load(Ordering::Relaxed) >= 1000 {
        LAST_INFO_MS.store(now, Ordering::Relaxed);
        send(INFO_CURRENT, keys, private_dirty_bytes());
    }
}

/// In the child, at the end: the final COW size, logged as Redis does.
pub fn report_final_cow(what: &str) {
    let cow = private_dirty_bytes();
    if cow > 0 {
        log::info!(
            "Fork CoW for {}: current {} MB, peak {} MB, average {} MB",
            what,
            cow >> 20,
            cow >> 20,
            cow >> 20
        );
    }
    send(INFO_FINAL_COW, 0, cow);
}

/// In the parent: drains the info pipe (receiveChildInfo).
fn receive_info(srv: &mut Server) {
    let Some(a) = &srv.child.active else {
        return;
    };
    let (fd, kind) = (a.info_fd, a.kind);
    if fd < 0 {
        return;
    }
    let mut m = [0u8; MSG_LEN];
    loop {
        // SAFETY: reading into our own buffer from our own non-blocking pipe.
        let n = unsafe { libc::read(fd, m.as_mut_ptr() as *mut libc::c_void, MSG_LEN) };
        if n != MSG_LEN as isize {
            break;
        }
        let keys = u64::from_le_bytes(m[1..9].try_into().unwrap());
        let cow = u64::from_le_bytes(m[9..17].try_into().unwrap());
        let st = &mut srv.child;
        st.cow_peak = st.cow_peak.max(cow);
        if m[0] == INFO_CURRENT {
            st.cow_bytes = cow;
            st.cow_updated_us = crate::util::monotonic_us();
            st.keys_processed = keys;
        } else {
            match kind {
                ChildKind::Rdb => st.rdb_cow_bytes = st.cow_peak,
                ChildKind::Aof => st.aof_cow_bytes = st.cow_peak,
                ChildKind::Module => st.module_cow_bytes = st.cow_peak,
            }
        }
    }
}

fn finish(srv: &mut Server, exitcode: i32, bysignal: i32) {
    receive_info(srv);
    if let Some(a) = srv.child.active.take() {
        crate::db::dict::set_resize_policy(crate::db::dict::RESIZE_ENABLE);
        if a.info_fd >= 0 {
            // SAFETY: closing the read end we own.
            unsafe { libc::close(a.info_fd) };
        }
        let st = &mut srv.child;
        st.cow_peak = 0;
        st.cow_bytes = 0;
        st.cow_updated_us = 0;
        st.keys_processed = 0;
        st.keys_total = 0;
        (a.on_done)(srv, a.pid, exitcode, bysignal);
    }
}

/// From cron: progress reports, and the child's exit (checkChildrenDone).
pub fn check_children_done(srv: &mut Server) {
    let Some(pid) = srv.child.pid() else {
        return;
    };
    receive_info(srv);
    let mut status = 0;
    // SAFETY: waitpid on our own child with a status out-parameter we own.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    if r == pid {
        let (code, sig) = decode_status(status);
        finish(srv, code, sig);
    } else if r < 0 {
        log::warn!(
            "waitpid() returned an error: {}. child_type: {:?}, child_pid = {}",
            std::io::Error::last_os_error(),
            srv.child.kind(),
            pid
        );
        finish(srv, 1, 0);
    }
}

fn decode_status(status: i32) -> (i32, i32) {
    if libc::WIFSIGNALED(status) {
        (0, libc::WTERMSIG(status))
    } else {
        (libc::WEXITSTATUS(status), 0)
    }
}

/// Kills the active child (SIGUSR1, which its done-handler treats as
/// "terminated on purpose"), waits for it and runs the done-handler.
pub fn kill_child(srv: &mut Server) {
    let Some(pid) = srv.child.pid() else {
        return;
    };
    // SAFETY: signalling and reaping our own child.
    let status = unsafe {
        libc::kill(pid, libc::SIGUSR1);
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) < 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
        status
    };
    let (code, sig) = decode_status(status);
    finish(srv, code, sig);
}

/// Waits (blocking) for the active child to end and runs its done-handler.
pub fn wait_child(srv: &mut Server) {
    let Some(pid) = srv.child.pid() else {
        return;
    };
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe {
        while libc::waitpid(pid, &mut status, 0) < 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
    }
    let (code, sig) = decode_status(status);
    finish(srv, code, sig);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_decoding() {
        assert_eq!(decode_status(0), (0, 0));
        assert_eq!(decode_status(1 << 8), (1, 0));
        assert_eq!(decode_status(libc::SIGUSR1), (0, libc::SIGUSR1));
    }
}

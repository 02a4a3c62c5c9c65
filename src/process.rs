//! Process-level knobs Redis exposes through configs: the process title
//! (`proc-title-template`, `set-proc-title`, by overwriting the argv area as
//! Redis's setproctitle.c does, since tools and tests read /proc/<pid>/cmdline)
//! and `oom-score-adj` / `oom-score-adj-values` (/proc/self/oom_score_adj).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The writable title area: [base, end) of the original argv (and the environment
/// strings that follow it), and the NUL that ended argv[0]. Zero until `init`.
static SPT_BASE: AtomicUsize = AtomicUsize::new(0);
static SPT_END: AtomicUsize = AtomicUsize::new(0);
static SPT_NUL: AtomicUsize = AtomicUsize::new(0);
/// Whether the whole area was cleared once (setproctitle's SPT.reset).
static SPT_RESET: AtomicUsize = AtomicUsize::new(0);
/// SPT_MAXTITLE: titles are cut to this many bytes.
const MAX_TITLE: usize = 255;

/// Fields 48..=51 of /proc/self/stat: arg_start, arg_end, env_start, env_end.
fn argv_area() -> Option<(usize, usize, usize, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // comm (field 2) may hold spaces; fields restart after its closing paren.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3.
    let get = |n: usize| f.get(n - 3)?.parse::<usize>().ok();
    Some((get(48)?, get(49)?, get(50)?, get(51)?))
}

/// spt_init: moves the environment strings to the heap so the argv and environ
/// string area can be overwritten with a title. Must run before anything keeps
/// pointers into argv (main collects its arguments first).
pub fn init() {
    let Some((arg_start, arg_end, env_start, env_end)) = argv_area() else {
        return;
    };
    if arg_start == 0 || arg_end <= arg_start {
        return;
    }
    // Copy every variable: setenv stores a fresh heap string and repoints environ.
    let vars: Vec<(std::ffi::OsString, std::ffi::OsString)> = std::env::vars_os().collect();
    for (k, v) in vars {
        if !k.is_empty() {
            std::env::set_var(k, v);
        }
    }
    // The kernel shows a title past the end of argv only when the environment
    // strings follow argv directly; Redis extends its area the same way.
    let end = if env_start == arg_end && env_end > env_start {
        env_end
    } else {
        arg_end
    };
    // SAFETY: [arg_start, arg_end) is this process's own argv string area as the
    // kernel reports it; it is mapped and readable. We only look for argv[0]'s NUL.
    let area = unsafe { std::slice::from_raw_parts(arg_start as *const u8, arg_end - arg_start) };
    let nul = arg_start + area.iter().position(|&c| c == 0).unwrap_or(area.len() - 1);
    SPT_NUL.store(nul, Ordering::SeqCst);
    SPT_END.store(end, Ordering::SeqCst);
    SPT_BASE.store(arg_start, Ordering::SeqCst);
}

/// setproctitle("%s", title).
fn write_title(title: &[u8]) {
    let base = SPT_BASE.load(Ordering::SeqCst);
    if base == 0 || title.is_empty() {
        return;
    }
    let end = SPT_END.load(Ordering::SeqCst);
    let nul_orig = SPT_NUL.load(Ordering::SeqCst);
    let room = end - base;
    let title = &title[..title.len().min(MAX_TITLE)];
    let clear = if SPT_RESET.swap(1, Ordering::SeqCst) == 0 {
        room
    } else {
        room.min(MAX_TITLE + 1)
    };
    let len = title.len().min(room.min(MAX_TITLE + 1) - 1);
    // SAFETY: [base, end) is the argv/environment string area found by `init`,
    // writable stack memory of this process. `init` moved the environment to the
    // heap and main copied its arguments before, so nothing reads these bytes
    // except the kernel (for /proc/<pid>/cmdline). All writes stay below `end`.
    unsafe {
        std::ptr::write_bytes(base as *mut u8, 0, clear);
        std::ptr::copy_nonoverlapping(title.as_ptr(), base as *mut u8, len);
        let nul = base + len;
        if nul < nul_orig {
            *(nul_orig as *mut u8) = b'.';
        } else if nul == nul_orig && nul + 1 < end {
            *(nul_orig as *mut u8) = b' ';
            *((nul + 1) as *mut u8) = 0;
        }
    }
}

/// redisSetProcTitle(NULL): the template expanded with argv[0] as {title}.
pub fn set_proc_title(srv: &crate::server::Server) -> Result<(), ()> {
    let template = srv
        .config
        .get_str("proc-title-template")
        .unwrap_or_default();
    let title = srv.exec_argv.first().map(|s| s.as_str()).unwrap_or("");
    let expanded =
        crate::config::expand_proc_title(&srv.config, &template, title, srv.config_file.as_deref())
            .ok_or(())?;
    write_title(&expanded);
    Ok(())
}

/// redisSetProcTitle("<name>") in a fork child: the template with `name` as {title}.
pub fn set_child_title(srv: &crate::server::Server, name: &str) {
    let template = srv
        .config
        .get_str("proc-title-template")
        .unwrap_or_default();
    if let Some(t) =
        crate::config::expand_proc_title(&srv.config, &template, name, srv.config_file.as_deref())
    {
        write_title(&t);
    }
}

/// What Redis changed about the OOM score: whether it did, and the score it found
/// before (restored when oom-score-adj is turned off).
struct OomState {
    adjusted: bool,
    base: i64,
}

static OOM: Mutex<OomState> = Mutex::new(OomState {
    adjusted: false,
    base: 0,
});

pub const OOM_CLASS_MASTER: usize = 0;
pub const OOM_CLASS_REPLICA: usize = 1;
pub const OOM_CLASS_BGCHILD: usize = 2;

/// setOOMScoreAdj: writes the score for `class` (relative to the score found when
/// Redis first took over, or absolute), or restores that score when disabled.
pub fn set_oom_score_adj(mode: i64, values: [i32; 3], class: usize) -> Result<(), ()> {
    const PATH: &str = "/proc/self/oom_score_adj";
    let mut st = OOM.lock().unwrap_or_else(|e| e.into_inner());
    let val = if mode != 0 {
        if !st.adjusted {
            match std::fs::read_to_string(PATH) {
                Ok(s) => {
                    st.base = crate::util::parse_i64(s.trim().as_bytes()).unwrap_or(0);
                    st.adjusted = true;
                }
                Err(e) => {
                    log::warn!(
                        "Unable to read oom_score_adj: {}",
                        crate::server::listen::strerror(&e)
                    );
                    return Err(());
                }
            }
        }
        let mut v = values[class] as i64;
        if mode == 1 {
            v += st.base;
        }
        v.clamp(-1000, 1000)
    } else if st.adjusted {
        st.adjusted = false;
        st.base
    } else {
        return Ok(());
    };
    if let Err(e) = std::fs::write(PATH, format!("{}\n", val)) {
        log::warn!(
            "Unable to write oom_score_adj: {}",
            crate::server::listen::strerror(&e)
        );
        return Err(());
    }
    Ok(())
}

/// setOOMScoreAdj(-1) for the main process: the replica class while it
/// replicates from a master, the master class otherwise.
pub fn update_oom_score_adj(cfg: &crate::config::Config, replica: bool) -> Result<(), ()> {
    let values = match cfg.oom_values() {
        Some(v) => v,
        None => return Ok(()),
    };
    let class = if replica {
        OOM_CLASS_REPLICA
    } else {
        OOM_CLASS_MASTER
    };
    set_oom_score_adj(cfg.get_i64("oom-score-adj"), values, class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_parse() {
        let (a, b, c, d) = argv_area().unwrap();
        assert!(a > 0 && b > a && d >= c);
        let _ = OOM_CLASS_BGCHILD;
    }
}

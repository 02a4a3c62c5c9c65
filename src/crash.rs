//! Crash reports (Redis's debug.c bug report): on a panic, a failed server
//! assertion, or SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT the server logs the
//! "REDIS BUG REPORT" block — the cause, a stack trace, INFO and the client list —
//! then exits (by the same signal, or abort/_exit for panics). Also the watchdog:
//! `watchdog-period` arms a SIGALRM timer from cron; if the loop stalls past it
//! the handler logs "WATCHDOG TIMER EXPIRED" with the stack of the stalled code.

use crate::server::Server;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// The server, for the report's INFO and client list. Set once the server exists.
static SERVER: AtomicPtr<Server> = AtomicPtr::new(std::ptr::null_mut());
/// A report is being written: a fault inside it must not start another.
static IN_REPORT: AtomicBool = AtomicBool::new(false);
static CRASH_LOG: AtomicBool = AtomicBool::new(true);
static EXIT_ON_PANIC: AtomicBool = AtomicBool::new(false);
static MEMCHECK: AtomicBool = AtomicBool::new(true);

const FATAL_SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGABRT,
];

/// Mirrors crash-log-enabled, use-exit-on-panic and crash-memcheck-enabled, and
/// (re)installs or removes the fatal signal handlers (setupSigSegvAction).
pub fn apply_config(cfg: &crate::config::Config) {
    let on = cfg.get_bool("crash-log-enabled");
    CRASH_LOG.store(on, Ordering::SeqCst);
    EXIT_ON_PANIC.store(cfg.get_bool("use-exit-on-panic"), Ordering::SeqCst);
    MEMCHECK.store(cfg.get_bool("crash-memcheck-enabled"), Ordering::SeqCst);
    for sig in FATAL_SIGNALS {
        // SAFETY: sigaction with a zeroed struct plus our handler and flags is the
        // documented way to install a handler; the handler is an extern "C" fn.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            libc::sigemptyset(&mut act.sa_mask);
            if on {
                act.sa_flags = libc::SA_NODEFER | libc::SA_RESETHAND | libc::SA_SIGINFO;
                act.sa_sigaction = on_fatal_signal as *const () as libc::sighandler_t;
            } else {
                act.sa_sigaction = libc::SIG_DFL;
            }
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// Installs the panic hook and the signal handlers; `srv` must outlive the process
/// (main's server, which lives until exit).
pub fn install(srv: &mut Server) {
    SERVER.store(srv as *mut Server, Ordering::SeqCst);
    apply_config(&srv.config);
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "panic".to_string()
        };
        let loc = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        bug_report_start();
        // A failed bounds or consistency check (e.g. an unsanitized RESTORE
        // payload that turns out malformed when used) is Redis's serverAssert;
        // an explicit panic!() is its serverPanic.
        // Panics inside the data structures (src/ds/) are their integrity
        // checks, serverAssert's in Redis's listpack.c / t_stream.c.
        let is_check = loc.starts_with("src/ds/")
            || msg.contains("out of bounds")
            || msg.contains("unwrap()")
            || msg.contains("out of range")
            || msg.starts_with("assertion")
            || msg.contains("overflow");
        if is_check {
            log::warn!("=== ASSERTION FAILED ===");
            log::warn!("==> {} '{}' is not true", loc, msg);
        } else {
            log::warn!("------------------------------------------------");
            log::warn!("!!! Software Failure. Press left mouse button to continue");
            log::warn!("Guru Meditation: {} #{}", msg, loc);
        }
        if CRASH_LOG.load(Ordering::SeqCst) {
            log_stack_trace();
        }
        print_crash_report();
        bug_report_end(0);
    }));
}

/// _serverAssert: logs the failed condition with the full report, then exits.
pub fn assert_failed(expr: &str, file: &str, line: u32) -> ! {
    bug_report_start();
    log::warn!("=== ASSERTION FAILED ===");
    log::warn!("==> {}:{} '{}' is not true", file, line, expr);
    if CRASH_LOG.load(Ordering::SeqCst) {
        log_stack_trace();
    }
    print_crash_report();
    bug_report_end(0);
}

/// _serverPanic: a state that cannot happen unless data is corrupt; the
/// "Guru Meditation" report, then exit.
pub fn server_panic(msg: &str, file: &str, line: u32) -> ! {
    bug_report_start();
    log::warn!("------------------------------------------------");
    log::warn!("!!! Software Failure. Press left mouse button to continue");
    log::warn!("Guru Meditation: {} #{}:{}", msg, file, line);
    if CRASH_LOG.load(Ordering::SeqCst) {
        log_stack_trace();
    }
    print_crash_report();
    bug_report_end(0);
}

fn bug_report_start() {
    if !IN_REPORT.swap(true, Ordering::SeqCst) {
        crate::logging::write_raw(
            "\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n",
        );
    }
}

/// logStackTrace: the frames of the current thread (in a signal handler, these
/// include the interrupted code below the signal frame).
fn log_stack_trace() {
    let bt = std::backtrace::Backtrace::force_capture();
    crate::logging::write_raw(&format!(
        "\n------ STACK TRACE ------\n\nBacktrace:\n{}\n",
        bt
    ));
}

/// printCrashReport: INFO, the client list, and the memory test note.
fn print_crash_report() {
    let p = SERVER.load(Ordering::SeqCst);
    if !p.is_null() {
        // SAFETY: the pointer is main's server, alive until the process exits. The
        // process is dying and only this report reads it; like Redis, the state
        // may be mid-update, which at worst garbles the report.
        let srv = unsafe { &mut *p };
        let info = srv.gen_info_string(
            None,
            &crate::server::info::Sections::from_args([&b"all"[..]]),
        );
        crate::logging::write_raw(&format!("\n------ INFO OUTPUT ------\n{}\n", info));
        let mut list = String::new();
        for (_, c) in srv.clients.iter() {
            if let Some(c) = c.as_deref() {
                list.push_str(&srv.client_info_string(c));
                list.push('\n');
            }
        }
        crate::logging::write_raw(&format!("\n------ CLIENT LIST OUTPUT ------\n{}", list));
    }
    if MEMCHECK.load(Ordering::SeqCst) {
        crate::logging::write_raw(
            "\n------ FAST MEMORY TEST ------\nThis server has no memory test: crash-memcheck-enabled is not supported, skipped.\n",
        );
    }
}

/// bugReportEnd: the closing banner, then exit by `sig` (re-raised with the
/// default action) or, for panics and assertions, abort / _exit(1).
fn bug_report_end(sig: libc::c_int) -> ! {
    crate::logging::write_raw(
        "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n       \
Please report the crash by opening an issue on github:\n\n           \
http://github.com/redis/redis/issues\n\n  \
If a Redis module was involved, please open in the module's repo instead.\n\n  \
Suspect RAM error? Use redis-server --test-memory to verify it.\n\n  \
Some other issues could be detected by redis-server --check-system\n",
    );
    let p = SERVER.load(Ordering::SeqCst);
    if !p.is_null() {
        // SAFETY: as in print_crash_report; only the pidfile path is read.
        let srv = unsafe { &*p };
        if srv.config.daemonize && !srv.config.pidfile.is_empty() {
            let _ = std::fs::remove_file(&srv.config.pidfile);
        }
    }
    if sig == 0 {
        if EXIT_ON_PANIC.load(Ordering::SeqCst) {
            // SAFETY: _exit ends the process at once, skipping destructors on purpose.
            unsafe { libc::_exit(1) };
        }
        std::process::abort();
    }
    die_by(sig);
}

fn die_by(sig: libc::c_int) -> ! {
    // SAFETY: restoring the default action and re-raising ends the process by the
    // original signal (a core dump if enabled), as Redis does.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::kill(libc::getpid(), sig);
        libc::_exit(128 + sig);
    }
}

/// sigsegvHandler. Not async-signal-safe (it formats and allocates), as Redis's
/// own report is not: the process is going down and a best-effort report is the point.
extern "C" fn on_fatal_signal(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    _ctx: *mut libc::c_void,
) {
    if IN_REPORT.load(Ordering::SeqCst) {
        // A fault while reporting, or the abort() that ends a panic report.
        die_by(sig);
    }
    bug_report_start();
    // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers.
    let (code, addr, pid, uid) = unsafe {
        let i = &*info;
        (i.si_code, i.si_addr(), i.si_pid(), i.si_uid())
    };
    log::warn!(
        "Redis {} crashed by signal: {}, si_code: {}",
        crate::REDIS_VERSION,
        sig,
        code
    );
    if sig == libc::SIGSEGV || sig == libc::SIGBUS {
        log::warn!("Accessing address: {:?}", addr);
    }
    if code == libc::SI_USER && pid != -1 {
        log::warn!("Killed by PID: {}, UID: {}", pid, uid);
    }
    log_stack_trace();
    print_crash_report();
    bug_report_end(sig);
}

/// The watchdog's SIGALRM: the loop did not come back to cron in time.
/// Capturing the stack allocates; the stalled code is normally a command, not the
/// allocator, and the watchdog is a debugging aid that is off by default.
extern "C" fn on_watchdog(_sig: libc::c_int, _info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    crate::logging::write_raw("\n--- WATCHDOG TIMER EXPIRED ---\n");
    log_stack_trace();
    crate::logging::write_raw("--------\n\n");
}

/// watchdogScheduleSignal: a one-shot SIGALRM `period_ms` from now.
fn schedule_watchdog(period_ms: i64) {
    let it = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: (period_ms / 1000) as libc::time_t,
            tv_usec: ((period_ms % 1000) * 1000) as libc::suseconds_t,
        },
    };
    // SAFETY: setitimer with a valid itimerval and no old-value pointer.
    unsafe {
        libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut());
    }
}

static WATCHDOG_ON: AtomicBool = AtomicBool::new(false);

/// applyWatchdogPeriod / the cron re-arm: period 0 turns the watchdog off.
pub fn watchdog(period_ms: i64, hz: u32) {
    if period_ms == 0 {
        if WATCHDOG_ON.swap(false, Ordering::SeqCst) {
            schedule_watchdog(0);
            // SAFETY: restoring SIGALRM's default-ignore-equivalent is plain sigaction use.
            unsafe {
                libc::signal(libc::SIGALRM, libc::SIG_IGN);
            }
        }
        return;
    }
    if !WATCHDOG_ON.swap(true, Ordering::SeqCst) {
        // SAFETY: installing an SA_SIGINFO handler that only logs.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            libc::sigemptyset(&mut act.sa_mask);
            act.sa_flags = libc::SA_SIGINFO;
            act.sa_sigaction = on_watchdog as *const () as libc::sighandler_t;
            libc::sigaction(libc::SIGALRM, &act, std::ptr::null_mut());
        }
    }
    let min_period = (1000 / hz.max(1) as i64) * 2;
    schedule_watchdog(period_ms.max(min_period));
}

/// DEBUG SEGFAULT: a real invalid write (to a read-only page), so the report
/// shows a genuine fault address, as Redis's does.
pub fn segfault() -> ! {
    // SAFETY: maps one private read-only page and writes to it on purpose: the
    // write faults and the SIGSEGV handler ends the process; nothing observes the
    // write completing. The fallback raise covers a failed mmap.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        ) as *mut u8;
        if p as *mut libc::c_void != libc::MAP_FAILED {
            std::ptr::write_volatile(p, b'x');
        }
        libc::raise(libc::SIGSEGV);
    }
    std::process::abort();
}

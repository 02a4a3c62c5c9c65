//! Redis's log format on top of the `log` crate:
//! `pid:role dd Mon yyyy hh:mm:ss.mmm <level-char> message`, to stdout or `logfile`.
//! Levels map debug '.', verbose '-', notice '*', warning '#'.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

static ROLE: AtomicU8 = AtomicU8::new(b'M');

struct RedisLogger {
    out: Mutex<Option<std::fs::File>>,
}

static LOGGER: RedisLogger = RedisLogger {
    out: Mutex::new(None),
};

/// Redis's level names → the `log` crate's filter.
pub fn level_filter(name: &str) -> Option<log::LevelFilter> {
    Some(match name {
        "debug" => log::LevelFilter::Trace,
        "verbose" => log::LevelFilter::Debug,
        "notice" => log::LevelFilter::Info,
        "warning" => log::LevelFilter::Warn,
        "nothing" => log::LevelFilter::Off,
        _ => return None,
    })
}

pub fn set_role(c: u8) {
    ROLE.store(c, Ordering::Relaxed);
}

/// Installs the logger; `logfile` "" means stdout.
pub fn init(logfile: &str, level: &str) -> std::io::Result<()> {
    set_target(logfile)?;
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level_filter(level).unwrap_or(log::LevelFilter::Info));
    Ok(())
}

pub fn set_target(logfile: &str) -> std::io::Result<()> {
    let f = if logfile.is_empty() {
        None
    } else {
        Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(logfile)?,
        )
    };
    *LOGGER.out.lock().unwrap() = f;
    Ok(())
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "25 Nov 2026 08:57:58.123" in local time, as Redis prints it.
pub fn timestamp() -> String {
    let us = crate::util::ustime();
    let secs = (us / 1_000_000) as libc::time_t;
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r reads `secs` and fills `tm`, both owned by this frame.
    unsafe { libc::localtime_r(&secs, &mut tm) };
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon as usize % 12],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        (us / 1000) % 1000
    )
}

/// Writes a line without the level filter (the logo, raw lines).
pub fn write_raw(s: &str) {
    let mut g = LOGGER.out.lock().unwrap();
    match g.as_mut() {
        Some(f) => {
            let _ = f.write_all(s.as_bytes());
        }
        None => {
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(s.as_bytes());
            let _ = o.flush();
        }
    }
}

impl log::Log for RedisLogger {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::max_level()
    }
    fn log(&self, r: &log::Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let c = match r.level() {
            log::Level::Error | log::Level::Warn => '#',
            log::Level::Info => '*',
            log::Level::Debug => '-',
            log::Level::Trace => '.',
        };
        let line = format!(
            "{}:{} {} {} {}\n",
            std::process::id(),
            ROLE.load(Ordering::Relaxed) as char,
            timestamp(),
            c,
            r.args()
        );
        write_raw(&line);
    }
    fn flush(&self) {}
}

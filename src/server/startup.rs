//! Process start-up chores Redis does in main(): the ASCII-art logo (or the
//! "Running mode" line), daemonize, the pidfile, and supervision
//! (systemd's sd_notify over NOTIFY_SOCKET, upstart's SIGSTOP).

use crate::config::Config;

/// Redis 7.0's asciilogo.h, with {version}, {sha}, {dirty}, {bits}, {mode},
/// {port} and {pid} filled in by `logo()`. Trailing blanks are part of it.
const ASCII_LOGO: &str = concat!(
    "                _._                                                  \n",
    "           _.-``__ ''-._                                             \n",
    "      _.-``    `.  `_.  ''-._           Redis {version} ({sha}/{dirty}) {bits} bit\n",
    "  .-`` .-```.  ```\\/    _.,_ ''-._                                  \n",
    " (    '      ,       .-`  | `,    )     Running in {mode} mode\n",
    " |`-._`-...-` __...-.``-._|'` _.-'|     Port: {port}\n",
    " |    `-._   `._    /     _.-'    |     PID: {pid}\n",
    "  `-._    `-._  `-./  _.-'    _.-'                                   \n",
    " |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n",
    " |    `-._`-._        _.-'_.-'    |           https://redis.io       \n",
    "  `-._    `-._`-.__.-'_.-'    _.-'                                   \n",
    " |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n",
    " |    `-._`-._        _.-'_.-'    |                                  \n",
    "  `-._    `-._`-.__.-'_.-'    _.-'                                   \n",
    "      `-._    `-.__.-'    _.-'                                       \n",
    "          `-._        _.-'                                           \n",
    "              `-.__.-'                                               \n\n",
);

pub const GIT_SHA1: &str = "00000000";
pub const GIT_DIRTY: i32 = 0;

pub fn logo_text(mode: &str, port: u16, pid: u32) -> String {
    ASCII_LOGO
        .replace("{version}", crate::REDIS_VERSION)
        .replace("{sha}", GIT_SHA1)
        .replace("{dirty}", &GIT_DIRTY.to_string())
        .replace("{bits}", "64")
        .replace("{mode}", mode)
        .replace("{port}", &port.to_string())
        .replace("{pid}", &pid.to_string())
}

/// redisAsciiArt: the logo when logging to a terminal or when
/// `always-show-logo yes`, otherwise a one-line summary.
pub fn show_logo(cfg: &Config) {
    let mode = if cfg.cluster_enabled {
        "cluster"
    } else {
        "standalone"
    };
    let port = if cfg.port != 0 {
        cfg.port as i64
    } else {
        cfg.get_i64("tls-port")
    };
    // SAFETY: isatty only inspects the descriptor number.
    let tty = unsafe { libc::isatty(1) } == 1;
    let show =
        (!cfg.get_bool("syslog-enabled") && cfg.logfile.is_empty() && tty) || cfg.always_show_logo;
    if show {
        if log::max_level() >= log::LevelFilter::Info {
            crate::logging::write_raw(&logo_text(mode, port as u16, std::process::id()));
        }
    } else {
        log::info!("Running mode={}, port={}.", mode, port);
    }
}

/// Forks into the background like Redis's daemonize(): the parent exits, the
/// child starts a new session and points stdio at /dev/null.
pub fn daemonize() {
    // SAFETY: called before any thread is started, so fork is safe; the parent
    // exits immediately; open/dup2/close act on descriptors this process owns.
    unsafe {
        let pid = libc::fork();
        if pid < 0 {
            log::warn!("Can't fork: {}", std::io::Error::last_os_error());
            std::process::exit(1);
        }
        if pid != 0 {
            libc::_exit(0);
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0);
        if fd != -1 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
}

/// createPidFile: best effort, "/var/run/redis.pid" when daemonized without a pidfile.
pub fn create_pidfile(cfg: &mut Config) {
    if cfg.pidfile.is_empty() {
        cfg.pidfile = "/var/run/redis.pid".into();
    }
    let _ = std::fs::write(&cfg.pidfile, format!("{}\n", std::process::id()));
}

/// Sends one sd_notify message to the datagram socket named by NOTIFY_SOCKET
/// ('@' prefix = Linux abstract namespace). Returns false when there is no
/// socket to talk to.
pub fn systemd_notify(msg: &str) -> bool {
    let path = match std::env::var_os("NOTIFY_SOCKET") {
        Some(p) => p,
        None => {
            log::warn!("systemd supervision error: NOTIFY_SOCKET not found!");
            return false;
        }
    };
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_bytes();
    let sock = match std::os::unix::net::UnixDatagram::unbound() {
        Ok(s) => s,
        Err(e) => {
            log::warn!("systemd supervision error: sd_notify: {}", e);
            return false;
        }
    };
    let res = if bytes.first() == Some(&b'@') {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(&bytes[1..])
            .and_then(|a| sock.send_to_addr(msg.as_bytes(), &a))
    } else {
        sock.send_to(msg.as_bytes(), std::path::Path::new(&path))
    };
    match res {
        Ok(_) => true,
        Err(e) => {
            log::warn!("systemd supervision error: sd_notify: {}", e);
            false
        }
    }
}

/// redisIsSupervised: resolves `supervised auto` and sets up supervision.
/// Returns the effective mode when supervision is active.
pub fn setup_supervision(cfg: &Config) -> Option<&'static str> {
    let mut mode = cfg.supervised.as_str();
    if mode == "auto" {
        if std::env::var_os("UPSTART_JOB").is_some() {
            log::debug!("Upstart supervision detected.");
            mode = "upstart";
        } else if std::env::var_os("NOTIFY_SOCKET").is_some() {
            log::debug!("Systemd supervision detected.");
            mode = "systemd";
        }
    }
    match mode {
        "upstart" => {
            if std::env::var_os("UPSTART_JOB").is_none() {
                log::warn!("upstart supervision requested, but UPSTART_JOB not found!");
                return None;
            }
            log::info!("supervised by upstart, will stop to signal readiness.");
            // SAFETY: raising SIGSTOP on ourselves is how upstart expects readiness.
            unsafe { libc::raise(libc::SIGSTOP) };
            std::env::remove_var("UPSTART_JOB");
            Some("upstart")
        }
        "systemd" => {
            if !systemd_notify("STATUS=Redis is loading...\n") {
                return None;
            }
            log::info!("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.");
            Some("systemd")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn logo_has_harness_markers() {
        let t = super::logo_text("standalone", 6379, 42);
        assert!(t.contains("Redis 7.0.15 (00000000/0) 64 bit\n"));
        assert!(t.contains("Running in standalone mode\n"));
        assert!(t.contains("Port: 6379\n"));
        assert!(t.contains(" PID: 42\n"));
        assert!(t.ends_with("\n\n"));
    }

    #[test]
    fn systemd_notify_datagram() {
        let dir = std::env::temp_dir().join(format!("rs-notify-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("notify.sock");
        let _ = std::fs::remove_file(&p);
        let rx = std::os::unix::net::UnixDatagram::bind(&p).unwrap();
        std::env::set_var("NOTIFY_SOCKET", &p);
        assert!(super::systemd_notify("READY=1\n"));
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
        std::env::remove_var("NOTIFY_SOCKET");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

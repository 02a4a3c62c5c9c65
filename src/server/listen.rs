//! Listening sockets: `bind` addresses (several, IPv6, optional `-` prefix),
//! `port`, `tcp-backlog`, `unixsocket` and `unixsocketperm`, created the way
//! Redis's anet.c does (SO_REUSEADDR, IPV6_V6ONLY so `* -::*` can both bind).

use std::io;
use std::os::unix::io::FromRawFd;

pub enum Listener {
    Tcp(mio::net::TcpListener, String),
    Unix(mio::net::UnixListener, String),
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Creates a non-blocking listening TCP socket on `addr:port`.
fn tcp_listen(ip: std::net::IpAddr, port: u16, backlog: i32) -> io::Result<mio::net::TcpListener> {
    let v6 = ip.is_ipv6();
    // SAFETY: plain socket syscalls on a descriptor we create and own; on error we close it.
    unsafe {
        let fd = cvt(libc::socket(
            if v6 { libc::AF_INET6 } else { libc::AF_INET },
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        ))?;
        let guard = |e: io::Error| {
            libc::close(fd);
            e
        };
        let one: libc::c_int = 1;
        let sz = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        cvt(libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &one as *const _ as *const libc::c_void,
            sz,
        ))
        .map_err(guard)?;
        if v6 {
            cvt(libc::setsockopt(
                fd,
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                &one as *const _ as *const libc::c_void,
                sz,
            ))
            .map_err(guard)?;
        }
        let r = match ip {
            std::net::IpAddr::V4(a) => {
                let sa = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: port.to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.octets()),
                    },
                    sin_zero: [0; 8],
                };
                libc::bind(
                    fd,
                    &sa as *const _ as *const libc::sockaddr,
                    std::mem::size_of_val(&sa) as libc::socklen_t,
                )
            }
            std::net::IpAddr::V6(a) => {
                let mut sa: libc::sockaddr_in6 = std::mem::zeroed();
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_port = port.to_be();
                sa.sin6_addr.s6_addr = a.octets();
                libc::bind(
                    fd,
                    &sa as *const _ as *const libc::sockaddr,
                    std::mem::size_of_val(&sa) as libc::socklen_t,
                )
            }
        };
        cvt(r).map_err(guard)?;
        cvt(libc::listen(fd, backlog)).map_err(guard)?;
        Ok(mio::net::TcpListener::from_std(
            std::net::TcpListener::from_raw_fd(fd),
        ))
    }
}

/// Resolves one `bind` entry: "*" is every IPv4 address, "::*" every IPv6 one.
fn parse_bind_addr(a: &str) -> io::Result<std::net::IpAddr> {
    match a {
        "*" => Ok(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
        "::*" => Ok(std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)),
        "localhost" => Ok(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        _ => a
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "Name or service not known")),
    }
}

/// Opens every configured TCP listener. Optional ("-") addresses that the machine
/// lacks are skipped, as Redis does; any other failure is fatal for the caller.
pub fn open_tcp(binds: &[String], port: u16, backlog: i32) -> Result<Vec<Listener>, String> {
    let mut out = Vec::new();
    if port == 0 {
        return Ok(out);
    }
    for b in binds {
        let (optional, addr) = match b.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, b.as_str()),
        };
        let res = parse_bind_addr(addr).and_then(|ip| tcp_listen(ip, port, backlog));
        match res {
            Ok(l) => out.push(Listener::Tcp(l, addr.to_string())),
            Err(e) => {
                let skippable = matches!(
                    e.raw_os_error(),
                    Some(libc::EADDRNOTAVAIL)
                        | Some(libc::EAFNOSUPPORT)
                        | Some(libc::EPROTONOSUPPORT)
                        | Some(libc::ESOCKTNOSUPPORT)
                        | Some(libc::EPFNOSUPPORT)
                );
                if optional && skippable {
                    continue;
                }
                let why = if e.raw_os_error().is_some() {
                    format!("bind: {}", strerror(&e))
                } else {
                    e.to_string()
                };
                log::warn!(
                    "Warning: Could not create server TCP listening socket {}:{}: {}",
                    addr,
                    port,
                    why
                );
                if optional && skippable {
                    continue;
                }
                return Err(format!(
                    "Failed listening on port {} (TCP), aborting.",
                    port
                ));
            }
        }
    }
    Ok(out)
}

/// The C library's text for an OS error ("Address already in use"), as Redis logs it.
pub fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

pub fn open_unix(path: &str, perm: u32) -> Result<Listener, String> {
    let _ = std::fs::remove_file(path);
    match mio::net::UnixListener::bind(path) {
        Ok(l) => {
            if perm != 0 {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm));
            }
            Ok(Listener::Unix(l, path.to_string()))
        }
        Err(e) => Err(format!("Failed opening Unix socket: {}", strerror(&e))),
    }
}

/// TCP_NODELAY and keepalive on an accepted socket (anetEnableTcpNoDelay, anetKeepAlive).
pub fn tune_accepted(fd: i32, keepalive_secs: u32) {
    let one: libc::c_int = 1;
    let sz = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: setsockopt on a socket the caller owns, with pointers to stack integers.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            &one as *const _ as *const libc::c_void,
            sz,
        );
        if keepalive_secs > 0 {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_KEEPALIVE,
                &one as *const _ as *const libc::c_void,
                sz,
            );
            let idle = keepalive_secs as libc::c_int;
            let intvl = (keepalive_secs / 3).max(1) as libc::c_int;
            let cnt: libc::c_int = 3;
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_KEEPIDLE,
                &idle as *const _ as *const libc::c_void,
                sz,
            );
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_KEEPINTVL,
                &intvl as *const _ as *const libc::c_void,
                sz,
            );
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_KEEPCNT,
                &cnt as *const _ as *const libc::c_void,
                sz,
            );
        }
    }
}

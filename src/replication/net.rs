//! Outbound connection of a replica to its master: a non-blocking connect that
//! first binds the socket to `bind-source-addr` when it is set (Redis's
//! anetTcpNonBlockBestEffortBindConnect with a source address). mio cannot bind
//! before connecting, so the socket is made with libc and handed to mio.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::FromRawFd;

/// Fills a sockaddr_storage for `addr`; returns its length.
fn sockaddr(addr: &SocketAddr, st: &mut libc::sockaddr_storage) -> libc::socklen_t {
    match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in.
            let sin = unsafe { &mut *(st as *mut _ as *mut libc::sockaddr_in) };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in6.
            let sin6 = unsafe { &mut *(st as *mut _ as *mut libc::sockaddr_in6) };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            sin6.sin6_scope_id = a.scope_id();
            std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t
        }
    }
}

/// Starts a non-blocking connect to `to`, from `source` when given.
pub fn connect(to: SocketAddr, source: Option<&str>) -> io::Result<mio::net::TcpStream> {
    let Some(src) = source.filter(|s| !s.is_empty()) else {
        return mio::net::TcpStream::connect(to);
    };
    let ip: IpAddr = src
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad bind-source-addr"))?;
    let family = if to.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain socket(2); the fd is owned by the TcpStream built below or
    // closed on every error path.
    let fd = unsafe {
        libc::socket(
            family,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fail = |fd: i32| {
        let e = io::Error::last_os_error();
        // SAFETY: fd is ours and not yet owned by anything else.
        unsafe { libc::close(fd) };
        Err(e)
    };
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut st: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = sockaddr(&SocketAddr::new(ip, 0), &mut st);
    // SAFETY: st holds a sockaddr of `len` bytes.
    if unsafe { libc::bind(fd, &st as *const _ as *const libc::sockaddr, len) } < 0 {
        return fail(fd);
    }
    // SAFETY: as above.
    let mut st: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = sockaddr(&to, &mut st);
    // SAFETY: st holds a sockaddr of `len` bytes.
    let r = unsafe { libc::connect(fd, &st as *const _ as *const libc::sockaddr, len) };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            // SAFETY: fd is ours.
            unsafe { libc::close(fd) };
            return Err(e);
        }
    }
    // SAFETY: fd is a connected-or-connecting non-blocking TCP socket we own.
    let std_stream = unsafe { std::net::TcpStream::from_raw_fd(fd) };
    Ok(mio::net::TcpStream::from_std(std_stream))
}

//! The cluster bus transport: the listener on the bus port and the links, each a
//! non-blocking TCP stream with its own framing buffers, driven by the server's
//! mio loop through tokens above `BUS_TOKEN_BASE`. Message encoding and the
//! per-type handling live in msg.rs; this file only moves bytes and frames.

use super::state::NodeId;
use crate::server::Server;
use mio::{Interest, Token};
use std::io::{self, Read, Write};

/// mio tokens: bus listeners at BASE + i, links at BASE + LINK_OFFSET + key.
/// Client tokens start at 64 and never come near these.
pub const BUS_TOKEN_BASE: usize = 1 << 40;
const LINK_OFFSET: usize = 1 << 20;

/// Fixed header size of every message (CLUSTERMSG_MIN_LEN).
pub const HDR_LEN: usize = 2256;

/// One bus connection (clusterLink).
pub struct Link {
    pub ctime: i64,
    pub stream: Option<mio::net::TcpStream>,
    /// Still waiting for the non-blocking connect to complete.
    pub connecting: bool,
    pub sndbuf: Vec<u8>,
    pub sent: usize,
    pub rcvbuf: Vec<u8>,
    /// The node this link talks to (may be unknown on an inbound link).
    pub node: Option<NodeId>,
    /// We accepted it (the peer's outbound link) rather than opened it.
    pub inbound: bool,
    /// Peer address as seen on the socket (ip only).
    pub peer_ip: String,
    pub local_ip: String,
    pub write_interest: bool,
    /// Bytes sent/received over the link (CLUSTER LINKS).
    pub send_buffer_peak: usize,
}

impl Link {
    pub fn new(stream: mio::net::TcpStream, inbound: bool, now: i64) -> Link {
        Link {
            ctime: now,
            stream: Some(stream),
            connecting: !inbound,
            sndbuf: Vec::new(),
            sent: 0,
            rcvbuf: Vec::new(),
            node: None,
            inbound,
            peer_ip: String::new(),
            local_ip: String::new(),
            write_interest: false,
            send_buffer_peak: 0,
        }
    }
    pub fn pending(&self) -> usize {
        self.sndbuf.len() - self.sent
    }
}

fn ip_of(a: &std::net::SocketAddr) -> String {
    match a {
        std::net::SocketAddr::V4(v) => v.ip().to_string(),
        std::net::SocketAddr::V6(v) => match v.ip().to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v.ip().to_string(),
        },
    }
}

impl Server {
    /// Opens the bus listeners on every bind address (clusterInit's listenToPort).
    pub fn cluster_listen(&mut self) -> Result<(), String> {
        let port = self.cluster_bus_port();
        let ls = crate::server::listen::open_tcp(&self.config.bind, port, self.config.tcp_backlog)?;
        let st = self.cluster.as_deref_mut().expect("cluster enabled");
        for l in ls {
            if let crate::server::listen::Listener::Tcp(t, _) = l {
                st.bus_listeners.push(t);
            }
        }
        Ok(())
    }

    /// Registers the bus listeners with the loop (once the registry exists).
    pub fn cluster_register_listeners(&mut self) {
        let Some(reg) = self.registry.as_ref() else {
            return;
        };
        let Some(st) = self.cluster.as_deref_mut() else {
            return;
        };
        for (i, l) in st.bus_listeners.iter_mut().enumerate() {
            let _ = reg.register(l, Token(BUS_TOKEN_BASE + i), Interest::READABLE);
        }
    }

    /// A mio event for a bus token.
    pub fn cluster_event(&mut self, token: usize, readable: bool, writable: bool, closed: bool) {
        let t = token - BUS_TOKEN_BASE;
        if t < LINK_OFFSET {
            self.cluster_accept(t);
            return;
        }
        let key = t - LINK_OFFSET;
        if writable {
            if !self.link_writable(key) {
                return;
            }
        }
        if readable || closed {
            self.link_readable(key);
        }
    }

    fn cluster_accept(&mut self, idx: usize) {
        loop {
            let Some(st) = self.cluster.as_deref_mut() else {
                return;
            };
            let Some(l) = st.bus_listeners.get(idx) else {
                return;
            };
            match l.accept() {
                Ok((s, addr)) => {
                    // Masters don't accept bus links while loading the dataset.
                    if self.loading {
                        drop(s);
                        continue;
                    }
                    let _ = s.set_nodelay(true);
                    let local = s.local_addr().map(|a| ip_of(&a)).unwrap_or_default();
                    let mut link = Link::new(s, true, crate::util::mstime());
                    link.peer_ip = ip_of(&addr);
                    link.local_ip = local;
                    log::debug!("Accepting cluster node connection from {}", addr);
                    self.link_add(link, Interest::READABLE);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log::debug!("Error accepting cluster node: {}", e);
                    return;
                }
            }
        }
    }

    fn link_add(&mut self, link: Link, interest: Interest) -> usize {
        let st = self.cluster.as_deref_mut().expect("cluster");
        let key = st.links.insert(link);
        if let (Some(reg), Some(s)) = (self.registry.as_ref(), st.links[key].stream.as_mut()) {
            let _ = reg.register(s, Token(BUS_TOKEN_BASE + LINK_OFFSET + key), interest);
        }
        key
    }

    /// Starts a non-blocking connect to a node's bus port and makes it the node's
    /// outbound link. Err when the connect failed synchronously.
    pub fn link_connect(&mut self, node: NodeId) -> io::Result<usize> {
        let (ip, cport) = {
            let n = self.cluster.as_deref().expect("cluster").node(node);
            (n.ip.clone(), n.cport)
        };
        let ipaddr: std::net::IpAddr = ip
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad ip"))?;
        let s = mio::net::TcpStream::connect(std::net::SocketAddr::new(ipaddr, cport))?;
        let _ = s.set_nodelay(true);
        let mut link = Link::new(s, false, crate::util::mstime());
        link.node = Some(node);
        link.peer_ip = ip;
        let key = self.link_add(link, Interest::READABLE | Interest::WRITABLE);
        let st = self.cluster.as_deref_mut().expect("cluster");
        st.links[key].write_interest = true;
        st.nodes[node].link = Some(key);
        Ok(key)
    }

    /// Closes a link and unbinds it from its node (freeClusterLink).
    pub fn link_free(&mut self, key: usize) {
        let Some(st) = self.cluster.as_deref_mut() else {
            return;
        };
        if !st.links.contains(key) {
            return;
        }
        let mut link = st.links.remove(key);
        if let Some(n) = link.node {
            if let Some(node) = st.nodes.get_mut(n) {
                if node.link == Some(key) {
                    node.link = None;
                }
                if node.inbound_link == Some(key) {
                    node.inbound_link = None;
                }
            }
        }
        if let (Some(reg), Some(s)) = (self.registry.as_ref(), link.stream.as_mut()) {
            let _ = reg.deregister(s);
        }
    }

    /// Queues a message on a link and writes what the socket takes now.
    pub fn link_send(&mut self, key: usize, msg: &[u8]) {
        let Some(st) = self.cluster.as_deref_mut() else {
            return;
        };
        let Some(link) = st.links.get_mut(key) else {
            return;
        };
        link.sndbuf.extend_from_slice(msg);
        link.send_buffer_peak = link.send_buffer_peak.max(link.pending());
        if msg.len() >= 14 {
            let t = u16::from_be_bytes([msg[12], msg[13]]) as usize;
            if t < st.stats_sent.len() {
                st.stats_sent[t] += 1;
            }
        }
        if !link.connecting {
            self.link_flush(key);
        }
    }

    /// Writes pending output; false if the link failed and was freed.
    fn link_flush(&mut self, key: usize) -> bool {
        let Some(st) = self.cluster.as_deref_mut() else {
            return false;
        };
        let Some(link) = st.links.get_mut(key) else {
            return false;
        };
        let mut failed = false;
        if let Some(s) = link.stream.as_mut() {
            while link.sent < link.sndbuf.len() {
                match s.write(&link.sndbuf[link.sent..]) {
                    Ok(0) => {
                        failed = true;
                        break;
                    }
                    Ok(n) => link.sent += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
        }
        if failed {
            self.link_failed(key);
            return false;
        }
        let want = link.sent < link.sndbuf.len();
        if !want {
            link.sndbuf.clear();
            link.sent = 0;
            if link.sndbuf.capacity() > 64 * 1024 {
                link.sndbuf.shrink_to(16 * 1024);
            }
        }
        if want != link.write_interest {
            link.write_interest = want;
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if let (Some(reg), Some(s)) = (self.registry.as_ref(), link.stream.as_mut()) {
                let _ = reg.reregister(s, Token(BUS_TOKEN_BASE + LINK_OFFSET + key), interest);
            }
        }
        true
    }

    fn link_failed(&mut self, key: usize) {
        self.link_free(key);
    }

    fn link_writable(&mut self, key: usize) -> bool {
        let Some(st) = self.cluster.as_deref_mut() else {
            return false;
        };
        let Some(link) = st.links.get_mut(key) else {
            return false;
        };
        if link.connecting {
            let s = link.stream.as_ref().expect("stream");
            let err = s.take_error().ok().flatten();
            match s.peer_addr() {
                Ok(_) if err.is_none() => {
                    link.connecting = false;
                    link.local_ip = s.local_addr().map(|a| ip_of(&a)).unwrap_or_default();
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected && err.is_none() => {
                    return true;
                }
                _ => {
                    let node = link.node;
                    log::debug!(
                        "Connection with Node {} at {}:{} failed",
                        node.map(|n| st.nodes[n].name.clone()).unwrap_or_default(),
                        link.peer_ip,
                        node.map(|n| st.nodes[n].cport).unwrap_or(0)
                    );
                    self.link_free(key);
                    return false;
                }
            }
        }
        self.link_flush(key)
    }

    fn link_readable(&mut self, key: usize) {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let Some(st) = self.cluster.as_deref_mut() else {
                return;
            };
            let Some(link) = st.links.get_mut(key) else {
                return;
            };
            if link.connecting {
                return;
            }
            let Some(s) = link.stream.as_mut() else {
                return;
            };
            match s.read(&mut buf) {
                Ok(0) => {
                    self.link_free(key);
                    return;
                }
                Ok(n) => {
                    link.rcvbuf.extend_from_slice(&buf[..n]);
                    if !self.link_process_frames(key) {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.link_free(key);
                    return;
                }
            }
        }
    }

    /// Processes every complete frame in the receive buffer; false if the link is gone.
    fn link_process_frames(&mut self, key: usize) -> bool {
        loop {
            let Some(st) = self.cluster.as_deref_mut() else {
                return false;
            };
            let Some(link) = st.links.get_mut(key) else {
                return false;
            };
            if link.rcvbuf.len() < 8 {
                return true;
            }
            let totlen = u32::from_be_bytes(link.rcvbuf[4..8].try_into().unwrap()) as usize;
            if &link.rcvbuf[..4] != b"RCmb" || totlen < HDR_LEN {
                log::warn!(
                    "Bad message length or signature received on the Cluster bus from {}",
                    link.peer_ip
                );
                self.link_free(key);
                return false;
            }
            if link.rcvbuf.len() < totlen {
                return true;
            }
            let rest = link.rcvbuf.split_off(totlen);
            let frame = std::mem::replace(&mut link.rcvbuf, rest);
            if !self.cluster_process_packet(key, &frame) {
                return false;
            }
        }
    }

    /// Frees every link (CLUSTER RESET, shutdown).
    pub fn cluster_free_all_links(&mut self) {
        let keys: Vec<usize> = match self.cluster.as_deref() {
            Some(st) => st.links.iter().map(|(k, _)| k).collect(),
            None => return,
        };
        for k in keys {
            self.link_free(k);
        }
    }
}

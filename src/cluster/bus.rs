//! The cluster bus transport: the listener on the bus port and the links, each a
//! non-blocking TCP stream with its own framing buffers. Message encoding and the
//! per-type handling live in msg.rs; this file only moves bytes.

use super::state::NodeId;

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
        }
    }
    pub fn pending(&self) -> usize {
        self.sndbuf.len() - self.sent
    }
}

//! The per-connection state (Redis's `client` struct): socket, query buffer,
//! reply buffer, selected db, protocol version, name, flags and timestamps.
//! Fake clients (no socket) run commands for scripts, AOF loading and tests.

use std::io::{self, Write};

pub enum Stream {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
}

impl Stream {
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }
    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Stream::Tcp(s) => s,
            Stream::Unix(s) => s,
        }
    }
    pub fn fd(&self) -> i32 {
        use std::os::unix::io::AsRawFd;
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// Client flags, the subset of Redis's CLIENT_* bits we track.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct ClientFlags(pub u32);

impl ClientFlags {
    pub const CLOSE_AFTER_REPLY: u32 = 1 << 0;
    pub const CLOSE_ASAP: u32 = 1 << 1;
    pub const MONITOR: u32 = 1 << 2;
    pub const UNIX_SOCKET: u32 = 1 << 3;
    pub const REPLY_OFF: u32 = 1 << 4;
    pub const REPLY_SKIP_NEXT: u32 = 1 << 5;
    pub const REPLY_SKIP: u32 = 1 << 6;
    pub const NO_EVICT: u32 = 1 << 7;
    pub const FAKE: u32 = 1 << 8;
    pub const PROTECTED: u32 = 1 << 9;
    pub const PENDING_WRITE: u32 = 1 << 10;
    pub const WRITE_INTEREST: u32 = 1 << 11;
    pub const NO_TOUCH: u32 = 1 << 12;
    pub const PAUSED: u32 = 1 << 13;
    /// In subscribed mode (pub/sub sets it; PING, CLIENT LIST and RESET read it).
    pub const PUBSUB: u32 = 1 << 14;
    /// The client's user has no unrestricted selector: commands go through the
    /// ACL check (kept in step with the user by crate::acl).
    pub const ACL_CHECK: u32 = 1 << 30;
    /// The client scripts run their commands on (CLIENT_SCRIPT).
    pub const SCRIPT: u32 = 1 << 29;
    /// The output buffer limit was reached: replies are dropped and the server
    /// closes the client asynchronously (see networking::limits).
    pub const OBUF_LIMIT_HIT: u32 = 1 << 20;
    /// Blocked on keys (BLPOP...): its input waits until it is served or times out.
    pub const BLOCKED: u32 = 1 << 15;
    /// May not block (inside MULTI/EXEC or a script): blocking commands answer
    /// as if they timed out.
    pub const DENY_BLOCKING: u32 = 1 << 16;
    /// Running its blocked command again because a key became ready.
    pub const REPROCESSING: u32 = 1 << 17;
    /// Inside MULTI (queueing, or running EXEC).
    pub const MULTI: u32 = 1 << 21;
    /// A watched key changed: EXEC will reply with a null array.
    pub const DIRTY_CAS: u32 = 1 << 22;
    /// A command was refused while queueing: EXEC will fail with EXECABORT.
    pub const DIRTY_EXEC: u32 = 1 << 23;
    /// A replica attached with SYNC/PSYNC (its link state is `Client::repl`).
    pub const SLAVE: u32 = 1 << 24;
    /// The link to our master: its commands run without replies.
    pub const MASTER: u32 = 1 << 25;
    #[inline]
    pub fn has(self, f: u32) -> bool {
        self.0 & f != 0
    }
    #[inline]
    pub fn set(&mut self, f: u32) {
        self.0 |= f;
    }
    #[inline]
    pub fn clear(&mut self, f: u32) {
        self.0 &= !f;
    }
}

pub struct Client {
    pub id: u64,
    /// Slab key and mio token; usize::MAX for fake clients.
    pub token: usize,
    pub stream: Option<Stream>,
    pub fd: i32,
    pub addr: String,
    pub laddr: String,
    pub querybuf: Vec<u8>,
    /// Bytes of `querybuf` already consumed by parsed commands.
    pub qb_pos: usize,
    /// Peak query buffer size over the last interval (for querybuf shrinking, CLIENT LIST qbuf).
    pub querybuf_peak: usize,
    /// Query bytes pending when the current command was read (CLIENT LIST qbuf for self).
    pub qbuf_snapshot: usize,
    pub reply: Vec<u8>,
    /// Bytes of `reply` already written to the socket.
    pub sent: usize,
    /// Reply bytes produced for the current command (for stats / limits).
    pub reply_bytes_total: u64,
    pub db: usize,
    pub resp: u8,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    pub authenticated: bool,
    pub user: String,
    /// Index of the user in `Server::acl`; `acl::NO_USER` for fake clients, which bypass ACLs.
    pub user_id: u32,
    pub flags: ClientFlags,
    pub ctime_ms: i64,
    pub last_interaction_ms: i64,
    /// Full name of the last command ("client|list"), for CLIENT LIST cmd=.
    pub last_cmd: &'static str,
    /// Error codes replied since `call()` last drained them (errorstats).
    pub error_codes: Vec<String>,
    /// Argument ranges and inline scratch, reused across commands.
    pub argv_ranges: Vec<(u32, u32)>,
    pub inline_buf: Vec<u8>,
    /// Bytes of argv of the current command (CLIENT LIST argv-mem).
    pub argv_mem: usize,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub commands_processed: u64,
    /// Bit i set: argument i is shown as "(redacted)" in MONITOR and the slowlog
    /// (AUTH/HELLO passwords). Cleared after every command.
    pub redacted_args: u64,
    /// Redacted argument indexes from 64 up (CONFIG SET with many pairs); see `arg_redacted`.
    pub redacted_high: Vec<usize>,
    /// Redis's per-client reply buffer size (buf_usable_size, CLIENT LIST rbs=):
    /// pending output up to this size is "the buffer", the rest "the reply list".
    /// clientsCron resizes it by its recent peak (rbp=).
    pub rb_size: usize,
    pub rb_peak: usize,
    pub rb_peak_reset_ms: i64,
    /// `reply.len()` above which the output buffer limits are checked again.
    pub obuf_check_at: usize,
    /// Unix time (s) the soft output limit was first seen reached, 0 if not.
    pub obuf_soft_since: i64,
    /// Memory last accounted for this client in the client-eviction total.
    pub last_mem: usize,
    /// What the client is blocked on (with the BLOCKED flag).
    pub bstate: Option<Box<crate::blocked::BlockState>>,
    /// Deadline to keep if the command being run again blocks again.
    pub reblock_timeout: Option<i64>,
    /// While a big bulk argument is arriving: the query buffer length at which
    /// the pending request's big bulk is complete (0 otherwise). The buffer
    /// is reserved up to it and reads stop there (Redis's big-arg reading).
    pub big_bulk_end: usize,
    /// Where that bulk's data starts in the query buffer: Redis has parsed what
    /// precedes it out of the buffer, so CLIENT LIST qbuf counts from here.
    pub big_bulk_start: usize,
    /// Client-side caching state; None until CLIENT TRACKING is first used.
    pub tracking: Option<Box<crate::tracking::ClientTracking>>,
    /// Pub/sub subscriptions; None when subscribed to nothing.
    pub subs: Option<Box<crate::pubsub::ClientSubs>>,
    /// The queued transaction while in MULTI (None until the first command is queued).
    pub mstate: Option<Box<crate::multi::MultiState>>,
    /// Keys this client WATCHes.
    pub watched: Vec<crate::multi::WatchedKey>,
    /// Replica link state (REPLCONF options, sync state); None for other clients.
    pub repl: Option<Box<crate::replication::ReplicaLink>>,
    /// Master client: bytes of `querybuf` already applied and proxied (the rest
    /// may be an open MULTI block).
    pub repl_applied: usize,
    /// master_repl_offset right after this client's last command (WAIT).
    pub woff: i64,
}

impl Client {
    pub fn new(id: u64, token: usize, stream: Option<Stream>, now_ms: i64) -> Client {
        let fd = stream.as_ref().map(|s| s.fd()).unwrap_or(-1);
        Client {
            id,
            token,
            stream,
            fd,
            addr: String::new(),
            laddr: String::new(),
            querybuf: Vec::new(),
            qb_pos: 0,
            querybuf_peak: 0,
            qbuf_snapshot: 0,
            reply: Vec::new(),
            sent: 0,
            reply_bytes_total: 0,
            db: 0,
            resp: 2,
            name: None,
            lib_name: None,
            lib_ver: None,
            authenticated: false,
            user: "default".into(),
            user_id: crate::acl::DEFAULT_USER,
            flags: ClientFlags::default(),
            ctime_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            error_codes: Vec::new(),
            argv_ranges: Vec::new(),
            inline_buf: Vec::new(),
            argv_mem: 0,
            net_input_bytes: 0,
            net_output_bytes: 0,
            commands_processed: 0,
            redacted_args: 0,
            redacted_high: Vec::new(),
            rb_size: super::limits::REPLY_CHUNK_BYTES,
            rb_peak: 0,
            rb_peak_reset_ms: now_ms,
            obuf_check_at: super::limits::REPLY_CHUNK_BYTES,
            obuf_soft_since: 0,
            last_mem: 0,
            bstate: None,
            reblock_timeout: None,
            big_bulk_end: 0,
            big_bulk_start: 0,
            tracking: None,
            subs: None,
            mstate: None,
            watched: Vec::new(),
            repl: None,
            repl_applied: 0,
            woff: 0,
        }
    }

    /// Whether argument `i` of the current command is shown as "(redacted)".
    pub fn arg_redacted(&self, i: usize) -> bool {
        if i < 64 {
            self.redacted_args & (1u64 << i) != 0
        } else {
            self.redacted_high.contains(&i)
        }
    }

    /// A client with no connection (scripts, AOF loading, unit tests).
    pub fn fake(id: u64) -> Client {
        let mut c = Client::new(id, usize::MAX, None, crate::util::mstime());
        c.flags.set(ClientFlags::FAKE);
        c.authenticated = true;
        c.user_id = crate::acl::NO_USER;
        c
    }

    pub fn is_fake(&self) -> bool {
        self.flags.has(ClientFlags::FAKE)
    }

    /// Bytes queued for the socket and not yet written.
    #[inline]
    pub fn pending_reply_bytes(&self) -> usize {
        self.reply.len() - self.sent
    }

    /// Takes the reply bytes of a fake client (what a script or test reads back).
    pub fn take_reply(&mut self) -> Vec<u8> {
        self.sent = 0;
        std::mem::take(&mut self.reply)
    }
}

//! Client-side caching (Redis's tracking.c): CLIENT TRACKING / CACHING /
//! GETREDIR / TRACKINGINFO, the table of keys tracking clients have read,
//! BCAST prefixes, `tracking-table-max-keys`, and invalidation messages (a
//! RESP3 push, or sent to the client named by REDIRECT).
//!
//! Cost while nobody ever enabled tracking: `call()` and a modified key each
//! test `Tracking::in_use`, nothing more.
//!
//! Clients are referred to by (id, slab token): the token finds the slot, the
//! id proves it is still the same connection. The client running a command
//! is out of its slot; messages for it wait in `pending` and are delivered
//! after its command (or after key eviction, before the command), where
//! Redis queues them for `server.current_client`.

use crate::commands::flags as cmdflags;
use crate::db::dict::Dict;
use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::{Server, FIRST_CLIENT_TOKEN};
use std::collections::{BTreeMap, BTreeSet};

/// Per-client tracking flags (Redis's CLIENT_TRACKING_* bits).
pub const ON: u32 = 1 << 0;
pub const BCAST: u32 = 1 << 1;
pub const OPTIN: u32 = 1 << 2;
pub const OPTOUT: u32 = 1 << 3;
/// CLIENT CACHING yes/no was given for the next command.
pub const CACHING: u32 = 1 << 4;
pub const NOLOOP: u32 = 1 << 5;
pub const BROKEN_REDIR: u32 = 1 << 6;

/// A client's tracking state.
#[derive(Default)]
pub struct ClientTracking {
    pub flags: u32,
    /// Client ID invalidations go to; 0 = this connection.
    pub redirect: u64,
    /// Slab token the redirect target had when tracking was enabled.
    redirect_token: usize,
    /// BCAST prefixes, in byte order (as Redis's rax lists them).
    pub prefixes: BTreeSet<Vec<u8>>,
    /// Rough heap held by `prefixes`, for client eviction.
    prefix_mem: usize,
}

impl ClientTracking {
    #[inline]
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }
}

/// Heap held by a client's tracking state (getClientMemoryUsage's prefixes term).
pub fn client_extra_memory(c: &Client) -> usize {
    c.tracking.as_ref().map_or(0, |t| t.prefix_mem)
}

/// Is the client tracking, and with which flags (0 when not)?
#[inline]
pub fn flags_of(c: &Client) -> u32 {
    c.tracking.as_ref().map_or(0, |t| t.flags)
}

type Ref = (u64, usize);

/// Keys modified under one prefix during this event loop turn, and the BCAST
/// clients subscribed to it.
#[derive(Default)]
struct Bcast {
    /// Key -> id of the client that last changed it (0: the server itself, as
    /// for expiry and eviction), so NOLOOP clients can skip their own writes.
    keys: BTreeMap<Vec<u8>, u64>,
    clients: Vec<Ref>,
}

/// What an invalidation carries.
enum Msg<'a> {
    /// One key: `*1 $len key`.
    Key(&'a [u8]),
    /// Everything (a flush): a RESP null in the tracking client's protocol.
    Flush,
    /// A ready array of keys (BCAST).
    Proto(&'a [u8]),
}

/// A message for a client that was out of its slot (running a command).
struct Pending {
    token: usize,
    /// The tracking client's id; None for a flush notice (any tracking client in that slot).
    id: Option<u64>,
    key: Option<Vec<u8>>,
    /// Bytes ready to append to a redirect target, instead of a message to resolve.
    raw: Option<Vec<u8>>,
}

#[derive(Default)]
pub struct Tracking {
    /// Clients with tracking on (INFO tracking_clients).
    pub clients: usize,
    /// Set once any client enabled tracking (Redis allocates its tables then):
    /// from then on modified keys are looked up in the table.
    pub in_use: bool,
    /// Id of the client running a command, while tracking is in use.
    pub current: u64,
    /// Length of the running client's reply when its command started: Redis
    /// writes a redirected message to the running client at once, that is
    /// before the reply the command then adds; delivered late, it goes here.
    reply_mark: Option<usize>,
    table: Dict<Vec<Ref>>,
    total_items: u64,
    prefixes: BTreeMap<Vec<u8>, Bcast>,
    pending: Vec<Pending>,
    /// trackingLimitUsedSlots' effort multiplier across calls.
    timeout_counter: u32,
}

impl Tracking {
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }
    pub fn total_items(&self) -> u64 {
        self.total_items
    }
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }
}

const PUSH_INVALIDATE: &[u8] = b">2\r\n$10\r\ninvalidate\r\n";
/// RESP2 redirection through pub/sub: a message on `__redis__:invalidate`.
const PUBSUB_INVALIDATE: &[u8] = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";

fn key_array(key: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"*1\r\n");
    bulk(key, out);
}

fn bulk(b: &[u8], out: &mut Vec<u8>) {
    out.push(b'$');
    out.extend_from_slice(b.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// The message body for `msg` as sent on behalf of a client speaking `resp`.
fn payload(msg: &Msg, resp: u8, out: &mut Vec<u8>) {
    match msg {
        Msg::Key(k) => key_array(k, out),
        Msg::Flush => out.extend_from_slice(if resp >= 3 { b"_\r\n" } else { b"$-1\r\n" }),
        Msg::Proto(p) => out.extend_from_slice(p),
    }
}

/// The full message for a receiving client, or None when it can't receive
/// one: RESP2 without redirection has no out-of-band channel, and a RESP2
/// redirect target must be subscribed to `__redis__:invalidate`.
fn framed(recv: &Client, redirected: bool, body: &[u8]) -> Option<Vec<u8>> {
    let head = if recv.resp > 2 {
        PUSH_INVALIDATE
    } else if redirected && recv.flags.has(ClientFlags::PUBSUB) {
        PUBSUB_INVALIDATE
    } else {
        return None;
    };
    let mut m = Vec::with_capacity(head.len() + body.len());
    m.extend_from_slice(head);
    m.extend_from_slice(body);
    Some(m)
}

/// trackingBuildBroadcastReply: the keys as a RESP array, leaving out those
/// last changed by `skip` (NOLOOP); None when nothing is left.
fn broadcast_reply(keys: &BTreeMap<Vec<u8>, u64>, skip: Option<u64>) -> Option<Vec<u8>> {
    let count = keys.values().filter(|&&m| skip != Some(m)).count();
    if count == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(count * 15 + 16);
    out.push(b'*');
    out.extend_from_slice(count.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for (k, &m) in keys {
        if skip != Some(m) {
            bulk(k, &mut out);
        }
    }
    Some(out)
}

fn prefix_overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

impl Server {
    /// lookupClientByID for a (id, token) reference: Ok(Some) if the client is
    /// in its slot, Ok(None) if its slot is taken (it is running a command),
    /// Err if it is gone.
    fn tracking_slot(&self, r: Ref) -> Result<Option<()>, ()> {
        match self.clients.get(r.1.wrapping_sub(FIRST_CLIENT_TOKEN)) {
            Some(Some(x)) if x.id == r.0 => Ok(Some(())),
            Some(None) => Ok(None),
            _ => Err(()),
        }
    }

    /// Appends a ready message to a client in its slot and schedules the write.
    fn tracking_push_to(&mut self, token: usize, bytes: &[u8]) {
        if let Some(mut x) = self.take_client(token) {
            x.add_push_raw(bytes);
            self.after_push(&mut x);
            self.restore_client(x);
        }
    }

    fn after_push(&mut self, x: &mut Client) {
        self.mark_pending_write(x);
        if self.config.maxmemory_clients_on() {
            self.account_client_memory(x);
        }
    }

    /// sendTrackingMessage: `c` is the tracking client (at hand, not in its slot).
    fn send_tracking_message(&mut self, c: &mut Client, msg: &Msg) {
        let Some(t) = c.tracking.as_deref() else {
            return;
        };
        let target = (t.redirect, t.redirect_token);
        let mut body = Vec::new();
        payload(msg, c.resp, &mut body);
        if target.0 != 0 {
            if target.0 == c.id {
                if let Some(m) = framed(c, true, &body) {
                    c.add_push_raw(&m);
                }
                return;
            }
            match self.tracking_slot(target) {
                Ok(Some(())) => {
                    let r = self.clients[target.1 - FIRST_CLIENT_TOKEN]
                        .as_deref()
                        .unwrap();
                    if let Some(m) = framed(r, true, &body) {
                        self.tracking_push_to(target.1, &m);
                    }
                }
                Ok(None) => {
                    // The target runs a command right now: it gets the message
                    // after its reply; its protocol is known then.
                    self.tracking.pending.push(Pending {
                        token: target.1,
                        id: Some(target.0),
                        key: None,
                        raw: Some(body),
                    });
                }
                Err(()) => {
                    // Tell the tracking client its redirection is gone (RESP3 only).
                    c.tracking.as_deref_mut().unwrap().flags |= BROKEN_REDIR;
                    if c.resp > 2 {
                        let mut m = b">2\r\n$21\r\ntracking-redir-broken\r\n:".to_vec();
                        m.extend_from_slice(target.0.to_string().as_bytes());
                        m.extend_from_slice(b"\r\n");
                        c.add_push_raw(&m);
                    }
                }
            }
            return;
        }
        if let Some(m) = framed(c, false, &body) {
            c.add_push_raw(&m);
        }
    }

    /// sendTrackingMessage to a tracking client in its slot.
    fn send_tracking_message_to(&mut self, token: usize, msg: &Msg) {
        if let Some(mut x) = self.take_client(token) {
            let before = x.reply.len();
            self.send_tracking_message(&mut x, msg);
            if x.reply.len() != before {
                self.after_push(&mut x);
            }
            self.restore_client(x);
        }
    }

    /// trackingInvalidateKey: `modifier` is the id of the client that changed
    /// the key (0 for the server: expiry, eviction); `bcast` is false when the
    /// key did not change but leaves the table (tracking-table-max-keys).
    pub fn tracking_invalidate_key(&mut self, key: &[u8], modifier: u64, bcast: bool) {
        if bcast && !self.tracking.prefixes.is_empty() {
            for (p, bs) in self.tracking.prefixes.iter_mut() {
                if key.starts_with(p) {
                    bs.keys.insert(key.to_vec(), modifier);
                }
            }
        }
        let Some(ids) = self.tracking.table.remove(key) else {
            return;
        };
        self.tracking.total_items -= ids.len() as u64;
        for r in ids {
            match self.tracking_slot(r) {
                Ok(Some(())) => {
                    let f = flags_of(self.clients[r.1 - FIRST_CLIENT_TOKEN].as_deref().unwrap());
                    // Keys read before switching to BCAST are not reported.
                    if f & ON == 0 || f & BCAST != 0 {
                        continue;
                    }
                    self.send_tracking_message_to(r.1, &Msg::Key(key));
                }
                // The running client: NOLOOP and its mode are checked on delivery.
                Ok(None) => self.tracking.pending.push(Pending {
                    token: r.1,
                    id: Some(r.0),
                    key: Some(key.to_vec()),
                    raw: None,
                }),
                Err(()) => {}
            }
        }
    }

    /// trackingHandlePendingKeyInvalidations: messages held for `c` while it
    /// ran (or for whichever client now owns a slot that was taken) are sent
    /// to it now, after its reply.
    pub fn tracking_flush_pending(&mut self, c: &mut Client) {
        let pending = std::mem::take(&mut self.tracking.pending);
        let mut at = match self.tracking.reply_mark {
            Some(m) => m.min(c.reply.len()).max(c.sent),
            None => c.reply.len(),
        };
        for p in &pending {
            if p.token != c.token || p.id.is_some_and(|id| id != c.id) {
                continue;
            }
            if let Some(body) = &p.raw {
                // c is a redirect target: the message goes where it would have
                // been written while c's command ran.
                if let Some(m) = framed(c, true, body) {
                    let len = c.reply.len();
                    c.add_push_raw(&m);
                    if c.reply.len() > len && at < len {
                        c.reply[at..].rotate_right(m.len());
                    }
                    at += m.len();
                }
                continue;
            }
            let f = flags_of(c);
            if f & ON == 0 {
                continue;
            }
            match &p.key {
                Some(k) => {
                    if f & (BCAST | NOLOOP) != 0 {
                        continue;
                    }
                    self.send_tracking_message(c, &Msg::Key(k));
                }
                None => self.send_tracking_message(c, &Msg::Flush),
            }
        }
        let mut pending = pending;
        pending.clear();
        if self.tracking.pending.is_empty() {
            self.tracking.pending = pending;
        }
    }

    /// Delivers only the messages redirected to `c` (it ran a command), at the
    /// reply mark; the rest stay pending.
    fn tracking_flush_redirected(&mut self, c: &mut Client) {
        if !self.tracking.pending.iter().any(|p| p.raw.is_some()) {
            return;
        }
        let (raw, rest): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.tracking.pending)
            .into_iter()
            .partition(|p| p.raw.is_some());
        self.tracking.pending = raw;
        self.tracking_flush_pending(c);
        self.tracking.pending = rest;
    }

    /// trackingInvalidateKeysOnFlush: every tracking client is told "all
    /// keys" with a null, and the table is emptied.
    pub fn tracking_on_flush(&mut self) {
        if self.tracking.clients != 0 {
            let tokens: Vec<usize> = self
                .clients
                .iter()
                .map(|(k, x)| (k + FIRST_CLIENT_TOKEN, x.as_deref()))
                .filter(|(_, x)| x.map_or(true, |x| flags_of(x) & ON != 0))
                .map(|(t, _)| t)
                .collect();
            for t in tokens {
                if self.clients[t - FIRST_CLIENT_TOKEN].is_none() {
                    self.tracking.pending.push(Pending {
                        token: t,
                        id: None,
                        key: None,
                        raw: None,
                    });
                } else {
                    self.send_tracking_message_to(t, &Msg::Flush);
                }
            }
        }
        if self.tracking.in_use {
            self.tracking.table = Dict::new();
            self.tracking.total_items = 0;
        }
    }

    /// Before a command runs (processCommand's tail): records who runs it
    /// (BCAST NOLOOP) and keeps the table within tracking-table-max-keys.
    #[cold]
    pub fn tracking_before_call(&mut self, c: &Client) {
        self.tracking.current = c.id;
        self.tracking.reply_mark = Some(c.reply.len());
    }

    /// After a command: remembers the keys a read-only command fetched for a
    /// tracking client (trackingRememberKeys), ends a one-shot CLIENT CACHING,
    /// and delivers the messages held for the client.
    #[cold]
    pub fn tracking_after_call(&mut self, c: &mut Client, id: usize, argv: &Argv) {
        self.tracking.current = 0;
        if !self.tracking.pending.is_empty() {
            // Messages redirected to this client go before its reply, those
            // about its own keys after it: deliver the first kind now.
            self.tracking_flush_redirected(c);
        }
        self.tracking.reply_mark = None;
        let f = flags_of(c);
        if f & ON != 0 {
            let cmd = &self.commands.cmds[id];
            let mut keys = Vec::new();
            // A read-only script tracks the keys of the commands it runs
            // (tracking_remember_script_keys), not its own.
            let ro_script = matches!(cmd.fullname, "eval_ro" | "evalsha_ro" | "fcall_ro");
            if cmd.flags & cmdflags::READONLY != 0 && f & BCAST == 0 && !ro_script {
                let optin = f & OPTIN != 0;
                let optout = f & OPTOUT != 0;
                let caching = f & CACHING != 0;
                if !((optin && !caching) || (optout && caching))
                    && cmd.flags & cmdflags::PUBSUB == 0
                {
                    keys = crate::commands::keys::get_key_positions(cmd, argv).unwrap_or_default();
                }
            }
            // CLIENT CACHING applies to the next command only (resetClient).
            let is_client_cmd = cmd.fullname.starts_with("client|");
            if f & CACHING != 0 && !is_client_cmd {
                c.tracking.as_deref_mut().unwrap().flags &= !CACHING;
            }
            let me = (c.id, c.token);
            for p in keys {
                self.tracking_remember(argv.get(p), me);
            }
        }
        // Inside EXEC the client's own invalidations wait for the end of the
        // transaction, so they follow EXEC's reply instead of splitting it.
        if !self.tracking.pending.is_empty() && !self.in_exec {
            self.tracking_flush_pending(c);
        }
    }

    /// A script's read command makes its caller track the keys the EVAL or
    /// FCALL declared (call()'s trackingRememberKeys on server.script_caller).
    pub fn tracking_remember_script_keys(&mut self, caller: &mut Client, id: usize, argv: &Argv) {
        let f = flags_of(caller);
        if f & ON == 0 || f & BCAST != 0 {
            return;
        }
        let (optin, optout, caching) = (f & OPTIN != 0, f & OPTOUT != 0, f & CACHING != 0);
        if (optin && !caching) || (optout && caching) {
            return;
        }
        let cmd = &self.commands.cmds[id];
        let keys = crate::commands::keys::get_key_positions(cmd, argv).unwrap_or_default();
        let me = (caller.id, caller.token);
        for p in keys {
            self.tracking_remember(argv.get(p), me);
        }
    }

    fn tracking_remember(&mut self, key: &[u8], me: Ref) {
        let tr = &mut self.tracking;
        if let Some(ids) = tr.table.get_mut(key) {
            if let Err(i) = ids.binary_search_by_key(&me.0, |r| r.0) {
                ids.insert(i, me);
                tr.total_items += 1;
            }
        } else {
            tr.table.insert_new(key.into(), vec![me]);
            tr.total_items += 1;
        }
    }

    /// trackingLimitUsedSlots: over tracking-table-max-keys, random keys leave
    /// the table (their clients are told, as if the keys changed), with more
    /// effort each time the limit is still not met.
    pub fn tracking_limit_used_slots(&mut self) {
        let max = self.config.tracking_table_max_keys;
        if max == 0 {
            return;
        }
        if self.tracking.table.len() <= max {
            self.tracking.timeout_counter = 0;
            return;
        }
        let mut effort = 100 * (self.tracking.timeout_counter as usize + 1);
        while effort > 0 {
            effort -= 1;
            let key = match self.tracking.table.random_entry(&mut self.rng) {
                Some(e) => e.key.clone(),
                None => break,
            };
            self.tracking_invalidate_key(&key, 0, false);
            if self.tracking.table.len() <= max {
                self.tracking.timeout_counter = 0;
                return;
            }
        }
        self.tracking.timeout_counter += 1;
    }

    /// trackingBroadcastInvalidationMessages (before sleeping): each prefix's
    /// changed keys go to its BCAST clients in one message.
    pub fn tracking_broadcast(&mut self) {
        if self.tracking.prefixes.values().all(|b| b.keys.is_empty()) {
            return;
        }
        let mut prefixes = std::mem::take(&mut self.tracking.prefixes);
        for bs in prefixes.values_mut() {
            if bs.keys.is_empty() {
                continue;
            }
            let all = broadcast_reply(&bs.keys, None);
            for &(id, token) in &bs.clients {
                if self.tracking_slot((id, token)) != Ok(Some(())) {
                    continue;
                }
                let noloop = flags_of(self.clients[token - FIRST_CLIENT_TOKEN].as_deref().unwrap())
                    & NOLOOP
                    != 0;
                if noloop {
                    if let Some(p) = broadcast_reply(&bs.keys, Some(id)) {
                        self.send_tracking_message_to(token, &Msg::Proto(&p));
                    }
                } else if let Some(p) = &all {
                    self.send_tracking_message_to(token, &Msg::Proto(p));
                }
            }
            bs.keys.clear();
        }
        self.tracking.prefixes = prefixes;
    }

    /// enableTracking.
    fn enable_tracking(&mut self, c: &mut Client, redirect: Ref, options: u32, prefixes: &[&[u8]]) {
        let t = c.tracking.get_or_insert_with(Default::default);
        if t.flags & ON == 0 {
            self.tracking.clients += 1;
        }
        t.flags |= ON;
        t.flags &= !(BROKEN_REDIR | BCAST | OPTIN | OPTOUT | NOLOOP);
        t.redirect = redirect.0;
        t.redirect_token = redirect.1;
        self.tracking.in_use = true;
        if options & BCAST != 0 {
            t.flags |= BCAST;
            let me = (c.id, c.token);
            let list: Vec<&[u8]> = if prefixes.is_empty() {
                vec![b""]
            } else {
                prefixes.to_vec()
            };
            for p in list {
                let bs = self.tracking.prefixes.entry(p.to_vec()).or_default();
                if let Err(i) = bs.clients.binary_search_by_key(&me.0, |r| r.0) {
                    bs.clients.insert(i, me);
                    if t.prefixes.insert(p.to_vec()) {
                        t.prefix_mem += p.len() + 48;
                    }
                }
            }
        }
        t.flags |= options & (OPTIN | OPTOUT | NOLOOP);
    }

    /// disableTracking (CLIENT TRACKING off, RESET, the client closing). Keys
    /// it read stay in the table and are dropped lazily, as in Redis.
    pub fn disable_tracking(&mut self, c: &mut Client) {
        let Some(t) = c.tracking.as_deref_mut() else {
            return;
        };
        if t.flags & BCAST != 0 {
            for p in std::mem::take(&mut t.prefixes) {
                if let Some(bs) = self.tracking.prefixes.get_mut(&p) {
                    bs.clients.retain(|r| r.0 != c.id);
                    if bs.clients.is_empty() {
                        self.tracking.prefixes.remove(&p);
                    }
                }
            }
            t.prefix_mem = 0;
        }
        if t.flags & ON != 0 {
            self.tracking.clients -= 1;
            t.flags = 0;
        }
    }

    /// lookupClientByID for REDIRECT: the running client or one in the slab.
    fn client_ref_by_id(&self, me: &Client, id: u64) -> Option<Ref> {
        if me.id == id {
            return Some((me.id, me.token));
        }
        self.clients
            .iter()
            .filter_map(|(_, x)| x.as_deref())
            .find(|x| x.id == id)
            .map(|x| (x.id, x.token))
    }
}

/// CLIENT TRACKING (on|off) [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP]
pub fn client_tracking(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut redir: Option<Ref> = None;
    let mut options = 0u32;
    let mut prefixes: Vec<&[u8]> = Vec::new();
    let mut j = 3;
    while j < argv.len() {
        let a = argv.get(j);
        let more = j + 1 < argv.len();
        if a.eq_ignore_ascii_case(b"redirect") && more {
            j += 1;
            if redir.is_some() {
                c.add_error("A client can only redirect to a single other client");
                return;
            }
            let Some(id) = crate::util::parse_i64(argv.get(j)) else {
                c.add_error_not_int();
                return;
            };
            // The target must exist now, though it may go away later.
            match srv.client_ref_by_id(c, id as u64) {
                Some(r) if id > 0 => redir = Some(r),
                _ => {
                    c.add_error("The client ID you want redirect to does not exist");
                    return;
                }
            }
        } else if a.eq_ignore_ascii_case(b"bcast") {
            options |= BCAST;
        } else if a.eq_ignore_ascii_case(b"optin") {
            options |= OPTIN;
        } else if a.eq_ignore_ascii_case(b"optout") {
            options |= OPTOUT;
        } else if a.eq_ignore_ascii_case(b"noloop") {
            options |= NOLOOP;
        } else if a.eq_ignore_ascii_case(b"prefix") && more {
            j += 1;
            prefixes.push(argv.get(j));
        } else {
            c.add_error_syntax();
            return;
        }
        j += 1;
    }
    let mode = argv.get(2);
    if mode.eq_ignore_ascii_case(b"on") {
        let cur = flags_of(c);
        if options & BCAST == 0 && !prefixes.is_empty() {
            c.add_error("PREFIX option requires BCAST mode to be enabled");
            return;
        }
        if cur & ON != 0 && (cur & BCAST != 0) != (options & BCAST != 0) {
            c.add_error("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
            return;
        }
        if options & BCAST != 0 && options & (OPTIN | OPTOUT) != 0 {
            c.add_error("OPTIN and OPTOUT are not compatible with BCAST");
            return;
        }
        if options & OPTIN != 0 && options & OPTOUT != 0 {
            c.add_error("You can't specify both OPTIN mode and OPTOUT mode");
            return;
        }
        if (options & OPTIN != 0 && cur & OPTOUT != 0)
            || (options & OPTOUT != 0 && cur & OPTIN != 0)
        {
            c.add_error("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
            return;
        }
        if options & BCAST != 0 && !check_prefix_collisions(c, &prefixes) {
            return;
        }
        srv.enable_tracking(c, redir.unwrap_or((0, 0)), options, &prefixes);
    } else if mode.eq_ignore_ascii_case(b"off") {
        srv.disable_tracking(c);
    } else {
        c.add_error_syntax();
        return;
    }
    c.add_ok();
}

/// checkPrefixCollisionsOrReply: no two prefixes of one client may both
/// match a key.
fn check_prefix_collisions(c: &mut Client, prefixes: &[&[u8]]) -> bool {
    for (i, p) in prefixes.iter().enumerate() {
        if let Some(t) = c.tracking.as_deref() {
            if let Some(old) = t.prefixes.iter().find(|o| prefix_overlap(o, p)) {
                let msg = format!(
                    "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(old)
                );
                c.add_error(&msg);
                return false;
            }
        }
        for q in &prefixes[i + 1..] {
            if prefix_overlap(p, q) {
                let msg = format!(
                    "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(q)
                );
                c.add_error(&msg);
                return false;
            }
        }
    }
    true
}

/// CLIENT CACHING (yes|no)
pub fn client_caching(_srv: &mut Server, c: &mut Client, argv: &Argv) {
    let f = flags_of(c);
    if f & ON == 0 {
        c.add_error("CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
        return;
    }
    let opt = argv.get(2);
    if opt.eq_ignore_ascii_case(b"yes") {
        if f & OPTIN == 0 {
            c.add_error("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
            return;
        }
    } else if opt.eq_ignore_ascii_case(b"no") {
        if f & OPTOUT == 0 {
            c.add_error("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
            return;
        }
    } else {
        c.add_error_syntax();
        return;
    }
    c.tracking.as_deref_mut().unwrap().flags |= CACHING;
    c.add_ok();
}

/// CLIENT GETREDIR
pub fn client_getredir(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    match c.tracking.as_deref() {
        Some(t) if t.has(ON) => c.add_int(t.redirect as i64),
        _ => c.add_int(-1),
    }
}

/// CLIENT TRACKINGINFO
pub fn client_trackinginfo(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let (f, redirect, prefixes) = match c.tracking.as_deref() {
        Some(t) => (t.flags, t.redirect, t.prefixes.iter().cloned().collect()),
        None => (0, 0, Vec::new()),
    };
    let mut names: Vec<&str> = vec![if f & ON != 0 { "on" } else { "off" }];
    if f & BCAST != 0 {
        names.push("bcast");
    }
    if f & OPTIN != 0 {
        names.push("optin");
        if f & CACHING != 0 {
            names.push("caching-yes");
        }
    }
    if f & OPTOUT != 0 {
        names.push("optout");
        if f & CACHING != 0 {
            names.push("caching-no");
        }
    }
    if f & NOLOOP != 0 {
        names.push("noloop");
    }
    if f & BROKEN_REDIR != 0 {
        names.push("broken_redirect");
    }
    c.add_map_len(3);
    c.add_bulk(b"flags");
    c.add_set_len(names.len());
    for n in names {
        c.add_bulk(n.as_bytes());
    }
    c.add_bulk(b"redirect");
    c.add_int(if f & ON != 0 { redirect as i64 } else { -1 });
    c.add_bulk(b"prefixes");
    let prefixes: Vec<Vec<u8>> = prefixes;
    c.add_array_len(prefixes.len());
    for p in prefixes {
        c.add_bulk(&p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_reply_skips_own_writes() {
        let mut keys = BTreeMap::new();
        keys.insert(b"a".to_vec(), 7u64);
        keys.insert(b"b".to_vec(), 0u64);
        assert_eq!(
            broadcast_reply(&keys, None).unwrap(),
            b"*2\r\n$1\r\na\r\n$1\r\nb\r\n".to_vec()
        );
        assert_eq!(
            broadcast_reply(&keys, Some(7)).unwrap(),
            b"*1\r\n$1\r\nb\r\n".to_vec()
        );
        keys.remove(&b"b".to_vec());
        assert!(broadcast_reply(&keys, Some(7)).is_none());
    }

    #[test]
    fn prefixes_overlap_when_one_starts_the_other() {
        assert!(prefix_overlap(b"FOO", b"FOOBAR"));
        assert!(prefix_overlap(b"FOOBAR", b"FOO"));
        assert!(prefix_overlap(b"", b"x"));
        assert!(!prefix_overlap(b"FOO", b"BAR"));
    }

    #[test]
    fn messages_by_protocol() {
        let mut c = Client::fake(1);
        let mut body = Vec::new();
        payload(&Msg::Key(b"k"), 3, &mut body);
        assert!(framed(&c, false, &body).is_none());
        c.resp = 3;
        assert_eq!(
            framed(&c, false, &body).unwrap(),
            b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n".to_vec()
        );
        let mut null2 = Vec::new();
        payload(&Msg::Flush, 2, &mut null2);
        assert_eq!(null2, b"$-1\r\n");
        c.resp = 2;
        c.flags.set(ClientFlags::PUBSUB);
        assert!(framed(&c, true, &body)
            .unwrap()
            .starts_with(b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"));
    }
}

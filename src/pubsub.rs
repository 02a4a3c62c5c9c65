//! Pub/sub (Redis's pubsub.c): channel, pattern and shard-channel subscriptions,
//! PUBLISH/SPUBLISH delivery and the PUBSUB introspection commands. The server
//! keeps channel → subscribers tables; each client keeps its own subscriptions
//! so UNSUBSCRIBE without arguments, CLIENT LIST and disconnection need no scan.
//! Messages are out-of-band pushes: they get through CLIENT REPLY OFF as in Redis.

use std::collections::{HashMap, HashSet};

use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::Server;

/// A subscribed client: its id (slots are reused) and its slab token.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Subscriber {
    id: u64,
    token: usize,
}

/// The server side: who listens where. Subscribers of a channel are kept in
/// subscription order, which is the order messages are delivered in.
#[derive(Default)]
pub struct PubSub {
    channels: HashMap<Vec<u8>, Vec<Subscriber>>,
    shard_channels: HashMap<Vec<u8>, Vec<Subscriber>>,
    patterns: HashMap<Vec<u8>, Vec<Subscriber>>,
    /// Messages for the client running a command, raised where it was not at
    /// hand (see `Server::deliver`), with the receiver's id.
    pending: Vec<(u64, Message)>,
}

/// A published message, framed per receiver (RESP2 or RESP3).
#[derive(Clone)]
enum Message {
    Plain {
        kind: Kind,
        channel: Vec<u8>,
        payload: Vec<u8>,
    },
    Pattern {
        pattern: Vec<u8>,
        channel: Vec<u8>,
        payload: Vec<u8>,
    },
}

impl Message {
    fn frame(&self, resp: u8) -> Vec<u8> {
        match self {
            Message::Plain {
                kind,
                channel,
                payload,
            } => push_message(
                resp,
                &[
                    Item::Bulk(kind.message_msg()),
                    Item::Bulk(channel),
                    Item::Bulk(payload),
                ],
            ),
            Message::Pattern {
                pattern,
                channel,
                payload,
            } => push_message(
                resp,
                &[
                    Item::Bulk(b"pmessage"),
                    Item::Bulk(pattern),
                    Item::Bulk(channel),
                    Item::Bulk(payload),
                ],
            ),
        }
    }
}

impl PubSub {
    /// Messages wait for the running client.
    #[inline]
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }
    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }
}

/// One client's subscriptions. Patterns are a list, as in Redis, so
/// PUNSUBSCRIBE without arguments replies in subscription order.
#[derive(Default)]
pub struct ClientSubs {
    channels: HashSet<Vec<u8>>,
    shard_channels: HashSet<Vec<u8>>,
    patterns: Vec<Vec<u8>>,
}

impl ClientSubs {
    pub fn channels(&self) -> usize {
        self.channels.len()
    }
    pub fn patterns(&self) -> usize {
        self.patterns.len()
    }
    pub fn shard_channels(&self) -> usize {
        self.shard_channels.len()
    }
    /// The per-client bookkeeping Redis counts in a client's memory: a list
    /// node per pattern, a dict entry and slot per channel.
    pub fn memory(&self) -> usize {
        self.patterns.len() * 24
            + (self.channels.len() + self.shard_channels.len()) * 32
            + (self.channels.capacity() + self.shard_channels.capacity()) * 8
    }
}

/// The two families of subscriptions, with their message names (pubsubtype).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Global,
    Shard,
}

impl Kind {
    fn subscribe_msg(self) -> &'static [u8] {
        match self {
            Kind::Global => b"subscribe",
            Kind::Shard => b"ssubscribe",
        }
    }
    fn unsubscribe_msg(self) -> &'static [u8] {
        match self {
            Kind::Global => b"unsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
    fn message_msg(self) -> &'static [u8] {
        match self {
            Kind::Global => b"message",
            Kind::Shard => b"smessage",
        }
    }
}

enum Item<'a> {
    Bulk(&'a [u8]),
    Int(i64),
    Null,
}

/// A push message framed for the receiver's protocol: `*n` in RESP2, `>n` in RESP3.
fn push_message(resp: u8, items: &[Item]) -> Vec<u8> {
    let mut m = Vec::with_capacity(64);
    m.push(if resp >= 3 { b'>' } else { b'*' });
    m.extend_from_slice(items.len().to_string().as_bytes());
    m.extend_from_slice(b"\r\n");
    for it in items {
        match it {
            Item::Bulk(b) => {
                m.push(b'$');
                m.extend_from_slice(b.len().to_string().as_bytes());
                m.extend_from_slice(b"\r\n");
                m.extend_from_slice(b);
                m.extend_from_slice(b"\r\n");
            }
            Item::Int(n) => {
                m.push(b':');
                m.extend_from_slice(n.to_string().as_bytes());
                m.extend_from_slice(b"\r\n");
            }
            Item::Null => m.extend_from_slice(if resp >= 3 { b"_\r\n" } else { b"$-1\r\n" }),
        }
    }
    m
}

fn subs_mut(c: &mut Client) -> &mut ClientSubs {
    c.subs.get_or_insert_with(Default::default)
}

/// clientSubscriptionsCount / clientShardSubscriptionsCount.
fn subscription_count(c: &Client, kind: Kind) -> i64 {
    match (&c.subs, kind) {
        (None, _) => 0,
        (Some(s), Kind::Global) => (s.channels.len() + s.patterns.len()) as i64,
        (Some(s), Kind::Shard) => s.shard_channels.len() as i64,
    }
}

/// Leaves subscribed mode when nothing is left (RESP2 clients may then run any command).
fn update_pubsub_flag(c: &mut Client) {
    let total = c.subs.as_ref().map_or(0, |s| {
        s.channels.len() + s.patterns.len() + s.shard_channels.len()
    });
    if total == 0 {
        c.flags.clear(ClientFlags::PUBSUB);
        c.subs = None;
    } else {
        c.flags.set(ClientFlags::PUBSUB);
    }
}

fn remove_subscriber(table: &mut HashMap<Vec<u8>, Vec<Subscriber>>, name: &[u8], id: u64) {
    if let Some(list) = table.get_mut(name) {
        list.retain(|s| s.id != id);
        if list.is_empty() {
            table.remove(name);
        }
    }
}

impl Server {
    fn pubsub_table(&mut self, kind: Kind) -> &mut HashMap<Vec<u8>, Vec<Subscriber>> {
        match kind {
            Kind::Global => &mut self.pubsub.channels,
            Kind::Shard => &mut self.pubsub.shard_channels,
        }
    }

    fn subscribe_channel(&mut self, c: &mut Client, channel: &[u8], kind: Kind) {
        let subs = subs_mut(c);
        let set = match kind {
            Kind::Global => &mut subs.channels,
            Kind::Shard => &mut subs.shard_channels,
        };
        if set.insert(channel.to_vec()) {
            let me = Subscriber {
                id: c.id,
                token: c.token,
            };
            self.pubsub_table(kind)
                .entry(channel.to_vec())
                .or_default()
                .push(me);
        }
        update_pubsub_flag(c);
        let m = push_message(
            c.resp,
            &[
                Item::Bulk(kind.subscribe_msg()),
                Item::Bulk(channel),
                Item::Int(subscription_count(c, kind)),
            ],
        );
        c.add_push_raw(&m);
    }

    fn unsubscribe_channel(&mut self, c: &mut Client, channel: &[u8], kind: Kind, notify: bool) {
        let removed = match c.subs.as_mut() {
            Some(s) => match kind {
                Kind::Global => s.channels.remove(channel),
                Kind::Shard => s.shard_channels.remove(channel),
            },
            None => false,
        };
        if removed {
            remove_subscriber(self.pubsub_table(kind), channel, c.id);
        }
        if notify {
            let m = push_message(
                c.resp,
                &[
                    Item::Bulk(kind.unsubscribe_msg()),
                    Item::Bulk(channel),
                    Item::Int(subscription_count(c, kind)),
                ],
            );
            c.add_push_raw(&m);
        }
        update_pubsub_flag(c);
    }

    fn unsubscribe_all_channels(&mut self, c: &mut Client, kind: Kind, notify: bool) {
        let names: Vec<Vec<u8>> = match (&c.subs, kind) {
            (None, _) => Vec::new(),
            (Some(s), Kind::Global) => s.channels.iter().cloned().collect(),
            (Some(s), Kind::Shard) => s.shard_channels.iter().cloned().collect(),
        };
        for ch in &names {
            self.unsubscribe_channel(c, ch, kind, notify);
        }
        if notify && names.is_empty() {
            let m = push_message(
                c.resp,
                &[
                    Item::Bulk(kind.unsubscribe_msg()),
                    Item::Null,
                    Item::Int(subscription_count(c, kind)),
                ],
            );
            c.add_push_raw(&m);
        }
    }

    fn subscribe_pattern(&mut self, c: &mut Client, pattern: &[u8]) {
        let subs = subs_mut(c);
        if !subs.patterns.iter().any(|p| p == pattern) {
            subs.patterns.push(pattern.to_vec());
            let me = Subscriber {
                id: c.id,
                token: c.token,
            };
            self.pubsub
                .patterns
                .entry(pattern.to_vec())
                .or_default()
                .push(me);
        }
        update_pubsub_flag(c);
        let m = push_message(
            c.resp,
            &[
                Item::Bulk(b"psubscribe"),
                Item::Bulk(pattern),
                Item::Int(subscription_count(c, Kind::Global)),
            ],
        );
        c.add_push_raw(&m);
    }

    fn unsubscribe_pattern(&mut self, c: &mut Client, pattern: &[u8], notify: bool) {
        let mut removed = false;
        if let Some(s) = c.subs.as_mut() {
            if let Some(i) = s.patterns.iter().position(|p| p == pattern) {
                s.patterns.remove(i);
                removed = true;
            }
        }
        if removed {
            remove_subscriber(&mut self.pubsub.patterns, pattern, c.id);
        }
        if notify {
            let m = push_message(
                c.resp,
                &[
                    Item::Bulk(b"punsubscribe"),
                    Item::Bulk(pattern),
                    Item::Int(subscription_count(c, Kind::Global)),
                ],
            );
            c.add_push_raw(&m);
        }
        update_pubsub_flag(c);
    }

    fn unsubscribe_all_patterns(&mut self, c: &mut Client, notify: bool) {
        let names: Vec<Vec<u8>> = c.subs.as_ref().map_or(Vec::new(), |s| s.patterns.clone());
        for p in &names {
            self.unsubscribe_pattern(c, p, notify);
        }
        if notify && names.is_empty() {
            let m = push_message(
                c.resp,
                &[
                    Item::Bulk(b"punsubscribe"),
                    Item::Null,
                    Item::Int(subscription_count(c, Kind::Global)),
                ],
            );
            c.add_push_raw(&m);
        }
    }

    /// Drops every subscription without replies: the client is closing or RESET.
    pub fn pubsub_forget_client(&mut self, c: &mut Client) {
        if c.subs.is_none() {
            return;
        }
        self.unsubscribe_all_channels(c, Kind::Global, false);
        self.unsubscribe_all_channels(c, Kind::Shard, false);
        self.unsubscribe_all_patterns(c, false);
    }

    /// Appends a message to a subscriber. `current` is the client whose command
    /// is running, when the caller has it: it is out of its slab slot, so it
    /// gets the message directly. A notification raised deep inside a command
    /// has no client at hand: a message for the running client then waits in
    /// `pending` until `pubsub_flush_pending` puts it before the command's reply.
    fn deliver(&mut self, to: Subscriber, current: &mut Option<&mut Client>, msg: &Message) {
        if let Some(cur) = current.as_deref_mut() {
            if to.id == cur.id {
                cur.add_push_raw(&msg.frame(cur.resp));
                return;
            }
        }
        match self.take_client(to.token) {
            Some(mut x) => {
                if x.id == to.id {
                    x.add_push_raw(&msg.frame(x.resp));
                    self.mark_pending_write(&mut x);
                    if self.config.maxmemory_clients_on() {
                        self.account_client_memory(&mut x);
                    }
                }
                self.restore_client(x);
            }
            None => self.pubsub.pending.push((to.id, msg.clone())),
        }
    }

    /// Delivers the messages held for `c` while its command ran, where Redis
    /// would have written them: before the reply the command added after `mark`.
    pub fn pubsub_flush_pending(&mut self, c: &mut Client, mark: usize) {
        let pending = std::mem::take(&mut self.pubsub.pending);
        let mut at = mark.min(c.reply.len()).max(c.sent);
        for (id, msg) in pending {
            if id != c.id {
                continue;
            }
            let m = msg.frame(c.resp);
            let len = c.reply.len();
            c.add_push_raw(&m);
            if c.reply.len() > len && at < len {
                c.reply[at..].rotate_right(m.len());
            }
            at += m.len();
        }
    }

    /// pubsubPublishMessage: delivers to channel subscribers, then (global
    /// channels only) to every matching pattern; returns the receiver count.
    fn publish_message(
        &mut self,
        mut current: Option<&mut Client>,
        channel: &[u8],
        message: &[u8],
        kind: Kind,
    ) -> i64 {
        let mut receivers = 0;
        let targets: Vec<Subscriber> = match kind {
            Kind::Global => self
                .pubsub
                .channels
                .get(channel)
                .cloned()
                .unwrap_or_default(),
            Kind::Shard => self
                .pubsub
                .shard_channels
                .get(channel)
                .cloned()
                .unwrap_or_default(),
        };
        if !targets.is_empty() {
            let msg = Message::Plain {
                kind,
                channel: channel.to_vec(),
                payload: message.to_vec(),
            };
            for t in targets {
                self.deliver(t, &mut current, &msg);
                receivers += 1;
            }
        }
        if kind == Kind::Shard || self.pubsub.patterns.is_empty() {
            return receivers;
        }
        let matching: Vec<(Vec<u8>, Vec<Subscriber>)> = self
            .pubsub
            .patterns
            .iter()
            .filter(|(p, _)| crate::util::glob_match(p, channel, false))
            .map(|(p, l)| (p.clone(), l.clone()))
            .collect();
        for (pattern, list) in matching {
            let msg = Message::Pattern {
                pattern,
                channel: channel.to_vec(),
                payload: message.to_vec(),
            };
            for t in list {
                self.deliver(t, &mut current, &msg);
                receivers += 1;
            }
        }
        receivers
    }

    /// Delivers a message another cluster node received (clusterProcessPacket PUBLISH).
    pub fn pubsub_publish_from_cluster(&mut self, channel: &[u8], message: &[u8], shard: bool) {
        let kind = if shard { Kind::Shard } else { Kind::Global };
        self.publish_message(None, channel, message, kind);
    }

    /// Publishes on behalf of the server itself (keyspace notifications).
    pub fn pubsub_publish(&mut self, channel: &[u8], message: &[u8]) {
        if self.pubsub.channels.is_empty() && self.pubsub.patterns.is_empty() {
            return;
        }
        self.publish_message(None, channel, message, Kind::Global);
    }

    /// The subscriptions of `user_id`'s clients that `allowed` no longer
    /// permits: those clients are disconnected (ACLKillPubsubClientsIfNeeded).
    /// `allowed(name, is_pattern)` answers for the user's new rules.
    pub fn kill_pubsub_clients_of_user(
        &mut self,
        current: &mut Client,
        user_id: u32,
        allowed: &dyn Fn(&[u8], bool) -> bool,
    ) {
        let violates = |x: &Client| -> bool {
            let Some(s) = x.subs.as_ref() else {
                return false;
            };
            s.patterns.iter().any(|p| !allowed(p, true))
                || s.channels.iter().any(|ch| !allowed(ch, false))
                || s.shard_channels.iter().any(|ch| !allowed(ch, false))
        };
        let mut doomed = Vec::new();
        for (key, x) in self.clients.iter() {
            if let Some(x) = x.as_deref() {
                if x.user_id == user_id && !x.is_fake() && violates(x) {
                    doomed.push(key + crate::server::FIRST_CLIENT_TOKEN);
                }
            }
        }
        for token in doomed {
            if let Some(x) = self.take_client(token) {
                self.free_client(x);
            }
        }
        if current.user_id == user_id && violates(current) {
            self.free_client_async(current);
        }
    }
}

/// Subscribing is refused to clients that must not block (scripts), except
/// inside MULTI, with this text (Redis's "... isn't allowed for a DENY BLOCKING client").
fn deny_subscribe(c: &mut Client, name: &str) -> bool {
    if c.flags.has(ClientFlags::DENY_BLOCKING) && !c.flags.has(ClientFlags::MULTI) {
        c.add_error(&format!(
            "{} isn't allowed for a DENY BLOCKING client",
            name
        ));
        return true;
    }
    false
}

pub fn subscribe_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if deny_subscribe(c, "SUBSCRIBE") {
        return;
    }
    for j in 1..argv.len() {
        srv.subscribe_channel(c, argv.get(j), Kind::Global);
    }
}

pub fn ssubscribe_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if deny_subscribe(c, "SSUBSCRIBE") {
        return;
    }
    for j in 1..argv.len() {
        srv.subscribe_channel(c, argv.get(j), Kind::Shard);
    }
}

pub fn psubscribe_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if deny_subscribe(c, "PSUBSCRIBE") {
        return;
    }
    for j in 1..argv.len() {
        srv.subscribe_pattern(c, argv.get(j));
    }
}

pub fn unsubscribe_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() == 1 {
        srv.unsubscribe_all_channels(c, Kind::Global, true);
    } else {
        for j in 1..argv.len() {
            srv.unsubscribe_channel(c, argv.get(j), Kind::Global, true);
        }
    }
}

pub fn sunsubscribe_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() == 1 {
        srv.unsubscribe_all_channels(c, Kind::Shard, true);
    } else {
        for j in 1..argv.len() {
            srv.unsubscribe_channel(c, argv.get(j), Kind::Shard, true);
        }
    }
}

pub fn punsubscribe_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() == 1 {
        srv.unsubscribe_all_patterns(c, true);
    } else {
        for j in 1..argv.len() {
            srv.unsubscribe_pattern(c, argv.get(j), true);
        }
    }
}

pub fn publish_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let n = srv.publish_message(Some(c), argv.get(1), argv.get(2), Kind::Global);
    if srv.cluster.is_some() {
        srv.cluster_propagate_publish(argv.get(1), argv.get(2), false);
    }
    c.add_int(n);
    if !srv.config.cluster_enabled {
        srv.force_propagation_repl();
    }
}

pub fn spublish_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let n = srv.publish_message(Some(c), argv.get(1), argv.get(2), Kind::Shard);
    if srv.cluster.is_some() {
        srv.cluster_propagate_publish(argv.get(1), argv.get(2), true);
    }
    c.add_int(n);
    if !srv.config.cluster_enabled {
        srv.force_propagation_repl();
    }
}

fn reply_channels(
    c: &mut Client,
    table: &HashMap<Vec<u8>, Vec<Subscriber>>,
    pattern: Option<&[u8]>,
) {
    let names: Vec<&Vec<u8>> = table
        .keys()
        .filter(|ch| pattern.map_or(true, |p| crate::util::glob_match(p, ch, false)))
        .collect();
    c.add_array_len(names.len());
    for n in names {
        c.add_bulk(n);
    }
}

fn reply_numsub(c: &mut Client, table: &HashMap<Vec<u8>, Vec<Subscriber>>, argv: &Argv) {
    // A flat array of channel, count pairs in both protocols, as Redis replies.
    c.add_array_len((argv.len() - 2) * 2);
    for j in 2..argv.len() {
        c.add_bulk(argv.get(j));
        c.add_int(table.get(argv.get(j)).map_or(0, |l| l.len()) as i64);
    }
}

pub fn pubsub_channels(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let pattern = (argv.len() > 2).then(|| argv.get(2));
    reply_channels(c, &srv.pubsub.channels, pattern);
}

pub fn pubsub_shardchannels(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let pattern = (argv.len() > 2).then(|| argv.get(2));
    reply_channels(c, &srv.pubsub.shard_channels, pattern);
}

pub fn pubsub_numsub(srv: &mut Server, c: &mut Client, argv: &Argv) {
    reply_numsub(c, &srv.pubsub.channels, argv);
}

pub fn pubsub_shardnumsub(srv: &mut Server, c: &mut Client, argv: &Argv) {
    reply_numsub(c, &srv.pubsub.shard_channels, argv);
}

pub fn pubsub_numpat(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_int(srv.pubsub.patterns.len() as i64);
}

pub fn pubsub_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    crate::commands::command_cmd::reply_help(
        c,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
}

/// processCommand's pub/sub context check: a RESP2 client in subscribed mode
/// may only run these (RESP3 clients get pushes out of band and may run anything).
pub fn allowed_in_subscribed_context(fullname: &str) -> bool {
    matches!(
        fullname,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_frames_follow_the_protocol() {
        let items = [Item::Bulk(b"message"), Item::Bulk(b"ch"), Item::Bulk(b"hi")];
        assert_eq!(
            push_message(2, &items),
            b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n".to_vec()
        );
        assert_eq!(push_message(3, &items)[0], b'>');
        assert_eq!(
            push_message(2, &[Item::Bulk(b"unsubscribe"), Item::Null, Item::Int(0)]),
            b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n".to_vec()
        );
        assert_eq!(
            push_message(3, &[Item::Null, Item::Int(0)]),
            b">2\r\n_\r\n:0\r\n".to_vec()
        );
    }

    #[test]
    fn subscribed_context_allows_only_pubsub_commands() {
        assert!(allowed_in_subscribed_context("ping"));
        assert!(allowed_in_subscribed_context("reset"));
        assert!(!allowed_in_subscribed_context("get"));
        assert!(!allowed_in_subscribed_context("publish"));
    }
}

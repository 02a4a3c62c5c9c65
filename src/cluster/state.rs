//! The cluster's in-memory model (Redis's clusterState / clusterNode): who we are,
//! the nodes we know, who owns each of the 16384 slots, which slots are being
//! imported or migrated, epochs and the overall ok/fail verdict. The bus
//! (src/cluster/bus.rs), nodes.conf (src/cluster/config.rs), the CLUSTER command
//! and command routing all read and change this one structure, which lives in
//! `Server.cluster` when `cluster-enabled yes`.
//!
//! Nodes live in a slab and are referred to by their slab index (`NodeId`) so the
//! slot table is a plain vector of indices; a node's 40-char name maps to its index
//! through `by_name`. Deleting a node clears every index that pointed to it.

use super::CLUSTER_SLOTS;
use slab::Slab;
use std::collections::HashMap;

/// Index of a node in `ClusterState.nodes`.
pub type NodeId = usize;

pub const NAMELEN: usize = 40;
/// Seconds a FORGET-ed name stays banned from gossip (CLUSTER_BLACKLIST_TTL).
pub const BLACKLIST_TTL: i64 = 60;

/// Node flags, with the bus's bit values (cluster.h CLUSTER_NODE_*).
pub mod flags {
    pub const MASTER: u16 = 1;
    pub const SLAVE: u16 = 2;
    pub const PFAIL: u16 = 4;
    pub const FAIL: u16 = 8;
    pub const MYSELF: u16 = 16;
    pub const HANDSHAKE: u16 = 32;
    pub const NOADDR: u16 = 64;
    pub const MEET: u16 = 128;
    pub const MIGRATE_TO: u16 = 256;
    pub const NOFAILOVER: u16 = 512;
}

/// The CLUSTER NODES / nodes.conf flag words, in the order Redis prints them.
pub const FLAG_NAMES: &[(u16, &str)] = &[
    (flags::MYSELF, "myself"),
    (flags::MASTER, "master"),
    (flags::SLAVE, "slave"),
    (flags::PFAIL, "fail?"),
    (flags::FAIL, "fail"),
    (flags::HANDSHAKE, "handshake"),
    (flags::NOADDR, "noaddr"),
    (flags::NOFAILOVER, "nofailover"),
];

/// A slot bitmap as the bus carries it: slot s is byte s/8, bit s%8 from the LSB.
#[derive(Clone, PartialEq, Eq)]
pub struct SlotBitmap(pub Box<[u8; CLUSTER_SLOTS / 8]>);

impl Default for SlotBitmap {
    fn default() -> Self {
        SlotBitmap(Box::new([0u8; CLUSTER_SLOTS / 8]))
    }
}

impl SlotBitmap {
    #[inline]
    pub fn get(&self, s: usize) -> bool {
        self.0[s >> 3] & (1 << (s & 7)) != 0
    }
    #[inline]
    pub fn set(&mut self, s: usize) {
        self.0[s >> 3] |= 1 << (s & 7);
    }
    #[inline]
    pub fn clear(&mut self, s: usize) {
        self.0[s >> 3] &= !(1 << (s & 7));
    }
    pub fn count(&self) -> usize {
        self.0.iter().map(|b| b.count_ones() as usize).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }
    /// Contiguous ranges of set slots, ascending.
    pub fn ranges(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        for s in 0..=CLUSTER_SLOTS {
            let on = s < CLUSTER_SLOTS && self.get(s);
            match (on, start) {
                (true, None) => start = Some(s),
                (false, Some(b)) => {
                    out.push((b, s - 1));
                    start = None;
                }
                _ => {}
            }
        }
        out
    }
}

/// One failure report: `reporter` (a master) said the node was PFAIL/FAIL at `time`.
#[derive(Clone, Debug)]
pub struct FailReport {
    pub reporter: NodeId,
    pub time: i64,
}

/// A node as we know it (clusterNode).
pub struct ClusterNode {
    /// 40 lowercase hex characters (random and temporary while in HANDSHAKE).
    pub name: String,
    pub ctime: i64,
    pub flags: u16,
    pub config_epoch: u64,
    pub slots: SlotBitmap,
    pub numslots: usize,
    /// Its master, for a replica.
    pub replicaof: Option<NodeId>,
    /// Its replicas, for a master.
    pub replicas: Vec<NodeId>,
    /// Unix ms of the PING in flight, 0 when none.
    pub ping_sent: i64,
    pub pong_received: i64,
    /// Unix ms of the last frame of any kind from this node.
    pub data_received: i64,
    pub fail_time: i64,
    /// Last time we voted for a replica of this master.
    pub voted_time: i64,
    pub repl_offset_time: i64,
    /// When this master became orphaned (no working replicas), 0 if not.
    pub orphaned_time: i64,
    /// Replication offset the node advertised in its last header.
    pub repl_offset: i64,
    pub ip: String,
    pub hostname: String,
    pub port: u16,
    pub pport: u16,
    pub cport: u16,
    /// Our outbound bus link to it (a key into `ClusterState.links`).
    pub link: Option<usize>,
    /// Its inbound link to us.
    pub inbound_link: Option<usize>,
    pub fail_reports: Vec<FailReport>,
}

impl ClusterNode {
    pub fn new(name: String, flags: u16, now: i64) -> ClusterNode {
        ClusterNode {
            name,
            ctime: now,
            flags,
            config_epoch: 0,
            slots: SlotBitmap::default(),
            numslots: 0,
            replicaof: None,
            replicas: Vec::new(),
            ping_sent: 0,
            pong_received: 0,
            data_received: 0,
            fail_time: 0,
            voted_time: 0,
            repl_offset_time: 0,
            orphaned_time: 0,
            repl_offset: 0,
            ip: String::new(),
            hostname: String::new(),
            port: 0,
            pport: 0,
            cport: 0,
            link: None,
            inbound_link: None,
            fail_reports: Vec::new(),
        }
    }
    #[inline]
    pub fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
    pub fn is_master(&self) -> bool {
        self.has(flags::MASTER)
    }
    pub fn is_replica(&self) -> bool {
        self.has(flags::SLAVE)
    }
    pub fn is_myself(&self) -> bool {
        self.has(flags::MYSELF)
    }
    pub fn in_handshake(&self) -> bool {
        self.has(flags::HANDSHAKE)
    }
    /// PFAIL or FAIL.
    pub fn is_failing(&self) -> bool {
        self.has(flags::PFAIL | flags::FAIL)
    }
    pub fn is_failed(&self) -> bool {
        self.has(flags::FAIL)
    }
    /// The flags word of CLUSTER NODES ("myself,master", "noflags").
    pub fn flags_string(&self) -> String {
        let words: Vec<&str> = FLAG_NAMES
            .iter()
            .filter(|(f, _)| self.flags & f != 0)
            .map(|(_, n)| *n)
            .collect();
        if words.is_empty() {
            "noflags".into()
        } else {
            words.join(",")
        }
    }
}

/// Who "I" am in the shard.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Master,
    Replica,
}

/// Why a failover cannot proceed (INFO log throttling in Redis's clusterLogCantFailover).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum CantFailover {
    #[default]
    None,
    DataAge,
    WaitingDelay,
    Expired,
    WaitingVotes,
}

/// Manual failover (CLUSTER FAILOVER) progress, on both sides.
#[derive(Default)]
pub struct ManualFailover {
    /// Unix ms deadline; 0 when no manual failover is in progress.
    pub end: i64,
    /// Master side: the replica doing the failover.
    pub replica: Option<NodeId>,
    /// Replica side: the master's offset to reach, -1 while unknown.
    pub master_offset: i64,
    /// Replica side: offsets agree, the election may start.
    pub can_start: bool,
}

/// The whole cluster as this node sees it (clusterState).
pub struct ClusterState {
    pub nodes: Slab<ClusterNode>,
    pub by_name: HashMap<String, NodeId>,
    pub myself: NodeId,
    pub current_epoch: u64,
    pub last_vote_epoch: u64,
    /// CLUSTER_OK (true) or CLUSTER_FAIL.
    pub state_ok: bool,
    /// Masters serving at least one slot.
    pub size: usize,
    pub slots: Vec<Option<NodeId>>,
    pub migrating_slots_to: Vec<Option<NodeId>>,
    pub importing_slots_from: Vec<Option<NodeId>>,
    /// Slots whose owner was seen to stop claiming them (7.0 owner_not_claiming_slot).
    pub owner_not_claiming: SlotBitmap,
    /// Names removed with CLUSTER FORGET, with the unix-seconds expiry of the ban.
    pub blacklist: HashMap<String, i64>,
    /// Failover election (replica side).
    pub failover_auth_time: i64,
    pub failover_auth_count: usize,
    pub failover_auth_sent: bool,
    pub failover_auth_rank: usize,
    pub failover_auth_epoch: u64,
    pub cant_failover_reason: CantFailover,
    pub mf: ManualFailover,
    /// We paused writes for a replica's manual failover.
    pub mf_paused: bool,
    pub cant_failover_logtime: i64,
    pub stats_links_buffer_limit_exceeded: u64,
    /// DEBUG DROP-CLUSTER-PACKET-FILTER: drop received packets of this type (-1: none).
    pub drop_filter: i64,
    /// Messages sent/received by type (CLUSTER INFO stats).
    pub stats_sent: [u64; MSG_TYPE_COUNT],
    pub stats_received: [u64; MSG_TYPE_COUNT],
    pub stat_pfail_nodes: usize,
    /// Deferred work for before-sleep (CLUSTER_TODO_*).
    pub todo: u32,
    /// Bus links; see bus.rs.
    pub links: Slab<super::bus::Link>,
    pub bus_listeners: Vec<mio::net::TcpListener>,
    /// The nodes.conf path (relative to `dir`) and its open, locked handle.
    pub config_file: String,
    pub config_fd: Option<std::fs::File>,
    /// clusterUpdateState bookkeeping: first call time and when we were last in a minority.
    pub first_update_call: i64,
    pub among_minority_time: i64,
    /// clusterCron iteration counter.
    pub cron_iteration: u64,
}

/// Bus message types (cluster.h CLUSTERMSG_TYPE_*), also the stats index.
pub mod msgtype {
    pub const PING: u16 = 0;
    pub const PONG: u16 = 1;
    pub const MEET: u16 = 2;
    pub const FAIL: u16 = 3;
    pub const PUBLISH: u16 = 4;
    pub const FAILOVER_AUTH_REQUEST: u16 = 5;
    pub const FAILOVER_AUTH_ACK: u16 = 6;
    pub const UPDATE: u16 = 7;
    pub const MFSTART: u16 = 8;
    pub const MODULE: u16 = 9;
    pub const PUBLISHSHARD: u16 = 10;
}
pub const MSG_TYPE_COUNT: usize = 11;
pub const MSG_TYPE_NAMES: [&str; MSG_TYPE_COUNT] = [
    "ping",
    "pong",
    "meet",
    "fail",
    "publish",
    "auth-req",
    "auth-ack",
    "update",
    "mfstart",
    "module",
    "publishshard",
];

/// Deferred before-sleep work (CLUSTER_TODO_*).
pub mod todo {
    pub const HANDLE_FAILOVER: u32 = 1;
    pub const UPDATE_STATE: u32 = 2;
    pub const SAVE_CONFIG: u32 = 4;
    pub const FSYNC_CONFIG: u32 = 8;
    pub const HANDLE_MANUALFAILOVER: u32 = 16;
}

impl ClusterState {
    /// A fresh state holding only ourselves, a master named `myname`.
    pub fn new(myname: String, now: i64) -> ClusterState {
        let mut nodes = Slab::new();
        let me = nodes.insert(ClusterNode::new(
            myname.clone(),
            flags::MYSELF | flags::MASTER,
            now,
        ));
        let mut by_name = HashMap::new();
        by_name.insert(myname, me);
        ClusterState {
            nodes,
            by_name,
            myself: me,
            current_epoch: 0,
            last_vote_epoch: 0,
            state_ok: false,
            size: 1,
            slots: vec![None; CLUSTER_SLOTS],
            migrating_slots_to: vec![None; CLUSTER_SLOTS],
            importing_slots_from: vec![None; CLUSTER_SLOTS],
            owner_not_claiming: SlotBitmap::default(),
            blacklist: HashMap::new(),
            failover_auth_time: 0,
            failover_auth_count: 0,
            failover_auth_sent: false,
            failover_auth_rank: 0,
            failover_auth_epoch: 0,
            cant_failover_reason: CantFailover::None,
            mf: ManualFailover {
                master_offset: -1,
                ..Default::default()
            },
            mf_paused: false,
            cant_failover_logtime: 0,
            stats_links_buffer_limit_exceeded: 0,
            drop_filter: -1,
            stats_sent: [0; MSG_TYPE_COUNT],
            stats_received: [0; MSG_TYPE_COUNT],
            stat_pfail_nodes: 0,
            todo: 0,
            links: Slab::new(),
            bus_listeners: Vec::new(),
            config_file: String::from("nodes.conf"),
            config_fd: None,
            first_update_call: 0,
            among_minority_time: 0,
            cron_iteration: 0,
        }
    }

    // ---- read accessors (stable API used by routing and the CLUSTER command) ----

    pub fn node(&self, id: NodeId) -> &ClusterNode {
        &self.nodes[id]
    }
    pub fn node_mut(&mut self, id: NodeId) -> &mut ClusterNode {
        &mut self.nodes[id]
    }
    pub fn me(&self) -> &ClusterNode {
        &self.nodes[self.myself]
    }
    pub fn me_mut(&mut self) -> &mut ClusterNode {
        let m = self.myself;
        &mut self.nodes[m]
    }
    pub fn lookup(&self, name: &[u8]) -> Option<NodeId> {
        std::str::from_utf8(name)
            .ok()
            .and_then(|n| self.by_name.get(n).copied())
    }
    /// The node serving slot `s`, if any.
    pub fn slot_owner(&self, s: usize) -> Option<NodeId> {
        self.slots[s]
    }
    pub fn importing_from(&self, s: usize) -> Option<NodeId> {
        self.importing_slots_from[s]
    }
    pub fn migrating_to(&self, s: usize) -> Option<NodeId> {
        self.migrating_slots_to[s]
    }
    pub fn is_slot_importing(&self, s: usize) -> bool {
        self.importing_slots_from[s].is_some()
    }
    pub fn is_slot_migrating(&self, s: usize) -> bool {
        self.migrating_slots_to[s].is_some()
    }
    pub fn my_role(&self) -> Role {
        if self.me().is_master() {
            Role::Master
        } else {
            Role::Replica
        }
    }
    /// My master when I am a replica.
    pub fn my_master(&self) -> Option<NodeId> {
        if self.me().is_replica() {
            self.me().replicaof
        } else {
            None
        }
    }
    /// The master of my shard: myself, or the master I replicate.
    pub fn my_shard_master(&self) -> NodeId {
        self.my_master().unwrap_or(self.myself)
    }
    /// No owner, or the owner stopped claiming it (isSlotUnclaimed).
    pub fn is_slot_unclaimed(&self, s: usize) -> bool {
        self.slots[s].is_none() || self.owner_not_claiming.get(s)
    }
    pub fn is_ok(&self) -> bool {
        self.state_ok
    }
    /// configEpoch of a node's shard master (what CLUSTER NODES prints for replicas).
    pub fn shard_epoch(&self, id: NodeId) -> u64 {
        let n = &self.nodes[id];
        match n.replicaof {
            Some(m) if n.is_replica() => self.nodes[m].config_epoch,
            _ => n.config_epoch,
        }
    }
    /// clusterGetMaxEpoch: the largest configEpoch known, or currentEpoch if larger.
    pub fn max_epoch_of_nodes(&self) -> u64 {
        self.max_epoch()
    }
    pub fn max_epoch(&self) -> u64 {
        self.nodes
            .iter()
            .map(|(_, n)| n.config_epoch)
            .max()
            .unwrap_or(0)
            .max(self.current_epoch)
    }

    // ---- mutations ----

    pub fn add_node(&mut self, node: ClusterNode) -> NodeId {
        let name = node.name.clone();
        let id = self.nodes.insert(node);
        self.by_name.insert(name, id);
        id
    }

    /// Renames a node (end of a handshake).
    pub fn rename_node(&mut self, id: NodeId, newname: String) {
        let old = std::mem::replace(&mut self.nodes[id].name, newname.clone());
        self.by_name.remove(&old);
        self.by_name.insert(newname, id);
    }

    /// Slot ownership: `false` when the slot was already taken.
    pub fn add_slot(&mut self, id: NodeId, s: usize) -> bool {
        if self.slots[s].is_some() {
            return false;
        }
        let n = &mut self.nodes[id];
        if !n.slots.get(s) {
            n.slots.set(s);
            n.numslots += 1;
        }
        self.owner_not_claiming.clear(s);
        self.slots[s] = Some(id);
        true
    }

    pub fn del_slot(&mut self, s: usize) -> bool {
        let Some(id) = self.slots[s] else {
            return false;
        };
        let n = &mut self.nodes[id];
        if n.slots.get(s) {
            n.slots.clear(s);
            n.numslots -= 1;
        }
        self.owner_not_claiming.clear(s);
        self.slots[s] = None;
        true
    }

    /// Removes every slot of a node; returns how many it had.
    pub fn del_node_slots(&mut self, id: NodeId) -> usize {
        let mut deleted = 0;
        for s in 0..CLUSTER_SLOTS {
            if self.nodes[id].slots.get(s) {
                self.del_slot(s);
                deleted += 1;
            }
        }
        deleted
    }

    /// Makes `replica` one of `master`'s replicas (clusterNodeAddSlave).
    pub fn add_replica(&mut self, master: NodeId, replica: NodeId) {
        if !self.nodes[master].replicas.contains(&replica) {
            self.nodes[master].replicas.push(replica);
            self.nodes[master].flags |= flags::MIGRATE_TO;
        }
    }

    pub fn remove_replica(&mut self, master: NodeId, replica: NodeId) {
        let n = &mut self.nodes[master];
        n.replicas.retain(|&r| r != replica);
        if n.replicas.is_empty() {
            n.flags &= !flags::MIGRATE_TO;
        }
    }

    /// Replicas of `master` that are not FAIL (clusterCountNonFailingSlaves).
    pub fn non_failing_replicas(&self, master: NodeId) -> usize {
        self.nodes[master]
            .replicas
            .iter()
            .filter(|&&r| !self.nodes[r].is_failed())
            .count()
    }

    /// Forgets a node entirely (clusterDelNode): slots, import/migrate marks,
    /// failure reports it made, its place as replica or master. Returns the link
    /// keys the caller must close.
    pub fn del_node(&mut self, id: NodeId) -> Vec<usize> {
        for s in 0..CLUSTER_SLOTS {
            if self.importing_slots_from[s] == Some(id) {
                self.importing_slots_from[s] = None;
            }
            if self.migrating_slots_to[s] == Some(id) {
                self.migrating_slots_to[s] = None;
            }
            if self.slots[s] == Some(id) {
                self.slots[s] = None;
            }
        }
        let ids: Vec<NodeId> = self.nodes.iter().map(|(k, _)| k).collect();
        for k in ids {
            if k == id {
                continue;
            }
            let n = &mut self.nodes[k];
            n.fail_reports.retain(|r| r.reporter != id);
            n.replicas.retain(|&r| r != id);
            if n.replicaof == Some(id) {
                n.replicaof = None;
            }
        }
        let node = self.nodes.remove(id);
        if self.by_name.get(&node.name) == Some(&id) {
            self.by_name.remove(&node.name);
        }
        node.link.into_iter().chain(node.inbound_link).collect()
    }

    /// Node ids, in a stable order (slab order).
    pub fn node_ids(&self) -> Vec<NodeId> {
        self.nodes.iter().map(|(k, _)| k).collect()
    }

    /// Adds or refreshes `reporter`'s failure report about `id`; true if new.
    pub fn add_failure_report(&mut self, id: NodeId, reporter: NodeId, now: i64) -> bool {
        let n = &mut self.nodes[id];
        if let Some(r) = n.fail_reports.iter_mut().find(|r| r.reporter == reporter) {
            r.time = now;
            return false;
        }
        n.fail_reports.push(FailReport {
            reporter,
            time: now,
        });
        true
    }

    pub fn remove_failure_report(&mut self, id: NodeId, reporter: NodeId) -> bool {
        let n = &mut self.nodes[id];
        let before = n.fail_reports.len();
        n.fail_reports.retain(|r| r.reporter != reporter);
        before != n.fail_reports.len()
    }

    /// Drops reports older than `max_age` ms, then counts the rest.
    pub fn count_failure_reports(&mut self, id: NodeId, max_age: i64, now: i64) -> usize {
        let n = &mut self.nodes[id];
        n.fail_reports.retain(|r| now - r.time <= max_age);
        n.fail_reports.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_layout_matches_the_bus() {
        let mut b = SlotBitmap::default();
        b.set(0);
        b.set(7);
        b.set(8);
        assert_eq!(b.0[0], 0x81);
        assert_eq!(b.0[1], 0x01);
        assert_eq!(b.count(), 3);
        assert_eq!(b.ranges(), vec![(0, 0), (7, 8)]);
        b.set(16383);
        assert_eq!(b.ranges().last(), Some(&(16383, 16383)));
    }

    #[test]
    fn slots_and_deletion() {
        let mut st = ClusterState::new("a".repeat(40), 0);
        let other = st.add_node(ClusterNode::new("b".repeat(40), flags::MASTER, 0));
        assert!(st.add_slot(other, 5));
        assert!(!st.add_slot(st.myself, 5));
        st.importing_slots_from[6] = Some(other);
        assert_eq!(st.slot_owner(5), Some(other));
        let r = st.add_node(ClusterNode::new("c".repeat(40), flags::SLAVE, 0));
        st.nodes[r].replicaof = Some(other);
        st.add_replica(other, r);
        assert!(st.node(other).has(flags::MIGRATE_TO));
        st.add_failure_report(other, st.myself, 10);
        st.del_node(r);
        assert!(st.node(other).replicas.is_empty());
        st.del_node(other);
        assert_eq!(st.slot_owner(5), None);
        assert!(!st.is_slot_importing(6));
        assert_eq!(st.lookup("b".repeat(40).as_bytes()), None);
        assert_eq!(st.me().flags_string(), "myself,master");
    }
}

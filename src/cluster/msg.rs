//! Bus messages: building headers, PING/PONG/MEET with gossip and the hostname
//! extension, FAIL, UPDATE, PUBLISH, failover auth and MFSTART; and processing
//! every received frame (clusterProcessPacket). Offsets follow the 7.0 wire
//! layout in shared/specs/cluster-bus.md byte for byte.

use super::bus::HDR_LEN;
use super::state::{flags, msgtype, todo, ClusterNode, ClusterState, NodeId, SlotBitmap, NAMELEN};
use super::CLUSTER_SLOTS;
use crate::server::Server;

const GOSSIP_LEN: usize = 104;
pub const UPDATE_LEN: usize = 4352;
const FLAG0_PAUSED: u8 = 1;
const FLAG0_FORCEACK: u8 = 2;
const FLAG0_EXT_DATA: u8 = 4;
const EXT_HOSTNAME: u16 = 0;

// Header field offsets.
const O_TOTLEN: usize = 4;
const O_VER: usize = 8;
const O_PORT: usize = 10;
const O_TYPE: usize = 12;
const O_COUNT: usize = 14;
const O_CUR_EPOCH: usize = 16;
const O_CFG_EPOCH: usize = 24;
const O_OFFSET: usize = 32;
const O_SENDER: usize = 40;
const O_MYSLOTS: usize = 80;
const O_SLAVEOF: usize = 2128;
const O_MYIP: usize = 2168;
const O_EXTENSIONS: usize = 2214;
const O_PPORT: usize = 2246;
const O_CPORT: usize = 2248;
const O_FLAGS: usize = 2250;
const O_STATE: usize = 2252;
const O_MFLAGS: usize = 2253;

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes(b[o..o + 4].try_into().unwrap())
}
fn be64(b: &[u8], o: usize) -> u64 {
    u64::from_be_bytes(b[o..o + 8].try_into().unwrap())
}
fn put16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_be_bytes());
}
fn put32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_be_bytes());
}
fn put64(b: &mut [u8], o: usize, v: u64) {
    b[o..o + 8].copy_from_slice(&v.to_be_bytes());
}
/// A NUL-terminated string field.
fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}
fn is_null_name(b: &[u8]) -> bool {
    b.iter().all(|&c| c == 0)
}
fn name_str(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Server {
    #[inline]
    pub fn cs(&self) -> &ClusterState {
        self.cluster.as_deref().expect("cluster enabled")
    }
    #[inline]
    pub fn cs_mut(&mut self) -> &mut ClusterState {
        self.cluster.as_deref_mut().expect("cluster enabled")
    }

    /// Our processed replication offset as the header carries it.
    fn cluster_my_offset(&self) -> i64 {
        self.repl.master_repl_offset
    }

    /// clusterBuildMessageHdr: a zeroed header of `len` bytes with our identity.
    pub fn cluster_build_hdr(&self, typ: u16, len: usize) -> Vec<u8> {
        let st = self.cs();
        let me = st.me();
        let master = st.my_shard_master();
        let mut b = vec![0u8; len];
        b[0..4].copy_from_slice(b"RCmb");
        put32(&mut b, O_TOTLEN, len as u32);
        put16(&mut b, O_VER, 1);
        put16(&mut b, O_PORT, me.port);
        put16(&mut b, O_TYPE, typ);
        put64(&mut b, O_CUR_EPOCH, st.current_epoch);
        put64(&mut b, O_CFG_EPOCH, st.node(master).config_epoch);
        put64(&mut b, O_OFFSET, self.cluster_my_offset().max(0) as u64);
        b[O_SENDER..O_SENDER + NAMELEN].copy_from_slice(me.name.as_bytes());
        b[O_MYSLOTS..O_MYSLOTS + 2048].copy_from_slice(&st.node(master).slots.0[..]);
        if let Some(m) = st.my_master() {
            b[O_SLAVEOF..O_SLAVEOF + NAMELEN].copy_from_slice(st.node(m).name.as_bytes());
        }
        if let Some(ip) = self.config.get_str("cluster-announce-ip") {
            if !ip.is_empty() {
                let n = ip.len().min(45);
                b[O_MYIP..O_MYIP + n].copy_from_slice(&ip[..n]);
            }
        }
        put16(&mut b, O_PPORT, me.pport);
        put16(&mut b, O_CPORT, me.cport);
        put16(&mut b, O_FLAGS, me.flags);
        b[O_STATE] = if st.state_ok { 0 } else { 1 };
        if me.is_master() && st.mf.end != 0 {
            b[O_MFLAGS] |= FLAG0_PAUSED;
        }
        b
    }

    fn gossip_entry(b: &mut Vec<u8>, n: &ClusterNode) {
        let start = b.len();
        b.resize(start + GOSSIP_LEN, 0);
        let e = &mut b[start..];
        e[0..NAMELEN].copy_from_slice(n.name.as_bytes());
        put32(e, 40, (n.ping_sent / 1000) as u32);
        put32(e, 44, (n.pong_received / 1000) as u32);
        let ip = n.ip.as_bytes();
        let l = ip.len().min(45);
        e[48..48 + l].copy_from_slice(&ip[..l]);
        put16(e, 94, n.port);
        put16(e, 96, n.cport);
        put16(e, 98, n.flags & !flags::MYSELF);
        put16(e, 100, n.pport);
    }

    /// clusterSendPing: PING, PONG or MEET on a link, with gossip about a few
    /// random nodes plus every PFAIL node, and the hostname extension if set.
    pub fn cluster_send_ping(&mut self, link: usize, typ: u16) {
        let now = crate::util::mstime();
        let st = self.cs();
        let Some(l) = st.links.get(link) else {
            return;
        };
        let link_node = l.node;
        let link_inbound = l.inbound;
        let known = st.nodes.len();
        let mut freshnodes = known as isize - 2;
        let mut wanted = (known / 10).max(3) as isize;
        if wanted > freshnodes {
            wanted = freshnodes;
        }
        let pfail_wanted = st.stat_pfail_nodes;
        let mut b = self.cluster_build_hdr(typ, HDR_LEN);
        let mut chosen: Vec<NodeId> = Vec::new();
        let ids = st.node_ids();
        let mut rng = crate::util::Rng::new();
        let mut maxiter = wanted * 3;
        while freshnodes > 0 && (chosen.len() as isize) < wanted && maxiter > 0 {
            maxiter -= 1;
            let id = ids[rng.below(ids.len() as u64) as usize];
            let n = st.node(id);
            if id == st.myself || n.has(flags::PFAIL) {
                continue;
            }
            if n.has(flags::HANDSHAKE | flags::NOADDR) || (n.link.is_none() && n.numslots == 0) {
                freshnodes -= 1;
                continue;
            }
            if chosen.contains(&id) {
                continue;
            }
            chosen.push(id);
            freshnodes -= 1;
        }
        let mut pfail_added = 0;
        for &id in &ids {
            if pfail_added >= pfail_wanted {
                break;
            }
            let n = st.node(id);
            if !n.has(flags::PFAIL) || n.has(flags::HANDSHAKE | flags::NOADDR) {
                continue;
            }
            chosen.push(id);
            pfail_added += 1;
        }
        for &id in &chosen {
            Self::gossip_entry(&mut b, st.node(id));
        }
        put16(&mut b, O_COUNT, chosen.len() as u16);
        let host = &st.me().hostname;
        if !host.is_empty() {
            let payload = (host.len() + 1).div_ceil(8) * 8;
            let extlen = 8 + payload;
            let start = b.len();
            b.resize(start + extlen, 0);
            put32(&mut b, start, extlen as u32);
            put16(&mut b, start + 4, EXT_HOSTNAME);
            b[start + 8..start + 8 + host.len()].copy_from_slice(host.as_bytes());
            put16(&mut b, O_EXTENSIONS, 1);
            b[O_MFLAGS] |= FLAG0_EXT_DATA;
        }
        let total = b.len() as u32;
        put32(&mut b, O_TOTLEN, total);
        // A PING on our outbound link starts the wait for its PONG.
        if let Some(n) = link_node {
            if !link_inbound && typ == msgtype::PING {
                let st = self.cs_mut();
                if st.nodes.contains(n) && st.nodes[n].ping_sent == 0 {
                    st.nodes[n].ping_sent = now;
                }
            }
        }
        self.link_send(link, &b);
    }

    /// Sends a message to every node we have an outbound link to (clusterBroadcastMessage).
    pub fn cluster_broadcast(&mut self, msg: &[u8]) {
        let links: Vec<usize> = {
            let st = self.cs();
            st.nodes
                .iter()
                .filter(|(_, n)| !n.is_myself() && !n.in_handshake())
                .filter_map(|(_, n)| n.link)
                .collect()
        };
        for l in links {
            self.link_send(l, msg);
        }
    }

    /// clusterBroadcastPong: to all nodes, or only to my shard's replicas.
    pub fn cluster_broadcast_pong(&mut self, local_replicas_only: bool) {
        let links: Vec<usize> = {
            let st = self.cs();
            let master = st.my_shard_master();
            st.nodes
                .iter()
                .filter(|(_, n)| !n.is_myself() && !n.in_handshake())
                .filter(|(_, n)| {
                    !local_replicas_only || (n.is_replica() && n.replicaof == Some(master))
                })
                .filter_map(|(_, n)| n.link)
                .collect()
        };
        for l in links {
            self.cluster_send_ping(l, msgtype::PONG);
        }
    }

    pub fn cluster_send_fail(&mut self, id: NodeId) {
        let mut b = self.cluster_build_hdr(msgtype::FAIL, HDR_LEN + NAMELEN);
        let name = self.cs().node(id).name.clone();
        b[HDR_LEN..HDR_LEN + NAMELEN].copy_from_slice(name.as_bytes());
        self.cluster_broadcast(&b);
    }

    pub fn cluster_send_update(&mut self, link: Option<usize>, about: NodeId) {
        let Some(link) = link else {
            return;
        };
        let mut b = self.cluster_build_hdr(msgtype::UPDATE, UPDATE_LEN);
        let st = self.cs();
        let n = st.node(about);
        put64(&mut b, HDR_LEN, n.config_epoch);
        b[HDR_LEN + 8..HDR_LEN + 48].copy_from_slice(n.name.as_bytes());
        let mut slots = n.slots.clone();
        // 7.0 leaves out slots the owner stopped claiming.
        for s in 0..CLUSTER_SLOTS {
            if st.owner_not_claiming.get(s) {
                slots.clear(s);
            }
        }
        b[HDR_LEN + 48..HDR_LEN + 48 + 2048].copy_from_slice(&slots.0[..]);
        self.link_send(link, &b);
    }

    /// PUBLISH / SPUBLISH over the bus (clusterPropagatePublish).
    pub fn cluster_propagate_publish(&mut self, channel: &[u8], message: &[u8], shard: bool) {
        if self.cluster.is_none() {
            return;
        }
        let typ = if shard {
            msgtype::PUBLISHSHARD
        } else {
            msgtype::PUBLISH
        };
        let mut b = self.cluster_build_hdr(typ, HDR_LEN + 8 + channel.len() + message.len());
        put32(&mut b, HDR_LEN, channel.len() as u32);
        put32(&mut b, HDR_LEN + 4, message.len() as u32);
        b[HDR_LEN + 8..HDR_LEN + 8 + channel.len()].copy_from_slice(channel);
        b[HDR_LEN + 8 + channel.len()..].copy_from_slice(message);
        if !shard {
            self.cluster_broadcast(&b);
            return;
        }
        // The other members of my shard.
        let links: Vec<usize> = {
            let st = self.cs();
            let master = st.my_shard_master();
            let mut members = vec![master];
            members.extend(st.node(master).replicas.iter().copied());
            members
                .into_iter()
                .filter(|&m| m != st.myself)
                .filter_map(|m| st.node(m).link)
                .collect()
        };
        for l in links {
            self.link_send(l, &b);
        }
    }

    pub fn cluster_send_mfstart(&mut self, to: NodeId) {
        let Some(link) = self.cs().node(to).link else {
            return;
        };
        let b = self.cluster_build_hdr(msgtype::MFSTART, HDR_LEN);
        self.link_send(link, &b);
    }

    pub fn cluster_request_failover_auth(&mut self) {
        let mut b = self.cluster_build_hdr(msgtype::FAILOVER_AUTH_REQUEST, HDR_LEN);
        if self.cs().mf.end != 0 {
            b[O_MFLAGS] |= FLAG0_FORCEACK;
        }
        self.cluster_broadcast(&b);
    }

    fn cluster_send_auth_ack(&mut self, to: NodeId) {
        let Some(link) = self.cs().node(to).link else {
            return;
        };
        let b = self.cluster_build_hdr(msgtype::FAILOVER_AUTH_ACK, HDR_LEN);
        self.link_send(link, &b);
    }

    /// Processes one complete frame; false when the link was freed meanwhile.
    pub fn cluster_process_packet(&mut self, link: usize, f: &[u8]) -> bool {
        let now = crate::util::mstime();
        let totlen = f.len();
        let typ = be16(f, O_TYPE);
        {
            let st = self.cs_mut();
            if (typ as usize) < st.stats_received.len() {
                st.stats_received[typ as usize] += 1;
            }
        }
        if be16(f, O_VER) != 1 {
            return true;
        }
        if self.cs().drop_filter == typ as i64 {
            log::warn!("Dropping packet that matches debug drop filter");
            return true;
        }
        let hflags = be16(f, O_FLAGS);
        let extensions = be16(f, O_EXTENSIONS);
        let count = be16(f, O_COUNT) as usize;
        let explen = match typ {
            msgtype::PING | msgtype::PONG | msgtype::MEET => {
                let mut explen = HDR_LEN + GOSSIP_LEN * count;
                if f[O_MFLAGS] & FLAG0_EXT_DATA != 0 {
                    let mut n = extensions;
                    while n > 0 {
                        n -= 1;
                        if explen + 8 > totlen {
                            log::warn!("Received invalid {} packet with extension data that exceeds total packet length ({})", type_name(typ), totlen);
                            return true;
                        }
                        let extlen = be32(f, explen) as usize;
                        if extlen % 8 != 0 {
                            log::warn!(
                                "Received a {} packet without proper padding ({} bytes)",
                                type_name(typ),
                                extlen
                            );
                            return true;
                        }
                        if totlen - explen < extlen || extlen < 8 {
                            log::warn!("Received invalid {} packet with extension data that exceeds total packet length ({})", type_name(typ), totlen);
                            return true;
                        }
                        explen += extlen;
                    }
                }
                explen
            }
            msgtype::FAIL => HDR_LEN + NAMELEN,
            msgtype::PUBLISH | msgtype::PUBLISHSHARD => {
                if totlen < HDR_LEN + 8 {
                    HDR_LEN + 8
                } else {
                    HDR_LEN + 8 + be32(f, HDR_LEN) as usize + be32(f, HDR_LEN + 4) as usize
                }
            }
            msgtype::FAILOVER_AUTH_REQUEST | msgtype::FAILOVER_AUTH_ACK | msgtype::MFSTART => {
                HDR_LEN
            }
            msgtype::UPDATE => UPDATE_LEN,
            msgtype::MODULE => {
                if totlen < HDR_LEN + 13 {
                    HDR_LEN + 13
                } else {
                    HDR_LEN + 13 + be32(f, HDR_LEN + 8) as usize
                }
            }
            _ => totlen,
        };
        if totlen != explen {
            log::warn!(
                "Received invalid {} packet of length {} but expected length {}",
                type_name(typ),
                totlen,
                explen
            );
            return true;
        }
        let sender_name = &f[O_SENDER..O_SENDER + NAMELEN];
        // getNodeFromLinkAndMsg.
        let (link_node, inbound) = {
            let l = &self.cs().links[link];
            (l.node, l.inbound)
        };
        let sender: Option<NodeId> = {
            let st = self.cs_mut();
            match link_node {
                Some(n) if !st.nodes[n].in_handshake() => Some(n),
                _ => {
                    let s = st.lookup(sender_name);
                    if let (Some(s), None) = (s, link_node) {
                        // Bind the inbound link to its node, replacing an older one.
                        let old = st.nodes[s].inbound_link;
                        st.nodes[s].inbound_link = Some(link);
                        st.links[link].node = Some(s);
                        if let Some(o) = old {
                            if o != link {
                                self.link_free(o);
                            }
                        }
                    }
                    s
                }
            }
        };
        let mut sender_cfg_epoch = 0u64;
        let mut sender_cur_epoch = 0u64;
        if let Some(s) = sender {
            let st = self.cs_mut();
            st.nodes[s].data_received = now;
            if !st.nodes[s].in_handshake() {
                sender_cur_epoch = be64(f, O_CUR_EPOCH);
                sender_cfg_epoch = be64(f, O_CFG_EPOCH);
                if sender_cur_epoch > st.current_epoch {
                    st.current_epoch = sender_cur_epoch;
                }
                if sender_cfg_epoch > st.nodes[s].config_epoch {
                    st.nodes[s].config_epoch = sender_cfg_epoch;
                    st.todo |= todo::SAVE_CONFIG | todo::FSYNC_CONFIG;
                }
                st.nodes[s].repl_offset = be64(f, O_OFFSET) as i64;
                st.nodes[s].repl_offset_time = now;
                if st.mf.end != 0
                    && st.me().is_replica()
                    && st.me().replicaof == Some(s)
                    && f[O_MFLAGS] & FLAG0_PAUSED != 0
                    && st.mf.master_offset == -1
                {
                    st.mf.master_offset = st.nodes[s].repl_offset;
                    st.todo |= todo::HANDLE_MANUALFAILOVER;
                    log::warn!(
                        "Received replication offset for paused master manual failover: {}",
                        st.mf.master_offset
                    );
                }
            }
        }

        if typ == msgtype::PING || typ == msgtype::MEET {
            let announce = self
                .config
                .get_str("cluster-announce-ip")
                .unwrap_or_default();
            let st = self.cs_mut();
            if (typ == msgtype::MEET || st.me().ip.is_empty()) && announce.is_empty() {
                let ip = st.links[link].local_ip.clone();
                if !ip.is_empty() && ip != st.me().ip {
                    st.me_mut().ip = ip.clone();
                    log::warn!("IP address for this node updated to {}", ip);
                    st.todo |= todo::SAVE_CONFIG;
                }
            }
            if sender.is_none() && typ == msgtype::MEET {
                let mut n = ClusterNode::new(crate::util::random_hex(40), flags::HANDSHAKE, now);
                n.ip = node_ip(f, &st.links[link].peer_ip);
                n.port = be16(f, O_PORT);
                n.pport = be16(f, O_PPORT);
                n.cport = be16(f, O_CPORT);
                st.add_node(n);
                st.todo |= todo::SAVE_CONFIG;
                self.cluster_process_gossip(f, None);
            }
            self.cluster_send_ping(link, msgtype::PONG);
            if !self.cs().links.contains(link) {
                return false;
            }
        }

        match typ {
            msgtype::PING | msgtype::PONG | msgtype::MEET => {
                if !inbound {
                    let Some(ln) = link_node else {
                        return true;
                    };
                    if self.cs().node(ln).in_handshake() {
                        if let Some(s) = sender {
                            log::info!(
                                "Handshake: we already know node {}, updating the address if needed.",
                                self.cs().node(s).name
                            );
                            if self.node_update_address_if_needed(s, link, f) {
                                self.cluster_todo(todo::SAVE_CONFIG | todo::UPDATE_STATE);
                            }
                            self.cluster_del_node(ln);
                            return false;
                        }
                        let st = self.cs_mut();
                        st.rename_node(ln, name_str(sender_name));
                        log::debug!("Handshake with node {} completed.", st.nodes[ln].name);
                        st.nodes[ln].flags &= !flags::HANDSHAKE;
                        st.nodes[ln].flags |= hflags & (flags::MASTER | flags::SLAVE);
                        st.todo |= todo::SAVE_CONFIG;
                    } else if self.cs().node(ln).name.as_bytes() != sender_name {
                        let st = self.cs_mut();
                        let n = &mut st.nodes[ln];
                        n.flags |= flags::NOADDR;
                        n.ip.clear();
                        n.port = 0;
                        n.pport = 0;
                        n.cport = 0;
                        st.todo |= todo::SAVE_CONFIG;
                        self.link_free(link);
                        return false;
                    }
                }
                if let Some(s) = sender {
                    let n = &mut self.cs_mut().nodes[s];
                    n.flags = (n.flags & !flags::NOFAILOVER) | (hflags & flags::NOFAILOVER);
                }
                if let Some(s) = sender {
                    if typ == msgtype::PING
                        && !self.cs().node(s).in_handshake()
                        && self.node_update_address_if_needed(s, link, f)
                    {
                        self.cluster_todo(todo::SAVE_CONFIG | todo::UPDATE_STATE);
                    }
                }
                if !inbound && typ == msgtype::PONG {
                    if let Some(ln) = self.cs().links.get(link).and_then(|l| l.node) {
                        let st = self.cs_mut();
                        st.nodes[ln].pong_received = now;
                        st.nodes[ln].ping_sent = 0;
                        if st.nodes[ln].has(flags::PFAIL) {
                            st.nodes[ln].flags &= !flags::PFAIL;
                            st.todo |= todo::SAVE_CONFIG | todo::UPDATE_STATE;
                        } else if st.nodes[ln].has(flags::FAIL) {
                            self.clear_node_failure_if_needed(ln);
                        }
                    }
                }
                // Role switch.
                if let Some(s) = sender {
                    let slaveof = &f[O_SLAVEOF..O_SLAVEOF + NAMELEN];
                    if is_null_name(slaveof) {
                        self.cluster_set_node_as_master(s);
                    } else {
                        let st = self.cs_mut();
                        let master = st.lookup(slaveof);
                        if st.nodes[s].is_master() {
                            st.del_node_slots(s);
                            st.nodes[s].flags &= !(flags::MASTER | flags::MIGRATE_TO);
                            st.nodes[s].flags |= flags::SLAVE;
                            st.todo |= todo::SAVE_CONFIG | todo::UPDATE_STATE;
                        }
                        if let Some(m) = master {
                            if st.nodes[s].replicaof != Some(m) {
                                if let Some(old) = st.nodes[s].replicaof {
                                    st.remove_replica(old, s);
                                }
                                st.add_replica(m, s);
                                st.nodes[s].replicaof = Some(m);
                                st.todo |= todo::SAVE_CONFIG;
                            }
                        }
                    }
                }
                let mut myslots = SlotBitmap::default();
                myslots.0.copy_from_slice(&f[O_MYSLOTS..O_MYSLOTS + 2048]);
                let mut dirty = false;
                if let Some(s) = sender {
                    let st = self.cs();
                    let sm = if st.node(s).is_master() {
                        Some(s)
                    } else {
                        st.node(s).replicaof
                    };
                    if let Some(sm) = sm {
                        dirty = st.node(sm).slots != myslots;
                    }
                }
                if let Some(s) = sender {
                    if self.cs().node(s).is_master() && dirty {
                        self.cluster_update_slots_config_with(s, sender_cfg_epoch, &myslots);
                    }
                }
                if let Some(s) = sender {
                    if dirty && self.cluster.is_some() && self.cs().nodes.contains(s) {
                        let st = self.cs();
                        let mut upd = None;
                        for j in 0..CLUSTER_SLOTS {
                            if !myslots.get(j) {
                                continue;
                            }
                            if st.slots[j] == Some(s) || st.is_slot_unclaimed(j) {
                                continue;
                            }
                            let owner = st.slots[j].unwrap();
                            if st.node(owner).config_epoch > sender_cfg_epoch {
                                upd = Some(owner);
                                break;
                            }
                        }
                        if let Some(owner) = upd {
                            let l = st.node(s).link;
                            self.cluster_send_update(l, owner);
                        }
                    }
                }
                if let Some(s) = sender {
                    let st = self.cs();
                    if st.nodes.contains(s)
                        && st.me().is_master()
                        && st.node(s).is_master()
                        && sender_cfg_epoch == st.me().config_epoch
                    {
                        self.cluster_handle_config_epoch_collision(s);
                    }
                }
                if let Some(s) = sender {
                    if self.cs().nodes.contains(s) {
                        self.cluster_process_gossip(f, Some(s));
                        self.cluster_process_ping_ext(f, s);
                    }
                }
            }
            msgtype::FAIL => {
                let Some(_) = sender else {
                    log::info!(
                        "Ignoring FAIL message from unknown node {} about {}",
                        name_str(sender_name),
                        name_str(&f[HDR_LEN..HDR_LEN + NAMELEN])
                    );
                    return true;
                };
                let st = self.cs_mut();
                if let Some(failing) = st.lookup(&f[HDR_LEN..HDR_LEN + NAMELEN]) {
                    if !st.nodes[failing].has(flags::FAIL | flags::MYSELF) {
                        log::info!(
                            "FAIL message received from {} about {}",
                            name_str(sender_name),
                            st.nodes[failing].name
                        );
                        let n = &mut st.nodes[failing];
                        n.flags |= flags::FAIL;
                        n.fail_time = now;
                        n.flags &= !flags::PFAIL;
                        st.todo |= todo::SAVE_CONFIG | todo::UPDATE_STATE;
                    }
                }
            }
            msgtype::PUBLISH | msgtype::PUBLISHSHARD => {
                if sender.is_none() {
                    return true;
                }
                let cl = be32(f, HDR_LEN) as usize;
                let channel = &f[HDR_LEN + 8..HDR_LEN + 8 + cl];
                let message = &f[HDR_LEN + 8 + cl..];
                self.pubsub_publish_from_cluster(channel, message, typ == msgtype::PUBLISHSHARD);
            }
            msgtype::FAILOVER_AUTH_REQUEST => {
                if let Some(s) = sender {
                    self.cluster_send_failover_auth_if_needed(s, f);
                }
            }
            msgtype::FAILOVER_AUTH_ACK => {
                if let Some(s) = sender {
                    let st = self.cs_mut();
                    if st.nodes[s].is_master()
                        && st.nodes[s].numslots > 0
                        && sender_cur_epoch >= st.failover_auth_epoch
                    {
                        st.failover_auth_count += 1;
                        st.todo |= todo::HANDLE_FAILOVER;
                    }
                }
            }
            msgtype::MFSTART => {
                let Some(s) = sender else {
                    return true;
                };
                if self.cs().node(s).replicaof != Some(self.cs().myself)
                    || !self.cs().node(s).is_replica()
                {
                    return true;
                }
                self.reset_manual_failover();
                let st = self.cs_mut();
                st.mf.end = now + super::failover::MF_TIMEOUT;
                st.mf.replica = Some(s);
                let name = st.nodes[s].name.clone();
                self.pause_writes_for_failover(now + super::failover::MF_TIMEOUT * 2);
                log::warn!("Manual failover requested by replica {}.", name);
                self.cluster_send_ping(link, msgtype::PING);
            }
            msgtype::UPDATE => {
                if sender.is_none() {
                    return true;
                }
                let reported = be64(f, HDR_LEN);
                let st = self.cs_mut();
                let Some(n) = st.lookup(&f[HDR_LEN + 8..HDR_LEN + 48]) else {
                    return true;
                };
                if st.nodes[n].config_epoch >= reported {
                    return true;
                }
                if st.nodes[n].is_replica() {
                    self.cluster_set_node_as_master(n);
                }
                let st = self.cs_mut();
                st.nodes[n].config_epoch = reported;
                st.todo |= todo::SAVE_CONFIG | todo::FSYNC_CONFIG;
                let mut slots = SlotBitmap::default();
                slots
                    .0
                    .copy_from_slice(&f[HDR_LEN + 48..HDR_LEN + 48 + 2048]);
                self.cluster_update_slots_config_with(n, reported, &slots);
            }
            msgtype::MODULE => {
                // No module API here: nothing subscribes to module messages.
            }
            _ => {
                log::warn!("Received unknown packet type: {}", typ);
            }
        }
        self.cluster.is_some() && self.cs().links.contains(link)
    }

    /// nodeUpdateAddressIfNeeded: true if the address changed.
    fn node_update_address_if_needed(&mut self, id: NodeId, link: usize, f: &[u8]) -> bool {
        let st = self.cs();
        if id == st.myself {
            return false;
        }
        // An inbound link's own binding does not prove the address.
        if st.node(id).link == Some(link) {
            return false;
        }
        let ip = node_ip(f, &st.links[link].peer_ip);
        let port = be16(f, O_PORT);
        let pport = be16(f, O_PPORT);
        let cport = be16(f, O_CPORT);
        let n = st.node(id);
        if n.port == port && n.cport == cport && n.pport == pport && n.ip == ip {
            return false;
        }
        let st = self.cs_mut();
        let n = &mut st.nodes[id];
        n.ip = ip.clone();
        n.port = port;
        n.pport = pport;
        n.cport = cport;
        n.flags &= !flags::NOADDR;
        let old = n.link.take();
        log::warn!(
            "Address updated for node {} (), now {}:{}",
            n.name,
            ip,
            port
        );
        if let Some(o) = old {
            self.link_free(o);
        }
        if self.cs().my_master() == Some(id) {
            self.set_master(ip, port, false);
        }
        true
    }

    /// clusterProcessGossipSection.
    fn cluster_process_gossip(&mut self, f: &[u8], sender: Option<NodeId>) {
        let count = be16(f, O_COUNT) as usize;
        let now = crate::util::mstime();
        let node_timeout = self.cluster_node_timeout();
        for i in 0..count {
            let e = &f[HDR_LEN + i * GOSSIP_LEN..HDR_LEN + (i + 1) * GOSSIP_LEN];
            let gname = &e[0..NAMELEN];
            let gflags = be16(e, 98);
            let gip = cstr(&e[48..94]);
            let gport = be16(e, 94);
            let gcport = be16(e, 96);
            let gpport = be16(e, 100);
            let st = self.cs_mut();
            let node = st.lookup(gname);
            if let Some(n) = node {
                if let Some(s) = sender {
                    if st.nodes[s].is_master() && n != st.myself {
                        if gflags & (flags::FAIL | flags::PFAIL) != 0 {
                            if st.add_failure_report(n, s, now) {
                                log::debug!(
                                    "Node {} reported node {} as not reachable.",
                                    st.nodes[s].name,
                                    st.nodes[n].name
                                );
                            }
                            self.mark_node_as_failing_if_needed(n);
                        } else if st.remove_failure_report(n, s) {
                            log::debug!(
                                "Node {} reported node {} is back online.",
                                st.nodes[s].name,
                                st.nodes[n].name
                            );
                        }
                    }
                }
                let st = self.cs_mut();
                let nn = &mut st.nodes[n];
                if gflags & (flags::FAIL | flags::PFAIL) == 0
                    && nn.ping_sent == 0
                    && nn.fail_reports.is_empty()
                {
                    let pongtime = be32(e, 44) as i64 * 1000;
                    if pongtime <= now + 500 && pongtime > nn.pong_received {
                        nn.pong_received = pongtime;
                    }
                }
                if nn.has(flags::FAIL | flags::PFAIL)
                    && gflags & flags::NOADDR == 0
                    && gflags & (flags::FAIL | flags::PFAIL) == 0
                    && (nn.ip != gip || nn.port != gport || nn.cport != gcport)
                {
                    let old = nn.link.take();
                    nn.ip = gip;
                    nn.port = gport;
                    nn.pport = gpport;
                    nn.cport = gcport;
                    nn.flags &= !flags::NOADDR;
                    if let Some(o) = old {
                        self.link_free(o);
                    }
                }
                let _ = node_timeout;
            } else if sender.is_some()
                && gflags & flags::NOADDR == 0
                && !st.blacklist.contains_key(&name_str(gname))
                && super::config::valid_name(gname)
            {
                let mut n = ClusterNode::new(name_str(gname), gflags & !flags::MYSELF, now);
                n.flags &= !(flags::PFAIL | flags::FAIL | flags::MIGRATE_TO | flags::MEET);
                n.ip = gip;
                n.port = gport;
                n.pport = gpport;
                n.cport = gcport;
                st.add_node(n);
                st.todo |= todo::SAVE_CONFIG;
            }
        }
    }

    fn cluster_process_ping_ext(&mut self, f: &[u8], sender: NodeId) {
        let count = be16(f, O_COUNT) as usize;
        let mut hostname = String::new();
        if f[O_MFLAGS] & FLAG0_EXT_DATA != 0 {
            let mut off = HDR_LEN + GOSSIP_LEN * count;
            let mut n = be16(f, O_EXTENSIONS);
            while n > 0 && off + 8 <= f.len() {
                n -= 1;
                let len = be32(f, off) as usize;
                let t = be16(f, off + 4);
                if t == EXT_HOSTNAME {
                    hostname = cstr(&f[off + 8..off + len]);
                } else if t > 3 {
                    log::warn!("Received unknown extension type {}", t);
                }
                off += len;
            }
        }
        let st = self.cs_mut();
        if st.nodes[sender].hostname != hostname {
            st.nodes[sender].hostname = hostname;
            st.todo |= todo::SAVE_CONFIG;
        }
    }

    /// clusterSetNodeAsMaster (for another node).
    pub fn cluster_set_node_as_master(&mut self, n: NodeId) {
        let st = self.cs_mut();
        if st.nodes[n].is_master() {
            return;
        }
        if let Some(m) = st.nodes[n].replicaof {
            st.remove_replica(m, n);
            if n != st.myself {
                st.nodes[n].flags |= flags::MIGRATE_TO;
            }
        }
        st.nodes[n].flags &= !flags::SLAVE;
        st.nodes[n].flags |= flags::MASTER;
        st.nodes[n].replicaof = None;
        st.todo |= todo::SAVE_CONFIG | todo::UPDATE_STATE;
    }

    /// clusterUpdateSlotsConfigWith.
    pub fn cluster_update_slots_config_with(
        &mut self,
        sender: NodeId,
        sender_epoch: u64,
        slots: &SlotBitmap,
    ) {
        let st = self.cs_mut();
        if sender == st.myself {
            log::warn!("Discarding UPDATE message about myself.");
            return;
        }
        let curmaster = st.my_shard_master();
        let mut newmaster = None;
        let mut dirty_slots = Vec::new();
        let mut sender_slots = 0;
        let mut migrated_our_slots = 0;
        for j in 0..CLUSTER_SLOTS {
            if slots.get(j) {
                sender_slots += 1;
                if st.slots[j] == Some(sender) {
                    st.owner_not_claiming.clear(j);
                    continue;
                }
                if st.importing_slots_from[j].is_some() {
                    continue;
                }
                let unclaimed = st.is_slot_unclaimed(j);
                if unclaimed || st.nodes[st.slots[j].unwrap()].config_epoch < sender_epoch {
                    if st.slots[j] == Some(st.myself) && sender != st.myself {
                        dirty_slots.push(j);
                    }
                    if st.slots[j] == Some(curmaster) {
                        newmaster = Some(sender);
                        migrated_our_slots += 1;
                    }
                    st.del_slot(j);
                    st.add_slot(sender, j);
                    st.todo |= todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG;
                }
            } else if st.slots[j] == Some(sender) {
                st.owner_not_claiming.set(j);
            }
        }
        let allow_migration = self.config.get_bool("cluster-allow-replica-migration");
        let st = self.cs();
        if newmaster.is_some()
            && st.node(curmaster).numslots == 0
            && (allow_migration || sender_slots == migrated_our_slots)
        {
            log::warn!(
                "Configuration change detected. Reconfiguring myself as a replica of {}",
                st.node(sender).name
            );
            self.cluster_set_master(sender);
            self.cluster_todo(todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG);
        } else if let Some(gm) = st
            .my_master()
            .and_then(|m| st.node(m).replicaof.filter(|_| st.node(m).is_replica()))
            .filter(|&gm| gm != st.myself)
        {
            log::warn!(
                "I'm a sub-replica! Reconfiguring myself as a replica of grandmaster {}",
                st.node(gm).name
            );
            self.cluster_set_master(gm);
            self.cluster_todo(todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG);
        } else {
            for j in dirty_slots {
                self.cluster_del_keys_in_slot(j);
            }
        }
    }

    /// delKeysInSlot: drops every key of a slot we lost.
    pub fn cluster_del_keys_in_slot(&mut self, slot: usize) -> usize {
        let mut deleted = 0;
        for db in 0..self.dbs.len() {
            let keys = self.dbs[db].keys_in_slot(slot, usize::MAX);
            for k in keys {
                if self.db_delete(db, &k) {
                    deleted += 1;
                    self.dirty += 1;
                }
            }
        }
        deleted
    }

    /// clusterHandleConfigEpochCollision.
    fn cluster_handle_config_epoch_collision(&mut self, sender: NodeId) {
        let st = self.cs_mut();
        if st.nodes[sender].config_epoch != st.me().config_epoch
            || !st.nodes[sender].is_master()
            || !st.me().is_master()
        {
            return;
        }
        if st.nodes[sender].name.as_bytes() <= st.me().name.as_bytes() {
            return;
        }
        st.current_epoch += 1;
        let e = st.current_epoch;
        st.me_mut().config_epoch = e;
        self.cluster_save_config_or_die(true);
        log::info!(
            "WARNING: configEpoch collision with node {}. configEpoch set to {}",
            self.cs().node(sender).name,
            e
        );
    }

    /// clusterSendFailoverAuthIfNeeded: the voting rules.
    fn cluster_send_failover_auth_if_needed(&mut self, node: NodeId, f: &[u8]) {
        let now = crate::util::mstime();
        let node_timeout = self.cluster_node_timeout();
        let st = self.cs();
        let master = st.node(node).replicaof;
        let req_epoch = be64(f, O_CUR_EPOCH);
        let req_cfg_epoch = be64(f, O_CFG_EPOCH);
        let force_ack = f[O_MFLAGS] & FLAG0_FORCEACK != 0;
        if st.me().is_replica() || st.me().numslots == 0 {
            return;
        }
        if req_epoch < st.current_epoch {
            log::warn!(
                "Failover auth denied to {}: reqEpoch ({}) < curEpoch({})",
                st.node(node).name,
                req_epoch,
                st.current_epoch
            );
            return;
        }
        if st.last_vote_epoch == st.current_epoch {
            log::warn!(
                "Failover auth denied to {}: already voted for epoch {}",
                st.node(node).name,
                st.current_epoch
            );
            return;
        }
        let Some(m) = master.filter(|_| st.node(node).is_replica()) else {
            if st.node(node).is_master() {
                log::warn!(
                    "Failover auth denied to {}: it is a master node",
                    st.node(node).name
                );
            } else {
                log::warn!(
                    "Failover auth denied to {}: I don't know its master",
                    st.node(node).name
                );
            }
            return;
        };
        if !st.node(m).is_failed() && !force_ack {
            log::warn!(
                "Failover auth denied to {}: its master is up",
                st.node(node).name
            );
            return;
        }
        if now - st.node(m).voted_time < node_timeout * 2 {
            log::warn!(
                "Failover auth denied to {}: can't vote about this master before {} milliseconds",
                st.node(node).name,
                node_timeout * 2 - (now - st.node(m).voted_time)
            );
            return;
        }
        let mut claimed = SlotBitmap::default();
        claimed.0.copy_from_slice(&f[O_MYSLOTS..O_MYSLOTS + 2048]);
        for j in 0..CLUSTER_SLOTS {
            if !claimed.get(j) || st.is_slot_unclaimed(j) {
                continue;
            }
            let owner = st.slots[j].unwrap();
            if st.node(owner).config_epoch <= req_cfg_epoch {
                continue;
            }
            log::warn!(
                "Failover auth denied to {}: slot {} epoch ({}) > reqEpoch ({})",
                st.node(node).name,
                j,
                st.node(owner).config_epoch,
                req_cfg_epoch
            );
            return;
        }
        let st = self.cs_mut();
        st.last_vote_epoch = st.current_epoch;
        st.nodes[m].voted_time = now;
        let (nm, ep) = (st.nodes[node].name.clone(), st.current_epoch);
        self.cluster_save_config_or_die(true);
        self.cluster_send_auth_ack(node);
        log::warn!("Failover auth granted to {} for epoch {}", nm, ep);
    }

    pub fn cluster_node_timeout(&self) -> i64 {
        self.config.get_i64("cluster-node-timeout")
    }
}

/// The sender's address: the header's myip if set, else the socket peer (nodeIp2String).
fn node_ip(f: &[u8], peer: &str) -> String {
    let ip = cstr(&f[O_MYIP..O_MYIP + 46]);
    if ip.is_empty() {
        peer.to_string()
    } else {
        ip
    }
}

pub fn type_name(t: u16) -> &'static str {
    match t {
        msgtype::PING => "ping",
        msgtype::PONG => "pong",
        msgtype::MEET => "meet",
        msgtype::FAIL => "fail",
        msgtype::PUBLISH => "publish",
        msgtype::PUBLISHSHARD => "publishshard",
        msgtype::FAILOVER_AUTH_REQUEST => "auth-req",
        msgtype::FAILOVER_AUTH_ACK => "auth-ack",
        msgtype::UPDATE => "update",
        msgtype::MFSTART => "mfstart",
        msgtype::MODULE => "module",
        _ => "unknown",
    }
}

//! The CLUSTER command's subcommands (Redis's clusterCommand), one handler each,
//! as the command table in src/commands/table/cluster.rs names them. Replies and
//! error texts are Redis 7.0.15's.

use super::config::node_description;
use super::state::{flags, todo, ClusterNode, NodeId};
use super::CLUSTER_SLOTS;
use crate::commands::command_cmd::reply_help;
use crate::networking::client_cmd::subcommand_syntax_error;
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;

/// Replies the "cluster support disabled" error when cluster mode is off.
fn enabled(srv: &Server, c: &mut Client) -> bool {
    if srv.cluster.is_none() {
        c.add_error("This instance has cluster support disabled");
        return false;
    }
    true
}

/// getSlotOrReply.
fn slot_arg(c: &mut Client, a: &[u8]) -> Option<usize> {
    match crate::util::parse_i64(a) {
        Some(s) if (0..CLUSTER_SLOTS as i64).contains(&s) => Some(s as usize),
        _ => {
            c.add_error("Invalid or out of range slot");
            None
        }
    }
}

fn lookup_or_reply(srv: &Server, c: &mut Client, name: &[u8]) -> Option<NodeId> {
    let n = srv.cs().lookup(name);
    if n.is_none() {
        c.add_error(&format!("Unknown node {}", String::from_utf8_lossy(name)));
    }
    n
}

pub fn cluster_help(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    // clusterCommand refuses every subcommand, HELP too, when cluster mode is off.
    if !enabled(srv, c) {
        return;
    }
    reply_help(
        c,
        "CLUSTER",
        &[
            "ADDSLOTS <slot> [<slot> ...]",
            "    Assign slots to current node.",
            "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
            "    Assign slots which are between <start-slot> and <end-slot> to current node.",
            "BUMPEPOCH",
            "    Advance the cluster config epoch.",
            "COUNT-FAILURE-REPORTS <node-id>",
            "    Return number of failure reports for <node-id>.",
            "COUNTKEYSINSLOT <slot>",
            "    Return the number of keys in <slot>.",
            "DELSLOTS <slot> [<slot> ...]",
            "    Delete slots information from current node.",
            "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
            "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
            "FAILOVER [FORCE|TAKEOVER]",
            "    Promote current replica node to being a master.",
            "FORGET <node-id>",
            "    Remove a node from the cluster.",
            "GETKEYSINSLOT <slot> <count>",
            "    Return key names stored by current node in a slot.",
            "FLUSHSLOTS",
            "    Delete current node own slots information.",
            "INFO",
            "    Return information about the cluster.",
            "KEYSLOT <key>",
            "    Return the hash slot for <key>.",
            "MEET <ip> <port> [<bus-port>]",
            "    Connect nodes into a working cluster.",
            "MYID",
            "    Return the node id.",
            "NODES",
            "    Return cluster configuration seen by node. Output format:",
            "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
            "REPLICATE <node-id>",
            "    Configure current node as replica to <node-id>.",
            "RESET [HARD|SOFT]",
            "    Reset current node (default: soft).",
            "SET-CONFIG-EPOCH <epoch>",
            "    Set config epoch of current node.",
            "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
            "    Set slot state.",
            "REPLICAS <node-id>",
            "    Return <node-id> replicas.",
            "SAVECONFIG",
            "    Force saving cluster configuration on disk.",
            "SLOTS",
            "    Return information about slots range mappings. Each range is made of:",
            "    start, end, master and replicas IP addresses, ports and ids",
            "SHARDS",
            "    Return information about slot range mappings and the nodes associated with them.",
            "LINKS",
            "    Return information about all network links between this node and its peers.",
            "    Output format is an array where each array element is a map containing attributes of a link",
        ],
    );
}

pub fn cluster_meet(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    if argv.len() > 5 {
        subcommand_syntax_error(c, argv);
        return;
    }
    let Some(port) = crate::util::parse_i64(argv.get(3)) else {
        c.add_error(&format!(
            "Invalid TCP base port specified: {}",
            String::from_utf8_lossy(argv.get(3))
        ));
        return;
    };
    let cport = if argv.len() == 5 {
        match crate::util::parse_i64(argv.get(4)) {
            Some(p) => p,
            None => {
                c.add_error(&format!(
                    "Invalid TCP bus port specified: {}",
                    String::from_utf8_lossy(argv.get(4))
                ));
                return;
            }
        }
    } else {
        port + 10000
    };
    let ip = String::from_utf8_lossy(argv.get(2)).into_owned();
    if srv.cluster_start_handshake(&ip, port, cport).is_err() {
        c.add_error(&format!(
            "Invalid node address specified: {}:{}",
            ip,
            String::from_utf8_lossy(argv.get(3))
        ));
        return;
    }
    c.add_ok();
}

impl Server {
    /// clusterStartHandshake: Err for an invalid address; Ok also when a
    /// handshake with that address is already in progress.
    pub fn cluster_start_handshake(&mut self, ip: &str, port: i64, cport: i64) -> Result<(), ()> {
        let Ok(addr) = ip.parse::<std::net::IpAddr>() else {
            return Err(());
        };
        if !(1..=65535).contains(&port) || !(1..=65535).contains(&cport) {
            return Err(());
        }
        // Normalized textual form (inet_ntop), IPv4-mapped addresses as plain IPv4.
        let norm = match addr {
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => v6.to_string(),
            },
            a => a.to_string(),
        };
        let st = self.cs_mut();
        let pending = st.nodes.iter().any(|(_, n)| {
            n.in_handshake()
                && n.ip.eq_ignore_ascii_case(&norm)
                && n.port as i64 == port
                && n.cport as i64 == cport
        });
        if pending {
            return Ok(());
        }
        let mut n = ClusterNode::new(
            crate::util::random_hex(40),
            flags::HANDSHAKE | flags::MEET,
            crate::util::mstime(),
        );
        n.ip = norm;
        n.port = port as u16;
        n.cport = cport as u16;
        st.add_node(n);
        Ok(())
    }

    /// clusterBumpConfigEpochWithoutConsensus: true if the epoch was bumped.
    pub fn cluster_bump_epoch_without_consensus(&mut self) -> bool {
        let st = self.cs_mut();
        let max = st.max_epoch_of_nodes();
        if st.me().config_epoch == 0 || st.me().config_epoch != max {
            st.current_epoch += 1;
            let e = st.current_epoch;
            st.me_mut().config_epoch = e;
            st.todo |= todo::SAVE_CONFIG | todo::FSYNC_CONFIG;
            log::warn!("New configEpoch set to {}", e);
            true
        } else {
            false
        }
    }

    /// clusterReset.
    pub fn cluster_reset(&mut self, hard: bool) {
        if self.cs().me().is_replica() {
            let me = self.cs().myself;
            self.cluster_set_node_as_master(me);
            self.unset_master();
            self.empty_all_data();
        }
        let st = self.cs_mut();
        for s in 0..CLUSTER_SLOTS {
            st.migrating_slots_to[s] = None;
            st.importing_slots_from[s] = None;
        }
        self.reset_manual_failover();
        let st = self.cs_mut();
        for s in 0..CLUSTER_SLOTS {
            st.del_slot(s);
        }
        let me = st.myself;
        for id in st.node_ids() {
            if id != me {
                self.cluster_del_node(id);
            }
        }
        if hard {
            let st = self.cs_mut();
            st.current_epoch = 0;
            st.last_vote_epoch = 0;
            st.me_mut().config_epoch = 0;
            let newname = crate::util::random_hex(40);
            st.rename_node(me, newname.clone());
            log::info!("Node hard reset, now I'm {}", newname);
        }
        self.cluster_save_config_or_die(true);
        self.cluster_todo(todo::UPDATE_STATE);
    }

    /// emptyData for every database (a replica reset by CLUSTER RESET).
    fn empty_all_data(&mut self) {
        for db in 0..self.dbs.len() {
            let keys: Vec<Vec<u8>> = {
                let mut v = Vec::new();
                let mut cursor = 0;
                loop {
                    cursor = self.dbs[db].scan(cursor, |k, _| v.push(k.to_vec()));
                    if cursor == 0 {
                        break;
                    }
                }
                v
            };
            for k in keys {
                self.db_delete(db, &k);
            }
        }
    }

    /// The body of CLUSTER INFO.
    pub fn cluster_info_text(&self) -> String {
        let st = self.cs();
        let (mut assigned, mut ok, mut pfail, mut fail) = (0, 0, 0, 0);
        for s in 0..CLUSTER_SLOTS {
            let Some(n) = st.slots[s] else {
                continue;
            };
            assigned += 1;
            let n = st.node(n);
            if n.is_failed() {
                fail += 1;
            } else if n.has(flags::PFAIL) {
                pfail += 1;
            } else {
                ok += 1;
            }
        }
        let mut out = format!(
            "cluster_state:{}\r\ncluster_slots_assigned:{}\r\ncluster_slots_ok:{}\r\ncluster_slots_pfail:{}\r\ncluster_slots_fail:{}\r\ncluster_known_nodes:{}\r\ncluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\n",
            if st.state_ok { "ok" } else { "fail" },
            assigned,
            ok,
            pfail,
            fail,
            st.nodes.len(),
            st.size,
            st.current_epoch,
            st.shard_epoch(st.myself)
        );
        for (counts, dir) in [(&st.stats_sent, "sent"), (&st.stats_received, "received")] {
            let mut tot = 0;
            for (i, &v) in counts.iter().enumerate() {
                if v == 0 {
                    continue;
                }
                tot += v;
                out.push_str(&format!(
                    "cluster_stats_messages_{}_{}:{}\r\n",
                    super::state::MSG_TYPE_NAMES[i],
                    dir,
                    v
                ));
            }
            out.push_str(&format!("cluster_stats_messages_{}:{}\r\n", dir, tot));
        }
        out.push_str(&format!(
            "total_cluster_links_buffer_limit_exceeded:{}\r\n",
            st.stats_links_buffer_limit_exceeded
        ));
        out
    }

    /// clusterGenNodesDescription (all nodes, handshake ones included).
    pub fn cluster_nodes_text(&self) -> String {
        let st = self.cs();
        let mut out = String::new();
        for id in st.node_ids() {
            out.push_str(&node_description(st, id));
            out.push('\n');
        }
        out
    }
}

pub fn cluster_nodes(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let t = srv.cluster_nodes_text();
    c.add_verbatim(t.as_bytes(), "txt");
}

pub fn cluster_myid(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let name = srv.cs().me().name.clone();
    c.add_bulk(name.as_bytes());
}

pub fn cluster_info(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let t = srv.cluster_info_text();
    c.add_verbatim(t.as_bytes(), "txt");
}

pub fn cluster_flushslots(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    if !srv.dbs[0].is_empty() {
        c.add_error("DB must be empty to perform CLUSTER FLUSHSLOTS.");
        return;
    }
    let st = srv.cs_mut();
    let me = st.myself;
    st.del_node_slots(me);
    st.todo |= todo::UPDATE_STATE | todo::SAVE_CONFIG;
    c.add_ok();
}

/// checkSlotAssignmentsOrReply over [a, b], marking `seen`.
fn check_slots(
    srv: &Server,
    c: &mut Client,
    seen: &mut [u8],
    del: bool,
    a: usize,
    b: usize,
) -> bool {
    let st = srv.cs();
    for s in a..=b {
        if del && st.slots[s].is_none() {
            c.add_error(&format!("Slot {} is already unassigned", s));
            return false;
        } else if !del && st.slots[s].is_some() {
            c.add_error(&format!("Slot {} is already busy", s));
            return false;
        }
        seen[s] += 1;
        if seen[s] == 2 {
            c.add_error(&format!("Slot {} specified multiple times", s));
            return false;
        }
    }
    true
}

/// clusterUpdateSlots.
fn update_slots(srv: &mut Server, seen: &[u8], del: bool) {
    let st = srv.cs_mut();
    let me = st.myself;
    for s in 0..CLUSTER_SLOTS {
        if seen[s] == 0 {
            continue;
        }
        if del {
            st.del_slot(s);
        } else {
            if st.importing_slots_from[s] == Some(me) {
                st.importing_slots_from[s] = None;
            }
            st.add_slot(me, s);
        }
    }
    st.todo |= todo::UPDATE_STATE | todo::SAVE_CONFIG;
}

fn addslots_generic(srv: &mut Server, c: &mut Client, argv: &Argv, del: bool) {
    if !enabled(srv, c) {
        return;
    }
    let mut slots = Vec::with_capacity(argv.len() - 2);
    for j in 2..argv.len() {
        let Some(s) = slot_arg(c, argv.get(j)) else {
            return;
        };
        slots.push(s);
    }
    let mut seen = vec![0u8; CLUSTER_SLOTS];
    for s in slots {
        if !check_slots(srv, c, &mut seen, del, s, s) {
            return;
        }
    }
    update_slots(srv, &seen, del);
    c.add_ok();
}

fn addslotsrange_generic(srv: &mut Server, c: &mut Client, argv: &Argv, del: bool) {
    if !enabled(srv, c) {
        return;
    }
    if argv.len() % 2 == 1 {
        let name = format!(
            "cluster|{}",
            String::from_utf8_lossy(argv.get(1)).to_ascii_lowercase()
        );
        c.add_error_arity(&name);
        return;
    }
    let mut seen = vec![0u8; CLUSTER_SLOTS];
    let mut j = 2;
    while j < argv.len() {
        let Some(a) = slot_arg(c, argv.get(j)) else {
            return;
        };
        let Some(b) = slot_arg(c, argv.get(j + 1)) else {
            return;
        };
        if a > b {
            c.add_error(&format!(
                "start slot number {} is greater than end slot number {}",
                a, b
            ));
            return;
        }
        if !check_slots(srv, c, &mut seen, del, a, b) {
            return;
        }
        j += 2;
    }
    update_slots(srv, &seen, del);
    c.add_ok();
}

pub fn cluster_addslots(srv: &mut Server, c: &mut Client, argv: &Argv) {
    addslots_generic(srv, c, argv, false)
}
pub fn cluster_delslots(srv: &mut Server, c: &mut Client, argv: &Argv) {
    addslots_generic(srv, c, argv, true)
}
pub fn cluster_addslotsrange(srv: &mut Server, c: &mut Client, argv: &Argv) {
    addslotsrange_generic(srv, c, argv, false)
}
pub fn cluster_delslotsrange(srv: &mut Server, c: &mut Client, argv: &Argv) {
    addslotsrange_generic(srv, c, argv, true)
}

fn count_keys_in_slot(srv: &Server, s: usize) -> usize {
    srv.dbs[0].count_keys_in_slot(s)
}

pub fn cluster_setslot(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    if srv.cs().me().is_replica() {
        c.add_error("Please use SETSLOT only with masters.");
        return;
    }
    let Some(slot) = slot_arg(c, argv.get(2)) else {
        return;
    };
    let action = argv.get(3).to_ascii_lowercase();
    let me = srv.cs().myself;
    let lookup = |srv: &Server, c: &mut Client, unknown_fmt: &str| -> Option<NodeId> {
        let name = argv.get(4);
        match srv.cs().lookup(name) {
            Some(n) => Some(n),
            None => {
                c.add_error(&format!("{}{}", unknown_fmt, String::from_utf8_lossy(name)));
                None
            }
        }
    };
    match (action.as_slice(), argv.len()) {
        (b"migrating", 5) => {
            if srv.cs().slots[slot] != Some(me) {
                c.add_error(&format!("I'm not the owner of hash slot {}", slot));
                return;
            }
            let Some(n) = lookup(srv, c, "I don't know about node ") else {
                return;
            };
            if srv.cs().node(n).is_replica() {
                c.add_error("Target node is not a master");
                return;
            }
            srv.cs_mut().migrating_slots_to[slot] = Some(n);
        }
        (b"importing", 5) => {
            if srv.cs().slots[slot] == Some(me) {
                c.add_error(&format!("I'm already the owner of hash slot {}", slot));
                return;
            }
            let Some(n) = lookup(srv, c, "I don't know about node ") else {
                return;
            };
            if srv.cs().node(n).is_replica() {
                c.add_error("Target node is not a master");
                return;
            }
            srv.cs_mut().importing_slots_from[slot] = Some(n);
        }
        (b"stable", 4) => {
            let st = srv.cs_mut();
            st.importing_slots_from[slot] = None;
            st.migrating_slots_to[slot] = None;
        }
        (b"node", 5) => {
            let Some(n) = lookup(srv, c, "Unknown node ") else {
                return;
            };
            if srv.cs().node(n).is_replica() {
                c.add_error("Target node is not a master");
                return;
            }
            let keys = count_keys_in_slot(srv, slot);
            if srv.cs().slots[slot] == Some(me) && n != me && keys != 0 {
                c.add_error(&format!("Can't assign hashslot {} to a different node while I still hold keys for this hash slot.", slot));
                return;
            }
            let st = srv.cs_mut();
            if keys == 0 && st.migrating_slots_to[slot].is_some() {
                st.migrating_slots_to[slot] = None;
            }
            let was_mine = st.slots[slot] == Some(me);
            st.del_slot(slot);
            st.add_slot(n, slot);
            if was_mine
                && n != me
                && st.me().numslots == 0
                && srv.config.get_bool("cluster-allow-replica-migration")
            {
                log::warn!(
                    "Configuration change detected. Reconfiguring myself as a replica of {}",
                    srv.cs().node(n).name
                );
                srv.cluster_set_master(n);
                srv.cluster_todo(todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG);
            }
            if n == me && srv.cs().importing_slots_from[slot].is_some() {
                if srv.cluster_bump_epoch_without_consensus() {
                    log::warn!("configEpoch updated after importing slot {}", slot);
                }
                srv.cs_mut().importing_slots_from[slot] = None;
                srv.cluster_broadcast_pong(false);
            }
        }
        _ => {
            c.add_error("Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
            return;
        }
    }
    srv.cluster_todo(todo::SAVE_CONFIG | todo::UPDATE_STATE);
    c.add_ok();
}

pub fn cluster_bumpepoch(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let bumped = srv.cluster_bump_epoch_without_consensus();
    let e = srv.cs().me().config_epoch;
    c.add_status(&format!(
        "{} {}",
        if bumped { "BUMPED" } else { "STILL" },
        e
    ));
}

pub fn cluster_saveconfig(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    if srv.cluster_save_config(true) {
        c.add_ok();
    } else {
        c.add_error(&format!(
            "error saving the cluster node config: {}",
            crate::server::listen::strerror(&std::io::Error::last_os_error())
        ));
    }
}

pub fn cluster_keyslot(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    c.add_int(super::key_hash_slot(argv.get(2)) as i64);
}

pub fn cluster_countkeysinslot(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let Some(slot) = crate::util::parse_i64(argv.get(2)) else {
        c.add_error_not_int();
        return;
    };
    if !(0..CLUSTER_SLOTS as i64).contains(&slot) {
        c.add_error("Invalid slot");
        return;
    }
    c.add_int(count_keys_in_slot(srv, slot as usize) as i64);
}

pub fn cluster_getkeysinslot(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let (Some(slot), Some(max)) = (
        crate::util::parse_i64(argv.get(2)),
        crate::util::parse_i64(argv.get(3)),
    ) else {
        c.add_error_not_int();
        return;
    };
    if !(0..CLUSTER_SLOTS as i64).contains(&slot) || max < 0 {
        c.add_error("Invalid slot or number of keys");
        return;
    }
    let keys = srv.dbs[0].keys_in_slot(slot as usize, max as usize);
    c.add_bulk_array(keys.iter());
}

pub fn cluster_forget(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let Some(n) = lookup_or_reply(srv, c, argv.get(2)) else {
        return;
    };
    let st = srv.cs_mut();
    if n == st.myself {
        c.add_error("I tried hard but I can't forget myself...");
        return;
    }
    if st.me().is_replica() && st.me().replicaof == Some(n) {
        c.add_error("Can't forget my master!");
        return;
    }
    let name = st.nodes[n].name.clone();
    st.blacklist.insert(
        name,
        crate::util::mstime() / 1000 + super::state::BLACKLIST_TTL,
    );
    srv.cluster_del_node(n);
    srv.cluster_todo(todo::UPDATE_STATE | todo::SAVE_CONFIG);
    c.add_ok();
}

pub fn cluster_replicate(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let Some(n) = lookup_or_reply(srv, c, argv.get(2)) else {
        return;
    };
    let st = srv.cs();
    if n == st.myself {
        c.add_error("Can't replicate myself");
        return;
    }
    if st.node(n).is_replica() {
        c.add_error("I can only replicate a master, not a replica.");
        return;
    }
    if st.me().is_master() && (st.me().numslots != 0 || !srv.dbs[0].is_empty()) {
        c.add_error("To set a master the node must be empty and without assigned slots.");
        return;
    }
    srv.cluster_set_master(n);
    srv.cluster_todo(todo::UPDATE_STATE | todo::SAVE_CONFIG);
    c.add_ok();
}

pub fn cluster_replicas(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let Some(n) = lookup_or_reply(srv, c, argv.get(2)) else {
        return;
    };
    let st = srv.cs();
    if st.node(n).is_replica() {
        c.add_error("The specified node is not a master");
        return;
    }
    let lines: Vec<String> = st
        .node(n)
        .replicas
        .iter()
        .map(|&r| node_description(st, r))
        .collect();
    c.add_bulk_array(lines.iter());
}

pub fn cluster_slaves(srv: &mut Server, c: &mut Client, argv: &Argv) {
    cluster_replicas(srv, c, argv)
}

pub fn cluster_count_failure_reports(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let Some(n) = lookup_or_reply(srv, c, argv.get(2)) else {
        return;
    };
    let now = crate::util::mstime();
    let validity = srv.cluster_node_timeout() * 2;
    let cnt = srv.cs_mut().count_failure_reports(n, validity, now);
    c.add_int(cnt as i64);
}

pub fn cluster_failover(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    if argv.len() > 3 {
        subcommand_syntax_error(c, argv);
        return;
    }
    let (mut force, mut takeover) = (false, false);
    if argv.len() == 3 {
        let a = argv.get(2);
        if a.eq_ignore_ascii_case(b"force") {
            force = true;
        } else if a.eq_ignore_ascii_case(b"takeover") {
            force = true;
            takeover = true;
        } else {
            c.add_error_syntax();
            return;
        }
    }
    let st = srv.cs();
    if st.me().is_master() {
        c.add_error("You should send CLUSTER FAILOVER to a replica");
        return;
    }
    let Some(m) = st.me().replicaof else {
        c.add_error("I'm a replica but my master is unknown to me");
        return;
    };
    if !force && (st.node(m).is_failed() || st.node(m).link.is_none()) {
        c.add_error("Master is down or failed, please use CLUSTER FAILOVER FORCE");
        return;
    }
    srv.reset_manual_failover();
    srv.cs_mut().mf.end = crate::util::mstime() + super::failover::MF_TIMEOUT;
    if takeover {
        log::warn!("Taking over the master (user request).");
        srv.cluster_bump_epoch_without_consensus();
        srv.cluster_failover_replace_my_master();
    } else if force {
        log::warn!("Forced failover user request accepted.");
        srv.cs_mut().mf.can_start = true;
    } else {
        log::warn!("Manual failover user request accepted.");
        srv.cluster_send_mfstart(m);
    }
    c.add_ok();
}

pub fn cluster_set_config_epoch(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let Some(epoch) = crate::util::parse_i64(argv.get(2)) else {
        c.add_error_not_int();
        return;
    };
    let st = srv.cs_mut();
    if epoch < 0 {
        c.add_error(&format!("Invalid config epoch specified: {}", epoch));
    } else if st.nodes.len() > 1 {
        c.add_error(
            "The user can assign a config epoch only when the node does not know any other node.",
        );
    } else if st.me().config_epoch != 0 {
        c.add_error("Node config epoch is already non-zero");
    } else {
        st.me_mut().config_epoch = epoch as u64;
        log::warn!("configEpoch set to {} via CLUSTER SET-CONFIG-EPOCH", epoch);
        if st.current_epoch < epoch as u64 {
            st.current_epoch = epoch as u64;
        }
        st.todo |= todo::UPDATE_STATE | todo::SAVE_CONFIG;
        c.add_ok();
    }
}

pub fn cluster_reset(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    if argv.len() > 3 {
        subcommand_syntax_error(c, argv);
        return;
    }
    let mut hard = false;
    if argv.len() == 3 {
        let a = argv.get(2);
        if a.eq_ignore_ascii_case(b"hard") {
            hard = true;
        } else if !a.eq_ignore_ascii_case(b"soft") {
            c.add_error_syntax();
            return;
        }
    }
    if srv.cs().me().is_master() && !srv.dbs[c.db].is_empty() {
        c.add_error("CLUSTER RESET can't be called with master nodes containing keys");
        return;
    }
    srv.cluster_reset(hard);
    c.add_ok();
}

pub fn cluster_links(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !enabled(srv, c) {
        return;
    }
    let st = srv.cs();
    let mut rows = Vec::new();
    for (_, n) in st.nodes.iter() {
        for l in [n.link, n.inbound_link].into_iter().flatten() {
            if let Some(link) = st.links.get(l) {
                rows.push((link, n.name.clone()));
            }
        }
    }
    c.add_array_len(rows.len());
    for (link, name) in rows {
        c.add_map_len(6);
        c.add_bulk(b"direction");
        c.add_bulk(if link.inbound { b"from" } else { b"to" });
        c.add_bulk(b"node");
        c.add_bulk(name.as_bytes());
        c.add_bulk(b"create-time");
        c.add_int(link.ctime);
        c.add_bulk(b"events");
        c.add_bulk(if link.write_interest { b"rw" } else { b"r" });
        c.add_bulk(b"send-buffer-allocated");
        c.add_int(link.sndbuf.capacity() as i64);
        c.add_bulk(b"send-buffer-used");
        c.add_int(link.pending() as i64);
    }
}

impl Server {
    /// DEBUG CLUSTERLINK KILL <to|from|all> <node-id>.
    pub fn debug_cluster_link_kill(&mut self, c: &mut Client, dir: &[u8], name: &[u8]) {
        let Some(n) = lookup_or_reply(self, c, name) else {
            return;
        };
        let (to, from) = (self.cs().node(n).link, self.cs().node(n).inbound_link);
        if dir.eq_ignore_ascii_case(b"from") {
            from.into_iter().for_each(|l| self.link_free(l));
        } else if dir.eq_ignore_ascii_case(b"to") {
            to.into_iter().for_each(|l| self.link_free(l));
        } else if dir.eq_ignore_ascii_case(b"all") {
            to.into_iter().chain(from).for_each(|l| self.link_free(l));
        } else {
            c.add_error(&format!(
                "Unknown direction {}",
                String::from_utf8_lossy(dir)
            ));
        }
        c.add_ok();
    }
}

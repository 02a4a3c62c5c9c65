//! CLUSTER SLOTS and SHARDS (Redis's clusterReplyMultiBulkSlots / clusterReplyShards),
//! rendered from any `Topology`: the node details on top of routing's ClusterView, so
//! the formats are unit-tested on a fake cluster. The other CLUSTER subcommands live
//! with the cluster state (cmd.rs).

use super::routing::ClusterView;
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;

/// What CLUSTER SLOTS / SHARDS show of each node.
pub trait Topology: ClusterView {
    /// Every known master (SHARDS has one entry per master), in the state's order.
    fn masters(&self) -> Vec<Self::Node>;
    fn replicas(&self, master: Self::Node) -> Vec<Self::Node>;
    fn id(&self, n: Self::Node) -> String;
    fn ip(&self, n: Self::Node) -> String;
    fn hostname(&self, n: Self::Node) -> String;
    fn port(&self, n: Self::Node) -> u16;
    fn failed(&self, n: Self::Node) -> bool;
    fn is_replica(&self, n: Self::Node) -> bool;
    /// The node's replication offset (ours from replication itself).
    fn repl_offset(&self, n: Self::Node) -> i64;
    /// cluster-preferred-endpoint-type: "ip", "hostname" or "unknown-endpoint".
    fn endpoint_type(&self) -> &str;
}

fn cluster_enabled_or_reply(srv: &Server, c: &mut Client) -> bool {
    if !srv.config.cluster_enabled {
        c.add_error("This instance has cluster support disabled");
        return false;
    }
    true
}

pub fn cluster_slots(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !cluster_enabled_or_reply(srv, c) {
        return;
    }
    if !reply_from_state(srv, c, false) {
        // No cluster state: no slot is assigned to anyone.
        c.add_array_len(0);
    }
}

pub fn cluster_shards(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if !cluster_enabled_or_reply(srv, c) {
        return;
    }
    if !reply_from_state(srv, c, true) {
        c.add_error("CLUSTER SHARDS needs the cluster state, which this server does not keep yet");
    }
}

/// SLOTS or SHARDS from the server's cluster state; false while it keeps none.
fn reply_from_state(srv: &Server, c: &mut Client, shards: bool) -> bool {
    let Some(st) = srv.cluster.as_deref() else {
        return false;
    };
    let view = super::routing::StateView { st, srv };
    if shards {
        reply_shards(&view, c);
    } else {
        reply_slots(&view, c);
    }
    true
}

/// A replica counts in SLOTS once it is up and has received data (isReplicaAvailable).
fn replica_available<T: Topology>(t: &T, n: T::Node) -> bool {
    !t.failed(n) && t.repl_offset(n) != 0
}

/// addNodeToNodeReply: [endpoint, port, id, {other endpoints}].
fn reply_node<T: Topology>(t: &T, c: &mut Client, n: T::Node) {
    c.add_array_len(4);
    let hostname = t.hostname(n);
    match t.endpoint_type() {
        "hostname" => c.add_bulk_str(if hostname.is_empty() { "?" } else { &hostname }),
        "unknown-endpoint" => c.add_null(),
        _ => c.add_bulk_str(&t.ip(n)),
    }
    c.add_int(t.port(n) as i64);
    c.add_bulk_str(&t.id(n));
    let mut extra: Vec<(&str, String)> = Vec::new();
    if t.endpoint_type() != "ip" {
        extra.push(("ip", t.ip(n)));
    }
    if t.endpoint_type() != "hostname" && !hostname.is_empty() {
        extra.push(("hostname", hostname));
    }
    c.add_map_len(extra.len());
    for (k, v) in extra {
        c.add_bulk_str(k);
        c.add_bulk_str(&v);
    }
}

/// clusterReplyMultiBulkSlots: one entry per run of consecutive slots with one owner.
fn reply_slots<T: Topology>(t: &T, c: &mut Client) {
    let mut ranges: Vec<(usize, usize, T::Node)> = Vec::new();
    for s in 0..super::CLUSTER_SLOTS {
        let Some(n) = t.slot_owner(s) else {
            continue;
        };
        match ranges.last_mut() {
            Some((_, end, owner)) if *owner == n && *end + 1 == s => *end = s,
            _ => ranges.push((s, s, n)),
        }
    }
    c.add_array_len(ranges.len());
    for (start, end, n) in ranges {
        let replicas: Vec<T::Node> = t
            .replicas(n)
            .into_iter()
            .filter(|&r| replica_available(t, r))
            .collect();
        c.add_array_len(3 + replicas.len());
        c.add_int(start as i64);
        c.add_int(end as i64);
        reply_node(t, c, n);
        for r in replicas {
            reply_node(t, c, r);
        }
    }
}

fn owned_ranges<T: Topology>(t: &T, n: T::Node) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for s in 0..super::CLUSTER_SLOTS {
        if t.slot_owner(s) != Some(n) {
            continue;
        }
        match out.last_mut() {
            Some((_, end)) if *end + 1 == s => *end = s,
            _ => out.push((s, s)),
        }
    }
    out
}

/// addNodeDetailsToShardReply.
fn reply_shard_node<T: Topology>(t: &T, c: &mut Client, n: T::Node) {
    let hostname = t.hostname(n);
    let offset = t.repl_offset(n);
    let replica = t.is_replica(n);
    c.add_map_len(7 + usize::from(!hostname.is_empty()));
    c.add_bulk_str("id");
    c.add_bulk_str(&t.id(n));
    c.add_bulk_str("port");
    c.add_int(t.port(n) as i64);
    c.add_bulk_str("ip");
    c.add_bulk_str(&t.ip(n));
    c.add_bulk_str("endpoint");
    match t.endpoint_type() {
        "hostname" => c.add_bulk_str(if hostname.is_empty() { "?" } else { &hostname }),
        "unknown-endpoint" => c.add_bulk_str(""),
        _ => c.add_bulk_str(&t.ip(n)),
    }
    if !hostname.is_empty() {
        c.add_bulk_str("hostname");
        c.add_bulk_str(&hostname);
    }
    c.add_bulk_str("role");
    c.add_bulk_str(if replica { "replica" } else { "master" });
    c.add_bulk_str("replication-offset");
    c.add_int(offset);
    c.add_bulk_str("health");
    c.add_bulk_str(if t.failed(n) {
        "fail"
    } else if replica && offset == 0 {
        "loading"
    } else {
        "online"
    });
}

/// clusterReplyShards: per master, its slot ranges and the nodes serving them.
fn reply_shards<T: Topology>(t: &T, c: &mut Client) {
    let masters = t.masters();
    c.add_array_len(masters.len());
    for m in masters {
        c.add_map_len(2);
        c.add_bulk_str("slots");
        let ranges = owned_ranges(t, m);
        c.add_array_len(ranges.len() * 2);
        for (s, e) in ranges {
            c.add_int(s as i64);
            c.add_int(e as i64);
        }
        c.add_bulk_str("nodes");
        let replicas = t.replicas(m);
        c.add_array_len(1 + replicas.len());
        reply_shard_node(t, c, m);
        for r in replicas {
            reply_shard_node(t, c, r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two masters (0 owns 0..=99 and 200, 1 owns 100..=199), replica 2 of master 0.
    struct Fake;
    impl ClusterView for Fake {
        type Node = usize;
        fn myself(&self) -> usize {
            0
        }
        fn slot_owner(&self, s: usize) -> Option<usize> {
            match s {
                0..=99 | 200 => Some(0),
                100..=199 => Some(1),
                _ => None,
            }
        }
        fn migrating_to(&self, _: usize) -> Option<usize> {
            None
        }
        fn importing_from(&self, _: usize) -> Option<usize> {
            None
        }
        fn state_ok(&self) -> bool {
            false
        }
        fn my_master(&self) -> Option<usize> {
            None
        }
        fn endpoint(&self, n: usize) -> (String, u16) {
            (self.ip(n), self.port(n))
        }
    }
    impl Topology for Fake {
        fn masters(&self) -> Vec<usize> {
            vec![0, 1]
        }
        fn replicas(&self, m: usize) -> Vec<usize> {
            if m == 0 {
                vec![2]
            } else {
                vec![]
            }
        }
        fn id(&self, n: usize) -> String {
            format!("{:040}", n)
        }
        fn ip(&self, _: usize) -> String {
            "127.0.0.1".into()
        }
        fn hostname(&self, n: usize) -> String {
            if n == 1 {
                "host-b".into()
            } else {
                String::new()
            }
        }
        fn port(&self, n: usize) -> u16 {
            7000 + n as u16
        }
        fn failed(&self, _: usize) -> bool {
            false
        }
        fn is_replica(&self, n: usize) -> bool {
            n == 2
        }
        fn repl_offset(&self, n: usize) -> i64 {
            if n == 2 {
                0
            } else {
                42
            }
        }
        fn endpoint_type(&self) -> &str {
            "ip"
        }
    }

    #[test]
    fn slots_group_runs_and_skip_unsynced_replicas() {
        let mut c = Client::fake(1);
        reply_slots(&Fake, &mut c);
        let r = String::from_utf8(c.take_reply()).unwrap();
        let id0 = format!("{:040}", 0);
        let id1 = format!("{:040}", 1);
        let expect = format!(
            "*3\r\n*3\r\n:0\r\n:99\r\n*4\r\n$9\r\n127.0.0.1\r\n:7000\r\n$40\r\n{id0}\r\n*0\r\n\
             *3\r\n:100\r\n:199\r\n*4\r\n$9\r\n127.0.0.1\r\n:7001\r\n$40\r\n{id1}\r\n*2\r\n$8\r\nhostname\r\n$6\r\nhost-b\r\n\
             *3\r\n:200\r\n:200\r\n*4\r\n$9\r\n127.0.0.1\r\n:7000\r\n$40\r\n{id0}\r\n*0\r\n"
        );
        assert_eq!(r, expect);
    }

    #[test]
    fn shards_list_masters_with_ranges_and_node_health() {
        let mut c = Client::fake(1);
        reply_shards(&Fake, &mut c);
        let r = String::from_utf8(c.take_reply()).unwrap();
        assert!(r.starts_with("*2\r\n*4\r\n$5\r\nslots\r\n*4\r\n:0\r\n:99\r\n:200\r\n:200\r\n$5\r\nnodes\r\n*2\r\n*14\r\n"), "{}", r);
        assert!(r.contains("$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n"));
        assert!(r.contains("$8\r\nhostname\r\n$6\r\nhost-b\r\n"));
    }
}

//! clusterCron (every 100 ms): reconnecting links, expiring handshakes, pinging,
//! PFAIL detection, and the replica's failover/migration checks; clusterBeforeSleep's
//! deferred work; failure reports → FAIL; and the cluster ok/fail verdict
//! (clusterUpdateState).

use super::state::{flags, msgtype, todo, NodeId};
use super::CLUSTER_SLOTS;
use crate::server::Server;

const FAIL_REPORT_VALIDITY_MULT: i64 = 2;
const FAIL_UNDO_TIME_MULT: i64 = 2;
const WRITABLE_DELAY: i64 = 2000;
const MAX_REJOIN_DELAY: i64 = 5000;
const MIN_REJOIN_DELAY: i64 = 500;

impl Server {
    pub fn cluster_cron(&mut self) {
        if self.cluster.is_none() {
            return;
        }
        let now = crate::util::mstime();
        let node_timeout = self.cluster_node_timeout();
        let handshake_timeout = node_timeout.max(1000);
        // clusterUpdateMyselfHostname.
        let host = String::from_utf8_lossy(
            &self
                .config
                .get_str("cluster-announce-hostname")
                .unwrap_or_default(),
        )
        .into_owned();
        if self.cs().me().hostname != host {
            self.cs_mut().me_mut().hostname = host;
            self.cluster_todo(todo::SAVE_CONFIG);
        }
        let now_s = now / 1000;
        self.cs_mut().blacklist.retain(|_, exp| *exp > now_s);
        let iteration = self.cs().cron_iteration;
        self.cs_mut().cron_iteration += 1;
        self.cs_mut().stat_pfail_nodes = 0;
        let limit = self.config.get_i64("cluster-link-sendbuf-limit") as usize;
        for id in self.cs().node_ids() {
            let Some(n) = self.cs().nodes.get(id) else {
                continue;
            };
            let pfail = n.has(flags::PFAIL);
            let links = [n.link, n.inbound_link];
            if pfail {
                self.cs_mut().stat_pfail_nodes += 1;
            }
            // Links whose send buffer passed cluster-link-sendbuf-limit are dropped.
            if limit > 0 {
                for l in links.into_iter().flatten() {
                    if self.cs().links.get(l).is_some_and(|k| k.pending() > limit) {
                        self.link_free(l);
                        self.cs_mut().stats_links_buffer_limit_exceeded += 1;
                    }
                }
            }
            let n = self.cs().node(id);
            if n.in_handshake() && now - n.ctime > handshake_timeout {
                self.cluster_del_node(id);
                continue;
            }
            if n.link.is_none() && !n.has(flags::MYSELF | flags::NOADDR) {
                let old_ping_sent = n.ping_sent;
                let meet = n.has(flags::MEET);
                match self.link_connect(id) {
                    Ok(link) => {
                        self.cluster_send_ping(
                            link,
                            if meet { msgtype::MEET } else { msgtype::PING },
                        );
                        let st = self.cs_mut();
                        if old_ping_sent != 0 {
                            st.nodes[id].ping_sent = old_ping_sent;
                        }
                        st.nodes[id].flags &= !flags::MEET;
                    }
                    Err(e) => {
                        let st = self.cs_mut();
                        if st.nodes[id].ping_sent == 0 {
                            st.nodes[id].ping_sent = now;
                        }
                        log::debug!(
                            "Unable to connect to Cluster Node [{}]: {}",
                            st.nodes[id].ip,
                            e
                        );
                    }
                }
            }
        }
        // Once a second: ping the node with the oldest pong among five random ones.
        if iteration % 10 == 0 {
            let ids = self.cs().node_ids();
            let mut best: Option<(NodeId, i64)> = None;
            for _ in 0..5 {
                let id = ids[self.rng.below(ids.len() as u64) as usize];
                let Some(n) = self.cs().nodes.get(id) else {
                    continue;
                };
                if n.link.is_none() || n.ping_sent != 0 {
                    continue;
                }
                if n.has(flags::MYSELF | flags::HANDSHAKE) {
                    continue;
                }
                if best.is_none_or(|(_, p)| p > n.pong_received) {
                    best = Some((id, n.pong_received));
                }
            }
            if let Some((id, _)) = best {
                if let Some(l) = self.cs().node(id).link {
                    self.cluster_send_ping(l, msgtype::PING);
                }
            }
        }
        let mut update_state = false;
        let mut orphaned_masters = 0;
        let mut max_slaves = 0;
        let mut this_slaves = 0;
        let i_am_replica = self.cs().me().is_replica();
        for id in self.cs().node_ids() {
            let Some(n) = self.cs().nodes.get(id) else {
                continue;
            };
            if n.has(flags::MYSELF | flags::NOADDR | flags::HANDSHAKE) {
                continue;
            }
            if i_am_replica && n.is_master() && !n.is_failed() {
                let ok = self.cs().non_failing_replicas(id);
                if ok == 0 && n.numslots > 0 && n.has(flags::MIGRATE_TO) {
                    orphaned_masters += 1;
                }
                max_slaves = max_slaves.max(ok);
                if self.cs().me().replicaof == Some(id) {
                    this_slaves = ok;
                }
            }
            let n = self.cs().node(id);
            let ping_delay = now - n.ping_sent;
            let data_delay = now - n.data_received;
            if let Some(l) = n.link {
                let lctime = self.cs().links.get(l).map_or(now, |k| k.ctime);
                if now - lctime > node_timeout
                    && n.ping_sent != 0
                    && ping_delay > node_timeout / 2
                    && data_delay > node_timeout / 2
                {
                    self.link_free(l);
                }
            }
            let n = self.cs().node(id);
            if let Some(l) = n.link {
                if n.ping_sent == 0 && now - n.pong_received > node_timeout / 2 {
                    self.cluster_send_ping(l, msgtype::PING);
                    continue;
                }
            }
            let st = self.cs();
            if st.mf.end != 0 && st.me().is_master() && st.mf.replica == Some(id) {
                if let Some(l) = n.link {
                    self.cluster_send_ping(l, msgtype::PING);
                    continue;
                }
            }
            let n = self.cs().node(id);
            if n.ping_sent == 0 {
                continue;
            }
            let delay = ping_delay.min(data_delay);
            if delay > node_timeout && !n.has(flags::PFAIL | flags::FAIL) {
                log::debug!("*** NODE {} possibly failing", n.name);
                self.cs_mut().nodes[id].flags |= flags::PFAIL;
                update_state = true;
            }
        }
        // A replica whose replication is not set up yet points it at its master.
        if let Some(m) = self.cs().my_master() {
            let n = self.cs().node(m);
            if !self.is_replica() && !n.has(flags::NOADDR) && !n.ip.is_empty() {
                let (ip, port) = (n.ip.clone(), n.port);
                self.set_master(ip, port, false);
            }
        }
        self.manual_failover_check_timeout();
        if self.cs().me().is_replica() {
            self.cluster_handle_manual_failover();
            self.cluster_handle_replica_failover();
            if orphaned_masters > 0
                && max_slaves >= 2
                && this_slaves == max_slaves
                && self.config.get_bool("cluster-allow-replica-migration")
            {
                self.cluster_handle_replica_migration(max_slaves);
            }
        }
        if update_state || !self.cs().state_ok {
            self.cluster_update_state();
        }
    }

    /// clusterBeforeSleep: the work handlers deferred.
    pub fn cluster_before_sleep(&mut self) {
        if self.cluster.is_none() {
            return;
        }
        let t = std::mem::take(&mut self.cs_mut().todo);
        if t & todo::HANDLE_MANUALFAILOVER != 0 && self.cs().me().is_replica() {
            self.cluster_handle_manual_failover();
            self.cluster_handle_replica_failover();
        } else if t & todo::HANDLE_FAILOVER != 0 {
            self.cluster_handle_replica_failover();
        }
        if t & todo::UPDATE_STATE != 0 {
            self.cluster_update_state();
        }
        if t & todo::SAVE_CONFIG != 0 {
            self.cluster_save_config_or_die(t & todo::FSYNC_CONFIG != 0);
        }
        // Work scheduled by the steps above waits for the next turn.
        let more = self.cs().todo;
        self.cs_mut().todo = more;
    }

    /// Deletes a node, closing its links (clusterDelNode).
    pub fn cluster_del_node(&mut self, id: NodeId) {
        let links = self.cs_mut().del_node(id);
        for l in links {
            self.link_free(l);
        }
        // Links bound to it as their (inbound) node.
        let stale: Vec<usize> = self
            .cs()
            .links
            .iter()
            .filter(|(_, l)| l.node == Some(id))
            .map(|(k, _)| k)
            .collect();
        for l in stale {
            self.link_free(l);
        }
        self.cluster_todo(todo::SAVE_CONFIG | todo::UPDATE_STATE);
    }

    /// markNodeAsFailingIfNeeded: PFAIL + enough master reports → FAIL, broadcast.
    pub fn mark_node_as_failing_if_needed(&mut self, id: NodeId) {
        let now = crate::util::mstime();
        let node_timeout = self.cluster_node_timeout();
        let st = self.cs_mut();
        let needed = st.size / 2 + 1;
        if !st.nodes[id].has(flags::PFAIL) || st.nodes[id].has(flags::FAIL) {
            return;
        }
        let mut failures =
            st.count_failure_reports(id, node_timeout * FAIL_REPORT_VALIDITY_MULT, now);
        if st.me().is_master() {
            failures += 1;
        }
        if failures < needed {
            return;
        }
        log::info!(
            "Marking node {} as failing (quorum reached).",
            st.nodes[id].name
        );
        let n = &mut st.nodes[id];
        n.flags &= !flags::PFAIL;
        n.flags |= flags::FAIL;
        n.fail_time = now;
        self.cluster_send_fail(id);
        self.cluster_todo(todo::UPDATE_STATE | todo::SAVE_CONFIG);
    }

    /// clearNodeFailureIfNeeded.
    pub fn clear_node_failure_if_needed(&mut self, id: NodeId) {
        let now = crate::util::mstime();
        let node_timeout = self.cluster_node_timeout();
        let st = self.cs_mut();
        let n = &mut st.nodes[id];
        if n.is_replica() || n.numslots == 0 {
            log::info!(
                "Clear FAIL state for node {}: {} is reachable again.",
                n.name,
                if n.is_replica() {
                    "replica"
                } else {
                    "master without slots"
                }
            );
            n.flags &= !flags::FAIL;
            st.todo |= todo::UPDATE_STATE | todo::SAVE_CONFIG;
        }
        let n = &mut st.nodes[id];
        if n.is_master() && n.numslots > 0 && now - n.fail_time > node_timeout * FAIL_UNDO_TIME_MULT
        {
            log::info!("Clear FAIL state for node {}: is reachable again and nobody is serving its slots after some time.", n.name);
            n.flags &= !flags::FAIL;
            st.todo |= todo::UPDATE_STATE | todo::SAVE_CONFIG;
        }
    }

    /// clusterUpdateState.
    pub fn cluster_update_state(&mut self) {
        let now = crate::util::mstime();
        let node_timeout = self.cluster_node_timeout();
        let full_coverage = self.config.get_bool("cluster-require-full-coverage");
        let st = self.cs_mut();
        st.todo &= !todo::UPDATE_STATE;
        if st.first_update_call == 0 {
            st.first_update_call = now;
        }
        if st.me().is_master() && !st.state_ok && now - st.first_update_call < WRITABLE_DELAY {
            return;
        }
        let mut ok = true;
        if full_coverage {
            for j in 0..CLUSTER_SLOTS {
                match st.slots[j] {
                    None => {
                        ok = false;
                        break;
                    }
                    Some(o) if st.nodes[o].is_failed() => {
                        ok = false;
                        break;
                    }
                    _ => {}
                }
            }
        }
        let mut size = 0;
        let mut reachable = 0;
        for (_, n) in st.nodes.iter() {
            if n.is_master() && n.numslots > 0 {
                size += 1;
                if !n.has(flags::FAIL | flags::PFAIL) {
                    reachable += 1;
                }
            }
        }
        st.size = size;
        let quorum = size / 2 + 1;
        if reachable < quorum {
            ok = false;
            st.among_minority_time = now;
        }
        if ok != st.state_ok {
            let rejoin_delay = node_timeout.clamp(MIN_REJOIN_DELAY, MAX_REJOIN_DELAY);
            if ok && st.me().is_master() && now - st.among_minority_time < rejoin_delay {
                return;
            }
            log::warn!("Cluster state changed: {}", if ok { "ok" } else { "fail" });
            st.state_ok = ok;
        }
    }
}

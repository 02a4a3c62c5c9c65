//! Failover: the replica's election (rank delay, auth requests, votes, promotion),
//! manual failover (CLUSTER FAILOVER and the master's side of MFSTART), replica
//! migration to orphaned masters, and turning myself into a replica of a node
//! (clusterSetMaster). Replication itself is src/replication: promotion goes
//! through unset_master, which keeps our history for PSYNC2 partial resyncs.

use super::state::{flags, todo, CantFailover, NodeId};
use super::CLUSTER_SLOTS;
use crate::server::Server;

pub const MF_TIMEOUT: i64 = 5000;
const REPLICA_MIGRATION_DELAY: i64 = 5000;
const CANT_FAILOVER_RELOG_PERIOD: i64 = 10;

impl Server {
    /// clusterSetMaster: myself becomes a replica of `n`.
    pub fn cluster_set_master(&mut self, n: NodeId) {
        let st = self.cs_mut();
        if n == st.myself {
            return;
        }
        let me = st.myself;
        if st.nodes[me].is_master() {
            st.nodes[me].flags &= !(flags::MASTER | flags::MIGRATE_TO);
            st.nodes[me].flags |= flags::SLAVE;
            // clusterCloseAllSlots.
            for s in 0..CLUSTER_SLOTS {
                st.migrating_slots_to[s] = None;
                st.importing_slots_from[s] = None;
            }
        } else if let Some(old) = st.nodes[me].replicaof {
            st.remove_replica(old, me);
        }
        st.nodes[me].replicaof = Some(n);
        st.add_replica(n, me);
        let (ip, port) = (st.nodes[n].ip.clone(), st.nodes[n].port);
        self.set_master(ip, port, false);
        self.reset_manual_failover();
    }

    /// resetManualFailover.
    pub fn reset_manual_failover(&mut self) {
        let st = self.cs_mut();
        let had_replica = st.mf.replica.is_some();
        st.mf.end = 0;
        st.mf.can_start = false;
        st.mf.replica = None;
        st.mf.master_offset = -1;
        if had_replica && self.cs().mf_paused {
            self.cs_mut().mf_paused = false;
            self.unpause_clients();
        }
    }

    /// The master pauses writes while its replica catches up (PAUSE_DURING_FAILOVER).
    pub fn pause_writes_for_failover(&mut self, until: i64) {
        self.pause_clients(until, crate::server::PauseKind::Write);
        self.cs_mut().mf_paused = true;
    }

    pub fn manual_failover_check_timeout(&mut self) {
        let st = self.cs();
        if st.mf.end != 0 && st.mf.end < crate::util::mstime() {
            log::warn!("Manual failover timed out.");
            self.reset_manual_failover();
        }
    }

    pub fn cluster_handle_manual_failover(&mut self) {
        let my_off = self.repl.master_repl_offset;
        let st = self.cs_mut();
        if st.mf.end == 0 || st.mf.can_start || st.mf.master_offset == -1 {
            return;
        }
        if st.mf.master_offset == my_off {
            st.mf.can_start = true;
            log::warn!("All master replication stream processed, manual failover can start.");
            st.todo |= todo::HANDLE_FAILOVER;
            return;
        }
        st.todo |= todo::HANDLE_MANUALFAILOVER;
    }

    /// clusterGetSlaveRank.
    fn cluster_replica_rank(&self) -> usize {
        let st = self.cs();
        let Some(m) = st.my_master() else {
            return 0;
        };
        let myoff = self.repl.master_repl_offset;
        st.node(m)
            .replicas
            .iter()
            .filter(|&&r| r != st.myself)
            .filter(|&&r| !st.node(r).has(flags::NOFAILOVER))
            .filter(|&&r| st.node(r).repl_offset > myoff)
            .count()
    }

    fn cluster_log_cant_failover(&mut self, reason: CantFailover) {
        let now = crate::util::mstime();
        let node_timeout = self.cluster_node_timeout();
        let st = self.cs_mut();
        if reason == st.cant_failover_reason
            && now / 1000 - st.cant_failover_logtime < CANT_FAILOVER_RELOG_PERIOD
        {
            return;
        }
        st.cant_failover_reason = reason;
        if let Some(m) = st.my_master() {
            if st.nodes[m].is_failed() && now - st.nodes[m].fail_time < node_timeout + 5000 {
                return;
            }
        }
        let msg = match reason {
            CantFailover::DataAge => "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option.",
            CantFailover::WaitingDelay => "Waiting the delay before I can start a new failover.",
            CantFailover::Expired => "Failover attempt expired.",
            CantFailover::WaitingVotes => "Waiting for votes, but majority still not reached.",
            CantFailover::None => "Unknown reason code.",
        };
        st.cant_failover_logtime = now / 1000;
        log::warn!("Currently unable to failover: {}", msg);
    }

    /// clusterHandleSlaveFailover.
    pub fn cluster_handle_replica_failover(&mut self) {
        let now = crate::util::mstime();
        let node_timeout = self.cluster_node_timeout();
        let no_failover = self.config.get_bool("cluster-replica-no-failover");
        let validity = self.config.get_i64("cluster-replica-validity-factor");
        let ping_period = self.config.get_i64("repl-ping-replica-period");
        let st = self.cs_mut();
        st.todo &= !todo::HANDLE_FAILOVER;
        let auth_age = now - st.failover_auth_time;
        let needed = st.size / 2 + 1;
        let manual = st.mf.end != 0 && st.mf.can_start;
        let auth_timeout = (node_timeout * 2).max(2000);
        let auth_retry = auth_timeout * 2;
        let master = match st.my_master() {
            Some(m) if st.me().is_replica() => m,
            _ => {
                st.cant_failover_reason = CantFailover::None;
                return;
            }
        };
        if (!st.nodes[master].is_failed() && !manual)
            || (no_failover && !manual)
            || st.nodes[master].numslots == 0
        {
            st.cant_failover_reason = CantFailover::None;
            return;
        }
        let mut data_age = match self.repl.master.as_ref() {
            Some(l) if self.master_link_up() => now - l.last_io_ms,
            Some(l) if l.down_since > 0 => (now / 1000 - l.down_since) * 1000,
            _ => 0,
        };
        if data_age > node_timeout {
            data_age -= node_timeout;
        }
        if validity != 0 && data_age > ping_period * 1000 + node_timeout * validity && !manual {
            self.cluster_log_cant_failover(CantFailover::DataAge);
            return;
        }
        if auth_age > auth_retry {
            let rank = self.cluster_replica_rank();
            let delay = 500 + self.rng.below(500) as i64;
            let my_off = self.repl.master_repl_offset;
            let st = self.cs_mut();
            st.failover_auth_time = now + delay + rank as i64 * 1000;
            st.failover_auth_count = 0;
            st.failover_auth_sent = false;
            st.failover_auth_rank = rank;
            if st.mf.end != 0 {
                st.failover_auth_time = now;
                st.failover_auth_rank = 0;
                st.todo |= todo::HANDLE_FAILOVER;
            }
            log::warn!(
                "Start of election delayed for {} milliseconds (rank #{}, offset {}).",
                st.failover_auth_time - now,
                st.failover_auth_rank,
                my_off
            );
            self.cluster_broadcast_pong(true);
            return;
        }
        if !self.cs().failover_auth_sent && self.cs().mf.end == 0 {
            let newrank = self.cluster_replica_rank();
            let st = self.cs_mut();
            if newrank > st.failover_auth_rank {
                let added = (newrank - st.failover_auth_rank) as i64 * 1000;
                st.failover_auth_time += added;
                st.failover_auth_rank = newrank;
                log::warn!(
                    "Replica rank updated to #{}, added {} milliseconds of delay.",
                    newrank,
                    added
                );
            }
        }
        if now < self.cs().failover_auth_time {
            self.cluster_log_cant_failover(CantFailover::WaitingDelay);
            return;
        }
        if auth_age > auth_timeout {
            self.cluster_log_cant_failover(CantFailover::Expired);
            return;
        }
        if !self.cs().failover_auth_sent {
            let st = self.cs_mut();
            st.current_epoch += 1;
            st.failover_auth_epoch = st.current_epoch;
            log::warn!(
                "Starting a failover election for epoch {}.",
                st.current_epoch
            );
            // The new epoch is on disk before anyone can vote for it.
            self.cluster_save_config_or_die(true);
            self.cluster_request_failover_auth();
            let st = self.cs_mut();
            st.failover_auth_sent = true;
            st.todo |= todo::SAVE_CONFIG | todo::UPDATE_STATE | todo::FSYNC_CONFIG;
            return;
        }
        let st = self.cs_mut();
        if st.failover_auth_count >= needed {
            log::warn!("Failover election won: I'm the new master.");
            if st.me().config_epoch < st.failover_auth_epoch {
                let e = st.failover_auth_epoch;
                st.me_mut().config_epoch = e;
                log::warn!("configEpoch set to {} after successful failover", e);
            }
            self.cluster_failover_replace_my_master();
        } else {
            self.cluster_log_cant_failover(CantFailover::WaitingVotes);
        }
    }

    /// clusterFailoverReplaceYourMaster: promotion.
    pub fn cluster_failover_replace_my_master(&mut self) {
        let st = self.cs();
        let me = st.myself;
        let Some(old) = st.my_master() else {
            return;
        };
        self.cluster_set_node_as_master(me);
        self.unset_master();
        let st = self.cs_mut();
        for j in 0..CLUSTER_SLOTS {
            if st.nodes[old].slots.get(j) {
                st.del_slot(j);
                st.add_slot(me, j);
            }
        }
        self.cluster_update_state();
        self.cluster_save_config_or_die(true);
        self.cluster_broadcast_pong(false);
        self.reset_manual_failover();
    }

    /// clusterHandleSlaveMigration.
    pub fn cluster_handle_replica_migration(&mut self, max_slaves: usize) {
        let now = crate::util::mstime();
        let barrier = self.config.get_i64("cluster-migration-barrier");
        let st = self.cs_mut();
        if !st.state_ok {
            return;
        }
        let Some(mymaster) = st.my_master() else {
            return;
        };
        let okslaves = st.nodes[mymaster]
            .replicas
            .iter()
            .filter(|&&r| !st.nodes[r].is_failing())
            .count();
        if okslaves as i64 <= barrier {
            return;
        }
        let mut candidate = st.myself;
        let mut target: Option<NodeId> = None;
        for id in st.node_ids() {
            let n = &st.nodes[id];
            let mut is_orphaned = !(n.is_replica() || n.is_failed()) && n.has(flags::MIGRATE_TO);
            let ok = if n.is_master() {
                st.non_failing_replicas(id)
            } else {
                0
            };
            if ok > 0 {
                is_orphaned = false;
            }
            if is_orphaned {
                if target.is_none() && n.numslots > 0 {
                    target = Some(id);
                }
                if n.orphaned_time == 0 {
                    st.nodes[id].orphaned_time = now;
                }
            } else {
                st.nodes[id].orphaned_time = 0;
            }
            if ok == max_slaves {
                for &r in &st.nodes[id].replicas {
                    if st.nodes[r].name < st.nodes[candidate].name {
                        candidate = r;
                    }
                }
            }
        }
        if let Some(t) = target {
            if candidate == st.myself && now - st.nodes[t].orphaned_time > REPLICA_MIGRATION_DELAY {
                log::warn!("Migrating to orphaned master {}", st.nodes[t].name);
                self.cluster_set_master(t);
            }
        }
    }
}

//! Cluster routing (Redis's getNodeByQuery / clusterRedirectClient): before a command
//! runs on a cluster node, its keys (from the command table's key specs, movable keys
//! included; every queued command for EXEC) must hash to one slot that this node may
//! serve now. Otherwise the client gets -MOVED / -ASK / -TRYAGAIN / -CROSSSLOT /
//! -CLUSTERDOWN. Scripts check each redis.call the same way. Also ASKING, READONLY and
//! READWRITE, the per-connection flags the decision reads.
//!
//! The decision is written against `ClusterView`, a narrow read-only view of the
//! cluster state (slot owners, open slots, health, our role), so it is unit-tested
//! here with a table of cases and does not depend on how the state is stored.

use crate::commands::{flags, Command};
use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::Server;

/// What routing needs to know about the cluster. `Node` is a cheap handle.
pub trait ClusterView {
    type Node: Copy + Eq;
    fn myself(&self) -> Self::Node;
    /// The master serving the slot, None when unassigned.
    fn slot_owner(&self, slot: usize) -> Option<Self::Node>;
    fn migrating_to(&self, slot: usize) -> Option<Self::Node>;
    fn importing_from(&self, slot: usize) -> Option<Self::Node>;
    /// cluster_state:ok.
    fn state_ok(&self) -> bool;
    /// Our master when we are a replica.
    fn my_master(&self) -> Option<Self::Node>;
    /// Where a redirection points: the preferred endpoint (ip, hostname or "?"
    /// per cluster-preferred-endpoint-type) and the client port.
    fn endpoint(&self, n: Self::Node) -> (String, u16);
}

/// The refusals of getNodeByQuery (CLUSTER_REDIR_*), with the node for MOVED/ASK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirect<N> {
    CrossSlot,
    Unstable,
    DownState,
    DownRoState,
    DownUnbound,
    Moved(usize, N),
    Ask(usize, N),
}

/// The node-independent part of a refusal's text (clusterRedirectClient).
pub fn redirect_error<V: ClusterView>(view: &V, r: Redirect<V::Node>) -> String {
    match r {
        Redirect::CrossSlot => "-CROSSSLOT Keys in request don't hash to the same slot".into(),
        Redirect::Unstable => "-TRYAGAIN Multiple keys request during rehashing of slot".into(),
        Redirect::DownState => "-CLUSTERDOWN The cluster is down".into(),
        Redirect::DownRoState => {
            "-CLUSTERDOWN The cluster is down and only accepts read commands".into()
        }
        Redirect::DownUnbound => "-CLUSTERDOWN Hash slot not served".into(),
        Redirect::Moved(slot, n) | Redirect::Ask(slot, n) => {
            let (host, port) = view.endpoint(n);
            let kind = if matches!(r, Redirect::Ask(..)) {
                "ASK"
            } else {
                "MOVED"
            };
            format!("-{} {} {}:{}", kind, slot, host, port)
        }
    }
}

/// One command of the request (or of the EXEC queue) as routing sees it.
pub struct QueryCmd<'a> {
    pub cmd: &'a Command,
    pub argv: Argv<'a>,
}

/// The request-level facts getNodeByQuery reads besides the keys.
pub struct QueryCtx {
    /// The flags of the command being routed (EXEC: its own flags, plus the
    /// queued commands' union in `exec_write`).
    pub cmd_flags: u64,
    pub exec_write: bool,
    pub asking: bool,
    pub readonly: bool,
    pub is_migrate: bool,
    pub is_pubsubshard: bool,
    pub allow_reads_when_down: bool,
    pub allow_pubsubshard_when_down: bool,
}

/// getNodeByQuery: Ok(slot) when this node serves the request (slot None when it
/// has no keys), Err with the refusal otherwise. `exists` tells whether a key is
/// in the keyspace (db 0, expired keys absent), asked only for open slots.
pub fn get_node_by_query<V: ClusterView>(
    view: &V,
    cmds: &[QueryCmd],
    ctx: &QueryCtx,
    mut exists: impl FnMut(&[u8]) -> bool,
) -> Result<Option<usize>, Redirect<V::Node>> {
    let me = view.myself();
    let mut first: Option<&[u8]> = None;
    let mut slot = 0;
    let mut owner = None;
    let mut multiple_keys = false;
    let (mut migrating, mut importing) = (false, false);
    let (mut missing, mut existing) = (0, 0);
    for qc in cmds {
        let positions =
            crate::commands::keys::get_key_positions(qc.cmd, &qc.argv).unwrap_or_default();
        for p in positions {
            let key = qc.argv.get(p);
            let this_slot = super::key_hash_slot(key);
            match first {
                None => {
                    first = Some(key);
                    slot = this_slot;
                    let Some(n) = view.slot_owner(slot) else {
                        return Err(Redirect::DownUnbound);
                    };
                    owner = Some(n);
                    if n == me && view.migrating_to(slot).is_some() {
                        migrating = true;
                    } else if view.importing_from(slot).is_some() {
                        importing = true;
                    }
                }
                Some(f) if f != key => {
                    if this_slot != slot {
                        return Err(Redirect::CrossSlot);
                    }
                    multiple_keys = true;
                }
                Some(_) => {}
            }
            // Shard channels keep being served by the source until the slot moves.
            if (migrating || importing) && !ctx.is_pubsubshard {
                if exists(key) {
                    existing += 1;
                } else {
                    missing += 1;
                }
            }
        }
    }
    let Some(n) = owner else {
        return Ok(None);
    };
    if !view.state_ok() {
        if ctx.is_pubsubshard {
            if !ctx.allow_pubsubshard_when_down {
                return Err(Redirect::DownState);
            }
        } else if !ctx.allow_reads_when_down {
            return Err(Redirect::DownState);
        } else if ctx.cmd_flags & flags::WRITE != 0 {
            return Err(Redirect::DownRoState);
        }
    }
    // MIGRATE works locally while the slot is open, to move keys either way.
    if (migrating || importing) && ctx.is_migrate {
        return Ok(Some(slot));
    }
    if migrating && missing > 0 {
        if existing > 0 {
            return Err(Redirect::Unstable);
        }
        let to = view
            .migrating_to(slot)
            .expect("migrating slot has a target");
        return Err(Redirect::Ask(slot, to));
    }
    if importing && (ctx.asking || ctx.cmd_flags & flags::ASKING != 0) {
        if multiple_keys && missing > 0 {
            return Err(Redirect::Unstable);
        }
        return Ok(Some(slot));
    }
    let is_write = ctx.cmd_flags & flags::WRITE != 0 || ctx.exec_write;
    if (ctx.readonly || ctx.is_pubsubshard) && !is_write && view.my_master() == Some(n) {
        return Ok(Some(slot));
    }
    if n != me {
        return Err(Redirect::Moved(slot, n));
    }
    Ok(Some(slot))
}

fn is_pubsubshard(cmd: &Command) -> bool {
    matches!(cmd.spec.name, "ssubscribe" | "sunsubscribe" | "spublish")
}

/// The view of this server's cluster state, when cluster mode is on.
pub fn with_view<R>(srv: &Server, f: impl FnOnce(&dyn DynView) -> R) -> Option<R> {
    if !srv.config.cluster_enabled {
        return None;
    }
    match srv.cluster.as_deref() {
        Some(st) => Some(f(&StateView { st, srv })),
        None => Some(f(&Unconfigured)),
    }
}

/// Routing's and the topology commands' view of the state the cluster bus keeps.
pub struct StateView<'a> {
    pub st: &'a super::ClusterState,
    pub srv: &'a Server,
}

impl ClusterView for StateView<'_> {
    type Node = super::NodeId;
    fn myself(&self) -> super::NodeId {
        self.st.myself
    }
    fn slot_owner(&self, slot: usize) -> Option<super::NodeId> {
        self.st.slot_owner(slot)
    }
    fn migrating_to(&self, slot: usize) -> Option<super::NodeId> {
        self.st.migrating_to(slot)
    }
    fn importing_from(&self, slot: usize) -> Option<super::NodeId> {
        self.st.importing_from(slot)
    }
    fn state_ok(&self) -> bool {
        self.st.is_ok()
    }
    fn my_master(&self) -> Option<super::NodeId> {
        self.st.my_master()
    }
    fn endpoint(&self, n: super::NodeId) -> (String, u16) {
        let node = self.st.node(n);
        let host = match self
            .srv
            .config
            .get_enum("cluster-preferred-endpoint-type")
            .as_str()
        {
            "hostname" if !node.hostname.is_empty() => node.hostname.clone(),
            "hostname" => "?".into(),
            "unknown-endpoint" => String::new(),
            _ => node.ip.clone(),
        };
        (host, node.port)
    }
}

impl super::slots_cmd::Topology for StateView<'_> {
    fn masters(&self) -> Vec<super::NodeId> {
        self.st
            .node_ids()
            .into_iter()
            .filter(|&n| self.st.node(n).is_master())
            .collect()
    }
    fn replicas(&self, m: super::NodeId) -> Vec<super::NodeId> {
        self.st.node(m).replicas.clone()
    }
    fn id(&self, n: super::NodeId) -> String {
        self.st.node(n).name.clone()
    }
    fn ip(&self, n: super::NodeId) -> String {
        self.st.node(n).ip.clone()
    }
    fn hostname(&self, n: super::NodeId) -> String {
        self.st.node(n).hostname.clone()
    }
    fn port(&self, n: super::NodeId) -> u16 {
        self.st.node(n).port
    }
    fn failed(&self, n: super::NodeId) -> bool {
        self.st.node(n).is_failed()
    }
    fn is_replica(&self, n: super::NodeId) -> bool {
        self.st.node(n).is_replica()
    }
    fn repl_offset(&self, n: super::NodeId) -> i64 {
        // Nodes do not gossip to themselves: our own offset comes from replication.
        if n == self.st.myself {
            self.srv.repl.master_repl_offset
        } else {
            self.st.node(n).repl_offset
        }
    }
    fn endpoint_type(&self) -> &str {
        match self
            .srv
            .config
            .get_enum("cluster-preferred-endpoint-type")
            .as_str()
        {
            "hostname" => "hostname",
            "unknown-endpoint" => "unknown-endpoint",
            _ => "ip",
        }
    }
}

/// The view while this server keeps no cluster state: like a fresh Redis node, it
/// knows no slot owner, so every request with keys is refused with
/// "-CLUSTERDOWN Hash slot not served" rather than served as if it owned the slot.
/// The state model of the cluster bus replaces it.
struct Unconfigured;

impl ClusterView for Unconfigured {
    type Node = ();
    fn myself(&self) {}
    fn slot_owner(&self, _: usize) -> Option<()> {
        None
    }
    fn migrating_to(&self, _: usize) -> Option<()> {
        None
    }
    fn importing_from(&self, _: usize) -> Option<()> {
        None
    }
    fn state_ok(&self) -> bool {
        false
    }
    fn my_master(&self) -> Option<()> {
        None
    }
    fn endpoint(&self, _: ()) -> (String, u16) {
        (String::new(), 0)
    }
}

/// Object-safe face of ClusterView with node handles as usize, for callers
/// that only need to run the decision (call.rs, scripts).
pub trait DynView {
    fn route(
        &self,
        cmds: &[QueryCmd],
        ctx: &QueryCtx,
        exists: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<Option<usize>, String>;
}

impl<V: ClusterView> DynView for V {
    fn route(
        &self,
        cmds: &[QueryCmd],
        ctx: &QueryCtx,
        exists: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<Option<usize>, String> {
        get_node_by_query(self, cmds, ctx, exists).map_err(|r| redirect_error(self, r))
    }
}

/// getCommandFlags: an EVAL of a script with a shebang is a write command or not by
/// its flags (no-writes), not by EVAL's own.
fn command_flags(srv: &Server, cmd: &Command, argv: &Argv) -> u64 {
    use crate::scripting::{SF_EVAL_COMPAT, SF_NO_WRITES};
    let evalsha = match cmd.spec.name {
        "eval" | "eval_ro" => false,
        "evalsha" | "evalsha_ro" => true,
        _ => return cmd.flags,
    };
    match srv.eval_script_flags(argv, evalsha) {
        Some(sf) if sf & SF_EVAL_COMPAT == 0 => {
            if sf & SF_NO_WRITES != 0 {
                cmd.flags & !flags::WRITE
            } else {
                cmd.flags | flags::WRITE
            }
        }
        _ => cmd.flags,
    }
}

fn query_ctx(srv: &Server, c: &Client, cmd: &Command, argv: &Argv, exec_write: bool) -> QueryCtx {
    QueryCtx {
        cmd_flags: command_flags(srv, cmd, argv),
        exec_write,
        asking: c.flags.has(ClientFlags::ASKING),
        readonly: c.flags.has(ClientFlags::READONLY),
        is_migrate: cmd.spec.name == "migrate",
        is_pubsubshard: is_pubsubshard(cmd),
        allow_reads_when_down: srv.config.get_bool("cluster-allow-reads-when-down"),
        allow_pubsubshard_when_down: srv.config.get_bool("cluster-allow-pubsubshard-when-down"),
    }
}

fn key_exists(srv: &Server, key: &[u8]) -> bool {
    srv.dbs[0].contains(key) && !srv.key_is_expired(0, key)
}

impl Server {
    /// processCommand's cluster step: Some(error text) when the request must be
    /// redirected or refused. Only for clients other than our master, and only
    /// for commands that can have keys (or EXEC).
    pub fn cluster_redirect(&mut self, c: &mut Client, id: usize, argv: &Argv) -> Option<String> {
        if !self.config.cluster_enabled || c.flags.has(ClientFlags::MASTER) {
            return None;
        }
        let cmd = &self.commands.cmds[id];
        let is_exec = cmd.spec.name == "exec";
        if !cmd.has(flags::MOVABLE_KEYS) && cmd.spec.key_specs.is_empty() && !is_exec {
            return None;
        }
        let mut cmds = Vec::new();
        let mut exec_write = false;
        if is_exec {
            // EXEC without MULTI only errors; otherwise the queue is routed as a whole.
            let ms = c.mstate.as_ref()?;
            exec_write = ms.cmd_flags & flags::WRITE != 0;
            for (qid, qargv) in ms.queued() {
                cmds.push(QueryCmd {
                    cmd: &self.commands.cmds[qid],
                    argv: qargv.view(),
                });
            }
        } else {
            cmds.push(QueryCmd { cmd, argv: *argv });
        }
        let ctx = query_ctx(self, c, cmd, argv, exec_write);
        let res = with_view(self, |v| v.route(&cmds, &ctx, &mut |k| key_exists(self, k)))?;
        match res {
            Ok(slot) => {
                c.slot = slot.map_or(-1, |s| s as i32);
                None
            }
            Err(e) => Some(e),
        }
    }

    /// scriptVerifyClusterState: Err(text) when a command run by a script touches a
    /// key this node can't serve now, or keys of another slot than the script's.
    pub fn cluster_check_script_call(
        &mut self,
        caller: &mut Client,
        id: usize,
        argv: &Argv,
        allow_cross_slot: bool,
    ) -> Result<(), String> {
        if !self.config.cluster_enabled || caller.flags.has(ClientFlags::MASTER) {
            return Ok(());
        }
        let cmd = &self.commands.cmds[id];
        let cmds = [QueryCmd { cmd, argv: *argv }];
        let ctx = query_ctx(self, caller, cmd, argv, false);
        let Some(res) = with_view(self, |v| v.route(&cmds, &ctx, &mut |k| key_exists(self, k)))
        else {
            return Ok(());
        };
        match res {
            Err(e) => Err(
                if e.starts_with("-CLUSTERDOWN The cluster is down and only") {
                    "Script attempted to execute a write command while the cluster is down and readonly".into()
                } else if e == "-CLUSTERDOWN The cluster is down" {
                    "Script attempted to execute a command while the cluster is down".into()
                } else {
                    "Script attempted to access a non local key in a cluster node".into()
                },
            ),
            Ok(Some(slot)) if !allow_cross_slot => {
                if caller.slot == -1 {
                    caller.slot = slot as i32;
                    Ok(())
                } else if caller.slot != slot as i32 {
                    Err("Script attempted to access keys that do not hash to the same slot".into())
                } else {
                    Ok(())
                }
            }
            Ok(_) => Ok(()),
        }
    }
}

/// resetClient's rule: ASKING covers the next command only (a whole MULTI when
/// given before it).
#[inline]
pub fn after_command(c: &mut Client) {
    if c.flags.has(ClientFlags::ASKING)
        && !c.flags.has(ClientFlags::MULTI)
        && c.last_cmd != "asking"
    {
        c.flags.clear(ClientFlags::ASKING);
    }
}

fn cluster_disabled(srv: &Server, c: &mut Client) -> bool {
    if !srv.config.cluster_enabled {
        c.add_error("This instance has cluster support disabled");
        return true;
    }
    false
}

pub fn asking_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if cluster_disabled(srv, c) {
        return;
    }
    c.flags.set(ClientFlags::ASKING);
    c.add_ok();
}

pub fn readonly_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if cluster_disabled(srv, c) {
        return;
    }
    c.flags.set(ClientFlags::READONLY);
    c.add_ok();
}

pub fn readwrite_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if cluster_disabled(srv, c) {
        return;
    }
    c.flags.clear(ClientFlags::READONLY);
    c.add_ok();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::CommandTable;
    use crate::resp::OwnedArgv;
    use std::collections::{HashMap, HashSet};

    /// A cluster of nodes 0 (myself), 1, 2 for the decision table.
    struct Fake {
        owners: HashMap<usize, usize>,
        migrating: HashMap<usize, usize>,
        importing: HashMap<usize, usize>,
        ok: bool,
        master: Option<usize>,
    }

    impl Fake {
        fn new() -> Fake {
            Fake {
                owners: HashMap::new(),
                migrating: HashMap::new(),
                importing: HashMap::new(),
                ok: true,
                master: None,
            }
        }
    }

    impl ClusterView for Fake {
        type Node = usize;
        fn myself(&self) -> usize {
            0
        }
        fn slot_owner(&self, s: usize) -> Option<usize> {
            self.owners.get(&s).copied()
        }
        fn migrating_to(&self, s: usize) -> Option<usize> {
            self.migrating.get(&s).copied()
        }
        fn importing_from(&self, s: usize) -> Option<usize> {
            self.importing.get(&s).copied()
        }
        fn state_ok(&self) -> bool {
            self.ok
        }
        fn my_master(&self) -> Option<usize> {
            self.master
        }
        fn endpoint(&self, n: usize) -> (String, u16) {
            ("127.0.0.1".into(), 7000 + n as u16)
        }
    }

    fn ctx(t: &CommandTable, name: &str) -> QueryCtx {
        let id = t.by_name[name.as_bytes()];
        let cmd = &t.cmds[id];
        QueryCtx {
            cmd_flags: cmd.flags,
            exec_write: false,
            asking: false,
            readonly: false,
            is_migrate: name == "migrate",
            is_pubsubshard: is_pubsubshard(cmd),
            allow_reads_when_down: false,
            allow_pubsubshard_when_down: true,
        }
    }

    fn route(
        v: &Fake,
        t: &CommandTable,
        args: &[&str],
        ctx: &QueryCtx,
        present: &HashSet<&str>,
    ) -> Result<Option<usize>, String> {
        let a = OwnedArgv::from_slices(args.iter());
        let id = t.by_name[args[0].to_ascii_lowercase().as_bytes()];
        let cmds = [QueryCmd {
            cmd: &t.cmds[id],
            argv: a.view(),
        }];
        get_node_by_query(v, &cmds, ctx, |k| {
            present.contains(std::str::from_utf8(k).unwrap())
        })
        .map_err(|r| redirect_error(v, r))
    }

    const FOO: usize = 12182; // key_hash_slot("foo")

    #[test]
    fn decision_table() {
        let t = CommandTable::load();
        let none = HashSet::new();
        let mut v = Fake::new();
        let get = ctx(&t, "get");
        // Unassigned slot.
        assert_eq!(
            route(&v, &t, &["GET", "foo"], &get, &none),
            Err("-CLUSTERDOWN Hash slot not served".into())
        );
        // No keys: served here whatever the state.
        assert_eq!(route(&v, &t, &["PING"], &ctx(&t, "ping"), &none), Ok(None));
        v.owners.insert(FOO, 0);
        assert_eq!(route(&v, &t, &["GET", "foo"], &get, &none), Ok(Some(FOO)));
        v.owners.insert(FOO, 2);
        assert_eq!(
            route(&v, &t, &["GET", "foo"], &get, &none),
            Err("-MOVED 12182 127.0.0.1:7002".into())
        );
        // Hash tags put keys in one slot; different slots are CROSSSLOT.
        for s in 0..16384 {
            v.owners.insert(s, 0);
        }
        let mset = ctx(&t, "mset");
        assert_eq!(
            route(&v, &t, &["MSET", "{u}a", "1", "{u}b", "2"], &mset, &none),
            Ok(Some(crate::cluster::key_hash_slot(b"u")))
        );
        assert_eq!(
            route(&v, &t, &["MSET", "a", "1", "b", "2"], &mset, &none),
            Err("-CROSSSLOT Keys in request don't hash to the same slot".into())
        );
        // Movable keys (numkeys) are found too.
        assert_eq!(
            route(
                &v,
                &t,
                &["EVAL", "return 1", "2", "a", "b"],
                &ctx(&t, "eval"),
                &none
            ),
            Err("-CROSSSLOT Keys in request don't hash to the same slot".into())
        );
        // Migrating: keys here are served, all missing → ASK, some missing → TRYAGAIN.
        let s = crate::cluster::key_hash_slot(b"u");
        v.migrating.insert(s, 1);
        let present: HashSet<&str> = ["{u}a"].into_iter().collect();
        assert_eq!(route(&v, &t, &["GET", "{u}a"], &get, &present), Ok(Some(s)));
        assert_eq!(
            route(&v, &t, &["GET", "{u}b"], &get, &present),
            Err(format!("-ASK {} 127.0.0.1:7001", s))
        );
        let mget = ctx(&t, "mget");
        assert_eq!(
            route(&v, &t, &["MGET", "{u}a", "{u}b"], &mget, &present),
            Err("-TRYAGAIN Multiple keys request during rehashing of slot".into())
        );
        // MIGRATE works locally on an open slot.
        assert_eq!(
            route(
                &v,
                &t,
                &["MIGRATE", "h", "1", "{u}b", "0", "10"],
                &ctx(&t, "migrate"),
                &present
            ),
            Ok(Some(s))
        );
        v.migrating.clear();
        // Importing: only with ASKING (or RESTORE-ASKING); multi-key with a missing key → TRYAGAIN.
        v.owners.insert(s, 1);
        v.importing.insert(s, 1);
        assert_eq!(
            route(&v, &t, &["GET", "{u}b"], &get, &present),
            Err(format!("-MOVED {} 127.0.0.1:7001", s))
        );
        let mut asking = ctx(&t, "get");
        asking.asking = true;
        assert_eq!(
            route(&v, &t, &["GET", "{u}b"], &asking, &present),
            Ok(Some(s))
        );
        let mut mget_asking = ctx(&t, "mget");
        mget_asking.asking = true;
        assert_eq!(
            route(&v, &t, &["MGET", "{u}a", "{u}b"], &mget_asking, &present),
            Err("-TRYAGAIN Multiple keys request during rehashing of slot".into())
        );
        assert_eq!(
            route(
                &v,
                &t,
                &["RESTORE-ASKING", "{u}b", "0", "x"],
                &ctx(&t, "restore-asking"),
                &present
            ),
            Ok(Some(s))
        );
        v.importing.clear();
        // A replica serves reads of its master's slots to READONLY clients only.
        v.master = Some(1);
        let mut ro = ctx(&t, "get");
        ro.readonly = true;
        assert_eq!(route(&v, &t, &["GET", "{u}a"], &ro, &none), Ok(Some(s)));
        let mut ro_set = ctx(&t, "set");
        ro_set.readonly = true;
        assert_eq!(
            route(&v, &t, &["SET", "{u}a", "1"], &ro_set, &none),
            Err(format!("-MOVED {} 127.0.0.1:7001", s))
        );
        // Shard channels are readable on replicas without READONLY.
        assert_eq!(
            route(
                &v,
                &t,
                &["SSUBSCRIBE", "{u}a"],
                &ctx(&t, "ssubscribe"),
                &none
            ),
            Ok(Some(s))
        );
        v.master = None;
        // Cluster down: both CLUSTERDOWN texts, reads allowed when configured.
        v.owners.insert(s, 0);
        v.ok = false;
        assert_eq!(
            route(&v, &t, &["GET", "{u}a"], &get, &none),
            Err("-CLUSTERDOWN The cluster is down".into())
        );
        let mut rd = ctx(&t, "get");
        rd.allow_reads_when_down = true;
        assert_eq!(route(&v, &t, &["GET", "{u}a"], &rd, &none), Ok(Some(s)));
        let mut wr = ctx(&t, "set");
        wr.allow_reads_when_down = true;
        assert_eq!(
            route(&v, &t, &["SET", "{u}a", "1"], &wr, &none),
            Err("-CLUSTERDOWN The cluster is down and only accepts read commands".into())
        );
        let mut sp = ctx(&t, "spublish");
        assert_eq!(
            route(&v, &t, &["SPUBLISH", "{u}a", "m"], &sp, &none),
            Ok(Some(s))
        );
        sp.allow_pubsubshard_when_down = false;
        assert_eq!(
            route(&v, &t, &["SPUBLISH", "{u}a", "m"], &sp, &none),
            Err("-CLUSTERDOWN The cluster is down".into())
        );
    }
}

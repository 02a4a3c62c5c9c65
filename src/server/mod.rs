//! The Server: sole owner of all state (config, databases, clients, command
//! table, stats), as sibling fields so handlers borrow what they need. The
//! event loop, cron, INFO and shutdown live in this module's files.

pub mod conn_cmds;
pub mod cron;
pub mod event_loop;
pub mod info;
pub mod listen;
pub mod propagate;
pub mod server_cmds;
pub mod shutdown;
pub mod startup;

use crate::commands::CommandTable;
use crate::config::Config;
use crate::db::Db;
use crate::latency::LatencyMonitor;
use crate::networking::Client;
use crate::slowlog::Slowlog;
use crate::util::Rng;
use slab::Slab;

/// Counters behind INFO stats.
#[derive(Default)]
pub struct Stats {
    pub numcommands: u64,
    pub numconnections: u64,
    pub rejected_conn: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub total_error_replies: u64,
    pub errorstats: Vec<(String, u64)>,
    pub errorstats_overflow_logged: bool,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub keys_modified: u64,
    pub expire_cycle_keys_sampled: u64,
    pub expire_cycle_time_used: u64,
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    pub client_qbuf_limit_disconnections: u64,
    pub unexpected_error_replies: u64,
    pub io_reads_processed: u64,
    /// Instantaneous metrics: ring buffers sampled by cron (ops, net in, net out).
    pub inst: [InstMetric; 3],
    /// Running estimate of the fraction of sampled TTL keys found already expired.
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub evicted_clients: u64,
    pub reply_buffer_shrinks: u64,
    pub reply_buffer_expands: u64,
}

#[derive(Default, Clone, Copy)]
pub struct InstMetric {
    pub last_sample_time_ms: i64,
    pub last_sample_count: u64,
    pub samples: [u64; 16],
    pub idx: usize,
}

impl InstMetric {
    pub fn track(&mut self, now_ms: i64, current: u64) {
        let t = now_ms - self.last_sample_time_ms;
        let ops = current.saturating_sub(self.last_sample_count);
        let per_sec = if t > 0 { ops * 1000 / t as u64 } else { 0 };
        self.samples[self.idx] = per_sec;
        self.idx = (self.idx + 1) % self.samples.len();
        self.last_sample_time_ms = now_ms;
        self.last_sample_count = current;
    }
    pub fn value(&self) -> u64 {
        self.samples.iter().sum::<u64>() / self.samples.len() as u64
    }
}

pub const INST_OPS: usize = 0;
pub const INST_NET_IN: usize = 1;
pub const INST_NET_OUT: usize = 2;

/// CLIENT PAUSE state.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum PauseKind {
    None,
    Write,
    All,
}

pub struct Server {
    pub config: Config,
    pub config_file: Option<String>,
    pub exec_argv: Vec<String>,
    pub commands: CommandTable,
    pub dbs: Vec<Db>,
    /// Clients by slab key; a client is `None` while it runs a command (taken out so
    /// handlers can borrow the server and the client at once).
    pub clients: Slab<Option<Box<Client>>>,
    pub next_client_id: u64,
    pub stats: Stats,
    pub stat_peak_memory: u64,
    /// Mstime frozen for the running command (expiry decisions).
    pub cmd_time_ms: i64,
    /// Redis's LRU clock: seconds, 24 bits.
    pub lru_clock: u32,
    pub hz: u32,
    pub cronloops: u64,
    pub dirty: u64,
    pub loading: bool,
    pub rng: Rng,
    pub active_expire_enabled: bool,
    pub expire_fast_pending: bool,
    pub last_fast_expire_us: u64,
    pub expire_db_cursor: usize,
    /// Tokens of clients with replies to flush before sleeping.
    pub pending_writes: Vec<usize>,
    /// Tokens of clients to free before sleeping.
    pub close_asap: Vec<usize>,
    pub monitors: Vec<usize>,
    pub slowlog: Slowlog,
    pub latency: LatencyMonitor,
    pub shutdown_asap: bool,
    pub shutdown_signal: i32,
    pub start_monotonic_us: u64,
    pub run_id: String,
    pub pause: PauseKind,
    pub pause_end_ms: i64,
    pub registry: Option<mio::Registry>,
    pub listeners: Vec<listen::Listener>,
    pub tcp_port: u16,
    pub executable: String,
    pub last_save_time: i64,
    pub clients_cron_cursor: usize,
    /// Tokens of clients whose current command waits for CLIENT PAUSE to end.
    pub paused_clients: Vec<usize>,
    /// Heap in use once the server was initialised (INFO used_memory_startup).
    pub used_memory_startup: u64,
    /// Replication ID (INFO master_replid), random at start.
    pub replid: String,
    /// ACL users, the ACL log.
    pub acl: crate::acl::Acl,
    /// maxmemory eviction: candidate pool, time proc, exceeded-time stats.
    pub evict: crate::evict::EvictState,
    /// DEBUG PAUSE-CRON: serverCron skips its work while set.
    pub pause_cron: bool,
    /// LRU/LFU field of each shared integer object (0..10000): in Redis every key
    /// holding one of them shares one robj, so access times are shared too.
    pub shared_int_lru: Vec<u32>,
    /// Memory of evictable clients as last accounted (maxmemory-clients).
    pub clients_mem_total: usize,
    /// Clients blocked on keys, ready keys and timeouts (src/blocked.rs).
    pub blocking: crate::blocked::Blocking,
    /// Client-side caching: tracked keys, BCAST prefixes, pending invalidations.
    pub tracking: crate::tracking::Tracking,
    /// Command propagation queue (also_propagate) and the running command's frame.
    pub prop: propagate::Propagation,
    /// The append-only file.
    pub aof: crate::aof::Aof,
    pub pubsub: crate::pubsub::PubSub,
    /// WATCHed keys and their clients.
    pub watches: crate::multi::Watches,
    /// EXEC is running its queued commands (server.in_exec).
    pub in_exec: bool,
    /// Lua scripting and functions (src/scripting).
    pub scripting: crate::scripting::Scripting,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: noscript commands may run from scripts.
    pub script_disable_deny_script: bool,
    /// The OOM verdict of the running command's gate (server.pre_command_oom_state):
    /// scripts check it before their first write.
    pub pre_command_oom_state: bool,
    /// The fork child (BGSAVE, AOF rewrite) and its reported progress.
    pub child: crate::child::ChildState,
    /// RDB snapshot and load bookkeeping (INFO persistence).
    pub rdb: crate::rdb::cmds::RdbState,
    /// processEventsWhileBlocked, installed by the event loop once it runs:
    /// long loads call it to keep serving clients (with -LOADING replies).
    pub events_while_blocked: Option<fn(&mut Server)>,
    /// The event loop's Poll while a load runs outside the loop.
    pub blocked_poll: Option<mio::Poll>,
    /// Replication: offsets, backlog, replicas (src/replication).
    pub repl: crate::replication::ReplState,
    /// Redis Cluster state, present when `cluster-enabled yes` (src/cluster).
    pub cluster: Option<Box<crate::cluster::ClusterState>>,
}

pub const FIRST_CLIENT_TOKEN: usize = 64;

impl Server {
    pub fn new(config: Config) -> Server {
        let n = config.databases;
        let cluster = config.cluster_enabled;
        let now = crate::util::mstime();
        let hz = config.hz;
        let commands = CommandTable::load();
        let acl = crate::acl::Acl::new(&commands);
        crate::alloc::set_maxmemory(config.maxmemory);
        let shared_lru = if config.maxmemory_policy_uses_lfu() {
            crate::db::object::lfu_initial()
        } else {
            lru_clock_now()
        };
        Server {
            dbs: (0..n).map(|i| Db::new(i, cluster)).collect(),
            config,
            config_file: None,
            exec_argv: Vec::new(),
            commands,
            clients: Slab::new(),
            next_client_id: 1,
            stats: Stats::default(),
            stat_peak_memory: 0,
            cmd_time_ms: now,
            lru_clock: lru_clock_now(),
            hz,
            cronloops: 0,
            dirty: 0,
            loading: false,
            rng: Rng::new(),
            active_expire_enabled: true,
            expire_fast_pending: false,
            last_fast_expire_us: 0,
            expire_db_cursor: 0,
            pending_writes: Vec::new(),
            close_asap: Vec::new(),
            monitors: Vec::new(),
            slowlog: Slowlog::default(),
            latency: LatencyMonitor::default(),
            shutdown_asap: false,
            shutdown_signal: 0,
            start_monotonic_us: crate::util::monotonic_us(),
            run_id: crate::util::random_hex(40),
            pause: PauseKind::None,
            pause_end_ms: 0,
            registry: None,
            listeners: Vec::new(),
            tcp_port: 0,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            last_save_time: now / 1000,
            clients_cron_cursor: 0,
            paused_clients: Vec::new(),
            used_memory_startup: 0,
            replid: crate::util::random_hex(40),
            acl,
            evict: Default::default(),
            pause_cron: false,
            shared_int_lru: vec![shared_lru; crate::db::object::SHARED_INTEGERS as usize],
            clients_mem_total: 0,
            blocking: crate::blocked::Blocking::default(),
            tracking: Default::default(),
            prop: Default::default(),
            aof: Default::default(),
            pubsub: Default::default(),
            watches: Default::default(),
            in_exec: false,
            scripting: Default::default(),
            script_disable_deny_script: false,
            pre_command_oom_state: false,
            child: Default::default(),
            rdb: Default::default(),
            events_while_blocked: None,
            blocked_poll: None,
            repl: Default::default(),
            cluster: None,
        }
    }

    /// A replica leaves expiry to its master (server.masterhost != NULL).
    pub fn is_replica_of_master(&self) -> bool {
        self.is_replica()
    }

    /// CLIENT PAUSE WRITE/ALL also pauses key expiry and eviction, as in Redis.
    pub fn expire_paused(&self) -> bool {
        self.pause != PauseKind::None && crate::util::mstime() < self.pause_end_ms
    }

    /// Queues a client for the before-sleep flush (putClientInPendingWriteQueue).
    #[inline]
    pub fn mark_pending_write(&mut self, c: &mut Client) {
        use crate::networking::ClientFlags;
        if !c.flags.has(ClientFlags::PENDING_WRITE) && !c.is_fake() {
            c.flags.set(ClientFlags::PENDING_WRITE);
            self.pending_writes.push(c.token);
        }
        self.check_obuf_hit(c);
    }

    pub fn uptime_secs(&self) -> i64 {
        ((crate::util::monotonic_us() - self.start_monotonic_us) / 1_000_000) as i64
    }
}

pub fn lru_clock_now() -> u32 {
    ((crate::util::mstime() / 1000) & ((1 << 24) - 1)) as u32
}

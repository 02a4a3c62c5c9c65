//! Server configuration. Every directive of Redis 7.0's table (table.rs) has a
//! value slot in `Config::values`; that store is the source of truth for CONFIG
//! GET/SET/REWRITE. The typed fields below (`port`, `hz`, ...) mirror it for the
//! rest of the server to read cheaply: they are refreshed by `sync_typed()`
//! after every load or CONFIG SET, so change settings through `set()`, not by
//! writing the fields. Any directive without a typed field can be read with
//! `get_i64` / `get_bool` / `get_enum` / `get_str`.

pub mod cmd;
pub mod load;
pub mod parse;
pub mod rewrite;
pub mod table;

use std::collections::HashMap;
use std::sync::OnceLock;
use table::{Directive, Kind, DIRECTIVES};

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum ProtectedMode {
    No,
    Yes,
    Local,
}

/// One client class's output buffer limits (normal, replica, pubsub).
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct ObufLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: i64,
}

pub const OBUF_DEFAULTS: [ObufLimit; 3] = [
    ObufLimit {
        hard: 0,
        soft: 0,
        soft_seconds: 0,
    },
    ObufLimit {
        hard: 256 << 20,
        soft: 64 << 20,
        soft_seconds: 60,
    },
    ObufLimit {
        hard: 32 << 20,
        soft: 8 << 20,
        soft_seconds: 60,
    },
];
pub const OBUF_CLASS_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];
pub const OOM_DEFAULTS: [i32; 3] = [0, 200, 800];
pub const DEFAULT_BIND: [&str; 2] = ["*", "-::*"];
pub const DEFAULT_SAVE: [(i64, i64); 3] = [(3600, 1), (300, 100), (60, 10000)];
pub const DEFAULT_PERCENTILES: [f64; 3] = [50.0, 99.0, 99.9];

/// The value of one directive.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Str(Option<Vec<u8>>),
    Enum(i32),
    Num(i64),
    /// `dir` lives in the process's working directory.
    Dir,
    Save(Vec<(i64, i64)>),
    Obuf([ObufLimit; 3]),
    Oom([i32; 3]),
    Notify(i32),
    Bind(Vec<String>),
    ReplicaOf(Option<(String, i64)>),
    Percentiles(Vec<f64>),
}

pub const POLICY_LRU: u8 = 1;
pub const POLICY_LFU: u8 = 2;

#[derive(Clone, Debug)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    pub unixsocket: Option<String>,
    pub unixsocketperm: u32,
    pub tcp_backlog: i32,
    pub tcp_keepalive: u32,
    pub timeout: u64,
    pub maxclients: usize,
    pub protected_mode: bool,
    pub requirepass: Option<Vec<u8>>,
    pub databases: usize,
    pub hz: u32,
    pub dynamic_hz: bool,
    /// list-max-listpack-size (quicklist fill) and list-compress-depth.
    pub list_max_listpack_size: i32,
    pub list_compress_depth: i32,
    /// hll-sparse-max-bytes: sparse HLLs larger than this turn dense.
    pub hll_sparse_max_bytes: usize,
    /// zset-max-listpack-entries / -value: sorted sets stay listpacks below both.
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// stream-node-max-bytes / -entries: when XADD starts a new node.
    pub stream_node_max_bytes: usize,
    pub stream_node_max_entries: i64,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: usize,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: usize,
    pub latency_monitor_threshold: u64,
    pub maxmemory: u64,
    /// maxmemory-clients (negative: percent of maxmemory), mirrored for the read path.
    pub maxmemory_clients: i64,
    /// tracking-table-max-keys, mirrored for the command path.
    pub tracking_table_max_keys: usize,
    pub maxmemory_policy: String,
    /// LRU/LFU bits of `maxmemory_policy`, kept beside the name because the keyspace
    /// asks on every object it creates or touches.
    pub maxmemory_policy_bits: u8,
    pub active_expire_effort: u32,
    pub enable_debug_command: ProtectedMode,
    pub enable_module_command: ProtectedMode,
    pub enable_protected_configs: ProtectedMode,
    pub cluster_enabled: bool,
    pub loglevel: String,
    pub logfile: String,
    pub always_show_logo: bool,
    pub daemonize: bool,
    pub pidfile: String,
    pub dir: String,
    /// latency-tracking: per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM).
    pub latency_tracking: bool,
    /// latency-tracking-info-percentiles: the percentiles INFO latencystats prints.
    pub latency_tracking_info_percentiles: Vec<f64>,
    /// notify-keyspace-events as Redis's NOTIFY_* bit flags.
    pub notify_keyspace_events: i32,
    /// `save` points: (seconds, changes).
    pub save_params: Vec<(i64, i64)>,
    pub supervised: String,
    pub client_obuf_limits: [ObufLimit; 3],
    /// Every directive's value, indexed like `table::DIRECTIVES`.
    pub values: Vec<Value>,
    /// `user` lines from the config file (arguments after "user").
    pub users: Vec<Vec<Vec<u8>>>,
    /// `loadmodule` lines (path and arguments).
    pub loadmodules: Vec<Vec<Vec<u8>>>,
    /// `name.arg value` module configs queued by the file.
    pub module_configs: Vec<(String, String)>,
    /// Directives already reported as not implemented.
    pub warned: Vec<bool>,
    /// Redis resets the default save points the first time the file sets `save`.
    pub save_loaded: bool,
    pub lfu_log_factor: i64,
    pub lfu_decay_time: i64,
    pub maxmemory_samples: usize,
    pub maxmemory_eviction_tenacity: u32,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,
    /// hash-max-listpack-entries / -value and set-max-intset-entries, cached
    /// because HSET and SADD consult them on every call.
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
}

fn index() -> &'static HashMap<String, usize> {
    static IDX: OnceLock<HashMap<String, usize>> = OnceLock::new();
    IDX.get_or_init(|| {
        let mut m = HashMap::new();
        for (i, d) in DIRECTIVES.iter().enumerate() {
            m.insert(d.name.to_string(), i);
            if let Some(a) = d.alias {
                m.insert(a.to_string(), i);
            }
        }
        m
    })
}

/// Finds a directive by name or alias, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<usize> {
    let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
    index().get(&lower).copied()
}

pub(crate) fn default_value(d: &Directive) -> Value {
    match d.kind {
        Kind::Bool(b) => Value::Bool(b),
        Kind::Str { default, .. } => Value::Str(default.map(|s| s.as_bytes().to_vec())),
        Kind::Enum { values, default } => Value::Enum(
            values
                .iter()
                .find(|(n, _)| *n == default)
                .map(|v| v.1)
                .unwrap_or(0),
        ),
        Kind::Num { default, .. } => Value::Num(default),
        Kind::Special => match d.name {
            "dir" => Value::Dir,
            "save" => Value::Save(DEFAULT_SAVE.to_vec()),
            "client-output-buffer-limit" => Value::Obuf(OBUF_DEFAULTS),
            "oom-score-adj-values" => Value::Oom(OOM_DEFAULTS),
            "notify-keyspace-events" => Value::Notify(0),
            "bind" => Value::Bind(DEFAULT_BIND.iter().map(|s| s.to_string()).collect()),
            "replicaof" => Value::ReplicaOf(None),
            "latency-tracking-info-percentiles" => Value::Percentiles(DEFAULT_PERCENTILES.to_vec()),
            other => unreachable!("special config {} without a value", other),
        },
    }
}

impl Default for Config {
    fn default() -> Config {
        let values: Vec<Value> = DIRECTIVES.iter().map(default_value).collect();
        let mut c = Config {
            port: 6379,
            bind: Vec::new(),
            unixsocket: None,
            unixsocketperm: 0,
            tcp_backlog: 511,
            tcp_keepalive: 300,
            timeout: 0,
            maxclients: 10000,
            protected_mode: true,
            requirepass: None,
            databases: 16,
            hz: 10,
            dynamic_hz: true,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            hll_sparse_max_bytes: 3000,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            maxmemory: 0,
            maxmemory_clients: 0,
            tracking_table_max_keys: 1_000_000,
            maxmemory_policy: "noeviction".into(),
            maxmemory_policy_bits: 0,
            active_expire_effort: 1,
            enable_debug_command: ProtectedMode::No,
            enable_module_command: ProtectedMode::No,
            enable_protected_configs: ProtectedMode::No,
            cluster_enabled: false,
            loglevel: "notice".into(),
            logfile: String::new(),
            always_show_logo: false,
            daemonize: false,
            pidfile: String::new(),
            dir: ".".into(),
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            notify_keyspace_events: 0,
            save_params: DEFAULT_SAVE.to_vec(),
            supervised: "no".into(),
            client_obuf_limits: OBUF_DEFAULTS,
            warned: vec![false; values.len()],
            values,
            users: Vec::new(),
            loadmodules: Vec::new(),
            module_configs: Vec::new(),
            save_loaded: false,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
        };
        c.sync_typed();
        c
    }
}

/// Outcome of a successful set: whether the value actually changed (Redis's 1 vs 2).
#[derive(PartialEq, Debug, Clone, Copy)]
pub enum SetResult {
    Changed,
    Unchanged,
}

fn protected_mode(v: i32) -> ProtectedMode {
    match v {
        1 => ProtectedMode::Yes,
        2 => ProtectedMode::Local,
        _ => ProtectedMode::No,
    }
}

/// Keyspace event classes (notify.c), flag bits as Redis numbers them.
pub mod notify {
    pub const KEYSPACE: i32 = 1 << 0;
    pub const KEYEVENT: i32 = 1 << 1;
    pub const GENERIC: i32 = 1 << 2;
    pub const STRING: i32 = 1 << 3;
    pub const LIST: i32 = 1 << 4;
    pub const SET: i32 = 1 << 5;
    pub const HASH: i32 = 1 << 6;
    pub const ZSET: i32 = 1 << 7;
    pub const EXPIRED: i32 = 1 << 8;
    pub const EVICTED: i32 = 1 << 9;
    pub const STREAM: i32 = 1 << 10;
    pub const KEY_MISS: i32 = 1 << 11;
    #[allow(dead_code)] // module-only event class, kept for the bit layout
    pub const LOADED: i32 = 1 << 12;
    pub const MODULE: i32 = 1 << 13;
    pub const NEW: i32 = 1 << 14;
    /// "A": every class except key-miss and new.
    pub const ALL: i32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

    pub fn from_str(s: &[u8]) -> Option<i32> {
        let mut f = 0;
        for &c in s {
            f |= match c {
                b'A' => ALL,
                b'g' => GENERIC,
                b'$' => STRING,
                b'l' => LIST,
                b's' => SET,
                b'h' => HASH,
                b'z' => ZSET,
                b'x' => EXPIRED,
                b'e' => EVICTED,
                b'K' => KEYSPACE,
                b'E' => KEYEVENT,
                b't' => STREAM,
                b'm' => KEY_MISS,
                b'd' => MODULE,
                b'n' => NEW,
                _ => return None,
            };
        }
        Some(f)
    }

    pub fn to_string(f: i32) -> String {
        let mut s = String::new();
        if f & ALL == ALL {
            s.push('A');
        } else {
            for (bit, c) in [
                (GENERIC, 'g'),
                (STRING, '$'),
                (LIST, 'l'),
                (SET, 's'),
                (HASH, 'h'),
                (ZSET, 'z'),
                (EXPIRED, 'x'),
                (EVICTED, 'e'),
                (STREAM, 't'),
                (MODULE, 'd'),
            ] {
                if f & bit != 0 {
                    s.push(c);
                }
            }
        }
        for (bit, c) in [
            (KEYSPACE, 'K'),
            (KEYEVENT, 'E'),
            (KEY_MISS, 'm'),
            (NEW, 'n'),
        ] {
            if f & bit != 0 {
                s.push(c);
            }
        }
        s
    }
}

/// Enum name(s) for a value; bit-flag enums list every set flag ("unknown" if none fit).
pub fn enum_name(values: &[(&str, i32)], v: i32, bitflags: bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut unmatched = v;
    for &(name, val) in values {
        if v == val {
            return name.to_string();
        }
        if bitflags && val != 0 && val == (unmatched & val) {
            names.push(name);
            unmatched &= !val;
        }
    }
    if names.is_empty() || unmatched != 0 {
        "unknown".into()
    } else {
        names.join(" ")
    }
}

/// `%f` then trailing zeros (and a bare '.') removed, like Redis's trimDoubleString.
pub(crate) fn fmt_percentile(v: f64) -> String {
    let s = format!("{:.6}", v);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn cwd() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

impl Config {
    pub fn maxmemory_policy_uses_lru_lfu(&self) -> bool {
        self.maxmemory_policy_bits != 0
    }

    pub fn maxmemory_policy_uses_lfu(&self) -> bool {
        self.maxmemory_policy_bits & POLICY_LFU != 0
    }

    /// Sets the policy by name and its cached LRU/LFU bits.
    pub fn set_maxmemory_policy_name(&mut self, name: &str) {
        self.maxmemory_policy = name.to_string();
        self.maxmemory_policy_bits = if name.contains("lfu") {
            POLICY_LFU
        } else if name.contains("lru") {
            POLICY_LRU
        } else {
            0
        };
    }

    /// Is client eviction (maxmemory-clients) configured?
    #[inline]
    pub fn maxmemory_clients_on(&self) -> bool {
        self.maxmemory_clients != 0
    }

    /// oom-score-adj-values as the three class scores.
    pub fn oom_values(&self) -> Option<[i32; 3]> {
        match self.value_of("oom-score-adj-values") {
            Value::Oom(v) => Some(*v),
            _ => None,
        }
    }

    fn value_of(&self, name: &str) -> &Value {
        let i = lookup(name.as_bytes()).unwrap_or_else(|| panic!("unknown config {}", name));
        &self.values[i]
    }

    /// A numeric (or enum/bool as 0/1) directive's value.
    pub fn get_i64(&self, name: &str) -> i64 {
        match self.value_of(name) {
            Value::Num(n) => *n,
            Value::Enum(n) | Value::Notify(n) => *n as i64,
            Value::Bool(b) => *b as i64,
            other => panic!("config {} is not numeric: {:?}", name, other),
        }
    }

    pub fn get_bool(&self, name: &str) -> bool {
        self.get_i64(name) != 0
    }

    /// An enum directive's name ("noeviction", "everysec", ...).
    pub fn get_enum(&self, name: &str) -> String {
        let i = lookup(name.as_bytes()).unwrap();
        String::from_utf8_lossy(&self.get_value_bytes(i)).into_owned()
    }

    /// A string directive (None when unset).
    pub fn get_str(&self, name: &str) -> Option<Vec<u8>> {
        match self.value_of(name) {
            Value::Str(s) => s.clone(),
            other => panic!("config {} is not a string: {:?}", name, other),
        }
    }

    /// What CONFIG GET shows for directive `i`.
    pub fn get_value_bytes(&self, i: usize) -> Vec<u8> {
        let d = &DIRECTIVES[i];
        match (&self.values[i], d.kind) {
            (Value::Bool(b), _) => if *b { "yes" } else { "no" }.into(),
            (Value::Str(s), _) => s.clone().unwrap_or_default(),
            (Value::Enum(v), Kind::Enum { values, .. }) => {
                enum_name(values, *v, d.has(table::MULTI_ARG)).into_bytes()
            }
            (Value::Num(v), Kind::Num { nflags, .. }) => {
                let v = *v;
                if nflags & table::PERCENT != 0 && v < 0 {
                    format!("{}%", -v)
                } else if nflags & table::MEMORY != 0 {
                    (v as u64).to_string()
                } else if nflags & table::OCTAL != 0 {
                    format!("{:o}", v)
                } else {
                    v.to_string()
                }
                .into_bytes()
            }
            (Value::Dir, _) => cwd().into_bytes(),
            (Value::Save(p), _) => p
                .iter()
                .map(|(s, c)| format!("{} {}", s, c))
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes(),
            (Value::Obuf(l), _) => (0..3)
                .map(|j| {
                    format!(
                        "{} {} {} {}",
                        OBUF_CLASS_NAMES[j], l[j].hard, l[j].soft, l[j].soft_seconds
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes(),
            (Value::Oom(v), _) => format!("{} {} {}", v[0], v[1], v[2]).into_bytes(),
            (Value::Notify(f), _) => notify::to_string(*f).into_bytes(),
            (Value::Bind(b), _) => b.join(" ").into_bytes(),
            (Value::ReplicaOf(r), _) => match r {
                Some((h, p)) => format!("{} {}", h, p).into_bytes(),
                None => Vec::new(),
            },
            (Value::Percentiles(p), _) => p
                .iter()
                .map(|v| fmt_percentile(*v))
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes(),
            (v, k) => panic!("config {}: value {:?} does not fit kind {:?}", d.name, v, k),
        }
    }

    /// Sets directive `i` from its arguments (already split), validating like
    /// Redis's typeInterface set(). `reading_file` is true while loading the
    /// config file (only `save` cares). The typed mirror is not refreshed here.
    pub fn set_value(
        &mut self,
        i: usize,
        argv: &[Vec<u8>],
        reading_file: bool,
    ) -> Result<SetResult, String> {
        let d = &DIRECTIVES[i];
        let new = match d.kind {
            Kind::Bool(_) => {
                let a = &argv[0];
                let yn = if a.eq_ignore_ascii_case(b"yes") {
                    true
                } else if a.eq_ignore_ascii_case(b"no") {
                    false
                } else {
                    return Err("argument must be 'yes' or 'no'".into());
                };
                if d.name == "activedefrag" && yn {
                    return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution".into());
                }
                Value::Bool(yn)
            }
            Kind::Str { empty_is_null, .. } => {
                let a = &argv[0];
                validate_string(d.name, a)?;
                if d.name == "proc-title-template" && !valid_proc_title(self, a) {
                    return Err("template format is invalid or contains unknown variables".into());
                }
                if empty_is_null && a.is_empty() {
                    Value::Str(None)
                } else {
                    Value::Str(Some(a.clone()))
                }
            }
            Kind::Enum { values, .. } => {
                let bitflags = d.has(table::MULTI_ARG);
                let bad = || {
                    let names: Vec<&str> = values.iter().map(|v| v.0).collect();
                    let mut msg = format!(
                        "argument(s) must be one of the following: {}",
                        names.join(", ")
                    );
                    msg.truncate(255);
                    msg
                };
                if argv.is_empty() || (!bitflags && argv.len() != 1) {
                    return Err(bad());
                }
                let mut v = 0;
                for a in argv {
                    let mut matched = false;
                    for &(name, val) in values {
                        if a.eq_ignore_ascii_case(name.as_bytes()) {
                            v |= val;
                            matched = true;
                        }
                    }
                    if !matched {
                        return Err(bad());
                    }
                }
                if d.name.starts_with("shutdown-on-sig") && v & 1 != 0 && v & 2 != 0 {
                    return Err(
                        "shutdown options SAVE and NOSAVE can't be used simultaneously".into(),
                    );
                }
                Value::Enum(v)
            }
            Kind::Num { .. } => Value::Num(parse_numeric(d, &argv[0])?),
            Kind::Special => self.parse_special(d, argv, reading_file)?,
        };
        let changed = match (&new, &self.values[i]) {
            (Value::Dir, _) => true,
            (Value::Save(_), _) | (Value::Bind(_), _) | (Value::ReplicaOf(_), _) => true,
            (Value::Notify(_), _) | (Value::Obuf(_), _) | (Value::Percentiles(_), _) => true,
            (a, b) => a != b || d.has(table::VOLATILE),
        };
        self.values[i] = new;
        Ok(if changed {
            SetResult::Changed
        } else {
            SetResult::Unchanged
        })
    }

    fn parse_special(
        &mut self,
        d: &Directive,
        argv: &[Vec<u8>],
        reading_file: bool,
    ) -> Result<Value, String> {
        match d.name {
            "dir" => {
                if argv.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                let path = String::from_utf8_lossy(&argv[0]).into_owned();
                std::env::set_current_dir(&path)
                    .map_err(|e| crate::server::listen::strerror(&e))?;
                Ok(Value::Dir)
            }
            "save" => {
                let mut args: &[Vec<u8>] = argv;
                if args.len() == 1 && args[0].is_empty() {
                    args = &[];
                }
                if args.len() % 2 == 1 {
                    return Err("Invalid save parameters".into());
                }
                let mut pts = Vec::new();
                for (j, a) in args.iter().enumerate() {
                    let v = parse::c_strtoll(a).ok_or("Invalid save parameters")?;
                    if (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0) {
                        return Err("Invalid save parameters".into());
                    }
                    pts.push(v);
                }
                let mut list = if reading_file && self.save_loaded {
                    match &self.values[lookup(b"save").unwrap()] {
                        Value::Save(p) => p.clone(),
                        _ => Vec::new(),
                    }
                } else {
                    Vec::new()
                };
                if reading_file {
                    self.save_loaded = true;
                }
                // Redis's "save" inside the file appends to earlier file lines; an empty
                // `save ""` still resets.
                if args.is_empty() {
                    list.clear();
                }
                for c in pts.chunks(2) {
                    list.push((c[0], c[1] as i32 as i64));
                }
                Ok(Value::Save(list))
            }
            "client-output-buffer-limit" => {
                if argv.len() % 4 != 0 {
                    return Err("Wrong number of arguments in buffer limit configuration.".into());
                }
                let mut cur = match &self.values[lookup(d.name.as_bytes()).unwrap()] {
                    Value::Obuf(l) => *l,
                    _ => OBUF_DEFAULTS,
                };
                let mut staged = Vec::new();
                for c in argv.chunks(4) {
                    let class = match String::from_utf8_lossy(&c[0]).to_ascii_lowercase().as_str() {
                        "normal" => 0,
                        "slave" | "replica" => 1,
                        "pubsub" => 2,
                        _ => {
                            return Err(
                                "Invalid client class specified in buffer limit configuration."
                                    .into(),
                            )
                        }
                    };
                    let hard = parse::memtoull(&c[1]);
                    let soft = parse::memtoull(&c[2]);
                    let secs = parse::c_strtoll(&c[3]);
                    match (hard, soft, secs) {
                        (Some(h), Some(s), Some(t)) if t as i32 >= 0 => staged.push((
                            class,
                            ObufLimit {
                                hard: h,
                                soft: s,
                                soft_seconds: t as i32 as i64,
                            },
                        )),
                        _ => {
                            return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into())
                        }
                    }
                }
                for (class, l) in staged {
                    cur[class] = l;
                }
                Ok(Value::Obuf(cur))
            }
            "oom-score-adj-values" => {
                if argv.len() != 3 {
                    return Err("wrong number of arguments".into());
                }
                let mut v = [0i32; 3];
                for (j, a) in argv.iter().enumerate() {
                    match parse::c_strtoll(a) {
                        Some(x) if (-2000..=2000).contains(&x) => v[j] = x as i32,
                        _ => {
                            return Err("Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into())
                        }
                    }
                }
                if v[1] < v[0] || v[2] < v[1] {
                    log::warn!("The oom-score-adj-values configuration may not work for non-privileged processes! Please consult the documentation.");
                }
                Ok(Value::Oom(v))
            }
            "notify-keyspace-events" => {
                if argv.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                notify::from_str(&argv[0])
                    .map(Value::Notify)
                    .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into())
            }
            "bind" => {
                if argv.len() > 16 {
                    return Err("Too many bind addresses specified.".into());
                }
                if argv.len() == 1 && argv[0].is_empty() {
                    return Ok(Value::Bind(Vec::new()));
                }
                Ok(Value::Bind(
                    argv.iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect(),
                ))
            }
            "replicaof" => {
                if argv.len() != 2 {
                    return Err("wrong number of arguments".into());
                }
                if argv[0].eq_ignore_ascii_case(b"no") && argv[1].eq_ignore_ascii_case(b"one") {
                    return Ok(Value::ReplicaOf(None));
                }
                match parse::c_strtoll(&argv[1]) {
                    Some(p) if (0..=65535).contains(&p) && !argv[1].is_empty() => Ok(
                        Value::ReplicaOf(Some((String::from_utf8_lossy(&argv[0]).into_owned(), p))),
                    ),
                    _ => Err("Invalid master port".into()),
                }
            }
            "latency-tracking-info-percentiles" => {
                if argv.len() == 1 && argv[0].is_empty() {
                    return Ok(Value::Percentiles(Vec::new()));
                }
                let mut out = Vec::new();
                for a in argv {
                    let v = crate::util::parse_f64(a)
                        .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                    if !(0.0..=100.0).contains(&v) {
                        return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                    }
                    out.push(v);
                }
                Ok(Value::Percentiles(out))
            }
            other => Err(format!("unsupported special config {}", other)),
        }
    }

    /// Logs, once per directive, that a value was set which this server does not act on yet.
    pub fn warn_unimplemented(&mut self, i: usize) {
        let d = &DIRECTIVES[i];
        if self.warned[i] || table::is_implemented(d.name) {
            return;
        }
        if self.values[i] == default_value(d) {
            return;
        }
        self.warned[i] = true;
        log::warn!(
            "Config '{}' is accepted and kept, but its feature is not implemented yet in this server",
            d.name
        );
    }

    /// Refreshes the typed fields from the directive store.
    pub fn sync_typed(&mut self) {
        let num = |c: &Config, n: &str| c.get_i64(n);
        self.port = num(self, "port") as u16;
        self.bind = match self.value_of("bind") {
            Value::Bind(b) => b.clone(),
            _ => Vec::new(),
        };
        self.unixsocket = self
            .get_str("unixsocket")
            .map(|s| String::from_utf8_lossy(&s).into_owned());
        self.unixsocketperm = num(self, "unixsocketperm") as u32;
        self.tcp_backlog = num(self, "tcp-backlog") as i32;
        self.tcp_keepalive = num(self, "tcp-keepalive") as u32;
        self.timeout = num(self, "timeout") as u64;
        self.maxclients = num(self, "maxclients") as usize;
        self.protected_mode = self.get_bool("protected-mode");
        self.requirepass = self.get_str("requirepass");
        self.databases = num(self, "databases") as usize;
        self.hz = num(self, "hz").clamp(1, 500) as u32;
        self.dynamic_hz = self.get_bool("dynamic-hz");
        self.list_max_listpack_size = num(self, "list-max-listpack-size") as i32;
        self.list_compress_depth = num(self, "list-compress-depth") as i32;
        self.hll_sparse_max_bytes = num(self, "hll-sparse-max-bytes") as usize;
        self.zset_max_listpack_entries = num(self, "zset-max-listpack-entries") as usize;
        self.zset_max_listpack_value = num(self, "zset-max-listpack-value") as usize;
        self.stream_node_max_bytes = num(self, "stream-node-max-bytes") as usize;
        self.stream_node_max_entries = num(self, "stream-node-max-entries");
        self.proto_max_bulk_len = num(self, "proto-max-bulk-len");
        self.client_query_buffer_limit = num(self, "client-query-buffer-limit") as usize;
        self.slowlog_log_slower_than = num(self, "slowlog-log-slower-than");
        self.slowlog_max_len = num(self, "slowlog-max-len") as usize;
        self.latency_monitor_threshold = num(self, "latency-monitor-threshold") as u64;
        self.maxmemory = num(self, "maxmemory") as u64;
        let policy = self.get_enum("maxmemory-policy");
        self.set_maxmemory_policy_name(&policy);
        self.active_expire_effort = num(self, "active-expire-effort") as u32;
        self.enable_debug_command = protected_mode(num(self, "enable-debug-command") as i32);
        self.enable_module_command = protected_mode(num(self, "enable-module-command") as i32);
        self.enable_protected_configs =
            protected_mode(num(self, "enable-protected-configs") as i32);
        self.cluster_enabled = self.get_bool("cluster-enabled");
        self.loglevel = self.get_enum("loglevel");
        self.logfile =
            String::from_utf8_lossy(&self.get_str("logfile").unwrap_or_default()).into_owned();
        self.always_show_logo = self.get_bool("always-show-logo");
        self.daemonize = self.get_bool("daemonize");
        self.pidfile = self
            .get_str("pidfile")
            .map(|s| String::from_utf8_lossy(&s).into_owned())
            .unwrap_or_default();
        self.dir = cwd();
        self.notify_keyspace_events = num(self, "notify-keyspace-events") as i32;
        self.save_params = match self.value_of("save") {
            Value::Save(p) => p.clone(),
            _ => Vec::new(),
        };
        self.supervised = self.get_enum("supervised");
        if let Value::Obuf(l) = self.value_of("client-output-buffer-limit") {
            self.client_obuf_limits = *l;
        }
        crate::networking::limits::publish(&self.client_obuf_limits);
        self.maxmemory_clients = num(self, "maxmemory-clients");
        self.tracking_table_max_keys = num(self, "tracking-table-max-keys") as usize;
        self.latency_tracking = self.get_bool("latency-tracking");
        self.lfu_log_factor = num(self, "lfu-log-factor");
        self.lfu_decay_time = num(self, "lfu-decay-time");
        self.maxmemory_samples = num(self, "maxmemory-samples") as usize;
        self.maxmemory_eviction_tenacity = num(self, "maxmemory-eviction-tenacity") as u32;
        self.lazyfree_lazy_eviction = self.get_bool("lazyfree-lazy-eviction");
        self.lazyfree_lazy_expire = self.get_bool("lazyfree-lazy-expire");
        self.lazyfree_lazy_server_del = self.get_bool("lazyfree-lazy-server-del");
        self.lazyfree_lazy_user_del = self.get_bool("lazyfree-lazy-user-del");
        self.lazyfree_lazy_user_flush = self.get_bool("lazyfree-lazy-user-flush");
        self.hash_max_listpack_entries = num(self, "hash-max-listpack-entries") as usize;
        self.hash_max_listpack_value = num(self, "hash-max-listpack-value") as usize;
        self.set_max_intset_entries = num(self, "set-max-intset-entries") as usize;
        if let Value::Percentiles(p) = self.value_of("latency-tracking-info-percentiles") {
            self.latency_tracking_info_percentiles = p.clone();
        }
    }
}

/// Validators for string configs (isValidDBfilename and friends).
fn validate_string(name: &str, v: &[u8]) -> Result<(), String> {
    let is_base = !v.contains(&b'/');
    match name {
        "dbfilename" if !is_base => Err("dbfilename can't be a path, just a filename".into()),
        "appendfilename" if v.is_empty() => Err("appendfilename can't be empty".into()),
        "appendfilename" if !is_base => {
            Err("appendfilename can't be a path, just a filename".into())
        }
        "appenddirname" if v.is_empty() => Err("appenddirname can't be empty".into()),
        "appenddirname" if !is_base => Err("appenddirname can't be a path, just a dirname".into()),
        "cluster-announce-hostname" => {
            if v.len() >= 256 {
                return Err("Hostnames must be less than 256 characters".into());
            }
            if v.iter()
                .any(|c| !(c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.'))
            {
                return Err(
                    "Hostnames may only contain alphanumeric characters, hyphens or dots".into(),
                );
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// expandProcTitleTemplate with an empty title, then Redis's check that the
/// result is not blank: unknown variables or an unclosed '{' are invalid, and
/// the variables take the values configured so far.
fn valid_proc_title(cfg: &Config, t: &[u8]) -> bool {
    expand_proc_title(cfg, t, "", None).is_some_and(|r| !r.is_empty())
}

/// expandProcTitleTemplate: the template with its variables filled in and spaces
/// trimmed at both ends; None for an unknown variable or a malformed template.
pub fn expand_proc_title(
    cfg: &Config,
    t: &[u8],
    title: &str,
    config_file: Option<&str>,
) -> Option<Vec<u8>> {
    let mut res: Vec<u8> = Vec::new();
    let mut p = 0;
    while p < t.len() {
        let sv = match t[p..].iter().position(|&c| c == b'{') {
            Some(o) => p + o,
            None => {
                res.extend_from_slice(&t[p..]);
                break;
            }
        };
        res.extend_from_slice(&t[p..sv]);
        let name_start = sv + 1;
        if name_start >= t.len() {
            return None;
        }
        if t[name_start] == b'{' {
            res.push(b'{');
            p = name_start + 1;
            continue;
        }
        let ev = match t[name_start..].iter().position(|&c| c == b'}') {
            Some(o) => name_start + o,
            None => return None,
        };
        let port = cfg.get_i64("port");
        let tls_port = cfg.get_i64("tls-port");
        let value = match &t[name_start..ev] {
            b"title" => title.to_string(),
            b"listen-addr" => {
                if port != 0 || tls_port != 0 {
                    let bind = match cfg.value_of("bind") {
                        Value::Bind(b) => b.first().cloned().unwrap_or_else(|| "*".into()),
                        _ => "*".into(),
                    };
                    format!("{}:{}", bind, if port != 0 { port } else { tls_port })
                } else {
                    format!(
                        "unixsocket:{}",
                        String::from_utf8_lossy(&cfg.get_str("unixsocket").unwrap_or_default())
                    )
                }
            }
            b"server-mode" => {
                if cfg.get_bool("cluster-enabled") {
                    "[cluster]".into()
                } else {
                    String::new()
                }
            }
            b"config-file" => config_file.unwrap_or("-").to_string(),
            b"port" => port.to_string(),
            b"tls-port" => tls_port.to_string(),
            b"unixsocket" => {
                String::from_utf8_lossy(&cfg.get_str("unixsocket").unwrap_or_default()).into_owned()
            }
            _ => return None,
        };
        res.extend_from_slice(value.as_bytes());
        p = ev + 1;
    }
    let start = res.iter().position(|&c| c != b' ').unwrap_or(res.len());
    let end = res
        .iter()
        .rposition(|&c| c != b' ')
        .map_or(start, |e| e + 1);
    Some(res[start..end].to_vec())
}

/// numericParseString + numericBoundaryCheck.
fn parse_numeric(d: &Directive, a: &[u8]) -> Result<i64, String> {
    let (ty, lo, hi, nflags) = match d.kind {
        Kind::Num {
            ty, lo, hi, nflags, ..
        } => (ty, lo, hi, nflags),
        _ => unreachable!(),
    };
    let mut parsed: Option<i64> = None;
    if nflags & table::MEMORY != 0 {
        parsed = parse::memtoull(a).map(|v| v as i64);
    }
    if parsed.is_none() && nflags & table::PERCENT != 0 && a.len() > 1 && a[a.len() - 1] == b'%' {
        if let Some(v) = crate::util::parse_i64(&a[..a.len() - 1]) {
            if v >= 0 {
                parsed = Some(-v);
            }
        }
    }
    if parsed.is_none() && nflags & table::OCTAL != 0 {
        parsed = parse::c_strtoll_octal(a);
    }
    if parsed.is_none() && nflags == 0 {
        parsed = crate::util::parse_i64(a);
    }
    let v = match parsed {
        Some(v) => v,
        None => {
            return Err(
                if nflags & table::MEMORY != 0 && nflags & table::PERCENT != 0 {
                    "argument must be a memory or percent value"
                } else if nflags & table::MEMORY != 0 {
                    "argument must be a memory value"
                } else if nflags & table::OCTAL != 0 {
                    "argument couldn't be parsed as an octal number"
                } else {
                    "argument couldn't be parsed into an integer"
                }
                .into(),
            )
        }
    };
    if ty.unsigned_check() {
        let (u, ulo, uhi) = (v as u64, lo as u64, hi as u64);
        if u > uhi || u < ulo {
            return Err(if nflags & table::OCTAL != 0 {
                format!("argument must be between {:o} and {:o} inclusive", ulo, uhi)
            } else {
                format!("argument must be between {} and {} inclusive", ulo, uhi)
            });
        }
    } else if nflags & table::PERCENT != 0 && v < 0 {
        if v < lo {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -lo
            ));
        }
    } else if v > hi || v < lo {
        return Err(format!(
            "argument must be between {} and {} inclusive",
            lo, hi
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(c: &mut Config, name: &str, args: &[&str]) -> Result<SetResult, String> {
        let i = lookup(name.as_bytes()).unwrap();
        let a: Vec<Vec<u8>> = args.iter().map(|s| s.as_bytes().to_vec()).collect();
        c.set_value(i, &a, false)
    }
    fn get(c: &Config, name: &str) -> String {
        String::from_utf8(c.get_value_bytes(lookup(name.as_bytes()).unwrap())).unwrap()
    }

    #[test]
    fn defaults_match_redis() {
        let c = Config::default();
        assert_eq!(get(&c, "port"), "6379");
        assert_eq!(get(&c, "bind"), "* -::*");
        assert_eq!(get(&c, "save"), "3600 1 300 100 60 10000");
        assert_eq!(
            get(&c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(get(&c, "maxmemory-policy"), "noeviction");
        assert_eq!(get(&c, "shutdown-on-sigterm"), "default");
        assert_eq!(get(&c, "unixsocketperm"), "0");
        assert_eq!(get(&c, "latency-tracking-info-percentiles"), "50 99 99.9");
        assert_eq!(get(&c, "list-max-ziplist-size"), "-2");
        assert_eq!(get(&c, "maxmemory-clients"), "0");
        assert_eq!(
            get(&c, "proc-title-template"),
            "{title} {listen-addr} {server-mode}"
        );
        assert_eq!(c.hz, 10);
    }

    #[test]
    fn numeric_rules() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, "port", &["x"]).unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            set(&mut c, "port", &["70000"]).unwrap_err(),
            "argument must be between 0 and 65535 inclusive"
        );
        set(&mut c, "maxmemory", &["1GB"]).unwrap();
        assert_eq!(get(&c, "maxmemory"), "1073741824");
        assert_eq!(
            set(&mut c, "maxmemory", &["1x"]).unwrap_err(),
            "argument must be a memory value"
        );
        set(&mut c, "maxmemory-clients", &["10%"]).unwrap();
        assert_eq!(get(&c, "maxmemory-clients"), "10%");
        assert_eq!(
            set(&mut c, "maxmemory-clients", &["101%"]).unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        set(&mut c, "unixsocketperm", &["700"]).unwrap();
        assert_eq!(get(&c, "unixsocketperm"), "700");
        assert_eq!(
            set(&mut c, "unixsocketperm", &["1777"]).unwrap_err(),
            "argument must be between 0 and 777 inclusive"
        );
        assert_eq!(
            set(&mut c, "maxclients", &["0"]).unwrap_err(),
            "argument must be between 1 and 4294967295 inclusive"
        );
        assert_eq!(set(&mut c, "hz", &["10"]).unwrap(), SetResult::Unchanged);
    }

    #[test]
    fn enums_bools_specials() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, "appendonly", &["maybe"]).unwrap_err(),
            "argument must be 'yes' or 'no'"
        );
        set(&mut c, "maxmemory-policy", &["ALLKEYS-LRU"]).unwrap();
        assert_eq!(get(&c, "maxmemory-policy"), "allkeys-lru");
        assert!(set(&mut c, "loglevel", &["nothing"])
            .unwrap_err()
            .starts_with("argument(s) must be one of the following: debug, verbose"));
        set(&mut c, "shutdown-on-sigint", &["now", "save"]).unwrap();
        assert_eq!(get(&c, "shutdown-on-sigint"), "save now");
        assert!(set(&mut c, "shutdown-on-sigint", &["save", "nosave"]).is_err());
        set(&mut c, "oom-score-adj", &["relative"]).unwrap();
        assert_eq!(get(&c, "oom-score-adj"), "yes");
        set(&mut c, "notify-keyspace-events", &["KEA"]).unwrap();
        assert_eq!(get(&c, "notify-keyspace-events"), "AKE");
        set(&mut c, "save", &[""]).unwrap();
        assert_eq!(get(&c, "save"), "");
        set(&mut c, "save", &["100", "10", "20", "5"]).unwrap();
        assert_eq!(get(&c, "save"), "100 10 20 5");
        assert!(set(&mut c, "save", &["0", "1"]).is_err());
        set(
            &mut c,
            "client-output-buffer-limit",
            &["replica", "1mb", "2mb", "3"],
        )
        .unwrap();
        assert!(get(&c, "client-output-buffer-limit").contains("slave 1048576 2097152 3"));
        set(&mut c, "slaveof", &["no", "one"]).unwrap();
        assert_eq!(
            set(&mut c, "replicaof", &["h", "x"]).unwrap_err(),
            "Invalid master port"
        );
        assert_eq!(
            set(&mut c, "dbfilename", &["a/b"]).unwrap_err(),
            "dbfilename can't be a path, just a filename"
        );
        assert!(set(&mut c, "proc-title-template", &["{foo}"]).is_err());
        assert!(set(&mut c, "proc-title-template", &["{title}"]).is_err());
        assert!(set(&mut c, "proc-title-template", &["{title} {port}"]).is_ok());
        assert!(set(&mut c, "proc-title-template", &["{{x"]).is_ok());
        set(
            &mut c,
            "latency-tracking-info-percentiles",
            &["99.99", "50"],
        )
        .unwrap();
        assert_eq!(get(&c, "latency-tracking-info-percentiles"), "99.99 50");
    }
}

//! Server configuration: the typed settings the rest of the server reads.
//! (Parser, directive table, CONFIG GET/SET/REWRITE live beside this file.)

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum ProtectedMode {
    No,
    Yes,
    Local,
}

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
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: usize,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: usize,
    pub latency_monitor_threshold: u64,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
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
    pub lfu_log_factor: i64,
    pub lfu_decay_time: i64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
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
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
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
            lfu_log_factor: 10,
            lfu_decay_time: 1,
        }
    }
}

impl Config {
    pub fn maxmemory_policy_uses_lru_lfu(&self) -> bool {
        self.maxmemory_policy.contains("lru") || self.maxmemory_policy.contains("lfu")
    }
}

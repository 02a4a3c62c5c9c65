//! redis-server: parse the command line and configuration exactly as Redis's
//! main() does, then start-up (daemonize, supervision, logging, listeners,
//! pidfile, logo) and hand over to the event loop.

mod acl;
mod alloc;
mod aof;
mod bitops;
mod blocked;
mod child;
mod cluster;
mod commands;
mod config;
mod crash;
mod db;
mod debug;
mod ds;
mod evict;
mod geo;
mod geohash;
mod geohash_helper;
mod hyperloglog;
mod latency;
mod lazyfree;
mod logging;
mod long_double;
mod lzf;
mod multi;
mod networking;
mod notify;
mod object_cmd;
mod pqsort;
mod process;
mod pubsub;
mod rdb;
mod replication;
mod resp;
mod scripting;
mod server;
mod sha1;
mod slowlog;
mod sort;
mod t_hash;
mod t_list;
mod t_set;
mod t_stream;
mod t_string;
mod t_zset;
mod tracking;
mod util;

use server::startup;
use server::Server;

pub const REDIS_VERSION: &str = "7.0.15";
pub const RS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Redis's build id is a hash of its build; ours is derived from our own version.
fn build_id() -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in RS_VERSION.bytes().chain(REDIS_VERSION.bytes()) {
        h = (h ^ b as u64).wrapping_mul(0x100000001b3);
    }
    h
}

fn version() -> ! {
    println!(
        "Redis server v={} sha={}:{} malloc=libc bits=64 build={:x}",
        REDIS_VERSION,
        startup::GIT_SHA1,
        startup::GIT_DIRTY,
        build_id()
    );
    std::process::exit(0);
}

fn usage() -> ! {
    eprint!(
        "Usage: ./redis-server [/path/to/redis.conf] [options] [-]\n       \
./redis-server - (read config from stdin)\n       \
./redis-server -v or --version\n       \
./redis-server -h or --help\n       \
./redis-server --test-memory <megabytes>\n       \
./redis-server --check-system\n\n\
Examples:\n       \
./redis-server (run the server with default conf)\n       \
echo 'maxmemory 128mb' | ./redis-server -\n       \
./redis-server /etc/redis/6379.conf\n       \
./redis-server --port 7777\n       \
./redis-server --port 7777 --replicaof 127.0.0.1 8888\n       \
./redis-server /etc/myredis.conf --loglevel verbose -\n       \
./redis-server /etc/myredis.conf --loglevel verbose\n\n\
Sentinel mode:\n       \
./redis-server /etc/sentinel.conf --sentinel\n"
    );
    std::process::exit(1);
}

/// getAbsolutePath: cwd joined with a relative path, leading "../" folded.
fn absolute_path(p: &[u8]) -> Vec<u8> {
    let rel = config::parse::trim(p);
    if rel.first() == Some(&b'/') {
        return rel.to_vec();
    }
    let mut abs = std::env::current_dir()
        .map(|d| d.display().to_string().into_bytes())
        .unwrap_or_default();
    if abs.last() != Some(&b'/') {
        abs.push(b'/');
    }
    let mut rel = rel;
    while rel.len() >= 3 && &rel[..3] == b"../" {
        rel = &rel[3..];
        if abs.len() > 1 {
            abs.pop();
            while abs.last().is_some_and(|&c| c != b'/') {
                abs.pop();
            }
        }
    }
    abs.extend_from_slice(rel);
    abs
}

fn fatal(msg: &str) -> ! {
    log::warn!("{}", msg);
    std::process::exit(1);
}

fn main() {
    use std::os::unix::ffi::OsStringExt;
    let args: Vec<Vec<u8>> = std::env::args_os().map(|a| a.into_vec()).collect();
    // Run as redis-check-rdb (a symlink to this binary) or with --check-rdb.
    {
        let a0 = args
            .first()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default();
        let strs: Vec<String> = args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if a0.ends_with("redis-check-rdb") {
            rdb::check::main(&strs);
        }
        if strs.get(1).map(|s| s.as_str()) == Some("--check-rdb") {
            let mut rest = vec![strs[0].clone()];
            rest.extend(strs[2..].iter().cloned());
            rdb::check::main(&rest);
        }
    }
    // The arguments are copied: the argv area may now hold the process title.
    if std::path::Path::new(&String::from_utf8_lossy(&args[0]).into_owned())
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("redis-check-aof"))
    {
        aof::check::main(
            &args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>(),
        );
    }
    process::init();
    let mut cfg = config::Config::default();
    let mut cmds = commands::CommandTable::load();
    logging::set_role(b'C');
    let _ = logging::init("", "notice");

    let mut config_file: Option<String> = None;
    let mut exec_argv: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    if args.len() >= 2 {
        match args[1].as_slice() {
            b"-v" | b"--version" => version(),
            b"--help" | b"-h" => usage(),
            b"--test-memory" => {
                eprint!("This server has no memory tester (--test-memory is not supported).\n");
                std::process::exit(1);
            }
            b"--check-system" => {
                eprint!("This server has no system check (--check-system is not supported).\n");
                std::process::exit(1);
            }
            _ => {}
        }
        let (file, from_stdin, options) = config::load::parse_command_line(&args);
        let file = file.map(|f| absolute_path(&f));
        if let Some(f) = &file {
            let s = String::from_utf8_lossy(f).into_owned();
            exec_argv[1] = s.clone();
            config_file = Some(s);
        }
        let res = config::load::load_server_config(
            &mut cfg,
            &mut cmds,
            file.as_deref(),
            from_stdin,
            Some(&options),
        );
        match res {
            Ok(()) => {}
            Err(config::load::StartError::Config(e)) => {
                use std::io::Write;
                let _ = std::io::stderr().write_all(&e.report());
                std::process::exit(1);
            }
            Err(config::load::StartError::Logged(m)) => fatal(&m),
        }
    }

    // Logging to the configured target from here on, as Redis does once the config is read.
    if let Err(e) = logging::init(&cfg.logfile, &cfg.loglevel) {
        eprintln!("Can't open the log file: {}", e);
        std::process::exit(1);
    }
    let supervised = startup::setup_supervision(&cfg);
    let background = cfg.daemonize && supervised.is_none();
    if background {
        startup::daemonize();
    }

    log::warn!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    log::warn!(
        "Redis version={}, bits=64, commit={}, modified={}, pid={}, just started",
        REDIS_VERSION,
        startup::GIT_SHA1,
        startup::GIT_DIRTY,
        std::process::id()
    );
    if args.len() == 1 {
        log::warn!("Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/redis.conf", exec_argv[0]);
    } else {
        log::warn!("Configuration loaded");
    }
    for i in 0..config::table::DIRECTIVES.len() {
        cfg.warn_unimplemented(i);
    }

    // initServer.
    logging::set_role(b'M');
    log::info!("monotonic clock: POSIX clock_gettime");
    server::shutdown::install_signal_handlers();
    // We have no TLS: a TLS listener or TLS links are refused at start, as Redis
    // refuses them when it cannot configure TLS.
    if cfg.get_i64("tls-port") != 0
        || cfg.get_bool("tls-replication")
        || cfg.get_bool("tls-cluster")
    {
        log::warn!("TLS is not supported by this server");
        fatal("Failed to configure TLS. Check logs for more info.");
    }
    let poll = match mio::Poll::new() {
        Ok(p) => p,
        Err(e) => fatal(&format!(
            "Failed creating the event loop. Error message: '{}'",
            e
        )),
    };
    let mut listeners = match server::listen::open_tcp(&cfg.bind, cfg.port, cfg.tcp_backlog) {
        Ok(ls) => ls,
        Err(e) => fatal(&e),
    };
    let tcp_count = listeners.len();
    if let Some(path) = cfg.unixsocket.clone() {
        match server::listen::open_unix(&path, cfg.unixsocketperm) {
            Ok(l) => listeners.push(l),
            Err(e) => fatal(&e),
        }
    }
    if listeners.is_empty() {
        fatal("Configured to not listen anywhere, exiting.");
    }
    let has_unix = listeners.len() > tcp_count;

    if background || !cfg.pidfile.is_empty() {
        startup::create_pidfile(&mut cfg);
    }
    startup::show_logo(&cfg);
    log::warn!("Server initialized");

    if !cfg.loadmodules.is_empty() {
        let m = &cfg.loadmodules[0];
        log::warn!(
            "Module {} failed to load: this server has no module API",
            String::from_utf8_lossy(&m[0])
        );
        fatal(&format!(
            "Can't load module from {}: server aborting",
            String::from_utf8_lossy(&m[0])
        ));
    }
    if !cfg.module_configs.is_empty() {
        for (k, _) in &cfg.module_configs {
            log::warn!("Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting ({})", k);
        }
        std::process::exit(1);
    }
    let mut srv = Server::new(cfg);
    srv.commands = cmds;
    if let Err(e) = acl::load_at_startup(&mut srv) {
        fatal(&e);
    }
    srv.config_file = config_file;
    srv.exec_argv = exec_argv;
    if srv.config.get_bool("set-proc-title") {
        let _ = process::set_proc_title(&srv);
    }
    let _ = process::update_oom_score_adj(&srv.config, srv.is_replica());
    crash::install(&mut srv);
    crash::watchdog(srv.config.get_i64("watchdog-period"), srv.config.hz);
    srv.listeners = listeners;
    srv.tcp_port = srv.config.port;
    if srv.config.cluster_enabled {
        if let Err(e) = srv.cluster_init() {
            fatal(&e);
        }
    }
    // replicaof in the configuration, before the load (a replica keeps
    // expired keys and resumes its master's history from the RDB); the
    // replication cron connects.
    let replicaof = crate::config::lookup(b"replicaof").map(|i| srv.config.values[i].clone());
    if let Some(crate::config::Value::ReplicaOf(Some((h, p)))) = replicaof {
        srv.set_master(h, p as u16, true);
    }
    if let Err(e) = srv.prepare_loop(poll) {
        log::warn!("Event loop failed: {}", e);
        std::process::exit(1);
    }

    if tcp_count > 0 {
        log::info!("Ready to accept connections");
    }
    if has_unix {
        log::info!(
            "The server is now ready to accept connections at {}",
            srv.config.unixsocket.as_deref().unwrap_or("")
        );
    }
    if supervised == Some("systemd") {
        startup::systemd_notify("STATUS=Ready to accept connections\n");
        startup::systemd_notify("READY=1\n");
    }
    if srv.config.maxmemory > 0 && srv.config.maxmemory < 1024 * 1024 {
        log::warn!("WARNING: You specified a maxmemory value that is less than 1MB (current value is {} bytes). Are you sure this is what you really want?", srv.config.maxmemory);
    }
    if let Err(e) = srv.run_loop() {
        log::warn!("Event loop failed: {}", e);
        std::process::exit(1);
    }
    std::process::exit(0);
}

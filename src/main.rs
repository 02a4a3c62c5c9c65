//! redis-server: parse the command line and configuration, set up logging and
//! listeners, then hand over to the event loop.

mod cluster;
mod commands;
mod config;
mod db;
mod debug;
mod latency;
mod logging;
mod networking;
mod object_cmd;
mod resp;
mod server;
mod sha1;
mod slowlog;
mod t_string;
mod util;

use server::Server;

pub const REDIS_VERSION: &str = "7.0.15";
pub const RS_VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut cfg = config::Config::default();
    // Minimal command line until the config parser lands: --port N.
    let mut i = 1;
    while i < args.len() {
        if args[i] == "--port" && i + 1 < args.len() {
            cfg.port = args[i + 1].parse().unwrap_or(6379);
            i += 1;
        }
        i += 1;
    }
    if let Err(e) = logging::init(&cfg.logfile, &cfg.loglevel) {
        eprintln!("Can't open the log file: {}", e);
        std::process::exit(1);
    }
    server::shutdown::install_signal_handlers();
    let mut srv = Server::new(cfg);
    log::info!("Server initialized");
    let poll = match mio::Poll::new() {
        Ok(p) => p,
        Err(e) => {
            log::warn!("Failed creating the event loop. Error message: '{}'", e);
            std::process::exit(1);
        }
    };
    match server::listen::open_tcp(&srv.config.bind, srv.config.port, srv.config.tcp_backlog) {
        Ok(ls) => srv.listeners = ls,
        Err(e) => {
            log::warn!("{}", e);
            std::process::exit(1);
        }
    }
    log::info!("Ready to accept connections tcp");
    if let Err(e) = srv.run(poll) {
        log::warn!("Event loop failed: {}", e);
        std::process::exit(1);
    }
    std::process::exit(0);
}

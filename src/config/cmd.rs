//! The CONFIG command: GET (globs, several patterns, RESP3 map), SET (several
//! pairs, all-or-nothing with rollback, then the apply step that acts on the
//! running server: listeners, hz, log level, maxclients), RESETSTAT, REWRITE
//! and HELP — with Redis 7.0's reply and error texts.

use super::table::{self, DIRECTIVES};
use super::{lookup, ProtectedMode, SetResult};
use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::listen::Listener;
use crate::server::Server;

/// The apply step of a config (Redis's `apply` function pointer). Configs that
/// share one are applied once.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Apply {
    Port,
    Bind,
    Hz,
    Maxclients,
    Loglevel,
    ReplBacklog,
    Tls,
    Requirepass,
    OomScoreAdj,
    ProcTitle,
    ObufLimits,
    MaxmemoryClients,
    CrashLog,
    Watchdog,
    Maxmemory,
    Appendonly,
    AofAutoGc,
}

fn apply_of(name: &str) -> Option<Apply> {
    match name {
        "port" => Some(Apply::Port),
        "bind" => Some(Apply::Bind),
        "hz" => Some(Apply::Hz),
        "maxclients" => Some(Apply::Maxclients),
        "loglevel" => Some(Apply::Loglevel),
        "repl-backlog-size" => Some(Apply::ReplBacklog),
        "tls-port" | "tls-replication" | "tls-cluster" => Some(Apply::Tls),
        "requirepass" => Some(Apply::Requirepass),
        "oom-score-adj" | "oom-score-adj-values" => Some(Apply::OomScoreAdj),
        "proc-title-template" => Some(Apply::ProcTitle),
        "client-output-buffer-limit" => Some(Apply::ObufLimits),
        "maxmemory-clients" => Some(Apply::MaxmemoryClients),
        "crash-log-enabled" | "crash-memcheck-enabled" | "use-exit-on-panic" => {
            Some(Apply::CrashLog)
        }
        "watchdog-period" => Some(Apply::Watchdog),
        "maxmemory" => Some(Apply::Maxmemory),
        "appendonly" => Some(Apply::Appendonly),
        "aof-disable-auto-gc" => Some(Apply::AofAutoGc),
        _ => None,
    }
}

fn is_local_client(c: &Client) -> bool {
    c.flags.has(ClientFlags::UNIX_SOCKET)
        || c.addr.starts_with("127.")
        || c.addr.starts_with("[::1]")
        || c.addr.starts_with("::1")
}

fn allow_protected(mode: ProtectedMode, c: &Client) -> bool {
    match mode {
        ProtectedMode::Yes => true,
        ProtectedMode::Local => is_local_client(c),
        ProtectedMode::No => false,
    }
}

/// CONFIG GET pattern [pattern ...]
pub fn config_get(srv: &mut Server, c: &mut Client, argv: &Argv) {
    // (reply name, directive index), first match wins, in table order for globs.
    let mut matches: Vec<(String, usize)> = Vec::new();
    for k in 2..argv.len() {
        let pat = argv.get(k);
        let name = String::from_utf8_lossy(pat).into_owned();
        if !pat.iter().any(|b| matches!(b, b'[' | b'*' | b'?')) {
            if matches.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if let Some(i) = lookup(pat) {
                matches.push((name, i));
            }
            continue;
        }
        for (i, d) in DIRECTIVES.iter().enumerate() {
            if d.has(table::HIDDEN) {
                continue;
            }
            for n in std::iter::once(d.name).chain(d.alias) {
                if matches.iter().any(|(m, _)| m == n) {
                    continue;
                }
                if crate::util::glob_match(pat, n.as_bytes(), true) {
                    matches.push((n.to_string(), i));
                }
            }
        }
    }
    c.add_map_len(matches.len());
    for (n, i) in matches {
        c.add_bulk(n.as_bytes());
        let v = srv.config.get_value_bytes(i);
        c.add_bulk(&v);
    }
}

/// Splits a CONFIG SET value for a multi-argument config the way Redis does
/// (plain split on single spaces; an empty value gives no arguments).
fn split_value(multi: bool, v: &[u8]) -> Vec<Vec<u8>> {
    if !multi {
        return vec![v.to_vec()];
    }
    if v.is_empty() {
        return Vec::new();
    }
    v.split(|&b| b == b' ').map(|s| s.to_vec()).collect()
}

/// CONFIG SET name value [name value ...]
pub fn config_set(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() % 2 == 1 {
        c.add_error_syntax();
        return;
    }
    let count = (argv.len() - 2) / 2;
    let mut invalid_arg: Option<String> = None;
    let mut err: Option<(String, String)> = None; // (arg name, reason)
    let mut deny_loading = false;
    let mut idxs: Vec<usize> = Vec::with_capacity(count);
    for k in 0..count {
        let name_b = argv.get(2 + k * 2);
        let name = String::from_utf8_lossy(name_b).into_owned();
        let i = match lookup(name_b) {
            Some(i) => i,
            None => {
                if invalid_arg.is_none() && err.is_none() && !deny_loading {
                    invalid_arg = Some(name);
                }
                continue;
            }
        };
        let d = &DIRECTIVES[i];
        // Every sensitive value is hidden from MONITOR and the slowlog, even when
        // the command fails on an earlier argument.
        if d.has(table::SENSITIVE) {
            crate::server::conn_cmds::redact_arg(c, 3 + k * 2);
        }
        if invalid_arg.is_some() || err.is_some() || deny_loading {
            continue;
        }
        if d.has(table::IMMUTABLE)
            || (d.has(table::PROTECTED) && !allow_protected(srv.config.enable_protected_configs, c))
        {
            let why = if d.has(table::IMMUTABLE) {
                "can't set immutable config"
            } else {
                "can't set protected config"
            };
            err = Some((name, why.into()));
            continue;
        }
        if srv.loading && d.has(table::DENY_LOADING) {
            deny_loading = true;
            continue;
        }
        if idxs.contains(&i) {
            err = Some((name, "duplicate parameter".into()));
            continue;
        }
        idxs.push(i);
    }
    if deny_loading {
        c.add_error("-LOADING Redis is loading the dataset in memory");
        return;
    }
    if let Some(n) = invalid_arg {
        c.add_error(&format!(
            "Unknown option or number of arguments for CONFIG SET - '{}'",
            n
        ));
        return;
    }
    if let Some((n, why)) = err {
        c.add_error(&format!(
            "CONFIG SET failed (possibly related to argument '{}') - {}",
            n, why
        ));
        return;
    }
    // The name Redis reports for a value error: the table entry's own name
    // (an alias when the alias was used).
    let reported = |k: usize| -> String {
        let typed = String::from_utf8_lossy(argv.get(2 + k * 2)).to_ascii_lowercase();
        let d = &DIRECTIVES[idxs[k]];
        if d.alias == Some(typed.as_str()) {
            typed
        } else {
            d.name.to_string()
        }
    };
    let old: Vec<Vec<u8>> = idxs
        .iter()
        .map(|&i| srv.config.get_value_bytes(i))
        .collect();
    let mut applies: Vec<(Apply, usize)> = Vec::new();
    for (k, &i) in idxs.iter().enumerate() {
        let d = &DIRECTIVES[i];
        let args = split_value(d.has(table::MULTI_ARG), argv.get(3 + k * 2));
        match srv.config.set_value(i, &args, false) {
            Ok(SetResult::Changed) => {
                if let Some(a) = apply_of(d.name) {
                    if !applies.iter().any(|(x, _)| *x == a) {
                        applies.push((a, k));
                    }
                }
            }
            Ok(SetResult::Unchanged) => {}
            Err(e) => {
                restore(srv, &idxs[..=k], &old, &[]);
                c.add_error(&format!(
                    "CONFIG SET failed (possibly related to argument '{}') - {}",
                    reported(k),
                    e
                ));
                return;
            }
        }
    }
    srv.config.sync_typed();
    for &(a, k) in &applies {
        if let Err(e) = run_apply(srv, a) {
            log::warn!(
                "Failed applying new configuration. Possibly related to new {} setting. Restoring previous settings.",
                DIRECTIVES[idxs[k]].name
            );
            let all: Vec<Apply> = applies.iter().map(|x| x.0).collect();
            restore(srv, &idxs, &old, &all);
            c.add_error(&format!(
                "CONFIG SET failed (possibly related to argument '{}') - {}",
                reported(k),
                e
            ));
            return;
        }
    }
    for &i in &idxs {
        srv.config.warn_unimplemented(i);
    }
    c.add_ok();
}

/// restoreBackupConfig: puts the old values back and re-runs the applies.
fn restore(srv: &mut Server, idxs: &[usize], old: &[Vec<u8>], applies: &[Apply]) {
    for (k, &i) in idxs.iter().enumerate() {
        let d = &DIRECTIVES[i];
        let args = split_value(d.has(table::MULTI_ARG), &old[k]);
        if let Err(e) = srv.config.set_value(i, &args, false) {
            log::warn!(
                "Failed restoring failed CONFIG SET command. Error setting {} to '{}': {}",
                d.name,
                String::from_utf8_lossy(&old[k]),
                e
            );
        }
    }
    srv.config.sync_typed();
    for &a in applies {
        if let Err(e) = run_apply(srv, a) {
            log::warn!("Failed applying restored failed CONFIG SET command: {}", e);
        }
    }
}

fn run_apply(srv: &mut Server, a: Apply) -> Result<(), String> {
    match a {
        Apply::Port => rebind_tcp(srv)
            .map_err(|_| "Unable to listen on this port. Check server logs.".to_string()),
        Apply::Bind => rebind_tcp(srv).map_err(|_| {
            log::warn!("Failed to bind");
            "Failed to bind to specified addresses.".to_string()
        }),
        Apply::Hz => {
            // hz is a hint: out-of-range values are stored clamped (updateHZ).
            let i = lookup(b"hz").unwrap();
            let v = srv.config.get_i64("hz").clamp(1, 500);
            srv.config.values[i] = super::Value::Num(v);
            srv.config.sync_typed();
            srv.hz = srv.config.hz;
            Ok(())
        }
        Apply::ReplBacklog => {
            // resizeReplicationBacklog never goes below 16k.
            let i = lookup(b"repl-backlog-size").unwrap();
            if srv.config.get_i64("repl-backlog-size") < 16 * 1024 {
                srv.config.values[i] = super::Value::Num(16 * 1024);
            }
            srv.resize_replication_backlog();
            Ok(())
        }
        Apply::Tls => {
            // No TLS here: enabling a TLS listener or TLS links fails like a
            // failed tlsConfigure in Redis.
            let c = &srv.config;
            if c.get_i64("tls-port") != 0
                || c.get_bool("tls-replication")
                || c.get_bool("tls-cluster")
            {
                log::warn!("TLS is not supported by this server");
                Err("Unable to update TLS configuration. Check server logs.".into())
            } else {
                Ok(())
            }
        }
        Apply::Loglevel => {
            if let Some(l) = crate::logging::level_filter(&srv.config.loglevel) {
                log::set_max_level(l);
            }
            Ok(())
        }
        Apply::Maxclients => adjust_open_files_limit(srv),
        Apply::Requirepass => {
            crate::acl::update_default_password(srv);
            Ok(())
        }
        Apply::OomScoreAdj => crate::process::update_oom_score_adj(&srv.config, srv.is_replica())
            .map_err(|_| "Failed to set current oom_score_adj. Check server logs.".to_string()),
        Apply::CrashLog => {
            crate::crash::apply_config(&srv.config);
            Ok(())
        }
        Apply::Watchdog => {
            crate::crash::watchdog(srv.config.get_i64("watchdog-period"), srv.hz);
            Ok(())
        }
        Apply::ObufLimits => {
            srv.rearm_obuf_checks();
            Ok(())
        }
        Apply::MaxmemoryClients => {
            srv.reaccount_all_clients();
            Ok(())
        }
        Apply::ProcTitle => crate::process::set_proc_title(srv)
            .map_err(|_| "failed to set process title".to_string()),
        Apply::Maxmemory => {
            srv.update_maxmemory();
            Ok(())
        }
        Apply::AofAutoGc => {
            srv.aof_del_history_files();
            Ok(())
        }
        Apply::Appendonly => {
            let on = srv.config.get_bool("appendonly");
            srv.apply_appendonly(on)
        }
    }
}

/// Closes the TCP listeners and opens new ones for the current `bind`/`port`
/// (Redis's changeListenPort / changeBindAddr), re-registering every listener
/// with the event loop since tokens are listener indexes.
fn rebind_tcp(srv: &mut Server) -> Result<(), ()> {
    let old = std::mem::take(&mut srv.listeners);
    let mut unix = Vec::new();
    for mut l in old {
        if let Some(r) = &srv.registry {
            let _ = match &mut l {
                Listener::Tcp(t, _) => r.deregister(t),
                Listener::Unix(u, _) => r.deregister(u),
            };
        }
        if let Listener::Unix(..) = l {
            unix.push(l);
        }
        // TCP listeners are dropped (closed) here, before binding the new ones.
    }
    let opened =
        crate::server::listen::open_tcp(&srv.config.bind, srv.config.port, srv.config.tcp_backlog);
    let (mut list, ok) = match opened {
        Ok(ls) => (ls, true),
        Err(e) => {
            log::warn!("{}", e);
            (Vec::new(), false)
        }
    };
    list.extend(unix);
    if let Some(r) = &srv.registry {
        for (i, l) in list.iter_mut().enumerate() {
            let tok = mio::Token(i);
            let _ = match l {
                Listener::Tcp(t, _) => r.register(t, tok, mio::Interest::READABLE),
                Listener::Unix(u, _) => r.register(u, tok, mio::Interest::READABLE),
            };
        }
    }
    srv.listeners = list;
    srv.tcp_port = srv.config.port;
    if ok {
        Ok(())
    } else {
        Err(())
    }
}

/// Makes sure the process may open maxclients + 32 descriptors, raising the
/// soft limit when allowed (adjustOpenFilesLimit), else refuses the value.
fn adjust_open_files_limit(srv: &mut Server) -> Result<(), String> {
    const RESERVED: u64 = 32;
    let want = srv.config.maxclients as u64 + RESERVED;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write a stack rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return Ok(());
        }
        if lim.rlim_cur >= want {
            return Ok(());
        }
        let mut tryv = want;
        while tryv > lim.rlim_cur {
            let nl = libc::rlimit {
                rlim_cur: tryv,
                rlim_max: tryv.max(lim.rlim_max),
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &nl) == 0 {
                break;
            }
            tryv = tryv.saturating_sub(16);
        }
        if tryv >= want {
            return Ok(());
        }
        let best = tryv.max(lim.rlim_cur).saturating_sub(RESERVED).max(1);
        Err(format!(
            "The operating system is not able to handle the specified number of clients, try with {}",
            best
        ))
    }
}

/// CONFIG RESETSTAT: INFO stats, commandstats and errorstats (not the slowlog).
pub fn config_resetstat(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    srv.reset_server_stats();
    c.add_ok();
}

impl Server {
    /// resetServerStats + resetCommandTableStats + resetErrorTableStats.
    pub fn reset_server_stats(&mut self) {
        let now = crate::util::mstime();
        let s = &mut self.stats;
        s.numcommands = 0;
        s.numconnections = 0;
        s.expired_keys = 0;
        s.expire_cycle_time_used = 0;
        s.evicted_keys = 0;
        s.evicted_clients = 0;
        s.reply_buffer_shrinks = 0;
        s.reply_buffer_expands = 0;
        self.evict.reset_stats();
        crate::lazyfree::reset_stats();
        self.repl.stat_sync_full = 0;
        self.repl.stat_sync_partial_ok = 0;
        self.repl.stat_sync_partial_err = 0;
        s.keyspace_misses = 0;
        s.keyspace_hits = 0;
        s.rejected_conn = 0;
        s.io_reads_processed = 0;
        s.total_reads_processed = 0;
        s.total_writes_processed = 0;
        for m in s.inst.iter_mut() {
            *m = crate::server::InstMetric {
                last_sample_time_ms: now,
                ..Default::default()
            };
        }
        s.net_input_bytes = 0;
        s.net_output_bytes = 0;
        s.unexpected_error_replies = 0;
        s.total_error_replies = 0;
        s.errorstats.clear();
        for cmd in self.commands.cmds.iter_mut() {
            cmd.stats = Default::default();
        }
    }
}

/// CONFIG REWRITE
pub fn config_rewrite(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let path = match &srv.config_file {
        Some(p) => p.clone(),
        None => {
            c.add_error("The server is running without a config file");
            return;
        }
    };
    let users = crate::acl::user_lines(srv);
    match super::rewrite::rewrite_config(&srv.config, &users, &path, false) {
        Ok(()) => {
            log::warn!("CONFIG REWRITE executed with success.");
            c.add_ok();
        }
        Err(e) => {
            let msg = crate::server::listen::strerror(&e);
            log::warn!("CONFIG REWRITE failed: {}", msg);
            c.add_error(&format!("Rewriting config file: {}", msg));
        }
    }
}

/// CONFIG HELP
pub fn config_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    crate::commands::command_cmd::reply_help(
        c,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
}

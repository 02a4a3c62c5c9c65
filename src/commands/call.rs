//! From parsed request to reply: processCommand's ordered gates (lookup, arity,
//! protected commands, authentication, ACL, OOM) and call(), which runs the handler and
//! keeps commandstats, errorstats, the slowlog and latency samples.

use super::{flags, Command};
use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::Server;

/// The flags EVAL*, EVALSHA* and FCALL* share: a cheap pre-filter before
/// asking the scripting code for a script's declared flags.
const SCRIPT_CMD_FLAGS: u64 =
    flags::NOSCRIPT | flags::SKIP_MONITOR | flags::MAY_REPLICATE | flags::NO_MANDATORY_KEYS;

/// Redis's "unknown command" text: the name and up to 128 bytes of argument preview.
fn unknown_command_error(c: &mut Client, argv: &Argv) {
    let mut args = String::new();
    for a in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let s = String::from_utf8_lossy(&a[..a.len().min(room)]);
        args.push_str(&format!("'{}' ", s));
    }
    let name = String::from_utf8_lossy(&argv.get(0)[..argv.get(0).len().min(128)]).into_owned();
    c.add_error(&format!(
        "unknown command '{}', with args beginning with: {}",
        name, args
    ));
}

impl Server {
    /// Runs one request through the gates and, if it passes, executes it.
    /// Inlined into the read path, its one caller outside tests: a call per
    /// request is a measurable share of a GET.
    #[inline(always)]
    pub fn process_command(&mut self, c: &mut Client, argv: &Argv) {
        let top = match self.commands.lookup_top(argv.get(0)) {
            Some(id) => id,
            None => {
                unknown_command_error(c, argv);
                self.after_rejected(c, None);
                return;
            }
        };
        let mut id = top;
        if !self.commands.cmds[top].subcommands.is_empty() && argv.len() >= 2 {
            match self.commands.cmds[top]
                .subcommands
                .get(&argv.get(1).to_ascii_lowercase())
            {
                Some(&sid) => id = sid,
                None => {
                    let parent = self.commands.cmds[top].spec.name.to_ascii_uppercase();
                    let sub = String::from_utf8_lossy(argv.get(1)).into_owned();
                    c.add_error(&format!(
                        "unknown subcommand '{}'. Try {} HELP.",
                        truncate(&sub, 128),
                        parent
                    ));
                    self.after_rejected(c, None);
                    return;
                }
            }
        }
        let cmd = &self.commands.cmds[id];
        // CLIENT LIST cmd= names the running command, and a rejected one too.
        c.last_cmd = cmd.fullname;
        let arity = cmd.spec.arity;
        let argc = argv.len() as i32;
        if (arity > 0 && argc != arity) || argc < -arity {
            let name = cmd.fullname;
            c.add_error_arity(name);
            self.after_rejected(c, Some(id));
            return;
        }
        let mut cmd_flags = cmd.flags;
        // EVAL/FCALL of a script with declared flags take the script's.
        if cmd_flags & SCRIPT_CMD_FLAGS == SCRIPT_CMD_FLAGS {
            cmd_flags = self.script_command_flags(id, argv, cmd_flags);
        }
        let in_multi = c.flags.has(crate::networking::ClientFlags::MULTI);
        if in_multi {
            cmd_flags = crate::multi::effective_flags(c, cmd.fullname, cmd_flags);
        }
        if cmd_flags & flags::PROTECTED != 0 && !self.protected_command_allowed(c, id) {
            self.after_rejected(c, Some(id));
            return;
        }
        if !c.authenticated && cmd_flags & flags::NO_AUTH == 0 && self.auth_required() {
            c.add_error("-NOAUTH Authentication required.");
            self.after_rejected(c, Some(id));
            return;
        }
        if in_multi && cmd_flags & flags::NO_MULTI != 0 {
            c.add_error("Command not allowed inside a transaction");
            self.after_rejected(c, Some(id));
            return;
        }
        if !crate::acl::gate(self, c, id, argv) {
            self.after_rejected(c, Some(id));
            return;
        }
        // Cluster redirection: a key this node can't serve now is refused before
        // anything else looks at the request (processCommand's getNodeByQuery step).
        if self.config.cluster_enabled {
            if let Some(err) = self.cluster_redirect(c, id, argv) {
                if self.commands.cmds[id].spec.name == "exec" {
                    self.discard_transaction(c);
                    c.add_error(&err);
                    self.commands.cmds[id].stats.rejected_calls += 1;
                    self.drain_error_codes(c);
                } else {
                    c.add_error(&err);
                    self.after_rejected(c, Some(id));
                }
                return;
            }
        }
        // Clients are evicted before keys: their buffers may be what is over maxmemory.
        if self.config.maxmemory_clients_on() && self.client_eviction_gate(c) {
            return;
        }
        let from_master = c.flags.has(crate::networking::ClientFlags::MASTER);
        if self.config.maxmemory != 0 && !from_master {
            // Inside MULTI the queue itself grows memory: only EXEC (unless
            // it carries a denyoom command), DISCARD, QUIT and RESET pass.
            let oom_flags = if in_multi
                && !matches!(
                    self.commands.cmds[id].fullname,
                    "exec" | "discard" | "quit" | "reset"
                ) {
                cmd_flags | flags::DENYOOM
            } else {
                cmd_flags
            };
            let ok = self.oom_gate(c, oom_flags);
            // Invalidations of evicted keys go out before the reply.
            if self.tracking.in_use {
                self.tracking_flush_pending(c);
            }
            if !ok {
                self.after_rejected(c, Some(id));
                return;
            }
        }
        // Keep the tracking table within tracking-table-max-keys; the running
        // client hears of its own dropped keys now, before this command's reply
        // (or its +QUEUED).
        if self.tracking.clients != 0 {
            self.tracking_limit_used_slots();
            self.tracking_flush_pending(c);
        }
        // MISCONF: a failed background save stops writes (and PING) while
        // stop-writes-on-bgsave-error is on.
        if let Some(err) = self.rdb_disk_error().filter(|_| !from_master) {
            if cmd_flags & flags::WRITE != 0 || self.commands.cmds[id].spec.name == "ping" {
                c.add_error(err);
                self.after_rejected(c, Some(id));
                return;
            }
        }
        // The same for an AOF that can't be written or fsync'd.
        if self.aof.state != crate::aof::AofState::Off
            && (cmd_flags & flags::WRITE != 0 || self.commands.cmds[id].spec.name == "ping")
        {
            if let Some(err) = self.aof_write_error() {
                c.add_error(&err);
                self.after_rejected(c, Some(id));
                return;
            }
        }
        // min-replicas-to-write: a master without enough good replicas refuses writes.
        if cmd_flags & flags::WRITE != 0 && !from_master && !self.enough_good_replicas() {
            c.add_error("-NOREPLICAS Not enough good replicas to write.");
            self.after_rejected(c, Some(id));
            return;
        }
        // A read-only replica takes writes only from its master.
        if cmd_flags & flags::WRITE != 0
            && !from_master
            && self.is_replica()
            && self.config.get_bool("replica-read-only")
        {
            c.add_error("-READONLY You can't write against a read only replica.");
            self.after_rejected(c, Some(id));
            return;
        }
        // A replica link must not touch the keyspace (nor dodge a pause through it).
        if c.flags.has(ClientFlags::SLAVE)
            && cmd_flags & (flags::WRITE | flags::READONLY | flags::MAY_REPLICATE) != 0
        {
            c.add_error("Replica can't interact with the keyspace");
            self.after_rejected(c, Some(id));
            return;
        }
        if self.is_replica()
            && !self.master_link_up()
            && !self.config.get_bool("replica-serve-stale-data")
            && (cmd_flags & flags::STALE == 0
                || (self.commands.cmds[id].fullname == "exec"
                    && c.mstate
                        .as_ref()
                        .is_some_and(|m| m.cmd_inv_flags & flags::STALE != 0)))
        {
            c.add_error(
                "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            );
            self.after_rejected(c, Some(id));
            return;
        }
        // Only pub/sub commands in a RESP2 subscribed context: the client reads pushes.
        if c.resp == 2
            && c.flags.has(crate::networking::ClientFlags::PUBSUB)
            && !crate::pubsub::allowed_in_subscribed_context(self.commands.cmds[id].fullname)
        {
            c.add_error(&format!(
                "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                self.commands.cmds[id].fullname
            ));
            self.after_rejected(c, Some(id));
            return;
        }
        if self.loading && cmd_flags & flags::LOADING == 0 {
            c.add_error("-LOADING Redis is loading the dataset in memory");
            self.after_rejected(c, Some(id));
            return;
        }
        // A script past busy-reply-threshold polls the loop: only the
        // allow-busy commands (SCRIPT KILL, SHUTDOWN, MULTI/EXEC...) run.
        if cmd_flags & flags::ALLOW_BUSY == 0 && self.script_timedout() {
            c.add_error(self.script_busy_error());
            self.after_rejected(c, Some(id));
            return;
        }
        if self.pause != crate::server::PauseKind::None && self.must_postpone(c, cmd_flags) {
            self.postpone_client(c);
            return;
        }
        if in_multi && !crate::multi::runs_inside_multi(self.commands.cmds[id].fullname) {
            self.queue_multi_command(c, id, argv);
            return;
        }
        self.call(c, id, argv);
        c.woff = self.repl.master_repl_offset;
        // Keys a busy script made ready are served after it ends.
        if self.has_ready_keys() && !self.script_timedout() {
            self.handle_clients_blocked_on_keys();
        }
    }

    /// Executes a command that passed the gates.
    pub fn call(&mut self, c: &mut Client, id: usize, argv: &Argv) {
        let handler = match self.commands.cmds[id].spec.handler {
            Some(h) => h,
            None => {
                // A container called without a subcommand (e.g. plain "CONFIG") fails arity first,
                // so this is only reached for containers with arity -2 and a bare call.
                let name = self.commands.cmds[id].fullname;
                c.add_error_arity(name);
                self.after_rejected(c, Some(id));
                return;
            }
        };
        // Nested calls (a script's commands, EXEC's) keep the outer
        // command's time: a script sees keys expire as of its start.
        if self.prop.depth == 0 {
            self.cmd_time_ms = crate::util::mstime();
        }
        let errors_before = c.error_codes.len();
        let dirty_before = self.dirty;
        if self.tracking.in_use {
            self.tracking_before_call(c);
        }
        let reply_mark = c.reply.len();
        let frame = self.propagation_enter();
        let start = crate::util::monotonic_us();
        handler(self, c, argv);
        let duration = crate::util::monotonic_us() - start;
        self.propagation_leave(id, c.db, argv, self.dirty > dirty_before, frame);
        if self.pubsub.has_pending() {
            self.pubsub_flush_pending(c, reply_mark);
        }
        if self.watches.has_pending() {
            self.settle_pending_touches(c);
        }
        // in_use never goes back to false, and CLIENT TRACKING may just have set it.
        if self.tracking.in_use {
            self.tracking_after_call(c, id, argv);
        }

        if c.flags.has(crate::networking::ClientFlags::BLOCKED) {
            // A blocked command is counted when it is served, times out or is unblocked.
            if !self.monitors.is_empty()
                && !c.flags.has(crate::networking::ClientFlags::REPROCESSING)
            {
                self.feed_monitors(c, argv);
            }
            return;
        }
        let cmd: &mut Command = &mut self.commands.cmds[id];
        cmd.stats.calls += 1;
        cmd.stats.usec += duration;
        let failed = c.error_codes.len() > errors_before;
        if failed {
            cmd.stats.failed_calls += 1;
        }
        let cmd_flags = cmd.flags;
        let fullname = cmd.fullname;
        c.last_cmd = fullname;
        c.commands_processed += 1;
        self.stats.numcommands += 1;
        if failed || !c.error_codes.is_empty() {
            self.drain_error_codes(c);
        }
        if cmd_flags & flags::SKIP_SLOWLOG == 0 {
            self.slowlog_push_if_needed(c, argv, duration);
        }
        // MONITOR sees the command after it ran, so AUTH/HELLO can redact passwords first.
        if !self.monitors.is_empty()
            && cmd_flags & (flags::SKIP_MONITOR | flags::ADMIN) == 0
            && !c.flags.has(crate::networking::ClientFlags::REPROCESSING)
        {
            self.feed_monitors(c, argv);
        }
        c.redacted_args = 0;
        c.redacted_high.clear();
        if self.config.latency_tracking {
            crate::latency::record_command_latency(&mut self.commands.cmds[id].stats, duration);
        }
        self.latency_add_sample_if_needed(
            if cmd_flags & flags::FAST != 0 {
                "fast-command"
            } else {
                "command"
            },
            duration / 1000,
        );
    }

    /// Bookkeeping for a request refused before execution (rejected_calls, errorstats).
    fn after_rejected(&mut self, c: &mut Client, id: Option<usize>) {
        if let Some(id) = id {
            self.commands.cmds[id].stats.rejected_calls += 1;
        }
        // rejectCommand: a refusal inside MULTI dooms the transaction, and a
        // refused EXEC aborts it with the refusal as the reason.
        if c.flags.has(crate::networking::ClientFlags::MULTI) {
            if id.is_some_and(|id| self.commands.cmds[id].fullname == "exec") {
                self.exec_abort(c);
            } else {
                c.flags.set(crate::networking::ClientFlags::DIRTY_EXEC);
            }
        }
        self.drain_error_codes(c);
    }

    /// Moves the client's recorded error codes into INFO errorstats.
    pub fn drain_error_codes(&mut self, c: &mut Client) {
        for code in c.error_codes.drain(..) {
            if code.is_empty() {
                // Counted where it arose (Client::add_error_no_stats).
                continue;
            }
            self.stats.total_error_replies += 1;
            let n = self.stats.errorstats.len();
            if let Some(e) = self.stats.errorstats.iter_mut().find(|(k, _)| *k == code) {
                e.1 += 1;
            } else if n < 128 {
                self.stats.errorstats.push((code, 1));
            } else {
                // Redis stops tracking new error codes past 128 and logs it once.
                if !self.stats.errorstats_overflow_logged {
                    log::warn!("Errorstats stopped adding new errors because the number of different errors reached 128; new errors will be counted as ERRORSTATS_DISABLED");
                    self.stats.errorstats_overflow_logged = true;
                }
            }
        }
    }

    fn auth_required(&self) -> bool {
        self.acl.default_requires_auth()
    }

    /// enable-debug-command / enable-protected-configs: "no", "yes" or "local".
    fn protected_command_allowed(&self, c: &mut Client, id: usize) -> bool {
        let name = self.commands.cmds[id].spec.name;
        let setting = if name == "debug" {
            self.config.enable_debug_command
        } else {
            self.config.enable_module_command
        };
        let allowed = match setting {
            crate::config::ProtectedMode::Yes => true,
            crate::config::ProtectedMode::No => false,
            crate::config::ProtectedMode::Local => {
                c.flags.has(crate::networking::ClientFlags::UNIX_SOCKET)
                    || c.addr.starts_with("127.")
                    || c.addr.starts_with("[::1]")
            }
        };
        if !allowed {
            let upper = name.to_ascii_uppercase();
            let opt = if name == "debug" {
                "enable-debug-command"
            } else {
                "enable-module-command"
            };
            c.add_error(&format!("{} command not allowed. If the {} option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.", upper, opt));
        }
        allowed
    }
}

fn truncate(s: &str, n: usize) -> &str {
    if s.len() <= n {
        s
    } else {
        let mut i = n;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        &s[..i]
    }
}

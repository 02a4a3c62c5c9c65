//! EVAL, EVALSHA, their _RO variants and SCRIPT (Redis's eval.c): the script
//! cache keyed by the body's SHA1, shebang flags, and the checks made before
//! a script runs (scriptPrepareForRun). The run itself is in mod.rs.

use super::{
    parse_flag_name, CachedScript, RunCtx, SF_ALLOW_OOM, SF_ALLOW_STALE, SF_EVAL_COMPAT,
    SF_NO_CLUSTER, SF_NO_WRITES,
};
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use crate::util::eq_ic;

/// evalExtractShebangFlags: the flags of a body and the shebang line's length.
pub fn extract_shebang_flags(body: &[u8]) -> Result<(u64, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((SF_EVAL_COMPAT, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".into());
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let parts: Vec<&str> = line.split_whitespace().collect();
    if parts.is_empty() {
        return Err("Invalid engine in script shebang".into());
    }
    if parts[0] != "#!lua" {
        return Err(format!("Unexpected engine in script shebang: {}", parts[0]));
    }
    let mut flags = 0;
    for p in &parts[1..] {
        if let Some(list) = p.strip_prefix("flags=") {
            for f in list.split(',') {
                match parse_flag_name(f.as_bytes()) {
                    Some(bit) => flags |= bit,
                    None if f.is_empty() => {}
                    None => return Err(format!("Unexpected flag in script shebang: {}", f)),
                }
            }
        } else {
            return Err(format!("Unknown lua shebang option: {}", p));
        }
    }
    Ok((flags, end))
}

impl Server {
    /// luaCreateFunction: compiles and caches a body; returns its sha, or
    /// replies with the compile error.
    pub fn script_create(&mut self, c: Option<&mut Client>, body: &[u8]) -> Option<String> {
        let sha = crate::sha1::to_hex(&crate::sha1::sha1(body));
        if self.scripting.scripts.contains_key(&sha) {
            return Some(sha);
        }
        let (flags, shebang_len) = match extract_shebang_flags(body) {
            Ok(x) => x,
            Err(e) => {
                if let Some(c) = c {
                    c.add_error(&e);
                }
                return None;
            }
        };
        let lua = self.scripting.lua.as_ref().expect("lua state");
        // The shebang line is skipped but its newline kept: line numbers stay right.
        let compiled = lua
            .load(&body[shebang_len..])
            .set_name("@user_script")
            .into_function();
        match compiled {
            Ok(f) => {
                if lua
                    .set_named_registry_value(&format!("f_{}", sha), f)
                    .is_err()
                {
                    return None;
                }
            }
            Err(e) => {
                if let Some(c) = c {
                    let msg = match &e {
                        mlua::Error::SyntaxError { message, .. } => message.clone(),
                        other => other.to_string(),
                    };
                    c.add_error(&format!("Error compiling script (new function): {}", msg));
                }
                return None;
            }
        }
        self.scripting.scripts_mem += sha.len() + body.len();
        self.scripting.scripts.insert(
            sha.clone(),
            CachedScript {
                body: body.to_vec(),
                flags,
            },
        );
        Some(sha)
    }

    /// The flags of the script an EVAL* names, when known before it runs
    /// (evalGetCommandFlags): a shebang's no-writes makes EVAL a read command, etc.
    pub fn eval_script_flags(&self, argv: &Argv, evalsha: bool) -> Option<u64> {
        let a1 = argv.get(1);
        let sha = if evalsha {
            if a1.len() != 40 {
                return None;
            }
            String::from_utf8_lossy(a1).to_ascii_lowercase()
        } else {
            crate::sha1::to_hex(&crate::sha1::sha1(a1))
        };
        match self.scripting.scripts.get(&sha) {
            Some(s) => Some(s.flags),
            None if evalsha => None,
            None => extract_shebang_flags(a1).ok().map(|(f, _)| f),
        }
    }

    /// A replica cut from its master that must not serve stale data.
    pub fn script_running_stale(&self) -> bool {
        self.is_replica()
            && !self.master_link_up()
            && !self.config.get_bool("replica-serve-stale-data")
    }

    /// evalGetCommandFlags / fcallGetCommandFlags: a script that declares
    /// flags replaces EVAL's or FCALL's write, deny-oom, stale and
    /// may-replicate flags with its own (scriptFlagsToCmdFlags).
    pub fn script_command_flags(&self, id: usize, argv: &Argv, cmd_flags: u64) -> u64 {
        use crate::commands::flags;
        let handler = self.commands.cmds[id].spec.handler;
        let is = |h: crate::commands::Handler| handler == Some(h);
        let script_flags = if is(eval_command) || is(eval_ro_command) {
            self.eval_script_flags(argv, false)
        } else if is(evalsha_command) || is(evalsha_ro_command) {
            self.eval_script_flags(argv, true)
        } else if is(super::function::fcall_command) || is(super::function::fcall_ro_command) {
            self.scripting.functions.flags_of(argv.get(1))
        } else {
            None
        };
        let Some(sf) = script_flags.filter(|f| f & SF_EVAL_COMPAT == 0) else {
            return cmd_flags;
        };
        let mut f =
            cmd_flags & !(flags::STALE | flags::DENYOOM | flags::WRITE | flags::MAY_REPLICATE);
        if sf & (SF_ALLOW_OOM | SF_NO_WRITES) == 0 {
            f |= flags::DENYOOM;
        }
        if sf & SF_NO_WRITES == 0 {
            f |= flags::WRITE;
        }
        if sf & SF_ALLOW_STALE != 0 {
            f |= flags::STALE;
        }
        f
    }

    /// scriptPrepareForRun's refusals; None when the script may run.
    pub fn script_prepare(
        &mut self,
        c: &mut Client,
        script_flags: u64,
        ro: bool,
    ) -> Option<RunCtx> {
        let running_stale = self.script_running_stale();
        let obey = c.flags.has(crate::networking::ClientFlags::MASTER)
            || c.id == crate::aof::AOF_CLIENT_ID;
        if script_flags & SF_EVAL_COMPAT != 0 && running_stale {
            c.add_error(
                "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            );
            return None;
        }
        if script_flags & SF_EVAL_COMPAT == 0 {
            if script_flags & SF_NO_CLUSTER != 0 && self.config.cluster_enabled {
                c.add_error("Can not run script on cluster, 'no-cluster' flag is set.");
                return None;
            }
            if running_stale && script_flags & SF_ALLOW_STALE == 0 {
                c.add_error("-MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.");
                return None;
            }
            if script_flags & SF_NO_WRITES == 0 {
                if self.is_replica() && self.config.get_bool("replica-read-only") && !obey {
                    c.add_error("-READONLY Can not run script with write flag on readonly replica");
                    return None;
                }
                if let Some(e) = self.rdb_disk_error() {
                    let _ = e;
                    c.add_error("-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.");
                    return None;
                }
                if self.aof.state != crate::aof::AofState::Off {
                    if let Some(e) = self.aof_write_error() {
                        let reason = e.rsplit("AOF error: ").next().unwrap_or("").to_string();
                        c.add_error(&format!("-MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: {}", reason));
                        return None;
                    }
                }
                if ro {
                    c.add_error("Can not execute a script with write flag using *_ro command.");
                    return None;
                }
                if !self.is_replica() && !self.enough_good_replicas() {
                    c.add_error("-NOREPLICAS Not enough good replicas to write.");
                    return None;
                }
            }
        }
        let oom = self.config.maxmemory != 0 && self.pre_command_oom_state;
        if script_flags & SF_EVAL_COMPAT == 0
            && oom
            && script_flags & (SF_ALLOW_OOM | SF_NO_WRITES) == 0
        {
            c.add_error("-OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'");
            return None;
        }
        let compat = script_flags & SF_EVAL_COMPAT != 0;
        Some(RunCtx {
            funcname: String::new(),
            script_flags,
            read_only: ro || (!compat && script_flags & SF_NO_WRITES != 0),
            allow_oom: !compat && script_flags & SF_ALLOW_OOM != 0,
            eval_mode: true,
            write_dirty: false,
            command: Vec::new(),
            read_cmd_ran: false,
            resp: 2,
            repl_flags: 3,
            oom_at_start: oom,
        })
    }
}

/// Parses numkeys: Err when the reply was sent.
pub fn parse_numkeys(c: &mut Client, argv: &Argv) -> Option<usize> {
    let Some(n) = crate::util::parse_i64(argv.get(2)) else {
        c.add_error_not_int();
        return None;
    };
    if n > argv.len() as i64 - 3 {
        c.add_error("Number of keys can't be greater than number of args");
        return None;
    }
    if n < 0 {
        c.add_error("Number of keys can't be negative");
        return None;
    }
    Some(n as usize)
}

fn eval_generic(srv: &mut Server, c: &mut Client, argv: &Argv, evalsha: bool, ro: bool) {
    // EVAL skips the usual feed after the call: monitors see it before the
    // commands its script runs.
    if !srv.monitors.is_empty() {
        srv.feed_monitors(c, argv);
    }
    // A client in SCRIPT DEBUG mode runs EVAL in a debugging session (ldb.rs).
    if let Some(sync) = super::ldb::debug_mode(c) {
        if evalsha {
            if argv.get(1).len() != 40 {
                c.add_error("-NOSCRIPT No matching script. Please use EVAL.");
            } else {
                c.add_error("Please use EVAL instead of EVALSHA for debugging");
            }
            return;
        }
        if super::ldb::start_session(srv, c, argv.get(1), sync) {
            eval_run(srv, c, argv, evalsha, ro);
            super::ldb::end_session(srv, c);
        }
        return;
    }
    eval_run(srv, c, argv, evalsha, ro);
}

fn eval_run(srv: &mut Server, c: &mut Client, argv: &Argv, evalsha: bool, ro: bool) {
    let Some(numkeys) = parse_numkeys(c, argv) else {
        return;
    };
    let sha = if evalsha {
        let s = String::from_utf8_lossy(argv.get(1)).to_ascii_lowercase();
        if s.len() != 40 || !srv.scripting.scripts.contains_key(&s) {
            c.add_error("-NOSCRIPT No matching script. Please use EVAL.");
            return;
        }
        s
    } else {
        match srv.script_create(Some(c), argv.get(1)) {
            Some(s) => s,
            None => return,
        }
    };
    let flags = srv.scripting.scripts[&sha].flags;
    let Some(mut ctx) = srv.script_prepare(c, flags, ro) else {
        return;
    };
    ctx.funcname = sha.clone();
    let keys = (0..numkeys).map(|i| argv.get(3 + i).to_vec()).collect();
    let args = (3 + numkeys..argv.len())
        .map(|i| argv.get(i).to_vec())
        .collect();
    if srv.run_script(c, &format!("f_{}", sha), keys, args, ctx) {
        srv.script_track_keys(c, argv);
    }
    // The script's commands were propagated as themselves (effects replication).
    srv.prevent_propagation();
}

pub fn eval_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    eval_generic(srv, c, argv, false, false);
}
pub fn evalsha_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    eval_generic(srv, c, argv, true, false);
}
pub fn eval_ro_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    eval_generic(srv, c, argv, false, true);
}
pub fn evalsha_ro_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    eval_generic(srv, c, argv, true, true);
}

pub fn script_load(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if let Some(sha) = srv.script_create(Some(c), argv.get(2)) {
        c.add_bulk(sha.as_bytes());
    }
}

pub fn script_exists(srv: &mut Server, c: &mut Client, argv: &Argv) {
    c.add_array_len(argv.len() - 2);
    for i in 2..argv.len() {
        let s = String::from_utf8_lossy(argv.get(i)).to_ascii_lowercase();
        c.add_int(srv.scripting.scripts.contains_key(&s) as i64);
    }
}

pub fn script_flush(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() > 3
        || (argv.len() == 3 && !eq_ic(argv.get(2), "sync") && !eq_ic(argv.get(2), "async"))
    {
        c.add_error("SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    srv.scripting.reset_eval();
    c.add_ok();
}

pub fn script_kill(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    srv.script_kill(c, true);
}

pub fn script_debug(_srv: &mut Server, c: &mut Client, argv: &Argv) {
    super::ldb::script_debug(c, argv);
}

pub fn script_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let lines = [
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    ];
    c.add_array_len(lines.len());
    for l in lines {
        c.add_status(l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_flags() {
        assert_eq!(
            extract_shebang_flags(b"return 1").unwrap(),
            (SF_EVAL_COMPAT, 0)
        );
        assert_eq!(
            extract_shebang_flags(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap(),
            (SF_NO_WRITES | SF_ALLOW_OOM, 31)
        );
        assert_eq!(extract_shebang_flags(b"#!lua\nreturn 1").unwrap().0, 0);
        assert_eq!(
            extract_shebang_flags(b"#!lua flags=bad\n").unwrap_err(),
            "Unexpected flag in script shebang: bad"
        );
        assert_eq!(
            extract_shebang_flags(b"#!python\n").unwrap_err(),
            "Unexpected engine in script shebang: #!python"
        );
        assert_eq!(
            extract_shebang_flags(b"#!lua").unwrap_err(),
            "Invalid script shebang"
        );
    }
}

//! Lua scripting (Redis's script.c and script_lua.c): one Lua 5.1 state shared
//! by EVAL scripts and FUNCTION libraries, the `redis` API table, the sandbox,
//! the Redis↔Lua value conversions and the run of one script. A script calls
//! commands through the ordinary command table on a fake client, so ACL, OOM
//! and read-only rules, commandstats and propagation apply as for any client.
//! EVAL/SCRIPT live in eval.rs, FUNCTION/FCALL in function.rs.
//!
//! A count hook (every 100k instructions) lets a script that runs past
//! `busy-reply-threshold` serve the event loop from inside: other clients get
//! -BUSY, SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE get through.
//!
//! The Lua state is taken out of the server while a script runs: the Rust side
//! of `redis.call` is a scoped callback that borrows the server mutably, which
//! is sound only because nothing else can reach the state meanwhile.

mod cmsgpack;
pub mod eval;
pub mod function;
mod lauxlib;
mod ldb;
mod libs;
mod lstruct;

use std::collections::HashMap;

use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};

use crate::commands::flags;
use crate::networking::{Client, ClientFlags};
use crate::resp::{Argv, OwnedArgv};
use crate::server::Server;

// Script flags (scripts_flags_def in Redis's script.c).
pub const SF_NO_WRITES: u64 = 1 << 0;
pub const SF_ALLOW_OOM: u64 = 1 << 1;
pub const SF_ALLOW_STALE: u64 = 1 << 2;
pub const SF_NO_CLUSTER: u64 = 1 << 3;
/// No shebang: the pre-7.0 rules.
pub const SF_EVAL_COMPAT: u64 = 1 << 4;
pub const SF_ALLOW_CROSS_SLOT: u64 = 1 << 5;

pub const SCRIPT_FLAG_NAMES: &[(u64, &str)] = &[
    (SF_NO_WRITES, "no-writes"),
    (SF_ALLOW_OOM, "allow-oom"),
    (SF_ALLOW_STALE, "allow-stale"),
    (SF_NO_CLUSTER, "no-cluster"),
    (SF_ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
];

/// A cached EVAL script: its body (SCRIPT LOAD'ed or run once) and flags.
pub struct CachedScript {
    pub body: Vec<u8>,
    pub flags: u64,
}

/// The scripting engine's state on the server.
pub struct Scripting {
    /// None while a script runs (see the module comment).
    lua: Option<Lua>,
    /// sha1 hex → script; the compiled function sits in the Lua registry as "f_<sha>".
    pub scripts: HashMap<String, CachedScript>,
    pub scripts_mem: usize,
    /// The client scripts run their commands on (Redis's lua_client).
    client: Option<Box<Client>>,
    pub functions: function::Functions,
    /// Calls since the last incremental GC step (LUA_GC_CYCLE_PERIOD).
    gc_count: u32,
    /// The script being run, visible to the commands a timed-out script lets
    /// through (SCRIPT KILL, FUNCTION STATS, SHUTDOWN NOSAVE).
    pub running: Option<RunState>,
}

/// What other clients may learn of the running script (the part of Redis's
/// scriptRunCtx that SCRIPT KILL and FUNCTION STATS read).
pub struct RunState {
    pub funcname: String,
    pub eval_mode: bool,
    /// FCALL's arguments, for FUNCTION STATS (empty for EVAL).
    pub command: Vec<Vec<u8>>,
    /// Monotonic start, in ms.
    pub start_ms: i64,
    /// Past busy-reply-threshold: the loop is being polled from the count hook.
    pub timedout: bool,
    pub killed: bool,
    pub write_dirty: bool,
    /// Run for the master or the AOF: never killable.
    pub caller_must_obey: bool,
}

impl RunState {
    pub fn elapsed_ms(&self) -> i64 {
        monotonic_ms() - self.start_ms
    }
}

fn monotonic_ms() -> i64 {
    (crate::util::monotonic_us() / 1000) as i64
}

pub const BUSY_EVAL_ERR: &str =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const BUSY_FUNCTION_ERR: &str =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// Instructions between two runs of the count hook (Redis's luaMaskCountHook period).
const HOOK_PERIOD: u32 = 100_000;
/// FUNCTION LOAD gives up on a library body running longer than this (LOAD_TIMEOUT_MS).
const LOAD_TIMEOUT_MS: i64 = 500;

/// The count hook, installed for the life of the Lua state: during a script
/// it asks the run (through the scoped callback) to poll the event loop once
/// the script is past busy-reply-threshold, and raises the kill error once
/// SCRIPT KILL / FUNCTION KILL asked for it; during FUNCTION LOAD it enforces
/// the load timeout. After either error it fires on every line, so a pcall
/// in the script cannot swallow the error and go on.
fn count_hook(lua: &Lua, _: mlua::Debug) -> mlua::Result<()> {
    let ctx: Table = lua.named_registry_value("redis_ctx")?;
    if let Some(f) = ctx.raw_get::<_, Option<Function>>("rust")? {
        let (killed, _): (bool, bool) = f.call("interrupt")?;
        if killed {
            log::warn!("Lua script killed by user with SCRIPT KILL.");
            lua.set_hook(mlua::HookTriggers::EVERY_LINE, count_hook);
            return Err(script_error(
                b"ERR Script killed by user with SCRIPT KILL...".to_vec(),
            ));
        }
    } else if let Some(start) = ctx.raw_get::<_, Option<i64>>("load_start_ms")? {
        if monotonic_ms() - start > LOAD_TIMEOUT_MS {
            lua.set_hook(mlua::HookTriggers::EVERY_LINE, count_hook);
            return Err(script_error(b"ERR FUNCTION LOAD timeout".to_vec()));
        }
    }
    Ok(())
}

/// Runs `f` with the FUNCTION LOAD timeout armed.
pub(crate) fn with_load_timeout<T>(lua: &Lua, f: impl FnOnce() -> T) -> T {
    let ctx: Option<Table> = lua.named_registry_value("redis_ctx").ok();
    if let Some(ctx) = &ctx {
        let _ = ctx.raw_set("load_start_ms", monotonic_ms());
    }
    let r = f();
    if let Some(ctx) = &ctx {
        let _ = ctx.raw_set("load_start_ms", Value::Nil);
        // A timeout switched the hook to every line.
        install_count_hook(lua);
    }
    r
}

fn install_count_hook(lua: &Lua) {
    lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(HOOK_PERIOD),
        count_hook,
    );
}

const PRELUDE: &str = include_str!("prelude.lua");

/// Builds a Lua state with Redis's libraries, the `redis` table and the sandbox.
fn new_lua() -> Lua {
    let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
    // SAFETY: mlua calls the debug library unsafe; ldb::register moves it out
    // of the globals into the registry before any script runs, so only the
    // debugger (ldb.rs) uses it, as Redis's scripts cannot see it either.
    let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::new()) };
    setup(&lua).expect("lua setup");
    install_count_hook(&lua);
    lua
}

fn setup(lua: &Lua) -> mlua::Result<()> {
    let g = lua.globals();
    let redis = lua.create_table()?;
    // The run context: the Rust callback of the running script ("rust"),
    // the globals' backing table ("globals") and the read-only set.
    let ctx = lua.create_table()?;
    lua.set_named_registry_value("redis_ctx", ctx.clone())?;
    libs::register(lua)?;
    for (name, op, raise) in [
        ("call", "call", true),
        ("pcall", "call", false),
        ("setresp", "setresp", true),
        ("set_repl", "set_repl", true),
        ("acl_check_cmd", "acl_check_cmd", true),
    ] {
        redis.set(
            name,
            lua.create_function(move |lua, args: MultiValue| api_dispatch(lua, op, raise, args))?,
        )?;
    }
    redis.set(
        "register_function",
        lua.create_function(|lua, args: MultiValue| {
            let ctx: Table = lua.named_registry_value("redis_ctx")?;
            let Some(f) = ctx.raw_get::<_, Option<Function>>("register")? else {
                return Err(script_error(
                    b"ERR redis.register_function can only be called on FUNCTION LOAD command"
                        .to_vec(),
                ));
            };
            let (v, raised): (Value, bool) = f.call(args)?;
            if raised {
                return Err(script_error_from(&v));
            }
            Ok(v)
        })?,
    )?;
    lua_static_api(lua, &redis)?;
    ldb::register(lua, &redis)?;
    g.set("redis", redis.clone())?;
    // Functions' register_function sits on the load-time redis table (function.rs).
    let rf: Value = redis.get("register_function")?;
    lua.set_named_registry_value("register_function", rf)?;
    redis.raw_set("register_function", Value::Nil)?;
    ctx.raw_set(
        "to_err_table",
        lua.create_function(|lua, v: Value| {
            if let Value::Error(e) = &v {
                if let Some(se) = find_script_error(e) {
                    let t = lua.create_table()?;
                    t.raw_set("err", lua.create_string(&se.0)?)?;
                    if se.1 {
                        t.raw_set("ignore_error_stats_update", true)?;
                    }
                    return Ok(Value::Table(t));
                }
            }
            Ok(v)
        })?,
    )?;
    lua.load(PRELUDE).set_name("=sandbox").call::<_, ()>(ctx)?;
    Ok(())
}

/// An error raised by the redis API ("CODE message"). Rust callbacks cannot
/// raise a Lua table, so the text travels in the error and the error handler
/// (or the pcall wrapper) turns it back into Redis's {err=...} table.
/// The flag says errorstats already counted it (a rejected redis.call).
#[derive(Debug)]
pub struct ScriptError(pub Vec<u8>, pub bool);

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}", String::from_utf8_lossy(&self.0))
    }
}
impl std::error::Error for ScriptError {}

fn script_error(text: Vec<u8>) -> mlua::Error {
    mlua::Error::external(ScriptError(text, false))
}

/// An error table whose error errorstats already counted (a rejected
/// redis.call: Redis's ignore_error_stats_update).
fn already_counted(t: &Table) -> bool {
    matches!(
        t.raw_get::<_, Value>("ignore_error_stats_update"),
        Ok(Value::Boolean(true))
    )
}

fn script_error_from(v: &Value) -> mlua::Error {
    let counted = matches!(v, Value::Table(t) if already_counted(t));
    let text = match v {
        Value::Table(t) => t
            .raw_get::<_, Option<mlua::String>>("err")
            .ok()
            .flatten()
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default(),
        other => lua_bytes(other).unwrap_or_default(),
    };
    mlua::Error::external(ScriptError(text, counted))
}

/// The ScriptError text inside an mlua error, however deeply wrapped.
fn find_script_error(e: &mlua::Error) -> Option<&ScriptError> {
    match e {
        mlua::Error::ExternalError(x) => x.downcast_ref::<ScriptError>(),
        mlua::Error::CallbackError { cause, .. } => find_script_error(cause),
        mlua::Error::WithContext { cause, .. } => find_script_error(cause),
        _ => None,
    }
}

/// redis.call/pcall/setresp/set_repl/acl_check_cmd: forwards to the running
/// script's scoped callback; `raise` turns an error result into a Lua error.
fn api_dispatch<'l>(
    lua: &'l Lua,
    op: &'static str,
    raise: bool,
    args: MultiValue<'l>,
) -> mlua::Result<Value<'l>> {
    let ctx: Table = lua.named_registry_value("redis_ctx")?;
    let Some(f) = ctx.raw_get::<_, Option<Function>>("rust")? else {
        let msg = match op {
            "call" => "ERR redis.call/pcall can only be called inside a script invocation",
            "setresp" => "ERR redis.setresp can only be called inside a script invocation",
            "set_repl" => "ERR redis.set_repl can only be called inside a script invocation",
            _ => "ERR redis.acl_check_cmd can only be called inside a script invocation",
        };
        if raise {
            return Err(script_error(msg.as_bytes().to_vec()));
        }
        let t = lua.create_table()?;
        t.raw_set("err", msg)?;
        return Ok(Value::Table(t));
    };
    let (v, raised): (Value, bool) = if op == "call" {
        // The arguments travel as bytes beside the call, not on the Lua
        // stack: scripts pass up to ~8000 of them, and a second push of
        // them all for this hop would overflow Lua's C stack limit.
        let argv = match call_args(args) {
            Ok(a) => a,
            Err(msg) => {
                if raise {
                    return Err(script_error(error_text(msg.as_bytes())));
                }
                return Ok(Value::Table(error_table(lua, msg)?));
            }
        };
        lua.set_app_data(CallArgs(argv));
        f.call("call")?
    } else {
        let mut all = vec![Value::String(lua.create_string(op)?)];
        all.extend(args);
        f.call(MultiValue::from_vec(all))?
    };
    if raised && raise {
        return Err(script_error_from(&v));
    }
    Ok(v)
}

/// A redis.call's arguments, handed from api_dispatch to the run's callback.
struct CallArgs(Vec<Vec<u8>>);

/// scriptCall's argument checks and conversion.
fn call_args(args: MultiValue) -> Result<Vec<Vec<u8>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for v in args.iter() {
        match call_arg(v) {
            Some(b) => argv.push(b),
            None => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// The parts of the `redis` table that need no running script.
fn lua_static_api(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    redis.set(
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(script_error(b"ERR wrong number of arguments".to_vec()));
            }
            let s = lua_bytes(args.iter().next().unwrap()).unwrap_or_default();
            let hex = crate::sha1::to_hex(&crate::sha1::sha1(&s));
            Ok(Value::String(lua.create_string(hex)?))
        })?,
    )?;
    redis.set(
        "error_reply",
        lua.create_function(|lua, args: MultiValue| {
            let msg = match (args.len(), args.iter().next()) {
                (1, Some(Value::String(s))) => s.as_bytes().to_vec(),
                _ => return error_table(lua, "wrong number or type of arguments"),
            };
            let msg = if msg.first() == Some(&b'-') {
                msg
            } else {
                [b"-".as_slice(), &msg].concat()
            };
            error_table_bytes(lua, &msg)
        })?,
    )?;
    redis.set(
        "status_reply",
        lua.create_function(|lua, args: MultiValue| {
            let msg = match (args.len(), args.iter().next()) {
                (1, Some(Value::String(s))) => s.clone(),
                _ => return error_table(lua, "wrong number or type of arguments"),
            };
            let t = lua.create_table()?;
            t.raw_set("ok", msg)?;
            Ok(t)
        })?,
    )?;
    redis.set(
        "log",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() < 2 {
                return Ok(Value::Table(error_table(
                    lua,
                    "redis.log() requires two arguments or more.",
                )?));
            }
            let mut it = args.into_iter();
            let level = match it.next() {
                Some(Value::Integer(n)) => n as i64,
                Some(Value::Number(n)) => n as i64,
                _ => {
                    return Ok(Value::Table(error_table(
                        lua,
                        "First argument must be a number (log level).",
                    )?))
                }
            };
            if !(0..=3).contains(&level) {
                return Ok(Value::Table(error_table(lua, "Invalid debug level.")?));
            }
            let mut msg = Vec::new();
            for (i, v) in it.enumerate() {
                if i > 0 {
                    msg.push(b' ');
                }
                if let Some(b) = lua_bytes(&v) {
                    msg.extend_from_slice(&b);
                }
            }
            let text = String::from_utf8_lossy(&msg);
            match level {
                0 => log::debug!("{}", text),
                1 => log::info!("{}", text),
                2 => log::info!("{}", text),
                _ => log::warn!("{}", text),
            }
            Ok(Value::Nil)
        })?,
    )?;
    // The debugger is not built: outside it these are no-ops, as in Redis.
    redis.set(
        "breakpoint",
        lua.create_function(|_, _: MultiValue| Ok(false))?,
    )?;
    redis.set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    redis.set(
        "replicate_commands",
        lua.create_function(|_, _: MultiValue| Ok(true))?,
    )?;
    for (name, v) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        redis.set(name, v)?;
    }
    redis.set("REDIS_VERSION", crate::REDIS_VERSION)?;
    redis.set("REDIS_VERSION_NUM", 0x07000f)?;
    Ok(())
}

/// Lua strings and numbers as bytes (numbers as Lua prints them).
fn lua_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        Value::Number(n) => Some(crate::util::fmt_g(*n, 14).into_bytes()),
        _ => None,
    }
}

/// luaPushError: a "-CODE msg" text keeps its code, a plain one gets ERR; a
/// trailing newline is dropped.
fn error_table<'l>(lua: &'l Lua, msg: &str) -> mlua::Result<Table<'l>> {
    error_table_bytes(lua, msg.as_bytes())
}

fn error_table_bytes<'l>(lua: &'l Lua, msg: &[u8]) -> mlua::Result<Table<'l>> {
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(error_text(msg))?)?;
    Ok(t)
}

fn error_text(msg: &[u8]) -> Vec<u8> {
    let (code, text): (&[u8], &[u8]) = if msg.first() == Some(&b'-') {
        match msg.iter().position(|&b| b == b' ') {
            Some(sp) => (&msg[1..sp], &msg[sp + 1..]),
            None => (b"ERR", &msg[1..]),
        }
    } else {
        (b"ERR", msg)
    };
    let mut text = text;
    while let Some((&last, rest)) = text.split_last() {
        if last == b'\r' || last == b'\n' {
            text = rest;
        } else {
            break;
        }
    }
    let mut out = code.to_vec();
    out.push(b' ');
    out.extend_from_slice(text);
    out
}

impl Default for Scripting {
    fn default() -> Self {
        Scripting {
            lua: Some(new_lua()),
            scripts: HashMap::new(),
            scripts_mem: 0,
            client: None,
            functions: Default::default(),
            gc_count: 0,
            running: None,
        }
    }
}

impl Scripting {
    pub fn lua_memory(&self) -> usize {
        self.lua.as_ref().map(|l| l.used_memory()).unwrap_or(0)
    }

    /// SCRIPT FLUSH: a fresh Lua state, with the function libraries reloaded into it.
    pub fn reset_eval(&mut self) {
        self.scripts.clear();
        self.scripts_mem = 0;
        self.lua = Some(new_lua());
        self.functions.reload_all(self.lua.as_ref().unwrap());
    }

    pub fn lua(&self) -> &Lua {
        self.lua
            .as_ref()
            .expect("lua state present outside a script run")
    }
}

/// What one run needs besides the Lua state (Redis's scriptRunCtx).
pub struct RunCtx {
    /// Script or function name, for error messages ("f_<sha>" is not shown: the sha is).
    pub funcname: String,
    pub script_flags: u64,
    pub read_only: bool,
    pub allow_oom: bool,
    pub eval_mode: bool,
    /// A write command ran: later ones skip the OOM/disk checks.
    pub write_dirty: bool,
    /// FCALL's arguments (FUNCTION STATS shows them while it runs).
    pub command: Vec<Vec<u8>>,
    /// A read command ran: a tracking caller tracks the declared keys.
    pub read_cmd_ran: bool,
    /// Reply protocol the script asked for with redis.setresp.
    pub resp: u8,
    pub repl_flags: u8,
    /// OOM when the script started (server.pre_command_oom_state).
    pub oom_at_start: bool,
}

/// The pieces borrowed by the scoped Rust callback.
struct Run<'a> {
    srv: &'a mut Server,
    caller: &'a mut Client,
    fake: &'a mut Client,
    ctx: RunCtx,
}

/// Parses the scripts_flags of a shebang ("#!lua flags=...") or function flags.
pub fn parse_flag_name(name: &[u8]) -> Option<u64> {
    SCRIPT_FLAG_NAMES
        .iter()
        .find(|(_, n)| n.as_bytes() == name)
        .map(|(f, _)| *f)
}

impl Server {
    /// INFO memory's scripting lines. EVAL scripts and function libraries
    /// share one Lua state here (Redis keeps two): its memory is reported
    /// as the eval VM's, and the functions VM line counts nothing apart.
    pub fn scripting_memory_info(&self) -> String {
        use crate::server::info::bytes_to_human;
        let lua = self.scripting.lua_memory() as u64;
        let scripts = self.scripting.scripts_mem as u64;
        let f = &self.scripting.functions;
        let functions: u64 = f
            .libraries
            .values()
            .map(|l| {
                (l.name.len() + l.code.len()) as u64
                    + l.functions
                        .values()
                        .map(|x| (x.name.len() + x.desc.as_ref().map_or(0, |d| d.len())) as u64)
                        .sum::<u64>()
            })
            .sum();
        format!(
            "used_memory_lua:{lua}\r\n\
             used_memory_vm_eval:{lua}\r\n\
             used_memory_lua_human:{}\r\n\
             used_memory_scripts_eval:{scripts}\r\n\
             number_of_cached_scripts:{}\r\n\
             number_of_functions:{}\r\n\
             number_of_libraries:{}\r\n\
             used_memory_vm_functions:0\r\n\
             used_memory_vm_total:{lua}\r\n\
             used_memory_vm_total_human:{}\r\n\
             used_memory_functions:{functions}\r\n\
             used_memory_scripts:{}\r\n\
             used_memory_scripts_human:{}\r\n",
            bytes_to_human(lua),
            self.scripting.scripts.len(),
            f.index.len(),
            f.libraries.len(),
            bytes_to_human(lua),
            scripts + functions,
            bytes_to_human(scripts + functions),
        )
    }

    /// A script past busy-reply-threshold: other clients get -BUSY.
    pub fn script_timedout(&self) -> bool {
        self.scripting.running.as_ref().is_some_and(|r| r.timedout)
    }

    /// The -BUSY reply for the kind of script running.
    pub fn script_busy_error(&self) -> &'static str {
        match &self.scripting.running {
            Some(r) if !r.eval_mode => BUSY_FUNCTION_ERR,
            _ => BUSY_EVAL_ERR,
        }
    }

    /// scriptInterrupt, from the count hook: past the threshold, serve other
    /// clients for a turn. Returns whether the script was killed.
    fn script_interrupt(&mut self) -> bool {
        let threshold = self.config.get_i64("busy-reply-threshold");
        let Some(r) = self.scripting.running.as_mut() else {
            return false;
        };
        if !r.timedout {
            let elapsed = r.elapsed_ms();
            if threshold <= 0 || elapsed < threshold {
                return false;
            }
            log::warn!(
                "Slow script detected: still in execution after {} milliseconds. You can try killing the script using the {} command. Script name is: {}.",
                elapsed,
                if r.eval_mode { "SCRIPT KILL" } else { "FUNCTION KILL" },
                r.funcname
            );
            r.timedout = true;
            self.read_all_clients();
        }
        // The caller is out of the client table meanwhile, so nothing reads
        // from it or frees it (Redis's protectClient).
        self.process_events_while_blocked();
        self.scripting.running.as_ref().is_some_and(|r| r.killed)
    }

    /// After a timed-out script: the caller's readable edges that came while
    /// it was out of the table were dropped, so ask for a fresh one.
    fn script_timedout_end(&mut self, caller: &mut Client) {
        if let (Some(reg), Some(s)) = (&self.registry, caller.stream.as_mut()) {
            let interest = if caller.flags.has(ClientFlags::WRITE_INTEREST) {
                mio::Interest::READABLE | mio::Interest::WRITABLE
            } else {
                mio::Interest::READABLE
            };
            let _ = reg.reregister(s.source(), mio::Token(caller.token), interest);
        }
    }

    /// SCRIPT KILL (`is_eval`) and FUNCTION KILL (scriptKill).
    pub fn script_kill(&mut self, c: &mut Client, is_eval: bool) {
        let Some(r) = self.scripting.running.as_mut() else {
            c.add_error("-NOTBUSY No scripts in execution right now.");
            return;
        };
        if r.caller_must_obey {
            c.add_error("-UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.");
            return;
        }
        if r.write_dirty {
            c.add_error("-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
            return;
        }
        if is_eval && !r.eval_mode {
            c.add_error(BUSY_FUNCTION_ERR);
            return;
        }
        if !is_eval && r.eval_mode {
            c.add_error(BUSY_EVAL_ERR);
            return;
        }
        r.killed = true;
        c.add_ok();
    }

    /// Runs `func` (a registry name) of the scripting Lua state with KEYS/ARGV
    /// (EVAL) or as fn(keys, args) (FCALL), replying to `caller`.
    pub fn run_script(
        &mut self,
        caller: &mut Client,
        registry_name: &str,
        keys: Vec<Vec<u8>>,
        args: Vec<Vec<u8>>,
        mut ctx: RunCtx,
    ) -> bool {
        let lua = self
            .scripting
            .lua
            .take()
            .expect("no script runs inside a script");
        let mut fake = self
            .scripting
            .client
            .take()
            .unwrap_or_else(|| Box::new(Client::fake(0)));
        fake.db = caller.db;
        fake.resp = 2;
        fake.user_id = caller.user_id;
        fake.user = caller.user.clone();
        if caller.flags.has(ClientFlags::ACL_CHECK) {
            fake.flags.set(ClientFlags::ACL_CHECK);
        } else {
            fake.flags.clear(ClientFlags::ACL_CHECK);
        }
        if caller.flags.has(ClientFlags::MULTI) {
            fake.flags.set(ClientFlags::MULTI);
        }
        fake.flags
            .set(ClientFlags::SCRIPT | ClientFlags::DENY_BLOCKING);
        let eval_mode = ctx.eval_mode;
        self.scripting.running = Some(RunState {
            funcname: ctx.funcname.clone(),
            eval_mode,
            command: std::mem::take(&mut ctx.command),
            start_ms: monotonic_ms(),
            timedout: false,
            killed: false,
            write_dirty: false,
            caller_must_obey: caller.flags.has(ClientFlags::MASTER)
                || caller.id == crate::aof::AOF_CLIENT_ID,
        });
        let mut run = Run {
            srv: self,
            caller,
            fake: &mut fake,
            ctx,
        };
        let outcome = execute(&lua, &mut run, registry_name, keys, args, eval_mode);
        let Run {
            srv,
            caller,
            fake,
            ctx,
        } = run;
        match outcome {
            Ok(()) => {}
            Err(e) => caller.add_error(&format!(
                "Error running script {}, {:.100}\n",
                ctx.funcname,
                e.to_string()
            )),
        }
        fake.flags.clear(ClientFlags::MULTI);
        let state = srv.scripting.running.take().expect("run state");
        if state.killed {
            // The kill switched the hook to every line.
            install_count_hook(&lua);
        }
        if state.timedout {
            srv.script_timedout_end(caller);
        }
        srv.scripting.gc_count += 1;
        if srv.scripting.gc_count == 50 {
            let _ = lua.gc_step_kbytes(50);
            srv.scripting.gc_count = 0;
        }
        let fake_box = std::mem::replace(fake, Client::fake(0));
        srv.scripting.client = Some(Box::new(fake_box));
        srv.scripting.lua = Some(lua);
        ctx.read_cmd_ran
    }

    /// After an EVAL/FCALL whose script ran a read command: a tracking
    /// caller tracks the keys the command declared.
    pub fn script_track_keys(&mut self, caller: &mut Client, argv: &Argv) {
        if !self.tracking.in_use {
            return;
        }
        if let Some(id) = self.commands.lookup_argv(argv) {
            self.tracking_remember_script_keys(caller, id, argv);
        }
    }
}

/// The Lua side of a run: bind the callback, call through the error handler,
/// convert the result or error into the caller's reply.
fn execute(
    lua: &Lua,
    run: &mut Run,
    registry_name: &str,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
    eval_mode: bool,
) -> mlua::Result<()> {
    let ctx: Table = lua.named_registry_value("redis_ctx")?;
    let func: Function = lua.named_registry_value(registry_name)?;
    let keys_t = lua.create_sequence_from(keys.iter().map(|k| lua.create_string(k).unwrap()))?;
    let args_t = lua.create_sequence_from(args.iter().map(|k| lua.create_string(k).unwrap()))?;
    if eval_mode {
        let globals: Table = ctx.get("globals")?;
        globals.raw_set("KEYS", keys_t.clone())?;
        globals.raw_set("ARGV", args_t.clone())?;
    }
    let handler: Function = lua.named_registry_value("err_handler").or_else(|_| {
        let f = lua.create_function(error_handler)?;
        lua.set_named_registry_value("err_handler", f.clone())?;
        Ok::<_, mlua::Error>(f)
    })?;
    let xpcall: Function = lua.named_registry_value("xpcall_runner").or_else(|_| {
        let f: Function = lua
            .load(
                "local xpcall = xpcall
                 return function(f, h, eval, k, a)
                   if eval then return xpcall(f, h) end
                   return xpcall(function() return f(k, a) end, h)
                 end",
            )
            .set_name("=runner")
            .call(())?;
        lua.set_named_registry_value("xpcall_runner", f.clone())?;
        Ok::<_, mlua::Error>(f)
    })?;
    let (ok, result) = lua.scope(|scope| {
        let cb = scope.create_function_mut(|lua, args: MultiValue| rust_op(lua, run, args))?;
        ctx.raw_set("rust", cb)?;
        let debugging = ldb::attach(lua);
        let r: mlua::Result<MultiValue> = xpcall.call((func, handler, eval_mode, keys_t, args_t));
        if debugging {
            // The debugger's hook stood in for the busy-script one.
            install_count_hook(lua);
        }
        ctx.raw_set("rust", Value::Nil)?;
        let mut it = r?.into_iter();
        let ok = matches!(it.next(), Some(Value::Boolean(true)));
        let res = it.next().unwrap_or(Value::Nil);
        Ok((ok, res))
    })?;
    let script_resp = run.ctx.resp;
    if ok {
        lua_to_reply(run.caller, &result, script_resp, 0);
    } else {
        reply_script_error(run.caller, &run.ctx.funcname, &result);
    }
    Ok(())
}

/// The error handler scripts run under (Redis's __redis__err__handler): a
/// plain error becomes {err='ERR ...'}; the raising frame's source and line
/// are added for the final message.
fn error_handler<'l>(lua: &'l Lua, err: Value<'l>) -> mlua::Result<Value<'l>> {
    let t = match err {
        Value::Table(t) => t,
        Value::Error(ref e) if find_script_error(e).is_some() => {
            let se = find_script_error(e).unwrap();
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string(&se.0)?)?;
            if se.1 {
                t.raw_set("ignore_error_stats_update", true)?;
            }
            t
        }
        other => {
            let text = match &other {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Error(e) => match e {
                    mlua::Error::CallbackError { cause, .. } => match &**cause {
                        mlua::Error::RuntimeError(m) => m.clone().into_bytes(),
                        c => c.to_string().into_bytes(),
                    },
                    e => e.to_string().into_bytes(),
                },
                v => lua_bytes(v).unwrap_or_else(|| format!("{:?}", v.type_name()).into_bytes()),
            };
            let t = lua.create_table()?;
            t.raw_set(
                "err",
                lua.create_string([b"ERR ".as_slice(), &text].concat())?,
            )?;
            t
        }
    };
    // The first frame of user code: C functions and our own chunks
    // (names starting with '=') are skipped.
    let mut level = 1;
    while let Some(d) = lua.inspect_stack(level) {
        let src = d.source();
        let name = src.source.as_deref().unwrap_or("").to_string();
        if src.what != "C" && !name.starts_with('=') {
            if t.raw_get::<_, Value>("source")?.is_nil() {
                t.raw_set("source", name)?;
                t.raw_set("line", d.curr_line())?;
            }
            break;
        }
        level += 1;
    }
    Ok(Value::Table(t))
}

/// luaCallFunction's error reply: "-<err> script: <name>, on <source>:<line>."
fn reply_script_error(c: &mut Client, funcname: &str, err: &Value) {
    let Value::Table(t) = err else {
        c.add_error(&format!(
            "Error running script {}, execution failure\n",
            funcname
        ));
        return;
    };
    let msg = t
        .raw_get::<_, Value>("err")
        .ok()
        .and_then(|v| lua_bytes(&v))
        .unwrap_or_default();
    let mut out = String::from("-");
    out.push_str(&String::from_utf8_lossy(&msg));
    let source = t.raw_get::<_, Option<String>>("source").ok().flatten();
    let line = t.raw_get::<_, Option<i64>>("line").ok().flatten();
    if let (Some(source), Some(line)) = (source, line) {
        out.push_str(&format!(" script: {}, on {}:{}.", funcname, source, line));
    }
    let text = out.replace(['\r', '\n'], " ");
    if already_counted(t) {
        c.add_error_no_stats(&text);
    } else {
        c.add_error(&text);
    }
}

/// The scoped callback: `redis.call`/`pcall` and the API functions that need
/// the running script. Returns (value, raised): `raised` makes the Lua
/// wrapper raise the value as the error.
fn rust_op<'l>(
    lua: &'l Lua,
    run: &mut Run,
    args: MultiValue<'l>,
) -> mlua::Result<(Value<'l>, bool)> {
    let mut it = args.into_iter();
    let op = match it.next() {
        Some(Value::String(s)) => s.to_str()?.to_string(),
        _ => return Ok((Value::Nil, false)),
    };
    let rest: Vec<Value> = it.collect();
    match op.as_str() {
        "call" => {
            let argv = lua
                .remove_app_data::<CallArgs>()
                .map(|a| a.0)
                .unwrap_or_default();
            script_call(lua, run, argv)
        }
        "interrupt" => Ok((Value::Boolean(run.srv.script_interrupt()), false)),
        "setresp" => {
            if rest.len() != 1 {
                return err(lua, "redis.setresp() requires one argument.");
            }
            let v = match &rest[0] {
                Value::Integer(n) => *n as i64,
                Value::Number(n) => *n as i64,
                _ => 0,
            };
            if v != 2 && v != 3 {
                return err(lua, "RESP version must be 2 or 3.");
            }
            run.ctx.resp = v as u8;
            run.fake.resp = v as u8;
            Ok((Value::Nil, false))
        }
        "set_repl" => {
            if rest.len() != 1 {
                return err(lua, "redis.set_repl() requires two arguments.");
            }
            let v = match &rest[0] {
                Value::Integer(n) => *n as i64,
                Value::Number(n) => *n as i64,
                _ => -1,
            };
            if !(0..=3).contains(&v) {
                return err(
                    lua,
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            run.ctx.repl_flags = v as u8;
            Ok((Value::Nil, false))
        }
        "acl_check_cmd" => {
            if rest.is_empty() {
                return err(
                    lua,
                    "Please specify at least one argument for this redis lib call",
                );
            }
            let mut argv = Vec::new();
            for v in &rest {
                match call_arg(v) {
                    Some(b) => argv.push(b),
                    None => {
                        return err(
                            lua,
                            "Lua redis lib command arguments must be strings or integers",
                        )
                    }
                }
            }
            let owned = OwnedArgv::from_slices(&argv);
            let view = owned.view();
            let Some(id) = run.srv.commands.lookup_argv(&view) else {
                return err(lua, "Invalid command passed to redis.acl_check_cmd()");
            };
            let allowed = crate::acl::command_allowed_for(run.srv, run.caller.user_id, id, &view);
            Ok((Value::Boolean(allowed), false))
        }
        _ => Ok((Value::Nil, false)),
    }
}

fn err<'l>(lua: &'l Lua, msg: &str) -> mlua::Result<(Value<'l>, bool)> {
    ldb::log_error(msg.as_bytes());
    Ok((Value::Table(error_table(lua, msg)?), true))
}

/// A command argument from Lua: strings as they are, numbers as %.17g.
fn call_arg(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        Value::Number(n) => Some(crate::util::fmt_f64_g17(*n).into_bytes()),
        _ => None,
    }
}

/// redis.call / redis.pcall: scriptCall's checks, then call() on the fake client.
fn script_call<'l>(
    lua: &'l Lua,
    run: &mut Run,
    argv: Vec<Vec<u8>>,
) -> mlua::Result<(Value<'l>, bool)> {
    ldb::log_command(&argv);
    let owned = OwnedArgv::from_slices(&argv);
    let view = owned.view();
    let srv = &mut *run.srv;
    let fake = &mut *run.fake;
    let reject = |srv: &mut Server, fake: &mut Client, id: Option<usize>, msg: &str| {
        ldb::log_error(msg.as_bytes());
        if let Some(id) = id {
            srv.commands.cmds[id].stats.rejected_calls += 1;
        }
        // The error counts in errorstats once, here (afterErrorReply).
        let text = error_text(msg.as_bytes());
        let code = text.split(|&b| b == b' ').next().unwrap_or(b"ERR");
        fake.error_codes
            .push(String::from_utf8_lossy(code).into_owned());
        srv.drain_error_codes(fake);
        let t = lua.create_table()?;
        t.raw_set("err", lua.create_string(&text)?)?;
        t.raw_set("ignore_error_stats_update", true)?;
        Ok::<_, mlua::Error>((Value::Table(t), true))
    };
    let id = match srv.commands.lookup_argv(&view) {
        Some(id) => id,
        None => return reject(srv, fake, None, "Unknown Redis command called from script"),
    };
    let cmd = &srv.commands.cmds[id];
    let arity = cmd.spec.arity;
    let argc = view.len() as i32;
    if cmd.spec.handler.is_none() || (arity > 0 && argc != arity) || argc < -arity {
        return reject(
            srv,
            fake,
            None,
            "Wrong number of args calling Redis command from script",
        );
    }
    let cmd_flags = cmd.flags;
    if cmd_flags & flags::NOSCRIPT != 0 && !srv.script_disable_deny_script {
        return reject(
            srv,
            fake,
            Some(id),
            "This Redis command is not allowed from script",
        );
    }
    if cmd_flags & flags::STALE == 0 && srv.script_running_stale() {
        return reject(
            srv,
            fake,
            Some(id),
            "Can not execute the command on a stale replica",
        );
    }
    if let Some(reason) = crate::acl::script_denial(srv, fake, id, &view) {
        return reject(
            srv,
            fake,
            Some(id),
            &format!("The user executing the script {}", reason),
        );
    }
    if run.ctx.read_only && cmd_flags & (flags::WRITE | flags::MAY_REPLICATE) != 0 {
        return reject(
            srv,
            fake,
            Some(id),
            "Write commands are not allowed from read-only scripts.",
        );
    }
    if cmd_flags & flags::WRITE != 0 && !run.ctx.write_dirty {
        let obey =
            run.caller.flags.has(ClientFlags::MASTER) || run.caller.id == crate::aof::AOF_CLIENT_ID;
        if srv.is_replica() && srv.config.get_bool("replica-read-only") && !obey {
            return reject(
                srv,
                fake,
                Some(id),
                "-READONLY You can't write against a read only replica.",
            );
        }
        if let Some(e) = srv.rdb_disk_error() {
            let e = e.to_string();
            return reject(srv, fake, Some(id), &e);
        }
        if srv.aof.state != crate::aof::AofState::Off {
            if let Some(e) = srv.aof_write_error() {
                return reject(srv, fake, Some(id), &e);
            }
        }
        if !srv.enough_good_replicas() {
            return reject(
                srv,
                fake,
                Some(id),
                "-NOREPLICAS Not enough good replicas to write.",
            );
        }
    }
    if !run.ctx.allow_oom
        && srv.config.maxmemory != 0
        && !run.ctx.write_dirty
        && run.ctx.oom_at_start
        && cmd_flags & flags::DENYOOM != 0
    {
        return reject(
            srv,
            fake,
            Some(id),
            "-OOM command not allowed when used memory > 'maxmemory'.",
        );
    }
    if cmd_flags & flags::READONLY != 0 {
        run.ctx.read_cmd_ran = true;
    }
    if cmd_flags & flags::WRITE != 0 {
        run.ctx.write_dirty = true;
        if let Some(r) = srv.scripting.running.as_mut() {
            r.write_dirty = true;
        }
    }
    if srv.config.cluster_enabled {
        // scriptVerifyClusterState: the script's keys must be served here, in one slot.
        let cross = run.ctx.script_flags & (SF_ALLOW_CROSS_SLOT | SF_EVAL_COMPAT) != 0;
        if let Err(e) = srv.cluster_check_script_call(run.caller, id, &view, cross) {
            return reject(srv, fake, Some(id), &e);
        }
    }
    fake.reply.clear();
    fake.sent = 0;
    // redis.set_repl: the command's effects go only where the script said
    // (REPL_AOF = 1, REPL_REPLICA = 2, the propagation targets' bits).
    let pending_before = srv.prop.pending.len();
    srv.call(fake, id, &view);
    let repl = run.ctx.repl_flags & crate::server::propagate::TO_ALL;
    if repl != crate::server::propagate::TO_ALL {
        let mut i = pending_before;
        while i < srv.prop.pending.len() {
            if repl == 0 {
                srv.prop.pending.truncate(pending_before);
                break;
            }
            srv.prop.pending[i].target = repl;
            i += 1;
        }
    }
    let reply = fake.take_reply();
    let mut p = 0;
    let v = resp_to_lua(lua, &reply, &mut p)?;
    ldb::log_reply(&reply);
    let raised = reply.first() == Some(&b'-');
    Ok((v, raised))
}

/// redisProtocolToLuaType: a command's reply, parsed back into Lua values.
fn resp_to_lua<'l>(lua: &'l Lua, b: &[u8], p: &mut usize) -> mlua::Result<Value<'l>> {
    let line_end = |p: usize| -> usize {
        b[p..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|i| p + i)
            .unwrap_or(b.len())
    };
    if *p >= b.len() {
        return Ok(Value::Nil);
    }
    let kind = b[*p];
    let end = line_end(*p);
    let line = &b[*p + 1..end];
    *p = (end + 2).min(b.len());
    let num = || crate::util::parse_i64(line).unwrap_or(0);
    Ok(match kind {
        b':' => Value::Integer(num() as _),
        b'$' => {
            let n = num();
            if n < 0 {
                Value::Boolean(false)
            } else {
                let n = n as usize;
                let s = lua.create_string(&b[*p..*p + n])?;
                *p += n + 2;
                Value::String(s)
            }
        }
        b'+' => {
            let t = lua.create_table()?;
            t.raw_set("ok", lua.create_string(line)?)?;
            Value::Table(t)
        }
        b'-' => {
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string(line)?)?;
            // The command's own reply counted it in errorstats already.
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        b'*' => {
            let n = num();
            if n < 0 {
                Value::Boolean(false)
            } else {
                let t = lua.create_table()?;
                for i in 0..n {
                    let v = resp_to_lua(lua, b, p)?;
                    t.raw_set(i + 1, v)?;
                }
                Value::Table(t)
            }
        }
        b'%' => {
            let n = num();
            let m = lua.create_table()?;
            for _ in 0..n {
                let k = resp_to_lua(lua, b, p)?;
                let v = resp_to_lua(lua, b, p)?;
                m.raw_set(k, v)?;
            }
            let t = lua.create_table()?;
            t.raw_set("map", m)?;
            Value::Table(t)
        }
        b'~' => {
            let n = num();
            let m = lua.create_table()?;
            for _ in 0..n {
                let k = resp_to_lua(lua, b, p)?;
                m.raw_set(k, true)?;
            }
            let t = lua.create_table()?;
            t.raw_set("set", m)?;
            Value::Table(t)
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(line == b"t"),
        b',' => {
            let t = lua.create_table()?;
            let d = crate::util::parse_f64(line)
                .or_else(|| std::str::from_utf8(line).ok().and_then(|s| s.parse().ok()))
                .unwrap_or(0.0);
            t.raw_set("double", d)?;
            Value::Table(t)
        }
        b'(' => {
            let t = lua.create_table()?;
            t.raw_set("big_number", lua.create_string(line)?)?;
            Value::Table(t)
        }
        b'=' => {
            let n = num() as usize;
            let body = &b[*p..*p + n];
            *p += n + 2;
            let v = lua.create_table()?;
            v.raw_set("format", lua.create_string(&body[..3.min(body.len())])?)?;
            v.raw_set("string", lua.create_string(body.get(4..).unwrap_or(&[]))?)?;
            let t = lua.create_table()?;
            t.raw_set("verbatim_string", v)?;
            Value::Table(t)
        }
        b'|' => {
            // Attributes are skipped: the value after them is the reply.
            let n = num();
            for _ in 0..n * 2 {
                resp_to_lua(lua, b, p)?;
            }
            resp_to_lua(lua, b, p)?
        }
        b'>' => {
            let n = num();
            let t = lua.create_table()?;
            for i in 0..n {
                let v = resp_to_lua(lua, b, p)?;
                t.raw_set(i + 1, v)?;
            }
            Value::Table(t)
        }
        _ => Value::Nil,
    })
}

/// luaReplyToRedisReply: the script's return value as the caller's reply.
/// `script_resp` is the protocol the script selected (booleans depend on it).
pub fn lua_to_reply(c: &mut Client, v: &Value, script_resp: u8, depth: usize) {
    if depth > 1000 {
        c.add_error("reached lua stack limit");
        return;
    }
    match v {
        Value::String(s) => c.add_bulk(s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp == 2 {
                if *b {
                    c.add_int(1);
                } else {
                    c.add_null();
                }
            } else {
                c.add_bool(*b);
            }
        }
        Value::Integer(n) => c.add_int(*n as i64),
        Value::Number(n) => c.add_int(*n as i64),
        Value::Table(t) => {
            if let Ok(Value::String(e)) = t.raw_get::<_, Value>("err") {
                let mut msg = b"-".to_vec();
                msg.extend_from_slice(e.as_bytes());
                let s = String::from_utf8_lossy(&msg).replace(['\r', '\n'], " ");
                if already_counted(t) {
                    c.add_error_no_stats(&s);
                } else {
                    c.add_error(&s);
                }
                return;
            }
            if let Ok(Value::String(s)) = t.raw_get::<_, Value>("ok") {
                let s = s
                    .as_bytes()
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                    .collect::<Vec<_>>();
                c.add_status_bytes(&s);
                return;
            }
            if let Ok(Value::Number(d)) = t.raw_get::<_, Value>("double") {
                c.add_double(d);
                return;
            }
            if let Ok(Value::Integer(d)) = t.raw_get::<_, Value>("double") {
                c.add_double(d as f64);
                return;
            }
            if let Ok(Value::String(s)) = t.raw_get::<_, Value>("big_number") {
                let s: Vec<u8> = s
                    .as_bytes()
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                    .collect();
                c.add_bignum(&s);
                return;
            }
            if let Ok(Value::Table(m)) = t.raw_get::<_, Value>("map") {
                let d = c.defer_len();
                let mut n = 0;
                for (k, v) in m.clone().pairs::<Value, Value>().flatten() {
                    lua_to_reply(c, &k, script_resp, depth + 1);
                    lua_to_reply(c, &v, script_resp, depth + 1);
                    n += 1;
                }
                c.set_deferred_map_len(d, n);
                return;
            }
            if let Ok(Value::Table(m)) = t.raw_get::<_, Value>("set") {
                let d = c.defer_len();
                let mut n = 0;
                for (k, _) in m.clone().pairs::<Value, Value>().flatten() {
                    lua_to_reply(c, &k, script_resp, depth + 1);
                    n += 1;
                }
                c.set_deferred_set_len(d, n);
                return;
            }
            if let Ok(Value::Table(vt)) = t.raw_get::<_, Value>("verbatim_string") {
                let fmt = vt
                    .raw_get::<_, Option<mlua::String>>("format")
                    .ok()
                    .flatten();
                let s = vt
                    .raw_get::<_, Option<mlua::String>>("string")
                    .ok()
                    .flatten();
                if let (Some(fmt), Some(s)) = (fmt, s) {
                    if fmt.as_bytes().len() == 3 {
                        c.add_verbatim(s.as_bytes(), &String::from_utf8_lossy(fmt.as_bytes()));
                        return;
                    }
                }
            }
            // An array: elements 1..n up to the first nil.
            let d = c.defer_len();
            let mut n = 0usize;
            loop {
                let v: Value = t.raw_get(n + 1).unwrap_or(Value::Nil);
                if v.is_nil() {
                    break;
                }
                lua_to_reply(c, &v, script_resp, depth + 1);
                n += 1;
            }
            c.set_deferred_array_len(d, n);
        }
        _ => c.add_null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_codes() {
        assert_eq!(error_text(b"-WRONGTYPE bad\r\n"), b"WRONGTYPE bad".to_vec());
        assert_eq!(error_text(b"plain"), b"ERR plain".to_vec());
        assert_eq!(error_text(b"-NOSPACE"), b"ERR NOSPACE".to_vec());
    }

    #[test]
    fn sandbox_readonly_and_globals() {
        let lua = new_lua();
        let e = lua.load("redis.call = 1").exec().unwrap_err().to_string();
        assert!(e.contains("Attempt to modify a readonly table"), "{}", e);
        let e = lua
            .load("local x = undefined_var")
            .exec()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Script attempted to access nonexistent global variable 'undefined_var'"),
            "{}",
            e
        );
        let e = lua
            .load("setmetatable(_G, {})")
            .exec()
            .unwrap_err()
            .to_string();
        assert!(e.contains("Attempt to modify a readonly table"), "{}", e);
        let s: String = lua
            .load("return string.upper('ab') .. ('cd'):upper()")
            .eval()
            .unwrap();
        assert_eq!(s, "ABCD");
    }
}

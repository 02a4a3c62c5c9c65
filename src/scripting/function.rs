//! Redis 7 functions (Redis's functions.c and function_lua.c): libraries of
//! Lua functions loaded with FUNCTION LOAD, registered through
//! `redis.register_function`, called with FCALL/FCALL_RO, listed, deleted,
//! dumped and restored (the payload is the RDB function records plus the DUMP
//! footer), and saved in RDB files as RDB_OPCODE_FUNCTION2 records
//! (`save_functions` / `rdb_load_function`, called by the RDB code).

use std::collections::BTreeMap;

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::{error_table, parse_flag_name, RunCtx, SCRIPT_FLAG_NAMES, SF_ALLOW_OOM, SF_NO_WRITES};
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use crate::util::eq_ic;

pub struct FunctionInfo {
    pub name: String,
    pub desc: Option<Vec<u8>>,
    pub flags: u64,
    /// The callback's Lua registry name.
    registry: String,
}

pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: BTreeMap<String, FunctionInfo>,
}

#[derive(Default)]
pub struct Functions {
    pub libraries: BTreeMap<String, Library>,
    /// Function name → library name.
    pub index: BTreeMap<String, String>,
    /// Names handed out for registry slots (unique per loaded callback).
    next_slot: u64,
}

/// functionExtractLibMetaData: (engine, name, code after the shebang line).
fn extract_metadata(payload: &[u8]) -> Result<(String, String, usize), String> {
    if !payload.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = payload.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    // sdssplitargs, as Redis: name="foo" is the name foo.
    let parts: Vec<String> = match crate::config::parse::split_args(&payload[..end]) {
        Some(p) if !p.is_empty() => p
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = parts[0][2..].to_string();
    let mut name = None;
    for p in &parts[1..] {
        if p.len() >= 5 && p.as_bytes()[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(p[5..].to_string());
            continue;
        }
        return Err(format!("Invalid metadata value given: {}", p));
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    Ok((engine, name, end))
}

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Functions {
    /// Compiles a library into `lua` and runs its registrations.
    fn create(&mut self, lua: &Lua, code: &[u8], replace: bool) -> Result<String, String> {
        let (engine, name, shebang_end) = extract_metadata(code)?;
        if !valid_name(&name) {
            return Err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
        }
        if !engine.eq_ignore_ascii_case("lua") {
            return Err(format!("Engine '{}' not found", engine));
        }
        // Library and function names are case-insensitive, as Redis's dicts.
        let key = name.to_ascii_lowercase();
        if self.libraries.contains_key(&key) && !replace {
            return Err(format!("Library '{}' already exists", name));
        }
        let registered = self.compile(lua, &code[shebang_end..])?;
        if registered.is_empty() {
            return Err("No functions registered".into());
        }
        for f in &registered {
            if let Some(lib) = self.index.get(&f.name.to_ascii_lowercase()) {
                if *lib != key {
                    return Err(format!("Function {} already exists", f.name));
                }
            }
        }
        self.remove_library(lua, &key);
        let mut lib = Library {
            name: name.clone(),
            code: code.to_vec(),
            functions: BTreeMap::new(),
        };
        for f in registered {
            let fkey = f.name.to_ascii_lowercase();
            self.index.insert(fkey.clone(), key.clone());
            lib.functions.insert(fkey, f);
        }
        self.libraries.insert(key, lib);
        Ok(name)
    }

    /// Runs the library body with load-time globals (only `redis` with
    /// register_function, log and the version) and collects its functions.
    fn compile(&mut self, lua: &Lua, body: &[u8]) -> Result<Vec<FunctionInfo>, String> {
        let chunk = lua
            .load(body)
            .set_name("@user_function")
            .into_function()
            .map_err(|e| {
                let m = match &e {
                    mlua::Error::SyntaxError { message, .. } => message.clone(),
                    o => o.to_string(),
                };
                format!("Error compiling function: {}", m)
            })?;
        let setup = || -> mlua::Result<(Table, Value, Table)> {
            let ctx: Table = lua.named_registry_value("redis_ctx")?;
            let gmt: Table = ctx.get("global_mt")?;
            let normal: Value = gmt.raw_get("__index")?;
            let api = load_api(lua)?;
            Ok((gmt, normal, api))
        };
        let (gmt, normal, api) = setup().map_err(|e| e.to_string())?;
        let mut found: Vec<FunctionInfo> = Vec::new();
        let mut err_text: Option<String> = None;
        let slot_base = &mut self.next_slot;
        let res = lua.scope(|scope| {
            let ctx: Table = lua.named_registry_value("redis_ctx")?;
            let reg = scope.create_function_mut(|lua, args: MultiValue| {
                match read_register_args(lua, args) {
                    Ok((name, desc, flags, cb)) => {
                        if !valid_name(&name) {
                            // Redis 7.0 words this one as for library names.
                            return Ok((Value::Table(error_table(lua, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")?), true));
                        }
                        if found.iter().any(|f| f.name.eq_ignore_ascii_case(&name)) {
                            return Ok((Value::Table(error_table(lua, "Function already exists in the library")?), true));
                        }
                        *slot_base += 1;
                        let registry = format!("fn_{}", slot_base);
                        lua.set_named_registry_value(&registry, cb)?;
                        found.push(FunctionInfo {
                            name,
                            desc,
                            flags,
                            registry,
                        });
                        Ok((Value::Nil, false))
                    }
                    Err(msg) => Ok((Value::Table(error_table(lua, &msg)?), true)),
                }
            })?;
            ctx.raw_set("register", reg)?;
            let handler = lua.create_function(super::error_handler)?;
            let xpcall: Function = lua.globals().get("xpcall")?;
            gmt.raw_set("__index", api.clone())?;
            let r: MultiValue = xpcall.call((chunk, handler))?;
            gmt.raw_set("__index", normal.clone())?;
            ctx.raw_set("register", Value::Nil)?;
            let mut it = r.into_iter();
            if !matches!(it.next(), Some(Value::Boolean(true))) {
                let e = it.next().unwrap_or(Value::Nil);
                let msg = match &e {
                    Value::Table(t) => t
                        .raw_get::<_, Option<mlua::String>>("err")?
                        .map(|s| String::from_utf8_lossy(s.as_bytes()).into_owned())
                        .unwrap_or_default(),
                    other => format!("{:?}", other),
                };
                err_text = Some(format!("Error registering functions: {}", msg));
            }
            Ok(())
        });
        if let Err(e) = res {
            let _ = gmt.raw_set("__index", normal);
            return Err(format!("Error registering functions: {}", e));
        }
        if let Some(e) = err_text {
            return Err(e);
        }
        Ok(found)
    }

    /// A function's flags, by its (case-insensitive) name.
    pub fn flags_of(&self, name: &[u8]) -> Option<u64> {
        let key = String::from_utf8_lossy(name).to_ascii_lowercase();
        let lib = self.index.get(&key)?;
        Some(self.libraries[lib].functions[&key].flags)
    }

    fn remove_library(&mut self, lua: &Lua, name: &str) -> bool {
        let Some(lib) = self.libraries.remove(&name.to_ascii_lowercase()) else {
            return false;
        };
        for (fname, f) in lib.functions {
            self.index.remove(&fname);
            let _ = lua.unset_named_registry_value(&f.registry);
        }
        true
    }

    fn flush(&mut self, lua: &Lua) {
        let names: Vec<String> = self.libraries.keys().cloned().collect();
        for n in names {
            self.remove_library(lua, &n);
        }
    }

    /// After SCRIPT FLUSH replaced the Lua state: compile every library again.
    pub fn reload_all(&mut self, lua: &Lua) {
        let codes: Vec<Vec<u8>> = self.libraries.values().map(|l| l.code.clone()).collect();
        self.libraries.clear();
        self.index.clear();
        for code in codes {
            if let Err(e) = self.create(lua, &code, false) {
                log::warn!("Failed reloading a function library: {}", e);
            }
        }
    }
}

/// The load-time globals (LIBRARY_API in function_lua.c), built once.
fn load_api(lua: &Lua) -> mlua::Result<Table> {
    if let Ok(t) = lua.named_registry_value::<Table>("library_api") {
        return Ok(t);
    }
    let api = lua.create_table()?;
    let redis = lua.create_table()?;
    let full: Table = lua.globals().get("redis")?;
    for k in [
        "log",
        "LOG_DEBUG",
        "LOG_VERBOSE",
        "LOG_NOTICE",
        "LOG_WARNING",
        "REDIS_VERSION",
        "REDIS_VERSION_NUM",
    ] {
        redis.raw_set(k, full.get::<_, Value>(k)?)?;
    }
    redis.raw_set(
        "register_function",
        lua.named_registry_value::<Value>("register_function")?,
    )?;
    api.raw_set("redis", redis)?;
    let protect: Function = lua
        .load(
            "local api = ...
             local error, tostring, next, rawset, setmetatable = error, tostring, next, rawset, setmetatable
             local function miss(_, k) error(\"Script attempted to access nonexistent global variable '\" .. tostring(k) .. \"'\", 2) end
             local r = api.redis
             local rb = {}
             for k, v in next, r do rb[k] = v end
             for k in next, rb do rawset(r, k, nil) end
             setmetatable(rb, {__index = miss})
             setmetatable(r, {__index = rb, __newindex = function() error('Attempt to modify a readonly table', 2) end, __metatable = false})
             setmetatable(api, {__index = miss})
             return api",
        )
        .set_name("=library_api")
        .into_function()?;
    let api: Table = protect.call(api)?;
    lua.set_named_registry_value("library_api", api.clone())?;
    Ok(api)
}

type Registration<'l> = (String, Option<Vec<u8>>, u64, Function<'l>);

fn lua_str(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        Value::Number(n) => Some(crate::util::fmt_g(*n, 14).into_bytes()),
        _ => None,
    }
}

/// luaRegisterFunctionReadArgs: positional (name, callback) or one named table.
fn read_register_args<'l>(_lua: &'l Lua, args: MultiValue<'l>) -> Result<Registration<'l>, String> {
    let args: Vec<Value> = args.into_iter().collect();
    if args.is_empty() || args.len() > 2 {
        return Err("wrong number of arguments to redis.register_function".into());
    }
    if args.len() == 2 {
        let Some(name) = lua_str(&args[0]) else {
            return Err("first argument to redis.register_function must be a string".into());
        };
        let Value::Function(f) = &args[1] else {
            return Err("second argument to redis.register_function must be a function".into());
        };
        return Ok((
            String::from_utf8_lossy(&name).into_owned(),
            None,
            0,
            f.clone(),
        ));
    }
    let Value::Table(t) = &args[0] else {
        return Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).".into());
    };
    let (mut name, mut desc, mut flags, mut cb) = (None, None, 0u64, None);
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|e| e.to_string())?;
        let Some(key) = lua_str(&k) else {
            return Err(
                "named argument key given to redis.register_function is not a string".into(),
            );
        };
        let key = String::from_utf8_lossy(&key).to_ascii_lowercase();
        match key.as_str() {
            "function_name" => {
                match lua_str(&v) {
                    Some(s) => name = Some(String::from_utf8_lossy(&s).into_owned()),
                    None => return Err(
                        "function_name argument given to redis.register_function must be a string"
                            .into(),
                    ),
                }
            }
            "description" => {
                match lua_str(&v) {
                    Some(s) => desc = Some(s),
                    None => return Err(
                        "description argument given to redis.register_function must be a string"
                            .into(),
                    ),
                }
            }
            "callback" => match v {
                Value::Function(f) => cb = Some(f),
                _ => {
                    return Err(
                        "callback argument given to redis.register_function must be a function"
                            .into(),
                    )
                }
            },
            "flags" => {
                let Value::Table(ft) = v else {
                    return Err("flags argument to redis.register_function must be a table representing function flags".into());
                };
                for i in 1.. {
                    let fv: Value = ft.raw_get(i).map_err(|e| e.to_string())?;
                    if fv.is_nil() {
                        break;
                    }
                    let Some(s) = lua_str(&fv) else {
                        return Err("unknown flag given".into());
                    };
                    match parse_flag_name(&s.to_ascii_lowercase()) {
                        Some(b) => flags |= b,
                        None => return Err("unknown flag given".into()),
                    }
                }
            }
            _ => return Err("unknown argument given to redis.register_function".into()),
        }
    }
    let Some(name) = name else {
        return Err("redis.register_function must get a function name argument".into());
    };
    let Some(cb) = cb else {
        return Err("redis.register_function must get a callback argument".into());
    };
    Ok((name, desc, flags, cb))
}

pub fn function_load(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut replace = false;
    let mut pos = 2;
    while pos < argv.len() - 1 {
        let a = argv.get(pos);
        pos += 1;
        if eq_ic(a, "replace") {
            replace = true;
            continue;
        }
        c.add_error(&format!(
            "Unknown option given: {}",
            String::from_utf8_lossy(a)
        ));
        return;
    }
    if pos >= argv.len() {
        c.add_error("Function code is missing");
        return;
    }
    let code = argv.get(pos);
    let lua = srv.scripting.lua.take().expect("lua state");
    // Only FUNCTION LOAD bounds the library body's run time (the count hook
    // reads the start); loading from RDB or RESTORE does not.
    let r = super::with_load_timeout(&lua, || srv.scripting.functions.create(&lua, code, replace));
    srv.scripting.lua = Some(lua);
    match r {
        Ok(name) => {
            srv.dirty += 1;
            c.add_bulk(name.as_bytes());
        }
        Err(e) => c.add_error(&e),
    }
}

impl Server {
    /// emptyData's function part: every library goes (DEBUG RELOAD and
    /// LOADAOF, a replica's full sync), unlike FLUSHALL which keeps them.
    pub fn functions_flush(&mut self) {
        let lua = self.scripting.lua.take().expect("lua state");
        self.scripting.functions.flush(&lua);
        self.scripting.lua = Some(lua);
    }
}

pub fn function_delete(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let name = String::from_utf8_lossy(argv.get(2)).into_owned();
    let lua = srv.scripting.lua.take().expect("lua state");
    let removed = srv.scripting.functions.remove_library(&lua, &name);
    srv.scripting.lua = Some(lua);
    if !removed {
        c.add_error("Library not found");
        return;
    }
    srv.dirty += 1;
    c.add_ok();
}

pub fn function_flush(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() > 3 {
        crate::networking::client_cmd::subcommand_syntax_error(c, argv);
        return;
    }
    if argv.len() == 3 && !eq_ic(argv.get(2), "sync") && !eq_ic(argv.get(2), "async") {
        c.add_error("FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    let lua = srv.scripting.lua.take().expect("lua state");
    srv.scripting.functions.flush(&lua);
    srv.scripting.lua = Some(lua);
    srv.dirty += 1;
    c.add_ok();
}

pub fn function_list(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut with_code = false;
    let mut pattern: Option<Vec<u8>> = None;
    let mut i = 2;
    while i < argv.len() {
        let a = argv.get(i);
        i += 1;
        if !with_code && eq_ic(a, "withcode") {
            with_code = true;
            continue;
        }
        if pattern.is_none() && eq_ic(a, "libraryname") {
            if i >= argv.len() {
                c.add_error("library name argument was not given");
                return;
            }
            pattern = Some(argv.get(i).to_vec());
            i += 1;
            continue;
        }
        c.add_error(&format!("Unknown argument {}", String::from_utf8_lossy(a)));
        return;
    }
    let libs: Vec<&Library> = srv
        .scripting
        .functions
        .libraries
        .values()
        .filter(|l| match &pattern {
            Some(p) => crate::util::glob_match(p, l.name.as_bytes(), false),
            None => true,
        })
        .collect();
    c.add_array_len(libs.len());
    for l in libs {
        c.add_map_len(if with_code { 4 } else { 3 });
        c.add_bulk(b"library_name");
        c.add_bulk(l.name.as_bytes());
        c.add_bulk(b"engine");
        c.add_bulk(b"LUA");
        c.add_bulk(b"functions");
        c.add_array_len(l.functions.len());
        for f in l.functions.values() {
            c.add_map_len(3);
            c.add_bulk(b"name");
            c.add_bulk(f.name.as_bytes());
            c.add_bulk(b"description");
            match &f.desc {
                Some(d) => c.add_bulk(d),
                None => c.add_null(),
            }
            c.add_bulk(b"flags");
            let names: Vec<&str> = SCRIPT_FLAG_NAMES
                .iter()
                .filter(|(b, _)| f.flags & b != 0)
                .map(|(_, n)| *n)
                .collect();
            c.add_set_len(names.len());
            for n in names {
                c.add_bulk(n.as_bytes());
            }
        }
        if with_code {
            c.add_bulk(b"library_code");
            c.add_bulk(&l.code);
        }
    }
}

pub fn function_stats(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    // A timed-out script lets this run while it is still going.
    if let Some(r) = &srv.scripting.running {
        if r.eval_mode {
            c.add_error(super::BUSY_EVAL_ERR);
            return;
        }
    }
    c.add_map_len(2);
    c.add_bulk(b"running_script");
    match &srv.scripting.running {
        None => c.add_null(),
        Some(r) => {
            c.add_map_len(3);
            c.add_bulk(b"name");
            c.add_bulk(r.funcname.as_bytes());
            c.add_bulk(b"command");
            c.add_array_len(r.command.len());
            for a in &r.command {
                c.add_bulk(a);
            }
            c.add_bulk(b"duration_ms");
            c.add_int(r.elapsed_ms());
        }
    }
    c.add_bulk(b"engines");
    c.add_map_len(1);
    c.add_bulk(b"LUA");
    c.add_map_len(2);
    c.add_bulk(b"libraries_count");
    c.add_int(srv.scripting.functions.libraries.len() as i64);
    c.add_bulk(b"functions_count");
    c.add_int(srv.scripting.functions.index.len() as i64);
}

pub fn function_kill(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    srv.script_kill(c, false);
}

pub fn function_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let lines = [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ];
    c.add_array_len(lines.len());
    for l in lines {
        c.add_status(l);
    }
}

/// rdbSaveFunctions: each library as RDB_OPCODE_FUNCTION2 and its code.
pub fn save_functions<W: std::io::Write>(
    out: &mut crate::rdb::Out<W>,
    srv: &Server,
) -> std::io::Result<()> {
    for l in srv.scripting.functions.libraries.values() {
        out.byte(crate::rdb::OP_FUNCTION2)?;
        out.string(&l.code)?;
    }
    Ok(())
}

/// The FUNCTION DUMP body: the RDB records of every library.
pub fn rdb_function_records(srv: &Server) -> Vec<u8> {
    let mut out = crate::rdb::Out::new(Vec::new(), false);
    let _ = save_functions(&mut out, srv);
    out.w
}

pub fn function_dump(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let mut p = rdb_function_records(srv);
    p.extend_from_slice(&crate::rdb::RDB_VERSION.to_le_bytes());
    let crc = crate::rdb::crc64::crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    c.add_bulk(&p);
}

pub fn function_restore(srv: &mut Server, c: &mut Client, argv: &Argv) {
    #[derive(PartialEq)]
    enum Policy {
        Flush,
        Append,
        Replace,
    }
    if argv.len() > 4 {
        crate::networking::client_cmd::subcommand_syntax_error(c, argv);
        return;
    }
    let policy = if argv.len() > 3 {
        let a = argv.get(3);
        if eq_ic(a, "flush") {
            Policy::Flush
        } else if eq_ic(a, "append") {
            Policy::Append
        } else if eq_ic(a, "replace") {
            Policy::Replace
        } else {
            c.add_error(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            );
            return;
        }
    } else {
        Policy::Append
    };
    let payload = argv.get(2);
    if !crate::rdb::dump::verify_payload(payload) {
        c.add_error("DUMP payload version or checksum are wrong");
        return;
    }
    let body = &payload[..payload.len() - 10];
    let mut rd = crate::rdb::In::new(body);
    rd.checksum = false;
    let mut codes = Vec::new();
    while (rd.pos as usize) < body.len() {
        match rd.u8() {
            Ok(crate::rdb::OP_FUNCTION2) => {}
            _ => {
                c.add_error("given type is not a function");
                return;
            }
        }
        match rd.string() {
            Ok(s) => codes.push(s),
            Err(_) => {
                c.add_error("can not read data type");
                return;
            }
        }
    }
    // Compile into a scratch set first: the live libraries change only if all load.
    let lua = srv.scripting.lua.take().expect("lua state");
    let mut fresh = Functions::default();
    fresh.next_slot = srv.scripting.functions.next_slot + 1_000_000;
    let mut failure = None;
    for code in &codes {
        if let Err(e) = fresh.create(&lua, code, false) {
            failure = Some(e);
            break;
        }
    }
    if failure.is_none() {
        let live = &mut srv.scripting.functions;
        if policy == Policy::Flush {
            live.flush(&lua);
        }
        for (name, _) in fresh.libraries.iter() {
            if live.libraries.contains_key(name) && policy == Policy::Append {
                failure = Some(format!("Library {} already exists", name));
                break;
            }
        }
        if failure.is_none() {
            for lib in fresh.libraries.values() {
                for (fkey, f) in lib.functions.iter() {
                    if let Some(owner) = live.index.get(fkey) {
                        if !owner.eq_ignore_ascii_case(&lib.name) {
                            failure = Some(format!("Function {} already exists", f.name));
                        }
                    }
                }
            }
        }
        if failure.is_none() {
            let libs = std::mem::take(&mut fresh.libraries);
            for (name, lib) in libs {
                live.remove_library(&lua, &name);
                for f in lib.functions.keys() {
                    live.index.insert(f.clone(), name.clone());
                }
                live.libraries.insert(name, lib);
            }
            live.next_slot = fresh.next_slot;
        }
    }
    if failure.is_some() {
        fresh.flush(&lua);
    }
    srv.scripting.lua = Some(lua);
    match failure {
        Some(e) => c.add_error(&e),
        None => {
            srv.dirty += 1;
            c.add_ok();
        }
    }
}

/// rdbFunctionLoad: one library from an RDB file; an existing library of
/// the same name is an error unless `allow_dup` (DEBUG RELOAD MERGE).
pub fn rdb_load_function(srv: &mut Server, code: &[u8], allow_dup: bool) -> Result<(), String> {
    let lua = srv.scripting.lua.take().expect("lua state");
    let r = srv.scripting.functions.create(&lua, code, allow_dup);
    srv.scripting.lua = Some(lua);
    r.map(|_| ())
}

fn fcall_generic(srv: &mut Server, c: &mut Client, argv: &Argv, ro: bool) {
    // As EVAL: monitors see FCALL before the commands it runs.
    if !srv.monitors.is_empty() {
        srv.feed_monitors(c, argv);
    }
    let fname = String::from_utf8_lossy(argv.get(1)).to_ascii_lowercase();
    let Some(lib) = srv.scripting.functions.index.get(&fname) else {
        c.add_error("Function not found");
        return;
    };
    let f = &srv.scripting.functions.libraries[lib].functions[&fname];
    let (flags, registry, realname) = (f.flags, f.registry.clone(), f.name.clone());
    let Some(n) = crate::util::parse_i64(argv.get(2)) else {
        c.add_error("Bad number of keys provided");
        return;
    };
    if n > argv.len() as i64 - 3 {
        c.add_error("Number of keys can't be greater than number of args");
        return;
    }
    if n < 0 {
        c.add_error("Number of keys can't be negative");
        return;
    }
    let numkeys = n as usize;
    let Some(mut ctx): Option<RunCtx> = srv.script_prepare(c, flags, ro) else {
        return;
    };
    ctx.funcname = realname;
    ctx.eval_mode = false;
    ctx.command = argv.iter().map(|a| a.to_vec()).collect();
    let _ = (SF_NO_WRITES, SF_ALLOW_OOM);
    let keys = (0..numkeys).map(|i| argv.get(3 + i).to_vec()).collect();
    let args = (3 + numkeys..argv.len())
        .map(|i| argv.get(i).to_vec())
        .collect();
    if srv.run_script(c, &registry, keys, args, ctx) {
        srv.script_track_keys(c, argv);
    }
    srv.prevent_propagation();
}

pub fn fcall_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    fcall_generic(srv, c, argv, false);
}

pub fn fcall_ro_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    fcall_generic(srv, c, argv, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata() {
        assert_eq!(
            extract_metadata(b"#!lua name=mylib\nreturn").unwrap(),
            ("lua".to_string(), "mylib".to_string(), 16)
        );
        assert_eq!(
            extract_metadata(b"return").unwrap_err(),
            "Missing library metadata"
        );
        assert_eq!(
            extract_metadata(b"#!lua\n").unwrap_err(),
            "Library name was not given"
        );
        assert_eq!(
            extract_metadata(b"#!lua name=a foo=bar\n").unwrap_err(),
            "Invalid metadata value given: foo=bar"
        );
    }
}

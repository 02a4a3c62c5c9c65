//! DEBUG (Redis's debug.c): the dataset digest (SHA1 mixing, bit-exact with
//! Redis), DEBUG OBJECT, POPULATE, SLEEP, SET-ACTIVE-EXPIRE and the other
//! switches Redis's test suite flips. Subcommands whose subsystem is not built
//! (RDB reload, AOF load, replication, cluster bus, jemalloc) answer with an
//! error saying so, never a fake OK.

use crate::commands::command_cmd::reply_help;
use crate::db::lookup;
use crate::db::object::{Obj, StrEnc, Value};
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use crate::sha1::{to_hex, Sha1};
use crate::util::{eq_ic, parse_i64};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

/// DEBUG QUICKLIST-PACKED-THRESHOLD: list elements at least this big go in plain
/// nodes (read by the list type). Default 1GB, as quicklist.c.
pub static QUICKLIST_PACKED_THRESHOLD: AtomicU64 = AtomicU64::new(1 << 30);
/// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RDB loading and RESTORE skip CRC checks.
pub static SKIP_CHECKSUM_VALIDATION: AtomicBool = AtomicBool::new(false);
/// DEBUG AOF-FLUSH-SLEEP: microseconds the AOF flush sleeps first (tests only).
pub static AOF_FLUSH_SLEEP_US: AtomicI64 = AtomicI64::new(0);

// ---------------------------------------------------------------- digests

/// xorDigest: digest ^= SHA1(data). Order-independent accumulation.
pub fn xor_digest(digest: &mut [u8; 20], data: &[u8]) {
    let mut s = Sha1::new();
    s.update(data);
    for (d, h) in digest.iter_mut().zip(s.finish()) {
        *d ^= h;
    }
}

/// mixDigest: digest = SHA1(digest ^ SHA1(data)). Order-dependent accumulation.
pub fn mix_digest(digest: &mut [u8; 20], data: &[u8]) {
    xor_digest(digest, data);
    let mut s = Sha1::new();
    s.update(&digest[..]);
    *digest = s.finish();
}

/// Redis's OBJ_* type codes, which the digest mixes in.
fn type_code(v: &Value) -> u32 {
    match v {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::Hash(_) => 4,
        Value::ZSet(_) => 3,
        Value::Stream(_) => 6,
    }
}

/// xorObjectDigest: the value's type, its contents, and whether it has a TTL.
pub fn object_digest(digest: &mut [u8; 20], o: &Obj, has_expire: bool) {
    mix_digest(digest, &type_code(&o.val).to_be_bytes());
    match &o.val {
        Value::Str(s) => {
            let mut t = [0u8; 20];
            mix_digest(digest, s.as_bytes(&mut t));
        }
        Value::List(l) => {
            // Every element in order, integers as their decimal strings.
            let mut b = crate::ds::listpack::IntBuf::new();
            l.for_each(0, false, |_, v| {
                match v {
                    crate::ds::listpack::LpValue::Str(s) => mix_digest(digest, s),
                    crate::ds::listpack::LpValue::Int(i) => mix_digest(digest, b.format(i)),
                }
                true
            });
        }
        Value::Hash(h) => h.digest(digest),
        Value::Set(s) => s.digest(digest),
        Value::ZSet(z) => {
            // Each member digested with its "%.17g" score, xored in: order-free.
            for (e, sc) in z.items() {
                let mut ed = [0u8; 20];
                mix_digest(&mut ed, &e);
                mix_digest(&mut ed, crate::util::fmt_f64_g17(sc).as_bytes());
                xor_digest(digest, &ed);
            }
        }
        Value::Stream(s) => crate::t_stream::digest(s, digest),
    }
    if has_expire {
        xor_digest(digest, b"!!expire!!");
    }
}

impl Server {
    /// computeDatasetDigest: per database (by id), the xor of the SHA1s of every
    /// key/value digest.
    pub fn dataset_digest(&self) -> [u8; 20] {
        let mut fin = [0u8; 20];
        for (id, db) in self.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            mix_digest(&mut fin, &(id as u32).to_be_bytes());
            for (key, o) in db.keys_iter() {
                let mut d = [0u8; 20];
                mix_digest(&mut d, key);
                object_digest(&mut d, o, db.expire_of(key).is_some());
                xor_digest(&mut fin, &d);
            }
        }
        fin
    }
}

// ---------------------------------------------------------------- serialized length

/// rdbSaveLen's size for a length prefix.
pub fn rdb_len_size(len: u64) -> usize {
    if len < 1 << 6 {
        1
    } else if len < 1 << 14 {
        2
    } else if len <= u32::MAX as u64 {
        5
    } else {
        9
    }
}

/// rdbEncodeInteger's size, or 0 when the value needs more than 32 bits.
fn rdb_int_size(v: i64) -> usize {
    if (-(1 << 7)..(1 << 7)).contains(&v) {
        2
    } else if (-(1 << 15)..(1 << 15)).contains(&v) {
        3
    } else if (-(1i64 << 31)..(1i64 << 31)).contains(&v) {
        5
    } else {
        0
    }
}

/// rdbSaveRawString's size: small integers encoded, long strings LZF-compressed
/// when `compression` (rdbcompression) is on and it saves at least four bytes.
pub fn rdb_string_len(s: &[u8], compression: bool) -> usize {
    if s.len() <= 11 {
        if let Some(v) = parse_i64(s) {
            let n = rdb_int_size(v);
            if n > 0 {
                return n;
            }
        }
    }
    if compression && s.len() > 20 {
        if let Some(c) = crate::lzf::compress(s, s.len() - 4) {
            return 1 + rdb_len_size(c.len() as u64) + rdb_len_size(s.len() as u64) + c.len();
        }
    }
    rdb_len_size(s.len() as u64) + s.len()
}

/// What RDB would write for a value (rdbSavedObjectLen), computed from the RDB
/// encoding rules; RDB saving itself is another issue.
pub fn serialized_len(o: &Obj, compression: bool) -> usize {
    match &o.val {
        // RDB_TYPE_STREAM_LISTPACKS_2: nodes, counters, then groups with PELs.
        Value::Stream(s) => {
            let l = |v: u64| rdb_len_size(v);
            let mut n = l(s.node_count() as u64);
            for (_, lp) in s.nodes() {
                n += 17 + rdb_string_len(lp, compression);
            }
            n += l(s.length) + l(s.last_id.ms) + l(s.last_id.seq);
            n += l(s.first_id.ms) + l(s.first_id.seq);
            n += l(s.max_deleted_entry_id.ms) + l(s.max_deleted_entry_id.seq);
            n += l(s.entries_added) + l(s.groups_len() as u64);
            for (name, g) in s.cgroups.iter().flatten() {
                n += rdb_string_len(name, compression);
                n += l(g.last_id.ms) + l(g.last_id.seq) + l(g.entries_read as u64);
                n += l(g.pel.len() as u64);
                for nack in g.pel.values() {
                    n += 16 + 8 + l(nack.delivery_count);
                }
                n += l(g.consumers.len() as u64);
                for (cname, cn) in &g.consumers {
                    n += rdb_string_len(cname, compression) + 8;
                    n += l(cn.pel.len() as u64) + 16 * cn.pel.len();
                }
            }
            n
        }
        Value::Str(StrEnc::Int { v, .. }) => match rdb_int_size(*v) {
            0 => {
                let mut t = [0u8; 20];
                let n = crate::util::fmt_i64(*v, &mut t).len();
                rdb_len_size(n as u64) + n
            }
            n => n,
        },
        Value::Str(StrEnc::Embstr(s)) => rdb_string_len(s, compression),
        Value::Str(StrEnc::Raw(s)) => rdb_string_len(s, compression),
        // RDB_TYPE_LIST_QUICKLIST_2: node count, then per node its container
        // type and either its LZF blob as stored or its raw bytes as a string.
        Value::List(l) => {
            let mut n = rdb_len_size(l.node_count() as u64);
            l.for_each_node(|_plain, raw, lzf| {
                n += 1;
                n += match (raw, lzf) {
                    (Some(r), _) => rdb_string_len(r, compression),
                    (None, Some((z, raw_len))) => {
                        1 + rdb_len_size(z.len() as u64) + rdb_len_size(raw_len as u64) + z.len()
                    }
                    _ => 0,
                };
            });
            n
        }
        Value::Hash(h) => h.serialized_len(compression),
        Value::Set(s) => s.serialized_len(compression),
        // RDB_TYPE_ZSET_LISTPACK: the listpack as one string; RDB_TYPE_ZSET_2:
        // length, then each member as a string and its score as 8 raw bytes.
        Value::ZSet(z) => match z {
            crate::t_zset::ZSet::Lp(lp) => rdb_string_len(lp.as_bytes(), compression),
            crate::t_zset::ZSet::Sl(sz) => {
                let mut n = rdb_len_size(sz.sl.len() as u64);
                for (e, _) in sz.sl.iter() {
                    n += rdb_string_len(e, compression) + 8;
                }
                n
            }
        },
    }
}

// ---------------------------------------------------------------- the command

const HELP: &[&str] = &[
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
];

/// C's atoi: optional spaces and sign, then digits; junk ends the number.
fn atoi(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let neg = i < s.len() && s[i] == b'-';
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        i += 1;
    }
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v.wrapping_mul(10).wrapping_add((s[i] - b'0') as i64);
        i += 1;
    }
    if neg {
        -v
    } else {
        v
    }
}

/// C's strtod on a whole argument, keeping the longest numeric prefix (0 if none).
fn strtod_prefix(s: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(s);
    let t = text.trim_start();
    let end = t
        .char_indices()
        .take_while(|(_, ch)| ch.is_ascii_digit() || matches!(ch, '+' | '-' | '.' | 'e' | 'E'))
        .map(|(i, ch)| i + ch.len_utf8())
        .last()
        .unwrap_or(0);
    (1..=end)
        .rev()
        .find_map(|n| t[..n].parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// memtoull: a byte count with an optional k/kb/m/mb/g/gb suffix (case-insensitive).
fn memtoull(s: &[u8]) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let (digits, mul): (&[u8], u64) = if let Some(d) = lower.strip_suffix(b"gb") {
        (d, 1 << 30)
    } else if let Some(d) = lower.strip_suffix(b"g") {
        (d, 1_000_000_000)
    } else if let Some(d) = lower.strip_suffix(b"mb") {
        (d, 1 << 20)
    } else if let Some(d) = lower.strip_suffix(b"m") {
        (d, 1_000_000)
    } else if let Some(d) = lower.strip_suffix(b"kb") {
        (d, 1024)
    } else if let Some(d) = lower.strip_suffix(b"k") {
        (d, 1000)
    } else if let Some(d) = lower.strip_suffix(b"b") {
        (d, 1)
    } else {
        (&lower[..], 1)
    };
    if digits.is_empty() || !digits.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    v.checked_mul(mul)
}

/// DEBUG CONFIG-REWRITE-FORCE-ALL: CONFIG REWRITE that also writes directives at their defaults.
fn config_rewrite_force_all(srv: &mut Server, c: &mut Client) {
    let Some(path) = srv.config_file.clone() else {
        // Redis would dereference a NULL path here; refuse instead.
        c.add_error("CONFIG-REWRITE-FORCE-ALL failed: The server is running without a config file");
        return;
    };
    match crate::config::rewrite::rewrite_config(
        &srv.config,
        &crate::acl::user_lines(srv),
        &path,
        true,
    ) {
        Ok(()) => c.add_ok(),
        Err(e) => c.add_error(&format!(
            "CONFIG-REWRITE-FORCE-ALL failed: {}",
            crate::server::listen::strerror(&e)
        )),
    }
}

fn not_built(c: &mut Client, what: &str) {
    c.add_error(&format!(
        "DEBUG {} is not supported: {}",
        what.to_ascii_uppercase(),
        match what {
            "replicate" => "replication is not implemented yet",
            "restart" | "crash-and-recover" => "server restart is not implemented yet",
            "sdslen" | "structsize" => "this server has no SDS strings or C structures",
            _ => "not implemented yet",
        }
    ));
}

fn subcommand_syntax_error(c: &mut Client, argv: &Argv) {
    let sub = String::from_utf8_lossy(argv.get(1));
    let sub: String = sub.chars().take(128).collect();
    c.add_error(&format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        sub,
        String::from_utf8_lossy(argv.get(0)).to_ascii_uppercase()
    ));
}

/// Logs a crash report line and aborts, as Redis's serverPanic/assert do.
fn crash(msg: &str) -> ! {
    log::warn!("------------------------------------------------");
    log::warn!("!!! Software Failure. Press left mouse button to continue");
    log::warn!("Guru Meditation: {}", msg);
    log::logger().flush();
    std::process::abort();
}

/// The DEBUG entry point, named as Redis's C function so stack traces (crash
/// reports, the watchdog) show the same frame name tools and tests look for.
#[allow(non_snake_case)]
#[inline(never)]
pub fn debugCommand(srv: &mut Server, c: &mut Client, argv: &Argv) {
    debug_command(srv, c, argv)
}

pub fn debug_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let argc = argv.len();
    let sub = argv.get(1).to_ascii_lowercase();
    let sub = String::from_utf8_lossy(&sub).into_owned();
    match (sub.as_str(), argc) {
        ("help", 2) => reply_help(c, "DEBUG", HELP),
        ("segfault", _) => crate::crash::segfault(),
        ("panic", _) => panic!(
            "DEBUG PANIC called at Unix time {}",
            crate::util::mstime() / 1000
        ),
        ("assert", _) => crate::crash::assert_failed("1 == 2", file!(), line!()),
        ("oom", _) => crash("Out Of Memory allocating the DEBUG OOM request"),
        ("restart" | "crash-and-recover", _) => not_built(c, &sub),
        ("log", 3) => {
            log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(argv.get(2)));
            c.add_ok();
        }
        ("leak", 3) => {
            // A deliberate leak, for memory-leak detection tests.
            std::mem::forget(argv.get(2).to_vec());
            c.add_ok();
        }
        ("reload", _) => {
            for j in 2..argc {
                let o = argv.get(j);
                if !(eq_ic(o, "merge") || eq_ic(o, "noflush") || eq_ic(o, "nosave")) {
                    c.add_error(
                        "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                    );
                    return;
                }
            }
            let has = |w: &str| (2..argc).any(|j| eq_ic(argv.get(j), w));
            let flags = if has("merge") {
                crate::rdb::load::LOAD_ALLOW_DUP
            } else {
                crate::rdb::load::LOAD_NONE
            };
            if !has("nosave") && srv.rdb_save().is_err() {
                c.add_error("-ERR");
                return;
            }
            if !has("noflush") {
                srv.empty_data(None, false);
                srv.functions_flush();
            }
            let path = srv.rdb_filename();
            match crate::rdb::load::load_file(srv, &path, flags) {
                Ok(true) => {
                    log::warn!("DB reloaded by DEBUG RELOAD");
                    c.add_ok();
                }
                Ok(false) => c.add_error("Error trying to load the RDB dump"),
                Err(e) => {
                    log::warn!("{}", e.msg);
                    c.add_error("Error trying to load the RDB dump");
                }
            }
        }
        ("loadaof", _) => {
            srv.debug_loadaof();
            c.add_ok();
        }
        ("drop-cluster-packet-filter", 3) => {
            let Some(t) = crate::util::parse_i64(argv.get(2)) else {
                c.add_error_not_int();
                return;
            };
            if let Some(st) = srv.cluster.as_deref_mut() {
                st.drop_filter = t;
            }
            c.add_ok();
        }
        ("object", 3) => debug_object(srv, c, argv.get(2)),
        ("sdslen", 3) => not_built(c, "sdslen"),
        ("listpack", 3) | ("quicklist", 3) | ("quicklist", 4) => {
            if srv.lookup(c.db, argv.get(2), lookup::NOTOUCH).is_none() {
                c.add_error("no such key");
                return;
            }
            let ql = match srv.dbs[c.db].get(argv.get(2)).map(|o| &o.val) {
                Some(Value::List(l)) => Some(l),
                _ => None,
            };
            match ql {
                Some(l) if sub == "quicklist" => {
                    // quicklistRepr prints the structure on stdout.
                    println!("{{count : {}}}\n{{len : {}}}", l.len(), l.node_count());
                    for (i, (container, count, sz, lzf)) in l.node_info().iter().enumerate() {
                        println!(
                            "{{quicklist node({})\n{{container : {}, encoding: {}, size: {}, count: {}}}}}",
                            i,
                            container,
                            if *lzf { "LZF" } else { "RAW" },
                            sz,
                            count
                        );
                    }
                    c.add_status("Quicklist structure printed on stdout");
                }
                _ if sub == "listpack" => c.add_error("Not a listpack encoded object."),
                _ => c.add_error("Not a quicklist encoded object."),
            }
        }
        ("populate", 3..=5) => debug_populate(srv, c, argv),
        ("digest", 2) => {
            let d = srv.dataset_digest();
            c.add_status(&to_hex(&d));
        }
        ("digest-value", _) => {
            c.add_array_len(argc - 2);
            let db = c.db;
            for j in 2..argc {
                let key = argv.get(j);
                let mut d = [0u8; 20];
                // No lookup: DEBUG must see logically expired keys too.
                if let Some(o) = srv.dbs[db].get(key) {
                    object_digest(&mut d, o, srv.dbs[db].expire_of(key).is_some());
                }
                c.add_status(&to_hex(&d));
            }
        }
        ("sleep", 3) => {
            let secs = strtod_prefix(argv.get(2));
            let us = (secs * 1_000_000.0) as i64;
            if us > 0 {
                std::thread::sleep(std::time::Duration::from_micros(us as u64));
            }
            c.add_ok();
        }
        ("set-active-expire", 3) => {
            srv.active_expire_enabled = atoi(argv.get(2)) != 0;
            c.add_ok();
        }
        ("quicklist-packed-threshold", 3) => match memtoull(argv.get(2)) {
            Some(sz) if sz <= (1u64 << 32) - (1 << 20) => {
                let sz = if sz == 0 { 1 << 30 } else { sz };
                QUICKLIST_PACKED_THRESHOLD.store(sz, Ordering::Relaxed);
                c.add_ok();
            }
            _ => c.add_error("argument must be a memory value bigger than 1 and smaller than 4gb"),
        },
        ("set-skip-checksum-validation", 3) => {
            SKIP_CHECKSUM_VALIDATION.store(atoi(argv.get(2)) != 0, Ordering::Relaxed);
            c.add_ok();
        }
        ("aof-flush-sleep", 3) => {
            AOF_FLUSH_SLEEP_US.store(atoi(argv.get(2)), Ordering::Relaxed);
            c.add_ok();
        }
        ("replicate", n) if n >= 3 => not_built(c, "replicate"),
        ("error", 3) => {
            // Written raw like Redis's addReplySds: not counted in errorstats or
            // failed_calls, unlike a real error reply.
            let mut line = vec![b'-'];
            line.extend(
                argv.get(2)
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
            );
            line.extend_from_slice(b"\r\n");
            c.add_raw(&line);
        }
        ("structsize", 2) => not_built(c, "structsize"),
        ("htstats", 3) => {
            let Some(id) = crate::db::keyspace_cmds::get_long_or_reply(c, argv.get(2)) else {
                return;
            };
            if id < 0 || id as usize >= srv.dbs.len() {
                c.add_error("Out of range database");
                return;
            }
            let db = &srv.dbs[id as usize];
            let mut s = String::from("[Dictionary HT]\n");
            let dicts = db.main_dicts();
            if dicts.len() == 1 {
                s.push_str(&dicts[0].stats_text());
            } else {
                // Cluster mode keeps one table per slot; show the non-empty ones.
                let mut any = false;
                for d in dicts.iter().filter(|d| !d.is_empty()) {
                    s.push_str(&d.stats_text());
                    any = true;
                }
                if !any {
                    s.push_str(&dicts[0].stats_text());
                }
            }
            s.push_str("[Expires HT]\n");
            s.push_str(&db.expires.stats_text());
            c.add_verbatim(s.as_bytes(), "txt");
        }
        ("htstats-key", 3) => {
            let stats = match srv.lookup(c.db, argv.get(2), lookup::NOTOUCH) {
                None => {
                    c.add_error("no such key");
                    return;
                }
                Some(o) => o.val.hash_table_stats(),
            };
            match stats {
                Some(text) => c.add_verbatim(text.as_bytes(), "txt"),
                None => c.add_error(
                    "The value stored at the specified key is not represented using an hash table",
                ),
            }
        }
        ("change-repl-id", 2) => {
            log::warn!("Changing replication IDs after receiving DEBUG change-repl-id");
            // changeReplicationId; replid2 is always cleared (no replication history yet).
            srv.replid = crate::util::random_hex(40);
            c.add_ok();
        }
        ("stringmatch-test", 2) => {
            stringmatch_fuzz(&mut srv.rng);
            c.add_status("Apparently Redis did not crash: test passed");
        }
        ("set-disable-deny-scripts", 3) => {
            srv.script_disable_deny_script = atoi(argv.get(2)) != 0;
            c.add_ok();
        }
        ("config-rewrite-force-all", 2) => config_rewrite_force_all(srv, c),
        ("client-eviction", 2) => {
            // Client eviction (maxmemory-clients) is not built, so it is always off.
            c.add_error("maxmemory-clients is disabled.");
        }
        ("protocol", 3) => crate::server::server_cmds::debug_protocol(c, argv.get(2)),
        ("pause-cron", 3) => {
            srv.pause_cron = atoi(argv.get(2)) != 0;
            c.add_ok();
        }
        ("replybuffer", 4) => {
            use crate::networking::limits::{
                PEAK_RESET_TIME_MS, REPLY_BUFFER_DEFAULT_PEAK_RESET_MS, RESIZING_ENABLED,
            };
            let (what, v) = (argv.get(2), argv.get(3));
            if eq_ic(what, "peak-reset-time") {
                if eq_ic(v, "never") {
                    PEAK_RESET_TIME_MS.store(-1, Ordering::Relaxed);
                } else if eq_ic(v, "reset") {
                    PEAK_RESET_TIME_MS.store(REPLY_BUFFER_DEFAULT_PEAK_RESET_MS, Ordering::Relaxed);
                } else {
                    match parse_i64(v) {
                        Some(n) => PEAK_RESET_TIME_MS.store(n, Ordering::Relaxed),
                        None => {
                            c.add_error_not_int();
                            return;
                        }
                    }
                }
            } else if eq_ic(what, "resizing") {
                RESIZING_ENABLED.store(atoi(v) != 0, Ordering::Relaxed);
            } else {
                subcommand_syntax_error(c, argv);
                return;
            }
            c.add_ok();
        }
        ("clusterlink", 5) if eq_ic(argv.get(2), "kill") => {
            if !srv.config.cluster_enabled {
                c.add_error("Debug option only available for cluster mode enabled setup!");
                return;
            }
            srv.debug_cluster_link_kill(c, argv.get(3), argv.get(4));
        }
        _ => subcommand_syntax_error(c, argv),
    }
}

/// DEBUG OBJECT: the raw dict entry, expired or not.
fn debug_object(srv: &mut Server, c: &mut Client, key: &[u8]) {
    let Some(o) = srv.dbs[c.db].get(key) else {
        c.add_error("no such key");
        return;
    };
    let line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        o as *const Obj,
        o.val.refcount().min(i32::MAX as i64),
        o.val.encoding_name(),
        serialized_len(o, srv.config.get_bool("rdbcompression")),
        srv.obj_lru(o),
        srv.object_idle_ms(o) / 1000
    );
    c.add_status(&line);
}

fn debug_populate(srv: &mut Server, c: &mut Client, argv: &Argv) {
    // getPositiveLongFromObjectOrReply: one message for junk and negatives alike.
    let positive = |c: &mut Client, a: &[u8]| -> Option<i64> {
        match parse_i64(a) {
            Some(v) if v >= 0 => Some(v),
            _ => {
                c.add_error("value is out of range, must be positive");
                None
            }
        }
    };
    let Some(count) = positive(c, argv.get(2)) else {
        return;
    };
    let db = c.db;
    srv.dbs[db].expand_main(count as usize);
    let mut valsize = 0;
    if argv.len() == 5 {
        let Some(v) = positive(c, argv.get(4)) else {
            return;
        };
        valsize = v as usize;
    }
    let prefix: &[u8] = if argv.len() == 3 { b"key" } else { argv.get(3) };
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!(":{}", j).as_bytes());
        if srv.lookup_write(db, &key).is_some() {
            continue;
        }
        let base = format!("value:{}", j).into_bytes();
        let val = if valsize == 0 {
            base
        } else {
            let mut v = vec![0u8; valsize];
            let n = base.len().min(valsize);
            v[..n].copy_from_slice(&base[..n]);
            v
        };
        // createStringObject: embstr or raw by length, never an integer encoding.
        let enc = if val.len() <= crate::db::object::EMBSTR_SIZE_LIMIT {
            StrEnc::Embstr(val.into())
        } else {
            StrEnc::Raw(val)
        };
        let lru = srv.new_obj_lru();
        srv.dbs[db].add(&key, Obj::string(enc, lru));
        srv.signal_modified_key(db, &key);
    }
    c.add_ok();
}

/// stringmatchlen_fuzz_test: random patterns against random strings, to catch
/// crashes or runaway recursion in the glob matcher.
fn stringmatch_fuzz(rng: &mut crate::util::Rng) {
    const CHARS: &[u8] = b"*?[]^-\\abc";
    for _ in 0..1_000_000 {
        let plen = rng.below(32) as usize;
        let slen = rng.below(32) as usize;
        let p: Vec<u8> = (0..plen)
            .map(|_| CHARS[rng.below(CHARS.len() as u64) as usize])
            .collect();
        let s: Vec<u8> = (0..slen).map(|_| rng.below(256) as u8).collect();
        let _ = crate::util::glob_match(&p, &s, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::object::StrEnc;

    fn srv() -> Server {
        Server::new(crate::config::Config::default())
    }

    fn set(s: &mut Server, db: usize, k: &str, v: &str) {
        let obj = Obj::string(StrEnc::from_bytes(v.as_bytes(), true), 0);
        s.dbs[db].set(k.as_bytes(), obj, false);
    }

    /// Reference values from real Redis 7.0.15 (DEBUG DIGEST / DIGEST-VALUE after
    /// the same writes on an empty server).
    #[test]
    fn digest_matches_redis() {
        let mut s = srv();
        assert_eq!(to_hex(&s.dataset_digest()), "0".repeat(40));
        set(&mut s, 0, "foo", "bar");
        assert_eq!(to_hex(&s.dataset_digest()), REDIS_DIGEST_FOO_BAR);
        set(&mut s, 0, "n", "12345");
        set(&mut s, 0, "long", &"x".repeat(100));
        set(&mut s, 3, "foo", "bar");
        s.dbs[3].set_expire(b"foo", i64::MAX / 2);
        assert_eq!(to_hex(&s.dataset_digest()), REDIS_DIGEST_MIXED);
        let o = s.dbs[0].get(b"n").unwrap();
        let mut d = [0u8; 20];
        object_digest(&mut d, o, false);
        assert_eq!(to_hex(&d), REDIS_DIGEST_VALUE_12345);
    }

    const REDIS_DIGEST_FOO_BAR: &str = "d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a";
    const REDIS_DIGEST_MIXED: &str = "43478a024a1c118018f001a5f4577bdc316da06d";
    const REDIS_DIGEST_VALUE_12345: &str = "e1cf90774e995ae03de66e8109dc5cb9d9c2dc83";

    #[test]
    fn serialized_lengths() {
        let o = |v: &str| Obj::string(StrEnc::from_bytes(v.as_bytes(), true), 0);
        assert_eq!(serialized_len(&o("1"), true), 2);
        assert_eq!(serialized_len(&o("1000"), true), 3);
        assert_eq!(serialized_len(&o("100000"), true), 5);
        assert_eq!(serialized_len(&o("10000000000"), true), 12);
        assert_eq!(serialized_len(&o("hello"), true), 6);
        assert_eq!(serialized_len(&o(&"x".repeat(20)), true), 21);
        // Real Redis 7.0.15: DEBUG OBJECT on SET long <100 x> says serializedlength:13.
        assert_eq!(serialized_len(&o(&"x".repeat(100)), true), 13);
        assert_eq!(serialized_len(&o(&"x".repeat(100)), false), 102);
    }

    #[test]
    fn c_parsers() {
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b" -12abc"), -12);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(strtod_prefix(b"0.5"), 0.5);
        assert_eq!(strtod_prefix(b"2s"), 2.0);
        assert_eq!(strtod_prefix(b"abc"), 0.0);
        assert_eq!(memtoull(b"1mb"), Some(1 << 20));
        assert_eq!(memtoull(b"100"), Some(100));
        assert_eq!(memtoull(b"1x"), None);
    }
}

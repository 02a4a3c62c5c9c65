//! Server commands: TIME LASTSAVE SHUTDOWN ROLE MONITOR and MEMORY (USAGE, STATS,
//! DOCTOR, MALLOC-STATS, PURGE), plus DEBUG PROTOCOL's reply shapes (wired into
//! DEBUG by its owner).

use super::Server;
use crate::db::object::{StrEnc, Value};
use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;

pub fn time_command(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let us = crate::util::ustime();
    c.add_array_len(2);
    c.add_bulk_i64(us / 1_000_000);
    c.add_bulk_i64(us % 1_000_000);
}

pub fn lastsave_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_int(srv.last_save_time);
}

/// ROLE (src/replication).
pub fn role_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    srv.role_reply(c);
}

pub fn monitor_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    // Already monitoring: ignored, as Redis does for replica-flagged clients.
    if c.flags.has(ClientFlags::MONITOR) {
        return;
    }
    c.flags.set(ClientFlags::MONITOR);
    srv.monitors.push(c.token);
    c.add_ok();
}

/// SHUTDOWN flag bits.
pub const SHUTDOWN_NOSAVE: u32 = 1;
pub const SHUTDOWN_SAVE: u32 = 2;
pub const SHUTDOWN_NOW: u32 = 4;
pub const SHUTDOWN_FORCE: u32 = 8;

pub fn shutdown_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut flags = 0;
    let mut abort = false;
    for a in argv.iter().skip(1) {
        if a.eq_ignore_ascii_case(b"nosave") {
            flags |= SHUTDOWN_NOSAVE;
        } else if a.eq_ignore_ascii_case(b"save") {
            flags |= SHUTDOWN_SAVE;
        } else if a.eq_ignore_ascii_case(b"now") {
            flags |= SHUTDOWN_NOW;
        } else if a.eq_ignore_ascii_case(b"force") {
            flags |= SHUTDOWN_FORCE;
        } else if a.eq_ignore_ascii_case(b"abort") {
            abort = true;
        } else {
            c.add_error_syntax();
            return;
        }
    }
    if (abort && flags != 0) || (flags & SHUTDOWN_NOSAVE != 0 && flags & SHUTDOWN_SAVE != 0) {
        c.add_error_syntax();
        return;
    }
    if abort {
        // A signal may have arrived during this loop turn: Redis's handler sets
        // shutdown_asap at once, ours leaves it to poll_signals.
        srv.poll_signals();
        // With no replicas to wait for, only a signal-requested shutdown can be pending.
        if srv.shutdown_asap {
            srv.shutdown_asap = false;
            super::shutdown::clear_shutdown_request();
            log::info!("Shutdown manually aborted.");
            c.add_ok();
        } else {
            c.add_error("No shutdown in progress.");
        }
        return;
    }
    // During a timed-out script only SHUTDOWN NOSAVE may go (the dataset
    // is half-way through the script).
    if flags & SHUTDOWN_NOSAVE == 0 && srv.script_timedout() {
        c.add_error(srv.script_busy_error());
        return;
    }
    if srv.prepare_for_shutdown(flags) {
        std::process::exit(0);
    }
    c.add_error("Errors trying to SHUTDOWN. Check logs.");
}

/// jemalloc's size classes (Redis's zmalloc_size): what an allocation of `n` bytes
/// really takes, so MEMORY USAGE answers as Redis does.
pub fn alloc_size(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    let lg = usize::BITS - (n - 1).leading_zeros() - 1;
    let step = (1usize << lg) / 4;
    n.div_ceil(step) * step
}

/// sdsHdrSize(sdsReqType(len)): the header of an sds holding `len` bytes.
/// sdshdr5 (1 byte) only exists for strings created whole under 32 bytes; an
/// empty string or one that grew (sdsMakeRoomFor) gets sdshdr8 at least.
pub fn sds_hdr_size(len: usize, allow_type5: bool) -> usize {
    if len < 1 << 5 && allow_type5 && len > 0 {
        1
    } else if len < 1 << 8 {
        3
    } else if len < 1 << 16 {
        5
    } else if len < 1 << 32 {
        9
    } else {
        17
    }
}

/// Bytes an sds created whole (sdsnewlen: keys, elements, values made from
/// arguments) with `len` bytes allocates: header, bytes, NUL, size class.
pub fn sds_alloc_size(len: usize) -> usize {
    alloc_size(sds_hdr_size(len, true) + len + 1)
}

/// Bytes an sds that grew to `alloc` bytes of room allocates (no sdshdr5).
pub fn sds_grown_alloc_size(alloc: usize) -> usize {
    alloc_size(sds_hdr_size(alloc, false) + alloc + 1)
}

const ROBJ_SIZE: usize = 16;
const DICT_ENTRY_SIZE: usize = 24;

/// objectComputeSize: the value's memory. `_samples` bounds how many elements of an
/// aggregate are inspected (no aggregate type exists yet; they must extend this match).
pub fn object_memory(v: &Value, samples: u64) -> usize {
    match v {
        Value::List(l) => ROBJ_SIZE + l.memory_estimate(samples as usize),
        Value::ZSet(z) => ROBJ_SIZE + z.memory_estimate(samples as usize),
        Value::Stream(s) => crate::t_stream::memory_usage(s, samples as usize),
        Value::Str(StrEnc::Int { .. }) => ROBJ_SIZE,
        Value::Str(StrEnc::Embstr(s)) => alloc_size(ROBJ_SIZE + 3 + s.len() + 1),
        // Spare room means the string grew the way sdsMakeRoomFor grows (see
        // object::sds_make_room); an exact buffer was made whole.
        Value::Str(StrEnc::Raw(s)) if s.capacity() > s.len() => {
            sds_grown_alloc_size(s.capacity()) + ROBJ_SIZE
        }
        Value::Str(StrEnc::Raw(s)) => sds_alloc_size(s.len()) + ROBJ_SIZE,
        Value::Hash(h) => h.memory(samples),
        Value::Set(s) => s.memory(samples),
    }
}

pub fn memory_usage(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut samples: u64 = 5;
    let mut j = 3;
    while j < argv.len() {
        if argv.get(j).eq_ignore_ascii_case(b"samples") && j + 1 < argv.len() {
            match crate::util::parse_i64(argv.get(j + 1)) {
                None => {
                    c.add_error_not_int();
                    return;
                }
                Some(n) if n < 0 => {
                    c.add_error_syntax();
                    return;
                }
                Some(0) => samples = u64::MAX,
                Some(n) => samples = n as u64,
            }
            j += 2;
        } else {
            c.add_error_syntax();
            return;
        }
    }
    let key = argv.get(2);
    // Like Redis, this reads the dict directly: no expiry, no LRU update.
    let Some(obj) = srv.dbs[c.db].get(key) else {
        c.add_null();
        return;
    };
    let usage = object_memory(&obj.val, samples) + sds_alloc_size(key.len()) + DICT_ENTRY_SIZE;
    c.add_int(usage as i64);
}

pub fn memory_stats(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    srv.update_peak_memory();
    let m = srv.memory_overhead(Some(c));
    let net = m.used.saturating_sub(m.startup);
    let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    c.add_map_len(27 + m.db_overhead.len());
    let kv = |c: &mut Client, k: &str, v: i64| {
        c.add_bulk(k.as_bytes());
        c.add_int(v);
    };
    kv(c, "peak.allocated", m.peak as i64);
    kv(c, "total.allocated", m.used as i64);
    kv(c, "startup.allocated", m.startup as i64);
    kv(c, "replication.backlog", 0);
    kv(c, "clients.slaves", 0);
    kv(c, "clients.normal", m.clients_normal as i64);
    kv(c, "cluster.links", 0);
    kv(c, "aof.buffer", m.aof_buffer as i64);
    kv(c, "lua.caches", 0);
    kv(c, "functions.caches", 0);
    for (id, main, exp) in &m.db_overhead {
        c.add_bulk(format!("db.{}", id).as_bytes());
        c.add_map_len(3);
        kv(c, "overhead.hashtable.main", *main as i64);
        kv(c, "overhead.hashtable.expires", *exp as i64);
        kv(c, "overhead.hashtable.slot-to-keys", 0);
    }
    kv(c, "overhead.total", m.total_overhead as i64);
    kv(c, "keys.count", m.keys as i64);
    kv(
        c,
        "keys.bytes-per-key",
        if m.keys > 0 { (net / m.keys) as i64 } else { 0 },
    );
    kv(c, "dataset.bytes", m.dataset as i64);
    c.add_bulk(b"dataset.percentage");
    c.add_double(ratio(m.dataset * 100, net) as f32 as f64);
    c.add_bulk(b"peak.percentage");
    c.add_double(ratio(m.used * 100, m.peak) as f32 as f64);
    kv(c, "allocator.allocated", m.allocated as i64);
    kv(c, "allocator.active", m.active as i64);
    kv(c, "allocator.resident", m.rss as i64);
    c.add_bulk(b"allocator-fragmentation.ratio");
    c.add_double(ratio(m.active, m.allocated) as f32 as f64);
    kv(
        c,
        "allocator-fragmentation.bytes",
        m.active as i64 - m.allocated as i64,
    );
    c.add_bulk(b"allocator-rss.ratio");
    c.add_double(ratio(m.rss, m.active) as f32 as f64);
    kv(c, "allocator-rss.bytes", m.rss as i64 - m.active as i64);
    c.add_bulk(b"rss-overhead.ratio");
    c.add_double(1.0);
    kv(c, "rss-overhead.bytes", 0);
    c.add_bulk(b"fragmentation");
    c.add_double(ratio(m.rss, m.used) as f32 as f64);
    kv(c, "fragmentation.bytes", m.rss as i64 - m.used as i64);
}

pub fn memory_doctor(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    srv.update_peak_memory();
    let m = srv.memory_overhead(Some(c));
    let mut reports = Vec::new();
    let empty = m.used < 5 * 1024 * 1024;
    if !empty {
        if m.peak as f64 / m.used.max(1) as f64 > 1.5 {
            reports.push(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n".to_string());
        }
        let frag = m.rss as f64 / m.used.max(1) as f64;
        if frag > 1.4 && m.rss.saturating_sub(m.used) > 10 << 20 {
            reports.push(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n".to_string());
        }
        let afrag = m.active as f64 / m.allocated.max(1) as f64;
        if afrag > 1.1 && m.active.saturating_sub(m.allocated) > 10 << 20 {
            reports.push(" * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n".to_string());
        }
        let arss = m.rss as f64 / m.active.max(1) as f64;
        if arss > 1.1 && m.rss.saturating_sub(m.active) > 10 << 20 {
            reports.push(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n".to_string());
        }
        let nclients = (srv.clients.len() as u64).max(1);
        if m.clients_normal / nclients > 1024 * 200 {
            reports.push(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n".to_string());
        }
    }
    let text = if empty {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n".to_string()
    } else if reports.is_empty() {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n".to_string()
    } else {
        let mut s =
            "Sam, I detected a few issues in this Redis instance memory implants:\n\n".to_string();
        for r in reports {
            s.push_str(&r);
        }
        s.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
        s
    };
    c.add_verbatim(text.as_bytes(), "txt");
}

/// MALLOC-STATS: Redis answers this for allocators other than jemalloc.
pub fn memory_malloc_stats(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_bulk(b"Stats not supported for the current allocator");
}

pub fn memory_purge(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    // SAFETY: malloc_trim only returns free heap memory to the system.
    unsafe { libc::malloc_trim(0) };
    c.add_ok();
}

pub fn memory_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    crate::commands::command_cmd::reply_help(
        c,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
}

/// DEBUG PROTOCOL <type>: one reply of each RESP type, for client tests.
pub fn debug_protocol(c: &mut Client, kind: &[u8]) {
    let k = kind.to_ascii_lowercase();
    match k.as_slice() {
        b"string" => c.add_bulk(b"Hello World"),
        b"integer" => c.add_int(12345),
        b"double" => c.add_double(3.141),
        b"bignum" => c.add_bignum(b"1234567999999999999999999999999999999"),
        b"null" => c.add_null(),
        b"array" => {
            c.add_array_len(3);
            for j in 0..3 {
                c.add_int(j);
            }
        }
        b"set" => {
            c.add_set_len(3);
            for j in 0..3 {
                c.add_int(j);
            }
        }
        b"map" => {
            c.add_map_len(3);
            for j in 0..3 {
                c.add_int(j);
                c.add_bool(j == 1);
            }
        }
        b"attrib" => {
            if c.resp >= 3 {
                c.add_attribute_len(1);
                c.add_bulk(b"key-popularity");
                c.add_array_len(2);
                c.add_bulk(b"key:123");
                c.add_int(90);
            }
            c.add_bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if c.resp < 3 {
                c.add_error("RESP2 is not supported by this command");
                return;
            }
            c.add_push_len(2);
            c.add_bulk(b"server-cpu-usage");
            c.add_int(42);
            c.add_bulk(b"Some real reply following the push reply");
        }
        b"true" => c.add_bool(true),
        b"false" => c.add_bool(false),
        b"verbatim" => c.add_verbatim(b"This is a verbatim\nstring", "txt"),
        _ => c.add_error("Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jemalloc_classes() {
        assert_eq!(alloc_size(7), 8);
        assert_eq!(alloc_size(23), 32);
        assert_eq!(alloc_size(64), 64);
        assert_eq!(alloc_size(129), 160);
        assert_eq!(alloc_size(1006), 1024);
        assert_eq!(alloc_size(1025), 1280);
    }

    #[test]
    fn key_and_grown_string_sizes_match_redis() {
        // MEMORY USAGE on Redis 7.0.15: SET <key of n bytes> bar.
        let bar = Value::Str(StrEnc::Embstr(b"bar".into()));
        for (n, want) in [
            (0, 64),
            (1, 64),
            (5, 64),
            (13, 72),
            (29, 88),
            (31, 104),
            (32, 104),
        ] {
            let got = object_memory(&bar, 5) + sds_alloc_size(n) + DICT_ENTRY_SIZE;
            assert_eq!(got, want, "key of {} bytes", n);
        }
        // SET k abc; APPEND k defg -> 80; APPEND k <100 bytes> -> 272.
        let mut s = StrEnc::Embstr(b"abc".into());
        let buf = s.make_raw();
        crate::db::object::sds_make_room(buf, 4);
        buf.extend_from_slice(b"defg");
        let v = Value::Str(s);
        assert_eq!(
            object_memory(&v, 5) + sds_alloc_size(1) + DICT_ENTRY_SIZE,
            80
        );
        let mut s = StrEnc::Embstr(b"abc".into());
        let buf = s.make_raw();
        crate::db::object::sds_make_room(buf, 100);
        buf.extend_from_slice(&[b'd'; 100]);
        let v = Value::Str(s);
        assert_eq!(
            object_memory(&v, 5) + sds_alloc_size(1) + DICT_ENTRY_SIZE,
            272
        );
    }

    #[test]
    fn usage_matches_redis() {
        // Values measured on Redis 7.0.15 (MEMORY USAGE minus key and dict entry).
        let v = Value::Str(StrEnc::Embstr(b"bar".into()));
        assert_eq!(
            object_memory(&v, 5) + sds_alloc_size(3) + DICT_ENTRY_SIZE,
            64
        );
        let v = Value::Str(StrEnc::Int {
            v: 12345,
            shared: false,
        });
        assert_eq!(
            object_memory(&v, 5) + sds_alloc_size(1) + DICT_ENTRY_SIZE,
            48
        );
        let v = Value::Str(StrEnc::Raw(vec![b'a'; 1000]));
        assert_eq!(
            object_memory(&v, 5) + sds_alloc_size(2) + DICT_ENTRY_SIZE,
            1072
        );
    }

    #[test]
    fn protocol_shapes() {
        let mut c = Client::fake(1);
        c.resp = 3;
        debug_protocol(&mut c, b"attrib");
        assert_eq!(
            c.take_reply(),
            b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n".to_vec()
        );
        c.resp = 2;
        debug_protocol(&mut c, b"true");
        assert_eq!(c.take_reply(), b":1\r\n".to_vec());
    }
}

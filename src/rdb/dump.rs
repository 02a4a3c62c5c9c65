//! DUMP and RESTORE (Redis's cluster.c): a payload is one RDB value (type byte
//! + body) followed by the 2-byte RDB version and the CRC64 of everything
//! before the CRC. MIGRATE (issue 8) and replication reuse these functions.

use super::load::{load_object, Loaded};
use super::*;
use crate::db::object::{Obj, Value};
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use crate::util::parse_i64;

pub use super::save::serialize_object;

/// verifyDumpPayload: footer version not newer than ours, CRC64 unless skipped.
pub fn verify_payload(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let ver = u16::from_le_bytes([footer[0], footer[1]]);
    if ver > RDB_VERSION {
        return false;
    }
    if crate::debug::SKIP_CHECKSUM_VALIDATION.load(std::sync::atomic::Ordering::Relaxed) {
        return true;
    }
    crc64::crc64(&p[..p.len() - 8]).to_le_bytes() == footer[2..]
}

/// The value in a verified payload; Err carries RESTORE's error text.
pub fn deserialize_object(srv: &Server, p: &[u8]) -> Result<Value, &'static str> {
    if !verify_payload(p) {
        return Err("DUMP payload version or checksum are wrong");
    }
    let mut rd = In::new(&p[..p.len() - 10]);
    rd.checksum = false;
    let t = rd.u8().map_err(|_| "Bad data format")?;
    if !is_object_type(t) {
        return Err("Bad data format");
    }
    match load_object(srv, t, &mut rd, super::load::deep_sanitize(srv)) {
        Ok(Loaded::Val(v)) => Ok(v),
        Ok(Loaded::Empty) => Err("Bad data format"),
        Err(e) => {
            // rdbReportError in a RESTORE: logged at verbose, not fatal.
            log::debug!("{}", super::load::at_offset(e, rd.pos).msg);
            Err("Bad data format")
        }
    }
}

pub fn dump_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if srv.lookup_read(c.db, argv.get(1)).is_none() {
        c.add_null();
        return;
    }
    // Looked up again without the lookup's &mut borrow of the server.
    let payload = match srv.dbs[c.db].get(argv.get(1)) {
        Some(o) => serialize_object(srv, &o.val),
        None => {
            c.add_null();
            return;
        }
    };
    c.add_bulk(&payload);
}

pub fn restore_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut replace = false;
    let mut absttl = false;
    let mut lfu_freq: i64 = -1;
    let mut lru_idle: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        let a = argv.get(j);
        let additional = argv.len() - j - 1;
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if a.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if a.eq_ignore_ascii_case(b"idletime") && additional >= 1 && lfu_freq == -1 {
            let Some(v) = parse_i64(argv.get(j + 1)) else {
                c.add_error_not_int();
                return;
            };
            if v < 0 {
                c.add_error("Invalid IDLETIME value, must be >= 0");
                return;
            }
            lru_idle = v;
            j += 1;
        } else if a.eq_ignore_ascii_case(b"freq") && additional >= 1 && lru_idle == -1 {
            let Some(v) = parse_i64(argv.get(j + 1)) else {
                c.add_error_not_int();
                return;
            };
            if !(0..=255).contains(&v) {
                c.add_error("Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            lfu_freq = v;
            j += 1;
        } else {
            c.add_error_syntax();
            return;
        }
        j += 1;
    }
    let db = c.db;
    let key = argv.get(1);
    if !replace && srv.lookup_write(db, key).is_some() {
        c.add_error("-BUSYKEY Target key name already exists.");
        return;
    }
    let Some(mut ttl) = parse_i64(argv.get(2)) else {
        c.add_error_not_int();
        return;
    };
    if ttl < 0 {
        c.add_error("Invalid TTL value, must be >= 0");
        return;
    }
    let val = match deserialize_object(srv, argv.get(3)) {
        Ok(v) => v,
        Err(e) => {
            c.add_error(e);
            return;
        }
    };
    let deleted = replace && srv.db_delete(db, key);
    if ttl != 0 && !absttl {
        ttl += crate::util::mstime();
    }
    if ttl != 0 && ttl <= crate::util::mstime() && !srv.loading && !srv.is_replica_of_master() {
        if deleted {
            let lazy = srv.config.lazyfree_lazy_server_del;
            srv.rewrite_command(&[if lazy { &b"UNLINK"[..] } else { b"DEL" }, key]);
            srv.signal_modified_key(db, key);
            srv.dirty += 1;
        }
        c.add_ok();
        return;
    }
    let mut o = Obj::new(val, srv.new_obj_lru());
    if lfu_freq >= 0 && srv.lfu_policy() {
        o.lru = ((crate::db::object::lfu_initial() >> 8) << 8) | lfu_freq as u32;
    } else if lru_idle >= 0 && srv.config.maxmemory_policy_uses_lru_lfu() && !srv.lfu_policy() {
        let clock = srv.lru_clock as i64;
        let max = crate::db::object::LRU_CLOCK_MAX as i64;
        let mut abs = clock - lru_idle;
        if abs < 0 {
            abs = (clock + max / 2) % max;
        }
        o.lru = abs as u32;
    }
    let container = !matches!(o.val, Value::Str(_));
    srv.dbs[db].add(key, o);
    if ttl != 0 {
        srv.dbs[db].set_expire(key, ttl);
        srv.remember_replica_key_with_expire(db, key);
        // Propagated with the TTL made absolute.
        if !absttl {
            srv.rewrite_arg(argv, 2, ttl.to_string().as_bytes());
            srv.rewrite_arg(argv, argv.len(), b"ABSTTL");
        }
    }
    srv.signal_modified_key(db, key);
    if container {
        srv.signal_key_as_ready(db, key);
    }
    c.add_ok();
    srv.dirty += 1;
}

//! Writing RDB version 10 as Redis 7.0.15 does (rdbSaveRio): aux fields, per
//! database SELECTDB + RESIZEDB + key records (EXPIRETIME_MS, IDLE/FREQ under
//! an LRU/LFU maxmemory policy), compact encodings written straight from our
//! in-memory listpacks/intsets/quicklist nodes, EOF and the CRC64 trailer.
//! Also the file-level save (temp file, fsync, rename) used by SAVE and the
//! BGSAVE child.

use super::*;
use crate::db::object::{Obj, StrEnc, Value};
use crate::server::Server;
use std::io::{self, Write};

/// Flags of `save_to_writer`.
pub const SAVE_NONE: u32 = 0;
/// The RDB is an AOF base/preamble: aux `aof-base` is 1.
pub const SAVE_AOF_PREAMBLE: u32 = 1;

/// The type byte for a value (rdbSaveObjectType).
pub fn object_type(v: &Value) -> u8 {
    match v {
        Value::Str(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::Set(crate::t_set::SetVal::Intset(_)) => TYPE_SET_INTSET,
        Value::Set(_) => TYPE_SET,
        Value::ZSet(z) => match z {
            crate::t_zset::ZSet::Lp(_) => TYPE_ZSET_LISTPACK,
            crate::t_zset::ZSet::Sl(_) => TYPE_ZSET_2,
        },
        Value::Hash(crate::t_hash::HashVal::Listpack(_)) => TYPE_HASH_LISTPACK,
        Value::Hash(_) => TYPE_HASH,
        Value::Stream(_) => TYPE_STREAM_LISTPACKS_2,
    }
}

/// rdbSaveObject: the value body (no type byte).
pub fn write_value<W: Write>(out: &mut Out<W>, v: &Value) -> io::Result<()> {
    match v {
        Value::Stream(s) => super::stream::write_stream(out, s),
        Value::Str(StrEnc::Int { v, .. }) => out.int_string(*v),
        Value::Str(StrEnc::Embstr(s)) => out.string(s),
        Value::Str(StrEnc::Raw(s)) => out.string(s),
        Value::List(l) => {
            out.len(l.node_count() as u64)?;
            let mut res = Ok(());
            l.for_each_node(|plain, raw, lzf| {
                if res.is_err() {
                    return;
                }
                res = (|| {
                    out.len(if plain { QL_PLAIN } else { QL_PACKED })?;
                    match (raw, lzf) {
                        (Some(r), _) => out.string(r),
                        (None, Some((z, raw_len))) => out.lzf_blob(z, raw_len),
                        _ => Ok(()),
                    }
                })();
            });
            res
        }
        Value::Set(crate::t_set::SetVal::Intset(is)) => out.string(is.as_bytes()),
        Value::Set(crate::t_set::SetVal::Table(d)) => {
            out.len(d.len() as u64)?;
            for (k, _) in d.iter() {
                out.string(k)?;
            }
            Ok(())
        }
        Value::ZSet(z) => match z {
            crate::t_zset::ZSet::Lp(lp) => out.string(lp.as_bytes()),
            crate::t_zset::ZSet::Sl(sz) => {
                // From the tail, highest score first, as Redis does, so loading
                // inserts at the head of the skiplist.
                out.len(sz.sl.len() as u64)?;
                let items: Vec<(&[u8], f64)> = sz.sl.iter().collect();
                for (e, s) in items.iter().rev() {
                    out.string(e)?;
                    out.binary_double(*s)?;
                }
                Ok(())
            }
        },
        Value::Hash(crate::t_hash::HashVal::Listpack(lp)) => out.string(lp.as_bytes()),
        Value::Hash(crate::t_hash::HashVal::Table(d)) => {
            out.len(d.len() as u64)?;
            for (k, v) in d.iter() {
                out.string(k)?;
                out.string(v)?;
            }
            Ok(())
        }
    }
}

/// debugDelay: a negative delay sleeps 1 µs once in every -N calls.
pub fn debug_delay(usec: i64, rng: &mut u64) {
    let us = if usec < 0 {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        if *rng % (-usec) as u64 == 0 {
            1
        } else {
            0
        }
    } else {
        usec
    };
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us as u64));
    }
}

fn aux<W: Write>(out: &mut Out<W>, k: &str, v: &[u8]) -> io::Result<()> {
    out.byte(OP_AUX)?;
    out.string(k.as_bytes())?;
    out.string(v)
}

/// rdbSaveRio: the whole dataset. `progress(keys_done)` is called after each
/// key (the fork child reports it to the parent).
pub fn save_to_writer<W: Write>(
    srv: &Server,
    w: W,
    flags: u32,
    mut progress: impl FnMut(u64),
) -> io::Result<W> {
    let mut out = Out::new(w, srv.config.get_bool("rdbcompression"));
    out.raw(format!("REDIS{:04}", RDB_VERSION).as_bytes())?;
    aux(&mut out, "redis-ver", crate::REDIS_VERSION.as_bytes())?;
    aux(&mut out, "redis-bits", b"64")?;
    aux(
        &mut out,
        "ctime",
        (crate::util::mstime() / 1000).to_string().as_bytes(),
    )?;
    aux(
        &mut out,
        "used-mem",
        crate::server::info::used_memory().to_string().as_bytes(),
    )?;
    if flags & SAVE_AOF_PREAMBLE == 0 {
        if let Some((db, id, off)) = srv.repl_save_info() {
            aux(&mut out, "repl-stream-db", db.to_string().as_bytes())?;
            aux(&mut out, "repl-id", id.as_bytes())?;
            aux(&mut out, "repl-offset", off.to_string().as_bytes())?;
        }
    }
    aux(
        &mut out,
        "aof-base",
        if flags & SAVE_AOF_PREAMBLE != 0 {
            b"1"
        } else {
            b"0"
        },
    )?;
    crate::scripting::function::save_functions(&mut out, srv)?;
    let policy_lru = srv.config.maxmemory_policy_uses_lru_lfu() && !srv.lfu_policy();
    let policy_lfu = srv.lfu_policy();
    let delay = srv.config.get_i64("rdb-key-save-delay");
    let mut rng = (crate::util::ustime() as u64) | 1;
    let mut done = 0u64;
    for db in &srv.dbs {
        if db.is_empty() {
            continue;
        }
        out.byte(OP_SELECTDB)?;
        out.len(db.id as u64)?;
        out.byte(OP_RESIZEDB)?;
        out.len(db.len() as u64)?;
        out.len(db.expires_len() as u64)?;
        for (key, o) in db.keys_iter() {
            write_key(
                &mut out,
                srv,
                key,
                o,
                db.expire_of(key),
                policy_lru,
                policy_lfu,
            )?;
            done += 1;
            progress(done);
            if delay != 0 {
                debug_delay(delay, &mut rng);
            }
        }
    }
    out.byte(OP_EOF)?;
    let crc = if srv.config.get_bool("rdbchecksum") {
        out.crc
    } else {
        0
    };
    out.w.write_all(&crc.to_le_bytes())?;
    Ok(out.w)
}

/// rdbSaveKeyValuePair.
fn write_key<W: Write>(
    out: &mut Out<W>,
    srv: &Server,
    key: &[u8],
    o: &Obj,
    expire: Option<i64>,
    lru: bool,
    lfu: bool,
) -> io::Result<()> {
    if let Some(t) = expire {
        out.byte(OP_EXPIRETIME_MS)?;
        out.millis(t)?;
    }
    if lru {
        out.byte(OP_IDLE)?;
        out.len(srv.object_idle_ms(o) / 1000)?;
    }
    if lfu {
        let counter = crate::db::object::lfu_decr_and_return(
            srv.obj_lru(o),
            srv.config.get_i64("lfu-decay-time"),
        );
        out.byte(OP_FREQ)?;
        out.byte(counter as u8)?;
    }
    out.byte(object_type(&o.val))?;
    out.string(key)?;
    write_value(out, &o.val)
}

/// rdbSave: writes `temp-<pid>.rdb` in the working directory (`dir`), fsyncs,
/// renames it over `path`. Logs as Redis does; the error text on failure.
pub fn save_file(srv: &Server, path: &str, progress: impl FnMut(u64)) -> Result<(), String> {
    let tmp = format!("temp-{}.rdb", std::process::id());
    let f = match std::fs::File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            let cwd = std::env::current_dir()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "unknown".into());
            let msg = format!(
                "Failed opening the temp RDB file {} (in server root dir {}) for saving: {}",
                tmp,
                cwd,
                crate::server::listen::strerror(&e)
            );
            log::warn!("{}", msg);
            return Err(msg);
        }
    };
    let res = save_to_writer(
        srv,
        io::BufWriter::with_capacity(64 * 1024, f),
        SAVE_NONE,
        progress,
    )
    .and_then(|bw| bw.into_inner().map_err(|e| e.into_error()))
    .and_then(|f| f.sync_all());
    if let Err(e) = res {
        let msg = format!(
            "Write error saving DB on disk: {}",
            crate::server::listen::strerror(&e)
        );
        log::warn!("{}", msg);
        let _ = std::fs::remove_file(&tmp);
        return Err(msg);
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let cwd = std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "unknown".into());
        let msg = format!(
            "Error moving temp DB file {} on the final destination {} (in server root dir {}): {}",
            tmp,
            path,
            cwd,
            crate::server::listen::strerror(&e)
        );
        log::warn!("{}", msg);
        let _ = std::fs::remove_file(&tmp);
        return Err(msg);
    }
    Ok(())
}

/// DUMP's payload: type byte, value, RDB version (LE u16), CRC64 (LE u64).
pub fn serialize_object(srv: &Server, v: &Value) -> Vec<u8> {
    let mut out = Out::new(Vec::new(), srv.config.get_bool("rdbcompression"));
    // Writing to a Vec cannot fail.
    let _ = out.byte(object_type(v));
    let _ = write_value(&mut out, v);
    let _ = out.raw(&RDB_VERSION.to_le_bytes());
    let crc = out.crc;
    let mut w = out.w;
    w.extend_from_slice(&crc.to_le_bytes());
    w
}

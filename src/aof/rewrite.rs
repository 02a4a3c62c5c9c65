//! The AOF rewrite (rewriteAppendOnlyFileRio): the whole dataset as the commands that
//! rebuild it — SELECT per non-empty DB, SET / RPUSH / SADD / ZADD / HMSET in batches of
//! 64 elements, PEXPIREAT for keys with a TTL, a leading #TS annotation when enabled —
//! written to a temp file, fsync'd and renamed. A rewrite runs in a forked child; the
//! parent reaps it from cron (mod.rs's background_rewrite_done).

use super::cat_command;
use crate::db::object::Value;
use crate::server::Server;
use std::io::Write;
use std::path::Path;

const ITEMS_PER_CMD: usize = 64;

/// REDIS_AUTOSYNC_BYTES.
const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

/// A file that fsyncs itself every `every` bytes written (rioSetAutoSync); 0: never.
struct AutoSync {
    f: std::fs::File,
    unsynced: u64,
    every: u64,
}

impl Write for AutoSync {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.f.write(buf)?;
        self.unsynced += n as u64;
        if self.every != 0 && self.unsynced >= self.every {
            self.f.sync_data()?;
            self.unsynced = 0;
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.f.flush()
    }
}

/// Emits `cmd key item...` commands of at most 64 items each.
fn batched<W: Write>(
    w: &mut W,
    cmd: &[u8],
    key: &[u8],
    items: &[Vec<u8>],
    per_item: usize,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    for chunk in items.chunks(ITEMS_PER_CMD * per_item) {
        out.clear();
        let args = std::iter::once(cmd)
            .chain(std::iter::once(key))
            .chain(chunk.iter().map(|v| v.as_slice()));
        cat_command(out, 2 + chunk.len(), args);
        w.write_all(out)?;
    }
    Ok(())
}

/// rewriteStreamObject: XADDs (or the XADD MAXLEN 0 trick for an empty stream),
/// XSETID with the counters, then each group with its consumers and pending entries.
fn rewrite_stream<W: Write>(
    w: &mut W,
    key: &[u8],
    s: &crate::ds::stream::Stream,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    use crate::ds::stream::StreamId;
    let emit = |w: &mut W, args: &[&[u8]], out: &mut Vec<u8>| -> std::io::Result<()> {
        out.clear();
        cat_command(out, args.len(), args.iter().copied());
        w.write_all(out)
    };
    if s.length > 0 {
        for (id, fields) in s.range(StreamId::MIN, StreamId::MAX, false, 0) {
            let idb = id.to_bytes();
            let mut args: Vec<&[u8]> = vec![b"XADD", key, &idb];
            for (f, v) in &fields {
                args.push(f);
                args.push(v);
            }
            emit(w, &args, out)?;
        }
    } else {
        emit(w, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"], out)?;
    }
    let last = s.last_id.to_bytes();
    let added = s.entries_added.to_string();
    let maxdel = s.max_deleted_entry_id.to_bytes();
    emit(
        w,
        &[
            b"XSETID",
            key,
            &last,
            b"ENTRIESADDED",
            added.as_bytes(),
            b"MAXDELETEDID",
            &maxdel,
        ],
        out,
    )?;
    if let Some(groups) = &s.cgroups {
        for (name, g) in groups {
            let gid = g.last_id.to_bytes();
            let read = g.entries_read.to_string();
            emit(
                w,
                &[
                    b"XGROUP",
                    b"CREATE",
                    key,
                    name,
                    &gid,
                    b"ENTRIESREAD",
                    read.as_bytes(),
                ],
                out,
            )?;
            for (cname, consumer) in &g.consumers {
                if consumer.pel.is_empty() {
                    emit(w, &[b"XGROUP", b"CREATECONSUMER", key, name, cname], out)?;
                    continue;
                }
                for id in &consumer.pel {
                    let Some(nack) = g.pel.get(id) else {
                        continue;
                    };
                    let idb = id.to_bytes();
                    let time = nack.delivery_time.to_string();
                    let count = nack.delivery_count.to_string();
                    emit(
                        w,
                        &[
                            b"XCLAIM",
                            key,
                            name,
                            cname,
                            b"0",
                            &idb,
                            b"TIME",
                            time.as_bytes(),
                            b"RETRYCOUNT",
                            count.as_bytes(),
                            b"JUSTID",
                            b"FORCE",
                        ],
                        out,
                    )?;
                }
            }
        }
    }
    Ok(())
}

impl Server {
    /// rewriteAppendOnlyFileRio with the command format.
    pub fn rewrite_aof_commands<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        if self.config.get_bool("aof-timestamp-enabled") {
            w.write_all(format!("#TS:{}\r\n", super::unix_time()).as_bytes())?;
        }
        let delay = self.config.get_i64("rdb-key-save-delay");
        let mut out = Vec::new();
        // rewriteFunctions: the libraries come first, as FUNCTION LOAD.
        for lib in self.scripting.functions.libraries.values() {
            out.clear();
            cat_command(&mut out, 3, [&b"FUNCTION"[..], b"LOAD", &lib.code]);
            w.write_all(&out)?;
        }
        for (j, db) in self.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            out.clear();
            let n = j.to_string();
            cat_command(&mut out, 2, [&b"SELECT"[..], n.as_bytes()]);
            w.write_all(&out)?;
            for (key, o) in db.keys_iter() {
                match &o.val {
                    Value::Str(s) => {
                        let mut t = [0u8; 20];
                        out.clear();
                        cat_command(&mut out, 3, [&b"SET"[..], key, s.as_bytes(&mut t)]);
                        w.write_all(&out)?;
                    }
                    Value::List(q) => {
                        let mut items = Vec::with_capacity(q.len());
                        q.for_each(0, false, |_, v| {
                            items.push(v.to_vec());
                            true
                        });
                        batched(w, b"RPUSH", key, &items, 1, &mut out)?;
                    }
                    Value::Set(s) => {
                        let mut items = Vec::with_capacity(s.len());
                        s.for_each(|m| items.push(m.to_vec()));
                        batched(w, b"SADD", key, &items, 1, &mut out)?;
                    }
                    Value::ZSet(z) => {
                        let mut items = Vec::with_capacity(z.len() * 2);
                        for (m, score) in z.items() {
                            items.push(crate::util::fmt_g(score, 17).into_bytes());
                            items.push(m);
                        }
                        batched(w, b"ZADD", key, &items, 2, &mut out)?;
                    }
                    Value::Hash(h) => {
                        let mut items = Vec::with_capacity(h.len() * 2);
                        h.for_each(|f, v| {
                            items.push(f.to_vec());
                            items.push(v.to_vec());
                        });
                        batched(w, b"HMSET", key, &items, 2, &mut out)?;
                    }
                    Value::Stream(s) => rewrite_stream(w, key, s, &mut out)?,
                }
                if let Some(when) = db.expire_of(key) {
                    out.clear();
                    let ms = when.to_string();
                    cat_command(&mut out, 3, [&b"PEXPIREAT"[..], key, ms.as_bytes()]);
                    w.write_all(&out)?;
                }
                if delay > 0 {
                    std::thread::sleep(std::time::Duration::from_micros(delay as u64));
                }
            }
        }
        Ok(())
    }

    /// rewriteAppendOnlyFile: the dataset into `temp-rewriteaof-<pid>.aof`, fsync'd and
    /// renamed to `path`.
    pub fn rewrite_append_only_file(&self, path: &Path, rdb: bool) -> Result<(), String> {
        let tmp = format!("temp-rewriteaof-{}.aof", std::process::id());
        let f = std::fs::File::create(&tmp).map_err(|e| {
            format!(
                "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}",
                super::strerror(&e)
            )
        })?;
        // aof-rewrite-incremental-fsync: fsync every 4 MB so the final fsync is short.
        let every = if self.config.get_bool("aof-rewrite-incremental-fsync") {
            AUTOSYNC_BYTES
        } else {
            0
        };
        let f = AutoSync {
            f,
            unsynced: 0,
            every,
        };
        let mut w = std::io::BufWriter::with_capacity(64 * 1024, f);
        let res = if rdb {
            crate::rdb::save::save_to_writer(
                self,
                &mut w,
                crate::rdb::save::SAVE_AOF_PREAMBLE,
                crate::child::report_progress,
            )
            .map(|_| ())
        } else {
            self.rewrite_aof_commands(&mut w)
        }
        .and_then(|_| w.flush())
        .and_then(|_| w.get_ref().f.sync_all());
        if let Err(e) = res {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!(
                "Write error writing append only file on disk: {}",
                super::strerror(&e)
            ));
        }
        drop(w);
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!(
                "Error moving temp append only file on the final destination: {}",
                super::strerror(&e)
            ));
        }
        log::info!("SYNC append only file rewrite performed");
        Ok(())
    }
}

/// Forks the rewrite child (child.rs): it writes `temp-rewriteaof-bg-<pid>.aof` and
/// exits 0 on success; the parent's done handler installs it as the new BASE.
pub fn fork_rewrite(srv: &mut Server, rdb: bool) -> Result<i32, String> {
    crate::child::start_child(
        srv,
        crate::child::ChildKind::Aof,
        |srv, pid, code, sig| srv.background_rewrite_done(pid, code, sig),
        move |srv| {
            let tmp = format!("temp-rewriteaof-bg-{}.aof", std::process::id());
            match srv.rewrite_append_only_file(Path::new(&tmp), rdb) {
                Ok(()) => {
                    crate::child::report_final_cow("AOF rewrite");
                    0
                }
                Err(e) => {
                    log::warn!("{}", e);
                    1
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::networking::Client;
    use crate::resp::OwnedArgv;

    fn run(srv: &mut Server, c: &mut Client, args: &[&str]) {
        let a = OwnedArgv::from_slices(args.iter());
        srv.process_command(c, &a.view());
    }

    #[test]
    fn rewrite_emits_rebuilding_commands() {
        let mut srv = Server::new(Config::default());
        let mut c = Client::fake(1);
        run(&mut srv, &mut c, &["set", "s", "v"]);
        run(&mut srv, &mut c, &["pexpireat", "s", "99999999999999"]);
        run(&mut srv, &mut c, &["rpush", "l", "a", "1"]);
        run(&mut srv, &mut c, &["zadd", "z", "1.5", "m"]);
        run(&mut srv, &mut c, &["select", "3"]);
        run(&mut srv, &mut c, &["hset", "h", "f", "v"]);
        let mut out = Vec::new();
        srv.rewrite_aof_commands(&mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"));
        assert!(s.contains("*3\r\n$3\r\nSET\r\n$1\r\ns\r\n$1\r\nv\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\ns\r\n$14\r\n99999999999999\r\n"));
        assert!(s.contains("*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\na\r\n$1\r\n1\r\n"));
        assert!(s.contains("*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$1\r\nm\r\n"));
        assert!(s.contains("*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*4\r\n$5\r\nHMSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n"));
    }

    #[test]
    fn batches_of_64() {
        let mut srv = Server::new(Config::default());
        let mut c = Client::fake(1);
        let mut args = vec!["sadd".to_string(), "s".to_string()];
        for i in 0..130 {
            args.push(format!("m{}", i));
        }
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        run(&mut srv, &mut c, &refs);
        let mut out = Vec::new();
        srv.rewrite_aof_commands(&mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s.matches("*66\r\n$4\r\nSADD").count(), 2);
        assert_eq!(s.matches("*4\r\n$4\r\nSADD").count(), 1);
    }
}

//! Loading the AOF at startup (loadAppendOnlyFiles / loadSingleAppendOnlyFile): the
//! manifest, the 5.0 single-file upgrade, then BASE and INCR files replayed through a
//! fake client, with Redis's handling of truncated tails (`aof-load-truncated`, only in
//! the last file), incomplete MULTI blocks, #TS annotations and its log texts.

use super::manifest::{FileType, Manifest};
use super::{strerror, AofState, LoadStatus};
use crate::networking::{Client, ClientFlags};
use crate::resp::OwnedArgv;
use crate::server::Server;
use std::path::Path;

/// Where parsing one file stopped.
enum Stop {
    /// Clean end of file.
    Eof,
    /// End of file inside a command.
    ShortRead,
    /// Not RESP.
    Format,
    /// A command we don't have (its name).
    Unknown(Vec<u8>),
}

/// The fixed-size line reads Redis does with fgets(buf, 1024).
fn fgets(data: &[u8], pos: &mut usize) -> Option<(usize, usize)> {
    if *pos >= data.len() {
        return None;
    }
    let start = *pos;
    let max = 1023.min(data.len() - start);
    let end = match data[start..start + max].iter().position(|&b| b == b'\n') {
        Some(p) => start + p + 1,
        None => start + max,
    };
    *pos = end;
    Some((start, end))
}

fn atoi(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && (s[i] == b' ' || s[i] == b'\t') {
        i += 1;
    }
    let neg = i < s.len() && s[i] == b'-';
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        i += 1;
    }
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add((s[i] - b'0') as i64);
        i += 1;
    }
    if neg {
        -v
    } else {
        v
    }
}

/// Parses RESP commands from `data[pos..]`, calling `f` with each command and the
/// offset just past it. Returns why it stopped.
pub fn parse_commands(
    data: &[u8],
    mut pos: usize,
    mut f: impl FnMut(OwnedArgv, usize) -> Result<(), Vec<u8>>,
) -> Stop {
    loop {
        let Some((s, e)) = fgets(data, &mut pos) else {
            return Stop::Eof;
        };
        let line = &data[s..e];
        if line[0] == b'#' {
            continue;
        }
        if line[0] != b'*' {
            return Stop::Format;
        }
        if line.len() == 1 {
            return Stop::ShortRead;
        }
        let argc = atoi(&line[1..]);
        if argc < 1 {
            return Stop::Format;
        }
        let mut argv = OwnedArgv::default();
        for _ in 0..argc {
            let Some((s, e)) = fgets(data, &mut pos) else {
                return Stop::ShortRead;
            };
            if data[s] != b'$' {
                return Stop::Format;
            }
            let len = atoi(&data[s + 1..e]).max(0) as usize;
            if data.len() - pos < len {
                return Stop::ShortRead;
            }
            argv.push(&data[pos..pos + len]);
            pos += len;
            if data.len() - pos < 2 {
                return Stop::ShortRead;
            }
            pos += 2;
        }
        if let Err(name) = f(argv, pos) {
            return Stop::Unknown(name);
        }
    }
}

impl Server {
    fn aof_dir(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(
            String::from_utf8_lossy(&self.config.get_str("appenddirname").unwrap_or_default())
                .into_owned(),
        )
    }

    fn aof_prefix(&self) -> String {
        String::from_utf8_lossy(&self.config.get_str("appendfilename").unwrap_or_default())
            .into_owned()
    }

    /// aofLoadManifestFromDisk: a broken manifest is fatal.
    pub fn aof_load_manifest_from_disk(&mut self) {
        self.aof.manifest = Manifest::default();
        let dir = self.aof_dir();
        if !dir.is_dir() {
            log::debug!("The AOF directory {} doesn't exist", dir.display());
            return;
        }
        let name = format!("{}{}", self.aof_prefix(), super::manifest::MANIFEST_SUFFIX);
        let path = dir.join(&name);
        if !path.exists() {
            log::debug!("The AOF manifest file {} doesn't exist", name);
            return;
        }
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) => {
                log::warn!(
                    "Fatal error: can't open the AOF manifest file {} for reading: {}",
                    path.display(),
                    strerror(&e)
                );
                std::process::exit(1);
            }
        };
        match Manifest::parse(&text) {
            Ok(m) => self.aof.manifest = m,
            Err(e) => {
                log::warn!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
                if let Some((n, l)) = e.line {
                    log::warn!("Reading the manifest file, at line {}\n", n);
                    log::warn!(">>> '{}'\n", l);
                }
                log::warn!("{}\n", e.msg);
                std::process::exit(1);
            }
        }
    }

    /// Startup: the AOF when appendonly is on (the RDB otherwise belongs to the RDB
    /// half of issue 5), then the INCR file opened for writing. Exits on failure.
    pub fn load_aof_at_startup(&mut self) {
        if !self.config.get_bool("appendonly") {
            return;
        }
        self.aof.state = AofState::On;
        self.aof_load_manifest_from_disk();
        let start = crate::util::ustime();
        let ret = self.load_append_only_files();
        if matches!(ret, LoadStatus::Failed | LoadStatus::OpenErr) {
            std::process::exit(1);
        }
        if ret != LoadStatus::NotExist {
            log::info!(
                "DB loaded from append only file: {:.3} seconds",
                (crate::util::ustime() - start) as f64 / 1e6
            );
        }
        self.aof_open_on_server_start();
        self.aof_del_history_files();
    }

    /// DEBUG LOADAOF: flush, empty the dataset, load the files again (exit on failure).
    pub fn debug_loadaof(&mut self) {
        if self.aof.state != AofState::Off {
            self.flush_append_only_file(true);
        }
        self.empty_data(None, false);
        self.aof_load_manifest_from_disk();
        self.aof_del_history_files();
        let ret = self.load_append_only_files();
        if ret != LoadStatus::Ok && ret != LoadStatus::Empty {
            std::process::exit(1);
        }
        // Nothing of the reload is propagated.
        self.dirty = 0;
        log::warn!("Append Only File loaded by DEBUG LOADAOF");
    }

    /// aofUpgradePrepare: move 5.0's single file into the AOF dir as BASE seq 1.
    fn aof_upgrade_prepare(&mut self) {
        let dir = self.aof_dir();
        let prefix = self.aof_prefix();
        if let Err(e) = std::fs::create_dir_all(&dir) {
            log::warn!(
                "Can't open or create append-only dir {}: {}",
                dir.display(),
                strerror(&e)
            );
            std::process::exit(1);
        }
        self.aof.manifest.base = Some(super::manifest::AofInfo {
            name: prefix.clone(),
            seq: 1,
            ftype: FileType::Base,
        });
        self.aof.manifest.curr_base_seq = 1;
        self.aof.manifest.dirty = true;
        if let Err(e) = self.persist_aof_manifest() {
            log::warn!("{}", e);
            std::process::exit(1);
        }
        if let Err(e) = std::fs::rename(&prefix, dir.join(&prefix)) {
            log::warn!(
                "Error trying to move the old AOF file {} into dir {}: {}",
                prefix,
                dir.display(),
                strerror(&e)
            );
            std::process::exit(1);
        }
        log::info!(
            "Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).",
            prefix,
            dir.display()
        );
    }

    /// loadAppendOnlyFiles.
    pub fn load_append_only_files(&mut self) -> LoadStatus {
        let dir = self.aof_dir();
        let prefix = self.aof_prefix();
        if Path::new(&prefix).is_file() {
            let am = &self.aof.manifest;
            if !dir.is_dir()
                || (am.base.is_none() && am.incr.is_empty())
                || (am.incr.is_empty()
                    && am.base.as_ref().is_some_and(|b| b.name == prefix)
                    && !dir.join(&prefix).exists())
            {
                self.aof_upgrade_prepare();
            }
        }
        let files: Vec<String> = self
            .aof
            .manifest
            .load_order()
            .iter()
            .map(|i| i.name.clone())
            .collect();
        if files.is_empty() {
            return LoadStatus::NotExist;
        }
        let mut total = 0u64;
        for f in &files {
            match std::fs::metadata(dir.join(f)) {
                Ok(m) => total += m.len(),
                Err(e) => {
                    log::warn!(
                        "Unable to obtain the AOF file {} length. stat: {}",
                        f,
                        strerror(&e)
                    );
                    return LoadStatus::Failed;
                }
            }
        }
        if total == 0 {
            return LoadStatus::Empty;
        }
        self.start_loading(total);
        let has_base = self.aof.manifest.base.is_some();
        let mut base_size = 0;
        let mut ret = LoadStatus::Ok;
        let n = files.len();
        for (i, name) in files.iter().enumerate() {
            let last = i + 1 == n;
            let is_base = has_base && i == 0;
            if is_base {
                base_size = std::fs::metadata(dir.join(name))
                    .map(|m| m.len())
                    .unwrap_or(0);
            }
            let start = crate::util::ustime();
            ret = self.load_single_append_only_file(name);
            if ret == LoadStatus::Ok || (ret == LoadStatus::Truncated && last) {
                log::info!(
                    "DB loaded from {} file {}: {:.3} seconds",
                    if is_base { "base" } else { "incr" },
                    name,
                    (crate::util::ustime() - start) as f64 / 1e6
                );
            }
            if ret == LoadStatus::Empty && !is_base {
                ret = LoadStatus::Ok;
            }
            if ret == LoadStatus::Truncated && !last {
                ret = LoadStatus::Failed;
                log::warn!("Fatal error: the truncated file is not the last file");
            }
            if matches!(ret, LoadStatus::OpenErr | LoadStatus::Failed) {
                self.stop_loading();
                return ret;
            }
        }
        self.aof.current_size = total;
        self.aof.rewrite_base_size = base_size;
        self.stop_loading();
        ret
    }

    /// loadSingleAppendOnlyFile.
    pub fn load_single_append_only_file(&mut self, name: &str) -> LoadStatus {
        let path = self.aof_dir().join(name);
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                log::warn!(
                    "The append log file {} doesn't exist: {}",
                    name,
                    strerror(&e)
                );
                return LoadStatus::NotExist;
            }
            Err(e) => {
                log::warn!(
                    "Fatal error: can't open the append log file {} for reading: {}",
                    name,
                    strerror(&e)
                );
                return LoadStatus::OpenErr;
            }
        };
        if data.is_empty() {
            return LoadStatus::Empty;
        }
        let old_state = self.aof.state;
        self.aof.state = AofState::Off;
        let mut pos = 0;
        if data.starts_with(b"REDIS") {
            let old_style = name == self.aof_prefix();
            if old_style {
                log::info!("Reading RDB preamble from AOF file...");
            } else {
                log::info!("Reading RDB base file on AOF loading...");
            }
            let mut rest: &[u8] = &data;
            // Clients are served every loading-process-events-interval-bytes
            // of the preamble, as for an RDB file (rdbLoadProgressCallback).
            let interval = self
                .config
                .get_i64("loading-process-events-interval-bytes")
                .max(1) as u64;
            let mut next = interval;
            let res = crate::rdb::load::load_from_reader(
                self,
                &mut rest,
                crate::rdb::load::LOAD_AOF_PREAMBLE,
                &mut |srv, pos| {
                    if pos >= next {
                        next = pos + interval;
                        srv.rdb.loading_loaded_bytes = pos;
                        srv.loading_process_events();
                    }
                },
            );
            if let Err(e) = res {
                log::warn!("{}", e.msg);
                if old_style {
                    log::warn!(
                        "Error reading the RDB preamble of the AOF file {}, AOF loading aborted",
                        name
                    );
                } else {
                    log::warn!(
                        "Error reading the RDB base file {}, AOF loading aborted",
                        name
                    );
                }
                self.aof.state = old_state;
                return LoadStatus::Failed;
            }
            pos = data.len() - rest.len();
            self.rdb.loading_loaded_bytes = pos as u64;
            if old_style {
                log::info!("Reading the remaining AOF tail...");
            }
        }
        let truncate_ok = self.config.get_bool("aof-load-truncated");
        let mut fake = Client::fake(super::AOF_CLIENT_ID);
        fake.flags.set(ClientFlags::DENY_BLOCKING);
        fake.flags.set(ClientFlags::REPLY_OFF);
        let mut valid_up_to = 0usize;
        let mut valid_before_multi = 0usize;
        let mut multi: Option<Vec<OwnedArgv>> = None;
        let key_load_delay = self.config.get_i64("key-load-delay");
        let mut rng = (crate::util::ustime() as u64) | 1;
        // Clients are served (with -LOADING) every 1024 commands, as Redis does.
        let mut loops: u64 = 0;
        let mut reported = pos;
        let mut cmd_start = pos;
        let stop = {
            let srv = &mut *self;
            parse_commands(&data, pos, |argv, end| {
                if loops % 1024 == 0 {
                    srv.rdb.loading_loaded_bytes += (cmd_start - reported) as u64;
                    reported = cmd_start;
                    srv.loading_process_events();
                }
                loops += 1;
                cmd_start = end;
                let v = argv.view();
                let name = v.get(0);
                if name.eq_ignore_ascii_case(b"multi") {
                    valid_before_multi = valid_up_to;
                    multi = Some(Vec::new());
                } else if name.eq_ignore_ascii_case(b"exec") && multi.is_some() {
                    for q in multi.take().unwrap() {
                        srv.aof_run_loaded(&mut fake, &q)?;
                    }
                } else if let Some(q) = multi.as_mut() {
                    if srv.aof_lookup(&argv).is_none() {
                        return Err(name.to_vec());
                    }
                    q.push(argv);
                } else {
                    srv.aof_run_loaded(&mut fake, &argv)?;
                }
                if truncate_ok {
                    valid_up_to = end;
                }
                if key_load_delay != 0 {
                    crate::rdb::save::debug_delay(key_load_delay, &mut rng);
                }
                Ok(())
            })
        };
        self.rdb.loading_loaded_bytes += (cmd_start - reported) as u64;
        let mut stop = stop;
        if matches!(stop, Stop::Eof) && multi.is_some() {
            log::warn!(
                "Revert incomplete MULTI/EXEC transaction in AOF file {}",
                name
            );
            valid_up_to = valid_before_multi;
            stop = Stop::ShortRead;
        }
        self.aof.state = old_state;
        match stop {
            Stop::Eof => LoadStatus::Ok,
            Stop::Unknown(cmd) => {
                log::warn!(
                    "Unknown command '{}' reading the append only file {}",
                    String::from_utf8_lossy(&cmd),
                    name
                );
                LoadStatus::Failed
            }
            Stop::Format => {
                log::warn!("Bad file format reading the append only file {}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name);
                LoadStatus::Failed
            }
            Stop::ShortRead => {
                if truncate_ok {
                    log::warn!(
                        "!!! Warning: short read while loading the AOF file {}!!!",
                        name
                    );
                    log::warn!(
                        "!!! Truncating the AOF {} at offset {} !!!",
                        name,
                        valid_up_to
                    );
                    let r = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .and_then(|f| f.set_len(valid_up_to as u64));
                    match r {
                        Err(e) => {
                            log::warn!("Error truncating the AOF file {}: {}", name, strerror(&e))
                        }
                        Ok(()) => {
                            log::warn!(
                                "AOF {} loaded anyway because aof-load-truncated is enabled",
                                name
                            );
                            return LoadStatus::Truncated;
                        }
                    }
                }
                log::warn!("Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name);
                LoadStatus::Failed
            }
        }
    }

    /// The command table entry for a loaded command (subcommands resolved).
    fn aof_lookup(&self, argv: &OwnedArgv) -> Option<usize> {
        let v = argv.view();
        let top = self.commands.lookup_top(v.get(0))?;
        let cmd = &self.commands.cmds[top];
        if !cmd.subcommands.is_empty() && v.len() >= 2 {
            return cmd.subcommands.get(&v.get(1).to_ascii_lowercase()).copied();
        }
        Some(top)
    }

    /// Runs one command from the AOF as the fake client (no checks, no propagation).
    fn aof_run_loaded(&mut self, fake: &mut Client, argv: &OwnedArgv) -> Result<(), Vec<u8>> {
        let Some(id) = self.aof_lookup(argv) else {
            return Err(argv.view().get(0).to_vec());
        };
        let Some(handler) = self.commands.cmds[id].spec.handler else {
            return Err(argv.view().get(0).to_vec());
        };
        self.cmd_time_ms = crate::util::mstime();
        handler(self, fake, &argv.view());
        fake.reply.clear();
        fake.error_codes.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(data: &[u8]) -> (Vec<Vec<Vec<u8>>>, &'static str) {
        let mut out = Vec::new();
        let stop = parse_commands(data, 0, |a, _| {
            out.push(a.view().to_owned_vec());
            Ok(())
        });
        let s = match stop {
            Stop::Eof => "eof",
            Stop::ShortRead => "short",
            Stop::Format => "format",
            Stop::Unknown(_) => "unknown",
        };
        (out, s)
    }

    #[test]
    fn parses_and_classifies_ends() {
        let ok = b"#TS:1\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n";
        let (c, s) = cmds(ok);
        assert_eq!((c.len(), s), (2, "eof"));
        let (c, s) = cmds(&ok[..ok.len() - 1]);
        assert_eq!((c.len(), s), (1, "short"));
        let (c, s) = cmds(b"*1\r\n$4\r\nPING\r\n!!!");
        assert_eq!((c.len(), s), (1, "format"));
        assert_eq!(cmds(b"*").1, "short");
        assert_eq!(cmds(b"*0\r\n").1, "format");
    }
}

//! The append-only file (Redis's aof.c): propagated commands are appended to a buffer
//! that before_sleep writes to the current INCR file (before any reply goes out), fsync'd
//! per `appendfsync` (everysec on a background thread, like Redis's bio); the 7.0
//! multi-part layout (BASE + INCR files + manifest in `appenddirname`), loading it at
//! startup (and 5.0's single file, migrated as 7.0 does), rewrites, turning AOF on and
//! off at runtime, automatic rewrites, and the INFO persistence aof_* fields.
//! Loading lives in load.rs, the rewrite's dataset dump in rewrite.rs, the manifest in
//! manifest.rs and the redis-check-aof tool in check.rs.

pub mod check;
pub mod fsync;
pub mod load;
pub mod manifest;
pub mod rewrite;

use crate::resp::Argv;
use crate::server::Server;
use manifest::Manifest;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AofState {
    Off,
    On,
    /// Enabled at runtime, waiting for the first rewrite to finish.
    WaitRewrite,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fsync {
    No,
    Always,
    Everysec,
}

/// Result codes of loading (AOF_OK, AOF_NOT_EXIST, ...).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LoadStatus {
    Ok,
    NotExist,
    Empty,
    OpenErr,
    Failed,
    Truncated,
}

pub struct Aof {
    pub state: AofState,
    pub file: Option<File>,
    /// server.aof_buf: written to `file` in before_sleep.
    pub buf: Vec<u8>,
    /// The DB of the last command written to the current file (None: emit SELECT).
    pub selected_db: Option<usize>,
    pub manifest: Manifest,
    /// Last #TS annotation written (unix seconds).
    pub cur_timestamp: i64,
    pub current_size: u64,
    pub rewrite_base_size: u64,
    pub last_incr_size: u64,
    pub last_incr_fsync_offset: u64,
    /// Unix time of the last fsync (or fsync job).
    pub last_fsync: i64,
    pub flush_postponed_start: i64,
    pub delayed_fsync: u64,
    pub last_write_ok: bool,
    pub last_write_error: String,
    pub rewrite_scheduled: bool,
    pub rewrite_time_start: i64,
    pub rewrite_time_last: i64,
    pub last_bgrewrite_ok: bool,
    pub rewrites: u64,
    pub consecutive_failures: u64,
    /// aofRewriteLimited's state: minutes of the current back-off and when it ends.
    pub limit_next_delay_min: i64,
    pub limit_next_time: i64,
    pub bio: fsync::Bio,
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            state: AofState::Off,
            file: None,
            buf: Vec::new(),
            selected_db: None,
            manifest: Manifest::default(),
            cur_timestamp: 0,
            current_size: 0,
            rewrite_base_size: 0,
            last_incr_size: 0,
            last_incr_fsync_offset: 0,
            last_fsync: 0,
            flush_postponed_start: 0,
            delayed_fsync: 0,
            last_write_ok: true,
            last_write_error: String::new(),
            rewrite_scheduled: false,
            rewrite_time_start: -1,
            rewrite_time_last: -1,
            last_bgrewrite_ok: true,
            rewrites: 0,
            consecutive_failures: 0,
            limit_next_delay_min: 0,
            limit_next_time: 0,
            bio: fsync::Bio::default(),
        }
    }
}

/// The client id of the AOF loading client (CLIENT_ID_AOF): commands check it to
/// obey what the AOF says (mustObeyClient).
pub const AOF_CLIENT_ID: u64 = u64::MAX;

/// strerror-style text of an I/O error ("No such file or directory").
pub fn strerror(e: &std::io::Error) -> String {
    crate::server::listen::strerror(e)
}

pub fn unix_time() -> i64 {
    crate::util::mstime() / 1000
}

/// catAppendOnlyGenericCommand: one command in RESP multibulk form.
pub fn cat_command<'a, I: IntoIterator<Item = &'a [u8]>>(out: &mut Vec<u8>, argc: usize, args: I) {
    let mut t = [0u8; 20];
    out.push(b'*');
    out.extend_from_slice(crate::util::fmt_i64(argc as i64, &mut t));
    out.extend_from_slice(b"\r\n");
    for a in args {
        out.push(b'$');
        out.extend_from_slice(crate::util::fmt_i64(a.len() as i64, &mut t));
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

impl Server {
    pub fn aof_fsync_policy(&self) -> Fsync {
        match self.config.get_i64("appendfsync") {
            1 => Fsync::Always,
            0 => Fsync::No,
            _ => Fsync::Everysec,
        }
    }

    fn aof_filename(&self) -> String {
        String::from_utf8_lossy(&self.config.get_str("appendfilename").unwrap_or_default())
            .into_owned()
    }

    fn aof_dirname(&self) -> PathBuf {
        PathBuf::from(
            String::from_utf8_lossy(&self.config.get_str("appenddirname").unwrap_or_default())
                .into_owned(),
        )
    }

    /// Is the fork child an AOF rewrite?
    pub fn aof_child_running(&self) -> bool {
        self.child.kind() == Some(crate::child::ChildKind::Aof)
    }

    /// feedAppendOnlyFile: a propagated command, with SELECT and #TS annotations as needed.
    pub fn feed_append_only_file(&mut self, db: usize, argv: &Argv) {
        // WAIT_REWRITE only buffers while the rewrite runs: the temp INCR file then
        // receives it (there is none before the rewrite starts).
        if !(self.aof.state == AofState::On
            || (self.aof.state == AofState::WaitRewrite && self.aof_child_running()))
        {
            return;
        }
        if self.config.get_bool("aof-timestamp-enabled") {
            let now = unix_time();
            if self.aof.cur_timestamp < now {
                self.aof.cur_timestamp = now;
                self.aof
                    .buf
                    .extend_from_slice(format!("#TS:{}\r\n", now).as_bytes());
            }
        }
        if self.aof.selected_db != Some(db) {
            let s = db.to_string();
            cat_command(&mut self.aof.buf, 2, [&b"SELECT"[..], s.as_bytes()]);
            self.aof.selected_db = Some(db);
        }
        cat_command(&mut self.aof.buf, argv.len(), argv.iter());
    }

    /// flushAppendOnlyFile: one write of the buffer, then the fsync the policy asks for.
    pub fn flush_append_only_file(&mut self, force: bool) {
        if self.aof.file.is_none() {
            return;
        }
        let policy = self.aof_fsync_policy();
        let now = unix_time();
        let mut sync_in_progress = false;
        if self.aof.buf.is_empty() {
            // Data written but not yet fsync'd (writes stopped within the second).
            let unsynced = self.aof.last_incr_fsync_offset != self.aof.last_incr_size;
            if policy == Fsync::Everysec && unsynced && now > self.aof.last_fsync {
                sync_in_progress = self.aof.bio.fsync_pending();
                if sync_in_progress {
                    return;
                }
            } else if !(policy == Fsync::Always && unsynced) {
                return;
            }
        } else {
            if policy == Fsync::Everysec {
                sync_in_progress = self.aof.bio.fsync_pending();
            }
            if policy == Fsync::Everysec && !force && sync_in_progress {
                if self.aof.flush_postponed_start == 0 {
                    self.aof.flush_postponed_start = now;
                    return;
                } else if now - self.aof.flush_postponed_start < 2 {
                    return;
                }
                self.aof.delayed_fsync += 1;
                log::info!("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
            }
            let sleep = crate::debug::AOF_FLUSH_SLEEP_US.load(std::sync::atomic::Ordering::Relaxed);
            if sleep > 0 {
                std::thread::sleep(std::time::Duration::from_micros(sleep as u64));
            }
            let start = crate::util::monotonic_us();
            let mut f = self.aof.file.as_ref().unwrap();
            let (written, err) = write_all_count(&mut f, &self.aof.buf);
            let ms = (crate::util::monotonic_us() - start) / 1000;
            if sync_in_progress {
                self.latency_add_sample_if_needed("aof-write-pending-fsync", ms);
            } else if self.has_active_child() {
                self.latency_add_sample_if_needed("aof-write-active-child", ms);
            } else {
                self.latency_add_sample_if_needed("aof-write-alone", ms);
            }
            self.latency_add_sample_if_needed("aof-write", ms);
            self.aof.flush_postponed_start = 0;
            if written != self.aof.buf.len() {
                let mut written = written;
                match &err {
                    Some(e) if written == 0 => {
                        log::warn!("Error writing to the AOF file: {}", strerror(e));
                        self.aof.last_write_error = strerror(e);
                    }
                    _ => {
                        log::warn!(
                            "Short write while writing to the AOF file: (nwritten={}, expected={})",
                            written,
                            self.aof.buf.len()
                        );
                        let file = self.aof.file.as_ref().unwrap();
                        if let Err(e) = file.set_len(self.aof.last_incr_size) {
                            log::warn!("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {}", strerror(&e));
                        } else {
                            written = 0;
                        }
                        self.aof.last_write_error = "No space left on device".into();
                    }
                }
                if policy == Fsync::Always {
                    log::warn!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
                    std::process::exit(1);
                }
                self.aof.last_write_ok = false;
                if written > 0 {
                    self.aof.current_size += written as u64;
                    self.aof.last_incr_size += written as u64;
                    self.aof.buf.drain(..written);
                }
                return;
            }
            if !self.aof.last_write_ok {
                log::warn!("AOF write error looks solved, Redis can write again.");
                self.aof.last_write_ok = true;
            }
            self.aof.current_size += written as u64;
            self.aof.last_incr_size += written as u64;
            if self.aof.buf.capacity() < 4000 {
                self.aof.buf.clear();
            } else {
                self.aof.buf = Vec::new();
            }
        }
        // try_fsync:
        if self.config.get_bool("no-appendfsync-on-rewrite") && self.has_active_child() {
            return;
        }
        let file = self.aof.file.as_ref().unwrap();
        if policy == Fsync::Always {
            let start = crate::util::monotonic_us();
            if let Err(e) = file.sync_data() {
                log::warn!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...", strerror(&e));
                std::process::exit(1);
            }
            let ms = (crate::util::monotonic_us() - start) / 1000;
            self.latency_add_sample_if_needed("aof-fsync-always", ms);
            self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
            self.aof.last_fsync = now;
        } else if policy == Fsync::Everysec && now > self.aof.last_fsync {
            if !sync_in_progress {
                if let Ok(dup) = file.try_clone() {
                    self.aof.bio.fsync(dup, false);
                }
                self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
            }
            self.aof.last_fsync = now;
        }
    }

    /// aofOpenIfNeededOnServerStart: a BASE for an empty start, the last INCR opened
    /// for append (or a new one), the manifest persisted. Failures exit.
    pub fn aof_open_on_server_start(&mut self) {
        if self.aof.state != AofState::On {
            return;
        }
        let dir = self.aof_dirname();
        if let Err(e) = std::fs::create_dir_all(&dir) {
            log::warn!(
                "Can't open or create append-only dir {}: {}",
                dir.display(),
                strerror(&e)
            );
            std::process::exit(1);
        }
        let prefix = self.aof_filename();
        if self.aof.manifest.base.is_none() && self.aof.manifest.incr.is_empty() {
            let rdb = self.base_uses_rdb();
            let name = self.aof.manifest.new_base_name(&prefix, rdb);
            let path = dir.join(&name);
            if let Err(e) = self.rewrite_append_only_file(&path, rdb) {
                log::warn!("{}", e);
                std::process::exit(1);
            }
            log::info!("Creating AOF base file {} on server start", name);
        }
        let had_incr = !self.aof.manifest.incr.is_empty();
        let name = self.aof.manifest.last_incr_name(&prefix);
        match OpenOptions::new()
            .append(true)
            .create(true)
            .open(dir.join(&name))
        {
            Ok(f) => self.aof.file = Some(f),
            Err(e) => {
                log::warn!("Can't open the append-only file {}: {}", name, strerror(&e));
                std::process::exit(1);
            }
        }
        if let Err(e) = self.persist_aof_manifest() {
            log::warn!("{}", e);
            std::process::exit(1);
        }
        self.aof.last_incr_size = std::fs::metadata(dir.join(&name))
            .map(|m| m.len())
            .unwrap_or(0);
        self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
        if had_incr {
            log::info!("Opening AOF incr file {} on server start", name);
        } else {
            log::info!("Creating AOF incr file {} on server start", name);
        }
    }

    /// Whether a rewrite writes its BASE as an RDB (aof-use-rdb-preamble).
    pub fn base_uses_rdb(&self) -> bool {
        self.config.get_bool("aof-use-rdb-preamble")
    }

    pub fn persist_aof_manifest(&mut self) -> Result<(), String> {
        if !self.aof.manifest.dirty {
            return Ok(());
        }
        let dir = self.aof_dirname();
        let prefix = self.aof_filename();
        manifest::write_manifest_file(&dir, &prefix, &self.aof.manifest.to_text())?;
        self.aof.manifest.dirty = false;
        Ok(())
    }

    /// openNewIncrAofForAppend: the file new writes go to from the start of a rewrite.
    fn open_new_incr_for_append(&mut self) -> Result<(), ()> {
        if self.aof.state == AofState::Off {
            return Ok(());
        }
        let dir = self.aof_dirname();
        let prefix = self.aof_filename();
        let mut temp_am = None;
        let name = if self.aof.state == AofState::WaitRewrite {
            format!(
                "{}{}{}",
                manifest::TEMP_PREFIX,
                prefix,
                manifest::INCR_SUFFIX
            )
        } else {
            let mut am = self.aof.manifest.clone();
            let n = am.new_incr_name(&prefix);
            temp_am = Some(am);
            n
        };
        let f = match OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.join(&name))
        {
            Ok(f) => f,
            Err(e) => {
                log::warn!("Can't open the append-only file {}: {}", name, strerror(&e));
                return Err(());
            }
        };
        if let Some(am) = &temp_am {
            if let Err(e) = manifest::write_manifest_file(&dir, &prefix, &am.to_text()) {
                log::warn!("{}", e);
                return Err(());
            }
        }
        log::info!("Creating AOF incr file {} on background rewrite", name);
        if let Some(old) = self.aof.file.take() {
            // Already written; the fsync may lag as everysec allows, then it closes.
            self.aof.bio.fsync(old, true);
            self.aof.last_fsync = unix_time();
        }
        self.aof.file = Some(f);
        self.aof.last_incr_size = 0;
        self.aof.last_incr_fsync_offset = 0;
        if let Some(mut am) = temp_am {
            am.dirty = false;
            self.aof.manifest = am;
        }
        Ok(())
    }

    /// aofRewriteLimited: after 3 consecutive failures automatic rewrites back off
    /// 1, 2, 4, ... up to 60 minutes.
    pub fn aof_rewrite_limited(&mut self) -> bool {
        if self.aof.consecutive_failures < 3 {
            self.aof.limit_next_delay_min = 0;
            self.aof.limit_next_time = 0;
            return false;
        }
        let now = unix_time();
        if self.aof.limit_next_time != 0 {
            if now < self.aof.limit_next_time {
                return true;
            }
            self.aof.limit_next_time = 0;
            return false;
        }
        self.aof.limit_next_delay_min = if self.aof.limit_next_delay_min == 0 {
            1
        } else {
            (self.aof.limit_next_delay_min * 2).min(60)
        };
        self.aof.limit_next_time = now + self.aof.limit_next_delay_min * 60;
        log::warn!("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes", self.aof.limit_next_delay_min);
        true
    }

    /// stopAppendOnly (CONFIG SET appendonly no).
    pub fn stop_append_only(&mut self) {
        self.flush_append_only_file(true);
        if let Some(f) = self.aof.file.take() {
            match f.sync_data() {
                Err(e) => log::warn!("Fail to fsync the AOF file: {}", strerror(&e)),
                Ok(()) => self.aof.last_fsync = unix_time(),
            }
        }
        self.aof.selected_db = None;
        self.aof.state = AofState::Off;
        self.aof.rewrite_scheduled = false;
        self.aof.last_incr_size = 0;
        self.aof.last_incr_fsync_offset = 0;
        self.kill_append_only_child();
        self.aof.buf = Vec::new();
    }

    /// startAppendOnly (CONFIG SET appendonly yes): WAIT_REWRITE until a rewrite lands.
    pub fn start_append_only(&mut self) -> Result<(), ()> {
        self.aof.state = AofState::WaitRewrite;
        if (self.has_active_child() && !self.aof_child_running()) || self.in_exec {
            self.aof.rewrite_scheduled = true;
            log::warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        } else {
            if self.aof_child_running() {
                log::warn!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
                self.kill_append_only_child();
            }
            if self.rewrite_append_only_file_background().is_err() {
                self.aof.state = AofState::Off;
                log::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
                return Err(());
            }
        }
        self.aof.last_fsync = unix_time();
        if !self.aof.bio.take_fsync_error_ok() {
            log::warn!("AOF reopen, just ignore the AOF fsync error in bio job");
        }
        if !self.aof.last_write_ok {
            log::warn!("AOF reopen, just ignore the last error.");
            self.aof.last_write_ok = true;
        }
        Ok(())
    }

    /// Config apply hook for `appendonly`.
    pub fn apply_appendonly(&mut self, on: bool) -> Result<(), String> {
        if !on && self.aof.state != AofState::Off {
            self.stop_append_only();
        } else if on && self.aof.state == AofState::Off && self.start_append_only().is_err() {
            return Err("Unable to turn on AOF. Check server logs.".into());
        }
        Ok(())
    }

    /// Path of a rewrite child's output (in `dir`, not in the AOF directory).
    fn rewrite_temp_path(pid: i32) -> PathBuf {
        PathBuf::from(format!("temp-rewriteaof-bg-{}.aof", pid))
    }

    /// rewriteAppendOnlyFileBackground: switch writes to a new INCR file, then the
    /// child writes the new BASE. Runs the dump in a forked child.
    pub fn rewrite_append_only_file_background(&mut self) -> Result<(), ()> {
        if self.has_active_child() {
            return Err(());
        }
        let dir = self.aof_dirname();
        if let Err(e) = std::fs::create_dir_all(&dir) {
            log::warn!(
                "Can't open or create append-only dir {}: {}",
                dir.display(),
                strerror(&e)
            );
            self.aof.last_bgrewrite_ok = false;
            self.aof.consecutive_failures += 1;
            return Err(());
        }
        // The new INCR file gets a SELECT first.
        self.aof.selected_db = None;
        self.flush_append_only_file(true);
        if self.open_new_incr_for_append().is_err() {
            self.aof.last_bgrewrite_ok = false;
            self.aof.consecutive_failures += 1;
            return Err(());
        }
        self.aof.rewrite_time_start = unix_time();
        let rdb = self.base_uses_rdb();
        match rewrite::fork_rewrite(self, rdb) {
            Ok(pid) => {
                log::info!(
                    "Background append only file rewriting started by pid {}",
                    pid
                );
                self.aof.rewrite_scheduled = false;
                Ok(())
            }
            Err(e) => {
                log::warn!("Can't rewrite append only file in background: fork: {}", e);
                self.aof.last_bgrewrite_ok = false;
                self.aof.consecutive_failures += 1;
                self.aof.rewrite_time_start = -1;
                Err(())
            }
        }
    }

    /// killAppendOnlyChild: SIGUSR1, reaped at once; the done handler cleans up.
    pub fn kill_append_only_child(&mut self) {
        if !self.aof_child_running() {
            return;
        }
        if let Some(pid) = self.child.pid() {
            log::info!("Killing running AOF rewrite child: {}", pid);
        }
        crate::child::kill_child(self);
        self.aof.rewrite_time_start = -1;
    }

    /// backgroundRewriteDoneHandler (run by child.rs when the rewrite child ends).
    pub fn background_rewrite_done(&mut self, pid: i32, code: i32, signal: i32) {
        let tmp = Self::rewrite_temp_path(pid);
        if signal == 0 && code == 0 {
            log::info!("Background AOF rewrite terminated with success");
            let dir = self.aof_dirname();
            let prefix = self.aof_filename();
            let mut am = self.aof.manifest.clone();
            let rdb = self.base_uses_rdb();
            let base = am.new_base_name(&prefix, rdb);
            let base_path = dir.join(&base);
            let ok = (|| -> Result<(), ()> {
                if let Err(e) = std::fs::rename(&tmp, &base_path) {
                    log::warn!(
                        "Error trying to rename the temporary AOF base file {} into {}: {}",
                        tmp.display(),
                        base_path.display(),
                        strerror(&e)
                    );
                    return Err(());
                }
                log::info!(
                    "Successfully renamed the temporary AOF base file {} into {}",
                    tmp.display(),
                    base
                );
                if self.aof.state == AofState::WaitRewrite {
                    let temp_incr = format!(
                        "{}{}{}",
                        manifest::TEMP_PREFIX,
                        prefix,
                        manifest::INCR_SUFFIX
                    );
                    let new_incr = am.new_incr_name(&prefix);
                    if let Err(e) = std::fs::rename(dir.join(&temp_incr), dir.join(&new_incr)) {
                        log::warn!(
                            "Error trying to rename the temporary AOF incr file {} into {}: {}",
                            dir.join(&temp_incr).display(),
                            dir.join(&new_incr).display(),
                            strerror(&e)
                        );
                        let _ = std::fs::remove_file(&base_path);
                        return Err(());
                    }
                    log::info!(
                        "Successfully renamed the temporary AOF incr file {} into {}",
                        temp_incr,
                        new_incr
                    );
                }
                am.mark_rewritten_incr_as_history(self.aof.file.is_some());
                if let Err(e) = manifest::write_manifest_file(&dir, &prefix, &am.to_text()) {
                    log::warn!("{}", e);
                    let _ = std::fs::remove_file(&base_path);
                    return Err(());
                }
                Ok(())
            })();
            if ok.is_ok() {
                am.dirty = false;
                self.aof.manifest = am;
                if self.aof.state != AofState::Off {
                    let base_size = std::fs::metadata(&base_path).map(|m| m.len()).unwrap_or(0);
                    self.aof.current_size = base_size + self.aof.last_incr_size;
                    self.aof.rewrite_base_size = self.aof.current_size;
                }
                self.aof_del_history_files();
                self.aof.last_bgrewrite_ok = true;
                self.aof.consecutive_failures = 0;
                self.aof.rewrites += 1;
                log::info!("Background AOF rewrite finished successfully");
                if self.aof.state == AofState::WaitRewrite {
                    self.aof.state = AofState::On;
                }
            } else {
                self.aof.last_bgrewrite_ok = false;
                self.aof.consecutive_failures += 1;
            }
        } else if signal == 0 {
            self.aof.last_bgrewrite_ok = false;
            self.aof.consecutive_failures += 1;
            log::warn!("Background AOF rewrite terminated with error");
        } else {
            if signal != libc::SIGUSR1 {
                self.aof.last_bgrewrite_ok = false;
                self.aof.consecutive_failures += 1;
            }
            log::warn!("Background AOF rewrite terminated by signal {}", signal);
        }
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(format!("temp-rewriteaof-{}.aof", pid));
        if self.aof.state == AofState::WaitRewrite {
            self.aof.buf = Vec::new();
            let name = format!(
                "{}{}{}",
                manifest::TEMP_PREFIX,
                self.aof_filename(),
                manifest::INCR_SUFFIX
            );
            log::info!("Removing the temp incr aof file {} in the background", name);
            let _ = std::fs::remove_file(self.aof_dirname().join(&name));
            // The temp INCR is gone: the WAIT_REWRITE writer holds nothing now.
            self.aof.file = None;
            self.aof.rewrite_scheduled = true;
        }
        self.aof.rewrite_time_last = unix_time() - self.aof.rewrite_time_start;
        self.aof.rewrite_time_start = -1;
    }

    /// aofDelHistoryFiles (unless aof-disable-auto-gc).
    pub fn aof_del_history_files(&mut self) {
        if self.config.get_bool("aof-disable-auto-gc") || self.aof.manifest.history.is_empty() {
            return;
        }
        let dir = self.aof_dirname();
        for h in std::mem::take(&mut self.aof.manifest.history) {
            log::info!("Removing the history file {} in the background", h.name);
            self.aof.bio.unlink(dir.join(&h.name));
        }
        self.aof.manifest.dirty = true;
        if let Err(e) = self.persist_aof_manifest() {
            log::warn!("{}", e);
        }
    }

    /// The AOF part of serverCron: reap the child, start scheduled or automatic
    /// rewrites, retry postponed flushes and the everysec fsync.
    pub fn aof_cron(&mut self) {
        if !self.has_active_child() && self.aof.rewrite_scheduled && !self.aof_rewrite_limited() {
            let _ = self.rewrite_append_only_file_background();
        }
        if self.aof.state == AofState::On && !self.has_active_child() {
            let perc = self.config.get_i64("auto-aof-rewrite-percentage");
            let min = self.config.get_i64("auto-aof-rewrite-min-size") as u64;
            if perc != 0 && self.aof.current_size > min {
                let base = self.aof.rewrite_base_size.max(1);
                let growth = (self.aof.current_size * 100 / base) as i64 - 100;
                if growth >= perc && !self.aof_rewrite_limited() {
                    log::info!("Starting automatic rewriting of AOF on {}% growth", growth);
                    let _ = self.rewrite_append_only_file_background();
                }
            }
        }
        if self.aof.state == AofState::On && self.aof.flush_postponed_start != 0 {
            self.flush_append_only_file(false);
        }
        // Every second: flush (and fsync) what a slow background fsync made us postpone,
        // and reset the write error once writes work again.
        if self.aof.state == AofState::On && self.cronloops % (self.hz.max(1) as u64) == 0 {
            self.flush_append_only_file(false);
        }
    }

    /// finishShutdown's AOF part: the rewrite child is killed (the AOF we have holds
    /// the whole dataset), the buffer written and fsync'd.
    pub fn aof_shutdown(&mut self) {
        if self.aof_child_running() {
            log::warn!("There is a child rewriting the AOF. Killing it!");
            self.kill_append_only_child();
        }
        if self.aof.state != AofState::Off {
            log::info!("Calling fsync() on the AOF file.");
            self.flush_append_only_file(true);
            if let Some(f) = &self.aof.file {
                if let Err(e) = f.sync_data() {
                    log::warn!("Fail to fsync the AOF file: {}.", strerror(&e));
                }
            }
        }
    }

    /// Memory of the AOF buffer (INFO mem_aof_buffer, MEMORY STATS aof.buffer).
    pub fn aof_buffer_mem(&self) -> usize {
        if self.aof.state == AofState::Off {
            0
        } else {
            self.aof.buf.capacity()
        }
    }

    /// The `aof_*` lines of INFO persistence.
    pub fn info_aof_fields(&self) -> String {
        let now = unix_time();
        let in_progress = self.aof_child_running();
        let mut s = format!(
            "aof_enabled:{}\r\n\
             aof_rewrite_in_progress:{}\r\n\
             aof_rewrite_scheduled:{}\r\n\
             aof_last_rewrite_time_sec:{}\r\n\
             aof_current_rewrite_time_sec:{}\r\n\
             aof_last_bgrewrite_status:{}\r\n\
             aof_rewrites:{}\r\n\
             aof_rewrites_consecutive_failures:{}\r\n\
             aof_last_write_status:{}\r\n\
             aof_last_cow_size:{}\r\n",
            (self.aof.state != AofState::Off) as i32,
            in_progress as i32,
            self.aof.rewrite_scheduled as i32,
            self.aof.rewrite_time_last,
            if in_progress {
                now - self.aof.rewrite_time_start
            } else {
                -1
            },
            if self.aof.last_bgrewrite_ok {
                "ok"
            } else {
                "err"
            },
            self.aof.rewrites,
            self.aof.consecutive_failures,
            if self.aof.last_write_ok && self.aof.bio.fsync_ok() {
                "ok"
            } else {
                "err"
            },
            self.child.aof_cow_bytes,
        );
        s.push_str(&format!(
            "module_fork_in_progress:{}\r\nmodule_fork_last_cow_size:{}\r\n",
            (self.child.kind() == Some(crate::child::ChildKind::Module)) as i32,
            self.child.module_cow_bytes
        ));
        if self.config.get_bool("appendonly") {
            s.push_str(&format!(
                "aof_current_size:{}\r\n\
                 aof_base_size:{}\r\n\
                 aof_pending_rewrite:{}\r\n\
                 aof_buffer_length:{}\r\n\
                 aof_pending_bio_fsync:{}\r\n\
                 aof_delayed_fsync:{}\r\n",
                self.aof.current_size,
                self.aof.rewrite_base_size,
                self.aof.rewrite_scheduled as i32,
                self.aof.buf.len(),
                self.aof.bio.pending_fsyncs(),
                self.aof.delayed_fsync
            ));
        }
        s
    }

    /// Refuse writes while the AOF cannot be written (Redis's MISCONF-like -MISCONF
    /// "Errors writing to the AOF file" gate in processCommand).
    pub fn aof_write_error(&self) -> Option<String> {
        if self.aof.state != AofState::Off && (!self.aof.last_write_ok || !self.aof.bio.fsync_ok())
        {
            Some(format!(
                "-MISCONF Errors writing to the AOF file: {}",
                self.aof.last_write_error
            ))
        } else {
            None
        }
    }
}

/// BGREWRITEAOF.
pub fn bgrewriteaof_command(srv: &mut Server, c: &mut crate::networking::Client, _argv: &Argv) {
    if srv.aof_child_running() {
        c.add_error("Background append only file rewriting already in progress");
    } else if srv.has_active_child() || srv.in_exec {
        // Inside EXEC the fork would snapshot a half-applied transaction.
        srv.aof.rewrite_scheduled = true;
        srv.aof.consecutive_failures = 0;
        c.add_status("Background append only file rewriting scheduled");
    } else if srv.rewrite_append_only_file_background().is_ok() {
        c.add_status("Background append only file rewriting started");
    } else {
        c.add_error("Can't execute an AOF background rewriting. Please check the server logs for more information.");
    }
}

/// write(2) in a loop: bytes written and the error that stopped it, if any.
fn write_all_count(f: &mut &File, buf: &[u8]) -> (usize, Option<std::io::Error>) {
    let mut done = 0;
    while done < buf.len() {
        match f.write(&buf[done..]) {
            Ok(0) => return (done, None),
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}

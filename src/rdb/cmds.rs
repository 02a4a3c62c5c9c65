//! Snapshot bookkeeping and the persistence commands: SAVE, BGSAVE [SCHEDULE],
//! the save points checked from cron, the BGSAVE child's completion, the
//! MISCONF write gate (stop-writes-on-bgsave-error), loading the dataset at
//! startup and saving it at shutdown (rdbSave / rdbSaveBackground /
//! backgroundSaveDoneHandler / loadDataFromDisk in Redis).

use crate::child::{self, ChildKind};
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;

/// CONFIG_BGSAVE_RETRY_DELAY: seconds between save-point retries after a failure.
const BGSAVE_RETRY_DELAY: i64 = 5;

pub struct RdbState {
    pub lastbgsave_ok: bool,
    pub lastbgsave_try: i64,
    pub save_time_start: i64,
    pub save_time_last: i64,
    pub saves: u64,
    pub bgsave_scheduled: bool,
    pub dirty_before_bgsave: u64,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
    /// INFO loading_* while a load runs.
    pub loading_start_time: i64,
    pub loading_total_bytes: u64,
    pub loading_loaded_bytes: u64,
    pub loading_rdb_used_mem: u64,
    /// RDBGeneratedByReplication: `dbfilename` was written to feed replicas
    /// while rdb-del-sync-files was on; removed once they no longer need it.
    pub generated_by_replication: bool,
    /// rdbSaveInfo of the last load: the repl-id, repl-offset and
    /// repl-stream-db aux fields (None / -1 when absent).
    pub loaded_repl_id: Option<String>,
    pub loaded_repl_offset: i64,
    pub loaded_repl_stream_db: i64,
}

impl Default for RdbState {
    fn default() -> Self {
        RdbState {
            lastbgsave_ok: true,
            lastbgsave_try: 0,
            save_time_start: -1,
            save_time_last: -1,
            saves: 0,
            bgsave_scheduled: false,
            dirty_before_bgsave: 0,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
            loaded_repl_id: None,
            loaded_repl_offset: -1,
            loaded_repl_stream_db: -1,
            loading_start_time: 0,
            loading_total_bytes: 0,
            loading_loaded_bytes: 0,
            loading_rdb_used_mem: 0,
            generated_by_replication: false,
        }
    }
}

fn unix_now() -> i64 {
    crate::util::mstime() / 1000
}

impl Server {
    pub fn rdb_filename(&self) -> String {
        String::from_utf8_lossy(&self.config.get_str("dbfilename").unwrap_or_default()).into_owned()
    }

    /// rdbSave in the main process (SAVE, SHUTDOWN, FLUSHALL, DEBUG RELOAD).
    pub fn rdb_save(&mut self) -> Result<(), String> {
        let path = self.rdb_filename();
        let dirty = self.dirty;
        let r = crate::rdb::save::save_file(self, &path, |_| {});
        match r {
            Ok(()) => {
                log::info!("DB saved on disk");
                self.dirty = self.dirty.saturating_sub(dirty);
                self.last_save_time = unix_now();
                self.rdb.lastbgsave_ok = true;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// rdbSaveBackground: forks a child that writes the snapshot.
    pub fn rdb_save_background(&mut self) -> Result<i32, String> {
        if self.has_active_child() {
            return Err("child active".into());
        }
        self.rdb.saves += 1;
        self.rdb.dirty_before_bgsave = self.dirty;
        self.rdb.lastbgsave_try = unix_now();
        let path = self.rdb_filename();
        let r = child::start_child(self, ChildKind::Rdb, background_save_done, move |srv| {
            crate::process::set_child_title(srv, "redis-rdb-bgsave");
            match crate::rdb::save::save_file(srv, &path, child::report_progress) {
                Ok(()) => {
                    log::info!("DB saved on disk");
                    child::report_final_cow("RDB");
                    0
                }
                Err(_) => 1,
            }
        });
        match r {
            Ok(pid) => {
                log::info!("Background saving started by pid {}", pid);
                self.rdb.save_time_start = unix_now();
                Ok(pid)
            }
            Err(e) => {
                self.rdb.lastbgsave_ok = false;
                log::warn!("Can't save in background: fork: {}", e);
                Err(e)
            }
        }
    }

    /// The save points and a scheduled BGSAVE, from serverCron; also reaps the child.
    pub fn rdb_cron(&mut self) {
        if self.has_active_child() {
            child::check_children_done(self);
        } else {
            let now = unix_now();
            let params = self.config.save_params.clone();
            for (secs, changes) in params {
                if self.dirty >= changes as u64
                    && now - self.last_save_time > secs
                    && (now - self.rdb.lastbgsave_try > BGSAVE_RETRY_DELAY
                        || self.rdb.lastbgsave_ok)
                {
                    log::info!("{} changes in {} seconds. Saving...", changes, secs);
                    let _ = self.rdb_save_background();
                    break;
                }
            }
        }
        if !self.has_active_child() {
            self.remove_rdb_used_to_sync_replicas();
        }
        if !self.has_active_child()
            && self.rdb.bgsave_scheduled
            && (unix_now() - self.rdb.lastbgsave_try > BGSAVE_RETRY_DELAY || self.rdb.lastbgsave_ok)
            && self.rdb_save_background().is_ok()
        {
            self.rdb.bgsave_scheduled = false;
        }
    }

    /// allPersistenceDisabled: no save points and no AOF.
    pub fn all_persistence_disabled(&self) -> bool {
        self.config.save_params.is_empty() && self.aof.state == crate::aof::AofState::Off
    }

    /// removeRDBUsedToSyncReplicas (from cron): with rdb-del-sync-files on, an
    /// instance without persistence does not keep the RDB file it wrote only
    /// to feed replicas, once no replica waits for or reads it.
    pub fn remove_rdb_used_to_sync_replicas(&mut self) {
        if !self.config.get_bool("rdb-del-sync-files") {
            // Cleared, so re-enabling later does not delete a file written
            // while the feature was off.
            self.rdb.generated_by_replication = false;
            return;
        }
        if !self.all_persistence_disabled() || !self.rdb.generated_by_replication {
            return;
        }
        use crate::replication::ReplicaState;
        let busy = self.repl.slaves.iter().any(|&t| {
            // A slot taken out of the slab is a client running a command: not
            // a replica being fed.
            let slot = self
                .clients
                .get(t.wrapping_sub(crate::server::FIRST_CLIENT_TOKEN));
            matches!(
                slot.and_then(|c| c.as_deref())
                    .and_then(|c| c.repl.as_ref())
                    .map(|r| r.state),
                Some(
                    ReplicaState::WaitBgsaveStart
                        | ReplicaState::WaitBgsaveEnd
                        | ReplicaState::SendBulk
                )
            )
        });
        if busy {
            return;
        }
        let path = self.rdb_filename();
        if std::fs::symlink_metadata(&path).is_ok() {
            self.rdb.generated_by_replication = false;
            log::info!(
                "Removing the RDB file used to feed replicas in a persistence-less instance"
            );
            let _ = std::fs::remove_file(&path);
        }
    }

    /// writeCommandsDeniedByDiskError for RDB: the MISCONF text, when writes
    /// must be refused.
    pub fn rdb_disk_error(&self) -> Option<&'static str> {
        if !self.rdb.lastbgsave_ok
            && !self.config.save_params.is_empty()
            && self.config.get_bool("stop-writes-on-bgsave-error")
        {
            Some("-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.")
        } else {
            None
        }
    }

    /// Kills a running BGSAVE child and removes its temp file (killRDBChild).
    pub fn kill_rdb_child(&mut self) {
        if self.child.kind() == Some(ChildKind::Rdb) {
            child::kill_child(self);
        }
    }

    /// loadDataFromDisk for RDB: loads `dbfilename` if it exists. A corrupt
    /// file stops the server, as Redis does.
    pub fn load_data_from_disk(&mut self) {
        let path = self.rdb_filename();
        let start = crate::util::ustime();
        let mut flags = crate::rdb::load::LOAD_NONE;
        if !self.is_replica() {
            // Keys found expired while loading go to the backlog as DELs.
            self.create_replication_backlog();
            flags |= crate::rdb::load::LOAD_FEED_REPL;
        }
        let mut valid = false;
        match crate::rdb::load::load_file(self, &path, flags) {
            Ok(true) => {
                log::info!(
                    "DB loaded from disk: {:.3} seconds",
                    (crate::util::ustime() - start) as f64 / 1e6
                );
                valid = self.restore_repl_info_after_load();
            }
            Ok(false) => {}
            Err(e) if e.msg.starts_with("Internal error") => {
                // rdbReportError while loading a file: log, run the checker
                // on it (its report goes to stdout), and stop.
                log::warn!("{}", e.msg);
                crate::rdb::check::report(&path);
                log::warn!("Terminating server after rdb file reading failure.");
                std::process::exit(1);
            }
            Err(e) => {
                log::warn!("Fatal error loading the DB: {}. Exiting.", e.msg);
                std::process::exit(1);
            }
        }
        // Without a history to resume the backlog is of no use.
        if !valid {
            self.repl.backlog = None;
        }
    }
}

/// backgroundSaveDoneHandler.
fn background_save_done(srv: &mut Server, pid: i32, exitcode: i32, bysignal: i32) {
    if bysignal == 0 && exitcode == 0 {
        log::info!("Background saving terminated with success");
        srv.dirty = srv.dirty.saturating_sub(srv.rdb.dirty_before_bgsave);
        srv.last_save_time = unix_now();
        srv.rdb.lastbgsave_ok = true;
    } else if bysignal == 0 {
        log::warn!("Background saving error");
        srv.rdb.lastbgsave_ok = false;
    } else {
        log::warn!("Background saving terminated by signal {}", bysignal);
        let _ = std::fs::remove_file(format!("temp-{}.rdb", pid));
        if bysignal != libc::SIGUSR1 {
            srv.rdb.lastbgsave_ok = false;
        }
    }
    srv.rdb.save_time_last = unix_now() - srv.rdb.save_time_start;
    srv.rdb.save_time_start = -1;
    // startBgsaveForReplication's mark, taken here while the replication
    // side still says whom this save was for.
    if srv.repl.rdb_child_for_sync && srv.config.get_bool("rdb-del-sync-files") {
        srv.rdb.generated_by_replication = true;
    }
    srv.update_slaves_waiting_bgsave(bysignal == 0 && exitcode == 0);
}

pub fn save_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if srv.child.kind() == Some(ChildKind::Rdb) {
        c.add_error("Background save already in progress");
        return;
    }
    srv.rdb.saves += 1;
    match srv.rdb_save() {
        Ok(()) => c.add_ok(),
        Err(_) => c.add_error("-ERR"),
    }
}

pub fn bgsave_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut schedule = false;
    if argv.len() > 1 {
        if argv.len() == 2 && argv.get(1).eq_ignore_ascii_case(b"schedule") {
            schedule = true;
        } else {
            c.add_error_syntax();
            return;
        }
    }
    if srv.child.kind() == Some(ChildKind::Rdb) {
        c.add_error("Background save already in progress");
    } else if srv.has_active_child() || srv.in_exec {
        // Inside EXEC a fork would snapshot a half-applied transaction.
        if schedule || srv.in_exec {
            srv.rdb.bgsave_scheduled = true;
            c.add_status("Background saving scheduled");
        } else {
            c.add_error("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
    } else {
        match srv.rdb_save_background() {
            Ok(_) => c.add_status("Background saving started"),
            Err(_) => c.add_error("-ERR"),
        }
    }
}

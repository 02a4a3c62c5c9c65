//! The AOF's background jobs (Redis's bio threads for BIO_AOF_FSYNC, BIO_CLOSE_FILE and
//! the lazy unlink of history files): everysec fsyncs and closes of retired INCR files
//! must not stall the event loop. One worker thread, started on first use.

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

enum Job {
    /// fsync (fdatasync) the file; close it afterwards when the flag says so (the
    /// File is dropped either way: it is a dup of the AOF's fd or a retired one).
    Fsync(File, bool),
    Unlink(PathBuf),
}

#[derive(Default)]
pub struct Bio {
    tx: Option<Sender<Job>>,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    pending_fsync: AtomicUsize,
    /// aof_bio_fsync_status: false after a failed background fsync.
    fsync_failed: AtomicBool,
}

impl Bio {
    fn sender(&mut self) -> &Sender<Job> {
        if self.tx.is_none() {
            let (tx, rx) = channel::<Job>();
            let shared = self.shared.clone();
            std::thread::Builder::new()
                .name("bio_aof".into())
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        match job {
                            Job::Fsync(f, _close) => {
                                let r = f.sync_data();
                                if let Err(e) = &r {
                                    log::warn!(
                                        "Fail to fsync the AOF file: {}",
                                        crate::aof::strerror(e)
                                    );
                                }
                                shared.fsync_failed.store(r.is_err(), Ordering::SeqCst);
                                drop(f);
                                shared.pending_fsync.fetch_sub(1, Ordering::SeqCst);
                            }
                            Job::Unlink(p) => {
                                let _ = std::fs::remove_file(p);
                            }
                        }
                    }
                })
                .expect("spawn the AOF background thread");
            self.tx = Some(tx);
        }
        self.tx.as_ref().unwrap()
    }

    /// bioCreateFsyncJob / bioCreateCloseJob(fd, need_fsync=1).
    pub fn fsync(&mut self, f: File, close: bool) {
        self.shared.pending_fsync.fetch_add(1, Ordering::SeqCst);
        let _ = self.sender().send(Job::Fsync(f, close));
    }

    pub fn unlink(&mut self, p: PathBuf) {
        let _ = self.sender().send(Job::Unlink(p));
    }

    /// aofFsyncInProgress.
    pub fn fsync_pending(&self) -> bool {
        self.shared.pending_fsync.load(Ordering::SeqCst) != 0
    }

    pub fn pending_fsyncs(&self) -> usize {
        self.shared.pending_fsync.load(Ordering::SeqCst)
    }

    pub fn fsync_ok(&self) -> bool {
        !self.shared.fsync_failed.load(Ordering::SeqCst)
    }

    /// Clears a recorded fsync error; returns whether there was none.
    pub fn take_fsync_error_ok(&mut self) -> bool {
        !self.shared.fsync_failed.swap(false, Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fsync_job_completes() {
        let dir = std::env::temp_dir().join(format!("bio-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f");
        let f = File::create(&p).unwrap();
        let mut b = Bio::default();
        b.fsync(f, true);
        b.unlink(p.clone());
        for _ in 0..200 {
            if !b.fsync_pending() && !p.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!b.fsync_pending());
        assert!(b.fsync_ok());
        assert!(!p.exists());
        let _ = std::fs::remove_dir_all(dir);
    }
}

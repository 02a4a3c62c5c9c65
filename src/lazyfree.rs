//! Background freeing (Redis's lazyfree.c on its bio thread): big values removed by
//! UNLINK, lazy DEL/expire/eviction/server deletes, and whole databases emptied by
//! FLUSHALL/FLUSHDB ASYNC are dropped on one helper thread, so the event loop does
//! not stall on millions of frees. The counters behind INFO `lazyfree_pending_objects`
//! and `lazyfreed_objects` are atomics because the thread updates them.

use crate::db::dict::Dict;
use crate::db::object::Obj;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

/// Values whose free effort is at most this are freed inline: freeing a few
/// allocations on another thread costs more than freeing them here.
pub const LAZYFREE_THRESHOLD: usize = 64;

/// Objects handed to the thread and not yet freed.
static PENDING_OBJECTS: AtomicUsize = AtomicUsize::new(0);
/// Objects the thread has freed since start (or CONFIG RESETSTAT).
static FREED_OBJECTS: AtomicUsize = AtomicUsize::new(0);
/// Jobs queued and not finished (bioPendingJobsOfType(BIO_LAZY_FREE)).
static PENDING_JOBS: AtomicUsize = AtomicUsize::new(0);

enum Job {
    Object(Obj),
    Database(Vec<Dict<Obj>>, Dict<i64>, usize),
}

/// The channel to the thread, started on first use. A Mutex because statics must be
/// Sync; only the main thread sends, so it is never contended.
fn sender() -> &'static Mutex<Sender<Job>> {
    static TX: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    TX.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        std::thread::Builder::new()
            .name("bio_lazy_free".into())
            .spawn(move || {
                for job in rx {
                    let n = match job {
                        Job::Object(o) => {
                            drop(o);
                            1
                        }
                        Job::Database(dicts, expires, n) => {
                            drop(dicts);
                            drop(expires);
                            n
                        }
                    };
                    PENDING_OBJECTS.fetch_sub(n, Relaxed);
                    FREED_OBJECTS.fetch_add(n, Relaxed);
                    PENDING_JOBS.fetch_sub(1, Relaxed);
                }
            })
            .expect("cannot start the lazyfree thread");
        Mutex::new(tx)
    })
}

fn submit(job: Job, objects: usize) {
    PENDING_OBJECTS.fetch_add(objects, Relaxed);
    PENDING_JOBS.fetch_add(1, Relaxed);
    let tx = sender().lock().unwrap_or_else(|e| e.into_inner());
    if let Err(e) = tx.send(job) {
        // The thread is gone (it only stops if a drop panicked): free here instead.
        drop(e.0);
        PENDING_OBJECTS.fetch_sub(objects, Relaxed);
        PENDING_JOBS.fetch_sub(1, Relaxed);
    }
}

/// freeObjAsync: hands a deleted value to the thread when it is costly to free,
/// otherwise drops it now.
pub fn free_object(o: Obj) {
    if worth_a_job(&o) {
        submit(Job::Object(o), 1);
    }
}

/// Shared values cannot be reclaimed by one deleter, and cheap ones are faster inline.
fn worth_a_job(o: &Obj) -> bool {
    o.val.free_effort() > LAZYFREE_THRESHOLD && o.val.refcount() == 1
}

/// emptyDbAsync: the detached tables of one database, freed on the thread.
pub fn free_database(dicts: Vec<Dict<Obj>>, expires: Dict<i64>) {
    let n: usize = dicts.iter().map(|d| d.len()).sum();
    submit(Job::Database(dicts, expires, n), n);
}

pub fn pending_objects() -> usize {
    PENDING_OBJECTS.load(Relaxed)
}

pub fn freed_objects() -> usize {
    FREED_OBJECTS.load(Relaxed)
}

pub fn pending_jobs() -> usize {
    PENDING_JOBS.load(Relaxed)
}

/// lazyfreeResetStats (CONFIG RESETSTAT).
pub fn reset_stats() {
    FREED_OBJECTS.store(0, Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::object::{Obj, StrEnc};

    #[test]
    fn databases_are_freed_on_the_thread() {
        let mut d: Dict<Obj> = Dict::new();
        for i in 0..1000 {
            d.insert(
                format!("k{}", i).as_bytes(),
                Obj::string(StrEnc::raw(vec![b'x'; 100]), 0),
            );
        }
        let before = freed_objects();
        free_database(vec![d], Dict::new());
        let t = std::time::Instant::now();
        while freed_objects() < before + 1000 {
            assert!(t.elapsed().as_secs() < 10, "lazyfree thread never freed");
            std::thread::yield_now();
        }
    }

    #[test]
    fn strings_are_freed_inline() {
        // A string is one allocation however long (lazyfreeGetFreeEffort returns 1).
        let big = Obj::string(StrEnc::raw(vec![b'x'; 1 << 20]), 0);
        assert_eq!(big.val.free_effort(), 1);
        assert!(!worth_a_job(&big));
    }
}

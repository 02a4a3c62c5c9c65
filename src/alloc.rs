//! The process's global allocator: the C library's malloc with a byte counter in
//! front, so `used_memory` (INFO, maxmemory, eviction) is the heap really in use,
//! as Redis's zmalloc counts it.
//!
//! Why libc and not jemalloc: the goal is RSS at most Redis's, and glibc's malloc
//! reuses freed chunks of the same size well under the churn eviction creates
//! (delete a key, write a key of about the same size), so RSS stays near the
//! counted figure without a second allocator in the binary. jemalloc would also
//! oblige us to build active defragmentation: Redis's tests run the defrag suite
//! whenever `mem_allocator` says jemalloc. So INFO says `mem_allocator:libc`, true.
//!
//! Why a counter of our own and not the allocator's statistics: mallinfo2 walks
//! every arena and is far too slow for the check that runs before each command
//! under maxmemory; one relaxed atomic add per allocation costs a couple of
//! instructions. The counter is shared with the lazyfree thread (it frees
//! values), hence atomic; Relaxed is enough because it is a statistic, read
//! without ordering against any other memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

pub struct CountingAlloc;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

static USED: AtomicUsize = AtomicUsize::new(0);

/// `maxmemory` as the allocator-side checks see it (keyspace table growth asks
/// whether a new bucket array would cross the limit). Set by the server when the
/// config changes.
static MAXMEMORY: AtomicU64 = AtomicU64::new(0);

/// What an allocation of `size` bytes really takes from a glibc heap: the chunk,
/// i.e. the request plus the 8-byte size header, rounded up to 16, at least 32.
/// Counting chunks rather than requests makes used_memory the memory actually
/// consumed (like Redis counting jemalloc's size classes). Very large blocks are
/// mmapped and page-rounded; the difference is under a page per block.
#[inline(always)]
pub const fn footprint(size: usize) -> usize {
    let chunk = (size + 8 + 15) & !15;
    if chunk < 32 {
        32
    } else {
        chunk
    }
}

/// The largest request that lands in the same chunk as a request of `size`:
/// growing a buffer to this capacity instead of doubling it wastes no memory.
#[inline]
pub const fn chunk_capacity(size: usize) -> usize {
    footprint(size) - 8
}

// SAFETY: every method forwards to the system allocator with the caller's layout
// unchanged; the counter has no influence on the memory returned.
unsafe impl GlobalAlloc for CountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            USED.fetch_add(footprint(layout.size()), Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            USED.fetch_add(footprint(layout.size()), Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        USED.fetch_sub(footprint(layout.size()), Relaxed);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            let (old, new) = (footprint(layout.size()), footprint(new_size));
            if new >= old {
                USED.fetch_add(new - old, Relaxed);
            } else {
                USED.fetch_sub(old - new, Relaxed);
            }
        }
        p
    }
}

/// Bytes of heap in use by the whole process (zmalloc_used_memory).
#[inline]
pub fn used_memory() -> u64 {
    USED.load(Relaxed) as u64
}

/// The name INFO's `mem_allocator` prints.
pub const ALLOCATOR_NAME: &str = "libc";

pub fn set_maxmemory(bytes: u64) {
    MAXMEMORY.store(bytes, Relaxed);
}

#[inline]
pub fn maxmemory() -> u64 {
    MAXMEMORY.load(Relaxed)
}

/// Memory that maxmemory does not count: replica output buffers beyond the
/// backlog and the AOF buffer (freeMemoryGetNotCountedMemory). There are no
/// replicas or AOF yet (issues 5 and 6), so nothing is excluded.
#[inline]
pub fn not_counted_for_evict() -> u64 {
    0
}

/// overMaxmemoryAfterAlloc: would allocating `more` bytes cross maxmemory?
pub fn over_maxmemory_after_alloc(more: u64) -> bool {
    let max = maxmemory();
    if max == 0 {
        return false;
    }
    let used = used_memory();
    if used + more <= max {
        return false;
    }
    used.saturating_sub(not_counted_for_evict()) + more > max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footprint_is_glibc_chunk_size() {
        assert_eq!(footprint(0), 32);
        assert_eq!(footprint(1), 32);
        assert_eq!(footprint(24), 32);
        assert_eq!(footprint(25), 48);
        assert_eq!(footprint(40), 48);
        assert_eq!(footprint(100), 112);
        assert_eq!(footprint(1 << 20), (1 << 20) + 16);
    }

    #[test]
    fn counter_follows_big_allocations() {
        // Other tests allocate concurrently, so allow slack far below the block size.
        let before = used_memory();
        let mut v: Vec<u8> = Vec::with_capacity(64 << 20);
        v.push(1);
        let during = used_memory();
        assert!(during >= before + (60 << 20), "{} -> {}", before, during);
        drop(v);
        let after = used_memory();
        assert!(after + (60 << 20) <= during, "{} -> {}", during, after);
    }
}

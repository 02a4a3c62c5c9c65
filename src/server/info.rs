//! INFO: section selection (default / all / everything / several names) and one
//! function per section, with Redis 7.0's field names and order. Memory figures
//! come from the counting allocator (src/alloc.rs) and /proc; persistence and replication
//! show what this server really is: a master with no replicas, no RDB/AOF activity.

use super::Server;
use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use std::fmt::Write as _;

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Which sections a request asks for (genInfoSectionDict).
pub struct Sections {
    names: Vec<String>,
    all: bool,
    everything: bool,
}

impl Sections {
    pub fn from_args<'a, I: IntoIterator<Item = &'a [u8]>>(args: I) -> Sections {
        let mut s = Sections {
            names: Vec::new(),
            all: false,
            everything: false,
        };
        let mut any = false;
        for a in args {
            any = true;
            let n = String::from_utf8_lossy(a).to_ascii_lowercase();
            match n.as_str() {
                "default" => s.add_defaults(),
                "all" => s.all = true,
                "everything" => {
                    s.all = true;
                    s.everything = true;
                }
                _ => {
                    if !s.names.contains(&n) {
                        s.names.push(n)
                    }
                }
            }
        }
        if !any {
            s.add_defaults();
        }
        s
    }

    fn add_defaults(&mut self) {
        for d in DEFAULT_SECTIONS {
            if !self.names.iter().any(|n| n == d) {
                self.names.push(d.to_string());
            }
        }
    }

    fn has(&self, name: &str) -> bool {
        self.all || self.names.iter().any(|n| n == name)
    }
}

/// Redis's bytesToHuman.
pub fn bytes_to_human(n: u64) -> String {
    let d = n as f64;
    const K: f64 = 1024.0;
    if n < 1024 {
        format!("{}B", n)
    } else if d < K * K {
        format!("{:.2}K", d / K)
    } else if d < K * K * K {
        format!("{:.2}M", d / (K * K))
    } else if d < K * K * K * K {
        format!("{:.2}G", d / (K * K * K))
    } else if d < K * K * K * K * K {
        format!("{:.2}T", d / (K * K * K * K))
    } else if d < K * K * K * K * K * K {
        format!("{:.2}P", d / (K * K * K * K * K))
    } else {
        format!("{}B", n)
    }
}

/// Command names and error codes in INFO keys: '#', ':', CR and LF become '_'.
fn safe_info(s: &str) -> String {
    s.chars()
        .map(|c| if "#:\r\n".contains(c) { '_' } else { c })
        .collect()
}

/// Heap bytes in use (Redis's used_memory), from the counting allocator.
pub fn used_memory() -> u64 {
    crate::alloc::used_memory()
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no side effects.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

/// Resident set size from /proc/self/statm.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|pages| pages * page_size())
        .unwrap_or(0)
}

pub fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no side effects.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    if pages > 0 {
        pages as u64 * page_size()
    } else {
        0
    }
}

fn rusage(who: libc::c_int) -> (String, String) {
    // SAFETY: getrusage fills the zeroed struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut ru) };
    (
        format!("{}.{:06}", ru.ru_stime.tv_sec, ru.ru_stime.tv_usec),
        format!("{}.{:06}", ru.ru_utime.tv_sec, ru.ru_utime.tv_usec),
    )
}

fn uname() -> String {
    // SAFETY: uname fills the zeroed struct we own; its fields are NUL-terminated.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return String::new();
    }
    let f = |a: &[libc::c_char]| {
        let b: Vec<u8> = a
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&b).into_owned()
    };
    format!("{} {} {}", f(&u.sysname), f(&u.release), f(&u.machine))
}

/// Memory breakdown shared by INFO memory and MEMORY STATS (getMemoryOverheadData).
pub struct MemoryOverhead {
    pub used: u64,
    pub peak: u64,
    pub startup: u64,
    pub clients_normal: u64,
    pub db_overhead: Vec<(usize, u64, u64)>,
    pub total_overhead: u64,
    pub aof_buffer: u64,
    pub dataset: u64,
    pub keys: u64,
    pub allocated: u64,
    pub active: u64,
    pub rss: u64,
}

/// Hash table overhead of `n` entries: one entry struct each plus a power-of-two bucket array.
fn dict_overhead(n: usize) -> u64 {
    if n == 0 {
        return 0;
    }
    (n * 24 + n.next_power_of_two() * 8) as u64
}

pub fn client_memory(c: &Client) -> u64 {
    (c.querybuf.capacity() + c.reply.capacity() + c.argv_mem + std::mem::size_of::<Client>()) as u64
}

impl Server {
    /// Tracks the peak of used_memory (cron and INFO call this).
    pub fn update_peak_memory(&mut self) -> u64 {
        let used = used_memory();
        if used > self.stat_peak_memory {
            self.stat_peak_memory = used;
        }
        used
    }

    pub fn memory_overhead(&self, me: Option<&Client>) -> MemoryOverhead {
        let used = used_memory();
        let rss = rss_bytes();
        // As Redis on libc: the allocator reports no figures of its own, so the
        // allocator_* fields are the counted bytes and the process's RSS.
        let (allocated, active) = (used, rss);
        let startup = self.used_memory_startup;
        let clients_normal: u64 = self
            .clients
            .iter()
            .filter_map(|(_, c)| c.as_deref())
            .chain(me)
            .map(client_memory)
            .sum();
        let aof_buffer = self.aof_buffer_mem() as u64;
        let mut total = startup + clients_normal + aof_buffer;
        let mut db_overhead = Vec::new();
        let mut keys = 0;
        for db in &self.dbs {
            if db.is_empty() && db.expires_len() == 0 {
                continue;
            }
            let main = dict_overhead(db.len());
            let exp = dict_overhead(db.expires_len());
            total += main + exp;
            keys += db.len() as u64;
            db_overhead.push((db.id, main, exp));
        }
        MemoryOverhead {
            used,
            peak: self.stat_peak_memory.max(used),
            startup,
            clients_normal,
            db_overhead,
            total_overhead: total,
            aof_buffer,
            dataset: used.saturating_sub(total),
            keys,
            allocated,
            active,
            rss,
        }
    }

    /// The whole INFO text for the given sections; `me` is the calling client (taken
    /// out of the client table while its command runs).
    pub fn gen_info_string(&mut self, me: Option<&Client>, s: &Sections) -> String {
        let mut out = String::new();
        let mut n = 0;
        let mut sep = |out: &mut String| {
            if n > 0 {
                out.push_str("\r\n");
            }
            n += 1;
        };
        if s.has("server") {
            sep(&mut out);
            self.info_server(&mut out);
        }
        if s.has("clients") {
            sep(&mut out);
            self.info_clients(&mut out, me);
        }
        if s.has("memory") {
            sep(&mut out);
            self.info_memory(&mut out, me);
        }
        if s.has("persistence") {
            sep(&mut out);
            self.info_persistence(&mut out);
        }
        if s.has("stats") {
            sep(&mut out);
            self.info_stats(&mut out);
        }
        if s.has("replication") {
            sep(&mut out);
            self.info_replication(&mut out);
        }
        if s.has("cpu") {
            sep(&mut out);
            info_cpu(&mut out);
        }
        if s.has("module_list") || s.has("modules") {
            sep(&mut out);
            // No module system: the list is always empty.
            out.push_str("# Modules\r\n");
        }
        if s.has("commandstats") {
            sep(&mut out);
            self.info_commandstats(&mut out);
        }
        if s.has("errorstats") {
            sep(&mut out);
            self.info_errorstats(&mut out);
        }
        if s.has("latencystats") {
            sep(&mut out);
            self.info_latencystats(&mut out);
        }
        if s.has("cluster") {
            sep(&mut out);
            let _ = write!(
                out,
                "# Cluster\r\ncluster_enabled:{}\r\n",
                self.config.cluster_enabled as i32
            );
        }
        if s.has("keyspace") {
            sep(&mut out);
            self.info_keyspace(&mut out);
        }
        out
    }

    fn info_server(&self, out: &mut String) {
        let uptime = self.uptime_secs();
        let _ = write!(
            out,
            "# Server\r\n\
             redis_version:{}\r\n\
             redis_git_sha1:00000000\r\n\
             redis_git_dirty:0\r\n\
             redis_build_id:0\r\n\
             redis_mode:{}\r\n\
             os:{}\r\n\
             arch_bits:{}\r\n\
             monotonic_clock:POSIX clock_gettime\r\n\
             multiplexing_api:epoll\r\n\
             atomicvar_api:c11-builtin\r\n\
             gcc_version:0.0.0\r\n\
             process_id:{}\r\n\
             process_supervised:no\r\n\
             run_id:{}\r\n\
             tcp_port:{}\r\n\
             server_time_usec:{}\r\n\
             uptime_in_seconds:{}\r\n\
             uptime_in_days:{}\r\n\
             hz:{}\r\n\
             configured_hz:{}\r\n\
             lru_clock:{}\r\n\
             executable:{}\r\n\
             config_file:{}\r\n\
             io_threads_active:0\r\n\
             rs_version:{}\r\n",
            crate::REDIS_VERSION,
            if self.config.cluster_enabled {
                "cluster"
            } else {
                "standalone"
            },
            uname(),
            usize::BITS,
            std::process::id(),
            self.run_id,
            self.config.port,
            crate::util::ustime(),
            uptime,
            uptime / 86400,
            self.hz,
            self.config.hz,
            super::lru_clock_now(),
            self.executable,
            self.config_file.as_deref().unwrap_or(""),
            crate::RS_VERSION,
        );
    }

    fn info_clients(&self, out: &mut String, me: Option<&Client>) {
        let all = || {
            self.clients
                .iter()
                .filter_map(|(_, c)| c.as_deref())
                .chain(me)
        };
        let max_in = all().map(|c| c.querybuf.capacity()).max().unwrap_or(0);
        let max_out = all().map(|c| c.reply.capacity()).max().unwrap_or(0);
        let monitors = all().filter(|c| c.flags.has(ClientFlags::MONITOR)).count();
        let _ = write!(
            out,
            "# Clients\r\n\
             connected_clients:{}\r\n\
             cluster_connections:{}\r\n\
             maxclients:{}\r\n\
             client_recent_max_input_buffer:{}\r\n\
             client_recent_max_output_buffer:{}\r\n\
             blocked_clients:{}\r\n\
             tracking_clients:{}\r\n\
             clients_in_timeout_table:{}\r\n",
            self.clients.len() - monitors,
            self.cluster
                .as_deref()
                .map_or(0, |st| (st.nodes.len() - 1) * 2),
            self.config.maxclients,
            max_in,
            max_out,
            self.paused_clients.len() + self.blocking.count,
            self.tracking.clients,
            self.blocking.timeouts_len(),
        );
    }

    fn info_memory(&mut self, out: &mut String, me: Option<&Client>) {
        self.update_peak_memory();
        let m = self.memory_overhead(me);
        let used = m.used.max(1);
        let net = m.used.saturating_sub(m.startup);
        let dataset_perc = if net > 0 {
            m.dataset as f64 * 100.0 / net as f64
        } else {
            0.0
        };
        let total_sys = total_system_memory();
        let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
        let _ = write!(
            out,
            "# Memory\r\n\
             used_memory:{}\r\n\
             used_memory_human:{}\r\n\
             used_memory_rss:{}\r\n\
             used_memory_rss_human:{}\r\n\
             used_memory_peak:{}\r\n\
             used_memory_peak_human:{}\r\n\
             used_memory_peak_perc:{:.2}%\r\n\
             used_memory_overhead:{}\r\n\
             used_memory_startup:{}\r\n\
             used_memory_dataset:{}\r\n\
             used_memory_dataset_perc:{:.2}%\r\n\
             allocator_allocated:{}\r\n\
             allocator_active:{}\r\n\
             allocator_resident:{}\r\n\
             total_system_memory:{}\r\n\
             total_system_memory_human:{}\r\n\
             {}\
             maxmemory:{}\r\n\
             maxmemory_human:{}\r\n\
             maxmemory_policy:{}\r\n\
             allocator_frag_ratio:{:.2}\r\n\
             allocator_frag_bytes:{}\r\n\
             allocator_rss_ratio:{:.2}\r\n\
             allocator_rss_bytes:{}\r\n\
             rss_overhead_ratio:{:.2}\r\n\
             rss_overhead_bytes:{}\r\n\
             mem_fragmentation_ratio:{:.2}\r\n\
             mem_fragmentation_bytes:{}\r\n\
             mem_not_counted_for_evict:{}\r\n\
             mem_replication_backlog:{}\r\n\
             mem_total_replication_buffers:0\r\n\
             mem_clients_slaves:0\r\n\
             mem_clients_normal:{}\r\n\
             mem_cluster_links:0\r\n\
             mem_aof_buffer:{}\r\n\
             mem_allocator:{}\r\n\
             active_defrag_running:0\r\n\
             lazyfree_pending_objects:{}\r\n\
             lazyfreed_objects:{}\r\n",
            m.used,
            bytes_to_human(m.used),
            m.rss,
            bytes_to_human(m.rss),
            m.peak,
            bytes_to_human(m.peak),
            m.used as f64 * 100.0 / m.peak.max(1) as f64,
            m.total_overhead,
            m.startup,
            m.dataset,
            dataset_perc,
            m.allocated,
            m.active,
            m.rss,
            total_sys,
            bytes_to_human(total_sys),
            self.scripting_memory_info(),
            self.config.maxmemory,
            bytes_to_human(self.config.maxmemory),
            self.config.maxmemory_policy,
            ratio(m.active, m.allocated),
            m.active as i64 - m.allocated as i64,
            ratio(m.rss, m.active),
            m.rss as i64 - m.active as i64,
            1.0,
            0,
            ratio(m.rss, used),
            m.rss as i64 - used as i64,
            crate::alloc::not_counted_for_evict(),
            self.repl.backlog.as_ref().map(|b| b.memory()).unwrap_or(0),
            m.clients_normal,
            m.aof_buffer,
            crate::alloc::ALLOCATOR_NAME,
            crate::lazyfree::pending_objects(),
            crate::lazyfree::freed_objects(),
        );
    }

    fn info_persistence(&self, out: &mut String) {
        use crate::child::ChildKind;
        let ch = &self.child;
        let kind = ch.kind();
        let now = crate::util::mstime() / 1000;
        let cow_age = if ch.cow_updated_us != 0 {
            (crate::util::monotonic_us().saturating_sub(ch.cow_updated_us)) / 1_000_000
        } else {
            0
        };
        let r = &self.rdb;
        let _ = write!(
            out,
            "# Persistence\r\n\
             loading:{}\r\n\
             async_loading:0\r\n\
             current_cow_peak:{}\r\n\
             current_cow_size:{}\r\n\
             current_cow_size_age:{}\r\n\
             current_fork_perc:{:.2}\r\n\
             current_save_keys_processed:{}\r\n\
             current_save_keys_total:{}\r\n\
             rdb_changes_since_last_save:{}\r\n\
             rdb_bgsave_in_progress:{}\r\n\
             rdb_last_save_time:{}\r\n\
             rdb_last_bgsave_status:{}\r\n\
             rdb_last_bgsave_time_sec:{}\r\n\
             rdb_current_bgsave_time_sec:{}\r\n\
             rdb_saves:{}\r\n\
             rdb_last_cow_size:{}\r\n\
             rdb_last_load_keys_expired:{}\r\n\
             rdb_last_load_keys_loaded:{}\r\n\
             {}",
            self.loading as i32,
            ch.cow_peak,
            ch.cow_bytes,
            cow_age,
            ch.fork_perc(),
            ch.keys_processed,
            ch.keys_total,
            self.dirty,
            (kind == Some(ChildKind::Rdb)) as i32,
            self.last_save_time,
            if r.lastbgsave_ok { "ok" } else { "err" },
            r.save_time_last,
            if kind == Some(ChildKind::Rdb) {
                now - r.save_time_start
            } else {
                -1
            },
            r.saves,
            ch.rdb_cow_bytes,
            r.last_load_keys_expired,
            r.last_load_keys_loaded,
            self.info_aof_fields(),
        );
        if self.loading {
            let (perc, remaining) = if r.loading_total_bytes > 0 {
                (
                    r.loading_loaded_bytes as f64 / r.loading_total_bytes as f64 * 100.0,
                    r.loading_total_bytes.saturating_sub(r.loading_loaded_bytes),
                )
            } else {
                (0.0, 1)
            };
            let elapsed = now - r.loading_start_time;
            let eta = if elapsed == 0 {
                1
            } else {
                elapsed * remaining as i64 / (r.loading_loaded_bytes as i64 + 1)
            };
            let _ = write!(
                out,
                "loading_start_time:{}\r\n\
                 loading_total_bytes:{}\r\n\
                 loading_rdb_used_mem:{}\r\n\
                 loading_loaded_bytes:{}\r\n\
                 loading_loaded_perc:{:.2}\r\n\
                 loading_eta_seconds:{}\r\n",
                r.loading_start_time,
                r.loading_total_bytes,
                r.loading_rdb_used_mem,
                r.loading_loaded_bytes,
                perc,
                eta
            );
        }
    }

    fn info_stats(&self, out: &mut String) {
        use super::{INST_NET_IN, INST_NET_OUT, INST_OPS};
        let st = &self.stats;
        let (exceeded_total, exceeded_now) = self.evict.exceeded_times_ms();
        let _ = write!(
            out,
            "# Stats\r\n\
             total_connections_received:{}\r\n\
             total_commands_processed:{}\r\n\
             instantaneous_ops_per_sec:{}\r\n\
             total_net_input_bytes:{}\r\n\
             total_net_output_bytes:{}\r\n\
             total_net_repl_input_bytes:0\r\n\
             total_net_repl_output_bytes:0\r\n\
             instantaneous_input_kbps:{:.2}\r\n\
             instantaneous_output_kbps:{:.2}\r\n\
             instantaneous_input_repl_kbps:0.00\r\n\
             instantaneous_output_repl_kbps:0.00\r\n\
             rejected_connections:{}\r\n\
             sync_full:{}\r\n\
             sync_partial_ok:{}\r\n\
             sync_partial_err:{}\r\n\
             expired_keys:{}\r\n\
             expired_stale_perc:{:.2}\r\n\
             expired_time_cap_reached_count:{}\r\n\
             expire_cycle_cpu_milliseconds:{}\r\n\
             evicted_keys:{}\r\n\
             evicted_clients:{}\r\n\
             total_eviction_exceeded_time:{}\r\n\
             current_eviction_exceeded_time:{}\r\n\
             keyspace_hits:{}\r\n\
             keyspace_misses:{}\r\n\
             pubsub_channels:{}\r\n\
             pubsub_patterns:{}\r\n\
             pubsubshard_channels:{}\r\n\
             latest_fork_usec:{}\r\n\
             total_forks:{}\r\n\
             migrate_cached_sockets:{}\r\n\
             slave_expires_tracked_keys:0\r\n\
             active_defrag_hits:0\r\n\
             active_defrag_misses:0\r\n\
             active_defrag_key_hits:0\r\n\
             active_defrag_key_misses:0\r\n\
             total_active_defrag_time:0\r\n\
             current_active_defrag_time:0\r\n\
             tracking_total_keys:{}\r\n\
             tracking_total_items:{}\r\n\
             tracking_total_prefixes:{}\r\n\
             unexpected_error_replies:{}\r\n\
             total_error_replies:{}\r\n\
             dump_payload_sanitizations:0\r\n\
             total_reads_processed:{}\r\n\
             total_writes_processed:{}\r\n\
             io_threaded_reads_processed:0\r\n\
             io_threaded_writes_processed:0\r\n\
             reply_buffer_shrinks:{}\r\n\
             reply_buffer_expands:{}\r\n",
            st.numconnections,
            st.numcommands,
            st.inst[INST_OPS].value(),
            st.net_input_bytes,
            st.net_output_bytes,
            st.inst[INST_NET_IN].value() as f64 / 1024.0,
            st.inst[INST_NET_OUT].value() as f64 / 1024.0,
            st.rejected_conn,
            self.repl.stat_sync_full,
            self.repl.stat_sync_partial_ok,
            self.repl.stat_sync_partial_err,
            st.expired_keys,
            st.expired_stale_perc * 100.0,
            st.expired_time_cap_reached_count,
            st.expire_cycle_time_used / 1000,
            st.evicted_keys,
            st.evicted_clients,
            exceeded_total,
            exceeded_now,
            st.keyspace_hits,
            st.keyspace_misses,
            self.pubsub.channel_count(),
            self.pubsub.pattern_count(),
            self.pubsub.shard_channel_count(),
            self.child.latest_fork_usec,
            self.child.total_forks,
            self.migrate.len(),
            self.tracking.total_keys(),
            self.tracking.total_items(),
            self.tracking.total_prefixes(),
            st.unexpected_error_replies,
            st.total_error_replies,
            st.total_reads_processed,
            st.total_writes_processed,
            st.reply_buffer_shrinks,
            st.reply_buffer_expands,
        );
    }

    fn info_replication(&self, out: &mut String) {
        out.push_str(&self.info_replication_text());
    }

    /// Command ids in a stable order: top-level names sorted, each followed by its
    /// subcommands sorted.
    pub fn commands_in_order(&self) -> Vec<usize> {
        let mut tops: Vec<(&[u8], usize)> = self
            .commands
            .by_name
            .iter()
            .map(|(k, &v)| (k.as_slice(), v))
            .collect();
        tops.sort();
        let mut out = Vec::with_capacity(self.commands.cmds.len());
        for (_, id) in tops {
            out.push(id);
            let mut subs: Vec<(&Vec<u8>, &usize)> =
                self.commands.cmds[id].subcommands.iter().collect();
            subs.sort();
            out.extend(subs.into_iter().map(|(_, &s)| s));
        }
        out
    }

    fn info_commandstats(&self, out: &mut String) {
        out.push_str("# Commandstats\r\n");
        for id in self.commands_in_order() {
            let cmd = &self.commands.cmds[id];
            let st = &cmd.stats;
            if st.calls == 0 && st.failed_calls == 0 && st.rejected_calls == 0 {
                continue;
            }
            let per_call = if st.calls == 0 {
                0.0
            } else {
                st.usec as f32 / st.calls as f32
            };
            let _ = write!(
                out,
                "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                safe_info(cmd.fullname),
                st.calls,
                st.usec,
                per_call,
                st.rejected_calls,
                st.failed_calls
            );
        }
    }

    fn info_errorstats(&self, out: &mut String) {
        out.push_str("# Errorstats\r\n");
        let mut errs: Vec<&(String, u64)> = self.stats.errorstats.iter().collect();
        errs.sort();
        for (code, count) in errs {
            let _ = write!(out, "errorstat_{}:count={}\r\n", safe_info(code), count);
        }
    }

    fn info_latencystats(&self, out: &mut String) {
        out.push_str("# Latencystats\r\n");
        if !self.config.latency_tracking {
            return;
        }
        for id in self.commands_in_order() {
            let cmd = &self.commands.cmds[id];
            if let Some(h) = &cmd.stats.latency_hist {
                let _ = write!(
                    out,
                    "latency_percentiles_usec_{}:{}\r\n",
                    safe_info(cmd.fullname),
                    crate::latency::percentiles_line(
                        h,
                        &self.config.latency_tracking_info_percentiles
                    )
                );
            }
        }
    }

    pub fn info_keyspace(&self, out: &mut String) {
        out.push_str("# Keyspace\r\n");
        for db in &self.dbs {
            if db.is_empty() && db.expires_len() == 0 {
                continue;
            }
            let _ = write!(
                out,
                "db{}:keys={},expires={},avg_ttl={}\r\n",
                db.id,
                db.len(),
                db.expires_len(),
                db.avg_ttl
            );
        }
    }
}

fn info_cpu(out: &mut String) {
    let (ssys, susr) = rusage(libc::RUSAGE_SELF);
    let (csys, cusr) = rusage(libc::RUSAGE_CHILDREN);
    let (tsys, tusr) = rusage(libc::RUSAGE_THREAD);
    let _ = write!(
        out,
        "# CPU\r\n\
         used_cpu_sys:{}\r\n\
         used_cpu_user:{}\r\n\
         used_cpu_sys_children:{}\r\n\
         used_cpu_user_children:{}\r\n\
         used_cpu_sys_main_thread:{}\r\n\
         used_cpu_user_main_thread:{}\r\n",
        ssys, susr, csys, cusr, tsys, tusr
    );
}

pub fn info_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let sections = Sections::from_args(argv.iter().skip(1));
    let text = srv.gen_info_string(Some(c), &sections);
    c.add_verbatim(text.as_bytes(), "txt");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human() {
        assert_eq!(bytes_to_human(1000), "1000B");
        assert_eq!(bytes_to_human(1024 * 1024 * 3 / 2), "1.50M");
    }

    #[test]
    fn section_selection() {
        let s = Sections::from_args(Vec::<&[u8]>::new());
        assert!(s.has("server") && !s.has("commandstats"));
        let s = Sections::from_args(vec![b"CPU".as_slice(), b"all".as_slice()]);
        assert!(s.has("cpu") && s.has("commandstats") && s.all && !s.everything);
        let s = Sections::from_args(vec![b"commandSTATS".as_slice()]);
        assert!(s.has("commandstats") && !s.has("memory"));
    }

    #[test]
    fn info_everything_sections_in_order() {
        let mut srv = Server::new(crate::config::Config::default());
        let mut c = crate::networking::Client::fake(1);
        let a = crate::resp::OwnedArgv::from_slices(["SET", "k", "v"]);
        srv.process_command(&mut c, &a.view());
        let text = srv.gen_info_string(None, &Sections::from_args(vec![b"everything".as_slice()]));
        let heads: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            heads,
            [
                "# Server",
                "# Clients",
                "# Memory",
                "# Persistence",
                "# Stats",
                "# Replication",
                "# CPU",
                "# Modules",
                "# Commandstats",
                "# Errorstats",
                "# Latencystats",
                "# Cluster",
                "# Keyspace"
            ]
        );
        assert!(text.contains("\r\nrs_version:"));
        assert!(text.contains("cmdstat_set:calls=1,"));
        assert!(text.contains("latency_percentiles_usec_set:p50="));
        assert!(text.contains("db0:keys=1,expires=0,avg_ttl=0\r\n"));
        assert!(text.contains("rdb_changes_since_last_save:"));
    }
}

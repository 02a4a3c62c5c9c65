//! Latency observability: the latency monitor (Redis's latency.c: events slower than
//! `latency-monitor-threshold` ms, 160 samples per event name), per-command latency
//! histograms (latency-tracking: INFO latencystats, LATENCY HISTOGRAM), and the
//! LATENCY command with its DOCTOR report and GRAPH sparklines.

use crate::commands::CommandStats;
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use std::collections::BTreeMap;

pub const LATENCY_TS_LEN: usize = 160;

#[derive(Clone, Copy, Default)]
pub struct Sample {
    pub time: i64,
    pub latency: u64,
}

#[derive(Default)]
pub struct EventSeries {
    pub samples: Vec<Sample>,
    pub idx: usize,
    pub max: u64,
}

#[derive(Default)]
pub struct LatencyMonitor {
    pub events: BTreeMap<String, EventSeries>,
}

impl LatencyMonitor {
    /// Adds a sample; samples in the same second keep the maximum (latencyAddSample).
    pub fn add_sample(&mut self, event: &str, latency_ms: u64) {
        let now = crate::util::mstime() / 1000;
        let ts = self.events.entry(event.to_string()).or_default();
        if ts.samples.is_empty() {
            ts.samples = vec![Sample::default(); LATENCY_TS_LEN];
        }
        if latency_ms > ts.max {
            ts.max = latency_ms;
        }
        let prev = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
        if ts.samples[prev].time == now {
            if latency_ms > ts.samples[prev].latency {
                ts.samples[prev].latency = latency_ms;
            }
            return;
        }
        ts.samples[ts.idx] = Sample {
            time: now,
            latency: latency_ms,
        };
        ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
    }

    /// Samples oldest first, skipping empty slots.
    fn ordered(ts: &EventSeries) -> impl Iterator<Item = Sample> + '_ {
        (0..LATENCY_TS_LEN)
            .map(move |j| ts.samples[(ts.idx + j) % LATENCY_TS_LEN])
            .filter(|s| s.time != 0)
    }
}

impl crate::server::Server {
    #[inline]
    pub fn latency_add_sample_if_needed(&mut self, event: &str, latency_ms: u64) {
        let t = self.config.latency_monitor_threshold;
        if t != 0 && latency_ms >= t {
            self.latency.add_sample(event, latency_ms);
        }
    }
}

// ---------------------------------------------------------------------------
// Per-command latency histograms.
//
// The same bucket layout as the HdrHistogram Redis uses (values 1 ns .. 1 s, two
// significant digits): 23 power-of-two buckets of 128 linear sub-buckets, so any
// recorded value is kept within 1% and percentiles come out as Redis computes them.

const SUB_HALF_MAG: u32 = 7;
const SUB_HALF: i64 = 1 << SUB_HALF_MAG;
const SUB_COUNT: i64 = SUB_HALF * 2;
const SUB_MASK: i64 = SUB_COUNT - 1;
const BUCKETS: usize = 23;
const COUNTS_LEN: usize = (BUCKETS + 1) * SUB_HALF as usize;
pub const HIST_MIN_NS: i64 = 1;
pub const HIST_MAX_NS: i64 = 1_000_000_000;

#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    pub total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; COUNTS_LEN],
            total: 0,
        }
    }
}

#[inline]
fn bucket_index(v: i64) -> i64 {
    let pow2ceiling = 64 - (v | SUB_MASK).leading_zeros() as i64;
    pow2ceiling - (SUB_HALF_MAG as i64 + 1)
}

#[inline]
fn counts_index_for(v: i64) -> usize {
    let b = bucket_index(v);
    let sub = v >> b;
    (((b + 1) << SUB_HALF_MAG) + (sub - SUB_HALF)) as usize
}

fn value_at_index(i: usize) -> i64 {
    let mut b = (i as i64 >> SUB_HALF_MAG) - 1;
    let mut sub = (i as i64 & (SUB_HALF - 1)) + SUB_HALF;
    if b < 0 {
        sub -= SUB_HALF;
        b = 0;
    }
    sub << b
}

fn lowest_equivalent(v: i64) -> i64 {
    let b = bucket_index(v);
    (v >> b) << b
}

fn highest_equivalent(v: i64) -> i64 {
    let b = bucket_index(v);
    let sub = v >> b;
    let adjusted = if sub >= SUB_COUNT { b + 1 } else { b };
    lowest_equivalent(v) + (1i64 << adjusted) - 1
}

impl Histogram {
    #[inline]
    pub fn record(&mut self, ns: i64) {
        let v = ns.clamp(HIST_MIN_NS, HIST_MAX_NS);
        self.counts[counts_index_for(v)] += 1;
        self.total += 1;
    }

    /// The value (ns) at a percentile, as hdr_value_at_percentile.
    pub fn value_at_percentile(&self, p: f64) -> i64 {
        let p = p.min(100.0);
        let want = (((p / 100.0) * self.total as f64) + 0.5) as u64;
        let want = want.max(1);
        let mut seen = 0;
        let mut v = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= want {
                v = value_at_index(i);
                break;
            }
        }
        if p == 0.0 {
            lowest_equivalent(v)
        } else {
            highest_equivalent(v)
        }
    }

    /// The cumulative distribution LATENCY HISTOGRAM prints: (usec, cumulative count)
    /// at power-of-two reporting levels from 1024 ns, as hdr's logarithmic iterator
    /// walks them; levels adding no samples are omitted.
    pub fn cdf(&self) -> Vec<(i64, u64)> {
        let mut out = Vec::new();
        if self.total == 0 {
            return out;
        }
        let mut level: i64 = 1024;
        let mut level_lowest = lowest_equivalent(level);
        let mut idx: i64 = -1;
        let mut cumulative = 0u64;
        let mut value = 0i64;
        let mut prev = 0u64;
        loop {
            if idx >= 0 && value >= level_lowest {
                let micros = highest_equivalent(level) / 1000;
                if cumulative > prev {
                    out.push((micros, cumulative));
                }
                prev = cumulative;
                level *= 2;
                level_lowest = lowest_equivalent(level.min(HIST_MAX_NS * 2));
                if cumulative >= self.total && value < level_lowest {
                    break;
                }
                continue;
            }
            if cumulative >= self.total && idx >= 0 {
                // Past the last sample: report the level covering it, then stop.
                let micros = highest_equivalent(level) / 1000;
                if cumulative > prev {
                    out.push((micros, cumulative));
                }
                break;
            }
            idx += 1;
            if idx as usize >= COUNTS_LEN {
                break;
            }
            cumulative += self.counts[idx as usize];
            value = value_at_index(idx as usize);
        }
        out
    }
}

/// Records one call's duration (µs) in the command's histogram (created on first use).
#[inline]
pub fn record_command_latency(stats: &mut CommandStats, duration_us: u64) {
    stats
        .latency_hist
        .get_or_insert_with(Default::default)
        .record((duration_us as i64).saturating_mul(1000));
}

/// "p50=1.003,p99=2.007,p99.9=3.001": INFO latencystats' value for one command.
pub fn percentiles_line(h: &Histogram, percentiles: &[f64]) -> String {
    let mut s = String::new();
    for (i, p) in percentiles.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "p{}={:.3}",
            fmt_percentile(*p),
            h.value_at_percentile(*p) as f64 / 1000.0
        ));
    }
    s
}

/// Redis prints "%f" and strips trailing zeros and the dot: 99.900000 → "99.9", 50 → "50".
pub fn fmt_percentile(p: f64) -> String {
    let s = format!("{:.6}", p);
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_string()
}

// ---------------------------------------------------------------------------
// The LATENCY command.

pub fn latency_latest(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_array_len(srv.latency.events.len());
    for (name, ts) in &srv.latency.events {
        let last = ts.samples[(ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN];
        c.add_array_len(4);
        c.add_bulk(name.as_bytes());
        c.add_int(last.time);
        c.add_int(last.latency as i64);
        c.add_int(ts.max as i64);
    }
}

pub fn latency_history(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let name = String::from_utf8_lossy(argv.get(2));
    match srv.latency.events.get(name.as_ref()) {
        None => c.add_array_len(0),
        Some(ts) => {
            let samples: Vec<Sample> = LatencyMonitor::ordered(ts).collect();
            c.add_array_len(samples.len());
            for s in samples {
                c.add_array_len(2);
                c.add_int(s.time);
                c.add_int(s.latency as i64);
            }
        }
    }
}

pub fn latency_reset(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() == 2 {
        let n = srv.latency.events.len();
        srv.latency.events.clear();
        c.add_int(n as i64);
        return;
    }
    let mut n = 0;
    for a in argv.iter().skip(2) {
        if srv
            .latency
            .events
            .remove(String::from_utf8_lossy(a).as_ref())
            .is_some()
        {
            n += 1;
        }
    }
    c.add_int(n);
}

pub fn latency_graph(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let name = String::from_utf8_lossy(argv.get(2)).into_owned();
    let Some(ts) = srv.latency.events.get(&name) else {
        c.add_error(&format!("No samples available for event '{}'", name));
        return;
    };
    let now = crate::util::mstime() / 1000;
    let mut seq = Vec::new();
    let (mut min, mut max) = (0u64, 0u64);
    for s in LatencyMonitor::ordered(ts) {
        if seq.is_empty() {
            min = s.latency;
            max = s.latency;
        } else {
            min = min.min(s.latency);
            max = max.max(s.latency);
        }
        let elapsed = now - s.time;
        let label = if elapsed < 60 {
            format!("{}s", elapsed)
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 86400 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / 86400)
        };
        seq.push((s.latency as f64, label));
    }
    let mut g = format!(
        "{} - high {} ms, low {} ms (all time high {} ms)\n",
        name, max, min, ts.max
    );
    g.push_str(&"-".repeat(80));
    g.push('\n');
    sparkline_render(&mut g, &seq, 80, 4);
    c.add_verbatim(g.as_bytes(), "txt");
}

/// An ASCII sparkline, filled style, with labels printed vertically under each column
/// (Redis's sparkline.c output, which LATENCY GRAPH shows).
fn sparkline_render(out: &mut String, seq: &[(f64, String)], columns: usize, rows: i64) {
    const FILL: &[u8] = b"_o#";
    let charset_len = FILL.len() as i64;
    let (mut min, mut max) = (0.0f64, 0.0f64);
    for (i, (v, _)) in seq.iter().enumerate() {
        if i == 0 {
            min = *v;
            max = *v;
        } else if *v < min {
            min = *v;
        } else if *v > max {
            max = *v;
        }
    }
    let has_labels = seq.iter().any(|(_, l)| !l.is_empty());
    let mut start = 0;
    while start < seq.len() {
        let part = &seq[start..(start + columns).min(seq.len())];
        if start != 0 {
            out.push('\n');
        }
        let mut relmax = max - min;
        if relmax == 0.0 {
            relmax = 1.0;
        }
        let steps = charset_len * rows;
        let mut row = 0i64;
        loop {
            let mut more = false;
            let mut chars = vec![b' '; part.len()];
            for (j, (v, label)) in part.iter().enumerate() {
                let relval = v - min;
                let step = ((relval * steps as f64) / relmax) as i64;
                let step = step.clamp(0, steps - 1);
                if row < rows {
                    more = true;
                    let idx = step - (rows - row - 1) * charset_len;
                    if (0..charset_len).contains(&idx) {
                        chars[j] = FILL[idx as usize];
                    } else if idx >= charset_len {
                        chars[j] = b'|';
                    }
                } else {
                    // One blank line between the graph and the labels.
                    if has_labels && row - rows < 1 {
                        more = true;
                        break;
                    }
                    let lc = (row - rows - 1) as usize;
                    if label.len() > lc {
                        more = true;
                        chars[j] = label.as_bytes()[lc];
                    }
                }
            }
            if !more {
                break;
            }
            row += 1;
            out.push_str(&String::from_utf8_lossy(&chars));
            out.push('\n');
        }
        start += columns;
    }
}

pub fn latency_doctor(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let report = latency_report(srv);
    c.add_verbatim(report.as_bytes(), "txt");
}

/// Bytes of anonymous huge pages this process uses (/proc/self/smaps).
fn anon_huge_pages() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    s.lines()
        .filter_map(|l| l.strip_prefix("AnonHugePages:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

/// LATENCY DOCTOR's human-readable report (createLatencyReport).
fn latency_report(srv: &Server) -> String {
    let threshold = srv.config.latency_monitor_threshold;
    if srv.latency.events.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    #[derive(Default)]
    struct Advice {
        slowlog_enabled: bool,
        slowlog_tuning: bool,
        slowlog_inspect: bool,
        scheduler: bool,
        hz: bool,
        large_objects: bool,
        mass_eviction: bool,
        disable_thp: bool,
    }
    let mut a = Advice::default();
    let mut advices = 0;
    let mut report = String::new();
    let now = crate::util::mstime() / 1000;
    for (n, (event, ts)) in srv.latency.events.iter().enumerate() {
        if n == 0 {
            report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let samples: Vec<Sample> = ts.samples.iter().copied().filter(|s| s.time != 0).collect();
        let count = samples.len() as u64;
        let (mut avg, mut mad, mut period) = (0u64, 0u64, 0i64);
        if count > 0 {
            avg = samples.iter().map(|s| s.latency).sum::<u64>() / count;
            let oldest = samples.iter().map(|s| s.time).min().unwrap_or(now);
            period = (now - oldest).max(1);
            mad = samples
                .iter()
                .map(|s| (avg as i64 - s.latency as i64).unsigned_abs())
                .sum::<u64>()
                / count;
        }
        report.push_str(&format!(
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            n + 1,
            event,
            count,
            avg,
            mad,
            period as f64 / count.max(1) as f64,
            ts.max
        ));
        match event.as_str() {
            "command" => {
                if srv.config.slowlog_log_slower_than < 0 {
                    a.slowlog_enabled = true;
                    advices += 1;
                } else if (srv.config.slowlog_log_slower_than / 1000) as u64 > threshold {
                    a.slowlog_tuning = true;
                    advices += 1;
                }
                a.slowlog_inspect = true;
                a.large_objects = true;
                advices += 2;
            }
            "fast-command" => {
                a.scheduler = true;
                advices += 1;
            }
            "expire-cycle" => {
                a.hz = true;
                a.large_objects = true;
                advices += 2;
            }
            "eviction-del" => {
                a.large_objects = true;
                advices += 1;
            }
            "eviction-cycle" => {
                a.mass_eviction = true;
                advices += 1;
            }
            _ => {}
        }
        report.push('\n');
    }
    if anon_huge_pages() > 0 {
        a.disable_thp = true;
        advices += 1;
    }
    let events = srv.latency.events.len();
    if events == 0 && advices == 0 {
        report.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        return report;
    }
    if events > 0 && advices == 0 {
        report.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        return report;
    }
    report.push_str("\nI have a few advices for you:\n\n");
    if a.slowlog_enabled {
        report.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold * 1000));
    }
    if a.slowlog_tuning {
        report.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n", threshold * 1000));
    }
    if a.slowlog_inspect {
        report.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if a.scheduler {
        report.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    if a.hz && srv.hz < 100 {
        report.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
    }
    if a.large_objects {
        report.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    if a.mass_eviction {
        report.push_str("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n");
    }
    if a.disable_thp {
        report.push_str("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n");
    }
    report
}

fn reply_cdf(c: &mut Client, h: &Histogram) {
    c.add_map_len(2);
    c.add_bulk(b"calls");
    c.add_int(h.total as i64);
    c.add_bulk(b"histogram_usec");
    let cdf = h.cdf();
    c.add_map_len(cdf.len());
    for (us, n) in cdf {
        c.add_int(us);
        c.add_int(n as i64);
    }
}

pub fn latency_histogram(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut ids = Vec::new();
    if argv.len() == 2 {
        // Every command with data, parents before their subcommands.
        let mut tops: Vec<usize> = srv.commands.by_name.values().copied().collect();
        tops.sort_unstable();
        for id in tops {
            ids.push(id);
            let mut subs: Vec<usize> = srv.commands.cmds[id]
                .subcommands
                .values()
                .copied()
                .collect();
            subs.sort_unstable();
            ids.extend(subs);
        }
    } else {
        for a in argv.iter().skip(2) {
            if let Some(id) = srv.commands.lookup_fullname(a) {
                ids.push(id);
                // A container's own histogram is empty; Redis then lists its subcommands.
                let mut subs: Vec<usize> = srv.commands.cmds[id]
                    .subcommands
                    .values()
                    .copied()
                    .collect();
                subs.sort_unstable();
                ids.extend(subs);
            }
        }
    }
    let with_data: Vec<usize> = ids
        .into_iter()
        .filter(|&id| srv.commands.cmds[id].stats.latency_hist.is_some())
        .collect();
    c.add_map_len(with_data.len());
    for id in with_data {
        let cmd = &srv.commands.cmds[id];
        c.add_bulk(cmd.fullname.as_bytes());
        reply_cdf(c, cmd.stats.latency_hist.as_ref().unwrap());
    }
}

pub fn latency_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    crate::commands::command_cmd::reply_help(
        c,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_and_percentiles() {
        let mut h = Histogram::default();
        for v in 1..=1000i64 {
            h.record(v * 1000);
        }
        assert_eq!(h.total, 1000);
        let p50 = h.value_at_percentile(50.0);
        assert!((495_000..=505_000).contains(&p50), "{}", p50);
        let p100 = h.value_at_percentile(100.0);
        assert!((1_000_000..=1_010_000).contains(&p100), "{}", p100);
        // Values are kept within 1% (two significant digits).
        for v in [1i64, 127, 128, 255, 256, 1000, 123_456, 999_999_999] {
            let i = counts_index_for(v);
            let lo = value_at_index(i);
            assert!(lo <= v && v <= highest_equivalent(lo), "{} {}", v, lo);
            assert!((v - lo) as f64 <= v as f64 / 100.0 + 1.0);
        }
        let cdf = h.cdf();
        assert_eq!(cdf.last().unwrap().1, 1000);
        assert!(cdf.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
    }

    #[test]
    fn percentile_names() {
        assert_eq!(fmt_percentile(50.0), "50");
        assert_eq!(fmt_percentile(99.9), "99.9");
        assert_eq!(fmt_percentile(0.0), "0");
    }

    #[test]
    fn sparkline_shape() {
        let mut out = String::new();
        let seq = vec![(1.0, "3s".to_string()), (10.0, "1s".to_string())];
        sparkline_render(&mut out, &seq, 80, 4);
        assert_eq!(out, " #\n |\n |\n_|\n  \n31\nss\n");
    }
}

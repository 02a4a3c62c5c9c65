//! The latency monitor (Redis's latency.c): events slower than
//! `latency-monitor-threshold` ms are sampled per event name, 160 samples each,
//! and served by the LATENCY command.

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

//! Crash safety of the AOF with `appendfsync always`: a client writes as fast as it
//! can (pipelined SETs and an INCR counter) while the server is killed with SIGKILL
//! at a random moment; after each restart on the same directory every write the client
//! saw acknowledged must be there. `REDIS_RS_AOF_CRASH_TRIALS` sets the number of
//! trials (default 50); utils/aof-soak runs many more.

mod common;

use common::{resp, Server};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const ARGS: &[&str] = &[
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--save",
    "",
];

/// A small xorshift so the test needs no extra crate; seeded from the clock.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// What the writer saw acknowledged: key → value, and the counter's acked INCRs.
#[derive(Default)]
struct Acked {
    keys: Vec<(String, String)>,
    incrs: u64,
    incrs_sent: u64,
}

/// Writes until the connection dies; records every write whose reply arrived.
fn write_until_killed(port: u16, trial: usize, stop: Arc<AtomicBool>) -> Acked {
    let mut acked = Acked::default();
    let Ok(s) = TcpStream::connect(("127.0.0.1", port)) else {
        return acked;
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    s.set_nodelay(true).ok();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        // A pipeline of 8 SETs and one INCR.
        let mut batch = Vec::new();
        let mut sent = Vec::new();
        for _ in 0..8 {
            let k = format!("t{}:k{}", trial, i);
            let v = format!("v{}-{}", trial, i);
            batch.extend_from_slice(&resp(&[b"SET", k.as_bytes(), v.as_bytes()]));
            sent.push((k, v));
            i += 1;
        }
        batch.extend_from_slice(&resp(&[b"INCR", b"counter"]));
        if w.write_all(&batch).is_err() {
            return acked;
        }
        acked.incrs_sent += 1;
        for kv in sent {
            let mut line = String::new();
            match r.read_line(&mut line) {
                Ok(n) if n > 0 && line == "+OK\r\n" => acked.keys.push(kv),
                _ => return acked,
            }
        }
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(n) if n > 0 && line.starts_with(':') => acked.incrs += 1,
            _ => return acked,
        }
    }
    acked
}

/// GETs in pipelined batches.
fn get_many(srv: &Server, keys: &[&str]) -> Vec<Option<String>> {
    let mut out = Vec::with_capacity(keys.len());
    let s = srv.raw();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    for chunk in keys.chunks(500) {
        let mut batch = Vec::new();
        for k in chunk {
            batch.extend_from_slice(&resp(&[b"GET", k.as_bytes()]));
        }
        w.write_all(&batch).unwrap();
        for _ in chunk {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            if line.starts_with("$-1") {
                out.push(None);
            } else {
                let mut val = String::new();
                r.read_line(&mut val).unwrap();
                out.push(Some(val.trim_end().to_string()));
            }
        }
    }
    out
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let trials: usize = std::env::var("REDIS_RS_AOF_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mut rng = Rng(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1);
    let dir = Server::new_dir();
    let mut expected: HashMap<String, String> = HashMap::new();
    let mut incrs_acked = 0u64;
    let mut incrs_sent = 0u64;
    for trial in 0..trials {
        let srv = Server::start_in(&dir, ARGS);
        // Everything acknowledged before the previous kill is back.
        let keys: Vec<&str> = expected.keys().map(|k| k.as_str()).collect();
        let got = get_many(&srv, &keys);
        for (k, v) in keys.iter().zip(got) {
            assert_eq!(
                v.as_deref(),
                Some(expected[*k].as_str()),
                "trial {}: acknowledged key {} lost or wrong; log:\n{}",
                trial,
                k,
                srv.log()
            );
        }
        let counter: u64 = get_many(&srv, &["counter"])[0]
            .as_deref()
            .map(|v| v.parse().unwrap())
            .unwrap_or(0);
        assert!(
            counter >= incrs_acked && counter <= incrs_sent,
            "trial {}: counter {} outside [{}, {}]",
            trial,
            counter,
            incrs_acked,
            incrs_sent
        );
        // Writes after the reload continue from what the server has.
        incrs_acked = counter;
        incrs_sent = counter;
        let stop = Arc::new(AtomicBool::new(false));
        let port = srv.port;
        let st = stop.clone();
        let writer = std::thread::spawn(move || write_until_killed(port, trial, st));
        std::thread::sleep(Duration::from_micros(rng.next() % 40_000));
        srv.kill9();
        stop.store(true, Ordering::Relaxed);
        let acked = writer.join().unwrap();
        for (k, v) in acked.keys {
            expected.insert(k, v);
        }
        incrs_acked += acked.incrs;
        incrs_sent += acked.incrs_sent;
    }
    let srv = Server::start_in(&dir, ARGS);
    let keys: Vec<&str> = expected.keys().map(|k| k.as_str()).collect();
    let got = get_many(&srv, &keys);
    for (k, v) in keys.iter().zip(got) {
        assert_eq!(
            v.as_deref(),
            Some(expected[*k].as_str()),
            "final: key {}",
            k
        );
    }
    assert!(
        !expected.is_empty(),
        "the writer never got a write acknowledged"
    );
    eprintln!(
        "{} trials, {} acknowledged keys and {} INCRs checked",
        trials,
        expected.len(),
        incrs_acked
    );
}

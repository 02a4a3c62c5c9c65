//! Configuration compatibility against real Redis.
//!
//! * `commented_examples_match_redis`: every commented-out example directive in
//!   the fixture configs (redis-5.0.7.conf, redis-7.0.15.conf, Debian's
//!   7.0.15 redis.conf), uncommented alone, must be accepted or refused exactly
//!   as Debian's /usr/bin/redis-server 7.0.15 does. Redis has no dry-run flag,
//!   so each side is started on a free port of our range and judged by whether
//!   it reaches "Ready to accept connections" or exits non-zero.
//! * `fixture_configs_start`: the three fixture files start our server unchanged
//!   (plus port/dir/pidfile/logfile overrides) and answer redis-cli.
//!
//! Needs the fixtures (REDIS_FIXTURES, default /work/shared/fixtures) and the
//! real server (/usr/bin/redis-server); without them the tests say so and pass.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REAL: &str = "/usr/bin/redis-server";
/// Ports 21100..21899 of this worktree's range; each worker owns a block.
const PORT_BASE: u16 = 21100;

fn ours() -> &'static str {
    env!("CARGO_BIN_EXE_redis-server")
}

fn fixtures() -> Option<PathBuf> {
    let d = PathBuf::from(
        std::env::var("REDIS_FIXTURES").unwrap_or_else(|_| "/work/shared/fixtures".into()),
    );
    if d.join("redis-7.0.15.conf").exists() {
        Some(d)
    } else {
        None
    }
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rs-cfgdiff-{}-{}", std::process::id(), tag));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// All directive names our table and Redis's parser know (first words to try).
fn looks_like_directive(word: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "include",
        "rename-command",
        "user",
        "loadmodule",
        "sentinel",
    ];
    SPECIAL.contains(&word) || word.contains('-') || word.contains('_') || KNOWN.contains(&word)
}

/// One-word directive names (no '-' or '_'): the rest are caught by the dash rule.
const KNOWN: &[&str] = &[
    "rdbchecksum",
    "daemonize",
    "protected",
    "rdbcompression",
    "activerehashing",
    "activedefrag",
    "appendonly",
    "aclfile",
    "unixsocket",
    "pidfile",
    "masteruser",
    "dbfilename",
    "appendfilename",
    "appenddirname",
    "logfile",
    "masterauth",
    "requirepass",
    "supervised",
    "loglevel",
    "appendfsync",
    "databases",
    "port",
    "timeout",
    "hz",
    "maxclients",
    "unixsocketperm",
    "maxmemory",
    "dir",
    "save",
    "bind",
    "replicaof",
    "slaveof",
];

/// Candidate example lines: "#word ..." or "# word ..." whose first word looks
/// like a directive. Returns (file, line number, uncommented text).
fn examples(dir: &Path) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for f in [
        "redis-5.0.7.conf",
        "redis-7.0.15.conf",
        "debian-7.0.15-redis.conf",
    ] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        for (n, l) in text.lines().enumerate() {
            let rest = match l.strip_prefix("# ").or_else(|| l.strip_prefix('#')) {
                Some(r) => r,
                None => continue,
            };
            let word = rest.split_whitespace().next().unwrap_or("");
            if word.is_empty()
                || !word.chars().next().unwrap().is_ascii_lowercase()
                || !word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
                || !looks_like_directive(word)
            {
                continue;
            }
            out.push((f.to_string(), n + 1, rest.to_string()));
        }
    }
    // The same example appears in several files: try each text once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|(_, _, t)| seen.insert(t.clone()));
    out
}

#[derive(Debug, PartialEq, Clone, Copy)]
enum Verdict {
    Accepted,
    Refused,
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Starts `bin` with the one-line config and judges it.
fn judge(bin: &str, line: &str, port: u16, dir: &Path) -> (Verdict, String) {
    let conf = dir.join("one.conf");
    std::fs::write(&conf, format!("{}\n", line)).unwrap();
    let mut child = Command::new(bin)
        .arg(&conf)
        .args(["--port", &port.to_string()])
        .args(["--cluster-port", &(port + 1).to_string()])
        .args(["--daemonize", "no", "--pidfile", "", "--logfile", ""])
        .args(["--loglevel", "notice", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if l.contains("Ready to accept connections")
                || l.contains("ready to accept connections at")
            {
                let _ = tx.send(());
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if rx.try_recv().is_ok() {
            kill(&mut child);
            return (Verdict::Accepted, String::new());
        }
        if let Ok(Some(st)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let v = if st.success() {
                Verdict::Accepted
            } else {
                Verdict::Refused
            };
            return (v, err);
        }
        if Instant::now() > deadline {
            kill(&mut child);
            return (Verdict::Accepted, "(still running after 5s)".into());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn commented_examples_match_redis() {
    let dir = match fixtures() {
        Some(d) if Path::new(REAL).exists() => d,
        _ => {
            eprintln!("SKIPPED: needs the fixture configs and {}", REAL);
            return;
        }
    };
    let cases = Arc::new(examples(&dir));
    assert!(cases.len() > 150, "too few examples found: {}", cases.len());
    let next = Arc::new(AtomicUsize::new(0));
    let mismatches = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let workers = 4;
    let mut hs = Vec::new();
    for w in 0..workers {
        let (cases, next, mismatches) = (cases.clone(), next.clone(), mismatches.clone());
        let refused = refused.clone();
        hs.push(std::thread::spawn(move || {
            let base = PORT_BASE + (w as u16) * 100;
            let mut k = 0u16;
            let d = tmpdir(&format!("w{}", w));
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= cases.len() {
                    break;
                }
                let (file, n, line) = &cases[i];
                let port = base + (k % 48) * 2;
                k += 1;
                let (real, real_err) = judge(REAL, line, port, &d);
                let (mine, my_err) = judge(ours(), line, port, &d);
                if real == Verdict::Refused {
                    refused.fetch_add(1, Ordering::SeqCst);
                }
                if real != mine {
                    mismatches.lock().unwrap().push(format!(
                        "{}:{}: '{}': redis {:?} ({}), ours {:?} ({})",
                        file,
                        n,
                        line,
                        real,
                        real_err.trim().lines().last().unwrap_or(""),
                        mine,
                        my_err.trim().lines().last().unwrap_or("")
                    ));
                }
            }
            let _ = std::fs::remove_dir_all(&d);
        }));
    }
    for h in hs {
        h.join().unwrap();
    }
    let m = mismatches.lock().unwrap();
    let nref = refused.load(Ordering::SeqCst);
    eprintln!(
        "checked {} example lines, {} refused by redis",
        cases.len(),
        nref
    );
    // Both outcomes must occur, or the judging itself is broken.
    assert!(
        nref >= 10 && nref + 50 < cases.len(),
        "implausible split: {} refused",
        nref
    );
    assert!(m.is_empty(), "{} mismatches:\n{}", m.len(), m.join("\n"));
}

fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn fixture_configs_start() {
    let dir = match fixtures() {
        Some(d) => d,
        None => {
            eprintln!("SKIPPED: needs the fixture configs");
            return;
        }
    };
    for (k, f) in [
        "redis-5.0.7.conf",
        "redis-7.0.15.conf",
        "debian-7.0.15-redis.conf",
    ]
    .iter()
    .enumerate()
    {
        let port = 21950 + k as u16;
        let d = tmpdir(&format!("start{}", k));
        let pidfile = d.join("redis.pid");
        let logfile = d.join("redis.log");
        let st = Command::new(ours())
            .arg(dir.join(f))
            .args(["--port", &port.to_string()])
            .arg("--dir")
            .arg(&d)
            .arg("--pidfile")
            .arg(&pidfile)
            .arg("--logfile")
            .arg(&logfile)
            .arg("--daemonize")
            .arg("yes")
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "{}: parent exit {:?}", f, st);
        let deadline = Instant::now() + Duration::from_secs(5);
        while cli(port, &["ping"]) != "PONG" {
            assert!(
                Instant::now() < deadline,
                "{}: no PONG; log:\n{}",
                f,
                std::fs::read_to_string(&logfile).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            cli(port, &["config", "get", "port"]),
            format!("port\n{}", port)
        );
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let log = std::fs::read_to_string(&logfile).unwrap();
        assert!(log.contains("Configuration loaded"), "{}", log);
        assert!(log.contains("Ready to accept connections"), "{}", log);
        // SAFETY-free: plain kill(1) of the daemon we started, by its pidfile.
        Command::new("kill").arg(pid.to_string()).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while pidfile.exists() {
            assert!(
                Instant::now() < deadline,
                "{}: pidfile not removed on exit",
                f
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn misspelled_directive_fails_with_line_number() {
    let d = tmpdir("typo");
    let conf = d.join("bad.conf");
    std::fs::write(&conf, "port 21990\n# comment\nmaxmemry 10mb\n").unwrap();
    let out = Command::new(ours()).arg(&conf).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'maxmemry 10mb'\nBad directive or wrong number of arguments\n"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// A minimal RESP client: sends one command, returns the reply flattened to text.
struct Conn(std::net::TcpStream, BufReader<std::net::TcpStream>);

impl Conn {
    fn open(port: u16) -> Conn {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let r = BufReader::new(s.try_clone().unwrap());
                return Conn(s, r);
            }
            assert!(Instant::now() < deadline, "cannot connect to {}", port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn cmd(&mut self, args: &[&str]) -> String {
        use std::io::Write;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{}\r\n", a.len(), a));
        }
        self.0.write_all(req.as_bytes()).unwrap();
        self.read()
    }

    /// The reply as a list of strings (one per element for arrays and maps).
    fn cmd_vec(&mut self, args: &[&str]) -> Vec<String> {
        use std::io::Write;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{}\r\n", a.len(), a));
        }
        self.0.write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        self.1.read_line(&mut line).unwrap();
        let n: usize = line.trim_end()[1..].parse().unwrap();
        let n = if line.starts_with('%') { n * 2 } else { n };
        (0..n).map(|_| self.read()).collect()
    }

    fn read(&mut self) -> String {
        let mut line = String::new();
        self.1.read_line(&mut line).unwrap();
        let line = line.trim_end().to_string();
        let (t, rest) = line.split_at(1);
        match t {
            "*" | "%" => {
                let n: i64 = rest.parse().unwrap();
                let n = if t == "%" { n * 2 } else { n };
                (0..n.max(0))
                    .map(|_| self.read())
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            "$" => {
                let n: i64 = rest.parse().unwrap();
                if n < 0 {
                    return "(nil)".into();
                }
                let mut buf = vec![0u8; n as usize + 2];
                self.1.read_exact(&mut buf).unwrap();
                String::from_utf8_lossy(&buf[..n as usize]).into_owned()
            }
            _ => line,
        }
    }
}

/// CONFIG SET of many values on every settable config, then CONFIG GET, must
/// answer exactly like real Redis (errors, normalisation, clamping).
#[test]
fn config_set_matches_redis() {
    if !Path::new(REAL).exists() {
        eprintln!("SKIPPED: needs {}", REAL);
        return;
    }
    let d = tmpdir("setdiff");
    let spawn = |bin: &str, port: u16| {
        Command::new(bin)
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--daemonize",
                "no",
                "--bind",
                "127.0.0.1",
            ])
            .current_dir(&d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (pr, po) = (21980u16, 21981u16);
    let mut real = spawn(REAL, pr);
    let mut mine = spawn(ours(), po);
    let mut cr = Conn::open(pr);
    let mut co = Conn::open(po);
    let pairs = |v: Vec<String>| {
        let mut p: Vec<String> = v
            .chunks(2)
            .map(|c| c.join("="))
            .filter(|l| !l.starts_with("port="))
            .collect();
        p.sort();
        p
    };
    let all = cr.cmd_vec(&["config", "get", "*"]);
    let names: Vec<String> = all.iter().step_by(2).cloned().collect();
    assert!(names.len() > 150);
    let (pa, pb) = (pairs(all), pairs(co.cmd_vec(&["config", "get", "*"])));
    let only_real: Vec<_> = pa.iter().filter(|x| !pb.contains(x)).collect();
    let only_ours: Vec<_> = pb.iter().filter(|x| !pa.contains(x)).collect();
    assert!(
        only_real.is_empty() && only_ours.is_empty(),
        "CONFIG GET * differs at defaults: redis {:?} ours {:?}",
        only_real,
        only_ours
    );
    // Configs whose change would disturb the test itself (listeners, auth,
    // cwd, files) or the machine (oom score, fd limits).
    let skip = [
        "port",
        "bind",
        "dir",
        "requirepass",
        "unixsocket",
        "logfile",
        "maxclients",
        "appendonly",
        "save",
        "oom-score-adj",
        "oom-score-adj-values",
        "io-threads",
    ];
    let vals = [
        "yes",
        "no",
        "-1",
        "0",
        "1",
        "100",
        "1kb",
        "10%",
        "abc",
        "",
        "1 2",
        "200%",
        "0777",
        "normal 1mb 2mb 3",
        "save now",
        "KEA",
        "99.9 50",
        "{title}",
        "a/b",
        "1gb",
        "18446744073709551615",
        "-100%",
        "local",
        "allkeys-lru",
    ];
    let mut mism = Vec::new();
    for n in names.iter().filter(|n| !skip.contains(&n.as_str())) {
        for v in vals {
            let a = (
                cr.cmd(&["config", "set", n, v]),
                cr.cmd(&["config", "get", n]),
            );
            let b = (
                co.cmd(&["config", "set", n, v]),
                co.cmd(&["config", "get", n]),
            );
            if a != b {
                mism.push(format!("{} {:?}: redis {:?} ours {:?}", n, v, a, b));
            }
        }
    }
    let _ = real.kill();
    let _ = mine.kill();
    let _ = real.wait();
    let _ = mine.wait();
    let _ = std::fs::remove_dir_all(&d);
    assert!(
        mism.is_empty(),
        "{} mismatches:\n{}",
        mism.len(),
        mism.join("\n")
    );
}

//! Cluster support for the integration tests: nodes of our binary or of Debian's
//! redis-server 7.0.15 (mixed clusters), `redis-cli --cluster` runs, waiting for
//! `cluster_state:ok`, a redirection-following client for loading and checking keys.

use super::Server;
use std::collections::HashMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Our binary (or REDIS_RS_TEST_SERVER's).
pub fn ours() -> PathBuf {
    super::server_bin()
}

/// Debian's redis-server 7.0.15 (package redis-server), for mixed clusters.
pub fn debian() -> PathBuf {
    let p = PathBuf::from("/usr/bin/redis-server");
    assert!(
        p.is_file(),
        "Debian's redis-server is not installed: apt-get install redis-server"
    );
    p
}

/// A cluster node with its own directory, nodes.conf and AOF, node timeout 3000 ms.
pub fn start_node(bin: &Path, extra: &[&str]) -> Server {
    let mut args = vec![
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-node-timeout",
        "3000",
        "--appendonly",
        "yes",
        "--save",
        "",
        "--enable-debug-command",
        "yes",
    ];
    args.extend_from_slice(extra);
    Server::start_cluster_node_in(bin, &Server::new_dir(), &args)
}

pub fn start_nodes(bin: &Path, n: usize) -> Vec<Server> {
    (0..n).map(|_| start_node(bin, &[])).collect()
}

pub fn addr(s: &Server) -> String {
    format!("127.0.0.1:{}", s.port)
}

/// `redis-cli --cluster ARGS...` (at most 180 s), with --cluster-yes where it asks.
pub fn cli_cluster(args: &[&str]) -> Output {
    let out = Command::new("timeout")
        .arg("180")
        .arg(super::redis_cli())
        .arg("--cluster")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running redis-cli --cluster");
    out
}

/// Like cli_cluster, and the run must succeed; returns its stdout.
pub fn cli_cluster_ok(args: &[&str]) -> String {
    let out = cli_cluster(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "redis-cli --cluster {:?} failed ({:?}):\n{}\n{}",
        args,
        out.status,
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// One reply line of `redis-cli -p PORT ARGS...` (its raw, non-tty output).
pub fn call(s: &Server, args: &[&str]) -> String {
    let out = s.cli(args);
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    f()
}

/// A field of CLUSTER INFO.
pub fn info_field(s: &Server, field: &str) -> String {
    let text = call(s, &["cluster", "info"]);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Waits until every node says cluster_state:ok; on timeout panics with their views.
pub fn wait_cluster_ok(nodes: &[&Server], timeout: Duration) {
    let ok = wait_for(timeout, || {
        nodes.iter().all(|n| info_field(n, "cluster_state") == "ok")
    });
    if !ok {
        let views: Vec<String> = nodes
            .iter()
            .map(|n| format!("{}:\n{}", n.port, call(n, &["cluster", "nodes"])))
            .collect();
        panic!("cluster not ok after {:?}:\n{}", timeout, views.join("\n"));
    }
}

/// `--cluster check` finds nothing wrong.
pub fn check_clean(s: &Server) {
    let out = cli_cluster_ok(&["check", &addr(s)]);
    assert!(
        out.contains("[OK] All nodes agree about slots configuration.")
            && out.contains("[OK] All 16384 slots covered.")
            && !out.contains("[ERR]")
            && !out.contains("[WARNING]"),
        "--cluster check:\n{out}"
    );
}

pub fn node_id(s: &Server) -> String {
    call(s, &["cluster", "myid"])
}

/// One line of CLUSTER NODES.
#[derive(Debug, Clone)]
pub struct NodeLine {
    pub id: String,
    pub port: u16,
    pub flags: Vec<String>,
    pub master: String,
    pub slots: usize,
    pub ranges: Vec<(usize, usize)>,
}

pub fn nodes(s: &Server) -> Vec<NodeLine> {
    call(s, &["cluster", "nodes"])
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            if f.len() < 8 {
                return None;
            }
            let port = f[1].split('@').next()?.rsplit(':').next()?.parse().ok()?;
            let mut ranges = Vec::new();
            for r in &f[8..] {
                if r.starts_with('[') {
                    continue;
                }
                ranges.push(match r.split_once('-') {
                    Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                    None => (r.parse().ok()?, r.parse().ok()?),
                });
            }
            let slots = ranges.iter().map(|(a, b)| b - a + 1).sum();
            Some(NodeLine {
                id: f[0].to_string(),
                port,
                flags: f[2].split(',').map(str::to_string).collect(),
                master: f[3].to_string(),
                slots,
                ranges,
            })
        })
        .collect()
}

/// The node of `nodes` that serves `slot`, as the first node sees it.
pub fn owner_of(nodes: &[Server], slot: usize) -> &Server {
    let view = self::nodes(&nodes[0]);
    let line = view
        .iter()
        .find(|l| l.ranges.iter().any(|&(a, b)| (a..=b).contains(&slot)))
        .unwrap_or_else(|| panic!("nobody serves slot {slot}: {view:?}"));
    nodes
        .iter()
        .find(|n| n.port == line.port)
        .expect("the owner is one of ours")
}

/// The role ROLE reports ("master" / "slave").
pub fn role(s: &Server) -> String {
    call(s, &["role"]).lines().next().unwrap_or("").to_string()
}

/// A client that follows MOVED/ASK like a cluster client, over raw RESP.
pub struct ClusterClient {
    conns: HashMap<u16, TcpStream>,
    seed: u16,
}

impl ClusterClient {
    pub fn new(seed: &Server) -> ClusterClient {
        ClusterClient::on_port(seed.port)
    }

    pub fn on_port(port: u16) -> ClusterClient {
        ClusterClient {
            conns: HashMap::new(),
            seed: port,
        }
    }

    fn conn(&mut self, port: u16) -> &mut TcpStream {
        self.conns.entry(port).or_insert_with(|| {
            let s = TcpStream::connect(("127.0.0.1", port)).expect("connecting to a node");
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s
        })
    }

    /// Runs a command, following up to 16 redirections; the final reply line(s).
    pub fn cmd(&mut self, args: &[&str]) -> String {
        use std::io::Write;
        let mut port = self.seed;
        let mut asking = false;
        for _ in 0..16 {
            let c = self.conn(port);
            if asking {
                c.write_all(&super::resp(&[b"ASKING"])).unwrap();
                let _ = super::read_replies(c, 1);
            }
            let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
            c.write_all(&super::resp(&a)).unwrap();
            let reply = String::from_utf8_lossy(&super::read_replies(c, 1)).into_owned();
            let redirect = reply
                .strip_prefix("-MOVED ")
                .map(|r| (r, false))
                .or_else(|| reply.strip_prefix("-ASK ").map(|r| (r, true)));
            match redirect {
                Some((rest, ask)) => {
                    let target = rest.trim().split(' ').nth(1).unwrap_or("");
                    port = target.rsplit(':').next().unwrap().parse().unwrap();
                    asking = ask;
                    if !ask {
                        self.seed = port;
                    }
                }
                None if reply.starts_with("-TRYAGAIN") => {
                    std::thread::sleep(Duration::from_millis(50));
                    asking = false;
                }
                None => return reply,
            }
        }
        panic!("too many redirections for {:?}", args);
    }
}

/// Writes `n` keys key:<i> = <i> through redirections.
pub fn fill(seed: &Server, n: usize) {
    let mut c = ClusterClient::new(seed);
    for i in 0..n {
        let r = c.cmd(&["SET", &format!("key:{i}"), &i.to_string()]);
        assert_eq!(r, "+OK\r\n", "SET key:{i}");
    }
}

/// Every key written by `fill` is still there with its value.
pub fn check_keys(seed: &Server, n: usize) {
    let mut c = ClusterClient::new(seed);
    for i in 0..n {
        let v = i.to_string();
        let r = c.cmd(&["GET", &format!("key:{i}")]);
        assert_eq!(r, format!("${}\r\n{}\r\n", v.len(), v), "GET key:{i}");
    }
}

/// `--cluster create` of all nodes with `replicas` replicas per master; waits for ok.
pub fn create(nodes: &[&Server], replicas: usize) -> String {
    let mut args: Vec<String> = vec!["create".into()];
    args.extend(nodes.iter().map(|n| addr(n)));
    args.push("--cluster-replicas".into());
    args.push(replicas.to_string());
    args.push("--cluster-yes".into());
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = cli_cluster_ok(&a);
    wait_cluster_ok(nodes, Duration::from_secs(30));
    out
}

/// A free client port whose bus port (+10000) is free too.
pub fn free_cluster_port() -> u16 {
    super::free_port_with_bus()
}

/// Waits until the replica `replica` of a killed master is a master and every survivor
/// says cluster_state:ok; returns how long it took.
pub fn wait_failover(replica: &Server, survivors: &[&Server], timeout: Duration) -> Duration {
    let start = Instant::now();
    let ok = wait_for(timeout, || {
        role(replica) == "master"
            && survivors
                .iter()
                .all(|n| info_field(n, "cluster_state") == "ok")
    });
    assert!(ok, "no failover within {:?}", timeout);
    start.elapsed()
}

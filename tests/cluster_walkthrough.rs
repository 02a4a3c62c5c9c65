//! The Redis Cluster walkthrough as users do it, with the stock 5.0.7 redis.conf edited as
//! they edit it (cluster-enabled, cluster-config-file nodes-<port>.conf, cluster-node-timeout,
//! daemonize yes, pidfile, dir, logfile) and Debian's redis-cli 7.0.15: create with
//! --cluster-replicas 1, MOVED without -c, redirection with -c, add-node as master and as
//! --cluster-slave, reshard 6000 slots, a clean --cluster check, kill -9 of a master and its
//! replica promoted within node_timeout + 5 s, the old master back as a replica, no key lost.
//!
//! Needs the cluster bus: #[ignore]d in plain `cargo test` until it is built;
//! `./runtest-cluster` runs it. The fixture comes from REDIS_FIXTURES
//! (default /work/shared/fixtures).

mod common;

use common::cluster::*;
use common::Server;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A daemonized node: started from its redis.conf, stopped by the pid in its pidfile.
struct Daemon {
    port: u16,
    dir: PathBuf,
}

fn fixture() -> String {
    let d = std::env::var("REDIS_FIXTURES").unwrap_or_else(|_| "/work/shared/fixtures".into());
    std::fs::read_to_string(PathBuf::from(d).join("redis-5.0.7.conf"))
        .expect("the stock redis-5.0.7.conf fixture (REDIS_FIXTURES)")
}

impl Daemon {
    fn start() -> Daemon {
        let port = free_cluster_port();
        let dir = Server::new_dir();
        let conf = fixture()
            .lines()
            .map(|l| match l {
                "port 6379" => format!("port {port}"),
                "daemonize no" => "daemonize yes".into(),
                "pidfile /var/run/redis_6379.pid" => format!("pidfile {}/redis.pid", dir.display()),
                "dir ./" => format!("dir {}", dir.display()),
                "logfile \"\"" => format!("logfile {}/redis.log", dir.display()),
                "appendonly no" => "appendonly yes".into(),
                "# cluster-enabled yes" => "cluster-enabled yes".into(),
                "# cluster-config-file nodes-6379.conf" => {
                    format!("cluster-config-file nodes-{port}.conf")
                }
                "# cluster-node-timeout 15000" => "cluster-node-timeout 3000".into(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(dir.join("redis.conf"), conf).unwrap();
        let d = Daemon { port, dir };
        d.launch();
        d
    }

    fn launch(&self) {
        let st = Command::new(ours())
            .arg(self.dir.join("redis.conf"))
            .stdin(Stdio::null())
            .status()
            .expect("starting a daemonized node");
        assert!(st.success(), "daemonized start failed");
        assert!(
            wait_for(Duration::from_secs(10), || self.ping()),
            "node {} did not come up:\n{}",
            self.port,
            std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
        );
    }

    fn ping(&self) -> bool {
        let out = Command::new(common::redis_cli())
            .args(["-p", &self.port.to_string(), "ping"])
            .output();
        matches!(out, Ok(o) if o.stdout.starts_with(b"PONG"))
    }

    fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.join("redis.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn kill9(&self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        assert!(wait_for(Duration::from_secs(10), || !self.ping()));
        let _ = std::fs::remove_file(self.dir.join("redis.pid"));
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// One reply of `redis-cli -p PORT ARGS...`.
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(common::redis_cli())
            .arg("-p")
            .arg(self.port.to_string())
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn state_ok(d: &Daemon) -> bool {
    d.cli(&["cluster", "info"]).contains("cluster_state:ok")
}

fn myself_line(d: &Daemon) -> String {
    d.cli(&["cluster", "nodes"])
        .lines()
        .find(|l| l.contains("myself"))
        .unwrap_or("")
        .to_string()
}

#[test]
#[ignore = "needs the cluster bus; ./runtest-cluster runs it"]
fn walkthrough_with_the_stock_5_0_7_redis_conf() {
    let nodes: Vec<Daemon> = (0..6).map(|_| Daemon::start()).collect();
    let mut args = vec!["create".to_string()];
    args.extend(nodes.iter().map(Daemon::addr));
    args.extend(["--cluster-replicas", "1", "--cluster-yes"].map(String::from));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    cli_cluster_ok(&a);
    assert!(wait_for(Duration::from_secs(30), || nodes
        .iter()
        .all(state_ok)));

    // Without -c a node that does not serve slot 12182 answers MOVED; with -c it follows.
    let moved: Vec<String> = nodes
        .iter()
        .map(|n| n.cli(&["set", "foo", "bar"]))
        .collect();
    assert!(
        moved
            .iter()
            .any(|r| r.starts_with("MOVED 12182 127.0.0.1:")),
        "{moved:?}"
    );
    let out = Command::new(common::redis_cli())
        .args(["-c", "-p", &nodes[0].port.to_string(), "set", "foo", "bar"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK");
    for n in &nodes {
        let out = Command::new(common::redis_cli())
            .args(["-c", "-p", &n.port.to_string(), "get", "foo"])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "bar");
    }
    let mut client = ClusterClientPort::new(nodes[0].port);
    for i in 0..1000 {
        assert_eq!(client.set(i), "+OK\r\n");
    }

    // add-node as master, then a replica of it, then reshard 6000 slots to it.
    let m = Daemon::start();
    let r = Daemon::start();
    cli_cluster_ok(&["add-node", &m.addr(), &nodes[0].addr()]);
    assert!(wait_for(Duration::from_secs(20), || state_ok(&m)));
    let mid = m.cli(&["cluster", "myid"]);
    cli_cluster_ok(&[
        "add-node",
        &r.addr(),
        &nodes[0].addr(),
        "--cluster-slave",
        "--cluster-master-id",
        &mid,
    ]);
    assert!(wait_for(Duration::from_secs(20), || myself_line(&r)
        .contains("slave")));
    cli_cluster_ok(&[
        "reshard",
        &nodes[0].addr(),
        "--cluster-from",
        "all",
        "--cluster-to",
        &mid,
        "--cluster-slots",
        "6000",
        "--cluster-yes",
    ]);
    let check = cli_cluster_ok(&["check", &nodes[1].addr()]);
    assert!(
        check.contains("[OK] All 16384 slots covered.") && !check.contains("[ERR]"),
        "{check}"
    );
    let mut client = ClusterClientPort::new(nodes[2].port);
    for i in 0..1000 {
        assert_eq!(
            client.get(i),
            format!("${}\r\n{}\r\n", i.to_string().len(), i)
        );
    }

    // kill -9 of a master: its replica takes over within node_timeout + 5 s.
    let master_line = myself_line(&nodes[0]);
    let (victim, replica) = if master_line.contains("master") {
        let id = nodes[0].cli(&["cluster", "myid"]);
        let rep = nodes
            .iter()
            .find(|n| myself_line(n).split(' ').nth(3) == Some(id.as_str()))
            .expect("a replica of node 0");
        (&nodes[0], rep)
    } else {
        let master_id = master_line.split(' ').nth(3).unwrap().to_string();
        let v = nodes
            .iter()
            .find(|n| n.cli(&["cluster", "myid"]) == master_id)
            .expect("node 0's master");
        (v, &nodes[0])
    };
    victim.kill9();
    let start = std::time::Instant::now();
    assert!(
        wait_for(Duration::from_millis(8000), || myself_line(replica)
            .contains("master")),
        "replica not promoted within node_timeout + 5 s"
    );
    let survivors: Vec<&Daemon> = nodes
        .iter()
        .chain([&m, &r])
        .filter(|n| n.port != victim.port)
        .collect();
    assert!(wait_for(Duration::from_secs(10), || survivors
        .iter()
        .all(|n| state_ok(n))));
    eprintln!(
        "failover: {:?} from kill -9 to cluster_state:ok",
        start.elapsed()
    );

    // The old master comes back as a replica of its replacement.
    victim.launch();
    let new_id = replica.cli(&["cluster", "myid"]);
    assert!(wait_for(Duration::from_secs(20), || {
        let l = myself_line(victim);
        l.contains("slave") && l.split(' ').nth(3) == Some(new_id.as_str())
    }));
    let check = cli_cluster_ok(&["check", &replica.addr()]);
    assert!(
        check.contains("[OK] All 16384 slots covered.") && !check.contains("[ERR]"),
        "{check}"
    );
    let mut client = ClusterClientPort::new(replica.port);
    for i in 0..1000 {
        assert_eq!(
            client.get(i),
            format!("${}\r\n{}\r\n", i.to_string().len(), i)
        );
    }
}

/// ClusterClient over a port (the daemons have no Server handle).
struct ClusterClientPort(ClusterClient);

impl ClusterClientPort {
    fn new(port: u16) -> ClusterClientPort {
        ClusterClientPort(ClusterClient::on_port(port))
    }
    fn set(&mut self, i: usize) -> String {
        self.0.cmd(&["SET", &format!("key:{i}"), &i.to_string()])
    }
    fn get(&mut self, i: usize) -> String {
        self.0.cmd(&["GET", &format!("key:{i}")])
    }
}

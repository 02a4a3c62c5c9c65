//! nodes.conf: the node line format shared with CLUSTER NODES, loading at start
//! (clusterLoadConfig) and saving (clusterSaveConfig). Saving writes a temp file,
//! fsyncs it, renames it over the old one and fsyncs the directory, so a crash
//! leaves either the old or the new file, never a truncated one. The file is
//! flock()ed for the life of the process so a second server can't share it.

use super::state::{flags, ClusterNode, ClusterState, NodeId, FLAG_NAMES, NAMELEN};
use super::CLUSTER_SLOTS;
use std::os::unix::io::AsRawFd;

/// A node name as generated or accepted: 40 chars of [a-z0-9] (verifyClusterNodeId).
pub fn valid_name(n: &[u8]) -> bool {
    n.len() == NAMELEN
        && n.iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
}

/// One CLUSTER NODES / nodes.conf line, without the trailing newline
/// (clusterGenNodeDescription).
pub fn node_description(st: &ClusterState, id: NodeId) -> String {
    let n = st.node(id);
    let mut s = String::with_capacity(128);
    s.push_str(&n.name);
    s.push(' ');
    s.push_str(&n.ip);
    s.push_str(&format!(":{}@{}", n.port, n.cport));
    if !n.hostname.is_empty() {
        s.push(',');
        s.push_str(&n.hostname);
    }
    s.push(' ');
    s.push_str(&n.flags_string());
    s.push(' ');
    match n.replicaof {
        Some(m) if n.is_replica() => s.push_str(&st.node(m).name),
        _ => s.push('-'),
    }
    let link = if n.link.is_some() || n.is_myself() {
        "connected"
    } else {
        "disconnected"
    };
    s.push_str(&format!(
        " {} {} {} {}",
        n.ping_sent,
        n.pong_received,
        st.shard_epoch(id),
        link
    ));
    if n.is_master() {
        for (a, b) in n.slots.ranges() {
            if a == b {
                s.push_str(&format!(" {}", a));
            } else {
                s.push_str(&format!(" {}-{}", a, b));
            }
        }
    }
    if n.is_myself() {
        for slot in 0..CLUSTER_SLOTS {
            if let Some(t) = st.migrating_slots_to[slot] {
                s.push_str(&format!(" [{}->-{}]", slot, st.node(t).name));
            } else if let Some(f) = st.importing_slots_from[slot] {
                s.push_str(&format!(" [{}-<-{}]", slot, st.node(f).name));
            }
        }
    }
    s
}

/// The text of nodes.conf (clusterGenNodesDescription without handshake nodes, plus vars).
pub fn config_text(st: &ClusterState) -> String {
    let mut out = String::new();
    for (id, n) in st.nodes.iter() {
        if n.in_handshake() {
            continue;
        }
        out.push_str(&node_description(st, id));
        out.push('\n');
    }
    out.push_str(&format!(
        "vars currentEpoch {} lastVoteEpoch {}\n",
        st.current_epoch, st.last_vote_epoch
    ));
    out
}

/// Opens (creating it) and locks the config file. Err is the message Redis logs.
pub fn lock_file(path: &str) -> Result<std::fs::File, String> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| format!("Can't open {} in order to acquire a lock: {}", path, e))?;
    // SAFETY: flock on a file descriptor we own and keep open.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == -1 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            return Err(format!("Sorry, the cluster configuration file {} is already used by a different Redis Cluster node. Please make sure that different nodes use different cluster configuration files.", path));
        }
        return Err(format!("Impossible to lock {}: {}", path, e));
    }
    Ok(f)
}

/// What a load produced.
pub enum Loaded {
    /// Missing or empty file: the caller creates a new identity.
    Empty,
    Ok(Box<ClusterState>),
}

/// Parses nodes.conf text (clusterLoadConfig). Errors are the reason to log
/// before exiting: a damaged file stops the server, never crashes it.
pub fn parse_config(text: &[u8], now: i64) -> Result<Loaded, String> {
    let lines = crate::config::parse::split_lines(text);
    if lines
        .iter()
        .all(|l| l.iter().all(|c| c.is_ascii_whitespace()))
    {
        return Ok(Loaded::Empty);
    }
    let mut current_epoch = 0u64;
    let mut last_vote_epoch = 0u64;
    // Pending (node, master name) relations and per-node epochs, resolved at the end.
    struct Parsed {
        name: String,
        ip: String,
        port: u16,
        cport: u16,
        hostname: String,
        flags: u16,
        master: Option<String>,
        ping: bool,
        pong: bool,
        epoch: u64,
        slots: Vec<(usize, usize)>,
        migrating: Vec<(usize, String)>,
        importing: Vec<(usize, String)>,
    }
    let mut parsed: Vec<Parsed> = Vec::new();
    for (lineno, raw) in lines.iter().enumerate() {
        let line = crate::config::parse::trim(raw);
        if line.is_empty() {
            continue;
        }
        let bad = |why: &str| {
            format!(
                "Unrecoverable error: corrupted cluster config file \"{}\" (line {}: {}).",
                String::from_utf8_lossy(line),
                lineno + 1,
                why
            )
        };
        let Some(argv) = crate::config::parse::split_args(line) else {
            return Err(bad("unbalanced quotes"));
        };
        if argv.is_empty() {
            continue;
        }
        if argv[0] == b"vars" {
            if argv.len() % 2 == 0 {
                return Err(bad("odd number of vars fields"));
            }
            for kv in argv[1..].chunks(2) {
                let v = std::str::from_utf8(&kv[1])
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok());
                match (kv[0].as_slice(), v) {
                    (b"currentEpoch", Some(v)) => current_epoch = v,
                    (b"lastVoteEpoch", Some(v)) => last_vote_epoch = v,
                    (b"currentEpoch" | b"lastVoteEpoch", None) => return Err(bad("invalid epoch")),
                    (k, _) => log::warn!(
                        "Skipping unknown cluster config variable '{}'",
                        String::from_utf8_lossy(k)
                    ),
                }
            }
            continue;
        }
        if argv.len() < 8 {
            return Err(bad("too few fields"));
        }
        if !valid_name(&argv[0]) {
            return Err(bad("invalid node ID"));
        }
        let name = String::from_utf8_lossy(&argv[0]).into_owned();
        // ip:port@cport[,hostname[,aux=value...]] (7.2 appends aux fields).
        let addr_field = String::from_utf8_lossy(&argv[1]).into_owned();
        let mut parts = addr_field.split(',');
        let addr = parts.next().unwrap_or("");
        let mut hostname = String::new();
        if let Some(h) = parts.next() {
            if !h.contains('=') {
                hostname = h.to_string();
            }
        }
        let Some(colon) = addr.rfind(':') else {
            return Err(bad("address without port"));
        };
        let ip = addr[..colon].to_string();
        let ports = &addr[colon + 1..];
        let (port_s, cport_s) = match ports.find('@') {
            Some(at) => (&ports[..at], Some(&ports[at + 1..])),
            None => (ports, None),
        };
        let Ok(port) = port_s.parse::<u16>() else {
            return Err(bad("invalid port"));
        };
        let cport = match cport_s {
            Some(c) => match c.parse::<u16>() {
                Ok(v) => v,
                Err(_) => return Err(bad("invalid cluster bus port")),
            },
            None => port.wrapping_add(10000),
        };
        let mut fl = 0u16;
        for word in argv[2].split(|&c| c == b',') {
            if word == b"noflags" {
                continue;
            }
            match FLAG_NAMES.iter().find(|(_, n)| n.as_bytes() == word) {
                Some((f, _)) => fl |= f,
                None => {
                    return Err(format!(
                        "Unknown flag in redis cluster config file: {}",
                        String::from_utf8_lossy(word)
                    ))
                }
            }
        }
        let master = if argv[3] == b"-" {
            None
        } else if valid_name(&argv[3]) {
            Some(String::from_utf8_lossy(&argv[3]).into_owned())
        } else {
            return Err(bad("invalid master ID"));
        };
        let num = |a: &[u8]| {
            std::str::from_utf8(a)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
        };
        let (Some(ping), Some(pong), Some(epoch)) = (num(&argv[4]), num(&argv[5]), num(&argv[6]))
        else {
            return Err(bad("invalid number"));
        };
        let mut p = Parsed {
            name,
            ip,
            port,
            cport,
            hostname,
            flags: fl,
            master,
            ping: ping != 0,
            pong: pong != 0,
            epoch,
            slots: Vec::new(),
            migrating: Vec::new(),
            importing: Vec::new(),
        };
        for a in &argv[8..] {
            let a = String::from_utf8_lossy(a);
            if let Some(inner) = a.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
                // [slot->-name] migrating, [slot-<-name] importing.
                if let Some((s, n)) = inner.split_once("->-") {
                    let Ok(s) = s.parse::<usize>() else {
                        return Err(bad("invalid slot"));
                    };
                    p.migrating.push((s, n.to_string()));
                } else if let Some((s, n)) = inner.split_once("-<-") {
                    let Ok(s) = s.parse::<usize>() else {
                        return Err(bad("invalid slot"));
                    };
                    p.importing.push((s, n.to_string()));
                } else {
                    return Err(bad("invalid slot state"));
                }
                continue;
            }
            let (a, b) = match a.split_once('-') {
                Some((x, y)) => (x.parse::<usize>(), y.parse::<usize>()),
                None => (a.parse::<usize>(), a.parse::<usize>()),
            };
            match (a, b) {
                (Ok(a), Ok(b)) if a <= b && b < CLUSTER_SLOTS => p.slots.push((a, b)),
                _ => return Err(bad("invalid slot range")),
            }
        }
        parsed.push(p);
    }
    let Some(me) = parsed.iter().find(|p| p.flags & flags::MYSELF != 0) else {
        if parsed.is_empty() && current_epoch == 0 {
            return Ok(Loaded::Empty);
        }
        return Err(
            "Unrecoverable error: corrupted cluster config file (no myself line).".to_string(),
        );
    };
    let mut state = Box::new(ClusterState::new(me.name.clone(), now));
    // Replace the fresh myself by the parsed nodes.
    let myself_placeholder = state.myself;
    state.nodes.remove(myself_placeholder);
    state.by_name.clear();
    for p in &parsed {
        if state.by_name.contains_key(&p.name) {
            return Err(format!(
                "Unrecoverable error: duplicate node {} in the cluster config file.",
                p.name
            ));
        }
        let mut n = ClusterNode::new(p.name.clone(), p.flags, now);
        n.ip = p.ip.clone();
        n.port = p.port;
        n.cport = p.cport;
        n.hostname = p.hostname.clone();
        n.config_epoch = p.epoch;
        if p.ping {
            n.ping_sent = now;
        }
        if p.pong {
            n.pong_received = now;
        }
        let id = state.add_node(n);
        if p.flags & flags::MYSELF != 0 {
            state.myself = id;
        }
    }
    for p in &parsed {
        let id = state.by_name[&p.name];
        if let Some(m) = &p.master {
            let mid = match state.by_name.get(m) {
                Some(&x) => x,
                None => {
                    // A master we only know by name: keep it as a node with no address.
                    let mut n = ClusterNode::new(m.clone(), flags::MASTER | flags::NOADDR, now);
                    n.ip = String::new();
                    state.add_node(n)
                }
            };
            state.nodes[id].replicaof = Some(mid);
            state.add_replica(mid, id);
            // 7.0: a replica's own epoch is its master's, not stored separately.
            state.nodes[id].config_epoch = 0;
        }
        for &(a, b) in &p.slots {
            for s in a..=b {
                state.add_slot(id, s);
            }
        }
        for (s, n) in &p.migrating {
            let Some(&t) = state.by_name.get(n) else {
                return Err(format!(
                    "Unrecoverable error: unknown node {} in nodes.conf",
                    n
                ));
            };
            if *s >= CLUSTER_SLOTS {
                return Err("Unrecoverable error: invalid slot in nodes.conf".into());
            }
            state.migrating_slots_to[*s] = Some(t);
        }
        for (s, n) in &p.importing {
            let Some(&t) = state.by_name.get(n) else {
                return Err(format!(
                    "Unrecoverable error: unknown node {} in nodes.conf",
                    n
                ));
            };
            if *s >= CLUSTER_SLOTS {
                return Err("Unrecoverable error: invalid slot in nodes.conf".into());
            }
            state.importing_slots_from[*s] = Some(t);
        }
    }
    state.current_epoch = current_epoch;
    state.last_vote_epoch = last_vote_epoch;
    // Something is wrong if currentEpoch is below a known configEpoch.
    let max = state.max_epoch();
    if max > state.current_epoch {
        state.current_epoch = max;
    }
    Ok(Loaded::Ok(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut st = ClusterState::new("a".repeat(40), 0);
        st.me_mut().ip = "127.0.0.1".into();
        st.me_mut().port = 7000;
        st.me_mut().cport = 17000;
        st.me_mut().config_epoch = 3;
        st.current_epoch = 5;
        st.last_vote_epoch = 4;
        let mut b = ClusterNode::new("b".repeat(40), flags::MASTER, 0);
        b.ip = "10.0.0.2".into();
        b.port = 7001;
        b.cport = 17001;
        b.hostname = "h.example".into();
        let b = st.add_node(b);
        for s in 0..100 {
            st.add_slot(st.myself, s);
        }
        st.add_slot(b, 200);
        st.migrating_slots_to[5] = Some(b);
        st.importing_slots_from[300] = Some(b);
        let text = config_text(&st);
        let Loaded::Ok(ld) = parse_config(text.as_bytes(), 1).unwrap() else {
            panic!("empty")
        };
        assert_eq!(config_text(&ld), text);
        assert!(text.contains(" [5->-bbbb"));
        assert!(text.contains("10.0.0.2:7001@17001,h.example master - 0 0 0 disconnected 200\n"));
        assert!(text.ends_with("vars currentEpoch 5 lastVoteEpoch 4\n"));
    }

    #[test]
    fn damaged_and_empty_files() {
        assert!(matches!(parse_config(b"", 0), Ok(Loaded::Empty)));
        assert!(matches!(parse_config(b"\n\n", 0), Ok(Loaded::Empty)));
        assert!(parse_config(b"garbage line\n", 0).is_err());
        assert!(parse_config(b"vars currentEpoch x lastVoteEpoch 0\n", 0).is_err());
        let no_me = format!(
            "{} 127.0.0.1:1@2 master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n",
            "a".repeat(40)
        );
        assert!(parse_config(no_me.as_bytes(), 0).is_err());
    }

    #[test]
    fn redis_72_aux_fields_load() {
        let line = format!(
            "{} 127.0.0.1:30001@40001,,tls-port=0,shard-id=0123 myself,master - 0 0 1 connected 0-5\nvars currentEpoch 1 lastVoteEpoch 0\n",
            "c".repeat(40)
        );
        let Loaded::Ok(st) = parse_config(line.as_bytes(), 0).unwrap() else {
            panic!()
        };
        assert_eq!(st.me().port, 30001);
        assert_eq!(st.me().hostname, "");
        assert_eq!(st.me().numslots, 6);
    }
}

//! `redis-cli --cluster` (Debian's 7.0.15) against clusters of our nodes: create, add-node
//! (master and --cluster-slave), del-node, reshard, rebalance (--cluster-use-empty-masters),
//! check, fix (open and uncovered slots), info, call, set-timeout; MOVED without -c and
//! redirection with -c.
//!
//! These need the cluster bus (nodes meeting, gossip, slot propagation). Until it is built
//! they are #[ignore]d in plain `cargo test`; `./runtest-cluster` runs them anyway.

mod common;

use common::cluster::*;
use common::Server;
use std::time::Duration;

fn three_masters() -> Vec<Server> {
    let nodes = start_nodes(&ours(), 3);
    let refs: Vec<&Server> = nodes.iter().collect();
    create(&refs, 0);
    nodes
}

#[test]
#[ignore = "needs the cluster bus; ./runtest-cluster runs it"]
fn create_with_replicas_check_info_and_redirections() {
    let nodes = start_nodes(&ours(), 6);
    let refs: Vec<&Server> = nodes.iter().collect();
    let out = create(&refs, 1);
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");
    let view = common::cluster::nodes(&nodes[0]);
    assert_eq!(view.len(), 6);
    let masters = view
        .iter()
        .filter(|l| l.flags.iter().any(|f| f == "master"))
        .count();
    let replicas = view
        .iter()
        .filter(|l| l.flags.iter().any(|f| f == "slave"))
        .count();
    assert_eq!((masters, replicas), (3, 3), "{view:?}");
    check_clean(&nodes[0]);

    // foo hashes to 12182: a master that does not own it answers MOVED without -c.
    let owner = owner_of(&nodes, 12182);
    let other = nodes
        .iter()
        .find(|n| n.port != owner.port && role(n) == "master")
        .unwrap();
    assert_eq!(
        call(other, &["set", "foo", "bar"]),
        format!("MOVED 12182 127.0.0.1:{}", owner.port)
    );
    let out = other.cli(&["-c", "set", "foo", "bar"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK");
    let out = other.cli(&["-c", "get", "foo"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "bar");

    fill(&nodes[0], 300);
    let info = cli_cluster_ok(&["info", &addr(&nodes[0])]);
    assert!(info.contains("[OK] 301 keys in 3 masters."), "{info}");
    check_keys(&nodes[1], 300);
}

#[test]
#[ignore = "needs the cluster bus; ./runtest-cluster runs it"]
fn add_node_master_and_replica_then_del_node() {
    let nodes = three_masters();
    let extra_master = start_node(&ours(), &[]);
    let replica = start_node(&ours(), &[]);
    cli_cluster_ok(&["add-node", &addr(&extra_master), &addr(&nodes[0])]);
    let id = node_id(&extra_master);
    cli_cluster_ok(&[
        "add-node",
        &addr(&replica),
        &addr(&nodes[0]),
        "--cluster-slave",
        "--cluster-master-id",
        &id,
    ]);
    let all = [&nodes[0], &nodes[1], &nodes[2], &extra_master, &replica];
    wait_cluster_ok(&all, Duration::from_secs(30));
    assert!(wait_for(Duration::from_secs(20), || {
        common::cluster::nodes(&nodes[1])
            .iter()
            .any(|l| l.master == id)
    }));
    assert!(wait_for(Duration::from_secs(10), || role(&replica) == "slave"));
    check_clean(&nodes[0]);

    let rid = node_id(&replica);
    cli_cluster_ok(&["del-node", &addr(&nodes[0]), &rid]);
    cli_cluster_ok(&["del-node", &addr(&nodes[0]), &id]);
    assert!(wait_for(Duration::from_secs(10), || {
        let v = common::cluster::nodes(&nodes[0]);
        v.len() == 3 && v.iter().all(|l| l.id != id && l.id != rid)
    }));
    check_clean(&nodes[2]);
}

#[test]
#[ignore = "needs the cluster bus; ./runtest-cluster runs it"]
fn reshard_and_rebalance_move_slots_and_keys() {
    let nodes = three_masters();
    fill(&nodes[0], 2000);
    let empty = start_node(&ours(), &[]);
    cli_cluster_ok(&["add-node", &addr(&empty), &addr(&nodes[0])]);
    let all = [&nodes[0], &nodes[1], &nodes[2], &empty];
    wait_cluster_ok(&all, Duration::from_secs(30));
    let from = node_id(&nodes[0]);
    let to = node_id(&empty);
    cli_cluster_ok(&[
        "reshard",
        &addr(&nodes[1]),
        "--cluster-from",
        &from,
        "--cluster-to",
        &to,
        "--cluster-slots",
        "1000",
        "--cluster-yes",
    ]);
    check_clean(&nodes[0]);
    let moved = common::cluster::nodes(&nodes[2])
        .into_iter()
        .find(|l| l.id == to)
        .unwrap();
    assert_eq!(moved.slots, 1000);
    check_keys(&nodes[2], 2000);

    // A second empty master: rebalance spreads slots over all four with --cluster-use-empty-masters.
    let empty2 = start_node(&ours(), &[]);
    cli_cluster_ok(&["add-node", &addr(&empty2), &addr(&nodes[0])]);
    let all = [&nodes[0], &nodes[1], &nodes[2], &empty, &empty2];
    wait_cluster_ok(&all, Duration::from_secs(30));
    cli_cluster_ok(&["rebalance", &addr(&nodes[0]), "--cluster-use-empty-masters"]);
    check_clean(&nodes[1]);
    for l in common::cluster::nodes(&nodes[0]) {
        assert!(
            (3200..=3360).contains(&l.slots),
            "unbalanced after rebalance: {l:?}"
        );
    }
    check_keys(&empty2, 2000);
}

#[test]
#[ignore = "needs the cluster bus; ./runtest-cluster runs it"]
fn fix_open_and_uncovered_slots() {
    let nodes = three_masters();
    fill(&nodes[0], 500);
    // An open slot: its owner says it is migrating, nobody imports it.
    let owner = owner_of(&nodes, 100);
    let target = nodes.iter().find(|n| n.port != owner.port).unwrap();
    let tid = node_id(target);
    assert_eq!(
        call(owner, &["cluster", "setslot", "100", "migrating", &tid]),
        "OK"
    );
    let out = cli_cluster(&["check", &addr(&nodes[0])]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("open slot"), "{text}");
    cli_cluster_ok(&["fix", &addr(&nodes[0]), "--cluster-yes"]);
    check_clean(&nodes[0]);

    // An uncovered slot: its owner forgets it (no key in it first).
    let line = common::cluster::nodes(owner)
        .into_iter()
        .find(|l| l.port == owner.port)
        .unwrap();
    let slot = line
        .ranges
        .iter()
        .flat_map(|&(a, b)| a..=b)
        .find(|s| call(owner, &["cluster", "countkeysinslot", &s.to_string()]) == "0")
        .unwrap();
    assert_eq!(
        call(owner, &["cluster", "delslots", &slot.to_string()]),
        "OK"
    );
    assert!(wait_for(Duration::from_secs(10), || {
        let out = cli_cluster(&["check", &addr(&nodes[1])]);
        String::from_utf8_lossy(&out.stdout).contains("Not all 16384 slots are covered")
    }));
    cli_cluster_ok(&["fix", &addr(&nodes[1]), "--cluster-yes"]);
    wait_cluster_ok(&[&nodes[0], &nodes[1], &nodes[2]], Duration::from_secs(20));
    check_clean(&nodes[2]);
    check_keys(&nodes[0], 500);
}

#[test]
#[ignore = "needs the cluster bus; ./runtest-cluster runs it"]
fn call_and_set_timeout_reach_every_node() {
    let nodes = three_masters();
    let out = cli_cluster_ok(&[
        "call",
        &addr(&nodes[0]),
        "CONFIG",
        "GET",
        "cluster-node-timeout",
    ]);
    assert_eq!(out.matches("3000").count(), 3, "{out}");
    cli_cluster_ok(&["set-timeout", &addr(&nodes[0]), "4000"]);
    for n in &nodes {
        assert_eq!(
            call(n, &["config", "get", "cluster-node-timeout"]),
            "cluster-node-timeout\n4000"
        );
    }
}

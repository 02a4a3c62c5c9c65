//! A mixed cluster: three Debian redis-server 7.0.15 nodes and three of ours, formed by
//! redis-cli 7.0.15, with masters and replicas across both kinds (real master → our replica,
//! our master → real replica). Resharding moves slots and keys between the kinds; kill -9
//! of a real master promotes our replica and vice versa; `--cluster check` stays clean.
//!
//! Needs the cluster bus: #[ignore]d in plain `cargo test` until it is built;
//! `./runtest-cluster` runs it.

mod common;

use common::cluster::*;
use common::Server;
use std::time::Duration;

#[test]
#[ignore = "needs the cluster bus; ./runtest-cluster runs it"]
fn mixed_cluster_with_real_redis_nodes() {
    let real = debian();
    // Masters: real, ours, real. Replicas: ours of real 0, real of ours 1, ours of real 2.
    let m0 = start_node(&real, &[]);
    let m1 = start_node(&ours(), &[]);
    let m2 = start_node(&real, &[]);
    let r0 = start_node(&ours(), &[]);
    let r1 = start_node(&real, &[]);
    let r2 = start_node(&ours(), &[]);
    create(&[&m0, &m1, &m2], 0);
    for (r, m) in [(&r0, &m0), (&r1, &m1), (&r2, &m2)] {
        let id = node_id(m);
        cli_cluster_ok(&[
            "add-node",
            &addr(r),
            &addr(&m0),
            "--cluster-slave",
            "--cluster-master-id",
            &id,
        ]);
    }
    let all = [&m0, &m1, &m2, &r0, &r1, &r2];
    wait_cluster_ok(&all, Duration::from_secs(30));
    for r in [&r0, &r1, &r2] {
        assert!(wait_for(Duration::from_secs(20), || role(r) == "slave"));
    }
    for n in all {
        assert_eq!(
            common::cluster::nodes(n).len(),
            6,
            "{}",
            call(n, &["cluster", "nodes"])
        );
    }
    check_clean(&m1);
    fill(&m0, 1000);

    // Slots and keys move from a real master to ours and from ours to a real one.
    for (from, to) in [(&m0, &m1), (&m1, &m2)] {
        cli_cluster_ok(&[
            "reshard",
            &addr(&m0),
            "--cluster-from",
            &node_id(from),
            "--cluster-to",
            &node_id(to),
            "--cluster-slots",
            "500",
            "--cluster-yes",
        ]);
        check_clean(&r0);
        check_keys(&m2, 1000);
    }

    // kill -9 of the real master 0: our replica r0 takes over.
    let t = wait_failover_after_kill(m0, &r0, &[&m1, &m2, &r1, &r2]);
    eprintln!("real master killed, our replica promoted: {t:?}");
    check_clean(&r0);
    check_keys(&r0, 1000);

    // kill -9 of our master 1: the real replica r1 takes over.
    let t = wait_failover_after_kill(m1, &r1, &[&r0, &m2, &r2]);
    eprintln!("our master killed, real replica promoted: {t:?}");
    check_clean(&r1);
    check_keys(&r1, 1000);
}

fn wait_failover_after_kill(master: Server, replica: &Server, survivors: &[&Server]) -> Duration {
    let _dir = master.kill9();
    wait_failover(replica, survivors, Duration::from_secs(8))
}

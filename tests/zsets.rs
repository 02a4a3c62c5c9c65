//! Sorted set commands over TCP through the `redis` crate: happy paths, the
//! error replies, both encodings (with the conversion), blocking pops, and a
//! randomized model test of ZADD/ZREM/ZINCRBY against ranks and ranges.

mod common;

use common::{err_text, Server};
use redis::Value;

fn cmd(con: &mut redis::Connection, args: &[&str]) -> redis::RedisResult<Value> {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

fn err(con: &mut redis::Connection, args: &[&str]) -> String {
    err_text(&cmd(con, args).expect_err(&format!("{:?} should fail", args)))
}

fn strs(v: Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::BulkString(b) => String::from_utf8(b).unwrap(),
                Value::Int(n) => n.to_string(),
                Value::Nil => "nil".to_string(),
                other => panic!("unexpected {:?}", other),
            })
            .collect(),
        other => panic!("not an array: {:?}", other),
    }
}

fn q(con: &mut redis::Connection, args: &[&str]) -> Vec<String> {
    strs(cmd(con, args).unwrap())
}

fn bulk(con: &mut redis::Connection, args: &[&str]) -> String {
    match cmd(con, args).unwrap() {
        Value::BulkString(b) => String::from_utf8(b).unwrap(),
        other => panic!("not a bulk: {:?}", other),
    }
}

#[test]
fn add_score_rank_range() {
    let srv = Server::start();
    let mut con = srv.client();
    assert_eq!(
        cmd(&mut con, &["zadd", "z", "1", "a", "2", "b", "3", "c"]).unwrap(),
        Value::Int(3)
    );
    assert_eq!(bulk(&mut con, &["object", "encoding", "z"]), "listpack");
    assert_eq!(bulk(&mut con, &["zincrby", "z", "1.5", "a"]), "2.5");
    assert_eq!(
        cmd(&mut con, &["zadd", "z", "xx", "ch", "5", "b", "9", "new"]).unwrap(),
        Value::Int(1)
    );
    assert_eq!(
        cmd(&mut con, &["zadd", "z", "gt", "incr", "-1", "a"]).unwrap(),
        Value::Nil
    );
    assert_eq!(
        q(&mut con, &["zrange", "z", "0", "-1", "withscores"]),
        ["a", "2.5", "c", "3", "b", "5"]
    );
    assert_eq!(cmd(&mut con, &["zrank", "z", "b"]).unwrap(), Value::Int(2));
    assert_eq!(
        cmd(&mut con, &["zrevrank", "z", "b"]).unwrap(),
        Value::Int(0)
    );
    assert_eq!(cmd(&mut con, &["zcard", "z"]).unwrap(), Value::Int(3));
    assert_eq!(
        cmd(&mut con, &["zcount", "z", "(2.5", "+inf"]).unwrap(),
        Value::Int(2)
    );
    assert_eq!(
        q(
            &mut con,
            &["zrange", "z", "+inf", "-inf", "byscore", "rev", "limit", "1", "1"]
        ),
        ["c"]
    );
    assert_eq!(q(&mut con, &["zmscore", "z", "a", "nope"]), ["2.5", "nil"]);
    cmd(&mut con, &["zadd", "lex", "0", "a", "0", "b", "0", "c"]).unwrap();
    assert_eq!(q(&mut con, &["zrangebylex", "lex", "(a", "+"]), ["b", "c"]);
    assert_eq!(
        cmd(&mut con, &["zlexcount", "lex", "-", "[b"]).unwrap(),
        Value::Int(2)
    );
    assert_eq!(
        err(&mut con, &["zadd", "z", "nan", "x"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut con, &["zadd", "z", "nx", "xx", "1", "x"]),
        "ERR XX and NX options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut con, &["zrangebyscore", "z", "x", "1"]),
        "ERR min or max is not a float"
    );
    assert_eq!(
        err(&mut con, &["zrangebylex", "z", "a", "+"]),
        "ERR min or max not valid string range item"
    );
    cmd(&mut con, &["set", "s", "v"]).unwrap();
    assert!(err(&mut con, &["zadd", "s", "1", "a"]).starts_with("WRONGTYPE"));
    assert_eq!(q(&mut con, &["zpopmin", "z"]), ["a", "2.5"]);
    assert_eq!(q(&mut con, &["zpopmax", "z", "5"]), ["b", "5", "c", "3"]);
    assert_eq!(cmd(&mut con, &["exists", "z"]).unwrap(), Value::Int(0));
}

#[test]
fn conversion_and_set_operations() {
    let srv = Server::start();
    let mut con = srv.client();
    cmd(
        &mut con,
        &["config", "set", "zset-max-listpack-entries", "4"],
    )
    .unwrap();
    for i in 0..6 {
        let s = i.to_string();
        cmd(&mut con, &["zadd", "big", &s, &format!("m{}", i)]).unwrap();
    }
    assert_eq!(bulk(&mut con, &["object", "encoding", "big"]), "skiplist");
    cmd(&mut con, &["zadd", "small", "10", "m1", "1", "x"]).unwrap();
    assert_eq!(
        cmd(
            &mut con,
            &[
                "zinterstore",
                "dst",
                "2",
                "big",
                "small",
                "weights",
                "2",
                "1"
            ]
        )
        .unwrap(),
        Value::Int(1)
    );
    assert_eq!(
        q(&mut con, &["zrange", "dst", "0", "-1", "withscores"]),
        ["m1", "12"]
    );
    assert_eq!(bulk(&mut con, &["object", "encoding", "dst"]), "listpack");
    assert_eq!(
        q(
            &mut con,
            &[
                "zunion",
                "2",
                "big",
                "small",
                "aggregate",
                "max",
                "withscores"
            ]
        )[..4],
        ["m0", "0", "x", "1"]
    );
    assert_eq!(q(&mut con, &["zdiff", "2", "small", "big"]), ["x"]);
    assert_eq!(
        cmd(&mut con, &["zintercard", "2", "big", "small", "limit", "0"]).unwrap(),
        Value::Int(1)
    );
    assert_eq!(
        err(&mut con, &["zunion", "0", "big"]),
        "ERR at least 1 input key is needed for 'zunion' command"
    );
    assert_eq!(
        cmd(&mut con, &["zremrangebyrank", "big", "0", "1"]).unwrap(),
        Value::Int(2)
    );
    assert_eq!(
        cmd(&mut con, &["zremrangebyscore", "big", "(4", "+inf"]).unwrap(),
        Value::Int(1)
    );
    assert_eq!(
        q(&mut con, &["zrange", "big", "0", "-1"]),
        ["m2", "m3", "m4"]
    );
    assert_eq!(
        cmd(&mut con, &["zrangestore", "d2", "big", "1", "-1"]).unwrap(),
        Value::Int(2)
    );
    let scan = match cmd(&mut con, &["zscan", "big", "0"]).unwrap() {
        Value::Array(v) => v,
        other => panic!("{:?}", other),
    };
    assert_eq!(strs(scan[1].clone()).len(), 6);
}

#[test]
fn blocking_pops() {
    let srv = Server::start();
    let mut con = srv.client();
    let mut waiter = srv.client();
    assert_eq!(
        cmd(&mut waiter, &["bzpopmin", "nokey", "0.05"]).unwrap(),
        Value::Nil
    );
    let h = std::thread::spawn(move || {
        cmd(
            &mut waiter,
            &["bzmpop", "5", "1", "bz", "max", "count", "2"],
        )
        .unwrap()
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    cmd(&mut con, &["zadd", "bz", "1", "a", "2", "b", "3", "c"]).unwrap();
    let got = h.join().unwrap();
    let b = |s: &str| Value::BulkString(s.as_bytes().to_vec());
    assert_eq!(
        got,
        Value::Array(vec![
            b("bz"),
            Value::Array(vec![
                Value::Array(vec![b("c"), b("3")]),
                Value::Array(vec![b("b"), b("2")]),
            ]),
        ])
    );
    assert_eq!(cmd(&mut con, &["zcard", "bz"]).unwrap(), Value::Int(1));
    assert_eq!(
        err(&mut con, &["bzmpop", "0", "0", "bz", "min"]),
        "ERR numkeys should be greater than 0"
    );
}

#[test]
fn model_ranks_and_ranges() {
    let srv = Server::start();
    let mut con = srv.client();
    cmd(
        &mut con,
        &["config", "set", "zset-max-listpack-entries", "16"],
    )
    .unwrap();
    let mut model: Vec<(i64, String)> = Vec::new();
    let mut r: u64 = 7;
    for step in 0..600 {
        r = r
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let m = format!("k{}", (r >> 33) % 40);
        let s = ((r >> 20) % 10) as i64;
        model.retain(|(_, e)| *e != m);
        if step % 4 == 0 {
            cmd(&mut con, &["zrem", "mz", &m]).unwrap();
        } else {
            cmd(&mut con, &["zadd", "mz", &s.to_string(), &m]).unwrap();
            model.push((s, m));
        }
        model.sort();
        let want: Vec<String> = model.iter().map(|(_, e)| e.clone()).collect();
        let got = q(&mut con, &["zrange", "mz", "0", "-1"]);
        assert_eq!(got, want, "step {}", step);
        if let Some((s, e)) = model.get(model.len() / 2) {
            let rank = cmd(&mut con, &["zrank", "mz", e]).unwrap();
            assert_eq!(rank, Value::Int((model.len() / 2) as i64));
            let n = model.iter().filter(|(x, _)| x >= s).count();
            let c = cmd(&mut con, &["zcount", "mz", &s.to_string(), "+inf"]).unwrap();
            assert_eq!(c, Value::Int(n as i64));
        }
    }
}

//! List commands over TCP through the `redis` crate: every command's happy
//! path and its error replies, plus blocking pops served by pushes and
//! timeouts, and CLIENT UNBLOCK.

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
                other => panic!("unexpected {:?}", other),
            })
            .collect(),
        other => panic!("not an array: {:?}", other),
    }
}

fn range(con: &mut redis::Connection, key: &str) -> Vec<String> {
    strs(cmd(con, &["lrange", key, "0", "-1"]).unwrap())
}

#[test]
fn push_pop_and_reads() {
    let srv = Server::start();
    let mut con = srv.client();
    assert_eq!(
        cmd(&mut con, &["rpush", "l", "a", "b", "1"]).unwrap(),
        Value::Int(3)
    );
    assert_eq!(cmd(&mut con, &["lpush", "l", "z"]).unwrap(), Value::Int(4));
    assert_eq!(
        cmd(&mut con, &["lpushx", "nokey", "x"]).unwrap(),
        Value::Int(0)
    );
    assert_eq!(
        cmd(&mut con, &["rpushx", "l", "-5"]).unwrap(),
        Value::Int(5)
    );
    assert_eq!(range(&mut con, "l"), ["z", "a", "b", "1", "-5"]);
    assert_eq!(cmd(&mut con, &["llen", "l"]).unwrap(), Value::Int(5));
    assert_eq!(cmd(&mut con, &["llen", "nokey"]).unwrap(), Value::Int(0));
    assert_eq!(
        cmd(&mut con, &["lindex", "l", "-1"]).unwrap(),
        Value::BulkString(b"-5".to_vec())
    );
    assert_eq!(cmd(&mut con, &["lindex", "l", "99"]).unwrap(), Value::Nil);
    assert_eq!(
        strs(cmd(&mut con, &["lrange", "l", "1", "2"]).unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        strs(cmd(&mut con, &["lrange", "l", "9", "10"]).unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        cmd(&mut con, &["object", "encoding", "l"]).unwrap(),
        Value::BulkString(b"quicklist".to_vec())
    );
    assert_eq!(
        cmd(&mut con, &["type", "l"]).unwrap(),
        Value::SimpleString("list".into())
    );
    assert_eq!(
        cmd(&mut con, &["lpop", "l"]).unwrap(),
        Value::BulkString(b"z".to_vec())
    );
    assert_eq!(
        strs(cmd(&mut con, &["rpop", "l", "2"]).unwrap()),
        ["-5", "1"]
    );
    assert_eq!(
        strs(cmd(&mut con, &["lpop", "l", "0"]).unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(cmd(&mut con, &["lpop", "nokey", "2"]).unwrap(), Value::Nil);
    assert_eq!(
        strs(cmd(&mut con, &["lpop", "l", "10"]).unwrap()),
        ["a", "b"]
    );
    assert_eq!(cmd(&mut con, &["exists", "l"]).unwrap(), Value::Int(0));
    assert_eq!(
        err(&mut con, &["lpop", "l", "-1"]),
        "ERR value is out of range, must be positive"
    );
    assert_eq!(
        err(&mut con, &["lpop", "l", "1", "2"]),
        "ERR wrong number of arguments for 'lpop' command"
    );
    // A missing key answers nil before the index is parsed, as in Redis.
    assert_eq!(
        cmd(&mut con, &["lindex", "nokey", "x"]).unwrap(),
        Value::Nil
    );
    cmd(&mut con, &["rpush", "l2", "a"]).unwrap();
    assert_eq!(
        err(&mut con, &["lindex", "l2", "x"]),
        "ERR value is not an integer or out of range"
    );
    cmd(&mut con, &["set", "s", "v"]).unwrap();
    for args in [
        &["lpush", "s", "a"][..],
        &["rpop", "s"],
        &["llen", "s"],
        &["lrange", "s", "0", "1"],
        &["lindex", "s", "0"],
        &["lset", "s", "0", "a"],
        &["ltrim", "s", "0", "1"],
        &["lrem", "s", "0", "a"],
        &["linsert", "s", "before", "a", "b"],
        &["lpos", "s", "a"],
        &["lmove", "s", "d", "left", "right"],
        &["lmpop", "1", "s", "left"],
        &["blpop", "s", "0"],
    ] {
        assert!(err(&mut con, args).starts_with("WRONGTYPE"), "{:?}", args);
    }
}

#[test]
fn edits_and_searches() {
    let srv = Server::start();
    let mut con = srv.client();
    cmd(&mut con, &["rpush", "l", "a", "b", "c", "b", "a"]).unwrap();
    assert_eq!(
        cmd(&mut con, &["linsert", "l", "after", "c", "X"]).unwrap(),
        Value::Int(6)
    );
    assert_eq!(
        cmd(&mut con, &["linsert", "l", "before", "zz", "X"]).unwrap(),
        Value::Int(-1)
    );
    assert_eq!(
        cmd(&mut con, &["linsert", "nokey", "before", "a", "X"]).unwrap(),
        Value::Int(0)
    );
    assert_eq!(
        err(&mut con, &["linsert", "l", "middle", "a", "X"]),
        "ERR syntax error"
    );
    assert_eq!(
        cmd(&mut con, &["lset", "l", "0", "A"]).unwrap(),
        Value::Okay
    );
    assert_eq!(
        err(&mut con, &["lset", "l", "100", "A"]),
        "ERR index out of range"
    );
    assert_eq!(
        err(&mut con, &["lset", "nokey", "0", "A"]),
        "ERR no such key"
    );
    assert_eq!(range(&mut con, "l"), ["A", "b", "c", "X", "b", "a"]);
    assert_eq!(cmd(&mut con, &["lpos", "l", "b"]).unwrap(), Value::Int(1));
    assert_eq!(
        cmd(&mut con, &["lpos", "l", "b", "rank", "-1"]).unwrap(),
        Value::Int(4)
    );
    assert_eq!(
        strs(cmd(&mut con, &["lpos", "l", "b", "count", "0"]).unwrap()),
        ["1", "4"]
    );
    assert_eq!(
        cmd(&mut con, &["lpos", "l", "b", "maxlen", "1"]).unwrap(),
        Value::Nil
    );
    assert!(err(&mut con, &["lpos", "l", "b", "rank", "0"]).starts_with("ERR RANK can't be zero"));
    assert_eq!(
        err(&mut con, &["lpos", "l", "b", "count", "-1"]),
        "ERR COUNT can't be negative"
    );
    assert_eq!(
        err(&mut con, &["lpos", "l", "b", "maxlen", "-1"]),
        "ERR MAXLEN can't be negative"
    );
    assert_eq!(
        err(&mut con, &["lpos", "l", "b", "foo"]),
        "ERR syntax error"
    );
    assert_eq!(
        cmd(&mut con, &["lrem", "l", "-1", "b"]).unwrap(),
        Value::Int(1)
    );
    assert_eq!(range(&mut con, "l"), ["A", "b", "c", "X", "a"]);
    assert_eq!(
        err(&mut con, &["lrem", "l", "x", "b"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        cmd(&mut con, &["ltrim", "l", "1", "-2"]).unwrap(),
        Value::Okay
    );
    assert_eq!(range(&mut con, "l"), ["b", "c", "X"]);
    assert_eq!(
        cmd(&mut con, &["ltrim", "l", "5", "1"]).unwrap(),
        Value::Okay
    );
    assert_eq!(cmd(&mut con, &["exists", "l"]).unwrap(), Value::Int(0));
    cmd(&mut con, &["rpush", "src", "1", "2", "3"]).unwrap();
    assert_eq!(
        cmd(&mut con, &["rpoplpush", "src", "dst"]).unwrap(),
        Value::BulkString(b"3".to_vec())
    );
    assert_eq!(
        cmd(&mut con, &["lmove", "src", "dst", "left", "right"]).unwrap(),
        Value::BulkString(b"1".to_vec())
    );
    assert_eq!(range(&mut con, "dst"), ["3", "1"]);
    assert_eq!(
        err(&mut con, &["lmove", "src", "dst", "up", "right"]),
        "ERR syntax error"
    );
    assert_eq!(
        cmd(&mut con, &["lmove", "nokey", "dst", "left", "left"]).unwrap(),
        Value::Nil
    );
    let v = cmd(
        &mut con,
        &["lmpop", "2", "nokey", "dst", "right", "count", "5"],
    )
    .unwrap();
    assert_eq!(
        v,
        Value::Array(vec![
            Value::BulkString(b"dst".to_vec()),
            Value::Array(vec![
                Value::BulkString(b"1".to_vec()),
                Value::BulkString(b"3".to_vec())
            ])
        ])
    );
    assert_eq!(
        cmd(&mut con, &["lmpop", "1", "nokey", "left"]).unwrap(),
        Value::Nil
    );
    assert_eq!(
        err(&mut con, &["lmpop", "0", "k", "left"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(
        err(&mut con, &["lmpop", "1", "k", "left", "count", "0"]),
        "ERR count should be greater than 0"
    );
    assert_eq!(
        err(&mut con, &["lmpop", "1", "k", "up"]),
        "ERR syntax error"
    );
}

#[test]
fn blocking_pops() {
    let srv = Server::start();
    let mut con = srv.client();
    // Immediate serves.
    cmd(&mut con, &["rpush", "l", "a", "b"]).unwrap();
    assert_eq!(
        strs(cmd(&mut con, &["blpop", "nokey", "l", "0"]).unwrap()),
        ["l", "a"]
    );
    assert_eq!(
        strs(cmd(&mut con, &["brpop", "l", "0"]).unwrap()),
        ["l", "b"]
    );
    // Timeouts.
    assert_eq!(cmd(&mut con, &["blpop", "l", "0.05"]).unwrap(), Value::Nil);
    assert_eq!(
        cmd(&mut con, &["brpoplpush", "l", "d", "0.05"]).unwrap(),
        Value::Nil
    );
    assert_eq!(
        cmd(&mut con, &["blmpop", "0.05", "1", "l", "left"]).unwrap(),
        Value::Nil
    );
    assert_eq!(
        err(&mut con, &["blpop", "l", "-1"]),
        "ERR timeout is negative"
    );
    assert_eq!(
        err(&mut con, &["blpop", "l", "abc"]),
        "ERR timeout is not a float or out of range"
    );
    assert_eq!(
        err(&mut con, &["blmove", "l", "d", "left", "x", "0"]),
        "ERR syntax error"
    );
    // Clients are served in FIFO order by a later push.
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let mut c = srv.client();
            std::thread::spawn(move || strs(cmd(&mut c, &["blpop", "q", "5"]).unwrap()))
        })
        .collect();
    for _ in 0..200 {
        let info: String = redis::cmd("info").arg("clients").query(&mut con).unwrap();
        if info.contains("blocked_clients:2") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        cmd(&mut con, &["rpush", "q", "1", "2"]).unwrap(),
        Value::Int(2)
    );
    let mut got: Vec<Vec<String>> = waiters.into_iter().map(|t| t.join().unwrap()).collect();
    got.sort();
    assert_eq!(got, vec![vec!["q", "1"], vec!["q", "2"]]);
    // BLMOVE served by a push, into another list.
    let mut c = srv.client();
    let t = std::thread::spawn(move || {
        cmd(&mut c, &["blmove", "src", "dst", "right", "left", "5"]).unwrap()
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    cmd(&mut con, &["lpush", "src", "v"]).unwrap();
    assert_eq!(t.join().unwrap(), Value::BulkString(b"v".to_vec()));
    assert_eq!(range(&mut con, "dst"), ["v"]);
    // CLIENT UNBLOCK with an error.
    let mut c = srv.client();
    let id: i64 = redis::cmd("client").arg("id").query(&mut c).unwrap();
    let t =
        std::thread::spawn(move || err_text(&cmd(&mut c, &["brpop", "none", "0"]).unwrap_err()));
    std::thread::sleep(std::time::Duration::from_millis(100));
    let list: String = redis::cmd("client").arg("list").query(&mut con).unwrap();
    assert!(list.contains("flags=b"), "{}", list);
    assert_eq!(
        cmd(&mut con, &["client", "unblock", &id.to_string(), "error"]).unwrap(),
        Value::Int(1)
    );
    assert_eq!(
        t.join().unwrap(),
        "UNBLOCKED client unblocked via CLIENT UNBLOCK"
    );
    assert_eq!(
        cmd(&mut con, &["client", "unblock", &id.to_string()]).unwrap(),
        Value::Int(0)
    );
}

//! List commands over TCP through the `redis` crate: every command's happy
//! path and its error replies, plus blocking pops served by pushes and
//! timeouts, and CLIENT UNBLOCK.

mod common;

use common::{check, cmd, err, err_text, strs, Server};
use redis::Value;

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
#[test]
fn lists_errors_and_edges() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
lpush l                                  => -ERR wrong number of arguments for 'lpush' command
rpush l                                  => -ERR wrong number of arguments for 'rpush' command
lpushx l                                 => -ERR wrong number of arguments for 'lpushx' command
rpushx l                                 => -ERR wrong number of arguments for 'rpushx' command
lpushx nokey a b                         => :0
rpush l a b c d e                        => :5
lpushx l z                               => :6
llen                                     => -ERR wrong number of arguments for 'llen' command
llen l x                                 => -ERR wrong number of arguments for 'llen' command
lindex l                                 => -ERR wrong number of arguments for 'lindex' command
lindex l 1 2                             => -ERR wrong number of arguments for 'lindex' command
lindex l -100                            => (nil)
lindex l 9223372036854775807             => (nil)
lindex l 9223372036854775808             => -ERR value is not an integer or out of range
lrange l 0                               => -ERR wrong number of arguments for 'lrange' command
lrange l x 1                             => -ERR value is not an integer or out of range
lrange l 0 y                             => -ERR value is not an integer or out of range
lrange l -100 100                        => [z, a, b, c, d, e]
lrange l -1 -100                         => []
lrange nokey 0 -1                        => []
lset l -1 E                              => +OK
lset l -7 E                              => -ERR index out of range
lset l x E                               => -ERR value is not an integer or out of range
lset l 0                                 => -ERR wrong number of arguments for 'lset' command
ltrim l 0                                => -ERR wrong number of arguments for 'ltrim' command
ltrim l x 1                              => -ERR value is not an integer or out of range
ltrim l 0 y                              => -ERR value is not an integer or out of range
lrem l 0                                 => -ERR wrong number of arguments for 'lrem' command
lrem nokey 0 a                           => :0
lrem l 0 zz                              => :0
linsert l before a                       => -ERR wrong number of arguments for 'linsert' command
linsert l after zz X                     => :-1
linsert l BEFORE a X                     => :7
lrange l 0 -1                            => [z, X, a, b, c, d, E]
lpos l                                   => -ERR wrong number of arguments for 'lpos' command
lpos l X rank 1 count 1 maxlen 0         => [:1]
lpos l X rank -9223372036854775808       => :1
lpos l X rank x                          => -ERR value is not an integer or out of range
lpos l X count x                         => -ERR COUNT can't be negative
lpos l X maxlen x                        => -ERR MAXLEN can't be negative
lpos l X rank                            => -ERR syntax error
lpos nokey X                             => (nil)
lpos nokey X count 1                     => []
lpos l nope count 0                      => []
lpop                                     => -ERR wrong number of arguments for 'lpop' command
lpop l x                                 => -ERR value is out of range, must be positive
rpop l 0                                 => []
lpop l 9223372036854775807               => [z, X, a, b, c, d, E]
lpop nokey                               => (nil)
rpop nokey 0                             => (nil)
rpoplpush l                              => -ERR wrong number of arguments for 'rpoplpush' command
rpoplpush nokey l                        => (nil)
rpush src a b                            => :2
rpoplpush src src                        => b
lrange src 0 -1                          => [b, a]
lmove src src right left                 => a
lmove src                                => -ERR wrong number of arguments for 'lmove' command
lmove src d left                         => -ERR wrong number of arguments for 'lmove' command
lmove src d left right extra             => -ERR wrong number of arguments for 'lmove' command
lmpop                                    => -ERR wrong number of arguments for 'lmpop' command
lmpop 1                                  => -ERR wrong number of arguments for 'lmpop' command
lmpop 1 src                              => -ERR wrong number of arguments for 'lmpop' command
lmpop x src left                         => -ERR numkeys should be greater than 0
lmpop -1 src left                        => -ERR numkeys should be greater than 0
lmpop 2 src left                         => -ERR syntax error
lmpop 1 src left count                   => -ERR syntax error
lmpop 1 src left count x                 => -ERR count should be greater than 0
lmpop 1 src left count -1                => -ERR count should be greater than 0
lmpop 1 src left count 1 count 1         => -ERR syntax error
lmpop 1 src left foo 1                   => -ERR syntax error
lmpop 1 src RIGHT                        => [src, [b]]
lmpop 1 src left count 9223372036854775807 => [src, [a]]
exists src                               => :0
set s v                                  => +OK
rpoplpush src s                          => (nil)
rpush src a                              => :1
rpoplpush src s                          => -WRONGTYPE Operation against a key holding the wrong kind of value
lmove src s left left                    => -WRONGTYPE Operation against a key holding the wrong kind of value
lrange src 0 -1                          => [a]
rpush l2 x                               => :1
lmpop 2 l2 s left                        => [l2, [x]]
lmpop 2 s l2 left                        => -WRONGTYPE Operation against a key holding the wrong kind of value
"#,
    );
}

#[test]
fn lists_blocking_errors() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
blpop                                    => -ERR wrong number of arguments for 'blpop' command
blpop l                                  => -ERR wrong number of arguments for 'blpop' command
brpop l x                                => -ERR timeout is not a float or out of range
brpop l -1                               => -ERR timeout is negative
brpop l 9223372036854775807              => -ERR timeout is negative
brpop l 1e400                            => -ERR timeout is negative
brpop l inf                              => -ERR timeout is negative
brpoplpush a b                           => -ERR wrong number of arguments for 'brpoplpush' command
brpoplpush a b x                         => -ERR timeout is not a float or out of range
blmove a b left right                    => -ERR wrong number of arguments for 'blmove' command
blmove a b left foo 0                    => -ERR syntax error
blmove a b left right -1                 => -ERR timeout is negative
blmpop 0                                 => -ERR wrong number of arguments for 'blmpop' command
blmpop 0 1                               => -ERR wrong number of arguments for 'blmpop' command
blmpop 0 1 a                             => -ERR wrong number of arguments for 'blmpop' command
blmpop x 1 a left                        => -ERR timeout is not a float or out of range
blmpop 0 0 a left                        => -ERR numkeys should be greater than 0
blmpop 0 1 a up                          => -ERR syntax error
blmpop 0 1 a left count 0                => -ERR count should be greater than 0
blmpop 0 2 a left                        => -ERR syntax error
rpush a x y z                            => :3
blpop a 0                                => [a, x]
brpop nokey a 0                          => [a, z]
blmpop 0 1 a left count 5                => [a, [y]]
exists a                                 => :0
set s v                                  => +OK
blpop s 0                                => -WRONGTYPE Operation against a key holding the wrong kind of value
blmpop 0 1 s left                        => -WRONGTYPE Operation against a key holding the wrong kind of value
brpoplpush s d 0                         => -WRONGTYPE Operation against a key holding the wrong kind of value
rpush a 1                                => :1
brpoplpush a s 0                         => -WRONGTYPE Operation against a key holding the wrong kind of value
blmove a s left right 0                  => -WRONGTYPE Operation against a key holding the wrong kind of value
"#,
    );
}

#[test]
fn lists_lpos_extreme_rank() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
rpush l a b a c a                        => :5
lpos l a rank -9223372036854775808       => :4
lpos l a rank -9223372036854775808 count 2 => [:4, :2, :0]
lpos l a rank -9223372036854775808 count 0 => [:4, :2, :0]
lpos l a rank 9223372036854775807        => (nil)
lpos l a rank -9223372036854775807 count 0 => []
"#,
    );
}

#[test]
fn misc_lists_variants() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
rpushx nokey a                           => :0
lpush l a b                              => :2
rpushx l c d                             => :4
lpushx l z                               => :5
lrange l 0 -1                            => [z, b, a, c, d]
set s v                                  => +OK
rpushx s a                               => -WRONGTYPE Operation against a key holding the wrong kind of value
lpushx s a                               => -WRONGTYPE Operation against a key holding the wrong kind of value
brpoplpush l dst 0                       => d
brpoplpush l l 0                         => c
lrange l 0 -1                            => [c, z, b, a]
lrange dst 0 -1                          => [d]
brpoplpush l s 0                         => -WRONGTYPE Operation against a key holding the wrong kind of value
"#,
    );
}

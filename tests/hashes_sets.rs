//! Hash and set commands through a standard client (the `redis` crate): every
//! command's happy path, its error replies with Redis 7.0.15's exact strings,
//! encodings and conversions, and a randomized model test per type. The
//! expectations hold against the real binary too
//! (`REDIS_RS_TEST_SERVER=/usr/bin/redis-server cargo test --test hashes_sets`).

mod common;

use common::{check, err, Server};
use redis::{cmd, Connection, Value};
use std::collections::{BTreeMap, BTreeSet};

fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&str]) -> T {
    let mut k = cmd(args[0]);
    for a in &args[1..] {
        k.arg(*a);
    }
    k.query::<T>(c)
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn encoding(c: &mut Connection, key: &str) -> String {
    q(c, &["OBJECT", "ENCODING", key])
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn hash_basics() {
    let srv = Server::start();
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["HSET", "h", "a", "1", "b", "2"]), 2);
    assert_eq!(q::<i64>(&mut c, &["HSET", "h", "a", "10", "c", "3"]), 1);
    assert_eq!(q::<String>(&mut c, &["HMSET", "h", "d", "4"]), "OK");
    assert_eq!(q::<i64>(&mut c, &["HSETNX", "h", "a", "x"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HSETNX", "h", "e", "5"]), 1);
    assert_eq!(q::<String>(&mut c, &["HGET", "h", "a"]), "10");
    assert_eq!(q::<Value>(&mut c, &["HGET", "h", "zz"]), Value::Nil);
    assert_eq!(q::<Value>(&mut c, &["HGET", "nokey", "a"]), Value::Nil);
    assert_eq!(
        q::<Vec<Option<String>>>(&mut c, &["HMGET", "h", "a", "zz", "b"]),
        vec![Some("10".into()), None, Some("2".into())]
    );
    assert_eq!(
        q::<Vec<Option<String>>>(&mut c, &["HMGET", "nokey", "a"]),
        vec![None]
    );
    assert_eq!(q::<i64>(&mut c, &["HLEN", "h"]), 5);
    assert_eq!(q::<i64>(&mut c, &["HLEN", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HSTRLEN", "h", "a"]), 2);
    assert_eq!(q::<i64>(&mut c, &["HSTRLEN", "h", "zz"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HEXISTS", "h", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["HEXISTS", "h", "zz"]), 0);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["HKEYS", "h"]),
        vec!["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["HVALS", "h"]),
        vec!["10", "2", "3", "4", "5"]
    );
    let all: BTreeMap<String, String> = q(&mut c, &["HGETALL", "h"]);
    assert_eq!(all.len(), 5);
    assert_eq!(all["d"], "4");
    assert_eq!(
        q::<Vec<String>>(&mut c, &["HKEYS", "nokey"]),
        Vec::<String>::new()
    );
    assert_eq!(q::<i64>(&mut c, &["HDEL", "h", "a", "zz", "b"]), 2);
    assert_eq!(q::<i64>(&mut c, &["HDEL", "nokey", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["HDEL", "h", "c", "d", "e", "f"]), 3);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "h"]), 0);
    assert_eq!(q::<String>(&mut c, &["TYPE", "h"]), "none");
    q::<i64>(&mut c, &["HSET", "h", "a", "1"]);
    assert_eq!(q::<String>(&mut c, &["TYPE", "h"]), "hash");
}

#[test]
fn hash_errors() {
    let srv = Server::start();
    let mut c = srv.client();
    q::<String>(&mut c, &["SET", "s", "x"]);
    for args in [
        &["HSET", "s", "a", "b"][..],
        &["HSETNX", "s", "a", "b"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HDEL", "s", "a"],
        &["HLEN", "s"],
        &["HSTRLEN", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HGETALL", "s"],
        &["HSCAN", "s", "0"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "2"],
    ] {
        assert_eq!(err(&mut c, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(
        err(&mut c, &["HSET", "h", "a"]),
        "ERR wrong number of arguments for 'hset' command"
    );
    assert_eq!(
        err(&mut c, &["HSET", "h", "a", "1", "b"]),
        "ERR wrong number of arguments for 'hset' command"
    );
    assert_eq!(
        err(&mut c, &["HMSET", "h", "a", "1", "b"]),
        "ERR wrong number of arguments for 'hmset' command"
    );
    assert_eq!(
        err(&mut c, &["HGET", "h"]),
        "ERR wrong number of arguments for 'hget' command"
    );
    q::<i64>(
        &mut c,
        &["HSET", "h", "str", "abc", "n", "9223372036854775807"],
    );
    assert_eq!(
        err(&mut c, &["HINCRBY", "h", "n", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["HINCRBY", "h", "str", "1"]),
        "ERR hash value is not an integer"
    );
    assert_eq!(
        err(&mut c, &["HINCRBY", "h", "n", "1"]),
        "ERR increment or decrement would overflow"
    );
    assert_eq!(
        err(&mut c, &["HINCRBYFLOAT", "h", "n", "x"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut c, &["HINCRBYFLOAT", "h", "n", "inf"]),
        "ERR value is NaN or Infinity"
    );
    assert_eq!(
        err(&mut c, &["HINCRBYFLOAT", "h", "str", "1"]),
        "ERR hash value is not a float"
    );
    q::<String>(&mut c, &["HINCRBYFLOAT", "h", "big", "1e4932"]);
    assert_eq!(
        err(&mut c, &["HINCRBYFLOAT", "h", "big", "1e4932"]),
        "ERR increment would produce NaN or Infinity"
    );
    assert_eq!(
        err(&mut c, &["HRANDFIELD", "h", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["HRANDFIELD", "h", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(
        err(&mut c, &["HRANDFIELD", "h", "5", "withvalue"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["HRANDFIELD", "h", "5", "withvalues", "x"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(
            &mut c,
            &["HRANDFIELD", "h", "4611686018427387904", "withvalues"]
        ),
        "ERR value is out of range"
    );
    assert_eq!(err(&mut c, &["HSCAN", "h", "x"]), "ERR invalid cursor");
    assert_eq!(
        err(&mut c, &["HSCAN", "h", "0", "count", "0"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["HSCAN", "h", "0", "type", "string"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["HSCAN", "h", "0", "count", "x"]),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn hash_incr_and_float_formatting() {
    let srv = Server::start();
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["HINCRBY", "h", "n", "5"]), 5);
    assert_eq!(q::<i64>(&mut c, &["HINCRBY", "h", "n", "-7"]), -2);
    assert_eq!(
        q::<i64>(&mut c, &["HINCRBY", "h", "n", "17179869184"]),
        17179869182
    );
    assert_eq!(
        q::<String>(&mut c, &["HINCRBYFLOAT", "h", "f", "1.23"]),
        "1.23"
    );
    assert_eq!(
        q::<String>(&mut c, &["HINCRBYFLOAT", "h", "f", "0.77"]),
        "2"
    );
    assert_eq!(
        q::<String>(&mut c, &["HINCRBYFLOAT", "h", "f", "-0.1"]),
        "1.9"
    );
    assert_eq!(
        q::<String>(&mut c, &["HINCRBYFLOAT", "h", "g", "5.0e3"]),
        "5000"
    );
    assert_eq!(q::<String>(&mut c, &["HGET", "h", "g"]), "5000");
}

#[test]
fn hash_encodings_and_conversion() {
    let srv = Server::start_with(&[
        "--enable-debug-command",
        "yes",
        "--hash-max-listpack-entries",
        "4",
        "--hash-max-listpack-value",
        "8",
    ]);
    let mut c = srv.client();
    q::<i64>(
        &mut c,
        &["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"],
    );
    assert_eq!(encoding(&mut c, "h"), "listpack");
    q::<i64>(&mut c, &["HSET", "h", "e", "5"]);
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    q::<i64>(&mut c, &["HSET", "v", "a", "123456789"]);
    assert_eq!(encoding(&mut c, "v"), "hashtable");
    q::<i64>(&mut c, &["HSET", "w", "abcdefghi", "1"]);
    assert_eq!(encoding(&mut c, "w"), "hashtable");
    // HINCRBYFLOAT results count against the value limit too.
    q::<String>(&mut c, &["HINCRBYFLOAT", "x", "f", "0.0000005"]);
    assert_eq!(encoding(&mut c, "x"), "hashtable");
    // The 5.0 names are aliases, settable at runtime.
    q::<String>(
        &mut c,
        &["CONFIG", "SET", "hash-max-ziplist-entries", "100"],
    );
    q::<i64>(
        &mut c,
        &[
            "HSET", "y", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5",
        ],
    );
    assert_eq!(encoding(&mut c, "y"), "listpack");
    // COPY keeps the encoding; the digest does not depend on it.
    assert_eq!(q::<i64>(&mut c, &["COPY", "h", "h2"]), 1);
    assert_eq!(encoding(&mut c, "h2"), "hashtable");
    let d1: Vec<String> = q(&mut c, &["DEBUG", "DIGEST-VALUE", "h", "y"]);
    assert_eq!(d1[0], d1[1], "same content, different encodings");
    let stats: String = q(&mut c, &["DEBUG", "HTSTATS-KEY", "h"]);
    assert!(stats.contains("number of elements: 5"), "{stats}");
    assert_eq!(
        err(&mut c, &["DEBUG", "HTSTATS-KEY", "y"]),
        "ERR The value stored at the specified key is not represented using an hash table"
    );
    assert!(q::<i64>(&mut c, &["MEMORY", "USAGE", "h"]) > 0);
}

#[test]
fn hash_digest_matches_redis() {
    // Values computed by Redis 7.0.15 for the same commands.
    let srv = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut c = srv.client();
    q::<i64>(&mut c, &["HSET", "k", "a", "1", "b", "hello"]);
    q::<i64>(&mut c, &["SADD", "s", "1", "2", "x"]);
    q::<i64>(&mut c, &["SADD", "i", "5", "-3"]);
    let d: Vec<String> = q(&mut c, &["DEBUG", "DIGEST-VALUE", "k", "s", "i"]);
    assert_eq!(
        d,
        vec![
            "c8c107ce0a38c9173267c96fa732f89c6a52d977",
            "4c6eef6b7853d1b76391c849d71b0d35d3faf18f",
            "c07d8b065b9cd9d3dc77d2eca63de61ecad2930f",
        ]
    );
}

#[test]
fn hrandfield_counts() {
    let srv = Server::start();
    let mut c = srv.client();
    assert_eq!(q::<Value>(&mut c, &["HRANDFIELD", "nokey"]), Value::Nil);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["HRANDFIELD", "nokey", "3"]),
        Vec::<String>::new()
    );
    for i in 0..10 {
        q::<i64>(&mut c, &["HSET", "h", &format!("f{i}"), &format!("v{i}")]);
    }
    let one: String = q(&mut c, &["HRANDFIELD", "h"]);
    assert!(one.starts_with('f'));
    assert_eq!(
        q::<Vec<String>>(&mut c, &["HRANDFIELD", "h", "0"]),
        Vec::<String>::new()
    );
    let rep: Vec<String> = q(&mut c, &["HRANDFIELD", "h", "-25"]);
    assert_eq!(rep.len(), 25);
    let rep: Vec<String> = q(&mut c, &["HRANDFIELD", "h", "-5", "WITHVALUES"]);
    assert_eq!(rep.len(), 10);
    for pair in rep.chunks(2) {
        assert_eq!(pair[1], pair[0].replace('f', "v"));
    }
    for n in [2usize, 8, 10, 30] {
        let got: Vec<String> = q(&mut c, &["HRANDFIELD", "h", &n.to_string()]);
        let uniq: BTreeSet<&String> = got.iter().collect();
        assert_eq!(got.len(), n.min(10));
        assert_eq!(uniq.len(), got.len(), "positive counts are distinct");
    }
}

#[test]
fn hscan_listpack_and_table() {
    let srv = Server::start();
    let mut c = srv.client();
    let empty: (String, Vec<String>) = q(&mut c, &["HSCAN", "nokey", "0"]);
    assert_eq!(empty, ("0".to_string(), vec![]));
    q::<i64>(&mut c, &["HSET", "small", "a", "1", "b", "2"]);
    let (cur, items): (String, Vec<String>) = q(&mut c, &["HSCAN", "small", "0", "MATCH", "a*"]);
    assert_eq!((cur.as_str(), items), ("0", vec!["a".into(), "1".into()]));
    for i in 0..1000 {
        q::<i64>(&mut c, &["HSET", "big", &format!("k{i}"), &i.to_string()]);
    }
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    let mut cursor = "0".to_string();
    let mut seen = BTreeMap::new();
    loop {
        let (next, items): (String, Vec<String>) =
            q(&mut c, &["HSCAN", "big", &cursor, "COUNT", "50"]);
        for p in items.chunks(2) {
            seen.insert(p[0].clone(), p[1].clone());
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert_eq!(seen["k77"], "77");
}

#[test]
fn set_basics() {
    let srv = Server::start();
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["SADD", "s", "a", "b", "c", "a"]), 3);
    assert_eq!(q::<i64>(&mut c, &["SADD", "s", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SCARD", "s"]), 3);
    assert_eq!(q::<i64>(&mut c, &["SCARD", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SISMEMBER", "s", "a"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SISMEMBER", "s", "z"]), 0);
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["SMISMEMBER", "s", "a", "z", "c"]),
        vec![1, 0, 1]
    );
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["SMISMEMBER", "nokey", "a"]),
        vec![0]
    );
    assert_eq!(sorted(q(&mut c, &["SMEMBERS", "s"])), vec!["a", "b", "c"]);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SMEMBERS", "nokey"]),
        Vec::<String>::new()
    );
    assert_eq!(q::<i64>(&mut c, &["SREM", "s", "a", "z"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SREM", "nokey", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SREM", "s", "b", "c", "d"]), 2);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "s"]), 0);
    q::<i64>(&mut c, &["SADD", "s", "x"]);
    assert_eq!(q::<String>(&mut c, &["TYPE", "s"]), "set");
}

#[test]
fn set_errors() {
    let srv = Server::start();
    let mut c = srv.client();
    q::<String>(&mut c, &["SET", "str", "x"]);
    q::<i64>(&mut c, &["SADD", "s", "a"]);
    for args in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SCARD", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "2"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "2"],
        &["SMOVE", "str", "s", "a"],
        &["SMOVE", "s", "str", "a"],
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "s", "str"],
        &["SINTERSTORE", "d", "str", "s"],
        &["SUNION", "s", "str"],
        &["SUNIONSTORE", "d", "str"],
        &["SDIFF", "nokey", "str"],
        &["SDIFFSTORE", "d", "s", "str"],
        &["SSCAN", "str", "0"],
    ] {
        assert_eq!(err(&mut c, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(
        err(&mut c, &["SADD", "s"]),
        "ERR wrong number of arguments for 'sadd' command"
    );
    assert_eq!(
        err(&mut c, &["SMISMEMBER", "s"]),
        "ERR wrong number of arguments for 'smismember' command"
    );
    assert_eq!(err(&mut c, &["SPOP", "s", "1", "2"]), "ERR syntax error");
    assert_eq!(
        err(&mut c, &["SPOP", "s", "-1"]),
        "ERR value is out of range, must be positive"
    );
    assert_eq!(
        err(&mut c, &["SPOP", "s", "x"]),
        "ERR value is out of range, must be positive"
    );
    assert_eq!(
        err(&mut c, &["SRANDMEMBER", "s", "1", "2"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["SRANDMEMBER", "s", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["SRANDMEMBER", "s", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(
        err(&mut c, &["SINTERCARD", "0", "s"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(
        err(&mut c, &["SINTERCARD", "x", "s"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(
        err(&mut c, &["SINTERCARD", "2", "s"]),
        "ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(
        err(&mut c, &["SINTERCARD", "1", "s", "t"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["SINTERCARD", "1", "s", "LIMIT"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["SINTERCARD", "1", "s", "LIMIT", "-1"]),
        "ERR LIMIT can't be negative"
    );
    assert_eq!(err(&mut c, &["SSCAN", "s", "x"]), "ERR invalid cursor");
    assert_eq!(
        err(&mut c, &["SSCAN", "s", "0", "MATCH"]),
        "ERR syntax error"
    );
    // Failed STORE variants leave the destination alone.
    q::<i64>(&mut c, &["SADD", "dst", "keep"]);
    assert_eq!(err(&mut c, &["SUNIONSTORE", "dst", "s", "str"]), WRONGTYPE);
    assert_eq!(q::<Vec<String>>(&mut c, &["SMEMBERS", "dst"]), vec!["keep"]);
}

#[test]
fn set_encodings() {
    let srv = Server::start_with(&[
        "--set-max-intset-entries",
        "3",
        "--enable-debug-command",
        "yes",
    ]);
    let mut c = srv.client();
    q::<i64>(&mut c, &["SADD", "i", "1", "2", "3"]);
    assert_eq!(encoding(&mut c, "i"), "intset");
    q::<i64>(&mut c, &["SADD", "i", "4"]);
    assert_eq!(encoding(&mut c, "i"), "hashtable");
    q::<i64>(&mut c, &["SADD", "j", "1", "x"]);
    assert_eq!(encoding(&mut c, "j"), "hashtable");
    q::<i64>(&mut c, &["SADD", "k", "007"]);
    assert_eq!(encoding(&mut c, "k"), "hashtable");
    q::<i64>(&mut c, &["SADD", "l", "-5", "9223372036854775807"]);
    assert_eq!(encoding(&mut c, "l"), "intset");
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SMEMBERS", "l"]),
        vec!["-5", "9223372036854775807"]
    );
    assert_eq!(q::<i64>(&mut c, &["COPY", "l", "l2"]), 1);
    assert_eq!(encoding(&mut c, "l2"), "intset");
    assert_eq!(
        err(&mut c, &["DEBUG", "HTSTATS-KEY", "l"]),
        "ERR The value stored at the specified key is not represented using an hash table"
    );
}

#[test]
fn set_algebra() {
    let srv = Server::start();
    let mut c = srv.client();
    q::<i64>(&mut c, &["SADD", "a", "1", "2", "3", "4", "x"]);
    q::<i64>(&mut c, &["SADD", "b", "3", "4", "5", "x"]);
    q::<i64>(&mut c, &["SADD", "n", "3", "4", "9"]);
    assert_eq!(
        sorted(q(&mut c, &["SINTER", "a", "b"])),
        vec!["3", "4", "x"]
    );
    assert_eq!(
        sorted(q(&mut c, &["SINTER", "a", "b", "n"])),
        vec!["3", "4"]
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SINTER", "a", "nokey"]),
        Vec::<String>::new()
    );
    assert_eq!(q::<i64>(&mut c, &["SINTERCARD", "2", "a", "b"]), 3);
    assert_eq!(
        q::<i64>(&mut c, &["SINTERCARD", "2", "a", "b", "LIMIT", "2"]),
        2
    );
    assert_eq!(q::<i64>(&mut c, &["SINTERCARD", "1", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SINTERSTORE", "d", "a", "n"]), 2);
    assert_eq!(encoding(&mut c, "d"), "intset");
    assert_eq!(sorted(q(&mut c, &["SMEMBERS", "d"])), vec!["3", "4"]);
    assert_eq!(q::<i64>(&mut c, &["SINTERSTORE", "d", "a", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d"]), 0);
    assert_eq!(
        sorted(q(&mut c, &["SUNION", "a", "b", "nokey"])),
        vec!["1", "2", "3", "4", "5", "x"]
    );
    assert_eq!(q::<i64>(&mut c, &["SUNIONSTORE", "d", "n", "nokey"]), 3);
    assert_eq!(encoding(&mut c, "d"), "intset");
    assert_eq!(sorted(q(&mut c, &["SDIFF", "a", "b"])), vec!["1", "2"]);
    assert_eq!(sorted(q(&mut c, &["SDIFF", "a", "b", "n"])), vec!["1", "2"]);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SDIFF", "a", "a"]),
        Vec::<String>::new()
    );
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SDIFF", "nokey", "a"]),
        Vec::<String>::new()
    );
    assert_eq!(q::<i64>(&mut c, &["SDIFFSTORE", "d", "n", "a"]), 1);
    assert_eq!(q::<Vec<String>>(&mut c, &["SMEMBERS", "d"]), vec!["9"]);
    q::<String>(&mut c, &["SET", "d2", "x"]);
    assert_eq!(q::<i64>(&mut c, &["SDIFFSTORE", "d2", "a", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "d2"]), 0);
}

#[test]
fn smove_spop_srandmember() {
    let srv = Server::start();
    let mut c = srv.client();
    q::<i64>(&mut c, &["SADD", "src", "1", "a"]);
    q::<i64>(&mut c, &["SADD", "dst", "2"]);
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "src", "dst", "a"]), 1);
    assert_eq!(encoding(&mut c, "dst"), "hashtable");
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "src", "dst", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "nokey", "dst", "a"]), 0);
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "src", "src", "1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["SMOVE", "src", "new", "1"]), 1);
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "src"]), 0);
    assert_eq!(encoding(&mut c, "new"), "intset");

    assert_eq!(q::<Value>(&mut c, &["SPOP", "nokey"]), Value::Nil);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SPOP", "nokey", "3"]),
        Vec::<String>::new()
    );
    let members: Vec<String> = (0..30).map(|i| i.to_string()).collect();
    let mut args = vec!["SADD", "p"];
    args.extend(members.iter().map(|s| s.as_str()));
    q::<i64>(&mut c, &args);
    let mut popped: Vec<String> = q(&mut c, &["SPOP", "p", "3"]);
    popped.extend(q::<Vec<String>>(&mut c, &["SPOP", "p", "20"]));
    popped.push(q(&mut c, &["SPOP", "p"]));
    assert_eq!(q::<i64>(&mut c, &["SCARD", "p"]), 6);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SPOP", "p", "0"]),
        Vec::<String>::new()
    );
    popped.extend(q::<Vec<String>>(&mut c, &["SPOP", "p", "100"]));
    assert_eq!(q::<i64>(&mut c, &["EXISTS", "p"]), 0);
    let got: BTreeSet<String> = popped.into_iter().collect();
    assert_eq!(got, members.iter().cloned().collect());

    assert_eq!(q::<Value>(&mut c, &["SRANDMEMBER", "nokey"]), Value::Nil);
    q::<i64>(
        &mut c,
        &[
            "SADD", "r", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
        ],
    );
    let m: String = q(&mut c, &["SRANDMEMBER", "r"]);
    assert_eq!(m.len(), 1);
    assert_eq!(
        q::<Vec<String>>(&mut c, &["SRANDMEMBER", "r", "-30"]).len(),
        30
    );
    for n in [1usize, 2, 8, 10, 50] {
        let got: Vec<String> = q(&mut c, &["SRANDMEMBER", "r", &n.to_string()]);
        let uniq: BTreeSet<&String> = got.iter().collect();
        assert_eq!(got.len(), n.min(10));
        assert_eq!(uniq.len(), got.len());
    }
    assert_eq!(q::<i64>(&mut c, &["SCARD", "r"]), 10);
}

#[test]
fn sscan_and_resp3() {
    let srv = Server::start();
    let mut c = srv.client();
    q::<i64>(&mut c, &["SADD", "i", "1", "2", "3"]);
    let (cur, items): (String, Vec<String>) = q(&mut c, &["SSCAN", "i", "0", "MATCH", "[12]"]);
    assert_eq!((cur.as_str(), items), ("0", vec!["1".into(), "2".into()]));
    for i in 0..600 {
        q::<i64>(&mut c, &["SADD", "big", &format!("m{i}")]);
    }
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    loop {
        let (next, items): (String, Vec<String>) = q(&mut c, &["SSCAN", "big", &cursor]);
        seen.extend(items);
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 600);
    // Under RESP3, SMEMBERS/SUNION/SPOP-with-count are sets and HGETALL a map.
    let mut raw = srv.raw();
    use std::io::{Read, Write};
    raw.write_all(b"HELLO 3\r\n").unwrap();
    let mut hello = Vec::new();
    while !hello.ends_with(b"modules\r\n*0\r\n") {
        let mut b = [0u8; 1];
        raw.read_exact(&mut b).unwrap();
        hello.push(b[0]);
    }
    raw.write_all(b"SMEMBERS i\r\nHSET h a 1\r\nHGETALL h\r\nSPOP nokey 2\r\nHGETALL nokey\r\n")
        .unwrap();
    let want =
        b"~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n:1\r\n%1\r\n$1\r\na\r\n$1\r\n1\r\n~0\r\n%0\r\n";
    let mut got = vec![0u8; want.len()];
    raw.read_exact(&mut got).unwrap();
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}

/// A small deterministic PRNG so failures reproduce.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn randomized_hash_model() {
    let srv = Server::start_with(&["--hash-max-listpack-entries", "16"]);
    let mut c = srv.client();
    let mut rng = Lcg(42);
    let mut model: BTreeMap<String, String> = BTreeMap::new();
    for step in 0..3000 {
        let f = format!("f{}", rng.next(40));
        match rng.next(6) {
            0 | 1 => {
                let v = if rng.next(4) == 0 {
                    "x".repeat(rng.next(100) as usize)
                } else {
                    rng.next(1000).to_string()
                };
                let added: i64 = q(&mut c, &["HSET", "h", &f, &v]);
                assert_eq!(added, !model.contains_key(&f) as i64, "step {step}");
                model.insert(f, v);
            }
            2 => {
                let del: i64 = q(&mut c, &["HDEL", "h", &f]);
                assert_eq!(del, model.remove(&f).is_some() as i64, "step {step}");
            }
            3 => {
                let got: Option<String> = q(&mut c, &["HGET", "h", &f]);
                assert_eq!(got, model.get(&f).cloned(), "step {step}");
            }
            4 => {
                if model.get(&f).is_none_or(|v| v.parse::<i64>().is_ok()) {
                    let n: i64 = q(&mut c, &["HINCRBY", "h", &f, "3"]);
                    let old = model.get(&f).map_or(0, |v| v.parse::<i64>().unwrap());
                    assert_eq!(n, old + 3, "step {step}");
                    model.insert(f, n.to_string());
                }
            }
            _ => {
                let all: BTreeMap<String, String> = q(&mut c, &["HGETALL", "h"]);
                assert_eq!(all, model, "step {step}");
                assert_eq!(q::<usize>(&mut c, &["HLEN", "h"]), model.len());
            }
        }
    }
}

#[test]
fn randomized_set_model() {
    let srv = Server::start_with(&["--set-max-intset-entries", "20"]);
    let mut c = srv.client();
    let mut rng = Lcg(7);
    let mut model: [BTreeSet<String>; 2] = [BTreeSet::new(), BTreeSet::new()];
    let keys = ["s0", "s1"];
    for step in 0..3000 {
        let k = rng.next(2) as usize;
        let m = if rng.next(5) == 0 {
            format!("m{}", rng.next(30))
        } else {
            (rng.next(60) as i64 - 30).to_string()
        };
        match rng.next(7) {
            0 | 1 => {
                let added: i64 = q(&mut c, &["SADD", keys[k], &m]);
                assert_eq!(added, model[k].insert(m) as i64, "step {step}");
            }
            2 => {
                let rem: i64 = q(&mut c, &["SREM", keys[k], &m]);
                assert_eq!(rem, model[k].remove(&m) as i64, "step {step}");
            }
            3 => {
                if let Some(p) = q::<Option<String>>(&mut c, &["SPOP", keys[k]]) {
                    assert!(model[k].remove(&p), "step {step}: popped {p}");
                } else {
                    assert!(model[k].is_empty());
                }
            }
            4 => {
                let inter: BTreeSet<String> = q(&mut c, &["SINTER", "s0", "s1"]);
                let want: BTreeSet<String> = model[0].intersection(&model[1]).cloned().collect();
                assert_eq!(inter, want, "step {step}");
                let diff: BTreeSet<String> = q(&mut c, &["SDIFF", "s0", "s1"]);
                let want: BTreeSet<String> = model[0].difference(&model[1]).cloned().collect();
                assert_eq!(diff, want, "step {step}");
            }
            5 => {
                let moved: i64 = q(&mut c, &["SMOVE", keys[k], keys[1 - k], &m]);
                let had = model[k].remove(&m);
                assert_eq!(moved, had as i64, "step {step}");
                if had {
                    model[1 - k].insert(m);
                }
            }
            _ => {
                let all: BTreeSet<String> = q(&mut c, &["SMEMBERS", keys[k]]);
                assert_eq!(all, model[k], "step {step}");
                assert_eq!(q::<usize>(&mut c, &["SCARD", keys[k]]), model[k].len());
            }
        }
    }
}
#[test]
fn hashes_errors_and_edges() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
hset h                                   => -ERR wrong number of arguments for 'hset' command
hset h f                                 => -ERR wrong number of arguments for 'hset' command
hset h f v g                             => -ERR wrong number of arguments for 'hset' command
hsetnx h f                               => -ERR wrong number of arguments for 'hsetnx' command
hmset h f                                => -ERR wrong number of arguments for 'hmset' command
hget h                                   => -ERR wrong number of arguments for 'hget' command
hmget h                                  => -ERR wrong number of arguments for 'hmget' command
hdel h                                   => -ERR wrong number of arguments for 'hdel' command
hlen                                     => -ERR wrong number of arguments for 'hlen' command
hstrlen h                                => -ERR wrong number of arguments for 'hstrlen' command
hexists h                                => -ERR wrong number of arguments for 'hexists' command
hincrby h f                              => -ERR wrong number of arguments for 'hincrby' command
hincrby h f x                            => -ERR value is not an integer or out of range
hincrby h f 1.5                          => -ERR value is not an integer or out of range
hset h s abc n 10 fl 1.5                 => :3
hincrby h s 1                            => -ERR hash value is not an integer
hincrby h fl 1                           => -ERR hash value is not an integer
hincrbyfloat h s 1                       => -ERR hash value is not a float
hincrbyfloat h n x                       => -ERR value is not a valid float
hincrbyfloat h n nan                     => -ERR value is not a valid float
hincrbyfloat h n inf                     => -ERR value is NaN or Infinity
hincrby h n 9223372036854775807          => -ERR increment or decrement would overflow
hincrbyfloat h fl 0.1                    => 1.6
hincrby nokey f 5                        => :5
hincrbyfloat nokey2 f 0.5                => 0.5
hkeys                                    => -ERR wrong number of arguments for 'hkeys' command
hvals h x                                => -ERR wrong number of arguments for 'hvals' command
hgetall h x                              => -ERR wrong number of arguments for 'hgetall' command
hrandfield                               => -ERR wrong number of arguments for 'hrandfield' command
hrandfield h x                           => -ERR value is not an integer or out of range
hrandfield h 1 foo                       => -ERR syntax error
hrandfield h -9223372036854775808        => -ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807
hrandfield nokey                         => f
hrandfield nokey 3                       => [f]
hrandfield nokey -3 withvalues           => [f, 5, f, 5, f, 5]
hscan h                                  => -ERR wrong number of arguments for 'hscan' command
hscan h x                                => -ERR invalid cursor
hscan h 0 count 0                        => -ERR syntax error
hscan h 0 match                          => -ERR syntax error
hscan nokey 0                            => [0, [f, 5]]
hstrlen h n                              => :2
hstrlen nokey f                          => :1
"#,
    );
}

#[test]
fn sets_errors_and_edges() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
sadd s                                   => -ERR wrong number of arguments for 'sadd' command
srem s                                   => -ERR wrong number of arguments for 'srem' command
sadd s a b c 1                           => :4
sismember s                              => -ERR wrong number of arguments for 'sismember' command
sismember s a b                          => -ERR wrong number of arguments for 'sismember' command
smismember s                             => -ERR wrong number of arguments for 'smismember' command
smismember s a zz                        => [:1, :0]
smismember nokey a                       => [:0]
scard                                    => -ERR wrong number of arguments for 'scard' command
scard nokey                              => :0
smembers                                 => -ERR wrong number of arguments for 'smembers' command
smembers nokey                           => []
spop                                     => -ERR wrong number of arguments for 'spop' command
spop s 1 2                               => -ERR syntax error
spop nokey                               => (nil)
spop nokey 3                             => []
spop s 0                                 => []
srandmember                              => -ERR wrong number of arguments for 'srandmember' command
srandmember s 1 2                        => -ERR syntax error
srandmember nokey                        => (nil)
srandmember nokey 5                      => []
srandmember s 0                          => []
srandmember s -9223372036854775808       => -ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807
smove s d                                => -ERR wrong number of arguments for 'smove' command
smove s d zz                             => :0
smove nokey d a                          => :0
smove s s a                              => :1
sinter                                   => -ERR wrong number of arguments for 'sinter' command
sinter nokey s                           => []
sintercard                               => -ERR wrong number of arguments for 'sintercard' command
sintercard 0 s                           => -ERR numkeys should be greater than 0
sintercard x s                           => -ERR numkeys should be greater than 0
sintercard 2 s                           => -ERR Number of keys can't be greater than number of args
sintercard 1 s limit                     => -ERR syntax error
sintercard 1 s foo 1                     => -ERR syntax error
sintercard 1 s limit 1                   => :1
sinterstore d                            => -ERR wrong number of arguments for 'sinterstore' command
sinterstore d nokey                      => :0
exists d                                 => :0
sunion                                   => -ERR wrong number of arguments for 'sunion' command
sunionstore d                            => -ERR wrong number of arguments for 'sunionstore' command
sdiff                                    => -ERR wrong number of arguments for 'sdiff' command
sdiff nokey s                            => []
sdiffstore d s s                         => :0
exists d                                 => :0
sscan s x                                => -ERR invalid cursor
sscan s 0 count 0                        => -ERR syntax error
sscan nokey 0                            => [0, []]
set str v                                => +OK
sinter s str                             => -WRONGTYPE Operation against a key holding the wrong kind of value
sunion nokey str                         => -WRONGTYPE Operation against a key holding the wrong kind of value
sdiff str s                              => -WRONGTYPE Operation against a key holding the wrong kind of value
sintercard 2 s str                       => -WRONGTYPE Operation against a key holding the wrong kind of value
smove str s a                            => -WRONGTYPE Operation against a key holding the wrong kind of value
smove s str a                            => -WRONGTYPE Operation against a key holding the wrong kind of value
sinterstore str s                        => :4
type str                                 => +set
"#,
    );
}

#[test]
fn misc_hashes_variants() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
hmset h a 1 b 2                          => +OK
hmset h a 1 b                            => -ERR wrong number of arguments for 'hmset' command
hmset h                                  => -ERR wrong number of arguments for 'hmset' command
hvals h                                  => [1, 2]
hvals nokey                              => []
hmget h a zz                             => [1, (nil)]
hexists nokey a                          => :0
set s v                                  => +OK
hmset s a 1                              => -WRONGTYPE Operation against a key holding the wrong kind of value
hvals s                                  => -WRONGTYPE Operation against a key holding the wrong kind of value
hexists s a                              => -WRONGTYPE Operation against a key holding the wrong kind of value
hkeys s                                  => -WRONGTYPE Operation against a key holding the wrong kind of value
hsetnx s a 1                             => -WRONGTYPE Operation against a key holding the wrong kind of value
hstrlen s a                              => -WRONGTYPE Operation against a key holding the wrong kind of value
"#,
    );
}

#[test]
fn misc_sets_variants() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
sadd a 1 2 3 x                           => :4
sadd b 2 3 y                             => :3
sunionstore d a b                        => :5
scard d                                  => :5
sismember d y                            => :1
sdiffstore d a b                         => :2
scard d                                  => :2
smismember d 1 x 2                       => [:1, :1, :0]
sdiffstore d nokey a                     => :0
exists d                                 => :0
sunionstore d nokey nokey2               => :0
exists d                                 => :0
set s v                                  => +OK
sunionstore d a s                        => -WRONGTYPE Operation against a key holding the wrong kind of value
sdiffstore d s a                         => -WRONGTYPE Operation against a key holding the wrong kind of value
sinterstore d a s                        => -WRONGTYPE Operation against a key holding the wrong kind of value
smembers s                               => -WRONGTYPE Operation against a key holding the wrong kind of value
sdiffstore s a b                         => :2
type s                                   => +set
smismember s 1 x 2                       => [:1, :1, :0]
"#,
    );
}

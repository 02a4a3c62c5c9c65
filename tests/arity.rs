//! Arity of every data-type and keyspace command (strings, bitmaps, lists, hashes, sets,
//! sorted sets, HyperLogLog, generic keyspace): COMMAND INFO reports Redis 7.0.15's
//! arity, and a call with too few (or, for a fixed arity, too many) arguments gets
//! Redis's exact error, naming the subcommand as `container|sub`. The table was
//! recorded from Redis 7.0.15's COMMAND INFO; `REDIS_RS_TEST_SERVER=/usr/bin/redis-server
//! cargo test --test arity` checks it there.

mod common;

use common::{cmd, run, Server};
use redis::Value;

const ARITY: &[(&str, i64)] = &[
    ("setbit", 4),
    ("getbit", 3),
    ("bitcount", -2),
    ("bitpos", -3),
    ("bitop", -4),
    ("bitfield", -2),
    ("bitfield_ro", -2),
    ("del", -2),
    ("unlink", -2),
    ("exists", -2),
    ("type", 2),
    ("expire", -3),
    ("pexpire", -3),
    ("expireat", -3),
    ("pexpireat", -3),
    ("ttl", 2),
    ("pttl", 2),
    ("expiretime", 2),
    ("pexpiretime", 2),
    ("persist", 2),
    ("keys", 2),
    ("scan", -2),
    ("randomkey", 1),
    ("rename", 3),
    ("renamenx", 3),
    ("move", 3),
    ("copy", -3),
    ("touch", -2),
    ("object", -2),
    ("object|encoding", 3),
    ("object|idletime", 3),
    ("object|help", 2),
    ("object|refcount", 3),
    ("object|freq", 3),
    ("dbsize", 1),
    ("flushdb", -1),
    ("flushall", -1),
    ("swapdb", 3),
    ("hdel", -3),
    ("hexists", 3),
    ("hget", 3),
    ("hgetall", 2),
    ("hincrby", 4),
    ("hincrbyfloat", 4),
    ("hkeys", 2),
    ("hlen", 2),
    ("hmget", -3),
    ("hmset", -4),
    ("hrandfield", -2),
    ("hscan", -3),
    ("hset", -4),
    ("hsetnx", 4),
    ("hstrlen", 3),
    ("hvals", 2),
    ("pfadd", -2),
    ("pfcount", -2),
    ("pfmerge", -2),
    ("pfdebug", 3),
    ("pfselftest", 1),
    ("blmove", 6),
    ("blmpop", -5),
    ("blpop", -3),
    ("brpop", -3),
    ("brpoplpush", 4),
    ("lindex", 3),
    ("linsert", 5),
    ("llen", 2),
    ("lmove", 5),
    ("lmpop", -4),
    ("lpop", -2),
    ("lpos", -3),
    ("lpush", -3),
    ("lpushx", -3),
    ("lrange", 4),
    ("lrem", 4),
    ("lset", 4),
    ("ltrim", 4),
    ("rpop", -2),
    ("rpoplpush", 3),
    ("rpush", -3),
    ("rpushx", -3),
    ("sadd", -3),
    ("scard", 2),
    ("sdiff", -2),
    ("sdiffstore", -3),
    ("sinter", -2),
    ("sintercard", -3),
    ("sinterstore", -3),
    ("sismember", 3),
    ("smembers", 2),
    ("smismember", -3),
    ("smove", 4),
    ("spop", -2),
    ("srandmember", -2),
    ("srem", -3),
    ("sscan", -3),
    ("sunion", -2),
    ("sunionstore", -3),
    ("get", 2),
    ("set", -3),
    ("setnx", 3),
    ("setex", 4),
    ("psetex", 4),
    ("getset", 3),
    ("getdel", 2),
    ("getex", -2),
    ("mget", -2),
    ("mset", -3),
    ("msetnx", -3),
    ("append", 3),
    ("strlen", 2),
    ("incr", 2),
    ("decr", 2),
    ("incrby", 3),
    ("decrby", 3),
    ("incrbyfloat", 3),
    ("getrange", 4),
    ("substr", 4),
    ("setrange", 4),
    ("lcs", -3),
    ("bzmpop", -5),
    ("bzpopmax", -3),
    ("bzpopmin", -3),
    ("zadd", -4),
    ("zcard", 2),
    ("zcount", 4),
    ("zdiff", -3),
    ("zdiffstore", -4),
    ("zincrby", 4),
    ("zinter", -3),
    ("zintercard", -3),
    ("zinterstore", -4),
    ("zlexcount", 4),
    ("zmpop", -4),
    ("zmscore", -3),
    ("zpopmax", -2),
    ("zpopmin", -2),
    ("zrandmember", -2),
    ("zrange", -4),
    ("zrangebylex", -4),
    ("zrangebyscore", -4),
    ("zrangestore", -5),
    ("zrank", 3),
    ("zrem", -3),
    ("zremrangebylex", 4),
    ("zremrangebyrank", 4),
    ("zremrangebyscore", 4),
    ("zrevrange", -4),
    ("zrevrangebylex", -4),
    ("zrevrangebyscore", -4),
    ("zrevrank", 3),
    ("zscan", -3),
    ("zscore", 3),
    ("zunion", -3),
    ("zunionstore", -4),
];

/// The request words for `name` ("container|sub" is two words) padded with
/// placeholder arguments to `argc` words in all.
fn call(name: &str, argc: usize) -> Vec<String> {
    let mut v: Vec<String> = name.split('|').map(str::to_string).collect();
    while v.len() < argc {
        v.push("x".into());
    }
    v
}

#[test]
fn command_info_reports_redis_arity() {
    let srv = Server::start();
    let mut c = srv.client();
    let mut bad = Vec::new();
    for &(name, arity) in ARITY {
        let (container, sub) = match name.split_once('|') {
            Some((c, s)) => (c, Some(s)),
            None => (name, None),
        };
        let info = cmd(&mut c, &["COMMAND", "INFO", container]).unwrap();
        let Value::Array(mut entries) = info else {
            panic!("COMMAND INFO {container}: {info:?}")
        };
        let Value::Array(mut doc) = entries.remove(0) else {
            bad.push(format!("{name}: not in COMMAND INFO"));
            continue;
        };
        if let Some(sub) = sub {
            let Value::Array(subs) = doc.remove(9) else {
                panic!("{container}: no subcommands")
            };
            let found = subs.into_iter().find_map(|s| match s {
                Value::Array(d)
                    if d[0] == Value::BulkString(format!("{container}|{sub}").into_bytes()) =>
                {
                    Some(d)
                }
                _ => None,
            });
            match found {
                Some(d) => doc = d,
                None => {
                    bad.push(format!("{name}: subcommand missing"));
                    continue;
                }
            }
        }
        if doc[1] != Value::Int(arity) {
            bad.push(format!("{name}: arity {:?}, Redis has {arity}", doc[1]));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn wrong_number_of_arguments() {
    let srv = Server::start();
    let mut c = srv.client();
    let mut bad = Vec::new();
    for &(name, arity) in ARITY {
        let want = format!("-ERR wrong number of arguments for '{name}' command");
        let words = name.split('|').count();
        let n = arity.unsigned_abs() as usize;
        let mut calls = Vec::new();
        if n > words {
            calls.push(call(name, n - 1));
        }
        if arity > 0 {
            calls.push(call(name, n + 1));
        }
        for args in calls {
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let got = run(&mut c, &argv);
            if got != want {
                bad.push(format!("{}: {got}", args.join(" ")));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // Nothing ran: no key was created by any of those calls.
    assert_eq!(run(&mut c, &["DBSIZE"]), ":0");
}

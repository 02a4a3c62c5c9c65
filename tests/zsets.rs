//! Sorted set commands over TCP through the `redis` crate: happy paths, the
//! error replies, both encodings (with the conversion), blocking pops, and a
//! randomized model test of ZADD/ZREM/ZINCRBY against ranks and ranges.

mod common;

use common::{check, cmd, err, strs, Server};
use redis::Value;

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
#[test]
fn zsets_add_and_scores() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
zadd z                                   => -ERR wrong number of arguments for 'zadd' command
zadd z 1                                 => -ERR wrong number of arguments for 'zadd' command
zadd z 1 a 2                             => -ERR syntax error
zadd z x a                               => -ERR value is not a valid float
zadd z 1 a nx                            => -ERR syntax error
zadd z nx xx 1 a                         => -ERR XX and NX options at the same time are not compatible
zadd z gt lt 1 a                         => -ERR GT, LT, and/or NX options at the same time are not compatible
zadd z gt nx 1 a                         => -ERR GT, LT, and/or NX options at the same time are not compatible
zadd z incr 1 a 2 b                      => -ERR INCR option supports a single increment-element pair
zadd z 1 a 2 b 3 c                       => :3
zadd z ch 1 a 5 b 3 c                    => :1
zadd z gt ch 0 a 9 b                     => :1
zadd z lt ch 0 a 9 b                     => :1
zadd z nx incr 1 a                       => (nil)
zadd z xx incr 1 nope                    => (nil)
zadd z incr 1.5 a                        => 1.5
zadd z incr -inf a                       => -inf
zadd z incr +inf a                       => -ERR resulting score is not a number (NaN)
zadd z 1e400 x                           => -ERR value is not a valid float
zadd z 0.1 x                             => :1
zscore z x                               => 0.10000000000000001
zadd z 1.7976931348623157e308 max 123456789012345678 big 0.30000000000000004 tiny -0 nz => :4
zmscore z max big tiny nz nope           => [1.7976931348623157e+308, 1.2345678901234568e+17, 0.30000000000000004, 0, (nil)]
zscore z nope                            => (nil)
zscore nokey a                           => (nil)
zscore z                                 => -ERR wrong number of arguments for 'zscore' command
zmscore z                                => -ERR wrong number of arguments for 'zmscore' command
zmscore nokey a b                        => [(nil), (nil)]
zincrby z 1 newm                         => 1
zincrby z x a                            => -ERR value is not a valid float
zincrby z nan a                          => -ERR value is not a valid float
zincrby z -inf a                         => -inf
zincrby z 1                              => -ERR wrong number of arguments for 'zincrby' command
zcard z                                  => :9
zcard nokey                              => :0
zcard                                    => -ERR wrong number of arguments for 'zcard' command
zcard z x                                => -ERR wrong number of arguments for 'zcard' command
zrem z nope x                            => :1
zrem nokey a                             => :0
zrem z                                   => -ERR wrong number of arguments for 'zrem' command
zadd z2 inf a                            => :1
zincrby z2 -inf a                        => -ERR resulting score is not a number (NaN)
zadd s2 1 a                              => :1
set str v                                => +OK
zadd str 1 a                             => -WRONGTYPE Operation against a key holding the wrong kind of value
zincrby str 1 a                          => -WRONGTYPE Operation against a key holding the wrong kind of value
zscore str a                             => -WRONGTYPE Operation against a key holding the wrong kind of value
zmscore str a                            => -WRONGTYPE Operation against a key holding the wrong kind of value
zcard str                                => -WRONGTYPE Operation against a key holding the wrong kind of value
zrem str a                               => -WRONGTYPE Operation against a key holding the wrong kind of value
zrank str a                              => -WRONGTYPE Operation against a key holding the wrong kind of value
zcount str 0 1                           => -WRONGTYPE Operation against a key holding the wrong kind of value
zrange str 0 1                           => -WRONGTYPE Operation against a key holding the wrong kind of value
zrangebyscore str 0 1                    => -WRONGTYPE Operation against a key holding the wrong kind of value
zrangebylex str - +                      => -WRONGTYPE Operation against a key holding the wrong kind of value
zlexcount str - +                        => -WRONGTYPE Operation against a key holding the wrong kind of value
zpopmin str                              => -WRONGTYPE Operation against a key holding the wrong kind of value
zrandmember str                          => -WRONGTYPE Operation against a key holding the wrong kind of value
zscan str 0                              => -WRONGTYPE Operation against a key holding the wrong kind of value
zremrangebyrank str 0 1                  => -WRONGTYPE Operation against a key holding the wrong kind of value
zunionstore d 1 str                      => -WRONGTYPE Operation against a key holding the wrong kind of value
zinter 1 str                             => -WRONGTYPE Operation against a key holding the wrong kind of value
zdiff 1 str                              => -WRONGTYPE Operation against a key holding the wrong kind of value
zintercard 1 str                         => -WRONGTYPE Operation against a key holding the wrong kind of value
zmpop 1 str min                          => -WRONGTYPE Operation against a key holding the wrong kind of value
zrangestore d str 0 1                    => -WRONGTYPE Operation against a key holding the wrong kind of value
"#,
    );
}

#[test]
fn zsets_ranges() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
zadd z 1 a 2 b 3 c 4 d 5 e               => :5
zrank z c                                => :2
zrank z nope                             => (nil)
zrank nokey a                            => (nil)
zrevrank z c                             => :2
zrank z                                  => -ERR wrong number of arguments for 'zrank' command
zrank z c withscore                      => -ERR wrong number of arguments for 'zrank' command
zrange z 0 -1 withscores                 => [a, 1, b, 2, c, 3, d, 4, e, 5]
zrange z -2 -1                           => [d, e]
zrange z 3 1                             => []
zrange z 0 -1 rev                        => [e, d, c, b, a]
zrange z "(1" 3 byscore                  => [b, c]
zrange z 3 "(1" byscore rev              => [c, b]
zrange z -inf +inf byscore limit 1 2     => [b, c]
zrange z -inf +inf byscore limit 1 -1    => [b, c, d, e]
zrange z -inf +inf byscore limit -1 2    => []
zrange z 0 -1 limit 1 2                  => -ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX
zrange z [b "(d" bylex                   => [b, c]
zrange z "(d" [b bylex rev               => [c, b]
zrange z - + bylex limit 0 2             => [a, b]
zrange z 0 -1 bylex                      => -ERR min or max not valid string range item
zrange z a b byscore                     => -ERR min or max is not a float
zrange z 0 -1 byscore bylex              => -ERR syntax error
zrange z 0 -1 withscores withscores      => [a, 1, b, 2, c, 3, d, 4, e, 5]
zrange z 0                               => -ERR wrong number of arguments for 'zrange' command
zrange z x 1                             => -ERR value is not an integer or out of range
zrange z 0 1 foo                         => -ERR syntax error
zrange z 0 1 limit 1                     => -ERR syntax error
zrange z 0 1 byscore limit x 1           => -ERR value is not an integer or out of range
zrangebyscore z 2 4                      => [b, c, d]
zrangebyscore z 2 4 withscores limit 1 1 => [c, 3]
zrangebyscore z "(2" "(4"                => [c]
zrangebyscore z 2 4 limit 1              => -ERR syntax error
zrangebyscore z 2                        => -ERR wrong number of arguments for 'zrangebyscore' command
zrangebyscore z nan 1                    => -ERR min or max is not a float
zrevrangebyscore z 4 2                   => [d, c, b]
zrevrangebyscore z 4 2 withscores limit 0 1 => [d, 4]
zrevrange z 0 1 withscores               => [e, 5, d, 4]
zrevrange z 0 1 foo                      => -ERR syntax error
zrangebylex z - +                        => [a, b, c, d, e]
zrangebylex z [c +                       => [c, d, e]
zrangebylex z - + limit 1 1              => [b]
zrangebylex z x +                        => -ERR min or max not valid string range item
zrangebylex z - + withscores             => -ERR syntax error, WITHSCORES not supported in combination with BYLEX
zrevrangebylex z + -                     => [e, d, c, b, a]
zrevrangebylex z "(c" -                  => [b, a]
zcount z 2 4                             => :3
zcount z "(2" "(4"                       => :1
zcount z x 1                             => -ERR min or max is not a float
zcount z                                 => -ERR wrong number of arguments for 'zcount' command
zcount nokey 0 1                         => :0
zlexcount z - +                          => :5
zlexcount z [b [d                        => :3
zlexcount z b d                          => -ERR min or max not valid string range item
zlexcount nokey - +                      => :0
zrangestore d z 0 1                      => :2
zrange d 0 -1 withscores                 => [a, 1, b, 2]
zrangestore d z 10 20                    => :0
exists d                                 => :0
zrangestore d z "(1" 3 byscore limit 0 1 => :1
zrange d 0 -1                            => [b]
zrangestore d z 0 -1 withscores          => -ERR syntax error
zrangestore d z                          => -ERR wrong number of arguments for 'zrangestore' command
zrangestore d nokey 0 -1                 => :0
"#,
    );
}

#[test]
fn zsets_removals_pops() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
zadd z 1 a 2 b 3 c 4 d 5 e               => :5
zremrangebyrank z 0 0                    => :1
zremrangebyrank z -1 -1                  => :1
zremrangebyrank z 5 10                   => :0
zremrangebyrank z x 1                    => -ERR value is not an integer or out of range
zremrangebyrank nokey 0 1                => :0
zremrangebyscore z "(2" 3                => :1
zremrangebyscore z x 1                   => -ERR min or max is not a float
zremrangebyscore nokey 0 1               => :0
zrange z 0 -1                            => [b, d]
zadd l 0 a 0 b 0 c 0 d                   => :4
zremrangebylex l [b "(d"                 => :2
zremrangebylex l x +                     => -ERR min or max not valid string range item
zremrangebylex nokey - +                 => :0
zrange l 0 -1                            => [a, d]
zadd p 1 a 2 b 3 c                       => :3
zpopmin p                                => [a, 1]
zpopmax p 5                              => [c, 3, b, 2]
zpopmin p                                => []
zpopmin nokey 2                          => []
zpopmin p 1 2                            => -ERR syntax error
zpopmax                                  => -ERR wrong number of arguments for 'zpopmax' command
zadd p 1 a 2 b 3 c                       => :3
zmpop 1 p min                            => [p, [[a, 1]]]
zmpop 2 nokey p max count 10             => [p, [[c, 3], [b, 2]]]
zmpop 1 p min                            => (nil)
zmpop 0 p min                            => -ERR numkeys should be greater than 0
zmpop 1 p                                => -ERR wrong number of arguments for 'zmpop' command
zmpop 1 p foo                            => -ERR syntax error
zmpop 1 p min count 0                    => -ERR count should be greater than 0
zmpop 1 p min count 1 count 1            => -ERR syntax error
zmpop x p min                            => -ERR numkeys should be greater than 0
zmpop 3 p min                            => -ERR syntax error
"#,
    );
}

#[test]
fn zsets_set_operations() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
zadd a 1 x 2 y 3 z                       => :3
zadd b 10 y 20 z 30 w                    => :3
sadd s y q                               => :2
zunion 2 a b withscores                  => [x, 1, y, 12, z, 23, w, 30]
zunion 2 a b weights 1 2 withscores      => [x, 1, y, 22, z, 43, w, 60]
zunion 2 a b aggregate min withscores    => [x, 1, y, 2, z, 3, w, 30]
zunion 2 a b aggregate max withscores    => [x, 1, y, 10, z, 20, w, 30]
zunion 2 a s withscores                  => [q, 1, x, 1, y, 3, z, 3]
zinter 2 a b withscores                  => [y, 12, z, 23]
zinter 2 a b weights 2 0.5 aggregate sum withscores => [y, 9, z, 16]
zinter 2 a s withscores                  => [y, 3]
zdiff 2 a b withscores                   => [x, 1]
zdiff 2 a s                              => [x, z]
zdiff 1 nokey                            => []
zunionstore d 2 a b                      => :4
zrange d 0 -1 withscores                 => [x, 1, y, 12, z, 23, w, 30]
zinterstore d 2 a b aggregate max        => :2
zrange d 0 -1 withscores                 => [y, 10, z, 20]
zdiffstore d 2 a b                       => :1
zrange d 0 -1 withscores                 => [x, 1]
zinterstore d 2 a nokey                  => :0
exists d                                 => :0
zdiffstore d 1 nokey                     => :0
zunion 0 a                               => -ERR at least 1 input key is needed for 'zunion' command
zunion 3 a b                             => -ERR syntax error
zunion -1 a                              => -ERR at least 1 input key is needed for 'zunion' command
zunion x a                               => -ERR value is not an integer or out of range
zunion 2 a b weights 1                   => -ERR syntax error
zunion 2 a b weights 1 x                 => -ERR weight value is not a float
zunion 2 a b aggregate foo               => -ERR syntax error
zunion 2 a b foo                         => -ERR syntax error
zinter 2 a b withscores foo              => -ERR syntax error
zunionstore d 0 a                        => -ERR at least 1 input key is needed for 'zunionstore' command
zinterstore d 0 a                        => -ERR at least 1 input key is needed for 'zinterstore' command
zdiffstore d 0 a                         => -ERR at least 1 input key is needed for 'zdiffstore' command
zdiff 2 a b weights 1 2                  => -ERR syntax error
zintercard 2 a b                         => :2
zintercard 2 a b limit 1                 => :1
zintercard 2 a b limit -1                => -ERR LIMIT can't be negative
zintercard 2 a b foo                     => -ERR syntax error
zintercard 0 a                           => -ERR at least 1 input key is needed for 'zintercard' command
zintercard 3 a b                         => -ERR syntax error
zintercard 1 nokey                       => :0
zadd inf1 inf m                          => :1
zadd inf2 -inf m                         => :1
zunion 2 inf1 inf2 withscores            => [m, 0]
zinter 2 inf1 inf2 weights 0 0 withscores => [m, 0]
"#,
    );
}

#[test]
fn zsets_random_scan() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
zadd z 1 a                               => :1
zrandmember z                            => a
zrandmember z 1                          => [a]
zrandmember z 1 withscores               => [a, 1]
zrandmember z -3 withscores              => [a, 1, a, 1, a, 1]
zrandmember z 0                          => []
zrandmember nokey                        => (nil)
zrandmember nokey 5                      => []
zrandmember z 1 foo                      => -ERR syntax error
zrandmember z x                          => -ERR value is not an integer or out of range
zrandmember z -9223372036854775808       => -ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807
zscan z 0                                => [0, [a, 1]]
zscan z 0 match a count 10               => [0, [a, 1]]
zscan z x                                => -ERR invalid cursor
zscan nokey 0                            => [0, []]
zscan z 0 count 0                        => -ERR syntax error
"#,
    );
}

#[test]
fn zsets_blocking_errors() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
bzpopmin                                 => -ERR wrong number of arguments for 'bzpopmin' command
bzpopmin z                               => -ERR wrong number of arguments for 'bzpopmin' command
bzpopmin z x                             => -ERR timeout is not a float or out of range
bzpopmin z -1                            => -ERR timeout is negative
bzpopmax z 0.01                          => (nil)
bzmpop 0.01 1 z min                      => (nil)
bzmpop 0 1 z                             => -ERR wrong number of arguments for 'bzmpop' command
bzmpop x 1 z min                         => -ERR timeout is not a float or out of range
bzmpop 0 0 z min                         => -ERR numkeys should be greater than 0
bzmpop 0 1 z min count 0                 => -ERR count should be greater than 0
zadd z 1 a 2 b 3 c                       => :3
bzpopmin nokey z 0                       => [z, a, 1]
bzpopmax z 0                             => [z, c, 3]
bzmpop 0 1 z min count 5                 => [z, [[b, 2]]]
set s v                                  => +OK
bzpopmin s 0                             => -WRONGTYPE Operation against a key holding the wrong kind of value
bzmpop 0 1 s min                         => -WRONGTYPE Operation against a key holding the wrong kind of value
"#,
    );
}

#[test]
fn zsets_with_plain_sets() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
zadd a 1 x 2 y 3 z                       => :3
sadd s y q                               => :2
sadd i 1 2 3                             => :3
zadd n 5 2 6 4                           => :2
zunion 2 a s withscores                  => [q, 1, x, 1, y, 3, z, 3]
zunion 2 a s weights 2 3 aggregate max withscores => [x, 2, q, 3, y, 4, z, 6]
zinter 2 a s withscores                  => [y, 3]
zinter 2 s a aggregate min withscores    => [y, 1]
zdiff 2 a s                              => [x, z]
zdiff 2 s a withscores                   => [q, 1]
zintercard 2 a s                         => :1
zinterstore d 2 a s                      => :1
zrange d 0 -1 withscores                 => [y, 3]
zunionstore d 2 i n                      => :4
zrange d 0 -1 withscores                 => [1, 1, 3, 1, 2, 6, 4, 6]
zdiffstore d 2 i n                       => :2
zrange d 0 -1 withscores                 => [1, 1, 3, 1]
type d                                   => +zset
zunion 1 i withscores                    => [1, 1, 2, 1, 3, 1]
"#,
    );
}

#[test]
fn misc_zsets_variants() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
zadd z 0 a 0 b 0 c 0 d 0 e               => :5
zrevrangebylex z + -                     => [e, d, c, b, a]
zrevrangebylex z [d "(a"                 => [d, c, b]
zrevrangebylex z [d "(a" limit 1 2       => [c, b]
zrevrangebylex z "(a" [d                 => []
zrevrangebylex z d a                     => -ERR min or max not valid string range item
zrevrangebylex z + - limit 0             => -ERR syntax error
zrevrangebylex z + - foo                 => -ERR syntax error
zrevrangebylex nokey + -                 => []
zremrangebylex z [a [b                   => :2
zremrangebylex z - +                     => :3
exists z                                 => :0
zremrangebylex z a b                     => -ERR min or max not valid string range item
zadd z 1 a 2 b 3 c                       => :3
zrevrange z 0 -1 withscores              => [c, 3, b, 2, a, 1]
zrevrange z -2 -1                        => [b, a]
zrevrange z 5 10                         => []
zrevrange nokey 0 -1                     => []
zrevrange z x 1                          => -ERR value is not an integer or out of range
zrevrangebyscore z +inf -inf withscores limit 1 1 => [b, 2]
zrevrangebyscore z "(3" "(1"             => [b]
zrevrangebyscore z x 1                   => -ERR min or max is not a float
zrevrangebyscore z 3 1 limit 1           => -ERR syntax error
zrevrangebyscore z 3 1 foo               => -ERR syntax error
zrevrank z a                             => :2
zrevrank z zz                            => (nil)
zrevrank nokey a                         => (nil)
zrevrank z a withscore                   => -ERR wrong number of arguments for 'zrevrank' command
zpopmax z                                => [c, 3]
zpopmax z 10                             => [b, 2, a, 1]
zpopmax z                                => []
zpopmax z -1                             => -ERR value is out of range, must be positive
zpopmax z x                              => -ERR value is out of range, must be positive
zadd z 1 a 2 b 3 c 4 d                   => :4
bzpopmax nokey z 0                       => [z, d, 4]
bzpopmax z 0.01                          => [z, c, 3]
bzpopmax z nokey 0                       => [z, b, 2]
bzpopmax z 0.01                          => [z, a, 1]
bzpopmax z x                             => -ERR timeout is not a float or out of range
zadd y 1 a 2 b                           => :2
zadd w 2 b 3 c                           => :2
zdiffstore d 2 y w                       => :1
zrange d 0 -1 withscores                 => [a, 1]
zdiffstore d 2 w y                       => :1
zrange d 0 -1 withscores                 => [c, 3]
zdiffstore d 1 nokey                     => :0
exists d                                 => :0
zdiffstore d 2 y y                       => :0
exists d                                 => :0
zdiffstore d x y                         => -ERR value is not an integer or out of range
zdiffstore d 3 y w                       => -ERR syntax error
zdiffstore d 1 y withscores              => -ERR syntax error
set s v                                  => +OK
zdiffstore d 2 y s                       => -WRONGTYPE Operation against a key holding the wrong kind of value
zrevrangebylex s + -                     => -WRONGTYPE Operation against a key holding the wrong kind of value
zremrangebylex s - +                     => -WRONGTYPE Operation against a key holding the wrong kind of value
zrevrange s 0 1                          => -WRONGTYPE Operation against a key holding the wrong kind of value
zrevrangebyscore s 1 0                   => -WRONGTYPE Operation against a key holding the wrong kind of value
zrevrank s a                             => -WRONGTYPE Operation against a key holding the wrong kind of value
zpopmax s                                => -WRONGTYPE Operation against a key holding the wrong kind of value
bzpopmax s 0                             => -WRONGTYPE Operation against a key holding the wrong kind of value
"#,
    );
}
#[test]
fn zsets_score_bound_edge_cases() {
    let srv = Server::start();
    check(
        &mut srv.client(),
        r#"
zadd z -1 a 0 b 1 c                      => :3
zcount z "" 1                            => :2
zcount z "(" 1                           => :1
zrangebyscore z -inf ""                  => [a, b]
zrangebyscore z "" "("                   => []
zrangebyscore z " 1" +inf                => [c]
zrangebyscore z " " +inf                 => -ERR min or max is not a float
zrangebyscore z 0x1 +inf                 => [c]
zrangebyscore z 1e400 +inf               => []
zrangebyscore z -1e400 "(0"              => [a]
zremrangebyscore z "" ""                 => :1
zrange z 0 -1                            => [a, c]
"#,
    );
}

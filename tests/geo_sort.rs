//! Geo commands, SORT/SORT_RO and ZUNION/ZINTER/ZDIFF over plain sets, through
//! the `redis` crate: each command's happy path and its error replies. Expected
//! values were taken from Redis 7.0.15 (run with REDIS_RS_TEST_SERVER to check).

mod common;

use common::{cmd, err, Server};
use redis::Value;

fn int(con: &mut redis::Connection, args: &[&str]) -> i64 {
    match cmd(con, args).unwrap() {
        Value::Int(n) => n,
        other => panic!("{:?}: not an integer: {:?}", args, other),
    }
}

/// Flattens nested arrays of bulks/ints/nils into strings.
fn flat(v: Value, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| flat(i, out)),
        Value::BulkString(b) => out.push(String::from_utf8(b).unwrap()),
        Value::Int(n) => out.push(n.to_string()),
        Value::Nil => out.push("nil".into()),
        other => panic!("unexpected {:?}", other),
    }
}

fn q(con: &mut redis::Connection, args: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    flat(cmd(con, args).unwrap(), &mut out);
    out
}

fn sicily(con: &mut redis::Connection) {
    let n = int(
        con,
        &[
            "geoadd",
            "Sicily",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
        ],
    );
    assert_eq!(n, 2);
}

#[test]
fn geoadd_scores_and_options() {
    let srv = Server::start();
    let mut con = srv.client();
    sicily(&mut con);
    assert_eq!(
        q(&mut con, &["zscore", "Sicily", "Palermo"]),
        ["3479099956230698"]
    );
    // XX CH: an update is counted only with CH.
    assert_eq!(
        int(
            &mut con,
            &["geoadd", "Sicily", "xx", "ch", "13", "38", "Palermo"]
        ),
        1
    );
    assert_eq!(
        int(&mut con, &["geoadd", "Sicily", "nx", "13", "38", "Palermo"]),
        0
    );
    assert_eq!(
        int(&mut con, &["geoadd", "Sicily", "xx", "13", "38", "Nowhere"]),
        0
    );
    assert_eq!(
        err(&mut con, &["geoadd", "Sicily", "nx", "xx", "1", "2", "a"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut con, &["geoadd", "Sicily", "nx", "1", "2"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut con, &["geoadd", "Sicily", "x", "2", "a"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut con, &["geoadd", "Sicily", "200", "1", "a"]),
        "ERR invalid longitude,latitude pair 200.000000,1.000000"
    );
    assert_eq!(
        err(&mut con, &["geoadd", "Sicily", "1", "86", "a"]),
        "ERR invalid longitude,latitude pair 1.000000,86.000000"
    );
    cmd(&mut con, &["set", "str", "x"]).unwrap();
    assert!(err(&mut con, &["geoadd", "str", "1", "1", "a"]).starts_with("WRONGTYPE"));
}

#[test]
fn geodist_geohash_geopos() {
    let srv = Server::start();
    let mut con = srv.client();
    sicily(&mut con);
    assert_eq!(
        q(&mut con, &["geodist", "Sicily", "Palermo", "Catania"]),
        ["166274.1516"]
    );
    assert_eq!(
        q(&mut con, &["geodist", "Sicily", "Palermo", "Catania", "km"]),
        ["166.2742"]
    );
    assert_eq!(
        q(&mut con, &["geodist", "Sicily", "Palermo", "Catania", "mi"]),
        ["103.3182"]
    );
    assert_eq!(
        cmd(&mut con, &["geodist", "Sicily", "Palermo", "x"]).unwrap(),
        Value::Nil
    );
    assert_eq!(
        cmd(&mut con, &["geodist", "nokey", "a", "b"]).unwrap(),
        Value::Nil
    );
    assert_eq!(
        err(&mut con, &["geodist", "Sicily", "Palermo", "Catania", "yd"]),
        "ERR unsupported unit provided. please use M, KM, FT, MI"
    );
    assert_eq!(
        err(
            &mut con,
            &["geodist", "Sicily", "Palermo", "Catania", "km", "x"]
        ),
        "ERR syntax error"
    );
    assert_eq!(
        q(
            &mut con,
            &["geohash", "Sicily", "Palermo", "Catania", "none"]
        ),
        ["sqc8b49rny0", "sqdtr74hyu0", "nil"]
    );
    assert_eq!(q(&mut con, &["geohash", "nokey", "a"]), ["nil"]);
    assert_eq!(
        q(&mut con, &["geopos", "Sicily", "Palermo", "none"]),
        ["13.36138933897018433", "38.11555639549629859", "nil"]
    );
    cmd(&mut con, &["set", "str", "x"]).unwrap();
    for c in ["geodist", "geohash", "geopos"] {
        assert!(err(&mut con, &[c, "str", "a", "b"]).starts_with("WRONGTYPE"));
    }
}

#[test]
fn georadius_family() {
    let srv = Server::start();
    let mut con = srv.client();
    sicily(&mut con);
    assert_eq!(
        q(
            &mut con,
            &[
                "georadius",
                "Sicily",
                "15",
                "37",
                "200",
                "km",
                "withdist",
                "withhash",
                "withcoord",
                "asc"
            ]
        ),
        [
            "Catania",
            "56.4413",
            "3479447370796909",
            "15.08726745843887329",
            "37.50266842333162032",
            "Palermo",
            "190.4424",
            "3479099956230698",
            "13.36138933897018433",
            "38.11555639549629859"
        ]
    );
    assert_eq!(
        q(
            &mut con,
            &[
                "georadius",
                "Sicily",
                "15",
                "37",
                "200",
                "km",
                "desc",
                "count",
                "1"
            ]
        ),
        ["Palermo"]
    );
    assert_eq!(
        q(
            &mut con,
            &["georadius_ro", "Sicily", "15", "37", "100", "km"]
        ),
        ["Catania"]
    );
    assert_eq!(
        q(
            &mut con,
            &["georadiusbymember", "Sicily", "Palermo", "200", "km", "asc"]
        ),
        ["Palermo", "Catania"]
    );
    assert_eq!(
        q(
            &mut con,
            &["georadiusbymember_ro", "Sicily", "Palermo", "1", "km"]
        ),
        ["Palermo"]
    );
    assert_eq!(
        int(
            &mut con,
            &[
                "georadius",
                "Sicily",
                "15",
                "37",
                "200",
                "km",
                "store",
                "dst"
            ]
        ),
        2
    );
    assert_eq!(
        q(&mut con, &["zrange", "dst", "0", "-1"]),
        ["Palermo", "Catania"]
    );
    assert_eq!(
        int(
            &mut con,
            &[
                "georadiusbymember",
                "Sicily",
                "Palermo",
                "200",
                "km",
                "storedist",
                "dd"
            ]
        ),
        2
    );
    assert_eq!(
        q(&mut con, &["zrange", "dd", "0", "0", "withscores"]),
        ["Palermo", "0"]
    );
    // An empty result deletes the destination.
    assert_eq!(
        int(
            &mut con,
            &["georadius", "Sicily", "0", "0", "1", "m", "store", "dst"]
        ),
        0
    );
    assert_eq!(int(&mut con, &["exists", "dst"]), 0);
    assert_eq!(
        q(&mut con, &["georadius", "nokey", "15", "37", "200", "km"]),
        Vec::<String>::new()
    );
    assert_eq!(
        err(&mut con, &["georadius", "Sicily", "15", "37", "-1", "km"]),
        "ERR radius cannot be negative"
    );
    assert_eq!(
        err(&mut con, &["georadius", "Sicily", "15", "37", "x", "km"]),
        "ERR need numeric radius"
    );
    assert_eq!(
        err(
            &mut con,
            &["georadius", "Sicily", "15", "37", "1", "km", "count", "0"]
        ),
        "ERR COUNT must be > 0"
    );
    assert_eq!(
        err(
            &mut con,
            &["georadius", "Sicily", "15", "37", "1", "km", "any"]
        ),
        "ERR the ANY argument requires COUNT argument"
    );
    assert_eq!(
        err(&mut con, &["georadius", "Sicily", "15", "37", "1", "km", "store", "d", "withdist"]),
        "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
    );
    assert_eq!(
        err(
            &mut con,
            &[
                "georadius_ro",
                "Sicily",
                "15",
                "37",
                "1",
                "km",
                "store",
                "d"
            ]
        ),
        "ERR syntax error"
    );
    assert_eq!(
        err(
            &mut con,
            &["georadiusbymember", "Sicily", "nobody", "1", "km"]
        ),
        "ERR could not decode requested zset member"
    );
}

/// COUNT cuts the result with Redis's partial quicksort: ties (points at the
/// same distance) come out in its order, not in insertion order.
#[test]
fn georadius_count_ties_follow_redis() {
    let srv = Server::start();
    let mut con = srv.client();
    let mut args = vec!["geoadd", "t"];
    for m in ["a", "b", "c", "d", "e", "f", "g", "h", "i"] {
        args.extend(["1", "1", m]);
    }
    args.extend(["1.001", "1", "j"]);
    assert_eq!(int(&mut con, &args), 10);
    assert_eq!(
        q(
            &mut con,
            &["georadius", "t", "1", "1", "10", "km", "asc", "count", "3"]
        ),
        ["a", "b", "c"]
    );
    assert_eq!(
        q(
            &mut con,
            &["georadius", "t", "1", "1", "10", "km", "desc", "count", "4"]
        ),
        ["j", "b", "c", "d"]
    );
}

#[test]
fn geosearch_and_store() {
    let srv = Server::start();
    let mut con = srv.client();
    sicily(&mut con);
    assert_eq!(
        q(
            &mut con,
            &[
                "geosearch",
                "Sicily",
                "fromlonlat",
                "15",
                "37",
                "bybox",
                "400",
                "400",
                "km",
                "asc",
                "withdist"
            ]
        ),
        ["Catania", "56.4413", "Palermo", "190.4424"]
    );
    assert_eq!(
        q(
            &mut con,
            &[
                "geosearch",
                "Sicily",
                "frommember",
                "Palermo",
                "byradius",
                "200",
                "km",
                "count",
                "1",
                "any"
            ]
        )
        .len(),
        1
    );
    assert_eq!(
        int(
            &mut con,
            &[
                "geosearchstore",
                "dst",
                "Sicily",
                "fromlonlat",
                "15",
                "37",
                "byradius",
                "100",
                "km",
                "storedist"
            ]
        ),
        1
    );
    assert_eq!(
        q(&mut con, &["zrange", "dst", "0", "-1", "withscores"]),
        ["Catania", "56.441257870158204"]
    );
    assert_eq!(
        err(
            &mut con,
            &[
                "geosearch",
                "Sicily",
                "byradius",
                "1",
                "km",
                "asc",
                "withdist"
            ]
        ),
        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch"
    );
    assert_eq!(
        err(
            &mut con,
            &[
                "geosearch",
                "Sicily",
                "fromlonlat",
                "1",
                "1",
                "asc",
                "withdist"
            ]
        ),
        "ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch"
    );
    assert_eq!(
        err(
            &mut con,
            &[
                "geosearch",
                "Sicily",
                "fromlonlat",
                "1",
                "1",
                "bybox",
                "-1",
                "1",
                "km"
            ]
        ),
        "ERR height or width cannot be negative"
    );
    assert_eq!(
        err(
            &mut con,
            &[
                "geosearch",
                "Sicily",
                "fromlonlat",
                "1",
                "1",
                "bybox",
                "x",
                "1",
                "km"
            ]
        ),
        "ERR need numeric width"
    );
    assert_eq!(
        err(
            &mut con,
            &[
                "geosearch",
                "Sicily",
                "fromlonlat",
                "1",
                "1",
                "byradius",
                "1",
                "km",
                "store",
                "x"
            ]
        ),
        "ERR syntax error"
    );
    assert_eq!(
        err(
            &mut con,
            &[
                "geosearchstore",
                "d",
                "Sicily",
                "fromlonlat",
                "1",
                "1",
                "byradius",
                "1",
                "km",
                "withdist"
            ]
        ),
        "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
    );
}

#[test]
fn sort_happy_paths() {
    let srv = Server::start();
    let mut con = srv.client();
    cmd(&mut con, &["rpush", "l", "3", "1", "2", "10"]).unwrap();
    assert_eq!(q(&mut con, &["sort", "l"]), ["1", "2", "3", "10"]);
    assert_eq!(q(&mut con, &["sort", "l", "desc"]), ["10", "3", "2", "1"]);
    assert_eq!(q(&mut con, &["sort", "l", "alpha"]), ["1", "10", "2", "3"]);
    assert_eq!(q(&mut con, &["sort", "l", "limit", "1", "2"]), ["2", "3"]);
    assert_eq!(
        q(&mut con, &["sort_ro", "l", "by", "nosort"]),
        ["3", "1", "2", "10"]
    );
    // BY and GET with keys and hash fields.
    for (id, w) in [("1", "40"), ("2", "30"), ("3", "20"), ("10", "10")] {
        cmd(&mut con, &["set", &format!("w_{}", id), w]).unwrap();
        cmd(
            &mut con,
            &["hset", &format!("h_{}", id), "name", &format!("n{}", id)],
        )
        .unwrap();
    }
    assert_eq!(
        q(&mut con, &["sort", "l", "by", "w_*"]),
        ["10", "3", "2", "1"]
    );
    assert_eq!(
        q(
            &mut con,
            &[
                "sort",
                "l",
                "by",
                "w_*",
                "get",
                "#",
                "get",
                "h_*->name",
                "limit",
                "0",
                "2"
            ]
        ),
        ["10", "n10", "3", "n3"]
    );
    assert_eq!(
        q(&mut con, &["sort", "l", "get", "missing_*"]),
        ["nil", "nil", "nil", "nil"]
    );
    assert_eq!(int(&mut con, &["sort", "l", "store", "out"]), 4);
    assert_eq!(
        q(&mut con, &["lrange", "out", "0", "-1"]),
        ["1", "2", "3", "10"]
    );
    assert_eq!(int(&mut con, &["sort", "nokey", "store", "out"]), 0);
    assert_eq!(int(&mut con, &["exists", "out"]), 0);
    // Sets and sorted sets.
    cmd(&mut con, &["sadd", "s", "5", "2", "9"]).unwrap();
    assert_eq!(q(&mut con, &["sort", "s"]), ["2", "5", "9"]);
    cmd(&mut con, &["zadd", "z", "1", "c", "2", "a", "3", "b"]).unwrap();
    assert_eq!(
        q(&mut con, &["sort", "z", "by", "nosort", "desc"]),
        ["b", "a", "c"]
    );
    assert_eq!(q(&mut con, &["sort", "z", "alpha"]), ["a", "b", "c"]);
}

#[test]
fn sort_errors() {
    let srv = Server::start();
    let mut con = srv.client();
    cmd(&mut con, &["rpush", "l", "a", "1"]).unwrap();
    assert_eq!(
        err(&mut con, &["sort", "l"]),
        "ERR One or more scores can't be converted into double"
    );
    assert_eq!(err(&mut con, &["sort", "l", "foo"]), "ERR syntax error");
    assert_eq!(
        err(&mut con, &["sort", "l", "limit", "x", "1"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut con, &["sort_ro", "l", "store", "x"]),
        "ERR syntax error"
    );
    cmd(&mut con, &["set", "str", "x"]).unwrap();
    assert!(err(&mut con, &["sort", "str"]).starts_with("WRONGTYPE"));
    // BY/GET patterns need read access to every key.
    cmd(
        &mut con,
        &["acl", "setuser", "u", "on", "nopass", "+sort", "~l"],
    )
    .unwrap();
    cmd(&mut con, &["auth", "u", "x"]).unwrap();
    assert_eq!(
        err(&mut con, &["sort", "l", "by", "w_*"]),
        "ERR BY option of SORT denied due to insufficient ACL permissions."
    );
    assert_eq!(
        err(&mut con, &["sort", "l", "get", "w_*"]),
        "ERR GET option of SORT denied due to insufficient ACL permissions."
    );
}

#[test]
fn sort_getkeys() {
    let srv = Server::start();
    let mut con = srv.client();
    assert_eq!(
        q(
            &mut con,
            &["command", "getkeys", "sort", "a", "limit", "0", "1", "store", "b", "get", "store"]
        ),
        ["a", "b"]
    );
    assert_eq!(
        q(&mut con, &["command", "getkeys", "sort_ro", "a", "by", "x"]),
        ["a"]
    );
    // SORT's "unknown" key specs carry Redis's notes in COMMAND INFO.
    let info = format!("{:?}", cmd(&mut con, &["command", "info", "sort"]).unwrap());
    assert!(info.contains("because the keyword can appear anywhere in the argument array"));
    assert!(info.contains("movablekeys"));
}

#[test]
fn zset_ops_accept_plain_sets() {
    let srv = Server::start();
    let mut con = srv.client();
    cmd(&mut con, &["sadd", "s", "a", "b", "c"]).unwrap();
    cmd(&mut con, &["zadd", "z", "2", "b", "3", "d"]).unwrap();
    assert_eq!(
        q(&mut con, &["zunion", "2", "s", "z", "withscores"]),
        ["a", "1", "c", "1", "b", "3", "d", "3"]
    );
    assert_eq!(
        q(
            &mut con,
            &["zinter", "2", "s", "z", "weights", "10", "1", "withscores"]
        ),
        ["b", "12"]
    );
    assert_eq!(q(&mut con, &["zdiff", "2", "s", "z"]), ["a", "c"]);
    assert_eq!(int(&mut con, &["zintercard", "2", "s", "z"]), 1);
    assert_eq!(int(&mut con, &["zunionstore", "dst", "1", "s"]), 3);
    assert_eq!(
        q(&mut con, &["zrange", "dst", "0", "-1", "withscores"]),
        ["a", "1", "b", "1", "c", "1"]
    );
    cmd(&mut con, &["set", "str", "x"]).unwrap();
    assert!(err(&mut con, &["zunion", "2", "s", "str"]).starts_with("WRONGTYPE"));
}

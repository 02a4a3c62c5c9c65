//! Commands through a standard client (the `redis` crate): replies and the exact error
//! strings Redis 7.0.15 sends, checked against the real binary over TCP.

mod common;

use common::{err_of, Server};
use redis::{cmd, Value};

#[test]
fn ping_echo() {
    let srv = Server::start();
    let mut c = srv.client();
    assert_eq!(cmd("PING").query::<String>(&mut c).unwrap(), "PONG");
    assert_eq!(
        cmd("PING").arg("hello").query::<String>(&mut c).unwrap(),
        "hello"
    );
    assert_eq!(
        cmd("ECHO").arg("a b\r\nc").query::<String>(&mut c).unwrap(),
        "a b\r\nc"
    );
}

#[test]
fn set_get_binary_and_options() {
    let srv = Server::start();
    let mut c = srv.client();
    let bin: Vec<u8> = (0..=255u8).collect();
    assert_eq!(
        cmd("SET")
            .arg("k")
            .arg(&bin)
            .query::<String>(&mut c)
            .unwrap(),
        "OK"
    );
    assert_eq!(cmd("GET").arg("k").query::<Vec<u8>>(&mut c).unwrap(), bin);
    assert_eq!(
        cmd("GET").arg("missing").query::<Value>(&mut c).unwrap(),
        Value::Nil
    );
    // NX on an existing key: nil, value unchanged; XX on a missing key: nil, nothing created.
    assert_eq!(
        cmd("SET")
            .arg("k")
            .arg("x")
            .arg("NX")
            .query::<Value>(&mut c)
            .unwrap(),
        Value::Nil
    );
    assert_eq!(cmd("GET").arg("k").query::<Vec<u8>>(&mut c).unwrap(), bin);
    assert_eq!(
        cmd("SET")
            .arg("n")
            .arg("x")
            .arg("XX")
            .query::<Value>(&mut c)
            .unwrap(),
        Value::Nil
    );
    assert_eq!(
        cmd("GET").arg("n").query::<Value>(&mut c).unwrap(),
        Value::Nil
    );
    // GET option returns the old value.
    assert_eq!(
        cmd("SET")
            .arg("s")
            .arg("1")
            .query::<String>(&mut c)
            .unwrap(),
        "OK"
    );
    assert_eq!(
        cmd("SET")
            .arg("s")
            .arg("2")
            .arg("GET")
            .query::<String>(&mut c)
            .unwrap(),
        "1"
    );
    assert_eq!(cmd("GET").arg("s").query::<String>(&mut c).unwrap(), "2");
    // Empty key and empty value are ordinary.
    assert_eq!(
        cmd("SET").arg("").arg("").query::<String>(&mut c).unwrap(),
        "OK"
    );
    assert_eq!(cmd("GET").arg("").query::<String>(&mut c).unwrap(), "");
}

#[test]
fn set_px_expires() {
    let srv = Server::start();
    let mut c = srv.client();
    assert_eq!(
        cmd("SET")
            .arg("e")
            .arg("v")
            .arg("PX")
            .arg(100)
            .query::<String>(&mut c)
            .unwrap(),
        "OK"
    );
    assert_eq!(cmd("GET").arg("e").query::<String>(&mut c).unwrap(), "v");
    std::thread::sleep(std::time::Duration::from_millis(250));
    assert_eq!(
        cmd("GET").arg("e").query::<Value>(&mut c).unwrap(),
        Value::Nil
    );
}

#[test]
fn select_keeps_databases_apart() {
    let srv = Server::start();
    let mut c = srv.client();
    assert_eq!(
        cmd("SET")
            .arg("k")
            .arg("db0")
            .query::<String>(&mut c)
            .unwrap(),
        "OK"
    );
    assert_eq!(cmd("SELECT").arg(1).query::<String>(&mut c).unwrap(), "OK");
    assert_eq!(
        cmd("GET").arg("k").query::<Value>(&mut c).unwrap(),
        Value::Nil
    );
    assert_eq!(
        cmd("SET")
            .arg("k")
            .arg("db1")
            .query::<String>(&mut c)
            .unwrap(),
        "OK"
    );
    assert_eq!(cmd("SELECT").arg(0).query::<String>(&mut c).unwrap(), "OK");
    assert_eq!(cmd("GET").arg("k").query::<String>(&mut c).unwrap(), "db0");
}

#[test]
fn exact_error_strings() {
    let srv = Server::start();
    let mut c = srv.client();
    let cases: &[(&[&str], &str)] = &[
        (
            &["FOO", "bar", "baz"],
            "ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' ",
        ),
        (
            &["FOO"],
            "ERR unknown command 'FOO', with args beginning with: ",
        ),
        (&["GET"], "ERR wrong number of arguments for 'get' command"),
        (
            &["GET", "a", "b"],
            "ERR wrong number of arguments for 'get' command",
        ),
        (
            &["SET", "k"],
            "ERR wrong number of arguments for 'set' command",
        ),
        (
            &["ECHO"],
            "ERR wrong number of arguments for 'echo' command",
        ),
        (
            &["PING", "a", "b"],
            "ERR wrong number of arguments for 'ping' command",
        ),
        (&["SET", "k", "v", "XX", "NX"], "ERR syntax error"),
        (
            &["SET", "k", "v", "EX", "10", "PX", "10"],
            "ERR syntax error",
        ),
        (&["SET", "k", "v", "BOGUS"], "ERR syntax error"),
        (
            &["SET", "k", "v", "EX", "0"],
            "ERR invalid expire time in 'set' command",
        ),
        (
            &["SET", "k", "v", "PX", "-5"],
            "ERR invalid expire time in 'set' command",
        ),
        (
            &["SET", "k", "v", "EX", "abc"],
            "ERR value is not an integer or out of range",
        ),
        (&["SELECT", "99"], "ERR DB index is out of range"),
        (&["SELECT", "-1"], "ERR DB index is out of range"),
    ];
    for (args, want) in cases {
        let mut q = cmd(args[0]);
        for a in &args[1..] {
            q.arg(*a);
        }
        assert_eq!(&err_of(q.query(&mut c)), want, "reply to {args:?}");
    }
    // The connection stays usable after every error.
    assert_eq!(cmd("PING").query::<String>(&mut c).unwrap(), "PONG");
}

#[test]
fn select_non_integer_error() {
    let srv = Server::start();
    let mut c = srv.client();
    assert_eq!(
        err_of(cmd("SELECT").arg("x").query(&mut c)),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn string_commands_and_errors() {
    let srv = Server::start();
    let mut c = srv.client();
    assert_eq!(cmd("INCR").arg("n").query::<i64>(&mut c).unwrap(), 1);
    assert_eq!(
        cmd("INCRBY").arg("n").arg(41).query::<i64>(&mut c).unwrap(),
        42
    );
    assert_eq!(cmd("DECR").arg("n").query::<i64>(&mut c).unwrap(), 41);
    assert_eq!(
        cmd("APPEND")
            .arg("s")
            .arg("ab")
            .query::<i64>(&mut c)
            .unwrap(),
        2
    );
    assert_eq!(
        cmd("APPEND")
            .arg("s")
            .arg("cd")
            .query::<i64>(&mut c)
            .unwrap(),
        4
    );
    assert_eq!(cmd("STRLEN").arg("s").query::<i64>(&mut c).unwrap(), 4);
    assert_eq!(
        cmd("MSET")
            .arg("a")
            .arg("1")
            .arg("b")
            .arg("2")
            .query::<String>(&mut c)
            .unwrap(),
        "OK"
    );
    assert_eq!(
        cmd("MGET")
            .arg("a")
            .arg("nope")
            .arg("b")
            .query::<Vec<Option<String>>>(&mut c)
            .unwrap(),
        vec![Some("1".into()), None, Some("2".into())]
    );
    assert_eq!(
        err_of(cmd("INCR").arg("s").query(&mut c)),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err_of(cmd("INCRBYFLOAT").arg("s").arg("1").query(&mut c)),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err_of(cmd("MSET").arg("a").query(&mut c)),
        "ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(
        err_of(
            cmd("INCRBY")
                .arg("n")
                .arg("9223372036854775807")
                .query(&mut c)
        ),
        "ERR increment or decrement would overflow"
    );
}

#[test]
fn keyspace_commands() {
    let srv = Server::start();
    let mut c = srv.client();
    for i in 0..10 {
        let _: () = cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query(&mut c)
            .unwrap();
    }
    assert_eq!(cmd("DBSIZE").query::<i64>(&mut c).unwrap(), 10);
    assert_eq!(
        cmd("EXISTS")
            .arg("k1")
            .arg("k2")
            .arg("zz")
            .query::<i64>(&mut c)
            .unwrap(),
        2
    );
    assert_eq!(
        cmd("TYPE").arg("k1").query::<String>(&mut c).unwrap(),
        "string"
    );
    assert_eq!(
        cmd("TYPE").arg("zz").query::<String>(&mut c).unwrap(),
        "none"
    );
    assert_eq!(
        cmd("DEL")
            .arg("k1")
            .arg("k2")
            .arg("zz")
            .query::<i64>(&mut c)
            .unwrap(),
        2
    );
    assert_eq!(cmd("DBSIZE").query::<i64>(&mut c).unwrap(), 8);
}

#[test]
fn config_get_set() {
    let srv = Server::start();
    let mut c = srv.client();
    let port: Vec<String> = cmd("CONFIG").arg("GET").arg("port").query(&mut c).unwrap();
    assert_eq!(port, vec!["port".to_string(), srv.port.to_string()]);
    let _: () = cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("10mb")
        .query(&mut c)
        .unwrap();
    let mm: Vec<String> = cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory")
        .query(&mut c)
        .unwrap();
    assert_eq!(mm, vec!["maxmemory".to_string(), "10485760".to_string()]);
    assert_eq!(
        err_of(cmd("CONFIG").arg("GET").query(&mut c)),
        "ERR wrong number of arguments for 'config|get' command"
    );
    assert_eq!(
        err_of(cmd("CONFIG").arg("FOO").query(&mut c)),
        "ERR unknown subcommand 'FOO'. Try CONFIG HELP."
    );
}

/// keyspace.tcl "Regression for pattern matching long nested loops": Redis's glob matcher
/// gives up early on stars that cannot lead to a match; a naive one takes exponential time.
#[test]
fn keys_pattern_with_many_stars_is_fast() {
    let srv = Server::start();
    let mut c = srv.client();
    c.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let _: () = cmd("SET").arg("a".repeat(40)).arg(1).query(&mut c).unwrap();
    let keys: Vec<String> = cmd("KEYS")
        .arg("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
        .query(&mut c)
        .expect("KEYS did not answer within 5 s");
    assert!(keys.is_empty());
}

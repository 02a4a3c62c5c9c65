//! Keyspace commands, expiry and DEBUG over TCP, reply bytes exactly as Redis
//! 7.0.15 sends them. The expectations were checked by running this file with
//! `REDIS_RS_TEST_SERVER=/usr/bin/redis-server`.

mod common;

use common::{read_replies, resp, Server};
use std::io::Write;
use std::net::TcpStream;

fn send(s: &mut TcpStream, args: &[&str]) -> String {
    let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
    s.write_all(&resp(&a)).unwrap();
    String::from_utf8(read_replies(s, 1)).unwrap()
}

fn check(s: &mut TcpStream, script: &[(&[&str], &str)]) {
    for (args, want) in script {
        assert_eq!(&send(s, args), want, "reply to {:?}", args);
    }
}

#[test]
fn generic_commands_and_errors() {
    let srv = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut s = srv.raw();
    check(
        &mut s,
        &[
            (&["set", "a", "1"], "+OK\r\n"),
            (&["set", "b", "hello"], "+OK\r\n"),
            (&["exists", "a", "b", "a", "zz"], ":3\r\n"),
            (&["type", "b"], "+string\r\n"),
            (&["type", "zz"], "+none\r\n"),
            (&["del", "a", "zz"], ":1\r\n"),
            (&["rename", "zz", "yy"], "-ERR no such key\r\n"),
            (&["renamenx", "b", "b"], ":0\r\n"),
            (&["rename", "b", "c"], "+OK\r\n"),
            (&["move", "c", "0"], "-ERR source and destination objects are the same\r\n"),
            (&["move", "c", "99"], "-ERR DB index is out of range\r\n"),
            (
                &["move", "c", "99999999999"],
                "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n",
            ),
            (&["copy", "c", "d", "db", "abc"], "-ERR value is not an integer or out of range\r\n"),
            (&["copy", "c", "d", "foo"], "-ERR syntax error\r\n"),
            (&["copy", "c", "d"], ":1\r\n"),
            (&["copy", "c", "d"], ":0\r\n"),
            (&["copy", "c", "d", "replace"], ":1\r\n"),
            (&["swapdb", "a", "1"], "-ERR invalid first DB index\r\n"),
            (&["swapdb", "0", "b"], "-ERR invalid second DB index\r\n"),
            (&["scan", "abc"], "-ERR invalid cursor\r\n"),
            (&["scan", "0", "count", "0"], "-ERR syntax error\r\n"),
            (&["keys", "c*"], "*1\r\n$1\r\nc\r\n"),
            (&["dbsize"], ":2\r\n"),
            (&["flushdb", "foo"], "-ERR syntax error\r\n"),
            (&["object", "encoding", "c"], "$6\r\nembstr\r\n"),
            (&["object", "encoding", "zz"], "$-1\r\n"),
            (&["object", "foo", "c"], "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"),
            (
                &["object", "freq", "c"],
                "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n",
            ),
            (&["set", "n", "5"], "+OK\r\n"),
            (&["object", "refcount", "n"], ":2147483647\r\n"),
            (&["copy", "n", "m"], ":1\r\n"),
            (&["object", "refcount", "m"], ":1\r\n"),
            (&["flushall", "async"], "+OK\r\n"),
            (&["randomkey"], "$-1\r\n"),
        ],
    );
}

#[test]
fn expire_family() {
    let srv = Server::start();
    let mut s = srv.raw();
    check(
        &mut s,
        &[
            (&["set", "k", "v"], "+OK\r\n"),
            (&["expire", "k", "100", "xx"], ":0\r\n"),
            (&["expire", "k", "100", "gt"], ":0\r\n"),
            (&["expire", "k", "100", "lt"], ":1\r\n"),
            (&["expire", "k", "200", "lt"], ":0\r\n"),
            (&["ttl", "k"], ":100\r\n"),
            (
                &["expire", "k", "1", "gt", "lt"],
                "-ERR GT and LT options at the same time are not compatible\r\n",
            ),
            (
                &["pexpire", "k", "9223372036854770000"],
                "-ERR invalid expire time in 'pexpire' command\r\n",
            ),
            (&["pexpireat", "k", "9223372036854770000"], ":1\r\n"),
            (&["pexpiretime", "k"], ":9223372036854770000\r\n"),
            (&["persist", "k"], ":1\r\n"),
            (&["persist", "k"], ":0\r\n"),
            (&["ttl", "k"], ":-1\r\n"),
            (&["expireat", "k", "1"], ":1\r\n"),
            (&["exists", "k"], ":0\r\n"),
            (&["ttl", "k"], ":-2\r\n"),
        ],
    );
}

/// DEBUG DIGEST is Redis's SHA1 mix over keys, values, TTL flags and db ids, so
/// the same writes must give the same 40 hex digits as real Redis.
#[test]
fn debug_digest_matches_redis() {
    let srv = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut s = srv.raw();
    let long = "x".repeat(100);
    check(
        &mut s,
        &[
            (&["debug", "digest"], "+0000000000000000000000000000000000000000\r\n"),
            (&["set", "foo", "bar"], "+OK\r\n"),
            (&["debug", "digest"], "+d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a\r\n"),
            (&["set", "n", "12345"], "+OK\r\n"),
            (&["set", "long", &long], "+OK\r\n"),
            (&["select", "3"], "+OK\r\n"),
            (&["set", "foo", "bar"], "+OK\r\n"),
            (&["pexpireat", "foo", "4611686018427387903"], ":1\r\n"),
            (&["debug", "digest"], "+43478a024a1c118018f001a5f4577bdc316da06d\r\n"),
            (&["select", "0"], "+OK\r\n"),
            (
                &["debug", "digest-value", "n", "nokey"],
                "*2\r\n+e1cf90774e995ae03de66e8109dc5cb9d9c2dc83\r\n+0000000000000000000000000000000000000000\r\n",
            ),
            (&["debug", "jmap"], "-ERR unknown subcommand or wrong number of arguments for 'jmap'. Try DEBUG HELP.\r\n"),
        ],
    );
    // serializedlength is what RDB would write: 100 'x' compress with LZF to 13 bytes.
    let obj = send(&mut s, &["debug", "object", "long"]);
    assert!(
        obj.contains(" refcount:1 encoding:raw serializedlength:13 lru:"),
        "{obj}"
    );
}

#[test]
fn lazy_and_active_expiry() {
    let srv = Server::start_with(&["--enable-debug-command", "yes"]);
    let mut s = srv.raw();
    check(
        &mut s,
        &[
            (&["debug", "set-active-expire", "0"], "+OK\r\n"),
            (&["set", "a", "1", "px", "20"], "+OK\r\n"),
            (&["set", "b", "1", "px", "20"], "+OK\r\n"),
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    // Not accessed and no active cycle: still counted.
    check(
        &mut s,
        &[
            (&["dbsize"], ":2\r\n"),
            (&["get", "a"], "$-1\r\n"),
            (&["dbsize"], ":1\r\n"),
        ],
    );
    check(&mut s, &[(&["debug", "set-active-expire", "1"], "+OK\r\n")]);
    let mut left = String::new();
    for _ in 0..50 {
        left = send(&mut s, &["dbsize"]);
        if left == ":0\r\n" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(left, ":0\r\n", "the active cycle should remove b");
}

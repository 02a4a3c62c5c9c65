//! EVAL, SCRIPT, FUNCTION and FCALL through a standard client: script replies
//! and conversions, the errors Redis 7.0.15 gives (with the script name and
//! line), the read-only sandbox, shebang flags, and function libraries. The
//! expectations hold against the real binary too
//! (`REDIS_RS_TEST_SERVER=/usr/bin/redis-server cargo test --test scripting`).

mod common;

use common::{err_text, Server};
use redis::{cmd, Connection, Value};

fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&str]) -> T {
    let mut k = cmd(args[0]);
    for a in &args[1..] {
        k.arg(*a);
    }
    k.query::<T>(c)
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn err(c: &mut Connection, args: &[&str]) -> String {
    let mut k = cmd(args[0]);
    for a in &args[1..] {
        k.arg(*a);
    }
    match k.query::<Value>(c) {
        Ok(v) => panic!("{args:?}: expected an error reply, got {v:?}"),
        Err(e) => err_text(&e),
    }
}

#[test]
fn eval_replies_and_conversions() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(q::<i64>(&mut c, &["EVAL", "return 3.99", "0"]), 3);
    assert_eq!(
        q::<String>(
            &mut c,
            &[
                "EVAL",
                "return redis.call('set', KEYS[1], ARGV[1])",
                "1",
                "k",
                "v"
            ]
        ),
        "OK"
    );
    assert_eq!(
        q::<String>(
            &mut c,
            &["EVAL", "return redis.call('get', KEYS[1])", "1", "k"]
        ),
        "v"
    );
    let v: Value = q(&mut c, &["EVAL", "return {1, 'x', false, true, {2}}", "0"]);
    assert_eq!(
        v,
        Value::Array(vec![
            Value::Int(1),
            Value::BulkString(b"x".to_vec()),
            Value::Nil,
            Value::Int(1),
            Value::Array(vec![Value::Int(2)]),
        ])
    );
    // A missing key is false in Lua, and false is a nil reply.
    assert_eq!(
        q::<Value>(&mut c, &["EVAL", "return redis.call('get', 'nokey')", "0"]),
        Value::Nil
    );
    assert_eq!(
        q::<String>(&mut c, &["EVAL", "return redis.status_reply('FINE')", "0"]),
        "FINE"
    );
    assert_eq!(
        err(&mut c, &["EVAL", "return redis.error_reply('MY err')", "0"]),
        "MY err"
    );
    assert_eq!(
        q::<String>(&mut c, &["EVAL", "return redis.sha1hex('')", "0"]),
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    );
    assert_eq!(
        q::<String>(&mut c, &["EVAL", "return cjson.encode({1, 'a/b'})", "0"]),
        "[1,\"a\\/b\"]"
    );
}

#[test]
fn eval_errors_name_the_script() {
    let s = Server::start();
    let mut c = s.client();
    q::<()>(&mut c, &["SET", "k", "v"]);
    let e = err(&mut c, &["EVAL", "return redis.call('incr', 'k')", "0"]);
    let sha: String = q(
        &mut c,
        &[
            "EVAL",
            "return redis.sha1hex(ARGV[1])",
            "0",
            "return redis.call('incr', 'k')",
        ],
    );
    assert_eq!(
        e,
        format!("ERR value is not an integer or out of range script: {sha}, on @user_script:1.")
    );
    // pcall hands the error back as a value.
    assert_eq!(
        err(&mut c, &["EVAL", "return redis.pcall('incr', 'k')", "0"]),
        "ERR value is not an integer or out of range"
    );
    assert!(err(&mut c, &["EVAL", "return x", "0"]).starts_with(
        "ERR user_script:1: Script attempted to access nonexistent global variable 'x'"
    ));
    assert!(err(&mut c, &["EVAL", "redis.call = 1", "0"])
        .contains("Attempt to modify a readonly table"));
    assert!(err(&mut c, &["EVAL", "setmetatable(_G, {})", "0"])
        .contains("Attempt to modify a readonly table"));
    assert!(err(&mut c, &["EVAL", "_G = {}", "0"]).contains("Attempt to modify a readonly table"));
    assert!(err(&mut c, &["EVAL", "return redis.call('nosuch')", "0"])
        .starts_with("ERR Unknown Redis command called from script"));
    assert!(err(
        &mut c,
        &["EVAL", "return redis.call('eval', 'return 1', '0')", "0"]
    )
    .starts_with("ERR This Redis command is not allowed from script"));
    assert!(err(&mut c, &["EVAL", "retur", "0"])
        .starts_with("ERR Error compiling script (new function): user_script:1:"));
    assert_eq!(
        err(&mut c, &["EVAL", "return 1", "2", "a"]),
        "ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(
        err(&mut c, &["EVAL", "return 1", "-1"]),
        "ERR Number of keys can't be negative"
    );
}

#[test]
fn script_cache_and_shebang_flags() {
    let s = Server::start();
    let mut c = s.client();
    let sha: String = q(&mut c, &["SCRIPT", "LOAD", "return 'hello'"]);
    assert_eq!(sha, "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b");
    assert_eq!(q::<String>(&mut c, &["EVALSHA", &sha, "0"]), "hello");
    assert_eq!(
        q::<Vec<i64>>(&mut c, &["SCRIPT", "EXISTS", &sha, "ffff"]),
        vec![1, 0]
    );
    q::<()>(&mut c, &["SCRIPT", "FLUSH"]);
    assert_eq!(
        err(&mut c, &["EVALSHA", &sha, "0"]),
        "NOSCRIPT No matching script. Please use EVAL."
    );
    let e = err(
        &mut c,
        &[
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('set', 'x', 1)",
            "0",
        ],
    );
    assert!(
        e.starts_with("ERR Write commands are not allowed from read-only scripts. script: "),
        "{e}"
    );
    assert!(e.ends_with(", on @user_script:2."), "{e}");
    assert_eq!(
        err(&mut c, &["EVAL", "#!lua flags=bogus\nreturn 1", "0"]),
        "ERR Unexpected flag in script shebang: bogus"
    );
    assert_eq!(
        err(&mut c, &["EVAL_RO", "#!lua\nreturn 1", "0"]),
        "ERR Can not execute a script with write flag using *_ro command."
    );
    assert_eq!(
        q::<i64>(&mut c, &["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"]),
        1
    );
}

#[test]
fn functions_load_call_list_dump_restore() {
    let s = Server::start();
    let mut c = s.client();
    let lib = "#!lua name=mylib\nredis.register_function{function_name='getk', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}}\nredis.register_function('setk', function(keys, args) return redis.call('set', keys[1], args[1]) end)";
    assert_eq!(q::<String>(&mut c, &["FUNCTION", "LOAD", lib]), "mylib");
    assert_eq!(
        err(&mut c, &["FUNCTION", "LOAD", lib]),
        "ERR Library 'mylib' already exists"
    );
    assert_eq!(q::<String>(&mut c, &["FCALL", "setk", "1", "a", "1"]), "OK");
    assert_eq!(q::<String>(&mut c, &["FCALL_RO", "getk", "1", "a"]), "1");
    assert_eq!(
        err(&mut c, &["FCALL_RO", "setk", "1", "a", "2"]),
        "ERR Can not execute a script with write flag using *_ro command."
    );
    assert_eq!(
        err(&mut c, &["FCALL", "nope", "0"]),
        "ERR Function not found"
    );
    let dump: Vec<u8> = q(&mut c, &["FUNCTION", "DUMP"]);
    q::<()>(&mut c, &["FUNCTION", "FLUSH"]);
    assert_eq!(
        err(&mut c, &["FCALL", "getk", "1", "a"]),
        "ERR Function not found"
    );
    let mut r = cmd("FUNCTION");
    r.arg("RESTORE").arg(&dump[..]);
    r.query::<()>(&mut c).unwrap();
    assert_eq!(q::<String>(&mut c, &["FCALL", "getk", "1", "a"]), "1");
    let list: Value = q(&mut c, &["FUNCTION", "LIST", "LIBRARYNAME", "my*"]);
    match list {
        Value::Array(libs) => assert_eq!(libs.len(), 1),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        err(&mut c, &["FUNCTION", "LOAD", "#!lua name=bad\nreturn 1"]),
        "ERR No functions registered"
    );
    q::<()>(&mut c, &["FUNCTION", "DELETE", "mylib"]);
    assert_eq!(
        err(&mut c, &["FUNCTION", "DELETE", "mylib"]),
        "ERR Library not found"
    );
}

/// Sends EVAL on a raw socket without waiting for its reply.
fn start_eval(s: &Server, body: &str, keys: &[&str]) -> std::net::TcpStream {
    use std::io::Write;
    let mut sock = s.raw();
    let n = keys.len().to_string();
    let mut args: Vec<&[u8]> = vec![b"EVAL", body.as_bytes(), n.as_bytes()];
    args.extend(keys.iter().map(|k| k.as_bytes()));
    sock.write_all(&common::resp(&args)).unwrap();
    sock
}

/// Polls PING until it answers -BUSY; returns when it does.
fn wait_busy(c: &mut Connection) -> std::time::Instant {
    let t0 = std::time::Instant::now();
    loop {
        if let Err(e) = cmd("PING").query::<String>(c) {
            let e = err_text(&e);
            assert!(e.starts_with("BUSY "), "{e}");
            return std::time::Instant::now();
        }
        assert!(t0.elapsed().as_secs() < 10, "the script never got busy");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[test]
fn busy_script_is_killed_soon_after_the_threshold() {
    let s = Server::start();
    let mut c = s.client();
    q::<()>(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "50"]);
    let started = std::time::Instant::now();
    let mut sock = start_eval(&s, "while true do end", &[]);
    wait_busy(&mut c);
    q::<()>(&mut c, &["SCRIPT", "KILL"]);
    // Killed within 100 ms of the threshold.
    let reply = common::read_replies(&mut sock, 1);
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_millis(50 + 100 + 60),
        "killed after {waited:?}"
    );
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{text}"
    );
    assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
    assert_eq!(
        err(&mut c, &["SCRIPT", "KILL"]),
        "NOTBUSY No scripts in execution right now."
    );
    // The caller's connection still works.
    use std::io::Write;
    sock.write_all(&common::resp(&[b"PING"])).unwrap();
    assert_eq!(common::read_replies(&mut sock, 1), b"+PONG\r\n");
}

#[test]
fn busy_script_pcall_cannot_swallow_the_kill() {
    let s = Server::start();
    let mut c = s.client();
    q::<()>(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "20"]);
    let mut sock = start_eval(
        &s,
        "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end",
        &[],
    );
    wait_busy(&mut c);
    // Other clients are refused with Redis's exact text meanwhile.
    assert_eq!(
        err(&mut c, &["GET", "x"]),
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    );
    assert_eq!(
        err(&mut c, &["FUNCTION", "KILL"]),
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    );
    q::<()>(&mut c, &["SCRIPT", "KILL"]);
    let text = String::from_utf8_lossy(&common::read_replies(&mut sock, 1)).into_owned();
    assert!(text.contains("killed by user"), "{text}");
}

#[test]
fn busy_writing_script_is_unkillable_and_shutdown_nosave_works() {
    let s = Server::start();
    let mut c = s.client();
    q::<()>(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "20"]);
    let _sock = start_eval(
        &s,
        "redis.call('set', KEYS[1], 'y') while true do end",
        &["x"],
    );
    wait_busy(&mut c);
    assert_eq!(
        err(&mut c, &["SCRIPT", "KILL"]),
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
    );
    assert!(err(&mut c, &["PING"]).starts_with("BUSY "));
    // A saving shutdown is refused; NOSAVE ends the server.
    assert!(err(&mut c, &["SHUTDOWN"]).starts_with("BUSY "));
    let _ = cmd("SHUTDOWN").arg("NOSAVE").query::<Value>(&mut c);
    let t0 = std::time::Instant::now();
    let mut s = s;
    while s.alive() {
        assert!(
            t0.elapsed().as_secs() < 10,
            "still running after SHUTDOWN NOSAVE"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn busy_function_reports_in_stats_and_needs_function_kill() {
    let s = Server::start();
    let mut c = s.client();
    q::<String>(
        &mut c,
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=lib\nredis.register_function('spin', function() while true do end end)",
        ],
    );
    q::<()>(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "20"]);
    use std::io::Write;
    let mut sock = s.raw();
    sock.write_all(&common::resp(&[b"FCALL", b"spin", b"0"]))
        .unwrap();
    wait_busy(&mut c);
    assert_eq!(
        err(&mut c, &["SCRIPT", "KILL"]),
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    );
    let stats = common::run(&mut c, &["FUNCTION", "STATS"]);
    assert!(
        stats
            .starts_with("[running_script, [name, spin, command, [FCALL, spin, 0], duration_ms, :"),
        "{stats}"
    );
    q::<()>(&mut c, &["FUNCTION", "KILL"]);
    let text = String::from_utf8_lossy(&common::read_replies(&mut sock, 1)).into_owned();
    assert!(text.contains("killed by user"), "{text}");
    assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
}

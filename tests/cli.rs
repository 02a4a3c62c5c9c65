//! Debian's redis-cli against our server: one-shot commands and the tool modes people
//! use on a live server (--scan, --bigkeys, info, --stat, --latency).

mod common;

use common::Server;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn one_shot_commands() {
    let srv = Server::start();
    let o = srv.cli(&["PING"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "PONG\n");
    assert_eq!(
        stdout(&srv.cli(&["SET", "greeting", "hello world"])),
        "OK\n"
    );
    assert_eq!(stdout(&srv.cli(&["GET", "greeting"])), "hello world\n");
    assert_eq!(stdout(&srv.cli(&["GET", "nothing"])), "\n");
    // Errors are printed as "(error) ..." on a tty; piped, redis-cli prints the bare text
    // and an empty line.
    let o = srv.cli(&["GET"]);
    assert_eq!(
        stdout(&o),
        "ERR wrong number of arguments for 'get' command\n\n"
    );
    // -n selects the database before the command.
    assert_eq!(stdout(&srv.cli(&["-n", "3", "SET", "k", "in3"])), "OK\n");
    assert_eq!(stdout(&srv.cli(&["-n", "3", "GET", "k"])), "in3\n");
    assert_eq!(stdout(&srv.cli(&["GET", "k"])), "\n");
}

#[test]
fn commands_from_stdin_pipe() {
    // redis-cli -x / piped input sends each line as a command in order.
    let srv = Server::start();
    let mut child = std::process::Command::new(common::redis_cli())
        .args(["-p", &srv.port.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SET a 1\nGET a\nECHO \"two words\"\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(stdout(&o), "OK\n1\ntwo words\n");
}

#[test]
fn latency_mode() {
    let srv = Server::start();
    // Piped, --latency samples for about a second and prints "min max avg samples" once.
    let o = srv.cli_for(20, &["--latency"]);
    assert!(o.status.success(), "redis-cli --latency failed: {o:?}");
    let out = stdout(&o);
    let f: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(f.len(), 4, "unexpected --latency output {out:?}");
    let min: u64 = f[0].parse().unwrap();
    let max: u64 = f[1].parse().unwrap();
    let avg: f64 = f[2].parse().unwrap();
    assert!(
        min <= max && avg >= min as f64 && avg <= max as f64,
        "{out:?}"
    );
    assert!(f[3].parse::<u64>().unwrap() > 0, "{out:?}");
}

#[test]
fn scan_mode() {
    let srv = Server::start();
    let mut want: Vec<String> = (0..300).map(|i| format!("key:{i}")).collect();
    for k in &want {
        assert_eq!(stdout(&srv.cli(&["SET", k, "v"])), "OK\n");
    }
    let o = srv.cli(&["--scan"]);
    assert!(o.status.success());
    let mut got: Vec<String> = stdout(&o).lines().map(String::from).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let o = srv.cli(&["--scan", "--pattern", "key:1?"]);
    let mut got: Vec<String> = stdout(&o).lines().map(String::from).collect();
    got.sort();
    let mut want: Vec<String> = (10..20).map(|i| format!("key:{i}")).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn bigkeys_mode() {
    let srv = Server::start();
    srv.cli(&["SET", "small", "x"]);
    srv.cli(&["SET", "big", &"y".repeat(1000)]);
    let o = srv.cli(&["--bigkeys"]);
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("Sampled 2 keys in the keyspace!"), "{out}");
    assert!(
        out.contains("Biggest string found '\"big\"' has 1000 bytes"),
        "{out}"
    );
    assert!(out.contains("2 strings with 1001 bytes"), "{out}");
}

#[test]
fn info_command() {
    let srv = Server::start();
    let out = stdout(&srv.cli(&["info"]));
    assert!(out.contains("# Server\r\n"), "{out}");
    assert!(out.contains("redis_version:7.0.15\r\n"), "{out}");
    assert!(out.contains(&format!("tcp_port:{}\r\n", srv.port)), "{out}");
    let out = stdout(&srv.cli(&["info", "keyspace"]));
    assert_eq!(out, "# Keyspace\r\n");
}

#[test]
fn stat_mode() {
    let srv = Server::start();
    srv.cli(&["SET", "a", "1"]);
    let o = srv.cli_for(3, &["--stat", "-i", "0.5"]);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() >= 4, "too little --stat output: {out:?}");
    assert!(lines[0].starts_with("------- data ------"), "{out}");
    assert!(lines[1].starts_with("keys       mem"), "{out}");
    // Every sample line starts with the key count, 1 here.
    for l in &lines[2..] {
        assert!(l.starts_with("1 "), "sample line {l:?} in {out}");
    }
}

/// Interactive redis-cli needs a terminal: run it inside a detached tmux session, type
/// into it and read the screen back, the way a person would use it.
#[test]
fn interactive_session_under_a_terminal() {
    let srv = Server::start();
    let session = format!("rs-cli-{}", srv.port);
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(args)
            .output()
            .expect("tmux is installed by ./runtest")
    };
    let cli = format!("{} -p {}", common::redis_cli().display(), srv.port);
    assert!(tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "120",
        "-y",
        "40",
        &cli
    ])
    .status
    .success());
    let screen = || {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-t", &session, "-p"]).stdout).into_owned()
    };
    let prompt = format!("127.0.0.1:{}>", srv.port);
    let wait_for = |what: &str| {
        for _ in 0..100 {
            if screen().contains(what) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    };
    assert!(wait_for(&prompt), "no prompt: {}", screen());
    for line in [
        "set greeting \"hello there\"",
        "get greeting",
        "select 5",
        "set word abc",
        "hello 3",
        "incr word",
    ] {
        tmux(&["send-keys", "-t", &session, line, "Enter"]);
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    let done = wait_for("(error) ERR value is not an integer or out of range");
    let text = screen();
    tmux(&["kill-session", "-t", &session]);
    assert!(done, "screen was:\n{}", text);
    assert!(text.contains("\"hello there\""), "{}", text);
    assert!(
        text.contains(&format!("127.0.0.1:{}[5]>", srv.port)),
        "{}",
        text
    );
    assert!(text.contains("\"proto\" => (integer) 3"), "{}", text);
}

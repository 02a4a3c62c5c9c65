//! Connection commands: PING ECHO SELECT QUIT, and the authentication-related
//! AUTH HELLO RESET, which authenticate against the ACL users (crate::acl); the
//! default user's password is `requirepass`.

use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::Server;

const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.";

pub fn ping_command(_srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() > 2 {
        c.add_error_arity("ping");
        return;
    }
    // A RESP2 client in subscribed mode can only read push-shaped arrays.
    if c.flags.has(ClientFlags::PUBSUB) && c.resp == 2 {
        c.add_array_len(2);
        c.add_bulk(b"pong");
        c.add_bulk(if argv.len() == 1 { b"" } else { argv.get(1) });
    } else if argv.len() == 1 {
        c.add_raw(b"+PONG\r\n");
    } else {
        c.add_bulk(argv.get(1));
    }
}

pub fn echo_command(_srv: &mut Server, c: &mut Client, argv: &Argv) {
    c.add_bulk(argv.get(1));
}

pub fn select_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(id) = crate::util::parse_i64(argv.get(1)).filter(|v| i32::try_from(*v).is_ok()) else {
        c.add_error_not_int();
        return;
    };
    if srv.config.cluster_enabled && id != 0 {
        c.add_error("SELECT is not allowed in cluster mode");
        return;
    }
    if id < 0 || id as usize >= srv.dbs.len() {
        c.add_error("DB index is out of range");
        return;
    }
    c.db = id as usize;
    c.add_ok();
}

pub fn quit_command(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_ok();
    c.flags.set(ClientFlags::CLOSE_AFTER_REPLY);
}

/// Is the default user "nopass"? Then AUTH <password> has nothing to check.
pub fn default_user_nopass(srv: &Server) -> bool {
    srv.acl.default_user().has(crate::acl::uflags::NOPASS)
}

/// Marks argument `i` to be shown as "(redacted)" in MONITOR and the slowlog.
pub fn redact_arg(c: &mut Client, i: usize) {
    if i < 64 {
        c.redacted_args |= 1u64 << i;
    } else if !c.redacted_high.contains(&i) {
        c.redacted_high.push(i);
    }
}

pub fn auth_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() > 3 {
        c.add_error_syntax();
        return;
    }
    redact_arg(c, 1);
    if argv.len() == 3 {
        redact_arg(c, 2);
    }
    let (user, pass): (&[u8], &[u8]) = if argv.len() == 2 {
        if default_user_nopass(srv) {
            c.add_error("AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }
        (b"default", argv.get(1))
    } else {
        (argv.get(1), argv.get(2))
    };
    if crate::acl::authenticate(srv, c, user, pass, argv.get(0)) {
        c.add_ok();
    } else {
        c.add_error(WRONGPASS);
    }
}

/// Validates and sets (or with "" clears) a client name: CLIENT SETNAME and HELLO SETNAME.
pub fn set_client_name_or_reply(c: &mut Client, name: &[u8]) -> bool {
    if name.is_empty() {
        c.name = None;
        return true;
    }
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        c.add_error("Client names cannot contain spaces, newlines or special characters.");
        return false;
    }
    c.name = Some(name.to_vec());
    true
}

pub fn hello_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut ver = 0i64;
    let mut j = 1;
    if argv.len() >= 2 {
        match crate::util::parse_i64(argv.get(1)) {
            Some(v) => ver = v,
            None => {
                c.add_error("Protocol version is not an integer or out of range");
                return;
            }
        }
        j = 2;
        if !(2..=3).contains(&ver) {
            c.add_error("-NOPROTO unsupported protocol version");
            return;
        }
    }
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = argv.get(j);
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            redact_arg(c, j + 1);
            redact_arg(c, j + 2);
            if !crate::acl::authenticate(srv, c, argv.get(j + 1), argv.get(j + 2), argv.get(0)) {
                c.add_error(WRONGPASS);
                return;
            }
            j += 2;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            if !set_client_name_or_reply(c, argv.get(j + 1)) {
                return;
            }
            j += 1;
        } else {
            c.add_error(&format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            ));
            return;
        }
        j += 1;
    }
    if !c.authenticated {
        c.add_error("-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if ver != 0 {
        c.resp = ver as u8;
    }
    c.add_map_len(7);
    c.add_bulk(b"server");
    c.add_bulk(b"redis");
    c.add_bulk(b"version");
    c.add_bulk(crate::REDIS_VERSION.as_bytes());
    c.add_bulk(b"proto");
    c.add_int(c.resp as i64);
    c.add_bulk(b"id");
    c.add_int(c.id as i64);
    c.add_bulk(b"mode");
    c.add_bulk(if srv.config.cluster_enabled {
        b"cluster".as_slice()
    } else {
        b"standalone".as_slice()
    });
    c.add_bulk(b"role");
    c.add_bulk(if srv.is_replica_of_master() {
        b"replica".as_slice()
    } else {
        b"master".as_slice()
    });
    c.add_bulk(b"modules");
    // No module system: the loaded-modules list is always empty.
    c.add_array_len(0);
}

/// RESET: back to a freshly connected client's state (clearClientConnectionState).
pub fn reset_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if c.flags.has(ClientFlags::MONITOR) {
        c.flags.clear(ClientFlags::MONITOR);
        srv.monitors.retain(|&t| t != c.token);
    }
    c.db = 0;
    c.resp = 2;
    crate::acl::set_default_auth(srv, c);
    c.name = None;
    srv.disable_tracking(c);
    srv.pubsub_forget_client(c);
    srv.discard_transaction(c);
    c.flags
        .clear(ClientFlags::PUBSUB | ClientFlags::REPLY_OFF | ClientFlags::REPLY_SKIP_NEXT);
    c.flags.clear(ClientFlags::ASKING | ClientFlags::READONLY);
    c.add_status("RESET");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::resp::OwnedArgv;

    fn run(srv: &mut Server, c: &mut Client, args: &[&str]) -> String {
        let a = OwnedArgv::from_slices(args.iter().map(|s| s.as_bytes()));
        srv.process_command(c, &a.view());
        String::from_utf8_lossy(&c.take_reply()).into_owned()
    }

    #[test]
    fn auth_with_and_without_password() {
        let mut srv = Server::new(Config::default());
        let mut c = Client::fake(1);
        assert!(run(&mut srv, &mut c, &["AUTH", "x"]).starts_with("-ERR AUTH <password> called"));
        assert_eq!(
            run(&mut srv, &mut c, &["AUTH", "default", "any"]),
            "+OK\r\n"
        );
        assert!(run(&mut srv, &mut c, &["AUTH", "bob", "x"]).starts_with("-WRONGPASS"));
        assert_eq!(
            run(&mut srv, &mut c, &["AUTH", "a", "b", "c"]),
            "-ERR syntax error\r\n"
        );

        let mut cfg = Config::default();
        cfg.requirepass = Some(b"abc\0def".to_vec());
        let mut srv = Server::new(cfg);
        crate::acl::update_default_password(&mut srv);
        let mut c = Client::fake(2);
        crate::acl::set_default_auth(&srv, &mut c);
        assert!(run(&mut srv, &mut c, &["PING"]).starts_with("-NOAUTH"));
        assert!(run(&mut srv, &mut c, &["HELLO", "3"]).starts_with("-NOAUTH HELLO must be"));
        assert!(run(&mut srv, &mut c, &["AUTH", "abc"]).starts_with("-WRONGPASS"));
        assert_eq!(run(&mut srv, &mut c, &["AUTH", "abc\0def"]), "+OK\r\n");
        assert_eq!(run(&mut srv, &mut c, &["PING"]), "+PONG\r\n");
        assert_eq!(c.redacted_args, 0);
        run(&mut srv, &mut c, &["RESET"]);
        assert!(!c.authenticated);
    }

    #[test]
    fn redaction_covers_every_argument_index() {
        let mut c = Client::fake(3);
        redact_arg(&mut c, 1);
        redact_arg(&mut c, 63);
        redact_arg(&mut c, 64);
        redact_arg(&mut c, 201);
        redact_arg(&mut c, 201);
        for i in [1, 63, 64, 201] {
            assert!(c.arg_redacted(i), "{}", i);
        }
        for i in [0, 2, 62, 65, 200] {
            assert!(!c.arg_redacted(i), "{}", i);
        }
        assert_eq!(c.redacted_high, vec![64, 201]);
    }

    #[test]
    fn hello_and_reset() {
        let mut srv = Server::new(Config::default());
        let mut c = Client::fake(7);
        assert_eq!(
            run(&mut srv, &mut c, &["HELLO", "4"]),
            "-NOPROTO unsupported protocol version\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["HELLO", "x"]),
            "-ERR Protocol version is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["HELLO", "3", "foo"]),
            "-ERR Syntax error in HELLO option 'foo'\r\n"
        );
        let r = run(&mut srv, &mut c, &["HELLO", "3", "SETNAME", "me"]);
        assert!(
            r.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
            "{}",
            r
        );
        assert!(r.contains("$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:7\r\n"));
        assert!(r.ends_with("$7\r\nmodules\r\n*0\r\n"));
        assert_eq!(c.resp, 3);
        assert_eq!(c.name.as_deref(), Some(b"me".as_slice()));
        run(&mut srv, &mut c, &["SELECT", "3"]);
        assert_eq!(run(&mut srv, &mut c, &["RESET"]), "+RESET\r\n");
        assert_eq!((c.resp, c.db, c.name.is_none()), (2, 0, true));
        assert_eq!(
            run(&mut srv, &mut c, &["CLIENT", "SETNAME", "a b"]),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["PING", "a", "b"]),
            "-ERR wrong number of arguments for 'ping' command\r\n"
        );
    }
}

//! The ACL command's subcommands: SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT
//! GENPASS LOG DRYRUN LOAD SAVE HELP, with Redis 7.0's replies and errors.

use super::log::Reason;
use super::rules;
use super::Selector;
use super::{ctx, kill_clients_of, uflags, User};
use crate::commands::ACL_CATEGORIES;
use crate::networking::client_cmd::subcommand_syntax_error;
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::conn_cmds::redact_arg;
use crate::server::Server;

pub fn acl_setuser(srv: &mut Server, c: &mut Client, argv: &Argv) {
    for j in 2..argv.len() {
        redact_arg(c, j);
    }
    let name = argv.get(2);
    if rules::has_spaces(name) {
        c.add_error("Usernames can't contain spaces or null characters");
        return;
    }
    let ops: Vec<Vec<u8>> = (3..argv.len()).map(|i| argv.get(i).to_vec()).collect();
    let merged = match rules::merge_selector_args(&ops) {
        Ok(m) => m,
        Err(i) => {
            c.add_error(&format!(
                "Unmatched parenthesis in acl selector starting at '{}'.",
                String::from_utf8_lossy(&ops[i])
            ));
            return;
        }
    };
    let ctx = ctx(srv);
    let existing = srv.acl.id_of(name);
    let base = match existing {
        Some(id) => srv.acl.user(id).unwrap().clone(),
        None => User::new(name, ctx.pubsub_all),
    };
    match base.apply_all(ctx, &merged) {
        Ok(u) => {
            if let Some(id) = existing {
                kill_pubsub_clients_if_needed(srv, c, id, &u);
            }
            super::store_user(srv, Some(c), u);
            c.add_ok();
        }
        Err((i, e)) => {
            let msg = format!(
                "Error in ACL SETUSER modifier '{}': {}",
                String::from_utf8_lossy(&merged[i]),
                e.message()
            );
            // addReplyErrorSdsSafe: newlines would break the protocol.
            c.add_error(&msg.replace(['\r', '\n'], " "));
        }
    }
}

/// ACLKillPubsubClientsIfNeeded: when `new` no longer grants every channel the
/// user's current rules grant, its subscribers holding a now-forbidden channel
/// or pattern are disconnected.
fn kill_pubsub_clients_if_needed(srv: &mut Server, c: &mut Client, id: u32, new: &User) {
    if new.selectors.iter().any(|s| s.allchannels) {
        return;
    }
    let upcoming: Vec<Vec<u8>> = new
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter().cloned())
        .collect();
    let original = srv.acl.user(id).unwrap();
    let superset = !original.selectors.iter().any(|s| s.allchannels)
        && original
            .selectors
            .iter()
            .all(|s| s.channels.iter().all(|ch| upcoming.contains(ch)));
    if superset {
        return;
    }
    srv.kill_pubsub_clients_of_user(c, id, &|name, is_pattern| {
        super::channel_allowed(&upcoming, name, is_pattern)
    });
}

pub fn acl_deluser(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if (2..argv.len()).any(|j| argv.get(j) == b"default") {
        c.add_error("The 'default' user cannot be removed");
        return;
    }
    let mut removed = Vec::new();
    for j in 2..argv.len() {
        if let Some(id) = srv.acl.id_of(argv.get(j)) {
            if srv.acl.remove(id).is_some() {
                removed.push(id);
            }
        }
    }
    kill_clients_of(srv, Some(c), &removed);
    c.add_int(removed.len() as i64);
}

fn reply_selector(c: &mut Client, srv: &Server, s: &Selector) {
    let ctx = ctx(srv);
    c.add_bulk(b"commands");
    c.add_bulk(s.describe_commands(ctx).as_bytes());
    c.add_bulk(b"keys");
    c.add_bulk(s.describe_keys().as_bytes());
    c.add_bulk(b"channels");
    c.add_bulk(s.describe_channels().as_bytes());
}

pub fn acl_getuser(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(u) = srv.acl.id_of(argv.get(2)).and_then(|id| srv.acl.user(id)) else {
        c.add_null();
        return;
    };
    c.add_map_len(6);
    c.add_bulk(b"flags");
    let names: Vec<&str> = uflags::NAMES
        .iter()
        .filter(|(f, _)| u.flags & f != 0)
        .map(|(_, n)| *n)
        .collect();
    c.add_set_len(names.len());
    for n in names {
        c.add_bulk(n.as_bytes());
    }
    c.add_bulk(b"passwords");
    c.add_array_len(u.passwords.len());
    for p in &u.passwords {
        c.add_bulk(p.as_bytes());
    }
    reply_selector(c, srv, u.root());
    c.add_bulk(b"selectors");
    c.add_array_len(u.selectors.len() - 1);
    for s in &u.selectors[1..] {
        c.add_map_len(3);
        reply_selector(c, srv, s);
    }
}

pub fn acl_list(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let lines = super::user_lines(srv);
    c.add_array_len(lines.len());
    for l in lines {
        c.add_bulk(l.as_bytes());
    }
}

pub fn acl_users(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_array_len(srv.acl.by_name.len());
    for name in srv.acl.by_name.keys() {
        c.add_bulk(name);
    }
}

pub fn acl_whoami(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    match srv.acl.user(c.user_id) {
        Some(u) => {
            let n = u.name.clone();
            c.add_bulk(&n)
        }
        None => c.add_null(),
    }
}

const NO_ACLFILE: &str = "This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

pub fn acl_load(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if super::aclfile(srv).is_empty() {
        c.add_error(NO_ACLFILE);
        return;
    }
    // The reply must be queued before a kill of this very client takes effect;
    // kill_clients_of only flags the current client to close after its reply.
    let mut err = None;
    let res = super::load_from_file(srv, Some(c));
    if let Err(e) = res {
        err = Some(e);
    }
    match err {
        None => c.add_ok(),
        Some(e) => c.add_error(&e.replace(['\r', '\n'], " ")),
    }
}

pub fn acl_save(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    if super::aclfile(srv).is_empty() {
        c.add_error(NO_ACLFILE);
        return;
    }
    match super::save_to_file(srv) {
        Ok(()) => c.add_ok(),
        Err(_) => c.add_error("There was an error trying to save the ACLs. Please check the server logs for more information"),
    }
}

pub fn acl_cat(srv: &mut Server, c: &mut Client, argv: &Argv) {
    match argv.len() {
        2 => {
            c.add_array_len(ACL_CATEGORIES.len());
            for cat in ACL_CATEGORIES {
                c.add_bulk(cat.as_bytes());
            }
        }
        3 => {
            let name = argv.get(2);
            let Some(pos) = ACL_CATEGORIES
                .iter()
                .position(|x| x.as_bytes().eq_ignore_ascii_case(name))
            else {
                let n = &name[..name.len().min(128)];
                c.add_error(&format!(
                    "Unknown category '{}'",
                    String::from_utf8_lossy(n)
                ));
                return;
            };
            let bit = 1u64 << pos;
            let names: Vec<&str> = srv
                .commands
                .cmds
                .iter()
                .filter(|x| x.acl & bit != 0)
                .map(|x| x.fullname)
                .collect();
            c.add_array_len(names.len());
            for n in names {
                c.add_bulk(n.as_bytes());
            }
        }
        _ => subcommand_syntax_error(c, argv),
    }
}

pub fn acl_genpass(_srv: &mut Server, c: &mut Client, argv: &Argv) {
    const MAX_BITS: i64 = 4096;
    let mut bits = 256i64;
    match argv.len() {
        2 => {}
        3 => match crate::util::parse_i64(argv.get(2)) {
            Some(b) => bits = b,
            None => {
                c.add_error_not_int();
                return;
            }
        },
        _ => {
            subcommand_syntax_error(c, argv);
            return;
        }
    }
    if bits <= 0 || bits > MAX_BITS {
        c.add_error(&format!("ACL GENPASS argument must be the number of bits for the output password, a positive number up to {}", MAX_BITS));
        return;
    }
    let chars = ((bits + 3) / 4) as usize;
    let hex = random_hex_urandom(chars);
    c.add_bulk(hex.as_bytes());
}

/// getRandomHexChars: from /dev/urandom when available (passwords must not be
/// predictable), else the server's generator.
fn random_hex_urandom(n: usize) -> String {
    use std::io::Read;
    let mut bytes = vec![0u8; n.div_ceil(2)];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !ok {
        return crate::util::random_hex(n);
    }
    let mut s: String = bytes.iter().map(|b| format!("{:02x}", b)).collect();
    s.truncate(n);
    s
}

pub fn acl_log(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let mut count = 10i64;
    match argv.len() {
        2 => {}
        3 => {
            let a = argv.get(2);
            if a.eq_ignore_ascii_case(b"reset") {
                srv.acl.log.reset();
                c.add_ok();
                return;
            }
            match crate::util::parse_i64(a) {
                Some(n) => count = n.max(0),
                None => {
                    c.add_error_not_int();
                    return;
                }
            }
        }
        _ => {
            subcommand_syntax_error(c, argv);
            return;
        }
    }
    let n = (count as usize).min(srv.acl.log.entries.len());
    let now = crate::util::mstime();
    c.add_array_len(n);
    for e in srv.acl.log.entries.iter().take(n) {
        c.add_map_len(7);
        c.add_bulk(b"count");
        c.add_int(e.count as i64);
        c.add_bulk(b"reason");
        c.add_bulk(e.reason.name().as_bytes());
        c.add_bulk(b"context");
        c.add_bulk(e.context.name().as_bytes());
        c.add_bulk(b"object");
        c.add_bulk(&e.object);
        c.add_bulk(b"username");
        c.add_bulk(&e.username);
        c.add_bulk(b"age-seconds");
        c.add_double((now - e.ctime_ms) as f64 / 1000.0);
        c.add_bulk(b"client-info");
        c.add_bulk(e.client_info.as_bytes());
    }
}

pub fn acl_dryrun(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(uid) = srv.acl.id_of(argv.get(2)) else {
        c.add_error(&format!(
            "User '{}' not found",
            String::from_utf8_lossy(argv.get(2))
        ));
        return;
    };
    let sub = Argv {
        buf: argv.buf,
        ranges: &argv.ranges[3..],
    };
    let Some(id) = srv.commands.lookup_argv(&sub) else {
        c.add_error(&format!(
            "Command '{}' not found",
            String::from_utf8_lossy(argv.get(3))
        ));
        return;
    };
    let cmd = &srv.commands.cmds[id];
    let arity = cmd.spec.arity;
    let argc = sub.len() as i32;
    if (arity > 0 && arity != argc) || argc < -arity {
        c.add_error(&format!(
            "wrong number of arguments for '{}' command",
            cmd.fullname
        ));
        return;
    }
    let user = srv.acl.user(uid).unwrap();
    match super::check_user_command(user, cmd, &sub) {
        Ok(()) => c.add_ok(),
        Err((reason, pos)) => {
            let msg = match reason {
                Reason::Command => format!(
                    "This user has no permissions to run the '{}' command",
                    cmd.fullname
                ),
                Reason::Key => format!(
                    "This user has no permissions to access the '{}' key",
                    String::from_utf8_lossy(sub.get(pos))
                ),
                _ => format!(
                    "This user has no permissions to access the '{}' channel",
                    String::from_utf8_lossy(sub.get(pos))
                ),
            };
            c.add_bulk(msg.as_bytes());
        }
    }
}

pub fn acl_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    crate::commands::command_cmd::reply_help(
        c,
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::networking::Client;
    use crate::resp::OwnedArgv;
    use crate::server::Server;

    fn run(srv: &mut Server, c: &mut Client, args: &[&str]) -> String {
        let a = OwnedArgv::from_slices(args.iter().map(|s| s.as_bytes()));
        srv.process_command(c, &a.view());
        String::from_utf8_lossy(&c.take_reply()).into_owned()
    }

    fn client(srv: &Server) -> Client {
        let mut c = Client::fake(1);
        crate::acl::set_default_auth(srv, &mut c);
        c
    }

    #[test]
    fn setuser_auth_and_noperm() {
        let mut srv = Server::new(Config::default());
        let mut c = client(&srv);
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "WHOAMI"]),
            "$7\r\ndefault\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "SETUSER", "newuser"]),
            "+OK\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "SETUSER", "a a"]),
            "-ERR Usernames can't contain spaces or null characters\r\n"
        );
        run(&mut srv, &mut c, &["ACL", "SETUSER", "newuser", ">passwd1"]);
        assert!(run(&mut srv, &mut c, &["AUTH", "newuser", "passwd1"]).starts_with("-WRONGPASS"));
        run(
            &mut srv,
            &mut c,
            &["ACL", "SETUSER", "newuser", "on", "+acl"],
        );
        assert_eq!(
            run(&mut srv, &mut c, &["AUTH", "newuser", "passwd1"]),
            "+OK\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "WHOAMI"]),
            "$7\r\nnewuser\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["SET", "foo", "bar"]),
            "-NOPERM this user has no permissions to run the 'set' command\r\n"
        );
        run(&mut srv, &mut c, &["ACL", "SETUSER", "newuser", "+set"]);
        assert_eq!(
            run(&mut srv, &mut c, &["SET", "foo", "bar"]),
            "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
        );
        let log = run(&mut srv, &mut c, &["ACL", "LOG", "1"]);
        assert!(log.contains("$6\r\nreason\r\n$3\r\nkey\r\n"), "{}", log);
        assert!(log.contains("$6\r\nobject\r\n$3\r\nfoo\r\n"), "{}", log);
        assert!(log.contains("user=newuser"), "{}", log);
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "DELUSER", "default"]),
            "-ERR The 'default' user cannot be removed\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "DELUSER", "newuser", "x"]),
            ":1\r\n"
        );
        assert!(c
            .flags
            .has(crate::networking::ClientFlags::CLOSE_AFTER_REPLY));
        assert!(!c.authenticated);
    }

    #[test]
    fn dryrun_cat_genpass_errors() {
        let mut srv = Server::new(Config::default());
        let mut c = client(&srv);
        run(
            &mut srv,
            &mut c,
            &["ACL", "SETUSER", "t", "+@all", "%R~read*", "%W~write*"],
        );
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "DRYRUN", "t", "GET", "read"]),
            "+OK\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "DRYRUN", "t", "GET", "write"]),
            "$54\r\nThis user has no permissions to access the 'write' key\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "DRYRUN", "x", "GET", "read"]),
            "-ERR User 'x' not found\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "DRYRUN", "t", "nocmd", "read"]),
            "-ERR Command 'nocmd' not found\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "DRYRUN", "t", "SET", "v"]),
            "-ERR wrong number of arguments for 'set' command\r\n"
        );
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "CAT", "NON_EXISTS"]),
            "-ERR Unknown category 'NON_EXISTS'\r\n"
        );
        assert!(run(&mut srv, &mut c, &["ACL", "CAT", "a", "b"])
            .starts_with("-ERR unknown subcommand or wrong number of arguments for 'CAT'"));
        assert!(run(&mut srv, &mut c, &["ACL", "CAT", "string"]).contains("$3\r\nget\r\n"));
        assert!(run(&mut srv, &mut c, &["ACL", "GENPASS", "5000"])
            .contains("ACL GENPASS argument must be"));
        assert_eq!(
            run(&mut srv, &mut c, &["ACL", "GENPASS", "5"]).len(),
            "$2\r\nab\r\n".len()
        );
        assert!(
            run(&mut srv, &mut c, &["ACL", "LOAD"]).contains("not configured to use an ACL file")
        );
        assert!(run(&mut srv, &mut c, &["ACL", "SETUSER", "x", "("])
            .starts_with("-ERR Unmatched parenthesis in acl selector starting at '('."));
        assert!(
            run(&mut srv, &mut c, &["ACL", "SETUSER", "x", "(&* &fail)"]).starts_with(
                "-ERR Error in ACL SETUSER modifier '(&* &fail)': Adding a pattern after"
            )
        );
        assert_eq!(run(&mut srv, &mut c, &["ACL", "GETUSER", "x"]), "$-1\r\n");
    }
}

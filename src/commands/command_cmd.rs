//! The COMMAND command (no argument, COUNT, INFO, LIST, GETKEYS, GETKEYSANDFLAGS,
//! DOCS, HELP), in Redis 7.0's reply shapes, and the shared HELP reply.

use super::{flags, BeginSearch, Command, FindKeys, KeySpec, ACL_CATEGORIES};
use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;

/// Redis's addReplyHelp: the header line, the given lines, then HELP's own lines.
pub fn reply_help(c: &mut Client, cmd: &str, lines: &[&str]) {
    c.add_array_len(lines.len() + 3);
    c.add_status(&format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        cmd
    ));
    for l in lines {
        c.add_status(l);
    }
    c.add_status("HELP");
    c.add_status("    Prints this help.");
}

/// Flags COMMAND INFO hides on purpose (Redis's flag name table omits them).
const HIDDEN_FLAGS: u64 =
    flags::MAY_REPLICATE | flags::SENTINEL | flags::ONLY_SENTINEL | flags::PROTECTED;

/// Key-spec flags in Redis's reply order and spelling.
const KEY_FLAG_NAMES: &[(&str, &str)] = &[
    ("RO", "RO"),
    ("RW", "RW"),
    ("OW", "OW"),
    ("RM", "RM"),
    ("ACCESS", "access"),
    ("UPDATE", "update"),
    ("INSERT", "insert"),
    ("DELETE", "delete"),
    ("NOT_KEY", "not_key"),
    ("INCOMPLETE", "incomplete"),
    ("VARIABLE_FLAGS", "variable_flags"),
];

fn reply_key_flags(c: &mut Client, spec_flags: &str) {
    let names: Vec<&str> = KEY_FLAG_NAMES
        .iter()
        .filter(|(k, _)| spec_flags.split_whitespace().any(|f| f == *k))
        .map(|(_, n)| *n)
        .collect();
    c.add_set_len(names.len());
    for n in names {
        c.add_status(n);
    }
}

fn reply_key_specs(c: &mut Client, specs: &[KeySpec], notes: &[&str]) {
    c.add_set_len(specs.len());
    for (i, ks) in specs.iter().enumerate() {
        let note = notes.get(i).copied().unwrap_or("");
        if note.is_empty() {
            c.add_map_len(3);
        } else {
            c.add_map_len(4);
            c.add_bulk(b"notes");
            c.add_bulk(note.as_bytes());
        }
        c.add_bulk(b"flags");
        reply_key_flags(c, ks.flags);
        c.add_bulk(b"begin_search");
        c.add_map_len(2);
        c.add_bulk(b"type");
        match ks.begin {
            BeginSearch::Index(i) => {
                c.add_bulk(b"index");
                c.add_bulk(b"spec");
                c.add_map_len(1);
                c.add_bulk(b"index");
                c.add_int(i as i64);
            }
            BeginSearch::Keyword {
                keyword,
                start_from,
            } => {
                c.add_bulk(b"keyword");
                c.add_bulk(b"spec");
                c.add_map_len(2);
                c.add_bulk(b"keyword");
                c.add_bulk(keyword.as_bytes());
                c.add_bulk(b"startfrom");
                c.add_int(start_from as i64);
            }
            BeginSearch::Unknown => {
                c.add_bulk(b"unknown");
                c.add_bulk(b"spec");
                c.add_map_len(0);
            }
        }
        c.add_bulk(b"find_keys");
        c.add_map_len(2);
        c.add_bulk(b"type");
        match ks.find {
            FindKeys::Range {
                last_key,
                step,
                limit,
            } => {
                c.add_bulk(b"range");
                c.add_bulk(b"spec");
                c.add_map_len(3);
                c.add_bulk(b"lastkey");
                c.add_int(last_key as i64);
                c.add_bulk(b"keystep");
                c.add_int(step as i64);
                c.add_bulk(b"limit");
                c.add_int(limit as i64);
            }
            FindKeys::Keynum {
                keynum_idx,
                first_key,
                step,
            } => {
                c.add_bulk(b"keynum");
                c.add_bulk(b"spec");
                c.add_map_len(3);
                c.add_bulk(b"keynumidx");
                c.add_int(keynum_idx as i64);
                c.add_bulk(b"firstkey");
                c.add_int(first_key as i64);
                c.add_bulk(b"keystep");
                c.add_int(step as i64);
            }
            FindKeys::Unknown => {
                c.add_bulk(b"unknown");
                c.add_bulk(b"spec");
                c.add_map_len(0);
            }
        }
    }
}

/// Subcommand ids of a container, sorted by name for a stable reply.
fn sorted_subcommands(srv: &Server, cmd: &Command) -> Vec<usize> {
    let mut subs: Vec<(&Vec<u8>, &usize)> = cmd.subcommands.iter().collect();
    subs.sort();
    let _ = srv;
    subs.into_iter().map(|(_, &id)| id).collect()
}

/// Top-level command ids sorted by name.
fn sorted_top(srv: &Server) -> Vec<usize> {
    let mut v: Vec<(&Vec<u8>, &usize)> = srv.commands.by_name.iter().collect();
    v.sort();
    v.into_iter().map(|(_, &id)| id).collect()
}

/// addReplyCommandInfo: the 10-element description of one command.
fn reply_command_info(srv: &Server, c: &mut Client, id: usize) {
    let cmd = &srv.commands.cmds[id];
    let (first, last, step) = cmd.legacy_keys;
    c.add_array_len(10);
    c.add_bulk(cmd.fullname.as_bytes());
    c.add_int(cmd.spec.arity as i64);
    let shown = cmd.flags & !HIDDEN_FLAGS;
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(bit, _)| shown & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    c.add_set_len(names.len());
    for n in names {
        c.add_status(n);
    }
    c.add_int(first as i64);
    c.add_int(last as i64);
    c.add_int(step as i64);
    let cats: Vec<&str> = ACL_CATEGORIES
        .iter()
        .enumerate()
        .filter(|(i, _)| cmd.acl & (1u64 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    c.add_set_len(cats.len());
    for n in cats {
        c.add_status(&format!("@{}", n));
    }
    c.add_set_len(cmd.spec.tips.len());
    for t in cmd.spec.tips {
        c.add_bulk(t.as_bytes());
    }
    reply_key_specs(c, cmd.spec.key_specs, cmd.spec.key_notes);
    let subs = sorted_subcommands(srv, cmd);
    if subs.is_empty() && cmd.spec.subcommands.is_empty() {
        c.add_set_len(0);
    } else {
        c.add_array_len(subs.len());
        for s in subs {
            reply_command_info(srv, c, s);
        }
    }
}

/// addReplyCommandDocs: summary, since, group, complexity, subcommands (argument
/// and history documentation is not part of this server's table).
fn reply_command_docs(srv: &Server, c: &mut Client, id: usize) {
    let cmd = &srv.commands.cmds[id];
    let spec = cmd.spec;
    let has_subs = !spec.subcommands.is_empty();
    let mut n = 1;
    n += (!spec.summary.is_empty()) as usize;
    n += (!spec.since.is_empty()) as usize;
    n += (!spec.complexity.is_empty()) as usize;
    n += has_subs as usize;
    c.add_map_len(n);
    if !spec.summary.is_empty() {
        c.add_bulk(b"summary");
        c.add_bulk(spec.summary.as_bytes());
    }
    if !spec.since.is_empty() {
        c.add_bulk(b"since");
        c.add_bulk(spec.since.as_bytes());
    }
    c.add_bulk(b"group");
    c.add_bulk(spec.group.as_bytes());
    if !spec.complexity.is_empty() {
        c.add_bulk(b"complexity");
        c.add_bulk(spec.complexity.as_bytes());
    }
    if has_subs {
        c.add_bulk(b"subcommands");
        let subs = sorted_subcommands(srv, cmd);
        c.add_map_len(subs.len());
        for s in subs {
            c.add_bulk(srv.commands.cmds[s].fullname.as_bytes());
            reply_command_docs(srv, c, s);
        }
    }
}

pub fn command_command(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    let ids = sorted_top(srv);
    c.add_array_len(ids.len());
    for id in ids {
        reply_command_info(srv, c, id);
    }
}

pub fn command_count(srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_int(srv.commands.by_name.len() as i64);
}

pub fn command_info(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() == 2 {
        command_command(srv, c, argv);
        return;
    }
    c.add_array_len(argv.len() - 2);
    for a in argv.iter().skip(2) {
        match srv.commands.lookup_fullname(a) {
            Some(id) => reply_command_info(srv, c, id),
            None => c.add_null_array(),
        }
    }
}

pub fn command_docs(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let ids: Vec<usize> = if argv.len() == 2 {
        sorted_top(srv)
    } else {
        argv.iter()
            .skip(2)
            .filter_map(|a| srv.commands.lookup_fullname(a))
            .collect()
    };
    c.add_map_len(ids.len());
    for id in ids {
        c.add_bulk(srv.commands.cmds[id].fullname.as_bytes());
        reply_command_docs(srv, c, id);
    }
}

pub fn command_list(srv: &mut Server, c: &mut Client, argv: &Argv) {
    enum Filter {
        None,
        Module,
        AclCat(Option<u64>),
        Pattern(Vec<u8>),
    }
    let mut filter = Filter::None;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        if argv.get(i).eq_ignore_ascii_case(b"filterby") && more == 2 {
            let t = argv.get(i + 1);
            let arg = argv.get(i + 2);
            filter = if t.eq_ignore_ascii_case(b"module") {
                Filter::Module
            } else if t.eq_ignore_ascii_case(b"aclcat") {
                let name = String::from_utf8_lossy(arg).to_ascii_lowercase();
                Filter::AclCat(
                    ACL_CATEGORIES
                        .iter()
                        .position(|n| *n == name)
                        .map(|p| 1u64 << p),
                )
            } else if t.eq_ignore_ascii_case(b"pattern") {
                Filter::Pattern(arg.to_vec())
            } else {
                c.add_error_syntax();
                return;
            };
            i += 3;
        } else {
            c.add_error_syntax();
            return;
        }
    }
    let mut names: Vec<&str> = Vec::new();
    for id in sorted_top(srv) {
        let cmd = &srv.commands.cmds[id];
        let mut ids = vec![id];
        ids.extend(sorted_subcommands(srv, cmd));
        for x in ids {
            let cmd = &srv.commands.cmds[x];
            let keep = match &filter {
                Filter::None => true,
                // No module system: no command belongs to a module.
                Filter::Module => false,
                Filter::AclCat(None) => false,
                Filter::AclCat(Some(bit)) => cmd.acl & bit != 0,
                Filter::Pattern(p) => crate::util::glob_match(p, cmd.fullname.as_bytes(), true),
            };
            if keep {
                names.push(cmd.fullname);
            }
        }
    }
    c.add_array_len(names.len());
    for n in names {
        c.add_bulk(n.as_bytes());
    }
}

/// Key-spec flags that depend on the arguments (Redis's getkeys procs for commands
/// whose specs carry VARIABLE_FLAGS). SET without GET only overwrites its key.
fn variable_key_flags(cmd: &Command, args: &Argv, spec_flags: &'static str) -> &'static str {
    if cmd.fullname == "set" {
        let get = args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
        return if get { "RW ACCESS UPDATE" } else { "OW UPDATE" };
    }
    spec_flags
}

fn getkeys(srv: &mut Server, c: &mut Client, argv: &Argv, with_flags: bool) {
    let sub = Argv {
        buf: argv.buf,
        ranges: &argv.ranges[2..],
    };
    let Some(id) = srv.commands.lookup_argv(&sub) else {
        c.add_error("Invalid command specified");
        return;
    };
    let cmd = &srv.commands.cmds[id];
    if cmd.spec.key_specs.is_empty() {
        c.add_error("The command has no key arguments");
        return;
    }
    let arity = cmd.spec.arity;
    let argc = sub.len() as i32;
    if (arity > 0 && arity != argc) || argc < -arity {
        c.add_error("Invalid number of arguments specified for command");
        return;
    }
    match super::keys::get_keys_with_specs(cmd, &sub) {
        Ok(keys) if !keys.is_empty() || cmd.has(flags::NO_MANDATORY_KEYS) => {
            c.add_array_len(keys.len());
            for (pos, spec_idx) in keys {
                if with_flags {
                    c.add_array_len(2);
                    c.add_bulk(sub.get(pos));
                    let f = cmd.spec.key_specs[spec_idx].flags;
                    let f = if f.contains("VARIABLE_FLAGS") {
                        variable_key_flags(cmd, &sub, f)
                    } else {
                        f
                    };
                    reply_key_flags(c, f);
                } else {
                    c.add_bulk(sub.get(pos));
                }
            }
        }
        Err(()) if cmd.has(flags::NO_MANDATORY_KEYS) => c.add_array_len(0),
        _ => c.add_error("Invalid arguments specified for command"),
    }
}

pub fn command_getkeys(srv: &mut Server, c: &mut Client, argv: &Argv) {
    getkeys(srv, c, argv, false);
}

pub fn command_getkeysandflags(srv: &mut Server, c: &mut Client, argv: &Argv) {
    getkeys(srv, c, argv, true);
}

pub fn command_help(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    reply_help(
        c,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
}

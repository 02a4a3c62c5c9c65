//! Loading configuration the way Redis's loadServerConfig does: the file (or a
//! glob of files), then stdin if asked, then the command-line options appended
//! as extra lines; one directive per line, later lines win, `include` nests.
//! Errors come back as `LoadError`, which `report()` prints in Redis's exact
//! "*** FATAL CONFIG FILE ERROR ***" format.

use super::parse::{split_args, split_lines, trim};
use super::{lookup, table, Config};
use crate::commands::CommandTable;
use std::io::Read;

#[derive(Debug)]
pub struct LoadError {
    /// 1-based line number and the (trimmed) line, when the error is about a line.
    pub line: Option<(usize, Vec<u8>)>,
    pub msg: String,
}

impl LoadError {
    /// The text Redis writes to stderr before exiting with status 1.
    pub fn report(&self) -> Vec<u8> {
        let mut out = format!(
            "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\n",
            crate::REDIS_VERSION
        )
        .into_bytes();
        if let Some((n, l)) = &self.line {
            out.extend_from_slice(
                format!("Reading the configuration file, at line {}\n", n).as_bytes(),
            );
            out.extend_from_slice(b">>> '");
            out.extend_from_slice(l);
            out.extend_from_slice(b"'\n");
        }
        out.extend_from_slice(self.msg.as_bytes());
        out.push(b'\n');
        out
    }
}

/// A fatal start-up problem that Redis logs (rather than reporting as a config
/// line error) before exiting: e.g. a config file that can't be opened.
#[derive(Debug)]
pub enum StartError {
    Config(LoadError),
    Logged(String),
}

impl From<LoadError> for StartError {
    fn from(e: LoadError) -> Self {
        StartError::Config(e)
    }
}

/// Splits the command line like Redis's main(): an optional config file first,
/// then `--name value ...` options turned into config lines, and `-` for stdin.
/// Returns (config file, read stdin, options text).
pub fn parse_command_line(args: &[Vec<u8>]) -> (Option<Vec<u8>>, bool, Vec<u8>) {
    let mut j = 1;
    let mut configfile = None;
    let mut from_stdin = false;
    let mut options: Vec<u8> = Vec::new();
    if args.len() >= 2 && args[1].first() != Some(&b'-') {
        configfile = Some(args[1].clone());
        j = 2;
    }
    let argc = args.len();
    let mut handled_last = true;
    while j < argc {
        let a = &args[j];
        let is_dashdash = |x: &Vec<u8>| x.len() >= 2 && x[0] == b'-' && x[1] == b'-';
        if a.as_slice() == b"-" && (j == 1 || j == argc - 1) {
            from_stdin = true;
        } else if handled_last && is_dashdash(a) {
            if !options.is_empty() {
                options.push(b'\n');
            }
            options.extend_from_slice(&a[2..]);
            options.push(b' ');
            let parts = split_args(a).map(|v| v.len()).unwrap_or(0);
            if parts == 1 {
                handled_last = false;
                let last = j == argc - 1;
                let next_dd = !last && is_dashdash(&args[j + 1]);
                if next_dd && a.eq_ignore_ascii_case(b"--save") {
                    options.extend_from_slice(b"\"\"");
                    handled_last = true;
                } else if last && a.eq_ignore_ascii_case(b"--save") {
                    options.extend_from_slice(b"\"\"");
                } else if next_dd && a.eq_ignore_ascii_case(b"--sentinel") {
                    handled_last = true;
                }
            } else {
                handled_last = true;
            }
        } else {
            options.extend_from_slice(super::parse::repr(a).as_bytes());
            options.push(b' ');
            handled_last = true;
        }
        j += 1;
    }
    (configfile, from_stdin, options)
}

fn has_wildcard(p: &[u8]) -> bool {
    p.iter().any(|c| matches!(c, b'*' | b'?' | b'['))
}

/// Expands a glob pattern with the C library's glob(3), sorted as it returns them.
fn glob_paths(pattern: &[u8]) -> Vec<Vec<u8>> {
    let cpat = match std::ffi::CString::new(pattern.to_vec()) {
        Ok(c) => c,
        Err(_) => return Vec::new(),
    };
    let mut out = Vec::new();
    // SAFETY: glob fills a zeroed glob_t we own; we read gl_pathc entries of
    // gl_pathv (valid C strings owned by the glob_t) and release it with globfree.
    unsafe {
        let mut g: libc::glob_t = std::mem::zeroed();
        if libc::glob(cpat.as_ptr(), 0, None, &mut g) == 0 {
            for k in 0..g.gl_pathc {
                let p = *g.gl_pathv.add(k);
                out.push(std::ffi::CStr::from_ptr(p).to_bytes().to_vec());
            }
        }
        libc::globfree(&mut g);
    }
    out
}

fn read_file(path: &[u8]) -> Result<Vec<u8>, StartError> {
    use std::os::unix::ffi::OsStrExt;
    let p = std::ffi::OsStr::from_bytes(path);
    let mut buf = Vec::new();
    match std::fs::File::open(p).and_then(|mut f| f.read_to_end(&mut buf)) {
        Ok(_) => Ok(buf),
        Err(e) => Err(StartError::Logged(format!(
            "Fatal error, can't open config file '{}': {}",
            String::from_utf8_lossy(path),
            crate::server::listen::strerror(&e)
        ))),
    }
}

/// loadServerConfig: file (or glob) + stdin + options, then parse it all.
pub fn load_server_config(
    cfg: &mut Config,
    cmds: &mut CommandTable,
    filename: Option<&[u8]>,
    from_stdin: bool,
    options: Option<&[u8]>,
) -> Result<(), StartError> {
    let mut text = Vec::new();
    if let Some(f) = filename {
        if has_wildcard(f) {
            for p in glob_paths(f) {
                text.extend_from_slice(&read_file(&p)?);
            }
        } else {
            text.extend_from_slice(&read_file(f)?);
        }
    }
    if from_stdin {
        log::warn!("Reading config from stdin");
        let _ = std::io::stdin().read_to_end(&mut text);
    }
    if let Some(o) = options {
        text.push(b'\n');
        text.extend_from_slice(o);
    }
    load_from_string(cfg, cmds, &text)
}

/// loadServerConfigFromString.
pub fn load_from_string(
    cfg: &mut Config,
    cmds: &mut CommandTable,
    text: &[u8],
) -> Result<(), StartError> {
    // A NUL ends the text for Redis (it works on C strings).
    let text = match text.iter().position(|&c| c == 0) {
        Some(p) => &text[..p],
        None => text,
    };
    for (i, raw) in split_lines(text).into_iter().enumerate() {
        let line = trim(raw);
        let err = |msg: &str| LoadError {
            line: Some((i + 1, line.to_vec())),
            msg: msg.to_string(),
        };
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let mut argv = match split_args(line) {
            Some(a) => a,
            None => return Err(err("Unbalanced quotes in configuration line").into()),
        };
        if argv.is_empty() {
            continue;
        }
        argv[0].make_ascii_lowercase();
        if let Some(idx) = lookup(&argv[0]) {
            let d = &table::DIRECTIVES[idx];
            let multi = d.has(table::MULTI_ARG);
            if !multi && argv.len() != 2 {
                return Err(err("wrong number of arguments").into());
            }
            let res = if multi && argv.len() == 2 && !argv[1].is_empty() {
                let parts = split_args(&argv[1]).unwrap_or_default();
                cfg.set_value(idx, &parts, true)
            } else {
                cfg.set_value(idx, &argv[1..], true)
            };
            if let Err(e) = res {
                return Err(err(&e).into());
            }
            continue;
        }
        let name = argv[0].as_slice();
        let argc = argv.len();
        let deprecated = matches!(
            name,
            b"list-max-ziplist-entries" | b"list-max-ziplist-value" | b"lua-replicate-commands"
        );
        if deprecated && argc == 2 {
            continue;
        }
        if name == b"include" && argc == 2 {
            load_server_config(cfg, cmds, Some(&argv[1]), false, None)?;
        } else if name == b"rename-command" && argc == 3 {
            let from = String::from_utf8_lossy(&argv[1]).into_owned();
            let to = String::from_utf8_lossy(&argv[2]).into_owned();
            if let Err(e) = cmds.rename(&from, &to) {
                return Err(err(&e).into());
            }
        } else if name == b"user" && argc >= 2 {
            if let Err((idx, why)) = check_user_rules(&cfg.users, &argv) {
                let msg = format!(
                    "Error in user declaration '{}': {}",
                    String::from_utf8_lossy(&argv[idx.min(argc - 1)]),
                    why
                );
                return Err(err(&msg).into());
            }
            cfg.users.push(argv[1..].to_vec());
        } else if name == b"loadmodule" && argc >= 2 {
            cfg.loadmodules.push(argv[1..].to_vec());
        } else if argv[0].contains(&b'.') {
            if argc < 2 {
                return Err(err("Module config specified without value").into());
            }
            let val = argv[1..]
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            let key = String::from_utf8_lossy(&argv[0]).into_owned();
            cfg.module_configs.retain(|(k, _)| *k != key);
            cfg.module_configs.push((key, val));
        } else if name == b"sentinel" {
            if argc != 1 {
                return Err(err("sentinel directive while not in sentinel mode").into());
            }
        } else {
            return Err(err("Bad directive or wrong number of arguments").into());
        }
    }
    let post = |msg: String| LoadError { line: None, msg };
    if let Some(Some(lf)) = lookup(b"logfile").map(|i| cfg.get_value_bytes(i)).map(|v| {
        if v.is_empty() {
            None
        } else {
            Some(v)
        }
    }) {
        use std::os::unix::ffi::OsStrExt;
        let p = std::ffi::OsStr::from_bytes(&lf);
        if let Err(e) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
        {
            return Err(post(format!(
                "Can't open the log file: {}",
                crate::server::listen::strerror(&e)
            ))
            .into());
        }
    }
    if cfg.get_bool("cluster-enabled")
        && !cfg
            .get_value_bytes(lookup(b"replicaof").unwrap())
            .is_empty()
    {
        return Err(post("replicaof directive not allowed in cluster mode".into()).into());
    }
    let hz_idx = lookup(b"hz").unwrap();
    let hz = cfg.get_i64("hz");
    if !(1..=500).contains(&hz) {
        cfg.values[hz_idx] = super::Value::Num(hz.clamp(1, 500));
    }
    cfg.sync_typed();
    Ok(())
}

/// The syntax checks Redis's ACLAppendUserForLoading makes on a `user` line
/// (rules applied to a throw-away user; unknown commands are tolerated).
/// On error returns the argv index Redis reports (it indexes the original argv
/// with the merged-rule position) and the reason.
fn check_user_rules(
    earlier: &[Vec<Vec<u8>>],
    argv: &[Vec<u8>],
) -> Result<(), (usize, &'static str)> {
    const SYNTAX: &str = "Syntax error";
    if earlier.iter().any(|u| u[0] == argv[1]) {
        return Err((
            1,
            "Duplicate user found. A user can only be defined once in config files",
        ));
    }
    // Merge "(...)" selectors spanning several arguments.
    let mut rules: Vec<Vec<u8>> = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in argv[2..].iter().enumerate() {
        if open.is_none() && op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.clone()));
            continue;
        }
        if let Some((start, mut sel)) = open.take() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                rules.push(sel);
            } else {
                open = Some((start, sel));
            }
            continue;
        }
        rules.push(op.clone());
    }
    if let Some((start, _)) = open {
        return Err((start, SYNTAX));
    }
    let is_hash = |h: &[u8]| {
        h.len() == 64
            && h.iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    };
    let mut passwords: Vec<Vec<u8>> = Vec::new();
    let mut allkeys = false;
    let mut allchannels = false;
    for (j, r) in rules.iter().enumerate() {
        let lower = r.to_ascii_lowercase();
        match lower.as_slice() {
            b"" => continue,
            b"on"
            | b"off"
            | b"skip-sanitize-payload"
            | b"sanitize-payload"
            | b"nopass"
            | b"allcommands"
            | b"nocommands"
            | b"clearselectors" => continue,
            b"resetpass" => {
                passwords.clear();
                continue;
            }
            b"reset" => {
                passwords.clear();
                allkeys = false;
                allchannels = false;
                continue;
            }
            b"allkeys" => {
                allkeys = true;
                continue;
            }
            b"resetkeys" => {
                allkeys = false;
                continue;
            }
            b"allchannels" => {
                allchannels = true;
                continue;
            }
            b"resetchannels" => {
                allchannels = false;
                continue;
            }
            _ => {}
        }
        let (c, rest) = (r[0], &r[1..]);
        match c {
            b'~' | b'%' => {
                if c == b'%' {
                    let tilde = match rest.iter().position(|&x| x == b'~') {
                        Some(t) => t,
                        None => return Err((j, SYNTAX)),
                    };
                    let perms = &rest[..tilde];
                    if perms.is_empty()
                        || !perms.iter().all(|p| matches!(p, b'R' | b'W' | b'r' | b'w'))
                    {
                        return Err((j, SYNTAX));
                    }
                }
                if allkeys {
                    return Err((j, "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"));
                }
                if rest.ends_with(b"~*") || rest == b"*" {
                    allkeys = true;
                }
            }
            b'&' => {
                if allchannels {
                    return Err((j, "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"));
                }
                if rest == b"*" {
                    allchannels = true;
                }
            }
            b'>' => passwords.push(rest.to_vec()),
            b'#' => {
                if !is_hash(rest) {
                    return Err((j, "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"));
                }
            }
            b'<' => {
                let before = passwords.len();
                passwords.retain(|p| p.as_slice() != rest);
                if passwords.len() == before {
                    return Err((
                        j,
                        "The password you are trying to remove from the user does not exist",
                    ));
                }
            }
            b'!' => {
                if !is_hash(rest) {
                    return Err((j, "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"));
                }
                return Err((
                    j,
                    "The password you are trying to remove from the user does not exist",
                ));
            }
            b'+' | b'-' => {
                // Unknown commands/categories are tolerated while loading (ENOENT).
                if rest.is_empty() {
                    return Err((j, SYNTAX));
                }
            }
            b'(' if r.last() == Some(&b')') => {}
            _ => return Err((j, SYNTAX)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, String> {
        let mut c = Config::default();
        let mut t = CommandTable::load();
        match load_from_string(&mut c, &mut t, text.as_bytes()) {
            Ok(()) => Ok(c),
            Err(StartError::Config(e)) => Err(String::from_utf8(e.report()).unwrap()),
            Err(StartError::Logged(s)) => Err(s),
        }
    }

    #[test]
    fn later_lines_win_and_aliases() {
        let c =
            load("port 7000\n# comment\n  port 7001  \nslave-serve-stale-data no\nhz 0\n").unwrap();
        assert_eq!(c.port, 7001);
        assert!(!c.get_bool("replica-serve-stale-data"));
        assert_eq!(c.hz, 1);
        assert_eq!(c.get_i64("hz"), 1);
    }

    #[test]
    fn error_format() {
        let e = load("port 1\nfoo bar\n").unwrap_err();
        assert_eq!(
            e,
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"
        );
        let e = load("appendonly maybe").unwrap_err();
        assert!(e.ends_with(">>> 'appendonly maybe'\nargument must be 'yes' or 'no'\n"));
        let e = load("port 1 2").unwrap_err();
        assert!(e.ends_with("wrong number of arguments\n"));
        let e = load("port \"1").unwrap_err();
        assert!(e.ends_with("Unbalanced quotes in configuration line\n"));
        let e = load("sentinel monitor x").unwrap_err();
        assert!(e.ends_with("sentinel directive while not in sentinel mode\n"));
        assert!(load("list-max-ziplist-entries 10\nsentinel\n").is_ok());
    }

    #[test]
    fn multi_arg_single_string() {
        let c = load("save \"100 1 200 2\"\nsave 300 3\nbind \"127.0.0.1 -::1\"\n").unwrap();
        assert_eq!(c.save_params, vec![(100, 1), (200, 2), (300, 3)]);
        assert_eq!(c.bind, vec!["127.0.0.1", "-::1"]);
        let c = load("save \"\"\n").unwrap();
        assert!(c.save_params.is_empty());
    }

    #[test]
    fn user_lines() {
        assert!(load("user worker +@list +@connection ~jobs:* on >ffa9203c493aa99\n").is_ok());
        let e = load("  user <username> ... acl rules ...").unwrap_err();
        assert!(
            e.ends_with("Error in user declaration 'user': Syntax error\n"),
            "{}",
            e
        );
        let e = load("user a on\nuser a off\n").unwrap_err();
        assert!(e.contains("Error in user declaration 'a': Duplicate user found"));
    }

    #[test]
    fn command_line() {
        let a: Vec<Vec<u8>> = [
            "redis-server",
            "/x.conf",
            "--port",
            "7",
            "--save",
            "--bind",
            "a b",
            "-",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let (f, stdin, o) = parse_command_line(&a);
        assert_eq!(f.unwrap(), b"/x.conf");
        assert!(stdin);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "port \"7\" \nsave \"\"\nbind \"a b\" "
        );
    }

    #[test]
    fn rename_command() {
        let mut c = Config::default();
        let mut t = CommandTable::load();
        load_from_string(
            &mut c,
            &mut t,
            b"rename-command get \"\"\nrename-command set myset\n",
        )
        .unwrap();
        assert!(t.lookup_top(b"get").is_none());
        assert!(t.lookup_top(b"myset").is_some());
        let e = load_from_string(&mut c, &mut t, b"rename-command nosuch x\n").unwrap_err();
        match e {
            StartError::Config(e) => assert_eq!(e.msg, "No such command in rename-command"),
            _ => panic!(),
        }
    }
}

//! The command table: every command's name, arity, flags, ACL categories, key
//! specs and handler, declared as data in `table/` (Redis's commands/*.json) and
//! loaded at start into a lookup map. It drives arity errors, COMMAND, rename-command,
//! commandstats, and key extraction for COMMAND GETKEYS (and later cluster routing).

pub mod call;
pub mod command_cmd;
pub mod keys;
pub mod table;

use crate::networking::Client;
use crate::resp::Argv;
use crate::server::Server;
use std::collections::HashMap;

pub type Handler = fn(&mut Server, &mut Client, &Argv);

/// Where the first key is found (begin_search in Redis 7 key specs).
#[derive(Clone, Copy, Debug)]
pub enum BeginSearch {
    Index(i32),
    Keyword {
        keyword: &'static str,
        start_from: i32,
    },
    Unknown,
}

/// How the keys after the first are found (find_keys).
#[derive(Clone, Copy, Debug)]
pub enum FindKeys {
    Range {
        last_key: i32,
        step: i32,
        limit: i32,
    },
    Keynum {
        keynum_idx: i32,
        first_key: i32,
        step: i32,
    },
    Unknown,
}

#[derive(Clone, Copy, Debug)]
pub struct KeySpec {
    /// Space-separated Redis key-spec flags: "RW ACCESS UPDATE" etc.
    pub flags: &'static str,
    pub begin: BeginSearch,
    pub find: FindKeys,
}

/// One row of the declarative table.
pub struct CommandSpec {
    pub name: &'static str,
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    pub arity: i32,
    /// Space-separated command flags as COMMAND INFO prints them ("write denyoom").
    pub flags: &'static str,
    /// Space-separated ACL categories without '@' ("string", "keyspace").
    pub acl: &'static str,
    pub key_specs: &'static [KeySpec],
    /// The key specs' "notes" as COMMAND INFO shows them: empty, or one per
    /// key spec ("" for a spec without notes).
    pub key_notes: &'static [&'static str],
    /// Request/response policy tips (COMMAND INFO tips).
    pub tips: &'static [&'static str],
    pub handler: Option<Handler>,
    pub subcommands: &'static [CommandSpec],
}

pub mod flags {
    pub const WRITE: u64 = 1 << 0;
    pub const READONLY: u64 = 1 << 1;
    pub const DENYOOM: u64 = 1 << 2;
    pub const MODULE: u64 = 1 << 3;
    pub const ADMIN: u64 = 1 << 4;
    pub const PUBSUB: u64 = 1 << 5;
    pub const NOSCRIPT: u64 = 1 << 6;
    pub const BLOCKING: u64 = 1 << 8;
    pub const LOADING: u64 = 1 << 9;
    pub const STALE: u64 = 1 << 10;
    pub const SKIP_MONITOR: u64 = 1 << 11;
    pub const SKIP_SLOWLOG: u64 = 1 << 12;
    pub const ASKING: u64 = 1 << 13;
    pub const FAST: u64 = 1 << 14;
    pub const NO_AUTH: u64 = 1 << 15;
    pub const MAY_REPLICATE: u64 = 1 << 16;
    pub const SENTINEL: u64 = 1 << 17;
    pub const ONLY_SENTINEL: u64 = 1 << 18;
    pub const NO_MANDATORY_KEYS: u64 = 1 << 19;
    pub const PROTECTED: u64 = 1 << 20;
    pub const NO_ASYNC_LOADING: u64 = 1 << 23;
    pub const NO_MULTI: u64 = 1 << 24;
    pub const MOVABLE_KEYS: u64 = 1 << 25;
    pub const ALLOW_BUSY: u64 = 1 << 26;

    /// Names in Redis's COMMAND INFO order.
    pub const NAMES: &[(u64, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (MODULE, "module"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (SENTINEL, "sentinel"),
        (ONLY_SENTINEL, "only_sentinel"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (PROTECTED, "protected"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories in Redis's order (ACL CAT lists them this way).
pub const ACL_CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Per-command counters (INFO commandstats).
#[derive(Default, Clone)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// latency-tracking histogram, allocated on the command's first call.
    pub latency_hist: Option<Box<crate::latency::Histogram>>,
}

/// A loaded command: the spec plus parsed bitmasks, its full name and stats.
pub struct Command {
    pub spec: &'static CommandSpec,
    /// "get", or "client|list" for subcommands.
    pub fullname: &'static str,
    pub flags: u64,
    pub acl: u64,
    pub id: usize,
    pub parent: Option<usize>,
    pub subcommands: HashMap<Vec<u8>, usize, crate::util::FnvBuild>,
    pub stats: CommandStats,
    /// Legacy (first, last, step) derived from the key specs.
    pub legacy_keys: (i32, i32, i32),
}

impl Command {
    #[inline]
    pub fn has(&self, f: u64) -> bool {
        self.flags & f != 0
    }
}

pub struct CommandTable {
    pub cmds: Vec<Command>,
    /// Top-level names (lowercase) → index; rename-command edits this map only.
    pub by_name: HashMap<Vec<u8>, usize, crate::util::FnvBuild>,
}

fn parse_flags(s: &str, name: &str) -> u64 {
    let mut f = 0;
    for w in s.split_whitespace() {
        match flags::NAMES.iter().find(|(_, n)| *n == w) {
            Some((bit, _)) => f |= bit,
            None => panic!("command table: unknown flag {} on {}", w, name),
        }
    }
    f
}

fn parse_acl(s: &str, fl: u64, name: &str) -> u64 {
    let mut bits = 0u64;
    let bit = |c: &str| {
        1u64 << ACL_CATEGORIES
            .iter()
            .position(|x| *x == c)
            .unwrap_or_else(|| panic!("command table: unknown category {} on {}", c, name))
    };
    for w in s.split_whitespace() {
        bits |= bit(w);
    }
    // Redis's setImplicitACLCategories.
    if fl & flags::WRITE != 0 {
        bits |= bit("write");
    }
    if fl & flags::READONLY != 0 && bits & bit("scripting") == 0 {
        bits |= bit("read");
    }
    if fl & flags::ADMIN != 0 {
        bits |= bit("admin") | bit("dangerous");
    }
    if fl & flags::PUBSUB != 0 {
        bits |= bit("pubsub");
    }
    if fl & flags::FAST != 0 {
        bits |= bit("fast");
    }
    if fl & flags::BLOCKING != 0 {
        bits |= bit("blocking");
    }
    if fl & flags::FAST == 0 {
        bits |= bit("slow");
    }
    bits
}

/// Redis's populateCommandLegacyRangeSpec: the (first, last, step) triple COMMAND INFO shows.
fn legacy_range(spec: &CommandSpec) -> (i32, i32, i32) {
    let mut first = 0;
    let mut last = 0;
    let mut step = 0;
    let mut prev_last = 0;
    for ks in spec.key_specs {
        let (begin, (l, s, limit)) = match (ks.begin, ks.find) {
            (
                BeginSearch::Index(i),
                FindKeys::Range {
                    last_key,
                    step,
                    limit,
                },
            ) => (i, (last_key, step, limit)),
            _ => continue,
        };
        if limit > 1 {
            continue;
        }
        let this_last = if l < 0 { l } else { begin + l };
        if first == 0 {
            first = begin;
            last = this_last;
            step = s;
            prev_last = this_last;
            continue;
        }
        if step != s || prev_last < 0 {
            continue;
        }
        if begin != prev_last + step {
            continue;
        }
        last = this_last;
        prev_last = this_last;
    }
    (first, last, step)
}

impl CommandTable {
    pub fn load() -> CommandTable {
        let mut t = CommandTable {
            cmds: Vec::new(),
            by_name: HashMap::default(),
        };
        for group in table::ALL {
            for spec in group.iter() {
                let id = t.add(spec, None);
                t.by_name.insert(spec.name.as_bytes().to_vec(), id);
            }
        }
        t
    }

    fn add(&mut self, spec: &'static CommandSpec, parent: Option<usize>) -> usize {
        let fl = parse_flags(spec.flags, spec.name);
        let movable = spec.key_specs.iter().any(|k| {
            !matches!(
                (k.begin, k.find),
                (BeginSearch::Index(_), FindKeys::Range { .. })
            )
        });
        let id = self.cmds.len();
        let fullname: &'static str = match parent {
            Some(p) => {
                Box::leak(format!("{}|{}", self.cmds[p].spec.name, spec.name).into_boxed_str())
            }
            None => spec.name,
        };
        self.cmds.push(Command {
            spec,
            fullname,
            flags: fl | if movable { flags::MOVABLE_KEYS } else { 0 },
            acl: parse_acl(spec.acl, fl, spec.name),
            id,
            parent,
            subcommands: HashMap::default(),
            stats: CommandStats::default(),
            legacy_keys: legacy_range(spec),
        });
        for sub in spec.subcommands {
            let sid = self.add(sub, Some(id));
            self.cmds[id]
                .subcommands
                .insert(sub.name.as_bytes().to_vec(), sid);
        }
        id
    }

    /// Looks a top-level command up by name, case-insensitively, without allocating
    /// for names that fit a small stack buffer.
    #[inline]
    pub fn lookup_top(&self, name: &[u8]) -> Option<usize> {
        let mut buf = [0u8; 32];
        if name.len() <= buf.len() {
            for (i, &b) in name.iter().enumerate() {
                buf[i] = b.to_ascii_lowercase();
            }
            self.by_name.get(&buf[..name.len()]).copied()
        } else {
            self.by_name.get(&name.to_ascii_lowercase()).copied()
        }
    }

    /// Resolves a command and, for containers, its subcommand (lookupCommandLogic).
    pub fn lookup_argv(&self, argv: &Argv) -> Option<usize> {
        let id = self.lookup_top(argv.get(0))?;
        let c = &self.cmds[id];
        if c.subcommands.is_empty() || argv.len() < 2 {
            return Some(id);
        }
        c.subcommands
            .get(&argv.get(1).to_ascii_lowercase())
            .copied()
    }

    /// Looks up "name" or "name|sub" as COMMAND INFO / ACL accept them.
    pub fn lookup_fullname(&self, name: &[u8]) -> Option<usize> {
        let lower = name.to_ascii_lowercase();
        let mut parts = lower.splitn(2, |&c| c == b'|');
        let top = parts.next()?;
        let id = *self.by_name.get(top)?;
        match parts.next() {
            None => Some(id),
            Some(sub) => self.cmds[id].subcommands.get(sub).copied(),
        }
    }

    /// rename-command: "" removes the command; otherwise it answers to the new name only.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), String> {
        let id = match self.by_name.remove(from.to_ascii_lowercase().as_bytes()) {
            Some(id) => id,
            None => return Err("No such command in rename-command".into()),
        };
        if !to.is_empty() {
            let key = to.to_ascii_lowercase().into_bytes();
            if self.by_name.contains_key(&key) {
                self.by_name
                    .insert(from.to_ascii_lowercase().into_bytes(), id);
                return Err("Target command name already exists".into());
            }
            self.by_name.insert(key, id);
        }
        Ok(())
    }
}

/// Key-spec shorthands for the table.
pub const fn ks(flags: &'static str, index: i32, last_key: i32, step: i32) -> KeySpec {
    KeySpec {
        flags,
        begin: BeginSearch::Index(index),
        find: FindKeys::Range {
            last_key,
            step,
            limit: 0,
        },
    }
}

pub const fn ks_keynum(
    flags: &'static str,
    index: i32,
    keynum_idx: i32,
    first_key: i32,
    step: i32,
) -> KeySpec {
    KeySpec {
        flags,
        begin: BeginSearch::Index(index),
        find: FindKeys::Keynum {
            keynum_idx,
            first_key,
            step,
        },
    }
}

/// A key found after `keyword` (searched from `start_from`), as GEORADIUS's STORE.
pub const fn ks_keyword(flags: &'static str, keyword: &'static str, start_from: i32) -> KeySpec {
    KeySpec {
        flags,
        begin: BeginSearch::Keyword {
            keyword,
            start_from,
        },
        find: FindKeys::Range {
            last_key: 0,
            step: 1,
            limit: 0,
        },
    }
}

/// Keys no spec can locate (SORT's BY/GET and STORE).
pub const fn ks_unknown(flags: &'static str) -> KeySpec {
    KeySpec {
        flags,
        begin: BeginSearch::Unknown,
        find: FindKeys::Unknown,
    }
}

/// An empty spec row used with struct update syntax in the table.
pub const BASE: CommandSpec = CommandSpec {
    name: "",
    group: "",
    since: "1.0.0",
    summary: "",
    complexity: "",
    arity: 0,
    flags: "",
    acl: "",
    key_specs: &[],
    key_notes: &[],
    tips: &[],
    handler: None,
    subcommands: &[],
};

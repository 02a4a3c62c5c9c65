//! ACL (Redis 7.0): users with password hashes and flags, selectors of command,
//! key and channel permissions, the permission check run before every command
//! (`gate`), authentication, killing the clients of removed users, the ACL log,
//! and loading users from `user` directives or the `aclfile` (ACL LOAD/SAVE).
//! Rule syntax lives in `rules`, the ACL command in `cmd`.

pub mod cmd;
pub mod log;
pub mod rules;
pub mod sha256;

use self::log::{AclLog, Context, Entry, Reason};
use self::rules::{Ctx, RuleError};
use crate::commands::{flags, Command, CommandTable};
use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::Server;
use std::collections::BTreeMap;

/// Command-bitmap size per selector (USER_COMMAND_BITS_COUNT).
pub const COMMAND_BITS: usize = 1024;
pub const COMMAND_WORDS: usize = COMMAND_BITS / 64;
/// Set only by +@all / allcommands: "may run commands added later". It is how a
/// description knows to start from +@all rather than -@all.
pub const FUTURE_BIT: usize = COMMAND_BITS - 1;

/// Key pattern permissions (%R~, %W~, ~).
pub const PERM_READ: u8 = 1;
pub const PERM_WRITE: u8 = 2;
pub const PERM_ALL: u8 = PERM_READ | PERM_WRITE;

/// Client user id of connections that bypass ACLs (Redis's NULL user: fake clients).
pub const NO_USER: u32 = u32::MAX;
pub const DEFAULT_USER: u32 = 0;

pub mod uflags {
    pub const ENABLED: u8 = 1;
    pub const DISABLED: u8 = 2;
    pub const NOPASS: u8 = 4;
    pub const SKIP_SANITIZE: u8 = 8;
    pub const SANITIZE: u8 = 16;
    /// In the order ACL LIST and ACL GETUSER show them.
    pub const NAMES: [(u8, &str); 5] = [
        (ENABLED, "on"),
        (DISABLED, "off"),
        (NOPASS, "nopass"),
        (SKIP_SANITIZE, "skip-sanitize-payload"),
        (SANITIZE, "sanitize-payload"),
    ];
}

#[derive(Clone, PartialEq, Debug)]
pub struct KeyPattern {
    pub flags: u8,
    pub pattern: Vec<u8>,
}

/// One set of command/key/channel permissions; a user may run a command when
/// any of its selectors allows all of it.
#[derive(Clone, Debug)]
pub struct Selector {
    pub root: bool,
    pub allkeys: bool,
    pub allchannels: bool,
    pub allcommands: bool,
    pub allowed: [u64; COMMAND_WORDS],
    /// Command id → first arguments allowed although the command bit is off
    /// ("+select|0").
    pub firstargs: Vec<(usize, Vec<Vec<u8>>)>,
    pub patterns: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub struct User {
    pub name: Vec<u8>,
    pub flags: u8,
    /// SHA-256 hex of each valid password.
    pub passwords: Vec<String>,
    /// `selectors[0]` is the root selector (rules given outside parentheses).
    pub selectors: Vec<Selector>,
}

pub struct Acl {
    /// By user id; id 0 is the default user, which always exists.
    pub users: Vec<Option<User>>,
    /// Name → id, sorted as Redis's radix tree lists users.
    pub by_name: BTreeMap<Vec<u8>, u32>,
    /// Per user id: some selector allows every command, key and channel, so the
    /// per-command check can be skipped (the hot path for the default user).
    pub unrestricted: Vec<bool>,
    pub log: AclLog,
}

impl Acl {
    pub fn new(cmds: &CommandTable) -> Acl {
        assert!(
            cmds.cmds.len() < FUTURE_BIT,
            "command table exceeds the ACL bitmap"
        );
        let ctx = Ctx {
            cmds,
            pubsub_all: false,
        };
        let mut acl = Acl {
            users: Vec::new(),
            by_name: BTreeMap::new(),
            unrestricted: Vec::new(),
            log: AclLog::default(),
        };
        acl.put(User::new_default(ctx));
        acl
    }

    pub fn user(&self, id: u32) -> Option<&User> {
        self.users.get(id as usize).and_then(|u| u.as_ref())
    }

    pub fn id_of(&self, name: &[u8]) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    pub fn default_user(&self) -> &User {
        self.users[0].as_ref().expect("default user")
    }

    /// authRequired's server half: connections must AUTH unless the default
    /// user is enabled and "nopass".
    pub fn default_requires_auth(&self) -> bool {
        let d = self.default_user();
        !d.has(uflags::NOPASS) || d.has(uflags::DISABLED)
    }

    /// Whether a new connection starts authenticated (clientSetDefaultAuth).
    pub fn default_auto_auth(&self) -> bool {
        !self.default_requires_auth()
    }

    /// Stores a user under its name, replacing an existing one in place (same id).
    pub fn put(&mut self, user: User) -> u32 {
        let id = match self.by_name.get(&user.name) {
            Some(&id) => id,
            None => {
                let id = self
                    .users
                    .iter()
                    .skip(1)
                    .position(|u| u.is_none())
                    .map(|i| i + 1)
                    .unwrap_or(self.users.len());
                if id == self.users.len() {
                    self.users.push(None);
                    self.unrestricted.push(false);
                }
                self.by_name.insert(user.name.clone(), id as u32);
                id as u32
            }
        };
        self.unrestricted[id as usize] = user
            .selectors
            .iter()
            .any(|s| s.allcommands && s.allkeys && s.allchannels);
        self.users[id as usize] = Some(user);
        id
    }

    /// Removes a user (never the default one); its clients must be killed by the caller.
    pub fn remove(&mut self, id: u32) -> Option<User> {
        if id == DEFAULT_USER {
            return None;
        }
        let u = self.users.get_mut(id as usize)?.take()?;
        self.by_name.remove(&u.name);
        self.unrestricted[id as usize] = false;
        Some(u)
    }

    /// ACLCheckUserCredentials: the user id when the pair is valid.
    pub fn check_credentials(&self, name: &[u8], pass: &[u8]) -> Option<u32> {
        let id = self.id_of(name)?;
        let u = self.user(id)?;
        if u.has(uflags::DISABLED) {
            return None;
        }
        if u.has(uflags::NOPASS) {
            return Some(id);
        }
        let hashed = sha256::sha256_hex(pass);
        let ok = u.passwords.iter().fold(false, |acc, p| {
            acc | time_independent_eq(p.as_bytes(), hashed.as_bytes())
        });
        ok.then_some(id)
    }
}

/// Compares without an early exit, so timing does not leak the matching prefix.
fn time_independent_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

pub fn ctx(srv: &Server) -> Ctx<'_> {
    Ctx {
        cmds: &srv.commands,
        pubsub_all: pubsub_default_all(srv),
    }
}

fn pubsub_default_all(srv: &Server) -> bool {
    srv.config.get_enum("acl-pubsub-default") == "allchannels"
}

// ---------------------------------------------------------------------------
// Permission checks

/// Key-spec flags as the permission they need (ACLSelectorCheckKey).
fn spec_perm(spec_flags: &str) -> u8 {
    let mut p = 0;
    for f in spec_flags.split_whitespace() {
        match f {
            "ACCESS" => p |= PERM_READ,
            "INSERT" | "DELETE" | "UPDATE" => p |= PERM_WRITE,
            _ => {}
        }
    }
    p
}

/// getKeysFromCommandWithSpecs for ACL purposes: (argument index, permission
/// needed). SET and BITFIELD have VARIABLE_FLAGS specs, so their real access is
/// read from the arguments as Redis's setGetKeys / bitfieldGetKeys do.
fn command_keys(cmd: &Command, argv: &Argv) -> Vec<(usize, u8)> {
    match cmd.fullname {
        "set" => {
            let get = (3..argv.len()).any(|i| argv.get(i).eq_ignore_ascii_case(b"get"));
            vec![(1, if get { PERM_ALL } else { PERM_WRITE })]
        }
        "bitfield" => {
            let mut readonly = true;
            let mut i = 2;
            while i < argv.len() {
                let rem = argv.len() - i - 1;
                let a = argv.get(i);
                if a.eq_ignore_ascii_case(b"get") && rem >= 2 {
                    i += 2;
                } else if (a.eq_ignore_ascii_case(b"set") || a.eq_ignore_ascii_case(b"incrby"))
                    && rem >= 3
                {
                    readonly = false;
                    break;
                } else if a.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
                    i += 1;
                } else {
                    readonly = false;
                    break;
                }
                i += 1;
            }
            vec![(1, if readonly { PERM_READ } else { PERM_ALL })]
        }
        _ => match crate::commands::keys::get_keys_with_specs(cmd, argv) {
            Ok(keys) => keys
                .into_iter()
                .filter_map(|(pos, si)| {
                    let f = cmd.spec.key_specs[si].flags;
                    (!f.split_whitespace().any(|x| x == "NOT_KEY")).then(|| (pos, spec_perm(f)))
                })
                .collect(),
            Err(()) => Vec::new(),
        },
    }
}

/// The channel arguments of the pub/sub commands (Redis's commands_with_channels):
/// (first index, count or all, is_pattern, checked). Unsubscribes are not checked.
fn channel_spec(cmd: &Command) -> Option<(usize, Option<usize>, bool)> {
    match cmd.fullname {
        "subscribe" | "ssubscribe" => Some((1, None, false)),
        "psubscribe" => Some((1, None, true)),
        "publish" | "spublish" => Some((1, Some(1), false)),
        _ => None,
    }
}

fn selector_check_key(s: &Selector, key: &[u8], need: u8) -> bool {
    s.allkeys
        || s.patterns
            .iter()
            .any(|p| p.flags & need == need && crate::util::glob_match(&p.pattern, key, false))
}

/// ACLCheckChannelAgainstList: a PSUBSCRIBE pattern must equal an ACL pattern literally.
pub fn channel_allowed(list: &[Vec<u8>], channel: &[u8], is_pattern: bool) -> bool {
    list.iter().any(|p| {
        if is_pattern {
            p.as_slice() == channel
        } else {
            crate::util::glob_match(p, channel, false)
        }
    })
}

/// ACLSelectorCheckCmd.
fn selector_check(
    s: &Selector,
    cmd: &Command,
    argv: &Argv,
    keys: &mut Option<Vec<(usize, u8)>>,
) -> Result<(), (Reason, usize)> {
    if !s.allcommands && cmd.flags & flags::NO_AUTH == 0 && !s.bit(cmd.id) {
        let idx = if cmd.parent.is_some() { 2 } else { 1 };
        let ok = argv.len() >= 2
            && argv.len() > idx
            && s.firstargs_of(cmd.id)
                .is_some_and(|l| l.iter().any(|a| a.eq_ignore_ascii_case(argv.get(idx))));
        if !ok {
            return Err((Reason::Command, 0));
        }
    }
    if !s.allkeys {
        let keys = keys.get_or_insert_with(|| command_keys(cmd, argv));
        for &(pos, need) in keys.iter() {
            if !selector_check_key(s, argv.get(pos), need) {
                return Err((Reason::Key, pos));
            }
        }
    }
    if !s.allchannels {
        if let Some((start, count, is_pattern)) = channel_spec(cmd) {
            let stop = count.map_or(argv.len(), |n| (start + n).min(argv.len()));
            for i in start..stop {
                if !channel_allowed(&s.channels, argv.get(i), is_pattern) {
                    return Err((Reason::Channel, i));
                }
            }
        }
    }
    Ok(())
}

/// ACLCheckAllUserCommandPerm: Ok if any selector allows the command; otherwise
/// the most relevant denial (commands < keys < channels; later argument wins).
pub fn check_user_command(user: &User, cmd: &Command, argv: &Argv) -> Result<(), (Reason, usize)> {
    let mut relevant = (Reason::Command, 0usize);
    let mut keys = None;
    for s in &user.selectors {
        match selector_check(s, cmd, argv, &mut keys) {
            Ok(()) => return Ok(()),
            Err((r, i)) => {
                if r > relevant.0 || (r == relevant.0 && i > relevant.1) {
                    relevant = (r, i);
                }
            }
        }
    }
    Err(relevant)
}

/// ACLUserCheckCmdWithUnrestrictedKeyAccess for read access: may one of the
/// user's selectors run the command and also read every key ("~*", "%R~*")?
/// SORT's BY and GET read keys that no key spec names.
pub fn user_has_unrestricted_read(srv: &Server, user_id: u32, cmd: &Command, argv: &Argv) -> bool {
    let Some(u) = srv.acl.user(user_id) else {
        return true;
    };
    let mut keys = None;
    u.selectors.iter().any(|s| {
        selector_check(s, cmd, argv, &mut keys).is_ok()
            && (s.allkeys
                || s.patterns
                    .iter()
                    .any(|p| p.flags & PERM_READ == PERM_READ && p.pattern == b"*"))
    })
}

/// ACLUserCheckKeyPerm: may `user` access `key` with permission `need`? (for
/// commands that touch keys named outside their key specs, like SORT BY/GET).
#[allow(dead_code)] // no caller yet: SORT needs unrestricted access, not per-key checks.
pub fn user_check_key(srv: &Server, user_id: u32, key: &[u8], need: u8) -> bool {
    match srv.acl.user(user_id) {
        None => true,
        Some(u) => u.selectors.iter().any(|s| selector_check_key(s, key, need)),
    }
}

/// ACLUserCheckChannelPerm.
#[allow(dead_code)] // pub/sub (issue 7) is its first caller.
pub fn user_check_channel(srv: &Server, user_id: u32, channel: &[u8], is_pattern: bool) -> bool {
    match srv.acl.user(user_id) {
        None => true,
        Some(u) => u
            .selectors
            .iter()
            .any(|s| s.allchannels || channel_allowed(&s.channels, channel, is_pattern)),
    }
}

/// processCommand's ACL gate. The common case (a user with an unrestricted
/// selector, like the default user) costs one flag test: ACL_CHECK is set only
/// on clients whose user needs the full check.
#[inline(always)]
pub fn gate(srv: &mut Server, c: &mut Client, id: usize, argv: &Argv) -> bool {
    if !c.flags.has(ClientFlags::ACL_CHECK) {
        return true;
    }
    gate_slow(srv, c, id, argv)
}

#[cold]
#[inline(never)]
fn gate_slow(srv: &mut Server, c: &mut Client, id: usize, argv: &Argv) -> bool {
    let context = if c.flags.has(ClientFlags::MULTI) {
        Context::Multi
    } else {
        Context::Toplevel
    };
    let Some(reason) = check_and_log(srv, c, id, argv, context) else {
        return true;
    };
    let fullname = srv.commands.cmds[id].fullname;
    match reason {
        Reason::Command => c.add_error(&format!(
            "-NOPERM this user has no permissions to run the '{}' command",
            fullname
        )),
        Reason::Key => c.add_error(
            "-NOPERM this user has no permissions to access one of the keys used as arguments",
        ),
        Reason::Channel => c.add_error(
            "-NOPERM this user has no permissions to access one of the channels used as arguments",
        ),
        Reason::Auth => c.add_error("no permission"),
    }
    false
}

/// ACLCheckAllPerm, logging a denial (ACL LOG) in `context`.
fn check_and_log(
    srv: &mut Server,
    c: &Client,
    id: usize,
    argv: &Argv,
    context: Context,
) -> Option<Reason> {
    let user = srv.acl.user(c.user_id)?;
    let cmd = &srv.commands.cmds[id];
    let Err((reason, pos)) = check_user_command(user, cmd, argv) else {
        return None;
    };
    let object = match reason {
        Reason::Command => cmd.fullname.as_bytes().to_vec(),
        _ => argv.get(pos).to_vec(),
    };
    add_log_entry(srv, c, reason, context, object, None);
    Some(reason)
}

/// EXEC re-checks each queued command: the rules may have changed since it was
/// queued. Returns the reason text of execCommand's NOPERM error.
pub fn exec_time_denial(
    srv: &mut Server,
    c: &Client,
    id: usize,
    argv: &Argv,
) -> Option<&'static str> {
    if !c.flags.has(ClientFlags::ACL_CHECK) {
        return None;
    }
    Some(match check_and_log(srv, c, id, argv, Context::Multi)? {
        Reason::Command => "no permission to execute the command or subcommand",
        Reason::Key => "no permission to touch the specified keys",
        Reason::Channel => "no permission to access one of the channels used as arguments",
        Reason::Auth => "no permission",
    })
}

/// addACLLogEntry.
pub fn add_log_entry(
    srv: &mut Server,
    c: &Client,
    reason: Reason,
    context: Context,
    object: Vec<u8>,
    username: Option<&[u8]>,
) {
    let username = match username {
        Some(u) => u.to_vec(),
        None => c.user.as_bytes().to_vec(),
    };
    let e = Entry {
        count: 1,
        reason,
        context,
        object,
        username,
        ctime_ms: crate::util::mstime(),
        client_info: srv.client_info_string(c),
    };
    let max = srv.config.get_i64("acllog-max-len").max(0) as usize;
    srv.acl.log.add(e, max);
}

// ---------------------------------------------------------------------------
// Authentication and clients

/// Points a client at a user, keeping its name and ACL_CHECK flag in step.
pub fn set_client_user(acl: &Acl, c: &mut Client, id: u32) {
    c.user_id = id;
    c.user = match acl.user(id) {
        Some(u) => String::from_utf8_lossy(&u.name).into_owned(),
        None => "default".into(),
    };
    refresh_check_flag(acl, c);
}

fn refresh_check_flag(acl: &Acl, c: &mut Client) {
    let restricted =
        c.user_id != NO_USER && acl.unrestricted.get(c.user_id as usize) != Some(&true);
    if restricted {
        c.flags.set(ClientFlags::ACL_CHECK);
    } else {
        c.flags.clear(ClientFlags::ACL_CHECK);
    }
}

/// Stores a new or changed user and refreshes the ACL_CHECK flag of its clients
/// (`current` is the client running the command, outside the client table).
pub fn store_user(srv: &mut Server, current: Option<&mut Client>, u: User) -> u32 {
    let id = srv.acl.put(u);
    let acl = &srv.acl;
    for (_, x) in srv.clients.iter_mut() {
        if let Some(x) = x.as_deref_mut() {
            if x.user_id == id {
                refresh_check_flag(acl, x);
            }
        }
    }
    if let Some(c) = current {
        if c.user_id == id {
            refresh_check_flag(acl, c);
        }
    }
    id
}

/// Puts a client in the state of a fresh connection (clientSetDefaultAuth).
pub fn set_default_auth(srv: &Server, c: &mut Client) {
    set_client_user(&srv.acl, c, DEFAULT_USER);
    c.authenticated = srv.acl.default_auto_auth();
}

/// ACLAuthenticateUser: on success the client becomes that user; on failure the
/// attempt is logged (object: the command name as typed).
pub fn authenticate(
    srv: &mut Server,
    c: &mut Client,
    user: &[u8],
    pass: &[u8],
    cmdname: &[u8],
) -> bool {
    match srv.acl.check_credentials(user, pass) {
        Some(id) => {
            c.authenticated = true;
            set_client_user(&srv.acl, c, id);
            true
        }
        None => {
            add_log_entry(
                srv,
                c,
                Reason::Auth,
                Context::Toplevel,
                cmdname.to_vec(),
                Some(user),
            );
            false
        }
    }
}

/// ACLFreeUserAndKillClients for a set of removed users: their connections go
/// back to the unauthenticated default user and are closed — the current client
/// after its reply, the others before the next sleep.
pub fn kill_clients_of(srv: &mut Server, current: Option<&mut Client>, ids: &[u32]) {
    if ids.is_empty() {
        return;
    }
    let tokens: Vec<usize> = srv
        .clients
        .iter()
        .filter_map(|(_, x)| x.as_deref())
        .filter(|x| ids.contains(&x.user_id))
        .map(|x| x.token)
        .collect();
    for t in tokens {
        let Some(x) = srv.clients[t - crate::server::FIRST_CLIENT_TOKEN].as_deref_mut() else {
            continue;
        };
        set_client_user(&srv.acl, x, DEFAULT_USER);
        x.authenticated = false;
        if !x.flags.has(ClientFlags::CLOSE_ASAP) {
            x.flags.set(ClientFlags::CLOSE_ASAP);
            srv.close_asap.push(t);
        }
    }
    if let Some(c) = current {
        if ids.contains(&c.user_id) {
            set_client_user(&srv.acl, c, DEFAULT_USER);
            c.authenticated = false;
            c.flags.set(ClientFlags::CLOSE_AFTER_REPLY);
        }
    }
}

/// ACLUpdateDefaultUserPassword: `requirepass` is the default user's password.
pub fn update_default_password(srv: &mut Server) {
    let ctx = ctx(srv);
    let mut u = srv.acl.default_user().clone();
    let _ = u.apply(ctx, b"resetpass");
    match srv.config.requirepass.clone() {
        Some(p) => {
            let mut op = b">".to_vec();
            op.extend_from_slice(&p);
            let _ = u.apply(ctx, &op);
        }
        None => {
            let _ = u.apply(ctx, b"nopass");
        }
    }
    store_user(srv, None, u);
}

// ---------------------------------------------------------------------------
// Loading and saving

/// ACLLoadUsersAtStartup: `user` directives, then the `aclfile`. Err is the
/// fatal message Redis logs before exiting.
pub fn load_at_startup(srv: &mut Server) -> Result<(), String> {
    update_default_password(srv);
    let aclfile = aclfile(srv);
    if !aclfile.is_empty() && !srv.config.users.is_empty() {
        return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.".into());
    }
    let lines = srv.config.users.clone();
    for line in &lines {
        let name = &line[0];
        if rules::has_spaces(name) {
            ::log::warn!("Spaces not allowed in ACL usernames");
            return Err("Critical error while loading ACLs. Exiting.".into());
        }
        let rules = match rules::merge_selector_args(&line[1..]) {
            Ok(r) => r,
            Err(_) => return Err("Critical error while loading ACLs. Exiting.".into()),
        };
        let ctx = ctx(srv);
        let mut u = match srv.acl.id_of(name) {
            // Only "default" can already exist: a `user default` line starts from reset.
            Some(id) => {
                let mut u = srv.acl.user(id).unwrap().clone();
                let _ = u.apply(ctx, b"reset");
                u
            }
            None => User::new(name, ctx.pubsub_all),
        };
        for r in &rules {
            if let Err(e) = u.apply(ctx, r) {
                ::log::warn!(
                    "Error loading ACL rule '{}' for the user named '{}': {}",
                    String::from_utf8_lossy(r),
                    String::from_utf8_lossy(name),
                    e.message()
                );
                return Err("Critical error while loading ACLs. Exiting.".into());
            }
        }
        if u.has(uflags::DISABLED) {
            ::log::info!("The user '{}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.", String::from_utf8_lossy(name));
        }
        srv.acl.put(u);
    }
    if !aclfile.is_empty() {
        if let Err(e) = load_from_file(srv, None) {
            return Err(format!(
                "Aborting Redis startup because of ACL errors: {}",
                e
            ));
        }
    }
    Ok(())
}

pub fn aclfile(srv: &Server) -> String {
    String::from_utf8_lossy(&srv.config.get_str("aclfile").unwrap_or_default()).into_owned()
}

/// ACLLoadFromFile: all or nothing. On success every previous user except the
/// default one (updated in place) is replaced and their clients are killed.
pub fn load_from_file(srv: &mut Server, current: Option<&mut Client>) -> Result<(), String> {
    let path = aclfile(srv);
    let text = std::fs::read(&path).map_err(|e| {
        format!(
            "Error loading ACLs, opening file '{}': {}",
            path,
            crate::server::listen::strerror(&e)
        )
    })?;
    let ctx = ctx(srv);
    let mut errors = String::new();
    let mut users: BTreeMap<Vec<u8>, User> = BTreeMap::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let linenum = i + 1;
        let line = trim_set(line, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<Vec<u8>> = line.split(|&b| b == b' ').map(|a| a.to_vec()).collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{}:{} should start with user keyword followed by the username. ",
                path, linenum
            ));
            continue;
        }
        if rules::has_spaces(&argv[1]) {
            errors.push_str(&format!(
                "'{}:{}: username '{}' contains invalid characters. ",
                path,
                linenum,
                String::from_utf8_lossy(&argv[1])
            ));
            continue;
        }
        if users.contains_key(&argv[1]) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {}. ",
                String::from_utf8_lossy(&argv[1]),
                linenum
            ));
            continue;
        }
        let mut u = User::new(&argv[1], ctx.pubsub_all);
        let merged = match rules::merge_selector_args(&argv[2..]) {
            Ok(m) => m,
            Err(_) => {
                errors.push_str(&format!(
                    "{}:{}: Unmatched parenthesis in selector definition.",
                    path, linenum
                ));
                Vec::new()
            }
        };
        let mut syntax_error = false;
        for op in &merged {
            let op = trim_set(op, b"\t\r\n");
            if let Err(e) = u.apply(ctx, op) {
                if e == RuleError::UnknownName {
                    errors.push_str(&format!(
                        "{}:{}: Error in applying operation '{}': {}. ",
                        path,
                        linenum,
                        String::from_utf8_lossy(op),
                        e.message()
                    ));
                } else if !syntax_error {
                    errors.push_str(&format!("{}:{}: {}. ", path, linenum, e.message()));
                    syntax_error = true;
                }
            }
        }
        users.insert(argv[1].clone(), u);
    }
    if !errors.is_empty() {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
        );
        return Err(errors);
    }
    let default = users
        .remove(b"default".as_slice())
        .unwrap_or_else(|| User::new_default(ctx));
    let old: Vec<u32> = srv
        .acl
        .by_name
        .values()
        .copied()
        .filter(|&id| id != DEFAULT_USER)
        .collect();
    for &id in &old {
        srv.acl.remove(id);
    }
    for (_, u) in users {
        srv.acl.put(u);
    }
    let mut current = current;
    kill_clients_of(srv, current.as_deref_mut(), &old);
    store_user(srv, current, default);
    Ok(())
}

fn trim_set<'a>(mut s: &'a [u8], set: &[u8]) -> &'a [u8] {
    while let [first, rest @ ..] = s {
        if !set.contains(first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !set.contains(last) {
            break;
        }
        s = rest;
    }
    s
}

/// "user <name> <rules>" for every user, as ACL LIST, ACL SAVE and CONFIG REWRITE write them.
pub fn user_lines(srv: &Server) -> Vec<String> {
    let ctx = ctx(srv);
    srv.acl
        .by_name
        .values()
        .filter_map(|&id| srv.acl.user(id))
        .map(|u| {
            format!(
                "user {} {}",
                String::from_utf8_lossy(&u.name),
                u.describe(ctx)
            )
        })
        .collect()
}

/// ACLSaveToFile: write a temp file, then rename it over the ACL file.
pub fn save_to_file(srv: &Server) -> std::io::Result<()> {
    let path = aclfile(srv);
    let mut text = String::new();
    for l in user_lines(srv) {
        text.push_str(&l);
        text.push('\n');
    }
    let tmp = format!(
        "{}.tmp-{}-{}",
        path,
        std::process::id(),
        crate::util::mstime()
    );
    let res = (|| {
        std::fs::write(&tmp, text.as_bytes())?;
        std::fs::rename(&tmp, &path)
    })();
    if let Err(e) = &res {
        ::log::warn!("Writing ACL file for ACL SAVE: {}", e);
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::resp::OwnedArgv;

    fn setup(ops: &[&str]) -> (Server, u32) {
        let mut srv = Server::new(Config::default());
        let ctx = ctx(&srv);
        let mut u = User::new(b"u", false);
        for op in ops {
            u.apply(ctx, op.as_bytes()).unwrap();
        }
        let id = srv.acl.put(u);
        (srv, id)
    }

    fn check(srv: &Server, id: u32, args: &[&str]) -> Result<(), (Reason, usize)> {
        let a = OwnedArgv::from_slices(args.iter().map(|s| s.as_bytes()));
        let v = a.view();
        let cid = srv.commands.lookup_argv(&v).unwrap();
        check_user_command(srv.acl.user(id).unwrap(), &srv.commands.cmds[cid], &v)
    }

    #[test]
    fn commands_keys_and_firstargs() {
        let (srv, id) = setup(&["on", "+@all", "%R~read*", "%W~write*", "%RW~rw*"]);
        assert!(!srv.acl.unrestricted[id as usize]);
        assert!(srv.acl.unrestricted[0]);
        assert_eq!(check(&srv, id, &["get", "read"]), Ok(()));
        assert_eq!(check(&srv, id, &["get", "write"]), Err((Reason::Key, 1)));
        assert_eq!(check(&srv, id, &["set", "write", "v"]), Ok(()));
        assert_eq!(
            check(&srv, id, &["set", "write", "v", "get"]),
            Err((Reason::Key, 1))
        );
        assert_eq!(check(&srv, id, &["set", "rw", "v", "GET"]), Ok(()));
        assert_eq!(
            check(&srv, id, &["bitfield", "read", "get", "u4", "0"]),
            Ok(())
        );
        assert_eq!(
            check(&srv, id, &["bitfield", "read", "incrby", "u4", "0", "1"]),
            Err((Reason::Key, 1))
        );
        assert_eq!(check(&srv, id, &["copy", "read", "write"]), Ok(()));
        assert_eq!(
            check(&srv, id, &["copy", "write", "read"]),
            Err((Reason::Key, 1))
        );
        assert_eq!(check(&srv, id, &["exists", "write"]), Ok(()));
        assert_eq!(
            check(&srv, id, &["exists", "nothing"]),
            Err((Reason::Key, 1))
        );
        assert_eq!(
            check(&srv, id, &["mget", "rw", "x", "y"]),
            Err((Reason::Key, 2))
        );

        let (srv, id) = setup(&["on", "-@all", "+select|0", "~*"]);
        assert_eq!(check(&srv, id, &["select", "0"]), Ok(()));
        assert_eq!(check(&srv, id, &["select", "1"]), Err((Reason::Command, 0)));
        assert_eq!(check(&srv, id, &["get", "x"]), Err((Reason::Command, 0)));
        // no_auth commands need no permission.
        assert_eq!(check(&srv, id, &["auth", "x"]), Ok(()));
    }

    #[test]
    fn selectors_pick_the_relevant_denial() {
        let (srv, id) = setup(&["on", "+mget", "~key", "(+mget ~key ~otherkey)"]);
        assert_eq!(check(&srv, id, &["get", "key"]), Err((Reason::Command, 0)));
        assert_eq!(
            check(&srv, id, &["mget", "otherkey", "someotherkey"]),
            Err((Reason::Key, 2))
        );
        assert_eq!(
            check(&srv, id, &["mget", "key", "otherkey", "someotherkey"]),
            Err((Reason::Key, 3))
        );
        assert_eq!(check(&srv, id, &["mget", "key", "otherkey"]), Ok(()));
    }

    #[test]
    fn credentials_and_default_password() {
        let (mut srv, id) = setup(&[">pw"]);
        assert_eq!(srv.acl.check_credentials(b"u", b"pw"), None, "disabled");
        let ctx = ctx(&srv);
        let mut u = srv.acl.user(id).unwrap().clone();
        u.apply(ctx, b"on").unwrap();
        srv.acl.put(u);
        assert_eq!(srv.acl.check_credentials(b"u", b"pw"), Some(id));
        assert_eq!(srv.acl.check_credentials(b"u", b"px"), None);
        assert_eq!(srv.acl.check_credentials(b"nouser", b"pw"), None);
        assert!(!srv.acl.default_requires_auth());
        srv.config.requirepass = Some(b"secret".to_vec());
        update_default_password(&mut srv);
        assert!(srv.acl.default_requires_auth());
        assert_eq!(srv.acl.check_credentials(b"default", b"secret"), Some(0));
        assert_eq!(srv.acl.remove(0).map(|_| ()), None);
        assert!(srv.acl.remove(id).is_some());
        assert_eq!(srv.acl.id_of(b"u"), None);
        // The freed id is reused.
        assert_eq!(srv.acl.put(User::new(b"v", false)), id);
    }

    #[test]
    fn trims() {
        assert_eq!(trim_set(b" \tuser a \r\n", b" \t\r\n"), b"user a");
        assert_eq!(trim_set(b"   ", b" "), b"");
    }
}

/// scriptVerifyACL: a command called from a script, checked against the
/// script caller's user (the fake client carries it); a denial is logged in
/// the "lua" context. Returns the text after "The user executing the script ".
pub fn script_denial(srv: &mut Server, c: &Client, id: usize, argv: &Argv) -> Option<&'static str> {
    if !c.flags.has(ClientFlags::ACL_CHECK) {
        return None;
    }
    Some(match check_and_log(srv, c, id, argv, Context::Lua)? {
        Reason::Command => "can't run this command or subcommand",
        Reason::Key => "can't access at least one of the keys mentioned in the command arguments",
        Reason::Channel => "can't publish to the channel mentioned in the command",
        Reason::Auth => "lacking the permissions for the command",
    })
}

/// redis.acl_check_cmd: may `user_id` run this command line? Nothing is logged.
pub fn command_allowed_for(srv: &Server, user_id: u32, id: usize, argv: &Argv) -> bool {
    match srv.acl.user(user_id) {
        Some(user) => check_user_command(user, &srv.commands.cmds[id], argv).is_ok(),
        None => true,
    }
}

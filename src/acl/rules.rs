//! ACL rule parsing and description: what one `ACL SETUSER` word does to a user or
//! a selector (Redis's ACLSetUser / ACLSetSelector), the "(...)" selector syntax,
//! and the reverse — describing a user as the rules that rebuild it (ACL LIST,
//! ACL GETUSER, ACL SAVE, CONFIG REWRITE), with Redis's greedy category fitting.

use super::sha256::sha256_hex;
use super::{uflags, KeyPattern, Selector, User, COMMAND_WORDS, FUTURE_BIT, PERM_ALL};
use super::{PERM_READ, PERM_WRITE};
use crate::commands::{CommandTable, ACL_CATEGORIES};

/// Why a rule was refused (Redis reports it through errno; ACLSetUserStringError).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RuleError {
    /// ENOENT
    UnknownName,
    /// EINVAL
    Syntax,
    /// EEXIST
    KeyAfterAll,
    /// EISDIR
    ChannelAfterAll,
    /// ENODEV
    NoSuchPassword,
    /// EBADMSG
    BadHash,
    /// ECHILD
    FirstArgOfSubcommand,
}

impl RuleError {
    pub fn message(self) -> &'static str {
        match self {
            RuleError::UnknownName => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAll => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            RuleError::ChannelAfterAll => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
        }
    }
}

/// What rule application needs from the server: the original command table (ACL
/// rules ignore rename-command) and `acl-pubsub-default`.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub cmds: &'a CommandTable,
    pub pubsub_all: bool,
}

/// ACLStringHasSpaces: usernames and patterns may not hold whitespace or NUL.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b == 0 || b == b' ' || (b'\t'..=b'\r').contains(&b))
}

fn is_valid_hash(h: &[u8]) -> bool {
    h.len() == 64
        && h.iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// ACLLookupCommand: "name" or "container|sub" in the original table, strict
/// about the number of parts (lookupCommandBySdsLogic).
pub fn lookup_command(cmds: &CommandTable, name: &[u8]) -> Option<usize> {
    let parts: Vec<&[u8]> = name.split(|&c| c == b'|').collect();
    if parts.len() > 2 {
        return None;
    }
    let base = cmds
        .cmds
        .iter()
        .find(|c| c.parent.is_none() && c.spec.name.as_bytes().eq_ignore_ascii_case(parts[0]))?;
    if parts.len() == 1 {
        return Some(base.id);
    }
    if base.subcommands.is_empty() {
        return None;
    }
    base.subcommands
        .get(&parts[1].to_ascii_lowercase())
        .copied()
}

fn category_bit(name: &[u8]) -> Option<u64> {
    ACL_CATEGORIES
        .iter()
        .position(|c| c.as_bytes().eq_ignore_ascii_case(name))
        .map(|i| 1u64 << i)
}

impl Selector {
    /// ACLCreateSelector: no permissions, except the channels `acl-pubsub-default` grants.
    pub fn new(root: bool, pubsub_all: bool) -> Selector {
        Selector {
            root,
            allkeys: false,
            allchannels: pubsub_all,
            allcommands: false,
            allowed: [0; COMMAND_WORDS],
            firstargs: Vec::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    #[inline]
    pub fn bit(&self, id: usize) -> bool {
        id < COMMAND_WORDS * 64 && self.allowed[id / 64] & (1u64 << (id % 64)) != 0
    }

    /// Clearing any bit drops `allcommands`: the bitmap must then be consulted.
    fn set_bit(&mut self, id: usize, v: bool) {
        if id >= COMMAND_WORDS * 64 {
            return;
        }
        if v {
            self.allowed[id / 64] |= 1u64 << (id % 64);
        } else {
            self.allowed[id / 64] &= !(1u64 << (id % 64));
            self.allcommands = false;
        }
    }

    fn reset_firstargs(&mut self, id: usize) {
        self.firstargs.retain(|(i, _)| *i != id);
    }

    /// ACLChangeSelectorPerm: a container's rule covers its subcommands too.
    fn change_perm(&mut self, cmds: &CommandTable, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.reset_firstargs(id);
        for &sub in cmds.cmds[id].subcommands.values() {
            self.set_bit(sub, allow);
        }
    }

    fn set_category(&mut self, cmds: &CommandTable, cat: u64, allow: bool) {
        for c in &cmds.cmds {
            if c.acl & cat != 0 {
                self.change_perm(cmds, c.id, allow);
            }
        }
    }

    fn count_category(&self, cmds: &CommandTable, cat: u64) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for c in &cmds.cmds {
            if c.acl & cat != 0 {
                if self.bit(c.id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    fn add_firstarg(&mut self, id: usize, arg: &[u8]) {
        match self.firstargs.iter_mut().find(|(i, _)| *i == id) {
            Some((_, list)) => {
                if !list.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
                    list.push(arg.to_vec());
                }
            }
            None => self.firstargs.push((id, vec![arg.to_vec()])),
        }
    }

    pub fn firstargs_of(&self, id: usize) -> Option<&[Vec<u8>]> {
        self.firstargs
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, l)| l.as_slice())
    }

    /// ACLSetSelector: one key, channel or command rule.
    pub fn apply(&mut self, ctx: Ctx, op: &[u8]) -> Result<(), RuleError> {
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("allkeys") || is("~*") {
            self.allkeys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.patterns.clear();
        } else if is("allchannels") || is("&*") {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.allowed = [u64::MAX; COMMAND_WORDS];
            self.allcommands = true;
            self.firstargs.clear();
        } else if is("nocommands") || is("-@all") {
            self.allowed = [0; COMMAND_WORDS];
            self.allcommands = false;
            self.firstargs.clear();
        } else if op.first() == Some(&b'~') || op.first() == Some(&b'%') {
            if self.allkeys {
                return Err(RuleError::KeyAfterAll);
            }
            let mut flags = 0u8;
            let mut offset = 1;
            if op[0] == b'%' {
                while offset < op.len() {
                    let ch = op[offset].to_ascii_uppercase();
                    if ch == b'R' && flags & PERM_READ == 0 {
                        flags |= PERM_READ;
                    } else if ch == b'W' && flags & PERM_WRITE == 0 {
                        flags |= PERM_WRITE;
                    } else if op[offset] == b'~' {
                        offset += 1;
                        break;
                    } else {
                        return Err(RuleError::Syntax);
                    }
                    offset += 1;
                }
                // "%~x" would grant nothing and cannot be described back (Redis
                // panics describing it); refuse it.
                if flags == 0 {
                    return Err(RuleError::Syntax);
                }
            } else {
                flags = PERM_ALL;
            }
            let pat = &op[offset.min(op.len())..];
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            match self.patterns.iter_mut().find(|p| p.pattern == pat) {
                Some(p) => p.flags |= flags,
                None => self.patterns.push(KeyPattern {
                    flags,
                    pattern: pat.to_vec(),
                }),
            }
            self.allkeys = false;
        } else if op.first() == Some(&b'&') {
            if self.allchannels {
                return Err(RuleError::ChannelAfterAll);
            }
            let pat = &op[1..];
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_vec());
            }
            self.allchannels = false;
        } else if op.first() == Some(&b'+') && op.get(1) != Some(&b'@') {
            let name = &op[1..];
            match name.iter().rposition(|&c| c == b'|') {
                None => {
                    let id = lookup_command(ctx.cmds, name).ok_or(RuleError::UnknownName)?;
                    self.change_perm(ctx.cmds, id, true);
                }
                Some(bar) => {
                    let (base, sub) = (&name[..bar], &name[bar + 1..]);
                    let id = lookup_command(ctx.cmds, base).ok_or(RuleError::UnknownName)?;
                    if ctx.cmds.cmds[id].parent.is_some() {
                        return Err(RuleError::FirstArgOfSubcommand);
                    }
                    if sub.is_empty() {
                        return Err(RuleError::Syntax);
                    }
                    if !ctx.cmds.cmds[id].subcommands.is_empty() {
                        let sid = lookup_command(ctx.cmds, name).ok_or(RuleError::UnknownName)?;
                        self.change_perm(ctx.cmds, sid, true);
                    } else {
                        log::warn!("Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +{})", String::from_utf8_lossy(name));
                        self.add_firstarg(id, sub);
                    }
                }
            }
        } else if op.first() == Some(&b'-') && op.get(1) != Some(&b'@') {
            let id = lookup_command(ctx.cmds, &op[1..]).ok_or(RuleError::UnknownName)?;
            self.change_perm(ctx.cmds, id, false);
        } else if (op.first() == Some(&b'+') || op.first() == Some(&b'-'))
            && op.get(1) == Some(&b'@')
        {
            let cat = category_bit(&op[2..]).ok_or(RuleError::UnknownName)?;
            self.set_category(ctx.cmds, cat, op[0] == b'+');
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    /// aclCreateSelectorFromOpSet: "(rule rule ...)" as a new selector.
    fn from_opset(ctx: Ctx, opset: &[u8]) -> Result<Selector, RuleError> {
        let mut s = Selector::new(false, ctx.pubsub_all);
        let inner = &opset[1..opset.len() - 1];
        let words = crate::config::parse::split_args(inner).unwrap_or_default();
        for w in &words {
            s.apply(ctx, w)?;
        }
        Ok(s)
    }

    /// ACLDescribeSelectorCommandRules: "+@all"/"-@all", then the categories that
    /// fit best, then single commands (and first-args) for the remaining difference.
    pub fn describe_commands(&self, ctx: Ctx) -> String {
        let cmds = ctx.cmds;
        let mut rules = String::new();
        let mut fake = Selector::new(false, false);
        let additive = !self.bit(FUTURE_BIT);
        if additive {
            rules.push_str("-@all ");
            let _ = fake.apply(ctx, b"-@all");
        } else {
            rules.push_str("+@all ");
            let _ = fake.apply(ctx, b"+@all");
        }
        let mut temp = Selector::new(false, false);
        temp.allowed = self.allowed;
        let mut applied = [false; 64];
        loop {
            let mut best: Option<usize> = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0usize);
            for (j, _) in ACL_CATEGORIES.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = temp.count_category(cmds, 1u64 << j);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            let cat = 1u64 << j;
            fake.set_category(cmds, cat, additive);
            temp.set_category(cmds, cat, !additive);
            rules.push_str(if additive { "+@" } else { "-@" });
            rules.push_str(ACL_CATEGORIES[j]);
            rules.push(' ');
            applied[j] = true;
        }
        for c in &cmds.cmds {
            let userbit = self.bit(c.id);
            if userbit != fake.bit(c.id) {
                rules.push(if userbit { '+' } else { '-' });
                rules.push_str(c.fullname);
                rules.push(' ');
                fake.change_perm(cmds, c.id, userbit);
            }
            if !userbit {
                if let Some(args) = self.firstargs_of(c.id) {
                    for a in args {
                        rules.push('+');
                        rules.push_str(c.fullname);
                        rules.push('|');
                        rules.push_str(&String::from_utf8_lossy(a));
                        rules.push(' ');
                    }
                }
            }
        }
        rules.pop();
        if fake.allowed != self.allowed {
            log::warn!(
                "CRITICAL ERROR: User ACLs don't match final bitmap: '{}'",
                rules
            );
        }
        rules
    }

    /// The key patterns as rules, space separated ("~a %R~b").
    pub fn describe_keys(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        let mut out = String::new();
        for p in &self.patterns {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(match p.flags {
                PERM_READ => "%R~",
                PERM_WRITE => "%W~",
                _ => "~",
            });
            out.push_str(&String::from_utf8_lossy(&p.pattern));
        }
        out
    }

    /// The channel patterns as ACL GETUSER shows them ("&a &b", or "&*").
    pub fn describe_channels(&self) -> String {
        if self.allchannels {
            return "&*".into();
        }
        let v: Vec<String> = self
            .channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect();
        v.join(" ")
    }

    /// ACLDescribeSelector: keys, channels, then command rules.
    pub fn describe(&self, ctx: Ctx) -> String {
        let mut res = String::new();
        let keys = self.describe_keys();
        if !keys.is_empty() {
            res.push_str(&keys);
            res.push(' ');
        }
        if self.allchannels {
            res.push_str("&* ");
        } else {
            res.push_str("resetchannels ");
            for c in &self.channels {
                res.push('&');
                res.push_str(&String::from_utf8_lossy(c));
                res.push(' ');
            }
        }
        res.push_str(&self.describe_commands(ctx));
        res
    }
}

impl User {
    /// ACLCreateUser: disabled, no passwords, a root selector with no permissions.
    pub fn new(name: &[u8], pubsub_all: bool) -> User {
        User {
            name: name.to_vec(),
            flags: uflags::DISABLED,
            passwords: Vec::new(),
            selectors: vec![Selector::new(true, pubsub_all)],
        }
    }

    /// ACLCreateDefaultUser.
    pub fn new_default(ctx: Ctx) -> User {
        let mut u = User::new(b"default", ctx.pubsub_all);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            u.apply(ctx, op.as_bytes()).expect("default user rules");
        }
        u
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    /// ACLSetUser: one word of ACL SETUSER.
    pub fn apply(&mut self, ctx: Ctx, op: &[u8]) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("on") {
            self.flags = (self.flags | uflags::ENABLED) & !uflags::DISABLED;
        } else if is("off") {
            self.flags = (self.flags | uflags::DISABLED) & !uflags::ENABLED;
        } else if is("skip-sanitize-payload") {
            self.flags = (self.flags | uflags::SKIP_SANITIZE) & !uflags::SANITIZE;
        } else if is("sanitize-payload") {
            self.flags = (self.flags | uflags::SANITIZE) & !uflags::SKIP_SANITIZE;
        } else if is("nopass") {
            self.flags |= uflags::NOPASS;
            self.passwords.clear();
        } else if is("resetpass") {
            self.flags &= !uflags::NOPASS;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let pass = if op[0] == b'>' {
                sha256_hex(&op[1..])
            } else {
                if !is_valid_hash(&op[1..]) {
                    return Err(RuleError::BadHash);
                }
                String::from_utf8_lossy(&op[1..]).into_owned()
            };
            if !self.passwords.contains(&pass) {
                self.passwords.push(pass);
            }
            self.flags &= !uflags::NOPASS;
        } else if op[0] == b'<' || op[0] == b'!' {
            let pass = if op[0] == b'<' {
                sha256_hex(&op[1..])
            } else {
                if !is_valid_hash(&op[1..]) {
                    return Err(RuleError::BadHash);
                }
                String::from_utf8_lossy(&op[1..]).into_owned()
            };
            match self.passwords.iter().position(|p| *p == pass) {
                Some(i) => {
                    self.passwords.remove(i);
                }
                None => return Err(RuleError::NoSuchPassword),
            }
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let s = Selector::from_opset(ctx, op)?;
            self.selectors.push(s);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            for r in ["resetpass", "resetkeys", "resetchannels"] {
                self.apply(ctx, r.as_bytes())?;
            }
            if ctx.pubsub_all {
                self.apply(ctx, b"allchannels")?;
            }
            for r in ["off", "sanitize-payload", "clearselectors", "-@all"] {
                self.apply(ctx, r.as_bytes())?;
            }
        } else {
            self.selectors[0].apply(ctx, op)?;
        }
        Ok(())
    }

    /// ACLDescribeUser: flags, password hashes, the root selector, then "(...)" selectors.
    pub fn describe(&self, ctx: Ctx) -> String {
        let mut res = String::new();
        for (f, name) in uflags::NAMES {
            if self.flags & f != 0 {
                res.push_str(name);
                res.push(' ');
            }
        }
        for p in &self.passwords {
            res.push('#');
            res.push_str(p);
            res.push(' ');
        }
        for s in &self.selectors {
            let d = s.describe(ctx);
            if s.root {
                res.push_str(&d);
            } else {
                res.push_str(" (");
                res.push_str(&d);
                res.push(')');
            }
        }
        res
    }

    /// Applies all `ops` to a copy and commits only if every one is valid
    /// (ACLStringSetUser's staging user).
    pub fn apply_all(&self, ctx: Ctx, ops: &[Vec<u8>]) -> Result<User, (usize, RuleError)> {
        let mut tmp = self.clone();
        for (i, op) in ops.iter().enumerate() {
            tmp.apply(ctx, op).map_err(|e| (i, e))?;
        }
        Ok(tmp)
    }
}

/// ACLMergeSelectorArguments: joins a "(" ... ")" selector spread over several
/// words into one. Err gives the index of the word that opened an unclosed one.
pub fn merge_selector_args(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in args.iter().enumerate() {
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            // Redis restarts the selector at a new "(": the earlier partial is dropped.
            open = Some((j, op.clone()));
            continue;
        }
        if let Some((start, mut sel)) = open.take() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                out.push(sel);
            } else {
                open = Some((start, sel));
            }
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CommandTable {
        CommandTable::load()
    }

    fn user(t: &CommandTable, ops: &[&str]) -> Result<User, (usize, RuleError)> {
        let ctx = Ctx {
            cmds: t,
            pubsub_all: false,
        };
        let ops: Vec<Vec<u8>> = ops.iter().map(|s| s.as_bytes().to_vec()).collect();
        let merged = merge_selector_args(&ops).map_err(|i| (i, RuleError::Syntax))?;
        User::new(b"u", false).apply_all(ctx, &merged)
    }

    fn describe(t: &CommandTable, u: &User) -> String {
        u.describe(Ctx {
            cmds: t,
            pubsub_all: false,
        })
    }

    #[test]
    fn flags_passwords_and_describe() {
        let t = table();
        let u = user(
            &t,
            &[
                "on",
                ">passwd4",
                "nopass",
                "resetpass",
                ">x",
                "~foo:*",
                "&ch",
                "+get",
            ],
        )
        .unwrap();
        assert_eq!(
            describe(&t, &u),
            format!(
                "on #{} ~foo:* resetchannels &ch -@all +get",
                sha256_hex(b"x")
            )
        );
        let u = user(&t, &["on", "nopass", "resetchannels", "&foo", "+@all"]).unwrap();
        assert_eq!(describe(&t, &u), "on nopass resetchannels &foo +@all");
        let d = User::new_default(Ctx {
            cmds: &t,
            pubsub_all: false,
        });
        assert_eq!(describe(&t, &d), "on nopass ~* &* +@all");
    }

    #[test]
    fn password_hash_rules() {
        let t = table();
        let h = "34344e4d60c2b6d639b7bd22e18f2b0b91bc34bf0ac5f9952744435093cfb4e6";
        let u = user(&t, &[&format!("#{}", h)]).unwrap();
        assert_eq!(u.passwords, vec![h.to_string()]);
        assert_eq!(
            user(&t, &[&format!("#{}", &h[..63])]).unwrap_err().1,
            RuleError::BadHash
        );
        assert_eq!(
            user(&t, &[&format!("#{}Q", &h[..63])]).unwrap_err().1,
            RuleError::BadHash
        );
        assert_eq!(
            user(&t, &["<nope"]).unwrap_err().1,
            RuleError::NoSuchPassword
        );
        let u = user(&t, &[">passwd4", &format!("!{}", h)]).unwrap();
        assert!(u.passwords.is_empty());
    }

    #[test]
    fn command_rules_and_errors() {
        let t = table();
        let u = user(&t, &["+@all", "-client|kill"]).unwrap();
        assert_eq!(
            u.root().describe_commands(Ctx {
                cmds: &t,
                pubsub_all: false
            }),
            "+@all -client|kill"
        );
        assert!(!u.root().allcommands);
        let u = user(&t, &["-@all", "+config", "-config|set"]).unwrap();
        let d = u.root().describe_commands(Ctx {
            cmds: &t,
            pubsub_all: false,
        });
        assert!(d.contains("+config") && d.contains("-config|set"), "{}", d);
        let u = user(&t, &["+memory|doctor"]).unwrap();
        assert_eq!(describe(&t, &u), "off resetchannels -@all +memory|doctor");
        let u = user(&t, &["-@all", "+select|0", "+select|1"]).unwrap();
        assert!(describe(&t, &u).ends_with("-@all +select|0 +select|1"));
        for (op, e) in [
            ("+config|get|appendonly", RuleError::FirstArgOfSubcommand),
            ("+config|asdf", RuleError::UnknownName),
            ("-config|asdf", RuleError::UnknownName),
            ("+get|key1|key2", RuleError::UnknownName),
            ("-select|0", RuleError::UnknownName),
            ("+@nosuchcat", RuleError::UnknownName),
            ("+select|", RuleError::Syntax),
            ("bogus", RuleError::Syntax),
            ("%X~a", RuleError::Syntax),
        ] {
            assert_eq!(user(&t, &[op]).unwrap_err().1, e, "{}", op);
        }
        assert_eq!(
            user(&t, &["allkeys", "~x"]).unwrap_err().1,
            RuleError::KeyAfterAll
        );
        assert_eq!(
            user(&t, &["&*", "&x"]).unwrap_err().1,
            RuleError::ChannelAfterAll
        );
    }

    #[test]
    fn category_descriptions_round_trip() {
        let t = table();
        let ctx = Ctx {
            cmds: &t,
            pubsub_all: false,
        };
        for cat in ACL_CATEGORIES {
            // A category with no command in this server cannot change a bitmap.
            let bit = 1u64 << ACL_CATEGORIES.iter().position(|c| c == cat).unwrap();
            if !t.cmds.iter().any(|c| c.acl & bit != 0) {
                continue;
            }
            let u = user(&t, &["+@all", &format!("-@{}", cat)]).unwrap();
            assert_eq!(u.root().describe_commands(ctx), format!("+@all -@{}", cat));
            let u = user(&t, &["-@all", &format!("+@{}", cat)]).unwrap();
            assert_eq!(u.root().describe_commands(ctx), format!("-@all +@{}", cat));
        }
    }

    #[test]
    fn key_patterns() {
        let t = table();
        let u = user(&t, &["%R~foo", "%W~foo", "%RW~bar"]).unwrap();
        assert_eq!(u.root().describe_keys(), "~foo ~bar");
        let u = user(&t, &["%R~foo1", "%W~bar1", "~baz1"]).unwrap();
        assert_eq!(u.root().describe_keys(), "%R~foo1 %W~bar1 ~baz1");
        let u = user(&t, &["~a", "allkeys"]).unwrap();
        assert!(u.root().allkeys && u.root().patterns.is_empty());
    }

    #[test]
    fn selectors() {
        let t = table();
        let u = user(
            &t,
            &["(~key1 +get )", "( ~key2", "+get", ")", "clearselectors"],
        )
        .unwrap();
        assert_eq!(u.selectors.len(), 1);
        let u = user(&t, &["(~key1 +get )", "( ~key2", "+get", ")"]).unwrap();
        assert_eq!(u.selectors.len(), 3);
        assert_eq!(u.selectors[2].describe_keys(), "~key2");
        assert_eq!(
            describe(&t, &u),
            "off resetchannels -@all (~key1 resetchannels -@all +get) (~key2 resetchannels -@all +get)"
        );
        assert_eq!(
            user(&t, &["(this-is-invalid)"]).unwrap_err().1,
            RuleError::Syntax
        );
        assert_eq!(
            user(&t, &["(&* &fail)"]).unwrap_err().1,
            RuleError::ChannelAfterAll
        );
        assert_eq!(user(&t, &[" () "]).unwrap_err().1, RuleError::Syntax);
        assert_eq!(user(&t, &[")"]).unwrap_err().1, RuleError::Syntax);
        assert!(merge_selector_args(&[b"(".to_vec()]).is_err());
        let u = user(&t, &["reset", "()"]).unwrap();
        assert_eq!(
            u.selectors[1].describe_commands(Ctx {
                cmds: &t,
                pubsub_all: false
            }),
            "-@all"
        );
    }
}

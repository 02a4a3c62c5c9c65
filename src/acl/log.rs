//! The ACL security log (ACL LOG): denied commands, keys, channels and failed
//! AUTHs, newest first, similar recent events folded into one entry with a count,
//! at most `acllog-max-len` entries.

use std::collections::VecDeque;

/// Events closer in time than this are grouped (ACL_LOG_GROUPING_MAX_TIME_DELTA).
const GROUPING_MAX_DELTA_MS: i64 = 60_000;

/// Ordered as Redis's ACL_DENIED_* values, which ACLCheckAllUserCommandPerm
/// compares to pick the error to report.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Reason {
    Command = 1,
    Key = 2,
    Auth = 3,
    Channel = 4,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Auth => "auth",
            Reason::Channel => "channel",
        }
    }
}

/// Multi and Lua are logged once MULTI and scripting (issue 7) run commands.
#[allow(dead_code)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Context {
    Toplevel,
    Multi,
    Lua,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

pub struct Entry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    pub ctime_ms: i64,
    pub client_info: String,
}

#[derive(Default)]
pub struct AclLog {
    /// Newest first.
    pub entries: VecDeque<Entry>,
}

impl AclLog {
    /// addACLLogEntry: folds into one of the 10 newest similar entries, or adds
    /// a new one and trims to `max_len`.
    pub fn add(&mut self, e: Entry, max_len: usize) {
        let found = self.entries.iter().take(10).position(|x| {
            x.reason == e.reason
                && x.context == e.context
                && (x.ctime_ms - e.ctime_ms).abs() <= GROUPING_MAX_DELTA_MS
                && x.object == e.object
                && x.username == e.username
        });
        match found {
            Some(i) => {
                let mut m = self.entries.remove(i).unwrap();
                m.client_info = e.client_info;
                m.ctime_ms = e.ctime_ms;
                m.count += 1;
                self.entries.push_front(m);
            }
            None => {
                self.entries.push_front(e);
                self.entries.truncate(max_len);
            }
        }
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(obj: &str, t: i64) -> Entry {
        Entry {
            count: 1,
            reason: Reason::Command,
            context: Context::Toplevel,
            object: obj.as_bytes().to_vec(),
            username: b"u".to_vec(),
            ctime_ms: t,
            client_info: format!("at {}", t),
        }
    }

    #[test]
    fn groups_similar_and_trims() {
        let mut l = AclLog::default();
        l.add(entry("get", 0), 5);
        l.add(entry("set", 1), 5);
        l.add(entry("get", 2), 5);
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.entries[0].count, 2);
        assert_eq!(l.entries[0].client_info, "at 2");
        l.add(entry("get", 2 + 60_001), 5);
        assert_eq!(l.entries.len(), 3);
        for i in 0..10 {
            l.add(entry(&format!("k{}", i), 100), 5);
        }
        assert_eq!(l.entries.len(), 5);
        assert_eq!(l.entries[0].object, b"k9");
    }
}

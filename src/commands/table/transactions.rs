//! Transaction commands (Redis 7.0.15 src/commands/*.json, group "transactions").

use crate::commands::{ks, CommandSpec, BASE};
use crate::multi::*;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "discard",
        group: "transactions",
        since: "2.0.0",
        summary: "Discard all commands issued after MULTI",
        complexity: "O(N), when N is the number of queued commands",
        arity: 1,
        flags: "noscript loading stale fast allow_busy",
        acl: "transaction",
        handler: Some(discard_command),
        ..BASE
    },
    CommandSpec {
        name: "exec",
        group: "transactions",
        since: "1.2.0",
        summary: "Execute all commands issued after MULTI",
        complexity: "Depends on commands in the transaction",
        arity: 1,
        flags: "noscript loading stale skip_slowlog",
        acl: "transaction",
        handler: Some(exec_command),
        ..BASE
    },
    CommandSpec {
        name: "multi",
        group: "transactions",
        since: "1.2.0",
        summary: "Mark the start of a transaction block",
        complexity: "O(1)",
        arity: 1,
        flags: "noscript loading stale fast allow_busy",
        acl: "transaction",
        handler: Some(multi_command),
        ..BASE
    },
    CommandSpec {
        name: "unwatch",
        group: "transactions",
        since: "2.2.0",
        summary: "Forget about all watched keys",
        complexity: "O(1)",
        arity: 1,
        flags: "noscript loading stale fast allow_busy",
        acl: "transaction",
        handler: Some(unwatch_command),
        ..BASE
    },
    CommandSpec {
        name: "watch",
        group: "transactions",
        since: "2.2.0",
        summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
        complexity: "O(1) for every key.",
        arity: -2,
        flags: "noscript loading stale fast allow_busy",
        acl: "transaction",
        key_specs: &[ks("RO", 1, -1, 1)],
        handler: Some(watch_command),
        ..BASE
    },
];

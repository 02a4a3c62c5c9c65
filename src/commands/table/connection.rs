//! Connection commands.

use crate::commands::{CommandSpec, BASE};
use crate::server::conn_cmds::*;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "ping",
        group: "connection",
        summary: "Ping the server",
        complexity: "O(1)",
        arity: -1,
        flags: "fast",
        acl: "connection",
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        handler: Some(ping_command),
        ..BASE
    },
    CommandSpec {
        name: "echo",
        group: "connection",
        summary: "Echo the given string",
        complexity: "O(1)",
        arity: 2,
        flags: "fast",
        acl: "connection",
        handler: Some(echo_command),
        ..BASE
    },
    CommandSpec {
        name: "select",
        group: "connection",
        since: "2.0.0",
        summary: "Change the selected database for the current connection",
        complexity: "O(1)",
        arity: 2,
        flags: "loading stale fast",
        acl: "connection",
        handler: Some(select_command),
        ..BASE
    },
    CommandSpec {
        name: "quit",
        group: "connection",
        summary: "Close the connection",
        complexity: "O(1)",
        arity: -1,
        flags: "noscript loading stale fast no_auth allow_busy",
        acl: "connection",
        handler: Some(quit_command),
        ..BASE
    },
];

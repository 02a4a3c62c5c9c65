//! Server commands.

use crate::commands::{CommandSpec, BASE};
use crate::slowlog::*;

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "slowlog",
    group: "server",
    since: "2.2.12",
    summary: "A container for slow log commands",
    complexity: "Depends on subcommand.",
    arity: -2,
    subcommands: &[
        CommandSpec {
            name: "get",
            group: "server",
            since: "2.2.12",
            summary: "Get the slow log's entries",
            complexity: "O(N) where N is the number of entries returned",
            arity: -2,
            flags: "admin loading stale",
            tips: &["request_policy:all_nodes", "nondeterministic_output"],
            handler: Some(slowlog_get),
            ..BASE
        },
        CommandSpec {
            name: "len",
            group: "server",
            since: "2.2.12",
            summary: "Get the slow log's length",
            complexity: "O(1)",
            arity: 2,
            flags: "admin loading stale",
            tips: &[
                "request_policy:all_nodes",
                "response_policy:agg_sum",
                "nondeterministic_output",
            ],
            handler: Some(slowlog_len),
            ..BASE
        },
        CommandSpec {
            name: "reset",
            group: "server",
            since: "2.2.12",
            summary: "Clear all entries from the slow log",
            complexity: "O(N) where N is the number of entries in the slowlog",
            arity: 2,
            flags: "admin loading stale",
            tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
            handler: Some(slowlog_reset),
            ..BASE
        },
        CommandSpec {
            name: "help",
            group: "server",
            since: "6.2.0",
            summary: "Show helpful text about the different subcommands",
            complexity: "O(1)",
            arity: 2,
            flags: "loading stale",
            handler: Some(slowlog_help),
            ..BASE
        },
    ],
    ..BASE
}];

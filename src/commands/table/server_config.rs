//! CONFIG and its subcommands (Redis 7.0.15's commands/config*.json).

use crate::commands::{CommandSpec, BASE};
use crate::config::cmd::*;

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "config",
    group: "server",
    since: "2.0.0",
    summary: "A container for server configuration commands",
    complexity: "Depends on subcommand.",
    arity: -2,
    subcommands: &[
        CommandSpec {
            name: "get",
            group: "server",
            since: "2.0.0",
            summary: "Get the values of configuration parameters",
            complexity: "O(N) when N is the number of configuration parameters provided",
            arity: -3,
            flags: "admin noscript loading stale",
            handler: Some(config_get),
            ..BASE
        },
        CommandSpec {
            name: "set",
            group: "server",
            since: "2.0.0",
            summary: "Set configuration parameters to the given values",
            complexity: "O(N) when N is the number of configuration parameters provided",
            arity: -4,
            flags: "admin noscript loading stale",
            tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
            handler: Some(config_set),
            ..BASE
        },
        CommandSpec {
            name: "resetstat",
            group: "server",
            since: "2.0.0",
            summary: "Reset the stats returned by INFO",
            complexity: "O(1)",
            arity: 2,
            flags: "admin noscript loading stale",
            handler: Some(config_resetstat),
            ..BASE
        },
        CommandSpec {
            name: "rewrite",
            group: "server",
            since: "2.8.0",
            summary: "Rewrite the configuration file with the in memory configuration",
            complexity: "O(1)",
            arity: 2,
            flags: "admin noscript loading stale",
            handler: Some(config_rewrite),
            ..BASE
        },
        CommandSpec {
            name: "help",
            group: "server",
            since: "5.0.0",
            summary: "Show helpful text about the different subcommands",
            complexity: "O(1)",
            arity: 2,
            flags: "loading stale",
            handler: Some(config_help),
            ..BASE
        },
    ],
    ..BASE
}];

//! Server introspection commands (Redis 7.0.15 src/commands/*.json): BGREWRITEAOF COMMAND INFO
//! LASTSAVE LATENCY MEMORY MONITOR PSYNC REPLCONF ROLE SHUTDOWN SLOWLOG SYNC TIME.

use crate::commands::command_cmd::*;
use crate::commands::{ks, CommandSpec, BASE};
use crate::latency::*;
use crate::server::info::*;
use crate::server::server_cmds::*;
use crate::slowlog::*;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "bgrewriteaof",
        group: "server",
        since: "1.0.0",
        summary: "Asynchronously rewrite the append-only file",
        complexity: "O(1)",
        arity: 1,
        flags: "admin noscript no_async_loading",
        handler: Some(crate::aof::bgrewriteaof_command),
        ..BASE
    },
    CommandSpec {
        name: "command",
        group: "server",
        since: "2.8.13",
        summary: "Get array of Redis command details",
        complexity: "O(N) where N is the total number of Redis commands",
        arity: -1,
        flags: "loading stale sentinel",
        acl: "connection",
        tips: &["nondeterministic_output_order"],
        handler: Some(command_command),
        subcommands: &[
        CommandSpec {
            name: "count",
            group: "server",
            since: "2.8.13",
            summary: "Get total number of Redis commands",
            complexity: "O(1)",
            arity: 2,
            flags: "loading stale sentinel",
            acl: "connection",
            handler: Some(command_count),
            ..BASE
        },
        CommandSpec {
            name: "docs",
            group: "server",
            since: "7.0.0",
            summary: "Get array of specific Redis command documentation",
            complexity: "O(N) where N is the number of commands to look up",
            arity: -2,
            flags: "loading stale sentinel",
            acl: "connection",
            tips: &["nondeterministic_output_order"],
            handler: Some(command_docs),
            ..BASE
        },
        CommandSpec {
            name: "getkeys",
            group: "server",
            since: "2.8.13",
            summary: "Extract keys given a full Redis command",
            complexity: "O(N) where N is the number of arguments to the command",
            arity: -4,
            flags: "loading stale sentinel",
            acl: "connection",
            handler: Some(command_getkeys),
            ..BASE
        },
        CommandSpec {
            name: "getkeysandflags",
            group: "server",
            since: "7.0.0",
            summary: "Extract keys and access flags given a full Redis command",
            complexity: "O(N) where N is the number of arguments to the command",
            arity: -4,
            flags: "loading stale sentinel",
            acl: "connection",
            handler: Some(command_getkeysandflags),
            ..BASE
        },
        CommandSpec {
            name: "help",
            group: "server",
            since: "5.0.0",
            summary: "Show helpful text about the different subcommands",
            complexity: "O(1)",
            arity: 2,
            flags: "loading stale sentinel",
            acl: "connection",
            handler: Some(command_help),
            ..BASE
        },
        CommandSpec {
            name: "info",
            group: "server",
            since: "2.8.13",
            summary: "Get array of specific Redis command details, or all when no argument is given.",
            complexity: "O(N) where N is the number of commands to look up",
            arity: -2,
            flags: "loading stale sentinel",
            acl: "connection",
            tips: &["nondeterministic_output_order"],
            handler: Some(command_info),
            ..BASE
        },
        CommandSpec {
            name: "list",
            group: "server",
            since: "7.0.0",
            summary: "Get an array of Redis command names",
            complexity: "O(N) where N is the total number of Redis commands",
            arity: -2,
            flags: "loading stale sentinel",
            acl: "connection",
            tips: &["nondeterministic_output_order"],
            handler: Some(command_list),
            ..BASE
        },
        ],
        ..BASE
    },
    CommandSpec {
        name: "info",
        group: "server",
        since: "1.0.0",
        summary: "Get information and statistics about the server",
        complexity: "O(1)",
        arity: -1,
        flags: "loading stale sentinel",
        acl: "dangerous",
        tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        handler: Some(info_command),
        ..BASE
    },
    CommandSpec {
        name: "lastsave",
        group: "server",
        since: "1.0.0",
        summary: "Get the UNIX time stamp of the last successful save to disk",
        complexity: "O(1)",
        arity: 1,
        flags: "loading stale fast",
        acl: "admin dangerous",
        tips: &["nondeterministic_output"],
        handler: Some(lastsave_command),
        ..BASE
    },
    CommandSpec {
        name: "latency",
        group: "server",
        since: "2.8.13",
        summary: "A container for latency diagnostics commands",
        complexity: "Depends on subcommand.",
        arity: -2,
        subcommands: &[
        CommandSpec {
            name: "doctor",
            group: "server",
            since: "2.8.13",
            summary: "Return a human readable latency analysis report.",
            complexity: "O(1)",
            arity: 2,
            flags: "admin noscript loading stale",
            tips: &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
            handler: Some(latency_doctor),
            ..BASE
        },
        CommandSpec {
            name: "graph",
            group: "server",
            since: "2.8.13",
            summary: "Return a latency graph for the event.",
            complexity: "O(1)",
            arity: 3,
            flags: "admin noscript loading stale",
            tips: &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
            handler: Some(latency_graph),
            ..BASE
        },
        CommandSpec {
            name: "help",
            group: "server",
            since: "2.8.13",
            summary: "Show helpful text about the different subcommands.",
            complexity: "O(1)",
            arity: 2,
            flags: "loading stale",
            handler: Some(latency_help),
            ..BASE
        },
        CommandSpec {
            name: "histogram",
            group: "server",
            since: "7.0.0",
            summary: "Return the cumulative distribution of latencies of a subset of commands or all.",
            complexity: "O(N) where N is the number of commands with latency information being retrieved.",
            arity: -2,
            flags: "admin noscript loading stale",
            tips: &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
            handler: Some(latency_histogram),
            ..BASE
        },
        CommandSpec {
            name: "history",
            group: "server",
            since: "2.8.13",
            summary: "Return timestamp-latency samples for the event.",
            complexity: "O(1)",
            arity: 3,
            flags: "admin noscript loading stale",
            tips: &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
            handler: Some(latency_history),
            ..BASE
        },
        CommandSpec {
            name: "latest",
            group: "server",
            since: "2.8.13",
            summary: "Return the latest latency samples for all events.",
            complexity: "O(1)",
            arity: 2,
            flags: "admin noscript loading stale",
            tips: &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
            handler: Some(latency_latest),
            ..BASE
        },
        CommandSpec {
            name: "reset",
            group: "server",
            since: "2.8.13",
            summary: "Reset latency data for one or more events.",
            complexity: "O(1)",
            arity: -2,
            flags: "admin noscript loading stale",
            tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
            handler: Some(latency_reset),
            ..BASE
        },
        ],
        ..BASE
    },
    CommandSpec {
        name: "memory",
        group: "server",
        since: "4.0.0",
        summary: "A container for memory diagnostics commands",
        complexity: "Depends on subcommand.",
        arity: -2,
        subcommands: &[
        CommandSpec {
            name: "doctor",
            group: "server",
            since: "4.0.0",
            summary: "Outputs memory problems report",
            complexity: "O(1)",
            arity: 2,
            tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
            handler: Some(memory_doctor),
            ..BASE
        },
        CommandSpec {
            name: "help",
            group: "server",
            since: "4.0.0",
            summary: "Show helpful text about the different subcommands",
            complexity: "O(1)",
            arity: 2,
            flags: "loading stale",
            handler: Some(memory_help),
            ..BASE
        },
        CommandSpec {
            name: "malloc-stats",
            group: "server",
            since: "4.0.0",
            summary: "Show allocator internal stats",
            complexity: "Depends on how much memory is allocated, could be slow",
            arity: 2,
            tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
            handler: Some(memory_malloc_stats),
            ..BASE
        },
        CommandSpec {
            name: "purge",
            group: "server",
            since: "4.0.0",
            summary: "Ask the allocator to release memory",
            complexity: "Depends on how much memory is allocated, could be slow",
            arity: 2,
            tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
            handler: Some(memory_purge),
            ..BASE
        },
        CommandSpec {
            name: "stats",
            group: "server",
            since: "4.0.0",
            summary: "Show memory usage details",
            complexity: "O(1)",
            arity: 2,
            tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
            handler: Some(memory_stats),
            ..BASE
        },
        CommandSpec {
            name: "usage",
            group: "server",
            since: "4.0.0",
            summary: "Estimate the memory usage of a key",
            complexity: "O(N) where N is the number of samples.",
            arity: -3,
            flags: "readonly",
            key_specs: &[ks("RO", 2, 0, 1)],
            handler: Some(memory_usage),
            ..BASE
        },
        ],
        ..BASE
    },
    CommandSpec {
        name: "monitor",
        group: "server",
        since: "1.0.0",
        summary: "Listen for all requests received by the server in real time",
        arity: 1,
        flags: "admin noscript loading stale",
        handler: Some(monitor_command),
        ..BASE
    },
    CommandSpec {
        name: "psync",
        group: "server",
        since: "2.8.0",
        summary: "Internal command used for replication",
        arity: -3,
        flags: "admin noscript no_async_loading no_multi",
        acl: "admin dangerous",
        handler: Some(crate::replication::cmds::sync_command),
        ..BASE
    },
    CommandSpec {
        name: "replconf",
        group: "server",
        since: "3.0.0",
        summary: "An internal command for configuring the replication stream",
        complexity: "O(1)",
        arity: -1,
        flags: "admin noscript loading stale allow_busy",
        acl: "admin dangerous",
        handler: Some(crate::replication::cmds::replconf_command),
        ..BASE
    },
    CommandSpec {
        name: "replicaof",
        group: "server",
        since: "5.0.0",
        summary: "Make the server a replica of another instance, or promote it as master.",
        complexity: "O(1)",
        arity: 3,
        flags: "admin noscript stale no_async_loading",
        acl: "admin dangerous",
        handler: Some(crate::replication::replica::replicaof_command),
        ..BASE
    },
    CommandSpec {
        name: "role",
        group: "server",
        since: "2.8.12",
        summary: "Return the role of the instance in the context of replication",
        complexity: "O(1)",
        arity: 1,
        flags: "noscript loading stale fast sentinel",
        acl: "admin dangerous",
        handler: Some(role_command),
        ..BASE
    },
    CommandSpec {
        name: "shutdown",
        group: "server",
        since: "1.0.0",
        summary: "Synchronously save the dataset to disk and then shut down the server",
        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        arity: -1,
        flags: "admin noscript loading stale no_multi sentinel allow_busy",
        handler: Some(shutdown_command),
        ..BASE
    },
    CommandSpec {
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
        CommandSpec {
            name: "len",
            group: "server",
            since: "2.2.12",
            summary: "Get the slow log's length",
            complexity: "O(1)",
            arity: 2,
            flags: "admin loading stale",
            tips: &["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"],
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
        ],
        ..BASE
    },
    CommandSpec {
        name: "slaveof",
        group: "server",
        since: "1.0.0",
        summary: "Make the server a replica of another instance, or promote it as master.",
        complexity: "O(1)",
        arity: 3,
        flags: "admin noscript stale no_async_loading",
        acl: "admin dangerous",
        handler: Some(crate::replication::replica::replicaof_command),
        ..BASE
    },
    CommandSpec {
        name: "sync",
        group: "server",
        since: "1.0.0",
        summary: "Internal command used for replication",
        arity: 1,
        flags: "admin noscript no_async_loading no_multi",
        acl: "admin dangerous",
        handler: Some(crate::replication::cmds::sync_command),
        ..BASE
    },
    CommandSpec {
        name: "time",
        group: "server",
        since: "2.6.0",
        summary: "Return the current server time",
        complexity: "O(1)",
        arity: 1,
        flags: "loading stale fast",
        tips: &["nondeterministic_output"],
        handler: Some(time_command),
        ..BASE
    },
];

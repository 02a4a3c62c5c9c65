//! Pub/sub commands (Redis 7.0.15 src/commands/*.json, group "pubsub").

use crate::commands::{ks, CommandSpec, BASE};
use crate::pubsub::*;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "psubscribe",
        group: "pubsub",
        since: "2.0.0",
        summary: "Listen for messages published to channels matching the given patterns",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        arity: -2,
        flags: "pubsub noscript loading stale sentinel",
        handler: Some(psubscribe_command),
        ..BASE
    },
    CommandSpec {
        name: "publish",
        group: "pubsub",
        since: "2.0.0",
        summary: "Post a message to a channel",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        arity: 3,
        flags: "pubsub loading stale fast may_replicate sentinel",
        handler: Some(publish_command),
        ..BASE
    },
    CommandSpec {
        name: "pubsub",
        group: "pubsub",
        since: "2.8.0",
        summary: "A container for Pub/Sub commands",
        complexity: "Depends on subcommand.",
        arity: -2,
        subcommands: &[
            CommandSpec {
                name: "channels",
                group: "pubsub",
                since: "2.8.0",
                summary: "List active channels",
                complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
                arity: -2,
                flags: "pubsub loading stale",
                handler: Some(pubsub_channels),
                ..BASE
            },
            CommandSpec {
                name: "help",
                group: "pubsub",
                since: "6.2.0",
                summary: "Show helpful text about the different subcommands",
                complexity: "O(1)",
                arity: 2,
                flags: "loading stale",
                handler: Some(pubsub_help),
                ..BASE
            },
            CommandSpec {
                name: "numpat",
                group: "pubsub",
                since: "2.8.0",
                summary: "Get the count of unique patterns pattern subscriptions",
                complexity: "O(1)",
                arity: 2,
                flags: "pubsub loading stale",
                handler: Some(pubsub_numpat),
                ..BASE
            },
            CommandSpec {
                name: "numsub",
                group: "pubsub",
                since: "2.8.0",
                summary: "Get the count of subscribers for channels",
                complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
                arity: -2,
                flags: "pubsub loading stale",
                handler: Some(pubsub_numsub),
                ..BASE
            },
            CommandSpec {
                name: "shardchannels",
                group: "pubsub",
                since: "7.0.0",
                summary: "List active shard channels",
                complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
                arity: -2,
                flags: "pubsub loading stale",
                handler: Some(pubsub_shardchannels),
                ..BASE
            },
            CommandSpec {
                name: "shardnumsub",
                group: "pubsub",
                since: "7.0.0",
                summary: "Get the count of subscribers for shard channels",
                complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
                arity: -2,
                flags: "pubsub loading stale",
                handler: Some(pubsub_shardnumsub),
                ..BASE
            },
        ],
        ..BASE
    },
    CommandSpec {
        name: "punsubscribe",
        group: "pubsub",
        since: "2.0.0",
        summary: "Stop listening for messages posted to channels matching the given patterns",
        complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
        arity: -1,
        flags: "pubsub noscript loading stale sentinel",
        handler: Some(punsubscribe_command),
        ..BASE
    },
    CommandSpec {
        name: "spublish",
        group: "pubsub",
        since: "7.0.0",
        summary: "Post a message to a shard channel",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        arity: 3,
        flags: "pubsub loading stale fast may_replicate",
        key_specs: &[ks("NOT_KEY", 1, 0, 1)],
        handler: Some(spublish_command),
        ..BASE
    },
    CommandSpec {
        name: "ssubscribe",
        group: "pubsub",
        since: "7.0.0",
        summary: "Listen for messages published to the given shard channels",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        arity: -2,
        flags: "pubsub noscript loading stale",
        key_specs: &[ks("NOT_KEY", 1, -1, 1)],
        handler: Some(ssubscribe_command),
        ..BASE
    },
    CommandSpec {
        name: "subscribe",
        group: "pubsub",
        since: "2.0.0",
        summary: "Listen for messages published to the given channels",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        arity: -2,
        flags: "pubsub noscript loading stale sentinel",
        handler: Some(subscribe_command),
        ..BASE
    },
    CommandSpec {
        name: "sunsubscribe",
        group: "pubsub",
        since: "7.0.0",
        summary: "Stop listening for messages posted to the given shard channels",
        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
        arity: -1,
        flags: "pubsub noscript loading stale",
        key_specs: &[ks("NOT_KEY", 1, -1, 1)],
        handler: Some(sunsubscribe_command),
        ..BASE
    },
    CommandSpec {
        name: "unsubscribe",
        group: "pubsub",
        since: "2.0.0",
        summary: "Stop listening for messages posted to the given channels",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        arity: -1,
        flags: "pubsub noscript loading stale sentinel",
        handler: Some(unsubscribe_command),
        ..BASE
    },
];

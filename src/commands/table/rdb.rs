//! RDB persistence commands (SAVE, BGSAVE) and DUMP/RESTORE, rows copied from
//! Redis 7.0.15's commands/*.json.

use crate::commands::{ks, CommandSpec, BASE};
use crate::rdb::cmds::*;
use crate::rdb::dump::*;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "save",
        group: "server",
        summary: "Synchronously save the dataset to disk",
        complexity: "O(N) where N is the total number of keys in all databases",
        arity: 1,
        flags: "no_async_loading admin noscript no_multi",
        handler: Some(save_command),
        ..BASE
    },
    CommandSpec {
        name: "bgsave",
        group: "server",
        summary: "Asynchronously save the dataset to disk",
        complexity: "O(1)",
        arity: -1,
        flags: "no_async_loading admin noscript",
        handler: Some(bgsave_command),
        ..BASE
    },
    CommandSpec {
        name: "dump",
        group: "generic",
        since: "2.6.0",
        summary: "Return a serialized version of the value stored at the specified key.",
        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
        arity: 2,
        flags: "readonly",
        acl: "keyspace",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        tips: &["nondeterministic_output"],
        handler: Some(dump_command),
        ..BASE
    },
    CommandSpec {
        name: "restore",
        group: "generic",
        since: "2.6.0",
        summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        arity: -4,
        flags: "write denyoom",
        acl: "keyspace dangerous",
        key_specs: &[ks("OW UPDATE", 1, 0, 1)],
        handler: Some(restore_command),
        ..BASE
    },
];

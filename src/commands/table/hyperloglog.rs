//! HyperLogLog commands (Redis 7.0.15's commands/pf*.json, group "hyperloglog").

use crate::commands::{ks, CommandSpec, BASE};
use crate::hyperloglog::*;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "pfadd",
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Adds the specified elements to the specified HyperLogLog.",
        complexity: "O(1) to add every element.",
        arity: -2,
        flags: "write denyoom fast",
        acl: "hyperloglog",
        key_specs: &[ks("RW INSERT", 1, 0, 1)],
        handler: Some(pfadd_command),
        ..BASE
    },
    CommandSpec {
        name: "pfcount",
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
        arity: -2,
        flags: "readonly may_replicate",
        acl: "hyperloglog",
        key_specs: &[ks("RW ACCESS", 1, -1, 1)],
        handler: Some(pfcount_command),
        ..BASE
    },
    CommandSpec {
        name: "pfmerge",
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Merge N different HyperLogLogs into a single one.",
        complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
        arity: -2,
        flags: "write denyoom",
        acl: "hyperloglog",
        key_specs: &[ks("RW ACCESS INSERT", 1, 0, 1), ks("RO ACCESS", 2, -1, 1)],
        handler: Some(pfmerge_command),
        ..BASE
    },
    CommandSpec {
        name: "pfdebug",
        group: "hyperloglog",
        since: "2.8.9",
        summary: "Internal commands for debugging HyperLogLog values",
        complexity: "N/A",
        arity: 3,
        flags: "write denyoom admin",
        acl: "hyperloglog",
        key_specs: &[ks("RW ACCESS", 2, 0, 1)],
        handler: Some(pfdebug_command),
        ..BASE
    },
    CommandSpec {
        name: "pfselftest",
        group: "hyperloglog",
        since: "2.8.9",
        summary: "An internal command for testing HyperLogLog values",
        complexity: "N/A",
        arity: 1,
        flags: "admin",
        acl: "hyperloglog",
        handler: Some(pfselftest_command),
        ..BASE
    },
];

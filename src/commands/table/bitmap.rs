//! Bitmap commands (Redis 7.0.15's commands/*.json, group "bitmap").

use crate::bitops::*;
use crate::commands::{ks, CommandSpec, BASE};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "setbit",
        group: "bitmap",
        since: "2.2.0",
        summary: "Sets or clears the bit at offset in the string value stored at key",
        complexity: "O(1)",
        arity: 4,
        flags: "write denyoom",
        acl: "bitmap",
        key_specs: &[ks("RW ACCESS UPDATE", 1, 0, 1)],
        handler: Some(setbit_command),
        ..BASE
    },
    CommandSpec {
        name: "getbit",
        group: "bitmap",
        since: "2.2.0",
        summary: "Returns the bit value at offset in the string value stored at key",
        complexity: "O(1)",
        arity: 3,
        flags: "readonly fast",
        acl: "bitmap",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(getbit_command),
        ..BASE
    },
    CommandSpec {
        name: "bitcount",
        group: "bitmap",
        since: "2.6.0",
        summary: "Count set bits in a string",
        complexity: "O(N)",
        arity: -2,
        flags: "readonly",
        acl: "bitmap",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(bitcount_command),
        ..BASE
    },
    CommandSpec {
        name: "bitpos",
        group: "bitmap",
        since: "2.8.7",
        summary: "Find first bit set or clear in a string",
        complexity: "O(N)",
        arity: -3,
        flags: "readonly",
        acl: "bitmap",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(bitpos_command),
        ..BASE
    },
    CommandSpec {
        name: "bitop",
        group: "bitmap",
        since: "2.6.0",
        summary: "Perform bitwise operations between strings",
        complexity: "O(N)",
        arity: -4,
        flags: "write denyoom",
        acl: "bitmap",
        key_specs: &[ks("OW UPDATE", 2, 0, 1), ks("RO ACCESS", 3, -1, 1)],
        handler: Some(bitop_command),
        ..BASE
    },
    CommandSpec {
        name: "bitfield",
        group: "bitmap",
        since: "3.2.0",
        summary: "Perform arbitrary bitfield integer operations on strings",
        complexity: "O(1) for each subcommand specified",
        arity: -2,
        flags: "write denyoom",
        acl: "bitmap",
        key_specs: &[ks("RW UPDATE ACCESS VARIABLE_FLAGS", 1, 0, 1)],
        handler: Some(bitfield_command),
        ..BASE
    },
    CommandSpec {
        name: "bitfield_ro",
        group: "bitmap",
        since: "6.0.0",
        summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        complexity: "O(1) for each subcommand specified",
        arity: -2,
        flags: "readonly fast",
        acl: "bitmap",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(bitfield_ro_command),
        ..BASE
    },
];

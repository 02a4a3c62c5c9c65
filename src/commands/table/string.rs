//! String commands.

use crate::commands::{ks, CommandSpec, BASE};
use crate::t_string::*;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "get",
        group: "string",
        summary: "Get the value of a key",
        complexity: "O(1)",
        arity: 2,
        flags: "readonly fast",
        acl: "string",
        key_specs: &[ks("RO ACCESS", 1, 0, 1)],
        handler: Some(get_command),
        ..BASE
    },
    CommandSpec {
        name: "set",
        group: "string",
        summary: "Set the string value of a key",
        complexity: "O(1)",
        arity: -3,
        flags: "write denyoom",
        acl: "string",
        key_specs: &[ks("RW ACCESS UPDATE VARIABLE_FLAGS", 1, 0, 1)],
        handler: Some(set_command),
        ..BASE
    },
];

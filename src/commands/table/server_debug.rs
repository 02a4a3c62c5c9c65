//! DEBUG, a single command with hand-parsed subcommands as in Redis (no
//! subcommand rows: Redis 7.0 declares none for it).

use crate::commands::{CommandSpec, BASE};
use crate::debug::debugCommand;

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "debug",
    group: "server",
    summary: "A container for debugging commands",
    complexity: "Depends on subcommand.",
    arity: -2,
    flags: "admin noscript loading stale protected",
    handler: Some(debugCommand),
    ..BASE
}];

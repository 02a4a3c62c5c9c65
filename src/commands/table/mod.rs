//! The command table, one file per command group (Redis's commands/*.json,
//! grouped as COMMAND DOCS groups them). Each row is data: name, arity, flags,
//! ACL categories, key specs, handler, subcommands.

mod connection;
mod server;
mod string;

use super::CommandSpec;

pub const ALL: &[&[CommandSpec]] = &[connection::COMMANDS, server::COMMANDS, string::COMMANDS];

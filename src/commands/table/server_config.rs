//! CONFIG and its subcommands.

use crate::commands::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];

//! Generic keyspace commands (DEL, EXPIRE, SCAN, OBJECT, ...).

use crate::commands::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];

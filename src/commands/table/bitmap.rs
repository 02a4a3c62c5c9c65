//! Bitmap commands (SETBIT, BITCOUNT, BITFIELD, ...).

use crate::commands::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];

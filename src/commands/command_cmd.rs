//! The COMMAND command (COUNT, INFO, LIST, GETKEYS, DOCS) and the shared HELP reply.

use crate::networking::Client;

/// Redis's addReplyHelp: the header line, the given lines, then HELP's own lines.
pub fn reply_help(c: &mut Client, cmd: &str, lines: &[&str]) {
    c.add_array_len(lines.len() + 3);
    c.add_status(&format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        cmd
    ));
    for l in lines {
        c.add_status(l);
    }
    c.add_status("HELP");
    c.add_status("    Prints this help.");
}

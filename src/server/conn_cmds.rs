//! Connection commands: PING ECHO SELECT QUIT (HELLO, AUTH, RESET live with auth).

use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::Server;

pub fn ping_command(_srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() > 2 {
        c.add_error_arity("ping");
        return;
    }
    if argv.len() == 1 {
        c.add_raw(b"+PONG\r\n");
    } else {
        c.add_bulk(argv.get(1));
    }
}

pub fn echo_command(_srv: &mut Server, c: &mut Client, argv: &Argv) {
    c.add_bulk(argv.get(1));
}

pub fn select_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    let Some(id) = crate::util::parse_i64(argv.get(1)) else {
        c.add_error("invalid DB index");
        return;
    };
    if srv.config.cluster_enabled && id != 0 {
        c.add_error("SELECT is not allowed in cluster mode");
        return;
    }
    if id < 0 || id as usize >= srv.dbs.len() {
        c.add_error("DB index is out of range");
        return;
    }
    c.db = id as usize;
    c.add_ok();
}

pub fn quit_command(_srv: &mut Server, c: &mut Client, _argv: &Argv) {
    c.add_ok();
    c.flags.set(ClientFlags::CLOSE_AFTER_REPLY);
}

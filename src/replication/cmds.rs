//! The replication commands' entry points: SYNC, PSYNC, REPLCONF.

use super::{CAPA_EOF, CAPA_PSYNC2};
use crate::networking::{Client, ClientFlags};
use crate::resp::Argv;
use crate::server::Server;

/// SYNC and PSYNC <replid> <offset>.
pub fn sync_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    srv.sync_command(c, argv);
}

/// REPLCONF <option> <value> [<option> <value> ...].
pub fn replconf_command(srv: &mut Server, c: &mut Client, argv: &Argv) {
    if argv.len() % 2 == 0 {
        c.add_error("syntax error");
        return;
    }
    let mut j = 1;
    while j < argv.len() {
        let opt = argv.get(j).to_ascii_lowercase();
        let val = argv.get(j + 1);
        match opt.as_slice() {
            b"listening-port" => {
                let Some(p) = crate::util::parse_i64(val) else {
                    c.add_error("value is not an integer or out of range");
                    return;
                };
                c.repl.get_or_insert_with(Default::default).listening_port = p;
            }
            b"ip-address" => {
                if val.len() >= 256 {
                    c.add_error(&format!(
                        "REPLCONF ip-address provided by replica instance is too long: {} bytes",
                        val.len()
                    ));
                    return;
                }
                c.repl.get_or_insert_with(Default::default).addr =
                    Some(String::from_utf8_lossy(val).into_owned());
            }
            b"capa" => {
                let link = c.repl.get_or_insert_with(Default::default);
                if val.eq_ignore_ascii_case(b"eof") {
                    link.capa |= CAPA_EOF;
                } else if val.eq_ignore_ascii_case(b"psync2") {
                    link.capa |= CAPA_PSYNC2;
                }
            }
            b"ack" => {
                // No reply, ever.
                if !c.flags.has(ClientFlags::SLAVE) {
                    return;
                }
                let Some(off) = crate::util::parse_i64(val) else {
                    return;
                };
                let link = c.repl.as_mut().unwrap();
                if off > link.ack_off {
                    link.ack_off = off;
                }
                link.ack_time = crate::util::mstime() / 1000;
                srv.replica_start_stream_on_ack(c);
                return;
            }
            b"getack" => {
                // From our master: answer with our offset at once; no reply otherwise.
                if c.flags.has(ClientFlags::MASTER) && srv.master_link_up() {
                    srv.send_ack(c);
                }
                return;
            }
            b"rdb-only" | b"rdb-filter-only" => {
                // Snapshot-only links (redis-cli --rdb, --functions-rdb) are not built.
                c.add_error(&format!(
                    "REPLCONF {} is not supported by this server",
                    String::from_utf8_lossy(argv.get(j))
                ));
                return;
            }
            _ => {
                c.add_error(&format!(
                    "Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(argv.get(j))
                ));
                return;
            }
        }
        j += 2;
    }
    c.add_ok();
}

//! redis-check-rdb: our binary run under that name (dispatched from main on
//! argv[0], or by `redis-server --check-rdb`). Loads the file into a scratch
//! server with the default configuration, with the real loader, and reports
//! as Redis's redis-check-rdb.c does.

use crate::server::Server;

pub fn main(args: &[String]) -> ! {
    if args.len() != 2 {
        eprintln!(
            "Usage: {} <rdb-file-name>",
            args.first()
                .map(|s| s.as_str())
                .unwrap_or("redis-check-rdb")
        );
        std::process::exit(1);
    }
    if args[1] == "-v" || args[1] == "--version" {
        println!("redis-check-rdb {}", crate::REDIS_VERSION);
        std::process::exit(0);
    }
    std::process::exit(if report(&args[1]) { 0 } else { 1 });
}

/// Checks one file, printing redis-check-rdb's report; true when it is sound.
pub fn report(path: &str) -> bool {
    println!("[offset 0] Checking RDB file {}", path);
    let mut srv = Server::new(crate::config::Config::default());
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            println!("Cannot check RDB that is a FIFO or can't be opened: {}", e);
            return false;
        }
    };
    let mut last = 0u64;
    let res = super::load::load_from_reader(
        &mut srv,
        std::io::BufReader::new(f),
        super::load::LOAD_NONE,
        &mut |_, pos| last = pos,
    );
    match res {
        Ok(st) => {
            let expires: usize = srv.dbs.iter().map(|d| d.expires_len()).sum();
            println!("[info] {} keys read", st.loaded + st.expired);
            println!("[info] {} expires", expires as u64 + st.expired);
            println!("[info] {} already expired", st.expired);
            println!("\\o/ RDB looks OK! \\o/");
            true
        }
        Err(e) => {
            println!("--- RDB ERROR DETECTED ---");
            println!("[offset {}] {}", last, e.msg);
            false
        }
    }
}

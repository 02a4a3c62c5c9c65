//! `redis-check-aof` (our binary run under that name): checks a 7.0 manifest and its
//! files, or an old-style single AOF; `--fix` truncates the last file to its last valid
//! command, `--truncate-to-timestamp` cuts at a #TS annotation. Output texts and exit
//! codes are Redis 7.0.15's.

use super::manifest::Manifest;
use std::io::{BufRead, Write};
use std::path::Path;

#[derive(PartialEq)]
enum Ret {
    Ok,
    Empty,
    Truncated,
    TimestampTruncated,
}

struct Checker {
    error: String,
    epos: u64,
    line: i64,
    to_timestamp: i64,
}

fn out(s: &str) {
    let mut o = std::io::stdout();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

fn fail(s: &str) -> ! {
    out(s);
    std::process::exit(1);
}

/// fgets(buf, cap): up to cap-1 bytes or through a newline.
fn fgets(data: &[u8], pos: &mut usize, cap: usize) -> Option<Vec<u8>> {
    if *pos >= data.len() {
        return None;
    }
    let max = (cap - 1).min(data.len() - *pos);
    let end = match data[*pos..*pos + max].iter().position(|&b| b == b'\n') {
        Some(p) => *pos + p + 1,
        None => *pos + max,
    };
    let r = data[*pos..end].to_vec();
    *pos = end;
    Some(r)
}

/// strtol: the value and the index just after the digits.
fn strtol(s: &[u8]) -> (i64, usize) {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let start = i;
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        i += 1;
    }
    let ds = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    if i == ds {
        return (0, 0);
    }
    let v = std::str::from_utf8(&s[start..i])
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(i64::MAX);
    (v, i)
}

impl Checker {
    fn err(&mut self, msg: String) {
        self.error = format!("0x{:>16x}: {}", self.epos, msg);
    }

    fn consume_newline(&mut self, b: &[u8]) -> bool {
        if !b.starts_with(b"\r\n") {
            let x = b.first().copied().unwrap_or(0);
            let y = b.get(1).copied().unwrap_or(0);
            self.err(format!("Expected \\r\\n, got: {:02x}{:02x}", x, y));
            return false;
        }
        self.line += 1;
        true
    }

    fn read_long(&mut self, data: &[u8], pos: &mut usize, prefix: u8) -> Option<i64> {
        self.epos = *pos as u64;
        let buf = fgets(data, pos, 128)?;
        if buf[0] != prefix {
            self.err(format!(
                "Expected prefix '{}', got: '{}'",
                prefix as char, buf[0] as char
            ));
            return None;
        }
        let (v, end) = strtol(&buf[1..]);
        if self.consume_newline(&buf[1 + end..]) {
            Some(v)
        } else {
            None
        }
    }

    fn read_string(&mut self, data: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
        let len = self.read_long(data, pos, b'$')?;
        if len < 0 || len > i64::MAX - 2 {
            self.err(format!(
                "Expected to read string of {} bytes, which is not in the suitable range",
                len
            ));
            return None;
        }
        let len = len as usize + 2;
        self.epos = *pos as u64;
        let real = len.min(data.len() - *pos);
        if real != len {
            self.err(format!(
                "Expected to read {} bytes, got {} bytes",
                len, real
            ));
            *pos += real;
            return None;
        }
        let s = data[*pos..*pos + len].to_vec();
        *pos += len;
        if !self.consume_newline(&s[len - 2..]) {
            return None;
        }
        Some(s[..len - 2].to_vec())
    }

    fn process_resp(&mut self, data: &[u8], pos: &mut usize, file: &str, multi: &mut i32) -> bool {
        let Some(argc) = self.read_long(data, pos, b'*') else {
            return false;
        };
        for i in 0..argc.max(0) {
            let Some(s) = self.read_string(data, pos) else {
                return false;
            };
            if i == 0 {
                if s.eq_ignore_ascii_case(b"multi") {
                    *multi += 1;
                    if *multi > 1 {
                        self.err(format!("Unexpected MULTI in AOF {}", file));
                        return false;
                    }
                } else if s.eq_ignore_ascii_case(b"exec") {
                    *multi -= 1;
                    if *multi != 0 {
                        self.err(format!("Unexpected EXEC in AOF {}", file));
                        return false;
                    }
                }
            }
        }
        true
    }

    /// processAnnotations: false when the file was truncated at a timestamp.
    fn process_annotation(
        &mut self,
        f: &std::fs::File,
        data: &[u8],
        pos: &mut usize,
        file: &str,
        last: bool,
    ) -> bool {
        self.epos = *pos as u64;
        let Some(buf) = fgets(data, pos, 1024) else {
            fail(&format!(
                "Failed to read annotations from AOF {}, aborting...\n",
                file
            ));
        };
        if self.to_timestamp != 0 && buf.starts_with(b"#TS:") {
            let (ts, end) = strtol(&buf[4..]);
            if end == 0 || buf.get(4 + end) != Some(&b'\r') {
                fail("Invalid timestamp annotation\n");
            }
            if ts <= self.to_timestamp {
                return true;
            }
            if self.epos == 0 {
                fail(&format!(
                    "AOF {} has nothing before timestamp {}, aborting...\n",
                    file, self.to_timestamp
                ));
            }
            if !last {
                out(&format!("Failed to truncate AOF {} to timestamp {} to offset {} because it is not the last file.\n", file, self.to_timestamp, self.epos));
                fail("If you insist, please delete all files after this file according to the manifest file and delete the corresponding records in manifest file manually. Then re-run redis-check-aof.\n");
            }
            if f.set_len(self.epos).is_err() {
                fail(&format!(
                    "Failed to truncate AOF {} to timestamp {}\n",
                    file, self.to_timestamp
                ));
            }
            return false;
        }
        true
    }

    /// checkSingleAof.
    fn check_single(
        &mut self,
        name: &str,
        path: &Path,
        last: bool,
        fix: bool,
        preamble: bool,
    ) -> Ret {
        let f = match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
        {
            Ok(f) => f,
            Err(e) => fail(&format!(
                "Cannot open file {}: {}, aborting...\n",
                path.display(),
                super::strerror(&e)
            )),
        };
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(_) => fail(&format!("Cannot stat file: {}, aborting...\n", name)),
        };
        let size = data.len();
        if size == 0 {
            return Ret::Empty;
        }
        let mut pos = 0usize;
        if preamble {
            pos = check_rdb_preamble(name, &data);
        }
        let mut ok_pos = 0usize;
        let mut multi = 0i32;
        let file_disp = path.display().to_string();
        loop {
            if multi == 0 {
                ok_pos = pos;
            }
            if pos >= data.len() {
                break;
            }
            match data[pos] {
                b'#' => {
                    if !self.process_annotation(&f, &data, &mut pos, &file_disp, last) {
                        return Ret::TimestampTruncated;
                    }
                }
                b'*' => {
                    if !self.process_resp(&data, &mut pos, &file_disp, &mut multi) {
                        break;
                    }
                }
                _ => {
                    out(&format!("AOF {} format error\n", name));
                    break;
                }
            }
        }
        if pos >= data.len() && multi != 0 && self.error.is_empty() {
            self.epos = pos as u64;
            self.err("Reached EOF before reading EXEC for MULTI".into());
        }
        if !self.error.is_empty() {
            out(&format!("{}\n", self.error));
        }
        let diff = size - ok_pos;
        if diff == 0 && self.to_timestamp != 0 {
            out(&format!(
                "Truncate nothing in AOF {} to timestamp {}\n",
                name, self.to_timestamp
            ));
            return Ret::Ok;
        }
        out(&format!(
            "AOF analyzed: filename={}, size={}, ok_up_to={}, ok_up_to_line={}, diff={}\n",
            name, size, ok_pos, self.line, diff
        ));
        if diff > 0 {
            if !fix {
                fail(&format!(
                    "AOF {} is not valid. Use the --fix option to try fixing it.\n",
                    name
                ));
            }
            if !last {
                fail(&format!(
                    "Failed to truncate AOF {} because it is not the last file\n",
                    name
                ));
            }
            out(&format!(
                "This will shrink the AOF {} from {} bytes, with {} bytes, to {} bytes\n",
                name, size, diff, ok_pos
            ));
            out("Continue? [y/N]: ");
            let mut answer = String::new();
            let _ = std::io::stdin().lock().read_line(&mut answer);
            if !answer.to_ascii_lowercase().starts_with('y') {
                fail("Aborting...\n");
            }
            if f.set_len(ok_pos as u64).is_err() {
                fail(&format!("Failed to truncate AOF {}\n", name));
            }
            return Ret::Truncated;
        }
        Ret::Ok
    }

    fn report(&self, prefix: &str, name: &str, r: Ret) {
        match r {
            Ret::Ok => out(&format!("{}{} is valid\n", prefix, name)),
            Ret::Empty => out(&format!("{}{} is empty\n", prefix, name)),
            Ret::TimestampTruncated => out(&format!(
                "Successfully truncated AOF {} to timestamp {}\n",
                name, self.to_timestamp
            )),
            Ret::Truncated => out(&format!("Successfully truncated AOF {}\n", name)),
        }
    }
}

/// redis_check_rdb_main on the file's RDB part: the offset where the AOF tail
/// starts, or exit when the RDB is broken.
fn check_rdb_preamble(name: &str, data: &[u8]) -> usize {
    out(&format!("[offset 0] Checking RDB file {}\n", name));
    let mut srv = crate::server::Server::new(crate::config::Config::default());
    let mut rest: &[u8] = data;
    match crate::rdb::load::load_from_reader(
        &mut srv,
        &mut rest,
        crate::rdb::load::LOAD_AOF_PREAMBLE,
        &mut |_, _| {},
    ) {
        Ok(st) => {
            let expires: usize = srv.dbs.iter().map(|d| d.expires_len()).sum();
            out(&format!("[info] {} keys read\n", st.loaded + st.expired));
            out(&format!("[info] {} expires\n", expires as u64 + st.expired));
            out(&format!("[info] {} already expired\n", st.expired));
            out("\\o/ RDB looks OK! \\o/\n");
            out("RDB preamble is OK, proceeding with AOF tail...\n");
            data.len() - rest.len()
        }
        Err(e) => {
            out("--- RDB ERROR DETECTED ---\n");
            out(&format!("[offset {}] {}\n", data.len() - rest.len(), e.msg));
            fail("RDB preamble of AOF file is not sane, aborting.\n");
        }
    }
}

fn file_is_rdb(path: &Path) -> bool {
    match std::fs::read(path) {
        Ok(d) => d.len() >= 8 && d.starts_with(b"REDIS"),
        Err(e) => fail(&format!(
            "Cannot open file {}: {}\n",
            path.display(),
            super::strerror(&e)
        )),
    }
}

fn file_is_manifest(path: &Path) -> bool {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => fail(&format!(
            "Cannot open file {}: {}\n",
            path.display(),
            super::strerror(&e)
        )),
    };
    let mut pos = 0;
    let mut is = false;
    while let Some(l) = fgets(&data, &mut pos, 1025) {
        if l[0] == b'#' {
            continue;
        }
        if l.starts_with(b"file") {
            is = true;
        }
    }
    is
}

/// redis_check_aof_main: never returns.
pub fn main(args: &[String]) -> ! {
    let usage = || -> ! {
        fail(&format!(
            "Usage: {} [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>\n",
            args.first()
                .map(|s| s.as_str())
                .unwrap_or("redis-check-aof")
        ))
    };
    let mut ck = Checker {
        error: String::new(),
        epos: 0,
        line: 1,
        to_timestamp: 0,
    };
    let (path, fix) = match args.len() {
        2 => (args[1].clone(), false),
        3 if args[1] == "--fix" => (args[2].clone(), true),
        4 if args[1] == "--truncate-to-timestamp" => {
            match args[2].parse::<i64>() {
                Ok(t) => ck.to_timestamp = t,
                Err(_) => fail("Invalid timestamp, aborting...\n"),
            }
            (args[3].clone(), false)
        }
        _ => usage(),
    };
    let p = Path::new(&path);
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if file_is_manifest(p) {
        out("Start checking Multi Part AOF\n");
        let text = std::fs::read(p).unwrap_or_default();
        let am = match Manifest::parse(&text) {
            Ok(m) => m,
            Err(e) => {
                out("\n*** FATAL AOF MANIFEST FILE ERROR ***\n\n");
                if let Some((n, l)) = e.line {
                    out(&format!("Reading the manifest file, at line {}\n\n", n));
                    out(&format!(">>> '{}'\n\n", l));
                }
                fail(&format!("{}\n\n", e.msg));
            }
        };
        let total = am.base.iter().count() + am.incr.len();
        let mut n = 0;
        if let Some(b) = &am.base {
            let fp = dir.join(&b.name);
            n += 1;
            let rdb = file_is_rdb(&fp);
            out(&format!(
                "Start to check BASE AOF ({} format).\n",
                if rdb { "RDB" } else { "RESP" }
            ));
            let r = ck.check_single(&b.name, &fp, n == total, fix, rdb);
            ck.report("BASE AOF ", &b.name, r);
        }
        if !am.incr.is_empty() {
            out("Start to check INCR files.\n");
            for i in &am.incr {
                let fp = dir.join(&i.name);
                n += 1;
                let r = ck.check_single(&i.name, &fp, n == total, fix, false);
                ck.report("INCR AOF ", &i.name, r);
            }
        }
        out("All AOF files and manifest are valid\n");
    } else {
        let rdb = file_is_rdb(p);
        out("Start checking Old-Style AOF\n");
        let r = ck.check_single(&path, p, true, fix, rdb);
        ck.report("AOF ", &path, r);
    }
    std::process::exit(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_counting_and_errors() {
        let mut ck = Checker {
            error: String::new(),
            epos: 0,
            line: 1,
            to_timestamp: 0,
        };
        let data = b"*3\r\n$3\r\nset\r\n$3\r\nfoo\r\n$5\r\nhello\r\n";
        let mut pos = 0;
        let mut m = 0;
        assert!(ck.process_resp(data, &mut pos, "f", &mut m));
        assert_eq!(ck.line, 8);
        let mut pos = 0;
        assert!(!ck.process_resp(&data[..data.len() - 3], &mut pos, "f", &mut m));
        assert!(
            ck.error.contains("Expected to read 7 bytes, got 4 bytes"),
            "{}",
            ck.error
        );
        assert!(ck.error.starts_with("0x"));
    }
}

//! The 7.0 multi-part AOF manifest (`<appendfilename>.manifest` in the AOF directory):
//! the list of BASE, HISTORY and INCR files, parsed with Redis's strictness and written
//! atomically (temp file, fsync, rename, fsync of the directory). Shared by the server
//! and redis-check-aof.

use std::io::Write;
use std::path::Path;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FileType {
    Base,
    Hist,
    Incr,
}

impl FileType {
    fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::Hist => 'h',
            FileType::Incr => 'i',
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AofInfo {
    pub name: String,
    pub seq: i64,
    pub ftype: FileType,
}

#[derive(Clone, Default, Debug)]
pub struct Manifest {
    pub base: Option<AofInfo>,
    pub incr: Vec<AofInfo>,
    pub history: Vec<AofInfo>,
    pub curr_base_seq: i64,
    pub curr_incr_seq: i64,
    /// Changed since last persisted.
    pub dirty: bool,
}

/// A manifest error as Redis reports it: the message and, when a line was read, the
/// line number and its trimmed text.
#[derive(Debug)]
pub struct ManifestError {
    pub msg: String,
    pub line: Option<(usize, String)>,
}

pub const BASE_SUFFIX: &str = ".base";
pub const INCR_SUFFIX: &str = ".incr";
pub const RDB_SUFFIX: &str = ".rdb";
pub const AOF_SUFFIX: &str = ".aof";
pub const MANIFEST_SUFFIX: &str = ".manifest";
pub const TEMP_PREFIX: &str = "temp-";

/// Does the name need quoting in the manifest (sdsneedsrepr)?
fn needs_repr(s: &str) -> bool {
    s.bytes().any(|b| {
        matches!(b, b'\\' | b'"' | b'\n' | b'\r' | b'\t' | 7 | 8)
            || !(b.is_ascii_graphic())
            || b == b' '
    })
}

/// sdscatrepr: a quoted, escaped rendering.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            _ if b.is_ascii_graphic() || b == b' ' => out.push(b as char),
            _ => out.push_str(&format!("\\x{:02x}", b)),
        }
    }
    out.push('"');
    out
}

impl AofInfo {
    fn format(&self, out: &mut String) {
        let name = if needs_repr(&self.name) {
            repr(self.name.as_bytes())
        } else {
            self.name.clone()
        };
        out.push_str(&format!(
            "file {} seq {} type {}\n",
            name,
            self.seq,
            self.ftype.letter()
        ));
    }
}

impl Manifest {
    /// getAofManifestAsString: BASE, then HISTORY, then INCR.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if let Some(b) = &self.base {
            b.format(&mut s);
        }
        for h in &self.history {
            h.format(&mut s);
        }
        for i in &self.incr {
            i.format(&mut s);
        }
        s
    }

    /// aofLoadManifestFromFile's parser.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut am = Manifest::default();
        let mut maxseq = 0i64;
        let mut linenum = 0usize;
        if text.is_empty() {
            return Err(ManifestError {
                msg: "Found an empty AOF manifest".into(),
                line: None,
            });
        }
        let mut rest = text;
        while !rest.is_empty() {
            // fgets with a 1025-byte buffer: a longer line is read in pieces.
            let nl = rest.iter().position(|&b| b == b'\n');
            let take = match nl {
                Some(p) if p < 1024 => p + 1,
                _ => rest.len().min(1024),
            };
            let raw = &rest[..take];
            rest = &rest[take..];
            linenum += 1;
            if raw[0] == b'#' {
                continue;
            }
            let err = |msg: &str, line: Option<String>| ManifestError {
                msg: msg.into(),
                line: line.map(|l| (linenum, l)),
            };
            if !raw.contains(&b'\n') {
                return Err(err("The AOF manifest file contains too long line", None));
            }
            let line = String::from_utf8_lossy(raw)
                .trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n')
                .to_string();
            if line.is_empty() {
                return Err(err("Invalid AOF manifest file format", Some(line)));
            }
            let argv = match split_args(line.as_bytes()) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return Err(err("Invalid AOF manifest file format", Some(line))),
            };
            let mut name: Option<String> = None;
            let mut seq = 0i64;
            let mut ftype: u8 = 0;
            for pair in argv.chunks(2) {
                let k = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
                match k.as_str() {
                    "file" => {
                        let n = String::from_utf8_lossy(&pair[1]).into_owned();
                        if n.contains('/') {
                            return Err(err("File can't be a path, just a filename", Some(line)));
                        }
                        name = Some(n);
                    }
                    "seq" => seq = atoll(&pair[1]),
                    "type" => ftype = pair[1].first().copied().unwrap_or(0),
                    _ => {}
                }
            }
            let (Some(name), true, true) = (name, seq != 0, ftype != 0) else {
                return Err(err("Invalid AOF manifest file format", Some(line)));
            };
            match ftype {
                b'b' => {
                    if am.base.is_some() {
                        return Err(err("Found duplicate base file information", Some(line)));
                    }
                    am.curr_base_seq = seq;
                    am.base = Some(AofInfo {
                        name,
                        seq,
                        ftype: FileType::Base,
                    });
                }
                b'h' => am.history.push(AofInfo {
                    name,
                    seq,
                    ftype: FileType::Hist,
                }),
                b'i' => {
                    if seq <= maxseq {
                        return Err(err("Found a non-monotonic sequence number", Some(line)));
                    }
                    am.incr.push(AofInfo {
                        name,
                        seq,
                        ftype: FileType::Incr,
                    });
                    am.curr_incr_seq = seq;
                    maxseq = seq;
                }
                _ => return Err(err("Unknown AOF file type", Some(line))),
            }
        }
        Ok(am)
    }

    /// getNewBaseFileNameAndMarkPreAsHistory.
    pub fn new_base_name(&mut self, prefix: &str, rdb: bool) -> String {
        if let Some(mut b) = self.base.take() {
            b.ftype = FileType::Hist;
            self.history.insert(0, b);
        }
        self.curr_base_seq += 1;
        let name = format!(
            "{}.{}{}{}",
            prefix,
            self.curr_base_seq,
            BASE_SUFFIX,
            if rdb { RDB_SUFFIX } else { AOF_SUFFIX }
        );
        self.base = Some(AofInfo {
            name: name.clone(),
            seq: self.curr_base_seq,
            ftype: FileType::Base,
        });
        self.dirty = true;
        name
    }

    /// getNewIncrAofName.
    pub fn new_incr_name(&mut self, prefix: &str) -> String {
        self.curr_incr_seq += 1;
        let name = format!(
            "{}.{}{}{}",
            prefix, self.curr_incr_seq, INCR_SUFFIX, AOF_SUFFIX
        );
        self.incr.push(AofInfo {
            name: name.clone(),
            seq: self.curr_incr_seq,
            ftype: FileType::Incr,
        });
        self.dirty = true;
        name
    }

    /// getLastIncrAofName: the last INCR, or a new one.
    pub fn last_incr_name(&mut self, prefix: &str) -> String {
        match self.incr.last() {
            Some(i) => i.name.clone(),
            None => self.new_incr_name(prefix),
        }
    }

    /// markRewrittenIncrAofAsHistory: every INCR but the one being written (when
    /// `keep_last`) becomes HISTORY.
    pub fn mark_rewritten_incr_as_history(&mut self, keep_last: bool) {
        if self.incr.is_empty() {
            return;
        }
        let keep = if keep_last { self.incr.pop() } else { None };
        // Redis walks from the tail and inserts each at the head: oldest first.
        for mut i in std::mem::take(&mut self.incr).into_iter().rev() {
            i.ftype = FileType::Hist;
            self.history.insert(0, i);
        }
        self.incr.extend(keep);
        self.dirty = true;
    }

    /// Every file to load, in order: BASE then INCRs.
    pub fn load_order(&self) -> Vec<&AofInfo> {
        self.base.iter().chain(self.incr.iter()).collect()
    }
}

fn atoll(s: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(s);
    let t = s.trim_start();
    let mut end = 0;
    for (i, ch) in t.char_indices() {
        if ch.is_ascii_digit() || (i == 0 && (ch == '-' || ch == '+')) {
            end = i + 1;
        } else {
            break;
        }
    }
    t[..end].parse().unwrap_or(0)
}

/// sdssplitargs: whitespace-separated tokens, "double" quotes with escapes and
/// 'single' quotes. None on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq, mut done) = (false, false, false);
        while !done {
            if inq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    let h = std::str::from_utf8(&line[i + 2..i + 4]).unwrap();
                    cur.push(u8::from_str_radix(h, 16).unwrap());
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    done = true;
                } else {
                    cur.push(line[i]);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    done = true;
                } else {
                    cur.push(line[i]);
                }
            } else if i >= n {
                done = true;
            } else {
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            if i < n {
                i += 1;
            }
        }
        out.push(cur);
    }
}

/// writeAofManifestFile: temp file, fsync, rename, fsync the directory.
pub fn write_manifest_file(dir: &Path, prefix: &str, text: &str) -> Result<(), String> {
    let name = format!("{}{}", prefix, MANIFEST_SUFFIX);
    let tmp_name = format!("{}{}{}", TEMP_PREFIX, prefix, MANIFEST_SUFFIX);
    let path = dir.join(&name);
    let tmp = dir.join(&tmp_name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| {
            format!(
                "Can't open the AOF manifest file {}: {}",
                tmp_name,
                crate::aof::strerror(&e)
            )
        })?;
    f.write_all(text.as_bytes()).map_err(|e| {
        format!(
            "Error trying to write the temporary AOF manifest file {}: {}",
            tmp_name,
            crate::aof::strerror(&e)
        )
    })?;
    f.sync_all().map_err(|e| {
        format!(
            "Fail to fsync the temp AOF file {}: {}.",
            tmp_name,
            crate::aof::strerror(&e)
        )
    })?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        format!(
            "Error trying to rename the temporary AOF manifest file {} into {}: {}",
            tmp_name,
            name,
            crate::aof::strerror(&e)
        )
    })?;
    if let Ok(d) = std::fs::File::open(dir) {
        d.sync_all().map_err(|e| {
            format!(
                "Fail to fsync AOF directory {}: {}.",
                path.display(),
                crate::aof::strerror(&e)
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_order() {
        let mut m = Manifest::default();
        let b = m.new_base_name("appendonly.aof", true);
        assert_eq!(b, "appendonly.aof.1.base.rdb");
        m.new_incr_name("appendonly.aof");
        m.new_incr_name("appendonly.aof");
        m.new_base_name("appendonly.aof", false);
        m.mark_rewritten_incr_as_history(true);
        assert_eq!(
            m.to_text(),
            "file appendonly.aof.2.base.aof seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        let p = Manifest::parse(m.to_text().as_bytes()).unwrap();
        assert_eq!(p.to_text(), m.to_text());
        assert_eq!(p.curr_incr_seq, 2);
    }

    #[test]
    fn parse_errors() {
        let e = |s: &str| Manifest::parse(s.as_bytes()).unwrap_err().msg;
        assert_eq!(e(""), "Found an empty AOF manifest");
        assert_eq!(e("file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(e("file a seq 1 type x\n"), "Unknown AOF file type");
        assert_eq!(
            e("file a seq 2 type i\nfile b seq 1 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(
            e("file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            e("file a/b seq 1 type b\n"),
            "File can't be a path, just a filename"
        );
        assert_eq!(
            e("file a seq 1 type b"),
            "The AOF manifest file contains too long line"
        );
        // Unknown keys are ignored, keys in any order.
        let m = Manifest::parse(b"# c\nseq 1 type b file x k v\n").unwrap();
        assert_eq!(m.base.unwrap().name, "x");
    }

    #[test]
    fn quoted_names() {
        let mut m = Manifest::default();
        m.base = Some(AofInfo {
            name: "a b".into(),
            seq: 1,
            ftype: FileType::Base,
        });
        assert_eq!(m.to_text(), "file \"a b\" seq 1 type b\n");
        assert_eq!(
            Manifest::parse(m.to_text().as_bytes())
                .unwrap()
                .base
                .unwrap()
                .name,
            "a b"
        );
    }
}

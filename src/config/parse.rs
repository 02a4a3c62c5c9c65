//! Redis's lexical rules for configuration text: argument splitting
//! (sdssplitargs: double quotes with escapes, single quotes), quoting a value
//! back (sdscatrepr), memory units (memtoull) and C's lenient strtoll.

fn is_space(c: u8) -> bool {
    // C's isspace in the "C" locale.
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Splits one line into arguments like sdssplitargs. `None` means unbalanced
/// quotes (or a closing quote not followed by a space).
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| -> u8 { line.get(i).copied().unwrap_or(0) };
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i >= line.len() || line[i] == 0 {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut inq = false;
        let mut insq = false;
        loop {
            let c = at(i);
            if inq {
                if c == b'\\'
                    && at(i + 1) == b'x'
                    && hex_val(at(i + 2)).is_some()
                    && hex_val(at(i + 3)).is_some()
                {
                    cur.push(hex_val(at(i + 2)).unwrap() * 16 + hex_val(at(i + 3)).unwrap());
                    i += 3;
                } else if c == b'\\' && at(i + 1) != 0 {
                    i += 1;
                    cur.push(match at(i) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        o => o,
                    });
                } else if c == b'"' {
                    let n = at(i + 1);
                    if n != 0 && !is_space(n) {
                        return None;
                    }
                    i += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if c == b'\\' && at(i + 1) == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    let n = at(i + 1);
                    if n != 0 && !is_space(n) {
                        return None;
                    }
                    i += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        if c != 0 {
                            i += 1;
                        }
                        break;
                    }
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    _ => cur.push(c),
                }
            }
            if at(i) != 0 {
                i += 1;
            }
        }
        out.push(cur);
    }
}

/// Quotes bytes the way sdscatrepr does, so `split_args` reads them back.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for &c in s {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            c if (0x20..0x7f).contains(&c) => out.push(c as char),
            c => out.push_str(&format!("\\x{:02x}", c)),
        }
    }
    out.push('"');
    out
}

/// memtoull: digits with an optional unit (b, k, kb, m, mb, g, gb; any case).
pub fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let ndig = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = std::str::from_utf8(&s[ndig..]).ok()?.to_ascii_lowercase();
    let mul: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if ndig >= 128 {
        return None;
    }
    // strtoull on an empty digit string yields 0 without EINVAL on glibc, and
    // saturates on overflow; Redis then multiplies with wrap-around.
    let digits = std::str::from_utf8(&s[..ndig]).ok()?;
    let v = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(v.wrapping_mul(mul))
}

/// C's `strtoll(s, &end, 10)` followed by a `*end == '\0'` check: leading
/// blanks and a sign are allowed, an empty string is 0, overflow saturates.
pub fn c_strtoll(s: &[u8]) -> Option<i64> {
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let dstart = i;
    let mut v: i128 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = (v * 10 + (s[i] - b'0') as i128).min(i64::MAX as i128 + 1);
        i += 1;
    }
    if i == dstart {
        // No digits: strtoll consumes nothing, so only an empty string is "fully parsed".
        return if s.is_empty() { Some(0) } else { None };
    }
    if i != s.len() {
        return None;
    }
    let v = if neg { -v } else { v };
    Some(v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

/// C's strtoll in base 8 with the same full-consumption and overflow rules
/// (overflow is an error here, as Redis checks errno for octal values).
pub fn c_strtoll_octal(s: &[u8]) -> Option<i64> {
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let dstart = i;
    let mut v: i128 = 0;
    while i < s.len() && (b'0'..=b'7').contains(&s[i]) {
        v = v * 8 + (s[i] - b'0') as i128;
        if v > i64::MAX as i128 + 1 {
            return None;
        }
        i += 1;
    }
    if i == dstart {
        return if s.is_empty() { Some(0) } else { None };
    }
    if i != s.len() {
        return None;
    }
    let v = if neg { -v } else { v };
    if v > i64::MAX as i128 || v < i64::MIN as i128 {
        return None;
    }
    Some(v as i64)
}

/// Splits on "\n" like sdssplitlen (a trailing separator yields an empty last line).
pub fn split_lines(s: &[u8]) -> Vec<&[u8]> {
    s.split(|&c| c == b'\n').collect()
}

/// sdstrim with " \t\r\n".
pub fn trim(s: &[u8]) -> &[u8] {
    let t = |c: &u8| matches!(*c, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|c| !t(c)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|c| !t(c))
        .map(|e| e + 1)
        .unwrap_or(start);
    &s[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(s: &str) -> Option<Vec<String>> {
        split_args(s.as_bytes()).map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
    }

    #[test]
    fn splitting() {
        assert_eq!(sp("save 900 1").unwrap(), vec!["save", "900", "1"]);
        assert_eq!(sp("  a\t b  ").unwrap(), vec!["a", "b"]);
        assert_eq!(
            sp(r#"x "a b\n\x41\"" 'c\'d'"#).unwrap(),
            vec!["x", "a b\nA\"", "c'd"]
        );
        assert_eq!(sp(r#"logfile """#).unwrap(), vec!["logfile", ""]);
        assert_eq!(sp("logfile ''").unwrap(), vec!["logfile", ""]);
        assert!(sp(r#"a "b"c"#).is_none());
        assert!(sp(r#"a "bc"#).is_none());
        assert!(sp("a 'bc").is_none());
        assert_eq!(sp("").unwrap().len(), 0);
        assert_eq!(sp(r#""\xzz""#).unwrap(), vec!["xzz"]);
    }

    #[test]
    fn repr_roundtrip() {
        let v = b"a\"b\\c\n\x01 d";
        let r = repr(v);
        assert_eq!(r, "\"a\\\"b\\\\c\\n\\x01 d\"");
        assert_eq!(split_args(r.as_bytes()).unwrap(), vec![v.to_vec()]);
    }

    #[test]
    fn memory_units() {
        assert_eq!(memtoull(b"1k"), Some(1000));
        assert_eq!(memtoull(b"1KB"), Some(1024));
        assert_eq!(memtoull(b"2mb"), Some(2 << 20));
        assert_eq!(memtoull(b"1G"), Some(1_000_000_000));
        assert_eq!(memtoull(b"1gB"), Some(1 << 30));
        assert_eq!(memtoull(b"100"), Some(100));
        assert_eq!(memtoull(b"-1"), None);
        assert_eq!(memtoull(b"1x"), None);
        assert_eq!(memtoull(b"1 mb"), None);
    }

    #[test]
    fn strtoll_rules() {
        assert_eq!(c_strtoll(b"10"), Some(10));
        assert_eq!(c_strtoll(b" -5"), Some(-5));
        assert_eq!(c_strtoll(b""), Some(0));
        assert_eq!(c_strtoll(b"1a"), None);
        assert_eq!(c_strtoll(b"abc"), None);
        assert_eq!(c_strtoll_octal(b"700"), Some(0o700));
        assert_eq!(c_strtoll_octal(b"8"), None);
        assert_eq!(trim(b"  a b \r\n"), b"a b");
    }
}

//! Small helpers shared by every subsystem: Redis's strict number parsing and
//! formatting (string2ll, string2ld, ld2string), glob matching (stringmatchlen),
//! clocks and random numbers. Nothing here knows about clients or the keyspace.

use std::time::{SystemTime, UNIX_EPOCH};

/// Parses a decimal i64 exactly as Redis's string2ll: no spaces, no '+', no
/// leading zeros (except "0"), no overflow.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s.len() == 1 && s[0] == b'0' {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' {
        (true, &s[1..])
    } else {
        (false, s)
    };
    if digits.is_empty() || digits[0] < b'1' || digits[0] > b'9' {
        return None;
    }
    let mut v: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses a long double the way Redis's string2ld does (strtold, no spaces, no nan).
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() > 5120 {
        return None;
    }
    if s[0].is_ascii_whitespace() || s[s.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let st = std::str::from_utf8(s).ok()?;
    let v = parse_c_double(st)?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// strtod-compatible parsing of a whole string: decimal, hex ("0x1.8p1") and
/// "inf"/"infinity", no NaN. Overflow gives ±inf and underflow 0, as strtod returns them
/// (with ERANGE, which `parse_double` checks).
pub fn parse_c_double(st: &str) -> Option<f64> {
    let lower = st.to_ascii_lowercase();
    let t = lower.trim_start_matches(['+', '-']);
    let neg = lower.starts_with('-');
    if t == "inf" || t == "infinity" {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if t.starts_with("nan") {
        return None;
    }
    if let Some(h) = t.strip_prefix("0x") {
        if lower.len() - t.len() > 1 {
            return None; // more than one sign
        }
        return parse_hex_double(h).map(|v| if neg { -v } else { v });
    }
    st.parse::<f64>().ok()
}

/// The digits after "0x" of a C99 hex float: hex mantissa with an optional point and an
/// optional binary exponent "p[+-]N".
fn parse_hex_double(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find('p') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut m: u128 = 0;
    let mut exp2: i64 = 0;
    let mut sticky = false;
    for (i, c) in int.chars().chain(frac.chars()).enumerate() {
        let d = c.to_digit(16)? as u128;
        if i >= int.len() {
            exp2 -= 4;
        }
        if m >> 120 != 0 {
            // Digits beyond 120 bits only round: keep them as a sticky bit.
            sticky |= d != 0;
            exp2 += 4;
        } else {
            m = m * 16 + d;
        }
    }
    if let Some(e) = exp {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: i64 = digits.parse().unwrap_or(1_000_000);
        exp2 += if e.starts_with('-') { -v } else { v };
    }
    let m = (m << 1 | sticky as u128) as f64; // u128 -> f64 rounds to nearest
    Some(scale2(m, exp2 - 1))
}

/// m * 2^e, rounding once even when the result is subnormal.
fn scale2(mut m: f64, mut e: i64) -> f64 {
    e = e.clamp(-3000, 3000);
    while e > 0 {
        let s = e.min(1000);
        m *= 2f64.powi(s as i32);
        e -= s;
    }
    while e < 0 {
        let s = (-e).min(1000);
        m /= 2f64.powi(s as i32);
        e += s;
    }
    m
}

/// getDoubleFromObject: the whole string is a strtod number, no leading space, not NaN,
/// and refused when strtod reports ERANGE with ±HUGE_VAL or zero (overflow, underflow).
pub fn parse_double(s: &[u8]) -> Option<f64> {
    let st = std::str::from_utf8(s).ok()?;
    if st.is_empty() || s[0].is_ascii_whitespace() || s[s.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let v = parse_c_double(st)?;
    let lower = st.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    let literal_inf = body == "inf" || body == "infinity";
    if v.is_infinite() && !literal_inf {
        return None;
    }
    if v == 0.0 {
        let mant = match body.strip_prefix("0x") {
            Some(h) => h.split('p').next().unwrap_or(""),
            None => body.split('e').next().unwrap_or(""),
        };
        if mant.bytes().any(|b| b.is_ascii_hexdigit() && b != b'0') {
            return None;
        }
    }
    Some(v)
}

/// Formats an i64 into a stack buffer; returns the used slice.
pub fn fmt_i64(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = 20;
    let neg = v < 0;
    let mut u = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// Formats a double as Redis's addReplyDouble / %.17g does.
pub fn fmt_f64_g17(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v.is_nan() {
        return "nan".into();
    }
    fmt_g(v, 17)
}

/// C printf "%.{prec}g".
pub fn fmt_g(v: f64, prec: usize) -> String {
    if !v.is_finite() {
        // printf's spelling (sorted-set scores of +/-inf reach here).
        return if v.is_nan() {
            "nan".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let p = prec.max(1);
    let exp = format!("{:.*e}", p - 1, v);
    let (mant, e) = exp.split_once('e').unwrap();
    let e: i32 = e.parse().unwrap();
    if e < -4 || e >= p as i32 {
        let mut m = mant.to_string();
        if m.contains('.') {
            while m.ends_with('0') {
                m.pop();
            }
            if m.ends_with('.') {
                m.pop();
            }
        }
        let sign = if e < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", m, sign, e.abs())
    } else {
        let decimals = (p as i32 - 1 - e).max(0) as usize;
        let mut s = format!("{:.*}", decimals, v);
        if s.contains('.') {
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        s
    }
}

/// Redis's stringmatchlen: glob with * ? [abc] [^a-z] and \\ escapes, with its
/// quirks kept (a pattern never matches an empty string unless it is empty) and
/// its "skip longer matches" cut that keeps `a*a*a*...b` from going exponential.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    glob_impl(pattern, string, nocase, &mut skip_longer)
}

fn glob_impl(pat: &[u8], st: &[u8], nocase: bool, skip_longer: &mut bool) -> bool {
    // The C code reads one byte past the pattern (its NUL terminator): 0 here.
    let at = |p: &[u8], i: usize| -> u8 { p.get(i).copied().unwrap_or(0) };
    let lower = |c: u8| c.to_ascii_lowercase();
    let (mut p, mut s) = (pat, st);
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while !p.is_empty() && at(p, 1) == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if glob_impl(&p[1..], s, nocase, skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                // Nothing after this star matches anywhere in the rest of the
                // string, so earlier stars cannot help by matching more.
                *skip_longer = true;
                return false;
            }
            b'?' => s = &s[1..],
            b'[' => {
                p = &p[1..];
                let not = at(p, 0) == b'^';
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                // `back` marks the C code's "pattern--" when the class is unterminated.
                let mut back = false;
                loop {
                    if at(p, 0) == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                        if p[0] == s[0] {
                            matched = true;
                        }
                    } else if at(p, 0) == b']' {
                        break;
                    } else if p.is_empty() {
                        back = true;
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        let (mut start, mut end) = (p[0], p[2]);
                        let mut c = s[0];
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = lower(start);
                            end = lower(end);
                            c = lower(c);
                        }
                        p = &p[2..];
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if (!nocase && p[0] == s[0]) || (nocase && lower(p[0]) == lower(s[0])) {
                        matched = true;
                    }
                    p = &p[1..];
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                if back {
                    // The shared "advance the pattern" below would step past the end.
                    if s.is_empty() {
                        break;
                    }
                    continue;
                }
            }
            c => {
                let c = if c == b'\\' && p.len() >= 2 {
                    p = &p[1..];
                    p[0]
                } else {
                    c
                };
                let ok = if nocase {
                    lower(c) == lower(s[0])
                } else {
                    c == s[0]
                };
                if !ok {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while at(p, 0) == b'*' {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

pub fn ustime() -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    d.as_micros() as i64
}

pub fn mstime() -> i64 {
    ustime() / 1000
}

/// Monotonic microseconds (for durations: command time, slowlog, latency).
pub fn monotonic_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

/// xorshift64* PRNG: cheap randomness for sampling (random keys, expire cycle).
pub struct Rng(u64);

impl Rng {
    pub fn new() -> Rng {
        let seed = (ustime() as u64) ^ ((std::process::id() as u64) << 32) ^ 0x9E37_79B9_7F4A_7C15;
        Rng(seed | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

impl Default for Rng {
    fn default() -> Self {
        Rng::new()
    }
}

/// 40 random hex chars, as Redis's getRandomHexChars (run ids, replication ids).
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    } else {
        let mut r = Rng::new();
        for b in bytes.iter_mut() {
            *b = r.next_u64() as u8;
        }
    }
    const HEX: &[u8] = b"0123456789abcdef";
    bytes
        .iter()
        .map(|b| HEX[(b & 15) as usize] as char)
        .collect()
}

/// FNV-1a: a cheap hash for small fixed tables keyed by short names (the command
/// table), where SipHash's flood resistance buys nothing because the table never grows.
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

pub fn eq_ic(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn strtod_like_parsing() {
        use super::{parse_c_double, parse_double};
        assert_eq!(parse_c_double("0x10"), Some(16.0));
        assert_eq!(parse_c_double("-0X1.8p1"), Some(-3.0));
        assert_eq!(parse_c_double("0x.8"), Some(0.5));
        assert_eq!(parse_c_double("0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(parse_c_double("0x"), None);
        assert_eq!(parse_c_double("0x1p"), None);
        assert_eq!(parse_c_double("+-0x1"), None);
        assert_eq!(parse_double(b"1e400"), None);
        assert_eq!(parse_double(b"-1e400"), None);
        assert_eq!(parse_double(b"1e-400"), None);
        assert_eq!(parse_double(b"0x1p-5000"), None);
        assert_eq!(parse_double(b"0e5000"), Some(0.0));
        assert_eq!(parse_double(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double(b"4.9e-324"), Some(f64::from_bits(1)));
        assert_eq!(parse_double(b" 1"), None);
        assert_eq!(parse_double(b"1 "), None);
        assert_eq!(parse_double(b"nan"), None);
    }

    use super::*;
    #[test]
    fn strict_integers() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b""), None);
    }
    #[test]
    fn globs() {
        assert!(glob_match(b"*", b"anything", false));
        assert!(glob_match(b"h?llo", b"hello", false));
        assert!(glob_match(b"h[ae]llo", b"hallo", false));
        assert!(!glob_match(b"h[^e]llo", b"hello", false));
        assert!(glob_match(b"h[a-b]llo", b"hbllo", false));
        assert!(glob_match(b"foo*bar", b"fooXXbar", false));
        assert!(!glob_match(b"foo*bar", b"fooXXba", false));
        assert!(glob_match(b"a\\*b", b"a*b", false));
        assert!(glob_match(b"HELLO", b"hello", true));
    }
    #[test]
    fn g17() {
        assert_eq!(fmt_f64_g17(1.5), "1.5");
        assert_eq!(fmt_f64_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_f64_g17(1e20), "1e+20");
        assert_eq!(fmt_g(3.0, 17), "3");
    }
}

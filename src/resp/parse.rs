//! The request parser: RESP2 multibulk and inline commands, as Redis's
//! processMultibulkBuffer / processInlineBuffer read them. It takes bytes and
//! returns argument ranges plus the bytes consumed, `Incomplete`, or the exact
//! protocol error Redis replies with. It knows nothing about sockets.

/// Limits the parser enforces (from config and the client's auth state).
#[derive(Clone, Copy)]
pub struct Limits {
    pub proto_max_bulk_len: i64,
    /// Clients that have not authenticated get Redis's tighter limits.
    pub unauthenticated: bool,
}

const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;
const MULTIBULK_MAX: i64 = 1024 * 1024;
/// PROTO_MBULK_BIG_ARG: bulks from this size up are read into a buffer sized for them.
pub const PROTO_MBULK_BIG_ARG: usize = 32 * 1024;

#[derive(Debug, PartialEq)]
pub enum ParseOutcome {
    /// A complete command; `consumed` bytes of input. For inline commands the
    /// arguments were written unescaped into the scratch buffer.
    Complete {
        consumed: usize,
        inline: bool,
    },
    /// An empty line or `*0`/`*-1`: consumed, no command.
    Empty {
        consumed: usize,
    },
    Incomplete,
    /// Incomplete inside a bulk of at least PROTO_MBULK_BIG_ARG bytes whose
    /// header was read: the request needs `end` bytes from the start of the
    /// input. The reader reserves that much at once, as Redis does, so the
    /// client's memory shows the whole argument before it arrives. `start` is
    /// where the bulk's data begins (what precedes it Redis has already parsed
    /// out of its query buffer).
    IncompleteBigBulk {
        start: usize,
        end: usize,
    },
    Error(ProtoError),
}

/// Why a request was refused; `message()` is the text Redis replies with.
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum ProtoError {
    TooBigMbulkCount,
    InvalidMultibulkLen,
    UnauthMultibulkLen,
    TooBigBulkCount,
    ExpectedDollar(u8),
    InvalidBulkLen,
    UnauthBulkLen,
    TooBigInline,
    UnbalancedQuotes,
}

impl ProtoError {
    pub fn message(self) -> String {
        let s = match self {
            ProtoError::TooBigMbulkCount => "too big mbulk count string",
            ProtoError::InvalidMultibulkLen => "invalid multibulk length",
            ProtoError::UnauthMultibulkLen => "unauthenticated multibulk length",
            ProtoError::TooBigBulkCount => "too big bulk count string",
            ProtoError::ExpectedDollar(c) => {
                return format!("Protocol error: expected '$', got '{}'", c as char)
            }
            ProtoError::InvalidBulkLen => "invalid bulk length",
            ProtoError::UnauthBulkLen => "unauthenticated bulk length",
            ProtoError::TooBigInline => "too big inline request",
            ProtoError::UnbalancedQuotes => "unbalanced quotes in request",
        };
        format!("Protocol error: {}", s)
    }
}

fn find_crlf(b: &[u8]) -> Option<usize> {
    // The header lines are short; a plain scan beats anything fancier here.
    b.iter().position(|&c| c == b'\r').and_then(|i| {
        if i + 1 < b.len() {
            if b[i + 1] == b'\n' {
                Some(i)
            } else {
                // '\r' without '\n': Redis searches for '\r' only; what follows is then checked by the caller
                Some(i)
            }
        } else {
            None
        }
    })
}

/// Parses a header integer after the type byte. Redis uses string2ll on the text
/// between the type byte and '\r'.
fn header_int(b: &[u8]) -> Option<i64> {
    crate::util::parse_i64(b)
}

/// Parse one request from `buf`. `ranges` receives (start, end) offsets into `buf`
/// for multibulk arguments, or into `scratch` for inline ones.
pub fn parse_request(
    buf: &[u8],
    ranges: &mut Vec<(u32, u32)>,
    scratch: &mut Vec<u8>,
    limits: Limits,
) -> ParseOutcome {
    ranges.clear();
    if buf.is_empty() {
        return ParseOutcome::Incomplete;
    }
    if buf[0] == b'*' {
        parse_multibulk(buf, ranges, limits)
    } else {
        parse_inline(buf, ranges, scratch)
    }
}

fn parse_multibulk(buf: &[u8], ranges: &mut Vec<(u32, u32)>, limits: Limits) -> ParseOutcome {
    let nl = match find_crlf(buf) {
        Some(i) => i,
        None => {
            if buf.len() > PROTO_INLINE_MAX_SIZE {
                return ParseOutcome::Error(ProtoError::TooBigMbulkCount);
            }
            return ParseOutcome::Incomplete;
        }
    };
    if nl + 1 >= buf.len() {
        return ParseOutcome::Incomplete;
    }
    let count = match header_int(&buf[1..nl]) {
        Some(n) if n <= MULTIBULK_MAX => n,
        _ => return ParseOutcome::Error(ProtoError::InvalidMultibulkLen),
    };
    if limits.unauthenticated && count > 10 {
        return ParseOutcome::Error(ProtoError::UnauthMultibulkLen);
    }
    let mut pos = nl + 2;
    if count <= 0 {
        return ParseOutcome::Empty { consumed: pos };
    }
    for _ in 0..count {
        if pos >= buf.len() {
            return ParseOutcome::Incomplete;
        }
        let rest = &buf[pos..];
        let nl = match find_crlf(rest) {
            Some(i) => i,
            None => {
                if rest.len() > PROTO_INLINE_MAX_SIZE {
                    return ParseOutcome::Error(ProtoError::TooBigBulkCount);
                }
                return ParseOutcome::Incomplete;
            }
        };
        if rest[0] != b'$' {
            return ParseOutcome::Error(ProtoError::ExpectedDollar(rest[0]));
        }
        if nl + 1 >= rest.len() {
            return ParseOutcome::Incomplete;
        }
        let len = match header_int(&rest[1..nl]) {
            Some(n) if n >= 0 && n <= limits.proto_max_bulk_len => n as usize,
            _ => return ParseOutcome::Error(ProtoError::InvalidBulkLen),
        };
        if limits.unauthenticated && len > 16384 {
            return ParseOutcome::Error(ProtoError::UnauthBulkLen);
        }
        let start = pos + nl + 2;
        let end = start + len;
        if end + 2 > buf.len() {
            if len >= PROTO_MBULK_BIG_ARG {
                return ParseOutcome::IncompleteBigBulk {
                    start,
                    end: end + 2,
                };
            }
            return ParseOutcome::Incomplete;
        }
        ranges.push((start as u32, end as u32));
        pos = end + 2;
    }
    ParseOutcome::Complete {
        consumed: pos,
        inline: false,
    }
}

fn parse_inline(buf: &[u8], ranges: &mut Vec<(u32, u32)>, scratch: &mut Vec<u8>) -> ParseOutcome {
    // Redis finds the newline with strchr, which stops at a NUL byte: a NUL before the
    // newline means "no complete line yet".
    let nl = match buf.iter().position(|&c| c == b'\n' || c == 0) {
        Some(i) if buf[i] == b'\n' => i,
        _ => {
            if buf.len() > PROTO_INLINE_MAX_SIZE {
                return ParseOutcome::Error(ProtoError::TooBigInline);
            }
            return ParseOutcome::Incomplete;
        }
    };
    let consumed = nl + 1;
    let mut line = &buf[..nl];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    scratch.clear();
    if !split_args(line, ranges, scratch) {
        return ParseOutcome::Error(ProtoError::UnbalancedQuotes);
    }
    if ranges.is_empty() {
        return ParseOutcome::Empty { consumed };
    }
    ParseOutcome::Complete {
        consumed,
        inline: true,
    }
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Redis's sdssplitargs: whitespace-separated, "double quotes" with escapes,
/// 'single quotes' with \' only. Writes unescaped args into `out`, ranges into `ranges`.
/// Returns false on unbalanced quotes (or a closing quote not followed by a space).
pub fn split_args(line: &[u8], ranges: &mut Vec<(u32, u32)>, out: &mut Vec<u8>) -> bool {
    // Redis splits a C string: a NUL byte ends the line.
    let line = match line.iter().position(|&b| b == 0) {
        Some(z) => &line[..z],
        None => line,
    };
    let c_isspace = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && c_isspace(line[i]) {
            i += 1;
        }
        if i >= n {
            return true;
        }
        let start = out.len();
        let mut inq = false;
        let mut insq = false;
        loop {
            if inq {
                if i >= n {
                    return false;
                }
                let c = line[i];
                if c == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    out.push(hex_val(line[i + 2]) * 16 + hex_val(line[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < n {
                    i += 1;
                    out.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < n && !c_isspace(line[i + 1]) {
                        return false;
                    }
                    i += 1;
                    break;
                } else {
                    out.push(c);
                }
            } else if insq {
                if i >= n {
                    return false;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    out.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !c_isspace(line[i + 1]) {
                        return false;
                    }
                    i += 1;
                    break;
                } else {
                    out.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        break;
                    }
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => out.push(c),
                }
            }
            i += 1;
        }
        ranges.push((start as u32, out.len() as u32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const L: Limits = Limits {
        proto_max_bulk_len: 512 * 1024 * 1024,
        unauthenticated: false,
    };

    fn args(buf: &[u8]) -> (ParseOutcome, Vec<Vec<u8>>) {
        let mut r = Vec::new();
        let mut s = Vec::new();
        let o = parse_request(buf, &mut r, &mut s, L);
        let src: &[u8] = match o {
            ParseOutcome::Complete { inline: true, .. } => &s,
            _ => buf,
        };
        let v = r
            .iter()
            .map(|&(a, b)| src[a as usize..b as usize].to_vec())
            .collect();
        (o, v)
    }

    #[test]
    fn multibulk() {
        let (o, v) = args(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nextra");
        assert_eq!(
            o,
            ParseOutcome::Complete {
                consumed: 20,
                inline: false
            }
        );
        assert_eq!(v, vec![b"GET".to_vec(), b"k".to_vec()]);
        for cut in 1..20 {
            assert_eq!(
                args(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"[..cut]).0,
                ParseOutcome::Incomplete,
                "cut {}",
                cut
            );
        }
    }

    #[test]
    fn big_bulk_hint() {
        let n = PROTO_MBULK_BIG_ARG;
        let head = format!("*2\r\n$3\r\nSET\r\n${}\r\n", n);
        let mut req = head.clone().into_bytes();
        let start = req.len();
        let end = start + n + 2;
        assert_eq!(args(&req).0, ParseOutcome::IncompleteBigBulk { start, end });
        req.extend(std::iter::repeat(b'v').take(n / 2));
        assert_eq!(args(&req).0, ParseOutcome::IncompleteBigBulk { start, end });
        // Below the threshold nothing is reserved ahead.
        let small = format!("*1\r\n${}\r\nab", n - 1);
        assert_eq!(args(small.as_bytes()).0, ParseOutcome::Incomplete);
    }

    #[test]
    fn errors() {
        assert_eq!(
            args(b"*x\r\n").0,
            ParseOutcome::Error(ProtoError::InvalidMultibulkLen)
        );
        assert_eq!(
            args(b"*1\r\nx\r\n").0,
            ParseOutcome::Error(ProtoError::ExpectedDollar(b'x'))
        );
        assert_eq!(
            args(b"*1\r\n$-1\r\n").0,
            ParseOutcome::Error(ProtoError::InvalidBulkLen)
        );
        assert_eq!(
            args(b"*20000000\r\n").0,
            ParseOutcome::Error(ProtoError::InvalidMultibulkLen)
        );
        assert_eq!(
            args(b"set \"a\r\n").0,
            ParseOutcome::Error(ProtoError::UnbalancedQuotes)
        );
        let big = vec![b'a'; 70000];
        assert_eq!(args(&big).0, ParseOutcome::Error(ProtoError::TooBigInline));
    }

    #[test]
    fn inline() {
        let (o, v) = args(b"set \"a\\x41\\n\" 'b c'\r\n");
        assert!(matches!(o, ParseOutcome::Complete { inline: true, .. }));
        assert_eq!(v, vec![b"set".to_vec(), b"aA\n".to_vec(), b"b c".to_vec()]);
        assert_eq!(args(b"\r\n").0, ParseOutcome::Empty { consumed: 2 });
        // Like Redis's strchr, a NUL hides the newline after it.
        assert_eq!(args(b"set a\0b\r\n").0, ParseOutcome::Incomplete);
    }

    #[test]
    fn unauthenticated_limits() {
        let l = Limits {
            unauthenticated: true,
            ..L
        };
        let mut r = Vec::new();
        let mut s = Vec::new();
        assert_eq!(
            parse_request(b"*11\r\n", &mut r, &mut s, l),
            ParseOutcome::Error(ProtoError::UnauthMultibulkLen)
        );
        assert_eq!(
            parse_request(b"*1\r\n$16385\r\n", &mut r, &mut s, l),
            ParseOutcome::Error(ProtoError::UnauthBulkLen)
        );
    }

    /// A fuzz pass over 1M random mutations of valid requests: no input panics and
    /// ranges always lie inside the input.
    #[test]
    fn fuzz_smoke() {
        let mut rng = crate::util::Rng::new();
        let seeds: [&[u8]; 4] = [
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
            b"set a b\r\n",
            b"*1\r\n$0\r\n\r\n",
            b"\"a\\x4",
        ];
        let mut r = Vec::new();
        let mut s = Vec::new();
        for i in 0..1_000_000u64 {
            let mut input = seeds[(i % 4) as usize].to_vec();
            let muts = rng.below(4) + 1;
            for _ in 0..muts {
                let pos = rng.below(input.len() as u64 + 1) as usize;
                match rng.below(3) {
                    0 if pos < input.len() => input[pos] = rng.next_u64() as u8,
                    1 => input.insert(pos, b"*$\r\n-0123456789\"'\\x"[rng.below(19) as usize]),
                    _ if pos < input.len() => {
                        input.remove(pos);
                    }
                    _ => {}
                }
            }
            let o = parse_request(&input, &mut r, &mut s, L);
            if let ParseOutcome::Complete { consumed, inline } = o {
                assert!(consumed <= input.len());
                let lim = if inline { s.len() } else { input.len() };
                for &(a, b) in &r {
                    assert!(a <= b && (b as usize) <= lim);
                }
            }
        }
    }
}

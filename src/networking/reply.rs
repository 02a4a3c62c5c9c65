//! Reply encoding into the client's buffer, RESP2 or RESP3 by the client's
//! protocol (Redis's addReply* family). Handlers only ever write here; the
//! event loop flushes buffers before it sleeps.

use super::client::{Client, ClientFlags};
use crate::util::fmt_i64;

/// Where a deferred aggregate header goes (addReplyDeferredLen).
pub struct Deferred(usize);

impl Client {
    #[inline]
    fn replies_off(&self) -> bool {
        self.flags.0
            & (ClientFlags::REPLY_OFF | ClientFlags::REPLY_SKIP | ClientFlags::OBUF_LIMIT_HIT)
            != 0
    }

    /// The only per-reply cost of output buffer limits: one compare.
    #[inline]
    fn after_append(&mut self) {
        if self.reply.len() > self.obuf_check_at {
            self.obuf_threshold_crossed();
        }
    }

    #[inline]
    pub fn add_raw(&mut self, b: &[u8]) {
        if self.replies_off() {
            return;
        }
        self.reply.extend_from_slice(b);
        self.after_append();
    }

    /// A complete out-of-band message (an invalidation push). Like Redis's
    /// CLIENT_PUSHING it gets through CLIENT REPLY OFF/SKIP; only a client past
    /// its output limit drops it.
    pub fn add_push_raw(&mut self, b: &[u8]) {
        if self.flags.has(ClientFlags::OBUF_LIMIT_HIT) {
            return;
        }
        self.reply.extend_from_slice(b);
        self.after_append();
    }

    #[inline]
    fn add_header(&mut self, prefix: u8, n: i64) {
        if self.replies_off() {
            return;
        }
        let mut t = [0u8; 20];
        let digits = fmt_i64(n, &mut t);
        self.reply.reserve(digits.len() + 3);
        self.reply.push(prefix);
        self.reply.extend_from_slice(digits);
        self.reply.extend_from_slice(b"\r\n");
        self.after_append();
    }

    #[inline]
    pub fn add_ok(&mut self) {
        self.add_raw(b"+OK\r\n");
    }

    pub fn add_status(&mut self, s: &str) {
        self.add_status_bytes(s.as_bytes());
    }

    pub fn add_status_bytes(&mut self, s: &[u8]) {
        if self.replies_off() {
            return;
        }
        self.reply.push(b'+');
        self.reply.extend(
            s.iter()
                .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
        );
        self.reply.extend_from_slice(b"\r\n");
        self.after_append();
    }

    /// An error reply. Text starting with '-' carries its own code ("-WRONGTYPE ...");
    /// anything else is prefixed "-ERR ", as addReplyErrorLength does. The code is
    /// recorded for errorstats even when replies are off.
    pub fn add_error(&mut self, msg: &str) {
        self.add_error_counted(msg, true);
    }

    /// An error already counted in errorstats where it arose (a script's
    /// rejected redis.call: ERR_REPLY_FLAG_NO_STATS_UPDATE). The command still
    /// counts as failed: an empty code marks it, and errorstats skips it.
    pub fn add_error_no_stats(&mut self, msg: &str) {
        self.add_error_counted(msg, false);
    }

    fn add_error_counted(&mut self, msg: &str, count: bool) {
        let full: String = if msg.starts_with('-') {
            msg[1..].to_string()
        } else {
            format!("ERR {}", msg)
        };
        let code = if count {
            full.split(' ').next().unwrap_or("ERR")
        } else {
            ""
        };
        self.error_codes.push(code.to_string());
        if self.replies_off() {
            return;
        }
        self.reply.push(b'-');
        self.reply.extend(
            full.bytes()
                .map(|c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
        );
        self.reply.extend_from_slice(b"\r\n");
        self.after_append();
    }

    pub fn add_error_fmt(&mut self, args: std::fmt::Arguments) {
        self.add_error(&std::fmt::format(args));
    }

    #[inline]
    pub fn add_int(&mut self, n: i64) {
        self.add_header(b':', n);
    }

    #[inline]
    pub fn add_bulk(&mut self, b: &[u8]) {
        if self.replies_off() {
            return;
        }
        let mut t = [0u8; 20];
        let digits = fmt_i64(b.len() as i64, &mut t);
        self.reply.reserve(b.len() + digits.len() + 5);
        self.reply.push(b'$');
        self.reply.extend_from_slice(digits);
        self.reply.extend_from_slice(b"\r\n");
        self.reply.extend_from_slice(b);
        self.reply.extend_from_slice(b"\r\n");
        self.after_append();
    }

    pub fn add_bulk_str(&mut self, s: &str) {
        self.add_bulk(s.as_bytes());
    }

    pub fn add_bulk_i64(&mut self, n: i64) {
        let mut t = [0u8; 20];
        let len = fmt_i64(n, &mut t).len();
        self.add_bulk(&t[20 - len..]);
    }

    /// Null bulk: `$-1` in RESP2, `_` in RESP3.
    #[inline]
    pub fn add_null(&mut self) {
        if self.resp >= 3 {
            self.add_raw(b"_\r\n");
        } else {
            self.add_raw(b"$-1\r\n");
        }
    }

    /// Null array: `*-1` in RESP2, `_` in RESP3.
    pub fn add_null_array(&mut self) {
        if self.resp >= 3 {
            self.add_raw(b"_\r\n");
        } else {
            self.add_raw(b"*-1\r\n");
        }
    }

    #[inline]
    pub fn add_array_len(&mut self, n: usize) {
        self.add_header(b'*', n as i64);
    }

    /// A map header: `%n` in RESP3, `*2n` in RESP2.
    pub fn add_map_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.add_header(b'%', n as i64);
        } else {
            self.add_header(b'*', 2 * n as i64);
        }
    }

    /// A set header: `~n` in RESP3, `*n` in RESP2.
    pub fn add_set_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.add_header(b'~', n as i64);
        } else {
            self.add_header(b'*', n as i64);
        }
    }

    /// A push header: `>n` in RESP3, `*n` in RESP2.
    pub fn add_push_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.add_header(b'>', n as i64);
        } else {
            self.add_header(b'*', n as i64);
        }
    }

    /// An attribute header (RESP3 only; RESP2 clients get nothing, as Redis does).
    pub fn add_attribute_len(&mut self, n: usize) {
        if self.resp >= 3 {
            self.add_header(b'|', n as i64);
        }
    }

    /// A double: `,x` in RESP3, a bulk string in RESP2 (%.17g, inf/-inf).
    pub fn add_double(&mut self, d: f64) {
        let s = crate::util::fmt_f64_g17(d);
        if self.resp >= 3 {
            self.add_raw(b",");
            self.add_raw(s.as_bytes());
            self.add_raw(b"\r\n");
        } else {
            self.add_bulk(s.as_bytes());
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn add_bool(&mut self, b: bool) {
        if self.resp >= 3 {
            self.add_raw(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.add_int(b as i64);
        }
    }

    /// A big number: `(digits` in RESP3, a bulk string in RESP2.
    pub fn add_bignum(&mut self, digits: &[u8]) {
        if self.resp >= 3 {
            self.add_raw(b"(");
            self.add_raw(digits);
            self.add_raw(b"\r\n");
        } else {
            self.add_bulk(digits);
        }
    }

    /// Verbatim text: `=len\r\ntxt:...` in RESP3, a bulk string in RESP2.
    pub fn add_verbatim(&mut self, text: &[u8], ext: &str) {
        if self.resp >= 3 {
            self.add_header(b'=', (text.len() + 4) as i64);
            self.add_raw(ext.as_bytes());
            self.add_raw(b":");
            self.add_raw(text);
            self.add_raw(b"\r\n");
        } else {
            self.add_bulk(text);
        }
    }

    /// Starts an aggregate whose length is known only later.
    pub fn defer_len(&mut self) -> Deferred {
        Deferred(self.reply.len())
    }

    fn set_deferred(&mut self, d: Deferred, prefix: u8, n: i64) {
        if self.replies_off() {
            return;
        }
        let mut t = [0u8; 20];
        let digits = fmt_i64(n, &mut t);
        let mut hdr = Vec::with_capacity(digits.len() + 3);
        hdr.push(prefix);
        hdr.extend_from_slice(digits);
        hdr.extend_from_slice(b"\r\n");
        self.reply.splice(d.0..d.0, hdr);
    }

    pub fn set_deferred_array_len(&mut self, d: Deferred, n: usize) {
        self.set_deferred(d, b'*', n as i64);
    }

    pub fn set_deferred_map_len(&mut self, d: Deferred, n: usize) {
        if self.resp >= 3 {
            self.set_deferred(d, b'%', n as i64);
        } else {
            self.set_deferred(d, b'*', 2 * n as i64);
        }
    }

    pub fn set_deferred_set_len(&mut self, d: Deferred, n: usize) {
        let p = if self.resp >= 3 { b'~' } else { b'*' };
        self.set_deferred(d, p, n as i64);
    }

    /// Helper for the ubiquitous "array of bulk strings".
    pub fn add_bulk_array<I, T>(&mut self, items: I)
    where
        I: ExactSizeIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.add_array_len(items.len());
        for i in items {
            self.add_bulk(i.as_ref());
        }
    }

    // Shared error replies, exact Redis texts.
    pub fn add_error_syntax(&mut self) {
        self.add_error("syntax error");
    }
    pub fn add_error_not_int(&mut self) {
        self.add_error("value is not an integer or out of range");
    }
    pub fn add_error_not_float(&mut self) {
        self.add_error("value is not a valid float");
    }
    pub fn add_error_wrongtype(&mut self) {
        self.add_error("-WRONGTYPE Operation against a key holding the wrong kind of value");
    }
    pub fn add_error_no_key(&mut self) {
        self.add_error("no such key");
    }
    pub fn add_error_arity(&mut self, cmd: &str) {
        self.add_error(&format!("wrong number of arguments for '{}' command", cmd));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn encodings() {
        let mut c = Client::fake(1);
        c.add_bulk(b"hi");
        c.add_int(-5);
        c.add_null();
        c.add_map_len(1);
        c.add_double(1.5);
        c.add_error("-WRONGTYPE x\ny");
        c.add_error("boom");
        assert_eq!(
            c.take_reply(),
            b"$2\r\nhi\r\n:-5\r\n$-1\r\n*2\r\n$3\r\n1.5\r\n-WRONGTYPE x y\r\n-ERR boom\r\n"
                .to_vec()
        );
        assert_eq!(
            c.error_codes,
            vec!["WRONGTYPE".to_string(), "ERR".to_string()]
        );
        c.resp = 3;
        c.add_null();
        c.add_map_len(1);
        c.add_double(1.5);
        c.add_bool(true);
        assert_eq!(c.take_reply(), b"_\r\n%1\r\n,1.5\r\n#t\r\n".to_vec());
        let d = c.defer_len();
        c.add_bulk(b"a");
        c.set_deferred_array_len(d, 1);
        assert_eq!(c.take_reply(), b"*1\r\n$1\r\na\r\n".to_vec());
    }
}

//! Redis's `long double` arithmetic, for INCRBYFLOAT (and HINCRBYFLOAT): the x86-64
//! 80-bit extended format (64-bit mantissa, 15-bit exponent) done in software, with
//! strtold-compatible parsing (string2ld), correctly rounded addition, and printf's
//! "%.17Lf" followed by Redis's trimming (ld2string LD_STR_HUMAN). f64 would give
//! visibly different results ("-0.10000000000000009" instead of Redis's "-0.1").

/// Exponent of the least significant mantissa bit for subnormals (2^-16445 is the
/// smallest positive value) and for the smallest normal numbers.
const MIN_EXP: i64 = -16445;
/// Largest exponent with a 64-bit mantissa: (2^64-1) * 2^16320 is LDBL_MAX.
const MAX_EXP: i64 = 16320;
/// MAX_LONG_DOUBLE_CHARS: string2ld refuses inputs this long or longer.
const MAX_CHARS: usize = 5 * 1024;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LongDouble {
    /// value = m * 2^e. Normalised: bit 63 of `m` set, or `e == MIN_EXP` (subnormal or zero).
    Finite {
        neg: bool,
        m: u64,
        e: i64,
    },
    Inf {
        neg: bool,
    },
    Nan,
}

impl LongDouble {
    pub fn from_i64(v: i64) -> LongDouble {
        let neg = v < 0;
        let m = v.unsigned_abs();
        round(neg, m as u128, 0, false)
    }

    /// The exact value of a double (every f64 is representable), as C's implicit
    /// double to long double conversion gives it.
    pub fn from_f64(v: f64) -> LongDouble {
        if v.is_nan() {
            return LongDouble::Nan;
        }
        let neg = v.is_sign_negative();
        if v.is_infinite() {
            return LongDouble::Inf { neg };
        }
        let bits = v.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (m, e) = if exp == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), exp - 1075)
        };
        round(neg, m as u128, e, false)
    }

    pub fn is_finite(&self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// Parses a value the way Redis's string2ld does: the whole input must be a
    /// strtold number (decimal, hex, inf/infinity), no leading space, not NaN, and
    /// neither overflowing nor underflowing to zero.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_CHARS {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::Inf { neg });
        }
        let v = if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
            parse_hex(neg, &body[2..])?
        } else {
            parse_dec(neg, body)?
        };
        match v {
            LongDouble::Finite { .. } => Some(v),
            // Overflow (ERANGE with HUGE_VAL) is refused like NaN.
            _ => None,
        }
    }

    /// Correctly rounded (to nearest, ties to even) sum, as the FPU computes it.
    pub fn add(self, other: LongDouble) -> LongDouble {
        use LongDouble::*;
        let (a, b) = match (self, other) {
            (Nan, _) | (_, Nan) => return Nan,
            (Inf { neg: x }, Inf { neg: y }) => return if x == y { Inf { neg: x } } else { Nan },
            (Inf { neg }, _) | (_, Inf { neg }) => return Inf { neg },
            (a, b) => (a, b),
        };
        let (
            Finite {
                neg: na,
                m: ma,
                e: ea,
            },
            Finite {
                neg: nb,
                m: mb,
                e: eb,
            },
        ) = (a, b)
        else {
            unreachable!()
        };
        if mb == 0 {
            if ma == 0 {
                // +0 + -0 is +0 in round-to-nearest; same signs keep the sign.
                return Finite {
                    neg: na && nb,
                    m: 0,
                    e: MIN_EXP,
                };
            }
            return a;
        }
        if ma == 0 {
            return b;
        }
        // Make `a` the operand with the larger exponent.
        let (na, ma, ea, nb, mb, eb) = if ea >= eb {
            (na, ma, ea, nb, mb, eb)
        } else {
            (nb, mb, eb, na, ma, ea)
        };
        let d = ea - eb;
        // Scale `a` up by 63 bits so the smaller operand keeps 63 bits of guard room.
        let big_a = (ma as u128) << 63;
        let exp = ea - 63;
        let (small_b, sticky) = if d <= 63 {
            ((mb as u128) << (63 - d), false)
        } else if d - 63 < 64 {
            let sh = d - 63;
            ((mb >> sh) as u128, mb & ((1u64 << sh) - 1) != 0)
        } else {
            (0, true)
        };
        if na == nb {
            return round(na, big_a + small_b, exp, sticky);
        }
        // Opposite signs: subtract magnitudes.
        if big_a > small_b || (big_a == small_b && sticky) {
            let mut diff = big_a - small_b;
            if sticky {
                // The true value lies strictly between diff-1 and diff.
                diff -= 1;
            }
            round(na, diff, exp, sticky)
        } else if big_a == small_b {
            Finite {
                neg: false,
                m: 0,
                e: MIN_EXP,
            }
        } else {
            // Only possible without sticky bits (d <= 63).
            round(nb, small_b - big_a, exp, false)
        }
    }

    /// printf("%.17Lf") then Redis's trimming of trailing zeros and of "-0"
    /// (ld2string with LD_STR_HUMAN). Callers refuse non-finite values first.
    pub fn to_human_string(self) -> String {
        let (neg, m, e) = match self {
            LongDouble::Finite { neg, m, e } => (neg, m, e),
            LongDouble::Inf { neg } => return if neg { "-inf".into() } else { "inf".into() },
            LongDouble::Nan => return "nan".into(),
        };
        const SCALE: u128 = 100_000_000_000_000_000; // 10^17
        let digits: Vec<u8> = if e >= 0 {
            let mut n = BigUint::from_u128(m as u128 * SCALE);
            n.shl(e as usize);
            n.to_decimal()
        } else {
            // m * 10^17 < 2^121, so the scaled value fits a u128 before the shift.
            let p = m as u128 * SCALE;
            let sh = (-e) as u32;
            let q = if sh >= 128 {
                0
            } else {
                let q = p >> sh;
                let rem = p & ((1u128 << sh) - 1);
                let half = 1u128 << (sh - 1);
                if rem > half || (rem == half && q & 1 == 1) {
                    q + 1
                } else {
                    q
                }
            };
            q.to_string().into_bytes()
        };
        let mut s = String::with_capacity(digits.len() + 3);
        if neg {
            s.push('-');
        }
        let pad = 18usize.saturating_sub(digits.len());
        let mut all: Vec<u8> = vec![b'0'; pad];
        all.extend_from_slice(&digits);
        let int_len = all.len() - 17;
        s.push_str(std::str::from_utf8(&all[..int_len]).unwrap());
        let frac = std::str::from_utf8(&all[int_len..])
            .unwrap()
            .trim_end_matches('0');
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
        if s == "-0" {
            s = "0".into();
        }
        s
    }
}

/// Rounds mant * 2^exp (plus a nonzero tail below the last bit when `sticky`) to
/// the 64-bit mantissa format, ties to even, with subnormals and overflow to inf.
fn round(neg: bool, mant: u128, exp: i64, sticky: bool) -> LongDouble {
    if mant == 0 {
        // A tail alone is below half the smallest subnormal in every caller.
        return LongDouble::Finite {
            neg,
            m: 0,
            e: MIN_EXP,
        };
    }
    let n = 128 - mant.leading_zeros() as i64;
    let mut shift = n - 64;
    if exp + shift < MIN_EXP {
        shift = MIN_EXP - exp;
    }
    let mut e = exp + shift;
    let m: u64 = if shift <= 0 {
        debug_assert!(!sticky);
        (mant << (-shift)) as u64
    } else {
        let (q, half, rest) = if shift > 128 {
            (0u128, false, true)
        } else if shift == 128 {
            (
                0u128,
                mant >> 127 == 1,
                mant & (u128::MAX >> 1) != 0 || sticky,
            )
        } else {
            let s = shift as u32;
            let low = mant & ((1u128 << (s - 1)) - 1);
            (mant >> s, (mant >> (s - 1)) & 1 == 1, low != 0 || sticky)
        };
        let mut q = q;
        if half && (rest || q & 1 == 1) {
            q += 1;
        }
        if q >> 64 != 0 {
            q >>= 1;
            e += 1;
        }
        q as u64
    };
    if e > MAX_EXP {
        return LongDouble::Inf { neg };
    }
    if m == 0 {
        return LongDouble::Finite {
            neg,
            m: 0,
            e: MIN_EXP,
        };
    }
    LongDouble::Finite { neg, m, e }
}

fn parse_dec(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let mut i = 0;
    let mut digits: Vec<u8> = Vec::new();
    let mut frac_digits: i64 = 0;
    let mut seen_digit = false;
    while i < s.len() && s[i].is_ascii_digit() {
        seen_digit = true;
        if !(digits.is_empty() && s[i] == b'0') {
            digits.push(s[i] - b'0');
        }
        i += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            seen_digit = true;
            frac_digits += 1;
            // Leading zeros (before any nonzero digit) only move the exponent.
            if !(digits.is_empty() && s[i] == b'0') {
                digits.push(s[i] - b'0');
            }
            i += 1;
        }
    }
    if !seen_digit {
        return None;
    }
    let mut exp10: i64 = 0;
    if i < s.len() && (s[i] | 0x20) == b'e' {
        i += 1;
        let mut eneg = false;
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            eneg = s[i] == b'-';
            i += 1;
        }
        if i >= s.len() || !s[i].is_ascii_digit() {
            return None;
        }
        while i < s.len() && s[i].is_ascii_digit() {
            exp10 = (exp10 * 10 + (s[i] - b'0') as i64).min(1_000_000_000);
            i += 1;
        }
        if eneg {
            exp10 = -exp10;
        }
    }
    if i != s.len() {
        return None;
    }
    // Drop trailing zeros of the digit string into the exponent.
    while digits.last() == Some(&0) {
        digits.pop();
        exp10 += 1;
    }
    if digits.is_empty() {
        return Some(LongDouble::Finite {
            neg,
            m: 0,
            e: MIN_EXP,
        });
    }
    // value = D * 10^E with D the digit string as an integer.
    let e10 = exp10 - frac_digits;
    let magnitude = digits.len() as i64 + e10; // value < 10^magnitude
    if magnitude > 4934 {
        return Some(LongDouble::Inf { neg });
    }
    if magnitude < -4952 {
        // Far below half the smallest subnormal: strtold gives 0 with ERANGE.
        return None;
    }
    let mut p = BigUint::from_digits(&digits);
    let mut q = BigUint::from_u128(1);
    if e10 >= 0 {
        p.mul_pow10(e10 as usize);
    } else {
        q.mul_pow10((-e10) as usize);
    }
    let v = divide_round(neg, p, q);
    if let LongDouble::Finite { m: 0, .. } = v {
        return None;
    }
    Some(v)
}

fn parse_hex(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let mut i = 0;
    let mut h = BigUint::from_u128(0);
    let mut seen = false;
    let mut exp2: i64 = 0;
    while i < s.len() && s[i].is_ascii_hexdigit() {
        seen = true;
        h.mul_small_add(16, hexval(s[i]));
        i += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_hexdigit() {
            seen = true;
            h.mul_small_add(16, hexval(s[i]));
            exp2 -= 4;
            i += 1;
        }
    }
    if !seen {
        return None;
    }
    if i < s.len() && (s[i] | 0x20) == b'p' {
        i += 1;
        let mut eneg = false;
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            eneg = s[i] == b'-';
            i += 1;
        }
        if i >= s.len() || !s[i].is_ascii_digit() {
            return None;
        }
        let mut e: i64 = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            e = (e * 10 + (s[i] - b'0') as i64).min(1_000_000_000);
            i += 1;
        }
        exp2 += if eneg { -e } else { e };
    }
    if i != s.len() {
        return None;
    }
    if h.is_zero() {
        return Some(LongDouble::Finite {
            neg,
            m: 0,
            e: MIN_EXP,
        });
    }
    let bits = h.bit_len() as i64;
    let (mant, sticky, exp) = if bits > 127 {
        let sh = (bits - 127) as usize;
        let sticky = h.low_bits_nonzero(sh);
        h.shr(sh);
        (h.to_u128(), sticky, exp2 + sh as i64)
    } else {
        (h.to_u128(), false, exp2)
    };
    let v = round(neg, mant, exp, sticky);
    if let LongDouble::Finite { m: 0, .. } = v {
        return None;
    }
    Some(v)
}

fn hexval(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => (c - b'0') as u32,
        _ => ((c | 0x20) - b'a' + 10) as u32,
    }
}

/// Rounds p/q (both nonzero) to the long double format.
fn divide_round(neg: bool, mut p: BigUint, mut q: BigUint) -> LongDouble {
    // Scale so the quotient has 67 or 68 bits: enough for rounding with a sticky tail,
    // and never more than 69 bits, which the schoolbook loop below produces.
    let k = 67 - (p.bit_len() as i64 - q.bit_len() as i64);
    if k > 0 {
        p.shl(k as usize);
    } else if k < 0 {
        q.shl((-k) as usize);
    }
    let mut quot: u128 = 0;
    let mut t = q.clone();
    t.shl(68);
    for _ in 0..=68 {
        quot <<= 1;
        if p.cmp(&t) != std::cmp::Ordering::Less {
            p.sub_assign(&t);
            quot |= 1;
        }
        t.shr(1);
    }
    round(neg, quot, -k, !p.is_zero())
}

/// Just enough unsigned big-integer arithmetic for exact conversions.
#[derive(Clone, Debug)]
struct BigUint {
    /// Little-endian 32-bit limbs, no trailing zero limbs.
    d: Vec<u32>,
}

impl BigUint {
    fn from_u128(mut v: u128) -> BigUint {
        let mut d = Vec::new();
        while v != 0 {
            d.push(v as u32);
            v >>= 32;
        }
        BigUint { d }
    }

    fn from_digits(digits: &[u8]) -> BigUint {
        let mut n = BigUint { d: Vec::new() };
        for chunk in digits.chunks(9) {
            let mut v = 0u32;
            for &x in chunk {
                v = v * 10 + x as u32;
            }
            n.mul_small_add(10u32.pow(chunk.len() as u32), v);
        }
        n
    }

    fn is_zero(&self) -> bool {
        self.d.is_empty()
    }

    fn trim(&mut self) {
        while self.d.last() == Some(&0) {
            self.d.pop();
        }
    }

    fn bit_len(&self) -> usize {
        match self.d.last() {
            None => 0,
            Some(&top) => self.d.len() * 32 - top.leading_zeros() as usize,
        }
    }

    fn to_u128(&self) -> u128 {
        let mut v = 0u128;
        for (i, &l) in self.d.iter().enumerate().take(4) {
            v |= (l as u128) << (32 * i);
        }
        v
    }

    fn mul_small_add(&mut self, mul: u32, add: u32) {
        let mut carry = add as u64;
        for l in self.d.iter_mut() {
            let x = *l as u64 * mul as u64 + carry;
            *l = x as u32;
            carry = x >> 32;
        }
        if carry != 0 {
            self.d.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut n: usize) {
        while n >= 9 {
            self.mul_small_add(1_000_000_000, 0);
            n -= 9;
        }
        if n > 0 {
            self.mul_small_add(10u32.pow(n as u32), 0);
        }
    }

    fn shl(&mut self, bits: usize) {
        if self.is_zero() {
            return;
        }
        let limbs = bits / 32;
        let b = (bits % 32) as u32;
        if b != 0 {
            let mut carry = 0u32;
            for l in self.d.iter_mut() {
                let nl = (*l << b) | carry;
                carry = *l >> (32 - b);
                *l = nl;
            }
            if carry != 0 {
                self.d.push(carry);
            }
        }
        if limbs > 0 {
            self.d.splice(0..0, std::iter::repeat_n(0, limbs));
        }
    }

    fn shr(&mut self, bits: usize) {
        let limbs = bits / 32;
        if limbs >= self.d.len() {
            self.d.clear();
            return;
        }
        self.d.drain(0..limbs);
        let b = (bits % 32) as u32;
        if b != 0 {
            let n = self.d.len();
            for i in 0..n {
                let hi = if i + 1 < n {
                    self.d[i + 1] << (32 - b)
                } else {
                    0
                };
                self.d[i] = (self.d[i] >> b) | hi;
            }
        }
        self.trim();
    }

    fn low_bits_nonzero(&self, bits: usize) -> bool {
        let limbs = bits / 32;
        if self.d.iter().take(limbs).any(|&l| l != 0) {
            return true;
        }
        let b = bits % 32;
        b != 0 && limbs < self.d.len() && self.d[limbs] & ((1u32 << b) - 1) != 0
    }

    fn cmp(&self, o: &BigUint) -> std::cmp::Ordering {
        self.d
            .len()
            .cmp(&o.d.len())
            .then_with(|| self.d.iter().rev().cmp(o.d.iter().rev()))
    }

    /// self -= o; requires self >= o.
    fn sub_assign(&mut self, o: &BigUint) {
        let mut borrow = 0i64;
        for i in 0..self.d.len() {
            let r = self.d[i] as i64 - borrow - *o.d.get(i).unwrap_or(&0) as i64;
            if r < 0 {
                self.d[i] = (r + (1i64 << 32)) as u32;
                borrow = 1;
            } else {
                self.d[i] = r as u32;
                borrow = 0;
            }
        }
        self.trim();
    }

    fn to_decimal(&self) -> Vec<u8> {
        if self.is_zero() {
            return b"0".to_vec();
        }
        let mut n = self.d.clone();
        let mut chunks: Vec<u32> = Vec::new();
        while !n.is_empty() {
            let mut rem = 0u64;
            for l in n.iter_mut().rev() {
                let cur = (rem << 32) | *l as u64;
                *l = (cur / 1_000_000_000) as u32;
                rem = cur % 1_000_000_000;
            }
            chunks.push(rem as u32);
            while n.last() == Some(&0) {
                n.pop();
            }
        }
        let mut s = chunks.last().unwrap().to_string();
        for c in chunks.iter().rev().skip(1) {
            s.push_str(&format!("{:09}", c));
        }
        s.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> String {
        let x = LongDouble::parse(a.as_bytes()).unwrap();
        let y = LongDouble::parse(b.as_bytes()).unwrap();
        x.add(y).to_human_string()
    }

    #[test]
    fn from_f64_is_exact() {
        assert_eq!(LongDouble::from_f64(0.5).to_human_string(), "0.5");
        assert_eq!(LongDouble::from_f64(-3.0).to_human_string(), "-3");
        assert_eq!(
            LongDouble::from_f64(13.361389338970184).to_human_string(),
            "13.36138933897018433"
        );
        assert_eq!(LongDouble::from_f64(0.0).to_human_string(), "0");
    }

    #[test]
    fn human_format() {
        // Values checked against Redis 7.0.15 on x86-64.
        assert_eq!(incr("1", "-1.1"), "-0.1");
        assert_eq!(incr("10.5", "0.1"), "10.6");
        assert_eq!(incr("17179869184", "1.5"), "17179869185.5");
        assert_eq!(incr("17179869184", "17179869184"), "34359738368");
        assert_eq!(incr("3.0e3", "200"), "3200");
        assert_eq!(incr("0.024390243902439025", "-0.024390243902439025"), "0");
        assert_eq!(incr("0", "0.000003814697265625"), "0.00000381469726562");
        assert_eq!(incr("0", "-1e-30"), "0");
        assert_eq!(incr("5.0e3", "2.0e3"), "7000");
        assert_eq!(incr("1e30", "0"), "1000000000000000000024696061952");
    }

    #[test]
    fn parsing() {
        assert!(LongDouble::parse(b" 1").is_none());
        assert!(LongDouble::parse(b"1 ").is_none());
        assert!(LongDouble::parse(b"").is_none());
        assert!(LongDouble::parse(b"nan").is_none());
        assert!(LongDouble::parse(b"1e").is_none());
        assert!(LongDouble::parse(b".").is_none());
        assert!(LongDouble::parse(b"0x").is_none());
        assert!(LongDouble::parse(b"1e99999").is_none());
        assert!(LongDouble::parse(b"1e-99999").is_none());
        assert!(LongDouble::parse(b"1\x002").is_none());
        assert_eq!(
            LongDouble::parse(b"+inf"),
            Some(LongDouble::Inf { neg: false })
        );
        assert_eq!(
            LongDouble::parse(b"-Infinity"),
            Some(LongDouble::Inf { neg: true })
        );
        assert_eq!(LongDouble::parse(b"0x10").unwrap().to_human_string(), "16");
        assert_eq!(
            LongDouble::parse(b"0x1.8p1").unwrap().to_human_string(),
            "3"
        );
        assert_eq!(LongDouble::parse(b".5").unwrap().to_human_string(), "0.5");
        assert_eq!(LongDouble::parse(b"5.").unwrap().to_human_string(), "5");
        assert_eq!(LongDouble::parse(b"-0").unwrap().to_human_string(), "0");
        assert_eq!(
            LongDouble::parse(b"0e-99999").unwrap().to_human_string(),
            "0"
        );
        // Subnormals are accepted; they print as zero with 17 decimals.
        assert!(LongDouble::parse(b"1e-4940").is_some());
    }

    #[test]
    fn integers_exact() {
        for v in [0i64, 1, -1, i64::MAX, i64::MIN, 1234567890123] {
            assert_eq!(LongDouble::from_i64(v).to_human_string(), v.to_string());
        }
    }

    #[test]
    fn overflow_to_inf() {
        let big = LongDouble::parse(b"1.1e4932").unwrap();
        assert!(!big.add(big).is_finite());
    }
}

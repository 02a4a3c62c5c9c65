//! Redis's intset as real bytes: the compact encoding of small all-integer
//! sets. Layout (little-endian): u32 encoding (2, 4 or 8 = bytes per
//! element), u32 length, then the elements sorted ascending. Adding a value
//! that does not fit the current width upgrades every element, exactly as
//! Redis does, so the bytes (RDB, MEMORY USAGE) match.

const HDR: usize = 8;
pub const ENC_INT16: u32 = 2;
pub const ENC_INT32: u32 = 4;
pub const ENC_INT64: u32 = 8;

/// The width Redis picks for a single value.
pub fn value_encoding(v: i64) -> u32 {
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        ENC_INT64
    } else if v < i16::MIN as i64 || v > i16::MAX as i64 {
        ENC_INT32
    } else {
        ENC_INT16
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Intset {
    buf: Vec<u8>,
}

impl std::fmt::Debug for Intset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Default for Intset {
    fn default() -> Self {
        Self::new()
    }
}

impl Intset {
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(HDR);
        buf.extend_from_slice(&ENC_INT16.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        Intset { buf }
    }

    /// Validates (deeply if asked: sorted, no duplicates) and wraps the bytes.
    pub fn from_bytes(buf: Vec<u8>, deep: bool) -> Option<Self> {
        if validate(&buf, deep) {
            Some(Intset { buf })
        } else {
            None
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes of the blob (intsetBlobLen).
    pub fn blob_len(&self) -> usize {
        self.buf.len()
    }

    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    #[inline]
    pub fn encoding(&self) -> u32 {
        u32::from_le_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]])
    }

    #[inline]
    pub fn len(&self) -> usize {
        u32::from_le_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn set_len(&mut self, n: usize) {
        self.buf[4..8].copy_from_slice(&(n as u32).to_le_bytes());
    }

    #[inline]
    fn get_enc(&self, i: usize, enc: u32) -> i64 {
        let o = HDR + i * enc as usize;
        let b = &self.buf;
        match enc {
            ENC_INT16 => i16::from_le_bytes([b[o], b[o + 1]]) as i64,
            ENC_INT32 => i32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) as i64,
            _ => {
                let mut a = [0u8; 8];
                a.copy_from_slice(&b[o..o + 8]);
                i64::from_le_bytes(a)
            }
        }
    }

    #[inline]
    fn set_enc(&mut self, i: usize, enc: u32, v: i64) {
        let o = HDR + i * enc as usize;
        match enc {
            ENC_INT16 => self.buf[o..o + 2].copy_from_slice(&(v as i16).to_le_bytes()),
            ENC_INT32 => self.buf[o..o + 4].copy_from_slice(&(v as i32).to_le_bytes()),
            _ => self.buf[o..o + 8].copy_from_slice(&v.to_le_bytes()),
        }
    }

    /// The element at position `i` (0-based, ascending order).
    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        self.get_enc(i, self.encoding())
    }

    pub fn min(&self) -> Option<i64> {
        if self.is_empty() {
            None
        } else {
            Some(self.get(0))
        }
    }

    pub fn max(&self) -> Option<i64> {
        let n = self.len();
        if n == 0 {
            None
        } else {
            Some(self.get(n - 1))
        }
    }

    /// Ok(pos) if present, Err(insert position) otherwise (intsetSearch).
    pub fn search(&self, v: i64) -> Result<usize, usize> {
        let n = self.len();
        if n == 0 {
            return Err(0);
        }
        let enc = self.encoding();
        if v > self.get_enc(n - 1, enc) {
            return Err(n);
        }
        if v < self.get_enc(0, enc) {
            return Err(0);
        }
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let cur = self.get_enc(mid, enc);
            if cur == v {
                return Ok(mid);
            } else if cur < v {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        value_encoding(v) <= self.encoding() && self.search(v).is_ok()
    }

    /// Adds `v`; false if it was already there.
    pub fn add(&mut self, v: i64) -> bool {
        let enc = self.encoding();
        let venc = value_encoding(v);
        let n = self.len();
        if venc > enc {
            // A value that needs a wider encoding is beyond every current
            // element, so it goes first (negative) or last (positive).
            self.buf.resize(HDR + (n + 1) * venc as usize, 0);
            self.buf[0..4].copy_from_slice(&venc.to_le_bytes());
            let prepend = usize::from(v < 0);
            for i in (0..n).rev() {
                let x = self.get_enc(i, enc);
                self.set_enc(i + prepend, venc, x);
            }
            if prepend == 1 {
                self.set_enc(0, venc, v);
            } else {
                self.set_enc(n, venc, v);
            }
            self.set_len(n + 1);
            return true;
        }
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(p) => p,
        };
        let w = enc as usize;
        self.buf.resize(HDR + (n + 1) * w, 0);
        let start = HDR + pos * w;
        self.buf.copy_within(start..HDR + n * w, start + w);
        self.set_enc(pos, enc, v);
        self.set_len(n + 1);
        true
    }

    /// Removes `v`; false if it was not there. (Redis never downgrades.)
    pub fn remove(&mut self, v: i64) -> bool {
        if value_encoding(v) > self.encoding() {
            return false;
        }
        let pos = match self.search(v) {
            Ok(p) => p,
            Err(_) => return false,
        };
        let w = self.encoding() as usize;
        let n = self.len();
        let start = HDR + pos * w;
        self.buf.copy_within(start + w..HDR + n * w, start);
        self.buf.truncate(HDR + (n - 1) * w);
        self.set_len(n - 1);
        true
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + '_ {
        let enc = self.encoding();
        (0..self.len()).map(move |i| self.get_enc(i, enc))
    }
}

/// Redis's intsetValidateIntegrity (an empty intset is invalid in a dump).
pub fn validate(buf: &[u8], deep: bool) -> bool {
    if buf.len() < HDR {
        return false;
    }
    let enc = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
    if enc != ENC_INT16 && enc != ENC_INT32 && enc != ENC_INT64 {
        return false;
    }
    let count = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
    if HDR + count * enc as usize != buf.len() || count == 0 {
        return false;
    }
    if !deep {
        return true;
    }
    let is = Intset { buf: buf.to_vec() };
    let mut prev = is.get(0);
    for i in 1..count {
        let cur = is.get(i);
        if cur <= prev {
            return false;
        }
        prev = cur;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_upgrade() {
        let mut is = Intset::new();
        assert_eq!(is.as_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0]);
        assert!(is.add(5));
        assert!(is.add(1));
        assert!(!is.add(5));
        assert_eq!(is.as_bytes(), &[2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 5, 0]);
        // Upgrade to 32 bits by appending a large positive value.
        assert!(is.add(70000));
        assert_eq!(
            is.as_bytes(),
            &[4, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0x70, 0x11, 1, 0]
        );
        // Upgrade to 64 bits by prepending a large negative value.
        assert!(is.add(-5_000_000_000));
        assert_eq!(is.encoding(), ENC_INT64);
        assert_eq!(is.blob_len(), 8 + 4 * 8);
        assert_eq!(
            is.iter().collect::<Vec<_>>(),
            vec![-5_000_000_000, 1, 5, 70000]
        );
        assert_eq!(&is.as_bytes()[8..16], &(-5_000_000_000i64).to_le_bytes());
        assert!(is.contains(70000));
        assert!(!is.contains(2));
        assert!(validate(is.as_bytes(), true));
    }

    #[test]
    fn remove_keeps_encoding() {
        let mut is = Intset::new();
        for v in [3, -1, 100000, 7] {
            is.add(v);
        }
        assert!(is.remove(100000));
        assert!(!is.remove(100000));
        assert!(!is.remove(1 << 40));
        assert_eq!(is.encoding(), ENC_INT32);
        assert_eq!(is.iter().collect::<Vec<_>>(), vec![-1, 3, 7]);
        assert_eq!(is.min(), Some(-1));
        assert_eq!(is.max(), Some(7));
        assert_eq!(is.search(5), Err(2));
        assert_eq!(is.search(7), Ok(2));
    }

    #[test]
    fn sorted_after_many_inserts() {
        let mut is = Intset::new();
        let mut x: i64 = 12345;
        let mut model = std::collections::BTreeSet::new();
        for _ in 0..2000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = (x >> 40) % 100000;
            assert_eq!(is.add(v), model.insert(v));
        }
        assert_eq!(
            is.iter().collect::<Vec<_>>(),
            model.iter().copied().collect::<Vec<_>>()
        );
        assert!(validate(is.as_bytes(), true));
    }

    #[test]
    fn validation() {
        assert!(!validate(&[2, 0, 0, 0, 0, 0, 0, 0], false)); // empty
        assert!(!validate(&[3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0], false)); // bad encoding
        assert!(!validate(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0], false)); // short
        let unsorted = [2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0];
        assert!(validate(&unsorted, false));
        assert!(!validate(&unsorted, true));
        assert!(Intset::from_bytes(vec![2, 0, 0, 0, 1, 0, 0, 0, 9, 0], true).is_some());
    }
}

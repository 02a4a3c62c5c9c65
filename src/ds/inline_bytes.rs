//! A byte string that keeps short contents inside itself: the keyspace's keys
//! (dict entries) and embstr string values use it, so a small key or value costs
//! no heap allocation of its own. Redis gets the same effect from embedding the
//! sds in the robj and from jemalloc's small size classes; with glibc malloc every
//! allocation costs at least 32 bytes, which dominated our per-key footprint.

use std::ops::Deref;

/// Longest contents kept inline: the inline form is then as large as the heap form
/// (a boxed slice) plus the discriminant, 24 bytes in all.
pub const INLINE_CAP: usize = 22;

#[derive(Clone)]
pub enum InlineBytes {
    Inline { len: u8, buf: [u8; INLINE_CAP] },
    Heap(Box<[u8]>),
}

impl InlineBytes {
    #[inline]
    pub fn from_slice(b: &[u8]) -> InlineBytes {
        if b.len() <= INLINE_CAP {
            let mut buf = [0u8; INLINE_CAP];
            buf[..b.len()].copy_from_slice(b);
            InlineBytes::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            InlineBytes::Heap(b.into())
        }
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            InlineBytes::Inline { len, buf } => &buf[..*len as usize],
            InlineBytes::Heap(b) => b,
        }
    }

    pub fn to_boxed(&self) -> Box<[u8]> {
        self.as_slice().into()
    }

    pub fn into_vec(self) -> Vec<u8> {
        match self {
            InlineBytes::Inline { .. } => self.as_slice().to_vec(),
            InlineBytes::Heap(b) => b.into_vec(),
        }
    }

    /// Bytes this value owns on the heap (none when inline).
    pub fn heap_len(&self) -> usize {
        match self {
            InlineBytes::Inline { .. } => 0,
            InlineBytes::Heap(b) => b.len(),
        }
    }
}

impl Deref for InlineBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for InlineBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl std::borrow::Borrow<[u8]> for InlineBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for InlineBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}
impl Eq for InlineBytes {}

impl PartialEq<[u8]> for InlineBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl std::hash::Hash for InlineBytes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl std::fmt::Debug for InlineBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

impl From<&[u8]> for InlineBytes {
    #[inline]
    fn from(b: &[u8]) -> Self {
        InlineBytes::from_slice(b)
    }
}

impl<const N: usize> From<&[u8; N]> for InlineBytes {
    fn from(b: &[u8; N]) -> Self {
        InlineBytes::from_slice(b)
    }
}

impl From<Box<[u8]>> for InlineBytes {
    /// Long contents keep their allocation; short ones move inline.
    fn from(b: Box<[u8]>) -> Self {
        if b.len() <= INLINE_CAP {
            InlineBytes::from_slice(&b)
        } else {
            InlineBytes::Heap(b)
        }
    }
}

impl From<Vec<u8>> for InlineBytes {
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= INLINE_CAP {
            InlineBytes::from_slice(&v)
        } else {
            InlineBytes::Heap(v.into_boxed_slice())
        }
    }
}

impl From<&Vec<u8>> for InlineBytes {
    fn from(v: &Vec<u8>) -> Self {
        InlineBytes::from_slice(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_stays_small() {
        assert_eq!(std::mem::size_of::<InlineBytes>(), 24);
    }

    #[test]
    fn round_trips_at_the_inline_boundary() {
        for n in [0, 1, INLINE_CAP - 1, INLINE_CAP, INLINE_CAP + 1, 100] {
            let v: Vec<u8> = (0..n as u8).collect();
            let a = InlineBytes::from_slice(&v);
            assert_eq!(&*a, &v[..]);
            assert_eq!(a.heap_len() == 0, n <= INLINE_CAP);
            assert_eq!(InlineBytes::from(v.clone()), a);
            assert_eq!(InlineBytes::from(v.clone().into_boxed_slice()), a);
            assert_eq!(a.clone().into_vec(), v);
            assert_eq!(&*a.to_boxed(), &v[..]);
        }
    }
}

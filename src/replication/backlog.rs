//! The replication backlog: the last `size` bytes of the replication stream and
//! the stream offset of its first byte, from which PSYNC serves partial resyncs.
//! Redis 7 keeps shared blocks with the replicas' buffers; the semantics (offset,
//! histlen, what can be served) are the same as this ring.

use std::collections::VecDeque;

pub struct Backlog {
    buf: VecDeque<u8>,
    size: usize,
    /// Stream offset of the first byte held (1-based).
    pub offset: i64,
}

impl Backlog {
    pub fn new(size: usize, offset: i64) -> Backlog {
        Backlog {
            buf: VecDeque::new(),
            size,
            offset,
        }
    }

    pub fn histlen(&self) -> usize {
        self.buf.len()
    }

    /// Adds stream bytes, dropping the oldest beyond the size.
    pub fn append(&mut self, b: &[u8]) {
        let b = if b.len() > self.size {
            self.offset += (b.len() - self.size) as i64;
            let skip = self.buf.len();
            self.buf.clear();
            self.offset += skip as i64;
            &b[b.len() - self.size..]
        } else {
            b
        };
        self.buf.extend(b.iter().copied());
        self.trim();
    }

    fn trim(&mut self) {
        if self.buf.len() > self.size {
            let drop = self.buf.len() - self.size;
            self.buf.drain(..drop);
            self.offset += drop as i64;
        }
    }

    pub fn resize(&mut self, size: usize) {
        self.size = size;
        self.trim();
    }

    /// The bytes from stream offset `from` to the end (`from` must lie within
    /// [offset, offset + histlen]).
    pub fn copy_from(&self, from: i64) -> Vec<u8> {
        let skip = (from - self.offset).max(0) as usize;
        self.buf.iter().skip(skip).copied().collect()
    }

    /// Memory held (INFO mem_replication_backlog).
    pub fn memory(&self) -> usize {
        self.buf.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_trimming() {
        let mut b = Backlog::new(4, 1);
        b.append(b"abc");
        assert_eq!((b.offset, b.histlen()), (1, 3));
        b.append(b"de");
        assert_eq!((b.offset, b.histlen()), (2, 4));
        assert_eq!(b.copy_from(3), b"cde");
        assert_eq!(b.copy_from(6), b"");
        b.append(b"0123456789");
        assert_eq!((b.offset, b.histlen()), (12, 4));
        assert_eq!(b.copy_from(12), b"6789");
        b.resize(2);
        assert_eq!((b.offset, b.copy_from(14)), (14, b"89".to_vec()));
    }
}

//! SHA-1 (FIPS 180-1), for DEBUG DIGEST and, later, Lua script ids (EVALSHA).
//! A streaming hasher: feed bytes with `update`, take the 20-byte digest with
//! `finish`. No crate: it is forty lines and must match Redis's sha1.c bit for bit.

pub struct Sha1 {
    h: [u32; 5],
    blocks: BlockFeed,
}

/// The 64-byte block buffering and the length padding SHA-1 and SHA-256
/// share (Merkle-Damgard with a big-endian bit count); each hash supplies its
/// compression function.
pub struct BlockFeed {
    buf: [u8; 64],
    buf_len: usize,
    total_len: u64,
}

impl BlockFeed {
    pub const fn new() -> BlockFeed {
        BlockFeed {
            buf: [0; 64],
            buf_len: 0,
            total_len: 0,
        }
    }

    pub fn update(&mut self, mut data: &[u8], compress: &mut impl FnMut(&[u8; 64])) {
        self.total_len = self.total_len.wrapping_add(data.len() as u64);
        if self.buf_len > 0 {
            let take = (64 - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < 64 {
                return;
            }
            compress(&self.buf);
            self.buf_len = 0;
        }
        while data.len() >= 64 {
            let (block, rest) = data.split_at(64);
            compress(block.try_into().unwrap());
            data = rest;
        }
        self.buf[..data.len()].copy_from_slice(data);
        self.buf_len = data.len();
    }

    /// Appends 0x80, zeros and the message length in bits, compressing the
    /// last block(s).
    pub fn pad(&mut self, compress: &mut impl FnMut(&[u8; 64])) {
        let bit_len = self.total_len.wrapping_mul(8);
        self.update(&[0x80], compress);
        while self.buf_len != 56 {
            self.update(&[0], compress);
        }
        self.update(&bit_len.to_be_bytes(), compress);
    }
}

/// Big-endian output words, as both hashes print them.
pub fn words_be<const N: usize>(h: &[u32]) -> [u8; N] {
    let mut out = [0u8; N];
    for (i, w) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&w.to_be_bytes());
    }
    out
}

impl Default for Sha1 {
    fn default() -> Self {
        Sha1::new()
    }
}

impl Sha1 {
    pub fn new() -> Sha1 {
        Sha1 {
            h: [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0],
            blocks: BlockFeed::new(),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        let h = &mut self.h;
        self.blocks.update(data, &mut |b| compress(h, b));
    }

    pub fn finish(mut self) -> [u8; 20] {
        let h = &mut self.h;
        self.blocks.pad(&mut |b| compress(h, b));
        words_be(&self.h)
    }
}

fn compress(h: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 80];
    for i in 0..16 {
        w[i] = u32::from_be_bytes(block[i * 4..i * 4 + 4].try_into().unwrap());
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *h;
    for (i, wi) in w.iter().enumerate() {
        let (f, k) = match i {
            0..=19 => ((b & c) | (!b & d), 0x5A827999),
            20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
            _ => (b ^ c ^ d, 0xCA62C1D6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*wi);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    for (h, v) in h.iter_mut().zip([a, b, c, d, e]) {
        *h = h.wrapping_add(v);
    }
}

/// One-shot SHA-1.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut s = Sha1::new();
    s.update(data);
    s.finish()
}

/// Lowercase hex of a digest, as Redis prints SHA1s.
pub fn to_hex(d: &[u8]) -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    let mut s = String::with_capacity(d.len() * 2);
    for b in d {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(
            to_hex(&sha1(b"")),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!(
            to_hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            to_hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        // Streaming in odd pieces gives the same digest as one shot.
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let mut s = Sha1::new();
        for chunk in data.chunks(37) {
            s.update(chunk);
        }
        assert_eq!(s.finish(), sha1(&data));
        let million_a = vec![b'a'; 1_000_000];
        assert_eq!(
            to_hex(&sha1(&million_a)),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }
}

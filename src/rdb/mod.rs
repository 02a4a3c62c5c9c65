//! RDB persistence (Redis's rdb.c): the file format's primitives (lengths,
//! strings with integer/LZF encodings, doubles, CRC64 trailer), the writer
//! (`save`), the loader (`load`, with the pre-7.0 encodings in `legacy`),
//! DUMP/RESTORE payloads (`dump`) and the persistence commands and snapshot
//! bookkeeping (`cmds`). Forking lives in `crate::child`, shared with the AOF.
//! The AOF helper reuses `save::save_to_writer` / `load::load_from_reader`
//! for the RDB preamble and base files.

pub mod check;
pub mod cmds;
pub mod crc64;
pub mod dump;
pub mod legacy;
pub mod load;
pub mod save;
pub mod stream;

use std::io::{Read, Write};

/// The RDB version we write and the highest we read (Redis 7.0).
pub const RDB_VERSION: u16 = 10;

pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;

/// rdbIsObjectType: the value types a 7.0 loader knows.
pub fn is_object_type(t: u8) -> bool {
    t <= 7 || (9..=19).contains(&t)
}

pub const OP_FUNCTION2: u8 = 245;
pub const OP_FUNCTION: u8 = 246;
pub const OP_MODULE_AUX: u8 = 247;
pub const OP_IDLE: u8 = 248;
pub const OP_FREQ: u8 = 249;
pub const OP_AUX: u8 = 250;
pub const OP_RESIZEDB: u8 = 251;
pub const OP_EXPIRETIME_MS: u8 = 252;
pub const OP_EXPIRETIME: u8 = 253;
pub const OP_SELECTDB: u8 = 254;
pub const OP_EOF: u8 = 255;

const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Quicklist v2 node containers.
pub const QL_PLAIN: u64 = 1;
pub const QL_PACKED: u64 = 2;

/// A load failure. `corrupt` separates a malformed file (rdbReportCorruptRDB)
/// from a short read (rdbReportReadError).
#[derive(Debug)]
pub struct RdbError {
    pub msg: String,
    pub corrupt: bool,
}

impl RdbError {
    pub fn corrupt(msg: impl Into<String>) -> RdbError {
        RdbError {
            msg: msg.into(),
            corrupt: true,
        }
    }
    pub fn short() -> RdbError {
        RdbError {
            msg: "Short read or OOM loading DB. Unrecoverable error, aborting now.".into(),
            corrupt: false,
        }
    }
}

pub type RResult<T> = Result<T, RdbError>;

// ---------------------------------------------------------------- writing

/// A writer that keeps the running CRC64 and byte count (Redis's rio with
/// update_cksum), so the trailer can be appended at the end.
pub struct Out<W: Write> {
    pub w: W,
    pub crc: u64,
    pub written: u64,
    /// rdbcompression: LZF for strings over 20 bytes.
    pub compress: bool,
}

impl<W: Write> Out<W> {
    pub fn new(w: W, compress: bool) -> Out<W> {
        Out {
            w,
            crc: 0,
            written: 0,
            compress,
        }
    }

    pub fn raw(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.crc = crc64::update(self.crc, b);
        self.written += b.len() as u64;
        self.w.write_all(b)
    }

    pub fn byte(&mut self, b: u8) -> std::io::Result<()> {
        self.raw(&[b])
    }

    /// rdbSaveLen: the shortest of 6, 14, 32 and 64 bit forms (big-endian).
    pub fn len(&mut self, len: u64) -> std::io::Result<()> {
        let mut b = [0u8; 9];
        let n = encode_len(len, &mut b);
        self.raw(&b[..n])
    }

    pub fn millis(&mut self, ms: i64) -> std::io::Result<()> {
        self.raw(&ms.to_le_bytes())
    }

    pub fn binary_double(&mut self, v: f64) -> std::io::Result<()> {
        self.raw(&v.to_le_bytes())
    }

    /// rdbSaveRawString: small canonical integers in 1-4 bytes, LZF when it
    /// pays, else length + bytes.
    pub fn string(&mut self, s: &[u8]) -> std::io::Result<()> {
        if s.len() <= 11 {
            if let Some(v) = crate::util::parse_i64(s) {
                let mut b = [0u8; 5];
                let n = encode_int(v, &mut b);
                if n > 0 {
                    return self.raw(&b[..n]);
                }
            }
        }
        if self.compress && s.len() > 20 {
            if let Some(c) = crate::lzf::compress(s, s.len() - 4) {
                return self.lzf_blob(&c, s.len());
            }
        }
        self.len(s.len() as u64)?;
        self.raw(s)
    }

    /// rdbSaveLongLongAsStringObject: an integer string value.
    pub fn int_string(&mut self, v: i64) -> std::io::Result<()> {
        let mut b = [0u8; 5];
        let n = encode_int(v, &mut b);
        if n > 0 {
            return self.raw(&b[..n]);
        }
        let mut t = [0u8; 20];
        let s = crate::util::fmt_i64(v, &mut t);
        self.len(s.len() as u64)?;
        self.raw(s)
    }

    /// rdbSaveLzfBlob: an already compressed blob.
    pub fn lzf_blob(&mut self, z: &[u8], raw_len: usize) -> std::io::Result<()> {
        self.byte(0xC0 | ENC_LZF)?;
        self.len(z.len() as u64)?;
        self.len(raw_len as u64)?;
        self.raw(z)
    }
}

pub fn encode_len(len: u64, b: &mut [u8; 9]) -> usize {
    if len < 1 << 6 {
        b[0] = len as u8;
        1
    } else if len < 1 << 14 {
        b[0] = ((len >> 8) as u8) | 0x40;
        b[1] = len as u8;
        2
    } else if len <= u32::MAX as u64 {
        b[0] = 0x80;
        b[1..5].copy_from_slice(&(len as u32).to_be_bytes());
        5
    } else {
        b[0] = 0x81;
        b[1..9].copy_from_slice(&len.to_be_bytes());
        9
    }
}

/// rdbEncodeInteger: the INT8/16/32 special encodings, or 0 when wider.
fn encode_int(v: i64, b: &mut [u8; 5]) -> usize {
    if (-(1 << 7)..(1 << 7)).contains(&v) {
        b[0] = 0xC0 | ENC_INT8;
        b[1] = v as i8 as u8;
        2
    } else if (-(1 << 15)..(1 << 15)).contains(&v) {
        b[0] = 0xC0 | ENC_INT16;
        b[1..3].copy_from_slice(&(v as i16).to_le_bytes());
        3
    } else if (-(1i64 << 31)..(1i64 << 31)).contains(&v) {
        b[0] = 0xC0 | ENC_INT32;
        b[1..5].copy_from_slice(&(v as i32).to_le_bytes());
        5
    } else {
        0
    }
}

// ---------------------------------------------------------------- reading

/// A reader that keeps the CRC64 of what it consumed and the byte count
/// (loading_loaded_bytes); `max_alloc` bounds what one length may preallocate.
pub struct In<R: Read> {
    pub r: R,
    pub crc: u64,
    pub pos: u64,
    pub checksum: bool,
}

/// How a string came: a length or one of the special encodings.
pub enum Len {
    Plain(u64),
    Enc(u8),
}

impl<R: Read> In<R> {
    pub fn new(r: R) -> In<R> {
        In {
            r,
            crc: 0,
            pos: 0,
            checksum: true,
        }
    }

    pub fn exact(&mut self, b: &mut [u8]) -> RResult<()> {
        self.r.read_exact(b).map_err(|_| RdbError::short())?;
        if self.checksum {
            self.crc = crc64::update(self.crc, b);
        }
        self.pos += b.len() as u64;
        Ok(())
    }

    pub fn u8(&mut self) -> RResult<u8> {
        let mut b = [0u8; 1];
        self.exact(&mut b)?;
        Ok(b[0])
    }

    /// `n` bytes without trusting `n` for the allocation: a hostile length
    /// meets the end of the input long before memory runs out.
    pub fn bytes(&mut self, n: u64) -> RResult<Vec<u8>> {
        const CHUNK: u64 = 1 << 20;
        if n <= CHUNK {
            let mut v = vec![0u8; n as usize];
            self.exact(&mut v)?;
            return Ok(v);
        }
        let mut v = Vec::with_capacity(CHUNK as usize);
        let mut left = n;
        while left > 0 {
            let k = left.min(CHUNK) as usize;
            let at = v.len();
            v.resize(at + k, 0);
            self.exact(&mut v[at..])?;
            left -= k as u64;
        }
        Ok(v)
    }

    pub fn len_or_enc(&mut self) -> RResult<Len> {
        let b0 = self.u8()?;
        match b0 >> 6 {
            0 => Ok(Len::Plain((b0 & 0x3f) as u64)),
            1 => {
                let b1 = self.u8()?;
                Ok(Len::Plain((((b0 & 0x3f) as u64) << 8) | b1 as u64))
            }
            2 => {
                if b0 == 0x80 {
                    let mut b = [0u8; 4];
                    self.exact(&mut b)?;
                    Ok(Len::Plain(u32::from_be_bytes(b) as u64))
                } else if b0 == 0x81 {
                    let mut b = [0u8; 8];
                    self.exact(&mut b)?;
                    Ok(Len::Plain(u64::from_be_bytes(b)))
                } else {
                    Err(RdbError::corrupt(format!(
                        "Unknown length encoding {} in rdbLoadLen()",
                        b0
                    )))
                }
            }
            _ => Ok(Len::Enc(b0 & 0x3f)),
        }
    }

    /// rdbLoadLen for a plain length (an encoded-string marker is an error here).
    pub fn len(&mut self) -> RResult<u64> {
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(n),
            Len::Enc(_) => Err(RdbError::corrupt(
                "Unexpected string encoding where a length was expected",
            )),
        }
    }

    /// rdbGenericLoadStringObject: any string form, as bytes.
    pub fn string(&mut self) -> RResult<Vec<u8>> {
        match self.len_or_enc()? {
            Len::Plain(n) => self.bytes(n),
            Len::Enc(ENC_INT8) => Ok(fmt_int(self.u8()? as i8 as i64)),
            Len::Enc(ENC_INT16) => {
                let mut b = [0u8; 2];
                self.exact(&mut b)?;
                Ok(fmt_int(i16::from_le_bytes(b) as i64))
            }
            Len::Enc(ENC_INT32) => {
                let mut b = [0u8; 4];
                self.exact(&mut b)?;
                Ok(fmt_int(i32::from_le_bytes(b) as i64))
            }
            Len::Enc(ENC_LZF) => {
                let clen = self.len()?;
                let len = self.len()?;
                let z = self.bytes(clen)?;
                if len == 0 {
                    return Err(RdbError::corrupt("Invalid LZF compressed string"));
                }
                // A decompressed size far beyond what the input could expand to is
                // refused before allocating it.
                if len > clen.saturating_mul(256).saturating_add(1024) {
                    return Err(RdbError::corrupt("Invalid LZF compressed string"));
                }
                crate::lzf::decompress(&z, len as usize)
                    .ok_or_else(|| RdbError::corrupt("Invalid LZF compressed string"))
            }
            Len::Enc(e) => Err(RdbError::corrupt(format!(
                "Unknown RDB string encoding type {}",
                e
            ))),
        }
    }

    pub fn millis(&mut self) -> RResult<i64> {
        let mut b = [0u8; 8];
        self.exact(&mut b)?;
        Ok(i64::from_le_bytes(b))
    }

    pub fn binary_double(&mut self) -> RResult<f64> {
        let mut b = [0u8; 8];
        self.exact(&mut b)?;
        Ok(f64::from_le_bytes(b))
    }

    /// rdbLoadDoubleValue: the pre-ZSET_2 text form.
    pub fn text_double(&mut self) -> RResult<f64> {
        let n = self.u8()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let b = self.bytes(n as u64)?;
                std::str::from_utf8(&b)
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .ok_or_else(|| RdbError::corrupt("Invalid double value"))
            }
        }
    }
}

fn fmt_int(v: i64) -> Vec<u8> {
    let mut t = [0u8; 20];
    crate::util::fmt_i64(v, &mut t).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip() {
        for &n in &[
            0u64,
            63,
            64,
            16383,
            16384,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
        ] {
            let mut o = Out::new(Vec::new(), false);
            o.len(n).unwrap();
            let mut i = In::new(&o.w[..]);
            assert_eq!(i.len().unwrap(), n);
            assert_eq!(i.crc, o.crc);
        }
    }

    #[test]
    fn strings_round_trip() {
        let long = vec![b'a'; 100];
        for s in [&b"hello"[..], b"12345", b"-1", b"4294967296", b"007", &long] {
            let mut o = Out::new(Vec::new(), true);
            o.string(s).unwrap();
            let mut i = In::new(&o.w[..]);
            assert_eq!(i.string().unwrap(), s);
        }
        // 12345 is written as INT16, as Redis does.
        let mut o = Out::new(Vec::new(), true);
        o.string(b"12345").unwrap();
        assert_eq!(o.w, [0xc1, 0x39, 0x30]);
    }
}

//! Decoders for the encodings older Redis versions write and 7.0 only reads:
//! ziplists (list/hash/zset blobs of types 10, 12, 13 and quicklist v1 nodes)
//! and zipmaps (type 9, Redis <= 2.4 hashes). Every field is bounds-checked
//! (ziplistValidateIntegrity / zipmapValidateIntegrity with deep checks): a
//! malformed blob yields None, never a read outside the buffer.

/// The entries of a ziplist, integers as their decimal text; None if malformed.
pub fn ziplist_entries(b: &[u8]) -> Option<Vec<Vec<u8>>> {
    const HDR: usize = 10;
    if b.len() < HDR + 1 {
        return None;
    }
    let zlbytes = u32::from_le_bytes(b[0..4].try_into().ok()?) as usize;
    let zltail = u32::from_le_bytes(b[4..8].try_into().ok()?) as usize;
    let zllen = u16::from_le_bytes(b[8..10].try_into().ok()?);
    if zlbytes != b.len() || b[b.len() - 1] != 0xFF || zltail > b.len() - 1 {
        return None;
    }
    let mut out = Vec::new();
    let mut p = HDR;
    let mut prev_len = 0usize;
    let mut last_start = HDR;
    while b[p] != 0xFF {
        let start = p;
        // prevlen
        let (plen, n) = if b[p] < 254 {
            (b[p] as usize, 1)
        } else {
            if p + 5 > b.len() {
                return None;
            }
            (
                u32::from_le_bytes(b[p + 1..p + 5].try_into().ok()?) as usize,
                5,
            )
        };
        if plen != prev_len {
            return None;
        }
        p += n;
        if p >= b.len() {
            return None;
        }
        let enc = b[p];
        let val: Vec<u8> = match enc >> 6 {
            0 | 1 | 2 => {
                let (len, hl) = match enc >> 6 {
                    0 => ((enc & 0x3f) as usize, 1),
                    1 => {
                        if p + 2 > b.len() {
                            return None;
                        }
                        ((((enc & 0x3f) as usize) << 8) | b[p + 1] as usize, 2)
                    }
                    _ => {
                        if enc != 0x80 || p + 5 > b.len() {
                            return None;
                        }
                        (
                            u32::from_be_bytes(b[p + 1..p + 5].try_into().ok()?) as usize,
                            5,
                        )
                    }
                };
                p += hl;
                if p.checked_add(len)? > b.len() - 1 {
                    return None;
                }
                let v = b[p..p + len].to_vec();
                p += len;
                v
            }
            _ => {
                p += 1;
                let (v, w): (i64, usize) = match enc {
                    0xC0 => (i16::from_le_bytes(get(b, p, 2)?.try_into().ok()?) as i64, 2),
                    0xD0 => (i32::from_le_bytes(get(b, p, 4)?.try_into().ok()?) as i64, 4),
                    0xE0 => (i64::from_le_bytes(get(b, p, 8)?.try_into().ok()?), 8),
                    0xF0 => {
                        let s = get(b, p, 3)?;
                        let u = (s[0] as u32) | ((s[1] as u32) << 8) | ((s[2] as u32) << 16);
                        (((u << 8) as i32 >> 8) as i64, 3)
                    }
                    0xFE => (get(b, p, 1)?[0] as i8 as i64, 1),
                    0xF1..=0xFD => ((enc & 0x0F) as i64 - 1, 0),
                    _ => return None,
                };
                if p + w > b.len() - 1 {
                    return None;
                }
                p += w;
                let mut t = [0u8; 20];
                crate::util::fmt_i64(v, &mut t).to_vec()
            }
        };
        prev_len = p - start;
        last_start = start;
        out.push(val);
        if p >= b.len() {
            return None;
        }
    }
    if p != b.len() - 1 {
        return None;
    }
    if !out.is_empty() && last_start != zltail {
        return None;
    }
    if zllen != u16::MAX && zllen as usize != out.len() {
        return None;
    }
    Some(out)
}

fn get(b: &[u8], p: usize, n: usize) -> Option<&[u8]> {
    b.get(p..p.checked_add(n)?)
}

/// A zipmap's (field, value) pairs; None if malformed.
pub fn zipmap_pairs(b: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    if b.len() < 2 || b[b.len() - 1] != 0xFF {
        return None;
    }
    let zmlen = b[0];
    let mut p = 1;
    let mut out = Vec::new();
    let read_len = |p: &mut usize| -> Option<usize> {
        let c = *b.get(*p)?;
        if c < 254 {
            *p += 1;
            Some(c as usize)
        } else if c == 254 {
            let v = u32::from_le_bytes(get(b, *p + 1, 4)?.try_into().ok()?) as usize;
            *p += 5;
            Some(v)
        } else {
            None
        }
    };
    while *b.get(p)? != 0xFF {
        let flen = read_len(&mut p)?;
        let f = get(b, p, flen)?.to_vec();
        p += flen;
        let vlen = read_len(&mut p)?;
        let free = *b.get(p)? as usize;
        p += 1;
        let v = get(b, p, vlen)?.to_vec();
        p = p.checked_add(vlen)?.checked_add(free)?;
        out.push((f, v));
    }
    if p != b.len() - 1 {
        return None;
    }
    if zmlen < 254 && zmlen as usize != out.len() {
        return None;
    }
    // zipmapValidateIntegrity refuses empty zipmaps.
    if out.is_empty() {
        return None;
    }
    Some(out)
}

/// Test helpers: build blobs byte by byte from the format sheet
/// (shared/specs/rdb-format.md §6.1, §6.4), since no Redis 5.0 binary is at hand.
#[cfg(test)]
pub mod build {
    /// A ziplist with every entry a string or an integer encoding as Redis picks.
    pub fn ziplist(items: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = 10;
        for it in items {
            let start = body.len();
            tail = 10 + start;
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(254);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match crate::util::parse_i64(it) {
                Some(v) if (0..=12).contains(&v) => body.push(0xF1 + v as u8),
                Some(v) if i8::try_from(v).is_ok() => {
                    body.push(0xFE);
                    body.push(v as i8 as u8);
                }
                Some(v) if i16::try_from(v).is_ok() => {
                    body.push(0xC0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                    body.push(0xF0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                }
                Some(v) if i32::try_from(v).is_ok() => {
                    body.push(0xD0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                Some(v) => {
                    body.push(0xE0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
                None if it.len() < 64 => {
                    body.push(it.len() as u8);
                    body.extend_from_slice(it);
                }
                None if it.len() < 16384 => {
                    body.push(0x40 | (it.len() >> 8) as u8);
                    body.push(it.len() as u8);
                    body.extend_from_slice(it);
                }
                None => {
                    body.push(0x80);
                    body.extend_from_slice(&(it.len() as u32).to_be_bytes());
                    body.extend_from_slice(it);
                }
            }
            prev = body.len() - start;
        }
        let total = 10 + body.len() + 1;
        let mut z = Vec::with_capacity(total);
        z.extend_from_slice(&(total as u32).to_le_bytes());
        z.extend_from_slice(&(tail as u32).to_le_bytes());
        z.extend_from_slice(&(items.len() as u16).to_le_bytes());
        z.extend_from_slice(&body);
        z.push(0xFF);
        z
    }

    pub fn zipmap(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut z = vec![pairs.len() as u8];
        for (f, v) in pairs {
            z.push(f.len() as u8);
            z.extend_from_slice(f);
            z.push(v.len() as u8);
            z.push(1); // one free byte, as an in-place update leaves
            z.extend_from_slice(v);
            z.push(0);
        }
        z.push(0xFF);
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_ziplists() {
        // 5.0.7 zset ziplist from the format sheet: m2 -> -2, m1 -> 1.5.
        let z = [
            0x1b, 0, 0, 0, 0x15, 0, 0, 0, 4, 0, 0x00, 0x02, b'm', b'2', 0x04, 0xfe, 0xfe, 0x03,
            0x02, b'm', b'1', 0x04, 0x03, b'1', b'.', b'5', 0xff,
        ];
        let e = ziplist_entries(&z).unwrap();
        assert_eq!(
            e,
            vec![
                b"m2".to_vec(),
                b"-2".to_vec(),
                b"m1".to_vec(),
                b"1.5".to_vec()
            ]
        );
        // 5.0.7 quicklist node "a","b","c".
        let z = [
            0x14, 0, 0, 0, 0x10, 0, 0, 0, 3, 0, 0, 1, b'a', 3, 1, b'b', 3, 1, b'c', 0xff,
        ];
        assert_eq!(ziplist_entries(&z).unwrap().len(), 3);
        // Empty ziplist.
        assert_eq!(
            ziplist_entries(&[0x0b, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0xff])
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn built_round_trip_and_corruption() {
        let big = vec![b'x'; 300];
        let items: Vec<&[u8]> = vec![
            b"a",
            b"0",
            b"12",
            b"13",
            b"-100",
            b"30000",
            b"8000000",
            b"2000000000",
            b"9000000000000",
            &big,
            b"tail",
        ];
        let z = build::ziplist(&items);
        let e = ziplist_entries(&z).unwrap();
        assert_eq!(e.len(), items.len());
        for (a, b) in e.iter().zip(items.iter()) {
            assert_eq!(&a[..], *b);
        }
        // Every truncation and every single-byte flip is refused or decoded
        // without panicking.
        for k in 0..z.len() {
            let _ = ziplist_entries(&z[..k]);
            let mut c = z.clone();
            c[k] ^= 0x5a;
            let _ = ziplist_entries(&c);
        }
        let m = build::zipmap(&[(b"f", b"v"), (b"name", b"value")]);
        assert_eq!(
            zipmap_pairs(&m).unwrap(),
            vec![
                (b"f".to_vec(), b"v".to_vec()),
                (b"name".to_vec(), b"value".to_vec())
            ]
        );
        for k in 0..m.len() {
            let _ = zipmap_pairs(&m[..k]);
        }
    }
}

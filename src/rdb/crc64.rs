//! CRC-64/Jones as Redis computes it (reflected, poly 0xad93d23594c935a9, init 0,
//! no final xor): the RDB trailer and the DUMP payload footer. Slice-by-8 tables
//! built at compile time so checksumming keeps up with loading.

const POLY_REFLECTED: u64 = 0x95AC_9329_AC4B_C9B5;

const fn build_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut k = 0;
        while k < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            k += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut s = 1;
    while s < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[s - 1][i];
            t[s][i] = t[0][(prev & 0xff) as usize] ^ (prev >> 8);
            i += 1;
        }
        s += 1;
    }
    t
}

static TABLES: [[u64; 256]; 8] = build_tables();

/// Continues a CRC over `data` (start with 0, as every Redis call site does).
pub fn update(mut crc: u64, data: &[u8]) -> u64 {
    let t = &TABLES;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let v = crc ^ u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        crc = t[7][(v & 0xff) as usize]
            ^ t[6][((v >> 8) & 0xff) as usize]
            ^ t[5][((v >> 16) & 0xff) as usize]
            ^ t[4][((v >> 24) & 0xff) as usize]
            ^ t[3][((v >> 32) & 0xff) as usize]
            ^ t[2][((v >> 40) & 0xff) as usize]
            ^ t[1][((v >> 48) & 0xff) as usize]
            ^ t[0][(v >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

pub fn crc64(data: &[u8]) -> u64 {
    update(0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_and_table() {
        assert_eq!(crc64(b"123456789"), 0xE9C6D914C4B8D9CA);
        assert_eq!(TABLES[0][1], 0x7AD870C830358979);
        assert_eq!(TABLES[0][2], 0xF5B0E190606B12F2);
        // Incremental == one-shot at every split point.
        let d: Vec<u8> = (0..100u8).collect();
        for k in 0..d.len() {
            assert_eq!(update(update(0, &d[..k]), &d[k..]), crc64(&d));
        }
    }

    #[test]
    fn dump_footer_example() {
        // `SET n 12345` DUMP from Redis 7.0.15: 00 c1 3930 0a00 + crc 9d94ea2793fc08b9.
        let p = [0x00u8, 0xc1, 0x39, 0x30, 0x0a, 0x00];
        assert_eq!(
            crc64(&p).to_le_bytes(),
            [0x9d, 0x94, 0xea, 0x27, 0x93, 0xfc, 0x08, 0xb9]
        );
    }
}

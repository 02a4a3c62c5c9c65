//! key → hash slot: CRC16 (XMODEM) of the key, or of its `{hash tag}` when it has a
//! non-empty one, modulo 16384 (Redis's keyHashSlot).

pub fn key_hash_slot(key: &[u8]) -> usize {
    let hashed = match key.iter().position(|&c| c == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&c| c == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16::State::<crc16::XMODEM>::calculate(hashed) as usize & 16383
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn known_slots() {
        assert_eq!(key_hash_slot(b"foo"), 12182);
        assert_eq!(
            key_hash_slot(b"{user1000}.following"),
            key_hash_slot(b"user1000")
        );
        assert_eq!(key_hash_slot(b"foo{}{bar}"), key_hash_slot(b"foo{}{bar}"));
        assert_eq!(key_hash_slot(b"123456789"), 0x31C3 & 16383);
    }
}

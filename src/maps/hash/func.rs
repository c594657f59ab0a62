//! The Berkeley DB hash function used by hash version 5 and later.
//!
//! It is FNV-1 (multiply by the 32-bit FNV prime, then xor the byte) started
//! from 0 instead of the FNV offset basis
//! (docs/formats/hash.md#hash-function). It hashes the stored key bytes, so a
//! Postfix key is hashed with its trailing NUL.

/// The 32-bit FNV prime.
const FNV_PRIME: u32 = 16_777_619;

/// The string whose hash a hash meta page records in `h_charkey`, so a reader
/// can tell which hash function built the table (12 bytes with the NUL).
pub const CHARKEY: &[u8] = b"%$sniglet^&\0";

/// `h_charkey` of tables built with [`func5`].
pub const CHARKEY_HASH: u32 = 0x5E68_8DD1;

/// Hashes `key` as Berkeley DB's default hash function does.
pub fn func5(key: &[u8]) -> u32 {
    key.iter()
        .fold(0u32, |h, &b| h.wrapping_mul(FNV_PRIME) ^ u32::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charkey_hash_matches_berkeley_db() {
        assert_eq!(func5(CHARKEY), CHARKEY_HASH);
        // Without the NUL the value differs (docs/formats/hash.md#meta-page),
        // which proves the NUL counts.
        assert_eq!(func5(b"%$sniglet^&"), 0x9F55_618B);
    }

    #[test]
    fn empty_and_single_byte() {
        assert_eq!(func5(b""), 0);
        assert_eq!(func5(b"a"), 0x61);
        assert_eq!(func5(b"ab"), 0x61u32.wrapping_mul(FNV_PRIME) ^ 0x62);
    }
}

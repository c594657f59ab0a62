//! Turning source records into table entries as postmap does: case folding
//! and the duplicate-key policy.

use crate::source::Record;

use super::Entry;

/// What to do with a key that appears more than once (after folding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicatePolicy {
    /// Keep the first value and warn (postmap's default).
    #[default]
    Warn,
    /// Keep the last value, silently (postmap -r).
    Replace,
    /// Keep the first value, silently (postmap -w).
    Ignore,
}

/// A duplicate key found while building a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The folded key.
    pub key: Vec<u8>,
    /// 1-based source line of the repeated record.
    pub line: usize,
}

/// Folds a key as postmap does for fixed-case tables (`DICT_FLAG_FOLD_FIX`).
///
/// All-ASCII keys (every fingerprint) are lower-cased byte by byte, exactly
/// as Postfix does. For non-ASCII keys that are valid UTF-8, postmap (with
/// `smtputf8_enable = yes`) applies ICU full case folding; this is
/// approximated with Unicode lower-casing (`str::to_lowercase`), which agrees
/// for almost all letters but not for the few whose full folding differs from
/// their lower case (`ß` folds to `ss`, final sigma, some ligatures). smtpd
/// itself folds `relay_clientcerts` keys with plain ASCII lower-casing, so the
/// difference never matters for client-certificate tables. Other bytes
/// (invalid UTF-8, which postmap would skip) are ASCII-folded.
pub fn fold_key(key: &[u8]) -> Vec<u8> {
    if !key.is_ascii()
        && let Ok(text) = std::str::from_utf8(key)
    {
        return text.to_lowercase().into_bytes();
    }
    key.to_ascii_lowercase()
}

/// A source record as a table entry (key folded, value kept).
pub fn entry(record: Record) -> Entry {
    let mut key = record.key;
    if key.is_ascii() {
        // The common case (every fingerprint), folded in place.
        key.make_ascii_lowercase();
    } else {
        key = fold_key(&key);
    }
    Entry {
        key,
        value: record.value,
        line: record.line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_ascii_keys_to_lower_case() {
        assert_eq!(fold_key(b"AB:CD:eF"), b"ab:cd:ef");
        assert_eq!(fold_key(b"\"Quoted KEY\""), b"\"quoted key\"");
    }

    #[test]
    fn folds_utf8_keys_with_unicode_lower_case() {
        assert_eq!(fold_key("ÄÖÜ@Example".as_bytes()), "äöü@example".as_bytes());
    }

    #[test]
    fn folds_invalid_utf8_bytewise() {
        assert_eq!(fold_key(b"AB\xff"), b"ab\xff");
    }

    #[test]
    fn entry_keeps_value_and_line() {
        let e = entry(Record {
            key: b"AB".to_vec(),
            value: b"Host A".to_vec(),
            line: 3,
            lines: 2..3,
        });
        assert_eq!(e.key, b"ab");
        assert_eq!(e.value, b"Host A");
        assert_eq!(e.line, 3);
    }
}

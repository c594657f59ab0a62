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
pub fn fold_key(key: &[u8]) -> Vec<u8> {
    let _ = key;
    unimplemented!("maps helper")
}

/// A source record as a table entry (key folded, value kept).
pub fn entry(record: Record) -> Entry {
    Entry {
        key: fold_key(&record.key),
        value: record.value,
        line: record.line,
    }
}

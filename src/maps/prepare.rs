//! Turning source records into table entries as postmap does: case folding
//! and duplicate handling.

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

/// A duplicate key found while preparing, for postmap's warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The folded key.
    pub key: Vec<u8>,
    /// 1-based line of the repeated record.
    pub line: usize,
}

/// Folds keys and resolves duplicates. Returns the entries in first-seen
/// order and the duplicates found (empty unless the policy is `Warn`).
pub fn prepare(records: &[Record], policy: DuplicatePolicy) -> (Vec<Entry>, Vec<Duplicate>) {
    let _ = (records, policy);
    unimplemented!("maps helper")
}

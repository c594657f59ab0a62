//! Exact duplicate-key detection over a streamed source, without keeping
//! every key: a first pass keeps a 64-bit hash per key, and only the keys
//! whose hash occurs more than once are kept in full in the second pass.
//! On a million-entry source that is 8 MB instead of every key.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

/// The keys of a source that may repeat, and the first line of each seen so far.
#[derive(Debug, Default)]
pub struct RepeatedKeys {
    twice: HashSet<u64>,
    first: HashMap<Vec<u8>, usize>,
}

impl RepeatedKeys {
    /// Built from every (folded) key of the source, in any order: the first pass.
    pub fn from_keys(keys: impl IntoIterator<Item = Vec<u8>>) -> Self {
        let mut hashes: Vec<u64> = keys.into_iter().map(|k| hash(&k)).collect();
        hashes.sort_unstable();
        let twice = hashes
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        Self {
            twice,
            first: HashMap::new(),
        }
    }

    /// In the second pass, in source order: the line where (folded) `key`
    /// first occurred, which is `line` itself for its first occurrence.
    pub fn first_line(&mut self, key: &[u8], line: usize) -> usize {
        if !self.twice.contains(&hash(key)) {
            return line;
        }
        *self.first.entry(key.to_vec()).or_insert(line)
    }
}

fn hash(key: &[u8]) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_repeated_keys() {
        let keys: Vec<Vec<u8>> = ["a", "b", "a", "c", "b", "a"]
            .iter()
            .map(|k| k.as_bytes().to_vec())
            .collect();
        let mut repeated = RepeatedKeys::from_keys(keys.clone());
        let firsts: Vec<usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| repeated.first_line(k, i + 1))
            .collect();
        assert_eq!(firsts, [1, 2, 1, 4, 2, 1]);
    }
}

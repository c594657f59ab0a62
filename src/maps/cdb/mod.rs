//! The `cdb:` backend.
//!
//! The writer is our own, not the `cdb2` crate: the format is small
//! (docs/formats/cdb.md), we need the temp file from [`AtomicFile`] (cdb2
//! writes postmap's own `FILE.cdb.tmp` name, truncating it without postmap's
//! lock, and never fsyncs), and we must resolve duplicates while streaming
//! with little memory.
//! Records are written in source order and the hash tables are filled exactly
//! as tinycdb fills them, so for the same input the file is byte-identical to
//! what `postmap cdb:` writes. Keys and values carry no trailing NUL
//! (postmap's cdb default); readers try `key\0` then `key`.
//!
//! * `writer.rs`: records in source order, duplicates resolved, tinycdb's
//!   hash tables.
//! * `reader.rs`: the table memory-mapped, every read checked.

use std::path::{Path, PathBuf};

mod reader;
mod writer;

use super::io_err;
use super::prepare::{Duplicate, DuplicatePolicy};
use super::table_file::{NewTable, ReaderLock};
use super::{Backend, Entry, MapError, MapType, Table};
pub use reader::CdbTable;
use writer::Writer;

/// Size of the cdb header: 256 `(position, slot count)` pairs.
const HEADER: u64 = 2048;

/// The cdb hash (djb's "times 33, xor").
pub fn cdb_hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(5381u32, |h, &c| {
        (h.wrapping_shl(5).wrapping_add(h)) ^ u32::from(c)
    })
}

/// Writes and reads `cdb:` tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct CdbBackend;

impl Backend for CdbBackend {
    fn write(
        &self,
        source: &Path,
        entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
        policy: DuplicatePolicy,
        duplicate: &mut dyn FnMut(Duplicate),
    ) -> Result<PathBuf, MapError> {
        let mut build = CdbBuild::begin(source)?;
        for entry in entries {
            build.push(&entry?)?;
        }
        build.finish(policy, duplicate)
    }

    fn open(&self, source: &Path) -> Result<Box<dyn Table>, MapError> {
        let path = MapType::Cdb.table_path(source);
        Ok(Box::new(CdbTable::open(&path)?))
    }
}

/// A new `cdb:` table being written as its entries arrive.
pub(crate) struct CdbBuild {
    table: NewTable,
    writer: Writer,
}

impl CdbBuild {
    /// Starts the new table for `source`.
    pub(crate) fn begin(source: &Path) -> Result<Self, MapError> {
        // dict_cdb readers flock() the .cdb file, as postmap's writer does.
        let mut table = NewTable::begin(source, MapType::Cdb, ReaderLock::Flock)?;
        let file = table.file().try_clone().map_err(|e| table.error(e))?;
        let writer = Writer::new(file, table.target()).map_err(|e| table.error(e))?;
        Ok(Self { table, writer })
    }

    /// Writes the next entry (source order).
    pub(crate) fn push(&mut self, entry: &Entry) -> Result<(), MapError> {
        self.writer.add(entry)
    }

    /// Resolves duplicates by `policy` (reporting each through
    /// `duplicate`), writes the hash tables and makes the table visible.
    pub(crate) fn finish(
        self,
        policy: DuplicatePolicy,
        duplicate: &mut dyn FnMut(Duplicate),
    ) -> Result<PathBuf, MapError> {
        let Self {
            mut table,
            mut writer,
        } = self;
        writer
            .resolve(policy)?
            .into_iter()
            .for_each(&mut *duplicate);
        if writer.has_dead() {
            // Duplicates left dead records behind: copy the live ones into a
            // fresh temp file so the table holds no garbage.
            let file = table.restart()?;
            writer = writer.compact(file)?;
        }
        writer.finish()?;
        table.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(dir: &Path, pairs: &[(&str, &str)], policy: DuplicatePolicy) -> Vec<Duplicate> {
        let source = dir.join("map");
        std::fs::write(&source, "source").unwrap();
        let mut dups = Vec::new();
        let mut input = crate::maps::test_entries(pairs).into_iter();
        CdbBackend
            .write(&source, &mut input, policy, &mut |d| dups.push(d))
            .unwrap();
        dups
    }

    #[test]
    fn hash_matches_the_documented_example() {
        // docs/formats/cdb.md#hash-and-lookup: key `ab:cd:ef:01` hashes to 0x06cc96f9 (table 249).
        assert_eq!(cdb_hash(b"ab:cd:ef:01"), 0x06cc_96f9);
    }

    #[test]
    fn layout_of_a_one_record_table() {
        let dir = tempfile::tempdir().unwrap();
        build(
            dir.path(),
            &[("ab:cd:ef:01", "host")],
            DuplicatePolicy::Warn,
        );
        let bytes = std::fs::read(dir.path().join("map.cdb")).unwrap();
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
        let eod = 2048 + 8 + 11 + 4;
        assert_eq!((u32_at(0), u32_at(4)), (eod, 0));
        // Empty tables before 249 sit at the end of the records, after it
        // past table 249's two slots.
        assert_eq!((u32_at(248 * 8), u32_at(248 * 8 + 4)), (eod, 0));
        assert_eq!((u32_at(249 * 8), u32_at(249 * 8 + 4)), (eod, 2));
        assert_eq!((u32_at(250 * 8), u32_at(250 * 8 + 4)), (eod + 16, 0));
        assert_eq!(bytes.len() as u32, eod + 16);
        // (hash >> 8) % 2 == 0: the record sits in the first slot (as in
        // the file postmap writes for this input).
        let t = eod as usize;
        assert_eq!((u32_at(t), u32_at(t + 4)), (0x06cc_96f9, 2048));
        assert_eq!((u32_at(t + 8), u32_at(t + 12)), (0, 0));
    }

    #[test]
    fn round_trip_and_policies() {
        let pairs = [("k", "first"), ("x", "y"), ("k", "second"), ("k", "third")];
        for (policy, expected) in [
            (DuplicatePolicy::Warn, "first"),
            (DuplicatePolicy::Ignore, "first"),
            (DuplicatePolicy::Replace, "third"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let dups = build(dir.path(), &pairs, policy);
            assert_eq!(dups.iter().map(|d| d.line).collect::<Vec<_>>(), [3, 4]);
            let mut table = CdbBackend.open(&dir.path().join("map")).unwrap();
            assert_eq!(table.get(b"k").unwrap(), Some(expected.as_bytes().to_vec()));
            assert_eq!(table.get(b"x").unwrap(), Some(b"y".to_vec()));
            assert_eq!(table.get(b"nope").unwrap(), None);
            let entries = table.entries().unwrap();
            assert_eq!(entries.len(), 2, "no dead records");
        }
    }

    #[test]
    fn many_duplicates_leave_no_dead_records() {
        let keys: Vec<String> = (0..6000)
            .map(|i| format!("k{}", (i * 7919) % 4000))
            .collect();
        let values: Vec<String> = (0..6000).map(|i| format!("v{i}")).collect();
        let pairs: Vec<(&str, &str)> = keys
            .iter()
            .zip(&values)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for policy in [DuplicatePolicy::Warn, DuplicatePolicy::Replace] {
            let dir = tempfile::tempdir().unwrap();
            let dups = build(dir.path(), &pairs, policy);
            assert_eq!(dups.len(), 2000);
            assert!(dups.windows(2).all(|w| w[0].line < w[1].line));
            let mut table = CdbBackend.open(&dir.path().join("map")).unwrap();
            let entries = table.entries().unwrap();
            assert_eq!(entries.len(), 4000);
            for (key, value) in entries {
                let lines: Vec<usize> = (0..6000).filter(|&i| keys[i].as_bytes() == key).collect();
                let want = match policy {
                    DuplicatePolicy::Replace => *lines.last().unwrap(),
                    _ => lines[0],
                };
                assert_eq!(value, values[want].as_bytes());
                assert_eq!(table.get(&key).unwrap(), Some(value));
            }
        }
    }

    #[test]
    fn many_keys_and_empty_table() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<String> = (0..5000).map(|i| format!("{i:x}:key")).collect();
        let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
        build(dir.path(), &pairs, DuplicatePolicy::Warn);
        let mut table = CdbBackend.open(&dir.path().join("map")).unwrap();
        for k in &keys {
            assert_eq!(table.get(k.as_bytes()).unwrap(), Some(b"v".to_vec()));
        }
        let dir = tempfile::tempdir().unwrap();
        build(dir.path(), &[], DuplicatePolicy::Warn);
        let mut table = CdbBackend.open(&dir.path().join("map")).unwrap();
        assert_eq!(table.get(b"x").unwrap(), None);
        assert!(table.entries().unwrap().is_empty());
        assert_eq!(
            std::fs::metadata(dir.path().join("map.cdb")).unwrap().len(),
            2048
        );
    }

    #[test]
    fn corrupt_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        build(dir.path(), &[("a", "b"), ("c", "d")], DuplicatePolicy::Warn);
        let path = dir.path().join("map.cdb");
        let good = std::fs::read(&path).unwrap();
        let source = dir.path().join("map");
        for len in [0, 100, 2048, good.len() - 1] {
            std::fs::write(&path, &good[..len]).unwrap();
            let result = CdbBackend.open(&source).and_then(|mut t| {
                t.get(b"a")?;
                t.entries()
            });
            assert!(matches!(result, Err(MapError::Corrupt { .. })), "len {len}");
        }
        // Flip every byte in turn: never a panic or a hang.
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            std::fs::write(&path, &bad).unwrap();
            if let Ok(mut t) = CdbBackend.open(&source) {
                let _ = t.get(b"a");
                let _ = t.get(b"c");
                let _ = t.entries();
            }
        }
    }
}

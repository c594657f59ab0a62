//! The `lmdb:` backend.
//!
//! Postfix opens `FILE.lmdb` as a single file (`MDB_NOSUBDIR | MDB_NOLOCK`),
//! uses the unnamed main database, stores keys and values with one trailing
//! NUL and protects every transaction with an fcntl lock on the file instead
//! of LMDB's lock file (docs/formats/lmdb.md). ccert writes with heed 0.22.1 (LMDB data
//! version 1, readable by Debian's liblmdb 0.9.24) into a temp file beside
//! the table, then renames it over the table while holding an fcntl write
//! lock on the old file, so a Postfix reader never sees a half-built table.
//!
//! Entries are sorted before they reach LMDB (in memory, or for big maps in
//! sorted runs spilled to unnamed temp files and merged), duplicates are
//! resolved on the sorted stream, and the unique keys are appended with
//! `MDB_APPEND` in moderately sized transactions. Appending fills every page
//! and touches only the right edge of the tree, so the file is compact, the
//! build is fast, and memory stays bounded by the run and batch sizes.
//!
//! * `writer.rs`: the sorted, batched build through heed.
//! * `reader.rs`: the table as ccert reads it: a bounded, checked walk of
//!   the file with `pread` (LMDB never maps it).

mod reader;
mod writer;

use std::path::{Path, PathBuf};

pub use reader::LmdbTable;
pub(crate) use writer::LmdbFill;
use writer::write_table;

use super::prepare::{Duplicate, DuplicatePolicy};
use super::sorted::RUN_BYTES;
use super::{Backend, Entry, MapError, MapType, Table};

/// Largest key LMDB 0.9 stores (`MDB_MAXKEYSIZE`), trailing NUL included.
pub const MAX_KEY_SIZE: usize = 511;

/// Entry bytes appended per write transaction. The batch is kept until it is
/// committed so it can be replayed after growing the map on `MDB_MAP_FULL`.
const BATCH_BYTES: usize = 4 << 20;

/// Smallest map size (Postfix's `lmdb_map_size` default, 16 MiB).
const MIN_MAP_SIZE: usize = 16 << 20;

/// Writes and reads `lmdb:` tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct LmdbBackend;

impl Backend for LmdbBackend {
    fn write(
        &self,
        source: &Path,
        entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
        policy: DuplicatePolicy,
        duplicate: &mut dyn FnMut(Duplicate),
    ) -> Result<PathBuf, MapError> {
        write_table(source, entries, policy, duplicate, RUN_BYTES)
    }

    fn open(&self, source: &Path) -> Result<Box<dyn Table>, MapError> {
        let path = MapType::Lmdb.table_path(source);
        Ok(Box::new(LmdbTable::open(&path)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(
        dir: &Path,
        pairs: &[(&str, &str)],
        policy: DuplicatePolicy,
    ) -> (PathBuf, Vec<Duplicate>) {
        let source = dir.join("map");
        std::fs::write(&source, "source").unwrap();
        let mut dups = Vec::new();
        let written = LmdbBackend
            .write(
                &source,
                &mut crate::maps::test_entries(pairs).into_iter(),
                policy,
                &mut |d| dups.push(d),
            )
            .unwrap();
        assert_eq!(written, dir.join("map.lmdb"));
        (source, dups)
    }

    #[test]
    fn round_trip_with_trailing_nuls_and_no_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let (source, dups) = build(
            dir.path(),
            &[("ab:cd", "host one"), ("ef:01", "two")],
            DuplicatePolicy::Warn,
        );
        assert!(dups.is_empty());
        let mut table = LmdbBackend.open(&source).unwrap();
        assert_eq!(table.get(b"ab:cd").unwrap(), Some(b"host one".to_vec()));
        assert_eq!(table.get(b"zz").unwrap(), None);
        assert_eq!(
            table.entries().unwrap(),
            vec![
                (b"ab:cd".to_vec(), b"host one".to_vec()),
                (b"ef:01".to_vec(), b"two".to_vec())
            ]
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with("-lock")), "{names:?}");
        assert!(!names.iter().any(|n| n.starts_with(".ccert-")), "{names:?}");
    }

    #[test]
    fn duplicate_policies() {
        let pairs = [("k", "first"), ("x", "y"), ("k", "second")];
        for (policy, expected) in [
            (DuplicatePolicy::Warn, "first"),
            (DuplicatePolicy::Ignore, "first"),
            (DuplicatePolicy::Replace, "second"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let (source, dups) = build(dir.path(), &pairs, policy);
            assert_eq!(
                dups,
                vec![Duplicate {
                    key: b"k".to_vec(),
                    line: 3
                }]
            );
            let mut table = LmdbBackend.open(&source).unwrap();
            assert_eq!(table.get(b"k").unwrap(), Some(expected.as_bytes().to_vec()));
        }
    }

    #[test]
    fn merges_spilled_runs_with_duplicates_across_them() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "x").unwrap();
        // Keys repeat every 700 records, so duplicates span runs.
        let input: Vec<(String, String)> = (0..3000)
            .map(|i| (format!("k{:04}", (i * 7919) % 700), format!("v{i}")))
            .collect();
        for policy in [DuplicatePolicy::Warn, DuplicatePolicy::Replace] {
            let mut dups = Vec::new();
            let mut entries = input.iter().enumerate().map(|(i, (k, v))| {
                Ok(Entry {
                    key: k.clone().into_bytes(),
                    value: v.clone().into_bytes(),
                    line: i + 1,
                })
            });
            write_table(&source, &mut entries, policy, &mut |d| dups.push(d), 1000).unwrap();
            assert_eq!(dups.len(), 3000 - 700);
            assert!(dups.windows(2).all(|w| w[0].line < w[1].line));
            let mut table = LmdbBackend.open(&source).unwrap();
            let stored = table.entries().unwrap();
            assert_eq!(stored.len(), 700);
            for (key, value) in stored {
                let key = String::from_utf8(key).unwrap();
                let lines: Vec<usize> = (0..3000).filter(|&i| input[i].0 == key).collect();
                let want = match policy {
                    DuplicatePolicy::Replace => *lines.last().unwrap(),
                    _ => lines[0],
                };
                assert_eq!(String::from_utf8(value).unwrap(), format!("v{want}"));
            }
        }
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no spill files left behind");
    }

    #[test]
    fn long_key_is_an_error_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "x").unwrap();
        let long = "a".repeat(511);
        let err = LmdbBackend
            .write(
                &source,
                &mut crate::maps::test_entries(&[("ok", "1"), (&long, "2")]).into_iter(),
                DuplicatePolicy::Warn,
                &mut |_| {},
            )
            .unwrap_err();
        assert!(matches!(err, MapError::Entry { line: 2, .. }), "{err}");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the source remains");
    }

    #[test]
    fn truncated_and_garbage_files_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let (source, _) = build(dir.path(), &[("a", "b")], DuplicatePolicy::Warn);
        let table = dir.path().join("map.lmdb");
        let bytes = std::fs::read(&table).unwrap();
        std::fs::write(&table, &bytes[..bytes.len() - 4096]).unwrap();
        assert!(matches!(
            LmdbBackend.open(&source).err().unwrap(),
            MapError::Corrupt { .. }
        ));
        std::fs::write(&table, b"garbage").unwrap();
        assert!(matches!(
            LmdbBackend.open(&source).err().unwrap(),
            MapError::Corrupt { .. }
        ));
        std::fs::write(&table, b"").unwrap();
        assert!(matches!(
            LmdbBackend.open(&source).err().unwrap(),
            MapError::Corrupt { .. }
        ));
    }

    #[test]
    fn meta_pages_with_different_page_sizes_are_corrupt() {
        // Found by the lmdb_reader fuzz target: the newer meta page says
        // page size 0xFFFF0F00; liblmdb then died of SIGBUS.
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "source").unwrap();
        std::fs::write(
            dir.path().join("map.lmdb"),
            include_bytes!("../../../fixtures/fuzz/lmdb-meta-page-size.lmdb"),
        )
        .unwrap();
        let err = LmdbBackend.open(&source).err().unwrap();
        assert!(
            matches!(&err, MapError::Corrupt { message, .. } if message.contains("page size")),
            "{err}"
        );
    }
}

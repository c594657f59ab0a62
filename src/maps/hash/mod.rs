//! The `hash:` backend: Berkeley DB hash version 9 files written and read in
//! pure Rust (no libdb), laid out as shared doc §5 describes.
//!
//! * [`func`] — Berkeley DB's default hash function.
//! * [`page`] — meta page and page layout.
//! * [`spill`] — partitioned temp files so the writer's memory stays bounded.
//! * [`writer`] — the bulk writer.
//! * [`reader`] — lookups and full listings of postmap- or ccert-built files.

pub mod func;
pub mod page;
pub mod reader;
pub mod spill;
pub mod writer;

use std::path::{Path, PathBuf};

use super::prepare::{Duplicate, DuplicatePolicy};
use super::table_file::{NewTable, ReaderLock};
use super::{Backend, Entry, MapError, MapType, Table};
use crate::fsutil;

pub use reader::HashTable;

/// Writes and reads `hash:` (Berkeley DB hash v9) tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct HashBackend;

impl Backend for HashBackend {
    fn write(
        &self,
        source: &Path,
        entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
        policy: DuplicatePolicy,
        duplicate: &mut dyn FnMut(Duplicate),
    ) -> Result<PathBuf, MapError> {
        // dict_db readers flock() the .db file.
        let mut table = NewTable::begin(source, MapType::Hash, ReaderLock::Flock)?;
        let dir = fsutil::parent_dir(table.target()).to_path_buf();
        let built = match writer::build(table.file(), &dir, entries, policy) {
            Ok(b) => b,
            Err(writer::BuildError::Entry(e)) => return Err(e),
            Err(writer::BuildError::Io(e)) => return Err(table.error(e)),
            Err(writer::BuildError::TooBig) => {
                return Err(MapError::Corrupt {
                    path: table.target().to_path_buf(),
                    message: "too many pages for a Berkeley DB hash file; split the map".into(),
                });
            }
        };
        for d in built.duplicates {
            duplicate(d);
        }
        table.commit()
    }

    fn open(&self, source: &Path) -> Result<Box<dyn Table>, MapError> {
        Ok(Box::new(HashTable::open(
            &MapType::Hash.table_path(source),
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 60,000 records, every 7th repeating an earlier key: enough buckets
    /// that each partition is sorted on its own (nbuckets ≥ partitions).
    fn records() -> Vec<Entry> {
        (0..60_000usize)
            .map(|i| {
                let k = if i % 7 == 6 { i / 2 } else { i };
                Entry {
                    key: format!("key-{k}").into_bytes(),
                    value: format!("value-{i}").into_bytes(),
                    line: i + 1,
                }
            })
            .collect()
    }

    fn build(policy: DuplicatePolicy) -> (tempfile::TempDir, Vec<Duplicate>) {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "").unwrap();
        let mut it = records().into_iter().map(Ok);
        let mut dups = Vec::new();
        HashBackend
            .write(&source, &mut it, policy, &mut |d| dups.push(d))
            .unwrap();
        (dir, dups)
    }

    #[test]
    fn large_table_resolves_duplicates_like_postmap() {
        for policy in [DuplicatePolicy::Warn, DuplicatePolicy::Replace] {
            let (dir, dups) = build(policy);
            let mut want = std::collections::HashMap::new();
            for e in records() {
                if policy == DuplicatePolicy::Replace {
                    want.insert(e.key, e.value);
                } else {
                    want.entry(e.key).or_insert(e.value);
                }
            }
            if policy == DuplicatePolicy::Warn {
                assert_eq!(dups.len(), 60_000 - want.len());
                assert!(dups.windows(2).all(|w| w[0].line < w[1].line), "line order");
                assert_eq!(dups[0].key, b"key-3");
                assert_eq!(dups[0].line, 7);
            } else {
                assert!(dups.is_empty());
            }
            let mut table = HashBackend.open(&dir.path().join("map")).unwrap();
            let all = table.entries().unwrap();
            assert_eq!(all.len(), want.len());
            for (k, v) in all {
                assert_eq!(want.get(&k), Some(&v));
            }
            assert_eq!(
                table.get(b"key-3").unwrap(),
                want.get(&b"key-3"[..]).cloned()
            );
            let meta = HashTable::open(&dir.path().join("map.db"))
                .unwrap()
                .meta()
                .clone();
            assert!(meta.max_bucket + 1 >= writer::PARTITIONS as u32);
        }
    }

    #[test]
    fn replaces_existing_table_and_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, _) = build(DuplicatePolicy::Ignore);
        let db = dir.path().join("map.db");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).unwrap();
        let source = dir.path().join("map");
        let mut one = std::iter::once(Ok(Entry {
            key: b"only".to_vec(),
            value: b"one".to_vec(),
            line: 1,
        }));
        HashBackend
            .write(&source, &mut one, DuplicatePolicy::Warn, &mut |_| {})
            .unwrap();
        let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let mut table = HashBackend.open(&source).unwrap();
        assert_eq!(
            table.entries().unwrap(),
            vec![(b"only".to_vec(), b"one".to_vec())]
        );
        // No temp files left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn entry_errors_leave_the_table_untouched() {
        let (dir, _) = build(DuplicatePolicy::Ignore);
        let db = dir.path().join("map.db");
        let before = std::fs::read(&db).unwrap();
        let mut failing = (0..10_000usize).map(|i| {
            if i == 9_000 {
                Err(MapError::Entry {
                    path: PathBuf::from("map"),
                    line: i,
                    message: "bad".into(),
                })
            } else {
                Ok(Entry {
                    key: format!("k{i}").into_bytes(),
                    value: b"v".to_vec(),
                    line: i + 1,
                })
            }
        });
        let err = HashBackend
            .write(
                &dir.path().join("map"),
                &mut failing,
                DuplicatePolicy::Warn,
                &mut |_| {},
            )
            .unwrap_err();
        assert!(matches!(err, MapError::Entry { line: 9_000, .. }));
        assert_eq!(std::fs::read(&db).unwrap(), before);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}

//! Building several tables of one source from one read of it.
//!
//! `add`, `remove` and `rehash` rebuild every table of the source, and a
//! source often has more than one (hash and lmdb, say, while migrating).
//! Reading, parsing and folding the source once for all of them, instead of
//! once per table, saves most of the work besides the tables' own: each
//! entry goes from the one reader to every table being built.
//!
//! - **hash** builds in a thread of its own, fed batches of entries over a
//!   bounded channel (its writer spills and sorts in its own threads and
//!   memory; it takes the entries by value, so it is fed last, without a
//!   copy). It finishes after the others, so the memory of its sort and of
//!   theirs is never needed at the same time.
//! - **cdb** writes each record as it arrives ([`CdbBuild`]).
//! - **lmdb and sqlite** share one external sort ([`SortedBuild`]): the
//!   entries are sorted, spilled and merged once, and every distinct key goes
//!   to both.
//!
//! Every entry is checked by every table type before the first table is
//! filled, so a line one type cannot store (a long key for lmdb, bytes that
//! are not UTF-8 for sqlite) fails the whole build and leaves every table as
//! it was. Each table still goes through its own file lifecycle
//! (`table_file.rs`) and its own duplicate resolution, so each is exactly
//! what a build of that type alone writes.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::cdb::CdbBuild;
use super::hash::HashBackend;
use super::lmdb::LmdbFill;
use super::prepare::{Duplicate, DuplicatePolicy};
use super::sorted::{RUN_BYTES, SortedBuild, SortedFill};
use super::sqlite::SqliteFill;
use super::{Backend, Entry, MapError, MapType};

/// Entries sent to the hash thread at a time.
const BATCH: usize = 1024;

/// Batches in flight to the hash thread (bounds the memory between them).
const IN_FLIGHT: usize = 4;

/// A table built by [`build`].
#[derive(Debug)]
pub(crate) struct Built {
    /// Its type.
    pub map_type: MapType,
    /// The table file written.
    pub table: PathBuf,
    /// The duplicate keys dropped or replaced, in source-line order.
    pub duplicates: Vec<Duplicate>,
}

/// Builds a table of each of `types` (distinct) for `source` from one pass
/// over `entries` (keys folded, in source order), resolving duplicates by
/// `policy`. Returns the tables in the order of `types`.
pub(crate) fn build(
    source: &Path,
    types: &[MapType],
    entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
    policy: DuplicatePolicy,
) -> Result<Vec<Built>, MapError> {
    let mut sorted_types = Vec::new();
    let mut fills: Vec<Box<dyn SortedFill>> = Vec::new();
    for &map_type in types {
        match map_type {
            MapType::Lmdb => fills.push(Box::new(LmdbFill::begin(source)?)),
            MapType::Sqlite => fills.push(Box::new(SqliteFill::begin(source)?)),
            MapType::Hash | MapType::Cdb => continue,
        }
        sorted_types.push(map_type);
    }
    let mut sorted = (!fills.is_empty()).then(|| SortedBuild::new(fills, RUN_BYTES));
    let mut cdb = if types.contains(&MapType::Cdb) {
        Some(CdbBuild::begin(source)?)
    } else {
        None
    };
    let mut built = Vec::new();
    std::thread::scope(|scope| -> Result<(), MapError> {
        let (tx, rx) = mpsc::sync_channel::<Vec<Result<Entry, MapError>>>(IN_FLIGHT);
        let hash = types.contains(&MapType::Hash).then(|| {
            scope.spawn(move || {
                let mut input = rx.into_iter().flatten();
                let mut dups = Vec::new();
                let table = HashBackend.write(source, &mut input, policy, &mut |d| dups.push(d))?;
                Ok::<_, MapError>(Built {
                    map_type: MapType::Hash,
                    table,
                    duplicates: dups,
                })
            })
        });
        let hash_tx = hash.is_some().then_some(&tx);
        let fed = feed(entries, sorted.as_mut(), cdb.as_mut(), hash_tx);
        let join = |hash: Option<std::thread::ScopedJoinHandle<'_, Result<Built, MapError>>>| {
            hash.map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        };
        match fed {
            Ok(Fed::All) => {}
            Ok(Fed::HashStopped) => {
                // The hash build failed; its error is the one to report.
                drop(tx);
                return match join(hash) {
                    Some(Err(e)) => Err(e),
                    _ => Err(stopped(source)),
                };
            }
            Err(e) => {
                // Make the hash build fail too, so it leaves its table alone.
                let _ = tx.send(vec![Err(stopped(source))]);
                drop(tx);
                let _ = join(hash);
                return Err(e);
            }
        }
        // Every entry is in. The other tables are finished first while the
        // hash build waits for the end of its input, then the hash table:
        // one after the other, so their memory peaks do not add up.
        release_free_memory();
        let mut others = || -> Result<(), MapError> {
            if let Some(cdb) = cdb.take() {
                let mut dups = Vec::new();
                let table = cdb.finish(policy, &mut |d| dups.push(d))?;
                built.push(Built {
                    map_type: MapType::Cdb,
                    table,
                    duplicates: dups,
                });
            }
            if let Some(sorted) = sorted.take() {
                let (tables, dups) = sorted.finish(policy)?;
                for (map_type, table) in sorted_types.iter().zip(tables) {
                    built.push(Built {
                        map_type: *map_type,
                        table,
                        duplicates: dups.clone(),
                    });
                }
            }
            Ok(())
        };
        if let Err(e) = others() {
            let _ = tx.send(vec![Err(stopped(source))]);
            drop(tx);
            let _ = join(hash);
            return Err(e);
        }
        release_free_memory();
        drop(tx);
        if let Some(hash) = join(hash) {
            built.push(hash?);
        }
        Ok(())
    })?;
    built.sort_by_key(|b| types.iter().position(|t| *t == b.map_type));
    Ok(built)
}

/// How feeding the entries ended.
enum Fed {
    /// Every entry went to every table.
    All,
    /// The hash build stopped taking entries (it failed).
    HashStopped,
}

/// Hands every entry to each table being built.
fn feed(
    entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
    mut sorted: Option<&mut SortedBuild>,
    mut cdb: Option<&mut CdbBuild>,
    hash: Option<&mpsc::SyncSender<Vec<Result<Entry, MapError>>>>,
) -> Result<Fed, MapError> {
    let mut batch = Vec::with_capacity(BATCH);
    for entry in entries {
        let entry = entry?;
        if let Some(sorted) = sorted.as_deref_mut() {
            sorted.push(&entry)?;
        }
        if let Some(cdb) = cdb.as_deref_mut() {
            cdb.push(&entry)?;
        }
        if let Some(hash) = hash {
            batch.push(Ok(entry));
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if hash.send(full).is_err() {
                    return Ok(Fed::HashStopped);
                }
            }
        }
    }
    if let Some(hash) = hash
        && !batch.is_empty()
        && hash.send(batch).is_err()
    {
        return Ok(Fed::HashStopped);
    }
    Ok(Fed::All)
}

/// The error that stops the hash build when another table's build failed
/// (never shown: the other build's error is reported).
fn stopped(source: &Path) -> MapError {
    MapError::Backend {
        path: source.to_path_buf(),
        message: "stopped: another table of this source failed".into(),
    }
}

/// Gives the memory freed by one phase back to the system before the next
/// one starts. The next phase allocates in other threads, whose allocator
/// arenas cannot reuse what this thread freed, so without this the peaks
/// of the phases would add up.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap memory to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::compile::{compile, compile_together};

    /// A source with enough entries to spill sorted runs and hash
    /// partitions, duplicates (folded), a comment and a bad line.
    fn source_text() -> String {
        let mut text = String::from("# clients\nno-value-line\n");
        for i in 0..40_000 {
            let key = if i % 9 == 8 { i / 3 } else { i };
            text.push_str(&format!("AB:{key:06X} host{i}\n"));
        }
        text
    }

    #[test]
    fn tables_built_together_equal_tables_built_alone() {
        let alone = tempfile::tempdir().unwrap();
        let together = tempfile::tempdir().unwrap();
        let text = source_text();
        let (a, t) = (alone.path().join("map"), together.path().join("map"));
        std::fs::write(&a, &text).unwrap();
        std::fs::write(&t, &text).unwrap();
        for policy in [DuplicatePolicy::Warn, DuplicatePolicy::Replace] {
            let reports = compile_together(&t, &MapType::ALL, policy, &mut |_, _| {}).unwrap();
            assert_eq!(reports.len(), 4);
            for (map_type, report) in MapType::ALL.into_iter().zip(&reports) {
                let single = compile(&a, map_type, policy).unwrap();
                assert_eq!(report.table, map_type.table_path(&t));
                assert_eq!(report.records, single.records, "{map_type}");
                assert_eq!(report.problems, single.problems, "{map_type}");
                assert_eq!(report.duplicates, single.duplicates, "{map_type}");
                let bytes = |p: &Path| {
                    let mut bytes = std::fs::read(p).unwrap();
                    if map_type == MapType::Hash {
                        // The meta page's file id is new in every file.
                        bytes[52..72].fill(0);
                    }
                    bytes
                };
                match map_type {
                    MapType::Hash | MapType::Cdb => assert!(
                        bytes(&report.table) == bytes(&single.table),
                        "{map_type} files differ"
                    ),
                    MapType::Lmdb | MapType::Sqlite => {
                        let entries = |s: &Path| {
                            crate::maps::backend(map_type)
                                .open(s)
                                .unwrap()
                                .entries()
                                .unwrap()
                        };
                        assert_eq!(entries(&t), entries(&a), "{map_type}");
                    }
                }
            }
            if policy == DuplicatePolicy::Warn {
                assert!(reports[0].duplicates.len() > 2000);
                assert_eq!(reports[0].problems.len(), 1);
            }
        }
    }

    #[test]
    fn a_line_one_type_cannot_store_leaves_every_table_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, source_text()).unwrap();
        compile_together(
            &source,
            &MapType::ALL,
            DuplicatePolicy::Warn,
            &mut |_, _| {},
        )
        .unwrap();
        let before: Vec<Vec<u8>> = MapType::ALL
            .iter()
            .map(|t| std::fs::read(t.table_path(&source)).unwrap())
            .collect();
        let mut text = source_text();
        text.push_str(&format!("{} too-long-for-lmdb\n", "k".repeat(600)));
        text.push_str("late v\n");
        std::fs::write(&source, text).unwrap();
        let err = compile_together(
            &source,
            &MapType::ALL,
            DuplicatePolicy::Warn,
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(matches!(err, MapError::Entry { .. }), "{err}");
        for (t, old) in MapType::ALL.iter().zip(&before) {
            assert!(
                std::fs::read(t.table_path(&source)).unwrap() == *old,
                "{t} changed"
            );
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(
            leftovers, 6,
            "source, four tables and the .cf: no temp files"
        );
    }
}

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

use std::fs::File;
use std::path::{Path, PathBuf};

use super::prepare::{Duplicate, DuplicatePolicy};
use super::{Backend, Entry, MapError, MapType, Table};
use crate::fsutil::{self, AtomicFile, ExclusiveLock, LockKind, Permissions};

pub use reader::HashTable;

/// Writes and reads `hash:` (Berkeley DB hash v9) tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct HashBackend;

impl Backend for HashBackend {
    fn map_type(&self) -> MapType {
        MapType::Hash
    }

    fn write(
        &self,
        source: &Path,
        entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
        policy: DuplicatePolicy,
        duplicate: &mut dyn FnMut(Duplicate),
    ) -> Result<PathBuf, MapError> {
        let target = MapType::Hash.table_path(source);
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MapError::Io { path, source }
        };
        fsutil::remove_stale_temps(&target);
        let dir = fsutil::parent_dir(&target).to_path_buf();
        let mut temp = AtomicFile::new(&target).map_err(io(&target))?;
        let built = match writer::build(temp.file(), &dir, entries, policy) {
            Ok(b) => b,
            Err(writer::BuildError::Entry(e)) => return Err(e),
            Err(writer::BuildError::Io(e)) => return Err(io(&target)(e)),
            Err(writer::BuildError::TooBig) => {
                return Err(MapError::Corrupt {
                    path: target,
                    message: "too many pages for a Berkeley DB hash file; split the map".into(),
                });
            }
        };
        for d in built.duplicates {
            duplicate(d);
        }
        let perms = Permissions::for_table(source, &target).map_err(io(source))?;
        // Postfix readers and postmap hold flock() on the existing .db; take
        // it exclusively while replacing so no reader sees the switch mid-lookup.
        let _lock = match File::open(&target) {
            Ok(f) => Some(ExclusiveLock::on(f, LockKind::Flock).map_err(io(&target))?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&target)(e)),
        };
        temp.commit(&perms).map_err(io(&target))?;
        Ok(target)
    }

    fn open(&self, source: &Path) -> Result<Box<dyn Table>, MapError> {
        Ok(Box::new(HashTable::open(
            &MapType::Hash.table_path(source),
        )?))
    }
}

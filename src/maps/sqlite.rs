//! The `sqlite:` backend.

use std::path::{Path, PathBuf};

use super::prepare::{Duplicate, DuplicatePolicy};
use super::{Backend, Entry, MapError, MapType, Table};

/// Writes and reads `sqlite:` tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteBackend;

impl Backend for SqliteBackend {
    fn map_type(&self) -> MapType {
        MapType::Sqlite
    }

    fn write(
        &self,
        source: &Path,
        entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
        policy: DuplicatePolicy,
        duplicate: &mut dyn FnMut(Duplicate),
    ) -> Result<PathBuf, MapError> {
        let _ = (source, entries, policy, duplicate);
        unimplemented!("maps helper")
    }

    fn open(&self, source: &Path) -> Result<Box<dyn Table>, MapError> {
        let _ = source;
        unimplemented!("maps helper")
    }
}

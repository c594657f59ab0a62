//! Compiling a source file into a table: the streaming path from source
//! bytes through postmap's reading rules and case folding to a backend.

use std::path::{Path, PathBuf};

use super::prepare::{Duplicate, DuplicatePolicy};
use super::{MapError, MapType};
use crate::source::Problem;

/// What a compile produced, besides the table.
#[derive(Debug, Default)]
pub struct Report {
    /// The table file written.
    pub table: PathBuf,
    /// Records stored.
    pub records: usize,
    /// Lines postmap would skip, with warnings.
    pub problems: Vec<Problem>,
    /// Duplicate keys (only collected under [`DuplicatePolicy::Warn`]).
    pub duplicates: Vec<Duplicate>,
}

/// Compiles `source` into a table of `map_type` next to it, streaming.
pub fn compile(
    source: &Path,
    map_type: MapType,
    policy: DuplicatePolicy,
) -> Result<Report, MapError> {
    let _ = (source, map_type, policy);
    unimplemented!("maps helper")
}

/// Rebuilds every table of any type that already exists next to `source`
/// (used by add/remove/rehash so a table is never stale). Returns the reports.
pub fn rebuild_existing(source: &Path) -> Result<Vec<Report>, MapError> {
    let mut reports = Vec::new();
    for map_type in MapType::ALL {
        if map_type.table_path(source).exists() {
            reports.push(compile(source, map_type, DuplicatePolicy::Warn)?);
        }
    }
    Ok(reports)
}

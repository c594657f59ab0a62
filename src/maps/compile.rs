//! Compiling a source file into a table: the streaming path from source
//! bytes through postmap's reading rules and case folding to a backend.
//!
//! Records stream from [`RecordReader`] straight into the backend, so memory
//! stays bounded by what the backend keeps, not by the source size. Backends
//! build into a temp file (or one transaction) and make it visible only after
//! the last record was read, so the table always ends up newer than the
//! source it was read from, and a source that cannot be read leaves the old
//! table untouched.

use std::io::{BufReader, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::prepare::{self, Duplicate, DuplicatePolicy};
use super::{MapError, MapType};
use crate::source::{Item, Problem, RecordReader};

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
    /// Run as root on a root-owned source in a directory another user
    /// owns: the layout postmap warns about from Postfix 3.12. The table is
    /// still built (postmap's "don't break PROD"); the warning is the caller's.
    pub ownership: Option<crate::fsutil::RootSourceInUserDir>,
}

/// The ownership warning for a build of `source` by this process: only
/// root creates root-owned tables.
fn ownership_risk(source: &Path) -> Option<crate::fsutil::RootSourceInUserDir> {
    if crate::sys::is_root() {
        crate::fsutil::root_source_in_user_dir(source)
    } else {
        None
    }
}

/// Compiles `source` into a table of `map_type` next to it, streaming.
pub fn compile(
    source: &Path,
    map_type: MapType,
    policy: DuplicatePolicy,
) -> Result<Report, MapError> {
    compile_with_progress(source, map_type, policy, &mut |_, _| {})
}

/// [`compile`], telling `progress` how many bytes of the source were read
/// and the source's size, as reading goes on (the backend's last steps,
/// such as merging and fsync, follow the last call).
pub fn compile_with_progress(
    source: &Path,
    map_type: MapType,
    policy: DuplicatePolicy,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, MapError> {
    let mut duplicates = Vec::new();
    let mut dropped = 0usize;
    let (table, read, problems) = read_source(source, progress, &mut |entries| {
        super::backend(map_type).write(source, entries, policy, &mut |dup| {
            dropped += 1;
            if policy == DuplicatePolicy::Warn {
                duplicates.push(dup);
            }
        })
    })?;
    Ok(Report {
        table,
        records: read - dropped,
        problems,
        duplicates,
        ownership: ownership_risk(source),
    })
}

/// Compiles `source` into a table of each of `types` from one read of the
/// source (see `together.rs`): every table is the one [`compile`] writes,
/// and a line one of the types cannot store leaves every table untouched.
/// Returns a report per type, in the order of `types` (duplicates in each
/// are dropped).
pub fn compile_together(
    source: &Path,
    types: &[MapType],
    policy: DuplicatePolicy,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<Report>, MapError> {
    let mut types = types.to_vec();
    let mut seen = Vec::new();
    types.retain(|t| {
        let new = !seen.contains(t);
        seen.push(*t);
        new
    });
    if let [only] = types.as_slice() {
        return compile_with_progress(source, *only, policy, progress).map(|r| vec![r]);
    }
    let (built, read, problems) = read_source(source, progress, &mut |entries| {
        super::together::build(source, &types, entries, policy)
    })?;
    let ownership = ownership_risk(source);
    Ok(built
        .into_iter()
        .map(|b| Report {
            ownership: ownership.clone(),
            table: b.table,
            records: read - b.duplicates.len(),
            problems: problems.clone(),
            duplicates: if policy == DuplicatePolicy::Warn {
                b.duplicates
            } else {
                Vec::new()
            },
        })
        .collect())
}

/// The entries of a source as they stream to the tables.
type Entries<'a> = dyn Iterator<Item = Result<super::Entry, MapError>> + 'a;

/// Reads `source` as postmap does and hands its entries (keys folded) to
/// `consume`; returns what `consume` returned, the number of records read
/// and the lines postmap would skip.
fn read_source<T>(
    source: &Path,
    progress: &mut dyn FnMut(u64, u64),
    consume: &mut dyn FnMut(&mut Entries<'_>) -> Result<T, MapError>,
) -> Result<(T, usize, Vec<Problem>), MapError> {
    let io_err = |e| MapError::Io {
        path: source.to_path_buf(),
        source: e,
    };
    check_source(source)?;
    // O_NONBLOCK: a FIFO swapped in after the check must not hang the open.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(source)
        .map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(MapError::NotRegular {
            path: source.to_path_buf(),
            not: crate::fsutil::NotRegular {
                kind: crate::fsutil::file_kind(&meta.file_type()),
            },
        });
    }
    let file = Counting {
        inner: file,
        read: 0,
        total: meta.len(),
        progress,
    };
    let mut problems = Vec::new();
    let mut read = 0usize;
    let consumed = {
        let mut entries = RecordReader::new(BufReader::with_capacity(1 << 16, file)).filter_map(
            |item| match item {
                Ok(Item::Record(record)) => {
                    read += 1;
                    Some(Ok(prepare::entry(record)))
                }
                Ok(Item::Problem(problem)) => {
                    problems.push(problem);
                    None
                }
                Ok(Item::Comment(..)) => None,
                Err(e) => Some(Err(io_err(e))),
            },
        );
        consume(&mut entries)?
    };
    Ok((consumed, read, problems))
}

/// Refuses a source that is not a regular file (FIFO, device, directory,
/// socket) before anything is opened or created: opening a FIFO would wait
/// for a writer, and a device such as /dev/zero never ends.
pub fn check_source(source: &Path) -> Result<(), MapError> {
    let meta = std::fs::metadata(source).map_err(|e| MapError::Io {
        path: source.to_path_buf(),
        source: e,
    })?;
    if meta.is_file() {
        Ok(())
    } else {
        Err(MapError::NotRegular {
            path: source.to_path_buf(),
            not: crate::fsutil::NotRegular {
                kind: crate::fsutil::file_kind(&meta.file_type()),
            },
        })
    }
}

/// A reader that reports how much it has read.
struct Counting<'a, R> {
    inner: R,
    read: u64,
    total: u64,
    progress: &'a mut dyn FnMut(u64, u64),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress)(self.read, self.total);
        Ok(n)
    }
}

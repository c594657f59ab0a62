//! Lookup tables Postfix reads: one module per backend behind [`Backend`].
//!
//! The backends receive entries already prepared as postmap prepares them
//! (keys case-folded, duplicates resolved, see [`prepare`]) and decide
//! themselves on the trailing NUL (hash and lmdb append one, cdb does not).
//! Readers try `key\0` then `key`, as Postfix does, and strip one trailing NUL
//! from what they return.

pub mod cdb;
pub mod compile;
pub mod hash;
pub mod lmdb;
mod mapped;
pub mod prepare;
mod sorted;
pub mod sqlite;
pub(crate) mod table_file;
mod together;
mod writeback;

use std::fmt;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Errors writing or reading a table. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    /// An I/O error on a table file: the message names the file, the OS
    /// error is the source (said in words by [`crate::report::one_line`]:
    /// "no space left on device", not "os error 28").
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The table file is damaged or not of the expected type.
    #[error("{path}: corrupt or unsupported table: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An entry cannot be stored in this table type (e.g. an LMDB key over 511 bytes).
    #[error("{path}:{line}: {message}")]
    Entry {
        /// The source file.
        path: PathBuf,
        /// 1-based source line.
        line: usize,
        /// What is wrong and what to do.
        message: String,
    },
    /// The source is not a regular file (a FIFO, device, directory …);
    /// refused before anything is read or created.
    #[error("{path}: {not}; a map source must be a regular file")]
    NotRegular {
        /// The source.
        path: PathBuf,
        /// What it is instead.
        not: crate::fsutil::NotRegular,
    },
    /// A backend-specific failure (LMDB, SQLite) with its message.
    #[error("{path}: {message}")]
    Backend {
        /// The file.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
}

/// The [`MapError::Io`] for `source` on `path` (one constructor for every
/// backend, so each names the file the same way).
pub(crate) fn io_err(path: &Path, source: std::io::Error) -> MapError {
    MapError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Table types ccert writes and reads.
///
/// Also the values of `compile -t` (clap's [`ValueEnum`](clap::ValueEnum),
/// named as [`Self::name`]; the variants' doc comments are their help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum MapType {
    /// Berkeley DB hash (FILE.db)
    ///
    /// Version 9 of the hash format, written by ccert's own writer.
    #[value(name = "hash")]
    Hash,
    /// LMDB (FILE.lmdb)
    ///
    /// The LMDB 0.9 file format.
    #[value(name = "lmdb")]
    Lmdb,
    /// tinycdb constant database (FILE.cdb)
    #[value(name = "cdb")]
    Cdb,
    /// SQLite database FILE.sqlite plus sqlite_table(5) file FILE.sqlite.cf
    ///
    /// Postfix reads the database through the `.cf` file, and is configured
    /// with its name (see [`MapType::postfix_name`]).
    #[value(name = "sqlite")]
    Sqlite,
}

impl MapType {
    /// Every type ccert supports.
    pub const ALL: [MapType; 4] = [Self::Hash, Self::Lmdb, Self::Cdb, Self::Sqlite];

    /// The Postfix type name (`hash`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Hash => "hash",
            Self::Lmdb => "lmdb",
            Self::Cdb => "cdb",
            Self::Sqlite => "sqlite",
        }
    }

    /// The file a table built from `source` lives in (`source.db`, …).
    pub fn table_path(self, source: &Path) -> PathBuf {
        let suffix = match self {
            Self::Hash => ".db",
            Self::Lmdb => ".lmdb",
            Self::Cdb => ".cdb",
            Self::Sqlite => ".sqlite",
        };
        let mut s = source.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    }

    /// The name Postfix is configured with for a table built from `source`:
    /// `hash:/etc/postfix/clientcerts`, or for sqlite the `.cf` file (the
    /// inverse of [`source_of`]).
    pub fn postfix_name(self, source: &Path) -> String {
        match self {
            Self::Sqlite => {
                let mut cf = self.table_path(source).into_os_string();
                cf.push(".cf");
                format!("sqlite:{}", Path::new(&cf).display())
            }
            _ => format!("{}:{}", self.name(), source.display()),
        }
    }
}

impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A table type name ccert does not support.
#[derive(Debug, thiserror::Error)]
#[error("{}", unknown_type_message(.0))]
pub struct UnknownMapType(pub String);

/// Postfix types ccert knows of but does not write.
const OTHER_POSTFIX_TYPES: &[&str] = &["btree", "dbm", "sdbm", "texthash", "inline", "static"];

fn unknown_type_message(name: &str) -> String {
    let names = MapType::ALL.map(MapType::name);
    if OTHER_POSTFIX_TYPES.contains(&name) {
        return format!("unsupported map type '{name}': ccert writes hash, lmdb, cdb and sqlite");
    }
    match crate::report::did_you_mean(name, &names) {
        Some(near) => format!("unknown map type '{name}' (did you mean {near}?)"),
        None => format!("unknown map type '{name}': ccert writes hash, lmdb, cdb and sqlite"),
    }
}

impl FromStr for MapType {
    type Err = UnknownMapType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownMapType(s.to_string()))
    }
}

/// The source file of the table Postfix's configuration names `type:path`:
/// the one rule for "which source does this table come from".
///
/// For every file type (also those ccert does not write, such as btree) it
/// is the path itself. Postfix names a sqlite table by its sqlite_table(5)
/// `.cf` file, which ccert writes as `SOURCE.sqlite.cf` beside `SOURCE`: the
/// source is that file; a `.cf` file of another name was not written by
/// ccert and has no source (`None`).
pub fn source_of(type_name: &str, path: &Path) -> Option<PathBuf> {
    if type_name != MapType::Sqlite.name() {
        return Some(path.to_path_buf());
    }
    let cf = path.to_str()?;
    cf.strip_suffix(".sqlite.cf").map(PathBuf::from)
}

/// Whether two paths name the same file (resolved when both exist, else
/// compared as absolute paths).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    }
}

/// One key/value pair ready for a table: key folded, no trailing NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Folded key bytes.
    pub key: Vec<u8>,
    /// Value bytes.
    pub value: Vec<u8>,
    /// 1-based source line, for error messages (0 when unknown).
    pub line: usize,
}

/// A stored key and value, as bytes without trailing NUL.
pub type Pair = (Vec<u8>, Vec<u8>);

/// What [`Table::for_each_entry`] calls with each key and value; it breaks
/// to stop the walk.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> ControlFlow<()> + 'a;

/// A table writer and reader for one type.
pub trait Backend {
    /// Builds the table for `source` from `entries` (keys already folded, in
    /// source order, duplicates still present) and atomically replaces the
    /// table file(s) through the shared lifecycle (`table_file.rs`), which
    /// holds the lock Postfix uses for this type while replacing. Duplicate keys are resolved by `policy`; each duplicate
    /// dropped or replaced is reported through `duplicate` (the caller decides
    /// whether to print it). Entries stream in so a backend can bound its
    /// memory. Returns the table path written.
    fn write(
        &self,
        source: &Path,
        entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
        policy: prepare::DuplicatePolicy,
        duplicate: &mut dyn FnMut(prepare::Duplicate),
    ) -> Result<PathBuf, MapError>;

    /// Opens the table built from `source` (the path without suffix) for lookups.
    fn open(&self, source: &Path) -> Result<Box<dyn Table>, MapError>;
}

/// An open table.
pub trait Table {
    /// Looks up a folded key as Postfix does (`key\0`, then `key`); the
    /// value is returned without a trailing NUL.
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, MapError>;

    /// Calls `visit` with every entry in storage order, keys and values
    /// without trailing NUL (as `postmap -s` prints them), while reading,
    /// so memory does not grow with the table; stops early when `visit`
    /// breaks.
    fn for_each_entry(&mut self, visit: &mut Visit<'_>) -> Result<(), MapError>;

    /// Every entry in storage order, collected (see [`Table::for_each_entry`]).
    fn entries(&mut self) -> Result<Vec<Pair>, MapError> {
        let mut out = Vec::new();
        self.for_each_entry(&mut |key, value| {
            out.push((key.to_vec(), value.to_vec()));
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }
}

/// Entries for backend unit tests: `pairs` as given (keys not folded), with
/// 1-based line numbers in order.
#[cfg(test)]
pub(crate) fn test_entries(pairs: &[(&str, &str)]) -> Vec<Result<Entry, MapError>> {
    pairs
        .iter()
        .enumerate()
        .map(|(i, (k, v))| {
            Ok(Entry {
                key: k.as_bytes().to_vec(),
                value: v.as_bytes().to_vec(),
                line: i + 1,
            })
        })
        .collect()
}

/// The backend for a type.
pub fn backend(map_type: MapType) -> Box<dyn Backend> {
    match map_type {
        MapType::Hash => Box::new(hash::HashBackend),
        MapType::Lmdb => Box::new(lmdb::LmdbBackend),
        MapType::Cdb => Box::new(cdb::CdbBackend),
        MapType::Sqlite => Box::new(sqlite::SqliteBackend),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_map_names() {
        assert_eq!("hash".parse::<MapType>().unwrap(), MapType::Hash);
        assert!("btreex".parse::<MapType>().is_err());
        assert_eq!(
            MapType::Sqlite.postfix_name(Path::new("/e/c")),
            "sqlite:/e/c.sqlite.cf"
        );
    }

    #[test]
    fn the_source_of_a_configured_table() {
        let source = |t: &str, p: &str| source_of(t, Path::new(p));
        assert_eq!(source("hash", "/e/c"), Some(PathBuf::from("/e/c")));
        assert_eq!(source("btree", "/e/c"), Some(PathBuf::from("/e/c")));
        assert_eq!(
            source("sqlite", "/e/c.sqlite.cf"),
            Some(PathBuf::from("/e/c"))
        );
        assert_eq!(source("sqlite", "/e/hand-written.cf"), None);
        // The inverse of postfix_name.
        let name = MapType::Sqlite.postfix_name(Path::new("/e/c"));
        let (t, p) = name.split_once(':').unwrap();
        assert_eq!(source(t, p), Some(PathBuf::from("/e/c")));
    }
}

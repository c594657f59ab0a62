//! The `sqlite:` backend.
//!
//! Postfix reads a `sqlite:` table through a sqlite_table(5) file; ccert
//! writes the database `FILE.sqlite` with one table
//! `postfix_map (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT
//! ROWID`, keys folded, and the configuration `FILE.sqlite.cf`:
//!
//! ```text
//! dbpath = /etc/postfix/clientcerts.sqlite
//! query = SELECT value FROM postfix_map WHERE key = '%s'
//! expansion_limit = 1
//! ```
//!
//! **Updating.** Every build writes a new database into a temp file beside
//! the table and renames it into place; the `.cf` file does not change.
//! An existing database is never written to, because dict_sqlite cannot
//! share one with a writer: it sets no busy timeout, so a lookup that meets
//! a writer's lock fails at once (`SQL prepare failed: database is locked`
//! is fatal to smtpd, a failed step answers 4xx), and a writer needs an
//! exclusive lock at least while it commits. WAL would let readers share,
//! but a WAL reader must open the `-shm` and `-wal` files by name after
//! smtpd has chrooted and dropped privileges, which it cannot.
//!
//! A running smtpd keeps the database it opened: dict_sqlite registers no
//! file for Postfix's change check (`dict_changed_name()` only looks at
//! tables with a `stat_fd`, which dict_sqlite never sets), so the renamed
//! file is not noticed, and the old one, still open, keeps answering with
//! the old rows: consistent, never an error. New smtpd processes open the
//! new file; a running one exits after `max_use` sessions or `max_idle`
//! idle seconds, and `postfix reload` switches all at once (ccert says so
//! but does not reload itself: a reload restarts tlsmgr, which fails TLS
//! handshakes in progress; see `crate::running` and docs/tables.md §2).
//! The database uses the default rollback journal (never WAL); the build
//! itself runs without a journal, as a crash leaves only a temp file.
//!
//! **Building the database** sorts the entries by key first (in memory,
//! or for big maps in sorted runs spilled to unnamed temp files beside the
//! table and merged; one sort serves lmdb too when both are rebuilt, see
//! `together.rs`), resolves duplicates on the sorted stream and inserts the
//! unique keys in key order. The table is WITHOUT ROWID: each row lives
//! once, in the primary key's b-tree, instead of in a rowid table plus a
//! separate index holding every key again, which halves the file and the
//! work; appending in key order then grows that one b-tree at its right
//! edge only. SQLite reads such tables since 3.8.2 (2013). Databases an
//! earlier ccert wrote (rowid table and index) are still read, in rowid
//! order, and replaced by the next build.
//!
//! **The `.cf` file** is written (atomically) when it is missing or still
//! carries ccert's marker comment; an administrator who removes the marker
//! keeps their own edits, and ccert then leaves the file alone.

use std::io;
use std::path::{Path, PathBuf};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, params};

use super::io_err;
use super::prepare::{Duplicate, DuplicatePolicy};
use super::sorted::{RUN_BYTES, SortedBuild, SortedFill};
use super::table_file::{NewTable, ReaderLock};
use super::{Backend, Entry, MapError, MapType, Table, Visit};
use crate::fsutil::{self, Permissions};

/// The table ccert stores entries in.
pub const TABLE: &str = "postfix_map";

/// The query Postfix runs (sqlite_table(5) `query`), `%s` = the folded key.
pub const QUERY: &str = "SELECT value FROM postfix_map WHERE key = '%s'";

/// First line of a `.cf` file ccert owns.
pub const CF_MARKER: &str = "# Written by `ccert compile`";

/// Entry bytes inserted per batch of one prepared statement.
const BATCH_BYTES: usize = 1 << 20;

/// The table: WITHOUT ROWID, so each row is stored once, in the primary
/// key's b-tree (SQLite 3.8.2 and later read it).
const SCHEMA: &str = "CREATE TABLE postfix_map (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) \
     WITHOUT ROWID";

/// Writes and reads `sqlite:` tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteBackend;

impl Backend for SqliteBackend {
    fn write(
        &self,
        source: &Path,
        entries: &mut dyn Iterator<Item = Result<Entry, MapError>>,
        policy: DuplicatePolicy,
        duplicate: &mut dyn FnMut(Duplicate),
    ) -> Result<PathBuf, MapError> {
        let mut build = SortedBuild::new(vec![Box::new(SqliteFill::begin(source)?)], RUN_BYTES);
        for entry in entries {
            build.push(&entry?)?;
        }
        let (mut paths, dups) = build.finish(policy)?;
        dups.into_iter().for_each(duplicate);
        Ok(paths.remove(0))
    }

    fn open(&self, source: &Path) -> Result<Box<dyn Table>, MapError> {
        let path = MapType::Sqlite.table_path(source);
        Ok(Box::new(SqliteTable::open(&path)?))
    }
}

/// The entry's key and value as text, or the error naming its line.
fn texts<'a>(source: &Path, entry: &'a Entry) -> Result<(&'a str, &'a str), MapError> {
    let text = |bytes: &'a [u8], what: &str| {
        std::str::from_utf8(bytes).map_err(|_| MapError::Entry {
            path: source.to_path_buf(),
            line: entry.line,
            message: format!(
                "the {what} is not valid UTF-8; sqlite tables hold text \
                 (use hash, lmdb or cdb for this map)"
            ),
        })
    };
    Ok((text(&entry.key, "key")?, text(&entry.value, "value")?))
}

/// A new database being filled in key order (see [`SortedBuild`]): a temp
/// file beside the table, without journal, one transaction, rows inserted
/// in batches through one prepared statement each.
pub(crate) struct SqliteFill {
    source: PathBuf,
    table: NewTable,
    conn: Connection,
    batch: Vec<u8>,
    /// `(key length, value length)` of each row packed in `batch`.
    rows: Vec<(usize, usize)>,
}

impl SqliteFill {
    /// Starts the new database for `source` (refusing to replace a database
    /// ccert did not write).
    pub(crate) fn begin(source: &Path) -> Result<Self, MapError> {
        let target = MapType::Sqlite.table_path(source);
        // Never replace a database ccert did not write (a link is replaced
        // without being read, as for every table type).
        if std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()) {
            SqliteTable::open(&target)?;
        }
        let table = NewTable::begin(source, MapType::Sqlite, ReaderLock::None)?;
        let conn = Connection::open(table.path()).map_err(|e| sql_err(&target, e))?;
        // A crash leaves only a temp file, so the build needs no journal;
        // the commit fsyncs the result.
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN IMMEDIATE;")
            .map_err(|e| sql_err(&target, e))?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| sql_err(&target, e))?;
        Ok(Self {
            source: source.to_path_buf(),
            table,
            conn,
            batch: Vec::new(),
            rows: Vec::new(),
        })
    }

    /// Inserts the batched rows.
    fn flush(&mut self) -> Result<(), MapError> {
        let target = self.table.target();
        let err = |e| sql_err(target, e);
        let mut insert = self
            .conn
            .prepare_cached("INSERT INTO postfix_map (key, value) VALUES (?1, ?2)")
            .map_err(err)?;
        let mut at = 0;
        for &(key_len, value_len) in &self.rows {
            let key = &self.batch[at..at + key_len];
            let value = &self.batch[at + key_len..at + key_len + value_len];
            at += key_len + value_len;
            // Bound as text without a second UTF-8 check: `check` passed
            // every entry before the first row was stored.
            let text = |bytes| ToSqlOutput::Borrowed(ValueRef::Text(bytes));
            insert
                .execute(params![text(key), text(value)])
                .map_err(err)?;
        }
        self.batch.clear();
        self.rows.clear();
        Ok(())
    }
}

impl SortedFill for SqliteFill {
    fn target(&self) -> &Path {
        self.table.target()
    }

    fn check(&mut self, entry: &Entry) -> Result<(), MapError> {
        texts(&self.source, entry).map(|_| ())
    }

    fn store(&mut self, key: &[u8], value: &[u8]) -> Result<(), MapError> {
        self.batch.extend_from_slice(key);
        self.batch.extend_from_slice(value);
        self.rows.push((key.len(), value.len()));
        if self.batch.len() >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<PathBuf, MapError> {
        self.flush()?;
        let Self {
            source,
            table,
            conn,
            ..
        } = *self;
        let target = table.target().to_path_buf();
        conn.execute_batch("COMMIT")
            .map_err(|e| sql_err(&target, e))?;
        conn.close().map_err(|(_, e)| sql_err(&target, e))?;
        let perms = table.permissions();
        table.commit()?;
        write_cf(&source, &target, &perms)?;
        Ok(target)
    }
}

/// Refuses to overwrite a database ccert did not write; returns the order
/// its rows are stored in (`key` for a WITHOUT ROWID table, `rowid` for
/// one an earlier ccert wrote as a rowid table with an index).
fn check_schema(conn: &Connection, path: &Path) -> Result<&'static str, MapError> {
    let sql: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [TABLE],
            |row| row.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(|e| sql_err(path, e))?;
    match sql {
        Some(sql) if sql.to_ascii_uppercase().contains("WITHOUT ROWID") => Ok("key"),
        Some(_) => Ok("rowid"),
        None => Err(MapError::Corrupt {
            path: path.to_path_buf(),
            message: format!(
                "no {TABLE} table, so ccert did not write this database; \
                 move it away to let ccert create a new one"
            ),
        }),
    }
}

/// The sqlite_table(5) file for `db`.
pub fn cf_contents(source: &Path, db: &Path) -> String {
    format!(
        "{CF_MARKER} from {source}.\n\
         # ccert rewrites this file while the line above is present;\n\
         # delete that line to keep your own edits.\n\
         dbpath = {db}\n\
         query = {QUERY}\n\
         expansion_limit = 1\n",
        source = source.display(),
        db = db.display()
    )
}

fn write_cf(source: &Path, db: &Path, perms: &Permissions) -> Result<(), MapError> {
    let mut cf = db.as_os_str().to_owned();
    cf.push(".cf");
    let cf = PathBuf::from(cf);
    let abs_source = absolute(source).map_err(|e| io_err(source, e))?;
    let abs_db = absolute(db).map_err(|e| io_err(db, e))?;
    let wanted = cf_contents(&abs_source, &abs_db);
    // A linked .cf is the administrator's: never written through, never replaced.
    if std::fs::symlink_metadata(&cf).is_ok_and(|m| m.file_type().is_symlink()) {
        return Ok(());
    }
    let perms = match crate::fsutil::read_to_string_bounded(&cf, crate::fsutil::limits::CONFIG_FILE)
    {
        Ok(old) if old == wanted => return Ok(()),
        Ok(old) if !old.starts_with(CF_MARKER) => return Ok(()),
        Ok(_) => Permissions::of_existing(&cf).map_err(|e| io_err(&cf, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => *perms,
        // An unreadable or non-UTF-8 file is not ours.
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => return Ok(()),
        Err(e) => return Err(io_err(&cf, e)),
    };
    fsutil::write_atomic(&cf, wanted.as_bytes(), &perms).map_err(|e| io_err(&cf, e))
}

/// An absolute path without resolving the final component (daemons run
/// chrooted with another working directory, so `dbpath` must be absolute).
fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    let dir = std::fs::canonicalize(fsutil::parent_dir(path))?;
    Ok(match path.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    })
}

/// An open `sqlite:` table.
pub struct SqliteTable {
    conn: Connection,
    path: PathBuf,
    /// The column rows are stored in order of (see [`check_schema`]).
    storage_order: &'static str,
}

impl SqliteTable {
    /// Opens `path` (the `.sqlite` database) read-only.
    pub fn open(path: &Path) -> Result<Self, MapError> {
        check_size(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_err(path, e))?;
        let storage_order = check_schema(&conn, path)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            storage_order,
        })
    }
}

impl Table for SqliteTable {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, MapError> {
        // dict_sqlite skips keys that are not UTF-8.
        let Ok(key) = std::str::from_utf8(key) else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM postfix_map WHERE key = ?1")
            .map_err(|e| sql_err(&self.path, e))?;
        let mut rows = stmt.query([key]).map_err(|e| sql_err(&self.path, e))?;
        let mut values = Vec::new();
        while let Some(row) = rows.next().map_err(|e| sql_err(&self.path, e))? {
            let v: String = row.get(0).map_err(|e| sql_err(&self.path, e))?;
            values.push(v);
        }
        // Postfix joins result rows with commas; an empty result is "not found".
        let joined = values.join(",");
        Ok((!joined.is_empty()).then(|| joined.into_bytes()))
    }

    fn for_each_entry(&mut self, visit: &mut Visit<'_>) -> Result<(), MapError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT key, value FROM postfix_map ORDER BY {}",
                self.storage_order
            ))
            .map_err(|e| sql_err(&self.path, e))?;
        let mut rows = stmt.query([]).map_err(|e| sql_err(&self.path, e))?;
        while let Some(row) = rows.next().map_err(|e| sql_err(&self.path, e))? {
            let key = row.get_ref(0).and_then(|v| Ok(v.as_str()?));
            let value = row.get_ref(1).and_then(|v| Ok(v.as_str()?));
            let (key, value) = key
                .and_then(|k| value.map(|v| (k, v)))
                .map_err(|e| sql_err(&self.path, e))?;
            if visit(key.as_bytes(), value.as_bytes()).is_break() {
                break;
            }
        }
        Ok(())
    }
}

/// Refuses a database shorter than its header says: SQLite reads the
/// missing pages as zeros, so a truncated table would silently lose keys
/// instead of failing.
fn check_size(path: &Path) -> Result<(), MapError> {
    use std::io::Read;
    let mut file = crate::fsutil::open_regular(path).map_err(|e| io_err(path, e))?;
    let len = file.metadata().map_err(|e| io_err(path, e))?.len();
    let mut header = [0u8; 100];
    if len < 100 || file.read_exact(&mut header).is_err() {
        // Not even a header: SQLite itself reports what the file is.
        return Ok(());
    }
    let be32 = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().unwrap());
    let page = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        p => u64::from(p),
    };
    // The page count is only valid when "version-valid-for" matches the
    // change counter (SQLite >= 3.7.0 writers keep them equal).
    let pages = u64::from(be32(28));
    if header.starts_with(b"SQLite format 3\0") && be32(92) == be32(24) && pages * page > len {
        return Err(MapError::Corrupt {
            path: path.to_path_buf(),
            message: format!(
                "the database holds {pages} pages of {page} bytes but the file is only {len} bytes: \
                 file truncated; rebuild it with `ccert compile`"
            ),
        });
    }
    Ok(())
}

fn sql_err(path: &Path, e: rusqlite::Error) -> MapError {
    // SQLite reports a full disk as SQLITE_FULL ("database or disk is
    // full"); say it as every other type does.
    if e.sqlite_error_code() == Some(ErrorCode::DiskFull) {
        return io_err(path, io::Error::from_raw_os_error(libc::ENOSPC));
    }
    let corrupt = matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    );
    if corrupt {
        MapError::Corrupt {
            path: path.to_path_buf(),
            message: format!("SQLite: {e}"),
        }
    } else {
        MapError::Backend {
            path: path.to_path_buf(),
            message: format!("SQLite: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(source: &Path, pairs: &[(&str, &str)], policy: DuplicatePolicy) -> Vec<Duplicate> {
        let mut dups = Vec::new();
        let mut input = crate::maps::test_entries(pairs).into_iter();
        SqliteBackend
            .write(source, &mut input, policy, &mut |d| dups.push(d))
            .unwrap();
        dups
    }

    #[test]
    fn round_trip_policies_and_replacement_by_rename() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "x").unwrap();
        let pairs = [("k", "first"), ("o'k", "quoted"), ("k", "second")];
        let dups = build(&source, &pairs, DuplicatePolicy::Warn);
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0].line, 3);
        let mut table = SqliteBackend.open(&source).unwrap();
        assert_eq!(table.get(b"k").unwrap(), Some(b"first".to_vec()));
        assert_eq!(table.get(b"o'k").unwrap(), Some(b"quoted".to_vec()));
        assert_eq!(table.get(b"K").unwrap(), None);
        let db = dir.path().join("map.sqlite");
        let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&db).unwrap());

        build(&source, &pairs, DuplicatePolicy::Replace);
        // Replaced by rename: a connection opened before (as a running
        // smtpd's) keeps answering from the old database, without error.
        assert_eq!(table.get(b"k").unwrap(), Some(b"first".to_vec()));
        let inode2 = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&db).unwrap());
        assert_ne!(inode, inode2);
        let mut table = SqliteBackend.open(&source).unwrap();
        assert_eq!(table.get(b"k").unwrap(), Some(b"second".to_vec()));
        assert_eq!(
            table.entries().unwrap(),
            vec![
                (b"k".to_vec(), b"second".to_vec()),
                (b"o'k".to_vec(), b"quoted".to_vec())
            ]
        );

        let cf = std::fs::read_to_string(dir.path().join("map.sqlite.cf")).unwrap();
        assert!(cf.starts_with(CF_MARKER));
        let abs = std::fs::canonicalize(dir.path())
            .unwrap()
            .join("map.sqlite");
        assert!(
            cf.contains(&format!("dbpath = {}\n", abs.display())),
            "{cf}"
        );
        assert!(cf.contains("expansion_limit = 1\n"));
    }

    /// The sorted build (runs spilled every 1000 bytes, duplicates across
    /// runs) stores what postmap's rules keep and reports every repeat, in
    /// source order.
    #[test]
    fn sorted_build_resolves_duplicates_like_postmap() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "x").unwrap();
        let entries: Vec<Entry> = (0..3000)
            .map(|i| Entry {
                key: format!("k{:05}", (i * 7919) % 700).into_bytes(),
                value: format!("v{i}").into_bytes(),
                line: i + 1,
            })
            .collect();
        for policy in [DuplicatePolicy::Warn, DuplicatePolicy::Replace] {
            let mut want = std::collections::BTreeMap::new();
            for e in &entries {
                let (k, v) = (
                    String::from_utf8(e.key.clone()).unwrap(),
                    String::from_utf8(e.value.clone()).unwrap(),
                );
                if policy == DuplicatePolicy::Replace {
                    want.insert(k, v);
                } else {
                    want.entry(k).or_insert(v);
                }
            }
            let fill = SqliteFill::begin(&source).unwrap();
            let mut build = SortedBuild::new(vec![Box::new(fill)], 1000);
            for e in &entries {
                build.push(e).unwrap();
            }
            let (_, dups) = build.finish(policy).unwrap();
            let rows: Vec<(String, String)> = SqliteBackend
                .open(&source)
                .unwrap()
                .entries()
                .unwrap()
                .into_iter()
                .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
                .collect();
            assert_eq!(rows, want.into_iter().collect::<Vec<_>>(), "{policy:?}");
            assert_eq!(dups.len(), 3000 - 700);
            assert!(dups.windows(2).all(|w| w[0].line < w[1].line));
        }
    }

    /// A database an earlier ccert wrote (a rowid table) is still read,
    /// in its storage order.
    #[test]
    fn reads_a_rowid_table_in_storage_order() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("map.sqlite");
        Connection::open(&db)
            .unwrap()
            .execute_batch(
                "CREATE TABLE postfix_map (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                 INSERT INTO postfix_map VALUES ('b', '1'), ('a', '2');",
            )
            .unwrap();
        let mut table = SqliteTable::open(&db).unwrap();
        assert_eq!(table.get(b"a").unwrap(), Some(b"2".to_vec()));
        assert_eq!(
            table.entries().unwrap(),
            vec![
                (b"b".to_vec(), b"1".to_vec()),
                (b"a".to_vec(), b"2".to_vec())
            ]
        );
    }

    #[test]
    fn new_databases_store_each_row_once() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "x").unwrap();
        build(&source, &[("b", "1"), ("a", "2")], DuplicatePolicy::Warn);
        let conn = Connection::open(dir.path().join("map.sqlite")).unwrap();
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'postfix_map'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(sql.ends_with("WITHOUT ROWID"), "{sql}");
        let indexes: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 0, "no separate primary-key index");
    }

    #[test]
    fn keeps_an_admin_edited_cf() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "x").unwrap();
        let cf = dir.path().join("map.sqlite.cf");
        std::fs::write(&cf, "dbpath = /elsewhere\n").unwrap();
        build(&source, &[("a", "b")], DuplicatePolicy::Warn);
        assert_eq!(
            std::fs::read_to_string(&cf).unwrap(),
            "dbpath = /elsewhere\n"
        );
    }

    #[test]
    fn refuses_a_foreign_database_and_reports_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "x").unwrap();
        let db = dir.path().join("map.sqlite");
        Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE other (a)")
            .unwrap();
        let mut input = std::iter::empty();
        let err = SqliteBackend
            .write(&source, &mut input, DuplicatePolicy::Warn, &mut |_| {})
            .unwrap_err();
        assert!(matches!(err, MapError::Corrupt { .. }), "{err}");
        std::fs::write(&db, vec![7u8; 5000]).unwrap();
        assert!(matches!(
            SqliteBackend.open(&source).err().unwrap(),
            MapError::Corrupt { .. }
        ));
    }

    #[test]
    fn error_mid_stream_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        std::fs::write(&source, "x").unwrap();
        build(&source, &[("a", "old")], DuplicatePolicy::Warn);
        let mut input = vec![
            Ok(Entry {
                key: b"a".to_vec(),
                value: b"new".to_vec(),
                line: 1,
            }),
            Ok(Entry {
                key: b"\xff".to_vec(),
                value: b"x".to_vec(),
                line: 2,
            }),
        ]
        .into_iter();
        let err = SqliteBackend
            .write(&source, &mut input, DuplicatePolicy::Warn, &mut |_| {})
            .unwrap_err();
        assert!(matches!(err, MapError::Entry { line: 2, .. }), "{err}");
        let mut table = SqliteBackend.open(&source).unwrap();
        assert_eq!(table.get(b"a").unwrap(), Some(b"old".to_vec()));
    }
}

//! The life of a table file, the same for every type.
//!
//! Postfix's `mkmap_open()` is the model: one routine owns the file and its
//! lock, and each type only says how to fill it. Here that routine is
//! [`NewTable`]; a backend's hooks are the [`ReaderLock`] it names and the
//! code that fills [`NewTable::path`] or [`NewTable::file`]. The steps, in
//! order, each for a reason:
//!
//! 1. **Check the table path** without following a symlink: a directory,
//!    FIFO or device there is refused by name; a symlink is replaced (never
//!    written through, never asked for owner or mode).
//! 2. **Sweep** the temp files of killed runs beside the table.
//! 3. **Decide owner and mode** by postmap's rule before anything is written,
//!    so a source that vanishes mid-run cannot leave a wrongly owned table.
//! 4. **Create the temp file** beside the table (same filesystem, so the
//!    final rename is atomic), exclusively, mode 0600 until commit.
//! 5. The backend **fills** it.
//! 6. **Commit**: fsync the content, apply owner and mode, take the lock
//!    Postfix's readers honour for this type on the old table, rename over
//!    it, fsync the directory. Any failure before the rename drops the temp
//!    file, so the old table stays byte-identical and nothing is left over.
//!
//! docs/tables.md §1 describes the same steps for administrators.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::io_err;
use super::{MapError, MapType};
use crate::fsutil::{self, AtomicFile, ExclusiveLock, LockKind, Permissions};

/// The lock Postfix's readers take on a table of this type, which the
/// commit takes exclusively on the old table while renaming (a backend hook).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReaderLock {
    /// `flock()` (hash and cdb: dict_db and dict_cdb lock with flock).
    Flock,
    /// An fcntl write lock, which needs the file open for writing (lmdb:
    /// Postfix's slmdb locks with fcntl, not LMDB's lock file).
    Fcntl,
    /// No Postfix lock: dict_sqlite relies on SQLite's own locks, and the
    /// old database file is never written, only unlinked by the rename.
    None,
}

/// A table being built in a temp file beside its final path.
pub(crate) struct NewTable {
    target: PathBuf,
    temp: AtomicFile,
    perms: Permissions,
    lock: ReaderLock,
}

impl NewTable {
    /// Steps 1–4: checks the table path of `map_type` for `source`, sweeps
    /// leftovers, decides owner and mode, and creates the temp file.
    pub(crate) fn begin(
        source: &Path,
        map_type: MapType,
        lock: ReaderLock,
    ) -> Result<Self, MapError> {
        let target = map_type.table_path(source);
        let existing = existing_table(&target)?;
        // A killed run's temp files would otherwise pile up beside the table.
        fsutil::remove_stale_temps(&target);
        let perms = match existing {
            // postmap rewrites an existing hash or lmdb file in place, so its
            // mode stays; an administrator's narrower mode survives. Its
            // owner stays too, unless the source belongs to another user
            // than root: root's postmap then runs as the source's owner
            // (postmap.c, every release), and what it writes is theirs.
            Existing::Regular(meta) => Permissions {
                mode: meta.mode() & 0o7777,
                owner: Some(
                    Some(source_owner(source)?)
                        .filter(|(uid, _)| *uid != 0)
                        .unwrap_or((meta.uid(), meta.gid())),
                ),
            },
            // A link is never asked: its target may be anyone's file.
            Existing::Symlink | Existing::Missing => from_source(source)?,
        };
        let temp = AtomicFile::new(&target).map_err(|e| io_err(&target, e))?;
        Ok(Self {
            target,
            temp,
            perms,
            lock,
        })
    }

    /// The temp file's path, for writers that open it by name (LMDB, SQLite).
    pub(crate) fn path(&self) -> &Path {
        self.temp.path()
    }

    /// The open temp file.
    pub(crate) fn file(&mut self) -> &mut File {
        self.temp.file()
    }

    /// The owner and mode the table gets (for files that go with it).
    pub(crate) fn permissions(&self) -> Permissions {
        self.perms
    }

    /// The final table path (errors name it, never the temp file).
    pub(crate) fn target(&self) -> &Path {
        &self.target
    }

    /// An I/O error on the table, named by its final path.
    pub(crate) fn error(&self, source: io::Error) -> MapError {
        io_err(&self.target, source)
    }

    /// Starts over in a fresh temp file (the old one is removed) and returns
    /// it open; for writers that copy a first draft into a compact copy. The
    /// caller's own handles on the first draft stay readable until closed.
    pub(crate) fn restart(&mut self) -> Result<File, MapError> {
        let mut fresh = AtomicFile::new(&self.target).map_err(|e| self.error(e))?;
        let file = fresh.file().try_clone().map_err(|e| self.error(e))?;
        self.temp = fresh;
        Ok(file)
    }

    /// Step 6: makes the filled temp file the table. Returns the table path.
    pub(crate) fn commit(self) -> Result<PathBuf, MapError> {
        // Postfix's readers lock the old table around each lookup; holding the
        // lock exclusively makes the rename wait for the lookups in progress.
        let _lock = lock_old(&self.target, self.lock)?;
        // AtomicFile::commit: fsync (the rename must never expose unwritten
        // blocks after a power loss), owner and mode, rename, directory fsync
        // (so the rename itself survives a power loss).
        self.temp
            .commit(&self.perms)
            .map_err(|e| io_err(&self.target, e))?;
        Ok(self.target)
    }
}

/// What is at a table path, looked at without following a symlink.
enum Existing {
    Missing,
    Symlink,
    Regular(fs::Metadata),
}

fn existing_table(target: &Path) -> Result<Existing, MapError> {
    match fs::symlink_metadata(target) {
        Ok(meta) if meta.file_type().is_symlink() => Ok(Existing::Symlink),
        Ok(meta) if meta.is_file() => Ok(Existing::Regular(meta)),
        Ok(meta) => Err(MapError::Corrupt {
            path: target.to_path_buf(),
            message: format!(
                "is a {}, not a table file; move it away",
                fsutil::file_kind(&meta.file_type())
            ),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Existing::Missing),
        Err(e) => Err(io_err(target, e)),
    }
}

/// postmap's rule for a new table: mode 0644 narrowed by what the source
/// denies group and others (postmap sets the umask `022 | (~source & 077)`),
/// owned by the source's owner (postmap run by root switches to the source
/// owner's uid and gid before it creates the table).
fn from_source(source: &Path) -> Result<Permissions, MapError> {
    let meta = fs::metadata(source).map_err(|e| io_err(source, e))?;
    let umask = 0o022 | (!meta.mode() & 0o077);
    Ok(Permissions {
        mode: 0o644 & !umask,
        owner: Some((meta.uid(), meta.gid())),
    })
}

/// The source's owner (uid, gid).
fn source_owner(source: &Path) -> Result<(u32, u32), MapError> {
    let meta = fs::metadata(source).map_err(|e| io_err(source, e))?;
    Ok((meta.uid(), meta.gid()))
}

/// Takes `kind` exclusively on the old table, if there is one. A symlink
/// is not opened (it is being replaced; the file it names is never written).
fn lock_old(target: &Path, kind: ReaderLock) -> Result<Option<ExclusiveLock>, MapError> {
    let (lock_kind, write) = match kind {
        ReaderLock::None => return Ok(None),
        ReaderLock::Flock => (LockKind::Flock, false),
        ReaderLock::Fcntl => (LockKind::Fcntl, true),
    };
    let opened = OpenOptions::new()
        .read(true)
        .write(write)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(target);
    match opened {
        Ok(file) => ExclusiveLock::on(file, lock_kind)
            .map(Some)
            .map_err(|e| io_err(target, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Ok(None),
        Err(e) => Err(io_err(target, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_symlinked_table_is_replaced_with_the_sources_mode() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        fs::write(&source, "k v\n").unwrap();
        fs::set_permissions(&source, fs::Permissions::from_mode(0o640)).unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"keep").unwrap();
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o666)).unwrap();
        let target = MapType::Cdb.table_path(&source);
        std::os::unix::fs::symlink(&victim, &target).unwrap();

        let mut table = NewTable::begin(&source, MapType::Cdb, ReaderLock::Flock).unwrap();
        table.file().write_all(b"new").unwrap();
        table.commit().unwrap();

        let meta = fs::symlink_metadata(&target).unwrap();
        assert!(meta.is_file(), "the link was not replaced");
        assert_eq!(meta.mode() & 0o777, 0o640);
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert_eq!(
            fs::metadata(&victim).unwrap().mode() & 0o777,
            0o666,
            "the link's target was touched"
        );
    }

    #[test]
    fn a_fifo_at_the_table_path_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        fs::write(&source, "k v\n").unwrap();
        let target = MapType::Hash.table_path(&source);
        let c = std::ffi::CString::new(target.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let Err(err) = NewTable::begin(&source, MapType::Hash, ReaderLock::Flock) else {
            panic!("a FIFO table path was accepted");
        };
        let text = err.to_string();
        assert!(text.contains("map.db") && text.contains("FIFO"), "{text}");
    }

    #[test]
    fn a_failed_build_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("map");
        fs::write(&source, "k v\n").unwrap();
        let target = MapType::Lmdb.table_path(&source);
        fs::write(&target, b"old").unwrap();
        {
            let mut table = NewTable::begin(&source, MapType::Lmdb, ReaderLock::Fcntl).unwrap();
            table.file().write_all(b"half").unwrap();
            // Dropped without commit, as on any error.
        }
        assert_eq!(fs::read(&target).unwrap(), b"old");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}

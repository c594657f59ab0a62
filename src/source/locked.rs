//! A source file opened for a read-modify-write under an exclusive lock.
//!
//! The lock is a `flock(LOCK_EX)` on the source file itself. Because an edit
//! replaces the file by rename, a waiter may end up holding the lock on an
//! inode that is no longer linked; after locking it therefore checks that the
//! path still names the locked inode, and re-opens when it does not. A
//! missing file is created exclusively (`O_EXCL`) before it is locked, so two
//! concurrent creators cannot both believe they created it. The new file is
//! locked before it is renamed into place and the lock is held until the edit
//! is complete, so a run that opens the new file waits too.
//!
//! `ccert compile` takes a shared lock ([`lock_shared`]) on the source, so its
//! table is never built from a source an edit is about to replace.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::SourceFile;
use crate::fsutil::{self, ExclusiveLock, LockKind, Permissions};

/// Errors opening, locking or writing the source file.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// An I/O error on the source file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The source file does not exist.
    #[error(
        "{path}: no such file; add an entry with `ccert add` first, or name the file with --map"
    )]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The source is a FIFO, device or directory, not a regular file.
    #[error("{path}: is a {kind}, not a regular file; a map source must be a regular file")]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// The directory for a new source file does not exist.
    #[error(
        "cannot create {path}: directory {dir} does not exist; create it first or choose another file with --map"
    )]
    NoDirectory {
        /// The file.
        path: PathBuf,
        /// Its missing directory.
        dir: PathBuf,
    },
}

/// The source file, locked, with its content as read under the lock.
#[derive(Debug)]
pub struct LockedSource {
    path: PathBuf,
    original: Vec<u8>,
    created: bool,
    committed: bool,
    lock: ExclusiveLock,
}

impl LockedSource {
    /// Opens and locks `path`, waiting for other ccert runs. With `create`,
    /// a missing file is created empty (mode 0644 before the umask); its
    /// directory must exist.
    pub fn open(path: &Path, create: bool) -> Result<Self, SourceError> {
        let io_err = |source| SourceError::Io {
            path: path.to_path_buf(),
            source,
        };
        loop {
            // Before opening: a FIFO would block the open, a device never ends.
            check_regular(path)?;
            let (file, created) = match OpenOptions::new().read(true).open(path) {
                Ok(f) => (f, false),
                Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                    let dir = fsutil::parent_dir(path);
                    if !dir.is_dir() {
                        return Err(SourceError::NoDirectory {
                            path: path.to_path_buf(),
                            dir: dir.to_path_buf(),
                        });
                    }
                    match OpenOptions::new()
                        .read(true)
                        .write(true)
                        .create_new(true)
                        .mode(0o644)
                        .open(path)
                    {
                        Ok(f) => (f, true),
                        // Someone else created it meanwhile: open theirs.
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                        Err(e) => return Err(io_err(e)),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(SourceError::Missing {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) => return Err(io_err(e)),
            };
            let lock = ExclusiveLock::on(file, LockKind::Flock).map_err(io_err)?;
            let locked = lock.file().metadata().map_err(io_err)?;
            match fs::metadata(path) {
                Ok(now) if now.dev() == locked.dev() && now.ino() == locked.ino() => {}
                // Replaced or removed while we waited: lock the current file instead.
                _ => continue,
            }
            let mut original = Vec::new();
            let mut reader = lock.file();
            reader.read_to_end(&mut original).map_err(io_err)?;
            return Ok(Self {
                path: path.to_path_buf(),
                original,
                created,
                committed: false,
                lock,
            });
        }
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this run created the (empty) file.
    pub fn created(&self) -> bool {
        self.created
    }

    /// The content read under the lock, parsed.
    pub fn source(&self) -> SourceFile {
        SourceFile::parse(&self.original)
    }

    /// Writes `edited` atomically (keeping the file's owner and mode) while
    /// the lock is still held. Writes nothing when the content is unchanged.
    pub fn commit(&mut self, edited: &SourceFile) -> Result<(), SourceError> {
        self.committed = true;
        if edited.as_bytes() == self.original.as_slice() {
            return Ok(());
        }
        let io_err = |source| SourceError::Io {
            path: self.path.clone(),
            source,
        };
        // Edit the file a symlink points to rather than replacing the link.
        let target = fs::canonicalize(&self.path).map_err(io_err)?;
        fsutil::remove_stale_temps(&target);
        let perms = Permissions::of_existing(&target).map_err(io_err)?;
        let mut temp = fsutil::AtomicFile::new(&target).map_err(io_err)?;
        temp.file().write_all(edited.as_bytes()).map_err(io_err)?;
        // The new file is locked before it becomes the source and stays
        // locked until this edit is done (tables rebuilt, store pruned):
        // a run that opens the new file waits, as one on the old file does.
        let file = temp.commit(&perms).map_err(io_err)?;
        self.lock = ExclusiveLock::on(file, LockKind::Flock).map_err(io_err)?;
        Ok(())
    }
}

/// Refuses a source that exists but is not a regular file (a FIFO would
/// block the open, a device such as /dev/zero never ends); a missing file
/// is left to the caller.
fn check_regular(path: &Path) -> Result<(), SourceError> {
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Err(SourceError::NotRegular {
            path: path.to_path_buf(),
            kind: fsutil::file_kind(&meta.file_type()),
        }),
        _ => Ok(()),
    }
}

/// Before a command reads the source without editing it (`compile`,
/// `list`): refuses a source that is not a regular file, and removes the
/// temp files killed edits left beside it (a live edit's temp file is
/// locked and stays).
pub fn before_reading(path: &Path) -> Result<(), SourceError> {
    check_regular(path)?;
    if let Ok(real) = fs::canonicalize(path) {
        fsutil::remove_stale_temps(&real);
    }
    Ok(())
}

/// Waits for a shared `flock()` on the source at `path` (re-opening when an
/// edit replaced the file meanwhile) and returns the locked file; `None` when
/// the file does not exist (the caller reports that). Held while compiling,
/// it keeps a compile from overwriting the table of an edit that changed the
/// source after the compile read it.
pub fn lock_shared(path: &Path) -> Result<Option<fs::File>, SourceError> {
    let io_err = |source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    };
    loop {
        let file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(e)),
        };
        fsutil::lock(&file, LockKind::Flock, false).map_err(io_err)?;
        let locked = file.metadata().map_err(io_err)?;
        match fs::metadata(path) {
            Ok(now) if now.dev() == locked.dev() && now.ino() == locked.ino() => {
                return Ok(Some(file));
            }
            _ => continue,
        }
    }
}

impl Drop for LockedSource {
    fn drop(&mut self) {
        // A file this run created but never filled goes away again, so a
        // failed `add` leaves no trace. (Still locked here: no one else
        // has written to it.)
        if self.created
            && !self.committed
            && fs::metadata(&self.path).is_ok_and(|meta| meta.len() == 0)
        {
            let _ = fs::remove_file(&self.path);
        }
    }
}

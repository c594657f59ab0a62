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
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::{RecordReader, SourceFile, appended_bytes};
use crate::fsutil::{self, ExclusiveLock, LockKind, Permissions};

/// Errors opening, locking or writing the source file.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// An I/O error on the source file (the OS reason is its source).
    #[error("{path}: cannot {action}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed: `open`, `create`, `read` or `write`.
        action: &'static str,
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
    #[error("{path}: {not}; a map source must be a regular file")]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        not: fsutil::NotRegular,
    },
    /// A line ccert was about to write is longer than it reads back.
    #[error(
        "{path}: refusing to write a line of {len} bytes, longer than the 1 MiB logical line \
         ccert reads back; nothing was changed"
    )]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// The line's length.
        len: usize,
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

/// The source file, locked. Its content is read under the lock: whole by
/// [`LockedSource::source`] for edits in the middle, or streamed by
/// [`LockedSource::records`] for commands that only append.
#[derive(Debug)]
pub struct LockedSource {
    path: PathBuf,
    /// The file this run created (`path`, or the target of a dangling
    /// symlink at `path`), removed again when nothing was committed.
    created_at: Option<PathBuf>,
    /// The content, once [`LockedSource::source`] has read it.
    original: Option<Vec<u8>>,
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
            action: "open",
            source,
        };
        // Where this run created the file (the link's target for a dangling link).
        let mut created_at = None;
        loop {
            // Before opening: a FIFO would block the open, a device never ends.
            check_regular(path)?;
            let (file, created) = match OpenOptions::new().read(true).open(path) {
                Ok(f) => (f, false),
                Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                    // A dangling symlink (`clientcerts -> /srv/list`): the
                    // file is created where the link points, as an editor
                    // writing through the link does. `O_EXCL` on the link
                    // itself would fail with EEXIST for ever.
                    let target = link_target(path).map_err(io_err)?;
                    let dir = fsutil::parent_dir(&target).to_path_buf();
                    if !dir.is_dir() {
                        return Err(SourceError::NoDirectory { path: target, dir });
                    }
                    match OpenOptions::new()
                        .read(true)
                        .write(true)
                        .create_new(true)
                        .mode(0o644)
                        .open(&target)
                    {
                        Ok(f) => {
                            created_at = Some(target);
                            (f, true)
                        }
                        // Someone else created it meanwhile: open theirs.
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                        Err(source) => {
                            return Err(SourceError::Io {
                                path: target,
                                action: "create",
                                source,
                            });
                        }
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
            return Ok(Self {
                path: path.to_path_buf(),
                created_at: if created { created_at } else { None },
                original: None,
                created,
                committed: false,
                lock,
            });
        }
    }

    /// The source file, as it was named.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this run created the (empty) file.
    pub fn created(&self) -> bool {
        self.created
    }

    /// An error reading this source, naming it.
    pub(crate) fn io_err(&self, source: io::Error) -> SourceError {
        SourceError::Io {
            path: self.path.clone(),
            action: "read",
            source,
        }
    }

    /// An error writing this source's replacement, naming the source.
    fn write_err(&self, source: io::Error) -> SourceError {
        SourceError::Io {
            path: self.path.clone(),
            action: "write",
            source,
        }
    }

    /// The lines to add, each checked to be readable back (the writer's
    /// own check: the callers bound names and comments already).
    fn readable<I, S>(&self, lines: I) -> Result<Vec<S>, SourceError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let lines: Vec<S> = lines.into_iter().collect();
        match lines
            .iter()
            .find(|l| !super::readable_line(l.as_ref().len()))
        {
            Some(long) => Err(SourceError::LineTooLong {
                path: self.path.clone(),
                len: long.as_ref().len(),
            }),
            None => Ok(lines),
        }
    }

    /// The locked file, positioned at its start.
    fn rewound(&self) -> Result<fs::File, SourceError> {
        let mut file = self.lock.file().try_clone().map_err(|e| self.io_err(e))?;
        file.seek(SeekFrom::Start(0)).map_err(|e| self.io_err(e))?;
        Ok(file)
    }

    /// The content read under the lock, parsed.
    pub fn source(&mut self) -> Result<SourceFile, SourceError> {
        if self.original.is_none() {
            let mut original = Vec::new();
            self.rewound()?
                .read_to_end(&mut original)
                .map_err(|e| self.io_err(e))?;
            self.original = Some(original);
        }
        Ok(SourceFile::parse(
            self.original.as_deref().unwrap_or_default(),
        ))
    }

    /// The content under the lock as bytes, from the start (for a scan
    /// cheaper than parsing, such as a search for a key's text).
    pub fn bytes(&self) -> Result<fs::File, SourceError> {
        self.rewound()
    }

    /// Streams the records of the content under the lock, without holding
    /// the file in memory.
    pub fn records(&self) -> Result<RecordReader<BufReader<fs::File>>, SourceError> {
        Ok(RecordReader::new(BufReader::with_capacity(
            1 << 16,
            self.rewound()?,
        )))
    }

    /// Appends `lines` (without line endings) as [`SourceFile::append_lines`]
    /// does, writing the new file atomically by copying the old content and
    /// adding the lines, so memory stays small whatever the file's size.
    pub fn commit_append<I, S>(&mut self, lines: I) -> Result<(), SourceError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let lines = self.readable(lines)?;
        self.committed = true;
        let file = self.rewound()?;
        let len = file.metadata().map_err(|e| self.io_err(e))?.len();
        let terminated = len == 0 || last_byte(&file, len).map_err(|e| self.io_err(e))? == b'\n';
        let eol = first_line_ending(&file).map_err(|e| self.io_err(e))?;
        let added = appended_bytes(terminated, eol, lines);
        if added.is_empty() {
            return Ok(());
        }
        self.replace_with(|out| {
            let mut input = file.take(len);
            io::copy(&mut input, out)?;
            out.write_all(&added)
        })
    }

    /// Removes or renames the records `edits` name (physical lines, 0-based,
    /// sorted, not overlapping) and appends `lines`, by copying the file
    /// into its replacement (see [`super::copy::copy_edited`]): a removed
    /// record takes the line right above it when `above(edit index, line)`
    /// says so. Memory stays small whatever the file's size.
    pub fn commit_edited<I, S>(
        &mut self,
        edits: &[(std::ops::Range<usize>, super::copy::LineEdit)],
        lines: I,
        above: impl FnMut(usize, &[u8]) -> bool,
    ) -> Result<(), SourceError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let lines = self.readable(lines)?;
        for (_, edit) in edits {
            // A renamed record's line is its key, a blank and the value.
            if let super::copy::LineEdit::Rename(value) = edit
                && !super::readable_line(value.len() + 200)
            {
                return Err(SourceError::LineTooLong {
                    path: self.path.clone(),
                    len: value.len(),
                });
            }
        }
        self.committed = true;
        let file = self.rewound()?;
        let eol = first_line_ending(&file).map_err(|e| self.io_err(e))?;
        self.replace_with(|out| {
            let mut input = BufReader::with_capacity(1 << 16, file);
            let mut output = io::BufWriter::with_capacity(1 << 16, out);
            super::copy::copy_edited(&mut input, &mut output, edits, eol, above, lines)?;
            output.flush()
        })
    }

    /// Copies the content under the lock into `out` through
    /// [`super::copy::copy_rewriting`], each record's first line and the
    /// line above it as `edit` says; memory stays small whatever the file's
    /// size. With [`io::sink`] it is a dry run: `edit` sees every record
    /// as the real copy will.
    pub fn copy_rewriting(
        &self,
        out: &mut impl Write,
        edit: impl FnMut(&super::Record, &[u8], Option<&[u8]>) -> io::Result<super::copy::Rewrite>,
    ) -> Result<(), SourceError> {
        let file = self.rewound()?;
        rewrite_into(&file, out, edit).map_err(|e| self.io_err(e))
    }

    /// Writes the source rewritten as [`LockedSource::copy_rewriting`]
    /// copies it, atomically, in place of the old one.
    pub fn commit_rewritten(
        &mut self,
        edit: impl FnMut(&super::Record, &[u8], Option<&[u8]>) -> io::Result<super::copy::Rewrite>,
    ) -> Result<(), SourceError> {
        self.committed = true;
        let file = self.rewound()?;
        self.replace_with(|out| {
            let mut output = io::BufWriter::with_capacity(1 << 16, out);
            rewrite_into(&file, &mut output, edit)?;
            output.flush()
        })
    }

    /// Writes the new content through `write` into a temp file and makes it
    /// the source (keeping the file's owner and mode, editing the file a
    /// symlink points to), holding the lock on the new file.
    fn replace_with(
        &mut self,
        write: impl FnOnce(&mut fs::File) -> io::Result<()>,
    ) -> Result<(), SourceError> {
        let target = fs::canonicalize(&self.path).map_err(|e| self.write_err(e))?;
        fsutil::remove_stale_temps(&target);
        let perms = Permissions::of_existing(&target).map_err(|e| self.write_err(e))?;
        let mut temp = fsutil::AtomicFile::new(&target).map_err(|e| self.write_err(e))?;
        write(temp.file()).map_err(|e| self.write_err(e))?;
        // The new file is locked before it becomes the source and stays
        // locked until this edit is done (tables rebuilt, store pruned):
        // a run that opens the new file waits, as one on the old file does.
        let file = temp.commit(&perms).map_err(|e| self.write_err(e))?;
        self.lock = ExclusiveLock::on(file, LockKind::Flock).map_err(|e| self.write_err(e))?;
        Ok(())
    }

    /// Writes a whole new content through `write` (into a temp file beside
    /// the source, renamed into place only when `write` succeeded), keeping
    /// the file's owner and mode, while the lock is still held; for content
    /// made as it streams in, such as `ccert sync`'s copy of a database list.
    pub fn commit_streamed(
        &mut self,
        write: impl FnOnce(&mut fs::File) -> io::Result<()>,
    ) -> Result<(), SourceError> {
        self.committed = true;
        self.replace_with(write)
    }

    /// Writes `edited` atomically (keeping the file's owner and mode) while
    /// the lock is still held. Writes nothing when the content is unchanged.
    pub fn commit(&mut self, edited: &SourceFile) -> Result<(), SourceError> {
        self.committed = true;
        if self.original.as_deref() == Some(edited.as_bytes()) {
            return Ok(());
        }
        self.replace_with(|out| out.write_all(edited.as_bytes()))
    }
}

/// Copies `file` (positioned at its start) into `out` through
/// [`super::copy::copy_rewriting`]; the records come from a second reader
/// of the same file with its own offset.
fn rewrite_into(
    file: &fs::File,
    out: &mut impl Write,
    edit: impl FnMut(&super::Record, &[u8], Option<&[u8]>) -> io::Result<super::copy::Rewrite>,
) -> io::Result<()> {
    let mut input = BufReader::with_capacity(1 << 16, file);
    let records = RecordReader::new(BufReader::with_capacity(
        1 << 16,
        ReadAt { file, offset: 0 },
    ))
    .filter_map(|item| match item {
        Ok(super::Item::Record(record)) => Some(Ok(record)),
        Ok(_) => None,
        Err(e) => Some(Err(e)),
    });
    super::copy::copy_rewriting(&mut input, records, out, edit)
}

/// A reader of a file by `pread`, with an offset of its own (a cloned
/// handle would share the file's offset with the other reader).
struct ReadAt<'a> {
    file: &'a fs::File,
    offset: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt as _;
        let n = self.file.read_at(buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

/// The last byte of `file` (`len` bytes long, not empty).
fn last_byte(file: &fs::File, len: u64) -> io::Result<u8> {
    use std::os::unix::fs::FileExt as _;
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, len - 1)?;
    Ok(byte[0])
}

/// The line ending of `file` as [`SourceFile::line_ending`] sees it: CRLF
/// when its first `\n` follows a `\r`. Reads up to the first `\n`.
fn first_line_ending(file: &fs::File) -> io::Result<&'static [u8]> {
    use std::os::unix::fs::FileExt as _;
    let mut buf = vec![0u8; 1 << 16];
    let mut offset = 0u64;
    let mut previous = 0u8;
    loop {
        let n = file.read_at(&mut buf, offset)?;
        if n == 0 {
            return Ok(b"\n");
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            let before = if i > 0 { buf[i - 1] } else { previous };
            return Ok(if offset + i as u64 > 0 && before == b'\r' {
                b"\r\n"
            } else {
                b"\n"
            });
        }
        previous = buf[n - 1];
        offset += n as u64;
    }
}

/// The path a missing `path` would be created at: `path` itself, or for a
/// dangling symlink the file it points to (following a chain of links, a
/// relative target read from the link's directory). More than 40 links is
/// ELOOP, as the kernel counts.
fn link_target(path: &Path) -> io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let next = fs::read_link(&at)?;
                at = fsutil::parent_dir(&at).join(next);
            }
            _ => return Ok(at),
        }
    }
    Err(io::Error::from_raw_os_error(libc::ELOOP))
}

/// Refuses a source that exists but is not a regular file (a FIFO would
/// block the open, a device such as /dev/zero never ends); a missing file
/// is left to the caller.
fn check_regular(path: &Path) -> Result<(), SourceError> {
    fsutil::check_regular(path).map_err(|not| SourceError::NotRegular {
        path: path.to_path_buf(),
        not,
    })
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
        action: "open",
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
        if let Some(created) = &self.created_at
            && !self.committed
            && fs::symlink_metadata(created).is_ok_and(|meta| meta.is_file() && meta.len() == 0)
        {
            let _ = fs::remove_file(created);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A dangling symlink at the source path (issue 17 item 1): the file is
    /// created where the link points (relative to the link's directory, and
    /// through a chain of links), the link stays a link, and an edit that
    /// commits nothing removes the created file again but not the link.
    #[test]
    fn a_dangling_symlink_is_created_through() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("real")).unwrap();
        let link = dir.path().join("clientcerts");
        symlink("middle", &link).unwrap();
        symlink("real/list", dir.path().join("middle")).unwrap();
        let target = dir.path().join("real/list");

        let mut locked = LockedSource::open(&link, true).unwrap();
        assert!(locked.created());
        assert!(target.is_file());
        locked.commit_append(["key value"]).unwrap();
        drop(locked);
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"key value\n");

        // Created but not committed: the target goes, the links stay.
        fs::remove_file(&target).unwrap();
        drop(LockedSource::open(&link, true).unwrap());
        assert!(!target.exists());
        assert!(fs::symlink_metadata(&link).is_ok());

        // Without `create`: missing, naming the link.
        assert!(matches!(
            LockedSource::open(&link, false),
            Err(SourceError::Missing { .. })
        ));
    }

    /// A link into a missing directory names that directory; a loop of
    /// links is ELOOP; neither spins.
    #[test]
    fn dangling_links_that_cannot_be_created_through_fail() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("clientcerts");
        symlink(dir.path().join("nowhere/list"), &link).unwrap();
        match LockedSource::open(&link, true) {
            Err(SourceError::NoDirectory { path, dir: missing }) => {
                assert!(path.ends_with("nowhere/list"));
                assert!(missing.ends_with("nowhere"));
            }
            other => panic!("{other:?}"),
        }
        let a = dir.path().join("a");
        symlink("b", &a).unwrap();
        symlink("a", dir.path().join("b")).unwrap();
        match LockedSource::open(&a, true) {
            Err(SourceError::Io { source, .. }) => {
                assert_eq!(source.raw_os_error(), Some(libc::ELOOP), "{source}")
            }
            other => panic!("{other:?}"),
        }
    }
}

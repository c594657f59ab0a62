//! Atomic file replacement, ownership and mode rules, and Postfix-compatible locks.
//!
//! Every file ccert writes under /etc/postfix goes through [`AtomicFile`]: the
//! new content is written to an exclusively created temp file with an
//! unpredictable name in the target's directory, fsynced, given its owner and
//! mode, and renamed over the target; then the directory is fsynced. A crash at
//! any point leaves either the old or the new file, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::sys::{self, Flock};

/// Prefix of every temp file ccert creates, so a later run can recognise and
/// remove leftovers of a killed run (`.ccert-<target>.<random>`).
pub const TEMP_PREFIX: &str = ".ccert-";

/// A temp file beside a target that becomes the target on [`AtomicFile::commit`].
///
/// Dropping it without committing removes the temp file.
#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Creates an empty temp file (mode 0600, `O_EXCL`, random name) in the
    /// directory of `target`.
    ///
    /// The temp file is `flock()`ed for as long as this process has it open,
    /// which tells [`remove_stale_temps`] in other runs that its writer is
    /// alive; a killed run's temp file is unlocked and gets removed.
    pub fn new(target: &Path) -> io::Result<Self> {
        let dir = parent_dir(target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        loop {
            let temp = tempfile::Builder::new()
                .prefix(&format!("{TEMP_PREFIX}{name}."))
                .tempfile_in(dir)?;
            lock(temp.as_file(), LockKind::Flock, true)?;
            // A cleaner that opened the file in the instant before we locked
            // it took it for a leftover and removed it: start over.
            let ours = temp.as_file().metadata()?;
            match fs::symlink_metadata(temp.path()) {
                Ok(now) if now.dev() == ours.dev() && now.ino() == ours.ino() => {
                    return Ok(Self {
                        temp,
                        target: target.to_path_buf(),
                    });
                }
                _ => continue,
            }
        }
    }

    /// The temp file's path, for writers that must open it by name (LMDB, SQLite).
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// The open temp file.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// fsyncs the content, applies `perms`, renames over the target and fsyncs
    /// the directory. Returns the file, now the target, still `flock()`ed
    /// exclusively by this process until it is dropped (so a locked
    /// read-modify-write can keep its lock across the rename).
    pub fn commit(self, perms: &Permissions) -> io::Result<File> {
        let file = self.temp.as_file();
        file.sync_all()?;
        perms.apply(file)?;
        let target = self.target.clone();
        let file = self.temp.persist(&target).map_err(|e| e.error)?;
        sync_dir(parent_dir(&target))?;
        Ok(file)
    }
}

impl AtomicFile {
    /// Like [`AtomicFile::commit`], but never replaces an existing target:
    /// the temp file is hard-linked to the target name (which fails when
    /// that name exists) and then removed. A run killed at any point leaves
    /// either no target or a complete one, plus at most a temp file that
    /// the next run sweeps.
    pub fn commit_new(self, perms: &Permissions) -> io::Result<()> {
        let file = self.temp.as_file();
        file.sync_all()?;
        perms.apply(file)?;
        fs::hard_link(self.temp.path(), &self.target)?;
        let dir = parent_dir(&self.target).to_path_buf();
        // Dropping the temp file unlinks its name; the target keeps the inode.
        drop(self.temp);
        sync_dir(&dir)
    }
}

/// Writes `bytes` to `target` atomically with the given permissions.
pub fn write_atomic(target: &Path, bytes: &[u8], perms: &Permissions) -> io::Result<()> {
    let mut file = AtomicFile::new(target)?;
    file.file().write_all(bytes)?;
    file.commit(perms).map(drop)
}

/// Owner and mode for a file ccert (re)creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    /// Permission bits (`0o644` …).
    pub mode: u32,
    /// Owner to set, when running as root; `None` keeps the creating user.
    pub owner: Option<(u32, u32)>,
}

impl Permissions {
    /// Keeps the owner and mode of an existing file (used when a file is edited
    /// or replaced, so ccert never widens a mode an admin narrowed).
    pub fn of_existing(path: &Path) -> io::Result<Self> {
        let meta = fs::metadata(path)?;
        Ok(Self {
            mode: meta.mode() & 0o7777,
            owner: Some((meta.uid(), meta.gid())),
        })
    }

    /// Applies owner (only as root, and only when it differs) and mode to an open file.
    pub fn apply(&self, file: &File) -> io::Result<()> {
        if let Some((uid, gid)) = self.owner {
            let meta = file.metadata()?;
            if crate::sys::is_root() && (meta.uid() != uid || meta.gid() != gid) {
                std::os::unix::fs::fchown(file, Some(uid), Some(gid))?;
            }
        }
        file.set_permissions(fs::Permissions::from_mode(self.mode))
    }
}

/// postmap's 3.12 ownership warning (postmap.c, HISTORY 20260820): a
/// root-owned source in a directory root does not own. Root's postmap
/// (and ccert run as root) then creates root-owned tables in a directory
/// whose owner can rename or replace them: a privilege-escalation risk.
/// The source, its tables and the directory should have one owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{file} is owned by root but its directory {dir} by uid {dir_uid}: root-owned tables built there \
     can be replaced by that user (a privilege-escalation risk; postmap warns the same from Postfix 3.12); \
     give {file}, its tables and {dir} one owner",
    file = .file.display(),
    dir = .dir.display()
)]
pub struct RootSourceInUserDir {
    /// The source file.
    pub file: PathBuf,
    /// Its directory.
    pub dir: PathBuf,
    /// The directory's owner.
    pub dir_uid: u32,
}

/// Whether `source` has the layout postmap warns about (see
/// [`RootSourceInUserDir`]), whoever runs this; `None` also when either
/// cannot be looked at (the write itself reports that).
pub fn root_source_in_user_dir(source: &Path) -> Option<RootSourceInUserDir> {
    let meta = fs::metadata(source).ok()?;
    if meta.uid() != 0 {
        return None;
    }
    let dir = parent_dir(source);
    // postmap takes the directory as written (sane_dirname): a relative
    // source's directory is the working directory.
    let dir_meta = fs::metadata(dir).ok()?;
    (dir_meta.uid() != 0).then(|| RootSourceInUserDir {
        file: source.to_path_buf(),
        dir: dir.to_path_buf(),
        dir_uid: dir_meta.uid(),
    })
}

/// A file type in words, for errors ("FIFO", "character device" …).
pub fn file_kind(t: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_file() {
        "regular file"
    } else if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_socket() {
        "socket"
    } else if t.is_symlink() {
        "symbolic link"
    } else {
        "special file"
    }
}

/// A path that names something other than a regular file (a FIFO, a
/// device, a directory, a socket): the one error ccert gives for it,
/// wherever an admin-given path is read. Opening a FIFO waits for a writer
/// and a device such as /dev/zero never ends, so neither is ever read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("is a {kind}, not a regular file")]
pub struct NotRegular {
    /// What it is instead ("FIFO", "character device" …).
    pub kind: &'static str,
}

/// A file larger than the bound its reader allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("is larger than {}, more than such a file ever holds; is it the right file?", human_size(*.limit))]
pub struct TooLarge {
    /// The bound, in bytes.
    pub limit: u64,
}

/// `n` bytes in words (`64 MiB`, `4 KiB`, `100 bytes`).
pub fn human_size(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Bounds for the files an admin names, each far above any real file of
/// its kind (see docs/limits.md).
pub mod limits {
    /// A password file (`--password-file`, `--pkcs12-password-file`).
    pub const PASSWORD_FILE: u64 = 64 * 1024;
    /// A configuration file (`main.cf`, `master.cf`, a pgsql_table(5) `.cf`).
    pub const CONFIG_FILE: u64 = 16 * 1024 * 1024;
    /// A PEM private key (`probe --key`, `client-config --key`).
    pub const KEY_FILE: u64 = 1024 * 1024;
    /// A CA bundle (`sslrootcert=`).
    pub const CA_BUNDLE: u64 = 64 * 1024 * 1024;
    /// A clientcerts source read whole (`import`).
    pub const SOURCE_FILE: u64 = 1024 * 1024 * 1024;
    /// A certificate revocation list (`revoke --crl`), read whole: a large
    /// CA's CRL with a million serials is about 40 MB.
    pub const CRL_FILE: u64 = 256 * 1024 * 1024;
}

/// Refuses a path that exists but is not a regular file (following
/// symlinks, as a read would). A missing file is left to the caller's open.
pub fn check_regular(path: &Path) -> Result<(), NotRegular> {
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Err(NotRegular {
            kind: file_kind(&meta.file_type()),
        }),
        _ => Ok(()),
    }
}

/// Opens an admin-given file for reading, refusing anything but a regular
/// file: `O_NONBLOCK` keeps a FIFO (or one swapped in after a check) from
/// blocking the open, and the open file's type is checked. The errors are
/// `io::Error`s (kind `InvalidInput`) whose text is [`NotRegular`]'s, so
/// callers report them like any read error.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            NotRegular {
                kind: file_kind(&meta.file_type()),
            },
        ));
    }
    Ok(file)
}

/// Reads a whole admin-given file of at most `limit` bytes: refuses FIFOs
/// and devices ([`open_regular`]) and stops at `limit` + 1 bytes (a file
/// that grows while read is bounded too).
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            TooLarge { limit },
        ));
    }
    Ok(bytes)
}

/// [`read_bounded`] as UTF-8 text (an `InvalidData` error otherwise).
pub fn read_to_string_bounded(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_bounded(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "is not UTF-8 text"))
}

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// fsyncs a directory so a rename in it is durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes temp files a killed ccert run left beside `target`
/// (`.ccert-<name>.*`). A temp file whose writer is alive is `flock()`ed
/// (see [`AtomicFile::new`]) and kept; only regular files are touched, so a
/// planted symlink is never followed.
pub fn remove_stale_temps(target: &Path) {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    remove_stale_temps_in(parent_dir(target), &format!("{TEMP_PREFIX}{name}."));
}

/// Removes the leftover temp files in `dir` whose names start with `prefix`
/// (a ccert temp prefix), under the same rules as [`remove_stale_temps`]:
/// only files no live writer holds locked, never through a symlink.
pub fn remove_stale_temps_in(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let fname = entry.file_name();
        if !fname.to_string_lossy().starts_with(prefix) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
        else {
            continue;
        };
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            continue;
        }
        if sys::flock(&file, Flock::ExclusiveNow).is_ok() {
            // Still holding the lock, so no writer can have claimed it meanwhile.
            let _ = fs::remove_file(&path);
        }
    }
}

/// Kind of lock, matching what Postfix uses for each table type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// BSD `flock()` (hash, btree, cdb, and ccert's own source-file lock).
    Flock,
    /// POSIX `fcntl()` whole-file record lock (lmdb).
    Fcntl,
}

/// An exclusive lock held until dropped.
#[derive(Debug)]
pub struct ExclusiveLock {
    file: File,
    kind: LockKind,
}

impl ExclusiveLock {
    /// Waits for an exclusive lock of `kind` on an already open file.
    pub fn on(file: File, kind: LockKind) -> io::Result<Self> {
        lock(&file, kind, true)?;
        Ok(Self { file, kind })
    }

    /// The locked file.
    pub fn file(&self) -> &File {
        &self.file
    }
}

impl Drop for ExclusiveLock {
    fn drop(&mut self) {
        let _ = unlock(&self.file, self.kind);
    }
}

/// Waits for a lock (exclusive or shared) of `kind` on `file`.
pub fn lock(file: &File, kind: LockKind, exclusive: bool) -> io::Result<()> {
    loop {
        let result = match kind {
            LockKind::Flock if exclusive => sys::flock(file, Flock::Exclusive),
            LockKind::Flock => sys::flock(file, Flock::Shared),
            LockKind::Fcntl => sys::fcntl_lock(file, Some(exclusive)),
        };
        match result {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Releases a lock of `kind` on `file`.
pub fn unlock(file: &File, kind: LockKind) -> io::Result<()> {
    match kind {
        LockKind::Flock => sys::flock(file, Flock::Unlock),
        LockKind::Fcntl => sys::fcntl_lock(file, None),
    }
}

/// Whether another process holds a `flock()` on `path` (an edit, a compile
/// or a `ccert sync` writing it). Opened without blocking, so a FIFO never
/// hangs the check; a missing or unreadable file is not busy.
pub fn flock_busy(path: &Path) -> bool {
    use std::os::unix::fs::OpenOptionsExt as _;
    let Ok(file) = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    else {
        return false;
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return false;
    }
    // Released when `file` closes below.
    sys::flock(&file, Flock::ExclusiveNow).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftover_temps_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("map.db");
        // A killed run's temp file: nobody holds its lock.
        let dead = dir.path().join(format!("{TEMP_PREFIX}map.db.dead1"));
        fs::write(&dead, b"half a table").unwrap();
        // A planted symlink with a temp name: neither followed nor removed.
        let victim = dir.path().join("victim");
        fs::write(&victim, b"keep").unwrap();
        let link = dir.path().join(format!("{TEMP_PREFIX}map.db.link1"));
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        // A live writer's temp file.
        let mut live = AtomicFile::new(&target).unwrap();
        live.file().write_all(b"in progress").unwrap();

        remove_stale_temps(&target);

        assert!(!dead.exists(), "leftover of a dead run kept");
        assert!(live.path().exists(), "live writer's temp file removed");
        assert!(fs::symlink_metadata(&link).is_ok());
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        let _ = live
            .commit(&Permissions {
                mode: 0o640,
                owner: None,
            })
            .unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"in progress");
    }
}

//! The operating-system calls ccert makes beyond `std`, each in one place.
//!
//! Most go through `rustix` (already in the dependency tree through
//! `tempfile`), whose safe wrappers need no `unsafe` here. What rustix does
//! not offer stays on `libc`, with its safety argument next to the call:
//! the user and group databases (`getpwnam`/`getgrnam` go through NSS, which
//! only the C library implements) and the POSIX `fcntl` record lock that
//! Postfix takes on LMDB tables (rustix offers only open-file-description
//! locks, a different lock owner than Postfix's `myflock`).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd as _;

/// The effective user id.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether ccert runs as root (effective uid 0).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The machine's host name, as `gethostname` returns it (the kernel's
/// node name; bytes that are not UTF-8 replaced), or `None` when it is empty.
pub fn hostname() -> Option<String> {
    let uname = rustix::system::uname();
    let name = uname.nodename().to_string_lossy();
    (!name.is_empty()).then(|| name.into_owned())
}

/// The uid and gid of the user `name` (`getpwnam`), if there is one.
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam takes a NUL-terminated name; the record it returns
    // is read at once, before any other call could overwrite it.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    // SAFETY: a non-null result of getpwnam points to a valid passwd record.
    Some(unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
}

/// The name of the user `uid` (`getpwuid`), if there is one.
pub fn user_name(uid: u32) -> Option<String> {
    // SAFETY: getpwuid has no preconditions; the record it returns is
    // read at once, before any other call could overwrite it.
    let pw = unsafe { libc::getpwuid(uid) };
    if pw.is_null() {
        return None;
    }
    // SAFETY: a non-null result points to a valid passwd record whose
    // pw_name is a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr((*pw).pw_name) };
    Some(name.to_string_lossy().into_owned())
}

/// The gid of the group `name` (`getgrnam`), if there is one.
pub fn group_id(name: &str) -> Option<u32> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getgrnam takes a NUL-terminated name; the record it returns
    // is read at once.
    let group = unsafe { libc::getgrnam(name.as_ptr()) };
    if group.is_null() {
        return None;
    }
    // SAFETY: a non-null result of getgrnam points to a valid group record.
    Some(unsafe { (*group).gr_gid })
}

/// Whether process `pid` exists (signal 0; a process of another user
/// counts, as the kernel then answers EPERM).
pub fn process_exists(pid: i32) -> bool {
    // 0 and negative numbers name process groups, not a process.
    if pid <= 0 {
        return false;
    }
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

/// The size of a memory page.
pub fn page_size() -> usize {
    rustix::param::page_size()
}

/// What a `flock` call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flock {
    /// Wait for a shared lock.
    Shared,
    /// Wait for an exclusive lock.
    Exclusive,
    /// Take an exclusive lock only if it is free at once.
    ExclusiveNow,
    /// Release the lock.
    Unlock,
}

/// BSD `flock` on `file`. EINTR is returned, not retried.
pub fn flock(file: &File, op: Flock) -> io::Result<()> {
    use rustix::fs::FlockOperation as Op;
    let op = match op {
        Flock::Shared => Op::LockShared,
        Flock::Exclusive => Op::LockExclusive,
        Flock::ExclusiveNow => Op::NonBlockingLockExclusive,
        Flock::Unlock => Op::Unlock,
    };
    rustix::fs::flock(file, op).map_err(io::Error::from)
}

/// A POSIX `fcntl` whole-file record lock (`F_SETLKW`), as Postfix's
/// `myflock(MYFLOCK_STYLE_FCNTL)`: `Some(true)` waits for a write lock,
/// `Some(false)` for a read lock, `None` releases it. EINTR is returned,
/// not retried.
pub fn fcntl_lock(file: &File, exclusive: Option<bool>) -> io::Result<()> {
    let lock_type = match exclusive {
        Some(true) => libc::F_WRLCK,
        Some(false) => libc::F_RDLCK,
        None => libc::F_UNLCK,
    };
    // SAFETY: an all-zero `flock` struct is valid; we set the fields we need.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = lock_type as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = 0;
    fl.l_len = 0; // the whole file
    // SAFETY: the descriptor is valid for the borrow of `file`, and `fl` is
    // an initialised flock struct that fcntl only reads for F_SETLKW.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLKW, &fl) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_the_c_library() {
        // SAFETY: geteuid has no preconditions.
        assert_eq!(euid(), unsafe { libc::geteuid() });
        assert!(process_exists(std::process::id() as i32));
        assert!(!process_exists(0) && !process_exists(-1));
        assert!(page_size().is_power_of_two());
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is writable for its length.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), 255) };
        assert_eq!(rc, 0);
        let end = buf.iter().position(|&b| b == 0).unwrap();
        assert_eq!(
            hostname().unwrap_or_default(),
            String::from_utf8_lossy(&buf[..end])
        );
        assert_eq!(user_ids("root"), Some((0, 0)));
        assert_eq!(group_id("root"), Some(0));
        assert_eq!(user_ids("no such user\n"), None);
    }

    #[test]
    fn locks_and_unlocks() {
        let file = tempfile::tempfile().unwrap();
        flock(&file, Flock::Exclusive).unwrap();
        flock(&file, Flock::Unlock).unwrap();
        fcntl_lock(&file, Some(true)).unwrap();
        fcntl_lock(&file, None).unwrap();
    }
}

//! A read-only memory map of a whole table file, for readers that look up
//! many keys (`query -`): a lookup then costs no system calls, as in
//! tinycdb and LMDB, which map their files too.
//!
//! Every access goes through [`Mapped::get`], which checks the range against
//! the length the file had when it was mapped. Tables are replaced by
//! rename (ccert, postmap), never rewritten in place, so the mapped file
//! keeps that length while it is open.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// A file mapped read-only; unmapped on drop.
pub struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Mapped {
    /// Maps the first `len` bytes of `file` (`len` > 0, at most its size).
    pub fn new(file: &File, len: usize) -> io::Result<Self> {
        // SAFETY: a fresh read-only mapping (PROT_READ) of a descriptor we
        // own; the kernel checks the arguments, and the result is checked for
        // MAP_FAILED. It is MAP_SHARED, as tinycdb and LMDB map their tables:
        // nothing is ever written through it, so a private mapping would read
        // the same page-cache pages; either kind would see a change made to
        // the file in place, which is why tables are only replaced by rename
        // (see the module doc) and reads are bounded by the mapped length.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Self { ptr, len })
    }

    /// The bytes `at..at + len`, or `None` when they are not all in the file.
    pub fn get(&self, at: u64, len: u64) -> Option<&[u8]> {
        let end = at.checked_add(len)?;
        if end > self.len as u64 {
            return None;
        }
        // SAFETY: at..end lies inside the mapping of `self.len` bytes, which
        // lives as long as `self`.
        Some(unsafe {
            std::slice::from_raw_parts(self.ptr.cast::<u8>().add(at as usize), len as usize)
        })
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: ptr and len are exactly what mmap returned and was given.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}

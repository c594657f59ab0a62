//! Early writeback for large tables.
//!
//! A table is fsynced before it replaces the old one. Asking the kernel to
//! start writing each finished chunk while the rest is still being built lets
//! the disk work in parallel with parsing, so the final fsync has little left
//! to wait for (on a million-entry map this hides most of the fsync time).

use std::fs::File;

/// Bytes written between two writeback requests.
pub const CHUNK: u64 = 8 << 20;

/// Starts (without waiting) writeback of `len` bytes at `offset` of `file`.
/// A hint only: failures are ignored, the final fsync still guarantees durability.
pub fn start(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
            return;
        };
        // SAFETY: the descriptor is valid for the lifetime of `file`;
        // sync_file_range only reads its arguments.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// Tracks how much of a sequentially written file has been handed to
/// writeback, requesting more every [`CHUNK`] bytes.
#[derive(Debug, Default)]
pub struct Tracker {
    started: u64,
}

impl Tracker {
    /// Call after the file reached `written` bytes.
    pub fn advance(&mut self, file: &File, written: u64) {
        if written >= self.started + CHUNK {
            start(file, self.started, written - self.started);
            self.started = written;
        }
    }
}

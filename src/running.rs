//! Whether a Postfix instance runs, to tell its administrator when a
//! replaced sqlite table is not yet in use.
//!
//! hash, lmdb and cdb tables need nothing: smtpd checks its file-based
//! tables before it accepts each connection and restarts when one was
//! replaced. A sqlite table is not among them (dict_sqlite keeps its
//! database open and registers nothing for that check; see the sqlite
//! backend), so a running smtpd answers from the old database, consistently
//! and without error, until it exits on its own: after `max_use` sessions
//! (default 100) or `max_idle` idle seconds (default 100). `postfix reload`
//! switches every smtpd at once, but it also restarts tlsmgr, and a TLS
//! handshake in progress then fails; so ccert never reloads by itself, it
//! says so and leaves the choice to the administrator.

use std::path::Path;

/// Whether the Postfix master whose queue directory is `queue_dir` runs:
/// its pid file (`pid/master.pid`, written by the master itself) names a
/// live process. Read-only and silent (`postfix status` would log a line
/// each time); works for any user, as the pid file is world-readable and
/// signal 0 to another user's process still tells that it exists.
pub fn postfix_running(queue_dir: &Path) -> bool {
    let pid_file = queue_dir.join("pid/master.pid");
    let Ok(text) = crate::fsutil::read_to_string_bounded(&pid_file, 4096) else {
        return false;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return false;
    };
    pid > 1 && crate::sys::process_exists(pid)
}

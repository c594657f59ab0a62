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
use std::process::{Command, Stdio};

/// Whether a Postfix master runs for `config_dir` (`postfix status` exits
/// 0). Only root may ask; for other users, or without Postfix, `false`.
pub fn postfix_running(config_dir: &Path) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return false;
    }
    Command::new("postfix")
        .arg("-c")
        .arg(config_dir)
        .arg("status")
        .env_remove("MAIL_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

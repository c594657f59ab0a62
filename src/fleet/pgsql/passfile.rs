//! libpq's password file (`~/.pgpass`, or the one a URI names with
//! `passfile=`): how `ccert db init` keeps a URI host's password out of the
//! URI, and how ccert reads it back as libpq does.
//!
//! Why a file: Postfix hands a URI `hosts` item to libpq as it is and
//! ignores the `.cf`'s `password =` for it (`plpgsql_connect_single()` in
//! `src/global/dict_pgsql.c` calls `PQconnectdb(host->name)` for a URI and
//! passes `dbname`, `user`, `password` only to `PQsetdbLogin()` for a plain
//! host), and it names the host as written in its warning when a connection
//! fails (`msg_warn("connect to pgsql server %s: …", host->hostname)`).
//! A password inside the URI thus reaches the mail log whenever the
//! database is unreachable; a `passfile=` path is all the log shows.
//!
//! Format (libpq's): one `hostname:port:database:username:password` line
//! per entry, `*` matching anything in the first four fields, `\:` and
//! `\\` for a colon or backslash inside a field, `#` lines are comments;
//! the first matching line wins. libpq ignores a file that the group or
//! others may read, so ccert refuses to use one too: what works for ccert
//! then works for Postfix.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// The most bytes read from a password file (a few lines are expected).
const MAX_BYTES: u64 = 64 * 1024;

/// The password file `db init` writes beside the `.cf` `cf` (`CF.pgpass`).
pub fn beside(cf: &Path) -> PathBuf {
    let mut name = cf.as_os_str().to_os_string();
    name.push(".pgpass");
    PathBuf::from(name)
}

/// One line for `user` with `password` on any host, port and database
/// (the URI names those).
pub fn line(user: &str, password: &str) -> String {
    format!("*:*:*:{}:{}\n", escape(user), escape(password))
}

fn escape(field: &str) -> String {
    field.replace('\\', "\\\\").replace(':', "\\:")
}

/// The fields of one line, unescaped; `None` for a line with fewer than five.
fn fields(line: &str) -> Option<[String; 5]> {
    let mut out: Vec<String> = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.last_mut()?.push(next);
                }
            }
            // The fifth field (the password) takes the rest of the line.
            ':' if out.len() < 5 => out.push(String::new()),
            c => out.last_mut()?.push(c),
        }
    }
    out.try_into().ok()
}

/// The password for `host`, `port`, `database`, `user` in the file
/// `path`, as libpq finds it: `Ok(None)` when the file does not exist or
/// no line matches, an error (naming the file, never its content) when it
/// cannot be read or the group or others may read it.
pub fn lookup(
    path: &Path,
    host: &str,
    port: u16,
    database: &str,
    user: &str,
) -> Result<Option<String>, String> {
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("password file {shown}: {e}")),
    };
    if !meta.is_file() {
        return Err(format!("password file {shown} is not a regular file"));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(format!(
            "password file {shown} may be read by its group or others (mode {:04o}), so libpq \
             (Postfix) ignores it; chmod 0600 {shown} (owned by the user Postfix runs as)",
            meta.mode() & 0o7777
        ));
    }
    let bytes = crate::fsutil::read_bounded(path, MAX_BYTES)
        .map_err(|e| format!("password file {shown}: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let port = port.to_string();
    let wanted = [host, port.as_str(), database, user];
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(f) = fields(line) else { continue };
        if f[..4]
            .iter()
            .zip(wanted)
            .all(|(field, want)| field == "*" || field == want)
        {
            return Ok(Some(f[4].clone()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_escape_and_read_back_as_libpq_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.pgpass");
        let text = format!(
            "# comment\ndb1:5432:mail:other:nope\n{}",
            line("post:fix", "p:w\\x y#z")
        );
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        assert_eq!(
            lookup(&path, "db1", 5432, "mail", "post:fix")
                .unwrap()
                .as_deref(),
            Some("p:w\\x y#z")
        );
        assert_eq!(
            lookup(&path, "db1", 5432, "mail", "other")
                .unwrap()
                .as_deref(),
            Some("nope")
        );
        assert_eq!(lookup(&path, "db2", 5432, "mail", "other").unwrap(), None);
        assert_eq!(
            lookup(&dir.path().join("missing"), "h", 1, "d", "u").unwrap(),
            None
        );
        // Readable by the group: libpq ignores it, ccert says so (without the content).
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o640))
            .unwrap();
        let err = lookup(&path, "db1", 5432, "mail", "other").unwrap_err();
        assert!(err.contains("chmod 0600") && !err.contains("nope"), "{err}");
        assert_eq!(
            beside(Path::new("/etc/postfix/c.pgsql.cf")),
            Path::new("/etc/postfix/c.pgsql.cf.pgpass")
        );
    }
}

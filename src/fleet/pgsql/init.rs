//! `ccert db init`: create (or migrate) the schema, then write the `.cf`
//! file Postfix and ccert share. The file is written only after the
//! database accepted the connection and the schema, atomically, mode 0640
//! root:postfix (it holds a password), and an existing one is replaced only
//! when asked to.

use std::path::Path;

use super::cf::PgsqlCf;
use super::{connect, schema};
use crate::fleet::StoreError;
use crate::fsutil::{Permissions, write_atomic};

/// What to connect to when writing a new `.cf`.
#[derive(Clone)]
pub struct NewCf {
    /// `hosts` items as pgsql_table(5) takes them.
    pub hosts: Vec<String>,
    /// `dbname`.
    pub dbname: Option<String>,
    /// `user`.
    pub user: Option<String>,
    /// `password` (never printed).
    pub password: Option<String>,
}

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// Schema version found before (0: none).
    pub before: i32,
    /// Schema version now.
    pub after: i32,
    /// Whether the `.cf` was (re)written.
    pub wrote_cf: bool,
}

/// The query Postfix runs: Postfix folds the fingerprint to lower case and
/// escapes it before it replaces `%s`, inside the quotes written here.
pub const QUERY: &str = "SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s'";

/// The `.cf` text for `new`.
pub fn cf_text(new: &NewCf) -> String {
    let mut out = String::from(
        "# pgsql_table(5) for relay_clientcerts, written by `ccert db init`.\n\
         # Postfix and ccert both read it; it holds a password: keep it 0640 root:postfix.\n",
    );
    out.push_str(&format!("hosts = {}\n", new.hosts.join(", ")));
    if let Some(u) = &new.user {
        out.push_str(&format!("user = {u}\n"));
    }
    if let Some(p) = &new.password {
        out.push_str(&format!("password = {p}\n"));
    }
    if let Some(d) = &new.dbname {
        out.push_str(&format!("dbname = {d}\n"));
    }
    out.push_str(&format!(
        "query = {QUERY}\n# One certificate, one name: more rows would be a temporary error.\n\
         expansion_limit = 1\n"
    ));
    out
}

fn refused(cf: &Path, message: String) -> StoreError {
    StoreError::Refused {
        cf: cf.to_path_buf(),
        message,
    }
}

/// Runs `db init` for `cf_path`: with `new`, writes a new `.cf` (refusing
/// to replace one unless `force`); without, uses the existing file.
pub fn init(cf_path: &Path, new: Option<&NewCf>, force: bool) -> Result<InitReport, StoreError> {
    let exists = cf_path.symlink_metadata().is_ok();
    let (cf, text) = match new {
        Some(_) if exists && !force => {
            return Err(refused(
                cf_path,
                "already exists; nothing changed. Run `ccert db init` without --hosts, \
                 --dbname and --user to use it, or add --force to replace it"
                    .into(),
            ));
        }
        Some(new) => {
            if let Some(p) = &new.password
                && (p.trim() != p || p.contains(['\n', '\r']) || p.is_empty())
            {
                return Err(refused(
                    cf_path,
                    "the password cannot start or end with white space, hold a line break \
                     or be empty in a pgsql_table(5) file; choose another"
                        .into(),
                ));
            }
            let text = cf_text(new);
            (PgsqlCf::parse(cf_path, &text)?, Some(text))
        }
        None if !exists => {
            return Err(refused(
                cf_path,
                "does not exist; give --hosts, --dbname and --user (and a password) to \
                 create it"
                    .into(),
            ));
        }
        None => (PgsqlCf::read(cf_path)?, None),
    };
    let mut client = connect::connect(&cf).map_err(|m| StoreError::Database {
        cf: cf_path.to_path_buf(),
        message: m,
    })?;
    let before = schema::create_or_migrate(&mut client)
        .map_err(|e| StoreError::Database {
            cf: cf_path.to_path_buf(),
            message: connect::explain(&e),
        })?
        .map_err(|m| refused(cf_path, m))?;
    let wrote_cf = if let Some(text) = text {
        write_atomic(cf_path, text.as_bytes(), &cf_permissions()).map_err(|e| {
            StoreError::Database {
                cf: cf_path.to_path_buf(),
                message: format!("cannot write it: {e}"),
            }
        })?;
        true
    } else {
        false
    };
    Ok(InitReport {
        before,
        after: schema::CURRENT,
        wrote_cf,
    })
}

/// 0640 root:postfix (smtpd and proxymap read it as the postfix group),
/// or the running user's own group when there is no postfix group or
/// ccert does not run as root.
pub fn cf_permissions() -> Permissions {
    let root = crate::sys::is_root();
    let owner = root.then(|| (0, postfix_gid().unwrap_or(0)));
    Permissions { mode: 0o640, owner }
}

/// The gid of the `postfix` group, if there is one.
pub fn postfix_gid() -> Option<u32> {
    crate::sys::group_id("postfix")
}

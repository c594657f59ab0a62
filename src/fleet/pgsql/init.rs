//! `ccert db init`: create (or migrate) the schema, then write the `.cf`
//! file Postfix and ccert share. The file is written only after the
//! database accepted the connection and the schema, atomically, mode 0640
//! root:postfix (it holds a password), and an existing one is replaced only
//! when asked to.

use std::path::{Path, PathBuf};

use super::cf::{HostSpec, PgsqlCf};
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
    /// The revocations `.cf` written (see [`revoked_cf`]).
    pub revoked_cf: Option<PathBuf>,
    /// Whether the `.cf` was (re)written.
    pub wrote_cf: bool,
    /// Hosts reached without a verified TLS certificate ([`PgsqlCf::transport_warnings`]).
    pub warnings: Vec<String>,
}

/// The query Postfix runs: Postfix folds the fingerprint to lower case and
/// escapes it before it replaces `%s`, inside the quotes written here.
pub const QUERY: &str = "SELECT name FROM ccert_clientcerts WHERE fingerprint = '%s'";

/// The query of the revocations `.cf` (`check_ccert_access` before
/// `permit_tls_clientcerts`): an access(5) action for a revoked fingerprint.
pub const REVOKED_QUERY: &str = "SELECT 'REJECT client certificate revoked' || coalesce(': ' || reason, '') FROM ccert_revocations WHERE fingerprint = '%s'";

/// Where `db init` writes the revocations `.cf` for the `.cf` `cf`: beside
/// it, `-revoked` before the first dot (`clientcerts.pgsql.cf` →
/// `clientcerts-revoked.pgsql.cf`).
pub fn revoked_cf(cf: &Path) -> PathBuf {
    let name = cf
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "clientcerts.cf".into());
    let name = match name.split_once('.') {
        Some((stem, rest)) => format!("{stem}-revoked.{rest}"),
        None => format!("{name}-revoked.cf"),
    };
    cf.with_file_name(name)
}

/// The revocations `.cf` text from a lookup `.cf` text: the same
/// connection (hosts, user, password file), the revocations query.
fn revoked_text(text: &str) -> String {
    let mut out = String::from(
        "# pgsql_table(5) for the check_ccert_access deny table before permit_tls_clientcerts:\n\
         # revoked certificates, written by `ccert db init`. Use it as\n\
         #   check_ccert_access pgsql:/etc/postfix/THIS-FILE, permit_tls_clientcerts\n",
    );
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with("query = ") {
            out.push_str(&format!("query = {REVOKED_QUERY}\n"));
        } else if line.starts_with("expansion_limit") {
            out.push_str("# One fingerprint, one action.\nexpansion_limit = 1\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Checks what `db init` is about to write into a `.cf`: each value ends
/// up on a `name = value` line, so a line break (or any control character)
/// would add settings of its own, and white space or a comma inside a
/// `hosts` item splits it. Messages never repeat a `hosts` item or the
/// password.
pub fn check_new(new: &NewCf) -> Result<(), String> {
    let plain = |what: &str, v: &str| {
        if v.chars().any(char::is_control) {
            Err(format!(
                "{what} holds a line break or another control character, which would end \
                 its line in the pgsql_table(5) file; give it without"
            ))
        } else if v.trim() != v || v.is_empty() {
            Err(format!(
                "{what} is empty or starts or ends with white space, which Postfix drops"
            ))
        } else {
            Ok(())
        }
    };
    if let Some(u) = &new.user {
        plain("--user", u)?;
    }
    if let Some(d) = &new.dbname {
        plain("--dbname", d)?;
    }
    for (i, h) in new.hosts.iter().enumerate() {
        plain(&format!("--hosts item {}", i + 1), h)?;
        if h.contains(char::is_whitespace) {
            return Err(format!(
                "--hosts item {} holds white space: pgsql_table(5) splits hosts at white \
                 space and commas; percent-encode them in a URI (%20, %2C)",
                i + 1
            ));
        }
        HostSpec::parse(h).map_err(|m| format!("--hosts item {}: {m}", i + 1))?;
    }
    if let Some(p) = &new.password
        && (p.trim() != p || p.chars().any(char::is_control) || p.is_empty())
    {
        return Err(
            "the password cannot start or end with white space, hold a line break or \
                    another control character, or be empty in a pgsql_table(5) file; choose \
                    another"
                .into(),
        );
    }
    Ok(())
}

/// The `.cf` text for `new` (checked with [`check_new`]). Postfix hands a
/// URI item to libpq as it is and ignores the file's user, password and
/// dbname for it, so user and database go into each URI that lacks them
/// (percent-encoded), and the password into the password file `passfile`
/// that each URI then names (`passfile=`): Postfix writes a URI as it is
/// into the mail log when a connection fails ([`super::passfile`]). With
/// `passfile` `None` the password goes into the URIs instead: only for the
/// connection `db init` makes before anything is written, never into a
/// file. The `user`/`password` lines are written only when some item is
/// not a URI.
pub fn cf_text(new: &NewCf, passfile: Option<&Path>) -> Result<String, String> {
    let mut out = String::from(
        "# pgsql_table(5) for relay_clientcerts, written by `ccert db init`.\n\
         # Postfix and ccert both read it; it holds a password: keep it 0640 root:postfix.\n",
    );
    let mut hosts = Vec::new();
    let mut all_uris = !new.hosts.is_empty();
    for h in &new.hosts {
        if super::uri::scheme_of(h).is_some() {
            if super::uri::ConnUri::parse(h)?.password.is_some() {
                return Err(
                    "a --hosts URI holds a password: Postfix writes the URI as it is \
                            into the mail log whenever it cannot connect. Give the URI without \
                            it and the password with --password-file (or PGPASSWORD); db init \
                            writes it to a password file the URI names"
                        .into(),
                );
            }
            let mut uri = super::uri::with_credentials(
                h,
                new.user.as_deref(),
                if passfile.is_some() {
                    None
                } else {
                    new.password.as_deref()
                },
                new.dbname.as_deref(),
            )?;
            // libpq's connect_timeout bounds Postfix's whole connection
            // (startup and authentication too); without it an smtpd waits
            // forever on a server that accepts and never answers.
            if super::uri::ConnUri::parse(&uri)?.connect_timeout.is_none() {
                uri.push(if uri.contains('?') { '&' } else { '?' });
                uri.push_str(&format!(
                    "connect_timeout={}",
                    super::connect::CONNECT_TIMEOUT.as_secs()
                ));
            }
            if let (Some(path), Some(_)) = (passfile, &new.password) {
                uri = super::uri::with_passfile(&uri, path);
            }
            hosts.push(uri);
        } else {
            all_uris = false;
            hosts.push(h.clone());
        }
    }
    out.push_str(&format!("hosts = {}\n", hosts.join(", ")));
    if !all_uris {
        if let Some(u) = &new.user {
            out.push_str(&format!("user = {u}\n"));
        }
        if let Some(p) = &new.password {
            out.push_str(&format!("password = {p}\n"));
        }
    }
    // Postfix requires dbname even when every host is a URI that names the
    // database (3.7 stops with "bad string length 0 < 1: dbname"); libpq
    // then takes the URI's.
    let dbname = new.dbname.clone().or_else(|| {
        new.hosts
            .iter()
            .find_map(|h| super::uri::ConnUri::parse(h).ok().and_then(|u| u.dbname))
    });
    if let Some(d) = &dbname {
        if d.chars().any(char::is_control) || d.trim() != d {
            return Err(
                "the database name in the URI holds a control character or white \
                        space at an end once decoded, which would break its line in the \
                        pgsql_table(5) file"
                    .into(),
            );
        }
        out.push_str(&format!("dbname = {d}\n"));
    }
    out.push_str(&format!(
        "query = {QUERY}\n# One certificate, one name: more rows would be a temporary error.\n\
         expansion_limit = 1\n"
    ));
    Ok(out)
}

fn refused(cf: &Path, message: String) -> StoreError {
    StoreError::Refused {
        cf: cf.to_path_buf(),
        message,
    }
}

/// Postfix's own read-only database user (`db init --lookup-user`):
/// smtpd and proxymap only look names up, so the `.cf` they read names a
/// role that can SELECT from ccert_clientcerts and nothing else (and from
/// ccert_state, so `ccert list` and `ccert sync` can read through it too).
#[derive(Clone)]
pub struct LookupRole {
    /// The role's name.
    pub user: String,
    /// Its password: given, or (for a role ccert creates) random.
    pub password: Option<String>,
    /// The `.cf` written for it (relay_clientcerts names this one).
    pub cf: PathBuf,
}

/// `"name"` as an SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The statements that give `user` what Postfix's lookups need and no more
/// (for `--print-sql`: a DBA runs them, then sets the password with psql's
/// `\password`; the password itself is never printed).
pub fn lookup_role_sql(user: &str) -> String {
    let role = quote_ident(user);
    format!(
        "CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;\n\
         GRANT USAGE ON SCHEMA public TO {role};\n\
         GRANT SELECT ON ccert_clientcerts, ccert_state, ccert_revocations TO {role};\n\
         -- then, in psql: \\password {user}\n"
    )
}

/// A random password for a role ccert creates: 32 hex digits from the
/// operating system's generator.
fn random_password() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates the lookup role (or, when it exists, checks that a password was
/// given for it), grants it SELECT on ccert_clientcerts, and returns the
/// text of its `.cf` (the admin `.cf`'s hosts and dbname with the role's
/// user; its password on the `password =` line for plain hosts, and in the
/// password file beside it that its URIs name) and that file's text.
fn create_lookup_role(
    client: &mut postgres::Client,
    admin: &PgsqlCf,
    role: &LookupRole,
) -> Result<(String, String), String> {
    if role.user.is_empty()
        || role
            .user
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(
            "--lookup-user must be a name without white space or control characters".into(),
        );
    }
    if let Some(p) = &role.password
        && (p.is_empty() || p.trim() != p || p.chars().any(char::is_control))
    {
        return Err(
            "the lookup password cannot be empty, start or end with white space or hold \
                    control characters"
                .into(),
        );
    }
    let mut tx = client.transaction().map_err(|e| connect::explain(&e))?;
    let exists = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
            &[&role.user],
        )
        .map_err(|e| connect::explain(&e))?
        .get::<_, bool>(0);
    let password = match (&role.password, exists) {
        (Some(p), _) => p.clone(),
        (None, false) => random_password(),
        (None, true) => {
            return Err(format!(
                "the role {} exists already; give its password with --lookup-password-file \
                 (or copy its .cf from the server that created it)",
                crate::cert::name::terminal_safe(&role.user)
            ));
        }
    };
    let ident = quote_ident(&role.user);
    let literal = format!("'{}'", password.replace('\'', "''"));
    let create = if exists {
        format!("ALTER ROLE {ident} LOGIN PASSWORD {literal}")
    } else {
        format!("CREATE ROLE {ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {literal}")
    };
    let grants = format!(
        "GRANT USAGE ON SCHEMA public TO {ident}; GRANT SELECT ON ccert_clientcerts, \
         ccert_state, ccert_revocations TO {ident}; REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON \
         ccert_clientcerts, ccert_state, ccert_revocations FROM {ident}"
    );
    let hint = |e: postgres::Error| {
        let why = connect::explain(&e);
        if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
            format!(
                "{why}; the .cf's user needs CREATEROLE to create the lookup role. Or let a \
                 database administrator run the statements `ccert db init … --lookup-user {} \
                 --print-sql` prints",
                crate::cert::name::terminal_safe(&role.user)
            )
        } else {
            why
        }
    };
    tx.batch_execute(&create).map_err(hint)?;
    tx.batch_execute(&grants).map_err(hint)?;
    tx.commit().map_err(|e| connect::explain(&e))?;
    let mut hosts = Vec::new();
    for h in &admin.hosts {
        hosts.push(match h {
            HostSpec::Uri(_) => {
                let raw = admin
                    .get("hosts")
                    .unwrap_or_default()
                    .split([',', ' ', '\t'])
                    .filter(|s| !s.is_empty())
                    .nth(hosts.len())
                    .unwrap_or_default()
                    .to_string();
                super::uri::with_other_credentials(
                    &raw,
                    &role.user,
                    &super::passfile::beside(&role.cf),
                )?
            }
            HostSpec::Unix(dir) => format!("unix:{}", dir.display()),
            other => other.shown(),
        });
    }
    let mut text = String::from(
        "# pgsql_table(5) for relay_clientcerts: Postfix's read-only lookups, written by\n\
         # `ccert db init --lookup-user`. ccert edits through the other .cf (--map).\n",
    );
    text.push_str(&format!("hosts = {}\n", hosts.join(", ")));
    text.push_str(&format!("user = {}\npassword = {password}\n", role.user));
    if let Some(d) = &admin.dbname {
        text.push_str(&format!("dbname = {d}\n"));
    }
    text.push_str(&format!(
        "query = {QUERY}\n# One certificate, one name: more rows would be a temporary error.\n\
         expansion_limit = 1\n"
    ));
    Ok((text, super::passfile::line(&role.user, &password)))
}

/// Runs `db init` for `cf_path`: with `new`, writes a new `.cf` (refusing
/// to replace one unless `force`); without, uses the existing file. With
/// `lookup`, also creates Postfix's read-only role and writes its `.cf`.
pub fn init(
    cf_path: &Path,
    new: Option<&NewCf>,
    force: bool,
    lookup: Option<&LookupRole>,
) -> Result<InitReport, StoreError> {
    if let Some(role) = lookup
        && role.cf.symlink_metadata().is_ok()
        && !force
    {
        return Err(refused(
            &role.cf,
            "already exists; nothing changed. Add --force to replace it".into(),
        ));
    }
    let exists = cf_path.symlink_metadata().is_ok();
    let pgpass = super::passfile::beside(cf_path);
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
            check_new(new).map_err(|m| refused(cf_path, format!("{m}; nothing changed")))?;
            let text = cf_text(new, Some(&pgpass)).map_err(|m| refused(cf_path, m))?;
            // Connected to with the password in memory: the password file
            // is written only after the database accepted it.
            let connecting = cf_text(new, None).map_err(|m| refused(cf_path, m))?;
            (PgsqlCf::parse(cf_path, &connecting)?, Some(text))
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
    schema::check_shape(&mut client)
        .map_err(|e| StoreError::Database {
            cf: cf_path.to_path_buf(),
            message: connect::explain(&e),
        })?
        .map_err(|m| refused(cf_path, m))?;
    let lookup_text =
        match lookup {
            Some(role) => Some(create_lookup_role(&mut client, &cf, role).map_err(|m| {
                StoreError::Database {
                    cf: cf_path.to_path_buf(),
                    message: m,
                }
            })?),
            None => None,
        };
    // The revocations .cf goes with the .cf Postfix reads: the lookup
    // role's when there is one, else a new admin .cf.
    let revoked = match (&lookup, &lookup_text, &text) {
        (Some(role), Some((t, _)), _) => Some((revoked_cf(&role.cf), revoked_text(t))),
        (None, _, Some(t)) => Some((revoked_cf(cf_path), revoked_text(t))),
        _ => None,
    };
    if let Some((path, _)) = &revoked
        && path.symlink_metadata().is_ok()
        && !force
    {
        return Err(refused(
            path,
            "already exists; nothing changed. Add --force to replace it".into(),
        ));
    }
    let wrote_cf = if let Some(text) = text {
        // The password file first, so the .cf never names a missing one.
        if let Some(new) = new
            && let Some(password) = &new.password
            && new.hosts.iter().any(|h| super::uri::scheme_of(h).is_some())
        {
            let user = new.user.as_deref().unwrap_or("*");
            write_pgpass(&pgpass, &super::passfile::line(user, password))?;
        }
        write_atomic(cf_path, text.as_bytes(), &cf_permissions()).map_err(|e| {
            StoreError::Database {
                cf: cf_path.to_path_buf(),
                message: format!("cannot write it: {}", crate::report::describe_io(&e)),
            }
        })?;
        true
    } else {
        false
    };
    if let (Some(role), Some((text, pgpass))) = (lookup, lookup_text) {
        write_pgpass(&super::passfile::beside(&role.cf), &pgpass)?;
        write_atomic(&role.cf, text.as_bytes(), &cf_permissions()).map_err(|e| {
            StoreError::Database {
                cf: role.cf.clone(),
                message: format!("cannot write it: {}", crate::report::describe_io(&e)),
            }
        })?;
    }
    if let Some((path, text)) = &revoked {
        write_atomic(path, text.as_bytes(), &cf_permissions()).map_err(|e| {
            StoreError::Database {
                cf: path.clone(),
                message: format!("cannot write it: {}", crate::report::describe_io(&e)),
            }
        })?;
    }
    Ok(InitReport {
        revoked_cf: revoked.map(|(p, _)| p),
        before,
        after: schema::CURRENT,
        wrote_cf,
        warnings: cf.transport_warnings(),
    })
}

/// Writes a password file: 0600 and owned by the postfix user when ccert
/// runs as root (libpq, inside smtpd and proxymap, reads it as that user
/// and ignores a file its group or others may read; root reads it anyway).
fn write_pgpass(path: &Path, text: &str) -> Result<(), StoreError> {
    let owner = if crate::sys::is_root() {
        crate::sys::user_ids("postfix")
    } else {
        None
    };
    let perms = Permissions { mode: 0o600, owner };
    write_atomic(path, text.as_bytes(), &perms).map_err(|e| StoreError::Database {
        cf: path.to_path_buf(),
        message: format!("cannot write it: {e}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn new(hosts: &[&str], user: Option<&str>, dbname: Option<&str>) -> NewCf {
        NewCf {
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            dbname: dbname.map(str::to_string),
            user: user.map(str::to_string),
            password: Some("p/w?x,y z".into()),
        }
    }

    #[test]
    fn uri_hosts_carry_the_credentials_and_the_file_keeps_dbname() {
        let uri = new(
            &["postgresql://db.example.com/mail?sslmode=verify-full"],
            Some("postfix"),
            None,
        );
        let text = cf_text(&uri, Some(Path::new("/etc/postfix/c.cf.pgpass"))).unwrap();
        assert!(
            text.contains(
                "hosts = postgresql://postfix@db.example.com/mail?\
                 sslmode=verify-full&connect_timeout=10&passfile=/etc/postfix/c.cf.pgpass\n"
            ),
            "{text}"
        );
        assert!(!text.contains("p%2Fw") && !text.contains("p/w"), "{text}");
        // Only for db init's own first connection, in memory.
        let connecting = cf_text(&uri, None).unwrap();
        assert!(connecting.contains(
            "hosts = postgresql://postfix:p%2Fw%3Fx%2Cy%20z@db.example.com/mail?\
             sslmode=verify-full&connect_timeout=10\n"
        ));
        // A password written into a --hosts URI is refused, never shown.
        let err = cf_text(
            &new(&["postgresql://u:s3cr3t@db/mail"], None, None),
            Some(Path::new("/p")),
        )
        .unwrap_err();
        assert!(
            err.contains("--password-file") && !err.contains("s3cr3t"),
            "{err}"
        );
        assert!(text.contains("\ndbname = mail\n"), "{text}");
        assert!(!text.contains("\nuser ="), "{text}");
        assert!(!text.contains("\npassword ="), "{text}");
        // A plain host keeps the settings as lines.
        let text = cf_text(&new(&["db1"], Some("postfix"), Some("mail")), None).unwrap();
        assert!(text.contains("user = postfix\npassword = p/w?x,y z\ndbname = mail\n"));
    }

    #[test]
    fn nothing_can_add_a_line_to_the_file() {
        for bad in [
            new(&["db1"], Some("u\nquery = x"), Some("mail")),
            new(&["db1"], Some("u"), Some("mail\rx")),
            new(&["db1\nuser = x"], Some("u"), Some("mail")),
            new(&["db1 db2"], Some("u"), Some("mail")),
        ] {
            assert!(check_new(&bad).is_err());
        }
        let hidden = new(&["postgresql://h/mail%0Aquery%3Dx"], Some("u"), None);
        assert!(check_new(&hidden).is_ok() && cf_text(&hidden, None).is_err());
    }
}

//! What `ccert doctor` checks for `pgsql:` and `proxy:pgsql:` tables in
//! relay_clientcerts: the `.cf` file (mode, query, expansion_limit), the
//! connection, the keys' case, proxy_read_maps, and what happens while the
//! database is down.

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use postgres::GenericClient;

use crate::doctor::{Finding, Severity};
use crate::fleet::pgsql::cf::{HostSpec, PgsqlCf};
use crate::fleet::pgsql::connect;
use crate::postfix::PostfixConfig;

fn finding(
    severity: Severity,
    file: &Path,
    line: Option<usize>,
    message: String,
    fix: Option<String>,
) -> Finding {
    Finding {
        severity,
        file: Some(file.display().to_string()),
        line,
        service: None,
        message,
        fix,
        relay: None,
    }
}

/// Findings for every pgsql table of relay_clientcerts.
pub fn audit(cfg: &PostfixConfig) -> Vec<Finding> {
    let value = cfg.get("relay_clientcerts").unwrap_or_default();
    let items: Vec<&str> = value
        .split([',', ' ', '\t', '\n'])
        .filter(|s| !s.is_empty())
        .collect();
    let mut out = Vec::new();
    let has_local = items
        .iter()
        .any(|i| crate::fleet::store_config(i).is_none());
    for item in &items {
        let Some(cf_path) = crate::fleet::store_config(item) else {
            continue;
        };
        if item.starts_with("proxy:") {
            check_proxy(cfg, item, &mut out);
        }
        check_cf(&cf_path, has_local, item.starts_with("proxy:"), &mut out);
        check_postfix_waits(cfg, &cf_path, &mut out);
        check_revocations_enforced(cfg, &cf_path, &mut out);
    }
    out
}

/// The list has revocation rows (`ccert revoke`) but a service that admits
/// certificates consults no check_ccert_access deny table before the
/// permit (neither the revocations `.cf` nor a local deny table filled by
/// `ccert sync`): there a revoked certificate relays from any stale copy
/// of the list. Read only, in a read-only transaction; a database that
/// cannot be read is check_cf's finding, not this one's.
fn check_revocations_enforced(cfg: &PostfixConfig, cf_path: &Path, out: &mut Vec<Finding>) {
    let targets = crate::revocation::targets(cfg, cf_path);
    let missing: Vec<&crate::revocation::Target> =
        targets.iter().filter(|t| t.walk.deny.is_empty()).collect();
    if missing.is_empty() {
        return;
    }
    let Ok(cf) = PgsqlCf::read(cf_path) else {
        return;
    };
    let Ok(mut client) = connect::connect(&cf) else {
        return;
    };
    let Ok(mut tx) = client.build_transaction().read_only(true).start() else {
        return;
    };
    let count: i64 = match tx.query_one(
        "SELECT CASE WHEN to_regclass('ccert_revocations') IS NULL THEN 0 \
         ELSE (SELECT count(*) FROM ccert_revocations) END",
        &[],
    ) {
        Ok(row) => row.try_get(0).unwrap_or(0),
        Err(_) => return,
    };
    if count == 0 {
        return;
    }
    let revoked_cf = crate::fleet::pgsql::init::revoked_cf(cf_path);
    let services: Vec<&str> = missing
        .iter()
        .map(|t| t.service.as_deref().unwrap_or("main.cf"))
        .collect();
    out.push(finding(
        Severity::Warning,
        cf_path,
        None,
        format!(
            "the list has {count} revoked fingerprint(s) (`ccert revoke`), but {} consult{} no \
             check_ccert_access deny table before permit_tls_clientcerts: a revoked certificate \
             still relays here wherever a stale copy of the list names it",
            services.join(", "),
            if services.len() == 1 { "s" } else { "" }
        ),
        Some(
            missing
                .first()
                .map(|t| t.fix(&format!("pgsql:{}", revoked_cf.display())))
                .unwrap_or_default()
                + " (the revocations .cf `ccert db init` writes; a sync server can use a local \
                   deny table that `ccert sync` fills instead)",
        ),
    ));
}

/// How Postfix itself (libpq inside smtpd or proxymap) connects to the
/// `.cf`'s hosts, which ccert's own deadlines do not cover:
/// - a plain host item gets no connect timeout (Postfix sets none, and its
///   daemons see PGCONNECT_TIMEOUT only through import_environment): a
///   server that accepts and never answers holds every lookup (postmap 3.7
///   waited past 25 s; with PGCONNECT_TIMEOUT=2 it gave up after 5 s);
/// - a URI without connect_timeout the same;
/// - Postfix names a URI host in its connection warnings as written, so a
///   password inside it reaches the mail log whenever a connection fails.
fn check_postfix_waits(cfg: &PostfixConfig, cf_path: &Path, out: &mut Vec<Finding>) {
    let Ok(cf) = PgsqlCf::read(cf_path) else {
        return;
    };
    let imported = cfg
        .get("import_environment")
        .unwrap_or_default()
        .split([',', ' ', '\t', '\n'])
        .any(|v| v.starts_with("PGCONNECT_TIMEOUT="));
    let count = cf.hosts.len();
    for (i, host) in cf.hosts.iter().enumerate() {
        let unbounded = match host {
            HostSpec::Uri(uri) => uri.connect_timeout.is_none() && !imported,
            HostSpec::Inet { .. } => !imported,
            HostSpec::Unix(_) => false,
        };
        if unbounded {
            out.push(finding(
                Severity::Warning,
                cf_path,
                cf.line_of("hosts"),
                format!(
                    "hosts item {} of {count} ({}): Postfix connects to it without a timeout; a \
                     database server that accepts connections and never answers stalls every \
                     lookup",
                    i + 1,
                    host.shown()
                ),
                Some(match host {
                    HostSpec::Uri(_) => "add connect_timeout=10 to the URI".to_string(),
                    _ => "postconf -e 'import_environment = $import_environment \
                          PGCONNECT_TIMEOUT=10' && postfix reload"
                        .to_string(),
                }),
            ));
        }
        if let HostSpec::Uri(uri) = host
            && uri.password.is_some()
        {
            out.push(finding(
                Severity::Note,
                cf_path,
                cf.line_of("hosts"),
                format!(
                    "hosts item {} of {count} holds the password in its URI: Postfix writes the \
                     URI as it is, password included, into its warning when a connection to it \
                     fails, so the mail log then holds the password",
                    i + 1
                ),
                Some(format!(
                    "move the password into a password file the URI names: ccert db init \
                     pgsql:{} --hosts '<the URI without the password>' --user USER \
                     --password-file FILE --force (writes passfile=…{} into the URI and the \
                     password into that file, 0600 postfix)",
                    cf_path.display(),
                    crate::fleet::pgsql::passfile::beside(cf_path).display()
                )),
            ));
        }
        if let HostSpec::Uri(uri) = host
            && uri.password.is_none()
            && let Some(file) = &uri.passfile
        {
            check_passfile(Path::new(file), i + 1, count, cf_path, &cf, out);
        }
    }
}

/// A URI's `passfile=` must be a regular file that Postfix's libpq reads:
/// owned by the postfix user and readable by nobody else (libpq ignores a
/// file its group or others may read). Otherwise the connection has no
/// password and every lookup fails with a temporary error.
fn check_passfile(
    file: &Path,
    item: usize,
    count: usize,
    cf_path: &Path,
    cf: &PgsqlCf,
    out: &mut Vec<Finding>,
) {
    let fix = Some(format!(
        "chown postfix: {0} && chmod 0600 {0}",
        file.display()
    ));
    let problem = match std::fs::metadata(file) {
        Err(e) => Some(format!(
            "cannot be read ({})",
            crate::report::describe_io(&e)
        )),
        Ok(meta) if !meta.is_file() => Some("is not a regular file".to_string()),
        Ok(meta) if meta.mode() & 0o077 != 0 => Some(format!(
            "may be read by its group or others (mode {:04o}), so libpq ignores it",
            meta.mode() & 0o7777
        )),
        Ok(meta) => match postfix_ids() {
            Some((uid, _)) if meta.uid() != uid => Some(format!(
                "is owned by uid {}, not by the postfix user, so smtpd and proxymap cannot \
                 read it",
                meta.uid()
            )),
            _ => None,
        },
    };
    if let Some(problem) = problem {
        out.push(finding(
            Severity::Error,
            cf_path,
            cf.line_of("hosts"),
            format!(
                "hosts item {item} of {count} takes its password from {}, which {problem}: \
                 Postfix connects without a password and every lookup fails (451 4.3.0)",
                file.display()
            ),
            fix,
        ));
    }
}

fn check_proxy(cfg: &PostfixConfig, item: &str, out: &mut Vec<Finding>) {
    let maps = cfg.get("proxy_read_maps").unwrap_or_default();
    let listed = maps.split([',', ' ', '\t', '\n']).any(|m| m == item);
    if !listed {
        out.push(finding(
            Severity::Error,
            &cfg.main_cf_path(),
            cfg.main_cf_line("relay_clientcerts"),
            format!(
                "relay_clientcerts uses {item}, but proxy_read_maps does not list it \
                 (its default does not include $relay_clientcerts): proxymap refuses the \
                 lookup and smtpd answers 451 temporary failure"
            ),
            Some("postconf -e 'proxy_read_maps = $proxy_read_maps $relay_clientcerts' && postfix reload".to_string()),
        ));
    }
}

fn check_cf(cf_path: &Path, has_local: bool, proxied: bool, out: &mut Vec<Finding>) {
    let cf = match PgsqlCf::read(cf_path) {
        Ok(cf) => cf,
        Err(e) => {
            out.push(finding(
                Severity::Error,
                cf_path,
                None,
                crate::report::chain_line(&e),
                Some(format!(
                    "create it with: ccert db init pgsql:{} --hosts HOST --dbname DB --user USER",
                    cf_path.display()
                )),
            ));
            return;
        }
    };
    if let Ok(meta) = std::fs::metadata(cf_path) {
        let mode = meta.mode() & 0o777;
        if mode & 0o007 != 0 && cf.password.is_some() {
            out.push(finding(
                Severity::Error,
                cf_path,
                cf.line_of("password"),
                format!(
                    "holds a database password but is readable by every user (mode {mode:04o})"
                ),
                Some(format!(
                    "chown root:postfix {0} && chmod 0640 {0}",
                    cf_path.display()
                )),
            ));
        }
    }
    for host in &cf.hosts {
        if let crate::fleet::pgsql::cf::HostSpec::Uri(uri) = host
            && uri.redacted().starts_with("postgres://")
        {
            out.push(finding(
                Severity::Warning,
                cf_path,
                cf.line_of("hosts"),
                format!(
                    "hosts item {} is a URI only for Postfix 3.10 and later; Postfix 3.7 to 3.9 \
                     take only postgresql: URIs and would try it as a host name",
                    uri.redacted()
                ),
                Some("write postgresql:// instead of postgres://".into()),
            ));
        }
    }
    if proxied
        && let Ok(meta) = std::fs::metadata(cf_path)
        && let Some((uid, gid)) = postfix_ids()
    {
        let mode = meta.mode();
        let readable = (meta.uid() == uid && mode & 0o400 != 0)
            || (meta.gid() == gid && mode & 0o040 != 0)
            || mode & 0o004 != 0;
        if !readable {
            out.push(finding(
                Severity::Error,
                cf_path,
                None,
                format!(
                    "proxymap runs as the postfix user and cannot read this file (mode {:04o}, \
                     owner {}:{}): every lookup fails with 451",
                    mode & 0o7777,
                    meta.uid(),
                    meta.gid()
                ),
                Some(format!(
                    "chown root:postfix {0} && chmod 0640 {0}",
                    cf_path.display()
                )),
            ));
        }
    }
    if cf.dbname.is_none() {
        out.push(finding(
            Severity::Error,
            cf_path,
            None,
            "no dbname: Postfix needs it even when every hosts item is a URI naming the \
             database (Postfix 3.7 stops with \"bad string length 0 < 1: dbname\")"
                .into(),
            Some("dbname = <the database the URI names>".into()),
        ));
    }
    for warning in cf.transport_warnings() {
        out.push(finding(
            Severity::Warning,
            cf_path,
            cf.line_of("hosts"),
            warning,
            Some(
                "hosts = postgresql://HOST/DB?sslmode=verify-full&sslrootcert=/etc/postfix/pg-ca.pem"
                    .into(),
            ),
        ));
    }
    let query = cf.get("query").unwrap_or_default().to_string();
    if query.is_empty() {
        out.push(finding(
            Severity::Warning,
            cf_path,
            None,
            "no query: Postfix falls back to the old table/select_field/where_field settings"
                .into(),
            Some(format!("query = {}", crate::fleet::pgsql::init::QUERY)),
        ));
    } else if !query.contains("'%s'") {
        out.push(finding(
            Severity::Error,
            cf_path,
            cf.line_of("query"),
            "the query does not use '%s' (quoted): Postfix inserts the fingerprint escaped but \
             without quotes"
                .into(),
            Some(format!("query = {}", crate::fleet::pgsql::init::QUERY)),
        ));
    }
    if cf.get("expansion_limit") != Some("1") {
        out.push(finding(
            Severity::Warning,
            cf_path,
            cf.line_of("expansion_limit"),
            "expansion_limit is not 1: a fingerprint with several rows would be joined into \
             one comma-separated name instead of failing"
                .into(),
            Some("expansion_limit = 1".into()),
        ));
    }
    let down = if has_local {
        "while it is down Postfix stops at this table with a temporary error (451 4.3.0), \
         even with other tables listed after it"
    } else {
        "while it is down Postfix answers 451 4.3.0 temporary lookup failure to every \
         certificate (clients retry; nothing bounces); servers that must keep relaying can \
         use a local table kept by `ccert sync`"
    };
    let mut client = match connect::connect(&cf) {
        Ok(c) => c,
        Err(why) => {
            out.push(finding(
                Severity::Error,
                cf_path,
                cf.line_of("hosts"),
                format!("{why}; {down}"),
                Some("check hosts, user, password and dbname, then: ccert doctor".to_string()),
            ));
            return;
        }
    };
    out.push(finding(
        Severity::Note,
        cf_path,
        None,
        format!("the database answers; {down}"),
        Some(format!(
            "ccert sync --from pgsql:{} --to cdb:/etc/postfix/clientcerts (from a timer)",
            cf_path.display()
        )),
    ));
    check_privileges(&mut client, cf_path, &mut *out);
    // An audit never writes: every query below, Postfix's own too, runs in
    // one READ ONLY transaction that is rolled back (dropped), each check in
    // a savepoint of its own so that one failing check does not hide the
    // next. A `.cf` query such as `DELETE … RETURNING name` then fails
    // instead of deleting rows.
    let mut tx = match client.build_transaction().read_only(true).start() {
        Ok(tx) => tx,
        Err(e) => {
            out.push(finding(
                Severity::Error,
                cf_path,
                None,
                format!(
                    "cannot start a read-only transaction: {}",
                    connect::explain(&e)
                ),
                None,
            ));
            return;
        }
    };
    if let Ok(mut check) = tx.transaction() {
        check_standby(&mut check, cf_path, out);
    }
    if let Ok(mut check) = tx.transaction() {
        check_triggers(&mut check, cf_path, out);
    }
    let sample = match tx.transaction() {
        Ok(mut check) => check_keys(&mut check, cf_path, out),
        Err(_) => None,
    };
    if let Some(key) = sample
        && query.contains("'%s'")
        && let Ok(mut check) = tx.transaction()
    {
        check_query(&mut check, &cf, cf_path, &query, &key, out);
    }
    // Dropping `tx` rolls it back.
}

/// Whether every key is lower case; returns a stored key to try Postfix's
/// query with.
fn check_keys(
    client: &mut impl GenericClient,
    cf_path: &Path,
    out: &mut Vec<Finding>,
) -> Option<String> {
    match client.query_opt("SELECT count(*) FILTER (WHERE fingerprint <> lower(fingerprint)), min(fingerprint) FROM ccert_clientcerts", &[]) {
        Ok(Some(row)) => {
            let upper: i64 = row.try_get(0).unwrap_or(0);
            if upper > 0 {
                out.push(finding(
                    Severity::Error,
                    cf_path,
                    None,
                    format!("{upper} fingerprint(s) in ccert_clientcerts are not lower case: Postfix looks keys up folded to lower case and never finds them"),
                    Some("UPDATE ccert_clientcerts SET fingerprint = lower(fingerprint)".into()),
                ));
            }
            row.try_get(1).ok().flatten()
        }
        Ok(None) => None,
        Err(e) => {
            out.push(finding(
                Severity::Error,
                cf_path,
                None,
                format!("cannot read ccert_clientcerts: {}", connect::explain(&e)),
                Some(format!("ccert db init pgsql:{}", cf_path.display())),
            ));
            None
        }
    }
}

/// The generation triggers (docs/fleet.md#schema) and how to re-create each.
const TRIGGERS: [(&str, &str); 4] = [
    (
        "ccert_inserted",
        "AFTER INSERT ON ccert_clientcerts REFERENCING NEW TABLE AS changed \
         FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_if_rows()",
    ),
    (
        "ccert_updated",
        "AFTER UPDATE ON ccert_clientcerts REFERENCING NEW TABLE AS changed \
         FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_if_rows()",
    ),
    (
        "ccert_deleted",
        "AFTER DELETE ON ccert_clientcerts REFERENCING OLD TABLE AS changed \
         FOR EACH STATEMENT EXECUTE FUNCTION ccert_bump_if_rows()",
    ),
    (
        "ccert_truncated",
        "AFTER TRUNCATE ON ccert_clientcerts FOR EACH STATEMENT EXECUTE FUNCTION \
         ccert_bump_generation()",
    ),
];

/// Whether the generation triggers exist and fire. `ccert sync` does not
/// depend on them (it compares a content digest too), but the generation
/// is what admins and monitoring read, and a dropped or disabled trigger
/// means someone changed the schema by hand. On a logical-replication
/// subscriber, triggers enabled the ordinary way do not fire for replicated
/// rows (the apply worker runs as a replica); `ENABLE ALWAYS` makes them.
fn check_triggers(client: &mut impl GenericClient, cf_path: &Path, out: &mut Vec<Finding>) {
    let rows = match client.query(
        "SELECT tgname::text, tgenabled::text FROM pg_trigger \
         WHERE tgrelid = 'ccert_clientcerts'::regclass AND NOT tgisinternal",
        &[],
    ) {
        Ok(rows) => rows,
        // No table: check_keys says so.
        Err(_) => return,
    };
    let found: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| Some((r.try_get(0).ok()?, r.try_get(1).ok()?)))
        .collect();
    let subscriber = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_subscription WHERE subdbid = \
             (SELECT oid FROM pg_database WHERE datname = current_database()))",
            &[],
        )
        .ok()
        .and_then(|r| r.try_get::<_, bool>(0).ok())
        .unwrap_or(false);
    let why = "edits bypassing it leave ccert_state.generation as it was (sync still notices \
               them through its content digest)";
    for (name, create) in TRIGGERS {
        match found
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.as_str())
        {
            None => out.push(finding(
                Severity::Error,
                cf_path,
                None,
                format!("the trigger {name} on ccert_clientcerts is missing: {why}"),
                Some(format!("CREATE TRIGGER {name} {create}")),
            )),
            Some("D") | Some("R") => out.push(finding(
                Severity::Error,
                cf_path,
                None,
                format!("the trigger {name} on ccert_clientcerts is disabled: {why}"),
                Some(format!(
                    "ALTER TABLE ccert_clientcerts ENABLE TRIGGER {name}"
                )),
            )),
            Some("O") if subscriber => out.push(finding(
                Severity::Warning,
                cf_path,
                None,
                format!(
                    "this database subscribes to a logical replication, and the trigger {name} \
                     does not fire for replicated rows: {why}"
                ),
                Some(format!(
                    "ALTER TABLE ccert_clientcerts ENABLE ALWAYS TRIGGER {name}"
                )),
            )),
            Some(_) => {}
        }
    }
}

/// Says so when the database is a hot standby (a streaming replica in
/// recovery): Postfix's lookups and every read work there, edits do not.
fn check_standby(client: &mut impl GenericClient, cf_path: &Path, out: &mut Vec<Finding>) {
    let standby = client
        .query_one("SELECT pg_is_in_recovery()", &[])
        .ok()
        .and_then(|r| r.try_get::<_, bool>(0).ok())
        .unwrap_or(false);
    if standby {
        out.push(finding(
            Severity::Note,
            cf_path,
            None,
            "the database is a hot standby (a replica in recovery): Postfix's lookups, ccert              list, check and sync read from it, and follow the primary as it replays; ccert              add, remove, import, rehash and apply fail here (read-only)"
                .into(),
            Some(format!(
                "edit through a .cf whose hosts name the primary: ccert --map pgsql:<that .cf>                  add …; or keep pgsql:{} for reading only",
                cf_path.display()
            )),
        ));
    }
}

/// Runs Postfix's query (with `'%s'` as a parameter) for a stored key and
/// compares with the stored name.
fn check_query(
    client: &mut impl GenericClient,
    cf: &PgsqlCf,
    cf_path: &Path,
    query: &str,
    key: &str,
    out: &mut Vec<Finding>,
) {
    let sql = query.replace("'%s'", "$1");
    if sql.contains('%') {
        out.push(finding(
            Severity::Note,
            cf_path,
            cf.line_of("query"),
            "the query uses other % expansions; ccert did not run it".into(),
            None,
        ));
        return;
    }
    let expected: Option<String> = client
        .query_opt(
            "SELECT name FROM ccert_clientcerts WHERE fingerprint = $1",
            &[&key],
        )
        .ok()
        .flatten()
        .and_then(|r| r.try_get(0).ok());
    match client.query(&sql, &[&key]) {
        Ok(rows) => {
            let got: Vec<String> = rows.iter().filter_map(|r| r.try_get(0).ok()).collect();
            if got.len() != 1 || Some(&got[0]) != expected.as_ref() {
                out.push(finding(
                    Severity::Error,
                    cf_path,
                    cf.line_of("query"),
                    format!("the query does not return the stored name for {key} (got {got:?})"),
                    Some(format!("query = {}", crate::fleet::pgsql::init::QUERY)),
                ));
            }
        }
        Err(e) => out.push(finding(
            Severity::Error,
            cf_path,
            cf.line_of("query"),
            format!(
                "the query fails (ccert runs it read-only, and Postfix's lookups must not \
                 write): {}",
                connect::explain(&e)
            ),
            Some(format!("query = {}", crate::fleet::pgsql::init::QUERY)),
        )),
    }
}

/// The uid and gid of the `postfix` user, if there is one.
fn postfix_ids() -> Option<(u32, u32)> {
    crate::sys::user_ids("postfix")
}

/// Warns when the `.cf` Postfix reads lets its user change the list:
/// smtpd and proxymap only look names up, and a user that can INSERT,
/// UPDATE, DELETE or TRUNCATE turns any hole in them (or a leaked `.cf`)
/// into a way to make any certificate relay. Asked with
/// has_table_privilege in a READ ONLY transaction that is rolled back, so
/// the audit itself changes nothing.
fn check_privileges(client: &mut postgres::Client, cf_path: &Path, out: &mut Vec<Finding>) {
    let Ok(mut tx) = client.build_transaction().read_only(true).start() else {
        return;
    };
    let row = tx.query_one(
        "SELECT current_user::text,
                array_remove(ARRAY[
                    CASE WHEN has_table_privilege('ccert_clientcerts', 'INSERT') THEN 'INSERT' END,
                    CASE WHEN has_table_privilege('ccert_clientcerts', 'UPDATE') THEN 'UPDATE' END,
                    CASE WHEN has_table_privilege('ccert_clientcerts', 'DELETE') THEN 'DELETE' END,
                    CASE WHEN has_table_privilege('ccert_clientcerts', 'TRUNCATE') THEN 'TRUNCATE' END
                ], NULL)::text[]",
        &[],
    );
    let _ = tx.rollback();
    let Ok(row) = row else { return };
    let user: String = row.try_get(0).unwrap_or_default();
    let rights: Vec<String> = row.try_get(1).unwrap_or_default();
    if rights.is_empty() {
        return;
    }
    out.push(finding(
        Severity::Warning,
        cf_path,
        None,
        format!(
            "Postfix looks names up as the database user {}, which may also {} \
             ccert_clientcerts: a compromised smtpd or proxymap, or a copy of this file, can \
             make any certificate relay",
            crate::cert::name::terminal_safe(&user),
            rights.join(", ")
        ),
        Some(format!(
            "give Postfix a read-only user: ccert db init pgsql:{} --lookup-user postfix_lookup \
             (then relay_clientcerts = pgsql:<the lookup .cf>)",
            cf_path.display()
        )),
    ));
}

//! What `ccert doctor` checks for `pgsql:` and `proxy:pgsql:` tables in
//! relay_clientcerts: the `.cf` file (mode, query, expansion_limit), the
//! connection, the keys' case, proxy_read_maps, and what happens while the
//! database is down.

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use crate::doctor::{Finding, Severity};
use crate::fleet::pgsql::cf::PgsqlCf;
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
    }
    out
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
                format!("{e}"),
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
    match client.query_opt("SELECT count(*) FILTER (WHERE fingerprint <> lower(fingerprint)), min(fingerprint) FROM ccert_clientcerts", &[]) {
        Ok(Some(row)) => {
            let upper: i64 = row.get(0);
            if upper > 0 {
                out.push(finding(
                    Severity::Error,
                    cf_path,
                    None,
                    format!("{upper} fingerprint(s) in ccert_clientcerts are not lower case: Postfix looks keys up folded to lower case and never finds them"),
                    Some("UPDATE ccert_clientcerts SET fingerprint = lower(fingerprint)".into()),
                ));
            }
            let sample: Option<String> = row.get(1);
            if let Some(key) = sample
                && query.contains("'%s'")
            {
                check_query(&mut client, &cf, cf_path, &query, &key, out);
            }
        }
        Ok(None) => {}
        Err(e) => out.push(finding(
            Severity::Error,
            cf_path,
            None,
            format!("cannot read ccert_clientcerts: {}", connect::explain(&e)),
            Some(format!("ccert db init pgsql:{}", cf_path.display())),
        )),
    }
}

/// Runs Postfix's query (with `'%s'` as a parameter) for a stored key and
/// compares with the stored name.
fn check_query(
    client: &mut postgres::Client,
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
        .map(|r| r.get(0));
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
            format!("the query fails: {}", connect::explain(&e)),
            Some(format!("query = {}", crate::fleet::pgsql::init::QUERY)),
        )),
    }
}

/// The uid and gid of the `postfix` user, if there is one.
fn postfix_ids() -> Option<(u32, u32)> {
    crate::sys::user_ids("postfix")
}

//! The verdict per service: can a client with a listed certificate relay
//! here? It follows smtpd's own decision, step by step (Postfix 3.7's
//! smtpd.c and smtpd_check.c, checked live by the differential test
//! `tests/doctor_live.rs`):
//!
//! 1. smtpd refuses to run (`fatal: in parameter smtpd_relay_restrictions or
//!    smtpd_recipient_restrictions, specify at least one working instance
//!    of: reject_unauth_destination, …`) when neither list has a refusal
//!    before a bare `permit`.
//! 2. TLS: the security level (`none` turns it off), a server certificate
//!    (without one STARTTLS is not offered, or answers 454), its files.
//! 3. The certificate request: `smtpd_tls_ask_ccert = yes`, or
//!    `smtpd_tls_req_ccert = yes` at level `encrypt` (at `may`, Postfix logs
//!    "Can't require client certs unless TLS is required" and never asks).
//!    With `smtpd_tls_req_ccert = yes` at `encrypt`, a certificate that
//!    `smtpd_tls_CAfile`/`CApath` do not trust is dropped with 421 after
//!    the handshake, listed or not.
//! 4. The restriction lists, in smtpd's order for RCPT TO a remote domain
//!    (client, helo, sender, relay, recipient): the first permit ends a list,
//!    the first refusal ends the session. `permit_tls_clientcerts` matches an
//!    entry of the service's digest in `relay_clientcerts` (any value; a table
//!    that cannot be opened answers 451); `permit_tls_all_clientcerts` every
//!    certificate the CA file trusts, and the listed ones too; `check_ccert_access` the action of the
//!    entry (`OK` permits, `REJECT` refuses, `DUNNO` goes on, a word that is
//!    neither an action nor a restriction answers 451 4.3.5).
//!
//! The client is assumed to be outside `mynetworks` and not SASL-authenticated:
//! a certificate client.

use std::collections::HashMap;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::cert::DigestAlgorithm;
use crate::maps::{self, MapType};
use crate::postfix::restrictions::{self, CHECK_CCERT, PERMIT_CERTS};
use crate::postfix::{PostfixConfig, redirect};

use super::{Doctor, Finding, Origin, Scope, Severity};

pub(super) use crate::postfix::restrictions::{PERMIT_ALL, RCPT_LISTS};

/// The restrictions smtpd requires in the relay or recipient list (one of).
const REQUIRED: [&str; 6] = [
    "reject_unauth_destination",
    "defer_unauth_destination",
    "reject",
    "defer",
    "defer_if_permit",
    "check_relay_domains",
];

/// Restrictions that refuse a certificate client relaying to a remote domain.
const REFUSING: [&str; 6] = [
    "reject",
    "defer",
    "reject_unauth_destination",
    "defer_unauth_destination",
    "defer_if_permit",
    "check_relay_domains",
];

/// How many CA certificates make a CA file a public bundle (Debian's has
/// about 140, RHEL's more; an organisation's own CA file has a few).
const PUBLIC_BUNDLE: usize = 20;

/// How much of a CA file is read to count its certificates.
const CA_FILE_LIMIT: u64 = 8 << 20;

/// The largest number of entries read from one table for the verdict;
/// beyond it the table counts as having entries of every kind seen so far.
const ENTRY_LIMIT: usize = 1_000_000;

/// What an access(5) value does to a certificate client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Action {
    /// `OK`, `RELAY`, a number, `permit`: relaying allowed.
    Permit,
    /// `REJECT`, `DEFER`, `4xx`/`5xx` text, `reject`…: refused.
    Refuse,
    /// `DUNNO` and the actions that do not decide (`WARN`, `INFO`, …).
    Continue,
    /// A word smtpd reads as an unknown restriction: 451 4.3.5.
    Bogus,
}

/// What an access(5) table value does.
pub(super) fn action(value: &str) -> Action {
    let word = value.split_whitespace().next().unwrap_or("");
    let upper = word.to_ascii_uppercase();
    // "4NN text" / "5NN text" refuse (a bare 4NN/5NN too).
    if upper.len() == 3
        && upper.starts_with(['4', '5'])
        && upper.bytes().all(|b| b.is_ascii_digit())
    {
        return Action::Refuse;
    }
    // smtpd_check.c's check_table_result: "OK or RELAY means YES"; an
    // all-numerical value is OK too (access(5)).
    if upper == "OK"
        || upper == "RELAY"
        || (!word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()))
    {
        return Action::Permit;
    }
    match upper.as_str() {
        "REJECT" | "DEFER" | "DEFER_IF_REJECT" | "DEFER_IF_PERMIT" | "HANGUP" => {
            return Action::Refuse;
        }
        "DUNNO" | "WARN" | "INFO" | "HOLD" | "PREPEND" | "FILTER" | "REDIRECT" | "BCC"
        | "DISCARD" | "DELAY" => return Action::Continue,
        _ => {}
    }
    match word {
        "permit" | "permit_tls_clientcerts" => Action::Permit,
        w if REFUSING.contains(&w) => Action::Refuse,
        w if w.starts_with("permit_")
            || w.starts_with("reject_")
            || w.starts_with("check_")
            || w.starts_with("warn_") =>
        {
            Action::Continue
        }
        _ => Action::Bogus,
    }
}

/// What doctor knows of one table for the verdict.
#[derive(Debug, Clone)]
pub(super) enum TableInfo {
    /// smtpd cannot open it: every lookup fails (451 4.3.0).
    Unreadable(String),
    /// Entries by fingerprint length in bytes, with the actions of their values.
    Entries(HashMap<usize, Vec<(Action, String)>>),
    /// A table ccert does not read (pgsql:, ldap:, …): presumed to match.
    Unknown,
}

impl TableInfo {
    fn read(cfg: &PostfixConfig, spec: &str) -> TableInfo {
        let table = crate::postfix::TableRef::parse(spec);
        let name = table.name.as_str();
        let Some(kind) = &table.table_type else {
            return TableInfo::Unreadable(format!("\"{name}\" has no type: prefix"));
        };
        let mut kind = kind.name().to_string();
        if let Ok(Some(r)) = redirect::redirect(cfg, &kind, name) {
            kind = r.to;
        }
        let path = Path::new(name);
        let (map_type, source): (MapType, PathBuf) = match kind.as_str() {
            "texthash" => return Self::read_source(path),
            "sqlite" => match maps::source_of("sqlite", path) {
                Some(src) => (MapType::Sqlite, src),
                None => return TableInfo::Unknown,
            },
            "btree" => (MapType::Hash, path.to_path_buf()),
            other => match other.parse::<MapType>() {
                Ok(t) => (t, path.to_path_buf()),
                Err(_) => return TableInfo::Unknown,
            },
        };
        if kind == "btree" {
            // ccert does not read btree files; Postfix does.
            return TableInfo::Unknown;
        }
        let file = map_type.table_path(&source);
        if !file.exists() {
            return TableInfo::Unreadable(format!("{} does not exist", file.display()));
        }
        let mut table = match maps::backend(map_type).open(&source) {
            Ok(t) => t,
            Err(e) => return TableInfo::Unreadable(crate::report::chain_line(&e)),
        };
        let mut entries: HashMap<usize, Vec<(Action, String)>> = HashMap::new();
        let mut seen = 0usize;
        let read = table.for_each_entry(&mut |key, value| {
            seen += 1;
            let key = String::from_utf8_lossy(key);
            let value = String::from_utf8_lossy(value).into_owned();
            add_entry(&mut entries, &key, value);
            if seen >= ENTRY_LIMIT {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        match read {
            Ok(()) => TableInfo::Entries(entries),
            Err(e) => TableInfo::Unreadable(crate::report::chain_line(&e)),
        }
    }

    /// A texthash table: smtpd reads the source itself.
    fn read_source(path: &Path) -> TableInfo {
        let text = match std::fs::File::open(path).and_then(|f| {
            let mut s = String::new();
            f.take(64 << 20).read_to_string(&mut s).map(|_| s)
        }) {
            Ok(t) => t,
            Err(e) => {
                return TableInfo::Unreadable(format!(
                    "{}: {}",
                    path.display(),
                    crate::report::describe_io(&e)
                ));
            }
        };
        let mut entries = HashMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((k, v)) = line.split_once(char::is_whitespace) {
                add_entry(&mut entries, k, v.trim().to_string());
            }
        }
        TableInfo::Entries(entries)
    }
}

/// Files an entry under its fingerprint length (keys that are not
/// fingerprints never match and are left out).
fn add_entry(entries: &mut HashMap<usize, Vec<(Action, String)>>, key: &str, value: String) {
    let Some(fp) = crate::cert::Fingerprint::parse(key) else {
        return;
    };
    let list = entries.entry(fp.algorithm.len()).or_default();
    let a = action(&value);
    // One example per action is enough for the verdict.
    if !list.iter().any(|(b, _)| *b == a) {
        list.push((a, value));
    }
}

/// Whether a CA file or directory is a public bundle (or Postfix adds the
/// system's CAs): then every certificate a public CA sells is trusted.
pub(super) fn public_ca(cfg: &PostfixConfig, scope: &Scope) -> Option<String> {
    if scope.is_yes(cfg, "tls_append_default_CA") {
        return Some("tls_append_default_CA = yes adds the system's public CAs".to_string());
    }
    let file = scope.value(cfg, "smtpd_tls_CAfile");
    let file = file.trim();
    if !file.is_empty() {
        let count = std::fs::File::open(file)
            .map(|f| {
                let mut text = String::new();
                let _ = f.take(CA_FILE_LIMIT).read_to_string(&mut text);
                text.matches("-----BEGIN CERTIFICATE-----").count()
            })
            .unwrap_or(0);
        if count >= PUBLIC_BUNDLE {
            return Some(format!(
                "smtpd_tls_CAfile = {file} is a public CA bundle ({count} CAs)"
            ));
        }
    }
    let dir = scope.value(cfg, "smtpd_tls_CApath");
    let dir = dir.trim();
    if !dir.is_empty() {
        let count = std::fs::read_dir(dir)
            .map(|d| d.take(10_000).count())
            .unwrap_or(0);
        if count >= PUBLIC_BUNDLE {
            return Some(format!(
                "smtpd_tls_CApath = {dir} holds {count} files: the system's public CAs"
            ));
        }
    }
    None
}

/// The verdict for one service.
#[derive(Debug)]
pub(super) struct Verdict {
    /// Whether a client with a listed (or trusted) certificate relays.
    pub relay: bool,
    /// How it relays, or why not.
    pub why: String,
    /// Not relaying only because the tables have no entries yet.
    pub only_empty: bool,
    /// What to do when no other finding says it (the access table's values).
    pub fix: Option<String>,
}

/// An item of a restriction list with its table argument, if any.
/// (Owned, as the verdicts keep them; the pairing is [`restrictions::with_args`].)
pub(super) fn with_args(items: &[String]) -> Vec<(String, Option<String>)> {
    restrictions::with_args(items)
        .into_iter()
        .map(|(_, item, arg)| (item.to_string(), arg.map(str::to_string)))
        .collect()
}

/// Whether a list has one of the restrictions smtpd requires before a bare
/// `permit` (smtpd_check.c's has_required).
fn has_required(items: &[String]) -> bool {
    for item in items {
        if item == "permit" {
            return false;
        }
        if REQUIRED.contains(&item.as_str()) {
            return true;
        }
    }
    false
}

impl Doctor {
    pub(super) fn table_info(&mut self, cfg: &PostfixConfig, spec: &str) -> TableInfo {
        if let Some(t) = self.tables.get(spec) {
            return t.clone();
        }
        let t = TableInfo::read(cfg, spec);
        self.tables.insert(spec.to_string(), t.clone());
        t
    }

    /// Whether smtpd refuses to run with this service's lists: a finding
    /// with the fix; returns true when it does.
    pub(super) fn check_required(&mut self, cfg: &PostfixConfig, scope: &Scope) -> bool {
        let relay = restrictions::items(&scope.value(cfg, "smtpd_relay_restrictions"));
        let rcpt = restrictions::items(&scope.value(cfg, "smtpd_recipient_restrictions"));
        if has_required(&relay) || has_required(&rcpt) {
            return false;
        }
        let list = "smtpd_relay_restrictions";
        let mut fixed: Vec<String> = relay.iter().filter(|i| *i != "permit").cloned().collect();
        fixed.push("reject_unauth_destination".to_string());
        let origin = scope.origin(cfg, list);
        let key = format!("required|{origin:?}");
        if self.reported.insert(key) {
            let (file, line, service, fix) = self.list_fix(cfg, scope, list, &fixed);
            self.add(
                Finding::error(format!(
                    "smtpd exits at every connection (fatal: in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify at least one working instance of: {}): neither list refuses anything",
                    REQUIRED.join(", ")
                ))
                .file(&file)
                .line(line)
                .service(service)
                .fix(fix),
            );
        }
        true
    }

    /// smtpd's decision for a certificate client relaying to a remote
    /// domain through this service, plus the findings only this walk sees
    /// (permit_tls_all_clientcerts, the access table's actions, req_ccert).
    pub(super) fn verdict(&mut self, cfg: &PostfixConfig, scope: &Scope) -> Verdict {
        let no = |why: String| Verdict {
            relay: false,
            why,
            only_empty: false,
            fix: None,
        };
        // The fix for entries whose action refuses or does not decide.
        let value_fix = |t: &str| {
            let source = t.split_once(':').map(|(_, n)| n).unwrap_or(t);
            format!(
                "give the client's entry in {source} the value OK (REJECT refuses, DUNNO goes on to the next restriction): ccert --map {source} add CLIENT.pem --name OK --replace, then ccert compile {t}"
            )
        };
        let mut undecided: Option<String> = None;
        if self.check_required(cfg, scope) {
            return no("smtpd exits at every connection (no refusing restriction in smtpd_relay_restrictions or smtpd_recipient_restrictions)".into());
        }
        let level = scope
            .value(cfg, "smtpd_tls_security_level")
            .trim()
            .to_ascii_lowercase();
        let (use_tls, enforce) = match level.as_str() {
            "" => {
                let enforce = scope.is_yes(cfg, "smtpd_enforce_tls");
                (
                    enforce
                        || scope.is_yes(cfg, "smtpd_use_tls")
                        || scope.is_yes(cfg, "smtpd_tls_wrappermode"),
                    enforce,
                )
            }
            "none" => (false, false),
            "may" => (true, false),
            _ => (true, true),
        };
        if !use_tls {
            return no(format!(
                "TLS is off (smtpd_tls_security_level = {})",
                if level.is_empty() { "(empty)" } else { &level }
            ));
        }
        let cert_file = scope.value(cfg, "smtpd_tls_cert_file");
        let have_cert = [
            "smtpd_tls_chain_files",
            "smtpd_tls_eccert_file",
            "smtpd_tls_dcert_file",
        ]
        .iter()
        .any(|p| !scope.value(cfg, p).trim().is_empty())
            || !matches!(cert_file.trim(), "" | "none");
        if !have_cert {
            return no("no server certificate: smtpd cannot offer STARTTLS".into());
        }
        if let Some(missing) = self.missing_cert_files(cfg, scope).into_iter().next() {
            return no(format!(
                "the server certificate or key {missing} cannot be read: STARTTLS fails (454)"
            ));
        }
        let ask = scope.is_yes(cfg, "smtpd_tls_ask_ccert");
        let req = scope.is_yes(cfg, "smtpd_tls_req_ccert");
        if !(ask || enforce && req) {
            return no(if req {
                "smtpd never asks for a client certificate (smtpd_tls_req_ccert = yes has no effect below security level encrypt, and smtpd_tls_ask_ccert = no)".into()
            } else {
                "smtpd never asks for a client certificate (smtpd_tls_ask_ccert = no)".into()
            });
        }
        let ca_set = !scope.value(cfg, "smtpd_tls_CAfile").trim().is_empty()
            || !scope.value(cfg, "smtpd_tls_CApath").trim().is_empty()
            || scope.is_yes(cfg, "tls_append_default_CA");
        if enforce && req && !ca_set {
            self.req_without_ca(cfg, scope, ask);
            return no("smtpd_tls_req_ccert = yes at level encrypt with no CA file: smtpd drops every client certificate (421 Client certificate not trusted)".into());
        }
        let digest = scope.value(cfg, "smtpd_tls_fingerprint_digest");
        let Ok(alg) = digest.trim().parse::<DigestAlgorithm>() else {
            return no(format!(
                "smtpd_tls_fingerprint_digest = {} is not a digest smtpd knows",
                digest.trim()
            ));
        };
        let len = alg.len();
        let mut how = None;
        let mut empty = false;
        for list in RCPT_LISTS {
            let items = restrictions::items(&scope.value(cfg, list));
            for (item, arg) in with_args(&items) {
                match item.as_str() {
                    PERMIT_ALL if ca_set => {
                        self.permit_all_admits(cfg, scope, list, &items);
                        how.get_or_insert(format!(
                            "{PERMIT_ALL} in {list}: every certificate the CA file trusts"
                        ));
                        break;
                    }
                    // permit_tls_all_clientcerts also looks the fingerprints
                    // up in relay_clientcerts, as permit_tls_clientcerts does
                    // (smtpd_check.c: one function, "it is OK if the issuing
                    // CA is not trusted").
                    PERMIT_CERTS | PERMIT_ALL => {
                        let tables = restrictions::items(&scope.value(cfg, "relay_clientcerts"));
                        let mut matched = None;
                        for t in &tables {
                            match self.table_info(cfg, t) {
                                TableInfo::Unreadable(why) => {
                                    return no(format!(
                                        "{PERMIT_CERTS} in {list}: relay_clientcerts {t} cannot be opened ({why}): smtpd answers 451 4.3.0"
                                    ));
                                }
                                TableInfo::Unknown => {
                                    matched = Some(format!("{t} (not read by ccert)"));
                                    break;
                                }
                                TableInfo::Entries(e) => {
                                    if e.contains_key(&len) {
                                        matched = Some(format!("{alg} entries in {t}"));
                                        break;
                                    }
                                    empty |= e.is_empty();
                                }
                            }
                        }
                        if let Some(m) = matched {
                            how.get_or_insert(format!("{item} in {list} ({m})"));
                            break;
                        }
                    }
                    CHECK_CCERT => {
                        let t = restrictions::access_table(arg.as_deref().unwrap_or(""));
                        match self.table_info(cfg, &t) {
                            TableInfo::Unreadable(why) => {
                                return no(format!(
                                    "{CHECK_CCERT} {t} in {list} cannot be opened ({why}): smtpd answers 451 4.3.0"
                                ));
                            }
                            TableInfo::Unknown => {
                                how.get_or_insert(format!(
                                    "{CHECK_CCERT} {t} in {list} (not read by ccert)"
                                ));
                                break;
                            }
                            TableInfo::Entries(e) => {
                                empty |= e.is_empty();
                                let actions = e.get(&len).cloned().unwrap_or_default();
                                let has = |a: Action| actions.iter().find(|(b, _)| *b == a);
                                if let Some((_, v)) = has(Action::Permit) {
                                    how.get_or_insert(format!(
                                        "{CHECK_CCERT} {t} in {list} answers {v}"
                                    ));
                                    break;
                                }
                                // Each such value is reported with its line by
                                // the access-table check (access.rs).
                                if let Some((_, v)) = has(Action::Bogus) {
                                    return no(format!(
                                        "{CHECK_CCERT} {t}: the value \"{v}\" is not an access action: smtpd answers 451 4.3.5 Server configuration error"
                                    ));
                                }
                                // A deny table (`ccert revoke`): its REJECTs are
                                // for certificates no longer listed, so smtpd
                                // goes on to the permit for the listed ones.
                                if has(Action::Refuse).is_some()
                                    && self.is_pure_deny(cfg, scope, &t)
                                {
                                    continue;
                                }
                                if let Some((_, v)) = has(Action::Refuse) {
                                    return Verdict {
                                        fix: Some(value_fix(&t)),
                                        ..no(format!(
                                            "{CHECK_CCERT} {t} in {list} answers {v} for the listed certificates"
                                        ))
                                    };
                                }
                                if !actions.is_empty() {
                                    undecided = Some(t.clone());
                                }
                            }
                        }
                    }
                    "permit" => {
                        how.get_or_insert(format!("permit in {list} (every client)"));
                        break;
                    }
                    i if REFUSING.contains(&i) => {
                        return Verdict {
                            relay: false,
                            why: format!(
                                "{i} in {list} refuses certificate clients before any certificate restriction lets them pass"
                            ),
                            only_empty: empty,
                            fix: undecided.as_deref().map(value_fix),
                        };
                    }
                    _ => {}
                }
            }
        }
        match how {
            Some(how) => Verdict {
                relay: true,
                why: how,
                only_empty: false,
                fix: None,
            },
            None => Verdict {
                relay: false,
                why: "no restriction lets a certificate client pass".into(),
                only_empty: empty,
                fix: undecided.as_deref().map(value_fix),
            },
        }
    }

    /// Absolute server certificate and key files that cannot be read.
    pub(super) fn missing_cert_files(&self, cfg: &PostfixConfig, scope: &Scope) -> Vec<String> {
        let mut out = Vec::new();
        for p in [
            "smtpd_tls_chain_files",
            "smtpd_tls_cert_file",
            "smtpd_tls_key_file",
            "smtpd_tls_eccert_file",
            "smtpd_tls_dcert_file",
        ] {
            let value = scope.value(cfg, p);
            for file in value.split([',', ' ', '\t']).filter(|f| !f.is_empty()) {
                if file != "none"
                    && Path::new(file).is_absolute()
                    && std::fs::File::open(file).is_err()
                {
                    out.push(file.to_string());
                }
            }
        }
        out
    }

    fn req_without_ca(&mut self, cfg: &PostfixConfig, scope: &Scope, ask: bool) {
        let key = format!("req|{:?}", scope.id());
        if !self.reported.insert(key) {
            return;
        }
        let (file, line, mut fix) = self.fix_setting(cfg, scope, "smtpd_tls_req_ccert", "no");
        if !ask {
            let (_, _, ask_fix) = self.fix_setting(cfg, scope, "smtpd_tls_ask_ccert", "yes");
            fix = format!("{fix}\n{ask_fix}");
        }
        self.add(
            Finding::error(
                "smtpd_tls_req_ccert = yes at security level encrypt: smtpd drops (421 Client certificate not trusted) every client whose certificate smtpd_tls_CAfile and smtpd_tls_CApath do not trust, listed or not, and neither is set",
            )
            .file(&file)
            .line(line)
            .service(scope.id())
            .fix(fix),
        );
    }

    /// What permit_tls_all_clientcerts really admits.
    fn permit_all_admits(
        &mut self,
        cfg: &PostfixConfig,
        scope: &Scope,
        list: &str,
        items: &[String],
    ) {
        let origin = scope.origin(cfg, list);
        let key = format!("all|{list}|{origin:?}");
        if !self.reported.insert(key) {
            return;
        }
        let fixed: Vec<String> = {
            let mut out: Vec<String> = Vec::new();
            for i in items {
                let i = if i == PERMIT_ALL {
                    PERMIT_CERTS
                } else {
                    i.as_str()
                };
                if !out.iter().any(|o| o == i) || !i.starts_with("permit_tls") {
                    out.push(i.to_string());
                }
            }
            out
        };
        let (file, line, service, fix) = self.list_fix(cfg, scope, list, &fixed);
        let ca = [
            ("smtpd_tls_CAfile", scope.value(cfg, "smtpd_tls_CAfile")),
            ("smtpd_tls_CApath", scope.value(cfg, "smtpd_tls_CApath")),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k} = {}", v.trim()))
        .collect::<Vec<_>>()
        .join(", ");
        let finding = match public_ca(cfg, scope) {
            Some(public) => Finding::error(format!(
                "{list}: {PERMIT_ALL} lets every client relay whose certificate the CA file trusts, and {public}: anyone who can buy a certificate can relay, listed in relay_clientcerts or not"
            )),
            None => Finding::new(
                Severity::Warning,
                format!(
                    "{list}: {PERMIT_ALL} lets every client relay whose certificate {ca} trusts, listed in relay_clientcerts or not"
                ),
            ),
        };
        self.add(finding.file(&file).line(line).service(service).fix(fix));
    }

    /// The fix that writes `list = items` where the service's value comes
    /// from: (file, line, service, fix text).
    pub(super) fn list_fix(
        &self,
        cfg: &PostfixConfig,
        scope: &Scope,
        list: &str,
        items: &[String],
    ) -> (PathBuf, Option<usize>, Option<String>, String) {
        match scope.origin(cfg, list) {
            Origin::Override { service, line } => (
                cfg.master_cf_path(),
                Some(line),
                Some(service),
                format!(
                    "change that line to: -o {}",
                    crate::postfix::master_cf::brace_if_needed(&format!(
                        "{list}={}",
                        items.join(",")
                    ))
                ),
            ),
            Origin::Main { name, line } => (
                cfg.main_cf_path(),
                Some(line),
                scope.id(),
                format!("change that main.cf line to: {name} = {}", items.join(", ")),
            ),
            Origin::Default => (
                cfg.main_cf_path(),
                None,
                scope.id(),
                format!("add to main.cf: {list} = {}", items.join(", ")),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_actions() {
        for permit in ["OK", "ok", "RELAY", "relay", "200", "permit", "OK trusted"] {
            assert_eq!(action(permit), Action::Permit, "{permit}");
        }
        for refuse in [
            "REJECT",
            "reject",
            "554 no",
            "DEFER",
            "HANGUP",
            "defer_unauth_destination",
        ] {
            assert_eq!(action(refuse), Action::Refuse, "{refuse}");
        }
        for go_on in ["DUNNO", "WARN x", "INFO", "permit_mynetworks"] {
            assert_eq!(action(go_on), Action::Continue, "{go_on}");
        }
        for bogus in ["trusted", "laptop", "workstation.example"] {
            assert_eq!(action(bogus), Action::Bogus, "{bogus}");
        }
    }

    #[test]
    fn required_restriction_before_permit() {
        let v = |s: &str| restrictions::items(s);
        assert!(has_required(&v("permit_tls_clientcerts, reject")));
        assert!(has_required(&v(
            "permit_mynetworks defer_unauth_destination"
        )));
        assert!(!has_required(&v("permit_tls_clientcerts")));
        assert!(!has_required(&v("permit, reject")));
        assert!(!has_required(&v("")));
    }
}

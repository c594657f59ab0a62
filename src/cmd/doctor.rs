//! `ccert doctor`: audits the client-certificate relay setup of a Postfix
//! configuration, reading main.cf, master.cf, the relay_clientcerts tables
//! and their source files. Each finding names the file (and line or service),
//! what is wrong, and the line that fixes it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;
use time::OffsetDateTime;

use crate::cert::{DigestAlgorithm, Fingerprint};
use crate::cli::{DoctorArgs, DoctorFormat};
use crate::postfix::restrictions::{
    self, LISTS, PERMIT_CERTS, PERMIT_SASL, first_refusing, with_certs_permitted,
};
use crate::postfix::{PostfixConfig, Service, master_cf::brace_if_needed};
use crate::source::SourceFile;
use crate::source::annotation::Annotation;

use super::{Context, Outcome};

/// How bad a finding is. Errors and warnings make `doctor` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The setup does not work as intended.
    Error,
    /// Likely wrong or about to break.
    Warning,
    /// Context: what was not checked and why.
    Info,
}

/// One finding, as printed and as serialized for `--format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// error, warning or info.
    pub severity: Severity,
    /// The file concerned, if any.
    pub file: Option<String>,
    /// Its 1-based line, if known.
    pub line: Option<usize>,
    /// The master.cf service (`name/type`), if the finding concerns one.
    pub service: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do (the exact line to write, or the command to run).
    pub fix: Option<String>,
}

/// Runs `ccert doctor`.
pub fn run(args: &DoctorArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    let findings = audit(ctx);
    match args.format {
        DoctorFormat::Json => println!("{}", serde_json::to_string_pretty(&findings)?),
        DoctorFormat::Text => print_text(&findings, &ctx.config_dir),
    }
    let problems = findings.iter().any(|f| f.severity != Severity::Info);
    Ok(if problems {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}

fn print_text(findings: &[Finding], dir: &Path) {
    for f in findings {
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let mut place = f.file.clone().unwrap_or_default();
        if let Some(line) = f.line {
            place.push_str(&format!(":{line}"));
        }
        if let Some(service) = &f.service {
            if place.is_empty() {
                place = format!("service {service}");
            } else {
                place.push_str(&format!(" (service {service})"));
            }
        }
        if place.is_empty() {
            println!("{severity}: {}", f.message);
        } else {
            println!("{severity}: {place}: {}", f.message);
        }
        if let Some(fix) = &f.fix {
            for (i, line) in fix.lines().enumerate() {
                let label = if i == 0 { "fix:" } else { "    " };
                println!("    {label} {line}");
            }
        }
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    if errors + warnings == 0 {
        println!(
            "ok: the client-certificate relay setup in {} looks sound",
            dir.display()
        );
    } else {
        println!(
            "{errors} error(s), {warnings} warning(s) in the client-certificate relay setup of {}",
            dir.display()
        );
    }
}

/// Audits the configuration of `ctx`; never fails (problems become findings).
pub fn audit(ctx: &Context) -> Vec<Finding> {
    let mut doctor = Doctor::default();
    let cfg = match ctx.postfix() {
        Ok(cfg) => cfg,
        Err(e) => {
            doctor.push(Severity::Error, None, None, None, format!("{e:#}"), None);
            return doctor.findings;
        }
    };
    if !cfg.present {
        doctor.push(
            Severity::Error,
            Some(&cfg.main_cf_path()),
            None,
            None,
            format!("no main.cf in {}: nothing to audit", cfg.config_dir.display()),
            Some(
                "name the Postfix configuration directory: ccert -c /etc/postfix doctor (or set MAIL_CONFIG)"
                    .to_string(),
            ),
        );
        return doctor.findings;
    }
    doctor.run(cfg, ctx.map.as_deref());
    doctor.findings
}

/// Where a parameter's value for a service comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Origin {
    /// A `-o` override in master.cf.
    Override { service: String, line: usize },
    /// main.cf, at this line (the parameter named may differ when an
    /// override just refers to a main.cf parameter: `-o x=$mua_x`).
    Main { name: String, line: usize },
    /// Postfix's built-in default.
    Default,
}

/// A smtpd service to check, or main.cf alone when master.cf has none.
struct Scope<'a> {
    service: Option<&'a Service>,
}

impl Scope<'_> {
    fn id(&self) -> Option<String> {
        self.service.map(Service::id)
    }

    fn value(&self, cfg: &PostfixConfig, name: &str) -> String {
        match self.service {
            Some(s) => cfg.effective_for_service(s, name),
            None => cfg.get(name),
        }
        .unwrap_or_default()
    }

    fn is_yes(&self, cfg: &PostfixConfig, name: &str) -> bool {
        self.value(cfg, name).trim().eq_ignore_ascii_case("yes")
    }

    fn origin(&self, cfg: &PostfixConfig, name: &str) -> Origin {
        if let Some(s) = self.service
            && let Some(o) = s.override_for(name)
        {
            // `-o smtpd_x=$mua_x`: the list lives in main.cf.
            let v = o.value.trim();
            let referenced = v
                .strip_prefix("${")
                .and_then(|r| r.strip_suffix('}'))
                .or_else(|| v.strip_prefix('$'))
                .filter(|r| r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
            if let Some(r) = referenced
                && let Some(line) = cfg.main_cf_line(r)
            {
                return Origin::Main {
                    name: r.to_string(),
                    line,
                };
            }
            return Origin::Override {
                service: s.id(),
                line: o.line,
            };
        }
        match cfg.main_cf_line(name) {
            Some(line) => Origin::Main {
                name: name.to_string(),
                line,
            },
            None => Origin::Default,
        }
    }
}

#[derive(Default)]
struct Doctor {
    findings: Vec<Finding>,
    /// Keys of findings already reported (a main.cf list inherited by several services).
    reported: HashSet<String>,
}

/// Effective digests of the services that use permit_tls_clientcerts.
struct DigestUse {
    digest: String,
    services: Vec<String>,
    /// Whether it is the built-in (compatibility-level) default nowhere overridden.
    default: bool,
}

impl Doctor {
    fn push(
        &mut self,
        severity: Severity,
        file: Option<&Path>,
        line: Option<usize>,
        service: Option<String>,
        message: String,
        fix: Option<String>,
    ) {
        self.findings.push(Finding {
            severity,
            file: file.map(|p| p.display().to_string()),
            line,
            service,
            message,
            fix,
        });
    }

    fn run(&mut self, cfg: &PostfixConfig, map: Option<&Path>) {
        for (file, w) in cfg.warnings() {
            self.push(
                Severity::Info,
                Some(&file),
                Some(w.line),
                None,
                format!("Postfix warns: {}", w.message),
                None,
            );
        }
        let smtpd: Vec<&Service> = cfg.services().iter().filter(|s| s.is_smtpd()).collect();
        let scopes: Vec<Scope> = if smtpd.is_empty() {
            vec![Scope { service: None }]
        } else {
            smtpd.iter().map(|s| Scope { service: Some(s) }).collect()
        };
        let mut digests: Vec<DigestUse> = Vec::new();
        let mut any_certs = false;
        for scope in &scopes {
            // A service that deliberately runs without TLS, or only listens
            // on loopback (content-filter re-injection), inherits
            // permit_tls_clientcerts harmlessly: only the order is checked there.
            // A loopback service that names permit_tls_clientcerts in its own
            // -o overrides is meant for certificate clients and is audited.
            let internal = scope.service.is_some_and(|s| {
                let own_certs = LISTS.iter().any(|l| {
                    s.override_for(l).is_some_and(|o| {
                        restrictions::items(&o.value)
                            .iter()
                            .any(|i| i == PERMIT_CERTS)
                    })
                });
                s.override_for("smtpd_tls_security_level")
                    .is_some_and(|o| o.value.trim() == "none")
                    || (!own_certs
                        && ["127.", "localhost:", "[::1]", "::1:"]
                            .iter()
                            .any(|p| s.name.starts_with(p)))
            });
            let uses_certs = !internal
                && LISTS.iter().any(|l| {
                    restrictions::items(&scope.value(cfg, l))
                        .iter()
                        .any(|i| i == PERMIT_CERTS)
                });
            any_certs |= uses_certs;
            self.check_lists(cfg, scope, uses_certs);
            if uses_certs {
                self.check_tls(cfg, scope);
                let digest = scope.value(cfg, "smtpd_tls_fingerprint_digest");
                let default = scope.origin(cfg, "smtpd_tls_fingerprint_digest") == Origin::Default;
                let id = scope.id().unwrap_or_else(|| "main.cf".to_string());
                match digests.iter_mut().find(|d| d.digest == digest) {
                    Some(d) => d.services.push(id),
                    None => digests.push(DigestUse {
                        digest,
                        services: vec![id],
                        default,
                    }),
                }
            }
        }
        if !any_certs {
            self.push(
                Severity::Error,
                Some(&cfg.master_cf_path()),
                None,
                None,
                format!(
                    "no smtpd service has {PERMIT_CERTS} in a restriction list: no client can relay with a certificate"
                ),
                Some(
                    "add a submission service to master.cf that permits certificate clients; `ccert server-config` prints it, e.g.\n\
                     submission inet n - y - - smtpd -o smtpd_tls_security_level=encrypt -o smtpd_tls_ask_ccert=yes -o smtpd_relay_restrictions=permit_tls_clientcerts,reject"
                        .to_string(),
                ),
            );
        }
        if digests.is_empty() {
            digests.push(DigestUse {
                digest: cfg.get("smtpd_tls_fingerprint_digest").unwrap_or_default(),
                services: vec!["main.cf".to_string()],
                default: !cfg.is_set("smtpd_tls_fingerprint_digest"),
            });
        }
        let mut algorithms = Vec::new();
        for d in &digests {
            match d.digest.trim().parse::<DigestAlgorithm>() {
                Ok(a) => algorithms.push((a, d)),
                Err(_) => self.push(
                    Severity::Warning,
                    Some(&cfg.main_cf_path()),
                    cfg.main_cf_line("smtpd_tls_fingerprint_digest"),
                    None,
                    format!(
                        "smtpd_tls_fingerprint_digest = {} (for {}) is a digest ccert does not know: entries are not checked against it; if OpenSSL does not know it either, Postfix disables TLS",
                        d.digest,
                        d.services.join(", ")
                    ),
                    Some("smtpd_tls_fingerprint_digest = sha256".to_string()),
                ),
            }
        }
        let mut sources = self.check_tables(cfg);
        if let Some(map) = map
            && !sources.iter().any(|s| s == map)
        {
            sources.push(map.to_path_buf());
        }
        for source in sources {
            self.check_source(cfg, &source, &algorithms);
        }
    }

    /// Where to write `name = value` for a scope: the fix text and its location.
    fn fix_setting(
        &self,
        cfg: &PostfixConfig,
        scope: &Scope,
        name: &str,
        value: &str,
    ) -> (PathBuf, Option<usize>, String) {
        match (scope.service, scope.origin(cfg, name)) {
            (_, Origin::Override { line, .. }) => (
                cfg.master_cf_path(),
                Some(line),
                format!(
                    "change that line to: -o {}",
                    brace_if_needed(&format!("{name}={value}"))
                ),
            ),
            (Some(s), _) => (
                cfg.master_cf_path(),
                Some(s.line),
                format!(
                    "add to service {} in master.cf: -o {}",
                    s.id(),
                    brace_if_needed(&format!("{name}={value}"))
                ),
            ),
            (None, Origin::Main { line, .. }) => (
                cfg.main_cf_path(),
                Some(line),
                format!("change that main.cf line to: {name} = {value}"),
            ),
            (None, Origin::Default) => (
                cfg.main_cf_path(),
                None,
                format!("add to main.cf: {name} = {value}"),
            ),
        }
    }

    fn check_lists(&mut self, cfg: &PostfixConfig, scope: &Scope, uses_certs: bool) {
        let sasl = scope.is_yes(cfg, "smtpd_sasl_auth_enable");
        for list in LISTS {
            let items = restrictions::items(&scope.value(cfg, list));
            let certs_at = items.iter().position(|i| i == PERMIT_CERTS);
            let refusing = first_refusing(&items);
            let problem = match (certs_at, refusing) {
                (Some(c), Some(r)) if r < c => Some((
                    Severity::Error,
                    format!(
                        "{list}: {PERMIT_CERTS} comes after {}, so relaying clients are refused before their certificate is checked",
                        items[r]
                    ),
                )),
                (None, Some(r)) if uses_certs => Some((
                    Severity::Error,
                    format!(
                        "{list} has no {PERMIT_CERTS}: its {} refuses certificate clients that {} permits elsewhere in this service",
                        items[r], PERMIT_CERTS
                    ),
                )),
                (None, _) if items.iter().any(|i| i == PERMIT_SASL) && (sasl || uses_certs) => {
                    Some((
                        if uses_certs {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        format!(
                            "{list} has {PERMIT_SASL} but no {PERMIT_CERTS}: clients with a listed certificate but no password cannot relay here"
                        ),
                    ))
                }
                _ => None,
            };
            let Some((severity, message)) = problem else {
                continue;
            };
            let origin = scope.origin(cfg, list);
            let key = format!("{list}|{origin:?}");
            if !self.reported.insert(key) {
                continue;
            }
            let fixed = with_certs_permitted(&items);
            let (file, line, service, fix) = match &origin {
                Origin::Override { service, line } => (
                    cfg.master_cf_path(),
                    Some(*line),
                    Some(service.clone()),
                    format!(
                        "change that line to: -o {}",
                        brace_if_needed(&format!("{list}={}", fixed.join(",")))
                    ),
                ),
                Origin::Main { name, line } => (
                    cfg.main_cf_path(),
                    Some(*line),
                    scope.id(),
                    format!("{name} = {}", fixed.join(", ")),
                ),
                Origin::Default => (
                    cfg.main_cf_path(),
                    None,
                    scope.id(),
                    format!(
                        "{list} is Postfix's default here; add to main.cf: {list} = {}",
                        fixed.join(", ")
                    ),
                ),
            };
            self.push(severity, Some(&file), line, service, message, Some(fix));
        }
    }

    fn check_tls(&mut self, cfg: &PostfixConfig, scope: &Scope) {
        let id = scope.id();
        let ask =
            scope.is_yes(cfg, "smtpd_tls_ask_ccert") || scope.is_yes(cfg, "smtpd_tls_req_ccert");
        if !ask {
            let (file, line, fix) = self.fix_setting(cfg, scope, "smtpd_tls_ask_ccert", "yes");
            self.push(
                Severity::Error,
                Some(&file),
                line,
                id.clone(),
                format!(
                    "{PERMIT_CERTS} is used but smtpd_tls_ask_ccert = no: smtpd never asks the client for a certificate"
                ),
                Some(fix),
            );
        }
        let level = scope
            .value(cfg, "smtpd_tls_security_level")
            .trim()
            .to_ascii_lowercase();
        let tls = match level.as_str() {
            "" => {
                scope.is_yes(cfg, "smtpd_use_tls")
                    || scope.is_yes(cfg, "smtpd_enforce_tls")
                    || scope.is_yes(cfg, "smtpd_tls_wrappermode")
            }
            "none" => false,
            _ => true,
        };
        if !tls {
            let (file, line, fix) =
                self.fix_setting(cfg, scope, "smtpd_tls_security_level", "encrypt");
            self.push(
                Severity::Error,
                Some(&file),
                line,
                id.clone(),
                format!(
                    "{PERMIT_CERTS} is used but TLS is off (smtpd_tls_security_level = {}{}): no certificate can be presented",
                    if level.is_empty() { "(empty)" } else { &level },
                    if level.is_empty() { ", smtpd_use_tls = no" } else { "" }
                ),
                Some(fix),
            );
        }
        let cert_params = [
            "smtpd_tls_chain_files",
            "smtpd_tls_cert_file",
            "smtpd_tls_eccert_file",
            "smtpd_tls_dcert_file",
        ];
        let have_cert = cert_params
            .iter()
            .any(|p| !scope.value(cfg, p).trim().is_empty());
        if tls && !have_cert {
            let key = "no-server-cert".to_string();
            if self.reported.insert(key) {
                let host = cfg.get("myhostname").unwrap_or_default();
                self.push(
                    Severity::Error,
                    Some(&cfg.main_cf_path()),
                    None,
                    id.clone(),
                    "TLS is on but no server certificate is configured (smtpd_tls_chain_files and smtpd_tls_cert_file are empty): smtpd cannot offer STARTTLS".to_string(),
                    Some(format!(
                        "add to main.cf: smtpd_tls_chain_files = {}/{host}.pem (key then certificate chain in one PEM file)",
                        cfg.config_dir.display()
                    )),
                );
            }
        }
        for p in cert_params.iter().chain(&["smtpd_tls_key_file"]) {
            let value = scope.value(cfg, p);
            for file in value.split([',', ' ', '\t']).filter(|f| !f.is_empty()) {
                if Path::new(file).is_absolute() && !Path::new(file).exists() {
                    let key = format!("missing|{p}|{file}");
                    if self.reported.insert(key) {
                        self.push(
                            Severity::Warning,
                            Some(Path::new(file)),
                            None,
                            id.clone(),
                            format!("{p} names {file}, which does not exist on this machine"),
                            Some(format!("create {file} or correct {p}")),
                        );
                    }
                }
            }
        }
    }

    /// Checks every relay_clientcerts table; returns the source files to audit.
    fn check_tables(&mut self, cfg: &PostfixConfig) -> Vec<PathBuf> {
        let main = cfg.main_cf_path();
        let value = cfg.get("relay_clientcerts").unwrap_or_default();
        let default_type = cfg
            .get("default_database_type")
            .unwrap_or_else(|| "hash".into());
        let tables = restrictions::items(&value);
        if tables.is_empty() {
            self.push(
                Severity::Error,
                Some(&main),
                cfg.main_cf_line("relay_clientcerts"),
                None,
                format!("relay_clientcerts is empty: {PERMIT_CERTS} can never match a certificate"),
                Some(format!(
                    "relay_clientcerts = {default_type}:{}/clientcerts\nthen add certificates: ccert add HOST.pem --name HOST",
                    cfg.config_dir.display()
                )),
            );
            return Vec::new();
        }
        let supported = supported_types(&cfg.config_dir);
        if supported.is_none() {
            self.push(
                Severity::Info,
                None,
                None,
                None,
                "postconf is not installed here: not checking which table types this Postfix supports"
                    .to_string(),
                None,
            );
        }
        let line = cfg.main_cf_line("relay_clientcerts");
        let mut sources = Vec::new();
        for table in tables {
            let Some((kind, name)) = table.split_once(':') else {
                self.push(
                    Severity::Error,
                    Some(&main),
                    line,
                    None,
                    format!("relay_clientcerts: \"{table}\" has no type: prefix"),
                    Some(format!("relay_clientcerts = {default_type}:{table}")),
                );
                continue;
            };
            // proxy:TYPE:NAME is read through proxymap; the table is TYPE:NAME.
            let (kind, name) = match (kind, name.split_once(':')) {
                ("proxy", Some(inner)) => inner,
                _ => (kind, name),
            };
            if let Some(types) = &supported
                && !types.iter().any(|t| t == kind)
            {
                self.push(
                        Severity::Error,
                        Some(&main),
                        line,
                        None,
                        format!(
                            "relay_clientcerts uses table type {kind}, which this Postfix lacks (postconf -m lists {})",
                            types.join(", ")
                        ),
                        Some(format!(
                            "install the Postfix package for {kind} (Debian: apt install postfix-{kind}) or use relay_clientcerts = {default_type}:{name}"
                        )),
                    );
                continue;
            }
            let source = PathBuf::from(name);
            let suffix = match kind {
                "hash" | "btree" => Some(".db"),
                "lmdb" => Some(".lmdb"),
                "cdb" => Some(".cdb"),
                "dbm" | "sdbm" => Some(".pag"),
                _ => None,
            };
            match (kind, suffix) {
                (_, Some(suffix)) => {
                    let mut t = source.clone().into_os_string();
                    t.push(suffix);
                    let table_path = PathBuf::from(t);
                    self.check_table_file(kind, &source, &table_path);
                    if source.is_file() {
                        sources.push(source);
                    }
                }
                ("texthash", _) => {
                    if source.is_file() {
                        sources.push(source);
                    } else {
                        self.push(
                            Severity::Error,
                            Some(&source),
                            None,
                            None,
                            format!(
                                "relay_clientcerts names texthash:{name}, which does not exist"
                            ),
                            Some(format!("ccert --map {name} add HOST.pem --no-compile")),
                        );
                    }
                }
                ("sqlite", _) => {
                    if !source.is_file() {
                        self.push(
                            Severity::Error,
                            Some(&source),
                            None,
                            None,
                            format!("relay_clientcerts names sqlite:{name}, which does not exist"),
                            Some("ccert compile sqlite:SOURCE writes SOURCE.sqlite and SOURCE.sqlite.cf; then relay_clientcerts = sqlite:SOURCE.sqlite.cf".to_string()),
                        );
                    }
                    match name.strip_suffix(".sqlite.cf").map(PathBuf::from) {
                        Some(src) if src.is_file() => sources.push(src),
                        _ => self.push(
                            Severity::Info,
                            Some(&source),
                            None,
                            None,
                            "no ccert source file next to this sqlite table: its entries are not audited"
                                .to_string(),
                            None,
                        ),
                    }
                }
                _ => self.push(
                    Severity::Info,
                    Some(&main),
                    line,
                    None,
                    format!("relay_clientcerts table {table} is not a file ccert can audit"),
                    None,
                ),
            }
        }
        sources
    }

    fn check_table_file(&mut self, kind: &str, source: &Path, table: &Path) {
        let compile = format!("ccert compile {kind}:{}", source.display());
        let table_meta = std::fs::metadata(table).ok();
        let source_meta = std::fs::metadata(source).ok();
        match (&table_meta, &source_meta) {
            (None, _) => self.push(
                Severity::Error,
                Some(table),
                None,
                None,
                format!(
                    "relay_clientcerts table {} is missing{}",
                    table.display(),
                    if source_meta.is_none() {
                        format!(" and so is its source {}", source.display())
                    } else {
                        String::new()
                    }
                ),
                Some(if source_meta.is_none() {
                    "ccert add HOST.pem --name HOST (creates the source and compiles it)"
                        .to_string()
                } else {
                    compile
                }),
            ),
            (Some(t), Some(s)) => {
                if let (Ok(tm), Ok(sm)) = (t.modified(), s.modified())
                    && sm > tm
                {
                    self.push(
                        Severity::Error,
                        Some(table),
                        None,
                        None,
                        format!(
                            "{} is older than its source {}: Postfix uses the old entries",
                            table.display(),
                            source.display()
                        ),
                        Some(compile),
                    );
                }
            }
            (Some(_), None) => self.push(
                Severity::Warning,
                Some(source),
                None,
                None,
                format!(
                    "the source {} of {} is missing: its entries cannot be audited or edited",
                    source.display(),
                    table.display()
                ),
                Some(format!(
                    "recreate it: ccert dump {kind}:{} > {}",
                    source.display(),
                    source.display()
                )),
            ),
        }
    }

    fn check_source(
        &mut self,
        cfg: &PostfixConfig,
        path: &Path,
        algorithms: &[(DigestAlgorithm, &DigestUse)],
    ) {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                self.push(
                    Severity::Error,
                    Some(path),
                    None,
                    None,
                    format!("cannot read the clientcerts source: {e}"),
                    Some(format!("check the permissions of {}", path.display())),
                );
                return;
            }
        };
        let file = SourceFile::parse(&bytes);
        let (records, problems) = file.records();
        for p in problems {
            let skips = p.skips_line();
            self.push(
                if skips {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                Some(path),
                Some(p.line),
                None,
                if skips {
                    format!("postmap skips this line: {}", p.message)
                } else {
                    format!("postmap warns: {}", p.message)
                },
                Some(
                    "write entries as `<fingerprint> <name>` on one line (a value is required), or delete the line"
                        .to_string(),
                ),
            );
        }
        let mut first_seen: HashMap<String, usize> = HashMap::new();
        // (index of the digest in use, fingerprint algorithm) → lines of
        // entries that digest can never match.
        let mut mismatched: BTreeMap<(usize, DigestAlgorithm), Vec<usize>> = BTreeMap::new();
        let now = OffsetDateTime::now_utc();
        for r in &records {
            let key = String::from_utf8_lossy(&r.key).to_ascii_lowercase();
            if let Some(first) = first_seen.get(&key) {
                self.push(
                    Severity::Warning,
                    Some(path),
                    Some(r.line),
                    None,
                    format!(
                        "duplicate key {key} (first at line {first}): postmap keeps the first value and warns"
                    ),
                    Some(format!("delete line {} or line {first}", r.line)),
                );
                continue;
            }
            first_seen.insert(key.clone(), r.line);
            let Some(fp) = Fingerprint::parse(&key) else {
                self.push(
                    Severity::Error,
                    Some(path),
                    Some(r.line),
                    None,
                    format!(
                        "key {key:?} is not a fingerprint (hex byte pairs joined by ':'): smtpd never looks it up"
                    ),
                    Some("replace it with the output of: ccert fingerprint --format map HOST.pem".to_string()),
                );
                continue;
            };
            for (i, (a, _)) in algorithms.iter().enumerate() {
                if *a != fp.algorithm {
                    mismatched
                        .entry((i, fp.algorithm))
                        .or_default()
                        .push(r.line);
                }
            }
            if r.lines.start > 0
                && let Some(a) = Annotation::parse(file.line(r.lines.start - 1))
                && a.describes(&r.key)
            {
                self.check_expiry(path, r.line, &key, &a, now);
            }
        }
        for ((i, alg), lines) in mismatched {
            let (want, usage) = algorithms[i];
            let shown: Vec<String> = lines.iter().take(10).map(|l| l.to_string()).collect();
            let more = if lines.len() > 10 { ", …" } else { "" };
            let mut message = format!(
                "{} {} fingerprint(s) ({} bytes; line {}{more}) but smtpd_tls_fingerprint_digest is {} for {}: these entries never match",
                lines.len(),
                alg,
                alg.len(),
                shown.join(", "),
                want,
                usage.services.join(", ")
            );
            if usage.default {
                let level = cfg.get("compatibility_level").unwrap_or_default();
                message.push_str(&format!(
                    " (the digest is Postfix's default, which is md5 below compatibility_level 3.6 and sha256 from 3.6; here compatibility_level = {level})"
                ));
            }
            self.push(
                Severity::Error,
                Some(path),
                lines.first().copied(),
                None,
                message,
                Some(format!(
                    "ccert rehash --digest {want}   (re-fingerprints the entries; needs the certificates ccert keeps)\nor keep the entries and add to main.cf: smtpd_tls_fingerprint_digest = {alg}"
                )),
            );
        }
    }

    fn check_expiry(
        &mut self,
        path: &Path,
        line: usize,
        key: &str,
        a: &Annotation,
        now: OffsetDateTime,
    ) {
        let Some(not_after) = a.not_after else {
            return;
        };
        let who = a.subject.clone().unwrap_or_else(|| key.to_string());
        let date = not_after.date();
        let fix = format!(
            "issue or obtain a new certificate, `ccert add NEW.pem`, then `ccert remove --fingerprint {key}`"
        );
        if not_after <= now {
            self.push(
                Severity::Error,
                Some(path),
                Some(line),
                None,
                format!("the certificate of this entry ({who}) expired on {date}"),
                Some(fix),
            );
        } else if not_after - now <= time::Duration::days(30) {
            let days = (not_after - now).whole_days();
            self.push(
                Severity::Warning,
                Some(path),
                Some(line),
                None,
                format!(
                    "the certificate of this entry ({who}) expires on {date}, in {days} day(s)"
                ),
                Some(fix),
            );
        }
    }
}

/// The table types this Postfix supports (`postconf -c DIR -m`), or `None`
/// when postconf is not installed or fails.
fn supported_types(config_dir: &Path) -> Option<Vec<String>> {
    let postconf = find_tool("postconf")?;
    let out = Command::new(postconf)
        .arg("-c")
        .arg(config_dir)
        .arg("-m")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .split_ascii_whitespace()
            .map(str::to_string)
            .collect(),
    )
}

/// Finds a tool on PATH or in /usr/sbin and /sbin (where Postfix's live).
fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

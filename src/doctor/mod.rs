//! The audit behind `ccert doctor`: checks the client-certificate relay
//! setup of a Postfix configuration — main.cf, master.cf, the
//! relay_clientcerts tables and their source files. Each [`Finding`] names the
//! file (and line or service), what is wrong, and the line that fixes it.
//!
//! * [`settings`]: restriction lists and TLS prerequisites per smtpd service.
//! * [`tables`]: relay_clientcerts tables (type, presence, age).
//! * [`entries`]: the source entries (digest length, duplicates, expiry).
//! * [`logging`]: whether smtpd logs the client fingerprints `ccert log` reads
//!   (3.12: per client network with `smtpd_tls_loglevel_maps`).
//! * [`tls`]: postscreen's fingerprint digest, `tls_trust_server_ccerts`,
//!   obsolete TLS settings, session tickets shared between services.
//! * [`pgsql`]: the checks for `pgsql:` tables (the `.cf` file, the database).
//! * [`relay`]: the verdict per service — can a client with a listed
//!   certificate relay here? — following smtpd's own decision.
//!
//! How doctor is checked: `tests/doctor_live.rs` generates configurations
//! with a fixed seed, starts a throwaway Postfix, and requires that every
//! verdict matches what smtpd answers to swaks presenting a client
//! certificate, and that the concrete fixes, applied, make relaying work.

mod access;
mod deny;
mod entries;
pub mod fips;
mod logging;
pub mod pgsql;
mod relay;
mod rotation;
mod settings;
mod tables;
mod tls;

/// The narrowest `smtpd_tls_loglevel` that logs client fingerprints
/// (for server-config, which proposes it).
pub use logging::{
    LOGLEVEL_CIDR_EXAMPLE, NARROWEST as LOGS_FINGERPRINTS, logging_hint, loglevel_cidr,
    shows_fingerprints,
};
use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::cert::DigestAlgorithm;
use crate::postfix::restrictions::{self, CHECK_CCERT, LISTS, PERMIT_CERTS};
use crate::postfix::{PostfixConfig, Service};

/// How bad a finding is. Errors make `doctor` exit 1 (with `--strict`, warnings too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Certificate relaying cannot work, or will break.
    Error,
    /// Fragile or ineffective.
    Warning,
    /// Information: what was audited, what was not checked and why.
    Note,
}

impl Severity {
    /// The word printed for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }
}

/// One finding, as printed and as serialized for `--format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// error, warning or note.
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
    /// The verdict for the service: whether a client with a listed
    /// certificate can relay through it (set on one finding per service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay: Option<bool>,
}

impl Finding {
    /// A finding with only a severity and a message; the rest is added with the builder methods.
    pub fn new(severity: Severity, message: impl Into<String>) -> Self {
        Self {
            severity,
            file: None,
            line: None,
            service: None,
            message: message.into(),
            fix: None,
            relay: None,
        }
    }

    /// An error.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    /// A warning.
    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message)
    }

    /// A note.
    pub fn note(message: impl Into<String>) -> Self {
        Self::new(Severity::Note, message)
    }

    /// The file concerned.
    pub fn file(mut self, path: &Path) -> Self {
        self.file = Some(path.display().to_string());
        self
    }

    /// Its line, when known.
    pub fn line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    /// Its line.
    pub fn at(self, line: usize) -> Self {
        self.line(Some(line))
    }

    /// The master.cf service concerned (`name/type`), when there is one.
    pub fn service(mut self, service: impl Into<Option<String>>) -> Self {
        self.service = service.into();
        self
    }

    /// What to do.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// The service's verdict (see [`Finding::relay`]).
    pub fn relay(mut self, relay: bool) -> Self {
        self.relay = Some(relay);
        self
    }
}

/// Audits a loaded configuration; never fails (problems become findings).
/// `map` is the clientcerts source named with `--map`, if any.
pub fn audit(cfg: &PostfixConfig, map: Option<&Path>) -> Vec<Finding> {
    let mut doctor = Doctor::default();
    doctor.add(Finding::note(format!("audited {}", cfg.describe())));
    if !cfg.present {
        doctor.add(
            Finding::error(format!(
                "no main.cf in {}: nothing to audit",
                cfg.config_dir.display()
            ))
            .file(&cfg.main_cf_path())
            .fix("name the Postfix configuration directory: ccert -c /etc/postfix doctor (or set MAIL_CONFIG)"),
        );
        return doctor.findings;
    }
    doctor.run(cfg, map);
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

/// Whether a service is the public MX: an inet service on the smtp port.
fn is_port_25(service: &Service) -> bool {
    let port = service.name.rsplit(':').next().unwrap_or(&service.name);
    service.kind == "inet" && (port == "smtp" || port == "25")
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

    /// Why the certificate restrictions of this service are not meant for
    /// certificate clients, if so: the port-25 `smtp` service that does not
    /// ask for certificates or has TLS off (a public MX must accept mail
    /// without them, RFC 3207), and a service that turns TLS off for itself
    /// while inheriting main.cf's lists (a content-filter re-injection
    /// service). A submission service, or one that names a certificate
    /// restriction itself, is meant for them: TLS off there is an error.
    fn inert(&self, cfg: &PostfixConfig) -> Option<String> {
        let asks = self.is_yes(cfg, "smtpd_tls_ask_ccert");
        let level = self.value(cfg, "smtpd_tls_security_level");
        let level = level.trim();
        if self.service.is_some_and(is_port_25) {
            if !asks {
                return Some(
                    "the port-25 smtp service does not ask for client certificates, and must not require TLS"
                        .to_string(),
                );
            }
            if level == "none" {
                return Some(
                    "smtpd_tls_security_level = none on the port-25 smtp service".to_string(),
                );
            }
            return None;
        }
        let s = self.service?;
        let port = s.name.rsplit(':').next().unwrap_or(&s.name);
        let submission = matches!(port, "submission" | "submissions" | "smtps" | "587" | "465");
        let own_certs = LISTS.iter().any(|l| {
            s.override_for(l)
                .is_some_and(|o| relay_items(&restrictions::items(&o.value)))
        });
        if s.override_for("smtpd_tls_security_level").is_some()
            && level == "none"
            && !submission
            && !own_certs
        {
            return Some("smtpd_tls_security_level = none".to_string());
        }
        None
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

/// Whether a list names a restriction that lets a certificate client pass:
/// `permit_tls_clientcerts`, `check_ccert_access` or `permit_tls_all_clientcerts`.
fn relay_items(items: &[String]) -> bool {
    restrictions::permits_certs(items) || items.iter().any(|i| i == relay::PERMIT_ALL)
}

#[derive(Default)]
struct Doctor {
    findings: Vec<Finding>,
    /// Keys of findings already reported (a main.cf list inherited by several services).
    reported: HashSet<String>,
    /// Tables read for the verdicts, by their name in the configuration.
    tables: HashMap<String, relay::TableInfo>,
    /// Source keys read for the deny-table checks, by source.
    keys: HashMap<std::path::PathBuf, deny::Keys>,
    /// The clientcerts source named with `--map`.
    map: Option<std::path::PathBuf>,
    /// The digests of the fingerprints in the audited sources.
    entry_digests: std::collections::BTreeSet<DigestAlgorithm>,
}

/// Effective digests of the services that use permit_tls_clientcerts.
struct DigestUse {
    digest: String,
    services: Vec<String>,
    /// Whether it is the built-in (compatibility-level) default nowhere overridden.
    default: bool,
    /// Where each service's digest is set: the fix changes it there.
    origins: Vec<(Option<String>, Origin, Option<usize>)>,
}

impl Doctor {
    fn add(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// The layout postmap warns about from Postfix 3.12 (and ccert's table
    /// writer, run as root, on every release): a root-owned source in a
    /// directory another user owns, who can replace the root-owned tables
    /// built there. Reported whoever runs doctor: the tables are built as root.
    fn check_ownership(&mut self, source: &Path) {
        let Some(risk) = crate::fsutil::root_source_in_user_dir(source) else {
            return;
        };
        let owner = crate::sys::user_name(risk.dir_uid).unwrap_or_else(|| risk.dir_uid.to_string());
        self.add(Finding::warning(risk.to_string()).file(source).fix(format!(
            "chown root {}   (if the directory is root's), or: chown {owner} {} and its tables",
            risk.dir.display(),
            source.display()
        )));
    }
    fn run(&mut self, cfg: &PostfixConfig, map: Option<&Path>) {
        self.map = map.map(Path::to_path_buf);
        for (file, w) in cfg.warnings() {
            self.add(
                Finding::note(format!("Postfix warns: {}", w.message))
                    .file(&file)
                    .at(w.line),
            );
        }
        if let Some((name, line)) = crate::postfix::redirect::ignored_setting(cfg) {
            self.add(
                Finding::note(format!(
                    "{name} is set, but this Postfix ({}) does not know it: it has no effect (postconf warns \"unused parameter\"); ccert ignores it too",
                    cfg.release()
                ))
                .file(&cfg.main_cf_path())
                .at(line),
            );
        }
        let smtpd: Vec<&Service> = cfg.services().iter().filter(|s| s.is_smtpd()).collect();
        let scopes: Vec<Scope> = if smtpd.is_empty() {
            vec![Scope { service: None }]
        } else {
            smtpd.iter().map(|s| Scope { service: Some(s) }).collect()
        };
        self.check_legacy_fingerprints(cfg);
        self.check_later_settings(cfg);
        let mut digests: Vec<DigestUse> = Vec::new();
        let mut verdicts = 0usize;
        let mut relaying: Vec<&Service> = Vec::new();
        let mut inert_only: Vec<String> = Vec::new();
        let mut asks_only: Vec<String> = Vec::new();
        for scope in &scopes {
            let permits = LISTS
                .iter()
                .any(|l| relay_items(&restrictions::items(&scope.value(cfg, l))));
            if permits && let Some(why) = scope.inert(cfg) {
                let id = scope.id().unwrap_or_default();
                self.add(
                    Finding::note(format!(
                        "{PERMIT_CERTS} is inert here ({why}); certificate clients should use a submission service"
                    ))
                    .file(&cfg.master_cf_path())
                    .line(scope.service.map(|s| s.line))
                    .service(scope.id())
                    .relay(false),
                );
                inert_only.push(id);
                continue;
            }
            let before = self.findings.len();
            self.check_lists(cfg, scope, permits);
            if !permits {
                if self.findings.len() == before && self.check_asks_only(cfg, scope) {
                    asks_only.push(scope.id().unwrap_or_else(|| "main.cf".to_string()));
                }
                continue;
            }
            self.check_tls(cfg, scope);
            self.check_loglevel(cfg, scope);
            let digest = scope.value(cfg, "smtpd_tls_fingerprint_digest");
            let origin = scope.origin(cfg, "smtpd_tls_fingerprint_digest");
            let default = origin == Origin::Default;
            let id = scope.id().unwrap_or_else(|| "main.cf".to_string());
            let at = (scope.id(), origin, scope.service.map(|s| s.line));
            match digests.iter_mut().find(|d| d.digest == digest) {
                Some(d) => {
                    d.services.push(id);
                    d.default &= default;
                    d.origins.push(at);
                }
                None => digests.push(DigestUse {
                    digest,
                    services: vec![id],
                    default,
                    origins: vec![at],
                }),
            }
            let verdict = self.verdict(cfg, scope);
            verdicts += 1;
            relaying.extend(scope.service);
            let finding = if verdict.relay {
                Finding::note(format!(
                    "a client with a listed certificate can relay here: {}",
                    verdict.why
                ))
            } else if verdict.only_empty {
                Finding::warning(format!(
                    "no client can relay with a certificate here yet: the table has no entries ({})",
                    verdict.why
                ))
            } else {
                Finding::error(format!(
                    "no client can relay with a certificate here: {}",
                    verdict.why
                ))
            };
            let mut finding = finding
                .file(&cfg.master_cf_path())
                .line(scope.service.map(|s| s.line))
                .service(scope.id())
                .relay(verdict.relay);
            finding.fix = verdict.fix;
            self.add(finding);
            self.check_deny(cfg, scope);
        }
        if verdicts == 0 && !asks_only.is_empty() {
            // The warnings above name the list to change.
            self.add(
                Finding::error(format!(
                    "no client can relay with a certificate: {} ask(s) for client certificates, but no restriction list lets them relay (see above)",
                    asks_only.join(", ")
                ))
                .file(&cfg.master_cf_path()),
            );
        } else if verdicts == 0 {
            let message = if inert_only.is_empty() {
                format!(
                    "no smtpd service has {PERMIT_CERTS} (or {CHECK_CCERT}) in a restriction list: no client can relay with a certificate"
                )
            } else {
                format!(
                    "{PERMIT_CERTS} appears only where it is inert ({}): no client can relay with a certificate",
                    inert_only.join(", ")
                )
            };
            self.add(
                Finding::error(message)
                    .file(&cfg.master_cf_path())
                    .fix(
                        "add a submission service to master.cf that permits certificate clients; `ccert server-config` prints it, e.g.\n\
                         submission inet n - y - - smtpd -o smtpd_tls_security_level=encrypt -o smtpd_tls_ask_ccert=yes -o smtpd_relay_restrictions=permit_tls_clientcerts,reject",
                    ),
            );
        }
        self.check_trust_server_ccerts(cfg, &scopes);
        self.check_shared_tickets(cfg, &relaying);
        if digests.is_empty() {
            let main = Scope { service: None };
            digests.push(DigestUse {
                digest: cfg.get("smtpd_tls_fingerprint_digest").unwrap_or_default(),
                services: vec!["main.cf".to_string()],
                default: !cfg.is_set("smtpd_tls_fingerprint_digest"),
                origins: vec![(None, main.origin(cfg, "smtpd_tls_fingerprint_digest"), None)],
            });
        }
        let mut algorithms = Vec::new();
        for d in &digests {
            match d.digest.trim().parse::<DigestAlgorithm>() {
                Ok(a) => algorithms.push((a, d)),
                Err(_) => self.add(Finding::error(format!(
                        "smtpd_tls_fingerprint_digest = {} (for {}): unknown digest; Postfix disables TLS for it and no entry can match",
                        d.digest,
                        d.services.join(", ")
                    )).file(&cfg.main_cf_path()).line(cfg.main_cf_line("smtpd_tls_fingerprint_digest")).fix("smtpd_tls_fingerprint_digest = sha256".to_string())),
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
            self.check_rotations(&source);
            self.check_ownership(&source);
        }
        let smtpd_digests: Vec<DigestAlgorithm> = algorithms.iter().map(|(a, _)| *a).collect();
        self.check_postscreen_digest(cfg, &smtpd_digests);
        self.check_access_values(cfg);
    }
}

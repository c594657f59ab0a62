//! The audit behind `ccert doctor`: checks the client-certificate relay
//! setup of a Postfix configuration — main.cf, master.cf, the
//! relay_clientcerts tables and their source files. Each [`Finding`] names the
//! file (and line or service), what is wrong, and the line that fixes it.
//!
//! * [`settings`]: restriction lists and TLS prerequisites per smtpd service.
//! * [`tables`]: relay_clientcerts tables (type, presence, age).
//! * [`entries`]: the source entries (digest length, duplicates, expiry).
//! * [`logging`]: whether smtpd logs the client fingerprints `ccert log` reads.

mod entries;
mod logging;
mod settings;
mod tables;

use std::collections::HashSet;
use std::path::Path;

use serde::Serialize;

use crate::cert::DigestAlgorithm;
use crate::postfix::restrictions::{self, LISTS, PERMIT_CERTS};
use crate::postfix::{PostfixConfig, Service};

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

/// Audits a loaded configuration; never fails (problems become findings).
/// `map` is the clientcerts source named with `--map`, if any.
pub fn audit(cfg: &PostfixConfig, map: Option<&Path>) -> Vec<Finding> {
    let mut doctor = Doctor::default();
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
                self.check_loglevel(cfg, scope);
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
}

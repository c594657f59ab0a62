//! Restriction lists and TLS prerequisites of each smtpd service.

use std::path::{Path, PathBuf};

use crate::postfix::restrictions::{
    self, CHECK_CCERT, LISTS, PERMIT_CERTS, PERMIT_SASL, first_refusing, with_certs_permitted,
};
use crate::postfix::{PostfixConfig, master_cf::brace_if_needed};

use super::{Doctor, Finding, Origin, Scope, Severity};

impl Doctor {
    /// Where to write `name = value` for a scope: the fix text and its location.
    pub(super) fn fix_setting(
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

    pub(super) fn check_lists(&mut self, cfg: &PostfixConfig, scope: &Scope, uses_certs: bool) {
        let sasl = scope.is_yes(cfg, "smtpd_sasl_auth_enable");
        // A service that asks for certificates means them for relaying
        // (the public MX may ask just to log them).
        let asks = (scope.is_yes(cfg, "smtpd_tls_ask_ccert")
            || scope.is_yes(cfg, "smtpd_tls_req_ccert"))
            && !scope.service.is_some_and(super::is_port_25);
        for list in LISTS {
            let items = restrictions::items(&scope.value(cfg, list));
            let certs_at = items
                .iter()
                .position(|i| i == PERMIT_CERTS || i == CHECK_CCERT);
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
                (None, _)
                    if items.iter().any(|i| i == PERMIT_SASL) && (sasl || uses_certs || asks) =>
                {
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
            self.add(
                Finding::new(severity, message)
                    .file(&file)
                    .line(line)
                    .service(service)
                    .fix(fix),
            );
        }
    }

    pub(super) fn check_tls(&mut self, cfg: &PostfixConfig, scope: &Scope) {
        let id = scope.id();
        let ask =
            scope.is_yes(cfg, "smtpd_tls_ask_ccert") || scope.is_yes(cfg, "smtpd_tls_req_ccert");
        if !ask {
            let (file, line, fix) = self.fix_setting(cfg, scope, "smtpd_tls_ask_ccert", "yes");
            self.add(Finding::error(format!(
                    "{PERMIT_CERTS} is used but smtpd_tls_ask_ccert = no: smtpd never asks the client for a certificate"
                )).file(&file).line(line).service(id.clone()).fix(fix));
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
            self.add(Finding::error(format!(
                    "{PERMIT_CERTS} is used but TLS is off (smtpd_tls_security_level = {}{}): no certificate can be presented",
                    if level.is_empty() { "(empty)" } else { &level },
                    if level.is_empty() { ", smtpd_use_tls = no" } else { "" }
                )).file(&file).line(line).service(id.clone()).fix(fix));
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
                self.add(Finding::error("TLS is on but no server certificate is configured (smtpd_tls_chain_files and smtpd_tls_cert_file are empty): smtpd cannot offer STARTTLS".to_string()).file(&cfg.main_cf_path()).service(id.clone()).fix(format!(
                        "add to main.cf: smtpd_tls_chain_files = {}/{host}.pem (key then certificate chain in one PEM file)",
                        cfg.config_dir.display()
                    )));
            }
        }
        for p in cert_params.iter().chain(&["smtpd_tls_key_file"]) {
            let value = scope.value(cfg, p);
            for file in value.split([',', ' ', '\t']).filter(|f| !f.is_empty()) {
                if Path::new(file).is_absolute() && !Path::new(file).exists() {
                    let key = format!("missing|{p}|{file}");
                    if self.reported.insert(key) {
                        self.add(
                            Finding::warning(format!(
                                "{p} names {file}, which does not exist on this machine"
                            ))
                            .file(Path::new(file))
                            .service(id.clone())
                            .fix(format!("create {file} or correct {p}")),
                        );
                    }
                }
            }
        }
    }
}

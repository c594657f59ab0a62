//! Restriction lists and TLS prerequisites of each smtpd service.

use std::path::{Path, PathBuf};

use crate::postfix::restrictions::{
    self, CHECK_CCERT, LISTS, PERMIT_CERTS, PERMIT_SASL, first_refusing,
};
use crate::postfix::{PostfixConfig, master_cf::brace_if_needed};

use super::relay::{PERMIT_ALL, with_args};
use super::{Doctor, Finding, Origin, Scope, Severity};

/// A restriction that lets a certificate client pass.
fn is_cert_item(item: &str) -> bool {
    item == PERMIT_CERTS || item == CHECK_CCERT || item == PERMIT_ALL
}

/// The list with its certificate restrictions in front of the first
/// refusal: `permit_tls_clientcerts` and `check_ccert_access TABLE` after
/// it move before it, a `permit_tls_all_clientcerts` after it is replaced by
/// `permit_tls_clientcerts` (doctor never proposes admitting every
/// certificate a CA trusts), and `permit_tls_clientcerts` is added when no
/// certificate restriction is left before the refusal.
pub(super) fn certs_before_refusal(items: &[String]) -> Vec<String> {
    let groups = with_args(items);
    let Some(r) = groups
        .iter()
        .position(|(i, _)| restrictions::REFUSING.contains(&i.as_str()))
    else {
        let mut out = items.to_vec();
        if !items.iter().any(|i| is_cert_item(i)) {
            out.push(PERMIT_CERTS.to_string());
        }
        return out;
    };
    let mut before: Vec<(String, Option<String>)> = groups[..r].to_vec();
    let mut after = Vec::new();
    let mut moved = Vec::new();
    for (item, arg) in &groups[r..] {
        match item.as_str() {
            PERMIT_CERTS | CHECK_CCERT => moved.push((item.clone(), arg.clone())),
            PERMIT_ALL => moved.push((PERMIT_CERTS.to_string(), None)),
            _ => after.push((item.clone(), arg.clone())),
        }
    }
    for m in moved {
        if !before.contains(&m) {
            before.push(m);
        }
    }
    if !before.iter().any(|(i, _)| is_cert_item(i)) {
        before.push((PERMIT_CERTS.to_string(), None));
    }
    before
        .into_iter()
        .chain(after)
        .flat_map(|(i, a)| std::iter::once(i).chain(a))
        .collect()
}

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
            let certs_at = items.iter().position(|i| is_cert_item(i));
            let refusing = first_refusing(&items);
            let problem = match (certs_at, refusing) {
                (Some(c), Some(r)) if r < c => Some((
                    Severity::Error,
                    format!(
                        "{list}: {} comes after {}, so relaying clients are refused before their certificate is checked",
                        items[c], items[r]
                    ),
                )),
                (None, Some(r)) if uses_certs => Some((
                    Severity::Error,
                    format!(
                        "{list} has no {PERMIT_CERTS}: its {} refuses certificate clients that a certificate restriction permits elsewhere in this service",
                        items[r]
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
            let fixed = certs_before_refusal(&items);
            let (file, line, service, fix) = self.list_fix(cfg, scope, list, &fixed);
            self.add(
                Finding::new(severity, message)
                    .file(&file)
                    .line(line)
                    .service(service)
                    .fix(fix),
            );
        }
    }

    /// A service (not the port-25 MX) that asks for client certificates
    /// while no restriction list lets them relay: the request is wasted.
    /// Returns whether it reported one.
    pub(super) fn check_asks_only(&mut self, cfg: &PostfixConfig, scope: &Scope) -> bool {
        if scope.service.is_some_and(super::is_port_25)
            || !scope.is_yes(cfg, "smtpd_tls_ask_ccert")
            || scope.value(cfg, "smtpd_tls_security_level").trim() == "none"
        {
            return false;
        }
        let list = "smtpd_relay_restrictions";
        let origin = scope.origin(cfg, list);
        if !self
            .reported
            .insert(format!("asks|{list}|{origin:?}|{:?}", scope.id()))
        {
            return false;
        }
        let items = restrictions::items(&scope.value(cfg, list));
        let fixed = certs_before_refusal(&items);
        let (file, line, service, fix) = self.list_fix(cfg, scope, list, &fixed);
        self.add(
            Finding::warning(format!(
                "smtpd_tls_ask_ccert = yes, but no restriction list has {PERMIT_CERTS} or {CHECK_CCERT}: the certificates smtpd asks for let nobody relay here"
            ))
            .file(&file)
            .line(line)
            .service(service)
            .fix(fix),
        );
        true
    }

    pub(super) fn check_tls(&mut self, cfg: &PostfixConfig, scope: &Scope) {
        let id = scope.id();
        let level = scope
            .value(cfg, "smtpd_tls_security_level")
            .trim()
            .to_ascii_lowercase();
        // smtpd asks with smtpd_tls_ask_ccert, or when it requires a
        // certificate: smtpd_tls_req_ccert at level encrypt only.
        let enforce = match level.as_str() {
            "" => scope.is_yes(cfg, "smtpd_enforce_tls"),
            "none" | "may" => false,
            _ => true,
        };
        let req = scope.is_yes(cfg, "smtpd_tls_req_ccert");
        let ask = scope.is_yes(cfg, "smtpd_tls_ask_ccert") || (enforce && req);
        if !ask {
            let (file, line, fix) = self.fix_setting(cfg, scope, "smtpd_tls_ask_ccert", "yes");
            let message = if req {
                format!(
                    "{PERMIT_CERTS} is used but smtpd never asks the client for a certificate: smtpd_tls_ask_ccert = no, and smtpd_tls_req_ccert = yes has no effect below security level encrypt (Postfix logs \"Can't require client certs unless TLS is required\")"
                )
            } else {
                format!(
                    "{PERMIT_CERTS} is used but smtpd_tls_ask_ccert = no: smtpd never asks the client for a certificate"
                )
            };
            self.add(
                Finding::error(message)
                    .file(&file)
                    .line(line)
                    .service(id.clone())
                    .fix(fix),
            );
        }
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
                self.add(Finding::error("TLS is on but no server certificate is configured (smtpd_tls_chain_files and smtpd_tls_cert_file are empty): smtpd cannot offer STARTTLS".to_string()).file(&cfg.main_cf_path()).fix(format!(
                        "create the server's key and certificate chain in one PEM file, e.g. {}/{host}.pem, and name it in main.cf: smtpd_tls_chain_files = {}/{host}.pem",
                        cfg.config_dir.display(),
                        cfg.config_dir.display()
                    )));
            }
        }
        if !tls {
            return;
        }
        for file in self.missing_cert_files(cfg, scope) {
            let key = format!("missing|{file}");
            if self.reported.insert(key) {
                let why = match std::fs::metadata(&file) {
                    Ok(_) => "cannot be read",
                    Err(_) => "does not exist",
                };
                self.add(
                    Finding::error(format!(
                        "the server certificate or key {file} {why}: smtpd cannot start TLS (STARTTLS answers 454), so no client can present a certificate"
                    ))
                    .file(Path::new(&file))
                    .fix(format!("create {file} (or name the right file in main.cf)")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::certs_before_refusal;

    fn v(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    #[test]
    fn certificate_restrictions_move_before_the_refusal() {
        let cases = [
            (
                "permit_mynetworks,reject_unauth_destination,permit_tls_clientcerts",
                "permit_mynetworks,permit_tls_clientcerts,reject_unauth_destination",
            ),
            (
                "reject_unauth_destination,check_ccert_access,cdb:/a",
                "check_ccert_access,cdb:/a,reject_unauth_destination",
            ),
            (
                "reject,permit_tls_all_clientcerts",
                "permit_tls_clientcerts,reject",
            ),
            (
                "permit_sasl_authenticated,reject",
                "permit_sasl_authenticated,permit_tls_clientcerts,reject",
            ),
            (
                "permit_sasl_authenticated",
                "permit_sasl_authenticated,permit_tls_clientcerts",
            ),
        ];
        for (from, to) in cases {
            assert_eq!(certs_before_refusal(&v(from)), v(to), "{from}");
        }
    }
}

//! TLS settings besides smtpd's own that touch certificate relaying, each
//! checked against the release that reads it (docs/postfix-releases.md):
//!
//! * the digest postscreen's STARTTLS computes client fingerprints with:
//!   `tlsproxy_tls_fingerprint_digest` through 3.11, postscreen's own
//!   `postscreen_tls_fingerprint_digest` from 3.12. It never decides
//!   relaying (postscreen does not evaluate smtpd's restrictions; a client
//!   that passed its tests talks to smtpd, which does its own TLS with
//!   `smtpd_tls_fingerprint_digest`), but the fingerprints tlsproxy logs
//!   for postscreen's sessions are in that digest;
//! * `tls_trust_server_ccerts` (3.12) next to `permit_tls_all_clientcerts`;
//! * `tls_legacy_public_key_fingerprints`, without effect from 3.9 and
//!   gone from 3.11;
//! * session tickets shared between the smtpd services of one master.cf
//!   (before 3.12).

use crate::cert::DigestAlgorithm;
use crate::postfix::restrictions::{self, LISTS, PERMIT_CERTS};
use crate::postfix::{PostfixConfig, Service};

use super::relay::PERMIT_ALL;
use super::{Doctor, Finding, Scope};

/// What postscreen's STARTTLS computes fingerprints with, when it asks for
/// client certificates at all.
struct PostscreenTls<'a> {
    /// The parameter that decides the digest.
    param: &'static str,
    /// Its effective value.
    digest: String,
    /// The master.cf service whose `-o` overrides apply (postscreen's from
    /// 3.12, tlsproxy's before), if it is in master.cf.
    service: Option<&'a Service>,
}

/// The digest postscreen's STARTTLS uses, or `None` when postscreen is not
/// in master.cf, offers no TLS, or does not ask for client certificates (then
/// it computes no client fingerprint).
fn postscreen_tls(cfg: &PostfixConfig) -> Option<PostscreenTls<'_>> {
    let postscreen = cfg.services().iter().find(|s| s.command == "postscreen")?;
    let level = cfg
        .effective_for_service(postscreen, "postscreen_tls_security_level")
        .unwrap_or_default();
    let level = level.trim();
    if level.is_empty() || level == "none" {
        return None;
    }
    let yes = |s: Option<&Service>, name: &str| {
        s.map_or_else(|| cfg.get(name), |s| cfg.effective_for_service(s, name))
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"))
    };
    // From 3.12 postscreen hands its own settings to tlsproxy
    // (postscreen_tls_conf.c); before, tlsproxy used its tlsproxy_tls_*.
    let (service, prefix, param) = if cfg.release().has_postscreen_tls() {
        (
            Some(postscreen),
            "postscreen_tls",
            "postscreen_tls_fingerprint_digest",
        )
    } else {
        (
            cfg.services().iter().find(|s| s.command == "tlsproxy"),
            "tlsproxy_tls",
            "tlsproxy_tls_fingerprint_digest",
        )
    };
    let encrypt = level == "encrypt";
    let asks = yes(service, &format!("{prefix}_ask_ccert"))
        || (encrypt && yes(service, &format!("{prefix}_req_ccert")));
    if !asks {
        return None;
    }
    let digest = service
        .map_or_else(|| cfg.get(param), |s| cfg.effective_for_service(s, param))
        .unwrap_or_default();
    Some(PostscreenTls {
        param,
        digest: digest.trim().to_ascii_lowercase(),
        service,
    })
}

impl Doctor {
    /// postscreen's fingerprint digest against the table entries' (or,
    /// without entries, the smtpd services'). `smtpd` are the digests of the
    /// smtpd services that permit certificates.
    pub(super) fn check_postscreen_digest(
        &mut self,
        cfg: &PostfixConfig,
        smtpd: &[DigestAlgorithm],
    ) {
        let Some(ps) = postscreen_tls(cfg) else {
            return;
        };
        let wanted: Vec<DigestAlgorithm> = if self.entry_digests.is_empty() {
            smtpd.to_vec()
        } else {
            self.entry_digests.iter().copied().collect()
        };
        let Ok(alg) = ps.digest.parse::<DigestAlgorithm>() else {
            return self.add(
                Finding::warning(format!(
                    "{} = {}: unknown digest; tlsproxy cannot start TLS for postscreen's STARTTLS",
                    ps.param, ps.digest
                ))
                .file(&cfg.main_cf_path())
                .line(cfg.main_cf_line(ps.param))
                .fix(format!("{} = sha256", ps.param)),
            );
        };
        if wanted.is_empty() || wanted.contains(&alg) {
            return;
        }
        let want = wanted[0];
        let of = if self.entry_digests.is_empty() {
            "the smtpd services' digest"
        } else {
            "the table entries"
        };
        let mut finding = Finding::warning(format!(
            "{} = {alg}{}, but {of} are {want}: this does not decide relaying (postscreen hands the \
             client to smtpd, which fingerprints with smtpd_tls_fingerprint_digest), but the fingerprints \
             tlsproxy logs for postscreen's STARTTLS are {alg} and match no entry (ccert log reads only \
             smtpd's lines)",
            ps.param,
            ps.service
                .map(|s| format!(" (for {})", s.id()))
                .unwrap_or_default()
        ));
        let fix = match ps
            .service
            .and_then(|s| s.override_for(ps.param).map(|o| (s, o)))
        {
            Some((s, o)) => {
                finding = finding.file(&cfg.master_cf_path()).at(o.line);
                format!(
                    "change that line of service {} to: -o {}={want}",
                    s.id(),
                    ps.param
                )
            }
            None => {
                finding = finding
                    .file(&cfg.main_cf_path())
                    .line(cfg.main_cf_line(ps.param));
                match cfg.main_cf_line(ps.param) {
                    Some(_) => format!("change that main.cf line to: {} = {want}", ps.param),
                    None => format!("add to main.cf: {} = {want}", ps.param),
                }
            }
        };
        self.add(finding.fix(fix));
    }

    /// `permit_tls_all_clientcerts` and the EKU of client certificates:
    /// on that path OpenSSL verifies a client certificate for the
    /// clientAuth purpose, which a serverAuth-only certificate (what public
    /// CAs issue from 2026) fails; 3.12's `tls_trust_server_ccerts = yes`
    /// verifies those for serverAuth instead (tls_server.c). Fingerprint
    /// entries never look at the EKU or the chain.
    pub(super) fn check_trust_server_ccerts(&mut self, cfg: &PostfixConfig, scopes: &[Scope]) {
        let uses_all = scopes.iter().find(|scope| {
            LISTS.iter().any(|l| {
                restrictions::items(&scope.value(cfg, l))
                    .iter()
                    .any(|i| i == PERMIT_ALL)
            })
        });
        let release = cfg.release();
        let set = cfg.main_cf_line("tls_trust_server_ccerts");
        let Some(scope) = uses_all else {
            if let Some(line) = set
                && release.has_trust_server_ccerts()
                && cfg
                    .get("tls_trust_server_ccerts")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"))
            {
                self.add(
                    Finding::note(format!(
                        "tls_trust_server_ccerts = yes matters only to {PERMIT_ALL} (and the \"Trusted\" status in logs and policy queries): no service here uses it, and fingerprint entries ({PERMIT_CERTS}, check_ccert_access) need no EKU"
                    ))
                    .file(&cfg.main_cf_path())
                    .at(line),
                );
            }
            return;
        };
        let no_eku = "fingerprint entries (permit_tls_clientcerts, check_ccert_access) need no EKU and no CA: listing the client's fingerprint (ccert add CLIENT.pem) admits exactly that client";
        let finding = if !release.has_trust_server_ccerts() {
            Finding::note(format!(
                "{PERMIT_ALL} admits a CA-signed client certificate only when its extended key usage allows clientAuth; public CAs issue serverAuth-only certificates from 2026, which fail here (Postfix 3.12 adds tls_trust_server_ccerts for them); {no_eku}"
            ))
        } else if cfg
            .get("tls_trust_server_ccerts")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"))
        {
            Finding::note(format!(
                "tls_trust_server_ccerts = yes: {PERMIT_ALL} also admits serverAuth-only certificates of every CA smtpd_tls_CAfile trusts (a server certificate of any host under such a CA now relays); {no_eku}"
            ))
        } else {
            Finding::note(format!(
                "{PERMIT_ALL} admits a CA-signed client certificate only when its extended key usage allows clientAuth (tls_trust_server_ccerts = no); public CAs issue serverAuth-only certificates from 2026: tls_trust_server_ccerts = yes accepts them, for every host such a CA certifies; {no_eku}"
            ))
        };
        let finding = match set {
            Some(line) => finding.file(&cfg.main_cf_path()).at(line),
            None => finding.file(&cfg.master_cf_path()),
        };
        self.add(finding.service(scope.id()));
    }

    /// 3.12's TLS settings in a main.cf read by an older Postfix: it ignores
    /// them (postconf warns "unused parameter"), and so does doctor.
    pub(super) fn check_later_settings(&mut self, cfg: &PostfixConfig) {
        let release = cfg.release();
        if release.has_postscreen_tls() {
            return;
        }
        let later: Vec<(String, usize)> = cfg
            .main_cf()
            .params
            .iter()
            .filter(|p| {
                p.name == "tls_trust_server_ccerts"
                    || p.name.ends_with("_tls_loglevel_maps")
                    || (p.name.starts_with("postscreen_tls_")
                        && p.name != "postscreen_tls_security_level")
            })
            .filter(|p| !cfg.knows(&p.name))
            .map(|p| (p.name.clone(), p.line))
            .collect();
        for (name, line) in later {
            self.add(
                Finding::note(format!(
                    "{name} is a Postfix 3.12 setting: this Postfix ({release}) ignores it (postconf warns \"unused parameter\"), and so does ccert"
                ))
                .file(&cfg.main_cf_path())
                .at(line),
            );
        }
    }

    /// `tls_legacy_public_key_fingerprints` still set: without effect
    /// from 3.9, unknown from 3.11 (postconf warns); through 3.8, `yes`
    /// makes smtpd compute public-key fingerprints with Postfix
    /// 2.9.0–2.9.5's wrong algorithm, which ccert's entries never match.
    pub(super) fn check_legacy_fingerprints(&mut self, cfg: &PostfixConfig) {
        let name = "tls_legacy_public_key_fingerprints";
        let mut places: Vec<(std::path::PathBuf, usize, String)> = Vec::new();
        if let Some(line) = cfg.main_cf_line(name) {
            places.push((cfg.main_cf_path(), line, cfg.raw(name).unwrap_or_default()));
        }
        for s in cfg.services() {
            if let Some(o) = s.override_for(name) {
                places.push((cfg.master_cf_path(), o.line, o.value.clone()));
            }
        }
        let release = cfg.release();
        for (file, line, value) in places {
            let yes = value.trim().eq_ignore_ascii_case("yes");
            let (severity, message) = if !release.has_legacy_pubkey_fingerprints() {
                (
                    super::Severity::Warning,
                    format!(
                        "{name} is set, but Postfix {release} no longer knows it (no effect since 3.9, removed in 3.11; postconf warns \"unknown parameter\")"
                    ),
                )
            } else if release >= crate::postfix::Release::new(3, 9) {
                (
                    super::Severity::Warning,
                    format!(
                        "{name} is set, but it has no effect since Postfix 3.9 and is removed in 3.11"
                    ),
                )
            } else if yes {
                (
                    super::Severity::Error,
                    format!(
                        "{name} = yes: smtpd computes public-key fingerprints with Postfix 2.9.0–2.9.5's wrong algorithm, so public-key entries (ccert add --pubkey) never match; certificate fingerprints are not affected"
                    ),
                )
            } else {
                (
                    super::Severity::Note,
                    format!(
                        "{name} = {} is the default; the setting is obsolete from Postfix 3.9",
                        value.trim()
                    ),
                )
            };
            self.add(
                Finding::new(severity, message)
                    .file(&file)
                    .at(line)
                    .fix("delete that line".to_string()),
            );
        }
    }

    /// Before 3.12 every smtpd service of a master.cf accepts the TLS
    /// session tickets the others issue (3.12 binds a ticket to its
    /// service, HISTORY 20260805). A client that resumes, on a service that
    /// asks for certificates, a session made on one that does not, sends no
    /// certificate there: reproduced on 3.7 (the resumed session of a listed
    /// workstation gets 554, a fresh one 250; on 3.12 the ticket is refused).
    /// Reported only for that pair, with tickets on at both: the service's
    /// own `tls_session_ticket_cipher` set and no `NO_TICKET` in its
    /// `tls_ssl_options`, and tlsmgr's `smtpd_tls_session_cache_timeout`
    /// above 0 (tls_server.c asks tlsmgr for the timeout, so a service's
    /// own `-o smtpd_tls_session_cache_timeout=0` changes nothing: checked
    /// on 3.7). The fix, `-o tls_session_ticket_cipher=` on the asking
    /// service, was checked there too (the resumption becomes a full
    /// handshake with the certificate, 250).
    /// `relaying` are the services whose certificates decide relaying.
    pub(super) fn check_shared_tickets(&mut self, cfg: &PostfixConfig, relaying: &[&Service]) {
        if cfg.release().binds_tickets_to_service() {
            return;
        }
        let value = |s: &Service, n: &str| cfg.effective_for_service(s, n).unwrap_or_default();
        let yes = |s: &Service, n: &str| value(s, n).trim().eq_ignore_ascii_case("yes");
        // tlsmgr's timeout: its service's value, else main.cf's.
        let timeout = match cfg.services().iter().find(|s| s.command == "tlsmgr") {
            Some(t) => value(t, "smtpd_tls_session_cache_timeout"),
            None => cfg
                .get("smtpd_tls_session_cache_timeout")
                .unwrap_or_default(),
        };
        let cache = seconds(&timeout).is_some_and(|t| t > 0);
        let tickets = |s: &Service| {
            cache
                && !value(s, "tls_session_ticket_cipher").trim().is_empty()
                && !value(s, "tls_ssl_options")
                    .split([',', ' ', '\t'])
                    .any(|o| o.eq_ignore_ascii_case("no_ticket"))
        };
        let tls = |s: &Service| {
            let level = value(s, "smtpd_tls_security_level");
            match level.trim() {
                "" => {
                    yes(s, "smtpd_use_tls")
                        || yes(s, "smtpd_enforce_tls")
                        || yes(s, "smtpd_tls_wrappermode")
                }
                "none" => false,
                _ => true,
            }
        };
        let asks = |s: &Service| yes(s, "smtpd_tls_ask_ccert") || yes(s, "smtpd_tls_req_ccert");
        for asking in relaying.iter().filter(|s| asks(s) && tickets(s)) {
            let Some(other) = cfg
                .services()
                .iter()
                .filter(|s| s.is_smtpd() && s.id() != asking.id())
                .find(|s| tls(s) && !asks(s) && tickets(s))
            else {
                continue;
            };
            self.add(
                Finding::note(format!(
                    "before Postfix 3.12 the smtpd services of one master.cf accept each other's TLS session tickets: a client that resumes on {} a session made on {} (which asks for no certificate) sends no certificate, and its fingerprint cannot match (Postfix 3.12 binds a ticket to its service)",
                    asking.id(),
                    other.id()
                ))
                .file(&cfg.master_cf_path())
                .at(asking.line)
                .service(asking.id())
                .fix(format!(
                    "add to service {} in master.cf: -o tls_session_ticket_cipher= (it then takes no session tickets, so every client sends its certificate; a service's own smtpd_tls_session_cache_timeout does not turn tickets off, tlsmgr's does)",
                    asking.id()
                )),
            );
        }
    }
}

/// A Postfix time value in seconds (`3600`, `3600s`, `60m`, `1h`, `1d`, `1w`).
fn seconds(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits.parse().ok()?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::seconds;

    #[test]
    fn time_values() {
        assert_eq!(seconds("3600s"), Some(3600));
        assert_eq!(seconds("0"), Some(0));
        assert_eq!(seconds("2h"), Some(7200));
        assert_eq!(seconds("x"), None);
    }
}

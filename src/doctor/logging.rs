//! Whether the services that ask for client certificates log their
//! fingerprints, which `ccert log` needs.
//!
//! smtpd logs `subject_CN=…, fingerprint=…` when its TLS log mask has the
//! peercert or verbose bit (docs/maillog.md). `smtpd_tls_loglevel` is a list of
//! numbers and keywords (Postfix's tls_log_mask table, since 2.11): 2 and
//! above, `debug`, `ssl-expert`, `ssl-developer`, `verbose` and `peercert`
//! include it; 0, 1 and the other keywords do not. `1, peercert` is the
//! narrowest level that shows it: the level-1 summary plus the one
//! fingerprint line (checked on Postfix 3.7 by the live test
//! `learn::log_then_add_by_fingerprint`), without level 2's handshake trace.

use crate::postfix::PostfixConfig;

use super::{Doctor, Finding, Origin, Scope};

/// The setting doctor recommends.
pub const NARROWEST: &str = "1, peercert";

/// Whether a `smtpd_tls_loglevel` value makes smtpd log client fingerprints.
pub fn shows_fingerprints(level: &str) -> bool {
    level
        .split([',', ' ', '\t', '\n'])
        .filter(|w| !w.is_empty())
        .any(|w| match w.parse::<u32>() {
            Ok(n) => n >= 2,
            Err(_) => matches!(
                w.to_ascii_lowercase().as_str(),
                "peercert" | "verbose" | "debug" | "ssl-expert" | "ssl-developer"
            ),
        })
}

impl Doctor {
    pub(super) fn check_loglevel(&mut self, cfg: &PostfixConfig, scope: &Scope) {
        let ask =
            scope.is_yes(cfg, "smtpd_tls_ask_ccert") || scope.is_yes(cfg, "smtpd_tls_req_ccert");
        let level = scope.value(cfg, "smtpd_tls_loglevel");
        if !ask || shows_fingerprints(&level) {
            return;
        }
        // One note for every service that inherits main.cf's level.
        let origin = scope.origin(cfg, "smtpd_tls_loglevel");
        let key = match (&origin, scope.id()) {
            (Origin::Override { .. }, Some(id)) => format!("loglevel {id}"),
            _ => "loglevel main.cf".to_string(),
        };
        if !self.reported.insert(key) {
            return;
        }
        let main_scope = Scope { service: None };
        let target = match origin {
            Origin::Override { .. } => scope,
            _ => &main_scope,
        };
        let (file, line, fix) = self.fix_setting(cfg, target, "smtpd_tls_loglevel", NARROWEST);
        self.add(
            Finding::note(format!(
                "smtpd_tls_loglevel = {}: smtpd does not log the fingerprints of client \
                 certificates, so `ccert log` cannot show them",
                if level.trim().is_empty() {
                    "0"
                } else {
                    level.trim()
                }
            ))
            .file(&file)
            .line(line)
            .service(scope.id())
            .fix(fix),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::shows_fingerprints;

    #[test]
    fn levels() {
        for yes in [
            "2",
            "3",
            "1, peercert",
            "routine,PEERCERT",
            "debug",
            "9",
            "1 verbose",
        ] {
            assert!(shows_fingerprints(yes), "{yes}");
        }
        for no in ["", "0", "1", "routine", "summary, untrusted", "none"] {
            assert!(!shows_fingerprints(no), "{no}");
        }
    }
}

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
//!
//! From 3.12 `smtpd_tls_loglevel_maps` (HISTORY 20260428) sets the level per
//! client name or address (a `cidr:` table: `192.0.2.0/24 1, peercert`), so
//! the fingerprints of the workstations' networks can be logged without
//! raising the level for every MTA that connects; doctor and server-config
//! propose that there instead of a global `smtpd_tls_loglevel`.

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

/// The `cidr:` file doctor and server-config propose for
/// `smtpd_tls_loglevel_maps`.
pub fn loglevel_cidr(cfg: &PostfixConfig) -> String {
    format!("{}/tls_loglevel.cidr", cfg.config_dir.display())
}

/// The example line of that file: a documentation network (RFC 5737) the
/// admin replaces with the workstations' networks.
pub const LOGLEVEL_CIDR_EXAMPLE: &str = "192.0.2.0/24    1, peercert";

/// What `ccert log` says when the log has no client fingerprints: the
/// setting that makes smtpd log them on this release.
pub fn logging_hint(cfg: &PostfixConfig) -> String {
    let maps = cfg
        .get("smtpd_tls_loglevel_maps")
        .filter(|m| cfg.knows("smtpd_tls_loglevel_maps") && !m.trim().is_empty());
    if let Some(maps) = maps {
        format!(
            "smtpd_tls_loglevel_maps = {} sets the level per client: it must list the workstations' \
             networks with a level that logs them, e.g. \"{LOGLEVEL_CIDR_EXAMPLE}\"",
            maps.trim()
        )
    } else if cfg.release().has_loglevel_maps() {
        format!(
            "smtpd logs them at smtpd_tls_loglevel = {NARROWEST}, or on Postfix 3.12 only for the workstations' \
             networks: smtpd_tls_loglevel_maps = cidr:{} with lines such as \"{LOGLEVEL_CIDR_EXAMPLE}\"",
            loglevel_cidr(cfg)
        )
    } else {
        format!("smtpd logs them at smtpd_tls_loglevel = {NARROWEST} (or 2)")
    }
}

/// Whether `smtpd_tls_loglevel_maps = value` raises the level to one that
/// logs fingerprints for some clients: `Some(true)` when a `cidr:` or
/// `texthash:` file of it has such a value, `Some(false)` when every such
/// file was read and none has, `None` when it names tables ccert does not
/// read (then ccert cannot tell).
fn maps_show_fingerprints(value: &str) -> Option<bool> {
    let mut judged = false;
    for t in crate::postfix::restrictions::items(value) {
        let (kind, path) = t.split_once(':')?;
        if !matches!(kind, "cidr" | "texthash") {
            return None;
        }
        let text = crate::fsutil::read_to_string_bounded(
            std::path::Path::new(path),
            crate::fsutil::limits::CONFIG_FILE,
        )
        .ok()?;
        judged = true;
        let shows = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once([' ', '\t']).map(|(_, v)| v.trim()))
            .any(shows_fingerprints);
        if shows {
            return Some(true);
        }
    }
    judged.then_some(false)
}

impl Doctor {
    pub(super) fn check_loglevel(&mut self, cfg: &PostfixConfig, scope: &Scope) {
        let ask =
            scope.is_yes(cfg, "smtpd_tls_ask_ccert") || scope.is_yes(cfg, "smtpd_tls_req_ccert");
        let level = scope.value(cfg, "smtpd_tls_loglevel");
        if !ask || shows_fingerprints(&level) {
            return;
        }
        let per_peer = cfg.knows("smtpd_tls_loglevel_maps");
        let maps = if per_peer {
            scope.value(cfg, "smtpd_tls_loglevel_maps")
        } else {
            String::new()
        };
        if !maps.trim().is_empty() && maps_show_fingerprints(&maps) != Some(false) {
            // Raised for some clients (or in a table ccert does not read).
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
        let (file, line, fix) = if per_peer {
            let cidr = loglevel_cidr(cfg);
            let (file, line, fix) = self.fix_setting(
                cfg,
                target,
                "smtpd_tls_loglevel_maps",
                &format!("cidr:{cidr}"),
            );
            let (_, _, global) = self.fix_setting(cfg, target, "smtpd_tls_loglevel", NARROWEST);
            (
                file,
                line,
                format!(
                    "{fix}\nand list the workstations' networks in {cidr}, e.g.: {LOGLEVEL_CIDR_EXAMPLE}\n\
                     (Postfix 3.12 raises the level only for them; or for every client: {global})"
                ),
            )
        } else {
            self.fix_setting(cfg, target, "smtpd_tls_loglevel", NARROWEST)
        };
        self.add(
            Finding::note(format!(
                "smtpd_tls_loglevel = {}{}: smtpd does not log the fingerprints of client \
                 certificates, so `ccert log` cannot show them",
                if level.trim().is_empty() {
                    "0"
                } else {
                    level.trim()
                },
                if maps.trim().is_empty() {
                    String::new()
                } else {
                    format!(
                        " and smtpd_tls_loglevel_maps = {} raises it for no client",
                        maps.trim()
                    )
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

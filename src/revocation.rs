//! Revocation that sticks: the deny table and certificate revocation lists.
//!
//! Removing an entry from the allow list (`relay_clientcerts`) is not enough:
//! Postfix matches fingerprints without looking at expiry or trust, so a
//! certificate relays wherever a copy of the list still names it (a sync
//! server not yet updated, a second table, a restored backup). A deny table
//! makes the refusal explicit: a `check_ccert_access` table consulted before
//! `permit_tls_clientcerts`, whose entries are `FINGERPRINT REJECT text` for
//! the certificate and its public-key fingerprint. smtpd looks both up
//! (cert_fingerprint, then pkey_fingerprint), and the first list item that
//! decides wins, so a REJECT before the permit refuses the certificate even
//! while a stale allow list still names it.
//!
//! * [`walk`] reads one service's restriction lists as smtpd evaluates them
//!   (client, helo, sender, relay, recipient) and finds the certificate
//!   permit, the deny tables before it (any `check_ccert_access` table other
//!   than the allow list that smtpd reaches before the permit: earlier in
//!   its list, or in an earlier list), and those that come after the permit
//!   in its own list (never
//!   reached for a listed certificate: doctor calls them an error).
//! * [`targets`] does that for every smtpd service that asks for client
//!   certificates, from the effective configuration (main.cf plus master.cf
//!   `-o` overrides), with each service's fingerprint digest.
//! * [`Crl`] reads a DER or PEM certificate revocation list and says whether
//!   it names a certificate (its issuer and serial number).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::cert::{Certificate, DigestAlgorithm};
use crate::maps::same_file;
use crate::postfix::restrictions::{self, CHECK_CCERT, PERMIT_CERTS};
use crate::postfix::{PostfixConfig, Service, TableRef};

/// The file name `server-config` proposes for the deny table, in
/// `$config_directory`.
pub const DENY_TABLE: &str = "revoked_clientcerts";

/// The action and text of a deny entry: smtpd answers `554 5.7.1 … text`.
pub const REJECT: &str = "REJECT client certificate revoked";

/// The longest `--reason` text: an SMTP reply line has room for about 500
/// bytes (RFC 5321), and the reply code, enhanced status and the fixed text
/// come first.
pub const MAX_REASON: usize = 200;

use crate::postfix::restrictions::{PERMIT_ALL, RCPT_LISTS};

/// Why a `--reason` cannot go into a deny entry.
#[derive(Debug, thiserror::Error)]
pub enum ReasonError {
    /// Too long for an SMTP reply.
    #[error("longer than {MAX_REASON} bytes (it becomes part of an SMTP reply line)")]
    TooLong,
    /// Not printable ASCII: a line break would end the table entry, and an
    /// SMTP reply is ASCII.
    #[error(
        "only printable ASCII is allowed (no line breaks, tabs or other control characters): it becomes part of an SMTP reply"
    )]
    NotPrintable,
}

/// The value of a deny entry: [`REJECT`], with `: reason` when given.
pub fn reject_value(reason: Option<&str>) -> Result<String, ReasonError> {
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(REJECT.to_string());
    };
    if reason.len() > MAX_REASON {
        return Err(ReasonError::TooLong);
    }
    if !reason.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(ReasonError::NotPrintable);
    }
    Ok(format!("{REJECT}: {reason}"))
}

/// One service's restriction lists, as far as revocation cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// The list holding the first certificate permit (`permit_tls_clientcerts`,
    /// `permit_tls_all_clientcerts`, or `check_ccert_access` on the allow
    /// list), if any.
    pub permit_list: Option<String>,
    /// That list's items.
    pub permit_items: Vec<String>,
    /// The permit's index in [`Walk::permit_items`].
    pub permit_at: usize,
    /// The `check_ccert_access` tables (other than the allow list) smtpd
    /// reaches before the permit: a REJECT there refuses the certificate.
    pub deny: Vec<String>,
    /// The `check_ccert_access` tables after the permit in its own list:
    /// never reached for a certificate the permit admits.
    pub after: Vec<String>,
}

impl Walk {
    /// Whether a certificate restriction admits clients here.
    pub fn permits(&self) -> bool {
        self.permit_list.is_some()
    }

    /// The deny table to write: the one named [`DENY_TABLE`], else the first.
    pub fn deny_table(&self) -> Option<&str> {
        self.deny
            .iter()
            .find(|t| is_deny_name(t))
            .or_else(|| self.deny.first())
            .map(String::as_str)
    }
}

/// Whether a table reference names a file called [`DENY_TABLE`].
pub fn is_deny_name(spec: &str) -> bool {
    TableRef::parse(spec)
        .source()
        .is_some_and(|s| s.file_name().is_some_and(|n| n == DENY_TABLE))
}

/// Walks one service's lists; `value` gives the effective value of a
/// parameter for it, `allow` the allow-list sources (a `check_ccert_access`
/// on one of them is a permit, not a deny table).
pub fn walk(value: &dyn Fn(&str) -> String, allow: &[PathBuf]) -> Walk {
    let mut out = Walk::default();
    let is_allow = |spec: &str| {
        TableRef::parse(spec)
            .source()
            .is_some_and(|s| allow.iter().any(|a| a == &s || same_file(a, &s)))
    };
    for list in RCPT_LISTS {
        let items = restrictions::items(&value(list));
        let mut permit_here = false;
        for (at, item, arg) in restrictions::with_args(&items) {
            let cert_permit = item == PERMIT_CERTS
                || item == PERMIT_ALL
                || (item == CHECK_CCERT
                    && arg.is_some_and(|a| is_allow(&restrictions::access_table(a))));
            if cert_permit {
                if out.permit_list.is_none() {
                    out.permit_list = Some(list.to_string());
                    out.permit_items = items.clone();
                    out.permit_at = at;
                }
                permit_here = true;
                continue;
            }
            if item == CHECK_CCERT {
                let table = restrictions::access_table(arg.unwrap_or(""));
                if permit_here {
                    out.after.push(table);
                } else if out.permit_list.is_none() && !out.deny.contains(&table) {
                    // Only a table before the permit is a deny table: one in
                    // a later list is some other access check, not ours to
                    // write REJECTs into.
                    out.deny.push(table);
                }
                continue;
            }
            // An unconditional permit or refusal ends the list.
            if !permit_here && (item == "permit" || restrictions::REFUSING.contains(&item)) {
                break;
            }
        }
    }
    out
}

/// `items` with `check_ccert_access TABLE` right before the permit at `at`
/// (moved there when it stood after it).
pub fn with_deny(items: &[String], at: usize, table: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        if i == at {
            out.push(CHECK_CCERT.to_string());
            out.push(table.to_string());
        }
        if items[i] == CHECK_CCERT
            && items
                .get(i + 1)
                .is_some_and(|a| restrictions::access_table(a) == table)
        {
            i += 2;
            continue;
        }
        out.push(items[i].clone());
        i += 1;
    }
    out
}

/// A list's items as main.cf writes them: `, ` between items, a table
/// argument after its restriction with a space.
pub fn join_main(items: &[String]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            let after_check = items[i - 1].starts_with("check_") && !item.starts_with("check_");
            out.push_str(if after_check { " " } else { ", " });
        }
        out.push_str(item);
    }
    out
}

/// The deny table to propose: `$config_directory/revoked_clientcerts`, of
/// the type of the allow list's table when ccert builds that type, else
/// default_database_type when this Postfix opens it, else lmdb (cdb, hash).
pub fn proposed(cfg: &PostfixConfig) -> String {
    proposed_as(cfg, None)
}

/// [`proposed`], of type `kind` when given (the type `server-config`
/// proposes for the allow list) and ccert builds it.
pub fn proposed_as(cfg: &PostfixConfig, kind: Option<&str>) -> String {
    let path = cfg.config_dir.join(DENY_TABLE);
    let buildable = |t: &str| matches!(t, "hash" | "lmdb" | "cdb");
    let relay = cfg.get("relay_clientcerts").unwrap_or_default();
    let default = cfg.get("default_database_type").unwrap_or_default();
    let kind = kind
        .filter(|k| buildable(k))
        .map(str::to_string)
        .or_else(|| {
            restrictions::items(&relay).iter().find_map(|i| {
                TableRef::parse(i)
                    .table_type
                    .map(|t| t.name().to_string())
                    .filter(|t| buildable(t))
            })
        })
        .or_else(|| {
            let d = default.trim();
            (buildable(d) && cfg.supports_type(d)).then(|| d.to_string())
        })
        .unwrap_or_else(|| {
            ["lmdb", "cdb", "hash"]
                .into_iter()
                .find(|t| cfg.supports_type(t))
                .unwrap_or("lmdb")
                .to_string()
        });
    format!("{kind}:{}", path.display())
}

/// One smtpd service (or main.cf alone) that admits certificate clients.
#[derive(Debug, Clone)]
pub struct Target {
    /// The master.cf service (`name/type`), `None` for main.cf alone.
    pub service: Option<String>,
    /// Its fingerprint digest.
    pub digest: DigestAlgorithm,
    /// Its lists.
    pub walk: Walk,
    /// Where the permit's list is set, for the fix: `master.cf line N` or
    /// `main.cf line N`, `None` when it is Postfix's default.
    pub set_at: Option<(PathBuf, usize, bool)>,
}

impl Target {
    /// The line that puts `table` before the permit, as the place the list
    /// comes from writes it.
    pub fn fix(&self, table: &str) -> String {
        let list = self.walk.permit_list.as_deref().unwrap_or_default();
        let items = with_deny(&self.walk.permit_items, self.walk.permit_at, table);
        match &self.set_at {
            Some((file, line, true)) => format!(
                "{}, line {line} ({}): -o {}",
                file.display(),
                self.service.as_deref().unwrap_or_default(),
                crate::postfix::master_cf::brace_if_needed(&format!("{list}={}", items.join(",")))
            ),
            Some((file, line, false)) => format!(
                "{}, line {line}: {list} = {}",
                file.display(),
                join_main(&items)
            ),
            None => format!("main.cf: {list} = {}", join_main(&items)),
        }
    }
}

/// Whether a service asks clients for a certificate (`smtpd_tls_ask_ccert`,
/// or `smtpd_tls_req_ccert` at security level encrypt).
fn asks(value: &dyn Fn(&str) -> String) -> bool {
    let yes = |n: &str| value(n).trim().eq_ignore_ascii_case("yes");
    let level = value("smtpd_tls_security_level")
        .trim()
        .to_ascii_lowercase();
    yes("smtpd_tls_ask_ccert")
        || (yes("smtpd_tls_req_ccert") && !matches!(level.as_str(), "" | "none" | "may"))
}

/// The allow-list sources a service's `relay_clientcerts` names, plus `allow`.
fn allow_sources(value: &dyn Fn(&str) -> String, allow: &Path) -> Vec<PathBuf> {
    let mut out = vec![allow.to_path_buf()];
    for item in restrictions::items(&value("relay_clientcerts")) {
        if let Some(s) = TableRef::parse(&item).source() {
            out.push(s);
        }
    }
    out
}

/// Every smtpd service that asks for client certificates and admits them
/// (main.cf alone when master.cf has no smtpd service), with its lists;
/// `allow` is the allow-list source being edited.
pub fn targets(cfg: &PostfixConfig, allow: &Path) -> Vec<Target> {
    let smtpd: Vec<&Service> = cfg.services().iter().filter(|s| s.is_smtpd()).collect();
    let mut out = Vec::new();
    let fallback = cfg
        .fingerprint_digest()
        .ok()
        .flatten()
        .unwrap_or(DigestAlgorithm::Sha256);
    if smtpd.is_empty() {
        let value = |n: &str| cfg.get(n).unwrap_or_default();
        if asks(&value) {
            let walk = walk(&value, &allow_sources(&value, allow));
            if walk.permits() {
                let list = walk.permit_list.clone().unwrap_or_default();
                out.push(Target {
                    service: None,
                    digest: fallback,
                    set_at: cfg
                        .main_cf_line(&list)
                        .map(|l| (cfg.main_cf_path(), l, false)),
                    walk,
                });
            }
        }
        return out;
    }
    for s in smtpd {
        let value = |n: &str| cfg.effective_for_service(s, n).unwrap_or_default();
        if !asks(&value) {
            continue;
        }
        let walk = walk(&value, &allow_sources(&value, allow));
        if !walk.permits() {
            continue;
        }
        let list = walk.permit_list.clone().unwrap_or_default();
        let set_at = match s.override_for(&list) {
            Some(o) => Some((cfg.master_cf_path(), o.line, true)),
            None => cfg
                .main_cf_line(&list)
                .map(|l| (cfg.main_cf_path(), l, false)),
        };
        out.push(Target {
            service: Some(s.id()),
            digest: cfg.service_digest(s).unwrap_or(fallback),
            walk,
            set_at,
        });
    }
    out
}

/// A certificate revocation list, as far as revocation needs it: the
/// issuer and the serial numbers it names.
#[derive(Debug, Clone)]
pub struct Crl {
    /// The issuer, in the one-line form certificates show
    /// ([`crate::cert::name::format_name`]).
    pub issuer: String,
    /// The revoked serial numbers (INTEGER contents without leading zeros).
    serials: HashSet<Vec<u8>>,
}

/// Why a file is not a CRL ccert can read.
#[derive(Debug, thiserror::Error)]
pub enum CrlError {
    /// It could not be read (or is too large, or not a regular file).
    #[error("{}: cannot read the CRL", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A PEM file whose blocks are damaged.
    #[error("{}, line {}", path.display(), source.line())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: crate::cert::pem::PemError,
    },
    /// Neither a DER CRL nor a PEM `X509 CRL` block.
    #[error(
        "{}: no certificate revocation list found (give a DER file or PEM `-----BEGIN X509 CRL-----`, as `openssl crl` writes them)",
        path.display()
    )]
    NotCrl {
        /// The file.
        path: PathBuf,
    },
    /// A CRL that does not parse.
    #[error("{}: not a valid certificate revocation list: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser found.
        reason: String,
    },
}

/// A serial number's INTEGER contents without leading zero bytes.
fn serial_key(raw: &[u8]) -> Vec<u8> {
    let start = raw.iter().position(|&b| b != 0).unwrap_or(raw.len());
    raw[start..].to_vec()
}

impl Crl {
    /// Reads a DER or PEM CRL of at most [`crate::fsutil::limits::CRL_FILE`] bytes.
    pub fn read(path: &Path) -> Result<Self, CrlError> {
        let bytes = crate::fsutil::read_bounded(path, crate::fsutil::limits::CRL_FILE).map_err(
            |source| CrlError::Io {
                path: path.to_path_buf(),
                source,
            },
        )?;
        Self::parse(&bytes, path)
    }

    /// Parses a CRL's bytes (DER, or the first `X509 CRL` PEM block).
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, CrlError> {
        let der = if crate::cert::pem::looks_like_pem(bytes) {
            let blocks = crate::cert::pem::scan(bytes).map_err(|source| CrlError::Pem {
                path: path.to_path_buf(),
                source,
            })?;
            let Some(block) = blocks.iter().find(|b| b.label == "X509 CRL") else {
                return Err(CrlError::NotCrl {
                    path: path.to_path_buf(),
                });
            };
            block.decode().map_err(|source| CrlError::Pem {
                path: path.to_path_buf(),
                source,
            })?
        } else {
            bytes.to_vec()
        };
        let (_, crl) = x509_parser::parse_x509_crl(&der).map_err(|e| {
            if bytes.first() == Some(&0x30) {
                CrlError::Parse {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                }
            } else {
                CrlError::NotCrl {
                    path: path.to_path_buf(),
                }
            }
        })?;
        Ok(Self {
            issuer: crate::cert::name::format_name(crl.issuer()),
            serials: crl
                .iter_revoked_certificates()
                .map(|r| serial_key(r.raw_serial()))
                .collect(),
        })
    }

    /// How many serial numbers it names.
    pub fn len(&self) -> usize {
        self.serials.len()
    }

    /// Whether it names none.
    pub fn is_empty(&self) -> bool {
        self.serials.is_empty()
    }

    /// Whether it revokes `cert`: same issuer, serial number listed.
    pub fn names(&self, cert: &Certificate) -> bool {
        cert.issuer == self.issuer && self.serials.contains(&serial_key(&cert.serial))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        restrictions::items(s)
    }

    #[test]
    fn reasons_are_bounded_and_one_line() {
        assert_eq!(reject_value(None).unwrap(), REJECT);
        assert_eq!(
            reject_value(Some("left 2026-12")).unwrap(),
            format!("{REJECT}: left 2026-12")
        );
        assert!(matches!(
            reject_value(Some("a\nb")),
            Err(ReasonError::NotPrintable)
        ));
        assert!(matches!(
            reject_value(Some(&"x".repeat(MAX_REASON + 1))),
            Err(ReasonError::TooLong)
        ));
    }

    #[test]
    fn walks_find_deny_tables_before_and_after_the_permit() {
        let allow = vec![PathBuf::from("/etc/postfix/clientcerts")];
        let lists = |relay: &'static str| {
            move |n: &str| {
                if n == "smtpd_relay_restrictions" {
                    relay.to_string()
                } else {
                    String::new()
                }
            }
        };
        let w = walk(
            &lists(
                "check_ccert_access lmdb:/etc/postfix/revoked_clientcerts, permit_tls_clientcerts, reject",
            ),
            &allow,
        );
        assert_eq!(w.deny, vec!["lmdb:/etc/postfix/revoked_clientcerts"]);
        assert_eq!(w.permit_at, 2);
        assert!(w.after.is_empty());
        let w = walk(
            &lists(
                "permit_tls_clientcerts, check_ccert_access lmdb:/x/revoked_clientcerts, reject",
            ),
            &allow,
        );
        assert!(w.deny.is_empty());
        assert_eq!(w.after, vec!["lmdb:/x/revoked_clientcerts"]);
        assert_eq!(
            with_deny(&w.permit_items, w.permit_at, "lmdb:/x/revoked_clientcerts"),
            v("check_ccert_access lmdb:/x/revoked_clientcerts permit_tls_clientcerts reject")
        );
        // The allow list as a check_ccert_access table is the permit.
        let w = walk(
            &lists("check_ccert_access cdb:/etc/postfix/clientcerts, reject"),
            &allow,
        );
        assert!(w.permits());
        assert!(w.deny.is_empty());
        // After a refusal nothing is reached.
        let w = walk(&lists("reject, check_ccert_access cdb:/d"), &allow);
        assert!(!w.permits() && w.deny.is_empty());
        assert_eq!(
            join_main(&v(
                "check_ccert_access cdb:/d, permit_tls_clientcerts, reject"
            )),
            "check_ccert_access cdb:/d, permit_tls_clientcerts, reject"
        );
    }
}
